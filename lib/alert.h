/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ALERT_H
#define CADMON_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* A premature call a supervisor should return. */
struct alert_callback {
	char call_id[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1]; /* "" when unknown */
	int64_t start_ms;            /* when the caller was answered */
	int64_t talk_ms;
};

/* One notice to supervisors. Strings and the callbacks array belong to whoever produced the
 * alert (the detector) and are valid only during the alert callback. */
struct alert {
	const char *kind;      /* "firing" */
	uint64_t seq;          /* 1, 2, 3... per engine, in emission order */
	int64_t ts_ms;         /* event time of the call_end (or late call_start) that triggered it */
	const char *agency;    /* "" when the feed gave none */
	const char *operator_id;
	const char *position;  /* of the triggering call, "" when unknown */
	const char *rule;
	const char *severity;
	uint32_t window_seconds;
	uint32_t calls;
	uint32_t premature;
	double ratio;
	const struct alert_callback *callbacks; /* oldest first */
	size_t callback_count;
};

/**
 * Encode an alert as one line of JSON (no trailing newline), the wire format of
 * docs/protocol.md. Returns a malloc'd NUL-terminated string the caller frees, with its
 * length in *len, or NULL on allocation failure.
 */
char *alert_encode_json(const struct alert *alert, size_t *len);

#endif
