/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * crc32c: the speed of each CRC-32C of lib/codec.c (bytewise reference, slice-by-8, SSE4.2)
 * over 64 MiB in 143-byte records (a journal record of a feed line), CPU time, best of 5.
 *
 *   crc32c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "codec.h"

#define BYTES (64u << 20)
#define RECORD_BYTES 143
#define REPEATS 5

static double cpu_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void measure(const char *name, uint32_t (*crc32c)(uint32_t, const void *, size_t),
		    const unsigned char *data)
{
	double best = -1;
	uint32_t check = 0;

	for (int r = 0; r < REPEATS; r++) {
		double start = cpu_seconds(), took;

		check = 0;
		for (size_t at = 0; at + RECORD_BYTES <= BYTES; at += RECORD_BYTES)
			check ^= crc32c(0, data + at, RECORD_BYTES);
		took = cpu_seconds() - start;
		if (best < 0 || took < best)
			best = took;
	}
	printf("%-11s %7.3f s  %6.2f GB/s  %7.1f M records/s  (check %08x)\n", name, best,
	       BYTES / best / 1e9, BYTES / RECORD_BYTES / best / 1e6, (unsigned)check);
}

int main(void)
{
	unsigned char *data = malloc(BYTES);

	if (!data)
		return 1;
	for (size_t i = 0; i < BYTES; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	printf("crc32c: 64 MiB in %d-byte records, CPU time, best of %d; codec_crc32c uses %s\n",
	       RECORD_BYTES, REPEATS, codec_crc32c_implementation());
	measure("bytewise", codec_crc32c_bytewise, data);
	measure("slice-by-8", codec_crc32c_portable, data);
	measure("sse4.2", codec_crc32c_hardware, data);
	free(data);
	return 0;
}
