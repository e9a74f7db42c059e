/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * lib/invariant.h, built twice: with NDEBUG (a release build: counted, the caller recovers)
 * and without (a debug or test build: abort on the spot).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "invariant.h"

/* What a caller does: refuse, with an error, the input that broke an invariant. */
static int take_index(uint32_t index, uint32_t max)
{
	if (INVARIANT_FAILS(index < max))
		return -1;
	return 0;
}

#ifdef NDEBUG
static void test_release_counts_and_recovers(void **state)
{
	char expected[128];
	(void)state;

	assert_int_equal(invariant_failures(), 0);
	assert_string_equal(invariant_last(), "");
	assert_int_equal(take_index(3, 4), 0);
	assert_int_equal(invariant_failures(), 0);
	int line = __LINE__ + 1;
	assert_false(!INVARIANT_FAILS(2 + 2 == 5));
	assert_int_equal(invariant_failures(), 1);
	snprintf(expected, sizeof(expected), "%s:%d: 2 + 2 == 5", __FILE__, line);
	assert_string_equal(invariant_last(), expected);
	assert_int_equal(take_index(4, 4), -1);
	assert_int_equal(invariant_failures(), 2);
	assert_non_null(strstr(invariant_last(), ": index < max"));
}
#else
static void test_debug_aborts(void **state)
{
	int status;
	(void)state;

	assert_int_equal(take_index(0, 1), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		take_index(1, 1);
		_exit(0); /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_int_equal(invariant_failures(), 0);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef NDEBUG
		cmocka_unit_test(test_release_counts_and_recovers),
#else
		cmocka_unit_test(test_debug_aborts),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
