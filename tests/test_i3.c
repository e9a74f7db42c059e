/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "i3.h"

/* ---- helpers ------------------------------------------------------------------------------ */


/* A flattened JWS of header and payload with a signature of signature_len bytes 0x01. */
static char *make_jws(const char *header, const char *payload, size_t signature_len)
{
	unsigned char signature[512];
	char *h = malloc(strlen(header) * 2 + 4), *p = malloc(strlen(payload) * 2 + 4),
	     *s = malloc(1024);
	char *jws = malloc(strlen(header) * 2 + strlen(payload) * 2 + 1200);

	memset(signature, 1, sizeof signature);
	i3_base64url_encode(header, strlen(header), h);
	i3_base64url_encode(payload, strlen(payload), p);
	i3_base64url_encode(signature, signature_len, s);
	sprintf(jws, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", h, p, s);
	free(h);
	free(p);
	free(s);
	return jws;
}

static enum i3_status decode(const char *body, struct i3_jws *jws, char *why)
{
	return i3_jws_decode(body, strlen(body), jws, why, 256);
}

/* The lines a log event made, one after the other with "\n". */
struct lines {
	char text[4096];
	unsigned count;
};

static void collect(const char *line, size_t len, void *ctx)
{
	struct lines *lines = ctx;

	strncat(lines->text, line, len);
	strcat(lines->text, "\n");
	lines->count++;
}

static enum i3_status map(struct i3_calls *calls, const char *payload, struct lines *lines,
			  char *why)
{
	struct i3_event_info info;
	enum i3_status status;

	memset(lines, 0, sizeof *lines);
	status = i3_calls_map(calls, payload, strlen(payload), NULL, collect, lines, &info, why,
			      256);
	assert_int_equal(info.lines, lines->count);
	return status;
}

/* A log event taken (I3_OK) that makes no line. */
static void expect_no_line(struct i3_calls *calls, const char *payload)
{
	struct lines lines;
	char why[256];

	assert_int_equal(map(calls, payload, &lines, why), I3_OK);
	assert_int_equal(lines.count, 0);
}

static const struct i3_settings default_settings = { .max_calls = 64,
						     .bye_outgoing = RELEASED_BY_OPERATOR,
						     .bye_incoming = RELEASED_BY_CALLER };

/* A log event of type with the common members, then extra (starting with ","), for call c1. */
static void event(char *out, const char *type, const char *ts, const char *extra)
{
	sprintf(out,
		"{\"logEventType\":\"%s\",\"timestamp\":\"%s\",\"elementId\":\"chfe.psap1."
		"example\","
		"\"agencyId\":\"NOPD\",\"callId\":\"urn:emergency:uid:callid:1:bcf.example\"%s}",
		type, ts, extra);
}

/* ---- base64url ------------------------------------------------------------------------------ */

static void test_base64url(void **state)
{
	unsigned char out[16];

	(void)state;
	assert_int_equal(i3_base64url_decode("aGVsbG8", 7, out), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(i3_base64url_decode("", 0, out), 0);
	assert_int_equal(i3_base64url_decode("-_8", 3, out), 2);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(i3_base64url_decode("aGVsbG8=", 8, out), -1); /* padding */
	assert_int_equal(i3_base64url_decode("aGVsbG9", 7, out), -1);  /* trailing bits not zero */
	assert_int_equal(i3_base64url_decode("aGVsb", 5, out), -1);    /* 1 char of a quantum */
	assert_int_equal(i3_base64url_decode("+/8", 3, out), -1);      /* base64, not base64url */
	assert_int_equal(i3_base64url_decode("aG Vs", 5, out), -1);
}

static void test_base64url_encode(void **state)
{
	char text[16];

	(void)state;
	assert_int_equal(i3_base64url_encode("hello", 5, text), 7);
	assert_string_equal(text, "aGVsbG8");
	assert_int_equal(i3_base64url_encode("\xfb\xff", 2, text), 3);
	assert_string_equal(text, "-_8");
	assert_int_equal(i3_base64url_encode("abc", 3, text), 4);
	assert_string_equal(text, "YWJj");
	assert_int_equal(i3_base64url_encode("", 0, text), 0);
	assert_string_equal(text, "");
}

/* ---- JWS ---------------------------------------------------------------------------------- */

static void test_jws_es256(void **state)
{
	char *body = make_jws("{\"alg\":\"ES256\",\"kid\":\"chfe-1\",\"typ\":\"JOSE\"}",
			      "{\"a\":1}", 64);
	struct i3_jws jws;
	char why[256] = "";

	(void)state;
	assert_int_equal(decode(body, &jws, why), I3_OK);
	assert_int_equal(jws.algorithm, I3_ES256);
	assert_string_equal(jws.kid, "chfe-1");
	assert_string_equal(jws.payload, "{\"a\":1}");
	assert_int_equal(jws.payload_len, 7);
	assert_int_equal(jws.signature_len, 64);
	assert_int_equal(jws.signature[63], 1);
	/* base64url of the header, ".", base64url of {"a":1} */
	assert_string_equal(
		jws.signing_input,
		"eyJhbGciOiJFUzI1NiIsImtpZCI6ImNoZmUtMSIsInR5cCI6IkpPU0UifQ.eyJhIjoxfQ");
	assert_int_equal(jws.signing_input_len, strlen(jws.signing_input));
	i3_jws_release(&jws);
	assert_null(jws.payload);
	free(body);
}

static void test_jws_rs256_without_kid(void **state)
{
	char *body = make_jws("{\"alg\":\"RS256\"}", "{}", 256);
	struct i3_jws jws;
	char why[256];

	(void)state;
	assert_int_equal(decode(body, &jws, why), I3_OK);
	assert_int_equal(jws.algorithm, I3_RS256);
	assert_string_equal(jws.kid, "");
	assert_int_equal(jws.signature_len, 256);
	i3_jws_release(&jws);
	free(body);
}

/* A JWS that must be refused with status and exactly why. */
static void expect_refused(const char *body, enum i3_status status, const char *expected_why)
{
	struct i3_jws jws;
	char why[256] = "";

	assert_int_equal(decode(body, &jws, why), status);
	assert_string_equal(why, expected_why);
	assert_null(jws.payload);
	assert_null(jws.signature);
	assert_null(jws.signing_input);
}

static void expect_refused_jws(const char *header, const char *payload, size_t signature_len,
			       enum i3_status status, const char *expected_why)
{
	char *body = make_jws(header, payload, signature_len);

	expect_refused(body, status, expected_why);
	free(body);
}

static void test_jws_refused(void **state)
{
	(void)state;
	expect_refused("[1]", I3_BAD_JWS,
		       "the body is not a JWS in flattened JSON serialization (a JSON object)");
	expect_refused("{\"protected\":\"e30\"", I3_BAD_JWS,
		       "the body is not a JWS in flattened JSON serialization (a JSON object)");
	expect_refused("{\"payload\":\"e30\",\"signature\":\"AQ\"}", I3_BAD_JWS,
		       "\"protected\" is missing");
	expect_refused("{\"protected\":1,\"payload\":\"e30\",\"signature\":\"AQ\"}", I3_BAD_JWS,
		       "\"protected\" must be a string");
	expect_refused("{\"protected\":\"eyJhbGciOiJSUzI1NiJ9\",\"signature\":\"AQ\"}", I3_BAD_JWS,
		       "\"payload\" is missing");
	expect_refused("{\"protected\":\"eyJhbGciOiJSUzI1NiJ9\",\"payload\":\"e30=\",\"signature\":"
		       "\"AQ\"}",
		       I3_BAD_JWS, "\"payload\" is not base64url without padding");
	expect_refused(
		"{\"protected\":\"eyJhbGciOiJSUzI1NiJ9\",\"payload\":\"\",\"signature\":\"AQ\"}",
		I3_BAD_JWS, "\"payload\" is not base64url without padding (empty)");
	expect_refused(
		"{\"protected\":\"eyJhbGciOiJSUzI1NiJ9\",\"payload\":\"e30\",\"signature\":\"\"}",
		I3_BAD_JWS, "the signature is empty");
	expect_refused("{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AQ\"}",
		       I3_BAD_JWS, "protected header: \"alg\" is missing");
	expect_refused("{\"protected\":\"bm90IGpzb24\",\"payload\":\"e30\",\"signature\":\"AQ\"}",
		       I3_BAD_JWS, "the protected header is not a JSON object");
	expect_refused_jws("{\"alg\":\"HS256\"}", "{}", 32, I3_BAD_ALGORITHM,
			   "protected header: \"alg\" must be ES256 or RS256, not \"HS256\"");
	expect_refused_jws("{\"alg\":\"none\"}", "{}", 1, I3_BAD_ALGORITHM,
			   "protected header: \"alg\" must be ES256 or RS256, not \"none\"");
	expect_refused_jws("{\"alg\":7}", "{}", 1, I3_BAD_JWS,
			   "protected header: \"alg\" must be a string");
	expect_refused_jws("{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", "{}", 64,
			   I3_BAD_JWS, "protected header: \"crit\" extensions are not supported");
	expect_refused_jws("{\"alg\":\"ES256\",\"kid\":5}", "{}", 64, I3_BAD_JWS,
			   "protected header: \"kid\" must be a string");
	expect_refused_jws("{\"alg\":\"ES256\"}", "{}", 63, I3_BAD_JWS,
			   "an ES256 signature is 64 bytes (r || s), not 63");
}

/* ---- mapping -------------------------------------------------------------------------------- */

static void test_call_answered_and_released_by_operator(void **state)
{
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	event(payload, "CallStartLogEvent", "2026-11-29T08:00:00-06:00",
	      ",\"direction\":\"incoming\",\"from\":\"tel:+15045550101\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_int_equal(lines.count, 0);
	assert_int_equal(i3_calls_count(&calls), 1);
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:02.250-06:00",
	      ",\"state\":\"Answered\",\"direction\":\"incoming\",\"legCallId\":\"leg1\","
	      "\"agencyAgentId\":\"op-7\",\"agencyPositionId\":\"P3\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"call_start\",\"call_id\":\"urn:emergency:uid:callid:1:bcf.example\","
		"\"ts\":\"2026-11-29T08:00:02.250-06:00\",\"operator\":\"op-7\",\"agency\":"
		"\"NOPD\","
		"\"position\":\"P3\",\"ani\":\"+15045550101\"}\n");
	/* a second answer (another position took the call over) makes no second call_start */
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_int_equal(lines.count, 0);
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:07-06:00",
	      ",\"direction\":\"outgoing\",\"protocol\":\"sip\",\"text\":\"BYE sip:caller@example "
	      "SIP/2.0\\r\\n\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_int_equal(lines.count, 0);
	/* the caller's BYE crossing ours: the first one counts */
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:07.100-06:00",
	      ",\"direction\":\"incoming\",\"text\":\"BYE sip:chfe@example SIP/2.0\\r\\n\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_int_equal(calls.stats.byes, 1);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:07.200-06:00",
	      ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"call_end\",\"call_id\":\"urn:emergency:uid:callid:1:bcf.example\","
		"\"ts\":\"2026-11-29T08:00:07.200-06:00\",\"released_by\":\"operator\"}\n");
	assert_int_equal(i3_calls_count(&calls), 0);
	i3_calls_release(&calls);
}

/* admit for the element "chfe.psap1.example" only. */
static bool admit_psap1(const char *element_id, void *ctx, char *why, size_t why_size)
{
	(void)ctx;
	if (strcmp(element_id, "chfe.psap1.example") == 0)
		return true;
	snprintf(why, why_size, "not %s", element_id);
	return false;
}

/* An elementId admit refuses is I3_WRONG_ELEMENT with admit's why: no line, the table as it was;
 * one it takes is mapped as without admit. */
static void test_admit_refuses_an_element(void **state)
{
	struct i3_calls calls;
	struct i3_event_info info;
	struct lines lines = { .count = 0 };
	char payload[1024], why[256] = "";

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	event(payload, "CallStartLogEvent", "2026-11-29T08:00:00-06:00",
	      ",\"direction\":\"incoming\"");
	memcpy(strstr(payload, "psap1"), "psap2", 5);
	assert_int_equal(i3_calls_map(&calls, payload, strlen(payload), admit_psap1, collect,
				      &lines, &info, why, sizeof why),
			 I3_WRONG_ELEMENT);
	assert_string_equal(why, "not chfe.psap2.example");
	assert_string_equal(info.element_id, "chfe.psap2.example");
	assert_int_equal(info.lines, 0);
	assert_int_equal(i3_calls_count(&calls), 0);
	event(payload, "CallStartLogEvent", "2026-11-29T08:00:00-06:00",
	      ",\"direction\":\"incoming\"");
	assert_int_equal(i3_calls_map(&calls, payload, strlen(payload), admit_psap1, collect,
				      &lines, &info, why, sizeof why),
			 I3_OK);
	assert_int_equal(i3_calls_count(&calls), 1);
	assert_int_equal(lines.count, 0);
	i3_calls_release(&calls);
}

static void test_released_by_caller_unknown_and_configured(void **state)
{
	struct i3_settings settings = default_settings;
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &settings), 0);
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:07Z",
	      ",\"direction\":\"incoming\",\"text\":\"BYE sip:chfe@example SIP/2.0\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:08Z", ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_non_null(strstr(lines.text, "\"released_by\":\"caller\"}"));
	/* no BYE logged: unknown (a 200 OK or a CANCEL is not a BYE) */
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:09Z",
	      ",\"direction\":\"outgoing\",\"text\":\"SIP/2.0 200 OK\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:10Z", ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_non_null(strstr(lines.text, "\"released_by\":\"unknown\"}"));
	i3_calls_release(&calls);
	settings.bye_outgoing = RELEASED_BY_SYSTEM;
	assert_int_equal(i3_calls_init(&calls, &settings), 0);
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:07Z",
	      ",\"direction\":\"outgoing\",\"text\":\"BYE sip:caller@example SIP/2.0\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:08Z", ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_non_null(strstr(lines.text, "\"released_by\":\"system\"}"));
	i3_calls_release(&calls);
}

