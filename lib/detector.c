/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "detector.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define INITIAL_WINDOW_CALLS 16

/* A completed call as the windows remember it. */
struct window_call {
	int64_t start_ms;
	int64_t end_ms;
	bool premature;
	char call_id[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
};

/* One call-taker: the calls of the longest window, oldest first, in a ring. */
struct operator_state {
	uint64_t hash;
	char agency[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	struct window_call *calls; /* capacity is a power of two */
	uint32_t capacity;
	uint32_t oldest;           /* ring index of the oldest call */
	uint32_t count;
	int64_t now_ms;            /* newest call end: the operator's event-time clock */
	bool firing[CONFIG_MAX_RULES];
};

/* What one rule sees in one operator's window. */
struct window_counts {
	uint32_t calls;
	uint32_t premature;
	uint32_t first; /* logical index of the oldest call inside the window */
};

struct detector {
	struct config config;
	int64_t max_talk_ms;
	int64_t longest_window_ms;
	detector_alert_fn on_alert;
	void *ctx;
	struct operator_state **operators; /* open addressing, load factor <= 1/2 */
	uint32_t operator_mask;
	uint64_t next_seq;
	struct alert_callback *callbacks; /* scratch for one alert, max_window_calls long */
	struct detector_stats stats;
};

static uint32_t power_of_two_at_least(uint64_t n)
{
	uint32_t result = 16;

	while (result < n)
		result *= 2;
	return result;
}

struct detector *detector_new(const struct config *config, detector_alert_fn on_alert, void *ctx)
{
	struct detector *detector = calloc(1, sizeof(*detector));

