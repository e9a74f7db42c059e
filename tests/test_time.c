/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Integration tests of event time per source (docs/detection.md, "Time") against the real
 * cadmond: the guard against the future, a journal holding a poisoned line, twenty feeds
 * giving the alerts one feed gives, a CAD resending a 2-hour backlog while another is live, and
 * two CADs on their hello'd connections giving the alerts cadmon-backtest gives for the same
 * lines named by "source".
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_expect.h"
#include "daemon_harness.h"
#include "journal.h"
#include "recovery.h"
#include "shift_fixture.h"
#include "sim.h"
#include "statedir.h"
#include "timestamp.h"
#include "tool_run.h"

#define FEEDS 20
#define ALERTS_MAX 256
#define ALERT_LINE_MAX 8192
#define ROUND_MS (10 * 60000) /* event time each feed sends before the acks are awaited */
#define DAY_MS (24 * 3600 * INT64_C(1000))
#define NOTIFY_MAX_BYTES 4096
#define ONE_FEED_ALERTS                                                                            \
	85 /* the shift's notices on one feed: firing, updates, escalations, resolved */
#define TAIL_TIMEOUT_MS                                                                            \
	(2000 + EXPECT_READ_TIMEOUT_MS) /* feed.source_idle_seconds 2, then as any line */

static const struct harness_options shift_options = {
	.feed_yaml = "  max_line_bytes: 1024\n",
	.extra_yaml = shift_detector_yaml,
};

/* The scripted shift's alert decided in the time of a CAD 2 hours behind the center. */
static const char late_shift_alert_head[] =
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,\"ts\":\"2026-11-29T08:"
	"04:30.000Z\","
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","
	"\"rule\":\"burst\",\"severity\":\"critical\","
	"\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_back\":0,\"ratio\":0.75,"
	"\"center_ratio\":0,"
	"\"p_value\":4.81e-04,\"late\":true,\"late_seconds\":7200,\"callbacks\":[";

static int connect_subscriber(struct daemon_fixture *f)
{
	int fd = tracked_add(&f->fds, harness_connect_subscriber(&f->harness));

	expect_line(fd, hello_line);
	return fd;
}

/* A feed that named itself. */
static int connect_source(struct daemon_fixture *f, const char *source)
{
	int fd = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	char hello[128];

	snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"%s\"}\n", source);
	assert_int_equal(harness_send(fd, hello), 0);
	return fd;
}

static int64_t wall_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The next notice on fd is source's clock_ahead firing, exactly: seq, the host time the line
 * was received at (between sent_ms and now) as ts, and the alert_id derived from it. */
static void expect_clock_ahead(int fd, uint64_t seq, const char *source, int64_t sent_ms,
			       const char *ahead, char seen[ALERT_LINE_MAX])
{
	char line[ALERT_LINE_MAX], expected[ALERT_LINE_MAX], alert_id[ALERT_ID_LENGTH + 1];
	char ts_text[TIMESTAMP_TEXT_MAX];
	const char *ts = NULL;
	int64_t ts_ms = 0;
	ssize_t len;

	do
		len = harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS);
	while (len >= 0 && is_board_line(line));
	assert_true(len > 0);
	assert_non_null(ts = strstr(line, "\"ts\":\""));
	ts += 6;
	assert_int_equal(timestamp_parse_rfc3339(ts, 24, &ts_ms, NULL), 0);
	assert_in_range(ts_ms, sent_ms, wall_ms());
	timestamp_format(ts_ms, ts_text);
	alert_derive_id("", source, "clock_ahead", ts_ms, "", alert_id);
	snprintf(expected, sizeof expected,
		 "{\"alert\":\"firing\",\"alert_id\":\"%s\",\"seq\":%" PRIu64
		 ",\"ts\":\"%s\",\"type\":\"system\","
		 "\"system\":\"clock_ahead\",\"severity\":\"critical\",\"source\":\"%s\","
		 "\"message\":\"feed source %s's "
		 "clock is %s ahead of this host: its events are refused (feed.max_future_seconds "
		 "300)\"}",
		 alert_id, seq, ts_text, source, source, ahead);
	assert_string_equal(line, expected);
	memcpy(seen, line, (size_t)len + 1);
}

/* The next line on fd, board lines included, is exactly expected. */
static void expect_exact_line(int fd, const char *expected)
{
	char line[ALERT_LINE_MAX];

	assert_int_equal(harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS),
			 (ssize_t)strlen(expected));
	assert_string_equal(line, expected);
}

/* shift_alert, as the seq-th notice. */
static const char *shift_alert_seq(uint64_t seq)
{
	static char line[ALERT_LINE_MAX];
	const char *at = strstr(shift_alert, "\"seq\":1,");

	assert_non_null(at);
	snprintf(line, sizeof line, "%.*s\"seq\":%" PRIu64 ",%s", (int)(at - shift_alert),
		 shift_alert, seq, at + strlen("\"seq\":1,"));
	return line;
}

