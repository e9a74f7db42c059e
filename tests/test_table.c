/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "table.h"

struct item {
	struct table_entry base;
	uint32_t key;
	int64_t age;
};

static bool item_matches(const void *entry, const void *key)
{
	return ((const struct item *)entry)->key == *(const uint32_t *)key;
}

static int64_t item_age(const void *entry)
{
	return ((const struct item *)entry)->age;
}

/* A deliberately poor hash so that probe chains collide and wrap around the array. */
static uint64_t poor_hash(uint32_t key)
{
	return key % 7 + 28;
}

static struct item *find(struct table *table, uint32_t key)
{
	uint32_t i = table_probe(table, poor_hash(key), item_matches, &key);

	return table_used(table, i) ? table_slot(table, i) : NULL;
}

static void insert(struct table *table, uint32_t key, int64_t age)
{
	uint32_t i = table_probe(table, poor_hash(key), item_matches, &key);
	struct item *item = table_claim(table, i, poor_hash(key));

	item->key = key;
	item->age = age;
}

static void test_init_limits(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 0), -EINVAL);
	assert_int_equal(table_init(&table, 4, 10), -EINVAL);
	assert_int_equal(table_init(&table, sizeof(struct item), 10), 0);
	assert_int_equal(table.mask, 31);
	table_release(&table);
}

static void test_colliding_keys_survive_removals(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 16), 0);
	for (uint32_t key = 0; key < 16; key++)
		insert(&table, key, key);
	for (uint32_t key = 0; key < 16; key += 3) {
		uint32_t i = table_probe(&table, poor_hash(key), item_matches, &key);
		table_remove(&table, i);
	}
	for (uint32_t key = 0; key < 16; key++) {
		struct item *item = find(&table, key);
		if (key % 3 == 0) {
			assert_null(item);
		} else {
			assert_non_null(item);
			assert_int_equal(item->age, key);
		}
	}
	assert_int_equal(table.count, 10);
	table_release(&table);
}

/* A fresh table of bound n holding keys 0..n-1, key aged key * step % n (a permutation when
 * step is odd and n a power of two). */
static void fill_permuted(struct table *table, uint32_t n, uint32_t step)
{
	assert_int_equal(table_init(table, sizeof(struct item), n), 0);
	for (uint32_t key = 0; key < n; key++)
		insert(table, key, (int64_t)(key * step % n));
}

static bool age_below(const void *entry, const void *ctx)
{
	return item_age(entry) < *(const int64_t *)ctx;
}

static void test_remove_stale(void **state)
{
	struct table table;
	int64_t cutoff = 10;
	(void)state;

	fill_permuted(&table, 32, 7);
	assert_int_equal(table_remove_stale(&table, age_below, &cutoff, NULL, NULL), 10);
	for (uint32_t key = 0; key < 32; key++)
		assert_true((find(&table, key) != NULL) == (key * 7 % 32 >= 10));
	table_release(&table);
}

static void count_removal(void *entry, void *ctx)
{
	(void)entry;
	(*(int *)ctx)++;
}

static void test_evict_oldest_fraction(void **state)
{
	struct table table;
	int removed = 0;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 64), 0);
	/* Ages are a permutation of 0..63: one sixteenth is the 4 oldest (64/16 = 4). */
	for (uint32_t key = 0; key < 64; key++)
		insert(&table, key, (int64_t)(key * 37 % 64));
	assert_int_equal(table_evict_oldest(&table, item_age, 16, count_removal, &removed), 4);
	assert_int_equal(removed, 4);
	for (uint32_t key = 0; key < 64; key++)
		assert_true((find(&table, key) != NULL) == (key * 37 % 64 >= 4));
	table_release(&table);
}

/* Is the item's key odd (ctx: unused)? */
static bool odd_key(const void *entry, const void *ctx)
{
	(void)ctx;
	return ((const struct item *)entry)->key % 2 == 1;
}

/* Of the entries picked alone: as many as of all (64 / 16 = 4), the oldest of the odd keys;
 * with fewer picked than that, all of them. */
static void test_evict_oldest_picked(void **state)
{
	struct table table;
	int removed = 0;
	(void)state;

	fill_permuted(&table, 64, 37);
	assert_int_equal(table_evict_oldest_picked(&table, item_age, 16, odd_key, NULL,
						   count_removal, &removed),
			 4);
	assert_int_equal(removed, 4);
	/* The odd keys' ages are the odd numbers: 1, 3, 5 and 7 go (keys 45, 19, 57, 31). */
	for (uint32_t key = 0; key < 64; key++)
		assert_true((find(&table, key) != NULL) ==
			    (key % 2 == 0 || key * 37 % 64 >= 8));
	table_release(&table);

	assert_int_equal(table_init(&table, sizeof(struct item), 64), 0);
	for (uint32_t key = 0; key < 64; key += 2)
		insert(&table, key, (int64_t)key);
	insert(&table, 63, 100); /* 33 entries: 2 would go, but one only is picked */
	assert_int_equal(table_evict_oldest_picked(&table, item_age, 16, odd_key, NULL, NULL, NULL),
			 1);
	assert_int_equal(table.count, 32);
	assert_null(find(&table, 63));
	table_release(&table);
}

