/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Tokens, roles and redaction against the real cadmond (docs/security.md, "Tokens, roles, safe
 * defaults and callers' numbers"): every HTTP
 * resource with no token, a wrong one and each role; the alert port's token line (missing,
 * wrong, late, a viewer's ack refused, a supervisor's broadcast); the failure limit per
 * address over both ports and its end; callers' numbers per role on the alert port and over
 * HTTP; tokens files and their located errors; the loopback-only rule; the journal's modes.
 */
#include <dirent.h>
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define LINE_MAX_BYTES 8192
#define ANSWER_MAX (128 * 1024)
#define WAIT_MS 5000

#define VIEWER_TOKEN "viewer-token-0001"
#define SUPERVISOR_TOKEN "supervisor-token-1"
#define ADMIN_TOKEN "admin-token-000001"
#define ADMIN_SHA256 "df2f288e65275eefc10d67b77bd3887f0b09b595cb1f50db900dd889e8c99215"
#define SHIFT_ALERT_ID "6033274aee8baf5c"

#define TOKENS_YAML                                                                                \
	"auth:\n"                                                                                  \
	"  tokens:\n"                                                                              \
	"    - {name: wall, role: viewer, token: \"" VIEWER_TOKEN "\"}\n"                          \
	"    - {name: floor, role: supervisor, token: \"" SUPERVISOR_TOKEN "\"}\n"                 \
	"    - {name: it, role: admin, sha256: \"" ADMIN_SHA256 "\"}\n"

#define MISSING "{\"error\":\"a bearer token is required\"}"
#define INVALID "{\"error\":\"invalid token\"}"
#define NEEDS_SUPERVISOR "{\"error\":\"this needs the supervisor role\"}"
#define NEEDS_ADMIN "{\"error\":\"this needs the admin role\"}"
#define UNAUTHORIZED "{\"error\":\"unauthorized\"}"
#define FEED_TOKEN "feed-token-0000001"
#define FEED_ONLY "{\"error\":\"a feed token may only post events\"}"

/* One HTTP answer. */
struct answer {
	int status;
	char head[4096];
	char *body;
	char raw[ANSWER_MAX];
};

/* A connection to port on 127.0.0.1 from the loopback address source (e.g. "127.0.0.2"). */
static int connect_from(const char *source, uint16_t port)
{
	struct sockaddr_in local = { .sin_family = AF_INET },
			   remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, source, &local.sin_addr), 1);
	remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&local, sizeof local), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&remote, sizeof remote), 0);
	return fd;
}

/* method path with "Authorization: Bearer token" (token NULL: none), body (NULL: none), from
 * the loopback address source. */
static void request_from(const struct harness *h, const char *source, const char *method,
			 const char *path, const char *token, const char *body,
			 struct answer *answer)
{
	char text[2048], authorization[256] = "";
	int fd = connect_from(source, h->http_port);
	int64_t deadline = harness_now_ms() + WAIT_MS;
	size_t used = 0;
	char *split;

	if (token)
		snprintf(authorization, sizeof authorization, "Authorization: Bearer %s\r\n",
			 token);
	snprintf(text, sizeof text,
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sContent-Length: "
		 "%zu\r\n\r\n%s",
		 method, path, authorization, body ? strlen(body) : 0, body ? body : "");
	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, text), 0);
	while (used + 1 < sizeof answer->raw && harness_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((got = read(fd, answer->raw + used, sizeof answer->raw - used - 1)) <= 0)
			break;
		used += (size_t)got;
	}
	close(fd);
	answer->raw[used] = '\0';
	assert_int_equal(sscanf(answer->raw, "HTTP/1.1 %d ", &answer->status), 1);
	assert_non_null(split = strstr(answer->raw, "\r\n\r\n"));
	snprintf(answer->head, sizeof answer->head, "%.*s", (int)(split - answer->raw),
		 answer->raw);
	answer->body = split + 4;
}

static void request(const struct harness *h, const char *method, const char *path,
		    const char *token, const char *body, struct answer *answer)
{
	request_from(h, "127.0.0.1", method, path, token, body, answer);
}

static void expect_head(const struct answer *answer, const char *header)
{
	if (!strstr(answer->head, header))
		fail_msg("no \"%s\" in:\n%s", header, answer->head);
}

/* The daemon with the three tokens plus more YAML (the shift's rule first). */
static void start(struct harness *h, const char *alerts_yaml, const char *auth_yaml)
{
	static char yaml[4096];

	int len = snprintf(yaml, sizeof yaml, "%s" TOKENS_YAML "%s", shift_detector_yaml,
			   auth_yaml ? auth_yaml : "");
	assert_true(len > 0 && (size_t)len < sizeof yaml);
	const struct harness_options options = { .alerts_yaml = alerts_yaml, .extra_yaml = yaml };
	assert_int_equal(harness_start(h, &options), 0);
}

static void send_shift(const struct harness *h)
{
	int feed = harness_connect_feed(h);

	assert_true(feed >= 0);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	close(feed);
}

/* shift_alert with each caller's number as last4 shows it. */
static void shift_alert_last4(char *out, size_t size)
{
	snprintf(out, size, "%s", shift_alert);
	memcpy(strstr(out, "5045550104"), "******0104", 10);
	memcpy(strstr(out, "5045550101"), "******0101", 10);
}

/* A console that sent line first and got hello then expected (the board skipped after). */
static int console_with(const struct harness *h, const char *first_line, const char *expected)
{
	int fd = harness_connect_subscriber(h);

	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	assert_int_equal(harness_send(fd, first_line), 0);
	expect_line(fd, expected);
	return fd;
}

/* ---- HTTP: every resource, every kind of caller ------------------------------------------ */

struct route_case {
	const char *method;
	const char *path;
	int status[5];     /* no token, wrong token, viewer, supervisor, admin */
	const char
		*body[5]; /* exact; NULL: not compared (counters that move: test_http has them) */
};

