/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "handoff.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * head counts the slots published, tail the slots done with; both only grow (size_t does not
 * wrap in a recovery's lifetime). Each side keeps its own copy of the other's index and reads
 * the shared one only when its copy says full (producer) or empty (consumer), so the two cache
 * lines move between the cores about once per ring's worth of slots, not per slot.
 *
 * Sleeping without a lost wake-up: a side about to sleep sets its waiting flag, then reads the
 * other's index, under the lock; the other side stores its index, then reads the flag (all
 * sequentially consistent), and signals under the lock when it is set. Either the sleeper sees
 * the new index or the other side sees the flag and its signal finds the sleeper waiting.
 */
struct handoff {
	alignas(64) atomic_size_t head; /* slots published (the producer writes) */
	atomic_bool consumer_waiting;
	alignas(64) atomic_size_t tail; /* slots done with (the consumer writes) */
	atomic_bool producer_waiting;
	/* the producer's own */
	alignas(64) size_t produced;   /* slots claimed and published: head, or one more */
	size_t seen_tail;              /* its copy of tail */
	/* the consumer's own */
	alignas(64) size_t consumed;   /* slots taken: tail, or one more */
	size_t seen_head;              /* its copy of head */
	/* fixed, and the sleeping */
	alignas(64) unsigned char *slots;
	size_t count;
	size_t mask;
	size_t slot_size;
	pthread_mutex_t lock;
	pthread_cond_t space; /* the producer waits: half the ring free, or cancelled */
	pthread_cond_t items; /* the consumer waits: a slot published, or closed */
	bool closed;          /* under lock */
	bool cancelled;       /* under lock */
	atomic_bool cancel_seen; /* cancelled, read without the lock */
};

struct handoff *handoff_new(size_t slots, size_t slot_size)
{
	struct handoff *handoff;
	int rc;

	if (slots < 2 || (slots & (slots - 1)) != 0 || slot_size == 0 || slot_size > SIZE_MAX - 63)
		return NULL;
	slot_size = (slot_size + 63) & ~(size_t)63; /* each slot on lines of its own */
	if (slot_size > SIZE_MAX / slots) /* the size rounded up, not the one asked for */
		return NULL;
	if (!(handoff = calloc(1, sizeof *handoff)))
		return NULL;
	handoff->slots = aligned_alloc(64, slots * slot_size);
	if (!handoff->slots) {
		free(handoff);
		return NULL;
	}
	handoff->count = slots;
	handoff->mask = slots - 1;
	handoff->slot_size = slot_size;
	atomic_init(&handoff->head, 0);
	atomic_init(&handoff->tail, 0);
	atomic_init(&handoff->consumer_waiting, false);
	atomic_init(&handoff->producer_waiting, false);
	atomic_init(&handoff->cancel_seen, false);
	if ((rc = pthread_mutex_init(&handoff->lock, NULL)) == 0 &&
	    (rc = pthread_cond_init(&handoff->space, NULL)) != 0)
		pthread_mutex_destroy(&handoff->lock);
	if (rc == 0 && (rc = pthread_cond_init(&handoff->items, NULL)) != 0) {
		pthread_cond_destroy(&handoff->space);
		pthread_mutex_destroy(&handoff->lock);
	}
	if (rc != 0) {
		free(handoff->slots);
		free(handoff);
		return NULL;
	}
	return handoff;
}

void handoff_free(struct handoff *handoff)
{
	if (!handoff)
		return;
	pthread_mutex_destroy(&handoff->lock);
	pthread_cond_destroy(&handoff->space);
	pthread_cond_destroy(&handoff->items);
	free(handoff->slots);
	free(handoff);
}

/* Times the consumer looks at the producer's index before it sleeps: a few microseconds. */
#define HANDOFF_SPINS 200

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *slot_at(const struct handoff *handoff, size_t n)
{
	return handoff->slots + (n & handoff->mask) * handoff->slot_size;
}

/* The producer, the ring full: sleep until half of it is free (fewer, longer sleeps). */
static void wait_for_space(struct handoff *handoff)
{
	size_t half = handoff->count / 2;

	pthread_mutex_lock(&handoff->lock);
	atomic_store(&handoff->producer_waiting, true);
	while (!handoff->cancelled &&
	       handoff->produced - (handoff->seen_tail = atomic_load(&handoff->tail)) > half)
		pthread_cond_wait(&handoff->space, &handoff->lock);
	atomic_store(&handoff->producer_waiting, false);
	pthread_mutex_unlock(&handoff->lock);
}

