/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "codec.h"
#include "fail_malloc.h"
#include "hash.h"
#include "reorder.h"

#define T0 INT64_C(1795939200000)
#define REORDER_LAYOUT_COUNT 1982
#define REORDER_LAYOUT_HASH UINT64_C(0x14cc197263a9bc47) /* snapshot format 8: with named */

/* Sources whose strcmp order is not their length's or their number's: upper case first,
 * "cad-10" before "cad-2", a prefix before its extensions, and a name of the greatest length. */
static const char *const source_names[] = {
	"cad-2", "cad-10", "cad-1", "CAD-9", "cad", "cad-1-backup",
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
};
#define SOURCE_COUNT (sizeof(source_names) / sizeof(source_names[0]))

/* splitmix64: the same operations on every run and host. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The n-th pushed item's arrival: distinct for distinct n, in no particular order, spanning
 * the whole of uint64_t (so that a signed or truncated comparison would be seen). */
static uint64_t arrival_of(uint32_t n)
{
	return (uint64_t)(n + 1) * UINT64_C(0xd1b54a32d192ed03);
}

/* A valid item (as the parser would give it) made from its key alone, every field filled. */
static void make_item(struct reorder_item *item, int64_t ts_ms, unsigned source, uint64_t arrival)
{
	struct event *event = &item->event;
	unsigned kind = (unsigned)(arrival % 5);

	memset(item, 0, sizeof(*item));
	item->named = source % 2 == 0;
	event->type = (enum event_type)(EVENT_CALL_START + (int)kind);
	event->ts_ms = ts_ms;
	event->has_seq = (arrival >> 7) & 1;
	event->seq = arrival ^ UINT64_C(0x5555aaaa5555aaaa);
	event->released_by = event->type == EVENT_CALL_END ? RELEASED_BY_CALLER : 0;
	event->state = event->type == EVENT_OPERATOR_STATE ? AGENT_STATE_NOT_AVAILABLE
							   : AGENT_STATE_NONE;
	snprintf(event->call_id, sizeof(event->call_id), "call-%016llx",
		 (unsigned long long)arrival);
	snprintf(event->event_id, sizeof(event->event_id), "ev-%llu", (unsigned long long)arrival);
	snprintf(event->operator_id, sizeof(event->operator_id), "op-%u", (unsigned)(arrival % 97));
	snprintf(event->agency, sizeof(event->agency), "agency-%u", (unsigned)(arrival % 3));
	snprintf(event->position, sizeof(event->position), "pos-%u", (unsigned)(arrival % 11));
	snprintf(event->ani, sizeof(event->ani), "+1555%07u", (unsigned)(arrival % 10000000));
	if (event->type == EVENT_INCIDENT)
		snprintf(event->incident_id, sizeof(event->incident_id), "inc-%u",
			 (unsigned)(arrival % 1000));
	if (event->type == EVENT_TRANSFER)
		snprintf(event->transfer_to, sizeof(event->transfer_to), "psap-%u",
			 (unsigned)(arrival % 7));
	snprintf(item->source, sizeof(item->source), "%s", source_names[source]);
	item->arrival = arrival;
	item->call_hash = reorder_call_hash(event);
}

/* make_item, and for one arrival in 8 the call, event and operator ids at their greatest
 * length (64 bytes): an item a large slot holds (its strings pack to more than 169 bytes). */
static void make_model_item(struct reorder_item *item, int64_t ts_ms, unsigned source,
			    uint64_t arrival)
{
	struct event *event = &item->event;
	char *ids[] = { event->call_id, event->event_id, event->operator_id };

	make_item(item, ts_ms, source, arrival);
	if (arrival % 8 != 5)
		return;
	for (size_t i = 0; i < 3; i++) { /* each id as it was, then '=' to 64 bytes */
		size_t len = strlen(ids[i]);
		memset(ids[i] + len, '=', EVENT_ID_MAX - len);
		ids[i][EVENT_ID_MAX] = '\0';
	}
	item->call_hash = reorder_call_hash(event);
}

static void assert_item_equal(const struct reorder_item *got, const struct reorder_item *want)
{
	assert_int_equal(got->event.ts_ms, want->event.ts_ms);
	assert_string_equal(got->source, want->source);
	assert_int_equal(got->named, want->named);
	assert_int_equal(got->arrival, want->arrival);
	assert_int_equal(got->call_hash, want->call_hash);
	assert_int_equal(got->event.type, want->event.type);
	assert_int_equal(got->event.has_seq, want->event.has_seq);
	assert_int_equal(got->event.seq, want->event.seq);
	assert_int_equal(got->event.released_by, want->event.released_by);
	assert_int_equal(got->event.state, want->event.state);
	assert_string_equal(got->event.call_id, want->event.call_id);
	assert_string_equal(got->event.event_id, want->event.event_id);
	assert_string_equal(got->event.operator_id, want->event.operator_id);
	assert_string_equal(got->event.agency, want->event.agency);
	assert_string_equal(got->event.position, want->event.position);
	assert_string_equal(got->event.ani, want->event.ani);
	assert_string_equal(got->event.incident_id, want->event.incident_id);
	assert_string_equal(got->event.transfer_to, want->event.transfer_to);
}

/* The model: the held keys in a sorted array, first the next to release (from head on). */
struct model_key {
	int64_t ts_ms;
	unsigned source;
	uint64_t arrival;
};

struct model {
	struct model_key *keys;
	size_t head, len, cap;
};

/* The release order reorder.h promises: ts, then source name, then arrival. */
static int model_compare(const struct model_key *a, const struct model_key *b)
{
	int names;

	if (a->ts_ms != b->ts_ms)
		return a->ts_ms < b->ts_ms ? -1 : 1;
	if ((names = strcmp(source_names[a->source], source_names[b->source])) != 0)
		return names;
	return a->arrival < b->arrival ? -1 : a->arrival > b->arrival;
}

static size_t model_count(const struct model *model)
{
	return model->len - model->head;
}

