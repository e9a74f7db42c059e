/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Vendor records (lib/mapping.h, lib/csv.h) on arbitrary bytes: the first byte picks a
 * mapping (CSV with a header, CSV by column numbers with ';', JSON lines), the rest is split
 * at "\n" into lines. Every line is also split by csv_split on its own. Each record may
 * become at most MAPPING_MAX_EVENTS lines (none when skipped as unanswered: skip_when_empty of
 * the first and third mappings), and every line a mapping emits must be a
 * well-formed feed line: the event parser may refuse only bytes the record carried (invalid
 * UTF-8, a NUL cutting a value short), never the line's structure, type or time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "event.h"
#include "fuzz_common.h"
#include "mapping.h"

#define MAX_RECORD_BYTES 512

static const char mappings_yaml[] =
	"mappings:\n"
	"  - name: cdr\n"
	"    format: csv\n"
	"    fields: {call_id: CallID, agency: Agency, operator: AgentID, position: Position, ani: "
	"ANI,\n"
	"             answer_time: AnswerTime, release_time: ReleaseTime, released_by: "
	"ReleasedBy,\n"
	"             incident_id: IncidentNo}\n"
	"    time_format: \"%m/%d/%Y %I:%M:%S %p\"\n"
	"    time_zone: America/Chicago\n"
	"    released_by_values: {A: operator, C: caller}\n"
	"    skip_when_empty: [operator, answer_time]\n"
	"  - name: numbered\n"
	"    format: csv\n"
	"    header: false\n"
	"    delimiter: \";\"\n"
	"    agency: PD\n"
	"    fields: {call_id: \"1\", operator: \"2\", answer_time: \"3\", release_time: \"4\","
	" released_by: \"5\"}\n"
	"    time_format: epoch_seconds\n"
	"  - name: lines\n"
	"    format: json\n"
	"    fields: {call_id: id, operator: agent.id, answer_time: t.a, release_time: t.r,"
	" incident_id: inc}\n"
	"    time_format: iso8601\n"
	"    time_zone: \"-06:00\"\n"
	"    skip_when_empty: [answer_time]\n";

static struct config config;
static struct zone chicago; /* 2026: CDT from 03-08T08:00Z to 11-01T07:00Z */
static struct event_parser *parser;
static size_t lines_of_record;

static void setup(void)
{
	struct config_errors errors;

	if (config_parse(mappings_yaml, strlen(mappings_yaml), "fuzz", &config, &errors) != 0)
		abort();
	chicago.initial_offset_seconds = -6 * 3600;
	chicago.transition_count = 2;
	chicago.transition_at[0] = INT64_C(1772956800);
	chicago.offset_after[0] = -5 * 3600;
	chicago.transition_at[1] = INT64_C(1793516400);
	chicago.offset_after[1] = -6 * 3600;
	parser = event_parser_new();
	if (!parser)
		abort();
}

/* Each emitted line: a well-formed feed line, at most MAPPING_MAX_EVENTS per record. */
static void check_line(const char *line, size_t len, void *ctx)
{
	struct event event;
	char why[256];
	enum event_reject reject = event_parser_parse(parser, line, len, &event, why, sizeof(why));

	(void)ctx;
	if (++lines_of_record > MAPPING_MAX_EVENTS || len > MAPPING_LINE_MAX)
		abort();
	if (reject != EVENT_OK && reject != EVENT_REJECT_INVALID_UTF8 &&
	    reject != EVENT_REJECT_BAD_VALUE)
		abort();
}

static void split_alone(const char *line, size_t len)
{
	static char scratch[1 << 16];
	struct csv_record record;
	size_t offset;

	if (len <= sizeof(scratch) &&
	    csv_split(line, len, ',', scratch, &record, &offset) == CSV_OK && record.count == 0)
		abort(); /* a record has at least one field */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1, *end = (const char *)data + size;
	struct mapping *mapping;
	char why[256];

	if (!parser)
		setup();
	if (size == 0)
		return 0;
	unsigned pick = data[0] % 3;
	mapping =
		mapping_new(&config.mappings[pick], pick == 0 ? &chicago : NULL, MAX_RECORD_BYTES);
	if (!mapping)
		return 0;
	while (text < end) {
		const char *newline = memchr(text, '\n', (size_t)(end - text));
		size_t len = (size_t)((newline ? newline : end) - text);
		lines_of_record = 0;
		split_alone(text, len);
		enum mapping_status status =
			mapping_line(mapping, text, len, check_line, NULL, why, sizeof(why));
		if ((status == MAPPING_EVENTS) != (lines_of_record > 0) ||
		    strlen(why) >= sizeof(why))
			abort();
		text += len + 1;
	}
	mapping_finish(mapping, why, sizeof(why));
	mapping_free(mapping);
	return 0;
}
