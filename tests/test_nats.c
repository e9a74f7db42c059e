/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * NATS JetStream end to end (docs/scale-out.md): a three-node nats-server cluster on
 * 127.0.0.1 (JetStream, R3 streams, stores in a temporary directory), one simulated shift of
 * four agencies (four CADs) published by cadmon-publish, two cadmonds sharing the agencies by
 * subject filter; one cadmond killed with SIGKILL mid-shift and restarted, one NATS node
 * killed. At the end: every event acknowledged by the stream was processed exactly once (the
 * consumers have nothing pending, the two cadmonds' accepted events add up to the reference's
 * with no duplicate judged), the operator notices on the alerts stream equal those of a single
 * cadmond fed the same lines over TCP (every field but seq, and center_ratio, p_value and a
 * resolved notice's ts, which follow each cadmond's own center: docs/scale-out.md), and no
 * alert_id:kind:ts is on the stream twice. Also: a cadmond killed before the alerts stream
 * acknowledged its first notice publishes it after the restart, and cadmon-watch --nats shows
 * what the stream holds. nats-server missing is a failure (scripts/setup installs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <nats/nats.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "flood_fixture.h"
#include "tool_run.h"

#define NODES 3
#define AGENCIES 4
#define MAX_LINES 20000
#define MAX_NOTICES 4096
#define SETTLE_TIMEOUT_MS 30000
#define TOO_LATE "cadmon_rejected_lines_total{reason=\"too_late\"}"

/* The detector every cadmond runs: a short burst rule, no escalation (wall clock), sources
 * held without a lag bound so that the merge is exact whatever the interleaving. */
static const char detector_yaml[] =
	"detector:\n"
	"  premature: {max_talk_seconds: 20}\n"
	"  escalate_unacked_after_seconds: {info: 0, warning: 0, critical: 0}\n"
	"  rules:\n"
	"    - {name: burst, window_seconds: 600, min_calls: 3, min_premature: 2, min_ratio: 0.5, "
	"severity: critical}\n"
	"tracker: {max_source_lag_seconds: 86400, allowed_lateness_seconds: 3600}\n"
	"journal: {retention_seconds: 90000}\n";
/* A source not heard for this long stops holding the others: long enough that a loaded machine
 * reading one feed connection late does not change the merge (docs/detection.md). */
static const char feed_yaml[] = "  source_idle_seconds: 6\n";

struct node {
	pid_t pid;
	uint16_t client_port, cluster_port;
	char config[PATH_MAX + 64], log[PATH_MAX + 64];
};

struct notices {
	char *text[MAX_NOTICES]; /* operator notices without seq, center_ratio, p_value */
	char *id[MAX_NOTICES];   /* alert_id:kind:ts */
	size_t count;
};

struct world {
	char dir[PATH_MAX];
	struct node nodes[NODES];
	pid_t secured[2]; /* standalone servers with TLS and a token, or a user and password */
	char servers[256];      /* nats://127.0.0.1:P1,nats://... */
	char servers_yaml[256]; /* ["nats://...", ...] */
	char *lines[MAX_LINES]; /* the merged shift, in ts order, each with its "source" */
	size_t line_count;
	char input_first[PATH_MAX + 64], input_second[PATH_MAX + 64];
	struct notices reference, stream; /* freed at teardown, whatever happened */
	natsConnection *connection;
	jsCtx *js;
	char *text; /* a file read by a test */
};

static struct world world;
static struct harness x, y; /* the two cadmonds sharing the agencies */

/* ---- processes ------------------------------------------------------------------------ */

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value && value[0] ? value : fallback;
}

/* Start argv with stdout and stderr to log (appended) and stdin from input (NULL: /dev/null). */
static pid_t spawn(const char *const argv[], const char *input, const char *log)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int in = open(input ? input : "/dev/null", O_RDONLY);
	int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (in < 0 || out < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* Wait for pid at most timeout_ms: its exit status, or -1 (then killed). */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int64_t until = harness_now_ms() + timeout_ms;
	int status;

	while (harness_now_ms() < until) {
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* cadmon-publish with input on stdin; its exit status. */
static int publish(const char *input, bool create)
{
	char log[PATH_MAX + 16];
	const char *argv[] = { env_or("CADMON_PUBLISH", "cadmon-publish"),
			       "--server",
			       world.servers,
			       create ? "--create-stream" : "--max-pending",
			       create ? "--replicas" : "256",
			       create ? "3" : NULL,
			       NULL };

	snprintf(log, sizeof log, "%s/publish.log", world.dir);
	return wait_exit(spawn(argv, input, log), 30000);
}

/* ---- the cluster ---------------------------------------------------------------------- */

static int write_node_config(struct node *node, size_t index)
{
	char text[PATH_MAX + 2048], routes[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < NODES; i++)
		if (i != index)
			used += (size_t)snprintf(routes + used, sizeof routes - used,
						 "%s\"nats://127.0.0.1:%u\"", used ? ", " : "",
						 world.nodes[i].cluster_port);
	snprintf(text, sizeof text,
		 "server_name: n%zu\n"
		 "listen: \"127.0.0.1:%u\"\n"
		 "jetstream { store_dir: \"%s/n%zu\", max_memory_store: 64MB, max_file_store: "
		 "512MB }\n"
		 "cluster { name: cadmon-test, listen: \"127.0.0.1:%u\", routes: [%s] }\n",
		 index + 1, node->client_port, world.dir, index + 1, node->cluster_port, routes);
	snprintf(node->config, sizeof node->config, "%s/n%zu.conf", world.dir, index + 1);
	snprintf(node->log, sizeof node->log, "%s/n%zu.log", world.dir, index + 1);
	return harness_write_file(node->config, text);
}

static void start_node(struct node *node)
{
	const char *argv[] = { env_or("NATS_SERVER", "/usr/sbin/nats-server"), "-c", node->config,
			       NULL };

	node->pid = spawn(argv, NULL, node->log);
}

static void stop_cluster(void)
{
	for (size_t i = 0; i < NODES; i++) {
		if (world.nodes[i].pid <= 0)
			continue;
		kill(world.nodes[i].pid, SIGKILL);
		waitpid(world.nodes[i].pid, NULL, 0);
		world.nodes[i].pid = 0;
	}
}

/* Ports picked by binding port 0; another process may take one before nats-server binds it:
 * then a node exits at once, and the cluster is started again on new ports (3 tries). */
static bool start_cluster(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		uint16_t ports[2 * NODES];
		size_t used = 0, yaml = 0;

		assert_int_equal(harness_pick_ports(ports, 2 * NODES), 0);
		yaml = (size_t)snprintf(world.servers_yaml, sizeof world.servers_yaml, "[");
		for (size_t i = 0; i < NODES; i++) {
			world.nodes[i].client_port = ports[2 * i];
			world.nodes[i].cluster_port = ports[2 * i + 1];
			used += (size_t)snprintf(world.servers + used, sizeof world.servers - used,
						 "%snats://127.0.0.1:%u", i ? "," : "",
						 ports[2 * i]);
			yaml += (size_t)snprintf(
				world.servers_yaml + yaml, sizeof world.servers_yaml - yaml,
				"%s\"nats://127.0.0.1:%u\"", i ? ", " : "", ports[2 * i]);
		}
		snprintf(world.servers_yaml + yaml, sizeof world.servers_yaml - yaml, "]");
		for (size_t i = 0; i < NODES; i++)
			assert_int_equal(write_node_config(&world.nodes[i], i), 0);
		for (size_t i = 0; i < NODES; i++)
			start_node(&world.nodes[i]);
		usleep(300 * 1000);
		bool alive = true;
		for (size_t i = 0; i < NODES; i++)
			alive = alive && waitpid(world.nodes[i].pid, NULL, WNOHANG) == 0;
		if (alive)
			return true;
		stop_cluster();
	}
	return false;
}

/* JetStream needs its meta leader elected: create the R3 streams until that succeeds. */
static void create_streams(void)
{
	int64_t until = harness_now_ms() + 20000;

	while (harness_now_ms() < until) {
		if (publish(NULL, true) == 0)
			return;
		usleep(250 * 1000);
	}
	fail_msg("the cluster did not take the R3 streams within 20 s (see %s/publish.log)",
		 world.dir);
}

/* ---- the shift ------------------------------------------------------------------------ */

/* cadmon-sim's shift of one agency, each line with "source":"cad-N" put first, and its
 * "agency" on every event (the simulator names it on call_start only; a call that spans two
 * runs of cadmon-publish needs it to reach its agency's subject: docs/scale-out.md). */
static size_t read_agency(size_t agency, char **lines, size_t max)
{
	char out[PATH_MAX + 32], seed[16], name[16], source[16], log[PATH_MAX + 16];
	size_t count = 0;

	snprintf(out, sizeof out, "%s/agency%zu.ndjson", world.dir, agency);
	snprintf(log, sizeof log, "%s/sim.log", world.dir);
	snprintf(seed, sizeof seed, "%zu", agency + 11);
	snprintf(name, sizeof name, "A%zu", agency + 1);
	snprintf(source, sizeof source, "cad-%zu", agency + 1);
	const char *argv[] = { env_or("CADMON_SIM", "cadmon-sim"),
			       "--seed",
			       seed,
			       "--agency",
			       name,
			       "--hours",
			       "3",
			       "--onset-hours",
			       "0.5",
			       "--operators",
			       "10",
			       NULL };
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		int err = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(err, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	assert_int_equal(wait_exit(pid, 20000), 0);
	char *text = harness_read_file(out);
	assert_non_null(text);
	for (char *line = strtok(text, "\n"); line && count < max; line = strtok(NULL, "\n")) {
		if (line[0] != '{' || strncmp(line, "{\"hello\"", 8) == 0)
			continue;
		/* Callers' numbers of their own per agency: the simulators draw from one pool, and
		 * a
		 * redial seen across agencies is each cadmond's own knowledge
		 * (docs/scale-out.md). */
		char *ani = strstr(line, "\"ani\":\"");
		if (ani)
			ani[7] = (char)('a' + agency);
		if (strstr(line, "\"agency\":"))
			assert_true(asprintf(&lines[count], "{\"source\":\"%s\",%s", source,
					     line + 1) > 0);
		else
			assert_true(asprintf(&lines[count],
					     "{\"source\":\"%s\",\"agency\":\"%s\",%s", source,
					     name, line + 1) > 0);
		count++;
	}
	free(text);
	return count;
}

/* A line's "ts" text (the simulator writes RFC 3339 UTC with 3 fraction digits: ordered as
 * text). */
static const char *line_ts(const char *line)
{
	const char *ts = strstr(line, "\"ts\":\"");

	return ts ? ts + 6 : "";
}

struct placed {
	char *line;
	size_t index; /* in the simulator's output: ties keep that order */
};

static int by_ts(const void *a, const void *b)
{
	const struct placed *first = a, *second = b;
	int order = strncmp(line_ts(first->line), line_ts(second->line), 24);

	return order ? order : first->index < second->index ? -1 : first->index > second->index;
}

static void write_lines(const char *path, size_t from, size_t to)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	for (size_t i = from; i < to; i++)
		fprintf(file, "%s\n", world.lines[i]);
	assert_int_equal(fclose(file), 0);
}

/* The four agencies merged in ts order (stable), numbered (seq: the line's place, so
 * increasing per source), then split in two halves. */
static void make_shift(void)
{
	for (size_t agency = 0; agency < AGENCIES; agency++)
		world.line_count += read_agency(agency, world.lines + world.line_count,
						MAX_LINES - world.line_count);
	struct placed *placed = calloc(world.line_count, sizeof *placed);
	assert_non_null(placed);
	for (size_t i = 0; i < world.line_count; i++)
		placed[i] = (struct placed){ .line = world.lines[i], .index = i };
	qsort(placed, world.line_count, sizeof *placed, by_ts);
	for (size_t i = 0; i < world.line_count; i++) {
		assert_true(asprintf(&world.lines[i], "{\"seq\":%zu,%s", i + 1,
				     placed[i].line + 1) > 0);
		free(placed[i].line);
	}
	free(placed);
	snprintf(world.input_first, sizeof world.input_first, "%s/first.ndjson", world.dir);
	snprintf(world.input_second, sizeof world.input_second, "%s/second.ndjson", world.dir);
	write_lines(world.input_first, 0, world.line_count / 2);
	write_lines(world.input_second, world.line_count / 2, world.line_count);
}

/* ---- cadmond -------------------------------------------------------------------------- */

/* One /metrics sample's value (-1 when absent). */
static int64_t metric(const struct harness *h, const char *name)
{
	char request[128], *text = NULL, buf[4096];
	size_t len = 0;
	ssize_t got;
	int fd = harness_connect(h->http_port);
	int64_t value = -1;

	if (fd < 0)
		return -1;
	snprintf(request, sizeof request, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
	harness_send(fd, request);
	while ((got = read(fd, buf, sizeof buf)) > 0) {
		text = realloc(text, len + (size_t)got + 1);
		memcpy(text + len, buf, (size_t)got);
		len += (size_t)got;
		text[len] = '\0';
	}
	close(fd);
	if (!text)
		return -1;
	char needle[128];
	snprintf(needle, sizeof needle, "\n%s ", name);
	char *at = strstr(text, needle);
	if (at)
		value = strtoll(at + strlen(needle), NULL, 10);
	free(text);
	return value;
}

static void start_shared(struct harness *h, const char *consumer, const char *subjects)
{
	char yaml[2048];

	snprintf(yaml, sizeof yaml,
		 "%snats:\n  enabled: true\n  servers: %s\n  consumer: %s\n  subjects: %s\n  "
		 "fetch_batch: 64\n"
		 "  ack_wait_seconds: 10\n  reconnect_wait_ms: 100\n",
		 detector_yaml, world.servers_yaml, consumer, subjects);
	if (harness_start(h, &(struct harness_options){ .feed_yaml = feed_yaml,
							.extra_yaml = yaml }) < 0) {
		char *log = harness_stderr(h);
		fail_msg("cadmond (consumer %s) did not start:\n%s", consumer, log ? log : "");
	}
}

/* ---- the alerts ----------------------------------------------------------------------- */


/* An operator notice as compared: seq and each cadmond's center figures left out. NULL for
 * system notices and other lines. */
static char *comparable(const char *line, size_t len, char **id)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *object = json_tokener_parse_ex(tokener, line, (int)len), *value;
	char *text = NULL;

	json_tokener_free(tokener);
	if (!object || !json_object_object_get_ex(object, "alert", &value) ||
	    strcmp(json_object_get_string(value), "open") == 0 || /* the board a console gets */
	    !json_object_object_get_ex(object, "type", &value) ||
	    strcmp(json_object_get_string(value), "operator") != 0) {
		json_object_put(object);
		return NULL;
	}
	struct json_object *alert_id, *kind, *ts;
	json_object_object_get_ex(object, "alert_id", &alert_id);
	json_object_object_get_ex(object, "alert", &kind);
	json_object_object_get_ex(object, "ts", &ts);
	if (asprintf(id, "%s:%s:%s", json_object_get_string(alert_id), json_object_get_string(kind),
		     json_object_get_string(ts)) < 0)
		*id = NULL;
	json_object_object_del(object, "seq");
	if (strcmp(json_object_get_string(kind), "resolved") ==
	    0) /* noticed at this cadmond's center clock */
		json_object_object_del(object, "ts");
	json_object_object_del(object, "center_ratio");
	json_object_object_del(object, "p_value");
	text = strdup(json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN));
	json_object_put(object);
	return text;
}

