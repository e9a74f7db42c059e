/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "table.h"

#include "array.h"
#include "codec.h"
#include "invariant.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The slots a table starts with (fewer when its bound needs fewer). */
#define FIRST_SLOTS 64u

/* Old slots a claim walks (and empties) while a table grows gradually: the walk ends after
 * old slots / 4 claims, before the new slots are half full (after old slots / 2 claims), and a
 * feed's read of 256 KiB (2,000 lines or so) moves a few thousand entries at the most. A run
 * of used slots is moved whole, so a claim may move a few more (runs are short at load 1/2). */
#define GROW_STEP_SLOTS 4u

/* The pages a table growing gradually writes into ahead of the doubling (table.h): the
 * kernel's small page, as the next slots are not marked for huge pages until the growth ends. */
#define PREPARE_PAGE_BYTES 4096u
/* A transparent huge page (x86-64, arm64 with 4 KiB pages): prepare_next_slots writes a small
 * page into each of them first. */
#define PREPARE_HUGE_BYTES ((uintptr_t)2 << 20)

/*
 * count zeroed slots of size bytes. A large array (100,000 call-takers: the operators' tables
 * grow to 6-15 MB) is touched at random, a page per new key or so: in 4 KiB pages a page
 * fault for nearly every new key while it grows, and a TLB miss for nearly every probe after.
 * So it asks for transparent huge pages (array_advise_huge_pages).
 */
static void *alloc_slots(uint32_t count, size_t size)
{
	void *slots = calloc(count, size);

	if (slots)
		array_advise_huge_pages(slots, (size_t)count * size);
	return slots;
}

/* The slots max_count entries need at load factor 1/2: a power of two, at least 16. */
static uint32_t slots_for(uint32_t max_count)
{
	uint32_t slots = 16;

	while (slots < 2 * (uint64_t)max_count)
		slots *= 2;
	return slots;
}

int table_init(struct table *table, size_t entry_size, uint32_t max_count)
{
	memset(table, 0, sizeof(*table));
	if (max_count == 0 || max_count > (UINT32_C(1) << 30) ||
	    entry_size < sizeof(struct table_entry))
		return -EINVAL;
	uint32_t full = slots_for(max_count);
	uint32_t slots = full < FIRST_SLOTS ? full : FIRST_SLOTS;
	table->slots = alloc_slots(slots, entry_size);
	table->ages = malloc((size_t)max_count * sizeof(*table->ages));
	if (!table->slots || !table->ages) {
		table_release(table);
		return -ENOMEM;
	}
	table->entry_size = entry_size;
	table->mask = slots - 1;
	table->full_mask = full - 1;
	table->max_count = max_count;
	return 0;
}

/* Forget the next slots prepared (a size they are no longer for, or the table's end). */
static void drop_next_slots(struct table *table)
{
	free(table->next_slots);
	table->next_slots = NULL;
	table->next_touched_pages = 0;
}

void table_release(struct table *table)
{
	free(table->slots);
	free(table->ages);
	free(table->old_slots);
	drop_next_slots(table);
	table->slots = NULL;
	table->ages = NULL;
	table->old_slots = NULL;
	table->count = 0;
	table->old_count = 0;
}

void table_grow_gradually(struct table *table)
{
	table->gradual = true;
}

/* One past the last index: the slots, then the old slots of a table growing gradually. */
static uint32_t table_end(const struct table *table)
{
	return table->mask + 1 + (table->old_slots ? table->old_mask + 1 : 0);
}

static struct table_entry *header(const struct table *table, uint32_t i)
{
	return table_slot_any(table, i);
}

/* An empty slot for hash in a table known not to hold the key. */
static bool never_matches(const void *entry, const void *key)
{
	(void)entry;
	(void)key;
	return false;
}

/* A slot no entry holds: the table is never full. */
static uint32_t first_empty(const struct table *table)
{
	uint32_t i = 0;

	while (i < table->mask && table_used(table, i))
		i++;
	return i;
}

/* Move every entry into slots new slots (a power of two holding them at load <= 1/2), in
 * probe-chain order (from just after an empty slot): entries of one home keep their order. */
