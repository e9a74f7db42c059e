/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "streams.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http.h"
#include "json_scan.h"
#include "listener.h"
#include "auth.h"
#include "log.h"
#include "replay.h"

#define STREAMS_STRINGIFY(x) #x
#define STREAMS_STRING(x) STREAMS_STRINGIFY(x)
#define STREAMS_RETRY "retry: " STREAMS_STRING(STREAMS_RETRY_MS) "\n\n"
#define STREAMS_KEEPALIVE ": keepalive\n\n"

struct stream {
	LIST_ENTRY(stream) link;
	struct streams *streams;
	struct evhttp_request *request;
	struct evhttp_connection *connection;
	struct bufferevent *socket; /* the connection's: its output is the stream's queue */
	struct event *keepalive;
	char peer[LISTENER_ADDRESS_TEXT_MAX];
	struct replay replay; /* catching up from the history, or live (replay.h) */
	bool board_sent;      /* the board precedes the live notices */
	uint64_t board_seq;   /* live notices up to this seq are on the board already */
	enum redact_mode redact; /* callers' numbers as its token's role may see them */
	bool filling; /* in stream_fill: the history may deliver notices */
	bool dropped; /* dropped while filling: closed when the fill returns */
};

struct streams {
	struct event_base *base;
	struct streams_limits limits;
	struct streams_stats stats;
	const struct replay_history *history;
	streams_board_fn board;
	void *board_ctx;
	struct log_limit drop_log;
	struct evbuffer *event; /* one event being written; drained into a stream's queue */
	LIST_HEAD(stream_list, stream) list;
	bool closed; /* shutting down: no more streams */
	struct http_server
		*http; /* whose connections the streams are (it counts them); may be NULL */
};

/* A stream's connection's close callback, through http.c, which counts connections. */
static void stream_set_closecb(struct stream *stream, http_closecb_fn cb, void *ctx)
{
	if (stream->streams->http)
		http_server_set_closecb(stream->streams->http, stream->connection, cb, ctx);
	else
		evhttp_connection_set_closecb(stream->connection, cb, ctx);
}

static size_t stream_queued(const struct stream *stream)
{
	return evbuffer_get_length(bufferevent_get_output(stream->socket));
}

static void stream_arm_keepalive(struct stream *stream)
{
	const struct timeval after = { .tv_sec = stream->streams->limits.keepalive_seconds };

	evtimer_add(stream->keepalive, &after);
}

static void stream_on_written(struct evhttp_connection *connection, void *ctx);

/* Queue the event in streams->event (drained) as one chunk; the keepalive restarts. */
static void stream_send(struct stream *stream)
{
	evhttp_send_reply_chunk_with_cb(stream->request, stream->streams->event, stream_on_written,
					stream);
	evbuffer_drain(stream->streams->event, evbuffer_get_length(stream->streams->event));
	stream_arm_keepalive(stream);
}

/* Forget a stream whose connection evhttp frees (or has freed). */
static void stream_forget(struct stream *stream)
{
	struct streams *streams = stream->streams;

	LIST_REMOVE(stream, link);
	streams->stats.connected--;
	streams->stats.closed++;
	event_free(stream->keepalive);
	free(stream);
}

/* Close the connection at once (unsent output is lost): the browser reconnects. */
static void stream_abort(struct stream *stream)
{
	stream_set_closecb(stream, NULL, NULL);
	evhttp_connection_free(stream->connection);
	stream_forget(stream);
}

/* A stream that fell behind by more than max_queue_bytes. */
static void stream_drop_slow(struct stream *stream)
{
	struct streams *streams = stream->streams;

	streams->stats.dropped_slow++;
	log_limited(&streams->drop_log, LOG_WARNING,
		    "stream %s closed: too slow, %zu bytes unsent and the next notice would exceed "
		    "%" PRIu32 " (http.max_stream_queue_bytes)",
		    stream->peer, stream_queued(stream), streams->limits.max_queue_bytes);
	if (stream->filling)
		stream->dropped = true; /* stream_fill closes it when the fill returns */
	else
		stream_abort(stream);
}

/* The seq of a notice line, or false for a line without one (a {"notice":...}). */
static bool line_seq(const char *line, size_t len, uint64_t *seq)
{
	char text[32]; /* a string "seq" would land here: not a seq */
	struct json_field field = { .key = "seq", .buffer = text, .capacity = sizeof text };
	const char *message;
	size_t offset;

	if (json_scan_object(line, len, &field, 1, &message, &offset) != JSON_SCAN_OBJECT ||
	    field.kind != JSON_INTEGER || field.overflow || field.integer < 0)
		return false;
	*seq = (uint64_t)field.integer;
	return true;
}

/* Write one notice as an event into streams->event: "id: SEQ" with a seq, else a notice. */
static void stream_event(struct streams *streams, enum redact_mode redact, bool has_seq,
			 uint64_t seq, const char *line, size_t len)
{
	if (has_seq)
		evbuffer_add_printf(streams->event, "id: %" PRIu64 "\ndata: ", seq);
	else
		evbuffer_add_printf(streams->event, "event: notice\ndata: ");
	auth_add_redacted(streams->event, redact, line, len);
	evbuffer_add(streams->event, "\n\n", 2);
}

