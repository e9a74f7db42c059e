/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The store's alert buffers (daemon/journal/alertbuf.c) without the store: the pending FIFO's
 * order, growth and compaction; the backlog's byte bound, what it gives up (the count the store
 * adds to alerts_not_journaled), its copies and growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alertbuf.h"

/* A pending alert for seq, its line "{"seq":SEQ}" allocated as the store allocates it. */
static struct alertbuf_pending_alert pending_alert(uint64_t seq)
{
	struct alertbuf_pending_alert alert = {
		.seq = seq, .index = seq * 10, .segment = 1, .offset = seq * 100, .record_bytes = 40
	};
	char line[64];

	alert.len = (size_t)snprintf(line, sizeof line, "{\"seq\":%llu}", (unsigned long long)seq);
	alert.json = strdup(line);
	assert_non_null(alert.json);
	return alert;
}

static void push_pending(struct alertbuf_pending *pending, uint64_t first_seq, uint64_t last_seq)
{
	for (uint64_t seq = first_seq; seq <= last_seq; seq++) {
		struct alertbuf_pending_alert alert = pending_alert(seq);

		assert_int_equal(alertbuf_pending_push(pending, &alert), 0);
	}
}

/* Pops count alerts, expecting seqs first_seq, first_seq + 1, ... with their records. */
static void pop_pending(struct alertbuf_pending *pending, uint64_t first_seq, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct alertbuf_pending_alert *alert = alertbuf_pending_first(pending);
		char expected[64];

		snprintf(expected, sizeof expected, "{\"seq\":%llu}",
			 (unsigned long long)(first_seq + i));
		assert_non_null(alert);
		assert_int_equal(alert->seq, first_seq + i);
		assert_int_equal(alert->index, (first_seq + i) * 10);
		assert_int_equal(alert->offset, (first_seq + i) * 100);
		assert_int_equal(alert->record_bytes, 40);
		assert_string_equal(alert->json, expected);
		assert_int_equal(alert->len, strlen(expected));
		alertbuf_pending_pop(pending);
	}
}

/* --- the pending FIFO ----------------------------------------------------------------------- */

static void test_pending_first_in_first_out(void **state)
{
	struct alertbuf_pending pending = { 0 };

	(void)state;
	assert_null(alertbuf_pending_first(&pending));
	push_pending(&pending, 1, 3);
	assert_int_equal(pending.count, 3);
	assert_int_equal(pending.capacity, ALERTBUF_INITIAL_CAPACITY);
	assert_int_equal(ALERTBUF_INITIAL_CAPACITY, 16);
	pop_pending(&pending, 1, 1);
	assert_int_equal(pending.head, 1);
	assert_int_equal(pending.count, 2);
	push_pending(&pending, 4, 4);
	pop_pending(&pending, 2, 3);
	/* Emptied: the next alert goes to the front again. */
	assert_null(alertbuf_pending_first(&pending));
	assert_int_equal(pending.head, 0);
	assert_int_equal(pending.count, 0);
	assert_int_equal(pending.capacity, 16);
	alertbuf_pending_free(&pending);
}

static void test_pending_grows_by_doubling(void **state)
{
	struct alertbuf_pending pending = { 0 };

	(void)state;
	push_pending(&pending, 1, 16);
	assert_int_equal(pending.capacity, 16);
	push_pending(&pending, 17, 17);
	assert_int_equal(pending.capacity, 32);
	push_pending(&pending, 18, 33);
	assert_int_equal(pending.capacity, 64);
	assert_int_equal(pending.count, 33);
	pop_pending(&pending, 1, 33);
	assert_null(alertbuf_pending_first(&pending));
	alertbuf_pending_free(&pending);
}

/* Full at the end with room at the front: the live alerts move to the front, no growth. */
static void test_pending_compacts_before_growing(void **state)
{
	struct alertbuf_pending pending = { 0 };

	(void)state;
	push_pending(&pending, 1, 16);
	pop_pending(&pending, 1, 10);
	assert_int_equal(pending.head, 10);
	assert_int_equal(pending.count, 6);
	push_pending(&pending, 17, 17);
	assert_int_equal(pending.head, 0);
	assert_int_equal(pending.count, 7);
	assert_int_equal(pending.capacity, 16);
	assert_int_equal(alertbuf_pending_first(&pending)->seq, 11);
	/* Filled to its capacity from the front, then grown. */
	push_pending(&pending, 18, 26);
	assert_int_equal(pending.count, 16);
	assert_int_equal(pending.capacity, 16);
	push_pending(&pending, 27, 27);
	assert_int_equal(pending.capacity, 32);
	pop_pending(&pending, 11, 17);
	assert_null(alertbuf_pending_first(&pending));
	alertbuf_pending_free(&pending);
}

static void test_pending_free_releases_everything(void **state)
{
	struct alertbuf_pending pending = { 0 };

	(void)state;
	push_pending(&pending, 1, 20);
	pop_pending(&pending, 1, 2);
	alertbuf_pending_free(&pending); /* the 18 lines left freed: ASan says if not */
	assert_null(pending.alerts);
	assert_int_equal(pending.head, 0);
	assert_int_equal(pending.count, 0);
	assert_int_equal(pending.capacity, 0);
	alertbuf_pending_free(&pending); /* an empty FIFO again */
}

/* --- the backlog ---------------------------------------------------------------------------- */

