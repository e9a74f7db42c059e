/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "hash.h"

struct fixture {
	struct event_parser *parser;
	struct event event;
	char why[256];
};

static int setup(void **state)
{
	static struct fixture fixture;

	memset(&fixture, 0, sizeof(fixture));
	fixture.parser = event_parser_new();
	*state = &fixture;
	return fixture.parser ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;

	event_parser_free(fixture->parser);
	return 0;
}

static enum event_reject parse(struct fixture *fixture, const char *line)
{
	return event_parser_parse(fixture->parser, line, strlen(line), &fixture->event,
				  fixture->why, sizeof(fixture->why));
}

/* Assert that line is rejected for reason with exactly the message expected. */
static void assert_rejected(struct fixture *fixture, const char *line, enum event_reject reason,
			    const char *expected_why)
{
	assert_int_equal(parse(fixture, line), reason);
	assert_string_equal(fixture->why, expected_why);
}

static void test_call_start_all_fields(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"type\":\"call_start\",\"call_id\":\"c-1\",\"ts\":\"2026-11-"
				  "29T08:00:00.250Z\","
				  "\"operator\":\"op-7\",\"position\":\"P3\",\"agency\":\"NOPD\","
				  "\"ani\":\"5045550101\","
				  "\"event_id\":\"e-9\",\"extra\":{\"ignored\":[1,2]}}"),
			 EVENT_OK);
	assert_string_equal(f->why, "");
	assert_int_equal(f->event.type, EVENT_CALL_START);
	assert_string_equal(f->event.call_id, "c-1");
	assert_int_equal(f->event.ts_ms, INT64_C(1795939200250));
	assert_string_equal(f->event.operator_id, "op-7");
	assert_string_equal(f->event.position, "P3");
	assert_string_equal(f->event.agency, "NOPD");
	assert_string_equal(f->event.ani, "5045550101");
	assert_string_equal(f->event.event_id, "e-9");
}

static void test_call_start_minimal(void **state)
{
	struct fixture *f = *state;

	/* Optional fields absent or null are empty; the epoch-ms integer form of ts. */
	assert_int_equal(parse(f,
			       "{\"type\":\"call_start\",\"call_id\":\"c-2\",\"ts\":1795939200000,"
			       "\"operator\":\"op-7\",\"ani\":null}\r"),
			 EVENT_OK);
	assert_int_equal(f->event.ts_ms, INT64_C(1795939200000));
	assert_string_equal(f->event.agency, "");
	assert_string_equal(f->event.position, "");
	assert_string_equal(f->event.ani, "");
}

static void test_call_end(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		enum released_by who;
	} cases[] = {
		{"operator", RELEASED_BY_OPERATOR},
		{"caller", RELEASED_BY_CALLER},
		{"system", RELEASED_BY_SYSTEM},
		{"unknown", RELEASED_BY_UNKNOWN},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_end\",\"call_id\":\"c-1\",\"ts\":\"2026-11-29T02:00:05-"
			 "06:00\","
			 "\"released_by\":\"%s\",\"operator\":\"op-7\"}",
			 cases[i].name);
		assert_int_equal(parse(f, line), EVENT_OK);
		assert_int_equal(f->event.type, EVENT_CALL_END);
		assert_int_equal(f->event.released_by, cases[i].who);
		assert_int_equal(f->event.ts_ms, INT64_C(1795939205000));
		assert_string_equal(f->event.operator_id, "op-7");
		assert_string_equal(event_released_by_name(cases[i].who), cases[i].name);
	}
}

static void test_incident_and_transfer(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
		parse(f,
		      "{\"type\":\"incident\",\"call_id\":\"c-1\",\"ts\":\"2026-11-29T08:00:03Z\","
		      "\"incident_id\":\"I-2026-0042\"}"),
		EVENT_OK);
	assert_int_equal(f->event.type, EVENT_INCIDENT);
	assert_string_equal(f->event.incident_id, "I-2026-0042");
	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c-1\",\"ts\":\"2026-11-"
				  "29T08:00:03Z\"}"),
			 EVENT_OK);
	assert_string_equal(f->event.incident_id, "");
	assert_int_equal(
		parse(f,
		      "{\"type\":\"transfer\",\"call_id\":\"c-1\",\"ts\":\"2026-11-29T08:00:04Z\","
		      "\"to\":\"EMS\"}"),
		EVENT_OK);
	assert_int_equal(f->event.type, EVENT_TRANSFER);
	assert_string_equal(f->event.transfer_to, "EMS");
}

