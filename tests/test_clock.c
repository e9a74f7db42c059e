/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* Event time per source (docs/detection.md, "Time"): the guard against the future, a feed
 * behind another, a backlog resent, seq jumps and restarted senders, no false "resolved",
 * and alerts that depend only on each source's own order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clocks.h"
#include "codec.h"
#include "engine.h"
#include "sim.h"

#define MAX_ALERTS 64
#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define MINUTE INT64_C(60000)
#define YEAR (INT64_C(365) * 24 * 60 * MINUTE)

struct fixture {
	struct config config;
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

	memset(&f, 0, sizeof(f));
	config_set_defaults(&f.config);
	f.config.detector.rule_count = 1;
	f.config.detector.rules[0] = (struct config_rule){ .name = "burst",
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
	f.config.detector.resolve_after_seconds = 60;
	f.engine = engine_new(&f.config, collect_alert, &f);
	*state = &f;
	return f.engine ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	engine_free(f->engine);
	return 0;
}

/* op-7's four calls (tests/test_engine.c): three short operator hangups, one real call. */
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
#define SHIFT_LINES (sizeof(shift) / sizeof(shift[0]))
/* Each shift line's ts, for host receive times. */
static const int64_t shift_ts[SHIFT_LINES] = {T0, T0 + 5000, T0 + 60000, T0 + 72500, T0 + 120000,
					      T0 + 160000, T0 + 240000, T0 + 270000, T0 + 260000};

#define ALERT_HEAD ALERT_HEAD_SEQ("1")
#define ALERT_HEAD_SEQ(seq)                                                                        \
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":" seq                     \
	",\"ts\":\"2026-11-29T08:04:30.000Z\","                                                    \
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","     \
	"\"rule\":\"burst\","                                                                      \
	"\"severity\":\"critical\",\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_"   \
	"back\":0,"                                                                                \
	"\"ratio\":0.75,\"center_ratio\":0,\"p_value\":4.81e-04,"
#define ALERT_CALLBACKS                                                                            \
	"\"callbacks\":["                                                                          \
	"{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:20.000Z\",\"talk_"   \
	"seconds\":10,"                                                                            \
	"\"called_back\":false},"                                                                  \
	"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,\"called_"  \
	"back\":false},"                                                                           \
	"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"   \
	"seconds\":5,"                                                                             \
	"\"called_back\":false}]}"

/* The shift's alert, in order, and the same alert decided in the time of a source that lagged. */
static const char expected_alert[] = ALERT_HEAD ALERT_CALLBACKS;

static void send_from(struct fixture *f, const char *source, int64_t received_ms, const char *line,
		      struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = source, .named = true, .received_ms = received_ms};

	engine_process_from(f->engine, &origin, line, strlen(line), verdict);
}

/* An accepted line. */
static void send_ok(struct fixture *f, const char *source, int64_t received_ms, const char *line)
{
	struct engine_verdict verdict;

	send_from(f, source, received_ms, line, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.duplicate);
}

/* source's hello or heartbeat (an empty line) at host time now_ms. */
static void heartbeat(struct fixture *f, const char *source, int64_t now_ms)
{
	struct engine_verdict verdict;

	send_from(f, source, now_ms, "", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.counted_line);
}

/* A line of the connection key (no hello) at host time received_ms; closed: its close. */
static void send_unnamed(struct fixture *f, const char *key, int64_t received_ms,
			 const char *line, bool closed, struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = key, .named = false, .closed = closed,
				       .received_ms = received_ms};

	engine_process_from(f->engine, &origin, line, strlen(line), verdict);
}

/* An incident line of call_id at ts_ms, with seq when seq > 0. */
static const char *incident(const char *call_id, int64_t ts_ms, uint64_t seq)
{
	static char line[256];

	if (seq > 0)
		snprintf(line, sizeof(line),
			 "{\"seq\":%llu,\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":%lld}",
			 (unsigned long long)seq, call_id, (long long)ts_ms);
	else
		snprintf(line, sizeof(line),
			 "{\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":%lld}", call_id,
			 (long long)ts_ms);
	return line;
}

static const struct clocks_source *source_named(struct fixture *f, const char *name,
						struct engine_source_info *info)
{
	for (size_t i = 0; i < engine_source_count(f->engine); i++) {
		engine_source_at(f->engine, i, info);
		if (strcmp(info->clock.name, name) == 0)
			return &info->clock;
	}
	fail_msg("no source %s", name);
	return NULL;
}

/* ---- the guard against the future ------------------------------------------------------- */

/* cad-2's clock_ahead system alert, raised by its year-ahead line and resolved by its next
 * event accepted. */
#define CLOCK_AHEAD_FIRING                                                                         \
	"{\"alert\":\"firing\",\"alert_id\":\"52d40f40eb415a53\",\"seq\":1,\"ts\":\"2026-11-"      \
	"29T08:01:15.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"clock_ahead\",\"severity\":\"critical\",\"source\":"     \
	"\"cad-2\","                                                                               \
	"\"message\":\"feed source cad-2's clock is 1 year ahead of this host: its events are "    \
	"refused "                                                                                 \
	"(feed.max_future_seconds 300)\"}"
#define CLOCK_AHEAD_RESOLVED                                                                       \
	"{\"alert\":\"resolved\",\"alert_id\":\"52d40f40eb415a53\",\"seq\":3,\"ts\":\"2026-11-"    \
	"29T08:04:40.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"clock_ahead\",\"severity\":\"critical\",\"source\":"     \
	"\"cad-2\","                                                                               \
	"\"message\":\"feed source cad-2's events are accepted again: none too far ahead for 60 "  \
	"s\"}"

/* One call stamped a year ahead by cad-2: rejected as future, counted on cad-2, and told to the
 * supervisors as a clock_ahead system alert; cad-1's shift still gives its alert, exactly. */
static void test_year_ahead_rejected(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	for (size_t i = 0; i < 4; i++)
		send_ok(f, "cad-1", shift_ts[i] + 1000, shift[i]);
	send_from(f, "cad-2", T0 + 75000,
		  "{\"type\":\"call_start\",\"call_id\":\"x1\",\"ts\":\"2027-11-29T08:01:15Z\","
		  "\"operator\":\"op-2\"}",
		  &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why,
			    "call_start: \"ts\" is 31536000 s ahead of the host clock, "
			    "over the 300 s allowed (feed.max_future_seconds)");
	for (size_t i = 4; i < SHIFT_LINES; i++)
		send_ok(f, "cad-1", shift_ts[i] + 1000, shift[i]);
	send_ok(f, "cad-2", T0 + 280000, incident("x2", T0 + 275000, 0));
	/* The supervisors are told at once, dated by the host clock the line was measured against;
	 * cad-2's next event accepted resolve_after_seconds (60) later resolves it. */
	assert_int_equal(f->alert_count, 3);
	assert_string_equal(f->alerts[0], CLOCK_AHEAD_FIRING);
	assert_string_equal(f->alerts[1], ALERT_HEAD_SEQ("2") ALERT_CALLBACKS);
	assert_string_equal(f->alerts[2], CLOCK_AHEAD_RESOLVED);
	assert_false(engine_system_alert_open(f->engine, "clock_ahead", "cad-2"));
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_FUTURE], 1);
	assert_int_equal(source_named(f, "cad-2", &info)->future, 1);
	assert_int_equal(info.clock.events, 1);
	assert_int_equal(info.clock.newest_ms, T0 + 275000);
	assert_int_equal(source_named(f, "cad-1", &info)->future, 0);
	assert_int_equal(info.clock.events, SHIFT_LINES);
	assert_int_equal(engine_watermark_ms(f->engine), T0 + 275000);
}

/* Without a host clock (cadmon-backtest) the guard measures against the other sources, which
 * may legitimately run tracker.max_source_lag_seconds apart. */
static void test_year_ahead_rejected_without_host_clock(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	/* The first source has nothing to be measured against. */
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("a", T0 + YEAR, 0));
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("b", T0, 0));
	/* Sources may run max_source_lag_seconds apart: 20 minutes ahead of cad-2 passes, 1 ms
	 * more does not. */
	send_ok(f, "cad-3", ENGINE_NO_TIME, incident("c", T0 - YEAR, 0));
	engine_free(f->engine);
	f->engine = engine_new(&f->config, collect_alert, f);
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("a", T0, 0));
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("b", T0 + 20 * MINUTE, 0));
	send_from(f, "cad-3", ENGINE_NO_TIME, incident("c", T0 + 40 * MINUTE + 1, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why, "incident: \"ts\" is 1200 s ahead of the other sources, "
					 "over the 1200 s allowed (feed.max_future_seconds + "
					 "tracker.max_source_lag_seconds)");
	/* cad-2 is measured against the newest clock, its own (08:20). */
	send_from(f, "cad-2", ENGINE_NO_TIME, incident("c", T0 + 20 * MINUTE + YEAR, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why,
			    "incident: \"ts\" is 31536000 s ahead of the other sources, "
			    "over the 1200 s allowed (feed.max_future_seconds + "
			    "tracker.max_source_lag_seconds)");
	engine_set_future_guard(f->engine, false);
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("c", T0 + 20 * MINUTE + YEAR, 0));
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_FUTURE], 2);
	/* The same clock_ahead notices, measured against the other sources and dated by them. */
	assert_int_equal(f->alert_count, 3);
	assert_string_equal(f->alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"468158e3c4afdf44\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:20:00.000Z\",\"type\":\"system\",\"system\":"
			    "\"clock_ahead\","
			    "\"severity\":\"critical\",\"source\":\"cad-3\",\"message\":\"feed "
			    "source cad-3's clock is "
			    "20 minutes ahead of the other sources: its events are refused "
			    "(feed.max_future_seconds 300 + "
			    "tracker.max_source_lag_seconds 900)\"}");
	assert_non_null(strstr(
		f->alerts[1],
		"\"seq\":2,\"ts\":\"2026-11-29T08:20:00.000Z\",\"type\":\"system\","
		"\"system\":\"clock_ahead\",\"severity\":\"critical\",\"source\":\"cad-2\","
		"\"message\":\"feed source cad-2's clock is 1 year ahead of the other sources"));
	/* With the guard off cad-2's year-ahead event is accepted: its clock_ahead resolves by
	 * the newest event time. */
	assert_non_null(strstr(
		f->alerts[2], "{\"alert\":\"resolved\",\"alert_id\":\"8b2660f343b0d7b5\",\"seq\":3,"
			      "\"ts\":\"2027-11-29T08:20:00.000Z\""));
}

/* Without a host clock, a source that keeps sending while the other falls silent for 30 minutes
 * is followed: each event is measured against the newest ts of every source, its own included
 * (before, cad-a's events from 20 minutes on were refused as ahead of silent cad-b). A jump of
 * more than the allowance is still refused. */
static void test_silent_source_without_host_clock(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;
	char call_id[16];

	send_ok(f, "cad-a", ENGINE_NO_TIME, incident("a0", T0, 0));
	send_ok(f, "cad-b", ENGINE_NO_TIME, incident("b0", T0, 0));
	for (int minute = 1; minute <= 30; minute++) {
		snprintf(call_id, sizeof(call_id), "a%d", minute);
		send_ok(f, "cad-a", ENGINE_NO_TIME, incident(call_id, T0 + minute * MINUTE, 0));
	}
	assert_int_equal(source_named(f, "cad-a", &info)->newest_ms, T0 + 30 * MINUTE);
	assert_int_equal(info.clock.events, 31);
	assert_int_equal(info.clock.future, 0);
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_FUTURE], 0);
	send_from(f, "cad-a", ENGINE_NO_TIME, incident("jump", T0 + 50 * MINUTE + 1, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why, "incident: \"ts\" is 1200 s ahead of the other sources, "
					 "over the 1200 s allowed (feed.max_future_seconds + "
					 "tracker.max_source_lag_seconds)");
	/* cad-b comes back: measured against cad-a's clock, not refused. */
	send_ok(f, "cad-b", ENGINE_NO_TIME, incident("b1", T0 + 31 * MINUTE, 0));
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_FUTURE], 1);
}

