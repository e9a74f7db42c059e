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
#include "sequential.h"

static void assert_close(double actual, double expected, double relative)
{
	if (fabs(actual - expected) > relative * fabs(expected))
		fail_msg("%.17g is not within %g of %.17g", actual, relative, expected);
}

/* A call, then another one half-life later: the first weighs a half; each is counted from
 * the next millisecond on. */
static void test_rate_decays_by_half_lives(void **state)
{
	struct sequential_rate rate = { 0, 0, INT64_MIN, 0, 0 };

	(void)state;
	sequential_rate_add(&rate, 0, 1200, true);
	assert_true(rate.calls == 0.0 && rate.pending_calls == 1.0 &&
		    rate.pending_premature == 1.0);
	assert_int_equal(rate.at_ms, 0);
	sequential_rate_add(&rate, 1200000, 1200, false);
	assert_true(rate.calls == 0.5);
	assert_true(rate.premature == 0.5);
	assert_true(rate.pending_calls == 1.0 && rate.pending_premature == 0.0);
	assert_int_equal(rate.at_ms, 1200000);
	/* A late call is added undecayed at the rate's time; time does not run back. */
	sequential_rate_add(&rate, 600000, 1200, true);
	assert_true(rate.pending_calls == 2.0 && rate.pending_premature == 1.0);
	assert_int_equal(rate.at_ms, 1200000);
	sequential_rate_advance(&rate, 2400000, 1200);
	assert_true(rate.calls == 1.25 && rate.premature == 0.75 && rate.pending_calls == 0.0);
}

/* The rest of the baseline: the operator's own calls taken out, the prior added. */
static void test_rest_ratio_excludes_the_operator(void **state)
{
	struct sequential_rate whole = { 1.5, 0.5, 1200000, 9, 9 },
			       own = { 0.5, 0.5, 1200000, 0, 0 };
	struct sequential_rate none = { 0, 0, 0, 0, 0 };

	(void)state;
	/* (0 + 20 * 0.1) / (1 + 20): what ended in this millisecond (pending) is not counted */
	assert_close(sequential_rest_ratio(&whole, &own, 20, 0.1), 2.0 / 21.0, 1e-15);
	/* No calls: the prior alone. */
	assert_close(sequential_rest_ratio(&none, &none, 20, 0.1), 0.1, 1e-15);
	/* Rounding never makes the rest negative. */
	struct sequential_rate more = { 1.6, 0.6, 1200000, 0, 0 };
	assert_close(sequential_rest_ratio(&whole, &more, 20, 0.1), 0.1, 1e-15);
}

/* storm_volume_factor's treatment: a share of the operator's own calls kept in the rest. */
static void test_rest_ratio_keeping_own_calls(void **state)
{
	struct sequential_rate whole = { 3, 2, 0, 0, 0 }, own = { 2, 2, 0, 0, 0 };

	(void)state;
	/* kept 0 is the rest without them, bit for bit: (0 + 2) / (1 + 20) */
	assert_true(sequential_rest_ratio_keeping(&whole, &own, 0.0, 20, 0.1) ==
		    sequential_rest_ratio(&whole, &own, 20, 0.1));
	assert_close(sequential_rest_ratio_keeping(&whole, &own, 0.0, 20, 0.1), 2.0 / 21.0,
		     1e-15);
	/* a half kept: (2 - 1 + 2) / (3 - 1 + 20); all: (2 + 2) / (3 + 20) */
	assert_close(sequential_rest_ratio_keeping(&whole, &own, 0.5, 20, 0.1), 3.0 / 22.0,
		     1e-15);
	assert_close(sequential_rest_ratio_keeping(&whole, &own, 1.0, 20, 0.1), 4.0 / 23.0,
		     1e-15);
}

/* The storm gate's rate: 10 decayed calls at a 300 s half-life against 60 at 7200 s, both
 * over 7200 s observed: 10 / (300 / ln 2 (1 - 2^-24)) per second against 60 / (7200 / ln 2 *
 * 1/2), twice as many (the fast exposure is all but full). Not known before a usual half-life
 * is observed, or without usual calls. */