/* The scripted shift's lines, numbered 1.. with "seq" when numbered. */
static void send_shift(int fd, bool numbered)
{
	char line[512];

	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++) {
		if (numbered)
			snprintf(line, sizeof line, "{\"seq\":%zu,%s", i + 1, shift_lines[i] + 1);
		else
			snprintf(line, sizeof line, "%s", shift_lines[i]);
		assert_int_equal(harness_send(fd, line), 0);
	}
}

/* ---- the guard against the future ------------------------------------------------------- */

/* A call stamped a year ahead of this host and one 11 minutes ahead: rejected as future,
 * logged with the feed and the source, counted per source, and each source's clock_ahead
 * system alert reaches the console; cad-1's shift still alerts. */
static void test_future_guard(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, year_feed, minutes_feed, feed;
	char line[256];

	int64_t year_sent_ms, minutes_sent_ms;
	static char year_notice[ALERT_LINE_MAX], minutes_notice[ALERT_LINE_MAX];

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	year_feed = connect_source(f, "cad-2");
	year_sent_ms = wall_ms();
	snprintf(line, sizeof line,
		 "{\"type\":\"call_start\",\"call_id\":\"y1\",\"ts\":%" PRId64
		 ",\"operator\":\"op-2\"}\n",
		 year_sent_ms + 366 * DAY_MS);
	assert_int_equal(harness_send(year_feed, line), 0);
	expect_log_format(
		&f->harness,
		"cadmond: warning: feed 127.0.0.1:%u: rejected line 2: future: call_start: "
		"\"ts\" is 3162",
		local_port(year_feed));
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: source cad-2: clock ahead of this "
			  "host: call_start: \"ts\" is 3162",
			  local_port(year_feed));
	/* The supervisors are told, as the engine decided from the journaled host time. */
	expect_clock_ahead(subscriber, 1, "cad-2", year_sent_ms, "1 year", year_notice);
	minutes_feed = connect_source(f, "cad-3");
	minutes_sent_ms = wall_ms();
	snprintf(line, sizeof line,
		 "{\"type\":\"incident\",\"call_id\":\"m1\",\"ts\":%" PRId64 "}\n",
		 minutes_sent_ms + 11 * 60000 + 2000);
	assert_int_equal(harness_send(minutes_feed, line), 0);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: rejected line 2: future: incident: "
			  "\"ts\" is 66",
			  local_port(minutes_feed));
	expect_log(&f->harness, "s allowed (feed.max_future_seconds)\n");
	expect_clock_ahead(subscriber, 2, "cad-3", minutes_sent_ms, "11 minutes", minutes_notice);
	feed = connect_source(f, "cad-1");
	send_shift(feed, false);
	expect_line(subscriber, shift_alert_seq(3));
	expect_quiet(subscriber);
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness,
		   "cadmond: source cad-2: newest ts none, 0 s behind the newest source, 1 lines, "
		   "0 events (0 late), rejected 1 future, 0 too_late, 0 bad_seq; 0 duplicates, 0 "
		   "restarts\n");
	expect_log(&f->harness,
		   "cadmond: source cad-3: newest ts none, 0 s behind the newest source, 1 lines, "
		   "0 events (0 late), rejected 1 future, 0 too_late, 0 bad_seq; 0 duplicates, 0 "
		   "restarts\n");
	expect_log(&f->harness,
		   "cadmond: source cad-1: newest ts 2026-11-29T08:04:30.000Z, 0 s behind the "
		   "newest source, 11 lines, 11 events (0 late), rejected 0 future");
	/* Recovered from the journal (the host time is journaled with each line): a console
	 * resuming from 0 gets the same notices byte for byte, the cad-2 and cad-3 alerts still
	 * open (then the board). */
	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	subscriber = connect_subscriber(f);
	assert_int_equal(harness_send(subscriber, "{\"since\":0}\n"), 0);
	expect_exact_line(subscriber, year_notice);
	expect_exact_line(subscriber, minutes_notice);
	expect_exact_line(subscriber, shift_alert_seq(3));
	expect_exact_line(subscriber, "{\"board\":\"begin\",\"seq\":3,\"open\":3}");
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* ---- a journal that already holds a poisoned line ---------------------------------------- */

/* Write, as a cadmond before event time per source did (EVENT records, no host time), a line
 * of cad-1 stamped a year ahead of this host into a new state directory. */
static void write_poisoned_journal(const char *path)
{
	struct statedir dir;
	struct journal *journal;
	struct recovery_router router;
	struct recovery recovery;
	struct config config;
	char why[256], line[256];
	int len;

	config_set_defaults(&config);
	assert_int_equal(statedir_open(&dir, path, why, sizeof why), 0);
	journal = journal_new(&dir);
	assert_non_null(journal);
	recovery_router_init(&router, NULL, NULL);
	assert_int_equal(recovery_run(&dir, journal, &config, &router, &recovery, why, sizeof why),
			 0);
	assert_int_equal(recovery_checkpoint(journal, &recovery), 0);
	len = snprintf(line, sizeof line,
		       "{\"type\":\"call_start\",\"call_id\":\"p1\",\"ts\":%" PRId64
		       ",\"operator\":\"op-9\",\"agency\":\"NOPD\"}",
		       wall_ms() + 366 * DAY_MS);
	journal_append_event(journal, "cad-1", line, (size_t)len);
	assert_int_equal(journal_write(journal), 0);
	assert_int_equal(journal_sync(journal, true), 0);
	engine_free(recovery.engine);
	journal_free(journal);
	recovery_router_release(&router);
	statedir_close(&dir);
}

