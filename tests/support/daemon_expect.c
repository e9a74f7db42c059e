/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "daemon_expect.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define LINE_MAX_BYTES 8192

const char hello_line[] = "{\"hello\":\"cadmond\",\"version\":\"0.2.0\",\"protocol\":2}";

bool is_board_line(const char *line)
{
	return strncmp(line, "{\"board\":", 9) == 0 ||
	       strncmp(line, "{\"alert\":\"open\",", 16) == 0;
}

void expect_line(int fd, const char *expected)
{
	char line[LINE_MAX_BYTES];
	ssize_t len;

	do
		len = harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS);
	while (len >= 0 && is_board_line(line) && !is_board_line(expected));
	if (len < 0)
		fail_msg("no line within %d ms; expected %s", EXPECT_READ_TIMEOUT_MS, expected);
	assert_string_equal(line, expected); /* prints both lines when they differ */
	assert_int_equal(len, (ssize_t)strlen(expected));
}

void expect_ack(int fd, uint64_t seq, uint64_t duplicates)
{
	char line[128], expected[96], prefix[32];
	size_t prefix_len;

	if (duplicates)
		snprintf(expected, sizeof expected,
			 "{\"ack\":%" PRIu64 ",\"duplicates\":%" PRIu64 "}", seq, duplicates);
	else
		snprintf(expected, sizeof expected, "{\"ack\":%" PRIu64 "}", seq);
	prefix_len = (size_t)snprintf(prefix, sizeof prefix, "{\"ack\":%" PRIu64, seq);
	do
		assert_true(harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS) > 0);
	while (strncmp(line, prefix, prefix_len) != 0 ||
	       (line[prefix_len] != ',' && line[prefix_len] != '}'));
	assert_string_equal(line, expected);
}

void expect_quiet(int fd)
{
	char line[LINE_MAX_BYTES];
	ssize_t len;

	do
		len = harness_read_line(fd, line, sizeof line, EXPECT_QUIET_MS);
	while (len >= 0 && is_board_line(line));
	assert_int_equal(len, -ETIMEDOUT);
}

int tracked_add(struct tracked_fds *tracked, int fd)
{
	assert_true(fd >= 0);
	assert_true(tracked->count < TRACKED_FDS_MAX);
	tracked->fd[tracked->count++] = fd;
	return fd;
}

void tracked_close(struct tracked_fds *tracked, int fd)
{
	for (size_t i = 0; i < tracked->count; i++) {
		if (tracked->fd[i] == fd) {
			tracked->fd[i] = tracked->fd[--tracked->count];
			close(fd);
			return;
		}
	}
	fail_msg("fd %d is not tracked", fd);
}

void tracked_close_all(struct tracked_fds *tracked)
{
	while (tracked->count > 0)
		close(tracked->fd[--tracked->count]);
}

int daemon_fixture_setup(void **state)
{
	struct daemon_fixture *f = calloc(1, sizeof *f);

	*state = f;
	return f ? 0 : -1;
}

int daemon_fixture_teardown(void **state)
{
	struct daemon_fixture *f = *state;

	if (f->sender > 0) {
		kill(f->sender, SIGKILL);
		waitpid(f->sender, NULL, 0);
	}
	tracked_close_all(&f->fds);
	harness_cleanup(&f->harness);
	if (f->state_dir[0])
		harness_remove_tree(f->state_dir);
	if (f->notify_path[0])
		unlink(f->notify_path);
	free(f);
	return 0;
}