static void model_push(struct model *model, struct model_key key)
{
	size_t low = model->head, high = model->len;

	if (model->head > model->len / 2) {
		memmove(model->keys, model->keys + model->head,
			model_count(model) * sizeof(*model->keys));
		model->len -= model->head;
		model->head = 0;
		low = 0;
		high = model->len;
	}
	if (model->len == model->cap) {
		model->cap = model->cap ? model->cap * 2 : 64;
		model->keys = realloc(model->keys, model->cap * sizeof(*model->keys));
		assert_non_null(model->keys);
	}
	while (low < high) { /* the first key after the new one */
		size_t mid = low + (high - low) / 2;
		if (model_compare(&model->keys[mid], &key) < 0)
			low = mid + 1;
		else
			high = mid;
	}
	memmove(model->keys + low + 1, model->keys + low, (model->len - low) * sizeof(key));
	model->keys[low] = key;
	model->len++;
}

/* The model's first item, made in full. */
static void model_first(const struct model *model, struct reorder_item *out)
{
	const struct model_key *key = &model->keys[model->head];

	assert_true(model_count(model) > 0);
	make_model_item(out, key->ts_ms, key->source, key->arrival);
}

/* What a run of random operations did, for its exact assertions. */
struct run_counts {
	uint32_t pushes, pops, peeks, empty_pops, most_held, tied_pops;
};

/* One random operation on the reorders (each the same) and the model, checked against it:
 * push (more likely in a growing phase), pop, or peek. ts_ms is near a clock that moves on
 * by 1 ms a step, 64 ms either side: many ties of ts, and of ts and source. */
static void random_step(struct reorder **reorders, size_t reorders_len, struct model *model,
			uint64_t *random, uint32_t step, bool growing, struct run_counts *counts,
			int64_t *last_popped_ts)
{
	uint64_t r = next_random(random);
	unsigned kind = (unsigned)(r % 100);
	struct reorder_item want, got;

	if (kind < (growing ? 60u : 20u)) {
		struct model_key key = {
			.ts_ms = T0 + step + (int64_t)((r >> 8) % 129) - 64,
			.arrival = arrival_of(counts->pushes),
			.source = (unsigned)((r >> 20) % SOURCE_COUNT),
		};
		make_model_item(&want, key.ts_ms, key.source, key.arrival);
		/* Every other push packed straight from the event, as the engine does. */
		for (size_t i = 0; i < reorders_len; i++)
			assert_int_equal(counts->pushes % 2
						 ? reorder_push_event(reorders[i], &want.event,
								      want.source, want.named,
								      want.arrival, want.call_hash)
						 : reorder_push(reorders[i], &want),
					 0);
		model_push(model, key);
		counts->pushes++;
	} else if (kind < 85) {
		bool expected = model_count(model) > 0;
		if (expected)
			model_first(model, &want);
		for (size_t i = 0; i < reorders_len; i++) {
			/* Every other pop taken as reorder_take unpacks it, as the engine does. */
			const struct reorder_item *taken =
				counts->pops % 2 ? reorder_take(reorders[i])
						 : (reorder_pop(reorders[i], &got) ? &got : NULL);
			assert_int_equal(taken != NULL, expected);
			if (expected)
				assert_item_equal(taken, &want);
		}
		if (expected) {
			counts->tied_pops += want.event.ts_ms == *last_popped_ts;
			*last_popped_ts = want.event.ts_ms;
			model->head++;
			counts->pops++;
		} else {
			counts->empty_pops++;
		}
	} else {
		for (size_t i = 0; i < reorders_len; i++) {
			const struct reorder_item *peeked = reorder_peek(reorders[i]);
			if (model_count(model) == 0) {
				assert_null(peeked);
				continue;
			}
			model_first(model, &want);
			assert_non_null(peeked);
			assert_item_equal(peeked, &want);
		}
		counts->peeks++;
	}
	for (size_t i = 0; i < reorders_len; i++) {
		assert_int_equal(reorder_count(reorders[i]), model_count(model));
		/* Peek is always the next pop: the model's first (checked by the pops above). */
		const struct reorder_item *peeked = reorder_peek(reorders[i]);
		if (model_count(model) == 0)
			assert_null(peeked);
		else
			assert_int_equal(peeked->arrival, model->keys[model->head].arrival);
	}
	if (model_count(model) > counts->most_held)
		counts->most_held = (uint32_t)model_count(model);
}

/* Pop everything left from each reorder, checked against the model, and see them empty. */
static void drain(struct reorder **reorders, size_t reorders_len, struct model *model)
{
	struct reorder_item want, got;

	while (model_count(model) > 0) {
		model_first(model, &want);
		for (size_t i = 0; i < reorders_len; i++) {
			assert_true(reorder_pop(reorders[i], &got));
			assert_item_equal(&got, &want);
		}
		model->head++;
	}
	for (size_t i = 0; i < reorders_len; i++) {
		assert_int_equal(reorder_count(reorders[i]), 0);
		assert_null(reorder_peek(reorders[i]));
		assert_false(reorder_pop(reorders[i], &got));
	}
}

/* The reorder's arrays hold keys keys, small small slots and large large ones (each slot with
 * its free entry): its bytes beyond a fresh reorder's. */
static void assert_reorder_grown(const struct reorder *reorder, size_t keys, size_t small,
				 size_t large)
{
	struct reorder *fresh = reorder_new(1);

	assert_non_null(fresh);
	assert_int_equal(reorder_memory_bytes(reorder) - reorder_memory_bytes(fresh),
			 keys * 16 + small * (256 + 4) + large * (648 + 4));
	reorder_free(fresh);
}

/* 200,000 random pushes, pops and peeks in four rounds, each growing (60% pushes, 25% pops)
 * for 25,000 steps then draining (20% pushes, 65% pops) for 25,000 to empty, against the model:
 * every pop is the model's first in full, every peek too, the count always the model's. The
 * run's shape is exact (the PRNG is fixed): up to 8,929 held (the keys grown from 64 by
 * doubling to 16,384, the small slots to 8,192 and, one push in 8 with 64-byte ids, the large
 * to 2,048), 9,771 pops that found it empty, 16,228 pops with the ts of the pop before (ties
 * broken by name and arrival), every push popped by the end. */
