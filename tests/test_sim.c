/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Tests for tools/cadmon-sim: runs the built binary (path in $CADMON_SIM) and checks that its
 * output is deterministic, valid feed protocol v1, well-formed per call, that the
 * misbehaving operators' short operator-released calls rise after their onsets, that a storm
 * raises everyone's, that cut-off callers redial and pocket dials repeat, and that the
 * presets and the ground truth say what happened.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "tool_run.h"

#define MAX_CALLS 4096
#define MAX_OPERATORS 16
#define SHORT_TALK_MS 20000 /* cadmon's default max_talk_seconds */

/* The small shift most tests use: 4 operators for 6 hours, op-02 cuts calls after 2 hours. */
#define SMALL_SHIFT "--operators", "4", "--hours", "6", "--bad-operator", "2", \
		    "--onset-hours", "2", "--hangup-share", "0.5"
#define ONSET_MS INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */

/* Pinned from a run of the small shift with --seed 7: the simulator is deterministic. */
#define SEED_7_LINES 650
#define SEED_7_CALLS 246
#define SEED_7_FNV1A UINT64_C(0x01846757603312f6)
#define SEED_7_FIRST_LINE                                                                          \
	"{\"type\":\"call_start\",\"call_id\":\"DEMO-000001\",\"ts\":\"2026-11-29T06:00:33."       \
	"584Z\","                                                                                  \
	"\"operator\":\"op-02\",\"agency\":\"DEMO\",\"position\":\"P02\",\"ani\":\"2255556848\"}"  \
	"\n"
#define SEED_7_BAD_BEFORE_CALLS 25
#define SEED_7_BAD_BEFORE_PREMATURE 2
#define SEED_7_BAD_AFTER_CALLS 46
#define SEED_7_BAD_AFTER_PREMATURE 19
#define SEED_7_TRUTH                                                                               \
	"{\"scenario\":\"shift\",\"seed\":7,\"agency\":\"DEMO\",\"start\":\"2026-11-29T06:00:00."  \
	"000Z\","                                                                                  \
	"\"hours\":6,\"operators\":4,\"calls_per_hour\":10,\"pocket_share\":0.1,"                  \
	"\"calls\":246,\"lines\":650}\n"                                                           \
	"{\"operator\":\"op-01\",\"agency\":\"DEMO\",\"misbehaving\":false,"                       \
	"\"calls\":57,\"pocket_dials\":6,\"abandoned_calls\":3,\"cut_off_calls\":0}\n"             \
	"{\"operator\":\"op-02\",\"agency\":\"DEMO\",\"misbehaving\":true,"                        \
	"\"onset\":\"2026-11-29T08:00:00.000Z\",\"hangup_share\":0.5,"                             \
	"\"calls\":71,\"pocket_dials\":7,\"abandoned_calls\":2,\"cut_off_calls\":14}\n"            \
	"{\"operator\":\"op-03\",\"agency\":\"DEMO\",\"misbehaving\":false,"                       \
	"\"calls\":62,\"pocket_dials\":7,\"abandoned_calls\":2,\"cut_off_calls\":0}\n"             \
	"{\"operator\":\"op-04\",\"agency\":\"DEMO\",\"misbehaving\":false,"                       \
	"\"calls\":56,\"pocket_dials\":7,\"abandoned_calls\":1,\"cut_off_calls\":0}\n"

/* Run $CADMON_SIM with args (NULL-terminated). */
static void run_sim(const char *const args[], struct tool_run *run)
{
	tool_run(getenv("CADMON_SIM"), args, NULL, run);
}

/* ---- reading the protocol lines ---------------------------------------------------------- */

/* Days since 1970-01-01 of a Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Epoch ms of exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" (what the simulator writes); -1 otherwise. */
static int64_t parse_ts(const char *ts)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	int64_t f[7] = { 0 };
	static const int starts[7] = { 0, 5, 8, 11, 14, 17, 20 };
	static const int widths[7] = { 4, 2, 2, 2, 2, 2, 3 };

	if (strlen(ts) != sizeof(pattern) - 1)
		return -1;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != pattern[i])
			return -1;
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < widths[i]; j++)
			f[i] = f[i] * 10 + (ts[starts[i] + j] - '0');
	return (((days_from_civil(f[0], f[1], f[2]) * 24 + f[3]) * 60 + f[4]) * 60 + f[5]) * 1000 +
	       f[6];
}

/* What the tests learn about one call from its lines. */
struct call_record {
	unsigned starts, ends, incidents, transfers;
	int64_t start_ms, end_ms, incident_ms, transfer_ms;
	unsigned operator_number;
	char released_by[16];
	char ani[16]; /* "" when the call_start had none */
};

struct shift {
	struct call_record calls[MAX_CALLS + 1]; /* by call number, 1.. */
	unsigned call_count;
	unsigned lines;
};

