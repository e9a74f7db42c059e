/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BINDING_H
#define CADMON_BINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

/*
 * What one feed source may say (docs/detection.md, "Sources and what they may say"): the
 * gate every event passes before the duplicate filter and the reorder buffer, so that one
 * source cannot speak for another's people and calls, nor flood the tables.
 *
 * - sources: / unlisted_sources: a listed source's events name only its agencies; with
 *   unlisted_sources: reject, a source not listed (or a connection without a hello) is refused.
 * - A call belongs to the sender that first reported it: a named source by its name, every
 *   connection without a hello together (so a CAD that reconnects without a hello keeps its
 *   calls). Another sender's events for it are refused while the call is remembered: until
 *   the tracker completes or drops it, or tracker.max_call_seconds after its last event (event
 *   time).
 * - An operator (agency, operator) belongs to the named source whose call_start first named
 *   it, until it has had no event from it for the longest rule window: by then it has no calls
 *   in any window left to protect. An operator seen only without a hello is claimed by the
 *   first named source that names it; a connection without a hello cannot speak for an
 *   operator a named source owns.
 * - New operators (a call_start naming an operator not owned now) count per sender and per
 *   hour of event time (fixed buckets); past tracker.max_new_operators_per_source_per_hour
 *   they are refused, an episode the engine turns into a "limit" system alert.
 * - Calls bound count per sender: an event that would bind one more call to a sender holding
 *   tracker.max_open_calls_per_source is refused (its calls whose time is up swept first), an
 *   episode of the same kind. So one source cannot fill the open-call tables, which are
 *   shared, and push the other sources' calls out.
 *
 * Bounded: the calls at most tracker.max_open_calls + tracker.max_reorder_events + 1 and a
 * sixteenth (binding_set_call_holder), the operators twice tracker.max_operators, the senders
 * feed.max_sources (the stalest forgotten first when full, counted; of the senders, those
 * sources: does not list first). Pure, event time.
 */

/* Who sent an event. */
struct binding_sender {
	const char *source; /* the hello's source, or NULL / "" / a connection key when !named */
	bool named;
};

struct binding_stats {
	uint64_t calls_evicted;     /* call owners forgotten early: tracker.max_open_calls */
	uint64_t operators_evicted; /* operator owners forgotten early: tracker.max_operators */
	uint64_t senders_evicted;   /* new-operator counts forgotten: feed.max_sources */
	/* call owners whose events waiting reached 255 (binding_call_event_applied): kept
	 * until their time is up */
	uint64_t calls_owed_capped;
	uint32_t calls;             /* calls bound now */
	uint32_t operators;         /* operators bound now */
};

struct binding;

/** A gate sized by config. NULL on allocation failure. */
struct binding *binding_new(const struct config *config);
void binding_free(struct binding *binding);

/** Is the call (call_hash its hash_string, or table_key_hash of it) one the tracker holds, or
 * one whose event still waits in the engine's reorder buffer (bound when admitted, tracked
 * when released)? */
typedef bool binding_call_held_fn(const char *call_id, uint64_t call_hash, void *ctx);

/* Who holds the calls: held asked call by call, done(ctx) once a pass of questions is over
 * (what held gathered to answer them may go; NULL: nothing to do). */
struct binding_call_holder {
	binding_call_held_fn *held;
	void (*done)(void *ctx);
	void *ctx;
};

/** Invariant (with the engine telling binding_evict_call every call the tracker drops, evicted
 * or expired, and binding_call_event_applied every call event the tracker applies): a call
 * owner lives exactly while the reorder buffer holds an event it bound or the tracker holds a
 * call of its id. Each event of the id it binds (admitted, not a duplicate) counts one event
 * waiting; each of those the tracker applies, one fewer (an event an owner gone before it
 * bound, none); the owner goes when none waits and the tracker holds no call of the id. So the
 * order the events come in does not matter (the tracker pairs an id's call_start and call_end
 * by ts, not by arrival): while any of them waits or a call of the id is open, another
 * sender's events for it are refused, even those stamped before its call_end; once none is
 * held, the id is free at once. The owner goes earlier only with the tracker's call (evicted,
 * expired, lost for want of memory: binding_evict_call), or when its time is up here
 * (tracker.max_call_seconds without an event, by the newest event time, which may run ahead
 * of the tracker's by the reorder window); it stays longer only at 255 events waiting
 * (calls_owed_capped). A complete call (its call_start and call_end both admitted) no longer
 * counts to its owner's open calls; its owner's next call_start or call_end for the id starts
 * a new call. Every owner is of a call held: the room below counts it. The owners' table
 * holds tracker.max_open_calls + tracker.max_reorder_events + 1 and a sixteenth more; when
 * full it forgets (uncounted) the owners of calls holder does not hold (those whose time is up,
 * or capped at 255), of which there are then some. Without a holder, a full table evicts as
 * the tracker does (the idlest of the sender holding the most). */
