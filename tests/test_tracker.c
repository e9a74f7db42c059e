/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "hash.h"
#include "tracker.h"

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */

static struct event start_event(const char *call_id, int64_t ts_ms, const char *operator_id,
				const char *ani)
{
	struct event event = {.type = EVENT_CALL_START, .ts_ms = ts_ms};

	snprintf(event.call_id, sizeof(event.call_id), "%s", call_id);
	snprintf(event.operator_id, sizeof(event.operator_id), "%s", operator_id);
	snprintf(event.agency, sizeof(event.agency), "NOPD");
	snprintf(event.position, sizeof(event.position), "P3");
	snprintf(event.ani, sizeof(event.ani), "%s", ani);
	return event;
}

static struct event end_event(const char *call_id, int64_t ts_ms, enum released_by who)
{
	struct event event = {.type = EVENT_CALL_END, .ts_ms = ts_ms, .released_by = who};

	snprintf(event.call_id, sizeof(event.call_id), "%s", call_id);
	return event;
}

static struct event mark_event(enum event_type type, const char *call_id, int64_t ts_ms)
{
	struct event event = {.type = type, .ts_ms = ts_ms};

	snprintf(event.call_id, sizeof(event.call_id), "%s", call_id);
	return event;
}

static enum tracker_result apply(struct tracker *tracker, struct event event,
				 struct completed_call *out)
{
	return tracker_apply(tracker, &event, out);
}

