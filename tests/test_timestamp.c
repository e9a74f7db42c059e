/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timestamp.h"

/* Parse text, asserting success, and return epoch ms. */
static int64_t parse_ok(const char *text)
{
	int64_t ms = -1;
	const char *why = NULL;

	assert_int_equal(timestamp_parse_rfc3339(text, strlen(text), &ms, &why), 0);
	return ms;
}

static void assert_rejected(const char *text, const char *expected_why)
{
	int64_t ms = 12345;
	const char *why = NULL;

	assert_int_equal(timestamp_parse_rfc3339(text, strlen(text), &ms, &why), -EINVAL);
	assert_string_equal(why, expected_why);
	assert_int_equal(ms, 12345);
}

static void test_utc_forms(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2026-11-29T08:00:00Z"), INT64_C(1795939200000));
	assert_int_equal(parse_ok("2026-11-29t08:00:00z"), INT64_C(1795939200000));
	assert_int_equal(parse_ok("2026-11-29 08:00:00Z"), INT64_C(1795939200000));
}

static void test_fractions(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-29T08:00:00.5Z"), INT64_C(1795939200500));
	assert_int_equal(parse_ok("2026-11-29T08:00:00.25Z"), INT64_C(1795939200250));
	assert_int_equal(parse_ok("2026-11-29T08:00:00.123Z"), INT64_C(1795939200123));
	/* Beyond milliseconds: truncated, never rounded up into the next millisecond. */
	assert_int_equal(parse_ok("2026-11-29T08:00:00.123999999Z"), INT64_C(1795939200123));
	assert_rejected("2026-11-29T08:00:00.Z", "malformed date-time");
}

static void test_offsets(void **state)
{
	(void)state;
	/* 02:00 at UTC-06:00 is 08:00Z; 13:30 at +05:30 is 08:00Z. */
	assert_int_equal(parse_ok("2026-11-29T02:00:00-06:00"), INT64_C(1795939200000));
	assert_int_equal(parse_ok("2026-11-29T13:30:00+05:30"), INT64_C(1795939200000));
	assert_int_equal(parse_ok("2026-11-29T08:00:00+00:00"), INT64_C(1795939200000));
	assert_int_equal(parse_ok("2026-11-28T23:00:00.750-09:00"), INT64_C(1795939200750));
	assert_rejected("2026-11-29T08:00:00", "missing time zone (Z or +hh:mm)");
	assert_rejected("2026-11-29T08:00:00+0600", "malformed time zone offset");
	assert_rejected("2026-11-29T08:00:00+24:00", "time zone offset out of range");
	assert_rejected("2026-11-29T08:00:00+05:60", "time zone offset out of range");
}

static void test_invalid_dates(void **state)
{
	(void)state;
	assert_rejected("2026-02-29T00:00:00Z", "date or time out of range");
	assert_rejected("2026-13-01T00:00:00Z", "date or time out of range");
	assert_rejected("2026-00-10T00:00:00Z", "date or time out of range");
	assert_rejected("2026-04-31T00:00:00Z", "date or time out of range");
	assert_rejected("2026-11-29T24:00:00Z", "date or time out of range");
	assert_rejected("2026-11-29T23:60:00Z", "date or time out of range");
	assert_rejected("1969-12-31T23:59:59Z", "date or time out of range");
	assert_rejected("1970-01-01T00:30:00+01:00", "date or time out of range");
	assert_rejected("2026-11-29", "malformed date-time");
	assert_rejected("", "malformed date-time");
	assert_rejected("26-11-29T08:00:00Z", "malformed date-time");
	assert_rejected("2026-11-29T08:00:00Zjunk", "trailing characters after date-time");
	assert_rejected("2026/11/29T08:00:00Z", "malformed date-time");
	assert_rejected("2026-1a-29T08:00:00Z", "malformed date-time");
}

static void test_leap_day_and_leap_second(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), INT64_C(1709164800000));
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), INT64_C(951782400000));
	assert_rejected("1900-02-29T00:00:00Z", "date or time out of range");
	/* 23:59:60 is held at the last millisecond of 23:59:59. */
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), INT64_C(1483228799999));
}

static void test_length_is_respected(void **state)
{
	int64_t ms = 0;
	(void)state;
	/* Only the first len bytes count: the rest of the buffer is not part of the value. */
	const char *text = "2026-11-29T08:00:00Z\"}";
	assert_int_equal(timestamp_parse_rfc3339(text, 20, &ms, NULL), 0);
	assert_int_equal(ms, INT64_C(1795939200000));
	assert_int_equal(timestamp_parse_rfc3339(text, 19, &ms, NULL), -EINVAL);
}

