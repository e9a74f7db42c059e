/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REPORT_JSON_H
#define CADMON_REPORT_JSON_H

#include <stdio.h>

#include "backtest.h"

/**
 * Write a backtest (run with history) as one JSON document:
 * {"alerts":[...],"operators":[...],"totals":{...}}. Each alert is the engine's own alert
 * object, re-parsed from its line, so its keys, order and number texts are unchanged.
 * Returns 0, -ENOMEM, or -EINVAL if a stored alert line is not JSON.
 */
int report_json_write(FILE *out, const struct backtest *backtest);

#endif
