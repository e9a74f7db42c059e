/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * A feed connection's turns while a snapshot is written (daemon/feed.c, feed.h): over a socket
 * pair, the loop run an iteration at a time as cadmond runs it, a journal that counts the lines
 * each iteration processed. One turn an iteration, however its read event and its resume timer
 * fire.
 */
#include <fcntl.h>
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
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "engine.h"
#include "feed.h"

#define TURNS_MAX_LINE_BYTES 8192
#define TURNS_LONG_LINE_BYTES 5000 /* three of them and a part in FEED_READ_SNAPSHOT_BUDGET_BYTES */
/* Deferred callbacks made due in one pass over the events: libevent runs the first 32 in it,
 * the others in a second pass (event_deferred_cb_schedule_, MAX_DEFERREDS_QUEUED). */
#define TURNS_DEFERRED 40

struct turns {
	struct event_base *base;
	struct engine *engine;
	struct feed_server *server;
	int sender;                  /* the CAD's end of the socket pair */
	uint64_t lines;              /* non-empty lines journaled */
	/* pairs whose reads are deferred callbacks: a second pass of the loop's events */
	struct bufferevent *pairs[TURNS_DEFERRED][2];
	bool defer_once; /* the next line journaled makes them all due */
};

static uint64_t turns_append(void *ctx, const struct engine_origin *origin, const char *line,
			     size_t len)
{
	struct turns *turns = ctx;

	(void)origin;
	(void)line;
	if (len > 0)
		turns->lines++;
	if (turns->defer_once) {
		turns->defer_once = false;
		for (unsigned i = 0; i < TURNS_DEFERRED; i++)
			assert_int_equal(bufferevent_write(turns->pairs[i][0], "x", 1), 0);
	}
	return turns->lines;
}

/* A snapshot is written all along: the budget holds. */
static bool turns_read_less(void *ctx)
{
	(void)ctx;
	return true;
}

static void turns_on_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	(void)ctx;
}

static void turns_on_deferred(struct bufferevent *connection, void *ctx)
{
	(void)ctx;
	evbuffer_drain(bufferevent_get_input(connection), (size_t)-1);
}

/* A feed server whose deadline is each iteration's first line (budget 0: every check of the
 * clock after FEED_DEADLINE_CHECK_LINES lines cuts the pass), one connection from t->sender. */
static int turns_setup(void **state)
{
	static struct turns turns;
	const struct feed_limits limits = { .max_connections = 4,
					    .max_line_bytes = TURNS_MAX_LINE_BYTES,
					    .log_interval_seconds = 60,
					    .max_pending_connections = 4,
					    .max_connections_per_address = 4,
					    .handshake_timeout_seconds = 60,
					    .line_timeout_seconds = 60,
					    .snapshot_iteration_budget_us = 0 };
	const struct feed_journal hooks = { .append_line = turns_append,
					    .read_less = turns_read_less,
					    .ctx = &turns };
	struct config config;
	int fds[2];

	memset(&turns, 0, sizeof turns);
	config_set_defaults(&config);
	assert_non_null(turns.base = event_base_new());
	assert_non_null(turns.engine = engine_new(&config, turns_on_alert, NULL));
	assert_non_null(turns.server = feed_server_new(turns.base, turns.engine, &limits));
	feed_server_set_journal(turns.server, &hooks);
	for (unsigned i = 0; i < TURNS_DEFERRED; i++) {
		struct bufferevent **pair = turns.pairs[i];

		assert_int_equal(bufferevent_pair_new(turns.base, BEV_OPT_DEFER_CALLBACKS, pair),
				 0);
		bufferevent_setcb(pair[1], turns_on_deferred, NULL, NULL, NULL);
		assert_int_equal(bufferevent_enable(pair[1], EV_READ), 0);
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0); /* as the listener's accept */
	feed_server_accept(turns.server, fds[0], "127.0.0.1:1000");
	turns.sender = fds[1];
	*state = &turns;
	return 0;
}