static void test_format(void **state)
{
	char text[TIMESTAMP_TEXT_MAX];
	(void)state;

	timestamp_format(0, text);
	assert_string_equal(text, "1970-01-01T00:00:00.000Z");
	timestamp_format(INT64_C(1795939200750), text);
	assert_string_equal(text, "2026-11-29T08:00:00.750Z");
	timestamp_format(INT64_C(1709164800000) + 86399999, text);
	assert_string_equal(text, "2024-02-29T23:59:59.999Z");
	timestamp_format(TIMESTAMP_MAX_MS, text);
	assert_string_equal(text, "9999-12-31T23:59:59.999Z");
}

static void test_round_trip(void **state)
{
	char text[TIMESTAMP_TEXT_MAX];
	(void)state;

	/* Every 7 hours and 13 ms over 60 years: format then parse gives the same instant. */
	for (int64_t ms = 0; ms < INT64_C(1893456000000); ms += INT64_C(25200013)) {
		timestamp_format(ms, text);
		assert_int_equal(parse_ok(text), ms);
	}
}

/* The form feeds send, "YYYY-MM-DDTHH:MM:SS.fffZ" (and without the fraction), has a fast path:
 * near misses of the same length take the general parser's way and its reasons. */
static void test_canonical_form_and_near_misses(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2026-11-29T08:00:00.872Z"), INT64_C(1795939200872));
	assert_int_equal(parse_ok("2026-11-29T08:00:00.999Z"), INT64_C(1795939200999));
	assert_int_equal(parse_ok("2026-11-29t08:00:00.872z"), INT64_C(1795939200872));
	assert_int_equal(parse_ok("2026-11-29T08:00:00.872+00:00"), INT64_C(1795939200872));
	assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z"), INT64_C(253402300799999));
	/* A leap second in the fast form is held like any other. */
	assert_int_equal(parse_ok("2024-02-29T23:59:60.123Z"), INT64_C(1709251199999));
	assert_rejected("2023-02-29T08:00:00.000Z", "date or time out of range");
	assert_rejected("1969-12-31T23:59:59.999Z", "date or time out of range");
	assert_rejected("2026-11-29T24:00:00.000Z", "date or time out of range");
	assert_rejected("2026-13-01T00:00:00.000Z", "date or time out of range");
	assert_rejected("2026-11-29T08:00:61Z", "date or time out of range");
	assert_rejected("2026-11-29T08:00:0aZ", "malformed date-time");
	assert_rejected("2026/11-29T08:00:00.000Z", "malformed date-time");
	assert_rejected("-026-11-29T08:00:00.000Z", "malformed date-time");
	assert_rejected("2026-11-29T08:00:00.8720", "missing time zone (Z or +hh:mm)");
	assert_rejected("2026-11-29T08:00:00.8a2Z", "missing time zone (Z or +hh:mm)");
	assert_rejected("2026-11-29T08:00:00,872Z", "missing time zone (Z or +hh:mm)");
	assert_rejected("2026-11-29T08:00:00.000X", "missing time zone (Z or +hh:mm)");
	assert_rejected("2026-11-29T08:00:00.87ZZ", "trailing characters after date-time");
	assert_rejected("2026-11-29T08:00:00+0:00Z", "malformed time zone offset");
}

/* The kept minute_ms of minute ("YYYY-MM-DDTHH:MM") in cache, -1 when it is not kept. */
static int64_t kept_minute(const struct timestamp_cache *cache, const char *minute)
{
	for (size_t i = 0; i < TIMESTAMP_CACHE_MINUTES; i++)
		if (cache->minutes[i].valid && memcmp(cache->minutes[i].minute, minute, 16) == 0)
			return cache->minutes[i].minute_ms;
	return -1;
}

/* The cached parse gives what the uncached one gives, result, value and reason, whatever
 * came before: the same minute, its near misses, another minute, other forms. */
static void test_cached_minute_agrees(void **state)
{
	static const char *const texts[] = {
		"2026-11-29T08:00:00.872Z", "2026-11-29T08:00:59.999Z",
		"2026-11-29T08:00:60.123Z", "2026-11-29T08:00:61.000Z",
		"2026-11-29T08:00:0a.000Z", "2026-11-29T08:00:07Z",
		"2026-11-29T08:00:07z",	    "2026-11-29T08:00:07.1Z",
		"2026-11-29T08:00:07.8a2Z", "2026-11-29T08:00:07,872Z",
		"2026-11-29T08:00.07.872Z", "2026-11-29T08:00:07.872+01:00",
		"2026-11-29T08:01:00.000Z", "2026-11-29T08:00:30.500Z",
		"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:60.000Z",
		"9999-12-31T23:59:59Z",	    "2023-02-29T08:00:00.000Z",
		"2023-02-29T08:00:01.000Z", "2024-02-29T23:59:60.123Z",
		"2026-11-29t08:00:07.872Z",
	};
	struct timestamp_cache cache = {0};

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			int64_t expected = 7, got = 7;
			const char *expected_why = "none", *got_why = "none";
			size_t len = strlen(texts[i]);
			int rc = timestamp_parse_rfc3339(texts[i], len, &expected, &expected_why);

			assert_int_equal(timestamp_parse_rfc3339_cached(&cache, texts[i], len, &got,
									&got_why), rc);
			assert_int_equal(got, expected);
			assert_string_equal(got_why, expected_why);
		}
	}
	assert_true(kept_minute(&cache, "2026-11-29T08:00") != -1);
}

