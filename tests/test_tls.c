/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

/*
 * TLS on the real cadmond (docs/security.md, "TLS and mutual TLS"), with certificates made at test
 * time by
 * tests/tls/make-certs.sh ($CADMON_MAKE_CERTS): a feed over mutual TLS raises exactly the
 * alert it raises over TCP, and every line once and in order when the snapshot budget cuts
 * its passes short; every refusal (no client certificate, another CA, expired, a
 * hello naming another source, an event before any hello, TLS 1.1, a weak cipher, plain HTTP
 * on the HTTPS port) is logged with the peer and counted in /metrics; consoles and HTTP over
 * TLS; a renewed certificate reloaded under an open connection; a readable key refused.
 */

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "flood_fixture.h"
#include "shift_fixture.h"
#include "tls_client.h"

#define MAX_CLIENTS 8
#define YAML_MAX 8192
#define METRICS_MAX 65536
#define DIR_MAX 1024 /* the temporary directories' paths (a file in one fits in PATH_MAX) */

static char certs[DIR_MAX]; /* made once for the whole file */

struct fixture {
	struct harness harness;
	struct tls_client clients[MAX_CLIENTS];
	size_t client_count;
	char yaml[YAML_MAX];
	char dir[DIR_MAX]; /* a test's own copies of files it changes */
};

/* A new temporary directory into dir (DIR_MAX bytes). */
static int temp_dir(const char *what, char *dir)
{
	char path[PATH_MAX];

	if (harness_temp_dir(what, path) < 0 || strlen(path) >= DIR_MAX)
		return -1;
	memcpy(dir, path, strlen(path) + 1);
	return 0;
}

static int make_certs(void **state)
{
	const char *script = getenv("CADMON_MAKE_CERTS");
	char command[PATH_MAX + DIR_MAX];

	(void)state;
	if (!script || strlen(script) >= PATH_MAX || temp_dir("certs", certs) < 0)
		return -1;
	snprintf(command, sizeof command, "sh '%s' '%s'", script, certs);
	return system(command) == 0 ? 0 : -1;
}

static int remove_certs(void **state)
{
	(void)state;
	return harness_remove_tree(certs);
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	*state = f;
	return f ? 0 : -1;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->client_count; i++)
		tls_client_close(&f->clients[i]);
	harness_cleanup(&f->harness);
	if (f->dir[0])
		harness_remove_tree(f->dir);
	free(f);
	return 0;
}

/* sections plus a tls section whose certificate and key are in dir. */
static const char *tls_yaml_with(struct fixture *f, const char *dir, const char *sections)
{
	snprintf(f->yaml, sizeof f->yaml,
		 "%stls:\n  certificate: \"%s/server.pem\"\n  key: \"%s/server.key\"\n  client_ca: "
		 "\"%s/ca.pem\"\n",
		 sections, dir, dir, certs);
	return f->yaml;
}

/* The shift's detector plus a tls section whose certificate and key are in dir. */
static const char *tls_yaml(struct fixture *f, const char *dir)
{
	return tls_yaml_with(f, dir, shift_detector_yaml);
}

