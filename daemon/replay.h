/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_REPLAY_H
#define CADMOND_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Alert replay for one subscriber (docs/protocol.md, "Alert replay"). A subscriber may send
 * {"since":N} as its first line within REPLAY_HOLD_MS of connecting; it then receives every
 * retained alert with seq > N, in order, then the live stream. Until it sends that line (or
 * the time is up) it is held: live alerts are not queued for it, and when it is released it
 * catches up from the alert history instead (from N, or from where it connected), so that
 * there is no gap and no duplicate at the seam. Once caught up, the history settles (alerts
 * the engine produced and the disk has not taken yet are made durable and delivered) and the
 * replay reads those too before it goes live, so that the board that follows (the engine's
 * state) reflects no alert the subscriber was not sent. Catching up is paced by the subscriber's
 * reading: at most about half of alerts.max_queue_bytes is queued at a time.
 *
 * A held or catching-up subscriber is too slow when the live alerts it has not been sent yet
 * (those delivered after it was released) and its queue exceed alerts.max_queue_bytes, the
 * same rule as for live subscribers; history it asked for does not count.
 */

/* How long a new subscriber may take to send its since line. */
#define REPLAY_HOLD_MS 1000
/* Longest first line looked at; a longer one is not a since line. */
#define REPLAY_LINE_MAX 256

/* Receives one line to queue for the subscriber (no newline; the receiver adds it). */
typedef void (*replay_emit_fn)(void *ctx, const char *line, size_t len);

/* The alert history a replay reads: the journal's alerts and, while the journal cannot be
 * written, the alerts delivered since (store.c). */
struct replay_history {
	/* Emit alerts with seq > after, oldest first, until about max_bytes; the last seq read. */
	uint64_t (*read)(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
			 void *emit_ctx);
	uint64_t (*newest)(void *ctx);      /* seq of the newest alert delivered (0: none) */
	uint64_t (*oldest)(void *ctx);      /* seq of the oldest alert retained (0: none) */
	uint64_t (*bytes_after)(void *ctx, uint64_t after); /* bytes of the lines after after */
	/* NULL, or: the alerts produced and not durable yet made durable and delivered now, so
	 * that the board a replay ends with reflects no alert it has not sent (store.c). It
	 * broadcasts: the subscriber or stream being filled may be dropped, so its owner only
	 * marks it while replay_fill runs and closes it after (subscribers.c, streams.c) */
	void (*settle)(void *ctx);
	void *ctx;
};

enum replay_state {
	REPLAY_HOLD,       /* waiting for a since line */
	REPLAY_CATCHING_UP,
	REPLAY_LIVE,
};

struct replay {
	enum replay_state state;
	uint64_t cursor;    /* the last seq sent or passed over */
	uint64_t live_from; /* alerts after this one were delivered after the release */
};

/** A new subscriber, held; newest is the newest alert delivered so far. */
void replay_init(struct replay *replay, uint64_t newest);

/** A subscriber that takes only the live stream (no history configured). */
void replay_init_live(struct replay *replay);

/**
 * The subscriber's first line. Returns true and *since for {"since":N}; false for anything
 * else, with a notice line in notice (empty when the line is simply not about since).
 */
bool replay_parse_since(const char *line, size_t len, uint64_t *since, char *notice,
			size_t notice_size);

/**
 * Release a held subscriber: catch up from since (or from where it connected when has_since
 * is false). A since older than what is retained first emits
 * {"notice":"alerts before seq M are no longer retained"}.
 */
void replay_release(struct replay *replay, const struct replay_history *history, bool has_since,
		    uint64_t since, replay_emit_fn emit, void *emit_ctx);

/**
 * Queue history while the subscriber's queue (queued_bytes) is under half of
 * max_queue_bytes; the subscriber is live once it has caught up.
 */
void replay_fill(struct replay *replay, const struct replay_history *history, size_t queued_bytes,
		 size_t max_queue_bytes, replay_emit_fn emit, void *emit_ctx);

/** Bytes of live alerts a held or catching-up subscriber has not been sent yet. */
uint64_t replay_live_debt(const struct replay *replay, const struct replay_history *history);

#endif
