/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "progress.h"

#include <inttypes.h>

#define NS_PER_MS 1000000
#define MS_PER_SECOND 1000
#define MIB (1024.0 * 1024.0)

static int64_t elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * MS_PER_SECOND +
	       (to->tv_nsec - from->tv_nsec) / NS_PER_MS;
}

void progress_init(struct progress *progress, FILE *out, bool enabled, uint64_t total_bytes)
{
	*progress = (struct progress){.out = out, .enabled = enabled, .total_bytes = total_bytes};
	clock_gettime(CLOCK_MONOTONIC, &progress->started);
	progress->last_drawn = progress->started;
}

/* "312.0 of 1024.0 MiB (30%), 1.52 M lines/s, 4 s left" or "312.0 MiB, 1.52 M lines/s". */
static void draw(struct progress *progress, uint64_t bytes, uint64_t lines, int64_t run_ms)
{
	double seconds = (double)run_ms / MS_PER_SECOND;
	double lines_per_second = (double)lines / seconds;

	fputs("\r\033[K", progress->out);
	if (progress->total_bytes > 0 && bytes <= progress->total_bytes) {
		double share = (double)bytes / (double)progress->total_bytes;
		double left = share > 0 ? seconds / share - seconds : 0;
		fprintf(progress->out,
			"cadmon-backtest: %.1f of %.1f MiB (%.0f%%), %.2f M lines/s, %.0f s left",
			(double)bytes / MIB, (double)progress->total_bytes / MIB, 100.0 * share,
			lines_per_second / 1e6, left);
	} else {
		fprintf(progress->out, "cadmon-backtest: %.1f MiB, %.2f M lines/s",
			(double)bytes / MIB, lines_per_second / 1e6);
	}
	fflush(progress->out);
	progress->shown = true;
}

void progress_update(struct progress *progress, uint64_t input_bytes, uint64_t lines)
{
	struct timespec now;

	if (!progress->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t run_ms = elapsed_ms(&progress->started, &now);
	if (run_ms < PROGRESS_DELAY_MS ||
	    elapsed_ms(&progress->last_drawn, &now) < MS_PER_SECOND / PROGRESS_HZ)
		return;
	progress->last_drawn = now;
	draw(progress, progress->done_bytes + input_bytes, lines, run_ms);
}

void progress_input_done(struct progress *progress, uint64_t input_bytes)
{
	progress->done_bytes += input_bytes;
}

void progress_clear(struct progress *progress)
{
	if (!progress->shown)
		return;
	fputs("\r\033[K", progress->out);
	fflush(progress->out);
	progress->shown = false;
}
