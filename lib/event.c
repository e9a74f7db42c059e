/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "event.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "hash.h"
#include "json_scan.h"
#include "timestamp.h"

/* The members of an event line the parser reads; everything else is validated and skipped. */
enum event_key {
	KEY_TYPE, KEY_CALL_ID, KEY_TS, KEY_EVENT_ID, KEY_SEQ, KEY_OPERATOR, KEY_AGENCY,
	KEY_POSITION, KEY_ANI, KEY_RELEASED_BY, KEY_INCIDENT_ID, KEY_TO, KEY_STATE, KEY_COUNT,
	/* read only by a parser of event_parser_new_reading_source, after the others */
	KEY_SOURCE = KEY_COUNT
};

/* Longest "ts" string read; a longer one is malformed anyway. */
#define TS_TEXT_MAX 63

struct event_parser {
	struct json_field fields[KEY_COUNT + 1];
	size_t field_count;           /* KEY_COUNT, or with KEY_SOURCE KEY_COUNT + 1 */
	struct json_scan_index index; /* of fields, by key */
	bool object;                  /* the last line scanned was a JSON object */
	char type[32];
	char ts[TS_TEXT_MAX + 1];
	char seq[8];
	char released_by[16];
	char state[16];
	/* call_id, event_id, operator, agency, position, ani, incident_id, to */
	char ids[8][EVENT_ID_MAX + 1];
	/* the "ts" minutes read, one for each minute of the hour */
	struct timestamp_cache ts_cache;
	char source[EVENT_SOURCE_MAX + 1];
};

/* What one parse is working on: the fields, the event being filled and where to explain. */
struct parse {
	struct json_field *fields;
	struct event *event;
	struct timestamp_cache *ts_cache;
	const char *type_name; /* prefix for messages once the type is known */
	char *why;
	size_t why_size;
};

static const char *const reject_names[EVENT_REJECT_COUNT] = {
	[EVENT_OK] = "ok",
	[EVENT_REJECT_LINE_TOO_LONG] = "line_too_long",
	[EVENT_REJECT_INVALID_JSON] = "invalid_json",
	[EVENT_REJECT_INVALID_UTF8] = "invalid_utf8",
	[EVENT_REJECT_NOT_AN_OBJECT] = "not_an_object",
	[EVENT_REJECT_MISSING_FIELD] = "missing_field",
	[EVENT_REJECT_WRONG_TYPE] = "wrong_type",
	[EVENT_REJECT_UNKNOWN_TYPE] = "unknown_type",
	[EVENT_REJECT_BAD_TIMESTAMP] = "bad_timestamp",
	[EVENT_REJECT_BAD_VALUE] = "bad_value",
	[EVENT_REJECT_FIELD_TOO_LONG] = "field_too_long",
	[EVENT_REJECT_TOO_LATE] = "too_late",
	[EVENT_REJECT_FUTURE] = "future",
	[EVENT_REJECT_BAD_SEQ] = "bad_seq",
	[EVENT_REJECT_SOURCE_NOT_ALLOWED] = "source_not_allowed",
	[EVENT_REJECT_AGENCY_NOT_ALLOWED] = "agency_not_allowed",
	[EVENT_REJECT_CALL_OF_OTHER_SOURCE] = "call_of_other_source",
	[EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE] = "operator_of_other_source",
	[EVENT_REJECT_NEW_OPERATOR_RATE] = "new_operator_rate",
	[EVENT_REJECT_REORDER_FULL] = "reorder_full",
	[EVENT_REJECT_OPEN_CALLS_PER_SOURCE] = "open_calls_per_source",
};

static const struct {
	const char *name;
	size_t length; /* of name */
	enum event_type type;
} event_types[] = {
	{"call_start", 10, EVENT_CALL_START},
	{"call_end", 8, EVENT_CALL_END},
	{"incident", 8, EVENT_INCIDENT},
	{"transfer", 8, EVENT_TRANSFER},
	{"operator_state", 14, EVENT_OPERATOR_STATE},
	{"call_offered", 12, EVENT_CALL_OFFERED},
};

static const char *const agent_state_names[AGENT_STATE_COUNT] = {
	[AGENT_STATE_LOGGED_ON] = "logged_on",
	[AGENT_STATE_LOGGED_OFF] = "logged_off",
	[AGENT_STATE_AVAILABLE] = "available",
	[AGENT_STATE_NOT_AVAILABLE] = "not_available",
};

static const struct {
	const char *name;
	enum released_by who;
} released_by_names[] = {
	{"operator", RELEASED_BY_OPERATOR},
	{"caller", RELEASED_BY_CALLER},
	{"system", RELEASED_BY_SYSTEM},
	{"unknown", RELEASED_BY_UNKNOWN},
};

