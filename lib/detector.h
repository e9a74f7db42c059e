/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_DETECTOR_H
#define CADMON_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "tracker.h"

/*
 * The detector keeps, per operator (agency, operator), the completed calls of the longest
 * rule window, ordered by end time, and evaluates every rule when a call completes. Window
 * membership follows event time only: at time `now` (the operator's latest call end) a call
 * ended at `e` is in a rule's window iff now - window < e <= now, so a call exactly
 * window_seconds old has left it. A rule fires once when it becomes true and re-arms only
 * after it has been evaluated false.
 */

typedef void (*detector_alert_fn)(const struct alert *alert, void *ctx);

enum detector_result {
	DETECTOR_ADDED = 0,
	DETECTOR_OPERATORS_FULL, /* max_operators reached: the call was dropped */
};

struct detector_stats {
	uint64_t calls;            /* completed calls seen */
	uint64_t premature;        /* of which premature hangups */
	uint64_t alerts;           /* alerts emitted */
	uint64_t operators_full;   /* calls dropped: operator table full */
	uint64_t window_evictions; /* calls pushed out early: max_window_calls reached */
	uint32_t operators;        /* operators tracked now */
};

struct detector;

/** Create a detector for config (copied). NULL on allocation failure. */
struct detector *detector_new(const struct config *config, detector_alert_fn on_alert, void *ctx);
void detector_free(struct detector *detector);

/** True when the call is a premature hangup under the configured definition. */
bool detector_is_premature(const struct detector *detector, const struct completed_call *call);

/** Add a completed call, evaluate the operator's rules, emit alerts through the callback. */
enum detector_result detector_add_call(struct detector *detector, const struct completed_call *call);

const struct detector_stats *detector_stats(const struct detector *detector);

#endif
