/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Integration tests: the real cadmond on loopback ports, driven through real sockets by
 * daemon_harness. Every wait is bounded; every daemon is stopped or killed in teardown.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "flood_fixture.h"
#include "shift_fixture.h"

#define READ_TIMEOUT_MS EXPECT_READ_TIMEOUT_MS

/* One rule the scripted shift trips; rejections logged at most once a minute. */

static const struct harness_options shift_options = {
	.feed_yaml = "  max_line_bytes: 1024\n",
	.extra_yaml = shift_detector_yaml,
};

/* A line of bad input, NUL bytes allowed. */
struct junk {
	const char *bytes;
	size_t len;
};
#define JUNK(text) { text, sizeof(text) - 1 }

/* Bad lines to put between the good ones: one of each kind of trouble, first an invalid
 * JSON line (the one message the rate limiter lets through). The over-long line is built at
 * run time. */
static const struct junk junk_lines[] = {
	JUNK("{\"type\":\"call_start\",\n"),
	JUNK("{\"type\":\"hangup\",\"call_id\":\"x1\",\"ts\":\"2026-11-29T08:00:01Z\"}\n"),
	JUNK("{\"type\":\"call_start\",\"call_id\":\"x2\",\"ts\":\"2026-11-29T08:00:02Z\"}\n"),
	JUNK("{\"type\":\"call_end\",\"call_id\":7,\"ts\":\"2026-11-29T08:00:03Z\",\"released_by\":"
	     "\"operator\"}\n"),
	JUNK("\x01\x02\xff\xfe\x00garbage\x80\x1b[2J\n"),
	JUNK("{\"type\":\"call_end\",\"call_id\":\"c2\",\"ts\":\"2026-11\n"),
	JUNK("[1,2,3]\n"),
	JUNK("{\"type\":\"call_start\",\"call_id\":\"x3\",\"ts\":\"yesterday\",\"operator\":\"op-"
	     "9\"}\n"),
	JUNK("{\"type\":\"call_start\",\"call_id\":\"\xc3\x28\",\"ts\":\"2026-11-29T08:00:04Z\","
	     "\"operator\":\"op-9\"}\n"),
	JUNK("\n"), /* blank: ignored, not counted */
};
#define JUNK_LINE_COUNT (sizeof junk_lines / sizeof junk_lines[0])
#define TOO_LONG_LINE_BYTES 5000

/* Per-reason counts of the junk above plus the over-long line, as cadmond reports them. */
static const char junk_reject_summary[] =
	"10 rejected (line_too_long 1, invalid_json 3, invalid_utf8 1, not_an_object 1, "
	"missing_field 1, wrong_type 1, unknown_type 1, bad_timestamp 1)";

/* A subscriber that has been greeted, so it is registered for the next alert. */
static int connect_subscriber(struct daemon_fixture *f)
{
	int fd = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));

	expect_line(fd, hello_line);
	return fd;
}

/* Send the shift, with a junk line after each good one if asked. Returns bytes sent. */
static size_t send_shift(int fd, bool with_junk)
{
	static char too_long[TOO_LONG_LINE_BYTES + 1];
	size_t bytes = 0;

	memset(too_long, 'x', TOO_LONG_LINE_BYTES);
	too_long[TOO_LONG_LINE_BYTES] = '\n';
	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++) {
		assert_int_equal(harness_send(fd, shift_lines[i]), 0);
		bytes += strlen(shift_lines[i]);
		if (!with_junk)
			continue;
		if (i < JUNK_LINE_COUNT) {
			assert_int_equal(
				harness_send_bytes(fd, junk_lines[i].bytes, junk_lines[i].len), 0);
			bytes += junk_lines[i].len;
		} else if (i == JUNK_LINE_COUNT) {
			assert_int_equal(harness_send_bytes(fd, too_long, sizeof too_long), 0);
			bytes += sizeof too_long;
		}
	}
	return bytes;
}

/* --- command line --- */

static void test_check_good_config(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_result result;
	const char *args[] = { "-n", "-c", f->harness.config_path, NULL };

	assert_int_equal(harness_write_config(&f->harness, &shift_options), 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "configuration OK\n");
	assert_string_equal(result.err, "");
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
}

