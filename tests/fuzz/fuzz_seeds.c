/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Seeds in the current binary formats, written at test time so that they follow the code:
 *   fuzz_seeds DIR   writes DIR/snapshot/NAME.bin (engine snapshots without their CRC trailer,
 *                    the form fuzz_snapshot takes) and DIR/record/NAME.bin (journal segments).
 * The scripted shift of tests/support/shift_fixture.c drives the engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "engine.h"
#include "fuzz_common.h"
#include "record.h"
#include "shift_fixture.h"

static int write_file(const char *dir, const char *sub, const char *name, const void *data,
		      size_t len)
{
	char path[4096];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if (!(file = fopen(path, "wb")))
		return -1;
	size_t written = fwrite(data, 1, len, file);
	return fclose(file) == 0 && written == len ? 0 : -1;
}

static size_t line_length(const char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

/* Snapshots after 0, 4, 8 and all lines of the shift (the last one with an open alert). */
static int write_snapshots(const char *dir)
{
	struct config config;
	struct engine_verdict verdict;
	size_t cuts[] = {0, 4, 8, SHIFT_LINE_COUNT};
	int rc = 0;

	fuzz_small_config(&config);
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]) && rc == 0; c++) {
		struct engine *engine = engine_new(&config, NULL, NULL);
		struct codec_writer writer = {0};
		char name[32];
		if (!engine)
			return -1;
		for (size_t i = 0; i < cuts[c]; i++)
			engine_process(engine, i % 2 ? "cad-1" : "", shift_lines[i],
				       line_length(shift_lines[i]), &verdict);
		engine_snapshot(engine, &writer);
		snprintf(name, sizeof(name), "after-%zu.bin", cuts[c]);
		rc = writer.failed ? -1
				   : write_file(dir, "snapshot", name, writer.data, writer.len - 4);
		codec_writer_release(&writer);
		engine_free(engine);
	}
	return rc;
}

/* One segment with a record of every type, as a journal writes them. */
static int write_segment(const char *dir)
{
	static const char alert[] = "{\"alert\":\"firing\",\"seq\":1}";
	struct codec_writer writer = {0};
	struct record_alert_ref ref = {.seq = 1};
	uint64_t index = 1;

	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++)
		record_put_event(&writer, index++, "cad-1", shift_lines[i],
				 line_length(shift_lines[i]));
	record_put_reject(&writer, index++, EVENT_REJECT_LINE_TOO_LONG);
	ref.offset = writer.len;
	record_put_alert(&writer, index++, 1, alert, strlen(alert));
	ref.record_bytes = (uint32_t)(writer.len - ref.offset);
	record_put_segment_end(&writer, index++, 1795939470000, &ref, 1);
	int rc = writer.failed ? -1
			       : write_file(dir, "record", "segment.bin", writer.data, writer.len);
	codec_writer_release(&writer);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seeds DIR\n");
		return 2;
	}
	if (write_snapshots(argv[1]) != 0 || write_segment(argv[1]) != 0) {
		fprintf(stderr, "fuzz_seeds: cannot write seeds under %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	return 0;
}
