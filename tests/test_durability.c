/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Durability, end to end: the real cadmond on loopback with a state directory, killed with
 * SIGKILL while a feed streams with acknowledgements, restarted, its journal damaged on disk,
 * its disk "filled" (RLIMIT_FSIZE), stopped with lines still in its socket. The test sender
 * keeps every line it has not seen acknowledged and resends from its last ack after
 * reconnecting; the test console reconnects with {"since":N}. Every run must deliver exactly
 * the alerts of one uninterrupted run, each once. Every wait is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "record.h"

#define READ_TIMEOUT_MS EXPECT_READ_TIMEOUT_MS
#define ACK_TIMEOUT_MS 10000
#define QUIET_MS EXPECT_QUIET_MS
#define LINE_MAX_BYTES 8192
#define CALLS 1500
#define OPERATORS 6
#define LINES_MAX (2 * CALLS)
#define ALERTS_MAX 1024
#define T0_MS INT64_C(1795939200000) /* 2026-11-29T00:00:00Z */
#define FULL_DISK_LIMIT_BYTES 16384   /* below a snapshot, above cadmond's log */
/* Recovery's warning of a deleted segment that followed the newest snapshot. */
#define NEXT_SEGMENT_MISSING "was not taken at a clean stop"


/* A rule the stream trips about once an hour of event time; alerts resolve after 5 min. */
#define DETECTOR_YAML                                                                             \
	"detector:\n"                                                                             \
	"  resolve_after_seconds: 300\n"                                                          \
	"  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, "           \
	"min_ratio: 0.5, severity: critical}]\n"                                                  \
	"log:\n"                                                                                  \
	"  rate_limit_seconds: 1\n"

static const struct harness_options default_options = { .extra_yaml = DETECTOR_YAML };

/* Small segments and the shortest retention allowed (window 600 s + lateness 600 s). */
static const struct harness_options small_segment_options = {
	.extra_yaml = DETECTOR_YAML "journal:\n"
				    "  segment_max_bytes: 65536\n"
				    "  retention_seconds: 1200\n",
};

/* --- the stream: CALLS calls, each a call_start and a call_end line with seq ---------------- */

struct stream {
	char *lines[LINES_MAX]; /* each ends in "\n"; lines[i] has seq i + 1 */
	int64_t ts_ms[LINES_MAX];
	size_t count;
};

static struct stream stream;
static struct stream pair_streams[2]; /* test_two_senders_kill_9's: cad-a's and cad-b's */

static uint64_t next_random(uint64_t *state)
{
	*state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *state >> 33;
}

