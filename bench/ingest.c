/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * ingest: live ingest of a running cadmond against json-c parsing the same lines.
 *
 *   ingest [-n EVENTS] [-r REPEATS] [-p batch|none] [-f FEEDS[,FEEDS...]] [-s] CADMOND
 *
 * Generates a day of 900 call-takers (tools/sim.c, fixed seed, EVENTS lines: default 300,000),
 * each line numbered with "seq" per feed. For each journal.fsync policy (batch, none; or only
 * -p) and each feed count (1 and 20; or those of -f), REPEATS times (default 3): times json-c
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
 *
 * Paired runs: with two or more feed counts (the default 1 and 20, or -f 1,20) the counts run
 * in turn within each repeat and policy, A B A B ..., the same lines and the same binary, so
 * the runs of a pair are seconds apart and share the machine's load. After each pair a "pair"
 * line gives each later count's cadmond CPU a line against the first count's: the CPU while
 * fed (cadmond's process CPU clock, every thread's, to the nanosecond, from before the feeds
 * connect to the last ack), the whole process's (its rusage when reaped: start, recovery of
 * the empty state directory, the stop and its snapshot), and the wall time's. At the end a
 * "paired" line per policy and count gives their medians and ranges: on a shared machine the
 * ratio of a pair is readable where the absolute figures are not.
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
#include <sys/resource.h>
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
#define MAX_REPEATS 1000
#define MAX_FEED_COUNTS 4 /* of -f's list */
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

/* cadmond's CPU seconds so far, user and system (every thread's; /proc/PID/stat's whole clock
 * ticks, 10 ms each). */
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

/* cadmond's CPU seconds so far, every thread's, to the nanosecond (its process CPU clock); -1
 * when it cannot be read. */
