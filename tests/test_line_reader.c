/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* tools/line_reader.c: a regular file (read through a mapping, then read(2) for the rest) and a
 * pipe (read(2) alone) hand over the same lines, too-long lines and counts. */
#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "line_reader.h"

#define MAX_LINE 256u
#define CHUNK LINE_READER_CHUNK_BYTES
#define LOG_MAX 4096

/* What the callbacks were told, as text: one entry per non-empty or too-long line. */
struct seen {
	char log[LOG_MAX];
	size_t len;
	uint64_t empty; /* lines of length 0 */
	uint64_t progress[8];
	size_t progress_count;
};

static void note(struct seen *seen, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	int n = vsnprintf(seen->log + seen->len, LOG_MAX - seen->len, fmt, args);
	va_end(args);
	assert_true(n > 0 && (size_t)n < LOG_MAX - seen->len);
	seen->len += (size_t)n;
}

static void on_line(const char *line, size_t len, uint64_t number, void *ctx)
{
	struct seen *seen = ctx;

	if (len == 0)
		seen->empty++;
	else
		note(seen, "%" PRIu64 ":%zu:%.*s;", number, len, len < 4 ? (int)len : 4, line);
}

static void on_too_long(uint64_t number, void *ctx)
{
	note(ctx, "%" PRIu64 ":long;", number);
}

static void on_progress(uint64_t bytes, void *ctx)
{
	struct seen *seen = ctx;

	if (seen->progress_count < 8)
		seen->progress[seen->progress_count++] = bytes;
}

static const struct line_reader_callbacks callbacks = {
	.on_line = on_line, .on_too_long = on_too_long, .on_progress = on_progress};

static void append(char *data, size_t *len, char byte, size_t count)
{
	memset(data + *len, byte, count);
	*len += count;
}

static void append_text(char *data, size_t *len, const char *text)
{
	memcpy(data + *len, text, strlen(text));
	*len += strlen(text);
}

/* Lines at and across the chunk boundaries, a CRLF one, long ones, an unfinished last. */
static char *make_input(size_t *len, const char *last)
{
	char *data = malloc(3 * CHUNK);

	assert_non_null(data);
	*len = 0;
	append_text(data, len, "aaaa\r\n\n   \n");
	append(data, len, 'b', MAX_LINE); /* exactly the limit, with "\r" */
	append_text(data, len, "\r\n");
	append(data, len, 'c', MAX_LINE + 1); /* one byte over */
	append_text(data, len, "\n");
	append(data, len, '\n', CHUNK - 10 - *len);
	append_text(data, len, "dddd-across-the-first-boundary\n");
	append(data, len, '\n', 2 * CHUNK - 100 - *len);
	append(data, len, 'e', 5000); /* too long, across the second boundary */
	append_text(data, len, "\nffff\n");
	append_text(data, len, last);
	return data;
}

static void read_file(const char *data, size_t len, off_t skip, struct seen *seen,
		      struct line_reader_stats *stats)
{
	char path[] = "/tmp/test_line_reader-XXXXXX";
	int fd = mkstemp(path);
	struct line_reader *reader = line_reader_new(MAX_LINE);

	assert_true(fd >= 0);
	assert_non_null(reader);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, skip, SEEK_SET), skip);
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(line_reader_read_fd(reader, fd, &callbacks, seen, stats), 0);
	close(fd);
	line_reader_free(reader);
}

static void read_pipe(const char *data, size_t len, struct seen *seen,
		      struct line_reader_stats *stats)
{
	int fds[2];
	struct line_reader *reader = line_reader_new(MAX_LINE);

