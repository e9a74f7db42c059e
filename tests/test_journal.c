/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The journal without the daemon: record framing and scanning (daemon/journal/record.c), the state
 * directory (statedir.c), segments, retention and the alert index (journal.c), and recovery
 * (recovery.c) from journals built here, intact, torn or with alerts never journaled.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert.h"
#include "codec.h"
#include "config.h"
#include "daemon_harness.h"
#include "engine.h"
#include "control.h"
#include "journal.h"
#include "record.h"
#include "recovery.h"
#include "statedir.h"

#define T0_MS INT64_C(1795939200000)
#define MAX_ALERTS 64

/* --- records ------------------------------------------------------------------------------ */

static void test_event_record_bytes(void **state)
{
	static const unsigned char header[] = { 'C', 'D', 'J', '1', 13, 0, 0, 0, 1,
						7, 0, 0, 0, 0, 0, 0, 0 };
	struct codec_writer writer = { 0 };
	struct record record;
	struct record_event event;
	uint32_t crc;

	(void)state;
	record_put_event(&writer, 7, "cad", "{\"a\":1}", 6);
	assert_int_equal(writer.len, RECORD_OVERHEAD_BYTES + 4 + 3 + 6);
	assert_memory_equal(writer.data, header, sizeof header);
	assert_memory_equal(writer.data + 17, "\x03\x00\x00\x00" "cad" "{\"a\":1", 13);
	crc = codec_crc32c(0, writer.data, writer.len - 4);
	assert_int_equal(writer.data[writer.len - 4], crc & 0xff);
	assert_int_equal(writer.data[writer.len - 1], crc >> 24);
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record.type, RECORD_EVENT);
	assert_int_equal(record.index, 7);
	assert_int_equal(record.size, writer.len);
	assert_int_equal(record_decode_event(&record, &event), 0);
	assert_string_equal(event.source, "cad");
	assert_int_equal(event.len, 6);
	assert_memory_equal(event.line, "{\"a\":1", 6);
	codec_writer_release(&writer);
}

/* EVENT_AT: the line with its host time, source key, epoch and flags; an EVENT record reads
 * as one without host time. */
static void test_event_at_record(void **state)
{
	struct codec_writer writer = { 0 };
	struct engine_origin origin = { .source = "cad-1", .named = true, .epoch = "e7",
					.first_of_connection = true, .received_ms = 1795939200123 };
	struct record record;
	struct record_event event;

	(void)state;
	record_put_event_at(&writer, 9, &origin, "{\"a\":1}", 7);
	origin = (struct engine_origin){ .source = "#12", .closed = true, .received_ms = 5 };
	record_put_event_at(&writer, 10, &origin, "", 0);
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record.type, RECORD_EVENT_AT);
	assert_int_equal(record.payload_len, 8 + 1 + 4 + 5 + 4 + 2 + 7);
	assert_int_equal(record_decode_event(&record, &event), 0);
	assert_string_equal(event.source, "cad-1");
	assert_string_equal(event.epoch, "e7");
	assert_true(event.named);
	assert_true(event.first_of_connection);
	assert_false(event.closed);
	assert_int_equal(event.received_ms, 1795939200123);
	assert_int_equal(event.len, 7);
	assert_memory_equal(event.line, "{\"a\":1}", 7);
	assert_int_equal(record_parse(writer.data + record.size, writer.len - record.size, &record),
			 RECORD_OK);
	assert_int_equal(record_decode_event(&record, &event), 0);
	assert_string_equal(event.source, "#12");
	assert_false(event.named);
	assert_false(event.first_of_connection);
	assert_true(event.closed); /* the connection's close: flag 4 */
	assert_int_equal(record.payload[8], RECORD_EVENT_CLOSED);
	assert_int_equal(event.len, 0);
	assert_string_equal(record_type_name(RECORD_EVENT_AT), "event");
	codec_writer_release(&writer);
	writer = (struct codec_writer){ 0 };
	record_put_event(&writer, 1, "cad", "{}", 2);
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record_decode_event(&record, &event), 0);
	assert_int_equal(event.received_ms, ENGINE_NO_TIME);
	assert_true(event.named);
	assert_string_equal(event.epoch, "");
	codec_writer_release(&writer);
}

static void test_alert_and_reject_records(void **state)
{
	struct codec_writer writer = { 0 };
	struct record record;
	enum event_reject reason;
	const char *json;
	uint64_t seq;
	size_t len;

	(void)state;
	record_put_alert(&writer, 1, 42, "{\"alert\":\"firing\"}", 18);
	record_put_reject(&writer, 2, EVENT_REJECT_LINE_TOO_LONG);
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record_decode_alert(&record, &seq, &json, &len), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(len, 18);
	assert_memory_equal(json, "{\"alert\":\"firing\"}", 18);
	assert_int_equal(record_decode_event(&record, &(struct record_event){ 0 }), -EINVAL);
	assert_int_equal(record_parse(writer.data + record.size, writer.len - record.size, &record),
			 RECORD_OK);
	assert_int_equal(record_decode_reject(&record, &reason), 0);
	assert_int_equal(reason, EVENT_REJECT_LINE_TOO_LONG);
	codec_writer_release(&writer);
}

/* A CONTROL record (type 5): the time the daemon took the line, and the line. */
static void test_control_record(void **state)
{
	struct codec_writer writer = { 0 };
	struct record record;
	const char *line;
	int64_t ts_ms;
	size_t len;

	(void)state;
	record_put_control(&writer, 9, INT64_C(1795939475250), "{\"ack\":\"x\"}", 11);
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record.type, RECORD_CONTROL);
	assert_int_equal(record.type, 5);
	assert_int_equal(record.index, 9);
	assert_string_equal(record_type_name(record.type), "control");
	assert_int_equal(record_decode_control(&record, &ts_ms, &line, &len), 0);
	assert_int_equal(ts_ms, INT64_C(1795939475250));
	assert_int_equal(len, 11);
	assert_memory_equal(line, "{\"ack\":\"x\"}", 11);
	assert_int_equal(record_decode_event(&record, &(struct record_event){ 0 }), -EINVAL);
	codec_writer_release(&writer);
}

/* Cut anywhere inside a record: torn. One byte flipped anywhere: corrupt. */
static void test_every_cut_is_torn_every_flip_corrupt(void **state)
{
	struct codec_writer writer = { 0 };
	struct record record;

	(void)state;
	record_put_event(&writer, 3, "", "{\"type\":\"call_start\"}", 21);
	for (size_t len = 1; len < writer.len; len++)
		assert_int_equal(record_parse(writer.data, len, &record), RECORD_TORN);
	for (size_t at = 0; at < writer.len; at++) {
		writer.data[at] ^= 0x40;
		assert_int_not_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
		writer.data[at] ^= 0x40;
	}
	assert_int_equal(record_parse(writer.data, writer.len, &record), RECORD_OK);
	assert_int_equal(record_parse(writer.data, 0, &record), RECORD_END);
	codec_writer_release(&writer);
}

/* Four records in a row, indexes 10 to 13. Returns each record's offset in starts[]. */
static void four_records(struct codec_writer *writer, size_t starts[4])
{
	for (int i = 0; i < 4; i++) {
		starts[i] = writer->len;
		record_put_event(writer, 10 + (uint64_t)i, "cad-1", "{\"type\":\"incident\"}", 19);
	}
}

static void test_scan_torn_tail(void **state)
{
	struct codec_writer writer = { 0 };
	struct record_scan scan;
	struct record record;
	size_t starts[4];

	(void)state;
	four_records(&writer, starts);
	record_scan_init(&scan, writer.data, writer.len - 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_TORN);
	assert_int_equal(scan.pos, starts[3]);
	/* A frame with a bad CRC that ends the data is torn too (a crash mid-write). */
	writer.data[starts[3] + 20] ^= 1;
	record_scan_init(&scan, writer.data, writer.len);
	for (int i = 0; i < 3; i++)
		assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_TORN);
	codec_writer_release(&writer);
}

/* Zeros after the last record (a file system's leftover): torn, not corrupt. */
static void test_scan_zero_tail_is_torn(void **state)
{
	struct codec_writer writer = { 0 };
	struct record_scan scan;
	struct record record;
	unsigned char zeros[100] = { 0 };
	size_t starts[4];

	(void)state;
	four_records(&writer, starts);
	codec_put_bytes(&writer, zeros, sizeof zeros);
	record_scan_init(&scan, writer.data, writer.len);
	for (int i = 0; i < 4; i++)
		assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_TORN);
	codec_writer_release(&writer);
}

/* Damage in the middle is corrupt; resync skips exactly the bad record and goes on. A
 * damaged length that claims the rest of the data is corrupt too, since good records follow. */
static void test_scan_corrupt_middle_resyncs(void **state)
{
	struct codec_writer writer = { 0 };
	struct record_scan scan;
	struct record record;
	size_t starts[4];

	(void)state;
	four_records(&writer, starts);
	writer.data[starts[1] + 30] ^= 0xff;
	record_scan_init(&scan, writer.data, writer.len);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_CORRUPT);
	assert_int_equal(scan.pos, starts[1]);
	assert_int_equal(record_scan_resync(&scan), starts[2] - starts[1]);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record.index, 12);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_END);
	writer.data[starts[1] + 30] ^= 0xff;

	writer.data[starts[1] + 7] = 0x7f; /* payload length near 2 GiB */
	record_scan_init(&scan, writer.data, writer.len);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_CORRUPT);
	codec_writer_release(&writer);
}

