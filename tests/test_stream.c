/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * GET /api/stream (docs/http.md), Server-Sent Events from the real cadmond on loopback: the
 * exact bytes of a stream over the scripted shift (retry, board, the firing notice with its
 * id), an acknowledgement over HTTP as the acknowledged event, a clean end at shutdown, a
 * resume with Last-Event-ID (or ?since) after a restart on the same state directory that
 * gets exactly what it missed, the 400/405/503 answers, keepalive comments, a client that
 * goes away freeing its stream, and the stream and alerts-by-severity metrics.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define SSE_BYTES (512 * 1024)
#define SHIFT_ALERT_ID "6033274aee8baf5c"
#define ACK_PATH "/api/alerts/" SHIFT_ALERT_ID "/ack"
#define RETRY "retry: 2000\n\n"
#define EMPTY_BOARD "event: board\ndata: {\"open\":[],\"seq\":0}\n\n"
#define KEEPALIVE ": keepalive\n\n"

/* One HTTP connection read as it comes: the head, then the body with the chunking undone. */
struct sse {
	int fd;
	int status;
	char head[4096];
	bool chunked;
	bool ended;        /* the final chunk, or the end of an unchunked body, was read */
	char raw[SSE_BYTES];
	size_t raw_used;   /* bytes of raw not decoded yet */
	char body[SSE_BYTES];
	size_t body_used;  /* decoded */
	size_t taken;      /* of body, already checked by the test */
};

/* Move the complete chunks of raw into body. */
static void sse_decode(struct sse *sse)
{
	for (;;) {
		char *eol = memmem(sse->raw, sse->raw_used, "\r\n", 2);
		size_t size, header;

		if (!sse->chunked) {
			memcpy(sse->body + sse->body_used, sse->raw, sse->raw_used);
			sse->body_used += sse->raw_used;
			sse->raw_used = 0;
			return;
		}
		if (!eol)
			return;
		size = strtoul(sse->raw, NULL, 16);
		header = (size_t)(eol - sse->raw) + 2;
		if (sse->raw_used < header + size + 2)
			return;
		assert_true(sse->body_used + size < sizeof sse->body);
		memcpy(sse->body + sse->body_used, sse->raw + header, size);
		sse->body_used += size;
		sse->ended |= size == 0;
		memmove(sse->raw, sse->raw + header + size + 2, sse->raw_used - header - size - 2);
		sse->raw_used -= header + size + 2;
	}
}

/* Read what arrives within timeout_ms or until want bytes of body are decoded; false once
 * the connection is closed. */
