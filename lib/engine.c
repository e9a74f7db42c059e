/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "codec.h"
#include "control.h"
#include "dedupe.h"
#include "hash.h"
#include "invariant.h"
#include "reorder.h"
#include "sources.h"
#include "sysalert.h"
#include "table.h"
#include "text.h"

/* Open system alerts beyond those of the feed sources: the limits and the journal. */
#define ENGINE_SYSTEM_ALERTS_EXTRA SYSALERTS_CENTER_ROOM
/* Open system alerts per feed source: feed_silent, clock_ahead or clock_behind (a clock seldom
 * runs both ways at once; the room is shared, sysalert.c), sender_restarted, seq_rejected,
 * feed_rejecting (not with clock_ahead or seq_rejected: their refusals are not its), and the
 * limit of its new operators. */
#define ENGINE_SYSTEM_ALERTS_PER_SOURCE 5

/* The most counters one limit adds up (the tables it sizes, or the ways it drops). */
#define LIMIT_COUNTERS_MAX 4

/* Debug builds (unoptimized, asserts on) check the limits' change count against their
 * counters on every event (limits_unchanged). */
#if !defined(NDEBUG) && !defined(__OPTIMIZE__)
#define ENGINE_CHECK_LIMITS 1
#else
#define ENGINE_CHECK_LIMITS 0
#endif

/* The calls the binding keeps owners of (binding_set_call_holder; asked when its table is full,
 * at a reload and at a restore): those the tracker holds and those whose events still wait in
 * the reorder buffer (bound when admitted, tracked only when released). */
struct calls_held {
	const struct engine *engine;
	uint64_t *waiting; /* the reorder buffer's call hashes, sorted: built when first asked */
	uint32_t waiting_count;
	bool waiting_listed;  /* waiting holds them (or there are none) */
	bool waiting_unknown; /* no memory to list them: every call counts as waiting */
};

struct engine {
	struct config config;
	struct event_parser *parser;
	struct dedupe *dedupe;
	struct sources *sources;
	struct clocks *clocks;   /* event time per source */
	struct reorder *reorder; /* events waiting for the center clock */
	int64_t lateness_ms;
	int64_t watermark_ms; /* newest ts accepted from any source */
	int64_t center_ms;    /* newest ts released in order: the tracker's and detector's clock */
	int64_t now_ms;       /* newest host time given (ENGINE_NO_TIME: none yet) */
	uint64_t arrivals;    /* events buffered so far: their arrival order */
	bool future_guard;
	int64_t future_ceiling_ms; /* not saved: set by each replay pass */
	struct tracker *tracker;
	struct detector *detector;
	engine_alert_fn on_alert;
	void *ctx;
	engine_call_fn on_call;
	void *call_ctx;
	struct engine_stats stats;
	/* Derived, not saved: the next line or tick first resolves the clock notices of sources
	 * without a clock (clocks_resize forgot them at a reload) and settles the full system
	 * alerts' room (sysalerts_settle_full); set by engine_reconfigure and a restore. */
	bool settle_pending;
	struct engine_parsed parsed; /* scratch: the line being processed */
	struct sysalerts *sysalerts;
	struct binding *binding; /* what each source may say (binding.h) */
	const char *call_victim; /* whose open calls the tracker evicts now (choose_call_victim) */
	const char *operator_victim; /* whose operators the detector evicts now */
	struct calls_held calls_held; /* the binding's holder's answers, for one pass of them */
	uint64_t limit_counts[ENGINE_LIMIT_COUNT];   /* evictions when last looked at */
	int64_t limit_growth_ms[ENGINE_LIMIT_COUNT]; /* event time they last grew */
	/* Every counter the limits read, flat, where it is kept (counter_homes: the engine's own
	 * stats or a module's, which live as long as the engine), ORed after each event to see at
	 * once that no limit has anything to do. */
	const char *limit_counters[LIMIT_COUNTERS_MAX * ENGINE_LIMIT_COUNT];
	size_t limit_counter_count;
	/* Derived, not saved: what those counters were at the last look at every limit, and the
	 * watermark no limit alert can resolve before (INT64_MAX: none open; INT64_MIN: not known,
	 * look at every limit next time). */
	uint64_t limit_counters_seen[LIMIT_COUNTERS_MAX * ENGINE_LIMIT_COUNT];
	int64_t limits_quiet_until_ms;
	/* The limits' change count (moves.h): what the modules and the engine added to any of
	 * those counters, and its value at the last look at every limit. */
	uint64_t limit_moves;
	uint64_t limit_moves_seen;
	/* The state_incomplete alert (a recovery without some history): the time its refill
	 * counts from (STATE_COMPLETE: none open), and, derived, the center time that resolves
	 * it (set_refill_time). */
	int64_t incomplete_since_ms;
	int64_t incomplete_until_ms;
};

#define STATE_COMPLETE INT64_MAX

/* One more of a counter of the engine's own that a limit reads. */
static void count_limit_move(struct engine *engine, uint64_t *counter)
{
	(*counter)++;
	engine->limit_moves++;
}

/* A line refused for reason, counted (rejects[EVENT_REJECT_REORDER_FULL] is a limit's). */
static void count_reject(struct engine *engine, enum event_reject reason)
{
	engine->stats.rejects[reason]++;
	engine->limit_moves += reason == EVENT_REJECT_REORDER_FULL;
}

/* Where a counter of struct engine_stats is kept between engine_stats calls: the engine's own
 * fields, or the module's stats that engine_stats copies into it. */
enum counter_home { HOME_ENGINE, HOME_TRACKER, HOME_DETECTOR, HOME_BINDING, HOME_COUNT };

static const struct {
	size_t at, size; /* of the module's copy in struct engine_stats */
} counter_homes[HOME_COUNT] = {
	[HOME_ENGINE] = {0, sizeof(struct engine_stats)},
	[HOME_TRACKER] = {offsetof(struct engine_stats, tracker), sizeof(struct tracker_stats)},
	[HOME_DETECTOR] = {offsetof(struct engine_stats, detector), sizeof(struct detector_stats)},
	[HOME_BINDING] = {offsetof(struct engine_stats, binding), sizeof(struct binding_stats)},
};

/* The detector's alert callback: encode once, hand line and alert to the engine's user. */
static void deliver_alert(const struct alert *alert, void *ctx)
{
	struct engine *engine = ctx;
	size_t len = 0;
	char *json = alert_encode_json(alert, &len);

	if (!json) {
		engine->stats.alerts_unencodable++;
		return;
	}
	if (engine->on_alert)
		engine->on_alert(alert, json, len, engine->ctx);
	free(json);
}

static void engine_check_limits(struct engine *engine);
static void state_refilled(struct engine *engine);
static void set_refill_time(struct engine *engine);
static void list_limit_counters(struct engine *engine);
static void clock_forgotten(struct clocks_source *source, void *ctx);
static bool source_listed(const char *name, void *ctx);
static bool call_held(const char *call_id, uint64_t call_hash, void *ctx);
static void calls_held_done(void *ctx);

static int64_t reference_ms(const struct engine *engine);

/* A departure ended by a full baseline table (tracker.max_operators): what its resolve says. */
static void forgotten_departure(const struct detector_source_departure *departure,
				char *message, size_t size)
{
	const char *source = departure->source[0] ? departure->source : "without a hello";
	uint32_t max_operators = departure->max_baselines; /* a reload's, not yet in config */

	if (departure->back_in == DETECTOR_BACK_OWN_FORGOTTEN)
		snprintf(message, size,
			 "feed source %s's own baseline of agency %s forgotten "
			 "(tracker.max_operators %" PRIu32 " reached): its calls are back in the "
			 "other sources' baseline",
			 source, departure->agency, max_operators);
	else
		snprintf(message, size,
			 "agency %s's baseline forgotten (tracker.max_operators %" PRIu32
			 " reached): feed source %s's calls are back in the new one",
			 departure->agency, max_operators, source);
}

/* A departure judged: what its firing or resolve says, with both rates. */
static void judged_departure(const struct detector_source_departure *departure, char *message,
			     size_t size)
{
	const char *source = departure->source[0] ? departure->source : "without a hello";

	snprintf(message, size,
		 departure->departs
			 ? "feed source %s's calls of agency %s depart from the other sources': "
			   "%.1f%% premature of %.0f calls against %.1f%% of %.0f (z %.1f); out of "
			   "their baseline, its call-takers judged by its own calls"
			 : "feed source %s's calls of agency %s no longer depart from the other "
			   "sources': %.1f%% premature of %.0f calls against %.1f%% of %.0f "
			   "(z %.1f)",
		 source, departure->agency, 100.0 * departure->source_ratio,
		 departure->source_calls, 100.0 * departure->rest_ratio, departure->rest_calls,
		 departure->z);
}

/* The detector took a feed source out of an agency's shared baseline, or back in: a
 * "source_departs" system alert of the agency and source, raised or resolved, with both rates
 * (or why its baseline was forgotten). */
static void source_departed(const struct detector_source_departure *departure, void *ctx)
{
	struct engine *engine = ctx;
	char message[SYSALERT_MESSAGE_MAX];

	if (departure->back_in != DETECTOR_BACK_JUDGED)
		forgotten_departure(departure, message, sizeof(message));
	else
		judged_departure(departure, message, sizeof(message));
	struct sysalert_notice notice = { .system = "source_departs",
					  .key = departure->agency,
					  .source = departure->source,
					  .severity = "warning",
					  .message = message,
					  .ts_ms = departure->at_ms != INT64_MIN
							   ? departure->at_ms
							   : reference_ms(engine) };
	if (!departure->departs) {
		sysalerts_resolve(engine->sysalerts, &notice);
		return;
	}
	sysalerts_raise(engine->sysalerts, &notice);
	/* Its events released from the reorder buffer after its clock was forgotten: resolved
	 * with the clock's other notices at the next line or tick, as a restore then would. */
	if (departure->source[0] && !clocks_find(engine->clocks, departure->source))
		engine->settle_pending = true;
}

/* Room for every system alert that can be open at once. */
static uint32_t system_alert_capacity(const struct config *config)
{
	uint64_t capacity = (uint64_t)config->feed.max_sources * ENGINE_SYSTEM_ALERTS_PER_SOURCE +
			    ENGINE_SYSTEM_ALERTS_EXTRA;

	return capacity > UINT32_MAX ? UINT32_MAX : (uint32_t)capacity;
}

static uint64_t next_seq(void *ctx)
{
	return detector_take_seq(((struct engine *)ctx)->detector);
}

/* The tracker is full: the sender holding the most open calls gives them up, when two or more
 * hold some (binding_evict_victim; audit F3). */
static bool choose_call_victim(void *ctx)
{
	struct engine *engine = ctx;

	engine->call_victim = binding_evict_victim(engine->binding);
	return engine->call_victim != NULL;
}

static bool owned_by_victim(const char *call_id, uint64_t call_hash, void *ctx)
{
	const struct engine *engine = ctx;

	return binding_call_owned_by(engine->binding, call_id, call_hash, engine->call_victim);
}

/* The tracker evicted or expired the call (its table full, a sweep, a reload shrinking it):
 * the binding forgets its owner too, the one decision for both tables. The binding forgets the
 * owner of a call the tracker holds in no other way (binding_set_call_holder), so no other
 * source can end it (before, a full binding or a reload shrinking it apart left calls tracked
 * without an owner: review7). */
static void call_evicted(const char *call_id, uint64_t call_hash, bool expired, void *ctx)
{
	binding_evict_call(((struct engine *)ctx)->binding, call_id, call_hash, expired);
}

/* The detector is full: the sender owning the most operators gives them up, when two or more
 * own some (binding_operator_evict_victim; audit F9). */
static bool choose_operator_victim(void *ctx)
{
	struct engine *engine = ctx;

	engine->operator_victim = binding_operator_evict_victim(engine->binding);
	return engine->operator_victim != NULL;
}

static bool operator_of_victim(const char *agency, const char *operator_id, void *ctx)
{
	const struct engine *engine = ctx;

	return binding_operator_owned_by(engine->binding, agency, operator_id,
					 engine->operator_victim);
}

/* The oldest start a call not yet seen can have (callers_redials): an event older than its
 * source's clock less the lateness is refused, and one in the reorder buffer is no older than
 * the center clock less the lateness; INT64_MIN before the center has one. A source with no
 * clock yet (new, or forgotten when the table was full) has no bound, and one whose clock is
 * further behind the center's than tracker.max_call_seconds (the lateness or the lag a source
 * may have, when longer) holds nothing back (a silent standby CAD would keep every hangup; its
 * backlog that old loses its callbacks): docs/detection.md, "Repeat callers". */
static int64_t unseen_from(const void *ctx)
{
	const struct engine *engine = ctx;

	if (engine->center_ms == INT64_MIN)
		return INT64_MIN;
	const struct config *config = &engine->config;
	uint32_t horizon_s = config->tracker.max_call_seconds;
	if (horizon_s < config->tracker.allowed_lateness_seconds)
		horizon_s = config->tracker.allowed_lateness_seconds;
	if (horizon_s < config->tracker.max_source_lag_seconds)
		horizon_s = config->tracker.max_source_lag_seconds;
	int64_t oldest_ms = clocks_oldest(engine->clocks,
					  engine->center_ms - (int64_t)horizon_s * 1000);
	if (engine->center_ms < oldest_ms)
		oldest_ms = engine->center_ms;
	return oldest_ms - engine->lateness_ms;
}

/* Whether an open call started from from_ms to to_ms (callers_redials). */
static bool open_between(const void *ctx, int64_t from_ms, int64_t to_ms)
{
	return tracker_started_between(((const struct engine *)ctx)->tracker, from_ms, to_ms);
}

struct engine *engine_new(const struct config *config, engine_alert_fn on_alert, void *ctx)
{
	struct engine *engine = calloc(1, sizeof(*engine));