/* A record out of index order is corrupt (a stale frame in the middle of a segment). */
static void test_scan_index_must_follow(void **state)
{
	struct codec_writer writer = { 0 };
	struct record_scan scan;
	struct record record;

	(void)state;
	record_put_reject(&writer, 5, EVENT_REJECT_LINE_TOO_LONG);
	record_put_reject(&writer, 7, EVENT_REJECT_LINE_TOO_LONG);
	record_scan_init(&scan, writer.data, writer.len);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_OK);
	assert_int_equal(record_scan_next(&scan, &record), RECORD_CORRUPT);
	codec_writer_release(&writer);
}

static void test_segment_end_found_from_the_tail(void **state)
{
	const struct record_alert_ref alerts[2] = { { 3, 100, 250 }, { 4, 400, 260 } };
	struct codec_writer writer = { 0 };
	struct record_segment_end end;
	struct record_alert_ref ref;
	struct record record;
	uint64_t offset;

	(void)state;
	record_put_reject(&writer, 8, EVENT_REJECT_LINE_TOO_LONG);
	record_put_segment_end(&writer, 9, T0_MS, alerts, 2);
	assert_int_equal(
		record_segment_end_offset(writer.data + writer.len - 8, writer.len, &offset), 0);
	assert_int_equal(offset, RECORD_OVERHEAD_BYTES + 1);
	assert_int_equal(record_parse(writer.data + offset, writer.len - offset, &record),
			 RECORD_OK);
	assert_int_equal(record_decode_segment_end(&record, &end), 0);
	assert_int_equal(end.watermark_ms, T0_MS);
	assert_true(end.complete);
	assert_int_equal(end.alert_count, 2);
	record_segment_end_alert(&end, 1, &ref);
	assert_int_equal(ref.seq, 4);
	assert_int_equal(ref.offset, 400);
	assert_int_equal(ref.record_bytes, 260);
	codec_writer_release(&writer);
}

/* --- the state directory and the journal -------------------------------------------------- */

struct dir_fixture {
	char path[PATH_MAX];
	struct statedir dir;
};

static int dir_setup(void **state)
{
	struct dir_fixture *f = calloc(1, sizeof *f);
	char why[512];

	if (!f)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/cadmon-journal-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->path))
		return -1;
	strcat(f->path, "/state"); /* created by statedir_open */
	if (statedir_open(&f->dir, f->path, why, sizeof why) < 0)
		return -1;
	*state = f;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir_fixture *f = *state;
	int rc;

	statedir_close(&f->dir);
	*strrchr(f->path, '/') = '\0';
	rc = harness_remove_tree(f->path);
	free(f);
	return rc;
}

static void test_state_directory_is_locked(void **state)
{
	struct dir_fixture *f = *state;
	struct statedir second;
	char why[512], expected[PATH_MAX * 2 + 100];
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(statedir_open(&second, f->path, why, sizeof why), -EWOULDBLOCK);
	snprintf(expected, sizeof expected,
		 "state directory %s is in use by another cadmond (%s/lock is locked)", f->path,
		 f->path);
	assert_string_equal(why, expected);
	statedir_close(&second);
}

static void test_state_directory_from_environment(void **state)
{
	struct config config;
	char path[256], why[256];

	(void)state;
	config_set_defaults(&config);
	setenv("STATE_DIRECTORY", "/run/a:/run/b", 1);
	assert_int_equal(statedir_resolve(&config, path, sizeof path, why, sizeof why), 0);
	assert_string_equal(path, "/run/a");
	setenv("STATE_DIRECTORY", "relative", 1);
	assert_int_equal(statedir_resolve(&config, path, sizeof path, why, sizeof why), -EINVAL);
	unsetenv("STATE_DIRECTORY");
	assert_int_equal(statedir_resolve(&config, path, sizeof path, why, sizeof why), 0);
	assert_string_equal(path, "/var/lib/cadmon");
}

/* The alert index is bounded (JOURNAL_MAX_INDEXED_ALERTS): one alert beyond it drops the
 * oldest sixteenth (and one) from the index, counted; the history starts after them, its bytes
 * are those of the alerts still indexed, the newest is the last. */
static void test_alert_index_is_bounded(void **state)
{
	struct dir_fixture *f = *state;
	struct journal *journal = journal_new(&f->dir);
	const uint64_t line_bytes = 100 - RECORD_OVERHEAD_BYTES - 8 + 1;
	const uint64_t dropped = JOURNAL_MAX_INDEXED_ALERTS / 16 + 1;
	const uint64_t last = JOURNAL_MAX_INDEXED_ALERTS + 1;

	assert_non_null(journal);
	for (uint64_t seq = 1; seq <= JOURNAL_MAX_INDEXED_ALERTS; seq++)
		assert_int_equal(journal_index_alert(journal, seq, 1, seq * 100, 100), 0);
	assert_int_equal(journal_oldest_alert(journal), 1);
	assert_int_equal(journal_stats(journal)->alerts_unindexed, 0);
	assert_int_equal(journal_index_alert(journal, last, 1, last * 100, 100), 0);
	assert_int_equal(journal_stats(journal)->alerts_unindexed, dropped);
	assert_int_equal(journal_oldest_alert(journal), dropped + 1);
	assert_int_equal(journal_newest_alert(journal), last);
	assert_int_equal(journal_alert_bytes_after(journal, 0), (last - dropped) * line_bytes);
	assert_int_equal(journal_alert_bytes_after(journal, last - 1), line_bytes);
	assert_int_equal(journal_alert_bytes_after(journal, last), 0);
	journal_free(journal);
}

/* Four closed segments ending at records 10, 20, 30, 40, their newest events at 1, 2, 3 and 4
 * hours; snapshots at records 20, 30 and 40; one alert per segment. With the watermark at
 * 4 h and one hour of retention: snapshot 20 goes (two newer ones exist); the segments
 * ending at 10 and 20 go (before snapshot 30, the older one kept, and older than 3 h); the
 * one ending at 30 stays (its newest event is exactly 3 h), and so do their alerts. */
static void test_retention(void **state)
{
	struct dir_fixture *f = *state;
	struct journal *journal = journal_new(&f->dir);
	struct journal_retained retained;
	const struct journal_segment *closed;
	const uint64_t *snapshots;
	size_t count;

	assert_non_null(journal);
	for (uint64_t i = 0; i < 4; i++) {
		struct journal_segment segment = { .first_index = i * 10 + 1,
						   .last_index = i * 10 + 10,
						   .newest_watermark_ms =
							   T0_MS + (int64_t)(i + 1) * 3600000 };

		assert_int_equal(journal_start_segment(journal, segment.first_index), 0);
		journal_abandon_segment(journal);
		assert_int_equal(journal_add_closed_segment(journal, &segment), 0);
		assert_int_equal(journal_index_alert(journal, i + 1, segment.first_index, 0, 100),
				 0);
	}
	for (uint64_t index = 20; index <= 40; index += 10) {
		assert_int_equal(statedir_write_snapshot(&f->dir, index, "x", 1), 0);
		assert_int_equal(journal_add_snapshot(journal, index), 0);
	}
	journal_retain(journal, T0_MS + 4 * 3600000, 3600, &retained);
	assert_int_equal(retained.error, 0);
	assert_int_equal(retained.snapshots_deleted, 1);
	assert_int_equal(retained.segments_deleted, 2);
	closed = journal_closed_segments(journal, &count);
	assert_int_equal(count, 2);
	assert_int_equal(closed[0].first_index, 21);
	snapshots = journal_snapshots(journal, &count);
	assert_int_equal(count, 2);
	assert_int_equal(snapshots[0], 30);
	assert_int_equal(journal_oldest_alert(journal), 3);
	assert_int_equal(journal_alert_bytes_after(journal, 3),
			 100 - RECORD_OVERHEAD_BYTES - 8 + 1);
	journal_free(journal);
}

/* --- recovery ----------------------------------------------------------------------------- */

static const char rule_yaml[] =
	"detector:\n"
	"  resolve_after_seconds: 60\n"
	"  rules: [{name: burst, window_seconds: 600, min_calls: 3, min_premature: 3}]\n";

/* What a daemon does with the engine's alerts: journal them after the event. */
struct daemon_like {
	struct journal *journal;
	struct engine *engine;
	struct recovery_router router;
	char *alerts[MAX_ALERTS + 1];
	size_t alert_count;
	bool journal_alerts;
};

static void on_live_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	struct daemon_like *d = ctx;
	uint64_t offset;
	uint32_t bytes;

	assert_true(alert->seq <= MAX_ALERTS);
	d->alerts[alert->seq] = strndup(json, len);
	d->alert_count++;
	if (d->journal_alerts)
		journal_append_alert(d->journal, alert->seq, json, len, &offset, &bytes);
}

static void load_config(struct config *config)
{
	struct config_errors errors;

	assert_int_equal(config_parse(rule_yaml, strlen(rule_yaml), "test.yaml", config, &errors),
			 0);
}

/* Recover from f's directory into d. */
static struct recovery daemon_start(struct dir_fixture *f, struct daemon_like *d)
{
	struct recovery recovery;
	struct config config;
	char why[256];

	load_config(&config);
	memset(d, 0, sizeof *d);
	d->journal = journal_new(&f->dir);
	d->journal_alerts = true;
	recovery_router_init(&d->router, on_live_alert, d);
	assert_int_equal(recovery_run(&f->dir, d->journal, &config, &d->router, &recovery, why,
				      sizeof why),
			 0);
	d->engine = recovery.engine;
	assert_int_equal(recovery_checkpoint(d->journal, &recovery), 0);
	return recovery;
}

