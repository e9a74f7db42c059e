/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TEST_FAIL_MALLOC_H
#define CADMON_TEST_FAIL_MALLOC_H

#include <stddef.h>

/* malloc wrapped (-Wl,--wrap=malloc: fail_malloc_dep), the library's allocations included:
 * the next request of exactly fail_malloc_bytes fails once (ENOMEM), and it is set back to 0
 * (never), so a test sees that the allocation it meant was the one that failed. */
extern size_t fail_malloc_bytes;

#endif
