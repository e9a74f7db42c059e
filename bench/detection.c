/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * detection: how well a configuration's rules catch misbehaving call-takers, and how often
 * they cry wolf, on simulated shifts.
 *
 *   detection [--seeds N] [--first-seed S] [--config FILE] [--only SCENARIO] [--jobs N]
 *             [--redial-share R]
 *
 * For each scenario and seed, the shift is generated in-process by tools/sim.c (the
 * generator of cadmon-sim: the same seed gives the same lines) and every line goes through a
 * fresh engine with engine_process_line, exactly as cadmond feeds it. Only "firing" notices
 * count as alerts. A misbehaving operator is caught by a firing for them at or after their
 * onset; any other firing (an honest operator, or a misbehaving one before onset) is a
 * false alert. Scenarios run in --jobs worker processes, each sending back one summary per
 * scenario; the table is printed in a fixed order, so it does not depend on --jobs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "sim.h"

#define DEFAULT_SEEDS 200
#define DEFAULT_JOBS 2               /* processes, each running whole scenarios */
#define MAX_JOBS 64
#define MAX_SEEDS 1000000L
#define MAX_FIRINGS 4096            /* firings kept per shift; more are counted as dropped */
#define CONFIG_MAX_BYTES (1 << 20)
#define SHIFT_HOURS 8.0             /* false alerts are given per 8-hour operator-shift */
#define CATCH_TARGET_MINUTES 120.0  /* the issue: caught within about two hours of onset, */
#define CATCH_TARGET_SHARE 0.90     /* ... read as: median time, and this share caught at all */
#define FALSE_TARGET_PER_100 1.0    /* fewer false alerts per 100 operator-shifts than this */
#define MS_PER_MINUTE 60000.0
#define EXIT_USAGE 2

/* One row of the table: a preset, optionally with every misbehaver's share changed. */
struct bench_case {
	const char *label;
	const char *preset;
	double hangup_share; /* > 0: instead of the preset's */
};

