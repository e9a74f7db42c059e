/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TIMELINE_SVG_H
#define CADMON_TIMELINE_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backtest.h"
#include "config.h"

/*
 * One operator's timeline as inline SVG: a lane of call marks (premature hangups tall and
 * red), a lane of alert markers, and a chart of the premature ratio each rule sees over its
 * window (computed here from the calls: premature / calls among the calls that ended in
 * (t - window, t]) with the rule's min_ratio as a dashed line. The ratio is drawn solid where
 * the window holds at least min_calls calls, faint where it holds fewer.
 */

/* An alert marker; label (short, beside it) and tooltip are plain text, escaped when written. */
struct timeline_alert {
	int64_t ts_ms;
	const char *kind;
	const char *label;
	const char *tooltip;
};

struct timeline {
	int64_t from_ms; /* the time axis, from_ms < to_ms, shared by every operator */
	int64_t to_ms;
	const struct backtest_call *calls;
	size_t call_count;
	const struct config_rule *rules;
	size_t rule_count;
	const struct timeline_alert *alerts;
	size_t alert_count;
};

/** Write the <svg> element. Returns 0, -ENOMEM, or -EINVAL for more than CONFIG_MAX_RULES rules. */
int timeline_svg_write(FILE *out, const struct timeline *timeline);

/** Colour of an alert kind's markers ("firing", "escalated", "resolved", others). */
const char *timeline_svg_kind_color(const char *kind);

/** Colour of a rule's ratio line and threshold, by its index in the configuration. */
const char *timeline_svg_rule_color(size_t rule_index);

/** The marker shape of an alert kind, as an SVG path centred on (0, 0). */
const char *timeline_svg_kind_shape(const char *kind);

#endif
