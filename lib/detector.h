/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_DETECTOR_H
#define CADMON_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "callers.h"
#include "config.h"
#include "tracker.h"
#include "window.h"

/*
 * The detector judges each completed call (premature hangup or not), keeps per operator
 * (agency, operator) and for the whole center the calls of every rule's window, and runs the
 * alert lifecycle. All of it follows event time: the clock is the newest ts the engine has
 * seen (detector_advance), never the wall clock.
 *
 * Windows: at time now a call that ended at e is inside a rule's window iff
 * now - window < e <= now; a call exactly window_seconds old has left it.
 *
 * Lifecycle, per operator: when a rule becomes true and no alert is open, a "firing" notice
 * opens one with a new alert_id; when a rule of higher severity becomes true while it is
 * open, an "escalated" notice (same alert_id); when every rule has stayed false for
 * resolve_after_seconds, a "resolved" notice (same alert_id) closes it. No rule notice repeats in
 * between. Open alerts are re-evaluated every second of event time, so an operator who
 * stops taking calls still has his alert resolved (in effect: a second's re-evaluation is
 * done only for the alerts it can change, with the same notices and snapshots).
 *
 * While an alert is open it keeps its callbacks (at most detector.max_alert_callbacks): every
 * new premature hangup of the operator, and every callback whose caller rang again, goes out
 * in an "update" notice, at most one per alert per second of event time (more wait for the
 * next second: coalesced, never dropped). "escalated" and "update" carry only what was not
 * sent yet. An alert not acknowledged escalate_unacked_after_seconds (per severity) after it
 * fired is escalated once with reason "unacknowledged".
 *
 * Repeat callers: a real (not premature) call from a number cut off by a premature hangup at
 * most repeat_window_seconds before marks that hangup called back (detector_caller_rang).
 *
 * A late call (completed_call.late: its source is judged on its own, behind the center) does
 * not move the clock: its operator is evaluated in the call's own time, and that operator's
 * clock runs as far behind the center until a call of his comes in order; the notices say by
 * how much (alert.late_ms).
 */

typedef void (*detector_alert_fn)(const struct alert *alert, void *ctx);

enum detector_result {
	DETECTOR_ADDED = 0,
	DETECTOR_TOO_OLD,  /* ended before every window at the detector's clock: not kept */
	DETECTOR_NO_MEMORY,
};

/* The operator notice kinds counted by severity (detector_stats.by_severity's first index). */
enum detector_notice_kind {
	DETECTOR_NOTICE_FIRING,
	DETECTOR_NOTICE_ESCALATED,
	DETECTOR_NOTICE_UPDATE,
	DETECTOR_NOTICE_ACKNOWLEDGED,
	DETECTOR_NOTICE_RESOLVED,
	DETECTOR_NOTICE_KIND_COUNT,
};

/** The kind's name in notices ("firing", ...). */
const char *detector_notice_kind_name(enum detector_notice_kind kind);

struct detector_stats {
	uint64_t calls;             /* completed calls seen */
	uint64_t premature;         /* of which premature hangups */
	uint64_t called_back;       /* premature hangups marked: the caller rang again */
	uint64_t alerts;            /* notices emitted, all kinds */
	uint64_t firing;
	uint64_t escalated;
	uint64_t resolved;
	uint64_t updates;           /* "update" notices */
	uint64_t acknowledged;      /* "acknowledged" notices (repeats included) */
	uint64_t unacked_escalations; /* "escalated" for want of an acknowledgement */
	/* Operator notices by kind and by the alert's severity (0 info, 1 warning, 2 critical). */
	uint64_t by_severity[DETECTOR_NOTICE_KIND_COUNT][CONFIG_SEVERITY_COUNT];
	uint64_t alert_callbacks_evicted; /* callbacks forgotten: max_alert_callbacks reached */
	/* operators with the least evidence forgotten: max_operators reached */
	uint64_t operators_evicted;
	uint64_t operators_refused; /* calls of a new operator dropped: max_operators alerting */
	uint64_t window_evictions;  /* calls pushed out early: max_window_calls reached */
	uint64_t center_evictions;  /* calls pushed out of the center window: max_center_calls */
	uint64_t callers_evicted;   /* hangups forgotten early: max_recent_callers reached */
	uint64_t too_old;           /* completed calls older than every window */
	uint64_t baselines_evicted; /* agency baselines forgotten: max_operators reached */
	uint64_t offered;           /* call_offered events counted in their agency's volume */
	uint64_t offered_unknown;   /* call_offered events of an agency with no baseline yet (no
				     * answered call): not counted, no baseline made */
	uint64_t sources_departed;  /* sources taken out of an agency's shared baseline
				     * (detector.baseline.source_depart_z) */
	uint32_t operators;         /* operators tracked now */
	uint32_t open_alerts;       /* operators with an alert open now */
};

