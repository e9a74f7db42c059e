/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_I3_H
#define CADMON_I3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "table.h"

/*
 * NENA i3 log events (NENA-STA-010, the Logging Service interface; docs/protocol.md "NENA i3
 * log events"): the body of a POST /LogEvents is a JWS in the flattened JSON serialization
 * (RFC 7515 7.2.2), its payload one log event. i3_jws_decode takes the JWS apart (strict
 * base64url, the protected header's alg and kid) and hands back what the daemon verifies:
 * the signing input and the raw signature. i3_calls_map turns a log event into protocol v1
 * lines, remembering per call (a bounded table) what later events need: whether a call_start
 * was sent, the caller's number, who sent the first SIP BYE, whether an incident was sent.
 * No I/O, no clock: the daemon verifies, journals and feeds the engine.
 */

/* Why a log event is refused (or that it is fine). Stable names: i3_status_name. */
enum i3_status {
	I3_OK = 0,
	I3_BAD_JWS,           /* not a flattened JWS: JSON, members, base64url, header */
	I3_BAD_ALGORITHM,     /* alg other than ES256 or RS256 */
	I3_BAD_JSON,          /* the payload is not one JSON object */
	I3_BAD_EVENT,         /* a field of the log event missing, of the wrong type, too long */
	I3_UNSUPPORTED_EVENT, /* logEventType not one of the published LogEventType values */
	I3_WRONG_ELEMENT,     /* an elementId the caller's admit refused (its signer's elements) */
	I3_STATUS_COUNT,
};

/** "ok", "bad_jws", "bad_algorithm", "bad_json", "bad_event", "unsupported_event",
 * "wrong_element". */
const char *i3_status_name(enum i3_status status);

enum i3_algorithm {
	I3_ES256 = 0, /* ECDSA P-256 SHA-256; signature r || s, 64 bytes */
	I3_RS256,     /* RSASSA-PKCS1-v1_5 SHA-256 */
};

/* Longest kid kept (with its NUL); a longer one is bad_jws. */
#define I3_KID_MAX 129

/* A decoded JWS. The buffers are owned by it: i3_jws_release. */
struct i3_jws {
	enum i3_algorithm algorithm;
	char kid[I3_KID_MAX];          /* "" when the header has none */
	char *signing_input;           /* ASCII(protected) "." ASCII(payload), NUL-terminated */
	size_t signing_input_len;
	unsigned char *signature;      /* decoded */
	size_t signature_len;
	char *payload;                 /* decoded, NUL-terminated */
	size_t payload_len;
};

/**
 * Decode body[0..len), a JWS in flattened JSON serialization: an object with the string
 * members "protected", "payload" and "signature" (base64url without padding, RFC 7515 2;
 * any other character, padding or non-zero trailing bits is bad_jws), whose protected header
 * is a JSON object with "alg" ES256 or RS256 (else bad_algorithm), an optional string "kid"
 * and no "crit". I3_OK with *jws filled, or the status with why (jws then holds nothing).
 */
enum i3_status i3_jws_decode(const char *body, size_t len, struct i3_jws *jws, char *why,
			     size_t why_size);

/** Free what i3_jws_decode allocated (and zero *jws). */
void i3_jws_release(struct i3_jws *jws);

/**
 * Decode base64url text[0..len) (no padding, strict) into out (room for len * 3 / 4 bytes):
 * its length, or -1 when text is not base64url.
 */
long i3_base64url_decode(const char *text, size_t len, unsigned char *out);

/**
 * Encode bytes[0..len) as base64url without padding into out (room for (len + 2) / 3 * 4 + 1
 * bytes, NUL-terminated): what a sender of JWS does (tests, tools). Its length.
 */
size_t i3_base64url_encode(const void *bytes, size_t len, char *out);

