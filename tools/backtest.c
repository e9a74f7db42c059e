/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "backtest.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acks.h"
#include "array.h"
#include "hash.h"
#include "line_reader.h"
#include "text.h"

#define BACKTEST_WHY_MAX 256
#define INITIAL_OPERATOR_SLOTS 64u /* power of two */
#define INITIAL_HISTORY_CALLS 64u
#define INITIAL_ALERTS 64u
#define NAME_BLOCK_BYTES (64u * 1024u) /* holds at least one pair of EVENT_ID_MAX names */

/* Alert kinds every report shows, in this order, whether or not they occurred. */
static const char *const known_kinds[] = {"firing", "escalated", "update", "resolved"};
#define KNOWN_KIND_COUNT ARRAY_SIZE(known_kinds)
#define OTHER_KIND "other"

/* An operator's place in backtest->operators with its key's hash: a probe compares hashes
 * before it reads a record (100,000 call-takers' records are 25 MB, a cache miss each), and
 * the slots double without hashing the keys again. */
struct operator_slot {
	uint64_t hash;
	uint32_t index; /* in backtest->operators, plus 1; 0: empty */
};

/* An operator by the detector's pair for it (detector_added_operator): a completed call's
 * operator found without hashing or comparing its names. */
struct operator_ref {
	uint32_t generation;
	uint32_t index; /* in backtest->operators, plus 1; 0: none */
};

/* The operators' names, packed one after another in blocks that never move. */
struct name_block {
	struct name_block *next;
	size_t used;
	char bytes[NAME_BLOCK_BYTES];
};

struct backtest {
	struct config config;
	unsigned keep;                   /* enum backtest_keep */
	struct backtest_hooks hooks;
	struct engine *engine;
	struct event_parser *parser;     /* like the engine's, reading each line's "source" too */
	struct engine_parsed parsed;     /* the line being read */
	/* of every line: no host time, no epoch; its source, named or not. Each source's lines are
	 * those of one connection: a numbered line is never its connection's first once the
	 * source's numbering holds one (first_of_connection false: the same verdicts) */
	struct engine_origin origin;
	struct line_reader *reader;
	const char *input_name;          /* of the input being read, for reject reports */
	struct acks acks;                /* the input's hello, as a connection's: its source */
	struct mapping *mapping;         /* records of another shape; NULL: feed lines */
	struct backtest_records records;
	uint64_t line_number;            /* of the record being mapped */
	struct engine_verdict record_verdict; /* the first rejection among its events */
	struct backtest_input_stats input;
	bool out_of_memory;              /* what `keep` asks for could not be kept: the run fails */

	struct backtest_operator *operators;
	size_t operator_count;
	size_t operator_capacity;
	struct operator_slot *operator_slots; /* open addressing, at most half full */
	uint32_t operator_slot_mask;
	struct name_block *names;        /* the newest block first */
	const char *last_agency;         /* the newest operator's: the next often shares it */
	struct operator_ref *refs;       /* by the detector's operator index */
	size_t ref_count;

	struct backtest_alert *alerts;   /* with history only */
	size_t alert_count;
	size_t alert_capacity;

	char kinds[BACKTEST_MAX_KINDS][BACKTEST_KIND_MAX];
	size_t kind_count;
	uint64_t alerts_total;
	uint64_t alerts_by_kind[BACKTEST_MAX_KINDS];
	uint64_t system_alerts; /* of alerts_total: "type":"system" (a table evicting) */
};

/* ---- alert kinds ------------------------------------------------------------------------- */

static void register_known_kinds(struct backtest *backtest)
{
	for (size_t i = 0; i < KNOWN_KIND_COUNT; i++)
		text_copy(backtest->kinds[i], known_kinds[i], BACKTEST_KIND_MAX);
	backtest->kind_count = KNOWN_KIND_COUNT;
}

