/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "detector.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binomial.h"
#include "callers.h"
#include "codec.h"
#include "cusum.h"
#include "hash.h"
#include "table.h"
#include "text.h"
#include "window.h"

#define TICK_MS 1000           /* open alerts are re-evaluated once per second of event time */
#define EVICT_FRACTION 16      /* when full, the idlest 1/16 of the operators are forgotten */
#define CUSUM_MAX_P0 0.95      /* keeps the CUSUM increments finite */
#define NO_RULE SIZE_MAX

/* What an operator's window keeps of each call besides its times and flags. */
struct call_detail {
	char call_id[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
};

struct rule_state {
	bool holds;
	int64_t last_true_ms;
	double cusum;
	bool cusum_alarm; /* the last call took the CUSUM to its threshold */
	double cusum_at_alarm;
};

/* An operator's open alert. */
struct episode {
	bool open;
	char alert_id[ALERT_ID_LENGTH + 1];
	size_t rule;      /* the rule it fired or last escalated for */
	int severity;     /* that rule's severity level */
	uint32_t list_position; /* in detector->open_episodes */
};

struct operator_state {
	uint32_t index;      /* slot in detector->states */
	uint32_t generation; /* tells a reused slot apart */
	char agency[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1]; /* of the latest call */
	int64_t last_active_ms;
	int64_t lag_ms; /* its calls come from a source judged on its own, this far behind */
	struct window window;
	struct rule_state rules[CONFIG_MAX_RULES];
	struct episode episode;
};

/* The operator table's entries point at states; states do not move. */
struct operator_entry {
	struct table_entry base;
	struct operator_state *state;
};

struct operator_key {
	const char *agency;
	const char *operator_id;
};

struct detector {
	struct config config;
	int64_t max_talk_ms;
	int64_t span_ms[CONFIG_MAX_RULES];
	int severity[CONFIG_MAX_RULES];
	detector_alert_fn on_alert;
	void *ctx;
	int64_t now_ms;
	int64_t next_tick_ms;
	uint64_t next_seq;
	uint64_t next_serial;
	uint32_t next_generation;
	struct table operators;
	struct operator_state **states;    /* by index, max_operators long */
	uint32_t *free_indexes;            /* stack of unused indexes */
	uint32_t free_count;
	struct operator_state **open_episodes; /* operators with an open alert */
	uint32_t open_count;
	struct window center;
	struct callers *callers;
	struct alert_callback *callbacks;  /* scratch for one notice, max_window_calls long */
	struct detector_stats stats;
};

static int severity_level(const char *severity)
{
	if (strcmp(severity, "critical") == 0)
		return 2;
	return strcmp(severity, "warning") == 0 ? 1 : 0;
}

/* Copy the configuration and derive what the hot path needs from it. */
static void take_config(struct detector *detector, const struct config *config)
{
	detector->config = *config;
	detector->max_talk_ms = (int64_t)(config->detector.max_talk_seconds * 1000.0 + 0.5);
	for (size_t r = 0; r < config->detector.rule_count; r++) {
		detector->span_ms[r] = (int64_t)config->detector.rules[r].window_seconds * 1000;
		detector->severity[r] = severity_level(config->detector.rules[r].severity);
	}
}

static bool allocate_tables(struct detector *detector)
{
	uint32_t max_operators = detector->config.tracker.max_operators;

	detector->states = calloc(max_operators, sizeof(*detector->states));
	detector->free_indexes = malloc(max_operators * sizeof(*detector->free_indexes));
	detector->open_episodes = calloc(max_operators, sizeof(*detector->open_episodes));
	detector->callbacks = calloc(detector->config.tracker.max_window_calls, sizeof(*detector->callbacks));
	detector->callers = callers_new(detector->config.tracker.max_recent_callers);
	if (!detector->states || !detector->free_indexes || !detector->open_episodes || !detector->callbacks ||
	    !detector->callers || table_init(&detector->operators, sizeof(struct operator_entry), max_operators) != 0)
		return false;
	for (uint32_t i = 0; i < max_operators; i++)
		detector->free_indexes[i] = max_operators - 1 - i;
	detector->free_count = max_operators;
	return true;
}

struct detector *detector_new(const struct config *config, detector_alert_fn on_alert, void *ctx)
{
	struct detector *detector = calloc(1, sizeof(*detector));