#define NO_ALERT "{\"error\":\"no open alert 0123456789abcdef\"}"
#define ACK_PATH "/api/alerts/0123456789abcdef/ack"

static const struct route_case route_cases[] = {
	{ "GET",
	  "/healthz",
	  { 200, 200, 200, 200, 200 },
	  { "ok\n", "ok\n", "ok\n", "ok\n", "ok\n" } },
	{ "GET",
	  "/api/alerts",
	  { 401, 401, 200, 200, 200 },
	  { MISSING, INVALID, "{\"oldest\":0,\"newest\":0,\"alerts\":[],\"next\":0}",
	    "{\"oldest\":0,\"newest\":0,\"alerts\":[],\"next\":0}",
	    "{\"oldest\":0,\"newest\":0,\"alerts\":[],\"next\":0}" } },
	{ "GET",
	  "/api/alerts/open",
	  { 401, 401, 200, 200, 200 },
	  { MISSING, INVALID, "{\"open\":[],\"seq\":0}", "{\"open\":[],\"seq\":0}",
	    "{\"open\":[],\"seq\":0}" } },
	{ "GET",
	  "/api/sources",
	  { 401, 401, 200, 200, 200 },
	  { MISSING, INVALID, "{\"center_ts\":null,\"sources\":[]}",
	    "{\"center_ts\":null,\"sources\":[]}", "{\"center_ts\":null,\"sources\":[]}" } },
	{ "GET",
	  "/api/operators",
	  { 401, 401, 200, 200, 200 },
	  { MISSING, INVALID, "{\"operators\":[]}", "{\"operators\":[]}", "{\"operators\":[]}" } },
	{ "GET", "/metrics", { 401, 401, 200, 200, 200 }, { MISSING, INVALID, NULL, NULL, NULL } },
	{ "GET",
	  "/api/status",
	  { 401, 401, 403, 403, 200 },
	  { MISSING, INVALID, NEEDS_ADMIN, NEEDS_ADMIN, NULL } },
	{ "POST",
	  ACK_PATH,
	  { 401, 401, 403, 404, 404 },
	  { MISSING, INVALID, NEEDS_SUPERVISOR, NO_ALERT, NO_ALERT } },
	{ "GET",
	  ACK_PATH,
	  { 401, 401, 403, 405, 405 },
	  { MISSING, INVALID, NEEDS_SUPERVISOR, "{\"error\":\"method not allowed: use POST\"}",
	    "{\"error\":\"method not allowed: use POST\"}" } },
	{ "GET",
	  "/no/such/thing",
	  { 401, 401, 404, 404, 404 },
	  { MISSING, INVALID, "{\"error\":\"no such resource\"}",
	    "{\"error\":\"no such resource\"}", "{\"error\":\"no such resource\"}" } },
};

static const char *const callers[5] = { NULL, "not-a-token-at-all", VIEWER_TOKEN, SUPERVISOR_TOKEN,
					ADMIN_TOKEN };

/* Every resource × no token, a wrong token, viewer, supervisor, admin: exact status and body. */
static void test_http_roles_every_endpoint(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	(void)state;

	start(&h, NULL, "  max_failures_per_minute: 1000\n");
	for (size_t i = 0; i < sizeof route_cases / sizeof route_cases[0]; i++) {
		const struct route_case *c = &route_cases[i];
		for (size_t who = 0; who < 5; who++) {
			request(&h, c->method, c->path, callers[who],
				c->method[0] == 'P' ? "{\"by\":\"sup-1\"}" : NULL, &answer);
			if (answer.status != c->status[who] ||
			    (c->body[who] && strcmp(answer.body, c->body[who]) != 0))
				fail_msg("%s %s as caller %zu: %d %s", c->method, c->path, who,
					 answer.status, answer.body);
			if (c->status[who] == 401)
				expect_head(&answer,
					    who == 0 ? "WWW-Authenticate: Bearer realm=\"cadmon\""
						     : "WWW-Authenticate: Bearer realm=\"cadmon\", "
						       "error=\"invalid_token\"");
		}
	}
	request(&h, "GET", "/metrics", ADMIN_TOKEN, NULL, &answer);
	/* 9 protected resources without a token, 9 with a wrong one; 3 viewers and 1 supervisor
	 * short of a role (status twice, the ack path twice for the viewer) */
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"http\",reason=\"missing\"} 9\n"));
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"http\",reason=\"invalid\"} 9\n"));
	assert_non_null(strstr(answer.body,
			       "\ncadmon_auth_failures_total{port=\"http\",reason=\"role\"} 4\n"));
	assert_non_null(
		strstr(answer.body,
		       "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"invalid\"} 0\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_refused_total{port=\"http\"} 0\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_tokens 3\n"));
	expect_log(&h, "auth: http 127.0.0.1:");
	expect_no_log(&h, VIEWER_TOKEN);
	expect_no_log(&h, "not-a-token-at-all");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A feed token (a machine posting events) reads nothing: 403 on every protected resource
 * (POST /LogEvents and GET /Versions, without i3.enabled, are then a 404), the alert port's
 * error line and closed; a viewer's and a supervisor's token may not post events. */
