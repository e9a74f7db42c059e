/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CONTROL_H
#define CADMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"

/*
 * Control lines: the engine's inputs that are not feed events — a supervisor's
 * acknowledgement from the alert port, and what the daemon saw on the wall clock (a feed
 * source gone silent, a journal that cannot be written). The daemon journals each one with
 * the time it took it, and recovery replays them through engine_control, so that they give
 * the same notices, with the same seq, again. One JSON object per line:
 *
 *   {"ack":"<alert_id: 16 hex digits>","by":"<1..64 bytes>","note":"<0..256 bytes>"}
 *   {"system":"feed_silent","state":"firing"|"resolved","source":"<1..64 bytes>","seconds":N,
 *    "reason":"<0..128 bytes: a resolved one no longer watched, why>"}
 *   {"system":"journal_degraded","state":"firing"|"resolved","reason":"<0..128 bytes>"}
 *   {"system":"state_incomplete","state":"firing","reason":"<0..128 bytes>"}
 *   {"system":"receiver_down","state":"firing"|"resolved","receiver":"<1..31 bytes>",
 *    "reason":"<0..128 bytes>"}
 *   {"system":"limit","state":"firing"|"resolved","key":"<1..63 bytes: a connection limit's
 *    configuration key>","refused":N,"seconds":N}
 *
 * "note" may be left out (""). Other keys are ignored. A state_incomplete line (a recovery
 * that lost some history) is only ever "firing": the engine resolves its alert by itself,
 * once the rule windows have refilled in event time. The recovery applies it, not journaled:
 * the snapshot it then writes holds the alert.
 */

#define CONTROL_LINE_MAX 1024  /* longest control line taken from a console */
#define CONTROL_REASON_MAX 128

enum control_kind {
	CONTROL_ACK = 0,
	CONTROL_FEED_SILENT,
	CONTROL_JOURNAL_DEGRADED,
	CONTROL_RECEIVER_DOWN,
	CONTROL_CONNECTION_LIMIT, /* connections refused, notices, calls or lines dropped at a
				   * limit the daemon watches (daemon/limitwatch.h) */
	CONTROL_STATE_INCOMPLETE, /* a recovery rebuilt the state without some of its history */
};

#define CONTROL_KEY_MAX 63 /* a configuration key, "alerts.max_connections_per_address" */

#define CONTROL_SOURCE_MAX EVENT_ID_MAX /* a feed source's name */

#define CONTROL_RECEIVER_MAX 31 /* a receiver's name (config.h CONFIG_NAME_MAX - 1) */

struct control {
	enum control_kind kind;
	/* CONTROL_ACK */
	char alert_id[ALERT_ID_LENGTH + 1];
	char by[ALERT_ACK_BY_MAX + 1];
	char note[ALERT_ACK_NOTE_MAX + 1];
	/* system kinds */
	bool firing;                    /* false: resolved */
	char source[CONTROL_SOURCE_MAX + 1]; /* feed_silent; limit: feed.max_line_bytes's, or "" */
	uint32_t seconds;               /* feed_silent: silent this long when it fired */
	char reason[CONTROL_REASON_MAX + 1]; /* journal_degraded, receiver_down, state_incomplete;
					      * a resolved limit,
					      * receiver_down or feed_silent: why it is no longer
					      * watched */
	char receiver[CONTROL_RECEIVER_MAX + 1]; /* receiver_down; limit: its max_queue's, or "" */
	char key[CONTROL_KEY_MAX + 1]; /* connection limit: its configuration key */
	uint64_t refused;              /* limit: connections refused (or dropped) so far */
};

/**
 * Parse a control line. 0 with *out filled, or -EINVAL with what is wrong in why, e.g.
 * "\"by\" must be a string of 1 to 64 bytes, no control characters" or "no \"ack\" key: a
 * console sends {\"ack\":ALERT_ID,\"by\":NAME,\"note\":TEXT}".
 */
int control_parse(const char *line, size_t len, struct control *out, char *why, size_t why_size);

struct json_object;

/**
 * An HTTP acknowledgement of alert_id (POST /api/alerts/ID/ack): body is one JSON object
 * {"by":NAME,"note":TEXT} (other keys ignored, "ack" taken from alert_id), checked as a
 * console's ack line is. 0 with out filled (CONTROL_ACK), or -EINVAL with why, e.g. "the body
 * must be one JSON object {\"by\":NAME,\"note\":TEXT}".
 */
int control_parse_ack_body(const char *body, size_t len, const char *alert_id, struct control *out,
			   char *why, size_t why_size);

/**
 * One strictly valid JSON object (UTF-8 by json_scan_utf8_valid's rule: no overlong forms, no
 * surrogates) spanning the whole of line[0..len), or NULL:
 * how a control line is read, and an HTTP acknowledgement's body. The caller puts it.
 */
struct json_object *control_parse_object(const char *line, size_t len);

/**
 * Encode a control as its line (no newline) into out. Returns the length, 0 when it does not
 * fit or on allocation failure.
 */
size_t control_format(const struct control *control, char *out, size_t size);

#endif
