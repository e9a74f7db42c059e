/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_I3_SERVER_H
#define CADMOND_I3_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "feed.h"
#include "i3.h"

/*
 * POST /LogEvents: cadmond as a secondary NENA i3 Logging Service (docs/protocol.md "NENA i3
 * log events"). A request's body is a JWS (flattened JSON serialization) holding one log
 * event: decoded (lib/i3.h), its signature verified with OpenSSL against the configured
 * public key of its kid (ES256: the raw r || s turned into a DER ECDSA-Sig-Value; RS256:
 * RSASSA-PKCS1-v1_5 with SHA-256), mapped to protocol v1 lines that are journaled and
 * processed exactly as a feed's (the element's elementId is their source), and answered 201
 * with its logEventId only once those lines are durable (i3_server_acknowledge, called where
 * feeds are acknowledged): an acknowledged log event is never lost. Every refusal is counted
 * under its result and logged (rate-limited).
 */

/* What became of a request, counted (cadmon_i3_log_events_total{result}). */
enum i3_result {
	I3_RESULT_ACCEPTED = 0,      /* 201, lines made */
	I3_RESULT_IGNORED,           /* 201, a log event that makes no line */
	I3_RESULT_BAD_JWS,           /* 460 */
	I3_RESULT_BAD_ALGORITHM,     /* 438 */
	I3_RESULT_BAD_JSON,          /* 460 */
	I3_RESULT_BAD_EVENT,         /* 460 */
	I3_RESULT_UNSUPPORTED_EVENT, /* 460 */
	I3_RESULT_UNKNOWN_KID,       /* 434: i3.require_signature and a kid not in i3.public_keys */
	I3_RESULT_BAD_SIGNATURE,     /* 434 */
	I3_RESULT_TOO_BIG,           /* 461: over i3.max_body_bytes */
	I3_RESULT_BUSY,              /* 503: i3.max_pending_requests wait already */
	I3_RESULT_WRONG_ELEMENT,     /* 434: elementId not in its key's i3.public_keys[].elements */
	I3_RESULT_COUNT,
};

/** "accepted", "ignored", "bad_jws", ..., "busy". */
const char *i3_result_name(enum i3_result result);

/* Counters since start. */
struct i3_server_stats {
	uint64_t results[I3_RESULT_COUNT];
	uint64_t unverified; /* taken without a verified signature (require_signature: false) */
	uint64_t lines;           /* protocol v1 lines made and processed */
	uint64_t calls_evicted;   /* calls forgotten by a full i3.max_calls table */
	uint64_t agent_states_unmapped; /* AgentStateChangeLogEvents that made no operator_state */
	uint64_t outgoing_calls;  /* calls the element placed (direction outgoing): no line */
	uint64_t ids_shortened;   /* callIds, incidentIds, targets over 64 bytes shortened */
	uint64_t other_element_events; /* BYEs, ends of a call answered at another element */
	uint32_t calls;           /* calls remembered now */
	uint32_t pending;         /* requests waiting for durability now */
};

struct event_base;
struct engine;
struct evhttp_request;
struct i3_server;

/**
 * The service for config's i3: section, feeding engine (not owned) through journal (copied).
 * NULL with why when a public key cannot be read or is not a P-256 EC or RSA (2048 bits or
 * more) key, or out of memory.
 */
struct i3_server *i3_server_new(struct engine *engine, const struct config *config,
				const struct feed_journal *journal, char *why, size_t why_size);

/** cadmond -n: every key of i3.public_keys reads as i3_server_new reads it; false with why. */
bool i3_server_check_keys(const struct config *config, char *why, size_t why_size);

/**
 * Stopping: answer every waiting request 503 (its lines are journaled and processed; the
 * element sends it again and the resend is recognized as a duplicate). Before the HTTP server
 * goes. NULL is allowed.
 */
void i3_server_close_all(struct i3_server *server);

/** i3_server_close_all, then free. NULL is allowed. */
void i3_server_free(struct i3_server *server);

/*
 * The version of the Logging Service interface cadmond implements (loggingservice.yaml's
 * info.version 1.1, docs/protocol.md), as GET /Versions answers it.
 */
#define I3_INTERFACE_MAJOR 1
#define I3_INTERFACE_MINOR 1

/**
 * GET /Versions's body, the VersionsArray of i3-common.yaml:
 * {"versions":[{"major":1,"minor":1}],"fingerprint":"cadmond VERSION"}. A new object (NULL
 * out of memory).
 */
struct json_object *i3_versions(void);

/** A POST /LogEvents (authorized already): answered now, or once its lines are durable. */
void i3_server_post(struct i3_server *server, struct evhttp_request *request);

/** Every record up to durable_index is durable (UINT64_MAX: all): answer the requests waiting for
 * it. */
void i3_server_acknowledge(struct i3_server *server, uint64_t durable_index);

/** Counters since start. */
const struct i3_server_stats *i3_server_stats(struct i3_server *server);

#define I3_CALLS_KEY "i3.max_calls"

struct limitwatch_hooks;

/**
 * Once a second: calls forgotten by a full i3.max_calls table since the last tick raise a
 * "limit" system alert keyed "i3.max_calls" through hooks, resolved once none was forgotten
 * for quiet_seconds (limitwatch.h). NULL server: nothing.
 */
void i3_server_tick(struct i3_server *server, int64_t now_ms, uint32_t quiet_seconds,
		    const struct limitwatch_hooks *hooks);

#endif
