/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Connection slots against the real cadmond (daemon/guard.h, docs/protocol.md "Connection
 * rules"): idle and slow clients cannot hold the slots of the CAD, the consoles or the HTTP
 * clients. Clients from "other hosts" connect from other loopback addresses (127.0.0.2, ...),
 * which Linux routes to lo like 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define READ_TIMEOUT_MS EXPECT_READ_TIMEOUT_MS
#define LINE_MAX_BYTES 4096
#define HTTP_ANSWER_MAX (256 * 1024)

/* The shift's rule, with warnings rate-limited to one per 2 s (not 60) and a limit alert
 * resolved after 2 s without a refusal (detector.resolve_after_seconds). Filled by main(). */
static char guard_detector_yaml[512];

static void make_guard_detector_yaml(void)
{
	static const char minute[] = "rate_limit_seconds: 60\n";
	const char *at = strstr(shift_detector_yaml, minute);

	if (!at) {
		fprintf(stderr, "shift_detector_yaml has no \"%s\"\n", minute);
		exit(1);
	}
	snprintf(guard_detector_yaml, sizeof guard_detector_yaml,
		 "detector:\n  resolve_after_seconds: 2\n%.*srate_limit_seconds: 2\n%s",
		 (int)(at - shift_detector_yaml - strlen("detector:\n")),
		 shift_detector_yaml + strlen("detector:\n"), at + strlen(minute));
}

/* A connection from source_ip (a loopback address) to 127.0.0.1:port, tracked. */
static int connect_from(struct daemon_fixture *f, const char *source_ip, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, source_ip, &local.sin_addr), 1);
	remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&local, sizeof local), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&remote, sizeof remote), 0);
	return tracked_add(&f->fds, fd);
}

/* "127.0.0.N" for n. */
static const char *loopback(unsigned n)
{
	static char text[4][16];
	static unsigned next;
	char *out = text[next++ % 4];

	snprintf(out, sizeof text[0], "127.0.0.%u", n);
	return out;
}

/* The whole answer to an HTTP/1.0 GET from 127.0.0.1; NULL when the connection was closed
 * without one. malloc'd. */
static char *http_get(uint16_t port, const char *path)
{
	char request[256], *answer = calloc(1, HTTP_ANSWER_MAX);
	size_t used = 0;
	int fd = harness_connect(port);
	int64_t deadline_ms = harness_now_ms() + READ_TIMEOUT_MS;

	assert_non_null(answer);
	assert_true(fd >= 0);
	snprintf(request, sizeof request, "GET %s HTTP/1.0\r\n\r\n", path);
	if (harness_send(fd, request) < 0) {
		close(fd);
		free(answer);
		return NULL;
	}
	while (used < HTTP_ANSWER_MAX - 1 && harness_now_ms() < deadline_ms) {
		struct pollfd ready = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&ready, 1, 100) <= 0)
			continue;
		got = read(fd, answer + used, HTTP_ANSWER_MAX - 1 - used);
		if (got <= 0)
			break;
		used += (size_t)got;
	}
	close(fd);
	if (used == 0) {
		free(answer);
		return NULL;
	}
	return answer;
}

/* The value of one sample ("cadmon_x{a=\"b\"}") in /metrics; fails when it is missing. */
static uint64_t metric(const struct harness *h, const char *sample)
{
	char *answer = http_get(h->http_port, "/metrics");
	char needle[256];
	const char *at;
	uint64_t value;

	assert_non_null(answer);
	snprintf(needle, sizeof needle, "\n%s ", sample);
	at = strstr(answer, needle);
	if (!at)
		fail_msg("no %s in /metrics:\n%s", sample, answer);
	value = strtoull(at + strlen(needle), NULL, 10);
	free(answer);
	return value;
}

/* Wait up to READ_TIMEOUT_MS for a sample to reach expected. */
static void expect_metric(const struct harness *h, const char *sample, uint64_t expected)
{
	int64_t deadline_ms = harness_now_ms() + READ_TIMEOUT_MS;
	uint64_t value = metric(h, sample);

	while (value != expected && harness_now_ms() < deadline_ms) {
		usleep(50 * 1000);
		value = metric(h, sample);
	}
	if (value != expected)
		fail_msg("%s: %" PRIu64 ", expected %" PRIu64, sample, value, expected);
}

static void read_line(int fd, char line[LINE_MAX_BYTES])
{
	ssize_t len = harness_read_line(fd, line, LINE_MAX_BYTES, READ_TIMEOUT_MS);

	if (len < 0)
		fail_msg("no line: %zd", len);
}

