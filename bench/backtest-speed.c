/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * backtest-speed: how fast cadmon-backtest replays feed lines, against json-c alone.
 *
 *   backtest-speed [-n LINES] [-w OUT] [FILE]
 *
 * Takes FILE's lines, or generates LINES (default 1,000,000) realistic protocol-v1 lines of a
 * busy center, and measures in one run, each REPEATS (7) times, interleaved, keeping the best:
 *   (a)  json-c alone: json_tokener_parse_ex + json_object_put per line (default flags);
 *   (a') the same with the flags the event parser sets (STRICT | VALIDATE_UTF8);
 *   (b)  the engine: engine_process_line per line, from memory (default configuration);
 *   (c)  cadmon-backtest's reading path end to end: the lines written to a file, read back
 *        by line_reader in 1 MiB chunks into the engine with the per-operator summary
 *        (backtest_run_fd, as the tool runs without --json/--html);
 *   (c') the same keeping every alert and every call, as with --html;
 *   (d)  line_reader alone: read(2) in 1 MiB chunks and memchr, lines counted, no engine.
 * Times are CPU seconds of this process (CLOCK_PROCESS_CPUTIME_ID). The target: (b)
 * at least 80% of (a)'s lines per second.
 * -w OUT writes the lines to OUT and exits (to profile cadmon-backtest on the same input).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backtest.h"
#include "config.h"
#include "engine.h"
#include "line_reader.h"
#include "timestamp.h"

#define DEFAULT_LINES 1000000u
#define MAX_LINES 50000000u
#define MAX_FILE_BYTES (4ull << 30)
#define REPEATS 7
#define TARGET_SHARE 0.80
#define LINE_MAX_BYTES 256       /* longest generated line, with room to spare */
#define OPERATORS 48
#define START_MS INT64_C(1795932000000) /* 2026-11-29T06:00:00Z */
#define WHY_MAX 256

/* ---- the lines ----------------------------------------------------------------------------- */

struct lines {
	char *text;       /* every line followed by "\n" */
	size_t text_len;
	size_t *offsets;  /* start of line i */
	size_t *lengths;  /* without "\n" */
	size_t count;
};

static void lines_free(struct lines *lines)
{
	free(lines->text);
	free(lines->offsets);
	free(lines->lengths);
}

static int grow_index(struct lines *lines, size_t capacity)
{
	size_t *offsets = realloc(lines->offsets, capacity * sizeof(*offsets));

	if (!offsets)
		return -ENOMEM;
	lines->offsets = offsets;
	size_t *lengths = realloc(lines->lengths, capacity * sizeof(*lengths));
	if (!lengths)
		return -ENOMEM;
	lines->lengths = lengths;
	return 0;
}

/* Index the lines of lines->text (a trailing "\r" stays: the engine ignores it). */
static int index_lines(struct lines *lines)
{
	size_t capacity = 0;

	lines->count = 0;
	for (size_t start = 0; start < lines->text_len;) {
		const char *newline = memchr(lines->text + start, '\n', lines->text_len - start);
		size_t end = newline ? (size_t)(newline - lines->text) : lines->text_len;
		if (lines->count == capacity &&
		    grow_index(lines, capacity = capacity ? 2 * capacity : 1024) < 0)
			return -ENOMEM;
		lines->offsets[lines->count] = start;
		lines->lengths[lines->count++] = end - start;
		start = end + 1;
	}
	return 0;
}

static int read_lines_file(const char *path, struct lines *lines)
{
	FILE *file = fopen(path, "rb");
	size_t capacity = 1 << 20;

	if (!file) {
		fprintf(stderr, "backtest-speed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	lines->text = malloc(capacity);
	lines->text_len = 0;
	while (lines->text) {
		lines->text_len +=
			fread(lines->text + lines->text_len, 1, capacity - lines->text_len, file);
		if (lines->text_len < capacity || capacity >= MAX_FILE_BYTES)
			break;
		char *grown = realloc(lines->text, capacity * 2);
		if (!grown)
			break;
		lines->text = grown;
		capacity *= 2;
	}
	fclose(file);
	if (!lines->text || index_lines(lines) < 0) {
		fprintf(stderr, "backtest-speed: %s: out of memory\n", path);
		return -1;
	}
	return 0;
}

/* ---- a generated center: 48 call-takers in two agencies ------------------------------------ */

/* xorshift64*: a fixed seed, the same lines every run. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

/* Uniform in [low, high). */
static int64_t random_between(uint64_t *state, int64_t low, int64_t high)
{
	return low + (int64_t)(next_random(state) % (uint64_t)(high - low));
}

enum { KIND_START, KIND_INCIDENT, KIND_TRANSFER, KIND_END };

/* One event to write; sorted by time, then by the order it was made. */
struct pending_event {
	int64_t ts_ms;
	uint32_t order;
	uint32_t call;
	uint8_t kind;
	uint8_t released_by; /* index into released_by_names */
	uint16_t operator_index;
};

static const char *const released_by_names[] = {"operator", "caller", "system"};

static int compare_events(const void *a, const void *b)
{
	const struct pending_event *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The events of one call: its start, perhaps an incident or a transfer, its end. One call in
 * ten is short (2-19 s); long calls last 30 s to 10 min. */
static size_t plan_call(uint64_t *rng, uint32_t call, int64_t start_ms, struct pending_event *out,
			uint32_t *order)
{
	uint16_t op = (uint16_t)random_between(rng, 0, OPERATORS);
	bool is_short = random_between(rng, 0, 100) < 10;
	int64_t talk_ms =
		is_short ? random_between(rng, 2000, 19000) : random_between(rng, 30000, 600000);
	int64_t chance = random_between(rng, 0, 100);
	size_t n = 0;

	out[n++] = (struct pending_event){start_ms, (*order)++, call, KIND_START, 0, op};
	if (!is_short && chance < 60)
		out[n++] = (struct pending_event){ start_ms + talk_ms / 2, (*order)++, call,
						   KIND_INCIDENT,	   0,	       op };
	else if (!is_short && chance < 68)
		out[n++] = (struct pending_event){ start_ms + talk_ms / 3, (*order)++, call,
						   KIND_TRANSFER,	   0,	       op };
	uint8_t who = is_short ? (chance < 70 ? 0 : 1) : (chance < 39 ? 0 : chance < 99 ? 1 : 2);
	out[n++] = (struct pending_event){start_ms + talk_ms, (*order)++, call, KIND_END, who, op};
	return n;
}

/* One event as a feed line; returns its length. */
static int format_event(const struct pending_event *event, char *out, size_t size)
{
	char ts[TIMESTAMP_TEXT_MAX];
	unsigned op = event->operator_index + 1;
	const char *agency = op % 3 ? "NOPD" : "JPSO";

	timestamp_format(event->ts_ms, ts);
	switch (event->kind) {
	case KIND_START:
		return snprintf(out, size,
				"{\"type\":\"call_start\",\"call_id\":\"BENCH-%07" PRIu32
				"\",\"ts\":\"%s\","
				"\"operator\":\"op-%03u\",\"agency\":\"%s\",\"position\":\"P%02u\","
				"\"ani\":\"504555%04" PRIu32 "\"}",
				event->call, ts, op, agency, op, (event->call * 7919u) % 10000u);
	case KIND_INCIDENT:
		return snprintf(out, size,
				"{\"type\":\"incident\",\"call_id\":\"BENCH-%07" PRIu32
				"\",\"ts\":\"%s\","
				"\"incident_id\":\"I-%07" PRIu32 "\"}",
				event->call, ts, event->call);
	case KIND_TRANSFER:
		return snprintf(out, size,
				"{\"type\":\"transfer\",\"call_id\":\"BENCH-%07" PRIu32
				"\",\"ts\":\"%s\","
				"\"to\":\"EMS\"}",
				event->call, ts);
	default:
		return snprintf(out, size,
				"{\"type\":\"call_end\",\"call_id\":\"BENCH-%07" PRIu32
				"\",\"ts\":\"%s\","
				"\"released_by\":\"%s\"}",
				event->call, ts, released_by_names[event->released_by]);
	}
}

/* Plan calls arriving every 0.2-2.8 s across the center until there are count events. */
static struct pending_event *plan_events(size_t count)
{
	struct pending_event *events = malloc((count + 4) * sizeof(*events));
	uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
	uint32_t order = 0, call = 0;
	int64_t now_ms = START_MS;
	size_t n = 0;

	while (events && n < count) {
		now_ms += random_between(&rng, 200, 2800);
		n += plan_call(&rng, ++call, now_ms, events + n, &order);
	}
	if (events)
		qsort(events, n, sizeof(*events), compare_events);
	return events;
}

static int generate_lines(size_t count, struct lines *lines)
{
	struct pending_event *events = plan_events(count);

	lines->text = malloc(count * LINE_MAX_BYTES);
	lines->offsets = malloc(count * sizeof(*lines->offsets));
	lines->lengths = malloc(count * sizeof(*lines->lengths));
	if (!events || !lines->text || !lines->offsets || !lines->lengths) {
		free(events);
		fputs("backtest-speed: out of memory\n", stderr);
		return -1;
	}
	lines->text_len = 0;
	for (size_t i = 0; i < count; i++) {
		int len = format_event(&events[i], lines->text + lines->text_len, LINE_MAX_BYTES);
		lines->offsets[i] = lines->text_len;
		lines->lengths[i] = (size_t)len;
		lines->text_len += (size_t)len;
		lines->text[lines->text_len++] = '\n';
	}
	lines->count = count;
	free(events);
	return 0;
}

/* ---- measuring ------------------------------------------------------------------------------ */

/* CPU time of this process: what the work costs, even on a machine busy with other jobs
 * (on an idle machine it is the wall time). */
static double seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* (a): json-c alone over every line; parse failures in *failures. */
static double time_json_c(const struct lines *lines, int flags, size_t *failures)
{
	struct json_tokener *tokener = json_tokener_new();
	double started = seconds_now();

	*failures = 0;
	json_tokener_set_flags(tokener, flags);
	for (size_t i = 0; i < lines->count; i++) {
		json_tokener_reset(tokener);
		struct json_object *object = json_tokener_parse_ex(
			tokener, lines->text + lines->offsets[i], (int)lines->lengths[i]);
		*failures += object == NULL;
		json_object_put(object);
	}
	double elapsed = seconds_now() - started;
	json_tokener_free(tokener);
	return elapsed;
}

static void count_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	(*(uint64_t *)ctx)++;
}

/* (b): the engine over every line from memory; rejects and alerts counted. */
static double time_engine(const struct lines *lines, const struct config *config, uint64_t *rejects,
			  uint64_t *alerts)
{
	struct engine *engine = engine_new(config, count_alert, alerts);
	char why[WHY_MAX];

	*rejects = 0;
	*alerts = 0;
	if (!engine)
		return -1;
	double started = seconds_now();
	for (size_t i = 0; i < lines->count; i++)
		*rejects += engine_process_line(engine, lines->text + lines->offsets[i],
						lines->lengths[i], why, sizeof(why)) != EVENT_OK;
	double elapsed = seconds_now() - started;
	engine_free(engine);
	return elapsed;
}

/* (c): the tool's path: open the file, line_reader in 1 MiB chunks, engine, summary. */
static double time_read_path(const char *path, const struct config *config, unsigned keep,
			     uint64_t *lines_seen)
{
	struct backtest *backtest = backtest_new(config, keep, NULL);
	FILE *file = fopen(path, "rb");
	double elapsed = -1;

	if (backtest && file) {
		double started = seconds_now();
		int rc = backtest_run_fd(backtest, fileno(file), path);
		elapsed = seconds_now() - started;
		*lines_seen = backtest_engine_stats(backtest)->lines;
		if (rc < 0)
			elapsed = -1;
	}
	if (file)
		fclose(file);
	backtest_free(backtest);
	return elapsed;
}

static void count_line(const char *line, size_t len, uint64_t line_number, void *ctx)
{
	(void)line;
	(void)len;
	(void)line_number;
	(*(uint64_t *)ctx)++;
}

/* (d): the reader alone, to show what reading costs in (c). */
static double time_reader(const char *path, uint32_t max_line_bytes, uint64_t *lines_seen)
{
	static const struct line_reader_callbacks callbacks = {.on_line = count_line};
	struct line_reader *reader = line_reader_new(max_line_bytes);
	FILE *file = fopen(path, "rb");
	double elapsed = -1;

	*lines_seen = 0;
	if (reader && file) {
		double started = seconds_now();
		int rc = line_reader_read_fd(reader, fileno(file), &callbacks, lines_seen, NULL);
		elapsed = rc == 0 ? seconds_now() - started : -1;
	}
	if (file)
		fclose(file);
	line_reader_free(reader);
	return elapsed;
}

/* ---- the report ----------------------------------------------------------------------------- */

struct result {
	const char *name;
	double best_seconds;
};

static void print_row(const struct result *result, const struct lines *lines,
		      double baseline_seconds)
{
	double lines_per_second = (double)lines->count / result->best_seconds;
	double mb_per_second = (double)lines->text_len / result->best_seconds / 1e6;

	printf("%-52s %8.3f %10.2f M %9.1f %8.1f%%\n", result->name, result->best_seconds,
	       lines_per_second / 1e6, mb_per_second,
	       100.0 * baseline_seconds / result->best_seconds);
}

static double best_of(double best, double seconds)
{
	return best < 0 || (seconds >= 0 && seconds < best) ? seconds : best;
}

static int write_lines_file(const struct lines *lines, char *path)
{
	int fd = mkstemp(path);
	FILE *file = fd >= 0 ? fdopen(fd, "wb") : NULL;
	bool ok = file && fwrite(lines->text, 1, lines->text_len, file) == lines->text_len;

	if (file)
		ok = fclose(file) == 0 && ok;
	if (!ok)
		fprintf(stderr, "backtest-speed: cannot write %s\n", path);
	return ok ? 0 : -1;
}

enum { RUN_JSON_C, RUN_JSON_C_STRICT, RUN_ENGINE, RUN_READ_PATH, RUN_READ_HISTORY, RUN_READER,
       RUN_COUNT };

/* What the runs counted, to show they all did the whole job. */
struct checks {
	size_t json_failures;
	size_t strict_failures;
	uint64_t rejects;
	uint64_t alerts;
	uint64_t read_path_lines;
	uint64_t reader_lines;
};

/* One round of every measurement, in a fixed order; each result keeps its best. */
static void measure_round(const struct lines *lines, const char *path, const struct config *config,
			  struct result *results, struct checks *checks)
{
	const int strict = JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8;
	double seconds[RUN_COUNT];

	seconds[RUN_JSON_C] = time_json_c(lines, 0, &checks->json_failures);
	seconds[RUN_JSON_C_STRICT] = time_json_c(lines, strict, &checks->strict_failures);
	seconds[RUN_ENGINE] = time_engine(lines, config, &checks->rejects, &checks->alerts);
	seconds[RUN_READ_PATH] = time_read_path(path, config, 0, &checks->read_path_lines);
	seconds[RUN_READ_HISTORY] = time_read_path(
		path, config, BACKTEST_KEEP_ALERTS | BACKTEST_KEEP_CALLS, &checks->read_path_lines);
	seconds[RUN_READER] = time_reader(path, config->feed.max_line_bytes, &checks->reader_lines);
	for (int i = 0; i < RUN_COUNT; i++)
		results[i].best_seconds = best_of(results[i].best_seconds, seconds[i]);
}

static void print_table(const struct lines *lines, const struct result *results,
			const struct checks *checks)
{
	double share = results[RUN_JSON_C].best_seconds / results[RUN_ENGINE].best_seconds;

	printf("best of %-44d %8s %12s %9s %9s\n", REPEATS, "cpu s", "lines/s", "MB/s", "vs (a)");
	for (int i = 0; i < RUN_COUNT; i++)
		print_row(&results[i], lines, results[RUN_JSON_C].best_seconds);
	printf("\njson-c parse failures %zu (strict %zu); engine rejects %" PRIu64
	       ", alerts %" PRIu64 "; read path lines %" PRIu64 ", reader lines %" PRIu64 "\n",
	       checks->json_failures, checks->strict_failures, checks->rejects, checks->alerts,
	       checks->read_path_lines, checks->reader_lines);
	printf("target: engine at least %.0f%% of json-c alone: %.1f%%, %s\n", 100 * TARGET_SHARE,
	       100 * share, share >= TARGET_SHARE ? "met" : "NOT met");
}

/* Measure every path REPEATS times, interleaved so that a busy moment hurts all alike. */
static int run_measurements(const struct lines *lines, const struct config *given)
{
	struct result results[RUN_COUNT] = {
		[RUN_JSON_C] = {"(a)  json-c alone: json_tokener_parse_ex + put", -1},
		[RUN_JSON_C_STRICT] = {"(a') json-c, STRICT | VALIDATE_UTF8 (as event.c)", -1},
		[RUN_ENGINE] = {"(b)  engine_process_line, from memory", -1},
		[RUN_READ_PATH] = {"(c)  cadmon-backtest read path (file, summary)", -1},
		[RUN_READ_HISTORY] = {"(c') read path keeping alerts and calls (--html)", -1},
		[RUN_READER] = {"(d)  line_reader alone (read + memchr, no engine)", -1},
	};
	struct checks checks = {0};
	struct config config;
	char path[] = "/tmp/backtest-speed-XXXXXX";

	if (given)
		config = *given;
	else
		config_set_defaults(&config);
	if (write_lines_file(lines, path) < 0)
		return 1;
	for (int repeat = 0; repeat < REPEATS; repeat++)
		measure_round(lines, path, &config, results, &checks);
	unlink(path);
	print_table(lines, results, &checks);
	return 0;
}

/*
 * -s PERCENT: the perf smoke of scripts/test. Only (a) and (b), best of SMOKE_REPEATS,
 * interleaved; exit status 1 when the engine runs below PERCENT of json-c alone (a gross
 * regression: on a shared machine the ratio moves by tens of percent, not by a factor).
 */
#define SMOKE_REPEATS 3

static int run_smoke(const struct lines *lines, const struct config *given, double percent)
{
	struct config config;
	double json_c = -1, engine = -1;
	size_t failures = 0;
	uint64_t rejects = 0, alerts = 0;

	if (given)
		config = *given;
	else
		config_set_defaults(&config);
	for (int repeat = 0; repeat < SMOKE_REPEATS; repeat++) {
		json_c = best_of(json_c, time_json_c(lines, 0, &failures));
		engine = best_of(engine, time_engine(lines, &config, &rejects, &alerts));
	}
	double share = 100.0 * json_c / engine;
	bool ok = engine > 0 && failures == 0 && rejects == 0 && share >= percent;

	printf("perf smoke: %zu lines, json-c %.3f s, engine %.3f s (cpu, best of %d): engine at "
	       "%.1f%% of "
	       "json-c, at least %.0f%% required: %s\n",
	       lines->count, json_c, engine, SMOKE_REPEATS, share, percent, ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

/* -c: a configuration file instead of the built-in defaults. */
static int read_config(const char *path, struct config *config)
{
	struct lines text = {0};
	static struct config_errors errors;
	int rc;

	if (read_lines_file(path, &text) < 0)
		return -1;
	rc = config_parse(text.text, text.text_len, path, config, &errors);
	lines_free(&text);
	for (size_t i = 0; i < errors.count; i++)
		fprintf(stderr, "backtest-speed: %s\n", errors.message[i]);
	return rc;
}

/* -w: the lines to a file, nothing measured. */
static int save_lines(const struct lines *lines, const char *path)
{
	FILE *file = fopen(path, "wb");
	bool ok = file && fwrite(lines->text, 1, lines->text_len, file) == lines->text_len;

	if (file)
		ok = fclose(file) == 0 && ok;
	if (!ok)
		fprintf(stderr, "backtest-speed: cannot write %s\n", path);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct lines lines = {0};
	size_t count = DEFAULT_LINES;
	const char *save_path = NULL;
	struct config config;
	bool configured = false;
	double smoke = 0;
	int option, status;

	while ((option = getopt(argc, argv, "n:w:c:s:h")) != -1) {
		char *end;
		if (option == 's' && (smoke = strtod(optarg, &end)) > 0 && *end == '\0')
			continue;
		if (option == 'w') {
			save_path = optarg;
			continue;
		}
		if (option == 'c') {
			config_set_defaults(&config);
			if (read_config(optarg, &config) < 0)
				return 1;
			configured = true;
			continue;
		}
		if (option == 'n' && (count = strtoul(optarg, &end, 10)) > 0 && *end == '\0' &&
		    count <= MAX_LINES)
			continue;
		fprintf(stderr,
			"usage: backtest-speed [-n LINES (1..%u)] [-c CONFIG] [-s PERCENT] [-w "
			"OUT] [FILE]\n",
			MAX_LINES);
		return 2;
	}
	if (optind < argc ? read_lines_file(argv[optind], &lines) < 0
			  : generate_lines(count, &lines) < 0) {
		lines_free(&lines);
		return 1;
	}
	if (save_path) {
		status = save_lines(&lines, save_path);
		lines_free(&lines);
		return status;
	}
	if (smoke > 0) {
		status = run_smoke(&lines, configured ? &config : NULL, smoke);
		lines_free(&lines);
		return status;
	}
	printf("backtest-speed: %zu lines, %.1f MB, %s\n\n", lines.count,
	       (double)lines.text_len / 1e6,
	       optind < argc ? argv[optind] : "generated (48 call-takers, 2 agencies, fixed seed)");
	status = run_measurements(&lines, configured ? &config : NULL);
	lines_free(&lines);
	return status;
}