static void add_line(int64_t ts_ms, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Append to lines the line body (an object without its closing brace) with the next seq. */
static void stream_push(struct stream *lines, int64_t ts_ms, const char *body)
{
	char line[512];

	assert_true(lines->count < LINES_MAX);
	snprintf(line, sizeof line, "%s,\"seq\":%zu}\n", body, lines->count + 1);
	lines->ts_ms[lines->count] = ts_ms;
	lines->lines[lines->count++] = strdup(line);
}

static void add_line(int64_t ts_ms, const char *format, ...)
{
	char line[480];
	va_list args;

	va_start(args, format);
	vsnprintf(line, sizeof line, format, args);
	va_end(args);
	stream_push(&stream, ts_ms, line);
}

/* Operators op-0 and op-1 hang up on most callers one period in three; everyone else, and
 * they otherwise, on one caller in ten. */
static void build_stream(void)
{
	uint64_t random = 42;

	if (stream.count > 0)
		return;
	for (unsigned call = 0; call < CALLS; call++) {
		unsigned op = call % OPERATORS;
		int64_t start = T0_MS + (int64_t)call * 20000;
		bool bad_phase = (call / 90) % 3 == 1 && op < 2;
		bool premature =
			bad_phase ? next_random(&random) % 4 != 0 : next_random(&random) % 10 == 0;
		int64_t talk = premature ? 3000 + (int64_t)(next_random(&random) % 10000)
					 : 60000 + (int64_t)(next_random(&random) % 120000);

		add_line(start,
			 "{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":%" PRId64
			 ",\"operator\":\"op-%u\",\"agency\":\"NOPD\",\"ani\":\"50455%05u\"",
			 call, start, op, call);
		add_line(start + talk,
			 "{\"type\":\"call_end\",\"call_id\":\"c%u\",\"ts\":%" PRId64
			 ",\"released_by\":\"%s\"",
			 call, start + talk,
			 premature || next_random(&random) % 2 ? "operator" : "caller");
	}
}

static void free_lines(struct stream *lines)
{
	for (size_t i = 0; i < lines->count; i++)
		free(lines->lines[i]);
	lines->count = 0;
}

static void free_stream(void)
{
	free_lines(&stream);
	free_lines(&pair_streams[0]);
	free_lines(&pair_streams[1]);
}

/* --- two senders' streams: each its own calls and operators, lines in ts order ------------ */

#define PAIR_CALLS 1000 /* a sender's calls: 2 lines each */

struct timed_line {
	int64_t ts_ms;
	size_t order; /* as made: a call_start before its call_end at the same ts */
	char body[400];
};

static int timed_line_compare(const void *a, const void *b)
{
	const struct timed_line *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sender k's stream (cad-a, cad-b): a call every 40 s, cad-b's 20 s after cad-a's, on its own
 * three operators (op-a0...), the first of which hangs up on most callers one period in three;
 * its lines in ts order, so that the merged order (and so every alert) is the same whatever
 * the interleaving of the two connections (docs/detection.md, "Time"). */
static void build_pair_stream(unsigned k)
{
	struct stream *lines = &pair_streams[k];
	struct timed_line *made = calloc(2 * PAIR_CALLS, sizeof *made);
	uint64_t random = 7 + k;
	char name = (char)('a' + k);

	assert_non_null(made);
	for (unsigned call = 0; call < PAIR_CALLS; call++) {
		unsigned op = call % 3;
		int64_t start = T0_MS + (int64_t)call * 40000 + (int64_t)k * 20000;
		bool bad_phase = (call / 45) % 3 == 1 && op == 0;
		bool premature =
			bad_phase ? next_random(&random) % 4 != 0 : next_random(&random) % 10 == 0;
		int64_t talk = premature ? 3000 + (int64_t)(next_random(&random) % 10000)
					 : 60000 + (int64_t)(next_random(&random) % 120000);
		struct timed_line *begin = &made[2 * call], *end = &made[2 * call + 1];

		*begin = (struct timed_line){ .ts_ms = start, .order = 2 * call };
		snprintf(begin->body, sizeof begin->body,
			 "{\"type\":\"call_start\",\"call_id\":\"%c%u\",\"ts\":%" PRId64
			 ",\"operator\":\"op-%c%u\",\"agency\":\"NOPD\",\"ani\":\"50456%05u\"",
			 name, call, start, name, op, call);
		*end = (struct timed_line){ .ts_ms = start + talk, .order = 2 * call + 1 };
		snprintf(end->body, sizeof end->body,
			 "{\"type\":\"call_end\",\"call_id\":\"%c%u\",\"ts\":%" PRId64
			 ",\"released_by\":\"%s\"",
			 name, call, start + talk,
			 premature || next_random(&random) % 2 ? "operator" : "caller");
	}
	qsort(made, 2 * PAIR_CALLS, sizeof *made, timed_line_compare);
	for (size_t i = 0; i < 2 * PAIR_CALLS; i++)
		stream_push(lines, made[i].ts_ms, made[i].body);
	free(made);
}

/* --- the sender: keeps what is not acknowledged, resends from its last ack ------------------ */

struct sender {
	int fd;
	const struct stream *lines; /* what it sends; NULL: the stream, as cad-1 */
	const char *source;         /* its hello's source */
	uint64_t acked;      /* highest ack received, across connections */
	uint64_t duplicates; /* the last ack's duplicates, on this connection */
	size_t next;         /* index of the next line to send */
	char partial[256];   /* an ack line not complete yet */
	size_t partial_len;
};

static void sender_connect(struct sender *sender, const struct harness *h)
{
	char hello[128];

	if (!sender->lines) {
		sender->lines = &stream;
		sender->source = "cad-1";
	}
	sender->fd = harness_connect_feed(h);
	assert_true(sender->fd >= 0);
	sender->partial_len = 0;
	sender->duplicates = 0;
	sender->next = (size_t)sender->acked; /* resend from the last ack */
	snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"%s\"}\n", sender->source);
	assert_int_equal(harness_send(sender->fd, hello), 0);
}

static void sender_close(struct sender *sender)
{
	if (sender->fd >= 0)
		close(sender->fd);
	sender->fd = -1;
}

/* Take the ack lines that have arrived; false when the connection has ended. */
static bool sender_read_acks(struct sender *sender, int timeout_ms)
{
	struct pollfd watch = { .fd = sender->fd, .events = POLLIN };
	char buffer[4096];
	ssize_t got;

	if (poll(&watch, 1, timeout_ms) <= 0)
		return true;
	got = recv(sender->fd, buffer, sizeof buffer, MSG_DONTWAIT);
	if (got <= 0)
		return got < 0 && (errno == EAGAIN || errno == EINTR);
	for (ssize_t i = 0; i < got; i++) {
		uint64_t seq = 0, duplicates = 0;
		char again[sizeof sender->partial];

		if (buffer[i] != '\n') {
			assert_true(sender->partial_len < sizeof sender->partial - 1);
			sender->partial[sender->partial_len++] = buffer[i];
			continue;
		}
		sender->partial[sender->partial_len] = '\0';
		if (sscanf(sender->partial, "{\"ack\":%" SCNu64 ",\"duplicates\":%" SCNu64 "}",
			   &seq, &duplicates) == 2)
			snprintf(again, sizeof again,
				 "{\"ack\":%" PRIu64 ",\"duplicates\":%" PRIu64 "}", seq,
				 duplicates);
		else
			snprintf(again, sizeof again, "{\"ack\":%" PRIu64 "}", seq);
		assert_string_equal(sender->partial, again); /* an ack line, nothing else */
		assert_true(seq >= sender->acked); /* acks never go back */
		assert_true(duplicates >= sender->duplicates); /* cumulative on the connection */
		sender->acked = seq;
		sender->duplicates = duplicates;
		sender->partial_len = 0;
	}
	return true;
}

/* Send lines up to (not including) index upto; false if the daemon went away. */
static bool sender_send(struct sender *sender, size_t upto)
{
	for (; sender->next < upto; sender->next++) {
		if (harness_send(sender->fd, sender->lines->lines[sender->next]) < 0)
			return false;
		if (sender->next % 64 == 0)
			sender_read_acks(sender, 0);
	}
	return true;
}

static bool sender_wait_acked(struct sender *sender, uint64_t seq, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	while (sender->acked < seq && harness_now_ms() < deadline)
		if (!sender_read_acks(sender, 50))
			return false;
	return sender->acked >= seq;
}

/* --- the console: reconnects with since, records every alert by seq ------------------------ */

struct console {
	int fd;
	uint64_t last_seq;
	char *alerts[ALERTS_MAX + 1]; /* by seq */
	size_t received;
	size_t duplicates;
	char notice[256];             /* the last notice line */
};

static uint64_t alert_seq(const char *line)
{
	const char *at = strstr(line, "\"seq\":");

	assert_non_null(at);
	return strtoull(at + 6, NULL, 10);
}

static void console_connect(struct console *console, const struct harness *h)
{
	char line[LINE_MAX_BYTES], since[64];

	console->fd = harness_connect_subscriber(h);
	assert_true(console->fd >= 0);
	assert_int_equal(harness_read_line(console->fd, line, sizeof line, READ_TIMEOUT_MS),
			 (ssize_t)strlen(hello_line));
	assert_string_equal(line, hello_line);
	snprintf(since, sizeof since, "{\"since\":%" PRIu64 "}\n", console->last_seq);
	assert_int_equal(harness_send(console->fd, since), 0);
}

static void console_take(struct console *console, const char *line)
{
	uint64_t seq;

	if (is_board_line(line))
		return;
	if (strncmp(line, "{\"notice\":", 10) == 0) {
		snprintf(console->notice, sizeof console->notice, "%.200s", line);
		return;
	}
	seq = alert_seq(line);
	assert_true(seq >= 1 && seq <= ALERTS_MAX);
	console->received++;
	if (console->alerts[seq]) {
		console->duplicates++;
		assert_string_equal(console->alerts[seq], line);
	} else {
		console->alerts[seq] = strdup(line);
	}
	assert_true(seq > console->last_seq); /* in order, no repeat */
	console->last_seq = seq;
}

/* How many of the alerts a console received contain text. */
static size_t count_alerts_with(const struct console *console, const char *text)
{
	size_t count = 0;

	for (size_t i = 0; i <= ALERTS_MAX; i++)
		count += console->alerts[i] && strstr(console->alerts[i], text);
	return count;
}

/* Read alerts until quiet_ms pass without one, or the daemon goes away. */
static void console_drain(struct console *console, int quiet_ms)
{
	char line[LINE_MAX_BYTES];
	ssize_t len;

	while ((len = harness_read_line(console->fd, line, sizeof line, quiet_ms)) >= 0)
		console_take(console, line);
	assert_true(len == -ETIMEDOUT || len == -EPIPE || len == -ECONNRESET);
}

static void console_close(struct console *console)
{
	if (console->fd >= 0)
		close(console->fd);
	console->fd = -1;
}

static void console_free(struct console *console)
{
	console_close(console);
	for (size_t i = 0; i <= ALERTS_MAX; i++)
		free(console->alerts[i]);
	memset(console, 0, sizeof *console);
	console->fd = -1;
}

/* --- reading the journal as a test ---------------------------------------------------------- */

/* The sources whose lines the tests send: cad-1 the stream, cad-a and cad-b the two
 * senders' streams of test_two_senders_kill_9 (journal_contents.seq_seen's index). */
enum { SOURCE_SINGLE, SOURCE_PAIR_A, SOURCE_PAIR_B, SOURCES };

static const char *const source_names[SOURCES] = { "cad-1", "cad-a", "cad-b" };
static const struct stream *const source_streams[SOURCES] = { &stream, &pair_streams[0],
							     &pair_streams[1] };

struct journal_contents {
	bool seq_seen[SOURCES][LINES_MAX + 1]; /* EVENT records by source and their line's seq */
	size_t events;
	size_t alerts;
	size_t segments;
	uint64_t first_index;         /* of the oldest segment */
	int64_t oldest_event_ts_ms;
	size_t torn_or_corrupt;       /* segments whose scan ended on a bad record */
};

static char *read_whole_file(const char *path, size_t *len)
{
	struct stat st;
	char *data;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	data = malloc((size_t)st.st_size + 1);
	assert_non_null(data);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return data;
}

static void note_event(struct journal_contents *contents, const struct record *record)
{
	struct record_event event;
	const struct stream *lines;
	const char *seq;
	unsigned long value;
	size_t source = 0;

	assert_int_equal(record_decode_event(record, &event), 0);
	if (event.len == 0) /* a hello or a tick of the host clock */
		return;
	while (source < SOURCES && strcmp(event.source, source_names[source]) != 0)
		source++;
	assert_true(source < SOURCES);
	lines = source_streams[source];
	seq = memmem(event.line, event.len, "\"seq\":", 6);
	assert_non_null(seq);
	value = strtoul(seq + 6, NULL, 10);
	assert_true(value >= 1 && value <= lines->count);
	contents->seq_seen[source][value] = true;
	contents->events++;
	if (contents->oldest_event_ts_ms == 0 ||
	    lines->ts_ms[value - 1] < contents->oldest_event_ts_ms)
		contents->oldest_event_ts_ms = lines->ts_ms[value - 1];
}

static void read_segment(struct journal_contents *contents, const char *path)
{
	struct record_scan scan;
	struct record record;
	enum record_status status;
	size_t len;
	char *data = read_whole_file(path, &len);

	record_scan_init(&scan, data, len);
	while ((status = record_scan_next(&scan, &record)) == RECORD_OK) {
		if (record.type == RECORD_EVENT || record.type == RECORD_EVENT_AT)
			note_event(contents, &record);
		contents->alerts += record.type == RECORD_ALERT;
	}
	contents->torn_or_corrupt += status != RECORD_END;
	free(data);
}

static void read_journal(const char *state_dir, struct journal_contents *contents)
{
	char dir_path[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *entry;
	DIR *dir;

	memset(contents, 0, sizeof *contents);
	contents->first_index = UINT64_MAX;
	snprintf(dir_path, sizeof dir_path, "%s/journal", state_dir);
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((entry = readdir(dir))) {
		size_t len = strlen(entry->d_name);
		uint64_t first;

		if (len != 20 || strcmp(entry->d_name + 16, ".seg") != 0)
			continue;
		first = strtoull(entry->d_name, NULL, 16);
		if (first < contents->first_index)
			contents->first_index = first;
		snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
		read_segment(contents, path);
		contents->segments++;
	}
	closedir(dir);
}

/* Every line acknowledged is in the journal. */
static void expect_acked_in_journal(const struct harness *h, uint64_t acked)
{
	struct journal_contents contents;

	read_journal(h->state_dir, &contents);
	for (uint64_t seq = 1; seq <= acked; seq++)
		if (!contents.seq_seen[SOURCE_SINGLE][seq]) {
			fprintf(stderr, "acknowledged line %" PRIu64 " is not in the journal\n",
				seq);
			fail();
		}
}

/* --- the daemon -------------------------------------------------------------------------- */

struct fixture {
	struct harness harness;
	struct sender sender;
	struct sender pair[2]; /* test_two_senders_kill_9's */
	struct console console;
	char sync_log[PATH_MAX]; /* test_two_senders_kill_9's: cadmon-synclog's sizes */
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->sender.fd = -1;
	f->pair[0].fd = f->pair[1].fd = -1;
	f->console.fd = -1;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	sender_close(&f->sender);
	sender_close(&f->pair[0]);
	sender_close(&f->pair[1]);
	console_free(&f->console);
	harness_cleanup(&f->harness);
	if (f->sync_log[0])
		unlink(f->sync_log);
	free(f);
	return 0;
}

/* The damage tests again with the test, and so cadmond (the affinity is inherited), held to
 * one CPU: recovery (RECOVERY_READER_AUTO) reads the journal on the main thread there, on a
 * reader thread of its own otherwise: both must name, count and settle the damage alike. */
static cpu_set_t all_cpus;

static int fixture_setup_one_cpu(void **state)
{
	cpu_set_t one;

	if (sched_getaffinity(0, sizeof all_cpus, &all_cpus) < 0)
		return -1;
	CPU_ZERO(&one);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all_cpus)) {
			CPU_SET(cpu, &one);
			break;
		}
	if (sched_setaffinity(0, sizeof one, &one) < 0)
		return -1;
	return fixture_setup(state);
}

static int fixture_teardown_one_cpu(void **state)
{
	int rc = fixture_teardown(state);

	return sched_setaffinity(0, sizeof all_cpus, &all_cpus) < 0 ? -1 : rc;
}

