/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_NET_H
#define CADMON_TOOLS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * net: the TCP client side the command-line tools share (cadmon-sim to a feed port,
 * cadmon-watch to an alert port): "HOST:PORT" / "[V6]:PORT" addresses and a connect that
 * waits for a daemon that is still starting.
 */

#define NET_HOST_MAX 256 /* bytes of a host, with its NUL */
#define NET_PORT_MAX 32  /* bytes of a port (number or service name), with its NUL */
#define NET_WHY_MAX 512  /* a message from net_connect_retry, with its NUL */

/**
 * Split "HOST:PORT" or "[V6]:PORT" into host (brackets removed) and port. Returns 0, or -1
 * when there is no port, no host, unbalanced brackets, a part does not fit its buffer, or a
 * port given as a number is not one from 1 to 65535 (a service name is left to getaddrinfo).
 */
int net_split_host_port(const char *address, char *host, size_t host_size, char *port,
			size_t port_size);

/** net_split_host_port for an address to listen on: port 0 (any free port) is one too. */
int net_split_listen_address(const char *address, char *host, size_t host_size, char *port,
			     size_t port_size);

/**
 * Connect over TCP to address, trying every address it resolves to, and again every 100 ms
 * while it refuses, for up to timeout_seconds. Returns the connected socket (the caller
 * closes it), or -1 with why set: "expected HOST:PORT or [V6]:PORT, got ...", a name that
 * does not resolve, or "cannot connect to ADDRESS for N s: REASON".
 */
int net_connect_retry(const char *address, double timeout_seconds, char *why, size_t why_size);

/**
 * Start connecting to address without waiting: a non-blocking TCP socket to the first
 * address it resolves to that takes one, connected or still connecting (poll it for
 * POLLOUT, then read SO_ERROR; net_connect_finish does that). Returns the socket (the caller
 * closes it), or -1 with why set (a bad address, a name that does not resolve, a refusal).
 */
int net_connect_start(const char *address, char *why, size_t why_size);

/**
 * After POLLOUT on a socket from net_connect_start: 0 when it is connected, or -1 with why
 * set ("cannot connect to ADDRESS: REASON").
 */
int net_connect_finish(int fd, const char *address, char *why, size_t why_size);

/* ---- TLS (docs/security.md, "TLS and mutual TLS")
 * ------------------------------------------------------------ */

/*
 * The tools' TLS client, on OpenSSL: --ca FILE turns TLS on and is what the server's
 * certificate must chain to; its name must match the host of HOST:PORT (a DNS name, or an IP
 * address in an IP SAN); --cert FILE / --key FILE present a client certificate (mutual TLS).
 * There is no way to skip verification.
 */
struct net_tls_options {
	const char *ca;          /* NULL: plain TCP */
	const char *certificate; /* NULL: no client certificate */
	const char *key;         /* with certificate */
};

/* getopt_long codes of --ca, --cert and --key, above any tool's own codes. */
enum { NET_TLS_OPT_CA = 0x4000, NET_TLS_OPT_CERT, NET_TLS_OPT_KEY };

/* The three entries of a tool's struct option table. */
#define NET_TLS_LONG_OPTIONS                                  \
	{ "ca", required_argument, NULL, NET_TLS_OPT_CA },     \
	{ "cert", required_argument, NULL, NET_TLS_OPT_CERT }, \
	{ "key", required_argument, NULL, NET_TLS_OPT_KEY }

/** Take --ca, --cert or --key into options: true when option was one of them. */
bool net_tls_take_option(struct net_tls_options *options, int option, const char *value);

/** Why the options cannot go together ("--cert and --key go with --ca (TLS)"), or NULL. */
const char *net_tls_options_problem(const struct net_tls_options *options);

struct net_tls;      /* the settings, loaded once */
struct net_tls_link; /* one connection's TLS */

/**
 * Load the CA, and the client certificate and key when given. NULL with why set (naming the
 * option, the file and OpenSSL's reason), e.g. "--cert given without --key". Call only when
 * options->ca is set; --cert/--key without --ca is the caller's usage error.
 */
struct net_tls *net_tls_new(const struct net_tls_options *options, char *why, size_t why_size);

/** Free the settings. NULL is allowed. */
void net_tls_free(struct net_tls *tls);

/**
 * The TLS handshake on a connected socket (blocking or not) to address ("HOST:PORT"),
 * verifying the server's certificate and name, within timeout_seconds. The link, or NULL with
 * why set: "TLS handshake with ADDRESS failed: REASON". The socket stays the caller's.
 */
struct net_tls_link *net_tls_connect(const struct net_tls *tls, int fd, const char *address,
				     double timeout_seconds, char *why, size_t why_size);

/** Read like read(2): > 0 bytes, 0 at the end of the stream, -1 with errno (EAGAIN: nothing
 * yet on a non-blocking socket; EPROTO: a TLS error, the reason in net_tls_error()). */
ssize_t net_tls_read(struct net_tls_link *link, void *buf, size_t len);

/** Write all of buf (waiting on a non-blocking socket, up to 5 s): 0 or -1. */
int net_tls_write(struct net_tls_link *link, const void *buf, size_t len);

/** Decrypted bytes waiting to be read (poll(2) cannot see them). */
bool net_tls_pending(const struct net_tls_link *link);

/** The last TLS error's reason, "" if none. */
const char *net_tls_error(const struct net_tls_link *link);

/** Send close_notify (best effort) and free the link; the socket stays open. NULL is allowed. */
void net_tls_close(struct net_tls_link *link);

/* A connection as the tools read and write it: a socket, with TLS over it when tls is set. */
struct net_stream {
	int fd;                    /* -1: none */
	struct net_tls_link *tls;  /* NULL: plain TCP */
};

/** read(2) on the stream (see net_tls_read). */
ssize_t net_stream_read(const struct net_stream *stream, void *buf, size_t len);

/** Write all of buf: 0, or -1 with errno set. */
int net_stream_write(const struct net_stream *stream, const void *buf, size_t len);

/**
 * net_tls_connect when tls is set (NULL: nothing to do): 0, or -1 with why set. The stream's
 * fd must be connected.
 */
int net_stream_start_tls(struct net_stream *stream, const struct net_tls *tls, const char *address,
			 double timeout_seconds, char *why, size_t why_size);

/** End TLS and close the socket; the stream is then empty (fd -1). */
void net_stream_close(struct net_stream *stream);

#endif
