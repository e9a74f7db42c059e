/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "fail_malloc.h"

#include <errno.h>
#include <stdbool.h>

size_t fail_malloc_bytes;
unsigned long fail_alloc_countdown;
unsigned long fail_alloc_calls;

void *__real_malloc(size_t bytes);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *old, size_t bytes);
void *__wrap_malloc(size_t bytes);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *old, size_t bytes);

/* Counts the allocation; true when it is the one to fail (errno set). */
static bool fails_now(size_t bytes)
{
	fail_alloc_calls++;
	if (fail_alloc_countdown != 0 && --fail_alloc_countdown == 0) {
		errno = ENOMEM;
		return true;
	}
	if (fail_malloc_bytes != 0 && bytes == fail_malloc_bytes) {
		fail_malloc_bytes = 0;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t bytes)
{
	return fails_now(bytes) ? NULL : __real_malloc(bytes);
}

void *__wrap_calloc(size_t count, size_t size)
{
	/* fail_malloc_bytes names malloc's sizes only */
	size_t named = fail_malloc_bytes;

	fail_malloc_bytes = 0;
	bool fails = fails_now(0);
	fail_malloc_bytes = named;
	return fails ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *old, size_t bytes)
{
	size_t named = fail_malloc_bytes;

	fail_malloc_bytes = 0;
	bool fails = fails_now(0);
	fail_malloc_bytes = named;
	return fails ? NULL : __real_realloc(old, bytes);
}