static void test_start_then_end(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	(void)state;

	assert_int_equal(apply(tracker, start_event("c1", T0, "op-7", "5045550101"), &call),
			 TRACKER_PENDING);
	assert_int_equal(tracker_open_calls(tracker), 1);
	assert_int_equal(apply(tracker, end_event("c1", T0 + 4500, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.call_id, "c1");
	assert_string_equal(call.operator_id, "op-7");
	assert_string_equal(call.agency, "NOPD");
	assert_string_equal(call.position, "P3");
	assert_string_equal(call.ani, "5045550101");
	assert_int_equal(call.start_ms, T0);
	assert_int_equal(call.end_ms, T0 + 4500);
	assert_int_equal(call.released_by, RELEASED_BY_OPERATOR);
	assert_false(call.had_incident);
	assert_false(call.had_transfer);
	assert_int_equal(tracker_open_calls(tracker), 0);
	tracker_free(tracker);
}

static void test_end_before_start_arrives(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	(void)state;

	/* The call_end event arrives first (another system, a faster link): the call waits. */
	assert_int_equal(apply(tracker, end_event("c1", T0 + 9000, RELEASED_BY_CALLER), &call),
			 TRACKER_PENDING);
	assert_int_equal(apply(tracker, mark_event(EVENT_INCIDENT, "c1", T0 + 8000), &call),
			 TRACKER_PENDING);
	assert_int_equal(apply(tracker, start_event("c1", T0, "op-7", ""), &call),
			 TRACKER_COMPLETED);
	assert_int_equal(call.end_ms - call.start_ms, 9000);
	assert_int_equal(call.released_by, RELEASED_BY_CALLER);
	assert_true(call.had_incident);
	assert_string_equal(call.ani, "");
	tracker_free(tracker);
}

static void test_incident_and_transfer_marks(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("c1", T0, "op-7", ""), &call);
	apply(tracker, mark_event(EVENT_TRANSFER, "c1", T0 + 1000), &call);
	assert_int_equal(apply(tracker, end_event("c1", T0 + 2000, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_true(call.had_transfer);
	assert_false(call.had_incident);
	tracker_free(tracker);
}

static void test_duplicates_ignored(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("c1", T0, "op-7", ""), &call);
	assert_int_equal(apply(tracker, start_event("c1", T0 + 5, "op-8", ""), &call),
			 TRACKER_DUPLICATE);
	assert_int_equal(tracker_stats(tracker)->duplicates, 1);
	apply(tracker, end_event("c2", T0, RELEASED_BY_OPERATOR), &call);
	assert_int_equal(apply(tracker, end_event("c2", T0, RELEASED_BY_OPERATOR), &call),
			 TRACKER_DUPLICATE);
	assert_int_equal(tracker_stats(tracker)->duplicates, 2);
	/* The first start is the one kept. */
	assert_int_equal(apply(tracker, end_event("c1", T0 + 10, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.operator_id, "op-7");
	tracker_free(tracker);
}

static void test_end_ts_before_start_ts_dropped(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("c1", T0, "op-7", ""), &call);
	assert_int_equal(apply(tracker, end_event("c1", T0 - 1, RELEASED_BY_OPERATOR), &call),
			 TRACKER_END_BEFORE_START);
	assert_int_equal(tracker_stats(tracker)->end_before_start, 1);
	assert_int_equal(tracker_open_calls(tracker), 0);
	tracker_free(tracker);
}

static void test_full_table_evicts_least_recent(void **state)
{
	struct tracker *tracker = tracker_new(3, 0);
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("a", T0 + 2, "op", ""), &call);
	apply(tracker, start_event("b", T0, "op", ""), &call);
	apply(tracker, start_event("c", T0 + 1, "op", ""), &call);
	/* Full: "b" is the call heard of least recently, so it makes room for "d". */
	assert_int_equal(apply(tracker, start_event("d", T0 + 3, "op", ""), &call),
			 TRACKER_PENDING);
	assert_int_equal(tracker_stats(tracker)->evicted, 1);
	assert_int_equal(tracker_open_calls(tracker), 3);
	/* "b" is gone (its end waits alone now, evicting "c"), the others complete. */
	assert_int_equal(apply(tracker, end_event("b", T0 + 4, RELEASED_BY_CALLER), &call),
			 TRACKER_PENDING);
	assert_int_equal(tracker_stats(tracker)->evicted, 2);
	assert_int_equal(apply(tracker, end_event("a", T0 + 5, RELEASED_BY_CALLER), &call),
			 TRACKER_COMPLETED);
	assert_int_equal(apply(tracker, end_event("d", T0 + 5, RELEASED_BY_CALLER), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.call_id, "d");
	tracker_free(tracker);
}

static void test_stale_calls_expire(void **state)
{
	struct tracker *tracker = tracker_new(2, 3600);
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("never-ends", T0, "op", ""), &call);
	apply(tracker, start_event("recent", T0 + 3000 * 1000, "op", ""), &call);
	/* Full; the stale call (silent for more than 3600 s at the newest ts) makes room. */
	assert_int_equal(apply(tracker, start_event("new", T0 + 3601 * 1000, "op", ""), &call),
			 TRACKER_PENDING);
	assert_int_equal(tracker_stats(tracker)->expired, 1);
	assert_int_equal(tracker_open_calls(tracker), 2);
	assert_int_equal(
		apply(tracker, end_event("recent", T0 + 3602 * 1000, RELEASED_BY_CALLER), &call),
		TRACKER_COMPLETED);
	tracker_free(tracker);
}

#define MINUTE_MS INT64_C(60000)

/* The oldest minute from T0 on in which tracker_started_between finds an open call's start
 * (INT64_MAX: none up to T0 + 2 TRACKER_START_MINUTES), INT64_MIN when it finds one in a minute
 * long before T0 (one before its ring). Each minute asked alone, then the whole range at once:
 * the same answer. */
static int64_t oldest_start(const struct tracker *tracker)
{
	int64_t last = T0 + 2 * TRACKER_START_MINUTES * MINUTE_MS;
	int64_t found = INT64_MAX;

	if (tracker_started_between(tracker, 0, 0))
		return INT64_MIN;
	for (int64_t m = T0; m <= last && found == INT64_MAX; m += MINUTE_MS)
		if (tracker_started_between(tracker, m, m + MINUTE_MS - 1))
			found = m;
	assert_int_equal(tracker_started_between(tracker, T0, last), found != INT64_MAX);
	return found;
}

/* The oldest start of the open calls with their call_start, to the minute (T0 is on one): none
 * (INT64_MAX) at first and with an end alone; it follows the oldest call out, completed,
 * expired or evicted, and comes back after a load; a start more than TRACKER_START_MINUTES
 * minutes before the newest ts is told in any range from before them (INT64_MIN) until it
 * goes. */
static void test_oldest_start(void **state)
{
	struct tracker *tracker = tracker_new(3, 3600);
	struct tracker *loaded = tracker_new(3, 3600);
	struct codec_writer writer = {0};
	struct codec_reader reader;
	struct completed_call call;
	(void)state;

	assert_true(oldest_start(tracker) == INT64_MAX);
	apply(tracker, end_event("ended", T0, RELEASED_BY_CALLER), &call);
	assert_true(oldest_start(tracker) == INT64_MAX);
	apply(tracker, start_event("a", T0 + 5 * MINUTE_MS + 59999, "op", "1"), &call);
	assert_true(oldest_start(tracker) == T0 + 5 * MINUTE_MS);
	apply(tracker, start_event("b", T0 + 7 * MINUTE_MS + 1, "op", "2"), &call);
	apply(tracker, start_event("c", T0 + 3 * MINUTE_MS + 30000, "op", "3"), &call); /* late */
	assert_true(oldest_start(tracker) == T0 + 3 * MINUTE_MS);
	assert_int_equal(apply(tracker, end_event("c", T0 + 8 * MINUTE_MS, RELEASED_BY_CALLER),
			       &call), TRACKER_COMPLETED);
	assert_true(oldest_start(tracker) == T0 + 5 * MINUTE_MS);
	/* full at c ("ended" went: no start) and at e (a went: the oldest heard of) */
	apply(tracker, start_event("d", T0 + 9 * MINUTE_MS, "op", "4"), &call);
	assert_true(oldest_start(tracker) == T0 + 5 * MINUTE_MS);
	apply(tracker, start_event("e", T0 + 10 * MINUTE_MS, "op", "5"), &call);
	assert_int_equal(tracker_stats(tracker)->evicted, 2);
	assert_true(oldest_start(tracker) == T0 + 7 * MINUTE_MS);
	tracker_save(tracker, &writer);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(tracker_load(loaded, &reader), 0);
	assert_true(oldest_start(loaded) == T0 + 7 * MINUTE_MS);
	/* b, d, e silent for an hour: expired when the table is full again */
	apply(tracker, start_event("f", T0 + 80 * MINUTE_MS, "op", "6"), &call);
	assert_int_equal(tracker_stats(tracker)->expired, 3);
	assert_true(oldest_start(tracker) == T0 + 80 * MINUTE_MS);
	/* an incident keeps g open past max_call_seconds; its start leaves the minutes counted */
	apply(tracker, start_event("g", T0 + 81 * MINUTE_MS, "op", "7"), &call);
	for (int64_t m = 120; m < 81 + TRACKER_START_MINUTES; m += 50)
		apply(tracker, mark_event(EVENT_INCIDENT, "g", T0 + m * MINUTE_MS), &call);
	apply(tracker, end_event("f", T0 + (81 + TRACKER_START_MINUTES) * MINUTE_MS,
				 RELEASED_BY_CALLER), &call);
	assert_true(oldest_start(tracker) == INT64_MIN);
	assert_int_equal(apply(tracker, end_event("g", T0 + (82 + TRACKER_START_MINUTES) *
							 MINUTE_MS, RELEASED_BY_CALLER),
			       &call), TRACKER_COMPLETED);
	assert_true(oldest_start(tracker) == INT64_MAX);
	codec_writer_release(&writer);
	tracker_free(loaded);
	tracker_free(tracker);
}

/* A reload that shrinks the table: every start counted leaves with its call. 150 open calls
 * started one a minute, shrunk to 20 (the 130 oldest evicted: the oldest start counted is then
 * the 131st's), all their ends fed: the kept ones complete, the evicted ones' ends stay open
 * alone, and no start is counted any more. */
static void test_shrink_forgets_starts(void **state)
{
	struct tracker *tracker = tracker_new(200, 3600);
	struct completed_call call;
	char id[16];
	(void)state;

	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		apply(tracker, start_event(id, T0 + i * MINUTE_MS, "op", "1"), &call);
	}
	assert_true(oldest_start(tracker) == T0);
	assert_int_equal(tracker_reconfigure(tracker, 20, 3600), 0);
	assert_int_equal(tracker_open_calls(tracker), 20);
	assert_true(oldest_start(tracker) == T0 + 130 * MINUTE_MS);
	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		apply(tracker, end_event(id, T0 + 200 * MINUTE_MS, RELEASED_BY_CALLER), &call);
	}
	assert_true(oldest_start(tracker) == INT64_MAX);
	tracker_free(tracker);
}

/* Many calls through a small table: every probe chain stays intact across deletions. */
static void test_churn_keeps_table_consistent(void **state)
{
	struct tracker *tracker = tracker_new(64, 0);
	struct completed_call call;
	char id[32];
	(void)state;

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 60; i++) {
			snprintf(id, sizeof(id), "r%d-c%d", round, i);
			assert_int_equal(apply(tracker, start_event(id, T0 + i, "op", ""), &call),
					 TRACKER_PENDING);
		}
		for (int i = 59; i >= 0; i -= 2) {
			snprintf(id, sizeof(id), "r%d-c%d", round, i);
			assert_int_equal(
				apply(tracker, end_event(id, T0 + 100, RELEASED_BY_CALLER), &call),
				TRACKER_COMPLETED);
			assert_string_equal(call.call_id, id);
		}
		for (int i = 0; i < 60; i += 2) {
			snprintf(id, sizeof(id), "r%d-c%d", round, i);
			assert_int_equal(
				apply(tracker, end_event(id, T0 + 100, RELEASED_BY_CALLER), &call),
				TRACKER_COMPLETED);
		}
		assert_int_equal(tracker_open_calls(tracker), 0);
	}
	assert_int_equal(tracker_stats(tracker)->duplicates, 0);
	tracker_free(tracker);
}

