/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CLOCKS_H
#define CADMON_CLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/*
 * Event time per source (docs/detection.md, "Time"). Each source — a feed's named source, a
 * connection, or the one unnamed stream — has its own clock: the newest ts accepted from it.
 * A source is *fresh* while it was heard (a line, or a hello) within idle_ms of the newest
 * host time (without a host clock every source heard is fresh), and *held* while it is fresh,
 * not behind the center, and at most max_lag_ms behind the lead (the newest clock of the fresh
 * sources); with a host clock, a source without a clock only within idle_ms of its first
 * sight (since_ms), and a source behind (behind_since_ms) for at most max_behind_ms. The
 * center releases events up to the oldest clock of the held sources, so that a slow source is
 * waited for and a source further behind is judged on its own. Bounded:
 * max_sources entries, the source heard of least recently forgotten when full (counted). Pure:
 * no I/O.
 */

/* Longest source key: a hello's source (EVENT_ID_MAX bytes), or "#" and a connection number. */
#define CLOCKS_NAME_MAX (EVENT_ID_MAX + 1)

/* One source's clock and counters. */
struct clocks_source {
	char name[CLOCKS_NAME_MAX + 1];
	int64_t newest_ms;   /* newest ts accepted; INT64_MIN before the first */
	int64_t heard_ms;    /* reference time of its last line (INT64_MIN: never) */
	int64_t since_ms;    /* reference time it was first heard without a clock (INT64_MIN:
			      * never): heartbeats do not move it */
	uint64_t lines;      /* lines offered, rejected ones included */
	uint64_t events;     /* events accepted */
	uint64_t late;       /* accepted while held back no more: judged on their own */
	uint64_t future;     /* rejected: ts too far ahead */
	uint64_t too_late;   /* rejected: older than its own clock allows */
	uint64_t bad_seq;    /* rejected: seq jumped too far */
	uint64_t duplicates; /* resends recognized and dropped */
	uint64_t restarts;   /* its sender restarted its numbering */
	int64_t future_ms;   /* reference time of its last "future" rejection while clock_ahead
			      * is open (INT64_MIN: none) */
	int64_t restarted_ms; /* reference time of its last restart while sender_restarted is
			       * open (INT64_MIN: none) */
	int64_t behind_since_ms; /* host time its clock was first found, at an event, more than
				  * max_behind_ms behind the host and every other source, and
				  * has been at each of its events since (INT64_MIN: not
				  * behind) */
	int64_t behind_ms;   /* host time of its last event while clock_behind is open
			      * (INT64_MIN: none) */
	int64_t too_late_ms; /* reference time of its last "too_late" rejection while
			      * events_too_late is open (INT64_MIN: none) */
	int64_t refused_since_ms; /* host time of its first line refused since its last line
				   * taken (INT64_MIN: none): feed_rejecting's run (lib/engine.c);
				   * a heartbeat or a hello does not end it */
	bool rejecting;       /* feed_rejecting is open (lib/engine.c; false when claimed) */
	bool seq_rejected;    /* seq_rejected is open (lib/engine.c; false when claimed) */
	/* a recording's (cadmon-backtest; not saved: it takes no snapshot) newest numbered line
	 * the engine refused (e.g. as future) after its numbering took it: seq and ts, so that
	 * a resend of it is a resend, not a restart (lib/engine.c) */
	bool refused_numbered;
	uint64_t refused_seq;
	int64_t refused_ts_ms;
};

/* Where the center may release events: everything older than center_ms, and events at
 * center_ms of sources named at most tie_name; everything when nothing is held. tie_name is
 * that source's own name in the table (valid until a source is added or forgotten; "" when
 * nothing is held): no copy for every line. */
struct clocks_center {
	bool any_held;
	int64_t center_ms;
	const char *tie_name;
};

struct clocks;

/** NULL on allocation failure. */
struct clocks *clocks_new(uint32_t max_sources);
void clocks_free(struct clocks *clocks);

/* A source about to be forgotten to make room (max_sources known): what it held ends. */
typedef void (*clocks_forget_fn)(struct clocks_source *source, void *ctx);

/** Call fn (NULL: nothing) with each source clocks_get forgets to make room, before it goes;
 * clocks_resize forgets without it. fn must not call back into clocks. */
void clocks_set_forget(struct clocks *clocks, clocks_forget_fn fn, void *ctx);

/* Is the source one the configuration lists (kept before the others when room is made)? */
typedef bool (*clocks_listed_fn)(const char *name, void *ctx);

/** Room is made (clocks_get) by forgetting the source heard of least recently among those fn
 * (NULL: none) does not list; a listed one only when every source is listed.
 * So sources that invent names cannot push a configured one out, least of all a silent one.
 * fn must not call back into clocks. */
void clocks_set_listed(struct clocks *clocks, clocks_listed_fn fn, void *ctx);