static int rehash(struct table *table, uint32_t slots)
{
	struct table moved = *table;
	uint32_t start = first_empty(table);

	moved.slots = alloc_slots(slots, table->entry_size);
	if (!moved.slots)
		return -ENOMEM;
	moved.mask = slots - 1;
	for (uint32_t n = 1; n <= table->mask + 1; n++) {
		const struct table_entry *entry = header(table, (start + n) & table->mask);
		if (table_entry_used(entry))
			memcpy(table_slot(&moved,
					  table_probe(&moved, entry->hash, never_matches, NULL)),
			       entry, table->entry_size);
	}
	free(table->slots);
	drop_next_slots(table);
	moved.next_slots = NULL;
	moved.next_touched_pages = 0;
	*table = moved;
	return 0;
}

/* Old slot j of a table growing gradually. */
static struct table_entry *old_header(const struct table *table, uint32_t j)
{
	return (struct table_entry *)(table->old_slots + (size_t)j * table->entry_size);
}

/* Move the run of used old slots that holds old slot j (used) into the new slots, in
 * probe-chain order: entries of one hash keep their order, as in rehash. The run ends at an
 * empty slot on both sides, so no other old entry's probe chain crosses it. */
static void move_old_run(struct table *table, uint32_t j)
{
	uint32_t mask = table->old_mask;

	while (table_entry_used(old_header(table, (j - 1) & mask)))
		j = (j - 1) & mask;
	for (; table_entry_used(old_header(table, j)); j = (j + 1) & mask) {
		struct table_entry *entry = old_header(table, j);
		uint32_t mask_now = table->mask;
		uint32_t i = (uint32_t)entry->hash & mask_now;
		while (table_used(table, i))
			i = (i + 1) & mask_now;
		memcpy(table_slot(table, i), entry, table->entry_size);
		entry->hash = 0;
		table->old_count--;
	}
}

/* The growth is over: the slots, backed in small pages by now (prepare_next_slots), may be
 * gathered into huge pages (alloc_slots) without a claim paying for it. */
static void free_old_slots(struct table *table)
{
	free(table->old_slots);
	table->old_slots = NULL;
	table->old_mask = 0;
	array_advise_huge_pages(table->slots, (size_t)(table->mask + 1) * table->entry_size);
}

/* Walk at least `slots` more old slots (every one when UINT32_MAX), moving their entries. */
static void grow_step(struct table *table, uint32_t slots)
{
	for (uint32_t n = 0; n < slots && table->old_count > 0; n++) {
		uint32_t j = (table->old_start + 1 + table->old_walked) & table->old_mask;
		if (table_entry_used(old_header(table, j)))
			move_old_run(table, j);
		table->old_walked++;
	}
	if (table->old_count == 0)
		free_old_slots(table);
}

/*
 * A byte written at the start of block and of each 2 MiB-aligned range in it (a few writes:
 * 10 for 20 MiB), so that each range has its page table and any later first write to it is
 * a small page's fault even if the block gets marked for huge pages meanwhile (cadmond marks
 * every anonymous mapping after each snapshot, daemon/journal/store.c): a huge page is only
 * given to a range with none. khugepaged may still gather the ranges, in its own thread.
 */
static void back_small_pages(unsigned char *block, size_t bytes)
{
	volatile unsigned char *bytes_of = block;

	for (size_t at = 0; at < bytes;
	     at = (((uintptr_t)block + at) | (PREPARE_HUGE_BYTES - 1)) + 1 - (uintptr_t)block)
		bytes_of[at] = 0;
}

/* The slots of a table growing gradually past 3/8 full: allocate the next slots, and write
 * into as many of their pages as leave the rest a page each for the claims before the
 * doubling, or fewer (table.h). Without the memory, the doubling tries again. */
