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
#include "invariant.h"
#include "moves.h"
#include "registry.h"
#include "sequential.h"
#include "table.h"
#include "text.h"
#include "timestamp.h"
#include "window.h"

#define TICK_MS 1000           /* open alerts are re-evaluated once per second of event time */
#define EVICT_FRACTION 16      /* when full, the 1/16 with the least evidence are forgotten */
#define CUSUM_MAX_P0 0.95      /* keeps the CUSUM increments finite */
#define NO_RULE SIZE_MAX
#define SEQUENTIAL_P_MAX 0.95  /* an expectation times the own factor stays below this */
#define STORM_RAMP 0.5         /* storm_volume_factor's treatment is full this far above it */
#define STORM_MAX_GAP_MS 3600000 /* of a gap without calls, the agency's volume counts this */
/* a source's and the rest's decayed calls (baseline rate) before it can depart (source_depart_z) */
#define SOURCE_DEPART_MIN_CALLS 10.0
#define WHY_MAX 640            /* an alert's plain-words explanation */
/* The explanation's words when the operator's own rate is not known yet (own_rate_known) */
#define OWN_RATE_UNKNOWN                                                                     \
	", too short yet to tell their own rate: a position that honestly gets many silent " \
	"calls looks the same"
#define NOT_DUE		 UINT32_MAX /* an episode's due_position when it is not in the due heap */
#define DUE_NEXT_TICK	 INT64_MIN  /* evaluated at every tick */

/* What an operator's window keeps of each call besides its times and flags: "call_id\0ani\0"
 * at their length, in text when they fit (a center's usual "DEMO-000001" and a 10-digit
 * number), else in an allocation whose address text holds (allocated; the window drops it
 * with the call: drop_call_detail). 24 bytes a call, were 98 (two fixed arrays). */
#define DETAIL_INLINE 23

struct call_detail {
	char text[DETAIL_INLINE];
	bool allocated;
};

_Static_assert(sizeof(struct call_detail) == 24, "a call's detail is 24 bytes");

static const char *detail_call_id(const struct call_detail *detail)
{
	char *text;

	if (!detail->allocated)
		return detail->text;
	memcpy(&text, detail->text, sizeof(text));
	return text;
}

static const char *detail_ani(const struct call_detail *detail)
{
	const char *call_id = detail_call_id(detail);

	return call_id + strlen(call_id) + 1;
}

/* Keep call_id and ani in a zeroed detail; false when out of memory. */
static bool set_call_detail(struct call_detail *detail, const char *call_id, const char *ani)
{
	char *text = text_pack(detail->text, sizeof(detail->text),
			       (const char *const[]){ call_id, ani }, 2, NULL);

	if (!text)
		return false;
	if (text != detail->text) {
		memcpy(detail->text, &text, sizeof(text));
		detail->allocated = true;
	}
	return true;
}

static void drop_call_detail(void *payload)
{
	struct call_detail *detail = payload;
	char *text;

	if (!detail->allocated)
		return;
	memcpy(&text, detail->text, sizeof(text));
	free(text);
}

struct rule_state {
	bool holds;
	int64_t last_true_ms;
	double cusum;
	bool cusum_alarm; /* the last call took the CUSUM to its threshold */
	double cusum_at_alarm;
	/* sequential rules: the statistic and the run of calls since it last left 0 */
	double evidence;       /* CUSUM of log-likelihood ratios, nats */
	int64_t run_start_ms;  /* answer time of the run's first call */
	uint32_t run_calls;
	uint32_t run_premature;
	uint32_t run_called_back;
	double run_expected;   /* sum of the run's per-call expectations */
	double own_factor;     /* the operator's own factor at the last call */
	bool rate_seen;        /* a call has entered calls_rate */
	int64_t first_call_ms; /* the end of the first call in calls_rate, moved on by the
				* gaps between calls not counted (rate_max_gap_seconds) */
	struct sequential_rate calls_rate; /* its calls, at the rule's rate_half_life_seconds */
	double hourly_threshold; /* > 0: h for its calls per hour at the last call (if lower) */
};

/* A callback of an open alert: what has been sent of it. */
struct episode_callback {
	struct alert_callback callback;
	uint64_t serial;            /* the call's window serial */
	bool delivered;             /* sent in a notice of the alert */
	bool called_back_delivered; /* sent with called_back true */
};

/* An operator's open alert. */
struct episode {
	bool open;
	char alert_id[ALERT_ID_LENGTH + 1];
	size_t rule;      /* the rule it fired or last escalated for */
	int severity;     /* that rule's severity level */
	uint32_t list_position; /* in detector->open_episodes */
	uint64_t opened_seq;    /* seq of its firing */
	int64_t opened_ms;      /* ts of its firing (the operator's clock) */
	int64_t delivered_ms;   /* the center clock when it fired: the acknowledgement deadline
				 * runs from here, also for an alert a backlog raised late */
	uint64_t last_seq;      /* of its latest notice */
	int64_t last_ts_ms;
	int64_t last_notice_second; /* event-time second of its latest notice with callbacks */
	bool update_pending;    /* something new waits for the next second */
	bool unacked_escalated; /* escalated once for want of an acknowledgement */
	/* NULL until first acknowledged (most alerts never are): 344 bytes every call-taker's
	 * state held. Once there it stays with the state (an absent one is a zeroed record). */
	struct alert_ack_record *ack;
	struct episode_callback *callbacks; /* in arrival order, at most max_alert_callbacks */
	uint32_t callback_count;
	uint32_t callback_capacity;
};

/* Ticks evaluate only the open alerts that are due (see run_ticks): every operator's. */
struct tick_schedule {
	int64_t due_ms;		 /* while open: the clock its tick is due at (DUE_NEXT_TICK...) */
	bool every_tick;	 /* its last evaluation: a rule may change at every tick, */
	bool any_holds;		 /* a rule held, */
	int64_t last_true_ms;	 /* and the latest clock at which one did */
	uint32_t due_position;	 /* in detector->due, or NOT_DUE */
	uint64_t evaluated_tick; /* detector->ticks when it was last evaluated or caught up */
};

#define POSITION_INLINE 16

struct operator_state {
	uint32_t index;      /* its slot in detector->registry */
	uint32_t generation; /* tells a reused slot apart */
	/* Its key at its length, fixed for the state's life: "agency\0operator_id\0" at the end of
	 * the state's allocation (state_key), moved with it (were two 65-byte arrays). */
	const char *agency;
	const char *operator_id;
	/* Of the latest call: here when shorter than POSITION_INLINE (a center's usual "P12"),
	 * else in long_position (allocated; NULL otherwise). state_position reads it. */
	char position[POSITION_INLINE];
	char *long_position;
	int64_t last_active_ms;
	enum agent_state agent_state; /* its latest operator_state line, at agent_state_ms */
	int64_t agent_state_ms;
	int64_t lag_ms; /* its calls come from a source judged on its own, this far behind */
	struct window window;
	/* Its alert: NULL until one first opens (most call-takers never alert: 160 bytes each
	 * held), then kept with the state, open or resolved (a resolved one is saved as it was
	 * left). episode_open tells whether one is open. */
	struct episode *episode;
	struct tick_schedule tick;
	struct sequential_rate own;  /* its calls, decayed like its baseline's (to subtract them) */
	struct sequential_rate own_fast; /* the same at the fast half-life */
	struct sequential_history
		history; /* its long-run premature hangups and their expectation */
	/* One per configured rule (detector->config.detector.rule_count), not CONFIG_MAX_RULES:
	 * 152 bytes a rule, where 16 took 2,432 bytes of every operator whatever the rule count.
	 * The window's spans follow them, one per rule too (state_spans). A reload that changes
	 * the count moves every state to one of the new size. */
	struct rule_state rules[];
};

/* Has the operator an open alert? */
static bool episode_open(const struct operator_state *state)
{
	return state->episode && state->episode->open;
}

/* Bytes of an operator's state with rule_count rule states and window spans and a key of
 * key_size bytes (both strings with their terminators). */
static size_t state_size(size_t rule_count, size_t key_size)
{
	return offsetof(struct operator_state, rules) +
	       rule_count * (sizeof(struct rule_state) + sizeof(struct window_span)) + key_size;
}

static size_t key_size(const char *agency, const char *operator_id)
{
	return strnlen(agency, EVENT_ID_MAX) + 1 + strnlen(operator_id, EVENT_ID_MAX) + 1;
}

/* The storage of the window's spans in a state of rule_count rules (after its rule states). */
static struct window_span *state_spans(struct operator_state *state, size_t rule_count)
{
	_Static_assert(sizeof(struct rule_state) % _Alignof(struct window_span) == 0,
		       "the spans follow the rule states aligned");
	return (struct window_span *)(void *)(state->rules + rule_count);
}

/* Copy the key into its place after the spans of a state of rule_count rules. */
static void place_key(struct operator_state *state, size_t rule_count, const char *agency,
		      const char *operator_id)
{
	char *key = (char *)(state_spans(state, rule_count) + rule_count);
	size_t a = strnlen(agency, EVENT_ID_MAX), o = strnlen(operator_id, EVENT_ID_MAX);

	memcpy(key, agency, a);
	key[a] = '\0';
	memcpy(key + a + 1, operator_id, o);
	key[a + 1 + o] = '\0';
	state->agency = key;
	state->operator_id = key + a + 1;
}

static const char *state_position(const struct operator_state *state)
{
	return state->long_position ? state->long_position : state->position;
}

/* The latest call's position. A long one that finds no memory keeps the one before. */
static void set_position(struct operator_state *state, const char *position)
{
	if (!state->long_position) { /* the short one it has (most calls: nothing changes) */
		size_t i = 0;
		while (i < POSITION_INLINE - 1 && position[i] && position[i] == state->position[i])
			i++;
		if (position[i] == state->position[i] && !position[i])
			return;
	}
	size_t length = strnlen(position, EVENT_ID_MAX);

	if (length < POSITION_INLINE) {
		free(state->long_position);
		state->long_position = NULL;
		memcpy(state->position, position, length);
		state->position[length] = '\0';
		return;
	}
	if (state->long_position && strcmp(state->long_position, position) == 0)
		return;
	char *copy = malloc(length + 1);
	if (!copy)
		return;
	memcpy(copy, position, length);
	copy[length] = '\0';
	free(state->long_position);
	state->long_position = copy;
}

/* The peer baseline of one agency (or of the whole center: agency ""), of one feed source's
 * calls (detector.baseline.per_source; "": every source's). Holds no pointers. */
#define BASELINE_SOURCE_MAX (EVENT_ID_MAX + 1) /* clocks.h's CLOCKS_NAME_MAX */
struct baseline_entry {
	struct table_entry base;
	char agency[EVENT_ID_MAX + 1];
	char source[BASELINE_SOURCE_MAX + 1];
	struct sequential_rate rate;
	struct sequential_rate fast;
	/* its volume (calls, however ended) at the fast half-life and at the usual one, on its
	 * worked clock from volume_first_ms: the storm gate */
	struct sequential_rate volume_fast;
	struct sequential_rate volume_usual;
	int64_t volume_first_ms;
	/* its call_offered events (arrivals, answered or not) the same way, from offered_first_ms
	 * (INT64_MIN: none yet); offered_fast.at_ms is the newest one's time: the offered gate */
	struct sequential_rate offered_fast;
	struct sequential_rate offered_usual;
	int64_t offered_first_ms;
	/* a source's own baseline (source_cap_key): its calls depart from the rest's and are out
	 * of the shared one's judged rates (detector.baseline.source_depart_z) */
	bool departed;
	/* a shared one: how many of its sources are out, and the sum of their calls (rate,
	 * fast, volume fast, usual), advanced with the shared rates: what the others are judged
	 * without */
	uint32_t departed_sources;
	struct sequential_rate out[4];
};

/* A CUSUM rule's weights for the last in-control rate it was given (cusum_weights depends on
 * p0 and the odds ratio alone): a configured p0, or one at its floor, repeats call after call. */
struct cusum_memo {
	bool set;
	double p0;
	struct cusum_weights weights;
};

/* An open alert in the due heap: the first clock at which its tick can change anything. */
struct due_entry {
	int64_t due_ms;
	struct operator_state *state;
};

/* The operator table's entries point at states; states do not move. */
struct operator_entry {
	struct table_entry base;
	struct operator_state *state;
};

_Static_assert(sizeof(struct operator_entry) == 16, "an operator's entry is 16 bytes");

struct operator_key {
	const char *agency;
	const char *operator_id;
};

struct detector {
	struct config config;
	int64_t max_talk_ms;
	int64_t callback_min_talk_ms; /* detector.callback_min_talk_seconds; 0: any redial */
	int64_t span_ms[CONFIG_MAX_RULES];
	int severity[CONFIG_MAX_RULES];
	detector_alert_fn on_alert;
	void *ctx;
	struct detector_eviction eviction; /* whose operators go first when full; unset: all */
	int64_t now_ms;
	int64_t next_tick_ms;
	uint64_t next_seq;
	uint64_t next_serial;
	struct table operators;
	struct registry registry;          /* the operators' states by index, max_operators */
	uint32_t added_index;              /* the operator of the last call detector_add_call */
	uint32_t added_generation;         /* took: detector_added_operator */
	struct operator_state **open_episodes; /* operators with an open alert */
	uint32_t open_count;
	struct due_entry *due; /* min-heap of the open alerts by the clock their tick is due */
	uint32_t due_count;
	uint32_t due_capacity;	   /* grown on demand, at most max_operators */
	bool due_lost;		   /* an open alert is not in it (no memory): ticks evaluate all */
	bool due_rebuilding;	   /* a tick walks open_episodes and rebuilds the heap after */
	uint32_t every_tick_count; /* open alerts due at every tick */
	uint64_t ticks;		   /* ticks run */
	int64_t tick_now_ms;	   /* the clock at the last tick */
	struct window center;
	struct window_span center_spans[CONFIG_MAX_RULES];
	struct table baselines;            /* struct baseline_entry, at most max_operators */
	double threshold[CONFIG_MAX_RULES]; /* sequential rules: h, derived or given */
	struct cusum_memo cusum_memo[CONFIG_MAX_RULES]; /* CUSUM rules: their last weights */
	char why[WHY_MAX];                 /* scratch for one notice's explanation */
	struct callers *callers;
	/* ln(i!) for the p-values, up to max_window_calls; a pointer, as the p-values of a const
	 * detector fill it */
	struct binomial_cache *binomial;
	/* the baselines' decay factors of short gaps, at half_life_seconds, at
	 * fast_half_life_seconds (the premature rate's and the volume's) and at
	 * storm_usual_half_life_seconds */
	struct sequential_decay_memo decay_memo[3];
	struct alert_callback *callbacks;  /* scratch for one notice, max_window_calls long */
	struct detector_stats stats;
	detector_source_fn on_source; /* a source taken out of a shared baseline, or back in */
	void *source_ctx;
	/* The baselines an eviction forgot that held a departure (a departed source's own, or a
	 * shared one some sources departed from), copied by forget_baseline and settled once the
	 * eviction is over (settle_forgotten), in an order of their keys, not of the slots. */
	struct baseline_entry *forgotten;
	uint32_t forgotten_count;
	uint32_t forgotten_room;
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
};

/* n more of a counter of detector->stats that the engine's limits read (detector_count_moves). */
static void count_move(struct detector *detector, uint64_t *counter, uint64_t n)
{
	*counter += n;
	moves_add(detector->moves, n);
}

/* A zeroed state for the detector's rules, with its key in place. */
static struct operator_state *alloc_state(const struct detector *detector, const char *agency,
					  const char *operator_id)
{
	size_t rule_count = detector->config.detector.rule_count;
	struct operator_state *state =
		calloc(1, state_size(rule_count, key_size(agency, operator_id)));

	if (state)
		place_key(state, rule_count, agency, operator_id);
	return state;
}

static int severity_level(const char *severity)
{
	if (strcmp(severity, "critical") == 0)
		return 2;
	return strcmp(severity, "warning") == 0 ? 1 : 0;
}

/* A sequential rule's h: ln(false_alarm_calls), or as given. */
static double rule_threshold(const struct config_rule *rule)
{
	if (rule->type != CONFIG_RULE_SEQUENTIAL || rule->false_alarm_calls == 0)
		return rule->threshold;
	double h = sequential_threshold(rule->false_alarm_calls);

	return h > 0.0 ? h : rule->threshold;
}

/* Copy the configuration and derive what the hot path needs from it. */
static void take_config(struct detector *detector, const struct config *config)
{
	detector->config = *config;
	memset(detector->cusum_memo, 0, sizeof(detector->cusum_memo)); /* odds ratios may change */
	detector->max_talk_ms = (int64_t)(config->detector.max_talk_seconds * 1000.0 + 0.5);
	detector->callback_min_talk_ms =
		(int64_t)(config->detector.callback_min_talk_seconds * 1000.0 + 0.5);
	for (size_t r = 0; r < config->detector.rule_count; r++) {
		detector->span_ms[r] = (int64_t)config->detector.rules[r].window_seconds * 1000;
		detector->severity[r] = severity_level(config->detector.rules[r].severity);
		detector->threshold[r] = rule_threshold(&config->detector.rules[r]);
	}
	if (detector->binomial) /* a window's counts are at most max_window_calls */
		detector->binomial->max_count = config->tracker.max_window_calls + 1;
}