static const char *string_field(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

/* Assert that the object has exactly these string fields ("ani" optional), no others. */
static void assert_fields(json_object *object, const char *const names[], size_t count,
			  bool ani_optional)
{
	size_t expected = count;

	for (size_t i = 0; i < count; i++) {
		if (!string_field(object, names[i]))
			fail_msg("missing string field \"%s\" in %s", names[i],
				 json_object_to_json_string(object));
	}
	if (ani_optional && string_field(object, "ani")) {
		const char *ani = string_field(object, "ani");
		expected++;
		assert_int_equal(strlen(ani), 10);
		assert_int_equal(strspn(ani, "0123456789"), 10);
	}
	assert_int_equal(json_object_object_length(object), expected);
}

static void check_fields_of_type(json_object *object, const char *type)
{
	static const char *const start_fields[] = { "type", "call_id", "ts", "operator", "agency",
						    "position" };
	static const char *const incident_fields[] = { "type", "call_id", "ts", "incident_id" };
	static const char *const transfer_fields[] = { "type", "call_id", "ts", "to" };
	static const char *const end_fields[] = { "type", "call_id", "ts", "released_by" };

	if (strcmp(type, "call_start") == 0)
		assert_fields(object, start_fields, 6, true);
	else if (strcmp(type, "incident") == 0)
		assert_fields(object, incident_fields, 4, false);
	else if (strcmp(type, "transfer") == 0)
		assert_fields(object, transfer_fields, 4, false);
	else if (strcmp(type, "call_end") == 0)
		assert_fields(object, end_fields, 4, false);
	else
		fail_msg("unknown type \"%s\"", type);
}

/* Record one parsed line's event into its call. */
static void record_event(struct shift *shift, json_object *object, const char *type, int64_t ts_ms)
{
	unsigned number = 0;
	const char *call_id = string_field(object, "call_id");

	assert_int_equal(sscanf(call_id, "DEMO-%6u", &number), 1);
	assert_true(number >= 1 && number <= MAX_CALLS);
	struct call_record *call = &shift->calls[number];
	if (number > shift->call_count)
		shift->call_count = number;
	if (strcmp(type, "call_start") == 0) {
		call->starts++;
		call->start_ms = ts_ms;
		assert_int_equal(
			sscanf(string_field(object, "operator"), "op-%2u", &call->operator_number),
			1);
		const char *ani = string_field(object, "ani");
		snprintf(call->ani, sizeof(call->ani), "%s", ani ? ani : "");
		assert_true(call->operator_number >= 1 && call->operator_number <= MAX_OPERATORS);
	} else if (strcmp(type, "call_end") == 0) {
		call->ends++;
		call->end_ms = ts_ms;
		snprintf(call->released_by, sizeof(call->released_by), "%s",
			 string_field(object, "released_by"));
	} else if (strcmp(type, "incident") == 0) {
		call->incidents++;
		call->incident_ms = ts_ms;
	} else {
		call->transfers++;
		call->transfer_ms = ts_ms;
	}
}

/* Parse every line, checking fields and ts order; fills *shift. */
static void parse_shift(const char *output, struct shift *shift)
{
	json_tokener *tokener = json_tokener_new();
	int64_t previous_ms = 0;
	const char *line = output;

	memset(shift, 0, sizeof(*shift));
	for (const char *newline; (newline = strchr(line, '\n')); line = newline + 1) {
		json_tokener_reset(tokener);
		json_object *object = json_tokener_parse_ex(tokener, line, (int)(newline - line));
		if (!object || json_tokener_get_parse_end(tokener) != (size_t)(newline - line))
			fail_msg("line %u is not one JSON object: %.*s", shift->lines + 1,
				 (int)(newline - line), line);
		assert_true(json_object_is_type(object, json_type_object));
		const char *type = string_field(object, "type");
		assert_non_null(type);
		check_fields_of_type(object, type);
		int64_t ts_ms = parse_ts(string_field(object, "ts"));
		assert_true(ts_ms > 0);
		assert_true(ts_ms >= previous_ms);
		previous_ms = ts_ms;
		record_event(shift, object, type, ts_ms);
		json_object_put(object);
		shift->lines++;
	}
	assert_int_equal(*line, '\0'); /* the output ends with a newline */
	json_tokener_free(tokener);
}

static uint64_t fnv1a64(const char *data, size_t len)
{
	uint64_t hash = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)data[i]) * UINT64_C(0x100000001b3);
	return hash;
}

/* ---- the tests --------------------------------------------------------------------------- */

static void test_same_seed_gives_identical_bytes(void **state)
{
	static const char *const args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	struct tool_run first, second;

	(void)state;
	run_sim(args, &first);
	run_sim(args, &second);
	assert_int_equal(first.exit_status, 0);
	assert_int_equal(second.exit_status, 0);
	assert_true(first.out_len > 0);
	assert_int_equal(first.out_len, second.out_len);
	assert_memory_equal(first.out, second.out, first.out_len);
	assert_string_equal(first.err, "");
	tool_run_free(&first);
	tool_run_free(&second);
}

static void test_different_seed_gives_different_output(void **state)
{
	static const char *const seed_7[] = { "--seed", "7", SMALL_SHIFT, NULL };
	static const char *const seed_8[] = { "--seed", "8", SMALL_SHIFT, NULL };
	struct tool_run a, b;

	(void)state;
	run_sim(seed_7, &a);
	run_sim(seed_8, &b);
	assert_int_equal(b.exit_status, 0);
	assert_true(a.out_len != b.out_len || memcmp(a.out, b.out, a.out_len) != 0);
	tool_run_free(&a);
	tool_run_free(&b);
}

/* The exact output for seed 7, pinned: the same bytes on every platform and compiler. */
static void test_seed_7_exact_output(void **state)
{
	static const char *const args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	struct tool_run run;
	unsigned lines = 0;

	(void)state;
	run_sim(args, &run);
	for (size_t i = 0; i < run.out_len; i++)
		lines += run.out[i] == '\n';
	assert_int_equal(lines, SEED_7_LINES);
	assert_int_equal(strncmp(run.out, SEED_7_FIRST_LINE, strlen(SEED_7_FIRST_LINE)), 0);
	assert_int_equal(fnv1a64(run.out, run.out_len), SEED_7_FNV1A);
	tool_run_free(&run);
}

