/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <math.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "binomial.h"
#include "cusum.h"
#include "codec.h"
#include "detector.h"
#include "sequential.h"

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define SECONDS(n) ((int64_t)(n) * 1000)
#define MAX_SEEN 32

/* What the alert callback saw, copied out of the detector's short-lived alert. */
struct seen_alert {
	char kind[16];
	char alert_id[ALERT_ID_LENGTH + 1];
	uint64_t seq;
	int64_t ts_ms;
	char operator_id[EVENT_ID_MAX + 1];
	char rule[CONFIG_NAME_MAX];
	char severity[CONFIG_NAME_MAX];
	uint32_t calls;
	uint32_t premature;
	uint32_t called_back;
	double ratio;
	double center_ratio;
	double p_value;
	bool has_cusum;
	double cusum;
	size_t callback_count;
	struct alert_callback callbacks[8];
	bool has_evidence;
	double expected, evidence, threshold, own_factor;
	char why[512];
};

struct fixture {
	struct config config;
	struct detector *detector;
	struct seen_alert seen[MAX_SEEN];
	size_t seen_count;
	int call_number;
	/* every callback of every notice, in order: "kind:call_id" or "kind:call_id+" (called
	 * back) */
	char sent[64][96];
	size_t sent_count;
};

static void record_alert(const struct alert *alert, void *ctx)
{
	struct fixture *f = ctx;

	assert_true(f->seen_count < MAX_SEEN);
	struct seen_alert *seen = &f->seen[f->seen_count++];
	snprintf(seen->kind, sizeof(seen->kind), "%s", alert->kind);
	snprintf(seen->alert_id, sizeof(seen->alert_id), "%s", alert->alert_id);
	seen->seq = alert->seq;
	seen->ts_ms = alert->ts_ms;
	snprintf(seen->operator_id, sizeof(seen->operator_id), "%s", alert->operator_id);
	snprintf(seen->rule, sizeof(seen->rule), "%s", alert->rule);
	snprintf(seen->severity, sizeof(seen->severity), "%s", alert->severity);
	seen->calls = alert->calls;
	seen->premature = alert->premature;
	seen->called_back = alert->called_back;
	seen->ratio = alert->ratio;
	seen->center_ratio = alert->center_ratio;
	seen->p_value = alert->p_value;
	seen->has_cusum = alert->has_cusum;
	seen->cusum = alert->cusum;
	seen->callback_count = alert->callback_count;
	seen->has_evidence = alert->has_evidence;
	seen->expected = alert->expected;
	seen->evidence = alert->evidence;
	seen->threshold = alert->threshold;
	seen->own_factor = alert->own_factor;
	snprintf(seen->why, sizeof(seen->why), "%s", alert->why ? alert->why : "");
	for (size_t i = 0; i < alert->callback_count && i < 8; i++)
		seen->callbacks[i] = alert->callbacks[i];
	for (size_t i = 0; i < alert->callback_count; i++) {
		assert_true(f->sent_count < 64);
		snprintf(f->sent[f->sent_count++], sizeof(f->sent[0]), "%s:%s%s", alert->kind,
			 alert->callbacks[i].call_id, alert->callbacks[i].called_back ? "+" : "");
	}
}

/* A window rule with no peer comparison and no repeat-caller requirement. */
static struct config_rule window_rule(const char *name, uint32_t window_seconds, uint32_t min_calls,
				      uint32_t min_premature, double min_ratio,
				      const char *severity)
{
	struct config_rule rule = { .type = CONFIG_RULE_WINDOW,
				    .window_seconds = window_seconds,
				    .min_calls = min_calls,
				    .min_premature = min_premature,
				    .min_ratio = min_ratio,
				    .called_back_weight = 1.0,
				    .max_p_value = 1.0,
				    .min_center_ratio = 0.05,
				    .odds_ratio = 3.0,
				    .threshold = 5.0,
				    .max_calls_per_hour = 60 };

	snprintf(rule.name, sizeof(rule.name), "%s", name);
	snprintf(rule.severity, sizeof(rule.severity), "%s", severity);
	return rule;
}

/* One rule "burst": 600 s window, >= 4 calls, >= 3 premature, ratio >= 0.5; talk < 20 s. */
static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	config_set_defaults(&f.config);
	f.config.detector.max_talk_seconds = 20;
	f.config.detector.released_by_mask = RELEASED_BY_OPERATOR;
	f.config.detector.resolve_after_seconds = 300;
	/* Unacknowledged escalation has tests of its own. */
	memset(f.config.detector.escalate_unacked_after_seconds, 0,
	       sizeof(f.config.detector.escalate_unacked_after_seconds));
	f.config.detector.rule_count = 1;
	f.config.detector.rules[0] = window_rule("burst", 600, 4, 3, 0.5, "critical");
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

static enum detector_result add_call_from(struct fixture *f, const char *operator_id,
					  const char *ani, int64_t start_ms, int64_t talk_ms,
					  enum released_by who)
{
	char call_id[32];
	struct completed_call call = {
		.call_id = call_id, .operator_id = operator_id, .agency = "NOPD", .position = "P3",
		.ani = ani, .start_ms = start_ms, .end_ms = start_ms + talk_ms, .released_by = who};

	snprintf(call_id, sizeof(call_id), "c%d", ++f->call_number);
	return detector_add_call(f->detector, &call);
}

static enum detector_result add_call(struct fixture *f, const char *operator_id, int64_t start_ms,
				     int64_t talk_ms, enum released_by who)
{
	return add_call_from(f, operator_id, "5045550101", start_ms, talk_ms, who);
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
	struct completed_call call = { .operator_id = "o",
				       .agency = "",
				       .start_ms = T0,
				       .end_ms = T0 + 1000,
				       .released_by = RELEASED_BY_SYSTEM };

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
	assert_string_equal(alert->kind, "firing");
	assert_int_equal(strlen(alert->alert_id), ALERT_ID_LENGTH);
	assert_int_equal(alert->seq, 1);
	assert_int_equal(alert->ts_ms, T0 + SECONDS(300) + 19999);
	assert_string_equal(alert->operator_id, "op-7");
	assert_string_equal(alert->rule, "burst");
	assert_int_equal(alert->calls, 4);
	assert_int_equal(alert->premature, 3);
	assert_true(alert->ratio == 0.75);
	/* Nobody else in the center: the floor (0.05) is the baseline. */
	assert_true(alert->center_ratio == 0.0);
	assert_true(alert->p_value == binomial_upper_tail(3, 4, 0.05));
	assert_false(alert->has_cusum);
	/* Newest first (none is called back). */
	assert_int_equal(alert->callback_count, 3);
	assert_string_equal(alert->callbacks[0].call_id, "c4");
	assert_int_equal(alert->callbacks[0].talk_ms, 19999);
	assert_string_equal(alert->callbacks[1].call_id, "c3");
	assert_string_equal(alert->callbacks[2].call_id, "c1");
	assert_string_equal(alert->callbacks[2].ani, "5045550101");
	assert_int_equal(alert->callbacks[2].start_ms, T0);
	assert_int_equal(alert->callbacks[2].talk_ms, 5000);
	/* Still true on the next premature call: no second firing, an update with that call. */
	add_call(f, "op-7", T0 + SECONDS(330), SECONDS(3), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "update");
	assert_string_equal(f->seen[1].alert_id, alert->alert_id);
	assert_int_equal(f->seen[1].seq, 2);
	assert_int_equal(f->seen[1].callback_count, 1);
	assert_string_equal(f->seen[1].callbacks[0].call_id, "c5");
	assert_int_equal(detector_stats(f->detector)->firing, 1);
	assert_int_equal(detector_stats(f->detector)->calls, 5);
	assert_int_equal(detector_stats(f->detector)->premature, 4);
	assert_int_equal(detector_stats(f->detector)->open_alerts, 1);
}

static void test_flapping_is_quiet_then_resolves(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	/* Long calls bring the ratio under 0.5 at T0+160 s: false... */
	for (int i = 0; i < 5; i++)
		add_call(f, "op-7", T0 + SECONDS(100 + 10 * i), SECONDS(60), RELEASED_BY_CALLER);
	/* ...true again (5 of 10) at T0+392 s, before resolve_after (300 s) ran out: no new
	 * firing, only the update that carries the new hangup. */
	add_call(f, "op-7", T0 + SECONDS(390), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "update");
	assert_int_equal(f->seen[1].callback_count, 1);
	assert_string_equal(f->seen[1].callbacks[0].call_id, "c10");
	/* A good call makes it false again at T0+440 s (5 of 11); 300 s after it was last true
	 * the per-second re-evaluation resolves it, with no call from the operator. */
	add_call(f, "op-7", T0 + SECONDS(400), SECONDS(40), RELEASED_BY_CALLER);
	detector_advance(f->detector, T0 + SECONDS(392) + SECONDS(300) - 1);
	assert_int_equal(f->seen_count, 2);
	detector_advance(f->detector, T0 + SECONDS(692));
	assert_int_equal(f->seen_count, 3);
	assert_string_equal(f->seen[2].kind, "resolved");
	assert_string_equal(f->seen[2].alert_id, f->seen[0].alert_id);
	assert_int_equal(f->seen[2].seq, 3);
	assert_int_equal(f->seen[2].ts_ms, T0 + SECONDS(692));
	assert_int_equal(f->seen[2].callback_count, 0);
	assert_int_equal(detector_stats(f->detector)->open_alerts, 0);
	/* A new episode later gets a new id. */
	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(2000 + 10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 4);
	assert_string_equal(f->seen[3].kind, "firing");
	assert_string_not_equal(f->seen[3].alert_id, f->seen[0].alert_id);
}

/* Ticks evaluate an open alert only when something can change (detector.c, "the due heap"):
 * a rule that held through ticks without calls counts its resolve_after from the last tick,
 * also in a detector loaded from a snapshot taken between them. */
static void test_resolves_from_last_tick_it_held(void **state)
{
	struct fixture *f = *state;
	static struct fixture g; /* what the loaded detector sends */
	struct codec_writer saved = { 0 };
	struct codec_reader reader;

	memset(&g, 0, sizeof(g));
	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	for (int i = 0; i < 4; i++) /* 4 of 8: still true */
		add_call(f, "op-7", T0 + SECONDS(40 + 10 * i), SECONDS(2), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].kind, "firing");
	detector_advance(f->detector, T0 + SECONDS(100));
	detector_advance(f->detector, T0 + SECONDS(200));
	detector_advance(f->detector, T0 + SECONDS(250)); /* the last tick at which it holds */
	detector_save(f->detector, &saved);
	assert_false(saved.failed);
	struct detector *loaded = detector_new(&f->config, record_alert, &g);
	assert_non_null(loaded);
	codec_reader_init(&reader, saved.data, saved.len);
	assert_int_equal(detector_load(loaded, &reader), 0);
	codec_writer_release(&saved);
	struct detector *detectors[] = { f->detector, loaded };
	struct fixture *fixtures[] = { f, &g };
	for (int d = 0; d < 2; d++) {
		struct completed_call call = { .call_id = "c9",
					       .operator_id = "op-7",
					       .agency = "NOPD",
					       .position = "P3",
					       .ani = "5045550101",
					       .start_ms = T0 + SECONDS(200),
					       .end_ms = T0 + SECONDS(260),
					       .released_by = RELEASED_BY_CALLER };
		/* 4 of 9: false */
		assert_int_equal(detector_add_call(detectors[d], &call), DETECTOR_ADDED);
		detector_advance(detectors[d], T0 + SECONDS(550) - 1);
		assert_int_equal(fixtures[d]->seen_count, d == 0 ? 1 : 0);
		detector_advance(detectors[d], T0 + SECONDS(550));
		assert_int_equal(fixtures[d]->seen_count, d == 0 ? 2 : 1);
		struct seen_alert *resolved = &fixtures[d]->seen[fixtures[d]->seen_count - 1];
		assert_string_equal(resolved->kind, "resolved");
		assert_string_equal(resolved->alert_id, f->seen[0].alert_id);
		assert_int_equal(resolved->seq, 2);
		assert_int_equal(resolved->ts_ms, T0 + SECONDS(550));
	}
	detector_free(loaded);
}

/* With no call at all, an alert's rule turns false when its calls leave the window: at the
 * first tick at which the oldest has (T0 + 2 s + 600 s), resolved 300 s after the tick before. */
static void test_resolves_when_calls_leave_window(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	for (int second = 40; second < 901; second++)
		detector_advance(f->detector, T0 + SECONDS(second));
	assert_int_equal(f->seen_count, 1);
	detector_advance(f->detector, T0 + SECONDS(901));
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "resolved");
	assert_int_equal(f->seen[1].ts_ms, T0 + SECONDS(901));
	assert_int_equal(f->seen[1].calls, 0); /* all four have left the window by then */
}