static void test_invalid_json(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "{\"type\":\"call_start\"", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected end of line at byte 20");
	assert_rejected(f, "", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected end of line at byte 0");
	assert_rejected(f, "{'type':'call_start'}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: expected a string at byte 1");
	assert_rejected(f, "{\"type\":\"call_end\"} {}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected data after the JSON value at byte 20");
	assert_rejected(f, "\x01\x02\xff garbage", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected character at byte 0");
	assert_rejected(f, "{\"a\":0x1}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: expected ',' or '}' at byte 6");
	assert_rejected(f, "{\"a\":01}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: invalid number at byte 5");
	assert_rejected(f, "{\"a\":1.}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: invalid number at byte 7");
	assert_rejected(f, "{\"a\":1,}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: expected a string at byte 7");
	assert_rejected(f, "{\"a\" 1}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: expected ':' after a key at byte 5");
	assert_rejected(f, "{\"a\":tru}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected character at byte 5");
	assert_rejected(f, "{\"a\":\"x\ty\"}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: control character in string at byte 7");
	assert_rejected(f, "{\"a\":\"\\ud800\"}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unpaired UTF-16 surrogate in \\u escape at byte 12");
	assert_rejected(f, "{\"a\":\"\\q\"}", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: invalid escape in string at byte 7");
	/* Unknown members may hold anything valid, nested included. */
	assert_int_equal(parse(f, "{\"x\":[1,2.5e3,{\"y\":[[[]]],\"z\":null}],\"type\":"
				  "\"incident\",\"call_id\":\"c\","
				  "\"w\":\"\\ud83d\\ude00\\n\",\"ts\":0}"),
			 EVENT_OK);
	/* Escapes are decoded in the fields read. */
	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c\\u00e9\\\"1\",\"ts\":0}"),
			 EVENT_OK);
	assert_string_equal(f->event.call_id, "c\xc3\xa9\"1");
	/* Whitespace after the object is fine. */
	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0}  \t"),
			 EVENT_OK);
}

static void test_invalid_utf8(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c-\xc3\x28\"}",
			EVENT_REJECT_INVALID_UTF8, "invalid UTF-8 at byte 34");
	/* Overlong encodings and UTF-16 surrogates written as UTF-8 are not UTF-8. */
	assert_rejected(f, "{\"a\":\"\xc0\xaf\"}", EVENT_REJECT_INVALID_UTF8,
			"invalid UTF-8 at byte 6");
	assert_rejected(f, "{\"a\":\"\xed\xa0\x80\"}", EVENT_REJECT_INVALID_UTF8,
			"invalid UTF-8 at byte 6");
}

static void test_not_an_object(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "[1,2,3]", EVENT_REJECT_NOT_AN_OBJECT, "line is JSON but not an object");
	assert_rejected(f, "42", EVENT_REJECT_NOT_AN_OBJECT, "line is JSON but not an object");
	assert_rejected(f, "\"call_start\"", EVENT_REJECT_NOT_AN_OBJECT,
			"line is JSON but not an object");
	assert_rejected(f, "true", EVENT_REJECT_NOT_AN_OBJECT, "line is JSON but not an object");
	assert_rejected(f, "42 43", EVENT_REJECT_INVALID_JSON,
			"invalid JSON: unexpected data after the JSON value at byte 3");
}

static void test_missing_fields(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "{\"call_id\":\"c\",\"ts\":0}", EVENT_REJECT_MISSING_FIELD,
			"missing required field \"type\"");
	assert_rejected(f, "{\"type\":\"call_start\",\"ts\":0,\"operator\":\"o\"}",
			EVENT_REJECT_MISSING_FIELD,
			"call_start: missing required field \"call_id\"");
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"operator\":\"o\"}",
			EVENT_REJECT_MISSING_FIELD, "call_start: missing required field \"ts\"");
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0}",
			EVENT_REJECT_MISSING_FIELD,
			"call_start: missing required field \"operator\"");
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0,\"operator\":null}",
			EVENT_REJECT_MISSING_FIELD,
			"call_start: missing required field \"operator\"");
	assert_rejected(f, "{\"type\":\"call_end\",\"call_id\":\"c\",\"ts\":0}",
			EVENT_REJECT_MISSING_FIELD,
			"call_end: missing required field \"released_by\"");
}

