/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "acks.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/* Quick test before parsing: a hello is a JSON object naming "hello". */
static bool may_be_hello(const char *line, size_t len)
{
	static const char key[] = "\"hello\"";

	for (size_t i = 0; i + sizeof key - 1 <= len; i++)
		if (memcmp(line + i, key, sizeof key - 1) == 0)
			return true;
	return false;
}

/* Parse a whole line as one JSON object; NULL if it is not one. */
static struct json_object *parse_object(const char *line, size_t len)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *value;

	if (!tokener)
		return NULL;
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	value = json_tokener_parse_ex(tokener, line, (int)len);
	if (value && (!json_object_is_type(value, json_type_object) ||
		      json_tokener_get_parse_end(tokener) < len)) {
		json_object_put(value);
		value = NULL;
	}
	json_tokener_free(tokener);
	return value;
}

/* The optional "epoch": a string or an integer the sender changes when it loses its numbering. */
static bool read_epoch(struct acks *acks, struct json_object *epoch, char *why, size_t why_size)
{
	size_t len;

	if (!epoch)
		return true;
	if (json_object_is_type(epoch, json_type_int)) {
		snprintf(acks->epoch, sizeof(acks->epoch), "%" PRId64,
			 json_object_get_int64(epoch));
		return true;
	}
	len = json_object_is_type(epoch, json_type_string)
		      ? (size_t)json_object_get_string_len(epoch)
		      : 0;
	if (len == 0 || len > EVENT_ID_MAX || memchr(json_object_get_string(epoch), '\0', len)) {
		snprintf(why, why_size, "\"epoch\" must be an integer or 1 to %d bytes",
			 EVENT_ID_MAX);
		return false;
	}
	memcpy(acks->epoch, json_object_get_string(epoch), len + 1);
	return true;
}

/* Check a hello object and take its source; false with why on a problem. */
static bool read_hello(struct acks *acks, struct json_object *object, char *why, size_t why_size)
{
	struct json_object *hello = json_object_object_get(object, "hello");
	struct json_object *source = json_object_object_get(object, "source");
	const char *text;
	size_t source_len;

	if (!json_object_is_type(hello, json_type_string) ||
	    strcmp(json_object_get_string(hello), "feed") != 0) {
		snprintf(why, why_size, "\"hello\" must be \"feed\"");
		return false;
	}
	text = json_object_is_type(source, json_type_string) ? json_object_get_string(source)
							      : NULL; /* not a string */
	source_len = text ? (size_t)json_object_get_string_len(source) : 0;
	if (event_source_check(text, source_len, why, why_size) != EVENT_OK)
		return false;
	if (!read_epoch(acks, json_object_object_get(object, "epoch"), why, why_size))
		return false;
	memcpy(acks->source, text, source_len + 1);
	return true;
}

enum acks_hello acks_first_line(struct acks *acks, const char *line, size_t len, char *why,
				size_t why_size)
{
	struct json_object *object;
	enum acks_hello result = ACKS_NOT_HELLO;

	acks->first_line_seen = true;
	if (!may_be_hello(line, len) || !(object = parse_object(line, len)))
		return ACKS_NOT_HELLO;
	if (json_object_object_get_ex(object, "hello", NULL))
		result = read_hello(acks, object, why, why_size) ? ACKS_HELLO : ACKS_BAD_HELLO;
	json_object_put(object);
	return result;
}

void acks_note(struct acks *acks, const struct engine_verdict *verdict, uint64_t record_index)
{
	acks->duplicates += verdict->duplicate;
	if (!verdict->has_seq)
		return;
	acks->pending_duplicates = acks->duplicates;
	if (!acks->has_seq || verdict->seq > acks->highest_seq)
		acks->highest_seq = verdict->seq;
	acks->has_seq = true;
	acks->pending_index = record_index;
	acks->pending = !acks->acked_any || acks->highest_seq > acks->acked_seq;
	if (!acks->pending)
		acks->mark_count = 0; /* every kept turn is acknowledged already */
}

void acks_mark(struct acks *acks)
{
	/* lines not journaled (index 0) wait for the acknowledgement of everything */
	if (!acks->pending || acks->pending_index == 0 ||
	    (acks->mark_count > 0 &&
	     acks->marks[acks->mark_count - 1].index == acks->pending_index))
		return;
	if (acks->mark_count == ACKS_MARKS_MAX)
		acks->mark_count--; /* the older ones are durable first */
	acks->marks[acks->mark_count++] =
		(struct acks_mark){ .seq = acks->highest_seq,
				    .index = acks->pending_index,
				    .duplicates = acks->pending_duplicates };
}

/* The newest kept turn whose records are durable, and those before it, dropped: its mark
 * (seq 0 and no duplicates when none is). */
static struct acks_mark take_durable_marks(struct acks *acks, uint64_t durable_index)
{
	struct acks_mark newest = { 0 };
	uint32_t taken = 0;

	while (taken < acks->mark_count && acks->marks[taken].index <= durable_index)
		newest = acks->marks[taken++];
	acks->mark_count -= taken;
	memmove(acks->marks, acks->marks + taken, acks->mark_count * sizeof acks->marks[0]);
	return newest;
}

size_t acks_due(struct acks *acks, uint64_t durable_index, char line[ACKS_LINE_MAX])
{
	struct acks_mark due;
	int len;

	if (!acks->pending)
		return 0;
	if (acks->pending_index <= durable_index) {
		due = (struct acks_mark){ .seq = acks->highest_seq,
					  .duplicates = acks->pending_duplicates };
		acks->mark_count = 0;
		acks->pending = false;
		if (acks->acked_any && due.seq == acks->acked_seq &&
		    due.duplicates == acks->acked_duplicates)
			return 0; /* a kept turn's ack said it already */
	} else {
		due = take_durable_marks(acks, durable_index);
		if (due.index == 0 || (acks->acked_any && due.seq <= acks->acked_seq))
			return 0;
	}
	if (due.duplicates > 0)
		len = snprintf(line, ACKS_LINE_MAX,
			       "{\"ack\":%" PRIu64 ",\"duplicates\":%" PRIu64 "}\n", due.seq,
			       due.duplicates);
	else
		len = snprintf(line, ACKS_LINE_MAX, "{\"ack\":%" PRIu64 "}\n", due.seq);
	acks->acked_seq = due.seq;
	acks->acked_duplicates = due.duplicates;
	acks->acked_any = true;
	return (size_t)len;
}
