/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BENCH_DAYGEN_H
#define CADMON_BENCH_DAYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gencall.h"

/*
 * daygen: a third shift generator for bench/detection, written apart from tools/sim.c and
 * bench/shiftgen.c and used to tune nothing. Where those give each operator their own
 * arrivals, daygen has one non-homogeneous Poisson stream of calls per agency following a
 * day curve (an afternoon peak falling into the evening), queued and handed to the
 * agency's longest-idle free call-taker, so operators' volumes are coupled and uneven.
 * Three agencies of 6, 5 and 3 call-takers with different short-call mixes; each honest
 * call-taker has their own share of pocket dials (the agency's times a log-normal factor);
 * talk times log-normal with a Pareto tail; redial delays gamma-like (sum of two
 * exponentials). Misconduct is not "a share of real calls": the rogue cuts off the calls
 * that would have been long (over 150 s), or starts late in the shift (fatigue). A storm is
 * a 45-minute spike of duplicate reports of one incident, many ended by the operator after
 * a few seconds. Each agency's clock has its own skew of up to 8 s. Not bit-exact across
 * platforms (libm).
 */

#define DAYGEN_MAX_OPERATORS 64

enum daygen_rogue {
	DAYGEN_HONEST,     /* nobody misbehaves */
	DAYGEN_LONG_CALLS, /* from onset, cuts off half of the calls that would last over 150 s */
	DAYGEN_FATIGUE,    /* from 5 h in, cuts off a quarter of real calls */
};

struct daygen_params {
	uint64_t seed;
	double hours;            /* shift length (from 14:00) */
	double calls_per_hour;   /* per operator, averaged over the day curve */
	enum daygen_rogue rogue;
	double redial_share;     /* of cut-off callers who ring again */
	bool storm;              /* 45 min at 3x the volume, half of it duplicate reports */
	bool high_pocket;        /* one honest call-taker gets 2.5x their pocket dials */
	double history_hours;    /* > 0: honest hours before the scored shift (same people) */
	unsigned shifts;         /* > 1: this many shifts of the same team a day apart (logged
				  * off in between), all scored; 0 or 1: one */
	unsigned storm_shift;    /* the storm is in this shift (0: the first) */
	enum gencall_storm storm_kind; /* flat: no volume rise; surge: no duplicate reports */
	unsigned rogue_agency;   /* the rogue's agency: 0 CITY (6), 1 COUNTY (5), 2 EMS (3) */
	bool offered;            /* a call_offered line at each call's arrival (its agency's) */
	bool offered_flood;      /* ... and the rogue's agency's twice more under other call_ids
				  * in the storm's hours (storm off: a source flooding arrivals) */
};

struct daygen_shift {
	char *text;              /* feed lines, in ts order, '\n'-terminated */
	size_t text_len;
	size_t text_capacity;
	struct gencall_scored *calls;
	size_t call_count;
	size_t call_capacity;
	unsigned operator_count;
	int64_t start_ms;        /* of the scored shift */
	int64_t onset_ms[DAYGEN_MAX_OPERATORS]; /* INT64_MAX: honest */
	int64_t storm_start_ms;
	int64_t storm_end_ms;
	int high_pocket_operator; /* -1: none */
	/* each call-taker's share of pocket dials over their agency's (the log-normal factor,
	 * times 2.5 for the high-pocket position): what bench/detection --dump reads a false
	 * alert against */
	double pocket_factor[DAYGEN_MAX_OPERATORS];
	bool stormed[DAYGEN_MAX_OPERATORS]; /* the call-taker's agency takes the storm */
};

#define DAYGEN_SHIFT_PERIOD_MS 86400000LL /* a shift starts every 24 h (16 h off between) */

/** Generate a shift into *shift (its memory reused); 0 or -1 (out of memory). */
int daygen_generate(const struct daygen_params *params, struct daygen_shift *shift);

void daygen_free(struct daygen_shift *shift);

#endif
