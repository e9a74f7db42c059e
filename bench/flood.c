/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

/*
 * bench/flood: how long the engine takes to refuse or absorb a flood of invented call-takers
 * from one hostile source (issue 11 item 7), while a center's own CAD goes on. Two runs:
 *
 *   limited   tracker.max_new_operators_per_source_per_hour 300 (the default when
 *             bench/README's figures were taken; 1000 now) refuses all but 300 an hour at
 *             the gate (one call_start per invented id);
 *   evicting  no rate limit: each invented call-taker takes a whole call (call_start and
 *             call_end), so all of them reach the operator table (tracker.max_operators 5000,
 *             set here: the default was 5000 when bench/README's figures were taken)
 *             and are evicted least-evidence first.
 *
 * Prints CPU seconds per run (CLOCK_PROCESS_CPUTIME_ID), lines per second, and what the
 * engine counted. Usage: flood [-n INVENTED] (default 1000000).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#define BASE_MS INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */
#define HONEST 24                      /* call-takers of cad-east */

struct run {
	struct engine *engine;
	uint64_t lines;
	uint64_t alerts;
};

static void count_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	((struct run *)ctx)->alerts++;
}

static void send_line(struct run *run, const char *source, int64_t ts_ms, const char *line, int len)
{
	struct engine_origin origin = {.source = source, .named = true, .received_ms = ts_ms + 500};
	struct engine_verdict verdict;

	engine_process_from(run->engine, &origin, line, (size_t)len, &verdict);
	run->lines++;
}

/* cad-east's call-taker k takes a 90 s call every 4 minutes, staggered by k seconds. */
static void honest_calls_before(struct run *run, int64_t until_ms, int64_t *next_ms,
				uint64_t *number)
{
	char line[256];

	while (*next_ms <= until_ms) {
		int64_t t = *next_ms;
		int k = (int)(*number % HONEST);
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"call_start\",\"call_id\":\"H%llu\",\"ts\":%lld,"
				   "\"operator\":\"t%02d\","
				   "\"agency\":\"NOPD\"}",
				   (unsigned long long)*number, (long long)t, k);
		send_line(run, "cad-east", t, line, len);
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"H%llu\",\"ts\":%lld,"
			       "\"released_by\":\"caller\"}",
			       (unsigned long long)*number, (long long)t);
		send_line(run, "cad-east", t, line, len);
		(*number)++;
		*next_ms += 240000 / HONEST;
	}
}

/* invented call-takers spread over two hours, the center's calls in step. */
static double flood(struct run *run, uint64_t invented, bool whole_calls)
{
	char line[256];
	int64_t span_ms = 2 * 3600 * 1000;
	int64_t next_honest_ms = BASE_MS;
	uint64_t honest_number = 0;
	struct timespec begin, end;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &begin);
	for (uint64_t i = 0; i < invented; i++) {
		int64_t t = BASE_MS + (int64_t)(i * (uint64_t)span_ms / invented);
		honest_calls_before(run, t, &next_honest_ms, &honest_number);
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"call_start\",\"call_id\":\"X%llu\",\"ts\":%lld,"
				   "\"operator\":\"x%llu\","
				   "\"agency\":\"NOPD\"}",
				   (unsigned long long)i, (long long)t, (unsigned long long)i);
		send_line(run, "cad-evil", t, line, len);
		if (!whole_calls)
			continue;
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"X%llu\",\"ts\":%lld,"
			       "\"released_by\":\"caller\"}",
			       (unsigned long long)i, (long long)t);
		send_line(run, "cad-evil", t, line, len);
	}
	engine_flush(run->engine);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
	return (double)(end.tv_sec - begin.tv_sec) + (double)(end.tv_nsec - begin.tv_nsec) / 1e9;
}

static void report(const char *name, uint64_t invented, bool whole_calls, uint32_t rate_limit)
{
	struct config config;
	struct run run = {0};

	config_set_defaults(&config);
	config.tracker.max_new_operators_per_source_per_hour = rate_limit;
	/* the default when bench/README's figures were taken */
	config.tracker.max_operators = 5000;
	run.engine = engine_new(&config, count_alert, &run);
	if (!run.engine) {
		fprintf(stderr, "flood: out of memory\n");
		exit(1);
	}
	double seconds = flood(&run, invented, whole_calls);
	const struct engine_stats *stats = engine_stats(run.engine);
	printf("%-9s %8llu invented  %9llu lines  %7.2f s CPU  %10.0f lines/s  refused %llu  "
	       "evicted %llu  "
	       "operators %u  alerts %llu\n",
	       name, (unsigned long long)invented, (unsigned long long)run.lines, seconds,
	       (double)run.lines / seconds,
	       (unsigned long long)stats->rejects[EVENT_REJECT_NEW_OPERATOR_RATE],
	       (unsigned long long)stats->detector.operators_evicted, stats->detector.operators,
	       (unsigned long long)run.alerts);
	engine_free(run.engine);
}

int main(int argc, char **argv)
{
	uint64_t invented = 1000000;

	if (argc == 3 && strcmp(argv[1], "-n") == 0)
		invented = strtoull(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "usage: flood [-n INVENTED]\n");
		return 2;
	}
	report("limited", invented, false, 300);
	report("evicting", invented, true, 0);
	return 0;
}
