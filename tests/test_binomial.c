/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "binomial.h"

/* |actual - expected| within a relative tolerance. */
static void assert_close(double actual, double expected, double relative)
{
	if (fabs(actual - expected) > relative * fabs(expected))
		fail_msg("%.17g is not within %g of %.17g", actual, relative, expected);
}

/* Reference values computed exactly with rational arithmetic. */
static void test_known_values(void **state)
{
	(void)state;
	assert_close(binomial_upper_tail(3, 10, 0.1), 0.0701908264, 1e-12);
	assert_close(binomial_upper_tail(6, 20, 0.15), 0.06730797418577401, 1e-12);
	assert_close(binomial_upper_tail(50, 100, 0.5), 0.5397946186935894, 1e-12);
	assert_close(binomial_upper_tail(12, 30, 0.1), 1.5284491786197396e-05, 1e-11);
	assert_close(binomial_upper_tail(40, 200, 0.05), 6.388069393022484e-14, 1e-10);
	assert_close(binomial_upper_tail(300, 1000, 0.2), 3.811044687488596e-14, 1e-9);
	assert_close(binomial_upper_tail(1, 1, 0.3), 0.3, 1e-15);
}

static void test_edges(void **state)
{
	(void)state;
	assert_true(binomial_upper_tail(0, 10, 0.2) == 1.0);
	assert_true(binomial_upper_tail(0, 0, 0.2) == 1.0);
	assert_true(binomial_upper_tail(11, 10, 0.2) == 0.0);
	assert_true(binomial_upper_tail(3, 10, 0.0) == 0.0);
	assert_true(binomial_upper_tail(3, 10, 1.0) == 1.0);
	assert_close(binomial_upper_tail(10, 10, 0.5), 1.0 / 1024.0, 1e-13);
}

static void test_monotone_in_k(void **state)
{
	double previous = 1.0;
	(void)state;

	for (uint32_t k = 0; k <= 60; k++) {
		double tail = binomial_upper_tail(k, 60, 0.12);
		assert_true(tail <= previous);
		previous = tail;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_monotone_in_k),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
