/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define NET_RETRY_PAUSE_NS (100 * 1000 * 1000)

/* A port not starting with a letter must be all digits, lowest (1 to connect, 0 to listen) to
 * 65535: getaddrinfo reads it with strtoul, taking "99999", "+99999" and " 99999" as 34463. A
 * service name ("https") is left to getaddrinfo. */
static bool port_number_fits(const char *port, unsigned long lowest)
{
	unsigned long number = 0;

	if (isalpha((unsigned char)port[0]))
		return true;
	for (const char *c = port; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return false;
		number = number * 10 + (unsigned long)(*c - '0');
		if (number > 65535)
			return false;
	}
	return number >= lowest;
}

static int split_address(const char *address, unsigned long lowest_port, char *host,
			 size_t host_size, char *port, size_t port_size)
{
	const char *colon = strrchr(address, ':');
	const char *host_start = address, *host_end = colon;

	if (!colon || colon[1] == '\0')
		return -1;
	if (address[0] == '[') {
		host_start = address + 1;
		host_end = colon - 1;
		if (host_end < host_start || *host_end != ']')
			return -1;
	}
	size_t host_len = (size_t)(host_end - host_start);
	size_t port_len = strlen(colon + 1);
	if (host_len == 0 || host_len >= host_size || port_len >= port_size)
		return -1;
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	memcpy(port, colon + 1, port_len + 1);
	return port_number_fits(port, lowest_port) ? 0 : -1;
}

int net_split_host_port(const char *address, char *host, size_t host_size, char *port,
			size_t port_size)
{
	return split_address(address, 1, host, host_size, port, port_size);
}

