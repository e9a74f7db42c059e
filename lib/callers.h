/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CALLERS_H
#define CADMON_CALLERS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Recent premature hangups by caller number (ani), so that a caller who rings 911 again soon
 * after being cut off marks that hangup: the strongest sign a real emergency was dropped.
 * A redial is matched by its start, once it completes: a hangup may go only once no call that
 * can still complete started within the window after it, which the owner tells
 * (callers_set_redials). Such hangups are forgotten a few slots at each new one (a stepped
 * sweep); bounded: when full, all of them, then the oldest evicted if none was (counted).
 */

/* Where the hangup lives: the detector's operator slot (with its generation, so a reused
 * slot is recognized) and the call's serial number. */
struct caller_hangup {
	uint32_t operator_index;
	uint32_t operator_generation;
	uint64_t serial;
	int64_t end_ms;
};

struct callers;

/** NULL on allocation failure. */
struct callers *callers_new(uint32_t max_callers);
void callers_free(struct callers *callers);

/* What the owner knows of the calls that can still complete, hence redial: a hangup that ended
 * at end_ms is stale (may be forgotten) when end_ms + window < unseen_from() and no open call
 * started from end_ms to end_ms + window. Once stale it should stay stale (a call not yet seen
 * never starts before an earlier answer of unseen_from), or a hangup's fate depends on when the
 * sweep reaches it (deterministic still: the table's size and cursor are saved). */
struct callers_redials {
	/* No call not yet seen starts before this (INT64_MIN: no bound, nothing is stale). */
	int64_t (*unseen_from)(const void *ctx);
	/* Whether an open call started from from_ms to to_ms (conservative: true when unsure). */
	bool (*open_between)(const void *ctx, int64_t from_ms, int64_t to_ms);
	const void *ctx;
};

/** Tell the sweep what can still redial (copied; NULL at first: nothing is stale, only evicted
 * when full). */
void callers_set_redials(struct callers *callers, const struct callers_redials *redials);

/** Remember a premature hangup of ani (replacing an older one of the same number). */
void callers_remember(struct callers *callers, const char *ani, const struct caller_hangup *hangup,
		      int64_t window_ms);

/**
 * A call from ani started at start_ms: if ani was cut off at most window_ms before (and not
 * after start_ms), hand the hangup out in *hangup and forget it. True when one was found
 * (whether the sweep could have forgotten it or not: one still held matches).
 */
bool callers_take_redial(struct callers *callers, const char *ani, int64_t start_ms,
			 int64_t window_ms, struct caller_hangup *hangup);

/** callers_remember and callers_take_redial of an ani whose hash_string is hash. */
void callers_remember_hashed(struct callers *callers, const char *ani, uint64_t hash,
			     const struct caller_hangup *hangup, int64_t window_ms);
bool callers_take_redial_hashed(struct callers *callers, const char *ani, uint64_t hash,
				int64_t start_ms, int64_t window_ms, struct caller_hangup *hangup);

/** A hint ahead of callers_take_redial or callers_remember of the ani whose hash_string is
 * ani_hash: fetch its slot into the cache. */
void callers_prefetch(const struct callers *callers, uint64_t ani_hash);

/** Hangups held (those no redial can mark any more included, until the sweep reaches them). */
uint32_t callers_count(const struct callers *callers);

/** Hangups forgotten early because the table was full. */
uint64_t callers_evicted(const struct callers *callers);
/** Add every eviction counted from now on to *moves too (moves.h; NULL: no longer). */
void callers_count_moves(struct callers *callers, uint64_t *moves);

struct codec_writer;
struct codec_reader;

/** Change the bound, keeping what fits (the oldest forgotten first). */
int callers_resize(struct callers *callers, uint32_t max_callers);
void callers_save(const struct callers *callers, struct codec_writer *writer);
/** Load what callers_save wrote; every hangup's operator index below max_operators. 0 or
 * -EINVAL. */
int callers_load(struct callers *callers, struct codec_reader *reader, uint32_t max_operators);
/** The sweep's position (the table's size and its cursor), saved apart from the hangups (at a
 * snapshot's end, from format 17), and loaded after them: the table then takes the size saved.
 * Without it (an older format) the sweep starts from its first home. 0, -EINVAL or -ENOMEM. */
void callers_save_sweep(const struct callers *callers, struct codec_writer *writer);
int callers_load_sweep(struct callers *callers, struct codec_reader *reader);

#endif
