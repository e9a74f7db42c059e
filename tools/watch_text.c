/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_text.h"

#include <math.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

struct watch_text watch_text_init(char *buffer, size_t size)
{
	buffer[0] = '\0';
	return (struct watch_text){ .text = buffer, .size = size, .len = 0 };
}

void watch_text_appendf(struct watch_text *row, const char *format, ...)
{
	va_list args;
	size_t room = row->size - row->len;

	va_start(args, format);
	int n = vsnprintf(row->text + row->len, room, format, args);
	va_end(args);
	if (n > 0)
		row->len += (size_t)n < room ? (size_t)n : room - 1;
}

void watch_text_append_safe(struct watch_text *row, const char *text)
{
	for (; *text && row->len + 1 < row->size; text++) {
		unsigned char c = (unsigned char)*text;
		row->text[row->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	row->text[row->len] = '\0';
}

void watch_text_clock_ms(int64_t epoch_ms, bool utc, char out[WATCH_CLOCK_MAX])
{
	time_t seconds = (time_t)(epoch_ms / 1000);
	struct tm tm;

	if (utc ? !gmtime_r(&seconds, &tm) : !localtime_r(&seconds, &tm)) {
		snprintf(out, WATCH_CLOCK_MAX, "?");
		return;
	}
	snprintf(out, WATCH_CLOCK_MAX, "%02d:%02d:%02d%s", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 utc ? "Z" : "");
}

void watch_text_clock(const char *ts, bool utc, char out[WATCH_CLOCK_MAX])
{
	int64_t epoch_ms;

	if (!ts || timestamp_parse_rfc3339(ts, strlen(ts), &epoch_ms, NULL) != 0) {
		snprintf(out, WATCH_CLOCK_MAX, "?");
		return;
	}
	watch_text_clock_ms(epoch_ms, utc, out);
}

void watch_text_window(int64_t seconds, char *out, size_t size)
{
	if (seconds > 0 && seconds % 3600 == 0)
		snprintf(out, size, "%" PRId64 " h", seconds / 3600);
	else if (seconds > 0 && seconds % 60 == 0)
		snprintf(out, size, "%" PRId64 " min", seconds / 60);
	else
		snprintf(out, size, "%" PRId64 " s", seconds);
}

void watch_text_seconds(double seconds, char *out, size_t size)
{
	if (seconds == floor(seconds))
		snprintf(out, size, "%.0f s", seconds);
	else
		snprintf(out, size, "%.1f s", seconds);
}

size_t watch_text_fit(const char *row, size_t cols, char *out, size_t size)
{
	size_t in = 0, used = 0, columns = 0;

	while (row[in] && columns < cols) {
		size_t len = 1;
		while ((row[in + len] & 0xc0) == 0x80)
			len++;
		if (used + len >= size)
			break;
		memcpy(out + used, row + in, len);
		used += len;
		in += len;
		columns++;
	}
	out[used] = '\0';
	return columns;
}
