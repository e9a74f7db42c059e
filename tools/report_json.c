/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "report_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine_counters.h"
#include "timestamp.h"

#define DECIMAL_TEXT_MAX 48
#define RATIO_DECIMALS 4

/* Builds the document; any failed allocation is remembered, checked once at the end. */
struct builder {
	bool failed;        /* an allocation failed */
	bool invalid_alert; /* a stored alert line did not parse */
};

/* Add key: value to object, taking ownership of value. */
static void put(struct builder *builder, struct json_object *object, const char *key,
		struct json_object *value)
{
	if (!object || !value || json_object_object_add(object, key, value) != 0) {
		json_object_put(value);
		builder->failed = true;
	}
}

static void append(struct builder *builder, struct json_object *array, struct json_object *value)
{
	if (!array || !value || json_object_array_add(array, value) != 0) {
		json_object_put(value);
		builder->failed = true;
	}
}

/* A number printed with at most `decimals` decimals, no trailing zeros, as alerts print it. */
static struct json_object *new_decimal(double value, int decimals)
{
	char text[DECIMAL_TEXT_MAX];

	snprintf(text, sizeof(text), "%.*f", decimals, value);
	if (strchr(text, '.')) {
		char *end = text + strlen(text) - 1;
		while (*end == '0')
			*end-- = '\0';
		if (*end == '.')
			*end = '\0';
	}
	return json_object_new_double_s(value, text);
}

static struct json_object *new_count(uint64_t value)
{
	return json_object_new_uint64(value);
}

static struct json_object *new_timestamp(int64_t epoch_ms)
{
	char text[TIMESTAMP_TEXT_MAX];

	timestamp_format(epoch_ms, text);
	return json_object_new_string(text);
}

/* The engine's alert lines, parsed back into objects. */
static struct json_object *build_alerts(struct builder *builder, const struct backtest *backtest)
{
	struct json_object *alerts = json_object_new_array();
	struct json_tokener *tokener = json_tokener_new();

	for (size_t i = 0; tokener && i < backtest_alert_count(backtest); i++) {
		const struct backtest_alert *alert = backtest_alert_at(backtest, i);
		json_tokener_reset(tokener);
		struct json_object *object = json_tokener_parse_ex(tokener, alert->json,
								   (int)alert->json_len);
		if (!object)
			builder->invalid_alert = true;
		append(builder, alerts, object);
	}
	if (!tokener)
		builder->failed = true;
	json_tokener_free(tokener);
	return alerts;
}

/* {"firing": N, ...} over every kind known, zeros included, so the keys are always there;
 * NULL counts (an operator without alerts) are all 0. */
static struct json_object *build_kinds(struct builder *builder, const struct backtest *backtest,
				       const uint64_t *counts)
{
	struct json_object *kinds = json_object_new_object();

	for (size_t k = 0; k < backtest_kind_count(backtest); k++)
		put(builder, kinds, backtest_kind_name(backtest, k),
		    new_count(counts ? counts[k] : 0));
	return kinds;
}

static struct json_object *build_operator(struct builder *builder, const struct backtest *backtest,
					  const struct backtest_operator *op)
{
	struct json_object *object = json_object_new_object();

	if (op->agency[0])
		put(builder, object, "agency", json_object_new_string(op->agency));
	put(builder, object, "operator", json_object_new_string(op->operator_id));
	put(builder, object, "calls", new_count(op->calls));
	put(builder, object, "premature", new_count(op->premature));
	put(builder, object, "ratio", new_decimal(backtest_operator_ratio(op), RATIO_DECIMALS));
	put(builder, object, "alerts", new_count(op->alerts));
	put(builder, object, "alerts_by_kind", build_kinds(builder, backtest, op->alerts_by_kind));
	return object;
}

static struct json_object *build_operators(struct builder *builder, const struct backtest *backtest)
{
	struct json_object *operators = json_object_new_array();
	size_t *order = backtest_operators_sorted(backtest);

	if (!order) {
		builder->failed = true;
		return operators;
	}
	for (size_t i = 0; i < backtest_operator_count(backtest); i++)
		append(builder, operators,
		       build_operator(builder, backtest, backtest_operator_at(backtest, order[i])));
	free(order);
	return operators;
}

/* Rejected lines: the total and every reason, zeros included. */
static void put_rejects(struct builder *builder, struct json_object *totals,
			const struct engine_stats *stats)
{
	struct json_object *rejects = json_object_new_object();
	uint64_t rejected = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++) {
		rejected += stats->rejects[reason];
		put(builder, rejects, event_reject_name((enum event_reject)reason),
		    new_count(stats->rejects[reason]));
	}
	put(builder, totals, "rejected", new_count(rejected));
	put(builder, totals, "rejects", rejects);
}

/* The records (feed lines, or a mapping's records) and what became of them; rejects holds
 * every reason with a count, engine and mapping reasons of the same name added up. */
