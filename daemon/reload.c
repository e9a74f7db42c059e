/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reload.h"

#include <stdio.h>
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
static void announce_applied(void *ctx, const char *path, const char *before, const char *after)
{
	(void)ctx;
	if (!before || !after)
		log_msg(LOG_NOTICE, "reload: %s: %s", path, before ? "removed" : "added");
	else
		log_msg(LOG_NOTICE, "reload: %s: %s -> %s", path, before, after);
}

/* "reload: feed.tls: false -> true takes effect at the next restart; kept false". */
static void announce_kept(void *ctx, const char *path, const char *before, const char *after)
{
	(void)ctx;
	if (!before || !after)
		log_msg(LOG_WARNING, "reload: %s: %s takes effect at the next restart; kept %s",
			path, before ? "removed" : "added", before ? "it" : "none");
	else
		log_msg(LOG_WARNING,
			"reload: %s: %s -> %s takes effect at the next restart; kept %s", path,
			before, after, before);
}

/* "reload: receivers: changes take effect at the next restart; the running receivers are kept". */
static void announce_whole_kept(void *ctx, const char *name, bool is_list)
{
	(void)ctx;
	log_msg(LOG_WARNING,
		"reload: %s: changes take effect at the next restart; the running %s%s kept", name,
		name, is_list ? " are" : " section is");
}

size_t reload_keep_restart_keys(const struct config *running, struct config *next)
{
	const struct config_restart_report report = { .kept = announce_kept,
						      .whole_kept = announce_whole_kept };

	return config_keep_restart_keys(running, next, &report);
}

size_t reload_log_changes(const struct config *running, const struct config *next)
{
	return config_diff(running, next, announce_applied, NULL);
}
