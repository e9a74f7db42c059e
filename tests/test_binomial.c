/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* The cache of ln(i!) gives the very bits of binomial_upper_tail: n within it (grown on
 * demand, out of order), at its bound and beyond it (lgamma then). */
static void test_cache_is_bit_identical(void **state)
{
	struct binomial_cache cache;
	const double ps[] = { 0.001, 0.05, 0.1, 0.1234567, 1.0 / 3.0, 0.5, 0.9 };
	const uint32_t ns[] = { 300, 1, 7, 64, 65, 129, 200, 201, 250, 2 };
	(void)state;

	binomial_cache_init(&cache, 201);
	for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (uint32_t k = 0; k <= ns[a] + 1; k += 1 + ns[a] / 16)
			for (size_t b = 0; b < sizeof(ps) / sizeof(ps[0]); b++) {
				double plain = binomial_upper_tail(k, ns[a], ps[b]);
				double cached = binomial_upper_tail_cached(&cache, k, ns[a], ps[b]);
				if (memcmp(&plain, &cached, sizeof(plain)) != 0)
					fail_msg("k %u n %u p %g: %.17g cached, %.17g not", k,
						 ns[a], ps[b], cached, plain);
			}
	assert_int_equal(cache.count, 201); /* ln(0!)..ln(200!), none past the bound */
	assert_true(cache.capacity <= 201);
	binomial_cache_release(&cache);
	assert_null(cache.log_factorial);
	assert_int_equal(cache.count, 0);
	assert_int_equal(cache.max_count, 201);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_monotone_in_k),
		cmocka_unit_test(test_cache_is_bit_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
