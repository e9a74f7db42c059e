/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "subscribers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "auth.h"
#include "cadmon-version.h"
#include "guard.h"
#include "json_scan.h"
#include "listener.h"
#include "log.h"
#include "tls.h"
#include "replay.h"

#define SUBSCRIBERS_STRINGIFY(x) #x
#define SUBSCRIBERS_STRING(x) SUBSCRIBERS_STRINGIFY(x)
/* A console refused after its hello has this long to take its last line, the {"error":...}. */
#define SUBSCRIBERS_LAST_LINE_SECONDS 5
#define SUBSCRIBERS_HELLO                                                                    \
	"{\"hello\":\"cadmond\",\"version\":\"" CADMON_VERSION                               \
	"\",\"protocol\":" SUBSCRIBERS_STRING(SUBSCRIBERS_PROTOCOL) "}\n"

struct subscriber {
	LIST_ENTRY(subscriber) link;
	struct subscribers *subscribers;
	struct bufferevent *connection;
	char peer[LISTENER_ADDRESS_TEXT_MAX];
	char host[LISTENER_ADDRESS_TEXT_MAX]; /* the peer without its port */
	struct guard_clock clock;  /* handshake and line deadlines (guard.h) */
	bool pending;              /* not yet taken as a console: holds a pending slot */
	uint64_t lines;            /* complete lines read */
	struct replay replay;      /* held, catching up or live (replay.h) */
	struct event *hold_timer;  /* ends the hold after REPLAY_HOLD_MS */
	bool board_sent;           /* the board precedes the live stream */
	uint64_t board_seq;        /* live alerts up to this seq are on the board already */
	bool discarding;           /* the rest of a line over SUBSCRIBERS_LINE_MAX */
	bool authenticated;        /* false: waiting for its token line, sent nothing but hello */
	bool closing;              /* its last line is being sent, then it is closed */
	bool filling;              /* in subscriber_fill: the history may deliver alerts */
	bool dropped;              /* dropped while filling: closed when the fill returns */
	bool to_send;              /* an alert written this iteration: the rest by send_event */
	struct auth_grant grant;   /* who it is; without auth: admin, nothing redacted */
};

struct subscribers {
	struct event_base *base;
	struct subscribers_limits limits;
	struct subscribers_stats stats;
	struct log_limit refuse_log;
	struct log_limit drop_log;
	LIST_HEAD(subscriber_list, subscriber) list;
	struct event *send_event; /* active after a broadcast: writes what the queues still hold */
	bool flushing; /* shutting down: close each subscriber once its output is sent */
	subscribers_flushed_fn on_flushed;
	void *flushed_ctx;
	const struct replay_history *history; /* NULL: live stream only */
	struct subscribers_console console;
	struct log_limit console_log;
	struct auth *auth; /* NULL or without tokens: no token line */
	struct tls_server *tls; /* alerts.tls: consoles are TLS; NULL: plain TCP */
	struct guard *guard;            /* refusals, expiries, limit alerts; may be NULL */
	struct guard_timeouts timeouts; /* what each connection's clock applies */
};

static void subscriber_refuse_after_hello(struct subscriber *subscriber, const char *why);

static void subscriber_close(struct subscriber *subscriber)
{
	struct subscribers *subscribers = subscriber->subscribers;

	LIST_REMOVE(subscriber, link);
	guard_clock_free(&subscriber->clock);
	if (subscriber->pending)
		subscribers->stats.pending--;
	subscribers->stats.connected--;
	subscribers->stats.closed++;
	bufferevent_free(subscriber->connection);
	if (subscriber->hold_timer)
		event_free(subscriber->hold_timer);
	free(subscriber);
	if (subscribers->flushing && LIST_EMPTY(&subscribers->list) && subscribers->on_flushed) {
		subscribers_flushed_fn on_flushed = subscribers->on_flushed;

		subscribers->on_flushed = NULL;
		on_flushed(subscribers->flushed_ctx);
	}
}

/* Disconnect a subscriber that fell behind by more than max_queue_bytes. */
static void subscriber_drop_slow(struct subscriber *subscriber, size_t queued_bytes)
{
	struct subscribers *subscribers = subscriber->subscribers;

	subscribers->stats.dropped_slow++;
	log_limited(&subscribers->drop_log, LOG_WARNING,
		    "subscriber %s disconnected: too slow, %zu bytes unsent and the next alert "
		    "would exceed %" PRIu32 " (alerts.max_queue_bytes)",
		    subscriber->peer, queued_bytes, subscribers->limits.max_queue_bytes);
	if (subscriber->filling)
		subscriber->dropped = true; /* subscriber_fill closes it when the fill returns */
	else
		subscriber_close(subscriber);
}

/* Queue one alert line; false when it would overflow the subscriber's queue. */
static bool subscriber_queue(struct subscriber *subscriber, const char *line, size_t len)
{
	struct evbuffer *output = bufferevent_get_output(subscriber->connection);
	size_t queued = evbuffer_get_length(output);

	if (queued + len + 1 > subscriber->subscribers->limits.max_queue_bytes)
		return false;
	return auth_add_redacted(output, subscriber->grant.redact, line, len) == 0 &&
	       evbuffer_add(output, "\n", 1) == 0;
}

