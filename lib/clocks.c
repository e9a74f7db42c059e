/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "clocks.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "invariant.h"
#include "moves.h"
#include "text.h"

/* Debug builds (unoptimized, asserts on) check every kept center against a full pass. */
#if !defined(NDEBUG) && !defined(__OPTIMIZE__)
#define CLOCKS_CHECK_CENTER 1
#else
#define CLOCKS_CHECK_CENTER 0
#endif

#define NONE UINT32_MAX
#define CHANGED_MAX 4
#define CLOCKS_KEEP_FROM 4 /* sources: with fewer, clocks_center makes a pass over them */

struct clocks_key {
	uint32_t rank;
	uint32_t hash;
};

/* The low 32 bits of the name's hash_string: enough to skip most strcmp calls. */
static uint32_t name_hash(const char *name)
{
	return (uint32_t)hash_string(name);
}

/*
 * The center as last computed, and what it was computed from (issue 17): clocks_center keeps
 * it while no input that could change it moved, and otherwise looks only at the sources
 * clocks_get handed out since (the engine writes a source's clocks through that pointer, right
 * after the lookup). With the oldest held source it keeps the runner-up, which takes the
 * oldest's place when that one moves on. It makes a pass over every source when the bounds
 * changed other than the host clock and the center moving forward, when a fresh source may
 * have gone stale, when the center or the lead's floor passed the oldest held clock, when the
 * lead source moved back or went stale, when the oldest left its place while the runner-up was
 * not known (it moved on, or was passed), when a source was forgotten, and with fewer than
 * CLOCKS_KEEP_FROM sources.
 */
struct clocks_kept {
	bool valid;
	struct clocks_bounds bounds; /* those of the last call */
	int64_t lead;       /* newest clock of the fresh sources (INT64_MIN: none) */
	uint32_t lead_i;    /* its source (NONE: no fresh source) */
	int64_t best_ms;    /* the center: the oldest clock of the held sources */
	uint32_t best;      /* its source (NONE: nothing held) */
	int64_t second_ms;  /* the runner-up: the oldest of the other held sources */
	uint32_t second;    /* its source (NONE: no other held source) */
	bool second_known;  /* false: the runner-up moved and the next one is not known */
	int64_t min_heard;  /* at most the oldest heard_ms of the fresh sources (host clock) */
	int64_t min_behind; /* at most the oldest behind_since_ms of the fresh sources */
	uint32_t changed[CHANGED_MAX]; /* sources handed out since the last call */
	uint32_t n_changed; /* CHANGED_MAX + 1: more than fit */
};

struct clocks {
	struct clocks_source *sources; /* count used, max long */
	uint32_t count;
	uint32_t max;
	uint32_t last_found; /* lines come in runs from one source */
	uint64_t evicted;
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
	/* keys[i] of sources[i]: its name's rank (how many names are strcmp-less), so that the
	 * center's tie between equal clocks compares two integers, not two names; and its name's
	 * hash, so that the lookup compares names only when the hashes match. Kept incrementally
	 * on add and forget (both already O(count)); rebuilt after a load. */
	struct clocks_key *keys;
	struct clocks_kept kept;
	/* The newest clock of all and the source holding it (newest_i), when newest_valid: what
	 * clocks_newest_other gives for every other source without a pass over them (issue 17).
	 * Kept by clocks_newest_moved; a source removed or moved, or a load, makes it invalid,
	 * and the next clocks_newest_moved takes it again from a pass. */
	int64_t newest_ms;
	uint32_t newest_i;
	bool newest_valid;
	clocks_forget_fn on_forget; /* told of a source forgotten to make room (NULL: none) */
	void *forget_ctx;
	clocks_listed_fn listed; /* kept before the others when room is made (NULL: none) */
	void *listed_ctx;
};

struct clocks *clocks_new(uint32_t max_sources)
{
	struct clocks *clocks = calloc(1, sizeof(*clocks));

