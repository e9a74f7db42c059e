/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "invariant.h"

#define INITIAL_CAPACITY 64

/* The strings an item packs: its source's name first, then the event's, in this order. */
#define EVENT_ARRAY(field) sizeof(((struct event *)0)->field)
#define EVENT_STRING(field) { offsetof(struct event, field), EVENT_ARRAY(field) }
static const struct {
	size_t offset, size; /* in struct event */
} event_strings[] = {
	EVENT_STRING(call_id),  EVENT_STRING(event_id), EVENT_STRING(operator_id),
	EVENT_STRING(agency),   EVENT_STRING(position), EVENT_STRING(ani),
	EVENT_STRING(incident_id), EVENT_STRING(transfer_to),
};
#define EVENT_STRINGS (sizeof(event_strings) / sizeof(event_strings[0]))
#define PACKED_STRINGS (1 + EVENT_STRINGS)

/* An item as it waits: its fixed fields, then its strings packed at their lengths, each with
 * its NUL (the source's first, then event_strings'), in bytes: a typical event's in two or
 * three cache lines, not struct reorder_item's ten (issue 17). */
struct packed_item {
	int64_t ts_ms;
	uint64_t arrival;
	uint64_t call_hash;
	uint64_t seq;
	uint64_t agency_hash, operator_hash, ani_hash; /* struct event's, as it came */
	uint32_t released_by;
	uint8_t type, state, flags;     /* flags: PACKED_HAS_SEQ, PACKED_NAMED, ... */
	uint8_t lengths[PACKED_STRINGS]; /* each string's, without its NUL */
	char bytes[];
};

#define PACKED_HAS_SEQ 1u
#define PACKED_NAMED 2u
#define PACKED_START_HASHED 4u

/* The most bytes an item's strings pack to: each array's size (its NUL included). */
#define PACKED_BYTES_MAX                                                                           \
	(CLOCKS_NAME_MAX + 1 + EVENT_ARRAY(call_id) + EVENT_ARRAY(event_id) +                      \
	 EVENT_ARRAY(operator_id) + EVENT_ARRAY(agency) + EVENT_ARRAY(position) +                  \
	 EVENT_ARRAY(ani) + EVENT_ARRAY(incident_id) + EVENT_ARRAY(transfer_to))
/* Bytes a slot has past its last string's NUL: the most copy_text writes or reads past a
 * string's NUL (15: a whole 16 bytes for a string of up to 15, 32 for one of 16 to 31). */
#define SLOT_SLACK_BYTES 15u
/* The slots: a small one holds an item whose strings pack to 169 bytes or fewer (every event
 * of cadmon-sim's days: 25-50 bytes), a large one any item. Multiples of 8 (the fields'
 * alignment). */
#define SMALL_SLOT_BYTES 256u
#define LARGE_SLOT_BYTES                                                                           \
	((sizeof(struct packed_item) + PACKED_BYTES_MAX + SLOT_SLACK_BYTES + 7u) / 8u * 8u)
/* A slot number's bit for the large slots (the rest: the slot's index in its pool). */
#define LARGE_SLOT (UINT32_C(1) << 31)

/* What the heap orders: an item's ts, and the slot that holds the item (its source name and
 * arrival, compared only when two ts are equal). 16 bytes: a level of a sift moves one. */
struct reorder_key {
	int64_t ts_ms;
	uint32_t slot;
};

/* Slots of one size, taken and given back. */
struct reorder_pool {
	uint64_t *words;      /* capacity slots, each of the pool's size */
	uint32_t *free_slots; /* slots taken and given back */
	uint32_t free_count;
	uint32_t used;        /* slots handed out: those below it are in use or given back */
	uint32_t capacity;
};

struct reorder {
	struct reorder_key *heap; /* heap_capacity long, the first count in use */
	struct reorder_pool small, large;
	uint32_t count;
	uint32_t heap_capacity;
	uint32_t max_events;
	struct reorder_item unpacked; /* what reorder_take and reorder_peek give */
};