static void test_volume_surge(void **state)
{
	struct sequential_rate fast = { 10, 3, 0, 0, 0 }, usual = { 60, 5, 0, 0, 0 };
	struct sequential_rate none = { 0, 0, 0, 0, 0 };

	(void)state;
	assert_close(sequential_volume_surge(&fast, 300, &usual, 7200, 7200),
		     2.0 / (1.0 - exp2(-24.0)), 1e-14);
	assert_true(sequential_volume_surge(&fast, 300, &usual, 7200, 7199.999) == -1.0);
	assert_true(sequential_volume_surge(&fast, 300, &none, 7200, 7200) == -1.0);
	/* the calls ending in the same millisecond (pending) count, as in the calls per hour */
	struct sequential_rate pending = { 9, 3, 0, 1, 0 };
	assert_true(sequential_volume_surge(&pending, 300, &usual, 7200, 7200) ==
		    sequential_volume_surge(&fast, 300, &usual, 7200, 7200));
}

/* With a floor, the surge is exact wherever it reaches the floor and -1 only where it is below
 * (over a grid of volumes and clocks, the floor at 2 and just around a surge); the bound skips
 * the usual rate for most calls of an ordinary day (surge about 1). */
static void test_surge_over_floor(void **state)
{
	int skipped = 0, exact = 0;
	(void)state;

	for (int f = 0; f <= 40; f++) {
		for (int u = 1; u <= 40; u++) {
			for (double observed = 300; observed <= 86400; observed *= 1.7) {
				struct sequential_rate fast = { f * 0.37, 0, 0, f % 3, 0 };
				struct sequential_rate usual = { u * 9.1, 0, 0, u % 2, 0 };
				double surge =
					sequential_volume_surge(&fast, 300, &usual, 7200, observed);
				double floors[] = { 2.0, surge, surge * (1 + 1e-12) };
				for (int i = 0; i < 3; i++) {
					double over = sequential_volume_surge_over(
						&fast, 300, &usual, 7200, observed, floors[i]);
					if (surge >= floors[i] && floors[i] > 0.0) {
						assert_true(over == surge);
						exact++;
					} else if (over == -1.0 && surge >= 0.0) {
						skipped++;
					} else {
						assert_true(over == surge);
					}
				}
				assert_true(sequential_volume_surge_over(&fast, 300, &usual, 7200,
									 observed, 0.0) == surge);
			}
		}
	}
	assert_int_equal(exact, 9717);
	assert_int_equal(skipped, 6045);
}

/* The treatment's weight: 0 below the factor, linear to 1 at factor + ramp, off at factor 0. */
static void test_surge_weight(void **state)
{
	(void)state;
	assert_true(sequential_surge_weight(1.99, 2.0, 0.5) == 0.0);
	assert_true(sequential_surge_weight(2.0, 2.0, 0.5) == 0.0);
	assert_true(sequential_surge_weight(2.25, 2.0, 0.5) == 0.5);
	assert_true(sequential_surge_weight(2.5, 2.0, 0.5) == 1.0);
	assert_true(sequential_surge_weight(7.0, 2.0, 0.5) == 1.0);
	assert_true(sequential_surge_weight(2.0, 2.0, 0.0) == 1.0); /* a step */
	assert_true(sequential_surge_weight(9.0, 0.0, 0.5) == 0.0); /* off */
	assert_true(sequential_surge_weight(-1.0, 0.5, 0.5) == 0.0); /* not known */
}

static void test_own_factor_shrunk_and_bounded(void **state)
{
	(void)state;
	assert_close(sequential_own_factor(15, 5, 20, 2.5), 35.0 / 25.0, 1e-15);
	assert_true(sequential_own_factor(2, 5, 20, 2.5) == 1.0);   /* never below the center */
	assert_true(sequential_own_factor(100, 5, 20, 2.5) == 2.5); /* never above the ceiling */
	assert_true(sequential_own_factor(0, 0, 0, 2.5) == 1.0);    /* nothing known */
}

/* H1: p1 = p0 + cut_share (1 - p0): at p0 0.1 and 0.25, p1 = 0.325. */
static void test_llr_step(void **state)
{
	(void)state;
	assert_close(sequential_llr(0.1, 0.25, true), log(3.25), 1e-15);
	assert_close(sequential_llr(0.1, 0.25, false), log(0.75), 1e-15);
	/* p0 is kept at 0.001 at least: finite. */
	assert_close(sequential_llr(0.0, 0.25, true), log((0.001 + 0.25 * 0.999) / 0.001), 1e-15);
	/* and H1 below certainty */
	assert_close(sequential_llr(0.5, 1.0, false), log(0.01 / 0.5), 1e-12);
}

/* From SEQUENTIAL_SURE_CUT_SHARE on, a call that is not premature has a ratio below 0 at every
 * p0 (the detector then leaves a CUSUM at 0 without computing it). */
