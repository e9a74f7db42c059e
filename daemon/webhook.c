/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <unistd.h>

int webhook_read_secret(const char *path, char *secret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t size = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	while ((got = read(fd, secret + size, WEBHOOK_SECRET_MAX + 1 - size)) > 0 &&
	       size < WEBHOOK_SECRET_MAX + 1)
		size += (size_t)got;
	if (got < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	close(fd);
	if (size > WEBHOOK_SECRET_MAX)
		return -EFBIG;
	if (size > 0 && secret[size - 1] == '\n')
		size--;
	if (size > 0 && secret[size - 1] == '\r')
		size--;
	if (size == 0)
		return -EINVAL;
	*len = size;
	return 0;
}

int webhook_sign(const char *secret, size_t secret_len, const char *body, size_t body_len,
		 char *out)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;

	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, body_len,
		  digest, &digest_len) ||
	    digest_len != 32)
		return -1;
	snprintf(out, WEBHOOK_SIGNATURE_SIZE, "sha256=");
	for (unsigned int i = 0; i < digest_len; i++)
		snprintf(out + 7 + 2 * i, WEBHOOK_SIGNATURE_SIZE - 7 - 2 * i, "%02x", digest[i]);
	return 0;
}
