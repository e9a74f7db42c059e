/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REPORT_TEXT_H
#define CADMON_REPORT_TEXT_H

#include <stdio.h>

#include "backtest.h"

/**
 * Write a backtest's summary for people: the per-operator table (most alerts first) and the
 * totals. The alert lines themselves are written by the caller as they happen.
 * Returns 0, or -ENOMEM.
 */
int report_text_write_summary(FILE *out, const struct backtest *backtest);

#endif
