/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_STORE_H
#define CADMOND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "replay.h"

/*
 * The store: the journal's driver in the daemon's event loop (README "Durability",
 * docs/protocol.md). It owns the state directory (statedir.h), the journal (journal.h) and
 * recovery at start (recovery.h), and holds alerts for the disk (alertbuf.h).
 *
 * Every line a feed hands to the engine is first appended to the journal's batch (with the
 * engine's alerts after it). A commit event, made active when the batch gets its first record,
 * runs after every read callback and feed drain of the loop iteration (feed.h): it writes the
 * batch with one write(2) and has it fsynced per journal.fsync. When the batch's lines came
 * from two or more sources (the engine's source keys: a named feed's hello name, so two
 * connections of one named CAD are one source) and it holds no alert, it puts the commit off
 * once, by one loop turn (a zero-timeout timer): the next iteration's reads go into the same
 * commit, fsync and acks.
 * The fdatasync runs on the journal's sync thread (syncer.h), one at a time, while the loop
 * goes on reading, processing and writing: batch starts one at once (with one in flight, hands
 * it to the thread as the next, which the thread starts as soon as that one returns, before the
 * loop hears of it: group commit without the loop's wake-up between fsyncs), interval at most
 * every fsync_interval_ms; none syncs no commit and counts the write as durable, but a segment of
 * 1 MiB or more (STORE_PRESYNC_MIN_BYTES, store.c) is fdatasync'd on the thread before its end
 * (the end's own fdatasync, on the thread too, then covers little). When an fdatasync returns, the
 * records written before it started are durable: the loop acknowledges the feeds up to them
 * and delivers their alerts to subscribers; the next fsync covers what was written since. At
 * most STORE_UNSYNCED_MAX_BYTES are written and not synced: past that the loop waits for the
 * sync in flight. A reload, the stop and a failure wait for it too (the next one handed over
 * dropped), then sync the rest in the loop. A rotation does not, and syncs nothing in the loop:
 * it goes on when the sync in flight (under none, the segment's own) returns, writes the
 * segment's end and creates the next segment, and hands their sync (the ended segment's
 * fdatasync, then the journal directory's fsync) to the idle thread, ahead of any sync of the
 * next segment: those release records only after it returned 0. Its snapshot's child runs the
 * same sync, on descriptors it opens itself, before its rename (a failure of it degrades the
 * store as a failed fsync), and the snapshot is trusted once both returned 0 (store.c, rotate,
 * writes down what a crash leaves after each step). A batch
 * over STORE_BATCH_MAX_BYTES is committed at once, before the next line. Segments rotate past
 * journal.segment_max_bytes or segment_max_seconds with a snapshot, and retention deletes what
 * nothing needs. A rotation's snapshot is written by a fork()ed child (streamed from its
 * copy-on-write image, fsynced, renamed) while the loop goes on in the next segment; the
 * journal learns of it, and retention runs, when the child's pipe says it is done. One child
 * at a time: another rotation (a segment full, its age, a reload's) is deferred until it is
 * done, the segment growing meanwhile; the degraded period's end and the last snapshot at
 * stop wait for it. A child whose snapshot fails degrades the store as a failed write does;
 * it never touches the sync thread's descriptors. Unless the kernel's THP mode is "never",
 * the daemon's anonymous memory is marked for transparent huge pages, so that the fork copies
 * a page-table entry per 2 MiB rather than per 4 KiB.
 *
 * When a write or fsync fails (ENOSPC, EIO, EFBIG...; an fsync on the sync thread too: the
 * segment is cut back to the last fsync that succeeded) the daemon is degraded: it stops
 * acknowledging (senders keep their events and resend them), keeps detecting and delivers
 * alerts from memory, and retries every STORE_RETRY_SECONDS; when the disk takes a
 * snapshot again it starts a new segment, journals the alerts of the degraded period,
 * acknowledges everything and is back to normal.
 */