/* The old journal replays the poisoned line under this host's clock: rejected as future, so
 * cad-1's clock is not a year ahead and its shift still gives the alert. */
/* The recovery told the supervisors (seq 1: cad-1's clock_ahead): on the console's board, or
 * live if the console connected before the journal's fsync of it returned (alerts wait for
 * the disk). Either way it comes before anything else numbered. */
static void expect_recovered_clock_ahead(int fd)
{
	char line[ALERT_LINE_MAX];
	ssize_t len;

	do
		len = harness_read_line(fd, line, sizeof line, EXPECT_READ_TIMEOUT_MS);
	while (len > 0 && strncmp(line, "{\"board\":", 9) == 0);
	if (len <= 0)
		fail_msg("no clock_ahead within %d ms", EXPECT_READ_TIMEOUT_MS);
	assert_non_null(strstr(line, "\"seq\":1,"));
	assert_non_null(strstr(line, "\"system\":\"clock_ahead\""));
}

static void test_poisoned_journal_recovers(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, feed;

	assert_int_equal(harness_temp_dir("poisoned", f->state_dir), 0);
	strcat(f->state_dir, "/state");
	write_poisoned_journal(f->state_dir);
	snprintf(f->harness.state_dir, sizeof f->harness.state_dir, "%s", f->state_dir);
	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	expect_log(&f->harness, "cadmond: recovery: snapshot 0000000000000000 + 1 records (1 "
				"events) from 1 segments");
	expect_log(&f->harness, "cadmond: warning: recovery: 1 journaled lines were more than "
				"feed.max_future_seconds "
				"ahead of this host's clock: rejected as future, not replayed\n");
	subscriber = connect_subscriber(f);
	expect_recovered_clock_ahead(subscriber);
	feed = connect_source(f, "cad-1");
	send_shift(feed, false);
	expect_line(subscriber, shift_alert_seq(2));
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness,
		   "cadmond: source cad-1: newest ts 2026-11-29T08:04:30.000Z, 0 s behind the "
		   "newest source, 12 lines, 11 events (0 late), rejected 1 future, 0 too_late");
}

/* ---- twenty feeds, the alerts of one ------------------------------------------------------ */

struct shift_feed {
	char lines[1024][SIM_LINE_MAX + 32]; /* about 300 a feed for an 8-hour shift; "seq" added */
	size_t count;
	size_t next;
	int fd;
};

static struct shift_feed feeds[FEEDS];

/* Read count notices (board lines skipped), joined with "\n", each within timeout_ms; then
 * nothing more comes. */
static void read_alerts(int fd, size_t count, int timeout_ms, char *text, size_t size)
{
	char line[ALERT_LINE_MAX];
	size_t used = 0;
	ssize_t len;

	text[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		do
			len = harness_read_line(fd, line, sizeof line, timeout_ms);
		while (len > 0 &&
		       is_board_line(line)); /* the board, sent when the console goes live */
		if (len <= 0)
			fail_msg("notice %zu of %zu: none within %d ms", i + 1, count, timeout_ms);
		assert_true(used + (size_t)len + 2 < size);
		memcpy(text + used, line, (size_t)len);
		used += (size_t)len;
		text[used++] = '\n';
		text[used] = '\0';
	}
	expect_quiet(fd);
}


/* The several-bad shift with 20 operators, 8 hours; operator k's lines numbered for feed k. */
static void generate_shift(struct sim_scenario *scenario, struct sim_shift *day)
{
	char why[SIM_WHY_MAX], line[SIM_LINE_MAX];

	assert_int_equal(sim_scenario_preset(scenario, "several-bad"), 0);
	scenario->operator_count = FEEDS;
	scenario->shift_hours = 8;
	assert_int_equal(sim_shift_generate(scenario, day, why, sizeof why), 0);
	memset(feeds, 0, sizeof feeds);
	for (size_t i = 0; i < day->event_count; i++) {
		struct shift_feed *feed =
			&feeds[day->calls[day->events[i].call_index].operator_index % FEEDS];
		sim_format_event(scenario, day, i, line);
		assert_true(feed->count < sizeof feed->lines / sizeof feed->lines[0]);
		snprintf(feed->lines[feed->count], sizeof feed->lines[0], "{\"seq\":%zu,%s",
			 feed->count + 1, line + 1);
		feed->count++;
	}
}

static const char time_yaml[] =
	"tracker:\n"
	"  max_source_lag_seconds: 3600\n";

/* Twenty CADs from this one host, connecting at once: more than the defaults of
 * feed.max_connections_per_address and feed.max_pending_connections. */
#define TWENTY_FEED_YAML "  max_connections_per_address: 32\n  max_pending_connections: 32\n"

/* The default rules, a generous lag bound, the default feed.source_idle_seconds (2). */
static const struct harness_options twenty_options = { .feed_yaml = TWENTY_FEED_YAML,
						       .extra_yaml = time_yaml };

