/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * commit-latency: what the journal adds between a feed line and its alert and ack.
 *
 *   commit-latency [-n SAMPLES] [-p POLICY] CADMOND
 *
 * Starts CADMOND (a built cadmond) on loopback with a temporary state directory, once per
 * journal.fsync policy (batch, interval, none; or only POLICY), with a rule that fires on every
 * premature hangup. A console subscribes; a feed says hello and then, SAMPLES times (default
 * 500), sends one call of a new call-taker (call_start and call_end, numbered with seq) in one
 * write and waits for both its alert on the console and its {"ack":N}. Prints the median, 99th
 * percentile and maximum of each, in milliseconds, and cadmond's own figure for write + fsync
 * (logged when it stops). A cadmond without a journal (before issue 5) sends no acks: then
 * only the alert latency is measured, for comparison. Uses tests/support/daemon_harness.c to run
 * and talk to cadmond. The journal's file system is $TMPDIR's (default /tmp).
 *
 * -i IDLE_US: sleep that long before each call (the loop and the CPUs idle between calls, as
 * under a background they idle between its bursts).
 *
 *   commit-latency -b LINES_PER_S [-n SAMPLES] [-p POLICY] [-s SOURCE] CADMOND
 *
 * The same under load: a second feed connection (source "cad") sends LINES_PER_S lines of
 * honest calls in wall time, a burst every millisecond (call_start, and call_end 500 ms
 * later released by the caller: never premature), from a thread of its own that also reads
 * its acks. The probe's connection (source SOURCE, default "cad" too: one CAD with two
 * connections; another name makes it a second source, whose events the center merges in ts
 * order with the background's) sends, SAMPLES times, 5-15 ms apart, a call_start and 2 ms
 * later the call_end that completes an alert (no seq: the background numbers the source's
 * lines), both with the wall clock's ts; the latency is from writing that call_end to
 * reading its alert on the console. Prints that distribution, the background's achieved rate,
 * cadmond's write + fsync figure, and this process's own fdatasync of 4 KiB appended to a
 * file in the state directory's file system (200 times, alone) for the fsync a commit pays.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon_harness.h"

#define DEFAULT_SAMPLES 500
#define MAX_SAMPLES 100000
#define WAIT_MS 5000
#define NO_ACK_MS 200 /* a cadmond that sent no ack by then has no journal */
#define T0_MS INT64_C(1795939200000)
#define LINE_MAX_BYTES 4096

static const char *const policies[] = { "batch", "interval", "none" };
#define POLICY_COUNT (sizeof policies / sizeof policies[0])

static int64_t now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void die(const char *what)
{
	fprintf(stderr, "commit-latency: %s\n", what);
	exit(1);
}

static int compare_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_distribution(const char *what, int64_t *us, size_t count)
{
	qsort(us, count, sizeof *us, compare_i64);
	printf("  %-6s median %.3f ms, p99 %.3f ms, max %.3f ms\n", what,
	       (double)us[count / 2] / 1000.0, (double)us[count * 99 / 100] / 1000.0,
	       (double)us[count - 1] / 1000.0);
}

/* One call of call-taker op-N, premature, as one write; the call_end has seq 2N + 2. */
static void send_call(int feed, unsigned n)
{
	char lines[512];
	int64_t start = T0_MS + (int64_t)n * 1000;

	snprintf(lines, sizeof lines,
		 "{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":%" PRId64
		 ",\"operator\":\"op-%u\",\"seq\":%u}\n"
		 "{\"type\":\"call_end\",\"call_id\":\"c%u\",\"ts\":%" PRId64
		 ",\"released_by\":\"operator\",\"seq\":%u}\n",
		 n, start, n, 2 * n + 1, n, start + 5000, 2 * n + 2);
	if (harness_send(feed, lines) < 0)
		die("cannot send to the feed port");
}

