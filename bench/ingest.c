/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * ingest: live ingest of a running cadmond against json-c parsing the same lines.
 *
 *   ingest [-n EVENTS] [-r REPEATS] [-p batch|none] [-f FEEDS] CADMOND
 *
 * Generates a day of 900 call-takers (tools/sim.c, fixed seed, EVENTS lines: default 300,000),
 * each line numbered with "seq" per feed. For each journal.fsync policy (batch, none; or only
 * -p) and each feed count (1 and 20; or only -f), REPEATS times (default 3): times json-c
 * parsing every line (a reused tokener, json_tokener_reset + parse + put per line, wall
 * clock), then starts CADMOND on loopback (tests/support/daemon_harness.c, a temporary state
 * directory), connects the feeds (each a named source saying hello; the lines are split by
 * call-taker, so each feed's lines stay in time order), sends every line as fast as the
 * sockets take them (several feeds in step, at most 1,000 lines of the day unacknowledged: see
 * IN_FLIGHT_LINES), and waits for each feed's {"ack":N} of its last line: the wall time from
 * the first byte sent to the last ack. Prints lines/s of both, the ratio of wall times (the
 * figure), the journal commits per 100,000 lines (with batch, the fdatasyncs run on the
 * journal's sync thread, each covering the commits written before it started), and the
 * ratio of CPU seconds (json-c's process CPU time against cadmond's utime + stime, which
 * includes its start and recovery of an empty state directory): on a shared machine the CPU
 * ratio moves less than the wall one. Then cadmond's user and system seconds apart, and its
 * main thread's context switches (voluntary and not) per 100,000 lines. The journal's file
 * system is $TMPDIR's (default /tmp).
 */
#include <errno.h>
#include <fcntl.h>
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

#include <json-c/json.h>

#include "daemon_harness.h"
#include "sim.h"

#define DEFAULT_EVENTS 300000u
#define MAX_EVENTS 2000000u
#define MAX_FEEDS 64
#define OPERATORS 900
#define HOURS 24
#define CALLS_PER_HOUR_PER_MILLION 17.5 /* per call-taker: a million events in 24 hours */
#define DEFAULT_REPEATS 3
#define WAIT_MS 300000
#define ACK_LINE_MAX 256

struct feed_data {
	char *text;  /* every line of this feed, with its seq */
	size_t len;
	size_t lines;
	size_t *ends;    /* byte offset after each line */
	size_t *globals; /* each line's index in the day */
};

struct day {
	char *text; /* every line, "\n"-terminated, as generated (json-c's input) */
	size_t *offsets, *lengths;
	size_t lines;
};

static void die(const char *what)
{
	fprintf(stderr, "ingest: %s\n", what);
	exit(1);
}

static double seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void *must_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* A 24-hour day of 900 call-takers with about events lines. */
static void generate_day(size_t events, struct day *day, struct sim_scenario *scenario,
			 struct sim_shift *shift)
{
	char why[SIM_WHY_MAX], line[SIM_LINE_MAX];
	size_t used = 0;

	sim_scenario_defaults(scenario);
	scenario->operator_count = OPERATORS;
	scenario->shift_hours = HOURS;
	scenario->calls_per_hour = CALLS_PER_HOUR_PER_MILLION * (double)events / 1e6;
	if (sim_scenario_check(scenario, why, sizeof why) != 0 ||
	    sim_shift_generate(scenario, shift, why, sizeof why) != 0)
		die(why);
	day->lines = shift->event_count < events ? shift->event_count : events;
	day->text = must_alloc(day->lines * SIM_LINE_MAX);
	day->offsets = must_alloc(day->lines * sizeof *day->offsets);
	day->lengths = must_alloc(day->lines * sizeof *day->lengths);
	for (size_t i = 0; i < day->lines; i++) {
		size_t len = sim_format_event(scenario, shift, i, line);

		memcpy(day->text + used, line, len);
		day->offsets[i] = used;
		day->lengths[i] = len;
		used += len;
	}
}

/* Split the day by call-taker into feeds, adding ,"seq":N to every line. */
static void split_feeds(const struct day *day, const struct sim_shift *shift, unsigned feeds,
			struct feed_data *out)
{
	for (unsigned f = 0; f < feeds; f++) {
		out[f].text =
			must_alloc(day->lines * (SIM_LINE_MAX + 24) / feeds + SIM_LINE_MAX + 24);
		out[f].len = out[f].lines = 0;
		out[f].ends = must_alloc(day->lines * sizeof *out[f].ends);
		out[f].globals = must_alloc(day->lines * sizeof *out[f].globals);
	}
	for (size_t i = 0; i < day->lines; i++) {
		unsigned f = shift->calls[shift->events[i].call_index].operator_index % feeds;
		struct feed_data *feed = &out[f];
		size_t len = day->lengths[i] - 2; /* without "}\n" */

		if (feed->len + len + 32 >
		    day->lines * (SIM_LINE_MAX + 24) / feeds + SIM_LINE_MAX + 24)
			die("a feed's share is larger than planned");
		memcpy(feed->text + feed->len, day->text + day->offsets[i], len);
		feed->len += len;
		feed->len +=
			(size_t)sprintf(feed->text + feed->len, ",\"seq\":%zu}\n", feed->lines + 1);
		feed->ends[feed->lines] = feed->len;
		feed->globals[feed->lines++] = i;
	}
}

static double cpu_seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* json-c alone on every line, reused tokener: wall seconds (CPU seconds in *cpu). */
static double time_json_c(const struct day *day, double *cpu)
{
	struct json_tokener *tokener = json_tokener_new();
	double start = seconds_now(), cpu_start = cpu_seconds_now();
	size_t failures = 0;

	for (size_t i = 0; i < day->lines; i++) {
		struct json_object *object;

		json_tokener_reset(tokener);
		object = json_tokener_parse_ex(tokener, day->text + day->offsets[i],
					       (int)day->lengths[i] - 1);
		failures += object == NULL;
		json_object_put(object);
	}
	json_tokener_free(tokener);
	if (failures)
		die("json-c failed to parse a generated line");
	*cpu = cpu_seconds_now() - cpu_start;
	return seconds_now() - start;
}

/* cadmond's CPU seconds so far (utime + stime of /proc/PID/stat). */
/* cadmond's CPU seconds so far, user and system (every thread's). */
struct process_cpu {
	double user, sys;
};

static struct process_cpu process_cpu(pid_t pid)
{
	char path[64], *text, *after;
	unsigned long utime = 0, stime = 0;
	struct process_cpu cpu = { 0, 0 };

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	text = harness_read_file(path);
	if (!text)
		return cpu;
	after = strrchr(text, ')');
	if (after)
		sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
		       &stime);
	free(text);
	cpu.user = (double)utime / (double)sysconf(_SC_CLK_TCK);
	cpu.sys = (double)stime / (double)sysconf(_SC_CLK_TCK);
	return cpu;
}

/* Context switches of cadmond's main thread so far (the loop's waits), voluntary + not. */
static long process_switches(pid_t pid)
{
	char path[64], *text, *at;
	long total = 0, n;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if (!(text = harness_read_file(path)))
		return -1;
	if ((at = strstr(text, "voluntary_ctxt_switches:")) && sscanf(at + 24, "%ld", &n) == 1)
		total += n;
	if ((at = strstr(text, "nonvoluntary_ctxt_switches:")) && sscanf(at + 27, "%ld", &n) == 1)
		total += n;
	free(text);
	return total;
}

/* cadmond's "journal: N commits" from its stop message; -1 when missing. The words after the
 * number are checked too: "journal: N bytes written and not fsynced" (a slow disk) is not it. */
static long daemon_commits(const struct harness *h)
{
	char *log = harness_stderr(h), *at = log ? strstr(log, "journal: ") : NULL;
	long commits = -1;
	int end = 0;

	while (at && (sscanf(at, "journal: %ld commits%n", &commits, &end) != 1 || end == 0)) {
		commits = -1;
		at = strstr(at + 1, "journal: ");
	}
	free(log);
	return commits;
}

/*
 * Several feeds send in step, as live feeds do, whose events arrive in real time: the day is
 * released STEP_LINES lines at a time, and at most IN_FLIGHT_LINES lines of it may be sent
 * and not yet acknowledged. Without that bound the feeds would drift hours of event time
 * apart (the daemon drains up to 256 KiB of one feed, about an hour of a twentieth of the
 * day, before the next), the sources behind by more than tracker.max_source_lag_seconds
 * would be judged on their own (late) and their calls inserted far back in the center's
 * window: a backlog being replayed, not live ingest. One feed sends without a bound.
 */
#define STEP_LINES 250
#define IN_FLIGHT_LINES 1000

struct connection {
	int fd;
	size_t sent;
	size_t released;   /* bytes it may send so far */
	size_t next_line;  /* its first line not yet released */
	uint64_t acked;
	char in[ACK_LINE_MAX];
	size_t in_len;
};

/* Read what arrived on a feed: the highest ack so far. */
static void read_acks(struct connection *c)
{
	ssize_t got = read(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len);
	char *line, *nl;

	if (got <= 0) {
		if (got == 0 || (errno != EAGAIN && errno != EINTR))
			die("a feed connection closed");
		return;
	}
	c->in_len += (size_t)got;
	c->in[c->in_len] = '\0';
	line = c->in;
	while ((nl = strchr(line, '\n'))) {
		unsigned long long ack;

		if (sscanf(line, "{\"ack\":%llu", &ack) == 1 && ack > c->acked)
			c->acked = ack;
		line = nl + 1;
	}
	c->in_len = strlen(line);
	memmove(c->in, line, c->in_len + 1);
}

/* Lines of a feed before line global of the day. */
static size_t lines_before(const struct feed_data *data, size_t global)
{
	size_t low = 0, high = data->lines;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (data->globals[middle] < global)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* Every feed has its lines before cursor - IN_FLIGHT_LINES acknowledged. */
static bool acked_before(const struct feed_data *data, const struct connection *c, unsigned feeds,
			 size_t cursor)
{
	if (cursor < IN_FLIGHT_LINES)
		return true;
	for (unsigned f = 0; f < feeds; f++)
		if (c[f].acked < lines_before(&data[f], cursor - IN_FLIGHT_LINES))
			return false;
	return true;
}

/* Send every feed's lines and wait for the ack of each one's last: wall seconds. */
static double drive(const struct harness *h, const struct feed_data *data, unsigned feeds,
		    size_t total_lines)
{
	struct connection c[MAX_FEEDS];
	struct pollfd watch[MAX_FEEDS];
	char hello[96];
	double start, deadline;
	unsigned done = 0;
	size_t cursor = 0; /* lines of the day released to the feeds */

	for (unsigned f = 0; f < feeds; f++) {
		c[f] = (struct connection){ .fd = harness_connect_feed(h) };
		snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"bench-%u\"}\n", f);
		if (c[f].fd < 0 || harness_send(c[f].fd, hello) < 0)
			die("cannot connect a feed");
		fcntl(c[f].fd, F_SETFL, fcntl(c[f].fd, F_GETFL) | O_NONBLOCK);
	}
	start = seconds_now();
	deadline = start + WAIT_MS / 1000.0;
	while (done < feeds) {
		while (cursor < total_lines &&
		       (feeds == 1 || acked_before(data, c, feeds, cursor))) {
			cursor = feeds == 1 ? total_lines : cursor + STEP_LINES;
			for (unsigned f = 0; f < feeds; f++)
				while (c[f].next_line < data[f].lines &&
				       data[f].globals[c[f].next_line] < cursor)
					c[f].released = data[f].ends[c[f].next_line++];
		}
		for (unsigned f = 0; f < feeds; f++)
			watch[f] = (struct pollfd){
				.fd = c[f].fd,
				.events =
					(short)(POLLIN | (c[f].sent < c[f].released ? POLLOUT : 0))
			};
		if (poll(watch, feeds, 100) < 0 && errno != EINTR)
			die("poll failed");
		if (seconds_now() > deadline)
			die("no ack of every line within the time allowed");
		done = 0;
		for (unsigned f = 0; f < feeds; f++) {
			if (watch[f].revents & POLLOUT) {
				ssize_t put = write(c[f].fd, data[f].text + c[f].sent,
						    c[f].released - c[f].sent);

				if (put > 0)
					c[f].sent += (size_t)put;
				else if (put < 0 && errno != EAGAIN && errno != EINTR)
					die("cannot send to the feed port");
			}
			if (watch[f].revents & (POLLIN | POLLHUP | POLLERR))
				read_acks(&c[f]);
			done += c[f].acked >= data[f].lines;
		}
	}
	double took = seconds_now() - start;

	for (unsigned f = 0; f < feeds; f++)
		close(c[f].fd);
	return took;
}

/* One run: json-c, then cadmond with this policy and feed count. */
static void measure(const struct day *day, const struct sim_shift *shift, const char *policy,
		    unsigned feeds)
{
	struct feed_data data[MAX_FEEDS];
	char yaml[512];
	struct harness h = { 0 };
	struct harness_options options = {
		.extra_yaml = yaml,
		.feed_yaml = "  max_connections_per_address: 64\n  max_pending_connections: 64\n" };
	double json_c, json_c_cpu, live, cpu;
	struct process_cpu split;
	long commits, switches;

	split_feeds(day, shift, feeds, data);
	snprintf(yaml, sizeof yaml,
		 "tracker:\n  max_new_operators_per_source_per_hour: 0\n"
		 "journal:\n  fsync: %s\n",
		 policy);
	json_c = time_json_c(day, &json_c_cpu);
	if (harness_start(&h, &options) < 0)
		die("cannot start cadmond");
	live = drive(&h, data, feeds, day->lines);
	split = process_cpu(h.pid);
	cpu = split.user + split.sys;
	switches = process_switches(h.pid);
	harness_stop(&h);
	commits = daemon_commits(&h);
	printf("%-5s %2u feed%s  json-c %6.3f s %5.2f M/s  cadmond %6.3f s %5.3f M/s  wall %6.1f%% "
	       " "
	       "commits/100k %7.1f  cpu: json-c %.2f s, cadmond %.2f s = %5.1f%%  "
	       "(user %.2f s, sys %.2f s; switches/100k %.0f)\n",
	       policy, feeds, feeds == 1 ? " " : "s", json_c, day->lines / json_c / 1e6, live,
	       day->lines / live / 1e6, 100.0 * json_c / live,
	       commits < 0 ? -1.0 : (double)commits * 100000.0 / (double)day->lines, json_c_cpu,
	       cpu, cpu > 0 ? 100.0 * json_c_cpu / cpu : 0.0, split.user, split.sys,
	       switches < 0 ? -1.0 : (double)switches * 100000.0 / (double)day->lines);
	fflush(stdout);
	harness_cleanup(&h);
	for (unsigned f = 0; f < feeds; f++) {
		free(data[f].text);
		free(data[f].ends);
		free(data[f].globals);
	}
}

int main(int argc, char **argv)
{
	static const char *const policies[] = { "batch", "none" };
	static const unsigned feed_counts[] = { 1, 20 };
	size_t events = DEFAULT_EVENTS;
	unsigned repeats = DEFAULT_REPEATS, only_feeds = 0;
	const char *only_policy = NULL;
	struct sim_scenario scenario;
	struct sim_shift shift = { 0 };
	struct day day;
	int option;

	while ((option = getopt(argc, argv, "n:r:p:f:")) != -1) {
		if (option == 'n')
			events = strtoul(optarg, NULL, 10);
		else if (option == 'r')
			repeats = (unsigned)strtoul(optarg, NULL, 10);
		else if (option == 'p')
			only_policy = optarg;
		else if (option == 'f')
			only_feeds = (unsigned)strtoul(optarg, NULL, 10);
		else
			die("usage: ingest [-n EVENTS] [-r REPEATS] [-p batch|none] [-f FEEDS] "
			    "CADMOND");
	}
	if (optind + 1 != argc || events < 1000 || events > MAX_EVENTS || repeats < 1 ||
	    only_feeds > MAX_FEEDS)
		die("usage: ingest [-n EVENTS] [-r REPEATS] [-p batch|none] [-f FEEDS] CADMOND");
	setenv("CADMOND", argv[optind], 1);
	signal(SIGPIPE, SIG_IGN);
	generate_day(events, &day, &scenario, &shift);
	printf("ingest: %zu lines of a 900-operator day; ratio = json-c wall time / cadmond's, in "
	       "one run\n",
	       day.lines);
	for (unsigned r = 0; r < repeats; r++)
		for (size_t p = 0; p < sizeof policies / sizeof *policies; p++)
			for (size_t f = 0; f < sizeof feed_counts / sizeof *feed_counts; f++) {
				unsigned feeds = only_feeds ? only_feeds : feed_counts[f];

				if (only_policy && strcmp(only_policy, policies[p]) != 0)
					continue;
				if (only_feeds && f > 0)
					continue;
				measure(&day, &shift, policies[p], feeds);
			}
	sim_shift_free(&shift);
	return 0;
}
