/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"

/* After a failed accept (out of descriptors or memory), stop accepting this long. */
#define LISTENER_PAUSE_SECONDS 1

struct listener {
	struct evconnlistener *sockets[CONFIG_MAX_LISTEN];
	char addresses[CONFIG_MAX_LISTEN][CONFIG_ADDRESS_MAX];
	size_t count;
	const char *role;
	listener_accept_fn on_accept;
	void *ctx;
	struct event *resume_timer; /* re-enables accepting after a pause */
	struct log_limit error_log;
};

/* Split "host:port" or "[v6]:port" into host and port texts. */
static int split_host_port(const char *text, char *host, size_t host_size, const char **port,
			   char *why, size_t why_size)
{
	const char *host_start = text, *host_end;

	if (text[0] == '[') {
		host_start = text + 1;
		host_end = strchr(host_start, ']');
		if (!host_end || host_end[1] != ':') {
			snprintf(why, why_size, "expected \"[IPv6]:port\"");
			return -EINVAL;
		}
		*port = host_end + 2;
	} else {
		host_end = strrchr(text, ':');
		if (!host_end) {
			snprintf(why, why_size, "expected \"host:port\"");
			return -EINVAL;
		}
		if (memchr(text, ':', (size_t)(host_end - text))) {
			snprintf(why, why_size, "an IPv6 address needs brackets: \"[::1]:7400\"");
			return -EINVAL;
		}
		*port = host_end + 1;
	}
	if ((size_t)(host_end - host_start) >= host_size || host_end == host_start) {
		snprintf(why, why_size, "bad host");
		return -EINVAL;
	}
	memcpy(host, host_start, (size_t)(host_end - host_start));
	host[host_end - host_start] = '\0';
	return 0;
}

static bool port_is_valid(const char *port)
{
	size_t digits = strspn(port, "0123456789");

	return digits > 0 && digits <= 5 && port[digits] == '\0' && atoi(port) <= 65535;
}

int listener_parse_address(const char *text, struct sockaddr_storage *address,
			   socklen_t *address_len, char *why, size_t why_size)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *found = NULL;
	char host[INET6_ADDRSTRLEN];
	const char *port;
	int rc;

	if (split_host_port(text, host, sizeof host, &port, why, why_size) < 0)
		return -EINVAL;
	if (!port_is_valid(port)) {
		snprintf(why, why_size, "bad port \"%s\"", port);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &found);
	if (rc != 0 || !found || found->ai_addrlen > sizeof *address) {
		snprintf(why, why_size, "bad address \"%s\": %s", host,
			 rc != 0 ? gai_strerror(rc) : "unsupported");
		if (found)
			freeaddrinfo(found);
		return -EINVAL;
	}
	memcpy(address, found->ai_addr, found->ai_addrlen);
	*address_len = found->ai_addrlen;
	freeaddrinfo(found);
	return 0;
}

void listener_format_address(const struct sockaddr *address, socklen_t address_len, char *out,
			     size_t out_size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (address->sa_family == AF_INET && address_len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;

		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		snprintf(out, out_size, "%s:%u", host, ntohs(v4->sin_port));
	} else if (address->sa_family == AF_INET6 &&
		   address_len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;

		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		snprintf(out, out_size, "[%s]:%u", host, ntohs(v6->sin6_port));
	} else {
		snprintf(out, out_size, "(address family %d)", address->sa_family);
	}
}

/* A bound, listening, non-blocking socket for address, or -errno. */
static int open_listening_socket(const struct sockaddr_storage *address, socklen_t address_len)
{
	const int on = 1;
	int fd = socket(address->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int error;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (address->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) ||
	    bind(fd, (const struct sockaddr *)address, address_len) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		error = errno;
		close(fd);
		return -error;
	}
	return fd;
}

static void listener_on_accept(struct evconnlistener *socket, evutil_socket_t fd,
			       struct sockaddr *address, int address_len, void *ctx)
{
	struct listener *listener = ctx;
	char peer[LISTENER_ADDRESS_TEXT_MAX];

