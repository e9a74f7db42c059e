/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Golden files of the on-disk formats (tests/data/golden/README.md): a snapshot and a journal
 * segment written from a fixed input. An accidental change of either format fails the check.
 *   golden --check DIR   rebuild both and compare them with DIR's, byte for byte
 *   golden --write DIR   write them (meson run target golden-update: a deliberate change)
 * The snapshot's configuration section is YAML read back by key (config_parse): it grows with
 * every new configuration key and is not part of the comparison; the frame, the format number
 * and every byte of state are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "config.h"
#include "engine.h"
#include "record.h"
#include "shift_fixture.h"

#define SNAPSHOT_FILE "snapshot-format18.bin"
#define SEGMENT_FILE "segment-format1.bin"
/* The snapshot frame: magic (8 bytes), format (u32), the host's stamp (u64 journal index,
 * u8 next), configuration length (u32). */
#define SNAPSHOT_HEAD_BYTES 25u

static void golden_config(struct config *config)
{
	config_set_defaults(config);
	config->tracker.max_open_calls = 64;
	config->tracker.max_operators = 16;
	config->tracker.max_window_calls = 32;
	config->tracker.max_center_calls = 128;
	config->tracker.max_dedupe_events = 1000;
	config->tracker.max_recent_callers = 32;
	config->feed.max_sources = 4;
	config->detector.rule_count = 2;
	config->detector.rules[0] = (struct config_rule){
		.name = "burst", .type = CONFIG_RULE_WINDOW, .window_seconds = 600, .min_calls = 3,
		.min_premature = 2, .min_ratio = 0.5, .called_back_weight = 1.0, .max_p_value = 1.0,
		.min_center_ratio = 0.05, .severity = "critical"};
	config->detector.rules[1] = (struct config_rule){ .name = "drift",
							  .type = CONFIG_RULE_CUSUM,
							  .window_seconds = 3600,
							  .called_back_weight = 1.0,
							  .max_p_value = 1.0,
							  .min_center_ratio = 0.05,
							  .odds_ratio = 3.0,
							  .threshold = 2.0,
							  .severity = "warning" };
}

static size_t line_length(const char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return len;
}

/* The scripted shift from two origins (a named source with a host clock, and the unnamed
 * stream), an ack, and a snapshot with an open alert, stamped as a journal stamps it. */
static int build_snapshot(struct codec_writer *writer)
{
	static const char ack[] = "{\"ack\":\"x\",\"by\":\"golden\"}";
	struct engine_origin named = {
		.source = "cad-1", .named = true, .epoch = "e1", .first_of_connection = true
	};
	struct engine_verdict verdict;
	struct config config;
	char why[256];

	golden_config(&config);
	struct engine *engine = engine_new(&config, NULL, NULL);
	if (!engine)
		return -ENOMEM;
	for (size_t i = 0; i < SHIFT_LINE_COUNT; i++) {
		size_t len = line_length(shift_lines[i]);
		if (i % 2) {
			named.received_ms = 1795939200000 + (int64_t)i * 1000;
			engine_process_from(engine, &named, shift_lines[i], len, &verdict);
			named.first_of_connection = false;
		} else {
			engine_process(engine, "", shift_lines[i], len, &verdict);
		}
	}
	engine_control(engine, ack, strlen(ack), 1795939500000, why, sizeof(why));
	engine_snapshot_stamped(engine,
				&(struct engine_snapshot_stamp){ 42, ENGINE_SNAPSHOT_NEXT_SEGMENT },
				writer);
	engine_free(engine);
	return writer->failed ? -ENOMEM : 0;
}

/* A record of every type, as a journal writes them. */
static int build_segment(struct codec_writer *writer)
{
	static const char alert[] = "{\"alert\":\"firing\",\"seq\":1}";
	static const char control[] = "{\"ack\":\"a-1\",\"by\":\"golden\"}";
	struct engine_origin origin = { .source = "cad-1",
					.named = true,
					.epoch = "e1",
					.first_of_connection = true,
					.received_ms = 1795939200000 };
	struct record_alert_ref ref = {.seq = 1};
	uint64_t index = 1;

	record_put_event(writer, index++, "cad-1", shift_lines[0], line_length(shift_lines[0]));
	record_put_event_at(writer, index++, &origin, shift_lines[1], line_length(shift_lines[1]));
	record_put_reject(writer, index++, EVENT_REJECT_LINE_TOO_LONG);
	record_put_control(writer, index++, 1795939300000, control, strlen(control));
	ref.offset = writer->len;
	record_put_alert(writer, index++, 1, alert, strlen(alert));
	ref.record_bytes = (uint32_t)(writer->len - ref.offset);
	record_put_segment_end(writer, index++, 1795939470000, &ref, 1);
	return writer->failed ? -ENOMEM : 0;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(file = fopen(path, "wb"))) {
		fprintf(stderr, "golden: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t written = fwrite(data, 1, len, file);
	if (fclose(file) != 0 || written != len) {
		fprintf(stderr, "golden: %s: cannot write it\n", path);
		return -1;
	}
	return 0;
}

static unsigned char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	unsigned char *data = NULL;
	FILE *file;
	long size;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(file = fopen(path, "rb")) || fseek(file, 0, SEEK_END) != 0 ||
	    (size = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0 ||
	    !(data = malloc((size_t)size + 1)) ||
	    fread(data, 1, (size_t)size, file) != (size_t)size) {
		fprintf(stderr, "golden: %s: cannot read it\n", path);
		free(data);
		if (file)
			fclose(file);
		return NULL;
	}
	fclose(file);
	*len = (size_t)size;
	return data;
}

