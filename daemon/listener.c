/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
	struct event_base *base;
	struct evconnlistener *sockets[CONFIG_MAX_LISTEN];
	char addresses[CONFIG_MAX_LISTEN][CONFIG_ADDRESS_MAX];
	/* What each socket was asked to bind (port 0 stays 0): how a rebind finds it again. */
	struct sockaddr_storage configured[CONFIG_MAX_LISTEN];
	socklen_t configured_len[CONFIG_MAX_LISTEN];
	size_t count;
	bool inherited; /* the sockets came from systemd (socket activation) */
	const char *role;
	uint32_t log_interval_seconds;
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

/* Wrap a listening socket (owned from here, closed on failure) as one more socket of the
 * listener, known by text. */
static int listener_adopt(struct listener *listener, int fd, const char *text, char *why,
			  size_t why_size)
{
	const unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
	struct evconnlistener *socket;

	if (listener->count >= CONFIG_MAX_LISTEN) {
		close(fd);
		snprintf(why, why_size, "cannot listen on %s: more than %d addresses", text,
			 CONFIG_MAX_LISTEN);
		return -E2BIG;
	}
	/* backlog 0: the socket already listens. */
	socket = evconnlistener_new(listener->base, listener_on_accept, listener, flags, 0, fd);
	if (!socket) {
		close(fd);
		snprintf(why, why_size, "cannot listen on %s: out of memory", text);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(socket, listener_on_error);
	listener->sockets[listener->count] = socket;
	snprintf(listener->addresses[listener->count], CONFIG_ADDRESS_MAX, "%s", text);
	listener->count++;
	return 0;
}

/* The socket of running configured for address, or -1. */
static int listener_find_configured(const struct listener *running,
				    const struct sockaddr_storage *address, socklen_t address_len)
{
	for (size_t i = 0; running && i < running->count; i++)
		if (running->configured_len[i] == address_len &&
		    memcmp(&running->configured[i], address, address_len) == 0)
			return evconnlistener_get_fd(running->sockets[i]);
	return -1;
}

/* Listen on one more address: a second descriptor of running's socket when running already
 * listens there (so the port is never released), a new socket otherwise. */
static int listener_add(struct listener *listener, const struct listener *running,
			const char *text, char *why, size_t why_size)
{
	struct sockaddr_storage address;
	socklen_t address_len;
	char reason[128];
	int fd, reused;

	if (listener_parse_address(text, &address, &address_len, reason, sizeof reason) < 0) {
		snprintf(why, why_size, "cannot listen on %s: %s", text, reason);
		return -EINVAL;
	}
	reused = listener_find_configured(running, &address, address_len);
	fd = reused >= 0 ? fcntl(reused, F_DUPFD_CLOEXEC, 0)
			 : open_listening_socket(&address, address_len);
	if (reused >= 0 && fd < 0)
		fd = -errno;
	if (fd < 0) {
		snprintf(why, why_size, "cannot listen on %s: %s", text, strerror(-fd));
		return fd;
	}
	listener->configured[listener->count] = address;
	listener->configured_len[listener->count] = address_len;
	return listener_adopt(listener, fd, text, why, why_size);
}

/* An empty listener: no sockets yet. */
static struct listener *listener_alloc(struct event_base *base, const char *role,
				       uint32_t log_interval_seconds, listener_accept_fn on_accept,
				       void *ctx, char *why, size_t why_size)
{
	struct listener *listener = calloc(1, sizeof *listener);
	char label[LOG_LIMIT_LABEL_MAX];

	if (!listener ||
	    !(listener->resume_timer = evtimer_new(base, listener_on_resume, listener))) {
		snprintf(why, why_size, "cannot listen for %s: out of memory", role);
		free(listener);
		return NULL;
	}
	listener->base = base;
	listener->role = role;
	listener->log_interval_seconds = log_interval_seconds;
	listener->on_accept = on_accept;
	listener->ctx = ctx;
	snprintf(label, sizeof label, "accepting %s", role);
	log_limit_init(&listener->error_log, log_interval_seconds, label);
	return listener;
}

/* A listener for every address of the list, sharing running's sockets where it can. */
static struct listener *listener_open(struct event_base *base,
				      const struct config_listen *addresses, const char *role,
				      uint32_t log_interval_seconds, listener_accept_fn on_accept,
				      void *ctx, const struct listener *running, char *why,
				      size_t why_size)
{
	struct listener *listener =
		listener_alloc(base, role, log_interval_seconds, on_accept, ctx, why, why_size);

	if (!listener)
		return NULL;
	for (size_t i = 0; i < addresses->count && i < CONFIG_MAX_LISTEN; i++) {
		if (listener_add(listener, running, addresses->address[i], why, why_size) < 0) {
			listener_free(listener);
			return NULL;
		}
	}
	return listener;
}

struct listener *listener_new(struct event_base *base, const struct config_listen *addresses,
			      const char *role, uint32_t log_interval_seconds,
			      listener_accept_fn on_accept, void *ctx, char *why, size_t why_size)
{
	struct listener *listener = listener_open(base, addresses, role, log_interval_seconds,
						  on_accept, ctx, NULL, why, why_size);

	for (size_t i = 0; listener && i < listener->count; i++)
		log_msg(LOG_INFO, "listening for %s on %s", role, listener->addresses[i]);
	return listener;
}

/* The address a socket is bound to, as text. */
static void describe_bound_address(int fd, char *out, size_t out_size)
{
	struct sockaddr_storage address;
	socklen_t address_len = sizeof address;

	if (getsockname(fd, (struct sockaddr *)&address, &address_len) < 0)
		snprintf(out, out_size, "(fd %d)", fd);
	else
		listener_format_address((struct sockaddr *)&address, address_len, out, out_size);
}

/* Make an inherited socket non-blocking, like the ones we open. 0 or -errno. */
static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -errno : 0;
}

