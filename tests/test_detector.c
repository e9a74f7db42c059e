/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "detector.h"

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define SECONDS(n) ((int64_t)(n) * 1000)
#define MAX_SEEN 16

/* What the alert callback saw, copied out of the detector's short-lived alert. */
struct seen_alert {
	uint64_t seq;
	int64_t ts_ms;
	char operator_id[EVENT_ID_MAX + 1];
	char rule[CONFIG_NAME_MAX];
	uint32_t calls;
	uint32_t premature;
	double ratio;
	size_t callback_count;
	struct alert_callback callbacks[8];
};

struct fixture {
	struct config config;
	struct detector *detector;
	struct seen_alert seen[MAX_SEEN];
	size_t seen_count;
	int call_number;
};

static void record_alert(const struct alert *alert, void *ctx)
{
	struct fixture *f = ctx;

	assert_true(f->seen_count < MAX_SEEN);
	struct seen_alert *seen = &f->seen[f->seen_count++];
	seen->seq = alert->seq;
	seen->ts_ms = alert->ts_ms;
	snprintf(seen->operator_id, sizeof(seen->operator_id), "%s", alert->operator_id);
	snprintf(seen->rule, sizeof(seen->rule), "%s", alert->rule);
	seen->calls = alert->calls;
	seen->premature = alert->premature;
	seen->ratio = alert->ratio;
	seen->callback_count = alert->callback_count;
	for (size_t i = 0; i < alert->callback_count && i < 8; i++)
		seen->callbacks[i] = alert->callbacks[i];
}

/* One rule "burst": 600 s window, >= 4 calls, >= 3 premature, ratio >= 0.5; talk < 20 s. */
static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	config_set_defaults(&f.config);
	f.config.detector.max_talk_seconds = 20;
	f.config.detector.released_by_mask = RELEASED_BY_OPERATOR;
	f.config.detector.rule_count = 1;
	f.config.detector.rules[0] = (struct config_rule){
		.name = "burst", .window_seconds = 600, .min_calls = 4, .min_premature = 3,
		.min_ratio = 0.5, .severity = "critical"};
	f.detector = detector_new(&f.config, record_alert, &f);
	*state = &f;
	return f.detector ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	detector_free(f->detector);
	return 0;
}

/* Recreate the detector after a test changed the configuration. */
static void reconfigure(struct fixture *f)
{
	detector_free(f->detector);
	f->detector = detector_new(&f->config, record_alert, f);
	assert_non_null(f->detector);
}

static enum detector_result add_call(struct fixture *f, const char *operator_id, int64_t start_ms,
				     int64_t talk_ms, enum released_by who)
{
	char call_id[32];
	struct completed_call call = {
		.call_id = call_id, .operator_id = operator_id, .agency = "NOPD", .position = "P3",
		.ani = "5045550101", .start_ms = start_ms, .end_ms = start_ms + talk_ms, .released_by = who};

	snprintf(call_id, sizeof(call_id), "c%d", ++f->call_number);
	return detector_add_call(f->detector, &call);
}

static void test_premature_definition(void **state)
{
	struct fixture *f = *state;
	struct completed_call call = {.operator_id = "o", .agency = "", .start_ms = T0,
				      .released_by = RELEASED_BY_OPERATOR};

	call.end_ms = T0 + SECONDS(20) - 1;
	assert_true(detector_is_premature(f->detector, &call));
	/* Talk time exactly at the limit is not "below" it. */
	call.end_ms = T0 + SECONDS(20);
	assert_false(detector_is_premature(f->detector, &call));
	call.end_ms = T0 + SECONDS(5);
	call.released_by = RELEASED_BY_CALLER;
	assert_false(detector_is_premature(f->detector, &call));
	call.released_by = RELEASED_BY_OPERATOR;
	call.had_incident = true;
	assert_false(detector_is_premature(f->detector, &call));
	call.had_incident = false;
	call.had_transfer = true;
	assert_false(detector_is_premature(f->detector, &call));
}

static void test_released_by_set_is_configurable(void **state)
{
	struct fixture *f = *state;
	struct completed_call call = {.operator_id = "o", .agency = "", .start_ms = T0, .end_ms = T0 + 1000,
				      .released_by = RELEASED_BY_SYSTEM};

	assert_false(detector_is_premature(f->detector, &call));
	f->config.detector.released_by_mask = RELEASED_BY_OPERATOR | RELEASED_BY_SYSTEM;
	reconfigure(f);
	assert_true(detector_is_premature(f->detector, &call));
}