/* The same while the rounds go: every source is waited for however long the test takes to come
 * back to it. With 2 s, a loaded machine made a round last longer than that: the sources not
 * yet served in that round were stale, no longer waited for, the others' events went past them,
 * and theirs then came behind the center clock, judged on their own ("late"): other alerts, a
 * few fewer (flaky, on main too). */
static const struct harness_options twenty_rounds_options = {
	.feed_yaml = TWENTY_FEED_YAML "  source_idle_seconds: 86400\n",
	.extra_yaml = time_yaml,
};

/* cadmond started with options; returns a greeted subscriber, live. */
static int start_default_rules(struct daemon_fixture *f, const struct harness_options *options)
{
	int subscriber;

	harness_cleanup(&f->harness);
	memset(&f->harness, 0, sizeof f->harness);
	assert_int_equal(harness_start(&f->harness, options), 0);
	subscriber = connect_subscriber(f);
	/* Live before the first alert: a console still held when alerts come gets the board in
	 * their place, and how many notices that spares it depends on timing (a flaky count). */
	assert_int_equal(harness_send(subscriber, "{\"since\":0}\n"), 0);
	expect_line(subscriber, "{\"board\":\"begin\",\"seq\":0,\"open\":0}");
	expect_line(subscriber, "{\"board\":\"end\",\"seq\":0,\"open\":0}");
	return subscriber;
}

