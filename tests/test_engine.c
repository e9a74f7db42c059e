/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "control.h"
#include "engine.h"
#include "event.h"
#include "hash.h"

#define MAX_ALERTS 8

struct fixture {
	struct engine *engine;
	char alerts[MAX_ALERTS][2048];
	size_t alert_count;
};

static void collect_alert(const struct alert *alert, const char *json, size_t json_len, void *ctx)
{
	struct fixture *f = ctx;

	(void)alert;
	assert_true(f->alert_count < MAX_ALERTS);
	assert_int_equal(strlen(json), json_len);
	snprintf(f->alerts[f->alert_count++], sizeof(f->alerts[0]), "%s", json);
}

static int setup(void **state)
{
	static struct fixture f;
	struct config config;

	memset(&f, 0, sizeof(f));
	config_set_defaults(&config);
	config.detector.rule_count = 1;
	config.detector.rules[0] = (struct config_rule){ .name = "burst",
							 .type = CONFIG_RULE_WINDOW,
							 .window_seconds = 600,
							 .min_calls = 4,
							 .min_premature = 3,
							 .min_ratio = 0.5,
							 .called_back_weight = 1.0,
							 .max_p_value = 0.01,
							 .min_center_ratio = 0.05,
							 .odds_ratio = 3.0,
							 .threshold = 5.0,
							 .severity = "critical" };
	config.tracker.allowed_lateness_seconds = 600;
	f.engine = engine_new(&config, collect_alert, &f);
	*state = &f;
	return f.engine ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	engine_free(f->engine);
	return 0;
}

/* One operator, four calls: three short operator hangups and one real call. */
static const char *const shift[] = {
	"{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550101\"}",
	"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:05Z\",\"released_by\":"
	"\"operator\"}",
	"{\"type\":\"call_start\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\"}",
	"{\"type\":\"call_end\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T02:01:12.5-06:00\","
	"\"released_by\":\"operator\"}",
	"{\"type\":\"call_start\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550103\"}",
	"{\"type\":\"incident\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:40Z\",\"incident_id\":"
	"\"I-1\"}",
	"{\"type\":\"call_end\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:04:00Z\",\"released_by\":"
	"\"caller\"}",
	"{\"type\":\"call_end\",\"call_id\":\"c4\",\"ts\":1795939470000,\"released_by\":"
	"\"operator\"}",
	"{\"type\":\"call_start\",\"call_id\":\"c4\",\"ts\":\"2026-11-29T08:04:20Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550104\"}",
};

/* p_value: P(X >= 3 | 4, 0.05) = 4 * 0.05^3 * 0.95 + 0.05^4 = 0.00048125 (the center floor,
 * as nobody else is on duty). */
static const char expected_alert[] =
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,\"ts\":\"2026-11-29T08:"
	"04:30.000Z\","
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","
	"\"rule\":\"burst\",\"severity\":\"critical\","
	"\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_back\":0,\"ratio\":0.75,"
	"\"center_ratio\":0,"
	"\"p_value\":4.81e-04,\"callbacks\":["
	"{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:20.000Z\",\"talk_"
	"seconds\":10,"
	"\"called_back\":false},"
	"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,\"called_"
	"back\":false},"
	"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"
	"seconds\":5,"
	"\"called_back\":false}]}";

static enum event_reject feed(struct fixture *f, const char *line)
{
	char why[256];

	return engine_process_line(f->engine, line, strlen(line), why, sizeof(why));
}

static void test_scripted_shift_alert(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(shift) / sizeof(shift[0]); i++)
		assert_int_equal(feed(f, shift[i]), EVENT_OK);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], expected_alert);
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->lines, 9);
	assert_int_equal(stats->events, 9);
	assert_int_equal(stats->open_calls, 0);
	assert_int_equal(stats->detector.calls, 4);
	assert_int_equal(stats->detector.premature, 3);
	assert_int_equal(stats->detector.alerts, 1);
}

static void test_malformed_lines_between_good_ones(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line;
		enum event_reject reason;
	} junk[] = {
		{ "{\"type\":\"call_start\",", EVENT_REJECT_INVALID_JSON },
		{ "\x01\x02\xfe\xff", EVENT_REJECT_INVALID_JSON },
		{ "{\"type\":\"coffee_break\",\"call_id\":\"c1\",\"ts\":0}",
		  EVENT_REJECT_UNKNOWN_TYPE },
		{ "{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:06Z\"}",
		  EVENT_REJECT_MISSING_FIELD },
		{ "{\"type\":\"call_start\",\"call_id\":\"c9\",\"ts\":\"noon\",\"operator\":\"op-"
		  "7\"}",
		  EVENT_REJECT_BAD_TIMESTAMP },
		{ "[\"call_start\"]", EVENT_REJECT_NOT_AN_OBJECT },
		{ "{\"type\":\"call_start\",\"call_id\":1,\"ts\":0,\"operator\":\"op-7\"}",
		  EVENT_REJECT_WRONG_TYPE },
	};
	size_t rejected = 0;

	for (size_t i = 0; i < sizeof(shift) / sizeof(shift[0]); i++) {
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			assert_int_equal(feed(f, junk[j].line), junk[j].reason);
			rejected++;
		}
		assert_int_equal(feed(f, shift[i]), EVENT_OK);
	}
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], expected_alert);
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->lines, 9 + rejected);
	assert_int_equal(stats->events, 9);
	assert_int_equal(stats->rejects[EVENT_REJECT_INVALID_JSON], 18);
	assert_int_equal(stats->rejects[EVENT_REJECT_UNKNOWN_TYPE], 9);
	assert_int_equal(stats->rejects[EVENT_REJECT_MISSING_FIELD], 9);
}

static void test_blank_lines_ignored_and_external_rejects_counted(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(feed(f, ""), EVENT_OK);
	assert_int_equal(feed(f, " \t\r"), EVENT_OK);
	engine_count_reject(f->engine, EVENT_REJECT_LINE_TOO_LONG);
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->lines, 1);
	assert_int_equal(stats->rejects[EVENT_REJECT_LINE_TOO_LONG], 1);
}

static void test_embedded_nul_rejected(void **state)
{
	struct fixture *f = *state;
	static const char line[] = "{\"type\":\"call_start\",\0\"call_id\":\"c1\"}";
	char why[256];

	assert_int_equal(engine_process_line(f->engine, line, sizeof(line) - 1, why, sizeof(why)),
			 EVENT_REJECT_INVALID_JSON);
	assert_string_equal(why, "invalid JSON: NUL byte in line");
}

static void test_resent_event_is_ignored(void **state)
{
	struct fixture *f = *state;

	/* The same line twice (same type, call_id and ts): the second is a duplicate. */
	assert_int_equal(feed(f, shift[0]), EVENT_OK);
	assert_int_equal(feed(f, shift[0]), EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->duplicates, 1);
	assert_int_equal(engine_stats(f->engine)->tracker.duplicates, 0);
	/* A second call_start with another ts reaches the tracker, which keeps the first. */
	assert_int_equal(
		feed(f,
		     "{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:01Z\","
		     "\"operator\":\"op-9\"}"),
		EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->tracker.duplicates, 1);
	assert_int_equal(engine_stats(f->engine)->open_calls, 1);
}

/* The fixture's engine made again with the defaults, tracker.max_operators 1 and source_cap_z
 * (0: the source baselines off, source_depart_z 0 as well). */
static void restart_with_one_operator(struct fixture *f, double source_cap_z)
{
	struct config config;

	config_set_defaults(&config);
	config.tracker.max_operators = 1;
	config.detector.baseline.source_cap_z = source_cap_z;
	config.detector.baseline.source_depart_z = source_cap_z > 0.0 ? 4.0 : 0.0;
	engine_free(f->engine);
	f->engine = engine_new(&config, collect_alert, f);
	assert_non_null(f->engine);
}

/* A call_offered opens no call and no operator; before its agency's first answered call it is
 * counted in offered_unknown only, after it in the agency's offered volume; a resend of it is a
 * duplicate; the call's call_start at the same ts is another event; a bad one is rejected and
 * counted like any line. */
