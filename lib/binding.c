/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "binding.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"
#include "moves.h"
#include "table.h"
#include "text.h"

/* When a table is full, the stalest 1/EVICT_FRACTION of it makes room at once. */
#define EVICT_FRACTION 16
#define HOUR_MS INT64_C(3600000)

/* A call's call_id and owner inline up to here (a center's usual "DEMO-000001" and a
 * source's name of up to 8 bytes, or "" for the connections without a hello; was 28 before
 * first_arrival took 8 of them). */
#define CALL_TEXT_INLINE 21

/* events_waiting saturates here: a count it can no longer keep (binding_stats) */
#define EVENTS_WAITING_MAX UCHAR_MAX

/* A call and the sender that opened it ("" for the connections without a hello): 56 bytes
 * (were 168, two 65-byte arrays; 64 with a used flag) in a table kept at most half full. */
struct call_owner {
	struct table_entry base;
	int64_t last_ms;
	/* "call_id\0owner\0" at their length: in text, or in long_text (allocated, freed with the
	 * entry: free_call_text) when longer than CALL_TEXT_INLINE. */
	char *long_text;
	/* the arrival of the first event this owner counted: the id's events of an earlier arrival
	 * were counted by an owner gone before it was bound (rev10c C2), and their applications
	 * leave its count alone */
	uint64_t first_arrival;
	bool has_start : 1; /* both: complete, no longer counted to its owner (binding.h) */
	bool has_end : 1;
	unsigned char call_id_len;
	/* the id's events bound (admitted, not duplicates) since first_arrival that the tracker
	 * has not applied yet: the entry goes once none waits and the tracker holds no call of the
	 * id; at EVENTS_WAITING_MAX no application forgets it (binding.h) */
	unsigned char events_waiting;
	char text[CALL_TEXT_INLINE];
};

_Static_assert(sizeof(struct call_owner) == 56, "a call's owner is 56 bytes");

static const char *call_id_of(const struct call_owner *call)
{
	return call->long_text ? call->long_text : call->text;
}

static const char *call_owner_of(const struct call_owner *call)
{
	return call_id_of(call) + call->call_id_len + 1;
}

/* Keep call_id and owner (neither in the entry itself); false when out of memory. */
static bool set_call_text(struct call_owner *call, const char *call_id, const char *owner)
{
	unsigned char lengths[2];
	char *packed = text_pack(call->text, sizeof(call->text),
				 (const char *const[]){ call_id, owner }, 2, lengths);

	if (!packed)
		return false;
	if (call->long_text)
		free(call->long_text);
	call->long_text = packed == call->text ? NULL : packed;
	call->call_id_len = lengths[0];
	return true;
}

static void free_call_text(void *entry, void *ctx)
{
	(void)ctx;
	free(((struct call_owner *)entry)->long_text);
}

/* An operator's three strings inline up to here ("DEMO\0op-100000\0" and a source's name of up
 * to 5 bytes; the connections without a hello own as ""). */
#define OWNER_TEXT_INLINE 21

/* An operator and the sender that owns it: 48 bytes in a table kept at most half full (56 with
 * a used flag; was 40 and a separate block for the strings: a second cache miss in every look-up
 * of 100,000 call-takers' owners, and a malloc for each). */
struct operator_owner {
	struct table_entry base;
	int64_t last_ms;
	/* "agency\0operator_id\0owner\0" at their length: in text, or in long_text (allocated,
	 * freed whenever the entry goes: free_owner) when longer than OWNER_TEXT_INLINE. */
	char *long_text;
	uint8_t agency_len;
	uint8_t operator_len;
	bool named; /* owned by a named source (else by the connections without a hello) */
	char text[OWNER_TEXT_INLINE];
};

_Static_assert(sizeof(struct operator_owner) == 48, "an operator's owner is 48 bytes");

static const char *owner_agency(const struct operator_owner *owner)
{
	return owner->long_text ? owner->long_text : owner->text;
}

static const char *owner_operator(const struct operator_owner *owner)
{
	return owner_agency(owner) + owner->agency_len + 1;
}

static const char *owner_name(const struct operator_owner *owner)
{
	return owner_operator(owner) + owner->operator_len + 1;
}

/* s, or its first EVENT_ID_MAX bytes copied into bounded (as every key is kept). */
static const char *bounded_id(const char *s, char bounded[EVENT_ID_MAX + 1])
{
	if (strnlen(s, EVENT_ID_MAX + 1) <= EVENT_ID_MAX)
		return s;
	text_copy(bounded, s, EVENT_ID_MAX + 1);
	return bounded;
}

/* Keep the owner's strings (none of them in the entry itself), freeing what it kept before;
 * false when out of memory (its strings are then unusable: the caller drops the entry). */
static bool set_owner_text(struct operator_owner *owner, const char *agency,
			   const char *operator_id, const char *name)
{
	char bounded[3][EVENT_ID_MAX + 1];
	unsigned char lengths[3];
	const char *strings[3] = { bounded_id(agency, bounded[0]),
				   bounded_id(operator_id, bounded[1]),
				   bounded_id(name, bounded[2]) };
	char *packed = text_pack(owner->text, sizeof(owner->text), strings, 3, lengths);

	if (!packed)
		return false;
	free(owner->long_text);
	owner->long_text = packed == owner->text ? NULL : packed;
	owner->agency_len = lengths[0];
	owner->operator_len = lengths[1];
	return true;
}

static void uncount_owner(struct binding *binding, const struct operator_owner *owner);

/* An operator's owner entry goes (ctx: the binding, whose owner counts it leaves; NULL: none) */
static void free_owner(void *entry, void *ctx)
{
	if (ctx)
		uncount_owner(ctx, entry);
	free(((struct operator_owner *)entry)->long_text);
}

/* A sender's refusals under one of its limits. */
struct sender_episode {
	bool open;          /* refused some; not yet quiet for resolve_after_seconds */
	uint64_t refused;
	int64_t refused_ms; /* event time of the last refusal */
};

/* A sender's new operators in the current hour of event time, its calls bound, its refusals. */
struct sender_rate {
	struct table_entry base;
	char name[EVENT_ID_MAX + 1];
	int64_t hour;       /* event time / 1 h of the bucket counted */
	uint32_t count;     /* new operators in that hour */
	uint32_t calls;     /* calls it owns with their call_start (since its entry was made) */
	uint32_t operators; /* operators' owner entries naming it (the same) */
	struct sender_episode episodes[BINDING_LIMITS];
	int64_t last_ms;    /* event time it was last counted: the stalest is forgotten first */
};

struct operator_key {
	const char *agency;
	const char *operator_id;
};

struct binding {
	struct table calls;
	struct table operators;
	struct table senders;
	int64_t call_ms;     /* a call is forgotten this long after its last event */
	int64_t operator_ms; /* an operator's owner, this long after its last call_start */
	uint32_t open_episodes;
	int64_t settle_after_ms; /* no open episode refused before this: binding_settle scans
				  * the senders only once one may be quiet */
	int64_t calls_swept_ms;  /* event time of the last sweep for a sender at its call limit */
	struct binding_stats stats;
	struct binding_episode settled; /* handed out by binding_settle */
	char settled_name[EVENT_ID_MAX + 1];
	uint64_t *moves; /* the engine's limits' change count (moves.h), or NULL */
	struct binding_call_holder holder; /* who holds the calls (held NULL: not told) */
};

/* n more evictions of a counter of binding->stats (the engine's limits read them). */
static void count_evicted(struct binding *binding, uint64_t *counter, uint64_t n)
{
	*counter += n;
	moves_add(binding->moves, n);
}

/* Operators owned: twice max_operators, so that the owners of every operator the detector
 * holds and of those whose first call is still open fit without evicting. */
static uint32_t operator_capacity(const struct config *config)
{
	return config->tracker.max_operators * 2;
}

/* Calls owned: those the tracker may hold and those whose events may wait in the reorder buffer
 * (bound when admitted, tracked when released), one more (the call being admitted), and a
 * sixteenth of that on top, so that a full table holds that many owners of calls neither holds
 * (events dropped after the binding admitted them, as resends): a full table forgets those,
 * never an owner of a call the tracker holds (binding.h), a sixteenth at a time. */