	if (!detector)
		return NULL;
	take_config(detector, config);
	detector->on_alert = on_alert;
	detector->ctx = ctx;
	detector->now_ms = INT64_MIN;
	detector->next_tick_ms = INT64_MIN;
	detector->next_seq = 1;
	window_init(&detector->center, detector->span_ms, config->detector.rule_count,
		    config->tracker.max_center_calls, 0);
	if (!allocate_tables(detector)) {
		detector_free(detector);
		return NULL;
	}
	return detector;
}

static void free_state(struct operator_state *state)
{
	window_release(&state->window);
	free(state);
}

void detector_free(struct detector *detector)
{
	if (!detector)
		return;
	if (detector->states)
		for (uint32_t i = 0; i < detector->config.tracker.max_operators; i++)
			if (detector->states[i])
				free_state(detector->states[i]);
	table_release(&detector->operators);
	window_release(&detector->center);
	callers_free(detector->callers);
	free(detector->states);
	free(detector->free_indexes);
	free(detector->open_episodes);
	free(detector->callbacks);
	free(detector);
}

bool detector_is_premature(const struct detector *detector, const struct completed_call *call)
{
	return (call->released_by & detector->config.detector.released_by_mask) &&
	       call->end_ms - call->start_ms < detector->max_talk_ms && !call->had_incident &&
	       !call->had_transfer;
}

/* ---- operators ---------------------------------------------------------------------- */

static bool operator_matches(const void *entry, const void *key)
{
	const struct operator_state *state = ((const struct operator_entry *)entry)->state;
	const struct operator_key *wanted = key;

	return strcmp(state->operator_id, wanted->operator_id) == 0 && strcmp(state->agency, wanted->agency) == 0;
}

/* Idle operators go first; one with an open alert only if nobody else is left. */
static int64_t operator_age(const void *entry)
{
	const struct operator_state *state = ((const struct operator_entry *)entry)->state;

	return state->episode.open ? INT64_MAX : state->last_active_ms;
}

static void close_episode(struct detector *detector, struct operator_state *state);

static void forget_operator(void *entry, void *ctx)
{
	struct detector *detector = ctx;
	struct operator_state *state = ((struct operator_entry *)entry)->state;

	if (state->episode.open)
		close_episode(detector, state);
	detector->states[state->index] = NULL;
	detector->free_indexes[detector->free_count++] = state->index;
	detector->stats.operators_evicted++;
	free_state(state);
}

static struct operator_state *new_operator(struct detector *detector, const struct operator_key *key)
{
	struct operator_state *state = calloc(1, sizeof(*state));

