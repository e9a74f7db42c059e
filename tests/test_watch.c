/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch, the console, against the real cadmond: with --reconnect it survives a
 * restart of the daemon and resumes after the last alert it showed ({"since":N}), so an
 * alert raised while it was away is neither missed nor shown twice; in line mode it prints
 * the open-alert board and each notice; --ack acknowledges; it keeps trying while cadmond is
 * down, with one status line; given an active/active pair (here two scripted servers) it
 * shows each notice once; and in tmux (a terminal of fixed size) the board stays pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define WAIT_MS 15000

static const struct harness_options shift_options = { .extra_yaml = shift_detector_yaml };

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
			 "{\"type\":\"call_start\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:1%d:"
			 "00Z\",\"operator\":\"op-9\"}\n"
			 "{\"type\":\"call_end\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:1%d:"
			 "03Z\",\"released_by\":\"operator\"}\n",
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
	assert_true(wait_for_text(
		err_path, "cadmon-watch: stream ended; reconnecting to resume after alert 1\n"));
	assert_int_equal(harness_start(&h, &shift_options), 0);
	feed = harness_connect_feed(&h);
	send_second_shift(feed);
	assert_int_equal(wait_exit(watch), 0);
	close(feed);

	char *out = read_file(out_path);
	char expected_start[4096];
	drop_board_lines(out); /* protocol 2: each connection gets the board first */
	snprintf(expected_start, sizeof(expected_start),
		 "%s\n%s\n%s\n{\"alert\":\"firing\",\"alert_id\":\"", hello_line, shift_alert,
		 hello_line);
	assert_memory_equal(out, expected_start, strlen(expected_start));
	const char *second = out + strlen(expected_start);
	assert_non_null(strstr(second, "\"seq\":2,\"ts\":\"2026-11-29T08:13:03.000Z\",\"type\":"
				       "\"operator\",\"operator\":\"op-9\","));
	assert_int_equal(strchr(second, '\n') - out + 1,
			 (ptrdiff_t)strlen(out)); /* nothing after it */
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

/* ---- line mode, --ack ---------------------------------------------------------------------- */

/* Run cadmon-watch with args to its end; its exit status, stdout and stderr (malloc'd). */
static int run_watch(const char *const args[], char **out, char **err)
{
	char out_path[PATH_MAX], err_path[PATH_MAX];

	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	int status = wait_exit(spawn_watch(args, out_path, err_path));
	*out = read_file(out_path);
	*err = read_file(err_path);
	unlink(out_path);
	unlink(err_path);
	return status;
}

/* text with its first word (a time of day that depends on the wall clock) replaced by "T". */
static char *without_clock(const char *text)
{
	const char *space = strchr(text, ' ');
	char *result = malloc(strlen(text) + 2);

	assert_non_null(result);
	sprintf(result, "T%s", space ? space : "");
	return result;
}

static const char shift_board_rows[] =
	" 1 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off in 10 min "
	"(75%), "
	"rule burst, open since 08:04:30Z\n"
	"     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
	"     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
	"     call back 5045550101  call c1, answered 08:00:00Z, talk 5 s\n";