/*
 * Write a live subscriber's queue to its socket now, in the loop iteration that delivered the
 * alert, instead of after the next epoll_wait and the callbacks that come before the write
 * event's (a feed's whole read, with a steady feed). Plain TCP only (TLS writes through its
 * filter); what the kernel does not take (EAGAIN) or an error is left to libevent's write
 * event, as before. The socket bufferevent keeps its output frozen at its start for anyone
 * else, so it is unfrozen for this write, as libevent does for its own.
 */
static void subscriber_send_now(struct subscriber *subscriber)
{
	struct evbuffer *output = bufferevent_get_output(subscriber->connection);

	evbuffer_unfreeze(output, 1);
	evbuffer_write(output, bufferevent_getfd(subscriber->connection));
	evbuffer_freeze(output, 1);
}

/* The send event: every live queue a broadcast added to after its first alert of the
 * iteration, written once (the rest of an alert storm in one write), before the loop waits
 * again. */
static void subscribers_on_send(evutil_socket_t fd, short what, void *ctx)
{
	struct subscribers *subscribers = ctx;
	struct subscriber *subscriber;

	(void)fd;
	(void)what;
	LIST_FOREACH(subscriber, &subscribers->list, link) {
		if (!subscriber->to_send)
			continue;
		subscriber->to_send = false;
		if (!subscriber->closing && !subscriber->dropped &&
		    evbuffer_get_length(bufferevent_get_output(subscriber->connection)) > 0)
			subscriber_send_now(subscriber);
	}
}

/* A live plain-TCP subscriber's first alert of the iteration is written at once; what the
 * iteration queues after it, by the send event (one write for an alert storm, not one each). */
static void subscriber_send(struct subscriber *subscriber)
{
	struct subscribers *subscribers = subscriber->subscribers;

	if (subscribers->tls)
		return;
	if (!subscriber->to_send)
		subscriber_send_now(subscriber);
	subscriber->to_send = true;
	event_active(subscribers->send_event, 0, 0);
}

/* A held or catching-up subscriber gets the alert later from the history; it is too slow
 * when the live alerts it still has to take and its queue exceed max_queue_bytes. */
static bool subscriber_keeps_up(const struct subscriber *subscriber)
{
	const struct subscribers *subscribers = subscriber->subscribers;
	size_t queued = evbuffer_get_length(bufferevent_get_output(subscriber->connection));

	return queued + replay_live_debt(&subscriber->replay, subscribers->history) <=
	       subscribers->limits.max_queue_bytes;
}

void subscribers_broadcast(struct subscribers *subscribers, uint64_t seq, const char *line,
			   size_t len)
{
	struct subscriber *subscriber, *next;

	subscribers->stats.alerts++;
	for (subscriber = LIST_FIRST(&subscribers->list); subscriber; subscriber = next) {
		next = LIST_NEXT(subscriber, link);
		if (!subscriber->authenticated || subscriber->closing || subscriber->dropped)
			continue;
		if (subscriber->replay.state != REPLAY_LIVE) {
			if (!subscriber_keeps_up(subscriber))
				subscriber_drop_slow(subscriber,
						     evbuffer_get_length(bufferevent_get_output(
							     subscriber->connection)));
			continue;
		}
		if (seq <= subscriber->board_seq)
			continue;
		if (subscriber_queue(subscriber, line, len))
			subscriber_send(subscriber);
		else
			subscriber_drop_slow(subscriber, evbuffer_get_length(bufferevent_get_output(
								 subscriber->connection)));
	}
}

/* Queue one history line (a replayed alert or a notice) for a subscriber. */
static void subscriber_emit(void *ctx, const char *line, size_t len)
{
	struct subscriber *subscriber = ctx;
	struct evbuffer *output = bufferevent_get_output(subscriber->connection);

	if (auth_add_redacted(output, subscriber->grant.redact, line, len) < 0 ||
	    evbuffer_add(output, "\n", 1) < 0)
		log_msg(LOG_ERR, "out of memory queueing a replayed alert");
}

static void subscriber_emit_line(const char *line, size_t len, void *ctx)
{
	subscriber_emit(ctx, line, len);
}

/* Once live: the board first, then only the live alerts it does not reflect. */
static void subscriber_send_board(struct subscriber *subscriber)
{
	struct subscribers *subscribers = subscriber->subscribers;

	if (subscriber->board_sent || subscriber->replay.state != REPLAY_LIVE ||
	    !subscribers->console.board)
		return;
	subscriber->board_sent = true;
	subscriber->board_seq = subscribers->console.board(subscribers->console.ctx,
							   subscriber_emit_line, subscriber);
	subscribers->stats.boards++;
}

/* Queue history for a catching-up subscriber, paced by its queue. The history may settle
 * (replay.h), delivering alerts to every subscriber: one that this makes too slow is only
 * marked while it is being filled, and closed here after. False when it was closed. */