	if (!engine)
		return NULL;
	engine->config = *config;
	engine->on_alert = on_alert;
	engine->ctx = ctx;
	engine->parser = event_parser_new();
	engine->dedupe = dedupe_new(config->tracker.max_dedupe_events);
	engine->sources = sources_new(config->feed.max_sources);
	engine->clocks = clocks_new(config->feed.max_sources);
	engine->reorder = reorder_new(config->tracker.max_reorder_events);
	engine->lateness_ms = (int64_t)config->tracker.allowed_lateness_seconds * 1000;
	engine->watermark_ms = INT64_MIN;
	engine->center_ms = INT64_MIN;
	engine->now_ms = ENGINE_NO_TIME;
	engine->future_guard = true;
	engine->future_ceiling_ms = INT64_MAX;
	engine->limits_quiet_until_ms = INT64_MIN;
	engine->incomplete_since_ms = engine->incomplete_until_ms = STATE_COMPLETE;
	engine->tracker =
		tracker_new(config->tracker.max_open_calls, config->tracker.max_call_seconds);
	engine->detector = detector_new(config, deliver_alert, engine);
	engine->sysalerts = sysalerts_new(system_alert_capacity(config), next_seq,
					  deliver_alert, engine);
	engine->binding = binding_new(config);
	engine->calls_held.engine = engine;
	if (engine->binding)
		binding_set_call_holder(engine->binding, &(struct binding_call_holder){
			.held = call_held, .done = calls_held_done, .ctx = &engine->calls_held });
	if (engine->detector)
		detector_on_source_departure(engine->detector, source_departed, engine);
	if (engine->clocks) {
		clocks_set_forget(engine->clocks, clock_forgotten, engine);
		clocks_set_listed(engine->clocks, source_listed, &engine->config);
	}
	if (engine->sources)
		sources_set_listed(engine->sources, source_listed, &engine->config);
	if (engine->tracker)
		tracker_set_eviction(engine->tracker, &(struct tracker_eviction){
			.choose = choose_call_victim,
			.owns = owned_by_victim,
			.evicted = call_evicted,
			.ctx = engine });
	if (engine->detector) {
		detector_set_eviction(engine->detector,
				      &(struct detector_eviction){ .choose = choose_operator_victim,
								   .owns = operator_of_victim,
								   .ctx = engine });
		detector_set_redials(engine->detector, &(struct callers_redials){
			.unseen_from = unseen_from, .open_between = open_between, .ctx = engine });
	}
	if (!engine->parser || !engine->dedupe || !engine->sources || !engine->clocks ||
	    !engine->reorder || !engine->tracker || !engine->detector || !engine->sysalerts ||
	    !engine->binding) {
		engine_free(engine);
		return NULL;
	}
	list_limit_counters(engine); /* reads every part's counters: all made */
	dedupe_count_moves(engine->dedupe, &engine->limit_moves);
	sources_count_moves(engine->sources, &engine->limit_moves);
	clocks_count_moves(engine->clocks, &engine->limit_moves);
	tracker_count_moves(engine->tracker, &engine->limit_moves);
	detector_count_moves(engine->detector, &engine->limit_moves);
	binding_count_moves(engine->binding, &engine->limit_moves);
	return engine;
}

void engine_free(struct engine *engine)
{
	if (!engine)
		return;
	event_parser_free(engine->parser);
	dedupe_free(engine->dedupe);
	sources_free(engine->sources);
	clocks_free(engine->clocks);
	reorder_free(engine->reorder);
	tracker_free(engine->tracker);
	detector_free(engine->detector);
	sysalerts_free(engine->sysalerts);
	binding_free(engine->binding);
	free(engine);
}

static bool is_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

/* Hand an event to the tracker, and a call it completes to the detector; arrival: the one
 * the binding bound it with; late: its source is judged on its own, behind the center; sender:
 * the hello's source of the event that completes it, "" for every connection without a hello
 * (engine_sender). */
static void track_event(struct engine *engine, const struct event *event, uint64_t call_hash,
			uint64_t arrival, bool late, const char *sender)
{
	struct completed_call completed;

	if (event->type == EVENT_OPERATOR_STATE) { /* names no call */
		detector_operator_state(engine->detector, event);
		return;
	}
	if (event->type == EVENT_CALL_OFFERED) { /* no call record: the agency's arrivals */
		detector_call_offered(engine->detector, event, sender);
		return;
	}
	enum tracker_result result = tracker_apply_hashed(engine->tracker, event, call_hash,
							  &completed);
	/* a call's call_start or call_end again (DUPLICATE) leaves it open, as PENDING does */
	binding_call_event_applied(engine->binding, event->call_id, call_hash, arrival,
				   result == TRACKER_PENDING || result == TRACKER_DUPLICATE);
	if (result != TRACKER_COMPLETED)
		return;
	completed.late = late;
	completed.source = sender;
	bool premature = detector_is_premature(engine->detector, &completed);
	if (detector_add_call(engine->detector, &completed) == DETECTOR_ADDED && engine->on_call) {
		detector_added_operator(engine->detector, &completed.operator_index,
					&completed.operator_generation);
		engine->on_call(&completed, premature, engine->call_ctx);
	}
	/* A caller who rang again and had something to say: the earlier hangup cut off a real
	 * call. A redial that is itself premature (a pocket dial again), or with
	 * detector.callback_min_talk_seconds one too short to be a real call, marks nothing. */
	if (detector_is_real_call(engine->detector, &completed, premature))
		detector_caller_rang_hashed(engine->detector, completed.ani, completed.ani_hash,
					    completed.start_ms);
}

/* An event in the center's order: the center clock follows it. */
/* The hash_string of the call an event names (0: an operator_state names none): hashed once
 * for the binding's, the duplicate filter's and the tracker's look-ups. */
static uint64_t call_hash_of(const struct event *event)
{
	return reorder_call_hash(event);
}

/* Who sent an event, as the detector's per-source baselines count it: a named source by its
 * name, every connection without a hello together (as binding.h's senders). */
static const char *engine_sender(const char *source, bool named)
{
	return named ? source : "";
}

static void release_in_order(struct engine *engine, const struct event *event, uint64_t call_hash,
			     uint64_t arrival, const char *sender)
{
	if (event->ts_ms > engine->center_ms) {
		engine->center_ms = event->ts_ms;
		detector_advance(engine->detector, event->ts_ms);
		if (event->ts_ms >= engine->incomplete_until_ms)
			state_refilled(engine);
	}
	track_event(engine, event, call_hash, arrival, false, sender);
}

static struct clocks_bounds bounds(const struct engine *engine)
{
	return (struct clocks_bounds){
		.now_ms = engine->now_ms,
		.idle_ms = (int64_t)engine->config.feed.source_idle_seconds * 1000,
		.max_lag_ms = (int64_t)engine->config.tracker.max_source_lag_seconds * 1000,
		.max_behind_ms = (int64_t)engine->config.tracker.max_source_behind_seconds * 1000,
		.center_ms = engine->center_ms
	};
}

/* May the first buffered event go now? Not while a held source can still send one before it,
 * nor before the host clock has reached it (the center never runs ahead of the host). */
static bool releasable_at(int64_t ts_ms, const char *source, const struct clocks_center *center,
			  int64_t now_ms)
{
	if (now_ms != ENGINE_NO_TIME && ts_ms > now_ms)
		return false;
	if (!center->any_held || ts_ms < center->center_ms)
		return true;
	/* the source that holds the center itself (one feed's every event): no strcmp */
	return ts_ms == center->center_ms &&
	       (source == center->tie_name || strcmp(source, center->tie_name) <= 0);
}

/* Release, in (ts, source, arrival) order, every buffered event the held sources have passed. */
static void release_ready(struct engine *engine, bool everything)
{
	struct clocks_bounds now = bounds(engine);
	struct clocks_center center;
	const struct reorder_item *first;
	const char *first_source;
	int64_t first_ms;

	clocks_center(engine->clocks, &now, &center);
	/* Each released as reorder_take unpacked it: nothing is taken while it is tracked. */
	while (reorder_first(engine->reorder, &first_ms, &first_source) &&
	       (everything || releasable_at(first_ms, first_source, &center, engine->now_ms)) &&
	       (first = reorder_take(engine->reorder)))
		release_in_order(engine, &first->event, first->call_hash, first->arrival,
				 engine_sender(first->source, first->named));
}

/*
 * With nothing buffered, an event the center has already passed goes at once: what pushing it
 * and release_ready popping it first would do (its arrival number counted all the same),
 * without packing the item into the buffer. False: not released.
 */
static bool release_at_once(struct engine *engine, const struct event *event, uint64_t call_hash,
			    const struct clocks_source *source, bool named)
{
	struct clocks_bounds now = bounds(engine);
	struct clocks_center center;

	if (reorder_count(engine->reorder) != 0 || reorder_full(engine->reorder))
		return false;
	clocks_center(engine->clocks, &now, &center);
	if (!releasable_at(event->ts_ms, source->name, &center, engine->now_ms))
		return false;
	++engine->arrivals;
	release_in_order(engine, event, call_hash, engine->arrivals,
			 engine_sender(source->name, named));
	return true;
}

/* Hold an event for the center. When the buffer is full the oldest goes early, but never past
 * the host clock: when it is ahead of the host, the event (not ahead: reject_reorder_full)
 * goes instead, older than every event waiting (audit F10). */
static void buffer_event(struct engine *engine, const struct event *event, uint64_t call_hash,
			 const struct clocks_source *source, bool named)
{
	const struct reorder_item *oldest;
	int64_t oldest_ms;

	if (reorder_full(engine->reorder) && engine->now_ms != ENGINE_NO_TIME &&
	    reorder_first(engine->reorder, &oldest_ms, NULL) &&
	    oldest_ms > engine->now_ms) {
		count_limit_move(engine, &engine->stats.reorder_overflows);
		++engine->arrivals;
		release_in_order(engine, event, call_hash, engine->arrivals,
				 engine_sender(source->name, named));
		return;
	}
	if (reorder_full(engine->reorder) && (oldest = reorder_take(engine->reorder))) {
		count_limit_move(engine, &engine->stats.reorder_overflows);
		release_in_order(engine, &oldest->event, oldest->call_hash, oldest->arrival,
				 engine_sender(oldest->source, oldest->named));
	}
	if (reorder_push_event(engine->reorder, event, source->name, named, ++engine->arrivals,
			       call_hash) != 0) {
		count_limit_move(engine, &engine->stats.reorder_overflows);
		release_in_order(engine, event, call_hash, engine->arrivals,
				 engine_sender(source->name, named));
	}
}

/* The time the future guard measures against: the host's; else, once another source has sent,
 * the newest ts of every source, the event's own included, so that a source which keeps
 * sending while the others are silent is not refused for running ahead of them. */
static int64_t guard_reference(const struct engine *engine, const struct engine_origin *origin,
			       const struct clocks_source *source)
{
	int64_t others_ms;

	if (origin->received_ms != ENGINE_NO_TIME)
		return origin->received_ms;
	others_ms = clocks_newest_other(engine->clocks, source);
	if (others_ms == INT64_MIN || source->newest_ms <= others_ms)
		return others_ms;
	return source->newest_ms;
}

/* Why an event was refused as from the future: how far ahead of what, and the allowance. */
struct future_miss {
	int64_t ahead_ms;
	int64_t reference_ms; /* the time it was measured against */
	const char *against; /* "this host", "the other sources", "the recovery's clock" */
	char allowed[96];    /* the keys and their values, e.g. "feed.max_future_seconds 300" */
};

static enum event_reject reject_future(struct engine *engine, const struct event *event,
				       const struct engine_origin *origin,
				       const struct clocks_source *source,
				       struct engine_verdict *verdict, struct future_miss *miss)
{
	bool host = origin->received_ms != ENGINE_NO_TIME;
	bool lag_allowed = !host; /* sources may run max_source_lag apart */
	int64_t reference = guard_reference(engine, origin, source);
	uint32_t future_s = engine->config.feed.max_future_seconds;
	uint32_t lag_s = engine->config.tracker.max_source_lag_seconds;
	int64_t allowed_ms = ((int64_t)future_s + (lag_allowed ? lag_s : 0)) * 1000;
	const char *against = host ? "the host clock" : "the other sources";

	miss->against = host ? "this host" : "the other sources";
	if (event->ts_ms > engine->future_ceiling_ms) {
		lag_allowed = false;
		allowed_ms = (int64_t)future_s * 1000;
		reference = engine->future_ceiling_ms - allowed_ms;
		against = miss->against = "the recovery's clock";
	} else if (!engine->future_guard || reference == INT64_MIN ||
		   event->ts_ms <= reference + allowed_ms) {
		return EVENT_OK;
	}
	miss->ahead_ms = event->ts_ms - reference;
	miss->reference_ms = reference;
	if (lag_allowed)
		snprintf(miss->allowed, sizeof(miss->allowed),
			 "feed.max_future_seconds %" PRIu32
			 " + tracker.max_source_lag_seconds %" PRIu32,
			 future_s, lag_s);
	else
		snprintf(miss->allowed, sizeof(miss->allowed), "feed.max_future_seconds %" PRIu32,
			 future_s);
	snprintf(verdict->why, sizeof(verdict->why),
		 "%s: \"ts\" is %lld s ahead of %s, over the %lld s allowed (%s)",
		 event_type_name(event->type), (long long)(miss->ahead_ms / 1000), against,
		 (long long)(allowed_ms / 1000),
		 lag_allowed ? "feed.max_future_seconds + tracker.max_source_lag_seconds"
			     : "feed.max_future_seconds");
	return EVENT_REJECT_FUTURE;
}

/* ---- notices about one feed source: its clock ahead, its sender restarted ------------------ */

/* The time source notices are dated and timed by: the host's (journaled with each line), else,
 * without a host clock (cadmon-backtest), the newest event time. */
static int64_t reference_ms(const struct engine *engine)
{
	return engine->now_ms != ENGINE_NO_TIME ? engine->now_ms : engine->watermark_ms;
}

/* "feed source cad-2", or "the feed" for the one unnamed stream. */
static void source_subject(const struct clocks_source *source, char *out, size_t size)
{
	if (source->name[0])
		snprintf(out, size, "feed source %s", source->name);
	else
		snprintf(out, size, "the feed");
}

/* A duration in the largest unit that keeps it readable: "45 seconds", "3 years". */
static void human_duration(int64_t ms, char *out, size_t size)
{
	static const struct {
		const char *unit;
		int64_t seconds; /* one unit */
		int64_t below;   /* used for durations shorter than this many seconds */
	} units[] = {
		{"second", 1, 120},
		{"minute", 60, 120 * 60},
		{"hour", 3600, 48 * 3600},
		{"day", 86400, 365 * 86400},
		{"year", 365 * 86400, INT64_MAX},
	};
	int64_t seconds = ms < 0 ? 0 : ms / 1000;
	size_t i = 0;

	while (seconds >= units[i].below)
		i++;
	int64_t n = seconds / units[i].seconds;
	snprintf(out, size, "%lld %s%s", (long long)n, units[i].unit, n == 1 ? "" : "s");
}