/* The index of an alert kind, registered on first sight; the last slot is "other". */
static size_t kind_index(struct backtest *backtest, const char *kind)
{
	const char *name = kind && kind[0] ? kind : OTHER_KIND;

	for (size_t i = 0; i < backtest->kind_count; i++)
		if (strcmp(backtest->kinds[i], name) == 0)
			return i;
	if (backtest->kind_count == BACKTEST_MAX_KINDS - 1)
		name = OTHER_KIND;
	if (backtest->kind_count == BACKTEST_MAX_KINDS)
		return BACKTEST_MAX_KINDS - 1;
	text_copy(backtest->kinds[backtest->kind_count], name, BACKTEST_KIND_MAX);
	return backtest->kind_count++;
}

/* ---- operators --------------------------------------------------------------------------- */

static bool grow_operator_slots(struct backtest *backtest)
{
	uint32_t old_count = backtest->operator_slots ? backtest->operator_slot_mask + 1 : 0;
	uint32_t slot_count = old_count ? old_count * 2 : INITIAL_OPERATOR_SLOTS;
	struct operator_slot *slots = calloc(slot_count, sizeof(*slots));

	if (!slots)
		return false;
	for (uint32_t i = 0; i < old_count; i++) {
		const struct operator_slot *old = &backtest->operator_slots[i];
		if (!old->index)
			continue;
		uint32_t slot = (uint32_t)old->hash & (slot_count - 1);
		while (slots[slot].index)
			slot = (slot + 1) & (slot_count - 1);
		slots[slot] = *old;
	}
	free(backtest->operator_slots);
	backtest->operator_slots = slots;
	backtest->operator_slot_mask = slot_count - 1;
	return true;
}

/* A copy of name (at most EVENT_ID_MAX bytes of it) that lives as long as the backtest;
 * NULL on allocation failure. */
static const char *keep_name(struct backtest *backtest, const char *name)
{
	size_t len = strnlen(name, EVENT_ID_MAX);
	struct name_block *block = backtest->names;

	if (!block || NAME_BLOCK_BYTES - block->used < len + 1) {
		if (!(block = malloc(sizeof(*block))))
			return NULL;
		block->next = backtest->names;
		block->used = 0;
		backtest->names = block;
	}
	char *copy = block->bytes + block->used;
	memcpy(copy, name, len);
	copy[len] = '\0';
	block->used += len + 1;
	return copy;
}

static void free_names(struct backtest *backtest)
{
	for (struct name_block *block = backtest->names, *next; block; block = next) {
		next = block->next;
		free(block);
	}
}

/* Whether kept (a copy made by keep_name, or NULL) is agency as keep_name would copy it. */
static bool same_agency(const char *kept, const char *agency)
{
	return kept && strncmp(kept, agency, EVENT_ID_MAX) == 0 &&
	       strnlen(agency, EVENT_ID_MAX) == strlen(kept);
}

/* Append a new operator and point slot at it; NULL on allocation failure. */
static struct backtest_operator *add_operator(struct backtest *backtest, uint32_t slot,
					      uint64_t hash, const char *agency,
					      const char *operator_id)
{
	struct backtest_operator *op;
	const char *agency_copy = same_agency(backtest->last_agency, agency)
					  ? backtest->last_agency
					  : keep_name(backtest, agency);
	const char *operator_copy = keep_name(backtest, operator_id);

	if (!agency_copy || !operator_copy ||
	    array_reserve((void **)&backtest->operators, &backtest->operator_capacity,
			  backtest->operator_count, sizeof(*op), INITIAL_OPERATOR_SLOTS) < 0)
		return NULL;
	op = &backtest->operators[backtest->operator_count];
	*op = (struct backtest_operator){.agency = agency_copy, .operator_id = operator_copy};
	backtest->last_agency = agency_copy;
	backtest->operator_slots[slot] = (struct operator_slot){
		.hash = hash, .index = (uint32_t)++backtest->operator_count};
	return op;
}

