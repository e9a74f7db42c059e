/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REORDER_H
#define CADMON_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clocks.h"
#include "event.h"
#include "hash.h"

/*
 * The center's reorder buffer: accepted events waiting until every held source has passed
 * their ts, then released in (ts, source name, arrival) order — an order that depends only on
 * each source's own sequence, not on how the sources interleaved on the way in. A binary
 * min-heap of 16-byte keys (ts, slot) over the items, which stay in their slots: a
 * push or pop moves keys, not items, at each level. An item waits packed (its fixed fields,
 * then its strings at their lengths: ~100-250 bytes, not struct reorder_item's ~650) and is
 * unpacked into a struct reorder_item when taken. Bounded (max_events), growing by doubling.
 * Pure: no I/O.
 */

/* An event waiting, unpacked. */
struct reorder_item {
	struct event event;
	char source[CLOCKS_NAME_MAX + 1];
	bool named;       /* source is a hello's (else a connection without one, or the stream) */
	uint64_t arrival; /* engine-wide arrival number: keeps each source's order */
	uint64_t call_hash; /* reorder_call_hash of event: kept for its release, not saved
			     * (reorder_load computes it again) */
};

/** What the engine finds a call by: hash_string of the call id, 0 for an operator's state. */
static inline uint64_t reorder_call_hash(const struct event *event)
{
	return event->type != EVENT_OPERATOR_STATE ? hash_string(event->call_id) : 0;
}

struct reorder;

/** NULL on allocation failure. */
struct reorder *reorder_new(uint32_t max_events);
void reorder_free(struct reorder *reorder);

/** Events held now, and the bound. */
uint32_t reorder_count(const struct reorder *reorder);
/** Events of source waiting (a pass over them all). */
uint32_t reorder_count_source(const struct reorder *reorder, const char *source);
bool reorder_full(const struct reorder *reorder);
/** The bytes it has allocated: its heap's keys and both pools' slots and free entries (each
 * grown up to max_events, or to the count held when a load or a lowered bound left more). */
size_t reorder_memory_bytes(const struct reorder *reorder);
/** The call_hash of every event waiting that names a call (event_names_call: those the binding
 * counts to their call's owner), into out (reorder_count long), in no order: how many. */
uint32_t reorder_call_hashes(const struct reorder *reorder, uint64_t *out);

/** The k-th event waiting (k < reorder_count), in no order, unpacked into *out. */
void reorder_item_at(const struct reorder *reorder, uint32_t k, struct reorder_item *out);
/** The k-th event's call_id (reorder_item_at's order) where it waits: valid until the next
 * push, take or load. */
const char *reorder_call_id_at(const struct reorder *reorder, uint32_t k);

/** Add an event (the caller makes room first when full). 0 or -ENOMEM. */
int reorder_push(struct reorder *reorder, const struct reorder_item *item);
/** The same, packed straight into its slot: event, source (a CLOCKS_NAME_MAX + 1 array, as
 * struct clocks_source's name: read in blocks) and whether a hello named it, the arrival number
 * and the event's call_hash (reorder_call_hash's value, which the caller has already). */
int reorder_push_event(struct reorder *reorder, const struct event *event, const char *source,
		       bool named, uint64_t arrival, uint64_t call_hash);

/** The first event's ts and (source not NULL) source name (where it waits: valid until the
 * next push, take or load), without unpacking it. false when empty. */
bool reorder_first(const struct reorder *reorder, int64_t *ts_ms, const char **source);

/** The first event in release order, unpacked, or NULL when empty: valid until the next peek,
 * take or pop. */
const struct reorder_item *reorder_peek(struct reorder *reorder);

/** Remove the first event and return it unpacked (NULL when empty): valid until the next peek,
 * take or pop (pushes leave it), so that it is released without another copy. */
const struct reorder_item *reorder_take(struct reorder *reorder);

/** Remove the first event into *out. false when empty. */
bool reorder_pop(struct reorder *reorder, struct reorder_item *out);

struct codec_writer;
struct codec_reader;

/** Change the bound; more events than it are left to be released by the caller. 0 or -ENOMEM. */
int reorder_resize(struct reorder *reorder, uint32_t max_events);
void reorder_save(const struct reorder *reorder, struct codec_writer *writer);
/** Load what reorder_save wrote into an empty reorder (a new one). 0, -EINVAL or -ENOMEM. */
int reorder_load(struct reorder *reorder, struct codec_reader *reader);

#endif
