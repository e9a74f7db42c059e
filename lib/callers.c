/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "callers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "codec.h"
#include "hash.h"
#include "moves.h"
#include "table.h"
#include "text.h"

#define EVICT_FRACTION 16

struct caller_entry {
	struct table_entry base;
	char ani[EVENT_ANI_MAX + 1];
	struct caller_hangup hangup;
};

struct callers {
	struct table table;
	struct callers_redials redials; /* unseen_from NULL: none told, nothing stale */
	int64_t newest_end_ms; /* saved as format 15 did; no sweep reads it now */
	uint32_t sweep_home; /* the next home slot (hash & mask) the stepped sweep looks at */
	uint64_t evicted;
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
};

static void count_evicted(struct callers *callers, uint64_t evicted)
{
	callers->evicted += evicted;
	moves_add(callers->moves, evicted);
}

struct callers *callers_new(uint32_t max_callers)
{
	struct callers *callers = calloc(1, sizeof(*callers));

	if (!callers)
		return NULL;
	if (table_init(&callers->table, sizeof(struct caller_entry), max_callers) != 0) {
		free(callers);
		return NULL;
	}
	table_grow_gradually(&callers->table); /* 10 MB at the default bound */
	callers->newest_end_ms = INT64_MIN;
	return callers;
}

void callers_free(struct callers *callers)
{
	if (!callers)
		return;
	table_release(&callers->table);
	free(callers);
}

static bool ani_matches(const void *entry, const void *key)
{
	return strcmp(((const struct caller_entry *)entry)->ani, key) == 0;
}

static int64_t hangup_end(const void *entry)
{
	return ((const struct caller_entry *)entry)->hangup.end_ms;
}

/* What hangup_is_stale asks: the window, the bound on unseen calls' starts and the open ones. */
struct stale_test {
	int64_t window_ms;
	int64_t unseen_from_ms;
	const struct callers_redials *redials;
};

/* No call that can still complete started within the window after the hangup (the end of a
 * hangup held is at most the newest ts: it came in a completed call). */
static bool hangup_is_stale(const void *entry, const void *ctx)
{
	const struct stale_test *test = ctx;
	int64_t end_ms = hangup_end(entry);

	return end_ms < test->unseen_from_ms - test->window_ms &&
	       !test->redials->open_between(test->redials->ctx, end_ms, end_ms + test->window_ms);
}

/* Room for one more (table_sweep_room, as the duplicate filter's): hangups that can no longer
 * be redialed go a few slots at each new one, and when full all of them, then the oldest
 * evicted (counted) only if that freed none, as a full table always did. The table's size and
 * the cursor are in a snapshot. True when entries moved. */
static bool make_room(struct callers *callers, int64_t window_ms)
{
	struct stale_test test = { .window_ms = window_ms,
				   .unseen_from_ms = INT64_MIN,
				   .redials = &callers->redials };
	uint32_t evicted;

	if (callers->redials.unseen_from)
		test.unseen_from_ms = callers->redials.unseen_from(callers->redials.ctx);
	if (test.unseen_from_ms < INT64_MIN + window_ms)
		test.unseen_from_ms = INT64_MIN + window_ms; /* nothing is stale */
	bool moved = table_sweep_room(&callers->table, &callers->sweep_home, hangup_is_stale,
				      &test, hangup_end, EVICT_FRACTION, 1,
				      sizeof(struct caller_entry), &evicted);

	count_evicted(callers, evicted);
	return moved;
}

void callers_set_redials(struct callers *callers, const struct callers_redials *redials)
{
	if (redials)
		callers->redials = *redials;
	else
		memset(&callers->redials, 0, sizeof(callers->redials));
}

void callers_remember(struct callers *callers, const char *ani, const struct caller_hangup *hangup,
		      int64_t window_ms)
{
	callers_remember_hashed(callers, ani, hash_string(ani), hangup, window_ms);
}

void callers_remember_hashed(struct callers *callers, const char *ani, uint64_t hash,
			     const struct caller_hangup *hangup, int64_t window_ms)
{
	uint32_t i = table_probe_any(&callers->table, hash, ani_matches, ani);

	if (hangup->end_ms > callers->newest_end_ms)
		callers->newest_end_ms = hangup->end_ms;
	if (!table_used_any(&callers->table, i)) {
		if (make_room(callers, window_ms))
			i = table_probe_any(&callers->table, hash, ani_matches, ani);
		struct caller_entry *entry = table_claim(&callers->table, i, hash);
		if (!entry) { /* no memory to grow: not remembered, as if evicted */
			count_evicted(callers, 1);
			return;
		}
		text_copy(entry->ani, ani, sizeof(entry->ani));
		i = table_index(&callers->table, entry);
	}
	struct caller_entry *entry = table_slot_any(&callers->table, i);
	if (hangup->end_ms >= entry->hangup.end_ms || entry->hangup.serial == 0)
		entry->hangup = *hangup;
}

