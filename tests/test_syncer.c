/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* daemon/journal/syncer.c on its own, with a sync function the test holds and fails: a pair of
 * fdatasyncs run side by side (syncer_start_urgent) reports a failure of either as both's,
 * whichever of the two failed (rev14c: the store discards after a failed result, so only here is
 * a merge that read one side's result seen). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "syncer.h"

/* Sync number n (1-based) fails with fail[n] once released; sync `held` waits for release. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned started;
	unsigned returned;
	unsigned held;
	int fail[4];
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, { 0 } };

static int held_sync(int fd)
{
	unsigned n;
	int fail;

	(void)fd;
	pthread_mutex_lock(&gate.lock);
	n = ++gate.started;
	pthread_cond_broadcast(&gate.changed);
	while (n == gate.held)
		pthread_cond_wait(&gate.changed, &gate.lock);
	fail = n < 4 ? gate.fail[n] : 0;
	gate.returned++;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
	errno = fail;
	return fail ? -1 : 0;
}

static void wait_for(const unsigned *counter, unsigned count)
{
	pthread_mutex_lock(&gate.lock);
	while (*counter < count)
		pthread_cond_wait(&gate.changed, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void release_held(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.held = 0;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
}

static void not_called(void *ctx, const struct syncer_result *result)
{
	(void)ctx;
	(void)result;
	fail_msg("results are taken with syncer_wait here");
}

/* Sync 1 runs held; an urgent sync 2 runs beside it and returns; sync 1 is released with
 * fail_first, sync 2 returned fail_second: both results carry the failure, in start order. */
static void run_pair(int fail_first, int fail_second)
{
	struct event_base *base = event_base_new();
	struct syncer *syncer;
	struct syncer_result result;
	const struct journal_sync_point first = { .fd = 7, .index = 10 };
	const struct journal_sync_point second = { .fd = 7, .index = 11 };
	int expected = fail_first ? -fail_first : -fail_second;

	gate.started = gate.returned = 0;
	gate.held = 1;
	gate.fail[1] = fail_first;
	gate.fail[2] = fail_second;
	assert_non_null(base);
	syncer = syncer_new(base, held_sync, not_called, NULL);
	assert_non_null(syncer);
	syncer_start(syncer, &first);
	wait_for(&gate.started, 1);
	syncer_start_urgent(syncer, &second);
	wait_for(&gate.returned, 1); /* the urgent one, beside the held one */
	assert_int_equal(gate.started, 2);
	release_held();

	assert_true(syncer_wait(syncer, &result));
	assert_int_equal(result.point.index, 10);
	assert_int_equal(result.result, expected);
	assert_true(syncer_wait(syncer, &result));
	assert_int_equal(result.point.index, 11);
	assert_int_equal(result.result, expected);
	assert_false(syncer_wait(syncer, &result));

	/* a failed sync sticks: a point handed now does not run until the failure is cleared */
	const struct journal_sync_point third = { .fd = 7, .index = 12 };
	syncer_start(syncer, &third);
	assert_false(syncer_wait(syncer, &result));
	assert_int_equal(gate.started, 2);
	syncer_free(syncer);
	event_base_free(base);
}

static void test_running_sync_failing_fails_the_pair(void **state)
{
	(void)state;
	run_pair(EIO, 0);
}

static void test_urgent_sync_failing_fails_the_pair(void **state)
{
	(void)state;
	run_pair(0, EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running_sync_failing_fails_the_pair),
		cmocka_unit_test(test_urgent_sync_failing_fails_the_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
