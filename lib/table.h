/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TABLE_H
#define CADMON_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "invariant.h"

/*
 * A bounded open-addressing hash table of fixed-size entries: linear probing at load factor
 * <= 1/2, backward-shift deletion (no tombstones), and eviction of the oldest entries in
 * batches when full. It starts small and doubles as it fills, up to the slots max_count
 * needs: its memory follows what it holds, not its bound. The open calls, the operators, the
 * duplicate filter and the
 * repeat-caller memory are all one of these.
 *
 * Every entry type starts with a struct table_entry. Entries move when others are removed,
 * so never keep a pointer to one across a removal; a claim may grow the table, so after
 * table_claim only the entry it returns (and table_index of it) is current.
 *
 * Slot order depends on the table's size, hence on its history: whatever reaches an output
 * (alerts, snapshots) must not depend on it. table_save_entries writes in an order of the
 * entries' hashes alone.
 *
 * A table may grow gradually (table_grow_gradually): a doubling then keeps the slots it had as
 * old slots, and each claim moves a few of their entries into the new ones (whole runs of
 * used slots, four slots walked a claim) until none is left, instead of moving them all
 * in one claim (a 10 MB table's doubling took 5-10 ms of one loop iteration). Meanwhile its
 * owner probes with table_probe_any, which looks in both, and reaches entries through
 * table_used_any and table_slot_any: an old slot's index is mask + 1 + its place among the old
 * slots. Only the functions here see every entry: such an owner never walks 0..mask itself.
 * (table_probe, table_used and table_slot, for the other tables, stay without the branch.)
 *
 * The first write to each page of a fresh slot array costs the kernel a page to allocate and
 * zero: 2 MiB at once for a transparent huge page, 0.25 ms when the host has backed the memory
 * and 5-8 ms when it has not, and a doubling's first claims write every page of the new slots
 * at random (a 10 MiB doubling took 4-27 ms of one loop iteration, stall8). So a table growing
 * gradually prepares its next slots ahead: from 3/8 full (the count above 3/8 of its slots)
 * it allocates them and writes a byte into each 4 KiB page of them (one in each 2 MiB range
 * at once: a range with a page table gets no huge page, even if cadmond marks it for them
 * meanwhile), as many pages a claim as finish them by the doubling (one a claim or so for an
 * 80-byte entry); the doubling takes them, already backed in 4 KiB pages, and they are marked
 * for huge pages (MADV_HUGEPAGE) only once the growth is over, for khugepaged to gather later.
 * Memory: the next slots (twice the slots) are held from 3/8 full instead of from 1/2 full;
 * the most a table holds is the same, its slots and twice them (3 x its slots before its last
 * doubling, 1.5 x those of its bound), but it holds that sooner (bench/snapshot-stall's peak
 * RSS went from 64 to 70 MB).
 */

struct table_entry {
	uint64_t hash; /* the key's table_key_hash; 0 in an empty slot */
};

/* What a table stores for a key whose hash is 0 (0 marks an empty slot): a hash with the same
 * home slot in every table (a mask is 32 bits), and the entry's own match tells the key from
 * one whose hash is this. Saves and evictions order it as this hash. */
#define TABLE_HASH_OF_ZERO (UINT64_C(1) << 32)

/** The hash a table stores and compares for a key of hash `hash`: hash itself, never 0. A
 * caller comparing an entry's stored hash with a key's compares it with this. */
static inline uint64_t table_key_hash(uint64_t hash)
{
	return hash ? hash : TABLE_HASH_OF_ZERO;
}

/** Does the entry (a slot's) hold a key? */
static inline bool table_entry_used(const struct table_entry *entry)
{
	return entry->hash != 0;
}

typedef bool table_match_fn(const void *entry, const void *key);
typedef int64_t table_age_fn(const void *entry);        /* larger is newer */
typedef void table_remove_fn(void *entry, void *ctx);   /* called before an entry goes */
typedef bool table_pick_fn(const void *entry, const void *ctx); /* one of those that may go */

