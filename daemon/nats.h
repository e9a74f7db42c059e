/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_NATS_H
#define CADMOND_NATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "control.h"
#include "engine.h"
#include "replay.h"
#include "zone.h"

/*
 * NATS JetStream in and out (docs/scale-out.md), with cnats (libnats).
 *
 * Threads. cnats runs its own threads (reading the connection, reconnecting, callbacks).
 * Nothing of the engine or the journal is touched from them: a starter thread connects and
 * prepares the durable consumer (retrying while the cluster cannot be reached, so that the
 * TCP feed works meanwhile), then a fetch thread pulls batches (natsSubscription_Fetch, blocking at
 * most NATS_FETCH_WAIT_MS) into a bounded
 * queue and writes one byte to a pipe that the libevent loop watches; the loop thread takes
 * the messages from the queue and processes them exactly as a TCP feed line (journaled, then
 * engine_process_from); while a snapshot is written, only until the iteration's time budget
 * is spent (feed.snapshot_iteration_budget_us, feed.h), the rest in the next iteration
 * through a zero-timeout timer. The queue and the messages awaiting their acknowledgement together
 * hold at most nats.max_in_flight messages (the consumer's MaxAckPending is the same), so a
 * fetch thread waits for room instead of buffering without bound. A pipe, not the libevent
 * adapter: the adapter would run cnats' socket I/O on our loop but its pull fetches still
 * block, and a pipe keeps cnats' threads entirely out of libevent (no evthread locking).
 *
 * Events in. Each message's data is one protocol v1 line (with nats.mapping, one vendor record
 * of that mapping, whose lines are numbered from the message's stream sequence). Its source is the
 * message's
 * Cadmon-Source header (cadmon-publish sets it; Cadmon-Epoch for the epoch): a named source,
 * its own event-time clock, its seq de-duplicated as a TCP feed's hello source is. Without
 * the header the source is "nats:" and the subject, unnamed (resends then recognized by the
 * event's identity only). received_ms is the time JetStream stored the message, so an
 * active/active pair judges the future guard alike. A message is acknowledged (natsMsg_Ack)
 * only once its journal record is durable (nats_acknowledge, from the journal's commit), or,
 * when it was processed while the journal was degraded, once the journal is back and
 * everything is durable.
 *
 * After a restart: a durable consumer would redeliver unacknowledged messages only after
 * ack_wait, behind newer ones, which the per-source seq would then drop as resends. So at
 * start each consumer is set to deliver from its ack floor + 1 in stream order (deleted and
 * created again at that start sequence when it had unacknowledged messages): the lines
 * already journaled come again in order and are dropped by seq; the rest are new.
 *
 * Lost deliveries. A delivery lost on the way (the node that held the pull request killed, the
 * connection cut) would come again only after ack_wait, behind later messages, by then too
 * late for the tracker. The fetch thread follows the consumer sequence (each delivery,
 * redeliveries included, takes the next): at a gap it takes nothing more of the batch, waits
 * until every message taken is acknowledged, and sets the consumer to deliver from its ack
 * floor + 1 as after a restart (a rewind, counted): the lost messages then come in order.
 *
 * Alerts out. nats_publish_alert takes every notice once durable (the deliver hook) into a
 * bounded queue (nats.max_alert_queue; full: the notice is dropped for NATS, counted, logged,
 * and a `limit` system alert for nats.max_alert_queue raised by nats_tick); a publisher
 * thread publishes each to PREFIX.<agency> (PREFIX._system for system alerts, PREFIX._none
 * without an agency) with Nats-Msg-Id ALERT_ID:KIND:TS and waits for
 * its PubAck, retrying every nats.reconnect_wait_ms while the cluster does not answer. While
 * it cannot publish, or the connection is down, a receiver_down system alert for receiver
 * "nats" is open.
 */

/* Longest a fetch blocks before it looks at the stop flag again. */
#define NATS_FETCH_WAIT_MS 500
/* After a lost delivery, how long the ack floor may take to reach the last delivery taken, and
 * how often it is read meanwhile (nats_rewind in nats.c). */
#define NATS_REWIND_FLOOR_WAIT_MS 2000
#define NATS_REWIND_POLL_MS 20
/* A fetch thread that took nothing for this long asks whether its consumer still exists (a
 * consumer or stream deleted under cadmond is created again: nats_consumer_gone in nats.c). */
#define NATS_CONSUMER_CHECK_MS 5000
/* A server that keeps the connection open but stopped answering (hung, stopped, cut off
 * without a reset) is left for another after NATS_MAX_PINGS_OUT pings unanswered, one every
 * NATS_PING_INTERVAL_MS: within 15 s (cnats' defaults, 2 min and 2, took 6 min). */
#define NATS_PING_INTERVAL_MS 5000
#define NATS_MAX_PINGS_OUT 2
/* At exit, how long cnats may take to make its last callback once the connection is closed. */
#define NATS_CLOSE_WAIT_MS 2000
/* While the cluster cannot be reached at start, one log line per this many attempts. */
#define NATS_START_LOG_EVERY 30
/* Header naming the publishing source, and its numbering's epoch. */
#define NATS_HEADER_SOURCE "Cadmon-Source"
#define NATS_HEADER_EPOCH "Cadmon-Epoch"
/* The key of the limit alert for notices dropped for the alerts stream. */
#define NATS_QUEUE_KEY "nats.max_alert_queue"
/* nats.mapping: a message's lines are numbered this many per stream sequence (seq = this x
 * the sequence + 1, 2, 3: at most MAPPING_MAX_EVENTS lines a record). */
