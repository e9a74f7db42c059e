/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_FDIO_H
#define CADMOND_FDIO_H

#include <stddef.h>

/**
 * All of data[0..len) to fd with write(2), EINTR retried: 0, -errno (EFBIG, ENOSPC, EIO...),
 * or -EIO when a write wrote nothing. The journal's segments and snapshots, cadmon-backtest's
 * report.
 */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