void binding_set_call_holder(struct binding *binding, const struct binding_call_holder *holder);

/** Resize to config's bounds, all or nothing: every table's memory is allocated before anything
 * is forgotten. 0 or -ENOMEM (nothing changed). held(agency, operator_id, held_ctx): is the
 * call-taker one the detector holds (after its own reconfigure)? A smaller room for owners
 * forgets first, the idlest first, exactly as many as are over, the owners of call-takers not
 * held; those held go only if they alone are over. The calls' owners: those of calls the holder
 * does not hold are forgotten (not counted) when there are more than the new room; the others
 * are all kept, in a room made larger if need be (a reorder buffer shrunk below the calls that
 * wait in it: the engine releases them, the tracker drops what it must and tells). A smaller
 * room for senders forgets those sources: does not list first, the idlest first. */
typedef bool binding_held_fn(const char *agency, const char *operator_id, void *ctx);
int binding_reconfigure(struct binding *binding, const struct config *config,
			binding_held_fn *held, void *held_ctx);

struct sender_rate;

/* An event binding_admit accepted, to be bound by binding_bind: its look-ups kept (nothing
 * changes the binding's tables in between); event and sender's strings must outlive it. */
struct binding_admission {
	const struct event *event;
	uint64_t call_hash, operator_hash;
	struct binding_sender sender;
	int64_t now_ms;
	uint32_t call_slot, operator_slot;
	struct sender_rate *owner_rate;
};

/**
 * May sender say event? EVENT_OK (then admitted holds what binding_bind is to bind), or the
 * reason with a detail in why: source_not_allowed, agency_not_allowed, call_of_other_source,
 * operator_of_other_source, new_operator_rate, open_calls_per_source. now_ms is the newest
 * event time (the engine's watermark, or the event's own ts when newer). call_hash: the
 * hash_string of event->call_id (read for events that name a call), and operator_hash:
 * binding_operator_hash(event), hashed once by the caller for every look-up of the event.
 */
enum event_reject binding_admit(struct binding *binding, const struct config *config,
				const struct event *event, uint64_t call_hash,
				uint64_t operator_hash, const struct binding_sender *sender,
				int64_t now_ms, struct binding_admission *admitted, char *why,
				size_t why_size);

/** Bind what binding_admit admitted, right after it. A duplicate (the engine's duplicate
 * filter drops it, so the tracker never sees it) binds no call: a resent call_start and
 * call_end of a call completed already would otherwise leave an owner whose events the
 * tracker never applies (binding_call_event_applied), refusing every other source's events
 * for the id for tracker.max_call_seconds. arrival: the event's arrival number (the engine's
 * order of the events it takes), never below an event's bound before: an owner bound afresh
 * counts the id's events from its first arrival on, not those of an owner gone before it. */
void binding_bind(struct binding *binding, const struct config *config,
		  const struct binding_admission *admitted, bool duplicate, uint64_t arrival);

/** True when none of sender's events may be said (unlisted_sources: reject, not listed):
 * binding_admit refuses them all as source_not_allowed, recording nothing. */
bool binding_refuses_source(const struct config *config, const struct binding_sender *sender);

/** The hash binding_admit looks the event's operator up by (its agency and operator_id; 0
 * when it names none and introduces none): a pure function of the event. */
uint64_t binding_operator_hash(const struct event *event);

/** A hint ahead of binding_admit with these hashes: fetch the slots it will look at first. */
void binding_prefetch(const struct binding *binding, const struct event *event,
		      uint64_t call_hash, uint64_t operator_hash);

/* The per-sender limits whose refusals open an episode. */
enum binding_limit {
	BINDING_LIMIT_NEW_OPERATORS, /* tracker.max_new_operators_per_source_per_hour */
	BINDING_LIMIT_OPEN_CALLS,    /* tracker.max_open_calls_per_source */
	BINDING_LIMITS
};

/* A sender refused under a limit: the episode of its "limit" system alert. */
struct binding_episode {
	const char *sender; /* its name, "" for the connections without a hello */
	enum binding_limit limit;
	uint64_t refused; /* events refused from it under that limit, in all */
};

/** A sender in plain words: "feed source cad-2", or (sender "") "the connections without a
 * hello". */
void binding_describe_sender(const char *sender, char *out, size_t size);

/** The sender's refusals under limit, after binding_admit refused one of its events. */
void binding_refusals(const struct binding *binding, const struct binding_sender *sender,
		      enum binding_limit limit, struct binding_episode *out);

/** The sender holding the most calls bound (ties: the one whose newest call or call-taker came
 * last, then the first by name): true with its name (valid until the next binding call) and
 * count, false when none holds one. O(senders). */
bool binding_top_caller(const struct binding *binding, const char **sender, uint32_t *calls);

/** Whose calls go first when a full table of calls must evict (audit F3): the top caller
 * (binding_top_caller) when two senders or more hold calls; NULL when at most one does (all
 * alike, oldest first). Valid until the next binding call. O(senders). */