	if (!state)
		return NULL;
	state->index = detector->free_indexes[--detector->free_count];
	state->generation = ++detector->next_generation;
	text_copy(state->agency, key->agency, sizeof(state->agency));
	text_copy(state->operator_id, key->operator_id, sizeof(state->operator_id));
	window_init(&state->window, detector->span_ms, detector->config.detector.rule_count,
		    detector->config.tracker.max_window_calls, sizeof(struct call_detail));
	detector->states[state->index] = state;
	return state;
}

/* The operator's state, created on first sight (evicting idle operators when full). */
static struct operator_state *find_operator(struct detector *detector, const char *agency,
					    const char *operator_id)
{
	struct operator_key key = {.agency = agency, .operator_id = operator_id};
	uint64_t hash = hash_string_pair(agency, operator_id);
	struct table *operators = &detector->operators;
	uint32_t i = table_probe(operators, hash, operator_matches, &key);

	if (table_used(operators, i))
		return ((struct operator_entry *)table_slot(operators, i))->state;
	if (operators->count >= operators->max_count) {
		table_evict_oldest(operators, operator_age, EVICT_FRACTION, forget_operator, detector);
		i = table_probe(operators, hash, operator_matches, &key);
	}
	struct operator_state *state = new_operator(detector, &key);
	if (state)
		((struct operator_entry *)table_claim(operators, i, hash))->state = state;
	return state;
}

/* ---- rules -------------------------------------------------------------------------- */

/* What one rule sees for one operator at the detector's clock. */
struct rule_view {
	const struct window_counts *counts;
	double ratio;
	double center_ratio; /* the other operators' ratio in the same window */
	double p_value;
};

static double center_other_ratio(const struct detector *detector, const struct operator_state *state,
				 size_t rule)
{
	const struct window_counts *center = &detector->center.spans[rule].counts;
	const struct window_counts *own = &state->window.spans[rule].counts;
	uint32_t calls = center->calls > own->calls ? center->calls - own->calls : 0;
	uint32_t premature = center->premature > own->premature ? center->premature - own->premature : 0;

	return calls > 0 ? (double)premature / calls : 0.0;
}

static struct rule_view view_rule(const struct detector *detector, const struct operator_state *state,
				  size_t rule)
{
	const struct config_rule *config = &detector->config.detector.rules[rule];
	struct rule_view view = {.counts = &state->window.spans[rule].counts};
	double p_center;

	view.ratio = view.counts->calls ? (double)view.counts->premature / view.counts->calls : 0.0;
	view.center_ratio = center_other_ratio(detector, state, rule);
	p_center = view.center_ratio > config->min_center_ratio ? view.center_ratio : config->min_center_ratio;
	view.p_value = binomial_upper_tail(view.counts->premature, view.counts->calls, p_center);
	return view;
}

static bool window_rule_holds(const struct config_rule *rule, const struct window_counts *counts,
			      const struct detector *detector, const struct operator_state *state, size_t r)
{
	double weighted = counts->premature + (rule->called_back_weight - 1.0) * counts->called_back;

	if (counts->calls < rule->min_calls || weighted < rule->min_premature ||
	    weighted < rule->min_ratio * counts->calls || counts->called_back < rule->min_called_back)
		return false;
	if (rule->max_p_value >= 1.0)
		return true;
	return view_rule(detector, state, r).p_value <= rule->max_p_value;
}

static bool rule_holds(const struct detector *detector, struct operator_state *state, size_t r)
{
	const struct config_rule *rule = &detector->config.detector.rules[r];

	if (rule->type == CONFIG_RULE_CUSUM)
		return state->rules[r].cusum_alarm;
	return window_rule_holds(rule, &state->window.spans[r].counts, detector, state, r);
}

/* The CUSUM rules' in-control rate: configured, or the rest of the center's (floored). */
static double cusum_p0(const struct detector *detector, const struct operator_state *state, size_t r)
{
	const struct config_rule *rule = &detector->config.detector.rules[r];
	double p0 = rule->p0 > 0.0 ? rule->p0 : center_other_ratio(detector, state, r);

	if (p0 < rule->min_center_ratio)
		p0 = rule->min_center_ratio;
	if (p0 <= 0.0)
		p0 = 0.01;
	return p0 < CUSUM_MAX_P0 ? p0 : CUSUM_MAX_P0;
}

/* Feed one call to the operator's CUSUM rules; an alarm resets the statistic. */
static void step_cusums(const struct detector *detector, struct operator_state *state, bool premature)
{
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		const struct config_rule *rule = &detector->config.detector.rules[r];
		struct rule_state *rs = &state->rules[r];
		if (rule->type != CONFIG_RULE_CUSUM)
			continue;
		struct cusum_weights weights = cusum_weights(cusum_p0(detector, state, r), rule->odds_ratio);
		rs->cusum = cusum_step(rs->cusum, premature, &weights);
		rs->cusum_alarm = rs->cusum >= rule->threshold;
		if (rs->cusum_alarm) {
			rs->cusum_at_alarm = rs->cusum;
			rs->cusum = 0.0;
		}
	}
}

/* ---- notices ------------------------------------------------------------------------ */

/* Gather the premature calls of a rule's window, oldest first, into the scratch array. */
static size_t collect_callbacks(struct detector *detector, const struct operator_state *state, size_t rule)
{
	const struct window *window = &state->window;
	size_t n = 0;

	for (uint32_t i = window->spans[rule].first; i < window->count; i++) {
		const struct window_entry *entry = window_entry_at(window, i);
		if (!(entry->flags & WINDOW_PREMATURE))
			continue;
		const struct call_detail *detail = window_payload_at(window, i);
		struct alert_callback *callback = &detector->callbacks[n++];
		memcpy(callback->call_id, detail->call_id, sizeof(callback->call_id));
		memcpy(callback->ani, detail->ani, sizeof(callback->ani));
		callback->start_ms = entry->start_ms;
		callback->talk_ms = entry->end_ms - entry->start_ms;
		callback->called_back = entry->flags & WINDOW_CALLED_BACK;
	}
	return n;
}