/* Wait for the alert (console) and the ack of seq (feed); their delays from start_us. */
static void wait_both(int console, int feed, unsigned seq, bool expect_ack, int64_t start_us,
		      int64_t *alert_us, int64_t *ack_us)
{
	int64_t deadline = start_us + (int64_t)(expect_ack ? WAIT_MS : NO_ACK_MS) * 1000;
	char line[LINE_MAX_BYTES];

	*alert_us = *ack_us = -1;
	while ((*alert_us < 0 || (expect_ack && *ack_us < 0)) && now_us() < deadline) {
		struct pollfd watch[2] = { { .fd = console, .events = POLLIN },
					   { .fd = feed, .events = POLLIN } };

		if (poll(watch, 2, 10) <= 0)
			continue;
		if ((watch[0].revents & POLLIN) &&
		    harness_read_line(console, line, sizeof line, WAIT_MS) > 0 &&
		    strncmp(line, "{\"alert\":\"firing\",", 18) == 0)
			*alert_us = now_us() - start_us;
		if ((watch[1].revents & POLLIN) &&
		    harness_read_line(feed, line, sizeof line, WAIT_MS) > 0) {
			unsigned acked = 0;

			if (sscanf(line, "{\"ack\":%u}", &acked) == 1 && acked >= seq)
				*ack_us = now_us() - start_us;
		}
	}
	if (*alert_us < 0)
		die("no alert within 5 s");
}

/* Connect a console that asks for nothing old (so it is live at once). */
static int connect_console(const struct harness *h)
{
	char line[LINE_MAX_BYTES];
	int fd = harness_connect_subscriber(h);

	if (fd < 0 || harness_read_line(fd, line, sizeof line, WAIT_MS) < 0 ||
	    harness_send(fd, "{\"since\":0}\n") < 0)
		die("cannot subscribe");
	do /* the open-alert board comes before the live stream */
		if (harness_read_line(fd, line, sizeof line, WAIT_MS) < 0)
			die("no board");
	while (strncmp(line, "{\"board\":\"end\"", 14) != 0);
	return fd;
}

/* cadmond's "write X ms on average, Y ms at most; fsync on the sync thread ... (...)" from
 * its stop message (before the fsync moved off the loop: "write and fsync X ms ..."). */
static void print_daemon_figure(const struct harness *h)
{
	char *log = harness_stderr(h), *at = log ? strstr(log, " early), write ") : NULL, *end;

	if (at && (end = strchr(at + 8, ';')) && strncmp(end, "; fsync", 7) == 0)
		end = strchr(end + 1, ';');
	if (at && end)
		printf("  cadmond: %.*s\n", (int)(end - at - 9), at + 9);
	free(log);
}

static void measure(const char *policy, size_t samples, unsigned idle_us)
{
	char yaml[512];
	struct harness h = { 0 };
	struct harness_options options = { .extra_yaml = yaml };
	int64_t *alert_us = calloc(samples, sizeof *alert_us),
		*ack_us = calloc(samples, sizeof *ack_us);
	size_t acked = 0;
	int console, feed;

	snprintf(yaml, sizeof yaml, /* a new call-taker per call: no new-operator rate limit */
		 "tracker:\n  max_operators: 200000\n  max_new_operators_per_source_per_hour: 0\n"
		 "detector:\n  resolve_after_seconds: 2592000\n"
		 "  rules: [{name: every, window_seconds: 60, min_calls: 1, min_premature: 1}]\n"
		 "journal:\n  fsync: %s\n",
		 policy);
	if (!alert_us || !ack_us || harness_start(&h, &options) < 0)
		die("cannot start cadmond");
	console = connect_console(&h);
	feed = harness_connect_feed(&h);
	if (feed < 0 || harness_send(feed, "{\"hello\":\"feed\",\"source\":\"bench\"}\n") < 0)
		die("cannot connect a feed");
	usleep(100 * 1000);
	for (unsigned n = 0; n < samples; n++) {
		int64_t start;

		if (idle_us > 0)
			usleep(idle_us);
		start = now_us();
		send_call(feed, n);
		wait_both(console, feed, 2 * n + 2, n == 0 || acked > 0, start, &alert_us[n],
			  &ack_us[n]);
		if (ack_us[n] >= 0)
			ack_us[acked++] = ack_us[n];
	}
	close(feed);
	close(console);
	harness_stop(&h);
	printf("journal.fsync: %s (%zu calls)\n", policy, samples);
	print_distribution("alert", alert_us, samples);
	if (acked > 0)
		print_distribution("ack", ack_us, acked);
	else
		printf("  ack    none (a cadmond without a journal)\n");
	print_daemon_figure(&h);
	harness_cleanup(&h);
	free(alert_us);
	free(ack_us);
}

/* --- the same under a steady background (-b) ------------------------------------------------ */

