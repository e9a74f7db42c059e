/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Tests for tools/cadmon-backtest: runs the built binary (path in $CADMON_BACKTEST) on
 * recordings written to a temporary directory and checks the exact alerts (worked out by hand
 * from docs/protocol.md and the rules in test_config below), the summary, --json, --html,
 * the feed's line rules (CRLF, max_line_bytes, lines across read chunks, a last line without
 * "\n"), errors and exit codes, and that the same input always gives the same output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "tool_run.h"

#define OUTPUT_MAX_BYTES (16u * 1024 * 1024)
#define PATH_MAX_BYTES 256
#define READ_CHUNK_BYTES (1024u * 1024u) /* tools/line_reader.h LINE_READER_CHUNK_BYTES */
#define MAX_LINE_BYTES 256               /* feed.max_line_bytes in test_config */

/*
 * The configuration under test: two rules, so a recording can fire, escalate and resolve.
 * feed.max_line_bytes is low so that one line of the recording is too long.
 */
static const char test_config[] =
	"feed:\n"
	"  max_line_bytes: 256\n"
	"detector:\n"
	"  resolve_after_seconds: 900\n"
	"  rules:\n"
	"    - name: quick\n"
	"      window_seconds: 1800\n"
	"      min_calls: 4\n"
	"      min_premature: 3\n"
	"      min_ratio: 0.5\n"
	"      severity: warning\n"
	"    - name: heavy\n"
	"      window_seconds: 3600\n"
	"      min_calls: 6\n"
	"      min_premature: 5\n"
	"      min_ratio: 0.6\n"
	"      severity: critical\n";

#define LONG_LINE_MARK "@LONG@" /* replaced by a valid call_start of 414 bytes */

/*
 * The recording, one feed line each; written with "\r\n" after every second line.
 * CITY/op-bad cuts callers off (b1, b3, b4, b5, b6: talk < 20 s, released by the operator);
 * CITY/op-good, COUNTY/op-7 and op-x (no agency) are honest. The caller of b4 redials at
 * 08:09:30 (g2, a real call that ends at 08:10:00), so b4 is called back. Six lines are rejected,
 * one is a duplicate, one is
 * blank, and o1 never ends.
 */
static const char *const recording[] = {
	/* 1 */ "{\"type\":\"call_start\",\"call_id\":\"b1\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":"
		"\"5045550101\"}",
	/* 2 */
	"{\"type\":\"call_end\",\"call_id\":\"b1\",\"ts\":\"2026-11-29T08:00:05Z\",\"released_by\":"
	"\"operator\"}",
	/* 3 */
	"{\"type\":\"call_start\",\"call_id\":\"g1\",\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550201\"}",
	/* 4: duplicate */
	"{\"type\":\"call_start\",\"call_id\":\"g1\",\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550201\"}",
	/* 5: invalid_json */ "not json at all",
	/* 6 */
	"{\"type\":\"call_start\",\"call_id\":\"b2\",\"ts\":\"2026-11-29T08:02:00Z\",\"operator\":"
	"\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":\"5045550102\"}",
	/* 7 */
	"{\"type\":\"incident\",\"call_id\":\"g1\",\"ts\":\"2026-11-29T08:03:00Z\",\"incident_id\":"
	"\"I-1\"}",
	/* 8 */
	"{\"type\":\"call_end\",\"call_id\":\"b2\",\"ts\":\"2026-11-29T08:04:00Z\",\"released_by\":"
	"\"caller\"}",
	/* 9: not_an_object */ "[1,2,3]",
	/* 10 */
	"{\"type\":\"call_start\",\"call_id\":\"b3\",\"ts\":\"2026-11-29T08:05:00Z\",\"operator\":"
	"\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":\"5045550103\"}",
	/* 11 */
	"{\"type\":\"call_end\",\"call_id\":\"b3\",\"ts\":\"2026-11-29T08:05:08Z\",\"released_by\":"
	"\"operator\"}",
	/* 12 */
	"{\"type\":\"call_end\",\"call_id\":\"g1\",\"ts\":\"2026-11-29T08:06:00Z\",\"released_by\":"
	"\"operator\"}",
	/* 13 */
	"{\"type\":\"call_start\",\"call_id\":\"b4\",\"ts\":\"2026-11-29T08:07:00Z\",\"operator\":"
	"\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":\"5045550104\"}",
	/* 14: quick fires */
	"{\"type\":\"call_end\",\"call_id\":\"b4\",\"ts\":\"2026-11-29T08:07:10Z\",\"released_by\":"
	"\"operator\"}",
	/* 15 */
	"{\"type\":\"call_start\",\"call_id\":\"x1\",\"ts\":\"2026-11-29T08:08:00Z\",\"operator\":"
	"\"op-x\",\"ani\":\"5045550301\"}",
	/* 16: line_too_long */ LONG_LINE_MARK,
	/* 17 */
	"{\"type\":\"call_start\",\"call_id\":\"b5\",\"ts\":\"2026-11-29T08:09:00Z\",\"operator\":"
	"\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":\"5045550105\"}",
	/* 18 */
	"{\"type\":\"call_end\",\"call_id\":\"b5\",\"ts\":\"2026-11-29T08:09:06Z\",\"released_by\":"
	"\"operator\"}",
	/* 19: b4's caller redials */
	"{\"type\":\"call_start\",\"call_id\":\"g2\",\"ts\":\"2026-11-29T08:09:30Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550104\"}",
	/* 20: missing_field */
	"{\"type\":\"call_start\",\"call_id\":\"x0\",\"ts\":\"2026-11-29T08:09:40Z\"}",
	/* 21: the redial was a real call: b4 is called back */
	"{\"type\":\"call_end\",\"call_id\":\"g2\",\"ts\":\"2026-11-29T08:10:00Z\",\"released_by\":"
	"\"caller\"}",
	/* 22 */
	"{\"type\":\"call_start\",\"call_id\":\"b6\",\"ts\":\"2026-11-29T08:11:00Z\",\"operator\":"
	"\"op-bad\",\"agency\":\"CITY\",\"position\":\"P1\",\"ani\":\"5045550106\"}",
	/* 23: heavy escalates */
	"{\"type\":\"call_end\",\"call_id\":\"b6\",\"ts\":\"2026-11-29T08:11:04Z\",\"released_by\":"
	"\"operator\"}",
	/* 24 */
	"{\"type\":\"call_end\",\"call_id\":\"x1\",\"ts\":\"2026-11-29T08:12:30Z\",\"released_by\":"
	"\"caller\"}",
	/* 25: unknown_type */
	"{\"type\":\"call_hold\",\"call_id\":\"g2\",\"ts\":\"2026-11-29T08:13:00Z\"}",
	/* 26 */
	"{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:30:00Z\",\"operator\":"
	"\"op-7\",\"agency\":\"COUNTY\"}",
	/* 27 */
	"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:30:12Z\",\"released_by\":"
	"\"operator\"}",
	/* 28: too_late */
	"{\"type\":\"incident\",\"call_id\":\"zz\",\"ts\":\"2026-11-29T07:00:00Z\"}",
	/* 29: blank */ "",
	/* 30 */
	"{\"type\":\"call_start\",\"call_id\":\"g3\",\"ts\":\"2026-11-29T08:40:00Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550203\"}",
	/* 31 */
	"{\"type\":\"call_end\",\"call_id\":\"g3\",\"ts\":\"2026-11-29T08:50:00Z\",\"released_by\":"
	"\"caller\"}",
	/* 32: heavy holds for the last time */
	"{\"type\":\"call_start\",\"call_id\":\"g4\",\"ts\":\"2026-11-29T09:00:00Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550204\"}",
	/* 33 */
	"{\"type\":\"call_end\",\"call_id\":\"g4\",\"ts\":\"2026-11-29T09:05:00Z\",\"released_by\":"
	"\"caller\"}",
	/* 34: resolved, 1200 s >= 900 s after */
	"{\"type\":\"call_start\",\"call_id\":\"x2\",\"ts\":\"2026-11-29T09:20:00Z\",\"operator\":"
	"\"op-x\",\"ani\":\"5045550302\"}",
	/* 35 */
	"{\"type\":\"call_end\",\"call_id\":\"x2\",\"ts\":\"2026-11-29T09:22:00Z\",\"released_by\":"
	"\"caller\"}",
	/* 36: never ends */
	"{\"type\":\"call_start\",\"call_id\":\"o1\",\"ts\":\"2026-11-29T09:25:00Z\",\"operator\":"
	"\"op-good\",\"agency\":\"CITY\",\"position\":\"P2\",\"ani\":\"5045550205\"}",
};
#define RECORDING_LINES (sizeof(recording) / sizeof(recording[0]))

/*
 * The expected alerts, one string each (docs/protocol.md format). Worked out by hand:
 * - #1 at b4's end, 08:07:10: quick's window (07:37:10, 08:07:10] holds b1 b2 b3 b4, 3 of 4
 *   premature. The rest of the center in it: g1, not premature (incident), so center_ratio 0,
 *   floored to min_center_ratio 0.05: p = P(X >= 3 | 4, 0.05) = 4.8125e-4.
 *   alert_id = FNV-1a 64 of "CITY\x1fop-bad\x1fquick\x1f1795939630000\x1fb4".
 * - #2 at b5's end, 08:09:06: an update with b5 only (new since #1): quick holds b1..b5, 4 of
 *   5; p = P(X >= 4 | 5, 0.05) = 3.0e-5.
 * - #3 at g2's end, 08:10:00: g2 (b4's caller again, within 300 s, a real call) marks b4
 *   called back: an update with b4 again, now "called_back":true.
 * - #4 at b6's end, 08:11:04: heavy (critical > warning) holds, b1..b6: 5 of 6, escalated with
 *   b6 only, the one callback not sent yet. Center others g1, x1: 0 of 2.
 *   p = P(X >= 5 | 6, 0.05) = 1.796875e-6.
 * - #5 at 08:30:00: nobody acknowledged it within 600 s of 08:07:10 (the default for
 *   critical); c1's start is the first event after 08:17:10. Escalated again, reason
 *   "unacknowledged", nothing new to call back.
 * - #6 at 09:20:00: heavy last held at the 09:00:00 tick (b1 leaves it at 09:00:05), quick
 *   at 08:30:12; x2's start is the first event 900 s later. heavy's window (08:20, 09:20]
 *   holds none of op-bad's calls; the others: c1 (premature), g3, g4: 1 of 3.
 * Callbacks are listed not called back first, newest first.
 */
#define ALERT_1                                                                                    \
	"{\"alert\":\"firing\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":1,"                       \
	"\"ts\":\"2026-11-29T08:07:10.000Z\",\"type\":\"operator\",\"agency\":\"CITY\","           \
	"\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"quick\",\"severity\":\"warning\"," \
	"\"window_seconds\":1800,\"calls\":4,\"premature\":3,\"called_back\":0,\"ratio\":0.75,"    \
	"\"center_ratio\":0,\"p_value\":4.81e-04,\"callbacks\":[{\"call_id\":\"b4\",\"ani\":"      \
	"\"5045550104\","                                                                          \
	"\"ts\":\"2026-11-29T08:07:00.000Z\",\"talk_seconds\":10,\"called_back\":false},{\"call_"  \
	"id\":\"b3\","                                                                             \
	"\"ani\":\"5045550103\",\"ts\":\"2026-11-29T08:05:00.000Z\",\"talk_seconds\":8,"           \
	"\"called_back\":false},{\"call_id\":\"b1\",\"ani\":\"5045550101\","                       \
	"\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_seconds\":5,\"called_back\":false}]}"
