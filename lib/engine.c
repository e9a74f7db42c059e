/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "control.h"
#include "dedupe.h"
#include "sources.h"
#include "sysalert.h"

/* Open system alerts beyond one per feed source: the limits and the journal. */
#define ENGINE_SYSTEM_ALERTS_EXTRA 16

struct engine {
	struct config config;
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
	struct sysalerts *sysalerts;
	uint64_t limit_counts[ENGINE_LIMIT_COUNT];   /* evictions when last looked at */
	int64_t limit_growth_ms[ENGINE_LIMIT_COUNT]; /* event time they last grew */
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

static void engine_check_limits(struct engine *engine);

static uint64_t next_seq(void *ctx)
{
	return detector_take_seq(((struct engine *)ctx)->detector);
}

struct engine *engine_new(const struct config *config, engine_alert_fn on_alert, void *ctx)
{
	struct engine *engine = calloc(1, sizeof(*engine));

	if (!engine)
		return NULL;
	engine->config = *config;
	engine->on_alert = on_alert;
	engine->ctx = ctx;
	engine->parser = event_parser_new();
	engine->dedupe = dedupe_new(config->tracker.max_dedupe_events);
	engine->sources = sources_new(config->feed.max_sources);
	engine->lateness_ms = (int64_t)config->tracker.allowed_lateness_seconds * 1000;
	engine->watermark_ms = INT64_MIN;
	engine->tracker = tracker_new(config->tracker.max_open_calls, config->tracker.max_call_seconds);
	engine->detector = detector_new(config, deliver_alert, engine);
	engine->sysalerts = sysalerts_new(config->feed.max_sources + ENGINE_SYSTEM_ALERTS_EXTRA, next_seq,
					  deliver_alert, engine);
	if (!engine->parser || !engine->dedupe || !engine->sources || !engine->tracker || !engine->detector ||
	    !engine->sysalerts) {
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
	sysalerts_free(engine->sysalerts);
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
	bool premature = detector_is_premature(engine->detector, &completed);
	if (detector_add_call(engine->detector, &completed) == DETECTOR_ADDED && engine->on_call)
		engine->on_call(&completed, premature, engine->call_ctx);
	/* A caller who rang again and had something to say: the earlier hangup cut off a real
	 * call. A redial that is itself premature (a pocket dial again) marks nothing. */
	if (!premature)
		detector_caller_rang(engine->detector, completed.ani, completed.start_ms);
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
	engine_check_limits(engine);
}

enum event_reject engine_process_line(struct engine *engine, const char *line, size_t len, char *why,
				      size_t why_size)
{
	struct engine_verdict verdict;

	engine_process(engine, NULL, line, len, &verdict);
	if (why_size > 0) {
		if (verdict.reject != EVENT_OK)
			snprintf(why, why_size, "%s", verdict.why);
		else
			why[0] = '\0';
	}
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
	engine->stats.system_alerts_dropped = sysalerts_dropped(engine->sysalerts);
	return &engine->stats;
}

void engine_continue_seq(struct engine *engine, uint64_t delivered_through)
{
	detector_continue_seq(engine->detector, delivered_through);
}

int64_t engine_watermark_ms(const struct engine *engine)
{
	return engine->watermark_ms;
}

int engine_reconfigure(struct engine *engine, const struct config *config)
{
	int rc;

	if ((rc = dedupe_resize(engine->dedupe, config->tracker.max_dedupe_events)) < 0 ||
	    (rc = sources_resize(engine->sources, config->feed.max_sources)) < 0 ||
	    (rc = tracker_reconfigure(engine->tracker, config->tracker.max_open_calls,
				      config->tracker.max_call_seconds)) < 0 ||
	    (rc = detector_reconfigure(engine->detector, config)) < 0 ||
	    (rc = sysalerts_reserve(engine->sysalerts, config->feed.max_sources + ENGINE_SYSTEM_ALERTS_EXTRA)) < 0)
		return rc;
	engine->config = *config;
	engine->lateness_ms = (int64_t)config->tracker.allowed_lateness_seconds * 1000;
	return 0;
}

/* ---- system alerts: limits, control lines, the board ------------------------------------ */

/* A bounded table that evicts: its counter and the configuration key that sizes it. */
struct engine_limit {
	const char *key;
	size_t counter;      /* offset of the eviction counter in struct engine_stats */
	size_t setting;      /* offset of the limit in struct config */
	const char *evicted; /* what was evicted, in plain words */
};

#define LIMIT(name, counter_field, config_field, what) \
	{ name, offsetof(struct engine_stats, counter_field), offsetof(struct config, config_field), what }

static const struct engine_limit engine_limits[ENGINE_LIMIT_COUNT] = {
	LIMIT("tracker.max_operators", detector.operators_evicted, tracker.max_operators,
	      "call-takers forgotten"),
	LIMIT("tracker.max_open_calls", tracker.evicted, tracker.max_open_calls, "open calls dropped"),
	LIMIT("tracker.max_window_calls", detector.window_evictions, tracker.max_window_calls,
	      "calls pushed out of call-takers' windows early"),
	LIMIT("tracker.max_center_calls", detector.center_evictions, tracker.max_center_calls,
	      "calls pushed out of the center's window early"),
	LIMIT("tracker.max_recent_callers", detector.callers_evicted, tracker.max_recent_callers,
	      "hangups forgotten before a redial could mark them"),
	LIMIT("tracker.max_dedupe_events", dedupe_evicted, tracker.max_dedupe_events,
	      "events forgotten early by the duplicate check"),
	LIMIT("feed.max_sources", sources_evicted, feed.max_sources, "feed sources forgotten"),
	LIMIT("detector.max_alert_callbacks", detector.alert_callbacks_evicted, detector.max_alert_callbacks,
	      "callbacks dropped from open alerts"),
};

const char *engine_limit_key(size_t limit)
{
	return limit < ENGINE_LIMIT_COUNT ? engine_limits[limit].key : "";
}

uint64_t engine_limit_evicted(const struct engine_stats *stats, size_t limit)
{
	uint64_t count;

	if (limit >= ENGINE_LIMIT_COUNT)
		return 0;
	memcpy(&count, (const char *)stats + engine_limits[limit].counter, sizeof(count));
	return count;
}

static void limit_notice(const struct engine *engine, size_t i, uint64_t evicted, bool firing,
			 struct sysalert_notice *notice, char *message, size_t message_size)
{
	const struct engine_limit *limit = &engine_limits[i];
	uint32_t setting;