static void test_call_offered_opens_nothing(void **state)
{
	struct fixture *f = *state;
	static const char offered[] = "{\"type\":\"call_offered\",\"call_id\":\"c1\","
				      "\"ts\":\"2026-11-29T08:00:00Z\",\"agency\":\"NOPD\"}";
	char why[256];

	assert_int_equal(feed(f, offered), EVENT_OK);
	assert_int_equal(feed(f, offered), EVENT_OK);
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->duplicates, 1);
	assert_int_equal(stats->detector.offered, 0);
	assert_int_equal(stats->detector.offered_unknown, 1);
	assert_int_equal(stats->open_calls, 0);
	assert_int_equal(stats->detector.operators, 0);
	assert_int_equal(feed(f, shift[0]), EVENT_OK); /* c1's call_start at the same ts */
	stats = engine_stats(f->engine);
	assert_int_equal(stats->duplicates, 1);
	assert_int_equal(stats->open_calls, 1);
	assert_int_equal(feed(f, shift[1]), EVENT_OK); /* c1 answered and ended: NOPD known */
	assert_int_equal(feed(f, "{\"type\":\"call_offered\",\"call_id\":\"c2\","
				 "\"ts\":\"2026-11-29T08:00:30Z\",\"agency\":\"NOPD\"}"),
			 EVENT_OK);
	stats = engine_stats(f->engine);
	assert_int_equal(stats->detector.offered, 1);
	assert_int_equal(stats->detector.offered_unknown, 1);
	static const char bad[] = "{\"type\":\"call_offered\",\"ts\":1}";
	assert_int_equal(engine_process_line(f->engine, bad, strlen(bad), why, sizeof(why)),
			 EVENT_REJECT_MISSING_FIELD);
	stats = engine_stats(f->engine);
	assert_string_equal(why, "call_offered: missing required field \"call_id\"");
	assert_int_equal(stats->rejects[EVENT_REJECT_MISSING_FIELD], 1);
	assert_int_equal(stats->lines, 6);
	assert_int_equal(stats->events, 5);
	assert_int_equal(stats->detector.offered, 1);
}

/* Agencies known only by their arrivals make no baseline: with tracker.max_operators 1 (one
 * baseline; the source cap off, whose source baseline would be a second), a call_offered of
 * 100 other agencies evicts none and keeps NOPD's; they are counted in offered_unknown. */
static void test_offered_agencies_make_no_baseline(void **state)
{
	struct fixture *f = *state;
	char line[256];

	restart_with_one_operator(f, 0.0);
	assert_int_equal(feed(f, shift[0]), EVENT_OK);
	assert_int_equal(feed(f, shift[1]), EVENT_OK);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_offered\",\"call_id\":\"q%d\","
			 "\"ts\":\"2026-11-29T08:00:10Z\",\"agency\":\"A%d\"}",
			 i, i);
		assert_int_equal(feed(f, line), EVENT_OK);
	}
	assert_int_equal(feed(f, "{\"type\":\"call_offered\",\"call_id\":\"q\","
				 "\"ts\":\"2026-11-29T08:00:20Z\",\"agency\":\"NOPD\"}"),
			 EVENT_OK);
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->detector.offered_unknown, 100);
	assert_int_equal(stats->detector.offered, 1);
	assert_int_equal(stats->detector.baselines_evicted, 0);
}

static void test_event_id_identifies_resends(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
		feed(f, "{\"type\":\"incident\",\"call_id\":\"c1\",\"ts\":1,\"event_id\":\"e-1\"}"),
		EVENT_OK);
	/* Same event_id, different content: the sender's id wins. */
	assert_int_equal(
		feed(f, "{\"type\":\"incident\",\"call_id\":\"c2\",\"ts\":2,\"event_id\":\"e-1\"}"),
		EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->duplicates, 1);
	assert_int_equal(engine_stats(f->engine)->open_calls, 1);
}

static void test_too_late_rejected(void **state)
{
	struct fixture *f = *state;
	char why[256];
	static const char late[] = "{\"type\":\"call_start\",\"call_id\":\"old\",\"ts\":\"2026-11-"
				   "29T07:49:59Z\",\"operator\":\"op-7\"}";
	static const char in_time[] = "{\"type\":\"call_start\",\"call_id\":\"ok\",\"ts\":\"2026-"
				      "11-29T07:50:00Z\",\"operator\":\"op-7\"}";

	assert_int_equal(feed(f, shift[0]), EVENT_OK); /* the clock: 08:00:00 */
	assert_int_equal(engine_process_line(f->engine, late, strlen(late), why, sizeof(why)),
			 EVENT_REJECT_TOO_LATE);
	assert_string_equal(
		why,
		"call_start: \"ts\" is 601 s older than the newest event, over the 600 s allowed");
	/* Exactly at the limit is still in time. */
	assert_int_equal(feed(f, in_time), EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_TOO_LATE], 1);
	assert_int_equal(engine_stats(f->engine)->open_calls, 2);
}

static void test_source_seq_resends(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	static const char first[] =
		"{\"seq\":1,\"type\":\"incident\",\"call_id\":\"a\",\"ts\":1000}";
	static const char second[] =
		"{\"seq\":2,\"type\":\"incident\",\"call_id\":\"b\",\"ts\":2000}";
	static const char bad[] = "{\"seq\":3,\"type\":\"bogus\"}";

	engine_process(f->engine, "cad-1", first, strlen(first), &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.duplicate);
	assert_true(verdict.has_seq);
	assert_int_equal(verdict.seq, 1);
	engine_process(f->engine, "cad-1", second, strlen(second), &verdict);
	engine_process(f->engine, "cad-1", bad, strlen(bad), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_UNKNOWN_TYPE);
	assert_string_equal(verdict.why, "unknown event type \"bogus\"");
	assert_int_equal(verdict.seq, 3);
	/* The sender reconnects and resends from its last ack (1): 2 and 3 are recognized. */
	engine_process(f->engine, "cad-1", second, strlen(second), &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_true(verdict.duplicate);
	engine_process(f->engine, "cad-1", bad, strlen(bad), &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_true(verdict.duplicate);
	/* Another source numbers its own events: its seq 2 is new. */
	static const char other[] =
		"{\"seq\":2,\"type\":\"incident\",\"call_id\":\"c\",\"ts\":3000}";
	engine_process(f->engine, "cad-2", other, strlen(other), &verdict);
	assert_false(verdict.duplicate);
	assert_int_equal(engine_stats(f->engine)->duplicates, 2);
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_UNKNOWN_TYPE], 1);
	/* cad-2's event is ahead of cad-1's clock: it waits for the center (docs/detection.md). */
	assert_int_equal(engine_stats(f->engine)->open_calls, 2);
	assert_int_equal(engine_stats(f->engine)->buffered, 1);
	engine_flush(f->engine);
	assert_int_equal(engine_stats(f->engine)->open_calls, 3);
	assert_int_equal(engine_stats(f->engine)->buffered, 0);
}

static void test_redial_marks_hangup(void **state)
{
	struct fixture *f = *state;

	feed(f, shift[0]);
	feed(f, shift[1]); /* c1 from 5045550101 cut off at 08:00:05 */
	/* The same number rings again at 08:02 and is cut off again: a pocket dial, no mark. */
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"c8\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-2\",\"ani\":\"5045550101\"}");
	feed(f, "{\"type\":\"call_end\",\"call_id\":\"c8\",\"ts\":\"2026-11-29T08:02:04Z\","
		"\"released_by\":\"operator\"}");
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 0);
	/* At 08:04 a real call from it (90 s, an incident): now c8, the latest hangup of that
	 * number, is marked when the redial completes. */
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"c9\",\"ts\":\"2026-11-29T08:04:00Z\","
		"\"operator\":\"op-2\",\"ani\":\"5045550101\"}");
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 0);
	feed(f, "{\"type\":\"incident\",\"call_id\":\"c9\",\"ts\":\"2026-11-29T08:04:30Z\"}");
	feed(f, "{\"type\":\"call_end\",\"call_id\":\"c9\",\"ts\":\"2026-11-29T08:05:30Z\","
		"\"released_by\":\"caller\"}");
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 1);
}

