/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "codec.h"
#include "engine.h"
#include "fail_malloc.h"

/*
 * Issue 11 item 7: one source cannot flood the tables. What a source may say (lib/binding.h),
 * rule by rule with the exact reasons, the least-evidence eviction with its exact survivors,
 * then the issue's three attacks against a shift in which a rogue call-taker cuts calls:
 * a million invented operators, forged incidents for the rogue's calls, and 66 forged lines
 * naming an honest call-taker; and a fourth, short calls on call-takers the flooding source
 * owns, which raise the agency's shared baseline (detector.baseline.per_source).
 */

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define MINUTE INT64_C(60000)
#define MAX_ALERTS 4096

struct fixture {
	struct engine *engine;
	char *alerts[MAX_ALERTS];
	size_t alert_count;
	struct engine_verdict verdict;
};

static void collect(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	struct fixture *f = ctx;

	(void)alert;
	(void)len;
	assert_true(f->alert_count < MAX_ALERTS);
	f->alerts[f->alert_count++] = strdup(json);
}

static struct config flood_config(void)
{
	struct config config;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1800;
	config.detector.rule_count = 1;
	config.detector.rules[0] = (struct config_rule){ .name = "burst",
							 .type = CONFIG_RULE_WINDOW,
							 .window_seconds = 1800,
							 .min_calls = 6,
							 .min_premature = 4,
							 .min_ratio = 0.5,
							 .called_back_weight = 1.0,
							 .max_p_value = 0.01,
							 .min_center_ratio = 0.05,
							 .odds_ratio = 3.0,
							 .threshold = 5.0,
							 .severity = "critical" };
	return config;
}

static void start(struct fixture *f, const struct config *config)
{
	memset(f, 0, sizeof(*f));
	f->engine = engine_new(config, collect, f);
	assert_non_null(f->engine);
}

static void finish(struct fixture *f)
{
	engine_free(f->engine);
	for (size_t i = 0; i < f->alert_count; i++)
		free(f->alerts[i]);
	f->alert_count = 0;
}

/* One line from source (NULL: a connection without a hello, "#1" or "#2"), heard by the host
 * a second after its ts. */
static enum event_reject from(struct fixture *f, const char *source, int64_t ts_ms,
			      const char *format, ...)
{
	char line[512];
	va_list args;
	bool named = source && source[0] != '#';
	struct engine_origin origin = {.source = source ? source : "#1", .named = named,
				       .received_ms = ts_ms + 1000};

	va_start(args, format);
	vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	engine_process_from(f->engine, &origin, line, strlen(line), &f->verdict);
	return f->verdict.reject;
}

/* One line of source heard by the host at host_ms (format's one %lld: ts_ms): its verdict. */
static enum event_reject heard_at(struct fixture *f, const char *source, int64_t host_ms,
				  const char *format, int64_t ts_ms)
{
	char line[256];
	struct engine_origin origin = {.source = source, .named = true, .received_ms = host_ms};

	snprintf(line, sizeof(line), format, (long long)ts_ms);
	engine_process_from(f->engine, &origin, line, strlen(line), &f->verdict);
	return f->verdict.reject;
}

/* One line of source heard by the host at host_ms, taken. */
static void line_at(struct fixture *f, const char *source, int64_t host_ms, const char *format,
		    int64_t ts_ms)
{
	assert_int_equal(heard_at(f, source, host_ms, format, ts_ms), EVENT_OK);
}

#define START(id, op, agency)                                                                      \
	"{\"type\":\"call_start\",\"call_id\":\"" id "\",\"ts\":%lld,\"operator\":\"" op           \
	"\",\"agency\":\"" agency "\"}"
#define END(id, who)                                                                               \
	"{\"type\":\"call_end\",\"call_id\":\"" id "\",\"ts\":%lld,\"released_by\":\"" who "\"}"
#define INCIDENT(id) "{\"type\":\"incident\",\"call_id\":\"" id "\",\"ts\":%lld}"

static long long at(int64_t minutes, int64_t seconds)
{
	return (long long)(T0 + minutes * MINUTE + seconds * 1000);
}

/* ---- rules --------------------------------------------------------------------------- */

/* sources[].agencies: a listed source names only its agencies; others are not limited. */
static void test_agency_not_allowed(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.source_count = 1;
	snprintf(config.sources[0].name, sizeof(config.sources[0].name), "cad-east");
	snprintf(config.sources[0].agencies[0], sizeof(config.sources[0].agencies[0]), "NOPD");
	snprintf(config.sources[0].agencies[1], sizeof(config.sources[0].agencies[1]), "NOFD");
	config.sources[0].agency_count = 2;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-east", at(0, 1), START("c2", "op-2", "JPSO"), at(0, 1)),
			 EVENT_REJECT_AGENCY_NOT_ALLOWED);
	assert_string_equal(f.verdict.why, "call_start: agency \"JPSO\" is not one of feed source "
					   "cad-east's agencies (sources[].agencies)");
	assert_int_equal(from(&f, "cad-east", at(0, 2),
			      "{\"type\":\"call_start\",\"call_id\":\"c3\",\"ts\":%lld,"
			      "\"operator\":\"op-3\"}",
			      at(0, 2)),
			 EVENT_REJECT_AGENCY_NOT_ALLOWED);
	assert_string_equal(f.verdict.why, "call_start: agency \"\" is not one of feed source "
					   "cad-east's agencies (sources[].agencies)");
	assert_int_equal(from(&f, "cad-east", at(0, 3), END("c1", "caller"), at(0, 3)), EVENT_OK);
	assert_int_equal(from(&f, "cad-west", at(0, 4), START("w1", "op-9", "JPSO"), at(0, 4)),
			 EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_AGENCY_NOT_ALLOWED], 2);
	assert_string_equal(event_reject_name(EVENT_REJECT_AGENCY_NOT_ALLOWED),
			    "agency_not_allowed");
	finish(&f);
}

/* unlisted_sources: reject refuses every other sender, connections without a hello too. */
static void test_unlisted_source_refused(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.source_count = 1;
	snprintf(config.sources[0].name, sizeof(config.sources[0].name), "cad-east");
	config.unlisted_sources = CONFIG_UNLISTED_REJECT;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0), START("c1", "op-1", "ANY"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-west", at(0, 1), START("c2", "op-2", "NOPD"), at(0, 1)),
			 EVENT_REJECT_SOURCE_NOT_ALLOWED);
	assert_string_equal(f.verdict.why, "call_start: feed source cad-west is not listed in "
					   "sources (unlisted_sources: reject)");
	assert_int_equal(from(&f, NULL, at(0, 2), END("c1", "caller"), at(0, 2)),
			 EVENT_REJECT_SOURCE_NOT_ALLOWED);
	assert_string_equal(
		f.verdict.why,
		"call_end: a connection without a hello is refused (unlisted_sources: reject)");
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_SOURCE_NOT_ALLOWED], 2);
	finish(&f);
}

/* A call belongs to the sender that opened it until it completes; the connections without a
 * hello are one sender (a CAD reconnecting without a hello keeps its calls). */
static void test_call_of_other_source(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 1), INCIDENT("c1"), at(0, 1)),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why, "incident: call \"c1\" was opened by feed source "
					   "cad-east (tracker.bind_calls_to_source)");
	assert_int_equal(from(&f, NULL, at(0, 2), END("c1", "caller"), at(0, 2)),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why, "call_end: call \"c1\" was opened by feed source "
					   "cad-east (tracker.bind_calls_to_source)");
	assert_int_equal(from(&f, "cad-east", at(0, 3), END("c1", "caller"), at(0, 3)), EVENT_OK);
	/* Complete: the id is free again. */
	assert_int_equal(from(&f, "cad-evil", at(0, 4), START("c1", "op-66", "NOPD"), at(0, 4)),
			 EVENT_OK);
	/* Two connections without a hello are one sender; a named source is another. */
	assert_int_equal(from(&f, "#1", at(0, 5), START("u1", "op-2", "NOPD"), at(0, 5)), EVENT_OK);
	assert_int_equal(from(&f, "#2", at(0, 6), INCIDENT("u1"), at(0, 6)), EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 7), END("u1", "operator"), at(0, 7)),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why,
			    "call_end: call \"u1\" was opened by the connections without a hello "
			    "(tracker.bind_calls_to_source)");
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_CALL_OF_OTHER_SOURCE], 3);
	finish(&f);

	config.tracker.bind_calls_to_source = false;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 1), INCIDENT("c1"), at(0, 1)), EVENT_OK);
	finish(&f);
}

#define OFFERED(id, agency)                                                                        \
	"{\"type\":\"call_offered\",\"call_id\":\"" id "\",\"ts\":%lld,\"agency\":\"" agency "\"}"

/* A call_offered binds no call: the phone system's arrival and the CAD's call_start of the same
 * call_id are both taken, in either order, and the CAD keeps the call it opened. */
static void test_call_offered_binds_no_call(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "acd", at(0, 0), OFFERED("c1", "NOPD"), at(0, 0)), EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 1), START("c1", "op-1", "NOPD"), at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 2), START("c2", "op-2", "NOPD"), at(0, 2)),
			 EVENT_OK);
	assert_int_equal(from(&f, "acd", at(0, 3), OFFERED("c2", "NOPD"), at(0, 3)), EVENT_OK);
	assert_int_equal(from(&f, "acd", at(0, 4), END("c2", "caller"), at(0, 4)),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why, "call_end: call \"c2\" was opened by feed source "
					   "cad (tracker.bind_calls_to_source)");
	assert_int_equal(from(&f, "cad", at(0, 5), END("c1", "caller"), at(0, 5)), EVENT_OK);
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->rejects[EVENT_REJECT_CALL_OF_OTHER_SOURCE], 1);
	/* before NOPD's first answered call */
	assert_int_equal(stats->detector.offered_unknown, 2);
	finish(&f);
}

/* A source allowed only NOPD's agency cannot send another agency's arrivals (nor unnamed ones):
 * under scope: agency JPSO's offered volume, which opens JPSO's gate, stays untouched. */
static void test_offered_of_other_agency_refused(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.source_count = 1;
	snprintf(config.sources[0].name, sizeof(config.sources[0].name), "acd-nopd");
	snprintf(config.sources[0].agencies[0], sizeof(config.sources[0].agencies[0]), "NOPD");
	config.sources[0].agency_count = 1;
	start(&f, &config);
	assert_int_equal(from(&f, "cad", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 1), START("c2", "op-2", "JPSO"), at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 2), END("c1", "caller"), at(0, 2)), EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 3), END("c2", "caller"), at(0, 3)), EVENT_OK);
	assert_int_equal(from(&f, "acd-nopd", at(0, 4), OFFERED("q1", "JPSO"), at(0, 4)),
			 EVENT_REJECT_AGENCY_NOT_ALLOWED);
	assert_string_equal(f.verdict.why, "call_offered: agency \"JPSO\" is not one of feed "
					   "source acd-nopd's agencies (sources[].agencies)");
	assert_int_equal(from(&f, "acd-nopd", at(0, 5),
			      "{\"type\":\"call_offered\",\"call_id\":\"q2\",\"ts\":%lld}",
			      at(0, 5)),
			 EVENT_REJECT_AGENCY_NOT_ALLOWED);
	assert_int_equal(engine_stats(f.engine)->detector.offered, 0);
	assert_int_equal(from(&f, "acd-nopd", at(0, 6), OFFERED("q3", "NOPD"), at(0, 6)),
			 EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->detector.offered, 1);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_AGENCY_NOT_ALLOWED], 2);
	finish(&f);
}

/* Abandoned calls (a call_offered and nothing more) hold no open call: 1100 of them with
 * max_open_calls 1000 drop no call and raise no limit alert. */
