/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_SYNCER_H
#define CADMOND_SYNCER_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

/*
 * The journal's sync thread (store.h, journal.fsync batch and interval): the open segment's
 * fdatasync, run off the event loop so that the loop goes on reading, processing and writing
 * while the disk works. The loop hands it a sync point (journal.h: the segment's descriptor
 * and what was written to it) with syncer_start; the thread runs the fdatasync and wakes the
 * loop through an eventfd, whose event calls done(ctx, result) in the loop for each sync that
 * returned, in the order they ran. A sync covers what was written before it started; the store
 * releases that then.
 *
 * A rotation's point (journal_rotate_begin) also fsyncs the journal directory once the
 * segment's fdatasync returned 0 (the next segment's name): one result for both.
 *
 * The thread also publishes a rotation's snapshot (syncer_publish): renames the *.tmp its
 * child wrote into place and fsyncs the state directory, off the loop. A publication is run
 * before the next sync, is never dropped (not by a withdrawal, a wait or a failed sync: what it
 * needs was synced before it was handed) and its failure stops nothing here.
 *
 * One sync runs at a time. A point handed while one runs is the next: the thread starts it as
 * soon as the running one returns, without waiting for the loop to hear of it (the wake-ups
 * of the loop and of the thread are then off the path of the records waiting for it); a newer
 * point replaces a next one not started yet. After a failed sync nothing more is started
 * until syncer_clear_failure, not even a point handed before the loop has taken the failed
 * result (Linux reports a writeback error once per descriptor: a later fdatasync's success
 * would not prove the failed one's pages durable); at most SYNCER_RESULTS_MAX results wait
 * for the loop. Nothing else queues here: the store bounds
 * what is written and not yet synced.
 *
 * The one exception: an urgent point (syncer_start_urgent: a commit with an alert) handed
 * while a sync runs starts at once on a second thread, its own fdatasync of the same
 * descriptor beside the running one, instead of waiting for it as the next (it replaces a next
 * one not started). It needs no later sync to cover its records: an fdatasync covers what was
 * written before it started, whatever else runs. The pair's results reach the loop together,
 * once both returned, in the order they started (so the running one's first, and nothing is
 * released out of order), and a failure of either is reported as both's: on one descriptor
 * Linux reports a writeback error to the first fdatasync that looks, so the other's 0 proves
 * nothing. While a pair runs nothing else starts; at most two syncs run at once; a next point
 * handed meanwhile waits for the loop to take the pair's two results (SYNCER_RESULTS_MAX),
 * not started by the thread when they return as after a single sync. Measured in
 * bench/README.md ("An alert's fdatasync beside the running one", branch lat14).
 *
 * The threads touch only the descriptors they are handed and this object's mutex, condition
 * variables and eventfd: no journal, no libevent, no allocation. They block every signal (they
 * stay the loop's). A fork()ed child (a snapshot's) must not use the syncer.
 */

#define SYNCER_RESULTS_MAX 2

/* The sync itself: 0, or -1 with errno set, as fdatasync(2). */
typedef int (*syncer_sync_fn)(int fd);

/* A sync that returned: what it covered, its result (0 or -errno) and how long it took. A
 * publication's (publish) has only point.dir_fd and point.index, the snapshot's. */
struct syncer_result {
	struct journal_sync_point point;
	bool publish;
	int result;
	uint64_t took_us;
};

/* A sync returned. Called in the loop. */
typedef void (*syncer_done_fn)(void *ctx, const struct syncer_result *result);

struct event_base;
struct syncer;

/**
 * Start the thread and its event on base. sync NULL: fdatasync(2). NULL with errno set when
 * the thread, the eventfd or the event cannot be made.
 */
struct syncer *syncer_new(struct event_base *base, syncer_sync_fn sync, syncer_done_fn done,
			  void *ctx);

/** A sync running (or two) or waiting to run, or a result the loop has not taken yet. */
bool syncer_busy(struct syncer *syncer);

/**
 * Hand point to the thread: run at once when the thread is idle, else the next sync (started
 * when the running one returns; replacing a next one not started yet). Dropped after a failed
 * sync, until syncer_clear_failure.
 */
void syncer_start(struct syncer *syncer, const struct journal_sync_point *point);

/**
 * Hand point to run at once: with a sync (not a publication) running and no other beside it,
 * no publication and no result waiting and no failed sync, on the second thread beside the
 * running one (replacing a next one not started); else as syncer_start.
 */
void syncer_start_urgent(struct syncer *syncer, const struct journal_sync_point *point);

/**
 * Publish snapshot_index (statedir_publish_snapshot on dir_fd, the state directory): at once
 * when the thread is idle, else before the next sync. One at a time: the caller hands the next
 * only after this one's result.
 */
void syncer_publish(struct syncer *syncer, int dir_fd, uint64_t snapshot_index);

/**
 * Let syncs run again after a failed one: the caller has taken its result and no longer needs
 * what that sync covered (the store is back from degraded, on a new segment). A next sync
 * handed before is dropped.
 */
void syncer_clear_failure(struct syncer *syncer);

/** Drop the next sync if it has not started (the running one goes on). */
void syncer_withdraw(struct syncer *syncer);

/**
 * Drop the next sync not started, block until none runs (a publication waiting is run), and
 * take the oldest result instead of done: true with *result set, false when none is left.
 * Call until false.
 */
bool syncer_wait(struct syncer *syncer, struct syncer_result *result);

/** Wait for the syncs in flight (results dropped), stop the threads, free. NULL is allowed. */
void syncer_free(struct syncer *syncer);

#endif