static void test_every_line_is_protocol_v1_in_ts_order(void **state)
{
	static const char *const args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	static struct shift shift;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	parse_shift(run.out, &shift);
	assert_int_equal(shift.lines, SEED_7_LINES);
	tool_run_free(&run);
}

static void test_each_call_starts_and_ends_once(void **state)
{
	static const char *const args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	static struct shift shift;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	parse_shift(run.out, &shift);
	assert_int_equal(shift.call_count, SEED_7_CALLS);
	for (unsigned i = 1; i <= shift.call_count; i++) {
		const struct call_record *call = &shift.calls[i];
		assert_int_equal(call->starts, 1);
		assert_int_equal(call->ends, 1);
		assert_true(call->end_ms >= call->start_ms);
		assert_true(call->incidents <= 1 && call->transfers <= 1);
		if (call->incidents)
			assert_true(call->incident_ms > call->start_ms &&
				    call->incident_ms < call->end_ms);
		if (call->transfers)
			assert_true(call->transfer_ms > call->start_ms &&
				    call->transfer_ms < call->end_ms);
	}
	tool_run_free(&run);
}

/* Short (< 20 s), released by the operator, nothing done: what the detector calls premature. */
static bool looks_premature(const struct call_record *call)
{
	return call->end_ms - call->start_ms < SHORT_TALK_MS && call->incidents == 0 &&
	       call->transfers == 0 && strcmp(call->released_by, "operator") == 0;
}

struct share {
	unsigned calls, premature;
};

static void count_premature(const struct shift *shift, unsigned operator_number,
			    struct share *before, struct share *after)
{
	memset(before, 0, sizeof(*before));
	memset(after, 0, sizeof(*after));
	for (unsigned i = 1; i <= shift->call_count; i++) {
		const struct call_record *call = &shift->calls[i];
		if (call->operator_number != operator_number)
			continue;
		struct share *side = call->start_ms < ONSET_MS ? before : after;
		side->calls++;
		side->premature += looks_premature(call);
	}
}

static void test_bad_operator_cuts_calls_after_onset(void **state)
{
	static const char *const args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	static struct shift shift;
	struct share before, after;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	parse_shift(run.out, &shift);
	count_premature(&shift, 2, &before, &after);
	assert_int_equal(before.calls, SEED_7_BAD_BEFORE_CALLS);
	assert_int_equal(before.premature, SEED_7_BAD_BEFORE_PREMATURE);
	assert_int_equal(after.calls, SEED_7_BAD_AFTER_CALLS);
	assert_int_equal(after.premature, SEED_7_BAD_AFTER_PREMATURE);
	/* well above: at least three times the share before onset, and above a third */
	assert_true(after.premature * before.calls >= 3 * before.premature * after.calls);
	assert_true(3 * after.premature > after.calls);
	for (unsigned op = 1; op <= 4; op++) {
		if (op == 2)
			continue;
		count_premature(&shift, op, &before, &after);
		assert_true(5 * after.premature <
			    after.calls); /* honest: pocket dials, under 20% */
	}
	tool_run_free(&run);
}

static void test_no_bad_operator_means_no_rise(void **state)
{
	static const char *const args[] = {
		"--seed", "7", SMALL_SHIFT, "--bad-operator", "-1", NULL
	};
	static struct shift shift;
	struct share before, after;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	parse_shift(run.out, &shift);
	count_premature(&shift, 2, &before, &after);
	assert_true(5 * after.premature < after.calls);
	tool_run_free(&run);
}

/* Read a whole small file into a malloc'd string. */
static char *read_file(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = calloc(1, 65536);

	assert_non_null(file);
	assert_non_null(text);
	size_t len = fread(text, 1, 65535, file);
	assert_true(len < 65535);
	fclose(file);
	return text;
}

static void test_truth_file_names_the_bad_operator(void **state)
{
	char dir[] = "/tmp/test_sim.XXXXXX";
	char path[64];
	struct tool_run run;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/truth.ndjson", dir);
	const char *const args[] = { "--seed", "7", SMALL_SHIFT, "--truth", path, NULL };
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	char *truth = read_file(path);
	assert_string_equal(truth, SEED_7_TRUTH);
	free(truth);
	unlink(path);
	rmdir(dir);
	tool_run_free(&run);
}

static void expect_usage_error(const char *const args[], const char *message)
{
	struct tool_run run;

	run_sim(args, &run);
	assert_int_equal(run.exit_status, 2);
	assert_string_equal(run.out, "");
	assert_string_equal(run.err, message);
	tool_run_free(&run);
}