	memcpy(&setting, (const char *)&engine->config + limit->setting, sizeof(setting));
	if (firing)
		snprintf(message, message_size, "%s (%s %" PRIu32 " reached): %" PRIu64 " so far; raise %s",
			 limit->evicted, limit->key, setting, evicted, limit->key);
	else
		snprintf(message, message_size, "no more %s for %" PRIu32 " s; %" PRIu64 " in all", limit->evicted,
			 engine->config.detector.resolve_after_seconds, evicted);
	*notice = (struct sysalert_notice){.system = "limit", .key = limit->key, .severity = "warning",
					   .message = message, .evicted = evicted, .ts_ms = engine->watermark_ms};
}

/* Every bounded table: a limit alert when it starts evicting, resolved once it has stopped
 * for resolve_after_seconds of event time. */
static void engine_check_limits(struct engine *engine)
{
	const struct engine_stats *stats = engine_stats(engine);
	int64_t quiet_ms = (int64_t)engine->config.detector.resolve_after_seconds * 1000;
	struct sysalert_notice notice;
	char message[SYSALERT_MESSAGE_MAX];

	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		uint64_t evicted = engine_limit_evicted(stats, i);
		bool open = sysalerts_is_open(engine->sysalerts, "limit", engine_limits[i].key);
		if (evicted > engine->limit_counts[i]) {
			engine->limit_counts[i] = evicted;
			engine->limit_growth_ms[i] = engine->watermark_ms;
			limit_notice(engine, i, evicted, true, &notice, message, sizeof(message));
			sysalerts_raise(engine->sysalerts, &notice);
		} else if (open && engine->watermark_ms - engine->limit_growth_ms[i] >= quiet_ms) {
			limit_notice(engine, i, evicted, false, &notice, message, sizeof(message));
			sysalerts_resolve(engine->sysalerts, &notice);
		}
	}
}

static int no_alert(const char *alert_id, char *why, size_t why_size)
{
	snprintf(why, why_size, "no open alert %s", alert_id);
	return -ENOENT;
}

int engine_control_check(const struct engine *engine, const struct control *control, char *why,
			 size_t why_size)
{
	if (control->kind != CONTROL_ACK || detector_alert_open(engine->detector, control->alert_id) ||
	    sysalerts_alert_open(engine->sysalerts, control->alert_id))
		return 0;
	return no_alert(control->alert_id, why, why_size);
}

static int apply_ack(struct engine *engine, const struct control *control, int64_t ts_ms, char *why,
		     size_t why_size)
{
	const struct alert_ack ack = {.by = control->by, .note = control->note, .ts_ms = ts_ms};

	if (detector_acknowledge(engine->detector, control->alert_id, &ack) != DETECTOR_ACK_UNKNOWN ||
	    sysalerts_acknowledge(engine->sysalerts, control->alert_id, &ack) >= 0)
		return 0;
	return no_alert(control->alert_id, why, why_size);
}

static void apply_system(struct engine *engine, const struct control *control, int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	bool silent = control->kind == CONTROL_FEED_SILENT;
	struct sysalert_notice notice = {.system = silent ? "feed_silent" : "journal_degraded",
					 .key = silent ? control->source : "",
					 .severity = silent ? "warning" : "critical",
					 .message = message, .ts_ms = ts_ms};

	if (silent && control->firing)
		snprintf(message, sizeof(message), "feed source %s has sent nothing for %" PRIu32 " s",
			 control->source, control->seconds);
	else if (silent)
		snprintf(message, sizeof(message), "feed source %s is sending again", control->source);
	else if (control->firing)
		snprintf(message, sizeof(message),
			 "the journal cannot be written (%s): alerts go on, but a crash now would lose events",
			 control->reason);
	else
		snprintf(message, sizeof(message), "the journal is written again");
	if (control->firing)
		sysalerts_raise(engine->sysalerts, &notice);
	else
		sysalerts_resolve(engine->sysalerts, &notice);
}

int engine_control(struct engine *engine, const char *line, size_t len, int64_t ts_ms, char *why,
		   size_t why_size)
{
	struct control control;
	int rc = control_parse(line, len, &control, why, why_size);

	if (rc == 0 && control.kind == CONTROL_ACK)
		rc = apply_ack(engine, &control, ts_ms, why, why_size);
	else if (rc == 0)
		apply_system(engine, &control, ts_ms);
	if (rc == 0)
		engine->stats.controls++;
	else
		engine->stats.controls_rejected++;
	return rc;
}

/* Board lines: each open alert encoded as a line for the caller. */
struct board_output {
	struct engine *engine;
	engine_line_fn emit;
	void *ctx;
};

static void emit_board_alert(const struct alert *alert, void *ctx)
{
	struct board_output *output = ctx;
	size_t len = 0;
	char *json = alert_encode_json(alert, &len);

	if (!json) {
		output->engine->stats.alerts_unencodable++;
		return;
	}
	output->emit(json, len, output->ctx);
	free(json);
}

uint64_t engine_board(struct engine *engine, engine_line_fn emit, void *ctx)
{
	struct board_output output = {.engine = engine, .emit = emit, .ctx = ctx};
	uint64_t seq = detector_last_seq(engine->detector);
	uint32_t open = detector_stats(engine->detector)->open_alerts + sysalerts_open_count(engine->sysalerts);
	char mark[96];
	size_t len;

	len = alert_encode_board_mark(true, seq, open, mark, sizeof(mark));
	emit(mark, len, ctx);
	detector_board(engine->detector, emit_board_alert, &output);
	sysalerts_board(engine->sysalerts, emit_board_alert, &output);
	len = alert_encode_board_mark(false, seq, open, mark, sizeof(mark));
	emit(mark, len, ctx);
	return seq;
}

bool engine_system_alert_open(const struct engine *engine, const char *system, const char *key)
{
	return sysalerts_is_open(engine->sysalerts, system, key);
}

uint64_t engine_last_seq(const struct engine *engine)
{
	return detector_last_seq(engine->detector);
}

/*
 * Snapshot frame, format 3 (2 without the alerts' callbacks, acknowledgements, system alerts
 * and eviction counts of issue 8):
 *   "CADMSNAP" [u32 format] [u32 n][n bytes: the configuration as YAML (config_dump)]
 *   [state...] [u32 CRC-32C of everything before it]
 * The configuration is stored by key and read back through config_parse, so a snapshot
 * survives configuration keys being added, and a damaged one cannot hand the engine values
 * the parser would refuse. Format 1 ("CADMSNP1") stored the C struct itself.
 */
static const char snapshot_magic[8] = {'C', 'A', 'D', 'M', 'S', 'N', 'A', 'P'};
static const char snapshot_magic_v1[8] = {'C', 'A', 'D', 'M', 'S', 'N', 'P', '1'};

void engine_snapshot(const struct engine *engine, struct codec_writer *writer)
{
	size_t start = writer->len;
	size_t config_len = 0;
	char *config_text = config_dump(&engine->config, &config_len);

	if (!config_text) {
		writer->failed = true;
		return;
	}
	codec_put_bytes(writer, snapshot_magic, sizeof(snapshot_magic));
	codec_put_u32(writer, ENGINE_SNAPSHOT_FORMAT);
	codec_put_u32(writer, (uint32_t)config_len);
	codec_put_bytes(writer, config_text, config_len);
	free(config_text);
	codec_put_i64(writer, engine->watermark_ms);
	codec_put_bytes(writer, &engine->stats, sizeof(engine->stats));
	dedupe_save(engine->dedupe, writer);
	sources_save(engine->sources, writer);
	tracker_save(engine->tracker, writer);
	detector_save(engine->detector, writer);
	sysalerts_save(engine->sysalerts, writer);
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		codec_put_u64(writer, engine->limit_counts[i]);
		codec_put_i64(writer, engine->limit_growth_ms[i]);
	}
	if (!writer->failed)
		codec_put_u32(writer, codec_crc32c(0, writer->data + start, writer->len - start));
}

