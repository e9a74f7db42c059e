/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "small_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
