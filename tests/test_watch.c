/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch, the console, against the real cadmond: with --reconnect it survives a
 * restart of the daemon and resumes after the last alert it showed ({"since":N}), so an
 * alert raised while it was away is neither missed nor shown twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define WAIT_MS 15000

static const struct harness_options shift_options = {
	.extra_yaml = "detector:\n"
		      "  premature:\n"
		      "    max_talk_seconds: 20\n"
		      "  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, "
		      "min_ratio: 0.5, severity: critical}]\n",
};

static const char *watch_path(void)
{
	const char *path = getenv("CADMON_WATCH");

	return path ? path : "cadmon-watch";
}

/* Start cadmon-watch with args, its stdout and stderr to files. */
static pid_t spawn_watch(const char *const args[], const char *out_path, const char *err_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int out = open(out_path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	int err = open(err_path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	char *argv[16];
	size_t n = 0;
	argv[n++] = (char *)watch_path();
	for (; args[n - 1] && n < 15; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	execv(argv[0], argv);
	_exit(127);
}

/* The whole file, malloc'd ("" if unreadable). */
static char *read_file(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = calloc(1, 1 << 20);
	size_t len = 0;

	if (file && text) {
		len = fread(text, 1, (1 << 20) - 1, file);
		text[len] = '\0';
	}
	if (file)
		fclose(file);
	return text;
}

/* Wait until the file contains needle. */
static bool wait_for_text(const char *path, const char *needle)
{
	for (int64_t deadline = harness_now_ms() + WAIT_MS; harness_now_ms() < deadline;) {
		char *text = read_file(path);
		bool found = text && strstr(text, needle);
		free(text);
		if (found)
			return true;
		usleep(20000);
	}
	return false;
}

/* The exit status of pid within WAIT_MS, or -1 (then it is killed). */
static int wait_exit(pid_t pid)
{
	int status;

	for (int64_t deadline = harness_now_ms() + WAIT_MS; harness_now_ms() < deadline;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* op-9 hangs up on four callers between 08:10 and 08:13: the second alert. */
static void send_second_shift(int feed)
{
	char line[256];

	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_start\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:1%d:00Z\",\"operator\":\"op-9\"}\n"
			 "{\"type\":\"call_end\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:1%d:03Z\",\"released_by\":\"operator\"}\n",
			 i, i, i, i);
		assert_int_equal(harness_send(feed, line), 0);
	}
}

/* Remove the open-alert board's lines from text, in place. */
static void drop_board_lines(char *text)
{
	char *read = text, *write = text;

	while (*read) {
		char *end = strchr(read, '\n');
		size_t len = end ? (size_t)(end - read) + 1 : strlen(read);
		if (!is_board_line(read)) {
			memmove(write, read, len);
			write += len;
		}
		read += len;
	}
	*write = '\0';
}

static void test_reconnect_resumes_after_restart(void **state)
{
	struct harness h = { 0 };
	char out_path[PATH_MAX], err_path[PATH_MAX], address[64];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	snprintf(address, sizeof(address), "127.0.0.1:%u", h.alerts_port);
	const char *const args[] = { "--raw", "--reconnect", "--since", "0", "--count", "2",
				     "--timeout", "20", "--connect", address, NULL };
	pid_t watch = spawn_watch(args, out_path, err_path);
	assert_true(watch > 0);
	assert_true(wait_for_text(out_path, hello_line));

	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	assert_true(wait_for_text(out_path, shift_alert));
	close(feed);

	/* cadmond goes away and comes back on the same ports and state directory; the console
	 * reconnects and asks for what came after alert 1. */
	assert_int_equal(harness_stop(&h), 0);
	assert_true(wait_for_text(err_path, "cadmon-watch: stream ended; reconnecting to resume after alert 1\n"));
	assert_int_equal(harness_start(&h, &shift_options), 0);
	feed = harness_connect_feed(&h);
	send_second_shift(feed);
	assert_int_equal(wait_exit(watch), 0);
	close(feed);

	char *out = read_file(out_path);
	char expected_start[4096];
	drop_board_lines(out); /* protocol 2: each connection gets the board first */
	snprintf(expected_start, sizeof(expected_start), "%s\n%s\n%s\n{\"alert\":\"firing\",\"alert_id\":\"", hello_line,
		 shift_alert, hello_line);
	assert_memory_equal(out, expected_start, strlen(expected_start));
	const char *second = out + strlen(expected_start);
	assert_non_null(strstr(second, "\"seq\":2,\"ts\":\"2026-11-29T08:13:03.000Z\",\"type\":\"operator\",\"operator\":\"op-9\","));
	assert_int_equal(strchr(second, '\n') - out + 1, (ptrdiff_t)strlen(out)); /* nothing after it */
	free(out);
	assert_int_equal(harness_stop(&h), 0);
	unlink(out_path);
	unlink(err_path);
	harness_cleanup(&h);
}

static void test_since_must_be_a_seq(void **state)
{
	const char *const args[] = { "--since", "-1", NULL };
	char out_path[PATH_MAX], err_path[PATH_MAX];
	(void)state;

	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	assert_int_equal(wait_exit(spawn_watch(args, out_path, err_path)), 2);
	char *err = read_file(err_path);
	assert_string_equal(err, "cadmon-watch: --since needs an alert seq, 0 or more, not \"-1\"\n"
				 "Try 'cadmon-watch -h' for help.\n");
	free(err);
	unlink(out_path);
	unlink(err_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconnect_resumes_after_restart),
		cmocka_unit_test(test_since_must_be_a_seq),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
