/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* An operator's first ring: 1 call (48 bytes with its call details), not 4 (192): at
 * 100,000 call-takers most hold one call. Small rings double up to SMALL_CAPACITY (1, 2, 4, 8,
 * 16: four more reallocations in a busy call-taker's life), then grow by half as before (24,
 * 36, ...). They shrink no lower than SHRINK_FLOOR, so that a call-taker whose calls come and
 * go is not reallocated at each. */
#define INITIAL_CAPACITY 1
#define SMALL_CAPACITY 16
#define SHRINK_FLOOR	 4

_Static_assert(sizeof(struct window_entry) == 24, "a window entry packs its serial and flags");

/* Rings grow by half (not double) and shrink by half when three quarters are free: the
 * slack a call costs stays near a quarter of its bytes on average, at most a half. */
static uint32_t grown_capacity(uint32_t capacity, uint32_t max_entries)
{
	uint32_t grown = capacity < INITIAL_CAPACITY ? INITIAL_CAPACITY
			 : capacity < SMALL_CAPACITY ? capacity * 2
						     : capacity + capacity / 2;

	return grown > max_entries || grown < capacity ? max_entries : grown;
}

void window_init(struct window *window, struct window_span *spans, const int64_t *span_ms,
		 size_t span_count, uint32_t max_entries, size_t payload_size)
{
	memset(window, 0, sizeof(*window));
	window->spans = spans;
	window->max_entries = max_entries;
	window->payload_size = payload_size;
	window->now_ms = INT64_MIN;
	window->next_leave_ms = INT64_MAX;
	window->span_count = span_count < WINDOW_MAX_SPANS ? span_count : WINDOW_MAX_SPANS;
	for (size_t s = 0; s < window->span_count; s++) {
		window->spans[s] = (struct window_span){ .length_ms = span_ms[s] };
		if (span_ms[s] > window->longest_ms)
			window->longest_ms = span_ms[s];
	}
}

void window_move_spans(struct window *window, struct window_span *spans, size_t room)
{
	if (window->span_count > room)
		window->span_count = room;
	if (spans != window->spans && window->span_count > 0)
		memcpy(spans, window->spans, window->span_count * sizeof(*spans));
	window->spans = spans;
}

static uint32_t ring_index(const struct window *window, uint32_t logical)
{
	uint32_t i = window->oldest + logical;

	return i >= window->capacity ? i - window->capacity : i;
}

void window_set_drop(struct window *window, void (*drop)(void *payload))
{
	window->drop = drop;
}

static void *payload_slot(const struct window *window, uint32_t i);
/* Forget the oldest entry (its payload through drop). */
static void forget_oldest(struct window *window)
{
	if (window->drop && window->payloads)
		window->drop(payload_slot(window, 0));
	window->oldest = ring_index(window, 1);
	window->count--;
}

void window_release(struct window *window)
{
	while (window->drop && window->count > 0)
		forget_oldest(window);
	free(window->entries); /* the payloads too: one allocation */
	window->entries = NULL;
	window->payloads = NULL;
	window->capacity = window->count = window->oldest = 0;
	window->next_leave_ms = INT64_MAX;
}

/* window_entry_at, inlined where the window walks its own entries. */
static inline const struct window_entry *entry_at(const struct window *window, uint32_t i)
{
	return &window->entries[ring_index(window, i)];
}

const struct window_entry *window_entry_at(const struct window *window, uint32_t i)
{
	return entry_at(window, i);
}

/* The payload of logical entry i (the window has payloads). */
static void *payload_slot(const struct window *window, uint32_t i)
{
	return window->payloads + (size_t)ring_index(window, i) * window->payload_size;
}

const void *window_payload_at(const struct window *window, uint32_t i)
{
	if (!window->payloads)
		return NULL;
	return payload_slot(window, i);
}

/* Add (sign +1) or remove (-1) one entry's call and flags; the counts stay unsigned. */
static void count_entry(struct window_counts *counts, unsigned flags, int sign)
{
	uint32_t premature = (flags & WINDOW_PREMATURE) ? 1u : 0u;
	uint32_t called_back = (flags & WINDOW_CALLED_BACK) ? 1u : 0u;

	if (sign > 0) {
		counts->calls++;
		counts->premature += premature;
		counts->called_back += called_back;
	} else {
		counts->calls--;
		counts->premature -= premature;
		counts->called_back -= called_back;
	}
}

