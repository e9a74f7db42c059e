/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_EVENT_H
#define CADMON_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest identifier (call_id, operator, agency, position, incident_id, to, event_id), bytes. */
#define EVENT_ID_MAX 64
/* Longest caller number (ani), bytes. */
#define EVENT_ANI_MAX 32

enum event_type {
	EVENT_CALL_START = 1,
	EVENT_CALL_END,
	EVENT_INCIDENT,
	EVENT_TRANSFER,
	EVENT_OPERATOR_STATE, /* a call-taker logged on or off (no call) */
	EVENT_CALL_OFFERED,   /* a call arrived at the agency, not yet answered (no operator) */
};

/* A call-taker's state, as an operator_state line gives it (docs/protocol.md). */
enum agent_state {
	AGENT_STATE_NONE = 0, /* never told */
	AGENT_STATE_LOGGED_ON,
	AGENT_STATE_LOGGED_OFF,
	AGENT_STATE_AVAILABLE,
	AGENT_STATE_NOT_AVAILABLE,
	AGENT_STATE_COUNT
};

/* Who disconnected a call. Bit values so that a configured set is a mask. */
enum released_by {
	RELEASED_BY_OPERATOR = 1u << 0,
	RELEASED_BY_CALLER = 1u << 1,
	RELEASED_BY_SYSTEM = 1u << 2,
	RELEASED_BY_UNKNOWN = 1u << 3,
};

/* Why a feed line was rejected. Every value has a stable name (event_reject_name). */
enum event_reject {
	EVENT_OK = 0,
	EVENT_REJECT_LINE_TOO_LONG,
	EVENT_REJECT_INVALID_JSON,
	EVENT_REJECT_INVALID_UTF8,
	EVENT_REJECT_NOT_AN_OBJECT,
	EVENT_REJECT_MISSING_FIELD,
	EVENT_REJECT_WRONG_TYPE,
	EVENT_REJECT_UNKNOWN_TYPE,
	EVENT_REJECT_BAD_TIMESTAMP,
	EVENT_REJECT_BAD_VALUE,
	EVENT_REJECT_FIELD_TOO_LONG,
	EVENT_REJECT_TOO_LATE, /* older than its source's newest ts - allowed_lateness_seconds */
	EVENT_REJECT_FUTURE,   /* ts more than feed.max_future_seconds ahead of the reference */
	EVENT_REJECT_BAD_SEQ,  /* seq more than feed.max_seq_jump above its source's highest */
	EVENT_REJECT_SOURCE_NOT_ALLOWED,   /* unlisted_sources: reject, and the source unlisted */
	EVENT_REJECT_AGENCY_NOT_ALLOWED,   /* an agency not in its source's sources[].agencies */
	EVENT_REJECT_CALL_OF_OTHER_SOURCE, /* a call another source opened (bind_calls_to_source) */
	/* an operator another source owns (bind_operators_to_source) */
	EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE,
	EVENT_REJECT_NEW_OPERATOR_RATE,    /* max_new_operators_per_source_per_hour reached */
	EVENT_REJECT_REORDER_FULL, /* ahead of the host clock, the reorder buffer full of such */
	EVENT_REJECT_OPEN_CALLS_PER_SOURCE, /* a new call past max_open_calls_per_source */
	EVENT_REJECT_COUNT
};

/* One parsed feed event. Absent optional strings are "". */
struct event {
	enum event_type type;
	int64_t ts_ms;
	char call_id[EVENT_ID_MAX + 1];
	char event_id[EVENT_ID_MAX + 1];
	bool has_seq;
	uint64_t seq; /* the sender's sequence number, for acknowledgements (optional) */
	char operator_id[EVENT_ID_MAX + 1];
	char agency[EVENT_ID_MAX + 1];
	char position[EVENT_ID_MAX + 1];
	char ani[EVENT_ANI_MAX + 1];
	char incident_id[EVENT_ID_MAX + 1];
	char transfer_to[EVENT_ID_MAX + 1];
	enum released_by released_by; /* call_end only */
	enum agent_state state;       /* operator_state only */
	/* A call_start's hashes of its agency (hash_string), its operator (hash_string_pair of
	 * agency and operator_id) and its ani (hash_string), which its open call keeps for the
	 * detector: set by engine_parse (start_hashed, on a parsing thread); an event made
	 * otherwise leaves start_hashed false, and the tracker hashes the strings itself. */
	bool start_hashed;
	uint64_t agency_hash;
	uint64_t operator_hash;
	uint64_t ani_hash;
};

