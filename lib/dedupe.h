/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_DEDUPE_H
#define CADMON_DEDUPE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Recognizes events seen before by a 64-bit fingerprint (event_fingerprint). It only needs to
 * remember events as far back as the engine accepts late ones: anything older is rejected as
 * too late anyway. Bounded: when full, the oldest fingerprints are forgotten (counted).
 */

struct dedupe;

/** NULL on allocation failure. */
struct dedupe *dedupe_new(uint32_t max_events);
void dedupe_free(struct dedupe *dedupe);

/**
 * True if fingerprint was seen with an event ts of horizon_ms or later; otherwise remember it
 * with its event ts and return false. A fingerprint held from before horizon_ms counts as
 * absent whether or not the sweep has removed it yet (a few slots each new fingerprint). The
 * sweep uses the horizon of the call that makes it: a source more than the lateness behind
 * another may find its copy already swept (not a duplicate, then; never a false one).
 */
bool dedupe_seen(struct dedupe *dedupe, uint64_t fingerprint, int64_t ts_ms, int64_t horizon_ms);

/** A hint ahead of dedupe_seen(fingerprint): fetch its slot into the cache. */
void dedupe_prefetch(const struct dedupe *dedupe, uint64_t fingerprint);

/** Fingerprints forgotten early because the table was full. */
uint64_t dedupe_evicted(const struct dedupe *dedupe);
/** Where that count is kept (as long as dedupe is): the engine's limits read it there. */
const uint64_t *dedupe_evicted_counter(const struct dedupe *dedupe);
/** Add every eviction counted from now on to *moves too (moves.h; NULL: no longer). */
void dedupe_count_moves(struct dedupe *dedupe, uint64_t *moves);

/** Fingerprints held now (within the horizon, and those not swept yet). */
uint32_t dedupe_count(const struct dedupe *dedupe);

struct codec_writer;
struct codec_reader;

/** Change the bound, keeping what fits (the oldest forgotten first). 0 or -ENOMEM. */
int dedupe_resize(struct dedupe *dedupe, uint32_t max_events);
void dedupe_save(const struct dedupe *dedupe, struct codec_writer *writer);
int dedupe_load(struct dedupe *dedupe, struct codec_reader *reader);

#endif
