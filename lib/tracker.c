/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"
#include "moves.h"
#include "table.h"
#include "text.h"

/* Its strings inline up to here: a center's usual call_id, operator, agency, position and
 * ani with their terminators ("DEMO-000001", "op-955", "DEMO", "P955", "3185553785": 40). */
#define CALL_TEXT_INLINE 44

/* The strings of a call, in this order in its text (text_pack): */
enum call_field { CALL_ID, CALL_OPERATOR, CALL_AGENCY, CALL_POSITION, CALL_ANI, CALL_FIELDS };

/* One open call: what its events have told so far. 120 bytes (were 344, five fixed arrays;
 * 128 with a used flag) in a table kept at most half full: what max_open_calls costs. */
struct open_call {
	struct table_entry base;
	int64_t start_ms;
	int64_t end_ms;
	int64_t last_seen_ms; /* newest ts of any of its events */
	/* Its call_id, then (once its call_start came) operator, agency, position and ani, at
	 * their length: in text, or in long_text (allocated, freed with the call) when longer
	 * than CALL_TEXT_INLINE. call_text reads them, call_field finds one. */
	char *long_text;
	enum released_by released_by;
	bool has_start;
	bool has_end;
	bool had_incident;
	bool had_transfer;
	unsigned char lengths[CALL_FIELDS - 1]; /* of each string but the ani (each <= 64) */
	char text[CALL_TEXT_INLINE];
	/* once its call_start came: its strings' hashes a completed call carries (hash_start) */
	uint64_t agency_hash;
	uint64_t operator_hash;
	uint64_t ani_hash;
};

_Static_assert(sizeof(struct open_call) == 120, "an open call is 120 bytes");

static const char *call_text(const struct open_call *call)
{
	return call->long_text ? call->long_text : call->text;
}

/* String f of a call whose call_start came (its call_id in any case). */
static const char *call_field(const struct open_call *call, enum call_field f)
{
	const char *field = call_text(call);

	for (int i = CALL_ID; i < (int)f; i++)
		field += call->lengths[i] + 1;
	return field;
}

/* Pack the call's strings (its call_id alone before its call_start); false when out of
 * memory (the call keeps what it had). */
static bool set_call_text(struct open_call *call, const char *const *strings, size_t count)
{
	unsigned char lengths[CALL_FIELDS];
	char *packed = text_pack(call->text, sizeof(call->text), strings, count, lengths);

	if (!packed)
		return false;
	if (call->long_text)
		free(call->long_text);
	call->long_text = packed == call->text ? NULL : packed;
	memcpy(call->lengths, lengths, sizeof(call->lengths));
	return true;
}

static void free_call_text(void *entry, void *ctx)
{
	(void)ctx;
	free(((struct open_call *)entry)->long_text);
}

/* When full, the oldest 1/EVICT_FRACTION of the open calls make room at once. */
#define EVICT_FRACTION 16

/* The open calls' starts counted by minute (tracker_started_between): the minutes of the last
 * TRACKER_START_MINUTES up to the newest ts's, in a ring, and those before them together. */
struct start_minutes {
	uint32_t counts[TRACKER_START_MINUTES]; /* minute m at m % TRACKER_START_MINUTES */
	int64_t first;   /* the ring's oldest minute: the newest ts's, less the ring's length */
	uint32_t before; /* starts before first */
	uint32_t within; /* starts from first on */
};

#define MINUTE_MS 60000

/* The minute of ms (floored, before the epoch too). */
static int64_t minute_of(int64_t ms)
{
	return ms / MINUTE_MS - (ms % MINUTE_MS < 0);
}

static uint32_t *minute_count(struct start_minutes *minutes, int64_t minute)
{
	return &minutes->counts[(uint64_t)minute % TRACKER_START_MINUTES];
}

/* The newest ts moved to newest_ms: the minutes leaving the ring join the starts before it. */
static void minutes_follow(struct start_minutes *minutes, int64_t newest_ms)
{
	int64_t first = minute_of(newest_ms) - (TRACKER_START_MINUTES - 1);

	if (first <= minutes->first)
		return;
	for (int64_t m = minutes->first; m < first && minutes->within > 0; m++) {
		if (m - minutes->first >= TRACKER_START_MINUTES)
			break; /* every slot emptied */
		uint32_t *count = minute_count(minutes, m);
		minutes->before += *count;
		minutes->within -= *count;
		*count = 0;
	}
	minutes->first = first;
}

