/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "cusum.h"

static void assert_close(double actual, double expected, double relative)
{
	if (fabs(actual - expected) > relative * fabs(expected))
		fail_msg("%.17g is not within %g of %.17g", actual, relative, expected);
}

static void test_p1_and_increments(void **state)
{
	(void)state;
	/* p0 = 0.1 (odds 1/9), odds ratio 3: odds 1/3, p1 = 0.25. */
	assert_close(cusum_p1(0.1, 3.0), 0.25, 1e-15);
	struct cusum_weights w = cusum_weights(0.1, 3.0);
	assert_close(w.premature, log(2.5), 1e-15);
	assert_close(w.other, log(0.75 / 0.9), 1e-15);
}

static void test_step_floors_at_zero(void **state)
{
	struct cusum_weights w = cusum_weights(0.1, 3.0);
	double s = 0.0;
	(void)state;

	s = cusum_step(s, false, &w);
	assert_true(s == 0.0);
	s = cusum_step(s, true, &w);
	assert_close(s, log(2.5), 1e-15);
	s = cusum_step(s, true, &w);
	assert_close(s, 2 * log(2.5), 1e-15);
	s = cusum_step(s, false, &w);
	assert_close(s, 2 * log(2.5) + log(0.75 / 0.9), 1e-15);
	for (int i = 0; i < 20; i++)
		s = cusum_step(s, false, &w);
	assert_true(s == 0.0);
}

/* splitmix64: a fixed, portable sequence. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Mean calls between alarms over `alarms` alarms, resetting after each, for true rate p. */
static double simulate_calls_between_alarms(double p, double p0, double odds_ratio, double h,
					    int alarms)
{
	struct cusum_weights w = cusum_weights(p0, odds_ratio);
	uint64_t random = 20261129;
	double s = 0.0;
	uint64_t calls = 0;

	for (int seen = 0; seen < alarms;) {
		bool premature = (double)(next_random(&random) >> 11) * 0x1.0p-53 < p;
		calls++;
		s = cusum_step(s, premature, &w);
		if (s >= h) {
			seen++;
			s = 0.0;
		}
	}
	return (double)calls / alarms;
}

/* The Markov-chain mapping from h to calls between false alarms agrees with simulation. */
static void test_arl_matches_simulation(void **state)
{
	static const struct {
		double p0, odds_ratio, h;
	} cases[] = {
		{0.10, 3.0, 3.0},
		{0.10, 3.0, 5.0},
		{0.15, 4.0, 4.0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double computed = cusum_expected_calls_to_alarm(
			cases[i].p0, cases[i].p0, cases[i].odds_ratio, cases[i].h, 1000);
		double simulated = simulate_calls_between_alarms(
			cases[i].p0, cases[i].p0, cases[i].odds_ratio, cases[i].h, 4000);
		print_message("p0 %.2f odds %.0f h %.0f: computed %.1f calls, simulated %.1f\n",
			      cases[i].p0, cases[i].odds_ratio, cases[i].h, computed, simulated);
		assert_close(simulated, computed, 0.05);
	}
	/* Out of control (the operator's rate is p1) alarms come far sooner. */
	double p1 = cusum_p1(0.10, 3.0);
	double computed = cusum_expected_calls_to_alarm(p1, 0.10, 3.0, 5.0, 1000);
	double simulated = simulate_calls_between_alarms(p1, 0.10, 3.0, 5.0, 4000);
	assert_close(simulated, computed, 0.05);
	print_message("out of control (p = p1 = %.2f): computed %.1f calls, simulated %.1f\n", p1,
		      computed, simulated);
	assert_true(computed < 60.0);
}

static void test_invalid_arguments(void **state)
{
	(void)state;
	assert_true(cusum_expected_calls_to_alarm(0.1, 0.1, 1.0, 5.0, 1000) < 0);
	assert_true(cusum_expected_calls_to_alarm(0.1, 0.0, 3.0, 5.0, 1000) < 0);
	assert_true(cusum_expected_calls_to_alarm(0.1, 0.1, 3.0, 0.0, 1000) < 0);
	assert_true(cusum_expected_calls_to_alarm(0.1, 0.1, 3.0, 5.0, 10) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p1_and_increments),
		cmocka_unit_test(test_step_floors_at_zero),
		cmocka_unit_test(test_arl_matches_simulation),
		cmocka_unit_test(test_invalid_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
