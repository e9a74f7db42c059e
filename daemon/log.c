/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "hostclock.h"

/* Longest line written; longer messages are cut (and end in "..."). */
#define LOG_LINE_MAX 2048

static bool log_to_journal;
static int log_max_priority = LOG_INFO;

/* Lines held by log_hold: only the thread that holds (the event loop's) appends to them. */
static _Thread_local bool log_holding;
static char log_held[16384];
static size_t log_held_len;

/* True when $JOURNAL_STREAM ("DEV:INODE") names the file stderr is connected to. */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long device, inode;
	struct stat st;

	if (!stream || sscanf(stream, "%llu:%llu", &device, &inode) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == device && (unsigned long long)st.st_ino == inode;
}

void log_init(int max_priority)
{
	log_to_journal = stderr_is_journal();
	log_max_priority = max_priority;
}

/* The word that tells the priority on a plain stderr line. */
static const char *priority_prefix(int priority)
{
	if (priority <= LOG_ERR)
		return "error: ";
	if (priority == LOG_WARNING)
		return "warning: ";
	if (priority == LOG_DEBUG)
		return "debug: ";
	return "";
}

/* Show control characters as '?': a message from feed input stays one line. */
static void replace_control_characters(char *text)
{
	for (unsigned char *p = (unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Nowhere left to complain when it fails. */
static void write_all(int fd, const char *data, size_t len)
{
	(void)fdio_write_all(fd, data, len);
}

/* Write the held lines, in the order they were logged, with one write(2). */
static void write_held(void)
{
	write_all(STDERR_FILENO, log_held, log_held_len);
	log_held_len = 0;
}

/* One line to stderr, or after the held ones while this thread holds (those first when full). */
static void emit_line(const char *line, size_t len)
{
	if (!log_holding) {
		write_all(STDERR_FILENO, line, len);
		return;
	}
	if (log_held_len + len > sizeof log_held)
		write_held();
	memcpy(log_held + log_held_len, line, len);
	log_held_len += len;
}

static void log_vmsg(int priority, const char *format, va_list args)
{
	char text[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 32];
	int len;

	if (priority > log_max_priority)
		return;
	if (vsnprintf(text, sizeof text, format, args) >= (int)sizeof text)
		memcpy(text + sizeof text - 4, "...", 4);
	replace_control_characters(text);
	if (log_to_journal)
		len = snprintf(line, sizeof line, "<%d>%s\n", priority, text);
	else
		len = snprintf(line, sizeof line, LOG_PROGRAM_NAME ": %s%s\n",
			       priority_prefix(priority), text);
	if (len > 0)
		emit_line(line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

void log_hold(void)
{
	log_holding = true;
}

void log_release(void)
{
	if (!log_holding)
		return;
	log_holding = false;
	write_held();
}

void log_msg(int priority, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_vmsg(priority, format, args);
	va_end(args);
}

void log_limit_init(struct log_limit *limit, uint32_t interval_seconds, const char *label)
{
	snprintf(limit->label, sizeof limit->label, "%s", label);
	limit->interval_seconds = interval_seconds;
	limit->last_logged_ms = -1;
	limit->suppressed = 0;
	limit->suppressed_priority = LOG_DEBUG;
}

void log_limit_flush(struct log_limit *limit)
{
	if (limit->suppressed == 0)
		return;
	log_msg(limit->suppressed_priority, "%s: (%" PRIu64 " similar messages suppressed)",
		limit->label, limit->suppressed);
	limit->suppressed = 0;
	limit->suppressed_priority = LOG_DEBUG;
}

/* True while the interval that began with the last logged message is still running. */
static bool log_limit_closed(const struct log_limit *limit, int64_t now_ms)
{
	return limit->interval_seconds > 0 && limit->last_logged_ms >= 0 &&
	       now_ms - limit->last_logged_ms < (int64_t)limit->interval_seconds * 1000;
}

void log_limited(struct log_limit *limit, int priority, const char *format, ...)
{
	int64_t now_ms;
	va_list args;

	if (priority > log_max_priority)
		return;
	now_ms = hostclock_monotonic_ms();
	if (log_limit_closed(limit, now_ms)) {
		limit->suppressed++;
		if (priority < limit->suppressed_priority)
			limit->suppressed_priority = priority;
		return;
	}
	log_limit_flush(limit);
	va_start(args, format);
	log_vmsg(priority, format, args);
	va_end(args);
	limit->last_logged_ms = now_ms;
}
