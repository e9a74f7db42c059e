/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_LINE_READER_H
#define CADMON_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads newline-delimited lines from a file descriptor, a regular file through a mapping of
 * it (then read(2) for what it gained meanwhile), anything else in large chunks
 * (LINE_READER_CHUNK_BYTES per read(2)), memchr for "\n", and hands each line to a callback,
 * without copying it unless it spans two chunks. A file cut shorter by another process while
 * it is read kills the reader with SIGBUS (the mapping's pages past the new end). Lines follow
 * the feed's rules (docs/protocol.md) exactly as cadmond applies them: the "\n" and one "\r"
 * before it are cut; a line still longer than max_line_bytes is
 * not handed over but reported as too long, and everything up to the next "\n" is skipped.
 * A last line without "\n" is handed over too (a file's last line, unlike a connection's,
 * is complete) and counted in `unterminated`.
 */

#define LINE_READER_CHUNK_BYTES (1024u * 1024u)

struct line_reader_callbacks {
	/* One line, without its line ending; len <= max_line_bytes. Blank lines included. */
	void (*on_line)(const char *line, size_t len, uint64_t line_number, void *ctx);
	/* One line longer than max_line_bytes, skipped. */
	void (*on_too_long)(uint64_t line_number, void *ctx);
	/* After each read(2), with the bytes read from this fd so far; may be NULL. */
	void (*on_progress)(uint64_t bytes_read, void *ctx);
};

struct line_reader_stats {
	uint64_t bytes;        /* read from the fd */
	uint64_t lines;        /* lines seen, too long and blank ones included */
	uint64_t too_long;     /* of which longer than max_line_bytes */
	uint64_t unterminated; /* a last line without "\n" (0 or 1 per fd) */
};

struct line_reader;

/** A reader for lines of at most max_line_bytes (> 0). NULL on allocation failure. */
struct line_reader *line_reader_new(uint32_t max_line_bytes);
void line_reader_free(struct line_reader *reader);

/**
 * Read fd to its end, calling back for every line. Line numbers start at 1 per call.
 * Returns 0, or -errno of a failed read(2) (the lines before it were handed over).
 * *stats (may be NULL) receives this fd's counters.
 */
int line_reader_read_fd(struct line_reader *reader, int fd,
			const struct line_reader_callbacks *callbacks, void *ctx,
			struct line_reader_stats *stats);

#endif
