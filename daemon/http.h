/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_HTTP_H
#define CADMOND_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The HTTP side of cadmond (docs/http.md), on libevent's evhttp: the JSON API (alerts from
 * the alert history, the open-alert board, acknowledgements, sources, status), Prometheus
 * metrics on GET /metrics and a health check on GET /healthz. It reads the daemon's state
 * through struct http_view and acknowledges through the daemon's control path, so that an
 * acknowledgement over HTTP is journaled and broadcast exactly like one from a console.
 * Requests are bounded (http.max_header_bytes, http.max_body_bytes: 413 beyond); every error
 * is answered with a JSON body {"error":"..."}. GET /api/stream hands the request to the
 * daemon's streams (streams.h) once its resume point is checked.
 *
 * Connections are bounded too (guard.h): at most http.max_connections open (streams
 * included), at most http.max_connections_per_address from one host; one more is closed right
 * after it is accepted, before evhttp reads anything from it (counted, logged, raised as a
 * "limit" system alert). libevent 2.1 exports no evhttp_get_request() to hand evhttp a socket
 * accepted elsewhere, so each connection is seen where evhttp makes its bufferevent
 * (evhttp_set_bevcb: http.c makes it, plain or through the server's bufferevent factory) and
 * admitted once evhttp has set it up, in the same loop iteration; its close callback
 * (evhttp_connection_set_closecb) tells when it ends: code that wants one of its own on an
 * HTTP connection sets it with http_connection_set_closecb, which keeps the count right.
 */

struct engine;
struct control;
struct replay_history;
struct engine_stats;
struct feed_server_stats;
struct subscribers_stats;
struct store_stats;
struct journal_stats;
struct guard;
struct i3_server_stats;
struct evhttp_request;
struct guard_stats;
struct auth;
struct auth_stats;
struct streams;
struct streams_stats;
struct evbuffer;

/* What the daemon shows: filled on each request. */
struct receivers;
struct tls_server;

struct health_stats;

struct http_state {
	struct engine *engine;
	const struct replay_history *history;
	const struct feed_server_stats *feeds;
	const struct health_stats *health; /* the feed-silence watch; NULL: none */
	const struct subscribers_stats *subscribers;
	const struct streams_stats *streams; /* GET /api/stream */
	const struct store_stats *journal;
	const struct journal_stats *journal_files;
	struct receivers *receivers; /* the paging receivers (their counters), NULL: none */
	const struct auth_stats *auth; /* tokens: failures and refusals */
	const struct tls_server *tls; /* TLS refusals; NULL: no listener serves TLS */
	int64_t loop_lag_us;         /* how late the last 1 s timer ran: event-loop lag */
	bool journal_degraded;
	const char *degraded_reason; /* when degraded */
	const struct guard_stats *guard; /* connections refused and closed by the slot limits */
	const struct i3_server_stats *i3; /* POST /LogEvents; NULL: i3.enabled is false */
	const struct nats_stats *nats;   /* NATS JetStream (nats.h); NULL: nats.enabled is false */
};

/* Longest answer to an acknowledgement: the acknowledged notice, or an error. */
#define HTTP_ACK_REPLY_MAX 2048

struct http_view {
	void (*state)(void *ctx, struct http_state *out);
	/*
	 * Acknowledge: check, journal and apply control (a CONTROL_ACK). 0 with the acknowledged
	 * notice in reply, -ENOENT (no open alert) or another negative errno, with the reason in
	 * reply.
	 */
	int (*acknowledge)(void *ctx, const struct control *control, char *reply,
			   size_t reply_size);
	struct auth *auth; /* who may use what (auth.h); NULL or no token configured: everyone */
	struct streams *streams; /* serves GET /api/stream */
	/* POST /LogEvents (i3_server.h), authorized: answer request now or later; NULL: 404 */
	void (*log_event)(void *ctx, struct evhttp_request *request);
	void *ctx;
};

struct http_settings {
	uint32_t max_header_bytes; /* http.max_header_bytes */
	uint32_t max_body_bytes;   /* http.max_body_bytes */
	uint32_t max_log_event_bytes; /* i3.max_body_bytes when enabled (POST /LogEvents), else 0 */
	uint32_t max_alerts_bytes; /* http.max_alerts_bytes */
	uint32_t timeout_seconds;  /* http.timeout_seconds */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds: refused requests */
	uint32_t max_connections;             /* http.max_connections */
	uint32_t max_connections_per_address; /* http.max_connections_per_address */
};

/* Counters since start. */
struct http_stats {
	uint64_t requests;     /* requests answered */
	uint64_t client_errors; /* of which 4xx */
	uint64_t acks;         /* acknowledgements applied */
	uint64_t accepted;     /* connections admitted */
	uint64_t refused;      /* connections closed at once: a connection limit */
	uint64_t timed_out;    /* connections closed: no whole request in http.timeout_seconds */
	uint32_t connections;  /* connections open now */
};

struct event_base;
struct http_server;
struct bufferevent;

/* Makes the bufferevent of a new HTTP connection (evhttp sets its socket): TLS plugs in here. */
typedef struct bufferevent *(*http_bufferevent_fn)(struct event_base *base, void *ctx);

/** Make connections' bufferevents with make (NULL: plain socket bufferevents). */
void http_server_set_bufferevent_factory(struct http_server *server, http_bufferevent_fn make,
					 void *ctx);

struct evhttp_connection;

/* A close callback of an HTTP connection (evhttp_connection_set_closecb's). */
typedef void (*http_closecb_fn)(struct evhttp_connection *connection, void *ctx);

/**
 * Set the close callback of one of server's connections (cb NULL: none), in place of
 * evhttp_connection_set_closecb, which would take the one http.c counts connections with:
 * cb runs when the connection closes, then http.c forgets it.
 */
void http_server_set_closecb(struct http_server *server, struct evhttp_connection *connection,
			     http_closecb_fn cb, void *ctx);

/** Count, log and alert refused connections through guard (not owned; NULL: only counted). */
void http_server_set_guard(struct http_server *server, struct guard *guard);

/**
 * Serve HTTP on every address of listen (log "listening for http on ADDRESS" for each). NULL
 * on failure with e.g. "cannot listen on 127.0.0.1:7402 (http.listen)" in why.
 */
struct http_server *http_server_new(struct event_base *base, const struct config_listen *listen,
				    const struct http_settings *settings,
				    const struct http_view *view, char *why, size_t why_size);

/**
 * A reload's addresses: bind those not served yet (an address kept keeps its socket). 0, or
 * -1 with the reason in why and nothing changed. Then http_server_rebind_commit (serve the
 * new list, close the addresses dropped, log both) or http_server_rebind_abort.
 */
int http_server_rebind(struct http_server *server, const struct config_listen *listen, char *why,
		       size_t why_size);
void http_server_rebind_commit(struct http_server *server);
void http_server_rebind_abort(struct http_server *server);

struct tls_server;

/** Serve HTTPS from now on (http.tls), with tls (not owned; it outlives the server). */
void http_server_set_tls(struct http_server *server, struct tls_server *tls);

/** Apply new limits (a reload). */
void http_server_update(struct http_server *server, const struct http_settings *settings);

/** Counters since start. */
const struct http_stats *http_server_stats(const struct http_server *server);

/** Close every socket and free. NULL is allowed. */
void http_server_free(struct http_server *server);

/**
 * Append the open-alert board as GET /api/alerts/open answers it, {"open":[...],"seq":S}, to
 * out; returns S, the seq it reflects. *failed is set when out could not take all of it.
 */
uint64_t http_board_write(struct engine *engine, struct evbuffer *out, enum redact_mode redact,
			  bool *failed);

#endif