/* Is an entry that ended at end_ms inside span s at the window's clock? */
static bool inside_span(const struct window *window, const struct window_span *span, int64_t end_ms)
{
	return end_ms > window->now_ms - span->length_ms;
}

static void give_back(struct window *window);

/* The oldest call of each span leaves it first: at its end plus the span. */
static void find_next_leave(struct window *window)
{
	int64_t next = INT64_MAX;

	for (size_t s = 0; s < window->span_count; s++) {
		const struct window_span *span = &window->spans[s];
		if (span->first >= window->count)
			continue;
		int64_t end_ms = entry_at(window, span->first)->end_ms;
		int64_t leave_ms =
			end_ms > INT64_MAX - span->length_ms ? INT64_MAX : end_ms + span->length_ms;
		if (leave_ms < next)
			next = leave_ms;
	}
	window->next_leave_ms = next;
}

/* window_advance when a call leaves a span at the window's new clock: apart, so that the usual
 * advance (nothing leaves) is a few compares without this loop's registers saved. */
__attribute__((noinline)) static void leave_spans(struct window *window, int64_t now_ms)
{
	for (size_t s = 0; s < window->span_count; s++) {
		struct window_span *span = &window->spans[s];
		while (span->first < window->count) {
			const struct window_entry *entry = entry_at(window, span->first);
			if (inside_span(window, span, entry->end_ms))
				break;
			count_entry(&span->counts, entry->flags, -1);
			span->first++;
		}
	}
	/* Entries outside the longest span are outside all spans: forget them. */
	while (window->count > 0 && !(entry_at(window, 0)->end_ms > now_ms - window->longest_ms)) {
		for (size_t s = 0; s < window->span_count; s++)
			window->spans[s].first--;
		forget_oldest(window);
	}
	find_next_leave(window);
	give_back(window);
}

void window_advance(struct window *window, int64_t now_ms)
{
	if (now_ms <= window->now_ms)
		return;
	window->now_ms = now_ms;
	if (now_ms < window->next_leave_ms) { /* no call leaves a span (nor the window) */
		give_back(window);
		return;
	}
	leave_spans(window, now_ms);
}

/* Drop the oldest entry, which may still be inside some spans. */
static void evict_oldest(struct window *window)
{
	const struct window_entry *oldest = entry_at(window, 0);

	for (size_t s = 0; s < window->span_count; s++) {
		struct window_span *span = &window->spans[s];
		if (span->first == 0)
			count_entry(&span->counts, oldest->flags, -1);
		else
			span->first--;
	}
	forget_oldest(window);
}

/*
 * Grow a ring without payloads (the center's: 600,000 entries and more) in place: realloc
 * (glibc remaps a block that large rather than copying it, and the pages past the old end
 * are touched only as entries come), then close the ring's gap by moving the smaller of its
 * two parts: the wrapped newest entries after the old end, or the oldest to the new end. A
 * copy into new memory took 7.8 ms and 2,341 page faults at 399,403 entries.
 */
static bool grow_in_place(struct window *window, uint32_t capacity)
{
	uint32_t before = window->capacity;
	struct window_entry *entries =
		realloc(window->entries, (size_t)capacity * sizeof(*entries));

	if (!entries)
		return false;
	if (window->count == 0) {
		window->oldest = 0;
	} else if (window->oldest + window->count > before) { /* wrapped at the old end */
		uint32_t newest = window->oldest + window->count - before; /* at [0, newest) */
		uint32_t oldest = before - window->oldest;                 /* at [oldest, before) */
		if (newest <= oldest && newest <= capacity - before) {
			memcpy(entries + before, entries, (size_t)newest * sizeof(*entries));
		} else {
			memmove(entries + capacity - oldest, entries + window->oldest,
				(size_t)oldest * sizeof(*entries));
			window->oldest = capacity - oldest;
		}
	}
	window->entries = entries;
	window->capacity = capacity;
	return true;
}

/* Reallocate the ring to capacity entries, unwrapped so logical 0 is at index 0 (growing
 * without payloads: grow_in_place, logical 0 where it is). The entries and their payloads are
 * one allocation, the payloads after the entries (one malloc's overhead and rounding an
 * operator, not two). */