#define ALERT_2                                                                                    \
	"{\"alert\":\"update\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":2,"                       \
	"\"ts\":\"2026-11-29T08:09:06.000Z\",\"type\":\"operator\",\"agency\":\"CITY\","           \
	"\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"quick\",\"severity\":\"warning\"," \
	"\"window_seconds\":1800,\"calls\":5,\"premature\":4,\"called_back\":0,\"ratio\":0.8,"     \
	"\"center_ratio\":0,\"p_value\":3.00e-05,\"callbacks\":[{\"call_id\":\"b5\",\"ani\":"      \
	"\"5045550105\","                                                                          \
	"\"ts\":\"2026-11-29T08:09:00.000Z\",\"talk_seconds\":6,\"called_back\":false}]}"
#define ALERT_3                                                                                    \
	"{\"alert\":\"update\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":3,"                       \
	"\"ts\":\"2026-11-29T08:10:00.000Z\",\"type\":\"operator\",\"agency\":\"CITY\","           \
	"\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"quick\",\"severity\":\"warning\"," \
	"\"window_seconds\":1800,\"calls\":5,\"premature\":4,\"called_back\":1,\"ratio\":0.8,"     \
	"\"center_ratio\":0,\"p_value\":3.00e-05,\"callbacks\":[{\"call_id\":\"b4\",\"ani\":"      \
	"\"5045550104\","                                                                          \
	"\"ts\":\"2026-11-29T08:07:00.000Z\",\"talk_seconds\":10,\"called_back\":true}]}"
#define ALERT_4                                                                                    \
	"{\"alert\":\"escalated\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":4,"                    \
	"\"ts\":\"2026-11-29T08:11:04.000Z\",\"type\":\"operator\",\"agency\":\"CITY\","           \
	"\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"heavy\",\"severity\":"             \
	"\"critical\","                                                                            \
	"\"window_seconds\":3600,\"calls\":6,\"premature\":5,\"called_back\":1,\"ratio\":0.8333,"  \
	"\"center_ratio\":0,\"p_value\":1.80e-06,\"callbacks\":[{\"call_id\":\"b6\",\"ani\":"      \
	"\"5045550106\","                                                                          \
	"\"ts\":\"2026-11-29T08:11:00.000Z\",\"talk_seconds\":4,\"called_back\":false}]}"
#define ALERT_5                                                                                    \
	"{\"alert\":\"escalated\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":5,"                    \
	"\"ts\":\"2026-11-29T08:30:00.000Z\",\"type\":\"operator\",\"reason\":\"unacknowledged\"," \
	"\"agency\":\"CITY\",\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"heavy\","      \
	"\"severity\":\"critical\",\"window_seconds\":3600,\"calls\":6,\"premature\":5,\"called_"  \
	"back\":1,"                                                                                \
	"\"ratio\":0.8333,\"center_ratio\":0,\"p_value\":1.80e-06,\"callbacks\":[]}"
#define ALERT_6                                                                                    \
	"{\"alert\":\"resolved\",\"alert_id\":\"6198e6b430c4f34e\",\"seq\":8,"                     \
	"\"ts\":\"2026-11-29T09:20:00.000Z\",\"type\":\"operator\",\"agency\":\"CITY\","           \
	"\"operator\":\"op-bad\",\"position\":\"P1\",\"rule\":\"heavy\",\"severity\":"             \
	"\"critical\","                                                                            \
	"\"window_seconds\":3600,\"calls\":0,\"premature\":0,\"called_back\":0,\"ratio\":0,"       \
	"\"center_ratio\":0.3333,\"p_value\":1,\"callbacks\":[]}"

/* Line 28's event, 90 minutes behind the feed's newest, refused as too late: told (probe16b F5),
 * resolved by the feed's first event taken detector.resolve_after_seconds (900) later. */
#define TOO_LATE_FIRING \
	"{\"alert\":\"firing\",\"alert_id\":\"6ae6b94a00cf5119\",\"seq\":6," \
	"\"ts\":\"2026-11-29T08:30:12.000Z\",\"type\":\"system\"," \
	"\"system\":\"events_too_late\",\"severity\":\"warning\"," \
	"\"message\":\"the feed's events are refused as too late, the latest 90 minutes " \
	"behind its newest (tracker.allowed_lateness_seconds 600): 1 so far; its clock steps " \
	"back, or it resends old events\"}"
#define TOO_LATE_RESOLVED \
	"{\"alert\":\"resolved\",\"alert_id\":\"6ae6b94a00cf5119\",\"seq\":7," \
	"\"ts\":\"2026-11-29T08:50:00.000Z\",\"type\":\"system\"," \
	"\"system\":\"events_too_late\",\"severity\":\"warning\"," \
	"\"message\":\"the feed's events are placed again: none too late for 900 s; 1 " \
	"refused in all\"}"

static const char *const expected_alerts[] = {ALERT_1, ALERT_2, ALERT_3, ALERT_4, ALERT_5, ALERT_6};
/* The text report's notices: the operator's, and the system's in seq order. */
static const char *const expected_notices[] = {
	ALERT_1, ALERT_2, ALERT_3, ALERT_4, ALERT_5, TOO_LATE_FIRING, TOO_LATE_RESOLVED, ALERT_6
};

/* Completed: b1..b6, g1..g4, x1, x2, c1 (13; 6 premature: b1 b3 b4 b5 b6 c1). Lines: 35 not
 * blank, 6 rejected, so 29 events (the duplicate included). */
#define EXPECTED_TABLE                                                                             \
	"AGENCY  OPERATOR  CALLS  PREMATURE   RATIO  ALERTS  FIRING  ESCALATED  UPDATE  "          \
	"RESOLVED\n"                                                                               \
	"CITY    op-bad        6          5  0.8333       6       1          2       2         "   \
	"1\n"                                                                                      \
	"COUNTY  op-7          1          1  1.0000       0       0          0       0         "   \
	"0\n"                                                                                      \
	"CITY    op-good       4          0  0.0000       0       0          0       0         "   \
	"0\n"                                                                                      \
	"        op-x          2          0  0.0000       0       0          0       0         "   \
	"0\n"
#define EXPECTED_TOTALS_FORMAT \
	"totals\n" \
	"  input files            %u\n" \
	"  bytes read             %zu\n" \
	"  lines                  35\n" \
	"  events                 29\n" \
	"  rejected lines         6\n" \
	"    line_too_long        1\n" \
	"    invalid_json         1\n" \
	"    not_an_object        1\n" \
	"    missing_field        1\n" \
	"    unknown_type         1\n" \
	"    too_late             1\n" \
	"  completed calls        13\n" \
	"  premature hangups      6\n" \
	"  premature ratio        0.4615\n" \
	"  operators              4\n" \
	"  alerts                 8\n" \
	"    firing               2\n" \
	"    escalated            2\n" \
	"    update               2\n" \
	"    resolved             2\n" \
	"    of which system      2\n" \
	"  alerts open at end     0\n" \
	"  open calls at end      1\n" \
	"  called back            1\n" \
	"  duplicate events       1\n" \
	"  event time from        2026-11-29T08:00:00.000Z\n" \
	"  event time to          2026-11-29T09:22:00.000Z\n"

/* The rejected lines as explained on stderr; %s is the recording's path. */
#define EXPECTED_REJECTS_FORMAT                                                                    \
	"cadmon-backtest: %1$s:5: invalid_json: invalid JSON: unexpected character at byte 0\n"    \
	"cadmon-backtest: %1$s:9: not_an_object: line is JSON but not an object\n"                 \
	"cadmon-backtest: %1$s:16: line_too_long: longer than 256 bytes (feed.max_line_bytes)\n"   \
	"cadmon-backtest: %1$s:20: missing_field: call_start: missing required field "             \
	"\"operator\"\n"                                                                           \
	"cadmon-backtest: %1$s:25: unknown_type: unknown event type \"call_hold\"\n"               \
	"cadmon-backtest: %1$s:28: too_late: incident: \"ts\" is 5412 s older than the newest "    \
	"event, "                                                                                  \
	"over the 600 s allowed\n"                                                                 \
	"cadmon-backtest: 35 records (non-blank lines) read, 29 accepted, 6 rejected: "            \
	"line_too_long 1, "                                                                        \
	"invalid_json 1, not_an_object 1, missing_field 1, unknown_type 1, too_late 1\n"

/* Files every test uses, written once. */
struct fixture {
	char dir[PATH_MAX_BYTES];
	char config[PATH_MAX_BYTES];
	char recording[PATH_MAX_BYTES];
	size_t recording_bytes;
	char *recording_text; /* what was written */
};

static struct fixture fixture;

/* ---- running the tool -------------------------------------------------------------------- */

/* Run $CADMON_BACKTEST with args (NULL-terminated), stdin from stdin_path (NULL: empty). */
static void run_tool_with_stdin(const char *const args[], const char *stdin_path,
				struct tool_run *run)
{
	tool_run(getenv("CADMON_BACKTEST"), args, stdin_path, run);
}

static void run_tool(const char *const args[], struct tool_run *run)
{
	run_tool_with_stdin(args, NULL, run);
}

/* ---- files ------------------------------------------------------------------------------- */

static void path_in_dir(char out[PATH_MAX_BYTES], const char *name)
{
	int len = snprintf(out, PATH_MAX_BYTES, "%s/%s", fixture.dir, name);

	assert_true(len > 0 && len < PATH_MAX_BYTES);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *file = fopen(path, "wb");

	assert_non_null(file);
	assert_int_equal(fwrite(data, 1, len, file), len);
	assert_int_equal(fclose(file), 0);
}

/* Write text into the file name of the fixture's directory, its path into path. */
static void write_input(char path[PATH_MAX_BYTES], const char *name, const char *text)
{
	path_in_dir(path, name);
	write_file(path, text, strlen(text));
}

/* The first len bytes of text (len < its length + 1), NUL-terminated. */
static void text_copy_prefix(char *out, const char *text, size_t len)
{
	memcpy(out, text, len);
	out[len] = '\0';
}

static char *read_whole_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	char *data = calloc(1, OUTPUT_MAX_BYTES + 1);

	assert_non_null(file);
	assert_non_null(data);
	*len = fread(data, 1, OUTPUT_MAX_BYTES, file);
	assert_int_equal(fclose(file), 0);
	return data;
}

/* A growing text; every append is checked. */
struct text {
	char *data;
	size_t len;
	size_t capacity;
};

static void text_append(struct text *text, const char *data, size_t len)
{
	if (text->len + len + 1 > text->capacity) {
		text->capacity = (text->len + len + 1) * 2;
		text->data = realloc(text->data, text->capacity);
		assert_non_null(text->data);
	}
	memcpy(text->data + text->len, data, len);
	text->len += len;
	text->data[text->len] = '\0';
}

static void text_append_string(struct text *text, const char *data)
{
	text_append(text, data, strlen(data));
}

static void text_append_repeated(struct text *text, char c, size_t count)
{
	for (size_t i = 0; i < count; i++)
		text_append(text, &c, 1);
}

/* The 414-byte line 16: valid but for its length, so accepting it would open call long1. */
static void append_long_line(struct text *text)
{
	text_append_string(
		text,
		"{\"type\":\"call_start\",\"call_id\":\"long1\",\"ts\":\"2026-11-29T08:08:30Z\","
		"\"operator\":\"op-good\",\"agency\":\"CITY\",\"note\":\"");
	text_append_repeated(text, 'x', 300);
	text_append_string(text, "\"}");
}

