/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_DURABILITY_H
#define CADMOND_DURABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "replay.h"

/*
 * Durability: the daemon's journal in the event loop (README "Durability", docs/protocol.md).
 *
 * Every line a feed hands to the engine is first appended to the journal's batch (with the
 * engine's alerts after it). A commit event, made active when the batch gets its first record,
 * runs after every read callback and feed drain of the loop iteration (feed.h): it writes the
 * batch with one write(2), fsyncs per journal.fsync (batch: now; interval: at most every
 * fsync_interval_ms, from a timer; none: never), and then, the records being durable,
 * acknowledges the feeds and delivers the batch's alerts to subscribers. A batch over
 * DURABILITY_BATCH_MAX_BYTES is committed at once, before the next line. Segments rotate past
 * journal.segment_max_bytes or segment_max_seconds with a snapshot, and retention deletes what
 * nothing needs.
 *
 * When a write or fsync fails (ENOSPC, EIO, EFBIG...) the daemon is degraded: it stops
 * acknowledging (senders keep their events and resend them), keeps detecting and delivers
 * alerts from memory, and retries every DURABILITY_RETRY_SECONDS; when the disk takes a
 * snapshot again it starts a new segment, journals the alerts of the degraded period,
 * acknowledges everything and is back to normal.
 */

/* A batch is committed at once when it grows past this. */
#define DURABILITY_BATCH_MAX_BYTES (1u << 20)
/* While degraded, the disk is tried again this often. */
#define DURABILITY_RETRY_SECONDS 2
/* Alerts delivered while degraded are kept for the journal up to this many bytes. */
#define DURABILITY_BACKLOG_MAX_BYTES (16u << 20)

/* Where durable results go: the daemon's subscribers and feeds. */
struct durability_hooks {
	void (*deliver)(void *ctx, uint64_t seq, const char *json, size_t len); /* to subscribers */
	void (*acknowledge)(void *ctx, uint64_t durable_index);   /* UINT64_MAX: everything */
	void *ctx;
};

struct durability_stats {
	uint64_t commits;               /* batches written */
	uint64_t early_commits;         /* of those, at DURABILITY_BATCH_MAX_BYTES */
	uint64_t rotations;
	uint64_t degraded_periods;
	uint64_t lines_not_journaled;   /* lines and control lines processed while degraded */
	uint64_t alerts_not_journaled;  /* degraded-period alerts beyond the backlog bound */
	uint64_t alert_replay_unreadable;
	uint64_t commit_us_total;       /* time in write + fsync */
	uint64_t commit_us_max;
};

struct event_base;
struct durability;

/**
 * Open the state directory for config (statedir.h: created, locked). NULL with the reason in
 * why ("state directory /x is in use by another cadmond ...").
 */
struct durability *durability_new(struct event_base *base, const struct config *config,
				  const struct durability_hooks *hooks, char *why, size_t why_size);

/**
 * Recover (recovery.h) and start journaling: returns the engine (the caller owns it and
 * frees it before durability_free), with on_alert(ctx) receiving its alerts from now on.
 * NULL with the reason in why. A disk that cannot be written yet does not fail it: the
 * daemon starts degraded.
 */
struct engine *durability_recover(struct durability *durability, const struct config *config,
				  engine_alert_fn on_alert, void *ctx, char *why, size_t why_size);

/** Log what recovery did, and where the journal is. */
void durability_log_start(const struct durability *durability);

/**
 * Journal a feed line (as the engine will see it) before the engine processes it. Returns
 * its record index, 0 when degraded (not journaled).
 */
struct engine_origin;
uint64_t durability_append_line(struct durability *durability, const struct engine_origin *origin,
				const char *line, size_t len);

/**
 * Journal a control line (lib/control.h) taken at ts_ms (wall clock) before the engine applies
 * it. Returns its record index, 0 when degraded (not journaled).
 */
uint64_t durability_append_control(struct durability *durability, int64_t ts_ms, const char *line,
				   size_t len);

/** Journal a line the feed rejected without the engine (line_too_long). */
void durability_append_reject(struct durability *durability, enum event_reject reason);

/** The engine's alert: journal it, deliver it once durable (at once while degraded). */
void durability_on_alert(struct durability *durability, uint64_t seq, const char *json,
			 size_t len);

/**
 * After a reload: take the journal.* settings of config (all but the state directory, which
 * a restart changes), then write a snapshot and start a new segment, so that a replay starts
 * from the state the new tracker and detector settings were applied to.
 */
void durability_reconfigure(struct durability *durability, const struct config *config);

/** Shutdown: commit what is left (fsynced), deliver, end the segment with a snapshot. */
void durability_finish(struct durability *durability);

/** Degraded now? *reason (may be NULL) says why. */
bool durability_degraded(const struct durability *durability, const char **reason);

/** The alert history that subscribers replay from. */
const struct replay_history *durability_history(const struct durability *durability);

const struct durability_stats *durability_stats(const struct durability *durability);

struct journal_stats;

/** The journal files' own counters (bytes written, fsyncs, segments: journal.h). */
const struct journal_stats *durability_journal_stats(const struct durability *durability);

/** Free (the engine must be freed already). NULL is allowed. */
void durability_free(struct durability *durability);

#endif
