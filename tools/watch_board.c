/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_board.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "timestamp.h"
#include "watch_json.h"
#include "watch_text.h"

#define WATCH_ID_BYTES 24      /* alert_id (16 hex digits) with its NUL, with room */
#define WATCH_NAME_BYTES 65    /* operator, agency, position, rule, acknowledger, call_id */
#define WATCH_ANI_BYTES 33
#define WATCH_SEVERITY_BYTES 16
#define WATCH_NOTE_BYTES 257   /* ack note, system message */
#define WATCH_KEY_BYTES 192    /* a notice's de-duplication key */
#define WATCH_CALLBACK_INDENT "     "

struct watch_callback {
	char call_id[WATCH_NAME_BYTES];
	char ani[WATCH_ANI_BYTES]; /* "" when unknown */
	int64_t answered_ms;
	double talk_seconds;
	bool called_back;
};

struct watch_open_alert {
	char alert_id[WATCH_ID_BYTES];
	bool system;
	bool escalated;
	char severity[WATCH_SEVERITY_BYTES];
	char agency[WATCH_NAME_BYTES];
	char operator_id[WATCH_NAME_BYTES];
	char position[WATCH_NAME_BYTES];
	char rule[WATCH_NAME_BYTES];
	char message[WATCH_NOTE_BYTES]; /* system alerts */
	int64_t window_seconds;
	int64_t calls;
	int64_t premature;
	double ratio;
	int64_t opened_ms;
	int64_t updated_ms; /* ts of the newest notice applied */
	struct watch_callback callbacks[WATCH_BOARD_MAX_CALLBACKS];
	size_t callback_count;
	size_t callbacks_not_kept;
	bool acknowledged;
	char acknowledged_by[WATCH_NAME_BYTES];
	char ack_note[WATCH_NOTE_BYTES];
	int64_t acknowledged_ms;
	unsigned instances; /* bit i: instance i says it is open */
};

struct watch_board {
	bool utc;
	struct watch_open_alert alerts[WATCH_BOARD_MAX_ALERTS];
	size_t alert_count;
	size_t alerts_not_kept; /* open alerts refused because the board was full */
	char notices[WATCH_BOARD_MAX_NOTICES][WATCH_ROW_BYTES];
	size_t notice_count; /* ever added; the newest is at (notice_count - 1) % MAX */
	char seen[WATCH_BOARD_SEEN_MAX][WATCH_KEY_BYTES];
	size_t seen_count; /* ever added; ring */
};

/* ---- small helpers ----------------------------------------------------------------------- */

static void copy_field(char *out, size_t size, json_object *line, const char *key)
{
	const char *value = watch_json_string(line, key);

	snprintf(out, size, "%s", value ? value : "");
}

static int64_t parse_ms(const char *ts)
{
	int64_t epoch_ms;

	if (!ts || timestamp_parse_rfc3339(ts, strlen(ts), &epoch_ms, NULL) != 0)
		return 0;
	return epoch_ms;
}

static int severity_rank(const char *severity)
{
	static const char *const order[] = { "critical", "warning", "info" };

	for (int i = 0; i < 3; i++)
		if (strcmp(severity, order[i]) == 0)
			return i;
	return 3;
}

static void append_upper(struct watch_text *row, const char *word)
{
	char upper[WATCH_NAME_BYTES];
	size_t i = 0;

	for (; word[i] && i + 1 < sizeof(upper); i++)
		upper[i] =
			(word[i] >= 'a' && word[i] <= 'z') ? (char)(word[i] - 'a' + 'A') : word[i];
	upper[i] = '\0';
	watch_text_append_safe(row, upper);
}

/* "NOPD/op-7 (P3)": who an alert is about. */
static void append_who(struct watch_text *row, const struct watch_open_alert *alert)
{
	if (alert->agency[0]) {
		watch_text_append_safe(row, alert->agency);
		watch_text_appendf(row, "/");
	}
	watch_text_append_safe(row, alert->operator_id);
	if (alert->position[0]) {
		watch_text_appendf(row, " (");
		watch_text_append_safe(row, alert->position);
		watch_text_appendf(row, ")");
	}
}

