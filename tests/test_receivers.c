/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Receivers end to end (docs/receivers.md): the real cadmond pushing the scripted shift's
 * alert to the real Alertmanager (Debian's prometheus-alertmanager, started here on
 * loopback), checked through its GET /api/v2/alerts, firing then resolved; and to a scripted
 * webhook in this process that answers 500 to the first requests: the retries with backoff,
 * the exact body and its HMAC-SHA256 signature, and the receiver_down system alert raised
 * and resolved on a console.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "shift_fixture.h"

#define LINE_MAX_BYTES 8192
#define HTTP_MAX_BYTES 65536
#define WAIT_MS 15000
#define SECRET "s3cret-for-the-test"

/* ---- a scripted HTTP receiver ------------------------------------------------------- */

#define SCRIPTED_MAX_REQUESTS 16

struct scripted_request {
	int64_t at_ms;
	char path[128];
	char signature[128];
	char *body;
};

struct scripted {
	int listen_fd;
	uint16_t port;
	int failures; /* answer 500 to this many requests first */
	int delay_ms; /* wait this long before each answer: a slow receiver */
	pthread_t thread;
	pthread_mutex_t lock;
	struct scripted_request requests[SCRIPTED_MAX_REQUESTS];
	int count;
	bool stop;
};

/* The value of header name (lowercase) in head, or "". */
static int http_get(uint16_t port, const char *path, char **body);

static void header_value(const char *head, const char *name, char *out, size_t size)
{
	const char *line = head;

	out[0] = '\0';
	while ((line = strstr(line, "\r\n"))) {
		line += 2;
		if (strncasecmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ':') {
			const char *value = line + strlen(name) + 1, *end = strstr(value, "\r\n");
			while (*value == ' ')
				value++;
			snprintf(out, size, "%.*s", (int)(end ? end - value : (long)strlen(value)),
				 value);
			return;
		}
	}
}

/* Read one request (head and Content-Length body) from fd into request; 0 or -1. */
static int read_request(int fd, struct scripted_request *request)
{
	char buffer[HTTP_MAX_BYTES + 1] = "", length[32];
	size_t got = 0;
	char *end = NULL;

	while (!(end = strstr(buffer, "\r\n\r\n"))) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (got == HTTP_MAX_BYTES || poll(&p, 1, 5000) <= 0)
			return -1;
		ssize_t n = read(fd, buffer + got, HTTP_MAX_BYTES - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		buffer[got] = '\0';
	}
	*end = '\0';
	header_value(buffer, "content-length", length, sizeof length);
	size_t body_len = (size_t)strtoul(length, NULL, 10),
	       have = got - (size_t)(end + 4 - buffer);
	request->body = calloc(1, body_len + 1);
	memcpy(request->body, end + 4, have < body_len ? have : body_len);
	while (have < body_len) {
		ssize_t n = read(fd, request->body + have, body_len - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	sscanf(buffer, "POST %127s", request->path);
	header_value(buffer, "x-cadmon-signature", request->signature, sizeof request->signature);
	request->at_ms = harness_now_ms();
	return 0;
}

static void *scripted_serve(void *ctx)
{
	struct scripted *server = ctx;

	for (;;) {
		struct pollfd p = {.fd = server->listen_fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0) {
			pthread_mutex_lock(&server->lock);
			bool stop = server->stop;
			pthread_mutex_unlock(&server->lock);
			if (stop)
				return NULL;
			continue;
		}
		int fd = accept(server->listen_fd, NULL, NULL);
		struct scripted_request request = {.body = NULL};
		if (fd < 0)
			continue;
		while (read_request(fd, &request) == 0) {
			pthread_mutex_lock(&server->lock);
			bool fail = server->count < server->failures;
			if (server->count < SCRIPTED_MAX_REQUESTS)
				server->requests[server->count++] = request;
			else
				free(request.body);
			pthread_mutex_unlock(&server->lock);
			request.body = NULL;
			usleep((useconds_t)server->delay_ms * 1000);
			const char *reply = fail ? "HTTP/1.1 500 Internal Server "
						   "Error\r\nContent-Length: 0\r\n\r\n"
						 : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
			if (write(fd, reply, strlen(reply)) < 0)
				break;
		}
		free(request.body);
		close(fd);
	}
}

static void scripted_start(struct scripted *server, int failures)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof address;

	memset(server, 0, sizeof *server);
	server->failures = failures;
	pthread_mutex_init(&server->lock, NULL);
	server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(server->listen_fd >= 0);
	assert_int_equal(bind(server->listen_fd, (struct sockaddr *)&address, sizeof address), 0);
	assert_int_equal(listen(server->listen_fd, 16), 0);
	assert_int_equal(getsockname(server->listen_fd, (struct sockaddr *)&address, &len), 0);
	server->port = ntohs(address.sin_port);
	assert_int_equal(pthread_create(&server->thread, NULL, scripted_serve, server), 0);
}

static int scripted_count(struct scripted *server)
{
	pthread_mutex_lock(&server->lock);
	int count = server->count;
	pthread_mutex_unlock(&server->lock);
	return count;
}

static void scripted_stop(struct scripted *server)
{
	pthread_mutex_lock(&server->lock);
	server->stop = true;
	pthread_mutex_unlock(&server->lock);
	pthread_join(server->thread, NULL);
	close(server->listen_fd);
	for (int i = 0; i < server->count; i++)
		free(server->requests[i].body);
}

static void expected_signature(const char *body, char *out, size_t size)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	size_t len;

	assert_non_null(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)body,
			     strlen(body), digest, &digest_len));
	assert_int_equal(digest_len, 32);
	len = (size_t)snprintf(out, size, "sha256=");
	for (unsigned int i = 0; i < digest_len; i++)
		len += (size_t)snprintf(out + len, size - len, "%02x", digest[i]);
}

