/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "mapping.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "csv.h"
#include "event.h"
#include "json_out.h"
#include "json_scan.h"
#include "timestamp.h"

#define SHOWN_MAX 64   /* bytes of a bad value quoted in a reject detail */
#define BOM "\xEF\xBB\xBF"

/* The parts of a call a mapping finds in a record, in config_mapping_fields order. */
enum part { PART_CALL_ID, PART_AGENCY, PART_OPERATOR, PART_POSITION, PART_ANI, PART_ANSWER_TIME,
	    PART_RELEASE_TIME, PART_RELEASED_BY, PART_INCIDENT_ID, PART_COUNT };

/* One part's text in the record being read ("" when absent). */
struct part_value {
	const char *text;
	size_t len;
};

struct mapping {
	struct config_mapping config;
	const char *part_names[PART_COUNT]; /* into config.fields; "" = not in the record */
	struct zone zone;
	uint32_t max_record_bytes;
	char *pending;          /* a CSV record whose quotes are still open, lines joined by "\n" */
	size_t pending_len;
	bool pending_active;
	char *scratch;          /* csv_split's unquoted fields */
	bool header_read;       /* csv with header: the input's header was seen */
	char header_problem[160]; /* why the header could not be used; "" when it could */
	int column[PART_COUNT]; /* csv: 0-based column of each part; -1 = not in the record */
	struct json_tokener *tokener;
};

/* ---- names and checks ------------------------------------------------------------------ */

static const char *const status_names[MAPPING_STATUS_COUNT] = {
	[MAPPING_EVENTS] = "ok",
	[MAPPING_SKIPPED] = "skipped",
	[MAPPING_UNANSWERED] = "unanswered",
	[MAPPING_REJECT_BAD_CSV] = "bad_csv",
	[MAPPING_REJECT_INVALID_JSON] = "invalid_json",
	[MAPPING_REJECT_BAD_HEADER] = "bad_header",
	[MAPPING_REJECT_MISSING_FIELD] = "missing_field",
	[MAPPING_REJECT_BAD_TIMESTAMP] = "bad_timestamp",
	[MAPPING_REJECT_BAD_VALUE] = "bad_value",
	[MAPPING_REJECT_FIELD_TOO_LONG] = "field_too_long",
	[MAPPING_REJECT_RECORD_TOO_LONG] = "record_too_long",
};

const char *mapping_status_name(enum mapping_status status)
{
	return (unsigned)status < MAPPING_STATUS_COUNT ? status_names[status] : "?";
}

bool mapping_status_rejects(enum mapping_status status)
{
	return status >= MAPPING_REJECT_FIRST && status < MAPPING_STATUS_COUNT;
}

const struct config_mapping *mapping_find(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->mapping_count && i < CONFIG_MAX_MAPPINGS; i++)
		if (strcmp(config->mappings[i].name, name) == 0)
			return &config->mappings[i];
	return NULL;
}

/* Read exactly count digits at *p (advancing it). */
static bool read_digits(const char **p, const char *end, size_t count, unsigned *value)
{
	*value = 0;
	for (size_t i = 0; i < count; i++, (*p)++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return false;
		*value = *value * 10 + (unsigned)(**p - '0');
	}
	return true;
}

bool mapping_fixed_zone(const char *time_zone, int32_t *offset_seconds)
{
	const char *p = time_zone + 1, *end = time_zone + strlen(time_zone);
	unsigned hours, minutes;

	if (strcmp(time_zone, "UTC") == 0) {
		*offset_seconds = 0;
		return true;
	}
	if ((time_zone[0] != '+' && time_zone[0] != '-') || end - time_zone != 6 ||
	    !read_digits(&p, end, 2, &hours) || *p++ != ':' || !read_digits(&p, end, 2, &minutes) ||
	    hours > 23 || minutes > 59)
		return false;
	*offset_seconds = (int32_t)(hours * 3600 + minutes * 60) * (time_zone[0] == '-' ? -1 : 1);
	return true;
}

static bool is_zone_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '/' || c == '_' || c == '+' || c == '-';
}