#define ONE_CPU(test)                                                                      \
	{ #test "_one_cpu", test, fixture_setup_one_cpu, fixture_teardown_one_cpu, NULL }

/* kill -9, and wait for it. */
static void crash(struct harness *h)
{
	assert_true(h->pid > 0);
	assert_int_equal(kill(h->pid, SIGKILL), 0);
	assert_int_equal(waitpid(h->pid, NULL, 0), h->pid);
	h->pid = 0;
}

/* After a crash: what the console had is kept; both reconnect to a restarted daemon. */
static void restart(struct fixture *f, const struct harness_options *options)
{
	console_drain(&f->console, READ_TIMEOUT_MS); /* up to the end of the stream */
	console_close(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_start(&f->harness, options), 0);
	console_connect(&f->console, &f->harness);
	sender_connect(&f->sender, &f->harness);
}

/* Read alerts until the console has seq `seq` (or waited READ_TIMEOUT_MS for the next line),
 * then until quiet_ms pass without one: a quiet pause alone can end early on a loaded machine. */
static void console_drain_to(struct console *console, uint64_t seq, int quiet_ms)
{
	char line[LINE_MAX_BYTES];
	ssize_t len = 0;

	while (console->last_seq < seq &&
	       (len = harness_read_line(console->fd, line, sizeof line, READ_TIMEOUT_MS)) >= 0)
		console_take(console, line);
	if (len >= 0)
		console_drain(console, quiet_ms);
}

static size_t reference_count;

/* Send the rest of the stream, wait for every line to be acknowledged and for the alerts: at
 * least the reference run's (once it is known; it is computed with a longer quiet pause). */
static void finish_stream(struct fixture *f)
{
	assert_true(sender_send(&f->sender, stream.count));
	assert_true(sender_wait_acked(&f->sender, stream.count, ACK_TIMEOUT_MS));
	console_drain_to(&f->console, reference_count, reference_count ? QUIET_MS : 4 * QUIET_MS);
}

/* The events count of the "stopped: ..." line. */
static uint64_t stopped_events(const struct harness *h)
{
	char *text = harness_stderr(h), *at;
	uint64_t events = 0;

	assert_non_null(text);
	at = strstr(text, "cadmond: stopped: ");
	assert_non_null(at);
	at = strstr(at, " lines, ");
	assert_non_null(at);
	events = strtoull(at + 8, NULL, 10);
	free(text);
	return events;
}

/* The alerts of one uninterrupted run, computed once. */
static struct console reference;
static uint64_t reference_events;
static struct console pair_reference; /* test_two_senders_kill_9's, computed there */

static void compute_reference(void)
{
	struct fixture f = { .sender.fd = -1, .console.fd = -1 };

	if (reference_count > 0)
		return;
	build_stream();
	assert_int_equal(harness_start(&f.harness, &default_options), 0);
	console_connect(&f.console, &f.harness);
	sender_connect(&f.sender, &f.harness);
	finish_stream(&f);
	sender_close(&f.sender);
	assert_int_equal(harness_stop(&f.harness), 0);
	reference_events = stopped_events(&f.harness);
	assert_int_equal(reference_events, stream.count);
	assert_int_equal(f.console.duplicates, 0);
	reference = f.console;
	reference_count = f.console.received;
	assert_true(reference_count >= 20);
	assert_int_equal(reference.last_seq, reference_count);
	console_close(&reference);
	harness_cleanup(&f.harness);
}

/* The console got exactly the alerts of want (an uninterrupted run), each once. */
static void expect_alerts_of(const struct console *console, const struct console *want)
{
	assert_int_equal(console->duplicates, 0);
	assert_int_equal(console->received, want->received);
	for (size_t seq = 1; seq <= want->received; seq++) {
		assert_non_null(console->alerts[seq]);
		assert_string_equal(console->alerts[seq], want->alerts[seq]);
	}
}

/* The console got exactly the reference alerts, each once. */
static void expect_reference_alerts(const struct console *console)
{
	expect_alerts_of(console, &reference);
}

/* line without its "seq":N field. */
static void without_seq(const char *line, char *out, size_t size)
{
	const char *at = strstr(line, "\"seq\":"), *end = at ? strchr(at, ',') : NULL;

	assert_non_null(end);
	snprintf(out, size, "%.*s%s", (int)(at - line), line, end + 1);
}

/* The console got the reference alerts, each once and in order, and the journal_degraded
 * system alert of the degraded period (firing, then resolved) in the same seq sequence. */
static void expect_reference_alerts_and_journal_alert(const struct console *console)
{
	char got[LINE_MAX_BYTES], want[LINE_MAX_BYTES];
	size_t next = 1, firing = 0, resolved = 0;

	assert_int_equal(console->duplicates, 0);
	for (uint64_t seq = 1; seq <= console->last_seq; seq++) {
		const char *line = console->alerts[seq];
		assert_non_null(line);
		if (strstr(line, "\"type\":\"system\",\"system\":\"journal_degraded\"")) {
			firing += strstr(line, "{\"alert\":\"firing\",") == line;
			resolved += strstr(line, "{\"alert\":\"resolved\",") == line;
			continue;
		}
		assert_true(next <= reference_count);
		without_seq(line, got, sizeof got);
		without_seq(reference.alerts[next++], want, sizeof want);
		assert_string_equal(got, want);
	}
	assert_int_equal(next - 1, reference_count);
	assert_int_equal(firing, 1);
	assert_int_equal(resolved, 1);
}

static int group_setup(void **state)
{
	(void)state;
	compute_reference();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	console_free(&reference);
	console_free(&pair_reference);
	free_stream();
	return 0;
}

/* --- tests ----------------------------------------------------------------------------- */

/* SIGKILL three times: mid-stream with lines unacknowledged, right after a restart, and
 * later on. Acknowledged lines are always in the journal; the console, reconnecting with
 * since, gets exactly the uninterrupted run's alerts, each once; the events count matches. */
static void test_kill_9_while_streaming_loses_nothing(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;

	assert_int_equal(harness_start(h, &default_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);

	assert_true(sender_send(&f->sender, 900));
	assert_true(sender_wait_acked(&f->sender, 300, ACK_TIMEOUT_MS));
	crash(h);
	assert_true(f->sender.acked < 900 || f->sender.acked == 900);
	expect_acked_in_journal(h, f->sender.acked);

	restart(f, &default_options); /* the sender resends from its ack... */
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	assert_true(sender_send(&f->sender, 1100));
	crash(h); /* ...and is cut off at once, whatever was processed */
	expect_acked_in_journal(h, f->sender.acked);

	restart(f, &default_options); /* killed at once after a start: its segment is empty */
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	assert_true(sender_send(&f->sender, 2200));
	assert_true(sender_wait_acked(&f->sender, 1500, ACK_TIMEOUT_MS));
	crash(h);
	expect_acked_in_journal(h, f->sender.acked);

	restart(f, &default_options);
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	finish_stream(f);
	expect_acked_in_journal(h, stream.count);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), reference_events);
	expect_no_log(h, "are missing before"); /* crashes leave no gap in record numbers */
}

/* --- two senders, killed mid-stream -------------------------------------------------------- */

/* Both sources are waited for however long a restart takes, and however far one is ahead of
 * the other: with the default 2 s and 900 s, a slow restart could leave one stale, or the
 * senders' kill points leave one far behind; the other's events would go past it, its own
 * come late, and the alerts depend on the interleaving (as test_time's rounds found). */
#define PAIR_FEED_YAML "  source_idle_seconds: 86400\n"
#define PAIR_YAML DETECTOR_YAML "tracker:\n  max_source_lag_seconds: 86400\n"

static const struct harness_options pair_options = { .feed_yaml = PAIR_FEED_YAML,
						     .extra_yaml = PAIR_YAML };

/* The same with acks held for an fsync every 4 s: lines written and not yet acknowledged when
 * the kill comes, for certain; their resends must be recognized as duplicates. */
static const struct harness_options pair_interval_options = {
	.feed_yaml = PAIR_FEED_YAML,
	.extra_yaml = PAIR_YAML "journal:\n"
				"  fsync: interval\n"
				"  fsync_interval_ms: 4000\n",
};

/* Both senders connected, and their hellos taken: at the first start, lines of one read
 * before the other's hello would move the center clock past the other (its lines then late). */
static void pair_connect(struct sender pair[2], const struct harness *h)
{
	char said[64];

	for (unsigned k = 0; k < 2; k++) {
		pair[k].lines = &pair_streams[k];
		pair[k].source = source_names[SOURCE_PAIR_A + k];
		sender_connect(&pair[k], h);
	}
	for (unsigned k = 0; k < 2; k++) {
		snprintf(said, sizeof said, ": source %s\n", pair[k].source);
		assert_true(harness_wait_for_log(h, said, READ_TIMEOUT_MS));
	}
}

/* Send each sender's lines up to upto[k], interleaved in runs of 1 to 48 lines (whose and how
 * long from random); false if the daemon went away. */
static bool pair_send(struct sender pair[2], const size_t upto[2], uint64_t *random)
{
	while (pair[0].next < upto[0] || pair[1].next < upto[1]) {
		unsigned k = (unsigned)(next_random(random) % 2);
		size_t run = 1 + (size_t)(next_random(random) % 48);

		if (pair[k].next >= upto[k])
			k = 1 - k;
		if (!sender_send(&pair[k], pair[k].next + run < upto[k] ? pair[k].next + run
									  : upto[k]))
			return false;
	}
	return true;
}

static void pair_wait_acked(struct sender pair[2], const size_t seq[2])
{
	for (unsigned k = 0; k < 2; k++)
		assert_true(sender_wait_acked(&pair[k], seq[k], ACK_TIMEOUT_MS));
}

/* The journal of a killed cadmond: each source's lines there are its first highest[k], none
 * beyond, and every line acknowledged to either sender is among them. */
static void expect_pair_journal(const struct harness *h, const struct sender pair[2],
				uint64_t highest[2])
{
	struct journal_contents contents;

	read_journal(h->state_dir, &contents);
	for (unsigned k = 0; k < 2; k++) {
		const bool *seen = contents.seq_seen[SOURCE_PAIR_A + k];
		size_t count = pair[k].lines->count, first = 0;

		while (first < count && seen[first + 1])
			first++;
		for (size_t seq = first + 1; seq <= count; seq++)
			if (seen[seq])
				fail_msg("%s: line %zu journaled, line %zu missing", pair[k].source,
					 seq, first + 1);
		if (first < pair[k].acked)
			fail_msg("%s: acknowledged line %" PRIu64 " is not in the journal",
				 pair[k].source, pair[k].acked);
		highest[k] = first;
	}
}

/* Restarted after a kill: each sender resends from its last ack (acked[k] then) what it had
 * sent (sent[k] lines); its ack counts as duplicates exactly the lines the journal had
 * beyond that ack (up to highest[k]), and covers every resent line. */
static void expect_pair_resend(struct sender pair[2], const size_t sent[2],
			       const uint64_t acked[2], const uint64_t highest[2],
			       uint64_t *random)
{
	assert_true(pair_send(pair, sent, random));
	pair_wait_acked(pair, sent);
	for (unsigned k = 0; k < 2; k++)
		assert_int_equal(pair[k].duplicates, highest[k] - acked[k]);
}

/* cadmond started with cadmon-synclog ($CADMON_SYNCLOG) preloaded, logging to f->sync_log. */
static void pair_start(struct fixture *f, const struct harness_options *options)
{
	const char *synclog = getenv("CADMON_SYNCLOG"), *asan = getenv("ASAN_OPTIONS");
	char preload[PATH_MAX + 16], log_path[PATH_MAX + 32], asan_options[1024];
	const char *environment[] = { preload, log_path, asan_options, NULL };

	if (!synclog)
		fail_msg("CADMON_SYNCLOG: the path of libcadmon-synclog.so (meson test sets it)");
	if (!f->sync_log[0])
		assert_int_equal(harness_temp_file("synclog", f->sync_log), 0);
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s", synclog);
	snprintf(log_path, sizeof log_path, "CADMON_SYNC_LOG=%s", f->sync_log);
	/* Under ASan the preloaded module comes before its runtime: allowed, it intercepts
	 * nothing of ASan's. */
	snprintf(asan_options, sizeof asan_options, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
		 asan ? asan : "", asan && asan[0] ? ":" : "");
	assert_int_equal(harness_start_with_environment(&f->harness, options, environment), 0);
}

/* A power loss at the kill: each segment cut back to its size at its last fsync
 * (cadmon-synclog's log; a segment never synced to nothing). */