static void test_escalation(void **state)
{
	struct fixture *f = *state;

	f->config.detector.rule_count = 2;
	f->config.detector.rules[0] = window_rule("early", 600, 3, 2, 0.5, "warning");
	f->config.detector.rules[1] = window_rule("sure", 600, 6, 5, 0.7, "critical");
	reconfigure(f);
	for (int i = 0; i < 6; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	/* firing at the third call, an update for each of the next two, escalated at the sixth
	 * carrying only that one: nothing is sent twice. */
	assert_int_equal(f->seen_count, 4);
	assert_string_equal(f->seen[0].kind, "firing");
	assert_string_equal(f->seen[0].rule, "early");
	assert_int_equal(f->seen[0].calls, 3);
	assert_int_equal(f->seen[0].callback_count, 3);
	assert_string_equal(f->seen[1].kind, "update");
	assert_string_equal(f->seen[1].callbacks[0].call_id, "c4");
	assert_string_equal(f->seen[2].kind, "update");
	assert_string_equal(f->seen[2].callbacks[0].call_id, "c5");
	assert_string_equal(f->seen[3].kind, "escalated");
	assert_string_equal(f->seen[3].rule, "sure");
	assert_string_equal(f->seen[3].severity, "critical");
	assert_string_equal(f->seen[3].alert_id, f->seen[0].alert_id);
	assert_int_equal(f->seen[3].calls, 6);
	assert_int_equal(f->seen[3].callback_count, 1);
	assert_string_equal(f->seen[3].callbacks[0].call_id, "c6");
	/* A lower-severity rule becoming true again later adds nothing. */
	assert_int_equal(detector_stats(f->detector)->escalated, 1);
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
	/* One millisecond earlier, the first call still counts. */
	reconfigure(f);
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

	for (int i = 0; i < 2; i++) {
		add_call(f, "op-1", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
		add_call(f, "op-2", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	}
	add_call(f, "op-1", T0 + SECONDS(50), SECONDS(90), RELEASED_BY_CALLER);
	add_call(f, "op-2", T0 + SECONDS(50), SECONDS(90), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 0);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
}

/* What detector_each_operator showed, copied out. */
struct seen_operator {
	char operator_id[EVENT_ID_MAX + 1];
	bool open;
	int64_t last_active_ms;
	size_t rule_count;
	struct detector_rule_figures rule;
	int64_t history_end_ms;
	int64_t history_bucket_ms;
	struct window_counts history[DETECTOR_HISTORY_BUCKETS];
};

static void record_operator(const struct detector_operator_figures *figures, void *ctx)
{
	struct seen_operator *seen = ctx;

	while (seen->operator_id[0])
		seen++;
	snprintf(seen->operator_id, sizeof seen->operator_id, "%s", figures->operator_id);
	seen->open = figures->open_alert_id != NULL;
	seen->last_active_ms = figures->last_active_ms;
	seen->rule_count = figures->rule_count;
	seen->rule = figures->rules[0];
	seen->history_end_ms = figures->history_end_ms;
	seen->history_bucket_ms = figures->history_bucket_ms;
	memcpy(seen->history, figures->history, sizeof seen->history);
}

/* Each operator's window figures and the center's ratio without it, per rule. */
static void test_each_operator_figures(void **state)
{
	struct fixture *f = *state;
	struct seen_operator seen[3];

	memset(seen, 0, sizeof seen);
	for (int i = 0; i < 4; i++)
		add_call(f, "op-1", T0 + SECONDS(10 * i), SECONDS(2),
			 i < 3 ? RELEASED_BY_OPERATOR : RELEASED_BY_CALLER);
	add_call(f, "op-2", T0 + SECONDS(45), SECONDS(90), RELEASED_BY_CALLER);
	detector_each_operator(f->detector, record_operator, seen);
	assert_string_equal(seen[0].operator_id, "op-1");
	assert_true(seen[0].open);
	assert_int_equal(seen[0].last_active_ms, T0 + SECONDS(32));
	assert_int_equal(seen[0].rule_count, 1);
	assert_string_equal(seen[0].rule.rule, "burst");
	assert_int_equal(seen[0].rule.window_seconds, 600);
	assert_int_equal(seen[0].rule.calls, 4);
	assert_int_equal(seen[0].rule.premature, 3);
	assert_int_equal(seen[0].rule.called_back, 0);
	assert_true(seen[0].rule.ratio == 0.75);
	assert_true(seen[0].rule.center_ratio == 0.0);
	assert_false(seen[0].rule.sequential);
	assert_true(seen[0].rule.evidence == 0.0);
	assert_string_equal(seen[1].operator_id, "op-2");
	assert_false(seen[1].open);
	assert_int_equal(seen[1].rule.calls, 1);
	assert_int_equal(seen[1].rule.premature, 0);
	assert_true(seen[1].rule.ratio == 0.0);
	assert_true(seen[1].rule.center_ratio == 0.75);
	assert_string_equal(seen[2].operator_id, "");
	/* History: 12 buckets of 600 s / 12 to the detector's clock, op-2's call end at +135 s.
	 * op-1's calls ended at +2, +12, +22, +32 s: 103 to 133 s before it, all in bucket 9,
	 * (T0-15 s, T0+35 s]; op-2's in the last one, (T0+85 s, T0+135 s]. */
	for (int op = 0; op < 2; op++) {
		assert_int_equal(seen[op].history_end_ms, T0 + SECONDS(135));
		assert_int_equal(seen[op].history_bucket_ms, SECONDS(50));
		for (int b = 0; b < DETECTOR_HISTORY_BUCKETS; b++) {
			unsigned calls = op == 0 ? (b == 9 ? 4 : 0) : (b == 11 ? 1 : 0);
			unsigned premature = op == 0 && b == 9 ? 3 : 0;

			assert_int_equal(seen[op].history[b].calls, calls);
			assert_int_equal(seen[op].history[b].premature, premature);
		}
	}
}

static void test_same_operator_in_two_agencies(void **state)
{
	struct fixture *f = *state;
	struct completed_call call = { .call_id = "x",
				       .operator_id = "op-1",
				       .ani = "",
				       .position = "",
				       .released_by = RELEASED_BY_OPERATOR };

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
	/* Arrives last but ended first: it becomes the oldest callback, listed last. */
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_int_equal(f->seen[0].ts_ms, T0 + SECONDS(302));
	assert_int_equal(f->seen[0].callback_count, 3);
	assert_string_equal(f->seen[0].callbacks[0].call_id, "c3");
	assert_string_equal(f->seen[0].callbacks[1].call_id, "c2");
	assert_string_equal(f->seen[0].callbacks[2].call_id, "c4");
	/* Older than every window at the clock: not kept, counted. */
	assert_int_equal(add_call(f, "op-7", T0 - SECONDS(400), SECONDS(2), RELEASED_BY_OPERATOR),
			 DETECTOR_TOO_OLD);
	assert_int_equal(detector_stats(f->detector)->too_old, 1);
}

static void test_operator_limit_evicts_idlest(void **state)
{
	struct fixture *f = *state;

	f->config.tracker.max_operators = 2;
	reconfigure(f);
	assert_int_equal(add_call(f, "a", T0, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(add_call(f, "b", T0 + 1, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(add_call(f, "c", T0 + 2, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(detector_stats(f->detector)->operators_evicted, 1);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
	/* "a" was the idlest; "b" is still known, so adding to it evicts nobody. */
	assert_int_equal(add_call(f, "b", T0 + 3, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(detector_stats(f->detector)->operators_evicted, 1);
}

/* detector_added_operator names each call's operator by (index, generation): the same pair for
 * the same operator, another for another, and a new one for an operator evicted and seen again,
 * in a slot another held in between. */
/* A call of operator_id added, and the pair detector_added_operator gives for it. */
static void assert_added(struct fixture *f, const char *operator_id, int64_t start_ms,
			 uint32_t index, uint32_t generation)
{
	uint32_t got_index, got_generation;

	assert_int_equal(add_call(f, operator_id, start_ms, SECONDS(2), RELEASED_BY_CALLER),
			 DETECTOR_ADDED);
	detector_added_operator(f->detector, &got_index, &got_generation);
	assert_int_equal(got_index, index);
	assert_int_equal(got_generation, generation);
}

static void test_added_operator_pairs(void **state)
{
	struct fixture *f = *state;

	f->config.tracker.max_operators = 2;
	reconfigure(f);
	assert_added(f, "a", T0, 0, 1);
	assert_added(f, "b", T0 + 1, 1, 2);
	assert_added(f, "a", T0 + 2, 0, 1);
	/* "b" is now the idlest: "c" takes its slot */
	assert_added(f, "c", T0 + 3, 1, 3);
	/* "b" again evicts "c" (one call to "a"'s two) and gets the slot it held, and its own
	 * before, under a new generation */
	assert_added(f, "b", T0 + 4, 1, 4);
	assert_int_equal(detector_stats(f->detector)->operators_evicted, 2);
}

/* Where detector_save put the free-index stack [3, 2] of four operator slots: its count (u32
 * 2) and entries, after the clock, tick, seq, serial, generation and the counters by name. */
static size_t saved_free_indexes_offset(const struct codec_writer *saved)
{
	static const unsigned char stack[] = {2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0};
	for (size_t at = 0; at + sizeof(stack) <= saved->len; at++)
		if (memcmp(saved->data + at, stack, sizeof(stack)) == 0)
			return at + 4;
	fail_msg("no free-index stack [3, 2] in the saved detector");
	return 0;
}

/* A saved free-index stack that would hand out a slot twice, or one past the end of the
 * operator array, is refused on load. */
static void test_load_refuses_bad_free_indexes(void **state)
{
	struct fixture *f = *state;
	uint32_t bad_entries[] = {4, 1, UINT32_MAX};

	f->config.tracker.max_operators = 4;
	reconfigure(f);
	assert_int_equal(add_call(f, "a", T0, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	assert_int_equal(add_call(f, "b", T0 + 1, SECONDS(2), RELEASED_BY_CALLER), DETECTOR_ADDED);
	struct codec_writer saved = {0};
	detector_save(f->detector, &saved);
	assert_false(saved.failed);
	for (size_t i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]); i++) {
		struct codec_writer bad = {0};
		struct codec_reader reader;
		codec_put_bytes(&bad, saved.data, saved.len);
		/* operators a and b hold slots 0 and 1; the stack is [3, 2], 2 on top */
		memcpy(bad.data + saved_free_indexes_offset(&saved), &bad_entries[i], 4);
		struct detector *loaded = detector_new(&f->config, record_alert, f);
		assert_non_null(loaded);
		codec_reader_init(&reader, bad.data, bad.len);
		assert_int_equal(detector_load(loaded, &reader), -EINVAL);
		detector_free(loaded);
		codec_writer_release(&bad);
	}
	struct codec_reader reader;
	struct detector *loaded = detector_new(&f->config, record_alert, f);
	codec_reader_init(&reader, saved.data, saved.len);
	assert_int_equal(detector_load(loaded, &reader), 0);
	detector_free(loaded);
	codec_writer_release(&saved);
}

/* After max_operators shrinks, operators are renumbered: a redial of a hangup remembered under
 * an old index (one past the new operator array included) marks nothing. */
static void test_redial_after_operators_shrink_marks_nothing(void **state)
{
	struct fixture *f = *state;
	const char *anis[] = {"5045550001", "5045550002", "5045550003", "5045550004"};
	const char *operators[] = {"a", "b", "c", "d"};

	f->config.tracker.max_operators = 4;
	reconfigure(f);
	for (int i = 0; i < 4; i++)
		assert_int_equal(add_call_from(f, operators[i], anis[i], T0 + SECONDS(i),
					       SECONDS(2), RELEASED_BY_OPERATOR),
				 DETECTOR_ADDED);
	f->config.tracker.max_operators = 2;
	assert_int_equal(detector_reconfigure(f->detector, &f->config), 0);
	assert_int_equal(detector_stats(f->detector)->operators_evicted, 2);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
	for (int i = 0; i < 4; i++)
		detector_caller_rang(f->detector, anis[i], T0 + SECONDS(60));
	assert_int_equal(detector_stats(f->detector)->called_back, 0);
	assert_int_equal(f->seen_count, 0);
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
	f->config.detector.rules[1] = window_rule("shift", 3600, 6, 5, 0.5, "warning");
	reconfigure(f);
	/* Premature calls every 5 minutes: "burst" (10 min) sees at most 3; "shift" sees them
	 * all. */
	for (int i = 0; i < 6; i++)
		add_call(f, "op-7", T0 + SECONDS(300 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].rule, "shift");
	assert_int_equal(f->seen[0].calls, 6);
}

/* A CUSUM rule "seq" (ln 2.5 = 0.916 per premature hangup, alarm at 2.5: the third). */
static struct config_rule cusum_rule(const char *name)
{
	struct config_rule rule = window_rule(name, 3600, 1, 1, 0.0, "warning");

	rule.type = CONFIG_RULE_CUSUM;
	rule.p0 = 0.1;
	rule.odds_ratio = 3.0;
	rule.threshold = 2.5;
	return rule;
}

/* The one operator's key and position as detector_each_operator shows them. */
struct seen_key {
	char agency[EVENT_ID_MAX + 1];
	char operator_id[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1];
};

static void record_key(const struct detector_operator_figures *figures, void *ctx)
{
	struct seen_key *seen = ctx;

	snprintf(seen->agency, sizeof seen->agency, "%s", figures->agency);
	snprintf(seen->operator_id, sizeof seen->operator_id, "%s", figures->operator_id);
	snprintf(seen->position, sizeof seen->position, "%s", figures->position);
}

static void assert_key(struct detector *detector, const char *agency, const char *operator_id,
		       const char *position)
{
	struct seen_key seen;

	memset(&seen, 0, sizeof seen);
	detector_each_operator(detector, record_key, &seen);
	assert_string_equal(seen.agency, agency);
	assert_string_equal(seen.operator_id, operator_id);
	assert_string_equal(seen.position, position);
}

/* Save detector into a new one loaded from it, failing the test if it does not load. */
static struct detector *round_trip(struct fixture *f, const struct detector *detector,
				   struct codec_writer *saved)
{
	struct codec_reader reader;
	struct detector *loaded = detector_new(&f->config, record_alert, f);

	assert_non_null(loaded);
	detector_save(detector, saved);
	assert_false(saved->failed);
	codec_reader_init(&reader, saved->data, saved->len);
	assert_int_equal(detector_load(loaded, &reader), 0);
	return loaded;
}

/* The key is kept at its length in the state (up to EVENT_ID_MAX each), the position inline
 * when short and allocated when long; both survive a snapshot and a reload that moves the
 * state (ASan sees a key or position left behind). */
static void test_key_and_position_at_their_length(void **state)
{
	struct fixture *f = *state;
	char agency[EVENT_ID_MAX + 1], operator_id[EVENT_ID_MAX + 1];
	const char *positions[] = { "P3",
				    "console-17-north-wing-2nd-floor",
				    "P123456789012345",
				    "P12345678901234",
				    "console-17-north-wing-2nd-floor",
				    "console-18-north-wing-2nd-floor" };
	struct completed_call call = { .call_id = "c",
				       .ani = "",
				       .agency = agency,
				       .operator_id = operator_id,
				       .released_by = RELEASED_BY_CALLER };

	memset(agency, 'A', EVENT_ID_MAX);
	agency[EVENT_ID_MAX] = '\0';
	memset(operator_id, 'o', EVENT_ID_MAX);
	operator_id[EVENT_ID_MAX] = '\0';
	for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
		call.position = positions[i];
		call.start_ms = T0 + SECONDS(10 * (int64_t)i);
		call.end_ms = call.start_ms + SECONDS(60);
		assert_int_equal(detector_add_call(f->detector, &call), DETECTOR_ADDED);
		assert_key(f->detector, agency, operator_id, positions[i]);
	}
	struct codec_writer saved = { 0 };
	struct detector *loaded = round_trip(f, f->detector, &saved);
	codec_writer_release(&saved);
	assert_key(loaded, agency, operator_id, "console-18-north-wing-2nd-floor");
	f->config.detector.rule_count = 2;
	f->config.detector.rules[1] = window_rule("never", 600, 100, 100, 0.5, "critical");
	assert_int_equal(detector_reconfigure(loaded, &f->config), 0);
	assert_key(loaded, agency, operator_id, "console-18-north-wing-2nd-floor");
	call.position = "P4";
	call.start_ms = T0 + SECONDS(100);
	call.end_ms = call.start_ms + SECONDS(60);
	assert_int_equal(detector_add_call(loaded, &call), DETECTOR_ADDED);
	assert_key(loaded, agency, operator_id, "P4");
	detector_free(loaded);
}

/* One of op-7's calls with this call_id and ani. */
static enum detector_result add_detail(struct detector *detector, const char *call_id,
				       const char *ani, int64_t start_ms, int64_t talk_ms)
{
	struct completed_call call = { .call_id = call_id,
				       .ani = ani,
				       .agency = "NOPD",
				       .operator_id = "op-7",
				       .position = "P7",
				       .start_ms = start_ms,
				       .end_ms = start_ms + talk_ms,
				       .released_by = RELEASED_BY_OPERATOR };

	return detector_add_call(detector, &call);
}

/* The callback of the latest alert with this call_id (failing when there is none). */
static const struct alert_callback *callback_of(const struct fixture *f, const char *call_id)
{
	const struct seen_alert *seen = &f->seen[f->seen_count - 1];

	for (size_t i = 0; i < seen->callback_count && i < 8; i++)
		if (strcmp(seen->callbacks[i].call_id, call_id) == 0)
			return &seen->callbacks[i];
	fail_msg("no callback %s", call_id);
	return NULL;
}

/* A call's call_id and ani are kept at their length (23 bytes with their terminators inline,
 * longer ones allocated): 64-byte ids, a 32-digit ani, an empty one, either side of the inline
 * size, through a snapshot, a reload that moves the states, a call too old to keep and calls
 * that leave the window (ASan checks each allocation is freed once). */
static void test_call_details_at_their_length(void **state)
{
	struct fixture *f = *state;
	char long_id[EVENT_ID_MAX + 1], long_ani[EVENT_ANI_MAX + 1];
	const char *fits = "c-0123456789abcdefghi";  /* 21 + 1 + "" 1 = 23: inline */
	const char *over = "c-0123456789abcdefghij"; /* 24: allocated */

	memset(long_id, 'i', EVENT_ID_MAX);
	long_id[EVENT_ID_MAX] = '\0';
	memset(long_ani, '5', EVENT_ANI_MAX);
	long_ani[EVENT_ANI_MAX] = '\0';
	assert_int_equal(add_detail(f->detector, long_id, long_ani, T0, SECONDS(5)),
			 DETECTOR_ADDED);
	assert_int_equal(add_detail(f->detector, fits, "", T0 + SECONDS(10), SECONDS(5)),
			 DETECTOR_ADDED);
	assert_int_equal(add_detail(f->detector, "talked", long_ani, T0 + SECONDS(20), SECONDS(60)),
			 DETECTOR_ADDED);
	struct codec_writer saved = { 0 };
	struct detector *loaded = round_trip(f, f->detector, &saved);
	codec_writer_release(&saved);
	f->config.detector.rule_count = 2;
	f->config.detector.rules[1] = window_rule("never", 900, 100, 100, 0.5, "critical");
	assert_int_equal(detector_reconfigure(loaded, &f->config), 0);
	/* a fourth call, the third premature: the alert lists the three with their details */
	assert_int_equal(add_detail(loaded, over, "", T0 + SECONDS(100), SECONDS(5)),
			 DETECTOR_ADDED);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].kind, "firing");
	assert_int_equal(f->seen[0].callback_count, 3);
	assert_string_equal(callback_of(f, long_id)->ani, long_ani);
	assert_int_equal(callback_of(f, long_id)->start_ms, T0);
	assert_string_equal(callback_of(f, fits)->ani, "");
	assert_string_equal(callback_of(f, over)->ani, "");
	assert_int_equal(callback_of(f, over)->talk_ms, SECONDS(5));
	/* too old for the longest window (900 s) at op-7's clock: not kept */
	assert_int_equal(add_detail(loaded, long_id, long_ani, T0 - SECONDS(1000), SECONDS(5)),
			 DETECTOR_TOO_OLD);
	/* more calls than a small ring holds, then an hour on: all leave, the ring shrinks */
	for (int i = 0; i < 40; i++) {
		long_id[0] = (char)('A' + i % 26);
		long_id[1] = (char)('a' + i / 26);
		assert_int_equal(add_detail(loaded, long_id, i % 2 ? long_ani : "",
					    T0 + SECONDS(200 + 10 * i), SECONDS(60)),
				 DETECTOR_ADDED);
	}
	assert_int_equal(add_detail(loaded, "c-late", "911", T0 + SECONDS(4000), SECONDS(60)),
			 DETECTOR_ADDED);
	detector_free(loaded);
}


/* A call-taker's alert state is allocated when its first alert opens and kept after it
 * resolves: one that never alerted saves the same bytes as before (all zero), a resolved
 * one as it was left, through snapshots and a reload that moves the states. */
static void test_episode_on_demand(void **state)
{
	struct fixture *f = *state;
	struct codec_writer first = { 0 }, second = { 0 };

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-8", T0 + SECONDS(50), SECONDS(60), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].kind, "firing");
	/* a quiet hour later: op-7's alert resolves; op-8 never had one */
	add_call(f, "op-8", T0 + SECONDS(3600), SECONDS(60), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "resolved");
	struct detector *loaded = round_trip(f, f->detector, &first);
	struct detector *again = round_trip(f, loaded, &second);
	assert_int_equal(second.len, first.len);
	assert_memory_equal(second.data, first.data, first.len);
	detector_free(again);
	codec_writer_release(&second);
	f->config.detector.rule_count = 2;
	f->config.detector.rules[1] = window_rule("never", 900, 100, 100, 0.5, "critical");
	assert_int_equal(detector_reconfigure(loaded, &f->config), 0);
	/* op-7 alerts again (its kept state reused), then op-8 for the first time */
	const char *ids[] = { "a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4" };
	for (int i = 0; i < 8; i++) {
		struct completed_call call = { .call_id = ids[i],
					       .ani = "",
					       .agency = "NOPD",
					       .operator_id = i < 4 ? "op-7" : "op-8",
					       .position = "P3",
					       .start_ms = T0 + SECONDS(4000 + 10 * i),
					       .end_ms = T0 + SECONDS(4002 + 10 * i),
					       .released_by = RELEASED_BY_OPERATOR };
		assert_int_equal(detector_add_call(loaded, &call), DETECTOR_ADDED);
	}
	assert_int_equal(f->seen_count, 5);
	assert_string_equal(f->seen[2].kind, "firing");
	assert_string_equal(f->seen[2].operator_id, "op-7");
	assert_string_not_equal(f->seen[2].alert_id, f->seen[0].alert_id);
	assert_string_equal(f->seen[3].kind, "firing");
	assert_string_equal(f->seen[3].operator_id, "op-8");
	assert_string_equal(f->seen[4].kind, "update"); /* its fourth call joins its alert */
	assert_string_equal(f->seen[4].alert_id, f->seen[3].alert_id);
	codec_writer_release(&first);
	detector_free(loaded);
}

/* op-7's window counts per rule (its spans, in its state's allocation): calls and premature. */
static void record_op7_windows(const struct detector_operator_figures *figures, void *ctx)
{
	uint32_t *counts = ctx;

	if (strcmp(figures->operator_id, "op-7") != 0)
		return;
	counts[0] = (uint32_t)figures->rule_count;
	for (size_t r = 0; r < figures->rule_count; r++) {
		counts[1 + 2 * r] = figures->rules[r].calls;
		counts[2 + 2 * r] = figures->rules[r].premature;
	}
}

/* Each operator's state holds as many rule states as there are rules: a reload that changes the
 * count moves every state to one of the new size, the rule kept (by name, at another position)
 * with its statistic and the open alert, the new ones empty, and back again. */
static void test_reload_changes_rule_count(void **state)
{
	struct fixture *f = *state;
	struct cusum_weights w = cusum_weights(0.1, 3.0);

	f->config.detector.rules[0] = cusum_rule("seq");
	reconfigure(f);
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(60), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-8", T0 + SECONDS(70), SECONDS(2), RELEASED_BY_OPERATOR);
	/* Three rules, "seq" now the second: op-7's third hangup reaches the alarm. */
	f->config.detector.rule_count = 3;
	f->config.detector.rules[0] = window_rule("never", 600, 100, 100, 0.5, "critical");
	f->config.detector.rules[1] = cusum_rule("seq");
	f->config.detector.rules[2] = window_rule("nor", 50, 100, 100, 0.5, "critical");
	assert_int_equal(detector_reconfigure(f->detector, &f->config), 0);
	assert_int_equal(detector_stats(f->detector)->operators, 2);
	/* The window's spans moved with the state, one per new rule: the 50-s one holds only
	 * the call that ended at T0 + 62 s. */
	uint32_t counts[1 + 2 * 3] = { 0 };
	detector_each_operator(f->detector, record_op7_windows, counts);
	assert_memory_equal(counts, ((uint32_t[]){ 3, 2, 2, 2, 2, 1, 1 }), sizeof(counts));
	add_call(f, "op-7", T0 + SECONDS(120), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].kind, "firing");
	assert_string_equal(f->seen[0].operator_id, "op-7");
	assert_string_equal(f->seen[0].rule, "seq");
	assert_true(f->seen[0].has_cusum);
	assert_true(fabs(f->seen[0].cusum - 3 * w.premature) < 1e-12);
	/* One rule again, the open alert's at position 0: op-8's hangup before the reloads
	 * counts. */
	f->config.detector.rule_count = 1;
	f->config.detector.rules[0] = cusum_rule("seq");
	assert_int_equal(detector_reconfigure(f->detector, &f->config), 0);
	assert_int_equal(detector_stats(f->detector)->open_alerts, 1);
	memset(counts, 0, sizeof(counts));
	detector_each_operator(f->detector, record_op7_windows, counts);
	assert_memory_equal(counts, ((uint32_t[]){ 1, 3, 3, 0, 0, 0, 0 }), sizeof(counts));
	add_call(f, "op-8", T0 + SECONDS(130), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	add_call(f, "op-8", T0 + SECONDS(140), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "firing");
	assert_string_equal(f->seen[1].operator_id, "op-8");
	assert_string_equal(f->seen[1].rule, "seq");
	assert_true(fabs(f->seen[1].cusum - 3 * w.premature) < 1e-12);
	/* op-7's alert (moved twice) takes its next hangup as an update and resolves. */
	add_call(f, "op-7", T0 + SECONDS(150), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 3);
	assert_string_equal(f->seen[2].kind, "update");
	assert_string_equal(f->seen[2].alert_id, f->seen[0].alert_id);
	assert_int_equal(detector_stats(f->detector)->open_alerts, 2);
	detector_advance(f->detector, T0 + SECONDS(7200));
	assert_int_equal(detector_stats(f->detector)->open_alerts, 0);
	assert_int_equal(f->seen_count, 5);
	assert_string_equal(f->seen[3].kind, "resolved");
	assert_string_equal(f->seen[4].kind, "resolved");
	assert_int_equal(detector_stats(f->detector)->operators, 2);
}

/* Open alerts across a reload that moves every state (another rule count): the ticks' heap
 * follows them (ASan sees a stale one when a call reorders it). */
static void test_open_alerts_ticked_after_states_move(void **state)
{
	struct fixture *f = *state;
	const char *operators[] = {"op-1", "op-2", "op-3"};

	for (int o = 0; o < 3; o++)
		for (int i = 0; i < 4; i++)
			add_call(f, operators[o], T0 + SECONDS(10 * i + o), SECONDS(2),
				 RELEASED_BY_OPERATOR);
	assert_int_equal(detector_stats(f->detector)->open_alerts, 3);
	f->config.detector.rule_count = 2;
	f->config.detector.rules[1] = window_rule("never", 600, 100, 100, 0.5, "critical");
	assert_int_equal(detector_reconfigure(f->detector, &f->config), 0);
	for (int o = 0; o < 3; o++) /* each call reorders the heap */
		add_call(f, operators[o], T0 + SECONDS(60 + o), SECONDS(60), RELEASED_BY_CALLER);
	for (int second = 70; second < 1000; second++)
		detector_advance(f->detector, T0 + SECONDS(second));
	assert_int_equal(detector_stats(f->detector)->open_alerts, 0);
	assert_int_equal(detector_stats(f->detector)->resolved, 3);
}

/* In a storm every operator has many short calls: against the center, nobody stands out. */
static void test_peer_baseline_ignores_storm(void **state)
{
	struct fixture *f = *state;
	char name[16];

	f->config.detector.rules[0] = window_rule("burst", 3600, 10, 5, 0.4, "warning");
	f->config.detector.rules[0].max_p_value = 0.01;
	reconfigure(f);
	/* Ten operators, each 6 premature of 12 calls. */
	for (int call = 0; call < 12; call++) {
		for (int op = 0; op < 10; op++) {
			snprintf(name, sizeof(name), "op-%d", op);
			add_call(f, name, T0 + SECONDS(200 * call + op), SECONDS(call % 2 ? 2 : 90),
				 call % 2 ? RELEASED_BY_OPERATOR : RELEASED_BY_CALLER);
		}
	}
	assert_int_equal(f->seen_count, 0);
	/* One more operator whose first 10 calls are all premature: against a center at 0.5,
	 * p = P(X >= 10 | 10, 0.5) = 1/1024 fires on the tenth. */
	for (int call = 0; call < 12; call++)
		add_call(f, "bad", T0 + SECONDS(200 * call + 50), SECONDS(call < 10 ? 2 : 90),
			 call < 10 ? RELEASED_BY_OPERATOR : RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 1);
	assert_string_equal(f->seen[0].operator_id, "bad");
	assert_int_equal(f->seen[0].calls, 10);
	assert_int_equal(f->seen[0].premature, 10);
	assert_true(f->seen[0].center_ratio == 0.5);
	assert_true(f->seen[0].p_value == binomial_upper_tail(10, 10, 0.5));
	assert_true(f->seen[0].p_value <= 0.01);
}

static void test_cusum_alarm_and_reset(void **state)
{
	struct fixture *f = *state;
	struct cusum_weights w = cusum_weights(0.1, 3.0);

	f->config.detector.rules[0] = cusum_rule("seq");
	reconfigure(f);
	/* ln 2.5 = 0.916 per premature hangup: the third reaches 2.75 >= 2.5. */
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(60), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 0);
	add_call(f, "op-7", T0 + SECONDS(120), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_true(f->seen[0].has_cusum);
	assert_true(fabs(f->seen[0].cusum - 3 * w.premature) < 1e-12);
	/* Reset after the alarm: two more premature hangups are not enough again. */
	add_call(f, "op-7", T0 + SECONDS(180), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(240), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(detector_stats(f->detector)->firing, 1);
	/* The third does alarm again, but the alert is still open: no repeat, only the updates
	 * that carried each new hangup. */
	add_call(f, "op-7", T0 + SECONDS(300), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 4);
	for (size_t i = 1; i < 4; i++) {
		assert_string_equal(f->seen[i].kind, "update");
		assert_false(f->seen[i].has_cusum);
		assert_int_equal(f->seen[i].callback_count, 1);
	}
	assert_int_equal(detector_stats(f->detector)->firing, 1);
}

/* A CUSUM rule's weights follow its odds ratio through a reload (they are kept between calls
 * while p0 stays the same): two hangups at odds 3, the third at odds 9. */
static void test_cusum_weights_follow_a_reload(void **state)
{
	struct fixture *f = *state;
	struct cusum_weights w3 = cusum_weights(0.1, 3.0), w9 = cusum_weights(0.1, 9.0);

	f->config.detector.rules[0] = cusum_rule("cus");
	reconfigure(f);
	add_call(f, "op-7", T0, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(60), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 0);
	f->config.detector.rules[0].odds_ratio = 9.0;
	assert_int_equal(detector_reconfigure(f->detector, &f->config), 0);
	add_call(f, "op-7", T0 + SECONDS(120), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	assert_true(f->seen[0].has_cusum);
	assert_true(fabs(f->seen[0].cusum - (2 * w3.premature + w9.premature)) < 1e-12);
}

/* A sequential rule: three hangups ending together (no decay anywhere), nobody else on duty
 * (the expectation is the prior, 0.1, times the operator's own factor as it learns). */
static void test_sequential_alert_explains(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	double expected = 0.0, evidence = 0.0;

	*rule = window_rule("seq", 3600, 1, 1, 0.0, "warning");
	rule->type = CONFIG_RULE_SEQUENTIAL;
	rule->cut_share = 0.25;
	rule->threshold = 3.0;
	rule->false_alarm_calls = 0;
	rule->called_back_weight = 4.0;
	rule->history_prior = 20.0;
	rule->max_own_factor = 2.5;
	f->config.detector.baseline.history_settle_seconds = 0; /* each call settles at once */
	reconfigure(f);
	add_call_from(f, "op-7", "5045550001", T0, SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550002", T0 + SECONDS(1), SECONDS(4), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 0);
	add_call_from(f, "op-7", "5045550003", T0 + SECONDS(2), SECONDS(3), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	/* Call n's own factor is (n + 20) / (0.1 n + 20): what the rest (the prior 0.1)
	 * expected of the hangups before it. */
	for (int n = 0; n < 3; n++) {
		double p0 = 0.1 * (n + 20.0) / (0.1 * n + 20.0);
		expected += p0;
		evidence += log((p0 + 0.25 * (1 - p0)) / p0);
	}
	struct seen_alert *firing = &f->seen[0];
	assert_string_equal(firing->kind, "firing");
	assert_true(firing->has_evidence);
	assert_int_equal(firing->calls, 3);
	assert_int_equal(firing->premature, 3);
	assert_true(fabs(firing->expected - expected) < 1e-12);
	assert_true(fabs(firing->expected - 0.313388503) < 1e-9);
	assert_true(fabs(firing->evidence - evidence) < 1e-12);
	assert_true(firing->threshold == 3.0);
	assert_true(fabs(firing->own_factor - 22.0 / 20.2) < 1e-12);
	assert_true(fabs(firing->center_ratio - expected / 3) < 1e-12);
	assert_int_equal(firing->callback_count, 3);
	assert_string_equal(firing->why, "op-7 ended 3 of 3 calls since 2026-11-29T08:00:00.000Z "
					 "early where 0.3 were expected "
					 "(the rest of agency NOPD at the time of each call, times "
					 "1.09 for op-7's own history); "
					 "0 callers rang back; evidence 3.4, alert at 3.0");
	/* A caller rings again: a likelihood ratio of 4 joins the evidence, and the update says
	 * so. */
	detector_caller_rang(f->detector, "5045550002", T0 + SECONDS(100));
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "update");
	assert_int_equal(f->seen[1].called_back, 1);
	assert_true(fabs(f->seen[1].evidence - (evidence + log(4.0))) < 1e-12);
	assert_string_equal(f->sent[3], "update:c2+");
	/* GET /api/operators shows the same run and evidence (the callback's included). */
	struct seen_operator seen[2];

	memset(seen, 0, sizeof seen);
	detector_each_operator(f->detector, record_operator, seen);
	assert_string_equal(seen[0].operator_id, "op-7");
	assert_true(seen[0].rule.sequential);
	assert_int_equal(seen[0].rule.run_calls, 3);
	assert_int_equal(seen[0].rule.run_premature, 3);
	assert_true(fabs(seen[0].rule.expected - 0.313388503) < 1e-9);
	assert_true(fabs(seen[0].rule.evidence - (evidence + log(4.0))) < 1e-12);
	assert_true(fabs(seen[0].rule.evidence - 4.823732) < 1e-6);
	assert_true(seen[0].rule.threshold == 3.0);
	assert_true(fabs(seen[0].rule.own_factor - 22.0 / 20.2) < 1e-12);
	assert_string_equal(seen[1].operator_id, "");
}

/* A sequential rule "seq" as the tests below use it (callback weight 4, own factor at most 2.5,
 * the threshold as given). */
static struct config_rule sequential_rule(double cut_share, double threshold, double history_prior)
{
	struct config_rule rule = window_rule("seq", 3600, 1, 1, 0.0, "warning");

	rule.type = CONFIG_RULE_SEQUENTIAL;
	rule.cut_share = cut_share;
	rule.threshold = threshold;
	rule.false_alarm_calls = 0;
	rule.called_back_weight = 4.0;
	rule.history_prior = history_prior;
	rule.max_own_factor = 2.5;
	return rule;
}

/* own_factor_lag: op-7 alone (the rest is the prior's 0.1), history_prior 20, calls settling
 * at once, nine calls ending together (no decay): a hangup, five real calls, three hangups.
 * Without the lag call n's factor is (O + 20) / (0.1 n + 20), O the hangups before it, the
 * run's own included: 23 / 20.8 at the last. With it the factor is that of the run's first
 * call while the evidence is above 0: 1 through the first run (a hangup, then 5 real calls of
 * ln 0.75 each take 1.18 back to 0 at the sixth call), 21 / 20.6 through the second (the first
 * run's calls learned once it ended). Evidence 3.49 against 3.40 without. */
static void test_sequential_own_factor_lag(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	const bool hangup[9] = { true, false, false, false, false, false, true, true, true };

	*rule = sequential_rule(0.25, 9.0, 20.0);
	f->config.detector.baseline.history_settle_seconds = 0;
	for (int lag = 0; lag < 2; lag++) {
		double observed = 0.0, evidence = 0.0, frozen = 1.0;
		rule->own_factor_lag = lag;
		reconfigure(f);
		for (int n = 0; n < 9; n++) {
			double factor = (observed + 20.0) / (0.1 * n + 20.0);
			if (lag && evidence > 0.0)
				factor = frozen;
			frozen = factor;
			double p0 = 0.1 * factor;
			evidence += hangup[n] ? log((p0 + 0.25 * (1 - p0)) / p0) : log(0.75);
			evidence = evidence > 0.0 ? evidence : 0.0;
			observed += hangup[n];
			char ani[16];
			snprintf(ani, sizeof ani, "50455500%02d", n);
			add_call_from(f, "op-7", ani, T0 + SECONDS(n + 1), SECONDS(19 - n),
				      hangup[n] ? RELEASED_BY_OPERATOR : RELEASED_BY_CALLER);
			struct seen_operator seen[2];
			memset(seen, 0, sizeof seen);
			detector_each_operator(f->detector, record_operator, seen);
			assert_true(fabs(seen[0].rule.own_factor - factor) < 1e-12);
			assert_true(fabs(seen[0].rule.evidence - evidence) < 1e-12);
			if (n == 5) /* the first run is over, either way */
				assert_true(seen[0].rule.evidence == 0.0);
		}
		assert_int_equal(f->seen_count, 0);
		struct seen_operator seen[2];
		memset(seen, 0, sizeof seen);
		detector_each_operator(f->detector, record_operator, seen);
		assert_int_equal(seen[0].rule.run_calls, 3);
		assert_int_equal(seen[0].rule.run_premature, 3);
		if (lag) {
			assert_true(fabs(seen[0].rule.own_factor - 21.0 / 20.6) < 1e-12);
			assert_true(fabs(seen[0].rule.expected - 3 * 2.1 / 20.6) < 1e-12);
			assert_true(fabs(seen[0].rule.evidence - 3.4916837) < 1e-7);
		} else {
			assert_true(fabs(seen[0].rule.own_factor - 23.0 / 20.8) < 1e-12);
			assert_true(fabs(seen[0].rule.evidence - 3.3982585) < 1e-7);
		}
	}
}

/* The same three hangups with a settling history (history_settle_seconds 8 h,
 * history_prior 5): nothing has settled when they end together, and the settled history is
 * not known (below history_settled_min_expected), so the own factor is that of all calls,
 * learned at once: (n + 5) / (0.1 n + 5) for call n; the explanation says the operator's own
 * rate is not known yet. */
static void test_sequential_history_settles(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	double expected = 0.0, evidence = 0.0;

	*rule = sequential_rule(0.25, 3.0, 5.0);
	rule->history_settled_prior = 2.0;
	rule->history_settled_min_expected = 10.0;
	f->config.detector.baseline.history_settle_seconds = 28800;
	reconfigure(f);
	add_call_from(f, "op-7", "5045550001", T0, SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550002", T0 + SECONDS(1), SECONDS(4), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 0);
	add_call_from(f, "op-7", "5045550003", T0 + SECONDS(2), SECONDS(3), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	for (int n = 0; n < 3; n++) {
		double p0 = 0.1 * (n + 5.0) / (0.1 * n + 5.0);
		expected += p0;
		evidence += log((p0 + 0.25 * (1 - p0)) / p0);
	}
	assert_string_equal(f->seen[0].kind, "firing");
	assert_true(fabs(f->seen[0].own_factor - 7.0 / 5.2) < 1e-12);
	assert_true(fabs(f->seen[0].expected - expected) < 1e-12);
	assert_true(fabs(f->seen[0].evidence - evidence) < 1e-12);
	assert_true(fabs(f->seen[0].evidence - 3.1929626) < 1e-7);
	assert_string_equal(f->seen[0].why,
			    "op-7 ended 3 of 3 calls since 2026-11-29T08:00:00.000Z early where "
			    "0.4 were expected "
			    "(the rest of agency NOPD at the time of each call, times 1.35 for "
			    "op-7's own history, too short yet to tell their own rate: a position "
			    "that honestly gets many silent calls looks the same); "
			    "0 callers rang back; evidence 3.2, alert at 3.0");
}

/* The settled history's own factor: op-7 ends a call early every hour, nobody else on duty
 * (the rest is the prior's 0.1); calls settle with a 60 s half-life and the settled history
 * counts from 0.05 expected hangups. At each call the settled factor with
 * history_settled_prior 2, (O + 2) / (E + 2), is above the all-calls one with history_prior
 * 20, (O + 20) / (E + 20), and is used: 1.43 at the second call, 1.81 at the third (O the
 * earlier hangups decayed by d = 2^(-1 h / 1 week) an hour, E a tenth of it); the third
 * fires (threshold 2.5). With history_settled_prior 0 the all-calls factor (1.04, 1.09). */
static void test_sequential_settled_history_factor(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	double d = exp2(-3600.0 / 604800.0);
	double observed[3] = { 0.0, d, d * d + d };

	*rule = sequential_rule(0.25, 2.5, 20.0);
	rule->history_settled_min_expected = 0.05;
	f->config.detector.baseline.history_settle_seconds = 60;
	for (int pass = 0; pass < 2; pass++) {
		double prior = pass == 0 ? 2.0 : 20.0, expected = 0.0, evidence = 0.0, factor = 1.0;
		rule->history_settled_prior = pass == 0 ? 2.0 : 0.0;
		reconfigure(f);
		f->seen_count = 0;
		for (int k = 0; k < 3; k++) {
			factor = (observed[k] + prior) / (0.1 * observed[k] + prior);
			double p0 = 0.1 * factor;
			expected += p0;
			evidence += log((p0 + 0.25 * (1 - p0)) / p0);
			add_call(f, "op-7", T0 + SECONDS(3600 * k), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			assert_int_equal(f->seen_count, k == 2);
		}
		assert_string_equal(f->seen[0].kind, "firing");
		assert_true(fabs(f->seen[0].own_factor - factor) < 1e-12);
		assert_true(fabs(f->seen[0].expected - expected) < 1e-12);
		assert_true(fabs(f->seen[0].evidence - evidence) < 1e-12);
		if (pass == 0) {
			/* the settled history is known: the factor is op-7's own rate */
			assert_string_equal(
				f->seen[0].why,
				"op-7 ended 3 of 3 calls since 2026-11-29T08:00:00.000Z "
				"early where 0.4 were expected (the rest of agency NOPD at "
				"the time of each call, times 1.81 for op-7's own "
				"history); 0 callers rang back; evidence 2.9, alert at 2.5");
			assert_true(fabs(factor - 1.8135918) < 1e-7);
			assert_true(fabs(evidence - 2.8511781) < 1e-7);
		} else {
			assert_true(fabs(factor - 1.0885647) < 1e-7);
			assert_true(fabs(evidence - 3.4379479) < 1e-7);
		}
	}
}

/* op-1's run of six calls in the storm-gate tests: its expectation and evidence. */
static void assert_op1_burst(struct fixture *f, double expected, double evidence)
{
	struct seen_operator seen[3];

	memset(seen, 0, sizeof seen);
	detector_each_operator(f->detector, record_operator, seen);
	struct seen_operator *op1 = strcmp(seen[0].operator_id, "op-1") ? &seen[1] : seen;
	assert_string_equal(op1->operator_id, "op-1");
	assert_int_equal(op1->rule.run_calls, 6);
	assert_true(fabs(op1->rule.expected - expected) < 1e-9);
	assert_true(fabs(op1->rule.evidence - evidence) < 1e-9);
}

/* storm_volume_factor: op-2 answers a real call a minute for 20 minutes (the agency's usual
 * volume, at a 600 s half-life), then a storm: op-2 answers a real call every 10 s and op-1
 * ends six calls early 10 s apart. Once the rest of the agency's calls per hour over the
 * last minutes (op-2's, at a 60 s half-life) reach twice its usual ones, op-1's own calls
 * count in the fast rate they are judged against: the run's expectation rises from 0.367 to
 * 1.127 (the evidence falls from 9.46 to 6.25). Off (factor 0) or with a factor above the
 * surge, the expectation is the one without the gate; and without op-2's storm calls op-1's
 * own burst raises no surge: 0.392 and 9.14, what factor 0 gives for the same calls (a
 * rogue's cut-offs do not hide themselves). */
static void test_sequential_storm_volume_gate(void **state)
{
	struct fixture *f = *state;
	const double factors[4] = { 0.0, 2.0, 20.0, 2.0 };
	const double expected[4] = { 0.3668663330, 1.1265116242, 0.3668663330, 0.3919133271 };
	const double evidence[4] = { 9.4623501188, 6.2487332639, 9.4623501188, 9.1432844878 };

	for (int pass = 0; pass < 4; pass++) {
		f->config.detector.rules[0] = sequential_rule(0.25, 50.0, 20.0);
		f->config.detector.baseline.fast_half_life_seconds = 60;
		f->config.detector.baseline.storm_usual_half_life_seconds = 600;
		f->config.detector.baseline.storm_volume_factor = factors[pass];
		reconfigure(f);
		for (int k = 0; k < 20; k++)
			add_call(f, "op-2", T0 + SECONDS(60 * k), SECONDS(30), RELEASED_BY_CALLER);
		for (int j = 0; j < 6; j++) {
			if (pass < 3)
				add_call(f, "op-2", T0 + SECONDS(1195 + 10 * j), SECONDS(30),
					 RELEASED_BY_CALLER);
			add_call(f, "op-1", T0 + SECONDS(1200 + 10 * j), SECONDS(3),
				 RELEASED_BY_OPERATOR);
		}
		assert_op1_burst(f, expected[pass], evidence[pass]);
	}
}

/* A call_offered of agency NOPD at ts_ms. */
static void offered_at(struct fixture *f, int64_t ts_ms)
{
	struct event event = { .type = EVENT_CALL_OFFERED, .ts_ms = ts_ms };

	snprintf(event.call_id, sizeof(event.call_id), "q%d", ++f->call_number);
	snprintf(event.agency, sizeof(event.agency), "NOPD");
	detector_call_offered(f->detector, &event, "");
}

/* The offered gate, on test_sequential_storm_volume_gate's calls (both factors 2): when the
 * agency sends call_offered events, their surge opens the gate instead of the answered volume's.
 * Pass 0: a call offered at each usual call's start, then three every 10 s in the storm, and
 * op-2 answers no storm call: the answered volume shows no surge (0.39 and 9.14 there), the
 * offered one does, and op-1's burst is judged with its own calls kept (expectation 2.98,
 * evidence 2.58). The gate's weight is the larger of the two gates': pass 1, op-2's storm calls
 * while the offered calls go on at their usual one a minute (a trickle: no offered surge), and
 * pass 5, the same storm after the offered calls stopped at 1140 s (an outage of the arrivals:
 * their surge decays), both open by the answered gate (its 1.127, 6.25; the offered gate alone
 * kept it shut: 0.367, 9.46). Passes 2 and 3 fall back to the answered gate (the same values):
 * the last offered call more than storm_usual_half_life_seconds (600 s) before, or offered
 * calls for less than 600 s in all. Pass 4 is pass 0 with storm_offered_factor 0: the answered
 * gate, closed (0.39, 9.14). No pass makes an operator of the offered calls. */
static void test_sequential_storm_offered_gate(void **state)
{
	struct fixture *f = *state;
	const double expected[6] = { 2.9794002050, 1.1265116242, 1.1265116242, 1.1265116242,
				     0.3919133271, 1.1265116242 };
	const double evidence[6] = { 2.5803625153, 6.2487332639, 6.2487332639, 6.2487332639,
				     9.1432844878, 6.2487332639 };
	const uint64_t offered[6] = { 38, 21, 1, 26, 38, 20 };

	for (int pass = 0; pass < 6; pass++) {
		f->config.detector.rules[0] = sequential_rule(0.25, 50.0, 20.0);
		f->config.detector.baseline.fast_half_life_seconds = 60;
		f->config.detector.baseline.storm_usual_half_life_seconds = 600;
		f->config.detector.baseline.storm_volume_factor = 2.0;
		f->config.detector.baseline.storm_offered_factor = pass == 4 ? 0.0 : 2.0;
		reconfigure(f);
		for (int k = 0; k < 20; k++) {
			/* after the call: an agency without an answered call counts no arrival */
			add_call(f, "op-2", T0 + SECONDS(60 * k), SECONDS(30), RELEASED_BY_CALLER);
			if (pass < 2 || pass >= 4 || (pass == 2 && k == 0))
				offered_at(f, T0 + SECONDS(60 * k));
		}
		for (int q = 0; q < 20 && pass == 3; q++)
			offered_at(f, T0 + SECONDS(1000 + 10 * q));
		for (int j = 0; j < 6; j++) {
			for (int q = 0; q < 3 && (pass == 0 || pass == 4); q++)
				offered_at(f, T0 + SECONDS(1190 + 10 * j + 3 * q));
			if (pass == 1 && j == 0)
				offered_at(f, T0 + SECONDS(1200));
			if (pass != 0 && pass != 4)
				add_call(f, "op-2", T0 + SECONDS(1195 + 10 * j), SECONDS(30),
					 RELEASED_BY_CALLER);
			if (pass == 3)
				offered_at(f, T0 + SECONDS(1199 + 10 * j));
			add_call(f, "op-1", T0 + SECONDS(1200 + 10 * j), SECONDS(3),
				 RELEASED_BY_OPERATOR);
		}
		assert_op1_burst(f, expected[pass], evidence[pass]);
		assert_int_equal(detector_stats(f->detector)->offered, offered[pass]);
		assert_int_equal(detector_stats(f->detector)->operators, 2); /* no operator made */
	}
}

/* A call of operator_id from feed source (NULL: the unnamed stream). */
static void add_call_of(struct fixture *f, const char *source, const char *operator_id,
			int64_t start_ms, int64_t talk_ms, enum released_by who)
{
	char call_id[32];
	struct completed_call call = {
		.call_id = call_id, .operator_id = operator_id, .agency = "NOPD", .position = "P3",
		.ani = "5045550101", .start_ms = start_ms, .end_ms = start_ms + talk_ms,
		.released_by = who, .source = source};

	snprintf(call_id, sizeof(call_id), "c%d", ++f->call_number);
	assert_int_equal(detector_add_call(f->detector, &call), DETECTOR_ADDED);
}

/* A call whose shared baseline is made after its source's own (the source's kept for
 * source_depart_z) takes the source's up again: making the shared one may have grown the table
 * (or evicted), moving the source's. Here the 33rd baseline, NOPD-15's shared one, doubles the
 * table of 64 slots right after NOPD-15's own (by cad-1) was made: taken from the slots freed,
 * the source's baseline was a use after free (ASan). */
static void test_source_baseline_after_shared_one_grew(void **state)
{
	struct fixture *f = *state;
	char agency[16];

	assert_true(f->config.detector.baseline.source_depart_z > 0.0);
	for (int i = 0; i < 16; i++) {
		snprintf(agency, sizeof(agency), "NOPD-%d", i);
		for (int source = 1; source <= (i == 0 ? 2 : 1); source++) {
			/* NOPD-0: cad-1's, the shared and cad-2's; then two a call: 3 + 2 x 15 */
			char call_id[32];
			struct completed_call call = {
				.call_id = call_id, .operator_id = "op-1", .agency = agency,
				.position = "P3", .ani = "5045550101",
				.start_ms = T0 + SECONDS(60 * (2 * i + source)),
				.end_ms = T0 + SECONDS(60 * (2 * i + source) + 45),
				.released_by = RELEASED_BY_CALLER,
				.source = source == 1 ? "cad-1" : "cad-2"};
			snprintf(call_id, sizeof(call_id), "c%d", ++f->call_number);
			assert_int_equal(detector_add_call(f->detector, &call), DETECTOR_ADDED);
		}
	}
	assert_int_equal(detector_stats(f->detector)->baselines_evicted, 0);
}

/* With detector.baseline.per_source, a source's call_offered lines count in its own baseline of
 * the agency: cad-1's arrivals once cad-1 has answered a NOPD call; acd's (a source that sends
 * arrivals only) in offered_unknown, making no baseline. Without per_source both count. */
static void test_offered_per_source(void **state)
{
	struct fixture *f = *state;
	struct event event = { .type = EVENT_CALL_OFFERED, .ts_ms = T0 + SECONDS(120) };

	snprintf(event.agency, sizeof(event.agency), "NOPD");
	for (int per_source = 1; per_source >= 0; per_source--) {
		f->config.detector.baseline.per_source = per_source;
		reconfigure(f);
		uint64_t offered = detector_stats(f->detector)->offered;
		uint64_t unknown = detector_stats(f->detector)->offered_unknown;
		add_call_of(f, "cad-1", "op-1", T0 + SECONDS(60 * (1 - per_source)), SECONDS(45),
			    RELEASED_BY_CALLER);
		snprintf(event.call_id, sizeof(event.call_id), "q%d", ++f->call_number);
		detector_call_offered(f->detector, &event, "cad-1");
		snprintf(event.call_id, sizeof(event.call_id), "q%d", ++f->call_number);
		detector_call_offered(f->detector, &event, "acd");
		assert_int_equal(detector_stats(f->detector)->offered - offered,
				 per_source ? 1 : 2);
		assert_int_equal(detector_stats(f->detector)->offered_unknown - unknown,
				 per_source ? 1 : 0);
	}
}

/* detector.baseline.per_source: op-1 (feed cad-1) ends 6 of 12 calls early among op-2's real
 * calls (cad-1 too) while fl-1, of another source cad-evil, ends a call early every 20 s for
 * the last 16 minutes. With one baseline for the agency (per_source false) the flood hides
 * op-1: its evidence, 8.48 over a run of 11 calls (6 early, 0.621 expected) without the
 * flood, is 0.109 after a run of its last hangup alone (0.684 expected for that one call).
 * Per source, op-1 is judged against cad-1's calls alone: the figures without the flood, to
 * the bit. One source (cad-1 alone, or the unnamed stream) gives the same figures either way.
 * Passes 0-4 with the source cap off; with it (source_cap_z 1.5, passes 5-7) the flooded op-1
 * is judged against at most cad-1's own bound: 3.53 of evidence, 1.92 expected over 11 calls;
 * one source alone is not capped: the figures without the flood, to the bit. */
static void test_sequential_baseline_per_source(void **state)
{
	struct fixture *f = *state;
	const struct {
		bool per_source, flood;
		const char *source;
		double cap_z;
	} passes[8] = { { false, false, NULL, 0 },    { false, true, "cad-1", 0 },
			{ true, true, "cad-1", 0 },   { true, false, "cad-1", 0 },
			{ true, false, NULL, 0 },     { false, true, "cad-1", 1.5 },
			{ false, false, "cad-1", 1.5 }, { false, false, NULL, 1.5 } };
	double expected[8], evidence[8];

	for (int pass = 0; pass < 8; pass++) {
		struct seen_operator seen[4];
		f->config.detector.rules[0] = sequential_rule(0.25, 50.0, 20.0);
		f->config.detector.baseline.per_source = passes[pass].per_source;
		f->config.detector.baseline.source_cap_z = passes[pass].cap_z;
		reconfigure(f);
		for (int k = 0; k < 40; k++) {
			int64_t at_ms = T0 + SECONDS(60 * k);
			add_call_of(f, passes[pass].source, "op-2", at_ms, SECONDS(45),
				    RELEASED_BY_CALLER);
			if (k >= 28)
				add_call_of(f, passes[pass].source, "op-1", at_ms + SECONDS(5),
					    k % 2 ? SECONDS(4) : SECONDS(40), k % 2
						    ? RELEASED_BY_OPERATOR : RELEASED_BY_CALLER);
			for (int j = 0; passes[pass].flood && k >= 24 && j < 3; j++)
				add_call_of(f, "cad-evil", "fl-1", at_ms + SECONDS(20 * j + 1),
					    SECONDS(3), RELEASED_BY_OPERATOR);
		}
		memset(seen, 0, sizeof seen);
		detector_each_operator(f->detector, record_operator, seen);
		int i = 0;
		while (strcmp(seen[i].operator_id, "op-1") != 0)
			i++;
		/* hidden by the flood, op-1's run starts again at its last hangup */
		assert_int_equal(seen[i].rule.run_calls, pass == 1 ? 1 : 11);
		assert_int_equal(seen[i].rule.run_premature, pass == 1 ? 1 : 6);
		expected[pass] = seen[i].rule.expected;
		evidence[pass] = seen[i].rule.evidence;
	}
	assert_true(fabs(expected[0] - 0.6213004475) < 1e-9);
	assert_true(fabs(evidence[0] - 8.4815965050) < 1e-9);
	assert_true(fabs(expected[1] - 0.6838415437) < 1e-9);
	assert_true(fabs(evidence[1] - 0.1093760331) < 1e-9);
	/* capped by cad-1's own baseline (op-2's calls): the flood raises op-1's expectation
	 * only to the bound cad-1's calls allow */
	assert_true(fabs(expected[5] - 1.9224016794) < 1e-9);
	assert_true(fabs(evidence[5] - 3.5295341931) < 1e-9);
	for (int pass = 2; pass < 8; pass++) {
		if (pass == 5)
			continue;
		assert_true(expected[pass] == expected[0]);
		assert_true(evidence[pass] == evidence[0]);
	}
}

/* The threshold per hour: op-7 takes a real call every 30 minutes for two hours, then cuts
 * three callers off a minute apart (evidence 1.70, 3.39, 5.04 at cut_share 0.5). Its calls per
 * hour before each give h = 3.25, 3.54, then ln(10 * 4.31) = 3.76 instead of 6, so the third
 * hangup fires; without false_alarm_hours it does not. */
static void test_sequential_hourly_threshold(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	struct sequential_rate rate = { 0, 0, INT64_MIN, 0, 0 };
	int64_t first_end_ms = T0 + SECONDS(90), end_ms = 0;

	*rule = sequential_rule(0.5, 6.0, 20.0);
	rule->false_alarm_hours = 10;
	rule->rate_half_life_seconds = 3600;
	f->config.detector.baseline.history_settle_seconds = 0; /* each call settles at once */
	for (int pass = 0; pass < 2; pass++) {
		reconfigure(f);
		for (int k = 0; k <= 4; k++) {
			add_call(f, "op-7", T0 + SECONDS(1800 * k), SECONDS(90),
				 RELEASED_BY_CALLER);
			if (pass == 0)
				sequential_rate_add(&rate, T0 + SECONDS(1800 * k + 90), 3600,
						    false);
		}
		for (int j = 0; j < 3; j++) {
			end_ms = T0 + SECONDS(7300 + 60 * j + 5);
			if (pass == 0 && j < 2)
				assert_int_equal(f->seen_count, 0);
			add_call(f, "op-7", T0 + SECONDS(7300 + 60 * j), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			if (pass == 0 && j < 2)
				sequential_rate_add(&rate, end_ms, 3600, false);
		}
		if (pass == 1) {
			assert_int_equal(f->seen_count, 0);
			break;
		}
		assert_int_equal(f->seen_count, 1);
		sequential_rate_advance(&rate, end_ms, 3600);
		double per_hour = sequential_calls_per_hour(
			&rate, (double)(end_ms - first_end_ms) / 1000.0, 3600);
		assert_true(fabs(per_hour - 4.3107520) < 1e-6);
		assert_true(fabs(f->seen[0].evidence - 5.0413854) < 1e-6);
		assert_string_equal(f->seen[0].kind, "firing");
		assert_true(fabs(f->seen[0].threshold - log(10.0 * per_hour)) < 1e-12);
		assert_true(f->seen[0].evidence >= f->seen[0].threshold);
		rule->false_alarm_hours = 0;
		f->seen_count = 0;
	}
}

/* hourly_raises: op-7 takes a real call every 3 minutes for two hours (about 20 an hour),
 * then cuts callers off a minute apart, each adding ln 5.5 = 1.70 (p0 the prior 0.10,
 * cut_share 0.5). Without it the threshold stays 6 and the fourth cut-off fires (6.82); with
 * it a busy hour raises it to ln(100 * 22.8) = 7.73 and the fifth fires (8.52). */
static void test_sequential_hourly_raises(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];

	*rule = sequential_rule(0.5, 6.0, 20.0);
	rule->false_alarm_hours = 100;
	rule->rate_half_life_seconds = 3600;
	for (int raises = 0; raises < 2; raises++) {
		struct sequential_rate rate = { 0, 0, INT64_MIN, 0, 0 };
		int64_t first_end_ms = T0 + SECONDS(90), end_ms = 0;
		int fired_at = -1;
		rule->hourly_raises = raises;
		reconfigure(f);
		f->seen_count = 0;
		for (int k = 0; k <= 40; k++) {
			add_call(f, "op-7", T0 + SECONDS(180 * k), SECONDS(90), RELEASED_BY_CALLER);
			sequential_rate_add(&rate, T0 + SECONDS(180 * k + 90), 3600, false);
		}
		for (int j = 0; j < 5 && fired_at < 0; j++) {
			end_ms = T0 + SECONDS(7300 + 60 * j + 5);
			sequential_rate_advance(&rate, end_ms, 3600);
			double per_hour = sequential_calls_per_hour(
				&rate, (double)(end_ms - first_end_ms) / 1000.0, 3600);
			add_call(f, "op-7", T0 + SECONDS(7300 + 60 * j), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			sequential_rate_add(&rate, end_ms, 3600, false);
			if (f->seen_count == 0)
				continue;
			fired_at = j;
			assert_string_equal(f->seen[0].kind, "firing");
			assert_true(fabs(f->seen[0].evidence - (j + 1) * log(5.5)) < 1e-9);
			if (raises) {
				assert_true(fabs(per_hour - 22.8209883) < 1e-6);
				assert_true(fabs(f->seen[0].threshold - log(100.0 * per_hour)) <
					    1e-12);
			} else {
				assert_true(f->seen[0].threshold == 6.0);
			}
		}
		assert_int_equal(fired_at, raises ? 4 : 3);
	}
}

/* max_calls_per_hour: the same busy two hours (22.8 calls an hour) with the cap at 5 count as
 * 5 calls an hour: the threshold is ln(100 * 5) = 6.21, not 7.73, and the fourth cut-off
 * fires (6.82), as without hourly_raises; a cap of 60 leaves 7.73 and the fifth. */
static void test_sequential_max_calls_per_hour(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	const uint32_t caps[] = { 5, 60 };

	*rule = sequential_rule(0.5, 6.0, 20.0);
	rule->false_alarm_hours = 100;
	rule->rate_half_life_seconds = 3600;
	rule->hourly_raises = true;
	for (size_t c = 0; c < 2; c++) {
		rule->max_calls_per_hour = caps[c];
		reconfigure(f);
		f->seen_count = 0;
		for (int k = 0; k <= 40; k++)
			add_call(f, "op-7", T0 + SECONDS(180 * k), SECONDS(90), RELEASED_BY_CALLER);
		int fired_at = -1;
		for (int j = 0; j < 5 && fired_at < 0; j++) {
			add_call(f, "op-7", T0 + SECONDS(7300 + 60 * j), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			if (f->seen_count > 0)
				fired_at = j;
		}
		assert_int_equal(f->seen_count, 1);
		assert_string_equal(f->seen[0].kind, "firing");
		assert_true(fabs(f->seen[0].evidence - (fired_at + 1) * log(5.5)) < 1e-9);
		if (caps[c] == 5) {
			assert_int_equal(fired_at, 3);
			assert_true(fabs(f->seen[0].threshold - log(500.0)) < 1e-12);
		} else {
			assert_int_equal(fired_at, 4);
			assert_true(fabs(f->seen[0].threshold - log(100.0 * 22.8209883)) < 1e-6);
		}
	}
}

/* op-7 logs on or off (operator_state) at ts_ms. */
static void operator_state_at(struct fixture *f, enum agent_state agent_state, int64_t ts_ms)
{
	struct event event = { .type = EVENT_OPERATOR_STATE, .ts_ms = ts_ms, .state = agent_state };

	snprintf(event.operator_id, sizeof(event.operator_id), "op-7");
	snprintf(event.agency, sizeof(event.agency), "NOPD");
	snprintf(event.position, sizeof(event.position), "P3");
	detector_operator_state(f->detector, &event);
}

/* op-7's evidence as detector_each_operator shows it. */
static double op7_evidence(struct fixture *f)
{
	struct seen_operator seen[2];

	memset(seen, 0, sizeof(seen));
	detector_each_operator(f->detector, record_operator, seen);
	assert_string_equal(seen[0].operator_id, "op-7");
	return seen[0].rule.evidence;
}

/* op-7's calls per hour before a call ending at end_ms, as step_hourly_threshold counts them,
 * replayed on *rate (first: the clock's start, INT64_MIN before the first call). */
static double replay_per_hour(struct sequential_rate *rate, int64_t *first, int64_t end_ms,
			      int64_t max_gap_ms)
{
	if (*first == INT64_MIN) {
		*first = end_ms;
		*rate = (struct sequential_rate){ 0, 0, end_ms, 0, 0 };
	}
	sequential_rate_skip_gap(rate, first, end_ms, max_gap_ms);
	sequential_rate_advance(rate, end_ms, 3600);
	double per_hour = sequential_calls_per_hour(rate, (double)(end_ms - *first) / 1000.0, 3600);
	sequential_rate_add(rate, end_ms, 3600, false);
	return per_hour;
}

/* The evidence across a logoff and 16 hours off: op-7 (alone: every call's expectation is the
 * prior 0.10, own factor 1) takes a real call every 10 minutes for 7 h 20 min, each adding
 * ln 0.5 (floored at 0), then cuts two callers off (2 ln 5.5 = 3.41, below h = ln(100 * 6)),
 * logs off, and logs on 16 h later: the evidence is still 2 ln 5.5 (nothing decays while
 * away). The next cut-off makes it 3 ln 5.5 = 5.11. With rate_max_gap_seconds 0 the calls per
 * hour decayed over the gap (below 1: h = ln(100 * 1) = 4.61) and it fires; with 3600 the gap
 * counts one hour (about 4.2 calls an hour: h = 6.03) and the second cut-off (6.82) fires. */
static void test_sequential_evidence_across_shifts(void **state)
{
	struct fixture *f = *state;
	struct config_rule *rule = &f->config.detector.rules[0];
	const int64_t logon_ms = T0 + SECONDS(24 * 3600);

	*rule = sequential_rule(0.5, 6.0, 20.0);
	rule->max_own_factor = 1.0;
	rule->false_alarm_hours = 100;
	rule->rate_half_life_seconds = 3600;
	rule->hourly_raises = true;
	for (int pass = 0; pass < 2; pass++) {
		struct sequential_rate rate;
		int64_t first = INT64_MIN, max_gap_ms = pass ? SECONDS(3600) : 0;
		double per_hour = 0.0;
		rule->rate_max_gap_seconds = pass ? 3600 : 0;
		reconfigure(f);
		f->seen_count = 0;
		for (int k = 0; k < 45; k++) {
			add_call(f, "op-7", T0 + SECONDS(600 * k), SECONDS(90), RELEASED_BY_CALLER);
			replay_per_hour(&rate, &first, T0 + SECONDS(600 * k + 90), max_gap_ms);
		}
		for (int j = 0; j < 2; j++) {
			add_call(f, "op-7", T0 + SECONDS(27000 + 60 * j), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			replay_per_hour(&rate, &first, T0 + SECONDS(27000 + 60 * j + 5),
					max_gap_ms);
		}
		assert_int_equal(f->seen_count, 0);
		operator_state_at(f, AGENT_STATE_LOGGED_OFF, T0 + SECONDS(9 * 3600));
		detector_advance(f->detector, logon_ms - SECONDS(60));
		operator_state_at(f, AGENT_STATE_LOGGED_ON, logon_ms - SECONDS(60));
		assert_true(fabs(op7_evidence(f) - 2 * log(5.5)) < 1e-12);
		for (int j = 0; j < 2 && f->seen_count == 0; j++) {
			per_hour = replay_per_hour(&rate, &first, logon_ms + SECONDS(60 * j + 5),
						   max_gap_ms);
			add_call(f, "op-7", logon_ms + SECONDS(60 * j), SECONDS(5),
				 RELEASED_BY_OPERATOR);
			assert_true(fabs(op7_evidence(f) - (3 + j) * log(5.5)) < 1e-12);
			assert_int_equal(f->seen_count, pass == 0 || j == 1);
		}
		assert_string_equal(f->seen[0].kind, "firing");
		if (pass == 0) {
			assert_true(per_hour < 1e-3);
			assert_true(fabs(f->seen[0].threshold - log(100.0)) < 1e-12);
			assert_true(fabs(f->seen[0].evidence - 3 * log(5.5)) < 1e-12);
		} else {
			assert_true(fabs(per_hour - 4.1733991) < 1e-6);
			assert_true(fabs(f->seen[0].threshold - log(100.0 * per_hour)) < 1e-12);
			assert_true(fabs(f->seen[0].evidence - 4 * log(5.5)) < 1e-12);
		}
	}
}

static void test_repeat_caller_marks_hangup(void **state)
{
	struct fixture *f = *state;

	f->config.detector.rules[0].min_called_back = 1;
	reconfigure(f);
	add_call_from(f, "op-7", "5045550001", T0, SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550002", T0 + SECONDS(60), SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550003", T0 + SECONDS(120), SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550004", T0 + SECONDS(180), SECONDS(90), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 0); /* 3 of 4, but nobody called back */
	/* A different number, and the right number too late (cut off at T0+65 s, 301 s ago). */
	detector_caller_rang(f->detector, "5045559999", T0 + SECONDS(300));
	detector_caller_rang(f->detector, "5045550002", T0 + SECONDS(366));
	assert_int_equal(f->seen_count, 0);
	/* The third caller rings again 295 s after being cut off. */
	detector_caller_rang(f->detector, "5045550003", T0 + SECONDS(420));
	assert_int_equal(f->seen_count, 1);
	assert_int_equal(f->seen[0].called_back, 1);
	assert_int_equal(f->seen[0].callback_count, 3);
	assert_false(f->seen[0].callbacks[1].called_back);
	assert_true(f->seen[0].callbacks[2].called_back);
	assert_int_equal(detector_stats(f->detector)->called_back, 1);
	/* One redial marks once. */
	detector_caller_rang(f->detector, "5045550003", T0 + SECONDS(421));
	assert_int_equal(detector_stats(f->detector)->called_back, 1);
}

/* Rules "early" (warning) and "sure" (critical) over 600 s. */
static void two_rules(struct fixture *f)
{
	f->config.detector.rule_count = 2;
	f->config.detector.rules[0] = window_rule("early", 600, 3, 3, 0.5, "warning");
	f->config.detector.rules[1] = window_rule("sure", 600, 10, 10, 0.7, "critical");
	reconfigure(f);
}

/* Every premature call of the episode reaches a notice once: 3 in the firing, the 12 later
 * ones in updates and the escalation, none twice, in the order they happened. */
static void test_every_hangup_after_firing_is_sent_once(void **state)
{
	struct fixture *f = *state;

	two_rules(f);
	for (int i = 0; i < 3; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	/* 12 more, some in the same second (c6 and c7 both end at T0+52 s). */
	static const int start_seconds[12] = {30, 40, 50, 50, 60, 70, 80, 90, 100, 110, 120, 130};
	for (int i = 0; i < 12; i++)
		add_call(f, "op-7", T0 + SECONDS(start_seconds[i]), SECONDS(2),
			 RELEASED_BY_OPERATOR);
	detector_advance(f->detector, T0 + SECONDS(200));
	static const char *const expected[] = {
		"firing:c3", "firing:c2", "firing:c1", "update:c4", "update:c5", "update:c6",
		"update:c8", "update:c7", "update:c9", "escalated:c10", "update:c11", "update:c12",
		"update:c13", "update:c14", "update:c15",
	};
	assert_int_equal(f->sent_count, 15);
	for (size_t i = 0; i < 15; i++)
		assert_string_equal(f->sent[i], expected[i]);
	/* c7 ended in the same second as c6's update: it waited for the next second (c8's). */
	assert_string_equal(f->seen[4].kind, "update");
	assert_int_equal(f->seen[4].callback_count, 2);
	assert_string_equal(f->seen[4].callbacks[0].call_id, "c8");
	assert_string_equal(f->seen[4].callbacks[1].call_id, "c7");
	assert_string_equal(f->seen[6].kind, "escalated");
	assert_int_equal(f->seen[6].calls, 10);
	assert_int_equal(detector_stats(f->detector)->updates, 10);
	assert_int_equal(detector_stats(f->detector)->alert_callbacks_evicted, 0);
}

/* More hangups in one second than one update: coalesced into the next second, never lost;
 * at most one update per alert per second of event time. */
static void test_updates_coalesced_per_second(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1); /* firing at T0+32 s */
	/* Three hangups ending within T0+40 s: one update at once, two waiting. */
	add_call(f, "op-7", T0 + SECONDS(38), SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(38) + 200, SECONDS(2), RELEASED_BY_OPERATOR);
	add_call(f, "op-7", T0 + SECONDS(38) + 900, SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 2);
	assert_int_equal(f->seen[1].callback_count, 1);
	assert_string_equal(f->seen[1].callbacks[0].call_id, "c5");
	/* Still in that second: nothing. The next second's tick sends both. */
	detector_advance(f->detector, T0 + SECONDS(41) - 1);
	assert_int_equal(f->seen_count, 2);
	detector_advance(f->detector, T0 + SECONDS(41));
	assert_int_equal(f->seen_count, 3);
	assert_string_equal(f->seen[2].kind, "update");
	assert_int_equal(f->seen[2].ts_ms, T0 + SECONDS(41));
	assert_int_equal(f->seen[2].callback_count, 2);
	assert_string_equal(f->seen[2].callbacks[0].call_id, "c7");
	assert_string_equal(f->seen[2].callbacks[1].call_id, "c6");
	detector_advance(f->detector, T0 + SECONDS(60));
	assert_int_equal(f->seen_count, 3);
}

/* A callback already sent whose caller rings again is sent once more, marked; a redial of a
 * callback not sent yet goes out once, already marked. */
static void test_called_back_update_once(void **state)
{
	struct fixture *f = *state;

	add_call_from(f, "op-7", "5045550001", T0, SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550002", T0 + SECONDS(60), SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550003", T0 + SECONDS(120), SECONDS(5), RELEASED_BY_OPERATOR);
	add_call_from(f, "op-7", "5045550004", T0 + SECONDS(180), SECONDS(90), RELEASED_BY_CALLER);
	assert_int_equal(f->seen_count, 1);
	detector_caller_rang(f->detector, "5045550002", T0 + SECONDS(300));
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "update");
	assert_int_equal(f->seen[1].called_back, 1);
	assert_int_equal(f->seen[1].callback_count, 1);
	assert_string_equal(f->seen[1].callbacks[0].call_id, "c2");
	assert_true(f->seen[1].callbacks[0].called_back);
	/* The same number again: already marked, nothing more. */
	detector_caller_rang(f->detector, "5045550002", T0 + SECONDS(310));
	detector_advance(f->detector, T0 + SECONDS(400));
	assert_int_equal(f->seen_count, 2);
	static const char *const expected[] = {"firing:c3", "firing:c2", "firing:c1", "update:c2+"};
	assert_int_equal(f->sent_count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(f->sent[i], expected[i]);
}

static void ack_by(struct fixture *f, const char *alert_id, const char *by, int64_t ts_ms,
		   enum detector_ack_result expected)
{
	const struct alert_ack ack = {.by = by, .note = "on it", .ts_ms = ts_ms};

	assert_int_equal(detector_acknowledge(f->detector, alert_id, &ack), expected);
}

/* The detector saved, loaded into a new one (replacing f->detector) and saved again: the same
 * bytes. */
static void save_load_same_bytes(struct fixture *f)
{
	struct codec_writer saved = {0}, again = {0};
	struct codec_reader reader;
	struct detector *loaded = detector_new(&f->config, record_alert, f);

	assert_non_null(loaded);
	detector_save(f->detector, &saved);
	codec_reader_init(&reader, saved.data, saved.len);
	assert_int_equal(detector_load(loaded, &reader), 0);
	detector_save(loaded, &again);
	assert_int_equal(again.len, saved.len);
	assert_memory_equal(again.data, saved.data, saved.len);
	detector_free(f->detector);
	f->detector = loaded;
	codec_writer_release(&saved);
	codec_writer_release(&again);
}

/* An alert's acknowledgement record exists only once acknowledged: snapshots save an absent
 * one as an empty record and load it back as absent; a taken one (also of an earlier alert of
 * the same call-taker) comes back whole. */
static void test_acknowledgement_record_through_snapshots(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	char alert_id[ALERT_ID_LENGTH + 1];
	snprintf(alert_id, sizeof(alert_id), "%s", f->seen[0].alert_id);
	save_load_same_bytes(f);
	ack_by(f, alert_id, "sup-1", T0 + SECONDS(40), DETECTOR_ACK_FIRST);
	save_load_same_bytes(f);
	ack_by(f, alert_id, "sup-2", T0 + SECONDS(50), DETECTOR_ACK_REPEAT);
	assert_int_equal(f->seen_count, 3);
	assert_string_equal(f->seen[2].kind, "acknowledged");
	/* Resolved, then a new alert: not acknowledged, whatever the record still holds. */
	detector_advance(f->detector, T0 + SECONDS(32 + 600 + 300));
	assert_string_equal(f->seen[3].kind, "resolved");
	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(2000 + 10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 5);
	assert_string_equal(f->seen[4].kind, "firing");
	save_load_same_bytes(f);
	snprintf(alert_id, sizeof(alert_id), "%s", f->seen[4].alert_id);
	ack_by(f, alert_id, "sup-3", T0 + SECONDS(2040), DETECTOR_ACK_FIRST);
	assert_int_equal(detector_stats(f->detector)->acknowledged, 3);
}

static void test_acknowledge_once_then_repeat(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	const char *alert_id = f->seen[0].alert_id;
	ack_by(f, "0123456789abcdef", "sup-1", T0 + SECONDS(40), DETECTOR_ACK_UNKNOWN);
	assert_int_equal(f->seen_count, 1);
	ack_by(f, alert_id, "sup-1", T0 + SECONDS(40), DETECTOR_ACK_FIRST);
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "acknowledged");
	assert_string_equal(f->seen[1].alert_id, alert_id);
	assert_int_equal(f->seen[1].seq, 2);
	assert_int_equal(f->seen[1].ts_ms, T0 + SECONDS(40));
	ack_by(f, alert_id, "sup-2", T0 + SECONDS(50), DETECTOR_ACK_REPEAT);
	assert_int_equal(f->seen_count, 3);
	assert_string_equal(f->seen[2].kind, "acknowledged");
	assert_int_equal(f->seen[2].seq, 3);
	assert_int_equal(detector_stats(f->detector)->acknowledged, 2);
	assert_true(detector_alert_open(f->detector, alert_id));
	/* Resolved (the calls left the 600 s window, then 300 s): nothing to acknowledge. */
	detector_advance(f->detector, T0 + SECONDS(32 + 600 + 300));
	assert_string_equal(f->seen[3].kind, "resolved");
	assert_false(detector_alert_open(f->detector, alert_id));
	ack_by(f, alert_id, "sup-1", T0 + SECONDS(400), DETECTOR_ACK_UNKNOWN);
	assert_int_equal(f->seen_count, 4);
	/* Counted by kind and the alert's severity (the burst rule: critical). */
	const struct detector_stats *stats = detector_stats(f->detector);
	static const uint64_t critical[DETECTOR_NOTICE_KIND_COUNT] = {
		[DETECTOR_NOTICE_FIRING] = 1,
		[DETECTOR_NOTICE_ACKNOWLEDGED] = 2,
		[DETECTOR_NOTICE_RESOLVED] = 1
	};
	for (size_t k = 0; k < DETECTOR_NOTICE_KIND_COUNT; k++) {
		assert_int_equal(stats->by_severity[k][0], 0);
		assert_int_equal(stats->by_severity[k][1], 0);
		assert_int_equal(stats->by_severity[k][2], critical[k]);
	}
	assert_string_equal(detector_notice_kind_name(DETECTOR_NOTICE_ACKNOWLEDGED),
			    "acknowledged");
}

/* Not acknowledged within escalate_unacked_after_seconds (critical: 120 s): escalated once
 * with reason "unacknowledged"; an acknowledged alert is not. */
static void test_unacknowledged_escalation(void **state)
{
	struct fixture *f = *state;

	f->config.detector.escalate_unacked_after_seconds[2] = 120;
	f->config.detector.resolve_after_seconds = 3600;
	reconfigure(f);
	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen[0].ts_ms, T0 + SECONDS(32));
	detector_advance(f->detector, T0 + SECONDS(152) - 1);
	assert_int_equal(f->seen_count, 1);
	detector_advance(f->detector, T0 + SECONDS(152));
	assert_int_equal(f->seen_count, 2);
	assert_string_equal(f->seen[1].kind, "escalated");
	assert_string_equal(f->seen[1].severity, "critical");
	assert_int_equal(f->seen[1].ts_ms, T0 + SECONDS(152));
	assert_int_equal(f->seen[1].callback_count, 0);
	assert_int_equal(detector_stats(f->detector)->unacked_escalations, 1);
	detector_advance(f->detector, T0 + SECONDS(1000));
	assert_int_equal(f->seen_count, 2);
	/* Another operator, acknowledged in time: no escalation. */
	for (int i = 0; i < 4; i++)
		add_call(f, "op-8", T0 + SECONDS(1000 + 10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 3);
	ack_by(f, f->seen[2].alert_id, "sup-1", T0 + SECONDS(1040), DETECTOR_ACK_FIRST);
	detector_advance(f->detector, T0 + SECONDS(2000));
	assert_int_equal(f->seen_count, 4);
	assert_string_equal(f->seen[3].kind, "acknowledged");
}

struct board_seen {
	char kind[16][16];
	size_t callbacks[16];
	bool acked[16];
	int64_t opened_ms[16];
	size_t count;
};

static void record_board(const struct alert *alert, void *ctx)
{
	struct board_seen *board = ctx;

	snprintf(board->kind[board->count], sizeof(board->kind[0]), "%s", alert->kind);
	board->callbacks[board->count] = alert->callback_count;
	board->acked[board->count] = alert->ack != NULL;
	board->opened_ms[board->count++] = alert->opened_ms;
}

/* The board: every open alert with all its callbacks and its acknowledgement, oldest first;
 * it changes nothing. */
static void test_board(void **state)
{
	struct fixture *f = *state;
	struct board_seen board = {0};

	for (int i = 0; i < 5; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	for (int i = 0; i < 4; i++)
		add_call(f, "op-8", T0 + SECONDS(60 + 10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	ack_by(f, f->seen[2].alert_id, "sup-1", T0 + SECONDS(100), DETECTOR_ACK_FIRST);
	size_t before = f->seen_count;
	assert_int_equal(detector_board(f->detector, record_board, &board), 2);
	assert_int_equal(f->seen_count, before);
	assert_int_equal(board.count, 2);
	assert_string_equal(board.kind[0], "open");
	assert_int_equal(board.opened_ms[0], T0 + SECONDS(32));
	assert_int_equal(board.callbacks[0], 5);
	assert_false(board.acked[0]);
	assert_int_equal(board.opened_ms[1], T0 + SECONDS(92));
	assert_int_equal(board.callbacks[1], 4);
	assert_true(board.acked[1]);
	assert_int_equal(detector_last_seq(f->detector), 4);
}

/* A full callback list forgets the oldest callback already sent, counted. */
static void test_alert_callbacks_bounded(void **state)
{
	struct fixture *f = *state;
	struct board_seen board = {0};

	f->config.detector.max_alert_callbacks = 16;
	reconfigure(f);
	for (int i = 0; i < 20; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->sent_count, 20);
	assert_int_equal(detector_stats(f->detector)->alert_callbacks_evicted, 4);
	detector_board(f->detector, record_board, &board);
	assert_int_equal(board.callbacks[0], 16);
}

/* The same calls give the same alert ids: instances and replays agree. */
static void test_alert_ids_are_deterministic(void **state)
{
	struct fixture *f = *state;
	char first[ALERT_ID_LENGTH + 1];

	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_int_equal(f->seen_count, 1);
	snprintf(first, sizeof(first), "%s", f->seen[0].alert_id);
	reconfigure(f);
	f->seen_count = 0;
	f->call_number = 0;
	for (int i = 0; i < 4; i++)
		add_call(f, "op-7", T0 + SECONDS(10 * i), SECONDS(2), RELEASED_BY_OPERATOR);
	assert_string_equal(f->seen[0].alert_id, first);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_premature_definition),
		TEST(test_released_by_set_is_configurable),
		TEST(test_fires_once_with_callbacks),
		TEST(test_flapping_is_quiet_then_resolves),
		TEST(test_resolves_from_last_tick_it_held),
		TEST(test_resolves_when_calls_leave_window),
		TEST(test_escalation),
		TEST(test_window_edge),
		TEST(test_operators_are_separate),
		TEST(test_each_operator_figures),
		TEST(test_same_operator_in_two_agencies),
		TEST(test_late_call_is_placed_in_order),
		TEST(test_operator_limit_evicts_idlest),
		TEST(test_added_operator_pairs),
		TEST(test_load_refuses_bad_free_indexes),
		TEST(test_redial_after_operators_shrink_marks_nothing),
		TEST(test_window_call_limit_evicts_oldest),
		TEST(test_several_rules),
		TEST(test_reload_changes_rule_count),
		TEST(test_key_and_position_at_their_length),
		TEST(test_call_details_at_their_length),
		TEST(test_episode_on_demand),
		TEST(test_open_alerts_ticked_after_states_move),
		TEST(test_peer_baseline_ignores_storm),
		TEST(test_sequential_alert_explains),
		TEST(test_sequential_history_settles),
		TEST(test_sequential_hourly_threshold),
		TEST(test_sequential_storm_volume_gate),
		TEST(test_sequential_baseline_per_source),
		TEST(test_offered_per_source),
		TEST(test_source_baseline_after_shared_one_grew),
		TEST(test_sequential_storm_offered_gate),
		TEST(test_sequential_hourly_raises),
		TEST(test_sequential_max_calls_per_hour),
		TEST(test_sequential_evidence_across_shifts),
		TEST(test_sequential_settled_history_factor),
		TEST(test_sequential_own_factor_lag),
		TEST(test_cusum_alarm_and_reset),
		TEST(test_cusum_weights_follow_a_reload),
		TEST(test_repeat_caller_marks_hangup),
		TEST(test_alert_ids_are_deterministic),
		TEST(test_every_hangup_after_firing_is_sent_once),
		TEST(test_updates_coalesced_per_second),
		TEST(test_called_back_update_once),
		TEST(test_acknowledge_once_then_repeat),
		TEST(test_acknowledgement_record_through_snapshots),
		TEST(test_unacknowledged_escalation),
		TEST(test_board),
		TEST(test_alert_callbacks_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