bool mapping_zone_name_valid(const char *time_zone)
{
	size_t len = strlen(time_zone);

	if (len == 0 || len >= CONFIG_TIME_ZONE_MAX || time_zone[0] == '/' ||
	    strstr(time_zone, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_zone_name_char(time_zone[i]))
			return false;
	return true;
}

static bool is_named_format(const char *format)
{
	return strcmp(format, "iso8601") == 0 || strcmp(format, "epoch_seconds") == 0 ||
	       strcmp(format, "epoch_ms") == 0;
}

bool mapping_time_format_valid(const char *format, const char **why)
{
	bool seen[128] = {false};

	if (is_named_format(format))
		return true;
	for (const char *p = format; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (!*p || !strchr("YmdHIMSpf%", *p)) {
			*why = "must be iso8601, epoch_seconds, epoch_ms or a pattern of "
			       "%Y %m %d %H %I %M %S %p %f %% and literal text";
			return false;
		}
		if (*p != '%' && seen[(unsigned char)*p]) {
			*why = "a pattern may use each directive once";
			return false;
		}
		seen[(unsigned char)*p] = true;
	}
	if (!seen['Y'] || !seen['m'] || !seen['d'] || !seen['M'] ||
	    !(seen['H'] != (seen['I'] && seen['p'])) || (seen['I'] != seen['p'])) {
		*why = "a pattern needs %Y, %m, %d, %M and either %H or both %I and %p";
		return false;
	}
	return true;
}

/* ---- reading times --------------------------------------------------------------------- */

/* A local date and time as a pattern reads it. */
struct civil_time {
	unsigned year, month, day, hour, minute, second;
	int64_t fraction_ms;
	int pm;                /* -1 no %p, 0 AM, 1 PM */
};

/* Read 1 or 2 digits (up to max) at *p. */
static bool read_small(const char **p, const char *end, unsigned max, unsigned *value)
{
	size_t count = 0;

	*value = 0;
	while (count < 2 && *p < end && isdigit((unsigned char)**p)) {
		*value = *value * 10 + (unsigned)(**p - '0');
		(*p)++;
		count++;
	}
	return count > 0 && *value <= max;
}

/* %f: an optional "." (or ",") and digits, truncated to milliseconds. */
static bool read_fraction(const char **p, const char *end, int64_t *ms)
{
	int64_t scale = 100;

	*ms = 0;
	if (*p >= end || (**p != '.' && **p != ','))
		return true;
	(*p)++;
	if (*p >= end || !isdigit((unsigned char)**p))
		return false;
	for (; *p < end && isdigit((unsigned char)**p); (*p)++, scale /= 10)
		*ms += (**p - '0') * scale;
	return true;
}

static bool read_meridian(const char **p, const char *end, int *pm)
{
	if (end - *p < 2 || (toupper((unsigned char)(*p)[1]) != 'M'))
		return false;
	if (toupper((unsigned char)**p) != 'A' && toupper((unsigned char)**p) != 'P')
		return false;
	*pm = toupper((unsigned char)**p) == 'P';
	*p += 2;
	return true;
}

/* One directive of a pattern at *p. */
static bool read_directive(char directive, const char **p, const char *end, struct civil_time *t)
{
	switch (directive) {
	case 'Y': return read_digits(p, end, 4, &t->year);
	case 'm': return read_small(p, end, 12, &t->month);
	case 'd': return read_small(p, end, 31, &t->day);
	case 'H': return read_small(p, end, 23, &t->hour);
	case 'I': return read_small(p, end, 12, &t->hour) && t->hour >= 1;
	case 'M': return read_small(p, end, 59, &t->minute);
	case 'S': return read_small(p, end, 60, &t->second);
	case 'p': return read_meridian(p, end, &t->pm);
	case 'f': return read_fraction(p, end, &t->fraction_ms);
	default: return *p < end && *(*p)++ == '%';
	}
}

/* Read text with a %-pattern; the whole text must match. */
static bool read_pattern(const char *format, const char *text, size_t len, struct civil_time *t)
{
	const char *p = text, *end = text + len;

	*t = (struct civil_time){ .pm = -1 };
	for (const char *f = format; *f; f++) {
		if (*f == '%') {
			if (!read_directive(*++f, &p, end, t))
				return false;
		} else if (p >= end || *p++ != *f) {
			return false;
		}
	}
	if (t->pm >= 0)
		t->hour = t->hour % 12 + (t->pm ? 12 : 0);
	if (t->second == 60) { /* a leap second, as RFC 3339 parsing takes it */
		t->second = 59;
		t->fraction_ms = 999;
	}
	return p == end;
}

/* A local civil time to UTC milliseconds through the zone; false when not a real date. */
static bool civil_to_utc_ms(const struct mapping *mapping, const struct civil_time *t, int64_t *ms)
{
	if (t->year < 1970 || t->month < 1 || t->day < 1 ||
	    t->day > timestamp_days_in_month(t->year, t->month))
		return false;
	int64_t local = timestamp_days_from_civil(t->year, t->month, t->day) * 86400 +
			t->hour * 3600 + t->minute * 60 + t->second;
	enum zone_ambiguity ambiguity = mapping->config.ambiguous_time == CONFIG_AMBIGUOUS_LATER
						? ZONE_LATER
						: ZONE_EARLIER;
	*ms = zone_local_to_utc(&mapping->zone, local, ambiguity) * 1000 + t->fraction_ms;
	return *ms >= TIMESTAMP_MIN_MS && *ms <= TIMESTAMP_MAX_MS;
}

/* Digits with an optional fraction as epoch seconds (or milliseconds). */
static bool read_epoch(const char *text, size_t len, bool milliseconds, int64_t *ms)
{
	const char *p = text, *end = text + len;
	int64_t whole = 0, fraction = 0;

	if (p == end)
		return false;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (whole > TIMESTAMP_MAX_MS)
			return false;
		whole = whole * 10 + (*p - '0');
	}
	if (!milliseconds && !read_fraction(&p, end, &fraction))
		return false;
	*ms = milliseconds ? whole : whole * 1000 + fraction;
	return p == end && whole <= TIMESTAMP_MAX_MS && *ms <= TIMESTAMP_MAX_MS;
}