static void source_notice(const struct engine *engine, const struct clocks_source *source,
			  const char *system, const char *message, struct sysalert_notice *notice)
{
	bool critical = strcmp(system, "clock_ahead") == 0 || strcmp(system, "seq_rejected") == 0 ||
			strcmp(system, "feed_rejecting") == 0;

	*notice = (struct sysalert_notice){ .system = system,
					    .key = source->name,
					    .severity = critical ? "critical" : "warning",
					    .message = message,
					    .ts_ms = reference_ms(engine) };
}

/* A source's event refused as from the future: clock_ahead opens (or its message is kept up to
 * date), dated by the host time (else the newest event time), and stays open until the source's
 * events are accepted again. */
static void raise_clock_ahead(struct engine *engine, struct clocks_source *source,
			      const struct future_miss *miss)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char ahead[48];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	human_duration(miss->ahead_ms, ahead, sizeof(ahead));
	snprintf(message, sizeof(message),
		 "%s's clock is %s ahead of %s: its events are refused (%s)", subject, ahead,
		 miss->against, miss->allowed);
	source_notice(engine, source, "clock_ahead", message, &notice);
	if (notice.ts_ms ==
	    INT64_MIN) /* no time yet (a recovery's ceiling): what it was measured against */
		notice.ts_ms = miss->reference_ms;
	source->future_ms = notice.ts_ms;
	sysalerts_raise(engine->sysalerts, &notice);
}

/* A named source's sender numbers its lines afresh: sender_restarted, with both numberings. */
static void raise_restarted(struct engine *engine, struct clocks_source *source,
			    const struct engine_origin *origin, uint64_t old_seq, uint64_t new_seq,
			    int64_t line_ts_ms)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char why[EVENT_ID_MAX + 32];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	if (origin->epoch && origin->epoch[0])
		snprintf(why, sizeof(why), "epoch %s", origin->epoch);
	else if (origin->recording)
		snprintf(why, sizeof(why), "on a line newer than all its others");
	else
		snprintf(why, sizeof(why), "on a new connection");
	snprintf(message, sizeof(message),
		 "%s restarted its numbering (%s): seq %" PRIu64 " after %" PRIu64
		 "; its events are taken as new from there",
		 subject, why, new_seq, old_seq);
	source_notice(engine, source, "sender_restarted", message, &notice);
	if (notice.ts_ms ==
	    INT64_MIN) /* no time yet (cadmon-backtest's first event): the line's own */
		notice.ts_ms = line_ts_ms;
	source->restarted_ms = notice.ts_ms;
	sysalerts_raise(engine->sysalerts, &notice);
}

/* A source's event refused as too late (older than tracker.allowed_lateness_seconds behind its
 * own newest: its clock stepped back, or it resends old events): events_too_late opens (or its
 * message is kept up to date), dated by the host time (else the source's newest event time),
 * and resolves once none has been refused so for resolve_after_seconds. */
static void raise_too_late(struct engine *engine, struct clocks_source *source, int64_t ts_ms)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char behind[48];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	human_duration(source->newest_ms - ts_ms, behind, sizeof(behind));
	snprintf(message, sizeof(message),
		 "%s's events are refused as too late, the latest %s behind its newest "
		 "(tracker.allowed_lateness_seconds %" PRIu32 "): %" PRIu64
		 " so far; its clock steps back, or it resends old events",
		 subject, behind, engine->config.tracker.allowed_lateness_seconds,
		 source->too_late);
	source_notice(engine, source, "events_too_late", message, &notice);
	if (notice.ts_ms == INT64_MIN) /* no host time (cadmon-backtest): the source's newest */
		notice.ts_ms = source->newest_ms;
	if (sysalerts_raise(engine->sysalerts, &notice))
		source->too_late_ms = notice.ts_ms;
}

/* With a host clock, is source's clock more than max_source_behind_seconds behind both the
 * host clock and the newest other source (a slow clock, or a backlog being resent)? */
static bool clock_behind(const struct engine *engine, const struct clocks_source *source)
{
	int64_t max_ms = (int64_t)engine->config.tracker.max_source_behind_seconds * 1000;
	int64_t others_ms;

	if (engine->now_ms == ENGINE_NO_TIME || max_ms == 0 ||
	    source->newest_ms >= engine->now_ms - max_ms)
		return false; /* the common case: within the bound of the host clock */
	/* No other source ahead of it (quiet or not): the whole center is behind the host
	 * (recorded data), and nothing waits for it. */
	others_ms = clocks_newest_other(engine->clocks, source);
	return others_ms != INT64_MIN && source->newest_ms < others_ms - max_ms;
}

/* An event of source accepted: with its clock behind (clock_behind()) for more than
 * max_source_behind_seconds of host time, the source holds the others no more (clocks.h), and
 * clock_behind opens (or its message is kept up to date), dated by the host time; a backlog
 * resent faster than that raises nothing. An event that leaves it caught up ends the episode
 * (the notice resolves as clock_ahead does, settle_source_notices). */
static void check_clock_behind(struct engine *engine, struct clocks_source *source)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char behind[48];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;
	uint32_t max_s = engine->config.tracker.max_source_behind_seconds;

	if (!clock_behind(engine, source)) {
		source->behind_since_ms = INT64_MIN;
		return;
	}
	if (source->behind_since_ms == INT64_MIN)
		source->behind_since_ms = engine->now_ms;
	if (engine->now_ms - source->behind_since_ms <= (int64_t)max_s * 1000)
		return;
	source_subject(source, subject, sizeof(subject));
	human_duration(engine->now_ms - source->newest_ms, behind, sizeof(behind));
	snprintf(message, sizeof(message),
		 "%s's clock is %s behind this host and the other sources: it holds their alerts "
		 "back no more, its events are placed at once (tracker.max_source_behind_seconds "
		 "%" PRIu32 ")",
		 subject, behind, max_s);
	source_notice(engine, source, "clock_behind", message, &notice);
	source->behind_ms = notice.ts_ms;
	sysalerts_raise(engine->sysalerts, &notice);
}

/* Close source's notice system (opened at *since_ms, when kept) with message "<source>why";
 * whether one was open. */
static bool resolve_source_notice(struct engine *engine, struct clocks_source *source,
				  const char *system, const char *why, int64_t *since_ms)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	snprintf(message, sizeof(message), "%s%s", subject, why);
	source_notice(engine, source, system, message, &notice);
	if (since_ms)
		*since_ms = INT64_MIN;
	return sysalerts_resolve(engine->sysalerts, &notice);
}

/* A named source's line refused for a seq jump (feed.max_seq_jump): seq_rejected opens (or its
 * message is kept up to date) until a numbered line of the source is taken again. */
static void raise_seq_rejected(struct engine *engine, struct clocks_source *source,
			       uint64_t highest, uint64_t seq, int64_t line_ts_ms)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	snprintf(message, sizeof(message),
		 "%s's lines are refused: seq %" PRIu64 " is more than %" PRIu64
		 " above its highest, %" PRIu64 " (feed.max_seq_jump); %" PRIu64
		 " refused so far; a new epoch in its hello restarts its numbering",
		 subject, seq, (uint64_t)engine->config.feed.max_seq_jump, highest,
		 source->bad_seq);
	source_notice(engine, source, "seq_rejected", message, &notice);
	if (notice.ts_ms == INT64_MIN)
		notice.ts_ms = line_ts_ms;
	if (sysalerts_raise(engine->sysalerts, &notice))
		source->seq_rejected = true;
}

/* A numbered line of source taken: its seq_rejected alert, if open, resolves. */
static void settle_seq_rejected(struct engine *engine, struct clocks_source *source,
				uint64_t seq)
{
	char why[96];

	if (!source->seq_rejected)
		return; /* the common case: no message formatted, no search, for a numbered line */
	snprintf(why, sizeof(why),
		 "'s lines are taken again from seq %" PRIu64 "; %" PRIu64 " refused in all", seq,
		 source->bad_seq);
	resolve_source_notice(engine, source, "seq_rejected", why, NULL);
	source->seq_rejected = false;
}

/* An event of source accepted: its notices resolve once resolve_after_seconds of reference
 * time have passed since their last cause. */
static void settle_source_notices(struct engine *engine, struct clocks_source *source)
{
	uint32_t quiet_s = engine->config.detector.resolve_after_seconds;
	int64_t now_ms = reference_ms(engine);
	char subject[CLOCKS_NAME_MAX + 16];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	if (source->future_ms == INT64_MIN && source->restarted_ms == INT64_MIN &&
	    source->behind_ms == INT64_MIN && source->too_late_ms == INT64_MIN)
		return; /* the common case: nothing open */
	source_subject(source, subject, sizeof(subject));
	if (source->future_ms != INT64_MIN &&
	    now_ms - source->future_ms >= (int64_t)quiet_s * 1000) {
		snprintf(message, sizeof(message),
			 "%s's events are accepted again: none too far ahead for %" PRIu32 " s",
			 subject, quiet_s);
		source_notice(engine, source, "clock_ahead", message, &notice);
		sysalerts_resolve(engine->sysalerts, &notice);
		source->future_ms = INT64_MIN;
	}
	if (source->restarted_ms != INT64_MIN &&
	    now_ms - source->restarted_ms >= (int64_t)quiet_s * 1000) {
		snprintf(message, sizeof(message),
			 "%s has sent under its new numbering for %" PRIu32 " s", subject, quiet_s);
		source_notice(engine, source, "sender_restarted", message, &notice);
		sysalerts_resolve(engine->sysalerts, &notice);
		source->restarted_ms = INT64_MIN;
	}
	if (source->behind_ms != INT64_MIN &&
	    now_ms - source->behind_ms >= (int64_t)quiet_s * 1000) {
		snprintf(message, sizeof(message),
			 "'s clock has kept up again: none of its events too far behind for "
			 "%" PRIu32 " s",
			 quiet_s);
		resolve_source_notice(engine, source, "clock_behind", message,
				      &source->behind_ms);
	}
	if (source->too_late_ms != INT64_MIN &&
	    now_ms - source->too_late_ms >= (int64_t)quiet_s * 1000) {
		snprintf(message, sizeof(message),
			 "'s events are placed again: none too late for %" PRIu32 " s; %" PRIu64
			 " refused in all",
			 quiet_s, source->too_late);
		resolve_source_notice(engine, source, "events_too_late", message,
				      &source->too_late_ms);
	}
}

/* The source's own lateness: only its own newest ts can make its events too late. */
static enum event_reject reject_too_late(const struct engine *engine, const struct event *event,
					 const struct clocks_source *source,
					 struct engine_verdict *verdict)
{
	if (source->newest_ms == INT64_MIN ||
	    event->ts_ms >= source->newest_ms - engine->lateness_ms)
		return EVENT_OK;
	snprintf(verdict->why, sizeof(verdict->why),
		 "%s: \"ts\" is %lld s older than the newest event, over the %lld s allowed",
		 event_type_name(event->type),
		 (long long)((source->newest_ms - event->ts_ms) / 1000),
		 (long long)(engine->lateness_ms / 1000));
	return EVENT_REJECT_TOO_LATE;
}

/* Each per-sender limit of the binding: its key, what its alert says a sender did past it and
 * what goes on, what its resolution says was refused. */
static const struct {
	const char *key;
	const char *did;
	const char *goes_on;
	const char *refused;
} sender_limits[BINDING_LIMITS] = {
	[BINDING_LIMIT_NEW_OPERATORS] = { "tracker.max_new_operators_per_source_per_hour",
					  " new call-takers in an hour (",
					  " refused so far; its calls of known call-takers go on",
					  "new call-taker" },
	[BINDING_LIMIT_OPEN_CALLS] = { "tracker.max_open_calls_per_source",
				       " calls open at once (",
				       " refused so far; its calls already open go on",
				       "new call" },
};

/* The setting of a per-sender limit. */
static uint32_t sender_limit_setting(const struct config *config, enum binding_limit limit)
{
	if (limit == BINDING_LIMIT_OPEN_CALLS)
		return config->tracker.max_open_calls_per_source;
	return config->tracker.max_new_operators_per_source_per_hour;
}

/* A sender's event refused under limit: its limit alert opens (or its count is brought up to
 * date). */
static void raise_sender_limit(struct engine *engine, const struct binding_sender *sender,
			       enum binding_limit limit, int64_t ts_ms)
{
	struct binding_episode episode;
	char subject[EVENT_ID_MAX + 48];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */

	binding_refusals(engine->binding, sender, limit, &episode);
	binding_describe_sender(episode.sender, subject, sizeof(subject));
	struct text_builder text = text_builder_start(message, sizeof(message));
	/* built without snprintf: raised again at every refused line */
	text_add(&text, subject);
	text_add(&text, limit == BINDING_LIMIT_OPEN_CALLS ? " held " : " named more than ");
	text_add_u64(&text, sender_limit_setting(&engine->config, limit));
	text_add(&text, sender_limits[limit].did);
	text_add(&text, sender_limits[limit].key);
	text_add(&text, "): ");
	text_add_u64(&text, episode.refused);
	text_add(&text, sender_limits[limit].goes_on);
	struct sysalert_notice notice = { .system = "limit",
					  .key = sender_limits[limit].key,
					  .source = episode.sender,
					  .severity = "warning",
					  .message = message,
					  .evicted = episode.refused,
					  .ts_ms = engine->watermark_ms != INT64_MIN
							   ? engine->watermark_ms
							   : ts_ms };
	sysalerts_raise(engine->sysalerts, &notice);
}

/* Episodes of refusals under a per-sender limit quiet for config_limit_quiet_seconds of event
 * time: resolved. */