static void test_llr_not_premature_below_zero(void **state)
{
	static const double cut_shares[] = {SEQUENTIAL_SURE_CUT_SHARE, 1e-5, 0.01, 0.25, 1.0};
	(void)state;

	for (size_t c = 0; c < sizeof(cut_shares) / sizeof(cut_shares[0]); c++)
		for (double p0 = 0.0; p0 <= 1.0; p0 += 1.0 / 4096)
			if (!(sequential_llr(p0, cut_shares[c], false) < 0.0))
				fail_msg("cut_share %g, p0 %.17g: %.17g", cut_shares[c], p0,
					 sequential_llr(p0, cut_shares[c], false));
}

/* The factors kept by a sequential_decay_memo are those sequential_rate_advance computes: the
 * same rates bit for bit, gaps below and above the memo's, the half-life changed midway. */
static void test_rate_advance_memo_same_bits(void **state)
{
	static struct sequential_decay_memo memo;
	struct sequential_rate plain = {.at_ms = INT64_MIN}, kept = {.at_ms = INT64_MIN};
	uint64_t random = 5;
	int64_t now_ms = 1700000000000;
	(void)state;

	for (int i = 0; i < 200000; i++) {
		random = random * 6364136223846793005u + 1442695040888963407u;
		int64_t gap_ms = (int64_t)(random >> 33) % (i % 7 == 0 ? 100000 : 2500);
		double half_life = i < 100000 ? 1200.0 : 300.0;
		now_ms += gap_ms;
		sequential_rate_advance(&plain, now_ms, half_life);
		sequential_rate_advance_memo(&kept, now_ms, half_life, &memo);
		assert_memory_equal(&plain, &kept, sizeof(plain));
		bool premature = (random >> 20) % 10 == 0;
		sequential_rate_count(&plain, premature);
		sequential_rate_count(&kept, premature);
	}
	assert_true(memo.half_life_seconds == 300.0);
}

/* h = ln(false_alarm_calls); the Brook-Evans chain shows the true figure is far above it. */
static void test_threshold_derivation(void **state)
{
	(void)state;
	assert_close(sequential_threshold(3000), log(3000.0), 1e-15);
	assert_close(sequential_threshold(3000), 8.0063675676502459, 1e-15);
	assert_true(sequential_threshold(1) < 0);
	/* At a constant 10% baseline the sequential rule is the Bernoulli CUSUM whose p1 has
	 * odds 0.325/0.675 against 0.1/0.9: odds ratio 4.333... */
	double odds_ratio = (0.325 / 0.675) / (0.1 / 0.9);
	double calls = cusum_expected_calls_to_alarm(0.1, 0.1, odds_ratio, log(3000.0), 1000);
	assert_true(calls > 3000.0);
	assert_close(calls, 38048.427197, 1e-9);
}

/* Calls per hour: the decayed count over the decayed exposure since the first call, known only
 * after a half-life of it. */
static void test_calls_per_hour(void **state)
{
	struct sequential_rate rate = { 0, 0, INT64_MIN, 0, 0 };

	(void)state;
	/* A call every 6 minutes for 2 hours (21 calls, the last at 7200 s, pending). */
	for (int64_t t_ms = 0; t_ms <= 7200000; t_ms += 360000)
		sequential_rate_add(&rate, t_ms, 3600, false);
	assert_true(sequential_calls_per_hour(&rate, 3599.0, 3600) == -1.0);
	double per_hour = sequential_calls_per_hour(&rate, 7200.0, 3600);
	/* sum over k = 0..20 of 2^(-k/10), over 3600 / ln 2 * (1 - 1/4) s, times 3600 */
	double count = 0.0;
	for (int k = 0; k <= 20; k++)
		count += exp2(-k / 10.0);
	assert_close(per_hour, count / (3600.0 / log(2.0) * 0.75) * 3600.0, 1e-12);
	assert_close(per_hour, 10.581626, 1e-7);
	assert_true(sequential_calls_per_hour(&rate, 7200.0, 0) == -1.0);
}

/* The worked clock: after the same two hours (10.58 calls an hour), 16 hours off. Counted in
 * full, they decay the calls by 2^-16 and the rate falls to 0.00012 an hour; with a gap of at
 * most an hour counted, 15 h are skipped (the rate's time and the first call move on by them)
 * and the rate is that of the two hours and one more without calls: 4.53 an hour. */