static void test_incident_transfer_and_other_types(void **state)
{
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:02Z",
	      ",\"state\":\"answered\",\"direction\":\"incoming\",\"legCallId\":\"l\","
	      "\"agencyAgentId\":\"op-7\","
	      "\"incidentId\":\"urn:emergency:uid:incidentid:9:psap\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"call_start\",\"call_id\":\"urn:emergency:uid:callid:1:bcf.example\","
		"\"ts\":\"2026-11-29T08:00:02Z\",\"operator\":\"op-7\",\"agency\":\"NOPD\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"urn:emergency:uid:callid:1:bcf.example\","
		"\"ts\":\"2026-11-29T08:00:02Z\",\"incident_id\":\"urn:emergency:uid:incidentid:9:"
		"psap\"}\n");
	event(payload, "CallTransferLogEvent", "2026-11-29T08:00:30Z",
	      ",\"target\":\"sip:fire@nofd.example\",\"targetCallIdSip\":\"x\","
	      "\"incidentId\":\"urn:emergency:uid:incidentid:9:psap\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"transfer\",\"call_id\":\"urn:emergency:uid:callid:1:bcf.example\","
		"\"ts\":\"2026-11-29T08:00:30Z\",\"to\":\"sip:fire@nofd.example\"}\n");
	/* not answered yet: ringing makes nothing */
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:31Z",
	      ",\"state\":\"Ringing\",\"direction\":\"incoming\",\"legCallId\":\"l\","
	      "\"agencyAgentId\":\"op-7\"");
	expect_no_line(&calls, payload);
	expect_no_line(&calls,
		       "{\"logEventType\":\"ElementStateChangeLogEvent\",\"timestamp\":\"2026-11-"
		       "29T08:00:00Z\","
		       "\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"agencyAgentId\":\"op-7\"}");
	/* a type loggingservice.yaml 1.2.2 added: taken, no line */
	expect_no_line(&calls,
		       "{\"logEventType\":\"SessionStartLogEvent\",\"timestamp\":\"2026-11-"
		       "29T08:00:00Z\",\"elementId\":\"chfe\",\"agencyId\":\"NOPD\"}");
	assert_int_equal(i3_calls_count(&calls), 1);
	i3_calls_release(&calls);
}

