/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "report_text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine_counters.h"
#include "text.h"
#include "timestamp.h"

#define NUMBER_TEXT_MAX 24
/* An operator row: two names of at most EVENT_ID_MAX bytes, each padded to at most
 * EVENT_ID_MAX columns, then at most 3 + BACKTEST_MAX_KINDS numbers under headers of at most
 * BACKTEST_KIND_MAX bytes and the ratio: 4 * 64 + 12 * (2 + 32) + "\n" < 1024. */
#define ROW_TEXT_MAX 1024
#define TOTALS_LABEL_WIDTH 22

/* Widths of the operator table's columns: agency, operator, then the numbers. */
struct table_widths {
	size_t agency;
	size_t operator_id;
	size_t calls;
	size_t premature;
	size_t alerts;
	size_t kinds[BACKTEST_MAX_KINDS];
};

/* Columns a text takes on a terminal: UTF-8 continuation bytes take none. */
static size_t display_width(const char *text)
{
	size_t width = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		width += (*p & 0xc0) != 0x80;
	return width;
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Digits of value in decimal (what "%" PRIu64 prints). */
static size_t number_width(uint64_t value)
{
	size_t width = 1;

	while (value >= 10) {
		value /= 10;
		width++;
	}
	return width;
}

/* Pad a cell holding used columns to width. */
static void add_padding(struct text_builder *row, size_t used, size_t width)
{
	static const char spaces[] = "                                ";

	const size_t most = sizeof(spaces) - 1;

	while (used < width) {
		size_t count = width - used < most ? width - used : most;
		text_add_bytes(row, spaces, count);
		used += count;
	}
}

/* Text from the feed, left-aligned in width columns; control characters shown as '?'. */
static void add_text_cell(struct text_builder *row, const char *text, size_t width)
{
	size_t len = strlen(text), used = 0;
	char shown[EVENT_ID_MAX];
	const unsigned char *bytes = (const unsigned char *)text;

	if (len > sizeof(shown))
		len = sizeof(shown); /* (names are at most EVENT_ID_MAX bytes) */
	for (size_t i = 0; i < len; i++) {
		shown[i] = bytes[i] < 0x20 || bytes[i] == 0x7f ? '?' : (char)bytes[i];
		used += (bytes[i] & 0xc0) != 0x80;
	}
	text_add_bytes(row, shown, len);
	add_padding(row, used, width);
}

/* "  " and value right-aligned in width columns (as "  %*" PRIu64). */
static void add_number_cell(struct text_builder *row, uint64_t value, size_t width)
{
	text_add_bytes(row, "  ", 2);
	add_padding(row, number_width(value), width);
	text_add_u64(row, value);
}

/* An operator's premature ratio as "%.4f"; rows in report order often repeat the last one's
 * counts (one call, none premature), so its text is kept. */
struct ratio_text {
	uint64_t premature;
	uint64_t calls;
	bool valid;
	char text[NUMBER_TEXT_MAX];
};

static const char *format_ratio(struct ratio_text *last, const struct backtest_operator *op)
{
	if (!last->valid || last->premature != op->premature || last->calls != op->calls) {
		last->premature = op->premature;
		last->calls = op->calls;
		last->valid = true;
		snprintf(last->text, sizeof(last->text), "%.4f", backtest_operator_ratio(op));
	}
	return last->text;
}

static void print_text_cell(FILE *out, const char *text, size_t width)
{
	char cell[ROW_TEXT_MAX];
	struct text_builder builder = text_builder_start(cell, sizeof(cell));

	add_text_cell(&builder, text, width);
	fwrite(builder.out, 1, builder.len, out);
}

static void print_upper_cell(FILE *out, const char *text, size_t width)
{
	fputs("  ", out);
	for (size_t used = strlen(text); used < width; used++)
		fputc(' ', out);
	for (const char *p = text; *p; p++)
		fputc(toupper((unsigned char)*p), out);
}

static void measure_table(const struct backtest *backtest, struct table_widths *widths)
{
	size_t kinds = backtest_kind_count(backtest);

	*widths = (struct table_widths){ .agency = strlen("AGENCY"),
					 .operator_id = strlen("OPERATOR"),
					 .calls = strlen("CALLS"),
					 .premature = strlen("PREMATURE"),
					 .alerts = strlen("ALERTS") };
	for (size_t k = 0; k < kinds; k++)
		widths->kinds[k] = strlen(backtest_kind_name(backtest, k));
	for (size_t i = 0; i < backtest_operator_count(backtest); i++) {
		const struct backtest_operator *op = backtest_operator_at(backtest, i);
		widths->agency = max_size(widths->agency, display_width(op->agency));
		widths->operator_id = max_size(widths->operator_id, display_width(op->operator_id));
		widths->calls = max_size(widths->calls, number_width(op->calls));
		widths->premature = max_size(widths->premature, number_width(op->premature));
		widths->alerts = max_size(widths->alerts, number_width(op->alerts));
		for (size_t k = 0; k < kinds; k++) {
			uint64_t of_kind = backtest_operator_alerts_of_kind(op, k);
			widths->kinds[k] = max_size(widths->kinds[k], number_width(of_kind));
		}
	}
}

static void print_table_header(FILE *out, const struct backtest *backtest,
			       const struct table_widths *widths)
{
	print_text_cell(out, "AGENCY", widths->agency);
	fputs("  ", out);
	print_text_cell(out, "OPERATOR", widths->operator_id);
	print_upper_cell(out, "calls", widths->calls);
	print_upper_cell(out, "premature", widths->premature);
	print_upper_cell(out, "ratio", strlen("0.0000"));
	print_upper_cell(out, "alerts", widths->alerts);
	for (size_t k = 0; k < backtest_kind_count(backtest); k++)
		print_upper_cell(out, backtest_kind_name(backtest, k), widths->kinds[k]);
	fputc('\n', out);
}

/* One operator's row, put together and written at once (fprintf and fputc per cell cost
 * 4,000 instructions a row: at 100,000 call-takers as much as reading the day). */
static void print_table_row(FILE *out, const struct backtest *backtest,
			    const struct backtest_operator *op, const struct table_widths *widths,
			    struct ratio_text *last_ratio)
{
	char text[ROW_TEXT_MAX];
	struct text_builder row = text_builder_start(text, sizeof(text));

	add_text_cell(&row, op->agency, widths->agency);
	text_add_bytes(&row, "  ", 2);
	add_text_cell(&row, op->operator_id, widths->operator_id);
	add_number_cell(&row, op->calls, widths->calls);
	add_number_cell(&row, op->premature, widths->premature);
	text_add_bytes(&row, "  ", 2);
	text_add(&row, format_ratio(last_ratio, op));
	add_number_cell(&row, op->alerts, widths->alerts);
	for (size_t k = 0; k < backtest_kind_count(backtest); k++)
		add_number_cell(&row, backtest_operator_alerts_of_kind(op, k), widths->kinds[k]);
	text_add_bytes(&row, "\n", 1);
	fwrite(row.out, 1, row.len, out);
}

/* The operator table, most alerts first, then the highest premature ratio. */
static int print_operator_table(FILE *out, const struct backtest *backtest)
{
	size_t *order = backtest_operators_sorted(backtest);
	struct table_widths widths;
	struct ratio_text last_ratio = {.valid = false};

	if (!order)
		return -ENOMEM;
	measure_table(backtest, &widths);
	print_table_header(out, backtest, &widths);
	for (size_t i = 0; i < backtest_operator_count(backtest); i++)
		print_table_row(out, backtest, backtest_operator_at(backtest, order[i]), &widths,
				&last_ratio);
	free(order);
	return 0;
}

static void print_total(FILE *out, int indent, const char *label, uint64_t value)
{
	fprintf(out, "  %*s%-*s %" PRIu64 "\n", indent, "", TOTALS_LABEL_WIDTH - indent, label,
		value);
}

/* A counter of trouble, shown only when something happened. */
static void print_total_if_any(FILE *out, const char *label, uint64_t value)
{
	if (value > 0)
		print_total(out, 0, label, value);
}

static void print_total_text(FILE *out, const char *label, const char *text)
{
	fprintf(out, "  %-*s %s\n", TOTALS_LABEL_WIDTH, label, text);
}

static void print_rejects(FILE *out, const struct engine_stats *stats)
{
	uint64_t rejected = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		rejected += stats->rejects[reason];
	print_total(out, 0, "rejected lines", rejected);
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		if (stats->rejects[reason] > 0)
			print_total(out, 2, event_reject_name((enum event_reject)reason),
				    stats->rejects[reason]);
}

/* With a mapping: its records and what became of them (feed lines are counted above). */
static void print_records(FILE *out, const struct backtest_records *records)
{
	if (!records->mapped)
		return;
	print_total(out, 0, "records read", records->read);
	print_total(out, 0, "records accepted", records->accepted);
	print_total(out, 0, "records skipped", records->skipped);
	print_total(out, 0, "records rejected", records->rejected);
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		if (records->by_event_reason[reason] > 0)
			print_total(out, 2, event_reject_name((enum event_reject)reason),
				    records->by_event_reason[reason]);
	for (int reason = MAPPING_REJECT_FIRST; reason < MAPPING_STATUS_COUNT; reason++)
		if (records->by_mapping_reason[reason] > 0)
			print_total(out, 2, mapping_status_name((enum mapping_status)reason),
				    records->by_mapping_reason[reason]);
}

static void print_calls(FILE *out, const struct backtest *backtest)
{
	uint64_t calls = 0, premature = 0;
	char ratio[NUMBER_TEXT_MAX];

	for (size_t i = 0; i < backtest_operator_count(backtest); i++) {
		calls += backtest_operator_at(backtest, i)->calls;
		premature += backtest_operator_at(backtest, i)->premature;
	}
	snprintf(ratio, sizeof(ratio), "%.4f", calls ? (double)premature / (double)calls : 0.0);
	print_total(out, 0, "completed calls", calls);
	print_total(out, 0, "premature hangups", premature);
	print_total_text(out, "premature ratio", ratio);
	print_total(out, 0, "operators", backtest_operator_count(backtest));
}

static void print_alerts(FILE *out, const struct backtest *backtest)
{
	print_total(out, 0, "alerts", backtest_alerts_total(backtest));
	for (size_t k = 0; k < backtest_kind_count(backtest); k++)
		if (backtest_alerts_of_kind(backtest, k) > 0)
			print_total(out, 2, backtest_kind_name(backtest, k),
				    backtest_alerts_of_kind(backtest, k));
	if (backtest_system_alerts(backtest) > 0)
		print_total(out, 2, "of which system", backtest_system_alerts(backtest));
}

static void print_time_span(FILE *out, const struct backtest_input_stats *input)
{
	char text[TIMESTAMP_TEXT_MAX];

	if (input->first_ms > input->last_ms)
		return;
	timestamp_format(input->first_ms, text);
	print_total_text(out, "event time from", text);
	timestamp_format(input->last_ms, text);
	print_total_text(out, "event time to", text);
}

/* What the engine ignored, dropped or could not do (engine_counters_troubles): non-zero
 * counters only. */
static void print_troubles(FILE *out, const struct backtest *backtest)
{
	const struct engine_stats *stats = backtest_engine_stats(backtest);

	for (size_t i = 0; i < engine_counters_troubles_count; i++)
		print_total_if_any(out, engine_counters_troubles[i].label,
				   engine_counters_value(stats, &engine_counters_troubles[i]));
	print_total_if_any(out, "unterminated last lines",
			   backtest_input_stats(backtest)->unterminated);
}

/* Each source's clock and counters, when the lines named sources. */
static void print_sources(FILE *out, const struct backtest *backtest)
{
	struct engine_source_info info;

	if (!backtest_has_named_sources(backtest))
		return;
	fputs("sources\n", out);
	for (size_t i = 0; i < backtest_source_count(backtest); i++) {
		backtest_source_at(backtest, i, &info);
		fprintf(out,
			"  %-*s %" PRIu64 " events, %" PRIu64 " late, %" PRIu64 " future, %" PRIu64
			" too_late, %" PRId64 " s behind\n",
			TOTALS_LABEL_WIDTH, info.clock.name[0] ? info.clock.name : "(unnamed)",
			info.clock.events, info.clock.late, info.clock.future, info.clock.too_late,
			info.lag_ms / 1000);
	}
}

static void print_totals(FILE *out, const struct backtest *backtest)
{
	const struct engine_stats *stats = backtest_engine_stats(backtest);
	const struct backtest_input_stats *input = backtest_input_stats(backtest);

	fputs("totals\n", out);
	print_total(out, 0, "input files", input->files);
	print_total(out, 0, "bytes read", input->bytes);
	print_total(out, 0, "lines", stats->lines);
	print_total(out, 0, "events", stats->events);
	print_rejects(out, stats);
	print_records(out, backtest_records(backtest));
	print_calls(out, backtest);
	print_alerts(out, backtest);
	print_total(out, 0, "alerts open at end", stats->detector.open_alerts);
	print_total(out, 0, "open calls at end", stats->open_calls);
	print_troubles(out, backtest);
	print_time_span(out, input);
	print_sources(out, backtest);
}

int report_text_write_summary(FILE *out, const struct backtest *backtest)
{
	if (backtest_alerts_total(backtest) > 0)
		fputc('\n', out);
	if (print_operator_table(out, backtest) < 0)
		return -ENOMEM;
	fputc('\n', out);
	print_totals(out, backtest);
	return 0;
}
