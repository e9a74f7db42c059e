/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_FEED_H
#define CADMOND_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/util.h>

#include "engine.h"
#include "mapping.h"

/*
 * Feed connections: CAD / call-handling systems sending protocol-v1 lines. Each connection
 * has its own line buffer, counters and log rate limiter; every complete line goes through
 * the engine. A line longer than max_line_bytes is rejected as line_too_long and the rest
 * of it is discarded up to the next "\n" without ever buffering more than max_line_bytes
 * (+2 for "\r\n"). A partial line at disconnect is dropped and counted.
 *
 * TCP keepalive (feed.keepalive_seconds) lets the kernel notice a CAD that vanished without
 * closing: the first probe after that many idle seconds, then one every
 * FEED_KEEPALIVE_INTERVAL_SECONDS (or keepalive_seconds, if shorter); after
 * FEED_KEEPALIVE_PROBES unanswered probes the connection fails and is closed. An idle
 * timeout (feed.idle_timeout_seconds) closes a feed that completed no line for that long.
 * Both apply to open connections too when the limits change.
 *
 * Slots (guard.h, docs/protocol.md "Connection rules"): a new connection is pending until
 * its first valid line (a hello naming a source, or an event line the parser took), in one
 * of max_pending_connections slots; then it holds one of max_connections. A connection is
 * refused at once when max_connections feeds are established (or at its first line, when
 * they became so meanwhile), when max_connections_per_address are open from its host, or
 * when the pending slots are full. Pending past handshake_timeout_seconds, a line
 * incomplete for line_timeout_seconds: closed, counted, logged.
 */

/* Seconds between keepalive probes once the first went unanswered. */
#define FEED_KEEPALIVE_INTERVAL_SECONDS 10
/* Unanswered keepalive probes after which the kernel gives the connection up. */
#define FEED_KEEPALIVE_PROBES 6
/* Longest keepalive idle time Linux accepts (TCP_KEEPIDLE); longer settings use this. */
#define FEED_KEEPALIVE_IDLE_MAX_SECONDS 32767

/* Counters of one feed connection, logged when it closes. */
struct feed_stats {
	uint64_t bytes;                       /* bytes received */
	uint64_t lines;                       /* complete lines, including rejected ones */
	uint64_t events;                      /* lines the engine accepted as events */
	uint64_t rejected;                    /* lines rejected, any reason */
	uint64_t rejects[EVENT_REJECT_COUNT]; /* lines rejected, by reason */
	uint64_t partial_lines;               /* unterminated line dropped at disconnect */
	uint64_t bad_hellos;                  /* hello lines with a problem (acks.h) */
	uint64_t restarts;                    /* its sender restarted its numbering */
	uint64_t records;                     /* feed.mapping: records read */
	uint64_t records_skipped;	      /* of which unanswered calls (skip_when_empty) */
	/* feed.mapping: records rejected, by reason */
	uint64_t records_rejected[MAPPING_STATUS_COUNT];
};

/* Counters over all feed connections since start. */
struct feed_server_stats {
	uint64_t accepted;      /* connections taken */
	uint64_t refused;       /* connections closed at once: max_connections reached */
	uint64_t closed;        /* connections ended */
	uint64_t partial_lines; /* unterminated lines dropped at disconnect */
	uint64_t idle_closed;   /* connections closed by feed.idle_timeout_seconds */
	uint64_t handshake_closed;    /* pending past feed.handshake_timeout_seconds */
	uint64_t line_timeout_closed; /* a line incomplete for feed.line_timeout_seconds */
	uint64_t bad_hellos;    /* hello lines with a problem */
	uint64_t acks_sent;     /* {"ack":N} lines sent */
	uint64_t restarts;      /* senders that restarted their numbering */
	/* feed.mapping: records rejected, by reason */
	uint64_t records_rejected[MAPPING_STATUS_COUNT];
	uint64_t records_skipped; /* unanswered calls (skip_when_empty): no events, no error */
	/* loop iterations in which a connection stopped at feed.snapshot_iteration_budget_us
	 * with lines left in its buffer (FEED_READ_SNAPSHOT_BUDGET_BYTES) */
	uint64_t iterations_cut_short;
	uint32_t connected;     /* connections open now, pending ones included */
	uint32_t pending;       /* of which pending: no valid line yet */
};