/* A client of the fixture (closed at teardown), connected or not: 0 or -1 as connected. */
static int tls_connect(struct fixture *f, uint16_t port, const char *name, struct tls_client **out,
		       const struct tls_client_options *extra)
{
	char certificate[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	struct tls_client_options options = extra ? *extra : (struct tls_client_options){ 0 };

	assert_true(f->client_count < MAX_CLIENTS);
	*out = &f->clients[f->client_count++];
	snprintf(ca, sizeof ca, "%s/ca.pem", certs);
	snprintf(certificate, sizeof certificate, "%s/%.64s.pem", certs, name ? name : "");
	snprintf(key, sizeof key, "%s/%.64s.key", certs, name ? name : "");
	options.ca = ca;
	options.certificate = name ? certificate : NULL;
	options.key = name ? key : NULL;
	return tls_client_connect(*out, port, &options);
}

/* A client that must connect; fails the test with OpenSSL's reason otherwise. */
static struct tls_client *tls_connect_ok(struct fixture *f, uint16_t port, const char *name)
{
	struct tls_client *client;

	if (tls_connect(f, port, name, &client, NULL) < 0)
		fail_msg("TLS connection to %u as %s: %s", port, name ? name : "(no certificate)",
			 client->error);
	return client;
}

static void send_shift(struct tls_client *client)
{
	for (size_t i = 0; i < shift_line_count; i++)
		assert_int_equal(tls_client_send(client, shift_lines[i]), 0);
}

/* A plain console, greeted. */
static int plain_subscriber(struct fixture *f)
{
	int fd = harness_connect_subscriber(&f->harness);

	assert_true(fd >= 0);
	expect_line(fd, hello_line);
	return fd;
}

/* GET path over plain HTTP: the whole answer. */
static char *plain_get(const struct harness *h, const char *path)
{
	char request[256], *answer = malloc(METRICS_MAX);
	int fd = harness_connect(h->http_port);
	size_t len = 0;
	ssize_t got;

	assert_non_null(answer);
	assert_true(fd >= 0);
	snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	assert_int_equal(harness_send(fd, request), 0);
	while (len + 1 < METRICS_MAX && (got = read(fd, answer + len, METRICS_MAX - 1 - len)) > 0)
		len += (size_t)got;
	answer[len] = '\0';
	close(fd);
	return answer;
}

/* /metrics has the sample line exactly (value included). */
static void expect_sample(const char *metrics, const char *listener, const char *reason,
			  unsigned value)
{
	char line[256];

	snprintf(line, sizeof line,
		 "\ncadmon_tls_handshake_failures_total{listener=\"%s\",reason=\"%s\"} %u\n",
		 listener, reason, value);
	if (!strstr(metrics, line))
		fail_msg("/metrics lacks%s--- it has:\n%s", line, metrics);
}

/* The body of an HTTP answer passes Prometheus's own check. */
static void expect_promtool_clean(const char *answer)
{
	const char *body = strstr(answer, "\r\n\r\n");
	char path[PATH_MAX], command[PATH_MAX + 64];

	assert_non_null(body);
	assert_int_equal(harness_temp_file("metrics", path), 0);
	assert_int_equal(harness_write_file(path, body + 4), 0);
	snprintf(command, sizeof command, "promtool check metrics < %s", path);
	int status = system(command);
	unlink(path);
	assert_int_equal(status, 0);
}

static const char feed_tls_yaml[] = "  tls: true\n";

/* The same shift over mutual TLS gives the very alert the TCP tests expect (test_daemon). */
static void test_feed_over_mutual_tls_raises_the_alert(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = { .feed_yaml = feed_tls_yaml,
						 .extra_yaml = tls_yaml(f, certs) };

	assert_int_equal(harness_start(&f->harness, &options), 0);
	int subscriber = plain_subscriber(f);
	struct tls_client *feed = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	assert_int_equal(tls_client_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	send_shift(feed);
	expect_line(subscriber, shift_alert);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u: source cad-1\n",
			  local_port(feed->fd));

	/* A DNS subject alternative name is a name of the certificate too. */
	struct tls_client *other = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	assert_int_equal(
		tls_client_send(other, "{\"hello\":\"feed\",\"source\":\"cad-1.example\"}\n"), 0);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u: source cad-1.example\n",
			  local_port(other->fd));
	close(subscriber);
	assert_int_equal(harness_stop(&f->harness), 0);
}

#define TLS_CALLS_PER_RECORD 20 /* 40 lines, 4.6 KB: one TLS record */

/* count (at most TLS_CALLS_PER_RECORD) calls over TLS from op-first's on, numbered, in one
 * write (one record: libevent's filter decrypts at most two records a read event, so a record
 * a call would never leave more than 4 lines to cut): the bytes sent. */
static size_t send_tls_flood_calls(struct tls_client *feed, unsigned first, unsigned count)
{
	char record[TLS_CALLS_PER_RECORD * FLOOD_CALL_LINES_MAX];
	size_t len = 0;

	assert_true(count <= TLS_CALLS_PER_RECORD);
	for (unsigned n = first; n < first + count; n++)
		len += flood_call_lines(n, true, record + len);
	assert_int_equal(tls_client_send(feed, record), 0);
	return len;
}

