/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "health.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"

struct watched_source {
	char name[EVENT_ID_MAX + 1];
	int64_t last_heard_ms;
	bool silent;
	bool named; /* name is a hello's (the engine's clock of it), not a peer's host */
	bool listed; /* named, and sources: lists it (asked when watched and at each reload) */
};

struct health {
	struct health_settings settings;
	health_control_fn control;
	health_open_fn is_open;
	health_clock_fn holds_clock;
	health_listed_fn listed;
	void *ctx;
	struct watched_source *sources;
	uint32_t source_count;
	bool journal_degraded;
	uint64_t logged_evictions[ENGINE_LIMIT_COUNT];
	struct log_limit eviction_log[ENGINE_LIMIT_COUNT];
	uint64_t logged_losses; /* sources forgotten and unwatched, as last logged */
	struct log_limit loss_log;
	struct health_stats stats;
};

struct health *health_new(const struct health_settings *settings, health_control_fn control,
			  health_open_fn is_open, health_clock_fn holds_clock,
			  health_listed_fn listed, void *ctx)
{
	struct health *health = calloc(1, sizeof(*health));

	if (!health)
		return NULL;
	health->control = control;
	health->is_open = is_open;
	health->holds_clock = holds_clock;
	health->listed = listed;
	health->ctx = ctx;
	health->journal_degraded = is_open(ctx, "journal_degraded", "");
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		log_limit_init(&health->eviction_log[i], settings->log_interval_seconds,
			       engine_limit_key(i));
	log_limit_init(&health->loss_log, settings->log_interval_seconds, "feed-silence watch");
	if (health_update(health, settings) < 0) {
		free(health);
		return NULL;
	}
	return health;
}

void health_free(struct health *health)
{
	if (!health)
		return;
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		log_limit_flush(&health->eviction_log[i]);
	log_limit_flush(&health->loss_log);
	free(health->sources);
	free(health);
}

static void announce_silence(struct health *health, const struct watched_source *source,
			     bool firing, const char *reason);

/* Does sources: list the watched source (a connection without a hello's host never is)? */
static bool is_listed(const struct health *health, const char *name, bool named)
{
	return named && health->listed && health->listed(health->ctx, name);
}

/* The source heard of least recently (ties: the first) of those sources: lists (listed) or
 * does not, and not silent when awake_only; UINT32_MAX when there is none. */
static uint32_t least_recent(const struct health *health, bool listed, bool awake_only)
{
	uint32_t oldest = UINT32_MAX;

	for (uint32_t i = 0; i < health->source_count; i++) {
		const struct watched_source *source = &health->sources[i];
		if (source->listed == listed && !(awake_only && source->silent) &&
		    (oldest == UINT32_MAX ||
		     source->last_heard_ms < health->sources[oldest].last_heard_ms))
			oldest = i;
	}
	return oldest;
}

/* Watch at most max sources (a reload made feed.max_sources smaller): the ones heard of least
 * recently go first, of those the new sources: does not list, then of the listed ones, as the
 * engine forgets its clocks; a silent one's feed_silent is resolved, saying why (nothing else
 * would: it is no longer watched). */
static void keep_sources(struct health *health, uint32_t max)
{
	char reason[CONTROL_REASON_MAX + 1];

	snprintf(reason, sizeof(reason),
		 "feed.max_sources %" PRIu32 " reached (a reload made it smaller)", max);
	while (health->source_count > max) {
		uint32_t oldest = least_recent(health, false, false);
		if (oldest == UINT32_MAX)
			oldest = least_recent(health, true, false);
		struct watched_source gone = health->sources[oldest];
		health->sources[oldest] = health->sources[--health->source_count];
		health->stats.sources_forgotten++;
		if (gone.silent && health->is_open(health->ctx, "feed_silent", gone.name))
			announce_silence(health, &gone, false, reason);
	}
	health->stats.sources = health->source_count;
}