struct table {
	unsigned char *slots;
	size_t entry_size;
	uint32_t mask;      /* slots now - 1 */
	uint32_t full_mask; /* slots at max_count - 1: the most it grows to */
	uint32_t count;
	uint32_t max_count;
	int64_t *ages; /* scratch for eviction, max_count long (untouched until an eviction) */
	/* Growing gradually: the slots before the doubling while entries remain there, or NULL. */
	unsigned char *old_slots;
	uint32_t old_mask;   /* old slots - 1 */
	uint32_t old_count;  /* entries still in the old slots */
	uint32_t old_start;  /* an empty old slot: the walk starts after it */
	uint32_t old_walked; /* old slots walked (emptied) from there */
	bool gradual;        /* table_grow_gradually */
	/* Growing gradually, from 3/8 full until the doubling: its slots, zeroed, or NULL. */
	unsigned char *next_slots;
	size_t next_touched_pages; /* 4 KiB pages of next_slots written so far */
};

/** A table for at most max_count entries of entry_size bytes, with room for a few at first;
 * -ENOMEM or -EINVAL on failure. */
int table_init(struct table *table, size_t entry_size, uint32_t max_count);
void table_release(struct table *table);

/** From now on, double gradually (above). Only for a table its owner reaches through the
 * functions here alone (no loop over 0..mask of its own). */
void table_grow_gradually(struct table *table);

/* The three below are on every event's path (several probes a line): inline, so that a probe
 * calls its caller's static match function directly (or inlines it). */

/** Entry at slot i <= mask (used or not). */
static inline void *table_slot(const struct table *table, uint32_t i)
{
	return table->slots + (size_t)i * table->entry_size;
}

/** Is slot i in use? */
static inline bool table_used(const struct table *table, uint32_t i)
{
	return table_entry_used(table_slot(table, i));
}

/** The slot of the entry matching key, or of the empty slot where it would go. */
static inline uint32_t table_probe(const struct table *table, uint64_t hash,
				   table_match_fn *matches, const void *key)
{
	const uint64_t stored = table_key_hash(hash);
	uint32_t i = (uint32_t)stored & table->mask;

	for (;;) {
		const struct table_entry *entry = table_slot(table, i);
		if (!table_entry_used(entry) || (entry->hash == stored && matches(entry, key)))
			return i;
		i = (i + 1) & table->mask;
	}
}

/** Entry at index i of a table growing gradually: a slot, or past mask an old slot. */
static inline void *table_slot_any(const struct table *table, uint32_t i)
{
	if (i > table->mask)
		return table->old_slots + (size_t)(i - table->mask - 1) * table->entry_size;
	return table_slot(table, i);
}

/** Is index i (table_slot_any) in use? */
static inline bool table_used_any(const struct table *table, uint32_t i)
{
	return table_entry_used(table_slot_any(table, i));
}

/** table_probe of a table growing gradually: the entry's index in the slots or the old slots,
 * else the empty slot where it would go. */
static inline uint32_t table_probe_any(const struct table *table, uint64_t hash,
				       table_match_fn *matches, const void *key)
{
	uint32_t i = table_probe(table, hash, matches, key);

	if (!table->old_slots || table_used(table, i))
		return i;
	const uint64_t stored = table_key_hash(hash);
	for (uint32_t j = (uint32_t)stored & table->old_mask;; j = (j + 1) & table->old_mask) {
		const struct table_entry *entry =
			(const void *)(table->old_slots + (size_t)j * table->entry_size);
		if (!table_entry_used(entry))
			return i;
		if (entry->hash == stored && matches(entry, key))
			return table->mask + 1 + j;
	}
}

/** A hint, nothing else: fetch into the cache the home slot of hash (both ends of it), where a
 * probe for hash will start, so that a look-up made a little later does not wait for memory.
 * Reads the table's size and slots pointers only; any hash is safe. A table growing
 * gradually has the entry in the new slots or the old: both homes are fetched. */