/* Read a TLS feed's acks until {"ack":last}: each exactly {"ack":N}, N rising. */
static void expect_tls_rising_acks(struct tls_client *feed, uint64_t last)
{
	char line[128], expected[64];
	unsigned long long seq = 0, previous = 0;

	while (seq < last) {
		assert_true(tls_client_read_line(feed, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >
			    0);
		assert_int_equal(sscanf(line, "{\"ack\":%llu}", &seq), 1);
		snprintf(expected, sizeof expected, "{\"ack\":%llu}", seq);
		assert_string_equal(line, expected);
		assert_true(seq > previous && seq <= last);
		previous = seq;
	}
}

/* A TLS feed under feed.snapshot_iteration_budget_us (1 us) while a snapshot is near (64 KiB
 * segments) or written: its passes are cut short after FEED_DEADLINE_CHECK_LINES lines while
 * libevent's filter goes on decrypting into the input (feed.h), yet every line arrives once
 * and in order: the very alerts of the plain-TCP flood, acks rising to the last seq, the
 * closing counts exact. */
static void test_feed_over_tls_under_the_snapshot_budget(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = "  tls: true\n  source_binding: none\n"
			     "  snapshot_iteration_budget_us: 1\n",
		.extra_yaml = tls_yaml_with(f, certs, FLOOD_DETECTOR_YAML FLOOD_SMALL_SEGMENTS_YAML)
	};
	struct harness *h = &f->harness;
	size_t sent = 0;
	unsigned n = 0;
	uint64_t cut_before;
	uint16_t port;

	assert_int_equal(harness_start(h, &options), 0);
	int subscriber = plain_subscriber(f);
	struct tls_client *feed = tls_connect_ok(f, h->feed_port, "cad-1");
	port = local_port(feed->fd);
	while (expect_metric_value(h, "cadmon_journal_bytes_written_total") <
	       FLOOD_NEAR_SEGMENT_END) {
		sent += send_tls_flood_calls(feed, n, 10);
		for (unsigned i = n; i < n + 10; i++)
			flood_expect_alert(subscriber, i);
		n += 10;
		expect_tls_rising_acks(feed, 2 * n);
	}
	assert_int_equal(expect_metric_value(h, "cadmon_journal_segments_created_total"), 1);
	cut_before = expect_metric_value(h, "cadmon_feed_iterations_cut_short_total");
	assert_int_equal(harness_pause(h), 0); /* the burst waits in the socket, encrypted */
	for (unsigned i = n; i < n + FLOOD_BURST_CALLS; i += TLS_CALLS_PER_RECORD)
		sent += send_tls_flood_calls(feed, i, TLS_CALLS_PER_RECORD);
	assert_int_equal(harness_resume(h), 0);
	flood_expect_burst_spread(h, subscriber, n, cut_before);
	n += FLOOD_BURST_CALLS;
	expect_tls_rising_acks(feed, 2 * n);
	tls_client_close(feed);
	expect_log_format(h,
			  "cadmond: feed 127.0.0.1:%u closed: %zu bytes, %u lines, %u events, 0 "
			  "rejected\n",
			  port, sent, 2 * n, 2 * n);
	expect_quiet(subscriber);
	close(subscriber);
	assert_int_equal(harness_stop(h), 0);
}

/* A client the server must refuse: connect (TLS 1.3 completes the client's side before the
 * server checks its certificate), then see the server close. Returns its local port. */
static uint16_t refused(struct fixture *f, const char *name, const char *first_line)
{
	struct tls_client *client;
	uint16_t port;

	tls_connect(f, f->harness.feed_port, name, &client, NULL);
	assert_true(client->fd >= 0);
	port = local_port(client->fd);
	if (first_line && client->ssl)
		tls_client_send(client, first_line);
	assert_true(tls_client_closed(client, EXPECT_READ_TIMEOUT_MS));
	return port;
}

/* Every refusal at the feed port: its exact log line, and its counter. */
static void test_feed_refusals_logged_and_counted(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = { .feed_yaml = feed_tls_yaml,
						 .extra_yaml = tls_yaml(f, certs) };
	uint16_t port;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	port = refused(f, NULL, NULL);
	expect_log_format(&f->harness, "cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: "
			  "peer did not return a certificate\n", port);
	port = refused(f, "rogue", NULL);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: "
			  "certificate verify failed (unable to get local issuer certificate)\n",
			  port);
	port = refused(f, "expired", NULL);
	expect_log_format(&f->harness, "cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: "
			  "certificate verify failed (certificate has expired)\n", port);
	port = refused(f, "cad-1", "{\"hello\":\"feed\",\"source\":\"cad-2\"}\n");
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: hello source \"cad-2\" is not in the "
		"client certificate (CN \"cad-1\", DNS cad-1.example); closing\n",
		port);
	port = refused(f, "cad-2", shift_lines[0]);
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: an event before any hello: the hello "
		"must name the source, as the client certificate does (CN \"cad-2\"); closing\n",
		port);

	char *metrics = plain_get(&f->harness, "/metrics");
	expect_sample(metrics, "feed", "no_client_certificate", 1);
	expect_sample(metrics, "feed", "unknown_ca", 1);
	expect_sample(metrics, "feed", "certificate_expired", 1);
	expect_sample(metrics, "feed", "source_mismatch", 1);
	expect_sample(metrics, "feed", "no_hello", 1);
	expect_sample(metrics, "feed", "protocol_version", 0);
	/* Nothing any of them sent reached the engine. */
	assert_non_null(strstr(metrics, "\ncadmon_lines_total 0\n"));
	/* Only the TLS listener has samples. */
	assert_null(strstr(metrics, "listener=\"alerts\""));
	expect_promtool_clean(metrics);
	free(metrics);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* TLS 1.1 and a cipher without forward secrecy are refused, logged and counted. */