const char *event_reject_name(enum event_reject reason)
{
	if ((unsigned)reason >= EVENT_REJECT_COUNT)
		return "unknown";
	return reject_names[reason];
}

const char *event_type_name(enum event_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(event_types); i++)
		if (event_types[i].type == type)
			return event_types[i].name;
	return "unknown";
}

bool event_names_call(enum event_type type)
{
	return type != EVENT_OPERATOR_STATE && type != EVENT_CALL_OFFERED;
}

const char *event_released_by_name(enum released_by who)
{
	for (size_t i = 0; i < ARRAY_SIZE(released_by_names); i++)
		if (released_by_names[i].who == who)
			return released_by_names[i].name;
	return NULL;
}

enum released_by event_released_by_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(released_by_names); i++)
		if (strcmp(released_by_names[i].name, name) == 0)
			return released_by_names[i].who;
	return 0;
}

const char *agent_state_name(enum agent_state state)
{
	return state > AGENT_STATE_NONE && state < AGENT_STATE_COUNT ? agent_state_names[state]
								     : NULL;
}

enum agent_state agent_state_from_name(const char *name)
{
	for (int state = AGENT_STATE_NONE + 1; state < AGENT_STATE_COUNT; state++)
		if (strcmp(agent_state_names[state], name) == 0)
			return (enum agent_state)state;
	return AGENT_STATE_NONE;
}

uint64_t event_fingerprint(const struct event *event)
{
	bool by_call = !event->event_id[0] && event->type != EVENT_OPERATOR_STATE;

	return event_fingerprint_hashed(event, by_call ? hash_string(event->call_id) : 0);
}

uint64_t event_fingerprint_hashed(const struct event *event, uint64_t call_hash)
{
	uint64_t ts = (uint64_t)event->ts_ms;
	unsigned char type = (unsigned char)event->type;
	unsigned char state = (unsigned char)event->state;

	if (event->event_id[0])
		return hash_bytes(hash_string(event->event_id), "\x1fid", 3);
	if (event->type == EVENT_OPERATOR_STATE) /* no call: the operator, its state and ts */
		return hash_bytes(
			hash_bytes(hash_bytes(hash_string_pair(event->agency, event->operator_id),
					      &type, 1),
				   &state, 1),
			&ts, sizeof(ts));
	return hash_bytes(hash_bytes(call_hash, &type, 1), &ts, sizeof(ts));
}

uint64_t event_fingerprint_of_sender(uint64_t fingerprint, const struct event *event,
				     const char *sender)
{
	if (!event->event_id[0])
		return fingerprint;
	return hash_bytes(hash_bytes(fingerprint, "\x1fsender", 7), sender, strlen(sender));
}

static void bind_field(struct json_field *field, const char *key, char *buffer, size_t capacity)
{
	*field = (struct json_field){.key = key, .buffer = buffer, .capacity = capacity};
}

static struct event_parser *new_parser(bool reading_source)
{
	static const char *const id_keys[8] = {"call_id", "event_id", "operator", "agency",
					       "position", "ani", "incident_id", "to"};
	static const enum event_key id_slots[8] = {KEY_CALL_ID, KEY_EVENT_ID, KEY_OPERATOR,
						   KEY_AGENCY, KEY_POSITION, KEY_ANI,
						   KEY_INCIDENT_ID, KEY_TO};
	struct event_parser *parser = calloc(1, sizeof(*parser));

	if (!parser)
		return NULL;
	bind_field(&parser->fields[KEY_TYPE], "type", parser->type, sizeof(parser->type));
	bind_field(&parser->fields[KEY_TS], "ts", parser->ts, sizeof(parser->ts));
	bind_field(&parser->fields[KEY_SEQ], "seq", parser->seq, sizeof(parser->seq));
	bind_field(&parser->fields[KEY_RELEASED_BY], "released_by", parser->released_by,
		   sizeof(parser->released_by));
	bind_field(&parser->fields[KEY_STATE], "state", parser->state, sizeof(parser->state));
	for (size_t i = 0; i < 8; i++)
		bind_field(&parser->fields[id_slots[i]], id_keys[i], parser->ids[i],
			   sizeof(parser->ids[i]));
	parser->field_count = KEY_COUNT;
	if (reading_source)
		bind_field(&parser->fields[parser->field_count++], "source", parser->source,
			   sizeof(parser->source));
	json_scan_index_build(&parser->index, parser->fields, parser->field_count); /* 14 fit */
	return parser;
}

struct event_parser *event_parser_new(void)
{
	return new_parser(false);
}

