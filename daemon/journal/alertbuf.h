/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_ALERTBUF_H
#define CADMOND_ALERTBUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * Alert buffers: the store's two queues of alert lines held in memory for the disk (store.h).
 * A data structure, no policy: no I/O, no logging, no libevent.
 *
 * - pending: alerts whose records are in the journal's batch or written but not fsynced yet,
 *   first in first out (journal order). The store delivers the first ones once the fsync
 *   covers their records. It holds the alerts of what is written and not synced yet (at most
 *   STORE_UNSYNCED_MAX_BYTES of records) and of one batch, so it is bounded by the store's
 *   bounds (store.h), not here.
 * - backlog: alerts delivered while the journal could not be written (or salvaged from a set
 *   aside segment at start), in seq order, to be journaled when the disk takes writes again.
 *   Bounded by the bytes of its alert lines: the oldest are given up first, and counted.
 *
 * Both grow by doubling from ALERTBUF_INITIAL_CAPACITY entries and keep their capacity when
 * emptied; both are freed with their alerts.
 */

/* The entries a queue has room for when it first grows. */
#define ALERTBUF_INITIAL_CAPACITY 16

/* An alert journaled but not durable yet: delivered once its record is. */
struct alertbuf_pending_alert {
	uint64_t seq;
	uint64_t index; /* of its record */
	uint64_t segment;
	uint64_t offset;
	uint32_t record_bytes;
	char *json; /* owned by the queue once pushed */
	size_t len;
};

/* The pending FIFO: alerts[head .. head + count), compacted to the front when it would grow. */
struct alertbuf_pending {
	struct alertbuf_pending_alert *alerts;
	size_t head;
	size_t count;
	size_t capacity;
};

/* An alert delivered, not journaled yet: its line copied. */
struct alertbuf_backlog_alert {
	uint64_t seq;
	char *json;
	size_t len;
};

/* The backlog: alerts[0 .. count) oldest first, bytes the sum of their lengths. */
struct alertbuf_backlog {
	struct alertbuf_backlog_alert *alerts;
	size_t count;
	size_t capacity;
	size_t bytes;
	size_t max_bytes;
};

/**
 * Append an alert at the end of the FIFO; the queue owns alert->json from now on. 0, or -ENOMEM
 * with nothing changed (alert->json still the caller's).
 */
int alertbuf_pending_push(struct alertbuf_pending *pending,
			  const struct alertbuf_pending_alert *alert);

/** The oldest alert of the FIFO, NULL when it is empty. */
struct alertbuf_pending_alert *alertbuf_pending_first(struct alertbuf_pending *pending);

/** Remove the oldest alert (the FIFO is not empty) and free its line. */
void alertbuf_pending_pop(struct alertbuf_pending *pending);

/** Free every alert and the FIFO's memory; it is empty afterwards. */
void alertbuf_pending_free(struct alertbuf_pending *pending);

/** An empty backlog keeping at most max_bytes of alert lines (one longer line alone is kept). */
void alertbuf_backlog_init(struct alertbuf_backlog *backlog, size_t max_bytes);

/**
 * Keep a copy of an alert line at the end of the backlog, giving up the oldest ones first
 * until it fits within max_bytes. Returns how many alerts are not kept: those given up, plus
 * this one when there is no memory for it.
 */
size_t alertbuf_backlog_push(struct alertbuf_backlog *backlog, uint64_t seq, const char *json,
			     size_t len);

/** Free every alert (journaled now); the backlog keeps its capacity. */
void alertbuf_backlog_clear(struct alertbuf_backlog *backlog);

/** Free every alert and the backlog's memory; it is empty afterwards. */
void alertbuf_backlog_free(struct alertbuf_backlog *backlog);

#endif
