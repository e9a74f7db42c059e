/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "mapping.h"
#include "zone.h"

#define MAX_RECORD_BYTES 256

/* The lines emitted so far, each followed by "\n". */
struct emitted {
	char text[4096];
};

static void collect(const char *line, size_t len, void *ctx)
{
	struct emitted *emitted = ctx;
	size_t used = strlen(emitted->text);

	snprintf(emitted->text + used, sizeof emitted->text - used, "%.*s\n", (int)len, line);
}

/* The configuration's mapping NAME from a YAML text (asserting it parses). */
static struct config *parse_config(const char *yaml)
{
	struct config *config = malloc(sizeof(*config));
	struct config_errors errors;

	assert_non_null(config);
	if (config_parse(yaml, strlen(yaml), "test.yaml", config, &errors) != 0)
		fail_msg("%s", errors.message[0]);
	return config;
}

static struct mapping *mapping_from(const char *yaml, const struct zone *zone)
{
	struct config *config = parse_config(yaml);
	struct mapping *mapping = mapping_new(&config->mappings[0], zone, MAX_RECORD_BYTES);

	free(config);
	assert_non_null(mapping);
	return mapping;
}

/* Feed one line; assert the status, the detail and what was emitted by it. */
static void assert_line(struct mapping *mapping, const char *line, enum mapping_status expected,
			const char *expected_why, const char *expected_lines)
{
	struct emitted emitted = { .text = "" };
	char why[256];

	assert_int_equal(
		mapping_line(mapping, line, strlen(line), collect, &emitted, why, sizeof why),
		expected);
	assert_string_equal(why, expected_why);
	assert_string_equal(emitted.text, expected_lines);
}

#define CDR_YAML                                                                                   \
	"mappings:\n"                                                                              \
	"  - name: cdr\n"                                                                          \
	"    format: csv\n"                                                                        \
	"    fields: {call_id: CallID, agency: Agency, operator: AgentID, position: Position,\n"   \
	"             ani: ANI, answer_time: AnswerTime, release_time: ReleaseTime,\n"             \
	"             released_by: ReleasedBy, incident_id: IncidentNo}\n"                         \
	"    time_format: \"%m/%d/%Y %I:%M:%S %p\"\n"                                              \
	"    time_zone: \"-06:00\"\n"                                                              \
	"    released_by_values: {A: operator, C: caller}\n"

#define CDR_HEADER "CallID,Agency,Position,AgentID,ANI,AnswerTime,ReleaseTime,ReleasedBy,IncidentNo"

/* A header, then a row with an incident and one without; the exact lines. */
static void test_csv_rows(void **state)
{
	struct mapping *mapping = mapping_from(CDR_YAML, NULL);

	(void)state;
	assert_line(mapping, CDR_HEADER, MAPPING_SKIPPED, "", "");
	assert_line(
		mapping,
		"C1,KCPD,P06,AG06,5045550506,11/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,INC-3",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C1\",\"ts\":\"2026-11-29T12:02:33.000Z\","
		"\"operator\":\"AG06\",\"agency\":\"KCPD\",\"position\":\"P06\",\"ani\":"
		"\"5045550506\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"C1\",\"ts\":\"2026-11-29T12:02:33.000Z\","
		"\"incident_id\":\"INC-3\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C1\",\"ts\":\"2026-11-29T12:03:42.000Z\","
		"\"released_by\":\"operator\"}\n");
	/* 12:59 PM is 18:59Z; an unlisted code is unknown; empty optional columns are left out */
	assert_line(
		mapping, "\"C2\",,,AG01,,11/29/2026 12:59:00 PM,11/29/2026 01:00:05 PM,X,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C2\",\"ts\":\"2026-11-29T18:59:00.000Z\","
		"\"operator\":\"AG01\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C2\",\"ts\":\"2026-11-29T19:00:05.000Z\","
		"\"released_by\":\"unknown\"}\n");
	/* 12:00:00 AM is midnight; a quoted value with a quote inside is escaped in JSON */
	assert_line(
		mapping, "\"C\"\"3\",K,,AG/1,,11/30/2026 12:00:00 AM,11/30/2026 12:00:09 AM,C,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C\\\"3\",\"ts\":\"2026-11-30T06:00:00."
		"000Z\","
		"\"operator\":\"AG/1\",\"agency\":\"K\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C\\\"3\",\"ts\":\"2026-11-30T06:00:09.000Z\","
		"\"released_by\":\"caller\"}\n");
	assert_line(mapping, "", MAPPING_SKIPPED, "", "");
	mapping_free(mapping);
}

