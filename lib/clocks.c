/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "clocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "text.h"

struct clocks {
	struct clocks_source *sources; /* count used, max long */
	uint32_t count;
	uint32_t max;
	uint32_t last_found; /* lines come in runs from one source */
	uint64_t evicted;
};

struct clocks *clocks_new(uint32_t max_sources)
{
	struct clocks *clocks = calloc(1, sizeof(*clocks));

	if (!clocks)
		return NULL;
	clocks->max = max_sources ? max_sources : 1;
	clocks->sources = calloc(clocks->max, sizeof(*clocks->sources));
	if (!clocks->sources) {
		free(clocks);
		return NULL;
	}
	return clocks;
}

void clocks_free(struct clocks *clocks)
{
	if (!clocks)
		return;
	free(clocks->sources);
	free(clocks);
}

/* The source heard of least recently (ties: the first). */
static uint32_t least_recent(const struct clocks *clocks)
{
	uint32_t oldest = 0;

	for (uint32_t i = 1; i < clocks->count; i++)
		if (clocks->sources[i].heard_ms < clocks->sources[oldest].heard_ms)
			oldest = i;
	return oldest;
}

static void forget(struct clocks *clocks, uint32_t i)
{
	clocks->sources[i] = clocks->sources[--clocks->count];
	clocks->evicted++;
}

struct clocks_source *clocks_get(struct clocks *clocks, const char *name)
{
	struct clocks_source *source;

	if (clocks->last_found < clocks->count &&
	    strcmp(clocks->sources[clocks->last_found].name, name) == 0)
		return &clocks->sources[clocks->last_found];
	for (uint32_t i = 0; i < clocks->count; i++)
		if (strcmp(clocks->sources[i].name, name) == 0)
			return &clocks->sources[clocks->last_found = i];
	if (clocks->count == clocks->max)
		forget(clocks, least_recent(clocks));
	source = &clocks->sources[clocks->last_found = clocks->count++];
	memset(source, 0, sizeof(*source));
	text_copy(source->name, name, sizeof(source->name));
	source->newest_ms = INT64_MIN;
	source->heard_ms = INT64_MIN;
	source->future_ms = INT64_MIN;
	source->restarted_ms = INT64_MIN;
	return source;
}

int64_t clocks_newest_other(const struct clocks *clocks, const struct clocks_source *except)
{
	int64_t newest = INT64_MIN;

	for (uint32_t i = 0; i < clocks->count; i++)
		if (&clocks->sources[i] != except && clocks->sources[i].newest_ms > newest)
			newest = clocks->sources[i].newest_ms;
	return newest;
}

bool clocks_fresh(const struct clocks_source *source, int64_t now_ms, int64_t idle_ms)
{
	if (now_ms == INT64_MIN)
		return source->newest_ms != INT64_MIN;
	return source->heard_ms != INT64_MIN && source->heard_ms >= now_ms - idle_ms;
}

/* The newest clock of the fresh sources; INT64_MIN when none is fresh. */
static int64_t lead_ms(const struct clocks *clocks, int64_t now_ms, int64_t idle_ms)
{
	int64_t lead = INT64_MIN;

	for (uint32_t i = 0; i < clocks->count; i++)
		if (clocks->sources[i].newest_ms > lead &&
		    clocks_fresh(&clocks->sources[i], now_ms, idle_ms))
			lead = clocks->sources[i].newest_ms;
	return lead;
}

/* Fresh, and either announced without a clock yet or neither behind the center nor too far
 * behind the lead. */
static bool held_under(const struct clocks_source *source, int64_t lead,
		       const struct clocks_bounds *bounds)
{
	if (!clocks_fresh(source, bounds->now_ms, bounds->idle_ms))
		return false;
	if (source->newest_ms == INT64_MIN)
		return true;
	return source->newest_ms >= bounds->center_ms &&
	       source->newest_ms >= lead - bounds->max_lag_ms;
}

bool clocks_held(const struct clocks *clocks, const struct clocks_source *source,
		 const struct clocks_bounds *bounds)
{
	return held_under(source, lead_ms(clocks, bounds->now_ms, bounds->idle_ms), bounds);
}

