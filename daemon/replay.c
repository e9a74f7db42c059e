/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

void replay_init(struct replay *replay, uint64_t newest)
{
	replay->state = REPLAY_HOLD;
	replay->cursor = replay->live_from = newest;
}

void replay_init_live(struct replay *replay)
{
	replay->state = REPLAY_LIVE;
	replay->cursor = replay->live_from = 0;
}

/* The value of "since" in a one-object line: 1 found and valid, 0 no such key, -1 bad. */
static int since_value(const char *line, size_t len, uint64_t *since)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *object, *value;
	int found = 0;

	if (!tokener)
		return 0;
	object = json_tokener_parse_ex(tokener, line, (int)len);
	if (object && json_object_is_type(object, json_type_object) &&
	    json_object_object_get_ex(object, "since", &value)) {
		found = -1;
		if (json_object_is_type(value, json_type_int) &&
		    json_object_get_int64(value) >= 0) {
			*since = (uint64_t)json_object_get_int64(value);
			found = 1;
		}
	}
	json_object_put(object);
	json_tokener_free(tokener);
	return found;
}

bool replay_parse_since(const char *line, size_t len, uint64_t *since, char *notice,
			size_t notice_size)
{
	int found = len > 0 && len <= REPLAY_LINE_MAX ? since_value(line, len, since) : 0;

	notice[0] = '\0';
	if (found < 0)
		snprintf(notice, notice_size,
			 "{\"notice\":\"since must be an integer from 0; sending live alerts "
			 "only\"}");
	return found > 0;
}

/* {"notice":...} when alerts after since are gone: the oldest retained is above since + 1. */
static void notice_if_not_retained(const struct replay_history *history, uint64_t since,
				   replay_emit_fn emit, void *emit_ctx)
{
	uint64_t oldest = history->oldest(history->ctx);
	uint64_t newest = history->newest(history->ctx);
	uint64_t first_kept = oldest ? oldest : newest + 1;
	char notice[128];
	int len;

	if (since >= newest || since + 1 >= first_kept)
		return;
	len = snprintf(notice, sizeof notice,
		       "{\"notice\":\"alerts before seq %" PRIu64 " are no longer retained\"}",
		       first_kept);
	emit(emit_ctx, notice, (size_t)len);
}

void replay_release(struct replay *replay, const struct replay_history *history, bool has_since,
		    uint64_t since, replay_emit_fn emit, void *emit_ctx)
{
	if (replay->state != REPLAY_HOLD)
		return;
	if (has_since) {
		notice_if_not_retained(history, since, emit, emit_ctx);
		replay->cursor = since;
	}
	replay->live_from = history->newest(history->ctx);
	replay->state = REPLAY_CATCHING_UP;
}

void replay_fill(struct replay *replay, const struct replay_history *history, size_t queued_bytes,
		 size_t max_queue_bytes, replay_emit_fn emit, void *emit_ctx)
{
	size_t budget = max_queue_bytes / 2;
	uint64_t last;

	if (replay->state != REPLAY_CATCHING_UP || queued_bytes >= budget)
		return;
	if (replay->cursor >= history->newest(history->ctx) && history->settle)
		history->settle(history->ctx); /* may deliver more: read below */
	if (replay->cursor < history->newest(history->ctx)) {
		last = history->read(history->ctx, replay->cursor, budget - queued_bytes, emit,
				     emit_ctx);
		if (last > replay->cursor) {
			replay->cursor = last;
			if (last < history->newest(history->ctx))
				return;
		}
	}
	/* Caught up (or nothing more can be read): from now on the live stream. */
	replay->state = REPLAY_LIVE;
}

uint64_t replay_live_debt(const struct replay *replay, const struct replay_history *history)
{
	uint64_t from = replay->cursor > replay->live_from ? replay->cursor : replay->live_from;

	return history->bytes_after(history->ctx, from);
}