static void test_calls_per_hour_skips_gap(void **state)
{
	struct sequential_rate rate = { 0, 0, INT64_MIN, 0, 0 }, worked;
	const int64_t away_ms = 7200000 + 16 * 3600000LL;
	int64_t first_ms = 0;

	(void)state;
	for (int64_t t_ms = 0; t_ms <= 7200000; t_ms += 360000)
		sequential_rate_add(&rate, t_ms, 3600, false);
	worked = rate;
	sequential_rate_skip_gap(&rate, &first_ms, away_ms, 0); /* 0: all of it counts */
	assert_true(rate.at_ms == 7200000 && first_ms == 0);
	sequential_rate_advance(&rate, away_ms, 3600);
	assert_close(sequential_calls_per_hour(&rate, (double)away_ms / 1000.0, 3600),
		     0.00012109756, 1e-7);
	sequential_rate_skip_gap(&worked, &first_ms, 7200000 + 3600000, 3600000); /* not longer */
	assert_true(worked.at_ms == 7200000 && first_ms == 0);
	sequential_rate_skip_gap(&worked, &first_ms, away_ms, 3600000);
	assert_true(worked.at_ms == away_ms - 3600000 && first_ms == 15 * 3600000LL);
	sequential_rate_advance(&worked, away_ms, 3600);
	double per_hour =
		sequential_calls_per_hour(&worked, (double)(away_ms - first_ms) / 1000.0, 3600);
	double count = 0.0;
	for (int k = 0; k <= 20; k++)
		count += exp2(-k / 10.0 - 1.0);
	assert_close(per_hour, count / (3600.0 / log(2.0) * 0.875) * 3600.0, 1e-12);
	assert_close(per_hour, 4.5349826, 1e-7);
}

/* The hourly threshold: ln(false_alarm_hours * calls per hour), the rate taken as at least 1
 * and at most max_calls_per_hour, never above the per-call threshold unless it raises; the
 * per-call one when off or the rate is not known. */
static void test_hourly_threshold(void **state)
{
	double h_calls = log(10000.0);

	(void)state;
	for (int raises = 0; raises < 2; raises++) {
		assert_close(sequential_hourly_threshold(h_calls, 1000, 3.0, 60, raises),
			     log(3000.0), 1e-15);
		assert_close(sequential_hourly_threshold(h_calls, 1000, 0.25, 60, raises),
			     log(1000.0), 1e-15);
		assert_true(sequential_hourly_threshold(h_calls, 1000, -1.0, 60, raises) ==
			    h_calls);
		assert_true(sequential_hourly_threshold(h_calls, 0, 3.0, 60, raises) == h_calls);
		/* a cap below the rate lowers it too (3 calls an hour taken as 2) */
		assert_close(sequential_hourly_threshold(h_calls, 1000, 3.0, 2, raises),
			     log(2000.0), 1e-15);
	}
	assert_true(sequential_hourly_threshold(h_calls, 1000, 12.0, 60, false) == h_calls);
	/* a busy hour: 25 calls (a storm) gets ln 25000 = 10.126631103850338 */
	assert_close(sequential_hourly_threshold(h_calls, 1000, 25.0, 60, true), 10.126631103850338,
		     1e-15);
	assert_close(sequential_hourly_threshold(h_calls, 1000, 12.0, 60, true), log(12000.0),
		     1e-15);
	/* the cap: 60 calls an hour exactly, and an invented 5000 an hour, both ln 60000 =
	 * 11.002099841204238, not ln 5000000 = 15.42 */
	assert_close(sequential_hourly_threshold(h_calls, 1000, 60.0, 60, true), 11.002099841204238,
		     1e-15);
	assert_close(sequential_hourly_threshold(h_calls, 1000, 5000.0, 60, true),
		     11.002099841204238, 1e-15);
	assert_close(sequential_hourly_threshold(h_calls, 1000, 5000.0, 1000000, true),
		     log(5000000.0), 1e-15);
	/* 0: no cap */
	assert_close(sequential_hourly_threshold(h_calls, 1000, 5000.0, 0, true), log(5000000.0),
		     1e-15);
	/* lowering only: the cap never lifts it above the per-call threshold */
	assert_true(sequential_hourly_threshold(h_calls, 1000, 5000.0, 60, false) == h_calls);
}

/* The own factor from a history: the larger of all calls' (history_prior) and, once the
 * settled expectation reaches settled_min_expected, the settled calls' (settled_prior). */