/* The backlog holds exactly the seqs given (oldest first) and their bytes. */
static void expect_backlog(const struct alertbuf_backlog *backlog, const uint64_t *seqs,
			   size_t count, size_t bytes)
{
	assert_int_equal(backlog->count, count);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(backlog->alerts[i].seq, seqs[i]);
	assert_int_equal(backlog->bytes, bytes);
}

static void test_backlog_gives_up_the_oldest_past_its_bound(void **state)
{
	struct alertbuf_backlog backlog;

	(void)state;
	alertbuf_backlog_init(&backlog, 10);
	assert_int_equal(alertbuf_backlog_push(&backlog, 1, "aaaa", 4), 0);
	assert_int_equal(alertbuf_backlog_push(&backlog, 2, "bbbb", 4), 0);
	expect_backlog(&backlog, (const uint64_t[]){ 1, 2 }, 2, 8);
	/* 8 + 3 > 10: seq 1 given up. */
	assert_int_equal(alertbuf_backlog_push(&backlog, 3, "ccc", 3), 1);
	expect_backlog(&backlog, (const uint64_t[]){ 2, 3 }, 2, 7);
	assert_string_equal(backlog.alerts[0].json, "bbbb");
	assert_string_equal(backlog.alerts[1].json, "ccc");
	/* Exactly at the bound: kept, nothing given up. */
	assert_int_equal(alertbuf_backlog_push(&backlog, 4, "ddd", 3), 0);
	expect_backlog(&backlog, (const uint64_t[]){ 2, 3, 4 }, 3, 10);
	/* A whole bound's worth: everything before it given up. */
	assert_int_equal(alertbuf_backlog_push(&backlog, 5, "eeeeeeeeee", 10), 3);
	expect_backlog(&backlog, (const uint64_t[]){ 5 }, 1, 10);
	assert_string_equal(backlog.alerts[0].json, "eeeeeeeeee");
	alertbuf_backlog_free(&backlog);
}

/* One line longer than the bound is kept alone, then given up for the next. */
static void test_backlog_keeps_one_oversized_alert(void **state)
{
	struct alertbuf_backlog backlog;

	(void)state;
	alertbuf_backlog_init(&backlog, 10);
	assert_int_equal(alertbuf_backlog_push(&backlog, 7, "123456789012", 12), 0);
	expect_backlog(&backlog, (const uint64_t[]){ 7 }, 1, 12);
	assert_int_equal(alertbuf_backlog_push(&backlog, 8, "x", 1), 1);
	expect_backlog(&backlog, (const uint64_t[]){ 8 }, 1, 1);
	alertbuf_backlog_free(&backlog);
}

/* The backlog keeps a NUL-terminated copy of the len bytes given, not the caller's buffer. */
static void test_backlog_copies_the_line(void **state)
{
	struct alertbuf_backlog backlog;
	char line[] = "{\"seq\":9}trailing";

	(void)state;
	alertbuf_backlog_init(&backlog, 1024);
	assert_int_equal(alertbuf_backlog_push(&backlog, 9, line, 9), 0);
	memset(line, 'x', sizeof line - 1);
	assert_string_equal(backlog.alerts[0].json, "{\"seq\":9}");
	assert_int_equal(backlog.alerts[0].len, 9);
	alertbuf_backlog_free(&backlog);
}

static void test_backlog_grows_and_clears(void **state)
{
	struct alertbuf_backlog backlog;

	(void)state;
	alertbuf_backlog_init(&backlog, 1000);
	for (uint64_t seq = 1; seq <= 16; seq++)
		assert_int_equal(alertbuf_backlog_push(&backlog, seq, "abc", 3), 0);
	assert_int_equal(backlog.capacity, 16);
	assert_int_equal(alertbuf_backlog_push(&backlog, 17, "abc", 3), 0);
	assert_int_equal(backlog.capacity, 32);
	assert_int_equal(backlog.count, 17);
	assert_int_equal(backlog.bytes, 51);
	/* Journaled: cleared, its capacity kept for the next degraded period. */
	alertbuf_backlog_clear(&backlog);
	assert_int_equal(backlog.count, 0);
	assert_int_equal(backlog.bytes, 0);
	assert_int_equal(backlog.capacity, 32);
	assert_int_equal(backlog.max_bytes, 1000);
	assert_int_equal(alertbuf_backlog_push(&backlog, 18, "abcd", 4), 0);
	expect_backlog(&backlog, (const uint64_t[]){ 18 }, 1, 4);
	alertbuf_backlog_free(&backlog);
	assert_null(backlog.alerts);
	assert_int_equal(backlog.count, 0);
	assert_int_equal(backlog.capacity, 0);
	assert_int_equal(backlog.max_bytes, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_first_in_first_out),
		cmocka_unit_test(test_pending_grows_by_doubling),
		cmocka_unit_test(test_pending_compacts_before_growing),
		cmocka_unit_test(test_pending_free_releases_everything),
		cmocka_unit_test(test_backlog_gives_up_the_oldest_past_its_bound),
		cmocka_unit_test(test_backlog_keeps_one_oversized_alert),
		cmocka_unit_test(test_backlog_copies_the_line),
		cmocka_unit_test(test_backlog_grows_and_clears),
	};

	return cmocka_run_group_tests_name("alertbuf", tests, NULL, NULL);
}