static void daemon_stop(struct daemon_like *d)
{
	engine_free(d->engine);
	journal_free(d->journal);
	recovery_router_release(&d->router);
	for (size_t i = 0; i <= MAX_ALERTS; i++)
		free(d->alerts[i]);
}

/* Call n of op-1, every 30 s: calls 0, 1, 2 of every 24 are released by the operator after
 * 5 s (premature: the third fires the rule), the others by the caller after 2 minutes (the
 * premature ones leave the window, the alert resolves a minute later). Written, not synced. */
static void feed_call_unsynced(struct daemon_like *d, unsigned n)
{
	char line[256];
	int64_t start = T0_MS + (int64_t)n * 30000;
	bool premature = n % 24 < 3;
	struct engine_verdict verdict;
	int len;

	len = snprintf(line, sizeof line,
		       "{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":%" PRId64
		       ",\"operator\":\"op-1\",\"seq\":%u}",
		       n, start, 2 * n + 1);
	journal_append_event(d->journal, "cad-1", line, (size_t)len);
	engine_process(d->engine, "cad-1", line, (size_t)len, &verdict);
	len = snprintf(line, sizeof line,
		       "{\"type\":\"call_end\",\"call_id\":\"c%u\",\"ts\":%" PRId64
		       ",\"released_by\":\"%s\",\"seq\":%u}",
		       n, start + (premature ? 5000 : 120000), premature ? "operator" : "caller",
		       2 * n + 2);
	journal_append_event(d->journal, "cad-1", line, (size_t)len);
	engine_process(d->engine, "cad-1", line, (size_t)len, &verdict);
	assert_int_equal(journal_write(d->journal), 0);
}

/* Call n (feed_call_unsynced), synced. */
static void feed_call(struct daemon_like *d, unsigned n)
{
	feed_call_unsynced(d, n);
	assert_int_equal(journal_sync(d->journal, true), 0);
}

static void test_recovery_replays_and_suppresses_delivered_alerts(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	uint64_t events, alerts;

	assert_false(recovery.summary.from_snapshot);
	for (unsigned n = 0; n < 48; n++)
		feed_call(&d, n);
	events = engine_stats(d.engine)->events;
	alerts = d.alert_count;
	assert_int_equal(alerts, 4); /* firing, resolved, firing, resolved */
	daemon_stop(&d); /* a crash: the segment is not ended */

	recovery = daemon_start(f, &d);
	assert_true(recovery.summary.from_snapshot);
	assert_int_equal(recovery.summary.snapshot_index, 0);
	assert_int_equal(recovery.summary.events_replayed, 96);
	assert_int_equal(recovery.summary.alerts_suppressed, alerts);
	assert_int_equal(recovery.summary.alerts_recovered, 0);
	assert_int_equal(d.alert_count, 0);
	assert_int_equal(engine_stats(d.engine)->events, events);
	assert_int_equal(journal_newest_alert(d.journal), alerts);
	/* The next alert continues the seq where the first run stopped. */
	for (unsigned n = 48; n < 51; n++)
		feed_call(&d, n);
	assert_int_equal(d.alert_count, 1);
	assert_non_null(strstr(d.alerts[alerts + 1], "\"alert\":\"firing\""));
	assert_non_null(strstr(d.alerts[alerts + 1], "\"seq\":5,"));
	daemon_stop(&d);
}

/* Events journaled, their alert record cut off (a crash mid-write): the replayed alert was
 * never delivered, so it is handed back for delivery. */
static void test_recovery_hands_back_alerts_never_journaled(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	size_t count;
	struct recovery_alert *recovered;

	d.journal_alerts = false; /* as if each ALERT record was lost */
	for (unsigned n = 0; n < 3; n++)
		feed_call(&d, n);
	assert_int_equal(d.alert_count, 1);
	daemon_stop(&d);

	recovery = daemon_start(f, &d);
	assert_int_equal(recovery.summary.alerts_suppressed, 0);
	assert_int_equal(recovery.summary.alerts_recovered, 1);
	recovered = recovery_router_take(&d.router, &count);
	assert_int_equal(count, 1);
	assert_int_equal(recovered[0].seq, 1);
	assert_non_null(strstr(recovered[0].json, "\"seq\":1,"));
	recovery_alerts_free(recovered, count);
	daemon_stop(&d);
}

/* --- replay rebuilds the live state ------------------------------------------------------ */

/* The engine's whole state as a snapshot writes it. */
static struct codec_writer state_bytes(const struct engine *engine)
{
	struct codec_writer writer = { 0 };

	engine_snapshot(engine, &writer);
	assert_false(writer.failed);
	return writer;
}

/* One line, journaled then processed, as the daemon's feeds do: an EVENT_AT record from
 * origin, or an EVENT record (an older cadmond's) from source when origin is NULL. */
static void feed_line(struct daemon_like *d, const struct engine_origin *origin,
		      const char *source, const char *line)
{
	struct engine_verdict verdict;
	size_t len = strlen(line);

	if (origin) {
		journal_append_event_at(d->journal, origin, line, len);
		engine_process_from(d->engine, origin, line, len, &verdict);
	} else {
		journal_append_event(d->journal, source, line, len);
		engine_process(d->engine, source, line, len, &verdict);
	}
}

/* A control line, journaled then applied, as cadmond_control does. */
static void feed_control(struct daemon_like *d, const char *line, int64_t ts_ms)
{
	char why[256];

	journal_append_control(d->journal, ts_ms, line, strlen(line));
	engine_control(d->engine, line, strlen(line), ts_ms, why, sizeof why);
}

/* The alert_id of the alert with seq, from its JSON. */
static void alert_id_of(const struct daemon_like *d, uint64_t seq, char id[ALERT_ID_LENGTH + 1])
{
	const char *at = strstr(d->alerts[seq], "\"alert_id\":\"");

	assert_non_null(at);
	memcpy(id, at + strlen("\"alert_id\":\""), ALERT_ID_LENGTH);
	id[ALERT_ID_LENGTH] = '\0';
}

/* Every kind of record a feed writes: a named source's hello and numbered lines (EVENT_AT,
 * with epoch and host time), a connection without hello, an older EVENT record, a line the
 * feed rejected, a tick of the host clock while events wait, an ack and a malformed control
 * line; calls of op-1 that raise and resolve alerts. Live, then journaled through record last. */
static void feed_every_kind(struct daemon_like *d)
{
	struct engine_origin named = { .source = "cad-1", .named = true, .epoch = "e1",
				       .first_of_connection = true };
	struct engine_origin connection = { .source = "#1.1", .epoch = "",
					    .first_of_connection = true };
	struct engine_origin tick = { .source = "" };
	char line[256], ack[128], id[ALERT_ID_LENGTH + 1];

	named.received_ms = T0_MS;
	feed_line(d, &named, NULL, ""); /* the hello */
	for (unsigned n = 0; n < 30; n++) {
		int64_t start = T0_MS + (int64_t)n * 30000;
		bool premature = n % 12 < 3;

		named.received_ms = start + 40;
		snprintf(line, sizeof line,
			 "{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":%" PRId64
			 ",\"operator\":\"op-1\",\"seq\":%u}",
			 n, start, 2 * n + 1);
		feed_line(d, &named, NULL, line);
		named.first_of_connection = false;
		named.received_ms = start + (premature ? 5000 : 20000) + 40;
		snprintf(line, sizeof line,
			 "{\"type\":\"call_end\",\"call_id\":\"c%u\",\"ts\":%" PRId64
			 ",\"released_by\":\"%s\",\"seq\":%u}",
			 n, start + (premature ? 5000 : 20000), premature ? "operator" : "caller",
			 2 * n + 2);
		feed_line(d, &named, NULL, line);
		connection.received_ms = start + 50;
		snprintf(line, sizeof line,
			 "{\"type\":\"call_start\",\"call_id\":\"k%u\",\"ts\":%" PRId64
			 ",\"operator\":\"op-2\"}",
			 n, start + 10);
		feed_line(d, n % 2 ? &connection : NULL, "cad-2", line);
		if (n % 10 == 5) {
			journal_append_reject(d->journal, EVENT_REJECT_LINE_TOO_LONG);
			engine_count_reject(d->engine, EVENT_REJECT_LINE_TOO_LONG);
			tick.received_ms = start + 25000;
			feed_line(d, &tick, NULL, "");
		}
		if (n == 20) {
			alert_id_of(d, 1, id);
			snprintf(ack, sizeof ack, "{\"ack\":\"%s\",\"by\":\"sup-1\"}", id);
			feed_control(d, ack, start + 1000);
			feed_control(d, "{\"ack\":", start + 1100);
		}
		assert_int_equal(journal_write(d->journal), 0);
		assert_int_equal(journal_sync(d->journal, true), 0);
	}
}

/* Delete every snapshot of f's directory: how many. */
static int remove_snapshots(struct dir_fixture *f)
{
	DIR *dir = opendir(f->path);
	struct dirent *entry;
	char path[PATH_MAX + 300];
	int removed = 0;

	assert_non_null(dir);
	while ((entry = readdir(dir)))
		if (strncmp(entry->d_name, "snapshot-", 9) == 0) {
			snprintf(path, sizeof path, "%s/%s", f->path, entry->d_name);
			assert_int_equal(unlink(path), 0);
			removed++;
		}
	closedir(dir);
	return removed;
}

/* Recovery from the journal alone (snapshot or none) rebuilds, byte for byte, the state the
 * live engine had: what the replay skips or reads in place must not change it. */