static void lose_unsynced(const struct fixture *f)
{
	char *log = harness_read_file(f->sync_log), *line, *next, *space;
	char dir_path[PATH_MAX + 16], path[PATH_MAX + 300], synced_name[64];
	long long size, synced_size;
	struct dirent *entry;
	struct stat st;
	DIR *dir;

	assert_non_null(log);
	snprintf(dir_path, sizeof dir_path, "%s/journal", f->harness.state_dir);
	assert_non_null(dir = opendir(dir_path));
	while ((entry = readdir(dir))) {
		if (strlen(entry->d_name) != 20 || strcmp(entry->d_name + 16, ".seg") != 0)
			continue;
		synced_size = 0;
		for (line = log; *line; line = next) {
			next = strchr(line, '\n');
			assert_non_null(next);
			*next++ = '\0';
			space = strchr(line, ' ');
			assert_non_null(space);
			snprintf(synced_name, sizeof synced_name, "%.*s", (int)(space - line),
				 line);
			size = strtoll(space + 1, NULL, 10);
			if (strcmp(synced_name, entry->d_name) == 0)
				synced_size = size;
			next[-1] = '\n';
		}
		snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (st.st_size > synced_size)
			assert_int_equal(truncate(path, synced_size), 0);
	}
	closedir(dir);
	free(log);
}

/* A kill: what each sender had sent and had acknowledged, and what the journal kept. */
struct pair_kill {
	size_t sent[2];
	uint64_t acked[2];
	uint64_t highest[2];
};

/* The daemon stopped (SIGSTOP) first, every ack it had sent read, then killed (and with
 * power_loss, what it had not fsynced lost): the senders hold every ack a sender could have
 * seen before the crash; what each had sent and had acknowledged, and what the journal kept,
 * in kill_point. */
static void pair_crash(struct fixture *f, struct pair_kill *kill_point, bool power_loss)
{
	assert_int_equal(harness_pause(&f->harness), 0);
	for (unsigned k = 0; k < 2; k++)
		for (uint64_t before = UINT64_MAX; before != f->pair[k].acked;) {
			before = f->pair[k].acked;
			sender_read_acks(&f->pair[k], 20);
		}
	crash(&f->harness);
	if (power_loss)
		lose_unsynced(f);
	for (unsigned k = 0; k < 2; k++) {
		kill_point->sent[k] = f->pair[k].next;
		kill_point->acked[k] = f->pair[k].acked;
	}
	expect_pair_journal(&f->harness, f->pair, kill_point->highest);
}

/* After a kill: the console keeps what it had, both senders and it reconnect to a restarted
 * cadmond, and the senders' resends are checked (expect_pair_resend). */
static void pair_restart(struct fixture *f, const struct harness_options *options,
			 const struct pair_kill *kill_point, uint64_t *random)
{
	console_drain(&f->console, READ_TIMEOUT_MS);
	console_close(&f->console);
	sender_close(&f->pair[0]);
	sender_close(&f->pair[1]);
	pair_start(f, options);
	console_connect(&f->console, &f->harness);
	pair_connect(f->pair, &f->harness);
	expect_no_log(&f->harness, NEXT_SEGMENT_MISSING);
	expect_pair_resend(f->pair, kill_point->sent, kill_point->acked, kill_point->highest,
			   random);
}

/* Every line of both senders acknowledged, the console drained. */
static void pair_finish(struct fixture *f, uint64_t *random)
{
	const size_t all[2] = { pair_streams[0].count, pair_streams[1].count };

	assert_true(pair_send(f->pair, all, random));
	pair_wait_acked(f->pair, all);
	console_drain(&f->console, QUIET_MS);
}

/* Both streams sent at once without a kill: pair_reference. */
static void compute_pair_reference(void)
{
	struct fixture f = { .pair[0].fd = -1, .pair[1].fd = -1, .console.fd = -1 };
	uint64_t random = 1;

	build_pair_stream(0);
	build_pair_stream(1);
	assert_int_equal(harness_start(&f.harness, &pair_options), 0);
	console_connect(&f.console, &f.harness);
	pair_connect(f.pair, &f.harness);
	pair_finish(&f, &random);
	sender_close(&f.pair[0]);
	sender_close(&f.pair[1]);
	assert_int_equal(harness_stop(&f.harness), 0);
	assert_int_equal(stopped_events(&f.harness), 4 * PAIR_CALLS);
	assert_int_equal(f.console.duplicates, 0);
	assert_true(f.console.received >= 20);
	assert_int_equal(f.console.last_seq, f.console.received);
	pair_reference = f.console;
	console_close(&pair_reference);
	harness_cleanup(&f.harness);
}

/*
 * Two senders (cad-a, cad-b), each numbering its own lines, interleaved on two connections,
 * SIGKILL four times: mid-stream with lines unacknowledged; at once after a restart, the
 * resends in flight; with acks held by a 4 s fsync interval, lines written and not
 * acknowledged (their resends must be duplicates); and again mid-stream. The first, second
 * and fourth kills are power losses too: each segment cut back to what its last fsync covered
 * (cadmon-synclog), so that an ack sent before its fsync loses a line. After each kill every
 * line acknowledged to either sender is in the journal; after each restart each sender's
 * resend from its last ack has exactly the journaled lines beyond it counted as duplicates.
 * At the end every line was processed once (the events count) and the console, reconnecting
 * with since, got the uninterrupted run's alerts, each once.
 */
static void test_two_senders_kill_9(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	struct pair_kill kill_point;
	uint64_t random = 2;

	compute_pair_reference();
	pair_start(f, &pair_options);
	console_connect(&f->console, h);
	pair_connect(f->pair, h);

	/* 1: mid-stream, some lines acknowledged, the newest in flight. */
	assert_true(pair_send(f->pair, (size_t[2]){ 700, 500 }, &random));
	pair_wait_acked(f->pair, (size_t[2]){ 400, 300 });
	assert_true(pair_send(f->pair, (size_t[2]){ 800, 650 }, &random));
	pair_crash(f, &kill_point, true);

	/* 2: at once after the restart, the resends checked and new lines in flight. */
	pair_restart(f, &pair_options, &kill_point, &random);
	assert_true(pair_send(f->pair, (size_t[2]){ 1100, 1300 }, &random));
	pair_crash(f, &kill_point, true);

	/* 3: lines written, their acks held by the fsync interval: resent, they are duplicates. */
	pair_restart(f, &pair_interval_options, &kill_point, &random);
	assert_true(pair_send(f->pair, (size_t[2]){ 1400, 1500 }, &random));
	for (int64_t deadline = harness_now_ms() + READ_TIMEOUT_MS;
	     harness_now_ms() < deadline;) {
		expect_pair_journal(h, f->pair, kill_point.highest);
		if (kill_point.highest[0] == 1400 && kill_point.highest[1] == 1500)
			break;
		usleep(20000);
	}
	assert_true(f->pair[0].acked < 1400 && f->pair[1].acked < 1500);
	pair_crash(f, &kill_point, false);
	assert_int_equal(kill_point.highest[0], 1400);
	assert_int_equal(kill_point.highest[1], 1500);

	/* 4: mid-stream again, after those duplicates. */
	pair_restart(f, &pair_options, &kill_point, &random);
	assert_true(pair_send(f->pair, (size_t[2]){ 1900, 1700 }, &random));
	pair_wait_acked(f->pair, (size_t[2]){ 1600, 1600 });
	assert_true(pair_send(f->pair, (size_t[2]){ 1950, 1900 }, &random));
	pair_crash(f, &kill_point, true);

	pair_restart(f, &pair_options, &kill_point, &random);
	pair_finish(f, &random);
	expect_alerts_of(&f->console, &pair_reference);
	sender_close(&f->pair[0]);
	sender_close(&f->pair[1]);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), 4 * PAIR_CALLS);
	expect_no_log(h, "are missing before");
}

/* Truncate the last segment in the middle of its last record while cadmond is stopped: the
 * next start counts the torn record, cuts it off, and (the sender resending everything) the
 * alerts are those of the uninterrupted run. */
static void test_torn_last_record_is_truncated(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	struct journal_contents contents;
	char path[PATH_MAX + 64];
	struct stat st;

	assert_int_equal(harness_start(h, &default_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1000));
	assert_true(sender_wait_acked(&f->sender, 1000, ACK_TIMEOUT_MS));
	console_drain(&f->console, QUIET_MS);
	crash(h);

	snprintf(path, sizeof path, "%s/journal/0000000000000001.seg", h->state_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 10), 0);
	read_journal(h->state_dir, &contents);
	assert_int_equal(contents.torn_or_corrupt, 1);

	f->sender.acked = 0; /* a real sender never got that ack: here, resend everything */
	restart(f, &default_options);
	expect_log(&f->harness, "/journal/0000000000000001.seg: torn record at byte ");
	expect_log(&f->harness, " 1 torn records, 0 corrupt segments, 0 corrupt snapshots, 0 "
				"snapshots of another format\n");
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	expect_no_log(h, "the state is incomplete"); /* those lines were never acknowledged */
	read_journal(h->state_dir, &contents);
	assert_int_equal(contents.torn_or_corrupt, 0);
	finish_stream(f);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), reference_events);
}

/* Flip one byte in the middle of a segment: it is set aside as *.corrupt, what verifies in it
 * is used, and cadmond runs on; the next start finds nothing wrong. */
static void test_corrupt_record_quarantines_segment(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char path[PATH_MAX + 64];
	unsigned char byte;
	int fd;

	assert_int_equal(harness_start(h, &default_options), 0);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1000));
	assert_true(sender_wait_acked(&f->sender, 1000, ACK_TIMEOUT_MS));
	crash(h);

	snprintf(path, sizeof path, "%s/journal/0000000000000001.seg", h->state_dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 50000), 1);
	byte ^= 0x20;
	assert_int_equal(pwrite(fd, &byte, 1, 50000), 1);
	close(fd);

	sender_close(&f->sender);
	assert_int_equal(harness_start(h, &default_options), 0);
	expect_log(&f->harness, "/journal/0000000000000001.seg: corrupt record at byte ");
	expect_log(&f->harness,
		   "/journal/0000000000000001.seg: set aside as 0000000000000001.seg.corrupt\n");
	expect_log(&f->harness, " 0 torn records, 1 corrupt segments, 0 corrupt snapshots, 0 "
				"snapshots of another format\n");
	strcat(path, ".corrupt");
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(harness_stop(h), 0);

	assert_int_equal(harness_start(h, &default_options), 0);
	expect_log(&f->harness, "cadmond: recovery: snapshot ");
	expect_log(&f->harness, " 0 torn records, 0 corrupt segments, 0 corrupt snapshots, 0 "
				"snapshots of another format\n");
	expect_no_log(h, NEXT_SEGMENT_MISSING); /* after a clean stop */
	assert_int_equal(harness_stop(h), 0);
}

