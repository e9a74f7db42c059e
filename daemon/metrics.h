/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_METRICS_H
#define CADMOND_METRICS_H

#include "http.h"

/*
 * GET /metrics: the daemon's counters in the Prometheus text exposition format (version
 * 0.0.4), every name prefixed cadmon_, each family with its HELP and TYPE lines
 * (docs/http.md, "Metrics").
 */

/* The Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct evbuffer;

/** Append the exposition of state (and the HTTP server's own counters) to out. */
void metrics_write(struct evbuffer *out, const struct http_state *state,
		   const struct http_stats *http);

#endif