/* 11 minutes ahead of the host clock is rejected; 300 s exactly is accepted, 301 s is not. */
static void test_eleven_minutes_ahead_rejected(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	int64_t host_ms = T0 + 5000;

	send_from(f, "cad-1", host_ms, incident("a", host_ms + 11 * MINUTE, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why, "incident: \"ts\" is 660 s ahead of the host clock, "
					 "over the 300 s allowed (feed.max_future_seconds)");
	send_from(f, "cad-1", host_ms, incident("b", host_ms + 301000, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	send_ok(f, "cad-1", host_ms, incident("c", host_ms + 300000, 0));
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_FUTURE], 2);
	assert_int_equal(engine_stats(f->engine)->events, 1);
}

/* A recovery replays lines journaled without their host time under its own clock's ceiling. */
static void test_future_ceiling(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	engine_set_future_ceiling(f->engine, T0 + 300000);
	send_from(f, "cad-1", ENGINE_NO_TIME, incident("a", T0 + YEAR, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_string_equal(verdict.why,
			    "incident: \"ts\" is 31536000 s ahead of the recovery's clock, "
			    "over the 300 s allowed (feed.max_future_seconds)");
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("b", T0, 0));
}

/* ---- events too late for their own source's clock ------------------------------------------ */

/* cad-2's clock steps back 650 s (tracker.allowed_lateness_seconds 600): its event is refused
 * as too_late and the supervisors are told (events_too_late, warning, dated by the host
 * clock), its count kept up to date by the next one; once none has been refused so for
 * resolve_after_seconds (60) of host time, its next event accepted resolves it. */
static void test_events_too_late_told(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_ok(f, "cad-2", T0 + 701000, incident("y1", T0 + 700000, 0));
	send_from(f, "cad-2", T0 + 702000, incident("y2", T0 + 50000, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_TOO_LATE);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(
		f->alerts[0],
		"{\"alert\":\"firing\",\"alert_id\":\"8e4cb5672dec1dd7\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:11:42.000Z\",\"type\":\"system\","
		"\"system\":\"events_too_late\",\"severity\":\"warning\",\"source\":\"cad-2\","
		"\"message\":\"feed source cad-2's events are refused as too late, the latest 10 "
		"minutes behind its newest (tracker.allowed_lateness_seconds 600): 1 so far; its "
		"clock steps back, or it resends old events\"}");
	send_from(f, "cad-2", T0 + 703000, incident("y3", T0 + 60000, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_TOO_LATE);
	assert_int_equal(f->alert_count, 1); /* the open one kept up to date, no notice */
	assert_true(engine_system_alert_open(f->engine, "events_too_late", "cad-2"));
	send_ok(f, "cad-2", T0 + 762000, incident("y4", T0 + 761000, 0)); /* 59 s: still open */
	assert_int_equal(f->alert_count, 1);
	send_ok(f, "cad-2", T0 + 763000, incident("y5", T0 + 762000, 0));
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(
		f->alerts[1],
		"{\"alert\":\"resolved\",\"alert_id\":\"8e4cb5672dec1dd7\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:12:43.000Z\",\"type\":\"system\","
		"\"system\":\"events_too_late\",\"severity\":\"warning\",\"source\":\"cad-2\","
		"\"message\":\"feed source cad-2's events are placed again: none too late for 60 "
		"s; 2 refused in all\"}");
	assert_int_equal(source_named(f, "cad-2", &info)->too_late, 2);
}

/* ---- sources behind the others ---------------------------------------------------------- */

/* cad-2 runs 15 minutes behind cad-1: within tracker.max_source_lag_seconds (900), so cad-2 is
 * waited for (it was heard before cad-1 moved on) — not too_late although it is beyond
 * allowed_lateness_seconds (600) of cad-1 —
 * and its alert is exactly the in-order one. cad-1's event waits for the center. */
static void test_feed_fifteen_minutes_behind_merged(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_ok(f, "cad-2", ENGINE_NO_TIME, shift[0]);
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("a", T0 + 15 * MINUTE, 0));
	for (size_t i = 1; i < SHIFT_LINES; i++) {
		send_from(f, "cad-2", ENGINE_NO_TIME, shift[i], &verdict);
		assert_int_equal(verdict.reject, EVENT_OK);
		assert_false(verdict.late);
	}
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], expected_alert);
	assert_int_equal(engine_stats(f->engine)->buffered, 1);
	assert_int_equal(engine_stats(f->engine)->late_events, 0);
	assert_int_equal(engine_center_ms(f->engine), T0 + 270000);
	source_named(f, "cad-2", &info);
	assert_int_equal(info.lag_ms, 15 * MINUTE - 270000);
	assert_true(info.held);
	assert_int_equal(info.clock.late, 0);
}

/* cad-2 starts 21 minutes behind the center: judged on its own, in its own time. The same alert
 * (same
 * alert_id, ts and content), marked late by how far it was behind the center. */
static void test_feed_further_behind_judged_on_its_own(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("a", T0 + 21 * MINUTE, 0));
	for (size_t i = 0; i < SHIFT_LINES; i++) {
		send_from(f, "cad-2", ENGINE_NO_TIME, shift[i], &verdict);
		assert_int_equal(verdict.reject, EVENT_OK);
		assert_true(verdict.late);
	}
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0],
			    ALERT_HEAD "\"late\":true,\"late_seconds\":990," ALERT_CALLBACKS);
	assert_int_equal(engine_stats(f->engine)->late_events, SHIFT_LINES);
	source_named(f, "cad-2", &info);
	assert_int_equal(info.clock.late, SHIFT_LINES);
	assert_int_equal(info.clock.too_late, 0);
	assert_false(info.held);
	assert_int_equal(info.lag_ms, 21 * MINUTE - 270000);
}

/* cad-2 goes down for 20 minutes while cad-1 goes on; it comes back and resends its backlog.
 * cad-1 was not held back (cad-2 went idle after feed.source_idle_seconds of host time), and
 * every resent event is processed in place, its alert marked 20 minutes late. */
static void test_twenty_minute_outage_resent(void **state)
{
	struct fixture *f = *state;
	int64_t ts_ms;
	char call_id[16];
	uint64_t events = 0;

	for (ts_ms = T0; ts_ms <= T0 + 24 * MINUTE + 30000; ts_ms += 30000) {
		snprintf(call_id, sizeof(call_id), "k%lld", (long long)((ts_ms - T0) / 1000));
		send_ok(f, "cad-1", ts_ms, incident(call_id, ts_ms, 0));
		events++;
		if (ts_ms == T0)
			send_ok(f, "cad-2", ts_ms,
				incident("before", ts_ms, 0)); /* then the outage */
	}
	assert_int_equal(engine_center_ms(f->engine), T0 + 24 * MINUTE + 30000);
	assert_int_equal(engine_stats(f->engine)->buffered, 0);
	for (size_t i = 0; i < SHIFT_LINES; i++)
		send_ok(f, "cad-2", T0 + 24 * MINUTE + 31000 + (int64_t)i, shift[i]);
	assert_int_equal(engine_stats(f->engine)->events, events + 1 + SHIFT_LINES);
	assert_int_equal(engine_stats(f->engine)->late_events, SHIFT_LINES);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0],
			    ALERT_HEAD "\"late\":true,\"late_seconds\":1200," ALERT_CALLBACKS);
}

/* One line stamped ahead must not resolve the open alert of another source's operator: a year
 * ahead is refused by the guard, and 4 minutes ahead (within it) cannot move the center clock
 * while cad-1 is behind. Then cad-1's own time resolves it, once. */
static void test_poisoned_line_does_not_resolve(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	for (size_t i = 0; i < SHIFT_LINES; i++)
		send_ok(f, "cad-1", shift_ts[i], shift[i]);
	assert_int_equal(f->alert_count, 1);
	send_from(f, "cad-2", T0 + 280000, incident("p", T0 + 280000 + YEAR, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1],
			    "{\"alert\":\"firing\",\"alert_id\":\"9d782df880f2f641\",\"seq\":2,"
			    "\"ts\":\"2026-11-29T08:04:40.000Z\",\"type\":\"system\",\"system\":"
			    "\"clock_ahead\","
			    "\"severity\":\"critical\",\"source\":\"cad-2\",\"message\":\"feed "
			    "source cad-2's clock is "
			    "1 year ahead of this host: its events are refused "
			    "(feed.max_future_seconds 300)\"}");
	/* Accepted within resolve_after_seconds of the refusal: clock_ahead stays open. */
	send_ok(f, "cad-2", T0 + 280000, incident("q", T0 + 280000 + 4 * MINUTE, 0));
	send_ok(f, "cad-1", T0 + 290000, incident("r", T0 + 290000, 0));
	send_ok(f, "cad-1", T0 + 300000, incident("s", T0 + 300000, 0));
	assert_int_equal(f->alert_count, 2);
	assert_true(engine_system_alert_open(f->engine, "clock_ahead", "cad-2"));
	assert_int_equal(engine_stats(f->engine)->detector.resolved, 0);
	assert_int_equal(engine_center_ms(f->engine), T0 + 300000);
	assert_int_equal(engine_stats(f->engine)->buffered, 1); /* cad-2's line waits for cad-1 */
	/* 10 minutes later by cad-1 (cad-2 went idle meanwhile): the window is empty, and cad-1's
	 * own time resolves the alert, at 08:14:30. */
	send_ok(f, "cad-1", T0 + 14 * MINUTE + 30000, incident("t", T0 + 14 * MINUTE + 30000, 0));
	assert_int_equal(engine_stats(f->engine)->detector.resolved, 1);
	assert_int_equal(f->alert_count, 3);
	assert_non_null(strstr(f->alerts[2],
			       "\"alert\":\"resolved\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,"
			       "\"ts\":\"2026-11-29T08:14:30.000Z\""));
}

/* ---- seq hygiene -------------------------------------------------------------------------- */

static void send_numbered(struct fixture *f, const char *epoch, bool first, uint64_t seq,
			  const char *call_id, struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = "cad-1", .named = true, .epoch = epoch,
				       .first_of_connection = first, .received_ms = ENGINE_NO_TIME};
	const char *line = incident(call_id, T0 + (int64_t)(seq % 1000) * 1000, seq);

	engine_process_from(f->engine, &origin, line, strlen(line), verdict);
}

/* One line may move a source's seq at most feed.max_seq_jump ahead: the line with seq
 * 2^63 - 2 that blinded cad-1 is rejected as bad_seq, and cad-1's next lines go through. */
static void test_seq_jump_rejected(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_numbered(f, "", true, 1, "a", &verdict);
	send_numbered(f, "", false, 2, "b", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	send_numbered(f, "", false, UINT64_C(9223372036854775806), "poison", &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	assert_string_equal(verdict.why,
			    "\"seq\" 9223372036854775806 is more than 1000000 above the "
			    "source's highest (feed.max_seq_jump)");
	send_numbered(f, "", false, 1000003, "c", &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	send_numbered(f, "", false, 3, "d", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.duplicate);
	send_numbered(f, "", false, 1000003, "e", &verdict); /* exactly max_seq_jump ahead */
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.duplicate);
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_BAD_SEQ], 2);
	assert_int_equal(source_named(f, "cad-1", &info)->bad_seq, 2);
	assert_int_equal(info.clock.events, 4);
}

/* A reinstalled sender: a new epoch restarts the numbering; so does a connection whose first
 * seq is max_seq_jump or more below the highest. A low seq later on a connection is a resend. */
