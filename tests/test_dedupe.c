/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "dedupe.h"

#define EVICTED_AT_FULL 99u /* of the 1,590 left after the sweep: the oldest sixteenth */

static uint64_t fingerprint(uint32_t n)
{
	return (uint64_t)(n + 1) * UINT64_C(0x9e3779b97f4a7c15);
}

/* What dedupe_save writes first: the table's slots, the sweep's next home, evictions, entries
 * held. */
struct saved {
	uint32_t slots;
	uint32_t sweep_home;
	uint64_t evicted;
	uint32_t count;
};

static struct saved saved(const struct dedupe *dedupe)
{
	struct codec_writer writer = {0};
	struct codec_reader reader;
	struct saved out;

	dedupe_save(dedupe, &writer);
	assert_false(writer.failed);
	codec_reader_init(&reader, writer.data, writer.len);
	out.slots = codec_get_u32(&reader);
	out.sweep_home = codec_get_u32(&reader);
	out.evicted = codec_get_u64(&reader);
	out.count = codec_get_u32(&reader);
	assert_false(reader.failed);
	codec_writer_release(&writer);
	return out;
}

/* 100,000 events 10 ms apart with a 10-s horizon (1,000 within it) in a filter bounded at
 * 200,000: each new fingerprint sweeps (slots / max(held, 1,024)) + 1 homes, so a lap of the
 * homes takes 819-1,365 new fingerprints and the filter holds at most 1,689 (4,096 slots,
 * never its bound; a whole sweep at every 2,025th held up to 3,025), nothing evicted. What is
 * within the horizon is still a duplicate; what was swept is not. */
static void test_holds_about_what_is_within_the_horizon(void **state)
{
	struct dedupe *dedupe = dedupe_new(200000);
	uint32_t most = 0;
	(void)state;

	assert_non_null(dedupe);
	for (uint32_t n = 0; n < 100000; n++) {
		int64_t ts_ms = (int64_t)n * 10;
		assert_false(dedupe_seen(dedupe, fingerprint(n), ts_ms, ts_ms - 10000));
		uint32_t count = dedupe_count(dedupe);
		most = count > most ? count : most;
	}
	struct saved end = saved(dedupe);
	assert_int_equal(most, 1689);
	assert_int_equal(end.count, 1681);
	assert_int_equal(dedupe_count(dedupe), end.count);
	assert_int_equal(end.slots, 4096);
	assert_int_equal(end.sweep_home, 2721);
	assert_int_equal(end.evicted, 0);
	assert_true(dedupe_seen(dedupe, fingerprint(99000), 990000, 989990));
	assert_false(dedupe_seen(dedupe, fingerprint(90000), 900000, 989990));
	dedupe_free(dedupe);
}

/* A fingerprint held from before the horizon is not a duplicate though no sweep has reached
 * it yet (one entry, its home far from the sweep's cursor): the verdict does not wait for the
 * sweep. It is remembered anew with the later ts, so a resend within the new horizon is one. */
static void test_beyond_the_horizon_is_absent(void **state)
{
	struct dedupe *dedupe = dedupe_new(1000);
	(void)state;

	assert_non_null(dedupe);
	assert_false(dedupe_seen(dedupe, fingerprint(7), 1000, 0));
	assert_true(dedupe_seen(dedupe, fingerprint(7), 1000, 1000));
	assert_int_equal(dedupe_count(dedupe), 1);
	assert_false(dedupe_seen(dedupe, fingerprint(7), 5000, 1001));
	assert_int_equal(dedupe_count(dedupe), 1);
	assert_true(dedupe_seen(dedupe, fingerprint(7), 5000, 4000));
	assert_false(dedupe_seen(dedupe, fingerprint(7), 9000, 5001));
	dedupe_free(dedupe);
}

/* Event n of the scripted feed: a new fingerprint 10 ms after the last, or every 7th a resend
 * of the fingerprint of event n - 40 (within the horizon: a duplicate) or n - 3,000 (beyond
 * it once the horizon is narrow). The first 20,000 have a 100-s horizon (the table grows to
 * hold 10,000), the rest a 1-s one (it then holds far fewer in as many slots). */
static bool feed(struct dedupe *dedupe, uint32_t n)
{
	int64_t ts_ms = (int64_t)n * 10, horizon_ms = ts_ms - (n < 20000 ? 100000 : 1000);
	uint32_t key = n % 7 != 0 || n < 3000 ? n : n % 14 == 0 ? n - 40 : n - 3000;

	return dedupe_seen(dedupe, fingerprint(key), ts_ms, horizon_ms);
}