static void test_evict_with_equal_ages(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 8), 0);
	for (uint32_t key = 0; key < 8; key++)
		insert(&table, key, 5);
	/* All equally old, fewer than 16: exactly one goes, the smallest hash (keys 0 and 7 share
	 * hash 28: one of them). */
	assert_int_equal(table_evict_oldest(&table, item_age, 16, NULL, NULL), 1);
	assert_int_equal(table.count, 7);
	assert_true((find(&table, 0) == NULL) != (find(&table, 7) == NULL));
	table_release(&table);
}

static uint64_t spread_hash(uint32_t key);

/* Insert keys 0..n-1 (from the last if reversed) into a fresh table of bound n, aged age_of. */
static void fill_aged(struct table *table, uint32_t n, bool reversed, int64_t (*age_of)(uint32_t))
{
	assert_int_equal(table_init(table, sizeof(struct item), n), 0);
	for (uint32_t j = 0; j < n; j++) {
		uint32_t key = reversed ? n - 1 - j : j;
		uint32_t i = table_probe(table, spread_hash(key), item_matches, &key);
		struct item *item = table_claim(table, i, spread_hash(key));
		assert_non_null(item);
		item->key = key;
		item->age = age_of(key);
	}
}

static int64_t same_age(uint32_t key)
{
	(void)key;
	return 7;
}

static int64_t age_mod_4(uint32_t key)
{
	return key % 4;
}

/* Is key among the count smallest spread hashes of the keys 0..n-1 aged as key by age_of? */
static bool among_smallest_hashes(uint32_t key, uint32_t n, uint32_t count,
				  int64_t (*age_of)(uint32_t))
{
	uint32_t smaller = 0;

	for (uint32_t other = 0; other < n; other++)
		if (age_of(other) == age_of(key) && spread_hash(other) < spread_hash(key))
			smaller++;
	return smaller < count;
}

/* A burst of equal ages (one millisecond, whole-second CAD times) loses exactly one sixteenth:
 * of the tied entries those of the smallest hashes, whatever order they were claimed in. */
static void test_evict_ties_exactly(void **state)
{
	struct table forward, reversed;
	(void)state;

	fill_aged(&forward, 1024, false, same_age);
	fill_aged(&reversed, 1024, true, same_age);
	assert_int_equal(table_evict_oldest(&forward, item_age, 16, NULL, NULL), 64);
	assert_int_equal(table_evict_oldest(&reversed, item_age, 16, NULL, NULL), 64);
	assert_int_equal(forward.count, 960);
	uint32_t gone = 0;
	for (uint32_t key = 0; key < 1024; key++) {
		uint32_t i = table_probe(&forward, spread_hash(key), item_matches, &key);
		uint32_t j = table_probe(&reversed, spread_hash(key), item_matches, &key);
		bool kept = table_used(&forward, i);
		assert_int_equal(kept, table_used(&reversed, j));
		assert_int_equal(kept, !among_smallest_hashes(key, 1024, 64, same_age));
		gone += !kept;
	}
	assert_int_equal(gone, 64);
	table_release(&forward);
	table_release(&reversed);

	/* Ages 0..3, 256 each: the 64 to go are all of age 0, the smallest hashes of them. */
	fill_aged(&forward, 1024, false, age_mod_4);
	assert_int_equal(table_evict_oldest(&forward, item_age, 16, NULL, NULL), 64);
	for (uint32_t key = 0; key < 1024; key++) {
		uint32_t i = table_probe(&forward, spread_hash(key), item_matches, &key);
		bool gone_here = key % 4 == 0 && among_smallest_hashes(key, 1024, 64, age_mod_4);
		assert_int_equal(table_used(&forward, i), !gone_here);
	}
	table_release(&forward);
}

/* An item's fields: [u32 key][i64 age]; the hash comes back from the key. Refuses key 99. */
static void put_item(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct item *item = entry;

	(void)ctx;
	codec_put_u32(writer, item->key);
	codec_put_i64(writer, item->age);
}

static int get_item(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct item *item = entry;

	(void)ctx;
	item->key = codec_get_u32(reader);
	item->age = codec_get_i64(reader);
	*hash = poor_hash(item->key);
	return item->key == 99 ? -EINVAL : 0;
}

/* The keys of what table_save_entries wrote, in order (items as put_item writes them). */
static void saved_keys(const struct codec_writer *writer, uint32_t *keys, uint32_t n)
{
	struct codec_reader reader;

	codec_reader_init(&reader, writer->data, writer->len);
	assert_int_equal(codec_get_u32(&reader), n);
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = codec_get_u32(&reader);
		(void)codec_get_i64(&reader);
	}
	assert_false(reader.failed);
}

