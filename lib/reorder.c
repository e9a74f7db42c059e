/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define INITIAL_CAPACITY 64

struct reorder {
	struct reorder_item *items; /* heap, capacity long */
	uint32_t count;
	uint32_t capacity;
	uint32_t max_events;
};

struct reorder *reorder_new(uint32_t max_events)
{
	struct reorder *reorder = calloc(1, sizeof(*reorder));

	if (reorder)
		reorder->max_events = max_events ? max_events : 1;
	return reorder;
}

void reorder_free(struct reorder *reorder)
{
	if (!reorder)
		return;
	free(reorder->items);
	free(reorder);
}

uint32_t reorder_count(const struct reorder *reorder)
{
	return reorder->count;
}

bool reorder_full(const struct reorder *reorder)
{
	return reorder->count >= reorder->max_events;
}

/* Release order: ts, then source name, then arrival. */
static bool before(const struct reorder_item *a, const struct reorder_item *b)
{
	int names;

	if (a->event.ts_ms != b->event.ts_ms)
		return a->event.ts_ms < b->event.ts_ms;
	if ((names = strcmp(a->source, b->source)) != 0)
		return names < 0;
	return a->arrival < b->arrival;
}

static int reserve(struct reorder *reorder, uint32_t needed)
{
	uint32_t capacity = reorder->capacity ? reorder->capacity : INITIAL_CAPACITY;
	struct reorder_item *items;

	if (needed <= reorder->capacity)
		return 0;
	while (capacity < needed)
		capacity = capacity > UINT32_MAX / 2 ? needed : capacity * 2;
	items = realloc(reorder->items, (size_t)capacity * sizeof(*items));
	if (!items)
		return -ENOMEM;
	reorder->items = items;
	reorder->capacity = capacity;
	return 0;
}

int reorder_push(struct reorder *reorder, const struct reorder_item *item)
{
	uint32_t i = reorder->count;

	if (reserve(reorder, reorder->count + 1) != 0)
		return -ENOMEM;
	reorder->count++;
	/* Sift up with a hole: each parent moves once (items are large), the new item last; the
	 * heap ends as a swap at each level would leave it. */
	while (i > 0 && before(item, &reorder->items[(i - 1) / 2])) {
		reorder->items[i] = reorder->items[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	reorder->items[i] = *item;
	return 0;
}

const struct reorder_item *reorder_peek(const struct reorder *reorder)
{
	return reorder->count ? &reorder->items[0] : NULL;
}

bool reorder_pop(struct reorder *reorder, struct reorder_item *out)
{
	uint32_t i = 0;

	if (reorder->count == 0)
		return false;
	*out = reorder->items[0];
	if (--reorder->count == 0)
		return true;
	/* Sift the last item down from the root with a hole, as swaps would (see reorder_push). */
	const struct reorder_item *last = &reorder->items[reorder->count];
	for (;;) {
		uint32_t left = 2 * i + 1, right = left + 1;
		const struct reorder_item *first = last;
		uint32_t first_index = i;
		if (left < reorder->count && before(&reorder->items[left], first)) {
			first = &reorder->items[left];
			first_index = left;
		}
		if (right < reorder->count && before(&reorder->items[right], first)) {
			first = &reorder->items[right];
			first_index = right;
		}
		if (first_index == i) {
			reorder->items[i] = *last;
			return true;
		}
		reorder->items[i] = *first;
		i = first_index;
	}
}

int reorder_resize(struct reorder *reorder, uint32_t max_events)
{
	reorder->max_events = max_events ? max_events : 1;
	return 0;
}

/* A loaded item is used as a parsed event: terminated strings, a known type. */
static bool item_sane(struct reorder_item *item)
{
	struct event *event = &item->event;
	char *texts[] = {event->call_id, event->event_id, event->operator_id, event->agency,
			 event->position, event->incident_id, event->transfer_to};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		texts[i][EVENT_ID_MAX] = '\0';
	event->ani[EVENT_ANI_MAX] = '\0';
	item->source[CLOCKS_NAME_MAX] = '\0';
	return event->type >= EVENT_CALL_START && event->type <= EVENT_TRANSFER;
}

void reorder_save(const struct reorder *reorder, struct codec_writer *writer)
{
	codec_put_u32(writer, reorder->count);
	if (reorder->count > 0)
		codec_put_bytes(writer, reorder->items, (size_t)reorder->count * sizeof(*reorder->items));
}

int reorder_load(struct reorder *reorder, struct codec_reader *reader)
{
	uint32_t count = codec_get_u32(reader);

	if (reader->failed || (uint64_t)count * sizeof(*reorder->items) > reader->len - reader->pos)
		return -EINVAL;
	if (count == 0)
		return 0;
	if (reserve(reorder, count) != 0)
		return -ENOMEM;
	codec_get_bytes(reader, reorder->items, (size_t)count * sizeof(*reorder->items));
	if (reader->failed)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++)
		if (!item_sane(&reorder->items[i]))
			return -EINVAL;
	reorder->count = count;
	return 0;
}
