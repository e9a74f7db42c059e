/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The protocol lines of durability, without sockets: a feed's hello and acks (daemon/acks.c),
 * a subscriber's since line and catching up from an alert history (daemon/replay.c); over one
 * socket pair, a console dropped while the history settles during its fill (subscribers.c);
 * over loopback HTTP, the same for a stream (streams.c), and a stream opened while an alert
 * waits for the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "acks.h"
#include "config.h"
#include "engine.h"
#include "feed.h"
#include "replay.h"
#include "streams.h"
#include "subscribers.h"

static enum acks_hello first_line(struct acks *acks, const char *line, char *why)
{
	memset(acks, 0, sizeof *acks);
	return acks_first_line(acks, line, strlen(line), why, 128);
}

static void test_hello(void **state)
{
	struct acks acks;
	char why[128] = "";

	(void)state;
	assert_int_equal(first_line(&acks, "{\"hello\":\"feed\",\"source\":\"cad-1\"}", why),
			 ACKS_HELLO);
	assert_string_equal(acks.source, "cad-1");
	assert_true(acks.first_line_seen);
	assert_int_equal(first_line(&acks, "{\"type\":\"call_start\",\"call_id\":\"hello\"}", why),
			 ACKS_NOT_HELLO);
	assert_int_equal(first_line(&acks, "{\"hello\":\"feed\",", why), ACKS_NOT_HELLO);
	assert_string_equal(acks.source, "");
}

static void test_bad_hellos(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} cases[] = {
		{ "{\"hello\":\"console\",\"source\":\"a\"}", "\"hello\" must be \"feed\"" },
		{ "{\"hello\":\"feed\"}", "\"source\" must be a string" },
		{ "{\"hello\":\"feed\",\"source\":7}", "\"source\" must be a string" },
		{ "{\"hello\":\"feed\",\"source\":\"\"}", "\"source\" must be 1 to 64 bytes" },
		{ "{\"hello\":\"feed\",\"source\":"
		  "\"0123456789012345678901234567890123456789012345678901234567890123X\"}",
		  "\"source\" must be 1 to 64 bytes" },
		{ "{\"hello\":\"feed\",\"source\":\"cad\\u0007-1\"}",
		  "\"source\" must not contain control characters" },
		{ "{\"hello\":\"feed\",\"source\":\"cad\\n\"}",
		  "\"source\" must not contain control characters" },
	};
	struct acks acks;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(first_line(&acks, cases[i].line, why), ACKS_BAD_HELLO);
		assert_string_equal(why, cases[i].why);
		assert_string_equal(acks.source, "");
	}
}

static void note(struct acks *acks, uint64_t seq, uint64_t index)
{
	struct engine_verdict verdict = { .has_seq = true, .seq = seq };

	acks_note(acks, &verdict, index);
}

/* An ack is due once the record of the last numbered line is durable; it carries the highest
 * seq; nothing more until a higher seq comes; lines without seq change nothing. */
static void test_acks_follow_durability(void **state)
{
	struct engine_verdict no_seq = { 0 };
	struct acks acks = { 0 };
	char line[ACKS_LINE_MAX];

	(void)state;
	assert_int_equal(acks_due(&acks, UINT64_MAX, line), 0);
	note(&acks, 5, 10);
	note(&acks, 6, 11);
	assert_int_equal(acks_due(&acks, 10, line), 0);
	assert_int_equal(acks_due(&acks, 11, line), strlen("{\"ack\":6}\n"));
	assert_string_equal(line, "{\"ack\":6}\n");
	assert_int_equal(acks_due(&acks, 12, line), 0);
	note(&acks, 3, 12); /* a seq going back: the ack stays at the highest */
	assert_int_equal(acks_due(&acks, 12, line), 0);
	acks_note(&acks, &no_seq, 13);
	assert_int_equal(acks_due(&acks, 13, line), 0);
	note(&acks, 7, 0); /* processed while degraded: acknowledged when everything is */
	assert_int_equal(acks_due(&acks, UINT64_MAX, line), strlen("{\"ack\":7}\n"));
	assert_string_equal(line, "{\"ack\":7}\n");
}

/* A connection's loop turns (acks_mark): the lines of a turn whose commit is durable are
 * acknowledged while a later turn's are not; the newest kept turn gives way beyond the
 * ACKS_MARKS_MAX kept. */