static void notices_add(struct notices *notices, const char *line, size_t len)
{
	char *id = NULL;
	char *text = comparable(line, len, &id);

	if (!text)
		return;
	assert_true(notices->count < MAX_NOTICES);
	notices->text[notices->count] = text;
	notices->id[notices->count] = id;
	notices->count++;
}

static void notices_free(struct notices *notices)
{
	for (size_t i = 0; i < notices->count; i++) {
		free(notices->text[i]);
		free(notices->id[i]);
	}
	notices->count = 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every operator notice on the alerts stream, read by stream sequence. */
static void read_alert_stream(jsCtx *js, struct notices *notices)
{
	jsStreamInfo *info = NULL;
	jsErrCode jerr = 0;

	notices_free(notices);
	assert_int_equal(js_GetStreamInfo(&info, js, "CADMON_ALERTS", NULL, &jerr), NATS_OK);
	uint64_t last = info->State.LastSeq;
	jsStreamInfo_Destroy(info);
	for (uint64_t seq = 1; seq <= last; seq++) {
		natsMsg *msg = NULL;
		if (js_GetMsg(&msg, js, "CADMON_ALERTS", seq, NULL, &jerr) != NATS_OK)
			continue;
		notices_add(notices, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
		natsMsg_Destroy(msg);
	}
}

/* The test's own client of the cluster (world.connection, world.js: freed at teardown). */
static jsCtx *connect_client(void)
{
	assert_int_equal(natsConnection_ConnectTo(&world.connection, world.servers), NATS_OK);
	assert_int_equal(natsConnection_JetStream(&world.js, world.connection, NULL), NATS_OK);
	return world.js;
}

/* Nothing pending and nothing unacknowledged on a consumer; what it holds said in text (for a
 * failure's message). */
static bool consumer_state(jsCtx *js, const char *name, char *text, size_t size)
{
	jsConsumerInfo *info = NULL;
	jsErrCode jerr = 0;
	natsStatus status = js_GetConsumerInfo(&info, js, "CADMON_EVENTS", name, NULL, &jerr);

	if (status != NATS_OK) {
		snprintf(text, size, "consumer %s: no info (%s, JetStream error %d)", name,
			 natsStatus_GetText(status), (int)jerr);
		return false;
	}
	snprintf(text, size,
		 "consumer %s: %" PRIu64 " pending, %" PRId64 " unacknowledged, %" PRId64
		 " redelivered, delivered to stream sequence %" PRIu64 ", acknowledged to %" PRIu64,
		 name, info->NumPending, info->NumAckPending, info->NumRedelivered,
		 info->Delivered.Stream, info->AckFloor.Stream);
	bool done = info->NumPending == 0 && info->NumAckPending == 0;
	jsConsumerInfo_Destroy(info);
	return done;
}

static bool consumer_done(jsCtx *js, const char *name)
{
	char text[256];

	return consumer_state(js, name, text, sizeof text);
}

/* The reference: one cadmond, the four CADs on four TCP connections (hello each), the lines
 * sent in the merged order; its operator notices as a console receives them. */
static void run_reference(struct notices *notices, int64_t *events)
{
	struct harness h = { 0 };
	int feeds[AGENCIES];
	char line[65536];

	assert_int_equal(
		harness_start(&h, &(struct harness_options){ .feed_yaml = feed_yaml,
							     .extra_yaml = detector_yaml }),
		0);
	int subscriber = harness_connect_subscriber(&h);
	assert_true(harness_read_line(subscriber, line, sizeof line, 2000) > 0); /* hello */
	for (size_t i = 0; i < AGENCIES; i++) {
		char hello[128];
		feeds[i] = harness_connect_feed(&h);
		snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"cad-%zu\"}\n",
			 i + 1);
		assert_int_equal(harness_send(feeds[i], hello), 0);
	}
	usleep(300 * 1000); /* every hello taken (the center waits for all four) before any event */
	for (size_t i = 0; i < world.line_count; i++) {
		size_t agency = (size_t)(strstr(world.lines[i], "\"source\":\"cad-")[14] - '1');
		char *text;
		assert_true(asprintf(&text, "%s\n", world.lines[i]) > 0);
		assert_int_equal(harness_send(feeds[agency], text), 0);
		free(text);
	}
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&h, "cadmon_lines_total") < (int64_t)world.line_count &&
	       harness_now_ms() < until)
		usleep(50 * 1000);
	/* The last events wait for the sources to go idle (feed.source_idle_seconds), then their
	 * notices come: read until 8 s pass without one. */
	for (size_t i = 0; i < AGENCIES; i++)
		close(feeds[i]);
	ssize_t len;
	while ((len = harness_read_line(subscriber, line, sizeof line, 8000)) > 0)
		notices_add(notices, line, (size_t)len);
	*events = metric(&h, "cadmon_events_total");
	assert_int_equal(metric(&h, "cadmon_duplicates_total"), 0);
	close(subscriber);
	harness_stop(&h);
	harness_cleanup(&h);
}

/* ---- the test ------------------------------------------------------------------------- */

