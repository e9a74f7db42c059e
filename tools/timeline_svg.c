/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "timeline_svg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "html_escape.h"
#include "timestamp.h"

/* Geometry, in SVG user units (the element scales to the page width). */
#define SVG_WIDTH 1100
#define SVG_HEIGHT 246
#define PLOT_LEFT 64.0
#define PLOT_RIGHT 1080.0
#define CALLS_BASE 40.0          /* call marks stand on this line */
#define CALL_MARK_HEIGHT 10.0
#define PREMATURE_MARK_HEIGHT 26.0
#define ALERTS_Y 58.0            /* centre of the alert markers */
#define CHART_TOP 80.0
#define CHART_BOTTOM 216.0
#define AXIS_LABEL_Y 234.0

#define MIN_RATIO_POINTS 200     /* samples of each rule's ratio line, at least... */
#define MAX_RATIO_POINTS 1000    /* ...and at most */
#define SAMPLES_PER_WINDOW 8     /* ...aiming at this many per rule window */
#define MAX_AXIS_TICKS 8
#define CALL_BINS ((size_t)(PLOT_RIGHT - PLOT_LEFT)) /* one per pixel column of the lane */
#define THRESHOLD_LABEL_GAP 12.0 /* vertical room a threshold label needs */

#define MS_PER_MINUTE INT64_C(60000)
#define MS_PER_HOUR (60 * MS_PER_MINUTE)
#define MS_PER_DAY (24 * MS_PER_HOUR)

/* Calls sorted by end time with a running count of premature ones: windows by bisection. */
struct call_index {
	int64_t *end_ms;      /* ascending */
	uint32_t *premature;  /* premature[i]: premature calls among the first i; count + 1 long */
	size_t count;
};

/* What one rule's window holds at one instant. */
struct window_sample {
	uint32_t calls;
	uint32_t premature;
};

static const char *const rule_colors[] = {"#1971c2", "#e8590c", "#2f9e44", "#7048e8",
					  "#c2255c", "#0c8599", "#5c940d", "#862e9c"};

const char *timeline_svg_kind_color(const char *kind)
{
	if (kind && strcmp(kind, "firing") == 0)
		return "#e03131";
	if (kind && strcmp(kind, "escalated") == 0)
		return "#9c36b5";
	if (kind && strcmp(kind, "update") == 0)
		return "#f08c00";
	if (kind && strcmp(kind, "resolved") == 0)
		return "#2f9e44";
	return "#495057";
}

const char *timeline_svg_kind_shape(const char *kind)
{
	if (kind && strcmp(kind, "firing") == 0)
		return "M-6,-5 L6,-5 L0,6 Z";         /* a triangle pointing down */
	if (kind && strcmp(kind, "escalated") == 0)
		return "M0,-7 L7,0 L0,7 L-7,0 Z";     /* a diamond */
	if (kind && strcmp(kind, "update") == 0)
		return "M-6,5 L0,-6 L6,5 Z";          /* a triangle pointing up */
	if (kind && strcmp(kind, "resolved") == 0)
		return "M-5,0 A5,5 0 1,0 5,0 A5,5 0 1,0 -5,0 Z"; /* a circle */
	return "M-5,-5 L5,-5 L5,5 L-5,5 Z";
}

const char *timeline_svg_rule_color(size_t rule_index)
{
	return rule_colors[rule_index % ARRAY_SIZE(rule_colors)];
}

/* ---- scales ------------------------------------------------------------------------------ */

static double x_of(const struct timeline *timeline, int64_t ts_ms)
{
	double share = (double)(ts_ms - timeline->from_ms) /
		       (double)(timeline->to_ms - timeline->from_ms);

	return PLOT_LEFT + share * (PLOT_RIGHT - PLOT_LEFT);
}

static double y_of_ratio(double ratio)
{
	return CHART_BOTTOM - ratio * (CHART_BOTTOM - CHART_TOP);
}

/* ---- the calls, indexed by end time ------------------------------------------------------ */

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Build the index; premature calls are tagged in the low bit while sorting. */
static int call_index_build(struct call_index *index, const struct timeline *timeline)
{
	size_t n = timeline->call_count;

	index->count = n;
	index->end_ms = malloc((n ? n : 1) * sizeof(*index->end_ms));
	index->premature = malloc((n + 1) * sizeof(*index->premature));
	if (!index->end_ms || !index->premature)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		index->end_ms[i] = timeline->calls[i].end_ms * 2 + timeline->calls[i].premature;
	qsort(index->end_ms, n, sizeof(*index->end_ms), compare_int64);
	index->premature[0] = 0;
	for (size_t i = 0; i < n; i++) {
		index->premature[i + 1] = index->premature[i] + (uint32_t)(index->end_ms[i] & 1);
		index->end_ms[i] >>= 1;
	}
	return 0;
}