static void test_fires_once_with_callbacks(void **state)
{
	struct fixture *f = *state;

	add_call(f, "op-7", T0, SECONDS(5), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(60), SECONDS(120), RELEASED_BY_CALLER);
	add_call(f, "op-7", T0 + SECONDS(240), SECONDS(12), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 0);
	add_call(f, "op-7", T0 + SECONDS(300), 19999, RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	struct seen_alert *alert = &f->seen[0];
	assert_int_equal(alert->seq, 1);
	assert_int_equal(alert->ts_ms, T0 + SECONDS(300) + 19999);
	assert_string_equal(alert->operator_id, "op-7");
	assert_string_equal(alert->rule, "burst");
	assert_int_equal(alert->calls, 4);
	assert_int_equal(alert->premature, 3);
	assert_true(alert->ratio == 0.75);
	assert_int_equal(alert->callback_count, 3);
	assert_string_equal(alert->callbacks[0].call_id, "c1");
	assert_string_equal(alert->callbacks[0].ani, "5045550101");
	assert_int_equal(alert->callbacks[0].start_ms, T0);
	assert_int_equal(alert->callbacks[0].talk_ms, 5000);
	assert_string_equal(alert->callbacks[1].call_id, "c3");
	assert_string_equal(alert->callbacks[2].call_id, "c4");
	assert_int_equal(alert->callbacks[2].talk_ms, 19999);
	/* Still true on the next premature call: no repeat. */
	add_call(f, "op-7", T0 + SECONDS(330), SECONDS(3), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_int_equal(detector_stats(f->detector)->alerts, 1);
	assert_int_equal(detector_stats(f->detector)->calls, 5);
	assert_int_equal(detector_stats(f->detector)->premature, 4);
}

static void test_rearms_after_false(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	/* Long good calls bring the ratio under 0.5: the rule goes false... */
	for (int i = 0; i < 5; i++)
		add_call(f, "op-7", T0 + SECONDS(100 + 10 * i), SECONDS(60), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 1);
	/* ...and true again later (5 of 10) fires a second alert, once. */
	for (int i = 0; i < 2; i++)
		add_call(f, "op-7", T0 + SECONDS(500 + 10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_int_equal(f->seen[1].seq, 2);
	assert_int_equal(f->seen[1].calls, 10);
	assert_int_equal(f->seen[1].premature, 5);
	assert_int_equal(f->seen[1].ts_ms, T0 + SECONDS(502));
}

static void test_window_edge(void **state)
{
	struct fixture *f = *state;

	/* Three premature calls end at T0+2s, T0+3s, T0+4s; the fourth call ends at exactly
	 * T0+2s+600s: the first call is then exactly window_seconds old and has left. */
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(1), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(2), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(300), SECONDS(302), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 0);
	/* One millisecond earlier, the first call would still count. */
	f->call_number = 0;
	add_call(f, "op-8", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-8", T0 + SECONDS(1), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-8", T0 + SECONDS(2), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-8", T0 + SECONDS(300), SECONDS(302) - 1, RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].operator_id, "op-8");
	assert_int_equal(f->seen[0].calls, 4);
}

static void test_operators_are_separate(void **state)
{
	struct fixture *f = *state;

	/* Two operators with two premature calls each: neither reaches three. */
	for (int i = 0; i < 2; i++) {
		add_call(f, "op-1", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
		add_call(f, "op-2", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	}
	add_call(f, "op-1", T0 + SECONDS(50), SECONDS(90), RELEASED_BY_CALLER);
	add_call(f, "op-2", T0 + SECONDS(50), SECONDS(90), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 0);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
}

static void test_same_operator_in_two_agencies(void **state)
{
	struct fixture *f = *state;
	struct completed_call call = {.call_id = "x", .operator_id = "op-1", .ani = "", .position = "",
				      .released_by = RELEASED_BY_OPERATOR};

	for (int i = 0; i < 4; i++) {
		call.agency = i % 2 ? "FIRE" : "POLICE";
		call.start_ms = T0 + SECONDS(i);
		call.end_ms = call.start_ms + 1000;
		detector_add_call(f->detector, &call);
	}
	assert_int_equal(f->seen_count, 0);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
}

static void test_late_call_is_placed_in_order(void **state)
{
	struct fixture *f = *state;

	add_call(f, "op-7", T0 + SECONDS(100), SECONDS(60), RELEASED_BY_CALLER);
	add_call(f, "op-7", T0 + SECONDS(200), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(300), SECONDS(2), RELEASED_BY_OPERATOR);
	/* Arrives last but ended first: it becomes the oldest callback. */
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_int_equal(f->seen[0].ts_ms, T0 + SECONDS(302));
	assert_int_equal(f->seen[0].callback_count, 3);
	assert_string_equal(f->seen[0].callbacks[0].call_id, "c4");
	assert_string_equal(f->seen[0].callbacks[1].call_id, "c2");
	assert_string_equal(f->seen[0].callbacks[2].call_id, "c3");
}

static void test_operator_limit(void **state)
{
	struct fixture *f = *state;

	f->config.tracker.max_operators = 2;
	reconfigure(f);
	assert_int_equal(add_call(f, "a", T0, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(add_call(f, "b", T0, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(add_call(f, "c", T0, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_OPERATORS_FULL);
	assert_int_equal(add_call(f, "a", T0 + 1, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(detector_stats(f->detector)->operators_full, 1);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
}

static void test_window_call_limit_evicts_oldest(void **state)
{
	struct fixture *f = *state;

	f->config.tracker.max_window_calls = 16;
	f->config.detector.rules[0].min_calls = 1;
	f->config.detector.rules[0].min_premature = 17;
	reconfigure(f);
	for (int i = 0; i < 20; i++)
		add_call(f, "op-7", T0 + SECONDS(i), SECONDS(1), RELEASED_BY_OPERATOR);
	assert_int_equal(detector_stats(f->detector)->window_evictions, 4);
	/* 16 calls is all the window can hold: a rule that needs 17 cannot fire. */
	assert_int_equal(f->seen_count, 0);
}

static void test_several_rules(void **state)
{
	struct fixture *f = *state;

	f->config.detector.rule_count = 2;
	f->config.detector.rules[1] = (struct config_rule){
		.name = "shift", .window_seconds = 3600, .min_calls = 6, .min_premature = 5,
		.min_ratio = 0.5, .severity = "warning"};
	reconfigure(f);
	/* Premature calls every 5 minutes: "burst" (10 min) sees at most 3; "shift" sees them all. */
	for (int i = 0; i < 6; i++)
		add_call(f, "op-7", T0 + SECONDS(300 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].rule, "shift");
	assert_int_equal(f->seen[0].calls, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_premature_definition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_released_by_set_is_configurable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fires_once_with_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearms_after_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operators_are_separate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_operator_in_two_agencies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_call_is_placed_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_call_limit_evicts_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