const char *binding_evict_victim(const struct binding *binding);

/** The sender owning the most operators in the owner table (ties: the one whose newest call or
 * call-taker came last, then the first by name) and how many, false when none owns one.
 * *sender valid until the next binding call. O(senders). */
bool binding_top_operator_owner(const struct binding *binding, const char **sender,
				 uint32_t *operators);

/** Whose operators go first when a full table of operators must evict (audit F9): the top
 * owner (binding_top_operator_owner) when two senders or more own operators; NULL when at most
 * one does (all alike). Valid until the next binding call. O(senders). */
const char *binding_operator_evict_victim(const struct binding *binding);

/** The tracker dropped the call, evicted (its table full, or a reload shrinking it) or expired
 * (stale under tracker.max_call_seconds): its owner is forgotten too (counted in calls_evicted
 * when evicted), so that both tables keep the same calls: the binding's one way of forgetting
 * the owner of a call the tracker holds. */
void binding_evict_call(struct binding *binding, const char *call_id, uint64_t call_hash,
			bool expired);

/** The tracker applied one of the call's events (whatever its result; arrival: the one
 * binding_bind had): one event fewer waiting. The owner is forgotten once none waits unless
 * tracker_holds (a call of the id open in the tracker after the event). An event that arrived
 * before the owner's first (counted by an owner of the id evicted, expired or whose time was
 * up while it waited) is not one of this owner's (rev10c C2): its count stays, but it goes if
 * that is 0 and the event left no call of the id held. Bounded: at
 * 255 events waiting at once (an id named that often within the reorder window) the count
 * stops, counted in calls_owed_capped, and no application forgets the owner: it is kept until
 * its time is up (tracker.max_call_seconds), or forgotten first when a full table makes room
 * once none of its calls is held, never early. One look-up per call event. */
void binding_call_event_applied(struct binding *binding, const char *call_id, uint64_t call_hash,
				uint64_t arrival, bool tracker_holds);

/* An event waiting in the restored reorder buffer that the binding counts to its call's owner
 * (event_names_call): its call (call_id valid during binding_restore_waiting) and arrival. */
struct binding_waiting {
	uint64_t call_hash;
	uint64_t arrival;
	const char *call_id;
};

/** After binding_load of a snapshot of format: waiting[0..count) (in any order: sorted here,
 * their call hashes made table_key_hash's),
 * the restored reorder buffer's events binding_waiting says; next_arrival, the arrival of the
 * next event bound. Each owner's events are those of its call_id. Before 15 (13 and 14 counted
 * no events waiting): each owner's counted from them (all its own; 255 or more counted in
 * calls_owed_capped), its first arrival the oldest's, and the owners nothing holds (none
 * waiting, no call of the id held: the holder's answer) forgotten. 15 (no first arrival
 * saved): the owner's first arrival is that of the oldest of the newest events_waiting of its
 * id's (an earlier owner's were bound before it; at 255 the id's oldest). An owner none of
 * whose events waits takes next_arrival. -EINVAL (inconsistent) when a count below 255 is more
 * than the buffer holds of its id (15) or is not the number of its id's events since its first
 * arrival (16, whose first arrival is not past next_arrival), or an owner nothing holds was
 * saved (15, 16). The holder's done is the caller's. */
int binding_restore_waiting(struct binding *binding, struct binding_waiting *waiting,
			    uint32_t count, uint32_t format, uint64_t next_arrival);

/** Is the operator owned by owner, or not bound at all (its owner forgotten or evicted)? */
bool binding_operator_owned_by(const struct binding *binding, const char *agency,
			       const char *operator_id, const char *owner);

/** Is the call (call_hash its hash_string) owned by owner, or not bound at all (its owner
 * forgotten or evicted)? */
bool binding_call_owned_by(const struct binding *binding, const char *call_id,
			   uint64_t call_hash, const char *owner);

/** Refusal episodes still open. */
uint32_t binding_open_episodes(const struct binding *binding);

/**
 * Close one episode whose last refusal is quiet_ms or more before now_ms: true with *out
 * filled (valid until the next call), false when there is none.
 */
bool binding_settle(struct binding *binding, int64_t now_ms, int64_t quiet_ms,
		    struct binding_episode *out);

const struct binding_stats *binding_stats(struct binding *binding);
/** Add every eviction counted from now on to *moves too (moves.h; NULL: no longer). */
void binding_count_moves(struct binding *binding, uint64_t *moves);

struct codec_writer;
struct codec_reader;

void binding_save(const struct binding *binding, struct codec_writer *writer);
/** Load what binding_save wrote into a new gate of the same bounds, in an engine snapshot of
 * format (13 and 14 saved no events waiting, 15 no first arrival: binding_restore_waiting
 * makes them). 0, -EINVAL or -ENOMEM. */
int binding_load(struct binding *binding, struct codec_reader *reader, uint32_t format);

#endif