static void test_abandoned_offered_calls_fill_nothing(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_open_calls = 1000;
	start(&f, &config);
	assert_int_equal(from(&f, "cad", at(0, 0), START("c0", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad", at(0, 0), END("c0", "caller"), at(0, 0)), EVENT_OK);
	for (int i = 0; i < 1100; i++)
		assert_int_equal(from(&f, "acd", at(i / 20, i % 20),
				      "{\"type\":\"call_offered\",\"call_id\":\"a%d\",\"ts\":%lld,"
				      "\"agency\":\"NOPD\"}",
				      i, at(i / 20, i % 20)),
				 EVENT_OK);
	engine_tick(f.engine, at(60, 0));
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->detector.offered, 1100);
	assert_int_equal(stats->tracker.evicted, 0);
	assert_int_equal(stats->binding.calls_evicted, 0);
	assert_int_equal(stats->open_calls, 0);
	assert_int_equal(f.alert_count, 0);
	finish(&f);
}

/* An operator belongs to the named source that first named it, until idle for the longest
 * rule window (1800 s here); the connections without a hello give way to a name. */
static void test_operator_of_other_source(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0), START("c1", "op-7", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 1), START("x1", "op-7", "NOPD"), at(0, 1)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	assert_string_equal(
		f.verdict.why,
		"call_start: operator \"op-7\" (agency \"NOPD\") belongs to feed source "
		"cad-east (tracker.bind_operators_to_source)");
	assert_int_equal(from(&f, NULL, at(0, 2), START("x2", "op-7", "NOPD"), at(0, 2)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	/* Another agency's op-7 is another call-taker. */
	assert_int_equal(from(&f, "cad-evil", at(0, 3), START("x3", "op-7", "JPSO"), at(0, 3)),
			 EVENT_OK);
	/* Seen only without a hello: the first name takes it, and keeps it. */
	assert_int_equal(from(&f, NULL, at(0, 4), START("u1", "op-8", "NOPD"), at(0, 4)), EVENT_OK);
	assert_int_equal(from(&f, "cad-east", at(0, 5), START("c2", "op-8", "NOPD"), at(0, 5)),
			 EVENT_OK);
	assert_int_equal(from(&f, NULL, at(0, 6), START("u2", "op-8", "NOPD"), at(0, 6)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	/* Idle for the longest rule window: no evidence left to protect, free again. */
	assert_int_equal(from(&f, "cad-evil", at(29, 59), START("x4", "op-7", "NOPD"), at(29, 59)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	assert_int_equal(from(&f, "cad-evil", at(30, 0), START("x5", "op-7", "NOPD"), at(30, 0)),
			 EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE], 4);
	finish(&f);
}

/* A full table of call-takers' owners (2 x max_operators) forgets the oldest of the sender
 * owning the most (audit F9): a source introducing call-takers cannot free a quiet source's
 * call-taker for itself. Before, q1's owner (the oldest) went and cad-evil took q1 over. */
static void test_full_owners_evict_top_owner(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_operators = 2; /* 4 owners */
	start(&f, &config);
	assert_int_equal(from(&f, "cad-quiet", at(0, 0), START("q-1", "q1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	for (int i = 1; i <= 4; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("e-%d", "e%d", "NOPD"), i, at(0, i), i);
		assert_int_equal(from(&f, "cad-evil", at(0, i), "%s", line), EVENT_OK);
	}
	assert_int_equal(engine_stats(f.engine)->binding.operators_evicted, 1); /* e1 */
	assert_int_equal(from(&f, "cad-evil", at(0, 5), START("x-1", "q1", "NOPD"), at(0, 5)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	assert_int_equal(from(&f, "cad-quiet", at(0, 6), START("q-2", "e1", "NOPD"), at(0, 6)),
			 EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->binding.operators_evicted, 2); /* e2 */
	finish(&f);
}

#define STATE(op, agency, state)                                                                   \
	"{\"type\":\"operator_state\",\"ts\":%lld,\"operator\":\"" op "\",\"agency\":\"" agency    \
	"\",\"state\":\"" state "\"}"

/* An operator_state is bound like a call_start: it claims a call-taker nobody owns, and another
 * sender's state of an owned one is refused. It names no call, so it binds none. */
static void test_operator_state_bound(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(
		from(&f, "cad-east", at(0, 0), STATE("op-7", "NOPD", "logged_on"), at(0, 0)),
		EVENT_OK);
	assert_int_equal(
		from(&f, "cad-evil", at(0, 1), STATE("op-7", "NOPD", "logged_off"), at(0, 1)),
		EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why,
			    "operator_state: operator \"op-7\" (agency \"NOPD\") belongs to feed "
			    "source cad-east (tracker.bind_operators_to_source)");
	assert_int_equal(from(&f, "cad-evil", at(0, 2), START("x1", "op-7", "NOPD"), at(0, 2)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	assert_int_equal(from(&f, "cad-east", at(0, 3), START("c1", "op-7", "NOPD"), at(0, 3)),
			 EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE], 2);
	finish(&f);
}

/* A start without a snapshot at a large center: one CAD brings 900 call-takers on shift within
 * the first hour (bench/run's day900). The defaults let every one in (300 refused 600 of them
 * before 2026-12-03), and a call-taker past the hour's 1000 is still refused. */
static void test_cold_start_of_a_large_center(void **state)
{
	struct config config;
	struct fixture f;
	char call[32], operator[32];
	(void)state;

	config_set_defaults(&config);
	start(&f, &config);
	for (int n = 1; n <= 1000; n++) {
		snprintf(call, sizeof(call), "c%d", n);
		snprintf(operator, sizeof(operator), "op-%d", n);
		int64_t ts = T0 + n * 3000; /* one every 3 s: 1000 within the hour */
		assert_int_equal(from(&f, "cad-1", ts,
				      "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":%lld,"
				      "\"operator\":\"%s\",\"agency\":\"NOPD\"}",
				      call, (long long)ts, operator),
			 EVENT_OK);
	}
	assert_int_equal(from(&f, "cad-1", T0 + 3001000, START("c1001", "op-1001", "NOPD"),
		      (long long)(T0 + 3001000)),
		 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_NEW_OPERATOR_RATE], 1);
	finish(&f);
}

/* New operators per source per hour: the one past the limit is refused, a limit alert names
 * the source and the key, known operators go on, the next hour counts afresh, and the alert
 * resolves after resolve_after_seconds without a refusal. */
static void test_new_operator_rate(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	char alert_id[ALERT_ID_LENGTH + 1];
	char expected[1024];
	(void)state;

	config.tracker.max_new_operators_per_source_per_hour = 3;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-evil", at(0, 0), START("x1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 1), START("x2", "op-2", "NOPD"), at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 2), START("x3", "op-3", "NOPD"), at(0, 2)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 0);
	assert_int_equal(from(&f, "cad-evil", at(0, 3), START("x4", "op-4", "NOPD"), at(0, 3)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_string_equal(
		f.verdict.why,
		"call_start: new operator \"op-4\" (agency \"NOPD\") refused: feed source "
		"cad-evil introduced 3 this hour already "
		"(tracker.max_new_operators_per_source_per_hour)");
	assert_int_equal(f.alert_count, 1);
	alert_derive_id("cad-evil", "tracker.max_new_operators_per_source_per_hour", "limit",
			at(0, 2), "", alert_id);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":1,\"ts\":\"2026-11-29T08:00:02."
		 "000Z\","
		 "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",\"source\":"
		 "\"cad-evil\","
		 "\"limit\":\"tracker.max_new_operators_per_source_per_hour\",\"evicted\":1,"
		 "\"message\":\"feed source cad-evil named more than 3 new call-takers in an hour "
		 "(tracker.max_new_operators_per_source_per_hour): 1 refused so far; its calls of "
		 "known "
		 "call-takers go on\"}",
		 alert_id);
	assert_string_equal(f.alerts[0], expected);
	assert_true(engine_system_alert_open(f.engine, "limit",
					     "tracker.max_new_operators_per_source_per_hour") ==
		    false); /* keyed by its source too */
	/* Once per episode: more refusals keep it open without a notice. */
	assert_int_equal(from(&f, "cad-evil", at(0, 4), START("x5", "op-5", "NOPD"), at(0, 4)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_int_equal(from(&f, "cad-evil", at(0, 5), START("x6", "op-1", "NOPD"), at(0, 5)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 1);
	/* Another source has its own count. */
	assert_int_equal(from(&f, "cad-east", at(0, 6), START("e1", "op-10", "NOPD"), at(0, 6)),
			 EVENT_OK);
	/* Resolved once the newest event time is 1800 s past the last refusal (08:00:04). */
	assert_int_equal(from(&f, "cad-east", at(30, 3), START("e2", "op-10", "NOPD"), at(30, 3)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 1);
	assert_int_equal(from(&f, "cad-east", at(30, 4), START("e3", "op-10", "NOPD"), at(30, 4)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 2);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"resolved\",\"alert_id\":\"%s\",\"seq\":2,\"ts\":\"2026-11-29T08:30:"
		 "04.000Z\","
		 "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",\"source\":"
		 "\"cad-evil\","
		 "\"limit\":\"tracker.max_new_operators_per_source_per_hour\",\"evicted\":2,"
		 "\"message\":\"feed source cad-evil: no new call-taker refused for 1800 s; 2 in "
		 "all\"}",
		 alert_id);
	assert_string_equal(f.alerts[1], expected);
	/* The next hour counts afresh. */
	assert_int_equal(from(&f, "cad-evil", at(60, 0), START("x7", "op-6", "NOPD"), at(60, 0)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 2);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_NEW_OPERATOR_RATE], 2);
	finish(&f);
}

/* Open calls per source (audit F3): a source flooding call_starts for a call-taker it owns
 * holds at most max_open_calls_per_source calls; the rest are refused with a limit alert
 * naming it, so another source's open call survives and its call_end is judged (it was
 * evicted with every other call before: the tracker's whole table went). */
static void test_open_calls_per_source(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	char alert_id[ALERT_ID_LENGTH + 1];
	char expected[1024];
	(void)state;

	start(&f, &config); /* max_open_calls 10000, max_open_calls_per_source 2000 */
	assert_int_equal(from(&f, "cad-b", at(0, 0), START("B1", "b1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	uint32_t accepted = 0, refused = 0;
	for (int i = 0; i < 10001; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("F%d", "e1", "NOPD"), i, at(0, 1));
		enum event_reject reason = from(&f, "cad-evil", at(0, 1), "%s", line);
		accepted += reason == EVENT_OK;
		refused += reason == EVENT_REJECT_OPEN_CALLS_PER_SOURCE;
		if (i == 2000)
			assert_string_equal(f.verdict.why,
					    "call_start: call \"F2000\" refused: feed source "
					    "cad-evil holds 2000 open calls already "
					    "(tracker.max_open_calls_per_source)");
	}
	assert_int_equal(accepted, 2000);
	assert_int_equal(refused, 8001);
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->rejects[EVENT_REJECT_OPEN_CALLS_PER_SOURCE], 8001);
	assert_int_equal(f.alert_count, 1);
	alert_derive_id("cad-evil", "tracker.max_open_calls_per_source", "limit", at(0, 1), "",
			alert_id);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":1,\"ts\":\"2026-11-29T08:00:01."
		 "000Z\",\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
		 "\"source\":\"cad-evil\",\"limit\":\"tracker.max_open_calls_per_source\","
		 "\"evicted\":1,\"message\":\"feed source cad-evil held 2000 calls open at once "
		 "(tracker.max_open_calls_per_source): 1 refused so far; its calls already open go "
		 "on\"}",
		 alert_id);
	assert_string_equal(f.alerts[0], expected);
	/* cad-b's call is still open: its end is judged. */
	uint64_t judged = stats->detector.calls;
	assert_int_equal(from(&f, "cad-b", at(0, 5), END("B1", "operator"), at(0, 5)), EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 6), END("F0", "operator"), at(0, 6)),
			 EVENT_OK);
	engine_flush(f.engine);
	stats = engine_stats(f.engine);
	assert_int_equal(stats->detector.calls, judged + 2);
	assert_int_equal(stats->tracker.evicted, 0);
	/* A completed call frees its place: one more call of cad-evil is taken, the next not. */
	assert_int_equal(from(&f, "cad-evil", at(0, 7), START("G1", "e1", "NOPD"), at(0, 7)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-evil", at(0, 7), START("G2", "e1", "NOPD"), at(0, 7)),
			 EVENT_REJECT_OPEN_CALLS_PER_SOURCE);
	/* Resolved 1800 s of event time after the last refusal (08:00:07). */
	assert_int_equal(from(&f, "cad-b", at(30, 7), START("B2", "b1", "NOPD"), at(30, 7)),
			 EVENT_OK);
	assert_int_equal(f.alert_count, 2);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"resolved\",\"alert_id\":\"%s\",\"seq\":2,\"ts\":\"2026-11-29T08:30:"
		 "07.000Z\",\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
		 "\"source\":\"cad-evil\",\"limit\":\"tracker.max_open_calls_per_source\","
		 "\"evicted\":8002,\"message\":\"feed source cad-evil: no new call refused for "
		 "1800 s; 8002 in all\"}",
		 alert_id);
	assert_string_equal(f.alerts[1], expected);
	finish(&f);
}

/* When the shared table fills anyway (several sources), the max_open_calls limit alert names
 * the sender holding the most open calls, whose oldest go first (test_full_table_evicts_top_
 * sender). */
static void test_open_calls_full_names_top_sender(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_open_calls = 100;
	config.tracker.max_open_calls_per_source = 60;
	start(&f, &config);
	for (int i = 0; i < 40; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("A%d", "a1", "NOPD"), i, at(0, 0));
		assert_int_equal(from(&f, "cad-a", at(0, 0), "%s", line), EVENT_OK);
	}
	for (int i = 0; i < 60; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("Z%d", "z1", "NOPD"), i, at(0, 1));
		assert_int_equal(from(&f, "cad-z", at(0, 1), "%s", line), EVENT_OK);
	}
	assert_int_equal(f.alert_count, 0);
	assert_int_equal(from(&f, "cad-b", at(0, 2), START("B1", "b1", "NOPD"), at(0, 2)),
			 EVENT_OK);
	engine_flush(f.engine); /* B1 tracked: the full tracker evicts cad-z's oldest six */
	assert_int_equal(engine_stats(f.engine)->tracker.evicted, 6);
	assert_int_equal(f.alert_count, 0); /* the limits are looked at with the next line */
	assert_int_equal(from(&f, "cad-b", at(0, 3), INCIDENT("B1"), at(0, 3)), EVENT_OK);
	assert_int_equal(f.alert_count, 1);
	assert_non_null(strstr(f.alerts[0], "\"limit\":\"tracker.max_open_calls\""));
	assert_non_null(strstr(f.alerts[0], "; most held by feed source cad-z (54 open calls, "
					    "tracker.max_open_calls_per_source), whose oldest go "
					    "first; raise "
					    "tracker.max_open_calls\""));
	finish(&f);
}

/* f's engine replaced by one restored from its snapshot. */
static void restore_from_snapshot(struct fixture *f, const struct config *config)
{
	struct codec_writer writer = {0};
	char why[ENGINE_WHY_MAX];

	engine_snapshot(f->engine, &writer);
	assert_false(writer.failed);
	engine_free(f->engine);
	f->engine = engine_restore(writer.data, writer.len, config, collect, f, why, sizeof(why));
	assert_non_null(f->engine);
	free(writer.data);
}

/* whole and split started alike and filled by fill; split then restored from its snapshot. */
static void start_pair(struct fixture *whole, struct fixture *split, const struct config *config,
		       void (*fill)(struct fixture *f))
{
	start(whole, config);
	start(split, config);
	fill(whole);
	fill(split);
	restore_from_snapshot(split, config);
}

/* whole's and split's engines snapshot the same bytes; both fixtures finished. */
static void assert_same_snapshots(struct fixture *whole, struct fixture *split);

/* Under config, fill then then on a straight engine and on one restored from its snapshot in
 * between (start_pair): both end alike. */
static void assert_survives_snapshot(const struct config *config, void (*fill)(struct fixture *f),
				     void (*then)(struct fixture *f))
{
	struct fixture whole, split;

	start_pair(&whole, &split, config, fill);
	then(&whole);
	then(&split);
	assert_same_snapshots(&whole, &split);
}

static void assert_same_snapshots(struct fixture *whole, struct fixture *split)
{
	struct codec_writer whole_bytes = {0}, split_bytes = {0};

	engine_snapshot(whole->engine, &whole_bytes);
	engine_snapshot(split->engine, &split_bytes);
	assert_int_equal(whole_bytes.len, split_bytes.len);
	assert_memory_equal(whole_bytes.data, split_bytes.data, whole_bytes.len);
	free(whole_bytes.data);
	free(split_bytes.data);
	finish(whole);
	finish(split);
}

/* The calls the observer saw completed: the last one's id, how many, how many premature. */
struct judged {
	char last_id[64];
	unsigned calls;
	unsigned premature;
};

static void observe_call(const struct completed_call *call, bool premature, void *ctx)
{
	struct judged *judged = ctx;

	snprintf(judged->last_id, sizeof(judged->last_id), "%s", call->call_id);
	judged->calls++;
	judged->premature += premature;
}

/* F calls of cad-evil, from F{from} to F{to - 1}, each a second after the previous from
 * 08:01:00 on (F0 the oldest); how many were taken. */
static int flood_calls(struct fixture *f, int from_i, int to_i)
{
	int taken = 0;

	for (int i = from_i; i < to_i; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("F%d", "e1", "NOPD"), i, at(1, i));
		taken += from(f, "cad-evil", at(1, i), "%s", line) == EVENT_OK;
	}
	return taken;
}

/* max_open_calls 100, max_open_calls_per_source 60, filled: cad-quiet's Q1 (the oldest),
 * cad-a's A0..A39, cad-evil's F0..F58. */
static struct config three_sources_config(void)
{
	struct config config = flood_config();

	config.tracker.max_open_calls = 100;
	config.tracker.max_open_calls_per_source = 60;
	return config;
}

static void fill_three_sources(struct fixture *f)
{
	assert_int_equal(from(f, "cad-quiet", at(0, 0), START("Q1", "q1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	for (int i = 0; i < 40; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("A%d", "a1", "NOPD"), i, at(0, 1));
		assert_int_equal(from(f, "cad-a", at(0, 1), "%s", line), EVENT_OK);
	}
	assert_int_equal(flood_calls(f, 0, 59), 59);
}

/* When the shared table fills anyway (audit F3: several sources, each under
 * max_open_calls_per_source), the sender holding the most open calls gives up its oldest: the
 * quiet source's older call survives and its end is judged; before, it went first (the oldest
 * of all), with five of cad-a's. */
static void test_full_table_evicts_top_sender(void **state)
{
	struct config config = three_sources_config();
	struct fixture f;
	struct judged judged = {0};
	(void)state;

	start(&f, &config);
	engine_set_call_observer(f.engine, observe_call, &judged);
	fill_three_sources(&f); /* 100 open calls: full */
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->tracker.evicted, 0);
	assert_int_equal(flood_calls(&f, 59, 60), 1); /* 100 / 16 = 6 of its 59 go: F0 to F5 */
	stats = engine_stats(f.engine);
	assert_int_equal(stats->tracker.evicted, 6);
	assert_int_equal(stats->binding.calls_evicted, 6);
	assert_int_equal(stats->open_calls, 95);
	assert_int_equal(f.alert_count, 1);
	assert_non_null(strstr(f.alerts[0], "\"message\":\"open calls dropped "
					    "(tracker.max_open_calls 100 reached): 12 so far; most "
					    "held by feed source cad-evil (54 open calls, "
					    "tracker.max_open_calls_per_source), whose oldest go "
					    "first; raise tracker.max_open_calls\"}"));
	/* And so on, its oldest each time: under its max_open_calls_per_source all along (before,
	 * the others' calls went, and F60 was refused: cad-evil held 60). */
	assert_int_equal(flood_calls(&f, 60, 100), 40);
	stats = engine_stats(f.engine);
	assert_int_equal(stats->tracker.evicted, 42);
	assert_int_equal(stats->binding.calls_evicted, 42);
	/* cad-evil's oldest went: F41's end finds no call (it opens one without a start), F42's
	 * is judged. */
	assert_int_equal(from(&f, "cad-evil", at(3, 0), END("F41", "caller"), at(3, 0)),
			 EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 0);
	assert_int_equal(from(&f, "cad-evil", at(3, 0), END("F42", "caller"), at(3, 0)),
			 EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 1);
	assert_string_equal(judged.last_id, "F42");
	/* The quiet source's call, the oldest of all, is judged; and all of cad-a's. */
	assert_int_equal(from(&f, "cad-quiet", at(3, 1), END("Q1", "caller"), at(3, 1)),
			 EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 2);
	assert_string_equal(judged.last_id, "Q1");
	for (int i = 0; i < 40; i++) {
		char line[256];
		snprintf(line, sizeof(line), END("A%d", "caller"), i, at(3, 2));
		assert_int_equal(from(&f, "cad-a", at(3, 2), "%s", line), EVENT_OK);
	}
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 42);
	assert_int_equal(judged.premature, 0);
	assert_int_equal(engine_stats(f.engine)->tracker.evicted, 42);
	finish(&f);
}

/* The calls fill_three_sources started that are open: each ended by its source at 08:03 (the
 * survivors first, F58 down to F0 last), those not then judged listed ("F0 F1 "). */
static void assert_evicted_calls(struct fixture *f, const char *expected)
{
	struct judged judged = { 0 };
	char evicted[512] = "";
	char id[16], line[256];

	engine_set_call_observer(f->engine, observe_call, &judged);
	for (int i = -1; i < 99; i++) {
		const char *source = i < 0 ? "cad-quiet" : i < 40 ? "cad-a" : "cad-evil";
		if (i < 0)
			snprintf(id, sizeof(id), "Q1");
		else if (i < 40)
			snprintf(id, sizeof(id), "A%d", i);
		else
			snprintf(id, sizeof(id), "F%d", 98 - i);
		unsigned before = judged.calls;
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%lld,"
			 "\"released_by\":\"caller\"}",
			 id, at(3, 0));
		assert_int_equal(from(f, source, at(3, 0), "%s", line), EVENT_OK);
		engine_flush(f->engine);
		if (judged.calls == before)
			snprintf(evicted + strlen(evicted), sizeof(evicted) - strlen(evicted),
				 "%s ", id);
	}
	assert_string_equal(evicted, expected);
}

/* A reload shrinking tracker.max_open_calls from 100 to 90 evicts as a full table does: the
 * oldest of the top sender's calls, cad-evil's F0..F9 (its 59 the most). Before, the oldest
 * of all went, by age alone, in sixteenths (6 then 5): the quiet source's Q1 and ten of
 * cad-a's forty. A restored engine shrinks alike, to the same snapshot bytes. */
static void test_shrinking_reload_evicts_top_sender(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	(void)state;

	start_pair(&whole, &split, &config, fill_three_sources);
	engine_flush(whole.engine);
	engine_flush(split.engine);
	config.tracker.max_open_calls = 90;
	assert_int_equal(engine_reconfigure(whole.engine, &config), 0);
	assert_int_equal(engine_reconfigure(split.engine, &config), 0);
	assert_int_equal(engine_stats(whole.engine)->tracker.evicted, 10);
	assert_int_equal(engine_stats(whole.engine)->open_calls, 90);
	assert_int_equal(engine_stats(split.engine)->open_calls, 90);
	assert_evicted_calls(&whole, "F9 F8 F7 F6 F5 F4 F3 F2 F1 F0 ");
	assert_evicted_calls(&split, "F9 F8 F7 F6 F5 F4 F3 F2 F1 F0 ");
	assert_same_snapshots(&whole, &split);
}

/* The binding forgets exactly the calls a reload shrinking tracker.max_open_calls evicts from
 * the tracker (one decision): cad-evil's F0..F9, 10 each. The quiet source's Q1 and cad-a's A0
 * stay bound to their owners: cad-evil's call_end for either is refused, live and restored
 * alike, to the same snapshot bytes. Before, the binding shrank apart (the oldest of all, in
 * sixteenths): it forgot Q1's owner and ten of cad-a's, whose ends cad-evil could then send,
 * and kept F0..F9 (cad-evil counted 59 open calls, not 49). */
static void test_shrinking_reload_binding_forgets_the_same(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	(void)state;

	start_pair(&whole, &split, &config, fill_three_sources);
	config.tracker.max_open_calls = 90;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		struct judged judged = {0};
		engine_flush(f->engine);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		const struct engine_stats *stats = engine_stats(f->engine);
		assert_int_equal(stats->tracker.evicted, 10);
		assert_int_equal(stats->binding.calls_evicted, 10);
		assert_int_equal(stats->open_calls, 90);
		engine_set_call_observer(f->engine, observe_call, &judged);
		assert_int_equal(from(f, "cad-evil", at(3, 0), END("Q1", "caller"), at(3, 0)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		assert_int_equal(from(f, "cad-evil", at(3, 0), END("A0", "caller"), at(3, 0)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		engine_flush(f->engine);
		assert_int_equal(judged.calls, 0);
		assert_int_equal(engine_stats(f->engine)->open_calls, 90);
	}
	assert_same_snapshots(&whole, &split);
}

/* count call_starts of op from source, for calls prefix0.., at ts. */
static void open_calls_of(struct fixture *f, const char *source, const char *prefix,
			  const char *op, int count, long long ts)
{
	char line[256];

	for (int i = 0; i < count; i++) {
		snprintf(line, sizeof(line), START("%s%d", "%s", "NOPD"), prefix, i, ts, op);
		assert_int_equal(from(f, source, ts, "%s", line), EVENT_OK);
	}
}

/* cad-a's S0..S4 at 08:00 (stale by 08:02 with tracker.max_call_seconds 60), then at 08:02
 * cad-c's completed calls C0.. (started at 08:02:00, ended a second later), then, at second s,
 * an incident alone for cad-quiet's X (no call_start) and cad-b's b_calls B0... */
static void fill_stale(struct fixture *f, int completed, int b_calls, int s)
{
	char line[256];

	open_calls_of(f, "cad-a", "S", "a1", 5, at(0, 0));
	for (int i = 0; i < completed; i++) {
		snprintf(line, sizeof(line), START("C%d", "c1", "NOPD"), i, at(2, 0));
		assert_int_equal(from(f, "cad-c", at(2, 0), "%s", line), EVENT_OK);
		snprintf(line, sizeof(line), END("C%d", "caller"), i, at(2, 1));
		assert_int_equal(from(f, "cad-c", at(2, 1), "%s", line), EVENT_OK);
	}
	assert_int_equal(from(f, "cad-quiet", at(2, s), INCIDENT("X"), at(2, s)), EVENT_OK);
	open_calls_of(f, "cad-b", "B", "b1", b_calls, at(2, s));
	engine_flush(f->engine);
}

/* fill_stale with none completed and B0..B2 at 08:02:00: nine open calls. */
static void fill_stale_calls(struct fixture *f)
{
	fill_stale(f, 0, 3, 0);
}

/* A reload shrinking tracker.max_open_calls to 6 with five stale calls: the tracker expires
 * S0..S4 (none evicted: four left) and tells the binding of each, which forgets exactly those
 * (not counted as evicted): 4 calls in both tables, live and restored alike. X stays cad-quiet's
 * (cad-evil's call_end for it refused); cad-evil's call_end for the expired S0 is taken as for
 * a call never heard of. Before, the binding shrank apart by its own age, the call without a
 * call_start first: it forgot X's owner and S0, S1 (3 counted evicted) and kept S2..S4 (6 bound
 * against the tracker's 4), so cad-evil could end X. */
static void test_shrinking_reload_binding_forgets_expired_calls(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	(void)state;

	config.tracker.max_call_seconds = 60;
	start_pair(&whole, &split, &config, fill_stale_calls);
	config.tracker.max_open_calls = 6;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		struct judged judged = {0};
		assert_int_equal(engine_stats(f->engine)->open_calls, 9);
		assert_int_equal(engine_stats(f->engine)->binding.calls, 9);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		const struct engine_stats *stats = engine_stats(f->engine);
		assert_int_equal(stats->tracker.expired, 5);
		assert_int_equal(stats->tracker.evicted, 0);
		assert_int_equal(stats->open_calls, 4);
		assert_int_equal(stats->binding.calls, 4);
		assert_int_equal(stats->binding.calls_evicted, 0);
		engine_set_call_observer(f->engine, observe_call, &judged);
		assert_int_equal(from(f, "cad-evil", at(2, 1), END("X", "caller"), at(2, 1)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		assert_string_equal(f->verdict.why,
				    "call_end: call \"X\" was opened by feed source cad-quiet "
				    "(tracker.bind_calls_to_source)");
		assert_int_equal(from(f, "cad-evil", at(2, 1), END("Z9", "caller"), at(2, 1)),
				 EVENT_OK);
		assert_int_equal(from(f, "cad-evil", at(2, 1), END("S0", "caller"), at(2, 1)),
				 EVENT_OK);
		engine_flush(f->engine);
		assert_int_equal(judged.calls, 0);
		stats = engine_stats(f->engine);
		assert_int_equal(stats->open_calls, 6);
		assert_int_equal(stats->binding.calls, 6);
	}
	assert_same_snapshots(&whole, &split);
}

/* fill_stale with 40 completed calls (their new calls make the tracker sweep its stale calls:
 * S0..S4 expired, the binding told), then X and B0..B3 at 08:02:02: five open calls, the
 * binding holding the same five owners. */
static void fill_swept_calls(struct fixture *f)
{
	fill_stale(f, 40, 4, 2);
}

/* fill_swept_calls with tracker.max_open_calls 10: the tracker's sweep told the binding of
 * S0..S4, whose owners went with them (not counted as evicted: expired), so both hold the same
 * five calls; a reload to 6 keeps them all, X's owner among them: cad-evil's call_end for X
 * refused, live and restored alike. Before review7, the sweep did not tell the binding (10 bound)
 * and a reload forgot S0..S4's owners then; before that, the binding shrank 10 -> 6 by its own
 * age, X (no call_start) first: X's owner forgotten (cad-evil could end it). */
static void test_tracker_sweep_forgets_owners_of_swept_calls(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	(void)state;

	config.tracker.max_call_seconds = 60;
	config.tracker.max_open_calls = 10;
	start_pair(&whole, &split, &config, fill_swept_calls);
	config.tracker.max_open_calls = 6;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		assert_int_equal(engine_stats(f->engine)->tracker.expired, 5);
		assert_int_equal(engine_stats(f->engine)->open_calls, 5);
		assert_int_equal(engine_stats(f->engine)->binding.calls, 5);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		const struct engine_stats *stats = engine_stats(f->engine);
		assert_int_equal(stats->tracker.evicted, 0);
		assert_int_equal(stats->open_calls, 5);
		assert_int_equal(stats->binding.calls, 5);
		assert_int_equal(stats->binding.calls_evicted, 0);
		assert_int_equal(from(f, "cad-evil", at(2, 3), END("X", "caller"), at(2, 3)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	}
	assert_same_snapshots(&whole, &split);
}

/* fill_swept_calls with tracker.max_open_calls 11, then cad-quiet's call_start for Y at
 * 08:02:02.5, which waits in the reorder buffer (cad-b's clock, at 08:02:02, is behind it):
 * bound, not yet tracked (6 bound: X, B0..B3, Y; S0..S4's owners went with the tracker's
 * sweep). A reload to 6 keeps Y's owner with the tracker's five (6 bound, none evicted) and
 * cad-evil's call_end for Y, once Y is released, is refused. Before, the binding forgot every
 * call the tracker did not hold, Y's owner with them, uncounted, and cad-evil could end
 * cad-quiet's call. */
static void test_shrinking_reload_keeps_owner_of_waiting_call(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	(void)state;

	config.tracker.max_call_seconds = 60;
	config.tracker.max_open_calls = 11;
	start_pair(&whole, &split, &config, fill_swept_calls);
	config.tracker.max_open_calls = 6;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		assert_int_equal(from(f, "cad-quiet", at(2, 2) + 500,
				      START("Y", "q1", "NOPD"), at(2, 2) + 500),
				 EVENT_OK);
		assert_int_equal(engine_stats(f->engine)->buffered, 1);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		const struct engine_stats *stats = engine_stats(f->engine);
		assert_int_equal(stats->open_calls, 5);
		assert_int_equal(stats->binding.calls, 6);
		assert_int_equal(stats->binding.calls_evicted, 0);
		engine_flush(f->engine);
		assert_int_equal(engine_stats(f->engine)->open_calls, 6);
		assert_int_equal(from(f, "cad-evil", at(2, 6), END("Y", "caller"), at(2, 6)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		assert_string_equal(f->verdict.why,
				    "call_end: call \"Y\" was opened by feed source cad-quiet "
				    "(tracker.bind_calls_to_source)");
	}
	assert_same_snapshots(&whole, &split);
}

/* fill_stale with none completed and B0..B39 at 08:02:02: 46 open calls (S0..S4, X, B0..B39). */
static void fill_stale_many(struct fixture *f)
{
	fill_stale(f, 0, 40, 2);
}

/* cad-evil's call_ends for cad-b's B0..B39, stamped at ts: how many were taken. */
static int end_calls_of_b(struct fixture *f, long long ts)
{
	char line[256];
	int taken = 0;

	for (int i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), END("B%d", "caller"), i, ts);
		taken += from(f, "cad-evil", ts, "%s", line) == EVENT_OK;
	}
	return taken;
}

/* fill_stale_many, then cad-quiet's call_starts Y0.. at 08:02:02.5, waiting in the reorder
 * buffer (bound, not tracked): 46 + waiting owners. A reload to 46 keeps the tracker's 46 and
 * every owner (none evicted): the waiting calls are not the tracker's yet. When the Ys are
 * released the full tracker evicts cad-b's idlest calls (2 for one Y, 4 for three: a table
 * evicts a fraction when full) and tells the binding, which forgets exactly those owners
 * (counted, as the tracker's). So both hold the same calls, cad-evil can end none of cad-a's
 * S0..S4, cad-quiet's X or Ys, nor a call of cad-b's the tracker still holds; its call_ends for
 * the calls dropped from both tables are taken as for calls never heard of. Before review7,
 * the reload evicted the waiting count of cad-b's owners, and the tracker others of cad-b's. */
static void shrink_with_waiting(int waiting, int tracker_evicts)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	char line[256];

	start_pair(&whole, &split, &config, fill_stale_many);
	config.tracker.max_open_calls = 46;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		struct judged judged = {0};
		for (int i = 0; i < waiting; i++) {
			snprintf(line, sizeof(line), START("Y%d", "q1", "NOPD"), i, at(2, 2) + 500);
			assert_int_equal(from(f, "cad-quiet", at(2, 2) + 500, "%s", line),
					 EVENT_OK);
		}
		assert_int_equal(engine_stats(f->engine)->buffered, (uint32_t)waiting);
		assert_int_equal(engine_stats(f->engine)->binding.calls, 46 + waiting);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		const struct engine_stats *stats = engine_stats(f->engine);
		assert_int_equal(stats->open_calls, 46);
		assert_int_equal(stats->binding.calls, 46 + waiting);
		assert_int_equal(stats->binding.calls_evicted, 0);
		assert_int_equal(stats->tracker.evicted, 0);
		engine_flush(f->engine); /* the Ys tracked: the full tracker evicts cad-b's calls */
		stats = engine_stats(f->engine);
		assert_int_equal(stats->tracker.evicted, (uint64_t)tracker_evicts);
		assert_int_equal(stats->binding.calls_evicted, (uint64_t)tracker_evicts);
		assert_int_equal(stats->open_calls, 46 + waiting - tracker_evicts);
		assert_int_equal(stats->binding.calls, stats->open_calls);
		engine_set_call_observer(f->engine, observe_call, &judged);
		assert_int_equal(from(f, "cad-evil", at(2, 3), END("X", "caller"), at(2, 3)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		for (int i = 0; i < 5; i++) {
			snprintf(line, sizeof(line), END("S%d", "operator"), i, at(2, 3));
			assert_int_equal(from(f, "cad-evil", at(2, 3), "%s", line),
					 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		}
		for (int i = 0; i < waiting; i++) {
			snprintf(line, sizeof(line), END("Y%d", "caller"), i, at(2, 3));
			assert_int_equal(from(f, "cad-evil", at(2, 3), "%s", line),
					 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		}
		assert_int_equal(end_calls_of_b(f, at(2, 3)), tracker_evicts);
		engine_flush(f->engine);
		assert_int_equal(judged.calls, 0);
	}
	assert_same_snapshots(&whole, &split);
}

static void test_shrinking_reload_keeps_every_held_owner(void **state)
{
	(void)state;
	shrink_with_waiting(1, 2);
	shrink_with_waiting(3, 4);
}

/* fill_stale_many (46 open calls) with tracker.max_open_calls 46, then cad-quiet's call_start
 * for Y0 at 08:02:02.5, waiting in the reorder buffer, and cad-evil's call_ends for cad-b's 40
 * calls stamped 08:02:02.4, before it: all refused (call_of_other_source), none judged. The
 * binding holds 47 owners (a full tracker's and the waiting call's: its room is
 * max_open_calls + max_reorder_events + 1 and a sixteenth) and evicted none. Before review7 its
 * room was max_open_calls: it made room for Y0 by evicting 6 of cad-b's owners (the tracker
 * still held the calls), and cad-evil's call_ends for 4 of them were taken and judged before
 * Y0 was released. */
static void test_waiting_call_start_keeps_every_tracked_owner(void **state)
{
	struct config config = three_sources_config();
	struct fixture f;
	struct judged judged = {0};
	(void)state;

	config.tracker.max_open_calls = 46;
	start(&f, &config);
	fill_stale_many(&f);
	assert_int_equal(engine_stats(f.engine)->open_calls, 46);
	assert_int_equal(from(&f, "cad-quiet", at(2, 2) + 500, START("Y0", "q1", "NOPD"),
			      at(2, 2) + 500), EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->buffered, 1);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 47);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted, 0);
	engine_set_call_observer(f.engine, observe_call, &judged);
	assert_int_equal(end_calls_of_b(&f, at(2, 2) + 400), 0);
	assert_int_equal(from(&f, "cad-evil", at(2, 2) + 400, END("B0", "caller"), at(2, 2) + 400),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why, "call_end: call \"B0\" was opened by feed source cad-b "
					   "(tracker.bind_calls_to_source)");
	engine_flush(f.engine); /* Y0 tracked: the tracker evicts 2 of cad-b's, told */
	assert_int_equal(judged.calls, 0);
	assert_int_equal(engine_stats(f.engine)->tracker.evicted, 2);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted, 2);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 45);
	assert_int_equal(engine_stats(f.engine)->open_calls, 45);
	finish(&f);
}

/* The same with the tracker's room shrunk to 46 by a reload while Y0 waits (fill_stale_many
 * with the room of 100 first): the reload keeps all 47 owners, none evicted, and cad-evil's
 * call_ends stamped before Y0 are all refused. Before review7 the reload evicted one owner of
 * cad-b's, the tracker others when Y0 came, and 2 of cad-evil's call_ends were judged. */
static void test_reload_with_a_waiting_call_keeps_every_tracked_owner(void **state)
{
	struct config config = three_sources_config();
	struct fixture f;
	struct judged judged = {0};
	(void)state;

	start(&f, &config);
	fill_stale_many(&f);
	config.tracker.max_open_calls = 46;
	assert_int_equal(from(&f, "cad-quiet", at(2, 2) + 500, START("Y0", "q1", "NOPD"),
			      at(2, 2) + 500), EVENT_OK);
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted, 0);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 47);
	assert_int_equal(engine_stats(f.engine)->open_calls, 46);
	engine_set_call_observer(f.engine, observe_call, &judged);
	assert_int_equal(end_calls_of_b(&f, at(2, 2) + 400), 0);
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 0);
	finish(&f);
}

/* cad-a's A0..A29 and cad-b's B0..B28 tracked at 08:02:00 (59), cad-quiet's call_starts
 * Y0..Y19 waiting, a reload to tracker.max_open_calls 59, all released (the full tracker evicts
 * of cad-a's and cad-b's in turn, each told to the binding); then cad-evil's call_end for the
 * call prefix<call> at 08:03: how many calls it judged (0 when the binding kept the owner of
 * every call the tracker still holds). A fresh engine each time: no call ended before. */
static int judged_after_shrink_with_waiting(const char *prefix, int call)
{
	struct config config = three_sources_config();
	struct fixture f;
	struct judged judged = {0};
	char line[256];

	start(&f, &config);
	open_calls_of(&f, "cad-a", "A", "a1", 30, at(2, 0));
	open_calls_of(&f, "cad-b", "B", "b1", 29, at(2, 0));
	engine_flush(f.engine);
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), START("Y%d", "q1", "NOPD"), i, at(2, 0) + 500 + i);
		assert_int_equal(from(&f, "cad-quiet", at(2, 0) + 500 + i, "%s", line), EVENT_OK);
	}
	config.tracker.max_open_calls = 59;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted, 0);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->binding.calls,
			 engine_stats(f.engine)->open_calls);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted,
			 engine_stats(f.engine)->tracker.evicted);
	engine_set_call_observer(f.engine, observe_call, &judged);
	snprintf(line, sizeof(line), "{\"type\":\"call_end\",\"call_id\":\"%s%d\",\"ts\":%lld,"
		 "\"released_by\":\"caller\"}", prefix, call, at(3, 0));
	from(&f, "cad-evil", at(3, 0), "%s", line);
	engine_flush(f.engine);
	finish(&f);
	return judged.calls;
}