static void test_random_against_model(void **state)
{
	struct reorder *reorder = reorder_new(1000000);
	struct model model = {0};
	struct run_counts counts = {0};
	uint64_t random = 17;
	int64_t last_popped_ts = INT64_MIN;
	(void)state;

	assert_non_null(reorder);
	for (uint32_t step = 0; step < 200000; step++)
		random_step(&reorder, 1, &model, &random, step, step % 50000 < 25000, &counts,
			    &last_popped_ts);
	assert_int_equal(counts.pushes + counts.pops + counts.peeks + counts.empty_pops, 200000);
	assert_int_equal(counts.pushes, 79965);
	assert_int_equal(counts.pops, 79965);
	assert_int_equal(counts.peeks, 30299);
	assert_int_equal(counts.empty_pops, 9771);
	assert_int_equal(counts.most_held, 8929);
	assert_int_equal(counts.tied_pops, 16228);
	assert_reorder_grown(reorder, 16384, 8192, 2048);
	drain(&reorder, 1, &model);
	assert_false(reorder_full(reorder));
	reorder_free(reorder);
	free(model.keys);
}

static void save_to(const struct reorder *reorder, struct codec_writer *writer)
{
	*writer = (struct codec_writer){0};
	reorder_save(reorder, writer);
	assert_false(writer->failed);
}

/* A fresh reorder (bound bound) loaded from what reorder saved; its own save is the same
 * bytes. */
static struct reorder *reloaded(const struct reorder *reorder, uint32_t bound)
{
	struct codec_writer saved, again;
	struct codec_reader reader;
	struct reorder *copy = reorder_new(bound);

	assert_non_null(copy);
	save_to(reorder, &saved);
	codec_reader_init(&reader, saved.data, saved.len);
	assert_int_equal(reorder_load(copy, &reader), 0);
	assert_false(reader.failed);
	assert_int_equal(reader.pos, saved.len);
	assert_int_equal(reorder_count(copy), reorder_count(reorder));
	save_to(copy, &again);
	assert_int_equal(again.len, saved.len);
	assert_memory_equal(again.data, saved.data, saved.len);
	codec_writer_release(&saved);
	codec_writer_release(&again);
	return copy;
}

/* Both reorders save the same bytes. */
static void assert_same_saves(const struct reorder *a, const struct reorder *b)
{
	struct codec_writer saved_a, saved_b;

	save_to(a, &saved_a);
	save_to(b, &saved_b);
	assert_int_equal(saved_a.len, saved_b.len);
	assert_memory_equal(saved_a.data, saved_b.data, saved_a.len);
	codec_writer_release(&saved_a);
	codec_writer_release(&saved_b);
}

/* A save and load mid-stream: every 10,000 steps of 100,000 random ones (as above), the
 * running reorder is saved and loaded into a fresh one, which saves the same bytes; the two
 * then go on with the same operations, popping the same items (the model's), and at the next
 * reload they still save the same bytes: the loaded heap orders its keys as the saved one did,
 * its item slots notwithstanding. 10 reloads, up to 8,741 events, 2 of an empty reorder. */
static void test_save_load_mid_stream(void **state)
{
	struct reorder *reorders[2] = { reorder_new(1000000), NULL };
	struct model model = {0};
	struct run_counts counts = {0};
	uint64_t random = 4242;
	int64_t last_popped_ts = INT64_MIN;
	uint32_t reloads = 0, empty_reloads = 0, most_reloaded = 0;
	(void)state;

	assert_non_null(reorders[0]);
	for (uint32_t step = 0; step < 100000; step++) {
		if (step % 10000 == 5000) {
			if (reorders[1]) {
				assert_same_saves(reorders[0], reorders[1]);
				reorder_free(reorders[1]);
			}
			reorders[1] = reloaded(reorders[0], 1000000);
			reloads++;
			empty_reloads += reorder_count(reorders[0]) == 0;
			if (reorder_count(reorders[0]) > most_reloaded)
				most_reloaded = reorder_count(reorders[0]);
		}
		random_step(reorders, reorders[1] ? 2 : 1, &model, &random, step,
			    step % 50000 < 25000, &counts, &last_popped_ts);
	}
	assert_int_equal(reloads, 10);
	assert_int_equal(empty_reloads, 2);
	assert_int_equal(most_reloaded, 8741);
	assert_int_equal(counts.pushes, 39945);
	assert_int_equal(counts.pops, 39945);
	assert_same_saves(reorders[0], reorders[1]);
	drain(reorders, 2, &model);
	reorder_free(reorders[0]);
	reorder_free(reorders[1]);
	free(model.keys);
}

/* The engine's shape, against the model's (ts, source name, arrival) order: 7 sources
 * interleaved at random, each sending in ts order but for 1 event in 16, which is up to 2 s
 * older than its newest; arrivals numbered as they come; the first released while it is
 * before every source's newest (as the center releases), and now and then everything (a
 * source gone quiet). Every 5,000 steps the reorder is saved and loaded into a fresh one,
 * which then goes on alongside; there each source's count is also checked against the items
 * listed by reorder_item_at. 100,000 steps: 6,262 older events, up to 1,205 held, everything
 * released 59 times, 99,346 released in the run and the rest at the end. */
static void test_sources_against_model(void **state)
{
	struct reorder *reorders[2] = { reorder_new(1000000), NULL };
	struct model model = {0};
	int64_t newest[SOURCE_COUNT];
	uint64_t random = 1717;
	uint32_t pushes = 0, pops = 0, older = 0, most_held = 0, drains = 0;
	struct reorder_item want, got;
	(void)state;

	assert_non_null(reorders[0]);
	for (size_t s = 0; s < SOURCE_COUNT; s++)
		newest[s] = T0;
	for (uint32_t step = 0; step < 100000; step++) {
		uint64_t r = next_random(&random);
		unsigned source = (unsigned)(r % SOURCE_COUNT);
		size_t live = reorders[1] ? 2 : 1;
		int64_t center = INT64_MAX;
		bool drain_all = (r >> 40) % 2000 == 0;

		if (step % 5000 == 2500) {
			uint32_t per_source[SOURCE_COUNT] = {0};
			for (uint32_t k = 0; k < reorder_count(reorders[0]); k++) {
				struct reorder_item item;
				reorder_item_at(reorders[0], k, &item);
				for (unsigned n = 0; n < SOURCE_COUNT; n++)
					per_source[n] += strcmp(item.source, source_names[n]) == 0;
			}
			for (unsigned n = 0; n < SOURCE_COUNT; n++)
				assert_int_equal(reorder_count_source(reorders[0], source_names[n]),
						 per_source[n]);
			reorder_free(reorders[1]);
			reorders[1] = reloaded(reorders[0], 1000000);
			live = 2;
		}
		int64_t ts = (newest[source] += (int64_t)((r >> 8) % 40));
		if ((r >> 16) % 16 == 0) {
			ts -= (int64_t)((r >> 20) % 2000);
			older++;
		}
		make_model_item(&want, ts, source, ++pushes);
		for (size_t i = 0; i < live; i++)
			assert_int_equal(reorder_push(reorders[i], &want), 0);
		model_push(&model, (struct model_key){ ts, source, want.arrival });
		for (size_t s = 0; s < SOURCE_COUNT; s++)
			center = newest[s] < center ? newest[s] : center;
		drains += drain_all;
		while (model_count(&model) > 0 &&
		       (drain_all || model.keys[model.head].ts_ms < center)) {
			model_first(&model, &want);
			for (size_t i = 0; i < live; i++) {
				assert_true(reorder_pop(reorders[i], &got));
				assert_item_equal(&got, &want);
			}
			model.head++;
			pops++;
		}
		for (size_t i = 0; i < live; i++)
			assert_int_equal(reorder_count(reorders[i]), model_count(&model));
		if (model_count(&model) > most_held)
			most_held = (uint32_t)model_count(&model);
	}
	assert_int_equal(pushes, 100000);
	assert_int_equal(older, 6262);
	assert_int_equal(pops, 99346);
	assert_int_equal(most_held, 1205);
	assert_int_equal(drains, 59);
	drain(reorders, 2, &model);
	reorder_free(reorders[0]);
	reorder_free(reorders[1]);
	free(model.keys);
}

