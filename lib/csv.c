/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "csv.h"

/* Where the splitter is within a field. */
enum csv_state {
	FIELD_START,   /* nothing of the field read yet */
	UNQUOTED,      /* in a field that did not start with a quote */
	QUOTED,        /* inside quotes */
	QUOTE_IN_QUOTED, /* a quote inside quotes: closing, or the first of a doubled one */
};

/* Close the field being written (from start to *written) into out; false when full. */
static bool end_field(struct csv_record *out, const char *scratch, size_t start, size_t written)
{
	if (out->count == CSV_MAX_FIELDS)
		return false;
	out->field[out->count] = scratch + start;
	out->len[out->count] = written - start;
	out->count++;
	return true;
}

/* One byte of a field that started with a quote; CSV_OK or the problem. */
static enum csv_status quoted_byte(enum csv_state *state, char c, char delimiter, char *scratch,
				   size_t *written, bool *field_done)
{
	if (*state == QUOTED) {
		if (c == '"')
			*state = QUOTE_IN_QUOTED;
		else
			scratch[(*written)++] = c;
		return CSV_OK;
	}
	if (c == '"') { /* doubled: one quote */
		scratch[(*written)++] = '"';
		*state = QUOTED;
		return CSV_OK;
	}
	if (c != delimiter)
		return CSV_TEXT_AFTER_QUOTE;
	*field_done = true;
	return CSV_OK;
}

enum csv_status csv_split(const char *text, size_t len, char delimiter, char *scratch,
			  struct csv_record *out, size_t *error_offset)
{
	enum csv_state state = FIELD_START;
	size_t written = 0, start = 0;
	enum csv_status status = CSV_OK;

	out->count = 0;
	*error_offset = 0;
	for (size_t i = 0; i < len && status == CSV_OK; i++) {
		char c = text[i];
		bool field_done = false;

		if (state == FIELD_START && c == '"') {
			state = QUOTED;
		} else if (state == QUOTED || state == QUOTE_IN_QUOTED) {
			status = quoted_byte(&state, c, delimiter, scratch, &written, &field_done);
		} else if (c == delimiter) {
			field_done = true;
		} else if (c == '"') {
			status = CSV_QUOTE_IN_FIELD;
		} else {
			scratch[written++] = c;
			state = UNQUOTED;
		}
		if (field_done) {
			if (!end_field(out, scratch, start, written))
				status = CSV_TOO_MANY_FIELDS;
			start = written;
			state = FIELD_START;
		}
		if (status != CSV_OK)
			*error_offset = i;
	}
	if (status == CSV_OK && state == QUOTED) {
		status = CSV_OPEN_QUOTE;
		*error_offset = len;
	}
	if (status == CSV_OK && !end_field(out, scratch, start, written)) {
		status = CSV_TOO_MANY_FIELDS;
		*error_offset = len;
	}
	return status;
}

bool csv_record_open(const char *text, size_t len)
{
	bool open = false;

	for (size_t i = 0; i < len; i++)
		if (text[i] == '"')
			open = !open;
	return open;
}

const char *csv_status_text(enum csv_status status)
{
	switch (status) {
	case CSV_OK: return "ok";
	case CSV_OPEN_QUOTE: return "a quoted field is not closed";
	case CSV_TEXT_AFTER_QUOTE: return "text after a closing quote";
	case CSV_QUOTE_IN_FIELD: return "a quote inside an unquoted field";
	case CSV_TOO_MANY_FIELDS: return "more than 64 fields";
	}
	return "?";
}