/* A redial too short to be a real call (detector.callback_min_talk_seconds, default 20: the
 * caller's side dropped it after 6 s, no incident) marks nothing; one that talked 25 s does.
 * With the key at 0 (the behaviour before) the 6-s redial marks the hangup at once. */
static void test_short_redial_marks_nothing(void **state)
{
	static const char *const redials[] = {
		"{\"type\":\"call_start\",\"call_id\":\"c8\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-2\",\"ani\":\"5045550101\"}",
		"{\"type\":\"call_end\",\"call_id\":\"c8\",\"ts\":\"2026-11-29T08:02:06Z\","
		"\"released_by\":\"caller\"}",
		"{\"type\":\"call_start\",\"call_id\":\"c9\",\"ts\":\"2026-11-29T08:03:00Z\","
		"\"operator\":\"op-2\",\"ani\":\"5045550101\"}",
		"{\"type\":\"call_end\",\"call_id\":\"c9\",\"ts\":\"2026-11-29T08:03:25Z\","
		"\"released_by\":\"caller\"}",
	};
	struct fixture *f = *state;
	struct config config;

	feed(f, shift[0]);
	feed(f, shift[1]); /* c1 from 5045550101 cut off at 08:00:05 */
	feed(f, redials[0]);
	feed(f, redials[1]);
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 0);
	feed(f, redials[2]);
	feed(f, redials[3]);
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 1);

	engine_free(f->engine);
	config_set_defaults(&config);
	config.detector.callback_min_talk_seconds = 0;
	f->engine = engine_new(&config, collect_alert, f);
	assert_non_null(f->engine);
	feed(f, shift[0]);
	feed(f, shift[1]);
	feed(f, redials[0]);
	feed(f, redials[1]);
	assert_int_equal(engine_stats(f->engine)->detector.called_back, 1);
}

/* A line from source (a hello's name; NULL: none) that the engine takes. */
static void feed_from(struct engine *engine, const char *source, const char *fmt, ...)
{
	char line[256];
	struct engine_verdict verdict;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	engine_process(engine, source, line, strlen(line), &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
}

/* A call of call_id from ani to operator_id, sent by source (NULL: no name), started at
 * start_ms and ended end_ms by whom; an incident at start_ms + 10 s when real (not premature).
 * start_ms INT64_MIN: its end alone, end_ms INT64_MIN: its start alone. */
static void call_from(struct engine *engine, const char *source, const char *call_id,
		      const char *ani, const char *operator_id, int64_t start_ms, int64_t end_ms,
		      bool real)
{
	if (start_ms != INT64_MIN)
		feed_from(engine, source,
			  "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":%" PRId64
			  ",\"operator\":\"%s\",\"ani\":\"%s\"}",
			  call_id, start_ms, operator_id, ani);
	if (real && start_ms != INT64_MIN)
		feed_from(engine, source,
			  "{\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":%" PRId64 "}", call_id,
			  start_ms + 10000);
	if (end_ms != INT64_MIN)
		feed_from(engine, source,
			  "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%" PRId64
			  ",\"released_by\":\"%s\"}",
			  call_id, end_ms, real ? "caller" : "operator");
}

#define MINUTE_MS INT64_C(60000)
#define SHIFT_T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */

/* f's engine replaced by one remembering at most 100 recent callers (defaults otherwise). */
static void remember_100_callers(struct fixture *f)
{
	struct config config;

	engine_free(f->engine);
	config_set_defaults(&config);
	config.tracker.max_recent_callers = 100;
	f->engine = engine_new(&config, NULL, NULL); /* op-3's alerts are not the point */
	assert_non_null(f->engine);
}

/* count premature hangups to op-3 of numbers 5045552000 + number_from on, one every step_ms
 * from first_ms (ids "<prefix><n>"), each 3 s long, sent by source (NULL: no name). */
static void feed_hangups(struct engine *engine, const char *source, const char *prefix,
			 int number_from, int count, int64_t first_ms, int64_t step_ms)
{
	char call_id[32], ani[32];

	for (int i = 0; i < count; i++) {
		int64_t start_ms = first_ms + i * step_ms;
		snprintf(call_id, sizeof(call_id), "%s%d", prefix, i);
		snprintf(ani, sizeof(ani), "504555%04d", 2000 + number_from + i);
		call_from(engine, source, call_id, ani, "op-3", start_ms, start_ms + 3000, false);
	}
}

/* X (5045559999) cut off by op-1 at 08:00:03 rings again at 08:01, answered by op-2, the call
 * still open. */
static void x_cut_off_rings_again(struct engine *engine)
{
	call_from(engine, NULL, "x-hangup", "5045559999", "op-1", SHIFT_T0, SHIFT_T0 + 3000, false);
	call_from(engine, NULL, "x-redial", "5045559999", "op-2", SHIFT_T0 + MINUTE_MS, INT64_MIN,
		  true);
}

/* X's redial ends at end_ms and marks the hangup kept for it: premature hangups in all, one
 * called back, none evicted. */
static void expect_x_called_back(struct engine *engine, int64_t end_ms, uint64_t premature)
{
	call_from(engine, NULL, "x-redial", "5045559999", "op-2", INT64_MIN, end_ms, true);
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->detector.premature, premature);
	assert_int_equal(engine_stats(engine)->detector.called_back, 1);
	assert_int_equal(engine_stats(engine)->detector.callers_evicted, 0);
}

/* A redial is matched by its start once it completes: the hangup it redials is kept while the
 * redial is open, however long, even when the table of recent callers fills. Table of 100:
 * 60 hangups at 07:00-07:20, then X cut off at 08:00:03, X rings again at 08:01 (open until
 * 08:47), then 45 hangups at 08:02-08:46, one a minute; the 101st hangup (08:41) finds the
 * table full. A hangup can no longer be redialed once no call yet to come can start within its
 * 300 s window (20 minutes later: the 900 s lateness) and no open call started in it: the 60
 * from 07:00 go, and the oldest from 08:02, X's stays (its window holds the open redial's
 * start), and the redial marks it, nothing evicted. (Main forgot every hangup 300 s older than
 * the newest one there, X's too: called back 0.) */
static void test_open_redial_keeps_its_hangup(void **state)
{
	struct fixture *f = *state;

	remember_100_callers(f);
	struct engine *engine = f->engine;

	feed_hangups(engine, NULL, "a", 100, 60, SHIFT_T0 - 60 * MINUTE_MS, 20000);
	x_cut_off_rings_again(engine);
	feed_hangups(engine, NULL, "b", 200, 45, SHIFT_T0 + 2 * MINUTE_MS, MINUTE_MS);
	assert_int_equal(engine_stats(engine)->detector.called_back, 0);
	expect_x_called_back(engine, SHIFT_T0 + 47 * MINUTE_MS, 106);
}

/* An open call keeps the hangups whose window holds its start, and those only, through laps of
 * the stepped sweep: X cut off at 08:00:03 rings again at 08:01 and talks until 10:40, while
 * 600 hangups of other numbers come one every 15 s from 08:02 (table of 100: each stale 20
 * minutes later, when no call yet to come can start within its window). X's is kept and
 * marked, the others forgotten as they go stale, nothing evicted. (Without the open calls'
 * starts X's went stale at 08:20 like the others: called back 0.) */
static void test_long_redial_keeps_its_hangup(void **state)
{
	struct fixture *f = *state;

	remember_100_callers(f);
	struct engine *engine = f->engine;

	x_cut_off_rings_again(engine);
	feed_hangups(engine, NULL, "b", 0, 600, SHIFT_T0 + 2 * MINUTE_MS, 15000);
	expect_x_called_back(engine, SHIFT_T0 + 160 * MINUTE_MS, 601);
}

/* A source far behind the center (a backlog after an outage) is judged on its own, and its
 * redial still marks its hangup: cad-b has a real call at 07:58-07:59, cad-a completes one at
 * 10:00, then cad-b's backlog: X cut off at 08:00:03 rings again at 08:01. No call of cad-b
 * can start before its own clock less the lateness, so X's hangup is kept. (callers12's
 * floor, the center clock less the lateness, had forgotten it: called back 0.) */