/* Saved as live entries (count + fields, by home slot in a table of the whole bound, then
 * hash; equal hashes in the order they were claimed), loaded into a table of the same bound: every
 * entry found
 * with its fields, the same bytes when saved again; a count past the bound, or an entry the
 * owner refuses, fails the load. */
static void test_entries_saved_and_loaded(void **state)
{
	struct table table, loaded;
	struct codec_writer writer = {0}, again = {0};
	struct codec_reader reader;
	uint32_t keys[10];
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 12), 0);
	for (uint32_t key = 0; key < 12; key++)
		insert(&table, key, (int64_t)key * 10);
	table_remove(&table, table_probe(&table, poor_hash(3), item_matches, &(uint32_t){3}));
	table_remove(&table, table_probe(&table, poor_hash(8), item_matches, &(uint32_t){8}));
	table_save_entries(&table, &writer, put_item, NULL);
	assert_false(writer.failed);
	assert_int_equal(writer.len, 4 + 10 * (4 + 8));
	/* hash key % 7 + 28 in 32 slots: homes 0 (hash 32), 1, 2, 28, 29, 30, 31 */
	saved_keys(&writer, keys, 10);
	assert_memory_equal(keys, ((uint32_t[]){4, 11, 5, 6, 0, 7, 1, 2, 9, 10}), sizeof(keys));

	assert_int_equal(table_init(&loaded, sizeof(struct item), 12), 0);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(table_load_entries(&loaded, &reader, get_item, NULL), 0);
	assert_int_equal(reader.pos, writer.len);
	assert_int_equal(loaded.count, 10);
	for (uint32_t key = 0; key < 12; key++) {
		const struct item *a = find(&table, key), *b = find(&loaded, key);
		assert_int_equal(b != NULL, key != 3 && key != 8);
		if (!b)
			continue;
		assert_int_equal(b->key, a->key);
		assert_int_equal(b->age, a->age);
		assert_int_equal(b->base.hash, a->base.hash);
	}
	table_save_entries(&loaded, &again, put_item, NULL);
	assert_int_equal(again.len, writer.len);
	assert_memory_equal(again.data, writer.data, writer.len);
	codec_writer_release(&again);
	table_release(&loaded);

	assert_int_equal(table_init(&loaded, sizeof(struct item), 9), 0); /* 10 entries, bound 9 */
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(table_load_entries(&loaded, &reader, get_item, NULL), -EINVAL);
	table_release(&loaded);

	codec_writer_release(&writer);
	writer = (struct codec_writer){0};
	insert(&table, 99, 0);
	table_save_entries(&table, &writer, put_item, NULL);
	assert_int_equal(table_init(&loaded, sizeof(struct item), 12), 0);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(table_load_entries(&loaded, &reader, get_item, NULL), -EINVAL);
	table_release(&loaded);
	table_release(&table);
	codec_writer_release(&writer);
}

static uint64_t spread_hash(uint32_t key)
{
	return (uint64_t)key * UINT64_C(0x9e3779b97f4a7c15);
}

static void insert_spread(struct table *table, uint32_t key)
{
	uint32_t i = table_probe(table, spread_hash(key), item_matches, &key);
	struct item *item = table_claim(table, i, spread_hash(key));

	assert_non_null(item);
	item->key = key;
	item->age = key;
}

/* A table starts at 64 slots and doubles when half full, up to the slots of its bound (4096
 * for 2000); its entries stay found, and what it saves depends on its entries alone: the same
 * bytes from a table filled in the opposite order, and from one that grew, shrank by removals
 * and grew again. */
static void test_grows_to_its_bound(void **state)
{
	struct table up, down;
	struct codec_writer a = {0}, b = {0};
	(void)state;

	assert_int_equal(table_init(&up, sizeof(struct item), 2000), 0);
	assert_int_equal(table_init(&down, sizeof(struct item), 2000), 0);
	assert_int_equal(up.mask, 63);
	assert_int_equal(up.full_mask, 4095);
	for (uint32_t key = 0; key < 32; key++)
		insert_spread(&up, key);
	assert_int_equal(up.mask, 63);
	insert_spread(&up, 32);
	assert_int_equal(up.mask, 127);
	for (uint32_t key = 33; key < 2000; key++)
		insert_spread(&up, key);
	assert_int_equal(up.mask, 4095);
	assert_int_equal(up.count, 2000);
	for (uint32_t key = 0; key < 2000; key++) {
		uint32_t i = table_probe(&up, spread_hash(key), item_matches, &key);
		assert_true(table_used(&up, i));
		assert_int_equal(((const struct item *)table_slot(&up, i))->age, key);
	}
	for (uint32_t key = 1500; key-- > 0;)
		insert_spread(&down, key + 500); /* 500..1999, backwards */
	for (uint32_t key = 0; key < 500; key++)
		table_remove(&up, table_probe(&up, spread_hash(key), item_matches, &key));
	assert_int_equal(down.mask, 4095);
	table_save_entries(&up, &a, put_item, NULL);
	table_save_entries(&down, &b, put_item, NULL);
	assert_false(a.failed);
	assert_int_equal(a.len, 4 + 1500 * (4 + 8));
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.data, b.data, a.len);
	codec_writer_release(&a);
	codec_writer_release(&b);
	table_release(&up);
	table_release(&down);
}