/* A console from 127.0.0.1 that asked for the history at once: taken as a console, past the
 * empty board. */
static int connect_console(struct daemon_fixture *f)
{
	int fd = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));

	expect_line(fd, hello_line);
	assert_int_equal(harness_send(fd, "{\"since\":0}\n"), 0);
	expect_line(fd, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(fd, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	return fd;
}

/* The shift's alert with another seq (a limit alert came first). */
static const char *shift_alert_as_seq(unsigned seq)
{
	static char alert[2048];
	const char *at = strstr(shift_alert, "\"seq\":1,");

	assert_non_null(at);
	snprintf(alert, sizeof alert, "%.*s\"seq\":%u,%s", (int)(at - shift_alert), shift_alert,
		 seq, at + strlen("\"seq\":1,"));
	return alert;
}

/* The limit alert for key raised after refusals: logged, then seq 1 on the stream. */
static void expect_limit_alert_logged(const struct harness *h, const char *key)
{
	expect_log_format(
		h, "cadmond: alert 1: limit firing (warning): connections refused (%s reached): ",
		key);
}

static void send_shift(int fd)
{
	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++)
		assert_int_equal(harness_send(fd, shift_lines[i]), 0);
}

/* --- the scenarios --- */

#define IDLE_FEEDS 4

/* (a) As many idle connections as feed.max_connections, from four hosts, then the real CAD:
 * the idle ones wait in pending slots and never take a feed's slot, so every event of the
 * shift gets in; each idle one is closed after feed.handshake_timeout_seconds, logged and
 * counted. (Before: the CAD was refused, 0 events got in.) */
static void test_idle_feeds_cannot_take_the_cads_slot(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_connections: 4\n  max_pending_connections: 6\n  "
			     "handshake_timeout_seconds: 1\n",
		.extra_yaml = guard_detector_yaml,
	};
	int idle[IDLE_FEEDS], cad, console;
	int64_t opened_ms;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	console = connect_console(f);
	opened_ms = harness_now_ms();
	for (unsigned i = 0; i < IDLE_FEEDS; i++) {
		idle[i] = connect_from(f, loopback(2 + i), f->harness.feed_port);
		expect_log_format(&f->harness, "cadmond: feed 127.0.0.%u:%u connected\n", 2 + i,
				  local_port(idle[i]));
	}
	cad = connect_from(f, "127.0.0.1", f->harness.feed_port);
	send_shift(cad);
	expect_line(console, shift_alert);
	for (unsigned i = 0; i < IDLE_FEEDS; i++) {
		assert_true(harness_wait_eof(idle[i], READ_TIMEOUT_MS));
		expect_log_format(&f->harness,
				  "cadmond: feed 127.0.0.%u:%u: closing: no valid line within 1 s "
				  "(feed.handshake_timeout_seconds)\n"
				  "cadmond: feed 127.0.0.%u:%u closed: 0 bytes, 0 lines, 0 events, "
				  "0 rejected\n",
				  2 + i, local_port(idle[i]), 2 + i, local_port(idle[i]));
	}
	assert_true(harness_now_ms() - opened_ms >= 1000);
	expect_no_log_format(&f->harness, "feed 127.0.0.1:%u: closing", local_port(cad));
	expect_metric(&f->harness, "cadmon_events_total", SHIFT_LINE_COUNT);
	expect_metric(&f->harness, "cadmon_feeds_refused_total", 0);
	expect_metric(&f->harness,
		      "cadmon_connections_closed_total{port=\"feed\",reason=\"handshake\"}",
		      IDLE_FEEDS);
	expect_metric(&f->harness, "cadmon_connections_pending{port=\"feed\"}", 0);
	expect_metric(&f->harness, "cadmon_feeds", 1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* (b) Idle connections to the alert port from one host: two are taken (pending, then
 * consoles once their 1 s since-window ends), the others refused at once by
 * alerts.max_connections_per_address; a real console still gets the hello and the alert. */
static void test_idle_consoles_cannot_take_the_consoles_slots(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.alerts_yaml = "  max_subscribers: 4\n  max_connections_per_address: 2\n",
		.extra_yaml = shift_detector_yaml,
	};
	int idle[4], console, feed;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	for (unsigned i = 0; i < 4; i++)
		idle[i] = connect_from(f, "127.0.0.2", f->harness.alerts_port);
	assert_true(harness_wait_eof(idle[2], READ_TIMEOUT_MS));
	assert_true(harness_wait_eof(idle[3], READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: subscriber 127.0.0.2:%u refused: 2 connections from 127.0.0.2 "
		"(alerts.max_connections_per_address)\n",
		local_port(idle[2]));
	expect_limit_alert_logged(&f->harness, "alerts.max_connections_per_address");
	console = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));
	expect_line(console, hello_line);
	expect_log_format(&f->harness, "cadmond: subscriber 127.0.0.1:%u connected\n",
			  local_port(console));
	usleep(1200 *
	       1000); /* its since-window ends: it is a console, the limit alert on its board */
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift(feed);
	expect_line(console, shift_alert_as_seq(2));
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"alerts\",reason=\"per_address\"}",
		      2);
	expect_metric(&f->harness, "cadmon_subscribers_refused_total", 2);
	assert_int_equal(harness_stop(&f->harness), 0);
}