/* Each of cad-a's 30 and cad-b's 29 calls, after the reload and release above: cad-evil ends
 * none that the tracker holds. Before review7 the reload shed the 20 waiting owners from one
 * sender (cad-a, the top), the tracker then evicted from cad-a and cad-b in turn: 10 of
 * cad-a's calls were left tracked without an owner, and cad-evil's call_end judged each. */
static void test_shrinking_reload_with_waiting_calls_leaves_none_unowned(void **state)
{
	int judged = 0;
	(void)state;

	for (int i = 0; i < 30; i++)
		judged += judged_after_shrink_with_waiting("A", i);
	for (int i = 0; i < 29; i++)
		judged += judged_after_shrink_with_waiting("B", i);
	assert_int_equal(judged, 0);
}

/* fill_stale_many (46 tracked), 24 of cad-quiet's call_starts Y0..Y23 waiting, and a reload to
 * tracker.max_open_calls 46 and tracker.max_reorder_events 16: the owners' new room (46 + 16 +
 * 1 and a sixteenth: 66) is below the 70 owners of calls held, which it keeps, and one more.
 * cad-evil's new call Z1 is bound in that room; its call_ends stamped before the Ys then judge
 * none of cad-b's calls: each is refused while the tracker holds it, taken as new once the
 * released Ys made the tracker drop it (told: the owners are as many as the open calls after).
 * A reload shrinking the room to 66 evicted 4 owners of calls held. */
static void test_reload_shrinking_the_reorder_buffer_keeps_owners(void **state)
{
	struct config config = three_sources_config();
	struct fixture f;
	struct judged judged = {0};
	char line[256];
	(void)state;

	start(&f, &config);
	fill_stale_many(&f);
	for (int i = 0; i < 24; i++) {
		snprintf(line, sizeof(line), START("Y%d", "q1", "NOPD"), i, at(2, 2) + 500);
		assert_int_equal(from(&f, "cad-quiet", at(2, 2) + 500, "%s", line), EVENT_OK);
	}
	config.tracker.max_open_calls = 46;
	config.tracker.max_reorder_events = 16;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 70);
	assert_int_equal(engine_stats(f.engine)->binding.calls_evicted, 0);
	engine_set_call_observer(f.engine, observe_call, &judged);
	assert_int_equal(from(&f, "cad-evil", at(2, 2) + 400, START("Z1", "e1", "NOPD"),
			      at(2, 2) + 400), EVENT_OK);
	end_calls_of_b(&f, at(2, 2) + 400);
	engine_flush(f.engine);
	assert_int_equal(judged.calls, 0);
	assert_int_equal(engine_stats(f.engine)->binding.calls,
			 engine_stats(f.engine)->open_calls);
	finish(&f);
}

/* A call completed by the tracker, as the observer saw it. */
struct completion {
	unsigned calls;
	unsigned premature;
	char operator_id[16];
	char source[16];
	int64_t start_ms;
	int64_t end_ms;
};

static void observe_completion(const struct completed_call *call, bool premature, void *ctx)
{
	struct completion *seen = ctx;

	seen->calls++;
	seen->premature += premature;
	snprintf(seen->operator_id, sizeof(seen->operator_id), "%s", call->operator_id);
	snprintf(seen->source, sizeof(seen->source), "%s", call->source ? call->source : "");
	seen->start_ms = call->start_ms;
	seen->end_ms = call->end_ms;
}

/* cad-evil's E1 at 08:00:00, and cad-east's c1 (08:00:00.100 to 08:00:01.500) waiting for it. */
static void fill_completed_waiting(struct fixture *f)
{
	int64_t t = at(0, 0);

	assert_int_equal(from(f, "cad-evil", t, START("E1", "e1", "NOPD"), t), EVENT_OK);
	assert_int_equal(from(f, "cad-east", t + 100, START("c1", "op-1", "NOPD"), t + 100),
			 EVENT_OK);
	assert_int_equal(from(f, "cad-east", t + 1500, END("c1", "caller"), t + 1500), EVENT_OK);
}

/* cad-east's call c1 (op-1, 08:00:00.100 to 08:00:01.500, the caller's hangup) waits for
 * cad-evil (heard at 08:00:00): both its call_start and call_end admitted, its call_end still in
 * the reorder buffer. cad-evil's hostile line for c1 stamped hostile_ms, before that call_end,
 * and sent after it: its verdict; *seen: the calls judged once everything is released. */
static enum event_reject hostile_line_for_completed_call(const char *hostile, int64_t hostile_ms,
							 struct completion *seen)
{
	struct config config = flood_config();
	struct fixture f;

	start(&f, &config);
	engine_set_call_observer(f.engine, observe_completion, seen);
	fill_completed_waiting(&f);
	assert_int_equal(engine_stats(f.engine)->buffered, 2);
	enum event_reject reason = from(&f, "cad-evil", hostile_ms, "%s", hostile);
	engine_flush(f.engine);
	finish(&f);
	return reason;
}

/* While the tracker holds a call both of whose events were admitted (its call_end waiting in the
 * reorder buffer), another source's call_end or call_start for it stamped before that end is
 * refused: the call is judged as its source sent it, 1.4 s released by the caller, not
 * premature. Before, the binding freed the id once both were admitted: cad-evil's call_end
 * (08:00:00.300, the operator's release) completed c1 first, a premature hangup of op-1 after
 * 0.2 s, and its call_start (08:00:00.050, op-66) opened c1 in op-66's name, which cad-east's
 * call_end then completed: a 1.45 s call of op-66. */
static void test_completed_call_keeps_its_owner_until_tracked(void **state)
{
	struct completion seen = {0};
	char line[256];
	(void)state;

	snprintf(line, sizeof(line), END("c1", "operator"), at(0, 0) + 300);
	assert_int_equal(hostile_line_for_completed_call(line, at(0, 0) + 300, &seen),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.premature, 0);
	assert_string_equal(seen.operator_id, "op-1");
	assert_string_equal(seen.source, "cad-east");
	assert_int_equal(seen.start_ms, at(0, 0) + 100);
	assert_int_equal(seen.end_ms, at(0, 0) + 1500);
	memset(&seen, 0, sizeof(seen));
	snprintf(line, sizeof(line), START("c1", "op-66", "NOPD"), at(0, 0) + 50);
	assert_int_equal(hostile_line_for_completed_call(line, at(0, 0) + 50, &seen),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.operator_id, "op-1");
	assert_int_equal(seen.start_ms, at(0, 0) + 100);
	assert_int_equal(seen.end_ms, at(0, 0) + 1500);
}

/* After fill_completed_waiting: cad-evil's call_end for c1 stamped before cad-east's is refused;
 * once released, only E1 keeps an owner. */
static void refuse_earlier_end(struct fixture *f)
{
	assert_int_equal(engine_stats(f->engine)->binding.calls, 2);
	assert_int_equal(from(f, "cad-evil", at(0, 0) + 300, END("c1", "operator"), at(0, 0) + 300),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	engine_flush(f->engine);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 1);
}

/* The owner of a complete call waiting for the tracker is saved in a snapshot: refused after a
 * restore as without one, and the two engines end alike. */
static void test_completed_call_owner_survives_snapshot(void **state)
{
	struct config config = flood_config();
	(void)state;

	assert_survives_snapshot(&config, fill_completed_waiting, refuse_earlier_end);
}

/* The tracker tells the binding of each call it completes, and of one it drops as ended before
 * it started: cad-east's c1 (fill_completed_waiting) then its new call c1 from 08:00:01.600, and
 * c2 ended at 08:00:00.150 before its start at 08:00:00.200, all waiting for cad-evil. Once
 * released, the owners are those of the two calls open (E1 and the new c1): cad-evil's
 * call_end for c1 is refused, its call_start for c2 taken. */
static void test_tracker_completion_forgets_the_owner(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	int64_t t = at(0, 0);
	(void)state;

	start(&f, &config);
	fill_completed_waiting(&f);
	assert_int_equal(from(&f, "cad-east", t + 1600, START("c1", "op-1", "NOPD"), t + 1600),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-east", t + 200, START("c2", "op-1", "NOPD"), t + 200),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-east", t + 150, END("c2", "caller"), t + 150), EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->buffered, 5);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 3);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->tracker.end_before_start, 1);
	assert_int_equal(engine_stats(f.engine)->open_calls, 2);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 2);
	assert_int_equal(from(&f, "cad-evil", t + 1700, END("c1", "operator"), t + 1700),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_int_equal(from(&f, "cad-evil", t + 1700, START("c2", "e1", "NOPD"), t + 1700),
			 EVENT_OK);
	finish(&f);
}

/* cad-east's c1 (fill_completed_waiting) and its next call c1 (08:00:01.600 to 08:00:02.500,
 * heard at 08:00:02.500): the owner's id reused with all four events waiting. cad-evil's
 * call_start of E2 (08:00:01.550) releases the first c1; the second still waits, complete, so
 * the first one's completion leaves it its owner: cad-evil's call_end for c1 stamped before
 * cad-east's is refused, and the second c1 is judged as sent, 0.9 s released by the caller.
 * Before (rev9 F2), the first completion forgot the owner: cad-evil's call_end was taken and
 * ended the second c1 after 0.4 s, released by the operator. */
static void test_reused_id_keeps_its_owner_until_each_call_completes(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	struct completion seen = {0};
	int64_t t = at(0, 0);
	(void)state;

	start(&f, &config);
	engine_set_call_observer(f.engine, observe_completion, &seen);
	fill_completed_waiting(&f);
	line_at(&f, "cad-east", t + 2500, START("c1", "op-1", "NOPD"), t + 1600);
	line_at(&f, "cad-east", t + 2500, END("c1", "caller"), t + 2500);
	line_at(&f, "cad-evil", t + 2500, START("E2", "e1", "NOPD"), t + 1550);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(engine_stats(f.engine)->buffered, 2);
	assert_int_equal(heard_at(&f, "cad-evil", t + 2500, END("c1", "operator"), t + 2000),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	engine_flush(f.engine);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.premature, 0);
	assert_int_equal(seen.start_ms, t + 1600);
	assert_int_equal(seen.end_ms, t + 2500);
	assert_string_equal(seen.source, "cad-east");
	assert_int_equal(engine_stats(f.engine)->binding.calls, 2); /* E1 and E2: c1 forgotten */
	assert_int_equal(engine_stats(f.engine)->binding.calls_owed_capped, 0);
	finish(&f);
}

/* cad-evil's E1 at 08:00:00, then cad-east's call_starts (S) and call_ends (E) of c1 in the
 * order arrivals lists them ("S100 E300": ts in ms after 08:00:00), all heard at 08:00:02 and
 * waiting for cad-evil; then everything released. */
static void c1_arrivals_flushed(struct fixture *f, const struct config *config,
				struct completion *seen, const char *arrivals)
{
	int64_t t = at(0, 0);
	char type;
	int ms, used;

	start(f, config);
	engine_set_call_observer(f->engine, observe_completion, seen);
	assert_int_equal(from(f, "cad-evil", t, START("E1", "e1", "NOPD"), t), EVENT_OK);
	for (; sscanf(arrivals, " %c%d%n", &type, &ms, &used) == 2; arrivals += used)
		if (type == 'S')
			line_at(f, "cad-east", t + 2000, START("c1", "op-1", "NOPD"), t + ms);
		else
			line_at(f, "cad-east", t + 2000, END("c1", "caller"), t + ms);
	engine_flush(f->engine);
}

/* The owner's own events of a reused id out of order (arrival S100 S300 E200 E400 S500, all
 * waiting for cad-evil): the tracker pairs them by ts (S100+E200, S300+E400) and leaves S500
 * open, so the owner stays while it is: cad-evil's call_end for c1 is refused and nothing is
 * judged premature. Before (a count of completions paired by arrival: S100+E200, E400+S500, 2
 * owed; rev10a R1), the second completion forgot the owner while S500 was open: cad-evil's
 * call_end was taken and ended cad-east's call after 0.1 s, premature. */
static void test_owner_kept_while_reused_id_is_open_out_of_order(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	struct completion seen = {0};
	(void)state;

	c1_arrivals_flushed(&f, &config, &seen, "S100 S300 E200 E400 S500");
	assert_int_equal(seen.calls, 2);
	assert_int_equal(engine_stats(f.engine)->open_calls, 2); /* E1 and cad-east's c1 */
	assert_int_equal(engine_stats(f.engine)->binding.calls, 2);
	assert_int_equal(heard_at(&f, "cad-evil", at(0, 2), END("c1", "operator"), at(0, 0) + 600),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	engine_flush(f.engine);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.premature, 0);
	finish(&f);
}

/* Arrival S100 E300 S200 E400 S600 E500 of cad-east's c1, all waiting for cad-evil: the
 * tracker takes S200 and E500 as duplicates, completes S100+E300 and drops E400+S600 (ended
 * before it started), and then holds nothing of c1: its owner goes with the last event, so
 * cad-evil's call_start for c1 is taken. Before (rev10a R2), the binding counted 3 completions
 * by arrival, 2 made: the owner stayed, owing 1, until tracker.max_call_seconds, and cad-evil's
 * call_start was refused. */