/* The heap's layout, which reorder_save writes as it is: after a fixed run of pushes and pops
 * (many ties of ts and of ts and source), the saved bytes hash to what the sift down of every
 * earlier version gave (computed with it; reorder_take finds the place Floyd's way). */
static void test_saved_layout(void **state)
{
	struct reorder *reorder = reorder_new(100000);
	struct reorder_item item;
	struct codec_writer saved;
	uint64_t random = 17, hash = UINT64_C(14695981039346656037);
	uint32_t pushes = 0;

	(void)state;
	assert_non_null(reorder);
	for (uint32_t step = 0; step < 20000; step++) {
		uint64_t r = next_random(&random);

		if (r % 100 < 55 || reorder_count(reorder) == 0) {
			make_item(&item, T0 + step / 4 + (int64_t)((r >> 8) % 32),
				  (unsigned)((r >> 20) % SOURCE_COUNT), arrival_of(pushes++));
			assert_int_equal(reorder_push(reorder, &item), 0);
		} else {
			assert_non_null(reorder_take(reorder));
		}
	}
	save_to(reorder, &saved);
	assert_false(saved.failed);
	for (size_t i = 0; i < saved.len; i++)
		hash = (hash ^ saved.data[i]) * UINT64_C(1099511628211);
	assert_int_equal(reorder_count(reorder), REORDER_LAYOUT_COUNT);
	assert_int_equal(hash, REORDER_LAYOUT_HASH);
	codec_writer_release(&saved);
	reorder_free(reorder);
}

/* An item's call_hash is the caller's, kept as given (reorder_push_event: the engine has it
 * from the parse), not saved, and computed again on load: hash_string of the call id, 0 for an
 * operator's state whatever its call_id holds. */
static void test_call_hash(void **state)
{
	struct reorder *reorder = reorder_new(8), *copy = reorder_new(8);
	struct reorder_item item, state_item;
	const struct reorder_item *taken;
	struct codec_writer saved;
	struct codec_reader reader;
	(void)state;

	assert_non_null(reorder);
	assert_non_null(copy);
	make_item(&item, T0, 0, 5); /* 5 % 5: a call_start */
	make_item(&state_item, T0 + 1, 1, 9); /* 9 % 5: an operator_state */
	assert_int_equal(item.event.type, EVENT_CALL_START);
	assert_int_equal(state_item.event.type, EVENT_OPERATOR_STATE);
	assert_int_equal(item.call_hash, hash_string("call-0000000000000005"));
	assert_int_not_equal(item.call_hash, 0);
	assert_int_equal(state_item.call_hash, 0);
	assert_int_equal(reorder_push_event(reorder, &item.event, item.source, true, 5, 42), 0);
	assert_int_equal(
		reorder_push_event(reorder, &state_item.event, state_item.source, false, 9, 7), 0);
	save_to(reorder, &saved);
	assert_false(saved.failed);
	codec_reader_init(&reader, saved.data, saved.len);
	assert_int_equal(reorder_load(copy, &reader), 0);
	assert_non_null(taken = reorder_take(reorder));
	assert_int_equal(taken->call_hash, 42);
	assert_non_null(taken = reorder_take(reorder));
	assert_int_equal(taken->call_hash, 7);
	assert_non_null(taken = reorder_take(copy));
	assert_item_equal(taken, &item);
	assert_non_null(taken = reorder_take(copy));
	assert_item_equal(taken, &state_item);
	codec_writer_release(&saved);
	reorder_free(copy);
	reorder_free(reorder);
}

/* text: len bytes of c, then its NUL. */
static void fill_text(char *text, size_t len, char c)
{
	memset(text, c, len);
	text[len] = '\0';
}

/* The packing's edge cases, in turn by n: (0) every string at its greatest length (the source
 * CLOCKS_NAME_MAX bytes) and every field at its extreme; (1) every string empty, the source's
 * too; (2) strings packing to 169 bytes with their NULs, the most a small slot holds; (3) 170,
 * the fewest a large slot takes. Each string of c (n's own), so that one overwritten shows. */