/* -d prints the effective configuration, each key with where it came from, and exits. */
static void test_dump_config_names_origins(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-d", "-c", path, NULL };
	const char *bad_args[] = { "-d", "-c", path, NULL };
	struct harness_result result;
	char expected[PATH_MAX + 256];

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	assert_int_equal(harness_write_file(path, "tracker:\n  max_operators: 40\n"), 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_int_equal(result.status, 0);
	assert_string_equal(result.err, "");
	snprintf(expected, sizeof expected,
		 "  max_call_seconds: 14400  # default\n  max_operators: 40  # %s:2\n", path);
	assert_non_null(strstr(result.out, expected));
	static const char first_lines[] = "feed:\n  listen: [\"127.0.0.1:7400\"]  # default\n";
	assert_int_equal(strncmp(result.out, first_lines, strlen(first_lines)), 0);
	harness_result_free(&result);

	assert_int_equal(harness_write_file(path, "tracker:\n  max_operators: 0\n"), 0);
	assert_int_equal(harness_run(bad_args, READ_TIMEOUT_MS, &result), 0);
	assert_int_equal(result.status, 1);
	assert_string_equal(result.out, "");
	snprintf(expected, sizeof expected,
		 "%s:2:18: tracker.max_operators: must be an integer from 1 to 1000000\n", path);
	assert_string_equal(result.err, expected);
	harness_result_free(&result);
}

static void test_check_bad_config_prints_every_error(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-n", "-c", path, NULL };
	struct harness_result result;
	char expected[2 * PATH_MAX + 256];

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	assert_int_equal(harness_write_file(path, "feed:\n"
						  "  max_line_bytes: 10\n"
						  "alerts:\n"
						  "  bogus: 1\n"),
			 0);
	snprintf(expected, sizeof expected,
		 "%s:2:19: feed.max_line_bytes: must be an integer from 256 to 16777216\n"
		 "%s:4:3: alerts.bogus: unknown key\n",
		 path, path);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
}

/* Past CONFIG_MAX_ERRORS messages, -n says how many more there were. */
static void test_check_counts_errors_beyond_the_kept_ones(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-n", "-c", path, NULL };
	char text[40 * 16], expected[40 * (PATH_MAX + 32)];
	size_t text_len = 0, expected_len = 0;
	struct harness_result result;

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	for (int key = 0; key < 40; key++) {
		text_len +=
			(size_t)snprintf(text + text_len, sizeof text - text_len, "k%d: 1\n", key);
		if (key < 32)
			expected_len += (size_t)snprintf(expected + expected_len,
							 sizeof expected - expected_len,
							 "%s:%d:1: k%d: unknown key\n", path,
							 key + 1, key);
	}
	snprintf(expected + expected_len, sizeof expected - expected_len,
		 "... and 8 more errors\n");
	assert_int_equal(harness_write_file(path, text), 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
}

/* Without -n, configuration errors are logged: plain, or with journald priorities. */
/* -n loads feed.mapping's time zone as a start would: a zone without a tzfile is an error. */
static void test_check_feed_mapping_zone(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-n", "-c", path, NULL };
	struct harness_result result;

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	assert_int_equal(
		harness_write_file(
			path,
			"feed:\n"
			"  mapping: vendor\n"
			"mappings:\n"
			"  - name: vendor\n"
			"    format: json\n"
			"    fields: {call_id: id, operator: op, answer_time: a, release_time: r}\n"
			"    time_zone: America/Atlantis\n"),
		0);
	assert_int_equal(setenv("TZDIR", "/nonexistent/zoneinfo", 1), 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_int_equal(unsetenv("TZDIR"), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err,
			    "feed.mapping vendor: time zone America/Atlantis: "
			    "/nonexistent/zoneinfo/America/Atlantis: No such file or directory\n");
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
}

/* -n reads the files a start reads: i3.public_keys and each receiver's hmac_secret_file (it said
 * "configuration OK" to a missing key and an empty secret, which the start then refused). */
static void test_check_key_files(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-n", "-c", path, NULL };
	char secret[PATH_MAX], text[PATH_MAX + 256], expected[PATH_MAX + 128];
	struct harness_result result;

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	assert_int_equal(harness_write_file(path, "i3:\n"
						  "  enabled: true\n"
						  "  public_keys:\n"
						  "    - {kid: k1, file: /nonexistent/k1.pem}\n"),
			 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err,
			    "i3.public_keys k1: /nonexistent/k1.pem: No such file or directory\n");
	assert_int_equal(result.status, 1);
	harness_result_free(&result);

	assert_int_equal(harness_temp_file("secret", secret), 0);
	assert_int_equal(harness_write_file(secret, ""), 0);
	snprintf(text, sizeof text,
		 "receivers:\n"
		 "  - {name: h, type: webhook, url: \"http://127.0.0.1:9/\",\n"
		 "     hmac_secret_file: %s}\n",
		 secret);
	assert_int_equal(harness_write_file(path, text), 0);
	snprintf(expected, sizeof expected, "receiver h: cannot read hmac_secret_file %s: empty\n",
		 secret);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
	unlink(secret);
}

static void test_bad_config_at_start_exits_1(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-c", path, NULL };
	struct harness_result result;
	char expected[2 * PATH_MAX + 256];

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	assert_int_equal(harness_write_file(path, "feed:\n"
						  "  max_line_bytes: 10\n"
						  "alerts:\n"
						  "  bogus: 1\n"),
			 0);
	snprintf(expected, sizeof expected,
		 "cadmond: error: %s:2:19: feed.max_line_bytes: must be an integer from 256 to "
		 "16777216\n"
		 "cadmond: error: %s:4:3: alerts.bogus: unknown key\n",
		 path, path);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);

	snprintf(expected, sizeof expected,
		 "<3>%s:2:19: feed.max_line_bytes: must be an integer from 256 to 16777216\n"
		 "<3>%s:4:3: alerts.bogus: unknown key\n",
		 path, path);
	assert_int_equal(harness_run_journal(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
}

static void test_check_missing_file(void **state)
{
	const char *args[] = { "-n", "-c", "/nonexistent/cadmon.yaml", NULL };
	struct harness_result result;

	(void)state;
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "");
	assert_string_equal(result.err,
			    "/nonexistent/cadmon.yaml: cannot read: No such file or directory\n");
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
}

/* A file truncated to nothing, or left with comments only, is no configuration: taken as every
 * default it would move a reload's listeners, sources and tokens to the defaults. */
static void test_check_empty_file_is_an_error(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;
	const char *args[] = { "-n", "-c", path, NULL };
	static const char *const texts[] = { "", "\n  \n", "# cadmon.yaml\n  # nothing yet\n",
					     "---\n...\n", "# cadmon.yaml\n---\n# nothing\n...\n",
					     "--- ~\n" };
	struct harness_result result;
	char expected[PATH_MAX + 256];

	assert_int_equal(harness_temp_file("config", f->harness.config_path), 0);
	snprintf(expected, sizeof expected,
		 "%s: holds no configuration (empty, comments or an empty document); without -c "
		 "cadmond runs on its built-in defaults\n",
		 path);
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		assert_int_equal(harness_write_file(path, texts[i]), 0);
		assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
		assert_string_equal(result.out, "");
		assert_string_equal(result.err, expected);
		assert_int_equal(result.status, 1);
		harness_result_free(&result);
	}
	assert_int_equal(harness_write_file(path, "# a comment, then a key\nfeed: {}\n"), 0);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "configuration OK\n");
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
}

static void test_version(void **state)
{
	const char *args[] = { "-V", NULL };
	struct harness_result result;

	(void)state;
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.out, "cadmond 0.2.0\n");
	assert_string_equal(result.err, "");
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
}

static void test_help_documents_exit_codes(void **state)
{
	const char *args[] = { "-h", NULL };
	struct harness_result result;

	(void)state;
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_int_equal(
		strncmp(result.out, "usage: cadmond [-c FILE] [-n] [-d] [-s] [-V] [-h]\n", 50), 0);
	assert_non_null(strstr(result.out, "Exit status: 0 clean stop, 1 configuration error, "
					   "2 usage error,\n"
					   "             3 runtime failure"));
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
}

/* --dump-schema: every key with its unit, reload, default and meaning, one a line. */
static void test_dump_schema(void **state)
{
	const char *args[] = { "--dump-schema", NULL };
	struct harness_result result;

	(void)state;
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.err, "");
	assert_int_equal(result.status, 0);
	assert_int_equal(strncmp(result.out,
				 "feed\t-\t-\t-\tThe feed: where the CAD / call-handling systems "
				 "connect and send their call events,\n",
				 95),
			 0);
	assert_non_null(
		strstr(result.out,
		       "\nfeed.max_line_bytes\tbytes\tlive\t65536\tLongest event line accepted, "
		       "in bytes (256 to 16777216). A longer line is dropped,\n"));
	assert_non_null(strstr(result.out,
			       "\nfeed.tls\tboolean\trestart\tfalse\tServe the feed port over TLS "
			       "(true or false), with the identity of the tls section\n"));
	assert_non_null(strstr(
		result.out, "\nreceivers[].url\turl\trestart\trequired\thttp://host[:port][/path] "
			    "(required). Plain HTTP only: TLS\n"));
	assert_non_null(
		strstr(result.out,
		       "\ndetector.escalate_unacked_after_seconds.info\tseconds\tlive\t0\t\n"));
	harness_result_free(&result);
}

static void test_usage_errors_exit_2(void **state)
{
	const char *unknown_option[] = { "-x", NULL };
	const char *extra_argument[] = { "extra", NULL };
	const char *missing_value[] = { "-c", NULL };
	const char *const *cases[] = { unknown_option, extra_argument, missing_value };
	struct harness_result result;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(harness_run(cases[i], READ_TIMEOUT_MS, &result), 0);
		assert_string_equal(result.out, "");
		assert_non_null(
			strstr(result.err, "usage: cadmond [-c FILE] [-n] [-d] [-s] [-V] [-h]\n"));
		assert_int_equal(result.status, 2);
		harness_result_free(&result);
	}
}

static void test_bind_failure_exits_3(void **state)
{
	struct daemon_fixture *f = *state;
	const char *args[] = { "-c", f->harness.config_path, NULL };
	int busy = tracked_add(&f->fds, socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in address = { .sin_family = AF_INET };
	struct harness_result result;
	char expected[256];

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(busy, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(busy, 1), 0);
	f->harness.feed_port = local_port(busy);
	assert_int_equal(harness_pick_ports(&f->harness.alerts_port, 1), 0);
	assert_int_equal(harness_write_config(&f->harness, NULL), 0);
	snprintf(expected, sizeof expected,
		 "cadmond: error: cannot listen on 127.0.0.1:%u: Address already in use\n",
		 f->harness.feed_port);
	assert_int_equal(harness_run(args, READ_TIMEOUT_MS, &result), 0);
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 3);
	harness_result_free(&result);
}

/* --- the alert path --- */

