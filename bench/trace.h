/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BENCH_TRACE_H
#define CADMON_BENCH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * trace: each operator's sequential evidence step by step, for bench/detection --dump. The
 * library keeps no per-call record, so the steps are read from the engine's figures
 * (engine_each_operator) after every call_end line: a change of the run's calls, premature
 * hangups and expected count is a call (its expectation p0 is the change of the expected
 * count, its log-likelihood ratio sequential_llr's), what is left of the evidence's change a
 * callback (ln called_back_weight each). A call that leaves the evidence at 0 is not seen
 * (it is in no run); one that takes it to 0 is a reset. Operators are "op-N" (N from 1).
 */

struct config;
struct engine;

enum trace_kind { TRACE_CALL, TRACE_CALLBACK, TRACE_RESET };

struct trace_step {
	int64_t ts_ms;     /* the detector's clock after the line */
	uint8_t kind;      /* enum trace_kind */
	bool premature;    /* TRACE_CALL */
	uint16_t callbacks; /* TRACE_CALLBACK: how many */
	double p0;         /* TRACE_CALL: its expectation (own factor applied) */
	double llr;        /* TRACE_CALL: its ratio; TRACE_CALLBACK: theirs together */
	double evidence;   /* after the step */
	double own_factor; /* at the operator's last call */
	size_t line_offset; /* the call_end line's offset in the feed text */
};

/* What the last line left of an operator's figures. */
struct trace_seen {
	double evidence, expected;
	uint32_t run_calls, run_premature;
};

struct trace_operator {
	struct trace_step *steps;
	size_t count, capacity;
	struct trace_seen seen;
	char agency[32];
};

#define TRACE_MAX_OPERATORS 1000

struct trace {
	size_t rule;            /* the first sequential rule's index; SIZE_MAX: none */
	double cut_share;
	double callback_llr;    /* ln(called_back_weight), 0 when callbacks carry none */
	struct trace_operator operators[TRACE_MAX_OPERATORS];
	size_t line_offset;     /* of the line being read */
	int failed;             /* out of memory while recording */
};

/** Start recording a new shift under config (the steps' memory is kept and reused). */
void trace_begin(struct trace *trace, const struct config *config);

/** Record what the line at line_offset (just processed by engine) changed. */
void trace_after_line(struct trace *trace, const struct engine *engine, size_t line_offset);

/** The first step of the run that was open at ts_ms for operator index op (from 0): after
 * the last reset at or before ts_ms; *end is one past the last step at or before ts_ms. */
size_t trace_run_start(const struct trace *trace, unsigned op, int64_t ts_ms, size_t *end);

void trace_free(struct trace *trace);

#endif
