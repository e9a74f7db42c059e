/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TEXT_H
#define CADMON_TEXT_H

#include <stddef.h>
#include <string.h>

/* Copy src into dst of capacity size, truncating, always NUL-terminated. */
static inline void text_copy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

#endif