static void test_shift_alerts_subscriber(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, feed;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift(feed, false);
	expect_line(subscriber, shift_alert);
	expect_quiet(subscriber);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* GET /metrics holds sample (a whole line). */
static void expect_metric_line(const struct harness *h, const char *sample)
{
	const char *answer = expect_get_metrics(h);

	if (!strstr(answer, sample))
		fprintf(stderr, "no \"%s\" in /metrics\n", sample);
	assert_non_null(strstr(answer, sample));
}

/* feed.mapping: a CAD that streams its CDR rows (tests/data/example-cdr.csv) gets the alert
 * lines the backtest of the same rows gives (tests/data/example-cdr.alerts), the header and a
 * bad row counted and logged under the mapping's reasons. */
static void test_feed_mapping_streams_cdr_rows(void **state)
{
	struct daemon_fixture *f = *state;
	char *mappings = harness_read_file(CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml");
	char *rows = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.csv");
	char *alerts = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.alerts");
	const struct harness_options options = { .feed_yaml = "  mapping: example-cdr\n",
						  .extra_yaml = mappings };
	static const char bad_row[] =
		"C999,KCPD,P01,AG01,,11/31/2026 06:00:00 AM,11/29/2026 06:00:05 AM,A,,\r\n";
	int subscriber, feed;
	uint16_t feed_port;

	assert_non_null(mappings);
	assert_non_null(rows);
	assert_non_null(alerts);
	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log(&f->harness,
		   "cadmond: feed: connections send CSV records of mapping example-cdr "
		   "(docs/mappings.md)\n");
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	feed_port = local_port(feed);
	assert_int_equal(harness_send(feed, rows), 0);
	assert_int_equal(harness_send(feed, bad_row), 0);
	for (char *line = strtok(alerts, "\n"); line; line = strtok(NULL, "\n"))
		expect_line(subscriber, line);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line 303: bad_timestamp: "
			  "\"AnswerTime\": "
			  "not a time in the format \"%%m/%%d/%%Y %%I:%%M:%%S %%p\": \"11/31/2026 "
			  "06:00:00 AM\"\n",
			  feed_port);
	shutdown(feed, SHUT_WR);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, 774 lines, 774 events, "
			  "1 rejected (bad_timestamp 1)\n",
			  feed_port, strlen(rows) + strlen(bad_row));
	expect_metric_line(&f->harness,
			   "\ncadmon_mapped_records_rejected_total{reason=\"bad_timestamp\"} 1\n");
	expect_metric_line(&f->harness,
			   "\ncadmon_mapped_records_rejected_total{reason=\"bad_csv\"} 0\n");
	assert_int_equal(harness_stop(&f->harness), 0);
	free(mappings);
	free(rows);
	free(alerts);
}

/* The first count lines of text (each with its "\n"), or from line first on (1-based). */
static char *lines_of(const char *text, size_t first, size_t count)
{
	const char *start = text, *end;
	size_t line = 1;

	for (; line < first && (start = strchr(start, '\n')); line++)
		start++;
	assert_non_null(start);
	end = start;
	for (size_t taken = 0; taken < count && end && *end; taken++)
		if ((end = strchr(end, '\n')))
			end++;
	size_t len = end ? (size_t)(end - start) : strlen(start);
	char *copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, start, len);
	copy[len] = '\0';
	return copy;
}

/* mappings[].listen: one cadmond, protocol v1 lines on feed.listen and the example CDR's rows
 * on the mapping's own address. The shift of tests/data/example-cdr.* is split where AG03's
 * alert fires: the NDJSON lines up to that call's end (664 lines, 259 calls) on the feed port
 * fire it; the CSV rows of the 42 later calls (110 events, after their header) on the
 * mapping's port give the updates and the escalation. Together, exactly the alert lines of
 * the whole shift in either format (tests/data/example-cdr.alerts). Each port reads only its
 * own format: a CSV row sent to the feed port is rejected as invalid_json, a JSON line on the
 * mapping's port as
 * bad_csv; an abandoned call (no AgentID, no AnswerTime) is skipped and counted. */
static void test_mapping_listens_beside_the_feed_port(void **state)
{
	struct daemon_fixture *f = *state;
	char *mappings = harness_read_file(CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml");
	char *csv = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.csv");
	char *ndjson = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.ndjson");
	char *alerts = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.alerts");
	static const char abandoned[] =
		"C009999,KCPD,P02,,5045550000,,11/29/2026 11:59:00 AM,C,,\r\n";
	static const char json_line[] = "{\"type\":\"call_start\"}\n";
	char extra[8192], *first_lines, *header, *later_rows, *first_alert, *later_alerts;
	uint16_t cdr_port, feed_port, cdr_peer;
	int subscriber, feed, cdr;

	assert_non_null(mappings);
	assert_non_null(csv);
	assert_non_null(ndjson);
	assert_non_null(alerts);
	assert_int_equal(harness_pick_ports(&cdr_port, 1), 0);
	snprintf(extra, sizeof extra, "%s    listen: [\"127.0.0.1:%u\"]\n", mappings, cdr_port);
	const struct harness_options options = { .extra_yaml = extra };
	first_lines = lines_of(ndjson, 1, 664);
	header = lines_of(csv, 1, 1);
	later_rows = lines_of(csv, 261, 42);
	first_alert = lines_of(alerts, 1, 1);
	later_alerts = lines_of(alerts, 2, 5);
	assert_non_null(strstr(first_lines, "{\"type\":\"call_end\",\"call_id\":\"C000259\","
					    "\"ts\":\"2026-11-29T17:13:46.000Z\""));
	assert_true(strncmp(later_rows, "C000260,", 8) == 0);
	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log_format(&f->harness,
			  "cadmond: listening for feeds of mapping example-cdr on 127.0.0.1:%u\n",
			  cdr_port);
	subscriber = connect_subscriber(f);

	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	feed_port = local_port(feed);
	assert_int_equal(harness_send(feed, first_lines), 0);
	assert_int_equal(harness_send(feed, header), 0);
	first_alert[strlen(first_alert) - 1] = '\0';
	expect_line(subscriber, first_alert);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line 665: invalid_json: ",
			  feed_port);
	shutdown(feed, SHUT_WR);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, 665 lines, 664 events, "
			  "1 rejected (invalid_json 1)\n",
			  feed_port, strlen(first_lines) + strlen(header));

	cdr = tracked_add(&f->fds, harness_connect(cdr_port));
	assert_true(cdr >= 0);
	cdr_peer = local_port(cdr);
	assert_int_equal(harness_send(cdr, header), 0);
	assert_int_equal(harness_send(cdr, later_rows), 0);
	assert_int_equal(harness_send(cdr, abandoned), 0);
	assert_int_equal(harness_send(cdr, json_line), 0);
	for (char *line = strtok(later_alerts, "\n"); line; line = strtok(NULL, "\n"))
		expect_line(subscriber, line);
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: rejected line 45: bad_csv: not CSV: "
		"a quote inside an unquoted field at byte 2\n",
		cdr_peer);
	shutdown(cdr, SHUT_WR);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, 110 lines, 110 events, "
			  "1 rejected (bad_csv 1), 1 skipped (unanswered)\n",
			  cdr_peer,
			  strlen(header) + strlen(later_rows) + strlen(abandoned) +
				  strlen(json_line));
	expect_quiet(subscriber);
	expect_metric_line(&f->harness, "\ncadmon_mapped_records_skipped_total 1\n");
	expect_metric_line(&f->harness,
			   "\ncadmon_mapped_records_rejected_total{reason=\"bad_csv\"} 1\n");
	assert_int_equal(harness_stop(&f->harness), 0);
	free(first_lines);
	free(header);
	free(later_rows);
	free(first_alert);
	free(later_alerts);
	free(mappings);
	free(csv);
	free(ndjson);
	free(alerts);
}