struct detector;

/** A feed source whose calls of an agency depart from the other sources' (taken out of the
 * baseline their call-takers are judged against), or no longer do (back in). */
/* Why a source came back in. */
enum detector_back_in {
	DETECTOR_BACK_JUDGED,           /* its calls no longer depart (the figures say so) */
	DETECTOR_BACK_OWN_FORGOTTEN,    /* a full baseline table (tracker.max_operators) forgot
					 * its own baseline of the agency: no figures */
	DETECTOR_BACK_SHARED_FORGOTTEN, /* it forgot the agency's shared one: no figures */
};

struct detector_source_departure {
	const char *agency;
	const char *source;  /* the hello's source; "" for the connections without a hello */
	bool departs;        /* true: taken out; false: back in */
	enum detector_back_in back_in; /* back in: why */
	uint32_t max_baselines;        /* forgotten: the baselines' bound (tracker.max_operators) */
	double source_calls; /* its decayed calls (detector.baseline.half_life_seconds; taken out:
			      * without the call-taker whose call decided it) */
	double source_ratio; /* the premature share of those */
	double rest_calls;   /* the other sources' calls of the agency, the same way */
	double rest_ratio;
	double z;            /* the one-sided two-proportion z between the two */
	int64_t at_ms;       /* the deciding call's end (INT64_MIN: forgotten, no call decided) */
};
typedef void (*detector_source_fn)(const struct detector_source_departure *departure, void *ctx);

/** Call fn (ctx) whenever a source is taken out of an agency's shared baseline or back in. */
void detector_on_source_departure(struct detector *detector, detector_source_fn fn, void *ctx);

/** The named source's calls of agency back in the agency's shared baseline, its own calls
 * no longer judged apart (its clock was forgotten: nothing tells when it departs no more);
 * nothing told to the departure function. True when it was out. */
bool detector_source_back_in(struct detector *detector, const char *agency, const char *source);

/** Whose operators go first when the operator table is full (audit F9): before evicting,
 * choose(ctx) says whether to evict of a chosen owner's operators alone, owns(agency,
 * operator_id, ctx) which operators those are; the least evidence of them go (as many as of
 * all, or all of them if fewer; none: of all), never one with an open alert. Unset or choose
 * false: of all. */
struct detector_eviction {
	bool (*choose)(void *ctx);
	bool (*owns)(const char *agency, const char *operator_id, void *ctx);
	void *ctx;
};

void detector_set_eviction(struct detector *detector, const struct detector_eviction *eviction);

/** Create a detector for config (copied). NULL on allocation failure. */
struct detector *detector_new(const struct config *config, detector_alert_fn on_alert, void *ctx);
void detector_free(struct detector *detector);

/** True when the call is a premature hangup under the configured definition. */
bool detector_is_premature(const struct detector *detector, const struct completed_call *call);

/**
 * True when a call (premature or not, as detector_is_premature said) is a real call whose
 * caller's earlier hangup it may mark called back: not premature, and, unless
 * detector.callback_min_talk_seconds is 0, it got an incident or a transfer or talked at
 * least that long (a pocket dialer's redial that the caller's side drops after a few
 * seconds is not premature, and had nothing to say).
 */
bool detector_is_real_call(const struct detector *detector, const struct completed_call *call,
			   bool premature);

/** Move the detector's clock forward to now_ms; resolves alerts whose time has come. */
void detector_advance(struct detector *detector, int64_t now_ms);