static bool allocate_tables(struct detector *detector)
{
	uint32_t max_operators = detector->config.tracker.max_operators;

	int registry_rc = registry_init(&detector->registry, max_operators);

	detector->open_episodes = calloc(max_operators, sizeof(*detector->open_episodes));
	detector->callbacks =
		calloc(detector->config.detector.max_alert_callbacks, sizeof(*detector->callbacks));
	detector->callers = callers_new(detector->config.tracker.max_recent_callers);
	return registry_rc == 0 && detector->open_episodes && detector->callbacks &&
	       detector->callers &&
	       table_init(&detector->operators, sizeof(struct operator_entry), max_operators) ==
		       0 &&
	       table_init(&detector->baselines, sizeof(struct baseline_entry), max_operators) == 0;
}

void detector_on_source_departure(struct detector *detector, detector_source_fn fn, void *ctx)
{
	detector->on_source = fn;
	detector->source_ctx = ctx;
}

void detector_set_eviction(struct detector *detector, const struct detector_eviction *eviction)
{
	detector->eviction = *eviction;
}

struct detector *detector_new(const struct config *config, detector_alert_fn on_alert, void *ctx)
{
	struct detector *detector;

	/* The parser bounds the rules: every per-rule array is CONFIG_MAX_RULES long. */
	if (INVARIANT_FAILS(config->detector.rule_count <= CONFIG_MAX_RULES))
		return NULL;
	if (!(detector = calloc(1, sizeof(*detector))))
		return NULL;
	if (!(detector->binomial = malloc(sizeof(*detector->binomial)))) {
		free(detector);
		return NULL;
	}
	binomial_cache_init(detector->binomial, 0);
	take_config(detector, config);
	detector->on_alert = on_alert;
	detector->ctx = ctx;
	detector->now_ms = INT64_MIN;
	detector->next_tick_ms = INT64_MIN;
	detector->next_seq = 1;
	window_init(&detector->center, detector->center_spans, detector->span_ms,
		    config->detector.rule_count, config->tracker.max_center_calls, 0);
	if (!allocate_tables(detector)) {
		detector_free(detector);
		return NULL;
	}
	return detector;
}

static void free_episode(struct episode *episode)
{
	if (!episode)
		return;
	free(episode->ack);
	free(episode->callbacks);
	free(episode);
}

static void free_state(struct operator_state *state)
{
	free_episode(state->episode);
	free(state->long_position);
	window_release(&state->window);
	free(state);
}

void detector_free(struct detector *detector)
{
	if (!detector)
		return;
	for (uint32_t i = 0; i < detector->registry.capacity; i++)
		if (registry_get(&detector->registry, i))
			free_state(registry_get(&detector->registry, i));
	table_release(&detector->operators);
	table_release(&detector->baselines);
	window_release(&detector->center);
	callers_free(detector->callers);
	registry_release(&detector->registry);
	free(detector->open_episodes);
	free(detector->forgotten);
	free(detector->due);
	if (detector->binomial)
		binomial_cache_release(detector->binomial);
	free(detector->binomial);
	free(detector->callbacks);
	free(detector);
}

bool detector_is_premature(const struct detector *detector, const struct completed_call *call)
{
	return (call->released_by & detector->config.detector.released_by_mask) &&
	       call->end_ms - call->start_ms < detector->max_talk_ms && !call->had_incident &&
	       !call->had_transfer;
}

bool detector_is_real_call(const struct detector *detector, const struct completed_call *call,
			   bool premature)
{
	return !premature &&
	       (detector->callback_min_talk_ms <= 0 || call->had_incident || call->had_transfer ||
		call->end_ms - call->start_ms >= detector->callback_min_talk_ms);
}

/* ---- operators ---------------------------------------------------------------------- */

static bool operator_matches(const void *entry, const void *key)
{
	const struct operator_state *state = ((const struct operator_entry *)entry)->state;
	const struct operator_key *wanted = key;

	return strcmp(state->operator_id, wanted->operator_id) == 0 &&
	       strcmp(state->agency, wanted->agency) == 0;
}

/* Idle operators go first; one with an open alert only if nobody else is left (what a
 * smaller max_operators on reload evicts). */
static int64_t operator_age(const void *entry)
{
	const struct operator_state *state = ((const struct operator_entry *)entry)->state;

	return episode_open(state) ? INT64_MAX : state->last_active_ms;
}

static void close_episode(struct detector *detector, struct operator_state *state);

static void forget_operator(void *entry, void *ctx)
{
	struct detector *detector = ctx;
	struct operator_state *state = ((struct operator_entry *)entry)->state;

	if (episode_open(state))
		close_episode(detector, state);
	registry_vacate(&detector->registry, state->index);
	count_move(detector, &detector->stats.operators_evicted, 1);
	free_state(state);
}

static struct operator_state *new_operator(struct detector *detector,
					   const struct operator_key *key)
{
	struct operator_state *state = alloc_state(detector, key->agency, key->operator_id);

	if (!state)
		return NULL;
	/* The table has room, so the registry has a free index. */
	if (INVARIANT_FAILS(registry_claim(&detector->registry, state, &state->index,
					   &state->generation) == 0)) {
		free(state);
		return NULL;
	}
	state->last_active_ms = INT64_MIN; /* no call yet (an operator_state made it) */
	state->own.at_ms = INT64_MIN;
	state->own_fast.at_ms = INT64_MIN;
	state->history.at_ms = INT64_MIN;
	state->tick.due_ms = INT64_MAX;
	state->tick.due_position = NOT_DUE;
	state->tick.evaluated_tick = detector->ticks;
	window_init(&state->window, state_spans(state, detector->config.detector.rule_count),
		    detector->span_ms, detector->config.detector.rule_count,
		    detector->config.tracker.max_window_calls, sizeof(struct call_detail));
	window_set_drop(&state->window, drop_call_detail);
	return state;
}

static int64_t operator_now(const struct detector *detector, const struct operator_state *state);

/* An operator that may be evicted, and its evidence: calls in its windows. */
struct eviction_candidate {
	struct operator_state *state;
	uint32_t calls;
};

/* Least evidence first: fewest calls in its windows, then least recently active, then by key. */
static int compare_evidence(const struct eviction_candidate *a, const struct eviction_candidate *b)
{
	int order;

	if (a->calls != b->calls)
		return a->calls < b->calls ? -1 : 1;
	if (a->state->last_active_ms != b->state->last_active_ms)
		return a->state->last_active_ms < b->state->last_active_ms ? -1 : 1;
	if ((order = strcmp(a->state->agency, b->state->agency)) != 0)
		return order;
	return strcmp(a->state->operator_id, b->state->operator_id);
}

static int compare_candidates(const void *a, const void *b)
{
	return compare_evidence(a, b);
}

static void swap_candidates(struct eviction_candidate *a, struct eviction_candidate *b)
{
	struct eviction_candidate t = *a;

	*a = *b;
	*b = t;
}

/* Reorder candidates[0..n) so that the k (0 < k <= n) with the least evidence come first:
 * quickselect, O(n) on average; keys are distinct (one entry per operator). */
static void select_least_evidence(struct eviction_candidate *candidates, uint32_t n, uint32_t k)
{
	uint32_t low = 0, high = n - 1;

	while (low < high) {
		uint32_t store = low;
		swap_candidates(&candidates[low + (high - low) / 2], &candidates[high]);
		for (uint32_t i = low; i < high; i++)
			if (compare_evidence(&candidates[i], &candidates[high]) < 0)
				swap_candidates(&candidates[i], &candidates[store++]);
		swap_candidates(&candidates[store], &candidates[high]);
		if (store == k - 1 || store == k)
			return;
		if (store > k)
			high = store - 1;
		else
			low = store + 1;
	}
}

/* The operators that may go (no open alert; of those owned by the eviction's choice alone if
 * chosen), with their windows moved to now. */
static uint32_t gather_owned(struct detector *detector, struct eviction_candidate *candidates,
			     bool chosen)
{
	const struct detector_eviction *eviction = &detector->eviction;
	struct table *operators = &detector->operators;
	uint32_t n = 0;

	for (uint32_t i = 0; i <= operators->mask; i++) {
		if (!table_used(operators, i))
			continue;
		struct operator_state *state =
			((struct operator_entry *)table_slot(operators, i))->state;
		if (episode_open(state) ||
		    (chosen && !eviction->owns(state->agency, state->operator_id, eviction->ctx)))
			continue;
		window_advance(&state->window, operator_now(detector, state));
		candidates[n++] =
			(struct eviction_candidate){ .state = state, .calls = state->window.count };
	}
	return n;
}

/* The operators that may go: of the chosen owner's alone when the eviction chooses one and
 * they are any (audit F9), else of all. */
static uint32_t gather_candidates(struct detector *detector, struct eviction_candidate *candidates)
{
	const struct detector_eviction *eviction = &detector->eviction;
	uint32_t n = eviction->choose && eviction->choose(eviction->ctx)
			     ? gather_owned(detector, candidates, true)
			     : 0;

	return n > 0 ? n : gather_owned(detector, candidates, false);
}

/* Forget up to wanted (> 0) operators with the least evidence, never one with an open alert:
 * of the chosen owner's alone while it has any (fewer than wanted then). The number forgotten:
 * 0 when every operator has an open alert (or on no memory). */
static uint32_t evict_least_evidence(struct detector *detector, uint32_t wanted)
{
	struct table *operators = &detector->operators;
	struct eviction_candidate *candidates =
		malloc((size_t)operators->count * sizeof(*candidates));
	uint32_t n, k = wanted;

	if (!candidates)
		return 0;
	n = gather_candidates(detector, candidates);
	if (k > n)
		k = n;
	if (k > 0)
		select_least_evidence(candidates, n, k);
	/* Forgotten in evidence order, not the table's slot order (which depends on its size):
	 * the indexes freed are handed out again in this order. */
	qsort(candidates, k, sizeof(*candidates), compare_candidates);
	for (uint32_t j = 0; j < k; j++) {
		struct operator_state *state = candidates[j].state;
		struct operator_key key = { .agency = state->agency,
					    .operator_id = state->operator_id };
		uint32_t i = table_probe(operators, hash_string_pair(key.agency, key.operator_id),
					 operator_matches, &key);
		forget_operator(table_slot(operators, i), detector);
		table_remove(operators, i);
	}
	free(candidates);
	return k;
}

/* Make room in a full table: the 1/16 of the operators with the least evidence (at least one).
 * False when every operator has an open alert. */
static bool make_room(struct detector *detector)
{
	return evict_least_evidence(
		       detector, table_evict_share(detector->operators.count, EVICT_FRACTION)) > 0;
}

/* The operator's state, created on first sight (evicting those with the least evidence when
 * full). NULL when the table is full of operators with open alerts (counted) or on no memory. */
bool detector_holds_operator(const struct detector *detector, const char *agency,
			     const char *operator_id)
{
	struct operator_key key = {.agency = agency, .operator_id = operator_id};

	return table_used(&detector->operators,
			  table_probe(&detector->operators, hash_string_pair(agency, operator_id),
				      operator_matches, &key));
}

static struct operator_state *find_operator(struct detector *detector, const char *agency,
					    const char *operator_id, uint64_t hash)
{
	struct operator_key key = {.agency = agency, .operator_id = operator_id};
	struct table *operators = &detector->operators;
	uint32_t i = table_probe(operators, hash, operator_matches, &key);

	if (table_used(operators, i))
		return ((struct operator_entry *)table_slot(operators, i))->state;
	if (operators->count >= operators->max_count) {
		if (!make_room(detector)) {
			count_move(detector, &detector->stats.operators_refused, 1);
			return NULL;
		}
		i = table_probe(operators, hash, operator_matches, &key);
	}
	struct operator_entry *entry = table_claim(operators, i, hash);
	struct operator_state *state = entry ? new_operator(detector, &key) : NULL;
	if (state)
		entry->state = state;
	else if (entry)
		table_remove(operators, table_index(operators, entry));
	return state;
}

void detector_operator_state(struct detector *detector, const struct event *event)
{
	struct operator_state *state =
		find_operator(detector, event->agency, event->operator_id,
			      hash_string_pair(event->agency, event->operator_id));

	if (!state ||
	    (state->agent_state != AGENT_STATE_NONE && event->ts_ms < state->agent_state_ms))
		return; /* refused (counted by find_operator), or older than the state kept */
	state->agent_state = event->state;
	state->agent_state_ms = event->ts_ms;
	if (!state_position(state)[0])
		set_position(state, event->position);
}

/* ---- rules -------------------------------------------------------------------------- */

/* What one rule sees for one operator at the detector's clock. */
struct rule_view {
	const struct window_counts *counts;
	double ratio;
	double center_ratio; /* the other operators' ratio in the same window */
	double p_value;
};

static double center_other_ratio(const struct detector *detector,
				 const struct operator_state *state, size_t rule)
{
	const struct window_counts *center = &detector->center.spans[rule].counts;
	const struct window_counts *own = &state->window.spans[rule].counts;
	uint32_t calls = center->calls > own->calls ? center->calls - own->calls : 0;
	uint32_t premature =
		center->premature > own->premature ? center->premature - own->premature : 0;

	return calls > 0 ? (double)premature / calls : 0.0;
}

static struct rule_view view_rule(const struct detector *detector,
				  const struct operator_state *state, size_t rule)
{
	const struct config_rule *config = &detector->config.detector.rules[rule];
	struct rule_view view = {.counts = &state->window.spans[rule].counts};
	double p_center;

	view.ratio = view.counts->calls ? (double)view.counts->premature / view.counts->calls : 0.0;
	view.center_ratio = center_other_ratio(detector, state, rule);
	p_center = view.center_ratio > config->min_center_ratio ? view.center_ratio
								: config->min_center_ratio;
	view.p_value = binomial_upper_tail_cached(detector->binomial, view.counts->premature,
						  view.counts->calls, p_center);
	return view;
}

/* A sequential rule's evidence and run, as its alerts carry them. */
static void sequential_figures(const struct detector *detector, const struct operator_state *state,
			       size_t r, struct detector_rule_figures *figures)
{
	const struct rule_state *rs = &state->rules[r];

	if (detector->config.detector.rules[r].type != CONFIG_RULE_SEQUENTIAL)
		return;
	figures->sequential = true;
	figures->evidence = rs->evidence;
	figures->threshold = detector->threshold[r];
	figures->run_calls = rs->run_calls;
	figures->run_premature = rs->run_premature;
	figures->expected = rs->run_expected;
	figures->own_factor = rs->own_factor;
}

void detector_each_operator(const struct detector *detector, detector_operator_fn fn, void *ctx)
{
	struct detector_operator_figures figures;

	for (uint32_t i = 0; i < detector->config.tracker.max_operators; i++) {
		const struct operator_state *state = registry_get(&detector->registry, i);

		if (!state)
			continue;
		figures = (struct detector_operator_figures){
			.agency = state->agency,
			.operator_id = state->operator_id,
			.position = state_position(state),
			.last_active_ms = state->last_active_ms,
			.open_alert_id = episode_open(state) ? state->episode->alert_id : NULL,
			.state = state->agent_state,
			.state_since_ms = state->agent_state_ms,
			.rule_count = detector->config.detector.rule_count,
		};
		for (size_t r = 0; r < figures.rule_count; r++) {
			const struct window_counts *counts = &state->window.spans[r].counts;
			struct detector_rule_figures *rule = &figures.rules[r];

			rule->rule = detector->config.detector.rules[r].name;
			rule->window_seconds = detector->config.detector.rules[r].window_seconds;
			rule->calls = counts->calls;
			rule->premature = counts->premature;
			rule->called_back = counts->called_back;
			rule->ratio =
				counts->calls ? (double)counts->premature / counts->calls : 0.0;
			rule->center_ratio = center_other_ratio(detector, state, r);
			sequential_figures(detector, state, r, rule);
		}
		figures.history_end_ms = detector->now_ms;
		figures.history_bucket_ms = state->window.longest_ms / DETECTOR_HISTORY_BUCKETS;
		window_histogram(&state->window, figures.history_end_ms, figures.history_bucket_ms,
				 DETECTOR_HISTORY_BUCKETS, figures.history);
		fn(&figures, ctx);
	}
}

/* A window rule's thresholds on the window's counts alone (its p-value aside). */
static bool counts_hold(const struct config_rule *rule, const struct window_counts *counts)
{
	double weighted =
		counts->premature + (rule->called_back_weight - 1.0) * counts->called_back;

	return !(counts->calls < rule->min_calls || weighted < rule->min_premature ||
		 weighted < rule->min_ratio * counts->calls ||
		 counts->called_back < rule->min_called_back);
}

/* A window rule: its thresholds (and its p-value, if it has one) met by the window's counts.
 * *compared: the p-value was computed (it follows the rest of the center, call by call). */
static bool thresholds_hold(const struct config_rule *rule, const struct window_counts *counts,
			    const struct detector *detector, const struct operator_state *state,
			    size_t r, bool *compared)
{
	if (!counts_hold(rule, counts))
		return false;
	if (rule->max_p_value >= 1.0)
		return true;
	*compared = true;
	return view_rule(detector, state, r).p_value <= rule->max_p_value;
}

