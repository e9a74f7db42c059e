/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * dedupe-fork: the duplicate filter's longest insert while a fork()ed child lives, as cadmond's
 * loop pays it after forking a snapshot's writer (each page's first write copied).
 *
 *   dedupe-fork [ROUNDS]
 *
 * A filter at the default bound (200,000) fed new fingerprints 25 ms of event time apart (the
 * worst state's 40 lines/s) with the default horizon (600 s: 24,000 within it), 200,000 of
 * them first; then ROUNDS (default 12) times: 1,000 + 2,131 x round more without a child (so
 * that the forks fall at every phase of a filter that sweeps whole every ~25,000 inserts),
 * then fork a child that waits, feed 5,000 more (what cadmond handles while a snapshot's
 * child writes, about), end the child. For each round it prints the longest dedupe_seen of
 * those 5,000 in CPU time (CLOCK_THREAD_CPUTIME_ID) with its minor page faults, the page
 * faults of the 5,000 and the mean CPU time of an insert (the timing included); then the
 * median and the largest of the longest. Only the filter's public functions: it builds
 * against any libcadmon (main's, for an A/B).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dedupe.h"

#define WARM_INSERTS 200000u
#define ROUND_INSERTS 5000u
#define GAP_MS 25
#define HORIZON_MS 600000

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long minor_faults(void)
{
	struct rusage usage;

	getrusage(RUSAGE_THREAD, &usage);
	return usage.ru_minflt;
}

static uint64_t fingerprint(uint64_t n)
{
	return (n + 1) * UINT64_C(0x9e3779b97f4a7c15);
}

static bool insert(struct dedupe *dedupe, uint64_t n)
{
	int64_t ts_ms = (int64_t)n * GAP_MS;

	return dedupe_seen(dedupe, fingerprint(n), ts_ms, ts_ms - HORIZON_MS);
}

struct round {
	double longest_us;
	long longest_faults;
	long faults;
	double mean_us;
};

/* ROUND_INSERTS inserts from *n on while a fork()ed child waits. */
static struct round fork_round(struct dedupe *dedupe, uint64_t *n)
{
	struct round round = {0};
	pid_t child = fork();

	if (child < 0) {
		perror("dedupe-fork: fork");
		exit(1);
	}
	if (child == 0) {
		pause();
		_exit(0);
	}
	long faults_from = minor_faults();
	double from_us = thread_cpu_us();
	for (uint32_t i = 0; i < ROUND_INSERTS; i++, (*n)++) {
		long faults = minor_faults();
		double start_us = thread_cpu_us();
		if (insert(dedupe, *n))
			abort(); /* every fingerprint is new */
		double took_us = thread_cpu_us() - start_us;
		if (took_us > round.longest_us) {
			round.longest_us = took_us;
			round.longest_faults = minor_faults() - faults;
		}
	}
	round.mean_us = (thread_cpu_us() - from_us) / ROUND_INSERTS;
	round.faults = minor_faults() - faults_from;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return round;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, int n)
{
	qsort(values, (size_t)n, sizeof(*values), compare_doubles);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 12;
	struct dedupe *dedupe = dedupe_new(200000);
	double longest[100], faults[100];
	uint64_t n = 0;

	if (!dedupe || rounds < 1 || rounds > 100) {
		fprintf(stderr, "usage: dedupe-fork [ROUNDS (1 to 100)]\n");
		return 2;
	}
	for (; n < WARM_INSERTS; n++)
		insert(dedupe, n);
	for (int r = 0; r < rounds; r++) {
		for (uint64_t end = n + 1000 + 2131 * (uint64_t)r; n < end; n++)
			insert(dedupe, n);
		struct round round = fork_round(dedupe, &n);
		printf("round %d: the longest insert %.1f us of CPU (%ld page faults); %ld page "
		       "faults in %u inserts, %.3f us an insert; %" PRIu32 " held\n",
		       r + 1, round.longest_us, round.longest_faults, round.faults, ROUND_INSERTS,
		       round.mean_us, dedupe_count(dedupe));
		longest[r] = round.longest_us;
		faults[r] = (double)round.faults;
	}
	double most = 0;
	for (int r = 0; r < rounds; r++)
		most = longest[r] > most ? longest[r] : most;
	printf("%d rounds: the longest insert median %.1f us, largest %.1f us; page faults a "
	       "round, median %.0f\n",
	       rounds, median(longest, rounds), most, median(faults, rounds));
	dedupe_free(dedupe);
	return 0;
}
