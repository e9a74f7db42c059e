/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "dedupe.h"

#include <stdlib.h>

#include "codec.h"
#include "table.h"

#define EVICT_FRACTION 16

struct seen_event {
	struct table_entry base; /* base.hash is the fingerprint */
	int64_t ts_ms;
};

struct dedupe {
	struct table table;
	uint32_t inserts_since_sweep;
	uint64_t evicted;
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

/* Inserts between sweeps at the least: a sweep is O(slots). */
#define SWEEP_MIN_INSERTS 1024u

/* Sweep out what is beyond the horizon once the inserts since the last sweep outnumber the
 * entries it left (and SWEEP_MIN_INSERTS), or when full: the table holds about twice what is
 * within the horizon, not its bound, and a sweep costs O(1) per insert. The trigger is a
 * function of what a snapshot holds (the entries and inserts_since_sweep), so a restored
 * filter sweeps at the same events. */
static bool make_room(struct dedupe *dedupe, int64_t horizon_ms)
{
	struct table *table = &dedupe->table;
	uint32_t inserts = ++dedupe->inserts_since_sweep;
	uint32_t left = table->count > inserts ? table->count - inserts : 0;
	bool moved = false;

	if (inserts > left + SWEEP_MIN_INSERTS || inserts > table->full_mask ||
	    table->count >= table->max_count) {
		dedupe->inserts_since_sweep = 0;
		table_remove_stale(table, beyond_horizon, &horizon_ms, NULL, NULL);
		moved = true;
	}
	if (table->count >= table->max_count) {
		dedupe->evicted += table_evict_oldest(table, seen_ts, EVICT_FRACTION, NULL, NULL);
		moved = true;
	}
	return moved; /* entries left their slots: a slot probed before is stale */
}

bool dedupe_seen(struct dedupe *dedupe, uint64_t fingerprint, int64_t ts_ms, int64_t horizon_ms)
{
	uint32_t i = table_probe_any(&dedupe->table, fingerprint, same_event, NULL);

	if (table_used_any(&dedupe->table, i))
		return true;
	if (make_room(dedupe, horizon_ms))
		i = table_probe_any(&dedupe->table, fingerprint, same_event, NULL);
	struct seen_event *seen = table_claim(&dedupe->table, i, fingerprint);
	if (seen) /* else no memory to grow: not remembered, as if evicted */
		seen->ts_ms = ts_ms;
	else
		dedupe->evicted++;
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

uint32_t dedupe_count(const struct dedupe *dedupe)
{
	return dedupe->table.count;
}

int dedupe_resize(struct dedupe *dedupe, uint32_t max_events)
{
	int evicted = table_resize(&dedupe->table, max_events, seen_ts, NULL, NULL);

	if (evicted < 0)
		return evicted;
	dedupe->evicted += (uint64_t)evicted;
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

void dedupe_save(const struct dedupe *dedupe, struct codec_writer *writer)
{
	codec_put_u32(writer, dedupe->inserts_since_sweep);
	codec_put_u64(writer, dedupe->evicted);
	table_save_entries(&dedupe->table, writer, put_seen, NULL);
}

int dedupe_load(struct dedupe *dedupe, struct codec_reader *reader)
{
	dedupe->inserts_since_sweep = codec_get_u32(reader);
	dedupe->evicted = codec_get_u64(reader);
	return table_load_entries(&dedupe->table, reader, get_seen, NULL);
}