static void make_edge_item(struct reorder_item *item, uint32_t n)
{
	struct event *event = &item->event;
	char c = (char)('a' + n % 26);

	memset(item, 0, sizeof(*item));
	event->ts_ms = T0 + n;
	item->arrival = n + 1;
	switch (n % 4) {
	case 0:
		event->type = EVENT_CALL_END;
		event->has_seq = true;
		event->seq = UINT64_MAX;
		event->released_by = RELEASED_BY_UNKNOWN;
		event->start_hashed = true;
		event->agency_hash = UINT64_MAX;
		event->operator_hash = UINT64_C(0x8000000000000001);
		event->ani_hash = n;
		fill_text(item->source, CLOCKS_NAME_MAX, c);
		fill_text(event->call_id, EVENT_ID_MAX, c);
		fill_text(event->event_id, EVENT_ID_MAX, c);
		fill_text(event->operator_id, EVENT_ID_MAX, c);
		fill_text(event->agency, EVENT_ID_MAX, c);
		fill_text(event->position, EVENT_ID_MAX, c);
		fill_text(event->ani, EVENT_ANI_MAX, c);
		fill_text(event->incident_id, EVENT_ID_MAX, c);
		fill_text(event->transfer_to, EVENT_ID_MAX, c);
		item->named = true;
		item->arrival = UINT64_MAX - n;
		break;
	case 1:
		event->type = EVENT_OPERATOR_STATE;
		event->state = AGENT_STATE_LOGGED_OFF;
		break;
	default: /* "cad-1" (6), call_id and event_id (65 each), five empty (5), operator's */
		event->type = EVENT_CALL_START;
		fill_text(item->source, 5, c);
		fill_text(event->call_id, EVENT_ID_MAX, c);
		fill_text(event->event_id, EVENT_ID_MAX, c);
		fill_text(event->operator_id, n % 4 == 2 ? 27 : 28, c);
		break;
	}
	item->call_hash = reorder_call_hash(event);
}

/* assert_item_equal, and the hashes a parsed call_start brings (start_hashed: kept while
 * held, not saved). */
static void assert_item_hashes_equal(const struct reorder_item *got,
				     const struct reorder_item *want)
{
	assert_item_equal(got, want);
	assert_int_equal(got->event.start_hashed, want->event.start_hashed);
	assert_int_equal(got->event.agency_hash, want->event.agency_hash);
	assert_int_equal(got->event.operator_hash, want->event.operator_hash);
	assert_int_equal(got->event.ani_hash, want->event.ani_hash);
}

/* 64 items of the packing's edges (make_edge_item), small and large slots side by side, each
 * pushed (every other one straight into its slot), listed, saved and loaded, and taken: each
 * comes back whole, hashes too (a load has none: start_hashed false), and the load saves the
 * same bytes, as long as format 17's items are (68 bytes and the strings' each). */
static void test_packing_edges(void **state)
{
	struct reorder *reorder = reorder_new(64), *copy;
	struct reorder_item want, got;
	struct codec_writer saved;
	size_t strings_bytes = 0;
	(void)state;

	assert_non_null(reorder);
	for (uint32_t n = 0; n < 64; n++) {
		make_edge_item(&want, n);
		assert_int_equal(n % 2 ? reorder_push(reorder, &want)
				       : reorder_push_event(reorder, &want.event, want.source,
							    want.named, want.arrival,
							    want.call_hash),
				 0);
		strings_bytes +=
			(size_t[]){ 65 + 7 * 64 + 32, 0, 5 + 128 + 27, 5 + 128 + 28 }[n % 4];
	}
	for (uint32_t k = 0; k < 64; k++) { /* listed: each item whole, its call_id in place */
		reorder_item_at(reorder, k, &got);
		make_edge_item(&want, (uint32_t)(got.event.ts_ms - T0));
		assert_item_hashes_equal(&got, &want);
		assert_string_equal(reorder_call_id_at(reorder, k), want.event.call_id);
	}
	save_to(reorder, &saved);
	assert_int_equal(saved.len, 4 + 64 * 68 + strings_bytes);
	codec_writer_release(&saved);
	copy = reloaded(reorder, 64);
	for (uint32_t n = 0; n < 64; n++) {
		make_edge_item(&want, n);
		assert_true(reorder_pop(reorder, &got));
		assert_item_hashes_equal(&got, &want);
		assert_true(reorder_pop(copy, &got));
		want.event.start_hashed = false;
		want.event.agency_hash = want.event.operator_hash = want.event.ani_hash = 0;
		assert_item_hashes_equal(&got, &want);
	}
	assert_int_equal(reorder_count(copy), 0);
	reorder_free(copy);
	reorder_free(reorder);
}

/* A call_start of source "cad-1" whose strings pack to bytes (their NULs included), the last
 * (transfer_to) last_len bytes long, the rest in call_id, event_id and operator_id: each
 * string of its own letter, so that one overwritten shows. */
static void make_sized_item(struct reorder_item *item, size_t bytes, size_t last_len,
			    int64_t ts_ms, uint64_t arrival)
{
	struct event *event = &item->event;
	size_t rest = bytes - 6 - (last_len + 1) - 7; /* the source's, the last's, 7 NULs */
	char *fields[] = { event->call_id, event->event_id, event->operator_id };

	memset(item, 0, sizeof(*item));
	event->type = EVENT_CALL_START;
	event->ts_ms = ts_ms;
	fill_text(item->source, 5, 's');
	for (size_t i = 0; i < 3; i++) {
		size_t len = rest < EVENT_ID_MAX ? rest : EVENT_ID_MAX;
		fill_text(fields[i], len, (char)('x' + i));
		rest -= len;
	}
	assert_int_equal(rest, 0);
	fill_text(event->transfer_to, last_len, 't');
	item->arrival = arrival;
	item->call_hash = reorder_call_hash(event);
}

/* A slot's slack: A and B pushed (slots 0 and 1), A taken, and into A's freed slot an item
 * whose strings pack to each size from 140 to 200 bytes, its last string empty (copied as 16
 * bytes) or 16 bytes long (copied as 32): those of a small slot's size (169 bytes at most)
 * end their copies within the slot, and B comes back whole, ts and arrival first. */
static void test_slot_slack(void **state)
{
	struct reorder_item a, b, c;
	(void)state;

	make_item(&a, T0, 0, 1);
	make_item(&b, T0 + 1, 0, 2);
	for (size_t bytes = 140; bytes <= 200; bytes++) {
		for (size_t last_len = 0; last_len <= 16; last_len += 16) {
			struct reorder *reorder = reorder_new(8);
			assert_non_null(reorder);
			assert_int_equal(reorder_push(reorder, &a), 0);
			assert_int_equal(reorder_push(reorder, &b), 0);
			assert_item_equal(reorder_take(reorder), &a);
			make_sized_item(&c, bytes, last_len, T0 + 2, 3);
			assert_int_equal(reorder_push(reorder, &c), 0);
			assert_item_equal(reorder_take(reorder), &b);
			assert_item_equal(reorder_take(reorder), &c);
			reorder_free(reorder);
		}
	}
}

/* Each pool grows to at most the bound (here 100), whatever the mix: a burst of 100 small
 * items, all but one taken, then 99 large ones while it is held: 100 keys, 100 small slots and
 * 100 large (each with its free entry), not the 128 a doubling from 64 gives. Past the bound
 * (pushes the caller did not make room for) they double on. */