static void test_acks_of_earlier_turns(void **state)
{
	struct engine_verdict resent = { .has_seq = true, .seq = 1, .duplicate = true };
	struct acks acks = { 0 };
	char line[ACKS_LINE_MAX];

	(void)state;
	acks_note(&acks, &resent, 1);
	note(&acks, 2, 2);
	note(&acks, 3, 3);
	acks_mark(&acks);
	acks_mark(&acks); /* nothing new: the same mark */
	note(&acks, 4, 5);
	note(&acks, 5, 6);
	acks_mark(&acks);
	note(&acks, 6, 8);
	assert_int_equal(acks_due(&acks, 2, line), 0); /* a turn is durable whole, or not */
	assert_int_equal(acks_due(&acks, 4, line), strlen("{\"ack\":3,\"duplicates\":1}\n"));
	assert_string_equal(line, "{\"ack\":3,\"duplicates\":1}\n");
	assert_int_equal(acks_due(&acks, 4, line), 0);
	assert_int_equal(acks_due(&acks, 7, line), strlen("{\"ack\":5,\"duplicates\":1}\n"));
	assert_int_equal(acks_due(&acks, 8, line), strlen("{\"ack\":6,\"duplicates\":1}\n"));
	assert_int_equal(acks.mark_count, 0);
	assert_int_equal(acks_due(&acks, UINT64_MAX, line), 0);

	memset(&acks, 0, sizeof acks);
	for (uint64_t seq = 10; seq < 16; seq++) {
		note(&acks, seq, seq);
		acks_mark(&acks);
	}
	assert_int_equal(acks.mark_count, ACKS_MARKS_MAX); /* turns 10, 11, 12 and 15 */
	assert_int_equal(acks_due(&acks, 13, line), strlen("{\"ack\":12}\n"));
	assert_string_equal(line, "{\"ack\":12}\n");
	assert_int_equal(acks_due(&acks, 14, line), 0);
	assert_int_equal(acks_due(&acks, 15, line), strlen("{\"ack\":15}\n"));
	assert_string_equal(line, "{\"ack\":15}\n");
	note(&acks, 16, 0); /* not journaled (degraded): no mark; acknowledged with everything */
	acks_mark(&acks);
	assert_int_equal(acks.mark_count, 0);
}

/* A seq that goes back after a turn's ack: the turn's ack is not said again when the rest
 * becomes durable (unless it has duplicates to add), and the turns kept are dropped once every
 * seq noted is acknowledged. */
static void test_turn_ack_is_not_repeated(void **state)
{
	struct engine_verdict resent = { .has_seq = true, .seq = 4, .duplicate = true };
	struct acks acks = { 0 };
	char line[ACKS_LINE_MAX];

	(void)state;
	note(&acks, 10, 20);
	acks_mark(&acks);
	note(&acks, 3, 21); /* back: not a duplicate by itself */
	acks_mark(&acks);
	assert_int_equal(acks_due(&acks, 20, line), strlen("{\"ack\":10}\n"));
	assert_string_equal(line, "{\"ack\":10}\n");
	assert_int_equal(acks_due(&acks, 21, line), 0);
	assert_false(acks.pending);
	assert_int_equal(acks.mark_count, 0);

	note(&acks, 11, 22);
	acks_mark(&acks);
	acks_note(&acks, &resent, 23);
	acks_mark(&acks);
	assert_int_equal(acks_due(&acks, 22, line), strlen("{\"ack\":11}\n"));
	assert_int_equal(acks_due(&acks, 23, line), strlen("{\"ack\":11,\"duplicates\":1}\n"));
	assert_string_equal(line, "{\"ack\":11,\"duplicates\":1}\n");
	assert_int_equal(acks_due(&acks, UINT64_MAX, line), 0);

	note(&acks, 12, 24);
	acks_mark(&acks);
	assert_int_equal(acks_due(&acks, 24, line), strlen("{\"ack\":12,\"duplicates\":1}\n"));
	note(&acks, 12, 25); /* every seq acknowledged: nothing pending, no turn kept */
	acks_mark(&acks);
	assert_false(acks.pending);
	assert_int_equal(acks.mark_count, 0);
	assert_int_equal(acks_due(&acks, UINT64_MAX, line), 0);
}