static void save_bytes(const struct dedupe *dedupe, struct codec_writer *writer)
{
	*writer = (struct codec_writer){0};
	dedupe_save(dedupe, writer);
	assert_false(writer->failed);
}

/* Both filters save the same bytes. */
static void assert_same_bytes(const struct dedupe *a, const struct dedupe *b)
{
	struct codec_writer first = {0}, second = {0};

	dedupe_save(a, &first);
	dedupe_save(b, &second);
	assert_int_equal(first.len, second.len);
	assert_memory_equal(first.data, second.data, first.len);
	codec_writer_release(&first);
	codec_writer_release(&second);
}

/* A filter restored from a snapshot taken mid-lap of its sweep, its table larger than what it
 * holds needs, gives the same verdicts as the one that ran through and saves the same bytes
 * after it. */
static void test_restored_mid_sweep(void **state)
{
	struct dedupe *through = dedupe_new(200000), *restored = dedupe_new(200000);
	struct codec_writer at_snapshot, again;
	struct codec_reader reader;
	uint32_t duplicates = 0;
	(void)state;

	assert_non_null(through);
	assert_non_null(restored);
	for (uint32_t n = 0; n < 31234; n++)
		duplicates += feed(through, n);
	save_bytes(through, &at_snapshot);
	struct saved mid = saved(through);
	assert_int_equal(mid.slots, 32768); /* grown for 10,000: 816 need 2,048 */
	assert_int_equal(mid.sweep_home, 13041);
	assert_int_equal(mid.count, 816);
	codec_reader_init(&reader, at_snapshot.data, at_snapshot.len);
	assert_int_equal(dedupe_load(restored, &reader), 0);
	assert_int_equal(reader.pos, reader.len);
	save_bytes(restored, &again);
	assert_int_equal(again.len, at_snapshot.len);
	assert_memory_equal(again.data, at_snapshot.data, at_snapshot.len);
	for (uint32_t n = 31234; n < 60000; n++) {
		bool verdict = feed(through, n);
		assert_int_equal(feed(restored, n), verdict);
		duplicates += verdict;
	}
	assert_int_equal(duplicates, 5286);
	assert_same_bytes(through, restored);
	codec_writer_release(&at_snapshot);
	codec_writer_release(&again);
	dedupe_free(through);
	dedupe_free(restored);
}

/* A snapshot whose sweep home or slots the table cannot have is refused. */
static void test_load_refuses_bad_sizes(void **state)
{
	const uint32_t bad[][2] = {{1000, 0}, {1024, 1024}, {1 << 20, 0}};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dedupe *dedupe = dedupe_new(200000);
		struct codec_writer writer = {0};
		struct codec_reader reader;
		assert_non_null(dedupe);
		codec_put_u32(&writer, bad[i][0]);
		codec_put_u32(&writer, bad[i][1]);
		codec_put_u64(&writer, 0);
		codec_put_u32(&writer, 0);
		codec_reader_init(&reader, writer.data, writer.len);
		assert_int_equal(dedupe_load(dedupe, &reader), -EINVAL);
		codec_writer_release(&writer);
		dedupe_free(dedupe);
	}
}

/* A bound nearly all within the horizon: the whole sweep at the full table frees only the few
 * entries past it, and the oldest sixteenth is evicted as well (counted), so that the next
 * whole sweep is not a few inserts away. */
static void test_full_of_recent_entries_evicts(void **state)
{
	struct dedupe *dedupe = dedupe_new(1600);
	(void)state;

	assert_non_null(dedupe);
	for (uint32_t n = 0; n < 10; n++) /* past the horizon at the end */
		assert_false(dedupe_seen(dedupe, fingerprint(n), 100, 0));
	for (uint32_t n = 10; n < 1600; n++)
		assert_false(dedupe_seen(dedupe, fingerprint(n), 10000 + n, 0));
	assert_int_equal(dedupe_count(dedupe), 1600);
	assert_int_equal(dedupe_evicted(dedupe), 0);

	assert_false(dedupe_seen(dedupe, fingerprint(1600), 20000, 5000));
	assert_int_equal(dedupe_evicted(dedupe), EVICTED_AT_FULL);
	assert_int_equal(dedupe_count(dedupe), 1600 - 10 - EVICTED_AT_FULL + 1);
	assert_true(dedupe_seen(dedupe, fingerprint(1599), 11599, 5000)); /* the newest kept */
	dedupe_free(dedupe);
}

