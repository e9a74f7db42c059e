/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "sysalert.h"

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define MAX_NOTICES 256

struct seen {
	uint64_t seq;
	uint32_t count;
	char kind[MAX_NOTICES][16];
	char system[MAX_NOTICES][SYSALERT_NAME_MAX];
	char what[MAX_NOTICES][80]; /* the source, limit or receiver */
	char message[MAX_NOTICES][SYSALERT_MESSAGE_MAX];
	uint64_t evicted[MAX_NOTICES];
};

static uint64_t take_seq(void *ctx)
{
	return ++((struct seen *)ctx)->seq;
}

static void keep(const struct alert *alert, void *ctx)
{
	struct seen *seen = ctx;
	uint32_t i = seen->count++;
	const char *what = alert->source ? alert->source : alert->limit ? alert->limit : "";

	assert_true(i < MAX_NOTICES);
	snprintf(seen->kind[i], sizeof(seen->kind[i]), "%s", alert->kind);
	snprintf(seen->system[i], sizeof(seen->system[i]), "%s", alert->system);
	snprintf(seen->what[i], sizeof(seen->what[i]), "%s", what);
	snprintf(seen->message[i], sizeof(seen->message[i]), "%s", alert->message);
	seen->evicted[i] = alert->evicted;
}

static bool raise_one(struct sysalerts *sysalerts, const char *system, const char *key,
		      int64_t ts_ms)
{
	struct sysalert_notice notice = { .system = system, .key = key, .severity = "critical",
					  .message = "m", .ts_ms = ts_ms };

	return sysalerts_raise(sysalerts, &notice);
}

static bool resolve_one(struct sysalerts *sysalerts, const char *system, const char *key,
			int64_t ts_ms)
{
	struct sysalert_notice notice = { .system = system, .key = key, .message = "r",
					  .ts_ms = ts_ms };

	return sysalerts_resolve(sysalerts, &notice);
}

/* Capacity 48 (the engine's for 8 sources before: 4 x 8 + 16): 32 for per-source alerts, 8 of
 * them for connections without a hello. 100 invented sources' clock_ahead fill 32; the 68 more
 * are dropped, told once by the limit alert system_alerts (its count kept up to date); the
 * journal's and a limit's alerts still open, and the table grows for the center's. */
static void test_center_alerts_never_dropped(void **state)
{
	static struct seen seen;
	char key[32];
	(void)state;

	memset(&seen, 0, sizeof(seen));
	struct sysalerts *sysalerts = sysalerts_new(48, take_seq, keep, &seen);
	assert_non_null(sysalerts);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "cad-%d", i);
		assert_int_equal(raise_one(sysalerts, "clock_ahead", key, T0 + i), i < 32);
	}
	assert_int_equal(seen.count, 33);
	assert_string_equal(seen.what[31], "cad-31");
	assert_string_equal(seen.kind[32], "firing");
	assert_string_equal(seen.system[32], "limit");
	assert_string_equal(seen.what[32], "system_alerts");
	assert_int_equal(seen.evicted[32], 1);
	assert_string_equal(
		seen.message[32],
		"system alerts of feed sources not shown: their room is full (32 open, 0 "
		"of connections without a hello, which may hold 8): 1 dropped so far; "
		"raise feed.max_sources");
	assert_int_equal(sysalerts_dropped(sysalerts), 68);
	/* The center's: the journal, 16 limits, a receiver and the recovered state, beyond the
	 * 48. */
	assert_true(raise_one(sysalerts, "journal_degraded", "", T0 + 200));
	for (int i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "tracker.max_%d", i);
		assert_true(raise_one(sysalerts, "limit", key, T0 + 300 + i));
	}
	assert_true(raise_one(sysalerts, "receiver_down", "hook", T0 + 400));
	assert_true(raise_one(sysalerts, "state_incomplete", "", T0 + 401));
	assert_int_equal(seen.count, 33 + 19);
	assert_string_equal(seen.system[33], "journal_degraded");
	assert_int_equal(sysalerts_open_count(sysalerts), 32 + 1 + 19);
	assert_true(sysalerts_is_open(sysalerts, "state_incomplete", ""));
	assert_true(sysalerts_is_open(sysalerts, "journal_degraded", ""));
	assert_int_equal(sysalerts_dropped(sysalerts), 68);
	/* Back to 24 per-source alerts (3/4 of 32): system_alerts resolves, with the count. */
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "cad-%d", i);
		assert_true(resolve_one(sysalerts, "clock_ahead", key, T0 + 500));
		assert_int_equal(seen.count, 52 + (uint32_t)i + 1 + (i == 7));
	}
	assert_string_equal(seen.kind[60], "resolved");
	assert_string_equal(seen.what[60], "system_alerts");
	assert_string_equal(seen.message[60],
			    "system alerts of feed sources have room again: 68 dropped in all");
	assert_int_equal(seen.evicted[60], 68);
	assert_false(sysalerts_is_open(sysalerts, "limit", SYSALERTS_FULL_KEY));
	sysalerts_free(sysalerts);
}