/* A payload that must be refused with status and exactly why, leaving the table as it was. */
static void expect_bad(struct i3_calls *calls, const char *payload, enum i3_status status,
		       const char *expected)
{
	uint32_t before = i3_calls_count(calls);
	struct lines lines;
	char why[256] = "";

	assert_int_equal(map(calls, payload, &lines, why), status);
	assert_string_equal(why, expected);
	assert_int_equal(lines.count, 0);
	assert_int_equal(i3_calls_count(calls), before);
}

static void test_bad_log_events(void **state)
{
	struct i3_calls calls;
	char payload[1024];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	expect_bad(&calls, "{\"logEventType\":", I3_BAD_JSON, "the payload is not a JSON object");
	expect_bad(&calls, "[]", I3_BAD_JSON, "the payload is not a JSON object");
	/* an overlong UTF-8 form (C0 A0 for a space), which json-c lets through and a feed line may
	 * not
	 * hold (found by fuzz_i3: a transfer target made a line the parser refused) */
	expect_bad(
		&calls,
		"{\"logEventType\":\"CallTransferLogEvent\",\"timestamp\":\"2026-11-29T08:00:04Z\","
		"\"elementId\":\"e\",\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"target\":\"sip:"
		"fire\xc0\xa0x\"}",
		I3_BAD_JSON, "the payload is not a JSON object");
	expect_bad(&calls, "{}", I3_BAD_EVENT, "\"logEventType\" is missing");
	expect_bad(&calls, "{\"logEventType\":1}", I3_BAD_EVENT,
		   "\"logEventType\" must be a string");
	expect_bad(&calls, "{\"logEventType\":\"CallHoldLogEvent\"}", I3_UNSUPPORTED_EVENT,
		   "\"logEventType\" \"CallHoldLogEvent\" is not a LogEventType");
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"agencyId\":\"NOPD\",\"callId\":\"c1\"}",
		   I3_BAD_EVENT, "CallEndLogEvent: missing required field \"elementId\"");
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"elementId\":\"e\",\"agencyId\":\"NOPD\"}",
		   I3_BAD_EVENT, "CallEndLogEvent: missing required field \"callId\"");
	event(payload, "CallEndLogEvent", "2026-02-30T08:00:00Z", "");
	expect_bad(&calls, payload, I3_BAD_EVENT,
		   "CallEndLogEvent: \"timestamp\": date or time out of range: "
		   "\"2026-02-30T08:00:00Z\"");
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:00Z", ",\"state\":7");
	expect_bad(&calls, payload, I3_BAD_EVENT,
		   "CallStateChangeLogEvent: \"state\" must be a string");
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:00Z",
	      ",\"text\":\"BYE x SIP/2.0\",\"direction\":\"sideways\"");
	expect_bad(&calls, payload, I3_BAD_EVENT,
		   "CallSignalingMessageLogEvent: \"direction\" must be incoming or outgoing, not "
		   "\"sideways\"");
	/* a long elementId or agencyId names what cadmon.yaml would have to name: refused */
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"elementId\":"
		   "\"0123456789012345678901234567890123456789012345678901234567890123456789\","
		   "\"agencyId\":\"NOPD\",\"callId\":\"c1\"}",
		   I3_BAD_EVENT,
		   "CallEndLogEvent: \"elementId\" is longer than 64 bytes (it names a source, as "
		   "sources: does in cadmon.yaml)");
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"elementId\":\"e\",\"callId\":\"c1\",\"agencyId\":"
		   "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
		   I3_BAD_EVENT,
		   "CallEndLogEvent: \"agencyId\" is longer than 64 bytes (it names an agency, as "
		   "sources[].agencies does in cadmon.yaml)");
	event(payload, "CallStartLogEvent", "2026-11-29T08:00:00Z", ",\"direction\":\"inbound\"");
	expect_bad(&calls, payload, I3_BAD_EVENT,
		   "CallStartLogEvent: \"direction\" must be incoming or outgoing, not "
		   "\"inbound\"");
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"elementId\":\"e\\n1\",\"agencyId\":\"NOPD\",\"callId\":\"c1\"}",
		   I3_BAD_EVENT,
		   "CallEndLogEvent: \"elementId\" holds a control character (it names a source)");
	event(payload, "AgentStateChangeLogEvent", "2026-11-29T08:00:00Z",
	      ",\"primaryAgentState\":\"NotAvailable\",\"secondaryAgentState\":[]");
	expect_bad(&calls, payload, I3_BAD_EVENT,
		   "AgentStateChangeLogEvent: \"secondaryAgentState\" must be a string");
	i3_calls_release(&calls);
}