static void test_late_source_redial_marks_hangup(void **state)
{
	struct config config;
	struct engine *engine;
	(void)state;

	config_set_defaults(&config);
	engine = engine_new(&config, NULL, NULL);
	assert_non_null(engine);
	engine_set_future_guard(engine, false); /* no host clock here: cad-a's jump is taken */
	call_from(engine, "cad-b", "b0", "5045550002", "op-b", SHIFT_T0 - 2 * MINUTE_MS,
		  SHIFT_T0 - MINUTE_MS, true);
	call_from(engine, "cad-a", "a1", "5045550001", "op-a", SHIFT_T0 + 120 * MINUTE_MS,
		  SHIFT_T0 + 121 * MINUTE_MS, true);
	call_from(engine, "cad-b", "b1", "5045559999", "op-b", SHIFT_T0, SHIFT_T0 + 3000, false);
	call_from(engine, "cad-b", "b2", "5045559999", "op-c", SHIFT_T0 + MINUTE_MS,
		  SHIFT_T0 + 3 * MINUTE_MS, true);
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->late_events, 5);
	assert_int_equal(engine_stats(engine)->detector.premature, 1);
	assert_int_equal(engine_stats(engine)->detector.called_back, 1);
	engine_free(engine);
}

/* Counts the alerts (*ctx) whose JSON names the repeat callers' limit. */
static void count_callers_limit_alert(const struct alert *alert, const char *json, size_t len,
				      void *ctx)
{
	(void)alert;
	(void)len;
	if (strstr(json, "max_recent_callers"))
		(*(int *)ctx)++;
}

/* One call whose call_end was lost (started at 08:00) keeps only the hangups whose window holds
 * its start: with max_recent_callers 100, 200 premature hangups of distinct numbers one a
 * minute from 08:01 (none redialed) leave the stale ones forgotten, nothing evicted, no limit
 * alert. (callers12's floor stopped at the open call's start: 102 evicted and a
 * "max_recent_callers" alert.) */
static void test_lost_end_keeps_one_window(void **state)
{
	struct config config;
	struct engine *engine;
	int limit_alerts = 0;
	(void)state;

	config_set_defaults(&config);
	config.tracker.max_recent_callers = 100;
	engine = engine_new(&config, count_callers_limit_alert, &limit_alerts);
	assert_non_null(engine);
	call_from(engine, "cad-a", "lost", "5045550000", "op-z", SHIFT_T0, INT64_MIN, false);
	/* numbers 5045551000 on, one a minute */
	feed_hangups(engine, "cad-a", "h", -1000, 200, SHIFT_T0 + MINUTE_MS, MINUTE_MS);
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->detector.premature, 200);
	assert_int_equal(engine_stats(engine)->detector.callers_evicted, 0);
	assert_int_equal(limit_alerts, 0);
	engine_free(engine);
}

/* A source silent for longer than tracker.max_call_seconds (a standby CAD) holds no hangup
 * back: past that, the other sources' clocks alone say which hangups are stale, and a full
 * table sweeps them instead of evicting (with max_call_seconds longer than the run, the silent
 * source's clock holds every hangup and the table evicts at each fill). */
static void silent_source_run(uint32_t max_call_seconds, uint64_t *evicted, int *limit_alerts)
{
	struct config config;
	struct engine *engine;

	config_set_defaults(&config);
	config.tracker.max_recent_callers = 100;
	config.tracker.max_call_seconds = max_call_seconds;
	*limit_alerts = 0;
	engine = engine_new(&config, count_callers_limit_alert, limit_alerts);
	assert_non_null(engine);
	call_from(engine, "cad-standby", "s0", "5045559999", "op-s", SHIFT_T0, SHIFT_T0 + 60000,
		  true);
	feed_hangups(engine, "cad-a", "h", -1000, 300, SHIFT_T0 + 2 * MINUTE_MS,
		     MINUTE_MS);
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->detector.premature, 300);
	*evicted = engine_stats(engine)->detector.callers_evicted;
	engine_free(engine);
}

static void test_silent_source_holds_hangups_no_longer_than_a_call(void **state)
{
	uint64_t evicted;
	int limit_alerts;
	(void)state;

	silent_source_run(3600, &evicted, &limit_alerts);
	assert_int_equal(evicted, 0);
	assert_int_equal(limit_alerts, 0);
	silent_source_run(86400, &evicted, &limit_alerts);
	assert_int_equal(evicted, 204);
	assert_int_equal(limit_alerts, 1);
}

/* The lines of test_restore_anywhere_same_state: 3.5 days of calls from two sources, a third
 * of them real, some redials, one in 97 with its end lost (the start ring wraps). */
#define RESTORE_LINES 12000
struct restore_lines {
	char *line[RESTORE_LINES];
	const char *source[RESTORE_LINES];
	size_t count;
};

static void restore_line(struct restore_lines *lines, const char *source, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(lines->count < RESTORE_LINES);
	lines->line[lines->count] = strdup(line);
	assert_non_null(lines->line[lines->count]);
	lines->source[lines->count++] = source;
}

static void make_restore_lines(struct restore_lines *lines)
{
	uint64_t r = 12345;

	for (int i = 0; i < 5000; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t x = (uint32_t)(r >> 33);
		const char *source = x % 7 == 0 ? "cad-b" : "cad-a";
		int64_t start_ms = SHIFT_T0 + i * MINUTE_MS + (x % 50) * 1000;
		bool premature = x % 3 != 0;
		int64_t end_ms = start_ms + (premature ? 3000 : 90000 + (x % 7) * 1000);
		restore_line(lines, source,
			     "{\"type\":\"call_start\",\"call_id\":\"c%d\",\"ts\":%" PRId64
			     ",\"operator\":\"op-%u\",\"ani\":\"50455%05u\"}",
			     i, start_ms, (x >> 16) % 20, (x >> 8) % 400);
		if (!premature)
			restore_line(lines, source,
				     "{\"type\":\"incident\",\"call_id\":\"c%d\",\"ts\":%" PRId64
				     "}",
				     i, start_ms + 10000);
		if (x % 97 == 5)
			continue; /* its end lost */
		restore_line(lines, source,
			     "{\"type\":\"call_end\",\"call_id\":\"c%d\",\"ts\":%" PRId64
			     ",\"released_by\":\"%s\"}",
			     i, end_ms, premature ? "operator" : "caller");
	}
}

static void feed_restore_lines(struct engine *engine, const struct restore_lines *lines,
			       size_t from, size_t to)
{
	struct engine_verdict verdict;

	for (size_t i = from; i < to; i++)
		engine_process(engine, lines->source[i], lines->line[i], strlen(lines->line[i]),
			       &verdict);
}

/* Lines from..to into engine, reconfigured to *reloaded (when not NULL) just before line
 * reload_at. */
static void feed_reloading(struct engine *engine, const struct restore_lines *lines, size_t from,
			   size_t to, size_t reload_at, const struct config *reloaded)
{
	if (!reloaded || reload_at < from || reload_at >= to) {
		feed_restore_lines(engine, lines, from, to);
		return;
	}
	feed_restore_lines(engine, lines, from, reload_at);
	assert_int_equal(engine_reconfigure(engine, reloaded), 0);
	feed_restore_lines(engine, lines, reload_at, to);
}

/* An engine restored from a snapshot taken anywhere in the lines (reconfigured to *reloaded
 * halfway, when not NULL) ends with the same snapshot bytes as the one fed them all: the repeat
 * callers' sweep forgets the same hangups, whatever the clocks and open calls were at the cut. */