static bool resize(struct window *window, uint32_t capacity)
{
	if (window->payload_size == 0 && capacity > window->capacity)
		return grow_in_place(window, capacity);

	struct window_entry *entries =
		malloc((size_t)capacity * (sizeof(*entries) + window->payload_size));
	unsigned char *payloads =
		entries && window->payload_size ? (unsigned char *)(entries + capacity) : NULL;

	if (!entries)
		return false;
	for (uint32_t i = 0; i < window->count; i++) {
		entries[i] = *entry_at(window, i);
		if (payloads)
			memcpy(payloads + (size_t)i * window->payload_size,
			       window_payload_at(window, i), window->payload_size);
	}
	free(window->entries);
	window->entries = entries;
	window->payloads = payloads;
	window->capacity = capacity;
	window->oldest = 0;
	return true;
}

/* A ring three quarters empty shrinks by half (kept as it is if memory is short). */
static void give_back(struct window *window)
{
	if (window->capacity > SHRINK_FLOOR && window->count < window->capacity / 4)
		(void)resize(window, window->capacity / 2 > SHRINK_FLOOR ? window->capacity / 2
									 : SHRINK_FLOOR);
}

/* Make room for one more entry: grow up to max_entries, then evict the oldest. */
static enum window_insert_result reserve(struct window *window)
{
	if (window->count < window->capacity)
		return WINDOW_INSERTED;
	if (window->capacity >= window->max_entries) {
		evict_oldest(window);
		return WINDOW_INSERTED_EVICTING;
	}
	return resize(window, grown_capacity(window->capacity, window->max_entries))
		       ? WINDOW_INSERTED
		       : WINDOW_NO_MEMORY;
}

static void copy_slot(struct window *window, uint32_t to, uint32_t from)
{
	uint32_t to_index = ring_index(window, to), from_index = ring_index(window, from);

	window->entries[to_index] = window->entries[from_index];
	if (window->payloads)
		memcpy(window->payloads + (size_t)to_index * window->payload_size,
		       window->payloads + (size_t)from_index * window->payload_size,
		       window->payload_size);
}

/* Account for a new entry at logical position p in every span's index and counts. */
static void admit_to_spans(struct window *window, uint32_t position,
			   const struct window_entry *entry)
{
	for (size_t s = 0; s < window->span_count; s++) {
		struct window_span *span = &window->spans[s];
		if (position < span->first ||
		    (position == span->first && !inside_span(window, span, entry->end_ms)))
			span->first++; /* it sits before the span's oldest entry */
		else
			count_entry(&span->counts, entry->flags, +1);
	}
}

enum window_insert_result window_insert(struct window *window, const struct window_entry *entry,
					const void *payload)
{
	if (entry->end_ms > window->now_ms)
		window_advance(window, entry->end_ms);
	if (!(entry->end_ms > window->now_ms - window->longest_ms))
		return WINDOW_TOO_OLD;
	enum window_insert_result result = reserve(window);
	if (result == WINDOW_NO_MEMORY)
		return result;
	uint32_t position = window->count;
	while (position > 0 && entry_at(window, position - 1)->end_ms > entry->end_ms) {
		copy_slot(window, position, position - 1);
		position--;
	}
	window->count++;
	uint32_t index = ring_index(window, position);
	window->entries[index] = *entry;
	if (window->payloads)
		memcpy(window->payloads + (size_t)index * window->payload_size, payload,
		       window->payload_size);
	admit_to_spans(window, position, entry);
	find_next_leave(window);
	return result;
}

void window_histogram(const struct window *window, int64_t now_ms, int64_t bucket_ms,
		      size_t bucket_count, struct window_counts *buckets)
{
	memset(buckets, 0, bucket_count * sizeof *buckets);
	if (bucket_ms <= 0 || bucket_count == 0)
		return;
	for (uint32_t i = window->count; i-- > 0;) {
		const struct window_entry *entry = entry_at(window, i);
		int64_t age_ms = now_ms - entry->end_ms;
		size_t back;

		if (age_ms < 0)
			continue; /* ended after now_ms */
		back = (size_t)(age_ms / bucket_ms);
		if (back >= bucket_count)
			break; /* this one and every older one are before the first bucket */
		count_entry(&buckets[bucket_count - 1 - back], entry->flags, +1);
	}
}

