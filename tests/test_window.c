/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "codec.h"
#include "window.h"

#define T0 INT64_C(1795939200000)

/* The spans' storage of the windows under test (the caller's, as an operator's state is). */
static struct window_span window_spans[WINDOW_MAX_SPANS], loaded_spans[WINDOW_MAX_SPANS];

static struct window_entry entry(int64_t end_ms, uint64_t serial, unsigned flags)
{
	return (struct window_entry){
		.start_ms = end_ms - 1000, .end_ms = end_ms, .serial = serial, .flags = flags
	};
}

static void test_edges(void **state)
{
	struct window window;
	const int64_t spans[] = {10000, 60000};
	(void)state;

	window_init(&window, window_spans, spans, 2, 64, 0);
	assert_int_equal(window_insert(&window, &(struct window_entry){.end_ms = T0, .serial = 1,
						.flags = WINDOW_PREMATURE}, NULL), WINDOW_INSERTED);
	assert_int_equal(window.spans[0].counts.calls, 1);
	assert_int_equal(window.spans[0].counts.premature, 1);
	window_advance(&window, T0 + 10000 - 1);
	assert_int_equal(window.spans[0].counts.calls, 1);
	/* Exactly the span's length old: it has left that span, not the longer one. */
	window_advance(&window, T0 + 10000);
	assert_int_equal(window.spans[0].counts.calls, 0);
	assert_int_equal(window.spans[1].counts.calls, 1);
	window_advance(&window, T0 + 60000);
	assert_int_equal(window.spans[1].counts.calls, 0);
	assert_int_equal(window.count, 0);
	/* Too old for every span: not kept. */
	struct window_entry old = entry(T0, 2, 0);
	assert_int_equal(window_insert(&window, &old, NULL), WINDOW_TOO_OLD);
	/* The clock never goes back. */
	window_advance(&window, T0);
	assert_int_equal(window.now_ms, T0 + 60000);
	window_release(&window);
}

static void test_late_entry_inside_and_outside_short_span(void **state)
{
	struct window window;
	const int64_t spans[] = {10000, 60000};
	(void)state;

	window_init(&window, window_spans, spans, 2, 64, 0);
	struct window_entry a = entry(T0 + 30000, 1, 0);
	window_insert(&window, &a, NULL);
	/* 25 s late: outside the 10 s span, inside the 60 s one. */
	struct window_entry late = entry(T0 + 5000, 2, WINDOW_PREMATURE);
	assert_int_equal(window_insert(&window, &late, NULL), WINDOW_INSERTED);
	assert_int_equal(window.spans[0].counts.calls, 1);
	assert_int_equal(window.spans[0].counts.premature, 0);
	assert_int_equal(window.spans[1].counts.calls, 2);
	assert_int_equal(window.spans[1].counts.premature, 1);
	assert_int_equal(window_entry_at(&window, 0)->serial, 2);
	assert_int_equal(window_entry_at(&window, 1)->serial, 1);
	window_release(&window);
}

static void test_mark_updates_counts(void **state)
{
	struct window window;
	const int64_t spans[] = {10000, 60000};
	(void)state;

	window_init(&window, window_spans, spans, 2, 64, 0);
	struct window_entry a = entry(T0, 1, WINDOW_PREMATURE),
			    b = entry(T0 + 20000, 2, WINDOW_PREMATURE);
	window_insert(&window, &a, NULL);
	window_insert(&window, &b, NULL);
	assert_true(window_mark(&window, 1, WINDOW_CALLED_BACK));
	assert_true(window_mark(&window, 1, WINDOW_CALLED_BACK)); /* idempotent */
	assert_int_equal(window.spans[0].counts.called_back, 0);
	assert_int_equal(window.spans[1].counts.called_back, 1);
	assert_false(window_mark(&window, 99, WINDOW_CALLED_BACK));
	window_release(&window);
}

static void test_eviction_at_max_entries(void **state)
{
	struct window window;
	const int64_t spans[] = {1000000};
	char payload[8];
	(void)state;

	window_init(&window, window_spans, spans, 1, 16, sizeof(payload));
	for (int i = 0; i < 20; i++) {
		struct window_entry e = entry(T0 + i, (uint64_t)i, i % 2 ? WINDOW_PREMATURE : 0);
		memset(payload, 'a' + i, sizeof(payload));
		assert_int_equal(window_insert(&window, &e, payload),
				 i < 16 ? WINDOW_INSERTED : WINDOW_INSERTED_EVICTING);
	}
	assert_int_equal(window.count, 16);
	assert_int_equal(window.spans[0].counts.calls, 16);
	assert_int_equal(window.spans[0].counts.premature, 8);
	assert_int_equal(window_entry_at(&window, 0)->serial, 4);
	assert_memory_equal(window_payload_at(&window, 0), "eeeeeeee", 8);
	assert_memory_equal(window_payload_at(&window, 15), "tttttttt", 8);
	window_release(&window);
}

