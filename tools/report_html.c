/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "report_html.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cadmon-version.h"
#include "engine_counters.h"
#include "html_escape.h"
#include "timeline_svg.h"
#include "timestamp.h"

#define COUNT_TEXT_MAX 32
#define TOOLTIP_MAX 512
#define MARKER_LABEL_MAX 24
#define MIN_AXIS_SPAN_MS INT64_C(60000)
#define CALLBACKS_SHOWN 6 /* per alert; the rest are folded into a <details> */

/* The page's style: inline, so the report is one file that opens anywhere. */
static const char page_style[] =
	":root{--ink:#212529;--muted:#6c757d;--line:#dee2e6;--panel:#f8f9fa;--accent:#1c3d5a}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',"
	"Arial,sans-serif;color:var(--ink);background:#fff}\n"
	"header.page{background:var(--accent);color:#fff;padding:20px 32px}\n"
	"header.page h1{margin:0;font-size:22px;font-weight:600}\n"
	"header.page p{margin:4px 0 0;opacity:.85}\n"
	"main{max-width:1240px;margin:0 auto;padding:16px 32px 40px}\n"
	"h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid "
	"var(--line)}\n"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px}\n"
	".card{flex:1 1 160px;background:var(--panel);border:1px solid "
	"var(--line);border-radius:6px;"
	"padding:10px 14px}\n"
	".card .value{font-size:24px;font-weight:600}\n"
	".card "
	".label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
	".card .note{color:var(--muted);font-size:12px}\n"
	".columns{display:flex;flex-wrap:wrap;gap:24px}\n"
	".columns>div{flex:1 1 420px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px}\n"
	"th,td{padding:5px 8px;border-bottom:1px solid "
	"var(--line);text-align:left;vertical-align:top}\n"
	"th{background:var(--panel);font-weight:600;color:#343a40;white-space:nowrap}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#fcfcfd}\n"
	"table.kv td:first-child{color:var(--muted);width:45%}\n"
	".swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;"
	"vertical-align:-1px}\n"
	".bar{display:inline-block;width:80px;height:8px;background:#e9ecef;border-radius:4px;"
	"margin-left:8px;vertical-align:1px;overflow:hidden}\n"
	".bar span{display:block;height:100%;background:#e03131}\n"
	".badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;color:#fff;"
	"font-weight:600}\n"
	".sev-info{color:#1971c2;font-weight:600}.sev-warning{color:#e8590c;font-weight:600}"
	".sev-critical{color:#c92a2a;font-weight:600}\n"
	".legend{display:flex;flex-wrap:wrap;gap:18px;align-items:center;font-size:13px;"
	"color:#495057;margin:8px 0 4px}\n"
	".legend svg{vertical-align:middle;margin-right:4px}\n"
	"details.operator{border:1px solid var(--line);border-radius:6px;margin:12px "
	"0;background:#fff}\n"
	"details.operator>summary{cursor:pointer;padding:10px 14px;background:var(--panel);"
	"border-radius:6px;list-style-position:inside}\n"
	"details.operator[open]>summary{border-bottom:1px solid var(--line);"
	"border-radius:6px 6px 0 0}\n"
	"summary .who{font-weight:600;font-size:15px;margin-right:12px}\n"
	"summary .facts{color:#495057}\n"
	".body{padding:8px 14px 14px}\n"
	"svg.timeline{width:100%;height:auto;display:block}\n"
	"svg.timeline text{font:11px system-ui,sans-serif;fill:#495057}\n"
	"svg.timeline text.lane{text-anchor:end;fill:#868e96}\n"
	"svg.timeline text.threshold{font-size:10px;font-weight:600}\n"
	"svg.timeline text.marker{font-size:10px;font-weight:700}\n"
	"svg.timeline text.threshold,svg.timeline text.marker{paint-order:stroke;stroke:#fff;"
	"stroke-width:3px;stroke-linejoin:round}\n"
	"svg.timeline .grid{stroke:#f1f3f5;stroke-width:1}\n"
	"svg.timeline .base{stroke:#ced4da;stroke-width:1}\n"
	"svg.timeline .call{stroke:#adb5bd;stroke-width:1}\n"
	"svg.timeline .premature{stroke:#e03131;stroke-width:1.6}\n"
	"svg.timeline .ratio{fill:none;stroke-width:2}\n"
	"svg.timeline .faint{fill:none;stroke-width:1.2;opacity:.3}\n"
	"table.alerts{margin-top:6px}\n"
	"table.alerts>tbody>tr>td{border-bottom:0;border-top:1px solid var(--line)}\n"
	"table.alerts>tbody>tr.callbacks>td{border-top:0;padding-top:0;font-size:12px}\n"
	"tr.callbacks .label{color:var(--muted);font-size:11px;text-transform:uppercase;"
	"letter-spacing:.04em}\n"
	"tr.callbacks .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));"
	"gap:2px 16px;margin:2px 0 4px}\n"
	"tr.callbacks summary{cursor:pointer;color:#1971c2;margin:2px 0}\n"
	"table.alerts>tbody>tr:nth-child(even){background:none}\n"

	"tr.flagged{background:#fff5f5!important}\n"
	".details{font-size:12px;white-space:nowrap}\n"
	".tag{display:inline-block;padding:0 "
	"5px;border-radius:3px;background:#fff3bf;color:#7c5b00;"
	"font-size:11px;font-weight:600}\n"
	".muted{color:var(--muted)}\n"
	"code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\n"
	"footer{color:var(--muted);font-size:12px;margin-top:32px}\n";