struct event_parser *event_parser_new_reading_source(void)
{
	return new_parser(true);
}

enum event_reject event_source_check(const char *name, size_t len, char *why, size_t why_size)
{
	bool sized = len > 0 && len <= EVENT_ID_MAX;
	size_t i = 0;

	if (!name) {
		snprintf(why, why_size, "\"source\" must be a string");
		return EVENT_REJECT_WRONG_TYPE;
	}
	while (sized && i < len && (unsigned char)name[i] >= 0x20 && name[i] != 0x7f)
		i++; /* one pass: a NUL is a control character too */
	if (sized && i == len)
		return EVENT_OK;
	if (!sized || memchr(name + i, '\0', len - i)) {
		snprintf(why, why_size, "\"source\" must be 1 to %d bytes", EVENT_ID_MAX);
		return len > EVENT_ID_MAX ? EVENT_REJECT_FIELD_TOO_LONG : EVENT_REJECT_BAD_VALUE;
	}
	snprintf(why, why_size, "\"source\" must not contain control characters");
	return EVENT_REJECT_BAD_VALUE;
}

/* The "source" member of the line parser read last, when there is one: else NULL. */
static const struct json_field *source_member(const struct event_parser *parser)
{
	const struct json_field *field = &parser->fields[KEY_SOURCE];

	if (parser->field_count <= KEY_SOURCE || !parser->object || field->kind == JSON_ABSENT)
		return NULL;
	return field;
}

/* event_source_check of a "source" member; a longer name was cut: its length says so before
 * its bytes are read. */
static enum event_reject check_member(const struct json_field *field, char *why, size_t why_size)
{
	return event_source_check(field->kind == JSON_STRING ? field->buffer : NULL, field->length,
				  why, why_size);
}

/* event_parser_source of a line that has the member (noinline: the common path, a line naming
 * none, saves no registers for it). */
__attribute__((noinline)) static const char *checked_source(const struct json_field *field)
{
	return check_member(field, NULL, 0) == EVENT_OK ? field->buffer : "";
}

const char *event_parser_source(const struct event_parser *parser)
{
	const struct json_field *field = source_member(parser);

	return field ? checked_source(field) : NULL;
}

enum event_reject event_parser_source_problem(const struct event_parser *parser, char *why,
					      size_t why_size)
{
	const struct json_field *field = source_member(parser);

	return field ? check_member(field, why, why_size) : EVENT_OK;
}

void event_parser_free(struct event_parser *parser)
{
	free(parser);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum event_reject reject(struct parse *parse, enum event_reject reason, const char *format,
				...);

static enum event_reject reject(struct parse *parse, enum event_reject reason, const char *format,
				...)
{
	va_list args;
	int prefix = 0;

	if (parse->why_size == 0)
		return reason;
	if (parse->type_name)
		prefix = snprintf(parse->why, parse->why_size, "%s: ", parse->type_name);
	if (prefix < 0 || (size_t)prefix >= parse->why_size)
		return reason;
	va_start(args, format);
	vsnprintf(parse->why + prefix, parse->why_size - (size_t)prefix, format, args);
	va_end(args);
	return reason;
}

/* The field, or NULL when it is absent or JSON null (both mean "not given"). */
static const struct json_field *field(const struct parse *parse, enum event_key key)
{
	const struct json_field *value = &parse->fields[key];

	return value->kind == JSON_ABSENT || value->kind == JSON_NULL ? NULL : value;
}

/* Copy a string field into dst (capacity max_len + 1). Absent optional fields become "". */
static enum event_reject copy_string(struct parse *parse, enum event_key key, bool required,
				     char *dst, size_t max_len)
{
	const struct json_field *value = field(parse, key);
	const char *name = parse->fields[key].key;

	dst[0] = '\0';
	if (!value) {
		if (required)
			return reject(parse, EVENT_REJECT_MISSING_FIELD,
				      "missing required field \"%s\"", name);
		return EVENT_OK;
	}
	if (value->kind != JSON_STRING)
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"%s\" must be a string", name);
	if (value->length > max_len || value->truncated)
		return reject(parse, EVENT_REJECT_FIELD_TOO_LONG, "\"%s\" is longer than %zu bytes",
			      name, max_len);
	if (value->has_nul)
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"%s\" contains a NUL character",
			      name);
	if (required && value->length == 0)
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"%s\" must not be empty", name);
	memcpy(dst, value->buffer, value->length + 1);
	return EVENT_OK;
}

static enum event_reject parse_ts(struct parse *parse)
{
	const struct json_field *value = field(parse, KEY_TS);
	const char *why = "malformed date-time";

