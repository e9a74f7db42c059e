/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "invariant.h"

#define INITIAL_CAPACITY 64

/* What the heap orders: an item's ts, and the slot that holds the item (its source name and
 * arrival, compared only when two ts are equal). 16 bytes: a level of a sift moves one. */
struct reorder_key {
	int64_t ts_ms;
	uint32_t slot;
};

struct reorder {
	struct reorder_item *items; /* slots, capacity long */
	struct reorder_key *heap;   /* capacity long, the first count in use */
	uint32_t *free_slots;       /* slots taken and given back: with them, the slots in use
				     * are those below count + free_count */
	uint32_t free_count;
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
	free(reorder->heap);
	free(reorder->free_slots);
	free(reorder);
}

uint32_t reorder_count(const struct reorder *reorder)
{
	return reorder->count;
}

uint32_t reorder_count_source(const struct reorder *reorder, const char *source)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < reorder->count; k++)
		n += strcmp(reorder->items[reorder->heap[k].slot].source, source) == 0;
	return n;
}

uint32_t reorder_call_hashes(const struct reorder *reorder, uint64_t *out)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < reorder->count; k++) {
		const struct reorder_item *item = &reorder->items[reorder->heap[k].slot];
		if (event_names_call(item->event.type))
			out[n++] = item->call_hash;
	}
	return n;
}

const struct reorder_item *reorder_item_at(const struct reorder *reorder, uint32_t k)
{
	return &reorder->items[reorder->heap[k].slot];
}

bool reorder_full(const struct reorder *reorder)
{
	return reorder->count >= reorder->max_events;
}

/* Release order: ts, then source name, then arrival. */
static bool before(const struct reorder *reorder, const struct reorder_key *a,
		   const struct reorder_key *b)
{
	int names;

	if (a->ts_ms != b->ts_ms)
		return a->ts_ms < b->ts_ms;
	if ((names = strcmp(reorder->items[a->slot].source, reorder->items[b->slot].source)) != 0)
		return names < 0;
	return reorder->items[a->slot].arrival < reorder->items[b->slot].arrival;
}

__attribute__((noinline)) static int reserve(struct reorder *reorder, uint32_t needed)
{
	uint32_t capacity = reorder->capacity ? reorder->capacity : INITIAL_CAPACITY;
	void *grown;

	if (needed <= reorder->capacity)
		return 0;
	while (capacity < needed)
		capacity = capacity > UINT32_MAX / 2 ? needed : capacity * 2;
	if (!(grown = realloc(reorder->items, (size_t)capacity * sizeof(*reorder->items))))
		return -ENOMEM;
	reorder->items = grown;
	if (!(grown = realloc(reorder->heap, (size_t)capacity * sizeof(*reorder->heap))))
		return -ENOMEM;
	reorder->heap = grown;
	if (!(grown = realloc(reorder->free_slots, (size_t)capacity * sizeof(uint32_t))))
		return -ENOMEM;
	reorder->free_slots = grown;
	reorder->capacity = capacity;
	return 0;
}

/* Take a free slot for a new item into *slot. 0, -ENOMEM or -EINVAL. */
static int take_slot(struct reorder *reorder, uint32_t *slot)
{
	/* room nearly always: no call (issue 17) */
	if (reorder->count >= reorder->capacity && reserve(reorder, reorder->count + 1) != 0)
		return -ENOMEM;
	*slot = reorder->free_count ? reorder->free_slots[--reorder->free_count] : reorder->count;
	if (INVARIANT_FAILS(*slot < reorder->capacity))
		return -EINVAL;
	return 0;
}