static void test_line_mode_board_and_ack(void **state)
{
	struct harness h = { 0 };
	char out_path[PATH_MAX], err_path[PATH_MAX], address[64], expected[4096];
	char *out, *err;
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	snprintf(address, sizeof(address), "127.0.0.1:%u", h.alerts_port);

	/* A console that connects after the alert fired gets it on the board: after, so wait for
	 * cadmond's log of it (under load the console could connect before the lines are read). */
	assert_true(harness_wait_for_log(&h, "alert 1: ", 10000));
	const char *const watch_args[] = { "--utc", "--count", "2", "--connect", address, NULL };
	pid_t watch = spawn_watch(watch_args, out_path, err_path);
	snprintf(expected, sizeof(expected), "open alerts from %s as of #1: 1\n%s", address,
		 shift_board_rows);
	assert_true(wait_for_text(out_path, expected));

	/* One-shot acks: the first, a repeat, and one of an alert that is not open. */
	const char *const ack_args[] = { "--utc", "--ack",  "6033274aee8baf5c", "--by",
					 "Lee",	  "--note", "calling them",	"--connect",
					 address, NULL };
	assert_int_equal(run_watch(ack_args, &out, &err), 0);
	char *ack_row = without_clock(out);
	assert_string_equal(ack_row, "T ACKED #2 NOPD/op-7 by Lee: calling them\n");
	assert_string_equal(err, "");
	free(ack_row);
	free(out);
	free(err);
	const char *const repeat_args[] = { "--utc", "--ack", "6033274aee8baf5c", "--by", "Kim",
					    "--connect", address, NULL };
	assert_int_equal(run_watch(repeat_args, &out, &err), 0);
	assert_non_null(strstr(out, " ACKED #3 NOPD/op-7 by Kim (again; first by Lee at "));
	free(out);
	free(err);
	const char *const unknown_args[] = { "--ack", "0123456789abcdef", "--by",
					     "Lee",   "--connect",	  address,
					     NULL };
	assert_int_equal(run_watch(unknown_args, &out, &err), 1);
	assert_string_equal(out, "");
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: %s: cadmond: ack: no open alert 0123456789abcdef\n", address);
	assert_string_equal(err, expected);
	free(out);
	free(err);

	/* The console saw the board, then both acks (--count 2), and nothing else. */
	assert_int_equal(wait_exit(watch), 0);
	out = read_file(out_path);
	char *rest = out + strlen("open alerts from ") + strlen(address) +
		     strlen(" as of #1: 1\n") + strlen(shift_board_rows);
	snprintf(expected, sizeof(expected), "open alerts from %s as of #1: 1\n%s", address,
		 shift_board_rows);
	assert_memory_equal(out, expected, strlen(expected));
	char *acks = without_clock(rest);
	assert_memory_equal(acks, "T ACKED #2 NOPD/op-7 by Lee: calling them\n", 42);
	assert_non_null(strstr(acks + 42, " ACKED #3 NOPD/op-7 by Kim (again; first by Lee at "));
	assert_int_equal(strchr(strchr(rest, '\n') + 1, '\n')[1], '\0');
	free(acks);
	free(out);
	err = read_file(err_path);
	snprintf(expected, sizeof(expected), "cadmon-watch: connected to cadmond 0.2.0 at %s\n",
		 address);
	assert_string_equal(err, expected);
	free(err);
	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	unlink(out_path);
	unlink(err_path);
	harness_cleanup(&h);
}

/* With tokens: --token-file sends the token line first; a viewer's board shows callers'
 * numbers as last4 and its --ack is refused with cadmond's notice; a supervisor's goes
 * through; a wrong token is told. A token file others can read is warned about. */