	if (!value)
		return reject(parse, EVENT_REJECT_MISSING_FIELD, "missing required field \"ts\"");
	if (value->kind == JSON_INTEGER) {
		if (value->overflow)
			return reject(parse, EVENT_REJECT_BAD_TIMESTAMP,
				      "\"ts\" epoch milliseconds out of range");
		if (value->integer < TIMESTAMP_MIN_MS || value->integer > TIMESTAMP_MAX_MS)
			return reject(parse, EVENT_REJECT_BAD_TIMESTAMP,
				      "\"ts\" epoch milliseconds out of range: %lld",
				      (long long)value->integer);
		parse->event->ts_ms = value->integer;
		return EVENT_OK;
	}
	if (value->kind != JSON_STRING)
		return reject(parse, EVENT_REJECT_WRONG_TYPE,
			      "\"ts\" must be an RFC 3339 string or integer epoch milliseconds");
	if (value->truncated ||
	    timestamp_parse_rfc3339_cached(parse->ts_cache, value->buffer, value->length,
					   &parse->event->ts_ms, &why) != 0)
		return reject(parse, EVENT_REJECT_BAD_TIMESTAMP, "\"ts\": %s: \"%.40s\"", why,
			      value->buffer);
	return EVENT_OK;
}

static enum event_reject parse_type(struct parse *parse)
{
	const struct json_field *value = field(parse, KEY_TYPE);

	if (!value)
		return reject(parse, EVENT_REJECT_MISSING_FIELD, "missing required field \"type\"");
	if (value->kind != JSON_STRING)
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"type\" must be a string");
	/* Not truncated and no \u0000: the buffer holds exactly length bytes and a NUL, so a
	 * name of another length cannot be equal and the length is compared first. */
	for (size_t i = 0; i < ARRAY_SIZE(event_types) && !value->truncated && !value->has_nul;
	     i++) {
		if (event_types[i].length == value->length &&
		    memcmp(event_types[i].name, value->buffer, value->length) == 0) {
			parse->event->type = event_types[i].type;
			parse->type_name = event_types[i].name;
			return EVENT_OK;
		}
	}
	return reject(parse, EVENT_REJECT_UNKNOWN_TYPE, "unknown event type \"%.40s\"",
		      value->buffer);
}

static enum event_reject parse_released_by(struct parse *parse)
{
	char name[16];
	enum event_reject result =
		copy_string(parse, KEY_RELEASED_BY, true, name, sizeof(name) - 1);

	if (result == EVENT_REJECT_FIELD_TOO_LONG || result == EVENT_OK) {
		parse->event->released_by =
			result == EVENT_OK ? event_released_by_from_name(name) : 0;
		if (parse->event->released_by)
			return EVENT_OK;
		return reject(parse, EVENT_REJECT_BAD_VALUE,
			      "\"released_by\" must be one of operator, caller, system, unknown");
	}
	return result;
}

static enum event_reject parse_state(struct parse *parse)
{
	char name[16];
	enum event_reject result = copy_string(parse, KEY_STATE, true, name, sizeof(name) - 1);

	if (result == EVENT_REJECT_FIELD_TOO_LONG || result == EVENT_OK) {
		parse->event->state =
			result == EVENT_OK ? agent_state_from_name(name) : AGENT_STATE_NONE;
		if (parse->event->state != AGENT_STATE_NONE)
			return EVENT_OK;
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"state\" must be one of "
			      "logged_on, logged_off, available, not_available");
	}
	return result;
}

/* The fields that only some event types carry. */
static enum event_reject parse_type_fields(struct parse *parse)
{
	struct event *event = parse->event;
	enum event_reject result = EVENT_OK;

	switch (event->type) {
	case EVENT_CALL_START:
		if ((result = copy_string(parse, KEY_OPERATOR, true, event->operator_id,
					  EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_AGENCY, false, event->agency, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_POSITION, false, event->position,
					  EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_ANI, false, event->ani, EVENT_ANI_MAX)))
			return result;
		break;
	case EVENT_CALL_END:
		if ((result = parse_released_by(parse)) ||
		    (result = copy_string(parse, KEY_OPERATOR, false, event->operator_id,
					  EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_AGENCY, false, event->agency, EVENT_ID_MAX)))
			return result;
		break;
	case EVENT_INCIDENT:
		result = copy_string(parse, KEY_INCIDENT_ID, false, event->incident_id,
				     EVENT_ID_MAX);
		break;
	case EVENT_TRANSFER:
		result = copy_string(parse, KEY_TO, false, event->transfer_to, EVENT_ID_MAX);
		break;
	case EVENT_OPERATOR_STATE:
		if ((result = parse_state(parse)) ||
		    (result = copy_string(parse, KEY_OPERATOR, true, event->operator_id,
					  EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_AGENCY, false, event->agency, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_POSITION, false, event->position,
					  EVENT_ID_MAX)))
			return result;
		break;
	case EVENT_CALL_OFFERED: /* no call-taker yet: an operator it carries is not read */
		if ((result = copy_string(parse, KEY_AGENCY, false, event->agency, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, KEY_ANI, false, event->ani, EVENT_ANI_MAX)))
			return result;
		break;
	}
	return result;
}