/* ---- helpers ------------------------------------------------------------------------ */

static void send_lines(const struct harness *h, const char *const *lines, size_t count)
{
	int feed = harness_connect_feed(h);

	assert_true(feed >= 0);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(harness_send(feed, lines[i]), 0);
	close(feed);
}

static int console_open(const struct harness *h)
{
	int fd = harness_connect_subscriber(h);
	char line[LINE_MAX_BYTES];

	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	assert_true(harness_read_line(fd, line, sizeof line, WAIT_MS) > 0); /* board begin */
	assert_true(harness_read_line(fd, line, sizeof line, WAIT_MS) > 0); /* board end */
	return fd;
}

static void read_line(int fd, char *line)
{
	assert_true(harness_read_line(fd, line, LINE_MAX_BYTES, WAIT_MS) > 0);
}

/* cadmond logged needle (within timeout_ms); else its log is shown. */
static void expect_logged(const struct harness *h, const char *needle, int timeout_ms)
{
	if (!harness_wait_for_log(h, needle, timeout_ms)) {
		char *text = harness_stderr(h);
		fprintf(stderr, "not logged: %s\ncadmond's log:\n%s\n", needle, text ? text : "");
		free(text);
		fail();
	}
}

/* ---- the scripted webhook ----------------------------------------------------------- */


/* Three 500s, then 200s: the firing notice is retried with backoff (base 200 ms, doubled,
 * capped at 800 ms, +-25% jitter) and arrives on the fourth attempt, signed; the second
 * failure raises receiver_down, the delivery resolves it; both reach the webhook too. */
static void test_webhook_retries_signature_and_down(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char secret_path[PATH_MAX], yaml[PATH_MAX + 2048], line[LINE_MAX_BYTES], signature[128];
	char down_firing[LINE_MAX_BYTES], down_resolved[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&server, 3);
	assert_int_equal(harness_temp_file("secret", secret_path), 0);
	assert_int_equal(harness_write_file(secret_path, SECRET "\n"), 0);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - name: hook\n"
		 "    type: webhook\n"
		 "    url: \"http://127.0.0.1:%u/cadmon/notices\"\n"
		 "    timeout_ms: 2000\n"
		 "    max_retries: 10\n"
		 "    backoff_base_ms: 200\n"
		 "    backoff_max_ms: 800\n"
		 "    down_after_failures: 2\n"
		 "    hmac_secret_file: %s\n",
		 shift_detector_yaml, server.port, secret_path);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);

	expect_line(console, shift_alert);
	read_line(console, down_firing);
	expect_framed(down_firing, "{\"alert\":\"firing\",\"alert_id\":",
		      ",\"type\":\"system\",\"system\":\"receiver_down\",\"severity\":\"warning\","
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	read_line(console, down_resolved);
	expect_framed(down_resolved, "{\"alert\":\"resolved\",\"alert_id\":",
		      ",\"type\":\"system\",\"system\":\"receiver_down\",\"severity\":\"warning\","
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook delivers again\"}");
	expect_logged(&h, "receiver hook: down after 2 failed attempts in 0 s (HTTP 500)", WAIT_MS);
	expect_logged(&h, "receiver hook: delivering again after 3 failed attempts", WAIT_MS);

	for (int waited = 0; scripted_count(&server) < 6 && waited < WAIT_MS; waited += 50)
		usleep(50 * 1000);
	assert_int_equal(scripted_count(&server), 6);
	const char *const bodies[] = { shift_alert, shift_alert, shift_alert,
				       shift_alert, down_firing, down_resolved };
	for (int i = 0; i < 6; i++) {
		assert_string_equal(server.requests[i].path, "/cadmon/notices");
		assert_string_equal(server.requests[i].body, bodies[i]);
		expected_signature(bodies[i], signature, sizeof signature);
		assert_string_equal(server.requests[i].signature, signature);
	}
	/* the backoff: 200, 400, 800 ms, each within +-25% (plus scheduling slack) */
	const int64_t delays[] = {200, 400, 800};
	for (int i = 0; i < 3; i++) {
		int64_t gap = server.requests[i + 1].at_ms - server.requests[i].at_ms;
		if (gap < delays[i] * 3 / 4 || gap > delays[i] * 5 / 4 + 400)
			fail_msg("retry %d came after %lld ms, not %lld ms +-25%%", i + 1,
				 (long long)gap, (long long)delays[i]);
	}
	close(console);
	char *metrics = NULL;
	assert_int_equal(http_get(h.http_port, "/metrics", &metrics), 200);
	assert_non_null(
		strstr(metrics, "\ncadmon_receiver_delivered_total{receiver=\"hook\"} 3\n"));
	assert_non_null(strstr(metrics, "\ncadmon_receiver_failed_total{receiver=\"hook\"} 3\n"));
	assert_non_null(strstr(metrics, "\ncadmon_receiver_retries_total{receiver=\"hook\"} 3\n"));
	assert_non_null(strstr(metrics, "\ncadmon_receiver_dropped_total{receiver=\"hook\"} 0\n"));
	assert_non_null(strstr(metrics, "\ncadmon_receiver_queued{receiver=\"hook\"} 0\n"));
	assert_non_null(strstr(metrics, "\ncadmon_receiver_down{receiver=\"hook\"} 0\n"));
	free(metrics);
	assert_int_equal(harness_stop(&h), 0);
	expect_logged(&h,
		      "receiver hook: 3 delivered, 3 failed attempts, 3 retries, 0 dropped, 0 "
		      "unsent at the stop",
		      0);
	harness_cleanup(&h);
	unlink(secret_path);
	scripted_stop(&server);
	(void)line;
}

