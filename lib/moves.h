/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_MOVES_H
#define CADMON_MOVES_H

#include <stdint.h>

/*
 * The limits' change count (issue 17): the engine's limit alerts read 17 counters (evictions
 * and refusals of the bounded tables) kept in seven modules. Each module adds to the count it
 * was handed (X_count_moves) whatever it adds to one of those counters, so that after an event
 * the engine sees with one compare that none of them moved, instead of reading all 17. The
 * counters only grow (a load replaces them, and the engine then looks at every limit anyway):
 * the count is unchanged exactly when every counter is. NULL: not counted (a module alone).
 */
static inline void moves_add(uint64_t *moves, uint64_t n)
{
	if (moves)
		*moves += n;
}

#endif
