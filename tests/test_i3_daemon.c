/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * POST /LogEvents of the real cadmond (docs/protocol.md "NENA i3 log events"): the scripted
 * shift (shift_fixture.h) turned into NENA i3 log events, each signed ES256 with a P-256 key
 * made for the test and POSTed, gives exactly the alert the same shift's feed lines give over
 * TCP; a tampered, an unknown-kid and a malformed log event are refused with their status,
 * body and counter; an acknowledged log event survives kill -9; a 201 waits for the fsync and
 * for a degraded journal to be written again; the route fails closed under auth.tokens; the
 * cadmon-i3 converter's output.
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "daemon_expect.h"
#include "event.h"
#include "i3_convert.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define RESPONSE_MAX (256 * 1024)
#define PAYLOAD_MAX 2048
#define ELEMENT "chfe.psap1.example"

/* ---- the converter (tools/i3_convert.h) and signing ------------------------------------------ */

struct log_events {
	struct i3_convert_events converted;
	const char *payload[2];
	size_t count;
};

/* The log events of one feed line of the shift (agency NOPD where the line names none). */
static void convert(const char *feed_line, struct log_events *events)
{
	struct event_parser *parser = event_parser_new();
	struct event event;
	char why[256];

	assert_non_null(parser);
	assert_int_equal(event_parser_parse(parser, feed_line, strcspn(feed_line, "\r\n"), &event,
					    why, sizeof why),
			 EVENT_OK);
	event_parser_free(parser);
	i3_convert_event(&event, ELEMENT, "NOPD", &events->converted);
	events->count = events->converted.count;
	for (size_t i = 0; i < events->count; i++)
		events->payload[i] = events->converted.payload[i];
}

/* A flattened JWS of payload signed by key (EC: ES256, RSA: RS256) under kid, into jws. */
static void sign(EVP_PKEY *key, const char *kid, const char *payload, char *jws, size_t size)
{
	char *signed_jws = i3_convert_sign(key, kid, payload);

	assert_non_null(signed_jws);
	assert_true(strlen(signed_jws) < size);
	snprintf(jws, size, "%s", signed_jws);
	free(signed_jws);
}

/* A P-256 key (or RSA 2048) made now; its public half written as PEM to path. */
static EVP_PKEY *make_key_of(char *path, bool rsa)
{
	EVP_PKEY *key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	FILE *file;

	assert_non_null(key);
	assert_int_equal(harness_temp_file("i3-key", path), 0);
	assert_non_null(file = fopen(path, "w"));
	assert_int_equal(PEM_write_PUBKEY(file, key), 1);
	fclose(file);
	return key;
}

static EVP_PKEY *make_key(char *path)
{
	return make_key_of(path, false);
}

/* ---- HTTP --------------------------------------------------------------------------------- */

struct response {
	int status;
	char *body;
	char raw[RESPONSE_MAX];
};

static void http(const struct harness *h, const char *method, const char *path, const char *token,
		 const char *body, struct response *response)
{
	static char request[RESPONSE_MAX];
	char authorization[128] = "";
	int fd = harness_connect(h->http_port);
	int64_t deadline = harness_now_ms() + 5000;
	size_t used = 0;
	char *split;

	if (token)
		snprintf(authorization, sizeof authorization, "Authorization: Bearer %s\r\n",
			 token);
	snprintf(request, sizeof request,
		 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sContent-Type: "
		 "application/json\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 method, path, authorization, body ? strlen(body) : 0, body ? body : "");
	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, request), 0);
	while (used + 1 < sizeof response->raw && harness_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((got = read(fd, response->raw + used, sizeof response->raw - used - 1)) <= 0)
			break;
		used += (size_t)got;
	}
	response->raw[used] = '\0';
	close(fd);
	assert_int_equal(sscanf(response->raw, "HTTP/1.1 %d ", &response->status), 1);
	assert_non_null(split = strstr(response->raw, "\r\n\r\n"));
	response->body = split + 4;
}

static void expect_post(const struct harness *h, const char *body, int status,
			const char *expected_body)
{
	static struct response response;

	http(h, "POST", "/LogEvents", NULL, body, &response);
	if (response.status != status ||
	    (expected_body && strcmp(response.body, expected_body) != 0))
		fprintf(stderr, "POST /LogEvents: %s\n", response.raw);
	assert_int_equal(response.status, status);
	if (expected_body)
		assert_string_equal(response.body, expected_body);
}

/* A 201's body: the logEventId as a JSON string (into log_event_id unless NULL). */
static void expect_created_id(const struct harness *h, const char *jws, char *log_event_id)
{
	static struct response response;
	const char *id;

	http(h, "POST", "/LogEvents", NULL, jws, &response);
	if (response.status != 201)
		fprintf(stderr, "POST /LogEvents: %s\n", response.raw);
	assert_int_equal(response.status, 201);
	assert_non_null(strstr(response.raw, "HTTP/1.1 201 Created\r\n"));
	assert_non_null(strstr(response.raw, "Content-Type: application/json\r\n"));
	id = response.body;
	assert_int_equal(strlen(id),
			 strlen("\"urn:emergency:uid:logid:") + 32 + strlen(":cadmon\"\n"));
	assert_memory_equal(id, "\"urn:emergency:uid:logid:", 25);
	assert_string_equal(id + 25 + 32, ":cadmon\"\n");
	if (log_event_id)
		strcpy(log_event_id, id);
}

