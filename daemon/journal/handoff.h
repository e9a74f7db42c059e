/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_HANDOFF_H
#define CADMOND_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A bounded ring of fixed-size slots handed from one producer thread to one consumer thread,
 * in order: recovery's reader fills slots with records decoded and lines parsed, the engine's
 * thread applies them (recovery.c). The fast path is two atomic indexes, no lock; a side that
 * finds the ring full (the producer) or empty (the consumer, after a short spin) sleeps on a
 * condition variable until the other side has made room for half the ring, or published half
 * of it (or closed it): a sleep per half ring at most, not per slot. One producer and one
 * consumer only.
 */

struct handoff;

/** A ring of slots (at least 2, a power of two) of slot_size bytes (rounded up to 64). NULL
 * when its memory, lock or condition variables cannot be had, or on a bad size (the ring's
 * bytes, slots rounded up, must fit in a size_t). */
struct handoff *handoff_new(size_t slots, size_t slot_size);
void handoff_free(struct handoff *handoff);

/* The producer's side. */

/** A free slot to fill, waiting for one; NULL once the consumer has cancelled. */
void *handoff_claim(struct handoff *handoff);

/** The slot claimed last is filled: the consumer may take it. */
void handoff_publish(struct handoff *handoff);

/** Nothing more will be published: the consumer, once it has taken every slot, gets NULL. */
void handoff_close(struct handoff *handoff);

/* The consumer's side. */

/** The oldest published slot, waiting for one; NULL when the ring is closed and empty. */
const void *handoff_next(struct handoff *handoff);

/** The slot n places after the one handoff_next gave when it is published already (known
 * to be, without waiting or reading the producer's index), else NULL: to prefetch it. */
const void *handoff_ahead(const struct handoff *handoff, size_t n);

/** The slot handoff_next gave is done with: the producer may fill it again. */
void handoff_done(struct handoff *handoff);

/** The consumer takes no more slots: the producer's claims return NULL from now on. */
void handoff_cancel(struct handoff *handoff);

#endif