/* "seq": a non-negative integer, up to 2^63 - 2. */
static enum event_reject parse_seq(struct parse *parse)
{
	const struct json_field *value = field(parse, KEY_SEQ);

	if (!value)
		return EVENT_OK;
	if (value->kind != JSON_INTEGER)
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"seq\" must be an integer");
	if (value->overflow || value->integer < 0 || value->integer == INT64_MAX)
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"seq\" must be from 0 to 2^63 - 2");
	parse->event->has_seq = true;
	parse->event->seq = (uint64_t)value->integer;
	return EVENT_OK;
}

static enum event_reject parse_fields(struct parse *parse)
{
	enum event_reject result;

	if ((result = parse_seq(parse)) || (result = parse_type(parse)))
		return result;
	/* An operator_state names no call: a call_id it carries is not read. */
	if (parse->event->type != EVENT_OPERATOR_STATE &&
	    (result = copy_string(parse, KEY_CALL_ID, true, parse->event->call_id, EVENT_ID_MAX)))
		return result;
	if ((result = parse_ts(parse)) ||
	    (result = copy_string(parse, KEY_EVENT_ID, false, parse->event->event_id,
				  EVENT_ID_MAX)))
		return result;
	return parse_type_fields(parse);
}

/* Scan the line into the parser's fields, or explain why it is not a JSON object. */
static enum event_reject scan_line(struct event_parser *parser, struct parse *parse,
				   const char *line, size_t len)
{
	const char *message = NULL;
	size_t offset = 0;

	/* Valid JSON holds no NUL byte (not even in a string), so the line is searched for one
	 * only when the scanner refused it; the NUL is still the reason given. */
	enum json_scan_result scanned =
		json_scan_object_indexed(line, len, parser->fields, parser->field_count,
					 &parser->index, &message, &offset);
	parser->object = scanned == JSON_SCAN_OBJECT;
	if ((scanned == JSON_SCAN_SYNTAX || scanned == JSON_SCAN_UTF8) && memchr(line, '\0', len))
		return reject(parse, EVENT_REJECT_INVALID_JSON, "invalid JSON: NUL byte in line");
	switch (scanned) {
	case JSON_SCAN_OBJECT:
		return EVENT_OK;
	case JSON_SCAN_NOT_OBJECT:
		return reject(parse, EVENT_REJECT_NOT_AN_OBJECT, "line is JSON but not an object");
	case JSON_SCAN_UTF8:
		return reject(parse, EVENT_REJECT_INVALID_UTF8, "invalid UTF-8 at byte %zu",
			      offset);
	case JSON_SCAN_SYNTAX:
		break;
	}
	return reject(parse, EVENT_REJECT_INVALID_JSON, "invalid JSON: %s at byte %zu", message,
		      offset);
}

/* An event with nothing read yet: no type, time or sequence, every string "" (only its first
 * byte: the strings are read as strings, not the 528 bytes of the struct cleared per line). */
static void clear_event(struct event *event)
{
	event->type = 0;
	event->ts_ms = 0;
	event->has_seq = false;
	event->seq = 0;
	event->released_by = 0;
	event->state = AGENT_STATE_NONE;
	event->call_id[0] = '\0';
	event->event_id[0] = '\0';
	event->operator_id[0] = '\0';
	event->agency[0] = '\0';
	event->position[0] = '\0';
	event->ani[0] = '\0';
	event->incident_id[0] = '\0';
	event->transfer_to[0] = '\0';
	event->start_hashed = false;
}

enum event_reject event_parser_parse(struct event_parser *parser, const char *line, size_t len,
				     struct event *out, char *why, size_t why_size)
{
	struct parse parse = {
		.fields = parser->fields, .event = out, .ts_cache = &parser->ts_cache, .why = why,
		.why_size = why_size
	};
	enum event_reject result;

	if (why_size > 0)
		why[0] = '\0';
	clear_event(out);
	result = scan_line(parser, &parse, line, len);
	if (result == EVENT_OK)
		result = parse_fields(&parse);
	return result;
}
