/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_BOARD_H
#define CADMON_TOOLS_WATCH_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * watch_board: cadmon-watch's model of the open-alert board (alert protocol 2,
 * docs/protocol.md), without I/O. It takes the parsed lines of one or more cadmond
 * instances (an active/active pair) and keeps:
 *   - every open alert (operator and system) with its callbacks, not yet called back first
 *     and newest first, and who acknowledged it;
 *   - the newest notices, one row each, each (alert_id, kind, severity) once however many
 *     instances sent it.
 * It renders both as rows of text; the caller fits them to its screen or prints them.
 * Everything is bounded; what does not fit is counted and shown as such.
 */

#define WATCH_BOARD_MAX_ALERTS 256     /* open alerts kept; more are counted */
#define WATCH_BOARD_MAX_CALLBACKS 64   /* callbacks kept per alert; more are counted */
#define WATCH_BOARD_MAX_NOTICES 128    /* newest notice rows kept */
#define WATCH_BOARD_MAX_INSTANCES 8    /* cadmond instances (--connect addresses) */
#define WATCH_BOARD_SEEN_MAX 4096      /* notice keys remembered to show each once */
#define WATCH_ROW_BYTES 640            /* one rendered row with its NUL; longer is cut off */

struct watch_board;

/* What a line did to the board. */
enum watch_board_event {
	WATCH_BOARD_IGNORED,   /* hello, or a first key this console does not know */
	WATCH_BOARD_NOTICE,    /* a notice shown for the first time: row */
	WATCH_BOARD_DUPLICATE, /* a notice already shown (another instance sent it too) */
	WATCH_BOARD_SNAPSHOT,  /* a "board" line or an "open" alert line */
	WATCH_BOARD_MESSAGE,   /* {"notice":"..."} from cadmond: row */
	WATCH_BOARD_INVALID,   /* an alert line that cannot be read: row says why */
};

struct watch_board_outcome {
	enum watch_board_event event;
	bool bell;           /* a firing or escalated notice shown for the first time */
	bool board_complete; /* the {"board":"end"} line */
	bool has_seq;        /* seq: the notice's or the board's */
	int64_t seq;
	char row[WATCH_ROW_BYTES];
};

/* Receives rendered rows, in order. */
typedef void watch_board_row_fn(void *context, const char *row);

/** A new empty board showing times in UTC ("08:04:30Z") or local time. NULL when out of memory. */
struct watch_board *watch_board_new(bool utc);

/** Free a board (NULL is fine). */
void watch_board_free(struct watch_board *board);

/**
 * Apply one parsed line received from instance (0 .. WATCH_BOARD_MAX_INSTANCES - 1) and say
 * what it was in *outcome. A board from an instance replaces what that instance said was
 * open; a "resolved" from any instance closes the alert.
 */
void watch_board_apply(struct watch_board *board, unsigned instance, json_object *line,
		       struct watch_board_outcome *outcome);

/** Add a row of the console's own (a connection came or went) to the newest notices. */
void watch_board_note(struct watch_board *board, const char *row);

/** How many alerts are open. */
size_t watch_board_open_count(const struct watch_board *board);

/**
 * Render the pinned board in at most max_rows rows: per open alert (system alerts first,
 * then critical, warning, info, oldest first) a numbered summary row and its callback rows.
 * When they do not fit, each alert shows fewer callbacks ("+ N more"), then fewer alerts.
 * Returns the rows given to emit.
 */
size_t watch_board_render(const struct watch_board *board, size_t max_rows,
			  watch_board_row_fn *emit, void *context);

/** Emit at most max_rows of the newest notices, newest first. Returns the rows given. */
size_t watch_board_render_notices(const struct watch_board *board, size_t max_rows,
				  watch_board_row_fn *emit, void *context);

/** The alert_id of the alert numbered number (1 ..) on the rendered board, or NULL. */
const char *watch_board_alert_id(const struct watch_board *board, size_t number);

/** A callback object of a notice ("callbacks" array element) as a row, as on the board. */
void watch_board_callback_row(const struct watch_board *board, json_object *callback,
			      char row[WATCH_ROW_BYTES]);

#endif