struct feed_limits {
	uint32_t max_connections;      /* feed.max_connections */
	uint32_t max_line_bytes;       /* feed.max_line_bytes */
	uint32_t log_interval_seconds; /* log.rate_limit_seconds */
	uint32_t keepalive_seconds;    /* feed.keepalive_seconds; 0 = off */
	uint32_t idle_timeout_seconds; /* feed.idle_timeout_seconds; 0 = never */
	bool bind_source;              /* feed.tls with feed.source_binding: certificate */
	uint32_t max_pending_connections;     /* feed.max_pending_connections */
	uint32_t max_connections_per_address; /* feed.max_connections_per_address */
	uint32_t handshake_timeout_seconds;   /* feed.handshake_timeout_seconds */
	uint32_t line_timeout_seconds;        /* feed.line_timeout_seconds */
	uint32_t snapshot_iteration_budget_us; /* feed.snapshot_iteration_budget_us */
};

struct event_base;
struct feed_server;
struct guard;

/** All feed connections of one daemon, feeding engine (not owned). NULL on allocation failure. */
struct feed_server *feed_server_new(struct event_base *base, struct engine *engine,
				    const struct feed_limits *limits);

/** Close every connection (dropping unprocessed input) and free the server. NULL is allowed. */
void feed_server_free(struct feed_server *server);

/**
 * Take a new connection (the server owns fd from here), pending. Refused (closed at once,
 * counted, logged rate-limited through the guard) as the slots above say.
 */
void feed_server_accept(struct feed_server *server, evutil_socket_t fd, const char *peer);

/**
 * Like feed_server_accept, for a connection that sends records of mapping (copied into the
 * connection; NULL: feed lines), local times in zone (NULL: its fixed offset or UTC): a
 * listen address of mappings[].listen. The same slots and limits as every feed connection.
 */
void feed_server_accept_records(struct feed_server *server, evutil_socket_t fd, const char *peer,
				const struct config_mapping *mapping, const struct zone *zone);

/**
 * Shutdown: process what every connection has received so far (what is buffered, and what
 * the kernel holds, up to FEED_SHUTDOWN_READ_MAX_BYTES per connection and for at most
 * FEED_SHUTDOWN_READ_MAX_MS in all), then close them all.
 */
void feed_server_close_all(struct feed_server *server);

/**
 * feed.mapping: connections opened from now on read records of mapping (copied; NULL: feed
 * lines), local times in zone (copied; NULL: the mapping's fixed offset or UTC). Open
 * connections keep what they read. 0, or -ENOMEM (nothing changed).
 */
int feed_server_set_mapping(struct feed_server *server, const struct config_mapping *mapping,
			    const struct zone *zone);

/** Apply new limits: to open connections too (line length, rate limit, keepalive, idle
 * timeout) and to later accepts. */
void feed_server_update_limits(struct feed_server *server, const struct feed_limits *limits);

/** Log the keepalive and idle timeout applied to feed connections, e.g. "feed connections: TCP
 * keepalive first probe after 60 s idle, then every 10 s, 6 unanswered close it; idle
 * timeout off". */
void feed_server_log_settings(const struct feed_server *server);

struct tls_server;

/**
 * Serve feed connections over TLS from now on (feed.tls), with tls (not owned; it outlives
 * the server). With limits.bind_source, a connection's hello "source" must be its client
 * certificate's CN or a DNS SAN, and its first event must follow a hello: otherwise it is
 * closed, logged (rate-limited) and counted (tls.h: source_mismatch, no_hello).
 */
void feed_server_set_tls(struct feed_server *server, struct tls_server *tls);

/* Unsent output beyond which a feed's acks wait (a later ack covers the earlier ones). */
#define FEED_ACK_QUEUE_MAX_BYTES 4096