/* A call's start (at most the newest ts) is counted, or no longer counted. */
static void minutes_add(struct start_minutes *minutes, int64_t start_ms)
{
	int64_t minute = minute_of(start_ms);

	if (minute < minutes->first) {
		minutes->before++;
		return;
	}
	(*minute_count(minutes, minute))++;
	minutes->within++;
}

static void minutes_remove(struct start_minutes *minutes, int64_t start_ms)
{
	int64_t minute = minute_of(start_ms);

	if (minute < minutes->first) {
		minutes->before--;
		return;
	}
	(*minute_count(minutes, minute))--;
	minutes->within--;
}

struct tracker {
	struct table calls;
	struct start_minutes starts; /* of the open calls with their call_start */
	int64_t max_call_ms;
	int64_t newest_ms; /* newest event ts seen: the tracker's clock */
	uint32_t events_since_sweep;
	struct tracker_stats stats;
	struct open_call completed; /* the call last handed out as completed */
	struct tracker_eviction eviction; /* whose calls go first when full; all alike if unset */
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
};

/* n more of a counter the engine's limits read (tracker_count_moves). */
static void count_move(struct tracker *tracker, uint64_t *counter, uint64_t n)
{
	*counter += n;
	moves_add(tracker->moves, n);
}

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
	tracker->starts.first = INT64_MIN;
	return tracker;
}

void tracker_free(struct tracker *tracker)
{
	if (!tracker)
		return;
	for (uint32_t i = 0; i <= tracker->calls.mask; i++)
		if (table_used(&tracker->calls, i))
			free_call_text(table_slot(&tracker->calls, i), NULL);
	free(tracker->completed.long_text);
	table_release(&tracker->calls);
	free(tracker);
}

