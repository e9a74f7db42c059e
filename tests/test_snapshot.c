/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "codec.h"
#include "engine.h"
#include "engine_counters.h"
#include "fail_malloc.h"
#include "hash.h"

/*
 * Snapshots and reconfiguration: an engine restored from a snapshot taken after any line
 * must emit exactly the alerts the uninterrupted engine emits for the lines that follow.
 */

#define MAX_LINES 6000
#define MAX_ALERTS 256
#define T0 INT64_C(1795939200000)
/* max_operators 7 for 8 on duty: the operator with the least evidence is forgotten, so op-3
 * keeps his history and his episodes escalate instead of starting over (6 operator firings
 * and 3 escalations when the idlest was forgotten). */
#define EXPECTED_ALERTS 72
/* 4 operator, 14 system (3 receiver_down, 3 connection limit, 2 state_incomplete) */
#define EXPECTED_FIRING 18
#define EXPECTED_ESCALATED 5 /* 1 for want of an acknowledgement */
#define EXPECTED_UPDATES 22
#define EXPECTED_ACKNOWLEDGED 12 /* 9 repeats */
#define EXPECTED_RESOLVED 15

static char *lines[MAX_LINES];
static int line_op[MAX_LINES]; /* the operator each line is about */
static size_t line_count;
static int current_op;

struct alerts {
	char *text[MAX_ALERTS];
	size_t count;
};

static void collect(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	struct alerts *alerts = ctx;

	(void)alert;
	(void)len;
	assert_true(alerts->count < MAX_ALERTS);
	alerts->text[alerts->count++] = strdup(json);
}

static void clear(struct alerts *alerts)
{
	for (size_t i = 0; i < alerts->count; i++)
		free(alerts->text[i]);
	alerts->count = 0;
}

/* Do two runs' alerts differ (in number or in any alert's bytes)? */
static bool alerts_differ(const struct alerts *a, const struct alerts *b)
{
	bool differs = a->count != b->count;

	for (size_t i = 0; !differs && i < a->count; i++)
		differs = strcmp(a->text[i], b->text[i]) != 0;
	return differs;
}

static uint64_t next_random(uint64_t *state)
{
	*state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *state >> 33;
}

static void add_line(const char *format, ...)
{
	char buffer[512];
	va_list args;

	va_start(args, format);
	vsnprintf(buffer, sizeof(buffer), format, args);
	va_end(args);
	assert_true(line_count < MAX_LINES);
	line_op[line_count] = current_op;
	lines[line_count++] = strdup(buffer);
}

/* Eight operators over six hours; op-3 starts hanging up at hour 2; callers redial; some
 * events arrive late, some twice; some lines are junk. */
static void make_shift(void)
{
	uint64_t random = 7;
	int call = 0;

	for (int minute = 0; minute < 360; minute += 1) {
		/* Two incomplete recoveries (a daemon's control lines, dated as the others): each
		 * resolves 2 h (the longest window) of events later. */
		if (minute == 10 || minute == 200)
			add_line("CONTROL {\"system\":\"state_incomplete\",\"state\":\"firing\","
				 "\"reason\":\"%d journal records missing\"}",
				 minute + 3);
		/* A supervisor acknowledges the oldest open alert twice an hour; a feed source goes
		 * silent for a while every 100 minutes (the daemon's control lines). */
		if (minute % 30 == 29)
			add_line("ACK");
		if (minute % 100 == 50)
			add_line("CONTROL "
				 "{\"system\":\"feed_silent\",\"state\":\"firing\",\"source\":"
				 "\"cad-1\",\"seconds\":300}");
		if (minute % 100 == 70)
			add_line("CONTROL "
				 "{\"system\":\"feed_silent\",\"state\":\"resolved\",\"source\":"
				 "\"cad-1\"}");
		if (minute % 100 == 60)
			add_line("CONTROL "
				 "{\"system\":\"receiver_down\",\"state\":\"firing\",\"receiver\":"
				 "\"pager\","
				 "\"reason\":\"timed out\"}");
		if (minute % 100 == 90)
			add_line("CONTROL "
				 "{\"system\":\"receiver_down\",\"state\":\"resolved\","
				 "\"receiver\":\"pager\"}");
		if (minute % 100 == 80)
			add_line("CONTROL "
				 "{\"system\":\"limit\",\"state\":\"firing\",\"key\":\"feed.max_"
				 "pending_connections\","
				 "\"refused\":%d,\"seconds\":10}",
				 minute);
		if (minute % 100 == 85)
			add_line("CONTROL "
				 "{\"system\":\"limit\",\"state\":\"resolved\",\"key\":\"feed.max_"
				 "pending_connections\","
				 "\"refused\":%d,\"seconds\":10}",
				 minute);
		for (int op = 0; op < 8; op++) {
			if (next_random(&random) % 6 != 0)
				continue;
			int64_t start = T0 + (int64_t)minute * 60000 + op * 1000;
			current_op = op;
			bool bad = op == 3 && minute >= 120 && next_random(&random) % 3 == 0;
			bool pocket = next_random(&random) % 10 == 0;
			int64_t talk = bad || pocket
					       ? 3000 + (int64_t)(next_random(&random) % 12000)
					       : 60000 + (int64_t)(next_random(&random) % 200000);
			unsigned ani = 5550000 + (unsigned)(next_random(&random) % 400);
			call++;
			add_line("{\"type\":\"call_start\",\"call_id\":\"k%d\",\"ts\":%lld,"
				 "\"operator\":\"op-%d\","
				 "\"agency\":\"DEMO\",\"ani\":\"504%u\"}",
				 call, (long long)start, op, ani);
			if (!bad && !pocket && next_random(&random) % 2 == 0)
				add_line("{\"type\":\"incident\",\"call_id\":\"k%d\",\"ts\":%lld}",
					 call, (long long)(start + talk / 2));
			if (next_random(&random) % 40 == 0)
				add_line("{\"type\":\"call_start\",\"call_id\":\"k%d\",\"ts\":%lld,"
					 "\"operator\":\"op-%d\"}",
					 call, (long long)start, op); /* a resend */
			if (next_random(&random) % 50 == 0)
				add_line("{\"type\":\"nonsense\"}");
			add_line("{\"type\":\"call_end\",\"call_id\":\"k%d\",\"ts\":%lld,"
				 "\"released_by\":\"%s\"}",
				 call, (long long)(start + talk),
				 bad || pocket ? "operator" : "caller");
			if (call % 13 ==
			    0) /* a state after a call: changes no alert (EXPECTED_* as without) */
				add_line("{\"type\":\"operator_state\",\"ts\":%lld,\"operator\":"
					 "\"op-%d\",\"agency\":\"DEMO\","
					 "\"state\":\"%s\"}",
					 (long long)(start + talk + 1), op,
					 call % 26 == 0 ? "logged_off" : "logged_on");
		}
	}
}

static struct config test_config(void)
{
	struct config config;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.tracker.max_operators = 7; /* 8 on duty: the idlest is forgotten now and then */
	config.detector.rule_count = 3;
	config.detector.rules[0] = (struct config_rule){ .name = "burst",
							 .window_seconds = 3600,
							 .min_calls = 6,
							 .min_premature = 3,
							 .min_ratio = 0.3,
							 .called_back_weight = 1,
							 .max_p_value = 0.05,
							 .min_center_ratio = 0.05,
							 .odds_ratio = 3,
							 .threshold = 5,
							 .severity = "warning" };
	config.detector.rules[1] = (struct config_rule){ .name = "seq",
							 .type = CONFIG_RULE_CUSUM,
							 .window_seconds = 7200,
							 .min_calls = 1,
							 .min_premature = 1,
							 .called_back_weight = 1,
							 .max_p_value = 1,
							 .min_center_ratio = 0.1,
							 .odds_ratio = 3,
							 .threshold = 3,
							 .severity = "critical" };
	config.detector.rules[2] = (struct config_rule){ .name = "loose",
							 .window_seconds = 1800,
							 .min_calls = 2,
							 .min_premature = 2,
							 .min_ratio = 0.5,
							 .called_back_weight = 1,
							 .max_p_value = 1,
							 .min_center_ratio = 0.05,
							 .odds_ratio = 3,
							 .threshold = 5,
							 .severity = "info" };
	return config;
}

/* The first open alert on the board, for an ACK line. */
static void first_open(const char *line, size_t len, void *ctx)
{
	char *alert_id = ctx;
	const char *id = strstr(line, "\"alert_id\":\"");

	(void)len;
	if (!alert_id[0] && id)
		snprintf(alert_id, ALERT_ID_LENGTH + 1, "%s", id + strlen("\"alert_id\":\""));
}

/* The wall-clock time a control line is taken at: after the newest event. */
static int64_t control_ts(const struct engine *engine)
{
	return engine_watermark_ms(engine) + 1500;
}

/* The feed source feed() sends the lines from: NULL, the unnamed stream, unless a test names
 * one (and sets it back). */
static const char *feed_source;

static void feed(struct engine *engine, size_t from, size_t to)
{
	char alert_id[ALERT_ID_LENGTH + 1], ack[128], why[128];

	for (size_t i = from; i < to; i++) {
		if (strcmp(lines[i], "ACK") == 0) {
			alert_id[0] = '\0';
			engine_board(engine, first_open, alert_id);
			snprintf(ack, sizeof(ack),
				 "{\"ack\":\"%s\",\"by\":\"sup-1\",\"note\":\"calling back\"}",
				 alert_id);
			engine_control(engine, ack, strlen(ack), control_ts(engine), why,
				       sizeof(why));
		} else if (strncmp(lines[i], "CONTROL ", 8) == 0) {
			engine_control(engine, lines[i] + 8, strlen(lines[i] + 8),
				       control_ts(engine), why, sizeof(why));
		} else {
			struct engine_verdict verdict;
			engine_process(engine, feed_source, lines[i], strlen(lines[i]), &verdict);
		}
	}
}

/* How many alerts of kind there are ("\"alert\":\"KIND\""). */
static size_t count_kind(const struct alerts *alerts, const char *kind)
{
	char key[64];
	size_t n = 0;

	snprintf(key, sizeof(key), "{\"alert\":\"%s\"", kind);
	for (size_t i = 0; i < alerts->count; i++)
		n += strncmp(alerts->text[i], key, strlen(key)) == 0;
	return n;
}