static const struct bench_case cases[] = {
	{ "baseline", "baseline", 0 },
	{ "one-bad", "one-bad", 0 },
	{ "slow", "one-bad", 0.20 },
	{ "several-bad", "several-bad", 0 },
	{ "storm", "storm", 0 },
	{ "storm-bad", "storm-bad", 0 },
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

struct firing {
	unsigned operator_index;
	int64_t ts_ms;
	int64_t window_ms; /* of the rule that fired: the evidence it looked at */
};

/* The firings of one shift, in emission order (event time). */
struct shift_alerts {
	struct firing firings[MAX_FIRINGS];
	size_t count;
	uint64_t dropped;          /* past MAX_FIRINGS */
	uint64_t unknown_operator; /* not "op-NN" */
};

/* What a scenario scored over all its seeds. */
struct case_result {
	unsigned seeds;
	unsigned operators;
	unsigned misbehaving;         /* misbehaving operator-shifts */
	unsigned caught;
	unsigned caught_in_time;      /* within CATCH_TARGET_MINUTES of onset */
	double *calls_to_alert;       /* per caught operator: their calls from onset to alert */
	double *minutes_to_alert;
	unsigned false_alerts;
	unsigned storm_false_alerts;  /* false alerts whose rule window overlapped the storm */
	double honest_hours;          /* honest operators' hours, and misbehavers' before onset */
	bool has_storm;
	int64_t storm_start_ms;       /* the storm preset's storm, in every scenario (for */
	int64_t storm_end_ms;         /* the others, the same hours as a reference) */
	uint64_t dropped;
	uint64_t rejected_lines;
};

/* A scenario's figures, as a worker sends them back. */
struct case_summary {
	size_t case_index;
	int status;                  /* 0, or -1 when the scenario could not be run */
	unsigned seeds;
	unsigned operators;
	unsigned misbehaving;
	unsigned caught;
	unsigned caught_in_time;
	double median_calls;         /* NAN when none was caught */
	double median_minutes;
	unsigned false_alerts;
	unsigned storm_false_alerts;  /* whose window overlapped the storm (its hours, if none) */
	double honest_hours;
	bool has_storm;
	uint64_t dropped;
	uint64_t rejected_lines;
};

struct bench_options {
	long seeds;
	uint64_t first_seed;
	const char *config_path; /* NULL: the built-in defaults */
	const char *only;        /* NULL: every scenario */
	long jobs;
	double redial_share;     /* < 0: the presets' */
};

/* ---- running one shift ------------------------------------------------------------------- */

/* The engine's alert callback: keep the firings (escalations and resolutions are not alerts). */
static void record_firing(const struct alert *alert, const char *json, size_t json_len, void *ctx)
{
	struct shift_alerts *alerts = ctx;
	unsigned number;
	char tail;

	(void)json;
	(void)json_len;
	if (strcmp(alert->kind, "firing") != 0)
		return;
	if (sscanf(alert->operator_id, "op-%u%c", &number, &tail) != 1 || number == 0) {
		alerts->unknown_operator++;
		return;
	}
	if (alerts->count == MAX_FIRINGS) {
		alerts->dropped++;
		return;
	}
	alerts->firings[alerts->count++] = (struct firing){ number - 1, alert->ts_ms,
							      (int64_t)alert->window_seconds * 1000 };
}

/* Feed every line of the shift to a fresh engine; the rejected lines' count, or -1. */
static long run_engine(const struct config *config, const struct sim_scenario *scenario,
		       const struct sim_shift *shift, struct shift_alerts *alerts)
{
	struct engine *engine = engine_new(config, record_firing, alerts);
	char line[SIM_LINE_MAX], why[256];
	long rejected = 0;

	if (!engine)
		return -1;
	alerts->count = 0;
	alerts->dropped = 0;
	alerts->unknown_operator = 0;
	for (size_t i = 0; i < shift->event_count; i++) {
		size_t len = sim_format_event(scenario, shift, i, line);
		rejected += engine_process_line(engine, line, len - 1, why, sizeof(why)) != EVENT_OK;
	}
	engine_free(engine);
	return rejected;
}

/* The operator's completed calls that started at or after from_ms and ended by to_ms. */
static unsigned calls_between(const struct sim_shift *shift, unsigned operator_index,
			      int64_t from_ms, int64_t to_ms)
{
	unsigned count = 0;

	for (size_t i = 0; i < shift->call_count; i++) {
		const struct sim_call *call = &shift->calls[i];
		count += call->operator_index == operator_index && call->start_ms >= from_ms &&
			 call->end_ms <= to_ms;
	}
	return count;
}

/* Score one operator's firings: false ones counted, the first true one recorded. */
static void score_operator(const struct sim_scenario *scenario, const struct sim_shift *shift,
			   const struct shift_alerts *alerts, unsigned op, struct case_result *result)
{
	const struct sim_misconduct *misconduct = sim_misconduct_of(scenario, op);
	int64_t onset_ms = misconduct ? sim_onset_ms(scenario, misconduct) : INT64_MAX;
	int64_t caught_ms = INT64_MAX;

	for (size_t i = 0; i < alerts->count; i++) {
		const struct firing *firing = &alerts->firings[i];
		if (firing->operator_index != op)
			continue;
		if (firing->ts_ms >= onset_ms) {
			caught_ms = caught_ms < firing->ts_ms ? caught_ms : firing->ts_ms;
			continue;
		}
		result->false_alerts++;
		result->storm_false_alerts += firing->ts_ms >= result->storm_start_ms &&
					      firing->ts_ms - firing->window_ms < result->storm_end_ms;
	}
	result->honest_hours += misconduct ? misconduct->onset_hours : scenario->shift_hours;
	if (!misconduct)
		return;
	result->misbehaving++;
	if (caught_ms == INT64_MAX)
		return;
	double minutes = (double)(caught_ms - onset_ms) / MS_PER_MINUTE;
	result->calls_to_alert[result->caught] = calls_between(shift, op, onset_ms, caught_ms);
	result->minutes_to_alert[result->caught] = minutes;
	result->caught++;
	result->caught_in_time += minutes <= CATCH_TARGET_MINUTES;
}

/* The scenario of a case for one seed. */
static void case_scenario(const struct bench_case *bench_case, const struct bench_options *options,
			  uint64_t seed, struct sim_scenario *scenario)
{
	sim_scenario_preset(scenario, bench_case->preset);
	scenario->seed = seed;
	if (options->redial_share >= 0)
		scenario->redial.share = options->redial_share;
	if (bench_case->hangup_share > 0)
		for (size_t i = 0; i < scenario->misconduct_count; i++)
			scenario->misconduct[i].hangup_share = bench_case->hangup_share;
}

/* ---- one scenario over every seed -------------------------------------------------------- */

static void result_free(struct case_result *result)
{
	free(result->calls_to_alert);
	free(result->minutes_to_alert);
	result->calls_to_alert = NULL;
	result->minutes_to_alert = NULL;
}

static int result_init(struct case_result *result, const struct bench_case *bench_case,
		       const struct bench_options *options)
{
	struct sim_scenario scenario, storm;
	size_t capacity;

	case_scenario(bench_case, options, 1, &scenario);
	sim_scenario_preset(&storm, "storm");
	capacity = (size_t)options->seeds * (scenario.misconduct_count ? scenario.misconduct_count : 1);
	*result = (struct case_result){
		.operators = scenario.operator_count,
		.has_storm = scenario.storm.hours > 0,
		.storm_start_ms = sim_storm_start_ms(&storm),
		.storm_end_ms = sim_storm_end_ms(&storm),
		.calls_to_alert = calloc(capacity, sizeof(double)),
		.minutes_to_alert = calloc(capacity, sizeof(double)),
	};
	if (!result->calls_to_alert || !result->minutes_to_alert) {
		result_free(result);
		return -1;
	}
	return 0;
}

/* Generate, run and score every seed of one scenario; 0 or -1 (reported). */
static int run_case(const struct bench_case *bench_case, const struct bench_options *options,
		    const struct config *config, struct sim_shift *shift,
		    struct shift_alerts *alerts, struct case_result *result)
{
	char why[SIM_WHY_MAX];

	if (result_init(result, bench_case, options) != 0) {
		fprintf(stderr, "detection: out of memory\n");
		return -1;
	}
	for (long i = 0; i < options->seeds; i++) {
		struct sim_scenario scenario;
		case_scenario(bench_case, options, options->first_seed + (uint64_t)i, &scenario);
		long rejected;
		if (sim_scenario_check(&scenario, why, sizeof(why)) != 0 ||
		    sim_shift_generate(&scenario, shift, why, sizeof(why)) != 0) {
			fprintf(stderr, "detection: %s: %s\n", bench_case->label, why);
			return -1;
		}
		if ((rejected = run_engine(config, &scenario, shift, alerts)) < 0) {
			fprintf(stderr, "detection: out of memory for the engine\n");
			return -1;
		}
		result->rejected_lines += (uint64_t)rejected;
		result->dropped += alerts->dropped + alerts->unknown_operator;
		for (unsigned op = 0; op < scenario.operator_count; op++)
			score_operator(&scenario, shift, alerts, op, result);
		result->seeds++;
	}
	return 0;
}

/* ---- summaries --------------------------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of values (reordered), NAN when there are none. */
static double median(double *values, size_t count)
{
	if (count == 0)
		return NAN;
	qsort(values, count, sizeof(values[0]), compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static void summarize(size_t case_index, struct case_result *result, struct case_summary *summary)
{
	*summary = (struct case_summary){
		.case_index = case_index,
		.seeds = result->seeds,
		.operators = result->operators,
		.misbehaving = result->misbehaving,
		.caught = result->caught,
		.caught_in_time = result->caught_in_time,
		.median_calls = median(result->calls_to_alert, result->caught),
		.median_minutes = median(result->minutes_to_alert, result->caught),
		.false_alerts = result->false_alerts,
		.storm_false_alerts = result->storm_false_alerts,
		.honest_hours = result->honest_hours,
		.has_storm = result->has_storm,
		.dropped = result->dropped,
		.rejected_lines = result->rejected_lines,
	};
}

/* Run one scenario over every seed into *summary. */
static void run_scenario(size_t case_index, const struct bench_options *options,
			 const struct config *config, struct case_summary *summary)
{
	static struct shift_alerts alerts;
	struct sim_shift shift = { 0 };
	struct case_result result;

	if (run_case(&cases[case_index], options, config, &shift, &alerts, &result) == 0)
		summarize(case_index, &result, summary);
	else
		*summary = (struct case_summary){ .case_index = case_index, .status = -1 };
	result_free(&result);
	sim_shift_free(&shift);
}

/* ---- workers ------------------------------------------------------------------------------ */

static bool selected(const struct bench_options *options, size_t case_index)
{
	return !options->only || strcmp(options->only, cases[case_index].label) == 0;
}

/* A worker: scenarios job, job + jobs, ... each summary written to fd. */
static int run_worker(long job, const struct bench_options *options, const struct config *config,
		      int fd)
{
	for (size_t i = (size_t)job; i < CASE_COUNT; i += (size_t)options->jobs) {
		struct case_summary summary;
		if (!selected(options, i))
			continue;
		run_scenario(i, options, config, &summary);
		if (write(fd, &summary, sizeof(summary)) != (ssize_t)sizeof(summary))
			return 1;
	}
	return 0;
}

/* Read a worker's summaries into summaries[] by scenario, until it closes its pipe. */
static void read_summaries(int fd, struct case_summary *summaries, bool *arrived)
{
	struct case_summary summary;

	while (read(fd, &summary, sizeof(summary)) == (ssize_t)sizeof(summary) &&
	       summary.case_index < CASE_COUNT) {
		summaries[summary.case_index] = summary;
		arrived[summary.case_index] = true;
	}
}

/* Start the workers, each with a pipe back; how many started (their fds in fds[]). */
static long start_workers(const struct bench_options *options, const struct config *config,
			  int *fds, pid_t *pids)
{
	long started = 0;

	fflush(stdout);
	for (long job = 0; job < options->jobs; job++) {
		int pipe_fds[2];
		if (pipe(pipe_fds) != 0)
			break;
		pids[job] = fork();
		if (pids[job] == 0) {
			close(pipe_fds[0]);
			_exit(run_worker(job, options, config, pipe_fds[1]));
		}
		close(pipe_fds[1]);
		if (pids[job] < 0) {
			close(pipe_fds[0]);
			break;
		}
		fds[started++] = pipe_fds[0];
	}
	return started;
}

/* Every selected scenario's summary, computed by options->jobs workers (1: in-process). */
static int collect_summaries(const struct bench_options *options, const struct config *config,
			     struct case_summary *summaries, bool *arrived)
{
	int fds[MAX_JOBS];
	pid_t pids[MAX_JOBS];
	long started;

	if (options->jobs == 1) {
		for (size_t i = 0; i < CASE_COUNT; i++)
			if (selected(options, i)) {
				run_scenario(i, options, config, &summaries[i]);
				arrived[i] = true;
			}
		return 0;
	}
	started = start_workers(options, config, fds, pids);
	for (long job = 0; job < started; job++) {
		read_summaries(fds[job], summaries, arrived);
		close(fds[job]);
		waitpid(pids[job], NULL, 0);
	}
	if (started < options->jobs) {
		fprintf(stderr, "detection: cannot start worker %ld: %s\n", started, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < CASE_COUNT; i++) {
		if (selected(options, i) && !arrived[i]) {
			fprintf(stderr, "detection: %s: its worker died\n", cases[i].label);
			return -1;
		}
	}
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

static double false_per_operator_shift(const struct case_summary *summary)
{
	return summary->honest_hours > 0 ? summary->false_alerts / (summary->honest_hours / SHIFT_HOURS) : 0;
}

static void print_rule(const struct config_rule *rule)
{
	if (rule->type == CONFIG_RULE_CUSUM)
		printf("  %-10s cusum   %6" PRIu32 " s  p0 %g  odds_ratio %g  threshold %g  "
		       "min_center_ratio %g  %s\n", rule->name, rule->window_seconds, rule->p0,
		       rule->odds_ratio, rule->threshold, rule->min_center_ratio, rule->severity);
	else
		printf("  %-10s window  %6" PRIu32 " s  min_calls %" PRIu32 "  min_premature %"
		       PRIu32 "  min_ratio %g  min_called_back %" PRIu32 "  called_back_weight %g  "
		       "max_p_value %g  min_center_ratio %g  %s\n", rule->name, rule->window_seconds,
		       rule->min_calls, rule->min_premature, rule->min_ratio, rule->min_called_back,
		       rule->called_back_weight, rule->max_p_value, rule->min_center_ratio,
		       rule->severity);
}

static void print_config(const struct config *config, const char *path)
{
	printf("configuration: %s\n", path ? path : "built-in defaults");
	printf("  premature: talk < %g s, no incident or transfer; repeat_window %" PRIu32
	       " s; resolve_after %" PRIu32 " s\n", config->detector.max_talk_seconds,
	       config->detector.repeat_window_seconds, config->detector.resolve_after_seconds);
	for (size_t i = 0; i < config->detector.rule_count; i++)
		print_rule(&config->detector.rules[i]);
	printf("\n");
}

static void print_run(const struct bench_options *options)
{
	printf("shifts: seeds %" PRIu64 "..%" PRIu64 " of each scenario (tools/sim.c presets, slow = "
	       "one-bad at 0.2); cut-off callers who redial: ", options->first_seed,
	       options->first_seed + (uint64_t)options->seeds - 1);
	if (options->redial_share >= 0)
		printf("%g\n\n", options->redial_share);
	else
		printf("the presets' share\n\n");
}

static void print_header(void)
{
	printf("%-12s %5s %4s %5s %7s %7s %7s %7s %11s %8s %8s\n", "scenario", "seeds", "ops",
	       "bad", "caught", "in 2 h", "calls", "minutes", "false per", "per 100", "false");
	printf("%-12s %5s %4s %5s %7s %7s %7s %7s %11s %8s %8s\n", "", "", "", "", "%", "%",
	       "median", "median", "op-shift", "shifts", "in storm");
}

static void print_row(const struct case_summary *summary)
{
	double per_shift = false_per_operator_shift(summary);

	printf("%-12s %5u %4u %5u ", cases[summary->case_index].label, summary->seeds,
	       summary->operators, summary->misbehaving);
	if (summary->misbehaving > 0)
		printf("%7.1f %7.1f ", 100.0 * summary->caught / summary->misbehaving,
		       100.0 * summary->caught_in_time / summary->misbehaving);
	else
		printf("%7s %7s ", "-", "-");
	if (summary->caught > 0)
		printf("%7.1f %7.1f ", summary->median_calls, summary->median_minutes);
	else
		printf("%7s %7s ", "-", "-");
	printf("%11.4f %8.2f %8u%s\n", per_shift, 100 * per_shift, summary->storm_false_alerts,
	       summary->has_storm ? " storm" : "");
}

/* Does one scenario's row meet its part of the target? */
static bool meets_target(const struct case_summary *summary)
{
	const char *label = cases[summary->case_index].label;

	if (strcmp(label, "one-bad") == 0 &&
	    (summary->caught < CATCH_TARGET_SHARE * summary->misbehaving ||
	     !(summary->median_minutes <= CATCH_TARGET_MINUTES)))
		return false;
	if (strcmp(label, "storm") == 0 && summary->storm_false_alerts > 0)
		return false;
	return 100 * false_per_operator_shift(summary) < FALSE_TARGET_PER_100;
}

/* The rows in a fixed order, then the verdict; 0, or 1 when a scenario failed to run. */
static int print_table(const struct case_summary *summaries, const bool *arrived)
{
	bool met = true, complete = true;
	int status = 0;

	print_header();
	for (size_t i = 0; i < CASE_COUNT; i++) {
		complete &= arrived[i];
		if (!arrived[i])
			continue;
		if (summaries[i].status != 0) {
			status = 1;
			continue;
		}
		print_row(&summaries[i]);
		met &= meets_target(&summaries[i]);
		if (summaries[i].dropped || summaries[i].rejected_lines)
			fprintf(stderr, "detection: %s: %" PRIu64 " firings not scored, %" PRIu64
				" lines rejected\n", cases[i].label, summaries[i].dropped,
				summaries[i].rejected_lines);
	}
	printf("\ncaught: a firing for the misbehaving operator at or after onset (in 2 h: within "
	       "120 min);\ncalls, minutes: from onset to that first firing; false: firings for honest "
	       "operators or\nbefore onset, per 8 hours of honest operator time; in storm: those whose "
	       "rule window\noverlapped the storm (in rows without one: the same hours, for "
	       "reference).\n");
	printf("\ntarget: one-bad caught in >= %.0f%% of shifts, a median %.0f min or less after "
	       "onset;\nfewer than %.0f false alert per 100 honest operator-shifts in every scenario; "
	       "none in storm\nwhose rule window overlapped the storm\n",
	       100 * CATCH_TARGET_SHARE, CATCH_TARGET_MINUTES, FALSE_TARGET_PER_100);
	printf("verdict: %s\n", status || !complete ? "not judged: run every scenario" :
	       met ? "target met" : "target NOT met");
	return status;
}

/* ---- options and main --------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("detection: ", stderr);
	vfprintf(stderr, format, args);
	fputs("\nTry 'detection -h' for help.\n", stderr);
	va_end(args);
	return EXIT_USAGE;
}

static void print_usage(void)
{
	fputs("usage: detection [--seeds N] [--first-seed S] [--config FILE] [--only SCENARIO]\n"
	      "                 [--jobs N] [--redial-share R]\n"
	      "Score a configuration's rules on simulated shifts: misbehaving operators caught,\n"
	      "time and calls from onset to the first alert, false alerts per operator-shift.\n"
	      "\n"
	      "  --seeds N        shifts per scenario (200)\n"
	      "  --first-seed S   seeds S, S+1, ... (1)\n"
	      "  --config FILE    the cadmon.yaml to evaluate (default: the built-in defaults)\n"
	      "  --only SCENARIO  one row: baseline, one-bad, slow, several-bad, storm, storm-bad\n"
	      "  --jobs N         worker processes (2); 1 runs everything in this process\n"
	      "  --redial-share R share of cut-off callers who ring again (the presets': 0.5)\n"
	      "  -h, --help       show this help\n",
	      stdout);
}

static int parse_count(const char *option, const char *text, long low, long high, long *out)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
		return usage_error("--%s: expected an integer from %ld to %ld, got \"%s\"", option,
				   low, high, text);
	*out = value;
	return 0;
}

static bool known_case(const char *label)
{
	for (size_t i = 0; i < CASE_COUNT; i++)
		if (strcmp(cases[i].label, label) == 0)
			return true;
	return false;
}

enum { OPT_SEEDS = 256, OPT_FIRST_SEED, OPT_CONFIG, OPT_ONLY, OPT_JOBS, OPT_REDIAL_SHARE };

/* A share from 0 to 1; 0 or EXIT_USAGE. */
static int parse_share(const char *option, const char *text, double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);

	if (errno != 0 || end == text || *end != '\0' || !(value >= 0 && value <= 1))
		return usage_error("--%s: expected a number from 0 to 1, got \"%s\"", option, text);
	*out = value;
	return 0;
}

/* Apply one option; 0 or EXIT_USAGE. */
static int apply_option(struct bench_options *options, int option, const char *value,
			long *first_seed)
{
	switch (option) {
	case OPT_SEEDS:
		return parse_count("seeds", value, 1, MAX_SEEDS, &options->seeds);
	case OPT_FIRST_SEED:
		return parse_count("first-seed", value, 0, 1L << 30, first_seed);
	case OPT_JOBS:
		return parse_count("jobs", value, 1, MAX_JOBS, &options->jobs);
	case OPT_REDIAL_SHARE:
		return parse_share("redial-share", value, &options->redial_share);
	case OPT_CONFIG:
		options->config_path = value;
		return 0;
	case OPT_ONLY:
		options->only = value;
		return known_case(value) ? 0 : usage_error("--only: unknown scenario \"%s\"", value);
	default:
		return EXIT_USAGE;
	}
}

/* Fill *options; -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct bench_options *options)
{
	static const struct option long_options[] = {
		{ "seeds", required_argument, NULL, OPT_SEEDS },
		{ "first-seed", required_argument, NULL, OPT_FIRST_SEED },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "redial-share", required_argument, NULL, OPT_REDIAL_SHARE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long first_seed = 1;
	int option, rc = 0;

	*options = (struct bench_options){ .seeds = DEFAULT_SEEDS, .jobs = DEFAULT_JOBS,
					   .redial_share = -1 };
	opterr = 0;
	while (rc == 0 && (option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (option == 'h') {
			print_usage();
			return 0;
		}
		if (option == ':' || option == '?')
			return usage_error("bad option or missing value: \"%s\"", argv[optind - 1]);
		rc = apply_option(options, option, optarg, &first_seed);
	}
	if (rc == 0 && optind < argc)
		rc = usage_error("unexpected argument \"%s\"", argv[optind]);
	options->first_seed = (uint64_t)first_seed;
	return rc != 0 ? rc : -1;
}

/* The configuration to evaluate: FILE parsed as cadmond would, or the defaults. */
static int load_config(const char *path, struct config *config)
{
	static char text[CONFIG_MAX_BYTES];
	static struct config_errors errors;
	FILE *file;
	size_t len;

	config_set_defaults(config);
	if (!path)
		return 0;
	if (!(file = fopen(path, "r"))) {
		fprintf(stderr, "detection: %s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(text, 1, sizeof(text), file);
	fclose(file);
	if (len == sizeof(text)) {
		fprintf(stderr, "detection: %s: larger than %d bytes\n", path, CONFIG_MAX_BYTES);
		return -1;
	}
	if (config_parse(text, len, path, config, &errors) == 0)
		return 0;
	for (size_t i = 0; i < errors.count; i++)
		fprintf(stderr, "%s\n", errors.message[i]);
	return -1;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static struct case_summary summaries[CASE_COUNT];
	bool arrived[CASE_COUNT] = { false };
	struct bench_options options;
	struct config config;
	struct timespec started;
	int status = parse_options(argc, argv, &options);

	if (status >= 0)
		return status;
	if (load_config(options.config_path, &config) != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &started);
	print_config(&config, options.config_path);
	print_run(&options);
	if (collect_summaries(&options, &config, summaries, arrived) != 0)
		return 1;
	status = print_table(summaries, arrived);
	printf("(%.1f s, %ld job%s)\n", seconds_since(&started), options.jobs,
	       options.jobs == 1 ? "" : "s");
	return status;
}