/* The newest name matching "snapshot-*.snap" in dir, into name. */
static void newest_snapshot(const char *state_dir, char *name, size_t size)
{
	struct dirent *entry;
	DIR *dir = opendir(state_dir);

	assert_non_null(dir);
	name[0] = '\0';
	while ((entry = readdir(dir)))
		if (strncmp(entry->d_name, "snapshot-", 9) == 0 && strlen(entry->d_name) == 30 &&
		    strcmp(entry->d_name, name) > 0)
			snprintf(name, size, "%s", entry->d_name);
	closedir(dir);
	assert_true(name[0] != '\0');
}

/* A damaged newest snapshot is set aside and the one before it used, with the journal after
 * it: the alerts are still exactly those of the uninterrupted run. */
static void test_corrupt_snapshot_falls_back(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char name[64], path[PATH_MAX + 128];
	unsigned char byte;
	int fd;

	assert_int_equal(harness_start(h, &default_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1200));
	assert_true(sender_wait_acked(&f->sender, 1200, ACK_TIMEOUT_MS));
	sender_close(&f->sender);
	console_drain(&f->console, QUIET_MS);
	console_close(&f->console);
	assert_int_equal(harness_stop(h), 0); /* a clean stop writes a snapshot */

	newest_snapshot(h->state_dir, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", h->state_dir, name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 1000), 1);
	byte ^= 0x01;
	assert_int_equal(pwrite(fd, &byte, 1, 1000), 1);
	close(fd);

	restart(f, &default_options);
	expect_log(&f->harness, ": snapshot checksum mismatch: set aside as ");
	expect_log(&f->harness, " 0 torn records, 0 corrupt segments, 1 corrupt snapshots, 0 "
				"snapshots of another format\n");
	strcat(path, ".corrupt");
	assert_int_equal(access(path, F_OK), 0);
	finish_stream(f);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), reference_events);
}

/* Make every snapshot in state_dir look like one of format 1 (an earlier cadmond's); returns
 * how many there were. */
static int age_snapshots(const char *state_dir)
{
	char path[PATH_MAX + 128];
	struct dirent *entry;
	DIR *dir = opendir(state_dir);
	int count = 0;

	assert_non_null(dir);
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, "snapshot-", 9) != 0 || strlen(entry->d_name) != 30)
			continue;
		snprintf(path, sizeof path, "%s/%s", state_dir, entry->d_name);
		int fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, "CADMSNP1", 8, 0), 8);
		close(fd);
		count++;
	}
	closedir(dir);
	return count;
}

/* After an upgrade the snapshots on disk are of a format this cadmond does not read: they are
 * named as such and left in place (not set aside as damaged), the journal is replayed from
 * its start instead, and the alerts are exactly those of the uninterrupted run, their seq
 * going on where the journal's left off. */
static void test_snapshot_of_another_format_replays_journal(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char name[64], path[PATH_MAX + 128], expected[PATH_MAX + 256], summary[160];

	assert_int_equal(harness_start(h, &default_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1200));
	assert_true(sender_wait_acked(&f->sender, 1200, ACK_TIMEOUT_MS));
	sender_close(&f->sender);
	console_drain(&f->console, QUIET_MS);
	console_close(&f->console);
	assert_int_equal(harness_stop(h), 0);

	newest_snapshot(h->state_dir, name, sizeof name);
	int aged = age_snapshots(h->state_dir);
	assert_true(aged >= 1);
	restart(f, &default_options);
	snprintf(expected, sizeof expected,
		 "%s/%s: snapshot format 1, this cadmond reads 13 to 18: replaying the journal "
		 "instead\n",
		 h->state_dir, name);
	expect_log(h, expected);
	snprintf(summary, sizeof summary, "recovery: no snapshot + ");
	expect_log(h, summary);
	snprintf(summary, sizeof summary, " 0 corrupt snapshots, %d snapshots of another format\n",
		 aged);
	expect_log(h, summary);
	snprintf(path, sizeof path, "%s/%s", h->state_dir, name);
	assert_int_equal(access(path, F_OK), 0);
	finish_stream(f);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), reference_events);
}

/* A console that saw alerts up to some seq before the crash asks for the rest: it gets them
 * in order, then the live stream, no gap and no repeat at the seam. */
static void test_since_replays_across_restart(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	struct console late = { .fd = -1 };
	uint64_t seen;

	assert_int_equal(harness_start(h, &default_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1600));
	assert_true(sender_wait_acked(&f->sender, 1600, ACK_TIMEOUT_MS));
	console_drain(&f->console, QUIET_MS);
	seen = f->console.last_seq;
	assert_true(seen >= 10);
	crash(h);

	/* A console that had seen only half reconnects after the restart. */
	late.last_seq = seen / 2;
	for (uint64_t seq = 1; seq <= late.last_seq; seq++)
		late.alerts[seq] = strdup(reference.alerts[seq]);
	late.received = late.last_seq;
	restart(f, &default_options);
	console_connect(&late, h);
	console_drain(&late, QUIET_MS);
	assert_int_equal(late.last_seq, seen);
	assert_int_equal(late.notice[0], '\0');
	finish_stream(f);
	console_drain(&late, QUIET_MS);
	expect_reference_alerts(&late);
	expect_reference_alerts(&f->console);
	console_free(&late);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
}

/* Small segments and the shortest retention: old segments and snapshots go, every event a
 * window (or a late event) may still need stays on disk, a console asking for history older
 * than what is kept is told so, and a crash still recovers the uninterrupted run's alerts. */
static void test_retention_keeps_what_windows_need(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	struct console old = { .fd = -1 };
	struct journal_contents contents;
	int64_t horizon_ms = stream.ts_ms[stream.count - 1];
	char expected[128];

	assert_int_equal(harness_start(h, &small_segment_options), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 2000));
	assert_true(sender_wait_acked(&f->sender, 2000, ACK_TIMEOUT_MS));
	crash(h);
	restart(f, &small_segment_options);
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	finish_stream(f);
	expect_reference_alerts(&f->console);

	for (size_t i = 0; i < stream.count; i++)
		if (stream.ts_ms[i] > horizon_ms)
			horizon_ms = stream.ts_ms[i];
	horizon_ms -= 1200 * 1000; /* the watermark minus retention_seconds */
	read_journal(h->state_dir, &contents);
	assert_true(contents.first_index > 1); /* something was deleted */
	assert_true(contents.segments >= 2);
	for (size_t i = 0; i < stream.count; i++)
		if (stream.ts_ms[i] >= horizon_ms && !contents.seq_seen[SOURCE_SINGLE][i + 1]) {
			fprintf(stderr, "line %zu (ts %" PRId64 ") is needed but not on disk\n",
				i + 1, stream.ts_ms[i]);
			fail();
		}

	console_connect(&old, h); /* since 0: the oldest alerts are gone */
	console_drain(&old, QUIET_MS);
	assert_true(old.received > 0 && old.received < reference_count);
	snprintf(expected, sizeof expected,
		 "{\"notice\":\"alerts before seq %" PRIu64 " are no longer retained\"}",
		 reference_count - old.received + 1);
	assert_string_equal(old.notice, expected);
	console_free(&old);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
}

static void set_file_size_limit(pid_t pid, rlim_t bytes)
{
	struct rlimit limit = { .rlim_cur = bytes, .rlim_max = RLIM_INFINITY };

	assert_int_equal(prlimit(pid, RLIMIT_FSIZE, &limit, NULL), 0);
}

/* Start cadmond, connect the console and the sender, and stream the first lines, all of them
 * acknowledged and their alerts read. */
static void start_streaming(struct fixture *f, uint64_t lines)
{
	assert_int_equal(harness_start(&f->harness, &default_options), 0);
	console_connect(&f->console, &f->harness);
	sender_connect(&f->sender, &f->harness);
	assert_true(sender_send(&f->sender, lines));
	assert_true(sender_wait_acked(&f->sender, lines, ACK_TIMEOUT_MS));
	console_drain(&f->console, QUIET_MS);
}

/* After a degraded period and a kill -9: restarted cleanly (nothing torn or missing), the
 * stream finished and stopped; the console has the reference alerts and the journal_degraded
 * alert, firing then resolved (before the crash, or by the restarted cadmond, whose engine
 * recovered the open alert). */