static void test_wrong_types(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "{\"type\":7,\"call_id\":\"c\",\"ts\":0}", EVENT_REJECT_WRONG_TYPE,
			"\"type\" must be a string");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":12,\"ts\":0}",
			EVENT_REJECT_WRONG_TYPE, "incident: \"call_id\" must be a string");
	assert_rejected(
		f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":1.5}", EVENT_REJECT_WRONG_TYPE,
		"incident: \"ts\" must be an RFC 3339 string or integer epoch milliseconds");
	assert_rejected(
		f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":true}", EVENT_REJECT_WRONG_TYPE,
		"incident: \"ts\" must be an RFC 3339 string or integer epoch milliseconds");
	assert_rejected(f,
			"{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0,\"operator\":[\"o\"]}",
			EVENT_REJECT_WRONG_TYPE, "call_start: \"operator\" must be a string");
	assert_rejected(f,
			"{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0,\"operator\":\"o\","
			"\"ani\":5045550101}",
			EVENT_REJECT_WRONG_TYPE, "call_start: \"ani\" must be a string");
	assert_rejected(f, "{\"type\":\"call_end\",\"call_id\":\"c\",\"ts\":0,\"released_by\":1}",
			EVENT_REJECT_WRONG_TYPE, "call_end: \"released_by\" must be a string");
	assert_rejected(f, "{\"type\":\"transfer\",\"call_id\":\"c\",\"ts\":0,\"to\":{}}",
			EVENT_REJECT_WRONG_TYPE, "transfer: \"to\" must be a string");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0,\"event_id\":9}",
			EVENT_REJECT_WRONG_TYPE, "incident: \"event_id\" must be a string");
}

static void test_unknown_type(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f, "{\"type\":\"call_hold\",\"call_id\":\"c\",\"ts\":0}",
			EVENT_REJECT_UNKNOWN_TYPE, "unknown event type \"call_hold\"");
}

static void test_bad_timestamps(void **state)
{
	struct fixture *f = *state;

	assert_rejected(f,
			"{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"2026-02-30T00:00:00Z\"}",
			EVENT_REJECT_BAD_TIMESTAMP,
			"incident: \"ts\": date or time out of range: \"2026-02-30T00:00:00Z\"");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"yesterday\"}",
			EVENT_REJECT_BAD_TIMESTAMP,
			"incident: \"ts\": malformed date-time: \"yesterday\"");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":-1}",
			EVENT_REJECT_BAD_TIMESTAMP,
			"incident: \"ts\" epoch milliseconds out of range: -1");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":253402300800000}",
			EVENT_REJECT_BAD_TIMESTAMP,
			"incident: \"ts\" epoch milliseconds out of range: 253402300800000");
}

static void test_operator_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":\"2026-11-29T07:59:00Z\","
				  "\"operator\":\"op-7\","
				  "\"agency\":\"NOPD\",\"position\":\"P3\",\"state\":\"logged_on\","
				  "\"call_id\":\"ignored\"}"),
			 EVENT_OK);
	assert_int_equal(f->event.type, EVENT_OPERATOR_STATE);
	assert_int_equal(f->event.ts_ms, INT64_C(1795939140000));
	assert_int_equal(f->event.state, AGENT_STATE_LOGGED_ON);
	assert_string_equal(f->event.operator_id, "op-7");
	assert_string_equal(f->event.agency, "NOPD");
	assert_string_equal(f->event.position, "P3");
	assert_string_equal(f->event.call_id, ""); /* names no call */
	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":0,\"operator\":\"o\","
				  "\"state\":\"not_available\"}"),
			 EVENT_OK);
	assert_int_equal(f->event.state, AGENT_STATE_NOT_AVAILABLE);
	assert_rejected(
		f,
		"{\"type\":\"operator_state\",\"ts\":0,\"operator\":\"o\",\"state\":\"LoggedIn\"}",
		EVENT_REJECT_BAD_VALUE,
		"operator_state: \"state\" must be one of logged_on, logged_off, available, "
		"not_available");
	assert_rejected(f,
			"{\"type\":\"operator_state\",\"ts\":0,\"operator\":\"o\",\"state\":"
			"\"logged_on_and_off_again\"}",
			EVENT_REJECT_BAD_VALUE,
			"operator_state: \"state\" must be one of logged_on, logged_off, "
			"available, not_available");
	assert_rejected(f, "{\"type\":\"operator_state\",\"ts\":0,\"operator\":\"o\"}",
			EVENT_REJECT_MISSING_FIELD,
			"operator_state: missing required field \"state\"");
	assert_rejected(f, "{\"type\":\"operator_state\",\"ts\":0,\"state\":\"logged_off\"}",
			EVENT_REJECT_MISSING_FIELD,
			"operator_state: missing required field \"operator\"");
	assert_rejected(f, "{\"type\":\"operator_state\",\"ts\":0,\"operator\":\"o\",\"state\":7}",
			EVENT_REJECT_WRONG_TYPE, "operator_state: \"state\" must be a string");
	assert_string_equal(agent_state_name(AGENT_STATE_LOGGED_OFF), "logged_off");
	assert_null(agent_state_name(AGENT_STATE_NONE));
	assert_int_equal(agent_state_from_name("available"), AGENT_STATE_AVAILABLE);
	assert_int_equal(agent_state_from_name("Available"), AGENT_STATE_NONE);
}