static void test_restarted_sender(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_numbered(f, "2026-11-01", true, 1, "a", &verdict);
	send_numbered(f, "2026-11-01", false, 2, "b", &verdict);
	send_numbered(f, "2026-11-29", true, 1, "c", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_true(verdict.restarted);
	assert_false(verdict.duplicate);
	send_numbered(f, "2026-11-29", false, 2, "d", &verdict);
	assert_false(verdict.restarted);
	assert_false(verdict.duplicate);
	/* A resend on a new connection, from the last ack: recognized. */
	send_numbered(f, "2026-11-29", true, 2, "d", &verdict);
	assert_true(verdict.duplicate);
	assert_false(verdict.restarted);
	/* The numbering far ahead, then a new connection starting again at 1 with the same
	 * epoch. */
	send_numbered(f, "2026-11-29", false, 1000002, "e", &verdict);
	send_numbered(f, "2026-11-29", false, 1, "f", &verdict);
	assert_true(verdict.duplicate);
	send_numbered(f, "2026-11-29", true, 1, "f", &verdict);
	assert_true(verdict.restarted);
	assert_false(verdict.duplicate);
	assert_int_equal(engine_stats(f->engine)->restarts, 2);
	assert_int_equal(source_named(f, "cad-1", &info)->restarts, 2);
	assert_int_equal(info.clock.duplicates, 2);
	assert_int_equal(engine_stats(f->engine)->duplicates, 2);
}

#define RESTART_FIRING                                                                             \
	"{\"alert\":\"firing\",\"alert_id\":\"467c603ba101b4ec\",\"seq\":1,\"ts\":\"2026-11-"      \
	"29T08:00:02.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"sender_restarted\",\"severity\":\"warning\",\"source\":" \
	"\"cad-1\","                                                                               \
	"\"message\":\"feed source cad-1 restarted its numbering (epoch 2026-11-29): seq 1 after " \
	"42; its "                                                                                 \
	"events are taken as new from there\"}"
#define RESTART_RESOLVED                                                                           \
	"{\"alert\":\"resolved\",\"alert_id\":\"467c603ba101b4ec\",\"seq\":2,\"ts\":\"2026-11-"    \
	"29T08:01:02.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"sender_restarted\",\"severity\":\"warning\",\"source\":" \
	"\"cad-1\","                                                                               \
	"\"message\":\"feed source cad-1 has sent under its new numbering for 60 s\"}"
#define REORDER_FIRING                                                                             \
	"{\"alert\":\"firing\",\"alert_id\":\"c68d84eecdca3a9a\",\"seq\":1,\"ts\":\"2026-11-"      \
	"29T08:10:16.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",\"limit\":\"tracker."   \
	"max_reorder_events\","                                                                    \
	"\"evicted\":1,\"message\":\"events released before the center clock reached them or "     \
	"refused "                                                                                 \
	"(tracker.max_reorder_events 16 reached): 1 so far; raise tracker.max_reorder_events\"}"
#define REORDER_RESOLVED                                                                           \
	"{\"alert\":\"resolved\",\"alert_id\":\"c68d84eecdca3a9a\",\"seq\":2,\"ts\":\"2026-11-"    \
	"29T08:11:16.000Z\","                                                                      \
	"\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",\"limit\":\"tracker."   \
	"max_reorder_events\","                                                                    \
	"\"evicted\":1,\"message\":\"no more events released before the center clock reached "     \
	"them or refused for 60 s; "                                                               \
	"1 in all\"}"

/* ---- what supervisors are told: system alerts of a source --------------------------------- */

#define SEQ_REJECTED_FIRING \
	"{\"alert\":\"firing\",\"alert_id\":\"d6f1c61224ad066a\",\"seq\":1,\"ts\":\"2026-" \
	"11-29T08:00:02.000Z\",\"type\":\"system\",\"system\":\"seq_rejected\",\"severity" \
	"\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's lines are" \
	" refused: seq 2000000 is more than 1000000 above its highest, 2 (feed.max_seq_ju" \
	"mp); 1 refused so far; a new epoch in its hello restarts its numbering\"}"
#define SEQ_REJECTED_RESOLVED \
	"{\"alert\":\"resolved\",\"alert_id\":\"d6f1c61224ad066a\",\"seq\":2,\"ts\":\"202" \
	"6-11-29T08:00:05.000Z\",\"type\":\"system\",\"system\":\"seq_rejected\",\"severi" \
	"ty\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's lines a" \
	"re taken again from seq 3; 3 refused in all\"}"
#define FEED_REJECTING_FIRING \
	"{\"alert\":\"firing\",\"alert_id\":\"1a114f9bf4532820\",\"seq\":1,\"ts\":\"2026-" \
	"11-29T08:06:40.000Z\",\"type\":\"system\",\"system\":\"feed_rejecting\",\"severi" \
	"ty\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's lines h" \
	"ave all been refused for 300 s (the last refused: missing_field); its events are" \
	" not being watched\"}"
#define FEED_REJECTING_RESOLVED \
	"{\"alert\":\"resolved\",\"alert_id\":\"1a114f9bf4532820\",\"seq\":2,\"ts\":\"202" \
	"6-11-29T08:06:41.000Z\",\"type\":\"system\",\"system\":\"feed_rejecting\",\"seve" \
	"rity\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's lines" \
	" are taken again\"}"
#define CLOCK_AHEAD_FORGOTTEN \
	"{\"alert\":\"resolved\",\"alert_id\":\"95adacec93459c44\",\"seq\":9,\"ts\":\"202" \
	"6-11-29T08:00:00.008Z\",\"type\":\"system\",\"system\":\"clock_ahead\",\"severit" \
	"y\":\"critical\",\"source\":\"#1.0\",\"message\":\"feed source #1.0 forgotten (f" \
	"eed.max_sources 8 reached): its clock is gone, and this notice with it\"}"
#define SEQ_REJECTED_FORGOTTEN \
	"{\"alert\":\"resolved\",\"alert_id\":\"d0dda41bb1327d27\",\"seq\":3,\"ts\":\"202" \
	"6-11-29T08:05:04.000Z\",\"type\":\"system\",\"system\":\"seq_rejected\",\"severi" \
	"ty\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1 forgotten" \
	" (feed.max_sources 2 reached): its clock is gone, and this notice with it\"}"
#define FEED_REJECTING_FORGOTTEN \
	"{\"alert\":\"resolved\",\"alert_id\":\"cf4e03d7d502367d\",\"seq\":5,\"ts\":\"202" \
	"6-11-29T08:05:05.000Z\",\"type\":\"system\",\"system\":\"feed_rejecting\",\"seve" \
	"rity\":\"critical\",\"source\":\"cad-2\",\"message\":\"feed source cad-2 forgott" \
	"en (feed.max_sources 2 reached): its clock is gone, and this notice with it\"}"
#define FEED_REJECTING_CLOSED \
	"{\"alert\":\"resolved\",\"alert_id\":\"f271163d5e1bed21\",\"seq\":2,\"ts\":\"202" \
	"6-11-29T08:05:02.000Z\",\"type\":\"system\",\"system\":\"feed_rejecting\",\"seve" \
	"rity\":\"critical\",\"source\":\"#1.1\",\"message\":\"feed source #1.1's connect" \
	"ion closed: no more of its events can come\"}"
#define FEED_REJECTING_AFTER_QUIET \
	"{\"alert\":\"firing\",\"alert_id\":\"d043b2357f1b6472\",\"seq\":1,\"ts\":\"2026-" \
	"11-29T09:05:00.000Z\",\"type\":\"system\",\"system\":\"feed_rejecting\",\"severi" \
	"ty\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's lines h" \
	"ave all been refused for 300 s (the last refused: missing_field); its events are" \
	" not being watched\"}"
/* A numbered line of cad-1 under epoch, heard at received_ms (host time). */
static void send_numbered_at(struct fixture *f, const char *epoch, bool first, uint64_t seq,
			     const char *call_id, int64_t received_ms,
			     struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = "cad-1", .named = true, .epoch = epoch,
				       .first_of_connection = first, .received_ms = received_ms};
	const char *line = incident(call_id, received_ms, seq);

	engine_process_from(f->engine, &origin, line, strlen(line), verdict);
}

/* A new engine under f->config (changed by the test). */
static void renew_engine(struct fixture *f)
{
	engine_free(f->engine);
	f->engine = engine_new(&f->config, collect_alert, f);
	assert_non_null(f->engine);
}

/* cad-1's sender restarts (a new epoch): sender_restarted, with the old and new seq, resolved
 * by its first event accepted resolve_after_seconds (60) of host time later. */
static void test_restart_notice(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	send_numbered_at(f, "2026-11-01", true, 41, "a", T0, &verdict);
	send_numbered_at(f, "2026-11-01", false, 42, "b", T0 + 1000, &verdict);
	assert_int_equal(f->alert_count, 0);
	send_numbered_at(f, "2026-11-29", true, 1, "c", T0 + 2000, &verdict);
	assert_true(verdict.restarted);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], RESTART_FIRING);
	send_numbered_at(f, "2026-11-29", false, 2, "d", T0 + 61000, &verdict);
	assert_int_equal(f->alert_count, 1); /* 59 s: still open */
	send_numbered_at(f, "2026-11-29", false, 3, "e", T0 + 62000, &verdict);
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1], RESTART_RESOLVED);
	assert_false(engine_system_alert_open(f->engine, "sender_restarted", "cad-1"));
}

/* cad-1's seq jumps 2,000,000 mid-connection (over feed.max_seq_jump): its lines are refused,
 * and the supervisors are told at once (seq_rejected, critical, raised once); a new connection
 * starting from the jumped numbering is refused too (taken as a restart, the live connection's
 * next lines would be dropped as resends); a new epoch restarts the numbering and resolves it. */
