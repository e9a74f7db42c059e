/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The daemon's log (daemon/log.c) on a plain stderr: a line a message, and the lines held by
 * log_hold() written by log_release() in their order (earlier when 16 KiB are held); another
 * thread's lines not held. stderr is a temporary file here, read back byte for byte.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

struct captured {
	FILE *file;
	int saved_stderr;
};

static int capture_stderr(void **state)
{
	struct captured *captured = calloc(1, sizeof *captured);

	assert_non_null(captured);
	assert_non_null(captured->file = tmpfile());
	captured->saved_stderr = dup(STDERR_FILENO);
	assert_true(captured->saved_stderr >= 0);
	assert_int_equal(dup2(fileno(captured->file), STDERR_FILENO), STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO);
	*state = captured;
	return 0;
}

static int restore_stderr(void **state)
{
	struct captured *captured = *state;

	log_release();
	dup2(captured->saved_stderr, STDERR_FILENO);
	close(captured->saved_stderr);
	fclose(captured->file);
	free(captured);
	return 0;
}

/* What stderr holds so far. */
static const char *written(void **state)
{
	static char text[40000];
	struct captured *captured = *state;
	size_t len;

	rewind(captured->file);
	len = fread(text, 1, sizeof text - 1, captured->file);
	text[len] = '\0';
	return text;
}

static void test_lines_go_out_as_logged(void **state)
{
	log_msg(LOG_NOTICE, "alert %d: burst", 1);
	log_msg(LOG_WARNING, "feed %s: slow", "a");
	log_msg(LOG_DEBUG, "hidden");
	assert_string_equal(written(state),
			    "cadmond: alert 1: burst\ncadmond: warning: feed a: slow\n");
}

static void test_held_lines_go_out_at_release_in_order(void **state)
{
	log_msg(LOG_NOTICE, "before");
	log_hold();
	log_msg(LOG_NOTICE, "alert %d: burst", 7);
	log_msg(LOG_ERR, "between");
	log_hold(); /* a second alert while held */
	log_msg(LOG_NOTICE, "alert %d: burst", 8);
	assert_string_equal(written(state), "cadmond: before\n");
	log_release();
	assert_string_equal(written(state), "cadmond: before\ncadmond: alert 7: burst\n"
					     "cadmond: error: between\ncadmond: alert 8: burst\n");
	log_msg(LOG_NOTICE, "after");
	log_release(); /* nothing held: nothing more written */
	assert_string_equal(written(state), "cadmond: before\ncadmond: alert 7: burst\n"
					     "cadmond: error: between\ncadmond: alert 8: burst\n"
					     "cadmond: after\n");
}

/* 20 lines of 1,012 bytes: 16 fit in the 16 KiB held, the 17th writes them first. */
static void test_held_lines_go_out_when_full(void **state)
{
	char filler[1001], expected[20 * 1012 + 1];
	size_t len = 0;

	memset(filler, 'x', 1000);
	filler[1000] = '\0';
	log_hold();
	for (int i = 0; i < 20; i++) {
		log_msg(LOG_NOTICE, "%02d%s", i, filler);
		len += (size_t)snprintf(expected + len, sizeof expected - len, "cadmond: %02d%s\n",
					i, filler);
		if (i == 15)
			assert_string_equal(written(state), "");
	}
	assert_int_equal(strlen(written(state)), 16 * 1012);
	assert_memory_equal(written(state), expected, 16 * 1012);
	log_release();
	assert_string_equal(written(state), expected);
}

static void *log_from_another_thread(void *arg)
{
	(void)arg;
	log_msg(LOG_NOTICE, "from the sync thread");
	return NULL;
}

static void test_another_threads_lines_are_not_held(void **state)
{
	pthread_t thread;

	log_hold();
	log_msg(LOG_NOTICE, "alert 9: held");
	assert_int_equal(pthread_create(&thread, NULL, log_from_another_thread, NULL), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_string_equal(written(state), "cadmond: from the sync thread\n");
	log_release();
	assert_string_equal(written(state),
			    "cadmond: from the sync thread\ncadmond: alert 9: held\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_go_out_as_logged, capture_stderr,
						restore_stderr),
		cmocka_unit_test_setup_teardown(test_held_lines_go_out_at_release_in_order,
						capture_stderr, restore_stderr),
		cmocka_unit_test_setup_teardown(test_held_lines_go_out_when_full, capture_stderr,
						restore_stderr),
		cmocka_unit_test_setup_teardown(test_another_threads_lines_are_not_held,
						capture_stderr, restore_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
