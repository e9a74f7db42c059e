/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* lib/engine_counters.c: each list of the engine's counters, read from struct engine_stats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_counters.h"

/* Every counter of struct engine_stats a distinct value, so that a wrong offset shows. */
static struct engine_stats numbered_stats(void)
{
	struct engine_stats stats;

	memset(&stats, 0, sizeof stats);
	stats.lines = 100;
	stats.events = 90;
	/* rejects[0] (EVENT_OK) is never summed */
	for (int reason = 0; reason < EVENT_REJECT_COUNT; reason++)
		stats.rejects[reason] = (uint64_t)reason + 1;
	stats.duplicates = 7;
	stats.tracker.duplicates = 5;
	stats.tracker.end_before_start = 11;
	stats.tracker.expired = 12;
	stats.tracker.evicted = 13;
	stats.detector.alerts = 42;
	stats.detector.calls = 40;
	stats.detector.premature = 23;
	stats.detector.offered = 24;
	stats.detector.offered_unknown = 25;
	stats.detector.sources_departed = 28;
	stats.detector.baselines_evicted = 26;
	stats.detector.called_back = 3;
	stats.detector.too_old = 14;
	stats.detector.operators_evicted = 15;
	stats.detector.window_evictions = 16;
	stats.detector.center_evictions = 17;
	stats.detector.callers_evicted = 18;
	stats.dedupe_evicted = 19;
	stats.alerts_unencodable = 20;
	stats.late_events = 21;
	stats.reorder_overflows = 22;
	stats.system_alerts_dropped = 27;
	stats.binding.calls_owed_capped = 29;
	return stats;
}

/* 2 + 3 + ... + EVENT_REJECT_COUNT: every reason but EVENT_OK. */
static uint64_t expected_rejected(void)
{
	uint64_t total = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		total += (uint64_t)reason + 1;
	return total;
}

static void test_headline(void **state)
{
	(void)state;
	struct engine_stats stats = numbered_stats();
	char text[ENGINE_COUNTERS_HEADLINE_MAX], expected[ENGINE_COUNTERS_HEADLINE_MAX];

	assert_int_equal(engine_counters_headline_count, 4);
	assert_int_equal(engine_counters_rejected(&stats), expected_rejected());
	engine_counters_format_headline(&stats, text, sizeof text);
	snprintf(expected, sizeof expected, "100 lines, 90 events, %u rejected, 42 alerts",
		 (unsigned)expected_rejected());
	assert_string_equal(text, expected);
}

static void test_headline_truncated(void **state)
{
	(void)state;
	struct engine_stats stats = numbered_stats();
	char text[12];

	engine_counters_format_headline(&stats, text, sizeof text);
	assert_string_equal(text, "100 lines, ");
}

/* The reports' list: its keys and labels, in order, and each value from its own field. */
static void test_troubles(void **state)
{
	(void)state;
	static const struct {
		const char *key, *label;
		uint64_t value;
	} expected[] = {
		{"called_back", "called back", 3},
		{"duplicates", "duplicate events", 7 + 5},
		{"end_before_start", "end before start", 11},
		{"expired", "expired calls", 12},
		{"open_calls_evicted", "open calls evicted", 13},
		{"too_old", "calls too old", 14},
		{"operators_evicted", "operators evicted", 15},
		{"window_evictions", "window evictions", 16},
		{"center_evictions", "center evictions", 17},
		{"callers_evicted", "callers evicted", 18},
		{"dedupe_evicted", "dedupe evictions", 19},
		{"alerts_unencodable", "alerts unencodable", 20},
		{"late_events", "late events", 21},
		{"reorder_overflows", "reorder overflows", 22},
	};
	struct engine_stats stats = numbered_stats();

	assert_int_equal(engine_counters_troubles_count, sizeof expected / sizeof expected[0]);
	for (size_t i = 0; i < engine_counters_troubles_count; i++) {
		assert_string_equal(engine_counters_troubles[i].key, expected[i].key);
		assert_string_equal(engine_counters_troubles[i].label, expected[i].label);
		assert_int_equal(engine_counters_value(&stats, &engine_counters_troubles[i]),
				 expected[i].value);
	}
}

/* /metrics' engine families in the order, with the names, types and HELP texts they have
 * always had (docs/http.md, test_http, test_stream); a counter's value from its own field; the
 * families daemon/metrics.c writes the samples of have none (count 0); the counters of the
 * other lists with no family have no name, type or HELP. */
