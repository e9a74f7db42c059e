/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void codec_writer_release(struct codec_writer *writer)
{
	free(writer->data);
	writer->data = NULL;
	writer->len = writer->cap = 0;
}

void codec_writer_init_sink(struct codec_writer *writer, codec_sink_fn *sink, void *ctx,
			    size_t chunk_bytes)
{
	*writer =
		(struct codec_writer){ .sink = sink, .sink_ctx = ctx, .chunk_bytes = chunk_bytes };
}

void codec_writer_flush(struct codec_writer *writer)
{
	if (!writer->sink || writer->failed || writer->len == 0)
		return;
	writer->sunk_crc = codec_crc32c(writer->sunk_crc, writer->data, writer->len);
	if (!writer->sink(writer->sink_ctx, writer->data, writer->len))
		writer->failed = true;
	writer->sunk_bytes += writer->len;
	writer->len = 0;
}

uint32_t codec_writer_crc32c(const struct codec_writer *writer, size_t start)
{
	if (writer->sink)
		return codec_crc32c(writer->sunk_crc, writer->data, writer->len);
	return codec_crc32c(0, writer->data + start, writer->len - start);
}

static bool reserve(struct codec_writer *writer, size_t more)
{
	if (writer->failed)
		return false;
	if (writer->cap - writer->len >= more)
		return true;
	size_t cap = writer->cap ? writer->cap : 4096;
	while (cap - writer->len < more) {
		if (cap > SIZE_MAX / 2) {
			writer->failed = true;
			return false;
		}
		cap *= 2;
	}
	unsigned char *data = realloc(writer->data, cap);
	if (!data) {
		writer->failed = true;
		return false;
	}
	writer->data = data;
	writer->cap = cap;
	return true;
}

/* A streaming writer's bytes, in chunks of exactly chunk_bytes. */
static void put_streaming(struct codec_writer *writer, const unsigned char *bytes, size_t len)
{
	while (len > 0 && !writer->failed) {
		size_t room = writer->chunk_bytes - writer->len;
		size_t take = len < room ? len : room;
		if (!reserve(writer, take))
			return;
		memcpy(writer->data + writer->len, bytes, take);
		writer->len += take;
		bytes += take;
		len -= take;
		if (writer->len == writer->chunk_bytes)
			codec_writer_flush(writer);
	}
}

void codec_put_bytes(struct codec_writer *writer, const void *bytes, size_t len)
{
	if (writer->sink) {
		put_streaming(writer, bytes, len);
		return;
	}
	if (len == 0 || !reserve(writer, len))
		return;
	memcpy(writer->data + writer->len, bytes, len);
	writer->len += len;
}

static void put_little_endian(struct codec_writer *writer, uint64_t value, size_t bytes)
{
	unsigned char buffer[8];

	for (size_t i = 0; i < bytes; i++)
		buffer[i] = (unsigned char)(value >> (8 * i));
	codec_put_bytes(writer, buffer, bytes);
}

void codec_put_u8(struct codec_writer *writer, uint8_t value)
{
	put_little_endian(writer, value, 1);
}

void codec_put_u32(struct codec_writer *writer, uint32_t value)
{
	put_little_endian(writer, value, 4);
}

void codec_put_u64(struct codec_writer *writer, uint64_t value)
{
	put_little_endian(writer, value, 8);
}

void codec_put_i64(struct codec_writer *writer, int64_t value)
{
	put_little_endian(writer, (uint64_t)value, 8);
}

void codec_put_f64(struct codec_writer *writer, double value)
{
	uint64_t bits;

	memcpy(&bits, &value, sizeof(bits));
	put_little_endian(writer, bits, 8);
}

void codec_put_string(struct codec_writer *writer, const char *text)
{
	size_t len = strlen(text);

	codec_put_u32(writer, (uint32_t)len);
	codec_put_bytes(writer, text, len);
}

void codec_reader_init(struct codec_reader *reader, const void *data, size_t len)
{
	*reader = (struct codec_reader){.data = data, .len = len};
}

