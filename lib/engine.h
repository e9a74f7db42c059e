/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ENGINE_H
#define CADMON_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "binding.h"
#include "clocks.h"
#include "config.h"
#include "detector.h"
#include "event.h"
#include "tracker.h"

/*
 * The engine is the whole pipeline in one object: feed line -> parser -> per-source clock and
 * guard -> reorder buffer (the center clock) -> call tracker -> detector -> alert. The daemon,
 * the backtester and the tests all drive it the same way, so the same lines (with the same
 * host times, when there are any) always produce the same alerts, byte for byte. The time
 * model is docs/detection.md, "Time".
 */

struct engine_stats {
	uint64_t lines;                          /* lines offered, including rejected ones */
	uint64_t events;                         /* lines accepted as events, duplicates too */
	uint64_t rejects[EVENT_REJECT_COUNT];    /* rejected lines, by reason */
	/* events seen before (same source+seq, event_id, or type+call_id+ts): ignored */
	uint64_t duplicates;
	uint64_t sources_evicted;                /* feed sources forgotten: max_sources */
	uint64_t dedupe_evicted;                 /* fingerprints forgotten: max_dedupe_events */
	uint64_t alerts_unencodable;             /* alerts lost to allocation failure */
	uint64_t controls;                       /* control lines applied (acks, system) */
	uint64_t controls_rejected;              /* control lines refused (bad, no such alert) */
	uint64_t system_alerts_dropped;          /* system alerts not raised: table full */
	uint64_t late_events;                    /* events judged alone: their source lagged */
	uint64_t reorder_overflows;              /* events released early: max_reorder_events */
	uint64_t restarts;                       /* senders that restarted their numbering */
	uint64_t clocks_evicted;                 /* source clocks forgotten: max_sources */
	uint32_t buffered;                       /* events waiting in the reorder buffer now */
	uint32_t open_calls;                     /* calls open now */
	struct tracker_stats tracker;
	struct detector_stats detector;
	struct binding_stats binding; /* what the sources may say: owners and new-operator counts */
};

/* Called for every alert, with the alert and its encoded JSON line (no newline). */
typedef void (*engine_alert_fn)(const struct alert *alert, const char *json, size_t json_len,
				void *ctx);

/* Called for every completed call the detector accepted, with its verdict: lets a backtest
 * draw timelines without the detector keeping history. */
typedef void (*engine_call_fn)(const struct completed_call *call, bool premature, void *ctx);

/* What became of one line. */
struct engine_verdict {
	enum event_reject reject; /* EVENT_OK, or why the line was rejected */
	bool duplicate;           /* a resent event, recognized and ignored */
	bool has_seq;             /* the line carried a "seq" (even if rejected later) */
	bool restarted;           /* its sender restarted its numbering (new epoch, or far below) */
	bool late;                /* accepted, but its source lags: judged on its own */
	bool counted_line;        /* counted in engine_stats lines (not a blank line) */
	bool counted_event;       /* counted in engine_stats events (accepted) */
	uint64_t seq;
	/* detail of a rejection, "" otherwise; last: a line clears the fields before it and its
	 * first byte only */
	char why[256];
};

struct engine;

/** Create an engine for config (copied). NULL on allocation failure. */
struct engine *engine_new(const struct config *config, engine_alert_fn on_alert, void *ctx);
void engine_free(struct engine *engine);

/** Observe every completed call (NULL to stop). */
void engine_set_call_observer(struct engine *engine, engine_call_fn on_call, void *ctx);

/**
 * Process one feed line (without its "\n"). Blank lines are ignored (not counted) and return
 * EVENT_OK.
 * On rejection returns the reason, with detail in why (NUL-terminated), and counts it.
 */
enum event_reject engine_process_line(struct engine *engine, const char *line, size_t len,
				      char *why, size_t why_size);

/**
 * Process one feed line from a named source ("" or NULL when the feed gave no name), without
 * a host clock (engine_process_from). An event carrying a seq at or below the highest
 * processed from the same source is a resend: ignored and counted as a duplicate. Every field
 * of *verdict is set.
 */
void engine_process(struct engine *engine, const char *source, const char *line, size_t len,
		    struct engine_verdict *verdict);

/* No host clock: the engine then takes the newest ts of the other sources, or of the event's own
 * source when later, as the reference. */
#define ENGINE_NO_TIME INT64_MIN

