/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * detection: how well a configuration's rules catch misbehaving call-takers, and how often
 * they cry wolf, on simulated shifts.
 *
 *   detection [--seeds N] [--first-seed S] [--config FILE] [--only LIST] [--jobs N]
 *             [--redial-share R] [--why] [--dump]
 *
 * For each scenario and seed, the shift is generated in-process by tools/sim.c (the
 * generator of cadmon-sim: the same seed gives the same lines) and every line goes through a
 * fresh engine with engine_process_line, exactly as cadmond feeds it. Only "firing" notices
 * count as alerts. A misbehaving operator is caught by a firing for them at or after their
 * onset; any other firing (an honest operator, or a misbehaving one before onset) is a
 * false alert. Scenarios run in --jobs worker processes, each sending back one summary per
 * scenario; the table is printed in a fixed order, so it does not depend on --jobs.
 *
 * The several-shift rows (g5-, d5-) are the same team over five 8-hour shifts a day apart,
 * logged off between, through one engine: they are printed in a second table, which says how
 * many rogues were caught by the end of their 1st, 2nd, 3rd and last shift and the median
 * hours they worked from onset to the first alarm; their references are calibrated on
 * g5-baseline and d5-baseline.
 *
 * The d-fl- and d-sm- rows add a second feed source flooding the rogue's agency
 * (bench/floodgen.h), d-split- rows send daygen's shift from two named sources; both feed the
 * engine through engine_process_from with a host clock (feed_with_flood), the other rows
 * through engine_process_line as before.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "binomial.h"
#include "cusum.h"
#include "daygen.h"
#include "floodgen.h"
#include "shiftgen.h"
#include "sim.h"
#include "trace.h"

#define DEFAULT_SEEDS 200
#define DEFAULT_JOBS 2               /* processes, each running whole scenarios */
#define MAX_JOBS 64
#define MAX_SEEDS 1000000L
#define MAX_FIRINGS 4096            /* firings kept per shift; more are counted as dropped */
#define MAX_OPERATORS 1000
#define CONFIG_MAX_BYTES (1 << 20)
#define SHIFT_HOURS 8.0             /* false alerts are given per 8-hour operator-shift */
#define CATCH_TARGET_MINUTES 120.0  /* the first issue: caught within about two hours of onset, */
#define CATCH_TARGET_SHARE 0.90     /* ... read as: median time, and this share caught at all */
#define FALSE_TARGET_PER_100 0.05   /* issue 12: at most this many per 100 honest operator-shifts */
#define MS_PER_MINUTE 60000.0
#define MS_PER_HOUR 3600000.0
#define EXIT_USAGE 2
#define PREMATURE_TALK_MS 20000     /* the default definition, for the references */
#define REFERENCE_WINDOW_MS 7200000 /* the binomial reference's window; the CUSUM's p0 window */
#define REFERENCE_MIN_RATIO 0.05    /* the references' floor of the center's ratio */
#define REFERENCE_ODDS_RATIO 3.0
#define STORM_AFTER_MS 7200000      /* a reference alarm this soon after a storm is "in storm" */
#define WHY_KEPT 400                /* --why: the characters of a firing's explanation kept */
#define MAX_SHIFTS 8                /* the several-shift rows' shifts */
#define CALL_END_PREFIX "{\"type\":\"call_end\""  /* how every generator's call_end begins */
#define CALL_END_PREFIX_LEN (sizeof(CALL_END_PREFIX) - 1)
#define OWN_RATE_FACTOR 1.2         /* --dump: an operator's pocket share this far over their
				     * agency's is "own-rate" */

enum generator { GEN_SIM, GEN_SHIFTGEN, GEN_DAYGEN, GENERATOR_COUNT };

/* One row of the table: a generator's scenario. */
struct bench_case {
	const char *label;
	enum generator generator;
	const char *preset;     /* sim: the preset */
	double hangup_share;    /* sim: > 0 instead of the preset's; shiftgen: the cut share */
	double redial_share;    /* >= 0 instead of the preset's; < 0: the preset's (sim) */
	double calls_per_hour;  /* > 0 instead of the preset's */
	bool rogue, bursts, storm, high_pocket; /* shiftgen */
	/* shiftgen, daygen: honest hours of the same operators before the shift */
	double history_hours;
	enum daygen_rogue day_rogue; /* daygen: the misconduct */
	/* shiftgen, daygen: > 1: this many shifts of the same team a day apart, all scored (a
	 * second table); the storm in shift storm_shift (0: the first) */
	unsigned shifts, storm_shift;
	enum gencall_storm storm_kind; /* shiftgen, daygen: flat or surge (the eleventh pass) */
	unsigned rogue_agency;         /* daygen: the rogue's agency (2: the 3-person EMS) */
	/* daygen: a second source ("cad-flood") floods the rogue's agency (bench/floodgen.h) */
	enum floodgen_kind flood;
	bool offered; /* shiftgen, daygen: a call_offered line at each call's arrival */
	bool offered_flood; /* ... and the rogue's agency's tripled in the storm's hours */
};