/* Lines [first, last) of the recording, "\r\n" after every second line of the whole. */
static void append_recording(struct text *text, size_t first, size_t last)
{
	for (size_t i = first; i < last; i++) {
		if (strcmp(recording[i], LONG_LINE_MARK) == 0)
			append_long_line(text);
		else
			text_append_string(text, recording[i]);
		text_append_string(text, i % 2 ? "\r\n" : "\n");
	}
}

static int setup_fixture(void **state)
{
	struct text text = {0};

	(void)state;
	if (!getenv("CADMON_BACKTEST")) {
		fputs("test_backtest: set CADMON_BACKTEST to the cadmon-backtest binary (meson "
		      "test does)\n",
		      stderr);
		return -1;
	}
	snprintf(fixture.dir, sizeof(fixture.dir), "/tmp/cadmon-test-backtest-XXXXXX");
	if (!mkdtemp(fixture.dir))
		return -1;
	path_in_dir(fixture.config, "cadmon.yaml");
	path_in_dir(fixture.recording, "recording.ndjson");
	write_file(fixture.config, test_config, strlen(test_config));
	append_recording(&text, 0, RECORDING_LINES);
	write_file(fixture.recording, text.data, text.len);
	fixture.recording_text = text.data;
	fixture.recording_bytes = text.len;
	return 0;
}

/* Remove the directory and the files the tests wrote into it (it holds no subdirectories). */
static int teardown_fixture(void **state)
{
	DIR *dir = opendir(fixture.dir);
	struct dirent *entry;
	char path[PATH_MAX_BYTES];

	(void)state;
	free(fixture.recording_text);
	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
		    snprintf(path, sizeof(path), "%s/%s", fixture.dir, entry->d_name) <
			    (int)sizeof(path))
			unlink(path);
	closedir(dir);
	return rmdir(fixture.dir);
}

/* ---- expectations ------------------------------------------------------------------------ */

static char *expected_text_output(unsigned files, size_t bytes)
{
	struct text text = {0};
	char totals[4096];

	for (size_t i = 0; i < sizeof(expected_notices) / sizeof(expected_notices[0]); i++) {
		text_append_string(&text, expected_notices[i]);
		text_append_string(&text, "\n");
	}
	text_append_string(&text, "\n" EXPECTED_TABLE "\n");
	snprintf(totals, sizeof(totals), EXPECTED_TOTALS_FORMAT, files, bytes);
	text_append_string(&text, totals);
	return text.data;
}

static void assert_text_output(const struct tool_run *run, unsigned files, size_t bytes)
{
	char *expected = expected_text_output(files, bytes);

	assert_int_equal(run->exit_status, 0);
	assert_string_equal(run->out, expected);
	free(expected);
}

static json_object *field(json_object *object, const char *key)
{
	json_object *value = NULL;

	if (!json_object_object_get_ex(object, key, &value))
		fail_msg("missing key \"%s\" in %s", key, json_object_to_json_string(object));
	return value;
}

static void assert_count(json_object *object, const char *key, int64_t expected)
{
	json_object *value = field(object, key);

	assert_true(json_object_is_type(value, json_type_int));
	assert_int_equal(json_object_get_int64(value), expected);
}

/* A number's exact text as the tool wrote it. */
static void assert_number_text(json_object *object, const char *key, const char *expected)
{
	assert_string_equal(
		json_object_to_json_string_ext(field(object, key), JSON_C_TO_STRING_PLAIN),
		expected);
}

static void assert_string_field(json_object *object, const char *key, const char *expected)
{
	assert_string_equal(json_object_get_string(field(object, key)), expected);
}

static void assert_kinds(json_object *object, int firing, int escalated, int update, int resolved)
{
	json_object *kinds = field(object, "alerts_by_kind");

	assert_int_equal(json_object_object_length(kinds), 4);
	assert_count(kinds, "firing", firing);
	assert_count(kinds, "escalated", escalated);
	assert_count(kinds, "update", update);
	assert_count(kinds, "resolved", resolved);
}

/* One operator object: every key and value. */
static void assert_operator(json_object *op, const char *agency, const char *name, int calls,
			    int premature, const char *ratio, int alerts, int firing, int escalated,
			    int update, int resolved)
{
	assert_int_equal(json_object_object_length(op), agency ? 7 : 6);
	if (agency)
		assert_string_field(op, "agency", agency);
	assert_string_field(op, "operator", name);
	assert_count(op, "calls", calls);
	assert_count(op, "premature", premature);
	assert_number_text(op, "ratio", ratio);
	assert_count(op, "alerts", alerts);
	assert_kinds(op, firing, escalated, update, resolved);
}

/* ---- tests: the report ------------------------------------------------------------------- */

/* The exact alert lines, operator table and totals; rejected lines explained on stderr. */
static void test_text_report_is_exact(void **state)
{
	const char *const args[] = {"-c", fixture.config, fixture.recording, NULL};
	struct tool_run run;
	char expected_err[4096];

	(void)state;
	run_tool(args, &run);
	assert_text_output(&run, 1, fixture.recording_bytes);
	snprintf(expected_err, sizeof(expected_err), EXPECTED_REJECTS_FORMAT, fixture.recording);
	assert_string_equal(run.err, expected_err);
	tool_run_free(&run);
}

/* --quiet: the same report, nothing on stderr. */
static void test_quiet_says_nothing_on_stderr(void **state)
{
	const char *const args[] = {"--quiet", "-c", fixture.config, fixture.recording, NULL};
	struct tool_run run;

	(void)state;
	run_tool(args, &run);
	assert_text_output(&run, 1, fixture.recording_bytes);
	assert_string_equal(run.err, "");
	tool_run_free(&run);
}

static void assert_json_totals(json_object *totals)
{
	json_object *rejects = field(totals, "rejects");

	assert_count(totals, "input_files", 1);
	assert_count(totals, "bytes", (int64_t)fixture.recording_bytes);
	assert_count(totals, "lines", 35);
	assert_count(totals, "events", 29);
	assert_count(totals, "rejected", 6);
	assert_int_equal(json_object_object_length(rejects), 20);
	assert_count(rejects, "line_too_long", 1);
	assert_count(rejects, "invalid_json", 1);
	assert_count(rejects, "invalid_utf8", 0);
	assert_count(rejects, "not_an_object", 1);
	assert_count(rejects, "missing_field", 1);
	assert_count(rejects, "wrong_type", 0);
	assert_count(rejects, "unknown_type", 1);
	assert_count(rejects, "bad_timestamp", 0);
	assert_count(rejects, "bad_value", 0);
	assert_count(rejects, "field_too_long", 0);
	assert_count(rejects, "too_late", 1);
	assert_count(rejects, "future", 0);
	assert_count(rejects, "bad_seq", 0);
	assert_count(rejects, "source_not_allowed", 0);
	assert_count(rejects, "agency_not_allowed", 0);
	assert_count(rejects, "call_of_other_source", 0);
	assert_count(rejects, "operator_of_other_source", 0);
	assert_count(rejects, "new_operator_rate", 0);
	assert_count(rejects, "reorder_full", 0);
	assert_count(rejects, "open_calls_per_source", 0);
	assert_count(totals, "completed_calls", 13);
	assert_count(totals, "premature", 6);
	assert_number_text(totals, "ratio", "0.4615");
	assert_count(totals, "operators", 4);
	assert_count(totals, "alerts", 8);
	assert_count(totals, "system_alerts", 2);
	assert_kinds(totals, 2, 2, 2, 2);
	assert_count(totals, "open_alerts", 0);
	assert_count(totals, "open_calls", 1);
	assert_count(totals, "called_back", 1);
	assert_count(totals, "duplicates", 1);
	assert_count(totals, "expired", 0);
	assert_count(totals, "unterminated_lines", 0);
	assert_string_field(totals, "first_ts", "2026-11-29T08:00:00.000Z");
	assert_string_field(totals, "last_ts", "2026-11-29T09:22:00.000Z");
}

