/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "alert.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "event.h"
#include "hash.h"
#include "json_out.h"
#include "text.h"
#include "timestamp.h"

void alert_derive_id(const char *agency, const char *operator_id, const char *rule, int64_t ts_ms,
		     const char *trigger_call_id, char out[ALERT_ID_LENGTH + 1])
{
	char key[4 * (EVENT_ID_MAX + 1) + 32];

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%" PRId64 "\x1f%s", agency, operator_id, rule,
		 ts_ms, trigger_call_id);
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

struct json_object *alert_json_decimal(double value, int decimals)
{
	return new_decimal(value, decimals);
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

static bool add_optional_string(struct json_object *object, const char *key, const char *value)
{
	if (!value || !value[0])
		return true;
	return json_out_add_string(object, key, value);
}

static struct json_object *encode_callback(const struct alert_callback *callback)
{
	struct json_object *object = json_object_new_object();

	if (!object)
		return NULL;
	if (json_out_add(object, "call_id", json_object_new_string(callback->call_id)) &&
	    add_optional_string(object, "ani", callback->ani) &&
	    json_out_add(object, "ts", new_timestamp(callback->start_ms)) &&
	    json_out_add(object, "talk_seconds",
			 new_decimal((double)callback->talk_ms / 1000.0, 3)) &&
	    json_out_add(object, "called_back", json_object_new_boolean(callback->called_back)))
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
	return json_out_add(object, "late", json_object_new_boolean(true)) &&
	       json_out_add(object, "late_seconds",
			    new_decimal((double)alert->late_ms / 1000.0, 3));
}

/* The first keys of every notice: what it is, which alert, when. */
static bool encode_head(struct json_object *object, const struct alert *alert)
{
	return json_out_add(object, "alert", json_object_new_string(alert->kind)) &&
	       json_out_add(object, "alert_id", json_object_new_string(alert->alert_id)) &&
	       json_out_add(object, "seq", json_object_new_uint64(alert->seq)) &&
	       json_out_add(object, "ts", new_timestamp(alert->ts_ms)) &&
	       json_out_add(object, "type",
			    json_object_new_string(alert->type ? alert->type : "operator")) &&
	       add_optional_string(object, "reason", alert->reason) &&
	       (strcmp(alert->kind, "open") != 0 ||
		json_out_add(object, "opened_ts", new_timestamp(alert->opened_ms)));
}

static struct json_object *encode_ack(const struct alert_ack *ack)
{
	struct json_object *object = json_object_new_object();