static inline void table_prefetch(const struct table *table, uint64_t hash)
{
	const char *slot = table_slot(table, (uint32_t)hash & table->mask);

	__builtin_prefetch(slot);
	__builtin_prefetch(slot + table->entry_size - 1);
	if (table->old_slots) {
		slot = (const char *)table->old_slots +
		       (size_t)((uint32_t)hash & table->old_mask) * table->entry_size;
		__builtin_prefetch(slot);
		__builtin_prefetch(slot + table->entry_size - 1);
	}
}

/**
 * Take the empty slot i (from table_probe) for hash; the caller fills the rest. Requires
 * count < max. When the table is half full it first doubles (slot i is then found again), so
 * use the entry returned, never i. NULL only when it could not grow (no memory) and taking
 * slot i would leave no empty slot: nothing is claimed then.
 */
void *table_claim(struct table *table, uint32_t i, uint64_t hash);

/** The count above which a claim does more than take its slot: a doubling at 1/2 full, and
 * for a table growing gradually (to a bound it has not reached) the next slots from 3/8. */
static inline uint32_t table_plain_claims(const struct table *table)
{
	uint32_t slots = table->mask + 1;

	return table->gradual && table->mask < table->full_mask ? slots / 8 * 3 : slots / 2;
}

/**
 * table_claim of an entry of entry_size bytes (a constant: its zeroing is a few stores, not a
 * call), inline when the table neither grows, prepares its next slots nor moves old slots on
 * this claim; else, or when entry_size is not the table's, table_claim itself. The same
 * entry, the same table.
 */
static inline void *table_claim_sized(struct table *table, uint32_t i, uint64_t hash,
				      size_t entry_size)
{
	if (table->old_slots || table->count + 1 > table_plain_claims(table) ||
	    entry_size != table->entry_size)
		return table_claim(table, i, hash);
	struct table_entry *entry = table_slot(table, i);

	(void)INVARIANT_FAILS(table->count < table->max_count && !table_entry_used(entry));
	memset(entry, 0, entry_size);
	entry->hash = table_key_hash(hash);
	table->count++;
	return entry;
}

/** The index of an entry (a pointer table_slot, table_slot_any or table_claim gave). */
uint32_t table_index(const struct table *table, const void *entry);

/** Remove the entry at index i (table_probe_any's in a table growing gradually); later
 * entries may move. */
void table_remove(struct table *table, uint32_t i);

/** Remove every entry for which is_stale(entry, ctx); returns how many. O(slots). */
uint32_t table_remove_stale(struct table *table,
			    bool (*is_stale)(const void *entry, const void *ctx), const void *ctx,
			    table_remove_fn *on_remove, void *remove_ctx);

/* Is home within [from, from + homes) of the homes 0..mask, cyclically? */
static inline bool table_home_within(uint32_t home, uint32_t from, uint32_t homes, uint32_t mask)
{
	return ((home - from) & mask) < homes;
}

/* Backward-shift deletion of the entry at slot hole of slots (mask + 1 of them, entry_size
 * bytes each): table_remove's, inline for the sweep below. */
static inline void table_remove_from(unsigned char *slots, size_t entry_size, uint32_t mask,
				     uint32_t hole)
{
	uint32_t i = hole;

	for (;;) {
		i = (i + 1) & mask;
		struct table_entry *entry = (struct table_entry *)(slots + (size_t)i * entry_size);
		if (!table_entry_used(entry))
			break;
		uint32_t home = (uint32_t)entry->hash & mask;
		/* Leave slot i alone when its home lies cyclically in (hole, i]. */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (stays)
			continue;
		memcpy(slots + (size_t)hole * entry_size, entry, entry_size);
		hole = i;
	}
	((struct table_entry *)(slots + (size_t)hole * entry_size))->hash = 0;
}

/* table_remove_stale_homes in one slot array: the slots (old false) or the old slots, whose
 * homes are the table's homes & its mask (the old mask is half the mask). From the range's
 * first slot there to the first empty slot after its last: an entry lies in the run of used
 * slots from its home on, and a removal only pulls later entries back into the slot walked.
 * The array, the masks and the entry size (the table's) stay in locals: a removal changes none
 * of them, but frees the old slots with their last entry, which ends the walk. */