static bool subscriber_fill(struct subscriber *subscriber, size_t max_queue_bytes)
{
	size_t queued = evbuffer_get_length(bufferevent_get_output(subscriber->connection));

	subscriber->filling = true;
	replay_fill(&subscriber->replay, subscriber->subscribers->history, queued, max_queue_bytes,
		    subscriber_emit, subscriber);
	subscriber->filling = false;
	if (subscriber->dropped) {
		subscriber_close(subscriber);
		return false;
	}
	subscriber_send_board(subscriber);
	return true;
}

/* Consoles taken as consoles, connected now. */
static uint32_t subscribers_established(const struct subscribers *subscribers)
{
	return subscribers->stats.connected - subscribers->stats.pending;
}

bool subscribers_promote(struct subscriber *subscriber)
{
	struct subscribers *subscribers = subscriber->subscribers;
	char why[64], told[128];

	if (!subscriber->pending)
		return true;
	if (!subscribers->flushing &&
	    subscribers_established(subscribers) >= subscribers->limits.max_subscribers) {
		snprintf(why, sizeof why, "%" PRIu32 " subscribers connected",
			 subscribers_established(subscribers));
		subscribers->stats.refused++;
		guard_refused(subscribers->guard, GUARD_PORT_ALERTS, GUARD_REFUSED_FULL,
			      subscriber->peer, why);
		snprintf(told, sizeof told, "refused: %s (alerts.max_subscribers)", why);
		subscriber_refuse_after_hello(subscriber, told);
		return false;
	}
	subscriber->pending = false;
	subscribers->stats.pending--;
	guard_clock_promote(&subscriber->clock);
	return true;
}

/* End the hold: from since when the subscriber asked, else from where it connected. The
 * console is taken as a console (subscribers_promote); false when it was refused and closed. */
static bool subscriber_release(struct subscriber *subscriber, bool has_since, uint64_t since)
{
	struct subscribers *subscribers = subscriber->subscribers;

	if (subscriber->replay.state != REPLAY_HOLD)
		return true;
	event_del(subscriber->hold_timer);
	if (!subscribers_promote(subscriber))
		return false;
	if (has_since) {
		subscribers->stats.replays++;
		log_msg(LOG_INFO, "subscriber %s: alerts since seq %" PRIu64, subscriber->peer,
			since);
	}
	replay_release(&subscriber->replay, subscribers->history, has_since, since, subscriber_emit,
		       subscriber);
	return subscriber_fill(subscriber, subscribers->limits.max_queue_bytes);
}

/* While held: the first line, if complete, may be {"since":N} (then it is drained); any
 * other first line stays for subscriber_read_lines. False when the subscriber was refused
 * and closed (subscriber_release). */
static bool subscriber_read_first_line(struct subscriber *subscriber, struct evbuffer *input)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF);
	char line[REPLAY_LINE_MAX + 1], notice[128];
	size_t len = eol.pos < 0 ? 0 : (size_t)eol.pos;
	uint64_t since = 0;
	bool has_since = false;

	if (eol.pos < 0 && evbuffer_get_length(input) <= REPLAY_LINE_MAX)
		return true; /* the rest of the line has not arrived */
	if (eol.pos >= 0 && len <= REPLAY_LINE_MAX) {
		evbuffer_copyout(input, line, len);
		has_since = replay_parse_since(line, len, &since, notice, sizeof notice);
		if (notice[0])
			subscriber_emit(subscriber, notice, strlen(notice));
		if (has_since || notice[0]) {
			evbuffer_drain(input, len + 1);
			subscriber->lines++;
		}
	}
	return subscriber_release(subscriber, has_since, since);
}

/* A viewer may send since lines (ignored after the first), nothing else: false with the
 * notice in reply when line is something else. */
static bool subscriber_may_send(struct subscriber *subscriber, const char *line, size_t len,
				char *reply, size_t reply_size)
{
	static const char refused[] =
		"{\"notice\":\"ack: acknowledging needs the supervisor role\"}";
	char notice[128], address[LISTENER_ADDRESS_TEXT_MAX];
	uint64_t since;

	if (auth_may_acknowledge(&subscriber->grant) ||
	    replay_parse_since(line, len, &since, notice, sizeof notice))
		return false;
	auth_peer_address(subscriber->peer, address, sizeof address);
	auth_count_failure(subscriber->subscribers->auth, AUTH_PORT_ALERTS, address,
			   subscriber->peer, AUTH_FAILURE_ROLE, auth_now_ms());
	snprintf(reply, reply_size, "%s", refused);
	return true;
}