/* A hello's epoch: a string or an integer; anything else is a bad hello. */
static void test_hello_epoch(void **state)
{
	struct acks acks;
	char why[128] = "";

	(void)state;
	assert_int_equal(
		first_line(&acks,
			   "{\"hello\":\"feed\",\"source\":\"cad-1\",\"epoch\":\"2026-11-29\"}",
			   why),
		ACKS_HELLO);
	assert_string_equal(acks.epoch, "2026-11-29");
	assert_int_equal(
		first_line(&acks, "{\"hello\":\"feed\",\"source\":\"cad-1\",\"epoch\":1764979200}",
			   why),
		ACKS_HELLO);
	assert_string_equal(acks.epoch, "1764979200");
	assert_int_equal(
		first_line(&acks, "{\"hello\":\"feed\",\"source\":\"cad-1\",\"epoch\":null}", why),
		ACKS_HELLO);
	assert_string_equal(acks.epoch, "");
	assert_int_equal(
		first_line(&acks, "{\"hello\":\"feed\",\"source\":\"cad-1\",\"epoch\":[1]}", why),
		ACKS_BAD_HELLO);
	assert_string_equal(why, "\"epoch\" must be an integer or 1 to 64 bytes");
	assert_string_equal(acks.source, "");
	assert_int_equal(
		first_line(&acks, "{\"hello\":\"feed\",\"source\":\"cad-1\",\"epoch\":\"\"}", why),
		ACKS_BAD_HELLO);
}

/* An ack says how many of the connection's lines up to it were dropped as duplicates. */
static void test_acks_count_duplicates(void **state)
{
	struct engine_verdict resent = { .has_seq = true, .seq = 1, .duplicate = true };
	struct acks acks = { 0 };
	char line[ACKS_LINE_MAX];

	(void)state;
	acks_note(&acks, &resent, 1);
	resent.seq = 2;
	acks_note(&acks, &resent, 2);
	note(&acks, 3, 3);
	assert_int_equal(acks_due(&acks, 3, line), strlen("{\"ack\":3,\"duplicates\":2}\n"));
	assert_string_equal(line, "{\"ack\":3,\"duplicates\":2}\n");
	note(&acks, 4, 4);
	assert_int_equal(acks_due(&acks, 4, line), strlen("{\"ack\":4,\"duplicates\":2}\n"));
	assert_string_equal(line, "{\"ack\":4,\"duplicates\":2}\n");
	memset(&acks, 0, sizeof acks);
	note(&acks, 7, 1);
	assert_int_equal(acks_due(&acks, 1, line), strlen("{\"ack\":7}\n"));
	assert_string_equal(line, "{\"ack\":7}\n");
}

static void test_since_line(void **state)
{
	char notice[128];
	uint64_t since = 99;

	(void)state;
	assert_true(replay_parse_since("{\"since\":41}", 12, &since, notice, sizeof notice));
	assert_int_equal(since, 41);
	assert_string_equal(notice, "");
	assert_false(replay_parse_since("{\"since\":\"41\"}", 14, &since, notice, sizeof notice));
	assert_string_equal(
		notice,
		"{\"notice\":\"since must be an integer from 0; sending live alerts only\"}");
	assert_false(replay_parse_since("{\"since\":-1}", 12, &since, notice, sizeof notice));
	assert_true(notice[0] != '\0');
	assert_false(replay_parse_since("hello", 5, &since, notice, sizeof notice));
	assert_string_equal(notice, "");
}

/* A history holding alerts 5..9 of 40 bytes each (39 + "\n"); alerts 1..4 are gone. */
struct fake_history {
	uint64_t oldest, newest;
	unsigned settled; /* fake_settle calls */
};

static uint64_t fake_read(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
			  void *emit_ctx)
{
	struct fake_history *history = ctx;
	uint64_t seq = after < history->oldest ? history->oldest : after + 1, last = after;
	size_t bytes = 0;
	char line[64];

	for (; seq <= history->newest && bytes < max_bytes; seq++) {
		int len = snprintf(line, sizeof line, "{\"alert\":\"firing\",\"seq\":%-14llu}",
				   (unsigned long long)seq);

		assert_int_equal(len, 39);
		emit(emit_ctx, line, 39);
		bytes += 40;
		last = seq;
	}
	return last;
}

static uint64_t fake_newest(void *ctx)
{
	return ((struct fake_history *)ctx)->newest;
}

static uint64_t fake_oldest(void *ctx)
{
	return ((struct fake_history *)ctx)->oldest;
}

static uint64_t fake_bytes_after(void *ctx, uint64_t after)
{
	struct fake_history *history = ctx;
	uint64_t first = after < history->oldest ? history->oldest : after + 1;

	return first > history->newest ? 0 : (history->newest - first + 1) * 40;
}

struct sink {
	char lines[16][128];
	size_t count;
	size_t bytes;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct sink *sink = ctx;

	assert_true(sink->count < 16 && len < 128);
	memcpy(sink->lines[sink->count], line, len);
	sink->lines[sink->count++][len] = '\0';
	sink->bytes += len + 1;
}

/* since 2 with alerts 5..9 left: the notice, then 5..9 two at a time (the queue allows 80
 * bytes, half of 160), then live; the live debt counts only what came after the release. */
