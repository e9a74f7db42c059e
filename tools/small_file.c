/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "small_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int small_file_read(const char *path, size_t max_bytes, char **text, size_t *len)
{
	FILE *file = fopen(path, "rb");
	char *buffer = file ? malloc(max_bytes + 1) : NULL;
	size_t used = buffer ? fread(buffer, 1, max_bytes + 1, file) : 0;
	int rc = !file ? -errno : !buffer ? -ENOMEM : ferror(file) ? -EIO : 0;

	if (rc == 0 && used > max_bytes)
		rc = -EFBIG;
	if (file)
		fclose(file);
	if (rc < 0) {
		free(buffer);
		return rc;
	}
	*text = buffer;
	*len = used;
	return 0;
}

int small_file_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* nothing written and no error: not a loop */
		data += n;
		len -= (size_t)n;
	}
	return 0;
}