static void test_pools_bounded(void **state)
{
	struct reorder *reorder = reorder_new(100);
	struct reorder_item item;
	uint32_t n = 0;
	(void)state;

	assert_non_null(reorder);
	for (; n < 100; n++) {
		make_sized_item(&item, 40, 0, T0 + n, n);
		assert_int_equal(reorder_push(reorder, &item), 0);
	}
	assert_reorder_grown(reorder, 100, 100, 0);
	for (uint32_t k = 0; k < 99; k++)
		assert_int_equal(reorder_take(reorder)->arrival, k);
	for (; n < 199; n++) {
		make_sized_item(&item, 170, 0, T0 + n, n);
		assert_int_equal(reorder_push(reorder, &item), 0);
	}
	assert_int_equal(reorder_count(reorder), 100);
	assert_reorder_grown(reorder, 100, 100, 100);
	for (; n < 201; n++) { /* 101 and 102 held: the keys, then the large slots, double */
		make_sized_item(&item, 170, 0, T0 + n, n);
		assert_int_equal(reorder_push(reorder, &item), 0);
		assert_reorder_grown(reorder, 200, 100, n == 199 ? 100 : 200);
	}
	for (uint32_t k = 99; k <= 200; k++)
		assert_int_equal(reorder_take(reorder)->arrival, k);
	reorder_free(reorder);
}

/* A push that grows the arrays (the 65th: the keys, then its pool's slots and free entries,
 * 3 allocations) with each allocation failing in turn, for small items and for large: -ENOMEM,
 * the 64 held as they were; pushed again it is held, and the 65 come back whole in ts order.
 * Failing the 4th fails nothing. */
static void test_push_out_of_memory(void **state)
{
	struct reorder_item items[65];
	(void)state;

	for (size_t bytes = 40; bytes <= 170; bytes += 130) {
		for (unsigned long fail_at = 1; fail_at <= 4; fail_at++) {
			struct reorder *reorder = reorder_new(1000);
			unsigned long calls;
			assert_non_null(reorder);
			for (uint32_t n = 0; n < 65; n++) /* ts a permutation of 0..64 */
				make_sized_item(&items[n], bytes, n % 17, T0 + (n * 37) % 65, n);
			for (uint32_t n = 0; n < 64; n++)
				assert_int_equal(reorder_push(reorder, &items[n]), 0);
			calls = fail_alloc_calls;
			fail_alloc_countdown = fail_at;
			assert_int_equal(reorder_push(reorder, &items[64]),
					 fail_at <= 3 ? -ENOMEM : 0);
			assert_int_equal(fail_alloc_calls - calls, fail_at <= 3 ? fail_at : 3);
			assert_int_equal(fail_alloc_countdown, fail_at <= 3 ? 0 : 1);
			fail_alloc_countdown = 0;
			assert_int_equal(reorder_count(reorder), fail_at <= 3 ? 64 : 65);
			if (fail_at <= 3)
				assert_int_equal(reorder_push(reorder, &items[64]), 0);
			for (uint32_t k = 0; k < 65; k++)
				assert_item_equal(reorder_take(reorder), &items[(k * 58) % 65]);
			assert_null(reorder_take(reorder));
			reorder_free(reorder);
		}
	}
}

/* A load of 300 items (every other one large) with each allocation failing in turn: the
 * first 13 (the keys, then each pool's slots and free entries at 0, 64 and 128) -ENOMEM, the
 * reorder left empty and loading again into it; the 14th fails nothing. Each load saves the
 * bytes it loaded. */
static void test_load_out_of_memory(void **state)
{
	struct reorder *reorder = reorder_new(1000);
	struct reorder_item item;
	struct codec_writer saved, again;
	(void)state;

	assert_non_null(reorder);
	for (uint32_t n = 0; n < 300; n++) {
		make_sized_item(&item, n % 2 ? 170 : 40, n % 17, T0 + n % 7, n);
		assert_int_equal(reorder_push(reorder, &item), 0);
	}
	assert_reorder_grown(reorder, 512, 256, 256);
	save_to(reorder, &saved);
	for (unsigned long fail_at = 1; fail_at <= 14; fail_at++) {
		struct reorder *copy = reorder_new(1000);
		struct codec_reader reader;
		assert_non_null(copy);
		codec_reader_init(&reader, saved.data, saved.len);
		fail_alloc_countdown = fail_at;
		assert_int_equal(reorder_load(copy, &reader), fail_at <= 13 ? -ENOMEM : 0);
		assert_int_equal(fail_alloc_countdown, fail_at <= 13 ? 0 : 1);
		fail_alloc_countdown = 0;
		if (fail_at <= 13) {
			assert_int_equal(reorder_count(copy), 0);
			assert_null(reorder_peek(copy));
			codec_reader_init(&reader, saved.data, saved.len);
			assert_int_equal(reorder_load(copy, &reader), 0);
		}
		assert_int_equal(reorder_count(copy), 300);
		save_to(copy, &again);
		assert_int_equal(again.len, saved.len);
		assert_memory_equal(again.data, saved.data, saved.len);
		codec_writer_release(&again);
		reorder_free(copy);
	}
	codec_writer_release(&saved);
	reorder_free(reorder);
}

/* An array filled to its end without its NUL (the parser never gives one): packed and taken
 * as its first size - 1 bytes and a NUL, the slot's strings after it in place. */
static void test_unterminated_string(void **state)
{
	struct reorder *reorder = reorder_new(8);
	struct reorder_item item;
	const struct reorder_item *taken;
	(void)state;

	assert_non_null(reorder);
	make_sized_item(&item, 100, 4, T0, 1);
	memset(item.event.call_id, 'c', sizeof(item.event.call_id));
	assert_int_equal(reorder_push(reorder, &item), 0);
	assert_non_null(taken = reorder_take(reorder));
	assert_int_equal(strnlen(taken->event.call_id, sizeof(taken->event.call_id)), EVENT_ID_MAX);
	item.event.call_id[EVENT_ID_MAX] = '\0';
	assert_item_equal(taken, &item);
	reorder_free(reorder);
}

