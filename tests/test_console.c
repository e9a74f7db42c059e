/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The alert port as a supervisor's console uses it (protocol 2, docs/protocol.md): the
 * open-alert board on connect, acknowledgements (journaled, surviving kill -9, replayed with
 * since), bad console lines, and the system alerts of a silent feed and of a full table.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define READ_TIMEOUT_MS EXPECT_READ_TIMEOUT_MS
#define LINE_MAX_BYTES 8192

/* The shift's alert: op-7, alert_id 6033274aee8baf5c, seq 1 (shift_fixture.h). */
#define SHIFT_ALERT_ID "6033274aee8baf5c"

static const struct harness_options shift_options = {
	.feed_yaml = "  max_line_bytes: 1024\n",
	.extra_yaml = shift_detector_yaml,
};

/* The board line of the shift's alert, right after its firing: the firing's fields plus
 * opened_ts, every callback, no acknowledgement. */
static void shift_open_line(char *out, size_t size)
{
	const char *rest = strstr(shift_alert, "\"agency\"");

	assert_non_null(rest);
	snprintf(out, size,
		 "{\"alert\":\"open\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":1,"
		 "\"ts\":\"2026-11-29T08:04:30.000Z\",\"type\":\"operator\","
		 "\"opened_ts\":\"2026-11-29T08:04:30.000Z\",%s",
		 rest);
}

static void send_shift(const struct harness *h)
{
	int feed = harness_connect_feed(h);

	assert_true(feed >= 0);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	close(feed);
}

/* A console: connected, greeted; since (when not NULL) sent as its first line. */
static int console_open(const struct harness *h, const char *since)
{
	int fd = harness_connect_subscriber(h);

	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	if (since)
		assert_int_equal(harness_send(fd, since), 0);
	return fd;
}

static void read_line(int fd, char *line)
{
	assert_true(harness_read_line(fd, line, LINE_MAX_BYTES, READ_TIMEOUT_MS) > 0);
}

static void kill_9(struct harness *h)
{
	assert_true(h->pid > 0);
	assert_int_equal(kill(h->pid, SIGKILL), 0);
	assert_int_equal(waitpid(h->pid, NULL, 0), h->pid);
	h->pid = 0;
}

/* A console that connects after the alert fired sees it on the board, then the live stream;
 * with since, the replay comes first and the board right after it. */
