/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CALLERS_H
#define CADMON_CALLERS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Recent premature hangups by caller number (ani), so that a caller who rings 911 again soon
 * after being cut off marks that hangup: the strongest sign a real emergency was dropped.
 * Bounded: stale hangups are forgotten, and when full the oldest are evicted (counted).
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

/** Remember a premature hangup of ani (replacing an older one of the same number). */
void callers_remember(struct callers *callers, const char *ani, const struct caller_hangup *hangup,
		      int64_t window_ms);

/**
 * A call from ani started at start_ms: if ani was cut off at most window_ms before (and not
 * after start_ms), hand the hangup out in *hangup and forget it. True when one was found.
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

#endif