/* Empty: nothing to peek or pop, before anything was pushed and after all was popped. */
static void test_empty(void **state)
{
	struct reorder *reorder = reorder_new(8);
	struct reorder_item item, out;
	(void)state;

	assert_non_null(reorder);
	assert_int_equal(reorder_count(reorder), 0);
	assert_false(reorder_full(reorder));
	assert_null(reorder_peek(reorder));
	assert_false(reorder_pop(reorder, &out));
	make_item(&item, T0, 0, 1);
	assert_int_equal(reorder_push(reorder, &item), 0);
	assert_int_equal(reorder_count(reorder), 1);
	assert_non_null(reorder_peek(reorder));
	assert_true(reorder_pop(reorder, &out));
	assert_item_equal(&out, &item);
	assert_int_equal(reorder_count(reorder), 0);
	assert_null(reorder_peek(reorder));
	assert_false(reorder_pop(reorder, &out));
	reorder_free(reorder);
	reorder_free(NULL);
}

/* The extremes of each key, pushed in no order, come out in the order of ts (signed), then
 * source name (strcmp), then arrival (unsigned). */
static void test_order_of_extreme_keys(void **state)
{
	/* ts, source (index into source_names), arrival: in release order. */
	static const struct model_key expected[] = {
		{ INT64_MIN, 5, UINT64_MAX },
		{ -1, 3, 7 },
		{ 0, 3, UINT64_MAX },
		{ 0, 4, 0 },
		{ 0, 2, 0 },
		{ 0, 2, 1 },
		{ 0, 2, UINT64_C(0x8000000000000000) },
		{ 0, 2, UINT64_MAX },
		{ 0, 5, 3 },
		{ 0, 1, 2 },
		{ 0, 0, 1 },
		{ 0, 6, 0 },
		{ 1, 6, 0 },
		{ INT64_MAX, 3, 0 },
		{ INT64_MAX, 0, 0 },
	};
	static const size_t push_order[] = { 7, 13, 0, 11, 4, 9, 2, 14, 5, 1, 12, 8, 3, 10, 6 };
	struct reorder *reorder = reorder_new(4);
	struct reorder_item item, out;
	(void)state;

	assert_non_null(reorder);
	for (size_t i = 0; i < sizeof(push_order) / sizeof(push_order[0]); i++) {
		const struct model_key *key = &expected[push_order[i]];
		make_item(&item, key->ts_ms, key->source, key->arrival);
		assert_int_equal(reorder_push(reorder, &item), 0);
	}
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		make_item(&item, expected[i].ts_ms, expected[i].source, expected[i].arrival);
		assert_item_equal(reorder_peek(reorder), &item);
		assert_true(reorder_pop(reorder, &out));
		assert_item_equal(&out, &item);
	}
	assert_false(reorder_pop(reorder, &out));
	reorder_free(reorder);
}

/* The bound: full at max_events (0 means 1); push does not refuse past it (the caller makes
 * room first), it only says full; a resize below the count keeps every event to release. */
static void test_bound(void **state)
{
	struct reorder *one = reorder_new(0), *three = reorder_new(3);
	struct reorder_item item, out;
	(void)state;

	assert_non_null(one);
	assert_non_null(three);
	assert_false(reorder_full(one));
	make_item(&item, T0, 0, 1);
	assert_int_equal(reorder_push(one, &item), 0);
	assert_true(reorder_full(one));
	make_item(&item, T0 - 1, 0, 2);
	assert_int_equal(reorder_push(one, &item), 0);
	assert_int_equal(reorder_count(one), 2);
	assert_true(reorder_full(one));
	assert_true(reorder_pop(one, &out));
	assert_int_equal(out.arrival, 2);
	assert_true(reorder_full(one));
	assert_true(reorder_pop(one, &out));
	assert_int_equal(out.arrival, 1);
	assert_false(reorder_full(one));

	for (uint32_t n = 0; n < 3; n++) {
		assert_false(reorder_full(three));
		make_item(&item, T0 + 10 - n, 1, n);
		assert_int_equal(reorder_push(three, &item), 0);
	}
	assert_true(reorder_full(three));
	assert_int_equal(reorder_resize(three, 4), 0);
	assert_false(reorder_full(three));
	assert_int_equal(reorder_resize(three, 0), 0);
	assert_true(reorder_full(three));
	assert_int_equal(reorder_count(three), 3);
	for (uint32_t n = 3; n-- > 0;) {
		assert_true(reorder_pop(three, &out));
		assert_int_equal(out.arrival, n);
		assert_int_equal(out.event.ts_ms, T0 + 10 - n);
	}
	assert_false(reorder_full(three));
	make_item(&item, T0, 1, 9);
	assert_int_equal(reorder_push(three, &item), 0);
	assert_true(reorder_full(three));
	reorder_free(one);
	reorder_free(three);
}

/* A snapshot holds more events than the loading reorder's bound (it shrank by a reload): all
 * are loaded, the reorder says full, and they are released in order. */
static void test_load_over_bound(void **state)
{
	struct reorder *big = reorder_new(100), *small;
	struct reorder_item item, out;
	(void)state;

	assert_non_null(big);
	for (uint32_t n = 0; n < 5; n++) {
		make_item(&item, T0 + (n * 3) % 5, n % 2, n);
		assert_int_equal(reorder_push(big, &item), 0);
	}
	small = reloaded(big, 2);
	assert_int_equal(reorder_count(small), 5);
	assert_true(reorder_full(small));
	for (int64_t ts = 0; ts < 5; ts++) {
		assert_true(reorder_pop(small, &out));
		assert_int_equal(out.event.ts_ms, T0 + ts);
	}
	assert_false(reorder_pop(small, &out));
	reorder_free(big);
	reorder_free(small);
}

/* One saved item written field by field: [u8 type][i64 ts][u8 has_seq][u64 seq]
 * [u32 released_by][u8 state][8 strings][string source][u64 arrival]. */
static void put_raw_item(struct codec_writer *writer, uint8_t type, uint8_t state,
			 const char *call_id, const char *source, uint8_t named)
{
	codec_put_u8(writer, type);
	codec_put_i64(writer, T0);
	codec_put_u8(writer, 0);
	codec_put_u64(writer, 0);
	codec_put_u32(writer, 0);
	codec_put_u8(writer, state);
	codec_put_string(writer, call_id);
	for (int i = 0; i < 7; i++)
		codec_put_string(writer, "");
	codec_put_string(writer, source);
	codec_put_u8(writer, named);
	codec_put_u64(writer, 1);
}