/* A call arriving at the agency: a call_id and the agency, no operator (one given is not read). */
static void test_call_offered(void **state)
{
	struct fixture *f = *state;
	struct event start;
	uint64_t offered;

	assert_int_equal(parse(f, "{\"type\":\"call_offered\",\"call_id\":\"c-1\","
				  "\"ts\":\"2026-11-29T07:59:58Z\",\"agency\":\"NOPD\","
				  "\"ani\":\"5045550101\",\"event_id\":\"e-9\",\"seq\":3,"
				  "\"operator\":\"op-7\",\"position\":\"P3\"}"),
			 EVENT_OK);
	assert_int_equal(f->event.type, EVENT_CALL_OFFERED);
	assert_int_equal(f->event.ts_ms, INT64_C(1795939198000));
	assert_string_equal(f->event.call_id, "c-1");
	assert_string_equal(f->event.agency, "NOPD");
	assert_string_equal(f->event.ani, "5045550101");
	assert_string_equal(f->event.event_id, "e-9");
	assert_true(f->event.has_seq);
	assert_int_equal(f->event.seq, 3);
	assert_string_equal(f->event.operator_id, "");
	assert_string_equal(f->event.position, "");
	assert_string_equal(event_type_name(EVENT_CALL_OFFERED), "call_offered");
	/* the call's answer at the same ts is another event */
	assert_int_equal(parse(f, "{\"type\":\"call_offered\",\"call_id\":\"c-1\",\"ts\":9}"),
			 EVENT_OK);
	assert_string_equal(f->event.agency, "");
	offered = event_fingerprint(&f->event);
	assert_int_equal(parse(f, "{\"type\":\"call_start\",\"call_id\":\"c-1\",\"ts\":9,"
				  "\"operator\":\"o\"}"),
			 EVENT_OK);
	start = f->event;
	assert_int_not_equal(event_fingerprint(&start), offered);
	assert_rejected(f, "{\"type\":\"call_offered\",\"ts\":0,\"agency\":\"NOPD\"}",
			EVENT_REJECT_MISSING_FIELD,
			"call_offered: missing required field \"call_id\"");
	assert_rejected(f, "{\"type\":\"call_offered\",\"call_id\":\"c\"}",
			EVENT_REJECT_MISSING_FIELD, "call_offered: missing required field \"ts\"");
	assert_rejected(f, "{\"type\":\"call_offered\",\"call_id\":\"c\",\"ts\":0,"
			   "\"agency\":7}",
			EVENT_REJECT_WRONG_TYPE, "call_offered: \"agency\" must be a string");
	assert_rejected(f, "{\"type\":\"call_offered\",\"call_id\":\"\",\"ts\":0}",
			EVENT_REJECT_BAD_VALUE, "call_offered: \"call_id\" must not be empty");
	assert_rejected(f, "{\"type\":\"call_offered\",\"call_id\":\"c\",\"ts\":0,"
			   "\"ani\":\"123456789012345678901234567890123\"}",
			EVENT_REJECT_FIELD_TOO_LONG,
			"call_offered: \"ani\" is longer than 32 bytes");
	assert_rejected(f, "{\"type\":\"call_offered\",\"call_id\":\"c\",\"ts\":\"noon\"}",
			EVENT_REJECT_BAD_TIMESTAMP,
			"call_offered: \"ts\": malformed date-time: \"noon\"");
	assert_rejected(f, "{\"type\":\"call_Offered\",\"call_id\":\"c\",\"ts\":0}",
			EVENT_REJECT_UNKNOWN_TYPE, "unknown event type \"call_Offered\"");
}