static void test_token_file(void **state)
{
	struct harness h = { 0 };
	char viewer_path[PATH_MAX], supervisor_path[PATH_MAX], wrong_path[PATH_MAX], address[64],
		expected[PATH_MAX + 4096];
	char yaml[2048];
	char *out, *err;
	(void)state;

	snprintf(yaml, sizeof yaml,
		 "%sauth:\n  tokens:\n    - {name: wall, role: viewer, token: "
		 "\"viewer-token-0001\"}\n"
		 "    - {name: floor, role: supervisor, token: \"supervisor-token-1\"}\n",
		 shift_detector_yaml);
	const struct harness_options options = { .extra_yaml = yaml };
	assert_int_equal(harness_start(&h, &options), 0);
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	assert_int_equal(harness_temp_file("viewer", viewer_path), 0);
	assert_int_equal(harness_write_file(viewer_path, "  viewer-token-0001  \nignored\n"), 0);
	assert_int_equal(chmod(viewer_path, 0600), 0);
	assert_int_equal(harness_temp_file("supervisor", supervisor_path), 0);
	assert_int_equal(harness_write_file(supervisor_path, "supervisor-token-1\n"), 0);
	assert_int_equal(chmod(supervisor_path, 0644), 0);
	assert_int_equal(harness_temp_file("wrong", wrong_path), 0);
	assert_int_equal(harness_write_file(wrong_path, "not-the-token-0001\n"), 0);
	assert_int_equal(chmod(wrong_path, 0600), 0);
	snprintf(address, sizeof(address), "127.0.0.1:%u", h.alerts_port);

	/* The board is read after the alert fired: wait for cadmond's log of it (under load the
	 * console could connect before the lines are read). */
	assert_true(harness_wait_for_log(&h, "alert 1: ", 10000));
	const char *const board_args[] = { "--utc",	"--idle-exit", "1.5",	"--token-file",
					   viewer_path, "--connect",   address, NULL };
	assert_int_equal(run_watch(board_args, &out, &err), 0);
	snprintf(expected, sizeof(expected), "open alerts from %s as of #1: 1\n", address);
	assert_memory_equal(out, expected, strlen(expected));
	assert_non_null(
		strstr(out, "     call back ******0104  call c4, answered 08:04:20Z, talk 10 s\n"));
	assert_non_null(
		strstr(out, "     call back ******0101  call c1, answered 08:00:00Z, talk 5 s\n"));
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: connected to cadmond 0.2.0 at %s\n"
		 "cadmon-watch: authenticated at %s as wall (viewer)\n",
		 address, address);
	assert_string_equal(err, expected);
	free(out);
	free(err);

	const char *const viewer_ack[] = {
		"--ack",     "6033274aee8baf5c", "--by",  "Lee", "--token-file",
		viewer_path, "--connect",	 address, NULL
	};
	assert_int_equal(run_watch(viewer_ack, &out, &err), 1);
	assert_string_equal(out, "");
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: %s: cadmond: ack: acknowledging needs the supervisor role\n",
		 address);
	assert_string_equal(err, expected);
	free(out);
	free(err);

	const char *const supervisor_ack[] = {
		"--utc",	"--ack",	 "6033274aee8baf5c", "--by",  "Lee",
		"--token-file", supervisor_path, "--connect",	     address, NULL
	};
	assert_int_equal(run_watch(supervisor_ack, &out, &err), 0);
	char *ack_row = without_clock(out);
	assert_string_equal(ack_row, "T ACKED #2 NOPD/op-7 by Lee\n");
	free(ack_row);
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: warning: %s can be read by other users (mode 644): chmod 600 it\n",
		 supervisor_path);
	assert_string_equal(err, expected);
	free(out);
	free(err);

	const char *const wrong_ack[] = {
		"--ack",    "6033274aee8baf5c", "--by",	 "Lee", "--token-file",
		wrong_path, "--connect",	address, NULL
	};
	assert_int_equal(run_watch(wrong_ack, &out, &err), 1);
	snprintf(expected, sizeof(expected), "cadmon-watch: %s: cadmond: unauthorized\n", address);
	assert_string_equal(err, expected);
	free(out);
	free(err);

	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	unlink(viewer_path);
	unlink(supervisor_path);
	unlink(wrong_path);
	harness_cleanup(&h);
}

static void test_keeps_trying_until_cadmond_starts(void **state)
{
	struct harness h = { 0 };
	char out_path[PATH_MAX], err_path[PATH_MAX], address[64], expected[1024];
	(void)state;

	assert_int_equal(harness_write_config(&h, &shift_options), 0);
	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	snprintf(address, sizeof(address), "127.0.0.1:%u", h.alerts_port);
	const char *const args[] = { "--utc", "--reconnect", "--since", "0", "--count",
				     "1",     "--connect",   address,	NULL };
	pid_t watch = spawn_watch(args, out_path, err_path);
	usleep(600 * 1000); /* about 6 attempts */
	assert_int_equal(harness_start(&h, &shift_options), 0);
	assert_true(wait_for_text(out_path, " as of #0: 0\n")); /* the board: nothing open yet */
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);
	int status = wait_exit(watch);
	char *out = read_file(out_path);
	char *err = read_file(err_path);
	assert_int_equal(status, 0);
	snprintf(expected, sizeof(expected),
		 "open alerts from %s as of #0: 0\n"
		 "08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min "
		 "(75%%), rule "
		 "burst, 3 to call back\n"
		 "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		 "     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
		 "     call back 5045550101  call c1, answered 08:00:00Z, talk 5 s\n",
		 address);
	assert_string_equal(out, expected);
	free(out);
	snprintf(
		expected, sizeof(expected),
		"cadmon-watch: cannot connect to %s: Connection refused; trying again every 0.1 s\n"
		"cadmon-watch: connected to cadmond 0.2.0 at %s\n",
		address, address);
	assert_string_equal(err, expected);
	free(err);
	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	unlink(out_path);
	unlink(err_path);
	harness_cleanup(&h);
}