/* The operator's clock: the center's, or as far behind as the source of its calls. */
static int64_t operator_now(const struct detector *detector, const struct operator_state *state)
{
	return state->lag_ms > 0 ? detector->now_ms - state->lag_ms : detector->now_ms;
}

static void emit_notice(struct detector *detector, struct operator_state *state, const char *kind,
			bool with_callbacks)
{
	size_t r = state->episode.rule;
	const struct config_rule *rule = &detector->config.detector.rules[r];
	struct rule_view view = view_rule(detector, state, r);
	struct alert alert = {
		.kind = kind,
		.alert_id = state->episode.alert_id,
		.seq = detector->next_seq++,
		.ts_ms = operator_now(detector, state),
		.agency = state->agency,
		.operator_id = state->operator_id,
		.position = state->position,
		.rule = rule->name,
		.severity = rule->severity,
		.window_seconds = rule->window_seconds,
		.calls = view.counts->calls,
		.premature = view.counts->premature,
		.called_back = view.counts->called_back,
		.ratio = view.ratio,
		.center_ratio = view.center_ratio,
		.p_value = view.p_value,
		.has_cusum = rule->type == CONFIG_RULE_CUSUM && with_callbacks,
		.cusum = state->rules[r].cusum_at_alarm,
		.late_ms = state->lag_ms,
		.callbacks = detector->callbacks,
	};

	alert.callback_count = with_callbacks ? collect_callbacks(detector, state, r) : 0;
	detector->stats.alerts++;
	if (detector->on_alert)
		detector->on_alert(&alert, detector->ctx);
}

static void open_episode(struct detector *detector, struct operator_state *state, size_t rule,
			 const char *trigger_call_id)
{
	struct episode *episode = &state->episode;

	episode->open = true;
	episode->rule = rule;
	episode->severity = detector->severity[rule];
	episode->list_position = detector->open_count;
	detector->open_episodes[detector->open_count++] = state;
	alert_derive_id(state->agency, state->operator_id, detector->config.detector.rules[rule].name,
			operator_now(detector, state), trigger_call_id, episode->alert_id);
	detector->stats.firing++;
	emit_notice(detector, state, "firing", true);
}

static void close_episode(struct detector *detector, struct operator_state *state)
{
	uint32_t position = state->episode.list_position;
	struct operator_state *last = detector->open_episodes[--detector->open_count];

	detector->open_episodes[position] = last;
	last->episode.list_position = position;
	state->episode.open = false;
}

/* A rule has just become true: open an alert, or escalate the open one if it is graver. */
static void rule_became_true(struct detector *detector, struct operator_state *state, size_t rule,
			     const char *trigger_call_id)
{
	struct episode *episode = &state->episode;

	if (!episode->open) {
		open_episode(detector, state, rule, trigger_call_id);
	} else if (detector->severity[rule] > episode->severity) {
		episode->rule = rule;
		episode->severity = detector->severity[rule];
		detector->stats.escalated++;
		emit_notice(detector, state, "escalated", true);
	}
}

/* Evaluate every rule at the clock; notices for what changed. */
static void evaluate_operator(struct detector *detector, struct operator_state *state,
			      const char *trigger_call_id)
{
	bool any_holds = false;
	int64_t last_true_ms = INT64_MIN, now_ms = operator_now(detector, state);

	window_advance(&state->window, now_ms);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		struct rule_state *rs = &state->rules[r];
		bool holds = rule_holds(detector, state, r);
		if (holds) {
			rs->last_true_ms = now_ms;
			if (!rs->holds)
				rule_became_true(detector, state, r, trigger_call_id);
		}
		rs->holds = holds;
		rs->cusum_alarm = false;
		any_holds |= holds;
		if (rs->last_true_ms > last_true_ms)
			last_true_ms = rs->last_true_ms;
	}
	if (state->episode.open && !any_holds &&
	    now_ms - last_true_ms >= (int64_t)detector->config.detector.resolve_after_seconds * 1000) {
		detector->stats.resolved++;
		emit_notice(detector, state, "resolved", false);
		close_episode(detector, state);
	}
}

/* ---- time and calls ----------------------------------------------------------------- */