void codec_get_bytes(struct codec_reader *reader, void *bytes, size_t len)
{
	if (reader->failed || reader->len - reader->pos < len) {
		reader->failed = true;
		memset(bytes, 0, len);
		return;
	}
	memcpy(bytes, reader->data + reader->pos, len);
	reader->pos += len;
}

static uint64_t get_little_endian(struct codec_reader *reader, size_t bytes)
{
	unsigned char buffer[8];
	uint64_t value = 0;

	codec_get_bytes(reader, buffer, bytes);
	for (size_t i = 0; i < bytes; i++)
		value |= (uint64_t)buffer[i] << (8 * i);
	return value;
}

uint8_t codec_get_u8(struct codec_reader *reader)
{
	return (uint8_t)get_little_endian(reader, 1);
}

uint32_t codec_get_u32(struct codec_reader *reader)
{
	return (uint32_t)get_little_endian(reader, 4);
}

uint64_t codec_get_u64(struct codec_reader *reader)
{
	return get_little_endian(reader, 8);
}

int64_t codec_get_i64(struct codec_reader *reader)
{
	return (int64_t)get_little_endian(reader, 8);
}

double codec_get_f64(struct codec_reader *reader)
{
	uint64_t bits = get_little_endian(reader, 8);
	double value;

	memcpy(&value, &bits, sizeof(value));
	return value;
}

void codec_get_string(struct codec_reader *reader, char *dst, size_t size)
{
	uint32_t len = codec_get_u32(reader);

	if (reader->failed || len >= size) {
		reader->failed = true;
		dst[0] = '\0';
		return;
	}
	codec_get_bytes(reader, dst, len);
	dst[reader->failed ? 0 : len] = '\0';
}

/* Bounds on a counters frame: a damaged count cannot make the loop run for ever. */
#define CODEC_COUNTER_NAME_MAX 64
#define CODEC_COUNTERS_MAX 4096u

static void put_element(struct codec_writer *writer, const struct codec_counter *counter,
			const void *stats, uint32_t i)
{
	const unsigned char *at =
		(const unsigned char *)stats + counter->offset + (size_t)i * counter->width;

	if (counter->width == 4) {
		uint32_t value;
		memcpy(&value, at, sizeof(value));
		codec_put_u64(writer, value);
	} else {
		uint64_t value;
		memcpy(&value, at, sizeof(value));
		codec_put_u64(writer, value);
	}
}

void codec_put_counters(struct codec_writer *writer, const struct codec_counter *counters,
			size_t count, const void *stats)
{
	codec_put_u32(writer, (uint32_t)count);
	for (size_t c = 0; c < count; c++) {
		codec_put_string(writer, counters[c].name);
		codec_put_u32(writer, counters[c].count);
		for (uint32_t i = 0; i < counters[c].count; i++)
			put_element(writer, &counters[c], stats, i);
	}
}

static const struct codec_counter *find_counter(const struct codec_counter *counters, size_t count,
						const char *name)
{
	for (size_t c = 0; c < count; c++)
		if (strcmp(counters[c].name, name) == 0)
			return &counters[c];
	return NULL;
}

static bool get_element(const struct codec_counter *counter, void *stats, uint32_t i,
			uint64_t value)
{
	unsigned char *at = (unsigned char *)stats + counter->offset + (size_t)i * counter->width;

	if (counter->width == 4) {
		if (value > UINT32_MAX)
			return false;
		uint32_t narrow = (uint32_t)value;
		memcpy(at, &narrow, sizeof(narrow));
	} else {
		memcpy(at, &value, sizeof(value));
	}
	return true;
}