/** The source named name ("" for the unnamed stream), added when new. Never NULL. Its clocks
 * (newest_ms, heard_ms) are written through this pointer before the next clocks_center. */
struct clocks_source *clocks_get(struct clocks *clocks, const char *name);

/** The source named name, or NULL. */
const struct clocks_source *clocks_find(const struct clocks *clocks, const char *name);

/** Remove the source named name, not counted as forgotten (its connection closed). True when
 * it was known. */
bool clocks_drop(struct clocks *clocks, const char *name);

/** Source was heard at reference time heard_ms (a line, a hello, a heartbeat): heard_ms, and
 * since_ms when it has no clock yet and had none. */
void clocks_heard(struct clocks_source *source, int64_t heard_ms);

/** source (one of clocks') took a newer newest_ms: the engine tells after each such write,
 * for clocks_newest_other's kept answer. */
void clocks_newest_moved(struct clocks *clocks, const struct clocks_source *source);

/** Newest ts accepted from any source other than except (NULL: any); INT64_MIN if none. */
int64_t clocks_newest_other(const struct clocks *clocks, const struct clocks_source *except);

/** The oldest clock at or after from_ms of the sources with one (INT64_MAX if none): each
 * source's events before its own clock less the lateness are refused, so no event still to come
 * from these sources is older than this less the lateness. O(sources). */
int64_t clocks_oldest(const struct clocks *clocks, int64_t from_ms);

/** Is source fresh at reference now_ms? (now_ms INT64_MIN: no host clock, always fresh.) */
bool clocks_fresh(const struct clocks_source *source, int64_t now_ms, int64_t idle_ms);

/* What decides whether a source is held. */
struct clocks_bounds {
	int64_t now_ms;     /* newest host time (INT64_MIN: no host clock) */
	int64_t idle_ms;    /* feed.source_idle_seconds */
	int64_t max_lag_ms; /* tracker.max_source_lag_seconds */
	int64_t max_behind_ms; /* tracker.max_source_behind_seconds (0: no such bound) */
	int64_t center_ms;  /* the center clock: a source behind it is judged on its own */
};

/**
 * Is source held: fresh, not behind (behind_since_ms) for more than max_behind_ms, and either
 * announced (a hello) without a clock yet (with a host clock: for idle_ms after it was first
 * heard), or neither behind the center nor more than max_lag_ms behind the lead?
 */
bool clocks_held(const struct clocks *clocks, const struct clocks_source *source,
		 const struct clocks_bounds *bounds);

/** How far source is behind the newest clock of all sources (0 for it, or without a clock). */
int64_t clocks_lag_ms(const struct clocks *clocks, const struct clocks_source *source);

/**
 * The release point: the oldest clock of the held sources (INT64_MIN while one held source
 * has none yet). Kept between calls and brought up to date from the sources clocks_get handed
 * out since the last call (and the one it handed out last), so a source's newest_ms and
 * heard_ms are written only through the pointer of a fresh clocks_get. Debug builds check the
 * kept center against a pass over every source (an invariant).
 */
void clocks_center(struct clocks *clocks, const struct clocks_bounds *bounds,
		   struct clocks_center *out);

/** Sources known, and the i-th of them (0 <= i < count), in no particular order. */
size_t clocks_count(const struct clocks *clocks);
const struct clocks_source *clocks_at(const struct clocks *clocks, size_t i);

/** Sources forgotten because max_sources were known. */
uint64_t clocks_evicted(const struct clocks *clocks);
/** Where that count is kept (as long as clocks is): the engine's limits read it there. */
const uint64_t *clocks_evicted_counter(const struct clocks *clocks);
/** Add every eviction counted from now on to *moves too (moves.h; NULL: no longer). */
void clocks_count_moves(struct clocks *clocks, uint64_t *moves);

struct codec_writer;
struct codec_reader;

/** Change the bound, keeping the most recently heard, those listed (NULL: none; e.g. by the new
 * configuration) lists before the others as clocks_set_listed says (the others forgotten,
 * counted, without the forget function). listed must not call back into clocks. 0 or
 * -ENOMEM. */
int clocks_resize(struct clocks *clocks, uint32_t max_sources, clocks_listed_fn listed,
		  void *ctx);
void clocks_save(const struct clocks *clocks, struct codec_writer *writer);
/** The sources' events_too_late times (format 18, after the rest of the snapshot). */
void clocks_save_too_late(const struct clocks *clocks, struct codec_writer *writer);
/** Read them back into the loaded table: 0, or -EINVAL (an unknown source, one twice). */
int clocks_load_too_late(struct clocks *clocks, struct codec_reader *reader);

/** Load what clocks_save wrote into clocks of the same bound. 0 or -EINVAL. */
int clocks_load(struct clocks *clocks, struct codec_reader *reader);

#endif
