/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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
	*items = grown;
	*capacity = wanted;
	return 0;
}
