/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json_scan.h"

/*
 * The scanner against json-c (strict, UTF-8 validating) as the reference, on a few hundred
 * thousand seeded mutations of realistic feed lines: whatever the scanner accepts json-c
 * accepts too, with the same member values; and where json-c accepts what the scanner does
 * not, it is one of json-c's departures from RFC 8259 that the scanner refuses on purpose:
 * numbers like "1.", "-.5" or "00", NaN and Infinity, raw control characters in strings, and \u
 * escapes that are unpaired UTF-16 surrogates, and UTF-8 that RFC 3629 forbids (overlong
 * forms, encoded surrogates).
 */

#define MUTATIONS 300000

static const char *const corpus[] = {
	("{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:00Z\",\"operator\":"
	 "\"op-7\","
	 "\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550101\",\"seq\":17}"),
	"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":1795939205000,\"released_by\":"
	"\"operator\"}",
	"{\"type\":\"incident\",\"call_id\":\"c\\u00e9\\n\\\"x\\\"\",\"ts\":-0.5e+3,\"extra\":["
	"true,false,null,{\"k\":[1,2,3]}]}",
	"  { \"a\" : { \"b\" : [ \"\\ud83d\\ude00\", 1.25E-2 ] } , \"type\" : \"transfer\" }  ",
	"[1,\"two\",{\"three\":3}]",
	"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x91\"",
	"{\"type\":\"x\",\"type\":\"call_end\",\"ts\":0}",
};

/* The characters mutations insert: JSON syntax, digits, escapes, and some invalid bytes. */
static const char mutation_bytes[] =
	"{}[]:,\" \\/0123456789-+.eEtrufalsn\x01\x7f\x80\xbf\xc3\xe2\xed\xf0\xff";

static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* One random edit of buffer[0..*len): replace, insert, delete, truncate or duplicate. */
static void mutate(char *buffer, size_t *len, size_t capacity, uint64_t *random)
{
	size_t at = *len ? next_random(random) % *len : 0;
	char byte = mutation_bytes[next_random(random) % (sizeof(mutation_bytes) - 1)];

	switch (next_random(random) % 5) {
	case 0:
		if (*len)
			buffer[at] = byte;
		break;
	case 1:
		if (*len + 1 < capacity) {
			memmove(buffer + at + 1, buffer + at, *len - at);
			buffer[at] = byte;
			(*len)++;
		}
		break;
	case 2:
		if (*len) {
			memmove(buffer + at, buffer + at + 1, *len - at - 1);
			(*len)--;
		}
		break;
	case 3:
		*len = at;
		break;
	default: {
		size_t span = 1 + next_random(random) % 8;
		if (at + span <= *len && *len + span < capacity) {
			memmove(buffer + at + span, buffer + at, *len - at);
			(*len) += span;
		}
	}
	}
}

/* json-c's verdict: 0 invalid, 1 an object, 2 another value; *object keeps the object. A new
 * tokener each time: json_tokener_reset() in json-c 0.16 keeps a pending UTF-16 surrogate
 * from the previous line, which then turns into U+FFFD in the next. */
static int json_c_verdict(const char *line, size_t len, struct json_object **object)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *value;
	int verdict;

	*object = NULL;
	if (memchr(line, '\0', len)) {
		json_tokener_free(tokener);
		return 0;
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	value = json_tokener_parse_ex(tokener, line, (int)len);
	if (!value && json_tokener_get_error(tokener) == json_tokener_continue)
		value = json_tokener_parse_ex(tokener, " ", 1); /* a bare number needs an end */
	if (!value)
		verdict = json_tokener_get_error(tokener) == json_tokener_success ? 2
										  : 0; /* "null" */
	else if (json_object_is_type(value, json_type_object))
		verdict = 1;
	else
		verdict = 2;
	if (verdict == 1)
		*object = value;
	else
		json_object_put(value);
	json_tokener_free(tokener);
	return verdict;
}

/* UTF-8 that RFC 3629 forbids but json-c's check lets through: overlong forms, UTF-16
 * surrogates, code points past U+10FFFF. */