/* --json: one document; each alert re-serialized is byte for byte the engine's line. */
static void test_json_report_is_exact(void **state)
{
	const char *const args[] = {"--json", "-c", fixture.config, fixture.recording, NULL};
	struct tool_run run;

	(void)state;
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	assert_int_equal(json_object_object_length(document), 3);
	json_object *alerts = field(document, "alerts");
	assert_int_equal(json_object_array_length(alerts), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(
			json_object_to_json_string_ext(json_object_array_get_idx(alerts, i),
						       JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE),
			expected_alerts[i]);
	json_object *operators = field(document, "operators");
	assert_int_equal(json_object_array_length(operators), 4);
	assert_operator(json_object_array_get_idx(operators, 0), "CITY", "op-bad", 6, 5, "0.8333",
			6, 1, 2, 2, 1);
	assert_operator(json_object_array_get_idx(operators, 1), "COUNTY", "op-7", 1, 1, "1", 0, 0,
			0, 0, 0);
	assert_operator(json_object_array_get_idx(operators, 2), "CITY", "op-good", 4, 0, "0", 0, 0,
			0, 0, 0);
	assert_operator(json_object_array_get_idx(operators, 3), NULL, "op-x", 2, 0, "0", 0, 0, 0,
			0, 0);
	assert_json_totals(field(document, "totals"));
	json_object_put(document);
	tool_run_free(&run);
}

/* --html: a self-contained page with a timeline per operator and every name in it. */
static void test_html_report_is_self_contained(void **state)
{
	char html_path[PATH_MAX_BYTES];
	const char *args[] = {"-c", fixture.config, "--html", html_path, fixture.recording, NULL};
	struct tool_run run;
	size_t len;

	(void)state;
	path_in_dir(html_path, "report.html");
	run_tool(args, &run);
	assert_text_output(&run, 1, fixture.recording_bytes);
	char *html = read_whole_file(html_path, &len);
	assert_int_equal(strlen(html), len);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_true(len > 16 && strcmp(html + len - 8, "</html>\n") == 0);
	const char *needles[] = {
		"<svg",	 "op-bad", "op-good",	       "op-7",	     "op-x",
		"CITY",	 "COUNTY", "6198e6b430c4f34e", "5045550104", "recording.ndjson",
		"quick", "heavy"
	};
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (!strstr(html, needles[i]))
			fail_msg("\"%s\" is not in the report", needles[i]);
	size_t svgs = 0;
	for (const char *p = html; (p = strstr(p, "<svg class=\"timeline\"")); p++)
		svgs++;
	assert_int_equal(svgs, 4);
	const char *banned[] = {"http://", "https://", "src=", "<link", "@import", "url("};
	for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (strstr(html, banned[i]))
			fail_msg("the report refers to something outside it: \"%s\"", banned[i]);
	free(html);
	tool_run_free(&run);
}

/* Names from the feed are escaped in the page: nothing the feed says becomes markup. */
static void test_html_escapes_feed_text(void **state)
{
	static const char lines[] =
		"{\"type\":\"call_start\",\"call_id\":\"e1\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"<b>op&\\\"1'</b>\",\"agency\":\"<i>A</i>\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"e1\",\"ts\":\"2026-11-29T08:00:03Z\","
		"\"released_by\":\"operator\"}\n";
	char input[PATH_MAX_BYTES], html_path[PATH_MAX_BYTES];
	const char *args[] = {"--quiet", "--html", html_path, input, NULL};
	struct tool_run run;
	size_t len;

	(void)state;
	path_in_dir(input, "escape.ndjson");
	path_in_dir(html_path, "escape.html");
	write_file(input, lines, strlen(lines));
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	char *html = read_whole_file(html_path, &len);
	assert_non_null(
		strstr(html, "&lt;i&gt;A&lt;/i&gt; / &lt;b&gt;op&amp;&quot;1&#39;&lt;/b&gt;"));
	assert_null(strstr(html, "<b>op"));
	assert_null(strstr(html, "<i>A"));
	free(html);
	tool_run_free(&run);
}

/* A premature hangup that joins an open alert in the second of event time of its last notice
 * waits for the next second (one update a second); at the end of the input no second comes,
 * and the update is printed all the same (it was never printed: probe16b F4). */
static void test_last_second_update_printed(void **state)
{
	static const char config[] =
		"detector:\n"
		"  premature:\n"
		"    max_talk_seconds: 20\n"
		"  rules: [{name: burst, window_seconds: 600, min_calls: 3, min_premature: 3, "
		"min_ratio: 0.5, severity: critical}]\n";
	static const char lines[] =
		"{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:00Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:05Z\","
		"\"released_by\":\"operator\"}\n"
		"{\"type\":\"call_start\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:05Z\","
		"\"released_by\":\"operator\"}\n"
		"{\"type\":\"call_start\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:00Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:05Z\","
		"\"released_by\":\"operator\"}\n"
		"{\"type\":\"call_start\",\"call_id\":\"c4\",\"ts\":\"2026-11-29T08:02:05.2Z\","
		"\"operator\":\"op-1\",\"agency\":\"A\",\"ani\":\"5045550104\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"c4\",\"ts\":\"2026-11-29T08:02:05.9Z\","
		"\"released_by\":\"operator\"}\n";
	static const char update[] =
		"\n{\"alert\":\"update\",\"alert_id\":\"6e91d6b3f2e047e6\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:02:05.900Z\",\"type\":\"operator\",\"agency\":\"A\","
		"\"operator\":\"op-1\",\"rule\":\"burst\",\"severity\":\"critical\","
		"\"window_seconds\":600,\"calls\":4,\"premature\":4,\"called_back\":0,\"ratio\":1,"
		"\"center_ratio\":0,\"p_value\":6.25e-06,\"callbacks\":[{\"call_id\":\"c4\","
		"\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:02:05.200Z\",\"talk_seconds\":0.7,"
		"\"called_back\":false}]}\n";
	char config_path[PATH_MAX_BYTES], input[PATH_MAX_BYTES];
	const char *args[] = {"--quiet", "-c", config_path, input, NULL};
	struct tool_run run;

	(void)state;
	write_input(config_path, "second.yaml", config);
	write_input(input, "second.ndjson", lines);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	if (!strstr(run.out, update))
		fprintf(stderr, "no update line in:\n%s", run.out);
	assert_non_null(strstr(run.out, update));
	tool_run_free(&run);
}

/* The operator table's cells with names that are not plain ASCII: a 2-byte UTF-8 letter takes
 * one column, a control character shows as '?', a 64-byte name sets the column; agencies
 * alternate (each operator keeps its own agency's name); equal counts order by agency, then
 * operator; rows of equal counts repeat the ratio, a different one follows. */
static void test_text_table_names_and_widths(void **state)
{
#define NAMES_CALL(id, minute, agency, op, seconds, by)                                     \
	"{\"type\":\"call_start\",\"call_id\":\"" id "\",\"ts\":\"2026-11-29T08:0" minute \
	":00Z\",\"operator\":\"" op "\"," agency "\"position\":\"P1\"}\n"                 \
	"{\"type\":\"call_end\",\"call_id\":\"" id "\",\"ts\":\"2026-11-29T08:0" minute   \
	":" seconds "Z\",\"released_by\":\"" by "\"}\n"
#define LONG_NAME "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
	static const char lines[] =
		NAMES_CALL("n1", "0", "\"agency\":\"\\u00c9MS\",", "op-\\u0001x", "03", "operator")
		NAMES_CALL("n2", "1", "\"agency\":\"CITY\",", LONG_NAME, "03", "operator")
		NAMES_CALL("n3", "2", "\"agency\":\"\\u00c9MS\",", "op-\\u00e9", "50", "caller")
		NAMES_CALL("n4", "3", "\"agency\":\"CITY\",", "op-a", "50", "caller")
		NAMES_CALL("n5", "4", "", "op-b", "03", "operator")
		NAMES_CALL("n6", "5", "", "op-b", "50", "caller");
	static const char spaces[] =
		"                                                            "; /* 60 */
	char input[PATH_MAX_BYTES], expected[2048], got[2048];
	const char *const args[] = {input, NULL};
	struct tool_run run;

	(void)state;
	write_input(input, "names.ndjson", lines);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	/* OPERATOR is 64 columns wide: "op-?x" is 5 of them, "op-é" 4 */
	snprintf(expected, sizeof(expected),
		 "AGENCY  OPERATOR%.56s  CALLS  PREMATURE   RATIO  ALERTS  FIRING  ESCALATED"
		 "  UPDATE  RESOLVED\n"
		 "CITY    " LONG_NAME "      1          1  1.0000       0       0          0"
		 "       0         0\n"
		 "\xc3\x89MS     op-?x%.59s      1          1  1.0000       0       0"
		 "          0       0         0\n"
		 "        op-b%.60s      2          1  0.5000       0       0          0"
		 "       0         0\n"
		 "CITY    op-a%.60s      1          0  0.0000       0       0          0"
		 "       0         0\n"
		 "\xc3\x89MS     op-\xc3\xa9%.60s      1          0  0.0000       0       0"
		 "          0       0         0\n"
		 "\ntotals\n",
		 spaces, spaces, spaces, spaces, spaces);
	assert_true(strlen(run.out) >= strlen(expected));
	text_copy_prefix(got, run.out, strlen(expected));
	assert_string_equal(got, expected);
	tool_run_free(&run);
#undef NAMES_CALL
#undef LONG_NAME
}

/* ---- tests: reading ---------------------------------------------------------------------- */

/* Two files and stdin ("-") are one stream: the recording split in three gives its report. */
static void test_files_and_stdin_are_one_stream(void **state)
{
	char part1[PATH_MAX_BYTES], part2[PATH_MAX_BYTES], part3[PATH_MAX_BYTES];
	const char *const args[] = {"--quiet", "-c", fixture.config, part1, "-", part3, NULL};
	struct text text[3] = {{0}, {0}, {0}};
	struct tool_run run;

	(void)state;
	path_in_dir(part1, "part1.ndjson");
	path_in_dir(part2, "part2.ndjson");
	path_in_dir(part3, "part3.ndjson");
	append_recording(&text[0], 0, 14);
	append_recording(&text[1], 14, 23);
	append_recording(&text[2], 23, RECORDING_LINES);
	write_file(part1, text[0].data, text[0].len);
	write_file(part2, text[1].data, text[1].len);
	write_file(part3, text[2].data, text[2].len);
	run_tool_with_stdin(args, part2, &run);
	assert_text_output(&run, 3, fixture.recording_bytes);
	for (size_t i = 0; i < 3; i++)
		free(text[i].data);
	tool_run_free(&run);
}

/* An event line of exactly max_line_bytes (with or without "\r") is read; one byte more is
 * line_too_long; a line across a read chunk boundary is joined; a too-long line across one
 * is skipped to its "\n" and the next line is read. */
static void test_line_limits_and_chunk_boundaries(void **state)
{
	static const char start_fmt[] =
		"{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":\"2026-11-29T08:0%d:00Z\","
		"\"operator\":\"op-1\",\"pad\":\"";
	char input[PATH_MAX_BYTES], head[160];
	const char *const args[] = {"--json", "--quiet", "-c", fixture.config, input, NULL};
	struct text text = {0};
	struct tool_run run;

	(void)state;
	path_in_dir(input, "limits.ndjson");
	/* k1: exactly 256 bytes then "\r\n"; k2: exactly 256 bytes then "\n"; 257: too long. */
	const char *ids[] = {"k1", "k2", "k3"};
	size_t sizes[] = {MAX_LINE_BYTES, MAX_LINE_BYTES, MAX_LINE_BYTES + 1};
	for (int i = 0; i < 3; i++) {
		int len = snprintf(head, sizeof(head), start_fmt, ids[i], i + 1);
		text_append(&text, head, (size_t)len);
		text_append_repeated(&text, 'p', sizes[i] - (size_t)len - 2);
		text_append_string(&text, i == 0 ? "\"}\r\n" : "\"}\n");
	}
	/* k1's end straddles the first read chunk boundary. */
	text_append_repeated(&text, '\n', READ_CHUNK_BYTES - 40 - text.len);
	text_append_string(
		&text, "{\"type\":\"call_end\",\"call_id\":\"k1\",\"ts\":\"2026-11-29T08:05:00Z\","
		       "\"released_by\":\"operator\"}\n");
	/* A 5000-byte line from 1000 bytes before the second boundary (more than a line may
	 * hold when the chunk ends), then k2's end. */
	text_append_repeated(&text, '\n', 2 * READ_CHUNK_BYTES - 1000 - text.len);
	text_append_repeated(&text, ' ', 5000);
	text_append_string(
		&text,
		"\n{\"type\":\"call_end\",\"call_id\":\"k2\",\"ts\":\"2026-11-29T08:06:00Z\","
		"\"released_by\":\"caller\"}\r\n");
	write_file(input, text.data, text.len);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	json_object *totals = field(document, "totals");
	assert_count(totals, "bytes", (int64_t)text.len);
	assert_count(totals, "lines", 6);
	assert_count(totals, "events", 4);
	assert_count(field(totals, "rejects"), "line_too_long", 2);
	assert_count(totals, "rejected", 2);
	assert_count(totals, "completed_calls", 2);
	assert_count(totals, "open_calls", 0);
	json_object_put(document);
	free(text.data);
	tool_run_free(&run);
}

/* Run the tool with args (which name input) on lines written to input (a file name): it
 * exits 0, explaining on stderr exactly err_format (its %1$s: input's path). */
static void run_on_lines(char input[PATH_MAX_BYTES], const char *name, const char *lines,
			 const char *const args[], const char *err_format, struct tool_run *run)
{
	char expected[4096];

	write_input(input, name, lines);
	run_tool(args, run);
	assert_int_equal(run->exit_status, 0);
	snprintf(expected, sizeof(expected), err_format, input);
	assert_string_equal(run->err, expected);
}

/* Lines naming their CAD with "source": each has its own clock. A line a year ahead of the
 * other CAD is rejected as future (not with --no-future-guard); cad-2 is an hour behind cad-1
 * and judged on its own. */
static void test_sources_and_the_future_guard(void **state)
{
	static const char lines[] = "{\"source\":\"cad-1\",\"type\":\"incident\",\"call_id\":\"a\","
				    "\"ts\":\"2026-11-29T09:00:00Z\"}\n"
				    "{\"source\":\"cad-2\",\"type\":\"incident\",\"call_id\":\"b\","
				    "\"ts\":\"2027-11-29T09:00:00Z\"}\n"
				    "{\"source\":\"cad-2\",\"type\":\"call_start\",\"call_id\":"
				    "\"c\",\"ts\":\"2026-11-29T08:00:00Z\","
				    "\"operator\":\"op-1\"}\n"
				    "{\"source\":\"cad-2\",\"type\":\"call_end\",\"call_id\":\"c\","
				    "\"ts\":\"2026-11-29T08:00:30Z\","
				    "\"released_by\":\"caller\"}\n";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"-c", fixture.config, input, NULL};
	const char *const unguarded[] = { "--json", "--no-future-guard",
					  "-c",	    fixture.config,
					  input,    NULL };
	struct tool_run run;

	(void)state;
	run_on_lines(input, "sources.ndjson", lines, args,
		     "cadmon-backtest: %1$s:2: future: incident: \"ts\" is 31536000 s ahead of the "
		     "other sources, over the 1200 s allowed (feed.max_future_seconds + "
		     "tracker.max_source_lag_seconds)\n"
		     "cadmon-backtest: 4 records (non-blank lines) read, 3 accepted, 1 rejected: "
		     "future 1\n",
		     &run);
	assert_non_null(strstr(run.out, "    future               1\n"));
	assert_non_null(strstr(run.out, "  late events            2\n"));
	assert_non_null(strstr(
		run.out,
		"sources\n"
		"  cad-1                  1 events, 0 late, 0 future, 0 too_late, 0 s behind\n"
		"  cad-2                  2 events, 2 late, 1 future, 0 too_late, 3570 s "
		"behind\n"));
	tool_run_free(&run);
	run_tool(unguarded, &run);
	assert_int_equal(run.exit_status, 0);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	json_object *totals = field(document, "totals");
	/* Without the guard cad-2's clock is a year ahead: only its own later lines are too
	 * late. */
	assert_count(totals, "events", 2);
	assert_count(field(totals, "rejects"), "future", 0);
	assert_count(field(totals, "rejects"), "too_late", 2);
	assert_int_equal(json_object_array_length(field(totals, "sources")), 2);
	json_object_put(document);
	tool_run_free(&run);
}