/* A sequential rule's threshold for this operator: the rule's, or the lower one its calls per
 * hour earned at its last call (false_alarm_hours). */
static double sequential_h(const struct detector *detector, const struct operator_state *state,
			   size_t r)
{
	double hourly = state->rules[r].hourly_threshold;

	return hourly > 0.0 ? hourly : detector->threshold[r];
}

/* Does rule r hold? *every_tick set when its truth may change at the next tick without a call
 * or a call leaving the window (a CUSUM alarm, a p-value). */
static bool rule_holds(const struct detector *detector, struct operator_state *state, size_t r,
		       bool *every_tick)
{
	const struct config_rule *rule = &detector->config.detector.rules[r];

	if (rule->type == CONFIG_RULE_CUSUM) {
		*every_tick |= state->rules[r].cusum_alarm; /* the alarm is over at the next tick */
		return state->rules[r].cusum_alarm;
	}
	if (rule->type == CONFIG_RULE_SEQUENTIAL)
		return state->rules[r].evidence >= sequential_h(detector, state, r);
	return thresholds_hold(rule, &state->window.spans[r].counts, detector, state, r,
			       every_tick);
}

/* The CUSUM rules' in-control rate: configured, or the rest of the center's (floored). */
static double in_control_rate(const struct detector *detector, const struct operator_state *state,
			      size_t r)
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
static void step_cusums(struct detector *detector, struct operator_state *state, bool premature)
{
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		const struct config_rule *rule = &detector->config.detector.rules[r];
		struct rule_state *rs = &state->rules[r];
		if (rule->type != CONFIG_RULE_CUSUM)
			continue;
		double p0 = in_control_rate(detector, state, r);
		struct cusum_memo *memo = &detector->cusum_memo[r];
		if (!memo->set || memo->p0 != p0) { /* p0 is never 0 nor NaN: equal is same bits */
			memo->weights = cusum_weights(p0, rule->odds_ratio);
			memo->p0 = p0;
			memo->set = true;
		}
		rs->cusum = cusum_step(rs->cusum, premature, &memo->weights);
		rs->cusum_alarm = rs->cusum >= rule->threshold;
		if (rs->cusum_alarm) {
			rs->cusum_at_alarm = rs->cusum;
			rs->cusum = 0.0;
		}
	}
}

/* ---- the sequential rules ------------------------------------------------------------ */

/* What a baseline is found by: its agency ("" for the center) and its source. */
struct baseline_key {
	const char *agency;
	const char *source;
};

static bool baseline_matches(const void *entry, const void *key)
{
	const struct baseline_entry *baseline = entry;
	const struct baseline_key *wanted = key;

	return strcmp(baseline->agency, wanted->agency) == 0 &&
	       text_equal(baseline->source, wanted->source);
}

static int64_t baseline_age(const void *entry)
{
	return ((const struct baseline_entry *)entry)->rate.at_ms;
}

static void end_forgotten(struct detector *detector, struct baseline_entry *gone);

/* A baseline forgotten to make room (tracker.max_operators): counted, and when it held a
 * departure kept for settle_forgotten (without the memory for the copy, settled at once). */
static void forget_baseline(void *entry, void *ctx)
{
	struct detector *detector = ctx;
	struct baseline_entry *gone = entry;

	count_move(detector, &detector->stats.baselines_evicted, 1);
	if (!gone->departed && !gone->departed_sources)
		return;
	if (detector->forgotten_count == detector->forgotten_room) {
		uint32_t room = detector->forgotten_room ? 2 * detector->forgotten_room : 4;
		struct baseline_entry *grown =
			realloc(detector->forgotten, (size_t)room * sizeof(*grown));
		if (!grown) {
			end_forgotten(detector, gone);
			return;
		}
		detector->forgotten = grown;
		detector->forgotten_room = room;
	}
	detector->forgotten[detector->forgotten_count++] = *gone;
}

static void settle_forgotten(struct detector *detector);

/* Whose calls a call of source for agency joins and is judged against: the agency's ("" in
 * scope center), of the source alone when detector.baseline.per_source (one source cannot
 * move the baseline or the storm volume of another's call-takers), else of every source. */
static struct baseline_key baseline_key_of(const struct detector *detector, const char *agency,
					   const char *source)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;

	return (struct baseline_key){
		.agency = baseline->scope == CONFIG_BASELINE_CENTER ? "" : agency,
		.source = baseline->per_source && source ? source : "",
	};
}

/* The hash a baseline's key is found by. */
static uint64_t baseline_hash(struct baseline_key key)
{
	return hash_string_pair(key.agency, key.source);
}

/* The baseline of a key whose baseline_hash is hash if there is one (NULL: none yet). */
static struct baseline_entry *existing_baseline_hashed(const struct detector *detector,
						       struct baseline_key key, uint64_t hash)
{
	uint32_t i = table_probe(&detector->baselines, hash, baseline_matches, &key);

	return table_used(&detector->baselines, i) ? table_slot(&detector->baselines, i) : NULL;
}

/* The baseline of agency and source if it has one (NULL: none yet). */
static struct baseline_entry *existing_baseline(const struct detector *detector,
						const char *agency, const char *source)
{
	struct baseline_key key = baseline_key_of(detector, agency, source);

	return existing_baseline_hashed(detector, key, baseline_hash(key));
}

/* The baseline of a key whose baseline_hash is hash (created empty: the prior alone; NULL: no
 * memory); *found: it was there, and the table has not changed (NULL: not asked). */
static struct baseline_entry *find_baseline_hashed(struct detector *detector,
						   struct baseline_key key, uint64_t hash,
						   bool *found)
{
	struct table *baselines = &detector->baselines;
	uint32_t i = table_probe(baselines, hash, baseline_matches, &key);

	if (found)
		*found = table_used(baselines, i);
	if (table_used(baselines, i))
		return table_slot(baselines, i);
	if (baselines->count >= baselines->max_count) {
		table_evict_oldest(baselines, baseline_age, EVICT_FRACTION, forget_baseline,
				   detector);
		settle_forgotten(detector);
		i = table_probe(baselines, hash, baseline_matches, &key);
	}
	struct baseline_entry *entry = table_claim(baselines, i, hash);
	if (!entry)
		return NULL; /* no memory to grow the table */
	memset((char *)entry + sizeof(entry->base), 0, sizeof(*entry) - sizeof(entry->base));
	text_copy(entry->agency, key.agency, sizeof(entry->agency));
	text_copy(entry->source, key.source, sizeof(entry->source));
	entry->rate.at_ms = INT64_MIN;
	entry->fast.at_ms = INT64_MIN;
	entry->volume_fast.at_ms = INT64_MIN;
	entry->volume_usual.at_ms = INT64_MIN;
	entry->volume_first_ms = INT64_MIN;
	entry->offered_fast.at_ms = INT64_MIN;
	entry->offered_usual.at_ms = INT64_MIN;
	entry->offered_first_ms = INT64_MIN;
	return entry;
}


/* The source name of the own baseline (for the source cap) of the connections without a hello,
 * whose shared key is "" already: no hello's source has control characters
 * (event_source_check). */
#define UNNAMED_OWN_SOURCE "\x01"

/* The key of source's own baseline of the agency, kept beside the shared one to cap what the
 * other sources do to it (detector.baseline.source_cap_z) and to tell whether it departs from
 * them (source_depart_z); false when there is none to keep: both are off, or the shared
 * baseline is the source's already (per_source). */
static bool source_cap_key(const struct detector *detector, const char *agency,
			   const char *source, struct baseline_key *key)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;

	*key = baseline_key_of(detector, agency, source);
	if (!(baseline->source_cap_z > 0.0 || baseline->source_depart_z > 0.0) || key->source[0])
		return false;
	key->source = source && source[0] ? source : UNNAMED_OWN_SOURCE;
	return true;
}

/* Does the operator's long-run history learn from this call? Not while a sequential rule
 * holds: the calls that raised an alarm do not become the operator's own baseline. */
static bool history_learns(const struct detector *detector, const struct operator_state *state)
{
	for (size_t r = 0; r < detector->config.detector.rule_count; r++)
		if (detector->config.detector.rules[r].type == CONFIG_RULE_SEQUENTIAL &&
		    state->rules[r].evidence >= sequential_h(detector, state, r))
			return false;
	return true;
}

/* One call's step of a sequential rule: its expectation p0 and its log-likelihood ratio. */
static void step_sequential_rule(const struct config_rule *rule, struct rule_state *rs,
				 int64_t start_ms, double p0, bool premature)
{
	double before = rs->evidence;

	if (!premature && before <= 0.0 && rule->cut_share >= SEQUENTIAL_SURE_CUT_SHARE)
		rs->evidence = 0.0; /* its ratio is below 0: the CUSUM stays at 0 */
	else
		rs->evidence += sequential_llr(p0, rule->cut_share, premature);
	if (rs->evidence <= 0.0) {
		rs->evidence = 0.0;
		rs->run_calls = rs->run_premature = rs->run_called_back = 0;
		rs->run_expected = 0.0;
		return;
	}
	if (before <= 0.0) {
		rs->run_start_ms = start_ms;
		rs->run_calls = rs->run_premature = rs->run_called_back = 0;
		rs->run_expected = 0.0;
	}
	rs->run_calls++;
	rs->run_premature += premature;
	rs->run_expected += p0;
}

/* The operator's calls per hour before this call (ending at at_ms) set the rule's threshold
 * for it (false_alarm_hours); then the call joins them. The hours are the operator's worked
 * clock: a gap between two calls counts up to rate_max_gap_seconds. */
static void step_hourly_threshold(const struct detector *detector, const struct config_rule *rule,
				  struct rule_state *rs, size_t r, int64_t at_ms)
{
	double half_life = rule->rate_half_life_seconds;

	if (!rs->rate_seen) {
		rs->rate_seen = true;
		rs->first_call_ms = at_ms;
		memset(&rs->calls_rate, 0, sizeof(rs->calls_rate));
		rs->calls_rate.at_ms = at_ms;
	}
	sequential_rate_skip_gap(&rs->calls_rate, &rs->first_call_ms, at_ms,
				 (int64_t)rule->rate_max_gap_seconds * 1000);
	sequential_rate_advance(&rs->calls_rate, at_ms, half_life);
	double per_hour = sequential_calls_per_hour(
		&rs->calls_rate, (double)(at_ms - rs->first_call_ms) / 1000.0, half_life);
	rs->hourly_threshold = sequential_hourly_threshold(
		detector->threshold[r], rule->false_alarm_hours, per_hour, rule->max_calls_per_hour,
		rule->hourly_raises);
	sequential_rate_add(&rs->calls_rate, at_ms, half_life, false);
}

/* A volume's pair of rates (fast, usual) past the gap without calls before at_ms, of which at
 * most STORM_MAX_GAP_MS counts: its worked clock's start first_ms moved up by the rest. */
static void skip_volume_gaps(struct sequential_rate *fast, struct sequential_rate *usual,
			     int64_t *first_ms, int64_t at_ms)
{
	int64_t fast_first_ms = *first_ms;

	sequential_rate_skip_gap(usual, first_ms, at_ms, STORM_MAX_GAP_MS);
	sequential_rate_skip_gap(fast, &fast_first_ms, at_ms, STORM_MAX_GAP_MS);
}

/* Advance the agency's volume (its calls at the fast half-life and at the usual one, on its
 * worked clock: of a gap without calls at most STORM_MAX_GAP_MS counts) to at_ms. */
static void advance_volume(struct detector *detector, struct baseline_entry *entry, int64_t at_ms)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;

	if (entry->volume_first_ms == INT64_MIN)
		entry->volume_first_ms = at_ms;
	else
		skip_volume_gaps(&entry->volume_fast, &entry->volume_usual, &entry->volume_first_ms,
				 at_ms);
	sequential_rate_advance_memo(&entry->volume_fast, at_ms, baseline->fast_half_life_seconds,
				     &detector->decay_memo[1]);
	sequential_rate_advance_memo(&entry->volume_usual, at_ms,
				     baseline->storm_usual_half_life_seconds,
				     &detector->decay_memo[2]);
}

/* Advance an agency's offered volume (or a copy of it) to at_ms on its worked clock, as
 * advance_volume does the answered one. */
static void advance_offered(const struct config_baseline *baseline,
			    struct sequential_rate *fast, struct sequential_rate *usual,
			    int64_t *first_ms, int64_t at_ms)
{
	skip_volume_gaps(fast, usual, first_ms, at_ms);
	sequential_rate_advance(fast, at_ms, baseline->fast_half_life_seconds);
	sequential_rate_advance(usual, at_ms, baseline->storm_usual_half_life_seconds);
}

/* The surge of the agency's offered calls at at_ms: their rate over the last minutes against
 * the usual one. -1 (the answered gate is used) when the agency sent none in the
 * storm_usual_half_life_seconds before at_ms, or for less than that in all (not known yet). */
static double offered_surge(const struct config_baseline *baseline,
			    const struct baseline_entry *entry, int64_t at_ms)
{
	int64_t recent_ms = (int64_t)(baseline->storm_usual_half_life_seconds * 1000.0);

	if (entry->offered_first_ms == INT64_MIN || at_ms - entry->offered_fast.at_ms > recent_ms)
		return -1.0;
	struct sequential_rate fast = entry->offered_fast, usual = entry->offered_usual;
	int64_t first_ms = entry->offered_first_ms;

	advance_offered(baseline, &fast, &usual, &first_ms, at_ms);
	return sequential_volume_surge(&fast, baseline->fast_half_life_seconds, &usual,
				       baseline->storm_usual_half_life_seconds,
				       (double)(fast.at_ms - first_ms) / 1000.0);
}

void detector_call_offered(struct detector *detector, const struct event *event,
			   const char *source)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;
	struct baseline_entry *entry = existing_baseline(detector, event->agency, source);

	if (!entry) { /* no answered call yet: an agency known by arrivals alone makes none */
		detector->stats.offered_unknown++;
		return;
	}
	detector->stats.offered++;
	int64_t at_ms = event->ts_ms > entry->offered_fast.at_ms ? event->ts_ms
								: entry->offered_fast.at_ms;
	if (entry->offered_first_ms == INT64_MIN)
		entry->offered_first_ms = entry->offered_fast.at_ms = entry->offered_usual.at_ms =
			at_ms;
	advance_offered(baseline, &entry->offered_fast, &entry->offered_usual,
			&entry->offered_first_ms, at_ms);
	sequential_rate_count(&entry->offered_fast, false);
	sequential_rate_count(&entry->offered_usual, false);
}

/* The answered gate's weight: by the surge of the rest of the agency's answered volume against
 * storm_volume_factor, the operator's own calls taken out of the last minutes and their share of
 * the last half-hour out of the usual (a rogue's own cut-offs, which free them for more calls,
 * raise no surge; a storm raises everybody's). */
static double answered_kept(const struct config_baseline *baseline,
			    const struct baseline_entry *entry, const struct operator_state *state)
{
	if (!(baseline->storm_volume_factor > 0.0))
		return 0.0;
	struct sequential_rate fast = entry->volume_fast, usual = entry->volume_usual;
	double whole = entry->rate.calls + entry->rate.pending_calls;
	double own = state->own.calls + state->own.pending_calls;
	double own_share = whole > 0.0 ? fmin(own / whole, 1.0) : 0.0;

	fast.calls -= state->own_fast.calls + state->own_fast.pending_calls;
	if (fast.calls < 0.0)
		fast.calls = 0.0;
	usual.calls *= 1.0 - own_share;
	usual.pending_calls *= 1.0 - own_share;
	/* below the factor the weight is 0: the surge need not be exact there */
	double surge = sequential_volume_surge_over(
		&fast, baseline->fast_half_life_seconds, &usual,
		baseline->storm_usual_half_life_seconds,
		(double)(entry->volume_fast.at_ms - entry->volume_first_ms) / 1000.0,
		baseline->storm_volume_factor);
	return sequential_surge_weight(surge, baseline->storm_volume_factor, STORM_RAMP);
}

/* What share of the operator's own fast calls the storm gate keeps in their rest: the larger of
 * the answered gate's weight and, while the agency sends call_offered events (offered_surge
 * known), the offered gate's (the surge of its offered calls against storm_offered_factor). An
 * outage of the arrivals, or a trickle of them, leaves the answered gate as it was. With the
 * source's own baseline (own_source, else NULL) the answered weight is the lower of the shared
 * volume's and the source's own: another source's fake storm does not open it. */
static double storm_own_kept(const struct config_baseline *baseline,
			     const struct baseline_entry *entry,
			     const struct baseline_entry *own_source,
			     const struct operator_state *state, int64_t at_ms)
{
	double kept = answered_kept(baseline, entry, state);
	if (own_source && kept > 0.0)
		kept = fmin(kept, answered_kept(baseline, own_source, state));
	double offered = baseline->storm_offered_factor > 0.0
				 ? offered_surge(baseline, entry, at_ms)
				 : -1.0;
	if (offered >= 0.0)
		kept = fmax(kept, sequential_surge_weight(offered, baseline->storm_offered_factor,
							  STORM_RAMP));
	return kept;
}

/* The rest's fast rate for the operator: without their own calls, or, in a storm (kept > 0),
 * with that share of them kept where it is higher. */
