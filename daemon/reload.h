/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_RELOAD_H
#define CADMOND_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * What a reload changes: two configurations compared key by key, each difference logged as
 * one line, e.g. "reload: detector.rules.burst.min_premature: 4 -> 3",
 * "reload: feed.listen: [127.0.0.1:7400] -> [127.0.0.1:7500, [::1]:7500]",
 * "reload: detector.rules.shift: added". Rules are matched by name, as the detector does.
 */

/** True when the two lists differ (order counts: it is the order of the log lines). */
bool reload_listen_changed(const struct config_listen *running, const struct config_listen *next);

/** True when receivers differ (they are set up at start only: a restart applies them). */
bool reload_receivers_changed(const struct config *running, const struct config *next);

/**
 * Which ports serve TLS is fixed at start: set next's feed.tls, alerts.tls and http.tls back
 * to running's, logging each change refused, e.g. "reload: feed.tls: false -> true takes effect
 * at the next restart; kept false". The tls files themselves are reloaded (docs/security.md, "TLS and mutual TLS").
 */
void reload_keep_tls_listeners(const struct config *running, struct config *next);

/** The i3: section (POST /LogEvents) is read at start only: next keeps the running one (a warning when they differ). */
void reload_keep_i3(const struct config *running, struct config *next);

/** Log every difference between running and next at LOG_NOTICE; how many there were. */
size_t reload_log_changes(const struct config *running, const struct config *next);

/**
 * The nats: section is set up at start but for nats.fetch_batch, which a reload applies: when
 * another nats key differs, next keeps running's section (with next's fetch_batch), logging
 * each such key, e.g. "reload: nats.consumer: x -> y takes effect at the next restart; kept x".
 */
void reload_keep_nats(const struct config *running, struct config *next);

#endif