static void settle_rate_limits(struct engine *engine)
{
	uint32_t quiet_s = config_limit_quiet_seconds(&engine->config);
	struct binding_episode episode;
	char subject[EVENT_ID_MAX + 48];
	char message[2 * SYSALERT_MESSAGE_MAX];

	while (binding_settle(engine->binding, engine->watermark_ms, (int64_t)quiet_s * 1000,
			      &episode)) {
		binding_describe_sender(episode.sender, subject, sizeof(subject));
		snprintf(message, sizeof(message),
			 "%s: no %s refused for %" PRIu32 " s; %" PRIu64 " in all", subject,
			 sender_limits[episode.limit].refused, quiet_s, episode.refused);
		struct sysalert_notice notice = { .system = "limit",
						  .key = sender_limits[episode.limit].key,
						  .source = episode.sender,
						  .severity = "warning",
						  .message = message,
						  .evicted = episode.refused,
						  .ts_ms = engine->watermark_ms };
		sysalerts_resolve(engine->sysalerts, &notice);
	}
}

/* What the source may say (binding.h): its agencies, its calls and operators, its rate of
 * new operators. Checked before the duplicate filter, so that a refused line leaves no trace. */
static enum event_reject reject_unbound(struct engine *engine, const struct engine_parsed *parsed,
					const struct engine_origin *origin,
					struct binding_admission *admitted,
					struct engine_verdict *verdict)
{
	struct binding_sender sender = { .source = origin->source,
					 .named = origin->named && origin->source &&
						  origin->source[0] };
	enum event_reject reason = binding_admit(
		engine->binding, &engine->config, &parsed->event, parsed->call_hash,
		parsed->operator_hash, &sender, engine->watermark_ms, admitted, verdict->why,
		sizeof(verdict->why));

	if (reason == EVENT_REJECT_NEW_OPERATOR_RATE)
		raise_sender_limit(engine, &sender, BINDING_LIMIT_NEW_OPERATORS,
				   parsed->event.ts_ms);
	else if (reason == EVENT_REJECT_OPEN_CALLS_PER_SOURCE)
		raise_sender_limit(engine, &sender, BINDING_LIMIT_OPEN_CALLS, parsed->event.ts_ms);
	return reason;
}

/* With a host clock, an event ahead of it can only wait; when the reorder buffer is full of
 * events ahead of it too, holding one more would release one early past the host clock:
 * refused instead (audit F10). */
static enum event_reject reject_reorder_full(const struct engine *engine,
					     const struct event *event,
					     struct engine_verdict *verdict)
{
	int64_t oldest_ms;

	if (engine->now_ms == ENGINE_NO_TIME || event->ts_ms <= engine->now_ms ||
	    !reorder_full(engine->reorder) ||
	    !reorder_first(engine->reorder, &oldest_ms, NULL) ||
	    oldest_ms <= engine->now_ms)
		return EVENT_OK;
	snprintf(verdict->why, sizeof(verdict->why),
		 "%s: \"ts\" is %lld s ahead of the host clock, and the reorder buffer is full of "
		 "events ahead of it (tracker.max_reorder_events %" PRIu32 ")",
		 event_type_name(event->type), (long long)((event->ts_ms - engine->now_ms) / 1000),
		 engine->config.tracker.max_reorder_events);
	return EVENT_REJECT_REORDER_FULL;
}

/* A line of source was taken (an event, or a resend of one): the source is heard, fresh. A
 * refused line is not heard: a source that sends only lines that are refused cannot hold back
 * the center (docs/detection.md, "Time"). */
static void settle_rejecting(struct engine *engine, struct clocks_source *source);

static void hear(struct engine *engine, const struct engine_origin *origin,
		 struct clocks_source *source)
{
	clocks_heard(source,
		     origin->received_ms != ENGINE_NO_TIME ? origin->received_ms : engine->now_ms);
	source->refused_since_ms = INT64_MIN;
	if (source->rejecting)
		settle_rejecting(engine, source);
}

/* Guard, lateness and duplicates: the gate in front of the center; then buffer or judge alone. */
static enum event_reject admit_event(struct engine *engine, const struct engine_parsed *parsed,
				     const struct engine_origin *origin,
				     struct clocks_source *source, struct engine_verdict *verdict)
{
	const struct event *event = &parsed->event;
	uint64_t call_hash = parsed->call_hash;
	enum event_reject reason;
	struct future_miss miss;
	int64_t oldest_ms =
		source->newest_ms < engine->center_ms ? source->newest_ms : engine->center_ms;
	int64_t horizon_ms = oldest_ms == INT64_MIN ? INT64_MIN : oldest_ms - engine->lateness_ms;
	bool named = origin->named && origin->source && origin->source[0];
	struct binding_sender sender = { .source = origin->source, .named = named };
	struct binding_admission admitted;

	if ((reason = reject_future(engine, event, origin, source, verdict, &miss)) != EVENT_OK) {
		if (binding_refuses_source(&engine->config, &sender)) /* no clock_ahead for it */
			return reject_unbound(engine, parsed, origin, &admitted, verdict);
		source->future++;
		raise_clock_ahead(engine, source, &miss);
		return reason;
	}
	if ((reason = reject_too_late(engine, event, source, verdict)) != EVENT_OK) {
		if (binding_refuses_source(&engine->config, &sender)) /* nothing raised for it */
			return reject_unbound(engine, parsed, origin, &admitted, verdict);
		source->too_late++;
		raise_too_late(engine, source, event->ts_ms);
		return reason;
	}
	/* reorder_full before the binding records anything (a refused line leaves no trace), but
	 * a source refused as a whole keeps its own reason (reject_unbound records nothing then) */
	if (((reason = reject_reorder_full(engine, event, verdict)) != EVENT_OK &&
	     !binding_refuses_source(&engine->config, &sender)) ||
	    (reason = reject_unbound(engine, parsed, origin, &admitted, verdict)) != EVENT_OK)
		return reason;
	hear(engine, origin, source);
	/* event_fingerprint_of_sender, without its call for an event without an event_id (the
	 * fingerprint as it is) */
	uint64_t fingerprint = event->event_id[0] ? event_fingerprint_of_sender(
							    parsed->fingerprint, event,
							    engine_sender(source->name, named))
						  : parsed->fingerprint;
	bool duplicate = dedupe_seen(engine->dedupe, fingerprint, event->ts_ms, horizon_ms);

	/* the arrival it takes below (a late event, judged at once, takes none: the next's) */
	binding_bind(engine->binding, &engine->config, &admitted, duplicate, engine->arrivals + 1);
	if (duplicate) {
		engine->stats.duplicates++;
		source->duplicates++;
		verdict->duplicate = true;
		return EVENT_OK;
	}
	if (event->ts_ms > source->newest_ms) {
		source->newest_ms = event->ts_ms;
		clocks_newest_moved(engine->clocks, source);
	}
	if (event->ts_ms > engine->watermark_ms)
		engine->watermark_ms = event->ts_ms;
	source->events++;
	check_clock_behind(engine, source);
	settle_source_notices(engine, source);
	if (engine->center_ms != INT64_MIN &&
	    event->ts_ms < engine->center_ms - engine->lateness_ms) {
		verdict->late = true;
		source->late++;
		engine->stats.late_events++;
		track_event(engine, event, call_hash, engine->arrivals + 1, true,
			    engine_sender(source->name, named));
	} else if (release_at_once(engine, event, call_hash, source, named)) {
		return EVENT_OK; /* nothing else is held */
	} else {
		buffer_event(engine, event, call_hash, source, named);
	}
	release_ready(engine, false);
	return EVENT_OK;
}

void engine_set_call_observer(struct engine *engine, engine_call_fn on_call, void *ctx)
{
	engine->on_call = on_call;
	engine->call_ctx = ctx;
}

/* A named source's numbering: resends are dropped (counted), a jump too far rejected, a
 * restarted sender's numbering taken afresh. Lines with a seq move the numbering even when
 * rejected later, so acknowledgements move past them. */
static bool numbering_drops(struct engine *engine, const struct engine_origin *origin,
			    struct clocks_source *source, int64_t line_ts_ms,
			    struct engine_verdict *verdict)
{
	/* a recording's line newer than every line of its source accepted restarts the numbering,
	 * unless it repeats the numbered line refused last (a resend of a line refused as future
	 * is newer than every accepted line too): a resend, dropped as the live connection drops
	 * it */
	bool resends_refused = source->refused_numbered && verdict->seq == source->refused_seq &&
			       line_ts_ms == source->refused_ts_ms;
	struct sources_session session = {.epoch = origin->epoch,
					  .first_of_connection = origin->first_of_connection,
					  .max_jump = engine->config.feed.max_seq_jump,
					  .newer_than_all = origin->recording && !resends_refused &&
							    line_ts_ms > source->newest_ms};
	uint64_t old_seq = 0;

	if (!origin->named || !origin->source || !origin->source[0] || !verdict->has_seq)
		return false;
	sources_last_seq(engine->sources, origin->source, &old_seq);
	switch (sources_check(engine->sources, origin->source, verdict->seq, &session,
			      engine->watermark_ms)) {
	case SOURCES_RESEND:
		hear(engine, origin, source);
		verdict->reject = EVENT_OK;
		verdict->why[0] = '\0';
		verdict->duplicate = true;
		engine->stats.duplicates++;
		source->duplicates++;
		return true;
	case SOURCES_JUMP:
		verdict->reject = EVENT_REJECT_BAD_SEQ;
		snprintf(verdict->why, sizeof(verdict->why),
			 "\"seq\" %llu is more than %llu above the source's highest "
			 "(feed.max_seq_jump)",
			 (unsigned long long)verdict->seq,
			 (unsigned long long)engine->config.feed.max_seq_jump);
		source->bad_seq++;
		raise_seq_rejected(engine, source, old_seq, verdict->seq, line_ts_ms);
		return false;
	case SOURCES_RESTARTED:
		verdict->restarted = true;
		engine->stats.restarts++;
		source->restarts++;
		raise_restarted(engine, source, origin, old_seq, verdict->seq, line_ts_ms);
		settle_seq_rejected(engine, source, verdict->seq);
		return false;
	case SOURCES_NEW:
		settle_seq_rejected(engine, source, verdict->seq);
		break;
	}
	return false;
}

/* A line of source refused: the run of its refused lines starts (refused_since_ms), or, when
 * every line of it since the run's first was refused for feed.silence_seconds of host time
 * (heartbeats and hellos do not take a line: they do not end the run), feed_rejecting opens,
 * once, until a line of it is taken. A source never heard (no hello, no line taken) is not
 * told: invented names. */
static void note_refused(struct engine *engine, const struct engine_origin *origin,
			 struct clocks_source *source, enum event_reject reason)
{
	int64_t quiet_ms = (int64_t)engine->config.feed.silence_seconds * 1000;
	char subject[CLOCKS_NAME_MAX + 16];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	struct sysalert_notice notice;

	if (source->rejecting || quiet_ms <= 0 || source->heard_ms == INT64_MIN ||
	    reason == EVENT_REJECT_FUTURE || reason == EVENT_REJECT_BAD_SEQ || /* their own */
	    origin->received_ms == ENGINE_NO_TIME)
		return;
	if (source->refused_since_ms == INT64_MIN)
		source->refused_since_ms = origin->received_ms;
	if (origin->received_ms - source->refused_since_ms < quiet_ms)
		return;
	source_subject(source, subject, sizeof(subject));
	snprintf(message, sizeof(message),
		 "%s's lines have all been refused for %" PRId64
		 " s (the last refused: %s); its events are not being watched",
		 subject, (origin->received_ms - source->refused_since_ms) / 1000,
		 event_reject_name(reason));
	source_notice(engine, source, "feed_rejecting", message, &notice);
	notice.ts_ms = origin->received_ms;
	source->rejecting = sysalerts_raise(engine->sysalerts, &notice);
}

/* A line of source taken: its feed_rejecting resolves. */
static void settle_rejecting(struct engine *engine, struct clocks_source *source)
{
	char subject[CLOCKS_NAME_MAX + 16];
	char message[2 * SYSALERT_MESSAGE_MAX];
	struct sysalert_notice notice;

	source_subject(source, subject, sizeof(subject));
	snprintf(message, sizeof(message), "%s's lines are taken again", subject);
	source_notice(engine, source, "feed_rejecting", message, &notice);
	notice.ts_ms = source->heard_ms;
	sysalerts_resolve(engine->sysalerts, &notice);
	source->rejecting = false;
}

/* The host clock moves forward only; a line without one is heard "now". */
static void take_time(struct engine *engine, int64_t received_ms, struct clocks_source *source)
{
	if (received_ms != ENGINE_NO_TIME && received_ms > engine->now_ms)
		engine->now_ms = received_ms;
	if (source)
		clocks_heard(source, received_ms != ENGINE_NO_TIME ? received_ms : engine->now_ms);
}

void engine_parse(struct event_parser *parser, const char *line, size_t len,
		  struct engine_parsed *out)
{
	out->empty = len == 0;
	out->blank = is_blank(line, len);
	out->call_hash = out->operator_hash = out->fingerprint = 0;
	if (out->blank) {
		out->reject = EVENT_OK;
		out->why[0] = '\0';
		return;
	}
	out->reject = event_parser_parse(parser, line, len, &out->event, out->why,
					 sizeof(out->why));
	if (out->reject != EVENT_OK)
		return;
	/* Hashed here, once, for the binding's (the call's and the operator's), the duplicate
	 * filter's and the tracker's look-ups: pure functions of the event, so a parsing thread
	 * takes them off the apply, and a replay fetches their slots ahead (engine_prefetch). */
	out->call_hash = call_hash_of(&out->event);
	out->fingerprint = event_fingerprint_hashed(&out->event, out->call_hash);
	if (out->event.type == EVENT_CALL_START) { /* the binding's operator hash is the same */
		struct event *event = &out->event;
		event->agency_hash = hash_string(event->agency);
		event->operator_hash =
			hash_string_pair_after(event->agency_hash, event->operator_id);
		event->ani_hash = hash_string(event->ani);
		event->start_hashed = true;
		out->operator_hash = event->operator_hash;
	} else {
		out->operator_hash = binding_operator_hash(&out->event);
	}
}

void engine_prefetch(const struct engine *engine, const struct engine_parsed *parsed)
{
	if (parsed->blank || parsed->reject != EVENT_OK)
		return;
	binding_prefetch(engine->binding, &parsed->event, parsed->call_hash,
			 parsed->operator_hash);
	dedupe_prefetch(engine->dedupe, parsed->fingerprint);
	if (parsed->event.type != EVENT_OPERATOR_STATE &&
	    parsed->event.type != EVENT_CALL_OFFERED)
		tracker_prefetch(engine->tracker, parsed->call_hash);
}