static void test_cluster_kill_restart(void **state)
{
	jsCtx *js;
	struct notices *reference = &world.reference, *stream = &world.stream;
	int64_t reference_events = 0, t0 = harness_now_ms(), t_ready, t_published, t_settled;

	(void)state;
	if (access(env_or("NATS_SERVER", "/usr/sbin/nats-server"), X_OK) != 0)
		fail_msg("nats-server not found (%s): scripts/setup installs Debian's nats-server",
			 env_or("NATS_SERVER", "/usr/sbin/nats-server"));
	assert_int_equal(harness_temp_dir("nats", world.dir), 0);
	make_shift();
	assert_true(world.line_count > 2000);
	assert_true(start_cluster());
	create_streams();
	t_ready = harness_now_ms();

	/* Two cadmonds share the agencies by subject filter (each reads the stream in order,
	 * keeping its own). */
	start_shared(&x, "x", "[cadmon.events.A1, cadmon.events.A2]");
	start_shared(&y, "y", "[cadmon.events.A3, cadmon.events.A4]");
	js = connect_client();

	/* First half; x killed -9 while it takes it. */
	assert_int_equal(publish(world.input_first, false), 0);
	int64_t until = harness_now_ms() + 10000;
	while (metric(&x, "cadmon_nats_acknowledged_total") < 200 && harness_now_ms() < until)
		usleep(5 * 1000);
	assert_int_equal(harness_signal(&x, SIGKILL), 0);
	while (harness_running(&x))
		usleep(10 * 1000);

	/* One NATS node down (R3: the other two keep the streams), the second half published. */
	kill(world.nodes[2].pid, SIGKILL);
	waitpid(world.nodes[2].pid, NULL, 0);
	world.nodes[2].pid = 0;
	assert_int_equal(publish(world.input_second, false), 0);
	t_published = harness_now_ms();

	/* x back on its state directory: journal recovered, unacknowledged messages again. */
	start_shared(&x, "x", "[cadmon.events.A1, cadmon.events.A2]");
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (!(consumer_done(js, "x") && consumer_done(js, "y")) && harness_now_ms() < until)
		usleep(100 * 1000);
	char x_state[256], y_state[256];
	bool x_done = consumer_state(js, "x", x_state, sizeof x_state);
	bool y_done = consumer_state(js, "y", y_state, sizeof y_state);
	if (!x_done || !y_done)
		fail_msg("not every message taken %d ms after x's restart: %s; %s",
			 SETTLE_TIMEOUT_MS, x_state, y_state);

	run_reference(reference, &reference_events);
	assert_true(reference->count > 20);

	/* The alerts stream settles on the reference's count (the last events wait ~2 s for
	 * idle sources, the notices for their PubAck). */
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	do {
		read_alert_stream(js, stream);
		if (stream->count >= reference->count)
			break;
		usleep(200 * 1000);
	} while (harness_now_ms() < until);
	usleep(500 * 1000); /* anything more (a duplicate, an extra notice) shows now */
	read_alert_stream(js, stream);
	t_settled = harness_now_ms();

	print_message("x: %" PRId64 " events, %" PRId64 " duplicates, %" PRId64
		      " nats messages; y: %" PRId64 " events, %" PRId64 " duplicates, %" PRId64
		      " nats messages; reference %" PRId64 " events\n",
		      metric(&x, "cadmon_events_total"), metric(&x, "cadmon_duplicates_total"),
		      metric(&x, "cadmon_nats_messages_total"), metric(&y, "cadmon_events_total"),
		      metric(&y, "cadmon_duplicates_total"),
		      metric(&y, "cadmon_nats_messages_total"), reference_events);
	print_message("x: %" PRId64 " rewinds, %" PRId64 " too late; y: %" PRId64
		      " rewinds, %" PRId64 " too late\n",
		      metric(&x, "cadmon_nats_rewinds_total"), metric(&x, TOO_LATE),
		      metric(&y, "cadmon_nats_rewinds_total"), metric(&y, TOO_LATE));
	/* A delivery lost on the way (the node killed) is delivered again in order (a rewind), not
	 * after ack_wait behind later events, where the tracker would take it for too late. */
	assert_int_equal(metric(&x, TOO_LATE), 0);
	assert_int_equal(metric(&y, TOO_LATE), 0);
	/* Every event once: accepted events add up (what came again after the kill, a lost ack or
	 * the node down was dropped by its source's seq, counted as duplicates). */
	assert_int_equal(metric(&x, "cadmon_events_total") + metric(&y, "cadmon_events_total"),
			 reference_events);
	assert_int_equal(metric(&y, "cadmon_nats_alerts_dropped_total"), 0);
	assert_int_equal(metric(&x, "cadmon_nats_alerts_dropped_total"), 0);

	/* No alert_id:kind:ts twice on the stream. */
	qsort(stream->id, stream->count, sizeof stream->id[0], by_text);
	for (size_t i = 1; i < stream->count; i++)
		if (strcmp(stream->id[i - 1], stream->id[i]) == 0)
			fail_msg("%s is on the alerts stream twice", stream->id[i]);

	/* The same operator notices as the single cadmond. */
	qsort(stream->text, stream->count, sizeof stream->text[0], by_text);
	qsort(reference->text, reference->count, sizeof reference->text[0], by_text);
	size_t only_stream = 0, only_reference = 0;
	for (size_t i = 0, j = 0; i < stream->count || j < reference->count;) {
		int order = i == stream->count	    ? 1
			    : j == reference->count ? -1
						    : strcmp(stream->text[i], reference->text[j]);
		if (order == 0) {
			i++;
			j++;
			continue;
		}
		if (only_stream + only_reference < 6)
			print_message("only on the %s: %.300s\n",
				      order < 0 ? "stream" : "reference",
				      order < 0 ? stream->text[i] : reference->text[j]);
		if (order < 0) {
			only_stream++;
			i++;
		} else {
			only_reference++;
			j++;
		}
	}
	if (only_stream + only_reference > 0)
		fail_msg("%zu notices only on the alerts stream, %zu only from the reference (of "
			 "%zu)",
			 only_stream, only_reference, reference->count);
	assert_int_equal(stream->count, reference->count);
	print_message("nats: %zu lines, %zu operator notices; cluster up in %" PRId64
		      " ms, published and x "
		      "restarted at %" PRId64 " ms, settled at %" PRId64 " ms\n",
		      world.line_count, stream->count, t_ready - t0, t_published - t0,
		      t_settled - t0);

	harness_stop(&x);
	harness_stop(&y);
}

/* A temporary directory, the cluster, its streams and the test's client; the cluster of the
 * test before (teardown_keep_cluster) is taken as it is, its two streams deleted and created
 * again empty (a cluster's start and its leader election are most of a test's time). */
static jsCtx *start_world(void)
{
	jsErrCode jerr = 0;

	if (world.nodes[0].pid > 0 && world.js) {
		js_DeleteStream(world.js, "CADMON_EVENTS", NULL, &jerr);
		js_DeleteStream(world.js, "CADMON_ALERTS", NULL, &jerr);
		create_streams();
		return world.js;
	}
	assert_int_equal(harness_temp_dir("nats", world.dir), 0);
	assert_true(start_cluster());
	create_streams();
	return connect_client();
}

/* A cadmond on the events stream's A1 subject whose rule fires on one premature call. */
/* The configuration of cadmond alone on agency A1 (consumer, and more nats keys), every
 * premature call an alert; max_alert_queue 0: the default. */
static void single_yaml(char *yaml, size_t size, unsigned max_alert_queue, const char *consumer,
			const char *more)
{
	char queue[64] = "";

	if (max_alert_queue) /* and its limit alert resolved after 1 s without a drop (detector) */
		snprintf(queue, sizeof queue,
			 "  max_alert_queue: %u\nlog: {rate_limit_seconds: 1}\n", max_alert_queue);
	snprintf(yaml, size,
		 "detector:\n"
		 "%s"
		 "  premature: {max_talk_seconds: 20}\n"
		 "  escalate_unacked_after_seconds: {info: 0, warning: 0, critical: 0}\n"
		 "  rules: [{name: every, window_seconds: 60, min_calls: 1, min_premature: 1, "
		 "severity: info}]\n"
		 "nats:\n  enabled: true\n  servers: %s\n  consumer: %s\n  subjects: "
		 "[cadmon.events.A1]\n"
		 "  reconnect_wait_ms: 100\n%s%s",
		 max_alert_queue ? "  resolve_after_seconds: 1\n" : "", world.servers_yaml,
		 consumer, more, queue);
}

/* cadmond x alone on agency A1, every premature call an alert; max_alert_queue 0: the default. */
static void start_single_queue(struct harness *h, unsigned max_alert_queue)
{
	char yaml[2048];

	single_yaml(yaml, sizeof yaml, max_alert_queue, "x", "");
	if (harness_start(h, &(struct harness_options){ .extra_yaml = yaml }) < 0) {
		char *log = harness_stderr(h);
		fail_msg("cadmond did not start:\n%s", log ? log : "");
	}
}

static void start_single(struct harness *h)
{
	start_single_queue(h, 0);
}

/* A notice delivered on cadmond's first start, before the alerts stream acknowledged any (the
 * stream is missing), then a kill -9: after the restart the notice is on the stream (the first
 * start wrote nats-alerts-published: 0; a missing file would mean "nothing to publish again"). */
