/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_HOSTCLOCK_H
#define CADMOND_HOSTCLOCK_H

#include <stdint.h>

/*
 * The host's clocks, read in one place: the monotonic clock for deadlines, rates and
 * durations (it never jumps), the wall clock for what is journaled with a line or a control
 * and for the future guard. The library never reads either (event time arrives with the
 * events); what the wall clock decides enters the engine as a journaled input.
 */

/** CLOCK_MONOTONIC in milliseconds. */
int64_t hostclock_monotonic_ms(void);

/** CLOCK_MONOTONIC in microseconds (systemd's MONOTONIC_USEC=, commit latencies). */
int64_t hostclock_monotonic_us(void);

/** CLOCK_REALTIME in milliseconds since the epoch. */
int64_t hostclock_wall_ms(void);

#endif