static void call_index_free(struct call_index *index)
{
	free(index->end_ms);
	free(index->premature);
}

/* How many calls ended at or before ts_ms. */
static size_t calls_ended_by(const struct call_index *index, int64_t ts_ms)
{
	size_t low = 0, high = index->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (index->end_ms[middle] <= ts_ms)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* The calls that ended in (ts - window, ts], as the detector counts them. */
static struct window_sample sample_window(const struct call_index *index, int64_t ts_ms,
					  int64_t window_ms)
{
	size_t last = calls_ended_by(index, ts_ms);
	size_t first = calls_ended_by(index, ts_ms - window_ms);

	return (struct window_sample){
		.calls = (uint32_t)(last - first),
		.premature = index->premature[last] - index->premature[first]};
}

/* ---- drawing ----------------------------------------------------------------------------- */

static void write_lane_labels(FILE *out)
{
	fprintf(out,
		"<text class=\"lane\" x=\"%.0f\" y=\"%.0f\">calls</text>"
		"<text class=\"lane\" x=\"%.0f\" y=\"%.0f\">alerts</text>"
		"<line class=\"base\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>\n",
		PLOT_LEFT - 10, CALLS_BASE - 3, PLOT_LEFT - 10, ALERTS_Y + 4, PLOT_LEFT, CALLS_BASE,
		PLOT_RIGHT, CALLS_BASE);
}

/* Gridlines and labels at 0, 25, 50, 75 and 100 %. */
static void write_ratio_grid(FILE *out)
{
	for (int percent = 0; percent <= 100; percent += 25) {
		double y = y_of_ratio(percent / 100.0);
		fprintf(out,
			"<line class=\"%s\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
			"<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" "
			"text-anchor=\"end\">%d%%</text>\n",
			percent == 0 ? "base" : "grid", PLOT_LEFT, y, PLOT_RIGHT, y, PLOT_LEFT - 8,
			y + 4, percent);
	}
}

/* A tick interval giving at most MAX_AXIS_TICKS ticks over span_ms. */
static int64_t tick_interval_ms(int64_t span_ms)
{
	static const int64_t intervals[] = {
		MS_PER_MINUTE, 2 * MS_PER_MINUTE, 5 * MS_PER_MINUTE, 10 * MS_PER_MINUTE,
		15 * MS_PER_MINUTE, 30 * MS_PER_MINUTE, MS_PER_HOUR, 2 * MS_PER_HOUR,
		3 * MS_PER_HOUR, 6 * MS_PER_HOUR, 12 * MS_PER_HOUR, MS_PER_DAY, 2 * MS_PER_DAY,
		7 * MS_PER_DAY, 14 * MS_PER_DAY, 28 * MS_PER_DAY};

	for (size_t i = 0; i < ARRAY_SIZE(intervals); i++)
		if (span_ms / intervals[i] <= MAX_AXIS_TICKS)
			return intervals[i];
	return span_ms / MAX_AXIS_TICKS + 1;
}

/* "08:00", or "11-29 08:00" when the axis spans days (UTC). */
static void format_tick(int64_t ts_ms, int64_t span_ms, char *out, size_t size)
{
	char text[TIMESTAMP_TEXT_MAX];

	timestamp_format(ts_ms, text); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
	if (span_ms > MS_PER_DAY)
		snprintf(out, size, "%.5s %.5s", text + 5, text + 11);
	else
		snprintf(out, size, "%.5s", text + 11);
}

static void write_time_axis(FILE *out, const struct timeline *timeline)
{
	int64_t span_ms = timeline->to_ms - timeline->from_ms;
	int64_t interval = tick_interval_ms(span_ms);
	int64_t first =
		(timeline->from_ms / interval + (timeline->from_ms % interval != 0)) * interval;
	char label[32];

	for (int64_t ts = first; ts <= timeline->to_ms; ts += interval) {
		double x = x_of(timeline, ts);
		format_tick(ts, span_ms, label, sizeof(label));
		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
			"<text class=\"tick\" x=\"%.1f\" y=\"%.0f\" "
			"text-anchor=\"middle\">%s</text>\n",
			x, CHART_TOP, x, CHART_BOTTOM + 4, x, AXIS_LABEL_Y, label);
	}
}

/* The calls that fall on one pixel column of the calls lane. */
struct call_bin {
	uint32_t calls;
	uint32_t premature;
	int64_t first_premature_ms; /* answered, of the first and last premature call */
	int64_t last_premature_ms;
	int64_t talk_ms;            /* of the last premature call */
};