void engine_prefetch_call(const struct engine *engine, const struct engine_parsed *parsed)
{
	const char *agency, *operator_id, *ani;
	uint64_t operator_hash, ani_hash;

	if (!parsed->blank && parsed->reject == EVENT_OK &&
	    parsed->event.type == EVENT_CALL_END &&
	    tracker_peek_start(engine->tracker, parsed->event.call_id, parsed->call_hash, &agency,
			       &operator_id, &ani, &operator_hash, &ani_hash))
		detector_prefetch_call(engine->detector, operator_hash, ani_hash);
}

/* Every notice of source that only its own lines can end (clock_ahead, clock_behind,
 * events_too_late, sender_restarted, seq_rejected, feed_rejecting) resolved with the message
 * "<source>why": its connection closed, or its clock was forgotten (audit F5). */
static void end_source_notices(struct engine *engine, struct clocks_source *source,
			       const char *why)
{
	if (source->future_ms != INT64_MIN)
		resolve_source_notice(engine, source, "clock_ahead", why, &source->future_ms);
	if (source->behind_ms != INT64_MIN)
		resolve_source_notice(engine, source, "clock_behind", why, &source->behind_ms);
	if (source->too_late_ms != INT64_MIN)
		resolve_source_notice(engine, source, "events_too_late", why, &source->too_late_ms);
	if (source->restarted_ms != INT64_MIN)
		resolve_source_notice(engine, source, "sender_restarted", why,
				      &source->restarted_ms);
	if (source->seq_rejected)
		resolve_source_notice(engine, source, "seq_rejected", why, NULL);
	if (source->rejecting)
		resolve_source_notice(engine, source, "feed_rejecting", why, NULL);
	source->seq_rejected = source->rejecting = false;
}

/* What a notice of a source whose clock was forgotten says (after the source's name). */
static void forgotten_why(const struct engine *engine, char *why, size_t size)
{
	snprintf(why, size,
		 " forgotten (feed.max_sources %" PRIu32 " reached): its clock is gone, and this "
		 "notice with it",
		 engine->config.feed.max_sources);
}

/* The source_departs alerts of a named source forgotten (one per agency) resolved with the
 * message "feed source <name>why...", its calls back in each agency's shared baseline:
 * nothing else would end them once cadmon no longer tracks it. How many. */
static uint32_t end_departures(struct engine *engine, const char *name, const char *why)
{
	char agency[EVENT_ID_MAX + 1];
	char message[2 * SYSALERT_MESSAGE_MAX]; /* the table keeps what fits */
	const char *open;
	uint32_t resolved = 0;

	while (name[0] &&
	       (open = sysalerts_find_of_source(engine->sysalerts, "source_departs", name))) {
		text_copy(agency, open, sizeof(agency)); /* the resolve frees it */
		detector_source_back_in(engine->detector, agency, name);
		snprintf(message, sizeof(message),
			 "feed source %s%s; its calls of agency %s are back in the others' "
			 "baseline",
			 name, why, agency);
		struct sysalert_notice notice = { .system = "source_departs",
						  .key = agency,
						  .source = name,
						  .severity = "warning",
						  .message = message,
						  .ts_ms = reference_ms(engine) };
		if (!sysalerts_resolve(engine->sysalerts, &notice))
			break;
		resolved++;
	}
	return resolved;
}

/* clocks_get forgets source to make room (feed.max_sources): its notices end with it. */
static void clock_forgotten(struct clocks_source *source, void *ctx)
{
	struct engine *engine = ctx;
	char why[128];

	forgotten_why(engine, why, sizeof(why));
	end_source_notices(engine, source, why);
	/* the daemon's silence watch and the detector raised these, not its lines */
	resolve_source_notice(engine, source, "feed_silent", why, NULL);
	end_departures(engine, source->name, why);
}

/* Does the configuration (ctx) list the source (sources[])? */
static bool source_listed(const char *name, void *ctx)
{
	return config_lists_source(ctx, name);
}

static bool clock_known(const char *key, void *ctx)
{
	const struct engine *engine = ctx;

	return clocks_find(engine->clocks, key) != NULL;
}

/* After a reload or a restore (settle_pending): the notices of sources without a clock (a
 * reload's smaller feed.max_sources forgot it; source_departs too, also of a source that
 * departed after its clock was forgotten) resolved, and the full room's alert settled (a
 * reload's larger one grew the room). */
static void settle_after_change(struct engine *engine)
{
	static const char *const systems[] = {"clock_ahead",    "clock_behind",
					      "events_too_late", "sender_restarted",
					      "seq_rejected",   "feed_rejecting", NULL};
	const char *key, *system;
	char why[128];

	engine->settle_pending = false;
	forgotten_why(engine, why, sizeof(why));
	while ((key = sysalerts_find_unknown(engine->sysalerts, systems, clock_known, engine,
					     &system))) {
		struct clocks_source gone = {.name = ""};
		text_copy(gone.name, key, sizeof(gone.name));
		if (!resolve_source_notice(engine, &gone, system, why, NULL))
			break; /* a key longer than a clock's name: never one of them */
	}
	while ((key = sysalerts_find_unknown_source(engine->sysalerts, "source_departs",
						    clock_known, engine))) {
		char name[CLOCKS_NAME_MAX + 1];
		text_copy(name, key, sizeof(name)); /* the resolve frees it */
		if (!end_departures(engine, name, why))
			break; /* a source longer than a clock's name: never one of them */
	}
	sysalerts_settle_full(engine->sysalerts, reference_ms(engine));
}

/* The connection of source, which had no hello, closed: it holds the center no more, and its
 * clock goes unless events of it still wait for other sources (their release order needs its
 * name: the clock, stale, is then the first forgotten when the table is full); its notices
 * are resolved either way, nothing can cause them again (audit F11). */
static void close_source(struct engine *engine, const char *name)
{
	const struct clocks_source *found = clocks_find(engine->clocks, name);
	struct clocks_source *source;

	if (!found)
		return;
	source = clocks_get(engine->clocks, name);
	end_source_notices(engine, source, "'s connection closed: no more of its events can come");
	/* It can send no more: it holds the center no more, and what it held back may go. */
	source->heard_ms = INT64_MIN;
	source->since_ms = INT64_MIN;
	release_ready(engine, false);
	if (reorder_count_source(engine->reorder, name) == 0)
		clocks_drop(engine->clocks, name);
}

/* An empty line of a source with a host time: a hello or a heartbeat (the source is heard,
 * unless the binding refuses it, so that a name it refuses cannot hold the center: audit F1),
 * or the close of a connection without a hello. */
static void take_empty_line(struct engine *engine, const struct engine_origin *origin)
{
	struct binding_sender sender = { .source = origin->source, .named = origin->named };

	take_time(engine, origin->received_ms, NULL);
	if (origin->closed && !origin->named)
		close_source(engine, origin->source);
	else if (!binding_refuses_source(&engine->config, &sender))
		take_time(engine, origin->received_ms, clocks_get(engine->clocks, origin->source));
}

/* A line of a sender the binding refuses (unlisted_sources: reject) is refused before it
 * takes a clock, a numbering or a system alert: invented names cannot fill those tables or
 * the alerts' room (audit F5, review D4). */
static bool refused_at_once(struct engine *engine, const struct engine_origin *origin,
			    const struct engine_parsed *parsed, struct engine_verdict *verdict)
{
	struct binding_sender sender = { .source = origin->source,
					 .named = origin->named && origin->source &&
						  origin->source[0] };

	/* binding_refuses_source, its call only when unlisted sources are refused */
	if (engine->config.unlisted_sources != CONFIG_UNLISTED_REJECT ||
	    !binding_refuses_source(&engine->config, &sender))
		return false;
	struct binding_admission admitted; /* refused: nothing to bind */

	if (verdict->reject == EVENT_OK)
		verdict->reject = reject_unbound(engine, parsed, origin, &admitted, verdict);
	count_reject(engine, verdict->reject);
	return true;
}

void engine_apply(struct engine *engine, const struct engine_origin *origin,
		  const struct engine_parsed *parsed, struct engine_verdict *verdict)
{
	struct clocks_source *source;

	memset(verdict, 0, offsetof(struct engine_verdict, why) + 1); /* why: "" */
	if (engine->settle_pending) { /* dated by this line's host time */
		take_time(engine, origin->received_ms, NULL);
		settle_after_change(engine);
	}
	if (parsed->empty && origin->source && origin->source[0] &&
	    origin->received_ms != ENGINE_NO_TIME)
		take_empty_line(engine, origin);
	if (parsed->blank)
		return;
	engine->stats.lines++;
	verdict->counted_line = true;
	take_time(engine, origin->received_ms, NULL);
	verdict->reject = parsed->reject;
	if (parsed->reject != EVENT_OK)
		text_copy(verdict->why, parsed->why, sizeof(verdict->why));
	verdict->has_seq = parsed->event.has_seq;
	verdict->seq = parsed->event.seq;
	if (refused_at_once(engine, origin, parsed, verdict))
		return;
	source = clocks_get(engine->clocks, origin->source ? origin->source : "");
	source->lines++;
	if (numbering_drops(engine, origin, source, parsed->event.ts_ms, verdict))
		return;
	if (verdict->reject == EVENT_OK)
		verdict->reject = admit_event(engine, parsed, origin, source, verdict);
	if (verdict->reject != EVENT_OK) {
		if (origin->recording && origin->named && verdict->has_seq &&
		    verdict->reject != EVENT_REJECT_BAD_SEQ) { /* taken by the numbering */
			source->refused_numbered = true;
			source->refused_seq = verdict->seq;
			source->refused_ts_ms = parsed->event.ts_ms;
		}
		count_reject(engine, verdict->reject);
		note_refused(engine, origin, source, verdict->reject);
		return;
	}
	engine->stats.events++;
	verdict->counted_event = true;
	engine_check_limits(engine);
}

void engine_process_from(struct engine *engine, const struct engine_origin *origin,
			 const char *line, size_t len, struct engine_verdict *verdict)
{
	engine_parse(engine->parser, line, len, &engine->parsed);
	engine_apply(engine, origin, &engine->parsed, verdict);
}

void engine_process(struct engine *engine, const char *source, const char *line, size_t len,
		    struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = source, .named = source && source[0],
				       .received_ms = ENGINE_NO_TIME};

	engine_process_from(engine, &origin, line, len, verdict);
}

void engine_tick(struct engine *engine, int64_t received_ms)
{
	take_time(engine, received_ms, NULL);
	if (engine->settle_pending)
		settle_after_change(engine);
	release_ready(engine, false);
}

void engine_flush(struct engine *engine)
{
	release_ready(engine, true);
}

void engine_flush_updates(struct engine *engine)
{
	detector_flush_updates(engine->detector);
}

void engine_set_future_guard(struct engine *engine, bool enabled)
{
	engine->future_guard = enabled;
}

void engine_set_future_ceiling(struct engine *engine, int64_t ceiling_ms)
{
	engine->future_ceiling_ms = ceiling_ms;
}

size_t engine_source_count(const struct engine *engine)
{
	return clocks_count(engine->clocks);
}

void engine_source_at(const struct engine *engine, size_t i, struct engine_source_info *out)
{
	const struct clocks_source *source = clocks_at(engine->clocks, i);
	struct clocks_bounds now = bounds(engine);

	out->clock = *source;
	out->lag_ms = clocks_lag_ms(engine->clocks, source);
	out->held = clocks_held(engine->clocks, source, &now);
}

int64_t engine_center_ms(const struct engine *engine)
{
	return engine->center_ms;
}

enum event_reject engine_process_line(struct engine *engine, const char *line, size_t len,
				      char *why, size_t why_size)
{
	struct engine_verdict verdict;

	engine_process(engine, NULL, line, len, &verdict);
	if (why_size > 0) {
		if (verdict.reject != EVENT_OK)
			text_copy(why, verdict.why, why_size);
		else
			why[0] = '\0';
	}
	return verdict.reject;
}

void engine_count_reject(struct engine *engine, enum event_reject reason)
{
	if ((unsigned)reason >= EVENT_REJECT_COUNT || reason == EVENT_OK)
		return;
	engine->stats.lines++;
	count_reject(engine, reason);
}

const struct engine_stats *engine_stats(struct engine *engine)
{
	engine->stats.open_calls = tracker_open_calls(engine->tracker);
	engine->stats.tracker = *tracker_stats(engine->tracker);
	engine->stats.detector = *detector_stats(engine->detector);
	engine->stats.dedupe_evicted = dedupe_evicted(engine->dedupe);
	engine->stats.sources_evicted = sources_evicted(engine->sources);
	engine->stats.system_alerts_dropped = sysalerts_dropped(engine->sysalerts);
	engine->stats.clocks_evicted = clocks_evicted(engine->clocks);
	engine->stats.buffered = reorder_count(engine->reorder);
	engine->stats.binding = *binding_stats(engine->binding);
	return &engine->stats;
}

void engine_continue_seq(struct engine *engine, uint64_t delivered_through)
{
	detector_continue_seq(engine->detector, delivered_through);
}

int64_t engine_watermark_ms(const struct engine *engine)
{
	return engine->watermark_ms;
}

/* Does the detector hold the call-taker (at a reload: the binding keeps its owner)? */
static bool operator_held(const char *agency, const char *operator_id, void *ctx)
{
	return detector_holds_operator(((const struct engine *)ctx)->detector, agency,
				       operator_id);
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The buffer's call hashes, sorted, the first time the binding asks in a pass (it asks only
 * when its table is full or shrinks: a reload that keeps every bound call lists nothing).
 * Without the memory for them every call counts as waiting: its owner is kept. */
static void list_waiting(struct calls_held *held)
{
	const struct reorder *reorder = held->engine->reorder;

	held->waiting_listed = true;
	held->waiting_count = reorder_count(reorder);
	if (held->waiting_count == 0)
		return;
	held->waiting = malloc(held->waiting_count * sizeof(*held->waiting));
	if (!held->waiting) {
		held->waiting_unknown = true;
		return;
	}
	/* the events the binding counts to an owner: a call_offered waiting holds no call */
	held->waiting_count = reorder_call_hashes(reorder, held->waiting);
	for (uint32_t i = 0; i < held->waiting_count; i++) /* as the owners' table stores them */
		held->waiting[i] = table_key_hash(held->waiting[i]);
	qsort(held->waiting, held->waiting_count, sizeof(*held->waiting), compare_u64);
}