static void test_seq_jump_notice(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_source_info info;

	send_numbered_at(f, "", true, 1, "a", T0, &verdict);
	send_numbered_at(f, "", false, 2, "b", T0 + 1000, &verdict);
	send_numbered_at(f, "", false, 2000000, "c", T0 + 2000, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	send_numbered_at(f, "", false, 2000001, "d", T0 + 3000, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], SEQ_REJECTED_FIRING);
	assert_true(engine_system_alert_open(f->engine, "seq_rejected", "cad-1"));
	send_numbered_at(f, "", true, 9000000000000, "e", T0 + 4000, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	assert_false(verdict.restarted);
	/* The live connection's lines within the jump are still taken, and resolve it. */
	send_numbered_at(f, "", false, 3, "f", T0 + 5000, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_false(verdict.duplicate);
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1], SEQ_REJECTED_RESOLVED);
	assert_false(engine_system_alert_open(f->engine, "seq_rejected", "cad-1"));
	/* A counter that really jumped comes with a new epoch: a restart. */
	send_numbered_at(f, "2026-12-03", true, 2000002, "g", T0 + 6000, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_true(verdict.restarted);
	assert_int_equal(source_named(f, "cad-1", &info)->bad_seq, 3);
	assert_int_equal(info.clock.restarts, 1);
	assert_int_equal(info.clock.events, 4);
}

/* With unlisted_sources: reject, a source not listed (or a connection without a hello) whose
 * line is from the future is refused as source_not_allowed and raises no clock_ahead: it cannot
 * fill the system alerts. The listed cad-1's still does. */
static void test_refused_source_raises_no_clock_ahead(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	struct engine_origin unnamed = {.source = "#1.1", .received_ms = T0};
	const char *future = incident("x1", T0 + YEAR, 0);

	f->config.source_count = 1;
	snprintf(f->config.sources[0].name, sizeof(f->config.sources[0].name), "cad-1");
	f->config.unlisted_sources = CONFIG_UNLISTED_REJECT;
	renew_engine(f);
	send_from(f, "cad-x", T0, future, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_SOURCE_NOT_ALLOWED);
	assert_string_equal(verdict.why, "incident: feed source cad-x is not listed in sources "
					 "(unlisted_sources: reject)");
	engine_process_from(f->engine, &unnamed, future, strlen(future), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_SOURCE_NOT_ALLOWED);
	assert_int_equal(f->alert_count, 0);
	send_from(f, "cad-1", T0, future, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_int_equal(f->alert_count, 1);
	assert_true(engine_system_alert_open(f->engine, "clock_ahead", "cad-1"));
}

/* feed.max_sources 8: room for 40 per-source system alerts, 10 of connections without a
 * hello, and for 8 clocks. 12 one-line connections from the future, none closed: each of the
 * last 4 forgets a clock heard of least recently (none was heard: #1.0 first), and its
 * clock_ahead resolves with it (before: open for ever, and the 11th and 12th filled the room,
 * told by the system_alerts limit); the journal's alert opens. */
static void test_unnamed_clock_ahead_bounded(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	char key[16], why[256];
	const char *future = incident("x1", T0 + YEAR, 0);
	const char *degraded = "{\"system\":\"journal_degraded\",\"state\":\"firing\","
			       "\"reason\":\"EIO\"}";

	f->config.feed.max_sources = 8;
	renew_engine(f);
	for (int i = 0; i < 12; i++) {
		snprintf(key, sizeof(key), "#1.%d", i);
		struct engine_origin origin = {.source = key, .received_ms = T0 + i};
		engine_process_from(f->engine, &origin, future, strlen(future), &verdict);
		assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	}
	assert_int_equal(f->alert_count, 16);
	assert_string_equal(f->alerts[8], CLOCK_AHEAD_FORGOTTEN);
	assert_non_null(strstr(f->alerts[9], "\"alert\":\"firing\""));
	assert_non_null(strstr(f->alerts[9], "\"source\":\"#1.8\""));
	int open = 0;
	for (int i = 0; i < 12; i++) {
		snprintf(key, sizeof(key), "#1.%d", i);
		open += engine_system_alert_open(f->engine, "clock_ahead", key);
	}
	assert_int_equal(open, 8); /* one for each clock known */
	assert_false(engine_system_alert_open(f->engine, "limit", "system_alerts"));
	assert_int_equal(engine_stats(f->engine)->system_alerts_dropped, 0);
	assert_int_equal(engine_stats(f->engine)->clocks_evicted, 4);
	assert_int_equal(engine_control(f->engine, degraded, strlen(degraded), T0 + 20, why,
					sizeof(why)),
			 0);
	assert_int_equal(f->alert_count, 17);
	assert_true(engine_system_alert_open(f->engine, "journal_degraded", ""));
}

/* feed.max_sources 2: cad-1's seq_rejected and cad-2's feed_rejecting are open when cad-3 and
 * cad-4 come: each forgets the clock heard of least recently, and its notices resolve, saying
 * why (before: open for ever). cad-1 back starts afresh: its next jump opens seq_rejected
 * again, and its numbered lines look for nothing while none is open (review M2). */
static void test_forgotten_source_notices_resolve(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	const char *bad = "{\"type\":\"call_start\",\"ts\":1795939200000}";

	f->config.feed.max_sources = 2;
	renew_engine(f);
	send_numbered_at(f, "", true, 1, "a", T0, &verdict);
	send_numbered_at(f, "", false, 2000000, "b", T0 + 1000, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_BAD_SEQ);
	send_ok(f, "cad-2", T0 + 2000, incident("c", T0 + 2000, 0));
	send_from(f, "cad-2", T0 + 3000, bad, &verdict);
	send_from(f, "cad-2", T0 + 303000, bad, &verdict);
	assert_int_equal(f->alert_count, 2);
	assert_true(engine_system_alert_open(f->engine, "seq_rejected", "cad-1"));
	assert_true(engine_system_alert_open(f->engine, "feed_rejecting", "cad-2"));
	send_ok(f, "cad-3", T0 + 304000, incident("d", T0 + 304000, 0));
	assert_false(engine_system_alert_open(f->engine, "seq_rejected", "cad-1"));
	assert_true(engine_system_alert_open(f->engine, "feed_rejecting", "cad-2"));
	send_ok(f, "cad-4", T0 + 305000, incident("e", T0 + 305000, 0));
	assert_false(engine_system_alert_open(f->engine, "feed_rejecting", "cad-2"));
	assert_int_equal(f->alert_count, 5);
	assert_string_equal(f->alerts[2], SEQ_REJECTED_FORGOTTEN);
	assert_string_equal(f->alerts[4], FEED_REJECTING_FORGOTTEN);
}

/* feed.max_sources 2: cad-1 silent (feed_silent, raised by the daemon's watch) when cad-3's
 * first line forgets its clock, heard of least recently: the alert resolves, saying why
 * (before: open for ever, for a source cadmon no longer tracks). cad-2's stays open. */
static void test_forgotten_source_resolves_feed_silent(void **state)
{
	struct fixture *f = *state;
	char line[128], why[128];

	f->config.feed.max_sources = 2;
	renew_engine(f);
	send_ok(f, "cad-1", T0, incident("a", T0, 0));
	send_ok(f, "cad-2", T0 + 1000, incident("b", T0 + 1000, 0));
	for (int i = 1; i <= 2; i++) {
		snprintf(line, sizeof(line),
			 "{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":"
			 "\"cad-%d\",\"seconds\":300}",
			 i);
		assert_int_equal(engine_control(f->engine, line, strlen(line), T0 + 300000 + i,
						why, sizeof(why)),
				 0);
	}
	assert_int_equal(f->alert_count, 2);
	assert_true(engine_holds_clock(f->engine, "cad-1"));
	assert_false(engine_holds_clock(f->engine, "cad-3"));
	send_ok(f, "cad-3", T0 + 302000, incident("c", T0 + 302000, 0));
	/* the question the daemon's silence watch asks (engine_holds_clock) */
	assert_false(engine_holds_clock(f->engine, "cad-1"));
	assert_true(engine_holds_clock(f->engine, "cad-2"));
	assert_true(engine_holds_clock(f->engine, "cad-3"));
	assert_false(engine_system_alert_open(f->engine, "feed_silent", "cad-1"));
	assert_true(engine_system_alert_open(f->engine, "feed_silent", "cad-2"));
	assert_int_equal(f->alert_count, 4); /* and the feed.max_sources limit */
	assert_string_equal(f->alerts[2],
			    "{\"alert\":\"resolved\",\"alert_id\":\"6661d97b4f6d8d24\",\"seq\":3,"
			    "\"ts\":\"2026-11-29T08:05:02.000Z\",\"type\":\"system\",\"system\":"
			    "\"feed_silent\",\"severity\":\"warning\",\"source\":\"cad-1\","
			    "\"message\":\"feed source cad-1 forgotten (feed.max_sources 2 "
			    "reached): its clock is gone, and this notice with it\"}");
	assert_non_null(strstr(f->alerts[3], "\"limit\":\"feed.max_sources\""));
}

/* feed.max_sources 2 and cad-1 listed in sources[] (unlisted sources taken): cad-1 silent
 * (feed_silent) and heard of least recently when cad-3's first line needs room. The clock
 * forgotten is cad-2's, the least recent of those not listed: cad-1's stays, and its alert
 * stays open (before: cad-1's went, so sources inventing names could end a silent CAD's
 * alert). A reload to one source keeps cad-1's too. */
static void test_listed_source_kept_when_room_is_made(void **state)
{
	struct fixture *f = *state;
	char line[128], why[128];

	f->config.feed.max_sources = 2;
	snprintf(f->config.sources[0].name, sizeof(f->config.sources[0].name), "cad-1");
	f->config.source_count = 1;
	renew_engine(f);
	send_ok(f, "cad-1", T0, incident("a", T0, 0));
	send_ok(f, "cad-2", T0 + 1000, incident("b", T0 + 1000, 0));
	snprintf(line, sizeof(line),
		 "{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":\"cad-1\","
		 "\"seconds\":300}");
	assert_int_equal(engine_control(f->engine, line, strlen(line), T0 + 300001, why,
					sizeof(why)),
			 0);
	send_ok(f, "cad-3", T0 + 302000, incident("c", T0 + 302000, 0));
	assert_true(engine_holds_clock(f->engine, "cad-1"));
	assert_false(engine_holds_clock(f->engine, "cad-2"));
	assert_true(engine_holds_clock(f->engine, "cad-3"));
	assert_true(engine_system_alert_open(f->engine, "feed_silent", "cad-1"));
	assert_int_equal(f->alert_count, 2); /* cad-1's feed_silent, the feed.max_sources limit */
	assert_non_null(strstr(f->alerts[1], "\"limit\":\"feed.max_sources\""));
	f->config.feed.max_sources = 1;
	assert_int_equal(engine_reconfigure(f->engine, &f->config), 0);
	assert_true(engine_holds_clock(f->engine, "cad-1"));
	assert_false(engine_holds_clock(f->engine, "cad-3"));
}

/* A numbered line from source under no epoch at T0 + seq s. */
static void send_numbered_from(struct fixture *f, const char *source, bool first, uint64_t seq,
			       const char *call_id, struct engine_verdict *verdict)
{
	struct engine_origin origin = {.source = source, .named = true, .epoch = "",
				       .first_of_connection = first, .received_ms = ENGINE_NO_TIME};
	const char *line = incident(call_id, T0 + (int64_t)seq * 1000, seq);

	engine_process_from(f->engine, &origin, line, strlen(line), verdict);
}

/* Numbered lines from cad-1 (seq 1 to 3, at T0 + 1 to 3 s), cad-2 (seq 10) and cad-3 (seq 20)
 * under feed.max_sources max_sources, with sources: listing only `listed`. */
static void number_three_sources(struct fixture *f, uint32_t max_sources, const char *listed)
{
	struct engine_verdict verdict;

	f->config.feed.max_sources = max_sources;
	snprintf(f->config.sources[0].name, sizeof(f->config.sources[0].name), "%s", listed);
	f->config.source_count = 1;
	renew_engine(f);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		send_numbered_from(f, "cad-1", seq == 1, seq, seq == 1 ? "a" : "b", &verdict);
		assert_int_equal(verdict.reject, EVENT_OK);
	}
	send_numbered_from(f, "cad-2", true, 10, "c", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	send_numbered_from(f, "cad-3", true, 20, "d", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
}

/* Whether source's numbered line seq (another event, on a new connection) is a resend. */
static bool taken_as_resend(struct fixture *f, const char *source, uint64_t seq)
{
	struct engine_verdict verdict;

	send_numbered_from(f, source, true, seq, "z", &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	return verdict.duplicate;
}

/* feed.max_sources 2, cad-1 listed: its numbering (seq 3, at T0 + 3 s) outlives cad-2's (seq 10)
 * when cad-3 (seq 20) needs room, though heard of least recently: cad-1 reconnecting and sending
 * seq 3 again (another event) is a resend, ignored. Before, cad-1's numbering went and the line
 * was taken as new. */
static void test_listed_source_keeps_its_numbering(void **state)
{
	struct fixture *f = *state;

	number_three_sources(f, 2, "cad-1");
	assert_int_equal(engine_stats(f->engine)->sources_evicted, 1);
	assert_true(taken_as_resend(f, "cad-1", 3));
	assert_false(taken_as_resend(f, "cad-2", 10)); /* forgotten: taken as new */
}

/* feed.max_sources 3 reloaded as 1, cad-1 listed: cad-1's numbering (seq 3, heard of least
 * recently) is the one kept, so its seq 3 again is a resend; cad-3's (the most recent) is
 * forgotten: its seq 20 again is taken as new. */
static void test_reload_keeps_a_listed_numbering(void **state)
{
	struct fixture *f = *state;

	number_three_sources(f, 3, "cad-1");
	f->config.feed.max_sources = 1;
	assert_int_equal(engine_reconfigure(f->engine, &f->config), 0);
	assert_int_equal(engine_stats(f->engine)->sources_evicted, 2);
	assert_true(taken_as_resend(f, "cad-1", 3));
	assert_false(taken_as_resend(f, "cad-3", 20));
}

/* The reload also changes sources: from cad-1 to cad-2: the room is made by the new list, so
 * cad-2's clock and numbering stay (its seq 10 again is a resend) and cad-1's go (its seq 3
 * again is taken as new). */
static void test_reload_keeps_the_new_list_of_sources(void **state)
{
	struct fixture *f = *state;

	number_three_sources(f, 3, "cad-1");
	f->config.feed.max_sources = 1;
	snprintf(f->config.sources[0].name, sizeof(f->config.sources[0].name), "cad-2");
	assert_int_equal(engine_reconfigure(f->engine, &f->config), 0);
	assert_true(engine_holds_clock(f->engine, "cad-2"));
	assert_false(engine_holds_clock(f->engine, "cad-1"));
	assert_false(engine_holds_clock(f->engine, "cad-3"));
	assert_true(taken_as_resend(f, "cad-2", 10));
	assert_false(taken_as_resend(f, "cad-1", 3));
}

/* feed.max_sources 4 reloaded as 2 (a reload is not a line: it sends nothing): the clocks
 * heard of least recently, cad-1's (clock_ahead open) and cad-2's, are forgotten, and the next
 * line resolves cad-1's notice, saying why (before: open for ever). */
static void test_reload_forgets_source_notices(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	f->config.feed.max_sources = 4;
	renew_engine(f);
	for (int i = 1; i <= 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "cad-%d", i);
		send_ok(f, name, T0 + i * 1000, incident(name, T0 + i * 1000, 0));
	}
	send_from(f, "cad-1", T0 + 5000, incident("x", T0 + YEAR, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	assert_int_equal(f->alert_count, 1);
	f->config.feed.max_sources = 2;
	assert_int_equal(engine_reconfigure(f->engine, &f->config), 0);
	assert_int_equal(f->alert_count, 1);
	assert_int_equal(engine_source_count(f->engine), 2);
	send_ok(f, "cad-3", T0 + 6000, incident("y", T0 + 6000, 0));
	assert_int_equal(f->alert_count, 3); /* and the feed.max_sources limit: 2 forgotten */
	assert_string_equal(
		f->alerts[1],
		"{\"alert\":\"resolved\",\"alert_id\":\"15982147dde4b8c3\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:00:06.000Z\",\"type\":\"system\",\"system\":"
		"\"clock_ahead\",\"severity\":\"critical\",\"source\":\"cad-1\","
		"\"message\":\"feed source cad-1 forgotten (feed.max_sources 2 reached): "
		"its clock is gone, and this notice with it\"}");
	assert_false(engine_system_alert_open(f->engine, "clock_ahead", "cad-1"));
}

/* feed.max_sources 8: room for 40 per-source system alerts; 41 feed_silent told: the 41st is
 * dropped, told by the system_alerts limit. A reload to 16 grows the room to 80: the next
 * tick resolves the limit alert (before: open until a per-source alert resolved). */
static void test_grown_room_resolves_system_alerts_limit(void **state)
{
	struct fixture *f = *state;
	char line[128], why[128];

	f->config.feed.max_sources = 8;
	renew_engine(f);
	for (int i = 0; i < 41; i++) {
		snprintf(line, sizeof(line),
			 "{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":"
			 "\"cad-%d\",\"seconds\":300}",
			 i);
		assert_int_equal(engine_control(f->engine, line, strlen(line), T0 + i, why,
						sizeof(why)),
				 0);
	}
	assert_int_equal(f->alert_count, 41);
	assert_true(engine_system_alert_open(f->engine, "limit", "system_alerts"));
	f->config.feed.max_sources = 16;
	assert_int_equal(engine_reconfigure(f->engine, &f->config), 0);
	assert_int_equal(f->alert_count, 41);
	engine_tick(f->engine, T0 + 1000);
	assert_int_equal(f->alert_count, 42);
	assert_string_equal(f->alerts[41],
			    "{\"alert\":\"resolved\",\"alert_id\":\"068e8c2ef2a7f65c\",\"seq\":42,"
			    "\"ts\":\"2026-11-29T08:00:01.000Z\",\"type\":\"system\",\"system\":"
			    "\"limit\",\"severity\":\"warning\",\"limit\":\"system_alerts\","
			    "\"evicted\":1,\"message\":\"system alerts of feed sources have room "
			    "again: 1 dropped in all\"}");
	assert_false(engine_system_alert_open(f->engine, "limit", "system_alerts"));
}

/* A connection without a hello (#1.1): a line taken, then only refused ones for 300 s:
 * feed_rejecting; its connection closes: resolved, saying so (before: open for ever, its key
 * never sends again). */
static void test_closed_connection_resolves_feed_rejecting(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	const char *bad = "{\"type\":\"call_start\",\"ts\":1795939200000}";

	send_unnamed(f, "#1.1", T0, incident("a", T0, 0), false, &verdict);
	send_unnamed(f, "#1.1", T0 + 1000, bad, false, &verdict);
	send_unnamed(f, "#1.1", T0 + 301000, bad, false, &verdict);
	assert_int_equal(f->alert_count, 1);
	assert_true(engine_system_alert_open(f->engine, "feed_rejecting", "#1.1"));
	send_unnamed(f, "#1.1", T0 + 302000, "", true, &verdict);
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1], FEED_REJECTING_CLOSED);
	assert_false(engine_system_alert_open(f->engine, "feed_rejecting", "#1.1"));
	assert_int_equal(engine_source_count(f->engine), 0);
}

/* cad-1, heard once, then only refused lines (a call-taker it may not speak for, a bad line):
 * after feed.silence_seconds (300) of host time since the first of them, feed_rejecting
 * opens, once; its next line taken resolves it. cad-x, never heard, is not told. */
static void test_feed_rejecting_notice(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	const char *bad = "{\"type\":\"call_start\",\"ts\":1795939200000}";

	send_ok(f, "cad-1", T0, incident("a", T0, 0));
	send_from(f, "cad-1", T0 + 100000, bad, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_MISSING_FIELD);
	send_from(f, "cad-x", T0 + 100000, bad, &verdict);
	send_from(f, "cad-1", T0 + 299999, bad, &verdict);
	assert_int_equal(f->alert_count, 0);
	send_from(f, "cad-1", T0 + 399999, bad, &verdict);
	assert_int_equal(f->alert_count, 0);
	send_from(f, "cad-x", T0 + 400000, bad, &verdict);
	send_from(f, "cad-1", T0 + 400000, bad, &verdict);
	send_from(f, "cad-1", T0 + 400500, bad, &verdict);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], FEED_REJECTING_FIRING);
	assert_true(engine_system_alert_open(f->engine, "feed_rejecting", "cad-1"));
	send_ok(f, "cad-1", T0 + 401000, incident("b", T0 + 401000, 0));
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1], FEED_REJECTING_RESOLVED);
	assert_false(engine_system_alert_open(f->engine, "feed_rejecting", "cad-1"));
}

/* Review D3: cad-1's line taken at 08:00, then an hour of quiet. Its first refused line starts
 * the run (before: it fired at once, the last line taken an hour old); heartbeats in between do
 * not end it (before: each one did, so a CAD that heartbeats was never told): 300 s after the
 * run's first refused line, feed_rejecting opens. */
static void test_feed_rejecting_after_quiet_and_heartbeats(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	const char *bad = "{\"type\":\"call_start\",\"ts\":1795939200000}";

	send_ok(f, "cad-1", T0, incident("a", T0, 0));
	send_from(f, "cad-1", T0 + 60 * MINUTE, bad, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_MISSING_FIELD);
	assert_int_equal(f->alert_count, 0);
	heartbeat(f, "cad-1", T0 + 61 * MINUTE);
	send_from(f, "cad-1", T0 + 62 * MINUTE, bad, &verdict);
	heartbeat(f, "cad-1", T0 + 63 * MINUTE);
	heartbeat(f, "cad-1", T0 + 64 * MINUTE);
	send_from(f, "cad-1", T0 + 65 * MINUTE - 1, bad, &verdict);
	assert_int_equal(f->alert_count, 0);
	heartbeat(f, "cad-1", T0 + 65 * MINUTE - 1);
	send_from(f, "cad-1", T0 + 65 * MINUTE, bad, &verdict);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], FEED_REJECTING_AFTER_QUIET);
	assert_true(engine_system_alert_open(f->engine, "feed_rejecting", "cad-1"));
}

