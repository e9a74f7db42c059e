/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tls_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "daemon_harness.h"

/* The last OpenSSL error as text, cleared. */
static void set_error(struct tls_client *client, const char *what)
{
	unsigned long error = ERR_peek_last_error();
	const char *reason = error ? ERR_reason_error_string(error) : NULL;

	snprintf(client->error, sizeof client->error, "%s: %s", what,
		 reason ? reason : "no OpenSSL error");
	ERR_clear_error();
}

/* Wait until fd is readable (or writable, as the SSL wants). */
static bool wait_for(struct tls_client *client, int ssl_result, int64_t deadline)
{
	int error = SSL_get_error(client->ssl, ssl_result);
	struct pollfd pfd = { .fd = client->fd };
	int64_t left = deadline - harness_now_ms();

	if (error == SSL_ERROR_WANT_READ)
		pfd.events = POLLIN;
	else if (error == SSL_ERROR_WANT_WRITE)
		pfd.events = POLLOUT;
	else
		return false;
	return left > 0 && poll(&pfd, 1, (int)left) > 0;
}

static int configure(struct tls_client *client, const struct tls_client_options *options)
{
	SSL_CTX *context = SSL_CTX_new(TLS_client_method());

	client->ssl_context = context;
	if (!context)
		return -1;
	SSL_CTX_set_verify(context, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(context, options->ca, NULL) != 1)
		return -1;
	if (options->certificate &&
	    (SSL_CTX_use_certificate_chain_file(context, options->certificate) != 1 ||
	     SSL_CTX_use_PrivateKey_file(context, options->key, SSL_FILETYPE_PEM) != 1))
		return -1;
	if (options->max_version &&
	    SSL_CTX_set_max_proto_version(context, options->max_version) != 1)
		return -1;
	if (options->max_version && options->max_version < TLS1_2_VERSION &&
	    SSL_CTX_set_min_proto_version(context, options->max_version) != 1)
		return -1;
	if (options->ciphers && SSL_CTX_set_cipher_list(context, options->ciphers) != 1)
		return -1;
	if (!(client->ssl = SSL_new(context)))
		return -1;
	const char *host = options->host ? options->host : "localhost";
	if (SSL_set1_host(client->ssl, host) != 1 ||
	    SSL_set_tlsext_host_name((SSL *)client->ssl, host) != 1)
		return -1;
	return SSL_set_fd(client->ssl, client->fd) == 1 ? 0 : -1;
}

int tls_client_connect(struct tls_client *client, uint16_t port,
		       const struct tls_client_options *options)
{
	int64_t deadline = harness_now_ms() + TLS_CLIENT_TIMEOUT_MS;
	int rc;

	memset(client, 0, sizeof *client);
	ERR_clear_error();
	client->fd = harness_connect(port);
	if (client->fd < 0) {
		snprintf(client->error, sizeof client->error, "cannot connect to port %u", port);
		return -1;
	}
	if (fcntl(client->fd, F_SETFL, fcntl(client->fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    configure(client, options) < 0) {
		set_error(client, "client set-up");
		return -1;
	}
	while ((rc = SSL_connect(client->ssl)) != 1)
		if (!wait_for(client, rc, deadline)) {
			set_error(client, "handshake");
			return -1;
		}
	return 0;
}

int tls_client_send(struct tls_client *client, const char *text)
{
	int64_t deadline = harness_now_ms() + TLS_CLIENT_TIMEOUT_MS;
	size_t len = strlen(text), sent = 0;

	while (sent < len) {
		int rc = SSL_write(client->ssl, text + sent, (int)(len - sent));
		if (rc > 0)
			sent += (size_t)rc;
		else if (!wait_for(client, rc, deadline))
			return -1;
	}
	return 0;
}

/* One byte (1), end of stream or an error (0), or nothing before the deadline (-1). */
static int read_byte(struct tls_client *client, char *byte, int64_t deadline)
{
	for (;;) {
		int rc = SSL_read(client->ssl, byte, 1);
		if (rc == 1)
			return 1;
		int error = SSL_get_error(client->ssl, rc);
		if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
			set_error(client, "read");
			return 0;
		}
		if (!wait_for(client, rc, deadline))
			return harness_now_ms() >= deadline ? -1 : 0;
	}
}

ssize_t tls_client_read_line(struct tls_client *client, char *buf, size_t size, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t len = 0;
	char byte;

	while (len + 1 < size && read_byte(client, &byte, deadline) == 1) {
		if (byte == '\n') {
			buf[len] = '\0';
			return (ssize_t)len;
		}
		buf[len++] = byte;
	}
	buf[len] = '\0';
	return -1;
}

ssize_t tls_client_read_all(struct tls_client *client, char *buf, size_t size, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t len = 0;
	char byte;
	int rc;

	while (len + 1 < size && (rc = read_byte(client, &byte, deadline)) == 1)
		buf[len++] = byte;
	buf[len] = '\0';
	return len + 1 < size && rc < 0 ? -1 : (ssize_t)len;
}

bool tls_client_closed(struct tls_client *client, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	char byte;
	int rc;

	while ((rc = read_byte(client, &byte, deadline)) == 1)
		;
	return rc == 0;
}

void tls_client_server_serial(const struct tls_client *client, char *out, size_t size)
{
	X509 *certificate = client->ssl ? SSL_get0_peer_certificate(client->ssl) : NULL;
	BIGNUM *number =
		certificate ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), NULL) : NULL;
	char *hex = number ? BN_bn2hex(number) : NULL;

	snprintf(out, size, "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(number);
}

void tls_client_close(struct tls_client *client)
{
	if (client->ssl)
		SSL_free(client->ssl);
	if (client->ssl_context)
		SSL_CTX_free(client->ssl_context);
	if (client->fd > 0)
		close(client->fd);
	client->ssl = NULL;
	client->ssl_context = NULL;
	client->fd = -1;
}