/* Where lines are journaled before the engine sees them (store.h, through cadmond). */
struct feed_journal {
	/* Journal a line of a connection with its origin (an empty line: a hello, or with an
	 * empty source a tick of the host clock): its record index. */
	uint64_t (*append_line)(void *ctx, const struct engine_origin *origin, const char *line,
				size_t len);
	/* Journal a line rejected before the engine (line_too_long). */
	void (*append_reject)(void *ctx, enum event_reject reason);
	/* Lines arrived from a connection: source ("" when it named none) and peer; may be
	 * NULL. Called before the first line of each chunk read is journaled (once per chunk:
	 * its lines came together, not once per line). */
	void (*heard)(void *ctx, const char *source, const char *peer);
	/* A line of this connection the engine took (an event, or a resend): once per chunk,
	 * after the engine; may be NULL. */
	void (*admitted)(void *ctx, const char *source, const char *peer);
	/* Whether to read less: a snapshot is being written in the background, or the
	 * rotation that forks one is near (store_read_less); may be NULL. Meanwhile a plain-TCP
	 * connection reads at most FEED_READ_SNAPSHOT_BUDGET_BYTES an iteration, and the
	 * iteration's line work stops at feed.snapshot_iteration_budget_us (see there). */
	bool (*read_less)(void *ctx);
	void *ctx;
};

/** Journal every line from now on (without this, lines are not journaled). */
void feed_server_set_journal(struct feed_server *server, const struct feed_journal *journal);

/**
 * Every record up to durable_index is durable (UINT64_MAX: every line processed is): send
 * {"ack":N} to each connection whose lines up to seq N are (acks.h). A connection that does
 * not read its acks gets no more while FEED_ACK_QUEUE_MAX_BYTES of output wait for it: the
 * newest ack due waits, and is sent once its output has drained (or with a later one).
 */
void feed_server_acknowledge(struct feed_server *server, uint64_t durable_index);

/** Count, log and alert refusals and expiries through guard (not owned; NULL: only counted
 * here). */
void feed_server_set_guard(struct feed_server *server, struct guard *guard);

/**
 * A loop iteration begins (cadmond calls it before each event_base_loop(EVLOOP_ONCE)): the
 * lines processed under the time budget (FEED_READ_SNAPSHOT_BUDGET_BYTES) count against a
 * new deadline, set when the iteration's first line is processed.
 */
void feed_server_next_iteration(struct feed_server *server);

/**
 * The line work of another input (nats.c: its messages) under the same budget: call it after
 * each line (message) of a turn while more wait, *unchecked_lines 0 when the turn begins.
 * True: stop, what is left waits for the next iteration (counted in iterations_cut_short);
 * false: go on (not reading less, before the deadline, or fewer than
 * FEED_DEADLINE_CHECK_LINES lines since the clock was last read).
 */
bool feed_server_budget_spent(struct feed_server *server, unsigned *unchecked_lines);

/** Counters over all connections since start (see struct feed_server_stats). */
const struct feed_server_stats *feed_server_stats(const struct feed_server *server);

#define FEED_LINE_KEY "feed.max_line_bytes"

struct limitwatch_hooks;

/** A line longer than feed.max_line_bytes from source (its hello name, else its address)
 * rejected, here or by another reader of feed lines (a NATS message): one more for the
 * feed.max_line_bytes limit alert, which names the latest one's source. */
void feed_server_line_too_long(struct feed_server *server, const char *source);

/**
 * Once a second: lines longer than feed.max_line_bytes since the last tick raise a "limit"
 * system alert keyed "feed.max_line_bytes" through hooks, naming the latest one's source (its
 * hello name, else the peer address), resolved once none came for quiet_seconds
 * (limitwatch.h).
 */
void feed_server_tick(struct feed_server *server, int64_t now_ms, uint32_t quiet_seconds,
		      const struct limitwatch_hooks *hooks);

/*
 * A plain-TCP connection is read by cadmond itself, not by libevent's bufferevent (which takes
 * at most 4 KiB per read, after an ioctl, and whose first read of each batch was a journal
 * commit of its own): its persistent read event, when the socket is readable, reads
 * FEED_READ_CHUNK_BYTES at a time and processes them, in the order the connections became
 * readable, until the kernel has nothing more, a read brings less than FEED_READ_SHORT_BYTES or
 * FEED_READ_BUDGET_BYTES were read (fairness between feeds; the event, level-triggered, comes
 * again in the next loop iteration for what is left or arrived meanwhile). A short read ends
 * the drain without a further read only to find the socket empty: with many live feeds each
 * brings a few KiB an iteration, and that read, nearly always EAGAIN, was one more syscall per
 * feed per iteration (bench/README.md, "branch feeds20b"); a sender that is ahead (a backlog,
 * whose reads the socket's buffer may keep under a chunk) is read on. Everything read in an
 * iteration goes to the journal in one commit (one fdatasync under journal.fsync: batch), which
 * runs after the iteration's reads (store.h; lines of two or more sources and no alert: after
 * the next iteration's reads, with them); acknowledgements follow that commit. What arrives
 * after the last read before a SIGTERM is read at shutdown (feed_server_close_all). The
 * bufferevent holds the input buffer and sends the acks. TLS connections are read by libevent's
 * filter.
 */