static void test_bad_options_exit_2_with_a_message(void **state)
{
	static const char *const zero_operators[] = { "--operators", "0", NULL };
	static const char *const missing_operator[] = { "--operators", "4", "--bad-operator", "9",
							NULL };
	static const char *const default_missing[] = { "--operators", "3", NULL };
	static const char *const unknown[] = { "--frobnicate", NULL };
	static const char *const no_value[] = { "--seed", NULL };
	static const char *const bad_start[] = { "--start", "2026-13-01T00:00:00Z", NULL };
	static const char *const bad_share[] = { "--hangup-share", "1.5", NULL };
	/* getaddrinfo reads a port with strtoul: 99999, +99999 and " 99999" would be 34463 */
	static const char *const bad_ports[] = { "127.0.0.1:99999", "127.0.0.1:+99999",
						 "127.0.0.1: 99999", "127.0.0.1:-1",
						 "127.0.0.1:0x10", "[::1]:0" };

	(void)state;
	expect_usage_error(zero_operators,
		"cadmon-sim: --operators: expected an integer from 1 to 999, got \"0\"\n"
		"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(missing_operator, "cadmon-sim: --bad-operator: expected an operator "
					     "number from 1 to 4, or -1 for none, got 9\n"
					     "Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(default_missing,
		"cadmon-sim: --bad-operator: the default, op-05, is beyond --operators 3; "
		"give --bad-operator N or -1\n"
		"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(unknown,
		"cadmon-sim: unknown option \"--frobnicate\"\nTry 'cadmon-sim -h' for help.\n");
	expect_usage_error(no_value,
		"cadmon-sim: option \"--seed\" needs a value\nTry 'cadmon-sim -h' for help.\n");
	expect_usage_error(bad_share, "cadmon-sim: --hangup-share: expected a number of at least 0 "
				      "and at most 1, got \"1.5\"\n"
				      "Try 'cadmon-sim -h' for help.\n");
	for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
		const char *const args[] = { "--connect", bad_ports[i], NULL };
		char expected[160];

		snprintf(expected, sizeof expected,
			 "cadmon-sim: --connect: expected HOST:PORT (or [V6]:PORT), PORT from 1 to "
			 "65535, got \"%s\"\nTry 'cadmon-sim -h' for help.\n",
			 bad_ports[i]);
		expect_usage_error(args, expected);
	}
	struct tool_run run;
	run_sim(bad_start, &run);
	assert_int_equal(run.exit_status, 2);
	assert_int_equal(strncmp(run.err, "cadmon-sim: --start: ", 21), 0);
	tool_run_free(&run);
}

/* --source is judged by event_source_check, as the daemon judges a hello's source: a DEL or 65
 * bytes refused; 64 bytes, quotes and backslashes taken, escaped in the hello. */
static void test_source_is_a_hello_source(void **state)
{
	static const char name64[] =
		"01234567890123456789012345678901" "23456789012345678901234567890123";
	static const char *const del[] = { "--source", "cad\x7f" "east", NULL };
	static const char *const long65[] = {
		"--source", "01234567890123456789012345678901" "234567890123456789012345678901234",
		NULL
	};
	static const char *const quoted[] = { "--source", "cad \"west\\",
					      "--seed", "7", SMALL_SHIFT, NULL };
	static const char *const fits[] = { "--source", name64, "--seed", "7", SMALL_SHIFT, NULL };
	static const char *const plain[] = { "--seed", "7", SMALL_SHIFT, NULL };
	struct tool_run run, without;
	char hello[160];
	size_t len;

	(void)state;
	assert_int_equal(strlen(name64), 64);
	expect_usage_error(del, "cadmon-sim: --source: expected 1 to 64 bytes without control "
				"characters, got \"cad\x7f" "east\"\n"
				"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(long65, "cadmon-sim: --source: expected 1 to 64 bytes without control "
				   "characters, got \"01234567890123456789012345678901"
				   "234567890123456789012345678901234\"\n"
				   "Try 'cadmon-sim -h' for help.\n");
	run_sim(plain, &without);
	assert_int_equal(without.exit_status, 0);
	run_sim(quoted, &run);
	assert_int_equal(run.exit_status, 0);
	len = strlen("{\"hello\":\"feed\",\"source\":\"cad \\\"west\\\\\"}\n");
	assert_int_equal(strncmp(run.out, "{\"hello\":\"feed\",\"source\":\"cad \\\"west\\\\\"}\n",
				 len),
			 0);
	assert_string_equal(run.out + len, without.out);
	/* read back as JSON: the name as given */
	json_object *object = json_tokener_parse(run.out);
	assert_non_null(object);
	assert_string_equal(string_field(object, "source"), "cad \"west\\");
	json_object_put(object);
	tool_run_free(&run);
	run_sim(fits, &run);
	assert_int_equal(run.exit_status, 0);
	snprintf(hello, sizeof hello, "{\"hello\":\"feed\",\"source\":\"%s\"}\n", name64);
	assert_int_equal(strncmp(run.out, hello, strlen(hello)), 0);
	assert_string_equal(run.out + strlen(hello), without.out);
	tool_run_free(&run);
	tool_run_free(&without);
}

static void test_help_exits_0(void **state)
{
	static const char *const args[] = { "-h", NULL };
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	assert_int_equal(strncmp(run.out, "usage: cadmon-sim [OPTION...]\n", 30), 0);
	tool_run_free(&run);
}

/* A loopback listener on an ephemeral port. */
static int listen_loopback(unsigned *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET,
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
	*port = ntohs(address.sin_port);
	return fd;
}

static void test_connect_sends_the_same_bytes(void **state)
{
	static const char *const stdout_args[] = { "--seed", "7", SMALL_SHIFT, NULL };
	char address[32];
	unsigned port;
	int listener = listen_loopback(&port);
	struct tool_run expected, run;
	struct tool_child child;
	char *received = calloc(1, 1);
	size_t received_len = 0;

	(void)state;
	snprintf(address, sizeof(address), "127.0.0.1:%u", port);
	const char *const connect_args[] = {
		"--seed", "7", SMALL_SHIFT, "--connect", address, NULL
	};
	tool_run_start(getenv("CADMON_SIM"), connect_args, NULL, &child);
	int connection = accept(listener, NULL, NULL);
	assert_true(connection >= 0);
	while (tool_run_read(connection, &received, &received_len))
		;
	close(connection);
	close(listener);
	tool_run_finish(&child, &run);
	assert_int_equal(run.exit_status, 0);
	assert_string_equal(run.out, "");
	run_sim(stdout_args, &expected);
	assert_int_equal(received_len, expected.out_len);
	assert_memory_equal(received, expected.out, expected.out_len);
	free(received);
	tool_run_free(&expected);
	tool_run_free(&run);
}

