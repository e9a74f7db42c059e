/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_SYSALERT_H
#define CADMON_SYSALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"

/*
 * System alerts: notices that monitoring itself is degraded (a silent feed source, a full
 * table evicting, a journal that cannot be written), with the operator alerts' lifecycle —
 * "firing" opens one, "resolved" closes it, both with the same alert_id — and the same seq
 * sequence (taken from the caller through next_seq). One alert is open per (system, key):
 * the key is the feed source or the configuration key of the limit.
 *
 * The alerts of the whole center (journal_degraded, state_incomplete, receiver_down, a limit
 * without a source) are never dropped: SYSALERTS_CENTER_ROOM of the capacity is kept for them,
 * and the table grows when they need more. The alerts of one feed source (feed_silent,
 * clock_ahead, clock_behind, events_too_late, sender_restarted, seq_rejected, feed_rejecting,
 * a limit with a source) share the rest, a quarter of it at most for the connections without a
 * hello ("#S.N" keys, one per connection). One more is not raised: it is counted
 * (sysalerts_dropped) and told by the center's limit alert SYSALERTS_FULL_KEY, resolved when
 * the per-source alerts are back under three quarters of their room.
 */

#define SYSALERTS_CENTER_ROOM 16
/* How far the center's alerts may grow a loaded table beyond its capacity. */
#define SYSALERTS_CENTER_GROWTH_MAX 1024
/* The limit alert of a full table: not a configuration key (feed.max_sources sizes it). */
#define SYSALERTS_FULL_KEY "system_alerts"

#define SYSALERT_NAME_MAX 24
#define SYSALERT_MESSAGE_MAX 256

typedef uint64_t (*sysalert_seq_fn)(void *ctx);
typedef void (*sysalert_emit_fn)(const struct alert *alert, void *ctx);

/* What a raised or resolved system alert says. */
struct sysalert_notice {
	const char *system;   /* "feed_silent", "clock_ahead", "sender_restarted", "seq_rejected",
			       * "feed_rejecting", "limit", "source_departs",
			       * "journal_degraded", "state_incomplete", "receiver_down" */
	const char *key;      /* limit: the configuration key; journal_degraded,
			       * state_incomplete: "";
			       * receiver_down: the receiver's name; source_departs: the
			       * agency; else the feed source (its "source" field when not "") */
	const char *source;   /* limit of one feed source
			       * (tracker.max_new_operators_per_source_per_hour), source_departs:
			       * the source, part of the alert's identity; NULL or "" otherwise */
	const char *severity; /* "warning" or "critical" */
	const char *message;
	uint64_t evicted;     /* limit: entries evicted so far */
	int64_t ts_ms;
};

struct sysalerts;

/** A table of at most capacity open system alerts. NULL on allocation failure. */
struct sysalerts *sysalerts_new(uint32_t capacity, sysalert_seq_fn next_seq, sysalert_emit_fn emit,
				void *ctx);
void sysalerts_free(struct sysalerts *sysalerts);

/** True when an alert of (system, key) is open. */
bool sysalerts_is_open(const struct sysalerts *sysalerts, const char *system, const char *key);

/**
 * Open an alert of (system, key) with a "firing" notice; when one is open already its
 * message and evicted count are brought up to date without a notice. False when a per-source
 * alert finds no room (counted, told by SYSALERTS_FULL_KEY) or memory is short (counted).
 */
bool sysalerts_raise(struct sysalerts *sysalerts, const struct sysalert_notice *notice);

/** Close the open alert of (system, key) with a "resolved" notice; false when none is open. */
bool sysalerts_resolve(struct sysalerts *sysalerts, const struct sysalert_notice *notice);

/** The full table's alert (SYSALERTS_FULL_KEY) resolved, dated ts_ms, when the per-source
 * alerts are back under three quarters of their rooms (after sysalerts_reserve grew them:
 * a resolve does it by itself). */
void sysalerts_settle_full(struct sysalerts *sysalerts, int64_t ts_ms);

/* Does the caller still know the feed source key? */
typedef bool (*sysalert_known_fn)(const char *key, void *ctx);

/** The key of the oldest open alert of one of systems (a NULL-terminated list) whose key
 * known() does not know, its system in *system; NULL when there is none. Both valid until the
 * table changes. */
const char *sysalerts_find_unknown(const struct sysalerts *sysalerts, const char *const *systems,
				   sysalert_known_fn known, void *ctx, const char **system);

/** The key of the oldest open alert of system whose "source" is source (its agency for
 * source_departs); NULL when there is none. Valid until the table changes. */
const char *sysalerts_find_of_source(const struct sysalerts *sysalerts, const char *system,
				     const char *source);

/** The "source" of the oldest open alert of system that has one known() does not know; NULL
 * when there is none. Valid until the table changes. */
const char *sysalerts_find_unknown_source(const struct sysalerts *sysalerts, const char *system,
					  sysalert_known_fn known, void *ctx);

/** True when a system alert with this alert_id is open. */
bool sysalerts_alert_open(const struct sysalerts *sysalerts, const char *alert_id);

/**
 * Acknowledge the open alert alert_id with an "acknowledged" notice. 0 the first time, 1 for
 * a repeat, -1 when no such alert is open.
 */
int sysalerts_acknowledge(struct sysalerts *sysalerts, const char *alert_id,
			  const struct alert_ack *ack);

/** Emit every open alert as an "open" board line, oldest first. Returns how many. */
uint32_t sysalerts_board(const struct sysalerts *sysalerts, sysalert_emit_fn emit, void *ctx);

/** Open alerts now; raises refused (no room, no memory). */
uint32_t sysalerts_open_count(const struct sysalerts *sysalerts);
/** Open alerts of system. */
uint32_t sysalerts_count_system(const struct sysalerts *sysalerts, const char *system);
uint64_t sysalerts_dropped(const struct sysalerts *sysalerts);

/** Room for capacity open alerts (a table never shrinks). 0 or -ENOMEM. */
int sysalerts_reserve(struct sysalerts *sysalerts, uint32_t capacity);

struct codec_writer;
struct codec_reader;

void sysalerts_save(const struct sysalerts *sysalerts, struct codec_writer *writer);
/** Load into an empty table of at least the saved size. 0 or -EINVAL. */
int sysalerts_load(struct sysalerts *sysalerts, struct codec_reader *reader);

#endif
