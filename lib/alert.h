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

/* An acknowledgement of an alert by a supervisor. */
struct alert_ack {
	const char *by;   /* 1..ALERT_ACK_BY_MAX bytes */
	const char *note; /* 0..ALERT_ACK_NOTE_MAX bytes */
	int64_t ts_ms;    /* when it was given */
};

#define ALERT_ACK_BY_MAX 64
#define ALERT_ACK_NOTE_MAX 256

/* What an open alert keeps of its first acknowledgement. */
struct alert_ack_record {
	bool acked;
	int64_t ts_ms;
	char by[ALERT_ACK_BY_MAX + 1];
	char note[ALERT_ACK_NOTE_MAX + 1];
};

/**
 * Record ack on an alert. The first one is kept and false returned; for a later one true is
 * returned with *first set to the first (pointing into record).
 */
bool alert_ack_take(struct alert_ack_record *record, const struct alert_ack *ack,
		    struct alert_ack *first);

/** The first acknowledgement as an alert_ack in *view, or NULL when there is none. */
const struct alert_ack *alert_ack_view(const struct alert_ack_record *record,
				       struct alert_ack *view);

struct codec_writer;
struct codec_reader;

/** Snapshot an acknowledgement record; alert_ack_load reads it back. */
void alert_ack_save(const struct alert_ack_record *record, struct codec_writer *writer);
void alert_ack_load(struct alert_ack_record *record, struct codec_reader *reader);

/*
 * One notice to supervisors (docs/protocol.md, "Alert stream"). Strings and arrays belong to
 * whoever produced the alert (the detector or the engine) and are valid only during the
 * alert callback.
 *
 * kind: "firing", "escalated", "update", "resolved", "acknowledged"; or "open", a line of the
 * open-alert board (engine_board), the alert's whole current state. type: "operator" (the
 * rule fields below) or "system" (the system fields).
 */
struct alert {
	const char *kind;
	const char *type;      /* "operator" or "system" */
	const char *alert_id;  /* shared by an episode's notices; derived from its first trigger */
	uint64_t seq;          /* 1, 2, 3... per engine, in emission order */
	int64_t ts_ms;         /* event time at which the notice was decided */
	const char *reason;    /* "escalated" for want of an acknowledgement: "unacknowledged" */
	int64_t opened_ms;     /* "open": ts of the alert's firing */
	/* "acknowledged": this one; "open": the first, or NULL */
	const struct alert_ack *ack;
	const struct alert_ack *first_ack; /* "acknowledged" of an alert acknowledged before */
	/* type "operator" */
	const char *agency;    /* "" when the feed gave none */
	const char *operator_id;
	const char *position;  /* of the triggering call, "" when unknown */
	const char *rule;
	const char *severity;  /* both types */
	uint32_t window_seconds;
	uint32_t calls;
	uint32_t premature;
	uint32_t called_back;  /* premature hangups whose caller rang again */
	double ratio;
	double center_ratio;   /* the rest of the center's ratio in the same window */
	double p_value;        /* P(X >= premature) at the center's ratio (floored) */
	bool has_cusum;
	double cusum;          /* CUSUM rules: the statistic that reached the threshold */
	bool has_evidence;     /* sequential rules: the four fields below */
	double expected;       /* premature hangups the baseline expected in the run's calls */
	double evidence;       /* the CUSUM of log-likelihood ratios, nats */
	double threshold;      /* the evidence an alert needs */
	double own_factor;     /* the operator's own factor applied to the baseline */
	const char *why;       /* plain words for a supervisor, or NULL */
	int64_t late_ms;       /* > 0: decided in the time of a source this far behind the center */
	const struct alert_callback *callbacks; /* not yet called back first, then newest first */
	size_t callback_count;
	/* type "system" */
	const char *system;    /* "feed_silent", "limit", "journal_degraded" */
	const char *message;   /* plain words for a supervisor */
	const char *source;    /* feed_silent: the feed source */
	const char *limit;     /* limit: the configuration key to raise */
	const char *receiver;  /* receiver_down: the receiver's name */
	uint64_t evicted;      /* limit: entries evicted so far */
};

/** Order callbacks for action: not yet called back first, then newest (start_ms) first. */
void alert_sort_callbacks(struct alert_callback *callbacks, size_t count);

/**
 * Encode a board boundary line, {"board":"begin"|"end","seq":S,"open":K}, into out (NUL-
 * terminated). Returns its length.
 */
size_t alert_encode_board_mark(bool begin, uint64_t seq, uint32_t open, char *out, size_t size);

/**
 * The alert_id of an episode first triggered at ts_ms by trigger_call_id ("" when no call
 * triggered it): 16 hex digits of FNV-1a over agency, operator, rule, ts_ms and the call, so
 * instances and replays fed the same events agree.
 */
void alert_derive_id(const char *agency, const char *operator_id, const char *rule, int64_t ts_ms,
		     const char *trigger_call_id, char out[ALERT_ID_LENGTH + 1]);

struct json_object;
/** A JSON number printed with at most `decimals` decimals, no trailing zeros (0.31, 5); NULL on
 * ENOMEM. */
struct json_object *alert_json_decimal(double value, int decimals);

/**
 * Encode an alert as one line of JSON (no trailing newline), the wire format of
 * docs/protocol.md. Returns a malloc'd NUL-terminated string the caller frees, with its
 * length in *len, or NULL on allocation failure.
 */
char *alert_encode_json(const struct alert *alert, size_t *len);

#endif
