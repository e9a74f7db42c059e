/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_TLS_H
#define CADMOND_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "config.h"

/*
 * TLS on cadmond's listeners (OpenSSL 3 through libevent's OpenSSL bufferevents): one server
 * identity (config's tls section) for every listener that sets tls: true. A tls_context is
 * one SSL_CTX built from a configuration: TLS 1.2 or 1.3 and up (tls.min_version), the TLS 1.2
 * cipher list, no compression, no renegotiation, the client CA; a reload builds a new one
 * and swaps it in for the connections accepted after it, while every open connection keeps
 * the context it started with (OpenSSL counts the references). Handshake failures are
 * counted per listener and reason and logged with the peer, rate-limited per listener and
 * reason, e.g.
 * "feed 127.0.0.1:41234: TLS handshake failed: certificate verify failed (certificate has
 * expired)". docs/security.md, "TLS and mutual TLS".
 */

enum tls_listener {
	TLS_LISTENER_FEED = 0, /* "feed" */
	TLS_LISTENER_ALERTS,   /* "alerts" */
	TLS_LISTENER_HTTP,     /* "http" */
	TLS_LISTENER_COUNT,
};

/* Why a TLS connection was refused: the label of cadmon_tls_handshake_failures_total. */
enum tls_failure {
	TLS_FAILURE_NO_CLIENT_CERTIFICATE = 0, /* required, none sent */
	TLS_FAILURE_UNKNOWN_CA,		       /* a client certificate tls.client_ca did not sign */
	TLS_FAILURE_CERTIFICATE_EXPIRED,       /* a client certificate out of its validity */
	TLS_FAILURE_CERTIFICATE_INVALID,       /* any other verification failure */
	TLS_FAILURE_PROTOCOL_VERSION,	       /* older than tls.min_version */
	TLS_FAILURE_NO_SHARED_CIPHER,	       /* nothing in common with tls.ciphers */
	TLS_FAILURE_NOT_TLS,		       /* plain text (HTTP, a feed line) on a TLS port */
	TLS_FAILURE_CLIENT_ALERT, /* the client gave up (e.g. it rejects our certificate) */
	TLS_FAILURE_CLOSED,	  /* closed during the handshake */
	TLS_FAILURE_OTHER,
	TLS_FAILURE_SOURCE_MISMATCH, /* feed: hello source not in the client certificate */
	TLS_FAILURE_NO_HELLO,	     /* feed: an event before any hello, under the binding */
	TLS_FAILURE_COUNT,
};

/* The longest description of a client certificate's names, with its NUL. */
#define TLS_NAMES_MAX 512

struct bufferevent;
struct event_base;
struct tls_context;
struct tls_server;

/**
 * Check and load what config's tls section names into a new context: the key file's mode
 * (no group/other bits), the certificate chain, the key (matching it), the client CA when
 * set, the version floor and cipher list. NULL with the reason in why, naming the file and
 * OpenSSL's reason, e.g. "tls.key /etc/cadmon/server.key has mode 0644: it must not be
 * accessible to group or other (chmod 600 /etc/cadmon/server.key)".
 */
struct tls_context *tls_context_new(const struct config *config, char *why, size_t why_size);

/** Drop the daemon's reference (connections using it keep it alive). NULL is allowed. */
void tls_context_free(struct tls_context *context);

/** True when some listener of config serves TLS. */
bool tls_wanted(const struct config *config);

/**
 * The TLS side of the daemon, with context (owned from here) for new connections and, from
 * config, which listeners require client certificates. log_interval_seconds limits the
 * failure logs. NULL on allocation failure (context is freed).
 */
struct tls_server *tls_server_new(struct tls_context *context, const struct config *config);

/** A reload: new connections use next (owned from here) and config's client settings. */
void tls_server_swap(struct tls_server *server, struct tls_context *next,
		     const struct config *config);

/** Free the server (after every connection was closed). NULL is allowed. */
void tls_server_free(struct tls_server *server);

/**
 * A server-side OpenSSL bufferevent accepting a TLS connection on fd (owned from here; -1
 * for evhttp, which sets it later), closing fd when freed. NULL on failure (fd is then
 * still the caller's).
 */
struct bufferevent *tls_server_accept(struct tls_server *server, struct event_base *base,
				      evutil_socket_t fd, enum tls_listener listener);

/**
 * Why a connection failed: OpenSSL's reason when bev is a TLS connection that failed in TLS
 * (a bad record, an alert from the peer), else the socket error's text.
 */
const char *tls_connection_error(struct bufferevent *bev);

/** True when bev is a TLS connection whose handshake has not completed. */
bool tls_handshake_pending(struct bufferevent *bev);

/**
 * Does the verified client certificate of bev name source, as its subject CN or one of its
 * DNS subject alternative names (exact match)? names gets what it names, e.g.
 * "CN \"cad-1\", DNS cad-1.example" ("no client certificate" without one).
 */
bool tls_peer_names_source(struct bufferevent *bev, const char *source, char *names,
			   size_t names_size);

/** Count a refusal decided after the handshake (TLS_FAILURE_SOURCE_MISMATCH, _NO_HELLO). */
void tls_server_count(struct tls_server *server, enum tls_listener listener,
		      enum tls_failure failure);

/** Refusals so far, per listener and reason. */
uint64_t tls_server_failures(const struct tls_server *server, enum tls_listener listener,
			     enum tls_failure failure);

/** True when listener serves TLS (as the configuration at start said). */
bool tls_server_serves(const struct tls_server *server, enum tls_listener listener);

/** Apply log.rate_limit_seconds to the failure logs. */
void tls_server_set_log_interval(struct tls_server *server, uint32_t log_interval_seconds);

/** "feed", "alerts", "http". */
const char *tls_listener_name(enum tls_listener listener);

/** The metric label of a failure, e.g. "certificate_expired". */
const char *tls_failure_name(enum tls_failure failure);

#endif