/* Move the clock; the center's window follows at once, operators' when they are looked at. */
static void advance_clock(struct detector *detector, int64_t now_ms)
{
	if (now_ms <= detector->now_ms)
		return;
	detector->now_ms = now_ms;
	window_advance(&detector->center, now_ms);
}

/* Once per second of event time, re-evaluate every open alert: windows slide without calls. */
static void run_ticks(struct detector *detector)
{
	if (detector->open_count == 0 || detector->now_ms < detector->next_tick_ms)
		return;
	detector->next_tick_ms = detector->now_ms - detector->now_ms % TICK_MS + TICK_MS;
	/* Walk backwards: a resolved alert leaves the list by swapping in the last one. */
	for (uint32_t i = detector->open_count; i-- > 0;)
		evaluate_operator(detector, detector->open_episodes[i], "");
}

void detector_advance(struct detector *detector, int64_t now_ms)
{
	advance_clock(detector, now_ms);
	run_ticks(detector);
}

static void remember_hangup(struct detector *detector, const struct operator_state *state,
			    const struct completed_call *call, uint64_t serial)
{
	struct caller_hangup hangup = {.operator_index = state->index, .operator_generation = state->generation,
				       .serial = serial, .end_ms = call->end_ms};

	callers_remember(detector->callers, call->ani, &hangup,
			 (int64_t)detector->config.detector.repeat_window_seconds * 1000);
}

static enum detector_result insert_call(struct detector *detector, struct operator_state *state,
					const struct window_entry *entry, const struct completed_call *call)
{
	struct call_detail detail;
	enum window_insert_result result;

	memset(&detail, 0, sizeof(detail)); /* saved whole in snapshots: no stray stack bytes */
	text_copy(detail.call_id, call->call_id, sizeof(detail.call_id));
	text_copy(detail.ani, call->ani, sizeof(detail.ani));
	window_advance(&state->window, operator_now(detector, state));
	result = window_insert(&state->window, entry, &detail);
	if (result == WINDOW_TOO_OLD)
		return DETECTOR_TOO_OLD;
	if (result == WINDOW_NO_MEMORY)
		return DETECTOR_NO_MEMORY;
	detector->stats.window_evictions += result == WINDOW_INSERTED_EVICTING;
	detector->stats.center_evictions += window_insert(&detector->center, entry, NULL) == WINDOW_INSERTED_EVICTING;
	return DETECTOR_ADDED;
}

enum detector_result detector_add_call(struct detector *detector, const struct completed_call *call)
{
	bool premature = detector_is_premature(detector, call);
	struct window_entry entry = {.start_ms = call->start_ms, .end_ms = call->end_ms,
				     .serial = ++detector->next_serial,
				     .flags = premature ? WINDOW_PREMATURE : 0};

	if (!call->late)
		advance_clock(detector, call->end_ms);
	struct operator_state *state = find_operator(detector, call->agency, call->operator_id);
	if (!state)
		return DETECTOR_NO_MEMORY;
	state->lag_ms = call->late && call->end_ms < detector->now_ms ? detector->now_ms - call->end_ms : 0;
	enum detector_result result = insert_call(detector, state, &entry, call);
	if (result != DETECTOR_ADDED) {
		detector->stats.too_old += result == DETECTOR_TOO_OLD;
		return result;
	}
	state->last_active_ms = detector->now_ms;
	text_copy(state->position, call->position, sizeof(state->position));
	detector->stats.calls++;
	detector->stats.premature += premature;
	if (premature && call->ani[0])
		remember_hangup(detector, state, call, entry.serial);
	step_cusums(detector, state, premature);
	evaluate_operator(detector, state, call->call_id);
	run_ticks(detector);
	return DETECTOR_ADDED;
}

void detector_caller_rang(struct detector *detector, const char *ani, int64_t start_ms)
{
	struct caller_hangup hangup;

	if (!ani[0] || !callers_take_redial(detector->callers, ani, start_ms,
					    (int64_t)detector->config.detector.repeat_window_seconds * 1000, &hangup))
		return;
	struct operator_state *state = detector->states[hangup.operator_index];
	if (!state || state->generation != hangup.operator_generation)
		return;
	if (!window_mark(&state->window, hangup.serial, WINDOW_CALLED_BACK))
		return;
	detector->stats.called_back++;
	advance_clock(detector, start_ms);
	evaluate_operator(detector, state, "");
	run_ticks(detector);
}

