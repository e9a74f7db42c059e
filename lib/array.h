/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ARRAY_H
#define CADMON_ARRAY_H

#include <stddef.h>

/* The number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Make room in a growing array for one more element: *items holds *capacity elements of
 * item_size bytes, count of them used. When it is full, its capacity doubles (initial the
 * first time) and *items moves. 0, or -ENOMEM with nothing changed (also when the size would
 * overflow).
 */
int array_reserve(void **items, size_t *capacity, size_t count, size_t item_size, size_t initial);

/** Arrays of at least this many bytes ask for transparent huge pages. */
#define ARRAY_HUGE_BYTES ((size_t)4 << 20)

/**
 * Ask for transparent huge pages (MADV_HUGEPAGE) for the 2 MiB-aligned part of a block of
 * bytes bytes when it is at least ARRAY_HUGE_BYTES, as cadmond marks its heap
 * (daemon/journal/store.c, advise_huge_pages): pages touched from then on come 2 MiB at a
 * time where the kernel's THP mode is "madvise" or "always", one page fault and one TLB entry
 * where there were 512. Advice only: nothing changes where the kernel has no THP, its mode is
 * "never" or the call fails; nothing is done under AddressSanitizer (its allocator keeps its
 * own policy) or off Linux. array_reserve does it for the arrays it grows.
 */
void array_advise_huge_pages(void *block, size_t bytes);

#endif
