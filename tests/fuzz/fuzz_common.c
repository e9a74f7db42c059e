/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "fuzz_common.h"

#include <string.h>

void fuzz_small_config(struct config *config)
{
	config_set_defaults(config);
	config->tracker.max_open_calls = 64;
	config->tracker.max_operators = 16;
	config->tracker.max_window_calls = 32;
	config->tracker.max_center_calls = 128;
	config->tracker.max_dedupe_events = 1000;
	config->tracker.max_recent_callers = 32;
	config->feed.max_sources = 4;
	config->detector.rule_count = 2;
	config->detector.rules[0] = (struct config_rule){
		.name = "burst", .type = CONFIG_RULE_WINDOW, .window_seconds = 600, .min_calls = 3,
		.min_premature = 2, .min_ratio = 0.5, .called_back_weight = 1.0, .max_p_value = 1.0,
		.min_center_ratio = 0.05, .severity = "critical"};
	config->detector.rules[1] = (struct config_rule){ .name = "drift",
							  .type = CONFIG_RULE_CUSUM,
							  .window_seconds = 3600,
							  .called_back_weight = 1.0,
							  .max_p_value = 1.0,
							  .min_center_ratio = 0.05,
							  .odds_ratio = 3.0,
							  .threshold = 2.0,
							  .severity = "warning" };
}