static void test_replay_rebuilds_the_live_state_byte_for_byte(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	struct codec_writer live, replayed;

	feed_every_kind(&d);
	assert_int_equal(d.alert_count, 8); /* firing, acknowledged, resolved, ... */
	live = state_bytes(d.engine);
	daemon_stop(&d); /* a crash */

	/* From the empty snapshot the first start wrote: every record replayed. */
	recovery = daemon_start(f, &d);
	assert_true(recovery.summary.from_snapshot);
	assert_int_equal(recovery.summary.events_replayed, 1 + 30 * 3 + 3);
	assert_int_equal(recovery.summary.alerts_recovered, 0);
	replayed = state_bytes(d.engine);
	assert_int_equal(replayed.len, live.len);
	assert_memory_equal(replayed.data, live.data, live.len);
	codec_writer_release(&replayed);
	daemon_stop(&d);

	/* Without any snapshot: a fresh engine replays the segments. */
	assert_true(remove_snapshots(f) > 0);
	recovery = daemon_start(f, &d);
	assert_false(recovery.summary.from_snapshot);
	replayed = state_bytes(d.engine);
	assert_int_equal(replayed.len, live.len);
	assert_memory_equal(replayed.data, live.data, live.len);
	codec_writer_release(&replayed);
	daemon_stop(&d);
	codec_writer_release(&live);
}

/* Lines the engine refuses or ignores, of the kinds the parser and the gate give, from a
 * named source (a resend, a jump, a restart whose first line is refused) and a connection;
 * then enough calls of op-3 (more records than the reader's ring holds) to go round it. */
static void feed_refused_kinds(struct daemon_like *d, int64_t t0_ms)
{
	struct engine_origin named = { .source = "cad-3", .named = true, .epoch = "e1",
				       .first_of_connection = true, .received_ms = t0_ms };
	struct engine_origin connection = { .source = "#2.1", .epoch = "",
					    .first_of_connection = true, .received_ms = t0_ms };
	char line[256];

	feed_line(d, &named, NULL, "");
	snprintf(line, sizeof line,
		 "{\"type\":\"call_start\",\"call_id\":\"r0\",\"ts\":%" PRId64
		 ",\"operator\":\"op-3\",\"seq\":5}",
		 t0_ms);
	feed_line(d, &named, NULL, line);
	named.first_of_connection = false;
	feed_line(d, &named, NULL, line); /* a resend */
	feed_line(d, &named, NULL, "{\"seq\":6,\"type\":\"call_start\""); /* invalid JSON */
	feed_line(d, &named, NULL, "{\"seq\":900000000,\"type\":\"call_end\"}"); /* a jump */
	feed_line(d, &named, NULL, "[1,2]");
	feed_line(d, &named, NULL, "   \t"); /* blank: not even counted */
	feed_line(d, &connection, NULL, "{\"type\":\"coffee\",\"call_id\":\"r1\",\"ts\":1}");
	feed_line(d, &connection, NULL,
		  "{\"type\":\"call_start\",\"call_id\":\"r1\",\"ts\":\"yesterday\","
		  "\"operator\":\"op-3\"}");
	feed_line(d, &connection, NULL, "{\"type\":\"call_start\",\"call_id\":\"r1\"}");
	snprintf(line, sizeof line,
		 "{\"type\":\"call_start\",\"call_id\":\"r2\",\"ts\":%" PRId64
		 ",\"operator\":\"op-3\"}",
		 t0_ms + 3 * 3600 * 1000); /* from the future */
	feed_line(d, &connection, NULL, line);
	snprintf(line, sizeof line,
		 "{\"type\":\"call_start\",\"call_id\":\"r3\",\"ts\":%" PRId64
		 ",\"operator\":\"op-3\"}",
		 t0_ms - 3 * 3600 * 1000); /* too late */
	feed_line(d, &connection, NULL, line);
	named.epoch = "e2"; /* the sender restarted: its first line refused after its seq */
	named.first_of_connection = true;
	feed_line(d, &named, NULL, "{\"seq\":1,\"type\":\"call_end\",\"ts\":true}");
	named.first_of_connection = false;
	for (unsigned n = 0; n < 300; n++) {
		int64_t start = t0_ms + 60000 + (int64_t)n * 20000;

		named.received_ms = start + 30;
		snprintf(line, sizeof line,
			 "{\"type\":\"call_start\",\"call_id\":\"s%u\",\"ts\":%" PRId64
			 ",\"operator\":\"op-3\",\"seq\":%u}",
			 n, start, 2 * n + 2);
		feed_line(d, &named, NULL, line);
		named.received_ms = start + 9030;
		snprintf(line, sizeof line,
			 "{\"type\":\"call_end\",\"call_id\":\"s%u\",\"ts\":%" PRId64
			 ",\"released_by\":\"%s\",\"seq\":%u}",
			 n, start + 9000, "caller", 2 * n + 3);
		feed_line(d, &named, NULL, line);
	}
	assert_int_equal(journal_write(d->journal), 0);
	assert_int_equal(journal_sync(d->journal, true), 0);
}

/* Recover f's directory with reader, without the checkpoint (the directory stays as it is):
 * the engine's state bytes, the summary and the alerts handed back. */
static struct codec_writer recover_with(struct dir_fixture *f, enum recovery_reader reader,
					struct recovery_summary *summary, size_t *recovered)
{
	struct recovery_router router;
	struct recovery recovery;
	struct journal *journal = journal_new(&f->dir);
	struct codec_writer bytes;
	struct config config;
	char why[256];

	load_config(&config);
	recovery_router_init(&router, NULL, NULL);
	assert_int_equal(recovery_run_reader(&f->dir, journal, &config, &router, reader,
					     &recovery, why, sizeof why),
			 0);
	bytes = state_bytes(recovery.engine);
	*summary = recovery.summary;
	*recovered = router.recovered_count;
	engine_free(recovery.engine);
	recovery_release(&recovery);
	recovery_router_release(&router);
	journal_free(journal);
	return bytes;
}

/* The records read and parsed on a thread of their own and applied in order on this one give
 * the state, byte for byte, and the summary that reading them on this thread gives: over
 * every kind of record (events, hellos, ticks, REJECT, acks and a malformed control line) and
 * of line the engine refuses, several segments, more records than the ring holds. */
static void test_replay_with_reader_thread_equals_inline(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	struct recovery_summary inline_summary, thread_summary;
	struct codec_writer live, inline_bytes, thread_bytes;
	size_t inline_recovered, thread_recovered;

	(void)recovery;
	feed_every_kind(&d);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0);
	feed_refused_kinds(&d, T0_MS + 40 * 30000);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0);
	feed_refused_kinds(&d, T0_MS + 4 * 3600 * 1000);
	assert_true(engine_stats(d.engine)->rejects[EVENT_REJECT_INVALID_JSON] >= 2);
	assert_true(engine_stats(d.engine)->rejects[EVENT_REJECT_FUTURE] >= 2);
	assert_true(engine_stats(d.engine)->rejects[EVENT_REJECT_BAD_SEQ] >= 2);
	assert_true(engine_stats(d.engine)->restarts >= 2);
	live = state_bytes(d.engine);
	daemon_stop(&d); /* a crash */
	assert_true(remove_snapshots(f) > 0);

	inline_bytes = recover_with(f, RECOVERY_READER_INLINE, &inline_summary, &inline_recovered);
	thread_bytes = recover_with(f, RECOVERY_READER_THREAD, &thread_summary, &thread_recovered);
	assert_int_equal(inline_summary.segments_replayed, 3);
	assert_true(inline_summary.records_replayed > 1300);
	assert_int_equal(thread_bytes.len, inline_bytes.len);
	assert_memory_equal(thread_bytes.data, inline_bytes.data, inline_bytes.len);
	assert_int_equal(thread_summary.segments_replayed, inline_summary.segments_replayed);
	assert_int_equal(thread_summary.records_replayed, inline_summary.records_replayed);
	assert_int_equal(thread_summary.events_replayed, inline_summary.events_replayed);
	assert_int_equal(thread_summary.last_index, inline_summary.last_index);
	assert_int_equal(thread_summary.future_rejected, inline_summary.future_rejected);
	assert_int_equal(thread_summary.alerts_suppressed, inline_summary.alerts_suppressed);
	assert_int_equal(thread_recovered, inline_recovered);
	assert_int_equal(inline_bytes.len, live.len);
	assert_memory_equal(inline_bytes.data, live.data, live.len);
	codec_writer_release(&inline_bytes);
	codec_writer_release(&thread_bytes);
	codec_writer_release(&live);
}

/* --- damage, read inline and on the reader thread ------------------------------------------ */

enum damage { DAMAGE_TORN, DAMAGE_CORRUPT, DAMAGE_OTHER_FORMAT, DAMAGE_NOT_REGULAR,
	      DAMAGE_LEASED };

/* What a recovery of a damaged directory gave, with one reader. */
struct damaged_run {
	int rc;
	char why[256];
	struct recovery_summary summary;
	size_t recovered;
	size_t salvaged;
	bool open_segment;
	uint64_t open_first, open_bytes, open_last;
	struct codec_writer bytes; /* the engine's state when rc is 0 */
	off_t sizes[4];            /* of the segments after it, -1 when gone */
	off_t corrupt_sizes[4];    /* of the segments set aside as *.corrupt, -1 for none */
};