/* A hash that only collides keeps an owner the binding could have forgotten: the safe side. */
static bool call_held(const char *call_id, uint64_t call_hash, void *ctx)
{
	struct calls_held *held = ctx;

	if (tracker_holds_call(held->engine->tracker, call_id, call_hash))
		return true;
	if (!held->waiting_listed)
		list_waiting(held);
	return held->waiting_unknown ||
	       (held->waiting_count > 0 &&
		bsearch(&call_hash, held->waiting, held->waiting_count, sizeof(call_hash),
			compare_u64) != NULL);
}

/* The binding's questions are over: the list of waiting calls goes (the buffer changes). */
static void calls_held_done(void *ctx)
{
	struct calls_held *held = ctx;

	free(held->waiting);
	*held = (struct calls_held){.engine = held->engine};
}

/* A smaller room keeps the sources the new configuration lists before the others. */
static int resize_sources(struct engine *engine, const struct config *config)
{
	int rc = sources_resize(engine->sources, config->feed.max_sources, source_listed,
				(void *)config);

	if (rc == 0)
		rc = clocks_resize(engine->clocks, config->feed.max_sources, source_listed,
				   (void *)config);
	return rc;
}

int engine_reconfigure(struct engine *engine, const struct config *config)
{
	int rc;

	if ((rc = dedupe_resize(engine->dedupe, config->tracker.max_dedupe_events)) < 0 ||
	    (rc = resize_sources(engine, config)) < 0 ||
	    (rc = reorder_resize(engine->reorder, config->tracker.max_reorder_events)) < 0 ||
	    (rc = tracker_reconfigure(engine->tracker, config->tracker.max_open_calls,
				      config->tracker.max_call_seconds)) < 0 ||
	    (rc = detector_reconfigure(engine->detector, config)) < 0 ||
	    (rc = sysalerts_reserve(engine->sysalerts, system_alert_capacity(config))) < 0 ||
	    (rc = binding_reconfigure(engine->binding, config, operator_held, engine)) < 0)
		return rc;
	engine->config = *config;
	engine->lateness_ms = (int64_t)config->tracker.allowed_lateness_seconds * 1000;
	engine->limits_quiet_until_ms = INT64_MIN; /* their quiet time may have changed */
	engine->settle_pending = true; /* forgotten clocks' notices, a grown room: next line */
	set_refill_time(engine); /* the longest window may have changed */
	return 0;
}

/* ---- system alerts: limits, control lines, the board ------------------------------------ */

/* A bounded table that evicts: its counters and the configuration key that sizes it. */
struct engine_limit {
	const char *key;
	/* offsets in struct engine_stats of the counters added up; SIZE_MAX after the last */
	size_t counters[LIMIT_COUNTERS_MAX + 1];
	size_t setting;      /* offset of the limit in struct config */
	const char *evicted; /* what was evicted, in plain words */
	const char *advice;  /* what to do when it is hit; NULL: "raise KEY" */
};

#define STAT(field) offsetof(struct engine_stats, field)
/* LIMIT_ADVISED(key, config field, what was evicted, advice, STAT(counter)...) */
#define LIMIT_ADVISED(name, config_field, what, advice, ...)                                       \
	{                                                                                          \
		name, { __VA_ARGS__, SIZE_MAX }, offsetof(struct config, config_field), what,      \
			advice                                                                     \
	}
/* LIMIT(key, config field, what was evicted, STAT(counter)...): its advice "raise KEY" */
#define LIMIT(name, config_field, what, ...)                                                       \
	LIMIT_ADVISED(name, config_field, what, NULL, __VA_ARGS__)
/* An open call expires after tracker.max_call_seconds without an event: its end was lost far
 * more often than a call lasted that long, so raising the limit is not the first thing to do. */
#define EXPIRED_CALLS_ADVICE                                                                       \
	"their call_end was probably lost: check the CAD feeds; raise tracker.max_call_seconds "   \
	"only if calls really last that long"

static const struct engine_limit engine_limits[ENGINE_LIMIT_COUNT] = {
	LIMIT("tracker.max_operators", tracker.max_operators,
	      "call-takers or agencies' baselines forgotten", STAT(detector.operators_evicted),
	      STAT(detector.operators_refused), STAT(binding.operators_evicted),
	      STAT(detector.baselines_evicted)),
	LIMIT("tracker.max_open_calls", tracker.max_open_calls, "open calls dropped",
	      STAT(tracker.evicted), STAT(binding.calls_evicted)),
	LIMIT("tracker.max_window_calls", tracker.max_window_calls,
	      "calls pushed out of call-takers' windows early", STAT(detector.window_evictions)),
	LIMIT("tracker.max_center_calls", tracker.max_center_calls,
	      "calls pushed out of the center's window early", STAT(detector.center_evictions)),
	LIMIT("tracker.max_recent_callers", tracker.max_recent_callers,
	      "hangups forgotten before a redial could mark them", STAT(detector.callers_evicted)),
	LIMIT("tracker.max_dedupe_events", tracker.max_dedupe_events,
	      "events forgotten early by the duplicate check", STAT(dedupe_evicted)),
	LIMIT("feed.max_sources", feed.max_sources, "feed sources' numbering or clocks forgotten",
	      STAT(sources_evicted), STAT(clocks_evicted), STAT(binding.senders_evicted)),
	LIMIT("detector.max_alert_callbacks", detector.max_alert_callbacks,
	      "callbacks dropped from open alerts", STAT(detector.alert_callbacks_evicted)),
	LIMIT("tracker.max_reorder_events", tracker.max_reorder_events,
	      "events released before the center clock reached them or refused",
	      STAT(reorder_overflows), STAT(rejects[EVENT_REJECT_REORDER_FULL])),
	LIMIT_ADVISED("tracker.max_call_seconds", tracker.max_call_seconds,
		      "open calls expired without their end", EXPIRED_CALLS_ADVICE,
		      STAT(tracker.expired_started)),
};

const char *engine_limit_key(size_t limit)
{
	return limit < ENGINE_LIMIT_COUNT ? engine_limits[limit].key : "";
}

void engine_limit_advice(size_t limit, char *out, size_t size)
{
	if (limit >= ENGINE_LIMIT_COUNT)
		snprintf(out, size, "%s", "");
	else if (engine_limits[limit].advice)
		snprintf(out, size, "%s", engine_limits[limit].advice);
	else
		snprintf(out, size, "raise %s", engine_limits[limit].key);
}

/* The evictions of limit (< ENGINE_LIMIT_COUNT) in stats. */
static uint64_t limit_evicted(const struct engine_stats *stats, size_t limit)
{
	const size_t *counters = engine_limits[limit].counters;
	uint64_t total = 0;

	for (size_t i = 0; counters[i] != SIZE_MAX; i++) {
		uint64_t count;
		memcpy(&count, (const char *)stats + counters[i], sizeof(count));
		total += count;
	}
	return total;
}

uint64_t engine_limit_evicted(const struct engine_stats *stats, size_t limit)
{
	return limit < ENGINE_LIMIT_COUNT ? limit_evicted(stats, limit) : 0;
}

/* The limit alert's word on whose entries go first ("; most held by ...", or ""): the sender
 * holding the most open calls, or owning the most call-takers while two or more own some. */
static void describe_top_holder(const struct engine *engine, const struct engine_limit *limit,
				char *clause, size_t clause_size)
{
	char holder[EVENT_ID_MAX + 48];
	const char *top;
	uint32_t count;

	clause[0] = '\0';
	if (limit->setting == offsetof(struct config, tracker.max_open_calls) &&
	    binding_top_caller(engine->binding, &top, &count)) {
		binding_describe_sender(top, holder, sizeof(holder));
		snprintf(clause, clause_size,
			 "; most held by %s (%" PRIu32 " open calls, "
			 "tracker.max_open_calls_per_source)%s",
			 holder, count,
			 binding_evict_victim(engine->binding) ? ", whose oldest go first" : "");
	} else if (limit->setting == offsetof(struct config, tracker.max_operators) &&
		   binding_operator_evict_victim(engine->binding) &&
		   binding_top_operator_owner(engine->binding, &top, &count)) {
		binding_describe_sender(top, holder, sizeof(holder));
		snprintf(clause, clause_size,
			 "; most owned by %s (%" PRIu32
			 " call-takers), whose least evidence go first",
			 holder, count);
	}
}

static void limit_notice(const struct engine *engine, size_t i, uint64_t evicted, bool firing,
			 struct sysalert_notice *notice, char *message, size_t message_size)
{
	const struct engine_limit *limit = &engine_limits[i];
	uint32_t setting;
	char clause[EVENT_ID_MAX + 160];
	char advice[ENGINE_LIMIT_ADVICE_MAX];

	memcpy(&setting, (const char *)&engine->config + limit->setting, sizeof(setting));
	if (firing) {
		describe_top_holder(engine, limit, clause, sizeof(clause));
		engine_limit_advice(i, advice, sizeof(advice));
		snprintf(message, message_size,
			 "%s (%s %" PRIu32 " reached): %" PRIu64 " so far%s; %s", limit->evicted,
			 limit->key, setting, evicted, clause, advice);
	} else {
		snprintf(message, message_size, "no more %s for %" PRIu32 " s; %" PRIu64 " in all",
			 limit->evicted, config_limit_quiet_seconds(&engine->config), evicted);
	}
	*notice = (struct sysalert_notice){ .system = "limit",
					    .key = limit->key,
					    .severity = "warning",
					    .message = message,
					    .evicted = evicted,
					    .ts_ms = engine->watermark_ms };
}

/* A counter (offset in struct engine_stats) into the flat list: where it is kept, and where
 * there. */
static void list_limit_counter(struct engine *engine, size_t offset)
{
	const char *homes[HOME_COUNT] = {
		[HOME_ENGINE] = (const char *)&engine->stats,
		[HOME_TRACKER] = (const char *)tracker_stats(engine->tracker),
		[HOME_DETECTOR] = (const char *)detector_stats(engine->detector),
		[HOME_BINDING] = (const char *)binding_stats(engine->binding),
	};
	size_t home = HOME_COUNT;
	/* the evictions three modules count themselves: read where they are kept, not copied */
	const uint64_t *kept = offset == STAT(dedupe_evicted) && engine->dedupe
				       ? dedupe_evicted_counter(engine->dedupe)
			       : offset == STAT(sources_evicted) && engine->sources
				       ? sources_evicted_counter(engine->sources)
			       : offset == STAT(clocks_evicted) && engine->clocks
				       ? clocks_evicted_counter(engine->clocks)
				       : NULL;

	if (kept) {
		engine->limit_counters[engine->limit_counter_count++] = (const char *)kept;
		return;
	}
	while (--home > HOME_ENGINE &&
	       !(offset >= counter_homes[home].at &&
		 offset < counter_homes[home].at + counter_homes[home].size))
		;
	engine->limit_counters[engine->limit_counter_count++] =
		homes[home] + (offset - counter_homes[home].at);
}

/* Every limit's counters in one flat list: limits_unchanged, on every
 * event, ORs them without the table's branches. */
static void list_limit_counters(struct engine *engine)
{
	engine->limit_counter_count = 0;
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		for (const size_t *counter = engine_limits[i].counters; *counter != SIZE_MAX;
		     counter++)
			list_limit_counter(engine, *counter);
}

/* Has any counter a limit reads moved since the last look at every limit? Read where the
 * counters are kept: no copy of the modules' stats (engine_stats'). Debug builds only: the
 * change count (limit_moves) answers on every event. */
static bool limit_counters_moved(struct engine *engine)
{
	uint64_t moved = 0;

	for (size_t i = 0; i < engine->limit_counter_count; i++) {
		uint64_t count;
		memcpy(&count, engine->limit_counters[i], sizeof(count));
		moved |= count ^ engine->limit_counters_seen[i];
	}
	return moved != 0;
}

/* True when no limit has anything to do: no counter has moved since the last look at every
 * limit (which left each limit's count at least its evictions: nothing to raise), and the
 * watermark has not reached the time the first open limit alert may resolve. What the loop of
 * engine_check_limits would find, from the limits' change count (moves.h: one compare, not
 * the 17 counters), with no look-up of the open alerts on every event, also once some limit
 * has evicted. */
static bool limits_unchanged(struct engine *engine)
{
	bool moved = engine->limit_moves != engine->limit_moves_seen;

	/* The detector's stats brought up to date after every event, as they were when the
	 * counters were read here: its snapshot saves them as they are (its callers' count, its
	 * operators and open alerts). */
	detector_stats(engine->detector);

	/* the count moves exactly when some counter does (but a load or a reload, after which
	 * every limit is looked at anyway: limits_quiet_until_ms INT64_MIN) */
	if (ENGINE_CHECK_LIMITS && engine->limits_quiet_until_ms != INT64_MIN)
		(void)INVARIANT_FAILS(moved == limit_counters_moved(engine));
	return !moved && engine->watermark_ms < engine->limits_quiet_until_ms;
}

/* The counters as the look at every limit left them (limits_unchanged). */
static void note_limit_counters(struct engine *engine)
{
	for (size_t i = 0; i < engine->limit_counter_count; i++)
		memcpy(&engine->limit_counters_seen[i], engine->limit_counters[i],
		       sizeof(engine->limit_counters_seen[i]));
	engine->limit_moves_seen = engine->limit_moves;
}

/* When the first open limit alert may resolve (limits_unchanged): an alert is opened or
 * resolved only by engine_check_limits, but for a control line (engine_control forgets this,
 * as engine_reconfigure does). */
static int64_t limits_quiet_until(const struct engine *engine, int64_t quiet_ms)
{
	int64_t until = INT64_MAX;

	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		if (engine->limit_counts[i] > 0 && engine->limit_growth_ms[i] + quiet_ms < until &&
		    sysalerts_is_open(engine->sysalerts, "limit", engine_limits[i].key))
			until = engine->limit_growth_ms[i] + quiet_ms;
	return until;
}

/* engine_check_limits when some limit may have something to do: out of line, its frame (a
 * notice's message) not set up for the events that leave every limit as it was. */
