/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "flood_fixture.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alert.h"
#include "daemon_expect.h"
#include "timestamp.h"

size_t flood_call_lines(unsigned n, bool numbered, char out[FLOOD_CALL_LINES_MAX])
{
	char seq[2][32] = { "", "" };
	int64_t start_ms = FLOOD_START_MS + (int64_t)n * 1000;

	if (numbered) {
		snprintf(seq[0], sizeof seq[0], "\"seq\":%u,", 2 * n + 1);
		snprintf(seq[1], sizeof seq[1], "\"seq\":%u,", 2 * n + 2);
	}
	snprintf(out, FLOOD_CALL_LINES_MAX,
		 "{%s\"type\":\"call_start\",\"call_id\":\"f%u\",\"ts\":%" PRId64
		 ",\"operator\":\"op-%u\"}\n"
		 "{%s\"type\":\"call_end\",\"call_id\":\"f%u\",\"ts\":%" PRId64
		 ",\"released_by\":\"operator\"}\n",
		 seq[0], n, start_ms, n, seq[1], n, start_ms + 5000);
	return strlen(out);
}

void flood_alert_line(unsigned n, uint64_t seq, char out[FLOOD_ALERT_MAX])
{
	char start[TIMESTAMP_TEXT_MAX], end[TIMESTAMP_TEXT_MAX], operator_id[16], call_id[16];
	char alert_id[ALERT_ID_LENGTH + 1];
	int64_t start_ms = FLOOD_START_MS + (int64_t)n * 1000;
	bool alone = seq == 1;

	timestamp_format(start_ms, start);
	timestamp_format(start_ms + 5000, end);
	snprintf(operator_id, sizeof operator_id, "op-%u", n);
	snprintf(call_id, sizeof call_id, "f%u", n);
	alert_derive_id("", operator_id, "every", start_ms + 5000, call_id, alert_id);
	snprintf(out, FLOOD_ALERT_MAX,
		 "{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":%" PRIu64 ",\"ts\":\"%s\","
		 "\"type\":\"operator\",\"operator\":\"op-%u\","
		 "\"rule\":\"every\",\"severity\":\"info\",\"window_seconds\":60,\"calls\":1,"
		 "\"premature\":1,\"called_back\":0,\"ratio\":1,\"center_ratio\":%s,\"p_value\":%s,"
		 "\"callbacks\":[{\"call_id\":\"f%u\",\"ts\":\"%s\",\"talk_seconds\":5,\"called_"
		 "back\":false}]}",
		 alert_id, seq, end, n, alone ? "0" : "1", alone ? "0.05" : "1", n, start);
}

void flood_expect_alert(int subscriber, unsigned n)
{
	char expected[FLOOD_ALERT_MAX];

	flood_alert_line(n, n + 1, expected);
	expect_line(subscriber, expected);
}

void flood_expect_burst_spread(const struct harness *h, int subscriber, unsigned first,
			       uint64_t cut_before)
{
	for (unsigned n = first; n < first + FLOOD_BURST_CALLS; n++)
		flood_expect_alert(subscriber, n);
	assert_true(expect_metric_value(h, "cadmon_feed_iterations_cut_short_total") >=
		    cut_before + 2);
	assert_true(expect_metric_value(h, "cadmon_journal_segments_created_total") >= 2);
}
