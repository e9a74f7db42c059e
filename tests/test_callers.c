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
 * after a load. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redials_while_growing),
		cmocka_unit_test(test_redial_completed_long_after_the_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
