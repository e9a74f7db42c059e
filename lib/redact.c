/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "redact.h"

#include <string.h>

/* Where the copy goes: bytes past size - 1 are counted, not written. */
struct redact_out {
	char *data;
	size_t size;
	size_t len;
};

static void out_byte(struct redact_out *out, char c)
{
	if (out->len + 1 < out->size)
		out->data[out->len] = c;
	out->len++;
}

static void out_bytes(struct redact_out *out, const char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out_byte(out, bytes[i]);
}

static const char *const mode_names[REDACT_MODE_COUNT] = { [REDACT_NONE] = "none",
							   [REDACT_LAST4] = "last4",
							   [REDACT_ALL] = "all" };

const char *redact_mode_name(enum redact_mode mode)
{
	return (unsigned)mode < REDACT_MODE_COUNT ? mode_names[mode] : "?";
}

bool redact_mode_parse(const char *text, size_t len, enum redact_mode *mode)
{
	for (int i = 0; i < REDACT_MODE_COUNT; i++) {
		if (strlen(mode_names[i]) == len && memcmp(mode_names[i], text, len) == 0) {
			*mode = (enum redact_mode)i;
			return true;
		}
	}
	return false;
}

/* The length of an escape sequence at text[at] ('\\'): "\uXXXX" or "\X", within len. */
static size_t escape_length(const char *text, size_t len, size_t at)
{
	size_t want = at + 1 < len && text[at + 1] == 'u' ? 6 : 2;

	return at + want <= len ? want : len - at;
}

/* The end of the string whose opening quote is at text[at]: the index of its closing quote,
 * or len when it is not closed. */
static size_t string_end(const char *text, size_t len, size_t at)
{
	size_t i = at + 1;

	while (i < len && text[i] != '"')
		i += text[i] == '\\' ? escape_length(text, len, i) : 1;
	return i;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits in a string's content, escape sequences not counted. */
static size_t digits_in(const char *text, size_t len)
{
	size_t digits = 0;

	for (size_t i = 0; i < len; i += text[i] == '\\' ? escape_length(text, len, i) : 1)
		digits += is_digit(text[i]);
	return digits;
}

/* A string's content (between its quotes) rewritten to mode. */
static void redact_value(struct redact_out *out, enum redact_mode mode, const char *text,
			 size_t len)
{
	size_t hide = 0;

	if (mode == REDACT_ALL) {
		out_bytes(out, "***", 3);
		return;
	}
	if (mode == REDACT_LAST4) {
		hide = digits_in(text, len);
		hide = hide > 4 ? hide - 4 : 0;
	}
	for (size_t i = 0; i < len;) {
		size_t step = text[i] == '\\' ? escape_length(text, len, i) : 1;
		if (step == 1 && hide > 0 && is_digit(text[i])) {
			out_byte(out, '*');
			hide--;
		} else {
			out_bytes(out, text + i, step);
		}
		i += step;
	}
}

static size_t skip_space(const char *text, size_t len, size_t at)
{
	while (at < len &&
	       (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' || text[at] == '\n'))
		at++;
	return at;
}

/* After the key string ending at text[end] ('"'): the index of the value's opening quote when
 * the key is followed by ':' and a string, else 0. */
static size_t string_value_at(const char *text, size_t len, size_t end)
{
	size_t at = skip_space(text, len, end + 1);

	if (at >= len || text[at] != ':')
		return 0;
	at = skip_space(text, len, at + 1);
	return at < len && text[at] == '"' ? at : 0;
}

size_t redact_line(enum redact_mode mode, const char *line, size_t len, char *out, size_t out_size)
{
	struct redact_out copy = { .data = out, .size = out_size };
	size_t i = 0;

	while (i < len) {
		if (line[i] != '"') {
			out_byte(&copy, line[i++]);
			continue;
		}
		size_t end = string_end(line, len, i);
		bool ani_key = end < len && mode != REDACT_NONE && end - i == 4 &&
			       memcmp(line + i, "\"ani", 4) == 0;
		size_t value = ani_key ? string_value_at(line, len, end) : 0;
		if (!value) {
			out_bytes(&copy, line + i, end < len ? end + 1 - i : len - i);
			i = end + 1;
			continue;
		}
		size_t value_end = string_end(line, len, value);
		out_bytes(&copy, line + i, value + 1 - i);
		redact_value(&copy, mode, line + value + 1,
			     (value_end < len ? value_end : len) - value - 1);
		if (value_end < len)
			out_byte(&copy, '"');
		i = value_end + 1;
	}
	if (out_size > 0)
		out[copy.len < out_size ? copy.len : out_size - 1] = '\0';
	return copy.len;
}
