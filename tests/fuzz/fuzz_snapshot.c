/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * engine_restore on arbitrary bytes. The CRC-32C that ends a snapshot is recomputed over the
 * input (and appended), so the fuzzer reaches the decoders behind the checksum; a restored
 * engine then processes a few lines and is snapshotted again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine.h"
#include "fuzz_common.h"

static const char *const lines[] = {
	"{\"type\":\"call_start\",\"call_id\":\"z1\",\"ts\":\"2026-11-29T09:00:00Z\",\"operator\":"
	"\"op-7\",\"ani\":\"5045550101\"}",
	"{\"type\":\"call_end\",\"call_id\":\"z1\",\"ts\":\"2026-11-29T09:00:05Z\",\"released_by\":"
	"\"operator\"}",
	"{\"type\":\"call_start\",\"call_id\":\"z2\",\"ts\":\"2026-11-29T09:01:00Z\",\"operator\":"
	"\"op-9\",\"ani\":\"5045550101\"}",
	"{\"type\":\"call_end\",\"call_id\":\"z2\",\"ts\":\"2026-11-29T09:04:00Z\",\"released_by\":"
	"\"caller\"}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct codec_writer framed = {0};
	struct codec_writer again = {0};
	struct engine_verdict verdict;
	char why[256];

	codec_put_bytes(&framed, data, size);
	codec_put_u32(&framed, codec_crc32c(0, data, size));
	struct engine *engine = framed.failed ? NULL
					      : engine_restore(framed.data, framed.len, NULL, NULL,
							       NULL, why, sizeof(why));
	codec_writer_release(&framed);
	if (!engine)
		return 0;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		engine_process(engine, "cad-1", lines[i], strlen(lines[i]), &verdict);
	engine_snapshot(engine, &again);
	codec_writer_release(&again);
	engine_free(engine);
	return 0;
}
