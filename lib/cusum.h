/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CUSUM_H
#define CADMON_CUSUM_H

#include <stdbool.h>

/*
 * The Bernoulli CUSUM over one operator's calls (x = 1 for a premature hangup). With p0 the
 * in-control rate and p1 the rate it should catch (p0's odds times odds_ratio), each call adds
 * ln(p1/p0) when premature and ln((1-p1)/(1-p0)) (negative) otherwise, floored at 0; an alarm
 * is raised when the sum reaches the threshold h, and the sum restarts at 0.
 */

struct cusum_weights {
	double premature; /* ln(p1 / p0) > 0 */
	double other;     /* ln((1 - p1) / (1 - p0)) < 0 */
};

/** p1 for p0 and odds_ratio: odds(p1) = odds_ratio * odds(p0). 0 < p0 < 1, odds_ratio > 1. */
double cusum_p1(double p0, double odds_ratio);

/** The increments for in-control rate p0 and the odds ratio to detect. */
struct cusum_weights cusum_weights(double p0, double odds_ratio);

/** One call: the new statistic, max(0, s + increment). */
double cusum_step(double s, bool premature, const struct cusum_weights *weights);

/**
 * Expected number of calls until an alarm, starting from 0, when each call is premature with
 * probability p (p = p0 gives the in-control average run length: calls between false alarms).
 * Computed with the Brook-Evans Markov chain on a grid of `steps` states (>= 50; 1000 is
 * within about 1% of simulation). Returns a negative value if the arguments are invalid.
 */
double cusum_expected_calls_to_alarm(double p, double p0, double odds_ratio, double h,
				     unsigned steps);

#endif
