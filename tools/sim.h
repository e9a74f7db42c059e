/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_SIM_H
#define CADMON_TOOLS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * sim: the shift simulator's generator, shared by cadmon-sim (which writes the lines) and
 * bench/detection (which feeds them to an engine in-process).
 *
 * A scenario holds every parameter of a simulated 911 center's shift. sim_shift_generate
 * turns it into calls and their feed protocol v1 events, sorted by ts; sim_format_event
 * writes one event as a line; sim_write_truth writes what really happened. The result
 * depends only on the scenario: the PRNG (xoshiro256** seeded by splitmix64), the samplers
 * and even log/exp are implemented with IEEE-exact arithmetic (compile with
 * -ffp-contract=off), so a seed gives the same bytes on every platform. Each feature draws
 * from its own random stream, so turning one on leaves the rest of the shift as it was.
 *
 * Memory is proportional to the shift (about 160 bytes a call: the call and room for its four
 * events) and capped at SIM_MAX_CALLS.
 */

#define SIM_MAX_OPERATORS 999
#define SIM_MAX_HOURS 168.0
#define SIM_MAX_CALLS_PER_HOUR 120.0
#define SIM_MAX_CALLS 1000000u   /* memory bound: ~160 bytes a call, 160 MB at most */
#define SIM_MAX_MISCONDUCT 16    /* misbehaving operators a scenario can hold */
#define SIM_MAX_STORM_VOLUME 5.0 /* the storm multiplies call volume by at most this */
#define SIM_NAME_MAX 31
#define SIM_AGENCY_MAX 32
#define SIM_ANI_DIGITS 10
#define SIM_LINE_MAX 512         /* longest feed line written, with room to spare */
#define SIM_WHY_MAX 256          /* an error message, with its NUL */
#define SIM_CUT_OFF_MIN_SECONDS 3.0  /* a misbehaving operator lets the caller talk this long */
#define SIM_CUT_OFF_MAX_SECONDS 18.0 /* ... up to this */

/* An operator who, from onset on, hangs up early on a share of real calls. */
struct sim_misconduct {
	unsigned operator_index; /* 0-based: operator_index 4 is "op-05" */
	double onset_hours;      /* from the start of the shift */
	double hangup_share;     /* of real calls after onset */
	double min_talk_seconds; /* how long the caller gets before being cut off */
	double max_talk_seconds;
};

/* A storm (a pile-up, a mass-casualty event): for a while every operator answers more calls,
 * and a share of them are short calls the operator ends with nothing to do: the tenth report
 * of the same crash, duplicates, silent lines. Not misconduct. */
struct sim_storm {
	double start_hours;    /* from the start of the shift */
	double hours;          /* 0: no storm */
	double short_share;    /* of the calls answered in the storm */
	double volume_factor;  /* call volume during the storm, times the usual (>= 1) */
	double min_seconds;    /* talk time of the short calls */
	double max_seconds;
};

/* Every parameter of a simulated shift. sim_scenario_defaults or sim_scenario_preset fill
 * it, options adjust it, generation only reads it. */
struct sim_scenario {
	char name[SIM_NAME_MAX + 1];    /* "shift", or the preset's name: in the ground truth */
	uint64_t seed;
	char agency[SIM_AGENCY_MAX + 1];
	unsigned operator_count;
	int64_t start_ms;
	double shift_hours;
	double calls_per_hour;          /* per operator: Poisson arrivals, queued while busy */
	double wrapup_min_seconds;      /* after-call work before the next call is answered */
	double wrapup_max_seconds;
	struct {
		double median_seconds;  /* real calls: lognormal talk time */
		double sigma;           /* of ln(talk time) */
		double min_seconds;
		double max_seconds;
		double incident_share;
		double transfer_share;
		double caller_release_share;
		double system_release_share; /* the rest are released by the operator */
	} real;
	struct {
		double share;           /* pocket dials and silent lines */
		double min_seconds;
		double max_seconds;
		double repeat_share;    /* comes again from a recent pocket dialer's number */
	} pocket;
	struct {
		double share;           /* caller hangs up within seconds */
		double min_seconds;
		double max_seconds;
	} abandoned;
	double ani_missing_share;       /* calls that arrive without a callback number */
	struct sim_misconduct misconduct[SIM_MAX_MISCONDUCT];
	size_t misconduct_count;
	struct sim_storm storm;
	struct {
		double share;           /* of cut-off callers who ring 911 again; 0: none do */
		double min_seconds;     /* after being cut off */
		double max_seconds;
		double incident_share;  /* of redials: the emergency is real */
	} redial;
};

enum sim_call_kind {
	SIM_CALL_REAL,
	SIM_CALL_POCKET,
	SIM_CALL_ABANDONED,
	SIM_CALL_CUT_OFF,  /* a real call a misbehaving operator hung up on */
	SIM_CALL_STORM,    /* a short call of the storm, ended by the operator */
	SIM_CALL_REDIAL,   /* a cut-off caller ringing again: a real call */
};

