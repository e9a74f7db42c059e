/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_SYNCER_H
#define CADMOND_SYNCER_H

#include <stdbool.h>

/*
 * The journal's sync thread (store.h, journal.fsync batch and interval): the open segment's
 * fdatasync, run off the event loop so that the loop goes on reading, processing and writing
 * while the disk works. One sync at a time: the loop starts one (syncer_start) when none is
 * in flight; the thread runs it and wakes the loop through an eventfd, whose event calls
 * done(ctx, result) in the loop. The store remembers what the sync covers (the records
 * written when it started) and releases them then; what was written meanwhile waits for the
 * next one. Nothing queues here: the store bounds what is written and not yet synced.
 *
 * The thread touches only the descriptor it is handed and this object's mutex, condition
 * variables and eventfd: no journal, no libevent, no allocation. It blocks every signal (they
 * stay the loop's). A fork()ed child (a snapshot's) must not use the syncer.
 */

/* The sync itself: 0, or -1 with errno set, as fdatasync(2). */
typedef int (*syncer_sync_fn)(int fd);
/* A sync returned: result is 0 or -errno. Called in the loop. */
typedef void (*syncer_done_fn)(void *ctx, int result);

struct event_base;
struct syncer;

/**
 * Start the thread and its event on base. sync NULL: fdatasync(2). NULL with errno set when
 * the thread, the eventfd or the event cannot be made.
 */
struct syncer *syncer_new(struct event_base *base, syncer_sync_fn sync, syncer_done_fn done,
			  void *ctx);

/** A sync started and its done not called yet (nor taken by syncer_wait). */
bool syncer_busy(const struct syncer *syncer);

/** Hand fd to the thread. 0, or -EBUSY while a sync is in flight. */
int syncer_start(struct syncer *syncer, int fd);

/**
 * Block until the sync in flight returns and take its result instead of done: true with
 * *result set, false when none was in flight.
 */
bool syncer_wait(struct syncer *syncer, int *result);

/** Wait for a sync in flight (its result dropped), stop the thread, free. NULL is allowed. */
void syncer_free(struct syncer *syncer);

#endif
