/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "binomial.h"

#include <math.h>
#include <stdlib.h>

void binomial_cache_init(struct binomial_cache *cache, uint32_t max_count)
{
	*cache = (struct binomial_cache){ .max_count = max_count };
}

void binomial_cache_release(struct binomial_cache *cache)
{
	free(cache->log_factorial);
	binomial_cache_init(cache, cache->max_count);
}

/* lgamma(i + 1.0), from the cache when it has or can take entry i. */
static double log_factorial(struct binomial_cache *cache, uint32_t i)
{
	if (!cache || i >= cache->max_count)
		return lgamma(i + 1.0);
	if (i >= cache->count) {
		if (i >= cache->capacity) {
			uint32_t wanted = i < cache->max_count / 2 ? 2 * i + 2 : cache->max_count;
			double *grown =
				realloc(cache->log_factorial, (size_t)wanted * sizeof(*grown));
			if (!grown)
				return lgamma(i + 1.0);
			cache->log_factorial = grown;
			cache->capacity = wanted;
		}
		for (; cache->count <= i; cache->count++)
			cache->log_factorial[cache->count] = lgamma(cache->count + 1.0);
	}
	return cache->log_factorial[i];
}

/* ln P(X = k): ln C(n, k) + k ln p + (n - k) ln(1 - p), for 0 < p < 1. */
static double log_pmf(struct binomial_cache *cache, uint32_t k, uint32_t n, double p)
{
	return log_factorial(cache, n) - log_factorial(cache, k) - log_factorial(cache, n - k) +
	       k * log(p) + (n - k) * log1p(-p);
}

double binomial_upper_tail_cached(struct binomial_cache *cache, uint32_t k, uint32_t n, double p)
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
	double tail = exp(log_pmf(cache, k, n, p) + log(sum));
	return tail < 1.0 ? tail : 1.0;
}

double binomial_upper_tail(uint32_t k, uint32_t n, double p)
{
	return binomial_upper_tail_cached(NULL, k, n, p);
}