/* shift_alert with the seq it gets after another alert: "seq":2. */
static void shift_alert_second(char *out, size_t size)
{
	const char *seq = strstr(shift_alert, "\"seq\":1,");

	assert_non_null(seq);
	assert_true(strlen(shift_alert) < size);
	snprintf(out, size, "%.*s\"seq\":2,%s", (int)(seq - shift_alert), shift_alert,
		 seq + strlen("\"seq\":1,"));
}

/* The shift's alert and the limit alert of feed.max_line_bytes that the too-long line sent
 * on feed_port (no hello) raised, in either order, and no more. The limit alert comes at the
 * next tick of cadmond's second timer: after the shift's alert when its lines came in one
 * read, before it (taking seq 1, the shift's alert then 2) when the tick fell between the
 * too-long line and the shift's last ones (a loaded machine, the lines sent one by one). */
static void expect_shift_and_line_limit(int subscriber, uint16_t feed_port)
{
	char line[8192], message[256], second[8192];

	snprintf(message, sizeof message,
		 "feed lines rejected as too long, the latest from source 127.0.0.1:%u "
		 "(feed.max_line_bytes reached): %%" PRIu64 " so far; check what the sender "
		 "writes, or raise feed.max_line_bytes",
		 feed_port);
	do
		assert_true(harness_read_line(subscriber, line, sizeof line, READ_TIMEOUT_MS) > 0);
	while (is_board_line(line));
	if (strcmp(line, shift_alert) == 0) {
		assert_int_equal(expect_limit_alert(subscriber, "feed.max_line_bytes", true,
						    message),
				 1);
	} else {
		assert_int_equal(expect_limit_alert_line(line, "feed.max_line_bytes", true,
							 message),
				 1);
		shift_alert_second(second, sizeof second);
		expect_line(subscriber, second);
	}
	expect_quiet(subscriber);
}

/* A line far longer than max_line_bytes (200 KB, more than one read of the socket, 64 KiB):
 * rejected as line_too_long once, the rest of it discarded read after read without being
 * buffered, and the shift's lines around it all processed: the same alert. */
static void test_huge_line_is_discarded_across_reads(void **state)
{
	struct daemon_fixture *f = *state;
	static char huge[200 * 1000 + 1];
	int subscriber, feed;
	uint16_t feed_port;
	size_t bytes = 0;

	memset(huge, 'x', sizeof huge - 1);
	huge[sizeof huge - 1] = '\n';
	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	feed_port = local_port(feed);
	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++) {
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
		bytes += strlen(shift_lines[i]);
		if (i == 0) {
			assert_int_equal(harness_send_bytes(feed, huge, sizeof huge), 0);
			bytes += sizeof huge;
		}
	}
	expect_shift_and_line_limit(subscriber, feed_port);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line 2: line_too_long",
			  feed_port);
	shutdown(feed, SHUT_WR);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %zu lines, %zu events, "
			  "1 rejected (line_too_long 1)\n",
			  feed_port, bytes, SHIFT_LINE_COUNT + 1, SHIFT_LINE_COUNT);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A call_start line of call_id at ts, of exactly len bytes before its end (end: "\n" or
 * "\r\n"), padded with spaces inside the JSON object. */
static size_t padded_line(char *out, const char *call_id, const char *ts, size_t len,
			  const char *end)
{
	static const char tail[] = "\"operator\":\"op-1\"}";
	int head =
		snprintf(out, len + 1, "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":\"%s\",",
			 call_id, ts);

	memset(out + head, ' ', len - (size_t)head - (sizeof tail - 1));
	memcpy(out + len - (sizeof tail - 1), tail, sizeof tail - 1);
	memcpy(out + len, end, strlen(end));
	return len + strlen(end);
}

/* Send bytes on a new feed, close its sending side: the feed's close summary is "closed:
 * <len> bytes, " then summary; then stop. */
static void send_and_expect_close(struct daemon_fixture *f, const char *bytes, size_t len,
				  const char *summary)
{
	int feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	uint16_t feed_port = local_port(feed);

	assert_int_equal(harness_send_bytes(feed, bytes, len), 0);
	shutdown(feed, SHUT_WR);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %s\n",
			  feed_port, len, summary);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Lines of 6,000 bytes (valid JSON padded with spaces, under the default max_line_bytes of
 * 64 KiB), 60 of them in one go: a line cut by the end of a read, longer than libevent copies
 * to keep it in one piece (4 KiB), spans two chains of the input buffer and is taken from
 * there. Every line is processed. */
static void test_long_lines_across_reads(void **state)
{
	struct daemon_fixture *f = *state;
	static char lines[60 * 6000];
	const struct harness_options options = { .extra_yaml = shift_detector_yaml };
	size_t bytes = 0;

	for (unsigned n = 0; n < 60; n++) {
		char call_id[16], ts[32];

		snprintf(call_id, sizeof call_id, "long-%02u", n);
		snprintf(ts, sizeof ts, "2026-11-29T08:%02u:00Z", n);
		bytes += padded_line(lines + bytes, call_id, ts, 6000 - 2, "\r\n");
	}
	assert_int_equal(harness_start(&f->harness, &options), 0);
	send_and_expect_close(f, lines, bytes, "60 lines, 60 events, 0 rejected");
}


/* max_line_bytes (1024) at its edge: 1024 bytes and "\n", 1024 bytes and "\r\n" are events;
 * 1025 bytes (the input holds it whole: max_line_bytes + 2 with its "\n") and 1026 bytes are
 * line_too_long, and the lines after them are still read. */
static void test_max_line_bytes_edge(void **state)
{
	struct daemon_fixture *f = *state;
	static const struct {
		size_t len;
		const char *end;
	} lines[] = { { 1024, "\n" }, { 1025, "\n" }, { 1024, "\r\n" }, { 1026, "\n" } };
	char text[4 * 1100];
	size_t bytes = 0;

	for (unsigned i = 0; i < 4; i++) {
		char call_id[16], ts[32];

		snprintf(call_id, sizeof call_id, "edge-%u", i);
		snprintf(ts, sizeof ts, "2026-11-29T08:00:0%uZ", i);
		bytes += padded_line(text + bytes, call_id, ts, lines[i].len, lines[i].end);
	}
	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	send_and_expect_close(f, text, bytes, "4 lines, 2 events, 2 rejected (line_too_long 2)");
}

/* Lines longer than feed.max_line_bytes (1024), even one among good ones (feed_rejecting
 * needs a source's every line refused): a limit alert keyed feed.max_line_bytes names the
 * latest one's source, its hello name, else its address; resolved once none came for
 * detector.resolve_after_seconds (1 here). */
static void test_too_long_lines_raise_limit_alert(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_line_bytes: 1024\n",
		.extra_yaml = "log: {rate_limit_seconds: 1}\ndetector: {resolve_after_seconds: 1}\n"
	};
	char text[2 * 1100], message[256];
	size_t bytes = 0;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	int subscriber = connect_subscriber(f);
	int feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-7\"}\n"), 0);
	bytes += padded_line(text + bytes, "good-1", "2026-11-29T08:00:00Z", 200, "\n");
	bytes += padded_line(text + bytes, "long-1", "2026-11-29T08:00:01Z", 1500, "\n");
	assert_int_equal(harness_send_bytes(feed, text, bytes), 0);
	assert_int_equal(expect_limit_alert(subscriber, "feed.max_line_bytes", true,
					    "feed lines rejected as too long, the latest from "
					    "source cad-7 (feed.max_line_bytes reached): %" PRIu64
					    " so far; check what the sender writes, or raise "
					    "feed.max_line_bytes"),
			 1);
	assert_int_equal(expect_limit_alert(subscriber, "feed.max_line_bytes", false,
					    "no line too long (feed.max_line_bytes) for 1 s; "
					    "%" PRIu64 " in all"),
			 1);
	expect_log(&f->harness, "cadmond: feed: no line too long for 1 s (feed.max_line_bytes); 1 "
				"in all\n");
	/* a connection without a hello: named by its address */
	int unnamed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	bytes = padded_line(text, "long-2", "2026-11-29T08:00:02Z", 1500, "\n");
	assert_int_equal(harness_send_bytes(unnamed, text, bytes), 0);
	snprintf(message, sizeof message,
		 "feed lines rejected as too long, the latest from source 127.0.0.1:%u "
		 "(feed.max_line_bytes reached): %%" PRIu64 " so far; check what the sender "
		 "writes, or raise feed.max_line_bytes",
		 local_port(unnamed));
	assert_int_equal(expect_limit_alert(subscriber, "feed.max_line_bytes", true, message), 2);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Three lines too long gap_ms apart with extra_yaml's log and detector settings: one limit
 * alert stays open through the three, resolved (resolved_message) with all three. */