/* Keys of an alert the alert table shows in its own columns; others go to "details". */
static const char *const shown_alert_keys[] = {
	"alert", "seq", "ts", "agency", "operator", "position", "rule", "severity",
	"window_seconds", "calls", "premature", "ratio", "callbacks"};

/* Keys of a callback shown in their own place; others are appended. */
static const char *const shown_callback_keys[] = {"call_id", "ani", "ts", "talk_seconds"};

/* What the page needs throughout. */
struct page {
	FILE *out;
	const struct backtest *backtest;
	int64_t from_ms;          /* the shared time axis */
	int64_t to_ms;
	size_t *alerts_by_operator; /* alert indexes grouped by operator, in seq order */
	size_t *first_alert;      /* per operator: where its alerts start; count + 1 long */
};

/* ---- small formatters -------------------------------------------------------------------- */

/* 1234567 as "1,234,567". */
static void format_count(uint64_t value, char out[COUNT_TEXT_MAX])
{
	char digits[COUNT_TEXT_MAX];
	int len = snprintf(digits, sizeof(digits), "%" PRIu64, value);
	size_t used = 0;

	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[used++] = ',';
		out[used++] = digits[i];
	}
	out[used] = '\0';
}

static void write_count(FILE *out, uint64_t value)
{
	char text[COUNT_TEXT_MAX];

	format_count(value, text);
	fputs(text, out);
}

/* "2026-11-29 08:00:00" (UTC). */
static void format_time(int64_t ts_ms, char out[TIMESTAMP_TEXT_MAX])
{
	char text[TIMESTAMP_TEXT_MAX];

	timestamp_format(ts_ms, text);
	snprintf(out, TIMESTAMP_TEXT_MAX, "%.10s %.8s", text, text + 11);
}

/* 7200 as "2 h", 1800 as "30 min", 45 as "45 s". */
static void write_duration(FILE *out, uint32_t seconds)
{
	if (seconds % 3600 == 0)
		fprintf(out, "%u h", seconds / 3600);
	else if (seconds % 60 == 0)
		fprintf(out, "%u min", seconds / 60);
	else
		fprintf(out, "%u s", seconds);
}