bool callers_take_redial(struct callers *callers, const char *ani, int64_t start_ms,
			 int64_t window_ms, struct caller_hangup *hangup)
{
	return callers_take_redial_hashed(callers, ani, hash_string(ani), start_ms, window_ms,
					  hangup);
}

bool callers_take_redial_hashed(struct callers *callers, const char *ani, uint64_t hash,
				int64_t start_ms, int64_t window_ms, struct caller_hangup *hangup)
{
	uint32_t i = table_probe_any(&callers->table, hash, ani_matches, ani);

	if (!table_used_any(&callers->table, i))
		return false;
	const struct caller_entry *entry = table_slot_any(&callers->table, i);
	if (start_ms < entry->hangup.end_ms || start_ms - entry->hangup.end_ms > window_ms)
		return false;
	*hangup = entry->hangup;
	table_remove(&callers->table, i);
	return true;
}

void callers_prefetch(const struct callers *callers, uint64_t ani_hash)
{
	table_prefetch(&callers->table, ani_hash);
}

uint32_t callers_count(const struct callers *callers)
{
	return callers->table.count;
}

uint64_t callers_evicted(const struct callers *callers)
{
	return callers->evicted;
}

void callers_count_moves(struct callers *callers, uint64_t *moves)
{
	callers->moves = moves;
}

int callers_resize(struct callers *callers, uint32_t max_callers)
{
	int evicted = table_resize(&callers->table, max_callers, hangup_end, NULL, NULL);

	if (evicted < 0)
		return evicted;
	count_evicted(callers, (uint64_t)evicted);
	callers->sweep_home &= callers->table.mask;
	return 0;
}

/* [string ani][u32 operator index][u32 generation][u64 serial][i64 end ms] */
static void put_caller(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct caller_entry *caller = entry;

	(void)ctx;
	codec_put_string(writer, caller->ani);
	codec_put_u32(writer, caller->hangup.operator_index);
	codec_put_u32(writer, caller->hangup.operator_generation);
	codec_put_u64(writer, caller->hangup.serial);
	codec_put_i64(writer, caller->hangup.end_ms);
}

static int get_caller(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct caller_entry *caller = entry;
	uint32_t max_operators = *(const uint32_t *)ctx;

	codec_get_string(reader, caller->ani, sizeof(caller->ani));
	caller->hangup.operator_index = codec_get_u32(reader);
	caller->hangup.operator_generation = codec_get_u32(reader);
	caller->hangup.serial = codec_get_u64(reader);
	caller->hangup.end_ms = codec_get_i64(reader);
	*hash = hash_string(caller->ani);
	return caller->hangup.operator_index < max_operators ? 0 : -EINVAL;
}

/* [i64 newest end][u64 evicted][entries], as in format 15 (the newest hangup's end is kept so,
 * though no sweep reads it now). The sweep's position follows at the snapshot's end from
 * format 17 (callers_save_sweep). */
void callers_save(const struct callers *callers, struct codec_writer *writer)
{
	codec_put_i64(writer, callers->newest_end_ms);
	codec_put_u64(writer, callers->evicted);
	table_save_entries(&callers->table, writer, put_caller, NULL);
}

int callers_load(struct callers *callers, struct codec_reader *reader, uint32_t max_operators)
{
	callers->newest_end_ms = codec_get_i64(reader);
	callers->evicted = codec_get_u64(reader);
	return table_load_entries(&callers->table, reader, get_caller, &max_operators);
}

/* [u32 slots][u32 sweep home]: the table's size with the cursor, as the sweep's steps follow
 * them. */
void callers_save_sweep(const struct callers *callers, struct codec_writer *writer)
{
	table_save_sweep(&callers->table, callers->sweep_home, writer);
}

int callers_load_sweep(struct callers *callers, struct codec_reader *reader)
{
	return table_load_sweep(&callers->table, &callers->sweep_home, reader);
}
