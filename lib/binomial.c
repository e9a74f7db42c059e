/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "binomial.h"

#include <math.h>

/* ln P(X = k): ln C(n, k) + k ln p + (n - k) ln(1 - p), for 0 < p < 1. */
static double log_pmf(uint32_t k, uint32_t n, double p)
{
	return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(p) +
	       (n - k) * log1p(-p);
}

double binomial_upper_tail(uint32_t k, uint32_t n, double p)
{
	if (k == 0 || p >= 1.0)
		return 1.0;
	if (k > n || p <= 0.0)
		return 0.0;
	/* Sum pmf(i) for i = k..n with the ratio pmf(i+1)/pmf(i) = (n-i)/(i+1) * p/(1-p),
	 * scaled by pmf(k) so no term underflows before it matters. */
	double odds = p / (1.0 - p);
	double term = 1.0, sum = 1.0;
	for (uint32_t i = k; i < n; i++) {
		term *= (double)(n - i) / (i + 1.0) * odds;
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	double tail = exp(log_pmf(k, n, p) + log(sum));
	return tail < 1.0 ? tail : 1.0;
}