/* --speed changes when lines are written, never what is written. */
static void test_paced_output_is_the_same(void **state)
{
	static const char *const fast[] = { "--seed", "3", "--operators", "3", "--hours", "0.5",
					    "--bad-operator", "-1", NULL };
	static const char *const paced[] = { "--seed", "3", "--operators", "3", "--hours", "0.5",
					     "--bad-operator", "-1", "--speed", "36000", NULL };
	struct tool_run a, b;

	(void)state;
	run_sim(fast, &a);
	run_sim(paced, &b);
	assert_int_equal(b.exit_status, 0);
	assert_true(a.out_len > 0);
	assert_int_equal(a.out_len, b.out_len);
	assert_memory_equal(a.out, b.out, a.out_len);
	tool_run_free(&a);
	tool_run_free(&b);
}

/* ---- scenarios: storm, several misbehaving operators, redials, pocket repeats, presets ---- */

#define STORM_SHIFT "--seed", "7", "--operators", "4", "--hours", "6", "--bad-operator", "-1", \
		    "--storm-start", "2", "--storm-hours", "1.5"
#define STORM_START_MS INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define STORM_END_MS INT64_C(1795944600000)   /* 2026-11-29T09:30:00Z */
#define STORM_LINES 760
#define STORM_CALLS_INSIDE 107
#define STORM_PREMATURE_INSIDE 46
#define STORM_CALLS_OUTSIDE 184
#define STORM_PREMATURE_OUTSIDE 21

/* Calls of one operator (0: every operator) that started in [from_ms, to_ms), and how many of
 * them look premature. */
static void count_between(const struct shift *shift, unsigned operator_number, int64_t from_ms,
			  int64_t to_ms, struct share *share)
{
	memset(share, 0, sizeof(*share));
	for (unsigned i = 1; i <= shift->call_count; i++) {
		const struct call_record *call = &shift->calls[i];
		if ((operator_number && call->operator_number != operator_number) ||
		    call->start_ms < from_ms || call->start_ms >= to_ms)
			continue;
		share->calls++;
		share->premature += looks_premature(call);
	}
}

static void test_storm_raises_every_operators_short_calls(void **state)
{
	static const char *const args[] = { STORM_SHIFT, NULL };
	static struct shift shift;
	struct share inside, outside, before, after;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	parse_shift(run.out, &shift);
	count_between(&shift, 0, STORM_START_MS, STORM_END_MS, &inside);
	count_between(&shift, 0, 0, STORM_START_MS, &before);
	count_between(&shift, 0, STORM_END_MS, INT64_MAX, &after);
	outside = (struct share){ before.calls + after.calls, before.premature + after.premature };
	assert_int_equal(inside.calls, STORM_CALLS_INSIDE);
	assert_int_equal(inside.premature, STORM_PREMATURE_INSIDE);
	assert_int_equal(outside.calls, STORM_CALLS_OUTSIDE);
	assert_int_equal(outside.premature, STORM_PREMATURE_OUTSIDE);
	/* the storm's 1.5 hours have over 1.2 times the calls an hour of the other 4.5 */
	assert_true(inside.calls * 4.5 > 1.2 * 1.5 * outside.calls);
	for (unsigned op = 1; op <= 4; op++) {
		count_between(&shift, op, STORM_START_MS, STORM_END_MS, &inside);
		count_between(&shift, op, 0, STORM_START_MS, &before);
		count_between(&shift, op, STORM_END_MS, INT64_MAX, &after);
		outside = (struct share){ before.calls + after.calls,
					  before.premature + after.premature };
		/* inside: over a quarter of the calls, and at least twice the share outside */
		assert_true(4 * inside.premature > inside.calls);
		assert_true(inside.premature * outside.calls >=
			    2 * outside.premature * inside.calls);
	}
	tool_run_free(&run);
}

/* Without a storm, the same seed gives the same calls outside the storm's hours. */
static void test_storm_leaves_the_other_hours_alone(void **state)
{
	static const char *const plain[] = { "--seed", "7", "--operators", "4", "--hours", "6",
					     "--bad-operator", "-1", NULL };
	static const char *const stormy[] = { STORM_SHIFT, NULL };
	static struct shift without, with;
	struct share a, b;
	struct tool_run run_without, run_with;

	(void)state;
	run_sim(plain, &run_without);
	run_sim(stormy, &run_with);
	parse_shift(run_without.out, &without);
	parse_shift(run_with.out, &with);
	count_between(&without, 0, 0, STORM_START_MS, &a);
	count_between(&with, 0, 0, STORM_START_MS, &b);
	assert_int_equal(a.calls, b.calls);
	assert_int_equal(a.premature, b.premature);
	for (unsigned i = 1; i <= a.calls; i++) {
		assert_int_equal(without.calls[i].start_ms, with.calls[i].start_ms);
		assert_int_equal(without.calls[i].end_ms, with.calls[i].end_ms);
		assert_string_equal(without.calls[i].ani, with.calls[i].ani);
	}
	tool_run_free(&run_without);
	tool_run_free(&run_with);
}

