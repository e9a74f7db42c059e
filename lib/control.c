/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "control.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "json_out.h"
#include "json_scan.h"
#include "text.h"

/* No control characters (escaped or not): what a console shows and the journal keeps is
 * plain text, and a line formatted back stays within CONTROL_LINE_MAX (only " and \ are
 * escaped, each to two bytes). */
static bool is_plain_text(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return false;
	return true;
}

/* The string value of key: 1 found, fits in [min_len, max_len] bytes and is plain text (valid
 * UTF-8: control_parse_object checks it), 0 absent, -1 bad. */
static int string_value(struct json_object *object, const char *key, size_t min_len, size_t max_len,
			char *out)
{
	struct json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    json_object_is_type(value, json_type_null))
		return 0;
	if (!json_object_is_type(value, json_type_string))
		return -1;
	size_t len = (size_t)json_object_get_string_len(value);
	const char *text = json_object_get_string(value);
	if (len < min_len || len > max_len || strlen(text) != len || !is_plain_text(text, len))
		return -1;
	memcpy(out, text, len + 1);
	return 1;
}

static bool is_alert_id(const char *text)
{
	if (strlen(text) != ALERT_ID_LENGTH)
		return false;
	for (size_t i = 0; i < ALERT_ID_LENGTH; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	return true;
}

static int fail(char *why, size_t why_size, const char *message)
{
	snprintf(why, why_size, "%s", message);
	return -EINVAL;
}

static int parse_ack(struct json_object *object, struct control *out, char *why, size_t why_size)
{
	char id[CONTROL_LINE_MAX + 1];

	out->kind = CONTROL_ACK;
	if (string_value(object, "ack", 1, CONTROL_LINE_MAX, id) != 1 || !is_alert_id(id))
		return fail(why, why_size, "\"ack\" must be an alert_id: 16 lowercase hex digits");
	memcpy(out->alert_id, id, ALERT_ID_LENGTH + 1);
	if (string_value(object, "by", 1, ALERT_ACK_BY_MAX, out->by) != 1)
		return fail(why, why_size,
			    "\"by\" must be a string of 1 to 64 bytes, no control characters");
	if (string_value(object, "note", 0, ALERT_ACK_NOTE_MAX, out->note) < 0)
		return fail(why, why_size, "\"note\" must be a string of at most 256 bytes, "
			    "no control characters");
	return 0;
}

/* A non-negative integer member at most max into *out (left as it is when absent). */
static int integer_value(struct json_object *object, const char *key, uint64_t max, uint64_t *out)
{
	struct json_object *value;

	if (!json_object_object_get_ex(object, key, &value))
		return 0;
	if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0 ||
	    json_object_get_uint64(value) > max)
		return -1;
	*out = json_object_get_uint64(value);
	return 1;
}

static int parse_connection_limit(struct json_object *object, struct control *out, char *why,
				  size_t why_size)
{
	uint64_t seconds = 0;

	out->kind = CONTROL_CONNECTION_LIMIT;
	if (string_value(object, "key", 1, CONTROL_KEY_MAX, out->key) != 1)
		return fail(why, why_size, "\"key\" must be a string of 1 to 63 bytes");
	if (integer_value(object, "refused", UINT64_MAX, &out->refused) < 0 ||
	    integer_value(object, "seconds", UINT32_MAX, &seconds) < 0)
		return fail(why, why_size, "\"refused\" and \"seconds\" must be integers from 0");
	out->seconds = (uint32_t)seconds;
	if (string_value(object, "receiver", 0, CONTROL_RECEIVER_MAX, out->receiver) < 0 ||
	    string_value(object, "source", 0, EVENT_ID_MAX, out->source) < 0)
		return fail(why, why_size, "\"receiver\" must be a string of at most 31 bytes, "
			    "\"source\" of at most 64");
	if (string_value(object, "reason", 0, CONTROL_REASON_MAX, out->reason) < 0)
		return fail(why, why_size, "\"reason\" must be a string of at most 128 bytes");
	return 0;
}

static int parse_system(struct json_object *object, struct control *out, char *why, size_t why_size)
{
	char system[32], state[16];
	struct json_object *seconds;

	if (string_value(object, "system", 1, sizeof(system) - 1, system) != 1 ||
	    string_value(object, "state", 1, sizeof(state) - 1, state) != 1 ||
	    (strcmp(state, "firing") != 0 && strcmp(state, "resolved") != 0))
		return fail(why, why_size,
			    "a system line needs \"system\" and \"state\": firing or resolved");
	out->firing = strcmp(state, "firing") == 0;
	if (strcmp(system, "state_incomplete") == 0 && !out->firing)
		return fail(why, why_size, "a state_incomplete line is only \"firing\"");
	if (strcmp(system, "journal_degraded") == 0 || strcmp(system, "state_incomplete") == 0) {
		out->kind = strcmp(system, "journal_degraded") == 0 ? CONTROL_JOURNAL_DEGRADED
								     : CONTROL_STATE_INCOMPLETE;
		return string_value(object, "reason", 0, CONTROL_REASON_MAX, out->reason) < 0
			       ? fail(why, why_size,
				      "\"reason\" must be a string of at most 128 bytes")
			       : 0;
	}
	if (strcmp(system, "receiver_down") == 0) {
		out->kind = CONTROL_RECEIVER_DOWN;
		if (string_value(object, "receiver", 1, CONTROL_RECEIVER_MAX, out->receiver) != 1)
			return fail(why, why_size,
				    "\"receiver\" must be a string of 1 to 31 bytes");
		return string_value(object, "reason", 0, CONTROL_REASON_MAX, out->reason) < 0
			       ? fail(why, why_size,
				      "\"reason\" must be a string of at most 128 bytes")
			       : 0;
	}
	if (strcmp(system, "limit") == 0)
		return parse_connection_limit(object, out, why, why_size);
	if (strcmp(system, "feed_silent") != 0)
		return fail(why, why_size, "unknown \"system\"");
	out->kind = CONTROL_FEED_SILENT;
	if (string_value(object, "source", 1, EVENT_ID_MAX, out->source) != 1)
		return fail(why, why_size, "\"source\" must be a string of 1 to 64 bytes");
	if (json_object_object_get_ex(object, "seconds", &seconds)) {
		int64_t value = json_object_get_int64(seconds);
		if (!json_object_is_type(seconds, json_type_int) || value < 0 || value > UINT32_MAX)
			return fail(why, why_size, "\"seconds\" must be an integer from 0");
		out->seconds = (uint32_t)value;
	}
	return string_value(object, "reason", 0, CONTROL_REASON_MAX, out->reason) < 0
		       ? fail(why, why_size, "\"reason\" must be a string of at most 128 bytes")
		       : 0;
}