struct reorder *reorder_new(uint32_t max_events)
{
	struct reorder *reorder = calloc(1, sizeof(*reorder));

	if (reorder)
		reorder->max_events = max_events ? max_events : 1;
	return reorder;
}

static void pool_free(struct reorder_pool *pool)
{
	free(pool->words);
	free(pool->free_slots);
}

void reorder_free(struct reorder *reorder)
{
	if (!reorder)
		return;
	free(reorder->heap);
	pool_free(&reorder->small);
	pool_free(&reorder->large);
	free(reorder);
}

/* The item in slot (a slot number: its pool's bit and its index), in place. */
static struct packed_item *packed_at(const struct reorder *reorder, uint32_t slot)
{
	if (slot & LARGE_SLOT)
		return (struct packed_item *)(reorder->large.words + (size_t)(slot & ~LARGE_SLOT) *
								     (LARGE_SLOT_BYTES / 8));
	return (struct packed_item *)(reorder->small.words + (size_t)slot * (SMALL_SLOT_BYTES / 8));
}

static const char *packed_source(const struct packed_item *packed)
{
	return packed->bytes;
}

/* strnlen(text, max), read 8 bytes at a time: no call for a string of a few bytes (issue 17). */
static inline size_t bounded_length(const char *text, size_t max)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	size_t len = 0;

	for (; len + 8 <= max; len += 8) {
		uint64_t word, zeros;
		memcpy(&word, text + len, 8);
		/* the lowest bit set: the first NUL's (the bits above it may be wrong) */
		if ((zeros = (word - UINT64_C(0x0101010101010101)) & ~word &
			     UINT64_C(0x8080808080808080)) != 0)
			return len + (size_t)__builtin_ctzll(zeros) / 8;
	}
	while (len < max && text[len] != '\0')
		len++;
	return len;
#else
	return strnlen(text, max);
#endif
}

/* The length of text (in an array of size bytes, bounded by it) into *length: the bytes it
 * packs to. */
static size_t measure_string(const char *text, size_t size, uint8_t *length)
{
	*length = (uint8_t)bounded_length(text, size - 1);
	return *length + 1u;
}

/* The strings' lengths: the bytes they pack to. */
static size_t measure(const struct event *event, const char *source,
		      uint8_t lengths[PACKED_STRINGS])
{
	size_t bytes = measure_string(source, CLOCKS_NAME_MAX + 1, &lengths[0]);

	for (size_t i = 0; i < EVENT_STRINGS; i++)
		bytes += measure_string((const char *)event + event_strings[i].offset,
					event_strings[i].size, &lengths[1 + i]);
	return bytes;
}

/* A string of len bytes and its NUL from one array into another, each with room for 32 bytes
 * (every array of struct event and the source's) or for SLOT_SLACK_BYTES past the NUL (a
 * slot's string; at most 15 bytes go past it): a short one as a whole 16 or 32 bytes, not a
 * copy of its length (a rep movs, ~30 cycles to start; issue 17). */
static inline void copy_text(char *to, const char *from, size_t len)
{
	if (len < 16)
		memcpy(to, from, 16);
	else if (len < 32)
		memcpy(to, from, 32);
	else
		memcpy(to, from, len + 1);
}

/* Write an item into its slot, its strings measured (measure) into lengths. */
static void pack(struct packed_item *packed, const struct event *event, const char *source,
		 bool named, uint64_t arrival, uint64_t call_hash,
		 const uint8_t lengths[PACKED_STRINGS])
{
	char *at = packed->bytes;

	packed->ts_ms = event->ts_ms;
	packed->arrival = arrival;
	packed->call_hash = call_hash;
	packed->seq = event->seq;
	packed->agency_hash = event->agency_hash;
	packed->operator_hash = event->operator_hash;
	packed->ani_hash = event->ani_hash;
	packed->released_by = (uint32_t)event->released_by;
	packed->type = (uint8_t)event->type;
	packed->state = (uint8_t)event->state;
	packed->flags = (uint8_t)((event->has_seq ? PACKED_HAS_SEQ : 0) |
				  (named ? PACKED_NAMED : 0) |
				  (event->start_hashed ? PACKED_START_HASHED : 0));
	memcpy(packed->lengths, lengths, PACKED_STRINGS);
	copy_text(at, source, lengths[0]);
	at[lengths[0]] = '\0'; /* its NUL whatever the array held there */
	at += lengths[0] + 1u;
	/* each string's bytes past its NUL: the next's */
	for (size_t i = 0; i < EVENT_STRINGS; i++) {
		copy_text(at, (const char *)event + event_strings[i].offset, lengths[1 + i]);
		at[lengths[1 + i]] = '\0';
		at += lengths[1 + i] + 1u;
	}
}

