/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_READER_H
#define CADMON_TOOLS_WATCH_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"

/*
 * watch_reader: the lines cadmon-watch reads from a cadmond alert port, in a buffer with a
 * hard limit. A line longer than WATCH_READER_LINE_MAX_BYTES is skipped up to its newline and
 * counted. Lines end at "\n", a "\r" before it is dropped.
 */

#define WATCH_READER_LINE_MAX_BYTES (1024 * 1024)
#define WATCH_READER_CHUNK_BYTES 65536 /* read at most this much at once */

struct watch_reader {
	char *buffer; /* WATCH_READER_LINE_MAX_BYTES + 1, owned */
	size_t used;
	size_t start; /* where the next line begins */
	bool skipping_long_line;
	unsigned long long_lines; /* lines skipped for their length */
};

enum watch_reader_fill {
	WATCH_READER_READ,  /* bytes arrived */
	WATCH_READER_AGAIN, /* nothing yet (EAGAIN, EINTR) */
	WATCH_READER_EOF,   /* the peer ended the stream */
	WATCH_READER_ERROR, /* errno says why */
};

/** Allocate the buffer. 0, or -1 when out of memory. */
int watch_reader_init(struct watch_reader *reader);

/** Free the buffer. */
void watch_reader_free(struct watch_reader *reader);

/** Forget what is buffered (a new connection). */
void watch_reader_reset(struct watch_reader *reader);

/** Read what stream has into the buffer. */
enum watch_reader_fill watch_reader_fill(struct watch_reader *reader,
					 const struct net_stream *stream);

/** The next complete line (NUL-terminated, in the buffer; valid until the next fill), or NULL. */
char *watch_reader_next_line(struct watch_reader *reader, size_t *len);

/** At the end of the stream: the unterminated rest of a line (NUL-terminated), or NULL. */
char *watch_reader_rest(struct watch_reader *reader, size_t *len);

#endif