/* Hashes of 13 values, 16 apart: runs of equal hashes, separated by empty slots. */
static uint64_t clumped_hash(uint32_t key)
{
	return (key % 13) * 16 + 3;
}

/* Hashes of 211 values, 8 apart: two or three keys a hash. */
static uint64_t grouped_hash(uint32_t key)
{
	return (key % 211) * 8 + 3;
}

/* The same bytes saved by two tables (and both hold count entries). */
static void assert_same_save(const struct table *x, const struct table *y, uint32_t count)
{
	struct codec_writer a = {0}, b = {0};

	assert_int_equal(x->count, count);
	assert_int_equal(y->count, count);
	table_save_entries(x, &a, put_item, NULL);
	table_save_entries(y, &b, put_item, NULL);
	assert_false(a.failed);
	assert_int_equal(a.len, 4 + count * (4 + 8));
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.data, b.data, a.len);
	codec_writer_release(&a);
	codec_writer_release(&b);
}

/* Every key below `keys` found with its age in both tables, or in neither. */
static void assert_same_keys(struct table *x, struct table *y, uint32_t keys,
			     uint64_t (*hash)(uint32_t))
{
	for (uint32_t key = 0; key < keys; key++) {
		uint32_t i = table_probe_any(x, hash(key), item_matches, &key);
		uint32_t j = table_probe_any(y, hash(key), item_matches, &key);
		assert_int_equal(table_used_any(x, i), table_used_any(y, j));
		if (!table_used_any(x, i))
			continue;
		const struct item *a = table_slot_any(x, i), *b = table_slot_any(y, j);
		assert_int_equal(a->key, key);
		assert_int_equal(b->key, key);
		assert_int_equal(a->age, b->age);
		assert_int_equal(table_index(x, a), i);
	}
}

/* Hashes for keys 1-4 that meet at home 0: 0 (an empty slot's mark), the hash a table stores
 * for it, 64 and 1. */
static uint64_t zero_hash(uint32_t key)
{
	return key == 1 ? 0 : key == 2 ? TABLE_HASH_OF_ZERO : key == 3 ? 64 : 1;
}

static int get_zero_item(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	int rc = get_item(entry, hash, reader, ctx);

	*hash = zero_hash(((const struct item *)entry)->key);
	return rc;
}

/* A key whose hash is 0 is held like any other (stored as TABLE_HASH_OF_ZERO, told from a key
 * of that hash by its match), through removals, a save and a load; it saves in the order of
 * the hash stored. */
static void test_hash_zero_is_a_key(void **state)
{
	struct table table, loaded;
	struct codec_writer writer = {0};
	struct codec_reader reader;
	uint32_t keys[4];
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 16), 0);
	for (uint32_t key = 1; key <= 4; key++) {
		uint32_t i = table_probe(&table, zero_hash(key), item_matches, &key);
		assert_false(table_used(&table, i));
		struct item *item = table_claim(&table, i, zero_hash(key));
		item->key = key;
		item->age = key;
	}
	assert_int_equal(table.count, 4);
	table_remove(&table, table_probe(&table, 0, item_matches, &(uint32_t){1}));
	assert_int_equal(table.count, 3);
	assert_false(table_used(&table, table_probe(&table, 0, item_matches, &(uint32_t){1})));
	assert_same_keys(&table, &table, 5, zero_hash);
	uint32_t i = table_probe(&table, 0, item_matches, &(uint32_t){1});
	((struct item *)table_claim(&table, i, 0))->key = 1;
	i = table_probe(&table, 0, item_matches, &(uint32_t){1});
	assert_true(table_used(&table, i));
	const struct item *zero = table_slot(&table, i);
	assert_int_equal(zero->base.hash, TABLE_HASH_OF_ZERO);
	i = table_probe(&table, TABLE_HASH_OF_ZERO, item_matches, &(uint32_t){2});
	assert_int_equal(((const struct item *)table_slot(&table, i))->key, 2);

	table_save_entries(&table, &writer, put_item, NULL);
	saved_keys(&writer, keys, 4);
	/* home 0: hash 64, then the two stored as TABLE_HASH_OF_ZERO as claimed; home 1 */
	assert_memory_equal(keys, ((uint32_t[]){3, 2, 1, 4}), sizeof(keys));
	assert_int_equal(table_init(&loaded, sizeof(struct item), 16), 0);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(table_load_entries(&loaded, &reader, get_zero_item, NULL), 0);
	assert_int_equal(loaded.count, 4);
	assert_same_keys(&table, &loaded, 5, zero_hash);
	table_release(&loaded);

	/* the inline claim (table_claim_sized) stores hash 0 the same way */
	assert_int_equal(table_init(&loaded, sizeof(struct item), 16), 0);
	i = table_probe(&loaded, 0, item_matches, &(uint32_t){7});
	struct item *sized = table_claim_sized(&loaded, i, 0, sizeof(struct item));
	assert_int_equal(sized->base.hash, TABLE_HASH_OF_ZERO);
	sized->key = 7;
	assert_true(table_used(&loaded, table_probe(&loaded, 0, item_matches, &(uint32_t){7})));
	table_release(&loaded);
	table_release(&table);
	codec_writer_release(&writer);
}