/* Compare len bytes; name the first that differs. */
static int same_bytes(const char *name, const char *part, const unsigned char *golden,
		      const unsigned char *built, size_t golden_len, size_t built_len, size_t base)
{
	size_t n = golden_len < built_len ? golden_len : built_len;

	for (size_t i = 0; i < n; i++)
		if (golden[i] != built[i]) {
			fprintf(stderr,
				"golden: %s: %s differs at byte %zu: golden 0x%02x, built 0x%02x\n",
				name, part, base + i, golden[i], built[i]);
			return -1;
		}
	if (golden_len != built_len) {
		fprintf(stderr, "golden: %s: %s is %zu bytes, built %zu\n", name, part, golden_len,
			built_len);
		return -1;
	}
	return 0;
}

static uint32_t load_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The frame head and the state after the configuration, without the CRC (it covers the
 * configuration too). */
static int same_snapshot(const unsigned char *golden, size_t golden_len, const unsigned char *built,
			 size_t built_len)
{
	if (golden_len < SNAPSHOT_HEAD_BYTES + 4 || built_len < SNAPSHOT_HEAD_BYTES + 4) {
		fprintf(stderr, "golden: %s: truncated\n", SNAPSHOT_FILE);
		return -1;
	}
	size_t golden_state = SNAPSHOT_HEAD_BYTES + load_u32(golden + SNAPSHOT_HEAD_BYTES - 4);
	size_t built_state = SNAPSHOT_HEAD_BYTES + load_u32(built + SNAPSHOT_HEAD_BYTES - 4);
	if (golden_state > golden_len - 4 || built_state > built_len - 4) {
		fprintf(stderr, "golden: %s: configuration past the end\n", SNAPSHOT_FILE);
		return -1;
	}
	if (same_bytes(SNAPSHOT_FILE, "the frame head", golden, built, SNAPSHOT_HEAD_BYTES - 4,
		       SNAPSHOT_HEAD_BYTES - 4, 0) != 0)
		return -1;
	return same_bytes(SNAPSHOT_FILE, "the state", golden + golden_state, built + built_state,
			  golden_len - 4 - golden_state, built_len - 4 - built_state, golden_state);
}

static int check(const char *dir, const struct codec_writer *snapshot,
		 const struct codec_writer *segment)
{
	size_t snapshot_len = 0, segment_len = 0;
	unsigned char *golden_snapshot = read_file(dir, SNAPSHOT_FILE, &snapshot_len);
	unsigned char *golden_segment = read_file(dir, SEGMENT_FILE, &segment_len);
	int rc = golden_snapshot && golden_segment ? 0 : -1;

	if (rc == 0 &&
	    same_snapshot(golden_snapshot, snapshot_len, snapshot->data, snapshot->len) != 0)
		rc = -1;
	if (golden_segment && same_bytes(SEGMENT_FILE, "the segment", golden_segment, segment->data,
					 segment_len, segment->len, 0) != 0)
		rc = -1;
	free(golden_snapshot);
	free(golden_segment);
	if (rc != 0)
		fprintf(stderr, "golden: a format changed. If on purpose: bump its number "
				"(ENGINE_SNAPSHOT_FORMAT, "
				"RECORD_FORMAT), then `meson compile -C BUILD golden-update` "
				"(tests/data/golden/README.md)\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct codec_writer snapshot = {0}, segment = {0};
	int rc;

	if (argc != 3 || (strcmp(argv[1], "--check") != 0 && strcmp(argv[1], "--write") != 0)) {
		fprintf(stderr, "usage: golden --check|--write DIR\n");
		return 2;
	}
	if (build_snapshot(&snapshot) != 0 || build_segment(&segment) != 0) {
		fprintf(stderr, "golden: out of memory\n");
		return 1;
	}
	if (strcmp(argv[1], "--write") == 0)
		rc = write_file(argv[2], SNAPSHOT_FILE, snapshot.data, snapshot.len) == 0 &&
				     write_file(argv[2], SEGMENT_FILE, segment.data, segment.len) ==
					     0
			     ? 0
			     : -1;
	else
		rc = check(argv[2], &snapshot, &segment);
	if (rc == 0)
		printf("golden: %s: %s (%zu bytes) and %s (%zu bytes) %s\n", argv[2], SNAPSHOT_FILE,
		       snapshot.len, SEGMENT_FILE, segment.len,
		       strcmp(argv[1], "--write") == 0 ? "written" : "as built");
	codec_writer_release(&snapshot);
	codec_writer_release(&segment);
	return rc == 0 ? 0 : 1;
}
