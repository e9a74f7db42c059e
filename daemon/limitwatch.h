/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* The daemon's limits that raise a "limit" system alert: connection slots (guard.h), notices
 * dropped for NATS (nats.h) or a receiver (receivers.h), i3 calls forgotten (i3_server.h),
 * feed lines too long (feed.h). */
#ifndef CADMOND_LIMITWATCH_H
#define CADMOND_LIMITWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "control.h"

/** Journal and apply a control line (cadmond_control). */
typedef void (*limitwatch_control_fn)(void *ctx, const struct control *control);
/** Whether the system alert (system, key) is open in the engine. */
typedef bool (*limitwatch_open_fn)(void *ctx, const char *system, const char *key);

struct limitwatch_hooks {
	limitwatch_control_fn control;
	limitwatch_open_fn is_open;
	void *ctx;
};

/* One limit's hits, kept by its owner. */
struct limitwatch {
	uint64_t hits;      /* connections refused, notices, calls or lines dropped so far */
	uint64_t announced; /* hits when the last tick looked */
	int64_t last_hit_ms; /* monotonic; the start of the quiet time for a recovered alert */
};

/** No hit yet; the quiet time of an alert a restart recovered starts at now_ms (monotonic). */
void limitwatch_init(struct limitwatch *watch, int64_t now_ms);

/** One more hit at now_ms (monotonic). */
void limitwatch_hit(struct limitwatch *watch, int64_t now_ms);

/** The hits so far are hits (a running total kept elsewhere); more than before: hit at now_ms. */
void limitwatch_count(struct limitwatch *watch, uint64_t hits, int64_t now_ms);

enum limitwatch_step {
	LIMITWATCH_NOTHING,
	LIMITWATCH_RAISED,   /* it hit since the last tick and its alert was not open */
	LIMITWATCH_RESOLVED, /* its alert was open and it hit nothing for quiet_seconds */
};

/**
 * Look at a limit once a tick: raise its "limit" alert (a CONTROL_CONNECTION_LIMIT line of
 * about's key, receiver and source, with the hits so far, journaled and applied through
 * hooks->control) when it hit since the last look and the alert is not open; resolve it once
 * it hit nothing for quiet_seconds (config_limit_quiet_seconds, the engine's rule:
 * detector.resolve_after_seconds, at least log.rate_limit_seconds, so that hits slower than the
 * log's limit, or within it with resolve_after_seconds 0, keep one alert open, not one raised
 * and resolved per hit). Recovery replays the journaled lines, so the alerts of a
 * replay are those of the live run.
 */
enum limitwatch_step limitwatch_tick(struct limitwatch *watch, const struct control *about,
				     uint32_t quiet_seconds, int64_t now_ms,
				     const struct limitwatch_hooks *hooks);

#endif