#define SEVERAL_BAD "--seed", "7", "--operators", "5", "--hours", "6", \
		    "--bad", "2:1:0.5", "--bad", "4:3:0.33"
#define SEVERAL_ONSET_2_MS INT64_C(1795935600000) /* 07:00Z */
#define SEVERAL_ONSET_4_MS INT64_C(1795942800000) /* 09:00Z */

struct bad_expectation {
	unsigned operator_number;
	int64_t onset_ms;
	unsigned before_calls, before_premature, after_calls, after_premature;
};

static void test_each_bad_operator_from_its_own_onset(void **state)
{
	static const char *const args[] = { SEVERAL_BAD, NULL };
	static const struct bad_expectation expected[] = {
		{ 2, SEVERAL_ONSET_2_MS, 16, 1, 55, 23 },
		{ 4, SEVERAL_ONSET_4_MS, 27, 5, 30, 11 },
	};
	static struct shift shift;
	struct share before, after;
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	parse_shift(run.out, &shift);
	for (size_t i = 0; i < 2; i++) {
		const struct bad_expectation *e = &expected[i];
		count_between(&shift, e->operator_number, 0, e->onset_ms, &before);
		count_between(&shift, e->operator_number, e->onset_ms, INT64_MAX, &after);
		assert_int_equal(before.calls, e->before_calls);
		assert_int_equal(before.premature, e->before_premature);
		assert_int_equal(after.calls, e->after_calls);
		assert_int_equal(after.premature, e->after_premature);
		/* after onset: over a quarter, and well above the share before */
		assert_true(4 * after.premature > after.calls);
		assert_true(2 * after.premature * before.calls >=
			    3 * before.premature * after.calls);
	}
	for (unsigned op = 1; op <= 5; op += 2) { /* the honest: pocket dials, under 20% */
		count_between(&shift, op, 0, INT64_MAX, &after);
		assert_true(5 * after.premature < after.calls);
	}
	tool_run_free(&run);
}

/* A cut-off call of the misbehaving op-02 (short, by the operator, after onset). */
static bool looks_cut_off(const struct call_record *call)
{
	return call->operator_number == 2 && call->start_ms >= ONSET_MS && looks_premature(call);
}

/* The cut-off call whose caller this call is, ringing again 1-5 minutes later; 0 if none. */
static unsigned redial_origin(const struct shift *shift, unsigned number)
{
	const struct call_record *call = &shift->calls[number];

	for (unsigned i = 1; i < number && call->ani[0]; i++) {
		const struct call_record *origin = &shift->calls[i];
		int64_t gap_ms = call->start_ms - origin->end_ms;
		if (looks_cut_off(origin) && strcmp(origin->ani, call->ani) == 0 &&
		    gap_ms >= 60000 && gap_ms <= 300000)
			return i;
	}
	return 0;
}

#define REDIAL_SHIFT "--seed", "7", SMALL_SHIFT, "--redial-share", "1", \
		     "--pocket-repeat-share", "0"
#define REDIALS_SEEN 12 /* found from the lines alone: every one of the truth's redials */
#define REDIAL_TRUTH                                                                               \
	"{\"scenario\":\"shift\",\"seed\":7,\"agency\":\"DEMO\",\"start\":\"2026-11-29T06:00:00."  \
	"000Z\","                                                                                  \
	"\"hours\":6,\"operators\":4,\"calls_per_hour\":10,\"pocket_share\":0.1,"                  \
	"\"calls\":258,\"lines\":685,\"redial_share\":1,\"cut_off_calls\":14,\"redials\":12}\n"    \
	"{\"operator\":\"op-01\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":61,"          \
	"\"pocket_dials\":6,\"abandoned_calls\":3,\"cut_off_calls\":0,\"cut_off_redialed\":0,"     \
	"\"redials_answered\":4}\n"                                                                \
	"{\"operator\":\"op-02\",\"agency\":\"DEMO\",\"misbehaving\":true,"                        \
	"\"onset\":\"2026-11-29T08:00:00.000Z\",\"hangup_share\":0.5,\"calls\":71,"                \
	"\"pocket_dials\":7,\"abandoned_calls\":2,\"cut_off_calls\":14,\"cut_off_redialed\":12,"   \
	"\"redials_answered\":0}\n"                                                                \
	"{\"operator\":\"op-03\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":67,"          \
	"\"pocket_dials\":7,\"abandoned_calls\":2,\"cut_off_calls\":0,\"cut_off_redialed\":0,"     \
	"\"redials_answered\":5}\n"                                                                \
	"{\"operator\":\"op-04\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":59,"          \
	"\"pocket_dials\":7,\"abandoned_calls\":1,\"cut_off_calls\":0,\"cut_off_redialed\":0,"     \
	"\"redials_answered\":3}\n"

static void test_cut_off_callers_redial(void **state)
{
	char dir[] = "/tmp/test_sim.XXXXXX";
	char path[64];
	static struct shift shift;
	unsigned redials = 0;
	struct tool_run run;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/truth.ndjson", dir);
	const char *const args[] = { REDIAL_SHIFT, "--truth", path, NULL };
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	parse_shift(run.out, &shift);
	for (unsigned i = 1; i <= shift.call_count; i++) {
		const struct call_record *call = &shift.calls[i];
		if (!redial_origin(&shift, i))
			continue;
		redials++;
		assert_true(call->operator_number != 2);           /* someone else answers */
		assert_true(call->end_ms - call->start_ms >= 25000); /* a real call */
	}
	assert_int_equal(redials, REDIALS_SEEN);
	char *truth = read_file(path);
	assert_string_equal(truth, REDIAL_TRUTH);
	free(truth);
	unlink(path);
	rmdir(dir);
	tool_run_free(&run);
}