static int64_t line_ts(const char *line)
{
	const char *ts = strstr(line, "\"ts\":\"");
	struct tm tm = {0};
	int fraction = 0;

	assert_non_null(ts);
	assert_true(sscanf(ts + 6, "%d-%d-%dT%d:%d:%d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &fraction) >= 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + fraction;
}

/* cadmond's stop summary of feed k's source: every line taken, none judged on its own (late)
 * for having come behind the center clock. newest_ms: the newest ts of all the feeds. */
static void expect_source_in_order(struct daemon_fixture *f, size_t k, int64_t newest_ms)
{
	char newest[TIMESTAMP_TEXT_MAX];
	int64_t own_ms;

	assert_true(feeds[k].count > 0);
	own_ms = line_ts(feeds[k].lines[feeds[k].count - 1]);
	timestamp_format(own_ms, newest);
	expect_log_format(&f->harness,
			  "cadmond: source cad-%zu: newest ts %s, %" PRId64
			  " s behind the newest source, %zu lines, "
			  "%zu events (0 late), rejected 0 future, 0 too_late, 0 bad_seq; 0 "
			  "duplicates, 0 restarts\n",
			  k + 1, newest, (newest_ms - own_ms) / 1000, feeds[k].count,
			  feeds[k].count);
}

/* Twenty CADs, one operator each, send the shift at once, each in its own order, in rounds of
 * 10 minutes of event time: the alerts are those of the same lines on one feed, byte for byte. */
static void test_twenty_feeds_same_alerts_as_one(void **state)
{
	struct daemon_fixture *f = *state;
	static struct sim_scenario scenario;
	static struct sim_shift day;
	static char one[ALERTS_MAX * ALERT_LINE_MAX], twenty[ALERTS_MAX * ALERT_LINE_MAX];
	size_t total = 0;
	int64_t newest_ms = INT64_MIN;
	int subscriber, feed;
	char line[SIM_LINE_MAX];

	generate_shift(&scenario, &day);
	subscriber = start_default_rules(f, &twenty_options);
	feed = connect_source(f, "cad-all");
	for (size_t i = 0; i < day.event_count; i++) {
		char numbered[SIM_LINE_MAX + 32];
		sim_format_event(&scenario, &day, i, line);
		snprintf(numbered, sizeof numbered, "{\"seq\":%zu,%s", i + 1, line + 1);
		assert_int_equal(harness_send(feed, numbered), 0);
	}
	expect_ack(feed, day.event_count, 0);
	read_alerts(subscriber, ONE_FEED_ALERTS, EXPECT_READ_TIMEOUT_MS, one, sizeof one);
	assert_int_equal(harness_stop(&f->harness), 0);

	subscriber = start_default_rules(f, &twenty_rounds_options);
	for (size_t k = 0; k < FEEDS; k++) {
		char name[16];
		snprintf(name, sizeof name, "cad-%zu", k + 1);
		feeds[k].fd = connect_source(f, name);
		total += feeds[k].count;
		if (feeds[k].count > 0 && line_ts(feeds[k].lines[feeds[k].count - 1]) > newest_ms)
			newest_ms = line_ts(feeds[k].lines[feeds[k].count - 1]);
	}
	for (int64_t until = scenario.start_ms + ROUND_MS; total > 0; until += ROUND_MS) {
		for (size_t k = 0; k < FEEDS; k++) {
			size_t first = feeds[k].next;
			while (feeds[k].next < feeds[k].count &&
			       line_ts(feeds[k].lines[feeds[k].next]) < until) {
				assert_int_equal(
					harness_send(feeds[k].fd, feeds[k].lines[feeds[k].next]),
					0);
				feeds[k].next++;
				total--;
			}
			if (feeds[k].next > first)
				expect_ack(feeds[k].fd, feeds[k].next, 0);
		}
	}
	/* All sent: back to 2 s, the events still waiting for the sources go once they are
	 * quiet. */
	assert_int_equal(harness_write_config(&f->harness, &twenty_options), 0);
	assert_int_equal(harness_signal(&f->harness, SIGHUP), 0);
	expect_log(&f->harness, "cadmond: reload: feed.source_idle_seconds: 86400 -> 2\n"
				"cadmond: configuration reloaded: 1 change\n");
	read_alerts(subscriber, ONE_FEED_ALERTS, TAIL_TIMEOUT_MS, twenty, sizeof twenty);
	assert_string_equal(twenty, one);
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log_format(&f->harness, ", %zu lines, %zu events, 0 rejected, %d alerts\n",
			  day.event_count, day.event_count, ONE_FEED_ALERTS);
	for (size_t k = 0; k < FEEDS; k++)
		expect_source_in_order(f, k, newest_ms);
	sim_shift_free(&day);
}

/* ---- a 2-hour backlog while another CAD is live -------------------------------------------- */

static int open_notify_socket(struct daemon_fixture *f)
{
	return tracked_add(&f->fds, expect_notify_socket(f->notify_path));
}

/* Wait (bounded) for a STATUS= notification equal to expected. */
static void expect_status(int fd, const char *expected)
{
	char text[NOTIFY_MAX_BYTES], last[NOTIFY_MAX_BYTES] = "";
	int64_t deadline = harness_now_ms() + EXPECT_READ_TIMEOUT_MS;
	struct pollfd watch = { .fd = fd, .events = POLLIN };

	while (harness_now_ms() < deadline && poll(&watch, 1, 200) >= 0) {
		ssize_t got = (watch.revents & POLLIN) ? recv(fd, text, sizeof text - 1, 0) : 0;
		if (got <= 0)
			continue;
		text[got] = '\0';
		if (strncmp(text, "STATUS=", 7) != 0)
			continue;
		if (strcmp(text, expected) == 0)
			return;
		snprintf(last, sizeof last, "%s", text);
	}
	fail_msg("last status \"%s\", expected \"%s\"", last, expected);
}

/* cad-1 is live at 10:00-10:04:30; cad-2 comes back and resends 2 hours of backlog: every line
 * is processed (acknowledged, none rejected), in cad-2's own time, and the alert it implies
 * is the in-order one marked 2 hours late. */
static void test_backlog_while_another_source_is_live(void **state)
{
	struct daemon_fixture *f = *state;
	int subscriber, live, backlog, notify = open_notify_socket(f);
	char line[ALERT_LINE_MAX], notify_env[PATH_MAX + 32];
	const char *environment[] = { notify_env, "WATCHDOG_USEC=1000000", NULL };

	snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", f->notify_path);
	assert_int_equal(harness_start_with_environment(&f->harness, &shift_options, environment),
			 0);
	subscriber = connect_subscriber(f);
	live = connect_source(f, "cad-1");
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof line,
			 "{\"seq\":%d,\"type\":\"incident\",\"call_id\":\"live%d\",\"ts\":\"2026-"
			 "11-29T10:0%d:%02dZ\"}\n",
			 i + 1, i, i / 2, i % 2 * 30);
		assert_int_equal(harness_send(live, line), 0);
	}
	expect_ack(live, 10, 0);
	backlog = connect_source(f, "cad-2");
	send_shift(backlog, true);
	expect_ack(backlog, SHIFT_LINE_COUNT, 0);
	assert_true(harness_read_line(subscriber, line, sizeof line, EXPECT_READ_TIMEOUT_MS) > 0);
	assert_memory_equal(line, late_shift_alert_head, strlen(late_shift_alert_head));
	expect_quiet(subscriber);
	expect_status(notify,
		      "STATUS=2 feeds, 1 subscribers; 21 lines, 21 events, 0 rejected, 1 alerts; "
		      "center 2026-11-29T10:04:30.000Z; sources: cad-1 lag 0 s, cad-2 lag 7200 s "
		      "(late 11, "
		      "future 0, too_late 0)");
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness,
		   "cadmond: source cad-2: newest ts 2026-11-29T08:04:30.000Z, 7200 s behind the "
		   "newest source, 11 lines, 11 events (11 late), rejected 0 future, 0 too_late, "
		   "0 bad_seq; 0 duplicates, 0 restarts\n");
	expect_log(&f->harness,
		   "cadmond: source cad-1: newest ts 2026-11-29T10:04:30.000Z, 0 s behind the "
		   "newest source, 10 lines, 10 events (0 late)");
}

/* ---- resends and restarted senders ------------------------------------------------------- */

static int connect_with_epoch(struct daemon_fixture *f, const char *epoch)
{
	int fd = tracked_add(&f->fds, harness_connect_feed(&f->harness));
	char hello[128];

	snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"cad-1\"%s%s%s}\n",
		 epoch ? ",\"epoch\":\"" : "", epoch ? epoch : "", epoch ? "\"" : "");
	assert_int_equal(harness_send(fd, hello), 0);
	return fd;
}

