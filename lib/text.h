/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TEXT_H
#define CADMON_TEXT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Copy src into dst of capacity size, truncating, always NUL-terminated. */
static inline void text_copy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
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

#endif