/* elementId names a source: judged by event_source_check, as a hello's source and cadmon.yaml's
 * sources[].name are: a DEL refused, exactly 64 bytes (a quote among them) taken as it is. */
static void test_element_id_is_a_hello_source(void **state)
{
	static const char name64[] =
		"cad \"west\" 4567890123456789012" "3456789012345678901234567890123456";
	struct i3_calls calls;
	struct i3_event_info info;
	struct lines lines = { .count = 0 };
	char why[256] = "";
	const char *payload;

	(void)state;
	assert_int_equal(strlen(name64), EVENT_ID_MAX);
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	expect_bad(&calls,
		   "{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		   "\"elementId\":\"cad\x7f" "east\",\"agencyId\":\"NOPD\",\"callId\":\"c1\"}",
		   I3_BAD_EVENT,
		   "CallEndLogEvent: \"elementId\" holds a control character (it names a source)");
	payload = "{\"logEventType\":\"CallStartLogEvent\",\"timestamp\":\"2026-11-29T08:00:00Z\","
		  "\"elementId\":\"cad \\\"west\\\" 4567890123456789012"
		  "3456789012345678901234567890123456\","
		  "\"agencyId\":\"NOPD\",\"callId\":\"c1\",\"direction\":\"incoming\"}";
	assert_int_equal(i3_calls_map(&calls, payload, strlen(payload), NULL, collect, &lines,
				      &info, why, sizeof why),
			 I3_OK);
	assert_string_equal(why, "");
	assert_string_equal(info.element_id, name64);
	i3_calls_release(&calls);
}

