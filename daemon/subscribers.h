/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_SUBSCRIBERS_H
#define CADMOND_SUBSCRIBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

/*
 * Alert subscribers: supervisors' consoles. Each one gets the hello line on connect, then
 * every alert line. Each has a bounded output queue: a subscriber whose unsent output would
 * exceed max_queue_bytes is disconnected, counted and logged; the others are unaffected and
 * the loop never waits for anyone. With an alert history (subscribers_set_history), a
 * subscriber's first line may be {"since":N} (replay.h). Right before a subscriber's live
 * stream starts (after its replay), it gets the open-alert board (subscribers_set_console),
 * and no live alert whose seq the board already reflects. Every other line a subscriber
 * sends (at most SUBSCRIBERS_LINE_MAX bytes) is a console line for the daemon, e.g. an ack;
 * the daemon's answer (an error notice) goes to that subscriber only.
 *
 * The kernel's send buffer of a subscriber socket is fixed at SUBSCRIBERS_SOCKET_SEND_BYTES
 * (SO_SNDBUF; Linux doubles it): TCP autotuning would otherwise hide up to tcp_wmem's maximum
 * (4 MiB by default) of unsent alerts per subscriber in the kernel, beyond max_queue_bytes.
 *
 * Slots (guard.h, docs/protocol.md "Connection rules"): a new connection is pending until it
 * is taken as a console (subscribers_promote: today when its hold ends, at its first line or
 * after REPLAY_HOLD_MS without one), in one of max_pending_connections slots; then it holds
 * one of max_subscribers. It is refused at once when max_subscribers consoles are taken (or
 * when it would be taken, if they became so meanwhile), when max_connections_per_address are
 * open from its host, or when the pending slots are full. Pending past
 * handshake_timeout_seconds, a line incomplete for line_timeout_seconds: closed, counted,
 * logged.
 */

/* SO_SNDBUF of subscriber sockets: room for dozens of alerts, plenty for a LAN console. */
#define SUBSCRIBERS_SOCKET_SEND_BYTES (64 * 1024)

/* Longest console line taken; a longer one is discarded up to its newline, with a notice. */
#define SUBSCRIBERS_LINE_MAX 1024
/* Unread input held per subscriber: reading pauses beyond it. */
#define SUBSCRIBERS_INPUT_MAX (64 * 1024)

/* Protocol version of the alert stream, announced in the hello line. */
#define SUBSCRIBERS_PROTOCOL 2

struct subscribers_limits {
	uint32_t max_subscribers;      /* alerts.max_subscribers */
	uint32_t max_queue_bytes;      /* alerts.max_queue_bytes, per subscriber */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds */
	uint32_t max_pending_connections;     /* alerts.max_pending_connections */
	uint32_t max_connections_per_address; /* alerts.max_connections_per_address */
	uint32_t handshake_timeout_seconds;   /* alerts.handshake_timeout_seconds */
	uint32_t line_timeout_seconds;        /* alerts.line_timeout_seconds */
};

/* Counters over all subscribers since start. */
struct subscribers_stats {
	uint64_t accepted;     /* connections taken */
	uint64_t refused;      /* closed at once: a slot limit (or shutting down) */
	uint64_t handshake_closed;    /* pending past alerts.handshake_timeout_seconds */
	uint64_t line_timeout_closed; /* a line incomplete for alerts.line_timeout_seconds */
	uint64_t dropped_slow; /* disconnected: output queue over max_queue_bytes */
	uint64_t closed;       /* connections ended, for any reason */
	uint64_t alerts;       /* alert lines broadcast */
	uint64_t replays;      /* {"since":N} lines honoured */
	uint64_t boards;       /* open-alert boards sent */
	uint64_t console_lines;    /* lines from consoles after the since line (acks...) */
	uint64_t console_rejected; /* of those, answered with an error notice */
	uint64_t unauthorized;     /* closed before authenticating (auth.h counts why) */
	uint32_t connected;    /* subscribers connected now, pending ones included */
	uint32_t pending;      /* of which not yet taken as consoles */
};

/* Called once when subscribers_flush() has nothing left to send. */
typedef void (*subscribers_flushed_fn)(void *ctx);

struct event_base;
struct guard;
struct subscriber;
struct subscribers;

struct tls_server;