/* The board of an engine, as one text. */
static void append_line(const char *line, size_t len, void *ctx)
{
	struct codec_writer *writer = ctx;

	codec_put_bytes(writer, line, len);
	codec_put_bytes(writer, "\n", 1);
}

static int setup(void **state)
{
	(void)state;
	make_shift();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < line_count; i++)
		free(lines[i]);
	return 0;
}

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(codec_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(codec_crc32c(codec_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
}

/* RFC 3720 appendix B.4's test vectors, on one implementation. */
static void check_rfc3720_vectors(uint32_t (*crc32c)(uint32_t, const void *, size_t))
{
	static const unsigned char read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	unsigned char bytes[32];

	memset(bytes, 0, sizeof bytes);
	assert_int_equal(crc32c(0, bytes, sizeof bytes), 0x8a9136aa);
	memset(bytes, 0xff, sizeof bytes);
	assert_int_equal(crc32c(0, bytes, sizeof bytes), 0x62a8ab43);
	for (unsigned i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)i;
	assert_int_equal(crc32c(0, bytes, sizeof bytes), 0x46dd794e);
	for (unsigned i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(31 - i);
	assert_int_equal(crc32c(0, bytes, sizeof bytes), 0x113fdb5c);
	assert_int_equal(crc32c(0, read_pdu, sizeof read_pdu), 0xd9963a56);
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c(0, "", 0), 0);
}

/* Every length 0..300 at every alignment 0..7, whole and split in two: the same CRC as the
 * byte-at-a-time reference. */
static void check_against_bytewise(uint32_t (*crc32c)(uint32_t, const void *, size_t))
{
	unsigned char buffer[320];

	for (unsigned i = 0; i < sizeof buffer; i++)
		buffer[i] = (unsigned char)(i * 37 + 11);
	for (size_t offset = 0; offset < 8; offset++)
		for (size_t len = 0; len <= 300; len++) {
			uint32_t expected = codec_crc32c_bytewise(0, buffer + offset, len);
			size_t half = len / 3;

			assert_int_equal(crc32c(0, buffer + offset, len), expected);
			assert_int_equal(crc32c(crc32c(0, buffer + offset, half),
						buffer + offset + half, len - half),
					 expected);
		}
}

static void test_crc32c_implementations(void **state)
{
	(void)state;
	check_rfc3720_vectors(codec_crc32c_bytewise);
	check_rfc3720_vectors(codec_crc32c_portable);
	check_rfc3720_vectors(codec_crc32c_hardware);
	check_rfc3720_vectors(codec_crc32c);
	check_against_bytewise(codec_crc32c_portable);
	check_against_bytewise(codec_crc32c_hardware);
	check_against_bytewise(codec_crc32c);
#if defined(__x86_64__)
	/* Every x86-64 machine this runs on has SSE4.2 (since 2008): the hardware path is the
	 * one codec_crc32c takes, and the one tested above. */
	assert_true(codec_crc32c_hardware_available());
	assert_string_equal(codec_crc32c_implementation(), "sse4.2");
#else
	assert_string_equal(codec_crc32c_implementation(), "slice-by-8");
#endif
}

static void test_codec_round_trip(void **state)
{
	struct codec_writer writer = {0};
	struct codec_reader reader;
	char text[8];
	(void)state;

	codec_put_u8(&writer, 200);
	codec_put_u32(&writer, 0xdeadbeef);
	codec_put_i64(&writer, -5);
	codec_put_f64(&writer, 0.1);
	codec_put_string(&writer, "hello");
	assert_false(writer.failed);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(codec_get_u8(&reader), 200);
	assert_int_equal(codec_get_u32(&reader), 0xdeadbeef);
	assert_int_equal(codec_get_i64(&reader), -5);
	assert_true(codec_get_f64(&reader) == 0.1);
	codec_get_string(&reader, text, sizeof(text));
	assert_string_equal(text, "hello");
	assert_false(reader.failed);
	assert_int_equal(codec_get_u8(&reader), 0); /* past the end */
	assert_true(reader.failed);
	codec_reader_init(&reader, writer.data + 29,
			  writer.len - 29); /* the string, small buffer */
	codec_get_string(&reader, text, 3);
	assert_true(reader.failed);
	codec_writer_release(&writer);
}

/* Snapshot after every line_count / cuts lines, restore, feed the rest: the same board, and the
 * same alerts as the whole run, byte for byte. */
static void assert_restores_anywhere(const struct config *config, const struct alerts *whole,
				     size_t cuts)
{
	struct alerts split = {0};
	char why[128];
	uint64_t by_severity[DETECTOR_NOTICE_KIND_COUNT][CONFIG_SEVERITY_COUNT];
	struct engine *reference = engine_new(config, NULL, NULL);

	feed(reference, 0, line_count);
	memcpy(by_severity, engine_stats(reference)->detector.by_severity, sizeof by_severity);
	engine_free(reference);
	for (size_t cut = 0; cut <= line_count; cut += line_count / cuts) {
		struct codec_writer writer = {0};
		struct codec_writer board_before = {0}, board_after = {0};
		struct engine *before = engine_new(config, collect, &split);
		feed(before, 0, cut);
		engine_snapshot(before, &writer);
		engine_board(before, append_line, &board_before);
		engine_free(before);
		assert_false(writer.failed);
		/* Every other cut keeps the snapshot's own configuration (NULL), as recovery
		 * does. */
		const struct config *restore_config =
			(cut / (line_count / cuts)) % 2 ? NULL : config;
		struct engine *after = engine_restore(writer.data, writer.len, restore_config,
						      collect, &split, why, sizeof(why));
		codec_writer_release(&writer);
		assert_non_null(after);
		/* The restored engine shows the same board. */
		engine_board(after, append_line, &board_after);
		assert_int_equal(board_after.len, board_before.len);
		assert_memory_equal(board_after.data, board_before.data, board_before.len);
		codec_writer_release(&board_before);
		codec_writer_release(&board_after);
		feed(after, cut, line_count);
		/* The counters by kind and severity carried over. */
		assert_memory_equal(engine_stats(after)->detector.by_severity, by_severity,
				    sizeof by_severity);
		engine_free(after);
		assert_int_equal(split.count, whole->count);
		for (size_t i = 0; i < whole->count; i++)
			assert_string_equal(split.text[i], whole->text[i]);
		clear(&split);
	}
}

/* Restore at many points in the shift: the alerts after each point are the same. */
static void test_restore_anywhere_gives_same_alerts(void **state)
{
	struct config config = test_config();
	struct alerts whole = {0};
	(void)state;

	struct engine *reference = engine_new(&config, collect, &whole);
	uint64_t by_severity[DETECTOR_NOTICE_KIND_COUNT][CONFIG_SEVERITY_COUNT];
	feed(reference, 0, line_count);
	memcpy(by_severity, engine_stats(reference)->detector.by_severity, sizeof by_severity);
	/* The operator notices by kind and severity add up to those by kind. */
	uint64_t firing = 0, escalated = 0;
	for (size_t level = 0; level < CONFIG_SEVERITY_COUNT; level++) {
		firing += by_severity[DETECTOR_NOTICE_FIRING][level];
		escalated += by_severity[DETECTOR_NOTICE_ESCALATED][level];
	}
	assert_int_equal(firing, engine_stats(reference)->detector.firing);
	assert_int_equal(escalated, engine_stats(reference)->detector.escalated);
	assert_true(firing > 0 && escalated > 0);
	engine_free(reference);
	/* The shift exercises every notice: firings, escalations, updates, acknowledgements,
	 * resolutions, system alerts. */
	if (getenv("DEBUG_ALERTS"))
		for (size_t i = 0; i < whole.count; i++)
			fprintf(stderr, "%s\n", whole.text[i]);
	assert_int_equal(whole.count, EXPECTED_ALERTS);
	assert_int_equal(count_kind(&whole, "firing"), EXPECTED_FIRING);
	assert_int_equal(count_kind(&whole, "escalated"), EXPECTED_ESCALATED);
	assert_int_equal(count_kind(&whole, "update"), EXPECTED_UPDATES);
	assert_int_equal(count_kind(&whole, "acknowledged"), EXPECTED_ACKNOWLEDGED);
	assert_int_equal(count_kind(&whole, "resolved"), EXPECTED_RESOLVED);
	assert_restores_anywhere(&config, &whole, 23);
	clear(&whole);
}

/* The default detector (the sequential rule: per-agency baselines, the operators' own rates
 * and histories, the runs of evidence) restored anywhere gives the same alerts, byte for byte. */
static void test_restore_sequential_gives_same_alerts(void **state)
{
	struct config config;
	struct alerts whole = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.tracker.max_operators = 7; /* 8 on duty: the idlest is forgotten now and then */
	config.detector.rules[0].false_alarm_calls = 100; /* h = ln 100: firings to compare */
	struct engine *reference = engine_new(&config, collect, &whole);
	feed(reference, 0, line_count);
	engine_free(reference);
	assert_true(count_kind(&whole, "firing") >= 2);
	size_t explained = 0;
	for (size_t i = 0; i < whole.count; i++)
		explained += strstr(whole.text[i], "\"rule\":\"sequential\"") &&
			     strstr(whole.text[i], "\"why\":\"op-");
	assert_true(explained >= 2);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
}

/* The storm gate (detector.baseline.storm_volume_factor) open on the shift's ordinary swings
 * of volume (a factor just above 1): the agencies' volumes are state like the rest, restored
 * anywhere with the same alerts, byte for byte. */
static void test_restore_storm_gate_gives_same_alerts(void **state)
{
	struct config config, closed;
	struct alerts whole = {0}, without = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.detector.rules[0].false_alarm_calls = 100;
	config.detector.baseline.storm_volume_factor = 1.05;
	config.detector.baseline.fast_half_life_seconds = 600;
	config.detector.baseline.storm_usual_half_life_seconds = 3600;
	closed = config;
	closed.detector.baseline.storm_volume_factor = 0;
	struct engine *reference = engine_new(&config, collect, &whole);
	feed(reference, 0, line_count);
	engine_free(reference);
	reference = engine_new(&closed, collect, &without);
	feed(reference, 0, line_count);
	engine_free(reference);
	/* the gate changes what this shift raises: the test restores a state it depends on */
	assert_true(alerts_differ(&whole, &without));
	clear(&without);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
}

/* detector.baseline.per_source with the shift sent by the named source cad-1: the agencies'
 * baselines are kept under the source's name, saved with it and found again after a restore
 * (a baseline restored without its source would start over from the prior: other alerts). */
static void test_restore_per_source_baselines(void **state)
{
	struct config config;
	struct alerts whole = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.detector.rules[0].false_alarm_calls = 100;
	config.detector.baseline.per_source = true;
	feed_source = "cad-1";
	struct engine *reference = engine_new(&config, collect, &whole);
	feed(reference, 0, line_count);
	engine_free(reference);
	assert_true(count_kind(&whole, "firing") >= 2);
	assert_restores_anywhere(&config, &whole, 17);
	feed_source = NULL;
	clear(&whole);
}

/* The shift with a call_offered line (agency DEMO) 5 s before each call_start and, from minute
 * 200 to 230, two more for each (a storm of arrivals the answered calls do not show): the
 * shift's lines are swapped for these (swap_lines again puts them back). */
static char *offered_lines[MAX_LINES];
static int offered_line_op[MAX_LINES];
static size_t offered_line_count;

static void make_offered_lines(void)
{
	int extra = 0;

	for (size_t i = 0; i < line_count; i++) {
		int call;
		long long start;
		char buffer[160];
		int n = sscanf(lines[i], "{\"type\":\"call_start\",\"call_id\":\"k%d\",\"ts\":%lld,"
				   "\"operator\":\"op-%*d\",\"agency\"",
			       &call, &start);
		bool storm = start >= T0 + 200 * 60000 && start < T0 + 230 * 60000;
		for (int k = 0; n == 2 && k < (storm ? 3 : 1); k++) {
			if (k == 0)
				snprintf(buffer, sizeof(buffer), "k%d", call);
			else
				snprintf(buffer, sizeof(buffer), "x%d", ++extra);
			assert_true(offered_line_count < MAX_LINES);
			offered_line_op[offered_line_count] = line_op[i];
			char line[256];
			snprintf(line, sizeof(line),
				 "{\"type\":\"call_offered\",\"call_id\":\"%s\",\"ts\":%lld,"
				 "\"agency\":\"DEMO\"}",
				 buffer, start - 5000 + 1000 * k);
			offered_lines[offered_line_count++] = strdup(line);
		}
		assert_true(offered_line_count < MAX_LINES);
		offered_line_op[offered_line_count] = line_op[i];
		offered_lines[offered_line_count++] = strdup(lines[i]);
	}
}

static void swap_lines(void)
{
	char *text[MAX_LINES];
	int op[MAX_LINES];
	size_t count = line_count;

	memcpy(text, lines, sizeof(lines));
	memcpy(op, line_op, sizeof(line_op));
	memcpy(lines, offered_lines, sizeof(lines));
	memcpy(line_op, offered_line_op, sizeof(line_op));
	memcpy(offered_lines, text, sizeof(lines));
	memcpy(offered_line_op, op, sizeof(line_op));
	line_count = offered_line_count;
	offered_line_count = count;
}

/* The offered gate: the shift with call_offered lines, the gate (storm_offered_factor 1.5; the
 * answered gate off) open on their storm of arrivals: the alerts differ from those of the
 * offered gate off. The offered volumes are state like the rest, restored anywhere with the
 * same alerts, byte for byte. */
static void test_restore_offered_gate_gives_same_alerts(void **state)
{
	struct config config;
	struct alerts whole = {0}, closed_alerts = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.detector.rules[0].false_alarm_calls = 100;
	config.detector.baseline.storm_volume_factor = 0; /* the answered gate: off */
	config.detector.baseline.storm_offered_factor = 1.5;
	config.detector.baseline.fast_half_life_seconds = 600;
	config.detector.baseline.storm_usual_half_life_seconds = 3600;
	struct config closed = config;
	closed.detector.baseline.storm_offered_factor = 0;
	make_offered_lines();
	swap_lines();
	struct engine *reference = engine_new(&closed, collect, &closed_alerts);
	feed(reference, 0, line_count);
	engine_free(reference);
	reference = engine_new(&config, collect, &whole);
	feed(reference, 0, line_count);
	/* the first arrives before the first answered call: not counted */
	assert_int_equal(engine_stats(reference)->detector.offered, 573);
	assert_int_equal(engine_stats(reference)->detector.offered_unknown, 1);
	engine_free(reference);
	assert_true(alerts_differ(&whole, &closed_alerts));
	clear(&closed_alerts);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
	swap_lines();
	for (size_t i = 0; i < offered_line_count; i++)
		free(offered_lines[i]);
	offered_line_count = 0;
}

/* The whole shift under config into *whole: how many sequential firings, and in *matching
 * how many of them with a threshold above low and below high. */
static size_t sequential_firings(const struct config *config, struct alerts *whole, double low,
				 double high, size_t *matching)
{
	struct engine *reference = engine_new(config, collect, whole);
	size_t firings = 0;

	feed(reference, 0, line_count);
	engine_free(reference);
	for (size_t i = 0; i < whole->count; i++) {
		const char *h = strstr(whole->text[i], "\"threshold\":");
		if (strncmp(whole->text[i], "{\"alert\":\"firing\"",
			    strlen("{\"alert\":\"firing\"")) != 0 ||
		    !strstr(whole->text[i], "\"rule\":\"sequential\""))
			continue;
		firings++;
		double threshold = h ? strtod(h + strlen("\"threshold\":"), NULL) : -1.0;
		*matching += threshold > low && threshold < high;
	}
	return firings;
}

/* The same with the hourly threshold in play (false_alarm_hours below false_alarm_calls at 10
 * calls an hour): each operator's calls-per-hour estimate and the threshold it earned are
 * restored too. */
static void test_restore_sequential_hourly_threshold(void **state)
{
	struct config config;
	struct alerts whole = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.tracker.max_operators = 8; /* every operator kept: their rates grow old enough */
	config.detector.rules[0].false_alarm_calls = 100000;   /* h = 11.5 */
	config.detector.rules[0].false_alarm_hours =
		10; /* ln(10 * ~10) = 4.6; below 6 up to 40 calls an hour */
	config.detector.rules[0].rate_half_life_seconds = 1200;
	size_t lowered = 0, firings = sequential_firings(&config, &whole, 0.0, 6.0, &lowered);
	assert_true(firings >= 1);
	assert_int_equal(lowered, firings);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
}

/* hourly_raises: the threshold earned by each operator's calls per hour is above the per-call
 * one (ln 10 = 2.3; ln(100 * ~10) = 6.9), and restored like the lowered one. */
static void test_restore_sequential_hourly_raises(void **state)
{
	struct config config;
	struct alerts whole = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.tracker.max_operators = 8;
	config.detector.rules[0].false_alarm_calls = 10;      /* h = 2.3 */
	config.detector.rules[0].false_alarm_hours = 100;
	config.detector.rules[0].hourly_raises = true;
	config.detector.rules[0].rate_half_life_seconds = 1200;
	size_t raised = 0, firings = sequential_firings(&config, &whole, 2.31, 1e9, &raised);
	assert_true(firings >= 1);
	assert_true(raised >= 1);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
}

/* own_factor_lag: the factor a run of evidence was started with is the rule state's own factor,
 * already in every snapshot, so a restored engine goes on with the run's frozen factor; the
 * shift's alerts are not those without the lag. */
static void test_restore_sequential_own_factor_lag(void **state)
{
	struct config config;
	struct alerts whole = {0}, learning = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.resolve_after_seconds = 1200;
	config.tracker.max_operators = 8;
	size_t ignored = 0;
	size_t firings = sequential_firings(&config, &learning, 0.0, 1e9, &ignored);
	config.detector.rules[0].own_factor_lag = true;
	size_t lagged = sequential_firings(&config, &whole, 0.0, 1e9, &ignored);
	assert_true(firings >= 1);
	assert_true(lagged >= 1);
	assert_true(alerts_differ(&whole, &learning));
	clear(&learning);
	assert_restores_anywhere(&config, &whole, 17);
	clear(&whole);
}

/* ---- several sources: clocks, the reorder buffer, sources judged on their own ----------- */

#define SOURCES 3

struct arrival {
	size_t line;
	int64_t received_ms;
};

static struct arrival arrivals[MAX_LINES];
static const char *const source_names[SOURCES] = {"cad-a", "cad-b", "cad-c"};

static int by_received(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->received_ms != y->received_ms)
		return x->received_ms < y->received_ms ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The shift's operators on three CADs: cad-b's link is 4 minutes slow, and cad-a (with op-3,
 * who misbehaves) is down from 2:30 to 3:50 into the shift, then resends its backlog (judged
 * on its own where it is more than allowed_lateness_seconds behind the center). */
static void arrange_arrivals(void)
{
	int64_t ts_ms = T0;

	for (size_t i = 0; i < line_count; i++) {
		const char *at = strstr(lines[i], "\"ts\":");
		int source = line_op[i] % SOURCES;
		if (at)
			ts_ms = strtoll(at + 5, NULL, 10);
		arrivals[i] = (struct arrival){.line = i, .received_ms = ts_ms + 1000};
		if (source == 1)
			arrivals[i].received_ms += 4 * 60000;
		if (source == 0 && ts_ms >= T0 + 150 * 60000 && ts_ms < T0 + 230 * 60000)
			arrivals[i].received_ms = T0 + 230 * 60000 + (int64_t)i;
	}
	qsort(arrivals, line_count, sizeof(*arrivals), by_received);
}

static void feed_sources(struct engine *engine, size_t from, size_t to)
{
	struct engine_verdict verdict;

	for (size_t s = 0; from == 0 && s < SOURCES; s++) {
		struct engine_origin hello = { .source = source_names[s],
					       .named = true,
					       .received_ms = T0 };
		engine_process_from(engine, &hello, "", 0, &verdict);
	}
	for (size_t i = from; i < to; i++) {
		size_t line = arrivals[i].line;
		struct engine_origin origin = { .source = source_names[line_op[line] % SOURCES],
						.named = true,
						.received_ms = arrivals[i].received_ms };
		engine_process_from(engine, &origin, lines[line], strlen(lines[line]), &verdict);
	}
}

/* Snapshot after every 23rd of the lines and restore: the alerts after each cut are whole's,
 * byte for byte. Returns how many cuts had events waiting in the reorder buffer. */
static size_t restore_at_cuts(const struct config *config, const struct alerts *whole)
{
	struct alerts split = {0};
	size_t cuts_with_buffered_events = 0;
	char why[128];

	for (size_t cut = 0; cut <= line_count; cut += line_count / 23) {
		struct codec_writer writer = {0};
		struct engine *before = engine_new(config, collect, &split);
		feed_sources(before, 0, cut);
		cuts_with_buffered_events += engine_stats(before)->buffered > 0;
		engine_snapshot(before, &writer);
		engine_free(before);
		assert_false(writer.failed);
		struct engine *after = engine_restore(writer.data, writer.len, NULL, collect,
						      &split, why, sizeof(why));
		codec_writer_release(&writer);
		assert_non_null(after);
		feed_sources(after, cut, line_count);
		engine_flush(after);
		engine_free(after);
		assert_int_equal(split.count, whole->count);
		for (size_t i = 0; i < whole->count; i++)
			assert_string_equal(split.text[i], whole->text[i]);
		clear(&split);
	}
	return cuts_with_buffered_events;
}

/* Restore at many points, with events waiting in the reorder buffer and a source judged on
 * its own: the alerts after each point are the same, byte for byte. */
static void test_restore_with_sources_gives_same_alerts(void **state)
{
	struct config config = test_config();
	struct alerts whole = {0};
	(void)state;

	config.feed.source_idle_seconds =
		600; /* quiet CADs are waited for: events wait in the buffer */
	/* cad-b's slow link (4 minutes) is waited for too, not dropped as clock_behind */
	config.tracker.max_source_behind_seconds = 600;
	arrange_arrivals();
	struct engine *reference = engine_new(&config, collect, &whole);
	feed_sources(reference, 0, line_count);
	assert_int_equal(engine_stats(reference)->late_events,
			 71); /* 2 of them operator_state lines */
	engine_flush(reference);
	engine_free(reference);
	assert_int_equal(
		whole.count,
		/* firing, updates, escalations, resolved (the least evidence forgotten first, of
		 * the first source by name: each owns 4 of the 8). 31 when of both alike: op-4's
		 * firing and resolution, 2 of the limit alert's and one op-3 update fewer */
		35);
	size_t late_alerts = 0;
	for (size_t i = 0; i < whole.count; i++)
		late_alerts += strstr(whole.text[i], "\"late\":true,\"late_seconds\":") != NULL;
	assert_int_equal(late_alerts, 3); /* cad-a's backlog, decided in its own time */
	assert_int_equal(restore_at_cuts(&config, &whole), 23);
	clear(&whole);
}

/* The same shift with cad-b's 4-minute-slow link dropped after 30 s behind
 * (tracker.max_source_behind_seconds, its clock_behind raised): restored at many points, the
 * alerts after each are the same, byte for byte (the decision is the journaled host time's). */
static void test_restore_with_clock_behind_gives_same_alerts(void **state)
{
	struct config config = test_config();
	struct alerts whole = {0};
	size_t behind = 0;
	(void)state;

	config.feed.source_idle_seconds = 600;
	config.tracker.max_source_behind_seconds = 30;
	arrange_arrivals();
	struct engine *reference = engine_new(&config, collect, &whole);
	feed_sources(reference, 0, line_count);
	engine_flush(reference);
	engine_free(reference);
	for (size_t i = 0; i < whole.count; i++)
		behind += strstr(whole.text[i], "\"system\":\"clock_behind\"") != NULL;
	assert_int_equal(behind, 1); /* cad-b's, never resolved: it stays behind */
	restore_at_cuts(&config, &whole);
	clear(&whole);
}


/* A call_id whose FNV-1a hash is 0 (a source may send one: found with a lattice, rev14b), its
 * call_start waiting in the reorder buffer for a quiet source: the snapshot restores (the
 * binding compares its owners' stored hashes with those of the events waiting). Without
 * binding_restore_waiting's table_key_hash every snapshot is refused as damaged. */
static void test_call_id_of_hash_zero_restored(void **state)
{
	static const char zero_id[] = "evil-ecid\x16\x02\x18\x18\x09\x06\x07\x0d"
				      "2\x0b\x0a\x1a\x04\x05";
	static const char zero_json[] = "evil-ecid\\u0016\\u0002\\u0018\\u0018\\u0009\\u0006"
					"\\u0007\\u000d2\\u000b\\u000a\\u001a\\u0004\\u0005";
	struct config config = test_config();
	struct engine_verdict verdict;
	struct codec_writer writer = {0};
	char line[512], why[128] = "";
	(void)state;

	assert_true(hash_string(zero_id) == 0);
	config.feed.source_idle_seconds = 600; /* cad-b, quiet, is waited for */
	struct engine *engine = engine_new(&config, NULL, NULL);
	for (int s = 0; s < 2; s++) {
		struct engine_origin hello = {
			.source = s ? "cad-b" : "cad-a", .named = true, .received_ms = T0};
		engine_process_from(engine, &hello, "", 0, &verdict);
	}
	snprintf(line, sizeof(line),
		 "{\"type\":\"call_start\",\"call_id\":\"%s\",\"ts\":%lld,"
		 "\"operator\":\"op-1\",\"agency\":\"NOPD\",\"position\":\"P1\"}",
		 zero_json, (long long)T0 + 1000);
	struct engine_origin origin = {.source = "cad-a", .named = true, .received_ms = T0 + 2000};
	engine_process_from(engine, &origin, line, strlen(line), &verdict);
	assert_int_equal(engine_stats(engine)->buffered, 1);
	engine_snapshot(engine, &writer);
	engine_free(engine);
	assert_false(writer.failed);
	engine = engine_restore(writer.data, writer.len, NULL, NULL, NULL, why, sizeof(why));
	assert_string_equal(why, "");
	assert_non_null(engine);
	engine_free(engine);
	codec_writer_release(&writer);
}

static void test_damaged_snapshot_refused(void **state)
{
	struct config config = test_config();
	struct codec_writer writer = {0};
	char why[128];
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, line_count / 2);
	engine_snapshot(engine, &writer);
	engine_free(engine);
	writer.data[writer.len / 2] ^= 0x40;
	assert_null(engine_restore(writer.data, writer.len, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot checksum mismatch");
	assert_null(engine_restore(writer.data, 10, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot truncated");
	assert_null(
		engine_restore("CADMSNP0xxxxxxxxxxxx", 20, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "not a cadmon snapshot");
	codec_writer_release(&writer);
}

/* Snapshots of equal state are equal byte for byte: two engines fed the same lines, with
 * other allocations in between (so the heap under them differs), write the same bytes. */
static void test_equal_state_equal_bytes(void **state)
{
	struct config config = test_config();
	struct codec_writer first = {0}, second = {0};
	(void)state;

	struct engine *a = engine_new(&config, NULL, NULL);
	feed(a, 0, line_count / 3);
	engine_snapshot(a, &first);
	engine_free(a);
	void *noise[64];
	for (size_t i = 0; i < 64; i++) {
		noise[i] = malloc(64 + i * 32);
		memset(noise[i], 0xa5, 64 + i * 32);
	}
	for (size_t i = 0; i < 64; i += 2)
		free(noise[i]);
	struct engine *b = engine_new(&config, NULL, NULL);
	feed(b, 0, line_count / 3);
	engine_snapshot(b, &second);
	engine_free(b);
	for (size_t i = 1; i < 64; i += 2)
		free(noise[i]);
	assert_false(first.failed);
	assert_int_equal(first.len, second.len);
	assert_memory_equal(first.data, second.data, first.len);
	codec_writer_release(&first);
	codec_writer_release(&second);
}

#define CHUNK 4096 /* the streamed test's chunk */

/* A sink that collects what a streaming writer hands it, counting the calls. */
struct collected {
	struct codec_writer bytes;
	size_t calls;
	size_t largest;
	size_t fail_at_call; /* 0: never */
};

static bool collect_sunk(void *ctx, const void *data, size_t len)
{
	struct collected *collected = ctx;

	collected->calls++;
	if (len > collected->largest)
		collected->largest = len;
	if (collected->calls == collected->fail_at_call)
		return false;
	codec_put_bytes(&collected->bytes, data, len);
	return true;
}

/* A snapshot streamed through a sink is the same bytes (its CRC computed as it goes), handed
 * over in chunks of exactly the writer's size (the last one shorter): the writer never
 * held more than a chunk. A sink that fails makes the writer fail, and nothing more is sunk. */
static void test_streamed_snapshot_same_bytes(void **state)
{
	struct config config = test_config();
	struct codec_writer whole = {0}, streamed;
	struct engine_snapshot_stamp stamp = { .journal_index = 77,
					       .next = ENGINE_SNAPSHOT_NEXT_SEGMENT };
	struct collected collected = {0};
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, line_count);
	engine_snapshot_stamped(engine, &stamp, &whole);
	codec_writer_init_sink(&streamed, collect_sunk, &collected, CHUNK);
	engine_snapshot_stamped(engine, &stamp, &streamed);
	codec_writer_flush(&streamed);
	assert_false(whole.failed);
	assert_false(streamed.failed);
	assert_true(whole.len > CHUNK); /* two chunks at least */
	assert_int_equal(streamed.sunk_bytes, whole.len);
	assert_int_equal(collected.bytes.len, whole.len);
	assert_memory_equal(collected.bytes.data, whole.data, whole.len);
	assert_int_equal(collected.calls, (whole.len + CHUNK - 1) / CHUNK);
	assert_int_equal(collected.largest, CHUNK);
	assert_int_equal(streamed.cap, CHUNK);
	codec_writer_release(&streamed);
	codec_writer_release(&collected.bytes);

	collected = (struct collected){.fail_at_call = 2};
	codec_writer_init_sink(&streamed, collect_sunk, &collected, CHUNK);
	engine_snapshot_stamped(engine, &stamp, &streamed);
	codec_writer_flush(&streamed);
	assert_true(streamed.failed);
	assert_int_equal(collected.calls, 2);
	assert_int_equal(collected.bytes.len, CHUNK);
	codec_writer_release(&streamed);
	codec_writer_release(&collected.bytes);
	codec_writer_release(&whole);
	engine_free(engine);
}

/* engine saved (into first) and freed, restored from those bytes, and saved again (into
 * second): the same bytes. The restored engine. */
static struct engine *restored_same_bytes(struct engine *engine, struct codec_writer *first,
					  struct codec_writer *second)
{
	char why[ENGINE_WHY_MAX];

	engine_snapshot(engine, first);
	engine_free(engine);
	assert_false(first->failed);
	engine = engine_restore(first->data, first->len, NULL, NULL, NULL, why, sizeof(why));
	assert_non_null(engine);
	engine_snapshot(engine, second);
	assert_int_equal(first->len, second->len);
	assert_memory_equal(first->data, second->data, first->len);
	return engine;
}

/* A restored engine saves the very bytes it was restored from: the tables' entries went back
 * to the slots they had (their iteration order, which decides some outputs, is the same). */
static void test_restore_then_save_same_bytes(void **state)
{
	struct config config = test_config();
	struct codec_writer first = {0}, second = {0};
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, line_count / 2);
	engine_free(restored_same_bytes(engine, &first, &second));
	codec_writer_release(&first);
	codec_writer_release(&second);
}

/* A replay's two steps with the hints (engine_prefetch two lines ahead, engine_prefetch_call one
 * ahead, as the recovery's applying thread calls them) against engine_process on the same
 * lines, a call that ends unknown and a refused line among them: the same verdicts, alerts and
 * saved bytes. A hint that changed anything, or a hash taken in the parse step that differed
 * from the state step's own, would show here. */
static void test_prefetch_changes_nothing(void **state)
{
	static const char *const extra[] = {
		"{\"type\":\"call_end\",\"call_id\":\"never-started\",\"ts\":1767243600000,"
		"\"released_by\":\"operator\"}",
		"{\"type\":\"call_start\",\"call_id\":",
	};
	static struct engine_parsed ahead[3];
	static const char *events[MAX_LINES + 2];
	const struct engine_origin origin = {.received_ms = ENGINE_NO_TIME};
	struct config config = test_config();
	struct alerts plain = {0}, hinted = {0};
	struct codec_writer first = {0}, second = {0};
	struct event_parser *parser = event_parser_new();
	size_t count = 0;
	(void)state;

	for (size_t i = 0; i < line_count; i++)
		if (strcmp(lines[i], "ACK") != 0 && strncmp(lines[i], "CONTROL ", 8) != 0)
			events[count++] = lines[i];
	events[count++] = extra[0];
	events[count++] = extra[1];
	struct engine *a = engine_new(&config, collect, &plain);
	struct engine *b = engine_new(&config, collect, &hinted);
	assert_non_null(parser);
	for (size_t i = 0; i < 2; i++)
		engine_parse(parser, events[i], strlen(events[i]), &ahead[i]);
	for (size_t i = 0; i < count; i++) {
		struct engine_verdict expected, got;

		if (i + 2 < count) {
			engine_parse(parser, events[i + 2], strlen(events[i + 2]),
				     &ahead[(i + 2) % 3]);
			engine_prefetch(b, &ahead[(i + 2) % 3]);
		}
		if (i + 1 < count)
			engine_prefetch_call(b, &ahead[(i + 1) % 3]);
		engine_apply(b, &origin, &ahead[i % 3], &got);
		engine_process(a, NULL, events[i], strlen(events[i]), &expected);
		assert_int_equal(got.reject, expected.reject);
		assert_int_equal(got.duplicate, expected.duplicate);
		assert_int_equal(got.late, expected.late);
		assert_int_equal(got.counted_event, expected.counted_event);
		assert_int_equal(got.seq, expected.seq);
		assert_string_equal(got.why, expected.why);
		if (i + 2 >= count) /* the unknown call's end, the cut line */
			assert_int_not_equal(expected.reject, EVENT_OK);
	}
	assert_int_equal(engine_stats(b)->events, engine_stats(a)->events);
	assert_int_equal(engine_counters_rejected(engine_stats(b)),
			 engine_counters_rejected(engine_stats(a)));
	assert_true(plain.count > 0);
	assert_int_equal(hinted.count, plain.count);
	for (size_t i = 0; i < plain.count; i++)
		assert_string_equal(hinted.text[i], plain.text[i]);
	engine_snapshot(a, &first);
	engine_snapshot(b, &second);
	assert_int_equal(second.len, first.len);
	assert_memory_equal(second.data, first.data, first.len);
	codec_writer_release(&first);
	codec_writer_release(&second);
	clear(&plain);
	clear(&hinted);
	event_parser_free(parser);
	engine_free(a);
	engine_free(b);
}

/* A call_start of each of operators, call ids prefix0, prefix1, ..., a second apart from ts_ms. */
static void start_calls(struct engine *engine, const char *const *operators, size_t count,
			const char *prefix, long long ts_ms)
{
	char line[512], why[ENGINE_WHY_MAX];

	for (size_t i = 0; i < count; i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_start\",\"call_id\":\"%s%zu\",\"ts\":%lld,"
			 "\"operator\":\"%s\",\"agency\":\"NOPD\",\"position\":\"P1\"}",
			 prefix, i, ts_ms + (long long)i * 1000, operators[i]);
		assert_int_equal(engine_process_line(engine, line, strlen(line), why, sizeof(why)),
				 EVENT_OK);
	}
}

/* The binding keeps an operator's strings in its entry when they fit 21 bytes, else in a
 * block of their own: both kinds come back from a snapshot and save the same bytes again. */
static void test_operator_owners_of_any_length_restored(void **state)
{
	static const char *const operators[] = {
		"op-1", /* inline */
		"an-operator-id-of-sixty-four-bytes-01234567890123456789012345678", /* allocated */
	};
	struct config config = test_config();
	struct codec_writer first = {0}, second = {0};
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	start_calls(engine, operators, ARRAY_SIZE(operators), "L", 1795939200000LL);
	engine = restored_same_bytes(engine, &first, &second);
	/* known: no new-operator count */
	start_calls(engine, operators, ARRAY_SIZE(operators), "M", 1795939300000LL);
	engine_free(engine);
	codec_writer_release(&first);
	codec_writer_release(&second);
}

/* Counters are saved by name: a build that added one (late), dropped one (gone) and widened
 * nothing reads an older build's, the new one at 0 and the dropped one skipped; a value too
 * wide for its field is refused. */
struct old_stats {
	uint64_t lines;
	uint64_t gone;
	uint32_t open;
	uint64_t by_kind[2];
};

struct new_stats {
	uint32_t open;
	uint64_t late;
	uint64_t lines;
	uint64_t by_kind[3];
};

static void test_counters_by_name(void **state)
{
	static const struct codec_counter old_counters[] = {
		CODEC_COUNTER_SCALAR(struct old_stats, lines),
		CODEC_COUNTER_SCALAR(struct old_stats, gone),
		CODEC_COUNTER_SCALAR(struct old_stats, open),
		CODEC_COUNTER(struct old_stats, by_kind)
	};
	static const struct codec_counter new_counters[] = {
		CODEC_COUNTER_SCALAR(struct new_stats, open),
		CODEC_COUNTER_SCALAR(struct new_stats, late),
		CODEC_COUNTER_SCALAR(struct new_stats, lines),
		CODEC_COUNTER(struct new_stats, by_kind)
	};
	struct old_stats old = {.lines = 7, .gone = 9, .open = 3, .by_kind = {4, 5}};
	struct new_stats loaded;
	struct codec_writer writer = {0};
	struct codec_reader reader;
	(void)state;

	memset(&loaded, 0xff, sizeof(loaded));
	codec_put_counters(&writer, old_counters, CODEC_COUNTER_COUNT(old_counters), &old);
	assert_false(writer.failed);
	/* [u32 4] "lines" [u32 1][u64 7] ...: 4 + 4 counters' names, lengths and values */
	assert_int_equal(writer.len, 4 + (4 + 5 + 4 + 8) + (4 + 4 + 4 + 8) + (4 + 4 + 4 + 8) +
					     (4 + 7 + 4 + 16));
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(codec_get_counters(&reader, new_counters,
					    CODEC_COUNTER_COUNT(new_counters), &loaded),
			 0);
	assert_int_equal(reader.pos, writer.len);
	assert_int_equal(loaded.open, 3);
	assert_int_equal(loaded.late, 0);
	assert_int_equal(loaded.lines, 7);
	assert_int_equal(loaded.by_kind[0], 4);
	assert_int_equal(loaded.by_kind[1], 5);
	assert_int_equal(loaded.by_kind[2], 0);

	old.open = 0;
	codec_writer_release(&writer);
	writer = (struct codec_writer){0};
	static const struct codec_counter wide[] = { { "open", offsetof(struct old_stats, lines), 8,
						       1 } };
	old.lines = UINT64_C(1) << 32;
	codec_put_counters(&writer, wide, 1, &old);
	codec_reader_init(&reader, writer.data, writer.len);
	assert_int_equal(codec_get_counters(&reader, new_counters,
					    CODEC_COUNTER_COUNT(new_counters), &loaded),
			 -EINVAL);
	codec_writer_release(&writer);
}

/* A snapshot of another format is named as such (a recovery replays the journal instead of
 * setting it aside as damaged). */
static void test_other_format_reported(void **state)
{
	struct config config = test_config();
	struct codec_writer writer = {0};
	char why[ENGINE_WHY_MAX];
	(void)state;

	assert_null(engine_restore("CADMSNP1 earlier builds wrote a C struct", 40, &config, NULL,
				   NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot format 1, this cadmond reads 13 to 18");
	assert_int_equal(engine_snapshot_format("CADMSNP1 earlier builds wrote a C struct", 40), 1);

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, 10);
	engine_snapshot(engine, &writer);
	engine_free(engine);
	assert_int_equal(engine_snapshot_format(writer.data, writer.len), ENGINE_SNAPSHOT_FORMAT);
	writer.data[8] = 3; /* the u32 format after the magic, little-endian */
	assert_int_equal(engine_snapshot_format(writer.data, writer.len), 3);
	assert_null(engine_restore(writer.data, writer.len, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot format 3, this cadmond reads 13 to 18");
	writer.data[8] = 19; /* a newer build's: refused as well, never misread */
	assert_null(engine_restore(writer.data, writer.len, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot format 19, this cadmond reads 13 to 18");
	assert_int_equal(engine_snapshot_format("CADMSNAP", 8), 0);
	codec_writer_release(&writer);
}

/* The host's stamp rides in the snapshot: written as given, read back without a restore,
 * and an engine restored from a stamped snapshot snapshots to the same bytes under the same
 * stamp. engine_snapshot stamps { 0, unknown }. */
static void test_stamp_read_back(void **state)
{
	static const struct engine_snapshot_stamp stamp = { UINT64_C(0x0102030405060708),
							    ENGINE_SNAPSHOT_NEXT_SEGMENT };
	struct config config = test_config();
	struct codec_writer first = {0}, second = {0}, plain = {0};
	struct engine_snapshot_stamp read;
	char why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, 10);
	engine_snapshot_stamped(engine, &stamp, &first);
	engine_snapshot(engine, &plain);
	engine_free(engine);
	/* after "CADMSNAP" and the u32 format: the u64 index then the u8 next, little-endian */
	assert_memory_equal(first.data + 12, "\x08\x07\x06\x05\x04\x03\x02\x01\x02", 9);
	assert_int_equal(engine_snapshot_stamp(first.data, first.len, &read), 0);
	assert_true(read.journal_index == UINT64_C(0x0102030405060708));
	assert_int_equal(read.next, ENGINE_SNAPSHOT_NEXT_SEGMENT);
	assert_int_equal(engine_snapshot_stamp(plain.data, plain.len, &read), 0);
	assert_true(read.journal_index == 0);
	assert_int_equal(read.next, ENGINE_SNAPSHOT_NEXT_UNKNOWN);
	assert_int_equal(first.len, plain.len);
	assert_memory_equal(first.data + 21, plain.data + 21,
			    first.len - 25); /* only the stamp and CRC differ */

	engine = engine_restore(first.data, first.len, NULL, NULL, NULL, why, sizeof(why));
	assert_non_null(engine);
	engine_snapshot_stamped(engine, &stamp, &second);
	engine_free(engine);
	assert_int_equal(second.len, first.len);
	assert_memory_equal(second.data, first.data, first.len);

	first.data[20] = 3; /* no such next */
	assert_int_equal(engine_snapshot_stamp(first.data, first.len, &read), -EINVAL);
	assert_int_equal(
		engine_snapshot_stamp("CADMSNP1 earlier builds wrote a C struct", 40, &read),
		-EINVAL);
	assert_int_equal(engine_snapshot_stamp(first.data, 20, &read), -EINVAL);
	codec_writer_release(&first);
	codec_writer_release(&second);
	codec_writer_release(&plain);
}

/* Re-frame a snapshot with its configuration text replaced (and the CRC recomputed), as a
 * snapshot damaged in a way the checksum cannot see. */
static void reframe_with_config(struct codec_writer *out, const struct codec_writer *snapshot,
				const char *config_text)
{
	struct codec_reader reader;
	uint32_t old_len;

	/* "CADMSNAP" [u32 format] [u64 journal index][u8 next] [u32 n][configuration] */
	codec_reader_init(&reader, snapshot->data + 21, 4);
	old_len = codec_get_u32(&reader);
	codec_put_bytes(out, snapshot->data, 21);
	codec_put_u32(out, (uint32_t)strlen(config_text));
	codec_put_bytes(out, config_text, strlen(config_text));
	codec_put_bytes(out, snapshot->data + 25 + old_len, snapshot->len - 25 - old_len - 4);
	codec_put_u32(out, codec_crc32c(0, out->data, out->len));
}

#define GOLDEN_DIR CADMON_SOURCE_DIR "/tests/data/golden/"

/* The bytes of file (a test's data): NULL when it cannot be read. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t size = 0, got;

	if (!file)
		return NULL;
	do {
		unsigned char *more = realloc(data, size + 4096);
		assert_non_null(more);
		data = more;
		size += got = fread(data + size, 1, 4096, file);
	} while (got == 4096);
	fclose(file);
	*len = size;
	return data;
}

/* text with its first from replaced by to (allocated). */
static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);

	assert_non_null(at);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

/* The golden snapshot in data[0..len) reframed with a configuration the parser takes:
 * tests/golden.c sets its values directly, some below what the parser takes; raised to what it
 * takes (the state fits in the larger tables; the rules' thresholds are not in the state). */
static void reframe_parsable(struct codec_writer *out, const unsigned char *data, size_t len)
{
	static const char *const raise[][2] = {
		{ "max_center_calls: 128\n", "max_center_calls: 1000\n" },
		{ "max_recent_callers: 32\n", "max_recent_callers: 100\n" },
		{ "odds_ratio: 0\n      threshold: 0\n", "odds_ratio: 3\n      threshold: 2\n" },
		{ "min_calls: 0\n      min_premature: 0\n",
		  "min_calls: 1\n      min_premature: 1\n" },
	};
	struct codec_reader reader;
	struct codec_writer snapshot = { .data = (unsigned char *)data, .len = len };

	codec_reader_init(&reader, data + 21, 4); /* after the magic, format and stamp */
	uint32_t config_len = codec_get_u32(&reader);
	assert_true(config_len <= len - 29);
	char *text = strndup((const char *)data + 25, config_len);
	for (size_t i = 0; i < ARRAY_SIZE(raise); i++) {
		char *raised = replace_once(text, raise[i][0], raise[i][1]);
		free(text);
		text = raised;
	}
	reframe_with_config(out, &snapshot, text);
	free(text);
}

/* engine_restore of path's snapshot (the golden shift's) written again, stamped as it was
 * (journal index 42, a segment follows), into *out; *binding: its binding's counts. */
static void restore_golden(const char *path, struct codec_writer *out,
			   struct binding_stats *binding)
{
	static const struct engine_snapshot_stamp stamp = { 42, ENGINE_SNAPSHOT_NEXT_SEGMENT };
	char why[ENGINE_WHY_MAX] = "";
	size_t len = 0;
	unsigned char *data = slurp(path, &len);
	struct codec_writer parsable = {0};
	struct engine *engine;

	assert_non_null(data);
	reframe_parsable(&parsable, data, len);
	engine = engine_restore(parsable.data, parsable.len, NULL, NULL, NULL, why, sizeof(why));
	assert_string_equal(why, "");
	assert_non_null(engine);
	assert_int_equal(engine_snapshot_stamp(data, len, &(struct engine_snapshot_stamp){0}), 0);
	engine_snapshot_stamped(engine, &stamp, out);
	*binding = engine_stats(engine)->binding;
	engine_free(engine);
	codec_writer_release(&parsable);
	free(data);
}

/* Where snapshot w (format 16 on) keeps the first arrival of c1's owner, the connections
 * without a hello: after [string "c1"][string ""][i64 last ms][u8][u8][u8]. */
static size_t c1_first_arrival(const struct codec_writer *w)
{
	static const unsigned char key[] = { 2, 0, 0, 0, 'c', '1', 0, 0, 0, 0 };
	size_t at = 0, hits = 0;

	for (size_t i = 0; i + sizeof(key) + 19 <= w->len; i++)
		if (memcmp(w->data + i, key, sizeof(key)) == 0) {
			at = i + sizeof(key) + 11;
			hits++;
		}
	assert_int_equal(hits, 1);
	return at;
}

/* Out of memory anywhere in a restore is no damage (the snapshot is good: kept, not set aside):
 * each allocation the golden shift's restore makes failed in turn, the restore either copes or
 * says "out of memory ...", never that the snapshot is damaged. */
static void test_restore_out_of_memory_anywhere_is_no_damage(void **state)
{
	size_t len = 0;
	unsigned char *data = slurp(GOLDEN_DIR "snapshot-format18.bin", &len);
	struct codec_writer parsable = {0};
	char why[ENGINE_WHY_MAX] = "";
	struct engine *engine;
	unsigned long allocations;
	(void)state;

	assert_non_null(data);
	reframe_parsable(&parsable, data, len);
	fail_alloc_calls = 0;
	engine = engine_restore(parsable.data, parsable.len, NULL, NULL, NULL, why, sizeof(why));
	allocations = fail_alloc_calls;
	assert_non_null(engine);
	engine_free(engine);
	assert_true(allocations >= 50); /* its tables, texts, episodes, windows: 54 at 16 */
	for (unsigned long n = 1; n <= allocations; n++) {
		why[0] = '\0';
		fail_alloc_countdown = n;
		engine = engine_restore(parsable.data, parsable.len, NULL, NULL, NULL, why,
					sizeof(why));
		unsigned long left = fail_alloc_countdown;
		fail_alloc_countdown = 0;
		assert_int_equal(left, 0); /* the nth allocation was made, and failed */
		if (engine)
			engine_free(engine);
		else if (strncmp(why, "out of memory", strlen("out of memory")) != 0)
			fail_msg("allocation %lu of %lu failed: \"%s\"", n, allocations, why);
	}
	codec_writer_release(&parsable);
	free(data);
}

/* Format-13 to 17 snapshots (tests/data/golden's, of the builds before 14 to 18) are still
 * read: their 5 call owners kept, each one's events waiting counted again from the restored
 * reorder buffer (13 saved no count, 14 one of completions owed: c3 and h1, both events
 * waiting, owed 1 each and now wait 2), each one's first arrival (none saved before 16) that
 * of the oldest of its events waiting, the repeat callers' sweep (its position saved from 17)
 * from its first home, and no state_incomplete alert (its refill time saved from 18: none
 * open), so that each snapshots again to the bytes of the format-18 file of the same shift but
 * two: c1's first arrival, 1 from 16 (its first event, applied since), is 8 (its oldest
 * waiting) when made again, which counts the same events to it (no other owner's event of c1
 * waits); and the sweep's position. A rollback cannot misread 18: a build of 17 refuses it
 * (test_other_format_reported). */
static void test_older_formats_snapshot_read(void **state)
{
	enum { FILES = 6, NEWEST = FILES - 1 };
	struct codec_writer from[FILES] = {{0}};
	struct binding_stats binding[FILES];
	static const char *const files[FILES] = {
		"snapshot-format13.bin", "snapshot-format14.bin", "snapshot-format15.bin",
		"snapshot-format16.bin", "snapshot-format17.bin", "snapshot-format18.bin"
	};
	/* the end: [u32 slots][u32 sweep home][i64 state_incomplete's since][u32 0 events_too_late]
	 * [u32 CRC] */
	static const unsigned char none_open[8] = { 0xff, 0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff, 0x7f };
	char path[512];
	(void)state;

	for (int i = 0; i < FILES; i++) {
		snprintf(path, sizeof(path), "%s%s", GOLDEN_DIR, files[i]);
		restore_golden(path, &from[i], &binding[i]);
	}
	for (int i = 0; i < FILES; i++) {
		size_t len = from[NEWEST].len;
		assert_int_equal(binding[i].calls, 5);
		assert_int_equal(engine_snapshot_format(from[i].data, from[i].len), 18);
		assert_int_equal(from[i].len, len);
		size_t c1 = c1_first_arrival(&from[i]);
		assert_int_equal(from[i].data[c1], i < 3 ? 8 : 1);
		from[i].data[c1] = 1;
		/* all but the sweep's [u32 slots][u32 home], the since, the count and the CRC */
		assert_memory_equal(from[i].data, from[NEWEST].data, len - 24);
		if (i < 4) /* the sweep from its first home */
			assert_memory_equal(from[i].data + len - 20, "\0\0\0\0", 4);
		else
			assert_memory_equal(from[i].data + len - 24,
					    from[NEWEST].data + len - 24, 8);
		assert_memory_equal(from[i].data + len - 16, none_open, 8);
		assert_memory_equal(from[i].data + len - 8, "\0\0\0\0", 4);
	}
	for (int i = 0; i < FILES; i++)
		codec_writer_release(&from[i]);
}

/* One completed call a minute, minutes [from, to), from op-1. */
static void feed_minutes(struct engine *engine, int from, int to)
{
	char line[256];
	struct engine_verdict verdict;

	for (int minute = from; minute < to; minute++) {
		int64_t start = T0 + (int64_t)minute * 60000;
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"call_start\",\"call_id\":\"m%d\",\"ts\":%lld,"
				   "\"operator\":\"op-1\",\"agency\":\"DEMO\"}",
				   minute, (long long)start);
		engine_process(engine, NULL, line, (size_t)len, &verdict);
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"m%d\",\"ts\":%lld,"
			       "\"released_by\":\"caller\"}",
			       minute, (long long)(start + 30000));
		engine_process(engine, NULL, line, (size_t)len, &verdict);
	}
}

static void state_incomplete(struct engine *engine, const char *reason, int64_t ts_ms)
{
	char line[256], why[ENGINE_WHY_MAX];
	int len = snprintf(line, sizeof(line),
			   "{\"system\":\"state_incomplete\",\"state\":\"firing\","
			   "\"reason\":\"%s\"}",
			   reason);

	assert_int_equal(engine_control(engine, line, (size_t)len, ts_ms, why, sizeof(why)), 0);
}

/* A state_incomplete control (a recovery without some history, at 08:00 by the daemon's
 * clock) raises a warning saying why and for how long, and resolves at the first event taken
 * in order a whole longest window (2 h) after it, not before: also in an engine restored from
 * a snapshot taken on the way. */
static void test_state_incomplete_resolves_after_the_longest_window(void **state)
{
	struct config config = test_config();
	struct alerts got = {0}, restored = {0};
	struct codec_writer writer = {0};
	char why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, collect, &got);
	state_incomplete(engine, "3 journal records missing", T0);
	assert_int_equal(got.count, 1);
	assert_string_equal(got.text[0],
			    "{\"alert\":\"firing\",\"alert_id\":\"f94073748bdfe7ce\",\"seq\":1,"
			    "\"ts\":\"2026-11-29T08:00:00.000Z\",\"type\":\"system\","
			    "\"system\":\"state_incomplete\",\"severity\":\"warning\","
			    "\"message\":\"recovered without some history (3 journal records "
			    "missing): alerts may be missed until 7200 s more of events refill the "
			    "rule windows\"}");
	assert_true(engine_system_alert_open(engine, "state_incomplete", ""));
	feed_minutes(engine, 1, 60);
	engine_snapshot(engine, &writer);
	struct engine *copy = engine_restore(writer.data, writer.len, &config, collect, &restored,
					     why, sizeof(why));
	assert_non_null(copy);
	feed_minutes(engine, 60, 120); /* up to 09:59, all taken in order */
	feed_minutes(copy, 60, 120);
	engine_flush(engine);
	engine_flush(copy);
	assert_int_equal(got.count, 1);
	assert_int_equal(restored.count, 0);
	feed_minutes(engine, 120, 121); /* 10:00: 2 h after the loss was told */
	feed_minutes(copy, 120, 121);
	engine_flush(engine);
	engine_flush(copy);
	assert_int_equal(got.count, 2);
	assert_string_equal(got.text[1],
			    "{\"alert\":\"resolved\",\"alert_id\":\"f94073748bdfe7ce\",\"seq\":2,"
			    "\"ts\":\"2026-11-29T10:00:00.000Z\",\"type\":\"system\","
			    "\"system\":\"state_incomplete\",\"severity\":\"warning\","
			    "\"message\":\"the rule windows hold 7200 s of events taken since the "
			    "incomplete recovery: detection has its whole history again\"}");
	assert_int_equal(restored.count, 1);
	assert_string_equal(restored.text[0], got.text[1]);
	assert_false(engine_system_alert_open(engine, "state_incomplete", ""));
	engine_free(engine);
	engine_free(copy);
	codec_writer_release(&writer);
	clear(&got);
	clear(&restored);
}

/* The refill counts from the daemon's clock when the loss was told, not from the center's
 * time then (the events lost came after the center's last one): after a downtime longer than
 * a window the first events do not resolve it. A second loss while it is open resolves it
 * ("superseded") and raises a new one, whose refill counts from then. */
static void test_state_incomplete_counts_from_the_loss(void **state)
{
	struct config config = test_config();
	struct alerts got = {0};
	(void)state;

	struct engine *engine = engine_new(&config, collect, &got);
	feed_minutes(engine, 0, 10);             /* 08:00-08:09 kept */
	state_incomplete(engine, "the segment after the snapshot is missing",
			 T0 + 9 * 3600 * 1000); /* 17:00: 08:10-16:59 lost */
	feed_minutes(engine, 9 * 60, 9 * 60 + 10); /* 17:00-17:09 */
	engine_flush(engine);
	assert_int_equal(count_kind(&got, "resolved"), 0);
	assert_true(engine_system_alert_open(engine, "state_incomplete", ""));
	state_incomplete(engine, "2 damaged segments set aside", T0 + 10 * 3600 * 1000); /* 18:00 */
	assert_int_equal(count_kind(&got, "resolved"), 1);
	assert_int_equal(count_kind(&got, "firing"), 2);
	assert_non_null(strstr(got.text[got.count - 2],
			       "\"message\":\"superseded: another recovery lost history since "
			       "(the next notice)\"}"));
	assert_non_null(strstr(got.text[got.count - 2], "\"ts\":\"2026-11-29T18:00:00.000Z\""));
	assert_non_null(strstr(got.text[got.count - 1], "(2 damaged segments set aside)"));
	feed_minutes(engine, 9 * 60 + 10, 12 * 60); /* to 19:59: 18:00 + 2 h not reached */
	engine_flush(engine);
	assert_int_equal(count_kind(&got, "resolved"), 1);
	feed_minutes(engine, 12 * 60, 12 * 60 + 1); /* 20:00 */
	engine_flush(engine);
	assert_int_equal(count_kind(&got, "resolved"), 2);
	assert_non_null(strstr(got.text[got.count - 1], "\"ts\":\"2026-11-29T20:00:00.000Z\""));
	engine_free(engine);
	clear(&got);
}

/* A snapshot changed by hand: its CRC (its last 4 bytes) made good again. */
static void crc_made_good(struct codec_writer *w)
{
	uint32_t crc = codec_crc32c(0, w->data, w->len - 4);

	for (size_t b = 0; b < 4; b++)
		w->data[w->len - 4 + b] = (unsigned char)(crc >> (8 * b));
}

/* A snapshot whose refill time and open alerts disagree is damaged: an open state_incomplete
 * alert without a time, and a time without the alert. */
static void test_state_incomplete_inconsistent_is_damage(void **state)
{
	static const unsigned char none[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	static const unsigned char eight_am[8] = { 0 }; /* any time: 1970 here */
	struct config config = test_config();
	struct codec_writer open = {0}, closed = {0};
	char why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed_minutes(engine, 0, 5);
	engine_snapshot(engine, &closed);
	state_incomplete(engine, "3 journal records missing", T0 + 600000);
	engine_snapshot(engine, &open);
	engine_free(engine);
	for (int i = 0; i < 2; i++) {
		struct codec_writer *w = i == 0 ? &open : &closed;
		struct engine *ok = engine_restore(w->data, w->len, &config, NULL, NULL, why,
						   sizeof(why));
		assert_non_null(ok);
		engine_free(ok);
		memcpy(w->data + w->len - 16, i == 0 ? none : eight_am, 8);
		crc_made_good(w);
		assert_null(engine_restore(w->data, w->len, &config, NULL, NULL, why, sizeof(why)));
		assert_string_equal(why, "snapshot damaged: inconsistent state");
	}
	codec_writer_release(&open);
	codec_writer_release(&closed);
}

static void process_line(struct engine *engine, const char *format, int64_t ts_ms)
{
	char line[256];
	struct engine_verdict verdict;
	int len = snprintf(line, sizeof(line), format, (long long)ts_ms);

	engine_process(engine, NULL, line, (size_t)len, &verdict);
}

/* An open events_too_late alert survives a snapshot (format 18's list at the end): the restored
 * engine resolves it with the same notice; a list naming a source the clocks do not hold is
 * damage. */
static void test_events_too_late_restored(void **state)
{
	static const char incident[] = "{\"type\":\"incident\",\"call_id\":\"y\",\"ts\":%lld}";
	struct config config = test_config();
	struct alerts got = {0}, restored = {0};
	struct codec_writer writer = {0};
	char why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, collect, &got);
	process_line(engine, incident, T0 + 700000);
	process_line(engine, incident, T0 + 50000); /* 650 s behind: too late */
	assert_int_equal(count_kind(&got, "firing"), 1);
	assert_non_null(strstr(got.text[0], "\"system\":\"events_too_late\""));
	engine_snapshot(engine, &writer);
	struct engine *copy = engine_restore(writer.data, writer.len, &config, collect, &restored,
					     why, sizeof(why));
	assert_non_null(copy);
	assert_true(engine_system_alert_open(copy, "events_too_late", ""));
	int64_t later = T0 + 700000 + (int64_t)config.detector.resolve_after_seconds * 1000;
	process_line(engine, incident, later);
	process_line(copy, incident, later);
	assert_int_equal(count_kind(&got, "resolved"), 1);
	assert_int_equal(restored.count, 1);
	assert_string_equal(restored.text[0], got.text[got.count - 1]);
	/* the list's one name ("", the unnamed stream's) made unknown: [u32 1][u32 0][i64] */
	assert_memory_equal(writer.data + writer.len - 20, "\1\0\0\0\0\0\0\0", 8);
	writer.data[writer.len - 16] = 1;
	crc_made_good(&writer);
	assert_null(engine_restore(writer.data, writer.len, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(why, "snapshot damaged: inconsistent state");
	engine_free(engine);
	engine_free(copy);
	codec_writer_release(&writer);
	clear(&got);
	clear(&restored);
}

/* The saved configuration goes through the parser's checks before the engine uses it. */
static void test_saved_configuration_validated(void **state)
{
	struct config config = test_config();
	struct codec_writer writer = {0};
	struct codec_writer bad = {0};
	char why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, NULL, NULL);
	feed(engine, 0, 10);
	engine_snapshot(engine, &writer);
	engine_free(engine);
	reframe_with_config(&bad, &writer, "tracker:\n  max_recent_callers: 5000000000\n");
	assert_null(engine_restore(bad.data, bad.len, &config, NULL, NULL, why, sizeof(why)));
	assert_string_equal(
		why, "snapshot configuration invalid: snapshot:2:23: tracker.max_recent_callers: "
		     "must be an integer from 100 to 10000000");
	codec_writer_release(&bad);
	codec_writer_release(&writer);
}

/* The operators as "agency/operator position state since" lines, table order. */
static void describe_operator(const struct detector_operator_figures *figures, void *ctx)
{
	char *out = ctx;
	const char *name = agent_state_name(figures->state);

	snprintf(out + strlen(out), 512 - strlen(out), "%s/%s %s %s %lld\n", figures->agency,
		 figures->operator_id, figures->position[0] ? figures->position : "-",
		 name ? name : "-", (long long)figures->state_since_ms);
}

static void process(struct engine *engine, const char *line)
{
	engine_process_line(engine, line, strlen(line), NULL, 0);
}

/* Each operator's latest state and its time, made by an operator_state line (the operator made
 * if new), kept through a snapshot; an older state is ignored; calls count as before. */
static void test_operator_state_kept(void **state)
{
	struct config config = test_config();
	struct alerts alerts = {0};
	struct codec_writer writer = {0};
	char operators[512] = "", why[ENGINE_WHY_MAX];
	(void)state;

	struct engine *engine = engine_new(&config, collect, &alerts);
	process(engine, "{\"type\":\"operator_state\",\"ts\":1795939200000,\"operator\":\"op-7\","
			"\"agency\":\"NOPD\","
			"\"position\":\"P3\",\"state\":\"logged_on\"}");
	process(engine, "{\"type\":\"call_start\",\"call_id\":\"s1\",\"ts\":1795939260000,"
			"\"operator\":\"op-8\","
			"\"agency\":\"NOPD\",\"position\":\"P4\"}");
	process(engine, "{\"type\":\"call_end\",\"call_id\":\"s1\",\"ts\":1795939265000,\"released_"
			"by\":\"operator\"}");
	process(engine, "{\"type\":\"operator_state\",\"ts\":1795939270000,\"operator\":\"op-8\","
			"\"agency\":\"NOPD\","
			"\"state\":\"logged_off\"}");
	process(engine, "{\"type\":\"operator_state\",\"ts\":1795939269000,\"operator\":\"op-8\","
			"\"agency\":\"NOPD\","
			"\"state\":\"available\"}"); /* older: ignored */
	engine_flush(engine);
	engine_each_operator(engine, describe_operator, operators);
	assert_string_equal(operators, "NOPD/op-7 P3 logged_on 1795939200000\n"
				       "NOPD/op-8 P4 logged_off 1795939270000\n");
	assert_int_equal(engine_stats(engine)->detector.calls, 1);
	engine_snapshot(engine, &writer);
	engine_free(engine);
	assert_false(writer.failed);
	engine = engine_restore(writer.data, writer.len, NULL, collect, &alerts, why, sizeof(why));
	codec_writer_release(&writer);
	assert_non_null(engine);
	operators[0] = '\0';
	engine_each_operator(engine, describe_operator, operators);
	assert_string_equal(operators, "NOPD/op-7 P3 logged_on 1795939200000\n"
				       "NOPD/op-8 P4 logged_off 1795939270000\n");
	/* a logged-off operator's calls still count */
	process(engine, "{\"type\":\"call_start\",\"call_id\":\"s2\",\"ts\":1795939280000,"
			"\"operator\":\"op-8\","
			"\"agency\":\"NOPD\"}");
	process(engine, "{\"type\":\"call_end\",\"call_id\":\"s2\",\"ts\":1795939284000,\"released_"
			"by\":\"operator\"}");
	engine_flush(engine);
	assert_int_equal(engine_stats(engine)->detector.calls, 2);
	engine_free(engine);
	clear(&alerts);
}

/* A reload that lowers a threshold takes effect at once on the calls already in the window. */
static void test_reconfigure_keeps_window_state(void **state)
{
	struct config config;
	struct alerts alerts = {0};
	(void)state;

	config_set_defaults(&config);
	config.detector.rule_count = 1;
	config.detector.rules[0] = (struct config_rule){ .name = "burst",
							 .window_seconds = 600,
							 .min_calls = 5,
							 .min_premature = 5,
							 .min_ratio = 0.5,
							 .called_back_weight = 1,
							 .max_p_value = 1,
							 .min_center_ratio = 0.05,
							 .odds_ratio = 3,
							 .threshold = 5,
							 .severity = "warning" };
	struct engine *engine = engine_new(&config, collect, &alerts);
	char line[256];
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_start\",\"call_id\":\"r%d\",\"ts\":%lld,\"operator\":"
			 "\"op\"}",
			 i, (long long)(T0 + i * 60000));
		engine_process_line(engine, line, strlen(line), NULL, 0);
		snprintf(line, sizeof(line),
			 "{\"type\":\"call_end\",\"call_id\":\"r%d\",\"ts\":%lld,\"released_by\":"
			 "\"operator\"}",
			 i, (long long)(T0 + i * 60000 + 4000));
		engine_process_line(engine, line, strlen(line), NULL, 0);
	}
	/* An open call across the reload. */
	engine_process_line(engine,
			    "{\"type\":\"call_start\",\"call_id\":\"r3\",\"ts\":1795939380000,"
			    "\"operator\":\"op\"}",
			    strlen("{\"type\":\"call_start\",\"call_id\":\"r3\",\"ts\":"
				   "1795939380000,\"operator\":\"op\"}"),
			    NULL, 0);
	assert_int_equal(alerts.count, 0);
	config.detector.rules[0].min_calls = 4;
	config.detector.rules[0].min_premature = 4;
	config.tracker.max_open_calls = 50;
	assert_int_equal(engine_reconfigure(engine, &config), 0);
	assert_int_equal(engine_stats(engine)->open_calls, 1);
	engine_process_line(engine,
			    "{\"type\":\"call_end\",\"call_id\":\"r3\",\"ts\":1795939385000,"
			    "\"released_by\":\"operator\"}",
			    strlen("{\"type\":\"call_end\",\"call_id\":\"r3\",\"ts\":1795939385000,"
				   "\"released_by\":\"operator\"}"),
			    NULL, 0);
	assert_int_equal(alerts.count, 1);
	assert_non_null(strstr(alerts.text[0], "\"calls\":4,\"premature\":4,"));
	engine_free(engine);
	clear(&alerts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_crc32c_implementations),
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_prefetch_changes_nothing),
		cmocka_unit_test(test_restore_anywhere_gives_same_alerts),
		cmocka_unit_test(test_restore_sequential_gives_same_alerts),
		cmocka_unit_test(test_restore_storm_gate_gives_same_alerts),
		cmocka_unit_test(test_restore_per_source_baselines),
		cmocka_unit_test(test_restore_offered_gate_gives_same_alerts),
		cmocka_unit_test(test_restore_sequential_hourly_threshold),
		cmocka_unit_test(test_restore_sequential_hourly_raises),
		cmocka_unit_test(test_restore_sequential_own_factor_lag),
		cmocka_unit_test(test_restore_with_sources_gives_same_alerts),
		cmocka_unit_test(test_restore_with_clock_behind_gives_same_alerts),
		cmocka_unit_test(test_call_id_of_hash_zero_restored),
		cmocka_unit_test(test_damaged_snapshot_refused),
		cmocka_unit_test(test_restore_then_save_same_bytes),
		cmocka_unit_test(test_operator_owners_of_any_length_restored),
		cmocka_unit_test(test_counters_by_name),
		cmocka_unit_test(test_other_format_reported),
		cmocka_unit_test(test_older_formats_snapshot_read),
		cmocka_unit_test(test_state_incomplete_resolves_after_the_longest_window),
		cmocka_unit_test(test_state_incomplete_counts_from_the_loss),
		cmocka_unit_test(test_state_incomplete_inconsistent_is_damage),
		cmocka_unit_test(test_events_too_late_restored),
		cmocka_unit_test(test_restore_out_of_memory_anywhere_is_no_damage),
		cmocka_unit_test(test_stamp_read_back),
		cmocka_unit_test(test_equal_state_equal_bytes),
		cmocka_unit_test(test_streamed_snapshot_same_bytes),
		cmocka_unit_test(test_saved_configuration_validated),
		cmocka_unit_test(test_reconfigure_keeps_window_state),
		cmocka_unit_test(test_operator_state_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