static void restore_anywhere(const struct config *config, const struct config *reloaded)
{
	static struct restore_lines lines;
	struct codec_writer whole = {0};
	char why[128];

	make_restore_lines(&lines);
	size_t reload_at = lines.count / 2;
	struct engine *reference = engine_new(config, NULL, NULL);
	assert_non_null(reference);
	engine_set_future_guard(reference, false);
	feed_reloading(reference, &lines, 0, lines.count, reload_at, reloaded);
	assert_true(engine_stats(reference)->detector.called_back > 0);
	engine_snapshot(reference, &whole);
	engine_free(reference);
	for (size_t cut = 1; cut < lines.count; cut += lines.count / 37) {
		struct codec_writer at_cut = {0}, after_cut = {0};
		struct engine *before = engine_new(config, NULL, NULL);
		assert_non_null(before);
		engine_set_future_guard(before, false);
		feed_reloading(before, &lines, 0, cut, reload_at, reloaded);
		engine_snapshot(before, &at_cut);
		engine_free(before);
		struct engine *after =
			engine_restore(at_cut.data, at_cut.len, NULL, NULL, NULL, why, sizeof(why));
		assert_non_null(after);
		engine_set_future_guard(after, false);
		feed_reloading(after, &lines, cut, lines.count, reload_at, reloaded);
		engine_snapshot(after, &after_cut);
		engine_free(after);
		assert_int_equal(after_cut.len, whole.len);
		assert_memory_equal(after_cut.data, whole.data, whole.len);
		codec_writer_release(&at_cut);
		codec_writer_release(&after_cut);
	}
	codec_writer_release(&whole);
	for (size_t i = 0; i < lines.count; i++)
		free(lines.line[i]);
	lines.count = 0;
}

/* A table of 100 repeat callers, open calls of at most 600 s, 100 of them. */
static void restore_anywhere_config(struct config *config)
{
	config_set_defaults(config);
	config->tracker.max_recent_callers = 100;
	config->tracker.max_call_seconds = 600;
	config->tracker.max_open_calls = 100;
}

static void test_restore_anywhere_same_state(void **state)
{
	struct config config;
	(void)state;

	restore_anywhere_config(&config);
	restore_anywhere(&config, NULL);
}

/* The same with a reload halfway that shrinks the table (200 to 100), shortens the lateness
 * and lengthens the window (rev12c's probe). */
static void test_restore_anywhere_across_a_reload_same_state(void **state)
{
	struct config config, reloaded;
	(void)state;

	restore_anywhere_config(&config);
	config.tracker.max_recent_callers = 200;
	reloaded = config;
	reloaded.tracker.max_recent_callers = 100; /* the least the parser takes */
	reloaded.tracker.allowed_lateness_seconds = 300;
	reloaded.detector.repeat_window_seconds = 600;
	restore_anywhere(&config, &reloaded);
}

#define ACK_TS INT64_C(1795939475250) /* 2026-11-29T08:04:35.250Z, the daemon's clock */

struct board_text {
	char text[4096];
	size_t len;
};

static void append_board_line(const char *line, size_t len, void *ctx)
{
	struct board_text *board = ctx;

	assert_true(board->len + len + 1 < sizeof(board->text));
	memcpy(board->text + board->len, line, len);
	board->len += len;
	board->text[board->len++] = '\n';
	board->text[board->len] = '\0';
}

static int control(struct fixture *f, const char *line, int64_t ts_ms, char *why)
{
	return engine_control(f->engine, line, strlen(line), ts_ms, why, 128);
}

/* An ack is applied once, a second one is a repeat; the board shows the alert's whole state. */
static void test_ack_and_board(void **state)
{
	struct fixture *f = *state;
	struct board_text board = {0};
	char why[128];

	for (size_t i = 0; i < sizeof(shift) / sizeof(shift[0]); i++)
		feed(f, shift[i]);
	assert_int_equal(
		control(f,
			"{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-1\",\"note\":\"calling back\"}",
			ACK_TS, why),
		0);
	assert_int_equal(
		control(f, "{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-2\"}", ACK_TS + 1000, why),
		0);
	assert_int_equal(f->alert_count, 3);
	assert_string_equal(
		f->alerts[1],
		"{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:04:35.250Z\",\"type\":\"operator\",\"agency\":\"NOPD\","
		"\"operator\":\"op-7\",\"by\":\"sup-1\",\"note\":\"calling back\"}");
	assert_string_equal(
		f->alerts[2],
		"{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,"
		"\"ts\":\"2026-11-29T08:04:36.250Z\",\"type\":\"operator\",\"agency\":\"NOPD\","
		"\"operator\":\"op-7\",\"by\":\"sup-2\",\"note\":\"\",\"repeat\":true,"
		"\"first_by\":\"sup-1\",\"first_ts\":\"2026-11-29T08:04:35.250Z\"}");
	assert_int_equal(engine_board(f->engine, append_board_line, &board), 3);
	assert_string_equal(
		board.text,
		"{\"board\":\"begin\",\"seq\":3,\"open\":1}\n"
		"{\"alert\":\"open\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,"
		"\"ts\":\"2026-11-29T08:04:36.250Z\",\"type\":\"operator\","
		"\"opened_ts\":\"2026-11-29T08:04:30.000Z\",\"agency\":\"NOPD\",\"operator\":\"op-"
		"7\","
		"\"position\":\"P3\",\"rule\":\"burst\",\"severity\":\"critical\",\"window_"
		"seconds\":600,"
		"\"calls\":4,\"premature\":3,\"called_back\":0,\"ratio\":0.75,\"center_ratio\":0,"
		"\"p_value\":4.81e-04,\"callbacks\":["
		"{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:20.000Z\","
		"\"talk_seconds\":10,"
		"\"called_back\":false},"
		"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,"
		"\"called_back\":false},"
		"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\","
		"\"talk_seconds\":5,"
		"\"called_back\":false}],"
		"\"acknowledged\":{\"by\":\"sup-1\",\"note\":\"calling "
		"back\",\"ts\":\"2026-11-29T08:04:35.250Z\"}}\n"
		"{\"board\":\"end\",\"seq\":3,\"open\":1}\n");
	assert_int_equal(f->alert_count, 3); /* the board changed nothing */
	assert_int_equal(engine_stats(f->engine)->controls, 2);
}

/* Bad control lines: a clear reason, counted, nothing applied. */
static void test_bad_control_lines(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-1\"}",
		  "no open alert 6033274aee8baf5c" },
		{ "{\"ack\":\"6033274AEE8BAF5C\",\"by\":\"sup-1\"}",
		  "\"ack\" must be an alert_id: 16 lowercase hex digits" },
		{ "{\"ack\":42,\"by\":\"sup-1\"}",
		  "\"ack\" must be an alert_id: 16 lowercase hex digits" },
		{ "{\"ack\":\"6033274aee8baf5c\"}",
		  "\"by\" must be a string of 1 to 64 bytes, no control characters" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"\"}",
		  "\"by\" must be a string of 1 to 64 bytes, no control characters" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\",\"note\":[]}",
		  "\"note\" must be a string of at most 256 bytes, no control characters" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\",\"note\":\"a\\u0002b\"}",
		  "\"note\" must be a string of at most 256 bytes, no control characters" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\\tup\"}",
		  "\"by\" must be a string of 1 to 64 bytes, no control characters" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\xff\"}", "not a JSON object" },
		/* UTF-8 by the feed lines' rule (json_scan_utf8_valid), stricter than json-c's: an
		 * overlong space, an overlong "/", a surrogate, past U+10FFFF */
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\xc0\xa0\"}", "not a JSON object" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\",\"note\":\"\xe0\x80\xaf\"}",
		  "not a JSON object" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\xed\xa0\x80\"}", "not a JSON object" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\xf4\x90\x80\x80\"}",
		  "not a JSON object" },
		{ "{\"ack\":\"6033274aee8baf5c\",\"by\":\"s\"} trailing", "not a JSON object" },
		{ "[1]", "not a JSON object" },
		{ "{\"hello\":1}",
		  "no \"ack\" key: a console sends {\"ack\":ALERT_ID,\"by\":NAME,\"note\":TEXT}" },
	};
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(control(f, bad[i].line, ACK_TS, why), 0);
		assert_string_equal(why, bad[i].why);
	}
	assert_int_equal(f->alert_count, 0);
	assert_int_equal(engine_stats(f->engine)->controls_rejected, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(engine_stats(f->engine)->controls, 0);
}