static uint32_t call_capacity(const struct config *config)
{
	uint32_t held = config->tracker.max_open_calls + config->tracker.max_reorder_events + 1;

	return held + held / EVICT_FRACTION;
}

static void take_bounds(struct binding *binding, const struct config *config)
{
	binding->call_ms = (int64_t)config->tracker.max_call_seconds * 1000;
	binding->operator_ms = (int64_t)config_longest_window_seconds(config) * 1000;
}

struct binding *binding_new(const struct config *config)
{
	struct binding *binding = calloc(1, sizeof(*binding));

	if (!binding)
		return NULL;
	if (table_init(&binding->calls, sizeof(struct call_owner), call_capacity(config)) != 0 ||
	    table_init(&binding->operators, sizeof(struct operator_owner),
		       operator_capacity(config)) != 0 ||
	    table_init(&binding->senders, sizeof(struct sender_rate), config->feed.max_sources) !=
		    0) {
		binding_free(binding);
		return NULL;
	}
	take_bounds(binding, config);
	return binding;
}

void binding_free(struct binding *binding)
{
	if (!binding)
		return;
	for (uint32_t i = 0; binding->calls.slots && i <= binding->calls.mask; i++)
		if (table_used(&binding->calls, i))
			free_call_text(table_slot(&binding->calls, i), NULL);
	table_release(&binding->calls);
	for (uint32_t i = 0; binding->operators.slots && i <= binding->operators.mask; i++)
		if (table_used(&binding->operators, i))
			free_owner(table_slot(&binding->operators, i), NULL);
	table_release(&binding->operators);
	table_release(&binding->senders);
	free(binding);
}

/* Calls heard of without their call_start are forgotten first (what a flood leaves). */
static int64_t call_age(const void *entry)
{
	const struct call_owner *call = entry;

	return call->has_start ? call->last_ms : call->last_ms - (INT64_C(1) << 62);
}

static int64_t call_heard(const void *entry)
{
	return ((const struct call_owner *)entry)->last_ms;
}

static int64_t operator_age(const void *entry)
{
	return ((const struct operator_owner *)entry)->last_ms;
}

static bool any_episode_open(const struct sender_rate *rate)
{
	for (int limit = 0; limit < BINDING_LIMITS; limit++)
		if (rate->episodes[limit].open)
			return true;
	return false;
}

/* A sender with an open episode is kept while others can go. */
static int64_t sender_age(const void *entry)
{
	const struct sender_rate *rate = entry;

	return any_episode_open(rate) ? INT64_MAX : rate->last_ms;
}

static void forget_sender(void *entry, void *ctx)
{
	struct binding *binding = ctx;
	const struct sender_rate *rate = entry;

	for (int limit = 0; limit < BINDING_LIMITS; limit++)
		binding->open_episodes -= rate->episodes[limit].open;
}

static void forget_call(void *entry, void *ctx);
static bool source_listed(const struct config *config, const char *name);

void binding_set_call_holder(struct binding *binding, const struct binding_call_holder *holder)
{
	binding->holder = *holder;
}

/* Is the call entry's call one neither the tracker holds nor the reorder buffer (ctx: struct
 * binding_call_holder)? */
static bool call_not_held(const void *entry, const void *ctx)
{
	const struct binding_call_holder *holder = ctx;
	const struct call_owner *call = entry;

	return !holder->held(call_id_of(call), call->base.hash, holder->ctx);
}

/* The holder's questions are over for now: what it gathered to answer them goes. */
static void holder_done(const struct binding *binding)
{
	if (binding->holder.done)
		binding->holder.done(binding->holder.ctx);
}

/* Who holds the call-takers at a reload: binding_reconfigure's held and held_ctx. */
struct operator_holder {
	binding_held_fn *held;
	void *ctx;
};

/* Is the owner entry's call-taker one the detector does not hold (ctx: struct
 * operator_holder)? */
static bool owner_not_held(const void *entry, const void *ctx)
{
	const struct operator_holder *holder = ctx;

	return !holder->held(owner_agency(entry), owner_operator(entry), holder->ctx);
}

/* Keep at most keep owners: the idlest of those whose call-takers the detector does not hold
 * go first, exactly as many as are over; how many went. */
static uint32_t shed_owners(struct binding *binding, uint32_t keep,
			    const struct operator_holder *holder)
{
	struct table *operators = &binding->operators;

	if (operators->count <= keep || !holder->held)
		return 0;
	return table_evict_picked(operators, operator_age, operators->count - keep,
				  owner_not_held, holder, free_owner, binding);
}

/* Is the sender one that config's sources: does not list (ctx: the config)? */
static bool sender_unlisted(const void *entry, const void *ctx)
{
	return !source_listed(ctx, ((const struct sender_rate *)entry)->name);
}

/* Keep at most keep senders: the idlest of those config's sources: does not list go first,
 * exactly as many as are over; how many went. */
static uint32_t shed_senders(struct binding *binding, uint32_t keep, const struct config *config)
{
	struct table *senders = &binding->senders;

	if (senders->count <= keep)
		return 0;
	return table_evict_picked(senders, sender_age, senders->count - keep, sender_unlisted,
				  config, forget_sender, binding);
}

/* The owners of calls the holder holds (every one when no holder is told). O(slots). */
static uint32_t held_call_count(const struct binding *binding)
{
	const struct table *calls = &binding->calls;
	uint32_t held = 0;

	if (!binding->holder.held)
		return calls->count;
	for (uint32_t i = 0; i <= calls->mask; i++)
		held += table_used(calls, i) && !call_not_held(table_slot(calls, i),
								&binding->holder);
	return held;
}

/* The three tables' new memory, allocated before anything is forgotten. */
struct resized_tables {
	struct table calls;
	struct table operators;
	struct table senders;
};

/* All three or none: 0, or -ENOMEM with nothing allocated. */
static int prepare_tables(struct binding *binding, const struct config *config,
			  uint32_t call_bound, struct resized_tables *resized)
{
	int rc = table_resize_prepare(&binding->calls, call_bound, &resized->calls);

	if (rc == 0 && (rc = table_resize_prepare(&binding->operators, operator_capacity(config),
						  &resized->operators)) != 0)
		table_resize_cancel(&resized->calls);
	if (rc == 0 && (rc = table_resize_prepare(&binding->senders, config->feed.max_sources,
						  &resized->senders)) != 0) {
		table_resize_cancel(&resized->calls);
		table_resize_cancel(&resized->operators);
	}
	return rc;
}

/* The calls' bound is never below the owners of calls held and one more (the next line's
 * call, admitted before the buffer releases): the tracker forgot the calls it dropped (told),
 * and a reorder buffer shrunk holds its excess until the engine releases it; each of those
 * keeps its owner (the table shrinks to call_capacity at a reload that finds fewer). All or
 * nothing: every table's memory is allocated before any owner is forgotten. */
int binding_reconfigure(struct binding *binding, const struct config *config,
			binding_held_fn *held, void *held_ctx)
{
	struct operator_holder operator_holder = {.held = held, .ctx = held_ctx};
	uint32_t call_bound = call_capacity(config);
	uint32_t held_calls = binding->calls.count >= call_bound ? held_call_count(binding) : 0;
	struct resized_tables resized;

	if (held_calls >= call_bound)
		call_bound = held_calls + 1;
	int rc = prepare_tables(binding, config, call_bound, &resized);
	if (rc != 0) {
		holder_done(binding);
		return rc;
	}
	if (binding->holder.held && binding->calls.count > call_bound)
		table_remove_stale(&binding->calls, call_not_held, &binding->holder, forget_call,
				   binding);
	holder_done(binding);
	count_evicted(binding, &binding->stats.operators_evicted,
		      shed_owners(binding, operator_capacity(config), &operator_holder));
	count_evicted(binding, &binding->stats.senders_evicted,
		      shed_senders(binding, config->feed.max_sources, config));
	count_evicted(binding, &binding->stats.calls_evicted,
		      table_resize_finish(&binding->calls, &resized.calls, call_age, forget_call,
					  binding));
	count_evicted(binding, &binding->stats.operators_evicted,
		      table_resize_finish(&binding->operators, &resized.operators, operator_age,
					  free_owner, binding));
	count_evicted(binding, &binding->stats.senders_evicted,
		      table_resize_finish(&binding->senders, &resized.senders, sender_age,
					  forget_sender, binding));
	take_bounds(binding, config);
	return 0;
}