static void finish_after_degraded_period(struct fixture *f)
{
	struct harness *h = &f->harness;

	restart(f, &default_options);
	expect_log(h, " 0 torn records, 0 corrupt segments, 0 corrupt snapshots, 0 "
		      "snapshots of another format\n");
	expect_no_log(h, NEXT_SEGMENT_MISSING); /* nor the snapshot that ended the period */
	finish_stream(f);
	expect_log(h, "journal_degraded resolved (critical): the journal is written again");
	console_drain(&f->console, QUIET_MS);
	expect_reference_alerts_and_journal_alert(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	expect_no_log(h, "are missing before"); /* nor does a degraded period */
}

/* A full disk (RLIMIT_FSIZE below the segment and any snapshot): cadmond is degraded, stops
 * acknowledging, still delivers alerts; when the limit is lifted it recovers by itself (a
 * snapshot of what it processed meanwhile, a new segment) and acknowledges everything. A
 * crash right after that still gives exactly the reference alerts. */
static void test_full_disk_degrades_and_recovers(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	uint64_t alerts_before;

	start_streaming(f, 400);
	alerts_before = f->console.last_seq;

	set_file_size_limit(h->pid, FULL_DISK_LIMIT_BYTES);
	assert_true(sender_send(&f->sender, 1400));
	expect_log(&f->harness, ": File too large: degraded: events are no longer acknowledged");
	assert_false(sender_wait_acked(&f->sender, 401, 2500));
	console_drain(&f->console, QUIET_MS);
	assert_true(f->console.last_seq > alerts_before); /* alerts from memory */
	expect_log(&f->harness, "cadmond: warning: journal: still degraded: File too large\n");

	set_file_size_limit(h->pid, RLIM_INFINITY);
	assert_true(sender_wait_acked(&f->sender, 1400, ACK_TIMEOUT_MS));
	expect_log(&f->harness, "cadmond: journal: writable again after ");
	expect_acked_in_journal(h, 400);
	console_drain(&f->console, QUIET_MS);
	crash(h);
	finish_after_degraded_period(f);
}

/* How many times needle is in cadmond's log. */
static unsigned log_count(const struct harness *h, const char *needle)
{
	char *text = harness_stderr(h);
	unsigned count = 0;

	assert_non_null(text);
	for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
		count++;
	free(text);
	return count;
}

/* The state directory deleted (`rm -rf`) under a running cadmond mid-stream: degraded (no
 * ack), then, at the retry, made again and locked (a second cadmond is refused), a snapshot of
 * everything in memory and a new segment written into it, and acknowledging again; each step
 * logged once. A kill -9 after that restarts from the new directory: the stream finished, the
 * console has exactly the uninterrupted run's alerts, and journal_degraded firing, resolved. */
static void test_deleted_state_directory_recovers(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness, second = { 0 };
	char expected[2 * PATH_MAX + 128];

	start_streaming(f, 400);
	assert_int_equal(harness_remove_tree(h->state_dir), 0);
	assert_true(sender_send(&f->sender, 1400));
	expect_log(h, ": No such file or directory: degraded: events are no longer acknowledged");
	snprintf(expected, sizeof expected,
		 "cadmond: error: journal: the state directory %s was deleted or moved away: "
		 "making it again\n",
		 h->state_dir);
	expect_log(h, expected);
	assert_true(sender_wait_acked(&f->sender, 1400, ACK_TIMEOUT_MS));
	expect_log(h, "cadmond: journal: writable again after ");
	assert_int_equal(log_count(h, expected), 1);
	snprintf(expected, sizeof expected,
		 "cadmond: journal: the state directory %s made again and locked: writing the "
		 "state held in memory into it (a snapshot, then a new segment)\n",
		 h->state_dir);
	assert_int_equal(log_count(h, expected), 1);
	snprintf(second.state_dir, sizeof second.state_dir, "%s", h->state_dir);
	assert_int_equal(harness_start(&second, &default_options), -1); /* the lock is held */
	harness_cleanup(&second);
	console_drain(&f->console, QUIET_MS);
	crash(h);
	finish_after_degraded_period(f);
	assert_int_equal(stopped_events(h), reference_events);
}

/* Two cadmonds never share a state directory. */
static void test_second_daemon_on_the_same_directory_exits_3(void **state)
{
	struct fixture *f = *state;
	struct harness second = { 0 };
	char expected[PATH_MAX * 2 + 128];
	char *text;

	assert_int_equal(harness_start(&f->harness, &default_options), 0);
	snprintf(second.state_dir, sizeof second.state_dir, "%s", f->harness.state_dir);
	assert_int_equal(harness_start(&second, &default_options), -1); /* it exited */
	assert_int_equal(second.pid, 0);
	text = harness_stderr(&second);
	snprintf(expected, sizeof expected,
		 "cadmond: error: state directory %s is in use by another cadmond (%s/lock is "
		 "locked)\n",
		 f->harness.state_dir, f->harness.state_dir);
	assert_non_null(text);
	assert_non_null(strstr(text, expected));
	free(text);
	harness_cleanup(&second);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Is there a snapshot newer than before (a name from newest_snapshot)? */
static bool snapshot_after(const char *state_dir, const char *before)
{
	struct dirent *entry;
	DIR *dir = opendir(state_dir);
	bool newer = false;

	assert_non_null(dir);
	while ((entry = readdir(dir)))
		newer |= strncmp(entry->d_name, "snapshot-", 9) == 0 &&
			 strlen(entry->d_name) == 30 && strcmp(entry->d_name, before) > 0;
	closedir(dir);
	return newer;
}

/* The state directories cadmond of the ten previous snapshot formats (17, main ec1f4cd; 16, main
 * d5c0e23; 15, main
 * 2cf49ea; 14, main 3a1ee43; 13, main 58892fd; 12, main 824d6c7; 11, main 2a66582; 10, main
 * 9780c8a; 9, main bf2f4d3; 8, main 03c9578..) left after the first UPGRADE_LINES lines of the
 * stream and a clean stop (tests/data/README.md). */
#define UPGRADE_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format17"
#define UPGRADE_FORMAT16_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format16"
#define UPGRADE_FORMAT15_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format15"
#define UPGRADE_FORMAT14_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format14"
#define UPGRADE_FORMAT13_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format13"
#define UPGRADE_FORMAT12_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format12"
#define UPGRADE_FORMAT11_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format11"
#define UPGRADE_FORMAT10_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format10"
#define UPGRADE_FORMAT9_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format9"
#define UPGRADE_FORMAT8_STATE_DIR CADMON_SOURCE_DIR "/tests/data/upgrade-format8"
#define UPGRADE_LINES 600
/* The oldest snapshot format this cadmond reads (ENGINE_SNAPSHOT_FORMAT_OLDEST): restored, not
 * replayed. */
#define UPGRADE_FORMAT_READ 13

static void run_shell(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void run_shell(const char *format, ...)
{
	char command[3 * PATH_MAX];
	va_list args;

	va_start(args, format);
	vsnprintf(command, sizeof command, format, args);
	va_end(args);
	assert_int_equal(system(command), 0);
}

/* Write the upgrade state directory with the cadmond of $CADMOND (a build of the previous
 * format) into $CADMON_WRITE_UPGRADE_STATE. */
static void write_upgrade_state(struct fixture *f, const char *out)
{
	struct harness *h = &f->harness;

	assert_int_equal(harness_start(h, &default_options), 0);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, UPGRADE_LINES));
	assert_true(sender_wait_acked(&f->sender, UPGRADE_LINES, ACK_TIMEOUT_MS));
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	run_shell("rm -rf '%s' && mkdir -p '%s' && cp -R '%s'/. '%s' && rm -f '%s'/lock '%s'/*.tmp",
		  out, out, h->state_dir, out, out, out);
}

/* An upgrade: the state directory dir of an older format is recovered by this cadmond (its
 * snapshot reported as of format, the journal replayed, the log says so; or, of a format it
 * still reads, its newest snapshot restored), and the alerts are exactly those of a straight
 * run of this build, same seq, same content, before and after. */
static void recover_upgrade_state(struct fixture *f, const char *dir, int format)
{
	struct harness *h = &f->harness;
	char reported[128], name[64];

	assert_int_equal(harness_temp_dir("state", h->state_dir), 0);
	h->own_state_dir = true;
	run_shell("cp -R '%s'/. '%s'", dir, h->state_dir);
	f->sender.acked = UPGRADE_LINES; /* the old cadmond acknowledged them */
	newest_snapshot(h->state_dir, name, sizeof name);
	assert_int_equal(harness_start(h, &default_options), 0);
	if (format >= UPGRADE_FORMAT_READ) {
		snprintf(reported, sizeof(reported), "recovery: snapshot %.16s + ", name + 9);
		expect_log(h, reported);
		expect_log(h, " 0 corrupt snapshots, 0 snapshots of another format\n");
	} else {
		snprintf(reported, sizeof(reported),
			 "snapshot format %d, this cadmond reads 13 to 18: replaying the journal "
			 "instead\n",
			 format);
		expect_log(h, reported);
		expect_log(h, "recovery: no snapshot + ");
	}
	console_connect(&f->console, h); /* {"since":0} */
	sender_connect(&f->sender, h);
	finish_stream(f);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_int_equal(stopped_events(h), reference_events);
}

/* The previous format's state directory (17, still read), or, with
 * $CADMON_WRITE_UPGRADE_STATE, written. */
static void test_upgrade_from_previous_format(void **state)
{
	struct fixture *f = *state;
	const char *out = getenv("CADMON_WRITE_UPGRADE_STATE");

	if (out)
		write_upgrade_state(f, out);
	else
		recover_upgrade_state(f, UPGRADE_STATE_DIR, 17);
}

/* The formats before it (16, 15, 14, 13): still read, restored from their snapshots too. */
static void test_upgrade_from_format16(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT16_STATE_DIR, 16);
}

static void test_upgrade_from_format15(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT15_STATE_DIR, 15);
}

static void test_upgrade_from_format14(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT14_STATE_DIR, 14);
}

static void test_upgrade_from_format13(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT13_STATE_DIR, 13);
}

/* The formats before it (12, 11, 10, 9, 8): recovered by replaying their journal. */
static void test_upgrade_from_format12(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT12_STATE_DIR, 12);
}

static void test_upgrade_from_format11(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT11_STATE_DIR, 11);
}

static void test_upgrade_from_format10(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT10_STATE_DIR, 10);
}

static void test_upgrade_from_format9(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT9_STATE_DIR, 9);
}

static void test_upgrade_from_format8(void **state)
{
	recover_upgrade_state(*state, UPGRADE_FORMAT8_STATE_DIR, 8);
}

/* The segments in state_dir/journal, by first record, into firsts (sorted); returns how many. */
static size_t list_segments(const char *state_dir, uint64_t *firsts, size_t max)
{
	char dir_path[PATH_MAX + 16];
	struct dirent *entry;
	size_t count = 0;
	DIR *dir;

	snprintf(dir_path, sizeof dir_path, "%s/journal", state_dir);
	assert_non_null(dir = opendir(dir_path));
	while ((entry = readdir(dir)))
		if (strlen(entry->d_name) == 20 && strcmp(entry->d_name + 16, ".seg") == 0 &&
		    count < max)
			firsts[count++] = strtoull(entry->d_name, NULL, 16);
	closedir(dir);
	for (size_t i = 1; i < count; i++)
		for (size_t j = i; j > 0 && firsts[j - 1] > firsts[j]; j--) {
			uint64_t t = firsts[j];
			firsts[j] = firsts[j - 1];
			firsts[j - 1] = t;
		}
	return count;
}

/* A segment deleted after the snapshot recovery starts from (here none is usable: all of
 * another format) leaves a gap in record numbers: recovery names it. */
static const struct harness_options small_segments_kept = {
	.extra_yaml = DETECTOR_YAML "journal:\n  segment_max_bytes: 65536\n",
};

/* 1,200 lines in small segments, every snapshot aged (of another format), the second segment
 * deleted: its records missing. The segments' first records in firsts (256). */
static void delete_second_segment(struct fixture *f, uint64_t *firsts)
{
	struct harness *h = &f->harness;
	char path[PATH_MAX + 128];

	assert_int_equal(harness_start(h, &small_segments_kept), 0);
	sender_connect(&f->sender, h);
	/* in steps acknowledged one by one: a journal commit covers what one loop iteration read,
	 * and a segment is closed between commits */
	for (size_t upto = 200; upto <= 1200; upto += 200) {
		assert_true(sender_send(&f->sender, upto));
		assert_true(sender_wait_acked(&f->sender, upto, ACK_TIMEOUT_MS));
	}
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
	assert_true(age_snapshots(h->state_dir) >= 1);
	size_t count = list_segments(h->state_dir, firsts, 256);
	assert_true(count >= 3);
	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", h->state_dir, firsts[1]);
	assert_int_equal(unlink(path), 0);
}