/* iso8601: RFC 3339 with an offset, or a local "YYYY-MM-DD[T ]HH:MM[:SS][.fff]". */
static bool read_iso8601(const struct mapping *mapping, const char *text, size_t len, int64_t *ms)
{
	char local[48];
	struct civil_time t;
	const char *why;

	if (timestamp_parse_rfc3339(text, len, ms, &why) == 0)
		return true;
	if (len >= sizeof local || len < 16)
		return false;
	memcpy(local, text, len);
	local[len] = '\0';
	if (local[10] == 'T' || local[10] == 't')
		local[10] = ' ';
	if (!read_pattern(len > 16 ? "%Y-%m-%d %H:%M:%S%f" : "%Y-%m-%d %H:%M", local, len, &t))
		return false;
	return civil_to_utc_ms(mapping, &t, ms);
}

static bool read_time(const struct mapping *mapping, const char *text, size_t len, int64_t *ms)
{
	const char *format = mapping->config.time_format;
	struct civil_time t;

	if (strcmp(format, "iso8601") == 0)
		return read_iso8601(mapping, text, len, ms);
	if (strcmp(format, "epoch_seconds") == 0 || strcmp(format, "epoch_ms") == 0)
		return read_epoch(text, len, strcmp(format, "epoch_ms") == 0, ms);
	return read_pattern(format, text, len, &t) && civil_to_utc_ms(mapping, &t, ms);
}

/* ---- building the events --------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void explain(char *why, size_t why_size, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	if (vsnprintf(why, why_size, format, args) < 0)
		why[0] = '\0';
	va_end(args);
}

/* "NAME" of a part as the mapping names it, for messages. */
static const char *part_label(const struct mapping *mapping, enum part part)
{
	return mapping->part_names[part];
}