#define NATS_MAPPED_SEQ_PER_MESSAGE 4

struct nats_stats {
	uint64_t received;        /* messages taken from the consumers */
	uint64_t redelivered;     /* of which JetStream delivered more than once */
	uint64_t acknowledged;    /* messages acknowledged (their line durable) */
	uint64_t unnamed;         /* messages without a Cadmon-Source header */
	uint64_t too_long;        /* messages over feed.max_line_bytes: rejected */
	uint64_t fetch_errors;    /* fetches that failed other than by timeout */
	uint64_t skipped;         /* messages of subjects no nats.subjects filter matches */
	uint64_t rewinds;         /* consumer created again after deliveries lost on the way */
	uint64_t records_rejected; /* nats.mapping: messages whose record was rejected */
	uint64_t alerts_published;   /* notices the alerts stream acknowledged */
	uint64_t alerts_duplicates;  /* of which the stream already had (Nats-Msg-Id) */
	uint64_t alerts_dropped;     /* notices not queued: nats.max_alert_queue full */
	uint64_t alerts_failures;    /* publish attempts that failed (retried) */
	uint64_t disconnects;     /* connection lost */
	uint64_t reconnects;      /* connection back */
	uint32_t alert_queue;     /* notices waiting now */
	uint32_t in_flight;       /* messages taken and not yet acknowledged */
	bool connected;
};

/* What the NATS side needs of the daemon. */
struct nats_hooks {
	/* Journal a line with its origin before the engine sees it: its record index, 0 when
	 * not journaled (degraded). */
	uint64_t (*append_line)(void *ctx, const struct engine_origin *origin, const char *line,
				size_t len);
	/* Journal a line rejected before the engine (line_too_long). */
	void (*append_reject)(void *ctx, enum event_reject reason);
	/* A message longer than feed.max_line_bytes from source (its Cadmon-Source header, else
	 * "nats:SUBJECT") rejected: the feed.max_line_bytes limit alert counts it (NULL: not). */
	void (*line_too_long)(void *ctx, const char *source);
	/* A system observation (receiver_down for "nats", the limit nats.max_alert_queue),
	 * journaled and applied. */
	void (*control)(void *ctx, const struct control *control);
	/* Whether a system alert (system, key) is open (NULL: taken as not open). */
	bool (*is_open)(void *ctx, const char *system, const char *key);
	/* After a message of the loop's turn while more wait: whether to leave them for the next
	 * iteration, the snapshot's time budget spent (feed_server_budget_spent; NULL: never). */
	bool (*budget_spent)(void *ctx, unsigned *unchecked_lines);
	void *ctx;
	/* The alert history: at start, the notices after the last one the alerts stream
	 * acknowledged (NATS_PUBLISHED_FILE) are published again (Nats-Msg-Id collapses the
	 * ones it had). NULL: none. */
	const struct replay_history *history;
	/* nats.mapping's zone (copied; NULL: its fixed offset or UTC). */
	const struct zone *mapping_zone;
};

/* In the state directory: the seq up to which every notice delivered was acknowledged by the
 * alerts stream (written without fsync after each PubAck: a crash makes cadmond publish a few
 * again). Written (fsynced) at the first start too, so that a missing file means "NATS never
 * used here" and not "killed before the first PubAck". */
#define NATS_PUBLISHED_FILE "nats-alerts-published"

struct event_base;
struct nats;

/** True when this cadmond was built with NATS support (meson option nats). */
bool nats_available(void);

/**
 * Connect to config->nats.servers and start consuming (and publishing alerts) on base,
 * processing lines with engine (neither owned). NULL with the reason in why: built without
 * NATS, no server reachable within connect_timeout_ms, a stream or consumer refused.
 */
struct nats *nats_new(struct event_base *base, struct engine *engine, const struct config *config,
		      const struct nats_hooks *hooks, char *why, size_t why_size);

/** Journal records up to durable_index are durable (UINT64_MAX: all): acknowledge their
 * messages. */
void nats_acknowledge(struct nats *nats, uint64_t durable_index);

/** A durable notice (one alert stream line): queue it for the alerts stream. */
void nats_publish_alert(struct nats *nats, const char *json, size_t len);

/** Stop fetching (at shutdown: what is queued is left unacknowledged, redelivered later). */
void nats_stop(struct nats *nats);

/**
 * Once a second (loop thread), now_ms a monotonic clock: notices dropped for a full
 * nats.max_alert_queue since the last tick raise a `limit` system alert keyed
 * "nats.max_alert_queue" (evicted: dropped so far), resolved once none was dropped for
 * config_limit_quiet_seconds. NULL is allowed.
 */
void nats_tick(struct nats *nats, int64_t now_ms);

/**
 * A reload: what may change while running — nats.fetch_batch (the next pull asks for as many),
 * feed.max_line_bytes, log.rate_limit_seconds and detector.resolve_after_seconds. The other
 * nats keys need a restart (their RESTART entries in lib/config.c keep the running values).
 * NULL is allowed.
 */
void nats_update(struct nats *nats, const struct config *config);

/** Counters (a copy taken under the lock). */
void nats_stats(struct nats *nats, struct nats_stats *out);

/** Stop the threads, close the connection, free. NULL is allowed. */
void nats_free(struct nats *nats);

#endif
