/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

/* Split text and return its fields joined as "[a][b]..." in out. */
static enum csv_status split(const char *text, char delimiter, char *out, size_t out_size,
			     size_t *offset)
{
	char scratch[512];
	struct csv_record record;
	enum csv_status status = csv_split(text, strlen(text), delimiter, scratch, &record, offset);
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; status == CSV_OK && i < record.count; i++)
		used += (size_t)snprintf(out + used, out_size - used, "[%.*s]", (int)record.len[i],
					 record.field[i]);
	return status;
}

static void assert_fields(const char *text, const char *expected)
{
	char out[1024];
	size_t offset = 99;

	assert_int_equal(split(text, ',', out, sizeof out, &offset), CSV_OK);
	assert_string_equal(out, expected);
	assert_int_equal(offset, 0);
}

static void assert_bad(const char *text, enum csv_status expected, size_t expected_offset)
{
	char out[1024];
	size_t offset = 99;

	assert_int_equal(split(text, ',', out, sizeof out, &offset), expected);
	assert_int_equal(offset, expected_offset);
}

/* RFC 4180: plain and quoted fields, doubled quotes, delimiters and line breaks in quotes. */
static void test_fields(void **state)
{
	(void)state;
	assert_fields("a,b,c", "[a][b][c]");
	assert_fields("", "[]");
	assert_fields(",", "[][]");
	assert_fields("a,,c,", "[a][][c][]");
	assert_fields("\"a,b\",c", "[a,b][c]");
	assert_fields("\"say \"\"hi\"\"\",x", "[say \"hi\"][x]");
	assert_fields("\"\"", "[]");
	assert_fields("\"\"\"\"", "[\"]");
	assert_fields("\"line 1\nline 2\",z", "[line 1\nline 2][z]");
	assert_fields(" a , b ", "[ a ][ b ]"); /* spaces are data */
	assert_fields("C000004,KCPD,11/29/2026 06:02:33 AM,\"911 Trunk 2\"",
		      "[C000004][KCPD][11/29/2026 06:02:33 AM][911 Trunk 2]");
}

static void test_other_delimiter(void **state)
{
	char out[256];
	size_t offset;

	(void)state;
	assert_int_equal(split("a;\"b;c\";d,e", ';', out, sizeof out, &offset), CSV_OK);
	assert_string_equal(out, "[a][b;c][d,e]");
}

/* Each problem with the byte where it was found. */
static void test_errors(void **state)
{
	(void)state;
	assert_bad("\"abc", CSV_OPEN_QUOTE, 4);
	assert_bad("a,\"b\"c", CSV_TEXT_AFTER_QUOTE, 5);
	assert_bad("ab\"c", CSV_QUOTE_IN_FIELD, 2);
	assert_string_equal(csv_status_text(CSV_OPEN_QUOTE), "a quoted field is not closed");
	assert_string_equal(csv_status_text(CSV_TEXT_AFTER_QUOTE), "text after a closing quote");
	assert_string_equal(csv_status_text(CSV_QUOTE_IN_FIELD),
			    "a quote inside an unquoted field");
	assert_string_equal(csv_status_text(CSV_TOO_MANY_FIELDS), "more than 64 fields");
}

/* 64 fields fit, 65 do not. */
static void test_field_limit(void **state)
{
	char text[256] = "";
	char out[1024];
	size_t offset;

	(void)state;
	for (int i = 0; i < CSV_MAX_FIELDS - 1; i++)
		strcat(text, ",");
	assert_int_equal(split(text, ',', out, sizeof out, &offset), CSV_OK);
	strcat(text, ",");
	assert_int_equal(split(text, ',', out, sizeof out, &offset), CSV_TOO_MANY_FIELDS);
	assert_int_equal(offset, CSV_MAX_FIELDS);
}

/* A record goes on after a line break while a quote is open. */
static void test_record_open(void **state)
{
	(void)state;
	assert_false(csv_record_open("a,b", 3));
	assert_true(csv_record_open("a,\"b", 4));
	assert_false(csv_record_open("a,\"b\nc\"", 7));
	assert_true(csv_record_open("\"x\"\"", 4));
	assert_false(csv_record_open("\"x\"\"\"", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_other_delimiter),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_record_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
