/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_WATCH_NATS_H
#define CADMON_WATCH_NATS_H

/*
 * cadmon-watch --nats: the alerts stream followed with a JetStream ordered consumer (every
 * notice the stream holds, then the new ones, in stream order; docs/scale-out.md). cnats
 * delivers on its own thread: each message's data and a newline are written to a pipe whose
 * read end (non-blocking) the console polls like an alert port's socket.
 */
#include <stddef.h>

struct watch_nats;

/** Connect to url (cnats server list) within timeout_seconds and follow subject: NULL, and
 * why, on failure (or when cadmon-watch was built without libnats). */
struct watch_nats *watch_nats_open(const char *url, const char *subject, double timeout_seconds, char *why,
				   size_t why_size);

/** The pipe's read end: notice lines, one per stream message. */
int watch_nats_fd(const struct watch_nats *nats);

/** Stop following and free; safe with NULL. */
void watch_nats_close(struct watch_nats *nats);

#endif
