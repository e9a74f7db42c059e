/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch without sockets: the board model (tools/watch_board.c) given alert-port
 * lines of protocol 2 yields exact rows; the keyboard's ack prompt (watch_prompt.c); the
 * screen's layout (watch_screen_compose) in a fixed size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "watch_board.h"
#include "watch_prompt.h"
#include "watch_screen.h"
#include "watch_text.h"

#define ROWS_BYTES 16384

/* The scripted shift's alert (tests/support/shift_fixture.c) as protocol 2 sends it. */
static const char firing_line[] =
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,\"ts\":\"2026-11-29T08:"
	"04:30.000Z\","
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","
	"\"rule\":\"burst\","
	"\"severity\":\"critical\",\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_"
	"back\":0,"
	"\"ratio\":0.75,\"center_ratio\":0,\"p_value\":4.81e-04,\"callbacks\":["
	"{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:20.000Z\",\"talk_"
	"seconds\":10,\"called_back\":false},"
	"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,\"called_"
	"back\":false},"
	"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"
	"seconds\":5,\"called_back\":false}]}";

/* op-7 cuts off c5; c1's caller rang again. */
static const char update_line[] = "{\"alert\":\"update\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":"
				  "2,\"ts\":\"2026-11-29T08:05:30.000Z\","
				  "\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\","
				  "\"position\":\"P3\",\"rule\":\"burst\","
				  "\"severity\":\"critical\",\"window_seconds\":600,\"calls\":5,"
				  "\"premature\":4,\"called_back\":1,"
				  "\"ratio\":0.8,\"callbacks\":["
				  "{\"call_id\":\"c5\",\"ani\":\"5045550105\",\"ts\":\"2026-11-"
				  "29T08:05:20.000Z\",\"talk_seconds\":3,\"called_back\":false},"
				  "{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-"
				  "29T08:00:00.000Z\",\"talk_seconds\":5,\"called_back\":true}]}";

static const char ack_line[] = "{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\","
			       "\"seq\":3,\"ts\":\"2026-11-29T08:06:00.000Z\","
			       "\"type\":\"operator\",\"operator\":\"op-7\",\"agency\":\"NOPD\","
			       "\"by\":\"Lee\",\"note\":\"calling them\"}";

static const char repeat_ack_line[] =
	"{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":4,\"ts\":\"2026-11-"
	"29T08:06:30.000Z\","
	"\"type\":\"operator\",\"operator\":\"op-7\",\"agency\":\"NOPD\",\"by\":\"Kim\",\"note\":"
	"\"\","
	"\"repeat\":true,\"first_by\":\"Lee\",\"first_ts\":\"2026-11-29T08:06:00.000Z\"}";

static const char resolved_line[] = "{\"alert\":\"resolved\",\"alert_id\":\"6033274aee8baf5c\","
				    "\"seq\":5,\"ts\":\"2026-11-29T08:15:00.000Z\","
				    "\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-"
				    "7\",\"position\":\"P3\",\"rule\":\"burst\","
				    "\"severity\":\"critical\",\"window_seconds\":600,\"calls\":2,"
				    "\"premature\":1,\"called_back\":0,\"ratio\":0.5}";

static const char system_line[] = "{\"alert\":\"firing\",\"alert_id\":\"00000000000000bb\",\"seq\":"
				  "6,\"ts\":\"2026-11-29T08:07:00.000Z\","
				  "\"type\":\"system\",\"system\":\"feed_silent\",\"severity\":"
				  "\"warning\",\"source\":\"cad-1\","
				  "\"message\":\"feed source cad-1 has sent nothing for 300 s\"}";

/* The shift's alert in a board, acknowledged, with one caller who rang again. */
static const char open_line[] =
	"{\"alert\":\"open\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":2,\"ts\":\"2026-11-29T08:05:"
	"30.000Z\","
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","
	"\"rule\":\"burst\","
	"\"severity\":\"critical\",\"window_seconds\":600,\"calls\":5,\"premature\":4,\"called_"
	"back\":1,"
	"\"ratio\":0.8,\"opened_ts\":\"2026-11-29T08:04:30.000Z\",\"callbacks\":["
	"{\"call_id\":\"c5\",\"ani\":\"5045550105\",\"ts\":\"2026-11-29T08:05:20.000Z\",\"talk_"
	"seconds\":3,\"called_back\":false},"
	"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"
	"seconds\":5,\"called_back\":true}],"
	"\"acknowledged\":{\"by\":\"Lee\",\"note\":\"on it\",\"ts\":\"2026-11-29T08:06:00.000Z\"}}";