static void test_notice_unpublished_at_first_kill(void **state)
{
	jsErrCode jerr = 0;
	jsCtx *js;

	(void)state;
	js = start_world();
	assert_int_equal(js_DeleteStream(js, "CADMON_ALERTS", NULL, &jerr), NATS_OK);

	start_single(&x);
	int feed = harness_connect_feed(&x);
	assert_true(feed >= 0);
	assert_int_equal(
		harness_send(
			feed,
			"{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:"
			"00Z\","
			"\"operator\":\"op-1\",\"agency\":\"A1\"}\n"
			"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:05Z\","
			"\"released_by\":\"operator\"}\n"),
		0);
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, "cadmon_nats_alerts_failures_total") < 1 && harness_now_ms() < until)
		usleep(20 * 1000);
	assert_true(metric(&x, "cadmon_nats_alerts_failures_total") >= 1);
	assert_int_equal(metric(&x, "cadmon_nats_alerts_published_total"), 0);
	close(feed);
	assert_int_equal(harness_signal(&x, SIGKILL), 0);
	while (harness_running(&x))
		usleep(10 * 1000);

	create_streams(); /* the alerts stream back */
	start_single(&x);
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	for (read_alert_stream(js, &world.stream);
	     world.stream.count == 0 && harness_now_ms() < until;
	     read_alert_stream(js, &world.stream))
		usleep(100 * 1000);
	assert_int_equal(world.stream.count, 1);
	assert_string_equal(world.stream.text[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"cdd269060f43c275\",\"ts\":\"2026-"
			    "11-29T08:00:05.000Z\","
			    "\"type\":\"operator\",\"agency\":\"A1\",\"operator\":\"op-1\","
			    "\"rule\":\"every\",\"severity\":\"info\","
			    "\"window_seconds\":60,\"calls\":1,\"premature\":1,\"called_back\":0,"
			    "\"ratio\":1,\"callbacks\":"
			    "[{\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"
			    "seconds\":5,\"called_back\":false}]}");

	/* A reload: nats.fetch_batch applied, nats.consumer needs a restart (kept: no consumer
	 * z). */
	char yaml[2048];
	jsConsumerInfo *info = NULL;
	single_yaml(yaml, sizeof yaml, 0, "z", "  fetch_batch: 8\n");
	assert_int_equal(harness_write_config(&x, &(struct harness_options){ .extra_yaml = yaml }),
			 0);
	assert_int_equal(harness_signal(&x, SIGHUP), 0);
	expect_log(&x, "cadmond: warning: reload: nats.consumer: x -> z takes effect at the next "
		       "restart; kept x\n");
	expect_log(&x, "cadmond: reload: nats.fetch_batch: 256 -> 8\n");
	expect_no_log(&x, "reload: nats.consumer: x -> z\n");
	assert_int_equal(js_GetConsumerInfo(&info, js, "CADMON_EVENTS", "z", NULL, &jerr),
			 NATS_NOT_FOUND);
	assert_int_equal(metric(&x, "cadmon_nats_connected"), 1);
	harness_stop(&x);

	/* nats.mapping: each message one JSON record of cdr-9; its two lines processed (a premature
	 * call: the rule's alert on the stream), a record that is not JSON rejected; both
	 * acknowledged. */
	single_yaml(yaml, sizeof yaml, 0, "m", "  mapping: cdr\n");
	char *end = yaml + strlen(yaml);
	snprintf(end, sizeof yaml - (size_t)(end - yaml),
		 "mappings:\n  - {name: cdr, format: json, fields: {call_id: id, operator: agent, "
		 "agency: center,\n"
		 "     answer_time: answered, release_time: released}, time_format: iso8601, "
		 "time_zone: UTC,\n"
		 "     released_by_default: operator}\n");
	char *subjects = strstr(yaml, "[cadmon.events.A1]");
	memcpy(subjects, "[cadmon.events.M1]", strlen("[cadmon.events.M1]"));
	if (harness_start(&x, &(struct harness_options){ .extra_yaml = yaml }) < 0) {
		char *log = harness_stderr(&x);
		fail_msg("cadmond with nats.mapping did not start:\n%s", log ? log : "");
	}
	static const char *const records[] = {
		"{\"id\":\"r1\",\"agent\":\"op-9\",\"center\":\"M1\",\"answered\":\"2026-11-29T09:"
		"00:00Z\","
		"\"released\":\"2026-11-29T09:00:05Z\"}",
		"not a record",
	};
	for (size_t i = 0; i < 2; i++) {
		natsMsg *msg = NULL;
		assert_int_equal(natsMsg_Create(&msg, "cadmon.events.M1", NULL, records[i],
						(int)strlen(records[i])),
				 NATS_OK);
		assert_int_equal(natsMsgHeader_Set(msg, "Cadmon-Source", "cdr-9"), NATS_OK);
		assert_int_equal(js_PublishMsg(NULL, js, msg, NULL, &jerr), NATS_OK);
		natsMsg_Destroy(msg);
	}
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, "cadmon_nats_acknowledged_total") < 2 && harness_now_ms() < until)
		usleep(20 * 1000);
	assert_int_equal(metric(&x, "cadmon_nats_acknowledged_total"), 2);
	assert_int_equal(metric(&x, "cadmon_nats_records_rejected_total"), 1);
	assert_int_equal(metric(&x, "cadmon_events_total"),
			 4); /* the journal's c1 (recovered), r1's two */
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	/* op-1's firing, its resolved (r1 moved the clock an hour on), op-9's firing */
	for (read_alert_stream(js, &world.stream);
	     world.stream.count < 3 && harness_now_ms() < until;
	     read_alert_stream(js, &world.stream))
		usleep(50 * 1000);
	assert_int_equal(world.stream.count, 3);
	const char *op9 = NULL;
	for (size_t i = 0; i < world.stream.count; i++)
		if (strstr(world.stream.text[i], "\"operator\":\"op-9\""))
			op9 = world.stream.text[i];
	assert_non_null(op9);
	assert_non_null(strstr(op9, "{\"alert\":\"firing\","));
	assert_non_null(strstr(
		op9, "\"ts\":\"2026-11-29T09:00:05.000Z\",\"type\":\"operator\",\"agency\":\"M1\","
		     "\"operator\":\"op-9\",\"rule\":\"every\""));
	assert_non_null(strstr(
		op9, "\"callbacks\":[{\"call_id\":\"r1\",\"ts\":\"2026-11-29T09:00:00.000Z\","
		     "\"talk_seconds\":5,\"called_back\":false}]}"));
	expect_log(&x, "record rejected: invalid_json");
	harness_stop(&x);
}

/* One premature call of operator on A1 at minute (08:MM), and the metric name reaching at least
 * value afterwards. */
static void premature_call_then(int feed, int operator, int minute, const char *name, int64_t value)
{
	char lines[512];

	snprintf(lines, sizeof lines,
		 "{\"type\":\"call_start\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:%02d:00Z\","
		 "\"operator\":\"op-%d\",\"agency\":\"A1\"}\n"
		 "{\"type\":\"call_end\",\"call_id\":\"d%d\",\"ts\":\"2026-11-29T08:%02d:05Z\","
		 "\"released_by\":\"operator\"}\n",
		 operator, minute, operator, operator, minute);
	assert_int_equal(harness_send(feed, lines), 0);
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, name) < value && harness_now_ms() < until)
		usleep(20 * 1000);
	assert_true(metric(&x, name) >= value);
}

/* The next line of console holding needle (within SETTLE_TIMEOUT_MS) into line. */
static void console_line_with(int console, const char *needle, char *line, size_t size)
{
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;

	while (harness_now_ms() < until)
		if (harness_read_line(console, line, size, 1000) > 0 && strstr(line, needle))
			return;
	fail_msg("no line with %s on the console", needle);
}

/* The limit alert of nats.max_alert_queue as a console gets it: firing (dropped: the
 * evicted count, which the message repeats) or resolved. */
static void expect_queue_alert(int console, bool firing, int64_t *dropped)
{
	char line[4096], suffix[512];
	const char *key = "\"limit\":\"nats.max_alert_queue\",\"evicted\":";

	console_line_with(console, key, line, sizeof line);
	const char *evicted = strstr(line, key);
	assert_non_null(evicted);
	*dropped = strtoll(evicted + strlen(key), NULL, 10);
	assert_true(*dropped >= 1);
	if (firing)
		snprintf(suffix, sizeof suffix,
			 "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",%"
			 "s%" PRId64 ",\"message\":"
			 "\"notices dropped for the NATS alerts stream (nats.max_alert_queue "
			 "reached): %" PRId64 " so far; the next start publishes them again, or "
					      "raise nats.max_alert_queue\"}",
			 key, *dropped, *dropped);
	else
		snprintf(suffix, sizeof suffix,
			 "\"type\":\"system\",\"system\":\"limit\",\"severity\":\"warning\",%"
			 "s%" PRId64 ",\"message\":"
			 "\"no notice dropped (nats.max_alert_queue) for 1 s; %" PRId64
			 " in all\"}",
			 key, *dropped, *dropped);
	expect_framed(line,
		      firing ? "{\"alert\":\"firing\",\"alert_id\":\""
			     : "{\"alert\":\"resolved\",\"alert_id\":\"",
		      suffix);
}

/* A message longer than feed.max_line_bytes (1024 here) is rejected and counted, and raises
 * the feed.max_line_bytes limit alert as a feed line does, naming its Cadmon-Source (before:
 * only counted and logged). A Cadmon-Source a hello could not give is logged and the message
 * goes on without a source (before: taken as a named source of any length). */
static void test_too_long_message_raises_limit_alert(void **state)
{
	jsErrCode jerr = 0;
	char yaml[2048], payload[1500], line[4096];
	natsMsg *msg = NULL;
	jsCtx *js;

	(void)state;
	js = start_world();
	single_yaml(yaml, sizeof yaml, 0, "t", "");
	const struct harness_options options = { .feed_yaml = "  max_line_bytes: 1024\n",
						 .extra_yaml = yaml };
	if (harness_start(&x, &options) < 0) {
		char *log = harness_stderr(&x);
		fail_msg("cadmond did not start:\n%s", log ? log : "");
	}
	int console = harness_connect_subscriber(&x);
	assert_true(console >= 0);
	console_line_with(console, "{\"board\":\"end\"", line, sizeof line); /* live from here */
	memset(payload, 'x', sizeof payload);
	assert_int_equal(
		natsMsg_Create(&msg, "cadmon.events.A1", NULL, payload, (int)sizeof payload),
		NATS_OK);
	assert_int_equal(natsMsgHeader_Set(msg, "Cadmon-Source", "cad-9"), NATS_OK);
	assert_int_equal(js_PublishMsg(NULL, js, msg, NULL, &jerr), NATS_OK);
	natsMsg_Destroy(msg);
	assert_int_equal(expect_limit_alert(console, "feed.max_line_bytes", true,
					    "feed lines rejected as too long, the latest from "
					    "source cad-9 (feed.max_line_bytes reached): %" PRIu64
					    " so far; check what the sender writes, or raise "
					    "feed.max_line_bytes"),
			 1);
	assert_int_equal(metric(&x, "cadmon_nats_too_long_total"), 1);
	assert_int_equal(metric(&x, "cadmon_nats_unnamed_total"), 0);

	/* a Cadmon-Source no hello could give (65 bytes): logged, the message without a source */
	char long_source[66];
	memset(long_source, 's', sizeof long_source - 1);
	long_source[sizeof long_source - 1] = '\0';
	assert_int_equal(
		natsMsg_Create(&msg, "cadmon.events.A1", NULL, payload, (int)sizeof payload),
		NATS_OK);
	assert_int_equal(natsMsgHeader_Set(msg, "Cadmon-Source", long_source), NATS_OK);
	assert_int_equal(js_PublishMsg(NULL, js, msg, NULL, &jerr), NATS_OK);
	natsMsg_Destroy(msg);
	expect_log(&x, "cadmond: warning: nats: cadmon.events.A1: bad Cadmon-Source header: "
		       "\"source\" must be 1 to 64 bytes; going on without a source\n");
	assert_int_equal(metric(&x, "cadmon_nats_unnamed_total"), 1);
	assert_int_equal(metric(&x, "cadmon_nats_too_long_total"), 2);

	/* a Cadmon-Epoch no hello could give (65 bytes): the same (before: kept cut to 64 bytes,
	 * and each message of the sender was taken for a restart of its numbering) */
	assert_int_equal(natsMsg_Create(&msg, "cadmon.events.A1", NULL, "{}", 2), NATS_OK);
	assert_int_equal(natsMsgHeader_Set(msg, "Cadmon-Source", "cad-9"), NATS_OK);
	assert_int_equal(natsMsgHeader_Set(msg, "Cadmon-Epoch", long_source), NATS_OK);
	assert_int_equal(js_PublishMsg(NULL, js, msg, NULL, &jerr), NATS_OK);
	natsMsg_Destroy(msg);
	expect_log(&x, "cadmond: warning: nats: cadmon.events.A1 (source cad-9): bad Cadmon-Epoch "
		       "header: \"epoch\" must be an integer or 1 to 64 bytes; going on without "
		       "a source\n");
	assert_int_equal(metric(&x, "cadmon_nats_unnamed_total"), 2);
	close(console);
	harness_stop(&x);
}

