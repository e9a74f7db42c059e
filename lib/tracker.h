/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TRACKER_H
#define CADMON_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/*
 * The call tracker joins each call's events by call_id. A call is complete once both its
 * call_start and its call_end have arrived, in either order; incident and transfer events
 * (before or after the start) mark it as handled. Open calls live in a fixed-size
 * open-addressing table allocated once, so the tracker never allocates per event; when it is
 * full the calls heard of least recently are evicted (counted), of one owner's calls alone if
 * the tracker's eviction (tracker_set_eviction) chooses one.
 */

/* A call with both ends known, handed to the detector. Strings point into the tracker and
 * stay valid until the next tracker_apply(). */
struct completed_call {
	const char *call_id;
	const char *operator_id;
	const char *agency;
	const char *position;
	const char *ani;
	int64_t start_ms;
	int64_t end_ms;
	enum released_by released_by;
	bool had_incident;
	bool had_transfer;
	bool late; /* set by the engine: from a source judged on its own, behind the center */
	/* set by the engine: the feed source whose event completed it (its clock's key: a
	 * hello's source, a connection's key; NULL or "" for the unnamed stream) */
	const char *source;
	/* set by the engine for its call observer (engine_set_call_observer), 0 otherwise: the
	 * detector's pair for the call's operator (detector_added_operator) */
	uint32_t operator_index;
	uint32_t operator_generation;
	/* set by the tracker (hashed): hash_string of agency and of ani, hash_string_pair of
	 * agency and operator_id, taken once at its call_start for the detector's look-ups;
	 * a call made elsewhere leaves hashed false and the detector hashes the strings */
	bool hashed;
	uint64_t agency_hash;
	uint64_t operator_hash;
	uint64_t ani_hash;
};

enum tracker_result {
	TRACKER_PENDING = 0,      /* recorded; the call is still open */
	TRACKER_COMPLETED,        /* *completed is filled */
	TRACKER_DUPLICATE,        /* a second call_start or call_end for an open call: ignored */
	TRACKER_END_BEFORE_START, /* the call_end's ts is before its call_start's: dropped */
};

struct tracker_stats {
	uint64_t duplicates;       /* second call_start or call_end of an open call */
	uint64_t evicted;          /* open calls dropped to make room: max_open_calls reached */
	uint64_t end_before_start; /* calls dropped: call_end ts before call_start ts */
	uint64_t expired;          /* open calls dropped: nothing heard for max_call_seconds */
	uint64_t expired_started;  /* of them, calls with their call_start: their end was lost */
};

struct tracker;

/**
 * Create a tracker for at most max_open_calls open calls. A call with no event for
 * max_call_seconds of event time (the newest ts seen) is expired and counted; 0 disables
 * expiry. NULL on allocation failure.
 */
struct tracker *tracker_new(uint32_t max_open_calls, uint32_t max_call_seconds);
void tracker_free(struct tracker *tracker);

/** Whose open calls go first when the table is full (audit F3): before evicting, choose(ctx)
 * says whether to evict of a chosen owner's calls alone, owns(call_id, call_hash, ctx) which
 * calls those are (call_hash: the stored hash, table_key_hash of the call_id's hash_string);
 * the oldest of them go (as many as of all, or all of them if fewer; none: of all). Unset or
 * choose false: the oldest of all. */
struct tracker_eviction {
	bool (*choose)(void *ctx);
	bool (*owns)(const char *call_id, uint64_t call_hash, void *ctx);
	/* the tracker dropped the call (NULL: not told): evicted (its table full, a reload
	 * shrinking it, or no memory to keep it), or expired (stale under max_call_seconds); so
	 * that the owners' table
	 * forgets exactly the calls the tracker drops, by the one decision */
	void (*evicted)(const char *call_id, uint64_t call_hash, bool expired, void *ctx);
	void *ctx;
};

void tracker_set_eviction(struct tracker *tracker, const struct tracker_eviction *eviction);

/** Apply one event. On TRACKER_COMPLETED the call has left the table and *completed describes
 * it. */
enum tracker_result tracker_apply(struct tracker *tracker, const struct event *event,
				  struct completed_call *completed);

/** tracker_apply with call_hash, the hash_string of event->call_id, given by a caller that
 * has it. */
enum tracker_result tracker_apply_hashed(struct tracker *tracker, const struct event *event,
					 uint64_t call_hash, struct completed_call *completed);

/** A hint ahead of tracker_apply_hashed(call_hash): fetch the call's slot into the cache. */
void tracker_prefetch(const struct tracker *tracker, uint64_t call_hash);

/**
 * The open call call_id names (call_hash its hash_string), if its call_start came: true with
 * its agency, operator and ani (valid until the tracker changes) and the hashes a completed
 * call carries of them (operator_hash, ani_hash). Reads only: what a replay looks at ahead of
 * applying a call's end, to fetch the detector's state it will complete.
 */
bool tracker_peek_start(const struct tracker *tracker, const char *call_id, uint64_t call_hash,
			const char **agency, const char **operator_id, const char **ani,
			uint64_t *operator_hash, uint64_t *ani_hash);

/** Does the tracker hold the open call call_id (call_hash its hash_string)? */
bool tracker_holds_call(const struct tracker *tracker, const char *call_id, uint64_t call_hash);

/** Calls currently open (started or ended, not both). */
uint32_t tracker_open_calls(const struct tracker *tracker);

/**
 * Whether an open call whose call_start came started from from_ms to to_ms (conservative: to
 * the minute of event time, and true for any range from before the last TRACKER_START_MINUTES
 * minutes up to the newest ts while a call that started before them is open: a call whose end
 * was lost, until it expires). O(the range's minutes); a function of the open calls' starts
 * and the newest ts alone, so a restored tracker tells the same.
 */
bool tracker_started_between(const struct tracker *tracker, int64_t from_ms, int64_t to_ms);
/* How far back tracker_started_between tells the minute: 4096 minutes, 2.8 days. */
#define TRACKER_START_MINUTES 4096

const struct tracker_stats *tracker_stats(const struct tracker *tracker);
/** Add what is counted from now on to evicted and expired_started to *moves too (moves.h;
 * NULL: no longer). */
void tracker_count_moves(struct tracker *tracker, uint64_t *moves);

struct codec_writer;
struct codec_reader;

/** Apply new limits to a running tracker, keeping its open calls. More than max_open_calls:
 * those over go as a full table's do, by one code path (stale calls expired under the new
 * max_call_seconds, then the oldest of the eviction's choice, then the oldest of all), the
 * calls expired and evicted counted, each told to the eviction's evicted. 0 or -ENOMEM. */
int tracker_reconfigure(struct tracker *tracker, uint32_t max_open_calls,
			uint32_t max_call_seconds);

void tracker_save(const struct tracker *tracker, struct codec_writer *writer);
/** Load into a new tracker with the same max_open_calls. 0 or -EINVAL. */
int tracker_load(struct tracker *tracker, struct codec_reader *reader);

#endif