static bool is_one_of(const char *key, const char *const *keys, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* A JSON value as a person reads it: strings bare, everything else as JSON. */
static void write_json_value(FILE *out, struct json_object *value)
{
	if (json_object_is_type(value, json_type_string))
		html_escape_write(out, json_object_get_string(value));
	else
		html_escape_write(out,
				  json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
}

static const char *string_field(struct json_object *object, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

static void write_field(FILE *out, struct json_object *object, const char *key)
{
	struct json_object *value;

	if (json_object_object_get_ex(object, key, &value) && value)
		write_json_value(out, value);
	else
		fputs("<span class=\"muted\">&mdash;</span>", out);
}

/* ---- grouping alerts by operator --------------------------------------------------------- */

/* Counting sort of the alert indexes by operator; alerts stay in seq order within each. */
static int group_alerts(struct page *page)
{
	const struct backtest *backtest = page->backtest;
	size_t operators = backtest_operator_count(backtest);
	size_t alerts = backtest_alert_count(backtest);
	size_t *next;

	page->first_alert = calloc(operators + 1, sizeof(*page->first_alert));
	page->alerts_by_operator =
		malloc((alerts ? alerts : 1) * sizeof(*page->alerts_by_operator));
	next = malloc((operators ? operators : 1) * sizeof(*next));
	if (!page->first_alert || !page->alerts_by_operator || !next) {
		free(next);
		return -ENOMEM;
	}
	for (size_t a = 0; a < alerts; a++)
		page->first_alert[backtest_alert_at(backtest, a)->operator_index + 1]++;
	for (size_t o = 0; o < operators; o++) {
		page->first_alert[o + 1] += page->first_alert[o];
		next[o] = page->first_alert[o];
	}
	for (size_t a = 0; a < alerts; a++)
		page->alerts_by_operator[next[backtest_alert_at(backtest, a)->operator_index]++] =
			a;
	free(next);
	return 0;
}

/* ---- header, configuration, totals ------------------------------------------------------- */

static void write_head(const struct page *page)
{
	FILE *out = page->out;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>cadmon backtest: ", out);
	write_count(out, backtest_alerts_total(page->backtest));
	fprintf(out, " alerts</title>\n<style>\n%s</style>\n</head>\n<body>\n", page_style);
}

static void write_page_header(const struct page *page, size_t input_count)
{
	const struct backtest_input_stats *input = backtest_input_stats(page->backtest);
	char from[TIMESTAMP_TEXT_MAX], to[TIMESTAMP_TEXT_MAX];

	fputs("<header class=\"page\"><h1>cadmon backtest report</h1><p>", page->out);
	if (input->first_ms <= input->last_ms) {
		format_time(input->first_ms, from);
		format_time(input->last_ms, to);
		fprintf(page->out, "Event time %s to %s UTC &middot; ", from, to);
	}
	fprintf(page->out,
		"%zu input file%s &middot; what cadmond would have alerted on</p></header>\n",
		input_count, input_count == 1 ? "" : "s");
}

static void write_card(FILE *out, const char *label, uint64_t value, const char *note)
{
	fprintf(out, "<div class=\"card\"><div class=\"label\">%s</div><div class=\"value\">",
		label);
	write_count(out, value);
	fprintf(out, "</div><div class=\"note\">%s</div></div>\n", note);
}

/* The headline figures: alerts, operators, calls, premature hangups, lines. */
static void write_cards(const struct page *page, uint64_t calls, uint64_t premature)
{
	const struct backtest *backtest = page->backtest;
	const struct engine_stats *stats = backtest_engine_stats(backtest);
	const struct backtest_records *records = backtest_records(backtest);
	char note[128];
	size_t used = 0;

	note[0] = '\0';
	for (size_t k = 0; k < backtest_kind_count(backtest) && used < sizeof(note); k++)
		if (backtest_alerts_of_kind(backtest, k) > 0)
			used += (size_t)snprintf(note + used, sizeof(note) - used,
						 "%s%" PRIu64 " %s", used ? ", " : "",
						 backtest_alerts_of_kind(backtest, k),
						 backtest_kind_name(backtest, k));
	if (backtest_system_alerts(backtest) > 0 && used < sizeof(note))
		used += (size_t)snprintf(note + used, sizeof(note) - used,
					 "%s%" PRIu64 " about cadmon itself", used ? "; " : "",
					 backtest_system_alerts(backtest));
	fputs("<div class=\"cards\">\n", page->out);
	write_card(page->out, "alerts", backtest_alerts_total(backtest), used ? note : "none");
	write_card(page->out, "operators", backtest_operator_count(backtest), "call-takers seen");
	write_card(page->out, "completed calls", calls, "start and end both seen");
	snprintf(note, sizeof(note), "%.1f%% of completed calls",
		 calls ? 100.0 * (double)premature / (double)calls : 0.0);
	write_card(page->out, "premature hangups", premature, note);
	snprintf(note, sizeof(note), "%" PRIu64 " rejected, %" PRIu32 " calls left open",
		 engine_counters_rejected(stats), stats->open_calls);
	write_card(page->out, "feed lines", stats->lines, note);
	if (records->mapped) {
		snprintf(note, sizeof(note),
			 "%" PRIu64 " rejected, %" PRIu64 " skipped (unanswered)",
			 records->rejected, records->skipped);
		write_card(page->out, "records", records->read, note);
	}
	fputs("</div>\n", page->out);
}

static void write_inputs(const struct page *page, const char *const *input_names,
			 size_t input_count, const char *config_path)
{
	FILE *out = page->out;

	fputs("<h3>Inputs</h3>\n<table class=\"kv\"><tbody>\n", out);
	for (size_t i = 0; i < input_count; i++) {
		fprintf(out, "<tr><td>file %zu</td><td><code>", i + 1);
		html_escape_write(out, strcmp(input_names[i], "-") == 0 ? "standard input"
									: input_names[i]);
		fputs("</code></td></tr>\n", out);
	}
	fputs("<tr><td>configuration</td><td>", out);
	if (config_path) {
		fputs("<code>", out);
		html_escape_write(out, config_path);
		fputs("</code>", out);
	} else {
		fputs("built-in defaults", out);
	}
	fputs("</td></tr>\n", out);
}

/* What counts as a premature hangup, from detector.premature. */
static void write_premature_definition(const struct page *page)
{
	const struct config *config = backtest_config(page->backtest);
	bool first = true;

	fprintf(page->out, "<tr><td>premature hangup</td><td>talk under %g s, released by ",
		config->detector.max_talk_seconds);
	for (unsigned bit = 1; bit <= RELEASED_BY_UNKNOWN; bit <<= 1) {
		if (!(config->detector.released_by_mask & bit))
			continue;
		fprintf(page->out, "%s%s", first ? "" : " or ",
			event_released_by_name((enum released_by)bit));
		first = false;
	}
	fputs(", no incident, no transfer</td></tr>\n</tbody></table>\n", page->out);
}

static void write_rules(const struct page *page)
{
	const struct config *config = backtest_config(page->backtest);
	FILE *out = page->out;

	fputs("<h3>Rules</h3>\n<table><thead><tr><th>rule</th><th>severity</th><th>window</th>"
	      "<th class=\"num\">min calls</th><th class=\"num\">min premature</th>"
	      "<th class=\"num\">min ratio</th></tr></thead><tbody>\n", out);
	for (size_t r = 0; r < config->detector.rule_count; r++) {
		const struct config_rule *rule = &config->detector.rules[r];
		fprintf(out, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>",
			timeline_svg_rule_color(r));
		html_escape_write(out, rule->name);
		fprintf(out, "</td><td class=\"sev-%s\">", rule->severity);
		html_escape_write(out, rule->severity);
		fputs("</td><td>", out);
		write_duration(out, rule->window_seconds);
		fprintf(out,
			"</td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
			"<td class=\"num\">%.0f%%</td></tr>\n",
			rule->min_calls, rule->min_premature, rule->min_ratio * 100.0);
	}
	fputs("</tbody></table>\n", out);
}

static void write_total_row(FILE *out, const char *label, uint64_t value)
{
	fprintf(out, "<tr><td>%s</td><td class=\"num\">", label);
	write_count(out, value);
	fputs("</td></tr>\n", out);
}

static void write_total_row_if_any(FILE *out, const char *label, uint64_t value)
{
	if (value > 0)
		write_total_row(out, label, value);
}

/* Per source, when the lines named sources: its events, and what was late or refused. */
static void write_source_rows(const struct page *page)
{
	struct engine_source_info info;

	if (!backtest_has_named_sources(page->backtest))
		return;
	for (size_t i = 0; i < backtest_source_count(page->backtest); i++) {
		backtest_source_at(page->backtest, i, &info);
		fputs("<tr><td>events from source ", page->out);
		html_escape_write(page->out, info.clock.name[0] ? info.clock.name : "(unnamed)");
		fputs("</td><td class=\"num\">", page->out);
		write_count(page->out, info.clock.events);
		fputs("</td></tr>\n", page->out);
		write_total_row_if_any(page->out, "&nbsp;&nbsp;late", info.clock.late);
		write_total_row_if_any(page->out, "&nbsp;&nbsp;future", info.clock.future);
		write_total_row_if_any(page->out, "&nbsp;&nbsp;too_late", info.clock.too_late);
	}
}

/* With a mapping: its records and what became of them. */
static void write_record_rows(FILE *out, const struct backtest_records *records)
{
	char label[64];

	if (!records->mapped)
		return;
	write_total_row(out, "records read", records->read);
	write_total_row(out, "records accepted", records->accepted);
	write_total_row(out, "records skipped (unanswered)", records->skipped);
	write_total_row(out, "records rejected", records->rejected);
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++) {
		snprintf(label, sizeof(label), "&nbsp;&nbsp;%s",
			 event_reject_name((enum event_reject)reason));
		write_total_row_if_any(out, label, records->by_event_reason[reason]);
	}
	for (int reason = MAPPING_REJECT_FIRST; reason < MAPPING_STATUS_COUNT; reason++) {
		snprintf(label, sizeof(label), "&nbsp;&nbsp;%s",
			 mapping_status_name((enum mapping_status)reason));
		write_total_row_if_any(out, label, records->by_mapping_reason[reason]);
	}
}

static void write_totals(const struct page *page)
{
	const struct engine_stats *stats = backtest_engine_stats(page->backtest);
	const struct backtest_input_stats *input = backtest_input_stats(page->backtest);
	FILE *out = page->out;

	fputs("<h3>Totals</h3>\n<table class=\"kv\"><tbody>\n", out);
	write_total_row(out, "bytes read", input->bytes);
	write_total_row(out, "lines", stats->lines);
	write_total_row(out, "events", stats->events);
	write_total_row(out, "rejected lines", engine_counters_rejected(stats));
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++) {
		char label[64];
		snprintf(label, sizeof(label), "&nbsp;&nbsp;%s",
			 event_reject_name((enum event_reject)reason));
		write_total_row_if_any(out, label, stats->rejects[reason]);
	}
	write_record_rows(out, backtest_records(page->backtest));
	write_total_row(out, "alerts open at end", stats->detector.open_alerts);
	write_total_row(out, "open calls at end", stats->open_calls);
	for (size_t i = 0; i < engine_counters_troubles_count; i++)
		write_total_row_if_any(out, engine_counters_troubles[i].label,
				       engine_counters_value(stats, &engine_counters_troubles[i]));
	write_total_row_if_any(out, "unterminated last lines", input->unterminated);
	write_source_rows(page);
	fputs("</tbody></table>\n", out);
}

static void write_overview(const struct page *page, const char *const *input_names,
			   size_t input_count, const char *config_path)
{
	uint64_t calls = 0, premature = 0;

	for (size_t i = 0; i < backtest_operator_count(page->backtest); i++) {
		calls += backtest_operator_at(page->backtest, i)->calls;
		premature += backtest_operator_at(page->backtest, i)->premature;
	}
	write_cards(page, calls, premature);
	fputs("<div class=\"columns\"><div>\n", page->out);
	write_inputs(page, input_names, input_count, config_path);
	write_premature_definition(page);
	write_rules(page);
	fputs("</div><div>\n", page->out);
	write_totals(page);
	fputs("</div></div>\n", page->out);
}

/* ---- the operator table ------------------------------------------------------------------ */

static void write_who(FILE *out, const struct backtest_operator *op)
{
	if (op->agency[0]) {
		html_escape_write(out, op->agency);
		fputs(" / ", out);
	}
	html_escape_write(out, op->operator_id);
}

static void write_kind_badge(FILE *out, const char *kind)
{
	fprintf(out, "<span class=\"badge\" style=\"background:%s\">",
		timeline_svg_kind_color(kind));
	html_escape_write(out, kind);
	fputs("</span>", out);
}

static void write_operator_row(const struct page *page, const struct backtest_operator *op,
			       size_t rank)
{
	FILE *out = page->out;
	double ratio = backtest_operator_ratio(op);

	fprintf(out, "<tr%s><td><a href=\"#operator-%zu\">", op->alerts ? " class=\"flagged\"" : "",
		rank + 1);
	write_who(out, op);
	fputs("</a></td><td class=\"num\">", out);
	write_count(out, op->calls);
	fputs("</td><td class=\"num\">", out);
	write_count(out, op->premature);
	fprintf(out,
		"</td><td class=\"num\">%.1f%%<span class=\"bar\"><span style=\"width:%.0f%%\">"
		"</span></span></td><td class=\"num\">%" PRIu64 "</td>",
		100.0 * ratio, 100.0 * ratio, op->alerts);
	for (size_t k = 0; k < backtest_kind_count(page->backtest); k++)
		fprintf(out, "<td class=\"num\">%" PRIu64 "</td>",
			backtest_operator_alerts_of_kind(op, k));
	fputs("</tr>\n", out);
}

static void write_operator_table(const struct page *page, const size_t *order)
{
	FILE *out = page->out;

	fputs("<h2>Operators</h2>\n<table><thead><tr><th>operator</th><th class=\"num\">calls</th>"
	      "<th class=\"num\">premature</th><th class=\"num\">premature ratio</th>"
	      "<th class=\"num\">alerts</th>", out);
	for (size_t k = 0; k < backtest_kind_count(page->backtest); k++) {
		fputs("<th class=\"num\">", out);
		html_escape_write(out, backtest_kind_name(page->backtest, k));
		fputs("</th>", out);
	}
	fputs("</tr></thead><tbody>\n", out);
	for (size_t i = 0; i < backtest_operator_count(page->backtest); i++)
		write_operator_row(page, backtest_operator_at(page->backtest, order[i]), i);
	fputs("</tbody></table>\n", out);
}

/* The symbols and colours of the timelines, once above them. */
static void write_legend(const struct page *page)
{
	const struct config *config = backtest_config(page->backtest);
	static const char *const kinds[] = {"firing", "escalated", "update", "resolved"};
	FILE *out = page->out;

	fputs("<div class=\"legend\">"
	      "<span><svg width=\"14\" height=\"16\"><line x1=\"7\" y1=\"5\" x2=\"7\" y2=\"15\" "
	      "stroke=\"#adb5bd\" stroke-width=\"2\"/></svg>call</span>"
	      "<span><svg width=\"14\" height=\"16\"><line x1=\"7\" y1=\"0\" x2=\"7\" y2=\"16\" "
	      "stroke=\"#e03131\" stroke-width=\"2\"/></svg>premature hangup</span>", out);
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		fprintf(out,
			"<span><svg width=\"16\" height=\"16\"><path d=\"%s\" "
			"transform=\"translate(8,8)\" fill=\"%s\"/></svg>%s</span>",
			timeline_svg_kind_shape(kinds[k]), timeline_svg_kind_color(kinds[k]),
			kinds[k]);
	for (size_t r = 0; r < config->detector.rule_count; r++) {
		fprintf(out,
			"<span><svg width=\"28\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"28\" "
			"y2=\"5\" stroke=\"%s\" stroke-width=\"2\"/></svg>",
			timeline_svg_rule_color(r));
		html_escape_write(out, config->detector.rules[r].name);
		fputs(" ratio (dashed: its min_ratio)</span>", out);
	}
	fputs("</div>\n<p class=\"muted\">Each ratio line is premature hangups / completed calls "
	      "among the calls that ended within the rule's window before that instant; it is "
	      "faint where the window holds fewer than the rule's min_calls calls. Hover a marker "
	      "for details. Times are event times, UTC.</p>\n", out);
}

/* ---- one operator ------------------------------------------------------------------------ */

/* "#3 firing: burst (warning) at 2026-11-29 09:12:30 UTC, 9 of 14 calls premature (64.3%)". */
static void format_tooltip(const struct backtest *backtest, const struct backtest_alert *alert,
			   struct json_object *object, char out[TOOLTIP_MAX])
{
	char when[TIMESTAMP_TEXT_MAX];
	const char *rule = object ? string_field(object, "rule") : NULL;
	const char *severity = object ? string_field(object, "severity") : NULL;

	format_time(alert->ts_ms, when);
	snprintf(out, TOOLTIP_MAX,
		 "#%" PRIu64 " %s: %s (%s) at %s UTC, %" PRIu32 " of %" PRIu32
		 " calls premature (%.1f%%)",
		 alert->seq, backtest_kind_name(backtest, alert->kind_index), rule ? rule : "?",
		 severity ? severity : "?", when, alert->premature, alert->calls,
		 100.0 * alert->ratio);
}

/* The operator's alerts, parsed back from their lines (NULL where a line does not parse). */
static struct json_object **parse_alerts(const struct page *page, size_t operator_index,
					 size_t *count)
{
	size_t first = page->first_alert[operator_index];
	struct json_object **objects;

	*count = page->first_alert[operator_index + 1] - first;
	objects = calloc(*count ? *count : 1, sizeof(*objects));
	for (size_t i = 0; objects && i < *count; i++) {
		const struct backtest_alert *alert =
			backtest_alert_at(page->backtest, page->alerts_by_operator[first + i]);
		objects[i] = json_tokener_parse(alert->json);
	}
	return objects;
}

static void free_alert_objects(struct json_object **objects, size_t count)
{
	for (size_t i = 0; objects && i < count; i++)
		json_object_put(objects[i]);
	free(objects);
}

static int write_timeline(const struct page *page, const struct backtest_operator *op,
			  size_t operator_index, struct json_object **objects, size_t alert_count)
{
	const struct config *config = backtest_config(page->backtest);
	struct timeline_alert *markers = calloc(alert_count ? alert_count : 1, sizeof(*markers));
	char (*tooltips)[TOOLTIP_MAX] = calloc(alert_count ? alert_count : 1, sizeof(*tooltips));
	char (*labels)[MARKER_LABEL_MAX] = calloc(alert_count ? alert_count : 1, sizeof(*labels));
	int rc = -ENOMEM;

	if (markers && tooltips && labels) {
		for (size_t i = 0; i < alert_count; i++) {
			size_t index =
				page->alerts_by_operator[page->first_alert[operator_index] + i];
			const struct backtest_alert *alert =
				backtest_alert_at(page->backtest, index);
			format_tooltip(page->backtest, alert, objects[i], tooltips[i]);
			snprintf(labels[i], MARKER_LABEL_MAX, "#%" PRIu64, alert->seq);
			markers[i] = (struct timeline_alert){
				.ts_ms = alert->ts_ms, .tooltip = tooltips[i], .label = labels[i],
				.kind = backtest_kind_name(page->backtest, alert->kind_index)};
		}
		const struct timeline timeline = {
			.from_ms = page->from_ms, .to_ms = page->to_ms,
			.calls = op->history, .call_count = op->history_count,
			.rules = config->detector.rules, .rule_count = config->detector.rule_count,
			.alerts = markers, .alert_count = alert_count};
		rc = timeline_svg_write(page->out, &timeline);
	}
	free(markers);
	free(tooltips);
	free(labels);
	return rc;
}

/* A field name as words: "called_back" as "called back". */
static void write_key_words(FILE *out, const char *key)
{
	for (const char *p = key; *p; p++) {
		if (*p == '_')
			fputc(' ', out);
		else
			html_escape_write_n(out, p, 1);
	}
}

/* A field the report has no place for: booleans as a tag when true, others as "key value". */
static void write_extra_field(FILE *out, const char *key, struct json_object *value,
			      const char *separator)
{
	if (json_object_is_type(value, json_type_boolean)) {
		if (!json_object_get_boolean(value))
			return;
		fprintf(out, "%s<span class=\"tag\">", separator);
		write_key_words(out, key);
		fputs("</span>", out);
		return;
	}
	fprintf(out, "%s<span class=\"muted\">", separator);
	write_key_words(out, key);
	fputs("</span> ", out);
	write_json_value(out, value);
}

/* One callback: "c1 · 5045550101 · 08:00:00 · 5 s" (call, number, answered, talk time),
 * plus any other fields. */
static void write_callback(FILE *out, struct json_object *callback)
{
	const char *ts = string_field(callback, "ts");
	struct json_object *talk;

	fputs("<div><b>", out);
	write_field(out, callback, "call_id");
	fputs("</b>", out);
	if (string_field(callback, "ani")) {
		fputs(" &middot; ", out);
		html_escape_write(out, string_field(callback, "ani"));
	}
	if (ts && strlen(ts) >= 19) {
		fputs(" &middot; ", out);
		html_escape_write_n(out, ts + 11, 8);
	}
	if (json_object_object_get_ex(callback, "talk_seconds", &talk)) {
		fputs(" &middot; ", out);
		write_json_value(out, talk);
		fputs(" s", out);
	}
	json_object_object_foreach(callback, key, value) {
		if (!is_one_of(key, shown_callback_keys,
			       sizeof(shown_callback_keys) / sizeof(char *)))
			write_extra_field(out, key, value, " ");
	}
	fputs("</div>", out);
}

/* The callers to call back, in a row of their own under the alert (none for a notice
 * without callbacks, e.g. "resolved"); past CALLBACKS_SHOWN, the rest are folded away. */
static void write_callbacks_row(FILE *out, struct json_object *object, int columns)
{
	struct json_object *callbacks;
	size_t count = 0;

	if (json_object_object_get_ex(object, "callbacks", &callbacks) &&
	    json_object_is_type(callbacks, json_type_array))
		count = json_object_array_length(callbacks);
	if (count == 0)
		return;
	fprintf(out,
		"<tr class=\"callbacks\"><td></td><td colspan=\"%d\"><span class=\"label\">"
		"call back</span> <span class=\"muted\">call &middot; number &middot; answered "
		"(UTC) "
		"&middot; talk time</span><div class=\"grid\">",
		columns - 1);
	for (size_t i = 0; i < count; i++) {
		if (i == CALLBACKS_SHOWN)
			fprintf(out,
				"</div><details><summary>%zu more</summary><div class=\"grid\">",
				count - CALLBACKS_SHOWN);
		write_callback(out, json_object_array_get_idx(callbacks, i));
	}
	fputs(count > CALLBACKS_SHOWN ? "</div></details></td></tr>\n" : "</div></td></tr>\n", out);
}

/* Fields the engine added that this report has no column for (e.g. alert_id, p_value). */
static void write_other_fields(FILE *out, struct json_object *object)
{
	bool any = false;

	fputs("<td class=\"details\">", out);
	json_object_object_foreach(object, key, value) {
		if (is_one_of(key, shown_alert_keys, sizeof(shown_alert_keys) / sizeof(char *)))
			continue;
		write_extra_field(out, key, value, any ? "<br>" : "");
		any = true;
	}
	fputs("</td>", out);
}

static bool has_other_fields(struct json_object **objects, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (!objects[i])
			continue;
		json_object_object_foreach(objects[i], key, value) {
			(void)value;
			if (!is_one_of(key, shown_alert_keys,
				       sizeof(shown_alert_keys) / sizeof(char *)))
				return true;
		}
	}
	return false;
}

