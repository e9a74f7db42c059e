/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "invariant.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic uint64_t failures;
static char last[256];

bool invariant_failed(const char *expr, const char *file, int line)
{
	snprintf(last, sizeof(last), "%s:%d: %s", file, line, expr);
#ifndef NDEBUG
	abort(); /* a debug or test build: stop where it broke (the core and ASan name the place) */
#endif
	atomic_fetch_add(&failures, 1);
	return true;
}

uint64_t invariant_failures(void)
{
	return atomic_load(&failures);
}

const char *invariant_last(void)
{
	return last;
}