static void expect_created(const struct harness *h, const char *jws)
{
	expect_created_id(h, jws, NULL);
}

static void expect_metric(const struct harness *h, const char *sample)
{
	static struct response response;

	http(h, "GET", "/metrics", NULL, NULL, &response);
	if (!strstr(response.body, sample))
		fprintf(stderr, "no \"%s\" in /metrics\n", sample);
	assert_non_null(strstr(response.body, sample));
}

/* POST jws on a new connection without reading the answer: the connection. */
static int post_unread(const struct harness *h, const char *jws)
{
	static char request[PAYLOAD_MAX * 5];
	int fd = harness_connect(h->http_port);

	snprintf(request, sizeof request,
		 "POST /LogEvents HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
		 "%zu\r\n\r\n%s",
		 strlen(jws), jws);
	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, request), 0);
	return fd;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static char options_yaml[16384];

static struct harness_options i3_options(const char *key_path, const char *more)
{
	snprintf(options_yaml, sizeof options_yaml,
		 "%si3:\n  enabled: true\n  public_keys: [{kid: chfe-key-1, file: \"%s\"}]\n%s",
		 shift_detector_yaml, key_path, more ? more : "");
	return (struct harness_options){ .feed_yaml = "  max_line_bytes: 1024\n",
					 .extra_yaml = options_yaml };
}