static void test_board_on_connect(void **state)
{
	struct harness h = { 0 };
	char open_line[LINE_MAX_BYTES];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int early = console_open(&h, NULL);
	expect_line(early, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(early, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	send_shift(&h);
	expect_line(early, shift_alert);

	shift_open_line(open_line, sizeof open_line);
	int late = console_open(&h, NULL);
	expect_line(late, "{\"board\":\"begin\",\"seq\":1,\"open\":1}");
	expect_line(late, open_line);
	expect_line(late, "{\"board\":\"end\",\"seq\":1,\"open\":1}");
	expect_quiet(late);

	int resuming = console_open(&h, "{\"since\":0}\n");
	expect_line(resuming, shift_alert);
	expect_line(resuming, "{\"board\":\"begin\",\"seq\":1,\"open\":1}");
	expect_line(resuming, open_line);
	expect_line(resuming, "{\"board\":\"end\",\"seq\":1,\"open\":1}");
	expect_log(&h, "cadmond: subscriber ");
	close(early);
	close(late);
	close(resuming);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* An ack goes to every console, a second one is a repeat; both are journaled: after kill -9
 * they are replayed with since byte for byte, and the board still shows who acknowledged. */
static void test_ack_journaled_survives_kill_9(void **state)
{
	struct harness h = { 0 };
	char first[LINE_MAX_BYTES], repeat[LINE_MAX_BYTES], line[LINE_MAX_BYTES], needle[512];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int console = console_open(&h, "{\"since\":0}\n");
	int other = console_open(&h, "{\"since\":0}\n");
	send_shift(&h);
	expect_line(console, shift_alert);
	expect_line(other, shift_alert);

	assert_int_equal(harness_send(console, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"sup-1\","
						"\"note\":\"calling back\"}\n"), 0);
	read_line(console, first);
	expect_framed(first,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID
		      "\",\"seq\":2,\"ts\":\"",
		      "\",\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"by\":"
		      "\"sup-1\","
		      "\"note\":\"calling back\"}");
	expect_line(other, first);
	assert_int_equal(harness_send(other, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"sup-2\"}\n"),
			 0);
	read_line(other, repeat);
	/* "first_ts" is the first ack's "ts". */
	const char *first_ts = strstr(first, "\"ts\":\"") + 6;
	snprintf(needle, sizeof needle,
		 "\",\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"by\":\"sup-"
		 "2\",\"note\":\"\","
		 "\"repeat\":true,\"first_by\":\"sup-1\",\"first_ts\":\"%.24s\"}",
		 first_ts);
	expect_framed(repeat,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID
		      "\",\"seq\":3,\"ts\":\"",
		      needle);
	expect_line(console, repeat);
	expect_log(&h, "alert " SHIFT_ALERT_ID " acknowledged by sup-1");

	kill_9(&h);
	close(console);
	close(other);
	assert_int_equal(harness_start(&h, &shift_options), 0);
	int after = console_open(&h, "{\"since\":1}\n");
	expect_line(after, first);
	expect_line(after, repeat);
	expect_line(after, "{\"board\":\"begin\",\"seq\":3,\"open\":1}");
	read_line(after, line);
	snprintf(needle, sizeof needle,
		 "\"acknowledged\":{\"by\":\"sup-1\",\"note\":\"calling back\",\"ts\":\"%.24s\"}}",
		 first_ts);
	expect_framed(line, "{\"alert\":\"open\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":3,",
		      needle);
	expect_line(after, "{\"board\":\"end\",\"seq\":3,\"open\":1}");
	/* The recovered engine knows the first ack: a third one is a repeat, seq 4. */
	assert_int_equal(harness_send(after, "{\"ack\":\"" SHIFT_ALERT_ID
					     "\",\"by\":\"sup-3\",\"note\":\"\"}\n"),
			 0);
	read_line(after, line);
	snprintf(needle, sizeof needle,
		 "\"by\":\"sup-3\",\"note\":\"\",\"repeat\":true,\"first_by\":\"sup-1\","
		 "\"first_ts\":\"%.24s\"}",
		 first_ts);
	expect_framed(line,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":4,",
		      needle);
	close(after);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Bad console lines: a notice to that console only, counted and logged; nothing journaled;
 * the console goes on, and a good ack after them works. */
static void test_bad_ack_lines(void **state)
{
	struct harness h = { 0 };
	char long_line[1600];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int console = console_open(&h, NULL);
	int other = console_open(&h, NULL);
	send_shift(&h);
	expect_line(console, shift_alert);
	expect_line(other, shift_alert);

	assert_int_equal(harness_send(console, "not json\n"), 0);
	expect_line(console, "{\"notice\":\"ack: not a JSON object\"}");
	assert_int_equal(harness_send(console, "{\"ack\":\"0123456789abcdef\",\"by\":\"sup-1\"}\n"),
			 0);
	expect_line(console, "{\"notice\":\"ack: no open alert 0123456789abcdef\"}");
	assert_int_equal(harness_send(console, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"\"}\r\n"),
			 0);
	expect_line(console, "{\"notice\":\"ack: \\\"by\\\" must be a string of 1 to 64 bytes, no "
			     "control characters\"}");
	assert_int_equal(
		harness_send(console, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"s\",\"note\":7}\n"),
		0);
	expect_line(console, "{\"notice\":\"ack: \\\"note\\\" must be a string of at most 256 "
			     "bytes, no control characters\"}");
	assert_int_equal(
		harness_send(
			console,
			"{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":\"x\"}\n"),
		0);
	expect_line(console,
		    "{\"notice\":\"ack: a console may only send {\\\"ack\\\":...} lines\"}");
	memset(long_line, 'x', sizeof long_line - 2);
	long_line[sizeof long_line - 2] = '\n';
	long_line[sizeof long_line - 1] = '\0';
	assert_int_equal(harness_send(console, long_line), 0);
	expect_line(console, "{\"notice\":\"ack: line longer than 1024 bytes\"}");
	assert_int_equal(harness_send(console, "\n{\"since\":0}\n"),
			 0); /* blank, a late since: ignored */
	expect_quiet(console);
	expect_quiet(other);
	expect_log(&h, "ack: not a JSON object");

	assert_int_equal(
		harness_send(console, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"sup-1\"}\n"), 0);
	char line[LINE_MAX_BYTES];
	read_line(other, line);
	expect_framed(line,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":2,",
		      "\"by\":\"sup-1\",\"note\":\"\"}");
	expect_line(console, line);
	close(console);
	close(other);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* cadmond started under options, a console on its alert port from seq 0 (its empty board
 * read), and a feed connection with cad-1's hello and the shift's first line: the console. */
static int start_cad1(struct harness *h, const struct harness_options *options, int *feed)
{
	assert_int_equal(harness_start(h, options), 0);
	int console = console_open(h, "{\"since\":0}\n");
	expect_line(console, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(console, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	*feed = harness_connect_feed(h);
	assert_int_equal(harness_send(*feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	assert_int_equal(harness_send(*feed, shift_lines[0]), 0);
	return console;
}

/* A named feed source that goes quiet for feed.silence_seconds raises feed_silent; its next
 * line resolves it. */
static void test_feed_silence(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  silence_seconds: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	struct harness h = { 0 };
	char line[LINE_MAX_BYTES];
	(void)state;

	int feed;
	int console = start_cad1(&h, &options, &feed);
	read_line(console, line);
	expect_framed(
		line, "{\"alert\":\"firing\",\"alert_id\":\"",
		"\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		"\"source\":\"cad-1\",\"message\":\"feed source cad-1 has sent nothing for 1 s\"}");
	assert_non_null(strstr(line, "\"seq\":1,"));
	char alert_id[17];
	memcpy(alert_id, line + strlen("{\"alert\":\"firing\",\"alert_id\":\""), 16);
	alert_id[16] = '\0';
	expect_log(&h, "cadmond: warning: feed source cad-1: nothing for 1 s");

	assert_int_equal(harness_send(feed, shift_lines[1]), 0);
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"resolved\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		      "\"source\":\"cad-1\",\"message\":\"feed source cad-1 is sending again\"}");
	assert_non_null(strstr(line, alert_id));
	assert_non_null(strstr(line, "\"seq\":2,"));
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* feed.max_sources 2, silence 1 s: cad-1 and then a connection without a hello (its host,
 * 127.0.0.1) go silent; a reload to feed.max_sources 1 stops watching the one heard of least
 * recently, cad-1: its feed_silent resolves, saying why (before: it stayed open for ever,
 * nothing watched it any more). */
static void test_reload_resolves_unwatched_silence(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  silence_seconds: 1\n  max_sources: 2\n",
		.extra_yaml = shift_detector_yaml,
	};
	static const struct harness_options smaller = {
		.feed_yaml = "  silence_seconds: 1\n  max_sources: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	struct harness h = { 0 };
	char line[LINE_MAX_BYTES];
	(void)state;

	int named;
	int console = start_cad1(&h, &options, &named);
	int unnamed = harness_connect_feed(&h);
	usleep(200 * 1000); /* heard before the other */
	assert_int_equal(harness_send(unnamed, "{\"type\":\"incident\",\"call_id\":\"u1\","
					       "\"ts\":\"2026-11-29T08:00:00Z\"}\n"),
			 0);
	static const char *const silent[] = { "cad-1", "127.0.0.1" };
	for (size_t i = 0; i < 2; i++) {
		char suffix[256];
		snprintf(suffix, sizeof(suffix),
			 "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":"
			 "\"warning\",\"source\":\"%s\",\"message\":\"feed source %s has sent "
			 "nothing for 1 s\"}",
			 silent[i], silent[i]);
		read_line(console, line);
		expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"", suffix);
	}
	assert_int_equal(harness_write_config(&h, &smaller), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	do
		read_line(console, line);
	while (strstr(line, "\"limit\":\"feed.max_sources\""));
	expect_framed(line, "{\"alert\":\"resolved\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		      "\"source\":\"cad-1\",\"message\":\"feed source cad-1 is no longer watched "
		      "for silence: feed.max_sources 1 reached (a reload made it smaller)\"}");
	expect_log(&h, "cadmond: feed source cad-1: no longer watched for silence: "
		       "feed.max_sources 1 reached (a reload made it smaller)");
	close(named);
	close(unnamed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* feed.max_sources 2, silence 2 s: cad-1, then two connections without a hello (two clocks
 * in the engine, one watched host here): the second's clock makes the engine forget cad-1's
 * while cad-1 still sends. cad-1 then goes silent: its feed_silent fires and, the engine holding
 * no clock for it, resolves at once, saying why (before: it stayed open for ever, as nothing
 * but cad-1's next line would end it). */
static void test_forgotten_clock_resolves_silence(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  silence_seconds: 2\n  max_sources: 2\n",
		.extra_yaml = shift_detector_yaml,
	};
	static const char incident[] = "{\"type\":\"incident\",\"call_id\":\"u1\","
				       "\"ts\":\"2026-11-29T08:00:00Z\"}\n";
	struct harness h = { 0 };
	char line[LINE_MAX_BYTES];
	char alert_id[17];
	(void)state;

	int named;
	int console = start_cad1(&h, &options, &named);
	int unnamed[2];
	for (size_t i = 0; i < 2; i++) {
		usleep(200 * 1000); /* heard after cad-1, in order */
		unnamed[i] = harness_connect_feed(&h);
		assert_int_equal(harness_send(unnamed[i], incident), 0);
	}
	do
		read_line(console, line);
	while (strstr(line, "\"limit\":\"feed.max_sources\""));
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		      "\"source\":\"cad-1\",\"message\":\"feed source cad-1 has sent nothing for "
		      "2 s\"}");
	memcpy(alert_id, line + strlen("{\"alert\":\"firing\",\"alert_id\":\""), 16);
	alert_id[16] = '\0';
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"resolved\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		      "\"source\":\"cad-1\",\"message\":\"feed source cad-1 is no longer watched "
		      "for silence: cadmon forgot its clock before it went silent "
		      "(feed.max_sources 2 reached)\"}");
	assert_non_null(strstr(line, alert_id));
	expect_log(&h, "cadmond: feed source cad-1: no longer watched for silence: cadmon forgot "
		       "its clock before it went silent (feed.max_sources 2 reached)");
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":\"warning\","
		      "\"source\":\"127.0.0.1\",\"message\":\"feed source 127.0.0.1 has sent "
		      "nothing for 2 s\"}");
	expect_quiet(console);
	close(named);
	close(unnamed[0]);
	close(unnamed[1]);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* tracker.max_operators 1: the second operator evicts the first, a limit alert says which
 * key to raise, and the log says it too. */
static void test_eviction_notice(void **state)
{
	static const struct harness_options options = {
		/* one baseline per agency (not the source's own too): max_operators 1 holds it */
		.extra_yaml = "tracker:\n  max_operators: 1\n"
			      "detector:\n  baseline: {source_depart_z: 0}\n",
	};
	static const char *const calls[] = {
		"{\"type\":\"call_start\",\"call_id\":\"a\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"op-1\"}\n",
		"{\"type\":\"call_end\",\"call_id\":\"a\",\"ts\":\"2026-11-29T08:01:00Z\","
		"\"released_by\":\"caller\"}\n",
		"{\"type\":\"call_start\",\"call_id\":\"b\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-2\"}\n",
		"{\"type\":\"call_end\",\"call_id\":\"b\",\"ts\":\"2026-11-29T08:03:00Z\","
		"\"released_by\":\"caller\"}\n",
	};
	struct harness h = { 0 };
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h, "{\"since\":0}\n");
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		assert_int_equal(harness_send(feed, calls[i]), 0);
	expect_line(
		console,
		"{\"alert\":\"firing\",\"alert_id\":\"dd23538329d4ffca\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:03:00.000Z\",\"type\":\"system\",\"system\":\"limit\","
		"\"severity\":\"warning\",\"limit\":\"tracker.max_operators\",\"evicted\":1,"
		"\"message\":\"call-takers or agencies' baselines forgotten (tracker.max_operators "
		"1 reached): 1 so far; raise tracker.max_operators\"}");
	expect_log(&h, "cadmond: warning: tracker.max_operators reached: 1 evicted so far; raise "
		       "tracker.max_operators");
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_board_on_connect),
		cmocka_unit_test(test_ack_journaled_survives_kill_9),
		cmocka_unit_test(test_bad_ack_lines),
		cmocka_unit_test(test_feed_silence),
		cmocka_unit_test(test_reload_resolves_unwatched_silence),
		cmocka_unit_test(test_forgotten_clock_resolves_silence),
		cmocka_unit_test(test_eviction_notice),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