static double rest_fast_ratio(const struct baseline_entry *entry,
			      const struct operator_state *state, double kept, double prior_calls,
			      double prior_ratio)
{
	double rest_fast =
		sequential_rest_ratio(&entry->fast, &state->own_fast, prior_calls, prior_ratio);

	if (kept > 0.0) {
		double with_own = sequential_rest_ratio_keeping(&entry->fast, &state->own_fast,
								kept, prior_calls, prior_ratio);
		if (with_own > rest_fast)
			rest_fast = with_own;
	}
	return rest_fast;
}

/* The four rates of a baseline the departed sources' sum follows, by the index of out[]. */
static struct sequential_rate *counted_rate(struct baseline_entry *entry, size_t i)
{
	struct sequential_rate *rates[] = { &entry->rate, &entry->fast, &entry->volume_fast,
					    &entry->volume_usual };

	return rates[i];
}

/* Advance the departed sources' sum as the shared rates are (the same gaps skipped, the same
 * half-lives), so that it stays the part of them those sources' calls make. */
static void advance_out(const struct config_baseline *baseline, struct baseline_entry *entry,
			int64_t at_ms)
{
	int64_t first_ms = 0; /* the volume's worked clock is the shared one's */

	if (!entry->departed_sources)
		return;
	skip_volume_gaps(&entry->out[2], &entry->out[3], &first_ms, at_ms);
	sequential_rate_advance(&entry->out[0], at_ms, baseline->half_life_seconds);
	sequential_rate_advance(&entry->out[1], at_ms, baseline->fast_half_life_seconds);
	sequential_rate_advance(&entry->out[2], at_ms, baseline->fast_half_life_seconds);
	sequential_rate_advance(&entry->out[3], at_ms, baseline->storm_usual_half_life_seconds);
}

/* Advance a baseline's rates and volume to the call's end (or its own newest, if later). */
static int64_t advance_baseline(struct detector *detector, struct baseline_entry *entry,
				int64_t end_ms)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;
	int64_t at_ms = end_ms > entry->rate.at_ms ? end_ms : entry->rate.at_ms;

	advance_out(baseline, entry, at_ms);

	sequential_rate_advance_memo(&entry->rate, at_ms, baseline->half_life_seconds,
				     &detector->decay_memo[0]);
	sequential_rate_advance_memo(&entry->fast, at_ms, baseline->fast_half_life_seconds,
				     &detector->decay_memo[1]);
	advance_volume(detector, entry, at_ms);
	return at_ms;
}

/* Count one call in a baseline advanced to its end. */
static void count_baseline(struct baseline_entry *entry, bool premature)
{
	sequential_rate_count(&entry->rate, premature);
	sequential_rate_count(&entry->fast, premature);
	sequential_rate_count(&entry->volume_fast, premature);
	sequential_rate_count(&entry->volume_usual, premature);
}

/* The highest expectation the source's own calls allow the operator: the Wilson upper bound
 * (source_cap_z) of the premature rate of its usual volume (storm_usual_half_life_seconds: more
 * calls than the baseline's rate, so a narrower bound), the operator's share of the source's
 * calls taken out, with the configured prior (not the shared rate). */
static double source_cap(const struct config_baseline *baseline,
			 const struct baseline_entry *own_source,
			 const struct operator_state *state)
{
	static const struct sequential_rate none = { .calls = 0.0 };
	struct sequential_rate usual = own_source->volume_usual;
	double whole = own_source->rate.calls + own_source->rate.pending_calls;
	double own = state->own.calls + state->own.pending_calls;
	double out = whole > 0.0 ? fmin(own / whole, 1.0) : 0.0;

	usual.calls *= 1.0 - out;
	usual.premature *= 1.0 - out;
	return sequential_rest_upper(&usual, &none, 0.0, baseline->prior_calls,
				     baseline->prior_ratio, baseline->source_cap_z);
}

/* The rates a call advances and counts in a baseline (rate, fast, the volume's two and its
 * worked clock's start), contiguous: compared and copied whole (mirrors). */
#define COUNTED_BYTES (offsetof(struct baseline_entry, volume_first_ms) + sizeof(int64_t) - \
		       offsetof(struct baseline_entry, rate))
_Static_assert(offsetof(struct baseline_entry, volume_first_ms) ==
		       offsetof(struct baseline_entry, rate) + 4 * sizeof(struct sequential_rate),
	       "a baseline's counted rates are contiguous");

/* Does the source's own baseline hold, bit for bit, what the shared one does (before either is
 * advanced to the call)? Then advancing it would give what advancing the shared one gives (the
 * same functions of the same bits, the decay memos a cache), and its calls are all of the
 * shared one's: one source sends the agency's calls (cadmond's usual case, every replay of
 * it). An own baseline is never a shared one (no sum of departed sources to advance). */
static bool mirrors(const struct baseline_entry *own, const struct baseline_entry *shared)
{
	return !own->departed_sources && memcmp(&own->rate, &shared->rate, COUNTED_BYTES) == 0;
}

/* Add (sign 1) or take out (-1) a source's own calls to a shared baseline's sum of departed
 * ones, never below none. */
static void shift_out(struct baseline_entry *shared, struct baseline_entry *own, double sign)
{
	for (size_t i = 0; i < 4; i++) {
		struct sequential_rate *out = &shared->out[i];
		const struct sequential_rate *from = counted_rate(own, i);

		if (!shared->departed_sources) { /* the first out: a sum on the shared clock */
			*out = (struct sequential_rate){ .at_ms = counted_rate(shared, i)->at_ms };
		}
		out->calls = fmax(out->calls + sign * from->calls, 0.0);
		out->premature = fmax(out->premature + sign * from->premature, 0.0);
		out->pending_calls = fmax(out->pending_calls + sign * from->pending_calls, 0.0);
		out->pending_premature =
			fmax(out->pending_premature + sign * from->pending_premature, 0.0);
	}
}

/* rate minus out (both at the same time), never below none, premature never above calls. */
static void subtract_rate(struct sequential_rate *rate, const struct sequential_rate *out)
{
	rate->calls = fmax(rate->calls - out->calls, 0.0);
	rate->premature = fmin(fmax(rate->premature - out->premature, 0.0), rate->calls);
	rate->pending_calls = fmax(rate->pending_calls - out->pending_calls, 0.0);
	rate->pending_premature = fmin(fmax(rate->pending_premature - out->pending_premature, 0.0),
				       rate->pending_calls);
}

/* The one-sided z of a source's premature share above the rest of its agency's (two
 * proportions, pooled), on their usual volumes (storm_usual_half_life_seconds: the most calls
 * a baseline keeps), the source's scaled by 1 - left_out (the deciding call-taker's share of
 * its calls); 0 when either side has fewer than SOURCE_DEPART_MIN_CALLS. Figures to *figures. */
static double departure_z(const struct baseline_entry *shared, const struct baseline_entry *own,
			  double left_out, struct detector_source_departure *figures)
{
	double own_calls = own->volume_usual.calls + own->volume_usual.pending_calls;
	double own_premature = own->volume_usual.premature + own->volume_usual.pending_premature;
	double n_s = own_calls * (1.0 - left_out), k_s = own_premature * (1.0 - left_out);
	double n_r = fmax(shared->volume_usual.calls + shared->volume_usual.pending_calls -
				  own_calls, 0.0);
	double k_r = fmin(fmax(shared->volume_usual.premature +
				       shared->volume_usual.pending_premature - own_premature,
			       0.0),
			  n_r);

	*figures = (struct detector_source_departure){
		.source_calls = n_s,
		.source_ratio = n_s > 0.0 ? k_s / n_s : 0.0,
		.rest_calls = n_r,
		.rest_ratio = n_r > 0.0 ? k_r / n_r : 0.0,
	};
	if (n_s < SOURCE_DEPART_MIN_CALLS || n_r < SOURCE_DEPART_MIN_CALLS)
		return 0.0;
	double p = (k_s + k_r) / (n_s + n_r);
	double variance = p * (1.0 - p) * (1.0 / n_s + 1.0 / n_r);
	figures->z = variance > 0.0 ? (k_s / n_s - k_r / n_r) / sqrt(variance) : 0.0;
	return figures->z;
}

/* The calling call-taker's share of their source's calls of the agency (its own baseline). */
static double own_share_of(const struct baseline_entry *own, const struct operator_state *state)
{
	double whole = own->rate.calls + own->rate.pending_calls;
	double mine = state->own.calls + state->own.pending_calls;

	return whole > 0.0 ? fmin(mine / whole, 1.0) : 1.0;
}

/* The source (own: its own baseline, advanced as shared is) back in the shared rates. */
static void take_back_in(struct baseline_entry *shared, struct baseline_entry *own)
{
	shift_out(shared, own, -1.0);
	if (--shared->departed_sources == 0)
		memset(shared->out, 0, sizeof(shared->out));
	own->departed = false;
}

/* Take the source (own: its own baseline of the agency, shared: the agency's, both advanced to
 * the call) out of the shared rates the other sources' call-takers are judged against when
 * its calls depart from theirs, or back in when they no longer do, and say so. It goes out at
 * source_depart_z with the calling call-taker's own calls left out of its side (one call-taker
 * cannot take his source out: a rogue alone on his source is judged with the rest), and comes
 * back below half of it with all of its calls. */
static void judge_departure(struct detector *detector, struct baseline_entry *shared,
			    struct baseline_entry *own, const struct operator_state *state,
			    int64_t at_ms)
{
	double z_out = detector->config.detector.baseline.source_depart_z;
	struct detector_source_departure figures;
	bool on = z_out > 0.0;

	if (!on && !own->departed)
		return;
	double z = departure_z(shared, own, on && !own->departed ? own_share_of(own, state) : 0.0,
			       &figures);
	/* turned off (a reload): back in at its next call */
	bool departs = on && z >= (own->departed ? z_out / 4.0 : z_out);
	if (departs == own->departed)
		return;
	if (departs) {
		shift_out(shared, own, 1.0);
		shared->departed_sources++;
		own->departed = true;
	} else {
		take_back_in(shared, own);
	}
	detector->stats.sources_departed += departs;
	if (!detector->on_source)
		return;
	figures.agency = own->agency;
	figures.source = strcmp(own->source, UNNAMED_OWN_SOURCE) == 0 ? "" : own->source;
	figures.departs = departs;
	figures.at_ms = at_ms;
	detector->on_source(&figures, detector->source_ctx);
}

bool detector_source_back_in(struct detector *detector, const char *agency, const char *source)
{
	struct baseline_key own_key;
	struct baseline_entry *own, *shared;

	if (!source[0] || !source_cap_key(detector, agency, source, &own_key) ||
	    !(own = existing_baseline_hashed(detector, own_key, baseline_hash(own_key))) ||
	    !own->departed)
		return false;
	shared = existing_baseline(detector, agency, source);
	if (!shared || shared->departed_sources == 0) { /* the shared one forgotten since */
		own->departed = false;
		return true;
	}
	/* the sum of the sources out is at the shared rates' time, the newest of the two */
	advance_baseline(detector, own, shared->rate.at_ms);
	take_back_in(shared, own);
	return true;
}

/* A departure ended by an eviction told to the departure function: the source back in. */
static void tell_forgotten(struct detector *detector, const struct baseline_entry *own,
			   enum detector_back_in why)
{
	if (!detector->on_source)
		return;
	struct detector_source_departure figures = {
		.agency = own->agency,
		.source = strcmp(own->source, UNNAMED_OWN_SOURCE) == 0 ? "" : own->source,
		.departs = false,
		.back_in = why,
		.max_baselines = detector->baselines.max_count, /* a reload's new one already */
		.at_ms = INT64_MIN,
	};
	detector->on_source(&figures, detector->source_ctx);
}

/* The agency's own baselines still out (departed) of a shared baseline forgotten, in the order
 * of their sources' names: back in (a new shared one holds none of their calls), told. */
static void release_departed_of(struct detector *detector, const char *agency)
{
	struct table *baselines = &detector->baselines;

	for (;;) {
		struct baseline_entry *first = NULL;
		for (uint32_t i = 0; i <= baselines->mask; i++) {
			struct baseline_entry *own = table_slot(baselines, i);
			if (table_used(baselines, i) && own->departed &&
			    strcmp(own->agency, agency) == 0 &&
			    (!first || strcmp(own->source, first->source) < 0))
				first = own;
		}
		if (!first)
			return;
		first->departed = false;
		tell_forgotten(detector, first, DETECTOR_BACK_SHARED_FORGOTTEN);
	}
}

/* One forgotten baseline that held a departure (gone: a copy): a departed source's own, its
 * calls back in its agency's shared one (if that one is still kept); a shared one, the sources
 * out of it back in. Each told. */
static void end_forgotten(struct detector *detector, struct baseline_entry *gone)
{
	if (!gone->departed) {
		release_departed_of(detector, gone->agency);
		return;
	}
	/* an own baseline's agency is its shared one's already ("" in scope center) */
	struct baseline_key key = {.agency = gone->agency, .source = ""};
	struct baseline_entry *shared = existing_baseline_hashed(detector, key, baseline_hash(key));
	if (shared && shared->departed_sources > 0) {
		advance_baseline(detector, gone, shared->rate.at_ms);
		take_back_in(shared, gone);
	}
	tell_forgotten(detector, gone, DETECTOR_BACK_OWN_FORGOTTEN);
}

/* Baselines' order by key: agency, then source (a shared one, source "", first). */
static int by_baseline_key(const void *a, const void *b)
{
	const struct baseline_entry *x = a, *y = b;
	int by_agency = strcmp(x->agency, y->agency);

	return by_agency ? by_agency : strcmp(x->source, y->source);
}

/* After an eviction: the departures the baselines forgotten held ended (end_forgotten), in the
 * order of their keys: the same live and after a restore, whatever the slots' order. */
static void settle_forgotten(struct detector *detector)
{
	uint32_t count = detector->forgotten_count;

	if (count == 0)
		return;
	qsort(detector->forgotten, count, sizeof(*detector->forgotten), by_baseline_key);
	for (uint32_t i = 0; i < count; i++)
		end_forgotten(detector, &detector->forgotten[i]);
	detector->forgotten_count = 0;
}

/* The shared baseline as the call-takers of a source that did not depart see it: without the
 * calls of those that did (into *judged; entry itself when none did). */
static const struct baseline_entry *without_departed(const struct baseline_entry *entry,
						     struct baseline_entry *judged)
{
	if (!entry->departed_sources)
		return entry;
	*judged = *entry;
	for (size_t i = 0; i < 4; i++)
		subtract_rate(counted_rate(judged, i), &entry->out[i]);
	return judged;
}