const struct detector_stats *detector_stats(struct detector *detector)
{
	struct detector_stats *stats = &detector->stats;

	stats->operators = detector->operators.count;
	stats->open_alerts = detector->open_count;
	stats->callers_evicted = callers_evicted(detector->callers);
	return stats;
}

void detector_continue_seq(struct detector *detector, uint64_t delivered_through)
{
	if (delivered_through != UINT64_MAX && detector->next_seq <= delivered_through)
		detector->next_seq = delivered_through + 1;
}

/* ---- reconfiguration ---------------------------------------------------------------- */

/* For each new rule, the old rule of the same name and type, or NO_RULE. */
static void map_rules(const struct config *old, const struct config *config, size_t map[CONFIG_MAX_RULES])
{
	for (size_t j = 0; j < config->detector.rule_count; j++) {
		const struct config_rule *rule = &config->detector.rules[j];
		map[j] = NO_RULE;
		for (size_t i = 0; i < old->detector.rule_count; i++)
			if (strcmp(old->detector.rules[i].name, rule->name) == 0 &&
			    old->detector.rules[i].type == rule->type)
				map[j] = i;
	}
}

/* Carry an operator's rule states and open alert over to the new rule list. */
static void remap_operator_rules(struct detector *detector, struct operator_state *state,
				 const size_t map[CONFIG_MAX_RULES])
{
	struct rule_state old[CONFIG_MAX_RULES];
	size_t episode_rule = 0;

	memcpy(old, state->rules, sizeof(old));
	for (size_t j = 0; j < detector->config.detector.rule_count; j++) {
		state->rules[j] = map[j] == NO_RULE ? (struct rule_state){0} : old[map[j]];
		if (state->episode.open && map[j] == state->episode.rule)
			episode_rule = j;
	}
	state->episode.rule = episode_rule;
	state->episode.severity = detector->severity[episode_rule];
}

/* New arrays for another max_operators: operators are renumbered densely in index order. */
static int renumber_operators(struct detector *detector, uint32_t max_operators)
{
	struct operator_state **states = calloc(max_operators, sizeof(*states));
	uint32_t *free_indexes = malloc(max_operators * sizeof(*free_indexes));
	struct operator_state **open_episodes = calloc(max_operators, sizeof(*open_episodes));
	uint32_t used = 0;

	if (!states || !free_indexes || !open_episodes) {
		free(states);
		free(free_indexes);
		free(open_episodes);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < detector->config.tracker.max_operators; i++) {
		struct operator_state *state = detector->states[i];
		if (!state)
			continue;
		state->index = used;
		state->generation = ++detector->next_generation;
		states[used++] = state;
	}
	memcpy(open_episodes, detector->open_episodes, detector->open_count * sizeof(*open_episodes));
	detector->free_count = 0;
	for (uint32_t i = max_operators; i-- > used;)
		free_indexes[detector->free_count++] = i;
	free(detector->states);
	free(detector->free_indexes);
	free(detector->open_episodes);
	detector->states = states;
	detector->free_indexes = free_indexes;
	detector->open_episodes = open_episodes;
	return 0;
}

/* The operator table and arrays for a new max_operators (idlest forgotten first). */
static int resize_operators(struct detector *detector, uint32_t max_operators)
{
	if (max_operators == detector->config.tracker.max_operators)
		return 0;
	int evicted = table_resize(&detector->operators, max_operators, operator_age, forget_operator, detector);
	if (evicted < 0)
		return evicted;
	return renumber_operators(detector, max_operators);
}

static int resize_callbacks(struct detector *detector, uint32_t max_window_calls)
{
	struct alert_callback *callbacks = calloc(max_window_calls, sizeof(*callbacks));

	if (!callbacks)
		return -ENOMEM;
	free(detector->callbacks);
	detector->callbacks = callbacks;
	return 0;
}

