/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "dedupe.h"

#include <errno.h>
#include <stdlib.h>

#include "codec.h"
#include "moves.h"
#include "table.h"

#define EVICT_FRACTION 16

struct seen_event {
	/* base.hash is the fingerprint (a fingerprint 0 as table_key_hash keeps it: saved as
	 * TABLE_HASH_OF_ZERO, the same event as that fingerprint) */
	struct table_entry base;
	int64_t ts_ms;
};

_Static_assert(sizeof(struct seen_event) == 16, "a seen event is 16 bytes");

struct dedupe {
	struct table table;
	uint32_t sweep_home; /* the next home slot (hash & mask) the sweep looks at */
	uint64_t evicted;
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
};

struct dedupe *dedupe_new(uint32_t max_events)
{
	struct dedupe *dedupe = calloc(1, sizeof(*dedupe));

	if (!dedupe)
		return NULL;
	if (table_init(&dedupe->table, sizeof(struct seen_event), max_events) != 0) {
		free(dedupe);
		return NULL;
	}
	table_grow_gradually(&dedupe->table); /* 3 MB and more at the default bounds */
	return dedupe;
}

void dedupe_free(struct dedupe *dedupe)
{
	if (!dedupe)
		return;
	table_release(&dedupe->table);
	free(dedupe);
}

/* The fingerprint is the whole identity: equal hashes are the same event. */
static bool same_event(const void *entry, const void *key)
{
	(void)entry;
	(void)key;
	return true;
}

static int64_t seen_ts(const void *entry)
{
	return ((const struct seen_event *)entry)->ts_ms;
}

static bool beyond_horizon(const void *entry, const void *horizon)
{
	return seen_ts(entry) < *(const int64_t *)horizon;
}

static void count_evicted(struct dedupe *dedupe, uint64_t evicted)
{
	dedupe->evicted += evicted;
	moves_add(dedupe->moves, evicted);
}

/* Room for one more (table_sweep_room): entries past the horizon go a few slots at each new
 * fingerprint, and when full all of them, then the oldest evicted if that freed too little (the
 * bound nearly all within the horizon): counted, so the limit's alert tells of it. True when
 * entries moved. */
static bool make_room(struct dedupe *dedupe, int64_t horizon_ms)
{
	uint32_t evicted;
	bool moved =
		table_sweep_room(&dedupe->table, &dedupe->sweep_home, beyond_horizon, &horizon_ms,
				 seen_ts, EVICT_FRACTION, dedupe->table.max_count / EVICT_FRACTION,
				 sizeof(struct seen_event), &evicted);

	count_evicted(dedupe, evicted);
	return moved;
}

/* A fingerprint held with a ts beyond the horizon counts as absent, swept or not: the
 * verdict does not depend on when the sweep reaches it, for sources whose horizons are the
 * same (one further behind than the lateness may find a copy swept by another's horizon).
 * It is remembered anew in place. */
bool dedupe_seen(struct dedupe *dedupe, uint64_t fingerprint, int64_t ts_ms, int64_t horizon_ms)
{
	uint32_t i = table_probe_any(&dedupe->table, fingerprint, same_event, NULL);

	if (table_used_any(&dedupe->table, i)) {
		struct seen_event *held = table_slot_any(&dedupe->table, i);
		if (!beyond_horizon(held, &horizon_ms))
			return true;
		held->ts_ms = ts_ms;
		return false;
	}
	if (make_room(dedupe, horizon_ms))
		i = table_probe_any(&dedupe->table, fingerprint, same_event, NULL);
	struct seen_event *seen = table_claim_sized(&dedupe->table, i, fingerprint,
						    sizeof(struct seen_event));
	if (seen) /* else no memory to grow: not remembered, as if evicted */
		seen->ts_ms = ts_ms;
	else
		count_evicted(dedupe, 1);
	return false;
}

void dedupe_prefetch(const struct dedupe *dedupe, uint64_t fingerprint)
{
	table_prefetch(&dedupe->table, fingerprint);
}

uint64_t dedupe_evicted(const struct dedupe *dedupe)
{
	return dedupe->evicted;
}

const uint64_t *dedupe_evicted_counter(const struct dedupe *dedupe)
{
	return &dedupe->evicted;
}

void dedupe_count_moves(struct dedupe *dedupe, uint64_t *moves)
{
	dedupe->moves = moves;
}

uint32_t dedupe_count(const struct dedupe *dedupe)
{
	return dedupe->table.count;
}

int dedupe_resize(struct dedupe *dedupe, uint32_t max_events)
{
	int evicted = table_resize(&dedupe->table, max_events, seen_ts, NULL, NULL);

	if (evicted < 0)
		return evicted;
	count_evicted(dedupe, (uint64_t)evicted);
	dedupe->sweep_home &= dedupe->table.mask;
	return 0;
}

/* A fingerprint is its own key: [u64 fingerprint][i64 ts ms]. */
static void put_seen(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct seen_event *seen = entry;

	(void)ctx;
	codec_put_u64(writer, seen->base.hash);
	codec_put_i64(writer, seen->ts_ms);
}

static int get_seen(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	(void)ctx;
	*hash = codec_get_u64(reader);
	((struct seen_event *)entry)->ts_ms = codec_get_i64(reader);
	return 0;
}

/* [u32 slots][u32 sweep home][u64 evicted][entries]: the table's size with the cursor, as
 * the sweep's steps follow it. */
void dedupe_save(const struct dedupe *dedupe, struct codec_writer *writer)
{
	table_save_sweep(&dedupe->table, dedupe->sweep_home, writer);
	codec_put_u64(writer, dedupe->evicted);
	table_save_entries(&dedupe->table, writer, put_seen, NULL);
}

int dedupe_load(struct dedupe *dedupe, struct codec_reader *reader)
{
	int rc = table_load_sweep(&dedupe->table, &dedupe->sweep_home, reader);

	if (rc != 0)
		return rc; /* -ENOMEM: no damage */
	dedupe->evicted = codec_get_u64(reader);
	return table_load_entries(&dedupe->table, reader, get_seen, NULL);
}
