/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "mapped_feeds.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "listener.h"
#include "log.h"
#include "mapping.h"
#include "reload.h"

/* A mapping's place: a reload may add every mapping anew while the running ones still exist. */
#define MAPPED_FEEDS_PORTS (2 * CONFIG_MAX_MAPPINGS)

/* One mapping's listener: what runs, and what a prepared reload switches to. */
struct mapped_port {
	struct mapped_feeds *owner;
	char role[CONFIG_NAME_MAX + 24]; /* "feeds of mapping NAME": outlives its listeners */
	bool used;
	struct config_mapping mapping; /* what connections accepted from now on read */
	struct zone *zone;	       /* its IANA zone; NULL: a fixed offset or UTC */
	struct listener *listener;
	bool next_used; /* the prepared reload keeps (or adds) this mapping */
	struct config_mapping next_mapping;
	struct zone *next_zone;
	struct listener *next_listener; /* NULL: the running listener stays */
};

struct mapped_feeds {
	struct event_base *base;
	struct feed_server *feeds;
	zonefile_read_fn *read_file;
	uint32_t log_interval_seconds;
	struct mapped_port ports[MAPPED_FEEDS_PORTS];
};

static void mapped_on_accept(evutil_socket_t fd, const char *peer, void *ctx)
{
	struct mapped_port *port = ctx;

	feed_server_accept_records(port->owner->feeds, fd, peer, &port->mapping, port->zone);
}

/* The running port of the mapping named name, else a free one (its role set); NULL: none. */
static struct mapped_port *mapped_port_for(struct mapped_feeds *mapped, const char *name)
{
	for (size_t i = 0; i < MAPPED_FEEDS_PORTS; i++)
		if (mapped->ports[i].used && strcmp(mapped->ports[i].mapping.name, name) == 0)
			return &mapped->ports[i];
	for (size_t i = 0; i < MAPPED_FEEDS_PORTS; i++) {
		struct mapped_port *port = &mapped->ports[i];
		if (port->used || port->next_used)
			continue;
		snprintf(port->role, sizeof port->role, "feeds of mapping %s", name);
		return port;
	}
	return NULL;
}

/* Load the zone of mappings[index] and bind its addresses into port's next state. */
static int mapped_port_prepare(struct mapped_feeds *mapped, struct mapped_port *port,
			       const struct config_mapping *mapping, size_t index, char *why,
			       size_t why_size)
{
	char problem[512];

	port->next_used = true;
	port->next_mapping = *mapping;
	if (zonefile_for_mapping(mapping, mapped->read_file, &port->next_zone, problem,
				 sizeof problem) < 0) {
		snprintf(why, why_size, "mappings[%zu] %s: %s", index, mapping->name, problem);
		return -1;
	}
	if (!port->used)
		port->next_listener = listener_new(mapped->base, &mapping->listen, port->role,
						   mapped->log_interval_seconds, mapped_on_accept,
						   port, problem, sizeof problem);
	else if (reload_listen_changed(&port->mapping.listen, &mapping->listen))
		port->next_listener =
			listener_rebind(port->listener, &mapping->listen, problem, sizeof problem);
	else
		return 0;
	if (port->next_listener)
		return 0;
	snprintf(why, why_size, "mappings[%zu].listen: %s", index, problem);
	return -1;
}

int mapped_feeds_prepare(struct mapped_feeds *mapped, const struct config *next, char *why,
			 size_t why_size)
{
	if (!mapped)
		return 0;
	mapped_feeds_abort(mapped);
	mapped->log_interval_seconds = next->log.rate_limit_seconds;
	for (size_t i = 0; i < next->mapping_count && i < CONFIG_MAX_MAPPINGS; i++) {
		const struct config_mapping *mapping = &next->mappings[i];
		if (mapping->listen.count == 0)
			continue;
		struct mapped_port *port = mapped_port_for(mapped, mapping->name);
		if (!port) { /* cannot happen: twice as many ports as mappings */
			snprintf(why, why_size, "mappings[%zu]: no room for its listener", i);
			mapped_feeds_abort(mapped);
			return -1;
		}
		if (mapped_port_prepare(mapped, port, mapping, i, why, why_size) < 0) {
			mapped_feeds_abort(mapped);
			return -1;
		}
	}
	return 0;
}

static void mapped_port_clear_next(struct mapped_port *port)
{
	listener_free(port->next_listener);
	free(port->next_zone);
	port->next_listener = NULL;
	port->next_zone = NULL;
	port->next_used = false;
}

void mapped_feeds_abort(struct mapped_feeds *mapped)
{
	for (size_t i = 0; mapped && i < MAPPED_FEEDS_PORTS; i++)
		mapped_port_clear_next(&mapped->ports[i]);
}

/* A mapping no longer listening: its listener closed (its connections stay open). */
static void mapped_port_close(struct mapped_port *port)
{
	for (size_t i = 0; i < port->mapping.listen.count && i < CONFIG_MAX_LISTEN; i++)
		log_msg(LOG_INFO, "no longer listening for %s on %s", port->role,
			port->mapping.listen.address[i]);
	listener_free(port->listener);
	free(port->zone);
	port->listener = NULL;
	port->zone = NULL;
	port->used = false;
}

void mapped_feeds_commit(struct mapped_feeds *mapped)
{
	for (size_t i = 0; mapped && i < MAPPED_FEEDS_PORTS; i++) {
		struct mapped_port *port = &mapped->ports[i];
		if (port->used && !port->next_used)
			mapped_port_close(port);
		if (!port->next_used)
			continue;
		if (port->next_listener) {
			if (port->used)
				listener_log_moved(port->listener, port->next_listener);
			listener_free(port->listener);
			port->listener = port->next_listener;
			port->next_listener = NULL;
		}
		free(port->zone);
		port->zone = port->next_zone;
		port->next_zone = NULL;
		port->mapping = port->next_mapping;
		port->used = true;
		mapped_port_clear_next(port); /* what it held is the port's now */
	}
}

struct mapped_feeds *mapped_feeds_new(struct event_base *base, struct feed_server *feeds,
				      const struct config *config, zonefile_read_fn *read_file,
				      char *why, size_t why_size)
{
	struct mapped_feeds *mapped = calloc(1, sizeof *mapped);

	if (!mapped) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	mapped->base = base;
	mapped->feeds = feeds;
	mapped->read_file = read_file;
	for (size_t i = 0; i < MAPPED_FEEDS_PORTS; i++)
		mapped->ports[i].owner = mapped;
	if (mapped_feeds_prepare(mapped, config, why, why_size) < 0) {
		free(mapped);
		return NULL;
	}
	mapped_feeds_commit(mapped);
	return mapped;
}

void mapped_feeds_free(struct mapped_feeds *mapped)
{
	if (!mapped)
		return;
	mapped_feeds_abort(mapped);
	for (size_t i = 0; i < MAPPED_FEEDS_PORTS; i++) {
		listener_free(mapped->ports[i].listener);
		free(mapped->ports[i].zone);
	}
	free(mapped);
}