/* The daemon's system lines raise and resolve system alerts through the same seq. */
static void test_feed_silent_system_alert(void **state)
{
	struct fixture *f = *state;
	struct control silent = {
		.kind = CONTROL_FEED_SILENT, .firing = true, .source = "cad-1", .seconds = 300
	};
	char line[CONTROL_LINE_MAX + 1], why[128];

	assert_int_not_equal(control_format(&silent, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":"
				  "\"cad-1\",\"seconds\":300}");
	assert_int_equal(control(f, line, ACK_TS, why), 0);
	assert_int_equal(control(f, line, ACK_TS + 1000, why), 0); /* open already: no notice */
	silent.firing = false;
	control_format(&silent, line, sizeof(line));
	assert_int_equal(control(f, line, ACK_TS + 5000, why), 0);
	assert_int_equal(f->alert_count, 2);
	/* alert_id: derived from the system, the source and when it fired. */
	char alert_id[ALERT_ID_LENGTH + 1];
	alert_derive_id("", "cad-1", "feed_silent", ACK_TS, "", alert_id);
	assert_string_equal(alert_id, "a51ed95ed1c92263");
	assert_string_equal(f->alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"a51ed95ed1c92263\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:04:35.250Z\",\"type\":\"system\",\"system\":"
			    "\"feed_silent\","
			    "\"severity\":\"warning\",\"source\":\"cad-1\","
			    "\"message\":\"feed source cad-1 has sent nothing for 300 s\"}");
	assert_string_equal(f->alerts[1],
			    "{\"alert\":\"resolved\",\"alert_id\":\"a51ed95ed1c92263\",\"seq\":2,"
			    "\"ts\":\"2026-11-29T08:04:40.250Z\",\"type\":\"system\",\"system\":"
			    "\"feed_silent\","
			    "\"severity\":\"warning\",\"source\":\"cad-1\","
			    "\"message\":\"feed source cad-1 is sending again\"}");
	/* No longer watched (a reload made the watch smaller): resolved, saying why. */
	silent.firing = true;
	control_format(&silent, line, sizeof(line));
	assert_int_equal(control(f, line, ACK_TS + 6000, why), 0);
	silent.firing = false;
	snprintf(silent.reason, sizeof(silent.reason), "feed.max_sources 1 reached");
	assert_int_not_equal(control_format(&silent, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"system\":\"feed_silent\",\"state\":\"resolved\",\"source\":"
				  "\"cad-1\",\"seconds\":300,"
				  "\"reason\":\"feed.max_sources 1 reached\"}");
	assert_int_equal(control(f, line, ACK_TS + 7000, why), 0);
	assert_int_equal(f->alert_count, 4);
	assert_non_null(strstr(f->alerts[3], "\"message\":\"feed source cad-1 is no longer "
					     "watched for silence: feed.max_sources 1 "
					     "reached\"}"));
}

/* A receiver that keeps failing: receiver_down, keyed and named by the receiver. */
static void test_receiver_down_system_alert(void **state)
{
	struct fixture *f = *state;
	struct control down = {.kind = CONTROL_RECEIVER_DOWN, .firing = true, .receiver = "pager",
			       .reason = "HTTP 500"};
	struct control parsed;
	char line[CONTROL_LINE_MAX + 1], why[128];

	assert_int_not_equal(control_format(&down, line, sizeof(line)), 0);
	assert_string_equal(
		line, "{\"system\":\"receiver_down\",\"state\":\"firing\",\"receiver\":\"pager\","
		      "\"reason\":\"HTTP 500\"}");
	assert_int_equal(control_parse(line, strlen(line), &parsed, why, sizeof(why)), 0);
	assert_int_equal(parsed.kind, CONTROL_RECEIVER_DOWN);
	assert_string_equal(parsed.receiver, "pager");
	assert_string_equal(parsed.reason, "HTTP 500");
	assert_int_equal(control(f, line, ACK_TS, why), 0);
	down.firing = false;
	down.reason[0] = '\0';
	control_format(&down, line, sizeof(line));
	assert_int_equal(control(f, line, ACK_TS + 5000, why), 0);
	assert_int_equal(f->alert_count, 2);
	char alert_id[ALERT_ID_LENGTH + 1];
	alert_derive_id("", "pager", "receiver_down", ACK_TS, "", alert_id);
	char expected[512];
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":1,"
		 "\"ts\":\"2026-11-29T08:04:35.250Z\",\"type\":\"system\",\"system\":\"receiver_"
		 "down\","
		 "\"severity\":\"warning\",\"receiver\":\"pager\","
		 "\"message\":\"receiver pager cannot deliver notices (HTTP 500); they are queued "
		 "and retried\"}",
		 alert_id);
	assert_string_equal(f->alerts[0], expected);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"resolved\",\"alert_id\":\"%s\",\"seq\":2,"
		 "\"ts\":\"2026-11-29T08:04:40.250Z\",\"type\":\"system\",\"system\":\"receiver_"
		 "down\","
		 "\"severity\":\"warning\",\"receiver\":\"pager\","
		 "\"message\":\"receiver pager delivers again\"}",
		 alert_id);
	assert_string_equal(f->alerts[1], expected);
	const char *bad = "{\"system\":\"receiver_down\",\"state\":\"firing\",\"receiver\":\"\"}";
	assert_int_equal(control_parse(bad, strlen(bad), &parsed, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"receiver\" must be a string of 1 to 31 bytes");
}

/* A recovery without some history: its control line, read back; only ever "firing" (the
 * engine resolves it itself: tests/test_snapshot.c). */
static void test_state_incomplete_control_line(void **state)
{
	struct control incomplete = { .kind = CONTROL_STATE_INCOMPLETE, .firing = true,
				      .reason = "12 journal records missing" };
	struct control parsed;
	char line[CONTROL_LINE_MAX + 1], why[128];
	static const char resolved[] = "{\"system\":\"state_incomplete\",\"state\":\"resolved\"}";
	(void)state;

	assert_int_not_equal(control_format(&incomplete, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"system\":\"state_incomplete\",\"state\":\"firing\","
				  "\"reason\":\"12 journal records missing\"}");
	assert_int_equal(control_parse(line, strlen(line), &parsed, why, sizeof(why)), 0);
	assert_int_equal(parsed.kind, CONTROL_STATE_INCOMPLETE);
	assert_true(parsed.firing);
	assert_string_equal(parsed.reason, "12 journal records missing");
	assert_int_equal(control_parse(resolved, strlen(resolved), &parsed, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "a state_incomplete line is only \"firing\"");
}

/* An HTTP acknowledgement's body: by and note from the body, the alert from the path, the
 * checks of a console's ack line. */
static void test_ack_body(void **state)
{
	static const char good[] =
		"{\"by\":\"sup-1\",\"note\":\"on it\",\"ack\":\"ffffffffffffffff\",\"x\":1}";
	struct control parsed;
	char why[128];
	(void)state;

	assert_int_equal(control_parse_ack_body(good, strlen(good), "0123456789abcdef", &parsed,
						why, sizeof(why)),
			 0);
	assert_int_equal(parsed.kind, CONTROL_ACK);
	assert_string_equal(parsed.alert_id, "0123456789abcdef");
	assert_string_equal(parsed.by, "sup-1");
	assert_string_equal(parsed.note, "on it");
	assert_int_equal(
		control_parse_ack_body("", 0, "0123456789abcdef", &parsed, why, sizeof(why)),
		-EINVAL);
	assert_string_equal(why, "the body must be one JSON object {\"by\":NAME,\"note\":TEXT}");
	static const char overlong[] =
		"{\"by\":\"sup-1\",\"note\":\"\xc1\xbf\"}"; /* "?" in 2 bytes */
	assert_int_equal(control_parse_ack_body(overlong, strlen(overlong), "0123456789abcdef",
						&parsed, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "the body must be one JSON object {\"by\":NAME,\"note\":TEXT}");
	assert_int_equal(
		control_parse_ack_body("{}", 2, "0123456789abcdef", &parsed, why, sizeof(why)),
		-EINVAL);
	assert_string_equal(why, "\"by\" must be a string of 1 to 64 bytes, no control characters");
	assert_int_equal(control_parse_ack_body("{\"by\":\"a\"}", 10, "0123456789ABCDEF", &parsed,
						why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "\"ack\" must be an alert_id: 16 lowercase hex digits");
}

/* Connections refused at a connection limit (the daemon's guard): a "limit" alert keyed by the
 * configuration key, counting the refusals; the control line round-trips. */
static void test_connection_limit_system_alert(void **state)
{
	struct fixture *f = *state;
	struct control refused = { .kind = CONTROL_CONNECTION_LIMIT,
				   .firing = true,
				   .key = "feed.max_pending_connections",
				   .refused = 3,
				   .seconds = 10 };
	struct control parsed;
	char line[CONTROL_LINE_MAX + 1], why[128], alert_id[ALERT_ID_LENGTH + 1], expected[512];

	assert_int_not_equal(control_format(&refused, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"system\":\"limit\",\"state\":\"firing\",\"key\":\"feed.max_"
				  "pending_connections\","
				  "\"refused\":3,\"seconds\":10}");
	assert_int_equal(control_parse(line, strlen(line), &parsed, why, sizeof(why)), 0);
	assert_int_equal(parsed.kind, CONTROL_CONNECTION_LIMIT);
	assert_string_equal(parsed.key, "feed.max_pending_connections");
	assert_int_equal(parsed.refused, 3);
	assert_int_equal(parsed.seconds, 10);
	assert_int_equal(control(f, line, ACK_TS, why), 0);
	refused.firing = false;
	refused.refused = 5;
	control_format(&refused, line, sizeof(line));
	assert_int_equal(control(f, line, ACK_TS + 5000, why), 0);
	assert_int_equal(f->alert_count, 2);
	alert_derive_id("", "feed.max_pending_connections", "limit", ACK_TS, "", alert_id);
	snprintf(
		expected, sizeof(expected),
		"{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:04:35.250Z\",\"type\":\"system\",\"system\":\"limit\","
		"\"severity\":\"warning\",\"limit\":\"feed.max_pending_connections\",\"evicted\":3,"
		"\"message\":\"connections refused (feed.max_pending_connections reached): 3 so "
		"far; someone holds "
		"the slots, or raise feed.max_pending_connections\"}",
		alert_id);
	assert_string_equal(f->alerts[0], expected);
	snprintf(
		expected, sizeof(expected),
		"{\"alert\":\"resolved\",\"alert_id\":\"%s\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:04:40.250Z\",\"type\":\"system\",\"system\":\"limit\","
		"\"severity\":\"warning\",\"limit\":\"feed.max_pending_connections\",\"evicted\":5,"
		"\"message\":\"no connection refused (feed.max_pending_connections) for 10 s; 5 in "
		"all\"}",
		alert_id);
	assert_string_equal(f->alerts[1], expected);
	const char *bad =
		"{\"system\":\"limit\",\"state\":\"firing\",\"key\":\"x\",\"refused\":-1}";
	assert_int_equal(control_parse(bad, strlen(bad), &parsed, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"refused\" and \"seconds\" must be integers from 0");
	bad = "{\"system\":\"limit\",\"state\":\"firing\"}";
	assert_int_equal(control_parse(bad, strlen(bad), &parsed, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "\"key\" must be a string of 1 to 63 bytes");
}

/* A limit alert whose part the daemon no longer runs (a receiver taken out): resolved by a
 * line with a reason, which round-trips and says why in the message. */
static void test_unwatched_limit_resolved_with_reason(void **state)
{
	struct fixture *f = *state;
	struct control about = { .kind = CONTROL_CONNECTION_LIMIT,
				 .firing = true,
				 .key = "receivers[hook].max_queue",
				 .receiver = "hook",
				 .refused = 2 };
	struct control parsed;
	char line[CONTROL_LINE_MAX + 1], why[128];

	control_format(&about, line, sizeof(line));
	assert_int_equal(control(f, line, ACK_TS, why), 0);
	about = (struct control){ .kind = CONTROL_CONNECTION_LIMIT,
				  .key = "receivers[hook].max_queue",
				  .reason = "that receiver is no longer configured" };
	assert_int_not_equal(control_format(&about, line, sizeof(line)), 0);
	assert_string_equal(line, "{\"system\":\"limit\",\"state\":\"resolved\",\"key\":"
				  "\"receivers[hook].max_queue\",\"refused\":0,\"seconds\":0,"
				  "\"reason\":\"that receiver is no longer configured\"}");
	assert_int_equal(control_parse(line, strlen(line), &parsed, why, sizeof(why)), 0);
	assert_string_equal(parsed.reason, "that receiver is no longer configured");
	assert_int_equal(control(f, line, ACK_TS + 1000, why), 0);
	assert_int_equal(f->alert_count, 2);
	assert_non_null(strstr(f->alerts[1],
			       "\"alert\":\"resolved\","));
	assert_non_null(strstr(f->alerts[1],
			       "\"message\":\"receivers[hook].max_queue no longer watched: that "
			       "receiver is no longer configured\"}"));
	assert_false(engine_system_alert_open(f->engine, "limit", "receivers[hook].max_queue"));
}

/* A table that starts evicting raises a "limit" system alert naming the key to raise. */
static void test_eviction_raises_limit_alert(void **state)
{
	struct fixture *f = *state;

	restart_with_one_operator(f, 0.0); /* one baseline: the center's */
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"a\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"op-1\"}");
	feed(f, "{\"type\":\"call_end\",\"call_id\":\"a\",\"ts\":\"2026-11-29T08:01:00Z\","
		"\"released_by\":\"caller\"}");
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"b\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-2\"}");
	assert_int_equal(f->alert_count, 0);
	feed(f, "{\"type\":\"call_end\",\"call_id\":\"b\",\"ts\":\"2026-11-29T08:03:00Z\","
		"\"released_by\":\"caller\"}");
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(
		f->alerts[0],
		"{\"alert\":\"firing\",\"alert_id\":\"dd23538329d4ffca\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:03:00.000Z\",\"type\":\"system\",\"system\":\"limit\","
		"\"severity\":\"warning\",\"limit\":\"tracker.max_operators\",\"evicted\":1,"
		"\"message\":\"call-takers or agencies' baselines forgotten "
		"(tracker.max_operators 1 reached): 1 so far; raise tracker.max_operators\"}");
	/* More evictions keep it open (the board shows the count); an hour without any resolves
	 * it. */
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":\"2026-11-29T08:04:00Z\","
		"\"operator\":\"op-1\"}");
	feed(f, "{\"type\":\"call_end\",\"call_id\":\"c\",\"ts\":\"2026-11-29T08:05:00Z\","
		"\"released_by\":\"caller\"}");
	assert_int_equal(f->alert_count, 1);
	feed(f, "{\"type\":\"call_start\",\"call_id\":\"d\",\"ts\":\"2026-11-29T09:05:00Z\","
		"\"operator\":\"op-1\"}");
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(
		f->alerts[1],
		"{\"alert\":\"resolved\",\"alert_id\":\"dd23538329d4ffca\",\"seq\":2,"
		"\"ts\":\"2026-11-29T09:05:00.000Z\",\"type\":\"system\",\"system\":\"limit\","
		"\"severity\":\"warning\",\"limit\":\"tracker.max_operators\",\"evicted\":2,"
		"\"message\":\"no more call-takers or agencies' baselines forgotten for 3600 s; "
		"2 in all\"}");
}

/* Feed a call_start (of operator_id) or call_end of call_id at 2026-11-29T<hhmm>:00Z. */
static void feed_call(struct fixture *f, const char *type, const char *call_id, const char *hhmm,
		      const char *operator_id)
{
	char line[256];

	if (strcmp(type, "call_start") == 0)
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":\"2026-11-29T%s:00Z\","
			 "\"operator\":\"%s\"}",
			 call_id, hhmm, operator_id);
	else
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":\"2026-11-29T%s:00Z\","
			 "\"released_by\":\"caller\"}",
			 call_id, hhmm);
	assert_int_equal(feed(f, line), EVENT_OK);
}

/* Alert i (seq i + 1) is the limit alert of key raised at raised_ms, in state ("firing",
 * "resolved") at 2026-11-29T<hhmm>:00Z, with evicted and message. */
static void expect_limit_alert(const struct fixture *f, size_t i, const char *state,
			       int64_t raised_ms, const char *hhmm, const char *key,
			       uint64_t evicted, const char *message)
{
	char alert_id[ALERT_ID_LENGTH + 1], expected[1024];

	assert_true(i < f->alert_count);
	alert_derive_id("", key, "limit", raised_ms, "", alert_id);
	snprintf(expected, sizeof(expected),
		 "{\"alert\":\"%s\",\"alert_id\":\"%s\",\"seq\":%zu,"
		 "\"ts\":\"2026-11-29T%s:00.000Z\",\"type\":\"system\",\"system\":\"limit\","
		 "\"severity\":\"warning\",\"limit\":\"%s\",\"evicted\":%" PRIu64
		 ",\"message\":\"%s\"}",
		 state, alert_id, i + 1, hhmm, key, evicted, message);
	assert_string_equal(f->alerts[i], expected);
}

#define AT_0801_MS INT64_C(1795939260000) /* 2026-11-29T08:01:00Z */

/* The agencies' baselines share tracker.max_operators: with the source cap on a call-taker's
 * agency keeps two (the source's own and the shared one), so one call-taker in a table of one
 * forgets baselines, not call-takers: the limit alert of tracker.max_operators opens (it was
 * a metric only), and resolves after an hour without another. */
static void test_baseline_eviction_raises_limit_alert(void **state)
{
	struct fixture *f = *state;

	restart_with_one_operator(f, 2.5);
	feed_call(f, "call_start", "a", "08:00", "op-1");
	feed_call(f, "call_end", "a", "08:01", "op-1");
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->detector.baselines_evicted, 1);
	assert_int_equal(stats->detector.operators_evicted + stats->detector.operators_refused, 0);
	assert_int_equal(f->alert_count, 1);
	expect_limit_alert(f, 0, "firing", AT_0801_MS, "08:01", "tracker.max_operators", 1,
			   "call-takers or agencies' baselines forgotten (tracker.max_operators 1 "
			   "reached): 1 so far; raise tracker.max_operators");
	feed_call(f, "call_start", "b", "09:01", "op-1");
	assert_int_equal(f->alert_count, 2);
	expect_limit_alert(f, 1, "resolved", AT_0801_MS, "09:01", "tracker.max_operators", 1,
			   "no more call-takers or agencies' baselines forgotten for 3600 s; 1 in "
			   "all");
}

/* An open call that heard nothing for tracker.max_call_seconds is expired without its end
 * (its hangup can no longer count): a limit alert of tracker.max_call_seconds opens (it was
 * STATUS= only), telling that the end was probably lost rather than to raise it blindly, and
 * resolves after an hour of event time without another expiry. An end
 * heard of alone (its call_start refused or never sent) expires too, counted in expired, but
 * is not such a call: not in the alert. */
static void test_expired_calls_raise_limit_alert(void **state)
{
	struct fixture *f = *state;
	struct config config;

	config_set_defaults(&config);
	config.tracker.max_call_seconds = 60;
	config.tracker.max_open_calls = 2; /* a full table sweeps at once */
	engine_free(f->engine);
	f->engine = engine_new(&config, collect_alert, f);
	assert_non_null(f->engine);
	feed_call(f, "call_start", "a", "08:00", "op-1");
	feed_call(f, "call_end", "z", "08:00", NULL); /* no call_start: an end alone */
	assert_int_equal(f->alert_count, 0);
	feed_call(f, "call_start", "b", "08:02", "op-2"); /* a and z: 120 s, expired */
	const struct engine_stats *stats = engine_stats(f->engine);
	assert_int_equal(stats->tracker.expired, 2);
	assert_int_equal(stats->tracker.expired_started, 1);
	assert_int_equal(stats->tracker.evicted, 0);
	assert_int_equal(stats->open_calls, 1);
	assert_int_equal(f->alert_count, 1);
	expect_limit_alert(f, 0, "firing", AT_0801_MS + 60000, "08:02",
			   "tracker.max_call_seconds", 1,
			   "open calls expired without their end (tracker.max_call_seconds 60 "
			   "reached): 1 so far; their call_end was probably lost: check the CAD "
			   "feeds; raise tracker.max_call_seconds only if calls really last that "
			   "long");
	feed_call(f, "call_end", "b", "08:03", "op-2");
	feed_call(f, "call_start", "c", "09:01", "op-2");
	assert_int_equal(f->alert_count, 1);
	feed_call(f, "call_start", "d", "09:02", "op-2");
	assert_int_equal(f->alert_count, 2);
	expect_limit_alert(f, 1, "resolved", AT_0801_MS + 60000, "09:02",
			   "tracker.max_call_seconds", 1,
			   "no more open calls expired without their end for 3600 s; 1 in all");
}

/* engine_parse hashes a call_start's agency, operator and ani (its call keeps them for the
 * detector); no other event's. */
static void test_parse_hashes_call_start(void **state)
{
	static const char start[] =
		"{\"type\":\"call_start\",\"call_id\":\"C1\","
		"\"ts\":\"2026-11-29T06:00:00.000Z\",\"operator\":\"op-7\","
		"\"agency\":\"NOPD\",\"position\":\"P7\",\"ani\":\"5045550101\"}";
	static const char end[] = "{\"type\":\"call_end\",\"call_id\":\"C1\","
				  "\"ts\":\"2026-11-29T06:01:00.000Z\",\"released_by\":\"caller\"}";
	struct event_parser *parser = event_parser_new();
	struct engine_parsed *parsed = malloc(sizeof(*parsed));
	(void)state;

	assert_non_null(parser);
	assert_non_null(parsed);
	engine_parse(parser, start, strlen(start), parsed);
	assert_int_equal(parsed->reject, EVENT_OK);
	assert_true(parsed->event.start_hashed);
	assert_true(parsed->event.agency_hash == hash_string("NOPD"));
	assert_true(parsed->event.operator_hash == hash_string_pair("NOPD", "op-7"));
	assert_true(parsed->operator_hash == hash_string_pair("NOPD", "op-7"));
	assert_true(parsed->event.ani_hash == hash_string("5045550101"));
	engine_parse(parser, end, strlen(end), parsed);
	assert_int_equal(parsed->reject, EVENT_OK);
	assert_false(parsed->event.start_hashed);
	free(parsed);
	event_parser_free(parser);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scripted_shift_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines_between_good_ones, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_blank_lines_ignored_and_external_rejects_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embedded_nul_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resent_event_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_offered_opens_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offered_agencies_make_no_baseline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_event_id_identifies_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_late_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_seq_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redial_marks_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_redial_marks_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_redial_keeps_its_hangup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_redial_keeps_its_hangup, setup, teardown),
		cmocka_unit_test(test_late_source_redial_marks_hangup),
		cmocka_unit_test(test_lost_end_keeps_one_window),
		cmocka_unit_test(test_silent_source_holds_hangups_no_longer_than_a_call),
		cmocka_unit_test(test_restore_anywhere_same_state),
		cmocka_unit_test(test_restore_anywhere_across_a_reload_same_state),
		cmocka_unit_test_setup_teardown(test_ack_and_board, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_control_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_silent_system_alert, setup, teardown),
		cmocka_unit_test(test_state_incomplete_control_line),
		cmocka_unit_test_setup_teardown(test_receiver_down_system_alert, setup, teardown),
		cmocka_unit_test(test_ack_body),
		cmocka_unit_test(test_parse_hashes_call_start),
		cmocka_unit_test_setup_teardown(test_unwatched_limit_resolved_with_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit_system_alert, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eviction_raises_limit_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_baseline_eviction_raises_limit_alert, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expired_calls_raise_limit_alert, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
