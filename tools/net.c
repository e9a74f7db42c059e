/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NET_RETRY_PAUSE_NS (100 * 1000 * 1000)

int net_split_host_port(const char *address, char *host, size_t host_size, char *port,
			size_t port_size)
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
	return 0;
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