/* Without --reconnect, line mode gives up after --timeout, saying why once. */
static void test_gives_up_after_timeout(void **state)
{
	uint16_t port;
	char address[64], expected[256], *out, *err;
	(void)state;

	assert_int_equal(harness_pick_ports(&port, 1), 0);
	snprintf(address, sizeof(address), "127.0.0.1:%u", port);
	const char *const args[] = { "--timeout", "0.3", "--connect", address, NULL };
	assert_int_equal(run_watch(args, &out, &err), 1);
	assert_string_equal(out, "");
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: cannot connect to %s for 0.3 s: Connection refused\n", address);
	assert_string_equal(err, expected);
	free(out);
	free(err);
}

/* ---- an active/active pair, scripted ------------------------------------------------------ */

/* A listening socket on a free loopback port. */
static int listen_loopback(uint16_t *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
	*port = ntohs(address.sin_port);
	return fd;
}

/* Send text to a console, end the stream, and read until it closes (at most WAIT_MS). */
static void serve_connection(int fd, const char *text)
{
	char sink[4096];

	if (fd < 0 || harness_send(fd, text) != 0)
		_exit(1);
	shutdown(fd, SHUT_WR);
	for (int64_t deadline = harness_now_ms() + WAIT_MS; harness_now_ms() < deadline;)
		if (read(fd, sink, sizeof(sink)) <= 0)
			break;
	close(fd);
}

/* A child that plays cadmond: serves one console connection with text; with again, a second
 * one, writing the first line that console sends (its since) to since_path first. */
static pid_t serve_script(int listener, const char *text, const char *again, const char *since_path)
{
	pid_t pid = fork();
	char line[256];

	if (pid != 0)
		return pid;
	serve_connection(accept(listener, NULL, NULL), text);
	if (!again)
		_exit(0);
	int fd = accept(listener, NULL, NULL);
	ssize_t len = harness_read_line(fd, line, sizeof(line), WAIT_MS);
	if (len < 0 || harness_write_file(since_path, line) != 0)
		_exit(1);
	serve_connection(fd, again);
	_exit(0);
}

/* ---- a refused console ---------------------------------------------------------------------- */

/* A child that plays a cadmond at its alerts.max_subscribers: accepts each connection, writes
 * said to it (NULL: nothing, a refusal at accept) and closes it, for ms; exits with the number
 * of connections it took (at most 255). */
static pid_t serve_refusals(int listener, int ms, const char *said)
{
	pid_t pid = fork();
	unsigned taken = 0;

	if (pid != 0)
		return pid;
	fcntl(listener, F_SETFL, O_NONBLOCK);
	for (int64_t end = harness_now_ms() + ms; harness_now_ms() < end;) {
		int fd = accept(listener, NULL, NULL);

		if (fd < 0) {
			usleep(1000);
			continue;
		}
		if (said && write(fd, said, strlen(said)) < 0)
			_exit(255);
		close(fd);
		taken++;
	}
	_exit(taken > 255 ? 255 : (int)taken);
}