static void write_alert_row(const struct page *page, const struct backtest_alert *alert,
			    struct json_object *object, bool other_fields)
{
	FILE *out = page->out;
	const char *severity = string_field(object, "severity");
	char when[TIMESTAMP_TEXT_MAX];

	format_time(alert->ts_ms, when);
	fprintf(out, "<tr><td class=\"num\">%" PRIu64 "</td><td>%.10s<br>%s</td><td>", alert->seq,
		when, when + 11);
	write_kind_badge(out, backtest_kind_name(page->backtest, alert->kind_index));
	fputs("</td><td>", out);
	write_field(out, object, "rule");
	fputs("<br><span class=\"sev-", out);
	html_escape_write(out, severity ? severity : "none");
	fputs("\">", out);
	write_field(out, object, "severity");
	fputs("</span></td><td>", out);
	write_field(out, object, "position");
	fputs("</td><td class=\"num\">", out);
	write_field(out, object, "calls");
	fputs("</td><td class=\"num\">", out);
	write_field(out, object, "premature");
	fputs("</td><td class=\"num\">", out);
	write_field(out, object, "ratio");
	fputs("</td>", out);
	if (other_fields)
		write_other_fields(out, object);
	fputs("</tr>\n", out);
	write_callbacks_row(out, object, other_fields ? 9 : 8);
}

