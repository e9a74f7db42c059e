/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_WINDOW_H
#define CADMON_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A sliding event-time window over completed calls, with several spans at once (one per
 * rule). Entries are kept in a ring ordered by end time; each span keeps the index of its
 * oldest entry and running counts, so advancing time, inserting and evicting are amortized
 * O(1) per call (a late call costs as many moves as the calls that ended after it).
 *
 * At time now a call that ended at e is inside a span of length L iff now - L < e <= now: a
 * call exactly L old has left. Time only moves forward (window_advance ignores the past).
 * Each entry may carry a fixed-size payload (the operator's windows keep call_id and ani in
 * 24 bytes, or there the address of an allocation: the window drops each payload it forgets
 * through window_set_drop's function).
 */

#define WINDOW_MAX_SPANS 16

enum window_flag {
	WINDOW_PREMATURE = 1u << 0,   /* a premature hangup */
	WINDOW_CALLED_BACK = 1u << 1, /* ... whose caller rang again soon after */
};

/* The serial shares a word with the flags: 24 bytes an entry, not 32 (a serial counted once
 * per call would need 2,000 years at a million calls a second to pass this). */
#define WINDOW_SERIAL_BITS 56
#define WINDOW_SERIAL_MAX ((UINT64_C(1) << WINDOW_SERIAL_BITS) - 1)
#define WINDOW_FLAGS_MAX 0xffu

struct window_entry {
	int64_t start_ms;
	int64_t end_ms;
	uint64_t serial
	    : WINDOW_SERIAL_BITS; /* the caller's unique number for the call, to find it */
	uint64_t flags : 64 - WINDOW_SERIAL_BITS; /* enum window_flag */
};

struct window_counts {
	uint32_t calls;
	uint32_t premature;
	uint32_t called_back;
};

struct window_span {
	int64_t length_ms;
	uint32_t first; /* logical index of the oldest entry inside the span */
	struct window_counts counts;
};

struct window {
	struct window_entry *entries; /* ring, capacity a power of two (or max_entries) */
	/* a parallel ring of payload_size bytes each, after the entries in their allocation
	 * (window_release frees both), or NULL */
	unsigned char *payloads;
	size_t payload_size;
	/* Called with each payload the window forgets (a call leaves the longest span, is evicted,
	 * dropped by a reshape, or released), so that a payload may own memory; NULL: none. */
	void (*drop)(void *payload);
	uint32_t capacity;
	uint32_t max_entries;
	uint32_t oldest; /* ring index of logical entry 0 */
	uint32_t count;
	int64_t now_ms;
	int64_t longest_ms;
	int64_t next_leave_ms; /* the first clock at which a call leaves a span (INT64_MAX: none) */
	size_t span_count;
	/* span_count spans in the caller's storage (window_init): an operator's window keeps
	 * them in its state's allocation, one per configured rule (24 bytes each; 16 inline took
	 * 384 bytes of every operator whatever the rule count). */
	struct window_span *spans;
};

enum window_insert_result {
	WINDOW_INSERTED = 0,
	WINDOW_INSERTED_EVICTING, /* full at max_entries: the oldest entry dropped to make room */
	WINDOW_TOO_OLD,           /* ended before every span: not kept */
	WINDOW_NO_MEMORY,
};

/**
 * Set up an empty window with span_count spans (at most WINDOW_MAX_SPANS) of the given lengths
 * and room for at most max_entries calls. Memory grows on demand up to that bound. spans is
 * the caller's storage for span_count spans, kept while the window lives (window_move_spans
 * to move it).
 */
void window_init(struct window *window, struct window_span *spans, const int64_t *span_ms,
		 size_t span_count, uint32_t max_entries, size_t payload_size);

/**
 * The spans move to new storage with room for room spans (the old storage may be freed
 * then): the first room of them are kept, so span_count is at most room until window_reshape
 * gives the new lengths.
 */
void window_move_spans(struct window *window, struct window_span *spans, size_t room);

/** Have drop called with each payload the window forgets from now on (NULL: none). */
void window_set_drop(struct window *window, void (*drop)(void *payload));

/** Free the window's memory (each payload held through drop); it can be initialized again. */
void window_release(struct window *window);

/** Move the window's clock to now_ms (if later) and let old calls leave each span. */
void window_advance(struct window *window, int64_t now_ms);

/**
 * Insert a call at its end-time position (advancing the clock to its end if that is later),
 * copying payload_size bytes of payload (may be NULL when payload_size is 0).
 */
enum window_insert_result window_insert(struct window *window, const struct window_entry *entry,
					const void *payload);

/** Set flag on the call with this serial, updating the counts; false if it is no longer held. */
bool window_mark(struct window *window, uint64_t serial, unsigned flag);

/**
 * A histogram of the calls the window holds: bucket_count buckets of bucket_ms each, the last
 * one ending at now_ms, oldest first. Bucket i counts the calls that ended at e with
 * now_ms - (bucket_count - i) * bucket_ms < e <= now_ms - (bucket_count - 1 - i) * bucket_ms
 * (the same edges as a span: a call exactly bucket_count * bucket_ms old is out). Calls after
 * now_ms, or older than the window keeps, are not counted. Changes nothing.
 */
void window_histogram(const struct window *window, int64_t now_ms, int64_t bucket_ms,
		      size_t bucket_count, struct window_counts *buckets);

/** The logical entry i (0 = oldest) and its payload. */
const struct window_entry *window_entry_at(const struct window *window, uint32_t i);
const void *window_payload_at(const struct window *window, uint32_t i);

struct codec_writer;
struct codec_reader;

/**
 * Take new spans (rule windows) and a new bound, keeping the calls held (the spans' storage
 * must have room for span_count: window_move_spans first when the count grows): counts are
 * recomputed, calls beyond the new longest span or the new bound (oldest first) are dropped.
 * Returns how many were dropped for the bound, or -ENOMEM (window unchanged).
 */
int window_reshape(struct window *window, const int64_t *span_ms, size_t span_count,
		   uint32_t max_entries);

/* A payload's fields, written and read by its owner (NULL for a window without payloads). */
typedef void window_put_fn(const void *payload, struct codec_writer *writer);
typedef int window_get_fn(void *payload, struct codec_reader *reader); /* 0 or -EINVAL */

/** Save the clock and the calls, each payload through put. */
void window_save(const struct window *window, struct codec_writer *writer, window_put_fn *put);

/** Load into an empty window initialized with the same spans, bound and payload size; each
 * payload (zeroed first) through get. On failure the window holds the payloads got so far
 * (window_release drops them). */
int window_load(struct window *window, struct codec_reader *reader, window_get_fn *get);

#endif
