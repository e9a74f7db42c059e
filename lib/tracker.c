/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tracker.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* One open call: what its events have told so far. */
struct open_call {
	bool used;
	bool has_start;
	bool has_end;
	bool had_incident;
	bool had_transfer;
	enum released_by released_by;
	uint64_t hash;
	int64_t start_ms;
	int64_t end_ms;
	int64_t last_seen_ms; /* newest ts of any of its events */
	char call_id[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	char agency[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
};

struct tracker {
	struct open_call *slots; /* linear probing, load factor <= 1/2 */
	uint32_t slot_mask;
	uint32_t max_open_calls;
	uint32_t open_calls;
	int64_t max_call_ms;
	int64_t newest_ms; /* newest event ts seen: the tracker's clock */
	uint32_t events_since_sweep;
	struct tracker_stats stats;
	struct open_call completed; /* the call last handed out as completed */
};

static uint32_t slot_count_for(uint32_t max_open_calls)
{
	uint32_t slots = 16;

	while (slots < 2 * (uint64_t)max_open_calls)
		slots *= 2;
	return slots;
}

struct tracker *tracker_new(uint32_t max_open_calls, uint32_t max_call_seconds)
{
	struct tracker *tracker = calloc(1, sizeof(*tracker));

	if (!tracker || max_open_calls == 0 || max_open_calls > (UINT32_C(1) << 30))
		goto fail;
	uint32_t slots = slot_count_for(max_open_calls);
	tracker->slots = calloc(slots, sizeof(*tracker->slots));
	if (!tracker->slots)
		goto fail;
	tracker->slot_mask = slots - 1;
	tracker->max_open_calls = max_open_calls;
	tracker->max_call_ms = (int64_t)max_call_seconds * 1000;
	tracker->newest_ms = INT64_MIN;
	return tracker;
fail:
	free(tracker);
	return NULL;
}

void tracker_free(struct tracker *tracker)
{
	if (!tracker)
		return;
	free(tracker->slots);
	free(tracker);
}

/* The slot holding call_id, or the empty slot where it would go. */
static uint32_t find_slot(const struct tracker *tracker, const char *call_id, uint64_t hash)
{
	uint32_t i = (uint32_t)hash & tracker->slot_mask;

	while (tracker->slots[i].used &&
	       (tracker->slots[i].hash != hash || strcmp(tracker->slots[i].call_id, call_id) != 0))
		i = (i + 1) & tracker->slot_mask;
	return i;
}

/* Backward-shift deletion: keeps every probe chain unbroken without tombstones. */
static void remove_slot(struct tracker *tracker, uint32_t hole)
{
	uint32_t i = hole;

	for (;;) {
		i = (i + 1) & tracker->slot_mask;
		if (!tracker->slots[i].used)
			break;
		uint32_t home = (uint32_t)tracker->slots[i].hash & tracker->slot_mask;
		/* Move slot i into the hole unless its home lies cyclically in (hole, i]. */
		bool home_after_hole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (home_after_hole)
			continue;
		tracker->slots[hole] = tracker->slots[i];
		hole = i;
	}
	tracker->slots[hole].used = false;
	tracker->open_calls--;
}

/* Drop every open call not heard of for max_call_ms of event time. O(slots), so it runs only
 * after as many events as there are slots, or when the table is full: amortized O(1). */
static void expire_stale_calls(struct tracker *tracker)
{
	int64_t cutoff = tracker->newest_ms - tracker->max_call_ms;

	tracker->events_since_sweep = 0;
	if (tracker->max_call_ms <= 0)
		return;
	for (uint32_t i = 0; i <= tracker->slot_mask; i++) {
		while (tracker->slots[i].used && tracker->slots[i].last_seen_ms < cutoff) {
			tracker->stats.expired++;
			remove_slot(tracker, i);
		}
	}
}

static void copy_text(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Claim the empty slot i for event->call_id. */
static struct open_call *claim_slot(struct tracker *tracker, uint32_t i, const struct event *event,
				    uint64_t hash)
{
	struct open_call *call = &tracker->slots[i];

	memset(call, 0, sizeof(*call));
	call->used = true;
	call->hash = hash;
	call->last_seen_ms = event->ts_ms;
	copy_text(call->call_id, event->call_id, sizeof(call->call_id));
	tracker->open_calls++;
	return call;
}

static void record_start(struct open_call *call, const struct event *event)
{
	call->has_start = true;
	call->start_ms = event->ts_ms;
	copy_text(call->operator_id, event->operator_id, sizeof(call->operator_id));
	copy_text(call->agency, event->agency, sizeof(call->agency));
	copy_text(call->position, event->position, sizeof(call->position));
	copy_text(call->ani, event->ani, sizeof(call->ani));
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
	tracker->completed = tracker->slots[i];
	remove_slot(tracker, i);
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
	uint32_t i = find_slot(tracker, event->call_id, hash);

	if (event->ts_ms > tracker->newest_ms)
		tracker->newest_ms = event->ts_ms;
	if (!tracker->slots[i].used) {
		if (++tracker->events_since_sweep > tracker->slot_mask ||
		    tracker->open_calls >= tracker->max_open_calls) {
			expire_stale_calls(tracker);
			i = find_slot(tracker, event->call_id, hash);
		}
		if (tracker->open_calls >= tracker->max_open_calls) {
			tracker->stats.table_full++;
			return TRACKER_TABLE_FULL;
		}
		claim_slot(tracker, i, event, hash);
	}
	struct open_call *call = &tracker->slots[i];
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
	return tracker->open_calls;
}

const struct tracker_stats *tracker_stats(const struct tracker *tracker)
{
	return &tracker->stats;
}