#define SLOW_SENDERS 4

/* (c) Senders of one byte a second, with feed.idle_timeout_seconds 3: each is closed once its
 * line has been incomplete for feed.line_timeout_seconds (2 s), pending ones and a feed that
 * sent a valid line first alike; an honest CAD writing each line in three segments a few ms
 * apart stays, and every one of its events gets in. */
static void test_slow_senders_are_closed_after_line_timeout(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  idle_timeout_seconds: 3\n  line_timeout_seconds: 2\n",
		.extra_yaml = guard_detector_yaml,
	};
	int slow[SLOW_SENDERS], established, cad, console;
	int64_t started_ms;
	bool closed[SLOW_SENDERS + 1] = { false };

	assert_int_equal(harness_start(&f->harness, &options), 0);
	console = connect_console(f);
	for (unsigned i = 0; i < SLOW_SENDERS; i++)
		slow[i] = connect_from(f, loopback(2 + i), f->harness.feed_port);
	established = connect_from(f, "127.0.0.9", f->harness.feed_port);
	assert_int_equal(harness_send(established, "{\"hello\":\"feed\",\"source\":\"cad-9\"}\n"),
			 0);
	cad = connect_from(f, "127.0.0.1", f->harness.feed_port);
	started_ms = harness_now_ms();
	for (unsigned second = 0; second < 4; second++) {
		for (unsigned i = 0; i <= SLOW_SENDERS; i++) {
			int fd = i < SLOW_SENDERS ? slow[i] : established;
			if (!closed[i] && harness_send(fd, "{") < 0)
				closed[i] = true;
		}
		for (size_t i = second * 3; i < SHIFT_LINE_COUNT && i < second * 3 + 3; i++) {
			const char *line = shift_lines[i];
			size_t len = strlen(line), third = len / 3;

			assert_int_equal(harness_send_bytes(cad, line, third), 0);
			usleep(3 * 1000);
			assert_int_equal(harness_send_bytes(cad, line + third, third), 0);
			usleep(3 * 1000);
			assert_int_equal(harness_send_bytes(cad, line + 2 * third, len - 2 * third),
					 0);
		}
		usleep(1000 * 1000);
	}
	expect_line(console, shift_alert);
	for (unsigned i = 0; i < SLOW_SENDERS; i++) {
		assert_true(harness_wait_eof(slow[i], READ_TIMEOUT_MS));
		expect_log_format(&f->harness,
				  "cadmond: feed 127.0.0.%u:%u: closing: a line incomplete for 2 s "
				  "(feed.line_timeout_seconds)\n",
				  2 + i, local_port(slow[i]));
	}
	assert_true(harness_wait_eof(established, READ_TIMEOUT_MS));
	assert_true(harness_now_ms() - started_ms >= 2000);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.9:%u: closing: a line incomplete for 2 s "
			  "(feed.line_timeout_seconds)\n",
			  local_port(established));
	expect_no_log_format(&f->harness, "feed 127.0.0.1:%u: closing", local_port(cad));
	expect_metric(&f->harness,
		      "cadmon_connections_closed_total{port=\"feed\",reason=\"line_timeout\"}",
		      SLOW_SENDERS + 1);
	expect_metric(&f->harness, "cadmon_connections_closed_total{port=\"feed\",reason=\"idle\"}",
		      0);
	expect_metric(&f->harness, "cadmon_events_total", SHIFT_LINE_COUNT);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Idle means "completes no line": with feed.idle_timeout_seconds 1 (and a line timeout far
 * off), a feed that sent a valid line and then a byte every 300 ms is closed about 1 s after
 * its last complete line; one sending an empty line (a heartbeat) every 300 ms stays. */
