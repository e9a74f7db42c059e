/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * memory: the engine's heap per call held, for a recording.
 *
 *   memory [-c CONFIG] FILE
 *
 * Reads FILE (protocol v1 NDJSON, e.g. cadmon-sim output) into memory, then measures the heap
 * in use (glibc mallinfo2: uordblks + hblkhd) before engine_new, after it (the tables at
 * their first size, the scratch arrays their bounds need), and after every line went through
 * engine_process_line (the tables grown to what they hold).
 * Prints the engine's growth per completed call (call_end lines): with a shift no longer
 * than the longest window (the sequential rule's 8 h by default), every call is still held
 * in the windows, so that is the memory per call held, everything else the engine keeps
 * (open calls, repeat callers, the duplicate filter, operators) included.
 *
 * Then builds one snapshot of that state as the daemon does (engine_snapshot into a buffer,
 * CPU time of the building only: the write and fsync come on top) and prints its size, the
 * time and the heap at its peak, and times a fork() of the process as it is: cadmond's event
 * loop stalls that long to start a snapshot (the child builds and writes it, the loop goes on).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "engine.h"

#define WHY_MAX 256

static size_t heap_in_use(void)
{
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
}

static double cpu_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* One snapshot of the engine, built whole in memory as the daemon's journal does. */
static void measure_snapshot(const struct engine *engine, size_t before)
{
	struct codec_writer writer = {0};
	double start = cpu_ms(), took;
	size_t peak;

	engine_snapshot(engine, &writer);
	took = cpu_ms() - start;
	peak = heap_in_use();
	printf("  a snapshot: %.1f MB built in %.0f ms of CPU; the heap at its peak: %.1f MB\n",
	       (double)writer.len / 1e6, took, (double)(peak - before) / 1e6);
	codec_writer_release(&writer);
}

static double wall_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* The parent's time in fork(), the shortest and longest of 5 (the child only exits). */
static void measure_fork(void)
{
	double longest = 0.0, shortest = 1e9;

	for (int i = 0; i < 5; i++) {
		double start = wall_ms(), took;
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		took = wall_ms() - start;
		if (pid < 0) {
			perror("memory: fork");
			return;
		}
		waitpid(pid, NULL, 0);
		if (took > longest)
			longest = took;
		if (took < shortest)
			shortest = took;
	}
	printf("  fork() of the engine's process: %.2f-%.2f ms in 5 (the loop's stall to start a "
	       "snapshot)\n",
	       shortest, longest);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	char *text = NULL;
	long size;

	if (!file)
		return NULL;
	if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
	    fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) &&
	    fread(text, 1, (size_t)size, file) == (size_t)size) {
		text[size] = '\0';
		*len = (size_t)size;
	} else {
		free(text);
		text = NULL;
	}
	fclose(file);
	return text;
}

static void count_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	(*(unsigned long *)ctx)++;
}

int main(int argc, char **argv)
{
	static struct config_errors errors;
	struct config config;
	const char *config_path = NULL;
	char why[WHY_MAX], *text, *line, *config_text;
	size_t len, config_len, before, empty, full;
	unsigned long lines = 0, calls = 0, alerts = 0;
	struct engine *engine;
	int option;

	while ((option = getopt(argc, argv, "c:")) != -1) {
		if (option != 'c') {
			fprintf(stderr, "usage: memory [-c CONFIG] FILE\n");
			return 2;
		}
		config_path = optarg;
	}
	if (optind + 1 != argc || !(text = read_file(argv[optind], &len))) {
		fprintf(stderr, "usage: memory [-c CONFIG] FILE (readable)\n");
		return 2;
	}
	config_set_defaults(&config);
	if (config_path) {
		if (!(config_text = read_file(config_path, &config_len)) ||
		    config_parse(config_text, config_len, config_path, &config, &errors) != 0) {
			fprintf(stderr, "memory: cannot use %s: %s\n", config_path,
				errors.count ? errors.message[0] : "");
			return 1;
		}
		free(config_text);
	}
	before = heap_in_use();
	engine = engine_new(&config, count_alert, &alerts);
	if (!engine)
		return 1;
	empty = heap_in_use();
	for (line = text; line < text + len;) {
		char *end = memchr(line, '\n', (size_t)(text + len - line));
		size_t line_len = end ? (size_t)(end - line) : (size_t)(text + len - line);

		engine_process_line(engine, line, line_len, why, sizeof why);
		lines++;
		calls += memmem(line, line_len, "\"call_end\"", 10) != NULL;
		line += line_len + 1;
	}
	full = heap_in_use();
	printf("memory: %s: %lu lines, %lu calls, %lu alerts\n", argv[optind], lines, calls,
	       alerts);
	printf("  engine_new: %.1f MB (tables at their first size)\n",
	       (double)(empty - before) / 1e6);
	printf("  after the lines: %.1f MB more: %.0f bytes per call\n",
	       (double)(full - empty) / 1e6, calls ? (double)(full - empty) / (double)calls : 0.0);
	printf("  in all: %.1f MB: %.0f bytes per call\n", (double)(full - before) / 1e6,
	       calls ? (double)(full - before) / (double)calls : 0.0);
	measure_snapshot(engine, before);
	free(text);
	measure_fork();
	engine_free(engine);
	return 0;
}