static void path_of_segment(const char *state_dir, uint64_t first, const char *suffix,
			    char *path, size_t size)
{
	snprintf(path, size, "%s/journal/%016" PRIx64 ".seg%s", state_dir, first, suffix);
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Four segments of twelve calls each, no snapshot: every one is replayed. Their first
 * indexes in firsts. */
static void write_four_segments(struct dir_fixture *f, uint64_t firsts[4])
{
	struct daemon_like d;
	struct dirent *entry;
	char path[PATH_MAX + 64];
	size_t count = 0;
	DIR *dir;

	(void)daemon_start(f, &d);
	for (unsigned s = 0; s < 4; s++) {
		for (unsigned n = 12 * s; n < 12 * s + 12; n++)
			feed_call(&d, n);
		if (s < 3)
			assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0);
	}
	daemon_stop(&d); /* a crash: the last segment is left open */
	assert_int_equal(remove_snapshots(f), 4);
	snprintf(path, sizeof path, "%s/journal", f->path);
	assert_non_null(dir = opendir(path));
	while ((entry = readdir(dir)))
		if (strlen(entry->d_name) == 20 && strcmp(entry->d_name + 16, ".seg") == 0) {
			assert_true(count < 4);
			firsts[count++] = strtoull(entry->d_name, NULL, 16);
		}
	closedir(dir);
	assert_int_equal(count, 4);
	for (size_t i = 1; i < 4; i++) /* sorted */
		for (size_t k = i; k > 0 && firsts[k - 1] > firsts[k]; k--) {
			uint64_t first = firsts[k];
			firsts[k] = firsts[k - 1];
			firsts[k - 1] = first;
		}
}

/* Damage segment firsts[at] of state_dir. */
static void damage_segment(const char *state_dir, uint64_t first, enum damage damage)
{
	static const char newer[] = "CDJ2 a record of a format to come";
	char path[PATH_MAX + 64];
	off_t size;
	int fd;

	path_of_segment(state_dir, first, "", path, sizeof path);
	size = size_of(path);
	assert_true(size > 64);
	switch (damage) {
	case DAMAGE_TORN:
		assert_int_equal(truncate(path, size - 5), 0);
		break;
	case DAMAGE_CORRUPT:
		assert_true((fd = open(path, O_RDWR)) >= 0);
		assert_int_equal(pwrite(fd, "\xff\xfe", 2, size / 2), 2);
		close(fd);
		break;
	case DAMAGE_OTHER_FORMAT:
		assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
		assert_int_equal(write(fd, newer, sizeof newer - 1), (ssize_t)(sizeof newer - 1));
		close(fd);
		break;
	case DAMAGE_NOT_REGULAR:
		assert_int_equal(unlink(path), 0);
		assert_int_equal(mkdir(path, 0700), 0);
		break;
	case DAMAGE_LEASED: /* taken around each recovery: recover_damaged */
		break;
	}
}

/* Recover a copy of f's damaged directory with reader. DAMAGE_LEASED: under a write lease
 * of this process on segment leased, so that its open (O_NONBLOCK) fails with EWOULDBLOCK
 * (EAGAIN) as under another process's lease, on whichever thread opens it. */
/* The host's clock at a damaged recovery, fixed: 2026-11-29 08:00 UTC. */
static int64_t fixed_wall_ms(void)
{
	return INT64_C(1795939200000);
}

static void recover_damaged(struct dir_fixture *f, enum recovery_reader reader,
			    const uint64_t firsts[4], enum damage damage, uint64_t leased,
			    struct damaged_run *run)
{
	char copy[PATH_MAX + 16], command[3 * PATH_MAX + 64], path[PATH_MAX + 64];
	struct recovery_router router;
	struct recovery recovery;
	struct statedir dir;
	struct journal *journal;
	struct config config;
	char why[512];
	int lease_fd = -1;

	snprintf(copy, sizeof copy, "%s-%d", f->path, (int)reader);
	snprintf(command, sizeof command, "rm -rf '%s' && cp -a '%s' '%s'", copy, f->path, copy);
	assert_int_equal(system(command), 0);
	assert_int_equal(statedir_open(&dir, copy, why, sizeof why), 0);
	if (damage == DAMAGE_LEASED) {
		path_of_segment(copy, leased, "", path, sizeof path);
		assert_true((lease_fd = open(path, O_RDWR | O_CLOEXEC)) >= 0);
		if (fcntl(lease_fd, F_SETLEASE, F_WRLCK) < 0) { /* fs.leases-enable 0, NFS */
			print_message("no lease on %s: %s\n", path, strerror(errno));
			close(lease_fd);
			statedir_close(&dir);
			skip();
		}
	}
	memset(run, 0, sizeof *run);
	load_config(&config);
	journal = journal_new(&dir);
	recovery_router_init(&router, NULL, NULL);
	router.wall_ms = fixed_wall_ms; /* both readers' state_incomplete alike */
	run->rc = recovery_run_reader(&dir, journal, &config, &router, reader, &recovery,
				      run->why, sizeof run->why);
	if (lease_fd >= 0) {
		assert_int_equal(fcntl(lease_fd, F_SETLEASE, F_UNLCK), 0);
		close(lease_fd);
	}
	if (run->rc == 0) {
		run->bytes = state_bytes(recovery.engine);
		run->recovered = router.recovered_count;
		run->salvaged = recovery.salvaged_count;
		run->open_segment = recovery.open_segment;
		run->open_first = recovery.open_first;
		run->open_bytes = recovery.open_bytes;
		run->open_last = recovery.open_last;
	}
	run->summary = recovery.summary;
	run->summary.seconds = 0;
	engine_free(recovery.engine);
	recovery_release(&recovery);
	recovery_router_release(&router);
	journal_free(journal);
	statedir_close(&dir);
	for (size_t i = 0; i < 4; i++) {
		path_of_segment(copy, firsts[i], "", path, sizeof path);
		run->sizes[i] = size_of(path);
		path_of_segment(copy, firsts[i], ".corrupt", path, sizeof path);
		run->corrupt_sizes[i] = size_of(path);
	}
	snprintf(command, sizeof command, "rm -rf '%s'", copy);
	assert_int_equal(system(command), 0);
}

static void expect_same_summary(const struct recovery_summary *a, const struct recovery_summary *b)
{
	assert_int_equal(a->from_snapshot, b->from_snapshot);
	assert_int_equal(a->snapshot_index, b->snapshot_index);
	assert_int_equal(a->segments_replayed, b->segments_replayed);
	assert_int_equal(a->records_replayed, b->records_replayed);
	assert_int_equal(a->events_replayed, b->events_replayed);
	assert_int_equal(a->alerts_suppressed, b->alerts_suppressed);
	assert_int_equal(a->alerts_recovered, b->alerts_recovered);
	assert_int_equal(a->torn_records, b->torn_records);
	assert_int_equal(a->corrupt_segments, b->corrupt_segments);
	assert_int_equal(a->corrupt_snapshots, b->corrupt_snapshots);
	assert_int_equal(a->other_format_snapshots, b->other_format_snapshots);
	assert_int_equal(a->other_format_segments, b->other_format_segments);
	assert_int_equal(a->skipped_bytes, b->skipped_bytes);
	assert_int_equal(a->last_index, b->last_index);
	assert_int_equal(a->future_rejected, b->future_rejected);
	assert_int_equal(a->next_segment_missing, b->next_segment_missing);
}

/* Segment at of four damaged, recovered inline and on the reader thread: the same result,
 * summary, state bytes, alerts and files. Returns the inline run's rc and summary. */
static int recover_damaged_both(struct dir_fixture *f, const uint64_t firsts[4], size_t at,
				enum damage damage, struct recovery_summary *summary)
{
	struct damaged_run inline_run, thread_run;
	int rc;

	recover_damaged(f, RECOVERY_READER_INLINE, firsts, damage, firsts[at], &inline_run);
	recover_damaged(f, RECOVERY_READER_THREAD, firsts, damage, firsts[at], &thread_run);
	assert_int_equal(thread_run.rc, inline_run.rc);
	if (inline_run.rc < 0) /* "recovery from <copy> failed: ...": copies named alike */
		assert_string_equal(thread_run.why + strlen(f->path) + 16,
				    inline_run.why + strlen(f->path) + 16);
	expect_same_summary(&thread_run.summary, &inline_run.summary);
	assert_int_equal(thread_run.recovered, inline_run.recovered);
	assert_int_equal(thread_run.salvaged, inline_run.salvaged);
	assert_int_equal(thread_run.open_segment, inline_run.open_segment);
	assert_int_equal(thread_run.open_first, inline_run.open_first);
	assert_int_equal(thread_run.open_bytes, inline_run.open_bytes);
	assert_int_equal(thread_run.open_last, inline_run.open_last);
	assert_int_equal(thread_run.bytes.len, inline_run.bytes.len);
	if (inline_run.bytes.len > 0)
		assert_memory_equal(thread_run.bytes.data, inline_run.bytes.data,
				    inline_run.bytes.len);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(thread_run.sizes[i], inline_run.sizes[i]);
		assert_int_equal(thread_run.corrupt_sizes[i], inline_run.corrupt_sizes[i]);
	}
	codec_writer_release(&inline_run.bytes);
	codec_writer_release(&thread_run.bytes);
	*summary = inline_run.summary;
	rc = inline_run.rc;
	return rc;
}


