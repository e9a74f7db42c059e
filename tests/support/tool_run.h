/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TESTS_TOOL_RUN_H
#define CADMON_TESTS_TOOL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Running a command-line tool from a test: a child process with its stdin from a file (or
 * /dev/null), its stdout and stderr read whole through pipes, its exit status. Any failure of
 * the harness itself (fork, pipe, a tool that says nothing for TOOL_RUN_TIMEOUT_MS, output
 * over TOOL_RUN_OUTPUT_MAX_BYTES) fails the test through cmocka.
 */

#define TOOL_RUN_MAX_ARGS 32
#define TOOL_RUN_OUTPUT_MAX_BYTES (16u * 1024 * 1024)
#define TOOL_RUN_TIMEOUT_MS 60000

/* What a run of the tool produced. */
struct tool_run {
	char *out; /* stdout, NUL-terminated */
	size_t out_len;
	char *err; /* stderr, NUL-terminated */
	size_t err_len;
	int exit_status; /* -1 when it did not exit normally */
};

/* A tool started and not collected yet: its pid and the read ends of its stdout and stderr. */
struct tool_child {
	pid_t pid;
	int out_fd;
	int err_fd;
};

/**
 * Start program with args (NULL-terminated, without argv[0]; at most TOOL_RUN_MAX_ARGS), stdin
 * from stdin_path (NULL: /dev/null), for a test that talks to it before tool_run_finish.
 */
void tool_run_start(const char *program, const char *const args[], const char *stdin_path,
		    struct tool_child *child);

/** Read the child's stdout and stderr to their end, then reap it, into *run. */
void tool_run_finish(struct tool_child *child, struct tool_run *run);

/** tool_run_start, then tool_run_finish: run program until it exits. */
void tool_run(const char *program, const char *const args[], const char *stdin_path,
	      struct tool_run *run);

/**
 * Append what is readable on fd to *buffer (NUL-terminated, grown as needed, at most
 * TOOL_RUN_OUTPUT_MAX_BYTES in all); false at end of file.
 */
bool tool_run_read(int fd, char **buffer, size_t *len);

/** Free what tool_run collected (run is zeroed). */
void tool_run_free(struct tool_run *run);

#endif
