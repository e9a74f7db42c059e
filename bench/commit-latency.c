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
 * and
 * talk to cadmond. The journal's file system is $TMPDIR's (default /tmp).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* cadmond's "write and fsync X ms on average, Y ms at most" from its stop message. */
static void print_daemon_figure(const struct harness *h)
{
	char *log = harness_stderr(h), *at = log ? strstr(log, "write and fsync ") : NULL, *end;

	if (at && (end = strchr(at, ';')))
		printf("  cadmond: %.*s\n", (int)(end - at), at);
	free(log);
}

static void measure(const char *policy, size_t samples)
{
	char yaml[512];
	struct harness h = { 0 };
	struct harness_options options = { .extra_yaml = yaml };
	int64_t *alert_us = calloc(samples, sizeof *alert_us),
		*ack_us = calloc(samples, sizeof *ack_us);
	size_t acked = 0;
	int console, feed;

	snprintf(yaml, sizeof yaml,
		 "tracker:\n  max_operators: 200000\n"
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
		int64_t start = now_us();

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

int main(int argc, char **argv)
{
	size_t samples = DEFAULT_SAMPLES;
	const char *only = NULL;
	int option;

	while ((option = getopt(argc, argv, "n:p:")) != -1) {
		if (option == 'n')
			samples = strtoul(optarg, NULL, 10);
		else if (option == 'p')
			only = optarg;
		else
			die("usage: commit-latency [-n SAMPLES] [-p batch|interval|none] CADMOND");
	}
	if (optind + 1 != argc || samples < 2 || samples > MAX_SAMPLES)
		die("usage: commit-latency [-n SAMPLES] [-p batch|interval|none] CADMOND");
	setenv("CADMOND", argv[optind], 1);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < POLICY_COUNT; i++)
		if (!only || strcmp(only, policies[i]) == 0)
			measure(policies[i], samples);
	return 0;
}
