/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TESTS_DAEMON_EXPECT_H
#define CADMON_TESTS_DAEMON_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon_harness.h"

/*
 * cmocka assertions the integration tests share: lines read from cadmond's sockets and
 * lines in its log. Each fails the running test with what it expected and what it saw.
 */

#define EXPECT_READ_TIMEOUT_MS 5000 /* how long an expected line or log line is waited for */
#define EXPECT_QUIET_MS 300         /* how long "no further line" is watched for */

/* The line every subscriber is greeted with. */
extern const char hello_line[];

/** A line of the open-alert board ({"board":...} or {"alert":"open",...}). */
bool is_board_line(const char *line);

/**
 * The next line on fd is exactly expected. Board lines before it are skipped unless expected
 * is one (a test about the stream need not spell out every board).
 */
void expect_line(int fd, const char *expected);

/**
 * Read a feed's acknowledgements until the one for seq, and check it is exactly {"ack":seq}
 * (duplicates 0) or {"ack":seq,"duplicates":D}. Acks are cumulative, one per commit: the ones
 * before it are skipped, however the daemon's reads split the lines.
 */
void expect_ack(int fd, uint64_t seq, uint64_t duplicates);

/** No line but board lines arrives on fd for EXPECT_QUIET_MS. */
void expect_quiet(int fd);

/** line starts with prefix and ends with suffix (all three shown when not). */
void expect_framed(const char *line, const char *prefix, const char *suffix);

#define LIMIT_ALERT_TIMEOUT_MS 15000 /* how long a limit alert is waited for */

/**
 * Read fd (a console) until the "limit" system alert of key, firing or resolved, skipping
 * other lines, and check it exactly: warning, its evicted count (>= 1: returned) and its
 * message, message_format with that count for its one PRIu64 conversion.
 */
uint64_t expect_limit_alert(int fd, const char *key, bool firing, const char *message_format);

/** line is that limit alert (expect_limit_alert without the reading): its evicted count. */
uint64_t expect_limit_alert_line(const char *line, const char *key, bool firing,
				 const char *message_format);

/* Sockets a test opened, for its teardown to close (or earlier, with tracked_close). */
#define TRACKED_FDS_MAX 64
struct tracked_fds {
	int fd[TRACKED_FDS_MAX];
	size_t count;
};

/** Keep fd (asserted >= 0, and room for it) for tracked_close_all; returns fd. */
int tracked_add(struct tracked_fds *tracked, int fd);

/** Close a tracked fd now (tracked_close_all will not close it again); fails if not tracked. */
void tracked_close(struct tracked_fds *tracked, int fd);

/** Close every tracked fd. */
void tracked_close_all(struct tracked_fds *tracked);

/* The state of a test that runs one cadmond and opens sockets to it (cmocka's *state). */
struct daemon_fixture {
	struct harness harness;
	struct tracked_fds fds;     /* closed at teardown */
	pid_t sender;               /* a child sending to cadmond, killed at teardown; 0: none */
	char state_dir[PATH_MAX];   /* a directory the test made, removed at teardown, or "" */
	char notify_path[PATH_MAX]; /* a stand-in for systemd's notification socket (unlinked at
				     * teardown), or "" */
};

/** cmocka setup: a zeroed daemon_fixture in *state. */
int daemon_fixture_setup(void **state);

/** cmocka teardown: kill the sender, close the tracked sockets, stop and clean up cadmond,
 * remove the state directory and the notification socket, free the fixture. */
int daemon_fixture_teardown(void **state);

/** The local port of a connected IPv4 or IPv6 socket: how cadmond's log names a client. */
uint16_t local_port(int fd);

/** cadmond's log contains needle (waiting for it), or shows the log and fails. */
void expect_log(const struct harness *h, const char *needle);

/** cadmond's log does not contain needle now. */
void expect_no_log(const struct harness *h, const char *needle);

/** A datagram socket bound at a new temporary path (written to path), standing in for
 * systemd's NOTIFY_SOCKET; fails the test if it cannot be made. */
int expect_notify_socket(char path[PATH_MAX]);

/** The answer to GET /metrics on h's HTTP port (a static buffer, overwritten by the next). */
const char *expect_get_metrics(const struct harness *h);

/** The value of a metric without labels in GET /metrics (fails the test when it is missing). */
uint64_t expect_metric_value(const struct harness *h, const char *name);

void expect_log_format(const struct harness *h, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
void expect_no_log_format(const struct harness *h, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
/** SIGHUP to h, then expect_log_format's lines (the reload's). */
void expect_reload_log_format(struct harness *h, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

#endif
