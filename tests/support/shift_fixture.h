/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TESTS_SHIFT_FIXTURE_H
#define CADMON_TESTS_SHIFT_FIXTURE_H

#include <stddef.h>

/*
 * The scripted shift the integration tests feed cadmond, one feed line each with its line
 * ending (one "\r\n"), and the exact alert it produces under the rule
 * {name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, min_ratio: 0.5,
 * severity: critical} with max_talk_seconds 20.
 */
extern const char *const shift_lines[];
extern const size_t shift_line_count;
extern const char shift_alert[];
/* That rule and max_talk_seconds as cadmon.yaml sections (detector, log), for the harness. */
extern const char shift_detector_yaml[];

#define SHIFT_LINE_COUNT shift_line_count

#endif
