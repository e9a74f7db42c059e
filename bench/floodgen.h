/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BENCH_FLOODGEN_H
#define CADMON_BENCH_FLOODGEN_H

#include <stddef.h>
#include <stdint.h>

/*
 * floodgen: the invented calls a second feed source sends for one agency while a shift goes
 * on (bench/detection's d-flood-* rows): what one source can do to the agency's shared
 * baseline (the rest's premature rate every call-taker's expectation uses) and to its storm
 * gate (the agency's volume surge), within what the binding layer lets it say. Regular and
 * deterministic (no random stream); operators "fl-NNNN" (bench/detection scores only "op-").
 *
 *   invented  a 5 s call ended by the operator every 12 s, each on a new operator: 300 new
 *             operators an hour, under tracker.max_new_operators_per_source_per_hour (1000);
 *   owned     a 5 s call ended by the operator every 60 s on two operators it owns (the
 *             volume of a 6-person agency at 10 calls an hour each, all of it short);
 *   volume    for 20 minutes of every hour, a call every 15 s on four operators it owns,
 *             every other one 5 s ended by the operator, the others 90 s ended by the caller:
 *             a fake storm (the agency's volume tripled, half of it short) every hour.
 */

/* none: no second source; quiet: a second source that sends nothing (the control); split:
 * none, the shift's own lines sent by two honest named sources (bench/detection) */
enum floodgen_kind {
	FLOODGEN_NONE,
	FLOODGEN_QUIET,
	FLOODGEN_SPLIT,
	FLOODGEN_INVENTED,
	FLOODGEN_OWNED,
	FLOODGEN_VOLUME,
};

struct floodgen_params {
	enum floodgen_kind kind;
	const char *agency;
	int64_t start_ms, end_ms; /* the calls start in [start_ms, end_ms) */
};

/** The flood's feed lines, in ts order, '\n'-terminated, into *text (grown as
 * gencall_append does; *text_len set). 0, or -1 when out of memory. */
int floodgen_generate(const struct floodgen_params *params, char **text, size_t *text_len,
		      size_t *capacity);

#endif