static void test_feed_role(void **state)
{
	static const struct {
		const char *method, *path, *token;
		int status;
		const char *body;
	} cases[] = {
		{ "GET", "/healthz", FEED_TOKEN, 200, "ok\n" },
		{ "GET", "/api/alerts", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/api/alerts/open", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/api/stream", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/api/sources", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/api/operators", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/metrics", FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/api/status", FEED_TOKEN, 403, FEED_ONLY },
		{ "POST", ACK_PATH, FEED_TOKEN, 403, FEED_ONLY },
		{ "GET", "/no/such/thing", FEED_TOKEN, 403, FEED_ONLY },
		{ "POST", "/LogEvents", FEED_TOKEN, 404, "{\"error\":\"no such resource\"}" },
		{ "POST", "/LogEvents", ADMIN_TOKEN, 404, "{\"error\":\"no such resource\"}" },
		{ "POST", "/LogEvents", VIEWER_TOKEN, 403,
		  "{\"error\":\"this needs the feed or admin role\"}" },
		{ "POST", "/LogEvents", SUPERVISOR_TOKEN, 403,
		  "{\"error\":\"this needs the feed or admin role\"}" },
		/* the i3 interface's versions: as POST /LogEvents */
		{ "GET", "/Versions", FEED_TOKEN, 404, "{\"error\":\"no such resource\"}" },
		{ "GET", "/Versions", VIEWER_TOKEN, 403,
		  "{\"error\":\"this needs the feed or admin role\"}" },
	};
	struct harness h = { 0 };
	static struct answer answer;
	char line[LINE_MAX_BYTES];
	(void)state;

	start(&h, NULL, "    - {name: logger, role: feed, token: \"" FEED_TOKEN "\"}\n");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		request(&h, cases[i].method, cases[i].path, cases[i].token,
			cases[i].method[0] == 'P' ? "{}" : NULL, &answer);
		if (answer.status != cases[i].status || strcmp(answer.body, cases[i].body) != 0)
			fail_msg("%s %s: %d %s", cases[i].method, cases[i].path, answer.status,
				 answer.body);
	}
	int feed = console_with(&h, "{\"token\":\"" FEED_TOKEN "\"}\n", FEED_ONLY);
	assert_true(harness_read_line(feed, line, sizeof line, WAIT_MS) <=
		    0); /* closed, nothing more */
	close(feed);
	request(&h, "GET", "/metrics", ADMIN_TOKEN, NULL, &answer);
	/* 9 HTTP resources refused to the feed token, 3 to the viewer and the supervisor */
	assert_non_null(strstr(answer.body,
			       "\ncadmon_auth_failures_total{port=\"http\",reason=\"role\"} 12\n"));
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"role\"} 1\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_tokens 4\n"));
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Viewers see callers' numbers as last4 (the default), supervisors whole, over HTTP. */
static void test_http_redaction(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	static char expected[ANSWER_MAX], last4[LINE_MAX_BYTES];
	(void)state;

	start(&h, NULL, NULL);
	send_shift(&h);
	int console = console_with(&h, "{\"token\":\"" SUPERVISOR_TOKEN "\",\"since\":0}\n",
				   "{\"authenticated\":\"supervisor\",\"name\":\"floor\"}");
	expect_line(console, shift_alert); /* durable and sent: the history has it */
	shift_alert_last4(last4, sizeof last4);
	request(&h, "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	snprintf(expected, sizeof expected,
		 "{\"oldest\":1,\"newest\":1,\"alerts\":[%s],\"next\":1}", last4);
	assert_int_equal(answer.status, 200);
	assert_string_equal(answer.body, expected);
	request(&h, "GET", "/api/alerts", SUPERVISOR_TOKEN, NULL, &answer);
	snprintf(expected, sizeof expected,
		 "{\"oldest\":1,\"newest\":1,\"alerts\":[%s],\"next\":1}", shift_alert);
	assert_string_equal(answer.body, expected);
	request(&h, "GET", "/api/alerts/open", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 200);
	assert_non_null(strstr(answer.body, "{\"call_id\":\"c4\",\"ani\":\"******0104\",\"ts\""));
	assert_non_null(strstr(answer.body, "{\"call_id\":\"c1\",\"ani\":\"******0101\",\"ts\""));
	assert_null(strstr(answer.body, "5045550"));
	request(&h, "GET", "/api/alerts/open", ADMIN_TOKEN, NULL, &answer);
	assert_non_null(strstr(answer.body, "{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\""));
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Lines from fd appended to text (each with its "\n") until text holds needle; false when
 * the stream ends or stalls first. */
static bool read_until(int fd, char *text, size_t size, const char *needle)
{
	size_t used = strlen(text);
	ssize_t len;

	while (!strstr(text, needle) &&
	       (len = harness_read_line(fd, text + used, size - used - 1, WAIT_MS)) >= 0) {
		used += (size_t)len;
		text[used++] = '\n';
		text[used] = '\0';
	}
	return strstr(text, needle) != NULL;
}

/* GET /api/stream: a token is needed; a viewer's replayed notice and board carry last4
 * numbers, a supervisor's the full ones. */
static void test_stream_redaction(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	static char text[ANSWER_MAX], expected[LINE_MAX_BYTES + 64], last4[LINE_MAX_BYTES];
	(void)state;

	start(&h, NULL, NULL);
	send_shift(&h);
	int console = console_with(&h, "{\"token\":\"" SUPERVISOR_TOKEN "\",\"since\":0}\n",
				   "{\"authenticated\":\"supervisor\",\"name\":\"floor\"}");
	expect_line(console, shift_alert);
	request(&h, "GET", "/api/stream", NULL, NULL, &answer);
	assert_int_equal(answer.status, 401);
	assert_string_equal(answer.body, MISSING);
	shift_alert_last4(last4, sizeof last4);
	for (int who = 0; who < 2; who++) {
		int fd = harness_connect(h.http_port);
		snprintf(text, sizeof text,
			 "GET /api/stream?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
			 "Bearer %s\r\n\r\n",
			 who ? SUPERVISOR_TOKEN : VIEWER_TOKEN);
		assert_true(fd >= 0);
		assert_int_equal(harness_send(fd, text), 0);
		text[0] = '\0';
		snprintf(expected, sizeof expected, "id: 1\ndata: %s\n\n",
			 who ? shift_alert : last4);
		if (!read_until(fd, text, sizeof text, expected) ||
		    !read_until(fd, text, sizeof text, "event: board\n"))
			fail_msg("stream as %s:\n%s", who ? "supervisor" : "viewer", text);
		assert_true(read_until(fd, text, sizeof text, "],\"seq\":1}\n\n"));
		const char *board =
			strstr(text, "event: board\ndata: {\"open\":[{\"alert\":\"open\"");
		assert_non_null(board);
		assert_non_null(
			strstr(board, who ? "{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\""
					  : "{\"call_id\":\"c4\",\"ani\":\"******0104\",\"ts\""));
		if (!who)
			assert_null(strstr(text, "5045550"));
		close(fd);
	}
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* ---- the alert port ---------------------------------------------------------------------- */

/* No token, a wrong one, a line that is not JSON: unauthorized and closed, nothing else. */
static void test_console_refused(void **state)
{
	struct harness h = { 0 };
	static const char *const first_lines[] = {
		"{\"since\":0}\n", "{\"token\":\"wrong-token-000000\"}\n", "{\"token\":42}\n",
		"hello\n", "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"x\"}\n"
	};
	static struct answer answer;
	(void)state;

	start(&h, NULL, "  max_failures_per_minute: 1000\n");
	send_shift(&h);
	for (size_t i = 0; i < sizeof first_lines / sizeof first_lines[0]; i++) {
		int fd = console_with(&h, first_lines[i], UNAUTHORIZED);
		assert_true(harness_wait_eof(fd, WAIT_MS));
		close(fd);
	}
	expect_log(&h, "auth: alerts 127.0.0.1:");
	expect_log(
		&h,
		/* the first; the next ones within log.rate_limit_seconds are counted */
		": no token");
	request(&h, "GET", "/metrics", ADMIN_TOKEN, NULL, &answer);
	assert_non_null(
		strstr(answer.body,
		       "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"missing\"} 4\n"));
	assert_non_null(
		strstr(answer.body,
		       "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"invalid\"} 1\n"));
	assert_non_null(
		strstr(answer.body,
		       "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"timeout\"} 0\n"));
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A token line later than alerts.handshake_timeout_seconds: unauthorized and closed; the
 * alert raised meanwhile never reached it. */
static void test_console_late_token(void **state)
{
	struct harness h = { 0 };
	char line[LINE_MAX_BYTES];
	(void)state;

	start(&h, "  handshake_timeout_seconds: 1\n", NULL);
	int fd = harness_connect_subscriber(&h);
	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	int64_t started = harness_now_ms();
	send_shift(&h);
	assert_true(harness_read_line(fd, line, sizeof line, WAIT_MS) > 0);
	assert_string_equal(line, UNAUTHORIZED);
	assert_true(harness_now_ms() - started >= 900);
	(void)harness_send(fd, "{\"token\":\"" SUPERVISOR_TOKEN
			       "\"}\n"); /* too late: may find it closed */
	assert_true(harness_wait_eof(fd, WAIT_MS));
	close(fd);
	expect_log(&h, ": no token line in time (alerts.handshake_timeout_seconds)");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* A viewer: authenticated, numbers as last4, its ack refused (counted); a supervisor's ack
 * is applied and broadcast to both. */
static void test_console_roles(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	char last4[LINE_MAX_BYTES], line[LINE_MAX_BYTES];
	(void)state;

	start(&h, NULL, NULL);
	int viewer = console_with(&h, "{\"token\":\"" VIEWER_TOKEN "\"}\n",
				  "{\"authenticated\":\"viewer\",\"name\":\"wall\"}");
	expect_line(viewer, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(viewer, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	int supervisor = console_with(&h, "{\"token\":\"" SUPERVISOR_TOKEN "\"}\n",
				      "{\"authenticated\":\"supervisor\",\"name\":\"floor\"}");
	expect_line(supervisor, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(supervisor, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	send_shift(&h);
	shift_alert_last4(last4, sizeof last4);
	expect_line(viewer, last4);
	expect_line(supervisor, shift_alert);

	assert_int_equal(
		harness_send(viewer, "{\"ack\":\"" SHIFT_ALERT_ID "\",\"by\":\"wall-1\"}\n"), 0);
	expect_line(viewer, "{\"notice\":\"ack: acknowledging needs the supervisor role\"}");
	assert_int_equal(harness_send(supervisor,
				      "{\"ack\":\"" SHIFT_ALERT_ID
				      "\",\"by\":\"sup-1\",\"note\":\"calling back\"}\n"),
			 0);
	for (int i = 0; i < 2; i++) {
		assert_true(harness_read_line(i ? supervisor : viewer, line, sizeof line, WAIT_MS) >
			    0);
		expect_framed(line,
			      "{\"alert\":\"acknowledged\",\"alert_id\":\"" SHIFT_ALERT_ID
			      "\",\"seq\":2,\"ts\":\"",
			      "\",\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\","
			      "\"by\":\"sup-1\","
			      "\"note\":\"calling back\"}");
	}
	request(&h, "GET", "/metrics", VIEWER_TOKEN, NULL, &answer);
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"role\"} 1\n"));
	expect_log(&h, "authenticated: wall (viewer)");
	expect_log(&h, "alert " SHIFT_ALERT_ID " acknowledged by sup-1");
	close(viewer);
	close(supervisor);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* ---- the failure limit ------------------------------------------------------------------ */

#define REFUSED_HTTP                                                                               \
	"{\"error\":\"too many failed attempts from 127.0.0.1; retry after 3 seconds\"}"
#define REFUSED_LINE_3                                                                             \
	"{\"error\":\"too many failed attempts from 127.0.0.1; retry after 3 seconds\"}"
#define REFUSED_LINE_2                                                                             \
	"{\"error\":\"too many failed attempts from 127.0.0.1; retry after 2 seconds\"}"

/* 3 failures (2 over HTTP, 1 on the alert port) within the 3 s window: the address is
 * refused on both ports, good token or not (429 with Retry-After, the error line and close);
 * once the window is over it gets in again. */
static void test_failure_limit(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	char line[LINE_MAX_BYTES];
	(void)state;

	start(&h, NULL, "  max_failures_per_minute: 3\n  failure_window_seconds: 3\n");
	request(&h, "GET", "/api/alerts", "wrong-token-1", NULL, &answer);
	assert_int_equal(answer.status, 401);
	request(&h, "GET", "/api/alerts", NULL, NULL, &answer);
	assert_int_equal(answer.status, 401);
	int fd = console_with(&h, "{\"token\":\"wrong-token-2\"}\n", UNAUTHORIZED);
	close(fd);
	int64_t limited_at = harness_now_ms();
	request(&h, "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 429);
	assert_string_equal(answer.body, REFUSED_HTTP);
	expect_head(&answer, "Retry-After: 3");
	fd = harness_connect_subscriber(&h);
	expect_line(fd, hello_line);
	assert_int_equal(harness_send(fd, "{\"token\":\"" VIEWER_TOKEN "\"}\n"), 0);
	assert_true(harness_read_line(fd, line, sizeof line, WAIT_MS) > 0);
	if (strcmp(line, REFUSED_LINE_3) != 0 && strcmp(line, REFUSED_LINE_2) != 0)
		fail_msg("refused with %s", line);
	assert_true(harness_wait_eof(fd, WAIT_MS));
	close(fd);
	expect_log(&h, "(auth.max_failures_per_minute)");
	/* public resources stay public */
	request(&h, "GET", "/healthz", NULL, NULL, &answer);
	assert_int_equal(answer.status, 200);
	usleep((useconds_t)(3100 - (harness_now_ms() - limited_at)) * 1000);
	request(&h, "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 200);
	fd = console_with(&h, "{\"token\":\"" VIEWER_TOKEN "\"}\n",
			  "{\"authenticated\":\"viewer\",\"name\":\"wall\"}");
	close(fd);
	request(&h, "GET", "/metrics", VIEWER_TOKEN, NULL, &answer);
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"http\",reason=\"invalid\"} 1\n"));
	assert_non_null(strstr(
		answer.body, "\ncadmon_auth_failures_total{port=\"http\",reason=\"missing\"} 1\n"));
	assert_non_null(
		strstr(answer.body,
		       "\ncadmon_auth_failures_total{port=\"alerts\",reason=\"invalid\"} 1\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_refused_total{port=\"http\"} 1\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_refused_total{port=\"alerts\"} 1\n"));
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* The failure table holds auth.max_tracked_addresses: a second address pushes the first out
 * (counted, logged), and each address is limited on its own. */
static void test_failure_table_bound(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	(void)state;

	start(&h, NULL, "  max_failures_per_minute: 1\n  max_tracked_addresses: 1\n");
	request_from(&h, "127.0.0.2", "GET", "/api/alerts", "wrong-token-1", NULL, &answer);
	assert_int_equal(answer.status, 401);
	request_from(&h, "127.0.0.2", "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 429);
	assert_string_equal(
		answer.body,
		"{\"error\":\"too many failed attempts from 127.0.0.2; retry after 60 seconds\"}");
	request_from(&h, "127.0.0.3", "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status,
			 200); /* another address is not limited by 127.0.0.2's failures */
	request_from(&h, "127.0.0.3", "GET", "/api/alerts", NULL, NULL, &answer);
	assert_int_equal(answer.status, 401);
	expect_log(&h,
		   "cadmond: warning: auth: failures of 127.0.0.2 forgotten: 1 addresses tracked "
		   "(auth.max_tracked_addresses)\n");
	request_from(&h, "127.0.0.2", "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 200); /* forgotten */
	request_from(&h, "127.0.0.3", "GET", "/metrics", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 429);
	request(&h, "GET", "/metrics", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 200);
	assert_non_null(strstr(answer.body, "\ncadmon_auth_addresses_forgotten_total 1\n"));
	assert_non_null(strstr(answer.body, "\ncadmon_auth_refused_total{port=\"http\"} 2\n"));
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* ---- tokens files ------------------------------------------------------------------------- */

/* A file's tokens work beside the YAML's; a file with bad lines is refused whole, each problem
 * at FILE:LINE, by -n and at the start. */
static void test_tokens_file(void **state)
{
	struct harness h = { 0 };
	static struct answer answer;
	char path[PATH_MAX], config_path[PATH_MAX], yaml[PATH_MAX + 512], expected[6 * PATH_MAX];
	struct harness_result result;
	(void)state;

	assert_int_equal(harness_temp_file("tokens", path), 0);
	/* "file-token-000001" */
	assert_int_equal(harness_write_file(path, "# the wall displays\n\n"
						  "6CD0E55E73E7AF0700703911D702EF5BD767EBD64BD1D125"
						  "B1E5AF8FD6993E2F viewer wall-2\n"),
			 0);
	snprintf(yaml, sizeof yaml, "  tokens_file: %s\n", path);
	start(&h, NULL, yaml);
	request(&h, "GET", "/api/alerts", "file-token-000001", NULL, &answer);
	assert_int_equal(answer.status, 200);
	request(&h, "GET", "/api/status", "file-token-000001", NULL, &answer);
	assert_int_equal(answer.status, 403);
	request(&h, "GET", "/metrics", ADMIN_TOKEN, NULL, &answer);
	assert_non_null(strstr(answer.body, "\ncadmon_auth_tokens 4\n"));

	/* a reload re-reads it, each change counted: a token replaced ("file-token-000002") or
	 * removed no longer works, and a console connected with it is told and closed (another
	 * token's stays); a bad file changes nothing */
	int revoked = console_with(&h, "{\"token\":\"file-token-000001\"}\n",
				   "{\"authenticated\":\"viewer\",\"name\":\"wall-2\"}");
	int kept = console_with(&h, "{\"token\":\"" VIEWER_TOKEN "\"}\n",
				"{\"authenticated\":\"viewer\",\"name\":\"wall\"}");
	assert_int_equal(harness_write_file(path, "05CBCBE75762AD5DAF863330FD18E7B24FB59DB71005307"
						  "217405D88EBC08400 viewer wall-2\n"),
			 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log(&h, "cadmond: reload: auth.tokens_file: 1 token -> 1 (1 added, 1 removed)\n"
		       "cadmond: configuration reloaded: 1 change\n");
	char line[512];
	while (harness_read_line(revoked, line, sizeof line, 5000) > 0 &&
	       strstr(line, "{\"error\":") != line)
		; /* its board first */
	assert_string_equal(line,
			    "{\"error\":\"unauthorized: the token is no longer configured\"}");
	assert_true(harness_wait_eof(revoked, 5000));
	expect_log_format(&h,
			  "cadmond: subscriber 127.0.0.1:%u: closing: its token (wall-2, viewer) "
			  "is no longer configured\n",
			  local_port(revoked));
	close(revoked);
	assert_false(harness_wait_eof(kept, 200));
	close(kept);
	request(&h, "GET", "/metrics", ADMIN_TOKEN, NULL, &answer);
	assert_non_null(strstr(answer.body, "\ncadmon_auth_failures_total{port=\"alerts\","
					    "reason=\"revoked\"} 1\n"));
	request(&h, "GET", "/api/alerts", "file-token-000001", NULL, &answer);
	assert_int_equal(answer.status, 401);
	request(&h, "GET", "/api/alerts", "file-token-000002", NULL, &answer);
	assert_int_equal(answer.status, 200);
	assert_int_equal(harness_write_file(path, "# nobody\n"), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log(&h, "cadmond: reload: auth.tokens_file: 1 token -> 0 (0 added, 1 removed)\n"
		       "cadmond: configuration reloaded: 1 change\n");
	request(&h, "GET", "/api/alerts", "file-token-000002", NULL, &answer);
	assert_int_equal(answer.status, 401);
	assert_int_equal(harness_write_file(path, "x viewer y\n"), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log_format(
		&h,
		"cadmond: error: %s:1: the digest must be 64 hex digits (a SHA-256)\n"
		"cadmond: error: configuration not reloaded: 1 error; keeping the running one\n",
		path);
	request(&h, "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
	assert_int_equal(answer.status, 200);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);

	assert_int_equal(harness_write_file(path, "# bad\n"
						  "abc viewer a\n"
						  ADMIN_SHA256 " boss b\n"
						  ADMIN_SHA256 " viewer Bad\n"
						  ADMIN_SHA256 " viewer\n"
						  ADMIN_SHA256 " viewer wall\n"),
			 0);
	assert_int_equal(harness_temp_file("config", config_path), 0);
	snprintf(yaml, sizeof yaml,
		 "auth:\n  tokens_file: %s\n  tokens:\n    - {name: wall, role: admin, token: "
		 "\"%s\"}\n",
		 path, VIEWER_TOKEN);
	assert_int_equal(harness_write_file(config_path, yaml), 0);
	const char *const args[] = { "-n", "-c", config_path, NULL };
	assert_int_equal(harness_run(args, WAIT_MS, &result), 0);
	snprintf(expected, sizeof expected,
		 "%s:2: the digest must be 64 hex digits (a SHA-256)\n"
		 "%s:3: the role must be one of viewer, supervisor, admin, feed\n"
		 "%s:4: the name must be 1 to 31 characters from a-z, 0-9, _ and -\n"
		 "%s:5: expected SHA256HEX ROLE NAME\n"
		 "%s:6: duplicate token name wall\n",
		 path, path, path, path, path);
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
	unlink(config_path);
	unlink(path);
}

/* ---- safe defaults ------------------------------------------------------------------------ */

static void check_refused(const char *yaml, const char *expected_n, const char *expected_start)
{
	char config_path[PATH_MAX];
	struct harness_result result;
	const char *const check[] = { "-n", "-c", config_path, NULL };
	const char *const run[] = { "-c", config_path, NULL };

	assert_int_equal(harness_temp_file("config", config_path), 0);
	assert_int_equal(harness_write_file(config_path, yaml), 0);
	assert_int_equal(harness_run(check, WAIT_MS, &result), 0);
	assert_string_equal(result.err, expected_n);
	assert_string_equal(result.out, "");
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
	assert_int_equal(harness_run(run, WAIT_MS, &result), 0);
	assert_string_equal(result.err, expected_start);
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
	unlink(config_path);
}

#define ALERTS_NEEDS                                                                               \
	"set alerts.tls with tls.certificate and tls.key, and auth.tokens (or listen on "          \
	"127.0.0.1 / ::1)"
#define HTTP_NEEDS                                                                                 \
	"set http.tls with tls.certificate and tls.key, and auth.tokens (or listen on 127.0.0.1 "  \
	"/ ::1)"
#define FEED_NEEDS                                                                                 \
	"set feed.tls with tls.certificate, tls.key and tls.client_ca (mutual TLS) (or listen on " \
	"127.0.0.1 / ::1)"
/* systemd's sockets */
#define SOCKET_ALERTS_NEEDS                                                                        \
	"set alerts.tls with tls.certificate and tls.key, and a token (auth.tokens or "            \
	"auth.tokens_file) (or bind the .socket unit to loopback)"
#define SOCKET_FEED_NEEDS                                                                          \
	"set feed.tls with tls.certificate, tls.key and tls.client_ca (mutual TLS) (or bind the "  \
	".socket unit to loopback)"

/* Without TLS and tokens, any address but loopback is refused, saying which keys to set: by
 * -n and at the start (nothing is bound). Loopback in every spelling is fine. */
static void test_loopback_only(void **state)
{
	(void)state;
	check_refused("alerts:\n  listen: \"0.0.0.0:7401\"\n",
		      "alerts.listen 0.0.0.0:7401 is not a loopback address: " ALERTS_NEEDS "\n",
		      "cadmond: error: alerts.listen 0.0.0.0:7401 is not a loopback "
		      "address: " ALERTS_NEEDS "\n");
	check_refused(
		"feed:\n  listen: [\"127.0.0.1:0\", \"192.0.2.7:7400\"]\n"
		"http:\n  listen: \"[::]:7402\"\n" TOKENS_YAML,
		"feed.listen 192.0.2.7:7400 is not a loopback address: " FEED_NEEDS "\n"
		"http.listen [::]:7402 is not a loopback address: " HTTP_NEEDS "\n",
		"cadmond: error: feed.listen 192.0.2.7:7400 is not a loopback address: " FEED_NEEDS
		"\n"
		"cadmond: error: http.listen [::]:7402 is not a loopback address: " HTTP_NEEDS
		"\n");
	check_refused(
		"mappings:\n"
		"  - {name: cdr, format: json, fields: {call_id: c, operator: o, "
		"answer_time: a, release_time: r}, listen: [\"127.0.0.1:0\", \"0.0.0.0:7411\"]}\n",
		"mappings[0].listen 0.0.0.0:7411 is not a loopback address: " FEED_NEEDS "\n",
		"cadmond: error: mappings[0].listen 0.0.0.0:7411 is not a loopback "
		"address: " FEED_NEEDS "\n");

	char config_path[PATH_MAX];
	struct harness_result result;
	const char *const check[] = { "-n", "-c", config_path, NULL };
	assert_int_equal(harness_temp_file("config", config_path), 0);
	assert_int_equal(harness_write_file(
				 config_path,
				 "feed:\n  listen: [\"127.0.0.1:0\", \"[::1]:0\", \"127.9.9.9:0\", "
				 "\"[::ffff:127.0.0.1]:0\"]\n"),
			 0);
	assert_int_equal(harness_run(check, WAIT_MS, &result), 0);
	assert_string_equal(result.out, "configuration OK\n");
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
	unlink(config_path);
}

/* Test certificates (tests/tls/make-certs.sh) in a new temporary directory certs. */
static void make_certs(char certs[PATH_MAX])
{
	const char *script = getenv("CADMON_MAKE_CERTS");
	char command[2 * PATH_MAX + 64];

	assert_non_null(script);
	assert_int_equal(harness_temp_dir("certs", certs), 0);
	snprintf(command, sizeof command, "sh '%s' '%s' >/dev/null 2>&1", script, certs);
	assert_int_equal(system(command), 0);
}

/* With TLS on each listener (mutual for feeds) and tokens, every address is accepted: -n
 * says so, and cadmond starts on the wildcard addresses (run for 2 s, then stopped). */
static void test_protected_listeners_accepted(void **state)
{
	char certs[PATH_MAX], config_path[PATH_MAX], yaml[4 * PATH_MAX];
	struct harness_result result;
	const char *const check[] = { "-n", "-c", config_path, NULL };
	const char *const run[] = { "-c", config_path, NULL };
	(void)state;

	make_certs(certs);
	snprintf(yaml, sizeof yaml,
		 "feed: {listen: \"0.0.0.0:0\", tls: true}\n"
		 "alerts: {listen: \"[::]:0\", tls: true}\n"
		 "http: {listen: \"0.0.0.0:0\", tls: true}\n"
		 "tls: {certificate: \"%s/server.pem\", key: \"%s/server.key\", client_ca: "
		 "\"%s/ca.pem\"}\n" TOKENS_YAML,
		 certs, certs, certs);
	assert_int_equal(harness_temp_file("config", config_path), 0);
	assert_int_equal(harness_write_file(config_path, yaml), 0);
	assert_int_equal(harness_run(check, WAIT_MS, &result), 0);
	assert_string_equal(result.out, "configuration OK\n");
	assert_string_equal(result.err, "");
	harness_result_free(&result);
	assert_int_equal(harness_run(run, 2000, &result), 0);
	if (!strstr(result.err, "listening for subscribers on [::]:0") ||
	    !strstr(result.err, "listening for http on 0.0.0.0:0") || strstr(result.err, "error:"))
		fail_msg("cadmond did not start on the wildcard addresses:\n%s", result.err);
	harness_result_free(&result);
	unlink(config_path);
	harness_remove_tree(certs);
}

/* A socket systemd passes gets the same rule as a listen address: one on every interface
 * for the alert port, without TLS and tokens, is a start-up failure saying why. */
static void test_activated_socket_checked(void **state)
{
	struct harness h = { 0 };
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_ANY) };
	socklen_t len = sizeof address;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
	const struct harness_socket sockets[] = { { fd, "alerts" } };
	assert_int_equal(harness_start_activated(&h, NULL, sockets, 1), -1);
	expect_log_format(&h,
			  "cadmond: error: socket \"alerts\" from systemd (fd 3) listens on "
			  "0.0.0.0:%u, not a loopback "
			  "address: " SOCKET_ALERTS_NEEDS "\n",
			  (unsigned)ntohs(address.sin_port));
	close(fd);
	harness_cleanup(&h);
}

/* systemd's sockets stay across a reload, so the reload is checked against them too: with
 * systemd's socket name on every interface (started protected with options), a reload to
 * reloaded is refused saying what the socket needs, unchanged is not logged, and tokens_kept
 * requires a token still (a caller without one refused). */
static void expect_reload_refused_on_activated(const char *name,
					       const struct harness_options *options,
					       const struct harness_options *reloaded,
					       const char *needs, const char *unchanged,
					       bool tokens_kept)
{
	static struct answer answer;
	struct harness h = { 0 };
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_ANY) };
	socklen_t len = sizeof address;
	bool alerts = strcmp(name, "alerts") == 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
	uint16_t port = ntohs(address.sin_port);
	/* where the harness probes: the activated socket, and a port picked for the other */
	*(alerts ? &h.alerts_port : &h.feed_port) = port;
	assert_int_equal(harness_pick_ports(alerts ? &h.feed_port : &h.alerts_port, 1), 0);
	const struct harness_socket sockets[] = { { fd, name } };
	assert_int_equal(harness_start_activated(&h, options, sockets, 1), 0);
	close(fd);

	assert_int_equal(harness_write_config(&h, reloaded), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_log_format(&h,
			  "cadmond: error: configuration not reloaded: socket \"%s\" from "
			  "systemd (fd 3) listens on 0.0.0.0:%u, not a loopback address: %s"
			  "; keeping the running one\n",
			  name, (unsigned)port, needs);
	expect_no_log(&h, unchanged);
	if (tokens_kept) {
		request(&h, "GET", "/api/alerts", NULL, NULL, &answer);
		assert_int_equal(answer.status, 401);
		assert_string_equal(answer.body, MISSING);
		request(&h, "GET", "/api/alerts", VIEWER_TOKEN, NULL, &answer);
		assert_int_equal(answer.status, 200);
	}
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* The alert port's socket (TLS and tokens): a file left with no token is refused and the
 * tokens stay. */
static void test_reload_keeps_activated_socket_protected(void **state)
{
	char certs[PATH_MAX], tls[4 * PATH_MAX], extra[8 * PATH_MAX];
	struct harness_options options = { .alerts_yaml = "  tls: true\n", .alerts_tls = true };
	struct harness_options reloaded = options;
	(void)state;

	make_certs(certs);
	snprintf(tls, sizeof tls,
		 "tls: {certificate: \"%s/server.pem\", key: \"%s/server.key\"}\n", certs,
		 certs);
	snprintf(extra, sizeof extra, "%s" TOKENS_YAML, tls);
	options.extra_yaml = extra;
	reloaded.extra_yaml = tls;
	expect_reload_refused_on_activated("alerts", &options, &reloaded, SOCKET_ALERTS_NEEDS,
					   "reload: auth", true);
	harness_remove_tree(certs);
}

/* The feed port's socket (mutual TLS): turning feed.require_client_certificate off (a
 * reloadable key) is refused and the port keeps asking for certificates. */
static void test_reload_keeps_activated_feed_certified(void **state)
{
	char certs[PATH_MAX], tls[4 * PATH_MAX];
	struct harness_options options = { .feed_yaml = "  tls: true\n", .extra_yaml = tls };
	struct harness_options reloaded = options;
	(void)state;

	make_certs(certs);
	snprintf(tls, sizeof tls,
		 "tls: {certificate: \"%s/server.pem\", key: \"%s/server.key\", client_ca: "
		 "\"%s/ca.pem\"}\n",
		 certs, certs, certs);
	reloaded.feed_yaml = "  tls: true\n  require_client_certificate: false\n"
			     "  source_binding: none\n";
	expect_reload_refused_on_activated("feed", &options, &reloaded, SOCKET_FEED_NEEDS,
					   "reload: feed.require_client_certificate", false);
	harness_remove_tree(certs);
}

/* ---- the journal keeps full numbers, for the service only --------------------------------- */

static void check_modes(const char *path, int *files)
{
	struct stat st;
	DIR *dir = opendir(path);
	struct dirent *entry;
	char child[PATH_MAX];

	assert_non_null(dir);
	while ((entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
		assert_int_equal(lstat(child, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			if ((st.st_mode & 07777) != 0700)
				fail_msg("%s: mode %o, not 700", child, st.st_mode & 07777);
			check_modes(child, files);
		} else {
			if ((st.st_mode & 07777) != 0600)
				fail_msg("%s: mode %o, not 600", child, st.st_mode & 07777);
			(*files)++;
		}
	}
	closedir(dir);
}

/* With umask 0, every file cadmond writes in its state directory is 0600 and every directory
 * 0700; the journal has the full numbers that consoles see redacted. */
static void test_journal_modes(void **state)
{
	struct harness h = { 0 };
	int files = 0;
	mode_t umask_before = umask(0);
	(void)state;

	start(&h, NULL, NULL);
	int console = console_with(&h, "{\"token\":\"" VIEWER_TOKEN "\"}\n",
				   "{\"authenticated\":\"viewer\",\"name\":\"wall\"}");
	send_shift(&h);
	char last4[LINE_MAX_BYTES];
	shift_alert_last4(last4, sizeof last4);
	expect_line(console, last4);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	umask(umask_before);
	check_modes(h.state_dir, &files);
	assert_true(files >= 2);
	char command[PATH_MAX + 64];
	snprintf(command, sizeof command, "grep -rq 5045550104 '%s'", h.state_dir);
	assert_int_equal(system(command), 0);
	harness_cleanup(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_roles_every_endpoint),
		cmocka_unit_test(test_http_redaction),
		cmocka_unit_test(test_stream_redaction),
		cmocka_unit_test(test_console_refused),
		cmocka_unit_test(test_console_late_token),
		cmocka_unit_test(test_console_roles),
		cmocka_unit_test(test_feed_role),
		cmocka_unit_test(test_failure_limit),
		cmocka_unit_test(test_failure_table_bound),
		cmocka_unit_test(test_tokens_file),
		cmocka_unit_test(test_loopback_only),
		cmocka_unit_test(test_protected_listeners_accepted),
		cmocka_unit_test(test_activated_socket_checked),
		cmocka_unit_test(test_reload_keeps_activated_socket_protected),
		cmocka_unit_test(test_reload_keeps_activated_feed_certified),
		cmocka_unit_test(test_journal_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
