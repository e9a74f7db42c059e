/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "callers.h"
#include "codec.h"

#define WINDOW_MS 600000

static void ani_of(uint32_t n, char *ani, size_t size)
{
	snprintf(ani, size, "+1555%07u", (unsigned)n);
}

static struct caller_hangup hangup_of(uint32_t n)
{
	return (struct caller_hangup){.operator_index = n % 7,
				      .operator_generation = 1,
				      .serial = n + 1,
				      .end_ms = 1000 + (int64_t)n};
}

static void remember(struct callers *callers, uint32_t n)
{
	char ani[32];
	struct caller_hangup hangup = hangup_of(n);

	ani_of(n, ani, sizeof(ani));
	callers_remember(callers, ani, &hangup, WINDOW_MS);
}

/* Takes caller n's redial: true when n was remembered, with its hangup. */
static bool take(struct callers *callers, uint32_t n)
{
	char ani[32];
	struct caller_hangup hangup = {0}, expected = hangup_of(n);

	ani_of(n, ani, sizeof(ani));
	if (!callers_take_redial(callers, ani, 2000 + (int64_t)n, WINDOW_MS, &hangup))
		return false;
	assert_int_equal(hangup.operator_index, expected.operator_index);
	assert_int_equal(hangup.serial, expected.serial);
	assert_int_equal(hangup.end_ms, expected.end_ms);
	return true;
}

/* The callers' table doubles gradually (64 slots up to 4096 for 2000 callers): redials taken
 * while it grows find every caller remembered (and only those), and what it saves depends on
 * the callers alone: the same bytes from callers remembered in the opposite order, and again
 * after a load (the sweep's position is saved apart: callers_save_sweep). */
static void test_redials_while_growing(void **state)
{
	struct callers *up = callers_new(2000), *down = callers_new(2000);
	struct callers *loaded = callers_new(2000);
	struct codec_writer a = {0}, b = {0}, c = {0};
	struct codec_reader reader;
	(void)state;

	assert_non_null(up);
	assert_non_null(down);
	assert_non_null(loaded);
	uint32_t taken = 0;
	for (uint32_t n = 0; n < 1500; n++) {
		remember(up, n);
		if (n % 3 == 2) /* every third, once the next two are remembered */
			taken += take(up, n - 2);
	}
	assert_int_equal(taken, 500);
	for (uint32_t n = 0; n < 1500; n++) /* the other two thirds, once each */
		assert_int_equal(take(up, n), n % 3 != 0);
	for (uint32_t n = 0; n < 1500; n++)
		assert_false(take(up, n));
	for (uint32_t n = 1500; n-- > 0;)
		if (n % 3 != 0)
			remember(down, n);
	for (uint32_t n = 0; n < 1500; n++)
		if (n % 3 != 0)
			remember(up, n);
	callers_save(up, &a);
	callers_save(down, &b);
	assert_false(a.failed);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.data, b.data, a.len);
	codec_reader_init(&reader, a.data, a.len);
	assert_int_equal(callers_load(loaded, &reader, 7), 0);
	callers_save(loaded, &c);
	assert_int_equal(c.len, a.len);
	assert_memory_equal(c.data, a.data, a.len);
	assert_int_equal(callers_evicted(up), 0);
	codec_writer_release(&a);
	codec_writer_release(&b);
	codec_writer_release(&c);
	callers_free(up);
	callers_free(down);
	callers_free(loaded);
}

/* A hangup older than the newest hangup by more than the window is not forgotten while there
 * is room: a redial that started within the window may complete (and be looked up) much later,
 * when hangups from after its start have come in. Here caller 0 hung up at 1 s and rang again
 * at 60 s; 5,000 other hangups end by 30,000 s before that call ends (a sweep of "stale"
 * hangups by the newest end would have forgotten caller 0: stall10). */
static void test_redial_completed_long_after_the_window(void **state)
{
	struct callers *callers = callers_new(10000);
	struct caller_hangup hangup = hangup_of(0), taken = {0};
	char ani[32];
	(void)state;

	assert_non_null(callers);
	remember(callers, 0);
	for (uint32_t n = 1; n <= 5000; n++) {
		struct caller_hangup later = hangup_of(n);
		later.end_ms = (int64_t)n * 6000;
		ani_of(n, ani, sizeof(ani));
		callers_remember(callers, ani, &later, WINDOW_MS);
	}
	ani_of(0, ani, sizeof(ani));
	assert_true(callers_take_redial(callers, ani, 60000, WINDOW_MS, &taken));
	assert_int_equal(taken.serial, hangup.serial);
	assert_int_equal(taken.end_ms, hangup.end_ms);
	assert_int_equal(callers_evicted(callers), 0);
	callers_free(callers);
}