uint16_t local_port(int fd)
{
	struct sockaddr_storage address;
	socklen_t len = sizeof address;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
	if (address.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
	return ntohs(((struct sockaddr_in *)&address)->sin_port);
}

void expect_log(const struct harness *h, const char *needle)
{
	if (!harness_wait_for_log(h, needle, EXPECT_READ_TIMEOUT_MS)) {
		char *text = harness_stderr(h);

		fprintf(stderr, "expected in cadmond's log: %s\nlog:\n%s", needle,
			text ? text : "");
		free(text);
		fail();
	}
}

void expect_no_log(const struct harness *h, const char *needle)
{
	char *text = harness_stderr(h);

	assert_non_null(text);
	if (strstr(text, needle)) {
		fprintf(stderr, "not expected in cadmond's log: %s\nlog:\n%s", needle, text);
		free(text);
		fail();
	}
	free(text);
}

static void format_needle(char *needle, size_t size, const char *format, va_list args)
	__attribute__((format(printf, 3, 0)));

static void format_needle(char *needle, size_t size, const char *format, va_list args)
{
	assert_true(vsnprintf(needle, size, format, args) < (int)size);
}

void expect_log_format(const struct harness *h, const char *format, ...)
{
	char needle[2048];
	va_list args;

	va_start(args, format);
	format_needle(needle, sizeof needle, format, args);
	va_end(args);
	expect_log(h, needle);
}

void expect_no_log_format(const struct harness *h, const char *format, ...)
{
	char needle[2048];
	va_list args;

	va_start(args, format);
	format_needle(needle, sizeof needle, format, args);
	va_end(args);
	expect_no_log(h, needle);
}

void expect_reload_log_format(struct harness *h, const char *format, ...)
{
	char needle[2048];
	va_list args;

	assert_int_equal(harness_signal(h, SIGHUP), 0);
	va_start(args, format);
	format_needle(needle, sizeof needle, format, args);
	va_end(args);
	expect_log(h, needle);
}

int expect_notify_socket(char path[PATH_MAX])
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(harness_temp_file("notify", path), 0);
	assert_true(strlen(path) < sizeof address.sun_path);
	unlink(path);
	strcpy(address.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
	return fd;
}

void expect_framed(const char *line, const char *prefix, const char *suffix)
{
	size_t len = strlen(line), suffix_len = strlen(suffix);

	if (strncmp(line, prefix, strlen(prefix)) != 0 || len < suffix_len ||
	    strcmp(line + len - suffix_len, suffix) != 0) {
		fprintf(stderr, "line:   %s\nprefix: %s\nsuffix: %s\n", line, prefix, suffix);
		fail();
	}
}

uint64_t expect_limit_alert_line(const char *line, const char *key, bool firing,
				 const char *message_format)
{
	char needle[128], message[1024], suffix[1536];

	snprintf(needle, sizeof needle, "\"limit\":\"%s\",\"evicted\":", key);
	const char *evicted = strstr(line, needle);
	if (!evicted)
		fail_msg("not a limit alert of %s: %s", key, line);
	uint64_t count = strtoull(evicted + strlen(needle), NULL, 10);
	assert_true(count >= 1);
	snprintf(message, sizeof message, message_format, count);
	snprintf(suffix, sizeof suffix,
		 "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",%s%" PRIu64
		 ",\"message\":\"%s\"}",
		 needle, count, message);
	expect_framed(line, firing ? "{\"alert\":\"firing\",\"alert_id\":\""
				   : "{\"alert\":\"resolved\",\"alert_id\":\"",
		      suffix);
	return count;
}

uint64_t expect_limit_alert(int fd, const char *key, bool firing, const char *message_format)
{
	char line[4096], needle[128];
	int64_t until = harness_now_ms() + LIMIT_ALERT_TIMEOUT_MS;

	snprintf(needle, sizeof needle, "\"limit\":\"%s\",\"evicted\":", key);
	do
		if (harness_now_ms() >= until)
			fail_msg("no %s limit alert of %s on the console",
				 firing ? "firing" : "resolved", key);
	while (harness_read_line(fd, line, sizeof line, 1000) <= 0 || !strstr(line, needle) ||
	       !strstr(line, firing ? "{\"alert\":\"firing\"" : "{\"alert\":\"resolved\""));
	return expect_limit_alert_line(line, key, firing, message_format);
}

/* The answer to GET /metrics (a static buffer). */
const char *expect_get_metrics(const struct harness *h)
{
	static char answer[256 * 1024];
	int fd = harness_connect(h->http_port);
	size_t used = 0;
	ssize_t got;

	assert_true(fd >= 0);
	assert_int_equal(
		harness_send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
		0);
	while (used + 1 < sizeof answer &&
	       (got = read(fd, answer + used, sizeof answer - used - 1)) > 0)
		used += (size_t)got;
	answer[used] = '\0';
	close(fd);
	return answer;
}

/* The value of a metric without labels in GET /metrics. */
uint64_t expect_metric_value(const struct harness *h, const char *name)
{
	const char *answer = expect_get_metrics(h);
	char sample[128];
	const char *at;

	snprintf(sample, sizeof sample, "\n%s ", name);
	at = strstr(answer, sample);
	if (!at)
		fprintf(stderr, "no %s in /metrics\n", name);
	assert_non_null(at);
	return strtoull(at + strlen(sample), NULL, 10);
}