static void test_damage_torn_tail_both_readers(void **state)
{
	struct dir_fixture *f = *state;
	struct recovery_summary summary;
	uint64_t firsts[4];

	write_four_segments(f, firsts);
	damage_segment(f->path, firsts[3], DAMAGE_TORN);
	assert_int_equal(recover_damaged_both(f, firsts, 3, DAMAGE_TORN, &summary), 0);
	assert_int_equal(summary.torn_records, 1);
	assert_int_equal(summary.segments_replayed, 4);
	assert_int_equal(summary.events_replayed, 95);
}

static void test_damage_corrupt_segment_both_readers(void **state)
{
	struct dir_fixture *f = *state;
	struct recovery_summary summary;
	uint64_t firsts[4];

	write_four_segments(f, firsts);
	damage_segment(f->path, firsts[2], DAMAGE_CORRUPT);
	assert_int_equal(recover_damaged_both(f, firsts, 2, DAMAGE_CORRUPT, &summary), 0);
	assert_int_equal(summary.corrupt_segments, 1);
	assert_int_equal(summary.segments_replayed, 4);
}

static void test_damage_other_format_both_readers(void **state)
{
	struct dir_fixture *f = *state;
	struct recovery_summary summary;
	uint64_t firsts[4];

	write_four_segments(f, firsts);
	damage_segment(f->path, firsts[2], DAMAGE_OTHER_FORMAT);
	assert_int_equal(recover_damaged_both(f, firsts, 2, DAMAGE_OTHER_FORMAT, &summary),
			 -EPROTONOSUPPORT);
	assert_int_equal(summary.other_format_segments, 1);
	assert_int_equal(summary.segments_replayed, 2);
}

/* A segment that cannot be opened: recovery stops there, on either reader, the segments
 * before it applied once. */
static void test_damage_not_regular_both_readers(void **state)
{
	struct dir_fixture *f = *state;
	struct recovery_summary summary;
	uint64_t firsts[4];

	write_four_segments(f, firsts);
	damage_segment(f->path, firsts[2], DAMAGE_NOT_REGULAR);
	assert_int_equal(recover_damaged_both(f, firsts, 2, DAMAGE_NOT_REGULAR, &summary),
			 -STATEDIR_ENOTREG);
	assert_int_equal(summary.segments_replayed, 2);
	assert_int_equal(summary.events_replayed, 48);
}

/* The open of the third segment refused with EAGAIN (a lease: the reader thread opens it):
 * an unreadable segment, as on this thread, not a reader that never started (recovery went
 * on inline, over the segments the thread had applied, and read the third as "Success"). */
static void test_damage_open_eagain_both_readers(void **state)
{
	struct dir_fixture *f = *state;
	struct recovery_summary summary;
	uint64_t firsts[4];

	signal(SIGIO, SIG_IGN); /* the lease break's notice */
	write_four_segments(f, firsts);
	assert_int_equal(recover_damaged_both(f, firsts, 2, DAMAGE_LEASED, &summary), -EAGAIN);
	assert_int_equal(summary.segments_replayed, 2);
	assert_int_equal(summary.events_replayed, 48);
	signal(SIGIO, SIG_DFL);
}


/* An alert journaled in the segment after the one holding the line that raised it: replaying
 * the first segment (before the second is checked) holds the alert back, then suppresses it
 * as delivered; the alert of the lines after it, never journaled, is handed back. */
static void test_alert_journaled_in_a_later_segment_is_suppressed(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	struct recovery_alert *recovered;
	uint64_t offset;
	uint32_t bytes;
	size_t count;

	d.journal_alerts = false;
	for (unsigned n = 0; n < 3; n++) /* the third call raises alert 1 */
		feed_call(&d, n);
	assert_int_equal(d.alert_count, 1);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0);
	journal_append_alert(d.journal, 1, d.alerts[1], strlen(d.alerts[1]), &offset, &bytes);
	for (unsigned n = 3; n < 24; n++) /* alert 2: resolved, not journaled */
		feed_call(&d, n);
	assert_int_equal(d.alert_count, 2);
	daemon_stop(&d);
	assert_int_equal(remove_snapshots(f), 2);

	recovery = daemon_start(f, &d);
	assert_false(recovery.summary.from_snapshot);
	assert_int_equal(recovery.summary.segments_replayed, 2);
	assert_int_equal(recovery.summary.alerts_suppressed, 1);
	assert_int_equal(recovery.summary.alerts_recovered, 1);
	recovered = recovery_router_take(&d.router, &count);
	assert_int_equal(count, 1);
	assert_int_equal(recovered[0].seq, 2);
	assert_non_null(strstr(recovered[0].json, "\"alert\":\"resolved\""));
	recovery_alerts_free(recovered, count);
	daemon_stop(&d);
}

/* The records of a segment file, and how its scan ended. */
static enum record_status scan_file(const char *path, size_t *records, enum record_type *last)
{
	struct record_scan scan;
	struct record record;
	enum record_status status;
	unsigned char *data;
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	data = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	*records = 0;
	record_scan_init(&scan, data, (size_t)st.st_size);
	while ((status = record_scan_next(&scan, &record)) == RECORD_OK) {
		(*records)++;
		*last = record.type;
	}
	free(data);
	return status;
}

/* A torn last record is cut off and counted; the records before it are replayed, and the
 * segment the crash left open is ended. */
static void test_recovery_truncates_torn_tail(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	char path[PATH_MAX + 64];
	enum record_type last;
	size_t records;
	struct stat st;

	for (unsigned n = 0; n < 4; n++) /* 8 events, the alert after the 6th */
		feed_call(&d, n);
	daemon_stop(&d);
	snprintf(path, sizeof path, "%s/journal/0000000000000001.seg", f->path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 5), 0);
	assert_int_equal(scan_file(path, &records, &last), RECORD_TORN);
	assert_int_equal(records, 8);

	recovery = daemon_start(f, &d);
	assert_int_equal(recovery.summary.torn_records, 1);
	assert_int_equal(recovery.summary.corrupt_segments, 0);
	assert_int_equal(recovery.summary.records_replayed, 7);
	assert_int_equal(recovery.summary.alerts_suppressed, 1);
	assert_int_equal(scan_file(path, &records, &last), RECORD_END);
	assert_int_equal(records, 9);
	assert_int_equal(last, RECORD_SEGMENT_END);
	daemon_stop(&d);
}

/* The stamp of snapshot index on disk. */
static void expect_stamp(struct dir_fixture *f, uint64_t index, enum engine_snapshot_next next)
{
	struct engine_snapshot_stamp stamp;
	unsigned char *data;
	size_t len;

	assert_int_equal(statedir_read_snapshot(&f->dir, index, &data, &len), 0);
	assert_int_equal(engine_snapshot_stamp(data, len, &stamp), 0);
	free(data);
	assert_true(stamp.journal_index == index);
	assert_int_equal(stamp.next, next);
}

/* Bytes of the segment file whose first record is first, or -1 when there is none. */
static off_t segment_size(struct dir_fixture *f, uint64_t first)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", f->path, first);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Cut segment first's file to bytes, as a crash that lost what followed would. */
static int truncate_segment(struct dir_fixture *f, uint64_t first, off_t bytes)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", f->path, first);
	return truncate(path, bytes);
}

/* A checkpoint creates the next segment before its snapshot, stamped "a segment follows"; a
 * clean stop's is stamped "none", and a start after it stamps it again. A crash right after a
 * rotation (the next segment there, its only record torn) is not a missing segment; that
 * segment deleted with records in it, no later one left, is. */
static void test_snapshot_stamp_names_the_next_segment(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery = daemon_start(f, &d);
	char path[PATH_MAX + 64];

	assert_false(recovery.summary.next_segment_missing);
	expect_stamp(f, 0, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	for (unsigned n = 0; n < 4; n++) /* 8 events and an alert: records 1 to 9 */
		feed_call(&d, n);
	assert_int_equal(journal_write(d.journal), 0);
	assert_int_equal(journal_sync(d.journal, true), 0);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0); /* SEGMENT_END: 10 */
	expect_stamp(f, 10, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	assert_int_equal(segment_size(f, 11), 0);
	daemon_stop(&d); /* a crash right after the rotation, in the middle of a first record */
	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", f->path, (uint64_t)11);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "CDJ1\x20\0\0", 7), 7);
	close(fd);

	recovery = daemon_start(f, &d);
	assert_false(recovery.summary.next_segment_missing);
	assert_int_equal(recovery.summary.torn_records, 1);
	assert_int_equal(recovery.summary.snapshot_index, 10);
	assert_int_equal(segment_size(f, 11), 0); /* cut to nothing, kept, and open again */
	feed_call(&d, 4); /* records 11 and 12 */
	daemon_stop(&d); /* a crash */
	assert_true(segment_size(f, 11) > 0);
	assert_int_equal(unlink(path), 0);

	recovery = daemon_start(f, &d);
	assert_true(recovery.summary.next_segment_missing);
	assert_int_equal(recovery.summary.snapshot_index, 10);
	assert_int_equal(recovery.summary.records_replayed, 0);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, false), 0); /* a clean stop */
	expect_stamp(f, 11, ENGINE_SNAPSHOT_NEXT_NONE);
	assert_int_equal(segment_size(f, 12), -1);
	daemon_stop(&d);

	recovery = daemon_start(f, &d);
	assert_false(recovery.summary.next_segment_missing);
	assert_int_equal(recovery.summary.snapshot_index, 11);
	expect_stamp(f, 11, ENGINE_SNAPSHOT_NEXT_SEGMENT); /* stamped again: records go on in 12 */
	assert_int_equal(segment_size(f, 12), 0);
	daemon_stop(&d);
}

