/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BINOMIAL_H
#define CADMON_BINOMIAL_H

#include <stdint.h>

/**
 * One-sided exact binomial tail P(X >= k) for X ~ Binomial(n, p): how likely an operator at
 * the center's rate p would have k or more premature hangups in n calls by chance.
 * 1 when k == 0; 0 when k > n. Relative error about 1e-12 for n up to 10^6.
 */
double binomial_upper_tail(uint32_t k, uint32_t n, double p);

/*
 * ln(i!) for i < count, each exactly what lgamma(i + 1.0) returns: computed once, then looked
 * up (three of them per tail). Grown on demand up to max_count entries; beyond that, or when
 * memory is short, lgamma as before. The tails are bit for bit those of binomial_upper_tail.
 */
struct binomial_cache {
	double *log_factorial;
	uint32_t count;
	uint32_t capacity;
	uint32_t max_count;
};

/** An empty cache of at most max_count entries (it may be changed later; no memory yet). */
void binomial_cache_init(struct binomial_cache *cache, uint32_t max_count);
void binomial_cache_release(struct binomial_cache *cache);

/** binomial_upper_tail with ln(i!) from cache (NULL: none). */
double binomial_upper_tail_cached(struct binomial_cache *cache, uint32_t k, uint32_t n, double p);

#endif