/* Each reject reason with its detail; the rows around a bad one are not affected. */
static void test_csv_rejects(void **state)
{
	struct mapping *mapping = mapping_from(CDR_YAML, NULL);

	(void)state;
	assert_line(mapping, "\xEF\xBB\xBF" CDR_HEADER, MAPPING_SKIPPED, "", ""); /* Excel's BOM */
	assert_line(mapping, "C1,K,P,AG,1,13/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_BAD_TIMESTAMP,
		    "\"AnswerTime\": not a time in the format \"%m/%d/%Y %I:%M:%S %p\": "
		    "\"13/29/2026 06:02:33 AM\"",
		    "");
	assert_line(mapping, "C1,K,P,AG,1,02/30/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_BAD_TIMESTAMP,
		    "\"AnswerTime\": not a time in the format \"%m/%d/%Y %I:%M:%S %p\": "
		    "\"02/30/2026 06:02:33 AM\"",
		    "");
	assert_line(mapping, "C1,K,P,,1,11/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_MISSING_FIELD, "\"AgentID\": missing or empty", "");
	assert_line(mapping, "C1,K,P,AG", MAPPING_REJECT_MISSING_FIELD,
		    "\"AnswerTime\": missing or empty", "");
	assert_line(mapping, "C1,K,P,AG,1,11/29/2026 06:03:43 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_BAD_VALUE, "\"ReleaseTime\" is before \"AnswerTime\"", "");
	assert_line(mapping, "C1,K,P,AG,123456789012345678901234567890123,11/29/2026 06:03:40 AM,"
			     "11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_FIELD_TOO_LONG, "\"ANI\" is longer than 32 bytes", "");
	assert_line(mapping, "C1,\"K\"x", MAPPING_REJECT_BAD_CSV,
		    "not CSV: text after a closing quote at byte 7", "");
	assert_line(
		mapping, "C9,K,,AG,,11/29/2026 06:03:40 AM,11/29/2026 06:03:42 AM,A,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C9\",\"ts\":\"2026-11-29T12:03:40.000Z\","
		"\"operator\":\"AG\",\"agency\":\"K\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C9\",\"ts\":\"2026-11-29T12:03:42.000Z\","
		"\"released_by\":\"operator\"}\n");
	assert_string_equal(mapping_status_name(MAPPING_REJECT_BAD_CSV), "bad_csv");
	assert_string_equal(mapping_status_name(MAPPING_REJECT_RECORD_TOO_LONG), "record_too_long");
	mapping_free(mapping);
}

/* A header without a named column rejects itself and every row of the input; a new input
 * (mapping_reset) reads a header again. */