static void test_owner_goes_once_nothing_holds_the_id(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	struct completion seen = {0};
	(void)state;

	c1_arrivals_flushed(&f, &config, &seen, "S100 E300 S200 E400 S600 E500");
	assert_int_equal(seen.calls, 1);
	assert_int_equal(engine_stats(f.engine)->tracker.duplicates, 2);
	assert_int_equal(engine_stats(f.engine)->tracker.end_before_start, 1);
	assert_int_equal(engine_stats(f.engine)->open_calls, 1); /* E1 only */
	assert_int_equal(engine_stats(f.engine)->binding.calls, 1);
	assert_int_equal(heard_at(&f, "cad-evil", at(0, 2), START("c1", "e1", "NOPD"),
				  at(0, 0) + 700),
			 EVENT_OK);
	finish(&f);
}

/* fill_completed_waiting and cad-east's second c1 (08:00:01.600 to 08:00:02.500): 4 of c1's
 * events waiting. */
static void fill_reused_waiting(struct fixture *f)
{
	int64_t t = at(0, 0);

	fill_completed_waiting(f);
	line_at(f, "cad-east", t + 2500, START("c1", "op-1", "NOPD"), t + 1600);
	line_at(f, "cad-east", t + 2500, END("c1", "caller"), t + 2500);
}

/* After fill_reused_waiting: cad-evil's call_end for c1 after the first c1's completion is
 * refused; once all is released, E1 and E2 keep owners. */
static void reused_then_hostile(struct fixture *f)
{
	int64_t t = at(0, 0);

	line_at(f, "cad-evil", t + 2500, START("E2", "e1", "NOPD"), t + 1550);
	assert_int_equal(heard_at(f, "cad-evil", t + 2500, END("c1", "operator"), t + 2000),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	engine_flush(f->engine);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 2);
}

/* The count of events waiting survives a snapshot mid-window: the restored engine refuses
 * cad-evil's call_end as the straight one does, and both end alike. */
static void test_events_waiting_survive_snapshot(void **state)
{
	struct config config = flood_config();
	(void)state;

	assert_survives_snapshot(&config, fill_reused_waiting, reused_then_hostile);
}

/* The index of the byte of events waiting of call_id's owner (its strings, the last time and
 * has_start and has_end before it) in snapshot w. */
static size_t waiting_byte(const struct codec_writer *w, const char *call_id, const char *owner)
{
	unsigned char key[64];
	size_t id_len = strlen(call_id), owner_len = strlen(owner), hit = 0, hits = 0;
	size_t len = id_len + 4 + owner_len;

	assert_true(len <= sizeof(key));
	memcpy(key, call_id, id_len);
	for (size_t b = 0; b < 4; b++)
		key[id_len + b] = (unsigned char)(owner_len >> (8 * b));
	memcpy(key + id_len + 4, owner, owner_len);
	for (size_t i = 0; i + len + 11 <= w->len; i++)
		if (memcmp(w->data + i, key, len) == 0) {
			hit = i + len + 10;
			hits++;
		}
	assert_int_equal(hits, 1);
	return hit;
}

/* Snapshot w with its byte at i set to value and its CRC made good. */
static void set_byte(struct codec_writer *w, size_t i, unsigned char value)
{
	w->data[i] = value;
	uint32_t crc = codec_crc32c(0, w->data, w->len - 4);
	for (int b = 0; b < 4; b++)
		w->data[w->len - 4 + (size_t)b] = (unsigned char)(crc >> (8 * b));
}

/* set_byte, restored: NULL with *why when refused. */
static struct engine *restore_with_byte(struct codec_writer *w, size_t i, unsigned char value,
					const struct config *config, char *why, size_t why_size)
{
	set_byte(w, i, value);
	return engine_restore(w->data, w->len, config, NULL, NULL, why, why_size);
}

/* Snapshot w as a build of format (14 or 15) wrote it: no repeat callers' sweep position and
 * no state_incomplete refill time nor events_too_late list at the end (17's [u32 slots][u32
 * sweep home], 18's i64 and u32 0 before the CRC), after the byte of events waiting of each
 * owner (owners: call_id and owner pairs, then NULL) no first arrival (16's u64; 14's byte
 * read as 15's, unused), its format and CRC made good. */
static void as_format(struct codec_writer *w, unsigned char format, const char *const *owners)
{
	w->len -= 20; /* the CRC, rewritten by set_byte, in place of the sweep and 18's end */
	for (; owners[0]; owners += 2) {
		size_t i = waiting_byte(w, owners[0], owners[1]) + 1;
		memmove(w->data + i, w->data + i + 8, w->len - i - 8);
		w->len -= 8;
	}
	set_byte(w, 8, format);
}

/* as_format, restored. */
static struct engine *restore_as_format(struct codec_writer *w, unsigned char format,
					const char *const *owners, const struct config *config,
					char *why, size_t why_size)
{
	as_format(w, format, owners);
	return engine_restore(w->data, w->len, config, NULL, NULL, why, why_size);
}

/* Snapshot w (of fill_reused_waiting) with c1's count of events waiting set to each of
 * read[0..n), restored; to each of refused[0..m) (and E1's to 1), refused as damaged. */
static void assert_waiting_bytes(struct codec_writer *w, const unsigned char *read, size_t n,
				 const unsigned char *refused, size_t m,
				 const struct config *config)
{
	size_t c1 = waiting_byte(w, "c1", "cad-east"), e1 = waiting_byte(w, "E1", "cad-evil");
	char why[ENGINE_WHY_MAX];
	struct engine *e;

	assert_int_equal(w->data[c1], 4);
	assert_int_equal(w->data[e1], 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(e = restore_with_byte(w, c1, read[i], config, why, sizeof(why)));
		engine_free(e);
	}
	for (size_t i = 0; i < m; i++) {
		assert_null(restore_with_byte(w, c1, refused[i], config, why, sizeof(why)));
		assert_string_equal(why, "snapshot damaged: inconsistent state");
	}
	w->data[c1] = 4; /* (the CRC made good below) */
	assert_null(restore_with_byte(w, e1, 1, config, why, sizeof(why)));
	assert_string_equal(why, "snapshot damaged: inconsistent state");
	w->data[e1] = 0;
}

/* The saved count is the byte after has_start and has_end: 4 for c1 (fill_reused_waiting: all
 * four of its events waiting), 0 for E1 (applied, the tracker holds it). Format 16 saves the
 * first arrival after it, so the count must be the id's events waiting since then: 4, or 255
 * (capped); 0, 1 and 5 are refused as damaged. Format 15 saved none: there 0 for c1 is a real
 * state (an owner whose call the tracker holds with nothing waiting), 1 one whose id's older
 * events were counted by an owner gone since (rev10c C2) and 255 one capped: all read; more
 * than the buffer holds (5 for c1, 1 for E1) is refused. */
static void test_events_waiting_byte_in_snapshot(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	struct codec_writer w = {0};
	(void)state;

	start(&f, &config);
	fill_reused_waiting(&f);
	engine_snapshot(f.engine, &w);
	assert_waiting_bytes(&w, (const unsigned char[]){ 4, 255 }, 2,
			     (const unsigned char[]){ 0, 1, 5 }, 3, &config);
	as_format(&w, 15, (const char *[]){ "c1", "cad-east", "E1", "cad-evil", NULL });
	assert_waiting_bytes(&w, (const unsigned char[]){ 0, 1, 4, 255 }, 4,
			     (const unsigned char[]){ 5 }, 1, &config);
	free(w.data);
	finish(&f);
}

/* A snapshot of engine, restored: NULL with *why when refused. */
static struct engine *resnapshot(const struct engine *engine, const struct config *config,
				 char *why, size_t why_size)
{
	struct codec_writer w = {0};

	engine_snapshot(engine, &w);
	struct engine *restored = engine_restore(w.data, w.len, config, NULL, NULL, why, why_size);
	free(w.data);
	return restored;
}

/* An upgrade's recount counts only the waiting events the binding counts (rev10c C1): cad-east's
 * c1 (S+E) and acd's call_offered for c1 wait for cad-evil; a snapshot restored as format 14
 * (the count recounted from the buffer) then flushed ends like the straight engine: c1's owner
 * gone (binding.calls 1: E1), its next snapshot (format 17) read, cad-evil's call_start for c1
 * taken. Counting the call_offered kept 2 owners (c1 owing one the tracker never applies), its
 * next snapshot refused "snapshot damaged: inconsistent state", the call_start refused. */
static void test_upgrade_recount_skips_call_offered(void **state)
{
	struct config config = flood_config();
	struct fixture f, g;
	struct codec_writer w = {0};
	char why[ENGINE_WHY_MAX] = "";
	struct engine *again;
	int64_t t = at(0, 0);
	(void)state;

	start(&f, &config);
	fill_completed_waiting(&f);
	line_at(&f, "acd", t + 1600, OFFERED("c1", "NOPD"), t + 50);
	engine_snapshot(f.engine, &w);
	memset(&g, 0, sizeof(g));
	assert_non_null(g.engine = restore_as_format(
				&w, 14,
				(const char *[]){ "c1", "cad-east", "E1", "cad-evil", NULL },
				&config, why, sizeof(why)));
	engine_flush(f.engine);
	engine_flush(g.engine);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 1); /* E1 */
	assert_non_null(again = resnapshot(f.engine, &config, why, sizeof(why)));
	engine_free(again);
	assert_int_equal(engine_stats(g.engine)->binding.calls, 1);
	again = resnapshot(g.engine, &config, why, sizeof(why));
	assert_string_equal(why, "");
	engine_free(again);
	assert_int_equal(heard_at(&g, "cad-evil", t + 2000, START("c1", "e1", "NOPD"), t + 1700),
			 EVENT_OK);
	engine_free(g.engine);
	free(w.data);
	finish(&f);
}

/* cad-evil's E1 at 08:00:00, then cad-east's c1 256 times (20 ms apart), all 512 events
 * waiting for cad-evil: c1's count capped (once). */
static void fill_capped(struct fixture *f)
{
	int64_t t = at(0, 0);

	line_at(f, "cad-evil", t + 1000, START("E1", "e1", "NOPD"), t);
	for (int64_t i = 0; i < 256; i++) {
		line_at(f, "cad-east", t + 7000, START("c1", "op-1", "NOPD"), t + 100 + 20 * i);
		line_at(f, "cad-east", t + 7000, END("c1", "caller"), t + 110 + 20 * i);
	}
	assert_int_equal(engine_stats(f->engine)->buffered, 512);
	assert_int_equal(engine_stats(f->engine)->binding.calls_owed_capped, 1);
}

/* The count of events waiting stops at 255: cad-east's c1 256 times (20 ms apart, 512
 * events), all waiting for cad-evil, caps it once (calls_owed_capped 1). Once all 256 are
 * completed, the owner is still kept (never forgotten early, while a later event of the id
 * might wait): cad-evil's incident for c1 is refused, and the entry goes only when its time is
 * up. A snapshot saves 255 for it; saved as 0 (an owner nothing holds) it is refused. */
static void test_events_waiting_stop_at_their_cap(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	struct completion seen = {0};
	struct codec_writer w = {0};
	char why[ENGINE_WHY_MAX];
	struct engine *restored;
	int64_t t = at(0, 0);
	(void)state;

	config.feed.source_idle_seconds = 60; /* cad-evil, quiet, holds the center's clock */
	start(&f, &config);
	engine_set_call_observer(f.engine, observe_completion, &seen);
	fill_capped(&f);
	engine_flush(f.engine);
	assert_int_equal(seen.calls, 256);
	assert_int_equal(seen.end_ms, t + 110 + 20 * 255);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 2);
	assert_int_equal(heard_at(&f, "cad-evil", t + 7000, INCIDENT("c1"), t + 6000),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	engine_snapshot(f.engine, &w);
	size_t c1 = waiting_byte(&w, "c1", "cad-east");
	assert_int_equal(w.data[c1], 255);
	assert_null(restore_with_byte(&w, c1, 0, &config, why, sizeof(why)));
	assert_string_equal(why, "snapshot damaged: inconsistent state");
	assert_non_null(restored = restore_with_byte(&w, c1, 255, &config, why, sizeof(why)));
	engine_free(restored);
	free(w.data);
	finish(&f);
}

/* tracker.max_open_calls 1; cad-evil (operator_states only) quiet for
 * feed.source_idle_seconds 60 still holds the center. */
static struct config eviction_config(void)
{
	struct config config = flood_config();

	config.tracker.max_open_calls = 1;
	config.feed.source_idle_seconds = 60;
	return config;
}

/* Under eviction_config: cad-east's c1 known to the tracker by an incident (07:59:59.900,
 * applied), its call_start and call_end (08:00:00.100, 08:00:01.500) waiting for cad-evil; its
 * c2 (07:59:59.950) then fills the tracker, which evicts c1, and with it c1's owner while both
 * its events wait. Then cad-east's new call c1 (08:00:02) is bound afresh: its call_start
 * waits behind the old c1's two events. */
static void rebind_after_eviction(struct fixture *f)
{
	int64_t t = at(0, 0);

	line_at(f, "cad-evil", t + 2000, STATE("e1", "NOPD", "available"), t);
	line_at(f, "cad-east", t + 2000, INCIDENT("c1"), t - 100);
	line_at(f, "cad-east", t + 2000, START("c1", "op-1", "NOPD"), t + 100);
	line_at(f, "cad-east", t + 2000, END("c1", "caller"), t + 1500);
	line_at(f, "cad-east", t + 2000, START("c2", "op-1", "NOPD"), t - 50);
	assert_int_equal(engine_stats(f->engine)->tracker.evicted, 1);
	assert_int_equal(engine_stats(f->engine)->buffered, 2);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 1); /* c2 */
	line_at(f, "cad-east", t + 2000, START("c1", "op-1", "NOPD"), t + 2000);
}

/* After rebind_after_eviction: cad-evil's 08:00:01.600 releases the old c1's call_start and
 * call_end, which complete it; the new owner keeps its own event waiting, so cad-evil's
 * call_end for c1 is refused. */
static void release_old_then_hostile(struct fixture *f)
{
	int64_t t = at(0, 0);

	line_at(f, "cad-evil", t + 2000, STATE("e1", "NOPD", "available"), t + 1600);
	assert_int_equal(engine_stats(f->engine)->buffered, 1);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 1); /* the new c1 */
	assert_int_equal(heard_at(f, "cad-evil", t + 2000, END("c1", "operator"), t + 1800),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
}

/* An owner's events that waited while it was evicted count to no later owner of the id (rev10c
 * C2): rebind_after_eviction, then release_old_then_hostile. Before, the old call_start's and
 * call_end's applications counted down the new owner's one event: it went with the old c1's
 * completion while its call_start waited (binding.calls 0), and cad-evil's call_end was
 * taken. */
static void test_evicted_owners_events_count_to_no_later_owner(void **state)
{
	struct config config = eviction_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	rebind_after_eviction(&f);
	release_old_then_hostile(&f);
	finish(&f);
}

/* An earlier owner's event that completes the new owner's call frees the id once none of the
 * new owner's events waits: under eviction_config, cad-east's c1 (an incident, applied) is
 * evicted by its c2 while its call_end (08:00:01.500) waits; cad-east's new c1 call_start
 * (08:00:01) is bound afresh. Released by cad-evil's 08:00:01.600, the new call_start opens c1
 * and the old call_end completes it: nothing holds c1, its owner goes (binding.calls 0, c2
 * evicted in turn), cad-evil's incident for c1 is taken, and a snapshot is read. Leaving the
 * owner to every event not its own kept it with nothing held, refused that incident, and made
 * every later snapshot refused as inconsistent. */
static void test_evicted_owners_event_completing_the_call_frees_the_id(void **state)
{
	struct config config = eviction_config();
	struct fixture f;
	struct completion seen = {0};
	char why[ENGINE_WHY_MAX] = "";
	struct engine *again;
	int64_t t = at(0, 0);
	(void)state;

	start(&f, &config);
	engine_set_call_observer(f.engine, observe_completion, &seen);
	line_at(&f, "cad-evil", t + 2000, STATE("e1", "NOPD", "available"), t);
	line_at(&f, "cad-east", t + 2000, INCIDENT("c1"), t - 100);
	line_at(&f, "cad-east", t + 2000, END("c1", "caller"), t + 1500);
	line_at(&f, "cad-east", t + 2000, START("c2", "op-1", "NOPD"), t - 50);
	assert_int_equal(engine_stats(f.engine)->tracker.evicted, 1);
	line_at(&f, "cad-east", t + 2000, START("c1", "op-1", "NOPD"), t + 1000);
	line_at(&f, "cad-evil", t + 2000, STATE("e1", "NOPD", "available"), t + 1600);
	assert_int_equal(engine_stats(f.engine)->buffered, 1); /* cad-evil's own state */
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.start_ms, t + 1000);
	assert_int_equal(seen.end_ms, t + 1500);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 0);
	assert_int_equal(heard_at(&f, "cad-evil", t + 2000, INCIDENT("c1"), t + 1700), EVENT_OK);
	assert_non_null(again = resnapshot(f.engine, &config, why, sizeof(why)));
	engine_free(again);
	finish(&f);
}

/* The owner's first arrival survives a snapshot (format 16 on) mid-window: the restored engine
 * refuses cad-evil's call_end as the straight one does, and both end alike. */
static void test_first_arrival_survives_snapshot(void **state)
{
	struct config config = eviction_config();
	(void)state;

	assert_survives_snapshot(&config, rebind_after_eviction, release_old_then_hostile);
}

/* The state of rebind_after_eviction as a build of format 15 saved it (no first arrival; c1's
 * count 1 of the 3 events of c1 waiting) or 14 (counted again: all 3 c1's) is restored to
 * the same refusal. From 15, the first arrival is that of the newest event of c1 (the new
 * call_start), so the restored engine ends exactly as the straight one. */
static void test_older_formats_keep_evicted_owners_events_apart(void **state)
{
	struct config config = eviction_config();
	static const char *const owners[] = { "c1", "cad-east", "c2", "cad-east", NULL };
	struct fixture whole, from15, from14;
	struct codec_writer w15 = {0}, w14 = {0};
	char why[ENGINE_WHY_MAX] = "";
	(void)state;

	start(&whole, &config);
	rebind_after_eviction(&whole);
	engine_snapshot(whole.engine, &w15);
	engine_snapshot(whole.engine, &w14);
	assert_int_equal(w15.data[waiting_byte(&w15, "c1", "cad-east")], 1);
	memset(&from15, 0, sizeof(from15));
	memset(&from14, 0, sizeof(from14));
	assert_non_null(from15.engine =
				restore_as_format(&w15, 15, owners, &config, why, sizeof(why)));
	assert_non_null(from14.engine =
				restore_as_format(&w14, 14, owners, &config, why, sizeof(why)));
	release_old_then_hostile(&whole);
	release_old_then_hostile(&from15);
	release_old_then_hostile(&from14);
	engine_flush(from14.engine);
	assert_int_equal(engine_stats(from14.engine)->binding.calls, 1); /* the new c1, held */
	finish(&from14);
	assert_same_snapshots(&whole, &from15);
	free(w15.data);
	free(w14.data);
}

/* An upgrade's recount that reaches 255 counts the cap too (rev10c C3): fill_capped's state
 * as format 14 saved it (no calls_owed_capped: 0 here) is restored with c1's 512 events
 * waiting counted again, capped: calls_owed_capped 1, as the straight run counted. Before, 0. */
static void test_upgrade_recount_counts_the_cap(void **state)
{
	struct config config = flood_config();
	static const char name[] = "calls_owed_capped";
	struct fixture f;
	struct codec_writer w = {0};
	char why[ENGINE_WHY_MAX] = "";
	struct engine *restored;
	size_t at_name = 0;
	(void)state;

	config.feed.source_idle_seconds = 60;
	start(&f, &config);
	fill_capped(&f);
	engine_snapshot(f.engine, &w);
	for (size_t i = 0; i + sizeof(name) + 4 + 12 <= w.len; i++)
		if (memcmp(w.data + i, name, sizeof(name) - 1) == 0)
			at_name = i;
	assert_int_not_equal(at_name, 0);
	/* [name][u32 1][u64 value] */
	assert_int_equal(w.data[at_name + sizeof(name) - 1 + 4], 1);
	w.data[at_name + sizeof(name) - 1 + 4] = 0;
	assert_non_null(restored = restore_as_format(
				&w, 14,
				(const char *[]){ "c1", "cad-east", "E1", "cad-evil", NULL },
				&config, why, sizeof(why)));
	assert_int_equal(engine_stats(restored)->binding.calls_owed_capped, 1);
	engine_free(restored);
	free(w.data);
	finish(&f);
}

/* f's snapshot restored with the next malloc of fail_bytes failing: refused for want of memory
 * (that allocation the one that failed), not as damage; the same bytes then read. */
static void expect_restore_without_memory(struct fixture *f, const struct config *config,
					  size_t fail_bytes)
{
	struct codec_writer w = {0};
	char why[ENGINE_WHY_MAX] = "";
	struct engine *restored;

	engine_snapshot(f->engine, &w);
	fail_malloc_bytes = fail_bytes;
	assert_null(engine_restore(w.data, w.len, config, NULL, NULL, why, sizeof(why)));
	assert_int_equal(fail_malloc_bytes, 0);
	assert_string_equal(why, "out of memory reading the snapshot");
	assert_non_null(restored = engine_restore(w.data, w.len, config, NULL, NULL, why,
						  sizeof(why)));
	engine_free(restored);
	free(w.data);
}

/* No memory to list the reorder buffer's events at a restore is not a damaged snapshot
 * (rev10c C3): fill_reused_waiting's snapshot, its list of c1's 4 events waiting failing, is
 * refused as "out of memory reading the snapshot"; the same bytes are then read. Before,
 * "snapshot damaged: inconsistent state", and a recovery set a good snapshot aside. */