static void too_long_lines_keep_one_alert(struct daemon_fixture *f, const char *extra_yaml,
					  unsigned gap_ms, const char *resolved_message)
{
	const struct harness_options options = { .feed_yaml = "  max_line_bytes: 1024\n",
						 .extra_yaml = extra_yaml };
	char text[1100], line[4096];
	const char *ids[] = { "long-1", "long-2", "long-3" };
	int firings = 0;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	int subscriber = connect_subscriber(f);
	int feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-7\"}\n"), 0);
	for (int i = 0; i < 3; i++) {
		if (i > 0)
			usleep(gap_ms * 1000);
		size_t bytes = padded_line(text, ids[i], "2026-11-29T08:00:01Z", 1050, "\n");
		assert_int_equal(harness_send_bytes(feed, text, bytes), 0);
	}
	for (;;) { /* the limit alert's firings up to its first resolved (not its board line) */
		assert_true(harness_read_line(subscriber, line, sizeof line, 9000) > 0);
		if (!strstr(line, "\"limit\":\"feed.max_line_bytes\""))
			continue;
		if (strncmp(line, "{\"alert\":\"resolved\"", 19) == 0)
			break;
		firings += strncmp(line, "{\"alert\":\"firing\"", 17) == 0;
	}
	assert_int_equal(firings, 1);
	assert_int_equal(
		expect_limit_alert_line(line, "feed.max_line_bytes", false, resolved_message), 3);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A line too long every 2 s, slower than log.rate_limit_seconds (1) but within
 * detector.resolve_after_seconds (5; 3 s to spare for a slow machine): one limit alert stays
 * open through the three, resolved 5 s after the last with all three in it (before: resolved
 * by the log's 1 s and raised again at each line, a firing and a resolved per line). */
static void test_slow_too_long_lines_keep_one_alert(void **state)
{
	too_long_lines_keep_one_alert(
		*state, "log: {rate_limit_seconds: 1}\ndetector: {resolve_after_seconds: 5}\n",
		2000, "no line too long (feed.max_line_bytes) for 5 s; %" PRIu64 " in all");
}

/* detector.resolve_after_seconds 0 (operator alerts never wait), log.rate_limit_seconds 4: the
 * limit alert waits the larger (config_limit_quiet_seconds, the engine's rule). A line too long
 * every 1.5 s keeps one alert, resolved 4 s after the last with all three (before: resolved at
 * the next tick after each line, a firing and a resolved per line). */
static void test_too_long_lines_wait_the_log_interval(void **state)
{
	too_long_lines_keep_one_alert(
		*state, "log: {rate_limit_seconds: 4}\ndetector: {resolve_after_seconds: 0}\n",
		1500, "no line too long (feed.max_line_bytes) for 4 s; %" PRIu64 " in all");
}

static void test_malformed_lines_leave_alert_unchanged(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, feed;
	uint16_t feed_port;
	size_t bytes;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	feed_port = local_port(feed);
	bytes = send_shift(feed, true);
	assert_int_equal(harness_send(feed, "{\"type\":\"call_start\",\"call_id\":\"cut"), 0);
	bytes += strlen("{\"type\":\"call_start\",\"call_id\":\"cut");
	expect_shift_and_line_limit(subscriber, feed_port);
	assert_true(harness_running(&f->harness));

	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: rejected line 2: invalid_json: ", feed_port);
	shutdown(feed, SHUT_WR); /* the unterminated last line is dropped */
	expect_log_format(&f->harness, "cadmond: warning: feed 127.0.0.1:%u: rejected lines: "
			     "(9 similar messages suppressed)\n",
			  feed_port);
	expect_log_format(
		&f->harness,
		"cadmond: feed 127.0.0.1:%u closed: %zu bytes, %zu lines, %zu events, %s, "
		"unterminated last line dropped\n",
		feed_port, bytes, SHIFT_LINE_COUNT + 10, SHIFT_LINE_COUNT, junk_reject_summary);

	/* Still serving: a new subscriber is greeted. */
	connect_subscriber(f);
	assert_int_equal(harness_stop(&f->harness), 0);
}

static void test_every_subscriber_gets_the_alert(void **state)
{
	struct daemon_fixture *f = *state;
	int first, second, feed;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	first = connect_subscriber(f);
	second = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift(feed, false);
	expect_line(first, shift_alert);
	expect_line(second, shift_alert);
	expect_quiet(first);
	expect_quiet(second);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Lines the daemon has received but not yet processed when SIGTERM arrives are processed,
 * and their alert reaches the subscriber before the daemon closes and exits 0 within 5 s.
 * The daemon is paused (SIGSTOP) while the shift arrives, so it waits in the daemon's socket.
 * (The shift is one iteration's read; test_durability's test_lines_read_at_shutdown_* sends
 * more, so that the shutdown read takes the rest.) */
static void test_sigterm_drains_and_exits_0(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, feed;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u connected\n", local_port(feed));
	assert_int_equal(harness_pause(&f->harness), 0);
	send_shift(feed, false);
	usleep(100 * 1000); /* loopback delivery into the stopped daemon's socket */
	assert_int_equal(harness_stop(&f->harness), 0); /* SIGTERM, SIGCONT */
	assert_true(f->harness.stop_ms < HARNESS_STOP_TIMEOUT_MS);
	expect_line(subscriber, shift_alert);
	assert_true(harness_wait_eof(subscriber, READ_TIMEOUT_MS));
	assert_true(harness_wait_eof(feed, READ_TIMEOUT_MS));
	/* The lines, in the kernel before the SIGTERM, are read in the loop iteration that finds
	 * the socket readable (feed.h), which the kernel reports before the signal's: every one
	 * is processed and its alert delivered before the daemon exits. */
	expect_log(&f->harness, "cadmond: SIGTERM: shutting down\n");
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: 1175 bytes, 11 lines, 11 events",
			  local_port(feed));
	expect_log(&f->harness, ", 11 lines, 11 events, 0 rejected, 1 alerts\n");
}

/* --- limits --- */

static void test_feed_beyond_max_connections_is_refused(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_connections: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	int subscriber, first, second;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	subscriber = connect_subscriber(f);
	first = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift(first, false); /* its first line makes it a feed: it holds the one slot */
	expect_line(subscriber, shift_alert);
	second = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	assert_true(harness_wait_eof(second, READ_TIMEOUT_MS));
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u refused: 1 connections open "
			  "(feed.max_connections)\n",
			  local_port(second));
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A subscriber socket whose receive buffer is small, so the daemon's queue fills soon. */
static int connect_stalled_subscriber(struct daemon_fixture *f)
{
	const int small = 4096;
	int fd = tracked_add(&f->fds, socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_port = htons(f->harness.alerts_port) };

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
	return fd;
}

#define FLOOD_OPERATORS 4096
#define FLOOD_BATCH 64

/* Operator op-N's one call (flood_fixture.h); numbered 2N+1 and 2N+2 when asked, for
 * acknowledgement. The bytes sent. */
static size_t send_flood_call(int feed, unsigned n, bool numbered)
{
	char lines[FLOOD_CALL_LINES_MAX];
	size_t len = flood_call_lines(n, numbered, lines);

	assert_int_equal(harness_send(feed, lines), 0);
	return len;
}

/* A subscriber that never reads while 1 MiB of alerts flows is disconnected; another one
 * receives every alert, in order. */
static void test_stalled_subscriber_does_not_stop_others(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.alerts_yaml = "  max_queue_bytes: 65536\n",
		.extra_yaml =
			"tracker:\n"
			"  max_operators: 10000\n"
			"  max_new_operators_per_source_per_hour: 0\n" /* a call-taker per call */
			"detector:\n"
			"  resolve_after_seconds: 2592000\n"
			"  rules: [{name: every, window_seconds: 60, min_calls: 1, "
			"min_premature: 1, severity: info}]\n",
	};
	int reader, stalled, feed;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	stalled = connect_stalled_subscriber(f);
	expect_log_format(&f->harness, "cadmond: subscriber 127.0.0.1:%u connected\n",
			  local_port(stalled));
	reader = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	for (unsigned batch = 0; batch < FLOOD_OPERATORS; batch += FLOOD_BATCH) {
		for (unsigned n = batch; n < batch + FLOOD_BATCH; n++)
			send_flood_call(feed, n, false);
		for (unsigned n = batch; n < batch + FLOOD_BATCH; n++)
			flood_expect_alert(reader, n);
	}
	expect_log_format(&f->harness,
			  "cadmond: warning: subscriber 127.0.0.1:%u disconnected: too slow, ",
			  local_port(stalled));
	assert_true(harness_wait_eof(stalled, READ_TIMEOUT_MS));
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness, " subscribers (0 refused, 1 too slow), ");
}