/* A batch is committed at once when it grows past this. */
#define STORE_BATCH_MAX_BYTES	(1u << 20)
/* Written and not synced yet: past it after a commit (batch or interval), the loop waits for
 * the sync in flight and starts the next at once (store_stats' unsynced_bound_waits). Soft: it
 * is checked after each commit, so it can be passed by up to one commit's batch. It bounds the
 * alerts held for the fsync (alertbuf.h's pending) and what a slow disk lets the feeds run
 * ahead by. Fixed, not a key: 8 MiB is seconds of the fastest feeds, far above what a working
 * disk leaves unsynced (one fsync's worth), and only a disk slower than the feeds reaches it. */
#define STORE_UNSYNCED_MAX_BYTES (8u << 20)
/* While degraded, the disk is tried again this often. */
#define STORE_RETRY_SECONDS	2
/* Alerts delivered while degraded are kept for the journal up to this many bytes. */
#define STORE_BACKLOG_MAX_BYTES (16u << 20)

/* What the store is doing (store.c's set_state is the one place it changes). */
enum store_state {
	STORE_NORMAL,	/* journaling: alerts delivered and lines acknowledged once durable */
	STORE_DEGRADED, /* the disk failed: nothing journaled, alerts delivered from memory */
	STORE_STOPPING, /* store_finish ran: nothing is journaled any more */
};

/* Where durable results go: the daemon's subscribers and feeds. */
struct store_hooks {
	void (*deliver)(void *ctx, uint64_t seq, const char *json, size_t len); /* to subscribers */
	void (*acknowledge)(void *ctx, uint64_t durable_index);   /* UINT64_MAX: everything */
	void *ctx;
	/* The segment's fdatasync on the sync thread (syncer.h): NULL for fdatasync(2); the
	 * tests pass a slow or failing one. */
	int (*sync_file)(int fd);
	/* A rotation's work begins (due, no snapshot's child running, the sync thread idle: the
	 * last write, the segment's end, the next segment's creation, the fork; their syncs run
	 * on the thread): the daemon times its iteration from here, not from the epoll_wait
	 * before it. Once a rotation, twice under fsync none (its segment's fdatasync started on
	 * the thread, then the rest). May be NULL. */
	void (*rotation_begins)(void *ctx);
};

struct store_stats {
	uint64_t commits;               /* batches written */
	uint64_t early_commits;		/* of those, at STORE_BATCH_MAX_BYTES */
	uint64_t commits_put_off;	/* by one loop turn: lines of several sources (store.c) */
	uint64_t rotations;
	uint64_t snapshots_forked;	/* of those, written by a child (the others: fork() failed,
					 * written in the loop) */
	uint64_t degraded_periods;
	uint64_t lines_not_journaled;   /* lines and control lines processed while degraded */
	uint64_t alerts_not_journaled;  /* degraded-period alerts beyond the backlog bound */
	uint64_t alerts_synced_in_loop; /* no memory to hold them: journal synced in the loop */
	uint64_t alert_replay_unreadable;
	uint64_t commit_us_total;       /* the loop's time in the commits' writes */
	uint64_t commit_us_max;
	uint64_t syncs_in_background;	/* fdatasyncs on the sync thread */
	uint64_t sync_us_total;		/* their time, from start to the loop told of the end */
	uint64_t sync_us_max;
	uint64_t sync_waits;		/* of those, the loop waited for (rotation, reload, stop,
					 * a failure, STORE_UNSYNCED_MAX_BYTES) */
	uint64_t sync_wait_us_max;	/* the longest of those waits */
	uint64_t snapshot_stall_us_max; /* the loop's longest stall for a background snapshot:
					 * its fork, or a wait for the previous one's child */
	uint64_t snapshot_fork_us_max;	/* of those, the longest fork() */
	uint64_t snapshot_fork_cpu_us_max; /* the most CPU time a fork() took (the rest of its
					    * wall time other processes ran) */
	uint64_t rotations_deferred;	/* rotations due while the previous snapshot's child
					 * was still writing: done when it ends, not waited for */
	uint64_t unsynced_bound_waits;	/* commits that passed STORE_UNSYNCED_MAX_BYTES */
};

