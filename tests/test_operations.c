/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Integration tests of cadmond in production: many concurrent feeds, reloads that change
 * thresholds and listen addresses, shutdown under load, IPv4 + IPv6, idle timeout, TCP
 * keepalive and systemd socket activation. The real cadmond on loopback ports, driven by
 * daemon_harness; every wait is bounded, every daemon stopped or killed in teardown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define READ_TIMEOUT_MS EXPECT_READ_TIMEOUT_MS


/* The rule the scripted shift trips (4 calls, 3 premature), and a stricter one it does not
 * (4 premature), for reloads between the two. */
#define RULE_TRIPPED                                                                       \
	"  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, "    \
	"min_ratio: 0.5, severity: critical}]\n"
#define RULE_STRICT                                                                        \
	"  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 4, "    \
	"min_ratio: 0.5, severity: critical}]\n"
#define SHIFT_FEED_YAML "  max_line_bytes: 1024\n"
#define SHIFT_LOG_YAML "log:\n  rate_limit_seconds: 60\n"

static const char tripped_yaml[] = "detector:\n" RULE_TRIPPED SHIFT_LOG_YAML;
static const char strict_yaml[] = "detector:\n" RULE_STRICT SHIFT_LOG_YAML;

static int connect_subscriber(struct daemon_fixture *f)
{
	int fd = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));

	expect_line(fd, hello_line);
	return fd;
}

/* Send shift lines first .. end - 1. */
static void send_shift_lines(int fd, size_t first, size_t end)
{
	for (size_t i = first; i < end; i++)
		assert_int_equal(harness_send(fd, shift_lines[i]), 0);
}

/* Wait until the daemon has processed what fd sent so far: send a line it rejects and wait
 * for the rejection, logged as line line_number of the connection (the first rejection of
 * a connection is always logged). */
static void sync_feed(struct daemon_fixture *f, int fd, unsigned line_number)
{
	assert_int_equal(harness_send(fd, "[\"sync\"]\n"), 0);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line %u: not_an_object: ",
			  local_port(fd), line_number);
}

