/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The HTTP side of cadmond (docs/http.md) against the real daemon on loopback: the exact JSON
 * of every API resource after the scripted shift, an acknowledgement over HTTP that a console
 * on the alert port sees, the 400/404/405/413 answers, /healthz healthy and degraded, and
 * /metrics checked by Prometheus's own promtool plus exact sample lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
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
#include "engine_counters.h"
#include "shift_fixture.h"

#define LINE_MAX_BYTES 8192
#define SOURCES_AFTER_SHIFT                                                                        \
	"{\"center_ts\":\"2026-11-29T08:04:30.000Z\",\"sources\":[{\"source\":\"cad-1\","          \
	"\"newest_ts\":\"2026-11-29T08:04:30.000Z\",\"lag_ms\":0,\"held\":true,\"lines\":11,"      \
	"\"events\":11,"                                                                           \
	"\"late\":0,\"future\":0,\"too_late\":0,\"bad_seq\":0,\"duplicates\":0,\"restarts\":0}]}"
/* op-7: the alert's 4 calls, 3 premature; op-8: 1 call, against op-7's 3 of 4. History: 12
 * buckets of 50 s to 08:04:30; op-7's c1 (ended 08:00:05) in (07:59:30, 08:00:20], c2
 * (08:01:12.5) in (08:01:10, 08:02:00], c3 (08:02:08, an incident: not premature), c4 (08:04:30)
 * in the last; op-8's h1 (08:03:30) in (08:02:50, 08:03:40]. */
#define OPERATORS_AFTER_SHIFT                                                                      \
	"{\"operators\":[{\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","          \
	"\"last_active_ts\":\"2026-11-29T08:04:30.000Z\",\"state\":null,\"state_since\":null,"     \
	"\"open_alert_id\":\"" SHIFT_ALERT_ID "\","                                                \
	"\"rules\":[{\"rule\":\"burst\",\"window_seconds\":600,\"calls\":4,\"premature\":3,"       \
	"\"called_back\":0,"                                                                       \
	"\"ratio\":0.75,\"center_ratio\":0.0}],"                                                   \
	"\"history\":{\"end_ts\":\"2026-11-29T08:04:30.000Z\",\"bucket_seconds\":50.0,"            \
	"\"calls\":[0,0,0,0,0,0,1,0,1,1,0,1],\"premature\":[0,0,0,0,0,0,1,0,1,0,0,1]}},"           \
	"{\"agency\":\"NOPD\",\"operator\":\"op-8\",\"position\":\"P4\","                          \
	"\"last_active_ts\":\"2026-11-29T08:03:30.000Z\",\"state\":null,\"state_since\":null,"     \
	"\"open_alert_id\":null,"                                                                  \
	"\"rules\":[{\"rule\":\"burst\",\"window_seconds\":600,\"calls\":1,\"premature\":0,"       \
	"\"called_back\":0,"                                                                       \
	"\"ratio\":0.0,\"center_ratio\":0.75}],"                                                   \
	"\"history\":{\"end_ts\":\"2026-11-29T08:04:30.000Z\",\"bucket_seconds\":50.0,"            \
	"\"calls\":[0,0,0,0,0,0,0,0,0,0,1,0],\"premature\":[0,0,0,0,0,0,0,0,0,0,0,0]}}]}"
#define STATUS_AFTER_SHIFT                                                                         \
	"{\"version\":\"0.2.0\",\"degraded\":false,\"degraded_reason\":null,\"lines\":11,"         \
	"\"events\":11,"                                                                           \
	"\"rejected\":0,\"duplicates\":0,\"alerts\":1,\"last_seq\":1,\"open_alerts\":1,\"open_"    \
	"calls\":0,"                                                                               \
	"\"operators\":2,\"sources\":1,\"feeds\":0,\"subscribers\":1}"
#define ACK_NOTICE_START                                                                           \
	"{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":2,\"ts\":\""
#define ACK_NOTICE_END                                                                             \
	"\",\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"by\":\"sup-1\","     \
	"\"note\":\"calling back\"}"
#define ACK_REPEAT_START                                                                           \
	"{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID "\",\"seq\":3,\"ts\":\""
#define ACK_REPEAT_END "Z\"}"
#define ACK_REPEAT_MIDDLE                                                                          \
	"\",\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"by\":\"sup-2\","     \
	"\"note\":\"\",\"repeat\":true,\"first_by\":\"sup-1\",\"first_ts\":\""
#define BAD_ACK_NO_BY                                                                              \
	"{\"error\":\"\\\"by\\\" must be a string of 1 to 64 bytes, no control characters\"}"
#define BAD_ACK_NOTE                                                                               \
	"{\"error\":\"\\\"note\\\" must be a string of at most 256 bytes, no control "             \
	"characters\"}"
