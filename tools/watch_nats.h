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
#include <stdint.h>

struct watch_nats;

/* How to reach the cluster and where to start: the same choices as cadmond's nats: section. */
struct watch_nats_settings {
	const char *url;         /* cnats server list, comma-separated */
	const char *subject;     /* the notices' subjects */
	double timeout_seconds;  /* connecting */
	const char *ca;          /* PEM CAs of the servers (TLS); NULL: as the URL says */
	const char *certificate; /* PEM client certificate (with key); NULL: none */
	const char *key;
	const char *credentials; /* .creds file (JWT + NKey seed); NULL: none */
	const char *token;       /* NULL: none */
	const char *user;        /* with password; NULL: none */
	const char *password;
	uint64_t start_sequence; /* the first stream sequence shown; 0: the stream's first */
};

/** Connect within settings->timeout_seconds and follow settings->subject: NULL, and why, on
 * failure (or when cadmon-watch was built without libnats). */
struct watch_nats *watch_nats_open(const struct watch_nats_settings *settings, char *why,
				   size_t why_size);

/** The pipe's read end: notice lines, one per stream message. */
int watch_nats_fd(const struct watch_nats *nats);

/** The console took the next line of the pipe: its stream sequence becomes the last shown. */
void watch_nats_line_taken(struct watch_nats *nats);

/** The stream sequence of the last line taken (0: none): --nats-start one more resumes after it. */
uint64_t watch_nats_last_taken(struct watch_nats *nats);

/** Stop following and free; safe with NULL. */
void watch_nats_close(struct watch_nats *nats);

#endif