/* The tool run on lines (written to name) prints expected in its sources section. */
static void assert_sources(const char *name, const char *lines, const char *expected)
{
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"-c", fixture.config, input, NULL};
	struct tool_run run;

	write_input(input, name, lines);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_non_null(strstr(run.out, expected));
	tool_run_free(&run);
}

/* "source" found as a key wherever it stands in the line, after values holding its letters
 * ("unknown", "u"), and not taken from a value ("usource", "sources"). (cad-2's call_end is of
 * a call nobody opened: the binding keeps a call to the source that opened it.) */
static void test_source_key_anywhere(void **state)
{
	static const char lines[] =
		"{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":\"2026-11-29T09:00:00Z\","
		"\"source\":\"cad-1\"}\n"
		"{\"type\":\"call_start\",\"call_id\":\"c\",\"ts\":\"2026-11-29T09:00:10Z\","
		"\"operator\":\"op-1\",\"agency\":\"usource\",\"position\":\"sources\"}\n"
		"{\"type\":\"call_end\",\"call_id\":\"e\",\"ts\":\"2026-11-29T09:00:20Z\","
		"\"released_by\":\"unknown\",\"source\":\"cad-2\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"d\",\"ts\":\"2026-11-29T09:00:30Z\","
		"\"ani\":\"u\",\"source\":\"cad-2\"}\n";

	(void)state;
	assert_sources(
		"source-key.ndjson", lines,
		"sources\n"
		"  cad-1                  1 events, 0 late, 0 future, 0 too_late, 30 s behind\n"
		"  (unnamed)              1 events, 0 late, 0 future, 0 too_late, 20 s behind\n"
		"  cad-2                  2 events, 0 late, 0 future, 0 too_late, 0 s behind\n");
}

/* An input's first line may be a hello (cadmon-sim --source writes one), as a connection's: not
 * a record; a good one names the source of the input's lines that name none, a bad one leaves
 * them unnamed (cadmond goes on without a source); a hello later in an input is a line
 * (missing_field, as cadmond's). Before: the hello was a rejected record. */
static void test_hello_names_the_inputs_source(void **state)
{
	static const char named[] =
		"{\"hello\":\"feed\",\"source\":\"cad-h\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":\"2026-11-29T09:00:00Z\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"b\",\"ts\":\"2026-11-29T09:00:10Z\","
		"\"source\":\"cad-1\"}\n";
	static const char bad[] =
		"\n{\"hello\":\"feed\",\"source\":\"\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"2026-11-29T09:00:20Z\"}\n";
	char first[PATH_MAX_BYTES], second[PATH_MAX_BYTES], expected[PATH_MAX_BYTES + 256];
	const char *const args[] = {"-c", fixture.config, first, second, NULL};
	struct tool_run run;

	(void)state;
	write_input(first, "hello.ndjson", named);
	write_input(second, "bad-hello.ndjson", bad);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	snprintf(expected, sizeof expected,
		 "cadmon-backtest: %s:2: bad hello line: \"source\" must be 1 to 64 bytes; the "
		 "lines naming no source go on without one\n",
		 second);
	assert_string_equal(run.err, expected);
	assert_non_null(strstr(
		run.out,
		"sources\n"
		"  cad-h                  1 events, 0 late, 0 future, 0 too_late, 20 s behind\n"
		"  cad-1                  1 events, 0 late, 0 future, 0 too_late, 10 s behind\n"
		"  (unnamed)              1 events, 0 late, 0 future, 0 too_late, 0 s behind\n"));
	tool_run_free(&run);

	static const char late[] =
		"{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"2026-11-29T09:00:20Z\"}\n"
		"{\"hello\":\"feed\",\"source\":\"late\"}\n";
	write_file(second, late, strlen(late));
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	snprintf(expected, sizeof expected,
		 "cadmon-backtest: %s:2: missing_field: missing required field \"type\"\n"
		 "cadmon-backtest: 4 records (non-blank lines) read (and 1 hello), 3 accepted, "
		 "1 rejected: missing_field 1\n",
		 second);
	assert_string_equal(run.err, expected);
	tool_run_free(&run);
}

/* A "source" is a name a hello could give (docs/protocol.md): its key may be written with
 * escapes, as in a hello; a name of 65 bytes (or 66), with a control character, empty or not a
 * string is refused with the hello's message and counted, never taken as the unnamed stream
 * (before: 65 bytes was a source of its own, 66 and the others the unnamed stream, and an
 * escaped key named nothing); a blank line after a named one is nothing. */
static void test_source_escaped_or_refused(void **state)
{
	static const char lines[] =
		"{\"type\":\"incident\",\"call_id\":\"a\",\"ts\":\"2026-11-29T09:00:00Z\","
		"\"\\u0073ource\":\"cad-1\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"b\",\"ts\":\"2026-11-29T09:00:10Z\","
		"\"source\":\"cad-2\"}\n"
		"   \n"
		"{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"2026-11-29T09:00:20Z\","
		"\"source\":\"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\"}"
		"\n"
		"{\"type\":\"incident\",\"call_id\":\"d\",\"ts\":\"2026-11-29T09:00:30Z\","
		"\"source\":\"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
		"s\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"e\",\"ts\":\"2026-11-29T09:00:40Z\","
		"\"source\":\"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"f\",\"ts\":\"2026-11-29T09:00:50Z\","
		"\"source\":\"cad\\u0007\"}\n"
		"{\"source\":\"\",\"type\":\"incident\",\"call_id\":\"g\",\"ts\":"
		"\"2026-11-29T09:01:00Z\"}\n"
		"{\"type\":\"call_start\",\"source\":[\"cad-1\"]}\n"
		"{\"type\":\"incident\",\"call_id\":\"h\",\"ts\":\"2026-11-29T09:01:10Z\"}\n"
		"{\"source\":\"cad-1\",\"type\":\"call_start\"}\n";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"--max-reject-share", "1", "-c", fixture.config, input, NULL};
	struct tool_run run;

	(void)state;
	run_on_lines(input, "source-refused.ndjson", lines, args,
		     "cadmon-backtest: %1$s:4: field_too_long: \"source\" must be 1 to 64 bytes\n"
		     "cadmon-backtest: %1$s:5: field_too_long: \"source\" must be 1 to 64 bytes\n"
		     "cadmon-backtest: %1$s:7: bad_value: \"source\" must not contain control "
		     "characters\n"
		     "cadmon-backtest: %1$s:8: bad_value: \"source\" must be 1 to 64 bytes\n"
		     "cadmon-backtest: %1$s:9: wrong_type: \"source\" must be a string\n"
		     "cadmon-backtest: %1$s:11: missing_field: call_start: missing required field "
		     "\"call_id\"\n"
		     "cadmon-backtest: 10 records (non-blank lines) read, 4 accepted, 6 rejected: "
		     "missing_field 1, wrong_type 1, bad_value 2, field_too_long 2\n",
		     &run);
	assert_non_null(strstr(
		run.out,
		"  rejected lines         6\n"
		"    missing_field        1\n"
		"    wrong_type           1\n"
		"    bad_value            2\n"
		"    field_too_long       2\n"));
	assert_non_null(strstr(
		run.out,
		"sources\n"
		"  cad-1                  1 events, 0 late, 0 future, 0 too_late, 70 s behind\n"
		"  cad-2                  1 events, 0 late, 0 future, 0 too_late, 60 s behind\n"
		"  ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss 1 "
		"events, 0 late, 0 future, 0 too_late, 30 s behind\n"
		"  (unnamed)              1 events, 0 late, 0 future, 0 too_late, 0 s behind\n"));
	tool_run_free(&run);
}

/* Two CADs in one recording, each call bound to the CAD that opened it, as cadmond binds it to
 * the connection whose hello named that CAD (tracker.bind_calls_to_source): cad-b's call_ends
 * for cad-a's calls, premature, are refused; cad-a's own end them, honestly. Before, every line
 * was the one unnamed stream: cad-b's call_ends were taken and op-1 alerted. */
static void test_sources_bind_their_calls(void **state)
{
	char lines[2048];
	size_t used = 0;
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"--json", "-c", fixture.config, input, NULL};
	struct tool_run run;

	(void)state;
	for (int call = 1; call <= 4; call++) /* a1 at 08:00, a2 at 08:05, ... */
		used += (size_t)snprintf(
			lines + used, sizeof(lines) - used,
			"{\"source\":\"cad-a\",\"type\":\"call_start\",\"call_id\":\"a%1$d\","
			"\"ts\":\"2026-11-29T08:%2$02d:00Z\",\"operator\":\"op-1\",\"agency\":"
			"\"CITY\"}\n"
			"{\"source\":\"cad-b\",\"type\":\"call_end\",\"call_id\":\"a%1$d\","
			"\"ts\":\"2026-11-29T08:%2$02d:05Z\",\"released_by\":\"operator\"}\n"
			"{\"source\":\"cad-a\",\"type\":\"call_end\",\"call_id\":\"a%1$d\","
			"\"ts\":\"2026-11-29T08:%3$02d:00Z\",\"released_by\":\"caller\"}\n",
			call, (call - 1) * 5, (call - 1) * 5 + 3);
	assert_true(used < sizeof(lines));
	run_on_lines(input, "sources-bind.ndjson", lines, args,
		     "cadmon-backtest: %1$s:2: call_of_other_source: call_end: call \"a1\" was "
		     "opened by feed source cad-a (tracker.bind_calls_to_source)\n"
		     "cadmon-backtest: %1$s:5: call_of_other_source: call_end: call \"a2\" was "
		     "opened by feed source cad-a (tracker.bind_calls_to_source)\n"
		     "cadmon-backtest: %1$s:8: call_of_other_source: call_end: call \"a3\" was "
		     "opened by feed source cad-a (tracker.bind_calls_to_source)\n"
		     "cadmon-backtest: %1$s:11: call_of_other_source: call_end: call \"a4\" was "
		     "opened by feed source cad-a (tracker.bind_calls_to_source)\n"
		     "cadmon-backtest: 12 records (non-blank lines) read, 8 accepted, 4 rejected: "
		     "call_of_other_source 4\n",
		     &run);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	assert_int_equal(json_object_array_length(field(document, "alerts")), 0);
	json_object *totals = field(document, "totals");
	assert_count(totals, "events", 8);
	assert_count(field(totals, "rejects"), "call_of_other_source", 4);
	assert_count(totals, "completed_calls", 4);
	assert_count(totals, "premature", 0);
	assert_count(totals, "alerts", 0);
	json_object_put(document);
	tool_run_free(&run);
}

