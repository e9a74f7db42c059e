/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tracker.h"

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
 * after as many new calls as there are slots, or when the table is full: amortized O(1). */
static void expire_stale_calls(struct tracker *tracker)
{
	int64_t cutoff = tracker->newest_ms - tracker->max_call_ms;

	tracker->events_since_sweep = 0;
	if (tracker->max_call_ms > 0)
		tracker->stats.expired += table_remove_stale(&tracker->calls, call_is_stale, &cutoff, NULL, NULL);
}

/* Make room for one more call: expire stale calls, and if still full evict the oldest. */
static void make_room(struct tracker *tracker)
{
	struct table *calls = &tracker->calls;

	if (++tracker->events_since_sweep > calls->mask || calls->count >= calls->max_count)
		expire_stale_calls(tracker);
	if (calls->count >= calls->max_count)
		tracker->stats.evicted += table_evict_oldest(calls, call_eviction_age, EVICT_FRACTION, NULL, NULL);
}

/* A new open call for event->call_id in the empty slot i. */
static struct open_call *open_call(struct tracker *tracker, uint32_t i, const struct event *event,
				   uint64_t hash)
{
	struct open_call *call = table_claim(&tracker->calls, i, hash);

	call->last_seen_ms = event->ts_ms;
	text_copy(call->call_id, event->call_id, sizeof(call->call_id));
	return call;
}

static void record_start(struct open_call *call, const struct event *event)
{
	call->has_start = true;
	call->start_ms = event->ts_ms;
	text_copy(call->operator_id, event->operator_id, sizeof(call->operator_id));
	text_copy(call->agency, event->agency, sizeof(call->agency));
	text_copy(call->position, event->position, sizeof(call->position));
	text_copy(call->ani, event->ani, sizeof(call->ani));
}

static void record_end(struct open_call *call, const struct event *event)
{
	call->has_end = true;
	call->end_ms = event->ts_ms;
	call->released_by = event->released_by;
}

/* Record the event on its call; TRACKER_DUPLICATE when that side was already known. */
static enum tracker_result record_event(struct open_call *call, const struct event *event)
{
	if (event->ts_ms > call->last_seen_ms)
		call->last_seen_ms = event->ts_ms;
	switch (event->type) {
	case EVENT_CALL_START:
		if (call->has_start)
			return TRACKER_DUPLICATE;
		record_start(call, event);
		break;
	case EVENT_CALL_END:
		if (call->has_end)
			return TRACKER_DUPLICATE;
		record_end(call, event);
		break;
	case EVENT_INCIDENT:
		call->had_incident = true;
		break;
	case EVENT_TRANSFER:
		call->had_transfer = true;
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
	uint64_t hash = hash_string(event->call_id);
	uint32_t i = table_probe(&tracker->calls, hash, call_id_matches, event->call_id);

	if (event->ts_ms > tracker->newest_ms)
		tracker->newest_ms = event->ts_ms;
	if (!table_used(&tracker->calls, i)) {
		make_room(tracker);
		i = table_probe(&tracker->calls, hash, call_id_matches, event->call_id);
		open_call(tracker, i, event, hash);
	}
	struct open_call *call = table_slot(&tracker->calls, i);
	if (record_event(call, event) == TRACKER_DUPLICATE) {
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

void tracker_save(const struct tracker *tracker, struct codec_writer *writer)
{
	codec_put_i64(writer, tracker->newest_ms);
	codec_put_u32(writer, tracker->events_since_sweep);
	codec_put_bytes(writer, &tracker->stats, sizeof(tracker->stats));
	table_save(&tracker->calls, writer);
}

int tracker_load(struct tracker *tracker, struct codec_reader *reader)
{
	tracker->newest_ms = codec_get_i64(reader);
	tracker->events_since_sweep = codec_get_u32(reader);
	codec_get_bytes(reader, &tracker->stats, sizeof(tracker->stats));
	return table_load(&tracker->calls, reader);
}