static void test_deleted_segment_gap_is_named(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char expected[PATH_MAX + 256];
	uint64_t firsts[256];

	delete_second_segment(f, firsts);
	assert_int_equal(harness_start(h, &small_segments_kept), 0);
	snprintf(expected, sizeof expected,
		 "recovery: %s/journal: records %" PRIu64 " to %" PRIu64
		 " are missing before %016" PRIx64
		 ".seg (a segment deleted or set aside): their lines are not replayed\n",
		 h->state_dir, firsts[1], firsts[2] - 1, firsts[2]);
	expect_log(h, expected);
	/* told to the supervisors too: a state_incomplete alert, until 600 s more of events */
	snprintf(expected, sizeof expected,
		 "recovery: the state is incomplete (%" PRIu64 " records missing): system "
		 "alert state_incomplete until 600 s more of events refill the rule windows\n",
		 firsts[2] - firsts[1]);
	expect_log(h, expected);
	snprintf(expected, sizeof expected,
		 "\"type\":\"system\",\"system\":\"state_incomplete\",\"severity\":\"warning\","
		 "\"message\":\"recovered without some history (%" PRIu64
		 " records missing): alerts may be missed until 600 s more of events "
		 "refill the rule windows\"}",
		 firsts[2] - firsts[1]);
	console_connect(&f->console, h); /* {"since":0} */
	console_drain(&f->console, QUIET_MS);
	assert_int_equal(count_alerts_with(&f->console, "\"system\":\"state_incomplete\""), 1);
	assert_int_equal(count_alerts_with(&f->console, expected), 1);
	console_free(&f->console);
	assert_int_equal(harness_stop(h), 0);

	assert_int_equal(harness_start(h, &small_segments_kept), 0); /* whole now: said once */
	expect_log(h, "cadmond: recovery: snapshot ");
	expect_no_log(h, "the state is incomplete");
	console_connect(&f->console, h);
	console_drain(&f->console, QUIET_MS);
	assert_int_equal(count_alerts_with(&f->console, expected), 1);
	assert_int_equal(harness_stop(h), 0);
}

/* Open state_incomplete alerts on a new console's board. */
static size_t board_state_incomplete(const struct harness *h)
{
	char line[LINE_MAX_BYTES];
	int fd = harness_connect_subscriber(h);
	size_t count = 0;

	assert_true(fd >= 0);
	assert_true(harness_read_line(fd, line, sizeof line, READ_TIMEOUT_MS) > 0); /* hello */
	assert_int_equal(harness_send(fd, "{\"since\":0}\n"), 0);
	while (harness_read_line(fd, line, sizeof line, QUIET_MS) >= 0)
		count += strncmp(line, "{\"alert\":\"open\",", 16) == 0 &&
			 strstr(line, "\"system\":\"state_incomplete\"") != NULL;
	close(fd);
	return count;
}

/* A start that fails after the recovery (a receiver's secret file missing) has written the
 * recovery's snapshot, whole now: the next start finds nothing lost, and still shows the
 * state_incomplete alert, kept in that snapshot (rev16 B3). */
static void test_failed_start_keeps_state_incomplete(void **state)
{
	static const struct harness_options fails_after_recovery = {
		.extra_yaml = DETECTOR_YAML "journal:\n  segment_max_bytes: 65536\n"
					    "receivers:\n  - name: hook\n    type: webhook\n"
					    "    url: \"http://127.0.0.1:9/x\"\n"
					    "    hmac_secret_file: /nonexistent/cadmon-secret\n",
	};
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	uint64_t firsts[256];

	delete_second_segment(f, firsts);
	assert_int_not_equal(harness_start(h, &fails_after_recovery), 0);
	expect_log(h, "the state is incomplete");
	assert_int_equal(harness_start(h, &small_segments_kept), 0);
	expect_no_log(h, "the state is incomplete");
	expect_no_log(h, "are missing before");
	assert_int_equal(board_state_incomplete(h), 1);
	assert_int_equal(harness_stop(h), 0);
}

/* The segment a snapshot says follows it (the snapshot not taken at a clean stop), deleted
 * with acknowledged lines in it and no later segment: on disk it looks like a clean stop,
 * but the snapshot's stamp tells; recovery names the segment and the records. A clean stop
 * and a kill right after a restart (the segment there, empty) warn of nothing. */
static void test_deleted_open_segment_is_named(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char snapshot[64], path[PATH_MAX + 128], expected[PATH_MAX + 256];
	uint64_t index;

	assert_int_equal(harness_start(h, &default_options), 0);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 400));
	assert_true(sender_wait_acked(&f->sender, 400, ACK_TIMEOUT_MS));
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0); /* a clean stop: its snapshot is the last thing */
	newest_snapshot(h->state_dir, snapshot, sizeof snapshot);
	assert_int_equal(sscanf(snapshot, "snapshot-%16" SCNx64 ".snap", &index), 1);
	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", h->state_dir, index + 1);
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(harness_start(h, &default_options), 0); /* the same snapshot, restamped */
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	crash(h); /* before any line: the segment that follows is there, empty */
	assert_int_equal(access(path, F_OK), 0);

	assert_int_equal(harness_start(h, &default_options), 0);
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 800));
	assert_true(sender_wait_acked(&f->sender, 800, ACK_TIMEOUT_MS));
	sender_close(&f->sender);
	crash(h);
	snprintf(expected, sizeof expected, "snapshot-%016" PRIx64 ".snap", index);
	newest_snapshot(h->state_dir, snapshot, sizeof snapshot);
	assert_string_equal(snapshot, expected); /* still the newest */
	assert_int_equal(unlink(path), 0);

	assert_int_equal(harness_start(h, &default_options), 0);
	snprintf(expected, sizeof expected,
		 "recovery: %s/journal/%016" PRIx64 ".seg is missing: snapshot-%016" PRIx64
		 ".snap was not taken at a clean stop, and records from %" PRIu64
		 " on went to that segment: their lines, acknowledged ones included, are not "
		 "replayed\n",
		 h->state_dir, index + 1, index, index + 1);
	expect_log(h, expected);
	expect_no_log(h, "are missing before");
	assert_int_equal(harness_stop(h), 0);

	assert_int_equal(harness_start(h, &default_options), 0); /* said once */
	expect_log(h, "cadmond: recovery: snapshot ");
	expect_no_log(h, NEXT_SEGMENT_MISSING);
	assert_int_equal(harness_stop(h), 0);
}

/* kill -9 the moment the snapshot that ends a degraded period appears: the alerts delivered
 * while degraded were journaled before it, so a console asking {"since":0} of the restarted
 * cadmond gets each of them, same seq, same line. */
static void test_kill_after_degraded_snapshot_keeps_alerts(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	struct console fresh = {.fd = -1};
	char before[64];
	uint64_t alerts_before, alerts_degraded;

	start_streaming(f, 400);
	alerts_before = f->console.last_seq;
	newest_snapshot(h->state_dir, before, sizeof before);

	set_file_size_limit(h->pid, FULL_DISK_LIMIT_BYTES);
	assert_true(sender_send(&f->sender, 1400));
	expect_log(h, ": File too large: degraded: events are no longer acknowledged");
	console_drain(&f->console, QUIET_MS);
	alerts_degraded = f->console.last_seq;
	assert_true(alerts_degraded > alerts_before); /* delivered from memory */

	set_file_size_limit(h->pid, RLIM_INFINITY);
	int64_t deadline = harness_now_ms() + ACK_TIMEOUT_MS;
	while (!snapshot_after(h->state_dir, before) && harness_now_ms() < deadline)
		usleep(200);
	assert_true(snapshot_after(h->state_dir, before));
	crash(h);
	console_close(&f->console);
	sender_close(&f->sender);

	assert_int_equal(harness_start(h, &default_options), 0);
	expect_no_log(h,
		      NEXT_SEGMENT_MISSING); /* the segment after that snapshot was there first */
	console_connect(&fresh, h); /* {"since":0} */
	console_drain(&fresh, QUIET_MS);
	for (uint64_t seq = alerts_before + 1; seq <= alerts_degraded; seq++) {
		assert_non_null(fresh.alerts[seq]);
		assert_string_equal(fresh.alerts[seq], f->console.alerts[seq]);
	}
	console_free(&fresh);
	assert_int_equal(harness_stop(h), 0);
}

/* A state file that is not a regular file (a FIFO would block a plain open for ever; a
 * directory; a dangling symlink) stops the start at once, with an error that names it. (A
 * mode-000 file is refused the same way, by open's EACCES, except to root, who reads it.) */
static void test_state_file_not_regular_is_named(void **state)
{
	static const char *const kinds[] = {"fifo", "directory", "dangling symlink"};

	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char path[PATH_MAX + 64], expected[PATH_MAX + 256];

	assert_int_equal(harness_start(h, &default_options), 0);
	assert_int_equal(harness_stop(h), 0);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		snprintf(path, sizeof path, "%s/journal/00000000ffffffff.seg", h->state_dir);
		assert_int_equal(k == 0	  ? mkfifo(path, 0600)
				 : k == 1 ? mkdir(path, 0700)
					  : symlink("nowhere", path),
				 0);
		assert_int_equal(harness_start(h, &default_options), -1); /* it exited */
		char *text = harness_stderr(h);
		snprintf(expected, sizeof expected,
			 "cadmond: error: recovery: %s/journal/00000000ffffffff.seg: cannot read "
			 "it: %s\n",
			 h->state_dir, "not a regular file");
		assert_non_null(text);
		assert_non_null(strstr(text, expected));
		free(text);
		assert_int_equal(k == 1 ? rmdir(path) : unlink(path), 0);
	}
	assert_int_equal(harness_start(h, &default_options), 0);
	assert_int_equal(harness_stop(h), 0);
}

/* A journal segment of another record format (a newer cadmond's "CDJ2") is named with its
 * format and left in place, and the start refused: its lines cannot be replayed, nor dropped
 * without a word. */
static void test_segment_of_another_format_is_named(void **state)
{
	static const char newer[] = "CDJ2 a record of a format to come";
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char path[PATH_MAX + 64], expected[PATH_MAX + 256];

	assert_int_equal(harness_start(h, &default_options), 0);
	assert_int_equal(harness_stop(h), 0);
	snprintf(path, sizeof path, "%s/journal/00000000fffffff0.seg", h->state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, newer, sizeof newer - 1), (ssize_t)(sizeof newer - 1));
	close(fd);
	assert_int_equal(harness_start(h, &default_options), -1); /* it exited */
	char *text = harness_stderr(h);
	assert_non_null(text);
	snprintf(expected, sizeof expected,
		 "cadmond: error: recovery: %s/journal/00000000fffffff0.seg: journal record format "
		 "2, this "
		 "cadmond reads 1: left in place (start a cadmond that reads it, or move the file "
		 "away)\n",
		 h->state_dir);
	assert_non_null(strstr(text, expected));
	snprintf(expected, sizeof expected,
		 "recovery from %s failed: a journal segment of another record format\n",
		 h->state_dir);
	assert_non_null(strstr(text, expected));
	free(text);
	assert_int_equal(access(path, F_OK), 0); /* not set aside */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(harness_start(h, &default_options), 0);
	assert_int_equal(harness_stop(h), 0);
}

