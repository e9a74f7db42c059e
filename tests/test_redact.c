/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* lib/redact.c: caller numbers rewritten per mode, every other byte of the line kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redact.h"

/* An alert line as the encoder writes it (docs/protocol.md), two callbacks with a number. */
#define FIRING_START                                                                               \
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,\"ts\":\"2026-11-"      \
	"29T08:04:30.000Z\","                                                                      \
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"p_value\":4.81e-04,"    \
	"\"callbacks\":["
#define FIRING(first, second)                                                                      \
	FIRING_START "{\"call_id\":\"c4\",\"ani\":\"" first                                        \
		     "\",\"ts\":\"2026-11-29T08:04:20.000Z\","                                     \
		     "\"talk_seconds\":10,\"called_back\":false},{\"call_id\":\"c2\",\"ts\":"      \
		     "\"2026-11-29T08:01:00.000Z\","                                               \
		     "\"talk_seconds\":12.5,\"called_back\":false},{\"call_id\":\"c1\",\"ani\":"   \
		     "\"" second "\"}]}"

static void check(enum redact_mode mode, const char *line, const char *expected)
{
	size_t len = strlen(line);
	char *out = malloc(REDACT_OUT_MAX(len));

	assert_non_null(out);
	assert_int_equal(redact_line(mode, line, len, out, REDACT_OUT_MAX(len)), strlen(expected));
	assert_string_equal(out, expected);
	free(out);
}

static void test_none_keeps_the_line(void **state)
{
	(void)state;
	check(REDACT_NONE, FIRING("5045550104", "+15045550101"),
	      FIRING("5045550104", "+15045550101"));
}

static void test_last4_keeps_the_last_four_digits_and_the_plus(void **state)
{
	(void)state;
	check(REDACT_LAST4, FIRING("5045550104", "+15045550101"),
	      FIRING("******0104", "+*******0101"));
	check(REDACT_LAST4, "{\"ani\":\"(504) 555-0101\"}", "{\"ani\":\"(***) ***-0101\"}");
	check(REDACT_LAST4, "{\"ani\":\"0101\"}", "{\"ani\":\"0101\"}");
	check(REDACT_LAST4, "{\"ani\":\"911\"}", "{\"ani\":\"911\"}");
}

static void test_all_hides_every_number(void **state)
{
	(void)state;
	check(REDACT_ALL, FIRING("5045550104", "+15045550101"), FIRING("***", "***"));
	check(REDACT_ALL, "{\"ani\":\"\"}", "{\"ani\":\"***\"}");
}

/* Only keys named exactly "ani" whose value is a string; the same text as a value, another
 * key that contains it, numbers and nulls are left alone. */
static void test_only_ani_members(void **state)
{
	(void)state;
	check(REDACT_ALL, "{\"note\":\"ani\",\"ani2\":\"5045550101\",\"x\":{\"ani\":5045550101}}",
	      "{\"note\":\"ani\",\"ani2\":\"5045550101\",\"x\":{\"ani\":5045550101}}");
	check(REDACT_LAST4, "{\"ani\" : \"5045550101\",\"ani\":null}",
	      "{\"ani\" : \"******0101\",\"ani\":null}");
	check(REDACT_LAST4, "{\"note\":\"say \\\"ani\\\":\\\"5045550101\\\"\"}",
	      "{\"note\":\"say \\\"ani\\\":\\\"5045550101\\\"\"}");
}

/* Escapes are copied whole and their digits are not counted. */
static void test_escapes_are_kept(void **state)
{
	(void)state;
	check(REDACT_LAST4, "{\"ani\":\"\\u0035045550101\\\"\"}",
	      "{\"ani\":\"\\u0035*****0101\\\"\"}");
}

/* A cut or broken line is copied without reading past its end. */
static void test_broken_lines(void **state)
{
	(void)state;
	check(REDACT_LAST4, "{\"ani\":\"5045550101", "{\"ani\":\"******0101");
	check(REDACT_ALL, "{\"ani\":\"50\\", "{\"ani\":\"***");
	check(REDACT_ALL, "{\"an", "{\"an");
	check(REDACT_ALL, "", "");
}

/* Like snprintf: the full length, the beginning written and NUL-terminated. */
static void test_small_buffer(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(redact_line(REDACT_ALL, "{\"ani\":\"5045550101\"}", 20, out, sizeof out),
			 13);
	assert_string_equal(out, "{\"ani\":");
	assert_int_equal(redact_line(REDACT_ALL, "{}", 2, out, 0), 2);
}

static void test_mode_names(void **state)
{
	enum redact_mode mode = REDACT_NONE;

	(void)state;
	assert_true(redact_mode_parse("last4", 5, &mode));
	assert_int_equal(mode, REDACT_LAST4);
	assert_true(redact_mode_parse("all", 3, &mode));
	assert_int_equal(mode, REDACT_ALL);
	assert_false(redact_mode_parse("last", 4, &mode));
	assert_int_equal(mode, REDACT_ALL);
	assert_string_equal(redact_mode_name(REDACT_NONE), "none");
	assert_string_equal(redact_mode_name(REDACT_LAST4), "last4");
	assert_string_equal(redact_mode_name(REDACT_ALL), "all");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_keeps_the_line),
		cmocka_unit_test(test_last4_keeps_the_last_four_digits_and_the_plus),
		cmocka_unit_test(test_all_hides_every_number),
		cmocka_unit_test(test_only_ani_members),
		cmocka_unit_test(test_escapes_are_kept),
		cmocka_unit_test(test_broken_lines),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_mode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