static void insert_with(struct table *table, uint32_t key, int64_t age, uint64_t (*hash)(uint32_t))
{
	uint32_t i = table_probe_any(table, hash(key), item_matches, &key);
	struct item *item = table_claim(table, i, hash(key));

	assert_non_null(item);
	item->key = key;
	item->age = age;
}

static void remove_with(struct table *table, uint32_t key, uint64_t (*hash)(uint32_t))
{
	uint32_t i = table_probe_any(table, hash(key), item_matches, &key);

	assert_true(table_used_any(table, i));
	table_remove(table, i);
}

/* A table growing gradually keeps its old slots after a doubling and empties 4 of them a
 * claim: 64 old slots are gone after the 16th claim; 1024 after the 256th. */
static void test_grows_gradually(void **state)
{
	struct table table, whole;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 2000), 0);
	assert_int_equal(table_init(&whole, sizeof(struct item), 2000), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 32; key++) {
		insert_spread(&table, key);
		insert_spread(&whole, key);
	}
	assert_int_equal(table.mask, 63);
	assert_null(table.old_slots);
	insert_spread(&table, 32);
	insert_spread(&whole, 32);
	assert_int_equal(table.mask, 127);
	assert_non_null(table.old_slots);
	assert_int_equal(table.old_mask, 63);
	assert_int_equal(table.old_walked, 4);
	assert_in_range(table.old_count, 1, 32); /* of the 32 it held */
	assert_same_keys(&table, &whole, 40, spread_hash);
	/* Claims also move the run of their own hash, so the old slots may empty sooner. */
	for (uint32_t key = 33; key < 48; key++) {
		insert_spread(&table, key);
		insert_spread(&whole, key);
		if (table.old_slots) {
			assert_int_equal(table.old_walked, 4 * (key - 31));
		}
	}
	assert_null(table.old_slots);
	assert_int_equal(table.old_count, 0);
	assert_same_keys(&table, &whole, 60, spread_hash);

	for (uint32_t key = 48; key < 512; key++) {
		insert_spread(&table, key);
		insert_spread(&whole, key);
	}
	assert_int_equal(table.mask, 1023);
	assert_null(table.old_slots);
	uint32_t walking = 0; /* claims after which old slots were left */
	for (uint32_t key = 512; key < 768; key++) {
		insert_spread(&table, key);
		insert_spread(&whole, key);
		assert_int_equal(table.mask, 2047);
		if (table.old_slots) {
			assert_int_equal(table.old_walked, 4 * (key - 511));
			walking++;
		}
	}
	assert_int_equal(walking, 255); /* 4 x 255 = 1020 of 1024 */
	assert_null(table.old_slots);
	assert_same_keys(&table, &whole, 800, spread_hash);
	assert_same_save(&table, &whole, 768);
	table_release(&table);
	table_release(&whole);
}

/* While a table grows gradually, lookups find entries in both slot arrays, removals take them
 * from either (the old slots go with their last entry), claims of keys colliding with old
 * entries (clumped_hash: runs of equal hashes) keep the claim order of equal
 * hashes, and a sweep or an eviction sees both: the same entries, and the same saved bytes, as
 * a table that doubles in one go. */