/* An AgentStateChangeLogEvent of op-7 at P3 with primaryAgentState primary and, unless NULL,
 * secondaryAgentState secondary. */
static void agent_state(char *out, const char *primary, const char *secondary)
{
	char second[128] = "";

	if (secondary)
		snprintf(second, sizeof second, ",\"secondaryAgentState\":\"%s\"", secondary);
	sprintf(out,
		"{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-11-29T07:59:"
		"00.250Z\","
		"\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"agencyAgentId\":\"op-7\","
		"\"agencyPositionId\":\"P3\",\"primaryAgentState\":\"%s\"%s}",
		primary, second);
}

#define OP7_STATE(state)                                                                           \
	"{\"type\":\"operator_state\",\"ts\":\"2026-11-29T07:59:00.250Z\",\"operator\":"           \
	"\"op-7\",\"agency\":\"NOPD\",\"position\":\"P3\",\"state\":\"" state "\"}\n"

/* The schema's primaryAgentState (Available, NotAvailable) with a secondaryAgentState that
 * says logged in or out, as a schema-valid sender logs it; and what senders wrote before. */
static void test_agent_state_change(void **state)
{
	static const struct {
		const char *primary, *secondary;
		const char *line;
	} cases[] = {
		{ "NotAvailable", "LoggedOut", OP7_STATE("logged_off") },
		{ "Available", "LoggedIn", OP7_STATE("logged_on") },
		{ "NotAvailable", "LoggedIn", OP7_STATE("logged_on") }, /* on, not ready yet */
		{ "NotAvailable", "logged-off", OP7_STATE("logged_off") },
		{ "Available", NULL, OP7_STATE("available") },
		{ "NotAvailable", NULL, OP7_STATE("not_available") },
		/* a secondary state other than logged in or out: the primary one says it */
		{ "NotAvailable", "Break", OP7_STATE("not_available") },
		{ "Available", "Wrapup", OP7_STATE("available") },
		/* before the schema's enum: logged in or out as the primary state, still taken */
		{ "LoggedIn", NULL, OP7_STATE("logged_on") },
		{ "Logged-Out", NULL, OP7_STATE("logged_off") },
		{ "on_break", NULL, OP7_STATE("not_available") },
	};
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		agent_state(payload, cases[i].primary, cases[i].secondary);
		assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
		assert_string_equal(lines.text, cases[i].line);
	}
	/* a state cadmon does not map, none, or no call-taker: taken, no line, counted */
	agent_state(payload, "Wrapup", "Training");
	expect_no_line(&calls, payload);
	expect_no_line(&calls,
		       "{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-11-"
		       "29T08:00:00Z\","
		       "\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"agencyAgentId\":\"op-7\"}");
	expect_no_line(
		&calls,
		"{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:00:"
		"00Z\","
		"\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"primaryAgentState\":\"LoggedIn\"}");
	assert_int_equal(calls.stats.agent_states_unmapped, 3);
	assert_int_equal(i3_calls_count(&calls), 0); /* no call remembered */
	/* a primaryAgentState that is not a string is refused */
	expect_bad(&calls,
		   "{\"logEventType\":\"AgentStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:"
		   "00:00Z\","
		   "\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"agencyAgentId\":\"op-7\","
		   "\"primaryAgentState\":7}",
		   I3_BAD_EVENT,
		   "AgentStateChangeLogEvent: \"primaryAgentState\" must be a string");
	i3_calls_release(&calls);
}

