/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE (Linux); lib/ builds with _POSIX_C_SOURCE */

#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARRAY_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARRAY_UNDER_ASAN 1
#endif
#endif
#if defined(__linux__) && !defined(ARRAY_UNDER_ASAN)
#include <sys/mman.h>
#endif

#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)

void array_advise_huge_pages(void *block, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	if (!block || bytes < ARRAY_HUGE_BYTES)
		return;
	uintptr_t from = ((uintptr_t)block + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
	uintptr_t to = ((uintptr_t)block + bytes) & ~(HUGE_PAGE_BYTES - 1);
	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)block;
	(void)bytes;
#endif
}

int array_reserve(void **items, size_t *capacity, size_t count, size_t item_size, size_t initial)
{
	size_t wanted;
	void *grown;

	if (count < *capacity)
		return 0;
	wanted = *capacity ? *capacity * 2 : initial;
	if (wanted <= *capacity || item_size == 0 || wanted > SIZE_MAX / item_size)
		return -ENOMEM;
	if (!(grown = realloc(*items, wanted * item_size)))
		return -ENOMEM;
	array_advise_huge_pages(grown, wanted * item_size);
	*items = grown;
	*capacity = wanted;
	return 0;
}