__attribute__((noinline)) static void check_moved_limits(struct engine *engine)
{
	int64_t quiet_ms = (int64_t)config_limit_quiet_seconds(&engine->config) * 1000;
	struct sysalert_notice notice;
	char message[SYSALERT_MESSAGE_MAX];
	const struct engine_stats *stats = engine_stats(engine);
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		uint64_t evicted = limit_evicted(stats, i);
		if (evicted > engine->limit_counts[i]) {
			engine->limit_counts[i] = evicted;
			engine->limit_growth_ms[i] = engine->watermark_ms;
			limit_notice(engine, i, evicted, true, &notice, message, sizeof(message));
			sysalerts_raise(engine->sysalerts, &notice);
		} else if (engine->limit_counts[i] > 0 &&
			   engine->watermark_ms - engine->limit_growth_ms[i] >= quiet_ms &&
			   sysalerts_is_open(engine->sysalerts, "limit", engine_limits[i].key)) {
			limit_notice(engine, i, evicted, false, &notice, message, sizeof(message));
			sysalerts_resolve(engine->sysalerts, &notice);
		}
	}
	note_limit_counters(engine);
	engine->limits_quiet_until_ms = limits_quiet_until(engine, quiet_ms);
	settle_rate_limits(engine);
}

/* Every bounded table: a limit alert when it starts evicting, resolved once it has stopped
 * for config_limit_quiet_seconds of event time. Runs after every event: when no limit has anything
 * to do (limits_unchanged), only the rate limits' episodes are looked at. */
static void engine_check_limits(struct engine *engine)
{
	if (!limits_unchanged(engine))
		check_moved_limits(engine);
	else if (binding_open_episodes(engine->binding) > 0)
		settle_rate_limits(engine); /* the only part left that may have work */
}

static int no_alert(const char *alert_id, char *why, size_t why_size)
{
	snprintf(why, why_size, "no open alert %s", alert_id);
	return -ENOENT;
}

int engine_control_check(const struct engine *engine, const struct control *control, char *why,
			 size_t why_size)
{
	if (control->kind != CONTROL_ACK ||
	    detector_alert_open(engine->detector, control->alert_id) ||
	    sysalerts_alert_open(engine->sysalerts, control->alert_id))
		return 0;
	return no_alert(control->alert_id, why, why_size);
}

static int apply_ack(struct engine *engine, const struct control *control, int64_t ts_ms, char *why,
		     size_t why_size)
{
	const struct alert_ack ack = {.by = control->by, .note = control->note, .ts_ms = ts_ms};
	enum detector_ack_result taken =
		detector_acknowledge(engine->detector, control->alert_id, &ack);

	if (taken == DETECTOR_ACK_NO_MEMORY) {
		snprintf(why, why_size, "out of memory recording the acknowledgement of %s",
			 control->alert_id);
		return -ENOMEM;
	}
	if (taken != DETECTOR_ACK_UNKNOWN ||
	    sysalerts_acknowledge(engine->sysalerts, control->alert_id, &ack) >= 0)
		return 0;
	return no_alert(control->alert_id, why, why_size);
}

/* A receiver that cannot deliver (the daemon's observation): warning, keyed by its name. */
static void apply_receiver_down(struct engine *engine, const struct control *control, int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	struct sysalert_notice notice = {.system = "receiver_down", .key = control->receiver,
					 .severity = "warning", .message = message, .ts_ms = ts_ms};

	if (control->firing) {
		snprintf(message, sizeof(message),
			 "receiver %s cannot deliver notices (%s); they are queued and retried",
			 control->receiver, control->reason);
		sysalerts_raise(engine->sysalerts, &notice);
	} else {
		if (control->reason[0])
			snprintf(message, sizeof(message), "receiver %s no longer watched: %s",
				 control->receiver, control->reason);
		else
			snprintf(message, sizeof(message), "receiver %s delivers again",
				 control->receiver);
		sysalerts_resolve(engine->sysalerts, &notice);
	}
}

/* A limit the daemon watches: its keys' start, what it drops (plural, and one of them), and
 * what the supervisor can do about it besides raising the key. */
struct daemon_limit {
	const char *key_prefix;
	const char *dropped;
	const char *one;
	const char *advice;
};

/* The first whose key_prefix starts the key is the key's; the last (connection slots) starts
 * every key. */
static const struct daemon_limit daemon_limits[] = {
	{ "nats.", "notices dropped for the NATS alerts stream", "notice dropped",
	  "the next start publishes them again" },
	{ "receivers[", "notices dropped for receiver", "notice dropped",
	  "it takes them more slowly than they come" },
	{ "i3.max_calls", "i3 calls forgotten before their end", "i3 call forgotten",
	  "their later events are not mapped" },
	{ "feed.max_line_bytes", "feed lines rejected as too long", "line too long",
	  "check what the sender writes" },
	{ "", "connections refused", "connection refused", "someone holds the slots" },
};

static const struct daemon_limit *daemon_limit_of(const char *key)
{
	const struct daemon_limit *limit = daemon_limits;

	while (strncmp(key, limit->key_prefix, strlen(limit->key_prefix)) != 0)
		limit++;
	return limit;
}

/* Connections refused at a limit, or notices, calls or lines dropped at one (the daemon's
 * observations, journaled as control lines): a "limit" alert keyed by the configuration key,
 * as for the tables that evict; the receiver or feed source it names, if any. */
static void apply_connection_limit(struct engine *engine, const struct control *control,
				   int64_t ts_ms)
{
	const struct daemon_limit *limit = daemon_limit_of(control->key);
	char message[SYSALERT_MESSAGE_MAX];
	struct sysalert_notice notice = { .system = "limit",
					  .key = control->key,
					  .severity = "warning",
					  .message = message,
					  .evicted = control->refused,
					  .ts_ms = ts_ms };

	char about[EVENT_ID_MAX + 32] = "";

	if (control->receiver[0])
		snprintf(about, sizeof(about), " %s", control->receiver);
	else if (control->source[0])
		snprintf(about, sizeof(about), ", the latest from source %s", control->source);
	if (control->firing) {
		snprintf(message, sizeof(message),
			 "%s%s (%s reached): %" PRIu64 " so far; %s, or raise %s", limit->dropped,
			 about, control->key, control->refused, limit->advice, control->key);
		sysalerts_raise(engine->sysalerts, &notice);
	} else if (control->reason[0]) {
		snprintf(message, sizeof(message), "%s no longer watched: %s", control->key,
			 control->reason);
		sysalerts_resolve(engine->sysalerts, &notice);
	} else {
		snprintf(message, sizeof(message),
			 "no %s (%s) for %" PRIu32 " s; %" PRIu64 " in all", limit->one,
			 control->key, control->seconds, control->refused);
		sysalerts_resolve(engine->sysalerts, &notice);
	}
}

static void apply_system(struct engine *engine, const struct control *control, int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	bool silent = control->kind == CONTROL_FEED_SILENT;
	struct sysalert_notice notice = {.system = silent ? "feed_silent" : "journal_degraded",
					 .key = silent ? control->source : "",
					 .severity = silent ? "warning" : "critical",
					 .message = message, .ts_ms = ts_ms};

	if (silent && control->firing)
		snprintf(message, sizeof(message),
			 "feed source %s has sent nothing for %" PRIu32 " s", control->source,
			 control->seconds);
	else if (silent && control->reason[0])
		snprintf(message, sizeof(message),
			 "feed source %s is no longer watched for silence: %s", control->source,
			 control->reason);
	else if (silent)
		snprintf(message, sizeof(message), "feed source %s is sending again",
			 control->source);
	else if (control->firing)
		snprintf(message, sizeof(message),
			 "the journal cannot be written (%s): alerts go on, but a crash now would "
			 "lose events",
			 control->reason);
	else
		snprintf(message, sizeof(message), "the journal is written again");
	if (control->firing)
		sysalerts_raise(engine->sysalerts, &notice);
	else
		sysalerts_resolve(engine->sysalerts, &notice);
}

/* ---- state_incomplete: a recovery without some of its history ----------------------- */

/* The center time that resolves an open state_incomplete alert, refill_seconds after it was
 * raised; STATE_COMPLETE when none is open. */
static void set_refill_time(struct engine *engine)
{
	int64_t since = engine->incomplete_since_ms;
	int64_t window_ms = (int64_t)config_refill_seconds(&engine->config) * 1000;

	if (since == STATE_COMPLETE)
		engine->incomplete_until_ms = STATE_COMPLETE;
	else /* a far-future since never resolves rather than wrap */
		engine->incomplete_until_ms =
			since <= INT64_MAX - 1 - window_ms ? since + window_ms : INT64_MAX - 1;
}

static void resolve_incomplete(struct engine *engine, int64_t ts_ms, const char *message)
{
	struct sysalert_notice notice = { .system = "state_incomplete", .key = "",
					  .severity = "warning", .message = message,
					  .ts_ms = ts_ms };

	engine->incomplete_since_ms = STATE_COMPLETE;
	set_refill_time(engine);
	sysalerts_resolve(engine->sysalerts, &notice);
}

/* The center time reached incomplete_until_ms: the windows have refilled. */
static void state_refilled(struct engine *engine)
{
	char message[SYSALERT_MESSAGE_MAX];

	snprintf(message, sizeof(message),
		 "the rule windows hold %" PRIu32 " s of events taken since the incomplete "
		 "recovery: detection has its whole history again",
		 config_refill_seconds(&engine->config));
	resolve_incomplete(engine, engine->center_ms, message);
}

/* A recovery that rebuilt the state without some of its history (the daemon's observation at
 * ts_ms, its clock; why in reason): a warning, resolved by the engine once a refill's worth of
 * events later than both that time and the center's has been taken in order. The lost events
 * came before ts_ms, and the center never runs ahead of the host clock, so it cannot resolve
 * before the windows hold only events taken after the loss. Another one while it is open
 * resolves it and raises a new one, so that every loss is told. */
static void apply_state_incomplete(struct engine *engine, const struct control *control,
				   int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	struct sysalert_notice notice = { .system = "state_incomplete", .key = "",
					  .severity = "warning", .message = message,
					  .ts_ms = ts_ms };

	if (sysalerts_is_open(engine->sysalerts, "state_incomplete", ""))
		resolve_incomplete(engine, ts_ms,
				   "superseded: another recovery lost history since (the next "
				   "notice)");
	snprintf(message, sizeof(message),
		 "recovered without some history (%s): alerts may be missed until %" PRIu32
		 " s more of events refill the rule windows",
		 control->reason, config_refill_seconds(&engine->config));
	if (!sysalerts_raise(engine->sysalerts, &notice))
		return; /* out of memory (counted): no refill time without its alert */
	engine->incomplete_since_ms = ts_ms > engine->center_ms ? ts_ms : engine->center_ms;
	set_refill_time(engine);
}

int engine_control(struct engine *engine, const char *line, size_t len, int64_t ts_ms, char *why,
		   size_t why_size)
{
	struct control control;
	int rc = control_parse(line, len, &control, why, why_size);

	if (rc == 0 && control.kind == CONTROL_ACK)
		rc = apply_ack(engine, &control, ts_ms, why, why_size);
	else if (rc == 0 && control.kind == CONTROL_RECEIVER_DOWN)
		apply_receiver_down(engine, &control, ts_ms);
	else if (rc == 0 && control.kind == CONTROL_CONNECTION_LIMIT)
		apply_connection_limit(engine, &control, ts_ms);
	else if (rc == 0 && control.kind == CONTROL_STATE_INCOMPLETE)
		apply_state_incomplete(engine, &control, ts_ms);
	else if (rc == 0)
		apply_system(engine, &control, ts_ms);
	if (rc == 0)
		engine->stats.controls++;
	else
		engine->stats.controls_rejected++;
	engine->limits_quiet_until_ms = INT64_MIN; /* a "limit" alert of its key may have moved */
	return rc;
}

/* Board lines: each open alert encoded as a line for the caller. */
struct board_output {
	struct engine *engine;
	engine_line_fn emit;
	void *ctx;
};

static void emit_board_alert(const struct alert *alert, void *ctx)
{
	struct board_output *output = ctx;
	size_t len = 0;
	char *json = alert_encode_json(alert, &len);

	if (!json) {
		output->engine->stats.alerts_unencodable++;
		return;
	}
	output->emit(json, len, output->ctx);
	free(json);
}

uint64_t engine_board(struct engine *engine, engine_line_fn emit, void *ctx)
{
	struct board_output output = {.engine = engine, .emit = emit, .ctx = ctx};
	uint64_t seq = detector_last_seq(engine->detector);
	uint32_t open = detector_stats(engine->detector)->open_alerts +
			sysalerts_open_count(engine->sysalerts);
	char mark[96];
	size_t len;

	len = alert_encode_board_mark(true, seq, open, mark, sizeof(mark));
	emit(mark, len, ctx);
	detector_board(engine->detector, emit_board_alert, &output);
	sysalerts_board(engine->sysalerts, emit_board_alert, &output);
	len = alert_encode_board_mark(false, seq, open, mark, sizeof(mark));
	emit(mark, len, ctx);
	return seq;
}

void engine_each_operator(const struct engine *engine, detector_operator_fn fn, void *ctx)
{
	detector_each_operator(engine->detector, fn, ctx);
}

bool engine_system_alert_open(const struct engine *engine, const char *system, const char *key)
{
	return sysalerts_is_open(engine->sysalerts, system, key);
}

bool engine_holds_clock(const struct engine *engine, const char *source)
{
	return clocks_find(engine->clocks, source) != NULL;
}

const char *engine_unknown_system_alert(const struct engine *engine, const char *system,
					bool (*known)(const char *key, void *ctx), void *ctx)
{
	const char *const systems[] = {system, NULL};
	const char *found;

	return sysalerts_find_unknown(engine->sysalerts, systems, known, ctx, &found);
}

uint64_t engine_last_seq(const struct engine *engine)
{
	return detector_last_seq(engine->detector);
}

