/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"
#include "table.h"
#include "text.h"

/* One open call: what its events have told so far. */
struct open_call {
	struct table_entry base;
	bool has_start;
	bool has_end;
	bool had_incident;
	bool had_transfer;
	enum released_by released_by;
	int64_t start_ms;
	int64_t end_ms;
	int64_t last_seen_ms; /* newest ts of any of its events */
	char call_id[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	char agency[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
};

/* When full, the oldest 1/EVICT_FRACTION of the open calls make room at once. */
#define EVICT_FRACTION 16

struct tracker {
	struct table calls;
	int64_t max_call_ms;
	int64_t newest_ms; /* newest event ts seen: the tracker's clock */
	uint32_t events_since_sweep;
	struct tracker_stats stats;
	struct open_call completed; /* the call last handed out as completed */
};

struct tracker *tracker_new(uint32_t max_open_calls, uint32_t max_call_seconds)
{
	struct tracker *tracker = calloc(1, sizeof(*tracker));

	if (!tracker)
		return NULL;
	if (table_init(&tracker->calls, sizeof(struct open_call), max_open_calls) != 0) {
		free(tracker);
		return NULL;
	}
	tracker->max_call_ms = (int64_t)max_call_seconds * 1000;
	tracker->newest_ms = INT64_MIN;
	return tracker;
}

void tracker_free(struct tracker *tracker)
{
	if (!tracker)
		return;
	table_release(&tracker->calls);
	free(tracker);
}

static bool call_id_matches(const void *entry, const void *key)
{
	return strcmp(((const struct open_call *)entry)->call_id, key) == 0;
}

static int64_t call_last_seen(const void *entry)
{
	return ((const struct open_call *)entry)->last_seen_ms;
}

static bool call_is_stale(const void *entry, const void *ctx)
{
	return call_last_seen(entry) < *(const int64_t *)ctx;
}

/* Evidence first: a call whose call_start never came (an end, an incident heard of alone,
 * what a flood of invented call ids leaves) goes before any call with a call-taker; the
 * oldest first within each. */
static int64_t call_eviction_age(const void *entry)
{
	const struct open_call *call = entry;

	return call->has_start ? call->last_seen_ms : call->last_seen_ms - (INT64_C(1) << 62);
}

/* Drop every open call not heard of for max_call_ms of event time. O(slots), so it runs only
 * after as many new calls as the full table has slots, or when the table is full: amortized
 * O(1), and at the same events whatever size the table has grown to. */
static void expire_stale_calls(struct tracker *tracker)
{
	int64_t cutoff = tracker->newest_ms - tracker->max_call_ms;

	tracker->events_since_sweep = 0;
	if (tracker->max_call_ms > 0)
		tracker->stats.expired +=
			table_remove_stale(&tracker->calls, call_is_stale, &cutoff, NULL, NULL);
}

/* Make room for one more call: expire stale calls, and if still full evict the oldest. */
static void make_room(struct tracker *tracker)
{
	struct table *calls = &tracker->calls;

	if (++tracker->events_since_sweep > calls->full_mask || calls->count >= calls->max_count)
		expire_stale_calls(tracker);
	if (calls->count >= calls->max_count)
		tracker->stats.evicted +=
			table_evict_oldest(calls, call_eviction_age, EVICT_FRACTION, NULL, NULL);
}

/* A new open call for event->call_id in the empty slot i; NULL when out of memory. */
static struct open_call *open_call(struct tracker *tracker, uint32_t i, const struct event *event,
				   uint64_t hash)
{
	struct open_call *call = table_claim(&tracker->calls, i, hash);

	if (!call)
		return NULL;
	call->last_seen_ms = event->ts_ms;
	text_copy(call->call_id, event->call_id, sizeof(call->call_id));
	return call;
}

static void open_call_set_start(struct open_call *call, const struct event *event)
{
	call->has_start = true;
	call->start_ms = event->ts_ms;
	text_copy(call->operator_id, event->operator_id, sizeof(call->operator_id));
	text_copy(call->agency, event->agency, sizeof(call->agency));
	text_copy(call->position, event->position, sizeof(call->position));
	text_copy(call->ani, event->ani, sizeof(call->ani));
}

static void open_call_set_end(struct open_call *call, const struct event *event)
{
	call->has_end = true;
	call->end_ms = event->ts_ms;
	call->released_by = event->released_by;
}

/* Take the event into its open call; TRACKER_DUPLICATE when that side was already known. */
static enum tracker_result open_call_apply(struct open_call *call, const struct event *event)
{
	if (event->ts_ms > call->last_seen_ms)
		call->last_seen_ms = event->ts_ms;
	switch (event->type) {
	case EVENT_CALL_START:
		if (call->has_start)
			return TRACKER_DUPLICATE;
		open_call_set_start(call, event);
		break;
	case EVENT_CALL_END:
		if (call->has_end)
			return TRACKER_DUPLICATE;
		open_call_set_end(call, event);
		break;
	case EVENT_INCIDENT:
		call->had_incident = true;
		break;
	case EVENT_TRANSFER:
		call->had_transfer = true;
		break;
	case EVENT_OPERATOR_STATE: /* names no call: the engine gives it to the detector */
		break;
	}
	return TRACKER_PENDING;
}

static void describe_completed(const struct open_call *call, struct completed_call *out)
{
	*out = (struct completed_call){
		.call_id = call->call_id,
		.operator_id = call->operator_id,
		.agency = call->agency,
		.position = call->position,
		.ani = call->ani,
		.start_ms = call->start_ms,
		.end_ms = call->end_ms,
		.released_by = call->released_by,
		.had_incident = call->had_incident,
		.had_transfer = call->had_transfer,
	};
}

/* Take a call with both ends out of the table, handing it out unless its times contradict. */
static enum tracker_result complete_call(struct tracker *tracker, uint32_t i,
					 struct completed_call *completed)
{
	tracker->completed = *(struct open_call *)table_slot(&tracker->calls, i);
	table_remove(&tracker->calls, i);
	if (tracker->completed.end_ms < tracker->completed.start_ms) {
		tracker->stats.end_before_start++;
		return TRACKER_END_BEFORE_START;
	}
	describe_completed(&tracker->completed, completed);
	return TRACKER_COMPLETED;
}

enum tracker_result tracker_apply(struct tracker *tracker, const struct event *event,
				  struct completed_call *completed)
{
	return tracker_apply_hashed(tracker, event, hash_string(event->call_id), completed);
}

enum tracker_result tracker_apply_hashed(struct tracker *tracker, const struct event *event,
					 uint64_t hash, struct completed_call *completed)
{
	uint32_t i = table_probe(&tracker->calls, hash, call_id_matches, event->call_id);

	if (event->ts_ms > tracker->newest_ms)
		tracker->newest_ms = event->ts_ms;
	struct open_call *call = table_slot(&tracker->calls, i);
	if (!table_used(&tracker->calls, i)) {
		make_room(tracker);
		i = table_probe(&tracker->calls, hash, call_id_matches, event->call_id);
		if (!(call = open_call(tracker, i, event, hash))) {
			tracker->stats
				.evicted++; /* no memory to grow: the call is lost, as if evicted */
			return TRACKER_PENDING;
		}
		i = table_index(&tracker->calls, call);
	}
	if (open_call_apply(call, event) == TRACKER_DUPLICATE) {
		tracker->stats.duplicates++;
		return TRACKER_DUPLICATE;
	}
	if (call->has_start && call->has_end)
		return complete_call(tracker, i, completed);
	return TRACKER_PENDING;
}

uint32_t tracker_open_calls(const struct tracker *tracker)
{
	return tracker->calls.count;
}

const struct tracker_stats *tracker_stats(const struct tracker *tracker)
{
	return &tracker->stats;
}

int tracker_reconfigure(struct tracker *tracker, uint32_t max_open_calls, uint32_t max_call_seconds)
{
	int evicted = table_resize(&tracker->calls, max_open_calls, call_last_seen, NULL, NULL);

	if (evicted < 0)
		return evicted;
	tracker->stats.evicted += (uint64_t)evicted;
	tracker->max_call_ms = (int64_t)max_call_seconds * 1000;
	return 0;
}

static const struct codec_counter tracker_counters[] = {
	CODEC_COUNTER_SCALAR(struct tracker_stats, duplicates),
	CODEC_COUNTER_SCALAR(struct tracker_stats, evicted),
	CODEC_COUNTER_SCALAR(struct tracker_stats, end_before_start),
	CODEC_COUNTER_SCALAR(struct tracker_stats, expired),
};

#define CALL_HAS_START 1u
#define CALL_HAS_END 2u
#define CALL_HAD_INCIDENT 4u
#define CALL_HAD_TRANSFER 8u
#define CALL_RELEASED_BY_ALL \
	(RELEASED_BY_OPERATOR | RELEASED_BY_CALLER | RELEASED_BY_SYSTEM | RELEASED_BY_UNKNOWN)

/* [u8 flags][u32 released_by][i64 start][i64 end][i64 last seen]
 * [string call_id][string operator][string agency][string position][string ani] */
static void put_call(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct open_call *call = entry;

	(void)ctx;
	codec_put_u8(writer, (uint8_t)((call->has_start ? CALL_HAS_START : 0) |
				       (call->has_end ? CALL_HAS_END : 0) |
				       (call->had_incident ? CALL_HAD_INCIDENT : 0) |
				       (call->had_transfer ? CALL_HAD_TRANSFER : 0)));
	codec_put_u32(writer, (uint32_t)call->released_by);
	codec_put_i64(writer, call->start_ms);
	codec_put_i64(writer, call->end_ms);
	codec_put_i64(writer, call->last_seen_ms);
	codec_put_string(writer, call->call_id);
	codec_put_string(writer, call->operator_id);
	codec_put_string(writer, call->agency);
	codec_put_string(writer, call->position);
	codec_put_string(writer, call->ani);
}

static int get_call(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct open_call *call = entry;
	uint8_t flags = codec_get_u8(reader);
	uint32_t released_by = codec_get_u32(reader);

	(void)ctx;
	call->has_start = flags & CALL_HAS_START;
	call->has_end = flags & CALL_HAS_END;
	call->had_incident = flags & CALL_HAD_INCIDENT;
	call->had_transfer = flags & CALL_HAD_TRANSFER;
	call->released_by = (enum released_by)released_by;
	call->start_ms = codec_get_i64(reader);
	call->end_ms = codec_get_i64(reader);
	call->last_seen_ms = codec_get_i64(reader);
	codec_get_string(reader, call->call_id, sizeof(call->call_id));
	codec_get_string(reader, call->operator_id, sizeof(call->operator_id));
	codec_get_string(reader, call->agency, sizeof(call->agency));
	codec_get_string(reader, call->position, sizeof(call->position));
	codec_get_string(reader, call->ani, sizeof(call->ani));
	*hash = hash_string(call->call_id);
	return flags > 15 || (released_by & ~(uint32_t)CALL_RELEASED_BY_ALL) ? -EINVAL : 0;
}

void tracker_save(const struct tracker *tracker, struct codec_writer *writer)
{
	codec_put_i64(writer, tracker->newest_ms);
	codec_put_u32(writer, tracker->events_since_sweep);
	codec_put_counters(writer, tracker_counters, CODEC_COUNTER_COUNT(tracker_counters),
			   &tracker->stats);
	table_save_entries(&tracker->calls, writer, put_call, NULL);
}

int tracker_load(struct tracker *tracker, struct codec_reader *reader)
{
	tracker->newest_ms = codec_get_i64(reader);
	tracker->events_since_sweep = codec_get_u32(reader);
	if (codec_get_counters(reader, tracker_counters, CODEC_COUNTER_COUNT(tracker_counters),
			       &tracker->stats) != 0)
		return -EINVAL;
	return table_load_entries(&tracker->calls, reader, get_call, NULL);
}