/* Two states of one operator at one time are two events; a resend of one is the same. */
static void test_operator_state_fingerprint(void **state)
{
	struct fixture *f = *state;
	uint64_t on, off, other;

	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":5,\"operator\":\"o\","
				  "\"state\":\"logged_on\"}"),
			 EVENT_OK);
	on = event_fingerprint(&f->event);
	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":5,\"operator\":\"o\","
				  "\"state\":\"logged_off\"}"),
			 EVENT_OK);
	off = event_fingerprint(&f->event);
	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":5,\"operator\":\"p\","
				  "\"state\":\"logged_on\"}"),
			 EVENT_OK);
	other = event_fingerprint(&f->event);
	assert_true(on != off && on != other && off != other);
	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":5,\"operator\":\"o\","
				  "\"state\":\"logged_on\"}"),
			 EVENT_OK);
	assert_int_equal(event_fingerprint(&f->event), on);
}

/* The fingerprint from a call hash the caller already has is the fingerprint: by call (the
 * hash read), by event_id and for an operator_state (the hash not read). */
static void test_fingerprint_from_call_hash(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"type\":\"call_start\",\"call_id\":\"C-1\",\"ts\":5,"
				  "\"operator\":\"o\"}"),
			 EVENT_OK);
	assert_int_equal(event_fingerprint_hashed(&f->event, hash_string("C-1")),
			 event_fingerprint(&f->event));
	assert_true(event_fingerprint_hashed(&f->event, hash_string("C-2")) !=
		    event_fingerprint(&f->event));
	assert_int_equal(parse(f, "{\"type\":\"call_end\",\"call_id\":\"C-1\",\"ts\":6,"
				  "\"event_id\":\"E-9\",\"released_by\":\"caller\"}"),
			 EVENT_OK);
	assert_int_equal(event_fingerprint_hashed(&f->event, 0), event_fingerprint(&f->event));
	assert_int_equal(parse(f, "{\"type\":\"operator_state\",\"ts\":5,\"operator\":\"o\","
				  "\"state\":\"logged_on\"}"),
			 EVENT_OK);
	assert_int_equal(event_fingerprint_hashed(&f->event, 0), event_fingerprint(&f->event));
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;

	assert_rejected(
		f, "{\"type\":\"call_end\",\"call_id\":\"c\",\"ts\":0,\"released_by\":\"bob\"}",
		EVENT_REJECT_BAD_VALUE,
		"call_end: \"released_by\" must be one of operator, caller, system, unknown");
	assert_rejected(
		f,
		"{\"type\":\"call_end\",\"call_id\":\"c\",\"ts\":0,\"released_by\":\"operator-"
		"initiated\"}",
		EVENT_REJECT_BAD_VALUE,
		"call_end: \"released_by\" must be one of operator, caller, system, unknown");
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"\",\"ts\":0,\"operator\":\"o\"}",
			EVENT_REJECT_BAD_VALUE, "call_start: \"call_id\" must not be empty");
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0,\"operator\":\"\"}",
			EVENT_REJECT_BAD_VALUE, "call_start: \"operator\" must not be empty");
	assert_rejected(
		f,
		"{\"type\":\"call_start\",\"call_id\":\"c\\u0000x\",\"ts\":0,\"operator\":\"o\"}",
		EVENT_REJECT_BAD_VALUE, "call_start: \"call_id\" contains a NUL character");
}