static void test_old_version_and_weak_cipher_refused(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = { .feed_yaml = feed_tls_yaml,
						 .extra_yaml = tls_yaml(f, certs) };
	const struct tls_client_options tls11 = { .max_version = TLS1_1_VERSION,
						  .ciphers = "DEFAULT@SECLEVEL=0" };
	const struct tls_client_options weak = { .max_version = TLS1_2_VERSION,
						 .ciphers = "AES128-SHA" };
	struct tls_client *client;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	assert_int_equal(tls_connect(f, f->harness.feed_port, "cad-1", &client, &tls11), -1);
	assert_string_equal(client->error, "handshake: tlsv1 alert protocol version");
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: unsupported protocol\n",
		local_port(client->fd));
	assert_int_equal(tls_connect(f, f->harness.feed_port, "cad-1", &client, &weak), -1);
	assert_string_equal(client->error, "handshake: sslv3 alert handshake failure");
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: no shared cipher\n",
		local_port(client->fd));
	char *metrics = plain_get(&f->harness, "/metrics");
	expect_sample(metrics, "feed", "protocol_version", 1);
	expect_sample(metrics, "feed", "no_shared_cipher", 1);
	free(metrics);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A console over TLS gets its hello; HTTPS answers /healthz; plain HTTP there is refused. */