static void test_bytes_without_a_line_do_not_keep_a_feed(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  idle_timeout_seconds: 1\n  line_timeout_seconds: 60\n",
		.extra_yaml = guard_detector_yaml,
	};
	int dribbler, heartbeat;
	int64_t line_ms, closed_ms = 0;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	dribbler = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	heartbeat = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	assert_int_equal(harness_send(heartbeat, "{\"hello\":\"feed\",\"source\":\"cad-2\"}\n"), 0);
	assert_int_equal(harness_send(dribbler, shift_lines[0]), 0);
	line_ms = harness_now_ms();
	for (int i = 0; i < 8; i++) {
		if (!closed_ms && harness_send(dribbler, "x") < 0)
			closed_ms = harness_now_ms();
		assert_int_equal(harness_send(heartbeat, "\n"), 0);
		usleep(300 * 1000);
	}
	assert_true(harness_wait_eof(dribbler, READ_TIMEOUT_MS));
	assert_true(closed_ms == 0 || closed_ms - line_ms >= 900);
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.1:%u: closing: no complete line for 1 s "
			  "(feed.idle_timeout_seconds)\n",
			  local_port(dribbler));
	expect_no_log_format(&f->harness, "feed 127.0.0.1:%u: closing", local_port(heartbeat));
	expect_metric(&f->harness, "cadmon_connections_closed_total{port=\"feed\",reason=\"idle\"}",
		      1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* feed.max_connections 1 with two pending connections: the first to send a valid line takes
 * the slot; the other's first line then finds it taken: the connection is refused (closed,
 * logged, counted) and that line is not read. */