/* Read the acks of numbered lines until {"ack":last}: each exactly {"ack":N}, N rising. */
static void expect_rising_acks(int feed, uint64_t last)
{
	char line[128];
	uint64_t previous = 0;
	unsigned long long seq = 0;

	while (seq < last) {
		char expected[64];

		assert_true(harness_read_line(feed, line, sizeof line, READ_TIMEOUT_MS) > 0);
		assert_int_equal(sscanf(line, "{\"ack\":%llu}", &seq), 1);
		snprintf(expected, sizeof expected, "{\"ack\":%llu}", seq);
		assert_string_equal(line, expected);
		assert_true(seq > previous && seq <= last);
		previous = seq;
	}
}

/* Flood calls from *n on, count of them, each alert read; the bytes sent. */
static size_t send_flood_batch(int feed, int reader, unsigned *n, unsigned count)
{
	size_t sent = 0;
	unsigned first = *n;

	for (; *n < first + count; (*n)++)
		sent += send_flood_call(feed, *n, true);
	for (unsigned i = first; i < *n; i++)
		flood_expect_alert(reader, i);
	return sent;
}

/* feed.snapshot_iteration_budget_us at 1 us, 64 KiB segments: every line read while a snapshot
 * is near (the segment's last eighth) or written is cut short after FEED_DEADLINE_CHECK_LINES. */
static const struct harness_options budget_options = {
	.feed_yaml = "  snapshot_iteration_budget_us: 1\n",
	.extra_yaml = FLOOD_DETECTOR_YAML FLOOD_SMALL_SEGMENTS_YAML,
};

#define CUT_SHORT_METRIC "cadmon_feed_iterations_cut_short_total"

/* Flood calls on feed, numbered, from *n on until the first segment is in its last eighth
 * (read less from there), each alert and ack read: the bytes sent. */
static size_t fill_to_near_segment_end(const struct harness *h, int feed, int reader,
				       unsigned *n)
{
	size_t sent = 0;

	while (expect_metric_value(h, "cadmon_journal_bytes_written_total") <
	       FLOOD_NEAR_SEGMENT_END) {
		sent += send_flood_batch(feed, reader, n, 10);
		expect_rising_acks(feed, 2 * *n);
	}
	assert_int_equal(expect_metric_value(h, "cadmon_journal_segments_created_total"), 1);
	return sent;
}

/* The lines read while a snapshot is near or written are processed FEED_DEADLINE_CHECK_LINES
 * at a time, the rest left in the buffer for the next iteration (counted), yet every line is
 * processed once and in order: the alert of every call, in order, acks rising to the last
 * seq, the closing counts exact. */
static void test_snapshot_budget_spreads_a_burst_in_order(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness *h = &f->harness;
	int reader, feed;
	size_t sent;
	unsigned n = 0;
	uint64_t cut_before;

	assert_int_equal(harness_start(h, &budget_options), 0);
	reader = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(h));
	expect_log_format(h, "cadmond: feed 127.0.0.1:%u connected\n", local_port(feed));
	sent = fill_to_near_segment_end(h, feed, reader, &n);
	cut_before = expect_metric_value(h, CUT_SHORT_METRIC);
	assert_int_equal(harness_pause(h), 0); /* the burst waits in the socket */
	for (unsigned i = n; i < n + FLOOD_BURST_CALLS; i++)
		sent += send_flood_call(feed, i, true);
	assert_int_equal(harness_resume(h), 0);
	flood_expect_burst_spread(h, reader, n, cut_before);
	n += FLOOD_BURST_CALLS;
	expect_rising_acks(feed, 2 * n);
	shutdown(feed, SHUT_WR);
	expect_log_format(h,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %u lines, %u events, 0 "
			  "rejected\n",
			  local_port(feed), sent, 2 * n, 2 * n);
	expect_quiet(reader);
	assert_int_equal(harness_stop(h), 0);
}

#define FAIR_FEEDS 3
#define FAIR_CALLS 60 /* a feed's burst: 120 lines, 10 KB, read whole by its first turn */
/* Calls a connection processes a turn at 1 us: FEED_DEADLINE_CHECK_LINES (4) lines of 2. */
#define FAIR_CALLS_PER_TURN 2
/* Iterations certainly within the segment's last eighth: the fill stops at most 10 calls past
 * FLOOD_NEAR_SEGMENT_END, leaving at least 4.5 KB, 30 lines, of the segment. */
#define FAIR_ROUNDS 2

/* line and expected have the same text from "key": up to stop (or to the end, stop NULL). */
static void expect_same_part(const char *line, const char *expected, const char *key,
			     const char *stop)
{
	const char *at = strstr(line, key), *expected_at = strstr(expected, key);
	const char *end = stop && at ? strstr(at, stop) : NULL;
	const char *expected_end = stop && expected_at ? strstr(expected_at, stop) : NULL;

	assert_non_null(at);
	assert_non_null(expected_at);
	if (!end)
		end = at + strlen(at);
	if (!expected_end)
		expected_end = expected_at + strlen(expected_at);
	if ((size_t)(end - at) != (size_t)(expected_end - expected_at) ||
	    memcmp(at, expected_at, (size_t)(end - at)) != 0)
		fail_msg("alert\n%s\nis not\n%s", line, expected);
}

/* The next alert on reader is that of a burst call, op-N with N = first + FAIR_FEEDS * j + i
 * (the j-th call of feed i), as the seq-th alert; j is feed i's next (*next_of[i] counts them).
 * Exactly but for its ts and alert_id (from the ts): the center's clock when it fired, which
 * another feed's later call may have moved past the call's end. Returns i. */