static void write_alert_table(const struct page *page, size_t operator_index,
			      struct json_object **objects, size_t count)
{
	FILE *out = page->out;
	bool other_fields = has_other_fields(objects, count);

	if (count == 0) {
		fputs("<p class=\"muted\">No alerts.</p>\n", out);
		return;
	}
	fputs("<table class=\"alerts\"><thead><tr><th class=\"num\">seq</th><th>time (UTC)</th>"
	      "<th>notice</th><th>rule</th><th>position</th><th class=\"num\">calls</th>"
	      "<th class=\"num\">premature</th><th class=\"num\">ratio</th>", out);
	fputs(other_fields ? "<th>details</th></tr></thead><tbody>\n" : "</tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < count; i++) {
		size_t index = page->alerts_by_operator[page->first_alert[operator_index] + i];
		if (objects[i])
			write_alert_row(page, backtest_alert_at(page->backtest, index), objects[i],
					other_fields);
	}
	fputs("</tbody></table>\n", out);
}

static void write_operator_summary(FILE *out, const struct backtest_operator *op)
{
	fputs("<summary><span class=\"who\">", out);
	write_who(out, op);
	fputs("</span><span class=\"facts\">", out);
	write_count(out, op->calls);
	fputs(" calls &middot; ", out);
	write_count(out, op->premature);
	fprintf(out, " premature (%.1f%%) &middot; %" PRIu64 " alert%s</span></summary>\n",
		100.0 * backtest_operator_ratio(op), op->alerts, op->alerts == 1 ? "" : "s");
}