int health_update(struct health *health, const struct health_settings *settings)
{
	uint32_t max = settings->max_sources ? settings->max_sources : 1;
	struct watched_source *sources;

	for (uint32_t i = 0; i < health->source_count; i++)
		health->sources[i].listed =
			is_listed(health, health->sources[i].name, health->sources[i].named);
	if (health->source_count > max)
		keep_sources(health, max);
	sources = realloc(health->sources, max * sizeof(*sources));
	if (sources)
		health->sources = sources;
	else if (max > health->settings.max_sources)
		return -ENOMEM; /* shrinking without the memory to: the larger array is kept */
	health->settings = *settings;
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		health->eviction_log[i].interval_seconds = settings->log_interval_seconds;
	health->loss_log.interval_seconds = settings->log_interval_seconds;
	return 0;
}

/* The key of a connection without a name: its peer's host ("10.1.2.3:4100" -> "10.1.2.3",
 * "[::1]:4100" -> "[::1]"). */
static void source_key(const char *source, const char *peer, char *out, size_t size)
{
	const char *colon;

	if (source && source[0]) {
		text_copy(out, source, size);
		return;
	}
	colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);
	if (len >= size)
		len = size - 1;
	memcpy(out, peer, len);
	out[len] = '\0';
}

/* reason: a resolved one's, when it no longer watched (else NULL: it sends again). */
static void announce_silence(struct health *health, const struct watched_source *source,
			     bool firing, const char *reason)
{
	struct control control = {.kind = CONTROL_FEED_SILENT, .firing = firing,
				  .seconds = health->settings.silence_seconds};

	text_copy(control.source, source->name, sizeof(control.source));
	text_copy(control.reason, reason ? reason : "", sizeof(control.reason));
	if (reason)
		log_msg(LOG_NOTICE, "feed source %s: no longer watched for silence: %s",
			source->name, reason);
	else
		log_msg(firing ? LOG_WARNING : LOG_NOTICE,
			firing ? "feed source %s: nothing for %" PRIu32 " s"
			       : "feed source %s: sending again",
			source->name, health->settings.silence_seconds);
	health->control(health->ctx, &control);
}

/* Room for one more source (listed: one sources: lists): the one heard of least recently that
 * is not silent goes, of those sources: does not list; of the listed ones only for a listed
 * source, so that invented names cannot push a configured CAD out of the watch. */
static struct watched_source *claim_source(struct health *health, bool listed)
{
	uint32_t oldest;

	if (health->source_count < health->settings.max_sources)
		return &health->sources[health->source_count++];
	oldest = least_recent(health, false, true);
	if (oldest == UINT32_MAX && listed)
		oldest = least_recent(health, true, true);
	if (oldest == UINT32_MAX) {
		health->stats.sources_unwatched++;
		return NULL;
	}
	health->stats.sources_forgotten++;
	return &health->sources[oldest];
}

/* source heard at now_ms; watched from now on when claim. */
static void hear(struct health *health, const char *source, const char *peer, int64_t now_ms,
		 bool claim)
{
	char name[EVENT_ID_MAX + 1];
	struct watched_source *watched = NULL;

	source_key(source, peer, name, sizeof(name));
	for (uint32_t i = 0; i < health->source_count && !watched; i++)
		if (strcmp(health->sources[i].name, name) == 0)
			watched = &health->sources[i];
	if (!watched && !claim)
		return;
	if (!watched) {
		bool named = source && source[0], listed = is_listed(health, name, named);
		if (!(watched = claim_source(health, listed)))
			return;
		memcpy(watched->name, name, sizeof(watched->name));
		watched->named = named;
		watched->listed = listed;
		watched->silent = health->is_open(health->ctx, "feed_silent", name);
		health->stats.sources = health->source_count;
	}
	watched->last_heard_ms = now_ms;
	if (watched->silent) {
		watched->silent = false;
		announce_silence(health, watched, false, NULL);
	}
}

void health_heard(struct health *health, const char *source, const char *peer, int64_t now_ms)
{
	hear(health, source, peer, now_ms, false);
}

void health_admitted(struct health *health, const char *source, const char *peer,
		     int64_t now_ms)
{
	hear(health, source, peer, now_ms, true);
}

/* A silent named source whose clock the engine forgot (feed.max_sources) before it went silent:
 * its feed_silent resolved, saying why (the engine ended it only had it been open then), and
 * true: no longer watched (watched again from its next line, as a new source). */