/* --- the filter against a naive model ------------------------------------------------------ */

#define MODEL_KEYS 120000u
#define MODEL_NONE INT64_MIN

static uint64_t model_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The filter's contract with nothing evicted and the horizon never going back: a key is a
 * duplicate when the ts it was last remembered with is at or after the horizon; otherwise it is
 * remembered with its ts. */
static bool model_seen(int64_t *held, uint32_t key, int64_t ts_ms, int64_t horizon_ms)
{
	if (held[key] != MODEL_NONE && held[key] >= horizon_ms)
		return true;
	held[key] = ts_ms;
	return false;
}

/* Keys of the step's phase: a few thousand (mostly duplicates), then a burst over all of
 * MODEL_KEYS, ten times as many events a second (the table grows, gradually), then a few
 * thousand again (a large, sparse table: its sweep at TABLE_SWEEP_MAX_HOMES a step). */
static bool model_bursting(uint32_t step)
{
	return step >= 100000 && step < 160000;
}

static uint32_t model_key(uint64_t *random, uint32_t step)
{
	uint32_t keys = model_bursting(step) ? MODEL_KEYS : 3000;

	return (uint32_t)(model_random(random) % keys);
}

static struct dedupe *restored_copy(const struct dedupe *dedupe)
{
	struct codec_writer writer = {0};
	struct codec_reader reader;
	struct dedupe *copy = dedupe_new(1000000);

	assert_non_null(copy);
	dedupe_save(dedupe, &writer);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(dedupe_load(copy, &reader), 0);
	codec_writer_release(&writer);
	return copy;
}

/* 300,000 events, their ts up to 20 s behind the newest (a 10-s lateness: a fifth of them
 * arrive past the horizon), against the model: every verdict the same; a filter restored from a
 * snapshot every 25,000 events (during the burst's growth too) gives the same verdicts as the
 * one that ran through and saves the same bytes. */
static void test_same_verdicts_as_the_model(void **state)
{
	int64_t *held = malloc(MODEL_KEYS * sizeof *held);
	struct dedupe *dedupe = dedupe_new(1000000), *restored = NULL;
	uint64_t random = 0x2545f4914f6cdd1d;
	int64_t newest_ms = 0;
	uint32_t duplicates = 0, restores = 0;
	(void)state;

	assert_non_null(held);
	assert_non_null(dedupe);
	for (uint32_t k = 0; k < MODEL_KEYS; k++)
		held[k] = MODEL_NONE;
	for (uint32_t step = 0; step < 300000; step++) {
		uint32_t key = model_key(&random, step);
		int64_t ts_ms = newest_ms - (int64_t)(model_random(&random) % 20000);
		int64_t horizon_ms = newest_ms - 10000;
		bool expected = model_seen(held, key, ts_ms, horizon_ms);

		newest_ms += (int64_t)(model_random(&random) % (model_bursting(step) ? 2 : 5));
		assert_int_equal(dedupe_seen(dedupe, fingerprint(key), ts_ms, horizon_ms),
				 expected);
		if (restored)
			assert_int_equal(dedupe_seen(restored, fingerprint(key), ts_ms, horizon_ms),
					 expected);
		duplicates += expected;
		if (step % 25000 == 24999) {
			if (restored) {
				assert_same_bytes(dedupe, restored);
				dedupe_free(restored);
			}
			restored = restored_copy(dedupe);
			restores++;
		}
	}
	assert_same_bytes(dedupe, restored);
	assert_int_equal(restores, 12);
	assert_int_equal(dedupe_evicted(dedupe), 0);
	assert_int_equal(duplicates, 72183); /* the model's count */
	assert_int_equal(saved(dedupe).slots, 16384); /* grown by the burst, kept after it */
	dedupe_free(restored);
	dedupe_free(dedupe);
	free(held);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holds_about_what_is_within_the_horizon),
		cmocka_unit_test(test_beyond_the_horizon_is_absent),
		cmocka_unit_test(test_restored_mid_sweep),
		cmocka_unit_test(test_load_refuses_bad_sizes),
		cmocka_unit_test(test_full_of_recent_entries_evicts),
		cmocka_unit_test(test_same_verdicts_as_the_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