/* Feed one call to the operator's sequential rules, then to its baseline and history. */
static void step_sequentials(struct detector *detector, struct operator_state *state,
			     const struct completed_call *call, bool premature)
{
	const struct config_baseline *baseline = &detector->config.detector.baseline;
	/* the shared key and the source's own have the same agency: hashed once for both */
	struct baseline_key shared_key = baseline_key_of(detector, state->agency, call->source);
	struct baseline_key own_key;
	/* the call's agency's hash when the key is the agency's (state->agency is call->agency) */
	uint64_t agency_hash = call->hashed && shared_key.agency == state->agency
				       ? call->agency_hash
				       : hash_string(shared_key.agency);
	bool keyed = source_cap_key(detector, state->agency, call->source, &own_key);
	uint64_t own_hash = keyed ? hash_string_pair_after(agency_hash, own_key.source) : 0;
	uint64_t shared_hash = hash_string_pair_after(agency_hash, shared_key.source);
	/* found (or made) before the shared one: making it may forget the stalest baselines */
	struct baseline_entry *own_source =
		keyed ? find_baseline_hashed(detector, own_key, own_hash, NULL) : NULL;
	struct baseline_entry *entry = existing_baseline_hashed(detector, shared_key, shared_hash);
	bool mirrored = entry && own_source && mirrors(own_source, entry);
	if (own_source && !mirrored) /* advanced before the shared one is made, by its age */
		advance_baseline(detector, own_source, call->end_ms);
	if (!entry) {
		entry = find_baseline_hashed(detector, shared_key, shared_hash, NULL);
		/* no memory for the agency's baseline: the call teaches no sequential rule */
		if (!entry)
			return;
		/* making the shared one may have moved or forgotten the source's */
		if (own_source)
			own_source = existing_baseline_hashed(detector, own_key, own_hash);
	}
	struct baseline_entry *counted = own_source;
	double fast_prior = baseline->prior_calls * baseline->fast_half_life_seconds /
			    baseline->half_life_seconds;
	int64_t at_ms = advance_baseline(detector, entry, call->end_ms);
	if (mirrored) /* what advancing it gives */
		memcpy(&own_source->rate, &entry->rate, COUNTED_BYTES);
	if (own_source && own_source->rate.calls >= entry->rate.calls)
		own_source = NULL; /* every call of the shared one is the source's: no other's */
	/* a mirror departs from no other source's calls: the rest has none (departure_z's 0) */
	if (counted && !(mirrored && !counted->departed))
		judge_departure(detector, entry, counted, state, at_ms);
	struct baseline_entry judged_copy;
	bool departures = baseline->source_depart_z > 0.0;
	const struct baseline_entry *judged =
		departures ? without_departed(entry, &judged_copy) : entry;
	if (departures && counted && counted->departed) {
		judged = counted; /* its call-takers follow their own source's calls */
		own_source = NULL;
	} else if (!(baseline->source_cap_z > 0.0)) {
		own_source = NULL;
	}

	sequential_rate_advance(&state->own, at_ms, baseline->half_life_seconds);
	sequential_rate_advance(&state->own_fast, at_ms, baseline->fast_half_life_seconds);
	double rest = sequential_rest_ratio(&judged->rate, &state->own, baseline->prior_calls,
					    baseline->prior_ratio);
	/* without a recent premature hangup of their own, keeping their calls cannot raise the
	 * fast rate: the surge is not needed */
	double own_premature = state->own_fast.premature + state->own_fast.pending_premature;
	double kept = own_premature > 0.0
			      ? storm_own_kept(baseline, judged, own_source, state, at_ms)
			      : 0.0;
	double rest_fast = rest_fast_ratio(judged, state, kept, fast_prior, rest);
	if (rest_fast > rest)
		rest = rest_fast;
	if (own_source)
		rest = fmin(rest, source_cap(baseline, own_source, state));
	sequential_history_advance(&state->history, at_ms, baseline->history_half_life_seconds,
				   baseline->history_settle_seconds);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		const struct config_rule *rule = &detector->config.detector.rules[r];
		struct rule_state *rs = &state->rules[r];
		if (rule->type != CONFIG_RULE_SEQUENTIAL)
			continue;
		/* the settled calls are a separate history only when calls settle */
		double settled_prior =
			baseline->history_settle_seconds > 0.0 ? rule->history_settled_prior : 0.0;
		if (rule->own_factor_lag && rs->evidence > 0.0 && rs->run_calls > 0)
			/* a run builds: the factor of its first call, from the calls before it */
			rs->own_factor = fmax(1.0, fmin(rs->own_factor, rule->max_own_factor));
		else
			rs->own_factor = sequential_history_factor(
				&state->history, rule->history_prior, settled_prior,
				rule->history_settled_min_expected, rule->max_own_factor);
		step_hourly_threshold(detector, rule, rs, r, at_ms);
		double p0 = rest * rs->own_factor;
		step_sequential_rule(rule, rs, call->start_ms,
				     p0 < SEQUENTIAL_P_MAX ? p0 : SEQUENTIAL_P_MAX, premature);
	}
	if (history_learns(detector, state))
		sequential_history_add(&state->history, premature, rest,
				       baseline->history_settle_seconds);
	/* all were advanced to the call's end above */
	count_baseline(entry, premature);
	if (counted)
		count_baseline(counted, premature);
	if (counted && counted->departed)
		for (size_t i = 0; i < 4; i++)
			sequential_rate_count(&entry->out[i], premature);
	sequential_rate_count(&state->own, premature);
	sequential_rate_count(&state->own_fast, premature);
}

/* A hangup of the operator whose caller rang again: a likelihood ratio of called_back_weight. */
static void sequential_called_back(const struct detector *detector, struct operator_state *state,
				   const struct caller_hangup *hangup)
{
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		const struct config_rule *rule = &detector->config.detector.rules[r];
		struct rule_state *rs = &state->rules[r];
		if (rule->type != CONFIG_RULE_SEQUENTIAL || rule->called_back_weight <= 1.0)
			continue;
		if (rs->evidence <= 0.0) {
			rs->run_start_ms = hangup->end_ms;
			rs->run_calls = rs->run_premature = 0;
			rs->run_expected = 0.0;
			rs->run_called_back = 0;
		}
		rs->evidence += log(rule->called_back_weight);
		rs->run_called_back++;
	}
}

/* ---- an open alert's callbacks ------------------------------------------------------ */

