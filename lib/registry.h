/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REGISTRY_H
#define CADMON_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A slot registry: the indexes 0..capacity-1, each free or held by one holder (a pointer the
 * caller owns), handed out from a stack of free indexes (the last freed goes out first; a new
 * registry hands out 0, 1, 2, ...), each claim with a new generation that tells a reused slot
 * apart from its earlier holder. The detector's operators are held in one: an index stays valid
 * while its operator lives, and (index, generation) names one operator across evictions.
 *
 * The caller bounds its holders by the capacity (the detector's operator table has the same
 * bound), so a broken stack is an invariant failure (lib/invariant.h), not an input error.
 */

struct registry {
	void **slots;             /* by index, capacity long: the holder, NULL when free */
	uint32_t *free_indexes;   /* stack of the free indexes, the next one on top */
	uint32_t free_count;
	uint32_t capacity;
	uint32_t next_generation; /* the generation last handed out (0: none yet) */
};

/** Make room for capacity holders, every index free; 0 or -ENOMEM (capacity 0 then). */
int registry_init(struct registry *registry, uint32_t capacity);

/** Free the registry's arrays (not the holders). */
void registry_release(struct registry *registry);

/** The holder of index, or NULL when it is free or not below the capacity. */
static inline void *registry_get(const struct registry *registry, uint32_t index)
{
	return index < registry->capacity ? registry->slots[index] : NULL;
}

/**
 * Give the next free index to holder: *index and *generation (the generation after the last
 * one handed out). 0, -ENOSPC when none is free, or -EINVAL when the stack is broken.
 */
int registry_claim(struct registry *registry, void *holder, uint32_t *index, uint32_t *generation);

/** Give a held index to another holder (one that took the old holder's place). -EINVAL when it
 * is not held. */
int registry_replace(struct registry *registry, uint32_t index, void *holder);

/** Free a held index: it is the next one claimed. -EINVAL when it is not held. */
int registry_vacate(struct registry *registry, uint32_t index);

/* Told a holder's new index and generation. */
typedef void registry_moved_fn(void *holder, uint32_t index, uint32_t generation);

/**
 * Move to a new capacity, at least the number of holders: they are renumbered densely in index
 * order (0, 1, ...), each with a new generation, and moved is told each. 0, -EINVAL when the
 * holders do not fit, or -ENOMEM (the registry is then unchanged).
 */
int registry_renumber(struct registry *registry, uint32_t capacity, registry_moved_fn *moved);

struct codec_writer;
struct codec_reader;

/*
 * In snapshots the owner saves next_generation where its format has it, then the free stack
 * ([u32 count][u32 index]... bottom to top), and each holder with its index; loading puts each
 * back with registry_place and checks the whole with registry_free_valid.
 */

/** Save the free stack: [u32 free_count] then the indexes, bottom to top. */
void registry_save_free(const struct registry *registry, struct codec_writer *writer);

/** Load what registry_save_free wrote; -EINVAL when it holds more than the capacity. */
int registry_load_free(struct registry *registry, struct codec_reader *reader);

/** Put a loaded holder at its saved index; -EINVAL when out of range or already held. */
int registry_place(struct registry *registry, uint32_t index, void *holder);

/** 0 when the free stack names each index no holder has, exactly once (after a load), else
 * -EINVAL; -ENOMEM when there is no memory to check. */
int registry_check_free(const struct registry *registry);

#endif