/* "3 of 4 calls cut off in 10 min (75%), rule burst". */
static void append_counts(struct watch_text *row, const struct watch_open_alert *alert)
{
	char window[32];

	watch_text_window(alert->window_seconds, window, sizeof(window));
	watch_text_appendf(row, "%" PRId64 " of %" PRId64 " calls cut off in %s (%.0f%%), rule ",
			   alert->premature, alert->calls, window, alert->ratio * 100);
	watch_text_append_safe(row, alert->rule);
}

/* ---- notice keys: each (alert_id, kind, severity) once ----------------------------------- */

static bool seen_before(const struct watch_board *board, const char *key)
{
	size_t kept =
		board->seen_count < WATCH_BOARD_SEEN_MAX ? board->seen_count : WATCH_BOARD_SEEN_MAX;

	for (size_t i = 0; i < kept; i++)
		if (strcmp(board->seen[i], key) == 0)
			return true;
	return false;
}

static void remember(struct watch_board *board, const char *key)
{
	snprintf(board->seen[board->seen_count % WATCH_BOARD_SEEN_MAX], WATCH_KEY_BYTES, "%s", key);
	board->seen_count++;
}

/* The key that names a notice across instances; "" for updates (told apart by their effect). */
static void notice_key(json_object *line, const char *kind, char key[WATCH_KEY_BYTES])
{
	const char *id = watch_json_string(line, "alert_id");
	const char *severity = watch_json_string(line, "severity");
	const char *reason = watch_json_string(line, "reason");

	if (strcmp(kind, "update") == 0)
		key[0] = '\0';
	else if (strcmp(kind, "resolved") == 0)
		snprintf(key, WATCH_KEY_BYTES, "%s\x1fresolved", id);
	else if (strcmp(kind, "acknowledged") == 0)
		snprintf(key, WATCH_KEY_BYTES, "%s\x1f%s\x1f%s\x1f%s", id, kind,
			 watch_json_string(line, "by") ? watch_json_string(line, "by") : "",
			 watch_json_string(line, "note") ? watch_json_string(line, "note") : "");
	else
		snprintf(key, WATCH_KEY_BYTES, "%s\x1f%s\x1f%s\x1f%s", id, kind,
			 severity ? severity : "", reason ? reason : "");
}

/* ---- the open alerts --------------------------------------------------------------------- */

static struct watch_open_alert *find_alert(struct watch_board *board, const char *alert_id)
{
	for (size_t i = 0; i < board->alert_count; i++)
		if (strcmp(board->alerts[i].alert_id, alert_id) == 0)
			return &board->alerts[i];
	return NULL;
}

/* The alert with this id, added empty when new; NULL when the board is full. */
static struct watch_open_alert *find_or_add_alert(struct watch_board *board, const char *alert_id)
{
	struct watch_open_alert *alert = find_alert(board, alert_id);

	if (alert)
		return alert;
	if (board->alert_count == WATCH_BOARD_MAX_ALERTS) {
		board->alerts_not_kept++;
		return NULL;
	}
	alert = &board->alerts[board->alert_count++];
	memset(alert, 0, sizeof(*alert));
	snprintf(alert->alert_id, sizeof(alert->alert_id), "%s", alert_id);
	return alert;
}

static void remove_alert(struct watch_board *board, struct watch_open_alert *alert)
{
	size_t index = (size_t)(alert - board->alerts);

	memmove(alert, alert + 1, (board->alert_count - index - 1) * sizeof(*alert));
	board->alert_count--;
}

/* Not yet called back first, then newest answered first, then by call_id. */
static int compare_callbacks(const void *a, const void *b)
{
	const struct watch_callback *x = a, *y = b;

	if (x->called_back != y->called_back)
		return x->called_back ? 1 : -1;
	if (x->answered_ms != y->answered_ms)
		return x->answered_ms > y->answered_ms ? -1 : 1;
	return strcmp(x->call_id, y->call_id);
}