static int64_t second_of(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* Make room in a full list: the oldest callback already sent goes first, else the oldest. */
static void evict_episode_callback(struct detector *detector, struct episode *episode)
{
	uint32_t victim = 0;

	for (uint32_t i = 0; i < episode->callback_count; i++)
		if (episode->callbacks[i].delivered) {
			victim = i;
			break;
		}
	memmove(&episode->callbacks[victim], &episode->callbacks[victim + 1],
		(episode->callback_count - victim - 1) * sizeof(*episode->callbacks));
	episode->callback_count--;
	count_move(detector, &detector->stats.alert_callbacks_evicted, 1);
}

static struct episode_callback *find_episode_callback(struct episode *episode, uint64_t serial)
{
	for (uint32_t i = 0; i < episode->callback_count; i++)
		if (episode->callbacks[i].serial == serial)
			return &episode->callbacks[i];
	return NULL;
}

/* Room for one more callback, growing the list up to max_alert_callbacks. */
static bool reserve_episode_callback(struct detector *detector, struct episode *episode)
{
	uint32_t max = detector->config.detector.max_alert_callbacks;

	while (episode->callback_count >= max)
		evict_episode_callback(detector, episode);
	if (episode->callback_count < episode->callback_capacity)
		return true;
	uint32_t wanted = episode->callback_capacity ? episode->callback_capacity * 2 : 16;
	if (wanted > max)
		wanted = max;
	struct episode_callback *grown = realloc(episode->callbacks, wanted * sizeof(*grown));
	if (!grown) {
		count_move(detector, &detector->stats.alert_callbacks_evicted, 1);
		return false;
	}
	episode->callbacks = grown;
	episode->callback_capacity = wanted;
	return true;
}

/* Add a premature call of the window (entry i) to the open alert, unless it is there. */
static void add_episode_callback(struct detector *detector, struct episode *episode,
				 const struct window *window, uint32_t i)
{
	const struct window_entry *entry = window_entry_at(window, i);
	const struct call_detail *detail = window_payload_at(window, i);

	if (find_episode_callback(episode, entry->serial) ||
	    !reserve_episode_callback(detector, episode))
		return;
	struct episode_callback *added = &episode->callbacks[episode->callback_count++];
	memset(added, 0, sizeof(*added));
	text_copy(added->callback.call_id, detail_call_id(detail), sizeof(added->callback.call_id));
	text_copy(added->callback.ani, detail_ani(detail), sizeof(added->callback.ani));
	added->callback.start_ms = entry->start_ms;
	added->callback.talk_ms = entry->end_ms - entry->start_ms;
	added->callback.called_back = entry->flags & WINDOW_CALLED_BACK;
	added->serial = entry->serial;
}

/* Every premature call of a rule's window joins the open alert's callbacks (for a sequential
 * rule, those of its run: answered since the statistic last left 0). */
static void add_window_callbacks(struct detector *detector, struct operator_state *state,
				 size_t rule)
{
	const struct window *window = &state->window;
	bool sequential = detector->config.detector.rules[rule].type == CONFIG_RULE_SEQUENTIAL;
	int64_t from_ms = sequential ? state->rules[rule].run_start_ms : INT64_MIN;

	for (uint32_t i = window->spans[rule].first; i < window->count; i++) {
		const struct window_entry *entry = window_entry_at(window, i);
		if ((entry->flags & WINDOW_PREMATURE) && entry->start_ms >= from_ms)
			add_episode_callback(detector, state->episode, window, i);
	}
}

/* The callbacks a notice carries, sorted for action: with all, every one; else only what was
 * not sent yet (a call that became called back is sent again once). Marks them sent. */
static size_t gather_callbacks(struct detector *detector, struct episode *episode, bool all)
{
	size_t n = 0;

	for (uint32_t i = 0; i < episode->callback_count; i++) {
		struct episode_callback *kept = &episode->callbacks[i];
		bool news = !kept->delivered ||
			    (kept->callback.called_back && !kept->called_back_delivered);
		if (!all && !news)
			continue;
		detector->callbacks[n++] = kept->callback;
		if (all)
			continue;
		kept->delivered = true;
		kept->called_back_delivered = kept->callback.called_back;
	}
	alert_sort_callbacks(detector->callbacks, n);
	return n;
}

/* The operator's clock at the center's clock center_ms: the same, or as far behind as the
 * source of its calls. */
static int64_t tick_operator_now(const struct operator_state *state, int64_t center_ms)
{
	return state->lag_ms > 0 ? center_ms - state->lag_ms : center_ms;
}

/* The operator's clock now. */
static int64_t operator_now(const struct detector *detector, const struct operator_state *state)
{
	return tick_operator_now(state, detector->now_ms);
}

/* ---- the due heap: which open alerts a tick evaluates --------------------------------- */

/*
 * Every open alert used to be evaluated at every tick (once per second of event time), which
 * walked all of them: with most call-takers alerting under a long window that was most of the
 * engine's time. An evaluation at a tick can only change something (a rule's truth, a
 * notice, a resolution, an escalation, the window's counts) at a clock the alert's state
 * names in advance: its next call leaving a window span, its resolve_after deadline, its
 * acknowledgement deadline; or at every tick while an update waits, a CUSUM rule held at the
 * last call, or a window rule's p-value (which follows the rest of the center) is consulted.
 * Ticks before that clock would only have moved the window's clock to theirs and set
 * last_true_ms of the rules that hold to it: catch_up does exactly that before the state is
 * next looked at, and snapshots write those values. Alerts, their order and snapshots are
 * byte for byte those of the evaluation of every alert at every tick.
 */

static int64_t add_saturated(int64_t a, int64_t b) /* b >= 0 */
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t earlier(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Did ticks pass over this open alert since it was last evaluated? */
static bool tick_deferred(const struct detector *detector, const struct operator_state *state)
{
	return episode_open(state) && state->tick.evaluated_tick != detector->ticks;
}

/* What the ticks passed over up to tick number `tick` (at tick_now_ms) would have done: the
 * window at that tick's clock, the rules that hold true at it. */
static void catch_up_to(struct detector *detector, struct operator_state *state, uint64_t tick,
			int64_t tick_now_ms)
{
	if (episode_open(state) && state->tick.evaluated_tick != tick) {
		int64_t now_ms = tick_operator_now(state, tick_now_ms);

		window_advance(&state->window, now_ms);
		for (size_t r = 0; r < detector->config.detector.rule_count; r++)
			if (state->rules[r].holds)
				state->rules[r].last_true_ms = now_ms;
	}
	state->tick.evaluated_tick = tick;
}

/* catch_up_to the last tick: before anything looks at or changes the state. */
static void catch_up(struct detector *detector, struct operator_state *state)
{
	catch_up_to(detector, state, detector->ticks, detector->tick_now_ms);
}

/* How long after its delivery an open alert escalates as unacknowledged: 0 when it will not
 * (acknowledged, escalated already, or escalate_unacked_after_seconds 0 for its severity). */
static int64_t unacked_escalation_after_ms(const struct detector *detector,
					   const struct episode *episode)
{
	uint32_t after_seconds =
		detector->config.detector.escalate_unacked_after_seconds[episode->severity];

	if ((episode->ack && episode->ack->acked) || episode->unacked_escalated)
		return 0;
	return (int64_t)after_seconds * 1000;
}

/* The first clock (the center's) at which a tick's evaluation of the open alert can do more
 * than catch_up does; DUE_NEXT_TICK for the next tick. Right after an evaluation (whose
 * findings it reads) and what followed it in the same call, not after the window changed. */
static int64_t next_due(const struct detector *detector, const struct operator_state *state)
{
	const struct episode *episode = state->episode;
	int64_t lag_ms = state->lag_ms > 0 ? state->lag_ms : 0;

	if (episode->update_pending || state->tick.every_tick || state->window.span_count == 0)
		return DUE_NEXT_TICK;
	/* A call leaves a span once the operator's clock reaches its end plus the span. */
	int64_t due = add_saturated(state->window.next_leave_ms, lag_ms);
	int64_t resolve_ms = (int64_t)detector->config.detector.resolve_after_seconds * 1000;
	if (!state->tick.any_holds)
		due = earlier(due, add_saturated(state->tick.last_true_ms,
						 add_saturated(resolve_ms, lag_ms)));
	int64_t after_ms = unacked_escalation_after_ms(detector, episode);
	if (after_ms != 0)
		due = earlier(due, add_saturated(episode->delivered_ms, after_ms));
	return due;
}

static void due_put(struct detector *detector, uint32_t i, struct due_entry entry)
{
	detector->due[i] = entry;
	entry.state->tick.due_position = i;
}

static void due_sift_up(struct detector *detector, uint32_t i)
{
	struct due_entry entry = detector->due[i];

	while (i > 0 && detector->due[(i - 1) / 2].due_ms > entry.due_ms) {
		due_put(detector, i, detector->due[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	due_put(detector, i, entry);
}

static void due_sift_down(struct detector *detector, uint32_t i)
{
	struct due_entry entry = detector->due[i];

	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= detector->due_count)
			break;
		if (child + 1 < detector->due_count &&
		    detector->due[child + 1].due_ms < detector->due[child].due_ms)
			child++;
		if (detector->due[child].due_ms >= entry.due_ms)
			break;
		due_put(detector, i, detector->due[child]);
		i = child;
	}
	due_put(detector, i, entry);
}

/* Take entry i out of the heap. */
static void due_take(struct detector *detector, uint32_t i)
{
	detector->due[i].state->tick.due_position = NOT_DUE;
	if (i == --detector->due_count)
		return;
	struct operator_state *moved = detector->due[detector->due_count].state;
	due_put(detector, i, detector->due[detector->due_count]);
	due_sift_up(detector, i);
	due_sift_down(detector, moved->tick.due_position);
}

/* Room for count entries, growing up to max_operators (or the alerts open, if more). */
static bool due_reserve(struct detector *detector, uint32_t count)
{
	if (count <= detector->due_capacity)
		return true;
	uint32_t wanted = detector->due_capacity ? detector->due_capacity * 2 : 64;
	if (wanted < detector->due_capacity || wanted > detector->config.tracker.max_operators)
		wanted = detector->config.tracker.max_operators;
	if (wanted < count)
		wanted = count; /* a smaller max_operators on reload is pending */
	struct due_entry *grown = realloc(detector->due, (size_t)wanted * sizeof(*grown));
	if (!grown)
		return false;
	detector->due = grown;
	detector->due_capacity = wanted;
	return true;
}

/* The state's due clock, counted among every_tick_count when it is DUE_NEXT_TICK. */
static void set_due_ms(struct detector *detector, struct operator_state *state, int64_t due_ms)
{
	detector->every_tick_count -= state->tick.due_ms == DUE_NEXT_TICK;
	detector->every_tick_count += due_ms == DUE_NEXT_TICK;
	state->tick.due_ms = due_ms;
}

/* Put the state's alert in the heap at due_ms, or out of it (INT64_MAX) when it closes. While a
 * tick rebuilds the heap, only the state's due_ms is set. */
static void due_at(struct detector *detector, struct operator_state *state, int64_t due_ms)
{
	uint32_t i = state->tick.due_position;

	set_due_ms(detector, state, due_ms);
	if (detector->due_rebuilding) {
		if (!episode_open(state)) /* the rebuilt heap has the open ones */
			state->tick.due_position = NOT_DUE;
		return;
	}
	if (!episode_open(state)) {
		if (i != NOT_DUE)
			due_take(detector, i);
		return;
	}
	if (i == NOT_DUE) {
		if (!due_reserve(detector, detector->due_count + 1)) {
			detector->due_lost = true; /* every alert at every tick until it is back */
			return;
		}
		i = detector->due_count++;
	}
	due_put(detector, i, (struct due_entry){ .due_ms = due_ms, .state = state });
	due_sift_up(detector, i);
	due_sift_down(detector, state->tick.due_position);
}

/* Take the state's alert out of the heap: it has closed. */
static void due_remove(struct detector *detector, struct operator_state *state)
{
	due_at(detector, state, INT64_MAX);
}

/* After the state changed: when its tick is due next. */
static void schedule(struct detector *detector, struct operator_state *state)
{
	due_at(detector, state, episode_open(state) ? next_due(detector, state) : INT64_MAX);
}

/* The heap again from every open alert's due_ms: O(open alerts). */
static void due_rebuild(struct detector *detector)
{
	detector->due_rebuilding = false;
	detector->due_count = 0;
	if (!due_reserve(detector, detector->open_count)) {
		detector->due_lost = true;
		for (uint32_t i = 0; i < detector->open_count; i++)
			detector->open_episodes[i]->tick.due_position = NOT_DUE;
		return;
	}
	detector->due_lost = false;
	for (uint32_t i = 0; i < detector->open_count; i++) {
		struct operator_state *state = detector->open_episodes[i];
		due_put(detector, i,
			(struct due_entry){ .due_ms = state->tick.due_ms, .state = state });
	}
	detector->due_count = detector->open_count;
	for (uint32_t i = detector->due_count / 2; i-- > 0;)
		due_sift_down(detector, i);
}

/* ---- notices ------------------------------------------------------------------------ */

/* Is the operator's own rate known to rule r: does their settled history hold the expected
 * hangups its settled factor needs (history_settled_min_expected)? Before that the factor is the
 * center's, shrunk toward by history_prior, and says little about the operator. */
static bool own_rate_known(const struct detector *detector, const struct operator_state *state,
			   size_t r)
{
	return state->history.expected >=
	       detector->config.detector.rules[r].history_settled_min_expected;
}

/* A sequential rule's explanation in plain words, into detector->why. */
static const char *explain_sequential(struct detector *detector, const struct operator_state *state,
				      const struct rule_state *rs, size_t r)
{
	char since[TIMESTAMP_TEXT_MAX];
	const char *peers = detector->config.detector.baseline.scope == CONFIG_BASELINE_CENTER ||
					    !state->agency[0]
				    ? "the center"
				    : state->agency;
	const char *rest = detector->config.detector.baseline.scope == CONFIG_BASELINE_CENTER ||
					   !state->agency[0]
				   ? "the rest of "
				   : "the rest of agency ";

	if (rs->run_calls == 0 && rs->run_called_back == 0) {
		snprintf(detector->why, sizeof(detector->why),
			 "no evidence left: %s's recent calls are in line with %s%s",
			 state->operator_id, rest, peers);
		return detector->why;
	}
	timestamp_format(rs->run_start_ms, since);
	snprintf(detector->why, sizeof(detector->why),
		 "%s ended %" PRIu32 " of %" PRIu32
		 " calls since %s early where %.1f were expected "
		 "(%s%s at the time of each call, times %.2f for %s's own history%s); "
		 "%" PRIu32 " caller%s rang back; evidence %.1f, alert at %.1f",
		 state->operator_id, rs->run_premature, rs->run_calls, since, rs->run_expected,
		 rest, peers, rs->own_factor, state->operator_id,
		 own_rate_known(detector, state, r) ? "" : OWN_RATE_UNKNOWN, rs->run_called_back,
		 rs->run_called_back == 1 ? "" : "s", rs->evidence,
		 sequential_h(detector, state, r));
	return detector->why;
}

/* The run's figures in a sequential rule's notice. */
static void fill_sequential(struct detector *detector, const struct operator_state *state, size_t r,
			    struct alert *alert)
{
	const struct rule_state *rs = &state->rules[r];
	double mean = rs->run_calls ? rs->run_expected / rs->run_calls : 0.0;

	alert->window_seconds = detector->config.detector.rules[r].window_seconds;
	alert->calls = rs->run_calls;
	alert->premature = rs->run_premature;
	alert->called_back = rs->run_called_back;
	alert->ratio = rs->run_calls ? (double)rs->run_premature / rs->run_calls : 0.0;
	alert->center_ratio = mean;
	alert->p_value = binomial_upper_tail_cached(detector->binomial, rs->run_premature,
						    rs->run_calls, mean);
	alert->has_evidence = true;
	alert->expected = rs->run_expected;
	alert->evidence = rs->evidence;
	alert->threshold = sequential_h(detector, state, r);
	alert->own_factor = rs->own_factor;
	alert->why = explain_sequential(detector, state, rs, r);
}

/* An operator alert's fields at the detector's clock (callbacks left to the caller). */
static struct alert operator_alert(struct detector *detector, const struct operator_state *state,
				   const char *kind)
{
	size_t r = state->episode->rule;
	const struct config_rule *rule = &detector->config.detector.rules[r];
	struct rule_view view = view_rule(detector, state, r);

	struct alert alert = {
		.kind = kind,
		.type = "operator",
		.alert_id = state->episode->alert_id,
		.ts_ms = operator_now(detector, state),
		.agency = state->agency,
		.operator_id = state->operator_id,
		.position = state_position(state),
		.rule = rule->name,
		.severity = rule->severity,
		.window_seconds = rule->window_seconds,
		.calls = view.counts->calls,
		.premature = view.counts->premature,
		.called_back = view.counts->called_back,
		.ratio = view.ratio,
		.center_ratio = view.center_ratio,
		.p_value = view.p_value,
		.has_cusum = rule->type == CONFIG_RULE_CUSUM && strcmp(kind, "resolved") != 0,
		.cusum = state->rules[r].cusum_at_alarm,
		.late_ms = state->lag_ms,
		.callbacks = detector->callbacks,
	};
	if (rule->type == CONFIG_RULE_SEQUENTIAL)
		fill_sequential(detector, state, r, &alert);
	return alert;
}

static const char *const notice_kind_names[DETECTOR_NOTICE_KIND_COUNT] = {
	"firing", "escalated", "update", "acknowledged", "resolved",
};

const char *detector_notice_kind_name(enum detector_notice_kind kind)
{
	return kind < DETECTOR_NOTICE_KIND_COUNT ? notice_kind_names[kind] : "?";
}

/* Count an operator notice by its kind and the alert's severity. */
static void count_by_severity(struct detector *detector, const struct episode *episode,
			      const char *kind)
{
	for (size_t k = 0; k < DETECTOR_NOTICE_KIND_COUNT; k++)
		if (strcmp(kind, notice_kind_names[k]) == 0 && episode->severity >= 0 &&
		    episode->severity < CONFIG_SEVERITY_COUNT)
			detector->stats.by_severity[k][episode->severity]++;
}

static void deliver(struct detector *detector, struct episode *episode, struct alert *alert)
{
	alert->seq = detector->next_seq++;
	episode->last_seq = alert->seq;
	episode->last_ts_ms = alert->ts_ms;
	detector->stats.alerts++;
	count_by_severity(detector, episode, alert->kind);
	if (detector->on_alert)
		detector->on_alert(alert, detector->ctx);
}

static void emit_notice(struct detector *detector, struct operator_state *state, const char *kind,
			bool with_callbacks, const char *reason)
{
	struct alert alert = operator_alert(detector, state, kind);

	alert.reason = reason;
	alert.has_cusum =
		alert.has_cusum && with_callbacks && !reason && strcmp(kind, "update") != 0;
	if (with_callbacks) {
		alert.callback_count = gather_callbacks(detector, state->episode, false);
		state->episode->last_notice_second = second_of(detector->now_ms);
		state->episode->update_pending = false;
	}
	deliver(detector, state->episode, &alert);
}

/* Something new for an open alert: an update now, or at the next second if one was sent in
 * this second of event time already (coalesced, never dropped). */
static bool has_news(const struct episode *episode)
{
	for (uint32_t i = 0; i < episode->callback_count; i++) {
		const struct episode_callback *kept = &episode->callbacks[i];
		if (!kept->delivered ||
		    (kept->callback.called_back && !kept->called_back_delivered))
			return true;
	}
	return false;
}

static void flush_update(struct detector *detector, struct operator_state *state, bool at_once)
{
	struct episode *episode = state->episode;

	if (!episode_open(state) || !episode->update_pending)
		return;
	if (!has_news(episode)) {
		episode->update_pending = false;
		return;
	}
	if (!at_once && episode->last_notice_second == second_of(detector->now_ms))
		return;
	detector->stats.updates++;
	emit_notice(detector, state, "update", true, NULL);
}

static void request_update(struct detector *detector, struct operator_state *state)
{
	state->episode->update_pending = true;
	flush_update(detector, state, false);
}

static void open_episode(struct detector *detector, struct operator_state *state, size_t rule,
			 const char *trigger_call_id)
{
	struct episode *episode = state->episode;

	episode->open = true;
	episode->rule = rule;
	episode->severity = detector->severity[rule];
	episode->list_position = detector->open_count;
	episode->opened_seq = detector->next_seq;
	episode->opened_ms = operator_now(detector, state);
	episode->delivered_ms = detector->now_ms;
	episode->update_pending = episode->unacked_escalated = false;
	if (episode->ack)
		episode->ack->acked = false;
	episode->callback_count = 0;
	detector->open_episodes[detector->open_count++] = state;
	alert_derive_id(state->agency, state->operator_id,
			detector->config.detector.rules[rule].name, operator_now(detector, state),
			trigger_call_id, episode->alert_id);
	add_window_callbacks(detector, state, rule);
	detector->stats.firing++;
	emit_notice(detector, state, "firing", true, NULL);
}

static void close_episode(struct detector *detector, struct operator_state *state)
{
	uint32_t position = state->episode->list_position;
	struct operator_state *last = detector->open_episodes[--detector->open_count];

	detector->open_episodes[position] = last;
	last->episode->list_position = position;
	state->episode->open = false;
	state->episode->callback_count = 0;
	due_remove(detector, state);
}

/* A rule has just become true: open an alert, or escalate the open one if it is graver. */
static void rule_became_true(struct detector *detector, struct operator_state *state, size_t rule,
			     const char *trigger_call_id)
{
	struct episode *episode = state->episode;

	if (!episode_open(state)) {
		if (!episode && !(episode = state->episode = calloc(1, sizeof(*episode))))
			return; /* no memory for its alert: none opens */
		open_episode(detector, state, rule, trigger_call_id);
	} else if (detector->severity[rule] > episode->severity) {
		episode->rule = rule;
		episode->severity = detector->severity[rule];
		add_window_callbacks(detector, state, rule);
		detector->stats.escalated++;
		emit_notice(detector, state, "escalated", true, NULL);
	}
}

/* Evaluate every rule at the clock; notices for what changed. */
static void evaluate_operator(struct detector *detector, struct operator_state *state,
			      const char *trigger_call_id)
{
	bool any_holds = false, every_tick = false;
	int64_t last_true_ms = INT64_MIN, now_ms = operator_now(detector, state);

	state->tick.evaluated_tick = detector->ticks;
	window_advance(&state->window, now_ms);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		struct rule_state *rs = &state->rules[r];
		bool holds = rule_holds(detector, state, r, &every_tick);
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
	/* What next_due needs of this evaluation (valid until the window's counts change). */
	state->tick.every_tick = every_tick;
	state->tick.any_holds = any_holds;
	state->tick.last_true_ms = last_true_ms;
	if (episode_open(state) && !any_holds &&
	    now_ms - last_true_ms >=
		    (int64_t)detector->config.detector.resolve_after_seconds * 1000) {
		flush_update(detector, state, true); /* nothing is left unsent */
		detector->stats.resolved++;
		emit_notice(detector, state, "resolved", false, NULL);
		close_episode(detector, state);
	}
}

/* An alert nobody acknowledged within escalate_unacked_after_seconds: escalated once. */
static void escalate_unacknowledged(struct detector *detector, struct operator_state *state)
{
	struct episode *episode = state->episode;
	int64_t after_ms = episode_open(state) ? unacked_escalation_after_ms(detector, episode) : 0;

	if (after_ms == 0 || detector->now_ms - episode->delivered_ms < after_ms)
		return;
	episode->unacked_escalated = true;
	detector->stats.escalated++;
	detector->stats.unacked_escalations++;
	emit_notice(detector, state, "escalated", true, "unacknowledged");
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

/* One open alert's tick (caught up to the last tick before it). */
static void tick_alert(struct detector *detector, struct operator_state *state)
{
	evaluate_operator(detector, state, "");
	if (!episode_open(state))
		return;
	flush_update(detector, state, false);
	escalate_unacknowledged(detector, state);
}

static int compare_list_position_down(const void *a, const void *b)
{
	uint32_t x = ((const struct due_entry *)a)->state->episode->list_position;
	uint32_t y = ((const struct due_entry *)b)->state->episode->list_position;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Once per second of event time, re-evaluate the open alerts that are due (the due heap, above):
 * windows slide without calls. They are taken in the order a walk of every open alert from the
 * end of open_episodes takes them (a resolved alert leaves the list by swapping in the last
 * one, which such a walk has passed already), so notices keep their order and seq numbers.
 * When many are due at every tick (p-values) the tick is that walk, and the heap is rebuilt
 * after it; else the due ones are taken from the heap and sorted.
 */
static void run_ticks(struct detector *detector)
{
	if (detector->open_count == 0 || detector->now_ms < detector->next_tick_ms)
		return;
	detector->next_tick_ms = detector->now_ms - detector->now_ms % TICK_MS + TICK_MS;
	uint64_t last_tick = detector->ticks;
	int64_t last_tick_ms = detector->tick_now_ms, now_ms = detector->now_ms;
	detector->ticks++;
	detector->tick_now_ms = now_ms;
	bool all = detector->due_lost;
	if (all || (uint64_t)detector->every_tick_count * 4 >= detector->open_count) {
		detector->due_rebuilding = true;
		for (uint32_t i = detector->open_count; i-- > 0;) {
			struct operator_state *state = detector->open_episodes[i];
			if (!all && state->tick.due_ms > now_ms)
				continue;
			catch_up_to(detector, state, last_tick, last_tick_ms);
			tick_alert(detector, state);
			schedule(detector, state);
		}
		due_rebuild(detector);
		return;
	}
	/* The due ones leave the heap for the slots after it, as heapsort does. */
	uint32_t end = detector->due_count;
	while (detector->due_count > 0 && detector->due[0].due_ms <= now_ms) {
		struct due_entry taken = detector->due[0];
		due_take(detector, 0);
		detector->due[detector->due_count] = taken;
	}
	struct due_entry *taken = &detector->due[detector->due_count];
	uint32_t n = end - detector->due_count;
	qsort(taken, n, sizeof(*taken), compare_list_position_down);
	/* Each one goes back into the heap at most once, into a slot already taken from. */
	for (uint32_t i = 0; i < n; i++) {
		struct operator_state *state = taken[i].state;
		catch_up_to(detector, state, last_tick, last_tick_ms);
		tick_alert(detector, state);
		schedule(detector, state);
	}
}

void detector_advance(struct detector *detector, int64_t now_ms)
{
	advance_clock(detector, now_ms);
	run_ticks(detector);
}

void detector_flush_updates(struct detector *detector)
{
	for (uint32_t i = detector->open_count; i-- > 0;) /* the order run_ticks walks them */
		flush_update(detector, detector->open_episodes[i], true);
}

static void remember_hangup(struct detector *detector, const struct operator_state *state,
			    const struct completed_call *call, uint64_t serial)
{
	struct caller_hangup hangup = { .operator_index = state->index,
					.operator_generation = state->generation,
					.serial = serial,
					.end_ms = call->end_ms };

	callers_remember_hashed(detector->callers, call->ani,
				call->hashed ? call->ani_hash : hash_string(call->ani), &hangup,
				(int64_t)detector->config.detector.repeat_window_seconds * 1000);
}

static enum detector_result insert_call(struct detector *detector, struct operator_state *state,
					const struct window_entry *entry,
					const struct completed_call *call)
{
	struct call_detail detail;
	enum window_insert_result result;

	memset(&detail, 0, sizeof(detail)); /* copied whole into the ring: no stray stack bytes */
	if (!set_call_detail(&detail, call->call_id, call->ani))
		return DETECTOR_NO_MEMORY;
	window_advance(&state->window, operator_now(detector, state));
	result = window_insert(&state->window, entry, &detail);
	if (result == WINDOW_TOO_OLD || result == WINDOW_NO_MEMORY)
		drop_call_detail(&detail); /* not kept */
	if (result == WINDOW_TOO_OLD)
		return DETECTOR_TOO_OLD;
	if (result == WINDOW_NO_MEMORY)
		return DETECTOR_NO_MEMORY;
	count_move(detector, &detector->stats.window_evictions,
		   result == WINDOW_INSERTED_EVICTING);
	count_move(detector, &detector->stats.center_evictions,
		   window_insert(&detector->center, entry, NULL) == WINDOW_INSERTED_EVICTING);
	return DETECTOR_ADDED;
}

/* A new premature hangup of an operator with an open alert joins its callbacks. */
static void add_new_hangup(struct detector *detector, struct operator_state *state, uint64_t serial)
{
	const struct window *window = &state->window;

	for (uint32_t i = window->count; i-- > 0;)
		if (window_entry_at(window, i)->serial == serial) {
			add_episode_callback(detector, state->episode, window, i);
			return;
		}
}

enum detector_result detector_add_call(struct detector *detector, const struct completed_call *call)
{
	bool premature = detector_is_premature(detector, call);
	struct window_entry entry = {.start_ms = call->start_ms, .end_ms = call->end_ms,
				     .serial = ++detector->next_serial & WINDOW_SERIAL_MAX,
				     .flags = premature ? WINDOW_PREMATURE : 0};

	if (!call->late)
		advance_clock(detector, call->end_ms);
	struct operator_state *state =
		find_operator(detector, call->agency, call->operator_id,
			      call->hashed ? call->operator_hash
					   : hash_string_pair(call->agency, call->operator_id));
	if (!state)
		return DETECTOR_NO_MEMORY;
	detector->added_index = state->index;
	detector->added_generation = state->generation;
	catch_up(detector, state);
	state->lag_ms =
		call->late && call->end_ms < detector->now_ms ? detector->now_ms - call->end_ms : 0;
	enum detector_result result = insert_call(detector, state, &entry, call);
	if (result != DETECTOR_ADDED) {
		detector->stats.too_old += result == DETECTOR_TOO_OLD;
		/* its window and its clock's lag changed without an evaluation: the next tick */
		due_at(detector, state, episode_open(state) ? DUE_NEXT_TICK : INT64_MAX);
		return result;
	}
	state->last_active_ms = detector->now_ms;
	set_position(state, call->position);
	detector->stats.calls++;
	detector->stats.premature += premature;
	if (premature && call->ani[0])
		remember_hangup(detector, state, call, entry.serial);
	bool joins_alert = premature && episode_open(state);
	if (joins_alert)
		add_new_hangup(detector, state, entry.serial);
	step_cusums(detector, state, premature);
	step_sequentials(detector, state, call, premature);
	evaluate_operator(detector, state, call->call_id);
	if (joins_alert)
		request_update(detector, state);
	schedule(detector, state);
	run_ticks(detector);
	return DETECTOR_ADDED;
}

void detector_added_operator(const struct detector *detector, uint32_t *index,
			     uint32_t *generation)
{
	*index = detector->added_index;
	*generation = detector->added_generation;
}

void detector_prefetch_call(const struct detector *detector, uint64_t operator_hash,
			    uint64_t ani_hash)
{
	uint64_t hash = table_key_hash(operator_hash);
	const struct table *operators = &detector->operators;
	const struct operator_entry *entry =
		table_slot(operators, (uint32_t)hash & operators->mask);

	/* The operators' table is small (a slot is 16 bytes): its slot is read, and the state it
	 * points to fetched, where find_operator will compare the key and insert the call. */
	if (entry->base.hash == hash) {
		const char *state = (const char *)entry->state;
		const char *key = (const char *)(state_spans(entry->state,
							     detector->config.detector.rule_count) +
						 detector->config.detector.rule_count);
		__builtin_prefetch(state);
		__builtin_prefetch(state + 64);
		__builtin_prefetch(state + 128);
		__builtin_prefetch(key);
	}
	callers_prefetch(detector->callers, ani_hash); /* a hint: an empty ani's too */
}

void detector_caller_rang(struct detector *detector, const char *ani, int64_t start_ms)
{
	detector_caller_rang_hashed(detector, ani, hash_string(ani), start_ms);
}

void detector_caller_rang_hashed(struct detector *detector, const char *ani, uint64_t ani_hash,
				 int64_t start_ms)
{
	struct caller_hangup hangup;

	if (!ani[0] ||
	    !callers_take_redial_hashed(detector->callers, ani, ani_hash, start_ms,
				 (int64_t)detector->config.detector.repeat_window_seconds * 1000,
				 &hangup))
		return;
	struct operator_state *state = registry_get(&detector->registry, hangup.operator_index);
	if (!state || state->generation != hangup.operator_generation)
		return;
	catch_up(detector, state);
	if (!window_mark(&state->window, hangup.serial, WINDOW_CALLED_BACK))
		return;
	detector->stats.called_back++;
	sequential_called_back(detector, state, &hangup);
	advance_clock(detector, start_ms);
	if (episode_open(state)) {
		struct episode_callback *kept =
			find_episode_callback(state->episode, hangup.serial);
		if (kept && !kept->callback.called_back)
			kept->callback.called_back = true;
		else
			kept = NULL;
		evaluate_operator(detector, state, "");
		if (kept)
			request_update(detector, state);
	} else {
		evaluate_operator(detector, state, "");
	}
	schedule(detector, state);
	run_ticks(detector);
}

void detector_set_redials(struct detector *detector, const struct callers_redials *redials)
{
	callers_set_redials(detector->callers, redials);
}

/* ---- acknowledgements and the board -------------------------------------------------- */

static struct operator_state *find_open_alert(const struct detector *detector, const char *alert_id)
{
	for (uint32_t i = 0; i < detector->open_count; i++)
		if (strcmp(detector->open_episodes[i]->episode->alert_id, alert_id) == 0)
			return detector->open_episodes[i];
	return NULL;
}

bool detector_alert_open(const struct detector *detector, const char *alert_id)
{
	return find_open_alert(detector, alert_id) != NULL;
}

enum detector_ack_result detector_acknowledge(struct detector *detector, const char *alert_id,
					      const struct alert_ack *ack)
{
	struct operator_state *state = find_open_alert(detector, alert_id);
	struct alert_ack first;

	if (!state)
		return DETECTOR_ACK_UNKNOWN;
	struct episode *episode = state->episode;
	if (!episode->ack && !(episode->ack = calloc(1, sizeof(*episode->ack))))
		return DETECTOR_ACK_NO_MEMORY;
	struct alert alert = { .kind = "acknowledged",
			       .type = "operator",
			       .alert_id = episode->alert_id,
			       .ts_ms = ack->ts_ms,
			       .agency = state->agency,
			       .operator_id = state->operator_id,
			       .ack = ack };
	bool repeat = alert_ack_take(episode->ack, ack, &first);
	alert.first_ack = repeat ? &first : NULL;
	detector->stats.acknowledged++;
	deliver(detector, episode, &alert);
	return repeat ? DETECTOR_ACK_REPEAT : DETECTOR_ACK_FIRST;
}

static int compare_opened(const void *a, const void *b)
{
	const struct operator_state *x = *(struct operator_state *const *)a;
	const struct operator_state *y = *(struct operator_state *const *)b;

	return x->episode->opened_seq < y->episode->opened_seq
		       ? -1
		       : x->episode->opened_seq > y->episode->opened_seq;
}

/* One board line: the alert's whole state, every callback. */
static void emit_open_line(struct detector *detector, struct operator_state *state,
			   detector_alert_fn emit, void *ctx)
{
	struct episode *episode = state->episode;
	struct alert alert = operator_alert(detector, state, "open");
	struct alert_ack ack;

	alert.seq = episode->last_seq;
	alert.ts_ms = episode->last_ts_ms;
	alert.opened_ms = episode->opened_ms;
	alert.ack = episode->ack ? alert_ack_view(episode->ack, &ack) : NULL;
	alert.callback_count = gather_callbacks(detector, episode, true);
	emit(&alert, ctx);
}

uint32_t detector_board(struct detector *detector, detector_alert_fn emit, void *ctx)
{
	struct operator_state **open = malloc((detector->open_count + 1) * sizeof(*open));
	uint32_t count = detector->open_count;

	if (!open)
		return 0;
	memcpy(open, detector->open_episodes, count * sizeof(*open));
	qsort(open, count, sizeof(*open), compare_opened);
	for (uint32_t i = 0; i < count; i++)
		emit_open_line(detector, open[i], emit, ctx);
	free(open);
	return count;
}

uint64_t detector_take_seq(struct detector *detector)
{
	detector->stats.alerts++;
	return detector->next_seq++;
}

uint64_t detector_last_seq(const struct detector *detector)
{
	return detector->next_seq - 1;
}

const struct detector_stats *detector_stats(struct detector *detector)
{
	struct detector_stats *stats = &detector->stats;

	stats->operators = detector->operators.count;
	stats->open_alerts = detector->open_count;
	stats->callers_evicted = callers_evicted(detector->callers);
	return stats;
}

void detector_count_moves(struct detector *detector, uint64_t *moves)
{
	detector->moves = moves;
	callers_count_moves(detector->callers, moves);
}

void detector_continue_seq(struct detector *detector, uint64_t delivered_through)
{
	if (delivered_through != UINT64_MAX && detector->next_seq <= delivered_through)
		detector->next_seq = delivered_through + 1;
}

/* ---- reconfiguration ---------------------------------------------------------------- */

/* For each new rule, the old rule of the same name and type, or NO_RULE. */
static void map_rules(const struct config *old, const struct config *config,
		      size_t map[CONFIG_MAX_RULES])
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

/* Carry an operator's rule states (old_count of them, at from) and open alert over to the new
 * rule list, into state->rules (which may be from). */
static void remap_operator_rules(struct detector *detector, struct operator_state *state,
				 const struct rule_state *from, size_t old_count,
				 const size_t map[CONFIG_MAX_RULES])
{
	struct rule_state old[CONFIG_MAX_RULES];
	size_t episode_rule = 0;

	memcpy(old, from, old_count * sizeof(*old));
	for (size_t j = 0; j < detector->config.detector.rule_count; j++) {
		state->rules[j] = map[j] == NO_RULE ? (struct rule_state){0} : old[map[j]];
		if (episode_open(state) && map[j] == state->episode->rule)
			episode_rule = j;
	}
	if (state->episode) {
		state->episode->rule = episode_rule;
		state->episode->severity = detector->severity[episode_rule];
	}
}

/*
 * For a new rule count: a state of the new size for each operator, all allocated before
 * anything changes (NULL on no memory, nothing changed). move_states takes them.
 */
static struct operator_state **alloc_moved_states(const struct detector *detector,
						  size_t rule_count)
{
	uint32_t count = detector->operators.count;
	struct operator_state **moved = calloc(count + 1, sizeof(*moved));
	uint32_t n = 0;

	/* In table order, as move_states takes them: each sized for its operator's key. */
	for (uint32_t i = 0; moved && i <= detector->operators.mask; i++) {
		if (!table_used(&detector->operators, i))
			continue;
		const struct operator_state *state =
			((const struct operator_entry *)table_slot(&detector->operators, i))->state;
		if (!(moved[n] = calloc(1, state_size(rule_count, key_size(state->agency,
									   state->operator_id))))) {
			while (n-- > 0)
				free(moved[n]);
			free(moved);
			return NULL;
		}
		n++;
	}
	return moved;
}

/*
 * Move each operator's state into one of moved (as many as operators) with the new rule list
 * (taken by take_config): its table entry, registry slot and open-alert list entry follow.
 */
static void move_states(struct detector *detector, struct operator_state **moved,
			size_t old_count, const size_t map[CONFIG_MAX_RULES])
{
	struct table *operators = &detector->operators;
	uint32_t n = 0;

	for (uint32_t i = 0; i <= operators->mask; i++) {
		if (!table_used(operators, i))
			continue;
		struct operator_entry *entry = table_slot(operators, i);
		struct operator_state *old = entry->state, *state = moved[n++];
		memcpy(state, old, offsetof(struct operator_state, rules));
		place_key(state, detector->config.detector.rule_count, old->agency,
			  old->operator_id);
		window_move_spans(&state->window,
				  state_spans(state, detector->config.detector.rule_count),
				  detector->config.detector.rule_count);
		remap_operator_rules(detector, state, old->rules, old_count, map);
		entry->state = state;
		registry_replace(&detector->registry, state->index, state);
		if (episode_open(state))
			detector->open_episodes[state->episode->list_position] = state;
		if (state->tick.due_position != NOT_DUE)
			detector->due[state->tick.due_position].state = state;
		free(old);
	}
	free(moved);
}

/* An operator renumbered by registry_renumber. */
static void operator_moved(void *holder, uint32_t index, uint32_t generation)
{
	struct operator_state *state = holder;

	state->index = index;
	state->generation = generation;
}

/* New arrays for another max_operators: operators are renumbered densely in index order. */
static int renumber_operators(struct detector *detector, uint32_t max_operators)
{
	struct operator_state **open_episodes = calloc(max_operators, sizeof(*open_episodes));
	int rc;

	if (!open_episodes)
		return -ENOMEM;
	if ((rc = registry_renumber(&detector->registry, max_operators, operator_moved)) < 0) {
		free(open_episodes);
		return rc;
	}
	memcpy(open_episodes, detector->open_episodes,
	       detector->open_count * sizeof(*open_episodes));
	free(detector->open_episodes);
	detector->open_episodes = open_episodes;
	return 0;
}

/* The operator table and arrays for a new max_operators. Shrunk below what it holds, it forgets
 * as a full table does (the top owner's least evidence first, never an open alert); only when
 * more operators have open alerts than the new bound do those go, the idlest first. */
static int resize_operators(struct detector *detector, uint32_t max_operators)
{
	struct table *operators = &detector->operators;

	if (max_operators == detector->config.tracker.max_operators)
		return 0;
	while (operators->count > max_operators &&
	       evict_least_evidence(detector, operators->count - max_operators) > 0)
		;
	int evicted = table_resize(operators, max_operators, operator_age, forget_operator,
				   detector);
	if (evicted < 0)
		return evicted;
	evicted = table_resize(&detector->baselines, max_operators, baseline_age, forget_baseline,
			       detector);
	settle_forgotten(detector);
	if (evicted < 0)
		return evicted;
	return renumber_operators(detector, max_operators);
}

static int resize_callbacks(struct detector *detector, uint32_t max_alert_callbacks)
{
	struct alert_callback *callbacks = calloc(max_alert_callbacks, sizeof(*callbacks));

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

	if (INVARIANT_FAILS(config->detector.rule_count <= CONFIG_MAX_RULES))
		return -EINVAL;
	/* Rules, windows and deadlines change: every open alert at the next tick. */
	for (uint32_t i = 0; i < detector->open_count; i++) {
		catch_up(detector, detector->open_episodes[i]);
		due_at(detector, detector->open_episodes[i], DUE_NEXT_TICK);
	}
	map_rules(&detector->config, config, map);
	if ((rc = resize_operators(detector, config->tracker.max_operators)) < 0 ||
	    (rc = resize_callbacks(detector, config->detector.max_alert_callbacks)) < 0 ||
	    (rc = callers_resize(detector->callers, config->tracker.max_recent_callers)) < 0)
		return rc;
	size_t old_count = detector->config.detector.rule_count;
	struct operator_state **moved = NULL;
	if (config->detector.rule_count != old_count &&
	    !(moved = alloc_moved_states(detector, config->detector.rule_count)))
		return -ENOMEM;
	take_config(detector, config);
	if (moved)
		move_states(detector, moved, old_count, map);
	for (uint32_t i = 0; i < config->tracker.max_operators; i++) {
		struct operator_state *state = registry_get(&detector->registry, i);
		if (!state)
			continue;
		while (state->episode &&
		       state->episode->callback_count > config->detector.max_alert_callbacks)
			evict_episode_callback(detector, state->episode);
		if (!moved)
			remap_operator_rules(detector, state, state->rules, old_count, map);
		rc = window_reshape(&state->window, detector->span_ms, config->detector.rule_count,
				    config->tracker.max_window_calls);
		if (rc < 0)
			return rc;
		count_move(detector, &detector->stats.window_evictions, (uint64_t)rc);
	}
	rc = window_reshape(&detector->center, detector->span_ms, config->detector.rule_count,
			    config->tracker.max_center_calls);
	if (rc < 0)
		return rc;
	count_move(detector, &detector->stats.center_evictions, (uint64_t)rc);
	return 0;
}

/* ---- snapshots ---------------------------------------------------------------------- */

static void save_rate(const struct sequential_rate *rate, struct codec_writer *writer)
{
	codec_put_f64(writer, rate->calls);
	codec_put_f64(writer, rate->premature);
	codec_put_i64(writer, rate->at_ms);
	codec_put_f64(writer, rate->pending_calls);
	codec_put_f64(writer, rate->pending_premature);
}

static void load_rate(struct sequential_rate *rate, struct codec_reader *reader)
{
	rate->calls = codec_get_f64(reader);
	rate->premature = codec_get_f64(reader);
	rate->at_ms = codec_get_i64(reader);
	rate->pending_calls = codec_get_f64(reader);
	rate->pending_premature = codec_get_f64(reader);
}

static void save_rule_state(const struct rule_state *rs, struct codec_writer *writer)
{
	codec_put_u8(writer, rs->holds);
	codec_put_i64(writer, rs->last_true_ms);
	codec_put_f64(writer, rs->cusum);
	codec_put_u8(writer, rs->cusum_alarm);
	codec_put_f64(writer, rs->cusum_at_alarm);
	codec_put_f64(writer, rs->evidence);
	codec_put_i64(writer, rs->run_start_ms);
	codec_put_u32(writer, rs->run_calls);
	codec_put_u32(writer, rs->run_premature);
	codec_put_u32(writer, rs->run_called_back);
	codec_put_f64(writer, rs->run_expected);
	codec_put_f64(writer, rs->own_factor);
	codec_put_u8(writer, rs->rate_seen);
	codec_put_i64(writer, rs->first_call_ms);
	save_rate(&rs->calls_rate, writer);
	codec_put_f64(writer, rs->hourly_threshold);
}

static void load_rule_state(struct rule_state *rs, struct codec_reader *reader)
{
	rs->holds = codec_get_u8(reader);
	rs->last_true_ms = codec_get_i64(reader);
	rs->cusum = codec_get_f64(reader);
	rs->cusum_alarm = codec_get_u8(reader);
	rs->cusum_at_alarm = codec_get_f64(reader);
	rs->evidence = codec_get_f64(reader);
	rs->run_start_ms = codec_get_i64(reader);
	rs->run_calls = codec_get_u32(reader);
	rs->run_premature = codec_get_u32(reader);
	rs->run_called_back = codec_get_u32(reader);
	rs->run_expected = codec_get_f64(reader);
	rs->own_factor = codec_get_f64(reader);
	rs->rate_seen = codec_get_u8(reader);
	rs->first_call_ms = codec_get_i64(reader);
	load_rate(&rs->calls_rate, reader);
	rs->hourly_threshold = codec_get_f64(reader);
}

/* What an alert has sent and been told: its callbacks and acknowledgement. */
static void save_episode(const struct episode *episode, struct codec_writer *writer)
{
	static const struct alert_ack_record none; /* what an absent record stands for */

	codec_put_u64(writer, episode->opened_seq);
	codec_put_i64(writer, episode->opened_ms);
	codec_put_i64(writer, episode->delivered_ms);
	codec_put_u64(writer, episode->last_seq);
	codec_put_i64(writer, episode->last_ts_ms);
	codec_put_i64(writer, episode->last_notice_second);
	codec_put_u8(writer, episode->update_pending);
	codec_put_u8(writer, episode->unacked_escalated);
	alert_ack_save(episode->ack ? episode->ack : &none, writer);
	codec_put_u32(writer, episode->callback_count);
	for (uint32_t i = 0; i < episode->callback_count; i++) {
		const struct episode_callback *kept = &episode->callbacks[i];
		codec_put_string(writer, kept->callback.call_id);
		codec_put_string(writer, kept->callback.ani);
		codec_put_i64(writer, kept->callback.start_ms);
		codec_put_i64(writer, kept->callback.talk_ms);
		codec_put_u8(writer, kept->callback.called_back);
		codec_put_u64(writer, kept->serial);
		codec_put_u8(writer, kept->delivered);
		codec_put_u8(writer, kept->called_back_delivered);
	}
}

/* An episode that saves as a call-taker that never alerted: every saved field zero. */
static bool episode_is_blank(const struct episode *episode)
{
	return !episode->open && !episode->alert_id[0] && episode->rule == 0 &&
	       episode->opened_seq == 0 && episode->opened_ms == 0 && episode->delivered_ms == 0 &&
	       episode->last_seq == 0 && episode->last_ts_ms == 0 &&
	       episode->last_notice_second == 0 && !episode->update_pending &&
	       !episode->unacked_escalated && !episode->ack && episode->callback_count == 0;
}

static int load_episode(struct detector *detector, struct episode *episode,
			struct codec_reader *reader)
{
	episode->opened_seq = codec_get_u64(reader);
	episode->opened_ms = codec_get_i64(reader);
	episode->delivered_ms = codec_get_i64(reader);
	episode->last_seq = codec_get_u64(reader);
	episode->last_ts_ms = codec_get_i64(reader);
	episode->last_notice_second = codec_get_i64(reader);
	episode->update_pending = codec_get_u8(reader);
	episode->unacked_escalated = codec_get_u8(reader);
	struct alert_ack_record ack = {0};

	alert_ack_load(&ack, reader);
	if ((ack.acked || ack.ts_ms != 0 || ack.by[0] || ack.note[0]) &&
	    !(episode->ack = malloc(sizeof(*episode->ack))))
		return -ENOMEM;
	if (episode->ack)
		*episode->ack = ack;
	uint32_t count = codec_get_u32(reader);
	if (reader->failed || count > detector->config.detector.max_alert_callbacks)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		if (!reserve_episode_callback(detector, episode))
			return -ENOMEM;
		struct episode_callback *kept = &episode->callbacks[episode->callback_count++];
		codec_get_string(reader, kept->callback.call_id, sizeof(kept->callback.call_id));
		codec_get_string(reader, kept->callback.ani, sizeof(kept->callback.ani));
		kept->callback.start_ms = codec_get_i64(reader);
		kept->callback.talk_ms = codec_get_i64(reader);
		kept->callback.called_back = codec_get_u8(reader);
		kept->serial = codec_get_u64(reader);
		kept->delivered = codec_get_u8(reader);
		kept->called_back_delivered = codec_get_u8(reader);
	}
	return reader->failed ? -EINVAL : 0;
}

/* A call of an operator's window: [string call_id][string ani]. */
static void put_call_detail(const void *payload, struct codec_writer *writer)
{
	const struct call_detail *detail = payload;

	codec_put_string(writer, detail_call_id(detail));
	codec_put_string(writer, detail_ani(detail));
}

static int get_call_detail(void *payload, struct codec_reader *reader)
{
	char call_id[EVENT_ID_MAX + 1], ani[EVENT_ANI_MAX + 1];

	codec_get_string(reader, call_id, sizeof(call_id));
	codec_get_string(reader, ani, sizeof(ani));
	return reader->failed || !set_call_detail(payload, call_id, ani) ? -EINVAL : 0;
}

static void save_operator(const struct detector *detector, const struct operator_state *state,
			  struct codec_writer *writer)
{
	/* What the ticks passed over would have left (catch_up), without changing the state. */
	bool deferred = tick_deferred(detector, state);
	int64_t tick_ms = deferred ? tick_operator_now(state, detector->tick_now_ms) : 0;
	struct window window = state->window;

	codec_put_u32(writer, state->index);
	codec_put_u32(writer, state->generation);
	codec_put_string(writer, state->agency);
	codec_put_string(writer, state->operator_id);
	codec_put_string(writer, state_position(state));
	codec_put_i64(writer, state->last_active_ms);
	codec_put_u8(writer, (uint8_t)state->agent_state);
	codec_put_i64(writer, state->agent_state_ms);
	codec_put_i64(writer, state->lag_ms);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++) {
		struct rule_state rs = state->rules[r];
		if (deferred && rs.holds)
			rs.last_true_ms = tick_ms;
		save_rule_state(&rs, writer);
	}
	save_rate(&state->own, writer);
	save_rate(&state->own_fast, writer);
	sequential_history_save(&state->history, writer);
	static const struct episode no_episode; /* what a call-taker that never alerted saves */
	const struct episode *episode = state->episode ? state->episode : &no_episode;
	codec_put_u8(writer, episode->open);
	codec_put_string(writer, episode->alert_id);
	codec_put_u32(writer, (uint32_t)episode->rule);
	save_episode(episode, writer);
	if (deferred && tick_ms > window.now_ms)
		window.now_ms = tick_ms; /* no call leaves a span before a due tick */
	window_save(&window, writer, put_call_detail);
}

/* One call-taker's state from the snapshot, placed at its index: 0, -EINVAL or -ENOMEM. */
static int load_operator(struct detector *detector, struct codec_reader *reader)
{
	uint32_t index = codec_get_u32(reader), generation = codec_get_u32(reader);
	char agency[EVENT_ID_MAX + 1], operator_id[EVENT_ID_MAX + 1], position[EVENT_ID_MAX + 1];

	codec_get_string(reader, agency, sizeof(agency));
	codec_get_string(reader, operator_id, sizeof(operator_id));
	codec_get_string(reader, position, sizeof(position));
	struct operator_state *state = alloc_state(detector, agency, operator_id);
	if (!state)
		return -ENOMEM;
	state->index = index;
	state->generation = generation;
	set_position(state, position);
	state->last_active_ms = codec_get_i64(reader);
	uint8_t agent_state = codec_get_u8(reader);
	state->agent_state = (enum agent_state)agent_state;
	state->agent_state_ms = codec_get_i64(reader);
	state->lag_ms = codec_get_i64(reader);
	for (size_t r = 0; r < detector->config.detector.rule_count; r++)
		load_rule_state(&state->rules[r], reader);
	load_rate(&state->own, reader);
	load_rate(&state->own_fast, reader);
	sequential_history_load(&state->history, reader);
	struct episode episode = { .open = codec_get_u8(reader) };
	codec_get_string(reader, episode.alert_id, sizeof(episode.alert_id));
	episode.rule = codec_get_u32(reader);
	int episode_rc = load_episode(detector, &episode, reader);
	if (episode_rc == 0 && !episode_is_blank(&episode) &&
	    !(state->episode = malloc(sizeof(*state->episode))))
		episode_rc = -ENOMEM;
	if (state->episode) {
		*state->episode = episode;
	} else {
		free(episode.ack);
		free(episode.callbacks);
	}
	window_init(&state->window, state_spans(state, detector->config.detector.rule_count),
		    detector->span_ms, detector->config.detector.rule_count,
		    detector->config.tracker.max_window_calls, sizeof(struct call_detail));
	window_set_drop(&state->window, drop_call_detail);
	/* Last: placed at its index (within max_operators, unheld) only when all else is valid. */
	int rc = episode_rc;
	if (rc == 0 && (reader->failed || agent_state >= AGENT_STATE_COUNT ||
			episode.rule >= detector->config.detector.rule_count))
		rc = -EINVAL;
	if (rc == 0)
		rc = window_load(&state->window, reader, get_call_detail);
	if (rc == 0)
		rc = registry_place(&detector->registry, state->index, state);
	if (rc != 0) {
		free_state(state);
		return rc;
	}
	if (state->episode)
		state->episode->severity = detector->severity[state->episode->rule];
	state->tick.due_ms = INT64_MAX;
	state->tick.due_position = NOT_DUE;
	state->tick.evaluated_tick = detector->ticks;
	return 0;
}

/* The detector's own counters (operators and open_alerts are counted from the state). */
static const struct codec_counter detector_counters[] = {
	CODEC_COUNTER_SCALAR(struct detector_stats, calls),
	CODEC_COUNTER_SCALAR(struct detector_stats, premature),
	CODEC_COUNTER_SCALAR(struct detector_stats, called_back),
	CODEC_COUNTER_SCALAR(struct detector_stats, alerts),
	CODEC_COUNTER_SCALAR(struct detector_stats, firing),
	CODEC_COUNTER_SCALAR(struct detector_stats, escalated),
	CODEC_COUNTER_SCALAR(struct detector_stats, resolved),
	CODEC_COUNTER_SCALAR(struct detector_stats, updates),
	CODEC_COUNTER_SCALAR(struct detector_stats, acknowledged),
	CODEC_COUNTER_SCALAR(struct detector_stats, unacked_escalations),
	{"by_severity", offsetof(struct detector_stats, by_severity), 8,
	 DETECTOR_NOTICE_KIND_COUNT * CONFIG_SEVERITY_COUNT},
	CODEC_COUNTER_SCALAR(struct detector_stats, alert_callbacks_evicted),
	CODEC_COUNTER_SCALAR(struct detector_stats, operators_evicted),
	CODEC_COUNTER_SCALAR(struct detector_stats, operators_refused),
	CODEC_COUNTER_SCALAR(struct detector_stats, window_evictions),
	CODEC_COUNTER_SCALAR(struct detector_stats, center_evictions),
	CODEC_COUNTER_SCALAR(struct detector_stats, callers_evicted),
	CODEC_COUNTER_SCALAR(struct detector_stats, too_old),
	CODEC_COUNTER_SCALAR(struct detector_stats, baselines_evicted),
	CODEC_COUNTER_SCALAR(struct detector_stats, offered),
	CODEC_COUNTER_SCALAR(struct detector_stats, offered_unknown),
	CODEC_COUNTER_SCALAR(struct detector_stats, sources_departed),
	CODEC_COUNTER_SCALAR(struct detector_stats, operators),
	CODEC_COUNTER_SCALAR(struct detector_stats, open_alerts),
};

/* The operator table: each entry as the index of the state it points at. */
static void put_operator_entry(const void *entry, struct codec_writer *writer, const void *ctx)
{
	(void)ctx;
	codec_put_u32(writer, ((const struct operator_entry *)entry)->state->index);
}

/* Loading the operator table: every state named once. */
struct operator_entries_load {
	struct detector *detector;
	bool *named; /* max_operators long */
};

static int get_operator_entry(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct operator_entries_load *load = ctx;
	struct detector *detector = load->detector;
	uint32_t index = codec_get_u32(reader);

	struct operator_state *state = registry_get(&detector->registry, index);

	if (reader->failed || !state || load->named[index])
		return -EINVAL;
	load->named[index] = true;
	((struct operator_entry *)entry)->state = state;
	*hash = hash_string_pair(state->agency, state->operator_id);
	return 0;
}

/* [string agency][string source][rate][fast rate][volume fast, usual][i64 volume first]
 * [offered fast, usual][i64 offered first][u8 departed][u32 departed sources][4 rates out]
 * (the departures since format 12: a restore keeps a source out as the live run does) */
static void put_baseline(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct baseline_entry *baseline = entry;

	(void)ctx;
	codec_put_string(writer, baseline->agency);
	codec_put_string(writer, baseline->source);
	save_rate(&baseline->rate, writer);
	save_rate(&baseline->fast, writer);
	save_rate(&baseline->volume_fast, writer);
	save_rate(&baseline->volume_usual, writer);
	codec_put_i64(writer, baseline->volume_first_ms);
	save_rate(&baseline->offered_fast, writer);
	save_rate(&baseline->offered_usual, writer);
	codec_put_i64(writer, baseline->offered_first_ms);
	codec_put_u8(writer, baseline->departed ? 1 : 0);
	codec_put_u32(writer, baseline->departed_sources);
	for (size_t i = 0; i < sizeof(baseline->out) / sizeof(baseline->out[0]); i++)
		save_rate(&baseline->out[i], writer);
}

static int get_baseline(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct baseline_entry *baseline = entry;

	(void)ctx;
	codec_get_string(reader, baseline->agency, sizeof(baseline->agency));
	codec_get_string(reader, baseline->source, sizeof(baseline->source));
	load_rate(&baseline->rate, reader);
	load_rate(&baseline->fast, reader);
	load_rate(&baseline->volume_fast, reader);
	load_rate(&baseline->volume_usual, reader);
	baseline->volume_first_ms = codec_get_i64(reader);
	load_rate(&baseline->offered_fast, reader);
	load_rate(&baseline->offered_usual, reader);
	baseline->offered_first_ms = codec_get_i64(reader);
	uint8_t departed = codec_get_u8(reader);
	if (departed > 1)
		return -EINVAL;
	baseline->departed = departed == 1;
	baseline->departed_sources = codec_get_u32(reader);
	for (size_t i = 0; i < sizeof(baseline->out) / sizeof(baseline->out[0]); i++)
		load_rate(&baseline->out[i], reader);
	*hash = baseline_hash(
		(struct baseline_key){ .agency = baseline->agency, .source = baseline->source });
	return 0;
}

static int load_operator_entries(struct detector *detector, struct codec_reader *reader)
{
	struct operator_entries_load load = {
		.detector = detector,
		.named = calloc(detector->config.tracker.max_operators, sizeof(bool))
	};
	int rc = load.named ? table_load_entries(&detector->operators, reader, get_operator_entry,
						 &load)
			    : -ENOMEM;

	free(load.named);
	return rc;
}

void detector_save(const struct detector *detector, struct codec_writer *writer)
{
	codec_put_i64(writer, detector->now_ms);
	codec_put_i64(writer, detector->next_tick_ms);
	codec_put_u64(writer, detector->next_seq);
	codec_put_u64(writer, detector->next_serial);
	codec_put_u32(writer, detector->registry.next_generation);
	codec_put_counters(writer, detector_counters, CODEC_COUNTER_COUNT(detector_counters),
			   &detector->stats);
	registry_save_free(&detector->registry, writer);
	codec_put_u32(writer, detector->operators.count);
	for (uint32_t i = 0; i < detector->config.tracker.max_operators; i++)
		if (registry_get(&detector->registry, i))
			save_operator(detector, registry_get(&detector->registry, i), writer);
	table_save_entries(&detector->operators, writer, put_operator_entry, NULL);
	codec_put_u32(writer, detector->open_count);
	for (uint32_t i = 0; i < detector->open_count; i++)
		codec_put_u32(writer, detector->open_episodes[i]->index);
	window_save(&detector->center, writer, NULL);
	callers_save(detector->callers, writer);
	table_save_entries(&detector->baselines, writer, put_baseline, NULL);
}

static int load_open_episodes(struct detector *detector, struct codec_reader *reader)
{
	uint32_t open_count = codec_get_u32(reader);

	if (reader->failed || open_count > detector->config.tracker.max_operators)
		return -EINVAL;
	for (uint32_t i = 0; i < open_count; i++) {
		struct operator_state *state =
			registry_get(&detector->registry, codec_get_u32(reader));
		if (reader->failed || !state || !episode_open(state))
			return -EINVAL;
		detector->open_episodes[i] = state;
		state->episode->list_position = i;
	}
	detector->open_count = open_count;
	for (uint32_t i = 0; i < open_count; i++)
		due_at(detector, detector->open_episodes[i], DUE_NEXT_TICK);
	return 0;
}

int detector_load(struct detector *detector, struct codec_reader *reader)
{
	uint32_t max_operators = detector->config.tracker.max_operators;

	detector->now_ms = codec_get_i64(reader);
	detector->next_tick_ms = codec_get_i64(reader);
	detector->next_seq = codec_get_u64(reader);
	detector->next_serial = codec_get_u64(reader);
	detector->registry.next_generation = codec_get_u32(reader);
	if (codec_get_counters(reader, detector_counters, CODEC_COUNTER_COUNT(detector_counters),
			       &detector->stats) != 0)
		return -EINVAL;
	if (registry_load_free(&detector->registry, reader) != 0)
		return -EINVAL;
	uint32_t count = codec_get_u32(reader);
	if (reader->failed || count + detector->registry.free_count != max_operators)
		return -EINVAL;
	int rc = 0;
	for (uint32_t n = 0; n < count && rc == 0; n++)
		rc = load_operator(detector, reader);
	/* A bad free index would hand out a slot twice. */
	if (rc != 0 || (rc = registry_check_free(&detector->registry)) != 0 ||
	    (rc = load_operator_entries(detector, reader)) != 0 ||
	    (rc = detector->operators.count != count ? -EINVAL : 0) != 0 ||
	    (rc = load_open_episodes(detector, reader)) != 0 ||
	    (rc = window_load(&detector->center, reader, NULL)) != 0 ||
	    (rc = callers_load(detector->callers, reader, max_operators)) != 0 ||
	    (rc = table_load_entries(&detector->baselines, reader, get_baseline, NULL)) != 0)
		return rc == -ENOMEM ? -ENOMEM : -EINVAL; /* no memory: not damage */
	return reader->failed ? -EINVAL : 0;
}

void detector_save_callers_sweep(const struct detector *detector, struct codec_writer *writer)
{
	callers_save_sweep(detector->callers, writer);
}

int detector_load_callers_sweep(struct detector *detector, struct codec_reader *reader)
{
	return callers_load_sweep(detector->callers, reader);
}