static void test_restore_without_memory_is_no_damage(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	fill_reused_waiting(&f);
	expect_restore_without_memory(&f, &config, 4 * sizeof(struct binding_waiting));
	finish(&f);
}

/* A completed call's call_start and call_end sent again without a seq (a CAD resending its
 * backlog: the duplicate filter drops them after the binding admitted them, so the tracker never
 * completes them again) leave no owner behind: another source may name the id at once (with
 * an owner kept, cad-west's incident was refused for tracker.max_call_seconds, rev9 F1). */
static void test_resent_completed_call_leaves_no_owner(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	int64_t t = at(0, 0);
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", t, START("c1", "op-1", "NOPD"), t), EVENT_OK);
	assert_int_equal(from(&f, "cad-east", t + 1000, END("c1", "caller"), t + 1000), EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 0);
	assert_int_equal(from(&f, "cad-east", t, START("c1", "op-1", "NOPD"), t), EVENT_OK);
	assert_true(f.verdict.duplicate);
	assert_int_equal(from(&f, "cad-east", t + 1000, END("c1", "caller"), t + 1000), EVENT_OK);
	assert_true(f.verdict.duplicate);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 0);
	assert_int_equal(from(&f, "cad-west", t + 2000, INCIDENT("c1"), t + 2000), EVENT_OK);
	finish(&f);
}

/* feed.max_sources 4, sources: listing cad-1 and cad-2 (any agency), one new call-taker an
 * hour each: cad-1 and cad-2 name op-1 and op-2 at 08:00, then eight invented senders x0..x7
 * one each. The senders' table (whose counts these are) makes room among the senders sources:
 * does not list (x0 to x5 go, 6 counted), so cad-1's count is kept and its op-3 within the hour
 * is refused. A reload to feed.max_sources 2 forgets the unlisted again (x6, x7), not cad-2
 * (the idlest, with no episode open to keep it): its op-4 is refused too. Before, the stalest
 * went whoever it was: cad-1's and cad-2's counts first, and op-3 and op-4 were taken. */
static void test_senders_table_keeps_listed_sources(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	char line[256];
	(void)state;

	config.feed.max_sources = 4;
	config.tracker.max_new_operators_per_source_per_hour = 1;
	config.source_count = 2;
	snprintf(config.sources[0].name, sizeof(config.sources[0].name), "cad-1");
	snprintf(config.sources[1].name, sizeof(config.sources[1].name), "cad-2");
	start(&f, &config);
	assert_int_equal(from(&f, "cad-1", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-2", at(0, 0), START("c2", "op-2", "NOPD"), at(0, 0)),
			 EVENT_OK);
	for (int i = 0; i < 8; i++) {
		char sender[16];
		snprintf(sender, sizeof(sender), "x%d", i);
		snprintf(line, sizeof(line), START("X%d", "xo-%d", "NOPD"), i, at(0, 1 + i), i);
		assert_int_equal(from(&f, sender, at(0, 1 + i), "%s", line), EVENT_OK);
	}
	assert_int_equal(engine_stats(f.engine)->binding.senders_evicted, 6);
	assert_int_equal(from(&f, "cad-1", at(0, 10), START("c3", "op-3", "NOPD"), at(0, 10)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_string_equal(f.verdict.why,
			    "call_start: new operator \"op-3\" (agency \"NOPD\") refused: feed "
			    "source cad-1 introduced 1 this hour already "
			    "(tracker.max_new_operators_per_source_per_hour)");
	config.feed.max_sources = 2;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_int_equal(engine_stats(f.engine)->binding.senders_evicted, 8);
	assert_int_equal(from(&f, "cad-2", at(0, 11), START("c4", "op-4", "NOPD"), at(0, 11)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	finish(&f);
}


/* A reload is all or nothing in what a source may say: tracker.max_operators 700 -> 289 with
 * 600 call-takers' owners (the owners' room 1400 -> 578) and feed.max_sources 1024 -> 2 with
 * three senders, when the owners' new table finds no memory (its eviction scratch, 578 x 8
 * bytes): -ENOMEM, and no owner nor sender forgotten, none counted. Before review7 the
 * binding shed the 22 owners over (and the senders over) before it allocated. The same reload
 * with the memory then sheds them. */
static void test_reload_without_memory_forgets_no_owner(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	char line[256];
	(void)state;

	config.tracker.max_operators = 700;
	start(&f, &config);
	for (int i = 0; i < 600; i++) {
		const char *sender = i % 3 == 0 ? "cad-a" : i % 3 == 1 ? "cad-b" : "cad-c";
		snprintf(line, sizeof(line), START("C%d", "op-%d", "NOPD"), i, at(0, 0), i);
		assert_int_equal(from(&f, sender, at(0, 0), "%s", line), EVENT_OK);
	}
	assert_int_equal(engine_stats(f.engine)->binding.operators, 600);
	config.tracker.max_operators = 289;
	config.feed.max_sources = 2;
	fail_malloc_bytes = 578 * sizeof(int64_t);
	assert_int_equal(engine_reconfigure(f.engine, &config), -ENOMEM);
	assert_int_equal(fail_malloc_bytes, 0); /* it was the owners' table that failed */
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->binding.operators, 600);
	assert_int_equal(stats->binding.operators_evicted, 0);
	assert_int_equal(stats->binding.senders_evicted, 0);
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	stats = engine_stats(f.engine);
	assert_int_equal(stats->binding.operators, 578);
	assert_int_equal(stats->binding.operators_evicted, 22);
	assert_int_equal(stats->binding.senders_evicted, 1);
	finish(&f);
}

/* cad-east's call event, released to the tracker, which finds no memory for the call's strings
 * (fail_bytes: the call's text, too long to keep inline): the call is lost as if evicted, and
 * its owner goes with it (rev9 F3; before, it stayed until its time was up, and cad-west's
 * incident for the id was refused, call_of_other_source). */
static void tracker_without_memory_forgets_the_owner(const char *line, const char *call_id,
						     size_t fail_bytes)
{
	struct config config = flood_config();
	struct fixture f;
	char incident[256];

	start(&f, &config);
	fail_malloc_bytes = fail_bytes;
	assert_int_equal(from(&f, "cad-east", at(0, 0), "%s", line), EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(fail_malloc_bytes, 0); /* it was the tracker's text that failed */
	const struct engine_stats *stats = engine_stats(f.engine);
	assert_int_equal(stats->tracker.evicted, 1);
	assert_int_equal(stats->open_calls, 0);
	assert_int_equal(stats->binding.calls, 0);
	assert_int_equal(stats->binding.calls_evicted, 1);
	snprintf(incident, sizeof(incident), "{\"type\":\"incident\",\"call_id\":\"%s\","
		 "\"ts\":%lld}", call_id, at(0, 1));
	assert_int_equal(from(&f, "cad-west", at(0, 1), "%s", incident), EVENT_OK);
	finish(&f);
}

/* A call_start with a call-taker's id of 40 characters: its five strings, 51 bytes, fail
 * (open_call_apply: CALL_NO_MEMORY). */
static void test_call_start_without_memory_forgets_the_owner(void **state)
{
	char line[256];
	(void)state;

	snprintf(line, sizeof(line),
		 START("c1", "op-0123456789012345678901234567890123456", "NOPD"),
		 at(0, 0));
	tracker_without_memory_forgets_the_owner(line, "c1", 51);
}

/* A call_end first, with a call_id of 50 characters: the new call's id, 51 bytes, fails
 * (open_call). */
static void test_new_call_without_memory_forgets_the_owner(void **state)
{
	static const char id[] = "c-012345678901234567890123456789012345678901234567";
	char line[256];
	(void)state;

	snprintf(line, sizeof(line),
		 "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%lld,"
		 "\"released_by\":\"caller\"}", id, at(0, 0));
	tracker_without_memory_forgets_the_owner(line, id, sizeof(id));
}

/* detector.resolve_after_seconds 0 (operator alerts never wait) and log.rate_limit_seconds 5: a
 * limit alert waits the larger, 5 s without an eviction (config_limit_quiet_seconds, the
 * daemon's rule too). A full table of 16 evicts at 0 s and at 2 s, an incident at 1 s between:
 * one firing, resolved 5 s after the last eviction with both. Before, it resolved at the
 * incident and fired again: a firing and a resolved per eviction. */
static void test_limit_alert_waits_the_log_interval(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.detector.resolve_after_seconds = 0;
	config.log.rate_limit_seconds = 5;
	config.tracker.max_open_calls = 16;
	start(&f, &config);
	for (int i = 0; i < 16; i++) {
		char line[256];
		snprintf(line, sizeof(line), START("C%d", "c1", "NOPD"), i, at(0, 0));
		assert_int_equal(from(&f, "cad-a", at(0, 0), "%s", line), EVENT_OK);
	}
	assert_int_equal(from(&f, "cad-a", at(1, 0), START("N1", "c1", "NOPD"), at(1, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 1), INCIDENT("N1"), at(1, 1)), EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 2), START("N2", "c1", "NOPD"), at(1, 2)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 6), INCIDENT("N2"), at(1, 6)), EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 7), INCIDENT("N1"), at(1, 7)), EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->tracker.evicted, 2);
	assert_int_equal(f.alert_count, 2); /* the binding's call owners evicted count too */
	assert_string_equal(f.alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"3073b2cd9687fc1c\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:01:00.000Z\",\"type\":\"system\","
			    "\"system\":\"limit\",\"severity\":\"warning\","
			    "\"limit\":\"tracker.max_open_calls\",\"evicted\":2,"
			    "\"message\":\"open calls dropped (tracker.max_open_calls 16 reached): "
			    "2 so far; most held by feed source cad-a (16 open calls, "
			    "tracker.max_open_calls_per_source); raise tracker.max_open_calls\"}");
	assert_string_equal(f.alerts[1],
			    "{\"alert\":\"resolved\",\"alert_id\":\"3073b2cd9687fc1c\",\"seq\":2,"
			    "\"ts\":\"2026-11-29T08:01:07.000Z\",\"type\":\"system\","
			    "\"system\":\"limit\",\"severity\":\"warning\","
			    "\"limit\":\"tracker.max_open_calls\",\"evicted\":4,"
			    "\"message\":\"no more open calls dropped for 5 s; 4 in all\"}");
	finish(&f);
}

/* Whom a full table evicts is decided alike after a snapshot (the per-sender counts are
 * saved): a restored engine evicts the same calls, its snapshot the same bytes. */
static void test_fair_eviction_survives_snapshot(void **state)
{
	struct config config = three_sources_config();
	struct fixture whole, split;
	(void)state;

	start_pair(&whole, &split, &config, fill_three_sources);
	assert_int_equal(flood_calls(&whole, 59, 100), 41);
	assert_int_equal(flood_calls(&split, 59, 100), 41);
	assert_int_equal(engine_stats(whole.engine)->tracker.evicted, 42);
	assert_int_equal(engine_stats(split.engine)->tracker.evicted, 42);
	assert_int_equal(engine_stats(split.engine)->binding.calls_evicted, 42);
	assert_same_snapshots(&whole, &split);
}

/* With tracker.bind_calls_to_source off, a call_start for a call another source heard of first
 * counts to the call's owner, who is counted down when it completes: no sender keeps a count
 * for a call it does not hold. */
static void test_open_calls_counted_to_the_owner(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.bind_calls_to_source = false;
	config.tracker.max_open_calls_per_source = 1;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-a", at(0, 0), INCIDENT("c1"), at(0, 0)), EVENT_OK);
	assert_int_equal(from(&f, "cad-b", at(0, 1), START("c1", "b1", "NOPD"), at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-b", at(0, 2), END("c1", "operator"), at(0, 2)), EVENT_OK);
	assert_int_equal(from(&f, "cad-b", at(0, 3), START("c2", "b1", "NOPD"), at(0, 3)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-b", at(0, 4), START("c3", "b1", "NOPD"), at(0, 4)),
			 EVENT_REJECT_OPEN_CALLS_PER_SOURCE);
	finish(&f);
}

/* A call_start for a call whose time is up, let in by the sweep of its sender's forgotten calls,
 * binds the call where a look-up finds it: "c30" has the home slot of "c1" in the calls' first
 * 64 slots (FNV-1a low bits 25), so c30 sits in the slot after c1's until the sweep forgets c1
 * and moves c30 into c1's slot. Bound in the slot probed before the sweep, c1's call_start was
 * taken for c30's and c1 left unbound: another source's call_end for it got in. */
static void test_call_bound_after_its_senders_sweep(void **state)
{
	struct config config = flood_config();
	/* half a second after c1's time is up, half a second before c30's */
	long long later = at(config.tracker.max_call_seconds / 60, 0) + 500;
	struct fixture f;
	(void)state;

	assert_int_equal(config.tracker.max_call_seconds % 60, 0);
	config.tracker.max_open_calls_per_source = 2;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-a", at(0, 0), START("c1", "a1", "NOPD"), at(0, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(0, 1), START("c30", "a2", "NOPD"), at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", later, START("c1", "a1", "NOPD"), later), EVENT_OK);
	assert_int_equal(from(&f, "cad-b", later + 1000, END("c1", "caller"), later + 1000),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
	assert_string_equal(f.verdict.why, "call_end: call \"c1\" was opened by feed source "
					   "cad-a (tracker.bind_calls_to_source)");
	finish(&f);
}

/* An event_id is its sender's (audit F6): two sources numbering alike both get their events
 * in, while each source's own resend (and a connection without a hello resending after a
 * reconnect without one) is still a duplicate. Before, cad-b's call_start was dropped. */
static void test_event_ids_are_the_senders(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
#define START_ID(id, op, event_id)                                                                 \
	"{\"type\":\"call_start\",\"call_id\":\"" id "\",\"ts\":%lld,\"operator\":\"" op           \
	"\",\"agency\":\"NOPD\",\"event_id\":\"" event_id "\"}"
	assert_int_equal(from(&f, "cad-a", at(0, 0), START_ID("A1", "a1", "100"), at(0, 0)),
			 EVENT_OK);
	assert_false(f.verdict.duplicate);
	assert_int_equal(from(&f, "cad-b", at(0, 0), START_ID("B1", "b1", "100"), at(0, 0)),
			 EVENT_OK);
	assert_false(f.verdict.duplicate);
	/* a call_offered (no binding, no quota) cannot pre-empt another source's ids */
	assert_int_equal(from(&f, "cad-evil", at(0, 1),
			      "{\"type\":\"call_offered\",\"call_id\":\"x\",\"ts\":%lld,"
			      "\"agency\":\"NOPD\",\"event_id\":\"101\"}",
			      at(0, 1)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(0, 1), START_ID("A2", "a1", "101"), at(0, 1)),
			 EVENT_OK);
	assert_false(f.verdict.duplicate);
	/* each sender's own resend is one */
	assert_int_equal(from(&f, "cad-b", at(0, 2), START_ID("B1", "b1", "100"), at(0, 0)),
			 EVENT_OK);
	assert_true(f.verdict.duplicate);
	/* the connections without a hello are one sender: "#2" resends what "#1" sent */
	assert_int_equal(from(&f, "#1", at(0, 2), START_ID("N1", "n1", "100"), at(0, 2)),
			 EVENT_OK);
	assert_false(f.verdict.duplicate);
	assert_int_equal(from(&f, "#2", at(0, 3), START_ID("N1", "n1", "100"), at(0, 2)),
			 EVENT_OK);
	assert_true(f.verdict.duplicate);
#undef START_ID
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->duplicates, 2);
	assert_int_equal(engine_stats(f.engine)->open_calls, 4); /* A1, A2, B1, N1 */
	finish(&f);
}

/* ---- eviction ------------------------------------------------------------------------ */

struct names {
	char text[512];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_name(const struct detector_operator_figures *figures, void *ctx)
{
	struct names *names = ctx;
	size_t used = strlen(names->text);

	snprintf(names->text + used, sizeof(names->text) - used, "%s ", figures->operator_id);
}

/* The operators tracked, sorted: "op-a op-b ". */
static void survivors(struct fixture *f, char *out, size_t size)
{
	struct names names = {.text = ""};
	char *words[16];
	size_t n = 0;

	engine_each_operator(f->engine, add_name, &names);
	for (char *word = strtok(names.text, " "); word && n < 16; word = strtok(NULL, " "))
		words[n++] = word;
	qsort(words, n, sizeof(*words), by_name);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s ", words[i]);
}

/* The operators tracked, sorted, are expected ("op-a op-b "). */
static void assert_survivors(struct fixture *f, const char *expected)
{
	char names[256];

	survivors(f, names, sizeof(names));
	assert_string_equal(names, expected);
}

/* One completed call of op from source at minute m, cut by the operator after 5 s or taken
 * for 2 min. */
static void call_from(struct fixture *f, const char *source, const char *op, int64_t minute,
		      bool cut)
{
	char id[32];
	char start_line[256], end_line[256];

	snprintf(id, sizeof(id), "%s-%lld", op, (long long)minute);
	snprintf(start_line, sizeof(start_line),
		 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":%lld,\"operator\":\"%s\","
		 "\"agency\":\"NOPD\"}",
		 id, at(minute, 0), op);
	snprintf(end_line, sizeof(end_line),
		 "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%lld,\"released_by\":\"%s\"}",
		 id, at(minute, cut ? 5 : 120), cut ? "operator" : "caller");
	assert_int_equal(from(f, source, at(minute, 0), "%s", start_line), EVENT_OK);
	assert_int_equal(from(f, source, at(minute, cut ? 5 : 120), "%s", end_line), EVENT_OK);
}

static void call(struct fixture *f, const char *op, int64_t minute, bool cut)
{
	call_from(f, "cad-east", op, minute, cut);
}

/* A full table forgets the operator with the least evidence: never one with an open alert,
 * then the fewest calls in its windows, then the least recently active. */
static void test_eviction_least_evidence_first(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_operators = 4;
	config.detector.rules[0].min_calls = 2;
	config.detector.rules[0].min_premature = 2;
	config.detector.rules[0].max_p_value = 1.0;
	start(&f, &config);
	call(&f, "op-a", 0, true); /* two cut calls: an open alert */
	call(&f, "op-a", 3, true);
	assert_int_equal(engine_stats(f.engine)->detector.open_alerts, 1);
	call(&f, "op-b", 6, false); /* three calls */
	call(&f, "op-b", 9, false);
	call(&f, "op-b", 12, false);
	call(&f, "op-c", 15, false); /* one call, earlier */
	call(&f, "op-d", 18, false); /* one call, later */
	call(&f, "op-e", 21, false); /* full: op-c goes */
	assert_survivors(&f, "op-a op-b op-d op-e ");
	call(&f, "op-f", 24, false); /* op-d, then op-e, have one call: op-d is older */
	assert_survivors(&f, "op-a op-b op-e op-f ");
	call(&f, "op-f", 27, false); /* op-f: two calls now; op-e goes before op-b (three) */
	call(&f, "op-g", 30, false);
	assert_survivors(&f, "op-a op-b op-f op-g ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 3);
	finish(&f);
}

/* max_operators 4, and an alert from two cut calls in 30 min. */
static struct config two_owners_config(void)
{
	struct config config = flood_config();

	config.tracker.max_operators = 4;
	config.detector.rules[0].min_calls = 2;
	config.detector.rules[0].min_premature = 2;
	config.detector.rules[0].max_p_value = 1.0;
	return config;
}

/* Full: cad-quiet's q1 (one cut call, the least evidence), cad-evil's e1 to e3 (two calls
 * each, every 3 minutes from minute 3). */
static void fill_two_owners(struct fixture *f)
{
	call_from(f, "cad-quiet", "q1", 0, true);
	call_from(f, "cad-evil", "e1", 3, false);
	call_from(f, "cad-evil", "e1", 6, false);
	call_from(f, "cad-evil", "e2", 9, false);
	call_from(f, "cad-evil", "e2", 12, false);
	call_from(f, "cad-evil", "e3", 15, false);
	call_from(f, "cad-evil", "e3", 18, false);
}

/* Then cad-evil's e4 (its first call evicts), its second call, and q1's second cut call. */
static void flood_two_owners(struct fixture *f)
{
	call_from(f, "cad-evil", "e4", 21, false);
	call_from(f, "cad-evil", "e4", 24, false);
	call_from(f, "cad-quiet", "q1", 27, true);
	engine_flush(f->engine);
}

/* A full operator table forgets the call-takers of the sender owning the most (audit F9): a
 * source introducing call-takers pushes out its own least evidence, not the quiet source's
 * call-taker, whose next cut call still makes its alert. Before, q1 (one call) went first, its
 * second call started over (no alert) and pushed out e1 in turn. */
static void test_full_operators_evict_top_owner(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	fill_two_owners(&f);
	assert_survivors(&f, "e1 e2 e3 q1 ");
	flood_two_owners(&f);
	assert_survivors(&f, "e2 e3 e4 q1 ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 1);
	assert_int_equal(engine_stats(f.engine)->detector.open_alerts, 1);
	assert_int_equal(f.alert_count, 2);
	assert_non_null(strstr(f.alerts[0],
			       "\"limit\":\"tracker.max_operators\",\"evicted\":1,"
			       "\"message\":\"call-takers or agencies' baselines "
			       "forgotten (tracker.max_operators 4 reached): 1 so far; "
			       "most owned by feed source cad-evil (4 call-takers), whose "
			       "least evidence go first; raise tracker.max_operators\"}"));
	assert_non_null(strstr(f.alerts[1], "\"type\":\"operator\",\"agency\":\"NOPD\","
					    "\"operator\":\"q1\",\"rule\":\"burst\","));
	assert_non_null(strstr(f.alerts[1], "\"calls\":2,\"premature\":2,"));
	finish(&f);
}

/* A reload shrinking tracker.max_operators forgets as a full table does: never the call-taker
 * with an open alert, then the least evidence first. Before, the idlest went first: op-b and
 * his three calls before op-d's one. */
static void test_shrinking_reload_keeps_open_alerts(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	call(&f, "op-a", 0, true); /* two cut calls: an open alert */
	call(&f, "op-a", 3, true);
	call(&f, "op-b", 6, false); /* three calls */
	call(&f, "op-b", 9, false);
	call(&f, "op-b", 12, false);
	call(&f, "op-c", 15, false); /* one call, earlier */
	call(&f, "op-d", 18, false); /* one call, later */
	engine_flush(f.engine);
	assert_survivors(&f, "op-a op-b op-c op-d ");
	config.tracker.max_operators = 2;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_survivors(&f, "op-a op-b ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 2);
	assert_int_equal(engine_stats(f.engine)->detector.open_alerts, 1);
	finish(&f);
}

/* And of the source owning the most call-takers first (audit F9): shrunk from 4 to 3,
 * cad-evil's e1 goes (two calls, the least recently active of its three), not cad-quiet's q1
 * (one call, the idlest), whose second cut call then makes its alert. */
static void test_shrinking_reload_evicts_top_owner(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	fill_two_owners(&f);
	engine_flush(f.engine);
	config.tracker.max_operators = 3;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_survivors(&f, "e2 e3 q1 ");
	call_from(&f, "cad-quiet", "q1", 27, true);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->detector.open_alerts, 1);
	finish(&f);
}

/* cad-a's a1 and a2 (08:00, 08:03), then cad-b's b1 and b2 (08:06, 08:09): two call-takers each,
 * one call each, the operator table of 4 full. */
static void fill_tied_owners(struct fixture *f)
{
	call_from(f, "cad-a", "a1", 0, false);
	call_from(f, "cad-a", "a2", 3, false);
	call_from(f, "cad-b", "b1", 6, false);
	call_from(f, "cad-b", "b2", 9, false);
	engine_flush(f->engine);
}

/* Two sources owning as many call-takers (two each, one call each): the one whose newest
 * arrival is latest pays, cad-b (b2 at 08:09), not cad-a for its name (a1, a2 at 08:00 and
 * 08:03). A new call-taker of cad-c in the full table of 4 forgets cad-b's b1; before, cad-a's
 * a1, whichever came last. */
static void test_tied_owners_latest_arrival_pays(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	fill_tied_owners(&f);
	call_from(&f, "cad-c", "c1", 12, false);
	engine_flush(f.engine);
	assert_survivors(&f, "a1 a2 b2 c1 ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 1);
	finish(&f);
}

/* Only an accepted arrival makes a sender newer: with 2 new call-takers an hour, cad-a's a3
 * (08:10) is refused, so cad-b (b2 at 08:09) is still the latest of the two tied senders and
 * pays for cad-c's c1 (b1 forgotten). Before, the refused a3 moved cad-a's last arrival to
 * 08:10: cad-a paid (a1 forgotten) for a call-taker it was refused. */
static void test_refused_new_operator_leaves_its_sender_older(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	config.tracker.max_new_operators_per_source_per_hour = 2;
	start(&f, &config);
	fill_tied_owners(&f);
	assert_int_equal(from(&f, "cad-a", at(10, 0), START("a3-10", "a3", "NOPD"), at(10, 0)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_string_equal(f.verdict.why,
			    "call_start: new operator \"a3\" (agency \"NOPD\") refused: feed "
			    "source cad-a introduced 2 this hour already "
			    "(tracker.max_new_operators_per_source_per_hour)");
	call_from(&f, "cad-c", "c1", 12, false);
	engine_flush(f.engine);
	assert_survivors(&f, "a1 a2 b2 c1 ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 1);
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_NEW_OPERATOR_RATE], 1);
	finish(&f);
}

/* A new call-taker refused by a later limit spends none of its sender's hour: with 2 new
 * call-takers an hour and 1 open call per source, cad-a's x1 opens X1; x2's call_start (X2) is
 * refused for the open calls, X1 ends, x3's call_start is taken (x1, x3: two this hour) and
 * x4's is refused for the hour. Before, x2's refused call_start counted as one of the hour's
 * two and x3 was refused. */
static void test_refused_call_start_spends_no_new_operator(void **state)
{
	struct config config = two_owners_config();
	struct fixture f;
	(void)state;

	config.tracker.max_new_operators_per_source_per_hour = 2;
	config.tracker.max_open_calls_per_source = 1;
	start(&f, &config);
	assert_int_equal(from(&f, "cad-a", at(1, 0), START("X1", "x1", "NOPD"), at(1, 0)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 1), START("X2", "x2", "NOPD"), at(1, 1)),
			 EVENT_REJECT_OPEN_CALLS_PER_SOURCE);
	assert_int_equal(from(&f, "cad-a", at(1, 2), END("X1", "caller"), at(1, 2)), EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 3), START("X3", "x3", "NOPD"), at(1, 3)),
			 EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 4), END("X3", "caller"), at(1, 4)), EVENT_OK);
	assert_int_equal(from(&f, "cad-a", at(1, 5), START("X4", "x4", "NOPD"), at(1, 5)),
			 EVENT_REJECT_NEW_OPERATOR_RATE);
	assert_string_equal(f.verdict.why,
			    "call_start: new operator \"x4\" (agency \"NOPD\") refused: feed "
			    "source cad-a introduced 2 this hour already "
			    "(tracker.max_new_operators_per_source_per_hour)");
	finish(&f);
}

/* The tie is decided alike after a snapshot (the senders' last arrivals are saved): the same
 * survivors, the same snapshot bytes. */
static void test_tied_owners_survive_snapshot(void **state)
{
	struct config config = two_owners_config();
	struct fixture whole, split;
	(void)state;

	start_pair(&whole, &split, &config, fill_tied_owners);
	call_from(&whole, "cad-c", "c1", 12, false);
	call_from(&split, "cad-c", "c1", 12, false);
	engine_flush(whole.engine);
	engine_flush(split.engine);
	assert_survivors(&whole, "a1 a2 b2 c1 ");
	assert_survivors(&split, "a1 a2 b2 c1 ");
	assert_same_snapshots(&whole, &split);
}

/* fill_two_owners, then cad-a's open calls at minute 19 for a1 and a2: their owners bound (six
 * in all), the detector's four call-takers unchanged. */
static void fill_two_owners_open(struct fixture *f)
{
	fill_two_owners(f);
	for (int i = 1; i <= 2; i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_start\",\"call_id\":\"A%d\",\"ts\":%lld,"
			 "\"operator\":\"a%d\",\"agency\":\"NOPD\"}",
			 i, at(19, 0), i);
		assert_int_equal(from(f, "cad-a", at(19, 0), "%s", line), EVENT_OK);
	}
}

