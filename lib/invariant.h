/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_INVARIANT_H
#define CADMON_INVARIANT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Invariants of the library's own state: what must hold whatever the input, once the decoders
 * have refused what they should (a free index within the operator array, a rule count within
 * CONFIG_MAX_RULES, a table never claimed past its bound).
 *
 *   if (INVARIANT_FAILS(index < max_operators))
 *           return -EINVAL;
 *
 * INVARIANT_FAILS(cond) is false when cond holds. When it does not, a debug or test build
 * (NDEBUG not defined: meson's default, the fuzzers too) aborts on the spot, so that the
 * broken invariant is found where it broke; a release build (-Db_ndebug=true) counts it, keeps
 * the place of the first and the last, and the caller recovers (an error, the input refused,
 * never a write out of bounds). lib/ does no I/O: the daemon reads the count, logs a new
 * failure and exports cadmon_invariant_failures_total.
 */
#define INVARIANT_FAILS(cond)                                                                      \
	(__builtin_expect(!(cond), 0) && invariant_failed(#cond, __FILE__, __LINE__))

/** Record a failed invariant (expr at file:line); aborts unless NDEBUG. Returns true. */
bool invariant_failed(const char *expr, const char *file, int line);

/** Failed invariants counted since the start (release builds; 0 in others, which abort). */
uint64_t invariant_failures(void);

/** "file:line: expr" of the latest failure, "" when none. Static storage. */
const char *invariant_last(void);

#endif