static void test_growth_with_removals_midway(void **state)
{
	struct table table, whole;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 2000), 0);
	assert_int_equal(table_init(&whole, sizeof(struct item), 2000), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 33; key++) { /* the 33rd doubles 64 slots */
		insert_with(&table, key, key, clumped_hash);
		insert_with(&whole, key, key, clumped_hash);
	}
	assert_non_null(table.old_slots);
	uint32_t old_before = table.old_count;
	assert_true(old_before > 0);
	/* A removal from the old slots, one from the new ones. */
	uint32_t in_old = 0, in_new = 0;
	for (uint32_t key = 0; key < 33 && (!in_old || !in_new); key++) {
		uint32_t i = table_probe_any(&table, clumped_hash(key), item_matches, &key);
		if (i > table.mask && !in_old)
			in_old = key + 1;
		else if (i <= table.mask && !in_new)
			in_new = key + 1;
	}
	assert_true(in_old && in_new);
	remove_with(&table, in_old - 1, clumped_hash);
	remove_with(&whole, in_old - 1, clumped_hash);
	assert_int_equal(table.old_count, old_before - 1);
	remove_with(&table, in_new - 1, clumped_hash);
	remove_with(&whole, in_new - 1, clumped_hash);
	assert_same_keys(&table, &whole, 40, clumped_hash);
	assert_same_save(&table, &whole, 31);
	/* Removing every old entry ends the growth. */
	for (uint32_t key = 0; key < 33 && table.old_slots; key++) {
		uint32_t i = table_probe_any(&table, clumped_hash(key), item_matches, &key);
		if (i > table.mask) {
			table_remove(&table, i);
			remove_with(&whole, key, clumped_hash);
		}
	}
	assert_null(table.old_slots);
	assert_int_equal(table.old_count, 0);
	assert_same_keys(&table, &whole, 40, clumped_hash);
	table_release(&table);
	table_release(&whole);

	/* Mid-way through 1024 old slots: claims, a sweep, an eviction. */
	assert_int_equal(table_init(&table, sizeof(struct item), 1100), 0);
	assert_int_equal(table_init(&whole, sizeof(struct item), 1100), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 520; key++) {
		insert_with(&table, key, key % 50, spread_hash);
		insert_with(&whole, key, key % 50, spread_hash);
	}
	assert_non_null(table.old_slots);
	assert_int_equal(table.old_walked, 4 * 8);
	int64_t cutoff = 10;
	uint32_t swept = table_remove_stale(&table, age_below, &cutoff, NULL, NULL);
	assert_int_equal(swept, table_remove_stale(&whole, age_below, &cutoff, NULL, NULL));
	assert_int_equal(swept, 110); /* ages 0..9: 10 of every 50 keys below 500, 500..509 */
	assert_non_null(table.old_slots);
	assert_same_keys(&table, &whole, 600, spread_hash);
	assert_same_save(&table, &whole, 410);
	uint32_t evicted = table_evict_oldest(&table, item_age, 16, NULL, NULL);
	assert_int_equal(evicted, table_evict_oldest(&whole, item_age, 16, NULL, NULL));
	assert_int_equal(evicted, 25); /* 410 / 16: ages 10 and 11 (11 each) and 3 of age 12 */
	assert_same_keys(&table, &whole, 600, spread_hash);
	assert_same_save(&table, &whole, 385);
	for (uint32_t key = 600; key < 850; key++) {
		insert_with(&table, key, 60, spread_hash);
		insert_with(&whole, key, 60, spread_hash);
		if (key == 639) { /* claims mid-way, the old slots still there */
			assert_non_null(table.old_slots);
			assert_same_keys(&table, &whole, 700, spread_hash);
			assert_same_save(&table, &whole, 425);
		}
	}
	assert_null(table.old_slots); /* walked 4 x (8 + 250) */
	assert_same_keys(&table, &whole, 900, spread_hash);
	assert_same_save(&table, &whole, 635);
	table_release(&table);
	table_release(&whole);
}

/* Is key (aged key % 50) stale below 10, its home in 1024 slots within [from, from + homes)? */
static bool stale_in_homes(uint32_t key, uint32_t from, uint32_t homes)
{
	return key % 50 < 10 && ((((uint32_t)grouped_hash(key) & 1023) - from) & 1023) < homes;
}

/* A sweep over a range of homes removes the stale entries whose home lies in it and nothing
 * else, in the new slots and the old, wrapping past the last slot: the same entries in a table
 * growing gradually, one doubled at once (the same bytes saved) and one filled in the
 * reverse order (other slots for the same entries). */
static void test_remove_stale_homes(void **state)
{
	struct table grown, whole, reversed;
	bool gone[300] = {false};
	int64_t cutoff = 10;
	uint32_t left = 300;
	(void)state;

	assert_int_equal(table_init(&grown, sizeof(struct item), 1100), 0);
	assert_int_equal(table_init(&whole, sizeof(struct item), 1100), 0);
	assert_int_equal(table_init(&reversed, sizeof(struct item), 1100), 0);
	table_grow_gradually(&grown);
	for (uint32_t key = 0; key < 300; key++) {
		insert_with(&grown, key, key % 50, grouped_hash);
		insert_with(&whole, key, key % 50, grouped_hash);
		insert_with(&reversed, 299 - key, (299 - key) % 50, grouped_hash);
	}
	assert_non_null(grown.old_slots);
	assert_int_equal(grown.mask, 1023);
	assert_int_equal(whole.mask, 1023);
	assert_int_equal(reversed.mask, 1023);
	/* Homes 3..1683 (& 1023: 3..1019 and 0..659, 8 apart); ranges that wrap past 1023. */
	const uint32_t ranges[][2] = {{0, 1}, {3, 1}, {3, 9}, {1000, 100}, {500, 300}, {11, 1024}};
	const uint32_t removed[] = {0, 1, 1, 8, 10, 40};         /* what the oracle counts */
	const uint32_t old_left[] = {80, 80, 80, 80, 80, 58}; /* 22 removed from the old slots */
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		uint32_t from = ranges[r][0], homes = ranges[r][1];
		uint32_t expected = 0; /* the oracle: from the keys alone */
		for (uint32_t key = 0; key < 300; key++)
			expected += !gone[key] && stale_in_homes(key, from, homes);
		assert_int_equal(table_remove_stale_homes(&grown, from, homes, age_below, &cutoff),
				 expected);
		assert_int_equal(table_remove_stale_homes(&whole, from, homes, age_below, &cutoff),
				 expected);
		assert_int_equal(
			table_remove_stale_homes(&reversed, from, homes, age_below, &cutoff),
			expected);
		for (uint32_t key = 0; key < 300; key++)
			gone[key] |= stale_in_homes(key, from, homes);
		left -= expected;
		assert_int_equal(expected, removed[r]);
		assert_int_equal(grown.old_count, old_left[r]);
		assert_same_keys(&grown, &whole, 600, grouped_hash);
		assert_same_keys(&reversed, &whole, 600, grouped_hash);
		assert_same_save(&grown, &whole, left);
		assert_int_equal(reversed.count, left); /* saved: equal hashes in claim order */
	}
	assert_int_equal(left, 300 - 60); /* the last range is every home: all 60 stale gone */
	table_release(&grown);
	table_release(&whole);
	table_release(&reversed);
}