/* The shift's alert as a webhook with redact_ani: last4 receives it. */
#define SHIFT_ALERT_LAST4_C4 "\"call_id\":\"c4\",\"ani\":\"******0104\""
#define SHIFT_ALERT_LAST4_C1 "\"call_id\":\"c1\",\"ani\":\"******0101\""

/* redact_ani per receiver: the webhook with last4 gets the notice with every digit but the
 * last 4 of each caller's number hidden, the one with all gets "***", the console (no auth)
 * the full numbers; every other byte is the same. */
static void test_webhook_redaction(void **state)
{
	struct harness h = {0};
	static struct scripted last4, all; /* static: their threads outlive a failed assertion */
	char yaml[2048], expected[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&last4, 0);
	scripted_start(&all, 0);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: outside, type: webhook, url: \"http://127.0.0.1:%u/\", redact_ani: "
		 "last4}\n"
		 "  - {name: vendor, type: webhook, url: \"http://127.0.0.1:%u/\", redact_ani: "
		 "all}\n",
		 shift_detector_yaml, last4.port, all.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);
	for (int waited = 0;
	     (scripted_count(&last4) < 1 || scripted_count(&all) < 1) && waited < WAIT_MS;
	     waited += 50)
		usleep(50 * 1000);
	assert_int_equal(scripted_count(&last4), 1);
	assert_int_equal(scripted_count(&all), 1);
	snprintf(expected, sizeof expected, "%s", shift_alert);
	memcpy(strstr(expected, "5045550104"), "******0104", 10);
	memcpy(strstr(expected, "5045550101"), "******0101", 10);
	assert_string_equal(last4.requests[0].body, expected);
	assert_non_null(strstr(last4.requests[0].body, SHIFT_ALERT_LAST4_C4));
	assert_non_null(strstr(last4.requests[0].body, SHIFT_ALERT_LAST4_C1));
	assert_non_null(strstr(all.requests[0].body, "{\"call_id\":\"c4\",\"ani\":\"***\",\"ts\""));
	assert_non_null(strstr(all.requests[0].body, "{\"call_id\":\"c1\",\"ani\":\"***\",\"ts\""));
	assert_int_equal(strlen(all.requests[0].body), strlen(shift_alert) - 2 * (10 - 3));
	assert_null(strstr(all.requests[0].body, "504555"));
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&last4);
	scripted_stop(&all);
}

/* max_queue 1: while the firing notice waits for its retry, the receiver_down notice queued
 * behind it is dropped for the acknowledgement's (the oldest goes), counted and logged, and
 * the limit alert of the receiver's queue raised (its notice pushes out the
 * acknowledgement's); once the receiver answers, what is left arrives in order. */
