/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_PROMPT_H
#define CADMON_TOOLS_WATCH_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * watch_prompt: acknowledging an alert from cadmon-watch's keyboard, as a state machine fed
 * one key (byte) at a time: `a`, the alert's number on the board, Enter (the caller then
 * names the alert that number stands for now, so that a board that moves on while the name
 * is typed cannot change which alert is acknowledged), a name, Enter, an optional note,
 * Enter. Esc cancels; Backspace erases. `q` (when no dialog is open) quits. The name is kept
 * for the next acknowledgement.
 */

#define WATCH_PROMPT_NUMBER_BYTES 5 /* up to 4 digits */
#define WATCH_PROMPT_BY_BYTES 65    /* the protocol's 64 bytes */
#define WATCH_PROMPT_NOTE_BYTES 257 /* the protocol's 256 bytes */
#define WATCH_PROMPT_ID_BYTES 24    /* an alert_id (16 hex digits) */

enum watch_prompt_step {
	WATCH_PROMPT_IDLE,
	WATCH_PROMPT_NUMBER,
	WATCH_PROMPT_BY,
	WATCH_PROMPT_NOTE,
};

enum watch_prompt_action {
	WATCH_PROMPT_NONE,   /* nothing to do */
	WATCH_PROMPT_REDRAW, /* the prompt row changed */
	WATCH_PROMPT_QUIT,   /* `q` */
	WATCH_PROMPT_PICK,   /* a number was entered: call watch_prompt_pick with its alert */
	WATCH_PROMPT_ACK,    /* alert_id, by and note are complete: send, then watch_prompt_done */
};

struct watch_prompt {
	enum watch_prompt_step step;
	char number[WATCH_PROMPT_NUMBER_BYTES];
	char alert_id[WATCH_PROMPT_ID_BYTES]; /* the alert the number named when entered */
	char by[WATCH_PROMPT_BY_BYTES];
	char note[WATCH_PROMPT_NOTE_BYTES];
};

/** Feed one key; what the caller should do. */
enum watch_prompt_action watch_prompt_key(struct watch_prompt *prompt, unsigned char key);

/**
 * After WATCH_PROMPT_PICK: the alert_id the number stands for on the board now (on to the
 * name), or NULL when there is none (back to idle). Returns whether there was one.
 */
bool watch_prompt_pick(struct watch_prompt *prompt, const char *alert_id);

/** After an ACK was sent: back to idle, keeping the name. */
void watch_prompt_done(struct watch_prompt *prompt);

/** The prompt row: the keys to press, or the question being asked and what is typed. */
void watch_prompt_row(const struct watch_prompt *prompt, char *row, size_t size);

#endif