/* The packed item whole into *item (each string's array written up to its NUL). */
static void unpack(const struct packed_item *packed, struct reorder_item *item)
{
	struct event *event = &item->event;
	const char *at = packed->bytes;

	event->type = (enum event_type)packed->type;
	event->ts_ms = packed->ts_ms;
	event->has_seq = packed->flags & PACKED_HAS_SEQ;
	event->seq = packed->seq;
	event->released_by = (enum released_by)packed->released_by;
	event->state = (enum agent_state)packed->state;
	event->start_hashed = packed->flags & PACKED_START_HASHED;
	event->agency_hash = packed->agency_hash;
	event->operator_hash = packed->operator_hash;
	event->ani_hash = packed->ani_hash;
	copy_text(item->source, at, packed->lengths[0]);
	at += packed->lengths[0] + 1u;
	for (size_t i = 0; i < EVENT_STRINGS; i++) {
		copy_text((char *)event + event_strings[i].offset, at, packed->lengths[1 + i]);
		at += packed->lengths[1 + i] + 1u;
	}
	item->named = packed->flags & PACKED_NAMED;
	item->arrival = packed->arrival;
	item->call_hash = packed->call_hash;
}

uint32_t reorder_count(const struct reorder *reorder)
{
	return reorder->count;
}

uint32_t reorder_count_source(const struct reorder *reorder, const char *source)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < reorder->count; k++)
		n += strcmp(packed_source(packed_at(reorder, reorder->heap[k].slot)), source) == 0;
	return n;
}

uint32_t reorder_call_hashes(const struct reorder *reorder, uint64_t *out)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < reorder->count; k++) {
		const struct packed_item *packed = packed_at(reorder, reorder->heap[k].slot);
		if (event_names_call((enum event_type)packed->type))
			out[n++] = packed->call_hash;
	}
	return n;
}

void reorder_item_at(const struct reorder *reorder, uint32_t k, struct reorder_item *out)
{
	unpack(packed_at(reorder, reorder->heap[k].slot), out);
}

const char *reorder_call_id_at(const struct reorder *reorder, uint32_t k)
{
	const struct packed_item *packed = packed_at(reorder, reorder->heap[k].slot);

	return packed->bytes + packed->lengths[0] + 1; /* the string after the source's */
}

size_t reorder_memory_bytes(const struct reorder *reorder)
{
	return sizeof(*reorder) + (size_t)reorder->heap_capacity * sizeof(*reorder->heap) +
	       (size_t)reorder->small.capacity * (SMALL_SLOT_BYTES + sizeof(uint32_t)) +
	       (size_t)reorder->large.capacity * (LARGE_SLOT_BYTES + sizeof(uint32_t));
}

bool reorder_full(const struct reorder *reorder)
{
	return reorder->count >= reorder->max_events;
}

/* Release order: ts, then source name, then arrival. */
static bool before(const struct reorder *reorder, const struct reorder_key *a,
		   const struct reorder_key *b)
{
	const struct packed_item *item_a, *item_b;
	int names;

	if (a->ts_ms != b->ts_ms)
		return a->ts_ms < b->ts_ms;
	item_a = packed_at(reorder, a->slot);
	item_b = packed_at(reorder, b->slot);
	if ((names = strcmp(packed_source(item_a), packed_source(item_b))) != 0)
		return names < 0;
	return item_a->arrival < item_b->arrival;
}