#define NATS_BURST_CALLS 100 /* 200 messages, one line each, fetched in one batch (256) */

/* Publish data on A1, again until the stream stores it (a leader being elected), within
 * SETTLE_TIMEOUT_MS. */
static void publish_until_stored(jsCtx *js, const char *data, size_t len)
{
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	jsErrCode jerr = 0;
	natsStatus status;

	while ((status = js_Publish(NULL, js, "cadmon.events.A1", data, (int)len, NULL, &jerr)) !=
		       NATS_OK &&
	       harness_now_ms() < until)
		usleep(100 * 1000);
	assert_int_equal(status, NATS_OK);
}

/* Publish op-N's call on A1 as two messages, a line each. */
static void publish_flood_call(jsCtx *js, unsigned n)
{
	char lines[FLOOD_CALL_LINES_MAX];
	size_t len = flood_call_lines(n, false, lines);
	const char *second = strchr(lines, '\n') + 1;

	publish_until_stored(js, lines, (size_t)(second - lines));
	publish_until_stored(js, second, (size_t)(lines + len - second));
}

/* The alerts of op-first to op-(last - 1) are in cadmond's log once each, in that order. */
static void expect_alerts_in_order(const struct harness *h, unsigned first, unsigned last)
{
	char *log = harness_stderr(h), needle[128];
	const char *at = log;

	assert_non_null(log);
	for (unsigned n = first; n < last; n++) {
		snprintf(needle, sizeof needle,
			 "firing, rule every (info) for operator op-%u: ", n);
		at = strstr(at, needle);
		if (!at)
			fail_msg("no alert of op-%u after op-%u's:\n%s", n, n - 1, log);
		assert_null(strstr(at + 1, needle));
	}
	free(log);
}

/* A metric reaching value within SETTLE_TIMEOUT_MS. */
static void wait_metric(const struct harness *h, const char *name, int64_t value)
{
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;

	while (metric(h, name) < value && harness_now_ms() < until)
		usleep(20 * 1000);
	assert_int_equal(metric(h, name), value);
}

/* The durable consumer deleted under a running cadmond (before: nothing more was consumed,
 * silently, until a restart): within NATS_CONSUMER_CHECK_MS of quiet it is found gone,
 * logged, and created again from the stream's first message; op-1's call, published after
 * the deletion, raises its alert, and op-0's, delivered again, is dropped as duplicates. */
static void test_deleted_consumer_created_again(void **state)
{
	jsErrCode jerr = 0;
	char yaml[2048];
	jsCtx *js;

	(void)state;
	js = start_world();
	single_yaml(yaml, sizeof yaml, 0, "d", "");
	if (harness_start(&x, &(struct harness_options){ .extra_yaml = yaml }) < 0) {
		char *log = harness_stderr(&x);
		fail_msg("cadmond did not start:\n%s", log ? log : "");
	}
	publish_flood_call(js, 0);
	expect_log_format(&x, "firing, rule every (info) for operator op-%u: ", 0);
	wait_metric(&x, "cadmon_nats_acknowledged_total", 2);
	assert_int_equal(js_DeleteConsumer(js, "CADMON_EVENTS", "d", NULL, &jerr), NATS_OK);
	publish_flood_call(js, 1);
	assert_true(harness_wait_for_log(&x,
					 "cadmond: warning: nats: consumer d is gone from stream "
					 "CADMON_EVENTS (it was deleted): creating it again, "
					 "delivering the stream from its first message\n",
					 SETTLE_TIMEOUT_MS));
	expect_log_format(&x, "firing, rule every (info) for operator op-%u: ", 1);
	wait_metric(&x, "cadmon_nats_acknowledged_total", 6);
	expect_alerts_in_order(&x, 0, 2);
	assert_int_equal(metric(&x, "cadmon_duplicates_total"), 2);
	harness_stop(&x);
}

/* NATS messages under feed.snapshot_iteration_budget_us (1 us) while a snapshot is near (64 KiB
 * segments, filled through a TCP feed) or written: a fetched batch is processed
 * FEED_DEADLINE_CHECK_LINES messages an iteration, the rest left for the next (counted in
 * cadmon_feed_iterations_cut_short_total, no TCP line arriving meanwhile), and every message
 * is still processed once and in order, and acknowledged. */
static void test_messages_under_the_snapshot_budget(void **state)
{
	const char *cut_short = "cadmon_feed_iterations_cut_short_total";
	char yaml[2048], lines[FLOOD_CALL_LINES_MAX];
	unsigned n = 0, first;
	int64_t cut_before, until;
	jsCtx *js;
	int feed;

	(void)state;
	js = start_world();
	single_yaml(yaml, sizeof yaml, 0, "b",
		    "tracker:\n  max_new_operators_per_source_per_hour: 0\n"
		    FLOOD_SMALL_SEGMENTS_YAML);
	const struct harness_options options = { .feed_yaml = "  snapshot_iteration_budget_us: 1\n",
						 .extra_yaml = yaml };
	if (harness_start(&x, &options) < 0) {
		char *log = harness_stderr(&x);
		fail_msg("cadmond did not start:\n%s", log ? log : "");
	}
	feed = harness_connect_feed(&x);
	assert_true(feed >= 0);
	while (metric(&x, "cadmon_journal_bytes_written_total") < FLOOD_NEAR_SEGMENT_END) {
		for (unsigned batch = n; n < batch + 10; n++) {
			flood_call_lines(n, false, lines);
			assert_int_equal(harness_send(feed, lines), 0);
		}
		expect_log_format(&x, "firing, rule every (info) for operator op-%u: ", n - 1);
	}
	assert_int_equal(metric(&x, "cadmon_journal_segments_created_total"), 1);
	cut_before = metric(&x, cut_short);
	first = n;
	assert_int_equal(harness_pause(&x), 0); /* the messages wait in the stream */
	for (; n < first + NATS_BURST_CALLS; n++)
		publish_flood_call(js, n);
	assert_int_equal(harness_resume(&x), 0);
	expect_log_format(&x, "firing, rule every (info) for operator op-%u: ", n - 1);
	expect_alerts_in_order(&x, 0, n);
	assert_true(metric(&x, cut_short) >= cut_before + 2);
	assert_true(metric(&x, "cadmon_journal_segments_created_total") >= 2);
	assert_int_equal(metric(&x, "cadmon_nats_messages_total"), 2 * NATS_BURST_CALLS);
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, "cadmon_nats_acknowledged_total") < 2 * NATS_BURST_CALLS &&
	       harness_now_ms() < until)
		usleep(20 * 1000);
	assert_int_equal(metric(&x, "cadmon_nats_acknowledged_total"), 2 * NATS_BURST_CALLS);
	close(feed);
	harness_stop(&x);
}

/* A notice dropped for a full nats.max_alert_queue (op-2's, while the stream is missing) is
 * published by the next start, although a later notice (op-3's) was acknowledged before the
 * kill: the published mark stays below the first notice dropped. Consoles see a limit system
 * alert for nats.max_alert_queue while notices are dropped, resolved once none was for
 * detector.resolve_after_seconds (1 here). */
static void test_notice_dropped_for_full_queue_published_by_next_start(void **state)
{
	jsErrCode jerr = 0;
	jsCtx *js;

	(void)state;
	js = start_world();
	assert_int_equal(js_DeleteStream(js, "CADMON_ALERTS", NULL, &jerr), NATS_OK);
	start_single_queue(&x, 1);
	int console = harness_connect_subscriber(&x);
	assert_true(console >= 0);
	char board[256];
	console_line_with(console, "{\"board\":\"end\"", board, sizeof board); /* live from here */
	int feed = harness_connect_feed(&x);
	assert_true(feed >= 0);
	premature_call_then(feed, 1, 0, "cadmon_nats_alerts_failures_total",
			    1); /* queued, failing */
	/* the calls in one minute: detector.resolve_after_seconds 1 resolves no operator alert */
	premature_call_then(feed, 2, 0, "cadmon_nats_alerts_dropped_total",
			    1); /* the queue is full */
	int64_t dropped_firing, dropped_resolved;
	expect_queue_alert(console, true, &dropped_firing);
	create_streams();
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, "cadmon_nats_alerts_published_total") < 1 && harness_now_ms() < until)
		usleep(20 * 1000);
	expect_queue_alert(console, false, &dropped_resolved);
	assert_true(dropped_resolved >= dropped_firing);
	assert_true(metric(&x, "cadmon_nats_alerts_dropped_total") >= dropped_resolved);
	close(console);
	/* The resolved limit alert is queued as the console gets it: with a queue of one, op-3's
	 * notice would be dropped if it came before that one was published (a loaded machine). */
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	while (metric(&x, "cadmon_nats_alert_queue") != 0 && harness_now_ms() < until)
		usleep(20 * 1000);
	assert_int_equal(metric(&x, "cadmon_nats_alert_queue"), 0);
	int64_t published = metric(&x, "cadmon_nats_alerts_published_total");
	premature_call_then(feed, 3, 0, "cadmon_nats_alerts_published_total", published + 1);
	/* op-3's notice on the stream before the kill */
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	for (read_alert_stream(js, &world.stream);
	     world.stream.count < 2 && harness_now_ms() < until;
	     read_alert_stream(js, &world.stream))
		usleep(20 * 1000);
	assert_int_equal(world.stream.count, 2);
	close(feed);
	assert_int_equal(harness_signal(&x, SIGKILL), 0);
	while (harness_running(&x))
		usleep(10 * 1000);

	start_single(&x);
	until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	for (read_alert_stream(js, &world.stream);
	     world.stream.count < 3 && harness_now_ms() < until;
	     read_alert_stream(js, &world.stream))
		usleep(100 * 1000);
	assert_int_equal(world.stream.count, 3);
	assert_non_null(strstr(world.stream.text[0], "\"operator\":\"op-1\""));
	assert_non_null(strstr(world.stream.text[1], "\"operator\":\"op-3\""));
	assert_non_null(strstr(world.stream.text[2], "\"operator\":\"op-2\""));
	harness_stop(&x);
}

