/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

int fdio_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *next = data;

	while (len > 0) {
		ssize_t wrote = write(fd, next, len);

		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote < 0)
			return -errno;
		if (wrote == 0)
			return -EIO; /* nothing written and no error: not a loop */
		next += wrote;
		len -= (size_t)wrote;
	}
	return 0;
}
