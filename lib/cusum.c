/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "cusum.h"

#include <math.h>
#include <stdlib.h>

double cusum_p1(double p0, double odds_ratio)
{
	double odds = odds_ratio * p0 / (1.0 - p0);

	return odds / (1.0 + odds);
}

struct cusum_weights cusum_weights(double p0, double odds_ratio)
{
	double p1 = cusum_p1(p0, odds_ratio);

	return (struct cusum_weights){.premature = log(p1 / p0), .other = log1p(-p1) - log1p(-p0)};
}

double cusum_step(double s, bool premature, const struct cusum_weights *weights)
{
	double next = s + (premature ? weights->premature : weights->other);

	return next > 0.0 ? next : 0.0;
}

/*
 * Brook-Evans: states 0..n-1 are the statistic rounded to multiples of h/n; the expected calls
 * to alarm L satisfy L(s) = 1 + p L(s + up) [if s + up < n] + (1-p) L(max(0, s - down)).
 * (I - Q) is banded with at most `up` entries above and `down` below the diagonal; it is an
 * irreducibly diagonally dominant M-matrix, so banded Gaussian elimination needs no pivoting.
 */
double cusum_expected_calls_to_alarm(double p, double p0, double odds_ratio, double h,
				     unsigned steps)
{
	if (!(p > 0.0 && p < 1.0 && p0 > 0.0 && p0 < 1.0 && odds_ratio > 1.0 && h > 0.0) ||
	    steps < 50)
		return -1.0;
	struct cusum_weights w = cusum_weights(p0, odds_ratio);
	/* The grid makes the down step exact and the up step as close as rounding allows, so the
	 * ratio of the two increments (what decides the run length) is kept. */
	long down = lround(-w.other * steps / h);
	if (down < 1)
		down = 1;
	double delta = -w.other / (double)down;
	long up = lround(w.premature / delta), n = (long)ceil(h / delta - 1e-9);
	if (up < 1)
		up = 1;
	long lower = down, upper = up, width = lower + upper + 1;
	/* row r, column r + j - lower */
	double *band = calloc((size_t)(n * width), sizeof(double));
	double *rhs = malloc((size_t)n * sizeof(double));
	if (!band || !rhs) {
		free(band);
		free(rhs);
		return -1.0;
	}
#define AT(r, c) band[(r) * width + (c) - (r) + lower]
	for (long r = 0; r < n; r++) {
		rhs[r] = 1.0;
		AT(r, r) += 1.0;
		if (r + up < n)
			AT(r, r + up) -= p;
		long to = r - down > 0 ? r - down : 0;
		AT(r, to) -= 1.0 - p;
	}
	/* Row 0's down move lands on column 0 only; other rows' on a column >= r - lower. */
	for (long k = 0; k < n; k++) {
		for (long r = k + 1; r <= k + lower && r < n; r++) {
			double factor = AT(r, k) / AT(k, k);
			if (factor == 0.0)
				continue;
			for (long c = k; c <= k + upper && c < n; c++)
				AT(r, c) -= factor * AT(k, c);
			rhs[r] -= factor * rhs[k];
		}
	}
	for (long r = n - 1; r >= 0; r--) {
		double sum = rhs[r];
		for (long c = r + 1; c <= r + upper && c < n; c++)
			sum -= AT(r, c) * rhs[c];
		rhs[r] = sum / AT(r, r);
	}
#undef AT
	double result = rhs[0];
	free(band);
	free(rhs);
	return result;
}
