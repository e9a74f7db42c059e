/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tool_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

void tool_run_free(struct tool_run *run)
{
	free(run->out);
	free(run->err);
	memset(run, 0, sizeof(*run));
}

bool tool_run_read(int fd, char **buffer, size_t *len)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	assert_true(*len + (size_t)n <= TOOL_RUN_OUTPUT_MAX_BYTES);
	*buffer = realloc(*buffer, *len + (size_t)n + 1);
	assert_non_null(*buffer);
	memcpy(*buffer + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buffer)[*len] = '\0';
	return true;
}

/* In the child: stdin from stdin_path (or /dev/null), stdout and stderr to the pipes. */
static void exec_tool(char **argv, const char *stdin_path, int out_pipe[2], int err_pipe[2])
{
	int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);

	if (in < 0)
		_exit(126);
	dup2(in, STDIN_FILENO);
	dup2(out_pipe[1], STDOUT_FILENO);
	dup2(err_pipe[1], STDERR_FILENO);
	close(in);
	close(out_pipe[0]);
	close(err_pipe[0]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	execv(argv[0], argv);
	_exit(127);
}

void tool_run_finish(struct tool_child *child, struct tool_run *run)
{
	struct pollfd fds[2] = { { .fd = child->out_fd, .events = POLLIN },
				 { .fd = child->err_fd, .events = POLLIN } };
	int status;

	memset(run, 0, sizeof(*run));
	run->out = calloc(1, 1);
	run->err = calloc(1, 1);
	assert_non_null(run->out);
	assert_non_null(run->err);
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		assert_true(poll(fds, 2, TOOL_RUN_TIMEOUT_MS) > 0);
		if (fds[0].revents && !tool_run_read(child->out_fd, &run->out, &run->out_len))
			fds[0].fd = -1;
		if (fds[1].revents && !tool_run_read(child->err_fd, &run->err, &run->err_len))
			fds[1].fd = -1;
	}
	close(child->out_fd);
	close(child->err_fd);
	assert_int_equal(waitpid(child->pid, &status, 0), child->pid);
	run->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tool_run_start(const char *program, const char *const args[], const char *stdin_path,
		    struct tool_child *child)
{
	char *argv[TOOL_RUN_MAX_ARGS + 2];
	int out_pipe[2], err_pipe[2];
	size_t argc = 0;

	assert_non_null(program);
	argv[argc++] = (char *)program;
	for (; args[argc - 1]; argc++) {
		assert_true(argc <= TOOL_RUN_MAX_ARGS);
		argv[argc] = (char *)args[argc - 1];
	}
	argv[argc] = NULL;
	assert_int_equal(pipe(out_pipe), 0);
	assert_int_equal(pipe(err_pipe), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exec_tool(argv, stdin_path, out_pipe, err_pipe);
	close(out_pipe[1]);
	close(err_pipe[1]);
	*child = (struct tool_child){ .pid = pid, .out_fd = out_pipe[0], .err_fd = err_pipe[0] };
}

void tool_run(const char *program, const char *const args[], const char *stdin_path,
	      struct tool_run *run)
{
	struct tool_child child;

	tool_run_start(program, args, stdin_path, &child);
	tool_run_finish(&child, run);
}
