/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_WEBHOOK_H
#define CADMOND_WEBHOOK_H

#include <stddef.h>

/*
 * The plain JSON webhook's signature: X-Cadmon-Signature: sha256=<64 lowercase hex digits>,
 * the HMAC-SHA256 of the request body with the receiver's secret (docs/receivers.md).
 */

#define WEBHOOK_SECRET_MAX 4096  /* bytes of a secret file */
#define WEBHOOK_SIGNATURE_SIZE (sizeof("sha256=") + 64) /* with its NUL */

/**
 * Read a secret file: its content without one trailing "\n" (or "\r\n"). 0 and *len set, or
 * a negative errno (-EFBIG past WEBHOOK_SECRET_MAX, -EINVAL when empty).
 */
int webhook_read_secret(const char *path, char *secret, size_t *len);

/** "sha256=<hex>" of body under secret into out (WEBHOOK_SIGNATURE_SIZE bytes). 0 or -1. */
int webhook_sign(const char *secret, size_t secret_len, const char *body, size_t body_len,
		 char *out);

#endif
