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

/**
 * The keys a reload cannot apply (lib/config.c's key tables mark them RESTART: feed.tls,
 * alerts.tls, http.tls, journal.state_directory, receivers, i3, nats) get running's values
 * back in next, each difference logged as a warning, e.g. "reload: feed.tls: false -> true
 * takes effect at the next restart; kept false", then once for a list or section none of
 * whose keys a reload applies, e.g. "reload: receivers: changes take effect at the next
 * restart; the running receivers are kept". Returns how many differences were kept.
 */
size_t reload_keep_restart_keys(const struct config *running, struct config *next);

/** Log every difference between running and next at LOG_NOTICE; how many there were. */
size_t reload_log_changes(const struct config *running, const struct config *next);

#endif