/* A hello with a problem is logged and counted; the connection goes on without a source
 * (seq still acknowledged per connection). A good one names the source in the log. */
static void test_hello_lines(void **state)
{
	struct fixture *f = *state;
	char line[256];
	int feed;

	assert_int_equal(harness_start(&f->harness, &default_options), 0);
	feed = harness_connect_feed(&f->harness);
	assert_true(feed >= 0);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"\"}\n"), 0);
	assert_int_equal(harness_send(feed, stream.lines[0]), 0);
	assert_int_equal(harness_read_line(feed, line, sizeof line, READ_TIMEOUT_MS), 9);
	assert_string_equal(line, "{\"ack\":1}");
	expect_log(
		&f->harness,
		": bad hello line: \"source\" must be 1 to 64 bytes; going on without a source\n");
	close(feed);

	feed = harness_connect_feed(&f->harness);
	assert_true(feed >= 0);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-9\"}\n"), 0);
	assert_int_equal(harness_send(feed, stream.lines[1]), 0);
	assert_int_equal(harness_read_line(feed, line, sizeof line, READ_TIMEOUT_MS), 9);
	assert_string_equal(line, "{\"ack\":2}");
	expect_log(&f->harness, ": source cad-9\n");
	close(feed);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* journal.fsync interval and none acknowledge too (interval: after the next fsync). A reload
 * that switches the policy applies it and writes a snapshot (replay starts from the state the
 * new settings apply to). */
static void test_fsync_policies_and_reload(void **state)
{
	static const struct harness_options interval = {
		.extra_yaml =
			DETECTOR_YAML "journal:\n  fsync: interval\n  fsync_interval_ms: 50\n",
	};
	static const struct harness_options none = {
		.extra_yaml = DETECTOR_YAML "journal:\n  fsync: none\n  fsync_interval_ms: 50\n",
	};
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	char before[64], after[64];

	assert_int_equal(harness_start(h, &interval), 0);
	console_connect(&f->console, h);
	sender_connect(&f->sender, h);
	assert_true(sender_send(&f->sender, 1000));
	assert_true(sender_wait_acked(&f->sender, 1000, ACK_TIMEOUT_MS));
	newest_snapshot(h->state_dir, before, sizeof before);

	assert_int_equal(harness_write_config(h, &none), 0);
	assert_int_equal(harness_signal(h, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: journal.fsync: interval -> none\n");
	expect_log(&f->harness, "cadmond: configuration reloaded: 1 change\n");
	for (int64_t deadline = harness_now_ms() + READ_TIMEOUT_MS;; usleep(10 * 1000)) {
		newest_snapshot(h->state_dir, after, sizeof after);
		if (strcmp(after, before) > 0 || harness_now_ms() > deadline)
			break;
	}
	assert_true(strcmp(after, before) > 0);
	finish_stream(f);
	expect_acked_in_journal(h, stream.count);
	expect_reference_alerts(&f->console);
	sender_close(&f->sender);
	assert_int_equal(harness_stop(h), 0);
}

/* What one loop iteration may read of a feed: FEED_READ_BUDGET_BYTES (256 KiB), the last of its
 * FEED_READ_CHUNK_BYTES reads (64 KiB) started below it (daemon/feed.h). */
#define FEED_ITERATION_MAX_BYTES (256 * 1024 + 64 * 1024)
/* The shutdown test's calls: a call_start and a call_end line each, with seq. */
#define SHUTDOWN_CALLS		 2000

/* The number N of cadmond's "feed PEER: read N more bytes at shutdown" (0: no such line). */
static unsigned long long shutdown_read_bytes(const struct harness *h, uint16_t port)
{
	char *text = harness_stderr(h), needle[64], *at;
	unsigned long long bytes = 0;

	snprintf(needle, sizeof needle, "feed 127.0.0.1:%u: read ", port);
	if ((at = strstr(text, needle)))
		assert_int_equal(sscanf(at + strlen(needle), "%llu more bytes at shutdown", &bytes),
				 1);
	free(text);
	return bytes;
}

/* SHUTDOWN_CALLS calls without a premature hangup, seq 1.., into text: returns its length;
 * *first_len is that of the first line. */
static size_t shutdown_lines(char *text, size_t size, size_t *first_len)
{
	size_t len = 0;

	for (unsigned call = 0; call < SHUTDOWN_CALLS; call++) {
		int64_t start = T0_MS + (int64_t)call * 20000;

		len += (size_t)snprintf(
			text + len, size - len,
			"{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":%" PRId64
			",\"operator\":\"op-%u\",\"agency\":\"NOPD\",\"ani\":"
			"\"50455%05u\",\"seq\":%u}\n",
			call, start, call % OPERATORS, call, 2 * call + 1);
		if (call == 0)
			*first_len = len;
		len += (size_t)snprintf(text + len, size - len,
					"{\"type\":\"call_end\",\"call_id\":\"c%u\",\"ts\":%" PRId64
					",\"released_by\":\"caller\",\"seq\":%u}\n",
					call, start + 90000, 2 * call + 2);
		assert_true(len < size);
	}
	return len;
}

/* The shutdown read (feed_server_close_all): lines waiting in the daemon's socket at SIGTERM,
 * more than one loop iteration reads, are read by the shutdown path, processed and journaled
 * before the exit 0; the connection closes without an ack for them (docs/protocol.md, "When
 * cadmond stops"), and after a restart the sender's resend of every one of them is dropped as
 * a duplicate: each was journaled. */
static void test_lines_read_at_shutdown_are_journaled(void **state)
{
	static const char hello[] = "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n";
	const int send_buffer = 4 << 20;
	struct fixture *f = *state;
	struct harness *h = &f->harness;
	static char lines[SHUTDOWN_CALLS * 2 * 160];
	size_t first_len, bytes, batch_bytes;
	char line[128];
	uint16_t port;
	int feed;

	bytes = shutdown_lines(lines, sizeof lines, &first_len);
	batch_bytes = bytes - first_len;
	assert_true(batch_bytes > FEED_ITERATION_MAX_BYTES);
	assert_int_equal(harness_start(h, &default_options), 0);
	assert_true((feed = harness_connect_feed(h)) >= 0);
	port = local_port(feed);
	assert_int_equal(setsockopt(feed, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer),
			 0);
	assert_int_equal(harness_send(feed, hello), 0);
	assert_int_equal(harness_send_bytes(feed, lines, first_len), 0);
	expect_ack(feed, 1, 0);

	/* Lines 2..4000 wait in the stopped daemon's socket (and the test's) when SIGTERM comes. */
	assert_int_equal(harness_pause(h), 0);
	assert_int_equal(harness_send_bytes(feed, lines + first_len, batch_bytes), 0);
	usleep(100 * 1000);
	assert_int_equal(harness_stop(h), 0);
	assert_true(h->stop_ms < HARNESS_STOP_TIMEOUT_MS);
	assert_int_equal(harness_read_line(feed, line, sizeof line, READ_TIMEOUT_MS), -EPIPE);
	close(feed);
	expect_log(h, "cadmond: SIGTERM: shutting down\n");
	/* Whichever of the socket and the signal the loop served first, what is beyond one
	 * iteration's read was read at shutdown, and nothing was left unread. */
	assert_in_range(shutdown_read_bytes(h, port), batch_bytes - FEED_ITERATION_MAX_BYTES,
			batch_bytes);
	expect_no_log(h, "left unread at shutdown");
	expect_log_format(h, "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %u lines, %u events",
			  port, strlen(hello) + bytes, 2 * SHUTDOWN_CALLS, 2 * SHUTDOWN_CALLS);

	/* Restarted: the resend of lines 2..4000 is all duplicates, so all were journaled. */
	assert_int_equal(harness_start(h, &default_options), 0);
	assert_true((feed = harness_connect_feed(h)) >= 0);
	assert_int_equal(harness_send(feed, hello), 0);
	assert_int_equal(harness_send_bytes(feed, lines + first_len, batch_bytes), 0);
	expect_ack(feed, 2 * SHUTDOWN_CALLS, 2 * SHUTDOWN_CALLS - 1);
	close(feed);
	assert_int_equal(harness_stop(h), 0);
}

int main(void)
{
	if (getenv("CADMON_WRITE_UPGRADE_STATE"))
		cmocka_set_test_filter("test_upgrade_from_previous_format");
	else if (getenv("CADMON_TEST_FILTER")) /* one test by hand, e.g. test_upgrade_* */
		cmocka_set_test_filter(getenv("CADMON_TEST_FILTER"));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_9_while_streaming_loses_nothing,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_two_senders_kill_9, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_record_is_truncated, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_quarantines_segment,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_of_another_format_replays_journal,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_snapshot_falls_back, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_since_replays_across_restart, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_retention_keeps_what_windows_need,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_degrades_and_recovers, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failed_start_keeps_state_incomplete,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_state_directory_recovers,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_segment_gap_is_named, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_open_segment_is_named, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_segment_of_another_format_is_named,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_previous_format, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format16, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format15, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format14, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format13, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format12, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format11, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format10, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format9, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_format8, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_kill_after_degraded_snapshot_keeps_alerts,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_state_file_not_regular_is_named, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_daemon_on_the_same_directory_exits_3,
						fixture_setup, fixture_teardown),
		ONE_CPU(test_torn_last_record_is_truncated),
		ONE_CPU(test_corrupt_record_quarantines_segment),
		ONE_CPU(test_snapshot_of_another_format_replays_journal),
		ONE_CPU(test_deleted_segment_gap_is_named),
		ONE_CPU(test_deleted_open_segment_is_named),
		ONE_CPU(test_segment_of_another_format_is_named),
		ONE_CPU(test_state_file_not_regular_is_named),
		ONE_CPU(test_kill_after_degraded_snapshot_keeps_alerts),
		cmocka_unit_test_setup_teardown(test_hello_lines, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_lines_read_at_shutdown_are_journaled,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fsync_policies_and_reload, fixture_setup,
						fixture_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("durability", tests, group_setup, group_teardown);
}
