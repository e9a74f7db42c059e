/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TESTS_FLOOD_FIXTURE_H
#define CADMON_TESTS_FLOOD_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon_harness.h"

/*
 * The flood of one call per call-taker the integration tests send (test_daemon, test_tls):
 * op-N's call f<N> starts at FLOOD_START_MS + N s and is hung up by the operator 5 s later.
 * Under FLOOD_DETECTOR_YAML's rule "every" each call raises one alert, checked with cmocka.
 */

#define FLOOD_START_MS INT64_C(1795939200000) /* 2026-11-29T00:00:00Z */
#define FLOOD_CALL_LINES_MAX 512
#define FLOOD_ALERT_MAX 1024

/* tracker and detector sections: a call-taker per call, an alert per premature call. */
#define FLOOD_DETECTOR_YAML                                                                \
	"tracker:\n"                                                                       \
	"  max_new_operators_per_source_per_hour: 0\n"                                    \
	"detector:\n"                                                                      \
	"  resolve_after_seconds: 2592000\n"                                               \
	"  rules: [{name: every, window_seconds: 60, min_calls: 1, "                      \
	"min_premature: 1, severity: info}]\n"

/* 64 KiB journal segments (a journal section): a feed reads less from their last eighth
 * (store.h), which the flood reaches at FLOOD_NEAR_SEGMENT_END bytes journaled, and the
 * FLOOD_BURST_CALLS after it take past the segment's end, so its snapshot too. */
#define FLOOD_SMALL_SEGMENTS_YAML "journal:\n  segment_max_bytes: 65536\n"
#define FLOOD_NEAR_SEGMENT_END 57856
#define FLOOD_BURST_CALLS 200 /* 400 lines, 41 KB */

/** op-N's call as two feed lines, numbered 2N+1 and 2N+2 when asked, into out: their length. */
size_t flood_call_lines(unsigned n, bool numbered, char out[FLOOD_CALL_LINES_MAX]);

/**
 * The alert op-N's call raises as the seq-th alert, into out. The rest of the center in the
 * 60 s window is other operators' calls, all premature (ratio 1, p-value 1); a call with
 * nobody else (op-0 first) has center ratio 0 (p-value floor 0.05).
 */
void flood_alert_line(unsigned n, uint64_t seq, char out[FLOOD_ALERT_MAX]);

/** The next line on subscriber (board lines skipped) is op-N's alert, the (N+1)th. */
void flood_expect_alert(int subscriber, unsigned n);

/** After a burst sent from the last eighth of a segment under a 1 us budget: the alerts of op-first
 * to op-(first + FLOOD_BURST_CALLS - 1) in order, then 2 or more iterations cut short since
 * cut_before, and the segment rotated. */
void flood_expect_burst_spread(const struct harness *h, int subscriber, unsigned first,
			       uint64_t cut_before);

#endif
