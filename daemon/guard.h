/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_GUARD_H
#define CADMOND_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"

/*
 * Connection slots: what keeps anonymous connections from holding the slots of the center's
 * feeds, consoles and HTTP clients (docs/protocol.md, "Connection rules").
 *
 *  - A connection is pending until it has proved it is a client (a feed's first valid line,
 *    a console taken as a console). Pending connections have their own cap, and a deadline
 *    (GUARD_EXPIRED_HANDSHAKE). A line left incomplete too long (GUARD_EXPIRED_LINE), and on
 *    the feed port no complete line for too long (GUARD_EXPIRED_IDLE), close a connection:
 *    bytes that complete no line do not keep it open. struct guard_clock keeps these
 *    deadlines for one connection on one timer.
 *  - Refusals (struct guard): counted per port and reason, logged with the peer (at most
 *    once per log.rate_limit_seconds per limit), and raised as a "limit" system alert naming
 *    the configuration key through a control line (journaled, so that recovery gives the
 *    same alert with the same seq); resolved once no connection was refused at that key for
 *    log.rate_limit_seconds.
 */

enum guard_port { GUARD_PORT_FEED = 0, GUARD_PORT_ALERTS, GUARD_PORT_HTTP, GUARD_PORT_COUNT };

enum guard_refusal {
	GUARD_REFUSED_FULL =
		0, /* feed.max_connections, alerts.max_subscribers, http.max_connections */
	GUARD_REFUSED_PENDING_FULL, /* *.max_pending_connections */
	GUARD_REFUSED_PER_ADDRESS,  /* *.max_connections_per_address */
	GUARD_REFUSAL_COUNT
};

enum guard_expiry {
	GUARD_EXPIRED_HANDSHAKE = 0, /* pending past *.handshake_timeout_seconds */
	GUARD_EXPIRED_LINE,          /* a line incomplete for *.line_timeout_seconds */
	GUARD_EXPIRED_IDLE,          /* no complete line for feed.idle_timeout_seconds */
	GUARD_EXPIRY_COUNT
};

/** "feed", "alerts", "http": the port label of the metrics. */
const char *guard_port_name(enum guard_port port);
/** "full", "pending_full", "per_address". */
const char *guard_refusal_name(enum guard_refusal reason);
/** "handshake", "line_timeout", "idle". */
const char *guard_expiry_name(enum guard_expiry expiry);

/** The host of a peer text: "10.1.2.3:4100" -> "10.1.2.3", "[::1]:4100" -> "[::1]". */
void guard_peer_host(const char *peer, char *out, size_t size);

/* ---- one connection's deadlines ----------------------------------------------------------- */

/* A connection's deadlines, in seconds; 0: none. Owned by its server (a reload changes them:
 * call guard_clock_rearm on each connection). */
struct guard_timeouts {
	uint32_t handshake_seconds;
	uint32_t line_seconds;
	uint32_t idle_seconds;
};

/* A deadline passed: the owner logs, counts (guard_expired) and closes the connection. */
typedef void (*guard_expired_fn)(void *ctx, enum guard_expiry expiry);

struct event_base;

/* Embedded in its connection; one timer, armed for the earliest deadline. */
struct guard_clock {
	struct event *timer;
	const struct guard_timeouts *timeouts;
	int64_t opened_ms;        /* monotonic */
	int64_t last_line_ms;     /* the last complete line, or opened_ms */
	int64_t partial_since_ms; /* first byte of the incomplete line; -1: none */
	int64_t armed_ms;         /* when the timer fires; INT64_MAX: not armed */
	bool pending;
	guard_expired_fn on_expired;
	void *ctx;
};

/** Start a pending connection's clock. 0 or -ENOMEM. */
int guard_clock_init(struct guard_clock *clock, struct event_base *base,
		     const struct guard_timeouts *timeouts, guard_expired_fn on_expired, void *ctx);
/** Stop the timer. Safe on a clock whose init failed (zeroed) and twice. */
void guard_clock_free(struct guard_clock *clock);
/**
 * Input was read: completed_line when at least one line ended in it, partial_left when an
 * incomplete line remains after it (its bytes, or the rest of a too-long line being dropped).
 */
void guard_clock_input(struct guard_clock *clock, bool completed_line, bool partial_left);
/** The connection proved itself: no handshake deadline any more. */
void guard_clock_promote(struct guard_clock *clock);
/** The timeouts changed: arm for the new earliest deadline. Nothing on a freed clock. */
void guard_clock_rearm(struct guard_clock *clock);

/* ---- refusals, expiries and the limit alerts --------------------------------------------- */

struct guard_stats {
	uint64_t refused[GUARD_PORT_COUNT][GUARD_REFUSAL_COUNT];
	uint64_t expired[GUARD_PORT_COUNT][GUARD_EXPIRY_COUNT];
	uint64_t limit_alerts; /* "limit" alerts raised for connection limits */
};

/* The daemon journals the control line, then the engine takes it (as health.h does). */
typedef void (*guard_control_fn)(void *ctx, const struct control *control);
/* Whether the engine has the system alert (system, key) open (a restart recovered it). */
typedef bool (*guard_open_fn)(void *ctx, const char *system, const char *key);

struct guard;

/** NULL on allocation failure. Refusals are logged at most once per log_seconds
 * (log.rate_limit_seconds); alerts are resolved after quiet_seconds without a refusal
 * (config_limit_quiet_seconds), however slowly the refusals come before. */
struct guard *guard_new(uint32_t log_seconds, uint32_t quiet_seconds, guard_control_fn control,
			guard_open_fn is_open, void *ctx);
void guard_free(struct guard *guard);
/** A reload: the log limiters' interval and the quiet time. */
void guard_update(struct guard *guard, uint32_t log_seconds, uint32_t quiet_seconds);

/* What a port holds when a connection arrives, against its limits. */
struct guard_occupancy {
	uint32_t established, max_established; /* max_established: the "full" limit */
	uint32_t from_host, max_per_address;    /* open from the new connection's host */
	uint32_t pending, max_pending;          /* max_pending 0: the port has no pending slots */
	const char *established_noun;           /* "connections open", "subscribers connected" */
};

/**
 * Which limit refuses a new connection from host (checked in this order: full, per_address,
 * pending_full), with why, e.g. "8 connections from 10.1.2.3"; GUARD_REFUSAL_COUNT when none.
 */
enum guard_refusal guard_admission(const struct guard_occupancy *occupancy, const char *host,
				   char *why, size_t why_size);

/** The configuration key of a refusal, e.g. "feed.max_pending_connections" ("" for none). */
const char *guard_refusal_key(enum guard_port port, enum guard_refusal reason);

/**
 * A connection from peer was refused (the caller closes it), why saying how, e.g. "16
 * connections pending". Counted, logged rate-limited per limit as "ROLE PEER refused: WHY
 * (KEY)" (ROLE "feed", "subscriber" or "http"), and noted for the limit alert. NULL guard:
 * nothing.
 */
void guard_refused(struct guard *guard, enum guard_port port, enum guard_refusal reason,
		   const char *peer, const char *why);

/** Count a connection closed because a deadline passed. NULL guard: nothing. */
void guard_expired(struct guard *guard, enum guard_port port, enum guard_expiry expiry);

/** Once a second (monotonic now_ms): raise or resolve the limit alerts. */
void guard_tick(struct guard *guard, int64_t now_ms);

const struct guard_stats *guard_stats(const struct guard *guard);

/** Monotonic milliseconds. */
int64_t guard_now_ms(void);

#endif