/** The end of the input (a backtest's): the callbacks that wait for the next second of event
 * time go out now, an update per open alert that has any, in the order of a tick. */
void detector_flush_updates(struct detector *detector);

/** Add a completed call, evaluate its operator's rules, emit notices through the callback. */
enum detector_result detector_add_call(struct detector *detector,
				       const struct completed_call *call);

/**
 * The operator of the call detector_add_call last took (DETECTOR_ADDED), as (index,
 * generation): its slot in the detector's operators and that slot's claim, a pair that names
 * this operator (agency, operator_id) alone while it is kept, and no later one after it is
 * forgotten (the generations count every claim). For a caller keeping its own record per
 * operator: a look-up by the pair instead of hashing and comparing the names.
 */
void detector_added_operator(const struct detector *detector, uint32_t *index,
			     uint32_t *generation);

/**
 * An operator_state event: the operator's state and its event time, kept with the operator
 * (made if new, under tracker.max_operators like a call's). A state older than the one kept is
 * ignored. It changes no detection: a logged-off operator's calls count as any other's.
 */
void detector_operator_state(struct detector *detector, const struct event *event);
/**
 * A call_offered event: a call arrived at event->agency (answered or not). Counted in the
 * agency's offered volume when the agency has a baseline (an answered call), which the storm
 * gate weighs with the answered volume (the larger of the two gates) while the agency sends
 * them (docs/detection.md); else counted in offered_unknown only (it makes no baseline:
 * arrivals cannot churn the table). Makes no operator and no call. source: the sender, as a
 * completed call's (completed_call.source): with detector.baseline.per_source the arrivals
 * count in that source's baseline of the agency only.
 */
void detector_call_offered(struct detector *detector, const struct event *event,
			   const char *source);

/**
 * A completed call from ani that was not premature, answered at start_ms: mark a premature
 * hangup of ani at most repeat_window_seconds before, if any. The engine calls this when the
 * redial completes, so a pocket dialer dialing again (premature again) marks nothing.
 */
void detector_caller_rang(struct detector *detector, const char *ani, int64_t start_ms);
/** detector_caller_rang of an ani whose hash_string is ani_hash. */
void detector_caller_rang_hashed(struct detector *detector, const char *ani, uint64_t ani_hash,
				 int64_t start_ms);

/**
 * What can still redial (callers.h: the engine's clocks and open calls), so that the repeat
 * callers forget a hangup once no call that can still complete started within
 * repeat_window_seconds after it. Copied; none at first (forgotten only when full).
 */
void detector_set_redials(struct detector *detector, const struct callers_redials *redials);

/**
 * A hint ahead of detector_add_call (and detector_caller_rang) of a call whose operator's
 * hash_string_pair(agency, operator_id) is operator_hash and whose ani's hash_string is
 * ani_hash (completed_call's): fetch into the cache the operator's slot, the start of its
 * state and its key when its slot is its home, and the ani's slot among the recent callers.
 * Changes nothing.
 */
void detector_prefetch_call(const struct detector *detector, uint64_t operator_hash,
			    uint64_t ani_hash);

const struct detector_stats *detector_stats(struct detector *detector);
/** Add what is counted from now on to the evictions and refusals the engine's limits read
 * (callers_evicted too) to *moves too (moves.h; NULL: no longer). */
void detector_count_moves(struct detector *detector, uint64_t *moves);

enum detector_ack_result {
	DETECTOR_ACK_FIRST = 0, /* the alert's first acknowledgement */
	DETECTOR_ACK_REPEAT,    /* acknowledged before: recorded and announced as a repeat */
	DETECTOR_ACK_UNKNOWN,   /* no open operator alert has that alert_id */
	DETECTOR_ACK_NO_MEMORY, /* no memory for the alert's first acknowledgement: not taken */
};

/** True when an operator alert with this alert_id is open. */
bool detector_alert_open(const struct detector *detector, const char *alert_id);

/** Acknowledge an open alert: an "acknowledged" notice through the callback (not for UNKNOWN). */
enum detector_ack_result detector_acknowledge(struct detector *detector, const char *alert_id,
					      const struct alert_ack *ack);