static void test_history_factor(void **state)
{
	struct sequential_history history = { .observed = 30,
					      .expected = 12,
					      .settling_observed = 6,
					      .settling_expected = 1,
					      .at_ms = 0 };

	(void)state;
	/* all: (36 + 20) / (13 + 20) = 1.696969..., settled: (30 + 2) / (12 + 2) = 2.285714... */
	assert_close(sequential_history_factor(&history, 20, 2, 10, 2.5), 32.0 / 14.0, 1e-15);
	assert_close(sequential_history_factor(&history, 20, 2, 12, 2.5), 32.0 / 14.0, 1e-15);
	/* not known yet (12 < 12.5), or not used (0): the all-calls factor */
	assert_close(sequential_history_factor(&history, 20, 2, 12.5, 2.5), 56.0 / 33.0, 1e-15);
	assert_close(sequential_history_factor(&history, 20, 0, 10, 2.5), 56.0 / 33.0, 1e-15);
	/* both within [1, max_own_factor] */
	assert_true(sequential_history_factor(&history, 20, 2, 10, 2.0) == 2.0);
	assert_true(sequential_history_factor(&history, 20, 2, 10, 1.5) == 1.5);
	/* the larger of the two: a settled history below the whole's own */
	history.observed = 2;
	assert_true(sequential_history_factor(&history, 20, 2, 10, 2.5) == 1.0);
	history.settling_observed = 20;
	assert_close(sequential_history_factor(&history, 20, 2, 10, 2.5), 42.0 / 33.0, 1e-15);
}

/* The own history: a call settles with settle_seconds as half-life, everything decays with the
 * history's half-life; the own factor sees the settled sums only. */
static void test_history_settles(void **state)
{
	struct sequential_history history = { .observed = 7,
					      .expected = 7,
					      .settling_observed = 7,
					      .settling_expected = 7,
					      .at_ms = INT64_MIN };
	double week = 604800.0, factor = exp2(-28800.0 / week);

	(void)state;
	sequential_history_advance(&history, 0, week, 28800);
	assert_true(history.observed == 0.0 && history.expected == 0.0 &&
		    history.settling_observed == 0.0 && history.settling_expected == 0.0);
	assert_int_equal(history.at_ms, 0);
	sequential_history_add(&history, true, 0.1, 28800);
	assert_true(history.observed == 0.0 && history.settling_observed == 1.0 &&
		    history.settling_expected == 0.1);
	/* one settling half-life: half of it settled, all of it decayed by 2^(-8 h / 1 week) */
	sequential_history_advance(&history, 28800000, week, 28800);
	assert_close(history.observed, 0.5 * factor, 1e-15);
	assert_close(history.expected, 0.05 * factor, 1e-15);
	assert_close(history.settling_observed, 0.5 * factor, 1e-15);
	assert_close(history.observed, 0.4837658892619458, 1e-15);
	/* time does not run back */
	sequential_history_advance(&history, 1000, week, 28800);
	assert_int_equal(history.at_ms, 28800000);
	sequential_history_advance(&history, 57600000, week, 28800);
	assert_close(history.observed, 0.75 * factor * factor, 1e-15);
	assert_close(history.settling_observed, 0.25 * factor * factor, 1e-15);
	assert_close(sequential_own_factor(history.observed, history.expected, 5, 2.5),
		     (0.75 * factor * factor + 5) / (0.075 * factor * factor + 5), 1e-15);
	/* settle_seconds 0: settled at once */
	sequential_history_add(&history, false, 0.2, 0);
	assert_close(history.expected, 0.075 * factor * factor + 0.2, 1e-15);
	assert_close(history.settling_expected, 0.025 * factor * factor, 1e-15);
	sequential_history_advance(&history, 57600001, week, 0);
	assert_true(history.settling_observed == 0.0 && history.settling_expected == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_decays_by_half_lives),
		cmocka_unit_test(test_rest_ratio_excludes_the_operator),
		cmocka_unit_test(test_rest_ratio_keeping_own_calls),
		cmocka_unit_test(test_volume_surge),
		cmocka_unit_test(test_surge_over_floor),
		cmocka_unit_test(test_surge_weight),
		cmocka_unit_test(test_own_factor_shrunk_and_bounded),
		cmocka_unit_test(test_llr_step),
		cmocka_unit_test(test_llr_not_premature_below_zero),
		cmocka_unit_test(test_rate_advance_memo_same_bits),
		cmocka_unit_test(test_threshold_derivation),
		cmocka_unit_test(test_calls_per_hour),
		cmocka_unit_test(test_calls_per_hour_skips_gap),
		cmocka_unit_test(test_hourly_threshold),
		cmocka_unit_test(test_history_settles),
		cmocka_unit_test(test_history_factor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
