/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* The ring between recovery's reader thread and the engine's (daemon/journal/handoff.h): every
 * slot arrives once and in order, round and round the ring with either side the slower; the
 * consumer gets NULL once the ring is closed and drained; a cancel stops the producer. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "handoff.h"

struct producer {
	struct handoff *handoff;
	uint64_t count;   /* slots to publish */
	bool slow;        /* pause now and then: the consumer waits for the ring */
	uint64_t published;
};

static void pause_briefly(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (uint64_t i = 0; i < p->count; i++) {
		uint64_t *slot = handoff_claim(p->handoff);

		if (!slot)
			break;
		slot[0] = i;
		slot[1] = ~i;
		handoff_publish(p->handoff);
		p->published++;
		if (p->slow && i % 97 == 0)
			pause_briefly();
	}
	handoff_close(p->handoff);
	return NULL;
}

static void run(uint64_t count, bool slow_producer, bool slow_consumer)
{
	struct handoff *handoff = handoff_new(16, 2 * sizeof(uint64_t));
	struct producer p = { .handoff = handoff, .count = count, .slow = slow_producer };
	const uint64_t *slot;
	uint64_t next = 0;
	pthread_t thread;

	assert_non_null(handoff);
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	while ((slot = handoff_next(handoff))) {
		const uint64_t *ahead = handoff_ahead(handoff, 1);

		assert_int_equal(slot[0], next);
		assert_int_equal(slot[1], ~next);
		if (ahead)
			assert_int_equal(ahead[0], next + 1);
		next++;
		handoff_done(handoff);
		if (slow_consumer && next % 89 == 0)
			pause_briefly();
	}
	assert_int_equal(next, count);
	assert_null(handoff_next(handoff)); /* closed stays closed */
	pthread_join(thread, NULL);
	assert_int_equal(p.published, count);
	handoff_free(handoff);
}

static void test_every_slot_once_in_order(void **state)
{
	(void)state;
	run(100000, false, false);
	run(3000, true, false);  /* the consumer waits for the producer */
	run(3000, false, true);  /* the producer waits for room */
	run(0, false, false);    /* closed before anything: NULL at once */
}

/* The consumer stops after a few slots: the producer, waiting for room, is let go. */
static void test_cancel_releases_the_producer(void **state)
{
	struct handoff *handoff = handoff_new(8, sizeof(uint64_t) * 2);
	struct producer p = { .handoff = handoff, .count = 1000000 };
	pthread_t thread;

	(void)state;
	assert_non_null(handoff);
	assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
	for (int i = 0; i < 5; i++) {
		assert_non_null(handoff_next(handoff));
		handoff_done(handoff);
	}
	handoff_cancel(handoff);
	pthread_join(thread, NULL);
	assert_true(p.published < p.count);
	handoff_free(handoff);
}

static void test_bad_sizes_are_refused(void **state)
{
	(void)state;
	assert_null(handoff_new(12, 8)); /* not a power of two */
	assert_null(handoff_new(1, 8));
	assert_null(handoff_new(16, 0));
	assert_null(handoff_new(SIZE_MAX / 2 + 1, 8));
	/* fits as asked, not once rounded up to 64 bytes: 2 * 2^(n-1) wrapped to 0 bytes */
	assert_null(handoff_new(2, SIZE_MAX / 2 - 10));
	assert_null(handoff_new(2, SIZE_MAX));
	assert_null(handoff_new(4, SIZE_MAX / 4 - 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_slot_once_in_order),
		cmocka_unit_test(test_cancel_releases_the_producer),
		cmocka_unit_test(test_bad_sizes_are_refused),
	};

	return cmocka_run_group_tests_name("handoff", tests, NULL, NULL);
}