static unsigned expect_fair_alert(int reader, unsigned first, uint64_t seq,
				  unsigned next_of[FAIR_FEEDS])
{
	char line[FLOOD_ALERT_MAX], expected[FLOOD_ALERT_MAX];
	const char *op_at;
	unsigned op, feed;

	do
		assert_true(harness_read_line(reader, line, sizeof line, READ_TIMEOUT_MS) > 0);
	while (is_board_line(line));
	op_at = strstr(line, "\"operator\":\"op-");
	assert_non_null(op_at);
	assert_int_equal(sscanf(op_at, "\"operator\":\"op-%u\"", &op), 1);
	assert_true(op >= first && op < first + FAIR_FEEDS * FAIR_CALLS);
	feed = (op - first) % FAIR_FEEDS;
	assert_int_equal((op - first) / FAIR_FEEDS, next_of[feed]);
	next_of[feed]++;
	flood_alert_line(op, seq, expected);
	expect_same_part(line, expected, "{\"alert\":", ",\"alert_id\":");
	expect_same_part(line, expected, ",\"seq\":", ",\"ts\":");
	expect_same_part(line, expected, ",\"type\":", NULL);
	return feed;
}

/* Several feeds under the cut: every connection with lines left gets a turn in every
 * iteration, and processes FEED_DEADLINE_CHECK_LINES of them even past the deadline (feed.h),
 * so none waits for the others: the first iterations' alerts are 2 calls of each feed; every
 * feed's calls all processed, in order, once, counted exactly at the close. */
static void test_snapshot_budget_serves_every_feed(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness *h = &f->harness;
	int reader, feeds[FAIR_FEEDS];
	size_t sent[FAIR_FEEDS] = { 0 };
	unsigned n = 0, first, next_of[FAIR_FEEDS] = { 0 };
	uint64_t seq, cut_before;

	assert_int_equal(harness_start(h, &budget_options), 0);
	reader = connect_subscriber(f);
	for (unsigned i = 0; i < FAIR_FEEDS; i++) {
		feeds[i] = tracked_add(&f->fds, harness_connect_feed(h));
		expect_log_format(h, "cadmond: feed 127.0.0.1:%u connected\n",
				  local_port(feeds[i]));
		if (i == 0) /* the others after it, well within their handshake timeout */
			sent[0] = fill_to_near_segment_end(h, feeds[0], reader, &n);
	}
	first = n;
	seq = first;
	cut_before = expect_metric_value(h, CUT_SHORT_METRIC);
	assert_int_equal(harness_pause(h), 0); /* every burst waits in its socket */
	for (unsigned j = 0; j < FAIR_CALLS; j++)
		for (unsigned i = 0; i < FAIR_FEEDS; i++)
			sent[i] += send_flood_call(feeds[i], first + FAIR_FEEDS * j + i, false);
	assert_int_equal(harness_resume(h), 0);
	for (unsigned round = 0; round < FAIR_ROUNDS; round++) {
		unsigned alerts_of[FAIR_FEEDS] = { 0 };

		for (unsigned k = 0; k < FAIR_FEEDS * FAIR_CALLS_PER_TURN; k++)
			alerts_of[expect_fair_alert(reader, first, ++seq, next_of)]++;
		for (unsigned i = 0; i < FAIR_FEEDS; i++)
			assert_int_equal(alerts_of[i], FAIR_CALLS_PER_TURN);
	}
	while (seq < first + FAIR_FEEDS * FAIR_CALLS)
		expect_fair_alert(reader, first, ++seq, next_of);
	for (unsigned i = 0; i < FAIR_FEEDS; i++)
		assert_int_equal(next_of[i], FAIR_CALLS);
	assert_true(expect_metric_value(h, CUT_SHORT_METRIC) >= cut_before + FAIR_ROUNDS);
	for (unsigned i = 0; i < FAIR_FEEDS; i++) {
		unsigned lines = 2 * FAIR_CALLS + (i == 0 ? 2 * first : 0);

		shutdown(feeds[i], SHUT_WR);
		expect_log_format(h,
				  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %u lines, %u "
				  "events, 0 rejected\n",
				  local_port(feeds[i]), sent[i], lines, lines);
	}
	expect_quiet(reader);
	assert_int_equal(harness_stop(h), 0);
}

/* At SIGTERM a subscriber that does not read holds up the exit by CADMOND_FLUSH_SECONDS (2 s)
 * at most; the exit status is still 0. */
static void test_shutdown_waits_for_a_stalled_subscriber_at_most_2_s(void **state)
{
	struct daemon_fixture *f = *state;
	/* Room for the 2000 alerts and the board of their 2000 open alerts (1.5 MB in all), should
	 * any of them reach the subscriber live: it is never dropped as too slow, so it still has
	 * them unsent at the SIGTERM. */
	const struct harness_options options = {
		.alerts_yaml = "  max_queue_bytes: 4194304\n",
		.extra_yaml =
			"tracker:\n"
			"  max_new_operators_per_source_per_hour: 0\n" /* a call-taker per call */
			"  max_operators: 5000\n" /* the 2000 of them kept, with their alerts */
			"detector:\n"
			"  resolve_after_seconds: 2592000\n"
			"  rules: [{name: every, window_seconds: 60, min_calls: 1, "
			"min_premature: 1, severity: info}]\n",
	};
	int stalled, feed;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u connected\n", local_port(feed));
	for (unsigned n = 0; n < 2000; n++)
		send_flood_call(feed, n, true);
	/* Every line processed, however long the flood takes on a loaded machine (each ack
	 * within READ_TIMEOUT_MS of the one before). The subscriber comes after, asking for
	 * the 2000 alerts from the start: none is raised while it is connected, so whether
	 * its 1 s since window ends before, during or after the flood no longer matters. */
	expect_ack(feed, 4000, 0);
	expect_log(&f->harness, "cadmond: alert 2000: ");
	stalled = connect_stalled_subscriber(f);
	expect_log_format(&f->harness, "cadmond: subscriber 127.0.0.1:%u connected\n",
			  local_port(stalled));
	assert_int_equal(harness_send(stalled, "{\"since\":0}\n"), 0);
	expect_log_format(&f->harness, "cadmond: subscriber 127.0.0.1:%u: alerts since seq 0\n",
			  local_port(stalled));
	assert_int_equal(harness_stop(&f->harness), 0);
	assert_in_range(f->harness.stop_ms, 1900, HARNESS_STOP_TIMEOUT_MS - 1);
	expect_log(&f->harness,
		   "cadmond: warning: 1 subscribers did not take their alerts within 2 s; "
		   "closing\n");
	expect_log(&f->harness, " subscribers (0 refused, 0 too slow), ");
	expect_log(&f->harness, ", 4000 lines, 4000 events, 0 rejected, 2000 alerts\n");
}

/* --- reload --- */

/* After a refused reload: nothing was applied, and the running rule (4 calls) still fires on
 * the shift. */