/* The cached minute's seconds and fraction read as one word agree with the full parser on
 * 400,000 random endings ":SS.fffZ" and "SS.fffZ"-like bytes after a cached minute (digits,
 * the form's punctuation, letters, bytes of 0x80 and up, NUL, a leap second). */
static void test_cached_word_agrees(void **state)
{
	static const char alphabet[] = "0123456789:.Zz,+-T a\x80\xff\x8a\x7f\x09/;";
	struct timestamp_cache cache = {0};
	uint64_t random = 11;
	char text[25] = "2026-11-29T08:00:00.000Z";
	int64_t ms = 0;
	const char *why = "none";
	(void)state;

	assert_int_equal(timestamp_parse_rfc3339_cached(&cache, text, 24, &ms, &why), 0);
	for (int n = 0; n < 400000; n++) {
		memcpy(text, "2026-11-29T08:00:00.000Z", 24);
		random = random * 6364136223846793005u + 1442695040888963407u;
		for (int k = 0; k < 3; k++) { /* 1 to 3 bytes of the ending changed */
			size_t at = 16 + (size_t)(random >> (8 + 12 * k)) % 8;
			text[at] = alphabet[(random >> (14 + 12 * k)) % (sizeof(alphabet) - 1)];
			if (k == (int)(random >> 60) % 3)
				break;
		}
		if (n % 5 == 0) { /* seconds 00-69, the fraction's digits and fixed bytes kept */
			text[17] = (char)('0' + (random >> 40) % 7);
			text[18] = (char)('0' + (random >> 44) % 10);
		}
		int64_t expected = 7, got = 7;
		const char *expected_why = "none", *got_why = "none";
		int rc = timestamp_parse_rfc3339(text, 24, &expected, &expected_why);
		assert_int_equal(timestamp_parse_rfc3339_cached(&cache, text, 24, &got, &got_why),
				 rc);
		assert_int_equal(got, expected);
		assert_string_equal(got_why, expected_why);
		if (rc != 0) /* back to the minute it holds */
			assert_int_equal(timestamp_parse_rfc3339_cached(
						 &cache, "2026-11-29T08:00:00Z", 20, &ms, &why),
					 0);
	}
	assert_true(kept_minute(&cache, "2026-11-29T08:00") != -1);
}

/* Feeds minutes apart alternate minutes: each kept in its own entry, the same results. */
static void test_cached_minutes_alternate(void **state)
{
	static const char *const texts[] = {
		"2026-11-29T08:01:07.872Z", "2026-11-29T08:03:07.872Z", "2026-11-29T08:01:59.001Z",
		"2026-11-29T08:03:00Z",     "2026-11-29T08:59:07.872Z", "2026-11-29T08:01:07.872Z",
	};
	static const int64_t expected[] = {
		INT64_C(1795939267872), INT64_C(1795939387872), INT64_C(1795939319001),
		INT64_C(1795939380000), INT64_C(1795942747872), INT64_C(1795939267872),
	};
	struct timestamp_cache cache = {0};
	(void)state;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int64_t got = 7;
		assert_int_equal(timestamp_parse_rfc3339_cached(&cache, texts[i], strlen(texts[i]),
								&got, NULL), 0);
		assert_int_equal(got, expected[i]);
	}
	assert_int_equal(kept_minute(&cache, "2026-11-29T08:01"), INT64_C(1795939260000));
	assert_int_equal(kept_minute(&cache, "2026-11-29T08:03"), INT64_C(1795939380000));
	assert_int_equal(kept_minute(&cache, "2026-11-29T08:59"), INT64_C(1795942740000));
	assert_int_equal(kept_minute(&cache, "2026-11-29T08:02"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc_forms),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_invalid_dates),
		cmocka_unit_test(test_leap_day_and_leap_second),
		cmocka_unit_test(test_length_is_respected),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_canonical_form_and_near_misses),
		cmocka_unit_test(test_cached_minute_agrees),
		cmocka_unit_test(test_cached_word_agrees),
		cmocka_unit_test(test_cached_minutes_alternate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