/* A sweep that removes the last entry of the old slots (they are freed with it) ends its walk
 * there: every entry stale, in the new slots and the old, all gone and nothing read after. */
static void test_remove_stale_homes_frees_old_slots(void **state)
{
	struct table table;
	int64_t cutoff = 1000;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 1100), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 300; key++)
		insert_with(&table, key, key % 50, grouped_hash);
	assert_non_null(table.old_slots);
	assert_int_equal(table.old_count, 80);
	assert_int_equal(table_remove_stale_homes(&table, 0, table.mask + 1, age_below, &cutoff),
			 300);
	assert_null(table.old_slots);
	assert_int_equal(table.old_count, 0);
	assert_int_equal(table.count, 0);
	table_release(&table);
}

/* A table reserved to a size has it at once (no old slots); only a power of two from the
 * first size to the bound's slots, at least twice its count: its entries kept. */
static void test_reserve(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 1100), 0);
	table_grow_gradually(&table);
	assert_int_equal(table_reserve(&table, 32), -EINVAL);
	assert_int_equal(table_reserve(&table, 8192), -EINVAL);
	assert_int_equal(table_reserve(&table, 1000), -EINVAL);
	assert_int_equal(table_reserve(&table, 1024), 0);
	assert_int_equal(table.mask, 1023);
	assert_null(table.old_slots);
	insert(&table, 1, 5);
	assert_int_equal(table_reserve(&table, 2048), 0);
	assert_int_equal(table.mask, 2047);
	assert_non_null(find(&table, 1));
	for (uint32_t key = 2; key <= 513; key++)
		insert(&table, key, key == 513 ? 1 : 5);
	assert_int_equal(table_reserve(&table, 1024), -EINVAL); /* 513 > 1024 / 2 */
	assert_int_equal(table.mask, 2047);
	assert_int_equal(table_remove_stale(&table, age_below, &(int64_t){ 2 }, NULL, NULL), 1);
	assert_int_equal(table_reserve(&table, 1024), 0);
	assert_int_equal(table.mask, 1023);
	for (uint32_t key = 1; key <= 512; key++)
		assert_non_null(find(&table, key));
	assert_null(find(&table, 513));
	table_release(&table);
}

/* An entry of 1 KiB: a table of 64 slots prepares next slots of 32 pages of 4 KiB. */
struct wide_item {
	struct table_entry base;
	unsigned char rest[1024 - sizeof(struct table_entry)];
};

/* Keys all different: the empty slot for each. */
static bool never_equal(const void *entry, const void *key)
{
	(void)entry;
	(void)key;
	return false;
}

static void insert_wide(struct table *table, uint32_t key)
{
	uint32_t i = table_probe_any(table, spread_hash(key), never_equal, NULL);

	assert_non_null(table_claim(table, i, spread_hash(key)));
}

/* A table growing gradually prepares its next slots from 3/8 full: allocated at the claim
 * past 24 of 64 slots, written a page at a time (4 KiB) at a rate that writes the last page
 * at the claim before the doubling (32 pages in 8 claims), and the doubling takes them. A
 * resize to another size forgets them. */
static void test_next_slots_prepared_before_doubling(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct wide_item), 1000), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 24; key++)
		insert_wide(&table, key);
	assert_int_equal(table.mask, 63);
	assert_null(table.next_slots);
	for (uint32_t key = 24; key < 32; key++) {
		insert_wide(&table, key);
		assert_non_null(table.next_slots);
		assert_int_equal(table.next_touched_pages, 4 * (key - 23));
	}
	assert_int_equal(table.mask, 63);
	unsigned char *prepared = table.next_slots;
	insert_wide(&table, 32);
	assert_int_equal(table.mask, 127);
	assert_ptr_equal(table.slots, prepared);
	assert_null(table.next_slots);
	assert_int_equal(table.next_touched_pages, 0);
	assert_non_null(table.old_slots);
	/* No next slots while the old ones are emptied, nor before 3/8 of 128 slots. */
	for (uint32_t key = 33; key < 48; key++)
		insert_wide(&table, key);
	assert_null(table.old_slots);
	assert_null(table.next_slots);
	insert_wide(&table, 48); /* 49 > 48: 64 pages in 16 claims, 4 now */
	assert_int_equal(table.next_touched_pages, 4);

	struct table resized;
	assert_int_equal(table_resize_prepare(&table, 2000, &resized), 0);
	assert_null(resized.next_slots);
	table_resize_finish(&table, &resized, item_age, NULL, NULL);
	assert_null(table.next_slots);
	assert_int_equal(table.count, 49);
	table_release(&table);
}