/* A free port on an IPv6 address: bind port 0, read it, close. 0 when it cannot be bound. */
static uint16_t free_ipv6_port_on(const char *ip)
{
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof v6;
	uint16_t port = 0;

	assert_int_equal(inet_pton(AF_INET6, ip, &v6.sin6_addr), 1);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&v6, sizeof v6) == 0 &&
	    getsockname(fd, (struct sockaddr *)&v6, &len) == 0)
		port = ntohs(v6.sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A listening socket on 127.0.0.1 (port 0: any free port). */
static int listen_on_loopback(struct daemon_fixture *f, uint16_t port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = tracked_add(&f->fds, socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static void expect_refused(uint16_t port)
{
	int fd = harness_connect_to("127.0.0.1", port);

	if (fd >= 0)
		close(fd);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ECONNREFUSED);
}

/* --- many feeds at once --- */

#define MANY_FEEDS 16

/* Feed k's lines: 10 + k good calls (start and end, released by the caller: never
 * premature; a second apart, so that no feed falls behind another by more than the allowed
 * lateness however the daemon's reads interleave), and between them k % 3 + 1 invalid JSON
 * lines, k % 2 lines missing a field, one array on every fourth feed, and a blank line on
 * odd feeds (ignored, not counted). */
struct feed_script {
	char text[16384];
	size_t len;
	unsigned lines, events, invalid_json, missing_field, not_an_object;
};

static void script_add(struct feed_script *script, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void script_add(struct feed_script *script, const char *format, ...)
{
	va_list args;
	int len;

	va_start(args, format);
	len = vsnprintf(script->text + script->len, sizeof script->text - script->len, format,
			args);
	va_end(args);
	assert_true(len > 0 && (size_t)len < sizeof script->text - script->len);
	script->len += (size_t)len;
}

static void build_feed_script(unsigned k, struct feed_script *script)
{
	unsigned calls = 10 + k, invalid_json = k % 3 + 1, missing_field = k % 2;

	memset(script, 0, sizeof *script);
	for (unsigned n = 0; n < calls; n++) {
		int64_t start_ms = INT64_C(1795939200000) + (int64_t)n * 1000;

		script_add(script,
			   "{\"type\":\"call_start\",\"call_id\":\"k%u-%u\",\"ts\":%" PRId64
			   ",\"operator\":\"op-%u\"}\n"
			   "{\"type\":\"call_end\",\"call_id\":\"k%u-%u\",\"ts\":%" PRId64
			   ",\"released_by\":\"caller\"}\n",
			   k, n, start_ms, k, k, n, start_ms + 45000);
		if (n < invalid_json)
			script_add(script, "{\"type\":\"call_start\",\"call_id\":\"bad-%u\"\n", n);
		if (n < missing_field)
			script_add(script,
				   "{\"type\":\"call_end\",\"call_id\":\"k%u-x\",\"ts\":%" PRId64
				   "}\n",
				   k, start_ms);
		if (n == 3 && k % 4 == 0)
			script_add(script, "[%u]\n", k);
		if (n == 5 && k % 2 == 1)
			script_add(script, "\n");
	}
	script->events = 2 * calls;
	script->invalid_json = invalid_json;
	script->missing_field = missing_field;
	script->not_an_object = k % 4 == 0;
	script->lines = script->events + invalid_json + missing_field + script->not_an_object;
}

/* "feed 127.0.0.1:PORT closed: ..." as cadmond logs it for script. */
static void format_feed_summary(const struct feed_script *script, uint16_t port, char *out,
				size_t size)
{
	char reasons[256];
	size_t used = (size_t)snprintf(reasons, sizeof reasons, " (invalid_json %u",
				       script->invalid_json);

	if (script->not_an_object)
		used += (size_t)snprintf(reasons + used, sizeof reasons - used,
					 ", not_an_object %u", script->not_an_object);
	if (script->missing_field)
		used += (size_t)snprintf(reasons + used, sizeof reasons - used,
					 ", missing_field %u", script->missing_field);
	snprintf(reasons + used, sizeof reasons - used, ")");
	snprintf(out, size, "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %u lines, %u events, %u "
			    "rejected%s\n",
		 port, script->len, script->lines, script->events,
		 script->lines - script->events, reasons);
}

/* 16 feeds send their scripts at once, interleaved in pieces of 97 bytes (lines are cut
 * anywhere), so every connection's line buffer is exercised against the others. Each feed's
 * close summary has its exact counts; the daemon's final summary has the exact totals. */
static void test_many_concurrent_feeds_count_exactly(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  max_connections: 16\n  max_connections_per_address: 16\n",
		.extra_yaml = "log:\n  rate_limit_seconds: 60\n",
	};
	static struct feed_script scripts[MANY_FEEDS];
	int feeds[MANY_FEEDS];
	size_t sent[MANY_FEEDS] = { 0 }, busy = MANY_FEEDS;
	unsigned lines = 0, events = 0;
	char summary[512];

	assert_int_equal(harness_start(&f->harness, &options), 0);
	for (unsigned k = 0; k < MANY_FEEDS; k++) {
		build_feed_script(k, &scripts[k]);
		feeds[k] = tracked_add(&f->fds, harness_connect_feed(&f->harness));
		lines += scripts[k].lines;
		events += scripts[k].events;
	}
	while (busy > 0) {
		busy = 0;
		for (unsigned k = 0; k < MANY_FEEDS; k++) {
			size_t piece =
				scripts[k].len - sent[k] < 97 ? scripts[k].len - sent[k] : 97;

			if (piece == 0)
				continue;
			assert_int_equal(
				harness_send_bytes(feeds[k], scripts[k].text + sent[k], piece), 0);
			sent[k] += piece;
			busy++;
		}
	}
	for (unsigned k = 0; k < MANY_FEEDS; k++) {
		format_feed_summary(&scripts[k], local_port(feeds[k]), summary, sizeof summary);
		tracked_close(&f->fds, feeds[k]);
		expect_log(&f->harness, summary);
	}
	assert_int_equal(harness_stop(&f->harness), 0);
	/* 17 feeds: the harness's readiness probe is one; no line of it was premature. */
	expect_log_format(&f->harness,
			  "cadmond: stopped: 17 feeds (0 refused, 0 idle timeouts), 1 subscribers "
			  "(0 refused, 0 too slow), %u lines, %u events, %u rejected, 0 alerts\n",
			  lines, events, lines - events);
}

/* --- reload --- */

/* The first ten lines under the strict rule do not trip it; after a reload to the rule the
 * shift trips, c4's end fires an alert that counts the calls made before the reload: the
 * window state survived. */
static void test_reload_lowers_threshold_keeping_windows(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options strict = { .feed_yaml = SHIFT_FEED_YAML,
						.extra_yaml = strict_yaml };
	const struct harness_options tripped = { .feed_yaml = SHIFT_FEED_YAML,
						 .extra_yaml = tripped_yaml };
	int subscriber, feed;

	assert_int_equal(harness_start(&f->harness, &strict), 0);
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift_lines(feed, 0, SHIFT_LINE_COUNT - 1); /* all but c4's end */
	sync_feed(f, feed, SHIFT_LINE_COUNT);
	assert_int_equal(harness_write_config(&f->harness, &tripped), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: detector.rules.burst.min_premature: 4 -> 3\n"
		      "cadmond: configuration reloaded: 1 change\n");
	expect_quiet(subscriber);
	send_shift_lines(feed, SHIFT_LINE_COUNT - 1, SHIFT_LINE_COUNT);
	expect_line(subscriber, shift_alert);
	expect_quiet(subscriber);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Moving the feed port: the new port accepts, the old one refuses, and a feed connected
 * before the reload keeps working. */
static void test_reload_moves_feed_port(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options before = { .feed_yaml = SHIFT_FEED_YAML,
						.extra_yaml = tripped_yaml };
	struct harness_options after = before;
	uint16_t old_port, new_port;
	char listen[64];
	int subscriber, old_feed, new_feed;

	assert_int_equal(harness_start(&f->harness, &before), 0);
	old_port = f->harness.feed_port;
	assert_int_equal(harness_pick_ports(&new_port, 1), 0);
	subscriber = connect_subscriber(f);
	old_feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift_lines(old_feed, 0, 5);

	snprintf(listen, sizeof listen, "\"127.0.0.1:%u\"", new_port);
	after.feed_listen = listen;
	assert_int_equal(harness_write_config(&f->harness, &after), 0);
	expect_reload_log_format(&f->harness,
				 "cadmond: reload: feed.listen: [127.0.0.1:%u] -> [127.0.0.1:%u]\n"
				 "cadmond: no longer listening for feeds on 127.0.0.1:%u\n"
				 "cadmond: listening for feeds on 127.0.0.1:%u\n"
				 "cadmond: configuration reloaded: 1 change\n",
				 old_port, new_port, old_port, new_port);
	f->harness.feed_port = new_port;
	expect_refused(old_port);

	send_shift_lines(old_feed, 5, SHIFT_LINE_COUNT - 2);
	new_feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift_lines(new_feed, SHIFT_LINE_COUNT - 2, SHIFT_LINE_COUNT);
	expect_line(subscriber, shift_alert);
	tracked_close(&f->fds, old_feed);
	expect_log(&f->harness, " closed: 953 bytes, 9 lines, 9 events, 0 rejected\n");
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Adding an address keeps the running socket of the others (the port is never released,
 * so rebinding it cannot fail); removing one closes only it. */
static void test_reload_adds_and_removes_an_address(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_options options = { .extra_yaml = tripped_yaml };
	uint16_t first, second;
	char both[96], second_only[64];

	assert_int_equal(harness_start(&f->harness, &options), 0);
	first = f->harness.feed_port;
	assert_int_equal(harness_pick_ports(&second, 1), 0);
	snprintf(both, sizeof both, "[\"127.0.0.1:%u\", \"127.0.0.1:%u\"]", first, second);
	options.feed_listen = both;
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(
		&f->harness,
		"cadmond: reload: feed.listen: [127.0.0.1:%u] -> [127.0.0.1:%u, 127.0.0.1:%u]\n"
		"cadmond: listening for feeds on 127.0.0.1:%u\n"
		"cadmond: configuration reloaded: 1 change\n",
		first, first, second, second);
	tracked_add(&f->fds, harness_connect_to("127.0.0.1", first));
	tracked_add(&f->fds, harness_connect_to("127.0.0.1", second));

	snprintf(second_only, sizeof second_only, "\"127.0.0.1:%u\"", second);
	options.feed_listen = second_only;
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(
		&f->harness,
		"cadmond: reload: feed.listen: [127.0.0.1:%u, 127.0.0.1:%u] -> [127.0.0.1:%u]\n"
		"cadmond: no longer listening for feeds on 127.0.0.1:%u\n"
		"cadmond: configuration reloaded: 1 change\n",
		first, second, second, first);
	expect_refused(first);
	tracked_add(&f->fds, harness_connect_to("127.0.0.1", second));
	f->harness.feed_port = second;
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A reload whose new address cannot be bound is rejected as a whole: the stricter rule in
 * the same file is not applied either, the old port still accepts, nothing was changed. */
static void test_reload_with_busy_address_changes_nothing(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options running = { .feed_yaml = SHIFT_FEED_YAML,
						 .extra_yaml = tripped_yaml };
	struct harness_options rejected = { .feed_yaml = SHIFT_FEED_YAML,
					    .extra_yaml = strict_yaml };
	int busy = listen_on_loopback(f, 0);
	uint16_t busy_port = local_port(busy);
	char listen[64];
	int subscriber, feed;

	assert_int_equal(harness_start(&f->harness, &running), 0);
	snprintf(listen, sizeof listen, "\"127.0.0.1:%u\"", busy_port);
	rejected.feed_listen = listen;
	assert_int_equal(harness_write_config(&f->harness, &rejected), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(&f->harness,
			  "cadmond: error: configuration not reloaded: cannot listen on "
			  "127.0.0.1:%u: Address already in use; keeping the running one\n",
			  busy_port);
	expect_no_log(&f->harness, "reload: ");
	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift_lines(feed, 0, SHIFT_LINE_COUNT);
	expect_line(subscriber, shift_alert);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- shutdown under load --- */

/* In a child process: send calls on fd as fast as the daemon takes them, until the
 * connection fails (the daemon closed it) or 10 s passed. Never returns. */
static void send_forever(int fd)
{
	char batch[8192];
	time_t give_up = time(NULL) + 10;
	unsigned n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (time(NULL) < give_up) {
		size_t len = 0;

		while (len + 256 < sizeof batch) {
			int64_t start_ms = INT64_C(1795939200000) + (int64_t)(n / 2) * 10;

			len += (size_t)snprintf(
				batch + len, sizeof batch - len,
				n % 2 ? "{\"type\":\"call_end\",\"call_id\":\"L%u\",\"ts\":%" PRId64
					",\"released_by\":\"caller\"}\n"
				      : "{\"type\":\"call_start\",\"call_id\":\"L%u\",\"ts\":"
					"%" PRId64 ",\"operator\":\"op-1\"}\n",
				n / 2, start_ms + (n % 2) * 5);
			n++;
		}
		if (send(fd, batch, len, MSG_NOSIGNAL) < 0)
			_exit(0);
	}
	_exit(1);
}

/* SIGTERM while a feed is sending flat out: exit 0 within 5 s, every line the daemon took
 * counted and accepted (a cut last line is dropped, never rejected). */
static void test_sigterm_under_load_exits_0_within_5_s(void **state)
{
	struct daemon_fixture *f = *state;
	unsigned long long bytes = 0, lines = 0, events = 0;
	char needle[128], *log, *summary;
	int feed, status;

	assert_int_equal(harness_start(&f->harness, NULL), 0);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	f->sender = fork();
	assert_true(f->sender >= 0);
	if (f->sender == 0)
		send_forever(feed);
	snprintf(needle, sizeof needle, "cadmond: feed 127.0.0.1:%u connected\n", local_port(feed));
	expect_log(&f->harness, needle);
	usleep(300 * 1000);
	assert_true(harness_running(&f->harness));
	assert_int_equal(harness_stop(&f->harness), 0);
	fprintf(stderr, "SIGTERM under load: exited after %lld ms\n",
		(long long)f->harness.stop_ms);
	assert_true(f->harness.stop_ms < 5000);
	assert_int_equal(waitpid(f->sender, &status, 0), f->sender);
	f->sender = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* its connection was closed */

	expect_log(&f->harness, "cadmond: SIGTERM: shutting down\n");
	log = harness_stderr(&f->harness);
	assert_non_null(log);
	snprintf(needle, sizeof needle, "cadmond: feed 127.0.0.1:%u closed: ", local_port(feed));
	summary = strstr(log, needle);
	assert_non_null(summary);
	assert_int_equal(sscanf(summary + strlen(needle),
				"%llu bytes, %llu lines, %llu events, 0 rejected", &bytes, &lines,
				&events),
			 3);
	assert_true(lines > 1000);
	assert_true(events == lines);
	free(log);
}

/* --- IPv4 and IPv6 --- */

/* Listening on 127.0.0.1 and [::1] at once: half of the shift arrives over each, and the
 * alert needs both halves. Skipped where the machine has no IPv6 loopback. */
static void test_ipv4_and_ipv6_feeds(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_options options = { .feed_yaml = SHIFT_FEED_YAML,
					   .extra_yaml = tripped_yaml };
	uint16_t v6_port = free_ipv6_port_on("::1");
	uint16_t ports[2];
	char listen[96];
	int subscriber, v4_feed, v6_feed;

	if (v6_port == 0) {
		fprintf(stderr, "no IPv6 loopback here (cannot bind [::1]): skipping\n");
		skip();
	}
	assert_int_equal(harness_pick_ports(ports, 2), 0);
	f->harness.feed_port = ports[0];
	f->harness.alerts_port = ports[1];
	snprintf(listen, sizeof listen, "[\"127.0.0.1:%u\", \"[::1]:%u\"]", f->harness.feed_port,
		 v6_port);
	options.feed_listen = listen;
	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log_format(&f->harness, "cadmond: listening for feeds on 127.0.0.1:%u\n"
			     "cadmond: listening for feeds on [::1]:%u\n",
			  f->harness.feed_port, v6_port);
	subscriber = connect_subscriber(f);
	v4_feed = tracked_add(&f->fds, harness_connect_to("127.0.0.1", f->harness.feed_port));
	v6_feed = tracked_add(&f->fds, harness_connect_to("::1", v6_port));
	send_shift_lines(v4_feed, 0, 6);
	send_shift_lines(v6_feed, 6, SHIFT_LINE_COUNT);
	expect_line(subscriber, shift_alert);
	tracked_close(&f->fds, v6_feed);
	tracked_close(&f->fds, v4_feed);
	expect_log(&f->harness, "cadmond: feed [::1]:");
	expect_log(&f->harness, " closed: 479 bytes, 5 lines, 5 events, 0 rejected\n");
	expect_log(&f->harness, " closed: 696 bytes, 6 lines, 6 events, 0 rejected\n");
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- idle timeout, keepalive --- */

/* With feed.idle_timeout_seconds 1, a feed silent after one line is closed about a second
 * later, logged and counted; a feed sending every 250 ms stays. */
static void test_idle_feed_is_closed(void **state)
{
	struct daemon_fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  idle_timeout_seconds: 1\n",
	};
	int silent, chatty;
	int64_t sent_ms, closed_ms;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log(&f->harness,
		   "cadmond: feed connections: TCP keepalive first probe after 60 s idle, then "
		   "every 10 s, 6 unanswered close it; idle timeout 1 s\n");
	silent = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	chatty = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	sent_ms = harness_now_ms();
	send_shift_lines(silent, 0, 1);
	for (int i = 0; i < 8; i++) {
		send_shift_lines(chatty, 2, 3); /* the same event again: a duplicate, still input */
		usleep(250 * 1000);
	}
	assert_true(harness_wait_eof(silent, READ_TIMEOUT_MS));
	closed_ms = harness_now_ms();
	assert_true(closed_ms - sent_ms >= 900);
	expect_log_format(
		&f->harness,
		"cadmond: feed 127.0.0.1:%u: closing: no complete line for 1 s "
		"(feed.idle_timeout_seconds)\n"
		"cadmond: feed 127.0.0.1:%u closed: 134 bytes, 1 lines, 1 events, 0 rejected\n",
		local_port(silent), local_port(silent));
	expect_no_log_format(&f->harness, "feed 127.0.0.1:%u: closing", local_port(chatty));
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness, "cadmond: stopped: 3 feeds (0 refused, 1 idle timeouts), ");
}

/* The kernel's keepalive timer of the daemon's side of a connection, from /proc/net/tcp:
 * *timer is 2 when it is the keepalive timer, *ticks when it fires (USER_HZ ticks). -1 when
 * the connection is not listed (or /proc/net/tcp cannot be read). */
static int read_tcp_timer(uint16_t server_port, uint16_t client_port, unsigned *timer,
			  unsigned long *ticks)
{
	char local[32], remote[32], line[512], got_local[64], got_remote[64];
	FILE *table = fopen("/proc/net/tcp", "r");
	int rc = -1;

	if (!table)
		return -1;
	snprintf(local, sizeof local, "%08X:%04X", (unsigned)htonl(INADDR_LOOPBACK), server_port);
	snprintf(remote, sizeof remote, "%08X:%04X", (unsigned)htonl(INADDR_LOOPBACK), client_port);
	while (rc < 0 && fgets(line, sizeof line, table)) {
		if (sscanf(line, " %*s %63s %63s %*x %*s %x:%lx", got_local, got_remote, timer,
			   ticks) == 4 &&
		    strcmp(got_local, local) == 0 && strcmp(got_remote, remote) == 0)
			rc = 0;
	}
	fclose(table);
	return rc;
}

/* feed.keepalive_seconds reaches the daemon's socket: the kernel's keepalive timer runs
 * there with the configured idle time, and a reload to 0 stops it on the open connection. */
static void test_keepalive_is_set_on_feed_sockets(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_options options = { .feed_yaml = "  keepalive_seconds: 1000\n" };
	long hz = sysconf(_SC_CLK_TCK);
	unsigned timer = 99;
	unsigned long ticks = 0;
	int feed;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log(&f->harness,
		   "cadmond: feed connections: TCP keepalive first probe after 1000 s idle, "
		   "then every 10 s, 6 unanswered close it; idle timeout off\n");
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u connected\n", local_port(feed));
	if (read_tcp_timer(f->harness.feed_port, local_port(feed), &timer, &ticks) < 0) {
		fprintf(stderr, "/proc/net/tcp does not list the connection: skipping\n");
		skip();
	}
	assert_int_equal(timer, 2);
	assert_in_range(ticks, (unsigned long)(990 * hz), (unsigned long)(1000 * hz));

	options.feed_yaml = "  keepalive_seconds: 0\n";
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: feed.keepalive_seconds: 1000 -> 0\n"
		      "cadmond: configuration reloaded: 1 change\n");
	assert_int_equal(read_tcp_timer(f->harness.feed_port, local_port(feed), &timer, &ticks), 0);
	assert_int_equal(timer, 0);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* --- systemd socket activation --- */

/* A "feed" socket from systemd is used instead of feed.listen (whose port stays closed); a
 * socket with another name is closed with a warning; a reload does not rebind the feed. */
static void test_socket_activation(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_options options = { .feed_yaml = SHIFT_FEED_YAML,
					   .extra_yaml = tripped_yaml };
	int activated = listen_on_loopback(f, 0), stray = listen_on_loopback(f, 0);
	const struct harness_socket sockets[] = { { activated, "feed" }, { stray, "metrics" } };
	uint16_t configured_port;
	char listen[64];
	int subscriber, feed;

	assert_int_equal(harness_pick_ports(&configured_port, 1), 0);
	snprintf(listen, sizeof listen, "\"127.0.0.1:%u\"", configured_port);
	options.feed_listen = listen;
	f->harness.feed_port = local_port(activated); /* where the harness probes */
	assert_int_equal(harness_pick_ports(&f->harness.alerts_port, 1), 0);
	assert_int_equal(harness_start_activated(&f->harness, &options, sockets, 2), 0);
	expect_log(&f->harness,
		   "cadmond: warning: socket \"metrics\" from systemd (fd 4) closed: only "
		   "\"feed\" and \"alerts\" are used (FileDescriptorName=)\n");
	expect_log_format(&f->harness, "cadmond: feed.listen not used: systemd passed 1 socket\n"
			     "cadmond: listening for feeds on 127.0.0.1:%u (socket from systemd)\n"
			     "cadmond: listening for subscribers on 127.0.0.1:%u\n",
			  f->harness.feed_port, f->harness.alerts_port);
	expect_refused(configured_port);

	subscriber = connect_subscriber(f);
	feed = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	send_shift_lines(feed, 0, SHIFT_LINE_COUNT);
	expect_line(subscriber, shift_alert);

	snprintf(listen, sizeof listen, "\"127.0.0.1:%u\"", configured_port + 1);
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed.listen changed, but its sockets come from "
			  "systemd: not rebound (change the .socket unit instead)\n"
			  "cadmond: reload: feed.listen: [127.0.0.1:%u] -> [127.0.0.1:%u]\n"
			  "cadmond: configuration reloaded: 1 change\n",
			  configured_port, configured_port + 1);
	expect_refused(configured_port + 1);
	tracked_close(&f->fds, tracked_add(&f->fds, harness_connect_feed(&f->harness)));
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A socket from systemd that is not a listening TCP socket is a start-up failure. */
static void test_socket_activation_rejects_a_non_listening_socket(void **state)
{
	struct daemon_fixture *f = *state;
	int datagram = tracked_add(&f->fds, socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	const struct harness_socket sockets[] = { { datagram, "feed" } };

	assert_int_equal(harness_start_activated(&f->harness, NULL, sockets, 1), -1);
	expect_log(&f->harness,
		   "cadmond: error: socket \"feed\" from systemd (fd 3) is not a listening TCP "
		   "socket\n");
}

/* --- systemd notifications --- */

#define NOTIFY_MAX_BYTES 4096

/* A datagram socket at a temporary path, standing in for systemd's NOTIFY_SOCKET. */
static int open_notify_socket(struct daemon_fixture *f)
{
	return tracked_add(&f->fds, expect_notify_socket(f->notify_path));
}

/* The next notification within timeout_ms into text (NUL-terminated); false if none came. */
static bool read_notification(int fd, char *text, int timeout_ms)
{
	struct pollfd watch = { .fd = fd, .events = POLLIN };
	ssize_t got;

	if (poll(&watch, 1, timeout_ms) != 1)
		return false;
	got = recv(fd, text, NOTIFY_MAX_BYTES - 1, 0);
	assert_true(got >= 0);
	text[got] = '\0';
	return true;
}

/* The next notification that is not a periodic one (STATUS=, WATCHDOG=1) starts with
 * expected. */
static void expect_notification(int fd, const char *expected)
{
	char text[NOTIFY_MAX_BYTES];

	do
		assert_true(read_notification(fd, text, READ_TIMEOUT_MS));
	while (strncmp(text, "STATUS=", 7) == 0 || strcmp(text, "WATCHDOG=1") == 0);
	if (strncmp(text, expected, strlen(expected)) != 0)
		fail_msg("notification \"%s\", expected \"%s...\"", text, expected);
}

/* Milliseconds between the next 4 WATCHDOG=1 pings, on average (after dropping what queued
 * up while the test was busy). */
static int64_t average_watchdog_interval_ms(int fd)
{
	char text[NOTIFY_MAX_BYTES];
	int64_t first_ms = 0;
	int pings = 0;

	while (read_notification(fd, text, 0))
		; /* queued before now */
	while (pings < 5) {
		assert_true(read_notification(fd, text, READ_TIMEOUT_MS));
		if (strcmp(text, "WATCHDOG=1") != 0)
			continue;
		if (pings++ == 0)
			first_ms = harness_now_ms();
	}
	return (harness_now_ms() - first_ms) / 4;
}

/* Under systemd (NOTIFY_SOCKET, WATCHDOG_USEC): READY=1 and the counters once listening,
 * WATCHDOG=1 every half watchdog period (WatchdogSec=30 in the unit gives 5 s, the status
 * period), RELOADING=1 then READY=1 around a reload, STOPPING=1 at SIGTERM. */
static void test_systemd_notifications(void **state)
{
	struct daemon_fixture *f = *state;
	int notify = open_notify_socket(f);
	char notify_env[PATH_MAX + 32], text[NOTIFY_MAX_BYTES];
	const char *environment[] = { notify_env, "WATCHDOG_USEC=1000000", NULL };
	int64_t interval_ms;

	snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", f->notify_path);
	assert_int_equal(harness_start_with_environment(&f->harness, NULL, environment), 0);
	assert_true(read_notification(notify, text, READ_TIMEOUT_MS));
	assert_string_equal(text, "READY=1");
	assert_true(read_notification(notify, text, READ_TIMEOUT_MS));
	assert_string_equal(text, "STATUS=0 feeds, 0 subscribers; 0 lines, 0 events, 0 rejected, "
				  "0 alerts");

	interval_ms = average_watchdog_interval_ms(notify);
	fprintf(stderr, "WATCHDOG=1 every %lld ms with WATCHDOG_USEC=1000000\n",
		(long long)interval_ms);
	assert_in_range(interval_ms, 400, 700);

	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_notification(notify, "RELOADING=1\nMONOTONIC_USEC=");
	expect_notification(notify, "READY=1");
	expect_log(&f->harness, "cadmond: configuration reloaded: 0 changes\n");
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_notification(notify, "STOPPING=1");
}

/* What only a restart applies (journal.state_directory, the i3 section: their table entries say
 * RESTART) is kept at its running value by a reload, each change logged as a warning, the
 * section once; a change the reload applies beside them is applied. */
static void test_reload_keeps_restart_only_keys(void **state)
{
	struct daemon_fixture *f = *state;
	struct harness_options options = { .extra_yaml = "" };

	assert_int_equal(harness_start(&f->harness, &options), 0);
	options.extra_yaml = "journal:\n  state_directory: /var/lib/elsewhere\n  fsync: none\n"
			     "i3:\n  max_calls: 20\n";
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: warning: reload: journal.state_directory: "
				"/var/lib/cadmon -> /var/lib/elsewhere takes "
				"effect at the next restart; kept /var/lib/cadmon\n"
				"cadmond: warning: reload: i3.max_calls: 10000 -> 20 takes effect "
				"at the next restart; kept 10000\n"
				"cadmond: warning: reload: i3: changes take effect at the next "
				"restart; the running i3 section "
				"is kept\n"
				"cadmond: reload: journal.fsync: batch -> none\n"
				"cadmond: configuration reloaded: 1 change\n");
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A table that evicts shows in STATUS=: which key to raise and how many were evicted. */
static void test_status_shows_evictions(void **state)
{
	/* one baseline per agency (not the source's own too): max_operators 1 holds it */
	static const struct harness_options options = {
		.extra_yaml = "tracker:\n  max_operators: 1\n"
			      "detector:\n  baseline: {source_depart_z: 0}\n"
	};
	static const char calls[] = "{\"type\":\"call_start\",\"call_id\":\"a\",\"ts\":\"2026-11-"
				    "29T08:00:00Z\",\"operator\":\"op-1\"}\n"
				    "{\"type\":\"call_end\",\"call_id\":\"a\",\"ts\":\"2026-11-"
				    "29T08:01:00Z\",\"released_by\":\"caller\"}\n"
				    "{\"type\":\"call_start\",\"call_id\":\"b\",\"ts\":\"2026-11-"
				    "29T08:02:00Z\",\"operator\":\"op-2\"}\n"
				    "{\"type\":\"call_end\",\"call_id\":\"b\",\"ts\":\"2026-11-"
				    "29T08:03:00Z\",\"released_by\":\"caller\"}\n";
	struct daemon_fixture *f = *state;
	int notify = open_notify_socket(f);
	char notify_env[PATH_MAX + 32], text[NOTIFY_MAX_BYTES];
	const char *environment[] = { notify_env, "WATCHDOG_USEC=1000000", NULL };
	int64_t deadline;

	snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", f->notify_path);
	assert_int_equal(harness_start_with_environment(&f->harness, &options, environment), 0);
	int feed = harness_connect_feed(&f->harness);
	assert_int_equal(harness_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	assert_int_equal(harness_send(feed, calls), 0);
	expect_log(&f->harness,
		   "tracker.max_operators reached: 1 evicted so far; raise tracker.max_operators");
	deadline = harness_now_ms() + READ_TIMEOUT_MS;
	do
		assert_true(read_notification(notify, text, READ_TIMEOUT_MS));
	while (!strstr(text, "evicting") && harness_now_ms() < deadline);
	assert_string_equal(
		text, "STATUS=1 feeds, 0 subscribers; 4 lines, 4 events, 0 rejected, 1 alerts; "
		      "evicting: tracker.max_operators 1; center 2026-11-29T08:03:00.000Z; "
		      "sources: cad-1 lag 0 s");
	close(feed);
	assert_int_equal(harness_stop(&f->harness), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_concurrent_feeds_count_exactly,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_lowers_threshold_keeping_windows,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_moves_feed_port, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_adds_and_removes_an_address,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_with_busy_address_changes_nothing,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_restart_only_keys,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_under_load_exits_0_within_5_s,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_and_ipv6_feeds, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle_feed_is_closed, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_is_set_on_feed_sockets,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_socket_activation, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_socket_activation_rejects_a_non_listening_socket, daemon_fixture_setup,
			daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_status_shows_evictions, daemon_fixture_setup,
						daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_notifications, daemon_fixture_setup,
						daemon_fixture_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("operations", tests, NULL, NULL);
}
