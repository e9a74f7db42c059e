/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "sequential.h"

void trace_begin(struct trace *trace, const struct config *config)
{
	trace->rule = SIZE_MAX;
	for (size_t r = 0; r < config->detector.rule_count && trace->rule == SIZE_MAX; r++)
		if (config->detector.rules[r].type == CONFIG_RULE_SEQUENTIAL)
			trace->rule = r;
	if (trace->rule != SIZE_MAX) {
		const struct config_rule *rule = &config->detector.rules[trace->rule];
		trace->cut_share = rule->cut_share;
		trace->callback_llr =
			rule->called_back_weight > 1.0 ? log(rule->called_back_weight) : 0.0;
	}
	for (size_t i = 0; i < TRACE_MAX_OPERATORS; i++) {
		trace->operators[i].count = 0;
		trace->operators[i].seen = (struct trace_seen){ 0 };
		trace->operators[i].agency[0] = '\0';
	}
	trace->failed = 0;
}

static struct trace_step *new_step(struct trace *trace, struct trace_operator *op)
{
	if (op->count == op->capacity) {
		size_t capacity = op->capacity ? op->capacity * 2 : 256;
		struct trace_step *grown = realloc(op->steps, capacity * sizeof(*grown));
		if (!grown) {
			trace->failed = 1;
			return NULL;
		}
		op->steps = grown;
		op->capacity = capacity;
	}
	return &op->steps[op->count++];
}

/* The callbacks in what is left of the evidence's change. */
static uint16_t callbacks_in(const struct trace *trace, double rest)
{
	if (!(trace->callback_llr > 0.0) || rest < trace->callback_llr / 2)
		return 0;
	return (uint16_t)lround(rest / trace->callback_llr);
}

/* One operator's change since the last line, as steps. */
static void record_change(struct trace *trace, struct trace_operator *op,
			  const struct detector_rule_figures *now, int64_t ts_ms)
{
	const struct trace_seen *seen = &op->seen;
	struct trace_step step = { .ts_ms = ts_ms, .evidence = now->evidence,
				   .own_factor = now->own_factor,
				   .line_offset = trace->line_offset };
	bool new_run = seen->evidence <= 0.0 || now->run_calls < seen->run_calls;
	double before = new_run ? 0.0 : seen->evidence;
	uint32_t calls = now->run_calls - (new_run ? 0 : seen->run_calls);
	struct trace_step *out;

	if (now->evidence <= 0.0) {
		step.kind = TRACE_RESET;
		if ((out = new_step(trace, op)))
			*out = step;
		return;
	}
	if (calls == 1) {
		step.kind = TRACE_CALL;
		step.p0 = now->expected - (new_run ? 0.0 : seen->expected);
		step.premature = now->run_premature > (new_run ? 0 : seen->run_premature);
		step.llr = sequential_llr(step.p0, trace->cut_share, step.premature);
		before += step.llr;
		step.evidence = before;
		if ((out = new_step(trace, op)))
			*out = step;
	}
	uint16_t callbacks = callbacks_in(trace, now->evidence - before);
	if (callbacks == 0)
		return;
	step.kind = TRACE_CALLBACK;
	step.premature = false;
	step.p0 = 0.0;
	step.callbacks = callbacks;
	step.llr = callbacks * trace->callback_llr;
	step.evidence = now->evidence;
	if ((out = new_step(trace, op)))
		*out = step;
}

static void after_operator(const struct detector_operator_figures *figures, void *ctx)
{
	struct trace *trace = ctx;
	unsigned number;
	char tail;

	if (trace->rule >= figures->rule_count ||
	    sscanf(figures->operator_id, "op-%u%c", &number, &tail) != 1 || number == 0 ||
	    number > TRACE_MAX_OPERATORS)
		return;
	struct trace_operator *op = &trace->operators[number - 1];
	const struct detector_rule_figures *now = &figures->rules[trace->rule];

	if (!op->agency[0])
		snprintf(op->agency, sizeof(op->agency), "%s", figures->agency);
	if (now->evidence == op->seen.evidence && now->run_calls == op->seen.run_calls &&
	    now->expected == op->seen.expected)
		return;
	record_change(trace, op, now, figures->history_end_ms);
	op->seen = (struct trace_seen){ now->evidence, now->expected, now->run_calls,
					now->run_premature };
}

void trace_after_line(struct trace *trace, const struct engine *engine, size_t line_offset)
{
	if (trace->rule == SIZE_MAX)
		return;
	trace->line_offset = line_offset;
	engine_each_operator(engine, after_operator, trace);
}

size_t trace_run_start(const struct trace *trace, unsigned op, int64_t ts_ms, size_t *end)
{
	const struct trace_operator *steps = &trace->operators[op];
	size_t last = 0, start = 0;

	while (last < steps->count && steps->steps[last].ts_ms <= ts_ms)
		last++;
	for (size_t i = last; i > 0; i--)
		if (steps->steps[i - 1].kind == TRACE_RESET) {
			start = i;
			break;
		}
	*end = last;
	return start;
}

void trace_free(struct trace *trace)
{
	for (size_t i = 0; i < TRACE_MAX_OPERATORS; i++) {
		free(trace->operators[i].steps);
		trace->operators[i] = (struct trace_operator){ 0 };
	}
}