/* Add the key of the item just written into slot. */
static void sift_up(struct reorder *reorder, uint32_t slot)
{
	uint32_t i = reorder->count;
	const struct reorder_item *item = &reorder->items[slot];
	struct reorder_key key = { .ts_ms = item->event.ts_ms, .slot = slot };

	reorder->count++;
	/* Sift up with a hole: each parent key moves once, the new key last; the heap ends as a
	 * swap at each level would leave it (the same order as ever: snapshots keep it). */
	while (i > 0 && before(reorder, &key, &reorder->heap[(i - 1) / 2])) {
		reorder->heap[i] = reorder->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	reorder->heap[i] = key;
}

int reorder_push(struct reorder *reorder, const struct reorder_item *item)
{
	uint32_t slot;
	int rc = take_slot(reorder, &slot);

	if (rc != 0)
		return rc;
	reorder->items[slot] = *item;
	sift_up(reorder, slot);
	return 0;
}

int reorder_push_event(struct reorder *reorder, const struct event *event, const char *source,
		       bool named, uint64_t arrival, uint64_t call_hash)
{
	uint32_t slot;
	int rc = take_slot(reorder, &slot);
	struct reorder_item *item;

	if (rc != 0)
		return rc;
	item = &reorder->items[slot];
	item->event = *event;
	memcpy(item->source, source, sizeof(item->source));
	item->named = named;
	item->arrival = arrival;
	item->call_hash = call_hash;
	sift_up(reorder, (uint32_t)slot);
	return 0;
}

const struct reorder_item *reorder_peek(const struct reorder *reorder)
{
	return reorder->count ? &reorder->items[reorder->heap[0].slot] : NULL;
}

const struct reorder_item *reorder_take(struct reorder *reorder)
{
	struct reorder_key *heap = reorder->heap;
	uint32_t i = 0, child, slot, count;
	struct reorder_key last;

	if (reorder->count == 0 || INVARIANT_FAILS(heap[0].slot < reorder->capacity))
		return NULL;
	slot = heap[0].slot;
	reorder->free_slots[reorder->free_count++] = slot;
	if ((count = --reorder->count) == 0) {
		reorder->free_count = 0;
		return &reorder->items[slot];
	}
	/* The last key goes where a sift down from the root would put it, found Floyd's way: the
	 * hole first goes down to a leaf along the earlier child at each level (one comparison a
	 * level, not two), then the last key, which mostly belongs near the bottom, sifts up from
	 * there. The children on that path are in order, and so is every key (arrival numbers
	 * differ): both ways stop at the same place, and the heap ends as it always did (its
	 * order is what snapshots keep). */
	last = heap[count];
	while ((child = 2 * i + 2) < count) { /* both children there */
		int64_t right = heap[child].ts_ms, left = heap[child - 1].ts_ms;
		/* Which child is earlier is a coin toss at every level: with their ts apart (nearly
		 * always) the comparison's flag is subtracted, not branched on (issue 17); a tie
		 * of ts is still before()'s. */
		if (right != left)
			child -= (uint32_t)(right > left);
		else if (!before(reorder, &heap[child], &heap[child - 1]))
			child--;
		heap[i] = heap[child];
		i = child;
	}
	if (child == count) { /* the left child only, the last key's place: the path ends there */
		heap[i] = heap[child - 1];
		i = child - 1;
	}
	while (i > 0 && before(reorder, &last, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = last;
	return &reorder->items[slot];
}

bool reorder_pop(struct reorder *reorder, struct reorder_item *out)
{
	const struct reorder_item *item = reorder_take(reorder);

	if (item)
		*out = *item;
	return item != NULL;
}

int reorder_resize(struct reorder *reorder, uint32_t max_events)
{
	reorder->max_events = max_events ? max_events : 1;
	return 0;
}

/* [u8 type][i64 ts][u8 has_seq][u64 seq][u32 released_by][u8 state][string call_id, event_id,
 * operator, agency, position, ani, incident_id, transfer_to][string source][u8 named]
 * [u64 arrival] (format 8; 7 had no named) */
static void put_item(const struct reorder_item *item, struct codec_writer *writer)
{
	const struct event *event = &item->event;

	codec_put_u8(writer, (uint8_t)event->type);
	codec_put_i64(writer, event->ts_ms);
	codec_put_u8(writer, event->has_seq);
	codec_put_u64(writer, event->seq);
	codec_put_u32(writer, (uint32_t)event->released_by);
	codec_put_u8(writer, (uint8_t)event->state);
	codec_put_string(writer, event->call_id);
	codec_put_string(writer, event->event_id);
	codec_put_string(writer, event->operator_id);
	codec_put_string(writer, event->agency);
	codec_put_string(writer, event->position);
	codec_put_string(writer, event->ani);
	codec_put_string(writer, event->incident_id);
	codec_put_string(writer, event->transfer_to);
	codec_put_string(writer, item->source);
	codec_put_u8(writer, item->named);
	codec_put_u64(writer, item->arrival);
}

/* A loaded item is used as a parsed event: a known type, strings that fit. */
static int get_item(struct reorder_item *item, struct codec_reader *reader)
{
	struct event *event = &item->event;
	uint8_t type = codec_get_u8(reader);

	memset(item, 0, sizeof(*item));
	event->type = (enum event_type)type;
	event->ts_ms = codec_get_i64(reader);
	event->has_seq = codec_get_u8(reader) != 0;
	event->seq = codec_get_u64(reader);
	event->released_by = (enum released_by)codec_get_u32(reader);
	uint8_t state = codec_get_u8(reader);
	event->state = (enum agent_state)state;
	codec_get_string(reader, event->call_id, sizeof(event->call_id));
	codec_get_string(reader, event->event_id, sizeof(event->event_id));
	codec_get_string(reader, event->operator_id, sizeof(event->operator_id));
	codec_get_string(reader, event->agency, sizeof(event->agency));
	codec_get_string(reader, event->position, sizeof(event->position));
	codec_get_string(reader, event->ani, sizeof(event->ani));
	codec_get_string(reader, event->incident_id, sizeof(event->incident_id));
	codec_get_string(reader, event->transfer_to, sizeof(event->transfer_to));
	codec_get_string(reader, item->source, sizeof(item->source));
	uint8_t named = codec_get_u8(reader);
	item->named = named == 1;
	item->arrival = codec_get_u64(reader);
	item->call_hash = reorder_call_hash(event);
	if (reader->failed || type < EVENT_CALL_START || type > EVENT_CALL_OFFERED ||
	    state >= AGENT_STATE_COUNT || named > 1 ||
	    (type == EVENT_OPERATOR_STATE) != (state != AGENT_STATE_NONE))
		return -EINVAL;
	return 0;
}

/* The smallest saved item: every string empty. */
#define REORDER_ITEM_MIN_BYTES (1 + 8 + 1 + 8 + 4 + 1 + 9 * 4 + 1 + 8)

void reorder_save(const struct reorder *reorder, struct codec_writer *writer)
{
	codec_put_u32(writer, reorder->count);
	for (uint32_t i = 0; i < reorder->count; i++)
		put_item(&reorder->items[reorder->heap[i].slot], writer);
}

int reorder_load(struct reorder *reorder, struct codec_reader *reader)
{
	uint32_t count = codec_get_u32(reader);

	if (INVARIANT_FAILS(reorder->count == 0 && reorder->free_count == 0))
		return -EINVAL;
	/* Bounded by the bytes left (the bound may have shrunk since by a reload). */
	if (reader->failed || (uint64_t)count * REORDER_ITEM_MIN_BYTES > reader->len - reader->pos)
		return -EINVAL;
	if (count == 0)
		return 0;
	if (reserve(reorder, count) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		if (get_item(&reorder->items[i], reader) != 0)
			return -EINVAL;
		reorder->heap[i] = (struct reorder_key){ .ts_ms = reorder->items[i].event.ts_ms,
							 .slot = i };
	}
	reorder->count = count;
	reorder->free_count = 0;
	return 0;
}
