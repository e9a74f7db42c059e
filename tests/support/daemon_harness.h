/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_DAEMON_HARNESS_H
#define CADMON_DAEMON_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Integration test harness: runs the real cadmond (path in $CADMOND) on free loopback ports
 * with a temporary configuration, its stderr captured to a temporary file, and talks to it
 * over real sockets. Everything is bounded in time; harness_cleanup() kills a daemon still
 * running (and the daemon dies with the test process: PR_SET_PDEATHSIG) and removes the
 * temporary files. Nothing here uses cmocka: functions return a status and print what went
 * wrong to stderr, and the test asserts.
 *
 * Readiness: harness_start() returns once the feed port accepts and a subscriber connection
 * got its hello line. Those probes count as one feed and one subscriber connection in the
 * daemon's counters; both are closed (and the daemon has seen the feed probe close) before
 * harness_start() returns.
 */

#define HARNESS_START_TIMEOUT_MS 5000
#define HARNESS_STOP_TIMEOUT_MS 5000
#define HARNESS_POLL_INTERVAL_MS 50

/* Extra YAML for the temporary configuration. NULL means nothing. */
struct harness_options {
	const char *feed_listen; /* YAML value of feed.listen; NULL: "127.0.0.1:<feed_port>" */
	const char *feed_yaml;   /* lines under "feed:" after "listen:", indented two spaces */
	const char *alerts_yaml; /* lines under "alerts:" after "listen:", indented two spaces */
	const char *http_yaml;   /* lines under "http:" after "listen:", indented two spaces */
	const char *extra_yaml;  /* further top-level sections: detector, tracker, log */
	bool alerts_tls;         /* alerts.tls is on: the readiness probe only connects there */
};

struct harness {
	pid_t pid;            /* running cadmond, 0 if none */
	uint16_t feed_port;   /* 127.0.0.1 */
	uint16_t alerts_port; /* 127.0.0.1 */
	uint16_t http_port;   /* 127.0.0.1 */
	char config_path[PATH_MAX];
	char stderr_path[PATH_MAX];
	int64_t stop_ms;      /* how long the last harness_stop() waited */
	char state_dir[PATH_MAX]; /* cadmond's $STATE_DIRECTORY: a test may set it before
				   * harness_start (and keep it across restarts); else a
				   * temporary one, removed by harness_cleanup() */
	bool own_state_dir;
	bool alerts_tls;          /* from the options of the last start */
};

/* What a cadmond run to completion printed, and how it ended. */
struct harness_result {
	int status; /* exit status, 128 + signal if killed, -1 on timeout */
	char *out;  /* stdout, malloc'd, NUL-terminated */
	char *err;  /* stderr, malloc'd, NUL-terminated */
};

/** The cadmond to test: $CADMOND, or "cadmond" if unset. */
const char *harness_cadmond_path(void);

/** Milliseconds of a monotonic clock. */
int64_t harness_now_ms(void);

/** Pick count distinct free TCP ports on 127.0.0.1 (bind port 0, read it, close). 0 or -1. */
int harness_pick_ports(uint16_t *ports, size_t count);

/** Create an empty temporary file "$TMPDIR/cadmond-test-WHAT-XXXXXX"; path has PATH_MAX. */
int harness_temp_file(const char *what, char *path);

/** Create a temporary directory "$TMPDIR/cadmond-test-WHAT-XXXXXX"; path has PATH_MAX. */
int harness_temp_dir(const char *what, char *path);

/** Remove a directory and everything in it. 0 or -1. */
int harness_remove_tree(const char *path);

/** Write text to path (truncating). 0 or -1. */
int harness_write_file(const char *path, const char *text);

/** malloc'd NUL-terminated contents of path, or NULL. */
char *harness_read_file(const char *path);

/**
 * Pick ports (unless already picked) and write h->config_path: feed and alerts listening on
 * them plus options' extra YAML. Rewriting keeps the ports, for reload tests. 0 or -1.
 */
int harness_write_config(struct harness *h, const struct harness_options *options);

/** Write the configuration, start cadmond -c on it and wait until it is ready. 0 or -1. */
int harness_start(struct harness *h, const struct harness_options *options);

