/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

bool reload_listen_changed(const struct config_listen *running, const struct config_listen *next)
{
	if (running->count != next->count)
		return true;
	for (size_t i = 0; i < running->count && i < CONFIG_MAX_LISTEN; i++)
		if (strcmp(running->address[i], next->address[i]) != 0)
			return true;
	return false;
}

/* "reload: KEY: OLD -> NEW", or "reload: detector.rules.NAME: removed" / "added". */
static void log_change(void *ctx, const char *path, const char *before, const char *after)
{
	(void)ctx;
	if (!before || !after)
		log_msg(LOG_NOTICE, "reload: %s: %s", path, before ? "removed" : "added");
	else
		log_msg(LOG_NOTICE, "reload: %s: %s -> %s", path, before, after);
}

static void count_receiver_change(void *ctx, const char *path, const char *before, const char *after)
{
	(void)before;
	(void)after;
	if (strncmp(path, "receivers", strlen("receivers")) == 0)
		(*(size_t *)ctx)++;
}

bool reload_receivers_changed(const struct config *running, const struct config *next)
{
	size_t changes = 0;

	config_diff(running, next, count_receiver_change, &changes);
	return changes > 0;
}

/* The nats keys a reload applies (nats_update); every other one needs a restart (the
 * connection, its consumer and streams, and the queues are set up at start). */
static const char *const nats_live_keys[] = { "nats.fetch_batch" };

static bool nats_key_live(const char *path)
{
	for (size_t i = 0; i < sizeof nats_live_keys / sizeof nats_live_keys[0]; i++)
		if (strcmp(path, nats_live_keys[i]) == 0)
			return true;
	return false;
}

/* Each nats key that needs a restart and changed: logged, counted in *ctx. */
static void log_nats_restart_change(void *ctx, const char *path, const char *before, const char *after)
{
	if (strncmp(path, "nats.", strlen("nats.")) != 0 || nats_key_live(path))
		return;
	(*(size_t *)ctx)++;
	log_msg(LOG_WARNING, "reload: %s: %s -> %s takes effect at the next restart; kept %s", path,
		before ? before : "(none)", after ? after : "(none)", before ? before : "(none)");
}

void reload_keep_nats(const struct config *running, struct config *next)
{
	struct config *kept = malloc(sizeof *kept);
	uint32_t fetch_batch = next->nats.fetch_batch;
	size_t restart_only = 0;

	if (!kept) { /* cannot compare: the running section, as for a change */
		log_msg(LOG_WARNING, "reload: nats: out of memory comparing the nats section; the running one is kept");
	} else {
		*kept = *next;
		kept->nats = running->nats;
		kept->nats.fetch_batch = fetch_batch;
		config_diff(kept, next, log_nats_restart_change, &restart_only);
		free(kept);
		if (restart_only == 0)
			return;
	}
	next->nats = running->nats;
	next->nats.fetch_batch = fetch_batch; /* nats_live_keys */
}

void reload_keep_tls_listeners(const struct config *running, struct config *next)
{
	const struct {
		const char *key;
		bool running, *next;
	} listeners[] = {
		{ "feed.tls", running->feed.tls, &next->feed.tls },
		{ "alerts.tls", running->alerts.tls, &next->alerts.tls },
		{ "http.tls", running->http.tls, &next->http.tls },
	};

	for (size_t i = 0; i < sizeof listeners / sizeof listeners[0]; i++) {
		if (*listeners[i].next == listeners[i].running)
			continue;
		log_msg(LOG_WARNING, "reload: %s: %s -> %s takes effect at the next restart; kept %s", listeners[i].key,
			listeners[i].running ? "true" : "false", *listeners[i].next ? "true" : "false",
			listeners[i].running ? "true" : "false");
		*listeners[i].next = listeners[i].running;
	}
}

void reload_keep_i3(const struct config *running, struct config *next)
{
	if (memcmp(&running->i3, &next->i3, sizeof running->i3) == 0)
		return;
	log_msg(LOG_WARNING, "reload: i3: changes take effect at the next restart; kept the running i3 section");
	next->i3 = running->i3;
}

size_t reload_log_changes(const struct config *running, const struct config *next)
{
	return config_diff(running, next, log_change, NULL);
}