/* A part as a NUL-terminated string of at most max bytes, into out (max + 1). */
static enum mapping_status take_text(const struct mapping *mapping, const struct part_value *values,
				     enum part part, size_t max, bool required, char *out,
				     char *why, size_t why_size)
{
	const struct part_value *value = &values[part];

	if (value->len == 0 && required) {
		explain(why, why_size, "\"%s\": missing or empty", part_label(mapping, part));
		return MAPPING_REJECT_MISSING_FIELD;
	}
	if (value->len > max) {
		explain(why, why_size, "\"%s\" is longer than %zu bytes", part_label(mapping, part),
			max);
		return MAPPING_REJECT_FIELD_TOO_LONG;
	}
	/* Copied as a C string, a NUL would cut the value short: "J\0A" and "J\0B" one call. */
	if (memchr(value->text, '\0', value->len)) {
		explain(why, why_size, "\"%s\" holds a NUL", part_label(mapping, part));
		return MAPPING_REJECT_BAD_VALUE;
	}
	/* here, not by the engine line by line: a record is taken whole or not at all */
	if (!json_scan_utf8_valid(value->text, value->len)) {
		explain(why, why_size, "\"%s\" is not UTF-8", part_label(mapping, part));
		return MAPPING_REJECT_BAD_VALUE;
	}
	memcpy(out, value->text, value->len);
	out[value->len] = '\0';
	return MAPPING_EVENTS;
}

static enum mapping_status take_time(const struct mapping *mapping, const struct part_value *values,
				     enum part part, int64_t *ms, char *why, size_t why_size)
{
	const struct part_value *value = &values[part];
	int shown = value->len > SHOWN_MAX ? SHOWN_MAX : (int)value->len;

	if (value->len == 0) {
		explain(why, why_size, "\"%s\": missing or empty", part_label(mapping, part));
		return MAPPING_REJECT_MISSING_FIELD;
	}
	if (!read_time(mapping, value->text, value->len, ms)) {
		explain(why, why_size, "\"%s\": not a time in the format \"%s\": \"%.*s\"",
			part_label(mapping, part), mapping->config.time_format, shown, value->text);
		return MAPPING_REJECT_BAD_TIMESTAMP;
	}
	return MAPPING_EVENTS;
}

/* skip_when_empty: MAPPING_UNANSWERED, with why, when one of its parts is empty. */
static enum mapping_status check_answered(const struct mapping *mapping,
					  const struct part_value *values, char *why,
					  size_t why_size)
{
	for (int part = 0; part < PART_COUNT; part++) {
		if (!(mapping->config.skip_when_empty & CONFIG_MAPPING_PART(part)) ||
		    values[part].len > 0)
			continue;
		explain(why, why_size, "\"%s\" is empty (skip_when_empty)",
			part_label(mapping, (enum part)part));
		return MAPPING_UNANSWERED;
	}
	return MAPPING_EVENTS;
}

/* Who released: the configured meaning of the value, or the default. */
static enum released_by take_released_by(const struct mapping *mapping,
					 const struct part_value *value)
{
	const struct config_mapping *config = &mapping->config;

	for (size_t i = 0; i < config->released_by_value_count; i++)
		if (strlen(config->released_by_values[i].from) == value->len &&
		    memcmp(config->released_by_values[i].from, value->text, value->len) == 0)
			return (enum released_by)config->released_by_values[i].released_by;
	return (enum released_by)config->released_by_default;
}

/* A call as one record describes it. */
struct call_record {
	char call_id[EVENT_ID_MAX + 1];
	char agency[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
	char incident_id[EVENT_ID_MAX + 1];
	int64_t answer_ms, release_ms;
	enum released_by released_by;
};

static enum mapping_status take_call(const struct mapping *mapping, const struct part_value *values,
				     struct call_record *call, char *why, size_t why_size)
{
	enum mapping_status status = take_text(mapping, values, PART_CALL_ID, EVENT_ID_MAX, true,
					       call->call_id, why, why_size);