#define BAD_ACK_ID "{\"error\":\"\\\"ack\\\" must be an alert_id: 16 lowercase hex digits\"}"
#define METRICS_LINES                                                                              \
	"\ncadmon_lines_total 11\n", "\ncadmon_events_total 11\n", "\ncadmon_operators 2\n"
#define RESPONSE_MAX (256 * 1024)

/* The shift's alert: op-7, alert_id 6033274aee8baf5c, seq 1 (shift_fixture.h). */
#define SHIFT_ALERT_ID "6033274aee8baf5c"

static const struct harness_options shift_options = {
	.feed_yaml = "  max_line_bytes: 1024\n",
	.extra_yaml = shift_detector_yaml,
};

/* One HTTP exchange: the status code, the headers and the body. */
struct response {
	int status;
	char head[4096];
	char *body; /* NUL-terminated, within raw */
	char raw[RESPONSE_MAX];
};

/* Read everything until the server closes, at most EXPECT_READ_TIMEOUT_MS. */
static size_t read_all(int fd, char *out, size_t size)
{
	int64_t deadline = harness_now_ms() + EXPECT_READ_TIMEOUT_MS;
	size_t used = 0;

	while (used + 1 < size && harness_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		got = read(fd, out + used, size - used - 1);
		if (got <= 0)
			break;
		used += (size_t)got;
	}
	out[used] = '\0';
	return used;
}

/* Send request (whole, with "Connection: close") to the HTTP port; parse the answer. */
static void http_raw(const struct harness *h, const char *request, struct response *response)
{
	int fd = harness_connect(h->http_port);
	char *split;

	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, request), 0);
	read_all(fd, response->raw, sizeof response->raw);
	close(fd);
	assert_int_equal(sscanf(response->raw, "HTTP/1.1 %d ", &response->status), 1);
	split = strstr(response->raw, "\r\n\r\n");
	assert_non_null(split);
	snprintf(response->head, sizeof response->head, "%.*s", (int)(split - response->raw),
		 response->raw);
	response->body = split + 4;
}

static void http_request(const struct harness *h, const char *method, const char *path,
			 const char *body, struct response *response)
{
	static char request[RESPONSE_MAX];

	snprintf(request, sizeof request,
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
		 "%zu\r\n\r\n%s",
		 method, path, body ? strlen(body) : 0, body ? body : "");
	http_raw(h, request, response);
}

/* GET path answers code with exactly body. */
static void expect_get(const struct harness *h, const char *path, int code, const char *body)
{
	static struct response response;

	http_request(h, "GET", path, NULL, &response);
	if (response.status != code || strcmp(response.body, body) != 0)
		fprintf(stderr, "GET %s: %d %s\n", path, response.status, response.body);
	assert_int_equal(response.status, code);
	assert_string_equal(response.body, body);
}

