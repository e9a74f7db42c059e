/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "sysalert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "text.h"

struct sysalert {
	char alert_id[ALERT_ID_LENGTH + 1];
	char system[SYSALERT_NAME_MAX];
	char key[EVENT_ID_MAX + 1];
	char source[EVENT_ID_MAX + 1]; /* a limit of one feed source: which; else "" */
	char severity[SYSALERT_NAME_MAX];
	char message[SYSALERT_MESSAGE_MAX];
	uint64_t evicted;
	uint64_t opened_seq;
	int64_t opened_ms;
	uint64_t last_seq;
	int64_t last_ts_ms;
	struct alert_ack_record ack;
};

struct sysalerts {
	struct sysalert *open; /* oldest first */
	uint32_t count;
	uint32_t capacity;  /* as configured: the room of per-source alerts derives from it */
	uint32_t allocated; /* capacity, or more for the center's alerts (never dropped) */
	uint32_t sourced;  /* open alerts of one feed source (per_source) */
	uint32_t unnamed;  /* of those, of a connection without a hello ("#S.N") */
	uint64_t dropped;
	sysalert_seq_fn next_seq;
	sysalert_emit_fn emit;
	void *ctx;
};

/* An alert of the whole center (a table's limit, the journal, the recovered state, a
 * receiver): never dropped. The rest concern one feed source and share the room left by
 * SYSALERTS_CENTER_ROOM. */
static bool of_center(const char *system, const char *source)
{
	return strcmp(system, "journal_degraded") == 0 || strcmp(system, "receiver_down") == 0 ||
	       strcmp(system, "state_incomplete") == 0 ||
	       (strcmp(system, "limit") == 0 && !(source && source[0]));
}

/* The feed source a per-source alert is of: a connection without a hello is "#S.N". */
static bool of_unnamed(const char *key, const char *source)
{
	return (source && source[0] ? source : key)[0] == '#';
}

/* Room for per-source alerts: the capacity less the center's; half of a small table. */
static uint32_t source_room(const struct sysalerts *sysalerts)
{
	uint32_t capacity = sysalerts->capacity;

	return capacity > 2 * SYSALERTS_CENTER_ROOM ? capacity - SYSALERTS_CENTER_ROOM
						     : capacity / 2;
}

/* Room for the per-source alerts of connections without a hello: a quarter. */
static uint32_t unnamed_room(const struct sysalerts *sysalerts)
{
	uint32_t room = source_room(sysalerts) / 4;

	return room ? room : 1;
}

struct sysalerts *sysalerts_new(uint32_t capacity, sysalert_seq_fn next_seq, sysalert_emit_fn emit,
				void *ctx)
{
	struct sysalerts *sysalerts = calloc(1, sizeof(*sysalerts));

	if (!sysalerts)
		return NULL;
	sysalerts->open = calloc(capacity ? capacity : 1, sizeof(*sysalerts->open));
	if (!sysalerts->open) {
		free(sysalerts);
		return NULL;
	}
	sysalerts->capacity = capacity;
	sysalerts->allocated = capacity ? capacity : 1;
	sysalerts->next_seq = next_seq;
	sysalerts->emit = emit;
	sysalerts->ctx = ctx;
	return sysalerts;
}

void sysalerts_free(struct sysalerts *sysalerts)
{
	if (!sysalerts)
		return;
	free(sysalerts->open);
	free(sysalerts);
}

static struct sysalert *find(const struct sysalerts *sysalerts, const char *system, const char *key,
			     const char *source)
{
	const char *wanted = source ? source : "";

	for (uint32_t i = 0; i < sysalerts->count; i++)
		if (strcmp(sysalerts->open[i].system, system) == 0 &&
		    strcmp(sysalerts->open[i].key, key) == 0 &&
		    strcmp(sysalerts->open[i].source, wanted) == 0)
			return &sysalerts->open[i];
	return NULL;
}

static struct sysalert *find_id(const struct sysalerts *sysalerts, const char *alert_id)
{
	for (uint32_t i = 0; i < sysalerts->count; i++)
		if (strcmp(sysalerts->open[i].alert_id, alert_id) == 0)
			return &sysalerts->open[i];
	return NULL;
}

bool sysalerts_is_open(const struct sysalerts *sysalerts, const char *system, const char *key)
{
	return find(sysalerts, system, key, NULL) != NULL;
}

bool sysalerts_alert_open(const struct sysalerts *sysalerts, const char *alert_id)
{
	return find_id(sysalerts, alert_id) != NULL;
}