int64_t clocks_lag_ms(const struct clocks *clocks, const struct clocks_source *source)
{
	int64_t newest = clocks_newest_other(clocks, NULL);

	if (source->newest_ms == INT64_MIN || newest <= source->newest_ms)
		return 0;
	return newest - source->newest_ms;
}

void clocks_center(const struct clocks *clocks, const struct clocks_bounds *bounds,
		   struct clocks_center *out)
{
	int64_t lead = lead_ms(clocks, bounds->now_ms, bounds->idle_ms);

	memset(out, 0, sizeof(*out));
	out->center_ms = INT64_MAX;
	for (uint32_t i = 0; i < clocks->count; i++) {
		const struct clocks_source *source = &clocks->sources[i];
		if (!held_under(source, lead, bounds))
			continue;
		if (!out->any_held || source->newest_ms < out->center_ms ||
		    (source->newest_ms == out->center_ms &&
		     strcmp(source->name, out->tie_name) < 0)) {
			out->center_ms = source->newest_ms;
			text_copy(out->tie_name, source->name, sizeof(out->tie_name));
		}
		out->any_held = true;
	}
}

size_t clocks_count(const struct clocks *clocks)
{
	return clocks->count;
}

const struct clocks_source *clocks_at(const struct clocks *clocks, size_t i)
{
	return &clocks->sources[i];
}

uint64_t clocks_evicted(const struct clocks *clocks)
{
	return clocks->evicted;
}

int clocks_resize(struct clocks *clocks, uint32_t max_sources)
{
	struct clocks_source *sources;

	if (max_sources == 0)
		max_sources = 1;
	while (clocks->count > max_sources)
		forget(clocks, least_recent(clocks));
	sources = realloc(clocks->sources, (size_t)max_sources * sizeof(*sources));
	if (!sources)
		return -ENOMEM;
	clocks->sources = sources;
	clocks->max = max_sources;
	clocks->last_found = 0;
	return 0;
}

static const struct codec_counter source_counters[] = {
	CODEC_COUNTER_SCALAR(struct clocks_source, lines),
	CODEC_COUNTER_SCALAR(struct clocks_source, events),
	CODEC_COUNTER_SCALAR(struct clocks_source, late),
	CODEC_COUNTER_SCALAR(struct clocks_source, future),
	CODEC_COUNTER_SCALAR(struct clocks_source, too_late),
	CODEC_COUNTER_SCALAR(struct clocks_source, bad_seq),
	CODEC_COUNTER_SCALAR(struct clocks_source, duplicates),
	CODEC_COUNTER_SCALAR(struct clocks_source, restarts),
};

/* [u64 evicted][u32 n] n x ([string name][i64 newest][i64 heard][i64 future][i64 restarted]
 * [counters by name]) */
void clocks_save(const struct clocks *clocks, struct codec_writer *writer)
{
	codec_put_u64(writer, clocks->evicted);
	codec_put_u32(writer, clocks->count);
	for (uint32_t i = 0; i < clocks->count; i++) {
		const struct clocks_source *source = &clocks->sources[i];
		codec_put_string(writer, source->name);
		codec_put_i64(writer, source->newest_ms);
		codec_put_i64(writer, source->heard_ms);
		codec_put_i64(writer, source->future_ms);
		codec_put_i64(writer, source->restarted_ms);
		codec_put_counters(writer, source_counters, CODEC_COUNTER_COUNT(source_counters),
				   source);
	}
}

int clocks_load(struct clocks *clocks, struct codec_reader *reader)
{
	uint32_t count;

	clocks->evicted = codec_get_u64(reader);
	count = codec_get_u32(reader);
	if (reader->failed || count > clocks->max)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		struct clocks_source *source = &clocks->sources[i];
		memset(source, 0, sizeof(*source));
		codec_get_string(reader, source->name, sizeof(source->name));
		source->newest_ms = codec_get_i64(reader);
		source->heard_ms = codec_get_i64(reader);
		source->future_ms = codec_get_i64(reader);
		source->restarted_ms = codec_get_i64(reader);
		if (codec_get_counters(reader, source_counters,
				       CODEC_COUNTER_COUNT(source_counters), source) != 0)
			return -EINVAL;
	}
	clocks->count = count;
	return 0;
}
