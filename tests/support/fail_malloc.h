/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TEST_FAIL_MALLOC_H
#define CADMON_TEST_FAIL_MALLOC_H

#include <stddef.h>

/* malloc, calloc and realloc wrapped (-Wl,--wrap: fail_malloc_dep), the library's allocations
 * included. */

/* The next malloc of exactly fail_malloc_bytes fails once (ENOMEM), and it is set back to 0
 * (never), so a test sees that the allocation it meant was the one that failed. */
extern size_t fail_malloc_bytes;
/* When not 0: counted down by every allocation, the one that brings it to 0 fails (ENOMEM). */
extern unsigned long fail_alloc_countdown;
/* Every allocation made through the wrappers (a test's count of them). */
extern unsigned long fail_alloc_calls;

#endif