static inline uint32_t table_remove_stale_homes_in(struct table *table, bool old, uint32_t from,
						   uint32_t homes,
						   bool (*is_stale)(const void *entry,
								    const void *ctx),
						   const void *ctx, const size_t entry_size)
{
	unsigned char *slots = old ? table->old_slots : table->slots;
	const uint32_t home_mask = table->mask;
	const uint32_t mask = old ? table->old_mask : home_mask;
	const uint32_t base = old ? home_mask + 1 : 0;
	const uint32_t span = homes > mask ? mask + 1 : homes; /* the slots of the range's homes */
	uint32_t removed = 0;
	uint32_t i = from & mask;

	for (uint32_t walked = 0; walked <= mask;) {
		const struct table_entry *entry = (const void *)(slots + (size_t)i * entry_size);
		if (!table_entry_used(entry)) {
			if (walked >= span)
				break;
		} else if (table_home_within((uint32_t)entry->hash & home_mask, from, homes,
					     home_mask) &&
			   is_stale(entry, ctx)) {
			/* table_remove; a later entry may move into slot i */
			if (old) {
				table_remove(table, base + i);
			} else {
				table->count--;
				table_remove_from(slots, entry_size, mask, i);
			}
			removed++;
			if (old && !table->old_slots)
				break; /* its last entry: the old slots are gone */
			continue;
		}
		i = (i + 1) & mask;
		walked++;
	}
	return removed;
}

/** table_remove_stale_homes' walk of the old slots (table->old_slots not NULL). */
uint32_t table_remove_stale_old_homes(struct table *table, uint32_t from, uint32_t homes,
				      bool (*is_stale)(const void *entry, const void *ctx),
				      const void *ctx);

/** table_remove_stale_homes of a table of entries of entry_size bytes (the table's, as a
 * constant: the walk's steps and its removals' copies then need no call). */
static inline uint32_t table_remove_stale_homes_sized(struct table *table, uint32_t from,
						      uint32_t homes,
						      bool (*is_stale)(const void *entry,
								       const void *ctx),
						      const void *ctx, size_t entry_size)
{
	if (INVARIANT_FAILS(homes <= table->mask + 1 && from <= table->mask &&
			    entry_size == table->entry_size))
		return 0;
	uint32_t removed =
		table_remove_stale_homes_in(table, false, from, homes, is_stale, ctx, entry_size);
	if (table->old_slots)
		removed += table_remove_stale_old_homes(table, from, homes, is_stale, ctx);
	return removed;
}

/**
 * Remove the entries for which is_stale(entry, ctx) whose home slot (hash & mask) lies in
 * [from, from + homes), cyclically (homes <= mask + 1); returns how many. It walks those homes'
 * slots and the runs that spill past them, in the old slots too while the table grows
 * gradually: O(homes), not O(slots). Which entries it removes depends on the entries and the
 * table's size alone, never on their order in the slots, so an owner that steps a cursor over
 * the homes and keeps the size (table_reserve) sweeps the same entries live, in a replay and
 * after a restore. Inline, as the probes are: a new fingerprint of the duplicate filter walks
 * six slots or so, and its static is_stale is inlined in the walk.
 */
static inline uint32_t table_remove_stale_homes(struct table *table, uint32_t from,
						uint32_t homes,
						bool (*is_stale)(const void *entry,
								 const void *ctx),
						const void *ctx)
{
	return table_remove_stale_homes_sized(table, from, homes, is_stale, ctx,
					      table->entry_size);
}

/* A lap of a stepped sweep (table_sweep_step) over all the homes takes this many inserts at
 * the least. */
#define TABLE_SWEEP_MIN_INSERTS 1024u
/* The most homes one step sweeps: a table grown by a burst and sparse afterwards (it never
 * shrinks) has no room to win back quickly, and an insert stays a few cache lines. */
#define TABLE_SWEEP_MAX_HOMES 64u