/* xorshift64*: a fixed sequence for the model test. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

#define MODEL_MAX 4096

/* Random inserts (some late), advances and marks, checked against recounting from scratch. */
/* Buckets of 10 s ending at now: the edges are those of a span, calls after now are out. */
static void test_histogram_buckets(void **state)
{
	struct window window;
	struct window_counts buckets[3];
	const int64_t spans[] = {30000, 60000};
	const int64_t ends[] = { T0 - 15000, T0,	 T0 + 1,     T0 + 9999,
				 T0 + 10000, T0 + 10001, T0 + 25000, T0 + 30000 };
	(void)state;

	window_init(&window, window_spans, spans, 2, 64, 0);
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		struct window_entry call = entry(ends[i], i + 1, i % 2 ? WINDOW_PREMATURE : 0);
		assert_int_equal(window_insert(&window, &call, NULL), WINDOW_INSERTED);
	}
	/* (T0-1, T0+9999], (T0+9999, T0+19999], (T0+19999, T0+29999]; T0+30000 is after now. */
	window_histogram(&window, T0 + 29999, 10000, 3, buckets);
	assert_int_equal(buckets[0].calls, 3); /* T0, T0+1, T0+9999 */
	assert_int_equal(buckets[0].premature, 2);
	assert_int_equal(buckets[1].calls, 2); /* T0+10000, T0+10001 */
	assert_int_equal(buckets[1].premature, 1);
	assert_int_equal(buckets[2].calls, 1); /* T0+25000 */
	assert_int_equal(buckets[2].premature, 0);
	/* One ms later: T0 is exactly 30 s old (out), T0+30000 comes in. */
	window_histogram(&window, T0 + 30000, 10000, 3, buckets);
	assert_int_equal(buckets[0].calls, 3); /* T0+1, T0+9999, T0+10000 */
	assert_int_equal(buckets[0].premature, 1);
	assert_int_equal(buckets[1].calls, 1); /* T0+10001 */
	assert_int_equal(buckets[1].premature, 1);
	assert_int_equal(buckets[2].calls, 2); /* T0+25000, T0+30000 */
	assert_int_equal(buckets[2].premature, 1);
	/* The window still holds T0-15000 (inside its 60 s span), so longer buckets count it. */
	window_histogram(&window, T0 + 30000, 20000, 3, buckets);
	assert_int_equal(buckets[0].calls, 1);
	assert_int_equal(buckets[0].premature, 0);
	assert_int_equal(buckets[1].calls, 4); /* T0, T0+1, T0+9999, T0+10000 */
	assert_int_equal(buckets[1].premature, 2);
	assert_int_equal(buckets[2].calls, 3);
	assert_int_equal(buckets[2].premature, 2);
	/* Nothing is changed by it. */
	assert_int_equal(window.count, 8);
	assert_int_equal(window.spans[0].counts.calls, 6);
	assert_int_equal(window.spans[1].counts.calls, 8);
	window_release(&window);
}

