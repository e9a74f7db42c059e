/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "alert.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "codec.h"
#include "event.h"
#include "hash.h"
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

/* --- the notice's JSON text, written directly ----------------------------------------------
 * The bytes json-c wrote (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE): members in
 * insertion order, no spaces, its string escapes, the decimals' own text. Written without
 * building json-c objects, which cost an allocation per member (tens of µs per notice, on
 * the alert's path to the consoles: bench/README.md, "branch latency2"). */

/* The notice's text as it grows; failed after an allocation failure (everything after is
 * dropped). */
struct notice_text {
	char *bytes;
	size_t len, size;
	bool failed;
};

#define NOTICE_TEXT_INITIAL_BYTES 1024

/* Room for more bytes and the NUL after them, grown as every growing array is (array.h). */
static bool text_reserve(struct notice_text *text, size_t more)
{
	if (text->failed)
		return false;
	while (text->len + more + 1 > text->size) {
		if (array_reserve((void **)&text->bytes, &text->size, text->size, 1,
				  NOTICE_TEXT_INITIAL_BYTES) < 0) {
			text->failed = true;
			return false;
		}
	}
	return true;
}

static void put_bytes(struct notice_text *text, const char *bytes, size_t len)
{
	if (!text_reserve(text, len))
		return;
	memcpy(text->bytes + text->len, bytes, len);
	text->len += len;
	text->bytes[text->len] = '\0';
}

static void put_literal(struct notice_text *text, const char *literal)
{
	put_bytes(text, literal, strlen(literal));
}

/* A string as json-c escapes it: \" \\ \b \f \n \r \t, other control bytes as \u00xx, the
 * rest (UTF-8 included) as is. A NULL string fails the notice, as json-c's did. */
static void put_string(struct notice_text *text, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	const char *run;

	if (!value) {
		text->failed = true;
		return;
	}
	put_bytes(text, "\"", 1);
	for (run = value; *value; value++) {
		unsigned char byte = (unsigned char)*value;
		char escape[6] = { '\\', 0 };
		size_t escape_len = 2;

		if (byte >= 0x20 && byte != '"' && byte != '\\')
			continue;
		put_bytes(text, run, (size_t)(value - run));
		run = value + 1;
		switch (byte) {
		case '"': escape[1] = '"'; break;
		case '\\': escape[1] = '\\'; break;
		case '\b': escape[1] = 'b'; break;
		case '\f': escape[1] = 'f'; break;
		case '\n': escape[1] = 'n'; break;
		case '\r': escape[1] = 'r'; break;
		case '\t': escape[1] = 't'; break;
		default:
			memcpy(escape + 1, "u00", 3);
			escape[4] = hex[byte >> 4];
			escape[5] = hex[byte & 0xf];
			escape_len = 6;
		}
		put_bytes(text, escape, escape_len);
	}
	put_bytes(text, run, (size_t)(value - run));
	put_bytes(text, "\"", 1);
}

/* "key": with the comma before it unless it opens its object (keys are plain ASCII names). */
static void put_key(struct notice_text *text, const char *key)
{
	size_t key_len = strlen(key);

	if (!text_reserve(text, key_len + 4))
		return;
	if (text->len > 0 && text->bytes[text->len - 1] != '{')
		text->bytes[text->len++] = ',';
	text->bytes[text->len++] = '"';
	memcpy(text->bytes + text->len, key, key_len);
	text->len += key_len;
	text->bytes[text->len++] = '"';
	text->bytes[text->len++] = ':';
	text->bytes[text->len] = '\0';
}

static void put_string_member(struct notice_text *text, const char *key, const char *value)
{
	put_key(text, key);
	put_string(text, value);
}

/* A member only when value is set and not empty. */
static void put_optional_string(struct notice_text *text, const char *key, const char *value)
{
	if (value && value[0])
		put_string_member(text, key, value);
}