static void send_incident(int fd, unsigned seq, const char *call_id)
{
	char line[160];

	snprintf(line, sizeof line,
		 "{\"seq\":%u,\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":\"2026-11-29T08:00:%"
		 "02uZ\"}\n",
		 seq, call_id, seq);
	assert_int_equal(harness_send(fd, line), 0);
}

/* A resend is acknowledged with the number of duplicates, so the sender can tell; a sender that
 * restarted its numbering (a new epoch) is logged and its lines are processed, not dropped. */
static void test_duplicates_acknowledged_and_restarts(void **state)
{
	struct daemon_fixture *f = *state;
	int fd;

	assert_int_equal(harness_start(&f->harness, &shift_options), 0);
	fd = connect_with_epoch(f, "install-1");
	for (unsigned seq = 1; seq <= 3; seq++)
		send_incident(fd, seq, seq == 1 ? "a" : seq == 2 ? "b" : "c");
	expect_ack(fd, 3, 0);
	fd = connect_with_epoch(f, "install-1");
	send_incident(fd, 2, "b");
	send_incident(fd, 3, "c");
	send_incident(fd, 4, "d");
	/* The lines may be read (and acknowledged) in more than one piece, e.g.
	 * {"ack":2,"duplicates":1} first; the ack for line 4 counts both resends. */
	expect_ack(fd, 4, 2);
	fd = connect_with_epoch(f, "install-2");
	send_incident(fd, 1, "e");
	expect_ack(fd, 1, 0);
	expect_log_format(&f->harness,
			  "cadmond: warning: feed 127.0.0.1:%u: source cad-1: the sender restarted "
			  "its numbering (seq 1, epoch install-2)\n",
			  local_port(fd));
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(
		&f->harness,
		"cadmond: source cad-1: newest ts 2026-11-29T08:00:04.000Z, 0 s behind the newest "
		"source, 7 lines, 5 events (0 late), rejected 0 future, 0 too_late, 0 bad_seq; "
		"2 duplicates, 1 restarts\n");
}

/* An incident numbered seq of call_id at ts_ms on fd, then its acknowledgement awaited. */
static void send_incident_at(int fd, unsigned seq, const char *call_id, int64_t ts_ms)
{
	char line[160];

	snprintf(line, sizeof line,
		 "{\"seq\":%u,\"type\":\"incident\",\"call_id\":\"%s\",\"ts\":%lld}\n", seq,
		 call_id, (long long)ts_ms);
	assert_int_equal(harness_send(fd, line), 0);
	expect_ack(fd, seq, 0);
}