static bool forbidden_utf8(const unsigned char *p)
{
	return p[0] == 0xC0 || p[0] == 0xC1 || (p[0] == 0xE0 && p[1] < 0xA0) ||
	       (p[0] == 0xED && p[1] >= 0xA0) || (p[0] == 0xF0 && p[1] < 0x90) ||
	       (p[0] == 0xF4 && p[1] > 0x8F) || p[0] >= 0xF5;
}

/* Is the scanner's refusal one of json-c's known departures from RFC 8259 and RFC 3629? */
static bool json_c_laxity(const char *line, const char *message, size_t offset)
{
	char at = line[offset];

	if (strcmp(message, "invalid UTF-8 in string") == 0)
		return forbidden_utf8((const unsigned char *)line + offset);
	return strcmp(message, "invalid number") == 0 ||
	       strcmp(message, "control character in string") == 0 ||
	       strcmp(message, "unpaired UTF-16 surrogate in \\u escape") == 0 ||
	       (strcmp(message, "unexpected character") == 0 &&
		(at == 'N' || at == 'I' || at == '-'));
}

/* The member values the scanner read equal json-c's. */
static void assert_same_members(struct json_field *fields, size_t count, struct json_object *object)
{
	for (size_t i = 0; i < count; i++) {
		struct json_object *value = NULL;
		bool present = json_object_object_get_ex(object, fields[i].key, &value);
		if (!present) {
			assert_int_equal(fields[i].kind, JSON_ABSENT);
			continue;
		}
		switch (json_object_get_type(value)) {
		case json_type_null:
			assert_int_equal(fields[i].kind, JSON_NULL);
			break;
		case json_type_string:
			assert_int_equal(fields[i].kind, JSON_STRING);
			if (fields[i].length != (size_t)json_object_get_string_len(value))
				fail_msg("%s: length %zu, json-c %d: [%s] vs [%s]", fields[i].key,
					 fields[i].length, json_object_get_string_len(value),
					 fields[i].buffer, json_object_get_string(value));
			if (!fields[i].truncated)
				assert_memory_equal(fields[i].buffer, json_object_get_string(value),
						    fields[i].length);
			break;
		case json_type_int:
			assert_int_equal(fields[i].kind, JSON_INTEGER);
			if (!fields[i].overflow)
				assert_int_equal(fields[i].integer, json_object_get_int64(value));
			break;
		default:
			assert_int_not_equal(fields[i].kind, JSON_ABSENT);
		}
	}
}

static void test_agrees_with_json_c(void **state)
{
	char buffers[4][64];
	struct json_field fields[4] = {
		{.key = "type", .buffer = buffers[0], .capacity = sizeof(buffers[0])},
		{.key = "call_id", .buffer = buffers[1], .capacity = sizeof(buffers[1])},
		{.key = "ts", .buffer = buffers[2], .capacity = sizeof(buffers[2])},
		{.key = "seq", .buffer = buffers[3], .capacity = sizeof(buffers[3])},
	};
	uint64_t random = 20261129;
	size_t objects = 0, lax = 0;
	char line[512];
	(void)state;

	for (int n = 0; n < MUTATIONS; n++) {
		const char *base = corpus[n % (sizeof(corpus) / sizeof(corpus[0]))];
		size_t len = strlen(base);
		memcpy(line, base, len);
		for (int edits = 1 + (int)(next_random(&random) % 3); edits > 0; edits--)
			mutate(line, &len, sizeof(line), &random);
		line[len] = '\0';
		struct json_object *object;
		int reference = json_c_verdict(line, len, &object);
		const char *message = "";
		size_t offset = 0;
		enum json_scan_result scanned =
			memchr(line, '\0', len)
				? JSON_SCAN_SYNTAX
				: json_scan_object(line, len, fields, 4, &message, &offset);
		int verdict = scanned == JSON_SCAN_OBJECT	? 1
			      : scanned == JSON_SCAN_NOT_OBJECT ? 2
								: 0;
		if (verdict == 0 && reference != 0 && json_c_laxity(line, message, offset)) {
			lax++;
		} else if (verdict != reference) {
			fail_msg("mutation %d: json-c says %d, scanner %d (%s at %zu) for [%.*s]",
				 n, reference, verdict, message, offset, (int)len, line);
		} else if (object) {
			assert_same_members(fields, 4, object);
			objects++;
		}
		json_object_put(object);
	}
	print_message("%d mutated lines: %zu objects read alike, %zu refused where json-c is lax\n",
		      MUTATIONS, objects, lax);
	assert_true(objects > MUTATIONS / 20);
}