/* cadmon-watch against serve_refusals(said): without --reconnect an error (exit 1, why on
 * stderr, not a quiet end of the stream); with it, said once and tried again once a second, not
 * at once (which made thousands of connections a second). why_format has the address's %s;
 * greeted: said has the hello ("connected to ..." once, before it). */
static void expect_refusals(const char *said, const char *why_format, bool greeted)
{
	uint16_t port;
	int listener = listen_loopback(&port);
	char address[64], why[256], expected[512], out_path[PATH_MAX], err_path[PATH_MAX], *out,
		*err;

	snprintf(address, sizeof(address), "127.0.0.1:%u", port);
	char connected[128] = "";

	if (greeted)
		snprintf(connected, sizeof(connected),
			 "cadmon-watch: connected to cadmond 0.2.0 at %s\n", address);
	snprintf(why, sizeof(why), why_format, address);
	pid_t server = serve_refusals(listener, 1000, said);
	const char *const args[] = { "--lines", "--connect", address, NULL };
	assert_int_equal(run_watch(args, &out, &err), 1);
	assert_string_equal(out, "");
	snprintf(expected, sizeof(expected), "%scadmon-watch: %s\n", connected, why);
	assert_string_equal(err, expected);
	free(out);
	free(err);
	assert_int_equal(wait_exit(server), 1);

	server = serve_refusals(listener, 1500, said);
	assert_int_equal(harness_temp_file("watch-out", out_path), 0);
	assert_int_equal(harness_temp_file("watch-err", err_path), 0);
	const char *const again[] = { "--lines", "--reconnect", "--connect", address, NULL };
	pid_t watch = spawn_watch(again, out_path, err_path);
	int taken = wait_exit(server);
	kill(watch, SIGTERM);
	wait_exit(watch);
	assert_in_range(taken, 1, 3); /* at 0, 1 and perhaps 2 s of 1.5 */
	err = read_file(err_path);
	snprintf(expected, sizeof(expected), "%scadmon-watch: %s; trying again every 1 s\n",
		 connected, why);
	assert_string_equal(err, expected); /* once */
	free(err);
	unlink(out_path);
	unlink(err_path);
	close(listener);
}

/* A connection closed before cadmond's hello is a refusal. */
static void test_refused_connection(void **state)
{
	(void)state;
	expect_refusals(NULL, "%s closed the connection before its hello: refused (a connection "
			      "limit, e.g. alerts.max_subscribers)",
			false);
}

/* So is one closed after an {"error":...} line (a console refused after its hello: the slots
 * full when it would be taken, its token, a deadline): said in cadmond's words. */
static void test_refused_after_the_hello(void **state)
{
	(void)state;
	expect_refusals("{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}\n"
			"{\"error\":\"refused: 1 subscribers connected "
			"(alerts.max_subscribers)\"}\n",
			"%s: cadmond: refused: 1 subscribers connected (alerts.max_subscribers)",
			true);
}

#define PAIR_FIRING(seq)                                                                           \
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":" seq ","                 \
	"\"ts\":\"2026-11-29T08:04:30.000Z\",\"type\":\"operator\",\"agency\":\"NOPD\","           \
	"\"operator\":\"op-7\","                                                                   \
	"\"position\":\"P3\",\"rule\":\"burst\",\"severity\":\"critical\",\"window_seconds\":600," \
	"\"calls\":4,"                                                                             \
	"\"premature\":3,\"called_back\":0,\"ratio\":0.75,\"callbacks\":[{\"call_id\":\"c4\","     \
	"\"ani\":\"5045550104\","                                                                  \
	"\"ts\":\"2026-11-29T08:04:20.000Z\",\"talk_seconds\":10,\"called_back\":false}]}\n"

