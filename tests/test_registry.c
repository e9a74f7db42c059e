/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * lib/registry.h: the slot registry that holds the detector's operators by index. The order
 * indexes are handed out and reused in, the generation of each claim, renumbering for a new
 * capacity, the free stack's exact bytes in snapshots, a loaded stack's checks, and the
 * invariants (a debug build aborts where one breaks).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "codec.h"
#include "registry.h"

/* A holder that remembers what the registry told it. */
struct holder {
	uint32_t index;
	uint32_t generation;
};

static void claim(struct registry *registry, struct holder *holder, uint32_t index,
		  uint32_t generation)
{
	assert_int_equal(registry_claim(registry, holder, &holder->index, &holder->generation), 0);
	assert_int_equal(holder->index, index);
	assert_int_equal(holder->generation, generation);
	assert_ptr_equal(registry_get(registry, index), holder);
}

/* A new registry hands out 0, 1, 2, ... with generations 1, 2, 3, ...; when full, -ENOSPC. */
static void test_claims_in_index_order(void **state)
{
	struct registry registry;
	struct holder holders[4];
	uint32_t index = 77, generation = 77;
	(void)state;

	assert_int_equal(registry_init(&registry, 3), 0);
	assert_int_equal(registry.capacity, 3);
	assert_int_equal(registry.free_count, 3);
	assert_int_equal(registry.next_generation, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_null(registry_get(&registry, i));
	claim(&registry, &holders[0], 0, 1);
	claim(&registry, &holders[1], 1, 2);
	claim(&registry, &holders[2], 2, 3);
	assert_int_equal(registry.free_count, 0);
	assert_int_equal(registry_claim(&registry, &holders[3], &index, &generation), -ENOSPC);
	assert_int_equal(index, 77);       /* untouched */
	assert_int_equal(generation, 77);
	assert_int_equal(registry.next_generation, 3); /* a refused claim uses no generation */
	assert_null(registry_get(&registry, 3));       /* past the capacity: nobody */
	assert_null(registry_get(&registry, UINT32_MAX));
	registry_release(&registry);
	assert_int_equal(registry.capacity, 0);
	assert_null(registry.slots);
}

/* The last index freed goes out first, with a new generation: (index, generation) tells the
 * new holder apart from the old one. */
static void test_reuse_is_last_freed_first_with_new_generation(void **state)
{
	struct registry registry;
	struct holder holders[6];
	(void)state;

	assert_int_equal(registry_init(&registry, 4), 0);
	claim(&registry, &holders[0], 0, 1);
	claim(&registry, &holders[1], 1, 2);
	claim(&registry, &holders[2], 2, 3);
	assert_int_equal(registry_vacate(&registry, 1), 0);
	assert_int_equal(registry_vacate(&registry, 0), 0);
	assert_null(registry_get(&registry, 0));
	assert_null(registry_get(&registry, 1));
	assert_int_equal(registry.free_count, 3); /* 3 (never used), 1, 0 */
	claim(&registry, &holders[3], 0, 4);
	claim(&registry, &holders[4], 1, 5);
	claim(&registry, &holders[5], 3, 6);
	assert_int_equal(registry.free_count, 0);
	assert_ptr_equal(registry_get(&registry, 2), &holders[2]);
	registry_release(&registry);
}

static void record_move(void *holder, uint32_t index, uint32_t generation)
{
	((struct holder *)holder)->index = index;
	((struct holder *)holder)->generation = generation;
}

/* Renumbering packs the holders in index order from 0, each with a new generation; the next
 * claim is the first index after them. Holders that do not fit are refused, unchanged. */
static void test_renumber_packs_holders_densely(void **state)
{
	struct registry registry;
	struct holder holders[5];
	(void)state;

	assert_int_equal(registry_init(&registry, 5), 0);
	for (uint32_t i = 0; i < 5; i++)
		claim(&registry, &holders[i], i, i + 1);
	assert_int_equal(registry_vacate(&registry, 0), 0);
	assert_int_equal(registry_vacate(&registry, 2), 0);
	assert_int_equal(registry_renumber(&registry, 2, record_move), -EINVAL); /* 3 held */
	assert_int_equal(registry.capacity, 5);
	assert_int_equal(holders[1].index, 1);

	assert_int_equal(registry_renumber(&registry, 4, record_move), 0);
	assert_int_equal(registry.capacity, 4);
	assert_int_equal(holders[1].index, 0);
	assert_int_equal(holders[1].generation, 6);
	assert_int_equal(holders[3].index, 1);
	assert_int_equal(holders[3].generation, 7);
	assert_int_equal(holders[4].index, 2);
	assert_int_equal(holders[4].generation, 8);
	assert_ptr_equal(registry_get(&registry, 0), &holders[1]);
	assert_ptr_equal(registry_get(&registry, 1), &holders[3]);
	assert_ptr_equal(registry_get(&registry, 2), &holders[4]);
	assert_null(registry_get(&registry, 3));
	assert_null(registry_get(&registry, 4));
	assert_int_equal(registry.free_count, 1);
	claim(&registry, &holders[0], 3, 9);

	assert_int_equal(registry_renumber(&registry, 6, record_move), 0); /* grown: 4 and 5 free */
	assert_int_equal(registry.free_count, 2);
	assert_int_equal(holders[0].index, 3);
	assert_int_equal(holders[0].generation, 13);
	claim(&registry, &holders[2], 4, 14);
	registry_release(&registry);
}

/* The free stack in a snapshot: [u32 count] then the indexes bottom to top, little-endian. */
static void test_free_stack_bytes(void **state)
{
	static const unsigned char expected[] = {
		3, 0, 0, 0, /* free_count */
		3, 0, 0, 0, /* never used: at the bottom */
		0, 0, 0, 0, /* freed first */
		2, 0, 0, 0, /* freed last: on top */
	};
	struct registry registry;
	struct holder holders[3];
	struct codec_writer writer = {0};
	(void)state;

	assert_int_equal(registry_init(&registry, 4), 0);
	for (uint32_t i = 0; i < 3; i++)
		claim(&registry, &holders[i], i, i + 1);
	assert_int_equal(registry_vacate(&registry, 0), 0);
	assert_int_equal(registry_vacate(&registry, 2), 0);
	registry_save_free(&registry, &writer);
	assert_false(writer.failed);
	assert_int_equal(writer.len, sizeof(expected));
	assert_memory_equal(writer.data, expected, sizeof(expected));
	codec_writer_release(&writer);
	registry_release(&registry);
}

/* Load the stack bytes into a new registry of capacity 4 with holders placed at `held`. */
static int load(const unsigned char *bytes, size_t len, const uint32_t *held, size_t held_count,
		struct registry *registry)
{
	static struct holder holders[4];
	struct codec_reader reader;
	int rc;

	assert_int_equal(registry_init(registry, 4), 0);
	codec_reader_init(&reader, bytes, len);
	if ((rc = registry_load_free(registry, &reader)) != 0)
		return rc;
	for (size_t i = 0; i < held_count; i++)
		if ((rc = registry_place(registry, held[i], &holders[i])) != 0)
			return rc;
	return registry_check_free(registry);
}

/* A loaded stack names each index no holder has, exactly once: what was saved loads back and
 * the next claim is the saved top; a count past the capacity, a short stack, an index twice,
 * one held, one out of range or a slot named by neither are refused. */
static void test_loaded_stack_checked(void **state)
{
	static const unsigned char saved[] = {3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0};
	static const unsigned char too_many[] = {5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
						 3, 0, 0, 0, 4, 0, 0, 0};
	static const unsigned char twice[] = {3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0};
	static const unsigned char beyond[] = {3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0};
	static const unsigned char two[] = {2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
	const uint32_t held[] = {1}, held_two[] = {1, 2};
	struct registry registry;
	struct holder holder;
	(void)state;

	assert_int_equal(load(saved, sizeof(saved), held, 1, &registry), 0);
	assert_int_equal(registry.free_count, 3);
	claim(&registry, &holder, 2, 1); /* generations are the owner's to restore */
	registry_release(&registry);

	assert_int_equal(load(too_many, sizeof(too_many), NULL, 0, &registry), -EINVAL);
	registry_release(&registry);
	assert_int_equal(load(saved, sizeof(saved) - 1, held, 1, &registry), -EINVAL);
	registry_release(&registry);
	assert_int_equal(load(twice, sizeof(twice), held, 1, &registry), -EINVAL);
	registry_release(&registry);
	assert_int_equal(load(beyond, sizeof(beyond), held, 1, &registry), -EINVAL);
	registry_release(&registry);
	assert_int_equal(load(saved, sizeof(saved), held_two, 2, &registry),
			 -EINVAL); /* 2 free, held */
	registry_release(&registry);
	assert_int_equal(load(two, sizeof(two), held, 1, &registry),
			 -EINVAL); /* 2 named by neither */
	registry_release(&registry);

	assert_int_equal(registry_init(&registry, 4), 0);
	assert_int_equal(registry_place(&registry, 4, &holder), -EINVAL);
	assert_int_equal(registry_place(&registry, 1, &holder), 0);
	assert_int_equal(registry_place(&registry, 1, &holder), -EINVAL);
	registry_release(&registry);
}

/* Run fn in a child: a broken invariant aborts it (NDEBUG is not defined in tests). */
static void assert_aborts(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void vacate_free_index(void)
{
	struct registry registry;

	registry_init(&registry, 2);
	registry_vacate(&registry, 1); /* never held */
}

static void vacate_past_capacity(void)
{
	struct registry registry;

	registry_init(&registry, 2);
	registry_vacate(&registry, 2);
}

static void claim_from_broken_stack(void)
{
	struct registry registry;
	struct holder holder;
	uint32_t index, generation;

	registry_init(&registry, 2);
	registry.free_indexes[1] = 7; /* the top names a slot past the array */
	registry_claim(&registry, &holder, &index, &generation);
}

/* Vacating an index not held, or one past the capacity, or claiming from a stack that names a
 * slot past the array, are invariant failures: a debug build aborts there. */
static void test_invariants_abort(void **state)
{
	(void)state;

	assert_aborts(vacate_free_index);
	assert_aborts(vacate_past_capacity);
	assert_aborts(claim_from_broken_stack);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims_in_index_order),
		cmocka_unit_test(test_reuse_is_last_freed_first_with_new_generation),
		cmocka_unit_test(test_renumber_packs_holders_densely),
		cmocka_unit_test(test_free_stack_bytes),
		cmocka_unit_test(test_loaded_stack_checked),
		cmocka_unit_test(test_invariants_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