/* What the owner of the table knows, in a test: no call not yet seen starts before unseen_from,
 * and one open call started at open_start (INT64_MIN: none). */
struct fake_redials {
	int64_t unseen_from;
	int64_t open_start;
};

static int64_t fake_unseen_from(const void *ctx)
{
	return ((const struct fake_redials *)ctx)->unseen_from;
}

static bool fake_open_between(const void *ctx, int64_t from_ms, int64_t to_ms)
{
	int64_t start = ((const struct fake_redials *)ctx)->open_start;

	return start != INT64_MIN && start >= from_ms && start <= to_ms;
}

static void tell_redials(struct callers *callers, struct fake_redials *fake)
{
	callers_set_redials(callers, &(struct callers_redials){ .unseen_from = fake_unseen_from,
								.open_between = fake_open_between,
								.ctx = fake });
}

/* Hangups n at 1000 + n ms for n < 1000, then no call yet to complete can start before
 * 2000 + WINDOW_MS: they may all be forgotten, but one still held (no sweep reached it) is
 * still taken by a redial that started within its window, as a table that never swept took it
 * (a call of a source behind the others: judged on its own). */
static void test_stale_hangup_held_is_taken(void **state)
{
	struct callers *callers = callers_new(100000);
	struct fake_redials fake = { .unseen_from = 2000 + WINDOW_MS, .open_start = INT64_MIN };
	struct caller_hangup taken = {0};
	(void)state;

	assert_non_null(callers);
	for (uint32_t n = 0; n < 1000; n++)
		remember(callers, n);
	tell_redials(callers, &fake);
	assert_true(take(callers, 7));
	assert_true(take(callers, 999));
	char ani[32];
	ani_of(8, ani, sizeof(ani));
	assert_false(callers_take_redial(callers, ani, 1008 + WINDOW_MS + 1, WINDOW_MS, &taken));
	assert_int_equal(callers_count(callers), 998);
	callers_free(callers);
}

/* The stepped sweep forgets the stale hangups a few slots at each new one, with the table far
 * from full: 1000 stale (no call yet to complete starts within the window after them), then
 * 20,000 new ones (several laps of the sweep), and only the new ones are held, none evicted.
 * (Without the sweep all 21,000 stay until the table fills.) */
static void test_stepped_sweep_forgets_stale(void **state)
{
	struct callers *callers = callers_new(100000);
	struct fake_redials fake = { .unseen_from = 2000 + WINDOW_MS, .open_start = INT64_MIN };
	char ani[32];
	(void)state;

	assert_non_null(callers);
	for (uint32_t n = 0; n < 1000; n++)
		remember(callers, n);
	tell_redials(callers, &fake);
	for (uint32_t n = 1000; n < 21000; n++) {
		struct caller_hangup hangup = hangup_of(n);
		hangup.end_ms = 2000 + (int64_t)n;
		ani_of(n, ani, sizeof(ani));
		callers_remember(callers, ani, &hangup, WINDOW_MS);
	}
	assert_int_equal(callers_count(callers), 20000);
	assert_int_equal(callers_evicted(callers), 0);
	callers_free(callers);
}

/* An open call (its end lost, say) keeps only the hangups whose window holds its start: 1000
 * hangups at 1000 + n ms, the open call started at 1500 ms, no other call yet to complete
 * before 2000 + WINDOW_MS: after 20,000 new hangups (all stale as well but for the same open
 * call's), the 501 that ended from 1000 to 1500 ms are held besides the new ones, none
 * evicted, and each is still taken. */
static void test_open_call_keeps_its_window_only(void **state)
{
	struct callers *callers = callers_new(100000);
	struct fake_redials fake = { .unseen_from = 30000 + WINDOW_MS, .open_start = 1500 };
	char ani[32];
	(void)state;

	assert_non_null(callers);
	tell_redials(callers, &fake);
	for (uint32_t n = 0; n < 1000; n++)
		remember(callers, n);
	for (uint32_t n = 1000; n < 21000; n++) {
		struct caller_hangup hangup = hangup_of(n);
		hangup.end_ms = 30000 + (int64_t)n;
		ani_of(n, ani, sizeof(ani));
		callers_remember(callers, ani, &hangup, WINDOW_MS);
	}
	assert_int_equal(callers_count(callers), 20000 + 501);
	assert_int_equal(callers_evicted(callers), 0);
	assert_true(take(callers, 0));
	assert_true(take(callers, 500));
	assert_false(take(callers, 501));
	callers_free(callers);
}