/* A listening socket handed to cadmond the way systemd's socket activation does. */
struct harness_socket {
	int fd;           /* in the test process; stays open there */
	const char *name; /* FileDescriptorName=, e.g. "feed" */
};

/**
 * harness_start(), with the sockets passed as systemd would: as fds 3, 4, ... with
 * LISTEN_PID (cadmond's pid), LISTEN_FDS and LISTEN_FDNAMES set. At most 8 sockets.
 */
int harness_start_activated(struct harness *h, const struct harness_options *options,
			    const struct harness_socket *sockets, size_t count);

/** Send a signal to the running daemon. 0 or -1. */
int harness_signal(struct harness *h, int signal_number);

/**
 * Stop the daemon (SIGSTOP) and wait until it is stopped, so that what a test sends next
 * waits in its sockets. 0 or -1. harness_stop() and harness_resume() continue it.
 */
int harness_pause(struct harness *h);

/** Continue a paused daemon (SIGCONT). 0 or -1. */
int harness_resume(struct harness *h);

/** True while the daemon has not exited (reaps it if it has). */
bool harness_running(struct harness *h);

/**
 * SIGTERM (and SIGCONT, should a test have stopped the daemon with SIGSTOP), then wait up to
 * HARNESS_STOP_TIMEOUT_MS (then SIGKILL). Returns the exit status,
 * 128 + signal if it died of one, or -1 if it had to be killed. Sets h->stop_ms.
 */
int harness_stop(struct harness *h);

/** Kill a daemon still running and remove the temporary files. Safe to call twice. */
void harness_cleanup(struct harness *h);

/** malloc'd copy of what the daemon wrote to stderr so far. */
char *harness_stderr(const struct harness *h);

/** Wait up to timeout_ms for needle to appear in the daemon's stderr. */
bool harness_wait_for_log(const struct harness *h, const char *needle, int timeout_ms);

/** Connect to 127.0.0.1:port. A blocking socket fd, or -1. */
int harness_connect(uint16_t port);

/**
 * harness_start() with more environment for cadmond: "NAME=VALUE" strings, NULL-terminated
 * (e.g. NOTIFY_SOCKET, which is otherwise removed).
 */
int harness_start_with_environment(struct harness *h, const struct harness_options *options,
				   const char *const *environment);

/** Connect to a numeric IPv4 or IPv6 address ("::1") and port. A blocking socket fd, or -1
 * with errno set (ECONNREFUSED when nothing listens). */
int harness_connect_to(const char *ip, uint16_t port);

/** Connect to the feed port. */
int harness_connect_feed(const struct harness *h);

/** Connect to the alerts port (the hello line is left for the caller to read). */
int harness_connect_subscriber(const struct harness *h);

/** Send all of text within HARNESS_STOP_TIMEOUT_MS. 0 or -1. */
int harness_send(int fd, const char *text);

/** Send len bytes (NUL bytes allowed) within HARNESS_STOP_TIMEOUT_MS. 0 or -1. */
int harness_send_bytes(int fd, const void *data, size_t len);

/**
 * Read one line, waiting at most timeout_ms in all. Returns its length with the "\n"
 * replaced by NUL in buf, or -ETIMEDOUT, -EPIPE (end of stream), -EMSGSIZE (longer than
 * size - 1), -errno. Reads nothing past the line.
 */
ssize_t harness_read_line(int fd, char *buf, size_t size, int timeout_ms);

/** True when the peer has closed fd (what it sent before is discarded), within timeout_ms. */
bool harness_wait_eof(int fd, int timeout_ms);

/**
 * Run cadmond with args (argv[0] is added) to completion, at most timeout_ms, capturing
 * stdout and stderr. 0 or -1; free with harness_result_free().
 */
int harness_run(const char *const args[], int timeout_ms, struct harness_result *result);

/** harness_run() with stderr looking like systemd's journal stream ($JOURNAL_STREAM set). */
int harness_run_journal(const char *const args[], int timeout_ms, struct harness_result *result);

void harness_result_free(struct harness_result *result);

#endif