static void test_queue_drops_oldest(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], line[LINE_MAX_BYTES], acked[LINE_MAX_BYTES], resolved[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&server, 1);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: hook, type: webhook, url: \"http://127.0.0.1:%u/\", max_queue: 1, "
		 "backoff_base_ms: 3000,"
		 " backoff_max_ms: 3000, down_after_failures: 1}\n",
		 shift_detector_yaml, server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	assert_int_equal(
		harness_send(console,
			     "{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-1\",\"note\":\"\"}\n"),
		0);
	read_line(console, acked);
	expect_framed(acked,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,",
		      "}");
	expect_logged(
		&h,
		"receiver hook: queue full (max_queue 1): oldest request dropped, 1 dropped so far",
		WAIT_MS);
	/* the drop raises the limit alert of the receiver's queue at the next tick (its notice
	 * pushes out the acknowledgement's) */
	expect_limit_alert(console, "receivers[hook].max_queue", true,
			   "notices dropped for receiver hook (receivers[hook].max_queue reached): "
			   "%" PRIu64 " so far; it takes them more slowly than they come, or raise "
			   "receivers[hook].max_queue");
	read_line(console, resolved);
	expect_framed(resolved, "{\"alert\":\"resolved\",\"alert_id\":\"",
		      "\"message\":\"receiver hook delivers again\"}");

	for (int waited = 0; scripted_count(&server) < 4 && waited < WAIT_MS; waited += 50)
		usleep(50 * 1000);
	assert_int_equal(scripted_count(&server), 4);
	const char *const bodies[] = {shift_alert, shift_alert, NULL, resolved};
	for (int i = 0; i < 4; i++) {
		if (bodies[i])
			assert_string_equal(server.requests[i].body, bodies[i]);
		assert_string_equal(server.requests[i].signature, ""); /* no secret: unsigned */
	}
	expect_framed(
		server.requests[2].body, "{\"alert\":\"firing\",\"alert_id\":\"",
		"\"limit\":\"receivers[hook].max_queue\",\"evicted\":1,\"message\":\"notices "
		"dropped for receiver hook (receivers[hook].max_queue reached): 1 so far; it "
		"takes them more slowly than they come, or raise receivers[hook].max_queue\"}");
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	expect_logged(&h,
		      "receiver hook: 3 delivered, 1 failed attempts, 1 retries, 2 dropped, 0 "
		      "unsent at the stop",
		      0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* Every premature call an alert at once (info, no escalation), with more detector keys
 * (resolve); warnings logged once a second; the receivers: section follows. */
#define EVERY_CALL_YAML_WITH(resolve)                                                      \
	"detector:\n" resolve                                                                \
	"  premature: {max_talk_seconds: 20}\n"                                              \
	"  escalate_unacked_after_seconds: {info: 0, warning: 0, critical: 0}\n"             \
	"  rules: [{name: every, window_seconds: 60, min_calls: 1, min_premature: 1, "       \
	"severity: info}]\n"                                                                 \
	"log: {rate_limit_seconds: 1}\n"                                                     \
	"receivers:\n"
#define EVERY_CALL_YAML EVERY_CALL_YAML_WITH("")

/* A receiver that answers every request, slowly (300 ms), with max_queue 1: four alerts at
 * once drop notices although no attempt fails (no receiver_down). The drops raise a limit
 * alert keyed receivers[slow].max_queue naming the receiver, resolved once none was dropped
 * for detector.resolve_after_seconds (1 here). */
static void test_slow_receiver_drops_raise_limit_alert(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], lines[4][2][256];
	(void)state;

	scripted_start(&server, 0);
	server.delay_ms = 300;
	snprintf(yaml, sizeof yaml, "%s"
		 "  - {name: slow, type: webhook, url: \"http://127.0.0.1:%u/\", max_queue: 1}\n",
		 EVERY_CALL_YAML_WITH("  resolve_after_seconds: 1\n"), server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	int feed = harness_connect_feed(&h);
	assert_true(feed >= 0);
	char batch[2048] = "";
	for (int i = 0; i < 4; i++) {
		snprintf(lines[i][0], sizeof lines[i][0],
			 "{\"type\":\"call_start\",\"call_id\":\"c%d\",\"ts\":"
			 "\"2026-11-29T08:00:0%dZ\",\"operator\":\"op-%d\"}\n",
			 i, i, i);
		snprintf(lines[i][1], sizeof lines[i][1],
			 "{\"type\":\"call_end\",\"call_id\":\"c%d\",\"ts\":"
			 "\"2026-11-29T08:00:1%dZ\",\"released_by\":\"operator\"}\n",
			 i, i);
		strcat(batch, lines[i][0]);
		strcat(batch, lines[i][1]);
	}
	assert_int_equal(harness_send(feed, batch), 0); /* one write: four alerts at once */
	uint64_t dropped = expect_limit_alert(
		console, "receivers[slow].max_queue", true,
		"notices dropped for receiver slow (receivers[slow].max_queue reached): %" PRIu64
		" so far; it takes them more slowly than they come, or raise "
		"receivers[slow].max_queue");
	expect_logged(&h, "receiver slow: queue full (max_queue 1): oldest request dropped, 1 "
			  "dropped so far",
		      0);
	uint64_t in_all = expect_limit_alert(
		console, "receivers[slow].max_queue", false,
		"no notice dropped (receivers[slow].max_queue) for 1 s; %" PRIu64 " in all");
	assert_true(in_all >= dropped);
	/* logged with the resolving alert, written once that alert is delivered (log.h) */
	expect_logged(&h, "receiver slow: no request dropped for a full queue for 1 s", WAIT_MS);
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* A request dropped after its retries is not a full queue: no receivers[].max_queue alert
 * (receiver_down tells failures); the next line on the console is the next shift alert. */
static void test_failed_drop_is_not_a_full_queue(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], line[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&server, 1);
	snprintf(yaml, sizeof yaml, "%s"
		 "  - {name: flaky, type: webhook, url: \"http://127.0.0.1:%u/\", max_retries: 0,"
		 " down_after_failures: 1000}\n",
		 EVERY_CALL_YAML, server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	int feed = harness_connect_feed(&h);
	assert_true(feed >= 0);
	assert_int_equal(harness_send(feed,
				      "{\"type\":\"call_start\",\"call_id\":\"c0\",\"ts\":"
				      "\"2026-11-29T08:00:00Z\",\"operator\":\"op-0\"}\n"
				      "{\"type\":\"call_end\",\"call_id\":\"c0\",\"ts\":"
				      "\"2026-11-29T08:00:10Z\",\"released_by\":\"operator\"}\n"),
			 0);
	read_line(console, line);
	assert_non_null(strstr(line, "\"alert\":\"firing\""));
	assert_non_null(strstr(line, "\"operator\":\"op-0\""));
	expect_logged(&h, "receiver flaky: request dropped after 1 attempts, 1 dropped so far",
		      WAIT_MS);
	usleep(2500 * 1000); /* two of the limits' ticks (log.rate_limit_seconds 1) */
	assert_int_equal(harness_send(feed,
				      "{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":"
				      "\"2026-11-29T08:01:00Z\",\"operator\":\"op-1\"}\n"
				      "{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":"
				      "\"2026-11-29T08:01:10Z\",\"released_by\":\"operator\"}\n"),
			 0);
	read_line(console, line);
	assert_non_null(strstr(line, "\"alert\":\"firing\""));
	assert_non_null(strstr(line, "\"operator\":\"op-1\""));
	close(feed);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* An Alertmanager receiver re-posts its open alerts every resend_seconds, to the path under
 * the url's, and nothing once they are resolved. */
static void test_alertmanager_resend(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048];
	(void)state;

	scripted_start(&server, 0);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: pager, type: alertmanager, url: \"http://127.0.0.1:%u/am/\", "
		 "resend_seconds: 1}\n",
		 shift_detector_yaml, server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	send_lines(&h, shift_lines, shift_line_count);
	for (int waited = 0; scripted_count(&server) < 3 && waited < WAIT_MS; waited += 50)
		usleep(50 * 1000);
	assert_true(scripted_count(&server) >= 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(server.requests[i].path, "/am/api/v2/alerts");
		assert_string_equal(server.requests[i].body, server.requests[0].body);
		assert_string_equal(server.requests[i].signature, "");
	}
	assert_non_null(
		strstr(server.requests[0].body, "\"alertname\":\"CadmonPrematureHangups\""));
	int64_t gap = server.requests[2].at_ms - server.requests[1].at_ms;
	if (gap < 900 || gap > 1600)
		fail_msg("re-posted after %lld ms, not every 1000 ms", (long long)gap);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* Failing for down_after_seconds is down too, however few the attempts. */
static void test_down_after_seconds(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], line[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&server, SCRIPTED_MAX_REQUESTS);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: hook, type: webhook, url: \"http://127.0.0.1:%u/\", backoff_base_ms: "
		 "400,"
		 " backoff_max_ms: 400, down_after_failures: 1000, down_after_seconds: 1}\n",
		 shift_detector_yaml, server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	/* attempts at least 300 ms apart (backoff 400 ms, jittered), later on a loaded machine: the
	 * first a second after the first attempt is the second to the fifth, never the 1000th */
	expect_logged(&h, " failed attempts in 1 s (HTTP 500)", WAIT_MS);
	char *log = harness_stderr(&h);
	assert_non_null(log);
	const char *down = strstr(log, "receiver hook: down after ");
	unsigned attempts = 0;
	char rest[64] = "";
	assert_non_null(down);
	assert_int_equal(sscanf(down,
				"receiver hook: down after %u failed attempts in 1 s %63[^\n]",
				&attempts, rest),
			 2);
	assert_string_equal(rest, "(HTTP 500)");
	if (attempts < 2 || attempts > 5)
		fail_msg("down after %u attempts, not 2 to 5", attempts);
	free(log);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* receiver_down is journaled as a control line: after kill -9 the recovery replays it (the
 * restarted daemon's board has it open); the restarted receiver knows it is down, and its
 * next delivery (the acknowledgement's notice) resolves it. */
static void test_receiver_down_survives_kill(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], line[LINE_MAX_BYTES], down_firing[LINE_MAX_BYTES], alert_id[17];
	(void)state;

	scripted_start(&server, SCRIPTED_MAX_REQUESTS);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: hook, type: webhook, url: \"http://127.0.0.1:%u/\", backoff_base_ms: "
		 "60000,"
		 " backoff_max_ms: 60000, down_after_failures: 1}\n",
		 shift_detector_yaml, server.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);
	read_line(console, down_firing);
	expect_framed(down_firing, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	memcpy(alert_id, down_firing + strlen("{\"alert\":\"firing\",\"alert_id\":\""), 16);
	alert_id[16] = '\0';
	char *health = NULL;
	assert_int_equal(http_get(h.http_port, "/healthz", &health), 503);
	assert_string_equal(health, "receiver_down: receiver hook cannot deliver notices (HTTP "
				    "500); they are queued and "
				    "retried\n");
	free(health);
	close(console);
	assert_int_equal(kill(h.pid, SIGKILL), 0);
	assert_int_equal(waitpid(h.pid, NULL, 0), h.pid);
	h.pid = 0;

	pthread_mutex_lock(&server.lock);
	server.failures = 0;
	for (int i = 0; i < server.count; i++)
		free(server.requests[i].body);
	server.count = SCRIPTED_MAX_REQUESTS; /* keeps nothing more: only the answers matter now */
	pthread_mutex_unlock(&server.lock);
	assert_int_equal(harness_start(&h, &options), 0);
	console = harness_connect_subscriber(&h);
	assert_true(console >= 0);
	expect_line(console, hello_line);
	expect_line(console, "{\"board\":\"begin\",\"seq\":2,\"open\":2}");
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"open\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,",
		      "]}");
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"open\",\"alert_id\":\"",
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	assert_non_null(strstr(line, alert_id));
	expect_line(console, "{\"board\":\"end\",\"seq\":2,\"open\":2}");
	assert_int_equal(
		harness_send(console,
			     "{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-1\",\"note\":\"\"}\n"),
		0);
	read_line(console, line);
	expect_framed(line,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,",
		      "}");
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"resolved\",\"alert_id\":\"", "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook delivers again\"}");
	assert_non_null(strstr(line, alert_id));
	assert_non_null(strstr(line, "\"seq\":4,"));
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	server.count = 0;
	scripted_stop(&server);
}

/* The board of the restarted cadmond (seq 6, the acknowledged alert open). The two resolves
 * (seq 5 and 6) are logged before they are committed: a console that connects in between is
 * sent those committed after it connected first, as the history it missed, then the board. */
static void expect_resolves_then_board(int console)
{
	static const char resolved[] = "{\"alert\":\"resolved\",";
	char line[LINE_MAX_BYTES];

	read_line(console, line);
	if (strncmp(line, resolved, strlen(resolved)) == 0 && strstr(line, "\"seq\":5,")) {
		expect_framed(
			line, "{\"alert\":\"resolved\",\"alert_id\":\"",
			"\"type\":\"system\",\"system\":\"receiver_down\",\"severity\":\"warning\","
			"\"receiver\":\"hook\",\"message\":\"receiver hook no longer watched: "
			"it is no longer configured\"}");
		read_line(console, line);
	}
	if (strncmp(line, resolved, strlen(resolved)) == 0 && strstr(line, "\"seq\":6,")) {
		expect_framed(
			line, "{\"alert\":\"resolved\",\"alert_id\":\"",
			"\"message\":\"receivers[hook].max_queue no longer watched: that receiver "
			"is no longer configured\"}");
		read_line(console, line);
	}
	assert_string_equal(line, "{\"board\":\"begin\",\"seq\":6,\"open\":1}");
}

/* A receiver taken out of the configuration while its receiver_down and max_queue alerts are
 * open: the next start resolves both (journaled, saying why); they would never resolve. */
static void test_removed_receiver_alerts_resolve(void **state)
{
	struct harness h = {0};
	static struct scripted server; /* static: its thread outlives a failed assertion */
	char yaml[2048], line[LINE_MAX_BYTES];
	(void)state;

	scripted_start(&server, SCRIPTED_MAX_REQUESTS);
	snprintf(yaml, sizeof yaml,
		 "%sreceivers:\n"
		 "  - {name: hook, type: webhook, url: \"http://127.0.0.1:%u/\", backoff_base_ms: "
		 "60000, backoff_max_ms: 60000, down_after_failures: 1, max_queue: 1}\n",
		 shift_detector_yaml, server.port);
	struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"firing\",\"alert_id\":\"",
		      "\"receiver\":\"hook\","
		      "\"message\":\"receiver hook cannot deliver notices (HTTP 500); they are "
		      "queued and retried\"}");
	/* the acknowledgement's notice finds the queue full (the down notice waits in it) */
	assert_int_equal(
		harness_send(console,
			     "{\"ack\":\"6033274aee8baf5c\",\"by\":\"sup-1\",\"note\":\"\"}\n"),
		0);
	read_line(console, line);
	expect_framed(line,
		      "{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,",
		      "}");
	expect_limit_alert(console, "receivers[hook].max_queue", true,
			   "notices dropped for receiver hook (receivers[hook].max_queue reached): "
			   "%" PRIu64 " so far; it takes them more slowly than they come, or raise "
			   "receivers[hook].max_queue");
	close(console);
	assert_int_equal(harness_stop(&h), 0);

	options.extra_yaml = shift_detector_yaml;
	assert_int_equal(harness_start(&h, &options), 0);
	expect_logged(&h,
		      "receiver_down resolved (warning): receiver hook no longer watched: it is no "
		      "longer configured",
		      WAIT_MS);
	expect_logged(&h,
		      "limit resolved (warning): receivers[hook].max_queue no longer watched: that "
		      "receiver is no longer configured",
		      WAIT_MS);
	console = harness_connect_subscriber(&h);
	assert_true(console >= 0);
	expect_line(console, hello_line);
	expect_resolves_then_board(console);
	read_line(console, line);
	expect_framed(line, "{\"alert\":\"open\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,",
		      "Z\"}}");
	assert_non_null(strstr(line, ",\"acknowledged\":{\"by\":\"sup-1\",\"note\":\"\",\"ts\":"));
	expect_line(console, "{\"board\":\"end\",\"seq\":6,\"open\":1}");
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	harness_cleanup(&h);
	scripted_stop(&server);
}

/* ---- the real Alertmanager ---------------------------------------------------------- */

struct alertmanager {
	pid_t pid;
	uint16_t port;
	char dir[PATH_MAX];
};

/* GET path from 127.0.0.1:port: the status code, the body (malloc'd) in *body. */
static int http_get(uint16_t port, const char *path, char **body)
{
	char request[256], *response = calloc(1, HTTP_MAX_BYTES + 1);
	size_t got = 0;
	int fd = harness_connect(port), code = -1;

	*body = NULL;
	if (fd < 0) {
		free(response);
		return -1;
	}
	snprintf(request, sizeof request,
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", path, port);
	if (harness_send(fd, request) == 0) {
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (got == HTTP_MAX_BYTES || poll(&p, 1, 5000) <= 0)
				break;
			ssize_t n = read(fd, response + got, HTTP_MAX_BYTES - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	close(fd);
	char *start = strstr(response, "\r\n\r\n");
	if (sscanf(response, "HTTP/1.1 %d", &code) == 1 && start)
		*body = strdup(start + 4);
	free(response);
	return *body ? code : -1;
}

static void alertmanager_start(struct alertmanager *am)
{
	char config[PATH_MAX + 32], config_arg[PATH_MAX + 64], storage_arg[PATH_MAX + 32],
		listen_arg[64], log_path[PATH_MAX + 32];
	char *body = NULL;

	assert_int_equal(harness_temp_dir("alertmanager", am->dir), 0);
	snprintf(config, sizeof config, "%s/alertmanager.yml", am->dir);
	snprintf(log_path, sizeof log_path, "%s/log", am->dir);
	assert_int_equal(
		harness_write_file(
			config, "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"),
		0);
	assert_int_equal(harness_pick_ports(&am->port, 1), 0);
	snprintf(config_arg, sizeof config_arg, "--config.file=%s", config);
	snprintf(storage_arg, sizeof storage_arg, "--storage.path=%s", am->dir);
	snprintf(listen_arg, sizeof listen_arg, "--web.listen-address=127.0.0.1:%u", am->port);
	am->pid = fork();
	assert_true(am->pid >= 0);
	if (am->pid == 0) {
		int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (log_fd >= 0) {
			dup2(log_fd, STDOUT_FILENO);
			dup2(log_fd, STDERR_FILENO);
		}
		const char *program =
			getenv("ALERTMANAGER") ? getenv("ALERTMANAGER") : "prometheus-alertmanager";
		execlp(program, program, config_arg, storage_arg, listen_arg,
		       "--cluster.listen-address=", (char *)NULL);
		_exit(127);
	}
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		int code = http_get(am->port, "/-/ready", &body);
		free(body);
		if (code == 200)
			return;
		usleep(100 * 1000);
	}
	fail_msg("alertmanager did not become ready on port %u (log: %s)", am->port, log_path);
}

static void alertmanager_stop(struct alertmanager *am)
{
	if (am->pid > 0) {
		kill(am->pid, SIGTERM);
		for (int waited = 0; waited < 5000 && waitpid(am->pid, NULL, WNOHANG) == 0;
		     waited += 50)
			usleep(50 * 1000);
		if (kill(am->pid, 0) == 0) {
			kill(am->pid, SIGKILL);
			waitpid(am->pid, NULL, 0);
		}
		am->pid = 0;
	}
	harness_remove_tree(am->dir);
}

/* Alertmanager's alerts (GET /api/v2/alerts), parsed. */
static struct json_object *alertmanager_alerts(const struct alertmanager *am)
{
	char *body = NULL;
	int code = http_get(am->port, "/api/v2/alerts", &body);
	struct json_object *alerts = body ? json_tokener_parse(body) : NULL;

	free(body);
	assert_int_equal(code, 200);
	assert_non_null(alerts);
	assert_true(json_object_is_type(alerts, json_type_array));
	return alerts;
}

static const char *string_at(struct json_object *object, const char *key)
{
	struct json_object *value;

	assert_true(json_object_object_get_ex(object, key, &value));
	return json_object_get_string(value);
}

/* Later events of op-8 only: op-7's calls leave the window at 08:14:30, and the alert
 * resolves 60 s of event time later. */
static const char *const later_lines[] = {
	"{\"type\":\"call_start\",\"call_id\":\"h2\",\"ts\":\"2026-11-29T08:20:00Z\",\"operator\":"
	"\"op-8\","
	"\"agency\":\"NOPD\",\"position\":\"P4\",\"ani\":\"5045550198\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"h2\",\"ts\":\"2026-11-29T08:22:00Z\",\"released_by\":"
	"\"caller\"}\n",
};

static void test_alertmanager(void **state)
{
	struct alertmanager am = {0};
	struct harness h = {0};
	char yaml[2048], resolved[LINE_MAX_BYTES];
	struct json_object *alerts = NULL;
	(void)state;

	alertmanager_start(&am);
	snprintf(yaml, sizeof yaml,
		 "detector:\n"
		 "  premature:\n"
		 "    max_talk_seconds: 20\n"
		 "  resolve_after_seconds: 60\n"
		 "  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, "
		 "min_ratio: 0.5, severity: critical}]\n"
		 "receivers:\n"
		 "  - name: pager\n"
		 "    type: alertmanager\n"
		 "    url: \"http://localhost:%u\"\n" /* a name: resolved without blocking */
		 "    timeout_ms: 2000\n"
		 "    backoff_base_ms: 100\n",
		 am.port);
	const struct harness_options options = {.extra_yaml = yaml};
	assert_int_equal(harness_start(&h, &options), 0);
	int console = console_open(&h);
	send_lines(&h, shift_lines, shift_line_count);
	expect_line(console, shift_alert);

	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		alerts = alertmanager_alerts(&am);
		if (json_object_array_length(alerts) > 0)
			break;
		json_object_put(alerts);
		alerts = NULL;
		usleep(100 * 1000);
	}
	assert_non_null(alerts);
	assert_int_equal(json_object_array_length(alerts), 1);
	struct json_object *alert = json_object_array_get_idx(alerts, 0), *labels, *annotations,
			   *status;
	assert_true(json_object_object_get_ex(alert, "labels", &labels));
	assert_string_equal(json_object_to_json_string_ext(labels, JSON_C_TO_STRING_PLAIN),
			    "{\"agency\":\"NOPD\",\"alertname\":\"CadmonPrematureHangups\","
			    "\"operator\":\"op-7\","
			    "\"rule\":\"burst\",\"severity\":\"critical\"}");
	assert_true(json_object_object_get_ex(alert, "annotations", &annotations));
	assert_string_equal(string_at(annotations, "summary"),
			    "call-taker op-7 of NOPD at position P3: 3 premature hangups in 4 "
			    "calls (ratio 0.75, "
			    "rest of the center 0) within 600 s, rule burst");
	assert_string_equal(string_at(annotations, "callbacks"),
			    "5045550104, call c2 (no number), 5045550101");
	assert_string_equal(string_at(annotations, "alert_id"), "6033274aee8baf5c");
	assert_string_equal(string_at(alert, "startsAt"), "2026-11-29T08:04:30.000Z");
	assert_true(json_object_object_get_ex(alert, "status", &status));
	assert_string_equal(string_at(status, "state"), "active");
	json_object_put(alerts);

	send_lines(&h, later_lines, 2);
	read_line(console, resolved);
	expect_framed(resolved, "{\"alert\":\"resolved\",\"alert_id\":\"6033274aee8baf5c\",", "}");
	/* endsAt in the past: Alertmanager no longer lists it as an alert */
	size_t open = 1;
	for (int waited = 0; open > 0 && waited < WAIT_MS; waited += 100) {
		alerts = alertmanager_alerts(&am);
		open = json_object_array_length(alerts);
		json_object_put(alerts);
		if (open > 0)
			usleep(100 * 1000);
	}
	assert_int_equal(open, 0);

	/* a reload keeps the running receivers: they are set up at start */
	char *timeout = strstr(yaml, "timeout_ms: 2000");
	assert_non_null(timeout);
	memcpy(timeout, "timeout_ms: 3000", strlen("timeout_ms: 3000"));
	assert_int_equal(harness_write_config(&h, &options), 0);
	assert_int_equal(harness_signal(&h, SIGHUP), 0);
	expect_logged(&h,
		      "cadmond: warning: reload: receivers.pager.timeout_ms: 2000 -> 3000 takes "
		      "effect at the "
		      "next restart; kept 2000\n",
		      WAIT_MS);
	expect_logged(&h,
		      "reload: receivers: changes take effect at the next restart; the running "
		      "receivers are kept",
		      WAIT_MS);
	close(console);
	assert_int_equal(harness_stop(&h), 0);
	expect_logged(&h,
		      "receiver pager: 2 delivered, 0 failed attempts, 0 retries, 0 dropped, 0 "
		      "unsent at the stop",
		      0);
	harness_cleanup(&h);
	alertmanager_stop(&am);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_retries_signature_and_down),
		cmocka_unit_test(test_webhook_redaction),
		cmocka_unit_test(test_queue_drops_oldest),
		cmocka_unit_test(test_slow_receiver_drops_raise_limit_alert),
		cmocka_unit_test(test_failed_drop_is_not_a_full_queue),
		cmocka_unit_test(test_alertmanager_resend),
		cmocka_unit_test(test_down_after_seconds),
		cmocka_unit_test(test_receiver_down_survives_kill),
		cmocka_unit_test(test_removed_receiver_alerts_resolve),
		cmocka_unit_test(test_alertmanager),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
