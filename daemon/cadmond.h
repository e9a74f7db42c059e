/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_CADMOND_H
#define CADMOND_CADMOND_H

#include <stddef.h>

#include "config.h"

/*
 * The daemon object: owns the event loop, the active configuration, the engine, the
 * listeners, the feed connections, the subscribers, the signal events and the systemd
 * notifications. All detection happens in the engine; this is the shell around it.
 */

/* Exit statuses of cadmond, as documented in its -h text. */
enum cadmond_exit {
	CADMOND_EXIT_OK = 0,      /* clean stop */
	CADMOND_EXIT_CONFIG = 1,  /* configuration error */
	CADMOND_EXIT_USAGE = 2,   /* bad command line */
	CADMOND_EXIT_RUNTIME = 3, /* runtime failure, e.g. cannot listen on an address */
};

/* Largest configuration file read. */
#define CADMOND_CONFIG_MAX_BYTES (1u << 20)

/* How long shutdown waits for subscribers to take the alerts queued for them. */
#define CADMOND_FLUSH_SECONDS 2

/* Period of the STATUS= (and WATCHDOG=1) notifications; shorter under a short watchdog. */
#define CADMOND_STATUS_SECONDS 5
/* Sources STATUS= names at most (the rest are counted). */
#define CADMOND_STATUS_SOURCES 8
/* How often the host clock is offered to the engine while events wait for the center, ms. */
#define CADMOND_CLOCK_TICK_MS 500

struct auth_tokens;
struct cadmond;

/**
 * Read a whole file of at most max_bytes into a NUL-terminated malloc'd *text (the caller
 * frees it), its length in *len. 0, -EFBIG beyond max_bytes, or another negative errno.
 */
int cadmond_read_file(const char *path, size_t max_bytes, char **text, size_t *len);

/**
 * Read a configuration file (at most CADMOND_CONFIG_MAX_BYTES; path NULL: the built-in
 * defaults), parse it, read its tokens (auth_tokens_read: the tokens file is read here once,
 * and what was read is what the start uses) and check them. Returns 0 with *config and
 * *tokens filled (auth_tokens_release them), or a negative errno with every problem in
 * *errors (a file that cannot be read gives one message, "FILE: cannot read: REASON").
 */
int cadmond_load_config(const char *path, struct config *config, struct auth_tokens *tokens,
			struct config_errors *errors);

/**
 * The effective configuration of path (NULL: the built-in defaults) as YAML, every key with
 * the file:line that set it or "default" (config_dump_traced), malloc'd; NULL with the
 * reasons in errors.
 */
char *cadmond_dump_config(const char *path, struct config_errors *errors);

/** Log every message of errors at LOG_ERR, plus "... and N more errors" when some were dropped. */
void cadmond_log_config_errors(const struct config_errors *errors);

/**
 * Set up the daemon for config (copied) and its tokens (cadmond_load_config's; copied);
 * config_path (copied; NULL for built-in defaults) is what SIGHUP re-reads. Listens on every
 * configured address. NULL on failure, with the reason in why, e.g. "cannot listen on
 * 127.0.0.1:7400: Address already in use".
 */
struct cadmond *cadmond_new(const struct config *config, const struct auth_tokens *tokens,
			    const char *config_path, char *why, size_t why_size);

/**
 * Run until SIGTERM or SIGINT and a clean shutdown: stop accepting, process the lines
 * already received, give subscribers up to CADMOND_FLUSH_SECONDS to take pending alerts.
 * Returns the exit status (CADMOND_EXIT_OK, or CADMOND_EXIT_RUNTIME if the loop failed).
 */
int cadmond_run(struct cadmond *cadmond);

/** Free everything the daemon owns. NULL is allowed. */
void cadmond_free(struct cadmond *cadmond);

#endif