/* What the daemon configures (i3: in cadmon.yaml). */
struct i3_settings {
	uint32_t max_calls;          /* i3.max_calls: calls remembered between events */
	unsigned bye_outgoing;       /* i3.bye_outgoing_released_by: enum released_by bit */
	unsigned bye_incoming;       /* i3.bye_incoming_released_by */
};

/* Counters of the call table since it was made. */
struct i3_calls_stats {
	uint64_t evicted; /* calls forgotten because the table was full (oldest first) */
	uint64_t byes;    /* SIP BYEs remembered (the first of each call) */
	/* AgentStateChangeLogEvents without a state cadmon maps (no line) */
	uint64_t agent_states_unmapped;
	uint64_t outgoing_calls; /* calls the element placed (direction outgoing): no line */
	uint64_t ids_shortened;  /* callIds, incidentIds, targets over I3_ID_MAX shortened */
	/* BYEs and CallEndLogEvents of an answered call logged by another element than the one
	 * that answered it: ignored */
	uint64_t other_element_events;
};

/*
 * Longest callId, incidentId and transfer target a line carries as given (a feed line's
 * call_id, incident_id and to). A longer one (a real "urn:emergency:uid:callid:UUID:FQDN" is
 * 77 bytes) is shortened by i3_short_id.
 */
#define I3_ID_MAX 64
#define I3_SHORT_ID_PREFIX 39 /* bytes of the value kept, at most (a UTF-8 boundary) */
#define I3_SHORT_ID_HEX 24    /* hex digits of the SHA-256 kept: 96 bits */

/**
 * value[0..len) as an id of at most I3_ID_MAX bytes: itself when it fits, else its first
 * I3_SHORT_ID_PREFIX bytes (fewer when that would cut a UTF-8 sequence), "~" and the first 96
 * bits of its SHA-256 in hex, into out. Deterministic, so every log event of a call gives the
 * same id. True when the value was shortened.
 */
bool i3_short_id(const char *value, size_t len, char out[I3_ID_MAX + 1]);

/* Calls seen and not yet ended (CallEndLogEvent). */
struct i3_calls {
	struct table table;
	struct i3_settings settings;
	uint64_t next_age;
	struct i3_calls_stats stats;
};

/** Make the call table. 0, -EINVAL (max_calls 0) or -ENOMEM. */
int i3_calls_init(struct i3_calls *calls, const struct i3_settings *settings);

/** Free the table. */
void i3_calls_release(struct i3_calls *calls);

/** Calls remembered now. */
uint32_t i3_calls_count(const struct i3_calls *calls);

/* Every protocol v1 line a log event makes, in order. */
typedef void i3_line_fn(const char *line, size_t len, void *ctx);

/* May a log event of element_id make its lines (e.g. is it one its signing key may sign for)?
 * false with why. */
typedef bool i3_element_fn(const char *element_id, void *ctx, char *why, size_t why_size);

/* Longest elementId (it names the engine's source): as a feed hello's source. */
#define I3_ELEMENT_ID_MAX 64

/* What i3_calls_map found besides the lines. */
struct i3_event_info {
	char log_event_type[64];                   /* as given; "" when absent */
	char element_id[I3_ELEMENT_ID_MAX + 1];    /* the source the lines count under */
	unsigned lines;                            /* lines made */
};

/**
 * Map the log event payload[0..len) (a JSON object) to protocol v1 lines given to emit
 * (docs/protocol.md, "NENA i3 log events", for what each type makes); types that make no
 * line are fine (I3_OK, info->lines 0). Once its fields are read, admit (unless NULL) is asked
 * about its elementId, with ctx. I3_BAD_JSON, I3_BAD_EVENT, I3_UNSUPPORTED_EVENT or
 * I3_WRONG_ELEMENT (admit's why) with why, and then no line was emitted and the table is
 * unchanged.
 */
enum i3_status i3_calls_map(struct i3_calls *calls, const char *payload, size_t len,
			    i3_element_fn *admit, i3_line_fn *emit, void *ctx,
			    struct i3_event_info *info, char *why, size_t why_size);

#endif