/* Strings are scanned 16 bytes at a time, the last 15 of a line by the 16 that end it: every
 * byte value at every offset of strings of 1 to 40 bytes (in a line whose end they are near)
 * is judged as the byte rule says: printable ASCII kept, a control character refused where it
 * stands, a lone byte >= 0x80 refused as UTF-8, '"' and '\\' (here an unknown escape) end the
 * line's validity. */
static void test_every_byte_at_every_offset(void **state)
{
	char buffer[48];
	struct json_field field = {.key = "k", .buffer = buffer, .capacity = sizeof(buffer)};
	char line[64], value[41];
	(void)state;

	for (size_t length = 1; length <= 40; length++) {
		for (unsigned byte = 1; byte < 256; byte++) {
			for (size_t at = 0; at < length; at++) {
				memset(value, 'a', length);
				value[at] = (char)byte;
				value[length] = '\0';
				memcpy(line, "{\"k\":\"", 6);
				memcpy(line + 6, value, length);
				memcpy(line + 6 + length, "\"}", 2);
				const char *message = "";
				size_t offset = 0;
				enum json_scan_result result = json_scan_object(
					line, 8 + length, &field, 1, &message, &offset);
				if (byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\') {
					assert_int_equal(result, JSON_SCAN_OBJECT);
					assert_int_equal(field.length, length);
					assert_string_equal(buffer, value);
				} else if (byte < 0x20) {
					assert_int_equal(result, JSON_SCAN_SYNTAX);
					assert_string_equal(message, "control character in string");
					assert_int_equal(offset, 6 + at);
				} else if (byte >= 0x80) {
					assert_int_equal(result, JSON_SCAN_UTF8);
					assert_int_equal(offset, 6 + at);
				} else {
					assert_int_not_equal(result, JSON_SCAN_OBJECT);
				}
			}
		}
	}
}

/* A member is a field's only when its key is the field's whole key: not a prefix of it, not
 * longer, not empty. */
static void test_keys_match_whole(void **state)
{
	char buffer[16];
	struct json_field field = {.key = "call_id", .buffer = buffer, .capacity = sizeof(buffer)};
	const char *message = "";
	size_t offset = 0;
	const char *line =
		"{\"call\":\"a\",\"call_idx\":\"b\",\"\":\"c\",\"c\":\"d\",\"call_id\":\"e\"}";
	(void)state;

	assert_int_equal(json_scan_object(line, strlen(line), &field, 1, &message, &offset),
			 JSON_SCAN_OBJECT);
	assert_int_equal(field.kind, JSON_STRING);
	assert_string_equal(buffer, "e");
	line = "{\"call\":\"a\",\"call_idx\":\"b\",\"\":\"c\"}";
	assert_int_equal(json_scan_object(line, strlen(line), &field, 1, &message, &offset),
			 JSON_SCAN_OBJECT);
	assert_int_equal(field.kind, JSON_ABSENT);
}

/* One scan of line with one field "k" of the given capacity; the result and the field. */
static enum json_scan_result scan_k(const char *line, size_t capacity, struct json_field *field,
				    char *buffer, const char **message, size_t *offset)
{
	*field = (struct json_field){.key = "k", .buffer = buffer, .capacity = capacity};
	*message = "";
	*offset = 0;
	return json_scan_object(line, strlen(line), field, 1, message, offset);
}

/* Plain strings (no escape, no UTF-8) take a fast path into their field: cut at the capacity
 * exactly as escaped strings decoding to the same bytes are. */