/* The reorder buffer (tracker.max_reorder_events, at its least: 16) full while cad-1 waits for
 * cad-2, 10 minutes behind: a limit alert, resolved after resolve_after_seconds (60) of event
 * time without a further overflow. */
static void test_reorder_limit_notice(void **state)
{
	struct fixture *f = *state;
	char call_id[16];

	f->config.tracker.max_reorder_events = 16;
	renew_engine(f);
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("slow", T0, 0));
	for (int i = 0; i < 17; i++) {
		snprintf(call_id, sizeof(call_id), "q%d", i);
		send_ok(f, "cad-1", ENGINE_NO_TIME,
			incident(call_id, T0 + 10 * MINUTE + i * 1000, 0));
	}
	assert_int_equal(engine_stats(f->engine)->reorder_overflows, 1);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0], REORDER_FIRING);
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("caught-up", T0 + 10 * MINUTE + 16000, 0));
	assert_int_equal(f->alert_count, 1);
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("ahead", T0 + 11 * MINUTE + 16000, 0));
	assert_int_equal(f->alert_count, 2);
	assert_string_equal(f->alerts[1], REORDER_RESOLVED);
}

/* What the call observer saw: the calls completed, and the last one's fields. */
struct observed_calls {
	size_t count;
	char call_id[32];
	int64_t start_ms, end_ms;
	bool had_incident;
};

static void observe_call(const struct completed_call *call, bool premature, void *ctx)
{
	struct observed_calls *seen = ctx;

	(void)premature;
	seen->count++;
	snprintf(seen->call_id, sizeof(seen->call_id), "%s", call->call_id);
	seen->start_ms = call->start_ms;
	seen->end_ms = call->end_ms;
	seen->had_incident = call->had_incident;
}

/* Events the buffer releases are tracked under their own call (the hash it kept from the
 * parse): the start of "ov", let go early by the full buffer (the center then passes cad-2,
 * which no longer holds the rest), its incident and end, released in order, make one completed
 * call with its incident. */
static void test_reorder_overflow_keeps_the_call(void **state)
{
	struct fixture *f = *state;
	struct observed_calls seen = { 0 };
	char line[256], call_id[16];

	f->config.tracker.max_reorder_events = 16;
	renew_engine(f);
	engine_set_call_observer(f->engine, observe_call, &seen);
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("slow", T0, 0));
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"ov\",\"ts\":%lld,\"operator\":\"op-1\","
		 "\"agency\":\"NOPD\",\"position\":\"P1\"}",
		 (long long)(T0 + 10 * MINUTE));
	send_ok(f, "cad-1", ENGINE_NO_TIME, line);
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("ov", T0 + 10 * MINUTE + 500, 0));
	for (int i = 0; i < 16; i++) {
		snprintf(call_id, sizeof(call_id), "q%d", i);
		send_ok(f, "cad-1", ENGINE_NO_TIME,
			incident(call_id, T0 + 10 * MINUTE + 1000 + i * 1000, 0));
	}
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_end\",\"call_id\":\"ov\",\"ts\":%lld,"
		 "\"released_by\":\"caller\"}",
		 (long long)(T0 + 10 * MINUTE + 30000));
	send_ok(f, "cad-1", ENGINE_NO_TIME, line);
	assert_int_equal(engine_stats(f->engine)->reorder_overflows, 1);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.call_id, "ov");
	assert_int_equal(seen.start_ms, T0 + 10 * MINUTE);
	assert_int_equal(seen.end_ms, T0 + 10 * MINUTE + 30000);
	assert_true(seen.had_incident);
}

/* The source clocks are sized by feed.max_sources too: a third source with room for two
 * forgets one, and the feed.max_sources limit alert counts it (with the numbering's). Both
 * new limits are in the list STATUS= and the log go through. */
static void test_clock_table_limit_notice(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(engine_limit_key(6), "feed.max_sources");
	assert_string_equal(engine_limit_key(8), "tracker.max_reorder_events");
	assert_string_equal(engine_limit_key(ENGINE_LIMIT_COUNT), "");
	f->config.feed.max_sources = 2;
	renew_engine(f);
	send_ok(f, "cad-1", ENGINE_NO_TIME, incident("a", T0, 0));
	send_ok(f, "cad-2", ENGINE_NO_TIME, incident("b", T0 + 1000, 0));
	assert_int_equal(f->alert_count, 0);
	send_ok(f, "cad-3", ENGINE_NO_TIME, incident("c", T0 + 2000, 0));
	assert_int_equal(engine_stats(f->engine)->clocks_evicted, 1);
	assert_int_equal(engine_limit_evicted(engine_stats(f->engine), 6), 1);
	assert_int_equal(f->alert_count, 1);
	assert_string_equal(f->alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"f372105e8bc39896\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:00:02.000Z\","
			    "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\","
			    "\"limit\":\"feed.max_sources\",\"evicted\":1,\"message\":\"feed "
			    "sources' numbering or "
			    "clocks forgotten (feed.max_sources 2 reached): 1 so far; raise "
			    "feed.max_sources\"}");
}

/* One line of a script: its source, host time, and the line (NULL epoch: unnumbered). */
struct step {
	const char *source;
	const char *epoch;
	bool first;
	uint64_t seq;
	int64_t received_ms;
	int64_t ts_ms;
};

static const struct step notice_script[] = {
	{"cad-1", "2026-11-01", true, 7, T0, T0},
	{"cad-2", NULL, false, 0, T0 + 1000, T0 + YEAR},          /* clock_ahead */
	{"cad-1", "2026-11-29", true, 1, T0 + 2000, T0 + 2000},   /* sender_restarted */
	{"cad-2", NULL, false, 0, T0 + 3000, T0 + 3000},
	{"cad-1", "2026-11-29", false, 2, T0 + 30000, T0 + 30000},
	{"cad-2", NULL, false, 0, T0 + 40000, T0 + YEAR + 1000},  /* refused again */
	{"cad-1", "2026-11-29", false, 3, T0 + 70000, T0 + 70000}, /* sender_restarted resolved */
	{"cad-2", NULL, false, 0, T0 + 90000, T0 + 90000},         /* 50 s: clock_ahead open */
	{"cad-2", NULL, false, 0, T0 + 100000, T0 + 100000},       /* clock_ahead resolved */
};
#define NOTICE_STEPS (sizeof(notice_script) / sizeof(notice_script[0]))

static void run_steps(struct engine *engine, size_t from, size_t to)
{
	struct engine_verdict verdict;

	for (size_t i = from; i < to; i++) {
		const struct step *step = &notice_script[i];
		struct engine_origin origin = { .source = step->source,
						.named = true,
						.epoch = step->epoch,
						.first_of_connection = step->first,
						.received_ms = step->received_ms };
		char call_id[32];
		snprintf(call_id, sizeof(call_id), "s%zu", i);
		const char *line = incident(call_id, step->ts_ms, step->seq);
		engine_process_from(engine, &origin, line, strlen(line), &verdict);
	}
}

typedef void (*script_fn)(struct engine *engine, size_t from, size_t to);

/* A new engine under f->config fed steps [0, cut) of run, snapshotted, restored (checked by
 * check after step cut == at), and fed the rest, for every cut: f's alerts, byte for byte. */
static void expect_same_at_every_cut(struct fixture *f, script_fn run, size_t steps, size_t at,
				     void (*check)(const struct engine *engine))
{
	static struct fixture split;
	char why[128];

	for (size_t cut = 0; cut <= steps; cut++) {
		struct codec_writer writer = {0};
		memset(&split, 0, sizeof(split));
		struct engine *before = engine_new(&f->config, collect_alert, &split);
		run(before, 0, cut);
		engine_snapshot(before, &writer);
		engine_free(before);
		assert_false(writer.failed);
		struct engine *after = engine_restore(writer.data, writer.len, NULL, collect_alert,
						      &split, why, sizeof(why));
		codec_writer_release(&writer);
		assert_non_null(after);
		if (cut == at)
			check(after);
		run(after, cut, steps);
		engine_free(after);
		assert_int_equal(split.alert_count, f->alert_count);
		for (size_t i = 0; i < f->alert_count; i++)
			assert_string_equal(split.alerts[i], f->alerts[i]);
	}
}

/* After step 3: cad-2's clock_ahead and cad-1's sender_restarted open. */
static void notices_open_at_3(const struct engine *engine)
{
	assert_true(engine_system_alert_open(engine, "clock_ahead", "cad-2"));
	assert_true(engine_system_alert_open(engine, "sender_restarted", "cad-1"));
}

/* A snapshot taken with clock_ahead and sender_restarted open (or between any two lines),
 * restored, and fed the rest: the same notices, byte for byte, as one run. */
static void test_source_notices_survive_snapshot(void **state)
{
	struct fixture *f = *state;

	run_steps(f->engine, 0, NOTICE_STEPS);
	assert_int_equal(f->alert_count, 4);
	assert_string_equal(f->alerts[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"9ceb44f5fa130cbc\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:00:01.000Z\",\"type\":\"system\",\"system\":"
			    "\"clock_ahead\","
			    "\"severity\":\"critical\",\"source\":\"cad-2\",\"message\":\"feed "
			    "source cad-2's clock is "
			    "364 days ahead of this host: its events are refused "
			    "(feed.max_future_seconds 300)\"}");
	assert_non_null(strstr(f->alerts[1],
			       "\"seq\":2,\"ts\":\"2026-11-29T08:00:02.000Z\",\"type\":\"system\","
			       "\"system\":\"sender_restarted\","));
	assert_non_null(
		strstr(f->alerts[1],
		       "\"message\":\"feed source cad-1 restarted its numbering (epoch "
		       "2026-11-29): seq 1 after 7; its events are taken as new from there\"}"));
	assert_non_null(strstr(
		f->alerts[2], "{\"alert\":\"resolved\",\"alert_id\":\"467c603ba101b4ec\",\"seq\":3,"
			      "\"ts\":\"2026-11-29T08:01:10.000Z\""));
	/* Refused again at 08:00:40: 50 s later it is still open, 60 s later resolved. */
	assert_non_null(strstr(
		f->alerts[3], "{\"alert\":\"resolved\",\"alert_id\":\"9ceb44f5fa130cbc\",\"seq\":4,"
			      "\"ts\":\"2026-11-29T08:01:40.000Z\""));
	expect_same_at_every_cut(f, run_steps, NOTICE_STEPS, 3, notices_open_at_3);
}

/* How a line of ending_script is made: taken, refused (a missing field), a heartbeat, the
 * close of a connection without a hello, a line from a year ahead. */
enum ending_act { TAKEN, REFUSED, BEAT, CLOSE, FUTURE };

/* One line of ending_script: a source ("#..." without a hello), its host time, what it is,
 * and its seq (0: none). */
struct ending_step {
	const char *source;
	int64_t received_ms;
	enum ending_act act;
	uint64_t seq;
};

/* feed.max_sources 3: notices raised, then ended by a close and by clocks forgotten. */
static const struct ending_step ending_script[] = {
	{"cad-1", T0, TAKEN, 0},
	{"cad-1", T0 + 60000, BEAT, 0},
	{"cad-1", T0 + 100000, REFUSED, 0},  /* its run of refused lines starts */
	{"cad-1", T0 + 200000, BEAT, 0},     /* does not end it */
	{"cad-1", T0 + 400000, REFUSED, 0},  /* feed_rejecting */
	{"#1.1", T0 + 401000, TAKEN, 0},
	{"#1.1", T0 + 402000, REFUSED, 0},
	{"#1.1", T0 + 702000, REFUSED, 0},   /* feed_rejecting */
	{"#1.1", T0 + 703000, CLOSE, 0},     /* resolved: connection closed */
	{"cad-2", T0 + 704000, FUTURE, 0},   /* clock_ahead */
	{"cad-3", T0 + 705000, TAKEN, 1},
	{"cad-3", T0 + 705500, TAKEN, 2000000}, /* seq_rejected */
	{"cad-4", T0 + 706000, TAKEN, 0},    /* forgets cad-2: clock_ahead resolved */
	{"cad-5", T0 + 707000, TAKEN, 0},    /* forgets cad-1: feed_rejecting resolved */
	{"cad-6", T0 + 708000, TAKEN, 0},    /* forgets cad-3: seq_rejected resolved */
};
#define ENDING_STEPS (sizeof(ending_script) / sizeof(ending_script[0]))

static void run_ending(struct engine *engine, size_t from, size_t to)
{
	struct engine_verdict verdict;

	for (size_t i = from; i < to; i++) {
		const struct ending_step *step = &ending_script[i];
		struct engine_origin origin = {.source = step->source,
					       .named = step->source[0] != '#',
					       .first_of_connection = step->seq == 1,
					       .closed = step->act == CLOSE,
					       .received_ms = step->received_ms};
		char call_id[32];
		const char *line = "";
		snprintf(call_id, sizeof(call_id), "e%zu", i);
		if (step->act == TAKEN)
			line = incident(call_id, step->received_ms, step->seq);
		else if (step->act == FUTURE)
			line = incident(call_id, step->received_ms + YEAR, 0);
		else if (step->act == REFUSED)
			line = "{\"type\":\"call_start\",\"ts\":1795939200000}";
		engine_process_from(engine, &origin, line, strlen(line), &verdict);
	}
}

/* After step 7 (a snapshot at cut 8): cad-1's and #1.1's feed_rejecting open. */
static void rejecting_open_at_8(const struct engine *engine)
{
	assert_true(engine_system_alert_open(engine, "feed_rejecting", "cad-1"));
	assert_true(engine_system_alert_open(engine, "feed_rejecting", "#1.1"));
}

/* Review D3, D5, M2: feed_rejecting through heartbeats, resolved by a close and by a clock
 * forgotten, clock_ahead and seq_rejected by clocks forgotten, each saying why; and a
 * snapshot between any two lines, restored (the run of refused lines, the open notices' marks)
 * and fed the rest, gives the same notices, byte for byte (replay equals live). */
static void test_ending_notices_survive_snapshot(void **state)
{
	struct fixture *f = *state;
	static const char *const expected[][3] = {
		{"firing\",\"alert_id\":\"1a114f9bf4532820\",\"seq\":1,", "\"source\":\"cad-1\"",
		 "lines have all been refused for 300 s (the last refused: missing_field)"},
		{"firing\",\"alert_id\":\"072195353c04b7fc\",\"seq\":2,", "\"source\":\"#1.1\"",
		 "lines have all been refused for 300 s"},
		{"resolved\",\"alert_id\":\"072195353c04b7fc\",\"seq\":3,", "\"source\":\"#1.1\"",
		 "\"feed source #1.1's connection closed: no more of its events can come\"}"},
		{"firing\",\"alert_id\":\"122bce5274594006\",\"seq\":4,", "\"clock_ahead\"",
		 "\"feed source cad-2's clock is 1 year ahead"},
		{"firing\",\"alert_id\":\"80ebad71cc250d79\",\"seq\":5,", "\"seq_rejected\"",
		 "\"feed source cad-3's lines are refused: seq 2000000"},
		{"resolved\",\"alert_id\":\"122bce5274594006\",\"seq\":6,", "\"clock_ahead\"",
		 "\"feed source cad-2 forgotten (feed.max_sources 3 reached): its clock is gone, "
		 "and this notice with it\"}"},
		{"firing\",\"alert_id\":\"795d110b4c09fdcf\",\"seq\":7,", "\"feed.max_sources\"",
		 "1 so far"},
		{"resolved\",\"alert_id\":\"1a114f9bf4532820\",\"seq\":8,", "\"feed_rejecting\"",
		 "\"feed source cad-1 forgotten (feed.max_sources 3 reached)"},
		{"resolved\",\"alert_id\":\"80ebad71cc250d79\",\"seq\":9,", "\"seq_rejected\"",
		 "\"feed source cad-3 forgotten (feed.max_sources 3 reached)"},
	};

	f->config.feed.max_sources = 3;
	renew_engine(f);
	run_ending(f->engine, 0, ENDING_STEPS);
	assert_int_equal(f->alert_count, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < f->alert_count; i++)
		for (size_t k = 0; k < 3; k++)
			assert_non_null(strstr(f->alerts[i], expected[i][k]));
	expect_same_at_every_cut(f, run_ending, ENDING_STEPS, 8, rejecting_open_at_8);
}

/* ---- any interleaving of the sources gives the merged run's alerts ----------------------- */

#define SOURCES 4

struct arrival {
	size_t event;        /* into the day's events */
	int64_t received_ms; /* when it reached the engine */
	uint64_t tiebreak;
};

static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int by_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->received_ms != y->received_ms)
		return x->received_ms < y->received_ms ? -1 : 1;
	return x->tiebreak < y->tiebreak ? -1 : x->tiebreak > y->tiebreak;
}