/* ---- who may say what ----------------------------------------------------------------- */

/* The owner name of a sender: its hello's source, or "" for every connection without one. */
static const char *owner_of(const struct binding_sender *sender)
{
	return sender->named && sender->source ? sender->source : "";
}

/* Does config's sources: list the owner name ("" for the connections without a hello: no)? */
static bool source_listed(const struct config *config, const char *name)
{
	return name[0] && config_source_named(config, name);
}

static const struct config_source *listed_source(const struct config *config,
						 const struct binding_sender *sender)
{
	return sender->named && sender->source ? config_source_named(config, sender->source) : NULL;
}

static bool agency_listed(const struct config_source *source, const char *agency)
{
	for (size_t i = 0; i < source->agency_count; i++)
		if (strcmp(source->agencies[i], agency) == 0)
			return true;
	return false;
}

void binding_describe_sender(const char *owner, char *out, size_t size)
{
	struct text_builder text = text_builder_start(out, size);

	if (owner[0]) {
		text_add(&text, "feed source ");
		text_add(&text, owner);
	} else {
		text_add(&text, "the connections without a hello");
	}
}

bool binding_refuses_source(const struct config *config, const struct binding_sender *sender)
{
	return config->unlisted_sources == CONFIG_UNLISTED_REJECT &&
	       !listed_source(config, sender);
}

/* sources: and unlisted_sources: the sender, and the agency its event names. */
static enum event_reject check_source(const struct config *config, const struct event *event,
				      const struct binding_sender *sender, char *why,
				      size_t why_size)
{
	const struct config_source *source = listed_source(config, sender);

	/* binding_refuses_source, with the listed source already found */
	if (config->unlisted_sources == CONFIG_UNLISTED_REJECT && !source) {
		if (sender->named && sender->source)
			snprintf(why, why_size,
				 "%s: feed source %s is not listed in sources (unlisted_sources: "
				 "reject)",
				 event_type_name(event->type), sender->source);
		else
			snprintf(why, why_size,
				 "%s: a connection without a hello is refused (unlisted_sources: "
				 "reject)",
				 event_type_name(event->type));
		return EVENT_REJECT_SOURCE_NOT_ALLOWED;
	}
	if (!source || source->agency_count == 0 ||
	    (event->type != EVENT_CALL_START && event->type != EVENT_OPERATOR_STATE &&
	     event->type != EVENT_CALL_OFFERED && !event->agency[0]) ||
	    agency_listed(source, event->agency))
		return EVENT_OK;
	snprintf(why, why_size,
		 "%s: agency \"%s\" is not one of feed source %s's agencies (sources[].agencies)",
		 event_type_name(event->type), event->agency, source->name);
	return EVENT_REJECT_AGENCY_NOT_ALLOWED;
}

static bool call_matches(const void *entry, const void *key)
{
	return strcmp(call_id_of(entry), key) == 0;
}

static bool operator_matches(const void *entry, const void *key)
{
	const struct operator_owner *owner = entry;
	const struct operator_key *wanted = key;

	return strcmp(owner_operator(owner), wanted->operator_id) == 0 &&
	       strcmp(owner_agency(owner), wanted->agency) == 0;
}

static bool sender_matches(const void *entry, const void *key)
{
	return text_equal(((const struct sender_rate *)entry)->name, key);
}

/* The sender's counts, NULL when it has none kept. */
static struct sender_rate *find_sender(const struct binding *binding, const char *name)
{
	uint32_t i = table_probe(&binding->senders, hash_string(name), sender_matches, name);

	return table_used(&binding->senders, i) ? table_slot(&binding->senders, i) : NULL;
}

/* The operator's owner entry names its owner no more: one operator fewer to that sender. */
static void uncount_owner(struct binding *binding, const struct operator_owner *owner)
{
	struct sender_rate *rate = find_sender(binding, owner_name(owner));

	if (rate && rate->operators > 0)
		rate->operators--;
}

/* Is the call complete (its call_start and call_end admitted), no longer counted to its owner
 * (kept while any of its events waits or the tracker holds it)? */
static bool call_complete(const struct call_owner *call)
{
	return call->has_start && call->has_end;
}

/* Is the call counted to its owner: started, not complete (a call heard of without its
 * call_start is not counted: such calls are evicted first)? */
static bool call_counted(const struct call_owner *call)
{
	return call->has_start && !call->has_end;
}

/* The call's owner holds one started call fewer. */
static void uncount_call(struct binding *binding, const struct call_owner *call)
{
	struct sender_rate *rate = find_sender(binding, call_owner_of(call));

	if (rate && rate->calls > 0)
		rate->calls--;
}

/* A call's entry goes (nothing holds it, forgotten, evicted): uncounted if counted. */
static void forget_call(void *entry, void *ctx)
{
	if (call_counted(entry))
		uncount_call(ctx, entry);
	free_call_text(entry, NULL);
}

/* A slot not probed for yet, or probed for before the table changed (binding_admit). */
#define NOT_PROBED UINT32_MAX

/* The call's owner, NULL when the call is not bound (never heard of, or forgotten); *slot: the
 * call's slot, or the empty one where it would go. */
static struct call_owner *find_call(const struct binding *binding, const char *call_id,
				    uint64_t hash, int64_t now_ms, uint32_t *slot)
{
	uint32_t i = *slot = table_probe(&binding->calls, hash, call_matches, call_id);
	struct call_owner *call =
		table_used(&binding->calls, i) ? table_slot(&binding->calls, i) : NULL;

	return call && now_ms - call->last_ms < binding->call_ms ? call : NULL;
}

/* The operator's owner, NULL when not bound (or forgotten); *slot as find_call's. */
static struct operator_owner *find_operator(const struct binding *binding,
					    const struct event *event, uint64_t hash,
					    int64_t now_ms, uint32_t *slot)
{
	struct operator_key key = {.agency = event->agency, .operator_id = event->operator_id};
	uint32_t i = *slot = table_probe(&binding->operators, hash, operator_matches, &key);
	struct operator_owner *owner =
		table_used(&binding->operators, i) ? table_slot(&binding->operators, i) : NULL;

	return owner && now_ms - owner->last_ms < binding->operator_ms ? owner : NULL;
}

static enum event_reject check_call(const struct call_owner *call, const struct event *event,
				    const char *owner, char *why, size_t why_size)
{
	char holder[EVENT_ID_MAX + 48];

	if (!call || text_equal(call_owner_of(call), owner))
		return EVENT_OK;
	binding_describe_sender(call_owner_of(call), holder, sizeof(holder));
	snprintf(why, why_size, "%s: call \"%s\" was opened by %s (tracker.bind_calls_to_source)",
		 event_type_name(event->type), event->call_id, holder);
	return EVENT_REJECT_CALL_OF_OTHER_SOURCE;
}

/* A named owner keeps its operator; the connections without a hello give way to a name. */
static enum event_reject check_operator(const struct operator_owner *operator,
					const struct event * event,
					const struct binding_sender *sender, char *why,
					size_t why_size)
{
	char holder[EVENT_ID_MAX + 48];

	if (!operator|| text_equal(owner_name(operator), owner_of(sender)) ||
	    (!operator->named && sender->named))
		return EVENT_OK;
	binding_describe_sender(owner_name(operator), holder, sizeof(holder));
	snprintf(why, why_size,
		 "%s: operator \"%s\" (agency \"%s\") belongs to %s "
		 "(tracker.bind_operators_to_source)",
		 event_type_name(event->type), event->operator_id, event->agency, holder);
	return EVENT_REJECT_OPERATOR_OF_OTHER_SOURCE;
}