static int get_grouped(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct item *item = entry;

	(void)ctx;
	item->key = codec_get_u32(reader);
	item->age = codec_get_i64(reader);
	*hash = grouped_hash(item->key);
	return 0;
}

/* A reload's resize mid-growth ends it at once; loading into a table growing gradually gives
 * the bytes it loaded back. */
static void test_growth_resized_and_loaded(void **state)
{
	struct table table, whole, loaded;
	struct codec_writer writer = {0}, again = {0};
	struct codec_reader reader;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 2000), 0);
	assert_int_equal(table_init(&whole, sizeof(struct item), 2000), 0);
	table_grow_gradually(&table);
	for (uint32_t key = 0; key < 520; key++) {
		insert_with(&table, key, key, grouped_hash);
		insert_with(&whole, key, key, grouped_hash);
	}
	assert_non_null(table.old_slots);
	assert_int_equal(table_resize(&table, 1500, item_age, NULL, NULL), 0);
	assert_int_equal(table_resize(&whole, 1500, item_age, NULL, NULL), 0);
	assert_null(table.old_slots);
	assert_true(table.gradual);
	assert_same_keys(&table, &whole, 600, grouped_hash);
	assert_same_save(&table, &whole, 520);

	table_save_entries(&table, &writer, put_item, NULL);
	assert_int_equal(table_init(&loaded, sizeof(struct item), 1500), 0);
	table_grow_gradually(&loaded);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(table_load_entries(&loaded, &reader, get_grouped, NULL), 0);
	assert_non_null(loaded.old_slots); /* 520 claims: the doubling at 513 is under way */
	table_save_entries(&loaded, &again, put_item, NULL);
	assert_int_equal(again.len, writer.len);
	assert_memory_equal(again.data, writer.data, writer.len);
	assert_same_keys(&loaded, &whole, 600, grouped_hash);
	codec_writer_release(&writer);
	codec_writer_release(&again);
	table_release(&loaded);
	table_release(&table);
	table_release(&whole);
}

/* table_resize in two steps: prepared and cancelled, the table is as it was; prepared, then
 * eight entries removed, then finished: only the oldest over the new bound are evicted (8, not
 * 16), the rest moved; a bound unchanged allocates nothing and evicts nothing. */
static void test_resize_in_two_steps(void **state)
{
	struct table table, resized;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 64), 0);
	for (uint32_t key = 0; key < 32; key++)
		insert(&table, key, key);
	assert_int_equal(table_resize_prepare(&table, 16, &resized), 0);
	assert_int_equal(table.count, 32);
	table_resize_cancel(&resized);
	assert_int_equal(table.max_count, 64);
	for (uint32_t key = 0; key < 32; key++)
		assert_non_null(find(&table, key));
	assert_int_equal(table_resize_prepare(&table, 16, &resized), 0);
	for (uint32_t key = 0; key < 8; key++)
		table_remove(&table, table_probe(&table, poor_hash(key), item_matches, &key));
	assert_int_equal(table_resize_finish(&table, &resized, item_age, NULL, NULL), 8);
	assert_int_equal(table.count, 16);
	assert_int_equal(table.max_count, 16);
	for (uint32_t key = 0; key < 32; key++)
		assert_true((find(&table, key) != NULL) == (key >= 16));
	assert_int_equal(table_resize_prepare(&table, 16, &resized), 0);
	assert_null(resized.slots);
	assert_int_equal(table_resize_finish(&table, &resized, item_age, NULL, NULL), 0);
	assert_int_equal(table.count, 16);
	table_release(&table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_entries_saved_and_loaded),
		cmocka_unit_test(test_grows_to_its_bound),
		cmocka_unit_test(test_colliding_keys_survive_removals),
		cmocka_unit_test(test_hash_zero_is_a_key),
		cmocka_unit_test(test_remove_stale),
		cmocka_unit_test(test_evict_oldest_fraction),
		cmocka_unit_test(test_evict_oldest_picked),
		cmocka_unit_test(test_evict_with_equal_ages),
		cmocka_unit_test(test_evict_ties_exactly),
		cmocka_unit_test(test_grows_gradually),
		cmocka_unit_test(test_growth_with_removals_midway),
		cmocka_unit_test(test_growth_resized_and_loaded),
		cmocka_unit_test(test_remove_stale_homes),
		cmocka_unit_test(test_remove_stale_homes_frees_old_slots),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_resize_in_two_steps),
		cmocka_unit_test(test_next_slots_prepared_before_doubling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