/* Every alert line of one run, joined with "\n". */
struct run_output {
	char *text;
	size_t len;
	size_t alerts;
};

static void append_alert(const struct alert *alert, const char *json, size_t json_len, void *ctx)
{
	struct run_output *out = ctx;

	(void)alert;
	out->text = realloc(out->text, out->len + json_len + 2);
	assert_non_null(out->text);
	memcpy(out->text + out->len, json, json_len);
	out->len += json_len;
	out->text[out->len++] = '\n';
	out->text[out->len] = '\0';
	out->alerts++;
}

static const char *const source_names[SOURCES] = {"cad-1", "cad-2", "cad-3", "cad-4"};

static const char *source_of(const struct sim_shift *day, size_t event)
{
	return source_names[day->calls[day->events[event].call_index].operator_index % SOURCES];
}

/* Run the arrivals through a new engine; named: with each event's source, else as one stream. */
static void run_arrivals(const struct config *config, const struct sim_scenario *scenario,
			 const struct sim_shift *day, const struct arrival *arrivals, size_t count,
			 bool named, struct run_output *out)
{
	struct engine *engine = engine_new(config, append_alert, out);
	char line[SIM_LINE_MAX];
	struct engine_verdict verdict;

	assert_non_null(engine);
	for (size_t s = 0; named && s < SOURCES; s++) {
		/* Every CAD connects before the day: its hello announces it. */
		struct engine_origin hello = {.source = source_names[s], .named = true,
					      .received_ms = arrivals[0].received_ms - 1};
		engine_process_from(engine, &hello, "", 0, &verdict);
	}
	for (size_t i = 0; i < count; i++) {
		size_t len = sim_format_event(scenario, day, arrivals[i].event, line);
		struct engine_origin origin = { .source = named ? source_of(day, arrivals[i].event)
								: "",
						.named = named,
						.received_ms = arrivals[i].received_ms };
		engine_process_from(engine, &origin, line, len - 1, &verdict);
		assert_int_equal(verdict.reject, EVENT_OK);
		assert_false(verdict.late);
	}
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->events, count);
	engine_free(engine);
}

/* Each source's events delayed by its own link (0 to 5 minutes, plus up to 20 s of jitter,
 * never reordering a source's own events), then merged by arrival. */
static void shuffle_across_sources(const struct sim_shift *day, uint64_t seed,
				   struct arrival *arrivals)
{
	int64_t delay_ms[SOURCES], last_ms[SOURCES];
	uint64_t random = seed;

	for (size_t s = 0; s < SOURCES; s++) {
		delay_ms[s] = (int64_t)(next_random(&random) % 300001);
		last_ms[s] = INT64_MIN;
	}
	for (size_t i = 0; i < day->event_count; i++) {
		size_t s = day->calls[day->events[i].call_index].operator_index % SOURCES;
		int64_t at = day->events[i].ts_ms + delay_ms[s] +
			     (int64_t)(next_random(&random) % 20001);
		/* strictly after the source's previous arrival: a tie would let the cross-source
		 * tiebreak reorder the source's own events */
		last_ms[s] = at > last_ms[s] ? at : last_ms[s] + 1;
		arrivals[i] = (struct arrival){ .event = i,
						.received_ms = last_ms[s],
						.tiebreak = next_random(&random) };
	}
	qsort(arrivals, day->event_count, sizeof(*arrivals), by_arrival);
}

static void test_interleavings_give_the_merged_alerts(void **state)
{
	struct fixture *f = *state;
	struct sim_scenario scenario;
	struct sim_shift day = {0};
	char why[SIM_WHY_MAX];
	static const size_t expected_alerts[] = {
		82, 55, 73
	}; /* with updates and unacknowledged escalations */

	config_set_defaults(&f->config); /* the default rules */
	/* Within the bounds: no source goes idle, or falls further behind than a quiet hour (of
	 * the other sources, or of the host clock: each arrives up to 320 s late). */
	f->config.feed.source_idle_seconds = 86400;
	f->config.tracker.max_source_lag_seconds = 3600;
	f->config.tracker.max_source_behind_seconds = 3600;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct run_output merged = {0}, stream = {0};
		assert_int_equal(sim_scenario_preset(&scenario, "several-bad"), 0);
		scenario.seed = seed;
		assert_int_equal(sim_shift_generate(&scenario, &day, why, sizeof(why)), 0);
		struct arrival *arrivals = calloc(day.event_count, sizeof(*arrivals));
		assert_non_null(arrivals);
		for (size_t i = 0; i < day.event_count; i++)
			arrivals[i] =
				(struct arrival){ .event = i, .received_ms = day.events[i].ts_ms };
		run_arrivals(&f->config, &scenario, &day, arrivals, day.event_count, true, &merged);
		run_arrivals(&f->config, &scenario, &day, arrivals, day.event_count, false,
			     &stream);
		assert_int_equal(merged.alerts, expected_alerts[seed - 1]);
		assert_string_equal(merged.text, stream.text);
		for (uint64_t shuffle = 1; shuffle <= 4; shuffle++) {
			struct run_output shuffled = {0};
			shuffle_across_sources(&day, seed * 1000 + shuffle, arrivals);
			run_arrivals(&f->config, &scenario, &day, arrivals, day.event_count, true,
				     &shuffled);
			assert_int_equal(shuffled.len, merged.len);
			assert_memory_equal(shuffled.text, merged.text, merged.len);
			free(shuffled.text);
		}
		free(arrivals);
		free(merged.text);
		free(stream.text);
	}
	sim_shift_free(&day);
}

/*
 * The center clock as computed before issue 17 (two passes, the tie broken by strcmp and the
 * name copied at every new minimum), kept here verbatim in meaning to prove the faster
 * clocks_center gives the same center for every input.
 */
static bool old_fresh(const struct clocks_source *source, const struct clocks_bounds *bounds)
{
	/* A source without a clock: from its first sight, heartbeats do not renew it (audit F1). */
	int64_t from = source->newest_ms == INT64_MIN ? source->since_ms : source->heard_ms;

	if (bounds->now_ms == INT64_MIN)
		return source->newest_ms != INT64_MIN;
	if (from == INT64_MIN || from < bounds->now_ms - bounds->idle_ms)
		return false;
	/* Behind the host and the lead for more than max_behind_ms: not waited for (audit F2). */
	return bounds->max_behind_ms <= 0 || source->behind_since_ms == INT64_MIN ||
	       source->behind_since_ms >= bounds->now_ms - bounds->max_behind_ms;
}

static bool old_held(const struct clocks_source *source, int64_t lead,
		     const struct clocks_bounds *bounds)
{
	if (!old_fresh(source, bounds))
		return false;
	if (source->newest_ms == INT64_MIN)
		return true;
	return source->newest_ms >= bounds->center_ms &&
	       source->newest_ms >= lead - bounds->max_lag_ms;
}

static void old_center(const struct clocks *clocks, const struct clocks_bounds *bounds,
		       struct clocks_center *out)
{
	int64_t lead = INT64_MIN;

	for (size_t i = 0; i < clocks_count(clocks); i++) {
		const struct clocks_source *source = clocks_at(clocks, i);
		if (source->newest_ms > lead && old_fresh(source, bounds))
			lead = source->newest_ms;
	}
	*out = (struct clocks_center){.center_ms = INT64_MAX, .tie_name = ""};
	for (size_t i = 0; i < clocks_count(clocks); i++) {
		const struct clocks_source *source = clocks_at(clocks, i);
		if (!old_held(source, lead, bounds))
			continue;
		if (!out->any_held || source->newest_ms < out->center_ms ||
		    (source->newest_ms == out->center_ms &&
		     strcmp(source->name, out->tie_name) < 0)) {
			out->center_ms = source->newest_ms;
			out->tie_name = source->name;
		}
		out->any_held = true;
	}
}

static void set_clock(struct clocks *clocks, const char *name, int64_t newest_ms, int64_t heard_ms)
{
	struct clocks_source *source = clocks_get(clocks, name);

	source->newest_ms = newest_ms;
	clocks_heard(source, heard_ms);
}

/* Both computations agree, and the center is (any_held, center_ms, tie_name). */
static void expect_center(struct clocks *clocks, const struct clocks_bounds *bounds,
			  bool any_held, int64_t center_ms, const char *tie_name)
{
	struct clocks_center got;
	struct clocks_center want;

	clocks_center(clocks, bounds, &got);
	old_center(clocks, bounds, &want);
	assert_int_equal(got.any_held, any_held);
	assert_int_equal(got.center_ms, center_ms);
	assert_string_equal(got.tie_name, tie_name);
	assert_int_equal(want.any_held, any_held);
	assert_int_equal(want.center_ms, center_ms);
	assert_string_equal(want.tie_name, tie_name);
}

/* Exact centers: the oldest held clock, ties by name, a wrong (far behind) clock judged on its
 * own, a source idle, one announced without a clock, one joining, one forgotten. */
