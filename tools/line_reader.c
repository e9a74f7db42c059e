/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct line_reader {
	uint32_t max_line_bytes;
	size_t carry_max;    /* longest unfinished line kept between reads: max_line_bytes + "\r" */
	char *buffer;        /* carry_max + LINE_READER_CHUNK_BYTES */
};

/* One pass over one fd. */
struct line_scan {
	const struct line_reader *reader;
	const struct line_reader_callbacks *callbacks;
	void *ctx;
	struct line_reader_stats stats;
	size_t pending;  /* bytes of an unfinished line at the start of the buffer */
	bool discarding; /* inside a too-long line: skip up to the next "\n" */
};

struct line_reader *line_reader_new(uint32_t max_line_bytes)
{
	struct line_reader *reader;

	if (max_line_bytes == 0)
		return NULL;
	reader = calloc(1, sizeof(*reader));
	if (!reader)
		return NULL;
	reader->max_line_bytes = max_line_bytes;
	reader->carry_max = (size_t)max_line_bytes + 1;
	reader->buffer = malloc(reader->carry_max + LINE_READER_CHUNK_BYTES);
	if (!reader->buffer) {
		free(reader);
		return NULL;
	}
	return reader;
}

void line_reader_free(struct line_reader *reader)
{
	if (!reader)
		return;
	free(reader->buffer);
	free(reader);
}

static void report_too_long(struct line_scan *scan)
{
	scan->stats.too_long++;
	if (scan->callbacks->on_too_long)
		scan->callbacks->on_too_long(scan->stats.lines, scan->ctx);
}

/* Hand over one line (its "\n" already cut): cut one "\r", then check the length. */
static void deliver_line(struct line_scan *scan, const char *line, size_t len)
{
	scan->stats.lines++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > scan->reader->max_line_bytes)
		report_too_long(scan);
	else
		scan->callbacks->on_line(line, len, scan->stats.lines, scan->ctx);
}

/* Hand over every complete line in data[0, len); the first "\n" is searched for from
 * data + search_from (the bytes before it are known to hold none). Returns the bytes used. */
static size_t scan_lines(struct line_scan *scan, const char *data, size_t len, size_t search_from)
{
	const char *start = data, *end = data + len, *search = data + search_from;
	const char *newline;

	if (scan->discarding) {
		newline = memchr(search, '\n', (size_t)(end - search));
		if (!newline)
			return len;
		scan->discarding = false;
		start = search = newline + 1;
	}
	while ((newline = memchr(search, '\n', (size_t)(end - search)))) {
		deliver_line(scan, start, (size_t)(newline - start));
		start = search = newline + 1;
	}
	return (size_t)(start - data);
}

/* An unfinished line longer than any line kept (max_line_bytes and a "\r"): counted as too
 * long, and skipped up to the next "\n". */
static bool skip_too_long(struct line_scan *scan, size_t unfinished)
{
	scan->pending = 0;
	if (unfinished <= scan->reader->carry_max)
		return false;
	scan->stats.lines++;
	report_too_long(scan);
	scan->discarding = true;
	return true;
}

/* Keep the unfinished line for the next read, or count it as too long and skip the rest. */
static void keep_unfinished(struct line_scan *scan, char *buffer, size_t used, size_t filled)
{
	size_t unfinished = filled - used;

	if (skip_too_long(scan, unfinished))
		return;
	if (used > 0 && unfinished > 0)
		memmove(buffer, buffer + used, unfinished);
	scan->pending = unfinished;
}

/* The last line of a file may lack its "\n". */
static void finish_last_line(struct line_scan *scan)
{
	if (scan->discarding || scan->pending == 0)
		return;
	scan->stats.unterminated++;
	deliver_line(scan, scan->reader->buffer, scan->pending);
	scan->pending = 0;
}

/*
 * A regular file is first read through a mapping of the size it has now, as if that were one
 * chunk: no read(2) copies it into the buffer (a 1 MiB copy evicts what the engine keeps in
 * the cache, 36 times for a 36 MB day), and its lines are handed over where they stand. The
 * unfinished line at its end is kept in the buffer (or skipped as too long) as after any chunk,
 * and read(2) goes on from there: what the file gained since, and the end. on_progress is told
 * every LINE_READER_CHUNK_BYTES scanned, as after reads of that size. Nothing is done when fd is
 * not a regular file at its start or cannot be mapped: read(2) does it all.
 */
static void scan_mapped(struct line_scan *scan, int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIZE_MAX / 2)
		return;
	size_t size = (size_t)st.st_size;
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (at != 0) /* a file given half read: read(2) from where it stands */
		return;
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return;
	if (lseek(fd, (off_t)size, SEEK_SET) != (off_t)size) {
		munmap(map, size);
		return;
	}
	(void)posix_madvise(map, size, POSIX_MADV_SEQUENTIAL);
	const char *data = map;
	size_t used = 0;
	for (size_t scanned = 0; scanned < size;) {
		size_t searched = scanned - used; /* of the unfinished line: no "\n" */
		scanned += size - scanned < LINE_READER_CHUNK_BYTES ? size - scanned
								    : LINE_READER_CHUNK_BYTES;
		scan->stats.bytes = scanned;
		if (scan->callbacks->on_progress)
			scan->callbacks->on_progress(scan->stats.bytes, scan->ctx);
		used += scan_lines(scan, data + used, scanned - used, searched);
	}
	if (!skip_too_long(scan, size - used)) {
		memcpy(scan->reader->buffer, data + used, size - used);
		scan->pending = size - used;
	}
	munmap(map, size);
}

int line_reader_read_fd(struct line_reader *reader, int fd,
			const struct line_reader_callbacks *callbacks, void *ctx,
			struct line_reader_stats *stats)
{
	struct line_scan scan = {.reader = reader, .callbacks = callbacks, .ctx = ctx};
	int rc = 0;

	scan_mapped(&scan, fd);
	for (;;) {
		ssize_t n = read(fd, reader->buffer + scan.pending, LINE_READER_CHUNK_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		scan.stats.bytes += (uint64_t)n;
		if (callbacks->on_progress)
			callbacks->on_progress(scan.stats.bytes, ctx);
		size_t filled = scan.pending + (size_t)n;
		size_t used = scan_lines(&scan, reader->buffer, filled, scan.pending);
		keep_unfinished(&scan, reader->buffer, used, filled);
	}
	if (rc == 0)
		finish_last_line(&scan);
	if (stats)
		*stats = scan.stats;
	return rc;
}
