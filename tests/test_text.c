/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/* A refused line's why, built both ways into a buffer of every size up to past its length:
 * the same bytes (the cut included) as snprintf leaves. */
static void test_builder_cuts_as_snprintf(void **state)
{
	char expected[128], built[128];
	(void)state;

	for (size_t size = 0; size <= 64; size++) {
		memset(expected, 'x', sizeof(expected));
		memset(built, 'x', sizeof(built));
		int n = snprintf(expected, size, "%s: op \"%s\" %" PRIu64 " so far", "call_start",
				 "op-7", UINT64_C(300));
		struct text_builder text = text_builder_start(built, size);
		text_add(&text, "call_start");
		text_add(&text, ": op \"");
		text_add(&text, "op-7");
		text_add(&text, "\" ");
		text_add_u64(&text, 300);
		text_add(&text, " so far");
		assert_int_equal(n, 32);
		assert_memory_equal(built, expected, sizeof(built));
		assert_int_equal(text.len, size ? (size - 1 < 32 ? size - 1 : 32) : 0);
	}
}

static void test_u64_digits(void **state)
{
	const uint64_t values[] = { 0, 9, 10, 300, UINT64_C(18446744073709551615) };
	char expected[32], built[32];
	(void)state;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(expected, sizeof(expected), "[%" PRIu64 "]", values[i]);
		struct text_builder text = text_builder_start(built, sizeof(built));
		text_add(&text, "[");
		text_add_u64(&text, values[i]);
		text_add(&text, "]");
		assert_string_equal(built, expected);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_cuts_as_snprintf),
		cmocka_unit_test(test_u64_digits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