static void test_center_exact_values(void **state)
{
	struct clocks *clocks = clocks_new(4);
	struct clocks_bounds b = { .now_ms = T0 + 10 * MINUTE,
				   .idle_ms = 5 * MINUTE,
				   .max_lag_ms = 15 * MINUTE,
				   .center_ms = INT64_MIN };

	(void)state;
	assert_non_null(clocks);
	expect_center(clocks, &b, false, INT64_MAX, "");
	set_clock(clocks, "cad-2", T0 + 3000, T0 + 10 * MINUTE);
	set_clock(clocks, "cad-1", T0 + 5000, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, T0 + 3000, "cad-2");
	/* Equal clocks: the name first in strcmp order, whatever the order they joined in. */
	set_clock(clocks, "cad-1", T0 + 3000, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, T0 + 3000, "cad-1");
	set_clock(clocks, "cad-0", T0 + 3000, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, T0 + 3000, "cad-0");
	/* A wrong clock 16 minutes behind the lead is not waited for: it cannot blind the
	 * center. */
	set_clock(clocks, "cad-0", T0 + 3000 - 16 * MINUTE, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, T0 + 3000, "cad-1");
	/* ... nor is a source behind the center. */
	set_clock(clocks, "cad-0", T0 + 2000, T0 + 10 * MINUTE);
	b.center_ms = T0 + 2500;
	expect_center(clocks, &b, true, T0 + 3000, "cad-1");
	b.center_ms = T0 + 2000;
	expect_center(clocks, &b, true, T0 + 2000, "cad-0");
	/* Idle: heard more than idle_ms before the host's newest time. */
	set_clock(clocks, "cad-0", T0 + 2000, T0 + 5 * MINUTE - 1);
	expect_center(clocks, &b, true, T0 + 3000, "cad-1");
	set_clock(clocks, "cad-0", T0 + 2000, T0 + 5 * MINUTE);
	expect_center(clocks, &b, true, T0 + 2000, "cad-0");
	/* Announced by a hello, no clock yet: everything waits for it. */
	set_clock(clocks, "cad-9", INT64_MIN, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, INT64_MIN, "cad-9");
	/* A fifth source forgets the least recently heard (cad-0); ranks follow. */
	set_clock(clocks, "cad-9", T0 + 3000, T0 + 10 * MINUTE);
	set_clock(clocks, "a", T0 + 3000, T0 + 10 * MINUTE);
	assert_int_equal(clocks_evicted(clocks), 1);
	assert_int_equal(clocks_count(clocks), 4);
	expect_center(clocks, &b, true, T0 + 3000, "a");
	set_clock(clocks, "a", T0 + 4000, T0 + 10 * MINUTE);
	expect_center(clocks, &b, true, T0 + 3000, "cad-1");
	/* Without a host clock every source with a clock is fresh. */
	b.now_ms = INT64_MIN;
	set_clock(clocks, "cad-1", T0 + 3500, INT64_MIN);
	expect_center(clocks, &b, true, T0 + 3000, "cad-2");
	/* A shrink keeps the most recently heard (cad-1 was never heard; of the rest, equally
	 * recent, the first is forgotten: cad-2) and the ranks stay right. */
	assert_int_equal(clocks_resize(clocks, 2, NULL, NULL), 0);
	assert_int_equal(clocks_count(clocks), 2);
	expect_center(clocks, &b, true, T0 + 3000, "cad-9");
	set_clock(clocks, "b", T0 + 3000, T0);
	expect_center(clocks, &b, true, T0 + 3000, "b");
	clocks_free(clocks);
}

/* Twenty sources at one clock: the first name wins after any order of joining, and after a
 * snapshot is loaded (the ranks are rebuilt). */
static void test_center_many_sources_and_load(void **state)
{
	struct clocks *clocks = clocks_new(64);
	struct clocks *loaded = clocks_new(64);
	struct clocks_bounds b = {
		.now_ms = T0, .idle_ms = MINUTE, .max_lag_ms = MINUTE, .center_ms = INT64_MIN
	};
	struct codec_writer writer = { 0 };
	struct codec_reader reader = { 0 };
	char name[16];

	(void)state;
	for (int i = 19; i >= 0; i--) {
		snprintf(name, sizeof(name), "feed-%02d", (i * 7) % 20);
		set_clock(clocks, name, T0 - 1000, T0);
	}
	expect_center(clocks, &b, true, T0 - 1000, "feed-00");
	set_clock(clocks, "feed-00", T0, T0);
	expect_center(clocks, &b, true, T0 - 1000, "feed-01");
	clocks_save(clocks, &writer);
	assert_false(writer.failed);
	reader.data = writer.data;
	reader.len = writer.len;
	assert_int_equal(clocks_load(loaded, &reader), 0);
	expect_center(loaded, &b, true, T0 - 1000, "feed-01");
	set_clock(loaded, "feed-01", T0, T0);
	expect_center(loaded, &b, true, T0 - 1000, "feed-02");
	set_clock(loaded, "feed-000", T0 - 1000, T0);
	expect_center(loaded, &b, true, T0 - 1000, "feed-000");
	codec_writer_release(&writer);
	clocks_free(clocks);
	clocks_free(loaded);
}

/* Six sources taking turns, each moving past the others: the oldest moves on every step and
 * the runner-up takes its place (the kept center, not a pass); then the oldest goes idle. */
static void test_center_kept_round_robin(void **state)
{
	struct clocks *clocks = clocks_new(8);
	struct clocks_bounds b = {
		.now_ms = T0, .idle_ms = MINUTE, .max_lag_ms = MINUTE, .center_ms = INT64_MIN
	};
	char name[16];
	char want[16];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "feed-%d", i);
		set_clock(clocks, name, T0 + i * 1000, T0);
	}
	expect_center(clocks, &b, true, T0, "feed-0");
	for (int k = 0; k < 30; k++) {
		snprintf(name, sizeof(name), "feed-%d", k % 6);
		set_clock(clocks, name, T0 + (6 + k) * 1000, T0 + k);
		snprintf(want, sizeof(want), "feed-%d", (k + 1) % 6);
		b.center_ms = T0 + k * 1000;
		expect_center(clocks, &b, true, T0 + (k + 1) * 1000, want);
	}
	/* feed-0 (clock T0 + 30 s) was last heard at T0 + 24 ms: past idle, the next one holds. */
	b.now_ms = T0 + MINUTE + 25;
	expect_center(clocks, &b, true, T0 + 31 * 1000, "feed-1");
	clocks_free(clocks);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* 100,000 random updates over 1..50 sources (joining, forgotten, idle, hello-only, clocks
 * that tie, jump ahead and fall behind; resizes and snapshot loads): the same center as the
 * old computation every time. */
static void test_center_matches_old_computation(void **state)
{
	static const char *const prefixes[] = { "cad", "cad-", "feed-", "#", "", "b" };
	struct clocks *clocks = clocks_new(50);
	struct clocks_bounds b = {
		.now_ms = T0, .idle_ms = 2000, .max_lag_ms = 3000, .center_ms = INT64_MIN
	};
	size_t held = 0;
	size_t ties = 0;
	size_t lagging = 0;

	(void)state;
	for (int step = 0; step < 100000; step++) {
		char name[32];
		uint64_t what = rnd(1000);
		struct clocks_center got;
		struct clocks_center want;

		snprintf(name, sizeof(name), "%s%u", prefixes[rnd(6)], (unsigned)rnd(60));
		if (what < 2) {
			assert_int_equal(
				clocks_resize(clocks, (uint32_t)(1 + rnd(50)), NULL, NULL), 0);
		} else if (what < 4) {
			struct codec_writer writer = { 0 };
			struct codec_reader reader = { 0 };
			struct clocks *loaded = clocks_new(50);
			clocks_save(clocks, &writer);
			reader.data = writer.data;
			reader.len = writer.len;
			if (clocks_count(clocks) <= 50) {
				assert_int_equal(clocks_resize(clocks, 50, NULL, NULL), 0);
				assert_int_equal(clocks_load(loaded, &reader), 0);
				clocks_free(clocks);
				clocks = loaded;
			} else {
				clocks_free(loaded);
			}
			codec_writer_release(&writer);
		} else if (what < 100) {
			b.now_ms = rnd(10) == 0 ? INT64_MIN : T0 + (int64_t)rnd(20000);
			b.idle_ms = (int64_t)rnd(5000);
			b.max_lag_ms = (int64_t)rnd(5000);
			b.max_behind_ms = rnd(4) == 0 ? 0 : (int64_t)rnd(8000);
		} else if (what < 150) {
			b.center_ms = rnd(8) == 0 ? INT64_MIN : T0 + (int64_t)rnd(20000) - 5000;
		} else if (what < 170) {
			set_clock(clocks, name, INT64_MIN, T0 + (int64_t)rnd(20000));
			clocks_get(clocks, name)->since_ms =
				rnd(4) == 0 ? INT64_MIN : T0 + (int64_t)rnd(20000);
		} else {
			struct clocks_source *source = clocks_get(clocks, name);
			/* The lookup (by hash, then name) finds the one source of that name. */
			assert_string_equal(source->name, name);
			for (size_t i = 0; i < clocks_count(clocks); i++)
				assert_true(clocks_at(clocks, i) == source ||
					    strcmp(clocks_at(clocks, i)->name, name) != 0);
			/* Coarse clocks so that equal clocks (ties) are common. */
			source->newest_ms = T0 + (int64_t)rnd(40) * 500 - 5000;
			source->heard_ms = rnd(20) == 0 ? INT64_MIN : T0 + (int64_t)rnd(20000);
			source->behind_since_ms =
				rnd(6) == 0 ? T0 + (int64_t)rnd(20000) : INT64_MIN;
		}
		clocks_center(clocks, &b, &got);
		old_center(clocks, &b, &want);
		assert_int_equal(got.any_held, want.any_held);
		assert_int_equal(got.center_ms, want.center_ms);
		assert_string_equal(got.tie_name, want.tie_name);
		held += got.any_held;
		/* The oldest fresh source not behind the center lags too far: clocks_center's
		 * second pass decides. */
		struct clocks_bounds no_lag = b;
		no_lag.max_lag_ms = INT64_C(1) << 40;
		old_center(clocks, &no_lag, &want);
		lagging += want.any_held && (want.center_ms != got.center_ms ||
					     strcmp(want.tie_name, got.tie_name) != 0);
		for (size_t i = 0; got.any_held && i < clocks_count(clocks); i++)
			if (clocks_at(clocks, i)->newest_ms == got.center_ms &&
			    strcmp(clocks_at(clocks, i)->name, got.tie_name) != 0) {
				ties++;
				break;
			}
	}
	/* The walk exercised what it should: most centers held, many decided by name. */
	assert_true(held > 50000);
	assert_true(ties > 5000);
	assert_true(lagging > 5000);
	printf("differential: %zu held, %zu with a tie at the center's clock, %zu decided past a "
	       "lagging source\n",
	       held, ties, lagging);
	clocks_free(clocks);
}

/* ---- one wrong or idle clock must not blind the center (audit F1, F2, F10, F11) ---------- */

/* A call of call-taker a1 from source: started 5 s before end_ms, ended by the caller. */
static void send_call(struct fixture *f, const char *source, int64_t received_ms,
		      const char *call_id, int64_t end_ms)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":%lld,\"operator\":\"a1\","
		 "\"agency\":\"A\"}",
		 call_id, (long long)(end_ms - 5000));
	send_ok(f, source, received_ms, line);
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_end\",\"call_id\":\"%s\",\"ts\":%lld,"
		 "\"released_by\":\"caller\"}",
		 call_id, (long long)end_ms);
	send_ok(f, source, received_ms, line);
}

static uint64_t calls_judged(struct fixture *f)
{
	return engine_stats(f->engine)->detector.calls;
}

/* Probe 4 of the audit (F1): a standby CAD says hello and heartbeats every second, never an
 * event, while cad-a sends a call every 10 s. The standby holds the center only for
 * feed.source_idle_seconds (2 s) after its hello — heartbeats do not renew that — so cad-a's
 * first call is judged at the tick 2.5 s after the hello and every later one as it ends. (It
 * was held for ever: 0 calls judged, all buffered.) */
static void test_standby_holds_the_center_only_after_its_hello(void **state)
{
	struct fixture *f = *state;
	struct engine_source_info info;
	char call_id[16];

	for (int s = 0; s < 60; s++) {
		int64_t now = T0 + s * 1000;
		heartbeat(f, "standby", now);
		if (s % 10 == 0) {
			snprintf(call_id, sizeof(call_id), "C%d", s);
			send_call(f, "cad-a", now, call_id, now);
		}
		engine_tick(f->engine, now + 500);
		if (s == 1) {
			assert_int_equal(calls_judged(f), 0);
			assert_int_equal(engine_stats(f->engine)->buffered, 2);
			assert_int_equal(engine_center_ms(f->engine), INT64_MIN);
		} else if (s == 2) { /* the tick at T0 + 2.5 s */
			assert_int_equal(calls_judged(f), 1);
			assert_int_equal(engine_stats(f->engine)->buffered, 0);
			assert_int_equal(engine_center_ms(f->engine), T0);
		} else if (s > 2) {
			assert_int_equal(calls_judged(f), (uint64_t)s / 10 + 1);
		}
	}
	assert_int_equal(calls_judged(f), 6);
	assert_int_equal(engine_center_ms(f->engine), T0 + 50000);
	source_named(f, "standby", &info);
	assert_false(info.held);
	assert_int_equal(info.clock.since_ms, T0);
	assert_int_equal(info.clock.heard_ms, T0 + 59000);
	assert_int_equal(f->alert_count, 0);
	/* Its first event: it holds again, as any source with a clock. */
	send_ok(f, "standby", T0 + 60000, incident("s1", T0 + 60000, 0));
	source_named(f, "standby", &info);
	assert_true(info.held);
}

/* A name the binding refuses (unlisted_sources: reject) cannot hold the center with a hello
 * and heartbeats: it gets no clock at all (audit F1). */
static void test_unlisted_hello_holds_nothing(void **state)
{
	struct fixture *f = *state;
	struct engine_source_info info;

	f->config.unlisted_sources = CONFIG_UNLISTED_REJECT;
	f->config.source_count = 1;
	snprintf(f->config.sources[0].name, sizeof(f->config.sources[0].name), "cad-a");
	renew_engine(f);
	heartbeat(f, "rogue", T0);
	heartbeat(f, "cad-a", T0);
	assert_int_equal(engine_source_count(f->engine), 1);
	send_call(f, "cad-a", T0 + 100, "C1", T0 + 100);
	heartbeat(f, "rogue", T0 + 200);
	/* Nothing waits for the rogue: the call is judged at once. */
	assert_int_equal(calls_judged(f), 1);
	assert_int_equal(engine_stats(f->engine)->buffered, 0);
	assert_int_equal(engine_source_count(f->engine), 1);
	source_named(f, "cad-a", &info);
	assert_string_equal(info.clock.name, "cad-a");
}