int codec_get_counters(struct codec_reader *reader, const struct codec_counter *counters,
		       size_t count, void *stats)
{
	uint32_t saved = codec_get_u32(reader);

	if (reader->failed || saved > CODEC_COUNTERS_MAX)
		return -EINVAL;
	for (size_t c = 0; c < count; c++)
		for (uint32_t i = 0; i < counters[c].count; i++)
			get_element(&counters[c], stats, i, 0);
	for (uint32_t n = 0; n < saved && !reader->failed; n++) {
		char name[CODEC_COUNTER_NAME_MAX + 1];
		codec_get_string(reader, name, sizeof(name));
		uint32_t elements = codec_get_u32(reader);
		const struct codec_counter *counter = find_counter(counters, count, name);
		if (reader->failed || elements > CODEC_COUNTERS_MAX)
			return -EINVAL;
		for (uint32_t i = 0; i < elements; i++) {
			uint64_t value = codec_get_u64(reader);
			if (!reader->failed && counter && i < counter->count &&
			    !get_element(counter, stats, i, value))
				return -EINVAL;
		}
	}
	return reader->failed ? -EINVAL : 0;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte. The
 * table is crc32c_table[i] = the CRC register after shifting byte i through 8 times. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* Slice-by-8: crc32c_slices[k][i] = the register after byte i and k zero bytes more; slice 0
 * is crc32c_table. Filled once at load (codec_crc32c_init). */
static uint32_t crc32c_slices[8][256];

/* Which implementation codec_crc32c runs: chosen once at load. */
static uint32_t (*crc32c_impl)(uint32_t crc, const void *data, size_t len) = codec_crc32c_portable;

uint32_t codec_crc32c_bytewise(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	crc = ~crc;
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void crc32c_fill_slices(void)
{
	for (unsigned i = 0; i < 256; i++)
		crc32c_slices[0][i] = crc32c_table[i];
	for (unsigned k = 1; k < 8; k++)
		for (unsigned i = 0; i < 256; i++) {
			uint32_t prev = crc32c_slices[k - 1][i];

			crc32c_slices[k][i] = (prev >> 8) ^ crc32c_table[prev & 0xff];
		}
}

uint32_t codec_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const unsigned char *p = data;

	if (crc32c_slices[1][1] == 0) /* before codec_crc32c_init (a constructor) ran */
		return codec_crc32c_bytewise(crc, data, len);
	crc = ~crc;
	while (len >= 8) {
		uint64_t word;

		memcpy(&word, p, 8);
		word ^= crc;
		crc = crc32c_slices[7][word & 0xff] ^ crc32c_slices[6][(word >> 8) & 0xff] ^
		      crc32c_slices[5][(word >> 16) & 0xff] ^
		      crc32c_slices[4][(word >> 24) & 0xff] ^
		      crc32c_slices[3][(word >> 32) & 0xff] ^
		      crc32c_slices[2][(word >> 40) & 0xff] ^
		      crc32c_slices[1][(word >> 48) & 0xff] ^ crc32c_slices[0][word >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
#else
	return codec_crc32c_bytewise(crc, data, len);
#endif
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

#define CODEC_CRC32C_HARDWARE 1

/* SSE4.2's crc32 instruction: 8 bytes at a time, the head and tail a byte at a time. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t register64;

	crc = ~crc;
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		crc = _mm_crc32_u8(crc, *p++);
		len--;
	}
	register64 = crc;
	while (len >= 8) {
		uint64_t word;

		memcpy(&word, p, 8);
		register64 = _mm_crc32_u64(register64, word);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)register64;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return ~crc;
}
#endif

bool codec_crc32c_hardware_available(void)
{
#ifdef CODEC_CRC32C_HARDWARE
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
#else
	return false;
#endif
}

uint32_t codec_crc32c_hardware(uint32_t crc, const void *data, size_t len)
{
#ifdef CODEC_CRC32C_HARDWARE
	if (codec_crc32c_hardware_available())
		return crc32c_sse42(crc, data, len);
#endif
	return codec_crc32c_portable(crc, data, len);
}

const char *codec_crc32c_implementation(void)
{
#ifdef CODEC_CRC32C_HARDWARE
	if (crc32c_impl == crc32c_sse42)
		return "sse4.2";
#endif
	return "slice-by-8";
}

/* At load: the slice tables, and the hardware path when the CPU has it. */
__attribute__((constructor)) static void codec_crc32c_init(void)
{
	crc32c_fill_slices();
#ifdef CODEC_CRC32C_HARDWARE
	if (codec_crc32c_hardware_available())
		crc32c_impl = crc32c_sse42;
#endif
}

uint32_t codec_crc32c(uint32_t crc, const void *data, size_t len)
{
	return crc32c_impl(crc, data, len);
}