/* GET /api/sources: its answer, head and body, in out. */
static void get_sources(const struct harness *h, char *out, size_t size)
{
	int fd = harness_connect(h->http_port);
	size_t used = 0;
	ssize_t got;

	assert_true(fd >= 0);
	assert_int_equal(harness_send(fd, "GET /api/sources HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					  "Connection: close\r\n\r\n"),
			 0);
	while (used + 1 < size && (got = read(fd, out + used, size - used - 1)) > 0)
		used += (size_t)got;
	out[used] = '\0';
	close(fd);
}

/* cad-a and cad-b are both held when cadmond dies, cad-a's newest event (t + 10 s) waiting for
 * cad-b, whose newest is t. Restarted after longer than feed.source_idle_seconds (5 s here),
 * cadmond holds both again from its start (a heartbeat each, journaled), so the center stays at
 * t past the first ticks, time for cad-b to reconnect and send t + 5 s in order; before, the
 * first tick released t + 10 s while nobody could send (probe16b F2). */
static void test_restart_holds_recovered_sources(void **state)
{
	static const struct harness_options options = {
		.feed_yaml = "  max_line_bytes: 1024\n  source_idle_seconds: 5\n",
		.extra_yaml = shift_detector_yaml,
	};
	struct daemon_fixture *f = *state;
	int64_t t = (wall_ms() / 1000 - 3600) * 1000; /* an hour ago, to the second */
	char answer[8192], center[TIMESTAMP_TEXT_MAX + 32], ts[TIMESTAMP_TEXT_MAX];
	int a, b;

	assert_int_equal(harness_start(&f->harness, &options), 0);
	b = connect_source(f, "cad-b");
	a = connect_source(f, "cad-a");
	send_incident_at(b, 1, "b1", t);
	send_incident_at(a, 1, "a1", t);
	send_incident_at(a, 2, "a2", t + 10000);
	assert_int_equal(harness_signal(&f->harness, SIGKILL), 0); /* a crash: nothing flushed */
	assert_int_equal(harness_stop(&f->harness), 128 + SIGKILL);
	tracked_close_all(&f->fds);
	usleep(6000 * 1000); /* down longer than feed.source_idle_seconds */
	assert_int_equal(harness_start(&f->harness, &options), 0);
	expect_log(&f->harness, "cadmond: recovery: 2 feed sources held for their senders to "
				"reconnect\n");
	usleep(1500 * 1000); /* the clock ticks every 0.5 s: three have passed */
	get_sources(&f->harness, answer, sizeof answer);
	timestamp_format(t, ts);
	snprintf(center, sizeof center, "{\"center_ts\":\"%s\",", ts);
	if (!strstr(answer, center))
		fail_msg("no %s in %s", center, answer);
	assert_int_equal(harness_stop(&f->harness), 0);
}

/* ---- two named sources, live and backtested --------------------------------------------- */

/* Two CADs, their lines in the order they arrive (each numbered per source). cad-b sends
 * call_ends for cad-a's calls (premature), refused: a call belongs to the source that opened it;
 * cad-a ends them honestly. cad-a resends its seq 9 with other content, dated no later than its
 * newest line (a line newer than all would restart a recording's numbering): a duplicate, ignored.
 * cad-b's op-2 cuts 3 of 4 calls short: the one alert. Taken as one unnamed stream, op-1 would
 * have 5 premature calls of 5, and an alert of its own. */
static const struct {
	const char *source;
	uint64_t seq;
	const char *event; /* the line's members after "seq" */
} two_sources[] = {
	{"cad-a", 1, "\"type\":\"call_start\",\"call_id\":\"a1\",\"ts\":\"2026-11-29T08:00:00Z\","
		     "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\""},
	{"cad-b", 1, "\"type\":\"call_start\",\"call_id\":\"b1\",\"ts\":\"2026-11-29T08:00:10Z\","
		     "\"operator\":\"op-2\",\"agency\":\"NOPD\",\"position\":\"P2\","
		     "\"ani\":\"5045550201\""},
	{"cad-b", 2, "\"type\":\"call_end\",\"call_id\":\"a1\",\"ts\":\"2026-11-29T08:00:15Z\","
		     "\"released_by\":\"operator\""},
	{"cad-b", 3, "\"type\":\"call_end\",\"call_id\":\"b1\",\"ts\":\"2026-11-29T08:00:20Z\","
		     "\"released_by\":\"operator\""},
	{"cad-a", 2, "\"type\":\"call_end\",\"call_id\":\"a1\",\"ts\":\"2026-11-29T08:03:00Z\","
		     "\"released_by\":\"caller\""},
	{"cad-a", 3, "\"type\":\"call_start\",\"call_id\":\"a2\",\"ts\":\"2026-11-29T08:03:10Z\","
		     "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\""},
	{"cad-b", 4, "\"type\":\"call_start\",\"call_id\":\"b2\",\"ts\":\"2026-11-29T08:03:20Z\","
		     "\"operator\":\"op-2\",\"agency\":\"NOPD\",\"position\":\"P2\","
		     "\"ani\":\"5045550202\""},
	{"cad-b", 5, "\"type\":\"call_end\",\"call_id\":\"a2\",\"ts\":\"2026-11-29T08:03:25Z\","
		     "\"released_by\":\"operator\""},
	{"cad-b", 6, "\"type\":\"call_end\",\"call_id\":\"b2\",\"ts\":\"2026-11-29T08:03:30Z\","
		     "\"released_by\":\"operator\""},
	{"cad-a", 4, "\"type\":\"call_end\",\"call_id\":\"a2\",\"ts\":\"2026-11-29T08:06:00Z\","
		     "\"released_by\":\"caller\""},
	{"cad-a", 5, "\"type\":\"call_start\",\"call_id\":\"a3\",\"ts\":\"2026-11-29T08:06:10Z\","
		     "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\""},
	{"cad-b", 7, "\"type\":\"call_start\",\"call_id\":\"b3\",\"ts\":\"2026-11-29T08:06:20Z\","
		     "\"operator\":\"op-2\",\"agency\":\"NOPD\",\"position\":\"P2\""},
	{"cad-b", 8, "\"type\":\"call_end\",\"call_id\":\"a3\",\"ts\":\"2026-11-29T08:06:25Z\","
		     "\"released_by\":\"operator\""},
	{"cad-b", 9, "\"type\":\"call_end\",\"call_id\":\"b3\",\"ts\":\"2026-11-29T08:08:30Z\","
		     "\"released_by\":\"caller\""},
	{"cad-a", 6, "\"type\":\"call_end\",\"call_id\":\"a3\",\"ts\":\"2026-11-29T08:09:00Z\","
		     "\"released_by\":\"caller\""},
	{"cad-a", 7, "\"type\":\"call_start\",\"call_id\":\"a4\",\"ts\":\"2026-11-29T08:09:10Z\","
		     "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\""},
	{"cad-b", 10, "\"type\":\"call_start\",\"call_id\":\"b4\",\"ts\":\"2026-11-29T08:09:20Z\","
		      "\"operator\":\"op-2\",\"agency\":\"NOPD\",\"position\":\"P2\","
		      "\"ani\":\"5045550204\""},
	{"cad-b", 11, "\"type\":\"call_end\",\"call_id\":\"a4\",\"ts\":\"2026-11-29T08:09:25Z\","
		      "\"released_by\":\"operator\""},
	{"cad-b", 12, "\"type\":\"call_end\",\"call_id\":\"b4\",\"ts\":\"2026-11-29T08:09:35Z\","
		      "\"released_by\":\"operator\""},
	{"cad-a", 8, "\"type\":\"call_end\",\"call_id\":\"a4\",\"ts\":\"2026-11-29T08:12:00Z\","
		     "\"released_by\":\"caller\""},
	{"cad-a", 9, "\"type\":\"call_start\",\"call_id\":\"a5\",\"ts\":\"2026-11-29T08:12:10Z\","
		     "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\""},
	{"cad-a", 9, "\"type\":\"call_end\",\"call_id\":\"a5\",\"ts\":\"2026-11-29T08:12:10Z\","
		     "\"released_by\":\"operator\""},
	{"cad-a", 10, "\"type\":\"incident\",\"call_id\":\"a5\",\"ts\":\"2026-11-29T08:12:20Z\","
		      "\"incident_id\":\"I1\""},
	{"cad-b", 13, "\"type\":\"incident\",\"call_id\":\"b4\",\"ts\":\"2026-11-29T08:13:00Z\","
		      "\"incident_id\":\"I2\""},
};
#define TWO_SOURCES_LINES (sizeof two_sources / sizeof two_sources[0])

/* op-2's alert (burst: b1, b2, b4 cut short of 4 calls), as both runs give it. */
static const char two_sources_alert_head[] =
	"{\"alert\":\"firing\",\"alert_id\":\"";
static const char two_sources_alert_middle[] =
	"\",\"seq\":1,\"ts\":\"2026-11-29T08:09:35.000Z\",\"type\":\"operator\","
	"\"agency\":\"NOPD\","
	"\"operator\":\"op-2\",\"position\":\"P2\",\"rule\":\"burst\",\"severity\":\"critical\","
	"\"window_seconds\":600,\"calls\":4,\"premature\":3,";

/* The shift's rules; each source waited for however long the test takes to come back to it
 * (twenty_rounds_options): op-2's alert is released by cad-a's later lines, and what follows
 * it decides nothing. */
static const struct harness_options two_sources_options = {
	.feed_yaml = "  max_line_bytes: 1024\n  source_idle_seconds: 86400\n",
	.extra_yaml = shift_detector_yaml,
};

/* The same lines through cadmond on two connections (one hello each, every line acknowledged
 * before the next is sent, so they arrive in this order) and through cadmon-backtest with
 * each line's source in a "source" member, on the same configuration: the same alert lines,
 * byte for byte (before, the backtest took every line as the one unnamed stream: cad-b's
 * call_ends and cad-a's resend taken, op-1 alerted too). */
static void test_two_sources_live_as_backtested(void **state)
{
	struct daemon_fixture *f = *state;
	static char live[ALERTS_MAX * ALERT_LINE_MAX];
	char path[PATH_MAX], line[ALERT_LINE_MAX];
	const char *const args[] = { "--quiet", "-c", f->harness.config_path, path, NULL };
	struct tool_run run;
	int subscriber, fds[2];
	uint64_t duplicates[2] = { 0, 0 };
	FILE *recording;
	char *end;

	subscriber = start_default_rules(f, &two_sources_options);
	fds[0] = connect_source(f, "cad-a");
	fds[1] = connect_source(f, "cad-b");
	snprintf(path, sizeof path, "/tmp/cadmon-test-two-sources-XXXXXX");
	assert_non_null(recording = fdopen(mkstemp(path), "w"));
	for (size_t i = 0; i < TWO_SOURCES_LINES; i++) {
		size_t k = strcmp(two_sources[i].source, "cad-a") == 0 ? 0 : 1;
		bool resend = i > 0 && two_sources[i - 1].seq == two_sources[i].seq &&
			      strcmp(two_sources[i - 1].source, two_sources[i].source) == 0;
		snprintf(line, sizeof line, "{\"seq\":%" PRIu64 ",%s}\n", two_sources[i].seq,
			 two_sources[i].event);
		assert_int_equal(harness_send(fds[k], line), 0);
		duplicates[k] += resend;
		if (!resend) /* a resend is acknowledged with the next line (test_duplicates_...) */
			expect_ack(fds[k], two_sources[i].seq, duplicates[k]);
		fprintf(recording, "{\"source\":\"%s\",%s", two_sources[i].source, line + 1);
	}
	assert_int_equal(fclose(recording), 0);
	read_alerts(subscriber, 1, EXPECT_READ_TIMEOUT_MS, live, sizeof live);
	expect_framed(live, two_sources_alert_head, "]}\n");
	assert_non_null(strstr(live, two_sources_alert_middle));
	assert_int_equal(harness_stop(&f->harness), 0);
	expect_log(&f->harness,
		   "cadmond: source cad-b: newest ts 2026-11-29T08:13:00.000Z, 0 s behind the "
		   "newest source, 13 lines, 9 events (0 late)");
	tool_run(getenv("CADMON_BACKTEST"), args, NULL, &run);
	unlink(path);
	assert_int_equal(run.exit_status, 0);
	assert_non_null(end = strstr(run.out, "\n\n")); /* the alert lines, then the report */
	end[1] = '\0';
	assert_string_equal(run.out, live);
	tool_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_future_guard,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_journal_recovers,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_twenty_feeds_same_alerts_as_one,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_backlog_while_another_source_is_live,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_acknowledged_and_restarts,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_restart_holds_recovered_sources,
						daemon_fixture_setup, daemon_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_two_sources_live_as_backtested,
						daemon_fixture_setup, daemon_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