static void expect_header(const struct response *response, const char *header)
{
	if (!strstr(response->head, header))
		fprintf(stderr, "no \"%s\" in:\n%s\n", header, response->head);
	assert_non_null(strstr(response->head, header));
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

/* A live console on the alert port that has seen the shift's alert. */
static int console_after_shift(const struct harness *h)
{
	int console = harness_connect_subscriber(h);

	assert_true(console >= 0);
	expect_line(console, hello_line);
	expect_line(console, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(console, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	send_shift(h);
	expect_line(console, shift_alert);
	return console;
}

/* The board line of the shift's alert (as test_console has it). */
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

/* Every JSON resource before any event, then after the shift, byte for byte. */
static void test_api_resources(void **state)
{
	struct harness h = { 0 };
	static char expected[RESPONSE_MAX], open_line[LINE_MAX_BYTES];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	expect_get(&h, "/api/alerts", 200, "{\"oldest\":0,\"newest\":0,\"alerts\":[],\"next\":0}");
	expect_get(&h, "/api/alerts/open", 200, "{\"open\":[],\"seq\":0}");
	expect_get(&h, "/api/sources", 200, "{\"center_ts\":null,\"sources\":[]}");
	int console = console_after_shift(&h);

	snprintf(expected, sizeof expected,
		 "{\"oldest\":1,\"newest\":1,\"alerts\":[%s],\"next\":1}", shift_alert);
	expect_get(&h, "/api/alerts?since=0", 200, expected);
	expect_get(&h, "/api/alerts", 200, expected);
	expect_get(&h, "/api/alerts?since=1", 200,
		   "{\"oldest\":1,\"newest\":1,\"alerts\":[],\"next\":1}");
	shift_open_line(open_line, sizeof open_line);
	snprintf(expected, sizeof expected, "{\"open\":[%s],\"seq\":1}", open_line);
	expect_get(&h, "/api/alerts/open", 200, expected);
	expect_get(&h, "/api/sources", 200, SOURCES_AFTER_SHIFT);
	expect_log(&h, " lines, 11 events, 0 rejected"); /* the shift's feed is closed */
	expect_get(&h, "/api/status", 200, STATUS_AFTER_SHIFT);
	expect_get(&h, "/api/operators", 200, OPERATORS_AFTER_SHIFT);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* An acknowledgement over HTTP: answered with the acknowledged notice, which a console on
 * the alert port receives too; a second one is a repeat; the board shows who acknowledged. */
static void test_ack_round_trip(void **state)
{
	struct harness h = { 0 };
	static struct response response;
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int console = console_after_shift(&h);
	http_request(&h, "POST", "/api/alerts/" SHIFT_ALERT_ID "/ack",
		     "{\"by\":\"sup-1\",\"note\":\"calling back\"}", &response);
	assert_int_equal(response.status, 200);
	expect_header(&response, "Content-Type: application/json");
	expect_framed(response.body, ACK_NOTICE_START, ACK_NOTICE_END);
	expect_line(console, response.body);
	expect_log(&h, "cadmond: http: alert " SHIFT_ALERT_ID " acknowledged by sup-1");

	http_request(&h, "POST", "/api/alerts/" SHIFT_ALERT_ID "/ack", "{\"by\":\"sup-2\"}",
		     &response);
	assert_int_equal(response.status, 200);
	expect_framed(response.body, ACK_REPEAT_START, ACK_REPEAT_END);
	assert_non_null(strstr(response.body, ACK_REPEAT_MIDDLE));
	expect_line(console, response.body);

	/* the board shows the first acknowledgement */
	http_request(&h, "GET", "/api/alerts/open", NULL, &response);
	assert_int_equal(response.status, 200);
	assert_non_null(
		strstr(response.body,
		       "\"acknowledged\":{\"by\":\"sup-1\",\"note\":\"calling back\",\"ts\":\""));
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Bad acknowledgements: 400 with the reason, 404 for no open alert, nothing journaled. */
static void test_bad_acks(void **state)
{
	struct harness h = { 0 };
	static struct response response;
	static const struct {
		const char *path, *body;
		int status;
		const char *answer;
	} cases[] = {
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "", 400,
		  "{\"error\":\"the body must be one JSON object "
		  "{\\\"by\\\":NAME,\\\"note\\\":TEXT}\"}" },
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "[1]", 400,
		  "{\"error\":\"the body must be one JSON object "
		  "{\\\"by\\\":NAME,\\\"note\\\":TEXT}\"}" },
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "{\"by\":\"sup-1\"} x", 400,
		  "{\"error\":\"the body must be one JSON object "
		  "{\\\"by\\\":NAME,\\\"note\\\":TEXT}\"}" },
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "{\"note\":\"n\"}", 400, BAD_ACK_NO_BY },
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "{\"by\":7}", 400, BAD_ACK_NO_BY },
		{ "/api/alerts/" SHIFT_ALERT_ID "/ack", "{\"by\":\"s\",\"note\":1}", 400,
		  BAD_ACK_NOTE },
		{ "/api/alerts/0123456789abcdef/ack", "{\"by\":\"s\"}", 404,
		  "{\"error\":\"no open alert 0123456789abcdef\"}" },
		{ "/api/alerts/0123456789ABCDEG/ack", "{\"by\":\"s\"}", 400, BAD_ACK_ID },
		{ "/api/alerts/" SHIFT_ALERT_ID "x/ack", "{\"by\":\"s\"}", 404,
		  "{\"error\":\"no such resource\"}" },
	};
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int console = console_after_shift(&h);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		http_request(&h, "POST", cases[i].path, cases[i].body, &response);
		if (response.status != cases[i].status ||
		    strcmp(response.body, cases[i].answer) != 0)
			fprintf(stderr, "case %zu: %d %s\n", i, response.status, response.body);
		assert_int_equal(response.status, cases[i].status);
		assert_string_equal(response.body, cases[i].answer);
	}
	expect_quiet(console);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* 404 for unknown paths, 405 with Allow for a wrong method, 413 for a body over
 * http.max_body_bytes, 400 for headers over http.max_header_bytes (libevent's own answers),
 * a half-sent request closed after http.timeout_seconds (one sent a line at a time too). */
static void test_request_errors(void **state)
{
	static const struct harness_options options = {
		.http_yaml =
			"  max_header_bytes: 1024\n  max_body_bytes: 256\n  timeout_seconds: 1\n",
	};
	struct harness h = { 0 };
	static struct response response;
	static char big[4096];
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	expect_get(&h, "/index.htm", 404, "{\"error\":\"no such resource\"}");
	expect_get(&h, "/api", 404, "{\"error\":\"no such resource\"}");
	expect_log(&h, ": GET /index.htm: 404 no such resource\n");
	expect_get(&h, "/api/alerts?since=-1", 400,
		   "{\"error\":\"since must be an integer from 0 to 18446744073709551615\"}");
	expect_get(&h, "/api/alerts?since=18446744073709551616", 400,
		   "{\"error\":\"since must be an integer from 0 to 18446744073709551615\"}");
	http_request(&h, "POST", "/api/status", "{}", &response);
	assert_int_equal(response.status, 405);
	expect_header(&response, "Allow: GET, HEAD");
	assert_string_equal(response.body, "{\"error\":\"method not allowed: use GET, HEAD\"}");
	http_request(&h, "DELETE", "/metrics", NULL, &response);
	assert_int_equal(response.status, 405);
	expect_header(&response, "Allow: GET, HEAD");
	http_request(&h, "GET", "/api/alerts/" SHIFT_ALERT_ID "/ack", NULL, &response);
	assert_int_equal(response.status, 405);
	expect_header(&response, "Allow: POST");
	assert_string_equal(response.body, "{\"error\":\"method not allowed: use POST\"}");

	memset(big, 'x', 300);
	big[300] = '\0';
	http_request(&h, "POST", "/api/alerts/" SHIFT_ALERT_ID "/ack", big, &response);
	assert_int_equal(response.status, 413);
	snprintf(big, sizeof big,
		 "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: %02000d\r\n\r\n", 0);
	http_raw(&h, big, &response);
	assert_int_equal(response.status, 400);
	expect_get(&h, "/healthz", 200, "ok\n");

	/* a client that sends half a request is closed after http.timeout_seconds */
	int slow = harness_connect(h.http_port);
	assert_true(slow >= 0);
	assert_int_equal(harness_send(slow, "GET /healthz HTTP/1.1\r\n"), 0);
	int64_t started = harness_now_ms();
	assert_true(harness_wait_eof(slow, EXPECT_READ_TIMEOUT_MS));
	assert_in_range(harness_now_ms() - started, 500, 3000);
	close(slow);

	/* ... and one that sends a header line every 200 ms, never finishing: the deadline is
	 * the request's, not each read's (closed by it, and counted: libevent's own timeout may
	 * have closed the first) */
	uint64_t timed_out = expect_metric_value(
		&h, "cadmon_connections_closed_total{port=\"http\",reason=\"request_timeout\"}");
	slow = harness_connect(h.http_port);
	assert_true(slow >= 0);
	started = harness_now_ms();
	assert_int_equal(harness_send(slow, "GET /healthz HTTP/1.1\r\n"), 0);
	bool closed = false;
	for (int i = 0; i < 25 && !closed; i++)
		closed = harness_send(slow, "X-Slow: 1\r\n") != 0 || harness_wait_eof(slow, 200);
	assert_true(closed);
	assert_in_range(harness_now_ms() - started, 800, 3000);
	close(slow);
	expect_log(&h, ": closing: no complete request within 1 s (http.timeout_seconds)\n");
	assert_int_equal(expect_metric_value(&h, "cadmon_connections_closed_total{port=\"http\","
						 "reason=\"request_timeout\"}"),
			 timed_out + 1);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

#define DASHBOARD_CSP                                                                              \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "       \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "          \
	"frame-ancestors 'none'\r\n"

/* GET path answers 200 with exactly the bytes of daemon/www/FILE, as type, with the
 * dashboard's headers; its ETag (quoted) is copied to etag. */
static void expect_asset(const struct harness *h, const char *path, const char *file,
			 const char *type, char *etag, size_t etag_size)
{
	static struct response response;
	char source[PATH_MAX], header[256];
	char *bytes, *value;

	snprintf(source, sizeof source, "%s/daemon/www/%s", CADMON_SOURCE_DIR, file);
	bytes = harness_read_file(source);
	assert_non_null(bytes);
	http_request(h, "GET", path, NULL, &response);
	assert_int_equal(response.status, 200);
	assert_string_equal(response.body, bytes);
	snprintf(header, sizeof header, "\r\nContent-Type: %s\r\n", type);
	expect_header(&response, header);
	snprintf(header, sizeof header, "\r\nContent-Length: %zu\r\n", strlen(bytes));
	expect_header(&response, header);
	expect_header(&response, "\r\n" DASHBOARD_CSP);
	expect_header(&response, "\r\nX-Content-Type-Options: nosniff\r\n");
	expect_header(&response, "\r\nReferrer-Policy: no-referrer\r\n");
	expect_header(&response, "\r\nCache-Control: no-cache\r\n");
	value = strstr(response.head, "\r\nETag: \"");
	assert_non_null(value);
	value += strlen("\r\nETag: ");
	snprintf(etag, etag_size, "%.*s", (int)strcspn(value, "\r"), value);
	/* "HASH-LENGTH": 16 hex digits of the bytes' hash and their length */
	snprintf(header, sizeof header, "-%zu\"", strlen(bytes));
	assert_int_equal(strlen(etag), 1 + 16 + strlen(header));
	assert_string_equal(etag + 17, header);
	free(bytes);
}

/* GET / with If-None-Match: if_none_match answers code (304: no body, the ETag again). */
static void expect_revalidated(const struct harness *h, const char *if_none_match, int code,
			       const char *etag)
{
	static char request[1024];
	static struct response response;
	char header[128];

	snprintf(request, sizeof request,
		 "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nIf-None-Match: "
		 "%s\r\n\r\n",
		 if_none_match);
	http_raw(h, request, &response);
	assert_int_equal(response.status, code);
	snprintf(header, sizeof header, "\r\nETag: %s\r\n", etag);
	expect_header(&response, header);
	expect_header(&response, "\r\n" DASHBOARD_CSP);
	if (code == 304)
		assert_string_equal(response.body, "");
}

/* The dashboard: each embedded file byte for byte with its type, CSP and ETag; 304 on a
 * matching If-None-Match (a list, weak, or *); HEAD; other methods 405. */
static void test_dashboard_assets(void **state)
{
	struct harness h = { 0 };
	static struct response response;
	char etag[64], other[64], list[160];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	expect_asset(&h, "/app.js", "app.js", "text/javascript; charset=utf-8", other,
		     sizeof other);
	expect_asset(&h, "/app.css", "app.css", "text/css; charset=utf-8", other, sizeof other);
	expect_asset(&h, "/favicon.svg", "favicon.svg", "image/svg+xml", other, sizeof other);
	expect_asset(&h, "/?wall=1", "index.html", "text/html; charset=utf-8", etag, sizeof etag);
	expect_asset(&h, "/", "index.html", "text/html; charset=utf-8", etag, sizeof etag);
	assert_string_not_equal(etag, other);
	expect_revalidated(&h, etag, 304, etag);
	snprintf(list, sizeof list, "%s, W/%s", other, etag);
	expect_revalidated(&h, list, 304, etag);
	expect_revalidated(&h, "*", 304, etag);
	expect_revalidated(&h, other, 200, etag);
	http_request(&h, "HEAD", "/", NULL, &response);
	assert_int_equal(response.status, 200);
	assert_string_equal(response.body, "");
	expect_header(&response, "\r\n" DASHBOARD_CSP);
	snprintf(list, sizeof list, "\r\nContent-Length: %s\r\n", strrchr(etag, '-') + 1);
	*strrchr(list, '"') = '\0'; /* the length in the ETag, without its closing quote */
	snprintf(list + strlen(list), sizeof list - strlen(list), "\r\n");
	expect_header(&response, list);
	http_request(&h, "POST", "/", "x", &response);
	assert_int_equal(response.status, 405);
	assert_string_equal(response.body, "{\"error\":\"method not allowed: use GET, HEAD\"}");
	expect_header(&response, "\r\nAllow: GET, HEAD\r\n");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

static size_t count_of(const char *text, const char *needle)
{
	size_t count = 0;

	for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
		count++;
	return count;
}

/* GET /api/alerts answers at most about http.max_alerts_bytes of alerts; following "next"
 * pages through all of them, in order, each once. */
static void test_alerts_paged(void **state)
{
	static const struct harness_options options = {
		.http_yaml = "  max_alerts_bytes: 4096\n",
		.extra_yaml = "detector:\n"
			      "  resolve_after_seconds: 2592000\n"
			      "  rules: [{name: every, window_seconds: 60, min_calls: 1, "
			      "min_premature: 1, severity: info}]\n",
	};
	struct harness h = { 0 };
	static struct response response;
	char path[64], lines[512], needle[32];
	uint64_t since = 0, next = 0, seen = 0;
	size_t pages = 0;
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	int feed = harness_connect_feed(&h);
	for (unsigned n = 0; n < 30; n++) {
		snprintf(lines, sizeof lines,
			 "{\"type\":\"call_start\",\"call_id\":\"f%u\",\"ts\":\"2026-11-29T08:00:%"
			 "02uZ\",\"operator\":\"op-%u\"}\n"
			 "{\"type\":\"call_end\",\"call_id\":\"f%u\",\"ts\":\"2026-11-29T08:00:%"
			 "02u.500Z\",\"released_by\":\"operator\"}\n",
			 n, n, n, n, n);
		assert_int_equal(harness_send(feed, lines), 0);
	}
	expect_log(&h, "cadmond: alert 30: firing");
	do {
		snprintf(path, sizeof path, "/api/alerts?since=%" PRIu64, since);
		http_request(&h, "GET", path, NULL, &response);
		assert_int_equal(response.status, 200);
		assert_non_null(strstr(response.body, "{\"oldest\":1,\"newest\":30,\"alerts\":["));
		assert_int_equal(sscanf(strstr(response.body, "],\"next\":"),
					"],\"next\":%" SCNu64 "}", &next),
				 1);
		assert_true(next > since);
		assert_int_equal(count_of(response.body, "{\"alert\":\"firing\""), next - since);
		for (uint64_t seq = since + 1; seq <= next; seq++) {
			snprintf(needle, sizeof needle, "\"seq\":%" PRIu64 ",", seq);
			assert_non_null(strstr(response.body, needle));
		}
		assert_true(strlen(response.body) < 4096 + 1024);
		seen += next - since;
		since = next;
		pages++;
	} while (next < 30);
	assert_int_equal(seen, 30);
	assert_true(pages >= 2);
	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* SIGHUP applies new HTTP limits at once: a body refused with 413 is read after the reload. */
static void test_reload_limits(void **state)
{
	static const struct harness_options before = { .http_yaml = "  max_body_bytes: 256\n" };
	static const struct harness_options after = { .http_yaml = "  max_body_bytes: 4096\n" };
	struct harness h = { 0 };
	static struct response response;
	static char body[301];
	(void)state;

	memset(body, 'x', 300);
	assert_int_equal(harness_start(&h, &before), 0);
	http_request(&h, "POST", "/api/alerts/" SHIFT_ALERT_ID "/ack", body, &response);
	assert_int_equal(response.status, 413);
	assert_int_equal(harness_write_config(&h, &after), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log(&h, "cadmond: reload: http.max_body_bytes: 256 -> 4096\n"
		       "cadmond: configuration reloaded: 1 change\n");
	http_request(&h, "POST", "/api/alerts/" SHIFT_ALERT_ID "/ack", body, &response);
	assert_int_equal(response.status, 400);
	assert_string_equal(response.body, "{\"error\":\"the body must be one JSON object "
					   "{\\\"by\\\":NAME,\\\"note\\\":TEXT}\"}");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* SIGHUP moves http.listen: the new port serves, the old one is closed; a port that cannot be
 * bound keeps the running configuration. */
static void test_reload_listen(void **state)
{
	struct harness h = { 0 };
	uint16_t old_port, new_port;
	(void)state;

	assert_int_equal(harness_start(&h, NULL), 0);
	old_port = h.http_port;
	assert_int_equal(harness_pick_ports(&new_port, 1), 0);
	h.http_port = new_port;
	assert_int_equal(harness_write_config(&h, NULL), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log_format(&h,
			  "cadmond: reload: http.listen: [127.0.0.1:%u] -> [127.0.0.1:%u]\n"
			  "cadmond: no longer listening for http on 127.0.0.1:%u\n"
			  "cadmond: listening for http on 127.0.0.1:%u\n"
			  "cadmond: configuration reloaded: 1 change\n",
			  old_port, new_port, old_port, new_port);
	expect_get(&h, "/healthz", 200, "ok\n");
	errno = 0;
	assert_int_equal(harness_connect_to("127.0.0.1", old_port), -1);
	assert_int_equal(errno, ECONNREFUSED);

	h.http_port = h.alerts_port; /* cadmond's own alert port: taken */
	assert_int_equal(harness_write_config(&h, NULL), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log_format(
		&h,
		"cadmond: error: configuration not reloaded: cannot listen on 127.0.0.1:%u "
		"(http.listen): Address already in use; keeping the running one\n",
		h.alerts_port);
	h.http_port = new_port;
	expect_get(&h, "/healthz", 200, "ok\n");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* /healthz: 503 while a bounded table evicts (its limit system alert is open). */
static void test_healthz_limit(void **state)
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
	char line[LINE_MAX_BYTES];
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	int console = harness_connect_subscriber(&h);
	expect_line(console, hello_line);
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		assert_int_equal(harness_send(feed, calls[i]), 0);
	do
		assert_true(harness_read_line(console, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >
			    0);
	while (!strstr(line, "\"system\":\"limit\""));
	expect_get(
		&h, "/healthz", 503,
		"limit: call-takers or agencies' baselines forgotten (tracker.max_operators 1 "
		"reached): 1 so far; raise tracker.max_operators\n");
	static struct response response;
	http_request(&h, "GET", "/metrics", NULL, &response);
	assert_int_equal(response.status, 200);
	assert_non_null(strstr(response.body,
			       "\ncadmon_evicted_total{limit=\"tracker.max_operators\"} 1\n"));
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* /healthz: ok while healthy; 503 with the reason while a feed source is silent; ok again. */
static void test_healthz(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  silence_seconds: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	struct harness h = { 0 };
	char line[LINE_MAX_BYTES];
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	expect_get(&h, "/healthz", 200, "ok\n");
	int console = harness_connect_subscriber(&h);
	expect_line(console, hello_line);
	int feed = harness_connect_feed(&h);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	assert_int_equal(harness_send(feed, shift_lines[0]), 0);
	do
		assert_true(harness_read_line(console, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >
			    0);
	while (!strstr(line, "\"feed_silent\""));
	expect_get(&h, "/healthz", 503,
		   "feed_silent: feed source cad-1 has sent nothing for 1 s\n");
	assert_int_equal(harness_send(feed, shift_lines[1]), 0);
	do
		assert_true(harness_read_line(console, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >
			    0);
	while (!strstr(line, "\"resolved\""));
	expect_get(&h, "/healthz", 200, "ok\n");
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A name whose every line is refused is not watched for silence (an invented name cannot fill
 * the watch list nor raise a feed_silent that never resolves); cad-1, whose line was taken, is. */
static void test_refused_source_not_watched(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  silence_seconds: 1\n",
		.extra_yaml = shift_detector_yaml,
	};
	struct harness h = { 0 };
	static struct response response;
	(void)state;

	assert_int_equal(harness_start(&h, &options), 0);
	int feed = harness_connect_feed(&h);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-x\"}\n"), 0);
	assert_int_equal(harness_send(feed, "{\"type\":\"call_start\"}\n"), 0);
	usleep(2500 * 1000); /* 2.5 silence_seconds */
	expect_get(&h, "/healthz", 200, "ok\n");
	http_request(&h, "GET", "/metrics", NULL, &response);
	assert_non_null(strstr(response.body, "\ncadmon_feed_sources_watched 0\n"));
	assert_non_null(strstr(response.body, "\ncadmon_feed_sources_unwatched_total 0\n"));
	int named = harness_connect_feed(&h);
	assert_int_equal(harness_send(named, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"),
			 0);
	assert_int_equal(harness_send(named, shift_lines[0]), 0);
	usleep(2500 * 1000);
	expect_get(&h, "/healthz", 503,
		   "feed_silent: feed source cad-1 has sent nothing for 1 s\n");
	close(named);
	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Every family of lib/engine_counters.c's /metrics table, in the table's order, with its HELP
 * text and TYPE, then its first sample: a counter's with the value the shift gave it. */
static void expect_engine_counters(const char *body)
{
	static const struct {
		const char *metric;
		const char *first_sample; /* after "cadmon_<metric>" */
	} shift_values[] = {
		{"lines_total", " 11\n"}, {"events_total", " 11\n"}, {"duplicates_total", " 0\n"},
		{"rejected_lines_total", "{reason=\"line_too_long\"} 0\n"},
		{"alerts_total", "{kind=\"firing\",severity=\"info\"} 0\n"},
		{"notices_total", " 1\n"}, {"open_alerts", " 1\n"}, {"open_calls", " 0\n"},
		{"operators", " 2\n"}, {"calls_total", " 5\n"}, {"premature_total", " 3\n"},
		{"offered_calls_total", " 0\n"}, {"offered_calls_unknown_agency_total", " 0\n"},
		{"sources_departed_total", " 0\n"}, {"baselines_evicted_total", " 0\n"},
		{"system_alerts_dropped_total", " 0\n"}, {"call_owners_capped_total", " 0\n"},
		{"call_events_repeated_total", " 0\n"}, {"calls_end_before_start_total", " 0\n"},
		{"evicted_total", "{limit=\"tracker.max_operators\"} 0\n"},
	};
	const char *previous = body;
	char block[512];

	assert_int_equal(engine_counters_metrics_count,
			 sizeof shift_values / sizeof shift_values[0]);
	for (size_t i = 0; i < engine_counters_metrics_count; i++) {
		const struct engine_counter *counter = &engine_counters_metrics[i];

		assert_string_equal(counter->metric, shift_values[i].metric);
		snprintf(block, sizeof block,
			 "# HELP cadmon_%s %s\n# TYPE cadmon_%s %s\ncadmon_%s%s", counter->metric,
			 counter->help, counter->metric, counter->type, counter->metric,
			 shift_values[i].first_sample);
		const char *found = strstr(body, block);
		if (!found)
			fprintf(stderr, "no \"%s\" in:\n%s", block, body);
		assert_non_null(found);
		assert_true(found == body || found[-1] == '\n'); /* a whole line */
		assert_true(found >= previous);                   /* in the table's order */
		previous = found;
	}
}

/* GET /metrics until its body holds needle, for up to 3 s (the engine applies a line a
 * little after it is sent). */
static void expect_metrics_soon(const struct harness *h, struct response *response,
				const char *needle)
{
	for (int i = 0; i < 60; i++) {
		http_request(h, "GET", "/metrics", NULL, response);
		if (strstr(response->body, needle))
			return;
		usleep(50 * 1000);
	}
	fprintf(stderr, "no \"%s\" in:\n%s", needle, response->body);
	fail();
}

/* What the call tracker ignores is counted on /metrics, not only in cadmon-backtest's report:
 * a second call_start of a call still open (the call keeps its first call-taker), and calls
 * whose call_end is stamped before their call_start, whichever came first (dropped unjudged). */
static void test_metrics_call_quirks(void **state)
{
	struct harness h = { 0 };
	static struct response response;
	static const char *const lines[] = {
		"{\"type\":\"call_start\",\"call_id\":\"R1\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n",
		"{\"type\":\"call_start\",\"call_id\":\"R1\",\"ts\":\"2026-11-29T08:00:05Z\","
		"\"operator\":\"op-2\",\"agency\":\"A\"}\n",
		"{\"type\":\"call_end\",\"call_id\":\"R1\",\"ts\":\"2026-11-29T08:01:00Z\","
		"\"released_by\":\"caller\"}\n",
		"{\"type\":\"call_start\",\"call_id\":\"B1\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n",
		"{\"type\":\"call_end\",\"call_id\":\"B1\",\"ts\":\"2026-11-29T08:01:30Z\","
		"\"released_by\":\"caller\"}\n",
		"{\"type\":\"call_end\",\"call_id\":\"B2\",\"ts\":\"2026-11-29T08:02:10Z\","
		"\"released_by\":\"caller\"}\n",
		"{\"type\":\"call_start\",\"call_id\":\"B2\",\"ts\":\"2026-11-29T08:02:20Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n",
	};
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int feed = harness_connect_feed(&h);
	assert_true(feed >= 0);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		assert_int_equal(harness_send(feed, lines[i]), 0);
	expect_metrics_soon(&h, &response, "\ncadmon_calls_end_before_start_total 2\n");
	assert_non_null(strstr(response.body, "\ncadmon_call_events_repeated_total 1\n"));
	assert_non_null(strstr(response.body, "\ncadmon_calls_total 1\n"));
	assert_non_null(strstr(response.body, "\ncadmon_duplicates_total 0\n"));
	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* /metrics passes Prometheus's promtool check metrics, and says what happened exactly. */
static void test_metrics(void **state)
{
	struct harness h = { 0 };
	static struct response response;
	char path[PATH_MAX], command[PATH_MAX + 64];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int console = console_after_shift(&h);
	http_request(&h, "GET", "/metrics", NULL, &response);
	assert_int_equal(response.status, 200);
	expect_header(&response, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(harness_temp_file("metrics", path), 0);
	assert_int_equal(harness_write_file(path, response.body), 0);
	snprintf(command, sizeof command, "promtool check metrics < %s", path);
	int status = system(command);
	unlink(path);
	if (status != 0)
		fprintf(stderr, "%s", response.body);
	assert_int_equal(status, 0);
	static const char *const lines[] = {
		"# HELP cadmon_lines_total Feed lines offered, rejected ones included.\n# TYPE "
		"cadmon_lines_total counter\n",
		METRICS_LINES,
		"\ncadmon_rejected_lines_total{reason=\"invalid_json\"} 0\n",
		"\ncadmon_alerts_total{kind=\"firing\",severity=\"critical\"} 1\n",
		"\ncadmon_alerts_total{kind=\"acknowledged\",severity=\"critical\"} 0\n",
		"\ncadmon_open_alerts 1\n",
		"\ncadmon_evicted_total{limit=\"tracker.max_operators\"} 0\n",
		"\ncadmon_subscribers 1\n",
		"\n# TYPE cadmon_feed_sources_watched gauge\ncadmon_feed_sources_watched 1\n",
		"\ncadmon_feed_sources_forgotten_total 0\n",
		"\ncadmon_feed_sources_unwatched_total 0\n",
		"\ncadmon_journal_degraded 0\n",
		"\n# TYPE cadmon_state_incomplete gauge\ncadmon_state_incomplete 0\n",
		"\n# TYPE cadmon_journal_bytes_written_total "
		"counter\ncadmon_journal_bytes_written_total ",
		"\n# TYPE cadmon_event_loop_lag_seconds gauge\ncadmon_event_loop_lag_seconds 0.",
		"\n# TYPE cadmon_invariant_failures_total counter\ncadmon_invariant_failures_total "
		"0\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (!strstr(response.body, lines[i]))
			fprintf(stderr, "no \"%s\" in:\n%s", lines[i], response.body);
		assert_non_null(strstr(response.body, lines[i]));
	}
	expect_engine_counters(response.body);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_resources),
		cmocka_unit_test(test_alerts_paged),
		cmocka_unit_test(test_ack_round_trip),
		cmocka_unit_test(test_bad_acks),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_dashboard_assets),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_healthz_limit),
		cmocka_unit_test(test_refused_source_not_watched),
		cmocka_unit_test(test_reload_limits),
		cmocka_unit_test(test_reload_listen),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_call_quirks),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