static int write_operator(const struct page *page, size_t operator_index, size_t rank)
{
	const struct backtest_operator *op = backtest_operator_at(page->backtest, operator_index);
	size_t count = 0;
	struct json_object **objects = parse_alerts(page, operator_index, &count);
	int rc = -ENOMEM;

	if (objects) {
		fprintf(page->out, "<details class=\"operator\" id=\"operator-%zu\"%s>\n", rank + 1,
			op->alerts ? " open" : "");
		write_operator_summary(page->out, op);
		fputs("<div class=\"body\">\n", page->out);
		rc = write_timeline(page, op, operator_index, objects, count);
		write_alert_table(page, operator_index, objects, count);
		fputs("</div></details>\n", page->out);
	}
	free_alert_objects(objects, count);
	return rc;
}

/* ---- the page ---------------------------------------------------------------------------- */

/* The time axis every timeline shares: the data's span, at least a minute. */
static void set_time_axis(struct page *page)
{
	const struct backtest_input_stats *input = backtest_input_stats(page->backtest);

	page->from_ms = input->first_ms <= input->last_ms ? input->first_ms : 0;
	page->to_ms = input->first_ms <= input->last_ms ? input->last_ms : 0;
	if (page->to_ms - page->from_ms < MIN_AXIS_SPAN_MS)
		page->to_ms = page->from_ms + MIN_AXIS_SPAN_MS;
}