static void read_callback(json_object *object, struct watch_callback *callback)
{
	memset(callback, 0, sizeof(*callback));
	if (!json_object_is_type(object, json_type_object)) {
		snprintf(callback->call_id, sizeof(callback->call_id), "?");
		return;
	}
	copy_field(callback->call_id, sizeof(callback->call_id), object, "call_id");
	copy_field(callback->ani, sizeof(callback->ani), object, "ani");
	callback->answered_ms = parse_ms(watch_json_string(object, "ts"));
	watch_json_number(object, "talk_seconds", &callback->talk_seconds);
	callback->called_back = watch_json_true(object, "called_back");
}

/* Add or refresh one callback; whether the board changed (new, or now called back). A full
 * alert keeps the most urgent: not yet called back, newest; the others are counted. */
static bool merge_callback(struct watch_open_alert *alert, const struct watch_callback *callback)
{
	for (size_t i = 0; i < alert->callback_count; i++) {
		struct watch_callback *kept = &alert->callbacks[i];
		if (strcmp(kept->call_id, callback->call_id) != 0)
			continue;
		if (!callback->called_back || kept->called_back)
			return false;
		kept->called_back = true;
		return true;
	}
	if (alert->callback_count < WATCH_BOARD_MAX_CALLBACKS) {
		alert->callbacks[alert->callback_count++] = *callback;
		return true;
	}
	struct watch_callback *least = &alert->callbacks[0];
	for (size_t i = 1; i < alert->callback_count; i++)
		if (compare_callbacks(&alert->callbacks[i], least) > 0)
			least = &alert->callbacks[i];
	if (compare_callbacks(callback, least) < 0)
		*least = *callback; /* the least urgent goes */
	alert->callbacks_not_kept++;
	return true;
}

/* Merge a notice's callbacks into the alert; whether any was new to the board. */
static bool merge_callbacks(struct watch_open_alert *alert, json_object *line)
{
	json_object *callbacks = watch_json_array(line, "callbacks");
	bool changed = false;

	for (size_t i = 0; callbacks && i < json_object_array_length(callbacks); i++) {
		struct watch_callback callback;
		read_callback(json_object_array_get_idx(callbacks, i), &callback);
		changed |= merge_callback(alert, &callback);
	}
	qsort(alert->callbacks, alert->callback_count, sizeof(alert->callbacks[0]),
	      compare_callbacks);
	return changed;
}

/* The fields every notice and board line of an alert carries (newest notice wins). */
static void read_state(struct watch_open_alert *alert, json_object *line, int64_t ts_ms)
{
	const char *type = watch_json_string(line, "type");

	if (ts_ms < alert->updated_ms)
		return; /* a late copy from another instance */
	alert->updated_ms = ts_ms;
	alert->system = type && strcmp(type, "system") == 0;
	copy_field(alert->severity, sizeof(alert->severity), line, "severity");
	copy_field(alert->agency, sizeof(alert->agency), line, "agency");
	copy_field(alert->operator_id, sizeof(alert->operator_id), line, "operator");
	copy_field(alert->position, sizeof(alert->position), line, "position");
	copy_field(alert->rule, sizeof(alert->rule), line, "rule");
	copy_field(alert->message, sizeof(alert->message), line, "message");
	watch_json_integer(line, "window_seconds", &alert->window_seconds);
	watch_json_integer(line, "calls", &alert->calls);
	watch_json_integer(line, "premature", &alert->premature);
	watch_json_number(line, "ratio", &alert->ratio);
}

static void set_acknowledged(struct watch_open_alert *alert, const char *by, const char *note,
			     int64_t ts_ms)
{
	alert->acknowledged = true;
	snprintf(alert->acknowledged_by, sizeof(alert->acknowledged_by), "%s", by ? by : "");
	snprintf(alert->ack_note, sizeof(alert->ack_note), "%s", note ? note : "");
	alert->acknowledged_ms = ts_ms;
}

/* ---- rows of notices --------------------------------------------------------------------- */