/* A reload shrinking tracker.max_operators from 4 to 2 (owners' room 8 -> 4): the binding keeps
 * the owner of every call-taker the detector keeps (e3, q1), forgetting the idlest of the
 * others (e1, e2): cad-evil's call for q1 is refused, live and restored alike, to the same
 * snapshot bytes. Before, the owners went apart, the idlest first: q1's owner forgotten while
 * the detector kept q1, which cad-evil then took over. */
static void test_shrinking_reload_binding_keeps_held_owners(void **state)
{
	struct config config = two_owners_config();
	struct fixture whole, split;
	struct fixture *both[] = {&whole, &split};
	(void)state;

	start_pair(&whole, &split, &config, fill_two_owners_open);
	config.tracker.max_operators = 2;
	for (int k = 0; k < 2; k++) {
		struct fixture *f = both[k];
		engine_flush(f->engine);
		assert_int_equal(engine_reconfigure(f->engine, &config), 0);
		assert_survivors(f, "e3 q1 ");
		assert_int_equal(engine_stats(f->engine)->binding.operators_evicted, 2);
		assert_int_equal(
			from(f, "cad-evil", at(21, 0),
			     "{\"type\":\"call_start\",\"call_id\":\"E9\",\"ts\":%lld,"
			     "\"operator\":\"q1\",\"agency\":\"NOPD\"}",
			     at(21, 0)),
			EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	}
	assert_same_snapshots(&whole, &split);
}

/* Whose operators a full table forgets is decided alike after a snapshot (the per-sender owner
 * counts are saved): the same survivors, the same snapshot bytes. */
static void test_fair_operator_eviction_survives_snapshot(void **state)
{
	struct config config = two_owners_config();
	struct fixture whole, split;
	(void)state;

	start_pair(&whole, &split, &config, fill_two_owners);
	flood_two_owners(&whole);
	flood_two_owners(&split);
	assert_survivors(&split, "e2 e3 e4 q1 ");
	assert_survivors(&whole, "e2 e3 e4 q1 ");
	/* q1 was never forgotten: its two cut calls made its alert (before: in neither run) */
	assert_int_equal(engine_stats(split.engine)->detector.operators_evicted, 1);
	assert_int_equal(engine_stats(split.engine)->detector.open_alerts, 1);
	assert_int_equal(engine_stats(whole.engine)->detector.open_alerts, 1);
	assert_same_snapshots(&whole, &split);
}

/* A table full of operators with open alerts refuses a new operator's calls (counted, and
 * the tracker.max_operators limit alert) instead of forgetting an alert. */
static void test_full_of_alerts_refuses_new_operator(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_operators = 1;
	config.detector.baseline.source_depart_z = 0.0; /* one baseline (not the source's too): */
	config.detector.baseline.source_cap_z = 0.0;    /* it fits max_operators 1, never evicted */
	config.detector.rules[0].min_calls = 2;
	config.detector.rules[0].min_premature = 2;
	config.detector.rules[0].max_p_value = 1.0;
	start(&f, &config);
	call(&f, "op-a", 0, true);
	call(&f, "op-a", 3, true);
	assert_int_equal(f.alert_count, 1);
	call(&f, "op-z", 6, false);
	assert_survivors(&f, "op-a ");
	assert_int_equal(engine_stats(f.engine)->detector.operators_refused, 1);
	assert_int_equal(engine_stats(f.engine)->detector.operators_evicted, 0);
	assert_int_equal(f.alert_count, 2);
	assert_non_null(strstr(f.alerts[1], "\"system\":\"limit\",\"severity\":\"warning\","
					    "\"limit\":\"tracker.max_operators\",\"evicted\":1,"));
	finish(&f);
}

/* ---- the issue's attacks --------------------------------------------------------------- */

#define SHIFT_OPERATORS 12
#define SHIFT_MINUTES 120
#define ROGUE 7             /* op-07 cuts his calls from minute 30 */
#define FLOOD_OPERATORS 1000000
/* The evicting flood, smaller: each invented call-taker then goes through the operator table,
 * and under the sanitizers a million take minutes of the suite (bench/flood runs the million). */
#define EVICTING_FLOOD_OPERATORS 200000

struct shift_line {
	int64_t ts_ms;
	char text[224];
	int op;
	bool rogue_start; /* a call_start of the rogue: the call id to forge incidents for */
	char call_id[16];
};

static struct shift_line *shift;
static size_t shift_count;

static uint64_t next_random(uint64_t *state)
{
	*state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *state >> 33;
}

static int by_ts(const void *a, const void *b)
{
	const struct shift_line *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x < y ? -1 : 1;
}

/* Twelve call-takers of cad-east for two hours; calls every 4 to 6 minutes; op-07 cuts
 * his after 5 to 9 s from minute 30, the others talk 1 to 4 minutes. */
static void make_shift(void)
{
	uint64_t random = 11;
	int call_number = 0;

	shift = calloc(2 * SHIFT_OPERATORS * SHIFT_MINUTES, sizeof(*shift));
	assert_non_null(shift);
	shift_count = 0;
	for (int op = 1; op <= SHIFT_OPERATORS; op++) {
		int64_t t = T0 + (int64_t)(next_random(&random) % 120) * 1000;
		while (t < T0 + SHIFT_MINUTES * MINUTE) {
			bool cut = op == ROGUE && t >= T0 + 30 * MINUTE;
			int64_t talk = cut ? 5000 + (int64_t)(next_random(&random) % 4000)
					   : 60000 + (int64_t)(next_random(&random) % 180000);
			struct shift_line *s = &shift[shift_count++], *e = &shift[shift_count++];
			call_number++;
			*s = (struct shift_line){.ts_ms = t, .op = op, .rogue_start = op == ROGUE};
			snprintf(s->call_id, sizeof(s->call_id), "E-%d", call_number);
			snprintf(s->text, sizeof(s->text),
				 "{\"type\":\"call_start\",\"call_id\":\"E-%d\",\"ts\":%lld,"
				 "\"operator\":\"op-%02d\","
				 "\"agency\":\"NOPD\",\"ani\":\"504555%04d\"}",
				 call_number, (long long)t, op, call_number);
			*e = (struct shift_line){.ts_ms = t + talk, .op = op};
			snprintf(e->text, sizeof(e->text),
				 "{\"type\":\"call_end\",\"call_id\":\"E-%d\",\"ts\":%lld,"
				 "\"released_by\":\"%s\"}",
				 call_number, (long long)(t + talk), cut ? "operator" : "caller");
			t += talk + 120000 + (int64_t)(next_random(&random) % 180000);
		}
	}
	qsort(shift, shift_count, sizeof(*shift), by_ts);
}

/* The alerts of a run whose line holds needle into out, a line each, without their seq (the
 * other alerts take seqs in between). */
static void alerts_with(const struct fixture *f, const char *needle, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < f->alert_count; i++) {
		const char *seq = strstr(f->alerts[i], "\"seq\":");
		const char *rest = seq ? strchr(seq, ',') : NULL;
		if (!strstr(f->alerts[i], needle) || !seq || !rest)
			continue;
		snprintf(out + strlen(out), size - strlen(out), "%.*s%s\n",
			 (int)(seq - f->alerts[i]), f->alerts[i], rest + 1);
	}
}

/* The operator alerts of a run, as alerts_with. */
static void operator_alerts(const struct fixture *f, char *out, size_t size)
{
	alerts_with(f, "\"type\":\"operator\"", out, size);
}

/* The shift alone, through the given hook before each of its lines (NULL: none). */
typedef void attack_fn(struct fixture *f, const struct shift_line *line, void *ctx);

static void run_shift(struct fixture *f, attack_fn *attack, void *ctx)
{
	for (size_t i = 0; i < shift_count; i++) {
		if (attack)
			attack(f, &shift[i], ctx);
		assert_int_equal(from(f, "cad-east", shift[i].ts_ms, "%s", shift[i].text),
				 EVENT_OK);
	}
	engine_flush(f->engine);
}

/* The operator alerts of the shift without any attack (flood_config). */
static char *baseline;

static void make_baseline(void)
{
	struct config config = flood_config();
	struct fixture f;

	baseline = malloc(65536);
	assert_non_null(baseline);
	start(&f, &config);
	run_shift(&f, NULL, NULL);
	operator_alerts(&f, baseline, 65536);
	finish(&f);
}

/* The attacked run gave every operator alert of the baseline, byte for byte (seq aside). */
static void assert_baseline_alerts(const struct fixture *f)
{
	char *attacked = malloc(65536);

	assert_non_null(attacked);
	operator_alerts(f, attacked, 65536);
	assert_string_equal(attacked, baseline);
	free(attacked);
}

/* A million invented call-takers from cad-evil, in step with the shift. */
struct flood {
	uint64_t total; /* invented call-takers to send */
	uint64_t sent;
	uint64_t per_shift_line;
	bool complete; /* each invented call-taker's call ends (90 s, released by the caller) */
	int64_t from_ms; /* the flood starts with the first shift line at or after this */
};

static void flood_before(struct fixture *f, const struct shift_line *line, void *ctx)
{
	struct flood *flood = ctx;

	/* Stamped no later than the shift's own line, so that the center clock is the shift's. */
	int64_t ts = line->ts_ms;

	if (ts < flood->from_ms)
		return;
	for (uint64_t n = 0; n < flood->per_shift_line && flood->sent < flood->total; n++) {
		flood->sent++;
		from(f, "cad-evil", ts - (flood->complete ? 90000 : 0),
		     "{\"type\":\"call_start\",\"call_id\":\"F%llu\",\"ts\":%lld,\"operator\":"
		     "\"fake-%llu\",\"agency\":\"NOPD\"}",
		     (unsigned long long)flood->sent,
		     (long long)(ts - (flood->complete ? 90000 : 0)),
		     (unsigned long long)flood->sent);
		if (flood->complete)
			from(f, "cad-evil", ts,
			     "{\"type\":\"call_end\",\"call_id\":\"F%llu\",\"ts\":%lld,\"released_"
			     "by\":\"caller\"}",
			     (unsigned long long)flood->sent, (long long)ts);
	}
}

static double run_flood(const struct config *config, struct fixture *f, uint64_t total,
			bool complete, int64_t from_ms)
{
	struct flood flood = {.total = total, .complete = complete, .from_ms = from_ms};
	size_t flooded_lines = 0;

	for (size_t i = 0; i < shift_count; i++)
		flooded_lines += shift[i].ts_ms >= from_ms;
	flood.per_shift_line = total / flooded_lines + 1;
	struct timespec begin, end;

	start(f, config);
	clock_gettime(CLOCK_MONOTONIC, &begin);
	run_shift(f, flood_before, &flood);
	clock_gettime(CLOCK_MONOTONIC, &end);
	assert_int_equal(flood.sent, total);
	return (double)(end.tv_sec - begin.tv_sec) + (double)(end.tv_nsec - begin.tv_nsec) / 1e9;
}

/* How many of the shift's call-takers (op-01 .. op-12) the operator table holds. */
struct shift_presence {
	int count;
};

static void note_shift_operator(const struct detector_operator_figures *figures, void *ctx)
{
	if (strncmp(figures->operator_id, "op-", 3) == 0)
		((struct shift_presence *)ctx)->count++;
}

/* Attack 1: a million invented operators. The rate of new operators refuses all but 1000 an
 * hour; the rogue's alert is the one he gets without the flood; the limit alert names cad-evil. */
static void test_flood_of_invented_operators(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	assert_non_null(strstr(baseline, "\"operator\":\"op-07\""));
	double seconds = run_flood(&config, &f, FLOOD_OPERATORS, false, T0);
	print_message("flood of %d invented operators (with the rate limit): %.2f s\n",
		      FLOOD_OPERATORS, seconds);
	assert_baseline_alerts(&f);
	const struct engine_stats *stats = engine_stats(f.engine);
	/* 2000 invented operators accepted: at most 1000 in each hour the shift spans, and the
	 * source's open calls bounded at 2000 (tracker.max_open_calls_per_source; the invented
	 * calls never end). The rest refused by the hour's rate, or, while the hour has room
	 * (a refused call_start spends none of it), by the open calls. */
	assert_int_equal(stats->rejects[EVENT_REJECT_NEW_OPERATOR_RATE], FLOOD_OPERATORS - 5500);
	assert_int_equal(stats->rejects[EVENT_REJECT_OPEN_CALLS_PER_SOURCE], 3500);
	/* The invented call-takers' calls never end, so none reaches the detector's table; the
	 * owners' table (twice max_operators) holds an hour's 1000, each lapsing after the rule's
	 * 30-minute window; the shift's call-takers are all held. */
	assert_int_equal(stats->detector.operators_evicted, 0);
	assert_int_equal(stats->binding.operators_evicted, 0);
	struct shift_presence presence = {0};
	engine_each_operator(f.engine, note_shift_operator, &presence);
	assert_int_equal(presence.count, SHIFT_OPERATORS);
	size_t limit_alerts = 0;
	for (size_t i = 0; i < f.alert_count; i++)
		limit_alerts += strstr(f.alerts[i], "\"alert\":\"firing\"") &&
				strstr(f.alerts[i], "\"source\":\"cad-evil\",\"limit\":\"tracker."
						    "max_new_operators_per_source_per_hour\"");
	assert_int_equal(limit_alerts, 1);
	finish(&f);
}

/* Attack 1 again without the rate limit, from minute 30 of the shift: 200,000 invented operators
 * reach the operator table (5000); least-evidence eviction forgets the invented ones (one call
 * each) and keeps the shift's call-takers (five or more calls in their windows by then): the
 * rogue's alerts are unchanged, and every eviction is counted and notified. (A call-taker
 * whose first call falls in such a flood has one call too, is less recently active than the
 * flood, and is forgotten before his second: the rate limit is what keeps the flood out.) */
static void test_flood_evicts_least_evidence(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	config.tracker.max_new_operators_per_source_per_hour = 0;
	config.tracker.max_operators = 5000; /* a big center's table, five times the default */
	double seconds = run_flood(&config, &f, EVICTING_FLOOD_OPERATORS, true, T0 + 30 * MINUTE);
	print_message("flood of %d invented operators (no rate limit, evicting): %.2f s\n",
		      EVICTING_FLOOD_OPERATORS, seconds);
	assert_baseline_alerts(&f);
	const struct engine_stats *stats = engine_stats(f.engine);
	/* 200,012 call-takers through a table of 5000: 195,312 forgotten (in batches of 312 while
	 * full), every one of them invented; 4,700 left. */
	assert_int_equal(stats->detector.operators_evicted, 195312);
	assert_int_equal(stats->detector.operators, 4700);
	struct shift_presence presence = {0};
	engine_each_operator(f.engine, note_shift_operator, &presence);
	assert_int_equal(presence.count, SHIFT_OPERATORS); /* none of the shift's was evicted */
	size_t limit_alerts = 0;
	for (size_t i = 0; i < f.alert_count; i++)
		limit_alerts += strstr(f.alerts[i], "\"alert\":\"firing\"") &&
				strstr(f.alerts[i], "\"limit\":\"tracker.max_operators\"");
	assert_int_equal(limit_alerts, 1);
	finish(&f);
}

/* Attack 2: cad-evil sends an incident for each of the rogue's calls as it starts: refused
 * (call_of_other_source), the rogue's alert is unchanged. */
static void forge_incidents(struct fixture *f, const struct shift_line *line, void *ctx)
{
	(void)ctx;
	if (!line->rogue_start)
		return;
	assert_int_equal(from(f, "cad-east", line->ts_ms, "%s", line->text), EVENT_OK);
	assert_int_equal(from(f, "cad-evil", line->ts_ms,
			      "{\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":%lld}",
			      line->call_id, (long long)line->ts_ms),
			 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
}

static void test_forged_incidents_do_not_hide_the_rogue(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	run_shift(&f, forge_incidents,
		  NULL); /* the rogue's call_start goes first, then is a duplicate */
	assert_baseline_alerts(&f);
	assert_true(engine_stats(f.engine)->rejects[EVENT_REJECT_CALL_OF_OTHER_SOURCE] > 20);
	finish(&f);
}