/* A full table evicts only when its whole sweep freed nothing: a bound of 100 holding 99 fresh
 * hangups and one stale forgets the stale one alone, then evicts the oldest 1/16 (6) at the
 * next once all are fresh. */
static void test_full_table_evicts_only_when_none_stale(void **state)
{
	struct callers *callers = callers_new(100);
	struct fake_redials fake = { .unseen_from = 1000 + WINDOW_MS + 1, .open_start = INT64_MIN };
	char ani[32];
	(void)state;

	assert_non_null(callers);
	for (uint32_t n = 0; n < 100; n++)
		remember(callers, n);
	assert_int_equal(callers_count(callers), 100);
	tell_redials(callers, &fake); /* only hangup 0 (at 1000 ms) is stale */
	struct caller_hangup hangup = hangup_of(100);
	ani_of(100, ani, sizeof(ani));
	callers_remember(callers, ani, &hangup, WINDOW_MS);
	assert_int_equal(callers_count(callers), 100);
	assert_int_equal(callers_evicted(callers), 0);
	assert_false(take(callers, 0));
	assert_true(take(callers, 1));
	remember(callers, 1);
	hangup = hangup_of(101);
	ani_of(101, ani, sizeof(ani));
	callers_remember(callers, ani, &hangup, WINDOW_MS);
	assert_int_equal(callers_evicted(callers), 6);
	assert_int_equal(callers_count(callers), 95);
	callers_free(callers);
}

/* Saved with its sweep's position, a table of 1000 (full every few hundred hangups, the bound
 * on calls yet to complete rising behind them) goes on as the one it was saved from: after
 * 5,000 more hangups the same hangups held, the same evicted, the same bytes. Without the
 * position (size and cursor) the restored sweep steps elsewhere and the table fills at another
 * hangup. */
static void test_sweep_position_survives_load(void **state)
{
	struct callers *live = callers_new(1000), *loaded = callers_new(1000);
	struct codec_writer saved = {0}, a = {0}, b = {0};
	struct codec_reader reader;
	struct fake_redials fake = { .open_start = INT64_MIN };
	char ani[32];
	(void)state;

	assert_non_null(live);
	assert_non_null(loaded);
	tell_redials(live, &fake);
	tell_redials(loaded, &fake);
	for (uint32_t n = 0; n < 10000; n++) {
		struct caller_hangup hangup = hangup_of(n % 3000 * 7);
		hangup.end_ms = (int64_t)n * 100;
		ani_of(n % 3000 * 7, ani, sizeof(ani));
		if (n == 5000) {
			callers_save(live, &saved);
			callers_save_sweep(live, &saved);
			codec_reader_init(&reader, saved.data, saved.len);
			assert_int_equal(callers_load(loaded, &reader, 7), 0);
			assert_int_equal(callers_load_sweep(loaded, &reader), 0);
			assert_int_equal(reader.pos, reader.len);
		}
		fake.unseen_from = hangup.end_ms - 120000 + WINDOW_MS;
		callers_remember(live, ani, &hangup, WINDOW_MS);
		if (n >= 5000)
			callers_remember(loaded, ani, &hangup, WINDOW_MS);
	}
	assert_true(callers_evicted(live) > 0);
	assert_int_equal(callers_evicted(loaded), callers_evicted(live));
	assert_int_equal(callers_count(loaded), callers_count(live));
	callers_save(live, &a);
	callers_save_sweep(live, &a);
	callers_save(loaded, &b);
	callers_save_sweep(loaded, &b);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.data, b.data, a.len);
	codec_writer_release(&saved);
	codec_writer_release(&a);
	codec_writer_release(&b);
	callers_free(live);
	callers_free(loaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redials_while_growing),
		cmocka_unit_test(test_redial_completed_long_after_the_window),
		cmocka_unit_test(test_stale_hangup_held_is_taken),
		cmocka_unit_test(test_stepped_sweep_forgets_stale),
		cmocka_unit_test(test_open_call_keeps_its_window_only),
		cmocka_unit_test(test_full_table_evicts_only_when_none_stale),
		cmocka_unit_test(test_sweep_position_survives_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