static void prepare_next_slots(struct table *table)
{
	uint32_t slots = table->mask + 1;

	if (table->old_slots || table->count + 1 <= table_plain_claims(table) ||
	    table->mask >= table->full_mask)
		return;
	size_t bytes = (size_t)slots * 2 * table->entry_size;
	if (!table->next_slots) {
		table->next_slots = calloc((size_t)slots * 2, table->entry_size);
		table->next_touched_pages = 0;
		if (!table->next_slots)
			return;
		back_small_pages(table->next_slots, bytes);
	}
	size_t pages = (bytes + PREPARE_PAGE_BYTES - 1) / PREPARE_PAGE_BYTES;
	size_t claims_left = table->count < slots / 2 ? slots / 2 - table->count : 1;
	size_t step = (pages - table->next_touched_pages + claims_left - 1) / claims_left;
	/* A zero where calloc left one: the write, not the value, makes the kernel back it. */
	volatile unsigned char *next = table->next_slots;

	for (; step > 0; step--, table->next_touched_pages++)
		next[table->next_touched_pages * PREPARE_PAGE_BYTES] = 0;
}

/* Double gradually: the slots now become the old slots. The new ones are those prepared (or
 * fresh, when the count rose past 3/8 while old slots were left, or there was no memory),
 * not marked for huge pages until the growth ends (free_old_slots): the doubling's first
 * claims write pages of them at random, and each first write of a huge page has the kernel
 * zero 2 MiB (0.25 ms when the host has backed the memory, 5-8 ms when it has not: 4-27 ms in
 * one loop iteration for a 10 MiB doubling, stall8); a small page costs microseconds. */
static int begin_growth(struct table *table)
{
	unsigned char *slots = table->next_slots;

	if (!slots && !(slots = calloc((size_t)(table->mask + 1) * 2, table->entry_size)))
		return -ENOMEM;
	table->next_slots = NULL;
	table->next_touched_pages = 0;
	table->old_slots = table->slots;
	table->old_mask = table->mask;
	table->old_count = table->count;
	table->old_start = first_empty(table);
	table->old_walked = 0;
	table->slots = slots;
	table->mask = table->mask * 2 + 1;
	return 0;
}

/* A claim of hash while old slots are left: the old run of hash's home goes first (entries of
 * one hash stay in the order they were claimed), then a step of the walk (or, were the slots
 * half full, the rest of it); the empty slot for hash found again. */
static uint32_t claim_while_growing(struct table *table, uint64_t hash)
{
	uint32_t j = (uint32_t)hash & table->old_mask;

	if (table->count + 1 > (table->mask + 1) / 2) { /* not expected: the walk ends before */
		grow_step(table, UINT32_MAX);
	} else {
		if (table_entry_used(old_header(table, j)))
			move_old_run(table, j);
		grow_step(table, GROW_STEP_SLOTS);
	}
	return table_probe(table, hash, never_matches, NULL);
}

void *table_claim(struct table *table, uint32_t i, uint64_t hash)
{
	if (table->old_slots)
		i = claim_while_growing(table, hash);
	else if (table->gradual)
		prepare_next_slots(table);
	/* Half full: double, and find the empty slot for hash again. Without the memory, go on
	 * fuller (the next claim tries again) while an empty slot would be left. */
	if (table->count + 1 > (table->mask + 1) / 2 && table->mask < table->full_mask) {
		if (!table->gradual && rehash(table, (table->mask + 1) * 2) == 0)
			i = table_probe(table, hash, never_matches, NULL);
		else if (table->gradual && begin_growth(table) == 0)
			i = claim_while_growing(table, hash);
		else if (table->count + 2 > table->mask + 1)
			return NULL;
	}
	struct table_entry *entry = table_slot(table, i);

	/* Callers make room first. Past the bound the table still has free slots (it has twice
	 * as many), so a release build counts the failure and goes on. */
	(void)INVARIANT_FAILS(table->count < table->max_count && !table_entry_used(entry));
	memset(entry, 0, table->entry_size);
	entry->hash = table_key_hash(hash);
	table->count++;
	return entry;
}

uint32_t table_index(const struct table *table, const void *entry)
{
	uintptr_t at = (uintptr_t)entry, slots = (uintptr_t)table->slots;

	if (table->old_slots && (at < slots || at - slots >= (table->mask + 1) * table->entry_size))
		return table->mask + 1 +
		       (uint32_t)((at - (uintptr_t)table->old_slots) / table->entry_size);
	return (uint32_t)((at - slots) / table->entry_size);
}

