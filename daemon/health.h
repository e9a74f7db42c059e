/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_HEALTH_H
#define CADMOND_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "engine.h"

/*
 * Health: what only the daemon can see, on the wall clock, that means cadmon is not watching
 * the floor as it should — and the supervisors must be told on the alert stream.
 *
 *  - Feed silence: a feed source (its hello name, else its peer's host) that was sending and
 *    has sent nothing for feed.silence_seconds raises a feed_silent system alert, resolved
 *    when it sends again. A source is watched from its first line the engine took (not a
 *    name that only sent refused lines: invented names cannot fill the list), up to
 *    feed.max_sources (the one heard of least recently and not silent is forgotten first,
 *    of the sources sources: does not list; a listed one only to make room for another listed
 *    one, so invented names cannot push a configured CAD out; a source not watched when none
 *    can go: both counted and logged, rate-limited; a full list means the engine's clocks,
 *    also feed.max_sources, are full too, which its feed.max_sources limit alert tells). A
 *    reload that makes feed.max_sources smaller keeps the listed sources (by the new
 *    sources:) before the others, then the ones heard of most recently. A silent source
 *    whose alert the engine resolved (it forgot the source's clock) is forgotten here too; so
 *    is a silent named source whose clock the engine had forgotten before it went silent
 *    (nothing else would resolve its feed_silent): resolved, saying why.
 *  - A degraded journal raises a journal_degraded system alert, resolved when it recovers.
 *  - Tables that evict (engine_limit_key) are logged, rate-limited per log.rate_limit_seconds;
 *    the engine itself raises their "limit" system alerts.
 *
 * After a restart the engine may hold alerts raised before it: a recovered journal_degraded
 * alert is resolved at the first tick if the journal is fine, a recovered feed_silent alert
 * as soon as its source sends.
 *
 * Each raise and resolve is a control line (lib/control.h) handed to the daemon's control
 * function, which journals it and applies it to the engine: recovery replays it.
 * Checks run once a second (health_tick).
 */

/* Applies a control line: the daemon journals it, then the engine takes it. */
typedef void (*health_control_fn)(void *ctx, const struct control *control);

/* Whether the engine has the system alert (system, key) open: what a restart recovered. */
typedef bool (*health_open_fn)(void *ctx, const char *system, const char *key);

/* Whether the engine holds a clock for the named feed source (engine_holds_clock). */
typedef bool (*health_clock_fn)(void *ctx, const char *source);

/* Whether the configuration's sources: lists the named feed source (config_lists_source): after
 * a reload, the new configuration's. */
typedef bool (*health_listed_fn)(void *ctx, const char *source);

struct health_settings {
	uint32_t silence_seconds;      /* feed.silence_seconds; 0 = off */
	uint32_t max_sources;          /* feed.max_sources */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds */
};

struct health_stats {
	uint32_t sources;           /* feed sources watched now */
	uint32_t silent;            /* of which silent now */
	uint64_t silences;          /* feed_silent alerts raised */
	uint64_t sources_forgotten; /* table full: max_sources, a watched source forgotten */
	uint64_t sources_unwatched; /* table full: a new one not watched (every source it could
				     * take the place of is silent, or listed and it is not) */
	bool journal_degraded;      /* announced as degraded now */
};

struct health;

/** NULL on allocation failure. */
struct health *health_new(const struct health_settings *settings, health_control_fn control,
			  health_open_fn is_open, health_clock_fn holds_clock,
			  health_listed_fn listed, void *ctx);
void health_free(struct health *health);

/** New settings (a reload); the source table keeps its entries that fit (listed asked again
 * first: it answers by the new configuration). 0 or -ENOMEM. */
int health_update(struct health *health, const struct health_settings *settings);

/**
 * A feed line from source ("" when the connection named none: then its peer's host counts),
 * at now_ms (monotonic), taken or not: a watched source is fresh again (a silent one is
 * resolved at once). One not watched yet is not watched for it.
 */
void health_heard(struct health *health, const char *source, const char *peer, int64_t now_ms);

/** A feed line of source the engine took (an event, or a resend): as health_heard, and the
 * source is watched from now on. */
void health_admitted(struct health *health, const char *source, const char *peer,
		     int64_t now_ms);

/**
 * Once a second: silences at now_ms (monotonic), the journal's state, evictions in stats to
 * log.
 */
void health_tick(struct health *health, int64_t now_ms, bool journal_degraded,
		 const char *degraded_reason, const struct engine_stats *stats);

/** "evicting: tracker.max_operators 12, ..." for STATUS=, or "" when no table evicted. */
void health_status_text(const struct health *health, const struct engine_stats *stats, char *out,
			size_t size);

const struct health_stats *health_stats(const struct health *health);

#endif
