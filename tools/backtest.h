/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_BACKTEST_H
#define CADMON_BACKTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "event.h"
#include "mapping.h"

/*
 * A backtest: recorded feed lines, read from files with line_reader, through one libcadmon
 * engine (the daemon's code), and what the reports need from it. Counters per operator
 * (completed calls, premature hangups, alerts by kind) are always kept; each alert's JSON
 * only with BACKTEST_KEEP_ALERTS (--json, --html), each operator's calls only with
 * BACKTEST_KEEP_CALLS (the --html timelines), so memory follows what the report needs.
 */

#define BACKTEST_MAX_KINDS 8    /* alert kinds told apart; more are counted as "other" */
#define BACKTEST_KIND_MAX 32

/* A completed call as a timeline draws it. */
struct backtest_call {
	int64_t start_ms;
	int64_t end_ms;
	bool premature;
};

/* One call-taker, keyed by (agency, operator) as the detector keys them. 72 bytes: a day of
 * 100,000 call-takers makes 100,000 of them, each written once (the names kept apart, the
 * per-kind counts only for those with an alert). */
struct backtest_operator {
	const char *agency;                 /* the backtest's copy; "" when the call named none */
	const char *operator_id;
	uint64_t calls;
	uint64_t premature;
	uint64_t alerts;                    /* notices of every kind */
	uint64_t *alerts_by_kind;           /* BACKTEST_MAX_KINDS, like backtest_kind_name();
					     * NULL before the first alert: read them through
					     * backtest_operator_alerts_of_kind() */
	struct backtest_call *history;      /* BACKTEST_KEEP_CALLS, in completion order */
	size_t history_count;
	size_t history_capacity;
};

/* One alert as the engine emitted it (BACKTEST_KEEP_ALERTS). */
struct backtest_alert {
	char *json;           /* the engine's line, byte for byte (no newline) */
	size_t json_len;
	size_t operator_index; /* into backtest_operator_at() */
	size_t kind_index;
	size_t rule_index;    /* into config.detector.rules; rule_count when the name is unknown */
	uint64_t seq;
	int64_t ts_ms;
	uint32_t calls;
	uint32_t premature;
	double ratio;
};

/* What was read, before the engine's own counters. */
struct backtest_input_stats {
	uint64_t files;
	uint64_t bytes;
	uint64_t physical_lines;    /* lines in the files, blank ones included */
	uint64_t unterminated;      /* last lines without "\n", processed anyway */
	int64_t first_ms;           /* earliest call start or alert; INT64_MAX when none */
	int64_t last_ms;            /* latest call end or alert; INT64_MIN when none */
};

/* Records read (a non-blank line of NDJSON, or one mapped record) and what became of them:
 * a record is accepted when every event it carries was, else rejected under the first reason
 * (an engine reason, "invalid_json", or a mapping's, "bad_timestamp"); a mapped record of a
 * call nobody answered (skip_when_empty) is skipped. read = accepted + skipped + rejected. */
struct backtest_records {
	bool mapped; /* records of a mapping (backtest_set_mapping), not feed lines */
	uint64_t read;
	uint64_t accepted;
	uint64_t skipped; /* unanswered calls: no events, not an error */
	uint64_t rejected;
	uint64_t hellos;  /* inputs' first lines that were hellos (good or bad): not records */
	uint64_t by_event_reason[EVENT_REJECT_COUNT];
	uint64_t by_mapping_reason[MAPPING_STATUS_COUNT];
};

/* What to keep besides the counters. */
enum backtest_keep {
	BACKTEST_KEEP_ALERTS = 1 << 0, /* every alert line (struct backtest_alert) */
	BACKTEST_KEEP_CALLS = 1 << 1,  /* every operator's calls (struct backtest_call) */
};

struct backtest_hooks {
	/* Each alert line as the engine encoded it (no newline); may be NULL. */
	void (*on_alert_line)(const char *json, size_t len, void *ctx);
	/* Each rejected record, with its reason's name ("invalid_json", "bad_timestamp") and
	 * detail; may be NULL. */
	void (*on_reject)(const char *input_name, uint64_t line_number, const char *reason,
			  const char *why, void *ctx);
	/* Bytes read so far from the current input, after every read; may be NULL. */
	void (*on_progress)(uint64_t bytes_read, void *ctx);
	void *ctx;
};

struct backtest;

/** A backtest under config (copied), keeping what `keep` (enum backtest_keep bits) asks
 * for; hooks may be NULL. NULL on allocation failure. */
struct backtest *backtest_new(const struct config *config, unsigned keep,
			      const struct backtest_hooks *hooks);
void backtest_free(struct backtest *backtest);

/** Replay every line readable from fd (named input_name in reject reports).
 * Returns 0, -errno of a failed read, or -ENOMEM when what was asked could not be kept. */
int backtest_run_fd(struct backtest *backtest, int fd, const char *input_name);

/** Read the inputs as records of mapping (copied) instead of feed lines, local times in zone
 * (NULL: the mapping's fixed offset or UTC). 0 or -ENOMEM. */
int backtest_set_mapping(struct backtest *backtest, const struct config_mapping *mapping,
			 const struct zone *zone);

/** The records read so far and what became of them. */
const struct backtest_records *backtest_records(const struct backtest *backtest);

/** Turn the guard against the future off (--no-future-guard) or on (the default). */
void backtest_set_future_guard(struct backtest *backtest, bool enabled);

/** After the last input: release the events still waiting for the other sources' clocks, then
 * send the updates still waiting for the next second of event time (none will come). */
void backtest_finish(struct backtest *backtest);

/** The sources the lines came from (the unnamed stream "" and each "source" named), as the
 * engine counts them; true when a line named one. */
size_t backtest_source_count(const struct backtest *backtest);
void backtest_source_at(const struct backtest *backtest, size_t i, struct engine_source_info *out);
bool backtest_has_named_sources(const struct backtest *backtest);

const struct config *backtest_config(const struct backtest *backtest);
const struct engine_stats *backtest_engine_stats(const struct backtest *backtest);
const struct backtest_input_stats *backtest_input_stats(const struct backtest *backtest);

size_t backtest_operator_count(const struct backtest *backtest);
const struct backtest_operator *backtest_operator_at(const struct backtest *backtest, size_t index);

/** Operators ordered for reports: most alerts first, then highest premature ratio, then
 * agency and operator. A malloc'd array of operator_count indexes, or NULL (caller frees). */
size_t *backtest_operators_sorted(const struct backtest *backtest);

/** The operator's alerts of kind kind_index (0 for an operator without alerts). */
uint64_t backtest_operator_alerts_of_kind(const struct backtest_operator *op, size_t kind_index);

/** Premature ratio of an operator, 0 without calls. */
double backtest_operator_ratio(const struct backtest_operator *op);

size_t backtest_alert_count(const struct backtest *backtest);
const struct backtest_alert *backtest_alert_at(const struct backtest *backtest, size_t index);
/** Alerts of every kind, with or without history. */
uint64_t backtest_alerts_total(const struct backtest *backtest);
uint64_t backtest_alerts_of_kind(const struct backtest *backtest, size_t kind_index);

/** Of backtest_alerts_total: system alerts ("type":"system", e.g. a table evicting). */
uint64_t backtest_system_alerts(const struct backtest *backtest);

/** Alert kinds known so far: "firing", "escalated", "update", "resolved", then others as seen. */
size_t backtest_kind_count(const struct backtest *backtest);
const char *backtest_kind_name(const struct backtest *backtest, size_t kind_index);

#endif