static int turns_teardown(void **state)
{
	struct turns *turns = *state;

	feed_server_free(turns->server);
	for (unsigned i = 0; i < TURNS_DEFERRED; i++) {
		bufferevent_free(turns->pairs[i][0]);
		bufferevent_free(turns->pairs[i][1]);
	}
	engine_free(turns->engine);
	event_base_free(turns->base);
	close(turns->sender);
	return 0;
}

/* One loop iteration as cadmond's run_loop makes it: the lines it journaled. */
static uint64_t turns_iteration(struct turns *turns)
{
	uint64_t before = turns->lines;

	feed_server_next_iteration(turns->server);
	event_base_loop(turns->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return turns->lines - before;
}

static void turns_send(const struct turns *turns, const char *text)
{
	assert_int_equal(write(turns->sender, text, strlen(text)), (ssize_t)strlen(text));
}

/* The hello and count lines of len bytes each (with their "\n", at least 64), in one write
 * (a socket pair's buffer holds few small ones). */
static void turns_send_lines(const struct turns *turns, unsigned count, size_t len)
{
	static char text[64 * 1024];
	size_t used = (size_t)snprintf(text, sizeof text,
				       "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n");

	assert_true(used + count * len < sizeof text);
	for (unsigned i = 0; i < count; i++) {
		char *line = text + used;
		int head = snprintf(line, len, "{\"type\":\"note\",\"n\":%u,\"pad\":\"", i);

		memset(line + head, 'x', len - (size_t)head - 3);
		memcpy(line + len - 3, "\"}\n", 4);
		used += len;
	}
	turns_send(turns, text);
}

/* Lines left by a pass cut short, then more in the kernel: the read event takes the lines
 * left and reads FEED_READ_SNAPSHOT_BUDGET_BYTES, within the deadline's check (3 long lines);
 * the resume timer, due in the same iteration, reads nothing more (it read another 16 KiB). */
static void test_resumed_connection_takes_one_turn(void **state)
{
	struct turns *turns = *state;
	uint64_t total;

	turns_send_lines(turns, 4, 64);
	/* the hello and 3 lines, cut: 1 left */
	assert_int_equal(turns_iteration(turns), FEED_DEADLINE_CHECK_LINES - 1);
	for (unsigned i = 0; i < 8; i++) {
		static char line[TURNS_LONG_LINE_BYTES + 1];

		memset(line, 'x', TURNS_LONG_LINE_BYTES - 1);
		memcpy(line, "{\"pad\":\"", 8);
		memcpy(line + TURNS_LONG_LINE_BYTES - 3, "\"}\n", 4);
		turns_send(turns, line);
	}
	/* the line left, and 3 of the 16 KiB read: 4 lines */
	assert_int_equal(turns_iteration(turns), 1 + FEED_READ_SNAPSHOT_BUDGET_BYTES /
							 TURNS_LONG_LINE_BYTES);
	total = 3 + 4;
	for (unsigned i = 0; i < 10 && total < 4 + 8; i++)
		total += turns_iteration(turns);
	assert_int_equal(total, 4 + 8);
}

/* A connection cut short whose read event libevent runs again in the same iteration (a second
 * pass over the events, here for a deferred callback, as evhttp's): that turn is skipped, the
 * lines wait for the next iteration. */
static void test_cut_connection_waits_for_the_next_iteration(void **state)
{
	struct turns *turns = *state;
	const unsigned lines = 300; /* 30 KB: the kernel still holds some after the first read */
	uint64_t total;

	turns_send_lines(turns, lines, 100);
	turns->defer_once = true;
	assert_int_equal(turns_iteration(turns), FEED_DEADLINE_CHECK_LINES - 1);
	assert_false(turns->defer_once);
	assert_int_equal(turns_iteration(turns), FEED_DEADLINE_CHECK_LINES);
	total = 2 * FEED_DEADLINE_CHECK_LINES - 1;
	for (unsigned i = 0; i < lines && total < lines; i++)
		total += turns_iteration(turns);
	assert_int_equal(total, lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resumed_connection_takes_one_turn, turns_setup,
						turns_teardown),
		cmocka_unit_test_setup_teardown(test_cut_connection_waits_for_the_next_iteration,
						turns_setup, turns_teardown),
	};

	return cmocka_run_group_tests_name("feed_turns", tests, NULL, NULL);
}