static double process_cpu_clock(pid_t pid)
{
	clockid_t clock;
	struct timespec now;

	if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &now) != 0)
		return -1;
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* CPU seconds, user + system, of the children reaped so far (cadmond is the only one). */
static double reaped_children_cpu(void)
{
	struct rusage usage;

	if (getrusage(RUSAGE_CHILDREN, &usage) != 0)
		return -1;
	return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
	       (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
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
 * window: a backlog being replayed, not live ingest. One feed sends without a bound, or (-s)
 * in the same steps under the same bound, to tell what twenty feeds cost from what the
 * bound's round trips (acks awaited, so more, smaller commits) cost; its rows then read "1
 * feed+".
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

/* Send every feed's lines, in step (paced) or all at once, and wait for the ack of each one's
 * last: wall seconds. */
static double drive(const struct harness *h, const struct feed_data *data, unsigned feeds,
		    size_t total_lines, bool paced)
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
		       (!paced || acked_before(data, c, feeds, cursor))) {
			cursor = !paced ? total_lines : cursor + STEP_LINES;
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

/* What one run measured, for the ratios of a pair. */
struct run_figures {
	double live;       /* wall seconds, first byte sent to the last ack */
	double fed_cpu;    /* cadmond's CPU seconds, the feeds' connections to the last ack */
	double rusage_cpu; /* cadmond's whole life, user + system, from its rusage */
	double json_c;     /* json-c's wall seconds on the same lines, this run */
	bool paced_one;    /* one feed, paced as several are (-s) */
};

/* One run: json-c, then cadmond with this policy and feed count. */
static struct run_figures measure(const struct day *day, const struct sim_shift *shift,
				  const char *policy, unsigned feeds, bool pace_one)
{
	struct feed_data data[MAX_FEEDS];
	char yaml[512];
	struct harness h = { 0 };
	struct harness_options options = {
		.extra_yaml = yaml,
		.feed_yaml = "  max_connections_per_address: 64\n  max_pending_connections: 64\n" };
	double json_c, json_c_cpu, live, cpu, fed_cpu_start, fed_cpu_end, reaped_before;
	struct process_cpu split;
	long commits, switches;

	split_feeds(day, shift, feeds, data);
	snprintf(yaml, sizeof yaml,
		 "tracker:\n  max_new_operators_per_source_per_hour: 0\n"
		 "journal:\n  fsync: %s\n",
		 policy);
	json_c = time_json_c(day, &json_c_cpu);
	reaped_before = reaped_children_cpu();
	if (harness_start(&h, &options) < 0)
		die("cannot start cadmond");
	fed_cpu_start = process_cpu_clock(h.pid);
	live = drive(&h, data, feeds, day->lines, feeds > 1 || pace_one);
	fed_cpu_end = process_cpu_clock(h.pid);
	split = process_cpu(h.pid);
	cpu = split.user + split.sys;
	switches = process_switches(h.pid);
	harness_stop(&h);
	commits = daemon_commits(&h);
	printf("%-5s %2u feed%s  json-c %6.3f s %5.2f M/s  cadmond %6.3f s %5.3f M/s  wall %6.1f%% "
	       " "
	       "commits/100k %7.1f  cpu: json-c %.2f s, cadmond %.2f s = %5.1f%%  "
	       "(user %.2f s, sys %.2f s; switches/100k %.0f)\n",
	       policy, feeds, feeds > 1 ? "s" : pace_one ? "+" : " ", json_c,
	       day->lines / json_c / 1e6, live, day->lines / live / 1e6, 100.0 * json_c / live,
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
	return (struct run_figures){
		.live = live,
		.fed_cpu = fed_cpu_start < 0 || fed_cpu_end < 0 ? -1 : fed_cpu_end - fed_cpu_start,
		.rusage_cpu = reaped_children_cpu() - reaped_before,
		.json_c = json_c,
		.paced_one = feeds == 1 && pace_one
	};
}

/* Later run b against the first run a of a pair: b's figure / a's (-1 when either is missing;
 * the same lines in both, so the ratio of seconds is the ratio a line). */
static double ratio(double b, double a)
{
	return a > 0 && b > 0 ? b / a : -1;
}

/* One pair's line: a later feed count's run against the first count's ("1+": one feed paced). */
static void print_pair(const char *policy, unsigned pair, unsigned feeds_a, unsigned feeds_b,
		       const struct run_figures *a, const struct run_figures *b)
{
	printf("pair  %-5s %2u/%u%s feeds #%u  CPU a line %.3f (fed %.3f / %.3f s)  rusage %.3f "
	       "(%.3f / %.3f s)  wall %.3f  json-c ratios %.1f%% / %.1f%%\n",
	       policy, feeds_b, feeds_a, a->paced_one ? "+" : "", pair + 1,
	       ratio(b->fed_cpu, a->fed_cpu), b->fed_cpu,
	       a->fed_cpu, ratio(b->rusage_cpu, a->rusage_cpu), b->rusage_cpu, a->rusage_cpu,
	       ratio(b->live, a->live), 100.0 * b->json_c / b->live, 100.0 * a->json_c / a->live);
	fflush(stdout);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "median (lowest-highest)" of count values, sorted in place. */
static void print_spread(double *values, unsigned count)
{
	double median;

	qsort(values, count, sizeof *values, compare_doubles);
	median = count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
	printf("median %.3f (%.3f-%.3f)", median, values[0], values[count - 1]);
}

/* The medians and ranges of every pair's ratios of one policy and one later feed count. */
static void print_paired(const char *policy, unsigned feeds_a, unsigned feeds_b,
			 const struct run_figures *a, const struct run_figures *b, unsigned pairs)
{
	double fed[MAX_REPEATS], whole[MAX_REPEATS], wall[MAX_REPEATS];

	for (unsigned r = 0; r < pairs; r++) {
		fed[r] = ratio(b[r].fed_cpu, a[r].fed_cpu);
		whole[r] = ratio(b[r].rusage_cpu, a[r].rusage_cpu);
		wall[r] = ratio(b[r].live, a[r].live);
	}
	printf("paired %-5s %2u/%u%s feeds over %u pairs: CPU a line ", policy, feeds_b, feeds_a,
	       a[0].paced_one ? "+" : "", pairs);
	print_spread(fed, pairs);
	printf(", rusage ");
	print_spread(whole, pairs);
	printf(", wall ");
	print_spread(wall, pairs);
	printf("\n");
}

/* -f's list, "1,20": the feed counts in order, each 1..MAX_FEEDS; how many, 0 if malformed. */
static unsigned parse_feed_counts(const char *text, unsigned counts[MAX_FEED_COUNTS])
{
	unsigned count = 0;
	char *end;

	for (;;) {
		unsigned long feeds = strtoul(text, &end, 10);

		if (end == text || feeds < 1 || feeds > MAX_FEEDS || count == MAX_FEED_COUNTS)
			return 0;
		counts[count++] = (unsigned)feeds;
		if (*end == '\0')
			return count;
		if (*end != ',')
			return 0;
		text = end + 1;
	}
}

#define USAGE                                                                              \
	"usage: ingest [-n EVENTS] [-r REPEATS] [-p batch|none] [-f FEEDS[,FEEDS...]] [-s] CADMOND"

int main(int argc, char **argv)
{
	static const char *const policies[] = { "batch", "none" };
	static struct run_figures runs[2][MAX_FEED_COUNTS][MAX_REPEATS];
	unsigned feed_counts[MAX_FEED_COUNTS] = { 1, 20 }, counts = 2;
	size_t events = DEFAULT_EVENTS;
	unsigned repeats = DEFAULT_REPEATS;
	const char *only_policy = NULL;
	bool pace_one = false;
	struct sim_scenario scenario;
	struct sim_shift shift = { 0 };
	struct day day;
	int option;

	while ((option = getopt(argc, argv, "n:r:p:f:s")) != -1) {
		if (option == 'n')
			events = strtoul(optarg, NULL, 10);
		else if (option == 'r')
			repeats = (unsigned)strtoul(optarg, NULL, 10);
		else if (option == 'p')
			only_policy = optarg;
		else if (option == 'f')
			counts = parse_feed_counts(optarg, feed_counts);
		else if (option == 's')
			pace_one = true;
		else
			die(USAGE);
	}
	if (optind + 1 != argc || counts == 0 || events < 1000 || events > MAX_EVENTS ||
	    repeats < 1 || repeats > MAX_REPEATS)
		die(USAGE);
	setenv("CADMOND", argv[optind], 1);
	signal(SIGPIPE, SIG_IGN);
	generate_day(events, &day, &scenario, &shift);
	printf("ingest: %zu lines of a 900-operator day; ratio = json-c wall time / cadmond's, in "
	       "one run\n",
	       day.lines);
	for (unsigned r = 0; r < repeats; r++)
		for (size_t p = 0; p < sizeof policies / sizeof *policies; p++) {
			if (only_policy && strcmp(only_policy, policies[p]) != 0)
				continue;
			for (unsigned f = 0; f < counts; f++)
				runs[p][f][r] = measure(&day, &shift, policies[p], feed_counts[f],
							pace_one);
			for (unsigned f = 1; f < counts; f++)
				print_pair(policies[p], r, feed_counts[0], feed_counts[f],
					   &runs[p][0][r], &runs[p][f][r]);
		}
	for (size_t p = 0; p < sizeof policies / sizeof *policies; p++)
		for (unsigned f = 1; f < counts; f++)
			if (!only_policy || strcmp(only_policy, policies[p]) == 0)
				print_paired(policies[p], feed_counts[0], feed_counts[f],
					     runs[p][0], runs[p][f], repeats);
	sim_shift_free(&shift);
	return 0;
}