/* Where a line came from (docs/detection.md, "Time"). */
struct engine_origin {
	const char *source;  /* its clock's key: the hello's source, or one per connection;
			      * NULL or "" for the one unnamed stream */
	bool named;          /* source is the hello's: seq resends and epochs apply */
	const char *epoch;   /* the hello's epoch; NULL or "" when none */
	bool first_of_connection; /* no numbered line came before on its connection */
	bool recording;      /* a recording's line (cadmon-backtest): a named source's seq at or
			      * below its highest restarts its numbering on a line newer than
			      * every line of it accepted (no epochs, no connections) */
	bool closed;         /* with an empty line: source's connection (not named) closed */
	int64_t received_ms; /* host time it arrived, or ENGINE_NO_TIME */
};

/**
 * Process one feed line from origin. An empty line (len 0) from a source with a host time
 * announces the source (its hello): it holds back the center until it sends or falls idle
 * (without an event, for feed.source_idle_seconds after it was first heard); with
 * origin->closed, the connection of a source without a hello closed: its clock is dropped
 * when nothing of it waits in the reorder buffer, and its clock_ahead and clock_behind
 * notices resolved.
 * Its own clock judges lateness; the future guard rejects a ts more than
 * feed.max_future_seconds ahead of received_ms (without a host clock: of the newest ts of the
 * other sources, or its own source's when later, plus tracker.max_source_lag_seconds; no guard
 * when there are no others, or when disabled).
 * An accepted event of a held source waits in the reorder buffer until the center clock
 * reaches it; one of a source that lags is processed at once, in its own time. Every field
 * of *verdict is set.
 */
void engine_process_from(struct engine *engine, const struct engine_origin *origin,
			 const char *line, size_t len, struct engine_verdict *verdict);

/*
 * engine_process_from in two steps: engine_parse reads one line into a struct engine_parsed
 * without touching any engine (its only state is the parser given, one per thread), and
 * engine_apply applies it to the engine with its origin. engine_process_from is exactly
 * engine_parse then engine_apply, so the lines of a replay can be parsed on one thread and
 * applied, in their order, on another with the same result, counters and reasons included.
 */
struct engine_parsed {
	bool empty;               /* len 0: with a source and a host time, a hello */
	bool blank;               /* nothing but blanks (or empty): ignored, not counted */
	enum event_reject reject; /* EVENT_OK, or why the parser refused the line */
	uint64_t call_hash;       /* hash_string of event.call_id (0: names no call, or refused) */
	uint64_t operator_hash;   /* binding_operator_hash of event (0: refused) */
	uint64_t fingerprint;     /* event_fingerprint_hashed of event (0: refused) */
	struct event event;       /* as the parser left it (has_seq and seq even when refused) */
	char why[256];            /* the parser's detail of a refusal; "" otherwise */
};

/** Parse line[0..len) with parser (event.h) into *out. Reads and writes nothing else. */
void engine_parse(struct event_parser *parser, const char *line, size_t len,
		  struct engine_parsed *out);

/** Apply a line engine_parse read, from origin: engine_process_from's state step. Every field
 * of *verdict is set. */
void engine_apply(struct engine *engine, const struct engine_origin *origin,
		  const struct engine_parsed *parsed, struct engine_verdict *verdict);

/** A hint, nothing else: fetch into the cache the table slots engine_apply of parsed will look
 * at first (the duplicate filter's, the binding's, the open call's), for a line that will be
 * applied a little later (a replay's, handed over ahead). Changes nothing, reads the tables'
 * sizes only: engine_apply gives the same result whether it was called or not. */
void engine_prefetch(const struct engine *engine, const struct engine_parsed *parsed);

/** The second step of the same hint, a record later (engine_prefetch's slots are in the cache
 * by then): for a call_end, what completing its call will look at (the call-taker's state in
 * the detector, the caller's slot among the recent callers). Changes nothing. */
void engine_prefetch_call(const struct engine *engine, const struct engine_parsed *parsed);

/**
 * The host clock moved on (received_ms) without a line: sources silent for
 * feed.source_idle_seconds stop holding back the others, so buffered events may be released.
 * Journal it like a line, so that a replay releases them at the same point.
 */
void engine_tick(struct engine *engine, int64_t received_ms);

/** Release every buffered event, as if every source had gone quiet (end of a backtest). */
void engine_flush(struct engine *engine);

/** The end of a backtest's input, after engine_flush: updates that wait for the next second of
 * event time (at most one a second per alert) go out now instead of never (detector.h). */
void engine_flush_updates(struct engine *engine);

