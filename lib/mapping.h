/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_MAPPING_H
#define CADMON_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "zone.h"

/*
 * Vendor call records turned into cadmon feed lines (docs/mappings.md): a CSV (RFC 4180) or
 * JSON-lines record of one call, with its answer and release times, becomes a call_start, an
 * incident when the record names one, and a call_end, each one protocol v1 line exactly as a
 * CAD would send it, so the engine, the journal and a replay treat them like any other line.
 * Times are read in the mapping's format and zone (struct zone: data, no process state).
 */

#define MAPPING_MAX_EVENTS 3        /* lines one record becomes */
#define MAPPING_LINE_MAX 4096       /* one generated line at most, bytes: every value of it
                                     * escaped (6 bytes a byte) still fits */

/* What mapping_line made of a line. */
enum mapping_status {
	MAPPING_EVENTS = 0,	/* a record: its events were emitted */
	MAPPING_SKIPPED,	/* not a record: blank, the CSV header, or a record's first lines */
	MAPPING_UNANSWERED,	/* a record of a call no call-taker answered: a part named in
				 * skip_when_empty is empty; no events, not an error */
	MAPPING_REJECT_BAD_CSV, /* not RFC 4180 (an open quote, text after a quote...) */
	MAPPING_REJECT_INVALID_JSON,	/* json: not one JSON object */
	MAPPING_REJECT_BAD_HEADER,	/* csv: the header lacks a column the mapping names */
	MAPPING_REJECT_MISSING_FIELD,	/* a required field is absent or empty */
	MAPPING_REJECT_BAD_TIMESTAMP,	/* not in time_format, or not a real date */
	MAPPING_REJECT_BAD_VALUE,	/* released before answered, a NUL in a field */
	MAPPING_REJECT_FIELD_TOO_LONG,	/* an identifier over 64 bytes, an ani over 32 */
	MAPPING_REJECT_RECORD_TOO_LONG, /* a record over its byte limit (lines joined by quotes) */
	MAPPING_STATUS_COUNT,
	/* The rejects are the statuses from here to MAPPING_STATUS_COUNT: a new reject goes
	 * among them, a new non-reject before MAPPING_REJECT_BAD_CSV. */
	MAPPING_REJECT_FIRST = MAPPING_REJECT_BAD_CSV
};

/* Called with each generated line (no newline), in order: call_start, incident, call_end. */
typedef void mapping_emit_fn(const char *line, size_t len, void *ctx);

struct mapping;

/**
 * A reader of config's records, local times read in zone (copied; NULL: the fixed offset
 * or UTC that config->time_zone names). Records are at most max_record_bytes long.
 * NULL on allocation failure.
 */
struct mapping *mapping_new(const struct config_mapping *config, const struct zone *zone,
			    uint32_t max_record_bytes);
void mapping_free(struct mapping *mapping);

/** Start a new input: a CSV header is expected again, a pending record dropped. */
void mapping_reset(struct mapping *mapping);

/**
 * One physical line (without its line ending). Emits the record's lines and returns
 * MAPPING_EVENTS, returns MAPPING_SKIPPED, MAPPING_UNANSWERED (why names the empty part,
 * e.g. `"AgentID" is empty (skip_when_empty)`), or rejects with a detail in why (always
 * NUL-terminated), e.g. `"AnswerTime": not in the format "%m/%d/%Y %I:%M:%S %p": "13/01/2026"`.
 */
enum mapping_status mapping_line(struct mapping *mapping, const char *line, size_t len,
				 mapping_emit_fn *emit, void *ctx, char *why, size_t why_size);

/** A record still open at the end of an input (its quotes never closed): rejected, with why. */
enum mapping_status mapping_finish(struct mapping *mapping, char *why, size_t why_size);

/** True for the statuses that reject a record (bad_csv ... record_too_long). */
bool mapping_status_rejects(enum mapping_status status);

/** Stable snake_case name of a status ("bad_timestamp"), for counters and summaries. */
const char *mapping_status_name(enum mapping_status status);

/** Whether a time_format can be read; false with a static reason. */
bool mapping_time_format_valid(const char *format, const char **why);

/**
 * Whether time_zone is a fixed one ("UTC", "+hh:mm", "-hh:mm"), and its offset east of UTC.
 * Any other valid name is an IANA zone the caller loads (mapping_zone_name_valid).
 */
bool mapping_fixed_zone(const char *time_zone, int32_t *offset_seconds);

/** An IANA zone name: 1 to 63 bytes of A-Z a-z 0-9 / _ + -, no ".." part, not starting with '/'. */
bool mapping_zone_name_valid(const char *time_zone);

/** Find a mapping by name in config->mappings; NULL if none. */
const struct config_mapping *mapping_find(const struct config *config, const char *name);

#endif