/* ---- new operators per sender ------------------------------------------------------------ */

/* Entries older than a cutoff: forgotten without counting (their time is up). */
struct staleness {
	table_age_fn *age;
	int64_t cutoff_ms;
};

static bool is_stale(const void *entry, const void *ctx)
{
	const struct staleness *stale = ctx;

	return stale->age(entry) < stale->cutoff_ms;
}

/* How a table's entries age: when each was last heard of (lifetime_ms after it, forgotten
 * quietly), and the order in which they are evicted when none is that old. */
struct aging {
	table_age_fn *heard;
	table_age_fn *age;
	int64_t lifetime_ms; /* 0: no lifetime */
	/* when full, those spare picks (with spare_ctx) go first, uncounted (NULL: none) */
	table_pick_fn *spare;
	const void *spare_ctx;
	/* then, of those pick picks with choose(chooser) (NULL: of all alike) */
	table_pick_fn *pick;
	const void *(*choose)(const void *chooser);
	const void *chooser;
};

/* Make room in a full table for one more entry: entries not heard of for their lifetime go
 * first, then 1/16 of those aging->spare picks (uncounted); if none, 1/16 are evicted by age
 * (counted in *evicted, of binding->stats): of those aging->pick picks for what aging->choose
 * chose, if it chose and they are any; else of all. on_remove is called with the binding. */
static void make_room(struct table *table, const struct aging *aging, int64_t now_ms,
		      table_remove_fn *on_remove, struct binding *binding, uint64_t *evicted)
{
	struct staleness stale = {.age = aging->heard, .cutoff_ms = now_ms - aging->lifetime_ms};
	table_age_fn *age = aging->age;
	int64_t lifetime_ms = aging->lifetime_ms;

	if (table->count < table->max_count)
		return;
	if (lifetime_ms > 0)
		table_remove_stale(table, is_stale, &stale, on_remove, binding);
	if (table->count >= table->max_count && aging->spare)
		table_evict_picked(table, age, table_evict_share(table->count, EVICT_FRACTION),
				   aging->spare, aging->spare_ctx, on_remove, binding);
	const void *chosen =
		table->count >= table->max_count && aging->choose
			? aging->choose(aging->chooser) /* O(senders): only when full */
			: NULL;
	if (chosen)
		count_evicted(binding, evicted,
			      table_evict_oldest_picked(table, age, EVICT_FRACTION, aging->pick,
								chosen, on_remove, binding));
	if (table->count >= table->max_count)
		count_evicted(binding, evicted,
			      table_evict_oldest(table, age, EVICT_FRACTION, on_remove, binding));
}

/* Whose counts a full senders table forgets first: those config's sources: does not list,
 * when it lists any (the config; else NULL: all alike). */
static const void *choose_unlisted(const void *config)
{
	return ((const struct config *)config)->source_count > 0 ? config : NULL;
}

/* The sender's counts, made when it has none: a full table forgets the stalest, of the senders
 * config's sources: does not list first (a listed CAD's counts are kept). NULL without memory. */
static struct sender_rate *sender_rate(struct binding *binding, const struct config *config,
				       const char *name, int64_t now_ms)
{
	uint64_t hash = hash_string(name);
	uint32_t i = table_probe(&binding->senders, hash, sender_matches, name);
	struct aging aging = {.heard = sender_age,
			      .age = sender_age,
			      .lifetime_ms = 0,
			      .pick = sender_unlisted,
			      .choose = choose_unlisted,
			      .chooser = config};
	struct sender_rate *rate;

	if (table_used(&binding->senders, i))
		return table_slot(&binding->senders, i);
	make_room(&binding->senders, &aging, now_ms, forget_sender, binding,
		  &binding->stats.senders_evicted);
	i = table_probe(&binding->senders, hash, sender_matches, name);
	if (!(rate = table_claim(&binding->senders, i, hash)))
		return NULL; /* no memory to grow the table */
	text_copy(rate->name, name, sizeof(rate->name));
	rate->hour = INT64_MIN;
	for (int limit = 0; limit < BINDING_LIMITS; limit++)
		rate->episodes[limit].refused_ms = INT64_MIN;
	return rate;
}

/* One more of the sender's events refused under limit: its episode opens (or goes on). */
static void count_refusal(struct binding *binding, struct sender_rate *rate,
			  enum binding_limit limit, int64_t now_ms)
{
	struct sender_episode *episode = &rate->episodes[limit];

	episode->refused++;
	episode->refused_ms = now_ms;
	if (!episode->open) {
		if (binding->open_episodes++ == 0 || now_ms < binding->settle_after_ms)
			binding->settle_after_ms = now_ms;
		episode->open = true;
	}
}

/* The why of a new operator refused by the hourly limit (built without snprintf: a flood of
 * new names is refused line after line). */
static void describe_refusal(const struct event *event, const char *holder, uint32_t limit,
			     char *why, size_t why_size)
{
	struct text_builder text = text_builder_start(why, why_size);

	text_add(&text, event_type_name(event->type));
	text_add(&text, ": new operator \"");
	text_add(&text, event->operator_id);
	text_add(&text, "\" (agency \"");
	text_add(&text, event->agency);
	text_add(&text, "\") refused: ");
	text_add(&text, holder);
	text_add(&text, " introduced ");
	text_add_u64(&text, limit);
	text_add(&text, " this hour already (tracker.max_new_operators_per_source_per_hour)");
}

/* One more new operator from the sender, unless its hour is full: then refused (counted).
 * *counted: the sender's counts when there is room, whose count and last_ms binding_admit moves
 * once the event is accepted (one refused, here or by a later limit, spends none of the hour's
 * room and leaves the sender as old). */
static enum event_reject count_new_operator(struct binding *binding, const struct config *config,
					    const struct event *event, const char *owner,
					    int64_t now_ms, struct sender_rate **counted, char *why,
					    size_t why_size)
{
	uint32_t limit = config->tracker.max_new_operators_per_source_per_hour;
	struct sender_rate *rate = sender_rate(binding, config, owner, now_ms);
	int64_t hour = event->ts_ms >= 0 ? event->ts_ms / HOUR_MS
					 : -((-event->ts_ms + HOUR_MS - 1) / HOUR_MS);
	char holder[EVENT_ID_MAX + 48];

	if (!rate)
		return EVENT_OK; /* no memory to count the sender's new operators: not limited */
	if (hour > rate->hour) {
		rate->hour = hour;
		rate->count = 0;
	}
	if (limit == 0 || rate->count < limit) {
		*counted = rate;
		return EVENT_OK;
	}
	count_refusal(binding, rate, BINDING_LIMIT_NEW_OPERATORS, now_ms);
	binding_describe_sender(owner, holder, sizeof(holder));
	describe_refusal(event, holder, limit, why, why_size);
	return EVENT_REJECT_NEW_OPERATOR_RATE;
}

/* Is the call entry's time up (forgotten: find_call no longer sees it)? */
static bool call_forgotten(const void *entry, const void *ctx)
{
	const struct staleness *stale = ctx;

	return call_heard(entry) <= stale->cutoff_ms;
}

/* A call_start for a call not started, from a sender holding max_open_calls_per_source started
 * calls already: refused (counted), unless some of its calls' time is up (swept at most once a
 * second of event time, O(slots): *call_slot is NOT_PROBED after a sweep). *found: the
 * owner's counts when it has them and they were looked up (else NULL), for bind_call. */
static enum event_reject count_new_call(struct binding *binding, const struct config *config,
					const struct event *event, const char *owner,
					int64_t now_ms, uint32_t *call_slot,
					struct sender_rate **found, char *why, size_t why_size)
{
	uint32_t limit = config->tracker.max_open_calls_per_source;
	struct sender_rate *rate = limit ? find_sender(binding, owner) : NULL;
	char holder[EVENT_ID_MAX + 48];

