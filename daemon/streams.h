/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_STREAMS_H
#define CADMOND_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact.h"

/*
 * GET /api/stream: the alert stream as Server-Sent Events (docs/http.md), for browsers. A
 * stream starts with "retry: 2000", then, from a resume point N (Last-Event-ID or ?since),
 * every retained notice with seq > N from the alert history, then the open-alert board as
 * one "board" event, then every notice broadcast, each as "id: SEQ\ndata: LINE". The seams
 * are those of the alert port's consoles (replay.h): a catching-up stream is fed from the
 * history, paced by its queue, and skips the live notices the board already reflects.
 *
 * Bounded: at most max_streams streams (the caller answers 503 beyond); a stream whose unsent
 * output would exceed max_queue_bytes is closed, counted and logged (rate-limited); the
 * kernel's send buffer of a stream socket is STREAMS_SOCKET_SEND_BYTES, as for consoles. A
 * comment ": keepalive" is sent after keepalive_seconds without output. A client that goes
 * away frees its stream (evhttp's close callback).
 */

/* SO_SNDBUF of stream sockets (see SUBSCRIBERS_SOCKET_SEND_BYTES). */
#define STREAMS_SOCKET_SEND_BYTES (64 * 1024)
/* Unread input held per stream (a client has nothing to say once its stream started). */
#define STREAMS_INPUT_MAX 4096
/* The reconnection delay a browser is told, in milliseconds. */
#define STREAMS_RETRY_MS 2000

struct streams_limits {
	uint32_t max_streams;          /* http.max_streams */
	uint32_t max_queue_bytes;      /* http.max_stream_queue_bytes, per stream */
	uint32_t keepalive_seconds;    /* http.stream_keepalive_seconds */
	uint32_t write_timeout_seconds; /* http.timeout_seconds: a client that takes nothing */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds */
};

/* Counters since start. */
struct streams_stats {
	uint64_t opened;       /* streams started */
	uint64_t refused;      /* answered 503: max_streams reached */
	uint64_t dropped_slow; /* closed: queue over max_queue_bytes */
	uint64_t closed;       /* streams ended, for any reason */
	uint32_t connected;    /* streams open now */
};

struct evbuffer;
struct event_base;
struct evhttp_request;
struct replay_history;
struct streams;

/* Appends the open-alert board as GET /api/alerts/open answers it; returns the seq it
 * reflects. */
typedef uint64_t (*streams_board_fn)(void *ctx, struct evbuffer *out, enum redact_mode redact);

/** Every stream of one daemon, reading history (not owned; it must outlive them). NULL on
 * allocation failure. */
struct streams *streams_new(struct event_base *base, const struct streams_limits *limits,
			    const struct replay_history *history, streams_board_fn board,
			    void *board_ctx);

/** End every stream (streams_close_all) and free. NULL is allowed. */
void streams_free(struct streams *streams);

struct http_server;

/** The HTTP server whose connections the streams take over: it keeps counting them
 * (http_server_set_closecb). Not owned; NULL: not counted. */
void streams_set_http_server(struct streams *streams, struct http_server *http);

/**
 * Start a stream answering request (GET): 200 and the events above, from since when
 * has_since. 0 when the stream started (the request is the stream's from here); -EBUSY with
 * max_streams reached (counted; the reason in why, for a 503), -ESHUTDOWN once closed,
 * -ENOMEM. On an error the caller answers the request.
 */
int streams_open(struct streams *streams, struct evhttp_request *request, bool has_since,
		 uint64_t since, enum redact_mode redact, char *why, size_t why_size);

/** Send one notice (JSON without newline) to every stream, but those whose board reflects seq. */
void streams_broadcast(struct streams *streams, uint64_t seq, const char *line, size_t len);

/** Shutdown: end every stream cleanly (its final chunk, as far as the socket takes it) and
 * take no more. Call before the HTTP server is freed. */
void streams_close_all(struct streams *streams);

/** Apply new limits: max_streams to the next streams, the others to every stream at once. */
void streams_update_limits(struct streams *streams, const struct streams_limits *limits);

/** Counters since start. */
const struct streams_stats *streams_stats(const struct streams *streams);

#endif
