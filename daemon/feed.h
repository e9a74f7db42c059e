/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_FEED_H
#define CADMOND_FEED_H

#include <stdint.h>

#include <event2/util.h>

#include "engine.h"

/*
 * Feed connections: CAD / call-handling systems sending protocol-v1 lines. Each connection
 * has its own line buffer, counters and log rate limiter; every complete line goes through
 * the engine. A line longer than max_line_bytes is rejected as line_too_long and the rest
 * of it is discarded up to the next "\n" without ever buffering more than max_line_bytes
 * (+2 for "\r\n"). A partial line at disconnect is dropped and counted.
 */

/* Counters of one feed connection, logged when it closes. */
struct feed_stats {
	uint64_t bytes;                       /* bytes received */
	uint64_t lines;                       /* complete lines, including rejected ones */
	uint64_t events;                      /* lines the engine accepted as events */
	uint64_t rejected;                    /* lines rejected, any reason */
	uint64_t rejects[EVENT_REJECT_COUNT]; /* lines rejected, by reason */
	uint64_t partial_lines;               /* unterminated line dropped at disconnect */
};

/* Counters over all feed connections since start. */
struct feed_server_stats {
	uint64_t accepted;      /* connections taken */
	uint64_t refused;       /* connections closed at once: max_connections reached */
	uint64_t closed;        /* connections ended */
	uint64_t partial_lines; /* unterminated lines dropped at disconnect */
	uint32_t connected;     /* connections open now */
};

struct feed_limits {
	uint32_t max_connections;      /* feed.max_connections */
	uint32_t max_line_bytes;       /* feed.max_line_bytes */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds */
};

struct event_base;
struct feed_server;

/** All feed connections of one daemon, feeding engine (not owned). NULL on allocation failure. */
struct feed_server *feed_server_new(struct event_base *base, struct engine *engine,
				    const struct feed_limits *limits);

/** Close every connection (dropping unprocessed input) and free the server. NULL is allowed. */
void feed_server_free(struct feed_server *server);

/**
 * Take a new connection (the server owns fd from here). Beyond max_connections it is closed
 * at once, counted as refused and logged (rate-limited).
 */
void feed_server_accept(struct feed_server *server, evutil_socket_t fd, const char *peer);

/**
 * Shutdown: process what every connection has received so far (what is buffered, and what
 * the kernel holds, up to FEED_SHUTDOWN_READ_MAX_BYTES per connection), then close them all.
 */
void feed_server_close_all(struct feed_server *server);

/** Apply new limits: to open connections too (line length, rate limit) and to later accepts. */
void feed_server_update_limits(struct feed_server *server, const struct feed_limits *limits);

/** Counters over all connections since start (see struct feed_server_stats). */
const struct feed_server_stats *feed_server_stats(const struct feed_server *server);

/* What one connection may still read from the kernel at shutdown. */
#define FEED_SHUTDOWN_READ_MAX_BYTES (4u << 20)

#endif