	*found = rate;
	if (limit == 0 || !rate || rate->calls < limit)
		return EVENT_OK;
	if (now_ms - binding->calls_swept_ms >= 1000 || now_ms < binding->calls_swept_ms) {
		struct staleness stale = {.age = call_heard,
					  .cutoff_ms = now_ms - binding->call_ms};
		binding->calls_swept_ms = now_ms;
		table_remove_stale(&binding->calls, call_forgotten, &stale, forget_call, binding);
		*call_slot = NOT_PROBED;
		if (rate->calls < limit)
			return EVENT_OK;
	}
	count_refusal(binding, rate, BINDING_LIMIT_OPEN_CALLS, now_ms);
	binding_describe_sender(owner, holder, sizeof(holder));
	struct text_builder text = text_builder_start(why, why_size); /* a flood: no snprintf */
	text_add(&text, event_type_name(event->type));
	text_add(&text, ": call \"");
	text_add(&text, event->call_id);
	text_add(&text, "\" refused: ");
	text_add(&text, holder);
	text_add(&text, " holds ");
	text_add_u64(&text, limit);
	text_add(&text, " open calls already (tracker.max_open_calls_per_source)");
	return EVENT_REJECT_OPEN_CALLS_PER_SOURCE;
}

/* ---- recording what an accepted event binds ------------------------------------------------ */

/* Whose calls a full table evicts: binding_evict_victim's name, or NULL (all alike). */
static const void *choose_victim(const void *binding)
{
	return binding_evict_victim(binding);
}

/* Is the call entry one of the owner's (ctx: the owner's name)? */
static bool call_owned(const void *entry, const void *ctx)
{
	return strcmp(call_owner_of(entry), ctx) == 0;
}

/* Whose operators a full owner table evicts: binding_operator_evict_victim's name, or NULL. */
static const void *choose_operator_victim(const void *binding)
{
	return binding_operator_evict_victim(binding);
}

/* Is the operator's owner entry one of the owner's (ctx: the owner's name)? */
static bool operator_owned(const void *entry, const void *ctx)
{
	return strcmp(owner_name(entry), ctx) == 0;
}

/* slot: the call's probed slot if the table has not changed since (else NOT_PROBED); rate:
 * owner's counts if count_new_call found them (the senders' table unchanged since), or NULL;
 * arrival: the event's (binding_bind). */
static void bind_call(struct binding *binding, const struct config *config,
		      const struct event *event, uint64_t hash, const char *owner, int64_t now_ms,
		      uint32_t slot, struct sender_rate *rate, uint64_t arrival)
{
	uint32_t i = slot != NOT_PROBED
			     ? slot
			     : table_probe(&binding->calls, hash, call_matches, event->call_id);
	struct call_owner *call;

	bool bound = table_used(&binding->calls, i);

	if (!bound) {
		/* the owners of calls neither the tracker nor the reorder buffer holds go first:
		 * there are some when full (call_capacity), so a call held keeps its owner */
		struct aging aging = { .heard = call_heard,
				       .age = call_age,
				       .lifetime_ms = binding->call_ms,
				       .spare = binding->holder.held ? call_not_held : NULL,
				       .spare_ctx = &binding->holder,
				       .pick = call_owned,
				       .choose = choose_victim,
				       .chooser = binding };
		bool asks_holder = binding->calls.count >= binding->calls.max_count;

		make_room(&binding->calls, &aging, now_ms, forget_call, binding,
			  &binding->stats.calls_evicted);
		if (asks_holder) /* only a full table asks it (spare) */
			holder_done(binding);
		i = table_probe(&binding->calls, hash, call_matches, event->call_id);
		if (!(call = table_claim_sized(&binding->calls, i, hash, sizeof(*call)))) {
			/* no memory to grow: not bound, as if evicted */
			count_evicted(binding, &binding->stats.calls_evicted, 1);
			return;
		}
		i = table_index(&binding->calls, call);
	} else {
		call = table_slot(&binding->calls, i);
		bound = now_ms - call->last_ms <
			binding->call_ms; /* else forgotten: taken afresh */
		if (!bound) {
			forget_call(call, binding); /* its text freed: set afresh below */
			call->long_text = NULL;
		}
	}
	if (!bound) {
		if (!set_call_text(call, event->call_id, owner)) {
			/* no memory for its strings: not bound, as if evicted */
			table_remove(&binding->calls, i);
			count_evicted(binding, &binding->stats.calls_evicted, 1);
			return;
		}
		call->has_start = call->has_end = false;
		call->events_waiting = 0;
		call->first_arrival = arrival; /* the id's events waiting before it are not its */
	} else if (call_complete(call) &&
		   (event->type == EVENT_CALL_START || event->type == EVENT_CALL_END)) {
		call->has_start = call->has_end = false; /* its owner's new call of the same id */
	}
	call->last_ms = now_ms;
	if (event->type == EVENT_CALL_START && !call->has_start) {
		/* counted to the call's owner (the sender unless tracker.bind_calls_to_source is
		 * off), counted down once complete or forgotten; sender_rate leaves the calls table
		 * alone */
		if (!rate || !text_equal(call_owner_of(call), owner))
			rate = sender_rate(binding, config, call_owner_of(call), now_ms);
		if (rate) {
			rate->calls++;
			rate->last_ms = now_ms;
		}
	}
	bool was_complete = call_complete(call);
	call->has_start |= event->type == EVENT_CALL_START;
	call->has_end |= event->type == EVENT_CALL_END;
	if (!was_complete && call_complete(call)) /* kept while an event waits or it is held */
		uncount_call(binding, call);
	if (call->events_waiting < EVENTS_WAITING_MAX &&
	    ++call->events_waiting == EVENTS_WAITING_MAX)
		binding->stats.calls_owed_capped++;
}

/* slot: as bind_call's. */
static void bind_operator(struct binding *binding, const struct config *config,
			  const struct event *event, uint64_t hash,
			  const struct binding_sender *sender, int64_t now_ms, uint32_t slot)
{
	struct operator_key key = {.agency = event->agency, .operator_id = event->operator_id};
	uint32_t i = slot != NOT_PROBED
			     ? slot
			     : table_probe(&binding->operators, hash, operator_matches, &key);
	struct operator_owner *owner;

	if (!table_used(&binding->operators, i)) {
		struct aging aging = { .heard = operator_age,
				       .age = operator_age,
				       .lifetime_ms = binding->operator_ms,
				       .pick = operator_owned,
				       .choose = choose_operator_victim,
				       .chooser = binding };
		make_room(&binding->operators, &aging, now_ms, free_owner, binding,
			  &binding->stats.operators_evicted);
		i = table_probe(&binding->operators, hash, operator_matches, &key);
		if (!(owner = table_claim(&binding->operators, i, hash))) {
			/* no memory to grow: not bound, as if evicted */
			count_evicted(binding, &binding->stats.operators_evicted, 1);
			return;
		}
		owner->last_ms = INT64_MIN;
	} else {
		owner = table_slot(&binding->operators, i);
	}
	if (owner->last_ms == INT64_MIN || now_ms - owner->last_ms >= binding->operator_ms ||
	    (!owner->named && sender->named)) {
		if (owner->last_ms != INT64_MIN)
			uncount_owner(binding, owner); /* its previous owner's no more */
		if (!set_owner_text(owner, key.agency, key.operator_id, owner_of(sender))) {
			/* no memory for its strings: not bound, as if evicted */
			free_owner(owner, NULL);
			table_remove(&binding->operators, table_index(&binding->operators, owner));
			count_evicted(binding, &binding->stats.operators_evicted, 1);
			return;
		}
		owner->named = sender->named && sender->source;
		struct sender_rate *rate = sender_rate(binding, config, owner_name(owner), now_ms);
		if (rate)
			rate->operators++;
	}
	owner->last_ms = now_ms;
}

/* An operator_state names only its operator; a call_offered names neither (its call_id is the
 * phone system's, whose arrival binds no call: the CAD's call_start for it is not refused, and an
 * abandoned call leaves no owner behind); a call_start and an operator_state introduce their
 * operator (the sender's rate of new operators counts them). */