int detector_reconfigure(struct detector *detector, const struct config *config)
{
	size_t map[CONFIG_MAX_RULES];
	int rc;

	map_rules(&detector->config, config, map);
	if ((rc = resize_operators(detector, config->tracker.max_operators)) < 0 ||
	    (rc = resize_callbacks(detector, config->tracker.max_window_calls)) < 0 ||
	    (rc = callers_resize(detector->callers, config->tracker.max_recent_callers)) < 0)
		return rc;
	take_config(detector, config);
	for (uint32_t i = 0; i < config->tracker.max_operators; i++) {
		struct operator_state *state = detector->states[i];
		if (!state)
			continue;
		remap_operator_rules(detector, state, map);
		rc = window_reshape(&state->window, detector->span_ms, config->detector.rule_count,
				    config->tracker.max_window_calls);
		if (rc < 0)
			return rc;
		detector->stats.window_evictions += (uint64_t)rc;
	}
	rc = window_reshape(&detector->center, detector->span_ms, config->detector.rule_count,
			    config->tracker.max_center_calls);
	if (rc < 0)
		return rc;
	detector->stats.center_evictions += (uint64_t)rc;
	return 0;
}

/* ---- snapshots ---------------------------------------------------------------------- */

static void save_rule_state(const struct rule_state *rs, struct codec_writer *writer)
{
	codec_put_u8(writer, rs->holds);
	codec_put_i64(writer, rs->last_true_ms);
	codec_put_f64(writer, rs->cusum);
	codec_put_u8(writer, rs->cusum_alarm);
	codec_put_f64(writer, rs->cusum_at_alarm);
}

static void load_rule_state(struct rule_state *rs, struct codec_reader *reader)
{
	rs->holds = codec_get_u8(reader);
	rs->last_true_ms = codec_get_i64(reader);
	rs->cusum = codec_get_f64(reader);
	rs->cusum_alarm = codec_get_u8(reader);
	rs->cusum_at_alarm = codec_get_f64(reader);
}

static void save_operator(const struct detector *detector, const struct operator_state *state,
			  struct codec_writer *writer)
{
	codec_put_u32(writer, state->index);
	codec_put_u32(writer, state->generation);
	codec_put_string(writer, state->agency);
	codec_put_string(writer, state->operator_id);
	codec_put_string(writer, state->position);
	codec_put_i64(writer, state->last_active_ms);
	codec_put_i64(writer, state->lag_ms);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++)
		save_rule_state(&state->rules[r], writer);
	codec_put_u8(writer, state->episode.open);
	codec_put_string(writer, state->episode.alert_id);
	codec_put_u32(writer, (uint32_t)state->episode.rule);
	window_save(&state->window, writer);
}

static struct operator_state *load_operator(struct detector *detector, struct codec_reader *reader)
{
	uint32_t max_operators = detector->config.tracker.max_operators;
	struct operator_state *state = calloc(1, sizeof(*state));

	if (!state)
		return NULL;
	state->index = codec_get_u32(reader);
	state->generation = codec_get_u32(reader);
	codec_get_string(reader, state->agency, sizeof(state->agency));
	codec_get_string(reader, state->operator_id, sizeof(state->operator_id));
	codec_get_string(reader, state->position, sizeof(state->position));
	state->last_active_ms = codec_get_i64(reader);
	state->lag_ms = codec_get_i64(reader);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++)
		load_rule_state(&state->rules[r], reader);
	state->episode.open = codec_get_u8(reader);
	codec_get_string(reader, state->episode.alert_id, sizeof(state->episode.alert_id));
	state->episode.rule = codec_get_u32(reader);
	window_init(&state->window, detector->span_ms, detector->config.detector.rule_count,
		    detector->config.tracker.max_window_calls, sizeof(struct call_detail));
	if (reader->failed || state->index >= max_operators || detector->states[state->index] ||
	    state->episode.rule >= detector->config.detector.rule_count || window_load(&state->window, reader) != 0) {
		free_state(state);
		return NULL;
	}
	state->episode.severity = detector->severity[state->episode.rule];
	detector->states[state->index] = state;
	return state;
}