/* The center's alerts first, beyond their reserve of 16 (24 limits), then per-source ones up to
 * their room of 32: every one opens in a slot of its own (the table grows; ASan sees a write
 * past it otherwise), the 33rd is dropped. */
static void test_center_alerts_first_then_sources(void **state)
{
	static struct seen seen;
	char key[32];
	(void)state;

	memset(&seen, 0, sizeof(seen));
	struct sysalerts *sysalerts = sysalerts_new(48, take_seq, keep, &seen);
	assert_non_null(sysalerts);
	for (int i = 0; i < 24; i++) {
		snprintf(key, sizeof(key), "tracker.max_%d", i);
		assert_true(raise_one(sysalerts, "limit", key, T0 + i));
	}
	for (int i = 0; i < 33; i++) {
		snprintf(key, sizeof(key), "cad-%d", i);
		assert_int_equal(raise_one(sysalerts, "clock_ahead", key, T0 + 100 + i), i < 32);
	}
	assert_int_equal(sysalerts_open_count(sysalerts), 24 + 32 + 1);
	assert_true(sysalerts_is_open(sysalerts, "clock_ahead", "cad-31"));
	assert_false(sysalerts_is_open(sysalerts, "clock_ahead", "cad-32"));
	assert_int_equal(sysalerts_dropped(sysalerts), 1);
	sysalerts_free(sysalerts);
}

/* Connections without a hello ("#S.N", one key each) hold a quarter of the per-source room:
 * the ninth is dropped, a named source's alert still opens. */
static void test_unnamed_connections_hold_a_quarter(void **state)
{
	static struct seen seen;
	char key[32];
	(void)state;

	memset(&seen, 0, sizeof(seen));
	struct sysalerts *sysalerts = sysalerts_new(48, take_seq, keep, &seen);
	assert_non_null(sysalerts);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "#1.%d", i);
		assert_int_equal(raise_one(sysalerts, "clock_ahead", key, T0 + i), i < 8);
	}
	assert_int_equal(sysalerts_dropped(sysalerts), 2);
	assert_int_equal(seen.count, 9);
	assert_string_equal(
		seen.message[8],
		"system alerts of feed sources not shown: their room is full (8 open, 8 "
		"of connections without a hello, which may hold 8): 1 dropped so far; "
		"raise feed.max_sources");
	assert_true(raise_one(sysalerts, "seq_rejected", "cad-1", T0 + 20));
	assert_int_equal(seen.count, 10);
	/* 6 of 8 (3/4) unnamed: the limit resolves. */
	assert_true(resolve_one(sysalerts, "clock_ahead", "#1.0", T0 + 30));
	assert_true(sysalerts_is_open(sysalerts, "limit", SYSALERTS_FULL_KEY));
	assert_true(resolve_one(sysalerts, "clock_ahead", "#1.1", T0 + 30));
	assert_false(sysalerts_is_open(sysalerts, "limit", SYSALERTS_FULL_KEY));
	assert_int_equal(seen.count, 13);
	sysalerts_free(sysalerts);
}

/* A saved table with the center's alerts beyond its capacity loads (the table grows), and its
 * rooms are counted again: a full per-source room stays full. */
static void test_load_counts_the_rooms(void **state)
{
	static struct seen seen;
	char key[32];
	(void)state;

	memset(&seen, 0, sizeof(seen));
	struct sysalerts *sysalerts = sysalerts_new(40, take_seq, keep, &seen);
	assert_non_null(sysalerts);
	for (int i = 0; i < 24; i++) {
		snprintf(key, sizeof(key), "cad-%d", i);
		assert_true(raise_one(sysalerts, "feed_silent", key, T0 + i));
	}
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "tracker.max_%d", i);
		assert_true(raise_one(sysalerts, "limit", key, T0 + 100 + i));
	}
	struct codec_writer writer = { 0 };
	sysalerts_save(sysalerts, &writer);
	assert_false(writer.failed);
	struct sysalerts *loaded = sysalerts_new(40, take_seq, keep, &seen);
	struct codec_reader reader = { .data = writer.data, .len = writer.len };
	assert_int_equal(sysalerts_load(loaded, &reader), 0);
	assert_int_equal(sysalerts_open_count(loaded), 44);
	assert_false(raise_one(loaded, "feed_silent", "cad-99", T0 + 200));
	assert_int_equal(sysalerts_dropped(loaded), 1);
	assert_true(raise_one(loaded, "journal_degraded", "", T0 + 200));
	codec_writer_release(&writer);
	sysalerts_free(loaded);
	sysalerts_free(sysalerts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_center_alerts_never_dropped),
		cmocka_unit_test(test_center_alerts_first_then_sources),
		cmocka_unit_test(test_unnamed_connections_hold_a_quarter),
		cmocka_unit_test(test_load_counts_the_rooms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