/* Distinct numbers among the short operator-released calls of an honest shift (pocket dials). */
static unsigned distinct_pocket_numbers(const struct shift *shift, unsigned *pocket_calls)
{
	unsigned distinct = 0;

	*pocket_calls = 0;
	for (unsigned i = 1; i <= shift->call_count; i++) {
		const struct call_record *call = &shift->calls[i];
		if (!looks_premature(call) || !call->ani[0])
			continue;
		(*pocket_calls)++;
		bool seen = false;
		for (unsigned j = 1; j < i && !seen; j++)
			seen = looks_premature(&shift->calls[j]) &&
			       strcmp(shift->calls[j].ani, call->ani) == 0;
		distinct += !seen;
	}
	return distinct;
}

static void test_pocket_dials_repeat_from_the_same_numbers(void **state)
{
	static const char *const never[] = {
		"--seed",	  "7",	"--operators",		 "4", "--hours", "6",
		"--bad-operator", "-1", "--pocket-repeat-share", "0", NULL
	};
	static const char *const always[] = {
		"--seed",	  "7",	"--operators",		 "4", "--hours", "6",
		"--bad-operator", "-1", "--pocket-repeat-share", "1", NULL
	};
	static struct shift shift;
	unsigned pocket_calls;
	struct tool_run run;

	(void)state;
	run_sim(never, &run);
	parse_shift(run.out, &shift);
	unsigned distinct = distinct_pocket_numbers(&shift, &pocket_calls);
	assert_int_equal(distinct, pocket_calls);
	tool_run_free(&run);
	run_sim(always, &run);
	parse_shift(run.out, &shift);
	distinct = distinct_pocket_numbers(&shift, &pocket_calls);
	assert_int_equal(distinct, 1);
	assert_true(pocket_calls > 10);
	tool_run_free(&run);
}

/* The storm-bad preset, shortened to 6 operators and 6 hours, seed 7. */
#define STORM_BAD_TRUTH                                                                            \
	"{\"scenario\":\"storm-bad\",\"seed\":7,\"agency\":\"DEMO\","                              \
	"\"start\":\"2026-11-29T06:00:00.000Z\",\"hours\":6,\"operators\":6,\"calls_per_hour\":"   \
	"10,"                                                                                      \
	"\"pocket_share\":0.1,\"calls\":420,\"lines\":1089,\"storm\":{\"start\":"                  \
	"\"2026-11-29T10:00:00.000Z\",\"end\":\"2026-11-29T11:00:00.000Z\",\"short_share\":0.35,"  \
	"\"volume_factor\":1.5},\"redial_share\":0.5,\"cut_off_calls\":13,\"redials\":7}\n"        \
	"{\"operator\":\"op-01\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":64,"          \
	"\"pocket_dials\":6,\"abandoned_calls\":3,\"cut_off_calls\":0,\"storm_calls\":7,"          \
	"\"cut_off_redialed\":0,\"redials_answered\":3}\n"                                         \
	"{\"operator\":\"op-02\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":83,"          \
	"\"pocket_dials\":6,\"abandoned_calls\":1,\"cut_off_calls\":0,\"storm_calls\":9,"          \
	"\"cut_off_redialed\":0,\"redials_answered\":0}\n"                                         \
	"{\"operator\":\"op-03\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":68,"          \
	"\"pocket_dials\":7,\"abandoned_calls\":2,\"cut_off_calls\":0,\"storm_calls\":6,"          \
	"\"cut_off_redialed\":0,\"redials_answered\":2}\n"                                         \
	"{\"operator\":\"op-04\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":65,"          \
	"\"pocket_dials\":11,\"abandoned_calls\":1,\"cut_off_calls\":0,\"storm_calls\":8,"         \
	"\"cut_off_redialed\":0,\"redials_answered\":0}\n"                                         \
	"{\"operator\":\"op-05\",\"agency\":\"DEMO\",\"misbehaving\":true,"                        \
	"\"onset\":\"2026-11-29T09:00:00.000Z\",\"hangup_share\":0.33,\"calls\":85,"               \
	"\"pocket_dials\":9,\"abandoned_calls\":2,\"cut_off_calls\":13,\"storm_calls\":6,"         \
	"\"cut_off_redialed\":7,\"redials_answered\":0}\n"                                         \
	"{\"operator\":\"op-06\",\"agency\":\"DEMO\",\"misbehaving\":false,\"calls\":55,"          \
	"\"pocket_dials\":6,\"abandoned_calls\":1,\"cut_off_calls\":0,\"storm_calls\":2,"          \
	"\"cut_off_redialed\":0,\"redials_answered\":2}\n"

static void test_preset_truth_has_storm_and_redials(void **state)
{
	char dir[] = "/tmp/test_sim.XXXXXX";
	char path[64];
	struct tool_run run;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/truth.ndjson", dir);
	const char *const args[] = { "--hours", "6", "--scenario", "storm-bad", "--seed", "7",
				     "--operators", "6", "--truth", path, NULL };
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	char *truth = read_file(path);
	assert_string_equal(truth, STORM_BAD_TRUTH);
	free(truth);
	unlink(path);
	rmdir(dir);
	tool_run_free(&run);
}