/* Load bytes into a fresh reorder: what reorder_load returns. The reorder is then left empty
 * and usable (not promised by reorder.h: engine_restore drops the engine of a failed load;
 * this is what a fresh reorder does now): nothing to pop, a push and a pop work. */
static int load_bytes(const void *data, size_t len)
{
	struct reorder *reorder = reorder_new(8);
	struct codec_reader reader;
	struct reorder_item item, out;
	int rc;

	assert_non_null(reorder);
	codec_reader_init(&reader, data, len);
	rc = reorder_load(reorder, &reader);
	if (rc != 0) {
		assert_int_equal(reorder_count(reorder), 0);
		assert_null(reorder_peek(reorder));
		assert_false(reorder_pop(reorder, &out));
		make_item(&item, T0, 2, 5);
		assert_int_equal(reorder_push(reorder, &item), 0);
		assert_true(reorder_pop(reorder, &out));
		assert_item_equal(&out, &item);
	}
	reorder_free(reorder);
	return rc;
}

/* A raw snapshot of count then the items given: what loading it returns. */
static int load_raw(uint32_t count, uint8_t type, uint8_t state, const char *call_id,
		    const char *source, unsigned items)
{
	struct codec_writer writer = {0};
	int rc;

	codec_put_u32(&writer, count);
	for (unsigned i = 0; i < items; i++)
		put_raw_item(&writer, type, state, call_id, source, 1);
	assert_false(writer.failed);
	rc = load_bytes(writer.data, writer.len);
	codec_writer_release(&writer);
	return rc;
}

/* One call_start item of source "cad-1" whose named byte is named: what reorder_load returns. */
static int load_named(uint8_t named)
{
	struct codec_writer writer = {0};
	int rc;

	codec_put_u32(&writer, 1);
	put_raw_item(&writer, EVENT_CALL_START, AGENT_STATE_NONE, "c", "cad-1", named);
	assert_false(writer.failed);
	rc = load_bytes(writer.data, writer.len);
	codec_writer_release(&writer);
	return rc;
}

/* Loads refused: no bytes, a count beyond the bytes, an item cut short, an unknown type, a
 * state on an event other than operator_state (or none on one), a string too long for its
 * field; each -EINVAL. And accepted: the raw item itself, no items, an empty reorder's save. */
static void test_load_refused(void **state)
{
	char long_id[EVENT_ID_MAX + 2], long_source[CLOCKS_NAME_MAX + 2];
	struct reorder *reorder = reorder_new(8);
	struct codec_writer saved;
	struct reorder_item item;
	(void)state;

	/* One byte longer than call_id and source hold; from long_id + 1 on, they just fit. */
	memset(long_id, 'i', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	memset(long_source, 's', sizeof(long_source) - 1);
	long_source[sizeof(long_source) - 1] = '\0';
	assert_int_equal(load_raw(1, EVENT_CALL_START, AGENT_STATE_NONE, "c", "cad-1", 1), 0);
	assert_int_equal(load_raw(1, EVENT_OPERATOR_STATE, AGENT_STATE_LOGGED_ON, "", "cad-1", 1),
			 0);
	assert_int_equal(load_raw(1, EVENT_CALL_START, AGENT_STATE_NONE, long_id + 1,
				  long_source + 1, 1), 0);
	assert_int_equal(load_raw(0, 0, 0, "", "", 0), 0);
	assert_int_equal(load_bytes("", 0), -EINVAL);
	assert_int_equal(load_bytes("\0\0\0", 3), -EINVAL);
	assert_int_equal(load_raw(2, EVENT_CALL_START, AGENT_STATE_NONE, "c", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(UINT32_MAX, EVENT_CALL_START, AGENT_STATE_NONE, "c", "cad-1",
				  3), -EINVAL);
	assert_int_equal(load_raw(1, 0, AGENT_STATE_NONE, "c", "cad-1", 1), -EINVAL);
	assert_int_equal(load_raw(1, EVENT_CALL_OFFERED, AGENT_STATE_NONE, "c", "cad-1", 1), 0);
	assert_int_equal(load_raw(1, EVENT_CALL_OFFERED + 1, AGENT_STATE_NONE, "c", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_CALL_OFFERED, AGENT_STATE_LOGGED_ON, "c", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_CALL_END, AGENT_STATE_LOGGED_OFF, "c", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_OPERATOR_STATE, AGENT_STATE_NONE, "", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_OPERATOR_STATE, AGENT_STATE_COUNT, "", "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_CALL_START, AGENT_STATE_NONE, long_id, "cad-1", 1),
			 -EINVAL);
	assert_int_equal(load_raw(1, EVENT_CALL_START, AGENT_STATE_NONE, "c", long_source, 1),
			 -EINVAL);
	assert_int_equal(load_named(0), 0);
	assert_int_equal(load_named(2), -EINVAL); /* named is a boolean byte */

	/* A real save of two items, then cut short by a byte: refused; whole: loaded. */
	assert_non_null(reorder);
	save_to(reorder, &saved);
	assert_int_equal(saved.len, 4);
	assert_int_equal(load_bytes(saved.data, saved.len), 0);
	codec_writer_release(&saved);
	make_item(&item, T0, 0, 1);
	assert_int_equal(reorder_push(reorder, &item), 0);
	make_item(&item, T0, 1, 2);
	assert_int_equal(reorder_push(reorder, &item), 0);
	save_to(reorder, &saved);
	assert_int_equal(load_bytes(saved.data, saved.len), 0);
	assert_int_equal(load_bytes(saved.data, saved.len - 1), -EINVAL);
	assert_int_equal(load_bytes(saved.data, saved.len - 9), -EINVAL);
	codec_writer_release(&saved);
	reorder_free(reorder);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_order_of_extreme_keys),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_load_over_bound),
		cmocka_unit_test(test_load_refused),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_save_load_mid_stream),
		cmocka_unit_test(test_sources_against_model),
		cmocka_unit_test(test_saved_layout),
		cmocka_unit_test(test_call_hash),
		cmocka_unit_test(test_packing_edges),
		cmocka_unit_test(test_slot_slack),
		cmocka_unit_test(test_pools_bounded),
		cmocka_unit_test(test_push_out_of_memory),
		cmocka_unit_test(test_load_out_of_memory),
		cmocka_unit_test(test_unterminated_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
