/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Feed lines through the whole engine: the input is split at "\n" into lines; a line's first
 * byte, when it is a digit, picks one of four sources (so that resend detection and
 * per-source state run), the rest is the line. Every line must come back with a verdict and
 * the engine must stay consistent (ASan/UBSan, and a snapshot at the end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine.h"
#include "fuzz_common.h"

static const char *const sources[] = {"", "cad-1", "cad-2", "cad-3"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config config;
	static int configured;
	struct engine_verdict verdict;
	struct codec_writer snapshot = {0};

	if (!configured) {
		fuzz_small_config(&config);
		configured = 1;
	}
	struct engine *engine = engine_new(&config, NULL, NULL);
	if (!engine)
		return 0;
	const char *text = (const char *)data;
	size_t pos = 0;
	while (pos < size) {
		const char *end = memchr(text + pos, '\n', size - pos);
		size_t len = end ? (size_t)(end - (text + pos)) : size - pos;
		const char *source = "";
		const char *line = text + pos;
		if (len > 0 && line[0] >= '0' && line[0] <= '3') {
			source = sources[line[0] - '0'];
			line++;
			len--;
		}
		engine_process(engine, source, line, len, &verdict);
		pos += (size_t)(line - (text + pos)) + len + 1;
	}
	engine_snapshot(engine, &snapshot);
	codec_writer_release(&snapshot);
	engine_free(engine);
	return 0;
}