static void test_matches_brute_force_model(void **state)
{
	static struct window_entry model[MODEL_MAX];
	const int64_t spans[] = {300000, 1800000, 7200000};
	struct window window;
	size_t model_count = 0;
	uint64_t random = 42;
	int64_t clock = T0;
	(void)state;

	window_init(&window, window_spans, spans, 3, MODEL_MAX, 0);
	for (uint64_t serial = 1; serial < 3000; serial++) {
		clock += (int64_t)(next_random(&random) % 60000);
		int64_t lateness = next_random(&random) % 4 == 0
					   ? (int64_t)(next_random(&random) % 2000000)
					   : 0;
		struct window_entry e =
			entry(clock - lateness, serial, (unsigned)(next_random(&random) % 2));
		if (window_insert(&window, &e, NULL) == WINDOW_INSERTED)
			model[model_count++] = e;
		if (next_random(&random) % 5 == 0 && model_count > 0) {
			size_t pick = next_random(&random) % model_count;
			if (window_mark(&window, model[pick].serial, WINDOW_CALLED_BACK))
				model[pick].flags |= WINDOW_CALLED_BACK;
		}
		if (next_random(&random) % 3 == 0) /* time passes without a call */
			window_advance(&window,
				       window.now_ms + (int64_t)(next_random(&random) % 400000));
		/* the oldest call inside a span, plus the span */
		int64_t next_leave_ms = INT64_MAX;
		for (size_t s = 0; s < 3; s++) {
			struct window_counts expected = {0};
			for (size_t i = 0; i < model_count; i++) {
				if (model[i].end_ms > window.now_ms - spans[s]) {
					if (model[i].end_ms + spans[s] < next_leave_ms)
						next_leave_ms = model[i].end_ms + spans[s];
					expected.calls++;
					expected.premature +=
						model[i].flags & WINDOW_PREMATURE ? 1 : 0;
					expected.called_back +=
						model[i].flags & WINDOW_CALLED_BACK ? 1 : 0;
				}
			}
			assert_int_equal(window.spans[s].counts.calls, expected.calls);
			assert_int_equal(window.spans[s].counts.premature, expected.premature);
			assert_int_equal(window.spans[s].counts.called_back, expected.called_back);
		}
		assert_int_equal(window.next_leave_ms, next_leave_ms);
		for (uint32_t i = 1; i < window.count; i++)
			assert_true(window_entry_at(&window, i - 1)->end_ms <=
				    window_entry_at(&window, i)->end_ms);
	}
	window_release(&window);
}

/* Rings start at 1 entry, double up to 16, grow by half up to the bound, and shrink by half
 * once three quarters are free, never below 4. */
static void insert_serials(struct window *window, uint64_t from, uint64_t to, const void *payload)
{
	for (uint64_t i = from; i < to; i++)
		window_insert(window,
			      &(struct window_entry){ .end_ms = T0 + (int64_t)i, .serial = i },
			      payload);
}

static void test_ring_grows_by_half_and_shrinks(void **state)
{
	struct window window;
	const int64_t spans[] = {60000};
	const char payload[4] = "abc";
	(void)state;

	window_init(&window, window_spans, spans, 1, 40, sizeof(payload));
	assert_int_equal(window.capacity, 0);
	insert_serials(&window, 0, 1, payload);
	assert_int_equal(window.capacity, 1);
	insert_serials(&window, 1, 2, payload);
	assert_int_equal(window.capacity, 2);
	insert_serials(&window, 2, 3, payload);
	assert_int_equal(window.capacity, 4);
	insert_serials(&window, 3, 4, payload);
	assert_int_equal(window.capacity, 4);
	insert_serials(&window, 4, 5, payload);
	assert_int_equal(window.capacity, 8);
	insert_serials(&window, 5, 9, payload);
	assert_int_equal(window.capacity, 16);
	insert_serials(&window, 9, 17, payload);
	assert_int_equal(window.capacity, 24);
	insert_serials(&window, 17, 25, payload);
	assert_int_equal(window.capacity, 36);
	insert_serials(&window, 25, 37, payload);
	assert_int_equal(window.capacity, 40); /* 54 capped at max_entries */
	assert_int_equal(window.count, 37);
	/* 8 calls left (T0 + 29 .. T0 + 36): under a quarter of 40, so 20 */
	window_advance(&window, T0 + 29 + 60000 - 1);
	assert_int_equal(window.count, 8);
	assert_int_equal(window.capacity, 20);
	assert_int_equal(window_entry_at(&window, 0)->serial, 29);
	assert_memory_equal(window_payload_at(&window, 7), "abc", 4);
	assert_int_equal(window.spans[0].counts.calls, 8);
	/* 4 left: under a quarter of 20, so 10 */
	window_advance(&window, T0 + 33 + 60000 - 1);
	assert_int_equal(window.count, 4);
	assert_int_equal(window.capacity, 10);
	assert_int_equal(window_entry_at(&window, 3)->serial, 36);
	/* 1 left: 5; none left: 4, not below */
	window_advance(&window, T0 + 36 + 60000 - 1);
	assert_int_equal(window.capacity, 5);
	window_advance(&window, T0 + 36 + 60000);
	assert_int_equal(window.count, 0);
	assert_int_equal(window.capacity, 4);
	window_release(&window);
}