	if (status == MAPPING_EVENTS)
		status = take_text(mapping, values, PART_OPERATOR, EVENT_ID_MAX, true,
				   call->operator_id, why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_text(mapping, values, PART_AGENCY, EVENT_ID_MAX, false, call->agency,
				   why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_text(mapping, values, PART_POSITION, EVENT_ID_MAX, false,
				   call->position, why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_text(mapping, values, PART_ANI, EVENT_ANI_MAX, false, call->ani, why,
				   why_size);
	if (status == MAPPING_EVENTS)
		status = take_text(mapping, values, PART_INCIDENT_ID, EVENT_ID_MAX, false,
				   call->incident_id, why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_time(mapping, values, PART_ANSWER_TIME, &call->answer_ms, why,
				   why_size);
	if (status == MAPPING_EVENTS)
		status = take_time(mapping, values, PART_RELEASE_TIME, &call->release_ms, why,
				   why_size);
	if (status == MAPPING_EVENTS && call->release_ms < call->answer_ms) {
		explain(why, why_size, "\"%s\" is before \"%s\"",
			part_label(mapping, PART_RELEASE_TIME),
			part_label(mapping, PART_ANSWER_TIME));
		status = MAPPING_REJECT_BAD_VALUE;
	}
	if (status == MAPPING_EVENTS && !call->agency[0])
		snprintf(call->agency, sizeof call->agency, "%s", mapping->config.agency);
	call->released_by = take_released_by(mapping, &values[PART_RELEASED_BY]);
	return status;
}

/* Start an event object: type, call_id, ts. */
static struct json_object *event_object(const char *type, const struct call_record *call,
					int64_t ts_ms)
{
	struct json_object *object = json_object_new_object();
	char ts[TIMESTAMP_TEXT_MAX];

	timestamp_format(ts_ms, ts);
	if (object && json_out_add_string(object, "type", type) &&
	    json_out_add_string(object, "call_id", call->call_id) &&
	    json_out_add_string(object, "ts", ts))
		return object;
	json_object_put(object);
	return NULL;
}

/* Add key: value when value is not empty. */
static bool add_optional(struct json_object *object, const char *key, const char *value)
{
	return !value[0] || json_out_add_string(object, key, value);
}

/* Emit object as one line and release it; false when it could not be built. */
static bool emit_object(struct json_object *object, bool built, mapping_emit_fn *emit, void *ctx)
{
	const char *text =
		built && object
			? json_object_to_json_string_ext(
				  object, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			: NULL;

	if (text)
		emit(text, strlen(text), ctx);
	json_object_put(object);
	return text != NULL;
}

static bool emit_call(const struct call_record *call, mapping_emit_fn *emit, void *ctx)
{
	struct json_object *start = event_object("call_start", call, call->answer_ms);
	bool ok = emit_object(start,
			      start && json_out_add_string(start, "operator", call->operator_id) &&
				      add_optional(start, "agency", call->agency) &&
				      add_optional(start, "position", call->position) &&
				      add_optional(start, "ani", call->ani),
			      emit, ctx);

	if (ok && call->incident_id[0]) {
		struct json_object *incident = event_object("incident", call, call->answer_ms);
		ok = emit_object(incident, incident && json_out_add_string(incident, "incident_id",
									   call->incident_id),
				 emit, ctx);
	}
	struct json_object *end = ok ? event_object("call_end", call, call->release_ms) : NULL;
	const char *who = event_released_by_name(call->released_by);
	return ok &&
	       emit_object(end,
			   end && json_out_add_string(end, "released_by", who ? who : "unknown"),
			   emit, ctx);
}

/* ---- CSV records ----------------------------------------------------------------------- */

/* Which column is name: the header's column of that name, else a column number. */
static int header_column(const struct csv_record *header, const char *name)
{
	uint32_t number = 0;
	size_t len = strlen(name);

	for (size_t i = 0; i < header->count; i++)
		if (header->len[i] == len && memcmp(header->field[i], name, len) == 0)
			return (int)i;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)name[i]) || number > CSV_MAX_FIELDS)
			return -1;
		number = number * 10 + (uint32_t)(name[i] - '0');
	}
	return number >= 1 && number <= CSV_MAX_FIELDS ? (int)number - 1 : -1;
}

/* Resolve every part's column from the header; a missing one makes the header unusable. */
static void read_header(struct mapping *mapping, const struct csv_record *header)
{
	mapping->header_read = true;
	mapping->header_problem[0] = '\0';
	for (int part = 0; part < PART_COUNT; part++) {
		const char *name = mapping->part_names[part];
		mapping->column[part] = name[0] ? header_column(header, name) : -1;
		if (name[0] && mapping->column[part] < 0 && !mapping->header_problem[0])
			snprintf(mapping->header_problem, sizeof mapping->header_problem,
				 "the header has no column \"%s\"", name);
	}
}

/* Columns by number, for CSV without a header. */
static void number_columns(struct mapping *mapping)
{
	for (int part = 0; part < PART_COUNT; part++)
		mapping->column[part] =
			mapping->part_names[part][0]
				? (int)strtol(mapping->part_names[part], NULL, 10) - 1
				: -1;
}

static enum mapping_status csv_record(struct mapping *mapping, const char *text, size_t len,
				      mapping_emit_fn *emit, void *ctx, char *why, size_t why_size)
{
	struct csv_record record;
	struct part_value values[PART_COUNT];
	struct call_record call;
	size_t offset;
	enum csv_status split;
	enum mapping_status status;

	if (!mapping->header_read && mapping->config.header && len >= 3 &&
	    memcmp(text, BOM, 3) == 0) {
		text += 3;
		len -= 3;
	}
	split = csv_split(text, len, mapping->config.delimiter[0], mapping->scratch, &record,
			  &offset);
	if (split != CSV_OK) {
		explain(why, why_size, "not CSV: %s at byte %zu", csv_status_text(split),
			offset + 1);
		return MAPPING_REJECT_BAD_CSV;
	}
	if (mapping->config.header && !mapping->header_read) {
		read_header(mapping, &record);
		if (!mapping->header_problem[0])
			return MAPPING_SKIPPED;
		snprintf(why, why_size, "%s", mapping->header_problem);
		return MAPPING_REJECT_BAD_HEADER;
	}
	if (mapping->header_problem[0]) {
		snprintf(why, why_size, "%s", mapping->header_problem);
		return MAPPING_REJECT_BAD_HEADER;
	}
	for (int part = 0; part < PART_COUNT; part++) {
		int column = mapping->column[part];
		bool present = column >= 0 && (size_t)column < record.count;
		values[part] = (struct part_value){ .text = present ? record.field[column] : "",
						    .len = present ? record.len[column] : 0 };
	}
	memset(&call, 0, sizeof call);
	status = check_answered(mapping, values, why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_call(mapping, values, &call, why, why_size);
	if (status == MAPPING_EVENTS && !emit_call(&call, emit, ctx)) {
		snprintf(why, why_size, "out of memory");
		status = MAPPING_REJECT_BAD_VALUE;
	}
	return status;
}

/* ---- JSON records ---------------------------------------------------------------------- */

/* The value at a dotted path ("call.answer.time") of object; NULL when absent. */
static struct json_object *json_path(struct json_object *object, const char *path)
{
	char segment[CONFIG_FIELD_MAX];

	while (object && *path) {
		size_t len = strcspn(path, ".");
		memcpy(segment, path, len);
		segment[len] = '\0';
		if (!json_object_is_type(object, json_type_object) ||
		    !json_object_object_get_ex(object, segment, &object))
			return NULL;
		path += len + (path[len] == '.');
	}
	return object;
}

/* A part of a JSON record as text: strings as they are, integers in decimal. */
static bool json_part(struct json_object *record, const char *path, struct part_value *value,
		      char *number_buffer, size_t number_size)
{
	struct json_object *found = path[0] ? json_path(record, path) : NULL;

	*value = (struct part_value){ .text = "", .len = 0 };
	if (!found)
		return true;
	if (json_object_is_type(found, json_type_string)) {
		value->text = json_object_get_string(found);
		value->len = (size_t)json_object_get_string_len(found);
		return true;
	}
	if (json_object_is_type(found, json_type_int)) {
		snprintf(number_buffer, number_size, "%" PRId64, json_object_get_int64(found));
		value->text = number_buffer;
		value->len = strlen(number_buffer);
		return true;
	}
	return false;
}

/* One JSON object read as strictly as a feed line (RFC 8259, no unpaired \u surrogates: json-c
 * alone takes "\ud800" and "\udc00" both as U+FFFD, one id). Invalid UTF-8 is left to the
 * field's check (take_text: bad_value), as in a CSV record. */
static bool strict_json_object(const char *text, size_t len)
{
	const char *message;
	size_t offset;
	enum json_scan_result result = json_scan_object(text, len, NULL, 0, &message, &offset);

	return result == JSON_SCAN_OBJECT || result == JSON_SCAN_UTF8;
}

static enum mapping_status json_record(struct mapping *mapping, const char *text, size_t len,
				       mapping_emit_fn *emit, void *ctx, char *why, size_t why_size)
{
	struct part_value values[PART_COUNT];
	char numbers[PART_COUNT][24];
	struct call_record call;
	struct json_object *record;
	enum mapping_status status = MAPPING_EVENTS;

	json_tokener_reset(mapping->tokener);
	record = strict_json_object(text, len)
			 ? json_tokener_parse_ex(mapping->tokener, text, (int)len)
			 : NULL;
	if (!record || json_tokener_get_error(mapping->tokener) != json_tokener_success ||
	    json_tokener_get_parse_end(mapping->tokener) != len ||
	    !json_object_is_type(record, json_type_object)) {
		json_object_put(record);
		explain(why, why_size, "not one JSON object");
		return MAPPING_REJECT_INVALID_JSON;
	}
	for (int part = 0; part < PART_COUNT && status == MAPPING_EVENTS; part++) {
		if (!json_part(record, mapping->part_names[part], &values[part], numbers[part],
			       sizeof numbers[part])) {
			explain(why, why_size, "\"%s\" must be a string or an integer",
				mapping->part_names[part]);
			status = MAPPING_REJECT_BAD_VALUE;
		}
	}
	memset(&call, 0, sizeof call);
	if (status == MAPPING_EVENTS)
		status = check_answered(mapping, values, why, why_size);
	if (status == MAPPING_EVENTS)
		status = take_call(mapping, values, &call, why, why_size);
	if (status == MAPPING_EVENTS && !emit_call(&call, emit, ctx)) {
		snprintf(why, why_size, "out of memory");
		status = MAPPING_REJECT_BAD_VALUE;
	}
	json_object_put(record);
	return status;
}

/* ---- lines and records ----------------------------------------------------------------- */

static bool is_blank(const char *line, size_t len)
{
	return len == 0 || (len == 1 && line[0] == '\r');
}

/* Add a line to the pending record; false when the record outgrew its limit. */
static bool append_pending(struct mapping *mapping, const char *line, size_t len)
{
	size_t separator = mapping->pending_active ? 1 : 0;

	if (mapping->pending_len + separator + len > mapping->max_record_bytes)
		return false;
	if (separator)
		mapping->pending[mapping->pending_len++] = '\n';
	memcpy(mapping->pending + mapping->pending_len, line, len);
	mapping->pending_len += len;
	mapping->pending_active = true;
	return true;
}

/* A CSV line: a whole record, or part of one whose quotes span lines. */
static enum mapping_status csv_line(struct mapping *mapping, const char *line, size_t len,
				    mapping_emit_fn *emit, void *ctx, char *why, size_t why_size)
{
	if (!mapping->pending_active && is_blank(line, len))
		return MAPPING_SKIPPED;
	if (!mapping->pending_active && !csv_record_open(line, len))
		return csv_record(mapping, line, len, emit, ctx, why, why_size);
	if (!append_pending(mapping, line, len)) {
		/* Rejected when it passes the limit, with the line that passed it, not at its
		 * quotes' end: a stray quote must not swallow every later record of a connection
		 * that stays open. The next line starts a record afresh. */
		mapping->pending_active = false;
		mapping->pending_len = 0;
		explain(why, why_size, "a record longer than %" PRIu32 " bytes",
			mapping->max_record_bytes);
		return MAPPING_REJECT_RECORD_TOO_LONG;
	}
	if (csv_record_open(mapping->pending, mapping->pending_len))
		return MAPPING_SKIPPED;
	mapping->pending_active = false;
	len = mapping->pending_len;
	mapping->pending_len = 0;
	return csv_record(mapping, mapping->pending, len, emit, ctx, why, why_size);
}

enum mapping_status mapping_line(struct mapping *mapping, const char *line, size_t len,
				 mapping_emit_fn *emit, void *ctx, char *why, size_t why_size)
{
	why[0] = '\0';
	if (len > mapping->max_record_bytes) {
		explain(why, why_size, "a record longer than %" PRIu32 " bytes",
			mapping->max_record_bytes);
		return MAPPING_REJECT_RECORD_TOO_LONG;
	}
	if (mapping->config.format == CONFIG_MAPPING_CSV)
		return csv_line(mapping, line, len, emit, ctx, why, why_size);
	if (is_blank(line, len))
		return MAPPING_SKIPPED;
	return json_record(mapping, line, len, emit, ctx, why, why_size);
}

enum mapping_status mapping_finish(struct mapping *mapping, char *why, size_t why_size)
{
	bool open = mapping->pending_active;

	why[0] = '\0';
	mapping->pending_active = false;
	mapping->pending_len = 0;
	if (!open)
		return MAPPING_SKIPPED;
	explain(why, why_size, "not CSV: %s at the end of the input",
		csv_status_text(CSV_OPEN_QUOTE));
	return MAPPING_REJECT_BAD_CSV;
}

/* ---- life cycle ------------------------------------------------------------------------ */

void mapping_reset(struct mapping *mapping)
{
	mapping->pending_active = false;
	mapping->pending_len = 0;
	mapping->header_read = false;
	mapping->header_problem[0] = '\0';
	if (mapping->config.format == CONFIG_MAPPING_CSV && !mapping->config.header)
		number_columns(mapping);
}

static void name_parts(struct mapping *mapping)
{
	const struct config_mapping_fields *fields = &mapping->config.fields;

	mapping->part_names[PART_CALL_ID] = fields->call_id;
	mapping->part_names[PART_AGENCY] = fields->agency;
	mapping->part_names[PART_OPERATOR] = fields->operator_id;
	mapping->part_names[PART_POSITION] = fields->position;
	mapping->part_names[PART_ANI] = fields->ani;
	mapping->part_names[PART_ANSWER_TIME] = fields->answer_time;
	mapping->part_names[PART_RELEASE_TIME] = fields->release_time;
	mapping->part_names[PART_RELEASED_BY] = fields->released_by;
	mapping->part_names[PART_INCIDENT_ID] = fields->incident_id;
}

struct mapping *mapping_new(const struct config_mapping *config, const struct zone *zone,
			    uint32_t max_record_bytes)
{
	struct mapping *mapping = calloc(1, sizeof(*mapping));
	int32_t offset = 0;

	if (!mapping)
		return NULL;
	mapping->config = *config;
	mapping->max_record_bytes = max_record_bytes;
	if (zone)
		mapping->zone = *zone;
	else
		zone_set_fixed(&mapping->zone,
			       mapping_fixed_zone(config->time_zone, &offset) ? offset : 0);
	name_parts(mapping);
	mapping->pending = malloc((size_t)max_record_bytes + 1);
	mapping->scratch = malloc((size_t)max_record_bytes + 1);
	mapping->tokener = json_tokener_new();
	if (!mapping->pending || !mapping->scratch || !mapping->tokener) {
		mapping_free(mapping);
		return NULL;
	}
	mapping_reset(mapping);
	return mapping;
}

void mapping_free(struct mapping *mapping)
{
	if (!mapping)
		return;
	free(mapping->pending);
	free(mapping->scratch);
	if (mapping->tokener)
		json_tokener_free(mapping->tokener);
	free(mapping);
}