/*
 * Snapshot frame, format 17 (17 adds the repeat callers' table's size and stepped sweep's
 * cursor at the end: 16 and older are read with the sweep from its first home; 15 saved no
 * call owner's first arrival, which 16 saves: read with it made from the restored reorder
 * buffer, binding_restore_waiting; 14 saved a call owner's completions owed, paired by
 * arrival, where 15 saves its events waiting: 14 and 13, which saved none, are read with the
 * count made again from the restored reorder buffer; 12 saved no
 * sender's calls and call-takers: counted again on load, they made senders forgotten live, each
 * evicting another; 11 saved no baseline's departure: a restore put every departed source back in;
 * 10 saved the eviction counts of 9 limits where 11 saves 10, tracker.max_call_seconds added, and
 * tracker.max_operators's count left out the agencies' baselines; 9 saved no source clock's
 * refused_since_ms, the run of refused lines feed_rejecting measures; 8 no host times of a clock
 * first heard and behind, nor the open-calls refusals; 7 saved a peer baseline per agency where 8
 * saves one per agency and feed source, detector.baseline.per_source, and did not save the
 * agencies' offered volumes, the storm gate's call_offered counts; 6 saved the duplicate filter's
 * inserts since its last whole sweep where 7 saves its table's size and its sweep's cursor; 5
 * wrote the stats structs, the hash tables' slots and some arrays as memory images; 4 also without
 * the owners of calls and operators and the new-operator counts of binding.h, and without the
 * source of a system alert; 3 also without the clocks and reorder buffer of event time per source,
 * 2 also without the alerts' callbacks, acknowledgements, system alerts and eviction counts):
 *   "CADMSNAP" [u32 format] [u64 journal index][u8 next: the host's stamp]
 *   [u32 n][n bytes: the configuration as YAML (config_dump)]
 *   [state...] [u32 CRC-32C of everything before it]
 * The configuration is stored by key and read back through config_parse, so a snapshot
 * survives configuration keys being added, and a damaged one cannot hand the engine values
 * the parser would refuse. Format 1 ("CADMSNP1") stored the C struct itself.
 * From format 6 every field is written on its own with an explicit width, counters by name
 * (codec_put_counters), and hash tables as their live entries (table_save_entries): nothing
 * depends on a struct's layout or a table's capacity.
 */
static const char snapshot_magic[8] = {'C', 'A', 'D', 'M', 'S', 'N', 'A', 'P'};
/* [u64 journal index][u8 next]: engine_snapshot_stamp, after the format. */
#define SNAPSHOT_STAMP_BYTES 9

/* The engine's own counters; those of its modules are saved by the modules. */
static const struct codec_counter engine_counters[] = {
	CODEC_COUNTER_SCALAR(struct engine_stats, lines),
	CODEC_COUNTER_SCALAR(struct engine_stats, events),
	CODEC_COUNTER(struct engine_stats, rejects),
	CODEC_COUNTER_SCALAR(struct engine_stats, duplicates),
	CODEC_COUNTER_SCALAR(struct engine_stats, alerts_unencodable),
	CODEC_COUNTER_SCALAR(struct engine_stats, controls),
	CODEC_COUNTER_SCALAR(struct engine_stats, controls_rejected),
	CODEC_COUNTER_SCALAR(struct engine_stats, late_events),
	CODEC_COUNTER_SCALAR(struct engine_stats, reorder_overflows),
	CODEC_COUNTER_SCALAR(struct engine_stats, restarts),
};
static const char snapshot_magic_v1[8] = {'C', 'A', 'D', 'M', 'S', 'N', 'P', '1'};

void engine_snapshot(const struct engine *engine, struct codec_writer *writer)
{
	static const struct engine_snapshot_stamp unstamped = { 0, ENGINE_SNAPSHOT_NEXT_UNKNOWN };

	engine_snapshot_stamped(engine, &unstamped, writer);
}

void engine_snapshot_stamped(const struct engine *engine, const struct engine_snapshot_stamp *stamp,
			     struct codec_writer *writer)
{
	size_t start = writer->len;
	size_t config_len = 0;
	char *config_text = config_dump(&engine->config, &config_len);

	if (!config_text) {
		writer->failed = true;
		return;
	}
	codec_put_bytes(writer, snapshot_magic, sizeof(snapshot_magic));
	codec_put_u32(writer, ENGINE_SNAPSHOT_FORMAT);
	codec_put_u64(writer, stamp->journal_index);
	codec_put_u8(writer, (uint8_t)stamp->next);
	codec_put_u32(writer, (uint32_t)config_len);
	codec_put_bytes(writer, config_text, config_len);
	free(config_text);
	codec_put_i64(writer, engine->watermark_ms);
	codec_put_i64(writer, engine->center_ms);
	codec_put_i64(writer, engine->now_ms);
	codec_put_u64(writer, engine->arrivals);
	codec_put_u8(writer, engine->future_guard);
	codec_put_counters(writer, engine_counters, CODEC_COUNTER_COUNT(engine_counters),
			   &engine->stats);
	dedupe_save(engine->dedupe, writer);
	sources_save(engine->sources, writer);
	clocks_save(engine->clocks, writer);
	reorder_save(engine->reorder, writer);
	tracker_save(engine->tracker, writer);
	detector_save(engine->detector, writer);
	sysalerts_save(engine->sysalerts, writer);
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		codec_put_u64(writer, engine->limit_counts[i]);
		codec_put_i64(writer, engine->limit_growth_ms[i]);
	}
	binding_save(engine->binding, writer);
	detector_save_callers_sweep(engine->detector, writer);
	codec_put_i64(writer, engine->incomplete_since_ms);
	clocks_save_too_late(engine->clocks, writer);
	if (!writer->failed)
		codec_put_u32(writer, codec_writer_crc32c(writer, start));
}

uint32_t engine_snapshot_format(const void *snapshot, size_t len)
{
	struct codec_reader reader;
	char magic[sizeof(snapshot_magic)];

	if (len < sizeof(magic) + 4)
		return 0;
	memcpy(magic, snapshot, sizeof(magic));
	if (memcmp(magic, snapshot_magic_v1, sizeof(magic)) == 0)
		return 1;
	if (memcmp(magic, snapshot_magic, sizeof(magic)) != 0)
		return 0;
	codec_reader_init(&reader, (const unsigned char *)snapshot + sizeof(magic), 4);
	return codec_get_u32(&reader);
}

bool engine_snapshot_format_readable(uint32_t format)
{
	return format >= ENGINE_SNAPSHOT_FORMAT_OLDEST && format <= ENGINE_SNAPSHOT_FORMAT;
}

int engine_snapshot_stamp(const void *snapshot, size_t len, struct engine_snapshot_stamp *stamp)
{
	struct codec_reader reader;
	uint8_t next;

	if (!engine_snapshot_format_readable(engine_snapshot_format(snapshot, len)) ||
	    len < sizeof(snapshot_magic) + 4 + SNAPSHOT_STAMP_BYTES)
		return -EINVAL;
	codec_reader_init(&reader, (const unsigned char *)snapshot + sizeof(snapshot_magic) + 4,
			  SNAPSHOT_STAMP_BYTES);
	stamp->journal_index = codec_get_u64(&reader);
	next = codec_get_u8(&reader);
	if (next > ENGINE_SNAPSHOT_NEXT_SEGMENT)
		return -EINVAL;
	stamp->next = (enum engine_snapshot_next)next;
	return 0;
}

/* The saved configuration, through the parser and its checks. */
static const char *read_saved_config(struct codec_reader *reader, struct config *saved, char *why,
				     size_t why_size)
{
	struct config_errors errors;
	uint32_t len = codec_get_u32(reader);

	if (reader->failed || len > reader->len - reader->pos)
		return "snapshot truncated";
	int rc = config_parse((const char *)reader->data + reader->pos, len, "snapshot", saved,
			      &errors);
	if (rc == -ENOMEM)
		return ENGINE_NO_MEMORY " reading the snapshot";
	if (rc != 0) {
		snprintf(why, why_size, "snapshot configuration invalid: %s",
			 errors.count ? errors.message[0] : "too many errors");
		return why;
	}
	reader->pos += len;
	return NULL;
}

/* Check the frame (magic, format, CRC) and read the configuration; *format: the snapshot's. */
static const char *open_snapshot(struct codec_reader *reader, const unsigned char *data, size_t len,
				 struct config *saved, uint32_t *format, char *why,
				 size_t why_size)
{
	uint32_t crc;

	*format = engine_snapshot_format(data, len);
	if (*format == 0)
		return len < sizeof(snapshot_magic) + 4 ? "snapshot truncated"
							: "not a cadmon snapshot";
	if (!engine_snapshot_format_readable(*format)) {
		snprintf(why, why_size, "snapshot format %" PRIu32 ", this cadmond reads %d to %d",
			 *format, ENGINE_SNAPSHOT_FORMAT_OLDEST, ENGINE_SNAPSHOT_FORMAT);
		return why;
	}
	if (len < sizeof(snapshot_magic) + 12 + SNAPSHOT_STAMP_BYTES)
		return "snapshot truncated";
	codec_reader_init(reader, data + len - 4, 4);
	crc = codec_get_u32(reader);
	if (codec_crc32c(0, data, len - 4) != crc)
		return "snapshot checksum mismatch";
	codec_reader_init(reader, data, len - 4);
	reader->pos = sizeof(snapshot_magic) + 4 +
		      SNAPSHOT_STAMP_BYTES; /* the host's stamp: not the engine's */
	return read_saved_config(reader, saved, why, why_size);
}

/* The sources whose feed_rejecting or seq_rejected a loaded snapshot holds open: marked (not
 * saved). */
static void restore_rejecting(struct engine *engine)
{
	if (!sysalerts_count_system(engine->sysalerts, "feed_rejecting") &&
	    !sysalerts_count_system(engine->sysalerts, "seq_rejected"))
		return;
	for (size_t i = 0; i < clocks_count(engine->clocks); i++) {
		const char *name = clocks_at(engine->clocks, i)->name;
		bool rejecting = sysalerts_is_open(engine->sysalerts, "feed_rejecting", name);
		bool seq_rejected = sysalerts_is_open(engine->sysalerts, "seq_rejected", name);
		if (rejecting || seq_rejected) {
			struct clocks_source *source = clocks_get(engine->clocks, name);
			source->rejecting = rejecting;
			source->seq_rejected = seq_rejected;
		}
	}
}

/* The binding's counts of events waiting against the restored reorder buffer, a snapshot of
 * format's (binding_restore_waiting): 0, -EINVAL, or -ENOMEM (no memory to list them). */
static int restore_waiting(struct engine *engine, uint32_t format)
{
	uint32_t buffered = reorder_count(engine->reorder), count = 0;
	struct binding_waiting *waiting = NULL;
	int rc;

	if (buffered > 0 && !(waiting = malloc(buffered * sizeof(*waiting))))
		return -ENOMEM;
	for (uint32_t k = 0; k < buffered; k++) {
		struct reorder_item item;
		reorder_item_at(engine->reorder, k, &item);
		if (event_names_call(item.event.type)) /* a call_offered holds no call */
			waiting[count++] = (struct binding_waiting){
				.call_hash = item.call_hash,
				.arrival = item.arrival,
				.call_id = reorder_call_id_at(engine->reorder, k) /* item's goes */
			};
	}
	rc = binding_restore_waiting(engine->binding, waiting, count, format,
				     engine->arrivals + 1);
	calls_held_done(&engine->calls_held);
	free(waiting);
	return rc;
}

static int load_state(struct engine *engine, struct codec_reader *reader, uint32_t format)
{
	engine->watermark_ms = codec_get_i64(reader);
	engine->center_ms = codec_get_i64(reader);
	engine->now_ms = codec_get_i64(reader);
	engine->arrivals = codec_get_u64(reader);
	engine->future_guard = codec_get_u8(reader);
	if (codec_get_counters(reader, engine_counters, CODEC_COUNTER_COUNT(engine_counters),
			       &engine->stats) != 0)
		return -EINVAL;
	int rc;
	if ((rc = dedupe_load(engine->dedupe, reader)) != 0 ||
	    (rc = sources_load(engine->sources, reader)) != 0 ||
	    (rc = clocks_load(engine->clocks, reader)) != 0 ||
	    (rc = reorder_load(engine->reorder, reader)) != 0 ||
	    (rc = tracker_load(engine->tracker, reader)) != 0 ||
	    (rc = detector_load(engine->detector, reader)) != 0 ||
	    (rc = sysalerts_load(engine->sysalerts, reader)) != 0)
		return rc == -ENOMEM ? -ENOMEM : -EINVAL; /* no memory: a good snapshot kept */
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		engine->limit_counts[i] = codec_get_u64(reader);
		engine->limit_growth_ms[i] = codec_get_i64(reader);
	}
	rc = binding_load(engine->binding, reader, format);
	if (rc != 0 || (rc = restore_waiting(engine, format)) != 0)
		return rc; /* -ENOMEM: not damage */
	if (format >= 17 && (rc = detector_load_callers_sweep(engine->detector, reader)) != 0)
		return rc == -ENOMEM ? -ENOMEM : -EINVAL;
	engine->incomplete_since_ms = format >= 18 ? codec_get_i64(reader) : STATE_COMPLETE;
	if (format >= 18 && clocks_load_too_late(engine->clocks, reader) != 0)
		return -EINVAL;
	if ((engine->incomplete_since_ms != STATE_COMPLETE) !=
	    sysalerts_is_open(engine->sysalerts, "state_incomplete", ""))
		return -EINVAL; /* an open alert with no refill time, or the reverse */
	set_refill_time(engine);
	restore_rejecting(engine);
	engine->settle_pending = true;
	return reader->failed || reader->pos != reader->len ? -EINVAL : 0;
}

struct engine *engine_restore(const void *snapshot, size_t len, const struct config *config,
			      engine_alert_fn on_alert, void *ctx, char *why, size_t why_size)
{
	struct codec_reader reader;
	struct config saved;
	char detail[ENGINE_WHY_MAX];
	uint32_t format;
	const char *problem =
		open_snapshot(&reader, snapshot, len, &saved, &format, detail, sizeof(detail));
	struct engine *engine = NULL;

	if (!problem && !(engine = engine_new(&saved, on_alert, ctx)))
		problem = ENGINE_NO_MEMORY;
	int rc = problem ? 0 : load_state(engine, &reader, format);
	if (rc != 0)
		problem = rc == -ENOMEM ? ENGINE_NO_MEMORY " reading the snapshot"
					: "snapshot damaged: inconsistent state";
	if (!problem && config && engine_reconfigure(engine, config) != 0)
		problem = ENGINE_NO_MEMORY " applying the configuration";
	if (problem) {
		engine_free(engine);
		if (why_size > 0)
			snprintf(why, why_size, "%s", problem);
		return NULL;
	}
	return engine;
}
