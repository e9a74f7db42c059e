/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "event.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "timestamp.h"

struct event_parser {
	struct json_tokener *tokener;
};

/* What one parse is working on: the object, the event being filled and where to explain. */
struct parse {
	struct json_object *object;
	struct event *event;
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
};

static const struct {
	const char *name;
	enum event_type type;
} event_types[] = {
	{"call_start", EVENT_CALL_START},
	{"call_end", EVENT_CALL_END},
	{"incident", EVENT_INCIDENT},
	{"transfer", EVENT_TRANSFER},
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

const char *released_by_name(enum released_by who)
{
	for (size_t i = 0; i < ARRAY_SIZE(released_by_names); i++)
		if (released_by_names[i].who == who)
			return released_by_names[i].name;
	return NULL;
}

enum released_by released_by_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(released_by_names); i++)
		if (strcmp(released_by_names[i].name, name) == 0)
			return released_by_names[i].who;
	return 0;
}

uint64_t event_fingerprint(const struct event *event)
{
	char key[EVENT_ID_MAX + 64];

	if (event->event_id[0])
		snprintf(key, sizeof(key), "id\x1f%s", event->event_id);
	else
		snprintf(key, sizeof(key), "%d\x1f%s\x1f%lld", (int)event->type, event->call_id,
			 (long long)event->ts_ms);
	return hash_string(key);
}

struct event_parser *event_parser_new(void)
{
	struct event_parser *parser = calloc(1, sizeof(*parser));

	if (!parser)
		return NULL;
	parser->tokener = json_tokener_new();
	if (!parser->tokener) {
		free(parser);
		return NULL;
	}
	json_tokener_set_flags(parser->tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return parser;
}

void event_parser_free(struct event_parser *parser)
{
	if (!parser)
		return;
	json_tokener_free(parser->tokener);
	free(parser);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum event_reject reject(struct parse *parse, enum event_reject reason, const char *format, ...);

static enum event_reject reject(struct parse *parse, enum event_reject reason, const char *format, ...)
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

/* The field's value, or NULL when it is absent or JSON null (both mean "not given"). */
static struct json_object *field(const struct parse *parse, const char *key)
{
	struct json_object *value = NULL;

	json_object_object_get_ex(parse->object, key, &value);
	return value;
}

/* Copy a string field into dst (capacity max_len + 1). Absent optional fields become "". */
static enum event_reject copy_string(struct parse *parse, const char *key, bool required, char *dst,
				     size_t max_len)
{
	struct json_object *value = field(parse, key);

	dst[0] = '\0';
	if (!value) {
		if (required)
			return reject(parse, EVENT_REJECT_MISSING_FIELD, "missing required field \"%s\"", key);
		return EVENT_OK;
	}
	if (!json_object_is_type(value, json_type_string))
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"%s\" must be a string", key);
	size_t len = (size_t)json_object_get_string_len(value);
	const char *text = json_object_get_string(value);
	if (len > max_len)
		return reject(parse, EVENT_REJECT_FIELD_TOO_LONG, "\"%s\" is longer than %zu bytes", key,
			      max_len);
	if (memchr(text, '\0', len))
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"%s\" contains a NUL character", key);
	if (required && len == 0)
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"%s\" must not be empty", key);
	memcpy(dst, text, len + 1);
	return EVENT_OK;
}

static enum event_reject parse_ts(struct parse *parse)
{
	struct json_object *value = field(parse, "ts");
	const char *why = NULL;

	if (!value)
		return reject(parse, EVENT_REJECT_MISSING_FIELD, "missing required field \"ts\"");
	if (json_object_is_type(value, json_type_int)) {
		int64_t ms = json_object_get_int64(value);
		if (ms < TIMESTAMP_MIN_MS || ms > TIMESTAMP_MAX_MS)
			return reject(parse, EVENT_REJECT_BAD_TIMESTAMP,
				      "\"ts\" epoch milliseconds out of range: %lld", (long long)ms);
		parse->event->ts_ms = ms;
		return EVENT_OK;
	}
	if (!json_object_is_type(value, json_type_string))
		return reject(parse, EVENT_REJECT_WRONG_TYPE,
			      "\"ts\" must be an RFC 3339 string or integer epoch milliseconds");
	const char *text = json_object_get_string(value);
	size_t len = (size_t)json_object_get_string_len(value);
	if (timestamp_parse_rfc3339(text, len, &parse->event->ts_ms, &why) != 0)
		return reject(parse, EVENT_REJECT_BAD_TIMESTAMP, "\"ts\": %s: \"%.40s\"", why, text);
	return EVENT_OK;
}

static enum event_reject parse_type(struct parse *parse)
{
	struct json_object *value = field(parse, "type");

	if (!value)
		return reject(parse, EVENT_REJECT_MISSING_FIELD, "missing required field \"type\"");
	if (!json_object_is_type(value, json_type_string))
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"type\" must be a string");
	const char *name = json_object_get_string(value);
	for (size_t i = 0; i < ARRAY_SIZE(event_types); i++) {
		if (strcmp(event_types[i].name, name) == 0) {
			parse->event->type = event_types[i].type;
			parse->type_name = event_types[i].name;
			return EVENT_OK;
		}
	}
	return reject(parse, EVENT_REJECT_UNKNOWN_TYPE, "unknown event type \"%.40s\"", name);
}