uint32_t engine_snapshot_format(const void *snapshot, size_t len)
{
	struct codec_reader reader;
	char magic[sizeof(snapshot_magic)];

	if (len < sizeof(magic) + 4)
		return 0;
	memcpy(magic, snapshot, sizeof(magic));
	if (memcmp(magic, snapshot_magic_v1, sizeof(magic)) == 0)
		return 1;
	if (memcmp(magic, snapshot_magic, sizeof(magic)) != 0)
		return 0;
	codec_reader_init(&reader, (const unsigned char *)snapshot + sizeof(magic), 4);
	return codec_get_u32(&reader);
}

/* The saved configuration, through the parser and its checks. */
static const char *read_saved_config(struct codec_reader *reader, struct config *saved, char *why,
				     size_t why_size)
{
	struct config_errors errors;
	uint32_t len = codec_get_u32(reader);

	if (reader->failed || len > reader->len - reader->pos)
		return "snapshot truncated";
	if (config_parse((const char *)reader->data + reader->pos, len, "snapshot", saved, &errors) != 0) {
		snprintf(why, why_size, "snapshot configuration invalid: %s",
			 errors.count ? errors.message[0] : "too many errors");
		return why;
	}
	reader->pos += len;
	return NULL;
}

/* Check the frame (magic, format, CRC) and read the configuration. */
static const char *open_snapshot(struct codec_reader *reader, const unsigned char *data, size_t len,
				 struct config *saved, char *why, size_t why_size)
{
	uint32_t format = engine_snapshot_format(data, len);
	uint32_t crc;