/** Homes a stepped sweep looks at for each insert: a lap in about as many inserts as the table
 * holds (TABLE_SWEEP_MIN_INSERTS at the least), so that it holds about twice what is not
 * stale; 3-5 slots an insert while the table is 1/4 to 1/2 full, at most
 * TABLE_SWEEP_MAX_HOMES. A function of the table's size and count, which a snapshot keeps. */
static inline uint32_t table_sweep_step_homes(const struct table *table)
{
	uint32_t inserts =
		table->count > TABLE_SWEEP_MIN_INSERTS ? table->count : TABLE_SWEEP_MIN_INSERTS;
	uint32_t homes = (table->mask + 1) / inserts + 1;

	return homes < TABLE_SWEEP_MAX_HOMES ? homes : TABLE_SWEEP_MAX_HOMES;
}

/**
 * One step of a stepped sweep, ahead of an insert: table_remove_stale_homes_sized of the
 * table_sweep_step_homes homes from *cursor (a home <= mask), which then moves past them. Never
 * the whole table in one insert (after a fork for a snapshot, every page it wrote would be
 * copied). Whether it removes an entry depends on the entries, the table's size and the cursor
 * alone, so an owner that saves the size (table_reserve) and the cursor sweeps the same in a
 * replay and after a restore. Returns how many it removed.
 */
static inline uint32_t table_sweep_step(struct table *table, uint32_t *cursor,
					bool (*is_stale)(const void *entry, const void *ctx),
					const void *ctx, size_t entry_size)
{
	uint32_t homes = table_sweep_step_homes(table);
	uint32_t removed = table_remove_stale_homes_sized(table, *cursor, homes, is_stale, ctx,
							  entry_size);

	*cursor = (*cursor + homes) & table->mask;
	return removed;
}

/** What a full table evicts at once: count / fraction, at least one (fraction 0: one). */
static inline uint32_t table_evict_share(uint32_t count, uint32_t fraction)
{
	return fraction > 0 && count / fraction > 0 ? count / fraction : 1;
}

/**
 * Remove the want oldest by age of the entries picked (pick(entry, pick_ctx) true; all if pick
 * is NULL), or every entry picked if fewer; of entries equally old at the cut, those of the
 * smallest hashes (an order of the entries alone, not of the slots: replay and live evict the
 * same). Calls on_remove for each; returns how many. O(slots).
 */
uint32_t table_evict_picked(struct table *table, table_age_fn *age, uint32_t want,
			    table_pick_fn *pick, const void *pick_ctx, table_remove_fn *on_remove,
			    void *remove_ctx);

/**
 * Remove exactly table_evict_share(count, fraction) entries, the oldest by age (as
 * table_evict_picked of all). O(slots), so amortized O(fraction) per insert.
 */
uint32_t table_evict_oldest(struct table *table, table_age_fn *age, uint32_t fraction,
			    table_remove_fn *on_remove, void *remove_ctx);

/**
 * table_evict_oldest among the entries picked (pick(entry, pick_ctx) true; all if pick is
 * NULL): as many as it would evict (of all the entries), or every entry picked if fewer. The
 * oldest of those picked go, in the same order.
 */
uint32_t table_evict_oldest_picked(struct table *table, table_age_fn *age, uint32_t fraction,
				   table_pick_fn *pick, const void *pick_ctx,
				   table_remove_fn *on_remove, void *remove_ctx);

/**
 * Room in a full table (count >= max_count): every stale entry removed (O(slots)), and when that
 * left fewer than `room` free under the bound, table_evict_oldest(fraction) as well: room 1
 * evicts only when nothing was stale, max_count / fraction when the sweep freed less than one
 * eviction would (the bound nearly all fresh: the next whole sweep a few inserts away).
 * Returns how many it evicted (the stale removed are not counted). The slow path of a stepped
 * sweep's owner.
 */
uint32_t table_sweep_full(struct table *table, bool (*is_stale)(const void *entry, const void *ctx),
			  const void *ctx, table_age_fn *age, uint32_t fraction, uint32_t room);