static bool sse_read(struct sse *sse, size_t want, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	while (sse->body_used < want && harness_now_ms() < deadline) {
		struct pollfd pfd = { .fd = sse->fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		got = read(sse->fd, sse->raw + sse->raw_used, sizeof sse->raw - sse->raw_used - 1);
		if (got <= 0) {
			sse->ended |= !sse->chunked;
			return false;
		}
		sse->raw_used += (size_t)got;
		sse_decode(sse);
	}
	return true;
}

/* The daemon of the request being read: its log is shown when no answer comes. */
static const struct harness *current_harness;

/* Split the head (status line and headers) off what was read. */
static void sse_read_head(struct sse *sse)
{
	int64_t deadline = harness_now_ms() + EXPECT_READ_TIMEOUT_MS;
	char *split = NULL;

	while (!(split = memmem(sse->raw, sse->raw_used, "\r\n\r\n", 4)) &&
	       harness_now_ms() < deadline) {
		struct pollfd pfd = { .fd = sse->fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		got = read(sse->fd, sse->raw + sse->raw_used, sizeof sse->raw - sse->raw_used - 1);
		if (got <= 0)
			break;
		sse->raw_used += (size_t)got;
	}
	if (!split) {
		fprintf(stderr, "no head in %zu bytes: %.*s\n", sse->raw_used, (int)sse->raw_used,
			sse->raw);
		char *log = harness_stderr(current_harness);

		fprintf(stderr, "cadmond's log:\n%s\n", log ? log : "");
		free(log);
	}
	assert_non_null(split);
	size_t head = (size_t)(split - sse->raw);
	snprintf(sse->head, sizeof sse->head, "%.*s", (int)head, sse->raw);
	assert_int_equal(sscanf(sse->head, "HTTP/1.%*d %d ", &sse->status), 1);
	sse->chunked = strstr(sse->head, "\r\nTransfer-Encoding: chunked") != NULL;
	memmove(sse->raw, split + 4, sse->raw_used - head - 4);
	sse->raw_used -= head + 4;
	sse_decode(sse);
}

/* Send method path with the extra header lines (each ending "\r\n") and body on fd (-1: a
 * new connection); read the head. */
static void sse_request_on(struct sse *sse, int fd, const struct harness *h, const char *method,
			   const char *path, const char *headers, const char *body)
{
	char request[2048];

	memset(sse, 0, sizeof *sse);
	current_harness = h;
	sse->fd = fd >= 0 ? fd : harness_connect(h->http_port);
	assert_true(sse->fd >= 0);
	snprintf(request, sizeof request,
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n\r\n%s", method,
		 path, headers ? headers : "", body ? strlen(body) : 0, body ? body : "");
	assert_int_equal(harness_send(sse->fd, request), 0);
	sse_read_head(sse);
}

static void sse_request(struct sse *sse, const struct harness *h, const char *method,
			const char *path, const char *headers, const char *body)
{
	sse_request_on(sse, -1, h, method, path, headers, body);
}

static void sse_open(struct sse *sse, const struct harness *h, const char *path,
		     const char *headers)
{
	sse_request(sse, h, "GET", path, headers, NULL);
	if (sse->status != 200)
		fprintf(stderr, "GET %s: %s\n", path, sse->head);
	assert_int_equal(sse->status, 200);
}

static void sse_close(struct sse *sse)
{
	close(sse->fd);
	sse->fd = -1;
}

/* The next bytes of the body are exactly expected. */
static void expect_events(struct sse *sse, const char *expected)
{
	size_t len = strlen(expected);

	sse_read(sse, sse->taken + len, EXPECT_READ_TIMEOUT_MS);
	if (sse->body_used - sse->taken < len || memcmp(sse->body + sse->taken, expected, len) != 0)
		fprintf(stderr, "expected:\n%s\nafter %zu bytes, got:\n%.*s\n", expected,
			sse->taken, (int)(sse->body_used - sse->taken), sse->body + sse->taken);
	assert_true(sse->body_used - sse->taken >= len);
	assert_memory_equal(sse->body + sse->taken, expected, len);
	sse->taken += len;
}

/* Nothing more arrives for EXPECT_QUIET_MS. */
static void expect_no_events(struct sse *sse)
{
	sse_read(sse, sse->taken + 1, EXPECT_QUIET_MS);
	if (sse->body_used != sse->taken)
		fprintf(stderr, "unexpected:\n%.*s\n", (int)(sse->body_used - sse->taken),
			sse->body + sse->taken);
	assert_int_equal(sse->body_used, sse->taken);
}

/* A whole (non-stream) answer: read until cadmond closes ("Connection: close"). */
static void http_exchange(struct sse *sse, const struct harness *h, const char *method,
			  const char *path, const char *headers, const char *body)
{
	char all[256];

	snprintf(all, sizeof all, "Connection: close\r\n%s", headers ? headers : "");
	sse_request(sse, h, method, path, all, body);
	sse_read(sse, sizeof sse->body - 1, EXPECT_READ_TIMEOUT_MS); /* until cadmond closes */
	sse->body[sse->body_used] = '\0';
	sse_close(sse);
}

/* method path answers code with exactly body. */
static void expect_answer(const struct harness *h, const char *method, const char *path,
			  const char *headers, int code, const char *body)
{
	static struct sse answer;

	http_exchange(&answer, h, method, path, headers, NULL);
	if (answer.status != code || strcmp(answer.body, body) != 0)
		fprintf(stderr, "%s %s: %d %s\n", method, path, answer.status, answer.body);
	assert_int_equal(answer.status, code);
	assert_string_equal(answer.body, body);
}

static void send_shift(const struct harness *h)
{
	int feed = harness_connect_feed(h);

	assert_true(feed >= 0);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	close(feed);
}

/* Acknowledge the shift's alert over HTTP; the acknowledged notice in notice. */
static void acknowledge(const struct harness *h, const char *body, char *notice, size_t size)
{
	static struct sse answer;

	http_exchange(&answer, h, "POST", ACK_PATH, NULL, body);
	assert_int_equal(answer.status, 200);
	assert_true(strlen(answer.body) < size);
	memcpy(notice, answer.body, strlen(answer.body) + 1);
}

/* "id: SEQ\ndata: LINE\n\n" */
static void live_event(char *out, size_t size, unsigned seq, const char *line)
{
	assert_true(snprintf(out, size, "id: %u\ndata: %s\n\n", seq, line) < (int)size);
}

/* "event: board\ndata: BOARD\n\n" with the board GET /api/alerts/open answers now. */
static void board_event(const struct harness *h, char *out, size_t size)
{
	static struct sse answer;

	http_exchange(&answer, h, "GET", "/api/alerts/open", NULL, NULL);
	assert_int_equal(answer.status, 200);
	assert_true(snprintf(out, size, "event: board\ndata: %s\n\n", answer.body) < (int)size);
}

static const struct harness_options shift_options = {
	.feed_yaml = "  max_line_bytes: 1024\n",
	.extra_yaml = shift_detector_yaml,
};

/*
 * A stream over the shift, byte for byte: retry, the empty board, the firing notice with its
 * id; an acknowledgement over HTTP arrives as the acknowledged event; at shutdown the stream
 * ends with the final chunk. Its headers are the event stream's.
 */
static void test_stream_exact(void **state)
{
	struct harness h = { 0 };
	static struct sse sse;
	char event[8192], notice[2048];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	sse_open(&sse, &h, "/api/stream", NULL);
	assert_non_null(strstr(sse.head, "\r\nContent-Type: text/event-stream; charset=utf-8"));
	assert_non_null(strstr(sse.head, "\r\nCache-Control: no-store"));
	assert_non_null(strstr(sse.head, "\r\nX-Accel-Buffering: no"));
	assert_true(sse.chunked);
	expect_events(&sse, RETRY EMPTY_BOARD);
	expect_no_events(&sse);
	send_shift(&h);
	live_event(event, sizeof event, 1, shift_alert);
	expect_events(&sse, event);
	acknowledge(&h, "{\"by\":\"sup-1\",\"note\":\"calling back\"}", notice, sizeof notice);
	assert_non_null(strstr(notice, "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID
				       "\",\"seq\":2,"));
	live_event(event, sizeof event, 2, notice);
	expect_events(&sse, event);
	expect_no_events(&sse);
	expect_log_format(&h, "stream 127.0.0.1:%u opened\n", local_port(sse.fd));
	assert_int_equal(harness_stop(&h), 0);
	sse_read(&sse, sizeof sse.body - 1, EXPECT_READ_TIMEOUT_MS);
	if (!sse.ended) {
		char *log = harness_stderr(&h);
		fprintf(stderr, "raw %zu: %.*s\nlog:\n%s\n", sse.raw_used, (int)sse.raw_used,
			sse.raw, log);
		free(log);
	}
	assert_true(sse.ended); /* the final chunk: a clean end */
	assert_int_equal(sse.body_used, sse.taken);
	sse_close(&sse);
	harness_cleanup(&h);
}

/*
 * A browser that saw up to seq 2 before cadmond stopped reconnects to the restarted cadmond
 * (same state directory) with Last-Event-ID: 2: exactly the notice it missed (seq 3), then
 * the board, then live notices. ?since=2 gives the same bytes; the header wins over ?since.
 */
static void test_stream_resume_after_restart(void **state)
{
	struct harness h = { 0 };
	static struct sse sse;
	static char expected[32768];
	char event[8192], board[8192], notice[2048], first_ack[2048], replay[8192];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	sse_open(&sse, &h, "/api/stream", NULL);
	send_shift(&h);
	live_event(event, sizeof event, 1, shift_alert);
	expect_events(&sse, RETRY EMPTY_BOARD);
	expect_events(&sse, event);
	acknowledge(&h, "{\"by\":\"sup-1\"}", first_ack, sizeof first_ack);
	live_event(event, sizeof event, 2, first_ack);
	expect_events(&sse, event);
	assert_int_equal(harness_stop(&h), 0);
	sse_close(&sse);

	assert_int_equal(harness_start(&h, &shift_options), 0);
	acknowledge(&h, "{\"by\":\"sup-2\"}", notice, sizeof notice); /* missed: seq 3 */
	assert_non_null(strstr(notice, "\"seq\":3,"));
	board_event(&h, board, sizeof board);
	live_event(event, sizeof event, 3, notice);
	snprintf(expected, sizeof expected, RETRY "%s%s", event, board);
	static const struct {
		const char *path, *headers;
	} resumes[] = {
		{ "/api/stream", "Last-Event-ID: 2\r\n" },
		{ "/api/stream?since=2", NULL },
		{ "/api/stream?since=0", "Last-Event-ID: 2\r\n" },
	};
	for (size_t i = 0; i < sizeof resumes / sizeof resumes[0]; i++) {
		sse_open(&sse, &h, resumes[i].path, resumes[i].headers);
		expect_events(&sse, expected);
		expect_no_events(&sse);
		sse_close(&sse);
	}
	expect_log(&h, " opened: notices since seq 2\n");

	/* From the start: every retained notice, then the board. */
	sse_open(&sse, &h, "/api/stream?since=0", NULL);
	expect_events(&sse, RETRY);
	live_event(replay, sizeof replay, 1, shift_alert);
	expect_events(&sse, replay);
	live_event(replay, sizeof replay, 2, first_ack);
	expect_events(&sse, replay);
	expect_events(&sse, expected + strlen(RETRY));
	expect_no_events(&sse);
	sse_close(&sse);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A bad resume point is answered 400 before any stream, another method 405: exact bodies. */
static void test_stream_errors(void **state)
{
	struct harness h = { 0 };
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	expect_answer(
		&h, "GET", "/api/stream", "Last-Event-ID: x\r\n", 400,
		"{\"error\":\"Last-Event-ID must be an integer from 0 to 18446744073709551615\"}");
	expect_answer(
		&h, "GET", "/api/stream", "Last-Event-ID: 18446744073709551616\r\n", 400,
		"{\"error\":\"Last-Event-ID must be an integer from 0 to 18446744073709551615\"}");
	expect_answer(
		&h, "GET", "/api/stream", "Last-Event-ID: -1\r\n", 400,
		"{\"error\":\"Last-Event-ID must be an integer from 0 to 18446744073709551615\"}");
	expect_answer(&h, "GET", "/api/stream?since=1x", NULL, 400,
		      "{\"error\":\"since must be an integer from 0 to 18446744073709551615\"}");
	expect_answer(&h, "POST", "/api/stream", NULL, 405,
		      "{\"error\":\"method not allowed: use GET\"}");
	static struct sse head;
	http_exchange(&head, &h, "HEAD", "/api/stream", NULL, NULL);
	assert_int_equal(head.status, 405);
	expect_log(&h, ": GET /api/stream: 400 Last-Event-ID must be an integer from 0 to "
		       "18446744073709551615\n");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/*
 * http.max_streams 1: a second stream is answered 503 (counted, logged); once the first
 * client goes away its stream is freed and a new one is taken.
 */
static void test_stream_max_streams(void **state)
{
	struct harness h = { 0 };
	const struct harness_options options = { .http_yaml = "  max_streams: 1\n" };
	static struct sse first, second;
	static struct sse metrics;
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	sse_open(&first, &h, "/api/stream", NULL);
	expect_events(&first, RETRY EMPTY_BOARD);
	expect_answer(&h, "GET", "/api/stream", NULL, 503,
		      "{\"error\":\"too many streams (http.max_streams 1)\"}");
	expect_log(&h, ": GET /api/stream: 503 too many streams (http.max_streams 1)\n");
	http_exchange(&metrics, &h, "GET", "/metrics", NULL, NULL);
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams 1\n"));
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_opened_total 1\n"));
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_refused_total 1\n"));
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_dropped_total 0\n"));
	expect_log_format(&h, "stream 127.0.0.1:%u opened\n", local_port(first.fd));
	char closed[64];
	snprintf(closed, sizeof closed, "stream 127.0.0.1:%u closed\n", local_port(first.fd));
	sse_close(&first);
	expect_log(&h, closed);
	sse_open(&second, &h, "/api/stream", NULL);
	expect_events(&second, RETRY EMPTY_BOARD);
	http_exchange(&metrics, &h, "GET", "/metrics", NULL, NULL);
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams 1\n"));
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_opened_total 2\n"));
	sse_close(&second);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* SIGHUP raises http.max_streams: the stream open stays, one more is taken, the next refused
 * with the new figure; a new http.stream_keepalive_seconds applies to the open stream at once. */
static void test_stream_reload(void **state)
{
	static const struct harness_options before = { .http_yaml = "  max_streams: 1\n" };
	static const struct harness_options after = {
		.http_yaml = "  max_streams: 2\n  stream_keepalive_seconds: 1\n"
	};
	struct harness h = { 0 };
	static struct sse first, second;
	(void)state;

	assert_int_equal(harness_start(&h, &before), 0);
	sse_open(&first, &h, "/api/stream", NULL);
	expect_events(&first, RETRY EMPTY_BOARD);
	expect_answer(&h, "GET", "/api/stream", NULL, 503,
		      "{\"error\":\"too many streams (http.max_streams 1)\"}");
	assert_int_equal(harness_write_config(&h, &after), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log(&h, "cadmond: reload: http.max_streams: 1 -> 2\n"
		       "cadmond: reload: http.stream_keepalive_seconds: 15 -> 1\n"
		       "cadmond: configuration reloaded: 2 changes\n");
	sse_open(&second, &h, "/api/stream", NULL);
	expect_events(&second, RETRY EMPTY_BOARD);
	expect_answer(&h, "GET", "/api/stream", NULL, 503,
		      "{\"error\":\"too many streams (http.max_streams 2)\"}");
	expect_events(&second, KEEPALIVE);
	expect_events(&first, KEEPALIVE); /* armed for 15 s before the reload, 1 s since */
	sse_close(&first);
	sse_close(&second);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* http.stream_keepalive_seconds 1: a comment each second without notices; the stream
 * outlives http.timeout_seconds (1), which does not apply to it. */
static void test_stream_keepalive(void **state)
{
	struct harness h = { 0 };
	const struct harness_options options = {
		.http_yaml = "  stream_keepalive_seconds: 1\n  timeout_seconds: 1\n"
	};
	static struct sse sse;
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	sse_open(&sse, &h, "/api/stream", NULL);
	int64_t opened_ms = harness_now_ms();
	expect_events(&sse, RETRY EMPTY_BOARD);
	expect_events(&sse, KEEPALIVE);
	assert_true(harness_now_ms() - opened_ms >= 900);
	expect_events(&sse, KEEPALIVE);
	expect_events(&sse, KEEPALIVE);
	assert_true(harness_now_ms() - opened_ms >= 2900);
	sse_close(&sse);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* /metrics: operator notices by kind and severity (all 15 pairs), and the streams. */
static void test_stream_metrics(void **state)
{
	struct harness h = { 0 };
	static struct sse sse, metrics;
	char notice[2048];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	sse_open(&sse, &h, "/api/stream", NULL);
	send_shift(&h);
	expect_events(&sse, RETRY EMPTY_BOARD "id: 1\n");
	acknowledge(&h, "{\"by\":\"sup-1\"}", notice, sizeof notice);
	acknowledge(&h, "{\"by\":\"sup-2\"}", notice, sizeof notice);
	http_exchange(&metrics, &h, "GET", "/metrics", NULL, NULL);
	static const char family[] =
		"\n# HELP cadmon_alerts_total Operator alert notices sent, by kind and severity.\n"
		"# TYPE cadmon_alerts_total counter\n"
		"cadmon_alerts_total{kind=\"firing\",severity=\"info\"} 0\n"
		"cadmon_alerts_total{kind=\"firing\",severity=\"warning\"} 0\n"
		"cadmon_alerts_total{kind=\"firing\",severity=\"critical\"} 1\n"
		"cadmon_alerts_total{kind=\"escalated\",severity=\"info\"} 0\n"
		"cadmon_alerts_total{kind=\"escalated\",severity=\"warning\"} 0\n"
		"cadmon_alerts_total{kind=\"escalated\",severity=\"critical\"} 0\n"
		"cadmon_alerts_total{kind=\"update\",severity=\"info\"} 0\n"
		"cadmon_alerts_total{kind=\"update\",severity=\"warning\"} 0\n"
		"cadmon_alerts_total{kind=\"update\",severity=\"critical\"} 0\n"
		"cadmon_alerts_total{kind=\"acknowledged\",severity=\"info\"} 0\n"
		"cadmon_alerts_total{kind=\"acknowledged\",severity=\"warning\"} 0\n"
		"cadmon_alerts_total{kind=\"acknowledged\",severity=\"critical\"} 2\n"
		"cadmon_alerts_total{kind=\"resolved\",severity=\"info\"} 0\n"
		"cadmon_alerts_total{kind=\"resolved\",severity=\"warning\"} 0\n"
		"cadmon_alerts_total{kind=\"resolved\",severity=\"critical\"} 0\n"
		"# HELP cadmon_notices_total ";
	static const char streams[] =
		"\n# HELP cadmon_http_streams GET /api/stream streams open now.\n"
		"# TYPE cadmon_http_streams gauge\n"
		"cadmon_http_streams 1\n"
		"# HELP cadmon_http_streams_opened_total GET /api/stream streams started.\n"
		"# TYPE cadmon_http_streams_opened_total counter\n"
		"cadmon_http_streams_opened_total 1\n"
		"# HELP cadmon_http_streams_refused_total Streams refused: http.max_streams.\n"
		"# TYPE cadmon_http_streams_refused_total counter\n"
		"cadmon_http_streams_refused_total 0\n"
		"# HELP cadmon_http_streams_dropped_total Streams closed because their queue "
		"passed "
		"http.max_stream_queue_bytes.\n"
		"# TYPE cadmon_http_streams_dropped_total counter\n"
		"cadmon_http_streams_dropped_total 0\n";
	if (!strstr(metrics.body, family) || !strstr(metrics.body, streams))
		fprintf(stderr, "%s", metrics.body);
	assert_non_null(strstr(metrics.body, family));
	assert_non_null(strstr(metrics.body, streams));
	sse_close(&sse);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A connection to the HTTP port whose receive buffer is small: a client that reads slowly. */
static int connect_small_window(const struct harness *h)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(h->http_port) };
	const int bytes = 4096;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
	return fd;
}

/* The id of the last complete event with one in body[0..len), 0 when none. */
static unsigned last_complete_id(const char *body, size_t len)
{
	unsigned id = 0;

	for (const char *event = body; event < body + len;) {
		const char *end = memmem(event, (size_t)(body + len - event), "\n\n", 2);

		if (!end)
			break;
		if (strncmp(event, "id: ", 4) == 0)
			id = (unsigned)strtoul(event + 4, NULL, 10);
		event = end + 2;
	}
	return id;
}

#define SLOW_ACKS 600

/* SLOW_ACKS acknowledgements of the shift's alert from a console, each notice about 480
 * bytes: the console's connection (for the caller to close). */
static int pour_acks(const struct harness *h)
{
	static char acks[SLOW_ACKS * 320];
	char note[251];
	size_t used = 0;
	int console = harness_connect_subscriber(h);

	assert_true(console >= 0);
	memset(note, 'n', sizeof note - 1);
	note[sizeof note - 1] = '\0';
	for (int i = 0; i < SLOW_ACKS; i++)
		used += (size_t)snprintf(acks + used, sizeof acks - used,
					 "{\"ack\":\"" SHIFT_ALERT_ID
					 "\",\"by\":\"sup-%d\",\"note\":\"%s\"}\n",
					 i, note);
	assert_int_equal(harness_send(console, acks), 0);
	return console;
}

/*
 * A client that does not read while notices pour in: its stream is closed once the next
 * notice would pass http.max_stream_queue_bytes (counted, logged); reconnecting with the
 * last id it got, it receives every notice after it, in order, none lost.
 */
static void test_stream_slow_client_dropped(void **state)
{
	struct harness h = { 0 };
	const struct harness_options options = { .feed_yaml = "  max_line_bytes: 1024\n",
						 .http_yaml = "  max_stream_queue_bytes: 4096\n",
						 .extra_yaml = shift_detector_yaml };
	static struct sse slow, resumed, metrics;
	char header[64], closed[160], prefix[64];
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	send_shift(&h);
	expect_log(&h, "alert 1: firing");
	sse_request_on(&slow, connect_small_window(&h), &h, "GET", "/api/stream", NULL, NULL);
	assert_int_equal(slow.status, 200);
	expect_events(&slow, RETRY);
	int console = pour_acks(&h);
	snprintf(closed, sizeof closed,
		 "stream 127.0.0.1:%u closed: too slow, ", local_port(slow.fd));
	expect_log(&h, closed);
	expect_log(&h, " bytes unsent and the next notice would exceed 4096 "
		       "(http.max_stream_queue_bytes)\n");
	expect_log_format(&h, "alert %d: " SHIFT_ALERT_ID " acknowledged by sup-%d\n",
			  SLOW_ACKS + 1, SLOW_ACKS - 1);
	while (sse_read(&slow, sizeof slow.body - 1, EXPECT_READ_TIMEOUT_MS))
		; /* what the kernel held, up to the close */
	/* The notices came in bursts larger than the bound: the stream may have been closed
	 * before any reached the client, which then resumes from its board's seq (1). */
	unsigned last = last_complete_id(slow.body, slow.body_used);
	assert_true(last < SLOW_ACKS + 1);
	if (last == 0) {
		assert_true(slow.body_used >= slow.taken + 25);
		assert_memory_equal(slow.body + slow.taken, "event: board\ndata: {\"open\":[", 25);
		last = 1;
	}
	sse_close(&slow);

	snprintf(header, sizeof header, "Last-Event-ID: %u\r\n", last);
	sse_open(&resumed, &h, "/api/stream", header);
	expect_events(&resumed, RETRY);
	for (unsigned seq = last + 1; seq <= SLOW_ACKS + 1; seq++) {
		snprintf(prefix, sizeof prefix, "id: %u\ndata: {\"alert\":\"acknowledged\",", seq);
		expect_events(&resumed, prefix);
		sse_read(&resumed, resumed.taken + 1024, EXPECT_READ_TIMEOUT_MS);
		const char *end = memmem(resumed.body + resumed.taken,
					 resumed.body_used - resumed.taken, "\n\n", 2);
		assert_non_null(end);
		resumed.taken = (size_t)(end + 2 - resumed.body);
	}
	expect_events(&resumed, "event: board\ndata: {\"open\":[");
	sse_close(&resumed);
	http_exchange(&metrics, &h, "GET", "/metrics", NULL, NULL);
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_dropped_total 1\n"));
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/*
 * A client that stops reading with notices queued for it (within the bound) is closed after
 * http.timeout_seconds without progress: it holds its slot no longer.
 */
static void test_stream_stalled_client_closed(void **state)
{
	struct harness h = { 0 };
	const struct harness_options options = { .feed_yaml = "  max_line_bytes: 1024\n",
						 .http_yaml = "  timeout_seconds: 1\n",
						 .extra_yaml = shift_detector_yaml };
	static struct sse stalled, metrics;
	char closed[64];
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	send_shift(&h);
	expect_log(&h, "alert 1: firing");
	sse_request_on(&stalled, connect_small_window(&h), &h, "GET", "/api/stream", NULL, NULL);
	assert_int_equal(stalled.status, 200);
	expect_events(&stalled, RETRY);
	int console = pour_acks(&h);
	expect_log_format(&h, "alert %d: " SHIFT_ALERT_ID " acknowledged by sup-%d\n",
			  SLOW_ACKS + 1, SLOW_ACKS - 1);
	snprintf(closed, sizeof closed, "stream 127.0.0.1:%u closed\n", local_port(stalled.fd));
	expect_log(&h, closed);
	http_exchange(&metrics, &h, "GET", "/metrics", NULL, NULL);
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams 0\n"));
	assert_non_null(strstr(metrics.body, "\ncadmon_http_streams_dropped_total 0\n"));
	sse_close(&stalled);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_exact),
		cmocka_unit_test(test_stream_resume_after_restart),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_stream_max_streams),
		cmocka_unit_test(test_stream_keepalive),
		cmocka_unit_test(test_stream_reload),
		cmocka_unit_test(test_stream_metrics),
		cmocka_unit_test(test_stream_slow_client_dropped),
		cmocka_unit_test(test_stream_stalled_client_closed),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