/* Hand one console line to the daemon; its answer goes to this subscriber only. */
static void subscriber_console_line(struct subscriber *subscriber, const char *line, size_t len)
{
	struct subscribers *subscribers = subscriber->subscribers;
	char reply[512];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0 || !subscribers->console.line)
		return;
	subscribers->stats.console_lines++;
	reply[0] = '\0';
	if (!subscriber_may_send(subscriber, line, len, reply, sizeof reply))
		subscribers->console.line(subscribers->console.ctx, subscriber->peer, line, len,
					  reply, sizeof reply);
	if (!reply[0])
		return;
	subscribers->stats.console_rejected++;
	log_limited(&subscribers->console_log, LOG_WARNING, "subscriber %s: %s", subscriber->peer,
		    reply);
	subscriber_emit(subscriber, reply, strlen(reply));
}

/* A line over SUBSCRIBERS_LINE_MAX: said once, then dropped up to its newline. */
static void subscriber_line_too_long(struct subscriber *subscriber)
{
	static const char notice[] = "{\"notice\":\"ack: line longer than 1024 bytes\"}";

	subscriber->subscribers->stats.console_lines++;
	subscriber->subscribers->stats.console_rejected++;
	log_limited(&subscriber->subscribers->console_log, LOG_WARNING, "subscriber %s: %s",
		    subscriber->peer, notice);
	subscriber_emit(subscriber, notice, sizeof notice - 1);
	subscriber->discarding = true;
}

/* Every complete line in input, each at most SUBSCRIBERS_LINE_MAX bytes. */
static void subscriber_read_lines(struct subscriber *subscriber, struct evbuffer *input)
{
	char line[SUBSCRIBERS_LINE_MAX + 2];

	for (;;) {
		struct evbuffer_ptr eol = evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF);
		size_t buffered = evbuffer_get_length(input);
		if (eol.pos < 0) {
			if (buffered > SUBSCRIBERS_LINE_MAX + 1) {
				if (!subscriber->discarding)
					subscriber_line_too_long(subscriber);
				evbuffer_drain(input, buffered);
			}
			return;
		}
		size_t len = (size_t)eol.pos;
		subscriber->lines++;
		if (subscriber->discarding) {
			subscriber->discarding = false;
		} else if (len > SUBSCRIBERS_LINE_MAX + 1) {
			subscriber_line_too_long(subscriber);
			subscriber->discarding = false;
		} else {
			evbuffer_copyout(input, line, len);
			subscriber_console_line(subscriber, line, len);
		}
		evbuffer_drain(input, len + 1);
	}
}

static void subscriber_on_event(struct bufferevent *connection, short what, void *ctx);
static void subscriber_start_hold(struct subscriber *subscriber);

/* While flushing: the output is sent, so this subscriber is done. */
static void subscriber_on_sent(struct bufferevent *connection, void *ctx)
{
	(void)connection;
	subscriber_close(ctx);
}

/* Send line (the last one), then close; reading stops. The caller counts why. A TLS
 * connection whose handshake is not complete cannot send it: closed at once (waiting would hold
 * its slot for as long as the client stalls, probe16a F5). */
static void subscriber_send_last(struct subscriber *subscriber, const char *line, size_t len)
{
	/* the guard's deadlines end; this one bounds a console that does not read its last line */
	const struct timeval last_line = { .tv_sec = SUBSCRIBERS_LAST_LINE_SECONDS };

	subscriber->closing = true;
	if (subscriber->subscribers->tls && tls_handshake_pending(subscriber->connection)) {
		subscriber_close(subscriber);
		return;
	}
	guard_clock_free(&subscriber->clock);
	if (subscriber->hold_timer) /* held still (a token revoked then): never released now */
		event_del(subscriber->hold_timer);
	bufferevent_set_timeouts(subscriber->connection, NULL, &last_line);
	bufferevent_disable(subscriber->connection, EV_READ);
	bufferevent_setcb(subscriber->connection, NULL, subscriber_on_sent, subscriber_on_event,
			  subscriber);
	if (evbuffer_add(bufferevent_get_output(subscriber->connection), line, len) < 0 ||
	    evbuffer_add(bufferevent_get_output(subscriber->connection), "\n", 1) < 0)
		subscriber_close(subscriber);
}

/* An authentication's refusal: its error line, then closed. */
static void subscriber_close_after(struct subscriber *subscriber, const char *line, size_t len)
{
	subscriber->subscribers->stats.unauthorized++;
	subscriber_send_last(subscriber, line, len);
}

/*
 * A console refused or closed by cadmond after its hello (the table full when it would be
 * taken, a deadline): {"error":WHY} as its last line, as a refused token gets, so that it
 * knows it was refused rather than that the stream ended (cadmon-watch then waits before it
 * tries again). The caller counts and logs it.
 */
static void subscriber_refuse_after_hello(struct subscriber *subscriber, const char *why)
{
	char line[256];
	int len = snprintf(line, sizeof line, "{\"error\":\"%s\"}", why);

	subscriber_send_last(subscriber, line, (size_t)len < sizeof line ? (size_t)len : 0);
}

/* {"authenticated":ROLE,"name":NAME}, then served as before (since from the token line).
 * False when the console was refused (every slot taken) and closed. */