	if (!object)
		return NULL;
	if (json_out_add(object, "by", json_object_new_string(ack->by)) &&
	    json_out_add(object, "note", json_object_new_string(ack->note)) &&
	    json_out_add(object, "ts", new_timestamp(ack->ts_ms)))
		return object;
	json_object_put(object);
	return NULL;
}

/* A board line's acknowledgement, when there is one. */
static bool encode_board_ack(struct json_object *object, const struct alert *alert)
{
	if (strcmp(alert->kind, "open") != 0 || !alert->ack)
		return true;
	return json_out_add(object, "acknowledged", encode_ack(alert->ack));
}

/* "acknowledged": who, what, and for a repeat the first acknowledgement. */
static bool encode_ack_fields(struct json_object *object, const struct alert *alert)
{
	if (!alert->ack || !json_out_add(object, "by", json_object_new_string(alert->ack->by)) ||
	    !json_out_add(object, "note", json_object_new_string(alert->ack->note)))
		return false;
	if (!alert->first_ack)
		return true;
	return json_out_add(object, "repeat", json_object_new_boolean(true)) &&
	       json_out_add(object, "first_by", json_object_new_string(alert->first_ack->by)) &&
	       json_out_add(object, "first_ts", new_timestamp(alert->first_ack->ts_ms));
}

/* A sequential rule's evidence: expected count, log-likelihood ratio, threshold, why. */
static bool add_evidence(struct json_object *object, const struct alert *alert)
{
	return json_out_add(object, "expected", new_decimal(alert->expected, 2)) &&
	       json_out_add(object, "evidence", new_decimal(alert->evidence, 2)) &&
	       json_out_add(object, "threshold", new_decimal(alert->threshold, 2)) &&
	       json_out_add(object, "own_factor", new_decimal(alert->own_factor, 2)) &&
	       add_optional_string(object, "why", alert->why);
}

static bool encode_operator_fields(struct json_object *object, const struct alert *alert)
{
	return json_out_add(object, "rule", json_object_new_string(alert->rule)) &&
	       json_out_add(object, "severity", json_object_new_string(alert->severity)) &&
	       json_out_add(object, "window_seconds",
			    json_object_new_int64(alert->window_seconds)) &&
	       json_out_add(object, "calls", json_object_new_int64(alert->calls)) &&
	       json_out_add(object, "premature", json_object_new_int64(alert->premature)) &&
	       json_out_add(object, "called_back", json_object_new_int64(alert->called_back)) &&
	       json_out_add(object, "ratio", new_decimal(alert->ratio, 4)) &&
	       json_out_add(object, "center_ratio", new_decimal(alert->center_ratio, 4)) &&
	       json_out_add(object, "p_value", new_scientific(alert->p_value)) &&
	       (!alert->has_cusum || json_out_add(object, "cusum", new_decimal(alert->cusum, 3))) &&
	       (!alert->has_evidence || add_evidence(object, alert)) &&
	       (alert->late_ms <= 0 || add_late(object, alert)) &&
	       json_out_add(object, "callbacks", encode_callbacks(alert));
}

static bool encode_operator(struct json_object *object, const struct alert *alert)
{
	if (!add_optional_string(object, "agency", alert->agency) ||
	    !json_out_add(object, "operator", json_object_new_string(alert->operator_id)))
		return false;
	if (strcmp(alert->kind, "acknowledged") == 0)
		return encode_ack_fields(object, alert);
	return add_optional_string(object, "position", alert->position) &&
	       encode_operator_fields(object, alert) && encode_board_ack(object, alert);
}

static bool encode_system(struct json_object *object, const struct alert *alert)
{
	if (!json_out_add(object, "system", json_object_new_string(alert->system)))
		return false;
	if (strcmp(alert->kind, "acknowledged") == 0)
		return encode_ack_fields(object, alert);
	return json_out_add(object, "severity", json_object_new_string(alert->severity)) &&
	       add_optional_string(object, "source", alert->source) &&
	       add_optional_string(object, "receiver", alert->receiver) &&
	       (!alert->limit ||
		(json_out_add(object, "limit", json_object_new_string(alert->limit)) &&
		 json_out_add(object, "evicted", json_object_new_uint64(alert->evicted)))) &&
	       json_out_add(object, "message", json_object_new_string(alert->message)) &&
	       encode_board_ack(object, alert);
}

static bool encode_fields(struct json_object *object, const struct alert *alert)
{
	if (!encode_head(object, alert))
		return false;
	if (alert->type && strcmp(alert->type, "system") == 0)
		return encode_system(object, alert);
	return encode_operator(object, alert);
}

/* Not yet called back before called back; then newer answers first. */
static int compare_callbacks(const void *a, const void *b)
{
	const struct alert_callback *x = a, *y = b;

	if (x->called_back != y->called_back)
		return x->called_back ? 1 : -1;
	if (x->start_ms != y->start_ms)
		return x->start_ms > y->start_ms ? -1 : 1;
	return strcmp(y->call_id, x->call_id);
}

bool alert_ack_take(struct alert_ack_record *record, const struct alert_ack *ack,
		    struct alert_ack *first)
{
	if (record->acked) {
		alert_ack_view(record, first);
		return true;
	}
	record->acked = true;
	record->ts_ms = ack->ts_ms;
	text_copy(record->by, ack->by, sizeof(record->by));
	text_copy(record->note, ack->note, sizeof(record->note));
	return false;
}

const struct alert_ack *alert_ack_view(const struct alert_ack_record *record,
				       struct alert_ack *view)
{
	if (!record->acked)
		return NULL;
	*view = (struct alert_ack){.by = record->by, .note = record->note, .ts_ms = record->ts_ms};
	return view;
}

void alert_ack_save(const struct alert_ack_record *record, struct codec_writer *writer)
{
	codec_put_u8(writer, record->acked);
	codec_put_i64(writer, record->ts_ms);
	codec_put_string(writer, record->by);
	codec_put_string(writer, record->note);
}

void alert_ack_load(struct alert_ack_record *record, struct codec_reader *reader)
{
	record->acked = codec_get_u8(reader);
	record->ts_ms = codec_get_i64(reader);
	codec_get_string(reader, record->by, sizeof(record->by));
	codec_get_string(reader, record->note, sizeof(record->note));
}

void alert_sort_callbacks(struct alert_callback *callbacks, size_t count)
{
	if (count > 1)
		qsort(callbacks, count, sizeof(*callbacks), compare_callbacks);
}

size_t alert_encode_board_mark(bool begin, uint64_t seq, uint32_t open, char *out, size_t size)
{
	int len = snprintf(out, size, "{\"board\":\"%s\",\"seq\":%" PRIu64 ",\"open\":%" PRIu32 "}",
			   begin ? "begin" : "end", seq, open);

	return len < 0 ? 0 : (size_t)len < size ? (size_t)len : size - 1;
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