	assert_non_null(reader);
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		for (size_t at = 0; at < len;) {
			ssize_t n = write(fds[1], data + at, len - at);
			if (n <= 0)
				_exit(1);
			at += (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	memset(seen, 0, sizeof(*seen));
	assert_int_equal(line_reader_read_fd(reader, fds[0], &callbacks, seen, stats), 0);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	line_reader_free(reader);
}

/* data read from a file, and the same lines, counts and bytes told through a pipe. */
static void read_file_and_pipe(const char *data, size_t len, struct seen *seen,
			       struct line_reader_stats *stats)
{
	static struct seen pipe_seen;
	struct line_reader_stats pipe_stats;

	read_file(data, len, 0, seen, stats);
	read_pipe(data, len, &pipe_seen, &pipe_stats);
	assert_string_equal(pipe_seen.log, seen->log);
	assert_int_equal(pipe_seen.empty, seen->empty);
	assert_int_equal(pipe_stats.bytes, stats->bytes);
	assert_int_equal(pipe_stats.lines, stats->lines);
	assert_int_equal(pipe_stats.too_long, stats->too_long);
	assert_int_equal(pipe_stats.unterminated, stats->unterminated);
}

/* Every line of a file (its last unfinished, short), the same through a pipe; the progress
 * every chunk. */
static void test_file_and_pipe_same_lines(void **state)
{
	size_t len;
	char *data = make_input(&len, "gggg-unfinished");
	static struct seen file_seen;
	struct line_reader_stats file_stats;

	(void)state;
	read_file_and_pipe(data, len, &file_seen, &file_stats);
	/* "dddd" after 5 lines (527 bytes) and newlines to CHUNK - 10 (1,048,039 lines); the e's
	 * after newlines from CHUNK + 21 to 2 * CHUNK - 100 (1,048,455) */
	assert_string_equal(file_seen.log, "1:4:aaaa;3:3:   ;4:256:bbbb;5:long;1048045:30:dddd;"
					   "2096501:long;2096502:4:ffff;2096503:15:gggg;");
	assert_int_equal(file_seen.empty, 2096503 - 8);
	assert_int_equal(file_stats.lines, 2096503);
	assert_int_equal(file_stats.bytes, len);
	assert_int_equal(file_stats.too_long, 2);
	assert_int_equal(file_stats.unterminated, 1);
	assert_int_equal(file_seen.progress_count, 3);
	assert_int_equal(file_seen.progress[0], CHUNK);
	assert_int_equal(file_seen.progress[1], 2 * CHUNK);
	assert_int_equal(file_seen.progress[2], len);
	free(data);
}

/* A last line without "\n" longer than a line may be is too long, not unterminated; one whose
 * file ends on a page boundary is read without a byte past it. */
static void test_unfinished_last_lines(void **state)
{
	size_t len;
	char *data = make_input(&len, "");
	static struct seen file_seen;
	struct line_reader_stats file_stats;

	(void)state;
	append(data, &len, 'h', MAX_LINE + 2);
	read_file_and_pipe(data, len, &file_seen, &file_stats);
	assert_non_null(strstr(file_seen.log, "2096502:4:ffff;2096503:long;"));
	assert_int_equal(file_stats.unterminated, 0);
	assert_int_equal(file_stats.too_long, 3);

	len = 2 * CHUNK; /* a multiple of every page size; its last line "e...e\nf..." unfinished */
	data[len - 1] = 'z';
	read_file(data, len, 0, &file_seen, &file_stats);
	assert_int_equal(file_stats.bytes, len);
	assert_int_equal(file_stats.unterminated, 1);
	free(data);
}

/* A file given half read is read from where it stands. */
static void test_file_from_its_offset(void **state)
{
	size_t len;
	char *data = make_input(&len, "");
	static struct seen file_seen;
	struct line_reader_stats file_stats;

	(void)state;
	read_file(data, len, 5000, &file_seen, &file_stats); /* inside the newlines */
	assert_int_equal(file_stats.bytes, len - 5000);
	/* the first line: "dddd" after CHUNK - 10 - 5000 newlines */
	assert_int_equal(strncmp(file_seen.log, "1043567:30:dddd;", 16), 0);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_pipe_same_lines),
		cmocka_unit_test(test_unfinished_last_lines),
		cmocka_unit_test(test_file_from_its_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
