/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timestamp.h"
#include "zone.h"

/* 2026 in America/Chicago: CDT from 2026-03-08T08:00:00Z, CST again from 2026-11-01T07:00:00Z. */
#define SPRING_2026 INT64_C(1772956800)
#define FALL_2026 INT64_C(1793516400)
#define CST (-6 * 3600)
#define CDT (-5 * 3600)

static void put32(unsigned char **p, uint32_t value)
{
	for (int shift = 24; shift >= 0; shift -= 8)
		*(*p)++ = (unsigned char)(value >> shift);
}

static void put64(unsigned char **p, int64_t value)
{
	put32(p, (uint32_t)((uint64_t)value >> 32));
	put32(p, (uint32_t)value);
}

/* A header: magic, version, 15 reserved bytes, isut, isstd, leap, time, type, char counts. */
static void put_header(unsigned char **p, char version, uint32_t times, uint32_t types,
		       uint32_t chars)
{
	memcpy(*p, "TZif", 4);
	(*p)[4] = (unsigned char)version;
	memset(*p + 5, 0, 15);
	*p += 20;
	put32(p, 0);
	put32(p, 0);
	put32(p, 0);
	put32(p, times);
	put32(p, types);
	put32(p, chars);
}

/* Types CST (0) and CDT (1) with designations "CST\0CDT\0". */
static void put_types(unsigned char **p)
{
	put32(p, (uint32_t)CST);
	*(*p)++ = 0;
	*(*p)++ = 0;
	put32(p, (uint32_t)CDT);
	*(*p)++ = 1;
	*(*p)++ = 4;
	memcpy(*p, "CST\0CDT\0", 8);
	*p += 8;
}

/* A version 2 TZif of the two 2026 transitions (an empty v1 block, as zic -b slim writes). */
static size_t chicago_2026(unsigned char *out)
{
	unsigned char *p = out;

	put_header(&p, '2', 0, 1, 4);
	put32(&p, (uint32_t)CST);
	*p++ = 0;
	*p++ = 0;
	memcpy(p, "CST", 4);
	p += 4;
	put_header(&p, '2', 2, 2, 8);
	put64(&p, SPRING_2026);
	put64(&p, FALL_2026);
	*p++ = 1;
	*p++ = 0;
	put_types(&p);
	memcpy(p, "\nCST6CDT,M3.2.0,M11.1.0\n", 24);
	return (size_t)(p - out) + 24;
}

static struct zone *load_chicago(void)
{
	unsigned char data[256];
	size_t len = chicago_2026(data);
	struct zone *zone = malloc(sizeof(*zone));
	const char *why = NULL;

	assert_non_null(zone);
	assert_int_equal(zone_parse_tzif(data, len, zone, &why), 0);
	return zone;
}

/* Local "YYYY-MM-DD hh:mm:ss" as seconds, read as if it were UTC. */
static int64_t local(unsigned year, unsigned month, unsigned day, unsigned h, unsigned m)
{
	return timestamp_days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60;
}

static void test_offsets(void **state)
{
	struct zone *zone = load_chicago();

	(void)state;
	assert_int_equal(zone->transition_count, 2);
	assert_int_equal(zone_offset_at(zone, SPRING_2026 - 1), CST);
	assert_int_equal(zone_offset_at(zone, SPRING_2026), CDT);
	assert_int_equal(zone_offset_at(zone, FALL_2026 - 1), CDT);
	assert_int_equal(zone_offset_at(zone, FALL_2026), CST);
	free(zone);
}

/* Ordinary times, the fall-back hour (twice: earlier or later), the spring-forward gap. */
static void test_local_to_utc(void **state)
{
	struct zone *zone = load_chicago();

	(void)state;
	/* 2026-11-29 06:00 CST = 12:00Z; 2026-07-04 12:00 CDT = 17:00Z */
	assert_int_equal(zone_local_to_utc(zone, local(2026, 11, 29, 6, 0), ZONE_EARLIER),
			 local(2026, 11, 29, 12, 0));
	assert_int_equal(zone_local_to_utc(zone, local(2026, 7, 4, 12, 0), ZONE_LATER),
			 local(2026, 7, 4, 17, 0));
	/* 2026-11-01 01:30 happened at 06:30Z (CDT) and at 07:30Z (CST) */
	assert_int_equal(zone_local_to_utc(zone, local(2026, 11, 1, 1, 30), ZONE_EARLIER),
			 local(2026, 11, 1, 6, 30));
	assert_int_equal(zone_local_to_utc(zone, local(2026, 11, 1, 1, 30), ZONE_LATER),
			 local(2026, 11, 1, 7, 30));
	/* 00:59 and 02:00 that night are not ambiguous */
	assert_int_equal(zone_local_to_utc(zone, local(2026, 11, 1, 0, 59), ZONE_LATER),
			 local(2026, 11, 1, 5, 59));
	assert_int_equal(zone_local_to_utc(zone, local(2026, 11, 1, 2, 0), ZONE_EARLIER),
			 local(2026, 11, 1, 8, 0));
	/* 2026-03-08 02:30 never happened: read as CST, 08:30Z (03:30 CDT) */
	assert_int_equal(zone_local_to_utc(zone, local(2026, 3, 8, 2, 30), ZONE_EARLIER),
			 local(2026, 3, 8, 8, 30));
	assert_int_equal(zone_local_to_utc(zone, local(2026, 3, 8, 3, 0), ZONE_EARLIER),
			 local(2026, 3, 8, 8, 0));
	free(zone);
}

static void test_fixed(void **state)
{
	struct zone zone;

	(void)state;
	zone_set_fixed(&zone, -4 * 3600 - 1800);
	assert_int_equal(zone_local_to_utc(&zone, local(2026, 1, 1, 0, 0), ZONE_EARLIER),
			 local(2026, 1, 1, 4, 30));
	assert_int_equal(zone_offset_at(&zone, 0), -4 * 3600 - 1800);
}

static void assert_refused(const unsigned char *data, size_t len, const char *expected)
{
	struct zone *zone = malloc(sizeof(*zone));
	const char *why = NULL;

	assert_non_null(zone);
	assert_int_equal(zone_parse_tzif(data, len, zone, &why), -EINVAL);
	assert_string_equal(why, expected);
	free(zone);
}

/* Every cut of a valid file is refused, as are a wrong magic and transitions out of order. */
static void test_refused(void **state)
{
	unsigned char data[256];
	size_t len = chicago_2026(data);
	size_t second_block = 44 + 6 + 4 + 44;

	(void)state;
	for (size_t cut = 0; cut < second_block + 16 + 2 + 12 + 8; cut++) {
		struct zone *zone = malloc(sizeof(*zone));
		const char *why = NULL;
		assert_non_null(zone);
		assert_int_equal(zone_parse_tzif(data, cut, zone, &why), -EINVAL);
		free(zone);
	}
	assert_refused(data, 10, "not a TZif file");
	assert_refused(data, second_block, "truncated");
	data[0] = 'X';
	assert_refused(data, len, "not a TZif file");
	data[0] = 'T';
	memcpy(data + second_block, data + second_block + 8, 8); /* both transitions at FALL_2026 */
	assert_refused(data, len, "transitions out of order");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_local_to_utc),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
