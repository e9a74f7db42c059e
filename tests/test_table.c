/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static bool age_below(const void *entry, const void *ctx)
{
	return item_age(entry) < *(const int64_t *)ctx;
}

static void test_remove_stale(void **state)
{
	struct table table;
	int64_t cutoff = 10;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 32), 0);
	for (uint32_t key = 0; key < 32; key++)
		insert(&table, key, (int64_t)(key * 7 % 32));
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
	/* Ages are a permutation of 0..63: one sixteenth is the 4 + 1 oldest (k = 64/16 = 4). */
	for (uint32_t key = 0; key < 64; key++)
		insert(&table, key, (int64_t)(key * 37 % 64));
	assert_int_equal(table_evict_oldest(&table, item_age, 16, count_removal, &removed), 5);
	assert_int_equal(removed, 5);
	for (uint32_t key = 0; key < 64; key++)
		assert_true((find(&table, key) != NULL) == (key * 37 % 64 >= 5));
	table_release(&table);
}

static void test_evict_with_equal_ages(void **state)
{
	struct table table;
	(void)state;

	assert_int_equal(table_init(&table, sizeof(struct item), 8), 0);
	for (uint32_t key = 0; key < 8; key++)
		insert(&table, key, 5);
	/* All equally old: all go, which frees the table rather than picking arbitrarily. */
	assert_int_equal(table_evict_oldest(&table, item_age, 16, NULL, NULL), 8);
	assert_int_equal(table.count, 0);
	table_release(&table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_colliding_keys_survive_removals),
		cmocka_unit_test(test_remove_stale),
		cmocka_unit_test(test_evict_oldest_fraction),
		cmocka_unit_test(test_evict_with_equal_ages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
