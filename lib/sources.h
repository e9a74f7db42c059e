/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_SOURCES_H
#define CADMON_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The highest sequence number processed from each named feed source, so that events a
 * sender resends after a reconnect (from its last acknowledgement) are recognized exactly:
 * an event is new iff its seq is above the source's highest. Bounded: when full, the source
 * heard of least recently is forgotten (counted).
 */

struct sources;

/** NULL on allocation failure. */
struct sources *sources_new(uint32_t max_sources);
void sources_free(struct sources *sources);

/** True if seq from source was processed already; otherwise record it (at event time ts_ms). */
bool sources_seen(struct sources *sources, const char *source, uint64_t seq, int64_t ts_ms);

/** The highest seq processed from source; false if the source is unknown. */
bool sources_last_seq(const struct sources *sources, const char *source, uint64_t *seq);

/** Sources forgotten because the table was full. */
uint64_t sources_evicted(const struct sources *sources);

struct codec_writer;
struct codec_reader;

/** Change the bound, keeping what fits (the least recently heard forgotten first). */
int sources_resize(struct sources *sources, uint32_t max_sources);
void sources_save(const struct sources *sources, struct codec_writer *writer);
int sources_load(struct sources *sources, struct codec_reader *reader);

#endif