/* Attack 3: 66 forged lines from cad-evil naming op-03, an honest call-taker of cad-east:
 * 33 calls cut after 2 s. No alert against op-03. */
struct framing {
	int sent;
};

static void frame_honest(struct fixture *f, const struct shift_line *line, void *ctx)
{
	struct framing *framing = ctx;

	if (framing->sent >= 66 || line->ts_ms < T0 + 40 * MINUTE)
		return;
	int n = framing->sent / 2 + 1;
	/* Stamped no later than the shift's own line, so that the center clock is the shift's. */
	assert_int_equal(from(f, "cad-evil", line->ts_ms - 2000,
			      "{\"type\":\"call_start\",\"call_id\":\"frame-%d\",\"ts\":%lld,"
			      "\"operator\":\"op-03\","
			      "\"agency\":\"NOPD\"}",
			      n, (long long)(line->ts_ms - 2000)),
			 EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
	from(f, "cad-evil", line->ts_ms,
	     "{\"type\":\"call_end\",\"call_id\":\"frame-%d\",\"ts\":%lld,\"released_by\":"
	     "\"operator\"}",
	     n, (long long)line->ts_ms);
	framing->sent += 2;
}

static void test_forged_lines_do_not_frame_an_honest_operator(void **state)
{
	struct config config = flood_config();
	struct framing framing = {0};
	struct fixture f;
	(void)state;

	assert_null(strstr(baseline, "\"operator\":\"op-03\""));
	start(&f, &config);
	run_shift(&f, frame_honest, &framing);
	assert_int_equal(framing.sent, 66);
	assert_baseline_alerts(&f); /* so none against op-03 either */
	assert_int_equal(engine_stats(f.engine)->rejects[EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE],
			 33);
	finish(&f);
}

/* Attack 4: cad-evil ends a call of 3 s on one of two call-takers it owns in NOPD (fl-1,
 * fl-2: theirs to report) before every line of the shift, from minute 20: the agency's
 * premature rate, which every call-taker's expectation in the sequential rule follows, is
 * cad-evil's to raise. With one baseline for the agency the rogue op-07, who cuts every call
 * from minute 30, is never alerted (08:48:47.654 without the flood); with
 * detector.baseline.per_source, cad-east's call-takers are judged against cad-east's calls
 * alone: op-07's firing of the shift without the flood. */
static void flood_owned(struct fixture *f, const struct shift_line *line, void *ctx)
{
	int *sent = ctx;

	if (line->ts_ms < T0 + 20 * MINUTE)
		return;
	++*sent;
	assert_int_equal(from(f, "cad-evil", line->ts_ms - 4000, START("FL-%d", "fl-%d", "NOPD"),
			      *sent, (long long)(line->ts_ms - 4000), 1 + *sent % 2),
			 EVENT_OK);
	assert_int_equal(from(f, "cad-evil", line->ts_ms - 1000, END("FL-%d", "operator"), *sent,
			      (long long)(line->ts_ms - 1000)),
			 EVENT_OK);
}

/* The ts of the rogue's (op-07's) firings of a run into out, a line each; room for every
 * operator alert of the run (the flooding call-takers' own alerts come first). */
#define ROGUE_ALERTS_BYTES (1 << 22)
static void rogue_firings(const struct fixture *f, char *out, size_t size)
{
	char *alerts = malloc(ROGUE_ALERTS_BYTES);

	assert_non_null(alerts);
	operator_alerts(f, alerts, ROGUE_ALERTS_BYTES);
	out[0] = '\0';
	for (char *line = strtok(alerts, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "\"operator\":\"op-07\"") &&
		    strncmp(line, "{\"alert\":\"firing\"", 17) == 0)
			snprintf(out + strlen(out), size - strlen(out), "%.31s\n",
				 strstr(line, "\"ts\":"));
	free(alerts);
}

/* The ts of op-07's firings in the shift under config, flooded (flood_owned) or not, into out,
 * a line each; its source_departs alerts into departures (NULL: not wanted). */
static void sequential_run_departures(const struct config *config, bool flooded, char *out,
				      size_t size, char *departures, size_t departures_size)
{
	struct fixture f;
	int sent = 0;

	start(&f, config);
	run_shift(&f, flooded ? flood_owned : NULL, &sent);
	rogue_firings(&f, out, size);
	if (departures)
		alerts_with(&f, "\"system\":\"source_departs\"", departures, departures_size);
	finish(&f);
}

static void sequential_run(const struct config *config, bool flooded, char *out, size_t size)
{
	sequential_run_departures(config, flooded, out, size, NULL, 0);
}

/* The shift from two connections without a hello ("#1": op-01..06, "#2": op-07..12, each
 * call's lines on its call-taker's) with per_source: connections without a hello are one
 * sender, with one baseline between them; op-07's firings into out as sequential_run. */
static void unnamed_run(const struct config *config, char *out, size_t size)
{
	struct fixture f;
	const char *by_call[2 * SHIFT_OPERATORS * SHIFT_MINUTES] = { 0 };
	int call_number;

	start(&f, config);
	for (size_t i = 0; i < shift_count; i++) {
		const char *id = strstr(shift[i].text, "\"E-");
		assert_non_null(id);
		call_number = atoi(id + 3);
		assert_true(call_number > 0 && call_number < 2 * SHIFT_OPERATORS * SHIFT_MINUTES);
		if (shift[i].op)
			by_call[call_number] = shift[i].op <= SHIFT_OPERATORS / 2 ? "#1" : "#2";
		struct engine_origin origin = { .source = by_call[call_number],
						.received_ms = shift[i].ts_ms + 1000 };
		engine_process_from(f.engine, &origin, shift[i].text, strlen(shift[i].text),
				    &f.verdict);
		assert_int_equal(f.verdict.reject, EVENT_OK);
	}
	engine_flush(f.engine);
	rogue_firings(&f, out, size);
	finish(&f);
}

static void test_flood_of_owned_short_calls(void **state)
{
	struct config config;
	char plain[1024], flooded[1024], capped[1024], per_source[1024], departed[1024];
	char departures[4096];
	(void)state;

	config_set_defaults(&config); /* the sequential rule, one baseline per agency */
	assert_true(config.detector.baseline.source_depart_z == 4.0);
	sequential_run_departures(&config, true, departed, sizeof(departed), departures,
				  sizeof(departures));
	/* cad-evil taken out of NOPD's baseline: op-07 alerted as without the flood */
	assert_string_equal(departed, "\"ts\":\"2026-11-29T08:48:47.654Z\"\n");
	assert_string_equal(
		departures,
		"{\"alert\":\"firing\",\"alert_id\":\"c2a90054f47f79fd\","
		"\"ts\":\"2026-11-29T08:25:40.931Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil's calls of agency NOPD depart from the other "
		"sources': 100.0% premature of 11 calls against 0.0% of 47 (z 7.6); out of their "
		"baseline, its call-takers judged by its own calls\"}\n");
	config.detector.baseline.source_depart_z = 0.0; /* the source cap alone (not the default) */
	assert_true(config.detector.baseline.source_cap_z == 0.0);
	config.detector.baseline.source_cap_z = 2.5;
	sequential_run(&config, true, capped, sizeof(capped));
	config.detector.baseline.source_cap_z = 0.0; /* the shared baseline alone */
	sequential_run(&config, false, plain, sizeof(plain));
	sequential_run(&config, true, flooded, sizeof(flooded));
	/* capped by cad-east's own baseline: alerted, later than without the flood */
	assert_string_equal(capped, "\"ts\":\"2026-11-29T09:13:12.357Z\"\n");
	config.detector.baseline.per_source = true;
	sequential_run(&config, true, per_source, sizeof(per_source));
	assert_string_equal(plain, "\"ts\":\"2026-11-29T08:48:47.654Z\"\n");
	assert_string_equal(flooded, ""); /* hidden */
	assert_string_equal(per_source, plain);
	unnamed_run(&config, per_source, sizeof(per_source));
	assert_string_equal(per_source, plain);
}

/* The rogue alone on his own CAD (cad-west: op-07's calls; cad-east: the other eleven's). His
 * source's calls depart from the rest's, but only his: with the deciding call-taker's own
 * calls left out of its side, cad-west has none to test and is never taken out. So he is
 * judged with the rest and alerted as in one stream, and no source_departs is raised. */
static void test_rogue_alone_on_his_source_stays_in(void **state)
{
	struct config config;
	struct fixture f;
	char plain[1024], alone[1024], departures[4096];
	(void)state;

	config_set_defaults(&config);
	sequential_run(&config, false, plain, sizeof(plain));
	start(&f, &config);
	for (size_t i = 0; i < shift_count; i++)
		assert_int_equal(from(&f, shift[i].op == ROGUE ? "cad-west" : "cad-east",
				      shift[i].ts_ms, "%s", shift[i].text),
				 EVENT_OK);
	engine_flush(f.engine);
	rogue_firings(&f, alone, sizeof(alone));
	alerts_with(&f, "\"system\":\"source_departs\"", departures, sizeof(departures));
	finish(&f);
	assert_string_equal(plain, "\"ts\":\"2026-11-29T08:48:47.654Z\"\n");
	assert_string_equal(alone, plain);
	assert_string_equal(departures, "");
}

/* cad-evil's cut calls (each by a new call-taker) of NOPD from minute off, n of them. */
static void evil_calls(struct fixture *f, int64_t off, int n)
{
	char op[16];

	for (int i = 0; i < n; i++) {
		snprintf(op, sizeof(op), "fl-%lld", (long long)(off + i));
		call_from(f, "cad-evil", op, off + i, true);
	}
}

/* start_departed's lines without its start. */
static void fill_departed(struct fixture *f)
{
	for (int64_t m = 0; m < 20; m++)
		call_from(f, "cad-east", m % 2 ? "op-1" : "op-2", m, false);
	evil_calls(f, 20, 15);
	call_from(f, "cad-east", "op-1", 40, false);
}

/* A start under config: cad-east's 20 calls taken by two call-takers, then cad-evil's 15 cut
 * ones (a new call-taker each, minutes 20 to 34: it departs at 08:31:05), then one more of
 * cad-east (minute 40): cad-evil is the source heard of least recently. */
static void start_departed(struct fixture *f, const struct config *config)
{
	start(f, config);
	fill_departed(f);
}

/* feed.max_sources 2: cad-evil's calls depart from cad-east's (source_departs), then it goes
 * quiet and cad-3's first line forgets its clock: the alert resolves, saying why, and its
 * calls are back in NOPD's baseline, so that its next cut calls take it out again with a new
 * alert (before: open for ever, and back it would stay out, told by nothing). */
static void test_forgotten_source_resolves_departure(void **state)
{
	struct config config;
	struct fixture f;
	char departures[4096];
	(void)state;

	config_set_defaults(&config);
	config.feed.max_sources = 2;
	start_departed(&f, &config);
	assert_int_equal(engine_stats(f.engine)->clocks_evicted, 0);
	assert_int_equal(from(&f, "cad-3", at(41, 0), INCIDENT("X"), at(41, 0)), EVENT_OK);
	assert_int_equal(engine_stats(f.engine)->clocks_evicted, 1);
	evil_calls(&f, 42, 15);
	alerts_with(&f, "\"system\":\"source_departs\"", departures, sizeof(departures));
	finish(&f);
	assert_string_equal(
		departures,
		"{\"alert\":\"firing\",\"alert_id\":\"f0e5d5f16fd7c45d\","
		"\"ts\":\"2026-11-29T08:31:05.000Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil's calls of agency NOPD depart from the other "
		"sources': 100.0% premature of 11 calls against 0.0% of 18 (z 5.3); out of their "
		"baseline, its call-takers judged by its own calls\"}\n"
		"{\"alert\":\"resolved\",\"alert_id\":\"f0e5d5f16fd7c45d\","
		"\"ts\":\"2026-11-29T08:42:01.000Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil forgotten (feed.max_sources 2 reached): its "
		"clock is gone, and this notice with it; its calls of agency NOPD are back in the "
		"others' baseline\"}\n"
		"{\"alert\":\"firing\",\"alert_id\":\"f673bd2989e575c8\","
		"\"ts\":\"2026-11-29T08:42:05.000Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil's calls of agency NOPD depart from the other "
		"sources': 100.0% premature of 14 calls against 0.0% of 18 (z 5.6); out of their "
		"baseline, its call-takers judged by its own calls\"}\n");
}

/* The same forgotten by a reload to a smaller feed.max_sources (3 -> 2, which forgets the clock
 * heard of least recently, cad-evil's): the next line resolves its source_departs, saying so
 * (before: open for ever). */
static void test_reload_forgets_departed_source(void **state)
{
	struct config config;
	struct fixture f;
	char departures[4096];
	(void)state;

	config_set_defaults(&config);
	config.feed.max_sources = 3;
	start_departed(&f, &config);
	assert_int_equal(from(&f, "cad-3", at(41, 0), INCIDENT("X"), at(41, 0)), EVENT_OK);
	config.feed.max_sources = 2;
	assert_int_equal(engine_reconfigure(f.engine, &config), 0);
	assert_int_equal(from(&f, "cad-3", at(42, 0), INCIDENT("Y"), at(42, 0)), EVENT_OK);
	alerts_with(&f, "\"system\":\"source_departs\"", departures, sizeof(departures));
	finish(&f);
	assert_non_null(
		strstr(departures, "{\"alert\":\"firing\",\"alert_id\":\"f0e5d5f16fd7c45d\""));
	assert_string_equal(strchr(departures, '\n') + 1,
			    "{\"alert\":\"resolved\",\"alert_id\":\"f0e5d5f16fd7c45d\","
			    "\"ts\":\"2026-11-29T08:42:01.000Z\",\"type\":\"system\","
			    "\"system\":\"source_departs\",\"severity\":\"warning\","
			    "\"source\":\"cad-evil\",\"message\":\"feed source cad-evil forgotten "
			    "(feed.max_sources 2 reached): its clock is gone, and this notice with "
			    "it; its calls of agency NOPD are back in the others' baseline\"}\n");
}

/* After start_departed (feed.max_sources 2): cad-evil's cut call waits in the reorder buffer
 * behind cad-east, cad-3's first line forgets cad-evil's clock (its alert resolves), then the
 * call is released and completes: cad-evil departs again, without a clock. With restore, from
 * a snapshot taken at the next line. */
static void depart_without_clock(struct fixture *f, const struct config *config, bool restore)
{
	int64_t host = at(50, 0);

	start_departed(f, config);
	line_at(f, "cad-east", host, INCIDENT("E1"), at(49, 50));
	line_at(f, "cad-evil", host + 100, START("ev-50", "fl-50", "NOPD"), at(50, 0));
	line_at(f, "cad-evil", host + 200, END("ev-50", "operator"), at(50, 5));
	line_at(f, "cad-east", host + 300, INCIDENT("E2"), at(49, 51));
	line_at(f, "cad-3", host + 400, INCIDENT("X3"), at(49, 52));
	assert_int_equal(engine_stats(f->engine)->clocks_evicted, 1);
	line_at(f, "cad-east", at(55, 0) + 500, INCIDENT("E4"), at(55, 0));
	line_at(f, "cad-3", at(55, 0) + 600, INCIDENT("X5"), at(55, 0));
	if (restore)
		restore_from_snapshot(f, config);
	line_at(f, "cad-east", at(55, 0) + 700, INCIDENT("E6"), at(55, 1));
}

/* The departure raised after cad-evil's clock was forgotten is resolved at the next line, its
 * clock's notices gone with it, live as after a restore (before: open for ever live, while a
 * restore's settling resolved it and put cad-evil back in NOPD's baseline, so that every
 * call-taker was judged differently from the live run). */
static void test_departure_without_clock_survives_restore(void **state)
{
	struct config config;
	struct fixture live, restored;
	char live_alerts[4096], restored_alerts[4096];
	(void)state;

	config_set_defaults(&config);
	config.feed.max_sources = 2;
	depart_without_clock(&live, &config, false);
	depart_without_clock(&restored, &config, true);
	alerts_with(&live, "\"system\":\"source_departs\"", live_alerts, sizeof(live_alerts));
	alerts_with(&restored, "\"system\":\"source_departs\"", restored_alerts,
		    sizeof(restored_alerts));
	finish(&live);
	finish(&restored);
	assert_string_equal(restored_alerts, live_alerts);
	const char *third = strchr(strchr(live_alerts, '\n') + 1, '\n') + 1;
	assert_string_equal(
		third,
		"{\"alert\":\"firing\",\"alert_id\":\"6494a06fafebaf42\","
		"\"ts\":\"2026-11-29T08:50:05.000Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil's calls of agency NOPD depart from the other "
		"sources': 100.0% premature of 13 calls against 0.0% of 17 (z 5.5); out of their "
		"baseline, its call-takers judged by its own calls\"}\n"
		"{\"alert\":\"resolved\",\"alert_id\":\"6494a06fafebaf42\","
		"\"ts\":\"2026-11-29T08:55:00.600Z\",\"type\":\"system\","
		"\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		"\"message\":\"feed source cad-evil forgotten (feed.max_sources 2 reached): its "
		"clock is gone, and this notice with it; its calls of agency NOPD are back in the "
		"others' baseline\"}\n");
}

/* cad-evil out of NOPD's baseline, then restored from a snapshot: it stays out, as live, and
 * its next cut calls raise nothing new (before format 12 a restore put it back in, and its
 * next call took it out again with a second firing). */
static void test_departure_survives_restore(void **state)
{
	struct config config;
	struct fixture whole, split;
	char whole_alerts[4096], split_alerts[4096];
	(void)state;

	config_set_defaults(&config);
	start_pair(&whole, &split, &config, fill_departed);
	evil_calls(&whole, 42, 3);
	evil_calls(&split, 42, 3);
	alerts_with(&whole, "\"system\":\"source_departs\"", whole_alerts, sizeof(whole_alerts));
	alerts_with(&split, "\"system\":\"source_departs\"", split_alerts, sizeof(split_alerts));
	assert_string_equal(split_alerts, whole_alerts);
	assert_int_equal(strchr(whole_alerts, '\n') - whole_alerts + 1, strlen(whole_alerts));
	assert_same_snapshots(&whole, &split);
}

/* cad-east's call (op-1, taken for 2 min) of agency AG<k> at minute 42 + k, for k in
 * [from, to): a new agency's shared baseline and cad-east's own of it each. */
static void other_agencies(struct fixture *f, int from_k, int to_k)
{
	char start_line[256], end_line[256];

	for (int k = from_k; k < to_k; k++) {
		long long minute = 42 + k;
		snprintf(start_line, sizeof(start_line),
			 "{\"type\":\"call_start\",\"call_id\":\"AG%d-1\",\"ts\":%lld,"
			 "\"operator\":\"op-1\",\"agency\":\"AG%d\"}",
			 k, at(minute, 0), k);
		snprintf(end_line, sizeof(end_line),
			 "{\"type\":\"call_end\",\"call_id\":\"AG%d-1\",\"ts\":%lld,"
			 "\"released_by\":\"caller\"}",
			 k, at(minute, 120));
		assert_int_equal(from(f, "cad-east", at(minute, 0), "%s", start_line), EVENT_OK);
		assert_int_equal(from(f, "cad-east", at(minute, 120), "%s", end_line), EVENT_OK);
	}
}

#define FORGETTING_AGENCIES 9

/* tracker.max_operators 20 (so 20 baselines): start_departed's 3 baselines (NOPD's, cad-east's
 * and cad-evil's own of it), then nine agencies' two each; cut: a restore from a snapshot
 * before the cut-th agency (-1: none); then cad-evil's 15 cut calls again. */
static void forget_departed(struct fixture *f, const struct config *config, int cut)
{
	start_departed(f, config);
	other_agencies(f, 0, cut < 0 ? 0 : cut);
	if (cut >= 0)
		restore_from_snapshot(f, config);
	other_agencies(f, cut < 0 ? 0 : cut, FORGETTING_AGENCIES);
	evil_calls(f, 60, 15);
	engine_flush(f->engine);
}

/* f's source_departs alerts: cad-evil's firing, then its resolve at ts, its own baseline of NOPD
 * forgotten under tracker.max_operators max_operators. */
static void expect_forgotten_departure(const struct fixture *f, const char *ts,
				       unsigned max_operators)
{
	char departures[4096], resolved[1024];

	alerts_with(f, "\"system\":\"source_departs\"", departures, sizeof(departures));
	snprintf(resolved, sizeof(resolved),
		 "{\"alert\":\"resolved\",\"alert_id\":\"f0e5d5f16fd7c45d\","
		 "\"ts\":\"%s\",\"type\":\"system\","
		 "\"system\":\"source_departs\",\"severity\":\"warning\",\"source\":\"cad-evil\","
		 "\"message\":\"feed source cad-evil's own baseline of agency NOPD forgotten "
		 "(tracker.max_operators %u reached): its calls are back in the other sources' "
		 "baseline\"}\n",
		 ts, max_operators);
	static const char firing[] = "{\"alert\":\"firing\",\"alert_id\":\"f0e5d5f16fd7c45d\"";
	assert_memory_equal(departures, firing, strlen(firing));
	assert_string_equal(strchr(departures, '\n') + 1, resolved);
}

/* The same alerts in split as in whole, byte for byte. */
static void assert_same_alerts(const struct fixture *whole, const struct fixture *split)
{
	assert_int_equal(split->alert_count, whole->alert_count);
	for (size_t i = 0; i < whole->alert_count; i++)
		assert_string_equal(split->alerts[i], whole->alerts[i]);
}

/* The baseline table full (tracker.max_operators 20), the ninth agency's baselines forget the
 * stalest, cad-evil's own of NOPD, while it is out of NOPD's: its source_departs resolves,
 * saying why, and its calls are back in NOPD's baseline (NOPD's counts it out no more): before,
 * the alert stayed open for ever and NOPD's baseline kept its calls out and counted it out.
 * Live as after a restore before any of the agencies: the same alerts (its next 15 cut calls,
 * in a new own baseline judged against NOPD's that holds its earlier ones, raise nothing),
 * the same snapshot. */
static void test_forgotten_baseline_resolves_departure(void **state)
{
	struct config config;
	struct fixture whole, split;
	(void)state;

	config_set_defaults(&config);
	config.tracker.max_operators = 20;
	forget_departed(&whole, &config, -1);
	assert_int_equal(engine_stats(whole.engine)->detector.baselines_evicted, 2);
	expect_forgotten_departure(&whole, "2026-11-29T08:52:01.000Z", 20);
	for (int cut = 0; cut <= FORGETTING_AGENCIES; cut++) {
		forget_departed(&split, &config, cut);
		assert_same_alerts(&whole, &split);
		if (cut < FORGETTING_AGENCIES)
			finish(&split);
	}
	assert_same_snapshots(&whole, &split);
}

/* start_departed (tracker.max_operators 20), then a reload to 2 (cut: restored from a
 * snapshot before it), then one line of cad-east. */
static void shrink_departed(struct fixture *f, bool cut)
{
	struct config config;

	config_set_defaults(&config);
	config.tracker.max_operators = 20;
	start_departed(f, &config);
	if (cut)
		restore_from_snapshot(f, &config);
	config.tracker.max_operators = 2;
	assert_int_equal(engine_reconfigure(f->engine, &config), 0);
	assert_int_equal(from(f, "cad-east", at(41, 0), INCIDENT("X"), at(41, 0)), EVENT_OK);
	engine_flush(f->engine);
}

/* A reload to tracker.max_operators 2 forgets the stalest of the three baselines, cad-evil's
 * own of NOPD, while it is out: its source_departs resolves at the reload, saying why (before:
 * open for ever), live as after a restore. */
static void test_shrinking_reload_resolves_departure(void **state)
{
	struct fixture whole, split;
	(void)state;

	shrink_departed(&whole, false);
	shrink_departed(&split, true);
	assert_int_equal(engine_stats(whole.engine)->detector.baselines_evicted, 1);
	expect_forgotten_departure(&whole, "2026-11-29T08:42:01.000Z", 2);
	assert_same_alerts(&whole, &split);
	assert_same_snapshots(&whole, &split);
}

/* The owners and counts survive a snapshot: restoring mid-attack and going on gives the same
 * alerts and verdicts, byte for byte. */
#define LONG_ID	    "C-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
#define LONG_SOURCE "cad-west-with-a-forty-byte-long-name-xyz"

static void test_binding_survives_snapshot(void **state)
{
	struct config config = flood_config();
	struct fixture whole, split;
	(void)state;

	config.tracker.max_new_operators_per_source_per_hour = 2;
	config.tracker.max_open_calls_per_source = 2; /* cad-evil's x1 and x2: saved */
	start(&whole, &config);
	start(&split, &config);
	for (int pass = 0; pass < 2; pass++) {
		struct fixture *f = pass == 0 ? &whole : &split;
		assert_int_equal(
			from(f, "cad-east", at(0, 0), START("c1", "op-1", "NOPD"), at(0, 0)),
			EVENT_OK);
		assert_int_equal(
			from(f, "cad-evil", at(0, 1), START("x1", "fake-1", "NOPD"), at(0, 1)),
			EVENT_OK);
		assert_int_equal(
			from(f, "cad-evil", at(0, 2), START("x2", "fake-2", "NOPD"), at(0, 2)),
			EVENT_OK);
		assert_int_equal(
			from(f, "cad-evil", at(0, 3), START("x3", "fake-3", "NOPD"), at(0, 3)),
			EVENT_REJECT_NEW_OPERATOR_RATE);
		/* a call_id and a source name too long to be kept inline (62 + 40 bytes) */
		assert_int_equal(
			from(f, LONG_SOURCE, at(0, 3), START(LONG_ID, "op-9", "NOPD"), at(0, 3)),
			EVENT_OK);
	}
	restore_from_snapshot(&split, &config);
	for (int pass = 0; pass < 2; pass++) {
		struct fixture *f = pass == 0 ? &whole : &split;
		assert_int_equal(from(f, "cad-evil", at(0, 4), INCIDENT("c1"), at(0, 4)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		assert_int_equal(from(f, "cad-evil", at(0, 4), INCIDENT(LONG_ID), at(0, 4)),
				 EVENT_REJECT_CALL_OF_OTHER_SOURCE);
		assert_string_equal(f->verdict.why,
				    "incident: call \"" LONG_ID "\" was opened by "
				    "feed source " LONG_SOURCE " (tracker.bind_calls_to_source)");
		assert_int_equal(from(f, LONG_SOURCE, at(0, 4), END(LONG_ID, "caller"), at(0, 4)),
				 EVENT_OK);
		assert_int_equal(
			from(f, "cad-evil", at(0, 5), START("x4", "op-1", "NOPD"), at(0, 5)),
			EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE);
		assert_int_equal(
			from(f, "cad-evil", at(0, 6), START("x5", "fake-5", "NOPD"), at(0, 6)),
			EVENT_REJECT_NEW_OPERATOR_RATE);
		assert_int_equal(
			from(f, "cad-evil", at(0, 6), START("x6", "fake-1", "NOPD"), at(0, 6)),
			EVENT_REJECT_OPEN_CALLS_PER_SOURCE);
		assert_int_equal(from(f, "cad-evil", at(31, 0), END("x1", "caller"), at(31, 0)),
				 EVENT_OK);
	}
	assert_int_equal(whole.alert_count, 4); /* the two limit alerts, and their resolutions */
	assert_int_equal(split.alert_count, 4);
	for (size_t i = 0; i < whole.alert_count; i++)
		assert_string_equal(whole.alerts[i], split.alerts[i]);
	finish(&whole);
	finish(&split);
}

/* ---- a smaller feed.max_sources reloaded, then a restore ------------------------------------ */

#define RELOAD_SOURCES 12 /* feed.max_sources before the reload; 4 after */
#define RELOAD_STEP RELOAD_SOURCES
#define RELOAD_STEPS (RELOAD_STEP + 5)

/* The configuration in force before step (the reload is step RELOAD_STEP). */
static struct config reload_config(size_t step)
{
	struct config config = flood_config();

	config.feed.max_sources = step > RELOAD_STEP ? 4 : RELOAD_SOURCES;
	return config;
}

/* Steps [from, to): cad-01..cad-12 each open a call, feed.max_sources is reloaded as 4 (their
 * clocks and new-operator counts forgotten but cad-09..12's, their calls kept), then cad-13
 * opens one, cad-12 ends its own, cad-01 opens another, cad-14 one. */
static void run_reload(struct fixture *f, size_t from_step, size_t to_step)
{
	static const char *const after[RELOAD_STEPS - RELOAD_STEP - 1] = {"cad-13", "cad-12",
									   "cad-01", "cad-14"};
	char line[256], source[16];

	for (size_t i = from_step; i < to_step; i++) {
		int n = (int)i + 1;
		long long minute = i < RELOAD_STEP ? 0 : 1, second = (long long)i;
		if (i == RELOAD_STEP) {
			struct config config = reload_config(i + 1);
			assert_int_equal(engine_reconfigure(f->engine, &config), 0);
			continue;
		}
		if (i < RELOAD_STEP)
			snprintf(source, sizeof(source), "cad-%02d", n);
		else
			snprintf(source, sizeof(source), "%s", after[i - RELOAD_STEP - 1]);
		if (strcmp(source, "cad-12") == 0 && i > RELOAD_STEP)
			snprintf(line, sizeof(line), END("C12", "caller"), at(minute, second));
		else
			snprintf(line, sizeof(line), START("C%d", "op-%d", "NOPD"), n,
				 at(minute, second), n);
		assert_int_equal(from(f, source, at(minute, second), "%s", line), EVENT_OK);
	}
}

/* The whole run's alerts and snapshot against a run snapshotted before each step (before and
 * after the reload, between the reload and its next line), restored under the configuration
 * then in force and fed the rest: the same alerts, byte for byte, and the same snapshot. The
 * reload forgets 8 clocks and 8 senders, the next line one more of each: 18. Before format 13
 * a restore after the reload counted 27: the senders' open calls were counted again on load,
 * and each of the 8 forgotten that still owned one was made again, evicting another (9 more),
 * the last one made staying in the place of a sender the live run kept. */
static void test_reload_then_restore_counts_alike(void **state)
{
	struct config config = reload_config(0);
	struct fixture whole, split;
	struct codec_writer whole_bytes = {0};
	(void)state;

	start(&whole, &config);
	run_reload(&whole, 0, RELOAD_STEPS);
	engine_flush(whole.engine);
	assert_int_equal(whole.alert_count, 1);
	assert_string_equal(whole.alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"d685db33e873a49e\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:01:13.000Z\",\"type\":\"system\","
			    "\"system\":\"limit\",\"severity\":\"warning\","
			    "\"limit\":\"feed.max_sources\",\"evicted\":18,\"message\":\"feed "
			    "sources' numbering or clocks forgotten (feed.max_sources 4 reached): "
			    "18 so far; raise feed.max_sources\"}");
	const struct engine_stats *stats = engine_stats(whole.engine);
	assert_int_equal(stats->clocks_evicted, 11);
	assert_int_equal(stats->binding.senders_evicted, 11);
	engine_snapshot(whole.engine, &whole_bytes);
	assert_false(whole_bytes.failed);
	for (size_t cut = 0; cut <= RELOAD_STEPS; cut++) {
		struct codec_writer split_bytes = {0};
		struct config in_force = reload_config(cut);
		start(&split, &config);
		run_reload(&split, 0, cut);
		restore_from_snapshot(&split, &in_force);
		run_reload(&split, cut, RELOAD_STEPS);
		engine_flush(split.engine);
		assert_int_equal(split.alert_count, whole.alert_count);
		assert_string_equal(split.alerts[0], whole.alerts[0]);
		assert_int_equal(engine_stats(split.engine)->binding.senders_evicted, 11);
		engine_snapshot(split.engine, &split_bytes);
		assert_int_equal(split_bytes.len, whole_bytes.len);
		assert_memory_equal(split_bytes.data, whole_bytes.data, whole_bytes.len);
		codec_writer_release(&split_bytes);
		finish(&split);
	}
	codec_writer_release(&whole_bytes);
	finish(&whole);
}

static int setup_shift(void **state)
{
	(void)state;
	make_shift();
	make_baseline();
	return 0;
}

static int teardown_shift(void **state)
{
	(void)state;
	free(shift);
	free(baseline);
	return 0;
}

/* No memory for the tracker's call text at a restore (its 50-character call_id, 51 bytes) is
 * no damage: the snapshot is good, the restore says so (rev12a). */
static void test_call_text_without_memory_at_restore_is_no_damage(void **state)
{
	static const char id[] = "c-012345678901234567890123456789012345678901234567";
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "cad-east", at(0, 0),
			      "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%lld,"
			      "\"released_by\":\"caller\"}", id, at(0, 0)), EVENT_OK);
	engine_flush(f.engine);
	assert_int_equal(engine_stats(f.engine)->open_calls, 1);
	expect_restore_without_memory(&f, &config, sizeof(id));
	finish(&f);
}

/* An owner of "DEMO-000001" sent by "cad-center" (23 bytes of text, more than the entry holds
 * inline) whose text finds no memory at a restore: no damage either (rev12a). */
static void test_owner_text_without_memory_at_restore_is_no_damage(void **state)
{
	struct config config = flood_config();
	struct fixture f;
	(void)state;

	start(&f, &config);
	assert_int_equal(from(&f, "cad-west", at(0, 0), INCIDENT("w1"), at(0, 0)), EVENT_OK);
	assert_int_equal(from(&f, "cad-center", at(0, 0) + 100,
			      START("DEMO-000001", "op-1", "NOPD"), at(0, 0) + 100),
			 EVENT_OK);
	/* DEMO-000001 waits for cad-west: the tracker has no text of it */
	assert_int_equal(engine_stats(f.engine)->open_calls, 1);
	assert_int_equal(engine_stats(f.engine)->binding.calls, 2);
	expect_restore_without_memory(&f, &config, sizeof("DEMO-000001") + sizeof("cad-center"));
	finish(&f);
}

/* Random streams over small tables (tracker, reorder, dedupe, lateness, expiry; rev12a's
 * probe): a straight engine and one restored every few lines stay alike (verdicts, owners,
 * alerts, final bytes), every restore is accepted, and once flushed no owner outlives its
 * call. */
static uint32_t random_next(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*x >> 33);
}

