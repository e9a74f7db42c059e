/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_HASH_H
#define CADMON_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bit: fast, stable across runs and platforms (table layout is reproducible). */
static inline uint64_t hash_string(const char *text)
{
	uint64_t hash = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		hash ^= *p;
		hash *= UINT64_C(0x100000001b3);
	}
	return hash;
}

/* Continue a hash over len more bytes. */
static inline uint64_t hash_bytes(uint64_t hash, const void *bytes, size_t len)
{
	for (const unsigned char *p = bytes; len--; p++) {
		hash ^= *p;
		hash *= UINT64_C(0x100000001b3);
	}
	return hash;
}

/* hash_string_pair of a first string whose hash_string is first_hash: keys sharing their first
 * string hash it once. */
static inline uint64_t hash_string_pair_after(uint64_t first_hash, const char *second)
{
	uint64_t hash = first_hash;

	hash ^= 0x1f;
	hash *= UINT64_C(0x100000001b3);
	for (const unsigned char *p = (const unsigned char *)second; *p; p++) {
		hash ^= *p;
		hash *= UINT64_C(0x100000001b3);
	}
	return hash;
}

/* Continue a hash over a separator byte and a second string: keys made of two strings. */
static inline uint64_t hash_string_pair(const char *first, const char *second)
{
	return hash_string_pair_after(hash_string(first), second);
}

#endif