#define FEED_READ_CHUNK_BYTES (64u << 10)
#define FEED_READ_BUDGET_BYTES (256u << 10)
#define FEED_READ_SHORT_BYTES (16u << 10)
/*
 * The budget while a snapshot's fork()ed child writes it: until the child ends, the first
 * write to each page of the daemon's memory copies it (copy-on-write, about 4 µs a page on
 * a 2-vCPU VM), and the lines of the iteration after the fork write about two pages each
 * that no line wrote since: 256 KiB then took 15-20 ms of CPU of copies alone, against
 * about 4 ms for the lines (bench/README.md, "branch stall"). 16 KiB (about 110 lines of a
 * CAD) keeps such an iteration near 1 ms of copies: the copying is spread over the
 * iterations instead, the loop serving its other events in between. The same from shortly
 * before the rotation: the iteration that forks does not also process 256 KiB of lines.
 */
#define FEED_READ_SNAPSHOT_BUDGET_BYTES (16u << 10)
/*
 * And in time: the lines of such an iteration still copied 300-540 pages after each fork
 * (2-4 ms, bench/README.md "branch stall3"). So meanwhile the iteration's line work, all
 * connections together, also stops at feed.snapshot_iteration_budget_us after its first line:
 * a connection past it stops at a line boundary, leaves the rest in its input buffer (not
 * journaled, not acknowledged) and, on plain TCP, reads nothing more until that is processed
 * (under TLS libevent's filter goes on decrypting into it, up to the input's bound; every pass
 * starts at its head, so the order holds); a zero-timeout
 * timer brings it back in the next iteration, after that iteration's reads (the kernel may
 * have nothing more for the level-triggered read event). The clock (CLOCK_MONOTONIC, vDSO) is
 * read every FEED_DEADLINE_CHECK_LINES lines, so a connection processes at least that many
 * lines an iteration, even past the deadline: none waits for the others for ever. Shutdown,
 * a reload's new limits and a connection's end process what is left without a deadline.
 * NATS messages come under the same deadline (feed_server_budget_spent); i3 log events do
 * not: one HTTP request is one log event of a few lines, and at most
 * i3.max_pending_requests of them wait for the journal at a time.
 *
 * Fairness: a connection cannot starve while snapshots are written back to back. Every one
 * with lines left has its turn in every iteration (its read event, or the zero-timeout timer
 * after the reads) and processes FEED_DEADLINE_CHECK_LINES of them before it looks at the
 * clock, so it is done within (lines left) / FEED_DEADLINE_CHECK_LINES iterations. And one
 * turn only: when its read event took the lines left, the timer due in the same iteration
 * does nothing, and a turn offered again in the iteration (libevent runs a second pass over
 * the events when more than 32 deferred callbacks came due in the first) is skipped, the
 * timer bringing the connection back in the next (test_feed_turns). The share
 * is even only once the budget is spent: the connection libevent runs first in an iteration
 * (the first readable socket in epoll's order, which stays the same while all stay readable)
 * takes what the budget allows, the others FEED_DEADLINE_CHECK_LINES lines each. At 1000 us
 * an iteration then lasts a millisecond or two: the last still gets some thousand lines a
 * second, far more than a CAD sends, so the order is not rotated (test_daemon:
 * test_snapshot_budget_serves_every_feed).
 */
#define FEED_DEADLINE_CHECK_LINES 4

/* What one connection may still read from the kernel at shutdown. */
#define FEED_SHUTDOWN_READ_MAX_BYTES (4u << 20)
/* How long shutdown reads from the kernel, all connections together: feeds that keep sending
 * cannot hold up the exit (what is left unread is logged; the CAD resends what was not
 * acknowledged). With CADMOND_FLUSH_SECONDS for subscribers, the exit stays within 5 s. */
#define FEED_SHUTDOWN_READ_MAX_MS 1500

#endif