/* The rotation's sync as the sync thread runs it (syncer.c), and the journal told of it. */
static void sync_rotation(struct daemon_like *d, const struct journal_sync_point *rotation)
{
	assert_true(rotation->sync_dir);
	assert_int_equal(journal_closing_fd(d->journal), rotation->fd);
	assert_int_equal(fdatasync(rotation->fd), 0);
	assert_int_equal(fsync(rotation->dir_fd), 0);
	journal_synced_to(d->journal, rotation);
	assert_int_equal(journal_closing_fd(d->journal), -1);
	assert_true(journal_all_synced(d->journal));
}

/* A rotation in two halves (cadmond writes the snapshot in a child): the next segment first,
 * records going on in it, then the snapshot of the state at the segment's end. A crash before
 * the snapshot is on disk recovers from the one before and replays both segments; after,
 * from the new one, replaying only what followed it. */
static uint64_t start_and_rotate_after_four_calls(struct dir_fixture *f, struct daemon_like *d)
{
	struct journal_sync_point rotation;
	uint64_t index = 0;

	daemon_start(f, d);
	for (unsigned n = 0; n < 4; n++) /* 8 events and an alert: records 1 to 9 */
		feed_call(d, n);
	assert_int_equal(journal_rotate_begin(d->journal, d->engine, &index, &rotation),
			 0); /* SEGMENT_END: 10 */
	assert_true(index == 10);
	assert_int_equal(segment_size(f, 11), 0);
	sync_rotation(d, &rotation);
	return index;
}

/* A sync point taken before a rotation, returned after it: the segment it covered is closed
 * (its fd number likely the new segment's now), so it is neither applied nor counted. */
static void test_stale_sync_point_after_rotation(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct journal_sync_point point, rotation;
	uint64_t index = 0, syncs, unsynced;
	const char line[] = "{\"type\":\"call_start\",\"call_id\":\"x\",\"ts\":1795939200000,"
			    "\"operator\":\"op-1\",\"seq\":99}";

	daemon_start(f, &d);
	feed_call(&d, 0);
	journal_append_event(d.journal, "cad-1", line, sizeof line - 1);
	assert_int_equal(journal_write(d.journal), 0);
	assert_true(journal_sync_point(d.journal, &point));
	assert_int_equal(journal_sync(d.journal, true), 0); /* in the loop: the rotation's rule */
	assert_int_equal(journal_rotate_begin(d.journal, d.engine, &index, &rotation), 0);
	sync_rotation(&d, &rotation);
	journal_append_event(d.journal, "cad-1", line, sizeof line - 1);
	assert_int_equal(journal_write(d.journal), 0);
	syncs = journal_stats(d.journal)->syncs;
	unsynced = journal_unsynced_bytes(d.journal);
	assert_true(unsynced > 0);
	journal_synced_to(d.journal, &point);
	assert_int_equal(journal_stats(d.journal)->syncs, syncs);
	assert_int_equal(journal_unsynced_bytes(d.journal), unsynced);
	daemon_stop(&d);
}

static void test_rotation_in_two_halves(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery;

	start_and_rotate_after_four_calls(f, &d);
	feed_call(&d, 4); /* records 11 and 12, before the snapshot is there */
	daemon_stop(&d); /* a crash */

	recovery = daemon_start(f, &d);
	assert_int_equal(recovery.summary.snapshot_index, 0);
	assert_int_equal(recovery.summary.records_replayed, 10);
	daemon_stop(&d);
}