/* The notice of an alert, kind and ts given; the alert's own fields for the rest. */
static struct alert notice_of(const struct sysalert *kept, const char *kind, int64_t ts_ms)
{
	return (struct alert){
		.kind = kind,
		.type = "system",
		.alert_id = kept->alert_id,
		.ts_ms = ts_ms,
		.severity = kept->severity,
		.system = kept->system,
		.message = kept->message,
		.source = kept->source[0] ? kept->source
			  : strcmp(kept->system, "limit") != 0 &&
			    strcmp(kept->system, "receiver_down") != 0 &&
			    strcmp(kept->system, "source_departs") != 0 && kept->key[0]
				  ? kept->key
				  : NULL,
		.receiver = strcmp(kept->system, "receiver_down") == 0 ? kept->key : NULL,
		.limit = strcmp(kept->system, "limit") == 0 ? kept->key : NULL,
		.evicted = kept->evicted,
		.agency = strcmp(kept->system, "source_departs") == 0 ? kept->key : "",
		.operator_id = "",
		.position = "",
	};
}

static void send(struct sysalerts *sysalerts, struct sysalert *kept, struct alert *alert)
{
	alert->seq = sysalerts->next_seq(sysalerts->ctx);
	kept->last_seq = alert->seq;
	kept->last_ts_ms = alert->ts_ms;
	if (sysalerts->emit)
		sysalerts->emit(alert, sysalerts->ctx);
}

static void take_notice(struct sysalert *kept, const struct sysalert_notice *notice)
{
	text_copy(kept->severity, notice->severity, sizeof(kept->severity));
	text_copy(kept->message, notice->message, sizeof(kept->message));
	kept->evicted = notice->evicted;
}

/* Count kept in (+1) or out (-1) of its room. */
static void count_room(struct sysalerts *sysalerts, const struct sysalert *kept, int delta)
{
	if (of_center(kept->system, kept->source))
		return;
	sysalerts->sourced = (uint32_t)((int64_t)sysalerts->sourced + delta);
	if (of_unnamed(kept->key, kept->source))
		sysalerts->unnamed = (uint32_t)((int64_t)sysalerts->unnamed + delta);
}

/* SYSALERTS_CENTER_ROOM more slots. */
static bool center_room_grown(struct sysalerts *sysalerts)
{
	uint32_t allocated = sysalerts->allocated + SYSALERTS_CENTER_ROOM;
	struct sysalert *grown = realloc(sysalerts->open, allocated * sizeof(*grown));

	if (!grown)
		return false;
	sysalerts->open = grown;
	sysalerts->allocated = allocated;
	return true;
}

/* Room for one more of the center's alerts: the table grows. */
static bool center_room(struct sysalerts *sysalerts)
{
	return sysalerts->count < sysalerts->allocated || center_room_grown(sysalerts);
}

static struct sysalert *open_new(struct sysalerts *sysalerts, const struct sysalert_notice *notice);

/* A per-source alert not raised for want of room: counted, and told by the center's limit
 * alert SYSALERTS_FULL_KEY (its count brought up to date while open). */
static void tell_full(struct sysalerts *sysalerts, int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	struct text_builder text = text_builder_start(message, sizeof(message));

	sysalerts->dropped++;
	text_add(&text, "system alerts of feed sources not shown: their room is full (");
	text_add_u64(&text, sysalerts->sourced);
	text_add(&text, " open, ");
	text_add_u64(&text, sysalerts->unnamed);
	text_add(&text, " of connections without a hello, which may hold ");
	text_add_u64(&text, unnamed_room(sysalerts));
	text_add(&text, "): ");
	text_add_u64(&text, sysalerts->dropped);
	text_add(&text, " dropped so far; raise feed.max_sources");
	struct sysalert_notice full = { .system = "limit",
					.key = SYSALERTS_FULL_KEY,
					.severity = "warning",
					.message = message,
					.evicted = sysalerts->dropped,
					.ts_ms = ts_ms };
	struct sysalert *kept = find(sysalerts, full.system, full.key, NULL);

	if (kept)
		take_notice(kept, &full);
	else if (center_room(sysalerts))
		open_new(sysalerts, &full);
}

/* Room for the per-source alert of notice; else told (tell_full). The center's alerts may
 * have taken more than their reserve (the table grew for them), so a free slot is checked
 * too, and grown: the per-source count stays bounded by source_room. */
static bool source_has_room(struct sysalerts *sysalerts, const struct sysalert_notice *notice)
{
	if (sysalerts->sourced < source_room(sysalerts) &&
	    (!of_unnamed(notice->key, notice->source) ||
	     sysalerts->unnamed < unnamed_room(sysalerts)) &&
	    center_room(sysalerts))
		return true;
	tell_full(sysalerts, notice->ts_ms);
	return false;
}