/**
 * Room for one more in a table whose owner sweeps it stepwise: table_sweep_step, then when full
 * table_sweep_full (fraction, room); *evicted: how many that evicted (the owner counts them).
 * True when entries left their slots (a slot probed before is stale). Which entries go depends
 * on the entries, the table's size and the cursor alone, so a replay and a restored owner
 * sweep the same.
 */
static inline bool table_sweep_room(struct table *table, uint32_t *cursor,
				    bool (*is_stale)(const void *entry, const void *ctx),
				    const void *ctx, table_age_fn *age, uint32_t fraction,
				    uint32_t room, size_t entry_size, uint32_t *evicted)
{
	bool moved = table_sweep_step(table, cursor, is_stale, ctx, entry_size) > 0;

	*evicted = 0;
	if (table->count >= table->max_count) {
		*evicted = table_sweep_full(table, is_stale, ctx, age, fraction, room);
		moved = true;
	}
	return moved;
}

struct codec_writer;
struct codec_reader;

/**
 * Change the bound to max_count, rehashing into new memory; if more entries than that are
 * held, the oldest are evicted first (on_remove called). Returns how many were evicted, or
 * -ENOMEM (the table is then unchanged).
 */
int table_resize(struct table *table, uint32_t max_count, table_age_fn *age,
		 table_remove_fn *on_remove, void *remove_ctx);

/**
 * table_resize in two steps, for a caller that must allocate every table it resizes before
 * it evicts or forgets anything (a reload is all or nothing): table_resize_prepare allocates
 * the memory for max_count into *resized (0, or -ENOMEM with nothing to cancel; the table's
 * entries untouched either way); the table may then lose entries, not gain any; then either
 * table_resize_finish evicts the oldest over max_count (on_remove called) and moves the rest
 * into the new memory (cannot fail; how many it evicted), or table_resize_cancel frees it.
 */
int table_resize_prepare(struct table *table, uint32_t max_count, struct table *resized);
uint32_t table_resize_finish(struct table *table, struct table *resized, table_age_fn *age,
			     table_remove_fn *on_remove, void *remove_ctx);
void table_resize_cancel(struct table *resized);

/* Writes one entry's fields (never its slot or hash when the key gives it back). */
typedef void table_put_fn(const void *entry, struct codec_writer *writer, const void *ctx);
/* Reads one entry's fields into entry (zeroed; its table_entry header is not the callee's) and
 * sets *hash to its hash. 0, -EINVAL when a field is out of range, or -ENOMEM. */
typedef int table_get_fn(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx);

/**
 * Save the live entries: [u32 count] then each entry as put writes it, in the order of their
 * home slots in a table of the whole bound (hash & full_mask, then hash; equal hashes in the
 * order they were claimed): an order of the entries alone, the same whatever size the table
 * has grown to. Neither slots nor capacity
 * are written. Sets writer->failed when out of memory for the order.
 */
void table_save_entries(const struct table *table, struct codec_writer *writer, table_put_fn *put,
			const void *ctx);

/** Give a table `slots` slots at once (a power of two from its first size to the slots of its
 * bound, at least twice its count), ending a gradual growth: a restored owner's table the size
 * the saved one had, before or after its entries are loaded. 0, -EINVAL (not such a size) or
 * -ENOMEM. */
int table_reserve(struct table *table, uint32_t slots);

/** A stepped sweep's position, the table's size with its cursor: [u32 slots][u32 cursor] (how
 * far the sweep steps depends on the size, so a restored table takes the size saved). */
void table_save_sweep(const struct table *table, uint32_t cursor, struct codec_writer *writer);
/** Read what table_save_sweep wrote into *cursor and give the table that size
 * (table_reserve): 0, -EINVAL (a cursor past the size, a size it cannot take) or -ENOMEM. */
int table_load_sweep(struct table *table, uint32_t *cursor, struct codec_reader *reader);

/** Insert what table_save_entries wrote into an empty table; -EINVAL when the count exceeds
 * max_count or get refuses an entry, -ENOMEM when get or the table has no memory. */
int table_load_entries(struct table *table, struct codec_reader *reader, table_get_fn *get,
		       void *ctx);

#endif
