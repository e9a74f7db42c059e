/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* The YAML configuration loader on arbitrary bytes: errors, never a crash. */
#include <stdint.h>

#include "config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config config;
	static struct config_errors errors;

	config_parse((const char *)data, size, "fuzz.yaml", &config, &errors);
	return 0;
}