/* Open notice's alert in the next slot (room checked) with a "firing" notice. */
static struct sysalert *open_new(struct sysalerts *sysalerts, const struct sysalert_notice *notice)
{
	struct sysalert *kept = &sysalerts->open[sysalerts->count++];

	memset(kept, 0, sizeof(*kept));
	text_copy(kept->system, notice->system, sizeof(kept->system));
	text_copy(kept->key, notice->key, sizeof(kept->key));
	text_copy(kept->source, notice->source ? notice->source : "", sizeof(kept->source));
	take_notice(kept, notice);
	count_room(sysalerts, kept, +1);
	alert_derive_id(kept->source, kept->key, kept->system, notice->ts_ms, "", kept->alert_id);
	kept->opened_ms = notice->ts_ms;
	struct alert alert = notice_of(kept, "firing", notice->ts_ms);
	send(sysalerts, kept, &alert);
	kept->opened_seq = kept->last_seq;
	return kept;
}

bool sysalerts_raise(struct sysalerts *sysalerts, const struct sysalert_notice *notice)
{
	struct sysalert *kept = find(sysalerts, notice->system, notice->key, notice->source);

	if (kept) {
		take_notice(kept, notice);
		return true;
	}
	if (of_center(notice->system, notice->source) ? !center_room(sysalerts)
						       : !source_has_room(sysalerts, notice)) {
		if (of_center(notice->system, notice->source))
			sysalerts->dropped++; /* no memory */
		return false;
	}
	open_new(sysalerts, notice);
	return true;
}

/* Per-source alerts back under three quarters of their rooms: the full table's alert resolved. */
void sysalerts_settle_full(struct sysalerts *sysalerts, int64_t ts_ms)
{
	char message[SYSALERT_MESSAGE_MAX];
	struct text_builder text = text_builder_start(message, sizeof(message));

	if ((uint64_t)sysalerts->sourced * 4 > (uint64_t)source_room(sysalerts) * 3 ||
	    (uint64_t)sysalerts->unnamed * 4 > (uint64_t)unnamed_room(sysalerts) * 3 ||
	    !find(sysalerts, "limit", SYSALERTS_FULL_KEY, NULL))
		return;
	text_add(&text, "system alerts of feed sources have room again: ");
	text_add_u64(&text, sysalerts->dropped);
	text_add(&text, " dropped in all");
	struct sysalert_notice full = { .system = "limit",
					.key = SYSALERTS_FULL_KEY,
					.message = message,
					.evicted = sysalerts->dropped,
					.ts_ms = ts_ms };
	sysalerts_resolve(sysalerts, &full);
}

const char *sysalerts_find_unknown(const struct sysalerts *sysalerts, const char *const *systems,
				   sysalert_known_fn known, void *ctx, const char **system)
{
	for (uint32_t i = 0; i < sysalerts->count; i++) {
		const struct sysalert *kept = &sysalerts->open[i];
		for (const char *const *one = systems; *one; one++)
			if (strcmp(kept->system, *one) == 0 && !known(kept->key, ctx)) {
				*system = kept->system;
				return kept->key;
			}
	}
	return NULL;
}

const char *sysalerts_find_of_source(const struct sysalerts *sysalerts, const char *system,
				     const char *source)
{
	for (uint32_t i = 0; i < sysalerts->count; i++)
		if (strcmp(sysalerts->open[i].system, system) == 0 &&
		    strcmp(sysalerts->open[i].source, source) == 0)
			return sysalerts->open[i].key;
	return NULL;
}

const char *sysalerts_find_unknown_source(const struct sysalerts *sysalerts, const char *system,
					  sysalert_known_fn known, void *ctx)
{
	for (uint32_t i = 0; i < sysalerts->count; i++)
		if (strcmp(sysalerts->open[i].system, system) == 0 &&
		    sysalerts->open[i].source[0] && !known(sysalerts->open[i].source, ctx))
			return sysalerts->open[i].source;
	return NULL;
}

bool sysalerts_resolve(struct sysalerts *sysalerts, const struct sysalert_notice *notice)
{
	struct sysalert *kept = find(sysalerts, notice->system, notice->key, notice->source);

	if (!kept)
		return false;
	text_copy(kept->message, notice->message, sizeof(kept->message));
	kept->evicted = notice->evicted;
	struct alert alert = notice_of(kept, "resolved", notice->ts_ms);
	send(sysalerts, kept, &alert);
	size_t position = (size_t)(kept - sysalerts->open);
	bool of_source = !of_center(kept->system, kept->source);
	count_room(sysalerts, kept, -1);
	memmove(kept, kept + 1, (sysalerts->count - position - 1) * sizeof(*kept));
	sysalerts->count--;
	if (of_source)
		sysalerts_settle_full(sysalerts, notice->ts_ms);
	return true;
}

