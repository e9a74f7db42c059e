/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "sources.h"

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "codec.h"
#include "hash.h"
#include "moves.h"
#include "table.h"
#include "text.h"

#define EVICT_FRACTION 16

struct source_entry {
	struct table_entry base;
	char name[EVENT_ID_MAX + 1];
	char epoch[EVENT_ID_MAX + 1];
	uint64_t last_seq;
	int64_t last_ts_ms;
};

/* Which sources are kept before the others when room is made (fn NULL: none). */
struct listing {
	sources_listed_fn fn;
	void *ctx;
};

struct sources {
	struct table table;
	uint64_t evicted;
	uint64_t *moves;        /* the engine's limits' change count (moves.h), or NULL */
	struct listing listed; /* when room is made for a new source */
};

static void count_evicted(struct sources *sources, uint64_t evicted)
{
	sources->evicted += evicted;
	moves_add(sources->moves, evicted);
}

struct sources *sources_new(uint32_t max_sources)
{
	struct sources *sources = calloc(1, sizeof(*sources));

	if (!sources)
		return NULL;
	if (table_init(&sources->table, sizeof(struct source_entry), max_sources) != 0) {
		free(sources);
		return NULL;
	}
	return sources;
}

void sources_free(struct sources *sources)
{
	if (!sources)
		return;
	table_release(&sources->table);
	free(sources);
}

static bool name_matches(const void *entry, const void *key)
{
	return strcmp(((const struct source_entry *)entry)->name, key) == 0;
}

static int64_t last_heard(const void *entry)
{
	return ((const struct source_entry *)entry)->last_ts_ms;
}

void sources_set_listed(struct sources *sources, sources_listed_fn fn, void *ctx)
{
	sources->listed = (struct listing){ .fn = fn, .ctx = ctx };
}

/* Is the entry a source the listing (ctx) does not list? */
static bool not_listed(const void *entry, const void *ctx)
{
	const struct listing *listing = ctx;

	return !listing->fn(((const struct source_entry *)entry)->name, listing->ctx);
}

/* Room for one more: the oldest sixteenth of the unlisted sources, then of all if none is. */
static void make_room(struct sources *sources)
{
	if (sources->listed.fn)
		count_evicted(sources, table_evict_oldest_picked(&sources->table, last_heard,
								 EVICT_FRACTION, not_listed,
								 &sources->listed, NULL, NULL));
	if (sources->table.count >= sources->table.max_count)
		count_evicted(sources, table_evict_oldest(&sources->table, last_heard,
							  EVICT_FRACTION, NULL, NULL));
}

/* The entry of source, claimed (with its epoch) when new; *is_new says which. */
static struct source_entry *find_or_claim(struct sources *sources, const char *source,
					  const char *epoch, bool *is_new)
{
	uint64_t hash = hash_string(source);
	uint32_t i = table_probe(&sources->table, hash, name_matches, source);
	struct source_entry *entry;

	*is_new = !table_used(&sources->table, i);
	if (!*is_new)
		return table_slot(&sources->table, i);
	if (sources->table.count >= sources->table.max_count) {
		make_room(sources);
		i = table_probe(&sources->table, hash, name_matches, source);
	}
	if (!(entry = table_claim(&sources->table, i, hash)))
		return NULL; /* no memory to grow the table */
	text_copy(entry->name, source, sizeof(entry->name));
	text_copy(entry->epoch, epoch, sizeof(entry->epoch));
	return entry;
}

static enum sources_verdict judge_seq(const struct source_entry *entry, uint64_t seq,
				      const struct sources_session *session, const char *epoch)
{
	if (strcmp(entry->epoch, epoch) != 0)
		return SOURCES_RESTARTED;
	if (seq > entry->last_seq)
		/* a jump is refused even on a connection's first line: taken as a restart, every
		 * later line of the sender's own live connection would be a resend (seq_rejected
		 * tells supervisors; a new epoch restarts the numbering) */
		return seq - entry->last_seq > session->max_jump ? SOURCES_JUMP : SOURCES_NEW;
	if ((session->first_of_connection && entry->last_seq - seq >= session->max_jump) ||
	    session->newer_than_all)
		return SOURCES_RESTARTED;
	return SOURCES_RESEND;
}

enum sources_verdict sources_check(struct sources *sources, const char *source, uint64_t seq,
				   const struct sources_session *session, int64_t ts_ms)
{
	const char *epoch = session->epoch ? session->epoch : "";
	bool is_new;
	struct source_entry *entry = find_or_claim(sources, source, epoch, &is_new);
	if (!entry)
		return SOURCES_NEW; /* no memory to remember the source: its seq is not checked */
	enum sources_verdict verdict = is_new ? SOURCES_NEW : judge_seq(entry, seq, session, epoch);

	if (verdict == SOURCES_RESEND || verdict == SOURCES_JUMP)
		return verdict;
	text_copy(entry->epoch, epoch, sizeof(entry->epoch));
	entry->last_seq = seq;
	if (ts_ms > entry->last_ts_ms)
		entry->last_ts_ms = ts_ms;
	return verdict;
}

bool sources_last_seq(const struct sources *sources, const char *source, uint64_t *seq)
{
	uint32_t i = table_probe(&sources->table, hash_string(source), name_matches, source);

	if (!table_used(&sources->table, i))
		return false;
	*seq = ((const struct source_entry *)table_slot(&sources->table, i))->last_seq;
	return true;
}

uint64_t sources_evicted(const struct sources *sources)
{
	return sources->evicted;
}

const uint64_t *sources_evicted_counter(const struct sources *sources)
{
	return &sources->evicted;
}

void sources_count_moves(struct sources *sources, uint64_t *moves)
{
	sources->moves = moves;
}

int sources_resize(struct sources *sources, uint32_t max_sources, sources_listed_fn listed,
		   void *ctx)
{
	const struct listing listing = { .fn = listed, .ctx = ctx };

	if (listed && sources->table.count > max_sources)
		count_evicted(sources, table_evict_picked(&sources->table, last_heard,
							  sources->table.count - max_sources,
							  not_listed, &listing, NULL, NULL));
	int evicted = table_resize(&sources->table, max_sources, last_heard, NULL, NULL);

	if (evicted < 0)
		return evicted;
	count_evicted(sources, (uint64_t)evicted);
	return 0;
}

/* [string name][string epoch][u64 last seq][i64 last ts ms] */
static void put_source(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct source_entry *source = entry;

	(void)ctx;
	codec_put_string(writer, source->name);
	codec_put_string(writer, source->epoch);
	codec_put_u64(writer, source->last_seq);
	codec_put_i64(writer, source->last_ts_ms);
}

static int get_source(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct source_entry *source = entry;

	(void)ctx;
	codec_get_string(reader, source->name, sizeof(source->name));
	codec_get_string(reader, source->epoch, sizeof(source->epoch));
	source->last_seq = codec_get_u64(reader);
	source->last_ts_ms = codec_get_i64(reader);
	*hash = hash_string(source->name);
	return 0;
}

void sources_save(const struct sources *sources, struct codec_writer *writer)
{
	codec_put_u64(writer, sources->evicted);
	table_save_entries(&sources->table, writer, put_source, NULL);
}

int sources_load(struct sources *sources, struct codec_reader *reader)
{
	sources->evicted = codec_get_u64(reader);
	return table_load_entries(&sources->table, reader, get_source, NULL);
}