static bool resolve_forgotten(struct health *health, const struct watched_source *source)
{
	char reason[CONTROL_REASON_MAX + 1];

	if (!source->silent || !source->named || !health->holds_clock ||
	    health->holds_clock(health->ctx, source->name))
		return false;
	snprintf(reason, sizeof(reason),
		 "cadmon forgot its clock before it went silent (feed.max_sources %" PRIu32
		 " reached)",
		 health->settings.max_sources);
	announce_silence(health, source, false, reason);
	return true;
}

static void check_silences(struct health *health, int64_t now_ms)
{
	int64_t silence_ms = (int64_t)health->settings.silence_seconds * 1000;

	health->stats.silent = 0;
	for (uint32_t i = 0; i < health->source_count;) {
		struct watched_source *source = &health->sources[i];
		if (source->silent && !health->is_open(health->ctx, "feed_silent", source->name)) {
			/* its alert ended without it (the engine forgot its clock for
			 * feed.max_sources): watched again from its next line, if one comes */
			*source = health->sources[--health->source_count];
			continue;
		}
		i++;
		if (!source->silent && silence_ms > 0 &&
		    now_ms - source->last_heard_ms >= silence_ms) {
			source->silent = true;
			health->stats.silences++;
			announce_silence(health, source, true, NULL);
		}
		if (resolve_forgotten(health, source)) {
			*source = health->sources[--health->source_count];
			i--;
			continue;
		}
		health->stats.silent += source->silent;
	}
	health->stats.sources = health->source_count;
}

static void check_journal(struct health *health, bool degraded, const char *reason)
{
	struct control control = {.kind = CONTROL_JOURNAL_DEGRADED, .firing = degraded};

	if (degraded == health->journal_degraded)
		return;
	health->journal_degraded = health->stats.journal_degraded = degraded;
	text_copy(control.reason, degraded && reason ? reason : "", sizeof(control.reason));
	health->control(health->ctx, &control);
}

/* A table evicting is logged (rate-limited) with the key to raise, or its advice. */
static void log_evictions(struct health *health, const struct engine_stats *stats)
{
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++) {
		uint64_t evicted = engine_limit_evicted(stats, i);
		if (evicted <= health->logged_evictions[i])
			continue;
		char advice[ENGINE_LIMIT_ADVICE_MAX];
		engine_limit_advice(i, advice, sizeof(advice));
		log_limited(&health->eviction_log[i], LOG_WARNING,
			    "%s reached: %" PRIu64 " evicted so far; %s", engine_limit_key(i),
			    evicted, advice);
		health->logged_evictions[i] = evicted;
	}
}

/* Sources the full watch list forgot or could not watch: logged (rate-limited). */
static void log_losses(struct health *health)
{
	uint64_t lost = health->stats.sources_forgotten + health->stats.sources_unwatched;

	if (lost <= health->logged_losses)
		return;
	log_limited(&health->loss_log, LOG_WARNING,
		    "feed-silence watch full (feed.max_sources %" PRIu32 "): %" PRIu64
		    " sources forgotten, %" PRIu64 " not watched so far; their silence raises "
		    "no feed_silent; raise feed.max_sources",
		    health->settings.max_sources, health->stats.sources_forgotten,
		    health->stats.sources_unwatched);
	health->logged_losses = lost;
}

void health_tick(struct health *health, int64_t now_ms, bool journal_degraded,
		 const char *degraded_reason, const struct engine_stats *stats)
{
	check_silences(health, now_ms);
	check_journal(health, journal_degraded, degraded_reason);
	log_evictions(health, stats);
	log_losses(health);
}

void health_status_text(const struct health *health, const struct engine_stats *stats, char *out,
			size_t size)
{
	size_t used = 0;

	(void)health;
	out[0] = '\0';
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT && used < size; i++) {
		uint64_t evicted = engine_limit_evicted(stats, i);
		if (evicted == 0)
			continue;
		int n = snprintf(out + used, size - used, "%s%s %" PRIu64,
				 used ? ", " : "evicting: ", engine_limit_key(i), evicted);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

const struct health_stats *health_stats(const struct health *health)
{
	return &health->stats;
}
