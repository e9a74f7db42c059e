/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codec.h"
#include "dedupe.h"

static uint64_t fingerprint(uint32_t n)
{
	return (uint64_t)(n + 1) * UINT64_C(0x9e3779b97f4a7c15);
}

/* What dedupe_save writes first: inserts since the last sweep, evictions, entries held. */
struct saved {
	uint32_t inserts_since_sweep;
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
	out.inserts_since_sweep = codec_get_u32(&reader);
	out.evicted = codec_get_u64(&reader);
	out.count = codec_get_u32(&reader);
	assert_false(reader.failed);
	codec_writer_release(&writer);
	return out;
}

/* 100,000 events 10 ms apart with a 10-s horizon (1,000 within it) in a filter bounded at
 * 200,000: it sweeps once the inserts since the last sweep outnumber what that sweep left
 * plus 1,024. The first sweep comes at the 1,025th event; then every 2,025 events, each
 * leaving the 1,000 within the horizon and the event that swept: at most 3,025 held (never
 * its bound), 1,001 + 1,775 at the end (the last sweep at event 98,224), nothing evicted.
 * What is within the horizon is still a duplicate; what was swept is not. */
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
	assert_int_equal(most, 3025);
	assert_int_equal(end.count, 2776);
	assert_int_equal(dedupe_count(dedupe), 2776);
	assert_int_equal(end.inserts_since_sweep, 1775);
	assert_int_equal(end.evicted, 0);
	assert_true(dedupe_seen(dedupe, fingerprint(99000), 990000, 989990));
	assert_false(dedupe_seen(dedupe, fingerprint(90000), 900000, 989990));
	dedupe_free(dedupe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holds_about_what_is_within_the_horizon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