static size_t bin_of(const struct timeline *timeline, int64_t ts_ms)
{
	double x = x_of(timeline, ts_ms) - PLOT_LEFT;

	if (x < 0)
		return 0;
	return x >= CALL_BINS ? CALL_BINS - 1 : (size_t)x;
}

static void fill_bins(const struct timeline *timeline, struct call_bin *bins)
{
	for (size_t i = 0; i < timeline->call_count; i++) {
		const struct backtest_call *call = &timeline->calls[i];
		struct call_bin *bin = &bins[bin_of(timeline, call->start_ms)];
		bin->calls++;
		if (!call->premature)
			continue;
		if (bin->premature++ == 0 || call->start_ms < bin->first_premature_ms)
			bin->first_premature_ms = call->start_ms;
		if (bin->premature == 1 || call->start_ms >= bin->last_premature_ms) {
			bin->last_premature_ms = call->start_ms;
			bin->talk_ms = call->end_ms - call->start_ms;
		}
	}
}

static void write_premature_mark(FILE *out, double x, const struct call_bin *bin)
{
	char first[TIMESTAMP_TEXT_MAX], last[TIMESTAMP_TEXT_MAX];

	timestamp_format(bin->first_premature_ms, first);
	timestamp_format(bin->last_premature_ms, last);
	fprintf(out,
		"<line class=\"premature\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"><title>",
		x, CALLS_BASE - PREMATURE_MARK_HEIGHT, x, CALLS_BASE);
	if (bin->premature == 1)
		fprintf(out, "premature hangup: answered %.8s UTC, talk %.1f s", first + 11,
			(double)bin->talk_ms / 1000.0);
	else
		fprintf(out, "%" PRIu32 " premature hangups answered %.8s to %.8s UTC",
			bin->premature, first + 11, last + 11);
	fputs("</title></line>", out);
}

/* A tick per pixel column with calls, so a month of calls stays a light drawing: grey for
 * calls, tall and red (with a tooltip) where any was a premature hangup. */
static int write_calls(FILE *out, const struct timeline *timeline)
{
	struct call_bin *bins = calloc(CALL_BINS, sizeof(*bins));

	if (!bins)
		return -ENOMEM;
	fill_bins(timeline, bins);
	for (size_t b = 0; b < CALL_BINS; b++) {
		double x = PLOT_LEFT + (double)b + 0.5;
		if (bins[b].calls > bins[b].premature)
			fprintf(out,
				"<line class=\"call\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" "
				"y2=\"%.0f\"/>",
				x, CALLS_BASE - CALL_MARK_HEIGHT, x, CALLS_BASE);
		if (bins[b].premature > 0)
			write_premature_mark(out, x, &bins[b]);
	}
	fputc('\n', out);
	free(bins);
	return 0;
}

static void write_threshold(FILE *out, const struct config_rule *rule, size_t rule_index,
			    double label_y)
{
	double y = y_of_ratio(rule->min_ratio);
	const char *color = timeline_svg_rule_color(rule_index);

	fprintf(out,
		"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" "
		"stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>"
		"<text class=\"threshold\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
		"style=\"fill:%s\">",
		PLOT_LEFT, y, PLOT_RIGHT, y, color, PLOT_RIGHT - 4, label_y, color);
	html_escape_write(out, rule->name);
	fprintf(out, " min_ratio %.0f%%</text>\n", rule->min_ratio * 100.0);
}

/* Where each threshold's label goes: above its line, or below when that would collide with
 * the label of a higher threshold or leave the chart. */
static void place_threshold_labels(const struct timeline *timeline, double *label_y)
{
	bool placed[CONFIG_MAX_RULES] = {false};
	double previous_y = -THRESHOLD_LABEL_GAP;

	for (size_t n = 0; n < timeline->rule_count; n++) {
		size_t highest = CONFIG_MAX_RULES;
		for (size_t r = 0; r < timeline->rule_count; r++)
			if (!placed[r] &&
			    (highest == CONFIG_MAX_RULES ||
			     timeline->rules[r].min_ratio > timeline->rules[highest].min_ratio))
				highest = r;
		double line_y = y_of_ratio(timeline->rules[highest].min_ratio);
		double y = line_y - 4;
		if (y - previous_y < THRESHOLD_LABEL_GAP || y < CHART_TOP + 8)
			y = line_y + 12;
		label_y[highest] = y;
		placed[highest] = true;
		previous_y = y;
	}
}