static bool names_call(const struct event *event)
{
	return event_names_call(event->type);
}

static bool introduces_operator(const struct event *event)
{
	return event->type == EVENT_CALL_START || event->type == EVENT_OPERATOR_STATE;
}

/* The operator's key is looked up (it names one) or bound (it introduces one, even unnamed). */
static bool keys_operator(const struct event *event)
{
	return event->operator_id[0] || introduces_operator(event);
}

uint64_t binding_operator_hash(const struct event *event)
{
	return keys_operator(event) ? hash_string_pair(event->agency, event->operator_id) : 0;
}

void binding_prefetch(const struct binding *binding, const struct event *event,
		      uint64_t call_hash, uint64_t operator_hash)
{
	if (names_call(event))
		table_prefetch(&binding->calls, call_hash);
	if (keys_operator(event))
		table_prefetch(&binding->operators, operator_hash);
}

enum event_reject binding_admit(struct binding *binding, const struct config *config,
				const struct event *event, uint64_t call_hash,
				uint64_t operator_hash, const struct binding_sender *sender,
				int64_t now_ms, struct binding_admission *admitted, char *why,
				size_t why_size)
{
	const char *owner = owner_of(sender);
	enum event_reject reason = check_source(config, event, sender, why, why_size);
	const struct operator_owner *operator = NULL;
	/* the probes of the look-ups, kept for the binding below: the only change to either table
	 * between them is count_new_call's sweep of the calls */
	uint32_t call_slot = NOT_PROBED, operator_slot = NOT_PROBED;
	struct sender_rate *owner_rate = NULL; /* count_new_call's look-up, for bind_call */
	struct sender_rate *new_operator = NULL; /* count_new_operator's sender, when counted */

	if (event->ts_ms > now_ms)
		now_ms = event->ts_ms;
	bool calls = names_call(event);
	bool introduces = introduces_operator(event);

	const struct call_owner *call =
		reason == EVENT_OK && calls &&
				(config->tracker.bind_calls_to_source ||
				 config->tracker.max_open_calls_per_source > 0)
			? find_call(binding, event->call_id, call_hash, now_ms, &call_slot)
			: NULL;
	if (reason == EVENT_OK && config->tracker.bind_calls_to_source && calls)
		reason = check_call(call, event, owner, why, why_size);
	if (reason == EVENT_OK && event->operator_id[0]) {
		operator = find_operator(binding, event, operator_hash, now_ms, &operator_slot);
		if (config->tracker.bind_operators_to_source)
			reason = check_operator(operator, event, sender, why, why_size);
	}
	if (reason == EVENT_OK && introduces && !operator)
		reason = count_new_operator(binding, config, event, owner, now_ms, &new_operator,
					    why, why_size);
	if (reason == EVENT_OK && event->type == EVENT_CALL_START && !(call && call_counted(call)))
		reason = count_new_call(binding, config, event, owner, now_ms, &call_slot,
					&owner_rate, why, why_size);
	if (reason != EVENT_OK)
		return reason;
	if (new_operator) { /* accepted: one of its sender's new operators, its newest arrival */
		new_operator->count++;
		new_operator->last_ms = now_ms;
	}
	*admitted = (struct binding_admission){ .event = event,
						.call_hash = call_hash,
						.operator_hash = operator_hash,
						.sender = *sender,
						.now_ms = now_ms,
						.call_slot = call_slot,
						.operator_slot = operator_slot,
						.owner_rate = owner_rate };
	return EVENT_OK;
}

void binding_bind(struct binding *binding, const struct config *config,
		  const struct binding_admission *admitted, bool duplicate, uint64_t arrival)
{
	const struct event *event = admitted->event;

	if (names_call(event) && !duplicate)
		bind_call(binding, config, event, admitted->call_hash, owner_of(&admitted->sender),
			  admitted->now_ms, admitted->call_slot, admitted->owner_rate, arrival);
	if (introduces_operator(event))
		bind_operator(binding, config, event, admitted->operator_hash, &admitted->sender,
			      admitted->now_ms, admitted->operator_slot);
}

void binding_refusals(const struct binding *binding, const struct binding_sender *sender,
		      enum binding_limit limit, struct binding_episode *out)
{
	const char *name = owner_of(sender);
	const struct sender_rate *rate = find_sender(binding, name);

	out->sender = name;
	out->limit = limit;
	out->refused = rate ? rate->episodes[limit].refused : 0;
}

static uint32_t held_calls(const struct sender_rate *rate)
{
	return rate->calls;
}

static uint32_t held_operators(const struct sender_rate *rate)
{
	return rate->operators;
}

/* Of two senders holding as many, the one that pays first: the one whose newest arrival (a new
 * call or call-taker accepted, last_ms: saved in a snapshot) is latest, the sender adding now
 * rather than the one whose calls or call-takers are older; the same ms, the first by name
 * (before: the first by name always, so "cad-a" paid for any tie). */
static bool pays_first(const struct sender_rate *rate, const struct sender_rate *other)
{
	return rate->last_ms != other->last_ms ? rate->last_ms > other->last_ms
					       : strcmp(rate->name, other->name) < 0;
}

/* The sender holding the most of what held counts (ties: pays_first), NULL when none holds
 * one; *holders: how many senders hold some. O(senders). */
static const struct sender_rate *top_rate(const struct binding *binding,
					  uint32_t (*held)(const struct sender_rate *rate),
					  uint32_t *holders)
{
	const struct sender_rate *top = NULL;

	*holders = 0;
	for (uint32_t i = 0; i <= binding->senders.mask; i++) {
		const struct sender_rate *rate = table_slot(&binding->senders, i);
		if (!table_used(&binding->senders, i) || held(rate) == 0)
			continue;
		(*holders)++;
		if (!top || held(rate) > held(top) ||
		    (held(rate) == held(top) && pays_first(rate, top)))
			top = rate;
	}
	return top;
}

/* The top holder of what held counts: its name and count, false when none holds one. */
static bool top_holder(const struct binding *binding,
		       uint32_t (*held)(const struct sender_rate *rate), const char **sender,
		       uint32_t *count)
{
	uint32_t holders;
	const struct sender_rate *top = top_rate(binding, held, &holders);

	if (top) {
		*sender = top->name;
		*count = held(top);
	}
	return top != NULL;
}

/* The top holder's name when two senders or more hold some, else NULL. */
static const char *evict_victim(const struct binding *binding,
				uint32_t (*held)(const struct sender_rate *rate))
{
	uint32_t holders;
	const struct sender_rate *top = top_rate(binding, held, &holders);

	return holders >= 2 ? top->name : NULL;
}

bool binding_top_caller(const struct binding *binding, const char **sender, uint32_t *calls)
{
	return top_holder(binding, held_calls, sender, calls);
}

const char *binding_evict_victim(const struct binding *binding)
{
	return evict_victim(binding, held_calls);
}

bool binding_top_operator_owner(const struct binding *binding, const char **sender,
				 uint32_t *operators)
{
	return top_holder(binding, held_operators, sender, operators);
}

const char *binding_operator_evict_victim(const struct binding *binding)
{
	return evict_victim(binding, held_operators);
}

bool binding_operator_owned_by(const struct binding *binding, const char *agency,
			       const char *operator_id, const char *owner)
{
	char bounded[2][EVENT_ID_MAX + 1];
	struct operator_key key = {.agency = bounded_id(agency, bounded[0]),
				   .operator_id = bounded_id(operator_id, bounded[1])};
	uint32_t i = table_probe(&binding->operators, hash_string_pair(key.agency, key.operator_id),
				 operator_matches, &key);

	return !table_used(&binding->operators, i) ||
	       strcmp(owner_name(table_slot(&binding->operators, i)), owner) == 0;
}

bool binding_call_owned_by(const struct binding *binding, const char *call_id,
			   uint64_t call_hash, const char *owner)
{
	uint32_t i = table_probe(&binding->calls, call_hash, call_matches, call_id);

	return !table_used(&binding->calls, i) ||
	       strcmp(call_owner_of(table_slot(&binding->calls, i)), owner) == 0;
}