/* A string of n copies of c. */
static const char *repeated(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Strings kept at their length: inline when short, allocated when longer (64-byte ids, a
 * 32-digit ani), an empty ani; through a snapshot, a shrinking reconfigure, expiry and the
 * tracker's end (ASan checks that every allocated text is freed once). */
static void test_strings_at_their_length(void **state)
{
	struct tracker *tracker = tracker_new(8, 3600), *loaded = tracker_new(8, 3600);
	struct codec_writer writer = { 0 };
	struct codec_reader reader;
	struct completed_call call;
	char id[EVENT_ID_MAX + 1], op[EVENT_ID_MAX + 1], ani[EVENT_ANI_MAX + 1];
	struct event start = start_event("short", T0, "op-1", "");
	(void)state;

	/* ends first: the call_id alone, then the rest joins it at the start */
	apply(tracker, end_event(repeated(id, 'i', EVENT_ID_MAX), T0 + 9, RELEASED_BY_CALLER),
	      &call);
	start = start_event(id, T0, repeated(op, 'o', EVENT_ID_MAX),
			    repeated(ani, '5', EVENT_ANI_MAX));
	snprintf(start.agency, sizeof(start.agency), "%s", op);
	memcpy(start.position, op, sizeof(op));
	start.position[0] = 'P';
	apply(tracker, start_event("short", T0, "op-1", ""), &call);
	apply(tracker, end_event("end-only", T0 + 5, RELEASED_BY_CALLER), &call);
	apply(tracker, start_event(repeated(id, 'j', 40), T0 + 1, "op-2", "5045550101"), &call);
	tracker_save(tracker, &writer);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(tracker_load(loaded, &reader), 0);
	assert_int_equal(tracker_open_calls(loaded), 4);

	assert_int_equal(apply(loaded, start, &call), TRACKER_COMPLETED);
	assert_int_equal(strlen(call.call_id), EVENT_ID_MAX);
	assert_string_equal(call.operator_id, op);
	assert_string_equal(call.agency, op);
	assert_int_equal(call.position[0], 'P');
	assert_string_equal(call.position + 1, op + 1);
	assert_string_equal(call.ani, ani);
	assert_int_equal(call.end_ms, T0 + 9);
	assert_int_equal(apply(loaded, end_event("short", T0 + 6, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.call_id, "short");
	assert_string_equal(call.operator_id, "op-1");
	assert_string_equal(call.agency, "NOPD");
	assert_string_equal(call.ani, "");
	assert_int_equal(apply(loaded, start_event("end-only", T0, "op-3", "911"), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.operator_id, "op-3");
	assert_string_equal(call.ani, "911");
	assert_int_equal(call.released_by, RELEASED_BY_CALLER);
	/* a bound of 1 keeps the newest (40-byte id, 75 bytes of strings: allocated) */
	apply(loaded, start_event(repeated(id, 'k', EVENT_ID_MAX), T0 + 2, "op-4", ""), &call);
	assert_int_equal(tracker_reconfigure(loaded, 1, 3600), 0);
	assert_int_equal(tracker_open_calls(loaded), 1);
	assert_int_equal(tracker_stats(loaded)->evicted, 1);
	/* silent for more than 3600 s: expired when the table is full */
	apply(loaded, start_event("later", T0 + 3700 * 1000, "op-5", ""), &call);
	assert_int_equal(tracker_stats(loaded)->expired, 1);
	assert_int_equal(
		apply(loaded, end_event("later", T0 + 3701 * 1000, RELEASED_BY_CALLER), &call),
		TRACKER_COMPLETED);
	assert_string_equal(call.operator_id, "op-5");
	codec_writer_release(&writer);
	tracker_free(tracker);
	tracker_free(loaded);
}

/* tracker_peek_start: a started call's strings and the hashes its completed call carries,
 * read without a change; nothing for a call not open or whose start has not come. */
static void test_peek_start(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	const char *agency = NULL, *operator_id = NULL, *ani = NULL;
	uint64_t operator_hash = 0, ani_hash = 0;
	struct completed_call call;
	(void)state;

	apply(tracker, start_event("c1", T0, "op-7", "5045550101"), &call);
	apply(tracker, end_event("c2", T0 + 1000, RELEASED_BY_CALLER), &call);
	assert_true(tracker_peek_start(tracker, "c1", hash_string("c1"), &agency, &operator_id,
				       &ani, &operator_hash, &ani_hash));
	assert_string_equal(agency, "NOPD");
	assert_string_equal(operator_id, "op-7");
	assert_string_equal(ani, "5045550101");
	assert_true(operator_hash == hash_string_pair("NOPD", "op-7"));
	assert_true(ani_hash == hash_string("5045550101"));
	assert_false(tracker_peek_start(tracker, "c2", hash_string("c2"), &agency, &operator_id,
					&ani, &operator_hash, &ani_hash));
	assert_false(tracker_peek_start(tracker, "c3", hash_string("c3"), &agency, &operator_id,
					&ani, &operator_hash, &ani_hash));
	assert_int_equal(tracker_open_calls(tracker), 2);
	assert_int_equal(apply(tracker, end_event("c1", T0 + 4500, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_string_equal(call.ani, "5045550101");
	assert_true(call.hashed);
	assert_true(call.agency_hash == hash_string("NOPD"));
	assert_true(call.operator_hash == hash_string_pair("NOPD", "op-7"));
	assert_true(call.ani_hash == hash_string("5045550101"));
	assert_false(tracker_peek_start(tracker, "c1", hash_string("c1"), &agency, &operator_id,
					&ani, &operator_hash, &ani_hash));
	tracker_free(tracker);
}

/* A call started before a snapshot completes after its load with the hashes of its strings
 * (not saved: taken again from them). */
static void test_hashes_after_load(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct completed_call call;
	struct codec_writer writer = {0};
	struct codec_reader reader;
	struct tracker *loaded = tracker_new(8, 0);
	(void)state;

	apply(tracker, start_event("c1", T0, "op-7", "5045550101"), &call);
	tracker_save(tracker, &writer);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(tracker_load(loaded, &reader), 0);
	assert_int_equal(apply(loaded, end_event("c1", T0 + 4500, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_true(call.hashed);
	assert_true(call.agency_hash == hash_string("NOPD"));
	assert_true(call.operator_hash == hash_string_pair("NOPD", "op-7"));
	assert_true(call.ani_hash == hash_string("5045550101"));
	codec_writer_release(&writer);
	tracker_free(loaded);
	tracker_free(tracker);
}

/* A call_start with its hashes (engine_parse's) hands them on as they are: the tracker does
 * not hash the strings again. */
static void test_start_hashes_taken(void **state)
{
	struct tracker *tracker = tracker_new(8, 0);
	struct event start = start_event("c1", T0, "op-7", "5045550101");
	struct completed_call call;
	(void)state;

	start.start_hashed = true;
	start.agency_hash = 1;
	start.operator_hash = 2;
	start.ani_hash = 3;
	apply(tracker, start, &call);
	assert_int_equal(apply(tracker, end_event("c1", T0 + 4500, RELEASED_BY_OPERATOR), &call),
			 TRACKER_COMPLETED);
	assert_true(call.hashed);
	assert_true(call.agency_hash == 1);
	assert_true(call.operator_hash == 2);
	assert_true(call.ani_hash == 3);
	tracker_free(tracker);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_then_end),
		cmocka_unit_test(test_end_before_start_arrives),
		cmocka_unit_test(test_incident_and_transfer_marks),
		cmocka_unit_test(test_duplicates_ignored),
		cmocka_unit_test(test_end_ts_before_start_ts_dropped),
		cmocka_unit_test(test_full_table_evicts_least_recent),
		cmocka_unit_test(test_stale_calls_expire),
		cmocka_unit_test(test_oldest_start),
		cmocka_unit_test(test_shrink_forgets_starts),
		cmocka_unit_test(test_churn_keeps_table_consistent),
		cmocka_unit_test(test_strings_at_their_length),
		cmocka_unit_test(test_peek_start),
		cmocka_unit_test(test_hashes_after_load),
		cmocka_unit_test(test_start_hashes_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