static void restore_in_place(struct fixture *f, const struct config *config, uint64_t seed, int n)
{
	struct codec_writer writer = {0};
	char why[ENGINE_WHY_MAX] = "";

	engine_snapshot(f->engine, &writer);
	assert_false(writer.failed);
	engine_free(f->engine);
	f->engine = engine_restore(writer.data, writer.len, config, collect, f, why, sizeof(why));
	if (!f->engine)
		fail_msg("seed %llu line %d: %s", (unsigned long long)seed, n, why);
	free(writer.data);
}

static void test_random_streams_survive_snapshots(void **state)
{
	uint64_t evicted = 0, late = 0, refused = 0, owners_ev = 0;
	static const char *const sources[] = { "cad-a", "cad-b", "cad-c", "acd-center-01" };
	struct config config = flood_config();
	(void)state;

	config.tracker.max_open_calls = 6;
	config.tracker.max_reorder_events = 16;
	config.tracker.max_call_seconds = 90;
	config.tracker.allowed_lateness_seconds = 20;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct fixture whole, split;
		uint64_t x = seed;
		int64_t clock = at(0, 0);

		start(&whole, &config);
		start(&split, &config);
		for (int n = 0; n < 400; n++) {
			unsigned si = random_next(&x) % 4;
			const char *source = sources[si];
			unsigned id = random_next(&x) % 8, kind = random_next(&x) % 8;
			int64_t ts;
			char line[256];

			clock += (int64_t)(random_next(&x) % 600);
			ts = clock - (int64_t)(random_next(&x) % (si == 2 ? 25000 : 3000));
			if (kind < 3)
				snprintf(
					line, sizeof(line),
					"{\"type\":\"call_start\",\"call_id\":\"C%u\",\"ts\":%%lld,"
					"\"operator\":\"op-%u\",\"agency\":\"NOPD\"}",
					id, id % 3);
			else if (kind < 6)
				snprintf(line, sizeof(line),
					 "{\"type\":\"call_end\",\"call_id\":\"C%u\",\"ts\":%%lld,"
					 "\"released_by\":\"caller\"}", id);
			else
				snprintf(line, sizeof(line),
					 "{\"type\":\"incident\",\"call_id\":\"C%u\",\"ts\":%%lld}",
					 id);
			enum event_reject a = heard_at(&whole, source, clock, line, ts);
			enum event_reject b = heard_at(&split, source, clock, line, ts);
			if (a != b)
				fail_msg("seed %llu line %d: verdict %d != %d",
					 (unsigned long long)seed, n, a, b);
			if (engine_stats(whole.engine)->binding.calls !=
			    engine_stats(split.engine)->binding.calls)
				fail_msg("seed %llu line %d: owners %u != %u",
					 (unsigned long long)seed, n,
					 engine_stats(whole.engine)->binding.calls,
					 engine_stats(split.engine)->binding.calls);
			if (random_next(&x) % 5 == 0)
				restore_in_place(&split, &config, seed, n);
		}
		engine_flush(whole.engine);
		engine_flush(split.engine);
		const struct engine_stats *stats = engine_stats(whole.engine);
		if (stats->binding.calls > stats->open_calls)
			fail_msg("seed %llu: %u owners, %u open calls after flush",
				 (unsigned long long)seed, stats->binding.calls, stats->open_calls);
		evicted += stats->tracker.evicted;
		late += stats->late_events;
		owners_ev += stats->binding.calls_evicted;
		refused += stats->rejects[EVENT_REJECT_CALL_OF_OTHER_SOURCE];
		restore_in_place(&split, &config, seed, -1);
		assert_int_equal(whole.alert_count, split.alert_count);
		for (size_t i = 0; i < whole.alert_count; i++)
			assert_string_equal(whole.alerts[i], split.alerts[i]);
		assert_same_snapshots(&whole, &split);
	}
	/* the streams reached the paths an owner's events take (expiry and overflow they do not:
	 * other tests') */
	assert_true(evicted > 0 && late > 0 && owners_ev > 0 && refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agency_not_allowed),
		cmocka_unit_test(test_unlisted_source_refused),
		cmocka_unit_test(test_call_of_other_source),
		cmocka_unit_test(test_call_offered_binds_no_call),
		cmocka_unit_test(test_offered_of_other_agency_refused),
		cmocka_unit_test(test_abandoned_offered_calls_fill_nothing),
		cmocka_unit_test(test_operator_of_other_source),
		cmocka_unit_test(test_operator_state_bound),
		cmocka_unit_test(test_cold_start_of_a_large_center),
		cmocka_unit_test(test_new_operator_rate),
		cmocka_unit_test(test_open_calls_per_source),
		cmocka_unit_test(test_open_calls_full_names_top_sender),
		cmocka_unit_test(test_open_calls_counted_to_the_owner),
		cmocka_unit_test(test_call_bound_after_its_senders_sweep),
		cmocka_unit_test(test_event_ids_are_the_senders),
		cmocka_unit_test(test_eviction_least_evidence_first),
		cmocka_unit_test(test_full_of_alerts_refuses_new_operator),
		cmocka_unit_test(test_forged_incidents_do_not_hide_the_rogue),
		cmocka_unit_test(test_forged_lines_do_not_frame_an_honest_operator),
		cmocka_unit_test(test_flood_of_owned_short_calls),
		cmocka_unit_test(test_rogue_alone_on_his_source_stays_in),
		cmocka_unit_test(test_forgotten_source_resolves_departure),
		cmocka_unit_test(test_reload_forgets_departed_source),
		cmocka_unit_test(test_departure_without_clock_survives_restore),
		cmocka_unit_test(test_departure_survives_restore),
		cmocka_unit_test(test_forgotten_baseline_resolves_departure),
		cmocka_unit_test(test_shrinking_reload_resolves_departure),
		cmocka_unit_test(test_binding_survives_snapshot),
		cmocka_unit_test(test_reload_then_restore_counts_alike),
		cmocka_unit_test(test_flood_of_invented_operators),
		cmocka_unit_test(test_flood_evicts_least_evidence),
		cmocka_unit_test(test_full_table_evicts_top_sender),
		cmocka_unit_test(test_limit_alert_waits_the_log_interval),
		cmocka_unit_test(test_shrinking_reload_evicts_top_sender),
		cmocka_unit_test(test_shrinking_reload_binding_forgets_the_same),
		cmocka_unit_test(test_shrinking_reload_binding_forgets_expired_calls),
		cmocka_unit_test(test_tracker_sweep_forgets_owners_of_swept_calls),
		cmocka_unit_test(test_shrinking_reload_keeps_owner_of_waiting_call),
		cmocka_unit_test(test_shrinking_reload_keeps_every_held_owner),
		cmocka_unit_test(test_waiting_call_start_keeps_every_tracked_owner),
		cmocka_unit_test(test_reload_with_a_waiting_call_keeps_every_tracked_owner),
		cmocka_unit_test(test_shrinking_reload_with_waiting_calls_leaves_none_unowned),
		cmocka_unit_test(test_reload_shrinking_the_reorder_buffer_keeps_owners),
		cmocka_unit_test(test_resent_completed_call_leaves_no_owner),
		cmocka_unit_test(test_completed_call_keeps_its_owner_until_tracked),
		cmocka_unit_test(test_completed_call_owner_survives_snapshot),
		cmocka_unit_test(test_tracker_completion_forgets_the_owner),
		cmocka_unit_test(test_reused_id_keeps_its_owner_until_each_call_completes),
		cmocka_unit_test(test_events_waiting_stop_at_their_cap),
		cmocka_unit_test(test_evicted_owners_events_count_to_no_later_owner),
		cmocka_unit_test(test_evicted_owners_event_completing_the_call_frees_the_id),
		cmocka_unit_test(test_first_arrival_survives_snapshot),
		cmocka_unit_test(test_older_formats_keep_evicted_owners_events_apart),
		cmocka_unit_test(test_upgrade_recount_counts_the_cap),
		cmocka_unit_test(test_restore_without_memory_is_no_damage),
		cmocka_unit_test(test_call_text_without_memory_at_restore_is_no_damage),
		cmocka_unit_test(test_owner_text_without_memory_at_restore_is_no_damage),
		cmocka_unit_test(test_random_streams_survive_snapshots),
		cmocka_unit_test(test_owner_kept_while_reused_id_is_open_out_of_order),
		cmocka_unit_test(test_owner_goes_once_nothing_holds_the_id),
		cmocka_unit_test(test_events_waiting_survive_snapshot),
		cmocka_unit_test(test_events_waiting_byte_in_snapshot),
		cmocka_unit_test(test_upgrade_recount_skips_call_offered),
		cmocka_unit_test(test_senders_table_keeps_listed_sources),
		cmocka_unit_test(test_reload_without_memory_forgets_no_owner),
		cmocka_unit_test(test_call_start_without_memory_forgets_the_owner),
		cmocka_unit_test(test_new_call_without_memory_forgets_the_owner),
		cmocka_unit_test(test_tied_owners_latest_arrival_pays),
		cmocka_unit_test(test_refused_new_operator_leaves_its_sender_older),
		cmocka_unit_test(test_refused_call_start_spends_no_new_operator),
		cmocka_unit_test(test_tied_owners_survive_snapshot),
		cmocka_unit_test(test_fair_eviction_survives_snapshot),
		cmocka_unit_test(test_full_operators_evict_top_owner),
		cmocka_unit_test(test_full_owners_evict_top_owner),
		cmocka_unit_test(test_fair_operator_eviction_survives_snapshot),
		cmocka_unit_test(test_shrinking_reload_keeps_open_alerts),
		cmocka_unit_test(test_shrinking_reload_evicts_top_owner),
		cmocka_unit_test(test_shrinking_reload_binding_keeps_held_owners),
	};

	return cmocka_run_group_tests(tests, setup_shift, teardown_shift);
}