	if (!clocks)
		return NULL;
	clocks->max = max_sources ? max_sources : 1;
	clocks->sources = calloc(clocks->max, sizeof(*clocks->sources));
	clocks->keys = calloc(clocks->max, sizeof(*clocks->keys));
	if (!clocks->sources || !clocks->keys) {
		free(clocks->sources);
		free(clocks->keys);
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
	free(clocks->keys);
	free(clocks);
}

/* The source to forget to make room: the one heard of least recently among those listed (NULL:
 * none) does not list, or among all when every one is listed (ties: the first). O(count) and
 * the listed look-ups: only when full. */
static uint32_t least_recent(const struct clocks *clocks, clocks_listed_fn listed, void *ctx)
{
	uint32_t oldest = 0, unlisted = UINT32_MAX;

	for (uint32_t i = 0; i < clocks->count; i++) {
		int64_t heard_ms = clocks->sources[i].heard_ms;

		if (heard_ms < clocks->sources[oldest].heard_ms)
			oldest = i;
		if ((unlisted == UINT32_MAX || heard_ms < clocks->sources[unlisted].heard_ms) &&
		    !(listed && listed(clocks->sources[i].name, ctx)))
			unlisted = i;
	}
	return unlisted != UINT32_MAX ? unlisted : oldest;
}

/* Remove source i (the last takes its place). */
static void remove_at(struct clocks *clocks, uint32_t i)
{
	uint32_t gone = clocks->keys[i].rank;

	for (uint32_t j = 0; j < clocks->count; j++)
		if (clocks->keys[j].rank > gone)
			clocks->keys[j].rank--;
	clocks->count--;
	clocks->sources[i] = clocks->sources[clocks->count];
	clocks->keys[i] = clocks->keys[clocks->count];
	clocks->kept.valid = false; /* a source moved to another index */
	clocks->newest_valid = false;
	if (clocks->last_found >= clocks->count)
		clocks->last_found = 0;
}

void clocks_set_forget(struct clocks *clocks, clocks_forget_fn fn, void *ctx)
{
	clocks->on_forget = fn;
	clocks->forget_ctx = ctx;
}

void clocks_set_listed(struct clocks *clocks, clocks_listed_fn fn, void *ctx)
{
	clocks->listed = fn;
	clocks->listed_ctx = ctx;
}

/* Forget source i to make room (counted), told to the forget function when tell. */
static void forget(struct clocks *clocks, uint32_t i, bool tell)
{
	if (tell && clocks->on_forget)
		clocks->on_forget(&clocks->sources[i], clocks->forget_ctx);
	remove_at(clocks, i);
	clocks->evicted++;
	moves_add(clocks->moves, 1);
}

/* Source i was handed out: its clocks may change before the next clocks_center. */
static void note_changed(struct clocks *clocks, uint32_t i)
{
	struct clocks_kept *kept = &clocks->kept;

	if (kept->n_changed > 0 && kept->n_changed <= CHANGED_MAX &&
	    kept->changed[kept->n_changed - 1] == i)
		return;
	if (kept->n_changed < CHANGED_MAX)
		kept->changed[kept->n_changed] = i;
	if (kept->n_changed <= CHANGED_MAX)
		kept->n_changed++;
}

/* Rank and hash the source just appended at index last. */
static void rank_added(struct clocks *clocks, uint32_t last)
{
	uint32_t less = 0;

	for (uint32_t j = 0; j < last; j++) {
		int cmp = strcmp(clocks->sources[j].name, clocks->sources[last].name);
		if (cmp < 0)
			less++;
		else if (cmp > 0)
			clocks->keys[j].rank++;
	}
	clocks->keys[last].rank = less;
	clocks->keys[last].hash = name_hash(clocks->sources[last].name);
}

static int by_name(const void *a, const void *b)
{
	const struct clocks_source *const *x = a;
	const struct clocks_source *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Rank every source afresh (after a load). 0 or -ENOMEM. */
static int rank_all(struct clocks *clocks)
{
	const struct clocks_source **order;

	if (clocks->count == 0)
		return 0;
	order = malloc((size_t)clocks->count * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (uint32_t i = 0; i < clocks->count; i++)
		order[i] = &clocks->sources[i];
	qsort(order, clocks->count, sizeof(*order), by_name);
	for (uint32_t k = 0; k < clocks->count; k++) {
		size_t i = (size_t)(order[k] - clocks->sources);
		if (k > 0 && strcmp(order[k - 1]->name, order[k]->name) == 0)
			clocks->keys[i].rank = clocks->keys[order[k - 1] - clocks->sources].rank;
		else
			clocks->keys[i].rank = k;
		clocks->keys[i].hash = name_hash(order[k]->name);
	}
	free(order);
	return 0;
}

struct clocks_source *clocks_get(struct clocks *clocks, const char *name)
{
	struct clocks_source *source;
	uint32_t hash;

	if (clocks->last_found < clocks->count &&
	    text_equal(clocks->sources[clocks->last_found].name, name)) {
		note_changed(clocks, clocks->last_found);
		return &clocks->sources[clocks->last_found];
	}
	hash = name_hash(name);
	for (uint32_t i = 0; i < clocks->count; i++)
		if (clocks->keys[i].hash == hash && strcmp(clocks->sources[i].name, name) == 0) {
			note_changed(clocks, i);
			return &clocks->sources[clocks->last_found = i];
		}
	if (clocks->count == clocks->max)
		forget(clocks, least_recent(clocks, clocks->listed, clocks->listed_ctx), true);
	source = &clocks->sources[clocks->last_found = clocks->count++];
	memset(source, 0, sizeof(*source));
	text_copy(source->name, name, sizeof(source->name));
	source->newest_ms = INT64_MIN;
	source->heard_ms = INT64_MIN;
	source->since_ms = INT64_MIN;
	source->future_ms = INT64_MIN;
	source->restarted_ms = INT64_MIN;
	source->behind_ms = INT64_MIN;
	source->behind_since_ms = INT64_MIN;
	source->refused_since_ms = INT64_MIN;
	source->too_late_ms = INT64_MIN;
	rank_added(clocks, clocks->last_found);
	note_changed(clocks, clocks->last_found);
	return source;
}

/* The index of the source named name; clocks->count when there is none. */
static uint32_t index_of(const struct clocks *clocks, const char *name)
{
	uint32_t i = 0;

	while (i < clocks->count && strcmp(clocks->sources[i].name, name) != 0)
		i++;
	return i;
}

const struct clocks_source *clocks_find(const struct clocks *clocks, const char *name)
{
	uint32_t i = index_of(clocks, name);

	return i < clocks->count ? &clocks->sources[i] : NULL;
}

bool clocks_drop(struct clocks *clocks, const char *name)
{
	uint32_t i = index_of(clocks, name);

	if (i == clocks->count)
		return false;
	remove_at(clocks, i);
	return true;
}

void clocks_heard(struct clocks_source *source, int64_t heard_ms)
{
	source->heard_ms = heard_ms;
	if (source->newest_ms == INT64_MIN && source->since_ms == INT64_MIN)
		source->since_ms = heard_ms;
}

void clocks_newest_moved(struct clocks *clocks, const struct clocks_source *source)
{
	uint32_t i = (uint32_t)(source - clocks->sources);

	if (!clocks->newest_valid) {
		clocks->newest_ms = INT64_MIN;
		clocks->newest_i = 0;
		for (uint32_t k = 0; k < clocks->count; k++)
			if (clocks->sources[k].newest_ms > clocks->newest_ms) {
				clocks->newest_ms = clocks->sources[k].newest_ms;
				clocks->newest_i = k;
			}
		clocks->newest_valid = true;
	} else if (source->newest_ms > clocks->newest_ms) {
		clocks->newest_ms = source->newest_ms;
		clocks->newest_i = i;
	}
}

int64_t clocks_newest_other(const struct clocks *clocks, const struct clocks_source *except)
{
	int64_t newest = INT64_MIN;

	/* The newest of all, held by another source (a tie with except's own is the same ts). */
	if (clocks->newest_valid && clocks->newest_i < clocks->count &&
	    &clocks->sources[clocks->newest_i] != except)
		return clocks->newest_ms;
	for (uint32_t i = 0; i < clocks->count; i++)
		if (&clocks->sources[i] != except && clocks->sources[i].newest_ms > newest)
			newest = clocks->sources[i].newest_ms;
	return newest;
}

int64_t clocks_oldest(const struct clocks *clocks, int64_t from_ms)
{
	int64_t oldest = INT64_MAX;

	for (uint32_t i = 0; i < clocks->count; i++)
		if (clocks->sources[i].newest_ms != INT64_MIN &&
		    clocks->sources[i].newest_ms >= from_ms &&
		    clocks->sources[i].newest_ms < oldest)
			oldest = clocks->sources[i].newest_ms;
	return oldest;
}

/* The host time freshness is measured from: the last line's, or for a source without a clock
 * its first sight's, so that heartbeats alone do not keep it fresh for ever (audit F1). */
static int64_t fresh_from(const struct clocks_source *source)
{
	return source->newest_ms == INT64_MIN ? source->since_ms : source->heard_ms;
}

bool clocks_fresh(const struct clocks_source *source, int64_t now_ms, int64_t idle_ms)
{
	if (now_ms == INT64_MIN)
		return source->newest_ms != INT64_MIN;
	return fresh_from(source) != INT64_MIN && fresh_from(source) >= now_ms - idle_ms;
}

/* Counts for the center: fresh, and (with a host clock) not behind for more than
 * max_behind_ms of host time (audit F2). */
static bool counts(const struct clocks_source *source, const struct clocks_bounds *bounds)
{
	if (!clocks_fresh(source, bounds->now_ms, bounds->idle_ms))
		return false;
	return bounds->now_ms == INT64_MIN || bounds->max_behind_ms <= 0 ||
	       source->behind_since_ms == INT64_MIN ||
	       source->behind_since_ms >= bounds->now_ms - bounds->max_behind_ms;
}

/* The newest clock of the sources that count; INT64_MIN when none does. */
static int64_t lead_ms(const struct clocks *clocks, const struct clocks_bounds *bounds)
{
	int64_t lead = INT64_MIN;

	for (uint32_t i = 0; i < clocks->count; i++)
		if (clocks->sources[i].newest_ms > lead && counts(&clocks->sources[i], bounds))
			lead = clocks->sources[i].newest_ms;
	return lead;
}

/* Counts for the center, and either announced without a clock yet or neither behind the
 * center nor too far behind the lead. */
static bool held_under(const struct clocks_source *source, int64_t lead,
		       const struct clocks_bounds *bounds)
{
	if (!counts(source, bounds))
		return false;
	if (source->newest_ms == INT64_MIN)
		return true;
	return source->newest_ms >= bounds->center_ms &&
	       source->newest_ms >= lead - bounds->max_lag_ms;
}

bool clocks_held(const struct clocks *clocks, const struct clocks_source *source,
		 const struct clocks_bounds *bounds)
{
	return held_under(source, lead_ms(clocks, bounds), bounds);
}

int64_t clocks_lag_ms(const struct clocks *clocks, const struct clocks_source *source)
{
	int64_t newest = clocks_newest_other(clocks, NULL);

	if (source->newest_ms == INT64_MIN || newest <= source->newest_ms)
		return 0;
	return newest - source->newest_ms;
}

/* Fresh (clocks_fresh), the threshold computed once: stale_before = now_ms - idle_ms. */
#define FRESH(s)                                                                                   \
	(host ? fresh_from(s) != INT64_MIN && fresh_from(s) >= stale_before &&                     \
			((s)->behind_since_ms == INT64_MIN ||                                      \
			 (s)->behind_since_ms >= behind_before)                                    \
	      : (s)->newest_ms != INT64_MIN)

/* The host time before which a source behind since then counts no more (INT64_MIN: no such
 * bound). */
static int64_t behind_before_of(const struct clocks_bounds *bounds)
{
	if (bounds->now_ms == INT64_MIN || bounds->max_behind_ms <= 0)
		return INT64_MIN;
	return bounds->now_ms - bounds->max_behind_ms;
}

/* Does clock ms of the source ranked rank come before clock ms2 of the one ranked rank2? */
static bool before(int64_t ms, uint32_t rank, int64_t ms2, uint32_t rank2)
{
	return ms < ms2 || (ms == ms2 && rank < rank2);
}

/* Offer held source i (clock ms) for the oldest and the runner-up. */
static void offer(const struct clocks *clocks, struct clocks_kept *kept, uint32_t i, int64_t ms)
{
	const struct clocks_key *keys = clocks->keys;

	if (kept->best == NONE || before(ms, keys[i].rank, kept->best_ms, keys[kept->best].rank)) {
		kept->second = kept->best;
		kept->second_ms = kept->best_ms;
		kept->best = i;
		kept->best_ms = ms;
	} else if (kept->second == NONE ||
		   before(ms, keys[i].rank, kept->second_ms, keys[kept->second].rank)) {
		kept->second = i;
		kept->second_ms = ms;
	}
}

/*
 * The same result as held_under() for every source, the tie between equal clocks broken by
 * name (strcmp), with freshness's threshold computed once and names compared by their rank
 * (issue 17). One pass finds the lead and the oldest two of the fresh sources not behind the
 * center; the held sources are those of them also within max_lag of the lead, so when both
 * are (the usual case) they are the answer, and only when one lags further does a second pass
 * look again with the lead known. Kept in kept, with the lead's source and the oldest
 * heard time of the fresh sources.
 */
static void center_full(const struct clocks *clocks, const struct clocks_bounds *bounds,
			struct clocks_kept *kept)
{
	const struct clocks_source *sources = clocks->sources;
	bool host = bounds->now_ms != INT64_MIN;
	int64_t stale_before = host ? bounds->now_ms - bounds->idle_ms : 0;
	int64_t behind_before = behind_before_of(bounds);

	kept->valid = true;
	kept->bounds = *bounds;
	kept->lead = INT64_MIN;
	kept->lead_i = NONE;
	kept->min_heard = INT64_MAX;
	kept->min_behind = INT64_MAX;
	kept->best = kept->second = NONE;
	kept->best_ms = kept->second_ms = INT64_MAX;
	kept->second_known = true;
	for (uint32_t i = 0; i < clocks->count; i++) {
		int64_t ms = sources[i].newest_ms;
		if (!FRESH(&sources[i]))
			continue;
		if (host && fresh_from(&sources[i]) < kept->min_heard)
			kept->min_heard = fresh_from(&sources[i]);
		if (host && sources[i].behind_since_ms != INT64_MIN &&
		    sources[i].behind_since_ms < kept->min_behind)
			kept->min_behind = sources[i].behind_since_ms;
		if (ms > kept->lead) {
			kept->lead = ms;
			kept->lead_i = i;
		}
		if (ms > kept->second_ms || (ms != INT64_MIN && ms < bounds->center_ms))
			continue;
		offer(clocks, kept, i, ms);
	}
	/* A fresh source with a clock means lead >= its clock > INT64_MIN. The runner-up (after a
	 * source without a clock) may lag when the oldest does not. */
	if ((kept->best != NONE && kept->best_ms != INT64_MIN &&
	     kept->best_ms < kept->lead - bounds->max_lag_ms) ||
	    (kept->second != NONE && kept->second_ms != INT64_MIN &&
	     kept->second_ms < kept->lead - bounds->max_lag_ms)) {
		int64_t floor = kept->lead - bounds->max_lag_ms;
		kept->best = kept->second = NONE;
		kept->best_ms = kept->second_ms = INT64_MAX;
		for (uint32_t i = 0; i < clocks->count; i++) {
			int64_t ms = sources[i].newest_ms;
			if (ms > kept->second_ms || !FRESH(&sources[i]))
				continue;
			if (ms != INT64_MIN && (ms < bounds->center_ms || ms < floor))
				continue;
			offer(clocks, kept, i, ms);
		}
	}
}

/* The oldest held source left its place (moved on, or is held no more): the runner-up takes
 * it, unless i, still held at clock ms, comes before the runner-up. False: not known. */
static bool best_moved(const struct clocks *clocks, struct clocks_kept *kept, uint32_t i,
		       bool held, int64_t ms)
{
	const struct clocks_key *keys = clocks->keys;

	if (!kept->second_known)
		return false;
	if (held && (kept->second == NONE ||
		     before(ms, keys[i].rank, kept->second_ms, keys[kept->second].rank))) {
		kept->best_ms = ms;
		return true;
	}
	kept->best = kept->second;
	kept->best_ms = kept->second_ms;
	kept->second = NONE;
	kept->second_ms = INT64_MAX;
	/* The next one is i or one not looked at; with nothing else held, nothing is. */
	kept->second_known = kept->best == NONE;
	return true;
}

/* Source i may have moved since the kept center: take it in. False when only a full pass can
 * tell (the lead moved back or went stale, the lead's floor passed the oldest held clock, the
 * oldest held source left its place while the runner-up was not known). */
static bool take_moved(struct clocks *clocks, uint32_t i, bool host, int64_t stale_before,
		       int64_t behind_before)
{
	struct clocks_kept *kept = &clocks->kept;
	const struct clocks_key *keys = clocks->keys;
	const struct clocks_source *source;
	int64_t ms, floor;
	bool fresh, held;

	if (i >= clocks->count)
		return false;
	source = &clocks->sources[i];
	ms = source->newest_ms;
	fresh = FRESH(source);
	if (fresh && host && fresh_from(source) < kept->min_heard)
		kept->min_heard = fresh_from(source);
	if (fresh && host && source->behind_since_ms != INT64_MIN &&
	    source->behind_since_ms < kept->min_behind)
		kept->min_behind = source->behind_since_ms;
	if (i == kept->lead_i) {
		if (!fresh || ms < kept->lead)
			return false;
		kept->lead = ms;
	} else if (fresh && ms > kept->lead) {
		kept->lead = ms;
		kept->lead_i = i;
	}
	floor = kept->lead == INT64_MIN ? INT64_MIN : kept->lead - kept->bounds.max_lag_ms;
	if (kept->best != NONE && kept->best_ms != INT64_MIN && kept->best_ms < floor)
		return false;
	if (kept->second != NONE && kept->second_ms != INT64_MIN && kept->second_ms < floor)
		kept->second_known = false;
	held = fresh && (ms == INT64_MIN || (ms >= kept->bounds.center_ms && ms >= floor));
	if (i == kept->best)
		return (held && ms == kept->best_ms) || best_moved(clocks, kept, i, held, ms);
	if (kept->second_known && i == kept->second) {
		if (held && ms <= kept->second_ms &&
		    !before(ms, keys[i].rank, kept->best_ms, keys[kept->best].rank)) {
			kept->second_ms = ms; /* still the runner-up */
			return true;
		}
		kept->second_known = false; /* it moved on, or is held no more */
		kept->second = NONE;
		kept->second_ms = INT64_MAX;
	}
	/* Neither before: whatever it was, only where it is now can matter. */
	if (!held)
		return true;
	if (kept->best == NONE || before(ms, keys[i].rank, kept->best_ms, keys[kept->best].rank)) {
		kept->second = kept->best; /* the oldest of the others */
		kept->second_ms = kept->best_ms;
		kept->second_known = true;
		kept->best = i;
		kept->best_ms = ms;
	} else if (kept->second_known &&
		   (kept->second == NONE ||
		    before(ms, keys[i].rank, kept->second_ms, keys[kept->second].rank))) {
		kept->second = i;
		kept->second_ms = ms;
	}
	return true;
}

/* Bring the kept center to bounds and to the sources handed out since; false when only a full
 * pass can tell. The host clock and the center only move forward in between. */
static bool center_kept(struct clocks *clocks, const struct clocks_bounds *bounds)
{
	struct clocks_kept *kept = &clocks->kept;
	const struct clocks_bounds *was = &kept->bounds;
	bool host = bounds->now_ms != INT64_MIN;
	int64_t stale_before = host ? bounds->now_ms - bounds->idle_ms : 0;
	int64_t behind_before = behind_before_of(bounds);

	if (!kept->valid || kept->n_changed > CHANGED_MAX || bounds->idle_ms != was->idle_ms ||
	    bounds->max_lag_ms != was->max_lag_ms || bounds->max_behind_ms != was->max_behind_ms ||
	    host != (was->now_ms != INT64_MIN) ||
	    bounds->now_ms < was->now_ms || bounds->center_ms < was->center_ms)
		return false;
	if (host && (stale_before > kept->min_heard || behind_before > kept->min_behind))
		return false; /* a fresh source may have gone stale, or been behind too long */
	if (kept->best != NONE && kept->best_ms != INT64_MIN && kept->best_ms < bounds->center_ms)
		return false; /* the center passed the oldest held clock */
	if (kept->second != NONE && kept->second_ms != INT64_MIN &&
	    kept->second_ms < bounds->center_ms)
		kept->second_known = false;
	/* Only these two can differ here. Field by field: the caller has just stored *bounds
	 * 8 bytes at a time, and a 16-byte copy of it would wait for those stores to land. */
	kept->bounds.now_ms = bounds->now_ms;
	kept->bounds.center_ms = bounds->center_ms;
	for (uint32_t k = 0; k < kept->n_changed; k++)
		if (!take_moved(clocks, kept->changed[k], host, stale_before, behind_before))
			return false;
	return true;
}

/* The same source, by clock and name (names are unique but after a load). */
static bool same_place(const struct clocks *clocks, uint32_t a, int64_t a_ms, uint32_t b,
		       int64_t b_ms)
{
	if (a == NONE || b == NONE)
		return a == b;
	return a_ms == b_ms && strcmp(clocks->sources[a].name, clocks->sources[b].name) == 0;
}

/* The kept center (and runner-up, when known) is what a full pass gives (debug builds). */
static void check_kept(struct clocks *clocks, const struct clocks_bounds *bounds)
{
	const struct clocks_kept *kept = &clocks->kept;
	struct clocks_kept full;

	center_full(clocks, bounds, &full);
	if (INVARIANT_FAILS(same_place(clocks, full.best, full.best_ms, kept->best,
				       kept->best_ms) &&
			    (!kept->second_known ||
			     same_place(clocks, full.second, full.second_ms, kept->second,
					kept->second_ms))))
		clocks->kept = full;
}

/*
 * center_full's center of a single source (one feed; a journal's replay), found without a pass
 * or keeping it: the source is held when fresh, unless it has a clock that the center has
 * passed or that lags its own (a max_lag below 0), as center_full's one offer and lag check
 * decide.
 */
static void center_one(const struct clocks *clocks, const struct clocks_bounds *bounds,
		       struct clocks_center *out)
{
	const struct clocks_source *source = &clocks->sources[0];
	bool host = bounds->now_ms != INT64_MIN;
	int64_t stale_before = host ? bounds->now_ms - bounds->idle_ms : 0;
	int64_t behind_before = behind_before_of(bounds);
	int64_t ms = source->newest_ms;

	out->any_held = FRESH(source) && (ms == INT64_MIN || (ms >= bounds->center_ms &&
							       ms >= ms - bounds->max_lag_ms));
	out->center_ms = out->any_held ? ms : INT64_MAX;
	out->tie_name = out->any_held ? source->name : "";
}

/* center_one's center is center_full's (debug builds). */
static void check_one(const struct clocks *clocks, const struct clocks_bounds *bounds,
		      const struct clocks_center *out)
{
	struct clocks_kept full;

	center_full(clocks, bounds, &full);
	(void)INVARIANT_FAILS(out->any_held == (full.best != NONE) &&
			      (!out->any_held || (out->center_ms == full.best_ms &&
						  out->tie_name == clocks->sources[0].name)));
}

void clocks_center(struct clocks *clocks, const struct clocks_bounds *bounds,
		   struct clocks_center *out)
{
	struct clocks_kept *kept = &clocks->kept;

	if (clocks->count == 1) {
		center_one(clocks, bounds, out);
		if (CLOCKS_CHECK_CENTER)
			check_one(clocks, bounds, out);
		/* nothing kept: the next call with more sources makes a full pass */
		kept->valid = false;
		kept->n_changed = 0;
		return;
	}
	/* A pass over a few sources costs less than the checks that keep the center. */
	if (clocks->count < CLOCKS_KEEP_FROM || !center_kept(clocks, bounds))
		center_full(clocks, bounds, kept);
	if (CLOCKS_CHECK_CENTER)
		check_kept(clocks, bounds);
	/* The source last handed out stays in view: its pointer may still be written. */
	kept->n_changed = 0;
	if (clocks->last_found < clocks->count)
		note_changed(clocks, clocks->last_found);
	if (kept->best == NONE) {
		out->any_held = false;
		out->center_ms = INT64_MAX;
		out->tie_name = "";
		return;
	}
	out->any_held = true;
	out->center_ms = kept->best_ms;
	out->tie_name = clocks->sources[kept->best].name;
}
#undef FRESH

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

const uint64_t *clocks_evicted_counter(const struct clocks *clocks)
{
	return &clocks->evicted;
}

void clocks_count_moves(struct clocks *clocks, uint64_t *moves)
{
	clocks->moves = moves;
}

int clocks_resize(struct clocks *clocks, uint32_t max_sources, clocks_listed_fn listed,
		  void *ctx)
{
	struct clocks_source *sources;
	struct clocks_key *keys;

	if (max_sources == 0)
		max_sources = 1;
	while (clocks->count > max_sources)
		forget(clocks, least_recent(clocks, listed, ctx), false);
	sources = realloc(clocks->sources, (size_t)max_sources * sizeof(*sources));
	if (!sources)
		return -ENOMEM;
	clocks->sources = sources;
	keys = realloc(clocks->keys, (size_t)max_sources * sizeof(*keys));
	if (!keys) {
		/* Both arrays hold at least the smaller bound. */
		if (max_sources < clocks->max)
			clocks->max = max_sources;
		return -ENOMEM;
	}
	clocks->keys = keys;
	clocks->max = max_sources;
	clocks->last_found = 0;
	clocks->kept.valid = false;
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

/* [u64 evicted][u32 n] n x ([string name][i64 newest][i64 heard][i64 since][i64 future]
 * [i64 restarted][i64 behind since][i64 behind][i64 refused since][counters by name])
 * (snapshot format 10; 9 had no refused since) */
void clocks_save(const struct clocks *clocks, struct codec_writer *writer)
{
	codec_put_u64(writer, clocks->evicted);
	codec_put_u32(writer, clocks->count);
	for (uint32_t i = 0; i < clocks->count; i++) {
		const struct clocks_source *source = &clocks->sources[i];
		codec_put_string(writer, source->name);
		codec_put_i64(writer, source->newest_ms);
		codec_put_i64(writer, source->heard_ms);
		codec_put_i64(writer, source->since_ms);
		codec_put_i64(writer, source->future_ms);
		codec_put_i64(writer, source->restarted_ms);
		codec_put_i64(writer, source->behind_since_ms);
		codec_put_i64(writer, source->behind_ms);
		codec_put_i64(writer, source->refused_since_ms);
		codec_put_counters(writer, source_counters, CODEC_COUNTER_COUNT(source_counters),
				   source);
	}
}

/* [u32 n] n x ([string name][i64 too late]): the sources with events_too_late open, in the
 * table's order (snapshot format 18: at the snapshot's end, so that older formats' clock
 * entries stay as they were). */
void clocks_save_too_late(const struct clocks *clocks, struct codec_writer *writer)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < clocks->count; i++)
		count += clocks->sources[i].too_late_ms != INT64_MIN;
	codec_put_u32(writer, count);
	for (uint32_t i = 0; i < clocks->count; i++)
		if (clocks->sources[i].too_late_ms != INT64_MIN) {
			codec_put_string(writer, clocks->sources[i].name);
			codec_put_i64(writer, clocks->sources[i].too_late_ms);
		}
}

int clocks_load_too_late(struct clocks *clocks, struct codec_reader *reader)
{
	uint32_t count = codec_get_u32(reader);
	char name[CLOCKS_NAME_MAX + 1];

	if (reader->failed || count > clocks->count)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		codec_get_string(reader, name, sizeof(name));
		int64_t too_late_ms = codec_get_i64(reader);
		uint32_t k = index_of(clocks, name);
		if (reader->failed || k == clocks->count ||
		    clocks->sources[k].too_late_ms != INT64_MIN || too_late_ms == INT64_MIN)
			return -EINVAL; /* an unknown source, one named twice, or no time */
		clocks->sources[k].too_late_ms = too_late_ms;
	}
	return 0;
}

int clocks_load(struct clocks *clocks, struct codec_reader *reader)
{
	uint32_t count;

	clocks->kept.valid = false;
	clocks->newest_valid = false;
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
		source->since_ms = codec_get_i64(reader);
		source->future_ms = codec_get_i64(reader);
		source->restarted_ms = codec_get_i64(reader);
		source->behind_since_ms = codec_get_i64(reader);
		source->behind_ms = codec_get_i64(reader);
		source->refused_since_ms = codec_get_i64(reader);
		source->too_late_ms = INT64_MIN; /* clocks_load_too_late */
		if (codec_get_counters(reader, source_counters,
				       CODEC_COUNTER_COUNT(source_counters), source) != 0)
			return -EINVAL;
	}
	clocks->count = count;
	clocks->last_found = 0;
	return rank_all(clocks);
}