static void test_pair_shows_each_notice_once(void **state)
{
	uint16_t ports[2];
	int listeners[2];
	char a[64], b[64], *out, *err;
	const char *scripts[2] = {
		"{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}\n" PAIR_FIRING("1"),
		"{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}\n" PAIR_FIRING("7"),
	};
	pid_t servers[2];
	(void)state;

	for (int i = 0; i < 2; i++) {
		listeners[i] = listen_loopback(&ports[i]);
		servers[i] = serve_script(listeners[i], scripts[i], NULL, NULL);
		close(listeners[i]);
	}
	snprintf(a, sizeof(a), "127.0.0.1:%u", ports[0]);
	snprintf(b, sizeof(b), "127.0.0.1:%u", ports[1]);
	const char *const args[] = { "--utc", "--connect", a, "--connect", b, NULL };
	assert_int_equal(run_watch(args, &out, &err), 0);
	char *row = without_clock(out);
	/* from whichever instance came first: #1 or #7 */
	assert_true(strncmp(row, "T ALERT #1 ", 11) == 0 || strncmp(row, "T ALERT #7 ", 11) == 0);
	assert_string_equal(row + 11,
			    "CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min (75%), rule "
			    "burst, 1 to call back\n"
			    "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n");
	free(row);
	free(out);
	free(err);
	for (int i = 0; i < 2; i++)
		assert_int_equal(wait_exit(servers[i]), 0);
}

#define PAIR_HELLO "{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}\n"
#define PAIR_RESOLVED(seq)                                                                         \
	"{\"alert\":\"resolved\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":" seq ","               \
	"\"ts\":\"2026-11-29T08:15:00.000Z\",\"type\":\"operator\",\"agency\":\"NOPD\","           \
	"\"operator\":\"op-7\","                                                                   \
	"\"position\":\"P3\",\"rule\":\"burst\",\"severity\":\"critical\",\"window_seconds\":600," \
	"\"calls\":2,"                                                                             \
	"\"premature\":1,\"called_back\":0,\"ratio\":0.5}\n"

