/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BENCH_GENCALL_H
#define CADMON_BENCH_GENCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What bench/shiftgen.c and bench/daygen.c share: a generated call, the growing list of them,
 * the time-ordered start/incident/end events their feed lines are written from, the feed text
 * and the scored calls handed to bench/detection. Their random streams, distributions,
 * clocks and line formats stay their own (the two generators are kept apart on purpose).
 */

enum gencall_release { GENCALL_BY_OPERATOR, GENCALL_BY_CALLER, GENCALL_BY_SYSTEM };

/* What a generator's storm is made of: the volume rise and its short calls (the default), the
 * short calls without the rise (flat), or the rise without the short calls (surge). */
enum gencall_storm { GENCALL_STORM_FULL, GENCALL_STORM_FLAT, GENCALL_STORM_SURGE };

/* A call before its feed lines are written. */
struct gencall {
	int64_t start_ms, end_ms, incident_ms; /* incident_ms -1: none */
	int64_t offered_ms; /* its arrival (before a queue); -1: start_ms */
	unsigned op;
	uint8_t release; /* enum gencall_release */
	char ani[11];
};

struct gencall_list {
	struct gencall *calls;
	size_t count, capacity;
};

/** A new zeroed call (incident_ms -1) at the end of list, which grows by doubling from
 * first_capacity. NULL when out of memory. Earlier pointers into the list may move. */
struct gencall *gencall_new(struct gencall_list *list, size_t first_capacity);

/** By cadmon's default definition: ended by the operator in under 20 s, no incident. */
bool gencall_premature(const struct gencall *call);

/* One feed line of a call. */
enum gencall_line { GENCALL_START, GENCALL_INCIDENT, GENCALL_END, GENCALL_OFFERED };

struct gencall_event {
	int64_t ts_ms;
	uint32_t order; /* ties in ts keep the order the events were made in */
	uint32_t call;  /* index in the list */
	uint8_t type;   /* enum gencall_line */
};

/* How far the clock of the call's agency runs ahead, ms. */
typedef int64_t gencall_skew_fn(const struct gencall *call, const void *ctx);

/**
 * Each call's start, incident (when it has one before its end) and end, shifted by its skew,
 * sorted by ts: malloc'd, *count of them (the caller frees). NULL when out of memory. With
 * offered, also each call's arrival (GENCALL_OFFERED at offered_ms), made before its start.
 */
struct gencall_event *gencall_events(const struct gencall_list *list, gencall_skew_fn *skew,
				     const void *ctx, bool offered, size_t *count);

/** Append line[0..len) to the NUL-terminated text (*text of *text_len bytes in *capacity),
 * growing it by doubling from 1 MiB. 0, or -1 when out of memory. */
int gencall_append(char **text, size_t *text_len, size_t *capacity, const char *line, size_t len);

/* A generated call as bench/detection scores it. */
struct gencall_scored {
	int64_t start_ms;
	int64_t end_ms;
	unsigned operator_index;
	bool premature;          /* gencall_premature */
};

/** The list's calls as scored calls into *calls (grown as needed; *count set). 0 or -1. */
int gencall_keep(const struct gencall_list *list, struct gencall_scored **calls, size_t *count,
		 size_t *capacity);

#endif