static const struct bench_case cases[] = {
	{ "baseline", GEN_SIM, "baseline", 0, -1, 0, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "one-bad", GEN_SIM, "one-bad", 0, -1, 0, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "slow", GEN_SIM, "one-bad", 0.20, -1, 0, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "several-bad", GEN_SIM, "several-bad", 0, -1, 0, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "storm", GEN_SIM, "storm", 0, -1, 0, false, false, false, false, 0, DAYGEN_HONEST, 1, 0,
	  0, 0, 0, false, false },
	{ "storm-bad", GEN_SIM, "storm-bad", 0, -1, 0, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "redial-10", GEN_SIM, "one-bad", 0, 0.10, 0, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "no-redial", GEN_SIM, "one-bad", 0, 0.0, 0, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "night", GEN_SIM, "one-bad", 0, 0.10, 3, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-baseline", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-redial-40", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.40, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-redial-10", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-no-redial", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.0, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-night", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 3, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-bursts", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, true, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-fifth", GEN_SHIFTGEN, NULL, 0.20, 0.10, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-pocket-new", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, true, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-pocket", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, true,
	  40, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-storm", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "g-storm-bad", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "d-baseline", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "d-long-calls", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, false, false },
	{ "d-fatigue", GEN_DAYGEN, NULL, 0, 0.0, 10, true, false, false, false,
	  0, DAYGEN_FATIGUE, 1, 0, 0, 0, 0, false, false },
	{ "d-night", GEN_DAYGEN, NULL, 0, 0.25, 3, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, false, false },
	{ "d-pocket", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, true,
	  24, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "d-storm", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "d-storm-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, true, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, false, false },
	/* what the storm gate leans on, taken away: the storm's short calls without its volume
	 * rise (flat), the volume rise without short calls (surge), honest and with a rogue */
	{ "g-storm-flat", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, GENCALL_STORM_FLAT, 0, 0, false, false },
	{ "g-surge", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST, 1,
	  0, GENCALL_STORM_SURGE, 0, 0, false, false },
	{ "g-surge-bad", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, GENCALL_STORM_SURGE, 0, 0, false, false },
	{ "d-storm-flat", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  1, 0, GENCALL_STORM_FLAT, 0, 0, false, false },
	{ "d-surge", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST, 1, 0,
	  GENCALL_STORM_SURGE, 0, 0, false, false },
	{ "d-surge-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, true, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, GENCALL_STORM_SURGE, 0, 0, false, false },
	/* the rogue in the 3-person agency, whose answered volume swings the most: the storm
	 * gate's risk (a rogue's rest is two call-takers) */
	{ "d-small-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, 0, false, false },
	/* the rogue rows again after honest history of the same call-takers (their own factors
	 * known): detection where the own history is in play */
	{ "gh-no-redial", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.0, 10, true, false, false, false, 40,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "gh-fifth", GEN_SHIFTGEN, NULL, 0.20, 0.10, 10, true, false, false, false, 40,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, false, false },
	{ "dh-longcalls", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 24,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, false, false },
	/* five shifts of the same team, 8 h each a day apart (16 h logged off between), every
	 * shift scored: the evidence a rogue's later shifts add (the rogue from shift 1 on) */
	{ "g5-baseline", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, false, false },
	{ "g5-no-redial", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.0, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, false, false },
	{ "g5-night", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 3, true, false, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, false, false },
	{ "g5-bursts", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, true, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, false, false },
	{ "g5-fifth", GEN_SHIFTGEN, NULL, 0.20, 0.10, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, false, false },
	{ "g5-pocket", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, true, 0, DAYGEN_HONEST,
	  5, 0, 0, 0, 0, false, false },
	{ "g5-storm", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  5, 2, 0, 0, 0, false, false },
	{ "d5-baseline", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false, 0, DAYGEN_HONEST,
	  5, 0, 0, 0, 0, false, false },
	{ "d5-longcalls", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 5, 0, 0, 0, 0, false, false },
	{ "d5-night", GEN_DAYGEN, NULL, 0, 0.25, 3, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 5, 0, 0, 0, 0, false, false },
	{ "d5-pocket", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, true, 0, DAYGEN_HONEST,
	  5, 0, 0, 0, 0, false, false },
	{ "d5-storm", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  5, 2, 0, 0, 0, false, false },
	/* d-long-calls and d-small-bad while a second source floods the rogue's agency for the
	 * whole shift: short calls on invented operators at the new-operator limit, short calls
	 * on two operators it owns, a fake storm every hour (bench/floodgen.h) */
	{ "d-fl-none", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_QUIET, false, false },
	{ "d-fl-invent", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_INVENTED, false, false },
	{ "d-fl-owned", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_OWNED, false, false },
	{ "d-fl-volume", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_VOLUME, false, false },
	{ "d-fl-honest", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, FLOODGEN_OWNED, false, false },
	/* honest several sources: every agency's call-takers split over two named sources */
	{ "d-split-base", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, FLOODGEN_SPLIT, false, false },
	{ "d-split-long", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_SPLIT, false, false },
	{ "d-split-sbad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, true, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, FLOODGEN_SPLIT, false, false },
	{ "d-split-small", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, FLOODGEN_SPLIT, false, false },
	{ "d-sm-none", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, FLOODGEN_QUIET, false, false },
	{ "d-sm-invent", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, FLOODGEN_INVENTED, false, false },
	{ "d-sm-owned", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, FLOODGEN_OWNED, false, false },
	{ "d-sm-volume", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, FLOODGEN_VOLUME, false, false },

	/* rows above again with a call_offered line at each call's arrival (go-, do-, go5-,
	 * do5-): the storm gate on the agencies' offered volume */
	{ "go-baseline", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-no-redial", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.0, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-night", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 3, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-bursts", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, true, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-storm", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-storm-bad", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "go-storm-flat", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, GENCALL_STORM_FLAT, 0, 0, true, false },
	{ "go-surge-bad", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.10, 10, true, false, true, false, 0,
	  DAYGEN_HONEST, 1, 0, GENCALL_STORM_SURGE, 0, 0, true, false },
	{ "do-baseline", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "do-long-calls", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, true, false },
	{ "do-night", GEN_DAYGEN, NULL, 0, 0.25, 3, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, true, false },
	{ "do-small-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 2, 0, true, false },
	{ "do-storm", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false,
	  0, DAYGEN_HONEST, 1, 0, 0, 0, 0, true, false },
	{ "do-storm-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, true, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, true, false },
	{ "do-storm-flat", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  1, 0, GENCALL_STORM_FLAT, 0, 0, true, false },
	{ "do-surge-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, true, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, GENCALL_STORM_SURGE, 0, 0, true, false },
	{ "go5-baseline", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, false, false, 0,
	  DAYGEN_HONEST, 5, 0, 0, 0, 0, true, false },
	{ "go5-storm", GEN_SHIFTGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  5, 2, 0, 0, 0, true, false },
	{ "do5-baseline", GEN_DAYGEN, NULL, 0, 0, 10, false, false, false, false, 0, DAYGEN_HONEST,
	  5, 0, 0, 0, 0, true, false },
	{ "do5-storm", GEN_DAYGEN, NULL, 0, 0, 10, false, false, true, false, 0, DAYGEN_HONEST,
	  5, 2, 0, 0, 0, true, false },
	/* where the offered gate breaks: the rogue's agency's offered calls tripled for the
	 * storm's hours with no storm in the calls (a source flooding arrivals) */
	{ "go-flood-bad", GEN_SHIFTGEN, NULL, 1.0 / 3, 0.0, 10, true, false, false, false, 0,
	  DAYGEN_HONEST, 1, 0, 0, 0, 0, true, true },
	{ "do-flood-bad", GEN_DAYGEN, NULL, 0, 0.25, 10, true, false, false, false, 0,
	  DAYGEN_LONG_CALLS, 1, 0, 0, 0, 0, true, true },
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

/* The row of that label (the references' calibration rows): found by name, so that a row
 * added to the table cannot make another one the calibration's. */
static size_t case_named(const char *label)
{
	size_t i = 0;

	while (i < CASE_COUNT - 1 && strcmp(cases[i].label, label) != 0)
		i++;
	return i;
}

struct firing {
	unsigned operator_index;
	int64_t ts_ms;
	int64_t window_ms; /* of the rule that fired: the evidence it looked at */
	char why[WHY_KEPT]; /* its explanation (--why), truncated */
	double threshold;   /* a sequential rule's: the evidence it needed (--dump) */
	double own_factor;
};

/* The firings of one shift, in emission order (event time). */
struct shift_alerts {
	struct firing firings[MAX_FIRINGS];
	size_t count;
	uint64_t dropped;          /* past MAX_FIRINGS */
	uint64_t unknown_operator; /* not "op-NN" */
	bool keep_why;             /* --why: copy each firing's explanation */
};

/* One completed call as the references see it. */
struct ref_call {
	int64_t end_ms;
	unsigned op;
	bool premature;
};

/* A generated shift, whichever generator made it. */
struct bench_shift {
	char *text;               /* feed lines, '\n'-terminated */
	size_t text_len;
	struct ref_call *calls;   /* by end time */
	size_t call_count;
	unsigned operator_count;
	double hours;             /* worked: every shift's */
	int64_t start_ms;
	unsigned shift_count;     /* > 1: shifts of shift_hours starting shift_period_ms apart */
	double shift_hours;
	int64_t shift_period_ms;
	int64_t onset_ms[MAX_OPERATORS];   /* INT64_MAX: honest */
	int64_t storm_start_ms, storm_end_ms;
	bool has_storm;
	int high_pocket_operator;  /* -1: none */
	double pocket_factor[MAX_OPERATORS]; /* shiftgen, daygen: own pocket share / agency's */
	/* the storm reaches the call-taker's agency (daygen: not EMS) */
	bool stormed[MAX_OPERATORS];
};

/* The detector's or a reference's score in one scenario. */
struct score {
	unsigned misbehaving;
	unsigned caught;
	unsigned caught_in_time;
	double *hours_to_alert;
	unsigned false_alerts;
	unsigned storm_false_alerts;
	unsigned stormed_false_alerts; /* of those, the ones of call-takers the storm reaches */
	unsigned pocket_flagged;       /* shifts in which the high-pocket position was flagged */
	unsigned pocket_shifts;
	double honest_hours;
	unsigned caught_by_shift[MAX_SHIFTS]; /* several shifts: caught by the end of shift k + 1 */
};

enum { DETECTOR, REF_CUSUM, REF_BINOMIAL, SCORE_COUNT };

/* A score as a worker sends it back. */
struct score_summary {
	unsigned misbehaving, caught, caught_in_time, false_alerts, storm_false_alerts;
	unsigned stormed_false_alerts;
	unsigned pocket_flagged, pocket_shifts;
	double median_hours;
	double honest_hours;
	unsigned caught_by_shift[MAX_SHIFTS];
};

struct case_summary {
	size_t case_index;
	int status;                  /* 0, or -1 when the scenario could not be run */
	unsigned seeds;
	unsigned operators;
	unsigned shift_count;
	bool has_storm;
	struct score_summary scores[SCORE_COUNT];
	uint64_t dropped;
	uint64_t rejected_lines;
};

struct bench_options {
	long seeds;
	uint64_t first_seed;
	const char *config_path; /* NULL: the built-in defaults */
	const char *only;        /* NULL: every scenario */
	long jobs;
	double redial_share;     /* < 0: the presets' */
	/* per generator, calibrated in main */
	double reference_threshold[GENERATOR_COUNT][SCORE_COUNT];
	double calibration_per_100[GENERATOR_COUNT]; /* cadmon's flagged honest shifts there */
	/* the several-shift rows', per generator: calibrated on their baseline (when one of
	 * them runs) */
	double shifts_reference_threshold[GENERATOR_COUNT][SCORE_COUNT];
	double shifts_calibration_per_100[GENERATOR_COUNT];
	bool why;                /* print every false firing's explanation to stderr */
	bool dump;               /* print every false firing's run of evidence to stderr */
};

/* ---- generating a shift ------------------------------------------------------------------ */

static int grow_text(struct bench_shift *shift, size_t *capacity, size_t more)
{
	if (shift->text_len + more + 1 <= *capacity)
		return 0;
	size_t wanted = *capacity ? *capacity * 2 : 1 << 20;
	while (wanted < shift->text_len + more + 1)
		wanted *= 2;
	char *grown = realloc(shift->text, wanted);
	if (!grown)
		return -1;
	shift->text = grown;
	*capacity = wanted;
	return 0;
}

static int compare_ref_calls(const void *a, const void *b)
{
	const struct ref_call *x = a, *y = b;

	return (x->end_ms > y->end_ms) - (x->end_ms < y->end_ms);
}

static int reserve_calls(struct bench_shift *shift, size_t count)
{
	struct ref_call *calls = realloc(shift->calls, (count ? count : 1) * sizeof(*calls));

	if (!calls)
		return -1;
	shift->calls = calls;
	shift->call_count = count;
	return 0;
}

static void sim_case_scenario(const struct bench_case *bench_case,
			      const struct bench_options *options, uint64_t seed,
			      struct sim_scenario *scenario)
{
	sim_scenario_preset(scenario, bench_case->preset);
	scenario->seed = seed;
	if (bench_case->redial_share >= 0)
		scenario->redial.share = bench_case->redial_share;
	if (options->redial_share >= 0)
		scenario->redial.share = options->redial_share;
	if (bench_case->calls_per_hour > 0)
		scenario->calls_per_hour = bench_case->calls_per_hour;
	if (bench_case->hangup_share > 0)
		for (size_t i = 0; i < scenario->misconduct_count; i++)
			scenario->misconduct[i].hangup_share = bench_case->hangup_share;
}

/* tools/sim.c's shift: its lines and its calls judged by the default definition. */
static int sim_bench_shift(const struct bench_case *bench_case, const struct bench_options *options,
			   uint64_t seed, struct bench_shift *shift, size_t *capacity)
{
	static struct sim_shift sim;
	struct sim_scenario scenario;
	char why[SIM_WHY_MAX], line[SIM_LINE_MAX];

	sim_scenario_preset(&scenario, "storm");
	shift->storm_start_ms = sim_storm_start_ms(&scenario);
	shift->storm_end_ms = sim_storm_end_ms(&scenario);
	sim_case_scenario(bench_case, options, seed, &scenario);
	if (sim_scenario_check(&scenario, why, sizeof(why)) != 0 ||
	    sim_shift_generate(&scenario, &sim, why, sizeof(why)) != 0) {
		fprintf(stderr, "detection: %s: %s\n", bench_case->label, why);
		return -1;
	}
	shift->text_len = 0;
	for (size_t i = 0; i < sim.event_count; i++) {
		size_t len = sim_format_event(&scenario, &sim, i, line);
		if (grow_text(shift, capacity, len) != 0)
			return -1;
		memcpy(shift->text + shift->text_len, line, len - 1);
		shift->text_len += len - 1;
		shift->text[shift->text_len++] = '\n';
	}
	if (reserve_calls(shift, sim.call_count) != 0)
		return -1;
	for (size_t i = 0; i < sim.call_count; i++) {
		const struct sim_call *call = &sim.calls[i];
		shift->calls[i] =
			(struct ref_call){ call->end_ms, call->operator_index,
					   call->released_by == SIM_RELEASED_BY_OPERATOR &&
						   call->end_ms - call->start_ms <
							   PREMATURE_TALK_MS &&
						   call->incident_ms < 0 && call->transfer_ms < 0 };
	}
	shift->operator_count = scenario.operator_count;
	shift->hours = scenario.shift_hours;
	shift->shift_count = 1;
	shift->shift_hours = shift->hours;
	shift->shift_period_ms = 0;
	shift->start_ms = scenario.start_ms;
	shift->has_storm = scenario.storm.hours > 0;
	if (shift->has_storm) {
		shift->storm_start_ms = sim_storm_start_ms(&scenario);
		shift->storm_end_ms = sim_storm_end_ms(&scenario);
	}
	shift->high_pocket_operator = -1;
	for (unsigned op = 0; op < scenario.operator_count; op++) {
		const struct sim_misconduct *misconduct = sim_misconduct_of(&scenario, op);
		shift->onset_ms[op] = misconduct ? sim_onset_ms(&scenario, misconduct) : INT64_MAX;
		shift->pocket_factor[op] = 1.0;
		shift->stormed[op] = true;
	}
	return 0;
}

/* bench/shiftgen.c's shift. */
static int gen_bench_shift(const struct bench_case *bench_case, const struct bench_options *options,
			   uint64_t seed, struct bench_shift *shift, size_t *capacity)
{
	static struct shiftgen_shift gen;
	struct shiftgen_params params = {
		.seed = seed,
		.hours = SHIFT_HOURS,
		.calls_per_hour = bench_case->calls_per_hour,
		.rogue = bench_case->rogue,
		.cut_share = bench_case->hangup_share,
		.bursts = bench_case->bursts,
		.redial_share = options->redial_share >= 0 ? options->redial_share
							   : bench_case->redial_share,
		.storm = bench_case->storm,
		.high_pocket = bench_case->high_pocket,
		.history_hours = bench_case->history_hours,
		.shifts = bench_case->shifts,
		.storm_shift = bench_case->storm_shift,
		.storm_kind = bench_case->storm_kind,
		.offered = bench_case->offered,
		.offered_flood = bench_case->offered_flood,
	};

	if (shiftgen_generate(&params, &gen) != 0)
		return -1;
	shift->text_len = 0;
	if (grow_text(shift, capacity, gen.text_len) != 0 ||
	    reserve_calls(shift, gen.call_count) != 0)
		return -1;
	memcpy(shift->text, gen.text, gen.text_len);
	shift->text_len = gen.text_len;
	for (size_t i = 0; i < gen.call_count; i++)
		shift->calls[i] =
			(struct ref_call){ gen.calls[i].end_ms, gen.calls[i].operator_index,
					   gen.calls[i].premature };
	shift->operator_count = gen.operator_count;
	shift->shift_count = bench_case->shifts > 1 ? bench_case->shifts : 1;
	shift->shift_hours = SHIFT_HOURS;
	shift->shift_period_ms = SHIFTGEN_SHIFT_PERIOD_MS;
	shift->hours = SHIFT_HOURS * shift->shift_count;
	shift->start_ms = gen.start_ms;
	shift->has_storm = bench_case->storm;
	shift->storm_start_ms = gen.storm_start_ms;
	shift->storm_end_ms = gen.storm_end_ms;
	shift->high_pocket_operator = gen.high_pocket_operator;
	for (unsigned op = 0; op < gen.operator_count; op++) {
		shift->onset_ms[op] = gen.onset_ms[op];
		shift->pocket_factor[op] = gen.pocket_factor[op];
		shift->stormed[op] = true;
	}
	return 0;
}

/* bench/daygen.c's shift. */
static int day_bench_shift(const struct bench_case *bench_case, const struct bench_options *options,
			   uint64_t seed, struct bench_shift *shift, size_t *capacity)
{
	static struct daygen_shift gen;
	struct daygen_params params = {
		.seed = seed,
		.hours = SHIFT_HOURS,
		.calls_per_hour = bench_case->calls_per_hour,
		.rogue = bench_case->rogue ? bench_case->day_rogue : DAYGEN_HONEST,
		.redial_share = options->redial_share >= 0 ? options->redial_share
							   : bench_case->redial_share,
		.storm = bench_case->storm,
		.high_pocket = bench_case->high_pocket,
		.history_hours = bench_case->history_hours,
		.shifts = bench_case->shifts,
		.storm_shift = bench_case->storm_shift,
		.storm_kind = bench_case->storm_kind,
		.rogue_agency = bench_case->rogue_agency,
		.offered = bench_case->offered,
		.offered_flood = bench_case->offered_flood,
	};

	if (daygen_generate(&params, &gen) != 0)
		return -1;
	shift->text_len = 0;
	if (grow_text(shift, capacity, gen.text_len) != 0 ||
	    reserve_calls(shift, gen.call_count) != 0)
		return -1;
	memcpy(shift->text, gen.text, gen.text_len);
	shift->text_len = gen.text_len;
	for (size_t i = 0; i < gen.call_count; i++)
		shift->calls[i] =
			(struct ref_call){ gen.calls[i].end_ms, gen.calls[i].operator_index,
					   gen.calls[i].premature };
	shift->operator_count = gen.operator_count;
	shift->shift_count = bench_case->shifts > 1 ? bench_case->shifts : 1;
	shift->shift_hours = SHIFT_HOURS;
	shift->shift_period_ms = DAYGEN_SHIFT_PERIOD_MS;
	shift->hours = SHIFT_HOURS * shift->shift_count;
	shift->start_ms = gen.start_ms;
	shift->has_storm = bench_case->storm;
	shift->storm_start_ms = gen.storm_start_ms;
	shift->storm_end_ms = gen.storm_end_ms;
	shift->high_pocket_operator = gen.high_pocket_operator;
	for (unsigned op = 0; op < gen.operator_count; op++) {
		shift->onset_ms[op] = gen.onset_ms[op];
		shift->pocket_factor[op] = gen.pocket_factor[op];
		shift->stormed[op] = gen.stormed[op];
	}
	return 0;
}

static int make_shift(const struct bench_case *bench_case, const struct bench_options *options,
		      uint64_t seed, struct bench_shift *shift, size_t *capacity)
{
	int rc = bench_case->generator == GEN_SIM
			 ? sim_bench_shift(bench_case, options, seed, shift, capacity)
		 : bench_case->generator == GEN_SHIFTGEN
			 ? gen_bench_shift(bench_case, options, seed, shift, capacity)
			 : day_bench_shift(bench_case, options, seed, shift, capacity);
	if (rc == 0)
		qsort(shift->calls, shift->call_count, sizeof(shift->calls[0]), compare_ref_calls);
	return rc;
}

/* ---- the engine on a shift --------------------------------------------------------------- */

/* The engine's alert callback: keep the firings (escalations and resolutions are not alerts). */
static void record_firing(const struct alert *alert, const char *json, size_t json_len, void *ctx)
{
	struct shift_alerts *alerts = ctx;
	unsigned number;
	char tail;

	(void)json;
	(void)json_len;
	if (strcmp(alert->kind, "firing") != 0)
		return;
	if (sscanf(alert->operator_id, "op-%u%c", &number, &tail) != 1 || number == 0) {
		alerts->unknown_operator++;
		return;
	}
	if (alerts->count == MAX_FIRINGS) {
		alerts->dropped++;
		return;
	}
	struct firing *firing = &alerts->firings[alerts->count++];
	firing->operator_index = number - 1;
	firing->ts_ms = alert->ts_ms;
	firing->window_ms = (int64_t)alert->window_seconds * 1000;
	firing->why[0] = '\0';
	firing->threshold = alert->has_evidence ? alert->threshold : 0.0;
	firing->own_factor = alert->has_evidence ? alert->own_factor : 0.0;
	if (alerts->keep_why && alert->why)
		snprintf(firing->why, sizeof(firing->why), "%s", alert->why);
}

/* A feed's text and how far it has been read. */
struct feed_cursor {
	const char *text;
	size_t len, at;
};

/* The length of the cursor's next line (without its '\n'). */
static size_t next_line_len(const struct feed_cursor *feed)
{
	const char *line = feed->text + feed->at;
	const char *newline = memchr(line, '\n', feed->len - feed->at);

	return newline ? (size_t)(newline - line) : feed->len - feed->at;
}

/* The "ts" of the cursor's next line; INT64_MAX at the end (or without one). */
static int64_t next_line_ts(const struct feed_cursor *feed)
{
	if (feed->at >= feed->len)
		return INT64_MAX;
	const char *line = feed->text + feed->at;
	const char *ts = strstr(line, "\"ts\":"); /* the text ends in a NUL */

	return ts && ts < line + next_line_len(feed) ? strtoll(ts + 5, NULL, 10) : INT64_MAX;
}

/* Split: which of two named sources sends a line of the shift, by its call-taker's number
 * (odd "cad-a", even "cad-b"); a call's later lines follow its call_start (by_call, indexed
 * by the number of its "d-N" call_id, at most calls of them). */
static const char *split_source(const char *line, size_t len, unsigned char *by_call, size_t calls)
{
	static const char *const names[] = { "cad-a", "cad-b" };
	const char *end = line + len, *op = strstr(line, "\"operator\":\"op-");
	const char *call = strstr(line, "\"call_id\":\"d-");
	unsigned long number = call && call < end ? strtoul(call + 13, NULL, 10) : 0;
	bool known = number > 0 && number <= calls;

	if (op && op < end) {
		unsigned char side = (unsigned char)(strtoul(op + 16, NULL, 10) % 2 == 0);
		if (known)
			by_call[number - 1] = side;
		return names[side];
	}
	return names[known ? by_call[number - 1] : 0];
}

/* The shift's lines (the unnamed stream, or split over two named sources) and the flood's
 * (from the named source "cad-flood"), merged in ts order (the shift's first on a tie), each
 * received 500 ms after its ts (a host clock: the future guard and the source's hold follow
 * it), the buffer flushed at the end; the rejected lines' count, or -1. */
static long feed_with_flood(struct engine *engine, const struct bench_shift *shift,
			    const char *flood, size_t flood_len, bool split)
{
	struct feed_cursor feeds[2] = { { shift->text, shift->text_len, 0 },
					{ flood, flood_len, 0 } };
	unsigned char *by_call = calloc(shift->call_count + 1, 1);
	long rejected = 0;

	if (!by_call)
		return -1;
	for (;;) {
		int64_t ts_ms[2] = { next_line_ts(&feeds[0]), next_line_ts(&feeds[1]) };
		int k = ts_ms[0] <= ts_ms[1] ? 0 : 1;
		if (feeds[k].at >= feeds[k].len)
			break;
		const char *line = feeds[k].text + feeds[k].at;
		size_t len = next_line_len(&feeds[k]);
		const char *source = k ? "cad-flood"
				     : split ? split_source(line, len, by_call, shift->call_count)
					     : NULL;
		struct engine_origin origin = { .source = source, .named = source != NULL,
						.received_ms = ts_ms[k] + 500 };
		struct engine_verdict verdict;
		engine_process_from(engine, &origin, line, len, &verdict);
		rejected += verdict.reject != EVENT_OK;
		feeds[k].at += len + 1;
	}
	engine_flush(engine);
	free(by_call);
	return rejected;
}

/* Feed every line of the shift (and, flood not NULL, of the flood as a second source) to a
 * fresh engine; the rejected lines' count, or -1. With a trace (--dump, not with a flood),
 * each call_end line's change of the evidence is recorded in it. */
static long run_engine(const struct config *config, const struct bench_shift *shift,
		       const char *flood, size_t flood_len, bool split,
		       struct shift_alerts *alerts, struct trace *trace)
{
	struct engine *engine = engine_new(config, record_firing, alerts);
	char why[256];
	long rejected = 0;

	if (!engine)
		return -1;
	alerts->count = 0;
	alerts->dropped = 0;
	alerts->unknown_operator = 0;
	if (flood)
		rejected = feed_with_flood(engine, shift, flood, flood_len, split);
	for (size_t at = 0; !flood && at < shift->text_len;) {
		const char *line = shift->text + at;
		const char *newline = memchr(line, '\n', shift->text_len - at);
		size_t len = newline ? (size_t)(newline - line) : shift->text_len - at;
		rejected += engine_process_line(engine, line, len, why, sizeof(why)) != EVENT_OK;
		if (trace && len > CALL_END_PREFIX_LEN &&
		    memcmp(line, CALL_END_PREFIX, CALL_END_PREFIX_LEN) == 0)
			trace_after_line(trace, engine, at);
		at += len + 1;
	}
	engine_free(engine);
	return rejected;
}

/* ---- scoring ------------------------------------------------------------------------------ */

static bool in_storm_window(const struct bench_shift *shift, int64_t ts_ms, int64_t window_ms)
{
	return ts_ms >= shift->storm_start_ms && ts_ms - window_ms < shift->storm_end_ms;
}

/* The shift (from 0) a time after the scored start falls in: several shifts' gaps count
 * with the shift before them. */
static unsigned shift_of(const struct bench_shift *shift, int64_t ts_ms)
{
	if (shift->shift_count <= 1 || ts_ms < shift->start_ms)
		return 0;
	int64_t k = (ts_ms - shift->start_ms) / shift->shift_period_ms;

	return k < shift->shift_count ? (unsigned)k : shift->shift_count - 1;
}

/* Hours worked from from_ms to to_ms: in several shifts, the gaps between them left out (a
 * call that ends after its shift's end counts to the end). */
static double worked_hours(const struct bench_shift *shift, int64_t from_ms, int64_t to_ms)
{
	if (shift->shift_count <= 1)
		return (double)(to_ms - from_ms) / MS_PER_HOUR;
	double hours = 0.0;
	int64_t length_ms = (int64_t)(shift->shift_hours * MS_PER_HOUR);

	for (unsigned k = 0; k < shift->shift_count; k++) {
		int64_t begin = shift->start_ms + (int64_t)k * shift->shift_period_ms;
		int64_t end = begin + length_ms;
		begin = begin > from_ms ? begin : from_ms;
		end = end < to_ms ? end : to_ms;
		hours += end > begin ? (double)(end - begin) / MS_PER_HOUR : 0.0;
	}
	return hours;
}

/* One operator's alarms (times, in order) against the truth: false ones counted, the first
 * true one timed (in several shifts: in hours worked, and by which shift). */
static void score_alarms(const struct bench_shift *shift, unsigned op, const int64_t *times,
			 const int64_t *windows, size_t count, struct score *score)
{
	int64_t onset_ms = shift->onset_ms[op], caught_ms = INT64_MAX;
	bool flagged[MAX_SHIFTS] = { false };

	for (size_t i = 0; i < count; i++) {
		if (times[i] < shift->start_ms)
			continue; /* in the history before the scored shift */
		if (times[i] >= onset_ms) {
			caught_ms = caught_ms < times[i] ? caught_ms : times[i];
			continue;
		}
		score->false_alerts++;
		flagged[shift_of(shift, times[i])] = true;
		bool in_storm = in_storm_window(shift, times[i], windows[i]);
		score->storm_false_alerts += in_storm;
		score->stormed_false_alerts += in_storm && shift->stormed[op];
	}
	if ((int)op == shift->high_pocket_operator)
		for (unsigned k = 0; k < shift->shift_count; k++) {
			score->pocket_shifts++;
			score->pocket_flagged += flagged[k];
		}
	score->honest_hours += onset_ms == INT64_MAX
				       ? shift->hours
				       : (double)(onset_ms - shift->start_ms) / MS_PER_HOUR;
	if (onset_ms == INT64_MAX)
		return;
	score->misbehaving++;
	if (caught_ms == INT64_MAX)
		return;
	double hours = worked_hours(shift, onset_ms, caught_ms);
	score->hours_to_alert[score->caught++] = hours;
	score->caught_in_time += hours * 60 <= CATCH_TARGET_MINUTES;
	for (unsigned k = shift_of(shift, caught_ms); k < shift->shift_count; k++)
		score->caught_by_shift[k]++;
}

static void score_detector(const struct bench_shift *shift, const struct shift_alerts *alerts,
			   struct score *score)
{
	static int64_t times[MAX_FIRINGS], windows[MAX_FIRINGS];

	for (unsigned op = 0; op < shift->operator_count; op++) {
		size_t count = 0;
		for (size_t i = 0; i < alerts->count; i++)
			if (alerts->firings[i].operator_index == op) {
				times[count] = alerts->firings[i].ts_ms;
				windows[count++] = alerts->firings[i].window_ms;
			}
		score_alarms(shift, op, times, windows, count, score);
	}
}

/*
 * The references, on the calls themselves (premature by the default definition), each
 * operator's statistic after each of their calls:
 * - Bernoulli CUSUM: p0 the rest of the center's ratio over the last 2 hours (floored at
 *   0.05), odds ratio 3, restarting at 0 after an alarm;
 * - 2-hour binomial: -log10 of P(X >= k | n, p), the operator's n calls and k premature in
 *   the last 2 hours, p the rest of the center's ratio in the same 2 hours (floored).
 * An alarm is the statistic reaching the reference's threshold; an operator alarms at most
 * once per 2 hours (the binomial would otherwise alarm on every call of a bad hour).
 */
struct ref_window {
	uint32_t calls[MAX_OPERATORS + 1];    /* per operator, and the center at [operator_count] */
	uint32_t premature[MAX_OPERATORS + 1];
	size_t oldest;
};

static void ref_window_slide(const struct bench_shift *shift, struct ref_window *window,
			     size_t upto, int64_t now_ms)
{
	unsigned center = shift->operator_count;

	while (window->oldest < upto &&
	       shift->calls[window->oldest].end_ms <= now_ms - REFERENCE_WINDOW_MS) {
		const struct ref_call *old = &shift->calls[window->oldest++];
		window->calls[old->op]--;
		window->premature[old->op] -= old->premature;
		window->calls[center]--;
		window->premature[center] -= old->premature;
	}
}

/* For every call, in shift->calls order: the rest of the center's ratio p (floored) in
 * stats[2 * i], the binomial reference's -log10 tail in stats[2 * i + 1]. */
static void reference_statistics(const struct bench_shift *shift, double *stats)
{
	static struct ref_window window;
	unsigned center = shift->operator_count;

	memset(&window, 0, sizeof(window));
	for (size_t i = 0; i < shift->call_count; i++) {
		const struct ref_call *call = &shift->calls[i];
		ref_window_slide(shift, &window, i, call->end_ms);
		uint32_t rest_calls = window.calls[center] - window.calls[call->op];
		uint32_t rest_premature = window.premature[center] - window.premature[call->op];
		double p = rest_calls ? (double)rest_premature / rest_calls : 0.0;
		if (p < REFERENCE_MIN_RATIO)
			p = REFERENCE_MIN_RATIO;
		window.calls[call->op]++;
		window.premature[call->op] += call->premature;
		window.calls[center]++;
		window.premature[center] += call->premature;
		double tail =
			binomial_upper_tail(window.premature[call->op], window.calls[call->op], p);
		stats[2 * i] = p;
		stats[2 * i + 1] = tail > 1e-300 ? -log10(tail) : 300.0;
	}
}

/* A reference's alarms for one operator at threshold h: a CUSUM restarts at 0 after an alarm,
 * and after an alarm an operator is quiet for 2 hours (as an open alert would be). */
static size_t reference_alarms(const struct bench_shift *shift, const double *stats, int which,
			       unsigned op, double h, int64_t *times)
{
	size_t count = 0;
	double sum = 0.0;
	int64_t quiet_until = INT64_MIN;

	for (size_t i = 0; i < shift->call_count && count < MAX_FIRINGS; i++) {
		const struct ref_call *call = &shift->calls[i];
		if (call->op != op)
			continue;
		double stat = stats[2 * i + 1];
		if (which == 0) {
			struct cusum_weights weights =
				cusum_weights(stats[2 * i], REFERENCE_ODDS_RATIO);
			stat = sum = cusum_step(sum, call->premature, &weights);
		}
		if (stat < h || call->end_ms < quiet_until)
			continue;
		times[count++] = call->end_ms;
		quiet_until = call->end_ms + REFERENCE_WINDOW_MS;
		sum = 0.0;
	}
	return count;
}

static unsigned shift_of(const struct bench_shift *shift, int64_t ts_ms);

/* Each honest operator's highest statistic in each shift, for the calibration (the CUSUM
 * carried from one shift to the next, as in the scoring). */
static void reference_maxima(const struct bench_shift *shift, const double *stats, double *maxima,
			     size_t *count)
{
	static double sums[MAX_OPERATORS], highest[MAX_OPERATORS][MAX_SHIFTS][2];

	memset(sums, 0, sizeof(sums));
	memset(highest, 0, sizeof(highest));
	for (size_t i = 0; i < shift->call_count; i++) {
		const struct ref_call *call = &shift->calls[i];
		double *high = highest[call->op][shift_of(shift, call->end_ms)];
		struct cusum_weights weights = cusum_weights(stats[2 * i], REFERENCE_ODDS_RATIO);
		sums[call->op] = cusum_step(sums[call->op], call->premature, &weights);
		if (sums[call->op] > high[0])
			high[0] = sums[call->op];
		if (stats[2 * i + 1] > high[1])
			high[1] = stats[2 * i + 1];
	}
	for (unsigned op = 0; op < shift->operator_count; op++)
		for (unsigned k = 0; k < shift->shift_count; k++)
			if (shift->onset_ms[op] == INT64_MAX &&
			    (int)op != shift->high_pocket_operator) {
				maxima[2 * *count] = highest[op][k][0];
				maxima[2 * *count + 1] = highest[op][k][1];
				(*count)++;
			}
}

static void score_references(const struct bench_shift *shift, const double *stats,
			     const double *thresholds, struct score *scores)
{
	static int64_t times[MAX_FIRINGS], windows[MAX_FIRINGS];

	for (size_t i = 0; i < MAX_FIRINGS; i++)
		windows[i] = STORM_AFTER_MS;
	for (int which = 0; which < 2; which++)
		for (unsigned op = 0; op < shift->operator_count; op++) {
			size_t count = reference_alarms(shift, stats, which, op,
							thresholds[REF_CUSUM + which], times);
			score_alarms(shift, op, times, windows, count, &scores[REF_CUSUM + which]);
		}
}
/* ---- one scenario over every seed -------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of values (reordered), NAN when there are none. */
static double median(double *values, size_t count)
{
	if (count == 0)
		return NAN;
	qsort(values, count, sizeof(values[0]), compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static void summarize_score(struct score *score, struct score_summary *summary)
{
	*summary = (struct score_summary){
		.misbehaving = score->misbehaving,
		.caught = score->caught,
		.caught_in_time = score->caught_in_time,
		.false_alerts = score->false_alerts,
		.storm_false_alerts = score->storm_false_alerts,
		.stormed_false_alerts = score->stormed_false_alerts,
		.pocket_flagged = score->pocket_flagged,
		.pocket_shifts = score->pocket_shifts,
		.median_hours = median(score->hours_to_alert, score->caught),
		.honest_hours = score->honest_hours,
	};
	memcpy(summary->caught_by_shift, score->caught_by_shift, sizeof(score->caught_by_shift));
}

struct scenario_buffers {
	struct bench_shift shift;
	size_t text_capacity;
	char *flood;             /* the flood's lines (bench_case.flood) */
	size_t flood_len, flood_capacity;
	double *stats;
	size_t stats_capacity;
};

static int reserve_stats(struct scenario_buffers *buffers)
{
	if (buffers->stats_capacity >= buffers->shift.call_count)
		return 0;
	double *stats = realloc(buffers->stats, 2 * buffers->shift.call_count * sizeof(double));
	if (!stats)
		return -1;
	buffers->stats = stats;
	buffers->stats_capacity = buffers->shift.call_count;
	return 0;
}

/* Generate, run and score every seed of one scenario; 0 or -1 (reported). */
/* --why: each false firing of a scored shift (an honest operator, or before onset), with its
 * explanation, one line on stderr. */
static void print_false_firings(const struct bench_case *bench_case, uint64_t seed,
				const struct bench_shift *shift, const struct shift_alerts *alerts)
{
	for (size_t i = 0; i < alerts->count; i++) {
		const struct firing *firing = &alerts->firings[i];
		if (firing->ts_ms < shift->start_ms ||
		    firing->operator_index >= shift->operator_count ||
		    firing->ts_ms >= shift->onset_ms[firing->operator_index])
			continue;
		fprintf(stderr, "false %s seed %" PRIu64 " op-%02u%s at +%.2f h: %s\n",
			bench_case->label, seed, firing->operator_index + 1,
			shift->has_storm && in_storm_window(shift, firing->ts_ms, firing->window_ms)
				? " (storm)"
				: "",
			(double)(firing->ts_ms - shift->start_ms) / MS_PER_HOUR, firing->why);
	}
}

/* ---- --dump: each false alert's run of evidence -------------------------------------------- */

/* A field's text after "key": in line[0..len) (up to the next '"' or ','), into out. */
static bool line_field(const char *line, size_t len, const char *key, char *out, size_t size)
{
	size_t key_len = strlen(key);

	for (size_t i = 0; i + key_len < len; i++) {
		if (memcmp(line + i, key, key_len) != 0)
			continue;
		size_t from = i + key_len + (line[i + key_len] == '"');
		size_t n = 0;
		while (from + n < len && line[from + n] != '"' && line[from + n] != ',' &&
		       line[from + n] != '}' && n + 1 < size)
			n++;
		memcpy(out, line + from, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* The line starting at offset: its length. */
static size_t line_length(const struct bench_shift *shift, size_t offset)
{
	const char *end = memchr(shift->text + offset, '\n', shift->text_len - offset);

	return end ? (size_t)(end - shift->text - offset) : shift->text_len - offset;
}

/* The offset of the latest line before offset that begins with prefix, or SIZE_MAX. */
static size_t find_line_before(const struct bench_shift *shift, size_t offset, const char *prefix)
{
	size_t prefix_len = strlen(prefix);

	while (offset > 0) {
		size_t start = offset - 1;
		while (start > 0 && shift->text[start - 1] != '\n')
			start--;
		if (offset - start > prefix_len &&
		    memcmp(shift->text + start, prefix, prefix_len) == 0)
			return start;
		offset = start;
	}
	return SIZE_MAX;
}

/* The redial that made a callback (its call_end line at offset), in words: its talk seconds,
 * who ended it, and whether it got an incident. *real: it had one (both generators give
 * every real redial an incident; a pocket dialer's redial gets none). */
static void describe_redial(const struct bench_shift *shift, size_t offset, char *out,
			    size_t size, bool *real)
{
	const char *end_line = shift->text + offset;
	size_t end_len = line_length(shift, offset);
	char id[64], end_ts[32], start_ts[32], released[16], prefix[128];

	*real = false;
	if (!line_field(end_line, end_len, "\"call_id\":", id, sizeof(id)) ||
	    !line_field(end_line, end_len, "\"ts\":", end_ts, sizeof(end_ts)) ||
	    !line_field(end_line, end_len, "\"released_by\":", released, sizeof(released))) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(prefix, sizeof(prefix), "{\"type\":\"call_start\",\"call_id\":\"%s\"", id);
	size_t start = find_line_before(shift, offset, prefix);
	snprintf(prefix, sizeof(prefix), "{\"type\":\"incident\",\"call_id\":\"%s\"", id);
	bool incident = find_line_before(shift, offset, prefix) != SIZE_MAX;
	double talk_s = -1.0;
	if (start != SIZE_MAX &&
	    line_field(shift->text + start, line_length(shift, start), "\"ts\":", start_ts,
		       sizeof(start_ts)))
		talk_s = (double)(strtoll(end_ts, NULL, 10) - strtoll(start_ts, NULL, 10)) / 1000.0;
	*real = incident;
	snprintf(out, size, "redial %s %.0f s, ended by %s%s", id, talk_s, released,
		 incident ? ", incident" : "");
}

/* What one false alert's run was made of. */
struct run_reading {
	unsigned calls, premature, callbacks, real_callbacks;
	double expected, hangups_llr, others_llr, callbacks_llr;
	double max_without_callbacks; /* the same run's CUSUM with no callback counted */
	int64_t start_ms;             /* the run's first step */
};

static void read_run(const struct trace *trace, const struct bench_shift *shift, unsigned op,
		     size_t from, size_t to, struct run_reading *run)
{
	const struct trace_step *steps = trace->operators[op].steps;
	double without = 0.0;

	*run = (struct run_reading){ .start_ms = from < to ? steps[from].ts_ms : 0 };
	for (size_t i = from; i < to; i++) {
		const struct trace_step *step = &steps[i];
		if (step->kind == TRACE_CALLBACK) {
			bool real;
			char words[160];
			describe_redial(shift, step->line_offset, words, sizeof(words), &real);
			run->callbacks += step->callbacks;
			run->real_callbacks += real ? step->callbacks : 0;
			run->callbacks_llr += step->llr;
			continue;
		}
		run->calls++;
		run->premature += step->premature;
		run->expected += step->p0;
		*(step->premature ? &run->hangups_llr : &run->others_llr) += step->llr;
		without = fmax(0.0, without + step->llr);
		run->max_without_callbacks = fmax(run->max_without_callbacks, without);
	}
}

/* An operator's calls and premature hangups in [from_ms, to_ms), and the rest of their
 * agency's (the operators the trace saw with the same agency). */
static void shift_shares(const struct bench_shift *shift, const struct trace *trace, unsigned op,
			 int64_t from_ms, int64_t to_ms, unsigned counts[4])
{
	memset(counts, 0, 4 * sizeof(unsigned));
	for (size_t i = 0; i < shift->call_count; i++) {
		const struct ref_call *call = &shift->calls[i];
		if (call->end_ms < from_ms || call->end_ms >= to_ms ||
		    strcmp(trace->operators[call->op].agency, trace->operators[op].agency) != 0)
			continue;
		unsigned *pair = call->op == op ? &counts[0] : &counts[2];
		pair[0]++;
		pair[1] += call->premature;
	}
}

/* The operators the trace saw in op's agency. */
static unsigned agency_size(const struct bench_shift *shift, const struct trace *trace,
			    unsigned op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < shift->operator_count; i++)
		n += strcmp(trace->operators[i].agency, trace->operators[op].agency) == 0;
	return n;
}

/* The alert's first class: pocket (the high-pocket position), storm (the run began in the
 * storm), callback (it would not have crossed without them), carried (the run began in an
 * earlier shift or the history), own-rate (the generator gave the operator a pocket share
 * OWN_RATE_FACTOR times their agency's or more), else chance. */
static const char *classify_run(const struct bench_shift *shift, unsigned op,
				const struct run_reading *run, double threshold,
				int64_t shift_start_ms)
{
	if ((int)op == shift->high_pocket_operator)
		return "pocket";
	if (shift->has_storm && run->start_ms >= shift->storm_start_ms &&
	    run->start_ms < shift->storm_end_ms)
		return "storm";
	if (run->callbacks && run->max_without_callbacks < threshold)
		return "callback";
	if (run->start_ms < shift_start_ms)
		return "carried";
	if (shift->pocket_factor[op] >= OWN_RATE_FACTOR)
		return "own-rate";
	return "chance";
}

static void print_steps(const struct trace *trace, const struct bench_shift *shift, unsigned op,
			size_t from, size_t to)
{
	const struct trace_step *steps = trace->operators[op].steps;

	for (size_t i = from; i < to; i++) {
		const struct trace_step *step = &steps[i];
		double at_h = (double)(step->ts_ms - shift->start_ms) / MS_PER_HOUR;
		if (step->kind == TRACE_CALLBACK) {
			char words[160];
			bool real;
			describe_redial(shift, step->line_offset, words, sizeof(words), &real);
			fprintf(stderr, "  %+8.3f h  callback x%u  %+6.2f  S %6.2f  (%s)\n", at_h,
				step->callbacks, step->llr, step->evidence, words);
		} else {
			fprintf(stderr, "  %+8.3f h  %s  p0 %.3f  %+6.2f  S %6.2f  f %.2f\n", at_h,
				step->premature ? "EARLY" : "call ", step->p0, step->llr,
				step->evidence, step->own_factor);
		}
	}
}

/* --dump: each false firing with its run of evidence (stderr): the calls since the evidence
 * last left 0, each with its expectation and ratio, the callbacks with their redials, the
 * evidence's terms, the operator's share of early ends over the shift against the rest of
 * their agency's, and a class (classify_run) on a "class" line for counting. */
static void dump_false_firings(const struct bench_case *bench_case, uint64_t seed,
			       const struct bench_shift *shift, const struct shift_alerts *alerts,
			       const struct trace *trace)
{
	for (size_t i = 0; i < alerts->count; i++) {
		const struct firing *firing = &alerts->firings[i];
		unsigned op = firing->operator_index, counts[4];
		if (firing->ts_ms < shift->start_ms || op >= shift->operator_count ||
		    firing->ts_ms >= shift->onset_ms[op])
			continue;
		int64_t shift_start_ms =
			shift->start_ms + (int64_t)shift_of(shift, firing->ts_ms) *
						  shift->shift_period_ms;
		size_t to, from = trace_run_start(trace, op, firing->ts_ms, &to);
		struct run_reading run;
		read_run(trace, shift, op, from, to, &run);
		shift_shares(shift, trace, op, shift_start_ms,
			     shift_start_ms + (int64_t)(shift->shift_hours * MS_PER_HOUR), counts);
		bool storm = shift->has_storm &&
			     in_storm_window(shift, firing->ts_ms, firing->window_ms);
		const char *class = classify_run(shift, op, &run, firing->threshold,
						 shift_start_ms);
		fprintf(stderr,
			"class %s %s seed %" PRIu64 " op-%02u %s/%u at +%.2f h run %+.2f h: "
			"%u calls %u early expected %.2f; callbacks %u (%u real); hangups %+.2f "
			"others %+.2f callbacks %+.2f; without callbacks %.2f; h %.2f f %.2f; "
			"shift %u/%u vs rest %u/%u; pocket x%.2f%s\n",
			class, bench_case->label, seed, op + 1, trace->operators[op].agency,
			agency_size(shift, trace, op),
			(double)(firing->ts_ms - shift->start_ms) / MS_PER_HOUR,
			(double)(run.start_ms - shift->start_ms) / MS_PER_HOUR, run.calls,
			run.premature, run.expected, run.callbacks, run.real_callbacks,
			run.hangups_llr, run.others_llr, run.callbacks_llr,
			run.max_without_callbacks, firing->threshold, firing->own_factor, counts[1],
			counts[0], counts[3], counts[2], shift->pocket_factor[op],
			storm ? " (storm window)" : "");
		print_steps(trace, shift, op, from, to);
	}
}

/* The references' thresholds for a row: its generator's, of one shift or of several. */
static const double *reference_thresholds(const struct bench_case *bench_case,
					  const struct bench_options *options)
{
	return bench_case->shifts > 1 ? options->shifts_reference_threshold[bench_case->generator]
				      : options->reference_threshold[bench_case->generator];
}

/* The row's flood of the rogue's agency over the scored shift into buffers (none: empty). */
static int make_flood(const struct bench_case *bench_case, const struct bench_shift *shift,
		      struct scenario_buffers *buffers)
{
	static const char *const agencies[] = { "CITY", "COUNTY", "EMS" };
	struct floodgen_params params = {
		.kind = bench_case->flood,
		.agency = agencies[bench_case->rogue_agency % 3],
		.start_ms = shift->start_ms,
		.end_ms = shift->start_ms + (int64_t)(shift->hours * MS_PER_HOUR),
	};

	buffers->flood_len = 0;
	if (bench_case->flood == FLOODGEN_NONE)
		return 0;
	return floodgen_generate(&params, &buffers->flood, &buffers->flood_len,
				 &buffers->flood_capacity);
}

static int run_case(const struct bench_case *bench_case, const struct bench_options *options,
		    const struct config *config, struct scenario_buffers *buffers,
		    struct score *scores, struct case_summary *summary)
{
	static struct shift_alerts alerts;
	static struct trace trace;
	struct bench_shift *shift = &buffers->shift;

	alerts.keep_why = options->why;

	for (long i = 0; i < options->seeds; i++) {
		long rejected;
		if (make_shift(bench_case, options, options->first_seed + (uint64_t)i, shift,
			       &buffers->text_capacity) != 0 ||
		    reserve_stats(buffers) != 0)
			return -1;
		if (make_flood(bench_case, shift, buffers) != 0)
			return -1;
		if (options->dump)
			trace_begin(&trace, config);
		if ((rejected = run_engine(config, shift,
					   bench_case->flood ? buffers->flood : NULL,
					   buffers->flood_len, bench_case->flood == FLOODGEN_SPLIT,
					   &alerts, options->dump ? &trace : NULL)) < 0) {
			fprintf(stderr, "detection: out of memory for the engine\n");
			return -1;
		}
		summary->rejected_lines += (uint64_t)rejected;
		summary->dropped += alerts.dropped + alerts.unknown_operator;
		if (options->why)
			print_false_firings(bench_case, options->first_seed + (uint64_t)i, shift,
					    &alerts);
		if (options->dump)
			dump_false_firings(bench_case, options->first_seed + (uint64_t)i, shift,
					   &alerts, &trace);
		score_detector(shift, &alerts, &scores[DETECTOR]);
		reference_statistics(shift, buffers->stats);
		score_references(shift, buffers->stats, reference_thresholds(bench_case, options),
				 scores);
		summary->operators = shift->operator_count;
		summary->shift_count = shift->shift_count;
		summary->has_storm = shift->has_storm;
		summary->seeds++;
	}
	return 0;
}

/* Run one scenario over every seed into *summary. */
static void run_scenario(size_t case_index, const struct bench_options *options,
			 const struct config *config, struct case_summary *summary)
{
	struct scenario_buffers buffers = { 0 };
	struct score scores[SCORE_COUNT] = { 0 };
	bool ok = true;

	*summary = (struct case_summary){ .case_index = case_index };
	for (int k = 0; k < SCORE_COUNT; k++)
		ok &= (scores[k].hours_to_alert =
			       calloc((size_t)options->seeds * 16 + 1, sizeof(double))) != NULL;
	if (ok && run_case(&cases[case_index], options, config, &buffers, scores, summary) == 0)
		for (int k = 0; k < SCORE_COUNT; k++)
			summarize_score(&scores[k], &summary->scores[k]);
	else
		summary->status = -1;
	for (int k = 0; k < SCORE_COUNT; k++)
		free(scores[k].hours_to_alert);
	free(buffers.shift.text);
	free(buffers.flood);
	free(buffers.shift.calls);
	free(buffers.stats);
}

/* The operator-shifts with at least one firing. */
static size_t flagged_operator_shifts(const struct bench_shift *shift,
				      const struct shift_alerts *alerts)
{
	static bool flagged[MAX_OPERATORS][MAX_SHIFTS];
	size_t count = 0;

	memset(flagged, 0, sizeof(flagged));
	for (size_t k = 0; k < alerts->count; k++) {
		const struct firing *firing = &alerts->firings[k];
		if (firing->operator_index < shift->operator_count)
			flagged[firing->operator_index][shift_of(shift, firing->ts_ms)] = true;
	}
	for (unsigned op = 0; op < shift->operator_count; op++)
		for (unsigned k = 0; k < shift->shift_count; k++)
			count += flagged[op][k];
	return count;
}

/* The references' thresholds for one generator: on its honest baseline scenario, the value
 * that as many honest operator-shifts exceed as cadmon flagged there (at least
 * FALSE_TARGET_PER_100 per 100): the three are compared at equal false-alarm rate. */
static int calibrate(const struct bench_options *options, const struct config *config,
		     size_t baseline_case, double *thresholds, double *detector_per_100)
{
	static struct shift_alerts alerts;
	struct scenario_buffers buffers = { 0 };
	double *maxima = NULL;
	size_t count = 0, capacity = 0, flagged = 0;
	int rc = 0;

	for (long i = 0; i < options->seeds && rc == 0; i++) {
		rc = make_shift(&cases[baseline_case], options, options->first_seed + (uint64_t)i,
				&buffers.shift, &buffers.text_capacity) != 0 ||
				     reserve_stats(&buffers) != 0
			     ? -1
			     : 0;
		size_t operator_shifts =
			(size_t)buffers.shift.operator_count * buffers.shift.shift_count;
		if (rc == 0 && count + operator_shifts > capacity) {
			capacity = (count + operator_shifts) * 2;
			double *grown = realloc(maxima, 2 * capacity * sizeof(double));
			rc = grown ? 0 : -1;
			maxima = grown ? grown : maxima;
		}
		if (rc == 0 &&
		    run_engine(config, &buffers.shift, NULL, 0, false, &alerts, NULL) < 0)
			rc = -1;
		if (rc == 0) {
			reference_statistics(&buffers.shift, buffers.stats);
			reference_maxima(&buffers.shift, buffers.stats, maxima, &count);
			flagged += flagged_operator_shifts(&buffers.shift, &alerts);
		}
	}
	*detector_per_100 = count ? 100.0 * (double)flagged / (double)count : 0.0;
	for (int which = 0; which < 2 && rc == 0; which++) {
		double *values = malloc((count + 1) * sizeof(double));
		if (!values) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < count; i++)
			values[i] = maxima[2 * i + which];
		qsort(values, count, sizeof(double), compare_doubles);
		size_t allowed = (size_t)(FALSE_TARGET_PER_100 / 100.0 * (double)count);
		if (allowed < flagged)
			allowed = flagged; /* at equal false-alarm rate: cadmon's own, if higher */
		thresholds[REF_CUSUM + which] =
			count ? values[count - 1 - (allowed < count ? allowed : count - 1)] + 1e-9
			      : 1.0;
		free(values);
	}
	free(maxima);
	free(buffers.shift.text);
	free(buffers.shift.calls);
	free(buffers.stats);
	return rc;
}

/* ---- workers ------------------------------------------------------------------------------ */

/* Is label one of the comma-separated names of list? */
static bool list_has(const char *list, const char *label)
{
	size_t len = strlen(label);

	for (const char *at = list; at; at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL)
		if (strncmp(at, label, len) == 0 && (at[len] == ',' || at[len] == '\0'))
			return true;
	return false;
}

static bool selected(const struct bench_options *options, size_t case_index)
{
	return !options->only || list_has(options->only, cases[case_index].label);
}

/* Does a several-shift row of the generator run? */
static bool shifts_selected(const struct bench_options *options, enum generator generator)
{
	for (size_t i = 0; i < CASE_COUNT; i++)
		if (cases[i].shifts > 1 && cases[i].generator == generator && selected(options, i))
			return true;
	return false;
}

/* A worker: scenarios job, job + jobs, ... each summary written to fd. */
static int run_worker(long job, const struct bench_options *options, const struct config *config,
		      int fd)
{
	for (size_t i = (size_t)job; i < CASE_COUNT; i += (size_t)options->jobs) {
		struct case_summary summary;
		if (!selected(options, i))
			continue;
		run_scenario(i, options, config, &summary);
		if (write(fd, &summary, sizeof(summary)) != (ssize_t)sizeof(summary))
			return 1;
	}
	return 0;
}

/* Read a worker's summaries into summaries[] by scenario, until it closes its pipe. */
static void read_summaries(int fd, struct case_summary *summaries, bool *arrived)
{
	struct case_summary summary;

	while (read(fd, &summary, sizeof(summary)) == (ssize_t)sizeof(summary) &&
	       summary.case_index < CASE_COUNT) {
		summaries[summary.case_index] = summary;
		arrived[summary.case_index] = true;
	}
}

/* Start the workers, each with a pipe back; how many started (their fds in fds[]). */
static long start_workers(const struct bench_options *options, const struct config *config,
			  int *fds, pid_t *pids)
{
	long started = 0;

	fflush(stdout);
	for (long job = 0; job < options->jobs; job++) {
		int pipe_fds[2];
		if (pipe(pipe_fds) != 0)
			break;
		pids[job] = fork();
		if (pids[job] == 0) {
			close(pipe_fds[0]);
			_exit(run_worker(job, options, config, pipe_fds[1]));
		}
		close(pipe_fds[1]);
		if (pids[job] < 0) {
			close(pipe_fds[0]);
			break;
		}
		fds[started++] = pipe_fds[0];
	}
	return started;
}

/* Every selected scenario's summary, computed by options->jobs workers (1: in-process). */
static int collect_summaries(const struct bench_options *options, const struct config *config,
			     struct case_summary *summaries, bool *arrived)
{
	int fds[MAX_JOBS];
	pid_t pids[MAX_JOBS];
	long started;

	if (options->jobs == 1) {
		for (size_t i = 0; i < CASE_COUNT; i++)
			if (selected(options, i)) {
				run_scenario(i, options, config, &summaries[i]);
				arrived[i] = true;
			}
		return 0;
	}
	started = start_workers(options, config, fds, pids);
	for (long job = 0; job < started; job++) {
		read_summaries(fds[job], summaries, arrived);
		close(fds[job]);
		waitpid(pids[job], NULL, 0);
	}
	if (started < options->jobs) {
		fprintf(stderr, "detection: cannot start worker %ld: %s\n", started,
			strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < CASE_COUNT; i++) {
		if (selected(options, i) && !arrived[i]) {
			fprintf(stderr, "detection: %s: its worker died\n", cases[i].label);
			return -1;
		}
	}
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

static double false_per_100(const struct score_summary *score)
{
	return score->honest_hours > 0
		       ? 100.0 * score->false_alerts / (score->honest_hours / SHIFT_HOURS)
		       : 0;
}

/* A sequential rule's rate_max_gap_seconds, when it is set, as print_rule shows it. */
static const char *rate_max_gap(const struct config_rule *rule)
{
	static char text[48];

	text[0] = '\0';
	if (rule->rate_max_gap_seconds > 0)
		snprintf(text, sizeof(text), "  rate_max_gap %" PRIu32 " s",
			 rule->rate_max_gap_seconds);
	return text;
}

static void print_rule(const struct config_rule *rule)
{
	if (rule->type == CONFIG_RULE_SEQUENTIAL)
		printf("  %-10s sequential %6" PRIu32 " s  cut_share %g  false_alarm_calls %" PRIu32
		       "  threshold %g  "
		       "called_back_weight %g  history_prior %g  max_own_factor %g  "
		       "false_alarm_hours %" PRIu32 "  rate_half_life %" PRIu32 " s%s  "
		       "max_calls_per_hour %" PRIu32 "  history_settled_prior %g (from %g)%s%s"
		       "  %s\n",
		       rule->name, rule->window_seconds, rule->cut_share, rule->false_alarm_calls,
		       rule->threshold, rule->called_back_weight, rule->history_prior,
		       rule->max_own_factor, rule->false_alarm_hours, rule->rate_half_life_seconds,
		       rule->hourly_raises ? "  hourly_raises" : "", rule->max_calls_per_hour,
		       rule->history_settled_prior, rule->history_settled_min_expected,
		       rate_max_gap(rule), rule->own_factor_lag ? "  own_factor_lag" : "",
		       rule->severity);
	else if (rule->type == CONFIG_RULE_CUSUM)
		printf("  %-10s cusum   %6" PRIu32 " s  p0 %g  odds_ratio %g  threshold %g  "
		       "min_center_ratio %g  %s\n", rule->name, rule->window_seconds, rule->p0,
		       rule->odds_ratio, rule->threshold, rule->min_center_ratio, rule->severity);
	else
		printf("  %-10s window  %6" PRIu32 " s  min_calls %" PRIu32
		       "  min_premature %" PRIu32 "  min_ratio %g  min_called_back %" PRIu32
		       "  called_back_weight %g  "
		       "max_p_value %g  min_center_ratio %g  %s\n",
		       rule->name, rule->window_seconds, rule->min_calls, rule->min_premature,
		       rule->min_ratio, rule->min_called_back, rule->called_back_weight,
		       rule->max_p_value, rule->min_center_ratio, rule->severity);
}

static void print_config(const struct config *config, const char *path)
{
	const struct config_baseline *baseline = &config->detector.baseline;

	printf("configuration: %s\n", path ? path : "built-in defaults");
	printf("  premature: talk < %g s, no incident or transfer; repeat_window %" PRIu32
	       " s (a redial of %g s or more, or with an incident or transfer); resolve_after "
	       "%" PRIu32 " s\n",
	       config->detector.max_talk_seconds, config->detector.repeat_window_seconds,
	       config->detector.callback_min_talk_seconds, config->detector.resolve_after_seconds);
	printf("  baseline: %s, half_life %g s, prior %g calls at %g, history half_life %g s, "
	       "settle %g s, storm_volume_factor %g (usual half_life %g s), storm_offered_factor "
	       "%g\n",
	       baseline->scope == CONFIG_BASELINE_CENTER ? "center" : "agency",
	       baseline->half_life_seconds, baseline->prior_calls, baseline->prior_ratio,
	       baseline->history_half_life_seconds, baseline->history_settle_seconds,
	       baseline->storm_volume_factor, baseline->storm_usual_half_life_seconds,
	       baseline->storm_offered_factor);
	for (size_t i = 0; i < config->detector.rule_count; i++)
		print_rule(&config->detector.rules[i]);
	printf("\n");
}

static void print_run(const struct bench_options *options)
{
	printf("shifts: seeds %" PRIu64 "..%" PRIu64
	       " of each scenario; sim = tools/sim.c presets (the "
	       "generator the window rules were tuned on), g- = bench/shiftgen.c (written apart, "
	       "other "
	       "distributions), d- = bench/daygen.c (a third, tuned on by nothing: agency queues "
	       "on a day curve)\n",
	       options->first_seed, options->first_seed + (uint64_t)options->seeds - 1);
	if (options->redial_share >= 0)
		printf("cut-off callers who redial: %g in every scenario\n", options->redial_share);
	printf("references, calibrated on each generator's honest baseline to cadmon's own rate "
	       "there (%.3f "
	       "(sim), %.3f (shiftgen), %.3f (daygen) flagged per 100 operator-shifts), at least "
	       "%g:\n"
	       "  Bernoulli CUSUM (p0 = rest of center over 2 h, odds 3): h = %.3f (sim), %.3f "
	       "(shiftgen), %.3f (daygen)\n"
	       "  2-hour binomial vs the rest of the center: -log10 p >= %.3f (sim), %.3f "
	       "(shiftgen), %.3f (daygen)\n\n",
	       options->calibration_per_100[GEN_SIM], options->calibration_per_100[GEN_SHIFTGEN],
	       options->calibration_per_100[GEN_DAYGEN], FALSE_TARGET_PER_100,
	       options->reference_threshold[GEN_SIM][REF_CUSUM],
	       options->reference_threshold[GEN_SHIFTGEN][REF_CUSUM],
	       options->reference_threshold[GEN_DAYGEN][REF_CUSUM],
	       options->reference_threshold[GEN_SIM][REF_BINOMIAL],
	       options->reference_threshold[GEN_SHIFTGEN][REF_BINOMIAL],
	       options->reference_threshold[GEN_DAYGEN][REF_BINOMIAL]);
}

static void print_header(void)
{
	printf("%-12s %5s %4s %4s | %-31s | %-22s | %-22s\n", "", "", "", "",
	       "cadmon (this configuration)", "Bernoulli CUSUM", "2-hour binomial");
	printf("%-12s %5s %4s %4s | %6s %6s %6s %5s %4s | %6s %6s %8s | %6s %6s %8s\n", "scenario",
	       "seeds", "ops", "bad", "caught", "med h", "false", "storm", "pckt", "caught",
	       "med h", "false", "caught", "med h", "false");
}

static void print_score(const struct score_summary *score, bool extra)
{
	if (score->misbehaving > 0)
		printf(" %5.1f%%", 100.0 * score->caught / score->misbehaving);
	else
		printf(" %6s", "-");
	if (score->caught > 0)
		printf(" %6.2f", score->median_hours);
	else
		printf(" %6s", "-");
	printf(extra ? " %6.3f" : " %8.3f", false_per_100(score));
	if (!extra)
		return;
	printf(" %5u", score->storm_false_alerts);
	if (score->pocket_shifts)
		printf(" %3.1f%%", 100.0 * score->pocket_flagged / score->pocket_shifts);
	else
		printf(" %4s", "-");
}

static void print_row(const struct case_summary *summary)
{
	printf("%-12s %5u %4u %4u |", cases[summary->case_index].label, summary->seeds,
	       summary->operators, summary->scores[DETECTOR].misbehaving);
	print_score(&summary->scores[DETECTOR], true);
	printf(" |");
	print_score(&summary->scores[REF_CUSUM], false);
	printf(" |");
	print_score(&summary->scores[REF_BINOMIAL], false);
	printf("%s\n", summary->has_storm ? "  storm" : "");
}

/* Several shifts: caught by the end of the 1st, 2nd, 3rd and last shift, median worked hours;
 * the detector's false alerts (in storm windows) and flagged pocket shifts. */
static void print_shifts_score(const struct score_summary *score, unsigned shift_count,
			       bool extra)
{
	static const unsigned shown[] = { 1, 2, 3 };

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]) + 1; i++) {
		unsigned k = i < sizeof(shown) / sizeof(shown[0]) ? shown[i] : shift_count;
		if (score->misbehaving > 0 && k <= shift_count)
			printf(" %5.1f%%", 100.0 * score->caught_by_shift[k - 1] /
						   score->misbehaving);
		else
			printf(" %6s", "-");
	}
	if (score->caught > 0)
		printf(" %6.2f", score->median_hours);
	else
		printf(" %6s", "-");
	printf(" %6.3f", false_per_100(score));
	if (!extra)
		return;
	printf(" %5u", score->storm_false_alerts);
	if (score->pocket_shifts)
		printf(" %4.1f%%", 100.0 * score->pocket_flagged / score->pocket_shifts);
	else
		printf(" %5s", "-");
}

static void print_shifts_header(const struct bench_options *options, unsigned shift_count)
{
	printf("\nseveral shifts: the same team for %u shifts of 8 h a day apart (logged off 16 h "
	       "between),\nevery shift scored; the rogue from onset in shift 1 on (g5: 1-4.5 h "
	       "in, d5: 0.5-3.5 h);\nthe storms in shift 3\n", shift_count);
	printf("references, calibrated on g5-baseline (g5-) and d5-baseline (d5-) to cadmon's own "
	       "rate there, at least %g\nflagged per 100 operator-shifts:\n", FALSE_TARGET_PER_100);
	for (int g = GEN_SHIFTGEN; g <= GEN_DAYGEN; g++)
		if (shifts_selected(options, (enum generator)g))
			printf("  %s: cadmon %.3f per 100; Bernoulli CUSUM h = %.3f, 2-hour "
			       "binomial -log10 p >= %.3f\n", g == GEN_SHIFTGEN ? "g5" : "d5",
			       options->shifts_calibration_per_100[g],
			       options->shifts_reference_threshold[g][REF_CUSUM],
			       options->shifts_reference_threshold[g][REF_BINOMIAL]);
	printf("\n");
	printf("%-12s %5s %4s %4s | %-48s | %-41s | %-41s\n", "", "", "", "",
	       "cadmon: caught by the end of shift", "Bernoulli CUSUM", "2-hour binomial");
	printf("%-12s %5s %4s %4s | %6s %6s %6s %6s %6s %6s %5s %5s | %6s %6s %6s %6s %6s %6s |"
	       " %6s %6s %6s %6s %6s %6s\n",
	       "scenario", "seeds", "ops", "bad", "1st", "2nd", "3rd", "last", "med wh", "false",
	       "storm", "pckt", "1st", "2nd", "3rd", "last", "med wh", "false", "1st", "2nd",
	       "3rd", "last", "med wh", "false");
}

/* The several-shift rows, after the others: caught by the rogue's shift. */
static void print_shifts_table(const struct bench_options *options,
			       const struct case_summary *summaries, const bool *arrived)
{
	bool header = false;

	for (size_t i = 0; i < CASE_COUNT; i++) {
		const struct case_summary *summary = &summaries[i];
		if (!arrived[i] || summary->status != 0 || cases[i].shifts <= 1)
			continue;
		if (!header)
			print_shifts_header(options, summary->shift_count);
		header = true;
		printf("%-12s %5u %4u %4u |", cases[i].label, summary->seeds, summary->operators,
		       summary->scores[DETECTOR].misbehaving);
		print_shifts_score(&summary->scores[DETECTOR], summary->shift_count, true);
		printf(" |");
		print_shifts_score(&summary->scores[REF_CUSUM], summary->shift_count, false);
		printf(" |");
		print_shifts_score(&summary->scores[REF_BINOMIAL], summary->shift_count, false);
		printf("%s\n", summary->has_storm ? "  storm" : "");
	}
	if (!header)
		return;
	printf("\n1st..last: share of the rogues with a first alarm at or after onset by the end "
	       "of\ntheir 1st, 2nd, 3rd, last shift; med wh: median hours the rogue worked from "
	       "onset\nto it (the 16-h gaps left out); false: per 100 honest 8-hour "
	       "operator-shifts;\npckt: shifts of the high-pocket position flagged (each of its "
	       "shifts counted).\n");
}

/* The storm rows' storm-window false alarms split by whom the storm reached: daygen's storm
 * reaches CITY and COUNTY, not EMS, whose alarms in its hours the storm column counts too. */
static void print_stormed(const struct case_summary *summaries, const bool *arrived)
{
	bool header = false;

	for (size_t i = 0; i < CASE_COUNT; i++) {
		const struct score_summary *score = &summaries[i].scores[DETECTOR];
		if (!arrived[i] || summaries[i].status != 0 || !summaries[i].has_storm)
			continue;
		if (!header)
			printf("\nstorm rows, cadmon's false alarms whose evidence overlapped the "
			       "storm: all (the storm\ncolumn) / of call-takers whose agency the "
			       "storm reached (daygen: CITY, COUNTY; not EMS)\n");
		header = true;
		printf("  %-13s %3u / %u\n", cases[i].label, score->storm_false_alerts,
		       score->stormed_false_alerts);
	}
}

/* The rows in a fixed order; 0, or 1 when a scenario failed to run. */
static int print_table(const struct bench_options *options, const struct case_summary *summaries,
		       const bool *arrived)
{
	int status = 0;

	print_header();
	for (size_t i = 0; i < CASE_COUNT; i++) {
		if (!arrived[i])
			continue;
		if (summaries[i].status != 0) {
			status = 1;
			continue;
		}
		if (cases[i].shifts <= 1)
			print_row(&summaries[i]);
		if (summaries[i].dropped || summaries[i].rejected_lines)
			fprintf(stderr, "detection: %s: %" PRIu64 " firings not scored, %" PRIu64
				" lines rejected\n", cases[i].label, summaries[i].dropped,
				summaries[i].rejected_lines);
	}
	printf("\ncaught: a first alarm for a misbehaving operator at or after onset; med h: "
	       "median hours "
	       "from onset to it;\nfalse: alarms for honest operators (or before onset) per 100 "
	       "8-hour "
	       "operator-shifts; storm: false\nalarms whose evidence overlapped the storm "
	       "(references: "
	       "raised in it or within 2 h after);\npckt: shifts in which the honest "
	       "high-pocket-dial "
	       "position was flagged.\n");
	print_shifts_table(options, summaries, arrived);
	print_stormed(summaries, arrived);
	return status;
}

/* ---- options and main --------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("detection: ", stderr);
	vfprintf(stderr, format, args);
	fputs("\nTry 'detection -h' for help.\n", stderr);
	va_end(args);
	return EXIT_USAGE;
}

static void print_usage(void)
{
	fputs("usage: detection [--seeds N] [--first-seed S] [--config FILE] [--only LIST]\n"
	      "                 [--jobs N] [--redial-share R] [--why] [--dump]\n"
	      "Score a configuration's rules on simulated shifts: misbehaving operators caught,\n"
	      "time and calls from onset to the first alert, false alerts per operator-shift.\n"
	      "\n"
	      "  --seeds N        shifts per scenario (200)\n"
	      "  --first-seed S   seeds S, S+1, ... (1)\n"
	      "  --config FILE    the cadmon.yaml to evaluate (default: the built-in defaults)\n"
	      "  --only LIST      these rows, comma-separated (see the table; e.g. "
	      "g-no-redial,g-storm)\n"
	      "  --jobs N         worker processes (2); 1 runs everything in this process\n"
	      "  --redial-share R share of cut-off callers who ring again (the presets': 0.5)\n"
	      "  --why            print every false alert's explanation (stderr)\n"
	      "  --dump           print every false alert's run of evidence, call by call, with\n"
	      "                   its terms and a class (stderr; bench/README.md, \"False alerts\n"
	      "                   read one by one\")\n"
	      "  -h, --help       show this help\n",
	      stdout);
}

static int parse_count(const char *option, const char *text, long low, long high, long *out)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
		return usage_error("--%s: expected an integer from %ld to %ld, got \"%s\"", option,
				   low, high, text);
	*out = value;
	return 0;
}

/* Is every comma-separated name of list a scenario? */
static bool known_cases(const char *list)
{
	for (const char *at = list; at; at = strchr(at, ',') ? strchr(at, ',') + 1 : NULL) {
		size_t len = strcspn(at, ","), i = 0;
		while (i < CASE_COUNT &&
		       (strlen(cases[i].label) != len || strncmp(cases[i].label, at, len) != 0))
			i++;
		if (i == CASE_COUNT)
			return false;
	}
	return true;
}

enum {
	OPT_SEEDS = 256,
	OPT_FIRST_SEED,
	OPT_CONFIG,
	OPT_ONLY,
	OPT_JOBS,
	OPT_REDIAL_SHARE,
	OPT_WHY,
	OPT_DUMP
};

/* A share from 0 to 1; 0 or EXIT_USAGE. */
static int parse_share(const char *option, const char *text, double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);

	if (errno != 0 || end == text || *end != '\0' || !(value >= 0 && value <= 1))
		return usage_error("--%s: expected a number from 0 to 1, got \"%s\"", option, text);
	*out = value;
	return 0;
}

/* Apply one option; 0 or EXIT_USAGE. */
static int apply_option(struct bench_options *options, int option, const char *value,
			long *first_seed)
{
	switch (option) {
	case OPT_SEEDS:
		return parse_count("seeds", value, 1, MAX_SEEDS, &options->seeds);
	case OPT_FIRST_SEED:
		return parse_count("first-seed", value, 0, 1L << 30, first_seed);
	case OPT_JOBS:
		return parse_count("jobs", value, 1, MAX_JOBS, &options->jobs);
	case OPT_REDIAL_SHARE:
		return parse_share("redial-share", value, &options->redial_share);
	case OPT_WHY:
		options->why = true;
		return 0;
	case OPT_DUMP:
		options->dump = true;
		return 0;
	case OPT_CONFIG:
		options->config_path = value;
		return 0;
	case OPT_ONLY:
		options->only = value;
		return known_cases(value)
			       ? 0
			       : usage_error("--only: unknown scenario in \"%s\"", value);
	default:
		return EXIT_USAGE;
	}
}

/* Fill *options; -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct bench_options *options)
{
	static const struct option long_options[] = {
		{ "seeds", required_argument, NULL, OPT_SEEDS },
		{ "first-seed", required_argument, NULL, OPT_FIRST_SEED },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "redial-share", required_argument, NULL, OPT_REDIAL_SHARE },
		{ "why", no_argument, NULL, OPT_WHY },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long first_seed = 1;
	int option, rc = 0;

	*options = (struct bench_options){ .seeds = DEFAULT_SEEDS, .jobs = DEFAULT_JOBS,
					   .redial_share = -1 };
	opterr = 0;
	while (rc == 0 && (option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (option == 'h') {
			print_usage();
			return 0;
		}
		if (option == ':' || option == '?')
			return usage_error("bad option or missing value: \"%s\"", argv[optind - 1]);
		rc = apply_option(options, option, optarg, &first_seed);
	}
	if (rc == 0 && optind < argc)
		rc = usage_error("unexpected argument \"%s\"", argv[optind]);
	options->first_seed = (uint64_t)first_seed;
	return rc != 0 ? rc : -1;
}

/* The configuration to evaluate: FILE parsed as cadmond would, or the defaults. */
static int load_config(const char *path, struct config *config)
{
	static char text[CONFIG_MAX_BYTES];
	static struct config_errors errors;
	FILE *file;
	size_t len;

	config_set_defaults(config);
	if (!path)
		return 0;
	if (!(file = fopen(path, "r"))) {
		fprintf(stderr, "detection: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(text, 1, sizeof(text), file);
	fclose(file);
	if (len == sizeof(text)) {
		fprintf(stderr, "detection: %s: larger than %d bytes\n", path, CONFIG_MAX_BYTES);
		return -1;
	}
	if (config_parse(text, len, path, config, &errors) == 0)
		return 0;
	for (size_t i = 0; i < errors.count; i++)
		fprintf(stderr, "%s\n", errors.message[i]);
	return -1;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static struct case_summary summaries[CASE_COUNT];
	bool arrived[CASE_COUNT] = { false };
	struct bench_options options;
	struct config config;
	struct timespec started;
	int status = parse_options(argc, argv, &options);

	if (status >= 0)
		return status;
	if (load_config(options.config_path, &config) != 0)
		return 1;
	if (calibrate(&options, &config, case_named("baseline"),
		      options.reference_threshold[GEN_SIM],
		      &options.calibration_per_100[GEN_SIM]) != 0 ||
	    calibrate(&options, &config, case_named("g-baseline"),
		      options.reference_threshold[GEN_SHIFTGEN],
		      &options.calibration_per_100[GEN_SHIFTGEN]) != 0 ||
	    calibrate(&options, &config, case_named("d-baseline"),
		      options.reference_threshold[GEN_DAYGEN],
		      &options.calibration_per_100[GEN_DAYGEN]) != 0) {
		fprintf(stderr, "detection: out of memory calibrating the references\n");
		return 1;
	}
	if ((shifts_selected(&options, GEN_SHIFTGEN) &&
	     calibrate(&options, &config, case_named("g5-baseline"),
		       options.shifts_reference_threshold[GEN_SHIFTGEN],
		       &options.shifts_calibration_per_100[GEN_SHIFTGEN]) != 0) ||
	    (shifts_selected(&options, GEN_DAYGEN) &&
	     calibrate(&options, &config, case_named("d5-baseline"),
		       options.shifts_reference_threshold[GEN_DAYGEN],
		       &options.shifts_calibration_per_100[GEN_DAYGEN]) != 0)) {
		fprintf(stderr, "detection: out of memory calibrating the references\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	print_config(&config, options.config_path);
	print_run(&options);
	if (collect_summaries(&options, &config, summaries, arrived) != 0)
		return 1;
	status = print_table(&options, summaries, arrived);
	printf("(%.1f s, %ld job%s)\n", seconds_since(&started), options.jobs,
	       options.jobs == 1 ? "" : "s");
	return status;
}