/* The call's owner in slot i goes. */
static void remove_call(struct binding *binding, uint32_t i)
{
	forget_call(table_slot(&binding->calls, i), binding);
	table_remove(&binding->calls, i);
}

void binding_evict_call(struct binding *binding, const char *call_id, uint64_t call_hash,
			bool expired)
{
	uint32_t i = table_probe(&binding->calls, call_hash, call_matches, call_id);

	if (!table_used(&binding->calls, i))
		return;
	remove_call(binding, i);
	count_evicted(binding, &binding->stats.calls_evicted, expired ? 0 : 1);
}

void binding_call_event_applied(struct binding *binding, const char *call_id, uint64_t call_hash,
				uint64_t arrival, bool tracker_holds)
{
	uint32_t i = table_probe(&binding->calls, call_hash, call_matches, call_id);
	struct call_owner *call = table_slot(&binding->calls, i);

	if (!table_used(&binding->calls, i) || call->events_waiting == EVENTS_WAITING_MAX)
		return; /* not bound, or too many to count: kept until its time is up */
	if (arrival >= call->first_arrival && call->events_waiting > 0)
		call->events_waiting--; /* else counted by an owner gone since (rev10c C2) */
	if (call->events_waiting == 0 && !tracker_holds)
		remove_call(binding, i); /* none of its events waits, no call of the id held */
}

