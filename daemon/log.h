/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_LOG_H
#define CADMOND_LOG_H

#include <stdint.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

/*
 * The daemon's log: one line per message on stderr, written with a single write(2) (held
 * lines, below, several in one).
 * When stderr is the journal stream systemd gave us ($JOURNAL_STREAM names its device and
 * inode), every line starts with the syslog priority as "<N>" (sd-daemon(3) style) so the
 * journal records it; otherwise lines read "cadmond: warning: ...". Control characters in a
 * message (from feed input, say) are shown as '?', so one message is always one line.
 */

#define LOG_PROGRAM_NAME "cadmond"

/** Detect where stderr goes; show messages up to max_priority (LOG_INFO hides LOG_DEBUG). */
void log_init(int max_priority);

/** Log one message at a syslog priority, LOG_ERR .. LOG_DEBUG. */
void log_msg(int priority, const char *format, ...) __attribute__((format(printf, 2, 3)));

/*
 * Holding the log: from log_hold() on, the calling thread's lines are kept, in order, and
 * written by log_release() with one write(2) (earlier, in the same order, when they fill
 * 16 KiB). The daemon holds its alerts' log lines until the alerts are delivered, so that
 * the write to stderr is not on an alert's way out. One thread at a time may hold (the
 * event loop's); other threads' lines go out as they come.
 */
void log_hold(void);

/** Write the held lines, if any, and stop holding. */
void log_release(void);

#define LOG_LIMIT_LABEL_MAX 96

/*
 * A rate limiter for one kind of repeated message: at most one message per interval gets
 * through; the others are counted, and reported as "LABEL: (N similar messages suppressed)"
 * before the next message that gets through, or by log_limit_flush(). Owned by its user
 * (usually embedded in the object whose messages it limits); no allocation.
 */
struct log_limit {
	char label[LOG_LIMIT_LABEL_MAX]; /* what is limited, e.g. "feed 127.0.0.1:50312" */
	uint32_t interval_seconds;       /* 0: no limit */
	int64_t last_logged_ms;          /* monotonic clock; -1 before the first message */
	uint64_t suppressed;             /* messages dropped since the last one logged */
	int suppressed_priority;         /* highest priority among them (lowest number) */
};

/** Set up a limiter: at most one message per interval_seconds (0: every message). */
void log_limit_init(struct log_limit *limit, uint32_t interval_seconds, const char *label);

/** Log a message unless the limiter's interval has not passed since its last one. */
void log_limited(struct log_limit *limit, int priority, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/** Report the messages suppressed so far, if any ("LABEL: (N similar messages suppressed)"). */
void log_limit_flush(struct log_limit *limit);

#endif
