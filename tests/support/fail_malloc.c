/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "fail_malloc.h"

#include <errno.h>

size_t fail_malloc_bytes;

void *__real_malloc(size_t bytes);
void *__wrap_malloc(size_t bytes);

void *__wrap_malloc(size_t bytes)
{
	if (fail_malloc_bytes != 0 && bytes == fail_malloc_bytes) {
		fail_malloc_bytes = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(bytes);
}