/* A real callId (urn:emergency:uid:callid:UUID:FQDN, 77 bytes) and a 300-byte one: shortened to
 * 64 bytes, the same for every log event of the call; incidentId and target as well. */
static void test_long_ids(void **state)
{
	static const char call77[] =
		"urn:emergency:uid:callid:0f8fad5b-d9cb-469f-a165-70867728950e:bcf.example.com";
	static const char short77[] =
		"urn:emergency:uid:callid:0f8fad5b-d9cb-~91af35ff992b574f51595d70";
	char call300[301], payload[2048], why[256], out[I3_ID_MAX + 1], expected[1024];
	struct i3_calls calls;
	struct lines lines;

	(void)state;
	assert_int_equal(strlen(call77), 77);
	assert_int_equal(strlen(short77), 64);
	assert_true(i3_short_id(call77, strlen(call77), out));
	assert_string_equal(out, short77);
	/* one byte more changes the digest */
	assert_true(i3_short_id("urn:emergency:uid:callid:0f8fad5b-d9cb-469f-a165-70867728950f:"
				"bcf.example.com",
				77, out));
	assert_string_equal(out,
			    "urn:emergency:uid:callid:0f8fad5b-d9cb-~5283bb5667d57d5cdd2cdf18");
	/* 64 bytes fit as they are */
	assert_false(i3_short_id(short77, 64, out));
	assert_string_equal(out, short77);
	/* no cut inside a UTF-8 sequence: 19 two-byte letters (38 bytes) kept, not 19.5 */
	assert_true(i3_short_id("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
				80, out));
	assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				 "~84fe2e03d50dd3a18b630669");

	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	sprintf(payload,
		"{\"logEventType\":\"CallStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:00:"
		"02Z\",\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"callId\":\"%s\","
		"\"incidentId\":\"urn:emergency:uid:incidentid:0f8fad5b-d9cb-469f-a165-"
		"70867728950e:psap.example\",\"state\":\"Answered\",\"direction\":\"incoming\","
		"\"agencyAgentId\":\"op-7\"}",
		call77);
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"call_start\",\"call_id\":\"urn:emergency:uid:callid:0f8fad5b-d9cb-"
		"~91af35ff992b574f51595d70\",\"ts\":\"2026-11-29T08:00:02Z\",\"operator\":\"op-7\","
		"\"agency\":\"NOPD\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"urn:emergency:uid:callid:0f8fad5b-d9cb-"
		"~91af35ff992b574f51595d70\",\"ts\":\"2026-11-29T08:00:02Z\",\"incident_id\":"
		"\"urn:emergency:uid:incidentid:0f8fad5b-d~c33f3a77485fa562867e5e0c\"}\n");
	sprintf(payload,
		"{\"logEventType\":\"CallTransferLogEvent\",\"timestamp\":\"2026-11-29T08:00:"
		"03Z\",\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"callId\":\"%s\","
		"\"target\":\"sip:+15045550199@fire-dispatch.orleans-parish.emergency-services."
		"example.net\",\"targetCallIdSip\":\"t1\"}",
		call77);
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(
		lines.text,
		"{\"type\":\"transfer\",\"call_id\":\"urn:emergency:uid:callid:0f8fad5b-d9cb-"
		"~91af35ff992b574f51595d70\",\"ts\":\"2026-11-29T08:00:03Z\",\"to\":"
		"\"sip:+15045550199@fire-dispatch.orleans-~09499ab320cb19c27ef70b02\"}\n");
	sprintf(payload,
		"{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:09Z\","
		"\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"callId\":\"%s\","
		"\"direction\":\"incoming\"}",
		call77);
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(lines.text,
			    "{\"type\":\"call_end\",\"call_id\":\"urn:emergency:uid:callid:"
			    "0f8fad5b-d9cb-~91af35ff992b574f51595d70\",\"ts\":\"2026-11-29T08:00:"
			    "09Z\",\"released_by\":\"unknown\"}\n");
	assert_int_equal(i3_calls_count(&calls), 0); /* the end found the call of the start */
	assert_int_equal(calls.stats.ids_shortened, 5);

	/* 300 bytes */
	memcpy(call300, "urn:emergency:uid:callid:", 25);
	memset(call300 + 25, 'x', 275);
	call300[300] = '\0';
	sprintf(payload,
		"{\"logEventType\":\"CallStateChangeLogEvent\",\"timestamp\":\"2026-11-29T08:01:"
		"00Z\",\"elementId\":\"chfe\",\"agencyId\":\"NOPD\",\"callId\":\"%s\","
		"\"state\":\"Answered\",\"direction\":\"incoming\",\"agencyAgentId\":\"op-7\"}",
		call300);
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	snprintf(expected, sizeof expected,
		 "{\"type\":\"call_start\",\"call_id\":\"urn:emergency:uid:callid:"
		 "xxxxxxxxxxxxxx~909a4a5afefa23a5546fdbc1\",\"ts\":\"2026-11-29T08:01:00Z\","
		 "\"operator\":\"op-7\",\"agency\":\"NOPD\"}\n");
	assert_string_equal(lines.text, expected);
	assert_int_equal(i3_calls_count(&calls), 1);
	i3_calls_release(&calls);
}