static bool subscriber_authenticated(struct subscriber *subscriber, bool has_since, uint64_t since)
{
	char line[96];
	int len = snprintf(line, sizeof line, "{\"authenticated\":\"%s\",\"name\":\"%s\"}",
			   config_role_name(subscriber->grant.role), subscriber->grant.name);

	subscriber->authenticated = true;
	log_msg(LOG_INFO, "subscriber %s authenticated: %s (%s)", subscriber->peer,
		subscriber->grant.name, config_role_name(subscriber->grant.role));
	subscriber_emit(subscriber, line, (size_t)len);
	subscriber_start_hold(subscriber);
	if (subscriber->replay.state != REPLAY_HOLD)
		return subscribers_promote(
			subscriber); /* no history to ask for: a console at once */
	return has_since ? subscriber_release(subscriber, true, since) : true;
}

/* The token line {"token":"...","since":N}: true once authenticated (the line drained),
 * false while it has not all arrived or when the subscriber was refused (then closing). */
static bool subscriber_read_token_line(struct subscriber *subscriber, struct evbuffer *input)
{
	static const char unauthorized[] = "{\"error\":\"unauthorized\"}";
	struct evbuffer_ptr eol = evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF);
	char line[SUBSCRIBERS_LINE_MAX + 1], token[SUBSCRIBERS_LINE_MAX + 1],
		address[LISTENER_ADDRESS_TEXT_MAX];
	char refused[LISTENER_ADDRESS_TEXT_MAX + 96], since_text[32];
	struct json_field fields[] = {
		{ .key = "token", .buffer = token, .capacity = sizeof token },
		{ .key = "since", .buffer = since_text, .capacity = sizeof since_text }
	};
	size_t len = eol.pos < 0 ? 0 : (size_t)eol.pos;
	const char *message;
	size_t offset;
	uint32_t retry_after = 0;

	if (eol.pos < 0 && evbuffer_get_length(input) <= SUBSCRIBERS_LINE_MAX)
		return false;
	if (eol.pos >= 0 && len <= SUBSCRIBERS_LINE_MAX) {
		evbuffer_copyout(input, line, len);
		evbuffer_drain(input, len + 1);
	} else {
		len = 0; /* too long to be a token line: no token */
	}
	if (json_scan_object(line, len, fields, 2, &message, &offset) != JSON_SCAN_OBJECT ||
	    fields[0].kind != JSON_STRING || fields[0].has_nul || fields[0].truncated)
		fields[0].length = 0;
	auth_peer_address(subscriber->peer, address, sizeof address);
	switch (auth_check(subscriber->subscribers->auth, AUTH_PORT_ALERTS, address,
			   subscriber->peer, token, fields[0].length, auth_now_ms(),
			   &subscriber->grant, &retry_after)) {
	case AUTH_GRANTED:
		if (!auth_may_read(&subscriber->grant)) { /* a feed token reads nothing */
			static const char feed_only[] = "{\"error\":\"" AUTH_FEED_ONLY "\"}";
			auth_count_failure(subscriber->subscribers->auth, AUTH_PORT_ALERTS, address,
					   subscriber->peer, AUTH_FAILURE_ROLE, auth_now_ms());
			subscriber_close_after(subscriber, feed_only, sizeof feed_only - 1);
			return false;
		}
		return subscriber_authenticated(subscriber,
						fields[1].kind == JSON_INTEGER &&
							!fields[1].overflow &&
							fields[1].integer >= 0,
						(uint64_t)fields[1].integer);
		return true;
	case AUTH_REFUSED:
		snprintf(refused, sizeof refused,
			 "{\"error\":\"too many failed attempts from %s; retry after %" PRIu32
			 " seconds\"}",
			 address, retry_after);
		subscriber_close_after(subscriber, refused, strlen(refused));
		return false;
	default:
		subscriber_close_after(subscriber, unauthorized, sizeof unauthorized - 1);
		return false;
	}
}

void subscribers_recheck_tokens(struct subscribers *subscribers)
{
	static const char revoked[] = "{\"error\":\"unauthorized: the token is no longer "
				      "configured\"}";
	struct subscriber *subscriber, *next;
	char address[LISTENER_ADDRESS_TEXT_MAX];

	for (subscriber = LIST_FIRST(&subscribers->list); subscriber; subscriber = next) {
		/* closed at once when its last line cannot be queued */
		next = LIST_NEXT(subscriber, link);
		if (!subscriber->authenticated || subscriber->closing ||
		    auth_grant_holds(subscribers->auth, &subscriber->grant))
			continue;
		auth_peer_address(subscriber->peer, address, sizeof address);
		auth_count_failure(subscribers->auth, AUTH_PORT_ALERTS, address, subscriber->peer,
				   AUTH_FAILURE_REVOKED, auth_now_ms());
		log_msg(LOG_NOTICE, "subscriber %s: closing: its token (%s, %s) is no longer "
			"configured", subscriber->peer, subscriber->grant.name,
			config_role_name(subscriber->grant.role));
		subscriber_close_after(subscriber, revoked, sizeof revoked - 1);
	}
}