static void expect_running_rule_kept(struct daemon_fixture *f)
{
	int subscriber, feed;

	expect_no_log(&f->harness, "reload: ");
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift(feed, false);
	expect_line(subscriber, shift_alert);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A file with errors changes nothing, not even its valid parts: the rule of the rejected
 * file (5 calls) would not fire on the shift; the running one (4 calls) does. */
static void test_reload_with_errors_keeps_running_config(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	assert_int_equal(harness_write_file(path, "feed:\n"
						  "  max_line_bytes: 10\n"
						  "alerts:\n"
						  "  bogus: 1\n"
						  "detector:\n"
						  "  rules: [{name: burst, window_seconds: 600, "
						  "min_calls: 5, min_premature: 3, min_ratio: 0.5, "
						  "severity: critical}]\n"),
			 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(
		&f->harness,
		"cadmond: error: %s:2:19: feed.max_line_bytes: must be an integer from 256 "
		"to 16777216\n"
		"cadmond: error: %s:4:3: alerts.bogus: unknown key\n"
		"cadmond: error: configuration not reloaded: 2 errors; keeping the running one\n",
		path, path);
	expect_running_rule_kept(f);
}

/* A file emptied between two writes of a configuration tool is refused at a reload: the
 * running configuration, its rule included, stays. */
static void test_reload_of_an_emptied_file_keeps_running_config(void **state)
{
	struct daemon_fixture *f = *state;
	const char *path = f->harness.config_path;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	assert_int_equal(harness_write_file(path, ""), 0);
	expect_reload_log_format(&f->harness,
				 "cadmond: error: %s: holds no configuration (empty, comments or "
				 "an empty document)\n"
				 "cadmond: error: configuration not reloaded: 1 error; keeping the "
				 "running one\n",
				 path);
	expect_running_rule_kept(f);
}

static void test_reload_applies_subscriber_limit(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options one_subscriber = {
		.alerts_yaml = "  max_subscribers: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	int refused;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	assert_int_equal(harness_write_config(&f->harness, &one_subscriber), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: feed.max_line_bytes: 1024 -> 65536\n"
		      "cadmond: reload: alerts.max_subscribers: 64 -> 1\n"
		      "cadmond: configuration reloaded: 2 changes\n");
	connect_subscriber(f);
	refused = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));
	assert_true(harness_wait_eof(refused, READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: subscriber 127.0.0.1:%u refused: 1 subscribers connected "
		"(alerts.max_subscribers)\n",
		local_port(refused));
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Write the config with the example mapping, its listen and skip_when_empty lines as given,
 * and reload. */
static void reload_mapping(struct daemon_fixture *f, const char *mappings, const char *listen,
			   bool skip)
{
	static char extra[8192];
	const char *skip_line = strstr(mappings, "    skip_when_empty:");

	assert_non_null(skip_line);
	snprintf(extra, sizeof extra, "%.*s%s%s", (int)(skip_line - mappings), mappings,
		 skip ? "    skip_when_empty: [operator, answer_time]\n" : "", listen);
	const struct harness_options options = { .extra_yaml = extra };
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
}

/* Send lines to a new connection to port and close it; its local port. */
static uint16_t send_and_close(struct daemon_fixture *f, uint16_t port, const char *text)
{
	int fd = tracked_add(&f->fds, harness_connect(port));

	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, text), 0);
	shutdown(fd, SHUT_WR);
	return local_port(fd);
}

/* mappings[].listen and the mapping are live: a reload adds the address, moves it (the
 * mapping's new content taken by new connections), and one that cannot bind keeps the running
 * listener and configuration. */
static void test_reload_moves_mapping_listener(void **state)
{
	struct daemon_fixture *f = *state;
	char *mappings = harness_read_file(CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml");
	static const char rows[] =
		"CallID,Agency,Position,AgentID,ANI,AnswerTime,ReleaseTime,ReleasedBy,"
		"IncidentNo\r\n"
		"C1,KCPD,P01,AG01,,11/29/2026 06:01:44 AM,11/29/2026 06:03:09 AM,A,\r\n"
		"C2,KCPD,P02,,5045550000,,11/29/2026 06:04:00 AM,C,\r\n";
	int busy = tracked_add(&f->fds, socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in address = { .sin_family = AF_INET };
	uint16_t ports[2], peer;
	char listen_yaml[128];

	assert_non_null(mappings);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(busy, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(busy, 1), 0);
	assert_int_equal(harness_pick_ports(ports, 2), 0);
	const struct harness_options options = { .extra_yaml = mappings };
	assert_int_equal(harness_start(&f->harness, &options), 0);

	snprintf(listen_yaml, sizeof listen_yaml, "    listen: \"127.0.0.1:%u\"\n", ports[0]);
	reload_mapping(f, mappings, listen_yaml, true);
	expect_log_format(&f->harness,
			  "cadmond: listening for feeds of mapping example-cdr on 127.0.0.1:%u\n",
			  ports[0]);
	expect_log_format(&f->harness,
			  "cadmond: reload: mappings.example-cdr.listen:  -> [127.0.0.1:%u]\n"
			  "cadmond: configuration reloaded: 1 change\n",
			  ports[0]);
	peer = send_and_close(f, ports[0], rows);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, 2 lines, 2 events, "
			  "0 rejected, 1 skipped (unanswered)\n",
			  peer, strlen(rows));

	snprintf(listen_yaml, sizeof listen_yaml, "    listen: \"127.0.0.1:%u\"\n", ports[1]);
	reload_mapping(f, mappings, listen_yaml, false);
	expect_log_format(&f->harness,
			  "cadmond: reload: mappings.example-cdr.skip_when_empty: [operator, "
			  "answer_time] -> \n"
			  "cadmond: reload: mappings.example-cdr.listen: [127.0.0.1:%u] -> "
			  "[127.0.0.1:%u]\n"
			  "cadmond: no longer listening for feeds of mapping example-cdr on "
			  "127.0.0.1:%u\n"
			  "cadmond: listening for feeds of mapping example-cdr on 127.0.0.1:%u\n"
			  "cadmond: configuration reloaded: 2 changes\n",
			  ports[0], ports[1], ports[0], ports[1]);
	assert_true(harness_connect(ports[0]) < 0);
	peer = send_and_close(f, ports[1], rows);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line 3: missing_field: "
			  "\"AgentID\": missing or empty\n",
			  peer);

	snprintf(listen_yaml, sizeof listen_yaml, "    listen: \"127.0.0.1:%u\"\n",
		 local_port(busy));
	reload_mapping(f, mappings, listen_yaml, false);
	expect_log_format(
		&f->harness,
		"cadmond: error: configuration not reloaded: mappings[0].listen: cannot "
		"listen on 127.0.0.1:%u: Address already in use; keeping the running one\n",
		local_port(busy));
	peer = send_and_close(f, ports[1], rows);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, 2 lines, 2 events, "
			  "1 rejected (missing_field 1)\n",
			  peer, strlen(rows));
	assert_int_equal(harness_stop(&f->harness), 0);
	free(mappings);
}

int main(void)
{
	if (getenv("CADMON_TEST_FILTER")) /* one test by hand, e.g. test_huge_* */
		cmocka_set_test_filter(getenv("CADMON_TEST_FILTER"));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_good_config, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_dump_config_names_origins,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_check_bad_config_prints_every_error,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_check_counts_errors_beyond_the_kept_ones,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_at_start_exits_1,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test(test_check_missing_file),
		cmocka_unit_test_setup_teardown(test_check_empty_file_is_an_error,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_help_documents_exit_codes),
		cmocka_unit_test(test_dump_schema),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test_setup_teardown(test_bind_failure_exits_3, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_shift_alerts_subscriber, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_mapping_streams_cdr_rows,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_check_feed_mapping_zone, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_check_key_files, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mapping_listens_beside_the_feed_port,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_moves_mapping_listener,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines_leave_alert_unchanged,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_huge_line_is_discarded_across_reads,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_across_reads, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_too_long_lines_raise_limit_alert,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slow_too_long_lines_keep_one_alert,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_too_long_lines_wait_the_log_interval,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_max_line_bytes_edge, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_every_subscriber_gets_the_alert,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_drains_and_exits_0,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_beyond_max_connections_is_refused,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stalled_subscriber_does_not_stop_others,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_budget_spreads_a_burst_in_order,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_budget_serves_every_feed,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_shutdown_waits_for_a_stalled_subscriber_at_most_2_s,
			daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_with_errors_keeps_running_config,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_of_an_emptied_file_keeps_running_config,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_applies_subscriber_limit,
						daemon_fixture_setup, daemon_fixture_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