static void test_release_and_catch_up(void **state)
{
	struct fake_history fake = { .oldest = 5, .newest = 9 };
	const struct replay_history history = { fake_read, fake_newest, fake_oldest,
						fake_bytes_after, NULL, &fake };
	struct replay replay;
	struct sink sink = { 0 };

	(void)state;
	replay_init(&replay, 9);
	assert_int_equal(replay.state, REPLAY_HOLD);
	replay_release(&replay, &history, true, 2, collect, &sink);
	assert_int_equal(sink.count, 1);
	assert_string_equal(sink.lines[0],
			    "{\"notice\":\"alerts before seq 5 are no longer retained\"}");
	assert_int_equal(replay_live_debt(&replay, &history), 0);
	sink = (struct sink){ 0 };
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	assert_int_equal(sink.count, 2);
	assert_int_equal(replay.state, REPLAY_CATCHING_UP);
	fake.newest = 10; /* a live alert meanwhile: debt 40 bytes */
	assert_int_equal(replay_live_debt(&replay, &history), 40);
	replay_fill(&replay, &history, 80, 160, collect, &sink); /* queue full: nothing */
	assert_int_equal(sink.count, 2);
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	assert_int_equal(sink.count, 6);
	assert_int_equal(replay.state, REPLAY_LIVE);
	assert_int_equal(replay.cursor, 10);
}

/* No since: from where the subscriber connected; nothing delivered meanwhile: live at once. */
static void test_release_without_since(void **state)
{
	struct fake_history fake = { .oldest = 5, .newest = 9 };
	const struct replay_history history = { fake_read, fake_newest, fake_oldest,
						fake_bytes_after, NULL, &fake };
	struct replay replay;
	struct sink sink = { 0 };

	(void)state;
	replay_init(&replay, 9);
	replay_release(&replay, &history, false, 0, collect, &sink);
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	assert_int_equal(sink.count, 0);
	assert_int_equal(replay.state, REPLAY_LIVE);
}

/* The store settling: an alert produced while the subscriber caught up becomes durable. */
static void fake_settle(void *ctx)
{
	struct fake_history *history = ctx;

	history->settled++;
	history->newest = 10;
}

/* Caught up: the history settles first (the alert waiting for the disk is delivered), and the
 * replay sends it before going live, so that the board after it reflects nothing unsent. */
static void test_settle_before_live(void **state)
{
	struct fake_history fake = { .oldest = 5, .newest = 9 };
	const struct replay_history history = { fake_read, fake_newest, fake_oldest,
						fake_bytes_after, fake_settle, &fake };
	struct replay replay;
	struct sink sink = { 0 };

	(void)state;
	replay_init(&replay, 9);
	replay_release(&replay, &history, false, 0, collect, &sink);
	replay_fill(&replay, &history, 0, 160, collect, &sink);
	assert_int_equal(fake.settled, 1);
	assert_int_equal(sink.count, 1);
	assert_string_equal(sink.lines[0], "{\"alert\":\"firing\",\"seq\":10            }");
	assert_int_equal(replay.state, REPLAY_LIVE);
	assert_int_equal(replay.cursor, 10);
}

/* Alerts 8 and 9 delivered while the subscriber (connected at 7) was held, 10 waiting for the
 * disk: the replay reads 8 and 9, then the history settles and 10 is sent too before going
 * live (it is on the board that follows): in the same fill, or, when 8 and 9 took half the
 * queue (160 bytes), in the next. */
static void test_settle_after_catching_up(void **state)
{
	static const size_t max_queue_bytes[] = { 400, 160 };

	(void)state;
	for (size_t i = 0; i < sizeof max_queue_bytes / sizeof max_queue_bytes[0]; i++) {
		struct fake_history fake = { .oldest = 5, .newest = 9 };
		const struct replay_history history = { fake_read, fake_newest, fake_oldest,
							fake_bytes_after, fake_settle, &fake };
		struct replay replay;
		struct sink sink = { 0 };

		replay_init(&replay, 7);
		replay_release(&replay, &history, false, 0, collect, &sink);
		replay_fill(&replay, &history, 0, max_queue_bytes[i], collect, &sink);
		assert_int_equal(fake.settled, 1);
		if (max_queue_bytes[i] == 160) {
			assert_int_equal(sink.count, 2);
			assert_int_equal(replay.state, REPLAY_CATCHING_UP);
			replay_fill(&replay, &history, 0, max_queue_bytes[i], collect, &sink);
		}
		assert_int_equal(sink.count, 3);
		assert_string_equal(sink.lines[0], "{\"alert\":\"firing\",\"seq\":8             }");
		assert_string_equal(sink.lines[2], "{\"alert\":\"firing\",\"seq\":10            }");
		assert_int_equal(replay.state, REPLAY_LIVE);
		assert_int_equal(replay.cursor, 10);
	}
}

