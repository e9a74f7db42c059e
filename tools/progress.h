/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_PROGRESS_H
#define CADMON_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * A one-line progress display for long runs on a terminal: bytes read (of the total when
 * known), lines per second and the time left, redrawn in place at most PROGRESS_HZ times a
 * second, first shown after PROGRESS_DELAY_MS so short runs stay quiet, and erased at the end.
 */

#define PROGRESS_HZ 5
#define PROGRESS_DELAY_MS 500

struct progress {
	FILE *out;
	bool enabled;
	bool shown;               /* a line is on the screen now */
	uint64_t total_bytes;     /* 0: unknown */
	uint64_t done_bytes;      /* of the inputs already finished */
	struct timespec started;
	struct timespec last_drawn;
};

/** Start timing. Nothing is ever drawn unless enabled. total_bytes 0 means unknown. */
void progress_init(struct progress *progress, FILE *out, bool enabled, uint64_t total_bytes);

/** Bytes read from the current input and lines processed in all; redraws when due. */
void progress_update(struct progress *progress, uint64_t input_bytes, uint64_t lines);

/** The current input is finished after input_bytes. */
void progress_input_done(struct progress *progress, uint64_t input_bytes);

/** Erase the line (before other output to the terminal, and at the end). */
void progress_clear(struct progress *progress);

#endif