struct json_object *control_parse_object(const char *line, size_t len)
{
	struct json_tokener *tokener;
	struct json_object *object = NULL;

	/* UTF-8 by the feed lines' rule: json-c's own check lets overlong forms through. */
	if (!json_scan_utf8_valid(line, len) || !(tokener = json_tokener_new()))
		return NULL;
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	object = json_tokener_parse_ex(tokener, line, (int)len);
	if (object && ((size_t)json_tokener_get_parse_end(tokener) != len ||
		       !json_object_is_type(object, json_type_object))) {
		json_object_put(object);
		object = NULL;
	}
	json_tokener_free(tokener);
	return object;
}

int control_parse(const char *line, size_t len, struct control *out, char *why, size_t why_size)
{
	struct json_object *object;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > CONTROL_LINE_MAX)
		return fail(why, why_size, "line longer than 1024 bytes");
	if (!(object = control_parse_object(line, len)))
		return fail(why, why_size, "not a JSON object");
	if (json_object_object_get_ex(object, "ack", NULL))
		rc = parse_ack(object, out, why, why_size);
	else if (json_object_object_get_ex(object, "system", NULL))
		rc = parse_system(object, out, why, why_size);
	else
		rc = fail(why, why_size, "no \"ack\" key: a console sends "
			  "{\"ack\":ALERT_ID,\"by\":NAME,\"note\":TEXT}");
	json_object_put(object);
	return rc;
}

int control_parse_ack_body(const char *body, size_t len, const char *alert_id, struct control *out,
			   char *why, size_t why_size)
{
	struct json_object *object, *id;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(object = control_parse_object(body, len)))
		return fail(why, why_size,
			    "the body must be one JSON object {\"by\":NAME,\"note\":TEXT}");
	if (!(id = json_object_new_string(alert_id)) ||
	    json_object_object_add(object, "ack", id) != 0) {
		json_object_put(object);
		return fail(why, why_size, "out of memory");
	}
	rc = parse_ack(object, out, why, why_size);
	json_object_put(object);
	return rc;
}

static bool fill(struct json_object *object, const struct control *control)
{
	const char *state = control->firing ? "firing" : "resolved";

	switch (control->kind) {
	case CONTROL_ACK:
		return json_out_add_string(object, "ack", control->alert_id) &&
		       json_out_add_string(object, "by", control->by) &&
		       json_out_add_string(object, "note", control->note);
	case CONTROL_FEED_SILENT:
		return json_out_add_string(object, "system", "feed_silent") &&
		       json_out_add_string(object, "state", state) &&
		       json_out_add_string(object, "source", control->source) &&
		       json_object_object_add(object, "seconds",
					      json_object_new_int64(control->seconds)) == 0 &&
		       (!control->reason[0] ||
			json_out_add_string(object, "reason", control->reason));
	case CONTROL_JOURNAL_DEGRADED:
	case CONTROL_STATE_INCOMPLETE:
		return json_out_add_string(object, "system",
					   control->kind == CONTROL_JOURNAL_DEGRADED
						   ? "journal_degraded"
						   : "state_incomplete") &&
		       json_out_add_string(object, "state", state) &&
		       json_out_add_string(object, "reason", control->reason);
	case CONTROL_CONNECTION_LIMIT:
		return json_out_add_string(object, "system", "limit") &&
		       json_out_add_string(object, "state", state) &&
		       json_out_add_string(object, "key", control->key) &&
		       json_out_add(object, "refused", json_object_new_uint64(control->refused)) &&
		       json_out_add(object, "seconds", json_object_new_int64(control->seconds)) &&
		       (!control->receiver[0] ||
			json_out_add_string(object, "receiver", control->receiver)) &&
		       (!control->source[0] ||
			json_out_add_string(object, "source", control->source)) &&
		       (!control->reason[0] ||
			json_out_add_string(object, "reason", control->reason));
	case CONTROL_RECEIVER_DOWN:
		return json_out_add_string(object, "system", "receiver_down") &&
		       json_out_add_string(object, "state", state) &&
		       json_out_add_string(object, "receiver", control->receiver) &&
		       json_out_add_string(object, "reason", control->reason);
	}
	return false;
}

size_t control_format(const struct control *control, char *out, size_t size)
{
	struct json_object *object = json_object_new_object();
	size_t len = 0;

	if (object && fill(object, control)) {
		const char *text = json_object_to_json_string_length(
			object, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (text && len < size)
			memcpy(out, text, len + 1);
		else
			len = 0;
	}
	json_object_put(object);
	return len;
}