/* A call the element placed (direction outgoing: a callback) makes no line at all, even when
 * answered; an incoming call's leg added going out later changes nothing. */
static void test_outgoing_call_makes_no_line(void **state)
{
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	event(payload, "CallStartLogEvent", "2026-11-29T08:00:00Z",
	      ",\"direction\":\"outgoing\",\"to\":\"tel:+15045550101\"");
	expect_no_line(&calls, payload);
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:02Z",
	      ",\"state\":\"Answered\",\"direction\":\"outgoing\",\"agencyAgentId\":\"op-7\","
	      "\"incidentId\":\"i-1\"");
	expect_no_line(&calls, payload);
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:03Z",
	      ",\"direction\":\"outgoing\",\"text\":\"BYE sip:x SIP/2.0\"");
	expect_no_line(&calls, payload);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:03Z", ",\"direction\":\"outgoing\"");
	expect_no_line(&calls, payload);
	assert_int_equal(calls.stats.outgoing_calls, 1);
	assert_int_equal(i3_calls_count(&calls), 0);
	/* without a CallStartLogEvent the answer's own direction decides */
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:01:02Z",
	      ",\"state\":\"Answered\",\"direction\":\"OUTGOING\",\"agencyAgentId\":\"op-7\"");
	expect_no_line(&calls, payload);
	event(payload, "CallEndLogEvent", "2026-11-29T08:01:03Z", "");
	expect_no_line(&calls, payload);
	assert_int_equal(calls.stats.outgoing_calls, 2);
	/* incoming, answered; a conference leg going out later: the call still ends */
	event(payload, "CallStartLogEvent", "2026-11-29T08:02:00Z", ",\"direction\":\"incoming\"");
	expect_no_line(&calls, payload);
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:02:02Z",
	      ",\"state\":\"Answered\",\"direction\":\"outgoing\",\"agencyAgentId\":\"op-7\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(lines.text,
			    "{\"type\":\"call_start\",\"call_id\":\"urn:emergency:uid:callid:1:"
			    "bcf.example\",\"ts\":\"2026-11-29T08:02:02Z\",\"operator\":\"op-7\","
			    "\"agency\":\"NOPD\"}\n");
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:02:05Z",
	      ",\"state\":\"Connected\",\"direction\":\"outgoing\",\"legCallId\":\"leg-2\"");
	expect_no_line(&calls, payload);
	event(payload, "CallEndLogEvent", "2026-11-29T08:02:09Z", ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(lines.text,
			    "{\"type\":\"call_end\",\"call_id\":\"urn:emergency:uid:callid:1:"
			    "bcf.example\",\"ts\":\"2026-11-29T08:02:09Z\",\"released_by\":"
			    "\"unknown\"}\n");
	assert_int_equal(calls.stats.outgoing_calls, 2);
	i3_calls_release(&calls);
}

/* A BCF on the call's path logging to cadmond too: once the call is answered at the CHFE, the
 * BCF's BYE (sent towards the PSAP: "outgoing" from where it sits) and its CallEndLogEvent are
 * ignored; the CHFE's BYE (received: the caller) and end count. */
