/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int watch_reader_init(struct watch_reader *reader)
{
	memset(reader, 0, sizeof(*reader));
	reader->buffer = malloc(WATCH_READER_LINE_MAX_BYTES + 1);
	return reader->buffer ? 0 : -1;
}

void watch_reader_free(struct watch_reader *reader)
{
	free(reader->buffer);
	reader->buffer = NULL;
}

void watch_reader_reset(struct watch_reader *reader)
{
	reader->used = reader->start = 0;
	reader->skipping_long_line = false;
}

char *watch_reader_next_line(struct watch_reader *reader, size_t *len)
{
	char *newline;

	while ((newline = memchr(reader->buffer + reader->start, '\n',
				 reader->used - reader->start))) {
		char *line = reader->buffer + reader->start;
		*len = (size_t)(newline - line);
		reader->start = (size_t)(newline - reader->buffer) + 1;
		if (reader->skipping_long_line) {
			reader->skipping_long_line = false;
			continue;
		}
		if (*len > 0 && line[*len - 1] == '\r')
			(*len)--;
		line[*len] = '\0';
		return line;
	}
	return NULL;
}

char *watch_reader_rest(struct watch_reader *reader, size_t *len)
{
	if (reader->used == reader->start || reader->skipping_long_line)
		return NULL;
	*len = reader->used - reader->start;
	reader->buffer[reader->used] = '\0';
	reader->start = reader->used;
	return reader->buffer + reader->start - *len;
}

enum watch_reader_fill watch_reader_fill(struct watch_reader *reader,
					 const struct net_stream *stream)
{
	memmove(reader->buffer, reader->buffer + reader->start, reader->used - reader->start);
	reader->used -= reader->start;
	reader->start = 0;
	if (reader->used == WATCH_READER_LINE_MAX_BYTES) {
		reader->long_lines += !reader->skipping_long_line;
		reader->skipping_long_line = true;
		reader->used = 0;
	}
	size_t room = WATCH_READER_LINE_MAX_BYTES - reader->used;
	ssize_t n =
		net_stream_read(stream, reader->buffer + reader->used,
				room < WATCH_READER_CHUNK_BYTES ? room : WATCH_READER_CHUNK_BYTES);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? WATCH_READER_AGAIN : WATCH_READER_ERROR;
	if (n == 0)
		return WATCH_READER_EOF;
	reader->used += (size_t)n;
	return WATCH_READER_READ;
}