/** Serve consoles over TLS from now on (alerts.tls), with tls (not owned; it outlives them). */
void subscribers_set_tls(struct subscribers *subscribers, struct tls_server *tls);

/** All subscribers of one daemon. NULL on allocation failure. */
struct subscribers *subscribers_new(struct event_base *base,
				    const struct subscribers_limits *limits);

/** Disconnect everyone (unsent output is lost) and free. NULL is allowed. */
void subscribers_free(struct subscribers *subscribers);

/**
 * Take a new subscriber (owns fd from here) and queue the hello line. Beyond max_subscribers
 * it is closed at once, counted as refused and logged (rate-limited).
 */
void subscribers_accept(struct subscribers *subscribers, evutil_socket_t fd, const char *peer);

/**
 * Queue one alert line (JSON without "\n"; the newline is added) for every subscriber, but
 * those whose board already reflects seq.
 */
void subscribers_broadcast(struct subscribers *subscribers, uint64_t seq, const char *line,
			   size_t len);

/**
 * Shutdown: stop taking subscribers; close each one once its output is sent (or it goes
 * away), then call on_flushed. Returns how many subscribers still have output pending; when
 * 0 everyone is closed already and on_flushed is not called.
 */
uint32_t subscribers_flush(struct subscribers *subscribers, subscribers_flushed_fn on_flushed,
			   void *ctx);

/** Apply new limits: to connected subscribers too and to later accepts. */
void subscribers_update_limits(struct subscribers *subscribers,
			       const struct subscribers_limits *limits);

/* Receives one line to queue (no newline). */
typedef void (*subscribers_line_fn)(const char *line, size_t len, void *ctx);

/* What the daemon does for consoles. */
struct subscribers_console {
	/* A console line (no newline, no "
"): the answer for that console in reply, or "". */
	void (*line)(void *ctx, const char *peer, const char *line, size_t len, char *reply,
		     size_t reply_size);
	/* The open-alert board, line by line through emit; returns the seq it reflects. */
	uint64_t (*board)(void *ctx, subscribers_line_fn emit, void *emit_ctx);
	void *ctx;
};

/** Serve console lines and boards (copied; NULL ctx functions: none). */
void subscribers_set_console(struct subscribers *subscribers,
			     const struct subscribers_console *console);

struct replay_history;

/** Let subscribers replay alerts from history (not owned; it must outlive them). */
void subscribers_set_history(struct subscribers *subscribers, const struct replay_history *history);

/** Count, log and alert refusals and expiries through guard (not owned; NULL: only counted
 * here). */
void subscribers_set_guard(struct subscribers *subscribers, struct guard *guard);

/**
 * The pending console proved itself (today: its hold ended; with tokens, a valid token line)
 * and takes one of max_subscribers. True when it did (or was taken already); false when they
 * are all taken: it was refused (counted, logged, alerted) and closed — the caller must not
 * touch it again.
 */
bool subscribers_promote(struct subscriber *subscriber);
struct auth;

/**
 * Require tokens (auth.h; not owned, it must outlive the subscribers): while auth_enabled(),
 * a new subscriber gets the hello line and nothing else until its first line,
 * {"token":"..."} (optionally with "since":N, which then acts as the since line), arrives
 * within handshake_timeout_seconds and names a token: it is answered
 * {"authenticated":ROLE,"name":NAME} and served as before, its callers' numbers redacted
 * for its role; otherwise it gets {"error":"unauthorized"} (or the too-many-failures error)
 * and is closed. A console line from a viewer gets
 * {"notice":"ack: acknowledging needs the supervisor role"}.
 */
void subscribers_set_auth(struct subscribers *subscribers, struct auth *auth);

/**
 * After a reload changed the tokens: each console whose grant no longer holds
 * (auth_grant_holds: its token removed, replaced or given another role; or tokens now
 * required of a console let in without one) gets {"error":"unauthorized: the token is no
 * longer configured"} and is closed, counted as cadmon_auth_failures_total{port="alerts",
 * reason="revoked"} and logged (rate-limited).
 */
void subscribers_recheck_tokens(struct subscribers *subscribers);

/** Counters since start (see struct subscribers_stats). */
const struct subscribers_stats *subscribers_stats(const struct subscribers *subscribers);

#endif
