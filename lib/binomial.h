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

#endif