/* After a drop, each instance of the pair is asked for what follows its own last seq. */
static void test_pair_resumes_each_instance_after_its_own_seq(void **state)
{
	uint16_t ports[2];
	char addresses[2][64], since_paths[2][PATH_MAX], *out, *err;
	const char *first[2] = { PAIR_HELLO PAIR_FIRING("1"), PAIR_HELLO PAIR_FIRING("7") };
	const char *again[2] = { PAIR_HELLO PAIR_RESOLVED("2"), PAIR_HELLO PAIR_RESOLVED("8") };
	pid_t servers[2];
	(void)state;

	for (int i = 0; i < 2; i++) {
		int listener = listen_loopback(&ports[i]);
		assert_int_equal(harness_temp_file("watch-since", since_paths[i]), 0);
		servers[i] = serve_script(listener, first[i], again[i], since_paths[i]);
		close(listener);
		snprintf(addresses[i], sizeof(addresses[i]), "127.0.0.1:%u", ports[i]);
	}
	/* both instances served twice, then nothing more: idle */
	const char *const args[] = { "--utc",	   "--reconnect", "--idle-exit", "1.5", "--connect",
				     addresses[0], "--connect",	  addresses[1],	 NULL };
	assert_int_equal(run_watch(args, &out, &err), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(wait_exit(servers[i]), 0);
	char *since_a = read_file(since_paths[0]), *since_b = read_file(since_paths[1]);
	assert_string_equal(since_a, "{\"since\":1}");
	assert_string_equal(since_b, "{\"since\":7}");
	/* the firing and the resolution, each once */
	char *rows = without_clock(out);
	assert_non_null(strstr(
		rows, "CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min (75%), rule burst, "
		      "1 to call back\n"
		      "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		      "08:15:00Z RESOLVED #"));
	assert_non_null(strstr(
		rows, " CRITICAL NOPD/op-7 (P3): now 1 of 2 calls cut off in 10 min (50%), rule "
		      "burst\n"));
	assert_null(strstr(strstr(rows, "RESOLVED") + 1, "RESOLVED"));
	assert_null(strstr(strstr(rows, "ALERT") + 1, "ALERT"));
	free(rows);
	free(since_a);
	free(since_b);
	free(out);
	free(err);
	for (int i = 0; i < 2; i++)
		unlink(since_paths[i]);
}

/* A line longer than the console's limit is skipped with a warning; the next one is shown. */
static void test_long_line_skipped(void **state)
{
	uint16_t port;
	char address[64], expected[256], *out, *err;
	size_t long_len = 1100 * 1000;
	char *script = malloc(long_len + 4096);
	(void)state;

	assert_non_null(script);
	strcpy(script, PAIR_HELLO "{\"notice\":\"");
	size_t used = strlen(script);
	memset(script + used, 'x', long_len);
	strcpy(script + used + long_len, "\"}\n" PAIR_FIRING("1"));
	int listener = listen_loopback(&port);
	pid_t server = serve_script(listener, script, NULL, NULL);
	close(listener);
	free(script);
	snprintf(address, sizeof(address), "127.0.0.1:%u", port);
	const char *const args[] = { "--utc", "--connect", address, NULL };
	assert_int_equal(run_watch(args, &out, &err), 0);
	assert_int_equal(wait_exit(server), 0);
	assert_string_equal(
		out, "08:04:30Z ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min "
		     "(75%), rule burst, 1 to call back\n"
		     "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n");
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: connected to cadmond 0.2.0 at %s\n"
		 "cadmon-watch: warning: a line from %s longer than 1048576 bytes skipped\n",
		 address, address);
	assert_string_equal(err, expected);
	free(out);
	free(err);
}

/* Times of day are local unless --utc. */
static void test_local_time_by_default(void **state)
{
	uint16_t port;
	char address[64], *out, *err;
	(void)state;

	int listener = listen_loopback(&port);
	pid_t server = serve_script(listener, PAIR_HELLO PAIR_FIRING("1"), NULL, NULL);
	close(listener);
	snprintf(address, sizeof(address), "127.0.0.1:%u", port);
	const char *const args[] = { "--connect", address, NULL };
	setenv("TZ", "EST5", 1); /* UTC-5, no daylight saving time */
	int status = run_watch(args, &out, &err);
	unsetenv("TZ");
	assert_int_equal(status, 0);
	assert_int_equal(wait_exit(server), 0);
	assert_string_equal(
		out, "03:04:30 ALERT #1 CRITICAL NOPD/op-7 (P3): 3 of 4 calls cut off in 10 min "
		     "(75%), rule burst, 1 to call back\n"
		     "     call back 5045550104  call c4, answered 03:04:20, talk 10 s\n");
	free(out);
	free(err);
}

/* Bad usage: exit status 2 and exactly this on stderr. */
static void test_ack_usage(void **state)
{
	static const struct {
		const char *args[6];
		const char *error;
	} cases[] = {
		{ { "--ack", "6033274AEE8BAF5C", "--by", "Lee", NULL },
		  "--ack needs an alert_id of 16 hex digits, not \"6033274AEE8BAF5C\"" },
		{ { "--ack", "6033274aee8baf5c", NULL }, "--ack needs --by NAME of 1 to 64 bytes" },
		{ { "--by", "Lee", NULL }, "--by and --note go with --ack" },
	};
	char *out, *err, expected[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_watch(cases[i].args, &out, &err), 2);
		snprintf(expected, sizeof(expected),
			 "cadmon-watch: %s\nTry 'cadmon-watch -h' for help.\n", cases[i].error);
		assert_string_equal(err, expected);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconnect_resumes_after_restart),
		cmocka_unit_test(test_since_must_be_a_seq),
		cmocka_unit_test(test_line_mode_board_and_ack),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_keeps_trying_until_cadmond_starts),
		cmocka_unit_test(test_gives_up_after_timeout),
		cmocka_unit_test(test_refused_connection),
		cmocka_unit_test(test_refused_after_the_hello),
		cmocka_unit_test(test_pair_shows_each_notice_once),
		cmocka_unit_test(test_pair_resumes_each_instance_after_its_own_seq),
		cmocka_unit_test(test_long_line_skipped),
		cmocka_unit_test(test_local_time_by_default),
		cmocka_unit_test(test_ack_usage),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