static void test_metrics(void **state)
{
	(void)state;
	static const struct {
		const char *key, *metric, *type, *help;
		size_t count;
		uint64_t value;
	} expected[] = {
		{ "lines", "lines_total", "counter", "Feed lines offered, rejected ones included.",
		  1, 100 },
		{ "events", "events_total", "counter",
		  "Feed lines accepted as events, duplicates included.", 1, 90 },
		{ "resent", "duplicates_total", "counter", "Resent events recognized and ignored.",
		  1, 7 },
		{ "rejected_lines_total", "rejected_lines_total", "counter",
		  "Feed lines rejected, by reason.", 0, 0 },
		{ "alerts_total", "alerts_total", "counter",
		  "Operator alert notices sent, by kind and severity.", 0, 0 },
		{ "alerts", "notices_total", "counter",
		  "Notices sent, of every kind (operator and system).", 1, 42 },
		{ "open_alerts", "open_alerts", "gauge", "Operators with an alert open now.", 0,
		  0 },
		{ "open_calls", "open_calls", "gauge",
		  "Calls held open: started and not ended, or ended before their start came.",
		  0, 0 },
		{ "operators", "operators", "gauge", "Call-takers tracked now.", 0, 0 },
		{ "calls", "calls_total", "counter", "Completed calls judged.", 1, 40 },
		{ "premature", "premature_total", "counter",
		  "Completed calls judged premature hangups.", 1, 23 },
		{ "offered_calls", "offered_calls_total", "counter",
		  "call_offered events counted in their agency's offered volume (the storm gate).",
		  1, 24 },
		{ "offered_unknown", "offered_calls_unknown_agency_total", "counter",
		  "call_offered events of an agency with no answered call yet: not counted.", 1,
		  25 },
		{ "sources_departed", "sources_departed_total", "counter",
		  "Feed sources taken out of an agency's shared baseline: their calls departed "
		  "from the other sources' (detector.baseline.source_depart_z).",
		  1, 28 },
		{ "baselines_evicted", "baselines_evicted_total", "counter",
		  "Agency baselines forgotten because their table (tracker.max_operators) "
		  "was full.",
		  1, 26 },
		{ "system_alerts_dropped", "system_alerts_dropped_total", "counter",
		  "System alerts of feed sources not raised: their room (feed.max_sources) "
		  "was full.",
		  1, 27 },
		{ "call_owners_capped", "call_owners_capped_total", "counter",
		  "Call ids a feed source reused 255 times while their events waited: their owner "
		  "is kept until tracker.max_call_seconds, other sources' events for them refused.",
		  1, 29 },
		{ "call_events_repeated", "call_events_repeated_total", "counter",
		  "A second call_start or call_end for a call still open: ignored, the first "
		  "kept.",
		  1, 5 },
		{ "end_before_start", "calls_end_before_start_total", "counter",
		  "Calls dropped unjudged: their call_end's ts was before their call_start's.", 1,
		  11 },
		{ "evicted_total", "evicted_total", "counter",
		  "Entries forgotten because a bounded table was full, by the configuration key to "
		  "raise.",
		  0, 0 },
	};
	struct engine_stats stats = numbered_stats();

	assert_int_equal(engine_counters_metrics_count, sizeof expected / sizeof expected[0]);
	for (size_t i = 0; i < engine_counters_metrics_count; i++) {
		assert_string_equal(engine_counters_metrics[i].key, expected[i].key);
		assert_string_equal(engine_counters_metrics[i].metric, expected[i].metric);
		assert_string_equal(engine_counters_metrics[i].type, expected[i].type);
		assert_string_equal(engine_counters_metrics[i].help, expected[i].help);
		assert_int_equal(engine_counters_metrics[i].count, expected[i].count);
		assert_int_equal(engine_counters_value(&stats, &engine_counters_metrics[i]),
				 expected[i].value);
	}
	/* The headline's lines, events and alerts are the same entries; rejected is by reason. */
	assert_string_equal(engine_counters_headline[0].metric, "lines_total");
	assert_string_equal(engine_counters_headline[1].metric, "events_total");
	assert_null(engine_counters_headline[2].metric);
	assert_string_equal(engine_counters_headline[3].metric, "notices_total");
	for (size_t i = 0; i < engine_counters_troubles_count; i++) {
		assert_null(engine_counters_troubles[i].metric);
		assert_null(engine_counters_troubles[i].help);
		assert_null(engine_counters_troubles[i].type);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headline),
		cmocka_unit_test(test_headline_truncated),
		cmocka_unit_test(test_troubles),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