enum sim_release {
	SIM_RELEASED_BY_OPERATOR,
	SIM_RELEASED_BY_CALLER,
	SIM_RELEASED_BY_SYSTEM,
};

struct sim_call {
	int64_t start_ms;
	int64_t end_ms;
	int64_t incident_ms;      /* -1: no incident */
	int64_t transfer_ms;      /* -1: no transfer */
	uint32_t operator_index;
	uint32_t number;          /* 1.. in order of start: the call_id */
	uint32_t incident_number; /* 1.. in order of start, when incident_ms >= 0 */
	uint32_t sequence;        /* creation order: the last tie-breaker of the sort */
	uint8_t kind;             /* enum sim_call_kind */
	uint8_t released_by;      /* enum sim_release */
	uint8_t transfer_target;  /* which agency a transfer goes to */
	bool redialed;            /* a cut-off call whose caller rang again */
	char ani[SIM_ANI_DIGITS + 1]; /* "" when the number was not delivered */
};

enum sim_event_type {
	SIM_EVENT_CALL_START,
	SIM_EVENT_INCIDENT,
	SIM_EVENT_TRANSFER,
	SIM_EVENT_CALL_END,
};

struct sim_event {
	int64_t ts_ms;
	uint32_t call_index; /* into sim_shift.calls */
	uint32_t seq;        /* creation order: breaks ties, so the sort is stable */
	uint8_t type;        /* enum sim_event_type */
};

/* A generated shift: calls sorted by start, events sorted by ts. Zero-initialize it before
 * the first sim_shift_generate; generating again reuses its memory; sim_shift_free frees it. */
struct sim_shift {
	struct sim_call *calls;
	size_t call_count;
	size_t call_capacity;
	struct sim_event *events;
	size_t event_count;
	size_t event_capacity;
};

/* What one operator's calls were, by kind. */
struct sim_operator_counts {
	unsigned calls;
	unsigned pocket_dials;
	unsigned abandoned_calls;
	unsigned cut_off_calls;
	unsigned cut_off_redialed; /* cut-off calls whose caller rang again */
	unsigned storm_calls;      /* short storm calls */
	unsigned redials_answered; /* redials this operator answered */
};

/** Fill *scenario with the classic shift: 12 operators, 8 hours from 2026-11-29T06:00Z,
 * 10 calls an hour each, op-05 hanging up on 33% of real calls from 3 hours in, no storm,
 * no redials. */
void sim_scenario_defaults(struct sim_scenario *scenario);

/** Fill *scenario with the named preset (see sim_preset_name); -1 if there is none. */
int sim_scenario_preset(struct sim_scenario *scenario, const char *name);

/** The i-th preset's name and a one-line description; NULL past the last one. */
const char *sim_preset_name(size_t i);
const char *sim_preset_summary(size_t i);

/** Check the scenario's ranges and consistency; 0, or -1 with a message in why. */
int sim_scenario_check(const struct sim_scenario *scenario, char *why, size_t why_size);

/** The misbehaviour of an operator, NULL for an honest one. */
const struct sim_misconduct *sim_misconduct_of(const struct sim_scenario *scenario,
					       unsigned operator_index);

/** Event times (ms since the epoch) of the shift's end, an onset, the storm's start and end. */
int64_t sim_shift_end_ms(const struct sim_scenario *scenario);
int64_t sim_onset_ms(const struct sim_scenario *scenario, const struct sim_misconduct *misconduct);
int64_t sim_storm_start_ms(const struct sim_scenario *scenario);
int64_t sim_storm_end_ms(const struct sim_scenario *scenario);

/**
 * Generate the whole shift of a checked scenario into *shift (calls by start, events by ts).
 * Returns 0, or -1 with a message in why (more than SIM_MAX_CALLS calls, out of memory).
 */
int sim_shift_generate(const struct sim_scenario *scenario, struct sim_shift *shift, char *why,
		       size_t why_size);

/** Free a shift's memory; it is then empty and can be generated again. */
void sim_shift_free(struct sim_shift *shift);

/** Write event number event_index as one protocol v1 line ending in "\n"; its length. */
size_t sim_format_event(const struct sim_scenario *scenario, const struct sim_shift *shift,
			size_t event_index, char line[SIM_LINE_MAX]);

/** Count every operator's calls by kind into counts[operator_count]. */
void sim_count_operators(const struct sim_scenario *scenario, const struct sim_shift *shift,
			 struct sim_operator_counts *counts);

/**
 * Write the ground truth as NDJSON: the scenario on one line, then one line per operator.
 * A feature's fields appear only when it is on (the storm, redials), so a shift without
 * them has the truth it always had. Returns 0, or -1 on a write or allocation failure.
 */
int sim_write_truth(FILE *file, const struct sim_scenario *scenario, const struct sim_shift *shift);

#endif
