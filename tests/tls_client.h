/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TESTS_TLS_CLIENT_H
#define CADMON_TESTS_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A blocking OpenSSL client for the TLS integration tests: connects to 127.0.0.1:port,
 * verifies the server against a CA file (name "localhost" unless told otherwise), may
 * present a client certificate, and may be held to old versions or weak ciphers to check
 * that cadmond refuses them. Every wait is bounded (TLS_CLIENT_TIMEOUT_MS). No cmocka.
 */

#define TLS_CLIENT_TIMEOUT_MS 5000

struct tls_client_options {
	const char *ca;          /* CA file to verify the server with */
	const char *certificate; /* client certificate file, or NULL */
	const char *key;         /* its key */
	const char *host;        /* name to verify (and send as SNI); NULL: "localhost" */
	int max_version;         /* e.g. TLS1_1_VERSION; 0: no ceiling */
	const char *ciphers;     /* TLS 1.2 cipher list; NULL: OpenSSL's default */
};

struct tls_client {
	int fd;
	void *ssl_context; /* SSL_CTX */
	void *ssl;         /* SSL */
	char error[256];   /* why the handshake or a read failed */
};

/** Connect and complete the handshake: 0, or -1 with client->error set (the client must still
 * be closed). */
int tls_client_connect(struct tls_client *client, uint16_t port,
		       const struct tls_client_options *options);

/** Send all of text: 0 or -1. */
int tls_client_send(struct tls_client *client, const char *text);

/** Read one line into buf (without "\n"): its length, or -1 (closed, timeout, error). */
ssize_t tls_client_read_line(struct tls_client *client, char *buf, size_t size, int timeout_ms);

/** Read until the server closes (or timeout): the bytes read, NUL-terminated, in buf; the
 * count, or -1 on timeout. */
ssize_t tls_client_read_all(struct tls_client *client, char *buf, size_t size, int timeout_ms);

/** True when the server closed the connection (or refused it with an alert) within timeout_ms. */
bool tls_client_closed(struct tls_client *client, int timeout_ms);

/** The server certificate's serial in hex ("1001"), or "" */
void tls_client_server_serial(const struct tls_client *client, char *out, size_t size);

/** Close and free. Safe on a client that failed to connect, and twice. */
void tls_client_close(struct tls_client *client);

#endif
