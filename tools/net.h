/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_NET_H
#define CADMON_TOOLS_NET_H

#include <stddef.h>

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
 * when there is no port, no host, unbalanced brackets, or a part does not fit its buffer.
 */
int net_split_host_port(const char *address, char *host, size_t host_size, char *port,
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

#endif
