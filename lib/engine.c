/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe.h"
#include "sources.h"

struct engine {
	struct event_parser *parser;
	struct dedupe *dedupe;
	struct sources *sources;
	int64_t lateness_ms;
	int64_t watermark_ms; /* newest ts accepted: the engine's event-time clock */
	struct tracker *tracker;
	struct detector *detector;
	engine_alert_fn on_alert;
	void *ctx;
	engine_call_fn on_call;
	void *call_ctx;
	struct engine_stats stats;
	struct event event; /* scratch: the line being processed */
};

/* The detector's alert callback: encode once, hand line and alert to the engine's user. */
static void deliver_alert(const struct alert *alert, void *ctx)
{
	struct engine *engine = ctx;
	size_t len = 0;
	char *json = alert_encode_json(alert, &len);

	if (!json) {
		engine->stats.alerts_unencodable++;
		return;
	}
	if (engine->on_alert)
		engine->on_alert(alert, json, len, engine->ctx);
	free(json);
}

struct engine *engine_new(const struct config *config, engine_alert_fn on_alert, void *ctx)
{
	struct engine *engine = calloc(1, sizeof(*engine));

	if (!engine)
		return NULL;
	engine->on_alert = on_alert;
	engine->ctx = ctx;
	engine->parser = event_parser_new();
	engine->dedupe = dedupe_new(config->tracker.max_dedupe_events);
	engine->sources = sources_new(config->feed.max_sources);
	engine->lateness_ms = (int64_t)config->tracker.allowed_lateness_seconds * 1000;
	engine->watermark_ms = INT64_MIN;
	engine->tracker = tracker_new(config->tracker.max_open_calls, config->tracker.max_call_seconds);
	engine->detector = detector_new(config, deliver_alert, engine);
	if (!engine->parser || !engine->dedupe || !engine->sources || !engine->tracker || !engine->detector) {
		engine_free(engine);
		return NULL;
	}
	return engine;
}

void engine_free(struct engine *engine)
{
	if (!engine)
		return;
	event_parser_free(engine->parser);
	dedupe_free(engine->dedupe);
	sources_free(engine->sources);
	tracker_free(engine->tracker);
	detector_free(engine->detector);
	free(engine);
}

static bool is_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

/* Hand a parsed event to the tracker, and a call it completes to the detector. */
static void track_event(struct engine *engine, const struct event *event)
{
	struct completed_call completed;

	if (event->type == EVENT_CALL_START)
		detector_caller_rang(engine->detector, event->ani, event->ts_ms);
	if (tracker_apply(engine->tracker, event, &completed) != TRACKER_COMPLETED)
		return;
	if (detector_add_call(engine->detector, &completed) == DETECTOR_ADDED && engine->on_call)
		engine->on_call(&completed, detector_is_premature(engine->detector, &completed), engine->call_ctx);
}

/* Lateness and duplicates: the event-time gate in front of the tracker. */
static enum event_reject admit_event(struct engine *engine, const struct event *event,
				     struct engine_verdict *verdict)
{
	int64_t horizon_ms =
		engine->watermark_ms == INT64_MIN ? INT64_MIN : engine->watermark_ms - engine->lateness_ms;

	if (event->ts_ms < horizon_ms) {
		snprintf(verdict->why, sizeof(verdict->why),
			 "%s: \"ts\" is %lld s older than the newest event, over the %lld s allowed",
			 event_type_name(event->type), (long long)((engine->watermark_ms - event->ts_ms) / 1000),
			 (long long)(engine->lateness_ms / 1000));
		return EVENT_REJECT_TOO_LATE;
	}
	if (dedupe_seen(engine->dedupe, event_fingerprint(event), event->ts_ms, horizon_ms)) {
		engine->stats.duplicates++;
		verdict->duplicate = true;
		return EVENT_OK;
	}
	if (event->ts_ms > engine->watermark_ms) {
		engine->watermark_ms = event->ts_ms;
		detector_advance(engine->detector, event->ts_ms);
	}
	track_event(engine, event);
	return EVENT_OK;
}

void engine_set_call_observer(struct engine *engine, engine_call_fn on_call, void *ctx)
{
	engine->on_call = on_call;
	engine->call_ctx = ctx;
}

/* A resend from a named source: its seq is at or below the highest processed. Lines with a
 * seq advance the source's highest even when rejected, so acknowledgements move past them. */
static bool resent(struct engine *engine, const char *source, const struct engine_verdict *verdict)
{
	if (!source || !source[0] || !verdict->has_seq)
		return false;
	return sources_seen(engine->sources, source, verdict->seq, engine->watermark_ms);
}

void engine_process(struct engine *engine, const char *source, const char *line, size_t len,
		    struct engine_verdict *verdict)
{
	memset(verdict, 0, sizeof(*verdict));
	if (is_blank(line, len))
		return;
	engine->stats.lines++;
	verdict->reject = event_parser_parse(engine->parser, line, len, &engine->event, verdict->why,
					     sizeof(verdict->why));
	verdict->has_seq = engine->event.has_seq;
	verdict->seq = engine->event.seq;
	if (resent(engine, source, verdict)) {
		verdict->reject = EVENT_OK;
		verdict->why[0] = '\0';
		verdict->duplicate = true;
		engine->stats.duplicates++;
		return;
	}
	if (verdict->reject == EVENT_OK)
		verdict->reject = admit_event(engine, &engine->event, verdict);
	if (verdict->reject != EVENT_OK) {
		engine->stats.rejects[verdict->reject]++;
		return;
	}
	engine->stats.events++;
}

enum event_reject engine_process_line(struct engine *engine, const char *line, size_t len, char *why,
				      size_t why_size)
{
	struct engine_verdict verdict;

	engine_process(engine, NULL, line, len, &verdict);
	if (why_size > 0)
		snprintf(why, why_size, "%s", verdict.why);
	return verdict.reject;
}

void engine_count_reject(struct engine *engine, enum event_reject reason)
{
	if ((unsigned)reason >= EVENT_REJECT_COUNT || reason == EVENT_OK)
		return;
	engine->stats.lines++;
	engine->stats.rejects[reason]++;
}

const struct engine_stats *engine_stats(struct engine *engine)
{
	engine->stats.open_calls = tracker_open_calls(engine->tracker);
	engine->stats.tracker = *tracker_stats(engine->tracker);
	engine->stats.detector = *detector_stats(engine->detector);
	engine->stats.dedupe_evicted = dedupe_evicted(engine->dedupe);
	engine->stats.sources_evicted = sources_evicted(engine->sources);
	return &engine->stats;
}