static void test_field_too_long(void **state)
{
	struct fixture *f = *state;
	char line[512];
	char id[EVENT_ID_MAX + 2];

	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":0,\"operator\":\"o\"}", id);
	assert_rejected(f, line, EVENT_REJECT_FIELD_TOO_LONG,
			"call_start: \"call_id\" is longer than 64 bytes");
	/* Exactly at the limit is accepted. */
	id[EVENT_ID_MAX] = '\0';
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":0,\"operator\":\"o\"}", id);
	assert_int_equal(parse(f, line), EVENT_OK);
	assert_int_equal(strlen(f->event.call_id), EVENT_ID_MAX);
	assert_rejected(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":0,\"operator\":\"o\","
			   "\"ani\":\"123456789012345678901234567890123\"}",
			EVENT_REJECT_FIELD_TOO_LONG, "call_start: \"ani\" is longer than 32 bytes");
}

static void test_parser_recovers_after_errors(void **state)
{
	struct fixture *f = *state;

	/* A truncated line must not leave tokener state behind for the next one. */
	assert_int_equal(parse(f, "{\"type\":\"call_start\",\"call_id\":\"c"),
			 EVENT_REJECT_INVALID_JSON);
	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c9\",\"ts\":5}"), EVENT_OK);
	assert_string_equal(f->event.call_id, "c9");
	assert_int_equal(f->event.ts_ms, 5);
}

static void test_seq(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0,\"seq\":42}"),
			 EVENT_OK);
	assert_true(f->event.has_seq);
	assert_int_equal(f->event.seq, 42);
	assert_int_equal(parse(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0}"), EVENT_OK);
	assert_false(f->event.has_seq);
	/* Read before everything else: a bad line still tells its seq, so it can be
	 * acknowledged. */
	assert_rejected(f, "{\"type\":\"nope\",\"seq\":7}", EVENT_REJECT_UNKNOWN_TYPE,
			"unknown event type \"nope\"");
	assert_true(f->event.has_seq);
	assert_int_equal(f->event.seq, 7);
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0,\"seq\":\"7\"}",
			EVENT_REJECT_WRONG_TYPE, "\"seq\" must be an integer");
	assert_rejected(f, "{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":0,\"seq\":-1}",
			EVENT_REJECT_BAD_VALUE, "\"seq\" must be from 0 to 2^63 - 2");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(event_reject_name(EVENT_REJECT_LINE_TOO_LONG), "line_too_long");
	assert_string_equal(event_reject_name(EVENT_REJECT_FIELD_TOO_LONG), "field_too_long");
	assert_string_equal(event_reject_name(EVENT_REJECT_COUNT), "unknown");
	assert_string_equal(event_type_name(EVENT_TRANSFER), "transfer");
	assert_null(event_released_by_name(RELEASED_BY_OPERATOR | RELEASED_BY_CALLER));
	assert_int_equal(event_released_by_from_name("system"), RELEASED_BY_SYSTEM);
	assert_int_equal(event_released_by_from_name("nobody"), 0);
}

/* The source a parser of event_parser_new_reading_source read: the name (NULL: none), or with
 * a reason, "" and the reason's detail. */
static void expect_source(struct event_parser *parser, enum event_reject reason,
			  const char *expected)
{
	char why[128] = "unset";

	assert_int_equal(event_parser_source_problem(parser, why, sizeof(why)), reason);
	if (reason != EVENT_OK) {
		assert_string_equal(why, expected);
		assert_string_equal(event_parser_source(parser), "");
	} else if (expected) {
		assert_string_equal(event_parser_source(parser), expected);
	} else {
		assert_null(event_parser_source(parser));
	}
}

/* A parser of event_parser_new_reading_source reads "source" with the other members: the last
 * of repeated keys, an escaped key; a name a hello could give (1 to 64 bytes, no NUL, no
 * control character) is a source, any other value refused with the hello's message; no source
 * for any other line (nor for a parser of event_parser_new), whatever came before. */