struct event_parser;

/* The longest "source" member event_parser_source() reads: the longest name a hello may give. */
#define EVENT_SOURCE_MAX EVENT_ID_MAX

/**
 * May name (len bytes; NULL: the member is not a string) name a feed source? The one rule for
 * a hello's "source" (cadmond) and a recorded line's (cadmon-backtest): 1 to EVENT_ID_MAX bytes,
 * no NUL, no control character (it names the source in logs, notices and the journal's control
 * lines). EVENT_OK, or EVENT_REJECT_WRONG_TYPE ("\"source\" must be a string"),
 * EVENT_REJECT_FIELD_TOO_LONG or EVENT_REJECT_BAD_VALUE ("\"source\" must be 1 to 64 bytes",
 * "\"source\" must not contain control characters") with that in why.
 */
enum event_reject event_source_check(const char *name, size_t len, char *why, size_t why_size);

/** Create a parser: its json_scan field table and the buffers fields are decoded into (no
 * json-c; a line is read in place, without allocating). NULL on allocation failure. */
struct event_parser *event_parser_new(void);
void event_parser_free(struct event_parser *parser);

/** event_parser_new, and the parser also reads each line's "source" member (a recording
 * mixing several CADs may name each line's: cadmon-backtest) for event_parser_source(). */
struct event_parser *event_parser_new_reading_source(void);

/**
 * After event_parser_parse (any result) with a parser of event_parser_new_reading_source, the
 * source the line names: NULL when the line is not a JSON object or has no "source" member
 * (and for a parser of event_parser_new); the name when the member (the last one, if repeated;
 * its key possibly written with escapes) is one a hello could give (event_source_check); ""
 * when it is not (no such name is empty: event_parser_source_problem says why). Valid until
 * the next parse.
 */
const char *event_parser_source(const struct event_parser *parser);

/** Why the line's "source" names no source a hello could (event_parser_source gave ""):
 * event_source_check's reason, with its detail in why; EVENT_OK for any other line. */
enum event_reject event_parser_source_problem(const struct event_parser *parser, char *why,
					      size_t why_size);

/**
 * Parse one feed line (without its "\n"; a trailing "\r" is ignored) into *out.
 * The optional "seq" is read first, so out->has_seq is set even when a later field is bad.
 * Returns EVENT_OK, or the reason with a human-readable detail in why (always NUL-terminated),
 * e.g. `call_start: missing required field "operator"`.
 */
enum event_reject event_parser_parse(struct event_parser *parser, const char *line, size_t len,
				     struct event *out, char *why, size_t why_size);

/**
 * The event's identity for recognizing resends: its event_id when it has one, else its type,
 * call_id and ts. 64-bit FNV-1a.
 */
uint64_t event_fingerprint(const struct event *event);

/** event_fingerprint with call_hash, the hash_string of event->call_id (read only for an
 * event without an event_id that names a call), given by a caller that has it. */
uint64_t event_fingerprint_hashed(const struct event *event, uint64_t call_hash);

/**
 * The fingerprint of event (event_fingerprint) as sent by sender: an event_id is the sender's
 * own (docs/protocol.md), so sender (a hello's source, "" for every connection without one,
 * which a CAD reconnecting without a hello stays) is mixed in; without an event_id,
 * fingerprint unchanged (the binding keeps a call's events to its sender).
 */
uint64_t event_fingerprint_of_sender(uint64_t fingerprint, const struct event *event,
				     const char *sender);

/** Stable snake_case name of a reject reason ("invalid_json"), for counters and logs. */
const char *event_reject_name(enum event_reject reason);

/** Protocol name of an event type ("call_start"). */
const char *event_type_name(enum event_type type);

/** Does an event of this type name a call the tracker records (every type but operator_state,
 * which names none, and call_offered, an arrival counted apart)? Its call id is then bound to
 * its owner (binding) and applied by the tracker. */
bool event_names_call(enum event_type type);

/** Protocol name of a single released_by value ("operator"); NULL if not exactly one bit. */
const char *event_released_by_name(enum released_by who);

/** Parse a released_by name; 0 if unknown. */
enum released_by event_released_by_from_name(const char *name);

/** Protocol name of an operator state ("logged_on"); NULL for AGENT_STATE_NONE or out of range. */
const char *agent_state_name(enum agent_state state);

/** Parse an operator state name; AGENT_STATE_NONE if unknown. */
enum agent_state agent_state_from_name(const char *name);

#endif