/* clock_behind of cad-slow, firing and resolved. */
#define CLOCK_BEHIND_FIRING                                                                        \
	"{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":1,"                                     \
	"\"ts\":\"2026-11-29T08:00:42.000Z\",\"type\":\"system\",\"system\":\"clock_behind\","     \
	"\"severity\":\"warning\",\"source\":\"cad-slow\",\"message\":\"feed source cad-slow's "   \
	"clock is 10 minutes behind this host and the other sources: it holds their alerts back "  \
	"no more, its events are placed at once (tracker.max_source_behind_seconds 30)\"}"

/* Probe 5 of the audit (F2): cad-slow's clock runs 10 minutes slow, it sends an
 * operator_state every second; cad-a's call ends at host T0 + 10 s. cad-slow is behind the
 * host and cad-a from its event at T0 + 11 s; more than 30 s of host time later (the tick at
 * T0 + 41.5 s) it holds the center no more: cad-a's call is judged then (it waited 600 s),
 * and cad-slow's next event (T0 + 42 s) raises clock_behind. Once its clock is set right,
 * its first event detector.resolve_after_seconds (60 here) of host time after its last event
 * behind resolves it. */
static void test_slow_clock_stops_holding_and_is_named(void **state)
{
	struct fixture *f = *state;
	struct engine_source_info info;
	char line[256], firing[1024];

	for (int s = 0; s <= 45; s++) {
		int64_t now = T0 + s * 1000;
		snprintf(line, sizeof(line),
			 "{\"type\":\"operator_state\",\"operator\":\"s1\","
			 "\"state\":\"logged_on\",\"agency\":\"A\",\"ts\":%lld}",
			 (long long)(now - 10 * MINUTE));
		send_ok(f, "cad-slow", now, line);
		if (s == 10)
			send_call(f, "cad-a", now, "C1", now);
		engine_tick(f->engine, now + 500);
		if (s == 40) {
			assert_int_equal(calls_judged(f), 0);
			assert_int_equal(engine_stats(f->engine)->buffered, 2);
		}
		if (s == 41) { /* the tick at T0 + 41.5 s */
			assert_int_equal(calls_judged(f), 1);
			assert_int_equal(engine_stats(f->engine)->buffered, 0);
			assert_int_equal(f->alert_count, 0);
		}
		if (s == 42)
			assert_int_equal(f->alert_count, 1);
	}
	source_named(f, "cad-slow", &info);
	assert_false(info.held);
	assert_int_equal(info.clock.behind_since_ms, T0 + 11000);
	assert_int_equal(info.clock.behind_ms, T0 + 45000);
	assert_true(engine_system_alert_open(f->engine, "clock_behind", "cad-slow"));
	assert_int_equal(f->alert_count, 1);
	const char *id_at = strstr(f->alerts[0], "\"alert_id\":\"") + 12;
	char id[17];
	memcpy(id, id_at, 16);
	id[16] = '\0';
	snprintf(firing, sizeof(firing), CLOCK_BEHIND_FIRING, id);
	assert_string_equal(f->alerts[0], firing);
	/* cad-slow's events are placed at once, behind the center (by less than the allowed
	 * lateness: not judged on their own). */
	assert_int_equal(info.clock.late, 0);
	/* Set right: caught up at once, resolved once 60 s passed since its last event behind. */
	snprintf(line, sizeof(line),
		 "{\"type\":\"operator_state\",\"operator\":\"s1\","
		 "\"state\":\"logged_on\",\"agency\":\"A\",\"ts\":%lld}",
		 (long long)(T0 + 46000));
	send_ok(f, "cad-slow", T0 + 46000, line);
	source_named(f, "cad-slow", &info);
	assert_int_equal(info.clock.behind_since_ms, INT64_MIN);
	assert_true(info.held);
	assert_int_equal(f->alert_count, 1);
	snprintf(line, sizeof(line),
		 "{\"type\":\"operator_state\",\"operator\":\"s1\","
		 "\"state\":\"logged_on\",\"agency\":\"A\",\"ts\":%lld}",
		 (long long)(T0 + 105000));
	send_ok(f, "cad-slow", T0 + 105000, line);
	assert_int_equal(f->alert_count, 2);
	assert_non_null(strstr(f->alerts[1], "\"alert\":\"resolved\""));
	assert_non_null(strstr(f->alerts[1],
			       "\"message\":\"feed source cad-slow's clock has kept up again: none "
			       "of its events too far behind for 60 s\""));
	assert_false(engine_system_alert_open(f->engine, "clock_behind", "cad-slow"));
}

/* Audit F11: a connection without a hello leaves its "#S.N" clock when it closes, with its
 * clock_ahead resolved, unless events of it still wait in the reorder buffer (then the clock
 * stays, to be forgotten in time). A CAD reconnecting every minute no longer fills
 * feed.max_sources. */
static void test_closed_connection_drops_its_clock(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	send_unnamed(f, "#1.1", T0, incident("a", T0 + YEAR, 0), false, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_FUTURE);
	send_unnamed(f, "#1.1", T0, incident("a", T0, 0), false, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_true(engine_system_alert_open(f->engine, "clock_ahead", "#1.1"));
	assert_int_equal(engine_source_count(f->engine), 1);
	send_unnamed(f, "#1.1", T0 + 1000, "", true, &verdict);
	assert_int_equal(engine_source_count(f->engine), 0);
	assert_false(engine_system_alert_open(f->engine, "clock_ahead", "#1.1"));
	assert_int_equal(f->alert_count, 2);
	assert_non_null(strstr(f->alerts[1], "\"alert\":\"resolved\""));
	assert_non_null(strstr(f->alerts[1], "\"message\":\"feed source #1.1's connection closed: "
					     "no more of its events can come\""));
	assert_int_equal(engine_stats(f->engine)->clocks_evicted, 0);
	/* An event of it still waiting (cad-1 announced, holding the center): the clock stays. */
	heartbeat(f, "cad-1", T0 + 2000);
	send_unnamed(f, "#1.2", T0 + 2000, incident("b", T0 + 2000, 0), false, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->buffered, 1);
	send_unnamed(f, "#1.2", T0 + 2100, "", true, &verdict);
	assert_int_equal(engine_source_count(f->engine), 2);
	/* cad-1's 2 s without an event are over: b goes, #1.2's clock is stale (never held). */
	engine_tick(f->engine, T0 + 4001);
	assert_int_equal(engine_stats(f->engine)->buffered, 0);
	/* 1000 connections, one line each, closed: no clock left of them. */
	for (int i = 0; i < 1000; i++) {
		char key[16];
		snprintf(key, sizeof(key), "#2.%d", i);
		send_unnamed(f, key, T0 + 5000 + i, incident("c", T0 + 5000 + i, 0), false,
			     &verdict);
		assert_int_equal(verdict.reject, EVENT_OK);
		send_unnamed(f, key, T0 + 5000 + i, "", true, &verdict);
	}
	assert_int_equal(engine_source_count(f->engine), 2);
	assert_int_equal(engine_stats(f->engine)->clocks_evicted, 0);
}

/* A new engine with tracker.max_reorder_events 16 (and f->config's other settings), its buffer
 * filled with events 290 s ahead of the host clock: cad-hold's incident for h0 at T0 - 1 s
 * holds the center, cad-fast's incidents q0..q15 wait. */
static void fill_reorder_ahead(struct fixture *f)
{
	char call_id[16];

	f->config.tracker.max_reorder_events = 16;
	renew_engine(f);
	send_ok(f, "cad-hold", T0, incident("h0", T0 - 1000, 0));
	for (int i = 0; i < 16; i++) {
		snprintf(call_id, sizeof(call_id), "q%d", i);
		send_ok(f, "cad-fast", T0, incident(call_id, T0 + 290000 + i, 0));
	}
}

/* A call_start refused as reorder_full (the buffer full of events ahead of the host clock)
 * leaves no trace in what a source may say: its call is not bound (17 owners: h0 and q0..q15),
 * its call-taker not owned, and it spends none of its sender's new call-takers for the hour
 * (tracker.max_new_operators_per_source_per_hour 1): the next new one is taken. Before
 * review7, the binding admitted it before the buffer refused it: 18 owners, op1 owned, and op2
 * refused ("introduced 1 this hour already"). */
static void test_reorder_full_call_start_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;
	char line[256];

	f->config.tracker.max_new_operators_per_source_per_hour = 1;
	fill_reorder_ahead(f);
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"x1\",\"ts\":%lld,\"operator\":\"op1\","
		 "\"agency\":\"NOPD\"}", (long long)(T0 + 290016));
	send_from(f, "cad-fast", T0, line, &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_REORDER_FULL);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 17);
	assert_int_equal(engine_stats(f->engine)->binding.operators, 0);
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"x2\",\"ts\":%lld,\"operator\":\"op2\","
		 "\"agency\":\"NOPD\"}", (long long)(T0 - 900));
	send_from(f, "cad-fast", T0 + 10, line, &verdict);
	assert_int_equal(verdict.reject, EVENT_OK);
	assert_int_equal(engine_stats(f->engine)->binding.calls, 18);
	assert_int_equal(engine_stats(f->engine)->binding.operators, 1);
}

/* Probe 2 of the audit (F10): the reorder buffer full of events 290 s ahead of the host (within
 * feed.max_future_seconds) cannot move the center past the host clock. One more such event is
 * refused (reorder_full, counted); an event the host clock has reached goes at once in the
 * oldest's place; the center stays behind the host, and the limit alert counts both. */
static void test_full_reorder_buffer_keeps_the_center_behind_the_host(void **state)
{
	struct fixture *f = *state;
	struct engine_verdict verdict;

	fill_reorder_ahead(f);
	assert_int_equal(engine_stats(f->engine)->buffered, 16);
	send_from(f, "cad-fast", T0, incident("q16", T0 + 290016, 0), &verdict);
	assert_int_equal(verdict.reject, EVENT_REJECT_REORDER_FULL);
	assert_string_equal(verdict.why,
			    "incident: \"ts\" is 290 s ahead of the host clock, and the reorder "
			    "buffer is full of events ahead of it (tracker.max_reorder_events 16)");
	assert_int_equal(engine_stats(f->engine)->rejects[EVENT_REJECT_REORDER_FULL], 1);
	assert_int_equal(engine_center_ms(f->engine), T0 - 1000);
	send_ok(f, "cad-hold", T0 + 100, incident("h1", T0 - 500, 0));
	assert_int_equal(engine_center_ms(f->engine), T0 - 500);
	assert_int_equal(engine_stats(f->engine)->buffered, 16);
	assert_int_equal(engine_stats(f->engine)->reorder_overflows, 1);
	assert_int_equal(f->alert_count, 1);
	assert_non_null(strstr(f->alerts[0], "\"limit\":\"tracker.max_reorder_events\","
					     "\"evicted\":2,"));
}

/* clocks_newest_other kept (issue 17): the newest of all while another source holds it, a pass
 * when except holds it, after the holder is dropped (the last source moves to its index) and
 * after a source the kept answer does not know of moves. */
static void newest_to(struct clocks *clocks, const char *name, int64_t newest_ms)
{
	struct clocks_source *source = clocks_get(clocks, name);

	source->newest_ms = newest_ms;
	clocks_newest_moved(clocks, source);
}

static void test_newest_other_kept(void **state)
{
	struct clocks *clocks = clocks_new(8);
	(void)state;

	assert_non_null(clocks);
	assert_true(clocks_newest_other(clocks, NULL) == INT64_MIN);
	newest_to(clocks, "a", 1000);
	newest_to(clocks, "b", 3000);
	newest_to(clocks, "c", 2000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "a")), 3000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "b")), 2000);
	assert_int_equal(clocks_newest_other(clocks, NULL), 3000);
	newest_to(clocks, "a", 3000); /* a tie: b keeps it, a's others still say 3000 */
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "a")), 3000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "b")), 3000);
	assert_true(clocks_drop(clocks, "b")); /* c moves to b's index */
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "a")), 2000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "c")), 3000);
	newest_to(clocks, "c", 2500); /* taken again from a pass: a holds 3000 */
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "c")), 3000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "a")), 2500);
	newest_to(clocks, "d", 4000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "a")), 4000);
	assert_int_equal(clocks_newest_other(clocks, clocks_get(clocks, "d")), 3000);
	clocks_free(clocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_center_exact_values),
		cmocka_unit_test(test_center_many_sources_and_load),
		cmocka_unit_test(test_center_kept_round_robin),
		cmocka_unit_test(test_center_matches_old_computation),
		cmocka_unit_test_setup_teardown(test_year_ahead_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_too_late_told, setup, teardown),
		cmocka_unit_test_setup_teardown(test_year_ahead_rejected_without_host_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_source_without_host_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eleven_minutes_ahead_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_future_ceiling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_fifteen_minutes_behind_merged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_feed_further_behind_judged_on_its_own, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_twenty_minute_outage_resent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_line_does_not_resolve, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seq_jump_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restarted_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_jump_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_rejecting_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_rejecting_after_quiet_and_heartbeats,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgotten_source_resolves_feed_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listed_source_kept_when_room_is_made, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listed_source_keeps_its_numbering, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_a_listed_numbering, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_the_new_list_of_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forgotten_source_notices_resolve, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_connection_resolves_feed_rejecting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_forgets_source_notices, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_grown_room_resolves_system_alerts_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_source_raises_no_clock_ahead, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_clock_ahead_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder_overflow_keeps_the_call, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reorder_limit_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_table_limit_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_notices_survive_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ending_notices_survive_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_standby_holds_the_center_only_after_its_hello,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_hello_holds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_clock_stops_holding_and_is_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_connection_drops_its_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_full_reorder_buffer_keeps_the_center_behind_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder_full_call_start_leaves_no_trace, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interleavings_give_the_merged_alerts, setup,
						teardown),
		cmocka_unit_test(test_newest_other_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