/* The store's settle with a subscriber connected: alert 10 (5000 bytes) waited for the disk
 * and is delivered to every subscriber while one is being filled. */
struct settling_history {
	struct fake_history fake;
	struct subscribers *subscribers;
	char alert[5000];
};

static void settling_settle(void *ctx)
{
	struct settling_history *history = ctx;

	history->fake.settled++;
	history->fake.newest = 10;
	subscribers_broadcast(history->subscribers, 10, history->alert, sizeof history->alert);
}

static uint64_t settling_bytes_after(void *ctx, uint64_t after)
{
	struct settling_history *history = ctx;

	return history->fake.newest >= 10 && after < 10 ? sizeof history->alert + 1 : 0;
}

static uint64_t settling_read(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
			      void *emit_ctx)
{
	return fake_read(&((struct settling_history *)ctx)->fake, after, max_bytes, emit, emit_ctx);
}

static uint64_t settling_newest(void *ctx)
{
	return ((struct settling_history *)ctx)->fake.newest;
}

static uint64_t settling_oldest(void *ctx)
{
	return ((struct settling_history *)ctx)->fake.oldest;
}

/* A console catching up with "since" is filled, the history settles and the alert it delivers
 * exceeds alerts.max_queue_bytes (4096): the console is dropped once its fill has returned, not
 * freed under it (ASan saw a use after free there). */
