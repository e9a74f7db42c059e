/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_SMALL_FILE_H
#define CADMON_SMALL_FILE_H

#include <stddef.h>

/**
 * At most max_bytes of path into a malloc'd *text (*len bytes, one more allocated): the tools'
 * configuration and zone files (zonefile_read_fn). 0, -EFBIG when larger, or -errno.
 */
int small_file_read(const char *path, size_t max_bytes, char **text, size_t *len);

#endif