/* sources: and unlisted_sources: reject, as cadmond applies them to hello'd connections: a
 * listed source's lines are taken, an unlisted one's and those naming none refused (before,
 * every line was the one unnamed stream: all refused). */
static void test_listed_sources_only(void **state)
{
	static const char config[] = "sources:\n"
				     "  - name: cad-1\n"
				     "unlisted_sources: reject\n";
	static const char lines[] =
		"{\"source\":\"cad-1\",\"type\":\"incident\",\"call_id\":\"a\","
		"\"ts\":\"2026-11-29T08:00:00Z\"}\n"
		"{\"source\":\"cad-2\",\"type\":\"incident\",\"call_id\":\"b\","
		"\"ts\":\"2026-11-29T08:00:10Z\"}\n"
		"{\"type\":\"incident\",\"call_id\":\"c\",\"ts\":\"2026-11-29T08:00:20Z\"}\n"
		"{\"source\":\"cad-1\",\"type\":\"incident\",\"call_id\":\"d\","
		"\"ts\":\"2026-11-29T08:00:30Z\"}\n";
	char input[PATH_MAX_BYTES], config_path[PATH_MAX_BYTES];
	const char *const args[] = {"-c", config_path, input, NULL};
	struct tool_run run;

	(void)state;
	write_input(config_path, "sources.yaml", config);
	run_on_lines(input, "sources-listed.ndjson", lines, args,
		     "cadmon-backtest: %1$s:2: source_not_allowed: incident: feed source cad-2 is "
		     "not listed in sources (unlisted_sources: reject)\n"
		     "cadmon-backtest: %1$s:3: source_not_allowed: incident: a connection without "
		     "a hello is refused (unlisted_sources: reject)\n"
		     "cadmon-backtest: 4 records (non-blank lines) read, 2 accepted, 2 rejected: "
		     "source_not_allowed 2\n",
		     &run);
	assert_non_null(strstr(run.out, "  events                 2\n"));
	tool_run_free(&run);
}

/* test_named_source_numbering's notices: cad-1's seq_rejected, and resolved. */
static const char seq_rejected_alerts[] =
	"{\"alert\":\"firing\",\"alert_id\":\"06abddb0dd48c0d9\",\"seq\":1,"
	"\"ts\":\"2026-11-29T08:00:50.000Z\",\"type\":\"system\",\"system\":\"seq_rejected\","
	"\"severity\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's "
	"lines are refused: seq 5000000 is more than 1000000 above its highest, 2 "
	"(feed.max_seq_jump); 1 refused so far; a new epoch in its hello restarts its "
	"numbering\"}\n"
	"{\"alert\":\"resolved\",\"alert_id\":\"06abddb0dd48c0d9\",\"seq\":2,"
	"\"ts\":\"2026-11-29T08:00:50.000Z\",\"type\":\"system\",\"system\":\"seq_rejected\","
	"\"severity\":\"critical\",\"source\":\"cad-1\",\"message\":\"feed source cad-1's "
	"lines are taken again from seq 3; 1 refused in all\"}\n\n";

/* A named source's "seq" numbers its lines, as on a connection whose hello named it: a line at
 * or below its highest is a resend (a duplicate, ignored: b's line again), one more than
 * feed.max_seq_jump above it refused (bad_seq, with its seq_rejected notice); another source and
 * the unnamed stream have numberings of their own (the unnamed none). Before, none was
 * numbered. */
static void test_named_source_numbering(void **state)
{
	static const char lines[] =
		"{\"source\":\"cad-1\",\"seq\":1,\"type\":\"incident\",\"call_id\":\"a\","
		"\"ts\":\"2026-11-29T08:00:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"incident\",\"call_id\":\"b\","
		"\"ts\":\"2026-11-29T08:00:10Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"incident\",\"call_id\":\"b\","
		"\"ts\":\"2026-11-29T08:00:10Z\"}\n"
		"{\"source\":\"cad-2\",\"seq\":1,\"type\":\"incident\",\"call_id\":\"d\","
		"\"ts\":\"2026-11-29T08:00:30Z\"}\n"
		"{\"seq\":1,\"type\":\"incident\",\"call_id\":\"e\","
		"\"ts\":\"2026-11-29T08:00:40Z\"}\n"
		"{\"seq\":1,\"type\":\"incident\",\"call_id\":\"f\","
		"\"ts\":\"2026-11-29T08:00:50Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":5000000,\"type\":\"incident\",\"call_id\":\"g\","
		"\"ts\":\"2026-11-29T08:01:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":3,\"type\":\"incident\",\"call_id\":\"h\","
		"\"ts\":\"2026-11-29T08:01:10Z\"}\n";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"-c", fixture.config, input, NULL};
	struct tool_run run;

	(void)state;
	run_on_lines(input, "sources-seq.ndjson", lines, args,
		     "cadmon-backtest: %1$s:7: bad_seq: \"seq\" 5000000 is more than 1000000 above "
		     "the source's highest (feed.max_seq_jump)\n"
		     "cadmon-backtest: 8 records (non-blank lines) read, 7 accepted, 1 rejected: "
		     "bad_seq 1\n",
		     &run);
	/* the alert lines first, dated by the newest ts so far (no host clock): the unnamed
	 * stream's */
	assert_true(strncmp(run.out, seq_rejected_alerts, strlen(seq_rejected_alerts)) == 0);
	assert_non_null(strstr(run.out, "  events                 6\n"));
	assert_non_null(strstr(run.out, "  duplicate events       1\n"));
	assert_non_null(strstr(
		run.out,
		"sources\n"
		"  cad-1                  3 events, 0 late, 0 future, 0 too_late, 0 s behind\n"
		"  cad-2                  1 events, 0 late, 0 future, 0 too_late, 40 s behind\n"
		"  (unnamed)              2 events, 0 late, 0 future, 0 too_late, 20 s behind\n"));
	tool_run_free(&run);
}

/* Two days of one CAD put end to end, its numbering restarted in between (live, its new hello's
 * epoch says so): the second day's seq 1, newer than every line of the first, restarts the
 * numbering (sender_restarted) and both days' calls count; before, the second day's lines were
 * dropped as resends of the first's. */
static void test_recording_restarts_numbering(void **state)
{
	static const char lines[] =
		"{\"source\":\"cad-1\",\"seq\":1,\"type\":\"call_start\",\"call_id\":\"a1\","
		"\"ts\":\"2026-11-29T08:00:00Z\",\"operator\":\"op-1\",\"agency\":\"NOPD\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"call_end\",\"call_id\":\"a1\","
		"\"ts\":\"2026-11-29T08:00:30Z\",\"released_by\":\"caller\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"call_end\",\"call_id\":\"a1\","
		"\"ts\":\"2026-11-29T08:00:30Z\",\"released_by\":\"caller\"}\n"
		"{\"source\":\"cad-1\",\"seq\":1,\"type\":\"call_start\",\"call_id\":\"b1\","
		"\"ts\":\"2026-11-30T08:00:00Z\",\"operator\":\"op-1\",\"agency\":\"NOPD\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"call_end\",\"call_id\":\"b1\","
		"\"ts\":\"2026-11-30T08:00:30Z\",\"released_by\":\"caller\"}\n";
	static const char restarted[] =
		"{\"alert\":\"firing\",\"alert_id\":\"c096f35e41c5f85d\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:00:30.000Z\",\"type\":\"system\","
		"\"system\":\"sender_restarted\",\"severity\":\"warning\",\"source\":\"cad-1\","
		"\"message\":\"feed source cad-1 restarted its numbering (on a line newer than all "
		"its others): seq 1 after 2; its events are taken as new from there\"}\n";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {input, NULL};
	struct tool_run run;

	(void)state;
	run_on_lines(input, "two-days.ndjson", lines, args, "", &run);
	assert_true(strncmp(run.out, restarted, strlen(restarted)) == 0);
	assert_non_null(strstr(run.out, "  events                 4\n"));
	assert_non_null(strstr(run.out, "  duplicate events       1\n"));
	assert_non_null(strstr(run.out, "  completed calls        2\n"));
	tool_run_free(&run);
}

/* How many times needle occurs in haystack. */
static unsigned occurrences(const char *haystack, const char *needle)
{
	unsigned count = 0;

	for (const char *at = haystack; (at = strstr(at, needle)); at += strlen(needle))
		count++;
	return count;
}

/* cad-1's seq 2 is refused as future (a day ahead of cad-2), then resent (the same seq and ts):
 * a resend, dropped as a duplicate (the live connection drops it: the refused line moved the
 * numbering), not a restart; seq 3 and 4 follow. A real restart later (seq 1 at 08:00:40,
 * newer than every accepted line, older than the refused one) still restarts, and its next line
 * counts. Before, the resend restarted the numbering (sender_restarted "seq 2 after 2") and
 * was refused as future again: two restarts, no duplicate, two future. */
static void test_recording_resend_of_refused_line(void **state)
{
	static const char lines[] =
		"{\"source\":\"cad-2\",\"type\":\"incident\",\"call_id\":\"x\","
		"\"ts\":\"2026-11-29T08:00:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":1,\"type\":\"incident\",\"call_id\":\"a\","
		"\"ts\":\"2026-11-29T08:00:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"incident\",\"call_id\":\"b\","
		"\"ts\":\"2026-11-30T08:00:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"incident\",\"call_id\":\"b\","
		"\"ts\":\"2026-11-30T08:00:00Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":3,\"type\":\"incident\",\"call_id\":\"c\","
		"\"ts\":\"2026-11-29T08:00:10Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":4,\"type\":\"incident\",\"call_id\":\"d\","
		"\"ts\":\"2026-11-29T08:00:20Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":1,\"type\":\"incident\",\"call_id\":\"e\","
		"\"ts\":\"2026-11-29T08:00:40Z\"}\n"
		"{\"source\":\"cad-1\",\"seq\":2,\"type\":\"incident\",\"call_id\":\"f\","
		"\"ts\":\"2026-11-29T08:00:50Z\"}\n";
	static const char restarted[] =
		"{\"alert\":\"firing\",\"alert_id\":\"337676e0da0165e4\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:00:20.000Z\",\"type\":\"system\","
		"\"system\":\"sender_restarted\",\"severity\":\"warning\",\"source\":\"cad-1\","
		"\"message\":\"feed source cad-1 restarted its numbering (on a line newer than all "
		"its others): seq 1 after 4; its events are taken as new from there\"}\n";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {input, NULL};
	struct tool_run run;

	(void)state;
	run_on_lines(input, "resend-refused.ndjson", lines, args,
		     "cadmon-backtest: %1$s:3: future: incident: \"ts\" is 86400 s ahead of the "
		     "other sources, over the 1200 s allowed (feed.max_future_seconds + "
		     "tracker.max_source_lag_seconds)\n"
		     "cadmon-backtest: 8 records (non-blank lines) read, 7 accepted, 1 rejected: "
		     "future 1\n",
		     &run);
	assert_int_equal(occurrences(run.out, "\"system\":\"sender_restarted\""), 1);
	assert_non_null(strstr(run.out, restarted));
	assert_non_null(strstr(run.out, "  events                 6\n"));
	assert_non_null(strstr(run.out, "  duplicate events       1\n"));
	assert_non_null(strstr(run.out, "    future               1\n"));
	assert_non_null(strstr(
		run.out,
		"sources\n"
		"  cad-2                  1 events, 0 late, 0 future, 0 too_late, 50 s behind\n"
		"  cad-1                  5 events, 0 late, 1 future, 0 too_late, 0 s behind\n"));
	tool_run_free(&run);
}