struct event_base;
struct store;

/**
 * Open the state directory for config (statedir.h: created, locked). NULL with the reason in
 * why ("state directory /x is in use by another cadmond ...").
 */
struct store *store_new(struct event_base *base, const struct config *config,
			const struct store_hooks *hooks, char *why, size_t why_size);

/**
 * Recover (recovery.h) and start journaling: returns the engine (the caller owns it and
 * frees it before store_free), with on_alert(ctx) receiving its alerts from now on.
 * NULL with the reason in why. A disk that cannot be written yet does not fail it: the
 * daemon starts degraded.
 */
struct engine *store_recover(struct store *store, const struct config *config,
			     engine_alert_fn on_alert, void *ctx, char *why, size_t why_size);

/** Log what recovery did, and where the journal is. */
void store_log_start(const struct store *store);

/**
 * Journal a feed line (as the engine will see it) before the engine processes it. Returns
 * its record index, 0 when degraded (not journaled).
 */
struct engine_origin;
uint64_t store_append_line(struct store *store, const struct engine_origin *origin,
			   const char *line, size_t len);

/**
 * Journal a control line (lib/control.h) taken at ts_ms (wall clock) before the engine applies
 * it. Returns its record index, 0 when degraded (not journaled).
 */
uint64_t store_append_control(struct store *store, int64_t ts_ms, const char *line, size_t len);

/** Journal a line the feed rejected without the engine (line_too_long). */
void store_append_reject(struct store *store, enum event_reject reason);

/** The engine's alert: journal it, deliver it once durable (at once while degraded). */
void store_on_alert(struct store *store, uint64_t seq, const char *json, size_t len);

/**
 * An alert waits for the disk: write and fsync everything now, in the loop (after the fsync in
 * flight), and deliver and acknowledge it. For what shows the engine's state beside the
 * alerts (a board, the HTTP acknowledgement's reply), so that it never shows an alert before
 * it is durable. Nothing to do otherwise.
 */
void store_settle(struct store *store);

/**
 * After a reload: take the journal.* settings of config (all but the state directory, which
 * a restart changes), then write a snapshot and start a new segment, so that a replay starts
 * from the state the new tracker and detector settings were applied to.
 */
void store_reconfigure(struct store *store, const struct config *config);

/** Shutdown: commit what is left (fsynced), deliver, end the segment with a snapshot. */
void store_finish(struct store *store);

/** Degraded now? *reason (may be NULL) says why. */
bool store_degraded(const struct store *store, const char **reason);

/** The alert history that subscribers replay from. */
const struct replay_history *store_history(const struct store *store);

const struct store_stats *store_stats(const struct store *store);

struct journal_stats;

/** A snapshot's child is writing it (from the rotation's fork() to the loop told of its end):
 * the loop's iterations meanwhile pay the copy-on-write of every page they write. */
bool store_snapshot_running(const struct store *store);

/* The journal writes about 1.5 bytes a byte of feed lines: two iterations of 256 KiB. */
#define STORE_ROTATION_NEAR_BYTES (UINT64_C(768) << 10)

/** Whether the plain-TCP feeds should read less an iteration (feed.h,
 * FEED_READ_SNAPSHOT_BUDGET_BYTES): store_snapshot_running, or a rotation (so a fork) is
 * near, the segment within min(STORE_ROTATION_NEAR_BYTES, segment_max_bytes / 8) of
 * segment_max_bytes and the store normal. False again once the rotation is done (a new,
 * nearly empty segment) and its child has ended. */
bool store_read_less(const struct store *store);

/** The journal files' own counters (bytes written, fsyncs, segments: journal.h). */
const struct journal_stats *store_journal_stats(const struct store *store);

/** Free (the engine must be freed already). NULL is allowed. */
void store_free(struct store *store);

#endif