/** Turn the future guard off (cadmon-backtest --no-future-guard) or on again. */
void engine_set_future_guard(struct engine *engine, bool enabled);

/**
 * Reject as future any event newer than ceiling_ms (INT64_MAX: no ceiling), whatever the
 * reference: recovery replays journal lines recorded without their host time under the
 * guard of the recovery's own clock.
 */
void engine_set_future_ceiling(struct engine *engine, int64_t ceiling_ms);

/* One source as STATUS=, logs and reports show it. */
struct engine_source_info {
	struct clocks_source clock; /* name, newest ts, counters */
	int64_t lag_ms;             /* behind the newest source */
	bool held;                  /* its events are merged in ts order with the others' */
};

/** Sources known (at most feed.max_sources), and the i-th (0 <= i < count): in the order first
 * heard, until one is forgotten. */
size_t engine_source_count(const struct engine *engine);
void engine_source_at(const struct engine *engine, size_t i, struct engine_source_info *out);

/** The center clock: ts of the newest event released in order (INT64_MIN before the first). */
int64_t engine_center_ms(const struct engine *engine);

/** Count a line rejected before it reached the engine (e.g. too long for the feed buffer). */
void engine_count_reject(struct engine *engine, enum event_reject reason);

/** Current counters (the detector's included). */
const struct engine_stats *engine_stats(struct engine *engine);

/**
 * Go on numbering alerts after delivered_through: the next alert's seq is above it (and above
 * any seq the engine used already). What a recovery calls with the highest seq its journal
 * holds, so that a seq once delivered is never reused.
 */
void engine_continue_seq(struct engine *engine, uint64_t delivered_through);

/** The newest ts accepted from any source (INT64_MIN before the first event). */
int64_t engine_watermark_ms(const struct engine *engine);

/**
 * Apply a new configuration without losing open calls, windows, CUSUM statistics, open
 * alerts or resend memory (see detector_reconfigure for how rules are matched).
 * 0 or -ENOMEM.
 */
int engine_reconfigure(struct engine *engine, const struct config *config);

/* ---- acknowledgements, system alerts and the board (docs/protocol.md) ---- */

struct control;

/* The bounded tables whose evictions raise "limit" system alerts (engine_limit_key). */
#define ENGINE_LIMIT_COUNT 10
/* Room for any engine_limit_advice. */
#define ENGINE_LIMIT_ADVICE_MAX 160

/** The configuration key of limit i ("tracker.max_operators"...), "" beyond the count. */
const char *engine_limit_key(size_t limit);

/** What to do when limit i is hit, into out: "raise KEY", or what else it means first (for
 * tracker.max_call_seconds: a call_end probably lost). The limit alert's last words. */
void engine_limit_advice(size_t limit, char *out, size_t size);

/** Entries evicted so far from limit i's table, per stats. */
uint64_t engine_limit_evicted(const struct engine_stats *stats, size_t limit);

/**
 * Check a parsed control (control.h) against the state before journaling it: 0, or -ENOENT
 * with "no open alert ID" in why for an ack of no open alert.
 */
int engine_control_check(const struct engine *engine, const struct control *control, char *why,
			 size_t why_size);

/**
 * Apply a control line (control.h) taken at ts_ms (the daemon's wall clock, from the journal
 * on replay): an ack gives an "acknowledged" notice (with "repeat" the second time), a system
 * line raises or resolves a system alert, through the alert callback with the next seq.
 * 0, or -EINVAL / -ENOENT with what is wrong in why (nothing applied).
 */
int engine_control(struct engine *engine, const char *line, size_t len, int64_t ts_ms, char *why,
		   size_t why_size);

/* Receives one board line (JSON, no newline). */
typedef void (*engine_line_fn)(const char *line, size_t len, void *ctx);

/**
 * The open-alert board: {"board":"begin","seq":S,"open":K}, K "open" lines (operator alerts
 * oldest first, then system alerts oldest first), {"board":"end",...}, through emit. Changes
 * nothing. Returns S, the seq of the newest notice the board reflects.
 */
uint64_t engine_board(struct engine *engine, engine_line_fn emit, void *ctx);

/** The seq of the newest notice (0: none). */
uint64_t engine_last_seq(const struct engine *engine);

/** True when the system alert of (system, key) is open, e.g. ("feed_silent", "cad-1"). */
bool engine_system_alert_open(const struct engine *engine, const char *system, const char *key);

/** Does the engine hold a clock for the feed source named source (feed.max_sources forgets
 * the one heard of least recently)? */