static void test_plain_and_escaped_values_alike(void **state)
{
	static const char *const lines[2] = {"{\"k\":\"abcd\"}", "{\"k\":\"ab\\u0063d\"}"};
	struct json_field field;
	char buffer[8];
	const char *message;
	size_t offset;
	(void)state;

	for (int i = 0; i < 2; i++) {
		memset(buffer, 'x', sizeof(buffer));
		assert_int_equal(scan_k(lines[i], 1, &field, buffer, &message, &offset),
				 JSON_SCAN_OBJECT);
		assert_int_equal(field.kind, JSON_STRING);
		assert_int_equal(field.length, 4);
		assert_true(field.truncated);
		assert_string_equal(buffer, "");
		assert_int_equal(scan_k(lines[i], 4, &field, buffer, &message, &offset),
				 JSON_SCAN_OBJECT);
		assert_int_equal(field.length, 4);
		assert_true(field.truncated);
		assert_string_equal(buffer, "abc");
		assert_int_equal(scan_k(lines[i], 5, &field, buffer, &message, &offset),
				 JSON_SCAN_OBJECT);
		assert_int_equal(field.length, 4);
		assert_false(field.truncated);
		assert_false(field.has_nul);
		assert_string_equal(buffer, "abcd");
	}
}

/* UTF-8 at the start and end of a string, cut inside a sequence by the capacity; overlong and
 * truncated sequences refused where they start; strings left open at the end of the line. */
static void test_utf8_and_ends_at_string_boundaries(void **state)
{
	struct json_field field;
	char buffer[8];
	const char *message;
	size_t offset;
	(void)state;

	assert_int_equal(scan_k("{\"k\":\"\xc3\xa9" "a\xc3\xa9\"}", 8, &field, buffer, &message,
				&offset),
			 JSON_SCAN_OBJECT);
	assert_int_equal(field.length, 5);
	assert_string_equal(buffer, "\xc3\xa9" "a\xc3\xa9");
	/* Cut by bytes, as the field's capacity says: half a sequence is kept, and flagged. */
	assert_int_equal(scan_k("{\"k\":\"a\xc3\xa9\"}", 3, &field, buffer, &message, &offset),
			 JSON_SCAN_OBJECT);
	assert_int_equal(field.length, 3);
	assert_true(field.truncated);
	assert_memory_equal(buffer, "a\xc3", 3);
	assert_int_equal(scan_k("{\"k\":\"ab\xc0\xaf\"}", 8, &field, buffer, &message, &offset),
			 JSON_SCAN_UTF8);
	assert_string_equal(message, "invalid UTF-8 in string");
	assert_int_equal(offset, 8);
	assert_int_equal(scan_k("{\"k\":\"ab\xe2\x82\"}", 8, &field, buffer, &message, &offset),
			 JSON_SCAN_UTF8);
	assert_int_equal(offset, 8);
	assert_int_equal(scan_k("{\"k\":\"ab\xed\xa0\x80\"}", 8, &field, buffer, &message,
				&offset),
			 JSON_SCAN_UTF8);
	assert_int_equal(offset, 8);
	assert_int_equal(scan_k("{\"k\":\"abc", 8, &field, buffer, &message, &offset),
			 JSON_SCAN_SYNTAX);
	assert_string_equal(message, "unexpected end of line");
	assert_int_equal(offset, 9);
	assert_int_equal(scan_k("{\"ab", 8, &field, buffer, &message, &offset), JSON_SCAN_SYNTAX);
	assert_string_equal(message, "unexpected end of line");
	assert_int_equal(offset, 4);
	assert_int_equal(scan_k("{\"k\" : \"v\" , \"k\":\"w\\n\"}", 8, &field, buffer, &message,
				&offset),
			 JSON_SCAN_OBJECT);
	assert_string_equal(buffer, "w\n");
}

/* Keys are looked up in place when plain and decoded when escaped: the same field either way;
 * keys of 32 bytes or more, or holding \u0000, name no field. */