void table_remove(struct table *table, uint32_t i)
{
	table->count--;
	if (i <= table->mask) {
		table_remove_from(table->slots, table->entry_size, table->mask, i);
		return;
	}
	table_remove_from(table->old_slots, table->entry_size, table->old_mask,
			  i - table->mask - 1);
	if (--table->old_count == 0)
		free_old_slots(table);
}

uint32_t table_remove_stale(struct table *table,
			    bool (*is_stale)(const void *entry, const void *ctx), const void *ctx,
			    table_remove_fn *on_remove, void *remove_ctx)
{
	uint32_t removed = 0;

	/* Removing slot i may pull a later entry into it, so look at i again. An entry pulled
	 * from the start of the array into the end is looked at twice, which is harmless. The old
	 * slots of a table growing gradually come after (gone once their last entry is). */
	for (uint32_t i = 0; i < table_end(table); i++) {
		while (i < table_end(table) && table_used_any(table, i) &&
		       is_stale(table_slot_any(table, i), ctx)) {
			if (on_remove)
				on_remove(table_slot_any(table, i), remove_ctx);
			table_remove(table, i);
			removed++;
		}
	}
	return removed;
}

uint32_t table_remove_stale_old_homes(struct table *table, uint32_t from, uint32_t homes,
				      bool (*is_stale)(const void *entry, const void *ctx),
				      const void *ctx)
{
	return table_remove_stale_homes_in(table, true, from, homes, is_stale, ctx,
					   table->entry_size);
}

uint32_t table_sweep_full(struct table *table, bool (*is_stale)(const void *entry, const void *ctx),
			  const void *ctx, table_age_fn *age, uint32_t fraction, uint32_t room)
{
	table_remove_stale(table, is_stale, ctx, NULL, NULL);
	if (table->count <= table->max_count - (room < table->max_count ? room : table->max_count))
		return 0;
	return table_evict_oldest(table, age, fraction, NULL, NULL);
}