static int write_operators(const struct page *page)
{
	size_t *order = backtest_operators_sorted(page->backtest);
	int rc = order ? 0 : -ENOMEM;

	if (order) {
		write_operator_table(page, order);
		fputs("<h2>Timelines</h2>\n", page->out);
		write_legend(page);
	}
	for (size_t i = 0; rc == 0 && i < backtest_operator_count(page->backtest); i++)
		rc = write_operator(page, order[i], i);
	free(order);
	return rc;
}

int report_html_write(FILE *out, const struct backtest *backtest, const char *const *input_names,
		      size_t input_count, const char *config_path)
{
	struct page page = {.out = out, .backtest = backtest};
	int rc = group_alerts(&page);

	if (rc == 0) {
		set_time_axis(&page);
		write_head(&page);
		write_page_header(&page, input_count);
		fputs("<main>\n", out);
		write_overview(&page, input_names, input_count, config_path);
		rc = write_operators(&page);
		fputs("<footer>Generated by cadmon-backtest " CADMON_VERSION
		      " from the files above; "
		      "the same files and configuration always give this same report.</footer>\n"
		      "</main>\n</body>\n</html>\n",
		      out);
	}
	free(page.first_alert);
	free(page.alerts_by_operator);
	if (rc == 0 && ferror(out))
		rc = -EIO;
	return rc;
}