static void test_several_bad_preset_names_three(void **state)
{
	char dir[] = "/tmp/test_sim.XXXXXX";
	char path[64];
	struct tool_run run;
	unsigned misbehaving = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/truth.ndjson", dir);
	const char *const args[] = { "--scenario", "several-bad", "--truth", path, NULL };
	run_sim(args, &run);
	assert_int_equal(run.exit_status, 0);
	char *truth = read_file(path);
	for (const char *at = truth; (at = strstr(at, "\"misbehaving\":true")); at++)
		misbehaving++;
	assert_int_equal(misbehaving, 3);
	assert_non_null(strstr(truth,
			       "\"operator\":\"op-03\",\"agency\":\"DEMO\",\"misbehaving\":true,"
			       "\"onset\":\"2026-11-29T07:00:00.000Z\",\"hangup_share\":0.2,"));
	assert_non_null(strstr(truth,
			       "\"operator\":\"op-07\",\"agency\":\"DEMO\",\"misbehaving\":true,"
			       "\"onset\":\"2026-11-29T08:30:00.000Z\",\"hangup_share\":0.33,"));
	assert_non_null(strstr(truth,
			       "\"operator\":\"op-10\",\"agency\":\"DEMO\",\"misbehaving\":true,"
			       "\"onset\":\"2026-11-29T10:00:00.000Z\",\"hangup_share\":0.5,"));
	free(truth);
	unlink(path);
	rmdir(dir);
	tool_run_free(&run);
}

static void test_new_options_exit_2_with_a_message(void **state)
{
	static const char *const unknown_preset[] = { "--scenario", "nope", NULL };
	static const char *const twice[] = { "--bad", "3:1:0.2", "--bad", "3:2:0.3", NULL };
	static const char *const mixed[] = { "--bad", "3:1:0.2", "--hangup-share", "0.2", NULL };
	static const char *const malformed[] = { "--bad", "3:1", NULL };
	static const char *const no_storm[] = { "--storm-share", "0.5", NULL };
	static const char *const late_storm[] = { "--storm-start", "7.5", NULL };
	static const char *const small_preset[] = { "--scenario", "several-bad", "--operators", "5",
						    NULL };

	(void)state;
	expect_usage_error(unknown_preset,
		"cadmon-sim: --scenario: expected one of baseline, one-bad, storm, storm-bad, "
		"several-bad, large, got \"nope\"\nTry 'cadmon-sim -h' for help.\n");
	expect_usage_error(twice, "cadmon-sim: --bad: op-03 is given twice\n"
		"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(mixed, "cadmon-sim: --bad: cannot be combined with --bad-operator, "
		"--onset-hours or --hangup-share\nTry 'cadmon-sim -h' for help.\n");
	expect_usage_error(malformed, "cadmon-sim: --bad: expected OPERATOR:ONSET_HOURS:SHARE "
		"(operator 1 to 999, share 0 to 1, e.g. 5:3:0.33), got \"3:1\"\n"
		"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(no_storm, "cadmon-sim: --storm-hours, --storm-share and --storm-volume "
		"need a storm: give --storm-start H or a storm --scenario\n"
		"Try 'cadmon-sim -h' for help.\n");
	expect_usage_error(late_storm, "cadmon-sim: the storm (from 7.5 h for 1 h) must lie within "
		"the 8-hour shift\nTry 'cadmon-sim -h' for help.\n");
	expect_usage_error(small_preset, "cadmon-sim: --scenario several-bad: op-07 is beyond "
		"--operators 5; give --bad or --bad-operator -1\nTry 'cadmon-sim -h' for help.\n");
}

/* -h documents every preset. */
static void test_help_lists_the_presets(void **state)
{
	static const char *const args[] = { "-h", NULL };
	static const char *const presets[] = { "\n  baseline ", "\n  one-bad ", "\n  storm ",
					       "\n  storm-bad ", "\n  several-bad ", "\n  large " };
	struct tool_run run;

	(void)state;
	run_sim(args, &run);
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strstr(run.out, presets[i]))
			fail_msg("-h does not list preset \"%s\"", presets[i] + 3);
	tool_run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_gives_identical_bytes),
		cmocka_unit_test(test_different_seed_gives_different_output),
		cmocka_unit_test(test_seed_7_exact_output),
		cmocka_unit_test(test_every_line_is_protocol_v1_in_ts_order),
		cmocka_unit_test(test_each_call_starts_and_ends_once),
		cmocka_unit_test(test_bad_operator_cuts_calls_after_onset),
		cmocka_unit_test(test_no_bad_operator_means_no_rise),
		cmocka_unit_test(test_truth_file_names_the_bad_operator),
		cmocka_unit_test(test_bad_options_exit_2_with_a_message),
		cmocka_unit_test(test_source_is_a_hello_source),
		cmocka_unit_test(test_help_exits_0),
		cmocka_unit_test(test_connect_sends_the_same_bytes),
		cmocka_unit_test(test_paced_output_is_the_same),
		cmocka_unit_test(test_storm_raises_every_operators_short_calls),
		cmocka_unit_test(test_storm_leaves_the_other_hours_alone),
		cmocka_unit_test(test_each_bad_operator_from_its_own_onset),
		cmocka_unit_test(test_cut_off_callers_redial),
		cmocka_unit_test(test_pocket_dials_repeat_from_the_same_numbers),
		cmocka_unit_test(test_preset_truth_has_storm_and_redials),
		cmocka_unit_test(test_several_bad_preset_names_three),
		cmocka_unit_test(test_new_options_exit_2_with_a_message),
		cmocka_unit_test(test_help_lists_the_presets),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
