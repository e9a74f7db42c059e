/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_RECEIVERS_H
#define CADMOND_RECEIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "control.h"

struct event_base;

/*
 * The receivers of config.receivers (docs/receivers.md): each durable notice goes to every
 * receiver's own bounded queue of HTTP POSTs (an Alertmanager body or the notice line as
 * is), sent one at a time with libevent's evhttp client: a timeout per request, retries with
 * exponential backoff and jitter, the oldest request dropped when the queue is full. Nothing
 * here blocks: a slow or dead receiver only fills its own queue. down_after_failures
 * consecutive failed attempts raise a receiver_down system alert through the control hook
 * (journaled like feed_silent); the next delivery resolves it. A full queue raises a "limit"
 * alert (receivers_tick), also for a receiver slow but succeeding.
 */

struct receiver_stats {
	uint64_t delivered; /* requests accepted (2xx) */
	uint64_t failed;    /* attempts that failed (no answer, timeout, non-2xx) */
	uint64_t retries;   /* attempts after a request's first */
	uint64_t dropped;   /* requests given up: queue full (oldest) or retries exhausted */
	uint32_t queued;    /* requests waiting now, the one in flight included */
	bool down;          /* its receiver_down alert is open */
};

struct receivers_hooks {
	/* Applies a control line (receiver_down, limit): the daemon journals it, the engine takes
	 * it. */
	void (*control)(void *ctx, const struct control *control);
	/* Whether a system alert (system, key) is open: a receiver down before a restart. */
	bool (*is_open)(void *ctx, const char *system, const char *key);
	void *ctx;
};

struct receivers;

/**
 * The receivers of config (none: an empty set). NULL with the reason in why when a secret
 * file cannot be read or on allocation failure.
 */
struct receivers *receivers_new(struct event_base *base, const struct config *config,
				const struct receivers_hooks *hooks, char *why, size_t why_size);
void receivers_free(struct receivers *receivers);

/** cadmond -n: every receiver's hmac_secret_file reads as receivers_new reads it. 0, or -1
 * with why. */
int receivers_check_secrets(const struct config *config, char *why, size_t why_size);

/** A durable notice line (no newline) for every receiver. */
void receivers_deliver(struct receivers *receivers, const char *json, size_t len);

/** A board's open line at start: Alertmanager receivers learn the alerts open already. */
void receivers_seed(struct receivers *receivers, const char *json, size_t len);

/**
 * Once a second: a receiver whose queue was full (the oldest request dropped) since the last
 * tick raises a "limit" system alert keyed "receivers[NAME].max_queue" through the control
 * hook, resolved once it dropped none for quiet_seconds (limitwatch.h).
 */
void receivers_tick(struct receivers *receivers, int64_t now_ms, uint32_t quiet_seconds);

/** How many receivers; the counters of receiver index (its name in *name). */
size_t receivers_count(const struct receivers *receivers);
const struct receiver_stats *receivers_stats(struct receivers *receivers, size_t index,
					     const char **name);

#endif