#define BG_OPERATORS  5000 /* 120 calls each in the rule's 60-s window at 20 k lines/s */
#define BG_TALK_MS    500  /* open calls: lines_per_s / 4 (5,000 at 20 k lines/s) */
#define BG_BURST_US   1000 /* a burst every millisecond of wall time */
#define BG_MAX_BURSTS 100  /* at most this many overdue bursts in one write */
#define BG_LINE_BYTES 192
#define BG_WARMUP_MS  1000
#define PROBE_TALK_US 2000
#define FSYNC_SAMPLES 200

static int64_t wall_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
	return wall_us() / 1000;
}

static void sleep_until_us(int64_t when_us)
{
	struct timespec at = { .tv_sec = when_us / 1000000, .tv_nsec = when_us % 1000000 * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
}

/* The background feed: its connection, rate and what it did. */
struct background {
	int fd;
	unsigned half; /* call_starts (and call_ends) per burst */
	atomic_bool stop;
	bool failed;
	uint64_t seq, lines, bursts, overdue; /* overdue: bursts sent later than 1 ms after due */
	int64_t first_us, last_us;
	char *buf;
};

/* Read and drop what cadmond sent (acks), without waiting. */
static void drain(int fd)
{
	char scratch[65536];

	while (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0)
		;
}

/* Burst b: the call_ends of the calls started BG_TALK_MS bursts ago, then half new starts. */
static size_t background_burst(struct background *bg, uint64_t b, size_t at)
{
	int64_t ts = wall_ms();
	uint64_t first = b * bg->half;

	for (unsigned i = 0; b >= BG_TALK_MS && i < bg->half; i++) {
		uint64_t call = first - (uint64_t)BG_TALK_MS * bg->half + i;

		at += (size_t)snprintf(bg->buf + at, BG_LINE_BYTES,
				       "{\"type\":\"call_end\",\"call_id\":\"b%" PRIu64
				       "\",\"ts\":%" PRId64
				       ",\"released_by\":\"caller\",\"seq\":%" PRIu64 "}\n",
				       call, ts, ++bg->seq);
	}
	for (unsigned i = 0; i < bg->half; i++)
		at += (size_t)snprintf(bg->buf + at, BG_LINE_BYTES,
				       "{\"type\":\"call_start\",\"call_id\":\"b%" PRIu64
				       "\",\"ts\":%" PRId64 ",\"operator\":\"bg-%" PRIu64
				       "\",\"seq\":%" PRIu64 "}\n",
				       first + i, ts, (first + i) % BG_OPERATORS, ++bg->seq);
	bg->lines += b >= BG_TALK_MS ? 2 * bg->half : bg->half;
	return at;
}

static void *background_run(void *arg)
{
	struct background *bg = arg;
	uint64_t b = 0;

	bg->first_us = now_us();
	while (!atomic_load(&bg->stop)) {
		int64_t now = now_us();
		uint64_t due = (uint64_t)(now - bg->first_us) / BG_BURST_US;
		size_t len = 0;

		if (due > b + 1)
			bg->overdue += due - b - 1;
		for (unsigned k = 0; b <= due && k < BG_MAX_BURSTS; k++)
			len = background_burst(bg, b++, len);
		if (harness_send_bytes(bg->fd, bg->buf, len) < 0) {
			bg->failed = true;
			break;
		}
		drain(bg->fd);
		sleep_until_us(bg->first_us + (int64_t)b * BG_BURST_US);
	}
	bg->bursts = b;
	bg->last_us = now_us();
	return NULL;
}

/* This process's fdatasync of 4 KiB appended to a file in dir: the fsync a commit pays. */
static void print_fsync(const char *dir)
{
	char path[4200], block[4096];
	int64_t us[FSYNC_SAMPLES];
	int fd;

	snprintf(path, sizeof path, "%s/fsync-probe", dir);
	memset(block, 'x', sizeof block);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		die("cannot create the fsync probe file");
	for (size_t i = 0; i < FSYNC_SAMPLES; i++) {
		int64_t start = now_us();

		if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fdatasync(fd) < 0)
			die("cannot write and fdatasync the fsync probe file");
		us[i] = now_us() - start;
	}
	close(fd);
	unlink(path);
	print_distribution("fsync", us, FSYNC_SAMPLES);
}

/* The console's reader: what it received, and when the kernel queued the newest bytes. */
struct console {
	int fd;
	char buf[2 * LINE_MAX_BYTES];
	size_t len;
	int64_t arrived_real_us; /* SO_TIMESTAMPNS of the last recvmsg, wall clock */
};

