/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BENCH_SHIFTGEN_H
#define CADMON_BENCH_SHIFTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gencall.h"

/*
 * shiftgen: a second shift generator for bench/detection, written apart from tools/sim.c
 * (which the window rules were tuned on) with other distributions, so that the figures it
 * gives were not tuned on: two agencies with different short-call rates, a volume that
 * rises and falls through the shift, Weibull talk times, exponential redial delays (some
 * beyond the repeat window), pocket dialers who dial again, chance redials of pocket-dial
 * numbers with a real emergency, misconduct that is steady or in bursts, storms, a position
 * that honestly gets three times the pocket dials, and per-agency clocks up to a few
 * seconds apart. Not bit-exact across platforms (libm).
 */

#define SHIFTGEN_MAX_OPERATORS 64

struct shiftgen_params {
	uint64_t seed;
	double hours;            /* shift length */
	double calls_per_hour;   /* per operator, on average over the shift */
	bool rogue;              /* one operator misbehaves from a random onset (1 to 4.5 h) */
	double cut_share;        /* of its real calls after onset */
	bool bursts;             /* ... only an hour in every three from onset */
	double redial_share;     /* of cut-off callers who ring again */
	bool storm;              /* 1.5 h, volume x2.5, 35% short operator-ended calls */
	bool high_pocket;        /* one honest operator gets 3x its agency's pocket dials */
	double history_hours;    /* > 0: honest shifts before the scored one (same operators) */
	unsigned shifts;         /* > 1: this many 8-hour shifts of the same team a day apart
				  * (logged off in between), all scored; 0 or 1: one */
	unsigned storm_shift;    /* the storm is in this shift (0: the first) */
	enum gencall_storm storm_kind; /* flat: no volume rise; surge: no short calls */
	bool offered;            /* a call_offered line at each call's arrival (its agency's) */
	bool offered_flood;      /* ... and POLICE's twice more under other call_ids in the
				  * storm's hours (storm off: a source flooding arrivals) */
};

struct shiftgen_shift {
	char *text;              /* feed lines, in ts order, '\n'-terminated */
	size_t text_len;
	size_t text_capacity;
	struct gencall_scored *calls; /* every completed call */
	size_t call_count;
	size_t call_capacity;
	unsigned operator_count;
	int64_t start_ms;        /* of the scored shift (after the history, if any) */
	int64_t onset_ms[SHIFTGEN_MAX_OPERATORS];  /* INT64_MAX: honest */
	int64_t storm_start_ms;  /* the storm's hours (also when there is none: a reference) */
	int64_t storm_end_ms;
	int high_pocket_operator; /* -1: none */
	/* each operator's share of pocket dials over their agency's (3 for the high-pocket
	 * position, else 1): what bench/detection --dump reads a false alert against */
	double pocket_factor[SHIFTGEN_MAX_OPERATORS];
};

#define SHIFTGEN_SHIFT_PERIOD_MS 86400000LL /* a shift starts every 24 h (16 h off between) */

/** Generate a shift into *shift (its memory reused); 0 or -1 (out of memory). */
int shiftgen_generate(const struct shiftgen_params *params, struct shiftgen_shift *shift);

void shiftgen_free(struct shiftgen_shift *shift);

#endif
