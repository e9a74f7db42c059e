/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REPORT_HTML_H
#define CADMON_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "backtest.h"

/**
 * Write a backtest (run with history) as one self-contained HTML page: inline CSS and SVG,
 * no scripts, no external references. A header with the inputs, the configuration's rules
 * and the totals; an operator table; then per operator (those with alerts first, open) a
 * timeline of calls, premature ratios, thresholds and alert markers, and its alerts with the
 * callers to call back. config_path NULL means the built-in defaults.
 * Returns 0, -ENOMEM, or -EIO when writing failed.
 */
int report_html_write(FILE *out, const struct backtest *backtest, const char *const *input_names,
		      size_t input_count, const char *config_path);

#endif
