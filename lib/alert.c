/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "alert.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "hash.h"
#include "timestamp.h"

void alert_derive_id(const char *agency, const char *operator_id, const char *rule, int64_t ts_ms,
		     const char *trigger_call_id, char out[ALERT_ID_LENGTH + 1])
{
	char key[4 * (EVENT_ID_MAX + 1) + 32];

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%" PRId64 "\x1f%s", agency, operator_id, rule, ts_ms,
		 trigger_call_id);
	snprintf(out, ALERT_ID_LENGTH + 1, "%016" PRIx64, hash_string(key));
}

/* Print value with at most `decimals` decimals, trailing zeros and dot removed: 0.75, 5, 12.5. */
static void format_decimal(double value, int decimals, char *out, size_t size)
{
	snprintf(out, size, "%.*f", decimals, value);
	if (!strchr(out, '.'))
		return;
	char *end = out + strlen(out) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

/* A JSON number whose text is exactly the formatted decimal. */
static struct json_object *new_decimal(double value, int decimals)
{
	char text[48];

	format_decimal(value, decimals, text, sizeof(text));
	return json_object_new_double_s(value, text);
}

/* A probability to 3 significant digits: 0.0123, 4.56e-07, 1, 0. */
static struct json_object *new_scientific(double value)
{
	char text[48];

	if (value >= 0.001 || value == 0.0) {
		format_decimal(value, 4, text, sizeof(text));
		if (strcmp(text, "0") == 0 && value > 0.0)
			snprintf(text, sizeof(text), "%.3g", value);
	} else {
		snprintf(text, sizeof(text), "%.2e", value);
	}
	return json_object_new_double_s(value, text);
}

static struct json_object *new_timestamp(int64_t epoch_ms)
{
	char text[TIMESTAMP_TEXT_MAX];

	timestamp_format(epoch_ms, text);
	return json_object_new_string(text);
}

/* Add key: value, taking ownership of value; false when either allocation failed. */
static bool add(struct json_object *object, const char *key, struct json_object *value)
{
	if (!value)
		return false;
	if (json_object_object_add(object, key, value) != 0) {
		json_object_put(value);
		return false;
	}
	return true;
}

static bool add_optional_string(struct json_object *object, const char *key, const char *value)
{
	if (!value || !value[0])
		return true;
	return add(object, key, json_object_new_string(value));
}

static struct json_object *encode_callback(const struct alert_callback *callback)
{
	struct json_object *object = json_object_new_object();

	if (!object)
		return NULL;
	if (add(object, "call_id", json_object_new_string(callback->call_id)) &&
	    add_optional_string(object, "ani", callback->ani) &&
	    add(object, "ts", new_timestamp(callback->start_ms)) &&
	    add(object, "talk_seconds", new_decimal((double)callback->talk_ms / 1000.0, 3)) &&
	    add(object, "called_back", json_object_new_boolean(callback->called_back)))
		return object;
	json_object_put(object);
	return NULL;
}

static struct json_object *encode_callbacks(const struct alert *alert)
{
	struct json_object *array = json_object_new_array_ext((int)alert->callback_count);

	if (!array)
		return NULL;
	for (size_t i = 0; i < alert->callback_count; i++) {
		struct json_object *callback = encode_callback(&alert->callbacks[i]);
		if (!callback || json_object_array_add(array, callback) != 0) {
			json_object_put(callback);
			json_object_put(array);
			return NULL;
		}
	}
	return array;
}

/* "late": true and "late_seconds" on a notice decided behind the center (docs/protocol.md). */
static bool add_late(struct json_object *object, const struct alert *alert)
{
	return add(object, "late", json_object_new_boolean(true)) &&
	       add(object, "late_seconds", new_decimal((double)alert->late_ms / 1000.0, 3));
}

static bool encode_fields(struct json_object *object, const struct alert *alert)
{
	return add(object, "alert", json_object_new_string(alert->kind)) &&
	       add(object, "alert_id", json_object_new_string(alert->alert_id)) &&
	       add(object, "seq", json_object_new_uint64(alert->seq)) &&
	       add(object, "ts", new_timestamp(alert->ts_ms)) &&
	       add_optional_string(object, "agency", alert->agency) &&
	       add(object, "operator", json_object_new_string(alert->operator_id)) &&
	       add_optional_string(object, "position", alert->position) &&
	       add(object, "rule", json_object_new_string(alert->rule)) &&
	       add(object, "severity", json_object_new_string(alert->severity)) &&
	       add(object, "window_seconds", json_object_new_int64(alert->window_seconds)) &&
	       add(object, "calls", json_object_new_int64(alert->calls)) &&
	       add(object, "premature", json_object_new_int64(alert->premature)) &&
	       add(object, "called_back", json_object_new_int64(alert->called_back)) &&
	       add(object, "ratio", new_decimal(alert->ratio, 4)) &&
	       add(object, "center_ratio", new_decimal(alert->center_ratio, 4)) &&
	       add(object, "p_value", new_scientific(alert->p_value)) &&
	       (!alert->has_cusum || add(object, "cusum", new_decimal(alert->cusum, 3))) &&
	       (alert->late_ms <= 0 || add_late(object, alert)) &&
	       add(object, "callbacks", encode_callbacks(alert));
}

char *alert_encode_json(const struct alert *alert, size_t *len)
{
	struct json_object *object = json_object_new_object();
	char *result = NULL;

	if (object && encode_fields(object, alert)) {
		size_t length = 0;
		const char *text = json_object_to_json_string_length(
			object, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &length);
		result = text ? malloc(length + 1) : NULL;
		if (result) {
			memcpy(result, text, length + 1);
			*len = length;
		}
	}
	json_object_put(object);
	return result;
}