/* The operator's record, created on first sight; NULL on allocation failure. */
static struct backtest_operator *find_operator(struct backtest *backtest, const char *agency,
					       const char *operator_id)
{
	if (!agency)
		agency = "";
	if (2 * (backtest->operator_count + 1) > (size_t)backtest->operator_slot_mask + 1 &&
	    !grow_operator_slots(backtest))
		return NULL;
	uint64_t hash = hash_string_pair(agency, operator_id);
	uint32_t slot = (uint32_t)hash & backtest->operator_slot_mask;
	for (const struct operator_slot *at; (at = &backtest->operator_slots[slot])->index;
	     slot = (slot + 1) & backtest->operator_slot_mask) {
		struct backtest_operator *op = &backtest->operators[at->index - 1];
		if (at->hash == hash && strcmp(op->operator_id, operator_id) == 0 &&
		    strcmp(op->agency, agency) == 0)
			return op;
	}
	return add_operator(backtest, slot, hash, agency, operator_id);
}

/* ---- what the engine reports ------------------------------------------------------------- */

static void widen_span(struct backtest *backtest, int64_t from_ms, int64_t to_ms)
{
	if (from_ms < backtest->input.first_ms)
		backtest->input.first_ms = from_ms;
	if (to_ms > backtest->input.last_ms)
		backtest->input.last_ms = to_ms;
}

static void keep_call(struct backtest *backtest, struct backtest_operator *op,
		      const struct completed_call *call, bool premature)
{
	if (array_reserve((void **)&op->history, &op->history_capacity, op->history_count,
			  sizeof(*op->history), INITIAL_HISTORY_CALLS) < 0) {
		backtest->out_of_memory = true;
		return;
	}
	op->history[op->history_count++] = (struct backtest_call){
		.start_ms = call->start_ms, .end_ms = call->end_ms, .premature = premature};
}

/* Room for the detector's operator index i in backtest->refs (new entries: none). */
static bool reserve_ref(struct backtest *backtest, uint32_t i)
{
	size_t count = backtest->ref_count ? backtest->ref_count : INITIAL_OPERATOR_SLOTS;

	while (count <= i)
		count *= 2;
	if (count == backtest->ref_count)
		return true;
	struct operator_ref *refs = realloc(backtest->refs, count * sizeof(*refs));
	if (!refs)
		return false;
	memset(refs + backtest->ref_count, 0, (count - backtest->ref_count) * sizeof(*refs));
	backtest->refs = refs;
	backtest->ref_count = count;
	return true;
}

/* The record of a completed call's operator: by the detector's pair for it, else by its names
 * (then remembered under the pair); NULL on allocation failure. */
static struct backtest_operator *operator_of_call(struct backtest *backtest,
						  const struct completed_call *call)
{
	uint32_t i = call->operator_index;
	struct backtest_operator *op;

	if (i < backtest->ref_count && backtest->refs[i].index &&
	    backtest->refs[i].generation == call->operator_generation)
		return &backtest->operators[backtest->refs[i].index - 1];
	op = find_operator(backtest, call->agency, call->operator_id);
	if (!op || !reserve_ref(backtest, i))
		return NULL;
	backtest->refs[i] = (struct operator_ref){
		.generation = call->operator_generation,
		.index = (uint32_t)(op - backtest->operators) + 1};
	return op;
}

/* The engine's call observer: every completed call the detector accepted. */
static void observe_call(const struct completed_call *call, bool premature, void *ctx)
{
	struct backtest *backtest = ctx;
	struct backtest_operator *op = operator_of_call(backtest, call);

	if (!op) {
		backtest->out_of_memory = true;
		return;
	}
	op->calls++;
	op->premature += premature;
	widen_span(backtest, call->start_ms, call->end_ms);
	if (backtest->keep & BACKTEST_KEEP_CALLS)
		keep_call(backtest, op, call, premature);
}

static size_t rule_index(const struct backtest *backtest, const char *rule)
{
	size_t count = backtest->config.detector.rule_count;

	for (size_t i = 0; rule && i < count; i++)
		if (strcmp(backtest->config.detector.rules[i].name, rule) == 0)
			return i;
	return count;
}