static void apply(struct watch_board *board, unsigned instance, const char *line,
		  struct watch_board_outcome *outcome)
{
	json_object *object = json_tokener_parse(line);

	assert_non_null(object);
	watch_board_apply(board, instance, object, outcome);
	json_object_put(object);
}

/* Rows joined with "\n". */
struct joined {
	char text[ROWS_BYTES];
	size_t len;
};

static void join_row(void *context, const char *row)
{
	struct joined *joined = context;

	joined->len += (size_t)snprintf(joined->text + joined->len,
					sizeof(joined->text) - joined->len, "%s\n", row);
}

static void expect_board(const struct watch_board *board, size_t max_rows, const char *expected)
{
	struct joined joined = { .len = 0 };

	joined.text[0] = '\0';
	watch_board_render(board, max_rows, join_row, &joined);
	assert_string_equal(joined.text, expected);
}

static void expect_notices(const struct watch_board *board, size_t max_rows, const char *expected)
{
	struct joined joined = { .len = 0 };

	joined.text[0] = '\0';
	watch_board_render_notices(board, max_rows, join_row, &joined);
	assert_string_equal(joined.text, expected);
}

static const char shift_board[] =
	" 1 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off in 10 min "
	"(75%), "
	"rule burst, open since 08:04:30Z\n"
	"     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
	"     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
	"     call back 5045550101  call c1, answered 08:00:00Z, talk 5 s\n";

static void test_firing_pins_the_alert_with_its_callbacks(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, firing_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_true(outcome.bell);
	assert_true(outcome.has_seq);
	assert_int_equal(outcome.seq, 1);
	assert_string_equal(outcome.row,
			    "08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off "
			    "in 10 min (75%), rule burst, 3 to call back");
	expect_board(board, 100, shift_board);
	assert_int_equal(watch_board_open_count(board), 1);
	assert_string_equal(watch_board_alert_id(board, 1), "6033274aee8baf5c");
	assert_null(watch_board_alert_id(board, 2));
	assert_null(watch_board_alert_id(board, 0));
	watch_board_free(board);
}