int net_split_listen_address(const char *address, char *host, size_t host_size, char *port,
			     size_t port_size)
{
	return split_address(address, 0, host, host_size, port, port_size);
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* One attempt on every address of host:port; a connected fd, or -1 with errno set. */
static int connect_once(const char *host, const char *port, int *gai_error)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *list;
	int fd = -1, saved_errno = ECONNREFUSED;

	*gai_error = getaddrinfo(host, port, &hints, &list);
	if (*gai_error != 0)
		return -1;
	for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			saved_errno = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			saved_errno = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

int net_connect_retry(const char *address, double timeout_seconds, char *why, size_t why_size)
{
	char host[NET_HOST_MAX], port[NET_PORT_MAX];
	double deadline = monotonic_seconds() + timeout_seconds;
	int gai_error;

	if (net_split_host_port(address, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(why, why_size, "expected HOST:PORT or [V6]:PORT, got \"%s\"", address);
		return -1;
	}
	for (;;) {
		int fd = connect_once(host, port, &gai_error);
		int connect_errno = errno;
		if (fd >= 0)
			return fd;
		if (gai_error != 0) {
			snprintf(why, why_size, "%s: %s", address, gai_strerror(gai_error));
			return -1;
		}
		if (monotonic_seconds() >= deadline) {
			snprintf(why, why_size, "cannot connect to %s for %g s: %s", address,
				 timeout_seconds, strerror(connect_errno));
			return -1;
		}
		struct timespec pause = { .tv_sec = 0, .tv_nsec = NET_RETRY_PAUSE_NS };
		nanosleep(&pause, NULL);
	}
}

/* A non-blocking socket connecting to ai; -1 with errno set when it failed at once. */
static int start_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)) {
		int saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

int net_connect_start(const char *address, char *why, size_t why_size)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	char host[NET_HOST_MAX], port[NET_PORT_MAX];
	struct addrinfo *list;
	int fd = -1, saved_errno = ECONNREFUSED;

	if (net_split_host_port(address, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(why, why_size, "expected HOST:PORT or [V6]:PORT, got \"%s\"", address);
		return -1;
	}
	int gai_error = getaddrinfo(host, port, &hints, &list);
	if (gai_error != 0) {
		snprintf(why, why_size, "%s: %s", address, gai_strerror(gai_error));
		return -1;
	}
	for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
		if ((fd = start_one(ai)) < 0)
			saved_errno = errno;
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(why, why_size, "cannot connect to %s: %s", address, strerror(saved_errno));
	return fd;
}

int net_connect_finish(int fd, const char *address, char *why, size_t why_size)
{
	int error = 0;
	socklen_t len = sizeof(error);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
		error = errno;
	if (error == 0)
		return 0;
	snprintf(why, why_size, "cannot connect to %s: %s", address, strerror(error));
	return -1;
}

/* ---- TLS ----------------------------------------------------------------------------------- */

#define NET_TLS_WRITE_SECONDS 5.0

struct net_tls {
	SSL_CTX *context;
};

struct net_tls_link {
	SSL *ssl;
	int fd;
	char error[256];
};

/* OpenSSL's reason for the first queued error (the cause), or fallback; the queue is cleared. */
static const char *tls_reason(const char *fallback)
{
	unsigned long error = ERR_peek_error();
	const char *reason = error ? ERR_reason_error_string(error) : NULL;

	ERR_clear_error();
	return reason ? reason : fallback;
}

bool net_tls_take_option(struct net_tls_options *options, int option, const char *value)
{
	switch (option) {
	case NET_TLS_OPT_CA:
		options->ca = value;
		return true;
	case NET_TLS_OPT_CERT:
		options->certificate = value;
		return true;
	case NET_TLS_OPT_KEY:
		options->key = value;
		return true;
	default:
		return false;
	}
}

const char *net_tls_options_problem(const struct net_tls_options *options)
{
	if (!options->ca && (options->certificate || options->key))
		return "--cert and --key go with --ca (TLS)";
	return NULL;
}

/* A file given that cannot be read: why says so ("--ca PATH: No such file or directory"). */
static bool unreadable(const char *option, const char *path, char *why, size_t why_size)
{
	if (!path || access(path, R_OK) == 0)
		return false;
	snprintf(why, why_size, "%s %s: %s", option, path, strerror(errno));
	return true;
}

/* The CA, and the client certificate and key when given, into tls: 0, or -1 with why set. */
static int tls_load(struct net_tls *tls, const struct net_tls_options *options, char *why,
		    size_t why_size)
{
	if (unreadable("--ca", options->ca, why, why_size) ||
	    unreadable("--cert", options->certificate, why, why_size) ||
	    unreadable("--key", options->key, why, why_size))
		return -1;
	if (SSL_CTX_load_verify_locations(tls->context, options->ca, NULL) != 1)
		snprintf(why, why_size, "--ca %s: %s", options->ca,
			 tls_reason("no certificate in it"));
	else if (options->certificate && !options->key)
		snprintf(why, why_size, "--cert given without --key");
	else if (!options->certificate && options->key)
		snprintf(why, why_size, "--key given without --cert");
	else if (options->certificate &&
		 SSL_CTX_use_certificate_chain_file(tls->context, options->certificate) != 1)
		snprintf(why, why_size, "--cert %s: %s", options->certificate,
			 tls_reason("cannot load"));
	else if (options->key &&
		 SSL_CTX_use_PrivateKey_file(tls->context, options->key, SSL_FILETYPE_PEM) != 1)
		snprintf(why, why_size, "--key %s: %s", options->key, tls_reason("cannot load"));
	else if (options->key && SSL_CTX_check_private_key(tls->context) != 1)
		snprintf(why, why_size, "--key %s does not match --cert %s", options->key,
			 options->certificate);
	else
		return 0;
	return -1;
}

struct net_tls *net_tls_new(const struct net_tls_options *options, char *why, size_t why_size)
{
	struct net_tls *tls = calloc(1, sizeof(*tls));

	ERR_clear_error();
	if (!tls || !(tls->context = SSL_CTX_new(TLS_client_method()))) {
		snprintf(why, why_size, "cannot set up TLS: %s", tls_reason("out of memory"));
		net_tls_free(tls);
		return NULL;
	}
	SSL_CTX_set_verify(tls->context, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(tls->context, TLS1_2_VERSION);
	if (tls_load(tls, options, why, why_size) == 0)
		return tls;
	net_tls_free(tls);
	return NULL;
}

void net_tls_free(struct net_tls *tls)
{
	if (!tls)
		return;
	SSL_CTX_free(tls->context);
	free(tls);
}

/* Check the server's name against host: an IP address against its IP SANs, a name against its
 * DNS SANs (and sent as SNI). */
static int tls_expect_host(SSL *ssl, const char *host)
{
	unsigned char binary[sizeof(struct in6_addr)];
	bool is_ip =
		inet_pton(AF_INET, host, binary) == 1 || inet_pton(AF_INET6, host, binary) == 1;

	if (is_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
	return SSL_set1_host(ssl, host) == 1 && SSL_set_tlsext_host_name(ssl, host) == 1 ? 0 : -1;
}

/* Wait for what the last SSL call wants, until deadline; false when it cannot be waited for. */
static bool tls_wait(SSL *ssl, int fd, int result, double deadline)
{
	int error = SSL_get_error(ssl, result);
	struct pollfd pfd = { .fd = fd,
			      .events = error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN };
	double left = deadline - monotonic_seconds();

	if ((error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) || left <= 0)
		return false;
	return poll(&pfd, 1, (int)(left * 1000) + 1) > 0;
}

/* Why the handshake failed: OpenSSL's reason, with the verification's when it was that. */
static void tls_handshake_error(SSL *ssl, const char *address, char *why, size_t why_size)
{
	long verify = SSL_get_verify_result(ssl);
	unsigned long error = ERR_peek_error();
	const char *reason = tls_reason("the connection was closed");

	if (verify != X509_V_OK && error &&
	    ERR_GET_REASON(error) == SSL_R_CERTIFICATE_VERIFY_FAILED)
		snprintf(why, why_size, "TLS handshake with %s failed: %s (%s)", address, reason,
			 X509_verify_cert_error_string(verify));
	else
		snprintf(why, why_size, "TLS handshake with %s failed: %s", address, reason);
}

struct net_tls_link *net_tls_connect(const struct net_tls *tls, int fd, const char *address,
				     double timeout_seconds, char *why, size_t why_size)
{
	char host[NET_HOST_MAX], port[NET_PORT_MAX];
	double deadline = monotonic_seconds() + timeout_seconds;
	struct net_tls_link *link = calloc(1, sizeof(*link));
	int rc;

	ERR_clear_error();
	if (!link || net_split_host_port(address, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !(link->ssl = SSL_new(tls->context)) || tls_expect_host(link->ssl, host) < 0 ||
	    SSL_set_fd(link->ssl, fd) != 1) {
		snprintf(why, why_size, "TLS with %s: %s", address, tls_reason("cannot set up"));
		net_tls_close(link);
		return NULL;
	}
	link->fd = fd;
	while ((rc = SSL_connect(link->ssl)) != 1)
		if (!tls_wait(link->ssl, fd, rc, deadline)) {
			tls_handshake_error(link->ssl, address, why, why_size);
			net_tls_close(link);
			return NULL;
		}
	return link;
}

ssize_t net_tls_read(struct net_tls_link *link, void *buf, size_t len)
{
	int rc;

	errno = 0;
	rc = SSL_read(link->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);

	if (rc > 0)
		return rc;
	switch (SSL_get_error(link->ssl, rc)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0)
				return 0; /* closed without close_notify */
			return -1;
		}
		/* fall through */
	default:
		snprintf(link->error, sizeof(link->error), "%s", tls_reason("TLS error"));
		errno = EPROTO;
		return -1;
	}
}

int net_tls_write(struct net_tls_link *link, const void *buf, size_t len)
{
	double deadline = monotonic_seconds() + NET_TLS_WRITE_SECONDS;
	size_t sent = 0;

	while (sent < len) {
		size_t chunk = len - sent > INT32_MAX ? INT32_MAX : len - sent;
		int rc = SSL_write(link->ssl, (const char *)buf + sent, (int)chunk);
		if (rc > 0) {
			sent += (size_t)rc;
			continue;
		}
		if (!tls_wait(link->ssl, link->fd, rc, deadline)) {
			snprintf(link->error, sizeof(link->error), "%s",
				 tls_reason("cannot write"));
			errno = EPROTO;
			return -1;
		}
	}
	return 0;
}

bool net_tls_pending(const struct net_tls_link *link)
{
	return SSL_pending(link->ssl) > 0;
}

const char *net_tls_error(const struct net_tls_link *link)
{
	return link->error;
}

void net_tls_close(struct net_tls_link *link)
{
	if (!link)
		return;
	if (link->ssl) {
		if (SSL_is_init_finished(link->ssl))
			SSL_shutdown(link->ssl);
		SSL_free(link->ssl);
	}
	ERR_clear_error();
	free(link);
}

/* ---- streams ------------------------------------------------------------------------------- */

ssize_t net_stream_read(const struct net_stream *stream, void *buf, size_t len)
{
	return stream->tls ? net_tls_read(stream->tls, buf, len) : read(stream->fd, buf, len);
}

int net_stream_write(const struct net_stream *stream, const void *buf, size_t len)
{
	ssize_t written;

	if (stream->tls)
		return net_tls_write(stream->tls, buf, len);
	written = write(stream->fd, buf, len);
	if (written >= 0 && (size_t)written != len)
		errno = EAGAIN;
	return written >= 0 && (size_t)written == len ? 0 : -1;
}

int net_stream_start_tls(struct net_stream *stream, const struct net_tls *tls, const char *address,
			 double timeout_seconds, char *why, size_t why_size)
{
	if (!tls)
		return 0;
	stream->tls = net_tls_connect(tls, stream->fd, address, timeout_seconds, why, why_size);
	return stream->tls ? 0 : -1;
}

void net_stream_close(struct net_stream *stream)
{
	net_tls_close(stream->tls);
	stream->tls = NULL;
	if (stream->fd >= 0)
		close(stream->fd);
	stream->fd = -1;
}