/* A history line (a replayed notice, or the "no longer retained" notice). */
static void stream_emit(void *ctx, const char *line, size_t len)
{
	struct stream *stream = ctx;
	uint64_t seq = 0;
	bool has_seq = line_seq(line, len, &seq);

	stream_event(stream->streams, stream->redact, has_seq, seq, line, len);
	stream_send(stream);
}

/* Once live: the board first, then only the live notices it does not reflect. */
static void stream_send_board(struct stream *stream)
{
	struct streams *streams = stream->streams;

	if (stream->board_sent || stream->replay.state != REPLAY_LIVE)
		return;
	stream->board_sent = true;
	evbuffer_add_printf(streams->event, "event: board\ndata: ");
	stream->board_seq = streams->board(streams->board_ctx, streams->event, stream->redact);
	evbuffer_add(streams->event, "\n\n", 2);
	stream_send(stream);
}

/* History for a catching-up stream, paced by its queue; then the board. The history may
 * settle (replay.h), delivering notices to every stream: one that this makes too slow is only
 * marked while it is being filled, and closed here after. */
static void stream_fill(struct stream *stream)
{
	stream->filling = true;
	replay_fill(&stream->replay, stream->streams->history, stream_queued(stream),
		    stream->streams->limits.max_queue_bytes, stream_emit, stream);
	stream->filling = false;
	if (stream->dropped)
		stream_abort(stream);
	else
		stream_send_board(stream);
}

/* The queue is empty: more history for a stream catching up. */
static void stream_on_written(struct evhttp_connection *connection, void *ctx)
{
	(void)connection;
	stream_fill(ctx);
}

static void stream_on_keepalive(evutil_socket_t fd, short what, void *ctx)
{
	struct stream *stream = ctx;

	(void)fd;
	(void)what;
	if (stream_queued(stream) > 0) {
		stream_arm_keepalive(
			stream); /* output is pending: the client sees the stream alive */
		return;
	}
	evbuffer_add(stream->streams->event, STREAMS_KEEPALIVE, sizeof STREAMS_KEEPALIVE - 1);
	stream_send(stream);
}

/* The client went away (or took nothing for write_timeout_seconds): evhttp frees the
 * connection. A request it let go of (a stream is never done) is ours to free. */
static void stream_on_close(struct evhttp_connection *connection, void *ctx)
{
	struct stream *stream = ctx;

	(void)connection;
	log_msg(LOG_INFO, "stream %s closed", stream->peer);
	if (!evhttp_request_get_connection(stream->request))
		evhttp_request_free(stream->request);
	stream_forget(stream);
}

/* A client that takes nothing of its queue for write_timeout_seconds is closed; reading it
 * is bounded by STREAMS_INPUT_MAX (and no read timeout: a stream lives as long as its
 * client). */
static void stream_set_timeouts(struct stream *stream)
{
	const struct timeval write = { .tv_sec = stream->streams->limits.write_timeout_seconds };

	bufferevent_set_timeouts(stream->socket, NULL, &write);
}

static void stream_setup_socket(struct stream *stream)
{
	const int bytes = STREAMS_SOCKET_SEND_BYTES;
	evutil_socket_t fd = bufferevent_getfd(stream->socket);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
	bufferevent_setwatermark(stream->socket, EV_READ, 0, STREAMS_INPUT_MAX);
	stream_set_timeouts(stream);
}

static void stream_peer(struct stream *stream)
{
	char *address = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(stream->connection, &address, &port);
	snprintf(stream->peer, sizeof stream->peer, "%s:%u", address ? address : "?",
		 (unsigned)port);
}

static struct stream *stream_new(struct streams *streams, struct evhttp_request *request)
{
	struct stream *stream = calloc(1, sizeof *stream);

	if (!stream)
		return NULL;
	stream->streams = streams;
	stream->request = request;
	stream->connection = evhttp_request_get_connection(request);
	stream->socket =
		stream->connection ? evhttp_connection_get_bufferevent(stream->connection) : NULL;
	stream->keepalive = evtimer_new(streams->base, stream_on_keepalive, stream);
	if (!stream->socket || !stream->keepalive) {
		if (stream->keepalive)
			event_free(stream->keepalive);
		free(stream);
		return NULL;
	}
	stream_peer(stream);
	return stream;
}

