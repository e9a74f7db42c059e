/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "engine_counters.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "array.h"

#define ONE(key, label, member) \
	{ key, label, offsetof(struct engine_stats, member), 1, ENGINE_COUNTER_NONE, NULL, NULL, \
	  NULL }

/* A counter with a family of its own on /metrics: cadmon_<metric>, with its HELP text. */
#define METRIC(key, label, member, metric, help) \
	{ key, label, offsetof(struct engine_stats, member), 1, ENGINE_COUNTER_NONE, metric, help, \
	  "counter" }

/* A family on /metrics whose samples daemon/metrics.c writes (no value here). */
#define FAMILY(metric, type, help) { metric, metric, 0, 0, ENGINE_COUNTER_NONE, metric, help, type }

/* Every reason but EVENT_OK (0): rejects[1..EVENT_REJECT_COUNT). */
#define REJECTED \
	{ "rejected", "rejected", offsetof(struct engine_stats, rejects[1]), \
	  EVENT_REJECT_COUNT - 1, ENGINE_COUNTER_NONE, NULL, NULL, NULL }

/* The counters in more than one list. */
#define LINES \
	METRIC("lines", "lines", lines, "lines_total", \
	       "Feed lines offered, rejected ones included.")
#define EVENTS \
	METRIC("events", "events", events, "events_total", \
	       "Feed lines accepted as events, duplicates included.")
#define ALERTS \
	METRIC("alerts", "alerts", detector.alerts, "notices_total", \
	       "Notices sent, of every kind (operator and system).")

const struct engine_counter engine_counters_headline[] = {
	LINES,
	EVENTS,
	REJECTED,
	ALERTS,
};
const size_t engine_counters_headline_count = ARRAY_SIZE(engine_counters_headline);

const struct engine_counter engine_counters_troubles[] = {
	ONE("called_back", "called back", detector.called_back),
	{ "duplicates", "duplicate events", offsetof(struct engine_stats, duplicates), 1,
	  offsetof(struct engine_stats, tracker.duplicates), NULL, NULL, NULL },
	ONE("end_before_start", "end before start", tracker.end_before_start),
	ONE("expired", "expired calls", tracker.expired),
	ONE("open_calls_evicted", "open calls evicted", tracker.evicted),
	ONE("too_old", "calls too old", detector.too_old),
	ONE("operators_evicted", "operators evicted", detector.operators_evicted),
	ONE("window_evictions", "window evictions", detector.window_evictions),
	ONE("center_evictions", "center evictions", detector.center_evictions),
	ONE("callers_evicted", "callers evicted", detector.callers_evicted),
	ONE("dedupe_evicted", "dedupe evictions", dedupe_evicted),
	ONE("alerts_unencodable", "alerts unencodable", alerts_unencodable),
	ONE("late_events", "late events", late_events),
	ONE("reorder_overflows", "reorder overflows", reorder_overflows),
};
const size_t engine_counters_troubles_count = ARRAY_SIZE(engine_counters_troubles);

const struct engine_counter engine_counters_metrics[] = {
	LINES,
	EVENTS,
	/* The engine's resends only (the reports' "duplicates" adds the tracker's). */
	METRIC("resent", "resent events", duplicates, "duplicates_total",
	       "Resent events recognized and ignored."),
	FAMILY("rejected_lines_total", "counter", "Feed lines rejected, by reason."),
	FAMILY("alerts_total", "counter", "Operator alert notices sent, by kind and severity."),
	ALERTS,
	FAMILY("open_alerts", "gauge", "Operators with an alert open now."),
	FAMILY("open_calls", "gauge",
	       "Calls held open: started and not ended, or ended before their start came."),
	FAMILY("operators", "gauge", "Call-takers tracked now."),
	METRIC("calls", "calls judged", detector.calls, "calls_total", "Completed calls judged."),
	METRIC("premature", "premature hangups", detector.premature, "premature_total",
	       "Completed calls judged premature hangups."),
	METRIC("offered_calls", "offered calls", detector.offered, "offered_calls_total",
	       "call_offered events counted in their agency's offered volume (the storm gate)."),
	METRIC("offered_unknown", "offered calls of unknown agencies", detector.offered_unknown,
	       "offered_calls_unknown_agency_total",
	       "call_offered events of an agency with no answered call yet: not counted."),
	METRIC("sources_departed", "sources taken out of an agency's baseline",
	       detector.sources_departed, "sources_departed_total",
	       "Feed sources taken out of an agency's shared baseline: their calls departed from "
	       "the other sources' (detector.baseline.source_depart_z)."),
	METRIC("baselines_evicted", "agency baselines evicted", detector.baselines_evicted,
	       "baselines_evicted_total",
	       "Agency baselines forgotten because their table (tracker.max_operators) was full."),
	METRIC("system_alerts_dropped", "system alerts dropped", system_alerts_dropped,
	       "system_alerts_dropped_total",
	       "System alerts of feed sources not raised: their room (feed.max_sources) was "
	       "full."),
	METRIC("call_owners_capped", "call owners capped", binding.calls_owed_capped,
	       "call_owners_capped_total",
	       "Call ids a feed source reused 255 times while their events waited: their owner is "
	       "kept until tracker.max_call_seconds, other sources' events for them refused."),
	METRIC("call_events_repeated", "call events repeated", tracker.duplicates,
	       "call_events_repeated_total",
	       "A second call_start or call_end for a call still open: ignored, the first kept."),
	METRIC("end_before_start", "end before start", tracker.end_before_start,
	       "calls_end_before_start_total",
	       "Calls dropped unjudged: their call_end's ts was before their call_start's."),
	FAMILY("evicted_total", "counter",
	       "Entries forgotten because a bounded table was full, by the configuration key to "
	       "raise."),
};
const size_t engine_counters_metrics_count = ARRAY_SIZE(engine_counters_metrics);

/* The uint64_t at offset bytes into stats. */
static uint64_t counter_at(const struct engine_stats *stats, size_t offset)
{
	uint64_t value;

	memcpy(&value, (const unsigned char *)stats + offset, sizeof value);
	return value;
}

uint64_t engine_counters_value(const struct engine_stats *stats,
			       const struct engine_counter *counter)
{
	uint64_t total = 0;

	for (size_t i = 0; i < counter->count; i++)
		total += counter_at(stats, counter->offset + i * sizeof(uint64_t));
	if (counter->also != ENGINE_COUNTER_NONE)
		total += counter_at(stats, counter->also);
	return total;
}

uint64_t engine_counters_rejected(const struct engine_stats *stats)
{
	static const struct engine_counter rejected = REJECTED;

	return engine_counters_value(stats, &rejected);
}

void engine_counters_format_headline(const struct engine_stats *stats, char *text, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	text[0] = '\0';
	for (size_t i = 0; i < engine_counters_headline_count && used < size; i++) {
		int written = snprintf(text + used, size - used, "%s%" PRIu64 " %s", i ? ", " : "",
				       engine_counters_value(stats, &engine_counters_headline[i]),
				       engine_counters_headline[i].label);
		if (written < 0)
			return;
		used += (size_t)written;
	}
}