int sysalerts_acknowledge(struct sysalerts *sysalerts, const char *alert_id,
			  const struct alert_ack *ack)
{
	struct sysalert *kept = find_id(sysalerts, alert_id);
	struct alert_ack first;

	if (!kept)
		return -1;
	struct alert alert = notice_of(kept, "acknowledged", ack->ts_ms);
	alert.ack = ack;
	bool repeat = alert_ack_take(&kept->ack, ack, &first);
	alert.first_ack = repeat ? &first : NULL;
	send(sysalerts, kept, &alert);
	return repeat ? 1 : 0;
}

uint32_t sysalerts_board(const struct sysalerts *sysalerts, sysalert_emit_fn emit, void *ctx)
{
	for (uint32_t i = 0; i < sysalerts->count; i++) {
		const struct sysalert *kept = &sysalerts->open[i];
		struct alert_ack ack;
		struct alert alert = notice_of(kept, "open", kept->last_ts_ms);
		alert.seq = kept->last_seq;
		alert.opened_ms = kept->opened_ms;
		alert.ack = alert_ack_view(&kept->ack, &ack);
		emit(&alert, ctx);
	}
	return sysalerts->count;
}

uint32_t sysalerts_open_count(const struct sysalerts *sysalerts)
{
	return sysalerts->count;
}

uint32_t sysalerts_count_system(const struct sysalerts *sysalerts, const char *system)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < sysalerts->count; i++)
		count += strcmp(sysalerts->open[i].system, system) == 0;
	return count;
}

uint64_t sysalerts_dropped(const struct sysalerts *sysalerts)
{
	return sysalerts->dropped;
}

void sysalerts_save(const struct sysalerts *sysalerts, struct codec_writer *writer)
{
	codec_put_u64(writer, sysalerts->dropped);
	codec_put_u32(writer, sysalerts->count);
	for (uint32_t i = 0; i < sysalerts->count; i++) {
		const struct sysalert *kept = &sysalerts->open[i];
		codec_put_string(writer, kept->alert_id);
		codec_put_string(writer, kept->system);
		codec_put_string(writer, kept->key);
		codec_put_string(writer, kept->source);
		codec_put_string(writer, kept->severity);
		codec_put_string(writer, kept->message);
		codec_put_u64(writer, kept->evicted);
		codec_put_u64(writer, kept->opened_seq);
		codec_put_i64(writer, kept->opened_ms);
		codec_put_u64(writer, kept->last_seq);
		codec_put_i64(writer, kept->last_ts_ms);
		alert_ack_save(&kept->ack, writer);
	}
}

int sysalerts_load(struct sysalerts *sysalerts, struct codec_reader *reader)
{
	sysalerts->dropped = codec_get_u64(reader);
	uint32_t count = codec_get_u32(reader);

	if (reader->failed || count > sysalerts->capacity + SYSALERTS_CENTER_GROWTH_MAX)
		return -EINVAL;
	while (count > sysalerts->allocated)
		if (!center_room_grown(sysalerts))
			return -ENOMEM;
	sysalerts->sourced = sysalerts->unnamed = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct sysalert *kept = &sysalerts->open[i];
		codec_get_string(reader, kept->alert_id, sizeof(kept->alert_id));
		codec_get_string(reader, kept->system, sizeof(kept->system));
		codec_get_string(reader, kept->key, sizeof(kept->key));
		codec_get_string(reader, kept->source, sizeof(kept->source));
		codec_get_string(reader, kept->severity, sizeof(kept->severity));
		codec_get_string(reader, kept->message, sizeof(kept->message));
		kept->evicted = codec_get_u64(reader);
		kept->opened_seq = codec_get_u64(reader);
		kept->opened_ms = codec_get_i64(reader);
		kept->last_seq = codec_get_u64(reader);
		kept->last_ts_ms = codec_get_i64(reader);
		alert_ack_load(&kept->ack, reader);
		count_room(sysalerts, kept, +1);
	}
	sysalerts->count = count;
	return reader->failed ? -EINVAL : 0;
}

int sysalerts_reserve(struct sysalerts *sysalerts, uint32_t capacity)
{
	if (capacity <= sysalerts->capacity)
		return 0;
	if (capacity > sysalerts->allocated) {
		struct sysalert *grown = realloc(sysalerts->open, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		sysalerts->open = grown;
		sysalerts->allocated = capacity;
	}
	sysalerts->capacity = capacity;
	return 0;
}