bool engine_holds_clock(const struct engine *engine, const char *source);

/**
 * The key of the oldest open system alert of system (e.g. "receiver_down", "limit") whose key
 * known(key, ctx) does not know, or NULL: the daemon resolves those of parts it no longer runs
 * (a receiver taken out of the configuration). Valid until the alerts change.
 */
const char *engine_unknown_system_alert(const struct engine *engine, const char *system,
					bool (*known)(const char *key, void *ctx), void *ctx);

/** Every operator tracked, with its figures per rule window (detector_each_operator). */
void engine_each_operator(const struct engine *engine, detector_operator_fn fn, void *ctx);

struct codec_writer;

/* The snapshot format engine_snapshot writes and engine_restore reads (docs/protocol.md,
 * "State directory"). */
#define ENGINE_SNAPSHOT_FORMAT 18
/* The oldest format engine_restore still reads (13: no call owner's count; 14: a count of
 * completions owed, not events waiting: both counted again from the reorder buffer; 15: no
 * owner's first arrival, made from the reorder buffer; 16: no repeat callers' sweep position,
 * the sweep from its first home; 17: no state_incomplete alert's refill time, none open). */
#define ENGINE_SNAPSHOT_FORMAT_OLDEST 13
/* How every reason engine_restore gives for want of memory begins: the snapshot is not damaged
 * (a recovery stops rather than set it aside). */
#define ENGINE_NO_MEMORY "out of memory"
/* Room for any reason engine_restore gives. */
#define ENGINE_WHY_MAX 320

/* What a snapshot's host says follows it in its journal (engine_snapshot_stamp.next). */
enum engine_snapshot_next {
	ENGINE_SNAPSHOT_NEXT_UNKNOWN = 0, /* not written by a journal (a tool, a test) */
	ENGINE_SNAPSHOT_NEXT_NONE = 1,    /* a clean stop: the last thing written, no record after
					   * it */
	ENGINE_SNAPSHOT_NEXT_SEGMENT = 2, /* records journal_index + 1 on go to a segment named
					   * after journal_index + 1, created before the snapshot */
};

/* The host's position, stamped into a snapshot: the engine only carries it. */
struct engine_snapshot_stamp {
	uint64_t journal_index; /* the last journal record the snapshot covers */
	enum engine_snapshot_next next;
};

/**
 * Append a snapshot of the whole state, with the configuration it runs and a CRC-32C, to
 * *writer. Restoring it and processing the same lines that followed gives the same alerts.
 * Its stamp is { 0, ENGINE_SNAPSHOT_NEXT_UNKNOWN }.
 */
void engine_snapshot(const struct engine *engine, struct codec_writer *writer);

/** engine_snapshot, with the host's stamp (read back by engine_snapshot_stamp). A streaming
 * writer (codec_writer_init_sink) must start empty; the caller flushes it after. */
void engine_snapshot_stamped(const struct engine *engine, const struct engine_snapshot_stamp *stamp,
			     struct codec_writer *writer);

/**
 * The stamp of a snapshot of a format engine_restore reads, into *stamp: 0, or -EINVAL when
 * the bytes are not one (another format, too short, an unknown next). The CRC is not
 * checked: read the stamp of a snapshot engine_restore accepted.
 */
int engine_snapshot_stamp(const void *snapshot, size_t len, struct engine_snapshot_stamp *stamp);

/**
 * The format of the snapshot in snapshot[0..len): ENGINE_SNAPSHOT_FORMAT, an older or newer
 * format number, or 0 when the bytes are not a cadmon snapshot at all. Lets a recovery tell a
 * snapshot of another version (replay the journal instead) from a damaged one.
 */
uint32_t engine_snapshot_format(const void *snapshot, size_t len);

/** Does engine_restore read snapshots of format (ENGINE_SNAPSHOT_FORMAT_OLDEST to
 * ENGINE_SNAPSHOT_FORMAT)? */
bool engine_snapshot_format_readable(uint32_t format);

/**
 * A new engine from a snapshot, then reconfigured to config (which may differ from the
 * snapshot's), or left on the snapshot's own configuration when config is NULL — what a
 * recovery wants: replay the journal's tail under the configuration it ran with, then
 * engine_reconfigure. NULL with the reason in why on a damaged snapshot or no memory (then
 * beginning ENGINE_NO_MEMORY).
 */
struct engine *engine_restore(const void *snapshot, size_t len, const struct config *config,
			      engine_alert_fn on_alert, void *ctx, char *why, size_t why_size);

#endif