bool window_mark(struct window *window, uint64_t serial, unsigned flag)
{
	for (uint32_t i = window->count; i-- > 0;) {
		struct window_entry *entry = &window->entries[ring_index(window, i)];
		if (entry->serial != serial)
			continue;
		if (entry->flags & flag)
			return true;
		for (size_t s = 0; s < window->span_count; s++) {
			struct window_span *span = &window->spans[s];
			if (i >= span->first)
				count_entry(&span->counts, entry->flags, -1);
		}
		entry->flags = (uint8_t)(entry->flags | flag);
		for (size_t s = 0; s < window->span_count; s++) {
			struct window_span *span = &window->spans[s];
			if (i >= span->first)
				count_entry(&span->counts, entry->flags, +1);
		}
		return true;
	}
	return false;
}

/* Recount every span from scratch at the window's clock. */
static void recount_spans(struct window *window)
{
	for (size_t s = 0; s < window->span_count; s++) {
		struct window_span *span = &window->spans[s];
		span->first = 0;
		span->counts = (struct window_counts){0};
		while (span->first < window->count &&
		       !inside_span(window, span, entry_at(window, span->first)->end_ms))
			span->first++;
		for (uint32_t i = span->first; i < window->count; i++)
			count_entry(&span->counts, entry_at(window, i)->flags, +1);
	}
	find_next_leave(window);
}

int window_reshape(struct window *window, const int64_t *span_ms, size_t span_count,
		   uint32_t max_entries)
{
	int dropped = 0;

	if (window->capacity > max_entries) {
		while (window->count > max_entries) {
			forget_oldest(window);
			dropped++;
		}
		if (!resize(window, max_entries))
			return -ENOMEM;
	}
	window->max_entries = max_entries;
	window->span_count = span_count < WINDOW_MAX_SPANS ? span_count : WINDOW_MAX_SPANS;
	window->longest_ms = 0;
	for (size_t s = 0; s < window->span_count; s++) {
		window->spans[s].length_ms = span_ms[s];
		if (span_ms[s] > window->longest_ms)
			window->longest_ms = span_ms[s];
	}
	while (window->count > 0 &&
	       !(entry_at(window, 0)->end_ms > window->now_ms - window->longest_ms))
		forget_oldest(window);
	recount_spans(window);
	return dropped;
}

void window_save(const struct window *window, struct codec_writer *writer, window_put_fn *put)
{
	codec_put_i64(writer, window->now_ms);
	codec_put_u32(writer, window->count);
	for (uint32_t i = 0; i < window->count; i++) {
		const struct window_entry *entry = entry_at(window, i);
		codec_put_i64(writer, entry->start_ms);
		codec_put_i64(writer, entry->end_ms);
		codec_put_u64(writer, entry->serial);
		codec_put_u32(writer, entry->flags);
		if (window->payloads && put)
			put(window_payload_at(window, i), writer);
	}
}

int window_load(struct window *window, struct codec_reader *reader, window_get_fn *get)
{
	int64_t now_ms = codec_get_i64(reader);
	uint32_t count = codec_get_u32(reader);
	uint32_t capacity = INITIAL_CAPACITY;

	if (reader->failed || count > window->max_entries || window->count != 0)
		return -EINVAL;
	while (capacity < count && capacity < window->max_entries)
		capacity = grown_capacity(capacity, window->max_entries);
	if (capacity > window->max_entries)
		capacity = window->max_entries;
	if (count > 0 && !resize(window, capacity))
		return -ENOMEM;
	for (uint32_t i = 0; i < count && !reader->failed; i++) {
		struct window_entry *entry = &window->entries[i];
		entry->start_ms = codec_get_i64(reader);
		entry->end_ms = codec_get_i64(reader);
		uint64_t serial = codec_get_u64(reader);
		uint32_t flags = codec_get_u32(reader);
		if (serial > WINDOW_SERIAL_MAX || flags > WINDOW_FLAGS_MAX)
			return -EINVAL;
		entry->serial = serial & WINDOW_SERIAL_MAX;
		entry->flags = (uint8_t)flags;
		if (window->payloads) {
			void *payload = window->payloads + (size_t)i * window->payload_size;
			memset(payload, 0, window->payload_size);
			if (get && get(payload, reader) != 0)
				return -EINVAL;
			window->count = i + 1; /* held: dropped by window_release from here on */
		}
	}
	window->count = count;
	window->now_ms = now_ms;
	recount_spans(window);
	return reader->failed ? -EINVAL : 0;
}