static void keep_alert(struct backtest *backtest, const struct alert *alert, const char *json,
		       size_t len, size_t operator_index, size_t kind)
{
	char *copy;

	if (array_reserve((void **)&backtest->alerts, &backtest->alert_capacity,
			  backtest->alert_count, sizeof(*backtest->alerts), INITIAL_ALERTS) < 0 ||
	    !(copy = malloc(len + 1))) {
		backtest->out_of_memory = true;
		return;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	backtest->alerts[backtest->alert_count++] = (struct backtest_alert){
		.json = copy, .json_len = len, .operator_index = operator_index, .kind_index = kind,
		.rule_index = rule_index(backtest, alert->rule), .seq = alert->seq,
		.ts_ms = alert->ts_ms, .calls = alert->calls, .premature = alert->premature,
		.ratio = alert->ratio};
}

/* The engine's alert callback: count it, pass the line on, keep it for the reports. */
static void observe_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	struct backtest *backtest = ctx;
	size_t kind = kind_index(backtest, alert->kind);

	backtest->alerts_total++;
	backtest->alerts_by_kind[kind]++;
	widen_span(backtest, alert->ts_ms, alert->ts_ms);
	if (backtest->hooks.on_alert_line)
		backtest->hooks.on_alert_line(json, len, backtest->hooks.ctx);
	if (alert->type && strcmp(alert->type, "system") == 0) {
		backtest->system_alerts++; /* about cadmon itself, not an operator */
		return;
	}
	struct backtest_operator *op = find_operator(backtest, alert->agency, alert->operator_id);
	if (!op) {
		backtest->out_of_memory = true;
		return;
	}
	if (!op->alerts_by_kind &&
	    !(op->alerts_by_kind = calloc(BACKTEST_MAX_KINDS, sizeof(*op->alerts_by_kind)))) {
		backtest->out_of_memory = true;
		return;
	}
	op->alerts++;
	op->alerts_by_kind[kind]++;
	if (backtest->keep & BACKTEST_KEEP_ALERTS)
		keep_alert(backtest, alert, json, len, (size_t)(op - backtest->operators), kind);
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Count a record rejected for reason (an engine reason, or with mapping_reason != 0 a
 * mapping's), and explain it. */
static void reject_record(struct backtest *backtest, uint64_t line_number, enum event_reject reason,
			  enum mapping_status mapping_reason, const char *why)
{
	backtest->records.rejected++;
	if (mapping_reason != MAPPING_EVENTS)
		backtest->records.by_mapping_reason[mapping_reason]++;
	else
		backtest->records.by_event_reason[reason]++;
	if (backtest->hooks.on_reject)
		backtest->hooks.on_reject(backtest->input_name, line_number,
					  mapping_reason != MAPPING_EVENTS
						  ? mapping_status_name(mapping_reason)
						  : event_reject_name(reason),
					  why, backtest->hooks.ctx);
}

/* A bad hello, said as cadmond logs it; not a record, so not counted as a rejected one. */
static void warn_bad_hello(const struct backtest *backtest, uint64_t line_number, const char *why)
{
	char said[BACKTEST_WHY_MAX + 64];

	if (!backtest->hooks.on_reject)
		return;
	snprintf(said, sizeof said, "%s; the lines naming no source go on without one", why);
	backtest->hooks.on_reject(backtest->input_name, line_number, "bad hello line", said,
				  backtest->hooks.ctx);
}

/* One feed line through the engine, from the source it names; its verdict in *verdict, what
 * the parser made of it in backtest->parsed. A recording that mixes several CADs may name each
 * line's with a "source" field: a line naming one is taken as cadmond takes it from a
 * connection whose hello named that source (its per-source binding, baselines and limits, its
 * seq resends), one naming a source no hello could is refused before the engine applies it
 * (as a line too long), one naming none is of the one stream without a hello. */
static void process_line(struct backtest *backtest, const char *line, size_t len,
			 struct engine_verdict *verdict)
{
	struct engine_parsed *parsed = &backtest->parsed;
	const char *source;

	engine_parse(backtest->parser, line, len, parsed);
	/* the parser did not read a blank line */
	source = parsed->blank ? NULL : event_parser_source(backtest->parser);
	if (source && !source[0]) { /* a "source" no hello could give */
		memset(verdict, 0, offsetof(struct engine_verdict, why));
		verdict->reject = event_parser_source_problem(backtest->parser, verdict->why,
							      sizeof(verdict->why));
		engine_count_reject(backtest->engine, verdict->reject);
		return;
	}
	if (!source && backtest->acks.source[0]) /* the input's hello named it */
		source = backtest->acks.source;
	backtest->origin.source = source ? source : "";
	backtest->origin.named = source != NULL;
	engine_apply(backtest->engine, &backtest->origin, parsed, verdict);
}

/* A line a mapping made: through the engine, the record's first rejection kept. */
static void process_mapped_line(const char *line, size_t len, void *ctx)
{
	struct backtest *backtest = ctx;
	struct engine_verdict verdict;

	process_line(backtest, line, len, &verdict);
	if (verdict.reject != EVENT_OK && backtest->record_verdict.reject == EVENT_OK)
		backtest->record_verdict = verdict;
}

static void count_mapping_result(struct backtest *backtest, uint64_t line_number,
				 enum mapping_status status, const char *why)
{
	if (status == MAPPING_SKIPPED)
		return;
	backtest->records.read++;
	if (status == MAPPING_UNANSWERED)
		backtest->records.skipped++;
	else if (status != MAPPING_EVENTS)
		reject_record(backtest, line_number, EVENT_OK, status, why);
	else if (backtest->record_verdict.reject != EVENT_OK)
		reject_record(backtest, line_number, backtest->record_verdict.reject,
			      MAPPING_EVENTS, backtest->record_verdict.why);
	else
		backtest->records.accepted++;
}

static void read_mapped_line(struct backtest *backtest, const char *line, size_t len,
			     uint64_t line_number)
{
	char why[BACKTEST_WHY_MAX];
	enum mapping_status status;

	backtest->record_verdict.reject = EVENT_OK;
	status = mapping_line(backtest->mapping, line, len, process_mapped_line, backtest, why,
			      sizeof(why));
	count_mapping_result(backtest, line_number, status, why);
}

static void read_line(const char *line, size_t len, uint64_t line_number, void *ctx)
{
	struct backtest *backtest = ctx;
	struct engine_verdict verdict;

	backtest->line_number = line_number;
	if (backtest->mapping) {
		read_mapped_line(backtest, line, len, line_number);
		return;
	}
	if (!backtest->acks.first_line_seen && len > 0) {
		char why[BACKTEST_WHY_MAX];

		/* an input's first line may be a hello, as a connection's (cadmon-sim --source):
		 * not a record; a good one names the source of the lines that name none */
		enum acks_hello hello =
			acks_first_line(&backtest->acks, line, len, why, sizeof why);
		if (hello != ACKS_NOT_HELLO) {
			backtest->records.hellos++;
			if (hello == ACKS_BAD_HELLO)
				warn_bad_hello(backtest, line_number, why);
			return;
		}
	}
	process_line(backtest, line, len, &verdict);
	if (backtest->parsed.blank)
		return;
	backtest->records.read++;
	if (verdict.reject != EVENT_OK)
		reject_record(backtest, line_number, verdict.reject, MAPPING_EVENTS, verdict.why);
	else
		backtest->records.accepted++;
}

/* A line over feed.max_line_bytes: counted and explained as cadmond does. */
static void read_too_long_line(uint64_t line_number, void *ctx)
{
	struct backtest *backtest = ctx;
	char why[BACKTEST_WHY_MAX];

	engine_count_reject(backtest->engine, EVENT_REJECT_LINE_TOO_LONG);
	snprintf(why, sizeof(why), "longer than %" PRIu32 " bytes (feed.max_line_bytes)",
		 backtest->config.feed.max_line_bytes);
	backtest->records.read++;
	reject_record(backtest, line_number, EVENT_REJECT_LINE_TOO_LONG, MAPPING_EVENTS, why);
}

static void read_progress(uint64_t bytes_read, void *ctx)
{
	struct backtest *backtest = ctx;

	if (backtest->hooks.on_progress)
		backtest->hooks.on_progress(bytes_read, backtest->hooks.ctx);
}

int backtest_run_fd(struct backtest *backtest, int fd, const char *input_name)
{
	static const struct line_reader_callbacks callbacks = { .on_line = read_line,
								.on_too_long = read_too_long_line,
								.on_progress = read_progress };
	struct line_reader_stats stats;
	int rc;

	backtest->input_name = input_name;
	backtest->line_number = 0;
	memset(&backtest->acks, 0, sizeof backtest->acks);
	if (backtest->mapping)
		mapping_reset(backtest->mapping);
	rc = line_reader_read_fd(backtest->reader, fd, &callbacks, backtest, &stats);
	if (backtest->mapping) { /* a record whose quotes never closed */
		char why[BACKTEST_WHY_MAX];
		enum mapping_status status = mapping_finish(backtest->mapping, why, sizeof(why));
		count_mapping_result(backtest, backtest->line_number, status, why);
	}
	backtest->input.files++;
	backtest->input.bytes += stats.bytes;
	backtest->input.physical_lines += stats.lines;
	backtest->input.unterminated += stats.unterminated;
	if (rc == 0 && backtest->out_of_memory)
		rc = -ENOMEM;
	return rc;
}

/* ---- life cycle -------------------------------------------------------------------------- */

struct backtest *backtest_new(const struct config *config, unsigned keep,
			      const struct backtest_hooks *hooks)
{
	struct backtest *backtest = calloc(1, sizeof(*backtest));

	if (!backtest)
		return NULL;
	backtest->config = *config;
	backtest->keep = keep;
	if (hooks)
		backtest->hooks = *hooks;
	backtest->input.first_ms = INT64_MAX;
	backtest->input.last_ms = INT64_MIN;
	register_known_kinds(backtest);
	backtest->engine = engine_new(config, observe_alert, backtest);
	backtest->origin = (struct engine_origin){
		.source = "", .recording = true, .received_ms = ENGINE_NO_TIME};
	backtest->parser = event_parser_new_reading_source();
	backtest->reader = line_reader_new(config->feed.max_line_bytes);
	if (!backtest->engine || !backtest->parser || !backtest->reader ||
	    !grow_operator_slots(backtest)) {
		backtest_free(backtest);
		return NULL;
	}
	engine_set_call_observer(backtest->engine, observe_call, backtest);
	return backtest;
}

void backtest_free(struct backtest *backtest)
{
	if (!backtest)
		return;
	engine_free(backtest->engine);
	event_parser_free(backtest->parser);
	line_reader_free(backtest->reader);
	mapping_free(backtest->mapping);
	for (size_t i = 0; i < backtest->operator_count; i++) {
		free(backtest->operators[i].history);
		free(backtest->operators[i].alerts_by_kind);
	}
	free(backtest->operators);
	free_names(backtest);
	free(backtest->operator_slots);
	free(backtest->refs);
	for (size_t i = 0; i < backtest->alert_count; i++)
		free(backtest->alerts[i].json);
	free(backtest->alerts);
	free(backtest);
}

/* ---- results ----------------------------------------------------------------------------- */

int backtest_set_mapping(struct backtest *backtest, const struct config_mapping *mapping,
			 const struct zone *zone)
{
	struct mapping *made = mapping_new(mapping, zone, backtest->config.feed.max_line_bytes);

	if (!made)
		return -ENOMEM;
	mapping_free(backtest->mapping);
	backtest->mapping = made;
	backtest->records.mapped = true;
	return 0;
}

const struct backtest_records *backtest_records(const struct backtest *backtest)
{
	return &backtest->records;
}

void backtest_set_future_guard(struct backtest *backtest, bool enabled)
{
	engine_set_future_guard(backtest->engine, enabled);
}

void backtest_finish(struct backtest *backtest)
{
	engine_flush(backtest->engine);
	engine_flush_updates(backtest->engine);
}

size_t backtest_source_count(const struct backtest *backtest)
{
	return engine_source_count(backtest->engine);
}

void backtest_source_at(const struct backtest *backtest, size_t i, struct engine_source_info *out)
{
	engine_source_at(backtest->engine, i, out);
}

bool backtest_has_named_sources(const struct backtest *backtest)
{
	struct engine_source_info info;

	for (size_t i = 0; i < engine_source_count(backtest->engine); i++) {
		engine_source_at(backtest->engine, i, &info);
		if (info.clock.name[0])
			return true;
	}
	return false;
}

const struct config *backtest_config(const struct backtest *backtest)
{
	return &backtest->config;
}

const struct engine_stats *backtest_engine_stats(const struct backtest *backtest)
{
	return engine_stats(backtest->engine);
}

const struct backtest_input_stats *backtest_input_stats(const struct backtest *backtest)
{
	return &backtest->input;
}

size_t backtest_operator_count(const struct backtest *backtest)
{
	return backtest->operator_count;
}

const struct backtest_operator *backtest_operator_at(const struct backtest *backtest, size_t index)
{
	return &backtest->operators[index];
}

uint64_t backtest_operator_alerts_of_kind(const struct backtest_operator *op, size_t kind_index)
{
	return op->alerts_by_kind && kind_index < BACKTEST_MAX_KINDS
		       ? op->alerts_by_kind[kind_index]
		       : 0;
}

double backtest_operator_ratio(const struct backtest_operator *op)
{
	return op->calls ? (double)op->premature / (double)op->calls : 0.0;
}

/* What the report order compares, gathered once: the sort reads no record and divides
 * nothing (at 100,000 call-takers it compares 1.7 M times). */
struct operator_sort_key {
	uint64_t alerts;
	double ratio;
	uint64_t calls;
	const struct backtest_operator *op;
};

/* Report order: most alerts, highest premature ratio, most calls, then by name. */
static int compare_operators(const void *a, const void *b)
{
	const struct operator_sort_key *x = a, *y = b;
	int by_name;

	if (x->alerts != y->alerts)
		return x->alerts > y->alerts ? -1 : 1;
	if (x->ratio != y->ratio)
		return x->ratio > y->ratio ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	by_name = x->op->agency == y->op->agency ? 0 : strcmp(x->op->agency, y->op->agency);
	return by_name ? by_name : strcmp(x->op->operator_id, y->op->operator_id);
}

size_t *backtest_operators_sorted(const struct backtest *backtest)
{
	size_t count = backtest->operator_count;
	struct operator_sort_key *order = malloc((count ? count : 1) * sizeof(*order));
	size_t *indexes = malloc((count ? count : 1) * sizeof(*indexes));

	if (!order || !indexes) {
		free(order);
		free(indexes);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const struct backtest_operator *op = &backtest->operators[i];
		order[i] = (struct operator_sort_key){ .alerts = op->alerts,
						       .ratio = backtest_operator_ratio(op),
						       .calls = op->calls,
						       .op = op };
	}
	qsort(order, count, sizeof(*order), compare_operators);
	for (size_t i = 0; i < count; i++)
		indexes[i] = (size_t)(order[i].op - backtest->operators);
	free(order);
	return indexes;
}

size_t backtest_alert_count(const struct backtest *backtest)
{
	return backtest->alert_count;
}

const struct backtest_alert *backtest_alert_at(const struct backtest *backtest, size_t index)
{
	return &backtest->alerts[index];
}

uint64_t backtest_alerts_total(const struct backtest *backtest)
{
	return backtest->alerts_total;
}

uint64_t backtest_system_alerts(const struct backtest *backtest)
{
	return backtest->system_alerts;
}

uint64_t backtest_alerts_of_kind(const struct backtest *backtest, size_t kind_index)
{
	return kind_index < BACKTEST_MAX_KINDS ? backtest->alerts_by_kind[kind_index] : 0;
}

size_t backtest_kind_count(const struct backtest *backtest)
{
	return backtest->kind_count;
}

const char *backtest_kind_name(const struct backtest *backtest, size_t kind_index)
{
	return kind_index < backtest->kind_count ? backtest->kinds[kind_index] : OTHER_KIND;
}