static enum event_reject parse_released_by(struct parse *parse)
{
	char name[16];
	enum event_reject result = copy_string(parse, "released_by", true, name, sizeof(name) - 1);

	if (result == EVENT_REJECT_FIELD_TOO_LONG || result == EVENT_OK) {
		parse->event->released_by = result == EVENT_OK ? released_by_from_name(name) : 0;
		if (parse->event->released_by)
			return EVENT_OK;
		return reject(parse, EVENT_REJECT_BAD_VALUE,
			      "\"released_by\" must be one of operator, caller, system, unknown");
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
		if ((result = copy_string(parse, "operator", true, event->operator_id, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, "agency", false, event->agency, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, "position", false, event->position, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, "ani", false, event->ani, EVENT_ANI_MAX)))
			return result;
		break;
	case EVENT_CALL_END:
		if ((result = parse_released_by(parse)) ||
		    (result = copy_string(parse, "operator", false, event->operator_id, EVENT_ID_MAX)) ||
		    (result = copy_string(parse, "agency", false, event->agency, EVENT_ID_MAX)))
			return result;
		break;
	case EVENT_INCIDENT:
		result = copy_string(parse, "incident_id", false, event->incident_id, EVENT_ID_MAX);
		break;
	case EVENT_TRANSFER:
		result = copy_string(parse, "to", false, event->transfer_to, EVENT_ID_MAX);
		break;
	}
	return result;
}

/* "seq": a non-negative integer, up to 2^63 - 1. */
static enum event_reject parse_seq(struct parse *parse)
{
	struct json_object *value = field(parse, "seq");

	if (!value)
		return EVENT_OK;
	if (!json_object_is_type(value, json_type_int))
		return reject(parse, EVENT_REJECT_WRONG_TYPE, "\"seq\" must be an integer");
	int64_t seq = json_object_get_int64(value);
	if (seq < 0 || seq == INT64_MAX)
		return reject(parse, EVENT_REJECT_BAD_VALUE, "\"seq\" must be from 0 to 2^63 - 2");
	parse->event->has_seq = true;
	parse->event->seq = (uint64_t)seq;
	return EVENT_OK;
}

static enum event_reject parse_fields(struct parse *parse)
{
	enum event_reject result;

	if ((result = parse_seq(parse)) || (result = parse_type(parse)) ||
	    (result = copy_string(parse, "call_id", true, parse->event->call_id, EVENT_ID_MAX)) ||
	    (result = parse_ts(parse)) ||
	    (result = copy_string(parse, "event_id", false, parse->event->event_id, EVENT_ID_MAX)))
		return result;
	return parse_type_fields(parse);
}

static bool only_whitespace(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
			return false;
	return true;
}

/* Tokenize the whole line into one JSON value, or explain why not. */
static enum event_reject tokenize(struct event_parser *parser, struct parse *parse, const char *line,
				  size_t len, struct json_object **value)
{
	struct json_tokener *tokener = parser->tokener;
	enum json_tokener_error error;

	if (memchr(line, '\0', len))
		return reject(parse, EVENT_REJECT_INVALID_JSON, "invalid JSON: NUL byte in line");
	json_tokener_reset(tokener);
	*value = json_tokener_parse_ex(tokener, line, (int)len);
	error = json_tokener_get_error(tokener);
	size_t end = *value ? json_tokener_get_parse_end(tokener) : len;
	if (!*value && error == json_tokener_continue) {
		/* A bare number needs a delimiter to end; anything else is truncated. */
		*value = json_tokener_parse_ex(tokener, " ", 1);
		error = json_tokener_get_error(tokener);
		if (!*value && error == json_tokener_continue)
			return reject(parse, EVENT_REJECT_INVALID_JSON, "invalid JSON: unexpected end of line");
	}
	if (!*value) {
		if (error == json_tokener_error_parse_utf8_string)
			return reject(parse, EVENT_REJECT_INVALID_UTF8, "invalid UTF-8 in line");
		return reject(parse, EVENT_REJECT_INVALID_JSON, "invalid JSON: %s",
			      json_tokener_error_desc(error));
	}
	if (end < len && !only_whitespace(line + end, len - end))
		return reject(parse, EVENT_REJECT_INVALID_JSON,
			      "invalid JSON: unexpected data after the JSON value at byte %zu", end);
	return EVENT_OK;
}

enum event_reject event_parser_parse(struct event_parser *parser, const char *line, size_t len,
				     struct event *out, char *why, size_t why_size)
{
	struct parse parse = {.event = out, .why = why, .why_size = why_size};
	struct json_object *value = NULL;
	enum event_reject result;

	if (why_size > 0)
		why[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (len > INT32_MAX)
		return reject(&parse, EVENT_REJECT_LINE_TOO_LONG, "line longer than %d bytes", INT32_MAX);
	result = tokenize(parser, &parse, line, len, &value);
	if (result == EVENT_OK && !json_object_is_type(value, json_type_object))
		result = reject(&parse, EVENT_REJECT_NOT_AN_OBJECT, "line is JSON but not an object");
	if (result == EVENT_OK) {
		parse.object = value;
		result = parse_fields(&parse);
	}
	json_object_put(value);
	return result;
}