static void swap_ages(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

/* Hoare's quickselect: the k-th smallest of values[0..n), k < n; reorders values. */
static int64_t select_kth(int64_t *values, uint32_t n, uint32_t k)
{
	uint32_t low = 0, high = n - 1;

	while (low < high) {
		int64_t pivot = values[low + (high - low) / 2];
		uint32_t i = low, j = high;
		while (i <= j) {
			while (values[i] < pivot)
				i++;
			while (values[j] > pivot)
				j--;
			if (i <= j) {
				swap_ages(&values[i], &values[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			high = j;
		else if (k >= i)
			low = i;
		else
			break;
	}
	return values[k];
}

/* The eviction's choice: every entry younger than cutoff stays, every older one goes, and of
 * the entries aged exactly cutoff those whose hash is below hash_cutoff go, then as many whose
 * hash equals it as ties_left still allows. */
struct age_cutoff {
	table_age_fn *age;
	table_pick_fn *pick; /* NULL: every entry may go */
	const void *pick_ctx;
	int64_t cutoff;
	int64_t hash_cutoff; /* a hash as an ordered int64 (order_hash) */
	uint32_t *ties_left;
};

/* A hash as an int64 in the same order (the sign bit flipped), for select_kth. */
static int64_t order_hash(uint64_t hash)
{
	return (int64_t)(hash ^ UINT64_C(0x8000000000000000));
}

static bool older_than_cutoff(const void *entry, const void *ctx)
{
	const struct age_cutoff *limit = ctx;

	if (limit->pick && !limit->pick(entry, limit->pick_ctx))
		return false;
	int64_t age = limit->age(entry);
	if (age != limit->cutoff)
		return age < limit->cutoff;
	int64_t hash = order_hash(((const struct table_entry *)entry)->hash);
	if (hash != limit->hash_cutoff)
		return hash < limit->hash_cutoff;
	if (*limit->ties_left == 0)
		return false;
	(*limit->ties_left)--;
	return true;
}

/* Of the n entries, below of them older than limit->cutoff: the hash at which the entries aged
 * exactly the cutoff are cut, so that want entries go in all; sets the equal hashes allowed. */
static void cut_ties(struct table *table, struct age_cutoff *limit, uint32_t below,
		     uint32_t want)
{
	uint32_t tied = 0;

	for (uint32_t i = 0; i < table_end(table); i++) {
		const void *entry = table_used_any(table, i) ? table_slot_any(table, i) : NULL;
		if (entry && limit->pick && !limit->pick(entry, limit->pick_ctx))
			continue;
		if (entry && limit->age(entry) == limit->cutoff)
			table->ages[tied++] = order_hash(((const struct table_entry *)entry)->hash);
	}
	uint32_t k = want - below - 1; /* the last tied entry to go, by hash */
	limit->hash_cutoff = select_kth(table->ages, tied, k);
	uint32_t lower = 0;
	for (uint32_t i = 0; i < tied; i++)
		lower += table->ages[i] < limit->hash_cutoff;
	*limit->ties_left = want - below - lower;
}

uint32_t table_evict_picked(struct table *table, table_age_fn *age, uint32_t want,
			    table_pick_fn *pick, const void *pick_ctx, table_remove_fn *on_remove,
			    void *remove_ctx)
{
	uint32_t picked = 0;

	for (uint32_t i = 0; i < table_end(table); i++) {
		if (!table_used_any(table, i))
			continue;
		const void *entry = table_slot_any(table, i);
		if (!pick || pick(entry, pick_ctx))
			table->ages[picked++] = age(entry);
	}
	if (picked == 0 || want == 0)
		return 0;
	if (want > picked)
		want = picked;
	uint32_t ties_left = 0;
	struct age_cutoff limit = {.age = age, .pick = pick, .pick_ctx = pick_ctx,
				   .cutoff = select_kth(table->ages, picked, want - 1),
				   .ties_left = &ties_left};
	uint32_t below = 0;
	for (uint32_t i = 0; i < picked; i++)
		below += table->ages[i] < limit.cutoff;
	cut_ties(table, &limit, below, want);
	return table_remove_stale(table, older_than_cutoff, &limit, on_remove, remove_ctx);
}

uint32_t table_evict_oldest_picked(struct table *table, table_age_fn *age, uint32_t fraction,
				   table_pick_fn *pick, const void *pick_ctx,
				   table_remove_fn *on_remove, void *remove_ctx)
{
	return table_evict_picked(table, age, table_evict_share(table->count, fraction), pick,
				  pick_ctx, on_remove, remove_ctx);
}

uint32_t table_evict_oldest(struct table *table, table_age_fn *age, uint32_t fraction,
			    table_remove_fn *on_remove, void *remove_ctx)
{
	return table_evict_oldest_picked(table, age, fraction, NULL, NULL, on_remove, remove_ctx);
}

int table_resize_prepare(struct table *table, uint32_t max_count, struct table *resized)
{
	memset(resized, 0, sizeof(*resized));
	if (max_count == table->max_count)
		return 0; /* nothing to allocate: table_resize_finish leaves the table as it is */
	int rc = table_init(resized, table->entry_size, max_count);
	if (rc != 0)
		return rc;
	resized->gradual = table->gradual;
	if (table->old_slots) /* a reload: end the growth at once */
		grow_step(table, UINT32_MAX);
	uint32_t held = table->count < max_count ? table->count : max_count;
	uint32_t slots = slots_for(held);
	if (slots > resized->mask + 1 && (rc = rehash(resized, slots)) != 0) {
		table_release(resized);
		return rc;
	}
	return 0;
}

void table_resize_cancel(struct table *resized)
{
	table_release(resized);
}

uint32_t table_resize_finish(struct table *table, struct table *resized, table_age_fn *age,
			     table_remove_fn *on_remove, void *remove_ctx)
{
	uint32_t evicted = 0;

	if (!resized->slots)
		return 0;
	while (table->count > resized->max_count)
		evicted += table_evict_oldest(table, age, 16, on_remove, remove_ctx);
	uint32_t start = first_empty(table);
	for (uint32_t n = 1; n <= table->mask + 1; n++) { /* in probe-chain order, as rehash */
		const struct table_entry *entry = header(table, (start + n) & table->mask);
		if (!table_entry_used(entry))
			continue;
		uint32_t slot = table_probe(resized, entry->hash, never_matches, NULL);
		memcpy(table_slot(resized, slot), entry, table->entry_size);
		resized->count++;
	}
	table_release(table);
	*table = *resized;
	memset(resized, 0, sizeof(*resized));
	return evicted;
}

int table_resize(struct table *table, uint32_t max_count, table_age_fn *age,
		 table_remove_fn *on_remove, void *remove_ctx)
{
	struct table resized;
	int rc = table_resize_prepare(table, max_count, &resized);

	if (rc != 0)
		return rc;
	return (int)table_resize_finish(table, &resized, age, on_remove, remove_ctx);
}

/* Where an entry saves: its home slot in a table of the whole bound, then its hash, then
 * (equal hashes) how far along its probe chain it lies. */
struct save_order {
	uint64_t home;
	uint64_t hash;
	uint32_t distance;
	uint32_t slot;
};

static int compare_save_order(const void *a, const void *b)
{
	const struct save_order *x = a, *y = b;

	if (x->home != y->home)
		return x->home < y->home ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->distance > y->distance) - (x->distance < y->distance);
}

void table_save_entries(const struct table *table, struct codec_writer *writer, table_put_fn *put,
			const void *ctx)
{
	struct save_order *order = malloc(((size_t)table->count + 1) * sizeof(*order));
	uint32_t n = 0;

	codec_put_u32(writer, table->count);
	if (!order) {
		writer->failed = true;
		return;
	}
	for (uint32_t i = 0; i < table_end(table); i++) {
		const struct table_entry *entry = header(table, i);
		/* Equal hashes are all in the slots or all in the old slots (table_claim). */
		uint32_t at = i <= table->mask ? i : i - table->mask - 1;
		uint32_t mask = i <= table->mask ? table->mask : table->old_mask;
		uint32_t distance = (at - (uint32_t)entry->hash) & mask;
		if (table_entry_used(entry) && n < table->count)
			order[n++] = (struct save_order){ .home = entry->hash & table->full_mask,
							  .hash = entry->hash,
							  .distance = distance,
							  .slot = i };
	}
	qsort(order, n, sizeof(*order), compare_save_order);
	for (uint32_t j = 0; j < n; j++)
		put(table_slot_any(table, order[j].slot), writer, ctx);
	free(order);
}

int table_reserve(struct table *table, uint32_t slots)
{
	uint32_t first = table->full_mask + 1 < FIRST_SLOTS ? table->full_mask + 1 : FIRST_SLOTS;

	if (table->count > slots / 2 || slots < first || slots > table->full_mask + 1 ||
	    (slots & (slots - 1)) != 0)
		return -EINVAL;
	if (table->old_slots)
		grow_step(table, UINT32_MAX);
	return slots == table->mask + 1 ? 0 : rehash(table, slots);
}

void table_save_sweep(const struct table *table, uint32_t cursor, struct codec_writer *writer)
{
	codec_put_u32(writer, table->mask + 1);
	codec_put_u32(writer, cursor);
}

int table_load_sweep(struct table *table, uint32_t *cursor, struct codec_reader *reader)
{
	uint32_t slots = codec_get_u32(reader);

	*cursor = codec_get_u32(reader);
	if (reader->failed || *cursor >= slots)
		return -EINVAL;
	return table_reserve(table, slots);
}

int table_load_entries(struct table *table, struct codec_reader *reader, table_get_fn *get,
		       void *ctx)
{
	uint32_t count = codec_get_u32(reader);
	size_t header_size = sizeof(struct table_entry);
	unsigned char *scratch;
	int rc = 0;

	if (reader->failed || table->count != 0 || count > table->max_count)
		return -EINVAL;
	if (!(scratch = malloc(table->entry_size)))
		return -ENOMEM;
	for (uint32_t n = 0; n < count && rc == 0; n++) {
		uint64_t hash = 0;
		memset(scratch, 0, table->entry_size);
		int got = get(scratch, &hash, reader, ctx);
		if (got != 0 || reader->failed) {
			rc = got == -ENOMEM ? -ENOMEM : -EINVAL; /* no memory: not damage */
			break;
		}
		unsigned char *entry =
			table_claim(table, table_probe(table, hash, never_matches, NULL), hash);
		if (!entry) {
			rc = -ENOMEM;
			break;
		}
		memcpy(entry + header_size, scratch + header_size, table->entry_size - header_size);
	}
	free(scratch);
	return rc;
}