static void test_first_line_when_every_slot_is_taken(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_connections: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	int first, second;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	first = connect_from(f, "127.0.0.2", f->harness.feed_port);
	second = connect_from(f, "127.0.0.3", f->harness.feed_port);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.3:%u connected\n",
			  local_port(second));
	assert_int_equal(harness_send(first, shift_lines[0]), 0);
	expect_metric(&f->harness, "cadmon_events_total", 1);
	assert_int_equal(harness_send(second, shift_lines[1]), 0);
	assert_true(harness_wait_eof(second, READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.3:%u refused: 1 connections open "
		"(feed.max_connections)\n"
		"cadmond: feed 127.0.0.3:%u closed: %zu bytes, 0 lines, 0 events, 0 rejected\n",
		local_port(second), local_port(second), strlen(shift_lines[1]));
	expect_metric(&f->harness, "cadmon_events_total", 1);
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"feed\",reason=\"full\"}", 1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* alerts.max_subscribers 1 with two consoles pending (each got the hello): the first to send
 * its since line is taken; the second, refused when its own would make it a console, is told
 * so before it is closed, {"error":...} as a refused token is, and counted and logged as a
 * refusal at accept is. A console whose line stays incomplete past alerts.line_timeout_seconds
 * is told why it is closed the same way. */
static void test_console_refused_after_its_hello_is_told(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.alerts_yaml = "  max_subscribers: 1\n  line_timeout_seconds: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	char line[LINE_MAX_BYTES];
	int first, second;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	first = connect_from(f, "127.0.0.2", f->harness.alerts_port);
	second = connect_from(f, "127.0.0.3", f->harness.alerts_port);
	expect_line(first, hello_line);
	expect_line(second, hello_line);
	assert_int_equal(harness_send(first, "{\"since\":0}\n"), 0);
	read_line(first, line); /* served: taken as a console */
	assert_int_equal(harness_send(second, "{\"since\":0}\n"), 0);
	expect_line(second,
		    "{\"error\":\"refused: 1 subscribers connected (alerts.max_subscribers)\"}");
	assert_true(harness_wait_eof(second, READ_TIMEOUT_MS));
	expect_log_format(&f->harness,
			  "cadmond: warning: subscriber 127.0.0.3:%u refused: 1 subscribers "
			  "connected (alerts.max_subscribers)\n",
			  local_port(second));
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"alerts\",reason=\"full\"}", 1);

	assert_int_equal(harness_send(first, "{\"ack\":"), 0);
	while (harness_read_line(first, line, sizeof line, READ_TIMEOUT_MS) > 0 &&
	       strstr(line, "{\"error\":") != line)
		; /* the board and the limit alert before it */
	assert_string_equal(line, "{\"error\":\"a line incomplete for 1 s "
				  "(alerts.line_timeout_seconds)\"}");
	assert_true(harness_wait_eof(first, READ_TIMEOUT_MS));
	expect_metric(&f->harness,
		      "cadmon_connections_closed_total{port=\"alerts\",reason=\"line_timeout\"}",
		      1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- per-address caps --- */

/* feed.max_connections_per_address 2: the third connection from one host is refused at once,
 * logged with the peer and counted; another host still gets in. */
static void test_feed_per_address_cap(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_connections_per_address: 2\n",
		.extra_yaml = shift_detector_yaml,
	};
	char line[LINE_MAX_BYTES];
	int same[3], other, console;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	console = connect_console(f);
	for (unsigned i = 0; i < 3; i++)
		same[i] = connect_from(f, "127.0.0.2", f->harness.feed_port);
	assert_true(harness_wait_eof(same[2], READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.2:%u refused: 2 connections from 127.0.0.2 "
		"(feed.max_connections_per_address)\n",
		local_port(same[2]));
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\",\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
		      "\"limit\":\"feed.max_connections_per_address\",\"evicted\":1,\"message\":"
		      "\"connections refused "
		      "(feed.max_connections_per_address reached): 1 so far; someone holds the "
		      "slots, or raise "
		      "feed.max_connections_per_address\"}");
	other = connect_from(f, "127.0.0.3", f->harness.feed_port);
	send_shift(other);
	expect_line(console, shift_alert_as_seq(2));
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"feed\",reason=\"per_address\"}", 1);
	expect_metric(&f->harness, "cadmon_feeds_refused_total", 1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- HTTP --- */

/* http.max_connections 3, http.max_connections_per_address 2: the third connection from one
 * host and the fourth connection in all are closed at once, before any answer, logged and
 * counted; once one closes, a request is answered again. */
static void test_http_connection_caps(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.http_yaml = "  max_connections: 3\n  max_connections_per_address: 2\n",
		.extra_yaml = guard_detector_yaml,
	};
	int same[3], other, beyond;
	char *answer;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	for (unsigned i = 0; i < 3; i++)
		same[i] = connect_from(f, "127.0.0.2", f->harness.http_port);
	assert_true(harness_wait_eof(same[2], READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: http 127.0.0.2:%u refused: 2 connections from 127.0.0.2 "
		"(http.max_connections_per_address)\n",
		local_port(same[2]));
	other = connect_from(f, "127.0.0.3", f->harness.http_port);
	usleep(100 * 1000); /* taken before the next one */
	beyond = connect_from(f, "127.0.0.4", f->harness.http_port);
	assert_true(harness_wait_eof(beyond, READ_TIMEOUT_MS));
	expect_log_format(&f->harness,
			  "cadmond: warning: http 127.0.0.4:%u refused: 3 connections open "
			  "(http.max_connections)\n",
			  local_port(beyond));
	assert_null(http_get(f->harness.http_port, "/healthz")); /* full: closed, no answer */
	tracked_close(&f->fds, other);
	usleep(100 * 1000);
	answer = http_get(f->harness.http_port, "/healthz");
	assert_non_null(answer);
	assert_non_null(strstr(answer, "HTTP/1.0 200 OK\r\n"));
	free(answer);
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"http\",reason=\"per_address\"}", 1);
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"http\",reason=\"full\"}", 2);
	expect_metric(&f->harness, "cadmon_http_connections", 3); /* two idle, and this request */
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A GET /api/stream connection is an HTTP connection like the others: counted while it is
 * open (streams take their close callback through http.c), forgotten when it closes. */
static void test_http_streams_are_counted(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = { .extra_yaml = guard_detector_yaml };
	char line[LINE_MAX_BYTES];
	int stream;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	stream = connect_from(f, "127.0.0.2", f->harness.http_port);
	assert_int_equal(harness_send(stream, "GET /api/stream HTTP/1.1\r\nHost: cadmon\r\n\r\n"),
			 0);
	read_line(stream, line);
	assert_string_equal(line, "HTTP/1.1 200 OK\r");
	expect_metric(&f->harness, "cadmon_http_streams", 1);
	expect_metric(&f->harness, "cadmon_http_connections", 2); /* the stream, and this request */
	tracked_close(&f->fds, stream);
	expect_metric(&f->harness, "cadmon_http_streams", 0);
	expect_metric(&f->harness, "cadmon_http_connections", 1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- visible to the supervisors --- */

/* alerts.max_pending_connections 2: a third console arriving while two wait is refused, and
 * the consoles get a "limit" system alert naming the key; it resolves once no connection was
 * refused for detector.resolve_after_seconds (2 s). */
static void test_pending_full_raises_a_limit_alert(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.alerts_yaml = "  max_pending_connections: 2\n",
		.extra_yaml = guard_detector_yaml,
	};
	static const char firing_suffix[] =
		"\",\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
		"\"limit\":\"alerts.max_pending_connections\",\"evicted\":1,\"message\":"
		"\"connections refused "
		"(alerts.max_pending_connections reached): 1 so far; someone holds the slots, or "
		"raise "
		"alerts.max_pending_connections\"}";
	static const char resolved_suffix[] =
		"\",\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
		"\"limit\":\"alerts.max_pending_connections\",\"evicted\":1,\"message\":\"no "
		"connection refused "
		"(alerts.max_pending_connections) for 2 s; 1 in all\"}";
	char line[LINE_MAX_BYTES];
	int console, waiting[3];

	assert_int_equal(harness_start(&f->harness, &options), 0);
	console = connect_console(f);
	for (unsigned i = 0; i < 3; i++)
		waiting[i] = connect_from(f, loopback(2 + i), f->harness.alerts_port);
	assert_true(harness_wait_eof(waiting[2], READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: subscriber 127.0.0.4:%u refused: 2 connections pending "
		"(alerts.max_pending_connections)\n",
		local_port(waiting[2]));
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"", firing_suffix);
	assert_non_null(strstr(line, "\"seq\":1,"));
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"resolved\",\"alert_id\":\"", resolved_suffix);
	assert_non_null(strstr(line, "\"seq\":2,"));
	expect_log(&f->harness, "cadmond: alerts.max_pending_connections: no connection refused "
				"for 2 s; 1 refused in all\n");
	expect_metric(&f->harness,
		      "cadmon_connections_refused_total{port=\"alerts\",reason=\"pending_full\"}",
		      1);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- reload --- */

/* SIGHUP applies the slot limits: a lower per-address cap to the next connection, a shorter
 * line timeout to a connection open already (its incomplete line closes it). */
static void test_reload_applies_slot_limits(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options before = { .extra_yaml = shift_detector_yaml };
	const struct harness_options after = {
		.feed_yaml = "  max_connections_per_address: 1\n  line_timeout_seconds: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	int slow, first, second;

	assert_int_equal(harness_start(&f->harness, &before), 0);
	slow = connect_from(f, "127.0.0.3", f->harness.feed_port);
	assert_int_equal(harness_send(slow, "{\"hello\":\"feed\",\"source\":\"cad-3\"}\n{\"type\""),
			 0);
	expect_log(&f->harness, "cadmond: feed 127.0.0.3:");
	assert_int_equal(harness_write_config(&f->harness, &after), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: feed.max_connections_per_address: 8 -> 1\n"
				"cadmond: reload: feed.line_timeout_seconds: 10 -> 1\n"
				"cadmond: configuration reloaded: 2 changes\n");
	assert_true(harness_wait_eof(slow, READ_TIMEOUT_MS));
	expect_log_format(&f->harness,
			  "cadmond: feed 127.0.0.3:%u: closing: a line incomplete for 1 s "
			  "(feed.line_timeout_seconds)\n",
			  local_port(slow));
	first = connect_from(f, "127.0.0.2", f->harness.feed_port);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.2:%u connected\n", local_port(first));
	second = connect_from(f, "127.0.0.2", f->harness.feed_port);
	assert_true(harness_wait_eof(second, READ_TIMEOUT_MS));
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.2:%u refused: 1 connections from 127.0.0.2 "
		"(feed.max_connections_per_address)\n",
		local_port(second));
	assert_int_equal(harness_stop(&f->harness), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_feeds_cannot_take_the_cads_slot,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle_consoles_cannot_take_the_consoles_slots,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slow_senders_are_closed_after_line_timeout,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_bytes_without_a_line_do_not_keep_a_feed,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_first_line_when_every_slot_is_taken,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_console_refused_after_its_hello_is_told,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_per_address_cap, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_http_connection_caps, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_http_streams_are_counted, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_pending_full_raises_a_limit_alert,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_applies_slot_limits,
						daemon_fixture_setup, daemon_fixture_teardown),
	};

	make_guard_detector_yaml();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