/* cadmon-watch with args (NULL-terminated, after the program) until it exits: its status, its
 * output (stdout and stderr) in world.text. */
static int run_watch(const char *const *args)
{
	const char *argv[24] = { env_or("CADMON_WATCH", "cadmon-watch") };
	char log[PATH_MAX + 32];
	size_t argc = 1;
	static int run;

	while (*args && argc < sizeof argv / sizeof argv[0] - 1)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	snprintf(log, sizeof log, "%s/watch-%d.log", world.dir, ++run);
	int status = wait_exit(spawn(argv, NULL, log), 30000);
	free(world.text);
	world.text = harness_read_file(log);
	assert_non_null(world.text);
	return status;
}

/* A standalone nats-server with JetStream and TLS (the test CA's server certificate) and the
 * authorization block given; its client URL. The alerts stream created on it through a client
 * with the same credentials, holding notice. */
static void start_secured(size_t index, const char *pki, const char *authorization,
			  const char *token, const char *user, const char *password,
			  const char *notice, char *url, size_t size)
{
	char config[PATH_MAX + 64], text[PATH_MAX * 3 + 512], log[PATH_MAX + 64], ca[PATH_MAX + 16];
	uint16_t port;
	natsOptions *options = NULL;
	natsConnection *connection = NULL;
	jsCtx *js = NULL;
	jsStreamConfig stream;
	jsErrCode jerr = 0;
	const char *subjects[] = { "cadmon.alerts.>" };

	assert_int_equal(harness_pick_ports(&port, 1), 0);
	snprintf(config, sizeof config, "%s/secured%zu.conf", world.dir, index);
	snprintf(log, sizeof log, "%s/secured%zu.log", world.dir, index);
	snprintf(text, sizeof text,
		 "listen: \"127.0.0.1:%u\"\njetstream { store_dir: \"%s/secured%zu\" }\n"
		 "tls { cert_file: \"%s/server.pem\", key_file: \"%s/server.key\" }\nauthorization "
		 "{ %s }\n",
		 port, world.dir, index, pki, pki, authorization);
	assert_int_equal(harness_write_file(config, text), 0);
	const char *argv[] = { env_or("NATS_SERVER", "/usr/sbin/nats-server"), "-c", config, NULL };
	world.secured[index] = spawn(argv, NULL, log);
	snprintf(url, size, "tls://127.0.0.1:%u", port);
	snprintf(ca, sizeof ca, "%s/ca.pem", pki);
	assert_int_equal(natsOptions_Create(&options), NATS_OK);
	assert_int_equal(natsOptions_SetURL(options, url), NATS_OK);
	assert_int_equal(natsOptions_LoadCATrustedCertificates(options, ca), NATS_OK);
	assert_int_equal(natsOptions_SetSecure(options, true), NATS_OK);
	if (token)
		assert_int_equal(natsOptions_SetToken(options, token), NATS_OK);
	if (user)
		assert_int_equal(natsOptions_SetUserInfo(options, user, password), NATS_OK);
	int64_t until = harness_now_ms() + 10000;
	while (natsConnection_Connect(&connection, options) != NATS_OK && harness_now_ms() < until)
		usleep(50 * 1000);
	assert_non_null(connection);
	assert_int_equal(natsConnection_JetStream(&js, connection, NULL), NATS_OK);
	jsStreamConfig_Init(&stream);
	stream.Name = "CADMON_ALERTS";
	stream.Subjects = subjects;
	stream.SubjectsLen = 1;
	assert_int_equal(js_AddStream(NULL, js, &stream, NULL, &jerr), NATS_OK);
	assert_int_equal(
		js_Publish(NULL, js, "cadmon.alerts.A1", notice, (int)strlen(notice), NULL, &jerr),
		NATS_OK);
	jsCtx_Destroy(js);
	natsConnection_Destroy(connection);
	natsOptions_Destroy(options);
}

/* cadmon-watch --nats with TLS (--ca) and a token (--token-file), or a user and its password
 * (--nats-user, --nats-password-file), as cadmond's nats: section has them; a wrong token is
 * refused (exit 1). */
static void watch_secured(const char *notice, const char *shown)
{
	char pki[PATH_MAX + 16], ca[PATH_MAX + 32], token_file[PATH_MAX + 32],
		password_file[PATH_MAX + 32];
	char wrong_file[PATH_MAX + 32], url_token[64], url_user[64], command[PATH_MAX * 2 + 64],
		prefix[160];
	const char *script = getenv("CADMON_MAKE_CERTS");

	assert_non_null(script);
	snprintf(pki, sizeof pki, "%s/pki", world.dir);
	snprintf(command, sizeof command, "%s %s", script, pki);
	assert_int_equal(system(command), 0);
	snprintf(ca, sizeof ca, "%s/ca.pem", pki);
	snprintf(token_file, sizeof token_file, "%s/token", world.dir);
	snprintf(password_file, sizeof password_file, "%s/password", world.dir);
	snprintf(wrong_file, sizeof wrong_file, "%s/wrong", world.dir);
	assert_int_equal(harness_write_file(token_file, "watch-token-0001\n"), 0);
	assert_int_equal(harness_write_file(password_file, "pw-0001\n"), 0);
	assert_int_equal(harness_write_file(wrong_file, "not-the-token\n"), 0);
	chmod(token_file, 0600);
	chmod(password_file, 0600);
	chmod(wrong_file, 0600);
	start_secured(0, pki, "token: \"watch-token-0001\"", "watch-token-0001", NULL, NULL, notice,
		      url_token, sizeof url_token);
	start_secured(1, pki, "users: [{user: watch, password: \"pw-0001\"}]", NULL, "watch",
		      "pw-0001", notice, url_user, sizeof url_user);
	const char *with_token[] = { "--nats",	  url_token, "--ca",  ca,	 "--token-file",
				     token_file,  "--lines", "--utc", "--count", "1",
				     "--timeout", "20",	     NULL };
	if (run_watch(with_token) != 0)
		fail_msg("cadmon-watch --nats with a token:\n%s", world.text);
	assert_string_equal(world.text, shown);
	const char *with_user[] = { "--nats",
				    url_user,
				    "--ca",
				    ca,
				    "--nats-user",
				    "watch",
				    "--nats-password-file",
				    password_file,
				    "--lines",
				    "--utc",
				    "--count",
				    "1",
				    "--timeout",
				    "20",
				    NULL };
	if (run_watch(with_user) != 0)
		fail_msg("cadmon-watch --nats with a user:\n%s", world.text);
	assert_string_equal(world.text, shown);
	const char *wrong[] = { "--nats",   url_token, "--ca",	  ca,  "--token-file",
				wrong_file, "--lines", "--count", "1", "--timeout",
				"2",	    NULL };
	int status = run_watch(wrong);
	if (status != 1)
		fail_msg("cadmon-watch --nats with a wrong token: exit %d, not 1:\n%s", status,
			 world.text);
	snprintf(prefix, sizeof prefix,
		 "cadmon-watch: cannot follow cadmon.alerts.> on %s: ", url_token);
	if (strncmp(world.text, prefix, strlen(prefix)) != 0)
		fail_msg("expected %s..., got %s", prefix, world.text);

	/* cadmond given another CA than the server's says why it cannot connect, OpenSSL's
	 * reason included (before: "SSL Error" only). */
	char yaml[PATH_MAX * 2 + 512];
	snprintf(yaml, sizeof yaml,
		 "nats:\n  enabled: true\n  servers: [\"%s\"]\n  tls_ca: \"%s/rogue-ca.pem\"\n"
		 "  token_file: \"%s\"\n  reconnect_wait_ms: 100\n",
		 url_token, pki, token_file);
	assert_int_equal(harness_start(&x, &(struct harness_options){ .extra_yaml = yaml }), 0);
	snprintf(prefix, sizeof prefix, "cadmond: warning: nats: cannot connect to %s: ",
		 url_token);
	expect_log(&x, prefix);
	expect_log(&x, "SSL handshake error: 20:unable to get local issuer certificate");
	harness_stop(&x);
}

/* The events stream's message at seq as "SUBJECT SOURCE MSG-ID DATA" (the headers cadmond
 * reads). */
