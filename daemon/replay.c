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

/* Counts the bytes a read queues (each line and its newline) on their way to emit. */
struct replay_counter {
	replay_emit_fn emit;
	void *ctx;
	size_t bytes;
};

static void replay_count(void *ctx, const char *line, size_t len)
{
	struct replay_counter *counter = ctx;

	counter->bytes += len + 1;
	counter->emit(counter->ctx, line, len);
}

/* Read the history after the cursor, up to about max_bytes: true when caught up (or nothing
 * more can be read), false when the rest waits for a later fill. */
static bool replay_read(struct replay *replay, const struct replay_history *history,
			size_t max_bytes, struct replay_counter *counter)
{
	uint64_t last;

	if (replay->cursor >= history->newest(history->ctx))
		return true;
	last = history->read(history->ctx, replay->cursor, max_bytes, replay_count, counter);
	if (last <= replay->cursor)
		return true;
	replay->cursor = last;
	return last >= history->newest(history->ctx);
}

/*
 * Caught up with the durable alerts, the history settles (an alert the engine produced and the
 * disk has not taken yet is made durable and delivered) and those are read too before going
 * live: the board that follows, the engine's state, reflects them. Settling also after a read
 * that caught up, not only when nothing was left to read at the release: an alert produced
 * while the subscriber was held, durable, and one after it still waiting for the disk, were
 * the first sent and the second only on the board (test_acks: test_settle_after_catching_up).
 */
void replay_fill(struct replay *replay, const struct replay_history *history, size_t queued_bytes,
		 size_t max_queue_bytes, replay_emit_fn emit, void *emit_ctx)
{
	size_t budget = max_queue_bytes / 2;
	struct replay_counter counter = { .emit = emit, .ctx = emit_ctx };

	if (replay->state != REPLAY_CATCHING_UP || queued_bytes >= budget ||
	    !replay_read(replay, history, budget - queued_bytes, &counter))
		return;
	if (history->settle) {
		history->settle(history->ctx); /* may deliver more: read below */
		if (queued_bytes + counter.bytes >= budget &&
		    replay->cursor < history->newest(history->ctx))
			return; /* read by the next fill, once the queue has drained */
		if (!replay_read(replay, history, budget - queued_bytes - counter.bytes, &counter))
			return;
	}
	/* Caught up (or nothing more can be read): from now on the live stream. */
	replay->state = REPLAY_LIVE;
}

uint64_t replay_live_debt(const struct replay *replay, const struct replay_history *history)
{
	uint64_t from = replay->cursor > replay->live_from ? replay->cursor : replay->live_from;

	return history->bytes_after(history->ctx, from);
}
