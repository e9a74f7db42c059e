/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_prompt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define KEY_ESCAPE 0x1b
#define KEY_BACKSPACE 0x7f
#define KEY_CTRL_H 0x08

/* Append a typed byte to field[size]; whether it was taken. */
static bool type_into(char *field, size_t size, unsigned char key)
{
	size_t len = strlen(field);

	if (key < 0x20 || key == KEY_BACKSPACE || len + 1 >= size)
		return false;
	field[len] = (char)key;
	field[len + 1] = '\0';
	return true;
}

/* Erase the last character (a whole UTF-8 sequence) of field. */
static void erase_last(char *field)
{
	size_t len = strlen(field);

	while (len > 0 && (field[len - 1] & 0xc0) == 0x80)
		len--;
	if (len > 0)
		len--;
	field[len] = '\0';
}

static char *current_field(struct watch_prompt *prompt, size_t *size)
{
	switch (prompt->step) {
	case WATCH_PROMPT_NUMBER:
		*size = sizeof(prompt->number);
		return prompt->number;
	case WATCH_PROMPT_BY:
		*size = sizeof(prompt->by);
		return prompt->by;
	case WATCH_PROMPT_NOTE:
		*size = sizeof(prompt->note);
		return prompt->note;
	case WATCH_PROMPT_IDLE:
		break;
	}
	*size = 0;
	return NULL;
}

/* Enter: on to the next question, or the acknowledgement is complete. */
static enum watch_prompt_action enter(struct watch_prompt *prompt)
{
	switch (prompt->step) {
	case WATCH_PROMPT_NUMBER:
		if (prompt->number[0])
			return WATCH_PROMPT_PICK;
		prompt->step = WATCH_PROMPT_IDLE;
		return WATCH_PROMPT_REDRAW;
	case WATCH_PROMPT_BY:
		if (prompt->by[0])
			prompt->step = WATCH_PROMPT_NOTE;
		return WATCH_PROMPT_REDRAW;
	case WATCH_PROMPT_NOTE:
		return WATCH_PROMPT_ACK;
	case WATCH_PROMPT_IDLE:
		break;
	}
	return WATCH_PROMPT_NONE;
}

static enum watch_prompt_action idle_key(struct watch_prompt *prompt, unsigned char key)
{
	if (key == 'q')
		return WATCH_PROMPT_QUIT;
	if (key != 'a')
		return WATCH_PROMPT_NONE;
	prompt->step = WATCH_PROMPT_NUMBER;
	prompt->number[0] = '\0';
	prompt->note[0] = '\0';
	return WATCH_PROMPT_REDRAW;
}

enum watch_prompt_action watch_prompt_key(struct watch_prompt *prompt, unsigned char key)
{
	size_t size;
	char *field = current_field(prompt, &size);

	if (!field)
		return idle_key(prompt, key);
	if (key == KEY_ESCAPE) {
		prompt->step = WATCH_PROMPT_IDLE;
		return WATCH_PROMPT_REDRAW;
	}
	if (key == '\r' || key == '\n')
		return enter(prompt);
	if (key == KEY_BACKSPACE || key == KEY_CTRL_H) {
		erase_last(field);
		return WATCH_PROMPT_REDRAW;
	}
	if (prompt->step == WATCH_PROMPT_NUMBER && (key < '0' || key > '9'))
		return WATCH_PROMPT_NONE;
	return type_into(field, size, key) ? WATCH_PROMPT_REDRAW : WATCH_PROMPT_NONE;
}

bool watch_prompt_pick(struct watch_prompt *prompt, const char *alert_id)
{
	if (!alert_id) {
		prompt->step = WATCH_PROMPT_IDLE;
		return false;
	}
	snprintf(prompt->alert_id, sizeof(prompt->alert_id), "%s", alert_id);
	prompt->step = WATCH_PROMPT_BY;
	return true;
}

void watch_prompt_done(struct watch_prompt *prompt)
{
	prompt->step = WATCH_PROMPT_IDLE;
	prompt->number[0] = '\0';
	prompt->note[0] = '\0';
}

void watch_prompt_row(const struct watch_prompt *prompt, char *row, size_t size)
{
	switch (prompt->step) {
	case WATCH_PROMPT_IDLE:
		snprintf(row, size, "[a] acknowledge an alert  [q] quit");
		break;
	case WATCH_PROMPT_NUMBER:
		snprintf(row, size, "acknowledge alert number: %s_  (Enter: next, Esc: cancel)",
			 prompt->number);
		break;
	case WATCH_PROMPT_BY:
		snprintf(row, size, "alert %s (%s), acknowledged by (your name): %s_",
			 prompt->number, prompt->alert_id, prompt->by);
		break;
	case WATCH_PROMPT_NOTE:
		snprintf(row, size, "alert %s by %s, note (Enter to send): %s_", prompt->number,
			 prompt->by, prompt->note);
		break;
	}
}