static void expect_event(jsCtx *js, uint64_t seq, const char *expected)
{
	natsMsg *msg = NULL;
	jsErrCode jerr = 0;
	const char *source = "", *id = "";
	char text[4096];

	assert_int_equal(js_GetMsg(&msg, js, "CADMON_EVENTS", seq, NULL, &jerr), NATS_OK);
	natsMsgHeader_Get(msg, "Cadmon-Source", &source);
	natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
	snprintf(text, sizeof text, "%s %s %s %.*s", natsMsg_GetSubject(msg), source, id,
		 natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
	natsMsg_Destroy(msg);
	assert_string_equal(text, expected);
}

/* Wait until the events stream holds count messages. */
static void wait_events(jsCtx *js, uint64_t count)
{
	int64_t until = harness_now_ms() + SETTLE_TIMEOUT_MS;
	uint64_t held = 0;

	while (harness_now_ms() < until) {
		jsStreamInfo *info = NULL;
		jsErrCode jerr = 0;
		if (js_GetStreamInfo(&info, js, "CADMON_EVENTS", NULL, &jerr) == NATS_OK) {
			held = info->State.Msgs;
			jsStreamInfo_Destroy(info);
		}
		if (held >= count)
			break;
		usleep(20 * 1000);
	}
	assert_int_equal(held, count);
}

/* A source that restarts its numbering with a new epoch (docs/protocol.md) is not dropped by
 * JetStream as a resend of the old epoch's lines: with an epoch, Nats-Msg-Id is
 * SOURCE:SEQ:EPOCH (before: SOURCE:SEQ, and epoch e2's seq 1 was a duplicate of e1's for the
 * stream's duplicate window, acknowledged to the publisher and never consumed). */
static void test_publish_epoch_and_overlong_line(void **state)
{
	static const char *const inputs[] = {
		"{\"hello\":\"feed\",\"source\":\"cad-e\",\"epoch\":\"e1\"}\n"
		"{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"E1\",\"agency\":\"A1\"}\n",
		"{\"hello\":\"feed\",\"source\":\"cad-e\",\"epoch\":\"e2\"}\n"
		"{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"E2\",\"agency\":\"A1\"}\n",
		"{\"hello\":\"feed\",\"source\":\"cad-e\",\"epoch\":\"e2\"}\n"
		"{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"E2\",\"agency\":\"A1\"}\n",
	};
	char input[PATH_MAX + 16];
	jsCtx *js;

	(void)state;
	js = start_world();
	snprintf(input, sizeof input, "%s/epochs.ndjson", world.dir);
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		assert_int_equal(harness_write_file(input, inputs[i]), 0);
		assert_int_equal(publish(input, false), 0);
	}
	wait_events(js, 2); /* the third, e2's seq 1 again, is a resend */
	expect_event(js, 1,
		     "cadmon.events.A1 cad-e cad-e:1:e1 "
		     "{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"E1\",\"agency\":\"A1\"}");
	expect_event(js, 2,
		     "cadmon.events.A1 cad-e cad-e:1:e2 "
		     "{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"E2\",\"agency\":\"A1\"}");

	/* A line over 1 MiB on stdin is one line not published, said so, and the next line is
	 * published (before: cut by fgets into pieces, each "not a JSON object", and every later
	 * line numbered wrong). */
	static const char after[] =
		"\n{\"seq\":5,\"type\":\"call_start\",\"call_id\":\"F1\",\"agency\":\"A1\"}\n";
	static const char hello[] = "{\"hello\":\"feed\",\"source\":\"cad-f\"}\n";
	size_t long_len = (1u << 20) + 1;
	char *text = malloc(sizeof hello + long_len + sizeof after);
	assert_non_null(text);
	memcpy(text, hello, sizeof hello - 1);
	memset(text + sizeof hello - 1, 'x', long_len);
	memcpy(text + sizeof hello - 1 + long_len, after, sizeof after);
	assert_int_equal(harness_write_file(input, text), 0);
	free(text);
	char log_path[PATH_MAX + 16];
	snprintf(log_path, sizeof log_path, "%s/publish.log", world.dir);
	unlink(log_path); /* this run's alone */
	assert_int_equal(publish(input, false), 1);
	wait_events(js, 3);
	expect_event(js, 3,
		     "cadmon.events.A1 cad-f cad-f:5 "
		     "{\"seq\":5,\"type\":\"call_start\",\"call_id\":\"F1\",\"agency\":\"A1\"}");
	char *log = harness_read_file(log_path);
	assert_non_null(log);
	assert_non_null(strstr(log, "cadmon-publish: line 2: over 1048576 bytes: not published\n"));
	assert_null(strstr(log, "not a JSON object"));
	free(log);
}

/* A node that keeps cadmond's connection open but stops answering (SIGSTOP: a hung host, a
 * partition without a reset) is left for another node within NATS_MAX_PINGS_OUT pings of
 * NATS_PING_INTERVAL_MS (before: cnats' defaults, about 6 minutes without a message): op-1's
 * call, published through another node meanwhile, raises its alert. */
static void test_stalled_server_left_for_another(void **state)
{
	natsConnection *other = NULL;
	char yaml[2048], all[sizeof world.servers_yaml], url[64];
	jsCtx *js = NULL;

	(void)state;
	start_world();
	memcpy(all, world.servers_yaml, sizeof all); /* cadmond knows the last node only */
	snprintf(world.servers_yaml, sizeof world.servers_yaml, "[\"nats://127.0.0.1:%u\"]",
		 world.nodes[NODES - 1].client_port);
	single_yaml(yaml, sizeof yaml, 0, "s", "");
	memcpy(world.servers_yaml, all, sizeof all);
	if (harness_start(&x, &(struct harness_options){ .extra_yaml = yaml }) < 0) {
		char *log = harness_stderr(&x);
		fail_msg("cadmond did not start:\n%s", log ? log : "");
	}
	snprintf(url, sizeof url, "nats://127.0.0.1:%u", world.nodes[0].client_port);
	assert_int_equal(natsConnection_ConnectTo(&other, url), NATS_OK);
	assert_int_equal(natsConnection_JetStream(&js, other, NULL), NATS_OK);
	publish_flood_call(js, 0);
	expect_log_format(&x, "firing, rule every (info) for operator op-%u: ", 0);
	kill(world.nodes[NODES - 1].pid, SIGSTOP);
	publish_flood_call(js, 1);
	bool left = harness_wait_for_log(&x, "cadmond: warning: nats: disconnected from the NATS "
					    "cluster\n", SETTLE_TIMEOUT_MS);
	bool alerted = left && harness_wait_for_log(&x, "firing, rule every (info) for operator "
							"op-1: ", SETTLE_TIMEOUT_MS);
	kill(world.nodes[NODES - 1].pid, SIGCONT);
	jsCtx_Destroy(js);
	natsConnection_Destroy(other);
	assert_true(left);
	assert_true(alerted);
	harness_stop(&x);
}

/* The port cadmon-publish --listen printed in its log ("listening on 127.0.0.1:PORT"). */
static uint16_t publish_port(const char *log)
{
	int64_t until = harness_now_ms() + 10000;

	while (harness_now_ms() < until) {
		char *text = harness_read_file(log);
		const char *at = text ? strstr(text, "listening on 127.0.0.1:") : NULL;
		uint16_t port = at ? (uint16_t)atoi(at + strlen("listening on 127.0.0.1:")) : 0;
		free(text);
		if (port)
			return port;
		usleep(20 * 1000);
	}
	fail_msg("cadmon-publish --listen did not say its port");
	return 0;
}

/* cadmon-publish --listen: two CAD connections, each its own hello (source) and numbering;
 * a call_end without agency reaches its call's subject; SIGTERM ends it with the summary.
 * Then --mapping: the example CDR's records (config/mappings/example-cdr.yaml) become
 * call_start, incident and call_end lines of --source; a record with a bad time is rejected
 * (exit 1). On the running cluster's events stream, empty before. */
static void publish_tools(jsCtx *js)
{
	char log[PATH_MAX + 32], input[PATH_MAX + 32];
	const char *listen_argv[] = { env_or("CADMON_PUBLISH", "cadmon-publish"),
				      "--server",
				      world.servers,
				      "--listen",
				      "127.0.0.1:0",
				      NULL };

	snprintf(log, sizeof log, "%s/publish-listen.log", world.dir);
	pid_t publisher = spawn(listen_argv, NULL, log);
	uint16_t port = publish_port(log);
	int first = harness_connect(port), second = harness_connect(port);
	assert_true(first >= 0 && second >= 0);
	assert_int_equal(
		harness_send(
			first,
			"{\"hello\":\"feed\",\"source\":\"cad-L1\"}\n"
			"{\"type\":\"call_start\",\"call_id\":\"L1\",\"ts\":\"2026-11-29T08:00:"
			"00Z\","
			"\"operator\":\"op-1\",\"agency\":\"B1\"}\n"
			"{\"type\":\"call_end\",\"call_id\":\"L1\",\"ts\":\"2026-11-29T08:00:05Z\","
			"\"released_by\":\"operator\"}\n"),
		0);
	wait_events(js, 2);
	assert_int_equal(
		harness_send(
			second,
			"{\"hello\":\"feed\",\"source\":\"cad-L2\"}\n"
			"{\"seq\":7,\"type\":\"call_start\",\"call_id\":\"L2\","
			"\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":\"op-2\",\"agency\":\"B2\"}"),
		0); /* the last line without a newline: taken at the connection's end */
	close(second);
	wait_events(js, 3);
	close(first);
	usleep(300 * 1000); /* both ends read */
	kill(publisher, SIGTERM);
	assert_int_equal(wait_exit(publisher, 20000), 0);
	expect_event(js, 1,
		     "cadmon.events.B1 cad-L1 cad-L1:1 "
		     "{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"L1\","
		     "\"ts\":\"2026-11-29T08:00:00Z\",\"operator\":\"op-1\",\"agency\":\"B1\"}");
	expect_event(js, 2,
		     "cadmon.events.B1 cad-L1 cad-L1:2 "
		     "{\"seq\":2,\"type\":\"call_end\",\"call_id\":\"L1\","
		     "\"ts\":\"2026-11-29T08:00:05Z\",\"released_by\":\"operator\"}");
	expect_event(js, 3,
		     "cadmon.events.B2 cad-L2 cad-L2:7 "
		     "{\"seq\":7,\"type\":\"call_start\",\"call_id\":\"L2\","
		     "\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":\"op-2\",\"agency\":\"B2\"}");
	free(world.text);
	world.text = harness_read_file(log);
	assert_non_null(strstr(
		world.text,
		"cadmon-publish: 3 lines published and acknowledged (0 duplicates), 0 failed, "
		"0 skipped, 0 sent again\n"));

	snprintf(input, sizeof input, "%s/records.csv", world.dir);
	assert_int_equal(harness_write_file(input, "CallID,Agency,Position,AgentID,ANI,AnswerTime,"
						   "ReleaseTime,ReleasedBy,IncidentNo,TrunkGroup\n"
						   "C000004,KCPD,P06,AG06,5045550506,11/29/2026 "
						   "06:02:33 AM,11/29/2026 06:03:42 AM,A,"
						   "INC-000003,\"911 Trunk 2\"\n"
						   "C000005,KCPD,P06,AG06,5045550507,13/29/2026 "
						   "06:02:33 AM,11/29/2026 06:03:42 AM,A,,x\n"),
			 0);
	const char *mapping_argv[] = { env_or("CADMON_PUBLISH", "cadmon-publish"),
				       "--server",
				       world.servers,
				       "--mapping",
				       CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml",
				       "--source",
				       "cdr-1",
				       NULL };
	snprintf(log, sizeof log, "%s/publish-mapping.log", world.dir);
	assert_int_equal(wait_exit(spawn(mapping_argv, input, log), 30000), 1);
	wait_events(js, 6);
	expect_event(
		js, 4,
		"cadmon.events.KCPD cdr-1 cdr-1:1 "
		"{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"C000004\","
		"\"ts\":\"2026-11-29T12:02:33.000Z\",\"operator\":\"AG06\",\"agency\":\"KCPD\","
		"\"position\":\"P06\",\"ani\":\"5045550506\"}");
	expect_event(js, 5,
		     "cadmon.events.KCPD cdr-1 cdr-1:2 "
		     "{\"seq\":2,\"type\":\"incident\",\"call_id\":\"C000004\","
		     "\"ts\":\"2026-11-29T12:02:33.000Z\",\"incident_id\":\"INC-000003\"}");
	expect_event(js, 6,
		     "cadmon.events.KCPD cdr-1 cdr-1:3 "
		     "{\"seq\":3,\"type\":\"call_end\",\"call_id\":\"C000004\","
		     "\"ts\":\"2026-11-29T12:03:42.000Z\",\"released_by\":\"operator\"}");
	free(world.text);
	world.text = harness_read_file(log);
	assert_string_equal(world.text, "cadmon-publish: line 3: record rejected (bad_timestamp): "
					"\"AnswerTime\": not a time in the format "
					"\"%m/%d/%Y %I:%M:%S %p\": \"13/29/2026 06:02:33 AM\"\n"
					"cadmon-publish: 3 lines published and acknowledged (0 "
					"duplicates), 0 failed, 1 skipped, 0 sent "
					"again\n");

	/* Both: records from a CAD connection whose hello names the source. */
	const char *both_argv[] = { env_or("CADMON_PUBLISH", "cadmon-publish"),
				    "--server",
				    world.servers,
				    "--listen",
				    "127.0.0.1:0",
				    "--mapping",
				    CADMON_SOURCE_DIR "/config/mappings/example-cdr.yaml",
				    NULL };
	snprintf(log, sizeof log, "%s/publish-both.log", world.dir);
	publisher = spawn(both_argv, NULL, log);
	int cad = harness_connect(publish_port(log));
	assert_true(cad >= 0);
	assert_int_equal(harness_send(cad, "{\"hello\":\"feed\",\"source\":\"cdr-2\"}\n"
					   "CallID,Agency,Position,AgentID,ANI,AnswerTime,"
					   "ReleaseTime,ReleasedBy,IncidentNo\n"
					   "C9,KCPD,P01,AG01,5045550101,11/29/2026 07:00:00 "
					   "AM,11/29/2026 07:00:10 AM,C,\n"),
			 0);
	wait_events(js, 8);
	close(cad);
	usleep(300 * 1000);
	kill(publisher, SIGTERM);
	assert_int_equal(wait_exit(publisher, 20000), 0);
	expect_event(
		js, 7,
		"cadmon.events.KCPD cdr-2 cdr-2:1 "
		"{\"seq\":1,\"type\":\"call_start\",\"call_id\":\"C9\","
		"\"ts\":\"2026-11-29T13:00:00.000Z\",\"operator\":\"AG01\",\"agency\":\"KCPD\","
		"\"position\":\"P01\",\"ani\":\"5045550101\"}");
	expect_event(js, 8,
		     "cadmon.events.KCPD cdr-2 cdr-2:2 "
		     "{\"seq\":2,\"type\":\"call_end\",\"call_id\":\"C9\","
		     "\"ts\":\"2026-11-29T13:00:10.000Z\",\"released_by\":\"caller\"}");
}