void detector_save(const struct detector *detector, struct codec_writer *writer)
{
	codec_put_i64(writer, detector->now_ms);
	codec_put_i64(writer, detector->next_tick_ms);
	codec_put_u64(writer, detector->next_seq);
	codec_put_u64(writer, detector->next_serial);
	codec_put_u32(writer, detector->next_generation);
	codec_put_bytes(writer, &detector->stats, sizeof(detector->stats));
	codec_put_u32(writer, detector->free_count);
	for (uint32_t i = 0; i < detector->free_count; i++)
		codec_put_u32(writer, detector->free_indexes[i]);
	codec_put_u32(writer, detector->operators.count);
	for (uint32_t i = 0; i < detector->config.tracker.max_operators; i++)
		if (detector->states[i])
			save_operator(detector, detector->states[i], writer);
	for (uint32_t slot = 0; slot <= detector->operators.mask; slot++) {
		if (!table_used(&detector->operators, slot))
			continue;
		codec_put_u32(writer, slot);
		codec_put_u32(writer, ((const struct operator_entry *)table_slot(&detector->operators, slot))->state->index);
	}
	codec_put_u32(writer, detector->open_count);
	for (uint32_t i = 0; i < detector->open_count; i++)
		codec_put_u32(writer, detector->open_episodes[i]->index);
	window_save(&detector->center, writer);
	callers_save(detector->callers, writer);
}

/* The operator table's slots, pointing at the states already loaded. */
static int load_operator_slots(struct detector *detector, uint32_t count, struct codec_reader *reader)
{
	uint32_t max_operators = detector->config.tracker.max_operators;

	for (uint32_t n = 0; n < count; n++) {
		uint32_t slot = codec_get_u32(reader), index = codec_get_u32(reader);
		if (reader->failed || slot > detector->operators.mask || table_used(&detector->operators, slot) ||
		    index >= max_operators || !detector->states[index])
			return -EINVAL;
		struct operator_state *state = detector->states[index];
		struct operator_entry *entry =
			table_claim(&detector->operators, slot, hash_string_pair(state->agency, state->operator_id));
		entry->state = state;
	}
	return 0;
}

static int load_open_episodes(struct detector *detector, struct codec_reader *reader)
{
	uint32_t open_count = codec_get_u32(reader);

	if (reader->failed || open_count > detector->config.tracker.max_operators)
		return -EINVAL;
	for (uint32_t i = 0; i < open_count; i++) {
		uint32_t index = codec_get_u32(reader);
		if (reader->failed || index >= detector->config.tracker.max_operators || !detector->states[index] ||
		    !detector->states[index]->episode.open)
			return -EINVAL;
		detector->open_episodes[i] = detector->states[index];
		detector->states[index]->episode.list_position = i;
	}
	detector->open_count = open_count;
	return 0;
}

/* The loaded free-index stack names exactly the slots no operator holds, each once: a bad
 * entry would hand out a slot twice, or one past the end of the states array. */
static bool free_indexes_valid(const struct detector *detector)
{
	uint32_t max_operators = detector->config.tracker.max_operators;
	bool *seen = calloc(max_operators, sizeof(*seen));
	bool valid = seen != NULL;

	for (uint32_t i = 0; valid && i < detector->free_count; i++) {
		uint32_t index = detector->free_indexes[i];
		valid = index < max_operators && !seen[index] && !detector->states[index];
		if (valid)
			seen[index] = true;
	}
	free(seen);
	return valid;
}

int detector_load(struct detector *detector, struct codec_reader *reader)
{
	uint32_t max_operators = detector->config.tracker.max_operators;

	detector->now_ms = codec_get_i64(reader);
	detector->next_tick_ms = codec_get_i64(reader);
	detector->next_seq = codec_get_u64(reader);
	detector->next_serial = codec_get_u64(reader);
	detector->next_generation = codec_get_u32(reader);
	codec_get_bytes(reader, &detector->stats, sizeof(detector->stats));
	detector->free_count = codec_get_u32(reader);
	if (reader->failed || detector->free_count > max_operators)
		return -EINVAL;
	for (uint32_t i = 0; i < detector->free_count; i++)
		detector->free_indexes[i] = codec_get_u32(reader);
	uint32_t count = codec_get_u32(reader);
	if (reader->failed || count + detector->free_count != max_operators)
		return -EINVAL;
	for (uint32_t n = 0; n < count; n++)
		if (!load_operator(detector, reader))
			return -EINVAL;
	if (!free_indexes_valid(detector))
		return -EINVAL;
	if (load_operator_slots(detector, count, reader) != 0 || load_open_episodes(detector, reader) != 0 ||
	    window_load(&detector->center, reader) != 0 || callers_load(detector->callers, reader) != 0)
		return -EINVAL;
	return reader->failed ? -EINVAL : 0;
}
