/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TEXT_H
#define CADMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copy src into dst of capacity size, truncating, always NUL-terminated. */
static inline void text_copy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* strcmp(a, b) == 0 without a call when either is "": the unnamed sender's "" is compared on
 * every event (its clock, the owner of its calls and call-takers, its counts, its baseline). */
static inline bool text_equal(const char *a, const char *b)
{
	return a[0] == b[0] && (a[0] == '\0' || strcmp(a + 1, b + 1) == 0);
}

/* text_pack's strings that do not fit inline: one allocation, NULL when out of memory. */
static inline char *text_pack_allocated(const char *const *strings, size_t count,
					unsigned char *lengths)
{
	size_t total = 0, at = 0;
	char *packed;

	for (size_t i = 0; i < count; i++)
		total += strlen(strings[i]) + 1;
	if (!(packed = malloc(total)))
		return NULL;
	for (size_t i = 0; i < count; i++) {
		size_t length = strlen(strings[i]);
		memcpy(packed + at, strings[i], length + 1);
		if (lengths)
			lengths[i] = (unsigned char)length;
		at += length + 1;
	}
	return packed;
}

/*
 * Strings kept at their length, one after another ("a\0b\0...\0"): in the caller's inline
 * buffer when they fit (a center's usual ids), else in one allocation. text_pack returns where
 * they went: inline_buf, a block the caller frees, or NULL when out of memory (inline_buf may
 * have been written then). Each string must be NUL-terminated, at most 255 bytes long, and lie
 * outside inline_buf; lengths (if not NULL) gets the length of each.
 */
static inline char *text_pack(char *inline_buf, size_t inline_size, const char *const *strings,
			      size_t count, unsigned char *lengths)
{
	size_t at = 0;

	for (size_t i = 0; i < count; i++) {
		size_t length = strlen(strings[i]);
		if (at + length + 1 > inline_size)
			return text_pack_allocated(strings, count, lengths);
		memcpy(inline_buf + at, strings[i], length + 1);
		if (lengths)
			lengths[i] = (unsigned char)length;
		at += length + 1;
	}
	return inline_buf;
}

/*
 * Text put together piece by piece into out (size bytes), cut where it stops fitting and always
 * NUL-terminated (size > 0), as snprintf would leave it: for messages built on a hot path, where
 * snprintf's format parsing costs many times the copies (a refused line's why took 2,100
 * instructions in snprintf).
 */
struct text_builder {
	char *out;
	size_t size;
	size_t len; /* what is in out, without the NUL */
};

static inline struct text_builder text_builder_start(char *out, size_t size)
{
	if (size)
		out[0] = '\0';
	return (struct text_builder){ .out = out, .size = size, .len = 0 };
}

/* Append len bytes of s (what fits). */
static inline void text_add_bytes(struct text_builder *text, const char *s, size_t len)
{
	if (text->size == 0)
		return;
	if (len > text->size - 1 - text->len)
		len = text->size - 1 - text->len;
	memcpy(text->out + text->len, s, len);
	text->len += len;
	text->out[text->len] = '\0';
}

static inline void text_add(struct text_builder *text, const char *s)
{
	text_add_bytes(text, s, strlen(s));
}

/* Append value in decimal (as "%" PRIu64). */
static inline void text_add_u64(struct text_builder *text, uint64_t value)
{
	char digits[20];
	size_t at = sizeof(digits);

	do {
		digits[--at] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	text_add_bytes(text, digits + at, sizeof(digits) - at);
}

#endif