/* cadmon-watch --nats: the notices published to the alerts stream are shown (line mode), in
 * stream order. */
static void test_watch_follows_the_alerts_stream(void **state)
{
	static const char first[] = "{\"alert\":\"firing\",\"alert_id\":\"cdd269060f43c275\","
				    "\"seq\":1,\"ts\":\"2026-11-29T08:00:05.000Z\","
				    "\"type\":\"operator\",\"agency\":\"A1\",\"operator\":\"op-1\","
				    "\"rule\":\"every\",\"severity\":\"info\","
				    "\"window_seconds\":60,\"calls\":1,\"premature\":1,\"called_"
				    "back\":0,\"ratio\":1,\"center_ratio\":0,"
				    "\"p_value\":0.05,\"callbacks\":[{\"call_id\":\"c1\",\"ts\":"
				    "\"2026-11-29T08:00:00.000Z\","
				    "\"talk_seconds\":5,\"called_back\":false}]}";
	static const char second[] = "{\"alert\":\"firing\",\"alert_id\":\"0123456789abcdef\","
				     "\"seq\":2,\"ts\":\"2026-11-29T08:01:05.000Z\","
				     "\"type\":\"operator\",\"agency\":\"A2\",\"operator\":\"op-"
				     "2\",\"rule\":\"every\",\"severity\":\"info\","
				     "\"window_seconds\":60,\"calls\":1,\"premature\":1,\"called_"
				     "back\":0,\"ratio\":1,\"center_ratio\":0,"
				     "\"p_value\":0.05,\"callbacks\":[{\"call_id\":\"c2\",\"ts\":"
				     "\"2026-11-29T08:01:00.000Z\","
				     "\"talk_seconds\":5,\"called_back\":false}]}";
	jsErrCode jerr = 0;
	jsCtx *js;

	(void)state;
	js = start_world();
	assert_int_equal(
		js_Publish(NULL, js, "cadmon.alerts.A1", first, (int)strlen(first), NULL, &jerr),
		NATS_OK);
	const char *argv[] = { env_or("CADMON_WATCH", "cadmon-watch"),
			       "--nats",
			       world.servers,
			       "--lines",
			       "--utc",
			       "--count",
			       "2",
			       "--timeout",
			       "20",
			       NULL };
	char log[PATH_MAX + 16];
	snprintf(log, sizeof log, "%s/watch.log", world.dir);
	pid_t watch = spawn(argv, NULL, log);
	/* One notice the stream held before, one published while it follows (or before it
	 * subscribed:
	 * the ordered consumer starts at the stream's first message either way). */
	assert_int_equal(
		js_Publish(NULL, js, "cadmon.alerts.A2", second, (int)strlen(second), NULL, &jerr),
		NATS_OK);
	int status = wait_exit(watch, 30000);
	world.text = harness_read_file(log); /* stdout and stderr */
	if (status != 0)
		fail_msg("cadmon-watch exited with %d:\n%s", status, world.text ? world.text : "");
	assert_string_equal(world.text,
			    "08:00:05Z ALERT #1 INFO A1/op-1: 1 of 1 calls cut off in 1 min "
			    "(100%), rule every, 1 to call back\n"
			    "     call back (no number)  call c1, answered 08:00:00Z, talk 5 s\n"
			    "08:01:05Z ALERT #2 INFO A2/op-2: 1 of 1 calls cut off in 1 min "
			    "(100%), rule every, 1 to call back\n"
			    "     call back (no number)  call c2, answered 08:01:00Z, talk 5 s\n"
			    "cadmon-watch: last notice at stream sequence 2; --nats-start 3 "
			    "resumes after it\n");

	/* Resuming at stream sequence 2: the second notice only. */
	const char *resume[] = { "--nats",  world.servers, "--nats-start", "2",	 "--lines", "--utc",
				 "--count", "1",	   "--timeout",	   "20", NULL };
	if (run_watch(resume) != 0)
		fail_msg("cadmon-watch --nats-start 2:\n%s", world.text);
	assert_string_equal(world.text,
			    "08:01:05Z ALERT #2 INFO A2/op-2: 1 of 1 calls cut off in 1 min "
			    "(100%), rule every, 1 to call back\n"
			    "     call back (no number)  call c2, answered 08:01:00Z, talk 5 s\n"
			    "cadmon-watch: last notice at stream sequence 2; --nats-start 3 "
			    "resumes after it\n");

	watch_secured(
		first,
		"08:00:05Z ALERT #1 INFO A1/op-1: 1 of 1 calls cut off in 1 min (100%), rule "
		"every, 1 to "
		"call back\n     call back (no number)  call c1, answered 08:00:00Z, talk 5 s\n"
		"cadmon-watch: last notice at stream sequence 1; --nats-start 2 resumes after "
		"it\n");

	publish_tools(js); /* cadmon-publish's TCP and mapping inputs, on the same cluster */
}

/* After a test that leaves the cluster to the next one (start_world): no cadmond, no other
 * nats-server, the test's allocations freed. */
static int teardown_keep_cluster(void **state)
{
	(void)state;
	notices_free(&world.stream);
	notices_free(&world.reference);
	free(world.text);
	world.text = NULL;
	harness_cleanup(&x);
	harness_cleanup(&y);
	for (size_t i = 0; i < 2; i++)
		if (world.secured[i] > 0) {
			kill(world.secured[i], SIGKILL);
			waitpid(world.secured[i], NULL, 0);
			world.secured[i] = 0;
		}
	return 0;
}

/* Whatever happened: no cadmond, no nats-server, nothing allocated left behind. */
static int teardown(void **state)
{
	(void)state;
	notices_free(&world.stream);
	notices_free(&world.reference);
	free(world.text);
	if (world.js)
		jsCtx_Destroy(world.js);
	if (world.connection)
		natsConnection_Destroy(world.connection);
	harness_cleanup(&x);
	harness_cleanup(&y);
	stop_cluster();
	for (size_t i = 0; i < 2; i++)
		if (world.secured[i] > 0) {
			kill(world.secured[i], SIGKILL);
			waitpid(world.secured[i], NULL, 0);
		}
	for (size_t i = 0; i < world.line_count; i++)
		free(world.lines[i]);
	if (world.dir[0])
		harness_remove_tree(world.dir);
	memset(&world, 0, sizeof world);
	return 0;
}

/* cadmon-publish --listen takes a port as the other tools do (tools/net.c), 0 (any free port)
 * to 65535, refused before any connection: getaddrinfo took 99999 (and +99999, " 99999") as
 * 34463 and listened there. */
static void test_publish_listen_port_checked(void **state)
{
	static const char *const addresses[] = { "127.0.0.1:99999", "[::1]:65536", ":7400",
						 "127.0.0.1:", "127.0.0.1:+99999",
						 "127.0.0.1: 99999", "127.0.0.1:-1",
						 "127.0.0.1:0x10" };
	(void)state;

	for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
		const char *const args[] = { "--server", "nats://127.0.0.1:1", "--listen",
					     addresses[i], NULL };
		char expected[256];
		struct tool_run run;

		tool_run(env_or("CADMON_PUBLISH", "cadmon-publish"), args, NULL, &run);
		snprintf(expected, sizeof expected,
			 "cadmon-publish: --listen: expected HOST:PORT (or [V6]:PORT), PORT from 0 "
			 "to 65535, got \"%s\"\n",
			 addresses[i]);
		assert_string_equal(run.err, expected);
		assert_string_equal(run.out, "");
		assert_int_equal(run.exit_status, 2);
		tool_run_free(&run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_listen_port_checked),
		/* these eight share one cluster (start_world); the last starts its own */
		cmocka_unit_test_teardown(test_notice_unpublished_at_first_kill,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(
			test_notice_dropped_for_full_queue_published_by_next_start,
			teardown_keep_cluster),
		cmocka_unit_test_teardown(test_watch_follows_the_alerts_stream,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(test_too_long_message_raises_limit_alert,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(test_messages_under_the_snapshot_budget,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(test_deleted_consumer_created_again,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(test_publish_epoch_and_overlong_line,
					  teardown_keep_cluster),
		cmocka_unit_test_teardown(test_stalled_server_left_for_another,
					  teardown_keep_cluster),
		cmocka_unit_test_setup_teardown(test_cluster_kill_restart, teardown, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