/* A file's last line without "\n" is still a line, and counted as unterminated. */
static void test_unterminated_last_line_is_read(void **state)
{
	static const char lines[] = "{\"type\":\"call_start\",\"call_id\":\"u1\",\"ts\":\"2026-11-"
				    "29T08:00:00Z\",\"operator\":\"op-1\"}\n"
				    "{\"type\":\"call_end\",\"call_id\":\"u1\",\"ts\":\"2026-11-"
				    "29T08:00:30Z\",\"released_by\":\"caller\"}";
	char input[PATH_MAX_BYTES];
	const char *const args[] = {"--json", input, NULL};
	struct tool_run run;

	(void)state;
	write_input(input, "unterminated.ndjson", lines);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	json_object *totals = field(document, "totals");
	assert_count(totals, "lines", 2);
	assert_count(totals, "completed_calls", 1);
	assert_count(totals, "unterminated_lines", 1);
	assert_string_equal(run.err, "");
	json_object_put(document);
	tool_run_free(&run);
}

/* ---- tests: determinism ------------------------------------------------------------------ */

static void assert_same_output_twice(const char *const args[], const char *html_path)
{
	struct tool_run first, second;
	char *first_html = NULL, *second_html = NULL;
	size_t first_len = 0, second_len = 0;

	run_tool(args, &first);
	if (html_path)
		first_html = read_whole_file(html_path, &first_len);
	run_tool(args, &second);
	if (html_path)
		second_html = read_whole_file(html_path, &second_len);
	assert_int_equal(first.exit_status, 0);
	assert_int_equal(second.exit_status, 0);
	assert_true(first.out_len > 0);
	assert_int_equal(first.out_len, second.out_len);
	assert_memory_equal(first.out, second.out, first.out_len);
	assert_int_equal(first_len, second_len);
	if (html_path)
		assert_memory_equal(first_html, second_html, first_len);
	free(first_html);
	free(second_html);
	tool_run_free(&first);
	tool_run_free(&second);
}

/* The same file and configuration give the same bytes, in every format. */
static void test_same_input_same_output(void **state)
{
	char html_path[PATH_MAX_BYTES];
	const char *const text_args[] = {"--quiet", "-c", fixture.config, fixture.recording, NULL};
	const char *const json_args[] = {"--json", "-c", fixture.config, fixture.recording, NULL};
	const char *const html_args[] = {"--quiet", "-c", fixture.config, "--html", html_path,
					 fixture.recording, NULL};

	(void)state;
	path_in_dir(html_path, "twice.html");
	assert_same_output_twice(text_args, NULL);
	assert_same_output_twice(json_args, NULL);
	assert_same_output_twice(html_args, html_path);
}

/* ---- tests: errors ----------------------------------------------------------------------- */

/* Every configuration error, as cadmond -n prints it, and exit 1 before reading anything. */
static void test_bad_config_exits_1(void **state)
{
	static const char bad_config[] =
		"detector:\n"
		"  rules:\n"
		"    - name: quick\n"
		"      window_seconds: 0\n"
		"      min_ratio: 1.5\n";
	char config[PATH_MAX_BYTES], expected[2 * PATH_MAX_BYTES + 256];
	const char *const args[] = {"-c", config, fixture.recording, NULL};
	struct tool_run run;

	(void)state;
	path_in_dir(config, "bad.yaml");
	write_file(config, bad_config, strlen(bad_config));
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 1);
	assert_string_equal(run.out, "");
	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %s:4:23: detector.rules[0] (name: quick): window_seconds: must "
		 "be an integer from 1 to 2592000\n"
		 "cadmon-backtest: %s:5:18: detector.rules[0] (name: quick): min_ratio: must be a "
		 "number from 0 to 1\n",
		 config, config);
	assert_string_equal(run.err, expected);
	tool_run_free(&run);
}

static void test_unreadable_config_exits_1(void **state)
{
	char config[PATH_MAX_BYTES], expected[PATH_MAX_BYTES + 64];
	const char *const args[] = {"-c", config, fixture.recording, NULL};
	struct tool_run run;

	(void)state;
	path_in_dir(config, "no-such.yaml");
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 1);
	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %s: cannot read: No such file or directory\n", config);
	assert_string_equal(run.err, expected);
	assert_string_equal(run.out, "");
	tool_run_free(&run);
}

/* The tool, run with args, exits with status, nothing on stdout and exactly err on stderr. */
static void assert_run_fails(const char *const args[], int status, const char *err)
{
	struct tool_run run;

	run_tool(args, &run);
	assert_int_equal(run.exit_status, status);
	assert_string_equal(run.out, "");
	assert_string_equal(run.err, err);
	tool_run_free(&run);
}

/* --html's file is opened before anything is printed: a path that cannot be created fails with
 * nothing on stdout (before: the text report, then the error); a write failure says its errno
 * (before: /dev/full's ENOSPC came out as "Input/output error"). */
static void test_html_file_errors_exit_1(void **state)
{
	char html_path[PATH_MAX_BYTES], expected[PATH_MAX_BYTES + 128];
	const char *const args[] = {"-q", "-c", fixture.config, "--html", html_path,
				    fixture.recording, NULL};
	struct tool_run run;

	(void)state;
	path_in_dir(html_path, "no-such-dir/report.html");
	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %s: cannot create: No such file or directory\n", html_path);
	assert_run_fails(args, 1, expected);

	snprintf(html_path, sizeof(html_path), "/dev/full");
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 1);
	assert_string_equal(run.err,
			    "cadmon-backtest: /dev/full: cannot write the report: No space left on "
			    "device\n");
	tool_run_free(&run);
}

/* A missing input is found before any input is read: no partial report. */
static void test_missing_input_exits_1(void **state)
{
	char missing[PATH_MAX_BYTES], expected[PATH_MAX_BYTES + 64];
	const char *const args[] = {"-c", fixture.config, fixture.recording, missing, NULL};
	struct tool_run run;

	(void)state;
	path_in_dir(missing, "no-such.ndjson");
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 1);
	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %s: cannot open: No such file or directory\n", missing);
	assert_string_equal(run.err, expected);
	assert_string_equal(run.out, "");
	tool_run_free(&run);
}

static void test_directory_input_exits_1(void **state)
{
	char expected[PATH_MAX_BYTES + 64];
	const char *const args[] = {fixture.dir, NULL};
	struct tool_run run;

	(void)state;
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 1);
	snprintf(expected, sizeof(expected), "cadmon-backtest: %s: is a directory\n", fixture.dir);
	assert_string_equal(run.err, expected);
	tool_run_free(&run);
}

static void assert_usage_error(const char *const args[], const char *first_line)
{
	char expected[256];

	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %s\nTry 'cadmon-backtest -h' for help.\n", first_line);
	assert_run_fails(args, 2, expected);
}

static void test_usage_errors_exit_2(void **state)
{
	const char *const no_file[] = {"--json", NULL};
	const char *const unknown[] = {"--bogus", fixture.recording, NULL};
	const char *const no_value[] = {fixture.recording, "--html", NULL};
	const char *const no_config[] = {fixture.recording, "-c", NULL};

	(void)state;
	assert_usage_error(no_file, "no input FILE given (\"-\" reads standard input)");
	assert_usage_error(unknown, "unknown option \"--bogus\"");
	assert_usage_error(no_value, "option \"--html\" needs a value");
	assert_usage_error(no_config, "option \"-c\" needs a value");
}

static void test_help_exits_0(void **state)
{
	static const char usage[] =
		"usage: cadmon-backtest [-c FILE] [--mapping NAME] [--max-reject-share SHARE] "
		"[--json]\n"
		"                       [--html FILE] [--quiet] [--no-future-guard] FILE...\n";
	const char *const args[] = {"-h", NULL};
	struct tool_run run;

	(void)state;
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_true(run.out_len > strlen(usage));
	assert_memory_equal(run.out, usage, strlen(usage));
	assert_string_equal(run.err, "");
	tool_run_free(&run);
}

/* ---- tests: record mappings and the rejected share ------------------------------------- */

#define EXAMPLE_CONFIG CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml"
#define EXAMPLE_CSV CADMON_SOURCE_DIR "/tests/data/example-cdr.csv"
#define EXAMPLE_NDJSON CADMON_SOURCE_DIR "/tests/data/example-cdr.ndjson"
#define EXAMPLE_ALERTS CADMON_SOURCE_DIR "/tests/data/example-cdr.alerts"

/* The text up to the first blank line ("\n\n"): the alert lines of a text report. */
static size_t alert_lines_len(const char *out)
{
	const char *table = strstr(out, "\n\n");

	assert_non_null(table);
	return (size_t)(table - out) + 1;
}

/* The shipped CDR example: the rogue call-taker (AG03) flagged with the exact alert lines,
 * nothing rejected, and the same report as the equivalent NDJSON (bytes read apart). */
static void test_example_cdr_mapping(void **state)
{
	const char *const mapped[] = { "-c",	      EXAMPLE_CONFIG, "--mapping",
				       "example-cdr", EXAMPLE_CSV,    NULL };
	const char *const feed[] = {"-c", EXAMPLE_CONFIG, EXAMPLE_NDJSON, NULL};
	struct tool_run csv, ndjson;
	size_t alerts_len = 0;
	char *alerts = read_whole_file(EXAMPLE_ALERTS, &alerts_len);

	(void)state;
	run_tool(mapped, &csv);
	run_tool(feed, &ndjson);
	assert_int_equal(csv.exit_status, 0);
	assert_string_equal(csv.err, "");
	assert_int_equal(alert_lines_len(csv.out), alerts_len);
	assert_memory_equal(csv.out, alerts, alerts_len);
	assert_non_null(strstr(
		alerts,
		"{\"alert\":\"firing\",\"alert_id\":\"1bfd2775bc46791c\",\"seq\":1,"
		"\"ts\":\"2026-11-29T17:13:46.000Z\",\"type\":\"operator\",\"agency\":\"KCPD\","
		"\"operator\":\"AG03\",\"position\":\"P03\",\"rule\":\"sequential\""));
	assert_non_null(
		strstr(csv.out, "KCPD    AG03         49         18  0.3673       6       1  "));
	assert_non_null(strstr(csv.out, "  rejected lines         0\n"
					"  records read           301\n"
					"  records accepted       301\n"
					"  records skipped        0\n"
					"  records rejected       0\n"
					"  completed calls        301\n"));
	assert_int_equal(ndjson.exit_status, 0);
	assert_string_equal(ndjson.err, "");
	assert_null(strstr(ndjson.out, "records read"));
	assert_non_null(strstr(csv.out, "  bytes read             31669\n"));
	assert_non_null(strstr(ndjson.out, "  bytes read             89179\n"));
	*strstr(csv.out, "  bytes read") = '\0';
	*strstr(ndjson.out, "  bytes read") = '\0';
	assert_string_equal(csv.out, ndjson.out);
	free(alerts);
	tool_run_free(&csv);
	tool_run_free(&ndjson);
}

/* A CSV given as feed lines: every line rejected, the summary on stderr, exit 3, the report
 * written all the same; --max-reject-share 1 accepts it, a bad share is a usage error. */