static void test_rotation_in_two_halves_snapshot_written(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery;
	uint64_t index = start_and_rotate_after_four_calls(f, &d);

	assert_int_equal(
		journal_snapshot_to_tmp(d.journal, d.engine, index, ENGINE_SNAPSHOT_NEXT_SEGMENT),
		0);
	assert_int_equal(statedir_publish_snapshot(f->dir.fd, index), 0); /* the sync thread's */
	feed_call(&d, 4); /* records 11 and 12, while the journal does not know the snapshot yet */
	assert_int_equal(journal_snapshot_written(d.journal, index, ENGINE_SNAPSHOT_NEXT_SEGMENT),
			 0);
	expect_stamp(f, 10, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	assert_int_equal(journal_stats(d.journal)->snapshots_written, 2); /* 0 at the start, 10 */
	daemon_stop(&d); /* a crash */

	recovery = daemon_start(f, &d);
	assert_false(recovery.summary.next_segment_missing);
	assert_int_equal(recovery.summary.snapshot_index, 10);
	assert_int_equal(recovery.summary.records_replayed, 2);
	daemon_stop(&d);
}

/* The rotation's snapshot written to its *.tmp (by the child), not renamed into place (its
 * rotation's sync not returned, or failed) when the daemon is killed: the next start removes
 * the *.tmp and recovers from the snapshot before, replaying both segments. */
static void test_rotation_snapshot_tmp_removed_at_start(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct recovery recovery;
	char name[PATH_MAX + 64], tmp[sizeof name + 4];
	uint64_t index = start_and_rotate_after_four_calls(f, &d);

	assert_int_equal(
		journal_snapshot_to_tmp(d.journal, d.engine, index, ENGINE_SNAPSHOT_NEXT_SEGMENT),
		0);
	snprintf(name, sizeof name, "%s/snapshot-%016" PRIx64 ".snap", f->dir.path, index);
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(access(name, F_OK), -1);
	feed_call(&d, 4); /* records 11 and 12 */
	daemon_stop(&d);  /* a kill -9 */

	recovery = daemon_start(f, &d);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(recovery.summary.snapshot_index, 0);
	assert_int_equal(recovery.summary.records_replayed, 10);
	assert_false(recovery.summary.next_segment_missing);
	daemon_stop(&d);
}

/* A start, then four calls (8 events and an alert: records 1 to 9, synced, in segment 1):
 * segment 1's size. */
static off_t start_with_four_calls(struct dir_fixture *f, struct daemon_like *d)
{
	daemon_start(f, d);
	for (unsigned n = 0; n < 4; n++)
		feed_call(d, n);
	return segment_size(f, 1);
}

/* The rotation's sync is off the loop: until it returns, nothing past what was synced before is
 * counted durable (not the records written before the end, nor the end, nor the next
 * segment's, which no sync of the next segment proves); once it returns, the ended segment's
 * descriptor is closed and the next segment's syncs count again. */
static void test_rotation_sync_holds_the_synced_index(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct journal_sync_point rotation, next;
	uint64_t index = 0, syncs;
	const char line[] = "{\"type\":\"call_start\",\"call_id\":\"x\",\"ts\":1795939200000,"
			    "\"operator\":\"op-1\",\"seq\":99}";

	daemon_start(f, &d);
	for (unsigned n = 0; n < 4; n++) /* records 1 to 9, synced */
		feed_call(&d, n);
	journal_append_event(d.journal, "cad-1", line, sizeof line - 1); /* 10, not synced */
	assert_int_equal(journal_write(d.journal), 0);
	assert_int_equal(journal_rotate_begin(d.journal, d.engine, &index, &rotation), 0);
	assert_true(index == 11);
	assert_true(rotation.index == 11);
	assert_true(rotation.sync_dir);
	assert_int_equal(rotation.dir_fd, f->dir.journal_fd);
	assert_int_equal(segment_size(f, 12), 0);
	assert_true(journal_synced_index(d.journal) == 9);
	assert_false(journal_all_synced(d.journal));
	assert_int_equal(journal_closing_fd(d.journal), rotation.fd);
	assert_int_equal(journal_write_snapshot(d.journal, d.engine, ENGINE_SNAPSHOT_NEXT_SEGMENT),
			 -EINVAL);

	journal_append_event(d.journal, "cad-1", line, sizeof line - 1); /* 12 */
	assert_int_equal(journal_write(d.journal), 0);
	assert_true(journal_sync_point(d.journal, &next));
	syncs = journal_stats(d.journal)->syncs;
	journal_synced_to(d.journal, &next); /* before the rotation's: proves nothing */
	assert_true(journal_synced_index(d.journal) == 9);
	assert_int_equal(journal_stats(d.journal)->syncs, syncs);

	assert_int_equal(fdatasync(rotation.fd), 0);
	assert_int_equal(fsync(rotation.dir_fd), 0);
	journal_synced_to(d.journal, &rotation);
	assert_true(journal_synced_index(d.journal) == 11);
	assert_int_equal(journal_closing_fd(d.journal), -1);
	assert_int_equal(journal_stats(d.journal)->syncs, syncs + 1);
	journal_synced_to(d.journal, &next);
	assert_true(journal_synced_index(d.journal) == 12);
	assert_true(journal_all_synced(d.journal));
	daemon_stop(&d);
}

/* The rotation's sync given up (it failed: the store degrades and rolls back): the ended
 * segment's descriptor is closed, its end left as written, and the next segment cut back to
 * its start; a checkpoint then goes on from there. */
static void test_rollback_gives_up_the_rotation_sync(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct journal_sync_point rotation;
	struct recovery recovery;
	uint64_t index = 0;
	const char line[] = "{\"type\":\"call_start\",\"call_id\":\"x\",\"ts\":1795939200000,"
			    "\"operator\":\"op-1\",\"seq\":99}";

	start_with_four_calls(f, &d);
	assert_int_equal(journal_rotate_begin(d.journal, d.engine, &index, &rotation), 0);
	journal_append_event(d.journal, "cad-1", line, sizeof line - 1); /* 11, not synced */
	assert_int_equal(journal_write(d.journal), 0);
	assert_int_equal(journal_closing_fd(d.journal), rotation.fd);
	assert_true(segment_size(f, 11) > 0);
	assert_int_equal(journal_rollback(d.journal), 0);
	assert_int_equal(journal_closing_fd(d.journal), -1);
	assert_int_equal(segment_size(f, 11), 0);
	assert_true(journal_next_index(d.journal) == 11);
	assert_true(journal_synced_index(d.journal) == 10);
	assert_true(journal_all_synced(d.journal));
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0); /* ends 11 empty */
	expect_stamp(f, 11, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	daemon_stop(&d);

	recovery = daemon_start(f, &d);
	assert_int_equal(recovery.summary.snapshot_index, 11);
	assert_false(recovery.summary.next_segment_missing);
	daemon_stop(&d);
}

/* The next segment cannot be created (a file of its name with something in it): the rotation
 * fails with the segment still the open one, its end written but not listed (the rollback
 * cuts it off) and no other segment started; a checkpoint once the name is free ends it. */
static void test_rotation_fails_when_next_segment_cannot_be_created(void **state)
{
	struct dir_fixture *f = *state;
	struct daemon_like d;
	struct journal_sync_point rotation = { .fd = -1 };
	char path[PATH_MAX + 64];
	size_t closed;
	uint64_t index = 0;
	off_t before_end;
	FILE *squatter;

	before_end = start_with_four_calls(f, &d);
	snprintf(path, sizeof path, "%s/journal/%016" PRIx64 ".seg", f->path, (uint64_t)11);
	assert_non_null(squatter = fopen(path, "w"));
	assert_int_equal(fputs("x", squatter) >= 0, 1);
	assert_int_equal(fclose(squatter), 0);
	assert_int_equal(journal_rotate_begin(d.journal, d.engine, &index, &rotation), -EEXIST);
	assert_int_equal(rotation.fd, -1);
	assert_int_equal(journal_closing_fd(d.journal), -1);
	assert_true(journal_segment_first(d.journal) == 1);
	assert_true(segment_size(f, 1) > before_end); /* the end, written */
	journal_closed_segments(d.journal, &closed);
	assert_int_equal(closed, 0);
	assert_int_equal(journal_rollback(d.journal), 0);
	assert_int_equal(segment_size(f, 1), before_end);
	assert_true(journal_next_index(d.journal) == 10);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(journal_checkpoint(d.journal, d.engine, true), 0);
	expect_stamp(f, 10, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	assert_int_equal(segment_size(f, 11), 0);
	daemon_stop(&d);
}

/* A machine's crash after a rotation, before its sync: the next segment's name kept, the
 * segment end lost (the file cut back to the records before it). With the next segment
 * empty, recovery removes it and goes on from the lost end's index, the records before it
 * replayed; with records in it (written back by the kernel on its own), both segments are
 * replayed. Nothing else is lost, and later starts find a sound journal. */
static void crash_losing_the_segment_end(struct dir_fixture *f, bool records_after)
{
	struct daemon_like d;
	struct journal_sync_point rotation;
	struct recovery recovery;
	uint64_t index = 0;
	off_t before_end;
	char logged[1024];
	int saved_stderr;
	FILE *log;

	before_end = start_with_four_calls(f, &d);
	assert_int_equal(journal_rotate_begin(d.journal, d.engine, &index, &rotation), 0);
	assert_true(index == 10);
	if (records_after) /* 11 and 12, written back by the kernel on its own (no sync of the
			    * next segment runs before the rotation's) */
		feed_call_unsynced(&d, 4);
	assert_int_equal(truncate_segment(f, 1, before_end), 0);
	daemon_stop(&d); /* the crash */

	assert_non_null(log = tmpfile());
	assert_true((saved_stderr = dup(STDERR_FILENO)) >= 0);
	assert_int_equal(dup2(fileno(log), STDERR_FILENO), STDERR_FILENO);
	recovery = daemon_start(f, &d);
	assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	rewind(log);
	logged[fread(logged, 1, sizeof logged - 1, log)] = '\0';
	fclose(log);
	assert_string_equal(logged, ""); /* no gap named: the missing record was the end */
	assert_int_equal(recovery.summary.snapshot_index, 0);
	assert_int_equal(recovery.summary.records_replayed, records_after ? 10 : 8);
	assert_int_equal(recovery.summary.events_replayed, records_after ? 10 : 8);
	assert_int_equal(recovery.summary.alerts_recovered, 0);
	assert_int_equal(recovery.summary.torn_records, 0);
	assert_int_equal(recovery.summary.corrupt_segments, 0);
	assert_false(recovery.summary.next_segment_missing);
	if (records_after) {
		expect_stamp(f, 13, ENGINE_SNAPSHOT_NEXT_SEGMENT); /* 11 ended by 13 */
		assert_int_equal(segment_size(f, 14), 0);
	} else {
		expect_stamp(f, 9, ENGINE_SNAPSHOT_NEXT_SEGMENT);
		assert_int_equal(segment_size(f, 11), -1); /* removed, empty */
		assert_int_equal(segment_size(f, 10), 0);
	}
	feed_call(&d, 5);
	daemon_stop(&d); /* another crash */

	recovery = daemon_start(f, &d);
	assert_int_equal(recovery.summary.snapshot_index, records_after ? 13 : 9);
	assert_int_equal(recovery.summary.records_replayed, 2);
	assert_false(recovery.summary.next_segment_missing);
	daemon_stop(&d);
}

static void test_segment_end_lost_next_segment_empty(void **state)
{
	crash_losing_the_segment_end(*state, false);
}

static void test_segment_end_lost_next_segment_written(void **state)
{
	crash_losing_the_segment_end(*state, true);
}

/* The record format a segment's first bytes name: this build's, another's, or none. */
static void test_segment_format(void **state)
{
	struct codec_writer writer = {0};
	(void)state;

	record_put_reject(&writer, 1, EVENT_REJECT_LINE_TOO_LONG);
	assert_int_equal(record_segment_format(writer.data, writer.len), RECORD_FORMAT);
	assert_int_equal(RECORD_FORMAT, 1);
	assert_int_equal(record_segment_format((const unsigned char *)"CDJ2....", 8), 2);
	assert_int_equal(record_segment_format((const unsigned char *)"CDJ", 3), 0);
	assert_int_equal(record_segment_format((const unsigned char *)"XDJ1", 4), 0);
	assert_int_equal(record_segment_format((const unsigned char *)"", 0), 0);
	codec_writer_release(&writer);
}

/* What a recovery lost, in a few words: none for a whole one (a torn tail, replayed lines
 * refused as future: the live engine refused them too); each loss joined by "; ", in a fixed
 * order; cut where the room ends. */
static void test_recovery_incomplete_reason(void **state)
{
	struct recovery_summary summary = { .torn_records = 1, .future_rejected = 3 };
	char reason[CONTROL_REASON_MAX + 1], small[32];
	(void)state;

	assert_false(recovery_incomplete(&summary, reason, sizeof reason));
	assert_string_equal(reason, "");
	summary.corrupt_segments = 2;
	summary.records_missing = 57;
	summary.next_segment_missing = true;
	summary.history_first = 812;
	assert_true(recovery_incomplete(&summary, reason, sizeof reason));
	assert_string_equal(reason, "no usable snapshot, journal from record 812; segment after "
				    "snapshot missing; 57 records missing; 2 damaged segments "
				    "set aside");
	assert_true(recovery_incomplete(&summary, small, sizeof small));
	assert_string_equal(small, "no usable snapshot, journal fro");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_format),
		cmocka_unit_test(test_recovery_incomplete_reason),
		cmocka_unit_test(test_event_record_bytes),
		cmocka_unit_test(test_event_at_record),
		cmocka_unit_test(test_alert_and_reject_records),
		cmocka_unit_test(test_control_record),
		cmocka_unit_test(test_every_cut_is_torn_every_flip_corrupt),
		cmocka_unit_test(test_scan_torn_tail),
		cmocka_unit_test(test_scan_zero_tail_is_torn),
		cmocka_unit_test(test_scan_corrupt_middle_resyncs),
		cmocka_unit_test(test_scan_index_must_follow),
		cmocka_unit_test(test_segment_end_found_from_the_tail),
		cmocka_unit_test(test_state_directory_from_environment),
		cmocka_unit_test_setup_teardown(test_state_directory_is_locked, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_retention, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_alert_index_is_bounded, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(
			test_recovery_replays_and_suppresses_delivered_alerts, dir_setup,
			dir_teardown),
		cmocka_unit_test_setup_teardown(test_recovery_hands_back_alerts_never_journaled,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_recovery_truncates_torn_tail, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_replay_rebuilds_the_live_state_byte_for_byte,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_damage_torn_tail_both_readers, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_damage_corrupt_segment_both_readers, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_damage_other_format_both_readers, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_damage_not_regular_both_readers, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_damage_open_eagain_both_readers, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_replay_with_reader_thread_equals_inline,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
			test_alert_journaled_in_a_later_segment_is_suppressed, dir_setup,
			dir_teardown),
		cmocka_unit_test_setup_teardown(test_stale_sync_point_after_rotation, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_sync_holds_the_synced_index,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_rollback_gives_up_the_rotation_sync, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(
			test_rotation_fails_when_next_segment_cannot_be_created, dir_setup,
			dir_teardown),
		cmocka_unit_test_setup_teardown(test_segment_end_lost_next_segment_empty, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_segment_end_lost_next_segment_written,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_in_two_halves, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_snapshot_tmp_removed_at_start,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_in_two_halves_snapshot_written,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_stamp_names_the_next_segment,
						dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