static void test_other_element_bye_ignored(void **state)
{
	static const char bcf[] =
		"{\"logEventType\":\"%s\",\"timestamp\":\"2026-11-29T08:00:0%dZ\",\"elementId\":"
		"\"bcf.example\",\"agencyId\":\"NOPD\",\"callId\":\"urn:emergency:uid:callid:1:"
		"bcf.example\",\"direction\":\"%s\"%s}";
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	assert_int_equal(i3_calls_init(&calls, &default_settings), 0);
	/* the BCF sees the call first: its CallStartLogEvent and state changes make nothing */
	sprintf(payload, bcf, "CallStartLogEvent", 0, "incoming", "");
	expect_no_line(&calls, payload);
	event(payload, "CallStateChangeLogEvent", "2026-11-29T08:00:01Z",
	      ",\"state\":\"Answered\",\"direction\":\"incoming\",\"agencyAgentId\":\"op-7\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_int_equal(lines.count, 1);
	sprintf(payload, bcf, "CallSignalingMessageLogEvent", 5, "outgoing",
		",\"text\":\"BYE sip:chfe@example SIP/2.0\"");
	expect_no_line(&calls, payload);
	sprintf(payload, bcf, "CallEndLogEvent", 5, "incoming", "");
	expect_no_line(&calls, payload);
	assert_int_equal(calls.stats.other_element_events, 2);
	assert_int_equal(calls.stats.byes, 0);
	assert_int_equal(i3_calls_count(&calls), 1);
	event(payload, "CallSignalingMessageLogEvent", "2026-11-29T08:00:06Z",
	      ",\"direction\":\"incoming\",\"text\":\"BYE sip:chfe@example SIP/2.0\"");
	expect_no_line(&calls, payload);
	event(payload, "CallEndLogEvent", "2026-11-29T08:00:06Z", ",\"direction\":\"incoming\"");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_string_equal(lines.text,
			    "{\"type\":\"call_end\",\"call_id\":\"urn:emergency:uid:callid:1:"
			    "bcf.example\",\"ts\":\"2026-11-29T08:00:06Z\",\"released_by\":"
			    "\"caller\"}\n");
	assert_int_equal(i3_calls_count(&calls), 0);
	i3_calls_release(&calls);
}

static void test_full_table_forgets_the_oldest(void **state)
{
	struct i3_settings settings = default_settings;
	struct i3_calls calls;
	struct lines lines;
	char payload[1024], why[256];

	(void)state;
	settings.max_calls = 16;
	assert_int_equal(i3_calls_init(&calls, &settings), 0);
	for (int i = 0; i < 17; i++) {
		sprintf(payload,
			"{\"logEventType\":\"CallSignalingMessageLogEvent\",\"timestamp\":\"2026-"
			"11-29T08:00:00Z\","
			"\"elementId\":\"e\",\"agencyId\":\"A\",\"callId\":\"c%d\",\"direction\":"
			"\"outgoing\","
			"\"text\":\"BYE x SIP/2.0\"}",
			i);
		assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	}
	assert_int_equal(calls.stats.evicted, 1); /* the 1/16th oldest: c0 */
	assert_int_equal(i3_calls_count(&calls), 16);
	sprintf(payload,
		"{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:01Z\","
		"\"elementId\":\"e\",\"agencyId\":\"A\",\"callId\":\"c0\",\"direction\":"
		"\"incoming\"}");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_non_null(strstr(lines.text, "\"released_by\":\"unknown\"}"));
	sprintf(payload,
		"{\"logEventType\":\"CallEndLogEvent\",\"timestamp\":\"2026-11-29T08:00:01Z\","
		"\"elementId\":\"e\",\"agencyId\":\"A\",\"callId\":\"c2\",\"direction\":"
		"\"incoming\"}");
	assert_int_equal(map(&calls, payload, &lines, why), I3_OK);
	assert_non_null(strstr(lines.text, "\"released_by\":\"operator\"}"));
	assert_int_equal(
		i3_calls_init(&(struct i3_calls){ 0 }, &(struct i3_settings){ .max_calls = 0 }),
		-EINVAL);
	i3_calls_release(&calls);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(i3_status_name(I3_OK), "ok");
	assert_string_equal(i3_status_name(I3_BAD_JWS), "bad_jws");
	assert_string_equal(i3_status_name(I3_BAD_ALGORITHM), "bad_algorithm");
	assert_string_equal(i3_status_name(I3_BAD_JSON), "bad_json");
	assert_string_equal(i3_status_name(I3_BAD_EVENT), "bad_event");
	assert_string_equal(i3_status_name(I3_UNSUPPORTED_EVENT), "unsupported_event");
	assert_string_equal(i3_status_name(I3_WRONG_ELEMENT), "wrong_element");
	assert_string_equal(i3_status_name(I3_STATUS_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_base64url_encode),
		cmocka_unit_test(test_jws_es256),
		cmocka_unit_test(test_jws_rs256_without_kid),
		cmocka_unit_test(test_jws_refused),
		cmocka_unit_test(test_call_answered_and_released_by_operator),
		cmocka_unit_test(test_admit_refuses_an_element),
		cmocka_unit_test(test_released_by_caller_unknown_and_configured),
		cmocka_unit_test(test_incident_transfer_and_other_types),
		cmocka_unit_test(test_bad_log_events),
		cmocka_unit_test(test_element_id_is_a_hello_source),
		cmocka_unit_test(test_agent_state_change),
		cmocka_unit_test(test_long_ids),
		cmocka_unit_test(test_outgoing_call_makes_no_line),
		cmocka_unit_test(test_other_element_bye_ignored),
		cmocka_unit_test(test_full_table_forgets_the_oldest),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
