/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CONFIG_H
#define CADMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LISTEN 8        /* addresses per listener list */
#define CONFIG_ADDRESS_MAX 64      /* "[ffff:...]:65535" fits */
#define CONFIG_MAX_RULES 16
#define CONFIG_NAME_MAX 32         /* rule names and severities */
#define CONFIG_MAX_ERRORS 32       /* messages kept; more are counted in `dropped` */
#define CONFIG_ERROR_MAX 256

struct config_listen {
	char address[CONFIG_MAX_LISTEN][CONFIG_ADDRESS_MAX]; /* "host:port", "[v6]:port" */
	size_t count;
};

/* One detection rule over a sliding event-time window. */
struct config_rule {
	char name[CONFIG_NAME_MAX];
	uint32_t window_seconds;
	uint32_t min_calls;      /* completed calls in the window */
	uint32_t min_premature;  /* premature hangups in the window */
	double min_ratio;        /* premature / calls, 0..1 */
	char severity[CONFIG_NAME_MAX];
};

struct config {
	struct {
		struct config_listen listen;
		uint32_t max_line_bytes;
		uint32_t max_connections;
	} feed;
	struct {
		struct config_listen listen;
		uint32_t max_subscribers;
		uint32_t max_queue_bytes; /* per subscriber, unsent output */
	} alerts;
	struct {
		uint32_t max_open_calls;   /* calls started and not yet ended */
		uint32_t max_call_seconds; /* an open call silent this long (event time) expires */
		uint32_t max_operators;    /* distinct (agency, operator) pairs tracked */
		uint32_t max_window_calls; /* completed calls kept per operator */
	} tracker;
	struct {
		double max_talk_seconds;   /* talk time below this is "short" */
		unsigned released_by_mask; /* enum released_by bits that count as premature */
		struct config_rule rules[CONFIG_MAX_RULES];
		size_t rule_count;
	} detector;
	struct {
		uint32_t rate_limit_seconds; /* repeated warnings: at most one per interval */
	} log;
};

/* Every problem found in one configuration text, in document order. */
struct config_errors {
	char message[CONFIG_MAX_ERRORS][CONFIG_ERROR_MAX];
	size_t count;   /* messages kept */
	size_t dropped; /* further errors not kept */
};

/** Fill *config with the built-in defaults (documented in config/cadmon.yaml). */
void config_set_defaults(struct config *config);

/**
 * Parse a YAML configuration from a buffer. Keys not given keep their defaults.
 * Every error is collected as "FILENAME:LINE:COLUMN: key.path: what is wrong" (1-based).
 * Returns 0 and fills *config only when there are no errors; otherwise -EINVAL, *config
 * untouched, and errors->count + errors->dropped > 0.
 */
int config_parse(const char *text, size_t len, const char *filename, struct config *config,
		 struct config_errors *errors);

/** Longest rule window, seconds: how much event history the detector must keep. */
uint32_t config_longest_window_seconds(const struct config *config);

#endif