struct listener *listener_new_inherited(struct event_base *base, const int *fds, size_t count,
					const char *role, uint32_t log_interval_seconds,
					listener_accept_fn on_accept, void *ctx, char *why,
					size_t why_size)
{
	struct listener *listener =
		listener_alloc(base, role, log_interval_seconds, on_accept, ctx, why, why_size);
	char text[LISTENER_ADDRESS_TEXT_MAX];
	size_t i;
	int rc = listener ? 0 : -ENOMEM;

	for (i = 0; i < count && rc == 0; i++) {
		describe_bound_address(fds[i], text, sizeof text);
		rc = set_nonblocking(fds[i]);
		if (rc < 0) {
			snprintf(why, why_size, "cannot use socket %s from systemd: %s", text,
				 strerror(-rc));
			close(fds[i]);
		} else {
			rc = listener_adopt(listener, fds[i], text, why, why_size);
		}
	}
	if (rc < 0) {
		for (; i < count; i++)
			close(fds[i]);
		listener_free(listener);
		return NULL;
	}
	listener->inherited = true;
	for (i = 0; i < listener->count; i++)
		log_msg(LOG_INFO, "listening for %s on %s (socket from systemd)", role,
			listener->addresses[i]);
	return listener;
}

struct listener *listener_rebind(const struct listener *running,
				 const struct config_listen *addresses, char *why, size_t why_size)
{
	return listener_open(running->base, addresses, running->role,
			     running->log_interval_seconds, running->on_accept, running->ctx,
			     running, why, why_size);
}

/* True when listener has a socket configured for the same address as socket i of other. */
static bool listener_has_address_of(const struct listener *listener,
				    const struct listener *other, size_t i)
{
	return listener_find_configured(listener, &other->configured[i],
					other->configured_len[i]) >= 0;
}

void listener_log_moved(const struct listener *from, const struct listener *to)
{
	for (size_t i = 0; i < from->count; i++)
		if (!listener_has_address_of(to, from, i))
			log_msg(LOG_INFO, "no longer listening for %s on %s", from->role,
				from->addresses[i]);
	for (size_t i = 0; i < to->count; i++)
		if (!listener_has_address_of(from, to, i))
			log_msg(LOG_INFO, "listening for %s on %s", to->role, to->addresses[i]);
}

size_t listener_fds(const struct listener *listener, int *fds, size_t max)
{
	size_t count = 0;

	for (size_t i = 0; i < listener->count && count < max; i++)
		if (listener->sockets[i])
			fds[count++] = (int)evconnlistener_get_fd(listener->sockets[i]);
	return count;
}

bool listener_is_inherited(const struct listener *listener)
{
	return listener->inherited;
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