static void test_alert_port_and_http_over_tls(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = { .alerts_yaml = "  tls: true\n",
						 .http_yaml = "  tls: true\n",
						 .extra_yaml = tls_yaml(f, certs),
						 .alerts_tls = true };
	char line[1024], answer[4096];

	assert_int_equal(harness_start(&f->harness, &options), 0);
	struct tls_client *console = tls_connect_ok(f, f->harness.alerts_port, NULL);
	assert_true(tls_client_read_line(console, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >= 0);
	assert_string_equal(line, hello_line);

	struct tls_client *web = tls_connect_ok(f, f->harness.http_port, NULL);
	assert_int_equal(tls_client_send(web, "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n"),
			 0);
	assert_true(tls_client_read_all(web, answer, sizeof answer, EXPECT_READ_TIMEOUT_MS) > 0);
	assert_non_null(strstr(answer, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(answer, "\r\n\r\nok\n"));

	int plain = harness_connect(f->harness.http_port);
	assert_true(plain >= 0);
	uint16_t plain_port = local_port(plain);
	assert_int_equal(harness_send(plain, "GET /healthz HTTP/1.0\r\n\r\n"), 0);
	assert_true(harness_wait_eof(plain, EXPECT_READ_TIMEOUT_MS));
	close(plain);
	expect_log_format(
		&f->harness,
		"cadmond: warning: http 127.0.0.1:%u: TLS handshake failed: http request\n",
		plain_port);

	web = tls_connect_ok(f, f->harness.http_port, NULL);
	assert_int_equal(tls_client_send(web, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n"),
			 0);
	char *metrics = malloc(METRICS_MAX);
	assert_non_null(metrics);
	assert_true(tls_client_read_all(web, metrics, METRICS_MAX, EXPECT_READ_TIMEOUT_MS) > 0);
	expect_sample(metrics, "http", "not_tls", 1);
	expect_sample(metrics, "alerts", "no_client_certificate", 0);
	assert_null(strstr(metrics, "listener=\"feed\""));
	free(metrics);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* With tokens on a TLS alert port, a client that opens a handshake and stalls (a partial
 * ClientHello) is closed at alerts.handshake_timeout_seconds like any console without a token
 * line: its refusal line cannot be sent without a handshake, so it is not waited for (the
 * connection used to stay open for ever, holding a pending slot; a reload then crashed on its
 * freed deadline). */
static void test_stalled_handshake_on_alert_port_closed(void **state)
{
	static const unsigned char partial_client_hello[] = { 0x16, 0x03, 0x01, 0x00, 0xf4, 0x01,
							       0x00, 0x00, 0xf0, 0x03, 0x03 };
	struct fixture *f = *state;
	const struct harness_options options = {
		.alerts_yaml = "  tls: true\n  handshake_timeout_seconds: 1\n",
		.extra_yaml = tls_yaml_with(f, certs,
					    "auth:\n  tokens:\n    - {name: wall, role: viewer, "
					    "token: \"a-viewer-token-of-the-wall\"}\n"),
		.alerts_tls = true
	};

	assert_int_equal(harness_start(&f->harness, &options), 0);
	int stalled = harness_connect(f->harness.alerts_port);
	assert_true(stalled >= 0);
	assert_int_equal(write(stalled, partial_client_hello, sizeof partial_client_hello),
			 (ssize_t)sizeof partial_client_hello);
	assert_true(harness_wait_eof(stalled, 4000));
	expect_log_format(&f->harness,
			  "cadmond: warning: auth: alerts 127.0.0.1:%u: no token line in time "
			  "(alerts.handshake_timeout_seconds)\n",
			  local_port(stalled));
	close(stalled);
	expect_reload_log_format(&f->harness, "cadmond: configuration reloaded: 0 changes\n");
	struct tls_client *console = tls_connect_ok(f, f->harness.alerts_port, NULL);
	char line[1024];
	assert_true(tls_client_read_line(console, line, sizeof line, EXPECT_READ_TIMEOUT_MS) >= 0);
	assert_string_equal(line, hello_line);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Copy certs/NAME to dir/AS with mode. */
static void copy_file(const char *name, const char *dir, const char *as, mode_t mode)
{
	char from[PATH_MAX], to[PATH_MAX];
	char *text;

	snprintf(from, sizeof from, "%s/%.64s", certs, name);
	snprintf(to, sizeof to, "%.1024s/%.64s", dir, as);
	assert_non_null(text = harness_read_file(from));
	assert_int_equal(harness_write_file(to, text), 0);
	assert_int_equal(chmod(to, mode), 0);
	free(text);
}

/* A renewed certificate is served to new connections after SIGHUP, while a connection opened
 * before keeps working; a reload whose certificate does not load is refused as a whole. */
static void test_reload_renewed_certificate_under_open_connection(void **state)
{
	struct fixture *f = *state;
	char serial[64], path[PATH_MAX];

	assert_int_equal(temp_dir("tls-reload", f->dir), 0);
	copy_file("server.pem", f->dir, "server.pem", 0644);
	copy_file("server.key", f->dir, "server.key", 0600);
	const struct harness_options options = { .feed_yaml = feed_tls_yaml,
						 .extra_yaml = tls_yaml(f, f->dir) };
	snprintf(path, sizeof path, "%s/server.pem", f->dir);

	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log_format(&f->harness,
			  "cadmond: tls: certificate %s: /CN=localhost, serial 1001, valid until ",
			  path);
	int subscriber = plain_subscriber(f);
	struct tls_client *old = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	tls_client_server_serial(old, serial, sizeof serial);
	assert_string_equal(serial, "1001");
	assert_int_equal(tls_client_send(old, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u: source cad-1\n",
			  local_port(old->fd));

	copy_file("server2.pem", f->dir, "server.pem", 0644);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: tls: new connections use the files loaded now; "
				"open ones keep theirs\n");
	expect_log_format(&f->harness,
			  "cadmond: tls: certificate %s: /CN=localhost, serial 1002, valid until ",
			  path);
	send_shift(old);
	expect_line(subscriber, shift_alert);
	struct tls_client *renewed = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	tls_client_server_serial(renewed, serial, sizeof serial);
	assert_string_equal(serial, "1002");

	/* A certificate file that does not load: the reload is refused, 1002 stays. */
	assert_int_equal(harness_write_file(path, "not a certificate\n"), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(
		&f->harness,
		"cadmond: error: configuration not reloaded: tls.certificate %s: no start line; "
		"keeping the running one\n",
		path);
	struct tls_client *after = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	tls_client_server_serial(after, serial, sizeof serial);
	assert_string_equal(serial, "1002");

	/* An expired certificate of the right key, which every client would refuse: refused as a
	 * whole too, 1002 stays. */
	copy_file("server-expired.pem", f->dir, "server.pem", 0644);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log_format(&f->harness,
			  "cadmond: error: configuration not reloaded: tls.certificate %s expired "
			  "on Jan  2 00:00:00 2020 GMT; keeping the running one\n",
			  path);
	after = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	tls_client_server_serial(after, serial, sizeof serial);
	assert_string_equal(serial, "1002");

	/* Turning TLS off takes a restart: the reload says so and the port stays TLS. */
	copy_file("server2.pem", f->dir, "server.pem", 0644);
	const struct harness_options plain = { .extra_yaml = tls_yaml(f, f->dir) };
	assert_int_equal(harness_write_config(&f->harness, &plain), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: warning: reload: feed.tls: true -> false takes effect at "
				"the next restart; "
				"kept true\n");
	tls_connect_ok(f, f->harness.feed_port, "cad-1");
	close(subscriber);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* A key readable by others stops the start, saying which file and what to do. */
static void test_key_readable_by_others_refused(void **state)
{
	struct fixture *f = *state;
	struct harness_result result;
	char key[PATH_MAX], expected[PATH_MAX * 3];

	assert_int_equal(temp_dir("tls-key", f->dir), 0);
	copy_file("server.pem", f->dir, "server.pem", 0644);
	copy_file("server.key", f->dir, "server.key", 0644);
	snprintf(key, sizeof key, "%s/server.key", f->dir);
	const struct harness_options options = { .feed_yaml = feed_tls_yaml,
						 .extra_yaml = tls_yaml(f, f->dir) };
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	const char *const args[] = { "-c", f->harness.config_path, NULL };
	assert_int_equal(harness_run(args, 5000, &result), 0);
	snprintf(expected, sizeof expected,
		 "cadmond: error: tls.key %s has mode 0644: it must not be accessible to group or "
		 "other (chmod 600 %s)\n",
		 key, key);
	assert_string_equal(result.err, expected);
	assert_int_equal(result.status, 3);
	harness_result_free(&result);

	/* -n loads the files too */
	const char *const check_args[] = { "-n", "-c", f->harness.config_path, NULL };
	assert_int_equal(harness_run(check_args, 5000, &result), 0);
	assert_string_equal(result.err, expected + strlen("cadmond: error: "));
	assert_string_equal(result.out, "");
	assert_int_equal(result.status, 1);
	harness_result_free(&result);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(harness_run(check_args, 5000, &result), 0);
	assert_string_equal(result.out, "configuration OK\n");
	assert_int_equal(result.status, 0);
	harness_result_free(&result);
}

/* cadmond -c with extra tls YAML (after the fixture's): its stderr, and exit status 3. */
static char *start_refused(struct fixture *f, const char *tls_extra)
{
	struct harness_result result;
	char yaml[YAML_MAX + 512];
	char *err;

	snprintf(yaml, sizeof yaml, "%s%s", tls_yaml(f, f->dir[0] ? f->dir : certs), tls_extra);
	const struct harness_options options = { .feed_yaml = feed_tls_yaml, .extra_yaml = yaml };
	assert_int_equal(harness_write_config(&f->harness, &options), 0);
	const char *const args[] = { "-c", f->harness.config_path, NULL };
	assert_int_equal(harness_run(args, 5000, &result), 0);
	assert_int_equal(result.status, 3);
	err = result.err;
	result.err = NULL;
	harness_result_free(&result);
	return err;
}

/* Every file and setting the context needs is checked at start, each error naming the file
 * (or key) and OpenSSL's reason. */
static void test_start_refused_for_bad_tls_settings(void **state)
{
	struct fixture *f = *state;
	char expected[PATH_MAX * 3];
	char *err;

	err = start_refused(f, "  ciphers: \"NOSUCHCIPHER\"\n");
	assert_string_equal(err, "cadmond: error: tls.ciphers \"NOSUCHCIPHER\": no cipher match\n");
	free(err);

	assert_int_equal(temp_dir("tls-bad", f->dir), 0);
	copy_file("server.pem", f->dir, "server.pem", 0644);
	copy_file("cad-1.key", f->dir, "server.key", 0600);
	err = start_refused(f, "");
	snprintf(expected, sizeof expected,
		 "cadmond: error: tls.key %s/server.key does not match tls.certificate "
		 "%s/server.pem: key values mismatch\n",
		 f->dir, f->dir);
	assert_string_equal(err, expected);
	free(err);

	copy_file("server.key", f->dir, "server.key", 0600);
	snprintf(expected, sizeof expected, "%s/server.pem", f->dir);
	assert_int_equal(unlink(expected), 0);
	err = start_refused(f, "");
	snprintf(expected, sizeof expected,
		 "cadmond: error: tls.certificate %s/server.pem: No such file or directory\n",
		 f->dir);
	assert_string_equal(err, expected);
	free(err);
}

/* tls.min_version "1.3": a TLS 1.2 client is refused; feed.source_binding: none takes any
 * source. */
static void test_tls13_only_and_binding_off(void **state)
{
	struct fixture *f = *state;
	char yaml[YAML_MAX + 128];
	const struct tls_client_options tls12 = { .max_version = TLS1_2_VERSION };
	struct tls_client *client;

	snprintf(yaml, sizeof yaml, "%s  min_version: \"1.3\"\n", tls_yaml(f, certs));
	const struct harness_options options = { .feed_yaml =
							 "  tls: true\n  source_binding: none\n",
						 .extra_yaml = yaml };
	assert_int_equal(harness_start(&f->harness, &options), 0);
	assert_int_equal(tls_connect(f, f->harness.feed_port, "cad-1", &client, &tls12), -1);
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: TLS handshake failed: unsupported protocol\n",
		local_port(client->fd));
	struct tls_client *other = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	assert_int_equal(tls_client_send(other, "{\"hello\":\"feed\",\"source\":\"anyone\"}\n"), 0);
	expect_log_format(&f->harness, "cadmond: feed 127.0.0.1:%u: source anyone\n",
			  local_port(other->fd));
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* Start a tool (path from $ENV) with args, its stdout and stderr to the files. */
static pid_t spawn_tool(const char *env, const char *const args[], const char *out_path,
			const char *err_path)
{
	const char *path = getenv(env);
	char *argv[24];
	size_t n = 0;
	pid_t pid;

	assert_non_null(path);
	argv[n++] = (char *)path;
	for (; args[n - 1] && n < 23; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	if ((pid = fork()) != 0)
		return pid;
	int out = open(out_path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	int err = open(err_path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	execv(path, argv);
	_exit(127);
}

/* Wait for pid, at most 20 s (then kill it): its exit status, or -1. */
static int wait_tool(pid_t pid)
{
	int64_t deadline = harness_now_ms() + 20000;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (harness_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct tool_run {
	char out_path[PATH_MAX], err_path[PATH_MAX];
	pid_t pid;
	int status;
	char *out, *err;
};

static void tool_start(struct tool_run *run, const char *env, const char *const args[])
{
	assert_int_equal(harness_temp_file("tool-out", run->out_path), 0);
	assert_int_equal(harness_temp_file("tool-err", run->err_path), 0);
	run->pid = spawn_tool(env, args, run->out_path, run->err_path);
	assert_true(run->pid > 0);
}

static void tool_finish(struct tool_run *run)
{
	run->status = wait_tool(run->pid);
	run->out = harness_read_file(run->out_path);
	run->err = harness_read_file(run->err_path);
	assert_non_null(run->out);
	assert_non_null(run->err);
	unlink(run->out_path);
	unlink(run->err_path);
}

static void tool_free(struct tool_run *run)
{
	free(run->out);
	free(run->err);
}

/* cadmon-watch and cadmon-sim with --ca/--cert/--key: a console over mutual TLS gets the alert a
 * feed sent over mutual TLS; cadmon-sim's hello names its certificate's source; a CA that did
 * not sign the server is refused by the tool. */
static void test_tools_over_tls(void **state)
{
	struct fixture *f = *state;
	const struct harness_options options = {
		.feed_yaml = feed_tls_yaml,
		.alerts_yaml = "  tls: true\n  require_client_certificate: true\n",
		.extra_yaml = tls_yaml(f, certs),
		.alerts_tls = true
	};
	char address[64], feed_address[64], ca[PATH_MAX], certificate[PATH_MAX], key[PATH_MAX],
		rogue_ca[PATH_MAX];
	char expected[8192];
	struct tool_run watch, sim, refused_watch;

	snprintf(ca, sizeof ca, "%s/ca.pem", certs);
	snprintf(rogue_ca, sizeof rogue_ca, "%s/rogue-ca.pem", certs);
	snprintf(certificate, sizeof certificate, "%s/cad-2.pem", certs);
	snprintf(key, sizeof key, "%s/cad-2.key", certs);
	assert_int_equal(harness_start(&f->harness, &options), 0);
	snprintf(address, sizeof address, "127.0.0.1:%u", f->harness.alerts_port);
	snprintf(feed_address, sizeof feed_address, "localhost:%u", f->harness.feed_port);

	const char *const watch_args[] = { "--raw",	"--since", "0",	   "--count", "1",
					   "--connect", address,   "--ca", ca,	      "--cert",
					   certificate, "--key",   key,	   NULL };
	tool_start(&watch, "CADMON_WATCH", watch_args);
	expect_log(&f->harness,
		   ": alerts since seq 0\n"); /* live from here: the alert comes after the board */
	/* alerts.require_client_certificate: a console without one is refused */
	struct tls_client *anonymous;
	tls_connect(f, f->harness.alerts_port, NULL, &anonymous, NULL);
	assert_non_null(anonymous->ssl);
	assert_true(tls_client_closed(anonymous, EXPECT_READ_TIMEOUT_MS));
	expect_log_format(&f->harness,
			  "cadmond: warning: alerts 127.0.0.1:%u: TLS handshake failed: "
			  "peer did not return a certificate\n",
			  local_port(anonymous->fd));
	struct tls_client *feed = tls_connect_ok(f, f->harness.feed_port, "cad-1");
	assert_int_equal(tls_client_send(feed, "{\"hello\":\"feed\",\"source\":\"cad-1\"}\n"), 0);
	send_shift(feed);
	tool_finish(&watch);
	snprintf(expected, sizeof expected, "%s\n{\"board\":\"begin\",\"seq\":0,\"open\":0}\n"
		 "{\"board\":\"end\",\"seq\":0,\"open\":0}\n%s\n", hello_line, shift_alert);
	assert_string_equal(watch.out, expected);
	snprintf(expected, sizeof expected, "cadmon-watch: connected to cadmond 0.2.0 at %s\n",
		 address);
	assert_string_equal(watch.err, expected);
	assert_int_equal(watch.status, 0);
	tool_free(&watch);

	const char *const sim_args[] = { "--connect",	   feed_address, "--ca",    ca,
					 "--cert",	   certificate,	 "--key",   key,
					 "--source",	   "cad-2",	 "--hours", "0.05",
					 "--bad-operator", "-1",	 NULL };
	tool_start(&sim, "CADMON_SIM", sim_args);
	tool_finish(&sim);
	assert_string_equal(sim.err, "");
	assert_int_equal(sim.status, 0);
	tool_free(&sim);
	expect_log(&f->harness, ": source cad-2\n");
	expect_no_log(&f->harness, "closing\n");

	const char *const rogue_args[] = { "--raw",	"--timeout", "0.5",    "--connect",
					   address,	"--ca",	     rogue_ca, "--cert",
					   certificate, "--key",     key,      NULL };
	tool_start(&refused_watch, "CADMON_WATCH", rogue_args);
	tool_finish(&refused_watch);
	snprintf(expected, sizeof expected,
		 "cadmon-watch: cannot connect to %s for 0.5 s: certificate verify failed "
		 "(unable to get local issuer certificate)\n",
		 address);
	assert_string_equal(refused_watch.err, expected);
	assert_int_equal(refused_watch.status, 1);
	tool_free(&refused_watch);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* The tools verify the name they connected to: a certificate for DNS:localhost only is
 * refused at 127.0.0.1 and taken at localhost. */
static void test_tools_verify_the_server_name(void **state)
{
	struct fixture *f = *state;
	char ca[PATH_MAX], by_ip[64], by_name[64], expected[256];
	struct tool_run run;

	assert_int_equal(temp_dir("tls-name", f->dir), 0);
	copy_file("server-dns.pem", f->dir, "server.pem", 0644);
	copy_file("server.key", f->dir, "server.key", 0600);
	const struct harness_options options = { .alerts_yaml = "  tls: true\n",
						 .extra_yaml = tls_yaml(f, f->dir),
						 .alerts_tls = true };
	assert_int_equal(harness_start(&f->harness, &options), 0);
	snprintf(ca, sizeof ca, "%s/ca.pem", certs);
	snprintf(by_ip, sizeof by_ip, "127.0.0.1:%u", f->harness.alerts_port);
	snprintf(by_name, sizeof by_name, "localhost:%u", f->harness.alerts_port);

	const char *const ip_args[] = { "--raw", "--timeout", "0.5", "--connect",
					by_ip,	 "--ca",      ca,    NULL };
	tool_start(&run, "CADMON_WATCH", ip_args);
	tool_finish(&run);
	snprintf(expected, sizeof expected,
		 "cadmon-watch: cannot connect to %s for 0.5 s: certificate verify failed "
		 "(IP address mismatch)\n",
		 by_ip);
	assert_string_equal(run.err, expected);
	assert_int_equal(run.status, 1);
	tool_free(&run);

	const char *const name_args[] = { "--raw", "--idle-exit", "1", "--connect",
					  by_name, "--ca",	  ca,  NULL };
	tool_start(&run, "CADMON_WATCH", name_args);
	tool_finish(&run);
	snprintf(expected, sizeof expected, "cadmon-watch: connected to cadmond 0.2.0 at %s\n",
		 by_name);
	assert_string_equal(run.err, expected);
	snprintf(expected, sizeof expected, "%s\n", hello_line);
	assert_true(strncmp(run.out, expected, strlen(expected)) == 0);
	assert_int_equal(run.status, 0);
	tool_free(&run);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* The tools' TLS options: --cert and --key need --ca; files that do not load are named. */
static void test_tool_tls_option_errors(void **state)
{
	struct tool_run run;
	char key[PATH_MAX], expected[PATH_MAX + 256];

	(void)state;
	const char *const lone_cert[] = { "--cert", "c.pem", "--key", "c.key", NULL };
	tool_start(&run, "CADMON_WATCH", lone_cert);
	tool_finish(&run);
	assert_string_equal(run.err, "cadmon-watch: --cert and --key go with --ca (TLS)\n"
				     "Try 'cadmon-watch -h' for help.\n");
	assert_int_equal(run.status, 2);
	tool_free(&run);

	tool_start(&run, "CADMON_SIM", lone_cert);
	tool_finish(&run);
	assert_string_equal(run.err, "cadmon-sim: --cert and --key go with --ca (TLS)\n"
				     "Try 'cadmon-sim -h' for help.\n");
	assert_int_equal(run.status, 2);
	tool_free(&run);

	snprintf(key, sizeof key, "%s/cad-1.key", certs);
	const char *const no_ca[] = { "--ca", "/nonexistent/ca.pem", "--connect", "127.0.0.1:1",
				      NULL };
	tool_start(&run, "CADMON_WATCH", no_ca);
	tool_finish(&run);
	assert_string_equal(run.err,
			    "cadmon-watch: --ca /nonexistent/ca.pem: No such file or directory\n");
	assert_int_equal(run.status, 1);
	tool_free(&run);

	snprintf(expected, sizeof expected, "%s/ca.pem", certs);
	const char *const key_only[] = { "--ca",      expected,	     "--key", key,
					 "--connect", "127.0.0.1:1", NULL };
	tool_start(&run, "CADMON_WATCH", key_only);
	tool_finish(&run);
	assert_string_equal(run.err, "cadmon-watch: --key given without --cert\n");
	assert_int_equal(run.status, 1);
	tool_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feed_over_tls_under_the_snapshot_budget,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_over_mutual_tls_raises_the_alert,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_feed_refusals_logged_and_counted,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_old_version_and_weak_cipher_refused,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_alert_port_and_http_over_tls, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_stalled_handshake_on_alert_port_closed,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_renewed_certificate_under_open_connection, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(test_key_readable_by_others_refused, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_start_refused_for_bad_tls_settings,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tls13_only_and_binding_off, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tools_over_tls, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tools_verify_the_server_name, fixture_setup,
						fixture_teardown),
		cmocka_unit_test(test_tool_tls_option_errors),
	};

	return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