static void test_update_adds_callbacks_and_marks_called_back(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, firing_line, &outcome);
	apply(board, 0, update_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_false(outcome.bell);
	assert_string_equal(outcome.row,
			    "08:05:30Z UPDATE #2 CRITICAL NOPD/op-7 (P3): 4 of 5 calls cut off "
			    "in 10 min (80%), rule burst, 1 more to call back, 1 rang again");
	expect_board(board, 100,
		     " 1 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  4 of 5 calls cut off "
		     "in 10 min "
		     "(80%), rule burst, open since 08:04:30Z\n"
		     "     call back 5045550105  call c5, answered 08:05:20Z, talk 3 s\n"
		     "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		     "     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
		     "     rang again 5045550101  call c1, answered 08:00:00Z, talk 5 s\n");
	/* The same update from the other instance of the pair brings nothing new. */
	apply(board, 1, update_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	assert_string_equal(outcome.row, "");
	watch_board_free(board);
}

static void test_acknowledged_shows_who(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, firing_line, &outcome);
	apply(board, 0, ack_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_false(outcome.bell);
	assert_string_equal(outcome.row, "08:06:00Z ACKED #3 NOPD/op-7 by Lee: calling them");
	expect_board(board, 1,
		     " 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee 08:06:00Z  3 to call back  3 of 4 "
		     "calls cut "
		     "off in 10 min (75%), rule burst, open since 08:04:30Z, note: calling them\n");
	/* A second ack is shown as such; the board keeps the first. */
	apply(board, 0, repeat_ack_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_string_equal(
		outcome.row,
		"08:06:30Z ACKED #4 NOPD/op-7 by Kim (again; first by Lee at 08:06:00Z)");
	expect_board(board, 1,
		     " 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee 08:06:00Z  3 to call back  3 of 4 "
		     "calls cut "
		     "off in 10 min (75%), rule burst, open since 08:04:30Z, note: calling them\n");
	/* The pair's other instance broadcasts the same first ack. */
	apply(board, 1, ack_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	watch_board_free(board);
}

static void test_resolved_closes_and_late_copies_stay_closed(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, firing_line, &outcome);
	apply(board, 0, resolved_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_string_equal(outcome.row,
			    "08:15:00Z RESOLVED #5 CRITICAL NOPD/op-7 (P3): now 1 of 2 calls cut "
			    "off in 10 min (50%), rule burst");
	expect_board(board, 100, "");
	/* The other instance, behind, sends the firing and the update late: not shown again. */
	apply(board, 1, firing_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	apply(board, 1, update_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	apply(board, 1, resolved_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	expect_board(board, 100, "");
	expect_notices(
		board, 10,
		"08:15:00Z RESOLVED #5 CRITICAL NOPD/op-7 (P3): now 1 of 2 calls cut off in 10 min "
		"(50%), rule burst\n"
		"08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min (75%), "
		"rule burst, 3 to call back\n");
	watch_board_free(board);
}

static void test_board_replaces_what_the_instance_said(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	/* Instance 0 knew the shift's alert and a system alert; its new board has only the
	 * first (acknowledged meanwhile); instance 1 still says the system alert is open. */
	apply(board, 0, firing_line, &outcome);
	apply(board, 0, system_line, &outcome);
	apply(board, 1, system_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	apply(board, 0, "{\"board\":\"begin\",\"seq\":7,\"open\":1}", &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_SNAPSHOT);
	assert_false(outcome.board_complete);
	apply(board, 0, open_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_SNAPSHOT);
	apply(board, 0, "{\"board\":\"end\",\"seq\":7,\"open\":1}", &outcome);
	assert_true(outcome.board_complete);
	assert_true(outcome.has_seq);
	assert_int_equal(outcome.seq, 7);
	expect_board(board, 100,
		     " 1 !! SYSTEM WARNING NOT ACKED  feed source cad-1 has sent nothing for 300 "
		     "s, open since "
		     "08:07:00Z\n"
		     " 2 CRITICAL NOPD/op-7 (P3)  ACKED by Lee 08:06:00Z  1 to call back  4 of 5 "
		     "calls cut off "
		     "in 10 min (80%), rule burst, open since 08:04:30Z, note: on it\n"
		     "     call back 5045550105  call c5, answered 08:05:20Z, talk 3 s\n"
		     "     rang again 5045550101  call c1, answered 08:00:00Z, talk 5 s\n");
	/* Instance 1's board without the system alert: no one says it is open any more. */
	apply(board, 1, "{\"board\":\"begin\",\"seq\":9,\"open\":0}", &outcome);
	apply(board, 1, "{\"board\":\"end\",\"seq\":9,\"open\":0}", &outcome);
	assert_int_equal(watch_board_open_count(board), 1);
	assert_string_equal(watch_board_alert_id(board, 1), "6033274aee8baf5c");
	watch_board_free(board);
}

static void test_small_screens_show_fewer_callbacks_then_fewer_alerts(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, firing_line, &outcome);
	apply(board, 0, system_line, &outcome);
	expect_board(board, 4,
		     " 1 !! SYSTEM WARNING NOT ACKED  feed source cad-1 has sent nothing for 300 "
		     "s, open since "
		     "08:07:00Z\n"
		     " 2 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off "
		     "in 10 min "
		     "(75%), rule burst, open since 08:04:30Z\n"
		     "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		     "     + 2 more\n");
	expect_board(board, 2,
		     " 1 !! SYSTEM WARNING NOT ACKED  feed source cad-1 has sent nothing for 300 "
		     "s, open since "
		     "08:07:00Z\n"
		     " 2 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off "
		     "in 10 min "
		     "(75%), rule burst, open since 08:04:30Z\n");
	expect_board(board, 1, "+ 2 more open alerts\n");
	watch_board_free(board);
}

static void test_escalations_and_messages(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	char escalated[2048];
	(void)state;

	apply(board, 0, firing_line, &outcome);
	snprintf(escalated, sizeof(escalated),
		 "{\"alert\":\"escalated\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":7,\"ts\":"
		 "\"2026-11-29T08:09:30.000Z\","
		 "\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":"
		 "\"P3\",\"rule\":\"burst\","
		 "\"severity\":\"critical\",\"reason\":\"unacknowledged\",\"window_seconds\":600,"
		 "\"calls\":4,"
		 "\"premature\":3,\"called_back\":0,\"ratio\":0.75,\"callbacks\":[]}");
	apply(board, 0, escalated, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_true(outcome.bell);
	assert_string_equal(outcome.row,
			    "08:09:30Z ESCALATED #7 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut "
			    "off in 10 min (75%), rule burst (not acknowledged in time)");
	apply(board, 1, escalated, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_DUPLICATE);
	assert_false(outcome.bell);
	expect_board(board, 1,
		     " 1 CRITICAL (escalated) NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 "
		     "calls cut off "
		     "in 10 min (75%), rule burst, open since 08:04:30Z\n");
	/* cadmond's word to this console alone, a control character made harmless. */
	apply(board, 0, "{\"notice\":\"ack: no open alert 0123456789abcdef\\u001b[2J\"}", &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_MESSAGE);
	assert_string_equal(outcome.row, "cadmond: ack: no open alert 0123456789abcdef?[2J");
	apply(board, 0,
	      "{\"alert\":\"firing\",\"alert_id\":\"00000000000000cc\",\"ts\":\"2026-11-29T08:09:"
	      "30Z\"}",
	      &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_INVALID);
	assert_string_equal(outcome.row, "alert without a valid \"seq\"");
	apply(board, 0, "{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}", &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_IGNORED);
	apply(board, 0, "{\"weather\":\"fine\"}", &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_IGNORED);
	watch_board_free(board);
}

static void test_system_alert_banner_and_ack(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	(void)state;

	apply(board, 0, system_line, &outcome);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_true(outcome.bell);
	assert_string_equal(
		outcome.row,
		"08:07:00Z SYSTEM ALERT #6 WARNING feed source cad-1 has sent nothing for 300 s");
	apply(board, 0,
	      "{\"alert\":\"acknowledged\",\"alert_id\":\"00000000000000bb\",\"seq\":8,"
	      "\"ts\":\"2026-11-29T08:08:00.000Z\",\"type\":\"system\",\"system\":\"feed_silent\","
	      "\"by\":\"Lee\",\"note\":\"\"}",
	      &outcome);
	assert_string_equal(outcome.row, "08:08:00Z SYSTEM ACKED #8 feed_silent by Lee");
	expect_board(board, 10,
		     " 1 !! SYSTEM WARNING ACKED by Lee 08:08:00Z  feed source cad-1 has sent "
		     "nothing for 300 s, "
		     "open since 08:07:00Z\n");
	apply(board, 0,
	      "{\"alert\":\"resolved\",\"alert_id\":\"00000000000000bb\",\"seq\":9,"
	      "\"ts\":\"2026-11-29T08:09:00.000Z\",\"type\":\"system\",\"system\":\"feed_silent\","
	      "\"severity\":\"warning\",\"source\":\"cad-1\",\"message\":\"feed source cad-1 is "
	      "sending again\"}",
	      &outcome);
	assert_string_equal(
		outcome.row,
		"08:09:00Z SYSTEM RESOLVED #9 WARNING feed source cad-1 is sending again");
	assert_false(outcome.bell);
	expect_board(board, 10, "");
	watch_board_free(board);
}

/* An alert with more callbacks than a board keeps: the newest stay, the rest are counted. */
static void test_callbacks_beyond_the_limit(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	size_t size = 64 * 1024, used;
	char *line = malloc(size);
	(void)state;

	assert_non_null(line);
	used = (size_t)snprintf(
		line, size,
		"{\"alert\":\"firing\",\"alert_id\":\"00000000000000dd\",\"seq\":1,"
		"\"ts\":\"2026-11-29T09:00:00.000Z\",\"type\":\"operator\",\"operator\":\"op-1\","
		"\"rule\":\"shift\",\"severity\":\"warning\",\"window_seconds\":28800,\"calls\":70,"
		"\"premature\":70,\"ratio\":1,\"callbacks\":[");
	for (int i = 0; i < WATCH_BOARD_MAX_CALLBACKS + 6;
	     i++) /* oldest first: call k0 at 08:00:00 */
		used += (size_t)snprintf(
			line + used, size - used,
			"%s{\"call_id\":\"k%d\",\"ts\":\"2026-11-29T%02d:%02d:00.000Z\","
			"\"talk_seconds\":2,\"called_back\":false}",
			i ? "," : "", i, 8 + i / 60, i % 60);
	snprintf(line + used, size - used, "]}");
	apply(board, 0, line, &outcome);
	free(line);
	assert_int_equal(outcome.event, WATCH_BOARD_NOTICE);
	assert_string_equal(outcome.row,
			    "09:00:00Z ALERT #1 WARNING op-1: 70 of 70 calls cut off in 8 h "
			    "(100%), rule shift, 70 to call back");
	expect_board(board, 4,
		     " 1 WARNING op-1  NOT ACKED  70 to call back  70 of 70 calls cut off in 8 h "
		     "(100%), rule "
		     "shift, open since 09:00:00Z\n"
		     "     call back (no number)  call k69, answered 09:09:00Z, talk 2 s\n"
		     "     call back (no number)  call k68, answered 09:08:00Z, talk 2 s\n"
		     "     + 68 more\n");
	watch_board_free(board);
}

static void test_local_time(void **state)
{
	struct watch_board *board = watch_board_new(false);
	struct watch_board_outcome outcome;
	(void)state;

	setenv("TZ", "EST5", 1);
	tzset();
	apply(board, 0, ack_line, &outcome); /* an ack of an alert this console never saw */
	assert_string_equal(outcome.row, "03:06:00 ACKED #3 NOPD/op-7 by Lee: calling them");
	assert_int_equal(watch_board_open_count(board), 0);
	apply(board, 0, firing_line, &outcome);
	assert_string_equal(outcome.row,
			    "03:04:30 ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off "
			    "in 10 min (75%), rule burst, 3 to call back");
	watch_board_free(board);
}

static enum watch_prompt_action type_keys(struct watch_prompt *prompt, const char *keys)
{
	enum watch_prompt_action action = WATCH_PROMPT_NONE;

	for (; *keys; keys++)
		action = watch_prompt_key(prompt, (unsigned char)*keys);
	return action;
}

static void test_prompt_asks_number_name_and_note(void **state)
{
	struct watch_prompt prompt = { .step = WATCH_PROMPT_IDLE };
	char row[256];
	(void)state;

	watch_prompt_row(&prompt, row, sizeof(row));
	assert_string_equal(row, "[a] acknowledge an alert  [q] quit");
	assert_int_equal(type_keys(&prompt, "x"), WATCH_PROMPT_NONE);
	assert_int_equal(type_keys(&prompt, "a1x2"), WATCH_PROMPT_REDRAW);
	watch_prompt_row(&prompt, row, sizeof(row));
	assert_string_equal(row, "acknowledge alert number: 12_  (Enter: next, Esc: cancel)");
	assert_int_equal(type_keys(&prompt, "\x7f\r"), WATCH_PROMPT_PICK);
	assert_true(watch_prompt_pick(&prompt, "6033274aee8baf5c"));
	assert_int_equal(type_keys(&prompt, "\r"), WATCH_PROMPT_REDRAW); /* a name is needed */
	assert_int_equal(prompt.step, WATCH_PROMPT_BY);
	assert_int_equal(type_keys(&prompt, "Lee\r"), WATCH_PROMPT_REDRAW);
	assert_int_equal(type_keys(&prompt, "on it"), WATCH_PROMPT_REDRAW);
	watch_prompt_row(&prompt, row, sizeof(row));
	assert_string_equal(row, "alert 1 by Lee, note (Enter to send): on it_");
	assert_int_equal(type_keys(&prompt, "\r"), WATCH_PROMPT_ACK);
	assert_string_equal(prompt.number, "1");
	assert_string_equal(prompt.alert_id, "6033274aee8baf5c");
	assert_string_equal(prompt.by, "Lee");
	assert_string_equal(prompt.note, "on it");
	watch_prompt_done(&prompt);
	/* The name is kept; Esc cancels; q quits only when no question is open. */
	assert_int_equal(type_keys(&prompt, "a3\r"), WATCH_PROMPT_PICK);
	assert_false(watch_prompt_pick(&prompt, NULL)); /* no alert 3 */
	assert_int_equal(prompt.step, WATCH_PROMPT_IDLE);
	assert_int_equal(type_keys(&prompt, "a2\r"), WATCH_PROMPT_PICK);
	assert_true(watch_prompt_pick(&prompt, "00000000000000bb"));
	watch_prompt_row(&prompt, row, sizeof(row));
	assert_string_equal(row, "alert 2 (00000000000000bb), acknowledged by (your name): Lee_");
	assert_int_equal(type_keys(&prompt, "q"), WATCH_PROMPT_REDRAW);
	assert_int_equal(type_keys(&prompt, "\x1b"), WATCH_PROMPT_REDRAW);
	assert_int_equal(prompt.step, WATCH_PROMPT_IDLE);
	assert_int_equal(type_keys(&prompt, "q"), WATCH_PROMPT_QUIT);
}

static void test_screen_layout(void **state)
{
	struct watch_board *board = watch_board_new(true);
	struct watch_board_outcome outcome;
	struct joined joined = { .len = 0 };
	(void)state;

	apply(board, 0, firing_line, &outcome);
	apply(board, 0, ack_line, &outcome);
	watch_screen_compose(board, "cadmon-watch  1 open  127.0.0.1:7401 live  times UTC",
			     "[a] acknowledge an alert  [q] quit", 9, 40, join_row, &joined);
	assert_string_equal(joined.text,
			    "cadmon-watch  1 open  127.0.0.1:7401 liv\n"
			    " 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee\n"
			    "     call back 5045550104  call c4, answ\n"
			    "     + 2 more\n"
			    "-- newest notices ----------------------\n"
			    "08:06:00Z ACKED #3 NOPD/op-7 by Lee: cal\n"
			    "08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P\n"
			    "\n"
			    "[a] acknowledge an alert  [q] quit\n");
	/* A window of three rows keeps the header, the separator and the prompt. */
	joined.len = 0;
	joined.text[0] = '\0';
	watch_screen_compose(board, "cadmon-watch", "[a] ack", 3, 12, join_row, &joined);
	assert_string_equal(joined.text, "cadmon-watch\n-- newest no\n[a] ack\n");
	watch_board_free(board);
}

/* Rows are cut between code points, a column each. */
static void test_text_fit(void **state)
{
	char out[16];
	(void)state;

	assert_int_equal(watch_text_fit("Zo\xc3\xab \xc3\x91u\xc3\xb1"
					"ez",
					4, out, sizeof(out)),
			 4);
	assert_string_equal(out, "Zo\xc3\xab ");
	assert_int_equal(watch_text_fit("abc", 10, out, sizeof(out)), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(watch_text_fit("\xc3\xab\xc3\xab\xc3\xab", 10, out, 6),
			 2); /* room for two */
	assert_string_equal(out, "\xc3\xab\xc3\xab");
	assert_int_equal(watch_text_fit("abc", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firing_pins_the_alert_with_its_callbacks),
		cmocka_unit_test(test_update_adds_callbacks_and_marks_called_back),
		cmocka_unit_test(test_acknowledged_shows_who),
		cmocka_unit_test(test_resolved_closes_and_late_copies_stay_closed),
		cmocka_unit_test(test_board_replaces_what_the_instance_said),
		cmocka_unit_test(test_small_screens_show_fewer_callbacks_then_fewer_alerts),
		cmocka_unit_test(test_escalations_and_messages),
		cmocka_unit_test(test_system_alert_banner_and_ack),
		cmocka_unit_test(test_callbacks_beyond_the_limit),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_prompt_asks_number_name_and_note),
		cmocka_unit_test(test_screen_layout),
		cmocka_unit_test(test_text_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
