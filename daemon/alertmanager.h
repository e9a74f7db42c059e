/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_ALERTMANAGER_H
#define CADMOND_ALERTMANAGER_H

#include <stddef.h>
#include <stdint.h>

/*
 * cadmon's notices as Alertmanager API v2 alerts (POST /api/v2/alerts, a JSON array;
 * docs/receivers.md has the mapping). The open alerts are kept, each as the Alertmanager
 * alert last posted (labels, annotations, startsAt) with the callbacks gathered over its
 * firing, update and escalated notices, so that all of them can be posted again every
 * resend_seconds while open; a resolved notice posts the alert once more with endsAt and
 * forgets it. At most capacity alerts are kept: one more is posted but not kept (counted).
 * No I/O: the receiver posts the bodies.
 */

#define AM_MAX_CALLBACKS 64 /* callbacks kept per alert (the newest); more are counted */

struct am_alerts;

/** A table of at most capacity open alerts. NULL on allocation failure. */
struct am_alerts *am_alerts_new(uint32_t capacity);
void am_alerts_free(struct am_alerts *alerts);

/**
 * Take a notice line (firing, update, escalated, acknowledged, resolved, or a board's open
 * line). Returns the body to post ("[{...}]", malloc'd, its length in *len), or NULL when
 * nothing is to be posted (an acknowledgement or update of an alert not kept, a line that
 * is not a notice) or on allocation failure.
 */
char *am_alerts_notice(struct am_alerts *alerts, const char *json, size_t len, size_t *body_len);

/** Every open alert in one body ("[...]"), NULL when none is open or on allocation failure. */
char *am_alerts_resend(const struct am_alerts *alerts, size_t *body_len);

/** Alerts open now; alerts not kept because the table was full. */
uint32_t am_alerts_open_count(const struct am_alerts *alerts);
uint64_t am_alerts_not_kept(const struct am_alerts *alerts);

#endif
