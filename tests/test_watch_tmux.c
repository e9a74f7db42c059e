/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch on a terminal: the real cadmond on loopback gets the scripted shift, and
 * cadmon-watch runs in a detached tmux session of a fixed size (its own tmux server, -L).
 * `tmux capture-pane -p` shows the pinned board: the open alert with its callbacks; keys
 * acknowledge it (a, 1, Enter, name, Enter, note, Enter) and the board then says who did;
 * while cadmond is down the header says so (one status line, updated) and the board stays;
 * a new alert rings the bell (tmux's window_bell_flag), not with --no-bell; a smaller window
 * (SIGWINCH) cuts the rows to its width; q quits.
 */
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

#include "daemon_harness.h"
#include "shift_fixture.h"

#define WAIT_MS 15000
#define PANE_BYTES 65536

static const struct harness_options shift_options = { .extra_yaml = shift_detector_yaml };

static char tmux_socket[64]; /* tmux -L NAME: a server of this test's own */

/* A server name no earlier test of this process used: a server still shutting down from the
 * test before must not be reached ("server exited unexpectedly"). */
static void name_tmux_server(void)
{
	static unsigned tests;

	snprintf(tmux_socket, sizeof(tmux_socket), "cadmon-test-%d-%u", (int)getpid(), ++tests);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value ? value : fallback;
}

/* Run tmux with args (NULL-terminated) on this test's server; its exit status. */
static int tmux(const char *const args[])
{
	const char *argv[32] = { env_or("TMUX_PROGRAM", "tmux"), "-L", tmux_socket };
	size_t n = 3;
	int status;
	pid_t pid;

	for (; args[n - 3] && n < 31; n++)
		argv[n] = args[n - 3];
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: tmux is needed (scripts/setup installs it)\n",
			argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* What tmux prints for args on the session (capture-pane -p: the pane, one line per row,
 * trailing blanks removed). */
static void tmux_output(const char *args, char out[PANE_BYTES])
{
	char command[256];
	size_t len = 0;

	snprintf(command, sizeof(command), "%s -L %s %s", env_or("TMUX_PROGRAM", "tmux"),
		 tmux_socket, args);
	FILE *pipe = popen(command, "r");
	if (pipe) {
		len = fread(out, 1, PANE_BYTES - 1, pipe);
		pclose(pipe);
	}
	out[len] = '\0';
}

static void capture(const char *session, char pane[PANE_BYTES])
{
	char args[128];

	snprintf(args, sizeof(args), "capture-pane -p -t %s", session);
	tmux_output(args, pane);
}

/* Whether the session's window rang its bell ("1") or not ("0"). */
static void expect_bell_flag(const char *session, const char *expected)
{
	char args[128], flag[PANE_BYTES];

	snprintf(args, sizeof(args), "display-message -p -t %s '#{window_bell_flag}'", session);
	tmux_output(args, flag);
	assert_string_equal(flag, expected);
}

/* Wait until the session's pane shows needle; the pane as last captured in pane. */
static bool wait_for_pane_of(const char *session, const char *needle, char pane[PANE_BYTES])
{
	for (int64_t deadline = harness_now_ms() + WAIT_MS; harness_now_ms() < deadline;) {
		capture(session, pane);
		if (strstr(pane, needle))
			return true;
		usleep(50000);
	}
	fprintf(stderr, "the pane never showed \"%s\"; it shows:\n%s\n", needle, pane);
	return false;
}

/* wait_for_pane_of the session "watch", where the keys go. */
static bool wait_for_pane(const char *needle, char pane[PANE_BYTES])
{
	return wait_for_pane_of("watch", needle, pane);
}

/* The pane with the time of day after "ACKED by Lee " (the wall clock) replaced by "T". */
static void without_ack_clock(char *pane)
{
	static const char marker[] = "ACKED by Lee ";
	char *at = pane;

	while ((at = strstr(at, marker))) {
		at += strlen(marker);
		size_t clock_len = strspn(at, "0123456789:Z");
		if (clock_len > 0) {
			*at = 'T';
			memmove(at + 1, at + clock_len, strlen(at + clock_len) + 1);
		}
	}
}

static void send_keys(const char *literal)
{
	const char *const args[] = { "send-keys", "-t", "watch", "-l", literal, NULL };

	assert_int_equal(tmux(args), 0);
}

static void press_enter(void)
{
	const char *const args[] = { "send-keys", "-t", "watch", "Enter", NULL };

	assert_int_equal(tmux(args), 0);
}

/* op-9 hangs up on four callers between 08:10 and 08:13: a second alert. */
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

/* A detached session NAME of 100 x 16 running cadmon-watch with options on the alert port. */
static void start_session(const char *name, const char *options, uint16_t port)
{
	char command[PATH_MAX + 128];

	snprintf(command, sizeof(command), "exec %s --utc %s --connect 127.0.0.1:%u",
		 env_or("CADMON_WATCH", "cadmon-watch"), options, port);
	const char *const start[] = { "-f", "/dev/null", "new-session", "-d", "-s",    name,
				      "-x", "100",	 "-y",		"16", command, NULL };
	assert_int_equal(tmux(start), 0);
}

/* cadmond stops: the header says so, the board stays; it comes back: live again. */
static void check_drop_and_return(struct harness *h, char pane[PANE_BYTES])
{
	char expected[256];

	assert_int_equal(harness_stop(h), 0);
	snprintf(expected, sizeof(expected),
		 "cadmon-watch  1 open  127.0.0.1:%u DOWN (Connection refused), attempt ",
		 h->alerts_port);
	assert_true(wait_for_pane(expected, pane));
	assert_non_null(strstr(pane, "\n 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee "));
	/* one notice for the outage; the header counts the attempts */
	assert_non_null(strstr(pane,
			       "-- newest notices ----------------------------------------------"
			       "------------------------------------\n"
			       "stream ended; reconnecting to resume after alert 2\n"));
	assert_int_equal(harness_start(h, &shift_options), 0);
	snprintf(expected, sizeof(expected), "cadmon-watch  1 open  127.0.0.1:%u live  times UTC\n",
		 h->alerts_port);
	assert_true(wait_for_pane(expected, pane));
}

static void test_board_pinned_in_tmux(void **state)
{
	struct harness h = { 0 };
	char expected[PANE_BYTES], pane[PANE_BYTES];
	(void)state;

	assert_int_equal(harness_start(&h, &shift_options), 0);
	int feed = harness_connect_feed(&h);
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(harness_send(feed, shift_lines[i]), 0);

	name_tmux_server();
	start_session("watch", "", h.alerts_port);
	start_session("quiet", "--no-bell", h.alerts_port);

	/* The alert fired before the console connected: it comes with the board. */
	assert_true(wait_for_pane("call back 5045550101", pane));
	snprintf(expected, sizeof(expected),
		 "cadmon-watch  1 open  127.0.0.1:%u live  times UTC\n"
		 " 1 CRITICAL NOPD/op-7 (P3)  NOT ACKED  3 to call back  3 of 4 calls cut off in "
		 "10 min (75%%), rule bu\n"
		 "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		 "     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
		 "     call back 5045550101  call c1, answered 08:00:00Z, talk 5 s\n"
		 "-- newest notices "
		 "------------------------------------------------------------------"
		 "----------------\n"
		 "connected to cadmond 0.2.0 at 127.0.0.1:%u\n"
		 "\n\n\n\n\n\n\n\n"
		 "[a] acknowledge an alert  [q] quit\n",
		 h.alerts_port, h.alerts_port);
	assert_string_equal(pane, expected);

	/* Acknowledge alert 1 from the keyboard. */
	send_keys("a1");
	press_enter();
	assert_true(
		wait_for_pane("alert 1 (6033274aee8baf5c), acknowledged by (your name): _", pane));
	send_keys("Lee");
	press_enter();
	send_keys("calling them");
	assert_true(wait_for_pane("alert 1 by Lee, note (Enter to send): calling them_", pane));
	press_enter();
	assert_true(wait_for_pane("ACKED #2 NOPD/op-7 by Lee: calling them", pane));
	without_ack_clock(pane);
	snprintf(expected, sizeof(expected),
		 "cadmon-watch  1 open  127.0.0.1:%u live  times UTC\n"
		 " 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee T  3 to call back  3 of 4 calls cut off "
		 "in 10 min (\n"
		 "     call back 5045550104  call c4, answered 08:04:20Z, talk 10 s\n"
		 "     call back (no number)  call c2, answered 08:01:00Z, talk 12.5 s\n"
		 "     call back 5045550101  call c1, answered 08:00:00Z, talk 5 s\n"
		 "-- newest notices "
		 "------------------------------------------------------------------"
		 "----------------\n",
		 h.alerts_port);
	assert_memory_equal(pane, expected, strlen(expected));
	const char *notices = pane + strlen(expected);
	const char *ack_notice = strchr(notices, ' ');
	assert_non_null(ack_notice);
	snprintf(expected, sizeof(expected),
		 " ACKED #2 NOPD/op-7 by Lee: calling them\n"
		 "ack of alert 1 (6033274aee8baf5c) by Lee sent to 1 of 1 cadmond\n"
		 "connected to cadmond 0.2.0 at 127.0.0.1:%u\n"
		 "\n\n\n\n\n\n"
		 "[a] acknowledge an alert  [q] quit\n",
		 h.alerts_port);
	assert_string_equal(ack_notice, expected);

	expect_bell_flag("watch", "0\n"); /* neither the board nor an ack rings */

	check_drop_and_return(&h, pane);
	close(feed);
	feed = harness_connect_feed(&h);
	send_second_shift(feed);
	assert_true(wait_for_pane(" 2 CRITICAL op-9  NOT ACKED  4 to call back", pane));
	expect_bell_flag("watch", "1\n");
	assert_true(wait_for_pane_of("quiet", " 2 CRITICAL op-9  NOT ACKED  4 to call back", pane));
	expect_bell_flag("quiet", "0\n");

	/* A smaller window: the rows are cut to its width, callbacks give way to notices. */
	const char *const resize[] = {
		"resize-window", "-t", "watch", "-x", "40", "-y", "12", NULL
	};
	assert_int_equal(tmux(resize), 0);
	assert_true(wait_for_pane("     + 4 more\n", pane));
	assert_memory_equal(pane, "cadmon-watch  2 open  127.0.0.1:",
			    strlen("cadmon-watch  2 open  127.0.0.1:"));
	const char *rows = strchr(pane, '\n') + 1;
	static const char board_rows[] = " 1 CRITICAL NOPD/op-7 (P3)  ACKED by Lee\n"
					 "     + 3 more\n"
					 " 2 CRITICAL op-9  NOT ACKED  4 to call b\n"
					 "     + 4 more\n"
					 "-- newest notices ----------------------\n"
					 "08:13:03Z ALERT #3 CRITICAL op-9: 4 of 4\n"
					 "connected to cadmond 0.2.0 at 127.0.0.1:\n"
					 "stream ended; reconnecting to resume aft\n";
	assert_memory_equal(rows, board_rows, strlen(board_rows));
	assert_string_equal(strchr(rows + strlen(board_rows), ' '), /* after the ack's time */
			    " ACKED #2 NOPD/op-7 by Lee: cal\n"
			    "ack of alert 1 (6033274aee8baf5c) by Lee\n"
			    "[a] acknowledge an alert  [q] quit\n");

	/* q quits, and the terminal is given back. */
	send_keys("q");
	const char *const has[] = { "has-session", "-t", "watch", NULL };
	int64_t deadline = harness_now_ms() + WAIT_MS;
	while (tmux(has) == 0 && harness_now_ms() < deadline)
		usleep(50000);
	assert_int_not_equal(tmux(has), 0);

	close(feed);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* Line mode on a terminal (--lines): while cadmond is down, one status line rewritten at each
 * attempt; when it is up, connected and the board. */
static void test_line_mode_status_line_in_tmux(void **state)
{
	struct harness h = { 0 };
	char command[PATH_MAX + 128], expected[1024], pane[PANE_BYTES];
	(void)state;

	assert_int_equal(harness_write_config(&h, &shift_options), 0);
	name_tmux_server();
	snprintf(command, sizeof(command),
		 "exec %s --lines --utc --reconnect --since 0 --connect 127.0.0.1:%u",
		 env_or("CADMON_WATCH", "cadmon-watch"), h.alerts_port);
	const char *const start[] = { "-f", "/dev/null", "new-session", "-d", "-s",    "watch",
				      "-x", "120",	 "-y",		"8",  command, NULL };
	assert_int_equal(tmux(start), 0);
	assert_true(wait_for_pane("(attempt 5)", pane));
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: cannot connect to 127.0.0.1:%u: Connection refused; trying again "
		 "every 0.1 s "
		 "(attempt ",
		 h.alerts_port);
	assert_memory_equal(pane, expected, strlen(expected));
	assert_string_equal(strchr(pane, '\n'),
			    "\n\n\n\n\n\n\n\n"); /* one line: the rest are empty */

	assert_int_equal(harness_start(&h, &shift_options), 0);
	snprintf(expected, sizeof(expected), "open alerts from 127.0.0.1:%u as of #0: 0\n",
		 h.alerts_port);
	assert_true(wait_for_pane(expected, pane));
	const char *second = strchr(pane, '\n') + 1;
	snprintf(expected, sizeof(expected),
		 "cadmon-watch: connected to cadmond 0.2.0 at 127.0.0.1:%u\n"
		 "open alerts from 127.0.0.1:%u as of #0: 0\n"
		 "\n\n\n\n\n",
		 h.alerts_port, h.alerts_port);
	assert_string_equal(second, expected);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
}

/* The test's tmux server goes, with cadmon-watch in it, whether the test passed or not. */
static int kill_tmux_server(void **state)
{
	const char *const kill_server[] = { "kill-server", NULL };
	(void)state;

	if (tmux_socket[0])
		tmux(kill_server);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_board_pinned_in_tmux, kill_tmux_server),
		cmocka_unit_test_teardown(test_line_mode_status_line_in_tmux, kill_tmux_server),
	};
	signal(SIGPIPE, SIG_IGN);
	unsetenv("TMUX"); /* a server of its own even when the tests run inside tmux */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