/* Room for needed items in a growing array of *capacity (doubling from INITIAL_CAPACITY)
 * elements of size bytes, at most most of them unless more are needed (a load over a bound
 * lowered by a reload: doubling on as before). 0 or -ENOMEM. */
static int grow(void **array, uint32_t *capacity, uint32_t needed, uint32_t most, size_t size)
{
	uint32_t grown_capacity = *capacity ? *capacity : INITIAL_CAPACITY;
	void *grown;

	while (grown_capacity < needed)
		grown_capacity = grown_capacity > UINT32_MAX / 2 ? needed : grown_capacity * 2;
	if (needed <= most && grown_capacity > most)
		grown_capacity = most;
	if (!(grown = realloc(*array, (size_t)grown_capacity * size)))
		return -ENOMEM;
	*array = grown;
	*capacity = grown_capacity;
	return 0;
}

/* Heap room for needed keys. 0 or -ENOMEM. */
__attribute__((noinline)) static int reserve(struct reorder *reorder, uint32_t needed)
{
	void *heap = reorder->heap;
	int rc;

	if (needed <= reorder->heap_capacity)
		return 0;
	rc = grow(&heap, &reorder->heap_capacity, needed, reorder->max_events,
		  sizeof(*reorder->heap));
	reorder->heap = heap;
	return rc;
}

/* Room for one more slot in a full pool of slot_bytes slots (doubling, up to most slots: each
 * pool holds at most max_events, whatever the mix of small and large items was). 0 or
 * -ENOMEM. */
__attribute__((noinline)) static int grow_pool(struct reorder_pool *pool, size_t slot_bytes,
					       uint32_t most)
{
	uint32_t capacity = pool->capacity, free_capacity = pool->capacity;
	void *words = pool->words, *free_slots = pool->free_slots;
	int rc = grow(&words, &capacity, pool->used + 1, most, slot_bytes);

	pool->words = words;
	if (rc != 0 || INVARIANT_FAILS(capacity <= LARGE_SLOT) ||
	    grow(&free_slots, &free_capacity, capacity, capacity, sizeof(uint32_t)) != 0)
		return -ENOMEM; /* the pool's capacity as it was: its free slots' room */
	pool->free_slots = free_slots;
	pool->capacity = capacity;
	return 0;
}

/* The pool of slot (its bit: the large one's or the small one's). */
static struct reorder_pool *slot_pool(struct reorder *reorder, uint32_t slot)
{
	return slot & LARGE_SLOT ? &reorder->large : &reorder->small;
}

/* Take a free slot for an item whose strings pack to bytes into *slot. 0, -ENOMEM, or -EINVAL
 * (a broken invariant). */
static int take_slot(struct reorder *reorder, size_t bytes, uint32_t *slot)
{
	bool large = sizeof(struct packed_item) + bytes + SLOT_SLACK_BYTES > SMALL_SLOT_BYTES;
	struct reorder_pool *pool = large ? &reorder->large : &reorder->small;

	/* room nearly always: no call (issue 17) */
	if (reorder->count >= reorder->heap_capacity && reserve(reorder, reorder->count + 1) != 0)
		return -ENOMEM;
	if (pool->free_count)
		*slot = pool->free_slots[--pool->free_count];
	else if (pool->used < pool->capacity ||
		 grow_pool(pool, large ? LARGE_SLOT_BYTES : SMALL_SLOT_BYTES,
			   reorder->max_events) == 0)
		*slot = pool->used++;
	else
		return -ENOMEM;
	if (INVARIANT_FAILS(*slot < pool->capacity))
		return -EINVAL;
	*slot |= large ? LARGE_SLOT : 0;
	return 0;
}

/* Give a taken item's slot back. */
static void give_back(struct reorder *reorder, uint32_t slot)
{
	struct reorder_pool *pool = slot_pool(reorder, slot);

	pool->free_slots[pool->free_count++] = slot & ~LARGE_SLOT;
}

