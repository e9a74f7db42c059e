/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_FUZZ_COMMON_H
#define CADMON_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * What the fuzz targets share: a configuration small enough that the fuzzer reaches every
 * table's limit (evictions, window pushes) within a few hundred lines, with one rule of each
 * type so that both the window and the CUSUM paths run.
 */

/** Fill *config: defaults, small tables, a window rule and a CUSUM rule. */
void fuzz_small_config(struct config *config);

/** libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