static void test_escaped_and_long_keys(void **state)
{
	char buffers[2][8];
	char long_key[33];
	struct json_field fields[2] = {
		{.key = "type", .buffer = buffers[0], .capacity = sizeof(buffers[0])},
		{.key = long_key, .buffer = buffers[1], .capacity = sizeof(buffers[1])},
	};
	char line[128];
	const char *message = "";
	size_t offset = 0;
	(void)state;

	memset(long_key, 'k', 31);
	long_key[31] = '\0';
	snprintf(line, sizeof(line), "{\"t\\u0079pe\":\"a\",\"%s\":\"b\"}", long_key);
	assert_int_equal(json_scan_object(line, strlen(line), fields, 2, &message, &offset),
			 JSON_SCAN_OBJECT);
	assert_string_equal(buffers[0], "a");
	assert_string_equal(buffers[1], "b");
	memset(long_key, 'k', 32);
	long_key[32] = '\0';
	snprintf(line, sizeof(line), "{\"type\\u0000\":\"a\",\"%s\":\"b\"}", long_key);
	assert_int_equal(json_scan_object(line, strlen(line), fields, 2, &message, &offset),
			 JSON_SCAN_OBJECT);
	assert_int_equal(fields[0].kind, JSON_ABSENT);
	assert_int_equal(fields[1].kind, JSON_ABSENT);
}

/* Results and fields of a scan through a json_scan_index equal those of the linear lookup, on
 * mutated lines and a table with a name twice (the first field wins), an empty name and a name
 * of 40 bytes. */
static void test_index_agrees_with_linear_lookup(void **state)
{
	static const char *const keys[] = {
		"type", "call_id", "ts", "seq", "type", "", "operator", "agency", "position",
		"ani", "released_by", "incident_id", "to", "state", "event_id",
		"a_name_of_forty_bytes_that_fits_no_key_", "k", "extra"};
	enum { COUNT = sizeof(keys) / sizeof(keys[0]) };
	char buffers[2][COUNT][24];
	struct json_field fields[2][COUNT];
	struct json_scan_index index;
	uint64_t random = 17;
	char line[512];
	size_t same_objects = 0;
	(void)state;

	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < COUNT; i++)
			fields[t][i] = (struct json_field){.key = keys[i], .buffer = buffers[t][i],
							   .capacity = 2 + i};
	assert_true(json_scan_index_build(&index, fields[1], COUNT));
	for (int n = 0; n < MUTATIONS / 10; n++) {
		const char *base = corpus[n % (sizeof(corpus) / sizeof(corpus[0]))];
		size_t len = strlen(base);
		memcpy(line, base, len);
		for (int edits = (int)(next_random(&random) % 3); edits > 0; edits--)
			mutate(line, &len, sizeof(line), &random);
		const char *messages[2] = {"", ""};
		size_t offsets[2] = {0, 0};
		memset(buffers, 'x', sizeof(buffers));
		enum json_scan_result linear =
			json_scan_object(line, len, fields[0], COUNT, &messages[0], &offsets[0]);
		enum json_scan_result indexed = json_scan_object_indexed(
			line, len, fields[1], COUNT, &index, &messages[1], &offsets[1]);
		assert_int_equal(linear, indexed);
		assert_string_equal(messages[0], messages[1]);
		assert_int_equal(offsets[0], offsets[1]);
		if (linear != JSON_SCAN_OBJECT)
			continue;
		for (size_t i = 0; i < COUNT; i++) {
			assert_int_equal(fields[0][i].kind, fields[1][i].kind);
			assert_int_equal(fields[0][i].length, fields[1][i].length);
			assert_int_equal(fields[0][i].truncated, fields[1][i].truncated);
			assert_int_equal(fields[0][i].has_nul, fields[1][i].has_nul);
			assert_memory_equal(buffers[0][i], buffers[1][i], sizeof(buffers[0][i]));
			if (fields[0][i].kind == JSON_INTEGER)
				assert_int_equal(fields[0][i].integer, fields[1][i].integer);
		}
		assert_int_equal(fields[1][4].kind, JSON_ABSENT); /* the second "type" */
		same_objects++;
	}
	assert_true(same_objects > MUTATIONS / 100);
	assert_false(json_scan_index_build(&index, fields[0], JSON_SCAN_INDEX_FIELDS + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_json_c),
		cmocka_unit_test(test_every_byte_at_every_offset),
		cmocka_unit_test(test_keys_match_whole),
		cmocka_unit_test(test_plain_and_escaped_values_alike),
		cmocka_unit_test(test_utf8_and_ends_at_string_boundaries),
		cmocka_unit_test(test_escaped_and_long_keys),
		cmocka_unit_test(test_index_agrees_with_linear_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