/* Points over the axis for one rule: enough for SAMPLES_PER_WINDOW per window. */
static size_t ratio_points(const struct timeline *timeline, int64_t window_ms)
{
	int64_t span_ms = timeline->to_ms - timeline->from_ms;
	int64_t wanted = window_ms > 0 ? span_ms / (window_ms / SAMPLES_PER_WINDOW + 1) : 0;

	if (wanted < MIN_RATIO_POINTS)
		return MIN_RATIO_POINTS;
	return wanted > MAX_RATIO_POINTS ? MAX_RATIO_POINTS : (size_t)wanted;
}

/* One polyline path of the rule's ratio; with solid_only, only where calls >= min_calls.
 * A window with no call (or too few, for solid_only) breaks the line. */
static void write_ratio_path(FILE *out, const struct timeline *timeline,
			     const struct call_index *index, const struct config_rule *rule,
			     bool solid_only)
{
	int64_t window_ms = (int64_t)rule->window_seconds * 1000;
	size_t points = ratio_points(timeline, window_ms);
	bool drawing = false;

	for (size_t i = 0; i < points; i++) {
		int64_t ts = timeline->from_ms +
			     (int64_t)((double)(timeline->to_ms - timeline->from_ms) * (double)i /
				       (double)(points - 1));
		struct window_sample sample = sample_window(index, ts, window_ms);
		bool visible = sample.calls > 0 && (!solid_only || sample.calls >= rule->min_calls);
		if (!visible) {
			drawing = false;
			continue;
		}
		fprintf(out, "%c%.1f,%.1f ", drawing ? 'L' : 'M', x_of(timeline, ts),
			y_of_ratio((double)sample.premature / sample.calls));
		drawing = true;
	}
}

static void write_ratio_line(FILE *out, const struct timeline *timeline,
			     const struct call_index *index, size_t rule_index)
{
	const struct config_rule *rule = &timeline->rules[rule_index];
	const char *color = timeline_svg_rule_color(rule_index);

	fprintf(out, "<path class=\"faint\" stroke=\"%s\" d=\"", color);
	write_ratio_path(out, timeline, index, rule, false);
	fprintf(out, "\"/>\n<path class=\"ratio\" stroke=\"%s\" d=\"", color);
	write_ratio_path(out, timeline, index, rule, true);
	fputs("\"><title>", out);
	html_escape_write(out, rule->name);
	fprintf(out, ": premature ratio over %u s windows</title></path>\n", rule->window_seconds);
}

/* A marker in the alerts lane and a dashed line down through the chart. */
static void write_alert_marker(FILE *out, const struct timeline *timeline,
			       const struct timeline_alert *alert)
{
	double x = x_of(timeline, alert->ts_ms);
	const char *color = timeline_svg_kind_color(alert->kind);

	fprintf(out, "<g class=\"alert\"><title>");
	html_escape_write(out, alert->tooltip);
	fprintf(out,
		"</title><line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\" "
		"stroke-dasharray=\"3 3\" opacity=\"0.7\"/>"
		"<path d=\"%s\" transform=\"translate(%.1f,%.0f)\" fill=\"%s\" stroke=\"#fff\"/>"
		"<text class=\"marker\" x=\"%.1f\" y=\"%.0f\" style=\"fill:%s\">",
		x, ALERTS_Y + 6, x, CHART_BOTTOM, color, timeline_svg_kind_shape(alert->kind), x,
		ALERTS_Y, color, x + 9, ALERTS_Y + 4, color);
	html_escape_write(out, alert->label);
	fputs("</text></g>\n", out);
}

int timeline_svg_write(FILE *out, const struct timeline *timeline)
{
	struct call_index index = {0};
	double label_y[CONFIG_MAX_RULES];

	if (timeline->rule_count > CONFIG_MAX_RULES)
		return -EINVAL;
	if (call_index_build(&index, timeline) < 0) {
		call_index_free(&index);
		return -ENOMEM;
	}
	fprintf(out, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" role=\"img\">\n", SVG_WIDTH,
		SVG_HEIGHT);
	write_lane_labels(out);
	write_ratio_grid(out);
	write_time_axis(out, timeline);
	if (write_calls(out, timeline) < 0) {
		call_index_free(&index);
		return -ENOMEM;
	}
	place_threshold_labels(timeline, label_y);
	for (size_t r = 0; r < timeline->rule_count; r++)
		write_threshold(out, &timeline->rules[r], r, label_y[r]);
	for (size_t r = 0; r < timeline->rule_count; r++)
		write_ratio_line(out, timeline, &index, r);
	for (size_t a = 0; a < timeline->alert_count; a++)
		write_alert_marker(out, timeline, &timeline->alerts[a]);
	fputs("</svg>\n", out);
	call_index_free(&index);
	return 0;
}