static const char *kind_word(const char *kind)
{
	static const char *const words[][2] = {
		{ "firing", "ALERT" },       { "escalated", "ESCALATED" }, { "update", "UPDATE" },
		{ "resolved", "RESOLVED" },  { "acknowledged", "ACKED" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(kind, words[i][0]) == 0)
			return words[i][1];
	return kind;
}

/* ", 2 to call back, 1 rang again": what a notice's callbacks ask for. */
static void append_callback_counts(struct watch_text *row, json_object *line, const char *kind)
{
	json_object *callbacks = watch_json_array(line, "callbacks");
	size_t to_call = 0, rang_again = 0;

	for (size_t i = 0; callbacks && i < json_object_array_length(callbacks); i++) {
		if (watch_json_true(json_object_array_get_idx(callbacks, i), "called_back"))
			rang_again++;
		else
			to_call++;
	}
	if (to_call > 0)
		watch_text_appendf(row, ", %zu %sto call back", to_call,
				   strcmp(kind, "firing") == 0 ? "" : "more ");
	if (rang_again > 0)
		watch_text_appendf(row, ", %zu rang again", rang_again);
}

/* "NOPD/op-7 (P3) by Lee: calling them back" of an acknowledged notice. */
static void append_acknowledged(struct watch_text *row, json_object *line,
				const struct watch_open_alert *notice)
{
	const char *by = watch_json_string(line, "by");
	const char *note = watch_json_string(line, "note");
	const char *system = watch_json_string(line, "system");

	if (notice->system)
		watch_text_append_safe(row, notice->message[0] ? notice->message
							       : system ? system : "system alert");
	else
		append_who(row, notice);
	watch_text_appendf(row, " by ");
	watch_text_append_safe(row, by ? by : "?");
	if (note && note[0]) {
		watch_text_appendf(row, ": ");
		watch_text_append_safe(row, note);
	}
}

/* What a firing, escalated, update or resolved notice says, after its severity. */
static void append_what(struct watch_text *row, json_object *line, const char *kind,
			const struct watch_open_alert *notice)
{
	const char *reason = watch_json_string(line, "reason");

	if (notice->system) {
		watch_text_append_safe(row, notice->message);
		return;
	}
	append_who(row, notice);
	watch_text_appendf(row, ": %s", strcmp(kind, "resolved") == 0 ? "now " : "");
	append_counts(row, notice);
	append_callback_counts(row, line, kind);
	if (strcmp(kind, "escalated") == 0 && reason) {
		watch_text_appendf(row, " (");
		if (strcmp(reason, "unacknowledged") == 0)
			watch_text_appendf(row, "not acknowledged in time");
		else
			watch_text_append_safe(row, reason);
		watch_text_appendf(row, ")");
	}
}

/* "08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off ..., 3 to call back",
 * from the notice line alone. */
static void notice_row(const struct watch_board *board, json_object *line, const char *kind,
		       char row_text[WATCH_ROW_BYTES])
{
	struct watch_text row = watch_text_init(row_text, WATCH_ROW_BYTES);
	struct watch_open_alert notice_state, *notice = &notice_state;
	char clock[WATCH_CLOCK_MAX];
	int64_t seq = 0;

	memset(notice, 0, sizeof(*notice));
	read_state(notice, line, 0);
	watch_text_clock(watch_json_string(line, "ts"), board->utc, clock);
	watch_json_integer(line, "seq", &seq);
	watch_text_appendf(&row, "%s %s%s #%" PRId64 " ", clock, notice->system ? "SYSTEM " : "",
			   kind_word(kind), seq);
	if (strcmp(kind, "acknowledged") == 0) {
		append_acknowledged(&row, line, notice);
	} else {
		append_upper(&row, notice->severity);
		watch_text_appendf(&row, " ");
		append_what(&row, line, kind, notice);
	}
}

/* ", again; first by Lee at 08:06:00Z" of a repeated acknowledgement. */
static void append_repeat(const struct watch_board *board, json_object *line,
			  char row_text[WATCH_ROW_BYTES])
{
	struct watch_text row = { .text = row_text,
				  .size = WATCH_ROW_BYTES,
				  .len = strlen(row_text) };
	const char *first_by = watch_json_string(line, "first_by");
	char clock[WATCH_CLOCK_MAX];

	if (!watch_json_true(line, "repeat"))
		return;
	watch_text_clock(watch_json_string(line, "first_ts"), board->utc, clock);
	watch_text_appendf(&row, " (again; first by ");
	watch_text_append_safe(&row, first_by ? first_by : "?");
	watch_text_appendf(&row, " at %s)", clock);
}

void watch_board_note(struct watch_board *board, const char *row)
{
	struct watch_text text = watch_text_init(
		board->notices[board->notice_count % WATCH_BOARD_MAX_NOTICES], WATCH_ROW_BYTES);

	watch_text_append_safe(&text, row);
	board->notice_count++;
}

/* ---- applying lines ---------------------------------------------------------------------- */

/* A firing, escalated or update notice not seen before; whether it changed the board. */
static bool apply_notice(struct watch_open_alert *alert, unsigned instance, json_object *line,
			 const char *kind, int64_t ts_ms)
{
	if (strcmp(kind, "firing") == 0 && alert->opened_ms == 0)
		alert->opened_ms = ts_ms;
	if (alert->opened_ms == 0)
		alert->opened_ms = ts_ms; /* an update or escalation of an alert never seen open */
	if (strcmp(kind, "escalated") == 0)
		alert->escalated = true;
	read_state(alert, line, ts_ms);
	alert->instances |= 1u << instance;
	return merge_callbacks(alert, line) || strcmp(kind, "update") != 0;
}

/* Apply a notice to the open alerts; whether it is news (an update may not be). */
static bool apply_to_alerts(struct watch_board *board, unsigned instance, json_object *line,
			    const char *kind, const char *alert_id, int64_t ts_ms)
{
	struct watch_open_alert *alert = find_alert(board, alert_id);

	if (strcmp(kind, "resolved") == 0) {
		if (alert)
			remove_alert(board, alert);
		return true;
	}
	if (strcmp(kind, "acknowledged") == 0) {
		if (alert && !alert->acknowledged) /* a repeat changes nothing */
			set_acknowledged(alert, watch_json_string(line, "by"),
					 watch_json_string(line, "note"), ts_ms);
		return true;
	}
	if (!alert && !(alert = find_or_add_alert(board, alert_id)))
		return true; /* the board is full: the notice is still shown */
	return apply_notice(alert, instance, line, kind, ts_ms);
}

static void set_invalid(struct watch_board_outcome *outcome, const char *field)
{
	outcome->event = WATCH_BOARD_INVALID;
	snprintf(outcome->row, sizeof(outcome->row), "alert without a valid \"%s\"", field);
}

/* A notice line: {"alert":"firing"|"escalated"|"update"|"resolved"|"acknowledged", ...}.
 * A notice another instance sent first, or one about an alert already resolved, is a
 * duplicate; an update is news only when it brings a callback the board did not have. */
static void apply_alert_line(struct watch_board *board, unsigned instance, json_object *line,
			     const char *kind, struct watch_board_outcome *outcome)
{
	const char *alert_id = watch_json_string(line, "alert_id");
	char key[WATCH_KEY_BYTES], resolved_key[WATCH_KEY_BYTES];

	if (!alert_id || alert_id[0] == '\0')
		return set_invalid(outcome, "alert_id");
	if (!(outcome->has_seq = watch_json_integer(line, "seq", &outcome->seq)))
		return set_invalid(outcome, "seq");
	int64_t ts_ms = parse_ms(watch_json_string(line, "ts"));
	if (ts_ms == 0)
		return set_invalid(outcome, "ts");
	notice_key(line, kind, key);
	snprintf(resolved_key, sizeof(resolved_key), "%s\x1fresolved", alert_id);
	outcome->event = WATCH_BOARD_DUPLICATE;
	if (seen_before(board, resolved_key))
		return;
	if (key[0] && seen_before(board, key)) {
		struct watch_open_alert *alert = find_alert(board, alert_id);
		if (alert && strcmp(kind, "acknowledged") != 0)
			alert->instances |= 1u << instance; /* that instance has it open too */
		return;
	}
	if (!apply_to_alerts(board, instance, line, kind, alert_id, ts_ms))
		return;
	if (key[0])
		remember(board, key);
	outcome->event = WATCH_BOARD_NOTICE;
	outcome->bell = strcmp(kind, "firing") == 0 || strcmp(kind, "escalated") == 0;
	notice_row(board, line, kind, outcome->row);
	append_repeat(board, line, outcome->row);
	watch_board_note(board, outcome->row);
}

/* {"alert":"open",...}: an alert's whole state in a board. */
static void apply_open_line(struct watch_board *board, unsigned instance, json_object *line,
			    struct watch_board_outcome *outcome)
{
	const char *alert_id = watch_json_string(line, "alert_id");
	json_object *ack = watch_json_object(line, "acknowledged");
	struct watch_open_alert *alert;

	if (!alert_id || alert_id[0] == '\0')
		return set_invalid(outcome, "alert_id");
	outcome->event = WATCH_BOARD_SNAPSHOT;
	if (!(alert = find_or_add_alert(board, alert_id)))
		return;
	int64_t ts_ms = parse_ms(watch_json_string(line, "ts"));
	int64_t opened_ms = parse_ms(watch_json_string(line, "opened_ts"));
	alert->opened_ms = opened_ms ? opened_ms : ts_ms;
	alert->updated_ms = 0;
	read_state(alert, line, ts_ms);
	alert->escalated = watch_json_true(line, "escalated");
	alert->callback_count = 0;
	alert->callbacks_not_kept = 0;
	merge_callbacks(alert, line);
	alert->acknowledged = false;
	if (ack)
		set_acknowledged(alert, watch_json_string(ack, "by"),
				 watch_json_string(ack, "note"),
				 parse_ms(watch_json_string(ack, "ts")));
	alert->instances |= 1u << instance;
}

/* {"board":"begin"|"end","seq":S,"open":K}: begin forgets what this instance said was open;
 * end drops the alerts no instance says are open any more. */
static void apply_board_line(struct watch_board *board, unsigned instance, json_object *line,
			     struct watch_board_outcome *outcome)
{
	const char *edge = watch_json_string(line, "board");

	outcome->event = WATCH_BOARD_SNAPSHOT;
	outcome->has_seq = watch_json_integer(line, "seq", &outcome->seq);
	if (edge && strcmp(edge, "begin") == 0) {
		for (size_t i = 0; i < board->alert_count; i++)
			board->alerts[i].instances &= ~(1u << instance);
		board->alerts_not_kept = 0;
	} else if (edge && strcmp(edge, "end") == 0) {
		outcome->board_complete = true;
		for (size_t i = board->alert_count; i-- > 0;)
			if (board->alerts[i].instances == 0)
				remove_alert(board, &board->alerts[i]);
	}
}

static bool is_notice_kind(const char *kind)
{
	static const char *const kinds[] = { "firing", "escalated", "update", "resolved",
					     "acknowledged" };

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

void watch_board_apply(struct watch_board *board, unsigned instance, json_object *line,
		       struct watch_board_outcome *outcome)
{
	const char *first = watch_json_first_key(line);
	const char *kind = watch_json_string(line, "alert");

	memset(outcome, 0, sizeof(*outcome));
	outcome->event = WATCH_BOARD_IGNORED;
	instance %= WATCH_BOARD_MAX_INSTANCES;
	if (!first)
		return;
	if (strcmp(first, "board") == 0) {
		apply_board_line(board, instance, line, outcome);
	} else if (strcmp(first, "alert") == 0 && kind && strcmp(kind, "open") == 0) {
		apply_open_line(board, instance, line, outcome);
	} else if (strcmp(first, "alert") == 0 && kind && is_notice_kind(kind)) {
		apply_alert_line(board, instance, line, kind, outcome);
	} else if (strcmp(first, "alert") == 0 && !kind) {
		set_invalid(outcome, "alert");
	} else if (strcmp(first, "notice") == 0 && watch_json_string(line, "notice")) {
		struct watch_text row = watch_text_init(outcome->row, sizeof(outcome->row));
		outcome->event = WATCH_BOARD_MESSAGE;
		watch_text_appendf(&row, "cadmond: ");
		watch_text_append_safe(&row, watch_json_string(line, "notice"));
		watch_board_note(board, outcome->row);
	}
}

/* ---- rendering the board ----------------------------------------------------------------- */

/* System alerts first, then by severity, then oldest first, then by id. */
static int compare_alerts(const void *a, const void *b)
{
	const struct watch_open_alert *x = *(const struct watch_open_alert *const *)a;
	const struct watch_open_alert *y = *(const struct watch_open_alert *const *)b;

	if (x->system != y->system)
		return x->system ? -1 : 1;
	if (severity_rank(x->severity) != severity_rank(y->severity))
		return severity_rank(x->severity) - severity_rank(y->severity);
	if (x->opened_ms != y->opened_ms)
		return x->opened_ms < y->opened_ms ? -1 : 1;
	return strcmp(x->alert_id, y->alert_id);
}

/* The open alerts in the order shown; returns how many. */
static size_t ordered_alerts(const struct watch_board *board,
			     const struct watch_open_alert *order[WATCH_BOARD_MAX_ALERTS])
{
	for (size_t i = 0; i < board->alert_count; i++)
		order[i] = &board->alerts[i];
	qsort(order, board->alert_count, sizeof(order[0]), compare_alerts);
	return board->alert_count;
}

static size_t to_call_back(const struct watch_open_alert *alert)
{
	size_t count = alert->callbacks_not_kept;

	for (size_t i = 0; i < alert->callback_count; i++)
		count += !alert->callbacks[i].called_back;
	return count;
}

static void append_ack_state(struct watch_text *row, const struct watch_board *board,
			     const struct watch_open_alert *alert)
{
	char clock[WATCH_CLOCK_MAX];

	if (!alert->acknowledged) {
		watch_text_appendf(row, "NOT ACKED");
		return;
	}
	watch_text_clock_ms(alert->acknowledged_ms, board->utc, clock);
	watch_text_appendf(row, "ACKED by ");
	watch_text_append_safe(row, alert->acknowledged_by);
	watch_text_appendf(row, " %s", clock);
}

/* " 1 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off in 10 min
 * (75%), rule burst, open since 08:04:30Z". */
static void summary_row(const struct watch_board *board, const struct watch_open_alert *alert,
			size_t number, char row_text[WATCH_ROW_BYTES])
{
	struct watch_text row = watch_text_init(row_text, WATCH_ROW_BYTES);
	char clock[WATCH_CLOCK_MAX];

	watch_text_clock_ms(alert->opened_ms, board->utc, clock);
	watch_text_appendf(&row, "%2zu %s", number, alert->system ? "!! SYSTEM " : "");
	append_upper(&row, alert->severity);
	watch_text_appendf(&row, "%s ", alert->escalated ? " (escalated)" : "");
	if (!alert->system)
		append_who(&row, alert);
	watch_text_appendf(&row, "%s", alert->system ? "" : "  ");
	append_ack_state(&row, board, alert);
	if (alert->system) {
		watch_text_appendf(&row, "  ");
		watch_text_append_safe(&row, alert->message);
	} else {
		watch_text_appendf(&row, "  %zu to call back  ", to_call_back(alert));
		append_counts(&row, alert);
	}
	watch_text_appendf(&row, ", open since %s", clock);
	if (alert->acknowledged && alert->ack_note[0]) {
		watch_text_appendf(&row, ", note: ");
		watch_text_append_safe(&row, alert->ack_note);
	}
}

/* "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s". */
static void format_callback(const struct watch_board *board, const struct watch_callback *callback,
			    char row_text[WATCH_ROW_BYTES])
{
	struct watch_text row = watch_text_init(row_text, WATCH_ROW_BYTES);
	char clock[WATCH_CLOCK_MAX], talk[32];

	watch_text_clock_ms(callback->answered_ms, board->utc, clock);
	watch_text_seconds(callback->talk_seconds, talk, sizeof(talk));
	watch_text_appendf(&row, WATCH_CALLBACK_INDENT "%s ",
			   callback->called_back ? "rang again" : "call back");
	watch_text_append_safe(&row, callback->ani[0] ? callback->ani : "(no number)");
	watch_text_appendf(&row, "  call ");
	watch_text_append_safe(&row, callback->call_id);
	watch_text_appendf(&row, ", answered %s, talk %s", clock, talk);
}

void watch_board_callback_row(const struct watch_board *board, json_object *callback,
			      char row[WATCH_ROW_BYTES])
{
	struct watch_callback parsed;

	read_callback(callback, &parsed);
	format_callback(board, &parsed, row);
}

/* Rows an alert takes when it may show at most allowance callback rows. */
static size_t alert_rows(const struct watch_open_alert *alert, size_t allowance)
{
	size_t callbacks = alert->callback_count + alert->callbacks_not_kept;

	return 1 + (callbacks < allowance ? callbacks : allowance);
}

/* The most callback rows per alert that lets every alert fit in max_rows; 0 if none does. */
static size_t callback_allowance(const struct watch_open_alert *const *order, size_t count,
				 size_t max_rows)
{
	for (size_t allowance = WATCH_BOARD_MAX_CALLBACKS + 1; allowance > 0; allowance--) {
		size_t rows = 0;
		for (size_t i = 0; i < count; i++)
			rows += alert_rows(order[i], allowance);
		if (rows <= max_rows)
			return allowance;
	}
	return 0;
}

/* An alert's summary and callback rows, within allowance callback rows. */
static size_t emit_alert(const struct watch_board *board, const struct watch_open_alert *alert,
			 size_t number, size_t allowance, watch_board_row_fn *emit, void *context)
{
	char row[WATCH_ROW_BYTES];
	size_t total = alert->callback_count + alert->callbacks_not_kept;
	size_t shown = total <= allowance ? alert->callback_count
		       : allowance > 0	  ? allowance - 1
					  : 0;

	summary_row(board, alert, number, row);
	emit(context, row);
	for (size_t i = 0; i < shown; i++) {
		format_callback(board, &alert->callbacks[i], row);
		emit(context, row);
	}
	if (total > allowance && allowance > 0) {
		snprintf(row, sizeof(row), WATCH_CALLBACK_INDENT "+ %zu more", total - shown);
		emit(context, row);
	}
	return 1 + shown + (total > allowance && allowance > 0);
}

size_t watch_board_render(const struct watch_board *board, size_t max_rows,
			  watch_board_row_fn *emit, void *context)
{
	const struct watch_open_alert *order[WATCH_BOARD_MAX_ALERTS];
	size_t count = ordered_alerts(board, order), rows = 0;
	char row[WATCH_ROW_BYTES];

	if (board->alerts_not_kept > 0 && max_rows > 0) {
		snprintf(row, sizeof(row), "!! %zu more open alerts not kept (limit %d)",
			 board->alerts_not_kept, WATCH_BOARD_MAX_ALERTS);
		emit(context, row);
		rows++;
	}
	size_t allowance = callback_allowance(order, count, max_rows - rows);
	size_t fitting = count;
	if (allowance == 0 && count > max_rows - rows)
		fitting = max_rows - rows > 0 ? max_rows - rows - 1 : 0;
	for (size_t i = 0; i < fitting; i++)
		rows += emit_alert(board, order[i], i + 1, allowance, emit, context);
	if (fitting < count && max_rows > rows) {
		snprintf(row, sizeof(row), "+ %zu more open alerts", count - fitting);
		emit(context, row);
		rows++;
	}
	return rows;
}

size_t watch_board_render_notices(const struct watch_board *board, size_t max_rows,
				  watch_board_row_fn *emit, void *context)
{
	size_t kept = board->notice_count < WATCH_BOARD_MAX_NOTICES ? board->notice_count
								   : WATCH_BOARD_MAX_NOTICES;
	size_t rows = 0;

	for (; rows < kept && rows < max_rows; rows++)
		emit(context,
		     board->notices[(board->notice_count - 1 - rows) % WATCH_BOARD_MAX_NOTICES]);
	return rows;
}

const char *watch_board_alert_id(const struct watch_board *board, size_t number)
{
	const struct watch_open_alert *order[WATCH_BOARD_MAX_ALERTS];
	size_t count = ordered_alerts(board, order);

	return number >= 1 && number <= count ? order[number - 1]->alert_id : NULL;
}

size_t watch_board_open_count(const struct watch_board *board)
{
	return board->alert_count;
}

struct watch_board *watch_board_new(bool utc)
{
	struct watch_board *board = calloc(1, sizeof(*board));

	if (board)
		board->utc = utc;
	return board;
}

void watch_board_free(struct watch_board *board)
{
	free(board);
}
