/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_TEXT_H
#define CADMON_TOOLS_WATCH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * watch_text: the words and numbers cadmon-watch shows: times of day (local, or UTC with a
 * "Z"), windows, talk times, and rows built into bounded buffers with every control
 * character from the wire replaced, so that no alert can move the cursor of a console.
 */

#define WATCH_CLOCK_MAX 16 /* "23:59:59Z" and its NUL, with room */

/* A row being built: text[size], always NUL-terminated; what does not fit is cut off. */
struct watch_text {
	char *text;
	size_t size;
	size_t len;
};

/** An empty row over buffer[size] (size >= 1). */
struct watch_text watch_text_init(char *buffer, size_t size);

/** Append printf-formatted text (cut off at the end of the buffer). */
void watch_text_appendf(struct watch_text *row, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/** Append text from the wire, each control character (below 0x20, 0x7f) shown as '?'. */
void watch_text_append_safe(struct watch_text *row, const char *text);

/** Event time ms as a time of day: "08:04:30Z" with utc, else local "03:04:30". */
void watch_text_clock_ms(int64_t epoch_ms, bool utc, char out[WATCH_CLOCK_MAX]);

/** watch_text_clock_ms of an RFC 3339 time; "?" when it does not parse. */
void watch_text_clock(const char *ts, bool utc, char out[WATCH_CLOCK_MAX]);

/** A window length for people: "10 min", "8 h", "90 s". */
void watch_text_window(int64_t seconds, char *out, size_t size);

/** A talk time: "5 s", "12.5 s" (one decimal when not whole). */
void watch_text_seconds(double seconds, char *out, size_t size);

/**
 * Copy the first cols columns of a UTF-8 row into out[size] (a column per code point; cut
 * only between code points). Returns the columns copied.
 */
size_t watch_text_fit(const char *row, size_t cols, char *out, size_t size);

#endif