	if (!detector)
		return NULL;
	detector->config = *config;
	detector->max_talk_ms = (int64_t)(config->detector.max_talk_seconds * 1000.0 + 0.5);
	detector->longest_window_ms = (int64_t)config_longest_window_seconds(config) * 1000;
	detector->on_alert = on_alert;
	detector->ctx = ctx;
	detector->next_seq = 1;
	uint32_t slots = power_of_two_at_least(2 * (uint64_t)config->tracker.max_operators);
	detector->operators = calloc(slots, sizeof(*detector->operators));
	detector->callbacks = calloc(config->tracker.max_window_calls, sizeof(*detector->callbacks));
	detector->operator_mask = slots - 1;
	if (!detector->operators || !detector->callbacks) {
		detector_free(detector);
		return NULL;
	}
	return detector;
}

void detector_free(struct detector *detector)
{
	if (!detector)
		return;
	if (detector->operators) {
		for (uint32_t i = 0; i <= detector->operator_mask; i++) {
			if (detector->operators[i]) {
				free(detector->operators[i]->calls);
				free(detector->operators[i]);
			}
		}
	}
	free(detector->operators);
	free(detector->callbacks);
	free(detector);
}

bool detector_is_premature(const struct detector *detector, const struct completed_call *call)
{
	return (call->released_by & detector->config.detector.released_by_mask) &&
	       call->end_ms - call->start_ms < detector->max_talk_ms && !call->had_incident &&
	       !call->had_transfer;
}

static void copy_text(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The operator's state, created on first sight; NULL when the table is full. */
static struct operator_state *find_operator(struct detector *detector, const char *agency,
					    const char *operator_id)
{
	uint64_t hash = hash_string_pair(agency, operator_id);
	uint32_t i = (uint32_t)hash & detector->operator_mask;
	struct operator_state *state;

	while ((state = detector->operators[i])) {
		if (state->hash == hash && strcmp(state->operator_id, operator_id) == 0 &&
		    strcmp(state->agency, agency) == 0)
			return state;
		i = (i + 1) & detector->operator_mask;
	}
	if (detector->stats.operators >= detector->config.tracker.max_operators)
		return NULL;
	state = calloc(1, sizeof(*state));
	if (!state)
		return NULL;
	state->hash = hash;
	copy_text(state->agency, agency, sizeof(state->agency));
	copy_text(state->operator_id, operator_id, sizeof(state->operator_id));
	state->now_ms = INT64_MIN;
	detector->operators[i] = state;
	detector->stats.operators++;
	return state;
}

static struct window_call *call_at(const struct operator_state *state, uint32_t logical)
{
	return &state->calls[(state->oldest + logical) & (state->capacity - 1)];
}

static void drop_oldest(struct operator_state *state)
{
	state->oldest = (state->oldest + 1) & (state->capacity - 1);
	state->count--;
}

/* Make room for one more call: grow the ring up to max_window_calls, else evict the oldest. */
static bool reserve_call(struct detector *detector, struct operator_state *state)
{
	uint32_t limit = detector->config.tracker.max_window_calls;

	if (state->count < state->capacity)
		return true;
	if (state->capacity >= limit) {
		drop_oldest(state);
		detector->stats.window_evictions++;
		return true;
	}
	uint32_t capacity = state->capacity ? state->capacity * 2 : INITIAL_WINDOW_CALLS;
	if (capacity > limit)
		capacity = limit;
	struct window_call *calls = malloc((size_t)capacity * sizeof(*calls));
	if (!calls)
		return false;
	for (uint32_t i = 0; i < state->count; i++)
		calls[i] = *call_at(state, i);
	free(state->calls);
	state->calls = calls;
	state->capacity = capacity;
	state->oldest = 0;
	return true;
}

/* Insert keeping end-time order; a late call is slid back past newer ones. */
static void insert_call(struct operator_state *state, const struct window_call *call)
{
	uint32_t position = state->count;

	while (position > 0 && call_at(state, position - 1)->end_ms > call->end_ms) {
		*call_at(state, position) = *call_at(state, position - 1);
		position--;
	}
	*call_at(state, position) = *call;
	state->count++;
}

/* Forget calls that have left even the longest window. */
static void trim_expired(struct detector *detector, struct operator_state *state)
{
	while (state->count > 0 && call_at(state, 0)->end_ms <= state->now_ms - detector->longest_window_ms)
		drop_oldest(state);
}

static struct window_counts count_window(const struct operator_state *state, uint32_t window_seconds)
{
	struct window_counts counts = {.first = state->count};
	int64_t edge_ms = state->now_ms - (int64_t)window_seconds * 1000;

	while (counts.first > 0 && call_at(state, counts.first - 1)->end_ms > edge_ms) {
		counts.first--;
		counts.calls++;
		counts.premature += call_at(state, counts.first)->premature;
	}
	return counts;
}

static bool rule_holds(const struct config_rule *rule, const struct window_counts *counts)
{
	return counts->calls >= rule->min_calls && counts->premature >= rule->min_premature &&
	       (double)counts->premature / counts->calls >= rule->min_ratio;
}

/* Gather the window's premature calls, oldest first, into the detector's scratch array. */
static size_t collect_callbacks(struct detector *detector, const struct operator_state *state,
				const struct window_counts *counts)
{
	size_t n = 0;

	for (uint32_t i = counts->first; i < state->count; i++) {
		const struct window_call *call = call_at(state, i);
		if (!call->premature)
			continue;
		struct alert_callback *callback = &detector->callbacks[n++];
		memcpy(callback->call_id, call->call_id, sizeof(callback->call_id));
		memcpy(callback->ani, call->ani, sizeof(callback->ani));
		callback->start_ms = call->start_ms;
		callback->talk_ms = call->end_ms - call->start_ms;
	}
	return n;
}

static void emit_alert(struct detector *detector, const struct operator_state *state,
		       const struct config_rule *rule, const struct window_counts *counts,
		       const struct completed_call *trigger)
{
	struct alert alert = {
		.kind = "firing",
		.seq = detector->next_seq++,
		.ts_ms = state->now_ms,
		.agency = state->agency,
		.operator_id = state->operator_id,
		.position = trigger->position,
		.rule = rule->name,
		.severity = rule->severity,
		.window_seconds = rule->window_seconds,
		.calls = counts->calls,
		.premature = counts->premature,
		.ratio = (double)counts->premature / counts->calls,
		.callbacks = detector->callbacks,
	};

	alert.callback_count = collect_callbacks(detector, state, counts);
	detector->stats.alerts++;
	if (detector->on_alert)
		detector->on_alert(&alert, detector->ctx);
}

/* Fire each rule that has just become true; re-arm each that is false. */
static void evaluate_rules(struct detector *detector, struct operator_state *state,
			   const struct completed_call *trigger)
{
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		const struct config_rule *rule = &detector->config.detector.rules[r];
		struct window_counts counts = count_window(state, rule->window_seconds);
		bool holds = rule_holds(rule, &counts);
		if (holds && !state->firing[r])
			emit_alert(detector, state, rule, &counts, trigger);
		state->firing[r] = holds;
	}
}

enum detector_result detector_add_call(struct detector *detector, const struct completed_call *call)
{
	struct operator_state *state = find_operator(detector, call->agency, call->operator_id);
	struct window_call entry = {.start_ms = call->start_ms, .end_ms = call->end_ms};

	if (!state || !reserve_call(detector, state)) {
		detector->stats.operators_full++;
		return DETECTOR_OPERATORS_FULL;
	}
	entry.premature = detector_is_premature(detector, call);
	copy_text(entry.call_id, call->call_id, sizeof(entry.call_id));
	copy_text(entry.ani, call->ani, sizeof(entry.ani));
	insert_call(state, &entry);
	if (call->end_ms > state->now_ms)
		state->now_ms = call->end_ms;
	trim_expired(detector, state);
	detector->stats.calls++;
	detector->stats.premature += entry.premature;
	evaluate_rules(detector, state, call);
	return DETECTOR_ADDED;
}

const struct detector_stats *detector_stats(const struct detector *detector)
{
	return &detector->stats;
}