	(void)socket;
	listener_format_address(address, (socklen_t)address_len, peer, sizeof peer);
	listener->on_accept(fd, peer, listener->ctx);
}

static void listener_set_enabled(struct listener *listener, bool enabled)
{
	for (size_t i = 0; i < listener->count; i++) {
		if (enabled)
			evconnlistener_enable(listener->sockets[i]);
		else
			evconnlistener_disable(listener->sockets[i]);
	}
}

static void listener_on_resume(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	listener_set_enabled(ctx, true);
}

/* accept() failed: log it and, when the process is out of resources, pause accepting
 * rather than spin on a socket that stays readable. */
static void listener_on_error(struct evconnlistener *socket, void *ctx)
{
	struct listener *listener = ctx;
	int error = EVUTIL_SOCKET_ERROR();
	bool out_of_resources = error == EMFILE || error == ENFILE || error == ENOBUFS ||
				error == ENOMEM;
	const struct timeval pause = { .tv_sec = LISTENER_PAUSE_SECONDS };

	(void)socket;
	log_limited(&listener->error_log, LOG_WARNING, "accepting %s failed: %s%s",
		    listener->role, strerror(error),
		    out_of_resources ? "; pausing for a second" : "");
	if (out_of_resources) {
		listener_set_enabled(listener, false);
		evtimer_add(listener->resume_timer, &pause);
	}
}

/* Listen on one more address. */
static int listener_add(struct listener *listener, struct event_base *base, const char *text,
			char *why, size_t why_size)
{
	const unsigned flags = LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
	struct sockaddr_storage address;
	socklen_t address_len;
	char reason[128];
	int fd;

	if (listener_parse_address(text, &address, &address_len, reason, sizeof reason) < 0) {
		snprintf(why, why_size, "cannot listen on %s: %s", text, reason);
		return -EINVAL;
	}
	fd = open_listening_socket(&address, address_len);
	if (fd < 0) {
		snprintf(why, why_size, "cannot listen on %s: %s", text, strerror(-fd));
		return fd;
	}
	/* backlog 0: the socket already listens. */
	listener->sockets[listener->count] =
		evconnlistener_new(base, listener_on_accept, listener, flags, 0, fd);
	if (!listener->sockets[listener->count]) {
		close(fd);
		snprintf(why, why_size, "cannot listen on %s: out of memory", text);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(listener->sockets[listener->count], listener_on_error);
	snprintf(listener->addresses[listener->count], CONFIG_ADDRESS_MAX, "%s", text);
	listener->count++;
	return 0;
}

struct listener *listener_new(struct event_base *base, const struct config_listen *addresses,
			      const char *role, uint32_t log_interval_seconds,
			      listener_accept_fn on_accept, void *ctx, char *why, size_t why_size)
{
	struct listener *listener = calloc(1, sizeof *listener);
	char label[LOG_LIMIT_LABEL_MAX];

	if (!listener || !(listener->resume_timer = evtimer_new(base, listener_on_resume, listener))) {
		snprintf(why, why_size, "cannot listen for %s: out of memory", role);
		free(listener);
		return NULL;
	}
	listener->role = role;
	listener->on_accept = on_accept;
	listener->ctx = ctx;
	snprintf(label, sizeof label, "accepting %s", role);
	log_limit_init(&listener->error_log, log_interval_seconds, label);
	for (size_t i = 0; i < addresses->count && i < CONFIG_MAX_LISTEN; i++) {
		if (listener_add(listener, base, addresses->address[i], why, why_size) < 0) {
			listener_free(listener);
			return NULL;
		}
	}
	for (size_t i = 0; i < listener->count; i++)
		log_msg(LOG_INFO, "listening for %s on %s", role, listener->addresses[i]);
	return listener;
}

void listener_free(struct listener *listener)
{
	if (!listener)
		return;
	for (size_t i = 0; i < listener->count; i++)
		evconnlistener_free(listener->sockets[i]);
	log_limit_flush(&listener->error_log);
	event_free(listener->resume_timer);
	free(listener);
}
