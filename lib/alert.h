/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ALERT_H
#define CADMON_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* A premature call a supervisor should return. */
struct alert_callback {
	char call_id[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1]; /* "" when unknown */
	int64_t start_ms;            /* when the caller was answered */
	int64_t talk_ms;
	bool called_back;            /* the caller rang 911 again soon after */
};

#define ALERT_ID_LENGTH 16 /* hex digits */

/* One notice to supervisors. Strings and the callbacks array belong to whoever produced the
 * alert (the detector) and are valid only during the alert callback. */
struct alert {
	const char *kind;      /* "firing", "escalated" or "resolved" */
	const char *alert_id;  /* shared by an episode's notices; derived from its first trigger */
	uint64_t seq;          /* 1, 2, 3... per engine, in emission order */
	int64_t ts_ms;         /* event time at which the notice was decided */
	const char *agency;    /* "" when the feed gave none */
	const char *operator_id;
	const char *position;  /* of the triggering call, "" when unknown */
	const char *rule;
	const char *severity;
	uint32_t window_seconds;
	uint32_t calls;
	uint32_t premature;
	uint32_t called_back;  /* premature hangups whose caller rang again */
	double ratio;
	double center_ratio;   /* the rest of the center's ratio in the same window */
	double p_value;        /* P(X >= premature) at the center's ratio (floored) */
	bool has_cusum;
	double cusum;          /* CUSUM rules: the statistic that reached the threshold */
	int64_t late_ms;       /* > 0: decided in the time of a source this far behind the center */
	const struct alert_callback *callbacks; /* oldest first */
	size_t callback_count;
};

/**
 * The alert_id of an episode first triggered at ts_ms by trigger_call_id ("" when no call
 * triggered it): 16 hex digits of FNV-1a over agency, operator, rule, ts_ms and the call, so
 * instances and replays fed the same events agree.
 */
void alert_derive_id(const char *agency, const char *operator_id, const char *rule, int64_t ts_ms,
		     const char *trigger_call_id, char out[ALERT_ID_LENGTH + 1]);

/**
 * Encode an alert as one line of JSON (no trailing newline), the wire format of
 * docs/protocol.md. Returns a malloc'd NUL-terminated string the caller frees, with its
 * length in *len, or NULL on allocation failure.
 */
char *alert_encode_json(const struct alert *alert, size_t *len);

#endif