static void put_records(struct builder *builder, struct json_object *totals,
			const struct backtest_records *records)
{
	struct json_object *object = json_object_new_object();
	struct json_object *rejects = json_object_new_object();

	put(builder, object, "read", new_count(records->read));
	put(builder, object, "accepted", new_count(records->accepted));
	put(builder, object, "skipped", new_count(records->skipped));
	put(builder, object, "rejected", new_count(records->rejected));
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		if (records->by_event_reason[reason] > 0)
			put(builder, rejects, event_reject_name((enum event_reject)reason),
			    new_count(records->by_event_reason[reason]));
	for (int reason = MAPPING_REJECT_FIRST; reason < MAPPING_STATUS_COUNT; reason++) {
		const char *name = mapping_status_name((enum mapping_status)reason);
		struct json_object *engine_count = NULL;
		uint64_t count = records->by_mapping_reason[reason];
		if (count == 0)
			continue;
		if (json_object_object_get_ex(rejects, name, &engine_count))
			count += json_object_get_uint64(engine_count);
		put(builder, rejects, name, new_count(count));
	}
	put(builder, object, "rejects", rejects);
	put(builder, totals, "records", object);
}

static void put_calls(struct builder *builder, struct json_object *totals,
		      const struct backtest *backtest)
{
	uint64_t calls = 0, premature = 0, by_kind[BACKTEST_MAX_KINDS] = {0};

	for (size_t i = 0; i < backtest_operator_count(backtest); i++) {
		calls += backtest_operator_at(backtest, i)->calls;
		premature += backtest_operator_at(backtest, i)->premature;
	}
	for (size_t k = 0; k < backtest_kind_count(backtest); k++)
		by_kind[k] = backtest_alerts_of_kind(backtest, k);
	put(builder, totals, "completed_calls", new_count(calls));
	put(builder, totals, "premature", new_count(premature));
	put(builder, totals, "ratio",
	    new_decimal(calls ? (double)premature / (double)calls : 0.0, RATIO_DECIMALS));
	put(builder, totals, "operators", new_count(backtest_operator_count(backtest)));
	put(builder, totals, "alerts", new_count(backtest_alerts_total(backtest)));
	put(builder, totals, "system_alerts", new_count(backtest_system_alerts(backtest)));
	put(builder, totals, "alerts_by_kind", build_kinds(builder, backtest, by_kind));
}

/* The counters at the end, then engine_counters_troubles, every one, zeros included. */
static void put_troubles(struct builder *builder, struct json_object *totals,
			 const struct engine_stats *stats, const struct backtest_input_stats *input)
{
	put(builder, totals, "open_alerts", new_count(stats->detector.open_alerts));
	put(builder, totals, "open_calls", new_count(stats->open_calls));
	for (size_t i = 0; i < engine_counters_troubles_count; i++)
		put(builder, totals, engine_counters_troubles[i].key,
		    new_count(engine_counters_value(stats, &engine_counters_troubles[i])));
	put(builder, totals, "unterminated_lines", new_count(input->unterminated));
}

/* Each source's clock and counters ("" is the lines that named none). */
static struct json_object *build_sources(struct builder *builder, const struct backtest *backtest)
{
	struct json_object *sources = json_object_new_array();
	struct engine_source_info info;

	for (size_t i = 0; sources && i < backtest_source_count(backtest); i++) {
		struct json_object *source = json_object_new_object();
		backtest_source_at(backtest, i, &info);
		put(builder, source, "name", json_object_new_string(info.clock.name));
		if (info.clock.newest_ms != INT64_MIN)
			put(builder, source, "newest_ts", new_timestamp(info.clock.newest_ms));
		put(builder, source, "lag_seconds", new_count((uint64_t)(info.lag_ms / 1000)));
		put(builder, source, "events", new_count(info.clock.events));
		put(builder, source, "late", new_count(info.clock.late));
		put(builder, source, "future", new_count(info.clock.future));
		put(builder, source, "too_late", new_count(info.clock.too_late));
		if (!source || json_object_array_add(sources, source) != 0) {
			json_object_put(source);
			builder->failed = true;
		}
	}
	if (!sources)
		builder->failed = true;
	return sources;
}

static struct json_object *build_totals(struct builder *builder, const struct backtest *backtest)
{
	const struct engine_stats *stats = backtest_engine_stats(backtest);
	const struct backtest_input_stats *input = backtest_input_stats(backtest);
	struct json_object *totals = json_object_new_object();

	put(builder, totals, "input_files", new_count(input->files));
	put(builder, totals, "bytes", new_count(input->bytes));
	put(builder, totals, "lines", new_count(stats->lines));
	put(builder, totals, "events", new_count(stats->events));
	put_rejects(builder, totals, stats);
	put_records(builder, totals, backtest_records(backtest));
	put_calls(builder, totals, backtest);
	put_troubles(builder, totals, stats, input);
	if (input->first_ms <= input->last_ms) {
		put(builder, totals, "first_ts", new_timestamp(input->first_ms));
		put(builder, totals, "last_ts", new_timestamp(input->last_ms));
	}
	put(builder, totals, "sources", build_sources(builder, backtest));
	return totals;
}

int report_json_write(FILE *out, const struct backtest *backtest)
{
	struct builder builder = {false, false};
	struct json_object *document = json_object_new_object();
	const char *text;

	put(&builder, document, "alerts", build_alerts(&builder, backtest));
	put(&builder, document, "operators", build_operators(&builder, backtest));
	put(&builder, document, "totals", build_totals(&builder, backtest));
	text = builder.failed ? NULL
			      : json_object_to_json_string_ext(
					document,
					JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text)
		fprintf(out, "%s\n", text);
	json_object_put(document);
	if (builder.invalid_alert)
		return -EINVAL;
	return text ? 0 : -ENOMEM;
}