/* With no item held, every slot free again. */
static void empty_pools(struct reorder *reorder)
{
	reorder->small.free_count = reorder->small.used = 0;
	reorder->large.free_count = reorder->large.used = 0;
}

/* Add the key of the item (of ts ts_ms) just written into slot. */
static void sift_up(struct reorder *reorder, int64_t ts_ms, uint32_t slot)
{
	uint32_t i = reorder->count;
	struct reorder_key key = { .ts_ms = ts_ms, .slot = slot };

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
	return reorder_push_event(reorder, &item->event, item->source, item->named, item->arrival,
				  item->call_hash);
}

int reorder_push_event(struct reorder *reorder, const struct event *event, const char *source,
		       bool named, uint64_t arrival, uint64_t call_hash)
{
	uint8_t lengths[PACKED_STRINGS];
	uint32_t slot;
	int rc = take_slot(reorder, measure(event, source, lengths), &slot);

	if (rc != 0)
		return rc;
	pack(packed_at(reorder, slot), event, source, named, arrival, call_hash, lengths);
	sift_up(reorder, event->ts_ms, slot);
	return 0;
}

bool reorder_first(const struct reorder *reorder, int64_t *ts_ms, const char **source)
{
	if (reorder->count == 0)
		return false;
	*ts_ms = reorder->heap[0].ts_ms;
	if (source)
		*source = packed_source(packed_at(reorder, reorder->heap[0].slot));
	return true;
}

const struct reorder_item *reorder_peek(struct reorder *reorder)
{
	if (reorder->count == 0)
		return NULL;
	unpack(packed_at(reorder, reorder->heap[0].slot), &reorder->unpacked);
	return &reorder->unpacked;
}

const struct reorder_item *reorder_take(struct reorder *reorder)
{
	struct reorder_key *heap = reorder->heap;
	uint32_t i = 0, child, slot, count;
	struct reorder_key last;

	if (reorder->count == 0 || INVARIANT_FAILS((heap[0].slot & ~LARGE_SLOT) <
						    slot_pool(reorder, heap[0].slot)->capacity))
		return NULL;
	slot = heap[0].slot;
	unpack(packed_at(reorder, slot), &reorder->unpacked);
	give_back(reorder, slot);
	if ((count = --reorder->count) == 0) {
		empty_pools(reorder);
		return &reorder->unpacked;
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
	return &reorder->unpacked;
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
	struct reorder_item item;

	/* in the heap's order, each unpacked: format 17's bytes */
	for (uint32_t i = 0; i < reorder->count; i++) {
		unpack(packed_at(reorder, reorder->heap[i].slot), &item);
		put_item(&item, writer);
	}
}

int reorder_load(struct reorder *reorder, struct codec_reader *reader)
{
	uint32_t count = codec_get_u32(reader);
	uint8_t lengths[PACKED_STRINGS];
	struct reorder_item item;

	if (INVARIANT_FAILS(reorder->count == 0 && reorder->small.used == 0 &&
			    reorder->large.used == 0))
		return -EINVAL;
	/* Bounded by the bytes left (the bound may have shrunk since by a reload). */
	if (reader->failed || (uint64_t)count * REORDER_ITEM_MIN_BYTES > reader->len - reader->pos)
		return -EINVAL;
	if (count == 0)
		return 0;
	if (reserve(reorder, count) != 0)
		return -ENOMEM;
	/* Each key where it was saved: the heap's order as it was. */
	for (uint32_t i = 0; i < count; i++) {
		uint32_t slot;
		int rc = get_item(&item, reader);
		if (rc == 0 && (rc = take_slot(reorder, measure(&item.event, item.source, lengths),
					       &slot)) == 0)
			pack(packed_at(reorder, slot), &item.event, item.source, item.named,
			     item.arrival, item.call_hash, lengths);
		if (rc != 0) { /* left empty */
			empty_pools(reorder);
			return rc;
		}
		reorder->heap[i] = (struct reorder_key){ .ts_ms = item.event.ts_ms, .slot = slot };
	}
	reorder->count = count;
	return 0;
}
