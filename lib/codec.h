/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CODEC_H
#define CADMON_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Little-endian binary encoding into a growing buffer, and decoding from a bounded one, for
 * engine snapshots and journal records. Errors are sticky: after the first failure (out of
 * memory, reading past the end) every call does nothing and `failed` stays set, so callers
 * check once at the end.
 */

/* Where a streaming writer hands its bytes, in order; false if they could not be taken. */
typedef bool codec_sink_fn(void *ctx, const void *data, size_t len);

/* The chunk a streaming writer of the journal's snapshots hands its sink. */
#define CODEC_SINK_CHUNK_BYTES (64 * 1024)

struct codec_writer {
	unsigned char *data; /* malloc'd; the caller frees it (codec_writer_release) */
	size_t len;
	size_t cap;
	bool failed;
	codec_sink_fn *sink; /* NULL: everything stays in data; else data holds the unsunk tail */
	void *sink_ctx;
	size_t chunk_bytes;  /* a streaming writer hands its sink chunks of this many bytes */
	uint32_t sunk_crc;   /* CRC-32C of the bytes sunk so far */
	uint64_t sunk_bytes;
};

struct codec_reader {
	const unsigned char *data;
	size_t len;
	size_t pos;
	bool failed;
};

void codec_writer_release(struct codec_writer *writer);
/** A writer that streams to sink in chunks of exactly chunk_bytes (> 0; codec_writer_flush
 * hands over the rest): it never holds more than one chunk. */
void codec_writer_init_sink(struct codec_writer *writer, codec_sink_fn *sink, void *ctx,
			    size_t chunk_bytes);
/** Hand what a streaming writer holds to its sink (a failure sets failed). */
void codec_writer_flush(struct codec_writer *writer);
/** CRC-32C of the bytes written from offset start of data on; of a streaming writer, of
 * everything it was given (start must then be 0, the writer started empty). */
uint32_t codec_writer_crc32c(const struct codec_writer *writer, size_t start);
void codec_put_bytes(struct codec_writer *writer, const void *bytes, size_t len);
void codec_put_u8(struct codec_writer *writer, uint8_t value);
void codec_put_u32(struct codec_writer *writer, uint32_t value);
void codec_put_u64(struct codec_writer *writer, uint64_t value);
void codec_put_i64(struct codec_writer *writer, int64_t value);
void codec_put_f64(struct codec_writer *writer, double value);
/** A NUL-terminated string as u32 length + bytes. */
void codec_put_string(struct codec_writer *writer, const char *text);

void codec_reader_init(struct codec_reader *reader, const void *data, size_t len);
void codec_get_bytes(struct codec_reader *reader, void *bytes, size_t len);
uint8_t codec_get_u8(struct codec_reader *reader);
uint32_t codec_get_u32(struct codec_reader *reader);
uint64_t codec_get_u64(struct codec_reader *reader);
int64_t codec_get_i64(struct codec_reader *reader);
double codec_get_f64(struct codec_reader *reader);
/** Read a string into dst (capacity size, NUL-terminated); fails if it does not fit. */
void codec_get_string(struct codec_reader *reader, char *dst, size_t size);

/*
 * A stats struct's counters, saved by name so that a build which adds, drops or reorders
 * counters still reads the snapshot: [u32 n] n x ([string name][u32 m][m x u64 value]).
 * A name this build does not know is skipped; a counter the snapshot lacks stays 0.
 */
struct codec_counter {
	const char *name;
	size_t offset;   /* of the first element in the struct */
	uint8_t width;   /* bytes of one element: 4 or 8 */
	uint32_t count;  /* elements (1, or an array's length) */
};

/* A table entry for a scalar or array field of type. */
#define CODEC_COUNTER(type, field) \
	{#field, offsetof(type, field), (uint8_t)sizeof(((type *)0)->field[0]), \
	 (uint32_t)(sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]))}
#define CODEC_COUNTER_SCALAR(type, field) \
	{#field, offsetof(type, field), (uint8_t)sizeof(((type *)0)->field), 1}

/* Entries of a static table of counters. */
#define CODEC_COUNTER_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/** Write the count counters of stats by name. */
void codec_put_counters(struct codec_writer *writer, const struct codec_counter *counters,
			size_t count, const void *stats);
/** Read what codec_put_counters wrote into stats (zeroed first). 0, or -EINVAL (a bad frame,
 * or a value too wide for its field). */
int codec_get_counters(struct codec_reader *reader, const struct codec_counter *counters,
		       size_t count, void *stats);

/**
 * CRC-32C (Castagnoli) of len bytes, continuing from crc (0 to start): SSE4.2's crc32
 * instruction when the CPU has it (checked once at load), else slice-by-8 tables.
 */
uint32_t codec_crc32c(uint32_t crc, const void *data, size_t len);

/** The portable CRC-32C (slice-by-8 on little-endian hosts, else a byte at a time). */
uint32_t codec_crc32c_portable(uint32_t crc, const void *data, size_t len);

/** The reference CRC-32C: one table lookup per byte. */
uint32_t codec_crc32c_bytewise(uint32_t crc, const void *data, size_t len);

/** True when this CPU has the hardware CRC-32C (x86-64 SSE4.2). */
bool codec_crc32c_hardware_available(void);

/** The hardware CRC-32C; the portable one where the CPU has none. */
uint32_t codec_crc32c_hardware(uint32_t crc, const void *data, size_t len);

/** Which implementation codec_crc32c runs: "sse4.2" or "slice-by-8". */
const char *codec_crc32c_implementation(void);

#endif
