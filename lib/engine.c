/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

struct engine {
	struct event_parser *parser;
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
	engine->tracker = tracker_new(config->tracker.max_open_calls, config->tracker.max_call_seconds);
	engine->detector = detector_new(config, deliver_alert, engine);
	if (!engine->parser || !engine->tracker || !engine->detector) {
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

	if (tracker_apply(engine->tracker, event, &completed) != TRACKER_COMPLETED)
		return;
	if (detector_add_call(engine->detector, &completed) == DETECTOR_ADDED && engine->on_call)
		engine->on_call(&completed, detector_is_premature(engine->detector, &completed), engine->call_ctx);
}

void engine_set_call_observer(struct engine *engine, engine_call_fn on_call, void *ctx)
{
	engine->on_call = on_call;
	engine->call_ctx = ctx;
}

enum event_reject engine_process_line(struct engine *engine, const char *line, size_t len,
				      char *why, size_t why_size)
{
	enum event_reject result;

	if (why_size > 0)
		why[0] = '\0';
	if (is_blank(line, len))
		return EVENT_OK;
	engine->stats.lines++;
	result = event_parser_parse(engine->parser, line, len, &engine->event, why, why_size);
	if (result != EVENT_OK) {
		engine->stats.rejects[result]++;
		return result;
	}
	engine->stats.events++;
	track_event(engine, &engine->event);
	return EVENT_OK;
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
	return &engine->stats;
}