void *handoff_claim(struct handoff *handoff)
{
	/* Full as far as it knows: on only once half the ring is free. Going on as soon as one
	 * slot is would read tail, the line the consumer writes for every slot, for every slot
	 * claimed: a transfer between the cores each time, which the consumer, the slower side,
	 * pays too when it writes tail next. */
	if (handoff->produced - handoff->seen_tail == handoff->count) {
		handoff->seen_tail = atomic_load_explicit(&handoff->tail, memory_order_acquire);
		if (handoff->produced - handoff->seen_tail > handoff->count / 2)
			wait_for_space(handoff);
	}
	if (atomic_load_explicit(&handoff->cancel_seen, memory_order_relaxed))
		return NULL;
	return slot_at(handoff, handoff->produced);
}

void handoff_publish(struct handoff *handoff)
{
	atomic_store(&handoff->head, ++handoff->produced);
	if (atomic_load(&handoff->consumer_waiting) &&
	    handoff->produced - atomic_load_explicit(&handoff->tail, memory_order_relaxed) >=
		    handoff->count / 2) {
		pthread_mutex_lock(&handoff->lock);
		pthread_cond_signal(&handoff->items);
		pthread_mutex_unlock(&handoff->lock);
	}
}

void handoff_close(struct handoff *handoff)
{
	pthread_mutex_lock(&handoff->lock);
	handoff->closed = true;
	pthread_cond_signal(&handoff->items);
	pthread_mutex_unlock(&handoff->lock);
}

/* The consumer, the ring empty: spin a little (the producer is usually about to publish),
 * then sleep until half the ring is published or the ring closed (fewer, longer sleeps: the
 * producer, never waiting for the consumer but when the ring is full, gets there). */
static void wait_for_items(struct handoff *handoff)
{
	size_t half = handoff->count / 2;

	for (int spin = 0; spin < HANDOFF_SPINS; spin++) {
		if ((handoff->seen_head = atomic_load_explicit(&handoff->head,
							       memory_order_acquire)) !=
		    handoff->consumed)
			return;
		cpu_relax();
	}
	pthread_mutex_lock(&handoff->lock);
	atomic_store(&handoff->consumer_waiting, true);
	while (!handoff->closed &&
	       (handoff->seen_head = atomic_load(&handoff->head)) - handoff->consumed < half)
		pthread_cond_wait(&handoff->items, &handoff->lock);
	atomic_store(&handoff->consumer_waiting, false);
	pthread_mutex_unlock(&handoff->lock);
	/* closed: what was published before the close is still to be taken */
	handoff->seen_head = atomic_load(&handoff->head);
}

const void *handoff_next(struct handoff *handoff)
{
	if (handoff->consumed == handoff->seen_head) {
		handoff->seen_head = atomic_load_explicit(&handoff->head, memory_order_acquire);
		if (handoff->consumed == handoff->seen_head)
			wait_for_items(handoff);
		if (handoff->consumed == handoff->seen_head)
			return NULL;
	}
	return slot_at(handoff, handoff->consumed);
}

const void *handoff_ahead(const struct handoff *handoff, size_t n)
{
	return handoff->seen_head - handoff->consumed > n ? slot_at(handoff, handoff->consumed + n)
							   : NULL;
}

void handoff_done(struct handoff *handoff)
{
	atomic_store(&handoff->tail, ++handoff->consumed);
	if (atomic_load(&handoff->producer_waiting) &&
	    atomic_load_explicit(&handoff->head, memory_order_relaxed) - handoff->consumed <=
		    handoff->count / 2) {
		pthread_mutex_lock(&handoff->lock);
		pthread_cond_signal(&handoff->space);
		pthread_mutex_unlock(&handoff->lock);
	}
}

void handoff_cancel(struct handoff *handoff)
{
	pthread_mutex_lock(&handoff->lock);
	handoff->cancelled = true;
	atomic_store(&handoff->cancel_seen, true);
	pthread_cond_signal(&handoff->space);
	pthread_mutex_unlock(&handoff->lock);
}
