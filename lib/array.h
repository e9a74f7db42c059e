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

#endif