static void test_bad_header(void **state)
{
	struct mapping *mapping = mapping_from(CDR_YAML, NULL);
	const char *why = "the header has no column \"ReleasedBy\"";

	(void)state;
	assert_line(mapping,
		    "CallID,Agency,Position,AgentID,ANI,AnswerTime,ReleaseTime,Who,IncidentNo",
		    MAPPING_REJECT_BAD_HEADER, why, "");
	assert_line(mapping, "C1,K,P,AG,1,11/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_BAD_HEADER, why, "");
	mapping_reset(mapping);
	assert_line(mapping, CDR_HEADER, MAPPING_SKIPPED, "", "");
	mapping_free(mapping);
}

/* A NUL inside a field rejects the record (bad_value): copied as a C string it would cut the
 * value short, making calls "J\0A" and "J\0B" one call "J" and "AG\0X" another call-taker.
 * So does a field that is not UTF-8. */
static void test_nul_in_field_rejected(void **state)
{
	static const char row[] =
		"C1,KC\0PD,P,AG,1,11/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,";
	struct mapping *csv = mapping_from(CDR_YAML, NULL);
	struct mapping *json = mapping_from("mappings:\n"
					    "  - name: js\n"
					    "    format: json\n"
					    "    fields: {call_id: id, operator: op,"
					    " answer_time: a, release_time: r}\n"
					    "    time_format: epoch_ms\n",
					    NULL);
	struct emitted emitted = { .text = "" };
	char why[256];

	(void)state;
	assert_line(csv, CDR_HEADER, MAPPING_SKIPPED, "", "");
	assert_int_equal(mapping_line(csv, row, sizeof row - 1, collect, &emitted, why, sizeof why),
			 MAPPING_REJECT_BAD_VALUE);
	assert_string_equal(why, "\"Agency\" holds a NUL");
	assert_string_equal(emitted.text, "");
	/* not UTF-8: the whole record, where the engine refused its call_start alone */
	assert_line(csv, "C1,KC\xffPD,P,AG,1,11/29/2026 06:02:33 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_REJECT_BAD_VALUE, "\"Agency\" is not UTF-8", "");
	assert_line(json,
		    "{\"id\":\"J\\u0000A\",\"op\":\"o1\",\"a\":1795939200000,"
		    "\"r\":1795939203000}",
		    MAPPING_REJECT_BAD_VALUE, "\"id\" holds a NUL", "");
	assert_line(json,
		    "{\"id\":\"J\",\"op\":\"o\\u00003\",\"a\":1795939200000,"
		    "\"r\":1795939203000}",
		    MAPPING_REJECT_BAD_VALUE, "\"op\" holds a NUL", "");
	mapping_free(json);
	mapping_free(csv);
}

/* A quoted field over two lines is one record; an open quote at the end of the input is
 * rejected; a record over the byte limit is rejected once, with the line that passed it, and
 * the next line starts a record afresh. */
static void test_multiline_records(void **state)
{
	struct mapping *mapping = mapping_from(CDR_YAML, NULL);
	char why[256];
	char long_line[200];

	(void)state;
	assert_line(mapping, CDR_HEADER, MAPPING_SKIPPED, "", "");
	assert_line(mapping, "C1,\"Kansas", MAPPING_SKIPPED, "", "");
	assert_line(
		mapping, "City\",P,AG,,11/29/2026 06:03:40 AM,11/29/2026 06:03:42 AM,A,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C1\",\"ts\":\"2026-11-29T12:03:40.000Z\","
		"\"operator\":\"AG\",\"agency\":\"Kansas\\nCity\",\"position\":\"P\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C1\",\"ts\":\"2026-11-29T12:03:42.000Z\","
		"\"released_by\":\"operator\"}\n");
	assert_line(mapping, "C2,\"open", MAPPING_SKIPPED, "", "");
	assert_int_equal(mapping_finish(mapping, why, sizeof why), MAPPING_REJECT_BAD_CSV);
	assert_string_equal(why, "not CSV: a quoted field is not closed at the end of the input");
	assert_int_equal(mapping_finish(mapping, why, sizeof why), MAPPING_SKIPPED);
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = '\0';
	assert_line(mapping, "C3,\"", MAPPING_SKIPPED, "", "");
	assert_line(mapping, long_line, MAPPING_SKIPPED, "", "");
	assert_line(mapping, long_line, MAPPING_REJECT_RECORD_TOO_LONG,
		    "a record longer than 256 bytes", "");
	assert_line(
		mapping, "C4,K,,AG,,11/29/2026 06:03:40 AM,11/29/2026 06:03:42 AM,C,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C4\",\"ts\":\"2026-11-29T12:03:40.000Z\","
		"\"operator\":\"AG\",\"agency\":\"K\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C4\",\"ts\":\"2026-11-29T12:03:42.000Z\","
		"\"released_by\":\"caller\"}\n");
	mapping_free(mapping);
}

/* A stray quote on a connection that stays open (a live exporter): the rows after it join its
 * record until the byte limit, which rejects them once, visibly; the rows after that are read
 * again (before, every later row was skipped until a line closed the quote, or the input's end:
 * a day's calls lost with nothing counted). */
static void test_stray_quote_costs_one_record(void **state)
{
	struct mapping *mapping = mapping_from(CDR_YAML, NULL);
	char row[128];
	int rejected_at = 0;

	(void)state;
	assert_line(mapping, CDR_HEADER, MAPPING_SKIPPED, "", "");
	assert_line(mapping, "C0,\"NOPD,P,AG,,11/29/2026 06:03:40 AM,11/29/2026 06:03:42 AM,A,",
		    MAPPING_SKIPPED, "", "");
	for (int i = 1; i <= 4; i++) {
		char why[256];
		struct emitted emitted = { .text = "" };

		snprintf(row, sizeof row,
			 "C%d,NOPD,P,AG,,11/29/2026 06:0%d:40 AM,11/29/2026 06:0%d:42 AM,A,", i, i,
			 i);
		enum mapping_status status =
			mapping_line(mapping, row, strlen(row), collect, &emitted, why, sizeof why);
		if (status == MAPPING_REJECT_RECORD_TOO_LONG) {
			assert_string_equal(why, "a record longer than 256 bytes");
			rejected_at = i;
		} else {
			assert_int_equal(status, MAPPING_SKIPPED);
		}
		assert_string_equal(emitted.text, "");
	}
	/* 63 bytes the first line, 63 each row with its separator: the fourth passes 256 */
	assert_int_equal(rejected_at, 4);
	assert_line(
		mapping, "C5,NOPD,P,AG,,11/29/2026 06:05:40 AM,11/29/2026 06:05:42 AM,A,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C5\",\"ts\":\"2026-11-29T12:05:40.000Z\","
		"\"operator\":\"AG\",\"agency\":\"NOPD\",\"position\":\"P\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C5\",\"ts\":\"2026-11-29T12:05:42.000Z\","
		"\"released_by\":\"operator\"}\n");
	mapping_free(mapping);
}

/* Without a header: columns by number; a constant agency. */
static void test_csv_without_header(void **state)
{
	struct mapping *mapping =
		mapping_from("mappings:\n"
			     "  - name: bare\n"
			     "    format: csv\n"
			     "    header: false\n"
			     "    delimiter: \";\"\n"
			     "    agency: NOPD\n"
			     "    fields: {call_id: \"1\", operator: \"3\", answer_time: \"4\","
			     " release_time: \"5\", released_by: \"2\"}\n"
			     "    time_format: epoch_seconds\n"
			     "    released_by_default: caller\n",
			     NULL);

	(void)state;
	assert_line(
		mapping, "x1;;op-7;1795939200;1795939205.250", MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"x1\",\"ts\":\"2026-11-29T08:00:00.000Z\","
		"\"operator\":\"op-7\",\"agency\":\"NOPD\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"x1\",\"ts\":\"2026-11-29T08:00:05.250Z\","
		"\"released_by\":\"caller\"}\n");
	mapping_free(mapping);
}

/* JSON lines: dotted paths, integers as epoch milliseconds, a null as absent. */
static void test_json_records(void **state)
{
	struct mapping *mapping =
		mapping_from("mappings:\n"
			     "  - name: js\n"
			     "    format: json\n"
			     "    fields: {call_id: id, operator: agent.id, position: agent.seat,"
			     " answer_time: times.answered, release_time: times.released,"
			     " released_by: end, ani: caller}\n"
			     "    time_format: epoch_ms\n"
			     "    released_by_values: {\"1\": operator}\n",
			     NULL);

	(void)state;
	assert_line(
		mapping,
		"{\"id\":\"j1\",\"agent\":{\"id\":\"op-1\",\"seat\":\"P2\"},\"caller\":null,"
		"\"times\":{\"answered\":1795939200000,\"released\":1795939203000},\"end\":1}",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"j1\",\"ts\":\"2026-11-29T08:00:00.000Z\","
		"\"operator\":\"op-1\",\"position\":\"P2\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"j1\",\"ts\":\"2026-11-29T08:00:03.000Z\","
		"\"released_by\":\"operator\"}\n");
	assert_line(mapping, "[1]", MAPPING_REJECT_INVALID_JSON, "not one JSON object", "");
	assert_line(mapping, "{\"id\":\"j1\"} x", MAPPING_REJECT_INVALID_JSON,
		    "not one JSON object", "");
	assert_line(mapping, "{\"id\":{\"a\":1}}", MAPPING_REJECT_BAD_VALUE,
		    "\"id\" must be a string or an integer", "");
	assert_line(mapping,
		    "{\"id\":\"j2\",\"agent\":{\"id\":\"op-1\"},\"times\":{\"answered\":\"soon\"}}",
		    MAPPING_REJECT_BAD_TIMESTAMP,
		    "\"times.answered\": not a time in the format \"epoch_ms\": \"soon\"", "");
	assert_line(mapping, "   ", MAPPING_REJECT_INVALID_JSON, "not one JSON object", "");
	/* strict as a feed line: an unpaired surrogate (json-c alone made it U+FFFD), a comment */
	assert_line(mapping,
		    "{\"id\":\"\\ud800\",\"agent\":{\"id\":\"op-1\"},"
		    "\"times\":{\"answered\":1795939200000,\"released\":1795939203000}}",
		    MAPPING_REJECT_INVALID_JSON, "not one JSON object", "");
	assert_line(mapping, "{\"id\":\"j1\"/* x */}", MAPPING_REJECT_INVALID_JSON,
		    "not one JSON object", "");
	mapping_free(mapping);
}

/* skip_when_empty: a record with an empty (or absent) listed part is an unanswered call,
 * skipped with the part named; the parts are read before anything else, so a record that is
 * not CSV or JSON at all is still rejected, and a skipped part being present lets the record's
 * other faults reject it. */
static void test_unanswered_records_skipped(void **state)
{
	struct mapping *csv =
		mapping_from(CDR_YAML "    skip_when_empty: [operator, answer_time]\n", NULL);
	struct mapping *json =
		mapping_from("mappings:\n"
			     "  - name: js\n"
			     "    format: json\n"
			     "    fields: {call_id: id, operator: agent, answer_time: answered,"
			     " release_time: released}\n"
			     "    time_format: epoch_ms\n"
			     "    skip_when_empty: [answer_time]\n",
			     NULL);

	(void)state;
	assert_line(csv, CDR_HEADER, MAPPING_SKIPPED, "", "");
	assert_line(csv, "C1,KCPD,,,5045550101,,11/29/2026 06:02:30 AM,C,", MAPPING_UNANSWERED,
		    "\"AgentID\" is empty (skip_when_empty)", "");
	assert_line(csv, "C2,KCPD,P1,AG1,,,11/29/2026 06:02:30 AM,C,", MAPPING_UNANSWERED,
		    "\"AnswerTime\" is empty (skip_when_empty)", "");
	assert_line(csv, "C3,KCPD,P1,AG1,,11/29/2026 06:02:00 AM,,C,", MAPPING_REJECT_MISSING_FIELD,
		    "\"ReleaseTime\": missing or empty", "");
	assert_line(csv, ",KCPD,P1,AG1,,11/29/2026 06:02:00 AM,11/29/2026 06:02:09 AM,C,",
		    MAPPING_REJECT_MISSING_FIELD, "\"CallID\": missing or empty", "");
	assert_line(csv, "C4,KCPD,,\"AG\"1,,,,C,", MAPPING_REJECT_BAD_CSV,
		    "not CSV: text after a closing quote at byte 14", "");
	assert_line(
		csv, "C5,KCPD,P1,AG1,,11/29/2026 06:02:00 AM,11/29/2026 06:02:09 AM,C,",
		MAPPING_EVENTS, "",
		"{\"type\":\"call_start\",\"call_id\":\"C5\",\"ts\":\"2026-11-29T12:02:00.000Z\","
		"\"operator\":\"AG1\",\"agency\":\"KCPD\",\"position\":\"P1\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"C5\",\"ts\":\"2026-11-29T12:02:09.000Z\","
		"\"released_by\":\"caller\"}\n");
	assert_line(json, "{\"id\":\"j1\",\"agent\":\"op-1\",\"answered\":null,\"released\":1}",
		    MAPPING_UNANSWERED, "\"answered\" is empty (skip_when_empty)", "");
	assert_line(json, "{\"id\":\"j2\",\"released\":1795939203000}", MAPPING_UNANSWERED,
		    "\"answered\" is empty (skip_when_empty)", "");
	assert_line(json, "{\"id\":\"j3\",\"answered\":[1]}", MAPPING_REJECT_BAD_VALUE,
		    "\"answered\" must be a string or an integer", "");
	assert_line(json, "not json", MAPPING_REJECT_INVALID_JSON, "not one JSON object", "");
	assert_false(mapping_status_rejects(MAPPING_UNANSWERED));
	assert_false(mapping_status_rejects(MAPPING_SKIPPED));
	assert_true(mapping_status_rejects(MAPPING_REJECT_BAD_CSV));
	assert_string_equal(mapping_status_name(MAPPING_UNANSWERED), "unanswered");
	mapping_free(csv);
	mapping_free(json);
}

/* iso8601: with an offset as given; without one, local time in the zone, the fall-back hour
 * read as configured. */
static void test_iso8601_and_zone(void **state)
{
	struct zone *zone = calloc(1, sizeof(*zone));
	static const char yaml_format[] = "mappings:\n"
					  "  - name: iso\n"
					  "    format: csv\n"
					  "    header: false\n"
					  "    fields: {call_id: \"1\", operator: \"2\", "
					  "answer_time: \"3\", release_time: \"4\"}\n"
					  "    time_zone: America/Chicago\n"
					  "    ambiguous_time: %s\n";
	char yaml[512];

	(void)state;
	assert_non_null(zone);
	zone->initial_offset_seconds = -6 * 3600;
	zone->transition_count = 2;
	zone->transition_at[0] = INT64_C(1772956800); /* 2026-03-08T08:00:00Z: CDT */
	zone->offset_after[0] = -5 * 3600;
	zone->transition_at[1] = INT64_C(1793516400); /* 2026-11-01T07:00:00Z: CST */
	zone->offset_after[1] = -6 * 3600;
	snprintf(yaml, sizeof yaml, yaml_format, "earlier");
	struct mapping *mapping = mapping_from(yaml, zone);
	assert_line(mapping, "a,op,2026-11-01T01:30:00,2026-11-01 01:30:10.5", MAPPING_EVENTS, "",
		    "{\"type\":\"call_start\",\"call_id\":\"a\",\"ts\":\"2026-11-01T06:30:00."
		    "000Z\",\"operator\":\"op\"}\n"
		    "{\"type\":\"call_end\",\"call_id\":\"a\",\"ts\":\"2026-11-01T06:30:10.500Z\","
		    "\"released_by\":\"unknown\"}\n");
	assert_line(mapping, "b,op,2026-07-04T12:00:00-05:00,2026-07-04 12:00", MAPPING_EVENTS, "",
		    "{\"type\":\"call_start\",\"call_id\":\"b\",\"ts\":\"2026-07-04T17:00:00."
		    "000Z\",\"operator\":\"op\"}\n"
		    "{\"type\":\"call_end\",\"call_id\":\"b\",\"ts\":\"2026-07-04T17:00:00.000Z\","
		    "\"released_by\":\"unknown\"}\n");
	mapping_free(mapping);
	snprintf(yaml, sizeof yaml, yaml_format, "later");
	mapping = mapping_from(yaml, zone);
	assert_line(mapping, "a,op,2026-11-01T01:30:00,2026-11-01T07:30:10Z", MAPPING_EVENTS, "",
		    "{\"type\":\"call_start\",\"call_id\":\"a\",\"ts\":\"2026-11-01T07:30:00."
		    "000Z\",\"operator\":\"op\"}\n"
		    "{\"type\":\"call_end\",\"call_id\":\"a\",\"ts\":\"2026-11-01T07:30:10.000Z\","
		    "\"released_by\":\"unknown\"}\n");
	mapping_free(mapping);
	free(zone);
}

static void test_time_formats_checked(void **state)
{
	const char *why = NULL;
	int32_t offset = 1;

	(void)state;
	assert_true(mapping_time_format_valid("%Y-%m-%d %H:%M:%S", &why));
	assert_true(mapping_time_format_valid("%d.%m.%Y %H:%M", &why));
	assert_true(mapping_time_format_valid("epoch_ms", &why));
	assert_false(mapping_time_format_valid("%Y-%m-%d %I:%M", &why));
	assert_string_equal(why, "a pattern needs %Y, %m, %d, %M and either %H or both %I and %p");
	assert_false(mapping_time_format_valid("%Y-%m-%d %H:%M %Z", &why));
	assert_string_equal(
		why, "must be iso8601, epoch_seconds, epoch_ms or a pattern of %Y %m %d %H %I "
		     "%M %S %p %f %% and literal text");
	assert_false(mapping_time_format_valid("%Y %Y-%m-%d %H:%M", &why));
	assert_string_equal(why, "a pattern may use each directive once");
	assert_true(mapping_fixed_zone("UTC", &offset));
	assert_int_equal(offset, 0);
	assert_true(mapping_fixed_zone("-05:30", &offset));
	assert_int_equal(offset, -19800);
	assert_false(mapping_fixed_zone("-24:00", &offset));
	assert_true(mapping_zone_name_valid("America/Argentina/Buenos_Aires"));
	assert_true(mapping_zone_name_valid("Etc/GMT+6"));
	assert_false(mapping_zone_name_valid("../etc/passwd"));
	assert_false(mapping_zone_name_valid("/etc/localtime"));
	assert_false(mapping_zone_name_valid("America/New York"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_rows),
		cmocka_unit_test(test_csv_rejects),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_multiline_records),
		cmocka_unit_test(test_stray_quote_costs_one_record),
		cmocka_unit_test(test_csv_without_header),
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_nul_in_field_rejected),
		cmocka_unit_test(test_unanswered_records_skipped),
		cmocka_unit_test(test_iso8601_and_zone),
		cmocka_unit_test(test_time_formats_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