static void assert_serials(const struct window *window, uint64_t from, uint64_t to)
{
	assert_int_equal(window->count, to - from);
	for (uint32_t i = 0; i < window->count; i++)
		assert_int_equal(window_entry_at(window, i)->serial, from + i);
	assert_int_equal(window->spans[0].counts.calls, to - from);
}

/* A ring without payloads (the center's) grows in place: the wrapped newest entries move
 * after the old end when they are the smaller part and fit, else the oldest move to the new
 * end; the entries stay in order either way. */
static void test_ring_without_payloads_grows_in_place(void **state)
{
	struct window window;
	const int64_t spans[] = {100};
	(void)state;

	window_init(&window, window_spans, spans, 1, 100, 0);
	insert_serials(&window, 0, 16, NULL);
	assert_int_equal(window.capacity, 16);
	window_advance(&window, T0 + 5 + 100); /* 0..5 leave */
	insert_serials(&window, 16, 22, NULL); /* at ring slots 0..5 */
	assert_int_equal(window.capacity, 16);
	assert_int_equal(window.oldest, 6);
	insert_serials(&window, 22, 23, NULL); /* 6 wrapped entries after the old end */
	assert_int_equal(window.capacity, 24);
	assert_int_equal(window.oldest, 6);
	assert_serials(&window, 6, 23);

	insert_serials(&window, 23, 30, NULL);
	window_advance(&window, T0 + 19 + 100); /* 6..19 leave */
	insert_serials(&window, 30, 44, NULL);
	assert_int_equal(window.capacity, 24);
	assert_int_equal(window.oldest, 20);
	insert_serials(&window, 44, 45, NULL); /* the 4 oldest to the new end */
	assert_int_equal(window.capacity, 36);
	assert_int_equal(window.oldest, 32);
	assert_serials(&window, 20, 45);
	window_release(&window);
}

/* Serial and flags share a word: both come back from a save, a serial past it is refused. */
static void test_load_keeps_packed_serial_and_refuses_a_wider_one(void **state)
{
	struct window window, loaded;
	struct codec_writer writer = {0};
	struct codec_reader reader;
	const int64_t spans[] = {60000};
	(void)state;

	window_init(&window, window_spans, spans, 1, 64, 0);
	window_insert(&window,
		      &(struct window_entry){ .start_ms = T0 - 5,
					      .end_ms = T0,
					      .serial = WINDOW_SERIAL_MAX,
					      .flags = WINDOW_PREMATURE | WINDOW_CALLED_BACK },
		      NULL);
	window_save(&window, &writer, NULL);
	window_init(&loaded, loaded_spans, spans, 1, 64, 0);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(window_load(&loaded, &reader, NULL), 0);
	assert_int_equal(window_entry_at(&loaded, 0)->serial, WINDOW_SERIAL_MAX);
	assert_int_equal(window_entry_at(&loaded, 0)->flags, WINDOW_PREMATURE | WINDOW_CALLED_BACK);
	assert_int_equal(window_entry_at(&loaded, 0)->start_ms, T0 - 5);
	assert_int_equal(loaded.spans[0].counts.called_back, 1);
	window_release(&loaded);
	/* now_ms (8), count (4), start (8), end (8), then the serial: one past the maximum */
	memcpy(writer.data + 28, (const unsigned char[8]){0, 0, 0, 0, 0, 0, 0, 0x01}, 8); /* 2^56 */
	window_init(&loaded, loaded_spans, spans, 1, 64, 0);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(window_load(&loaded, &reader, NULL), -EINVAL);
	window_release(&loaded);
	window_release(&window);
	codec_writer_release(&writer);
}

/* Payloads that own memory: each dropped once, whichever way its call goes. */
static unsigned drops;

static void count_drop(void *payload)
{
	unsigned value;

	memcpy(&value, payload, sizeof(value));
	assert_true(value >= 1 && value <= 100); /* a payload inserted, not a stray slot */
	drops++;
}

static void put_value(const void *payload, struct codec_writer *writer)
{
	unsigned value;

	memcpy(&value, payload, sizeof(value));
	codec_put_u32(writer, value);
}

/* Refuses the third payload: the two before are held, and dropped by window_release. */
static int get_two_values(void *payload, struct codec_reader *reader)
{
	static unsigned got;
	unsigned value = codec_get_u32(reader);

	if (++got % 3 == 0)
		return -EINVAL;
	memcpy(payload, &value, sizeof(value));
	return 0;
}