/* With auth, no token line within alerts.handshake_timeout_seconds: unauthorized. */
static void subscriber_refuse_late(struct subscriber *subscriber)
{
	static const char unauthorized[] = "{\"error\":\"unauthorized\"}";
	char address[LISTENER_ADDRESS_TEXT_MAX];

	auth_peer_address(subscriber->peer, address, sizeof address);
	auth_count_failure(subscriber->subscribers->auth, AUTH_PORT_ALERTS, address,
			   subscriber->peer, AUTH_FAILURE_TIMEOUT, auth_now_ms());
	subscriber_close_after(subscriber, unauthorized, sizeof unauthorized - 1);
}

/* The first line may ask for history; every line after it (or a first line that does not)
 * is a console line. */
static void subscriber_on_read(struct bufferevent *connection, void *ctx)
{
	struct evbuffer *input = bufferevent_get_input(connection);
	struct subscriber *subscriber = ctx;
	uint64_t lines_before = subscriber->lines;

	if (subscriber->closing) {
		evbuffer_drain(input, evbuffer_get_length(input));
		return;
	}
	if (!subscriber->authenticated && !subscriber_read_token_line(subscriber, input))
		return;
	if (subscriber->replay.state == REPLAY_HOLD &&
	    !subscriber_read_first_line(subscriber, input))
		return;
	if (subscriber->replay.state != REPLAY_HOLD)
		subscriber_read_lines(subscriber, input);
	guard_clock_input(&subscriber->clock, subscriber->lines > lines_before,
			  evbuffer_get_length(input) > 0 || subscriber->discarding);
}

/* A deadline passed (guard.h): say which, count it and close. */
static void subscriber_on_expired(void *ctx, enum guard_expiry expiry)
{
	struct subscriber *subscriber = ctx;
	struct subscribers *subscribers = subscriber->subscribers;
	char why[128];

	guard_expired(subscribers->guard, GUARD_PORT_ALERTS, expiry);
	if (expiry == GUARD_EXPIRED_HANDSHAKE && !subscriber->authenticated) {
		subscribers->stats.handshake_closed++;
		subscriber_refuse_late(subscriber);
		return;
	}
	if (expiry == GUARD_EXPIRED_HANDSHAKE) {
		subscribers->stats.handshake_closed++;
		snprintf(why, sizeof why,
			 "not taken as a console within %" PRIu32
			 " s (alerts.handshake_timeout_seconds)",
			 subscribers->limits.handshake_timeout_seconds);
	} else {
		subscribers->stats.line_timeout_closed++;
		snprintf(why, sizeof why,
			 "a line incomplete for %" PRIu32 " s (alerts.line_timeout_seconds)",
			 subscribers->limits.line_timeout_seconds);
	}
	log_msg(LOG_NOTICE, "subscriber %s: closing: %s", subscriber->peer, why);
	subscriber_refuse_after_hello(subscriber, why);
}

/* The queue is empty: more history for a subscriber catching up. */
static void subscriber_on_drained(struct bufferevent *connection, void *ctx)
{
	struct subscriber *subscriber = ctx;

	(void)connection;
	subscriber_fill(subscriber, subscriber->subscribers->limits.max_queue_bytes);
}

static void subscriber_on_hold_timeout(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	subscriber_release(ctx, false, 0);
}