	if (format == 0)
		return len < sizeof(snapshot_magic) + 4 ? "snapshot truncated" : "not a cadmon snapshot";
	if (format != ENGINE_SNAPSHOT_FORMAT) {
		snprintf(why, why_size, "snapshot format %" PRIu32 ", this cadmond reads %d", format,
			 ENGINE_SNAPSHOT_FORMAT);
		return why;
	}
	if (len < sizeof(snapshot_magic) + 12)
		return "snapshot truncated";
	codec_reader_init(reader, data + len - 4, 4);
	crc = codec_get_u32(reader);
	if (codec_crc32c(0, data, len - 4) != crc)
		return "snapshot checksum mismatch";
	codec_reader_init(reader, data, len - 4);
	reader->pos = sizeof(snapshot_magic) + 4;
	return read_saved_config(reader, saved, why, why_size);
}

static int load_state(struct engine *engine, struct codec_reader *reader)
{
	engine->watermark_ms = codec_get_i64(reader);
	codec_get_bytes(reader, &engine->stats, sizeof(engine->stats));
	if (dedupe_load(engine->dedupe, reader) != 0 || sources_load(engine->sources, reader) != 0 ||
	    tracker_load(engine->tracker, reader) != 0 || detector_load(engine->detector, reader) != 0 ||
	    sysalerts_load(engine->sysalerts, reader) != 0)
		return -EINVAL;
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		engine->limit_counts[i] = codec_get_u64(reader);
		engine->limit_growth_ms[i] = codec_get_i64(reader);
	}
	return reader->failed || reader->pos != reader->len ? -EINVAL : 0;
}

struct engine *engine_restore(const void *snapshot, size_t len, const struct config *config,
			      engine_alert_fn on_alert, void *ctx, char *why, size_t why_size)
{
	struct codec_reader reader;
	struct config saved;
	char detail[ENGINE_WHY_MAX];
	const char *problem = open_snapshot(&reader, snapshot, len, &saved, detail, sizeof(detail));
	struct engine *engine = NULL;

	if (!problem && !(engine = engine_new(&saved, on_alert, ctx)))
		problem = "out of memory";
	if (!problem && load_state(engine, &reader) != 0)
		problem = "snapshot damaged: inconsistent state";
	if (!problem && config && engine_reconfigure(engine, config) != 0)
		problem = "out of memory applying the configuration";
	if (problem) {
		engine_free(engine);
		if (why_size > 0)
			snprintf(why, why_size, "%s", problem);
		return NULL;
	}
	return engine;
}