static void put_u64_member(struct notice_text *text, const char *key, uint64_t value)
{
	char digits[24];
	size_t at = sizeof(digits);

	do {
		digits[--at] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	put_key(text, key);
	put_bytes(text, digits + at, sizeof(digits) - at);
}

static void put_bool_member(struct notice_text *text, const char *key, bool value)
{
	put_key(text, key);
	put_literal(text, value ? "true" : "false");
}

static void put_decimal_member(struct notice_text *text, const char *key, double value,
			       int decimals)
{
	char digits[48];

	format_decimal(value, decimals, digits, sizeof(digits));
	put_key(text, key);
	put_literal(text, digits);
}

/* A probability to 3 significant digits: 0.0123, 4.56e-07, 1, 0. */
static void put_probability_member(struct notice_text *text, const char *key, double value)
{
	char digits[48];

	if (value >= 0.001 || value == 0.0) {
		format_decimal(value, 4, digits, sizeof(digits));
		if (strcmp(digits, "0") == 0 && value > 0.0)
			snprintf(digits, sizeof(digits), "%.3g", value);
	} else {
		snprintf(digits, sizeof(digits), "%.2e", value);
	}
	put_key(text, key);
	put_literal(text, digits);
}

static void put_timestamp_member(struct notice_text *text, const char *key, int64_t epoch_ms)
{
	char timestamp[TIMESTAMP_TEXT_MAX];

	timestamp_format(epoch_ms, timestamp);
	put_string_member(text, key, timestamp);
}

static void put_callback(struct notice_text *text, const struct alert_callback *callback)
{
	put_bytes(text, "{", 1);
	put_string_member(text, "call_id", callback->call_id);
	put_optional_string(text, "ani", callback->ani);
	put_timestamp_member(text, "ts", callback->start_ms);
	put_decimal_member(text, "talk_seconds", (double)callback->talk_ms / 1000.0, 3);
	put_bool_member(text, "called_back", callback->called_back);
	put_bytes(text, "}", 1);
}

static void put_callbacks(struct notice_text *text, const struct alert *alert)
{
	put_key(text, "callbacks");
	put_bytes(text, "[", 1);
	for (size_t i = 0; i < alert->callback_count; i++) {
		if (i > 0)
			put_bytes(text, ",", 1);
		put_callback(text, &alert->callbacks[i]);
	}
	put_bytes(text, "]", 1);
}

/* "late": true and "late_seconds" on a notice decided behind the center (docs/protocol.md). */
static void put_late(struct notice_text *text, const struct alert *alert)
{
	put_bool_member(text, "late", true);
	put_decimal_member(text, "late_seconds", (double)alert->late_ms / 1000.0, 3);
}

/* The first keys of every notice: what it is, which alert, when. */
static void put_head(struct notice_text *text, const struct alert *alert)
{
	put_string_member(text, "alert", alert->kind);
	put_string_member(text, "alert_id", alert->alert_id);
	put_u64_member(text, "seq", alert->seq);
	put_timestamp_member(text, "ts", alert->ts_ms);
	put_string_member(text, "type", alert->type ? alert->type : "operator");
	put_optional_string(text, "reason", alert->reason);
	if (strcmp(alert->kind, "open") == 0)
		put_timestamp_member(text, "opened_ts", alert->opened_ms);
}

/* A board line's acknowledgement, when there is one. */
static void put_board_ack(struct notice_text *text, const struct alert *alert)
{
	if (strcmp(alert->kind, "open") != 0 || !alert->ack)
		return;
	put_key(text, "acknowledged");
	put_bytes(text, "{", 1);
	put_string_member(text, "by", alert->ack->by);
	put_string_member(text, "note", alert->ack->note);
	put_timestamp_member(text, "ts", alert->ack->ts_ms);
	put_bytes(text, "}", 1);
}

/* "acknowledged": who, what, and for a repeat the first acknowledgement. */
static void put_ack_fields(struct notice_text *text, const struct alert *alert)
{
	if (!alert->ack) {
		text->failed = true;
		return;
	}
	put_string_member(text, "by", alert->ack->by);
	put_string_member(text, "note", alert->ack->note);
	if (!alert->first_ack)
		return;
	put_bool_member(text, "repeat", true);
	put_string_member(text, "first_by", alert->first_ack->by);
	put_timestamp_member(text, "first_ts", alert->first_ack->ts_ms);
}

/* A sequential rule's evidence: expected count, log-likelihood ratio, threshold, why. */
static void put_evidence(struct notice_text *text, const struct alert *alert)
{
	put_decimal_member(text, "expected", alert->expected, 2);
	put_decimal_member(text, "evidence", alert->evidence, 2);
	put_decimal_member(text, "threshold", alert->threshold, 2);
	put_decimal_member(text, "own_factor", alert->own_factor, 2);
	put_optional_string(text, "why", alert->why);
}

static void put_operator_fields(struct notice_text *text, const struct alert *alert)
{
	put_string_member(text, "rule", alert->rule);
	put_string_member(text, "severity", alert->severity);
	put_u64_member(text, "window_seconds", alert->window_seconds);
	put_u64_member(text, "calls", alert->calls);
	put_u64_member(text, "premature", alert->premature);
	put_u64_member(text, "called_back", alert->called_back);
	put_decimal_member(text, "ratio", alert->ratio, 4);
	put_decimal_member(text, "center_ratio", alert->center_ratio, 4);
	put_probability_member(text, "p_value", alert->p_value);
	if (alert->has_cusum)
		put_decimal_member(text, "cusum", alert->cusum, 3);
	if (alert->has_evidence)
		put_evidence(text, alert);
	if (alert->late_ms > 0)
		put_late(text, alert);
	put_callbacks(text, alert);
}

static void put_operator(struct notice_text *text, const struct alert *alert)
{
	put_optional_string(text, "agency", alert->agency);
	put_string_member(text, "operator", alert->operator_id);
	if (strcmp(alert->kind, "acknowledged") == 0) {
		put_ack_fields(text, alert);
		return;
	}
	put_optional_string(text, "position", alert->position);
	put_operator_fields(text, alert);
	put_board_ack(text, alert);
}

static void put_system(struct notice_text *text, const struct alert *alert)
{
	put_string_member(text, "system", alert->system);
	if (strcmp(alert->kind, "acknowledged") == 0) {
		put_ack_fields(text, alert);
		return;
	}
	put_string_member(text, "severity", alert->severity);
	put_optional_string(text, "source", alert->source);
	put_optional_string(text, "receiver", alert->receiver);
	if (alert->limit) {
		put_string_member(text, "limit", alert->limit);
		put_u64_member(text, "evicted", alert->evicted);
	}
	put_string_member(text, "message", alert->message);
	put_board_ack(text, alert);
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
	struct notice_text text = { 0 };

	put_bytes(&text, "{", 1);
	put_head(&text, alert);
	if (alert->type && strcmp(alert->type, "system") == 0)
		put_system(&text, alert);
	else
		put_operator(&text, alert);
	put_bytes(&text, "}", 1);
	if (text.failed) {
		free(text.bytes);
		return NULL;
	}
	*len = text.len;
	return text.bytes;
}