/* Wait for the firing alert of call-taker p-n on the console. *read_us: from start_us (the
 * monotonic clock) to this process reading it; *queued_us: from start_real_us (the wall clock,
 * taken at the same moment) to the kernel queueing its last bytes on the console's socket
 * (SO_TIMESTAMPNS): cadmond's part, without this process's own wake-up. */
static void wait_alert(struct console *c, unsigned n, int64_t start_us, int64_t start_real_us,
		       int64_t *read_us, int64_t *queued_us)
{
	char who[32], control[CMSG_SPACE(sizeof(struct timespec))];

	snprintf(who, sizeof who, "\"operator\":\"p-%u\"", n);
	while (now_us() < start_us + (int64_t)WAIT_MS * 1000) {
		struct pollfd watch = { .fd = c->fd, .events = POLLIN };
		struct iovec space = { c->buf + c->len, sizeof c->buf - 1 - c->len };
		struct msghdr msg = { .msg_iov = &space,
				      .msg_iovlen = 1,
				      .msg_control = control,
				      .msg_controllen = sizeof control };
		char *line, *end;
		ssize_t got;

		if (poll(&watch, 1, 10) <= 0)
			continue;
		if ((got = recvmsg(c->fd, &msg, MSG_DONTWAIT)) <= 0)
			die("the console closed");
		for (struct cmsghdr *m = CMSG_FIRSTHDR(&msg); m; m = CMSG_NXTHDR(&msg, m))
			if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec at;

				memcpy(&at, CMSG_DATA(m), sizeof at);
				c->arrived_real_us =
					(int64_t)at.tv_sec * 1000000 + at.tv_nsec / 1000;
			}
		c->len += (size_t)got;
		c->buf[c->len] = '\0';
		for (line = c->buf; (end = strchr(line, '\n')); line = end + 1) {
			*end = '\0';
			if (strncmp(line, "{\"alert\":\"firing\",", 18) == 0 && strstr(line, who)) {
				*read_us = now_us() - start_us;
				*queued_us = c->arrived_real_us - start_real_us;
				c->len = 0; /* nothing follows it before the next call */
				return;
			}
		}
		c->len -= (size_t)(line - c->buf); /* keep a partial line */
		memmove(c->buf, line, c->len);
		if (c->len >= sizeof c->buf - 1)
			c->len = 0; /* a line longer than the buffer: not an alert of ours */
	}
	die("no alert within 5 s");
}

/* cadmond's warnings and errors (a limit reached, a line rejected): how many, and the first. */
static void print_warnings(const struct harness *h)
{
	char *log = harness_stderr(h), *first = NULL;
	size_t count = 0;

	for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n"))
		if (strstr(line, "warning:") || strstr(line, "error:")) {
			first = first ? first : line;
			count++;
		}
	printf("  cadmond: %zu warnings or errors logged%s%s\n", count,
	       first ? "; the first: " : "", first ? first : "");
	free(log);
}