/**
 * Emit every open alert's whole state as an "open" alert (oldest first) through emit, without
 * changing anything. Returns how many.
 */
uint32_t detector_board(struct detector *detector, detector_alert_fn emit, void *ctx);

/** The next notice seq, for notices the detector does not make (system alerts); counted. */
uint64_t detector_take_seq(struct detector *detector);

/** The seq of the newest notice (0: none). */
uint64_t detector_last_seq(const struct detector *detector);

/** The next notice's seq will be above delivered_through (and above every seq used). */
void detector_continue_seq(struct detector *detector, uint64_t delivered_through);

/**
 * Apply a new configuration to a running detector without losing its windows, CUSUM
 * statistics or open alerts: rules are matched by name (a new rule starts empty, a removed
 * rule's state is dropped, an open alert of a removed rule is kept under the first rule),
 * windows are recounted for the new lengths (a longer window only has the calls the old
 * longest one kept), and tables are resized (evicting the oldest if smaller). When
 * max_operators changes, operators are renumbered and earlier redials can no longer mark
 * their hangups. 0 or -ENOMEM (the detector may then be partly reconfigured but usable).
 */
int detector_reconfigure(struct detector *detector, const struct config *config);

/** Does the detector hold the call-taker (agency, operator_id)? */
bool detector_holds_operator(const struct detector *detector, const char *agency,
			     const char *operator_id);

/* One rule's window for one operator, at the detector's clock. */
struct detector_rule_figures {
	const char *rule;         /* its name */
	uint32_t window_seconds;
	uint32_t calls;
	uint32_t premature;
	uint32_t called_back;
	double ratio;             /* premature / calls (0 without calls) */
	double center_ratio;      /* the other operators' ratio in the same window */
	/* A sequential rule's evidence now (false/0 for the other types): the run is the calls
	 * since the evidence last left 0, as in its alerts (docs/detection.md). */
	bool sequential;
	double evidence;          /* nats */
	double threshold;         /* the evidence an alert needs */
	uint32_t run_calls;
	uint32_t run_premature;
	double expected;          /* premature hangups the baseline expected in the run */
	double own_factor;        /* the operator's own factor at its last call */
};

/* How many buckets an operator's history (its sparkline) has. */
#define DETECTOR_HISTORY_BUCKETS 12

/* One operator's figures: what GET /api/operators shows. Valid during the callback only. */
struct detector_operator_figures {
	const char *agency;
	const char *operator_id;
	const char *position;     /* of the latest call */
	int64_t last_active_ms;   /* event time of its latest call; INT64_MIN before its first */
	const char *open_alert_id; /* its open alert, or NULL */
	enum agent_state state;   /* its latest operator_state (AGENT_STATE_NONE: never told) */
	int64_t state_since_ms;   /* event time of that operator_state */
	size_t rule_count;
	struct detector_rule_figures rules[CONFIG_MAX_RULES];
	/* Calls and premature hangups per bucket of history_bucket_ms, oldest first, the last
	 * ending at history_end_ms (the detector's clock): the longest rule window in
	 * DETECTOR_HISTORY_BUCKETS slices (window_histogram), from the calls its window holds. */
	int64_t history_end_ms;
	int64_t history_bucket_ms;
	struct window_counts history[DETECTOR_HISTORY_BUCKETS];
};

typedef void (*detector_operator_fn)(const struct detector_operator_figures *figures, void *ctx);

/** Every operator tracked, in table order, with its windows' figures. Changes nothing. */
void detector_each_operator(const struct detector *detector, detector_operator_fn fn, void *ctx);

struct codec_writer;
struct codec_reader;

/** Save the whole state (not the configuration). */
void detector_save(const struct detector *detector, struct codec_writer *writer);

/** Load into a new detector created with the same configuration. 0, -EINVAL or -ENOMEM. */
int detector_load(struct detector *detector, struct codec_reader *reader);
/** The repeat callers' sweep position (callers_save_sweep), which a snapshot keeps at its end
 * from format 17; loaded after detector_load. */
void detector_save_callers_sweep(const struct detector *detector, struct codec_writer *writer);
int detector_load_callers_sweep(struct detector *detector, struct codec_reader *reader);

#endif