/* 200 with the event-stream headers, and the retry line. */
static void stream_start(struct stream *stream)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(stream->request);

	evhttp_add_header(headers, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(headers, "Cache-Control", "no-store");
	evhttp_add_header(headers, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(stream->request, 200, "OK");
	stream_setup_socket(stream);
	stream_set_closecb(stream, stream_on_close, stream);
	evbuffer_add(stream->streams->event, STREAMS_RETRY, sizeof STREAMS_RETRY - 1);
	stream_send(stream);
}

int streams_open(struct streams *streams, struct evhttp_request *request, bool has_since,
		 uint64_t since, enum redact_mode redact, char *why, size_t why_size)
{
	const struct replay_history *history = streams->history;
	struct stream *stream;

	if (streams->closed) {
		snprintf(why, why_size, "shutting down");
		return -ESHUTDOWN;
	}
	if (streams->stats.connected >= streams->limits.max_streams) {
		streams->stats.refused++;
		snprintf(why, why_size, "too many streams (http.max_streams %" PRIu32 ")",
			 streams->limits.max_streams);
		return -EBUSY;
	}
	/* Settled before the stream exists: what this delivers drops no stream half made. */
	if (history->settle)
		history->settle(history->ctx);
	if (!(stream = stream_new(streams, request))) {
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	stream->redact = redact;
	LIST_INSERT_HEAD(&streams->list, stream, link);
	streams->stats.opened++;
	streams->stats.connected++;
	if (has_since)
		log_msg(LOG_INFO, "stream %s opened: notices since seq %" PRIu64, stream->peer,
			since);
	else
		log_msg(LOG_INFO, "stream %s opened", stream->peer);
	stream_start(stream);
	replay_init(&stream->replay, history->newest(history->ctx));
	replay_release(&stream->replay, history, has_since, since, stream_emit, stream);
	stream_fill(stream);
	return 0;
}

/* A catching-up stream gets the notice later from the history; it is too slow when the live
 * notices it still has to take and its queue exceed max_queue_bytes (as for consoles). */
static bool stream_keeps_up(const struct stream *stream)
{
	const struct streams *streams = stream->streams;

	return stream_queued(stream) + replay_live_debt(&stream->replay, streams->history) <=
	       streams->limits.max_queue_bytes;
}

void streams_broadcast(struct streams *streams, uint64_t seq, const char *line, size_t len)
{
	struct stream *stream, *next;

	for (stream = LIST_FIRST(&streams->list); stream; stream = next) {
		next = LIST_NEXT(stream, link);
		if (stream->dropped)
			continue;
		if (stream->replay.state != REPLAY_LIVE) {
			if (!stream_keeps_up(stream))
				stream_drop_slow(stream);
			continue;
		}
		if (seq <= stream->board_seq)
			continue;
		stream_event(streams, stream->redact, true, seq, line, len);
		if (stream_queued(stream) + evbuffer_get_length(streams->event) >
		    streams->limits.max_queue_bytes) {
			evbuffer_drain(streams->event, evbuffer_get_length(streams->event));
			stream_drop_slow(stream);
			continue;
		}
		stream_send(stream);
	}
}

void streams_close_all(struct streams *streams)
{
	streams->closed = true;
	while (!LIST_EMPTY(&streams->list)) {
		struct stream *stream = LIST_FIRST(&streams->list);
		struct evbuffer *output = bufferevent_get_output(stream->socket);
		const char *coding = evhttp_find_header(
			evhttp_request_get_output_headers(stream->request), "Transfer-Encoding");

		/* The final chunk (HTTP/1.0: closing is the end), and what the socket takes now:
		 * the loop may not run again before the process exits. */
		if (coding && strcmp(coding, "chunked") == 0)
			evbuffer_add(output, "0\r\n\r\n", 5);
		evbuffer_unfreeze(output, 1); /* the bufferevent's; it is freed next */
		evbuffer_write(output, bufferevent_getfd(stream->socket));
		stream_abort(stream);
	}
}

struct streams *streams_new(struct event_base *base, const struct streams_limits *limits,
			    const struct replay_history *history, streams_board_fn board,
			    void *board_ctx)
{
	struct streams *streams = calloc(1, sizeof *streams);

	if (!streams || !(streams->event = evbuffer_new())) {
		free(streams);
		return NULL;
	}
	streams->base = base;
	streams->limits = *limits;
	streams->history = history;
	streams->board = board;
	streams->board_ctx = board_ctx;
	log_limit_init(&streams->drop_log, limits->log_interval_seconds, "slow streams closed");
	LIST_INIT(&streams->list);
	return streams;
}

void streams_set_http_server(struct streams *streams, struct http_server *http)
{
	streams->http = http;
}

void streams_free(struct streams *streams)
{
	if (!streams)
		return;
	streams_close_all(streams);
	log_limit_flush(&streams->drop_log);
	evbuffer_free(streams->event);
	free(streams);
}

void streams_update_limits(struct streams *streams, const struct streams_limits *limits)
{
	struct stream *stream;

	streams->limits = *limits;
	streams->drop_log.interval_seconds = limits->log_interval_seconds;
	LIST_FOREACH(stream, &streams->list, link) {
		stream_set_timeouts(stream);
		stream_arm_keepalive(stream); /* from now, with the new interval */
	}
}

const struct streams_stats *streams_stats(const struct streams *streams)
{
	return &streams->stats;
}