static int console(const struct harness *h)
{
	int fd = harness_connect_subscriber(h);

	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	expect_line(fd, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(fd, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	return fd;
}

/* Every line of the shift as signed log events: 21 POSTs, 11 making lines. */
static void post_shift(const struct harness *h, EVP_PKEY *key)
{
	static char jws[PAYLOAD_MAX * 4];
	struct log_events events;

	for (size_t i = 0; i < shift_line_count; i++) {
		convert(shift_lines[i], &events);
		for (size_t e = 0; e < events.count; e++) {
			sign(key, "chfe-key-1", events.payload[e], jws, sizeof jws);
			expect_created(h, jws);
		}
	}
}

/* op-7 logs on (an AgentStateChangeLogEvent): GET /api/operators shows it, as soon as the
 * engine has taken the operator_state line. */
static void expect_operator_state(const struct harness *h, EVP_PKEY *key)
{
	static const char expected[] =
		"{\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","
		"\"last_active_ts\":\"2026-11-29T08:04:30.000Z\",\"state\":\"logged_on\","
		"\"state_since\":\"2026-11-29T08:05:00.000Z\",\"open_alert_id\":\"";
	static char jws[PAYLOAD_MAX * 4];
	static struct response response;
	int64_t deadline = harness_now_ms() + 5000;

	struct log_events events;

	/* cadmon-i3's conversion of the feed line, which cadmond maps back */
	convert("{\"type\":\"operator_state\",\"ts\":\"2026-11-29T08:05:00Z\",\"operator\":\"op-"
		"7\",\"position\":\"P3\","
		"\"state\":\"logged_on\"}",
		&events);
	assert_int_equal(events.count, 1);
	assert_string_equal(events.payload[0],
			    "{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-"
			    "11-29T08:05:00.000Z\","
			    "\"elementId\":\"" ELEMENT
			    "\",\"agencyId\":\"NOPD\",\"agencyAgentId\":\"op-7\","
			    "\"agencyPositionId\":\"P3\",\"primaryAgentState\":\"Available\","
			    "\"secondaryAgentState\":\"LoggedIn\"}");
	sign(key, "chfe-key-1", events.payload[0], jws, sizeof jws);
	expect_created(h, jws);
	do {
		http(h, "GET", "/api/operators", NULL, NULL, &response);
		assert_int_equal(response.status, 200);
	} while (!strstr(response.body, expected) && harness_now_ms() < deadline &&
		 usleep(20000) == 0);
	if (!strstr(response.body, expected))
		fprintf(stderr, "GET /api/operators: %s\n", response.body);
	assert_non_null(strstr(response.body, expected));
	expect_metric(h, "\ncadmon_i3_lines_total 12\n");
	expect_metric(h, "\ncadmon_i3_agent_states_unmapped_total 0\n");
}

/* With i3.enabled libevent reads bodies up to i3.max_body_bytes (65536 here); on another path
 * than POST /LogEvents a body over http.max_body_bytes (4096) is still cadmond's 413, an
 * acknowledgement's too (it was parsed, and refused 400 as no JSON object). */
static void expect_ack_body_over_http_limit(const struct harness *h)
{
	static char body[5001];
	static struct response response;

	memset(body, ' ', sizeof body - 1);
	http(h, "POST", "/api/alerts/0123456789abcdef/ack", NULL, body, &response);
	assert_int_equal(response.status, 413);
	assert_string_equal(response.body,
			    "{\"error\":\"the request body is over http.max_body_bytes\"}");
}

static void test_shift_as_log_events(void **state)
{
	struct harness h = { 0 };
	char key_path[PATH_MAX];
	EVP_PKEY *key = make_key(key_path);
	struct harness_options options = i3_options(key_path, NULL);
	int fd;

	(void)state;
	assert_int_equal(harness_start(&h, &options), 0);
	fd = console(&h);
	post_shift(&h, key);
	expect_line(fd, shift_alert); /* exactly what the shift's feed lines give over TCP */
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 11\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"ignored\"} 10\n");
	expect_metric(&h, "\ncadmon_i3_lines_total 11\n");
	expect_metric(&h, "\ncadmon_lines_total 11\n");
	expect_metric(&h, "\ncadmon_i3_calls 0\n");
	expect_metric(&h, "\ncadmon_i3_pending_requests 0\n");
	expect_log(&h, "cadmond: i3: POST /LogEvents on the HTTP listener: 1 public key, "
		       "signatures required\n");
	expect_operator_state(&h, key);
	expect_ack_body_over_http_limit(&h);
	close(fd);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/* i3.max_calls 16 (its least): the 17th call's log event makes the full table forget the
 * oldest call, which is logged and raises a limit alert keyed i3.max_calls (it was a metric
 * only), resolved once no call was forgotten for detector.resolve_after_seconds (1 here). */
static void test_call_table_full_raises_limit_alert(void **state)
{
	struct harness h = { 0 };
	char key_path[PATH_MAX], line[256];
	static char jws[PAYLOAD_MAX * 4];
	EVP_PKEY *key = make_key(key_path);
	struct log_events events;

	(void)state;
	snprintf(options_yaml, sizeof options_yaml,
		 "i3:\n  enabled: true\n  public_keys: [{kid: chfe-key-1, file: \"%s\"}]\n"
		 "  max_calls: 16\nlog: {rate_limit_seconds: 1}\n"
		 "detector: {resolve_after_seconds: 1}\n",
		 key_path);
	struct harness_options options = { .extra_yaml = options_yaml };
	assert_int_equal(harness_start(&h, &options), 0);
	int fd = console(&h);
	for (int i = 0; i < 17; i++) {
		snprintf(line, sizeof line,
			 "{\"type\":\"call_start\",\"call_id\":\"call-%02d\",\"ts\":"
			 "\"2026-11-29T08:00:%02dZ\",\"operator\":\"op-%d\"}",
			 i, i, i);
		convert(line, &events);
		for (size_t e = 0; e < events.count; e++) {
			sign(key, "chfe-key-1", events.payload[e], jws, sizeof jws);
			expect_created(&h, jws);
		}
	}
	expect_metric(&h, "\ncadmon_i3_calls_evicted_total 1\n");
	assert_int_equal(expect_limit_alert(fd, "i3.max_calls", true,
					    "i3 calls forgotten before their end (i3.max_calls "
					    "reached): %" PRIu64 " so far; their later events are "
					    "not mapped, or raise i3.max_calls"),
			 1);
	expect_log(&h, "cadmond: warning: i3: call table full (i3.max_calls 16): oldest calls "
		       "forgotten, 1 so far\n");
	assert_int_equal(expect_limit_alert(fd, "i3.max_calls", false,
					    "no i3 call forgotten (i3.max_calls) for 1 s; %" PRIu64
					    " in all"),
			 1);
	expect_log(&h, "cadmond: i3: no call forgotten for 1 s (i3.max_calls); 1 in all\n");
	close(fd);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/*
 * Issue 13 item 4, the round trip: the example CDR shift (tests/data/example-cdr.ndjson, the
 * feed lines of tests/data/example-cdr.csv: 301 calls over six hours) as cadmon-i3 converts it,
 * 1371 log events each signed ES256 and POSTed, gives exactly the alert lines its NDJSON and
 * its CSV give (tests/data/example-cdr.alerts; test_backtest's test_example_cdr_mapping, and
 * test_daemon's feed.mapping). A log event sent again is taken (201, the same logEventId) and
 * its line counted as a duplicate. A 77-byte callId is taken (its line, 11 minutes old, refused
 * as too late and told); a callback makes no line.
 */
static void test_example_shift_as_log_events(void **state)
{
	static char jws[PAYLOAD_MAX * 4], last_jws[PAYLOAD_MAX * 4];
	char key_path[PATH_MAX], first_id[128] = "", again_id[128] = "";
	EVP_PKEY *key = make_key(key_path);
	char *feed = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.ndjson");
	char *alerts = harness_read_file(CADMON_SOURCE_DIR "/tests/data/example-cdr.alerts");
	struct harness h = { 0 };
	struct harness_options options;
	struct log_events events;
	size_t posts = 0;
	int fd;

	(void)state;
	assert_non_null(feed);
	assert_non_null(alerts);
	/* the backtest's configuration: the defaults (config/mappings/example-cdr.yaml only adds
	 * the CSV mapping); no fsync, so 1371 POSTs are quick (durability is tested below) */
	snprintf(options_yaml, sizeof options_yaml,
		 "i3:\n  enabled: true\n  public_keys: [{kid: chfe-key-1, file: \"%s\"}]\n"
		 "journal: {fsync: none}\n",
		 key_path);
	options = (struct harness_options){ .extra_yaml = options_yaml };
	assert_int_equal(harness_start(&h, &options), 0);
	fd = console(&h);
	for (char *line = strtok(feed, "\n"); line; line = strtok(NULL, "\n")) {
		convert(line, &events);
		for (size_t e = 0; e < events.count; e++, posts++) {
			sign(key, "chfe-key-1", events.payload[e], jws, sizeof jws);
			expect_created_id(&h, jws, first_id);
			memcpy(last_jws, jws, sizeof jws);
		}
	}
	assert_int_equal(posts, 1371);
	for (char *line = strtok(alerts, "\n"); line; line = strtok(NULL, "\n"))
		expect_line(fd, line);
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 774\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"ignored\"} 597\n");
	expect_metric(&h, "\ncadmon_i3_lines_total 774\n");
	expect_metric(&h, "\ncadmon_lines_total 774\n");
	expect_metric(&h, "\ncadmon_duplicates_total 0\n");
	expect_metric(&h, "\ncadmon_i3_calls 0\n");
	/* the last log event (a CallEndLogEvent) again, as an element that got no answer */
	expect_created_id(&h, last_jws, again_id);
	assert_string_equal(again_id, first_id);
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 775\n");
	expect_metric(&h, "\ncadmon_i3_lines_total 775\n");
	expect_metric(&h, "\ncadmon_duplicates_total 1\n");
	expect_metric(&h, "\ncadmon_i3_calls 0\n");
	/* a real callId (77 bytes) is taken, shortened; a callback (outgoing) makes no line */
	sign(key, "chfe-key-1",
	     "{\"logEventType\":\"CallStateChangeLogEvent\",\"timestamp\":\"2026-11-29T17:50:00Z\","
	     "\"elementId\":\"" ELEMENT "\",\"agencyId\":\"KCPD\",\"callId\":\"urn:emergency:"
	     "uid:callid:0f8fad5b-d9cb-469f-a165-70867728950e:bcf.example.com\",\"state\":"
	     "\"Answered\",\"direction\":\"incoming\",\"agencyAgentId\":\"AG01\"}",
	     jws, sizeof jws);
	expect_created(&h, jws);
	sign(key, "chfe-key-1",
	     "{\"logEventType\":\"CallStartLogEvent\",\"timestamp\":\"2026-11-29T17:50:01Z\","
	     "\"elementId\":\"" ELEMENT "\",\"agencyId\":\"KCPD\",\"callId\":\"cb-1\","
	     "\"direction\":\"outgoing\",\"to\":\"tel:5045550101\"}",
	     jws, sizeof jws);
	expect_created(&h, jws);
	expect_metric(&h, "\ncadmon_i3_ids_shortened_total 1\n");
	expect_metric(&h, "\ncadmon_i3_outgoing_calls_total 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 776\n");
	expect_metric(&h, "\ncadmon_i3_calls 2\n");
	/* 17:50, 11 minutes behind the shift's newest event: its line refused as too late, and
	 * the supervisors told (events_too_late) */
	char line[8192];
	assert_true(harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS) > 0);
	assert_non_null(strstr(line, "\"seq\":7,"));
	assert_non_null(strstr(
		line, "\"type\":\"system\",\"system\":\"events_too_late\","
		      "\"severity\":\"warning\",\"source\":\"" ELEMENT "\","
		      "\"message\":\"feed source " ELEMENT "'s events are "
		      "refused as too late, the latest 11 minutes behind its newest "
		      "(tracker.allowed_lateness_seconds 600): 1 so far; its clock steps back, or "
		      "it resends old events\"}"));
	expect_quiet(fd);
	close(fd);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
	free(feed);
	free(alerts);
}

/* Refusals: status, body and counter each. */
static void test_refused_log_events(void **state)
{
	static char jws[PAYLOAD_MAX * 4], tampered[PAYLOAD_MAX * 4];
	struct harness h = { 0 };
	char key_path[PATH_MAX], other_path[PATH_MAX];
	EVP_PKEY *key = make_key(key_path), *other = make_key(other_path);
	struct harness_options options = i3_options(key_path, "  max_body_bytes: 1024\n");
	struct log_events events;
	char *payload, *end, big[1200];

	(void)state;
	assert_int_equal(harness_start(&h, &options), 0);
	convert(shift_lines[0], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	/* the payload swapped for another event's, the signature kept */
	sign(key, "chfe-key-1", events.payload[0], tampered, sizeof tampered);
	payload = strstr(jws, "\"payload\":\"");
	end = strstr(payload + 11, "\"");
	{
		char *their = strstr(tampered, "\"payload\":\""),
		     *their_end = strstr(their + 11, "\"");
		char rebuilt[PAYLOAD_MAX * 4];
		snprintf(rebuilt, sizeof rebuilt, "%.*s%.*s%s", (int)(their - tampered), tampered,
			 (int)(end - payload), payload, their_end);
		snprintf(tampered, sizeof tampered, "%s", rebuilt);
	}
	expect_post(&h, tampered, 434,
		    "{\"error\":\"the signature does not verify with kid \\\"chfe-key-1\\\"\"}\n");
	sign(other, "chfe-key-2", events.payload[1], jws, sizeof jws);
	expect_post(&h, jws, 434,
		    "{\"error\":\"no public key for kid \\\"chfe-key-2\\\" (i3.public_keys)\"}\n");
	sign(other, "chfe-key-1", events.payload[1], jws, sizeof jws);
	expect_post(&h, jws, 434,
		    "{\"error\":\"the signature does not verify with kid \\\"chfe-key-1\\\"\"}\n");
	expect_post(
		&h,
		"{\"protected\":\"eyJhbGciOiJIUzI1NiJ9\",\"payload\":\"e30\",\"signature\":\"AQ\"}",
		438,
		"{\"error\":\"protected header: \\\"alg\\\" must be ES256 or RS256, not "
		"\\\"HS256\\\"\"}\n");
	expect_post(&h, "not json", 460,
		    "{\"error\":\"the body is not a JWS in flattened JSON serialization (a JSON "
		    "object)\"}\n");
	expect_post(&h, "", 460,
		    "{\"error\":\"the body is empty: a JWS in flattened JSON serialization is "
		    "expected\"}\n");
	sign(key, "chfe-key-1", "{\"logEventType\":\"CallEndLogEvent\"}", jws, sizeof jws);
	expect_post(&h, jws, 460,
		    "{\"error\":\"CallEndLogEvent: missing required field \\\"timestamp\\\"\"}\n");
	memset(big, ' ', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	expect_post(&h, big, 461,
		    "{\"error\":\"the body is 1199 bytes, over the 1024 allowed "
		    "(i3.max_body_bytes)\"}\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"bad_signature\"} 2\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"unknown_kid\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"bad_algorithm\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"bad_jws\"} 2\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"bad_event\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"too_big\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 0\n");
	expect_metric(&h, "\ncadmon_lines_total 0\n");
	expect_log(&h, "i3 127.0.0.1:");
	{
		static struct response response;
		http(&h, "GET", "/LogEvents", NULL, NULL, &response);
		assert_int_equal(response.status, 405);
	}
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	unlink(other_path);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* payload with its elementId chfe.psap1.example made chfe.psap2.example, into out. */
static void as_other_element(const char *payload, char *out, size_t size)
{
	char *psap;

	snprintf(out, size, "%s", payload);
	assert_non_null(psap = strstr(out, "\"elementId\":\"chfe.psap1.example\""));
	memcpy(psap + strlen("\"elementId\":\"chfe.psap"), "2", 1);
}

/* A key that lists its elements (i3.public_keys[].elements) signs for those only: a log event of
 * another element, signed with it, is refused (434 wrong_element, counted, logged) and makes no
 * line; one of its own element is taken (201). */
static void test_key_signs_only_its_elements(void **state)
{
	static char jws[PAYLOAD_MAX * 4];
	char key_path[PATH_MAX], other[PAYLOAD_MAX * 2];
	struct harness h = { 0 };
	EVP_PKEY *key = make_key(key_path);
	struct log_events events;

	(void)state;
	snprintf(options_yaml, sizeof options_yaml,
		 "i3:\n  enabled: true\n  public_keys:\n"
		 "    - {kid: chfe-key-1, file: \"%s\", elements: [chfe.spare, " ELEMENT "]}\n",
		 key_path);
	struct harness_options options = { .extra_yaml = options_yaml };
	assert_int_equal(harness_start(&h, &options), 0);
	convert(shift_lines[0], &events);
	for (size_t i = 0; i < events.count; i++) {
		as_other_element(events.payload[i], other, sizeof other);
		sign(key, "chfe-key-1", other, jws, sizeof jws);
		expect_post(&h, jws, 434,
			    "{\"error\":\"kid \\\"chfe-key-1\\\" may not sign for element "
			    "\\\"chfe.psap2.example\\\" (i3.public_keys[].elements)\"}\n");
	}
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"wrong_element\"} 2\n");
	expect_metric(&h, "\ncadmon_i3_lines_total 0\n");
	expect_metric(&h, "\ncadmon_i3_calls 0\n");
	expect_log(&h, ": POST /LogEvents: 434 wrong_element: kid \"chfe-key-1\" may not sign for "
		       "element \"chfe.psap2.example\" (i3.public_keys[].elements)\n");
	for (size_t i = 0; i < events.count; i++) {
		sign(key, "chfe-key-1", events.payload[i], jws, sizeof jws);
		expect_created(&h, jws);
	}
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_lines_total 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"wrong_element\"} 2\n");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/* An acknowledged (201) log event is in the journal: after kill -9 the alert is still there. */
static void test_acknowledged_survives_kill(void **state)
{
	static struct response response;
	struct harness h = { 0 };
	char key_path[PATH_MAX];
	EVP_PKEY *key = make_key(key_path);
	struct harness_options options = i3_options(key_path, NULL);

	(void)state;
	assert_int_equal(harness_start(&h, &options), 0);
	post_shift(&h, key);
	assert_int_equal(kill(h.pid, SIGKILL), 0);
	assert_int_equal(waitpid(h.pid, NULL, 0), h.pid);
	h.pid = 0;
	assert_int_equal(harness_start(&h, &options), 0);
	http(&h, "GET", "/api/alerts", NULL, NULL, &response);
	assert_int_equal(response.status, 200);
	assert_non_null(strstr(response.body, "\"alert_id\":\"6033274aee8baf5c\""));
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/*
 * journal.fsync interval (2 s): a log event right after a sync waits for the next one for its
 * 201; meanwhile, with
 * i3.max_pending_requests 1, the next request is refused 503. require_signature false: RS256
 * with a configured RSA key verifies, an unknown kid is taken unverified, an RS256 JWS under
 * the EC key's kid is refused.
 */
static void test_waits_for_durability(void **state)
{
	static char jws[PAYLOAD_MAX * 4], answer[4096];
	struct harness h = { 0 };
	char key_path[PATH_MAX], rsa_path[PATH_MAX], more[2 * PATH_MAX + 512];
	EVP_PKEY *key = make_key(key_path), *rsa = make_key_of(rsa_path, true);
	struct log_events events;
	struct harness_options options;
	struct pollfd pfd;
	int waiting;
	ssize_t got;
	size_t used = 0;

	(void)state;
	snprintf(more, sizeof more,
		 "  require_signature: false\n  max_pending_requests: 1\n"
		 "  public_keys: [{kid: chfe-key-1, file: \"%s\"}, {kid: chfe-rsa, file: \"%s\"}]\n"
		 "journal: {fsync: interval, fsync_interval_ms: 2000}\n",
		 key_path, rsa_path);
	snprintf(options_yaml, sizeof options_yaml, "%si3:\n  enabled: true\n%s",
		 shift_detector_yaml, more);
	options = (struct harness_options){ .feed_yaml = "  max_line_bytes: 1024\n",
					    .extra_yaml = options_yaml };
	assert_int_equal(harness_start(&h, &options), 0);
	convert(shift_lines[0], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	expect_created(&h, jws); /* synced at once: the journal had not synced for 2 s */
	convert(shift_lines[1], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	waiting = post_unread(&h, jws);
	usleep(200 * 1000);
	convert(shift_lines[2], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	expect_post(&h, jws, 503,
		    "{\"error\":\"1 requests wait for the journal already "
		    "(i3.max_pending_requests)\"}\n");
	pfd = (struct pollfd){ .fd = waiting, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0); /* not durable yet: no answer */
	while (used + 1 < sizeof answer && poll(&pfd, 1, 5000) > 0 &&
	       (got = read(waiting, answer + used, sizeof answer - used - 1)) > 0)
		used += (size_t)got;
	answer[used] = '\0';
	close(waiting);
	assert_non_null(strstr(answer, "HTTP/1.1 201 Created\r\n"));
	assert_non_null(strstr(answer, "\r\n\r\n\"urn:emergency:uid:logid:"));
	/* an element that gives up before its 201: the answer, once durable, goes nowhere */
	convert(shift_lines[4], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	waiting = post_unread(&h, jws);
	usleep(200 * 1000);
	close(waiting);
	usleep(2500 * 1000);
	expect_metric(&h, "\ncadmon_i3_pending_requests 0\n");
	/* RS256 with the RSA key; an unknown kid taken unverified; RS256 under the EC key's kid */
	sign(rsa, "chfe-rsa", events.payload[1], jws, sizeof jws);
	expect_created(&h, jws);
	convert(shift_lines[3], &events);
	sign(key, "someone-else", events.payload[1], jws, sizeof jws);
	expect_created(&h, jws);
	sign(rsa, "chfe-key-1", events.payload[1], jws, sizeof jws);
	expect_post(
		&h, jws, 434,
		"{\"error\":\"kid \\\"chfe-key-1\\\" is an EC P-256 key, the JWS says RS256\"}\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"busy\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"accepted\"} 5\n");
	expect_metric(&h, "\ncadmon_i3_log_events_total{result=\"bad_signature\"} 1\n");
	expect_metric(&h, "\ncadmon_i3_unverified_log_events_total 1\n");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	unlink(rsa_path);
	EVP_PKEY_free(key);
	EVP_PKEY_free(rsa);
}

/* Bytes in the file at path (0 when it cannot be read). */
static off_t file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * While the journal cannot be written (a full disk: RLIMIT_FSIZE at the segment's size), a log
 * event is processed but not answered; once the disk takes writes again, its 201 comes.
 */
static void test_degraded_journal_holds_the_answer(void **state)
{
	static char jws[PAYLOAD_MAX * 4], answer[4096];
	struct harness h = { 0 };
	char key_path[PATH_MAX], segment[PATH_MAX + 64], payload[PAYLOAD_MAX];
	EVP_PKEY *key = make_key(key_path);
	struct harness_options options = i3_options(key_path, NULL);
	struct rlimit limit = { .rlim_max = RLIM_INFINITY };
	struct pollfd pfd;
	int waiting, posted = 0;
	ssize_t got;
	size_t used = 0;
	char *log;

	(void)state;
	assert_int_equal(harness_start(&h, &options), 0);
	snprintf(segment, sizeof segment, "%s/journal/0000000000000001.seg", h.state_dir);
	/* the segment grows past cadmond's log, so that only journal writes hit the limit */
	while (posted < 400 && file_bytes(segment) < file_bytes(h.stderr_path) + 4096) {
		snprintf(payload, sizeof payload,
			 "{\"logEventType\":\"CallTransferLogEvent\",\"timestamp\":\"2026-11-29T08:"
			 "00:00Z\","
			 "\"elementId\":\"" ELEMENT "\",\"agencyId\":\"NOPD\",\"callId\":\"t%d\","
			 "\"target\":\"sip:fire@nofd.example\",\"targetCallIdSip\":\"x\"}",
			 posted++);
		sign(key, "chfe-key-1", payload, jws, sizeof jws);
		expect_created(&h, jws);
	}
	assert_true(posted < 400);
	limit.rlim_cur = (rlim_t)file_bytes(segment);
	assert_int_equal(prlimit(h.pid, RLIMIT_FSIZE, &limit, NULL), 0);
	snprintf(
		payload, sizeof payload,
		"{\"logEventType\":\"CallTransferLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		"\"elementId\":\"" ELEMENT "\",\"agencyId\":\"NOPD\",\"callId\":\"late\","
		"\"target\":\"sip:fire@nofd.example\"}");
	sign(key, "chfe-key-1", payload, jws, sizeof jws);
	waiting = post_unread(&h, jws);
	expect_log(&h, ": File too large: degraded: events are no longer acknowledged");
	pfd = (struct pollfd){ .fd = waiting, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 1000), 0); /* processed, not durable: no answer */
	limit.rlim_cur = RLIM_INFINITY;
	assert_int_equal(prlimit(h.pid, RLIMIT_FSIZE, &limit, NULL), 0);
	while (used + 1 < sizeof answer && poll(&pfd, 1, 8000) > 0 &&
	       (got = read(waiting, answer + used, sizeof answer - used - 1)) > 0)
		used += (size_t)got;
	answer[used] = '\0';
	close(waiting);
	assert_non_null(strstr(answer, "HTTP/1.1 201 Created\r\n"));
	log = harness_stderr(&h);
	assert_non_null(log);
	assert_non_null(strstr(log, "cadmond: journal: writable again after "));
	free(log);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/* Under auth.tokens the route needs a feed or an admin token: none 401, a viewer's 403, a
 * feed token's 201 (and nothing else for it: 403 on the alerts), an admin's 201; GET
 * /Versions alike, its exact body. */
static void test_needs_feed_or_admin_token(void **state)
{
	static char jws[PAYLOAD_MAX * 4];
	static struct response response;
	struct harness h = { 0 };
	char key_path[PATH_MAX];
	EVP_PKEY *key = make_key(key_path);
	struct harness_options options = i3_options(
		key_path,
		"auth:\n  tokens:\n    - {name: wall, role: viewer, token: viewer-token-0001}\n"
		"    - {name: chfe, role: admin, token: admin-token-000001}\n"
		"    - {name: logger, role: feed, token: feed-token-0000001}\n");
	struct log_events events;

	(void)state;
	assert_int_equal(harness_start(&h, &options), 0);
	convert(shift_lines[0], &events);
	sign(key, "chfe-key-1", events.payload[1], jws, sizeof jws);
	http(&h, "POST", "/LogEvents", NULL, jws, &response);
	assert_int_equal(response.status, 401);
	assert_string_equal(response.body, "{\"error\":\"a bearer token is required\"}");
	http(&h, "POST", "/LogEvents", "viewer-token-0001", jws, &response);
	assert_int_equal(response.status, 403);
	assert_string_equal(response.body, "{\"error\":\"this needs the feed or admin role\"}");
	http(&h, "POST", "/LogEvents", "feed-token-0000001", jws, &response);
	assert_int_equal(response.status, 201);
	http(&h, "GET", "/api/alerts", "feed-token-0000001", NULL, &response);
	assert_int_equal(response.status, 403);
	assert_string_equal(response.body, "{\"error\":\"a feed token may only post events\"}");
	sign(key, "chfe-key-1", events.payload[0], jws, sizeof jws);
	http(&h, "POST", "/LogEvents", "admin-token-000001", jws, &response);
	assert_int_equal(response.status, 201);
	/* GET /Versions (i3-common.yaml's VersionsArray): the same rule */
	http(&h, "GET", "/Versions", "feed-token-0000001", NULL, &response);
	assert_int_equal(response.status, 200);
	assert_non_null(strstr(response.raw, "Content-Type: application/json\r\n"));
	assert_string_equal(response.body, "{\"versions\":[{\"major\":1,\"minor\":1}],"
					   "\"fingerprint\":\"cadmond 0.2.0\"}");
	http(&h, "GET", "/Versions", "admin-token-000001", NULL, &response);
	assert_int_equal(response.status, 200);
	http(&h, "GET", "/Versions", "viewer-token-0001", NULL, &response);
	assert_int_equal(response.status, 403);
	assert_string_equal(response.body, "{\"error\":\"this needs the feed or admin role\"}");
	http(&h, "GET", "/Versions", NULL, NULL, &response);
	assert_int_equal(response.status, 401);
	http(&h, "POST", "/Versions", "feed-token-0000001", "{}", &response);
	assert_int_equal(response.status, 405);
	assert_string_equal(response.body, "{\"error\":\"method not allowed: use GET, HEAD\"}");
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	unlink(key_path);
	EVP_PKEY_free(key);
}

/* Run "$CADMON_I3 ARGS < input": its exit status, stdout into out. */
static int run_cadmon_i3(const char *args, const char *input, char *out, size_t size)
{
	char input_path[PATH_MAX], command[2 * PATH_MAX + 256];
	const char *tool = getenv("CADMON_I3");
	size_t used = 0;
	FILE *pipe;
	int status;

	assert_non_null(tool);
	assert_int_equal(harness_temp_file("i3-input", input_path), 0);
	assert_int_equal(harness_write_file(input_path, input), 0);
	snprintf(command, sizeof command, "%s %s < %s 2>&1", tool, args, input_path);
	assert_non_null(pipe = popen(command, "r"));
	used = fread(out, 1, size - 1, pipe);
	out[used] = '\0';
	status = pclose(pipe);
	unlink(input_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* cadmon-i3: the log events of a call as JSON lines; signed ones verify in cadmond (above). */
static void test_cadmon_i3_tool(void **state)
{
	static char out[16384];
	char key_path[PATH_MAX], private_path[PATH_MAX], args[2 * PATH_MAX];
	EVP_PKEY *key = make_key(key_path);
	FILE *file;

	(void)state;
	assert_int_equal(
		run_cadmon_i3("--element chfe-9 --agency NOPD",
			      "{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:"
			      "00:00Z\","
			      "\"operator\":\"op-7\",\"ani\":\"5045550101\"}\n\n"
			      "{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":1795939205000,"
			      "\"released_by\":\"caller\"}\n",
			      out, sizeof out),
		0);
	assert_string_equal(
		out,
		"{\"logEventType\":\"CallStartLogEvent\",\"timestamp\":\"2026-11-29T08:00:00."
		"000Z\","
		"\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"direction\":"
		"\"incoming\","
		"\"from\":\"tel:5045550101\"}\n"
		"{\"logEventType\":\"CallStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:00:00."
		"000Z\","
		"\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"state\":"
		"\"Answered\","
		"\"direction\":\"incoming\",\"legCallId\":\"leg-1\",\"agencyAgentId\":\"op-7\"}\n"
		"{\"logEventType\":\"CallSignalingMessageLogEvent\",\"timestamp\":\"2026-11-29T08:"
		"00:05.000Z\","
		"\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"direction\":"
		"\"incoming\","
		"\"protocol\":\"sip\",\"text\":\"BYE sip:peer@example SIP/2.0\\r\\n\"}\n"
		"{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:05.000Z\","
		"\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"direction\":"
		"\"incoming\"}\n");
	/* schema-valid: logged off as NotAvailable with the secondaryAgentState LoggedOut; a
	 * transfer with the targetCallIdSip the schema (1.1) requires */
	assert_int_equal(
		run_cadmon_i3("--element chfe-9 --agency NOPD",
			      "{\"type\":\"operator_state\",\"ts\":\"2026-11-29T08:05:00Z\","
			      "\"operator\":\"op-7\",\"state\":\"logged_off\"}\n"
			      "{\"type\":\"transfer\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:"
			      "03Z\",\"to\":\"fire\"}\n",
			      out, sizeof out),
		0);
	assert_string_equal(
		out,
		"{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:05:"
		"00.000Z\",\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"agencyAgentId\":"
		"\"op-7\",\"primaryAgentState\":\"NotAvailable\",\"secondaryAgentState\":"
		"\"LoggedOut\"}\n"
		"{\"logEventType\":\"CallTransferLogEvent\",\"timestamp\":\"2026-11-29T08:00:"
		"03.000Z\",\"elementId\":\"chfe-9\",\"agencyId\":\"NOPD\",\"callId\":\"c1\","
		"\"target\":\"fire\",\"targetCallIdSip\":\"c1-transfer\"}\n");
	assert_int_equal(
		run_cadmon_i3("", "{\"type\":\"call_end\",\"call_id\":\"c1\"}\n", out, sizeof out),
		1);
	assert_string_equal(out, "cadmon-i3: line 1: call_end: missing required field \"ts\"\n");
	assert_int_equal(run_cadmon_i3("--kid k", "", out, sizeof out), 2);
	assert_string_equal(out, "cadmon-i3: --key and --kid go together\n");
	/* signed: one JWS a line, its protected header {"alg":"ES256","kid":"k-1"} */
	assert_int_equal(harness_temp_file("i3-private", private_path), 0);
	assert_non_null(file = fopen(private_path, "w"));
	assert_int_equal(PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(file);
	snprintf(args, sizeof args, "--key %s --kid k-1", private_path);
	assert_int_equal(run_cadmon_i3(args, shift_lines[6], out, sizeof out), 0);
	assert_memory_equal(
		out, "{\"protected\":\"eyJhbGciOiJFUzI1NiIsImtpZCI6ImstMSJ9\",\"payload\":\"", 63);
	assert_int_equal(strlen(strstr(out, "\"signature\":\"")),
			 strlen("\"signature\":\"") + 86 + strlen("\"}\n"));
	unlink(private_path);
	unlink(key_path);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_as_log_events),
		cmocka_unit_test(test_call_table_full_raises_limit_alert),
		cmocka_unit_test(test_example_shift_as_log_events),
		cmocka_unit_test(test_refused_log_events),
		cmocka_unit_test(test_key_signs_only_its_elements),
		cmocka_unit_test(test_acknowledged_survives_kill),
		cmocka_unit_test(test_waits_for_durability),
		cmocka_unit_test(test_degraded_journal_holds_the_answer),
		cmocka_unit_test(test_needs_feed_or_admin_token),
		cmocka_unit_test(test_cadmon_i3_tool),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