static void test_csv_as_feed_lines_exits_3(void **state)
{
	const char *const plain[] = {"--quiet", EXAMPLE_CSV, NULL};
	const char *const tolerant[] = {"--quiet", "--max-reject-share", "1", EXAMPLE_CSV, NULL};
	const char *const bad_share[] = {"--max-reject-share", "1.5", EXAMPLE_CSV, NULL};
	struct tool_run run;

	(void)state;
	run_tool(plain, &run);
	assert_int_equal(run.exit_status, 3);
	assert_string_equal(
		run.err,
		"cadmon-backtest: 302 records (non-blank lines) read, 0 accepted, 302 rejected: "
		"invalid_json 302\n"
		"cadmon-backtest: 100.0% of the records were rejected, more than "
		"--max-reject-share "
		"0.5: is the input feed lines (protocol v1), or does it need --mapping?\n");
	assert_non_null(strstr(run.out, "  rejected lines         302\n"));
	tool_run_free(&run);
	run_tool(tolerant, &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(run.err, "");
	tool_run_free(&run);
	assert_usage_error(bad_share,
			   "--max-reject-share must be a number from 0 to 1, not \"1.5\"");
}

/* --json and --html of test_mapping_rejects_summarized's rows: the records exactly (the
 * feed lines' "rejected" stays 0: the rejected records made no line). */
static void assert_mapped_records_reported(const char *input)
{
	char html_path[PATH_MAX_BYTES];
	const char *const json_args[] = { "-q",		 "-c",	   EXAMPLE_CONFIG, "-m",
					  "example-cdr", "--json", input,	   NULL };
	const char *const html_args[] = { "-q",	    "-c",      EXAMPLE_CONFIG, "-m", "example-cdr",
					  "--html", html_path, input,	       NULL };
	struct tool_run run;
	size_t len = 0;

	run_tool(json_args, &run);
	assert_int_equal(run.exit_status, 0);
	json_object *document = json_tokener_parse(run.out);
	assert_non_null(document);
	json_object *totals = field(document, "totals");
	assert_count(totals, "lines", 4);
	assert_count(totals, "rejected", 0);
	assert_string_equal(
		json_object_to_json_string_ext(field(totals, "records"), JSON_C_TO_STRING_PLAIN),
		"{\"read\":5,\"accepted\":2,\"skipped\":1,\"rejected\":2,"
		"\"rejects\":{\"missing_field\":1,\"bad_timestamp\":1}}");
	json_object_put(document);
	tool_run_free(&run);
	path_in_dir(html_path, "records.html");
	run_tool(html_args, &run);
	assert_int_equal(run.exit_status, 0);
	char *html = read_whole_file(html_path, &len);
	assert_non_null(strstr(html, "<tr><td>records read</td><td class=\"num\">5</td></tr>\n"
				     "<tr><td>records accepted</td><td class=\"num\">2</td></tr>\n"
				     "<tr><td>records skipped (unanswered)</td><td class=\"num\">1"
				     "</td></tr>\n"
				     "<tr><td>records rejected</td><td class=\"num\">2</td></tr>\n"
				     "<tr><td>&nbsp;&nbsp;missing_field</td><td class=\"num\">1"
				     "</td></tr>\n"
				     "<tr><td>&nbsp;&nbsp;bad_timestamp</td><td class=\"num\">1"
				     "</td></tr>\n"));
	assert_non_null(strstr(html, "2 rejected, 1 skipped (unanswered)"));
	free(html);
	tool_run_free(&run);
}

/* Rows a mapping does not fit: rejected by reason, exit 3 over the share; an abandoned call
 * (no AgentID, no AnswerTime: skip_when_empty) skipped, not rejected; 40 % rejected is not
 * more than half. */
static void test_mapping_rejects_summarized(void **state)
{
	static const char rows[] =
		"CallID,Agency,Position,AgentID,ANI,AnswerTime,ReleaseTime,ReleasedBy,"
		"IncidentNo\r\n"
		"C1,KCPD,P1,AG1,,11/29/2026 06:00:00 AM,11/29/2026 06:00:30 AM,C,\r\n"
		"C2,KCPD,P1,AG1,,2026-11-29 06:01:00,11/29/2026 06:01:30 AM,C,\r\n"
		"\r\n"
		"C3,KCPD,,,5045550101,,11/29/2026 06:02:30 AM,C,\r\n"
		",KCPD,P1,AG1,,11/29/2026 06:02:00 AM,11/29/2026 06:02:30 AM,C,\r\n"
		"C4,KCPD,P1,AG1,,11/29/2026 06:03:00 AM,11/29/2026 06:03:30 AM,C,\r\n";
	char input[PATH_MAX_BYTES], expected[1024];
	const char *const args[] = {"-c", EXAMPLE_CONFIG, "-m", "example-cdr", input, NULL};
	const char *const strict[] = { "-q",   "-c",	      EXAMPLE_CONFIG,
				       "-m",   "example-cdr", "--max-reject-share",
				       "0.25", input,	      NULL };
	const char *const unknown[] = {"-c", EXAMPLE_CONFIG, "-m", "vendor-x", input, NULL};
	struct tool_run run;

	(void)state;
	write_input(input, "rows.csv", rows);
	run_tool(args, &run);
	assert_int_equal(run.exit_status, 0);
	snprintf(expected, sizeof(expected),
		 "cadmon-backtest: %1$s:3: bad_timestamp: \"AnswerTime\": not a time in the format "
		 "\"%%m/%%d/%%Y %%I:%%M:%%S %%p\": \"2026-11-29 06:01:00\"\n"
		 "cadmon-backtest: %1$s:6: missing_field: \"CallID\": missing or empty\n"
		 "cadmon-backtest: 5 records (non-blank lines) read, 2 accepted, 1 skipped "
		 "(unanswered), 2 rejected: missing_field 1, bad_timestamp 1\n",
		 input);
	assert_string_equal(run.err, expected);
	assert_non_null(strstr(run.out, "  rejected lines         0\n"
					"  records read           5\n"
					"  records accepted       2\n"
					"  records skipped        1\n"
					"  records rejected       2\n"
					"    missing_field        1\n"
					"    bad_timestamp        1\n"
					"  completed calls        2\n"));
	tool_run_free(&run);
	run_tool(strict, &run);
	assert_int_equal(run.exit_status, 3);
	assert_string_equal(
		run.err,
		"cadmon-backtest: 5 records (non-blank lines) read, 2 accepted, 1 skipped "
		"(unanswered), 2 rejected: missing_field 1, bad_timestamp 1\n"
		"cadmon-backtest: 40.0% of the records were rejected, more than --max-reject-share "
		"0.25: does the mapping describe these records?\n");
	tool_run_free(&run);
	assert_mapped_records_reported(input);
	run_tool(unknown, &run);
	assert_int_equal(run.exit_status, 1);
	assert_string_equal(
		run.err, "cadmon-backtest: no mapping named \"vendor-x\" in " EXAMPLE_CONFIG "\n");
	tool_run_free(&run);
}

/* The example's time zone is the system's America/Chicago tzfile: the fall-back hour read as
 * configured (earlier: CDT, later: CST), the spring-forward gap read with CST. */
static void test_mapping_daylight_saving_time(void **state)
{
	static const char header[] =
		"CallID,Agency,Position,AgentID,ANI,AnswerTime,ReleaseTime,ReleasedBy,IncidentNo\n";
	char fall[PATH_MAX_BYTES], spring[PATH_MAX_BYTES], later_config[PATH_MAX_BYTES], text[4096];
	const char *const earlier_fall[] = {"-c", EXAMPLE_CONFIG, "-m", "example-cdr", fall, NULL};
	const char *const later_fall[] = {"-c", later_config, "-m", "example-cdr", fall, NULL};
	const char *const spring_run[] = {"-c", EXAMPLE_CONFIG, "-m", "example-cdr", spring, NULL};
	size_t len = 0;
	char *example = read_whole_file(EXAMPLE_CONFIG, &len);
	char *ambiguous = strstr(example, "ambiguous_time: earlier");
	struct tool_run run;

	(void)state;
	assert_non_null(ambiguous);
	memcpy(ambiguous, "ambiguous_time: later  ", strlen("ambiguous_time: earlier"));
	path_in_dir(later_config, "later.yaml");
	write_file(later_config, example, len);
	path_in_dir(fall, "fall.csv");
	snprintf(text, sizeof(text),
		 "%sF1,KCPD,P1,AG1,,11/01/2026 01:30:00 AM,11/01/2026 01:45:00 AM,C,\n", header);
	write_file(fall, text, strlen(text));
	path_in_dir(spring, "spring.csv");
	snprintf(text, sizeof(text),
		 "%sS1,KCPD,P1,AG1,,03/08/2026 02:30:00 AM,03/08/2026 03:40:00 AM,C,\n", header);
	write_file(spring, text, strlen(text));
	run_tool(earlier_fall, &run);
	assert_non_null(strstr(run.out, "  event time from        2026-11-01T06:30:00.000Z\n"
					"  event time to          2026-11-01T06:45:00.000Z\n"));
	tool_run_free(&run);
	run_tool(later_fall, &run);
	assert_non_null(strstr(run.out, "  event time from        2026-11-01T07:30:00.000Z\n"
					"  event time to          2026-11-01T07:45:00.000Z\n"));
	tool_run_free(&run);
	run_tool(spring_run, &run);
	assert_string_equal(run.err, "");
	assert_non_null(strstr(run.out, "  event time from        2026-03-08T08:30:00.000Z\n"
					"  event time to          2026-03-08T08:40:00.000Z\n"));
	tool_run_free(&run);
	free(example);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_report_is_exact),
		cmocka_unit_test(test_quiet_says_nothing_on_stderr),
		cmocka_unit_test(test_json_report_is_exact),
		cmocka_unit_test(test_html_report_is_self_contained),
		cmocka_unit_test(test_html_escapes_feed_text),
		cmocka_unit_test(test_last_second_update_printed),
		cmocka_unit_test(test_text_table_names_and_widths),
		cmocka_unit_test(test_files_and_stdin_are_one_stream),
		cmocka_unit_test(test_line_limits_and_chunk_boundaries),
		cmocka_unit_test(test_unterminated_last_line_is_read),
		cmocka_unit_test(test_sources_and_the_future_guard),
		cmocka_unit_test(test_source_key_anywhere),
		cmocka_unit_test(test_hello_names_the_inputs_source),
		cmocka_unit_test(test_source_escaped_or_refused),
		cmocka_unit_test(test_sources_bind_their_calls),
		cmocka_unit_test(test_named_source_numbering),
		cmocka_unit_test(test_recording_restarts_numbering),
		cmocka_unit_test(test_recording_resend_of_refused_line),
		cmocka_unit_test(test_listed_sources_only),
		cmocka_unit_test(test_same_input_same_output),
		cmocka_unit_test(test_bad_config_exits_1),
		cmocka_unit_test(test_unreadable_config_exits_1),
		cmocka_unit_test(test_html_file_errors_exit_1),
		cmocka_unit_test(test_missing_input_exits_1),
		cmocka_unit_test(test_directory_input_exits_1),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_help_exits_0),
		cmocka_unit_test(test_example_cdr_mapping),
		cmocka_unit_test(test_csv_as_feed_lines_exits_3),
		cmocka_unit_test(test_mapping_rejects_summarized),
		cmocka_unit_test(test_mapping_daylight_saving_time),
	};

	return cmocka_run_group_tests(tests, setup_fixture, teardown_fixture);
}