static void test_drop_each_payload_once(void **state)
{
	struct window window, loaded;
	struct codec_writer writer = { 0 };
	struct codec_reader reader;
	const int64_t spans[] = { 10000, 60000 }, shorter[] = { 5000 };
	(void)state;

	drops = 0;
	window_init(&window, window_spans, spans, 2, 8, sizeof(unsigned));
	window_set_drop(&window, count_drop);
	for (unsigned i = 1; i <= 10; i++) /* the bound is 8: two evicted */
		window_insert(&window,
			      &(struct window_entry){ .end_ms = T0 + i * 1000, .serial = i }, &i);
	assert_int_equal(drops, 2);
	window_advance(&window, T0 + 64000); /* 3 and 4 leave the longest span */
	assert_int_equal(drops, 4);
	assert_int_equal(window_insert(&window,
				       &(struct window_entry){ .end_ms = T0, .serial = 11 },
				       &(unsigned){ 11 }),
			 WINDOW_TOO_OLD); /* not kept: the caller's to drop */
	assert_int_equal(drops, 4);
	window_save(&window, &writer, put_value);
	assert_int_equal(window_reshape(&window, shorter, 1, 2), 4); /* 6 left, 2 kept */
	assert_int_equal(window.count, 0); /* and those 2 ended more than 5 s ago */
	assert_int_equal(drops, 10);
	window_release(&window);
	assert_int_equal(drops, 10);

	window_init(&loaded, loaded_spans, spans, 2, 8, sizeof(unsigned));
	window_set_drop(&loaded, count_drop);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(window_load(&loaded, &reader, get_two_values), -EINVAL);
	assert_int_equal(drops, 10);
	window_release(&loaded);
	assert_int_equal(drops, 12);
	codec_writer_release(&writer);
}

/* The spans move to new storage (a reload that changes the rule count moves the operator's
 * state): kept up to the new room, then reshaped to the new count and recounted. */
static void test_spans_move_to_new_storage(void **state)
{
	struct window window;
	struct window_span one[1], three[3];
	const int64_t before[] = { 60000 }, after[] = { 10000, 60000, 30000 };
	(void)state;

	window_init(&window, one, before, 1, 64, 0);
	for (uint64_t i = 0; i < 4; i++) { /* ended 40, 30, 20, 10 s before T0 + 60 s */
		struct window_entry call =
			entry(T0 + 20000 + (int64_t)i * 10000, i + 1, i % 2 ? WINDOW_PREMATURE : 0);
		window_insert(&window, &call, NULL);
	}
	window_advance(&window, T0 + 60000);
	memset(three, 0xff, sizeof(three));
	window_move_spans(&window, three, 3);
	assert_ptr_equal(window.spans, three);
	assert_int_equal(window.span_count, 1);
	assert_int_equal(three[0].length_ms, 60000);
	assert_int_equal(three[0].counts.calls, 4);
	memset(one, 0xff, sizeof(one)); /* the old storage is gone */
	assert_int_equal(window_reshape(&window, after, 3, 64), 0);
	assert_int_equal(window.span_count, 3);
	assert_int_equal(three[0].counts.calls, 0); /* 10 s: the newest left at T0 + 60 s */
	assert_int_equal(three[1].counts.calls, 4);
	assert_int_equal(three[1].counts.premature, 2);
	assert_int_equal(three[2].counts.calls, 2); /* 30 s: ended 20 and 10 s before */
	assert_int_equal(three[2].counts.premature, 1);
	/* Back to one span: only the first is kept before the reshape. */
	window_move_spans(&window, one, 1);
	assert_int_equal(window.span_count, 1);
	assert_int_equal(one[0].length_ms, 10000);
	assert_int_equal(window_reshape(&window, before, 1, 64), 0);
	assert_int_equal(one[0].counts.calls, 4);
	assert_int_equal(one[0].counts.premature, 2);
	window_release(&window);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_late_entry_inside_and_outside_short_span),
		cmocka_unit_test(test_mark_updates_counts),
		cmocka_unit_test(test_eviction_at_max_entries),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_matches_brute_force_model),
		cmocka_unit_test(test_ring_grows_by_half_and_shrinks),
		cmocka_unit_test(test_ring_without_payloads_grows_in_place),
		cmocka_unit_test(test_load_keeps_packed_serial_and_refuses_a_wider_one),
		cmocka_unit_test(test_spans_move_to_new_storage),
		cmocka_unit_test(test_drop_each_payload_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