static void measure_loaded(const char *policy, size_t samples, unsigned rate, const char *source)
{
	char yaml[1024], lines[512];
	struct harness h = { 0 };
	struct harness_options options = { .extra_yaml = yaml };
	struct background bg = { .half = rate / 2000 };
	int64_t *alert_us = calloc(samples, sizeof *alert_us),
		*queued_us = calloc(samples, sizeof *queued_us), ran_us;
	static struct console console;
	uint32_t jitter = 12345;
	pthread_t thread;
	int on = 1, feed;

	snprintf(yaml, sizeof yaml,
		 "tracker:\n  max_operators: 200000\n"
		 "  max_new_operators_per_source_per_hour: 0\n"
		 "  max_open_calls_per_source: 0\n" /* the background holds 5,000 open */
		 "  allowed_lateness_seconds: 5\n  max_dedupe_events: 1000000\n"
		 "detector:\n  resolve_after_seconds: 2592000\n"
		 "  rules: [{name: every, window_seconds: 60, min_calls: 1, min_premature: 1}]\n"
		 "journal:\n  fsync: %s\n",
		 policy);
	if (!alert_us || !queued_us ||
	    !(bg.buf = malloc((size_t)BG_MAX_BURSTS * 4 * bg.half * BG_LINE_BYTES)) ||
	    harness_start(&h, &options) < 0)
		die("cannot start cadmond");
	console.fd = connect_console(&h);
	if (setsockopt(console.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
		die("cannot ask for the console's receive timestamps");
	feed = harness_connect_feed(&h);
	bg.fd = harness_connect_feed(&h);
	snprintf(lines, sizeof lines, "{\"hello\":\"feed\",\"source\":\"%s\"}\n", source);
	if (feed < 0 || bg.fd < 0 || harness_send(feed, lines) < 0 ||
	    harness_send(bg.fd, "{\"hello\":\"feed\",\"source\":\"cad\"}\n") < 0)
		die("cannot connect the feeds");
	if (pthread_create(&thread, NULL, background_run, &bg) != 0)
		die("cannot start the background thread");
	usleep(BG_WARMUP_MS * 1000);
	for (unsigned n = 0; n < samples; n++) {
		int64_t ts, start, start_real;

		jitter = jitter * 1103515245u + 12345u;
		usleep(5000 + (jitter >> 16) % 10000);
		snprintf(lines, sizeof lines,
			 "{\"type\":\"call_start\",\"call_id\":\"p%u\",\"ts\":%" PRId64
			 ",\"operator\":\"p-%u\"}\n",
			 n, wall_ms(), n);
		if (harness_send(feed, lines) < 0)
			die("cannot send to the probe's feed");
		usleep(PROBE_TALK_US);
		drain(feed);
		ts = wall_ms();
		snprintf(lines, sizeof lines,
			 "{\"type\":\"call_end\",\"call_id\":\"p%u\",\"ts\":%" PRId64
			 ",\"released_by\":\"operator\"}\n",
			 n, ts);
		start_real = wall_us();
		start = now_us();
		if (harness_send(feed, lines) < 0)
			die("cannot send to the probe's feed");
		wait_alert(&console, n, start, start_real, &alert_us[n], &queued_us[n]);
		if (bg.failed)
			die("the background feed could not send (cadmond stalled 5 s)");
	}
	atomic_store(&bg.stop, true);
	pthread_join(thread, NULL);
	ran_us = bg.last_us - bg.first_us;
	close(feed);
	close(bg.fd);
	close(console.fd);
	harness_stop(&h);
	printf("journal.fsync: %s, %u lines/s background, probe source \"%s\" (%zu calls)\n",
	       policy, rate, source, samples);
	print_distribution("alert", alert_us, samples);
	print_distribution("queued", queued_us, samples);
	printf("  background: %" PRIu64 " lines in %.2f s: %.0f lines/s; %" PRIu64 " of %" PRIu64
	       " bursts overdue by more than 1 ms\n",
	       bg.lines, (double)ran_us / 1e6, (double)bg.lines * 1e6 / (double)ran_us, bg.overdue,
	       bg.bursts);
	print_daemon_figure(&h);
	print_warnings(&h);
	print_fsync(h.state_dir);
	harness_cleanup(&h);
	free(alert_us);
	free(queued_us);
	free(bg.buf);
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"usage: commit-latency [-b LINES_PER_S] [-i IDLE_US] [-n SAMPLES] "
		"[-p batch|interval|none] [-s SOURCE] CADMOND";
	size_t samples = DEFAULT_SAMPLES;
	const char *only = NULL, *source = "cad";
	unsigned long rate = 0, idle_us = 0;
	int option;

	while ((option = getopt(argc, argv, "b:i:n:p:s:")) != -1) {
		if (option == 'b')
			rate = strtoul(optarg, NULL, 10);
		else if (option == 'i')
			idle_us = strtoul(optarg, NULL, 10);
		else if (option == 'n')
			samples = strtoul(optarg, NULL, 10);
		else if (option == 'p')
			only = optarg;
		else if (option == 's')
			source = optarg;
		else
			die(usage);
	}
	if (optind + 1 != argc || samples < 2 || samples > MAX_SAMPLES || idle_us > 1000000 ||
	    (rate != 0 && (rate < 2000 || rate > 1000000 || rate % 2000 != 0)))
		die(usage); /* -b: a multiple of 2,000 (whole calls per 1-ms burst) */
	setenv("CADMOND", argv[optind], 1);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < POLICY_COUNT; i++) {
		if (only && strcmp(only, policies[i]) != 0)
			continue;
		if (rate > 0)
			measure_loaded(policies[i], samples, (unsigned)rate, source);
		else
			measure(policies[i], samples, idle_us);
	}
	return 0;
}