static bool call_id_matches(const void *entry, const void *key)
{
	return strcmp(call_text(entry), key) == 0;
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

/* An open call leaves the table (ctx: the tracker): its start no longer counted, its text
 * freed. */
static void forget_call(void *entry, void *ctx)
{
	struct tracker *tracker = ctx;
	const struct open_call *call = entry;

	if (call->has_start)
		minutes_remove(&tracker->starts, call->start_ms);
	free_call_text(entry, NULL);
}

/* An expired call leaves: counted apart when it had its call_start (its end was lost, not
 * just an end or incident heard of alone). */
static void expire_call(void *entry, void *ctx)
{
	struct tracker *tracker = ctx;

	if (((const struct open_call *)entry)->has_start)
		count_move(tracker, &tracker->stats.expired_started, 1);
	forget_call(entry, ctx);
}

/* The call expired: counted, the eviction told, its text freed. */
static void expire_told(void *entry, void *ctx)
{
	const struct tracker *tracker = ctx;
	const struct open_call *call = entry;

	tracker->eviction.evicted(call_text(call), call->base.hash, true, tracker->eviction.ctx);
	expire_call(entry, ctx);
}

/* Drop every open call not heard of for max_call_ms of event time, each told to the eviction's
 * evicted. O(slots), so it runs only after as many new calls as the full table has slots, or
 * when the table is full: amortized O(1), and at the same events whatever size the table has
 * grown to. */
static void expire_stale_calls(struct tracker *tracker)
{
	int64_t cutoff = tracker->newest_ms - tracker->max_call_ms;

	tracker->events_since_sweep = 0;
	if (tracker->max_call_ms > 0)
		tracker->stats.expired += table_remove_stale(
			&tracker->calls, call_is_stale, &cutoff,
			tracker->eviction.evicted ? expire_told : expire_call, tracker);
}

void tracker_set_eviction(struct tracker *tracker, const struct tracker_eviction *eviction)
{
	tracker->eviction = *eviction;
}

/* Is the open call one of those the eviction's choice picked (ctx: the tracker)? */
static bool call_picked(const void *entry, const void *ctx)
{
	const struct tracker_eviction *eviction = &((const struct tracker *)ctx)->eviction;
	const struct open_call *call = entry;

	return eviction->owns(call_text(call), call->base.hash, eviction->ctx);
}

/* The call was evicted: the eviction told, then forget_call. */
static void evict_told(void *entry, void *ctx)
{
	const struct tracker_eviction *eviction = &((const struct tracker *)ctx)->eviction;
	const struct open_call *call = entry;

	eviction->evicted(call_text(call), call->base.hash, false, eviction->ctx);
	forget_call(entry, ctx);
}

/* Evict up to want calls (counted), as a full table does: the oldest of the calls the
 * eviction's choice picks if it picks any (fewer then, when it picks fewer), else the oldest of
 * all. Each one told to the eviction's evicted. How many went. */
static uint32_t evict_calls(struct tracker *tracker, uint32_t want)
{
	struct table *calls = &tracker->calls;
	const struct tracker_eviction *eviction = &tracker->eviction;
	table_remove_fn *on_remove = eviction->evicted ? evict_told : forget_call;
	uint32_t evicted = 0;

	if (eviction->choose && eviction->choose(eviction->ctx))
		evicted = table_evict_picked(calls, call_eviction_age, want, call_picked, tracker,
					     on_remove, tracker);
	if (evicted == 0)
		evicted = table_evict_picked(calls, call_eviction_age, want, NULL, NULL, on_remove,
					     tracker);
	count_move(tracker, &tracker->stats.evicted, evicted);
	return evicted;
}

/* Keep at most keep calls (the bound less one: room for one more; or a smaller bound at a
 * reload), each call expired or evicted told to the eviction: expire stale calls, then
 * evict as a full table does (evict_calls), at a time table_evict_share(calls, fraction) of
 * them, or with fraction 0 as many as are over. The one path of a full table and of a
 * shrinking reload. */
static void shed_calls(struct tracker *tracker, uint32_t keep, uint32_t fraction)
{
	struct table *calls = &tracker->calls;

	if (calls->count > keep)
		expire_stale_calls(tracker);
	while (calls->count > keep &&
	       evict_calls(tracker, fraction ? table_evict_share(calls->count, fraction)
					     : calls->count - keep) > 0)
		;
}

/* Make room for one more call: when full, shed 1/EVICT_FRACTION of them (at least one);
 * else a sweep of stale calls once as many new calls as the full table has slots came. */
static void make_room(struct tracker *tracker)
{
	struct table *calls = &tracker->calls;

	if (calls->count >= calls->max_count)
		shed_calls(tracker, calls->max_count - 1, EVICT_FRACTION);
	else if (++tracker->events_since_sweep > calls->full_mask)
		expire_stale_calls(tracker);
}

/* The call of event was lost for want of memory, as if evicted: counted and told (as
 * evict_told does, so that its owner goes too). */
static void lose_call(struct tracker *tracker, const struct event *event, uint64_t hash)
{
	const struct tracker_eviction *eviction = &tracker->eviction;

	count_move(tracker, &tracker->stats.evicted, 1);
	if (eviction->evicted)
		eviction->evicted(event->call_id, hash, false, eviction->ctx);
}

/* A new open call for event->call_id in the empty slot i; NULL when out of memory. */
static struct open_call *open_call(struct tracker *tracker, uint32_t i, const struct event *event,
				   uint64_t hash)
{
	struct open_call *call = table_claim_sized(&tracker->calls, i, hash, sizeof(*call));

	if (!call)
		return NULL;
	call->last_seen_ms = event->ts_ms;
	/* (a call_start packs all its strings at once: open_call_set_start) */
	if (event->type != EVENT_CALL_START &&
	    !set_call_text(call, (const char *const[]){ event->call_id }, 1)) {
		table_remove(&tracker->calls, table_index(&tracker->calls, call));
		return NULL;
	}
	return call;
}

/* A started call's hashes of its agency, operator and ani (completed_call's), from its strings
 * as kept: taken once, where the detector would hash them at each look-up. */
static void hash_start(struct open_call *call)
{
	call->agency_hash = hash_string(call_field(call, CALL_AGENCY));
	call->operator_hash =
		hash_string_pair_after(call->agency_hash, call_field(call, CALL_OPERATOR));
	call->ani_hash = hash_string(call_field(call, CALL_ANI));
}

/* A call_start: its strings join the call_id. False when out of memory for them. */
static bool open_call_set_start(struct open_call *call, const struct event *event)
{
	const char *strings[CALL_FIELDS] = {
		[CALL_ID] = event->call_id,    [CALL_OPERATOR] = event->operator_id,
		[CALL_AGENCY] = event->agency, [CALL_POSITION] = event->position,
		[CALL_ANI] = event->ani,
	};

	if (!set_call_text(call, strings, CALL_FIELDS))
		return false;
	if (event->start_hashed) { /* engine_parse's, of the same strings */
		call->agency_hash = event->agency_hash;
		call->operator_hash = event->operator_hash;
		call->ani_hash = event->ani_hash;
	} else {
		hash_start(call);
	}
	call->has_start = true;
	call->start_ms = event->ts_ms;
	return true;
}

static void open_call_set_end(struct open_call *call, const struct event *event)
{
	call->has_end = true;
	call->end_ms = event->ts_ms;
	call->released_by = event->released_by;
}

/* open_call_apply's result when a call_start found no memory for its strings. */
#define CALL_NO_MEMORY ((enum tracker_result) - 1)

/* Take the event into its open call; TRACKER_DUPLICATE when that side was already known. */
static enum tracker_result open_call_apply(struct open_call *call, const struct event *event)
{
	if (event->ts_ms > call->last_seen_ms)
		call->last_seen_ms = event->ts_ms;
	switch (event->type) {
	case EVENT_CALL_START:
		if (call->has_start)
			return TRACKER_DUPLICATE;
		if (!open_call_set_start(call, event))
			return CALL_NO_MEMORY;
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
	case EVENT_CALL_OFFERED:   /* opens no call record: the engine gives it to the detector */
		break;
	}
	return TRACKER_PENDING;
}

static void describe_completed(const struct open_call *call, struct completed_call *out)
{
	*out = (struct completed_call){
		.call_id = call_field(call, CALL_ID),
		.operator_id = call_field(call, CALL_OPERATOR),
		.agency = call_field(call, CALL_AGENCY),
		.position = call_field(call, CALL_POSITION),
		.ani = call_field(call, CALL_ANI),
		.start_ms = call->start_ms,
		.end_ms = call->end_ms,
		.released_by = call->released_by,
		.had_incident = call->had_incident,
		.had_transfer = call->had_transfer,
		.hashed = true,
		.agency_hash = call->agency_hash,
		.operator_hash = call->operator_hash,
		.ani_hash = call->ani_hash,
	};
}

/* Take a call with both ends out of the table, handing it out unless its times contradict. */
static enum tracker_result complete_call(struct tracker *tracker, uint32_t i,
					 struct completed_call *completed)
{
	if (tracker->completed.long_text) /* the call handed out before: its strings go now */
		free(tracker->completed.long_text);
	tracker->completed = *(struct open_call *)table_slot(&tracker->calls, i);
	table_remove(&tracker->calls, i);
	minutes_remove(&tracker->starts, tracker->completed.start_ms); /* both ends: it started */
	if (tracker->completed.end_ms < tracker->completed.start_ms) {
		tracker->stats.end_before_start++;
		return TRACKER_END_BEFORE_START;
	}
	describe_completed(&tracker->completed, completed);
	return TRACKER_COMPLETED;
}

void tracker_prefetch(const struct tracker *tracker, uint64_t call_hash)
{
	table_prefetch(&tracker->calls, call_hash);
}

bool tracker_peek_start(const struct tracker *tracker, const char *call_id, uint64_t call_hash,
			const char **agency, const char **operator_id, const char **ani,
			uint64_t *operator_hash, uint64_t *ani_hash)
{
	uint32_t i = table_probe(&tracker->calls, call_hash, call_id_matches, call_id);
	const struct open_call *call = table_slot(&tracker->calls, i);

	if (!table_used(&tracker->calls, i) || !call->has_start)
		return false;
	*agency = call_field(call, CALL_AGENCY);
	*operator_id = call_field(call, CALL_OPERATOR);
	*ani = call_field(call, CALL_ANI);
	*operator_hash = call->operator_hash;
	*ani_hash = call->ani_hash;
	return true;
}

bool tracker_holds_call(const struct tracker *tracker, const char *call_id, uint64_t call_hash)
{
	return table_used(&tracker->calls,
			  table_probe(&tracker->calls, call_hash, call_id_matches, call_id));
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

	if (event->ts_ms > tracker->newest_ms) {
		tracker->newest_ms = event->ts_ms;
		minutes_follow(&tracker->starts, event->ts_ms);
	}
	struct open_call *call = table_slot(&tracker->calls, i);
	if (!table_used(&tracker->calls, i)) {
		make_room(tracker);
		i = table_probe(&tracker->calls, hash, call_id_matches, event->call_id);
		if (!(call = open_call(tracker, i, event, hash))) {
			lose_call(tracker, event, hash); /* no memory to grow */
			return TRACKER_PENDING;
		}
		i = table_index(&tracker->calls, call);
	}
	enum tracker_result applied = open_call_apply(call, event);
	if (applied == TRACKER_DUPLICATE) {
		tracker->stats.duplicates++;
		return TRACKER_DUPLICATE;
	}
	if (applied == CALL_NO_MEMORY) { /* no memory for its strings */
		free_call_text(call, NULL);
		table_remove(&tracker->calls, i);
		lose_call(tracker, event, hash);
		return TRACKER_PENDING;
	}
	if (event->type == EVENT_CALL_START)
		minutes_add(&tracker->starts, call->start_ms);
	if (call->has_start && call->has_end)
		return complete_call(tracker, i, completed);
	return TRACKER_PENDING;
}

bool tracker_started_between(const struct tracker *tracker, int64_t from_ms, int64_t to_ms)
{
	const struct start_minutes *minutes = &tracker->starts;
	int64_t from = minute_of(from_ms), to = minute_of(to_ms);

	if (minutes->before > 0 && from < minutes->first)
		return true; /* one started before the ring, no telling when */
	if (minutes->within == 0)
		return false;
	if (from < minutes->first)
		from = minutes->first;
	if (to > minutes->first + (TRACKER_START_MINUTES - 1))
		to = minutes->first + (TRACKER_START_MINUTES - 1); /* the newest ts's minute */
	for (int64_t m = from; m <= to; m++)
		if (minutes->counts[(uint64_t)m % TRACKER_START_MINUTES] > 0)
			return true;
	return false;
}

uint32_t tracker_open_calls(const struct tracker *tracker)
{
	return tracker->calls.count;
}

const struct tracker_stats *tracker_stats(const struct tracker *tracker)
{
	return &tracker->stats;
}

void tracker_count_moves(struct tracker *tracker, uint64_t *moves)
{
	tracker->moves = moves;
}

int tracker_reconfigure(struct tracker *tracker, uint32_t max_open_calls, uint32_t max_call_seconds)
{
	tracker->max_call_ms = (int64_t)max_call_seconds * 1000;
	/* as a full table does: the top sender's first, each told (the owners' table forgets it) */
	shed_calls(tracker, max_open_calls, 0);
	int evicted = table_resize(&tracker->calls, max_open_calls, call_eviction_age,
				   forget_call, tracker); /* none left over to evict */

	if (evicted < 0)
		return evicted;
	count_move(tracker, &tracker->stats.evicted, (uint64_t)evicted);
	return 0;
}

static const struct codec_counter tracker_counters[] = {
	CODEC_COUNTER_SCALAR(struct tracker_stats, duplicates),
	CODEC_COUNTER_SCALAR(struct tracker_stats, evicted),
	CODEC_COUNTER_SCALAR(struct tracker_stats, end_before_start),
	CODEC_COUNTER_SCALAR(struct tracker_stats, expired),
	CODEC_COUNTER_SCALAR(struct tracker_stats, expired_started),
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
	/* (before its call_start a call has its call_id alone: the rest are written empty) */
	for (int f = CALL_ID; f < CALL_FIELDS; f++)
		codec_put_string(writer, f == CALL_ID || call->has_start
						 ? call_field(call, (enum call_field)f)
						 : "");
}

static int get_call(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct open_call *call = entry;
	uint8_t flags = codec_get_u8(reader);
	uint32_t released_by = codec_get_u32(reader);

	call->has_start = flags & CALL_HAS_START;
	call->has_end = flags & CALL_HAS_END;
	call->had_incident = flags & CALL_HAD_INCIDENT;
	call->had_transfer = flags & CALL_HAD_TRANSFER;
	call->released_by = (enum released_by)released_by;
	call->start_ms = codec_get_i64(reader);
	call->end_ms = codec_get_i64(reader);
	call->last_seen_ms = codec_get_i64(reader);
	char strings[CALL_FIELDS][EVENT_ID_MAX + 1];
	for (int f = CALL_ID; f < CALL_FIELDS; f++)
		codec_get_string(reader, strings[f],
				 f == CALL_ANI ? EVENT_ANI_MAX + 1 : EVENT_ID_MAX + 1);
	if (reader->failed || flags > 15 || (released_by & ~(uint32_t)CALL_RELEASED_BY_ALL))
		return -EINVAL;
	const char *const packed[CALL_FIELDS] = { strings[0], strings[1], strings[2], strings[3],
						  strings[4] };
	if (!set_call_text(call, packed, call->has_start ? CALL_FIELDS : 1))
		return -ENOMEM;
	if (call->has_start) {
		hash_start(call);
		minutes_add(&((struct tracker *)ctx)->starts, call->start_ms);
	}
	*hash = hash_string(strings[CALL_ID]);
	return 0;
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
	if (tracker->newest_ms != INT64_MIN)
		minutes_follow(&tracker->starts, tracker->newest_ms);
	return table_load_entries(&tracker->calls, reader, get_call, tracker);
}