static void subscriber_on_event(struct bufferevent *connection, short what, void *ctx)
{
	struct subscriber *subscriber = ctx;

	(void)connection;
	if ((what & BEV_EVENT_TIMEOUT) && subscriber->closing) { /* its last line not taken */
		subscriber_close(subscriber);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if ((what & BEV_EVENT_ERROR) && subscriber->subscribers->tls &&
	    tls_handshake_pending(connection))
		log_msg(LOG_INFO, "subscriber %s disconnected during the TLS handshake",
			subscriber->peer);
	else if (what & BEV_EVENT_ERROR)
		log_msg(LOG_INFO, "subscriber %s disconnected: %s", subscriber->peer,
			tls_connection_error(connection));
	else
		log_msg(LOG_INFO, "subscriber %s disconnected", subscriber->peer);
	subscriber_close(subscriber);
}

/* The deadlines of consoles, from the limits (guard.h): no idle timeout, a console listens. */
static struct guard_timeouts subscribers_timeouts(const struct subscribers_limits *limits)
{
	return (struct guard_timeouts){ .handshake_seconds = limits->handshake_timeout_seconds,
					.line_seconds = limits->line_timeout_seconds };
}

struct subscribers *subscribers_new(struct event_base *base,
				    const struct subscribers_limits *limits)
{
	struct subscribers *subscribers = calloc(1, sizeof *subscribers);

	if (!subscribers)
		return NULL;
	subscribers->base = base;
	subscribers->limits = *limits;
	subscribers->timeouts = subscribers_timeouts(limits);
	log_limit_init(&subscribers->refuse_log, limits->log_interval_seconds,
		       "subscriber connections refused");
	log_limit_init(&subscribers->drop_log, limits->log_interval_seconds,
		       "slow subscribers disconnected");
	log_limit_init(&subscribers->console_log, limits->log_interval_seconds,
		       "console lines refused");
	LIST_INIT(&subscribers->list);
	if (!(subscribers->send_event = event_new(base, -1, 0, subscribers_on_send, subscribers))) {
		free(subscribers);
		return NULL;
	}
	return subscribers;
}

void subscribers_free(struct subscribers *subscribers)
{
	if (!subscribers)
		return;
	subscribers->on_flushed = NULL;
	while (!LIST_EMPTY(&subscribers->list))
		subscriber_close(LIST_FIRST(&subscribers->list));
	log_limit_flush(&subscribers->refuse_log);
	log_limit_flush(&subscribers->drop_log);
	log_limit_flush(&subscribers->console_log);
	event_free(subscribers->send_event);
	free(subscribers);
}

static void subscribers_refuse(struct subscribers *subscribers, evutil_socket_t fd,
			       const char *peer, const char *why)
{
	subscribers->stats.refused++;
	log_limited(&subscribers->refuse_log, LOG_WARNING, "subscriber %s refused: %s", peer, why);
	evutil_closesocket(fd);
}

/* Bound what the kernel holds for this subscriber (see SUBSCRIBERS_SOCKET_SEND_BYTES), and
 * send each alert at once: no Nagle delay behind the previous one's acknowledgement (fails
 * harmlessly on a socket that is not TCP). */
static void set_socket_options(evutil_socket_t fd)
{
	const int bytes = SUBSCRIBERS_SOCKET_SEND_BYTES, on = 1;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* With a history, a new subscriber is held for REPLAY_HOLD_MS or until its first line. */
static void subscriber_start_hold(struct subscriber *subscriber)
{
	const struct replay_history *history = subscriber->subscribers->history;
	const struct timeval hold = { .tv_sec = REPLAY_HOLD_MS / 1000,
				      .tv_usec = (REPLAY_HOLD_MS % 1000) * 1000 };

	if (!history || !(subscriber->hold_timer = evtimer_new(subscriber->subscribers->base,
								subscriber_on_hold_timeout,
								subscriber))) {
		replay_init_live(&subscriber->replay);
		subscriber_send_board(subscriber);
		return;
	}
	replay_init(&subscriber->replay, history->newest(history->ctx));
	evtimer_add(subscriber->hold_timer, &hold);
}

/* With auth, wait for the token line (nothing sent but hello until then; the guard's
 * handshake deadline, alerts.handshake_timeout_seconds, ends the wait); without, admin. */
static void subscriber_wait_for_token(struct subscriber *subscriber)
{
	subscriber->grant = (struct auth_grant){ .role = CONFIG_ROLE_ADMIN, .redact = REDACT_NONE };
	subscriber->authenticated = !auth_enabled(subscriber->subscribers->auth);
}

static struct subscriber *subscriber_new(struct subscribers *subscribers, evutil_socket_t fd,
					 const char *peer)
{
	struct subscriber *subscriber = calloc(1, sizeof *subscriber);

	if (!subscriber)
		return NULL;
	if (guard_clock_init(&subscriber->clock, subscribers->base, &subscribers->timeouts,
			     subscriber_on_expired, subscriber) < 0) {
		guard_clock_free(&subscriber->clock);
		free(subscriber);
		return NULL;
	}
	subscriber->connection =
		subscribers->tls
			? tls_server_accept(subscribers->tls, subscribers->base, fd,
					    TLS_LISTENER_ALERTS)
			: bufferevent_socket_new(subscribers->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!subscriber->connection ||
	    evbuffer_add(bufferevent_get_output(subscriber->connection), SUBSCRIBERS_HELLO,
			 sizeof SUBSCRIBERS_HELLO - 1) < 0) {
		if (subscriber->connection)
			bufferevent_free(subscriber->connection);
		guard_clock_free(&subscriber->clock);
		free(subscriber);
		return NULL;
	}
	set_socket_options(fd);
	subscriber->subscribers = subscribers;
	subscriber->pending = true;
	snprintf(subscriber->peer, sizeof subscriber->peer, "%s", peer);
	guard_peer_host(peer, subscriber->host, sizeof subscriber->host);
	bufferevent_setcb(subscriber->connection, subscriber_on_read, subscriber_on_drained,
			  subscriber_on_event, subscriber);
	bufferevent_setwatermark(subscriber->connection, EV_READ, 0, SUBSCRIBERS_INPUT_MAX);
	bufferevent_enable(subscriber->connection, EV_READ | EV_WRITE);
	subscriber_wait_for_token(subscriber);
	if (subscriber->authenticated)
		subscriber_start_hold(subscriber);
	return subscriber;
}

/* Connections open from host, pending or not. */
static uint32_t subscribers_count_from(const struct subscribers *subscribers, const char *host)
{
	const struct subscriber *subscriber;
	uint32_t count = 0;

	LIST_FOREACH(subscriber, &subscribers->list, link)
		count += strcmp(subscriber->host, host) == 0;
	return count;
}

/* Which limit refuses a new connection from peer (GUARD_REFUSAL_COUNT: none), with why. */
static enum guard_refusal subscribers_admission(const struct subscribers *subscribers,
						const char *peer, char *why, size_t why_size)
{
	const struct subscribers_limits *limits = &subscribers->limits;
	char host[LISTENER_ADDRESS_TEXT_MAX];

	guard_peer_host(peer, host, sizeof host);
	return guard_admission(
		&(struct guard_occupancy){ .established = subscribers_established(subscribers),
					   .max_established = limits->max_subscribers,
					   .from_host = subscribers_count_from(subscribers, host),
					   .max_per_address = limits->max_connections_per_address,
					   .pending = subscribers->stats.pending,
					   .max_pending = limits->max_pending_connections,
					   .established_noun = "subscribers connected" },
		host, why, why_size);
}

/* Beyond the limits a console is accepted and closed at once (counted, logged), like feeds
 * beyond feed.max_connections: it learns at once that it was not taken. It is pending until
 * taken as a console (subscribers_promote). */
void subscribers_accept(struct subscribers *subscribers, evutil_socket_t fd, const char *peer)
{
	struct subscriber *subscriber;
	char why[128];
	enum guard_refusal refusal;

	if (subscribers->flushing) {
		subscribers_refuse(subscribers, fd, peer, "shutting down");
		return;
	}
	refusal = subscribers_admission(subscribers, peer, why, sizeof why);
	if (refusal != GUARD_REFUSAL_COUNT) {
		subscribers->stats.refused++;
		guard_refused(subscribers->guard, GUARD_PORT_ALERTS, refusal, peer, why);
		evutil_closesocket(fd);
		return;
	}
	subscriber = subscriber_new(subscribers, fd, peer);
	if (!subscriber) {
		subscribers_refuse(subscribers, fd, peer, "out of memory");
		return;
	}
	LIST_INSERT_HEAD(&subscribers->list, subscriber, link);
	subscribers->stats.accepted++;
	subscribers->stats.connected++;
	subscribers->stats.pending++;
	log_msg(LOG_INFO, "subscriber %s connected", peer);
	if (subscriber->replay.state != REPLAY_HOLD)
		subscribers_promote(subscriber); /* no history to ask for: a console at once */
}

uint32_t subscribers_flush(struct subscribers *subscribers, subscribers_flushed_fn on_flushed,
			   void *ctx)
{
	struct subscriber *subscriber, *next;

	subscribers->flushing = true;
	/* Settled once here, no fill below delivers alerts (which could drop the next one). */
	if (subscribers->history && subscribers->history->settle)
		subscribers->history->settle(subscribers->history->ctx);
	for (subscriber = LIST_FIRST(&subscribers->list); subscriber; subscriber = next) {
		next = LIST_NEXT(subscriber, link);
		if (!subscriber->authenticated || subscriber->closing) {
			subscriber_close(subscriber);
			continue;
		}
		if (!subscriber_release(subscriber, false, 0) ||
		    !subscriber_fill(subscriber, 2 * (size_t)subscribers->limits.max_queue_bytes))
			continue;
		if (evbuffer_get_length(bufferevent_get_output(subscriber->connection)) == 0)
			subscriber_close(subscriber);
		else
			bufferevent_setcb(subscriber->connection, subscriber_on_read,
					  subscriber_on_sent, subscriber_on_event, subscriber);
	}
	if (LIST_EMPTY(&subscribers->list))
		return 0;
	subscribers->on_flushed = on_flushed;
	subscribers->flushed_ctx = ctx;
	return subscribers->stats.connected;
}

void subscribers_update_limits(struct subscribers *subscribers,
			       const struct subscribers_limits *limits)
{
	struct subscriber *subscriber;

	subscribers->limits = *limits;
	subscribers->timeouts = subscribers_timeouts(limits);
	LIST_FOREACH(subscriber, &subscribers->list, link)
		guard_clock_rearm(&subscriber->clock);
	subscribers->refuse_log.interval_seconds = limits->log_interval_seconds;
	subscribers->drop_log.interval_seconds = limits->log_interval_seconds;
	subscribers->console_log.interval_seconds = limits->log_interval_seconds;
}

const struct subscribers_stats *subscribers_stats(const struct subscribers *subscribers)
{
	return &subscribers->stats;
}

void subscribers_set_guard(struct subscribers *subscribers, struct guard *guard)
{
	subscribers->guard = guard;
}

void subscribers_set_console(struct subscribers *subscribers,
			     const struct subscribers_console *console)
{
	subscribers->console = *console;
}

void subscribers_set_auth(struct subscribers *subscribers, struct auth *auth)
{
	subscribers->auth = auth;
}

void subscribers_set_tls(struct subscribers *subscribers, struct tls_server *tls)
{
	subscribers->tls = tls;
}

void subscribers_set_history(struct subscribers *subscribers, const struct replay_history *history)
{
	subscribers->history = history;
}