/* The restore's order of the events waiting: by call hash, then arrival. */
static int compare_waiting(const void *a, const void *b)
{
	const struct binding_waiting *x = a, *y = b;

	if (x->call_hash != y->call_hash)
		return x->call_hash < y->call_hash ? -1 : 1;
	return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

/* The first of the sorted waiting[0..count) whose call hash is hash (count when none). */
static uint32_t first_waiting(const struct binding_waiting *waiting, uint32_t count,
			      uint64_t hash)
{
	uint32_t lo = 0, hi = count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (waiting[mid].call_hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* How many of the call's events among the sorted waiting[0..count) (of its hash, matched by
 * call_id, in arrival order) arrived at since or after; *at (unless NULL): the arrival of the
 * one after the first skip of them. */
static uint32_t call_waiting(const struct call_owner *call, const struct binding_waiting *waiting,
			     uint32_t count, uint64_t since, uint32_t skip, uint64_t *at)
{
	uint32_t found = 0;

	for (uint32_t i = first_waiting(waiting, count, call->base.hash);
	     i < count && waiting[i].call_hash == call->base.hash; i++) {
		if (waiting[i].arrival < since || strcmp(waiting[i].call_id, call_id_of(call)) != 0)
			continue;
		if (found++ == skip && at)
			*at = waiting[i].arrival;
	}
	return found;
}

/* The owner's count and first arrival against its id's events waiting (binding.h): 0, or
 * -EINVAL when what the snapshot saved cannot be. */
static int restore_owner(struct binding *binding, struct call_owner *call,
			 const struct binding_waiting *waiting, uint32_t count, uint32_t format,
			 uint64_t next_arrival)
{
	if (format >= 16)
		return call->first_arrival <= next_arrival &&
				       (call->events_waiting == EVENTS_WAITING_MAX ||
					call_waiting(call, waiting, count, call->first_arrival, 0,
						     NULL) == call->events_waiting)
			       ? 0
			       : -EINVAL;
	uint32_t events = call_waiting(call, waiting, count, 0, 0, NULL);
	if (format < 15) { /* counted none: every one waiting is its */
		call->events_waiting =
			events < EVENTS_WAITING_MAX ? (unsigned char)events : EVENTS_WAITING_MAX;
		binding->stats.calls_owed_capped += events >= EVENTS_WAITING_MAX;
	} else if (call->events_waiting < EVENTS_WAITING_MAX && call->events_waiting > events) {
		return -EINVAL; /* more waiting than the buffer holds */
	}
	/* no first arrival saved: its events are the newest of the id's waiting (an earlier
	 * owner's were bound before it), the oldest of them its first (at the cap, the id's
	 * oldest); none waiting, the next event's */
	call->first_arrival = next_arrival;
	if (call->events_waiting > 0)
		call_waiting(call, waiting, count, 0,
			     call->events_waiting == EVENTS_WAITING_MAX
				     ? 0
				     : events - call->events_waiting,
			     &call->first_arrival);
	return 0;
}

/* Is the call's owner one nothing holds: none of its events waiting, and no call of the id
 * held (ctx: struct binding_call_holder)? */
static bool call_unheld(const void *entry, const void *ctx)
{
	const struct call_owner *call = entry;

	return call->events_waiting == 0 && call_not_held(entry, ctx);
}

int binding_restore_waiting(struct binding *binding, struct binding_waiting *waiting,
			    uint32_t count, uint32_t format, uint64_t next_arrival)
{
	uint32_t unheld = 0;

	for (uint32_t i = 0; i < count; i++) /* compared with the owners' stored hashes */
		waiting[i].call_hash = table_key_hash(waiting[i].call_hash);
	if (count > 1)
		qsort(waiting, count, sizeof(*waiting), compare_waiting);
	for (uint32_t i = 0; binding->calls.slots && i <= binding->calls.mask; i++)
		if (table_used(&binding->calls, i) &&
		    restore_owner(binding, table_slot(&binding->calls, i), waiting, count, format,
				  next_arrival) != 0)
			return -EINVAL;
	if (binding->holder.held) {
		/* an owner nothing holds: an older build's (its count by completions: rev10a R2)
		 * goes; one saved by a build that counts events waiting is damage */
		unheld = table_remove_stale(&binding->calls, call_unheld, &binding->holder,
					    forget_call, binding);
	}
	return unheld > 0 && format >= 15 ? -EINVAL : 0;
}

uint32_t binding_open_episodes(const struct binding *binding)
{
	return binding->open_episodes;
}

/* The oldest last refusal of the open episodes (INT64_MAX: none). O(senders). */
static int64_t oldest_refusal(const struct binding *binding)
{
	int64_t oldest = INT64_MAX;

	for (uint32_t i = 0; i <= binding->senders.mask; i++) {
		const struct sender_rate *rate = table_slot(&binding->senders, i);
		for (int limit = 0; table_used(&binding->senders, i) && limit < BINDING_LIMITS;
		     limit++)
			if (rate->episodes[limit].open && rate->episodes[limit].refused_ms < oldest)
				oldest = rate->episodes[limit].refused_ms;
	}
	return oldest;
}

bool binding_settle(struct binding *binding, int64_t now_ms, int64_t quiet_ms,
		    struct binding_episode *out)
{
	struct sender_rate *rate = NULL;
	int limit = 0;

	if (binding->open_episodes == 0 || now_ms - binding->settle_after_ms < quiet_ms)
		return false;
	/* Of the quiet episodes, the sender first by name (not by slot: that depends on the
	 * table's size), then the limit first in enum binding_limit. */
	for (uint32_t i = 0; i <= binding->senders.mask; i++) {
		struct sender_rate *candidate = table_slot(&binding->senders, i);
		for (int l = 0; table_used(&binding->senders, i) && l < BINDING_LIMITS; l++)
			if (candidate->episodes[l].open &&
			    now_ms - candidate->episodes[l].refused_ms >= quiet_ms &&
			    (!rate || strcmp(candidate->name, rate->name) < 0)) {
				rate = candidate;
				limit = l;
			}
	}
	if (rate) {
		rate->episodes[limit].open = false;
		binding->open_episodes--;
		text_copy(binding->settled_name, rate->name, sizeof(binding->settled_name));
		*out = (struct binding_episode){ .sender = binding->settled_name,
						 .limit = (enum binding_limit)limit,
						 .refused = rate->episodes[limit].refused };
		return true;
	}
	binding->settle_after_ms =
		oldest_refusal(binding); /* none quiet yet: not before this one is */
	return false;
}

const struct binding_stats *binding_stats(struct binding *binding)
{
	binding->stats.calls = binding->calls.count;
	binding->stats.operators = binding->operators.count;
	return &binding->stats;
}

void binding_count_moves(struct binding *binding, uint64_t *moves)
{
	binding->moves = moves;
}

static const struct codec_counter binding_counters[] = {
	CODEC_COUNTER_SCALAR(struct binding_stats, calls_evicted),
	CODEC_COUNTER_SCALAR(struct binding_stats, operators_evicted),
	CODEC_COUNTER_SCALAR(struct binding_stats, senders_evicted),
	CODEC_COUNTER_SCALAR(struct binding_stats, calls_owed_capped),
};

/* [string call_id][string owner][i64 last ms][u8 has_start][u8 has_end][u8 events waiting]
 * [u64 first arrival] (snapshot format 16; 15 saved no first arrival: binding_restore_waiting
 * makes it from the reorder buffer; 14's byte counted completions owed, 13 had none: both read
 * without it, binding_restore_waiting counts them again) */
static void put_call_owner(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct call_owner *call = entry;

	(void)ctx;
	codec_put_string(writer, call_id_of(call));
	codec_put_string(writer, call_owner_of(call));
	codec_put_i64(writer, call->last_ms);
	codec_put_u8(writer, call->has_start);
	codec_put_u8(writer, call->has_end);
	codec_put_u8(writer, call->events_waiting);
	codec_put_u64(writer, call->first_arrival);
}

/* ctx: the snapshot's format (uint32_t). */
static int get_call_owner(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct call_owner *call = entry;
	char call_id[EVENT_ID_MAX + 1], owner[EVENT_ID_MAX + 1];

	codec_get_string(reader, call_id, sizeof(call_id));
	codec_get_string(reader, owner, sizeof(owner));
	call->last_ms = codec_get_i64(reader);
	call->has_start = codec_get_u8(reader) != 0;
	call->has_end = codec_get_u8(reader) != 0;
	uint32_t format = *(const uint32_t *)ctx;
	unsigned char waiting = format >= 14 ? codec_get_u8(reader) : 0;
	call->events_waiting = format >= 15 ? waiting : 0; /* else binding_restore_waiting's */
	call->first_arrival = format >= 16 ? codec_get_u64(reader) : 0; /* the same */
	if (reader->failed)
		return -EINVAL;
	if (!set_call_text(call, call_id, owner))
		return -ENOMEM;
	*hash = hash_string(call_id);
	return 0;
}

/* [string agency][string operator][string owner][u8 named][i64 last ms] */
static void put_operator_owner(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct operator_owner *owner = entry;

	(void)ctx;
	codec_put_string(writer, owner_agency(owner));
	codec_put_string(writer, owner_operator(owner));
	codec_put_string(writer, owner_name(owner));
	codec_put_u8(writer, owner->named);
	codec_put_i64(writer, owner->last_ms);
}

static int get_operator_owner(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	struct operator_owner *owner = entry;
	char **pending = ctx; /* the text allocated last: the caller's to free if never claimed */
	char agency[EVENT_ID_MAX + 1], operator_id[EVENT_ID_MAX + 1], name[EVENT_ID_MAX + 1];

	*pending = NULL;
	codec_get_string(reader, agency, sizeof(agency));
	codec_get_string(reader, operator_id, sizeof(operator_id));
	codec_get_string(reader, name, sizeof(name));
	owner->named = codec_get_u8(reader) != 0;
	owner->last_ms = codec_get_i64(reader);
	if (reader->failed)
		return -EINVAL;
	if (!set_owner_text(owner, agency, operator_id, name))
		return -ENOMEM;
	*pending = owner->long_text;
	*hash = hash_string_pair(agency, operator_id);
	return 0;
}

/* [string name][i64 hour][u32 count][u32 calls][u32 operators], for each limit of enum
 * binding_limit [u8 episode open][u64 refused][i64 refused ms], then [i64 last ms] (snapshot
 * format 13; 12 had no calls and operators: they were counted again on load, from the calls
 * and owner tables, which is not what the live run holds once a sender was forgotten) */
static void put_sender(const void *entry, struct codec_writer *writer, const void *ctx)
{
	const struct sender_rate *rate = entry;

	(void)ctx;
	codec_put_string(writer, rate->name);
	codec_put_i64(writer, rate->hour);
	codec_put_u32(writer, rate->count);
	codec_put_u32(writer, rate->calls);
	codec_put_u32(writer, rate->operators);
	for (int limit = 0; limit < BINDING_LIMITS; limit++) {
		codec_put_u8(writer, rate->episodes[limit].open);
		codec_put_u64(writer, rate->episodes[limit].refused);
		codec_put_i64(writer, rate->episodes[limit].refused_ms);
	}
	codec_put_i64(writer, rate->last_ms);
}

/* ctx: the binding, whose tables bound a sender's calls and operators. */
static int get_sender(void *entry, uint64_t *hash, struct codec_reader *reader, void *ctx)
{
	const struct binding *binding = ctx;
	struct sender_rate *rate = entry;

	codec_get_string(reader, rate->name, sizeof(rate->name));
	rate->hour = codec_get_i64(reader);
	rate->count = codec_get_u32(reader);
	rate->calls = codec_get_u32(reader);
	rate->operators = codec_get_u32(reader);
	for (int limit = 0; limit < BINDING_LIMITS; limit++) {
		rate->episodes[limit].open = codec_get_u8(reader) != 0;
		rate->episodes[limit].refused = codec_get_u64(reader);
		rate->episodes[limit].refused_ms = codec_get_i64(reader);
	}
	rate->last_ms = codec_get_i64(reader);
	*hash = hash_string(rate->name);
	return rate->calls > binding->calls.count || rate->operators > binding->operators.count
		       ? -EINVAL
		       : 0;
}

void binding_save(const struct binding *binding, struct codec_writer *writer)
{
	codec_put_counters(writer, binding_counters, CODEC_COUNTER_COUNT(binding_counters),
			   &binding->stats);
	codec_put_u32(writer, binding->open_episodes);
	table_save_entries(&binding->calls, writer, put_call_owner, NULL);
	table_save_entries(&binding->operators, writer, put_operator_owner, NULL);
	table_save_entries(&binding->senders, writer, put_sender, NULL);
}

static uint32_t count_open_episodes(const struct binding *binding)
{
	uint32_t open = 0;

	for (uint32_t i = 0; i <= binding->senders.mask; i++) {
		const struct sender_rate *rate = table_slot(&binding->senders, i);
		for (int limit = 0; table_used(&binding->senders, i) && limit < BINDING_LIMITS;
		     limit++)
			open += rate->episodes[limit].open;
	}
	return open;
}

/* After a failed load: the text last read is freed unless an entry holds it (its claim
 * failed for memory, or the reader failed after it). */
static void forget_unclaimed(struct binding *binding, char *pending)
{
	for (uint32_t i = 0; pending && i <= binding->operators.mask; i++)
		if (table_used(&binding->operators, i) &&
		    ((struct operator_owner *)table_slot(&binding->operators, i))->long_text ==
			    pending)
			return;
	free(pending);
}

int binding_load(struct binding *binding, struct codec_reader *reader, uint32_t format)
{
	if (codec_get_counters(reader, binding_counters, CODEC_COUNTER_COUNT(binding_counters),
			       &binding->stats) != 0)
		return -EINVAL;
	binding->open_episodes = codec_get_u32(reader);
	if (reader->failed)
		return -EINVAL;
	int rc = table_load_entries(&binding->calls, reader, get_call_owner, &format);
	if (rc != 0)
		return rc; /* -ENOMEM: a good snapshot, no memory to read it */
	char *pending = NULL;
	if ((rc = table_load_entries(&binding->operators, reader, get_operator_owner, &pending))) {
		forget_unclaimed(binding, pending);
		return rc;
	}
	if ((rc = table_load_entries(&binding->senders, reader, get_sender, binding)) != 0)
		return rc;
	binding->settle_after_ms = oldest_refusal(binding);
	return count_open_episodes(binding) == binding->open_episodes ? 0 : -EINVAL;
}