static void test_settle_drops_after_the_fill(void **state)
{
	static struct settling_history settling = { .fake = { .oldest = 5, .newest = 9 } };
	const struct replay_history history = { settling_read,	      settling_newest,
						settling_oldest,      settling_bytes_after,
						settling_settle,      &settling };
	const struct subscribers_limits limits = { .max_subscribers = 4,
						   .max_queue_bytes = 4096,
						   .log_interval_seconds = 60,
						   .max_pending_connections = 4,
						   .max_connections_per_address = 4,
						   .handshake_timeout_seconds = 10,
						   .line_timeout_seconds = 10 };
	struct event_base *base = event_base_new();
	int fds[2];

	(void)state;
	assert_non_null(base);
	memset(settling.alert, 'x', sizeof settling.alert);
	settling.subscribers = subscribers_new(base, &limits);
	assert_non_null(settling.subscribers);
	subscribers_set_history(settling.subscribers, &history);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	subscribers_accept(settling.subscribers, fds[0], "console:1");
	assert_int_equal(write(fds[1], "{\"since\":9}\n", 12), 12);
	for (int tries = 0; subscribers_stats(settling.subscribers)->connected > 0; tries++) {
		assert_true(tries < 1000);
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	assert_int_equal(settling.fake.settled, 1);
	assert_int_equal(subscribers_stats(settling.subscribers)->dropped_slow, 1);
	assert_int_equal(subscribers_stats(settling.subscribers)->closed, 1);
	subscribers_free(settling.subscribers);
	event_base_free(base);
	close(fds[1]);
}

/* An HTTP stream (streams.c) against a history whose settle delivers an alert of STREAM_ALERT
 * bytes, above http.max_stream_queue_bytes (4096), that waited for the disk. */
#define STREAM_ALERT	   5000
#define STREAM_QUEUE_BYTES 4096
#define STREAM_BOARD	   "{\"open\":[]}"

struct stream_history {
	struct streams *streams;
	uint64_t newest;     /* alerts 1..newest, those above 9 of STREAM_ALERT bytes */
	bool pending;	     /* one alert waits for the disk: the next settle delivers it */
	bool always_pending; /* every settle delivers one more (a settle during the fill) */
	unsigned settled;    /* settle calls */
	char alert[STREAM_ALERT + 1];
};

/* Alert seq as the history holds it: {"seq":SEQ,"pad":"xx..."}, STREAM_ALERT bytes. */
static const char *stream_alert(struct stream_history *history, uint64_t seq)
{
	int head = snprintf(history->alert, sizeof history->alert, "{\"seq\":%llu,\"pad\":\"",
			    (unsigned long long)seq);

	memset(history->alert + head, 'x', STREAM_ALERT - (size_t)head - 2);
	memcpy(history->alert + STREAM_ALERT - 2, "\"}", 3);
	return history->alert;
}

static uint64_t stream_read(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
			    void *emit_ctx)
{
	struct stream_history *history = ctx;
	uint64_t seq = after + 1, last = after;
	size_t bytes = 0;

	assert_true(after >= 9); /* the tests resume from 9 or later */
	for (; seq <= history->newest && bytes < max_bytes; seq++) {
		emit(emit_ctx, stream_alert(history, seq), STREAM_ALERT);
		bytes += STREAM_ALERT + 1;
		last = seq;
	}
	return last;
}

static uint64_t stream_newest(void *ctx)
{
	return ((struct stream_history *)ctx)->newest;
}

static uint64_t stream_oldest(void *ctx)
{
	(void)ctx;
	return 1;
}

static uint64_t stream_bytes_after(void *ctx, uint64_t after)
{
	struct stream_history *history = ctx;

	return after < history->newest ? (history->newest - after) * (STREAM_ALERT + 1) : 0;
}

/* The store's settle: the alert that waited for the disk goes to every stream. */
static void stream_settle(void *ctx)
{
	struct stream_history *history = ctx;

	history->settled++;
	if (!history->pending && !history->always_pending)
		return;
	history->pending = false;
	history->newest++;
	streams_broadcast(history->streams, history->newest, stream_alert(history, history->newest),
			  STREAM_ALERT);
}

static uint64_t stream_board(void *ctx, struct evbuffer *out, enum redact_mode redact)
{
	(void)ctx;
	(void)redact;
	evbuffer_add(out, STREAM_BOARD, strlen(STREAM_BOARD));
	return 10;
}

struct stream_server {
	struct event_base *base;
	struct evhttp *http;
	struct streams *streams;
	struct stream_history *history;
	uint64_t since;
	int opened; /* streams_open's result, 1 before the request came */
	int client;
	char received[2 * STREAM_ALERT];
	size_t received_len;
	bool eof;
};

static void stream_on_request(struct evhttp_request *request, void *ctx)
{
	struct stream_server *server = ctx;
	char why[128] = "";

	server->opened = streams_open(server->streams, request, true, server->since, REDACT_NONE,
				      why, sizeof why);
	assert_string_equal(why, "");
}

/* An evhttp server on a loopback port with the streams over history, and a client that asked
 * for GET /api/stream (resuming from since). */
static void stream_server_start(struct stream_server *server, struct stream_history *history,
				uint64_t since)
{
	const struct streams_limits limits = { .max_streams = 4,
					       .max_queue_bytes = STREAM_QUEUE_BYTES,
					       .keepalive_seconds = 60,
					       .write_timeout_seconds = 60,
					       .log_interval_seconds = 60 };
	static struct replay_history replay;
	static const char request[] = "GET /api/stream HTTP/1.1\r\nHost: test\r\n\r\n";
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t address_len = sizeof address;
	struct evhttp_bound_socket *bound;

	replay = (struct replay_history){ stream_read,	      stream_newest, stream_oldest,
					  stream_bytes_after, stream_settle, history };
	*server = (struct stream_server){ .history = history, .since = since, .opened = 1 };
	assert_non_null(server->base = event_base_new());
	assert_non_null(server->http = evhttp_new(server->base));
	assert_non_null(bound = evhttp_bind_socket_with_handle(server->http, "127.0.0.1", 0));
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&address,
				     &address_len),
			 0);
	assert_non_null(server->streams =
				streams_new(server->base, &limits, &replay, stream_board, NULL));
	history->streams = server->streams;
	evhttp_set_gencb(server->http, stream_on_request, server);
	assert_true((server->client = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(server->client, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(write(server->client, request, sizeof request - 1),
			 (ssize_t)sizeof request - 1);
	assert_int_equal(fcntl(server->client, F_SETFL, O_NONBLOCK), 0);
}

/* Run the loop, reading what the client gets, until done(server) (at most 2000 turns). */
static void stream_server_run(struct stream_server *server,
			      bool (*done)(const struct stream_server *server))
{
	for (int turns = 0; !done(server); turns++) {
		ssize_t got;

		assert_true(turns < 2000);
		event_base_loop(server->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		got = read(server->client, server->received + server->received_len,
			   sizeof server->received - server->received_len - 1);
		if (got > 0)
			server->received_len += (size_t)got;
		else if (got == 0 || errno != EAGAIN)
			server->eof = true;
		server->received[server->received_len] = '\0';
		usleep(1000);
	}
}

static void stream_server_stop(struct stream_server *server)
{
	close(server->client);
	streams_free(server->streams);
	evhttp_free(server->http);
	event_base_free(server->base);
}

static bool stream_board_received(const struct stream_server *server)
{
	return strstr(server->received, "event: board\n") != NULL;
}

static bool stream_closed(const struct stream_server *server)
{
	return server->eof && streams_stats(server->streams)->closed > 0;
}

/* evhttp's chunk framing of one event. */
static size_t stream_chunk(char *out, size_t size, const char *event)
{
	int len = snprintf(out, size, "%zx\r\n%s\r\n", strlen(event), event);

	assert_true(len > 0 && (size_t)len < size);
	return (size_t)len;
}

/* A browser resumes from the newest alert (Last-Event-ID 9) while alert 10, larger than its
 * queue may hold, waits for the disk: streams_open settles before the stream exists, so the
 * stream reads alert 10 from the history like any other and is not dropped. (With the settle
 * inside the stream's first fill, before it, alert 10 dropped the stream in the middle of
 * replay_fill: ASan saw a heap-use-after-free of the stream there.) The fill settles again
 * once caught up, with nothing left waiting. */
static void test_settle_before_a_stream_exists(void **state)
{
	static struct stream_history history = { .newest = 9, .pending = true };
	static char expected[2 * STREAM_ALERT], event[STREAM_ALERT + 64];
	struct stream_server server;
	const char *body;
	size_t len = 0;

	(void)state;
	stream_server_start(&server, &history, 9);
	stream_server_run(&server, stream_board_received);
	assert_int_equal(server.opened, 0);
	assert_int_equal(history.settled, 2);
	assert_int_equal(history.newest, 10);
	len += stream_chunk(expected + len, sizeof expected - len, "retry: 2000\n\n");
	snprintf(event, sizeof event, "id: 10\ndata: %s\n\n", stream_alert(&history, 10));
	len += stream_chunk(expected + len, sizeof expected - len, event);
	len += stream_chunk(expected + len, sizeof expected - len,
			    "event: board\ndata: " STREAM_BOARD "\n\n");
	assert_non_null(body = strstr(server.received, "\r\n\r\n"));
	body += 4;
	assert_int_equal(strlen(body), len);
	assert_memory_equal(body, expected, len);
	assert_int_equal(streams_stats(server.streams)->opened, 1);
	assert_int_equal(streams_stats(server.streams)->dropped_slow, 0);
	assert_int_equal(streams_stats(server.streams)->connected, 1);
	stream_server_stop(&server);
}

/* The history settles again inside the stream's fill and delivers one more alert (11) than the
 * queue may hold: the stream is dropped once replay_fill has returned, not freed under it
 * (without the stream's filling flag: ASan heap-use-after-free in replay_fill). */
static void test_settle_drops_a_stream_after_the_fill(void **state)
{
	static struct stream_history history = { .newest = 9, .always_pending = true };
	struct stream_server server;

	(void)state;
	stream_server_start(&server, &history, 10);
	stream_server_run(&server, stream_closed);
	assert_int_equal(server.opened, 0);
	assert_int_equal(history.settled, 2); /* streams_open's, then the fill's */
	assert_int_equal(history.newest, 11);
	assert_int_equal(streams_stats(server.streams)->opened, 1);
	assert_int_equal(streams_stats(server.streams)->dropped_slow, 1);
	assert_int_equal(streams_stats(server.streams)->closed, 1);
	assert_int_equal(streams_stats(server.streams)->connected, 0);
	assert_null(strstr(server.received, "id: 11\n")); /* its queue was dropped unsent */
	stream_server_stop(&server);
}

/* A feed connection (feed.c) over a socket pair whose daemon end takes little (SO_SNDBUF),
 * with a journal that numbers its records: acks as the store's commits would make them. */
#define SLOW_READER_LINES 400
#define SLOW_READER_SEQ0  UINT64_C(1000000000000) /* long acks: {"ack":1000000000399} */

struct ack_feed {
	uint64_t records; /* the journal's last record index */
};

static uint64_t ack_feed_append(void *ctx, const struct engine_origin *origin, const char *line,
				size_t len)
{
	(void)origin;
	(void)line;
	(void)len;
	return ++((struct ack_feed *)ctx)->records;
}

static void ack_feed_on_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	(void)ctx;
}

/* Run the loop until the journal holds `records` records (at most 1000 turns). */
static void ack_feed_wait_records(struct event_base *base, const struct ack_feed *journal,
				  uint64_t records)
{
	for (int turns = 0; journal->records < records; turns++) {
		assert_true(turns < 1000);
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
}

/* Read every ack line from fd while the loop runs, until nothing comes for 50 turns; the
 * highest seq acknowledged. Each line is exactly {"ack":N}, N rising. */
static uint64_t ack_feed_read_acks(struct event_base *base, int fd, unsigned *count)
{
	static char text[64 * 1024];
	size_t len = 0;
	uint64_t last = 0;

	for (int idle = 0; idle < 50; idle++) {
		ssize_t got;

		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		while ((got = read(fd, text + len, sizeof text - 1 - len)) > 0) {
			len += (size_t)got;
			idle = 0;
		}
		usleep(1000);
	}
	text[len] = '\0';
	*count = 0;
	for (char *line = text, *end; *line; line = end + 1) {
		unsigned long long seq;
		char expected[ACKS_LINE_MAX];

		assert_non_null(end = strchr(line, '\n'));
		*end = '\0';
		assert_int_equal(sscanf(line, "{\"ack\":%llu}", &seq), 1);
		snprintf(expected, sizeof expected, "{\"ack\":%llu}", seq);
		assert_string_equal(line, expected);
		assert_true(seq > last);
		last = seq;
		(*count)++;
	}
	return last;
}

/* A sender that does not read its acks while it sends SLOW_READER_LINES lines, one commit
 * each: the first acks go straight to the socket, the next wait in the connection's output
 * (the socket takes no more), then FEED_ACK_QUEUE_MAX_BYTES wait and the rest are skipped.
 * Once it reads them, it gets the ack of its last line without sending more (docs/protocol.md:
 * no more are queued until they are read, and the next ack covers the skipped ones). */
static void test_acks_of_a_slow_reader(void **state)
{
	const struct feed_limits limits = { .max_connections = 4,
					    .max_line_bytes = 4096,
					    .log_interval_seconds = 60,
					    .max_pending_connections = 4,
					    .max_connections_per_address = 4,
					    .handshake_timeout_seconds = 60,
					    .line_timeout_seconds = 60 };
	static const char hello[] = "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n";
	struct ack_feed journal = { 0 };
	const struct feed_journal hooks = { .append_line = ack_feed_append, .ctx = &journal };
	const int send_bytes = 4096;
	struct event_base *base = event_base_new();
	struct feed_server *server;
	struct engine *engine;
	struct config config;
	unsigned acks;
	int fds[2];

	(void)state;
	config_set_defaults(&config);
	assert_non_null(base);
	assert_non_null(engine = engine_new(&config, ack_feed_on_alert, NULL));
	assert_non_null(server = feed_server_new(base, engine, &limits));
	feed_server_set_journal(server, &hooks);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &send_bytes, sizeof send_bytes),
			 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0); /* as the listener's accept */
	assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	feed_server_accept(server, fds[0], "127.0.0.1:1000");
	assert_int_equal(write(fds[1], hello, strlen(hello)), (ssize_t)strlen(hello));
	ack_feed_wait_records(base, &journal, 1); /* the hello, journaled as an empty line */
	for (uint64_t i = 0; i < SLOW_READER_LINES; i++) {
		char line[256];
		int len = snprintf(line, sizeof line,
				   "{\"type\":\"call_start\",\"call_id\":\"c%llu\",\"ts\":%llu,"
				   "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"seq\":%llu}\n",
				   (unsigned long long)i, 1795939200000ULL + i * 1000,
				   (unsigned long long)(SLOW_READER_SEQ0 + i));

		assert_int_equal(write(fds[1], line, (size_t)len), len);
		ack_feed_wait_records(base, &journal, journal.records + 1);
		feed_server_acknowledge(server, journal.records); /* the commit is durable */
	}
	assert_int_equal(feed_server_stats(server)->connected, 1);
	assert_true(feed_server_stats(server)->acks_sent < SLOW_READER_LINES); /* some skipped */
	assert_int_equal(ack_feed_read_acks(base, fds[1], &acks),
			 SLOW_READER_SEQ0 + SLOW_READER_LINES - 1);
	assert_int_equal(acks, feed_server_stats(server)->acks_sent);
	feed_server_free(server);
	engine_free(engine);
	event_base_free(base);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_bad_hellos),
		cmocka_unit_test(test_acks_follow_durability),
		cmocka_unit_test(test_acks_of_earlier_turns),
		cmocka_unit_test(test_turn_ack_is_not_repeated),
		cmocka_unit_test(test_hello_epoch),
		cmocka_unit_test(test_acks_count_duplicates),
		cmocka_unit_test(test_since_line),
		cmocka_unit_test(test_release_and_catch_up),
		cmocka_unit_test(test_release_without_since),
		cmocka_unit_test(test_settle_before_live),
		cmocka_unit_test(test_settle_after_catching_up),
		cmocka_unit_test(test_settle_drops_after_the_fill),
		cmocka_unit_test(test_settle_before_a_stream_exists),
		cmocka_unit_test(test_settle_drops_a_stream_after_the_fill),
		cmocka_unit_test(test_acks_of_a_slow_reader),
	};

	return cmocka_run_group_tests_name("acks", tests, NULL, NULL);
}
