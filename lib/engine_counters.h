/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ENGINE_COUNTERS_H
#define CADMON_ENGINE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/*
 * The engine's counters as people and documents name them: each list kept once, here, next to
 * struct engine_stats, so that every report names the same counters in the same order. A
 * counter is one uint64_t of struct engine_stats, or the sum of several (rejected lines, every
 * reason; duplicate events, the engine's and the tracker's).
 */

/* No second counter to add (engine_counter.also). */
#define ENGINE_COUNTER_NONE SIZE_MAX

struct engine_counter {
	const char *key;   /* the JSON report's key: "dedupe_evicted" */
	const char *label; /* the text and HTML reports' words: "dedupe evictions" */
	size_t offset;     /* offsetof(struct engine_stats, ...) of the first uint64_t summed */
	size_t count;      /* how many consecutive uint64_t from offset are summed (1: one; 0: none,
			    * a /metrics family daemon/metrics.c writes the samples of) */
	size_t also;       /* offset of one more uint64_t added, or ENGINE_COUNTER_NONE */
	const char *metric; /* its counter family on /metrics, after "cadmon_": "lines_total";
			     * NULL when it has none of its own */
	const char *help;   /* that family's HELP text; NULL with metric */
	const char *type;   /* that family's TYPE: "counter" or "gauge"; NULL with metric */
};

/* What came in and what went out: lines, events, rejected, alerts (STATUS=, the stop summary). */
extern const struct engine_counter engine_counters_headline[];
extern const size_t engine_counters_headline_count;

/* What the engine ignored, dropped or could not do, and the premature hangups whose caller
 * rang again (the backtest reports: text and HTML show the non-zero ones, JSON every one). */
extern const struct engine_counter engine_counters_troubles[];
extern const size_t engine_counters_troubles_count;

/* The engine's families on /metrics, in the order it shows them, each with its name, TYPE and
 * HELP: a counter of this module's (one sample, its value), or (count 0) a family whose samples
 * daemon/metrics.c writes: the labelled ones (rejected lines by reason, notices by kind and
 * severity, evictions by limit) and the gauges of the state now. */
extern const struct engine_counter engine_counters_metrics[];
extern const size_t engine_counters_metrics_count;

/** The value of counter in stats. */
uint64_t engine_counters_value(const struct engine_stats *stats,
			       const struct engine_counter *counter);

/** Lines rejected, every reason. */
uint64_t engine_counters_rejected(const struct engine_stats *stats);

/* Room for the headline: four 20-digit numbers and their words. */
#define ENGINE_COUNTERS_HEADLINE_MAX 128

/**
 * The headline counters as "N lines, N events, N rejected, N alerts" into text (truncated,
 * always NUL-terminated when size > 0).
 */
void engine_counters_format_headline(const struct engine_stats *stats, char *text, size_t size);

#endif
