/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_LISTENER_H
#define CADMOND_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/util.h>

#include "config.h"

/* Room for the text of any socket address: "[ffff:...:255.255.255.255]:65535" plus NUL. */
#define LISTENER_ADDRESS_TEXT_MAX 64

/* Hands over an accepted socket (non-blocking, close-on-exec); the callee owns fd. */
typedef void (*listener_accept_fn)(evutil_socket_t fd, const char *peer, void *ctx);

struct event_base;
struct listener;

/**
 * Parse a numeric listen address, "127.0.0.1:7400" or "[::1]:7400". Returns 0, or -EINVAL
 * with the reason in why.
 */
int listener_parse_address(const char *text, struct sockaddr_storage *address,
			   socklen_t *address_len, char *why, size_t why_size);

/** Format a socket address as "127.0.0.1:7400" or "[::1]:7400". */
void listener_format_address(const struct sockaddr *address, socklen_t address_len, char *out,
			     size_t out_size);

/**
 * Listen on every address of the list (one evconnlistener each; IPv6 sockets are
 * IPV6_V6ONLY) and log "listening for ROLE on ADDRESS" for each. role names the clients
 * ("feeds", "subscribers") and must outlive the listener. Accepted sockets go to on_accept.
 * Returns NULL on failure, with e.g. "cannot listen on 127.0.0.1:7400: Address already in
 * use" in why. A failed accept (too many open files, ...) is logged, rate-limited to one
 * message per log_interval_seconds, and pauses accepting for a second.
 */
struct listener *listener_new(struct event_base *base, const struct config_listen *addresses,
			      const char *role, uint32_t log_interval_seconds,
			      listener_accept_fn on_accept, void *ctx, char *why, size_t why_size);

/**
 * Listen on sockets systemd passed (socket activation), which the listener owns from here
 * (all of them, even on failure), and log "listening for ROLE on ADDRESS (socket from
 * systemd)" for each. NULL on failure, with the reason in why.
 */
struct listener *listener_new_inherited(struct event_base *base, const int *fds, size_t count,
					const char *role, uint32_t log_interval_seconds,
					listener_accept_fn on_accept, void *ctx, char *why,
					size_t why_size);

/**
 * A new listener like running (same role and callbacks) for a new list of addresses. An
 * address running already listens on (the same address and port as configured, port 0
 * included) shares running's socket, so it is never closed in between; the others get new
 * sockets. running is left as it is: free it once the new listener is in use, or free the
 * new one to keep running. Logs nothing. NULL on failure, with e.g. "cannot listen on
 * 127.0.0.1:7400: Address already in use" in why.
 */
struct listener *listener_rebind(const struct listener *running,
				 const struct config_listen *addresses, char *why, size_t why_size);

/** Log "no longer listening for ROLE on ADDRESS" and "listening for ROLE on ADDRESS" for the
 * addresses of from missing in to, and those of to new since from. */
void listener_log_moved(const struct listener *from, const struct listener *to);

/** The listening sockets' descriptors into fds (at most max), and how many there are. */
size_t listener_fds(const struct listener *listener, int *fds, size_t max);

/** True when the sockets came from systemd (listener_new_inherited). */
bool listener_is_inherited(const struct listener *listener);

/** Close every listening socket and free the listener. NULL is allowed. */
void listener_free(struct listener *listener);

#endif