static void test_source_member(void **state)
{
	struct fixture *fixture = *state;
	struct event_parser *parser = event_parser_new_reading_source();
	char line[256], name[EVENT_ID_MAX + 2];
	struct {
		const char *line;
		enum event_reject reason;
		enum event_reject source_reason;
		const char *source; /* NULL: none; with source_reason, its why */
	} cases[] = {
		{"{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":\"2026-11-29T09:00:00Z\","
		 "\"source\":\"cad-1\"}", EVENT_OK, EVENT_OK, "cad-1"},
		{"{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":\"2026-11-29T09:00:00Z\"}",
		 EVENT_OK, EVENT_OK, NULL},
		{"{\"source\":\"cad-1\",\"source\":\"cad-\\u0032\"}", EVENT_REJECT_MISSING_FIELD,
		 EVENT_OK, "cad-2"},
		{"{\"\\u0073ource\":\"cad-3\"}", EVENT_REJECT_MISSING_FIELD, EVENT_OK, "cad-3"},
		{"{\"source\":\"\"}", EVENT_REJECT_MISSING_FIELD, EVENT_REJECT_BAD_VALUE,
		 "\"source\" must be 1 to 64 bytes"},
		{"{\"source\":7}", EVENT_REJECT_MISSING_FIELD, EVENT_REJECT_WRONG_TYPE,
		 "\"source\" must be a string"},
		{"{\"source\":null}", EVENT_REJECT_MISSING_FIELD, EVENT_REJECT_WRONG_TYPE,
		 "\"source\" must be a string"},
		{"{\"source\":\"a\\u0000b\"}", EVENT_REJECT_MISSING_FIELD, EVENT_REJECT_BAD_VALUE,
		 "\"source\" must be 1 to 64 bytes"},
		{"{\"source\":\"cad\\u0007-1\"}", EVENT_REJECT_MISSING_FIELD,
		 EVENT_REJECT_BAD_VALUE, "\"source\" must not contain control characters"},
		{"{\"source\":\"cad\\u007f\"}", EVENT_REJECT_MISSING_FIELD, EVENT_REJECT_BAD_VALUE,
		 "\"source\" must not contain control characters"},
		/* a NUL anywhere says the length's message, as daemon/acks.c's hello always did */
		{"{\"source\":\"a\\u0007b\\u0000\"}", EVENT_REJECT_MISSING_FIELD,
		 EVENT_REJECT_BAD_VALUE, "\"source\" must be 1 to 64 bytes"},
		{"{\"source\":\"cad-1\",", EVENT_REJECT_INVALID_JSON, EVENT_OK, NULL},
		{"{\"source\":\"cad-1\"} x", EVENT_REJECT_INVALID_JSON, EVENT_OK, NULL},
		{"[\"source\",\"cad-1\"]", EVENT_REJECT_NOT_AN_OBJECT, EVENT_OK, NULL},
		{"{\"note\":{\"source\":\"cad-1\"}}", EVENT_REJECT_MISSING_FIELD, EVENT_OK, NULL},
		{"{\"note\":\"\\\"source\\\":\\\"cad-1\\\"\"}", EVENT_REJECT_MISSING_FIELD,
		 EVENT_OK, NULL},
	};

	assert_non_null(parser);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(event_parser_parse(parser, cases[i].line, strlen(cases[i].line),
						    &fixture->event, fixture->why,
						    sizeof(fixture->why)),
				 cases[i].reason);
		expect_source(parser, cases[i].source_reason, cases[i].source);
	}
	/* EVENT_ID_MAX bytes are a source, one more is too long */
	memset(name, 'n', sizeof(name));
	name[EVENT_ID_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"source\":\"%s\"}", name);
	event_parser_parse(parser, line, strlen(line), &fixture->event, fixture->why,
			   sizeof(fixture->why));
	expect_source(parser, EVENT_OK, name);
	name[EVENT_ID_MAX] = 'n';
	name[EVENT_ID_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"source\":\"%s\"}", name);
	event_parser_parse(parser, line, strlen(line), &fixture->event, fixture->why,
			   sizeof(fixture->why));
	expect_source(parser, EVENT_REJECT_FIELD_TOO_LONG, "\"source\" must be 1 to 64 bytes");
	/* a parser of event_parser_new reads no source */
	assert_int_equal(parse(fixture, "{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":"
				     "\"2026-11-29T09:00:00Z\",\"source\":7}"),
			 EVENT_OK);
	expect_source(fixture->parser, EVENT_OK, NULL);
	event_parser_free(parser);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_start_all_fields),
		cmocka_unit_test(test_source_member),
		cmocka_unit_test(test_call_start_minimal),
		cmocka_unit_test(test_call_end),
		cmocka_unit_test(test_incident_and_transfer),
		cmocka_unit_test(test_operator_state),
		cmocka_unit_test(test_operator_state_fingerprint),
		cmocka_unit_test(test_call_offered),
		cmocka_unit_test(test_fingerprint_from_call_hash),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_bad_timestamps),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_field_too_long),
		cmocka_unit_test(test_parser_recovers_after_errors),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
