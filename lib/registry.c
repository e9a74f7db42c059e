/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>

#include "codec.h"
#include "invariant.h"

/* Free the indexes from used up to capacity, pushed so that `used` is on top. */
static void stack_free_from(uint32_t *free_indexes, uint32_t *free_count, uint32_t used,
			    uint32_t capacity)
{
	*free_count = 0;
	for (uint32_t i = capacity; i-- > used;)
		free_indexes[(*free_count)++] = i;
}

int registry_init(struct registry *registry, uint32_t capacity)
{
	*registry = (struct registry){0};
	registry->slots = calloc(capacity, sizeof(*registry->slots));
	registry->free_indexes = malloc(capacity * sizeof(*registry->free_indexes));
	if (!registry->slots || !registry->free_indexes) {
		registry_release(registry);
		return -ENOMEM;
	}
	registry->capacity = capacity;
	stack_free_from(registry->free_indexes, &registry->free_count, 0, capacity);
	return 0;
}

void registry_release(struct registry *registry)
{
	free(registry->slots);
	free(registry->free_indexes);
	*registry = (struct registry){0};
}

int registry_claim(struct registry *registry, void *holder, uint32_t *index, uint32_t *generation)
{
	if (registry->free_count == 0)
		return -ENOSPC;
	uint32_t top = registry->free_indexes[registry->free_count - 1];
	/* The stack names free indexes within the slots array. */
	if (INVARIANT_FAILS(top < registry->capacity) || INVARIANT_FAILS(!registry->slots[top]))
		return -EINVAL;
	registry->free_count--;
	registry->slots[top] = holder;
	*index = top;
	*generation = ++registry->next_generation;
	return 0;
}

int registry_replace(struct registry *registry, uint32_t index, void *holder)
{
	if (INVARIANT_FAILS(index < registry->capacity) || INVARIANT_FAILS(registry->slots[index]))
		return -EINVAL;
	registry->slots[index] = holder;
	return 0;
}

int registry_vacate(struct registry *registry, uint32_t index)
{
	/* Each index is on the stack or held, never both: the stack has room for a held one. */
	if (INVARIANT_FAILS(index < registry->capacity) ||
	    INVARIANT_FAILS(registry->slots[index]) ||
	    INVARIANT_FAILS(registry->free_count < registry->capacity))
		return -EINVAL;
	registry->slots[index] = NULL;
	registry->free_indexes[registry->free_count++] = index;
	return 0;
}

int registry_renumber(struct registry *registry, uint32_t capacity, registry_moved_fn *moved)
{
	uint32_t held = registry->capacity - registry->free_count;

	if (held > capacity)
		return -EINVAL;
	void **slots = calloc(capacity, sizeof(*slots));
	uint32_t *free_indexes = malloc(capacity * sizeof(*free_indexes));
	uint32_t used = 0;

	if (!slots || !free_indexes) {
		free(slots);
		free(free_indexes);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < registry->capacity; i++) {
		if (!registry->slots[i] || INVARIANT_FAILS(used < capacity))
			continue;
		slots[used] = registry->slots[i];
		moved(slots[used], used, ++registry->next_generation);
		used++;
	}
	free(registry->slots);
	free(registry->free_indexes);
	registry->slots = slots;
	registry->free_indexes = free_indexes;
	registry->capacity = capacity;
	stack_free_from(free_indexes, &registry->free_count, used, capacity);
	return 0;
}

void registry_save_free(const struct registry *registry, struct codec_writer *writer)
{
	codec_put_u32(writer, registry->free_count);
	for (uint32_t i = 0; i < registry->free_count; i++)
		codec_put_u32(writer, registry->free_indexes[i]);
}

int registry_load_free(struct registry *registry, struct codec_reader *reader)
{
	uint32_t free_count = codec_get_u32(reader);

	if (reader->failed || free_count > registry->capacity)
		return -EINVAL;
	registry->free_count = free_count;
	for (uint32_t i = 0; i < free_count; i++)
		registry->free_indexes[i] = codec_get_u32(reader);
	return reader->failed ? -EINVAL : 0;
}

int registry_place(struct registry *registry, uint32_t index, void *holder)
{
	if (index >= registry->capacity || registry->slots[index])
		return -EINVAL;
	registry->slots[index] = holder;
	return 0;
}

int registry_check_free(const struct registry *registry)
{
	bool *seen = calloc(registry->capacity, sizeof(*seen));
	bool valid = true;
	uint32_t held = 0;

	if (!seen)
		return -ENOMEM;

	for (uint32_t i = 0; valid && i < registry->free_count; i++) {
		uint32_t index = registry->free_indexes[i];
		valid = index < registry->capacity && !seen[index] && !registry->slots[index];
		if (valid)
			seen[index] = true;
	}
	for (uint32_t i = 0; valid && i < registry->capacity; i++)
		held += registry->slots[i] != NULL;
	free(seen);
	return valid && held + registry->free_count == registry->capacity ? 0 : -EINVAL;
}
