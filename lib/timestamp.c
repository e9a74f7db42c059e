/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "timestamp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_SECOND INT64_C(1000)
#define MS_PER_DAY (INT64_C(86400) * MS_PER_SECOND)

/* A cursor over the text being parsed. */
struct scan {
	const char *text;
	size_t len;
	size_t pos;
};

static bool scan_digits(struct scan *scan, size_t count, unsigned *value)
{
	unsigned result = 0;

	if (scan->len - scan->pos < count)
		return false;
	for (size_t i = 0; i < count; i++) {
		char c = scan->text[scan->pos + i];
		if (c < '0' || c > '9')
			return false;
		result = result * 10 + (unsigned)(c - '0');
	}
	scan->pos += count;
	*value = result;
	return true;
}

static bool scan_char(struct scan *scan, const char *accepted)
{
	if (scan->pos >= scan->len)
		return false;
	for (const char *a = accepted; *a; a++) {
		if (scan->text[scan->pos] == *a) {
			scan->pos++;
			return true;
		}
	}
	return false;
}

static bool is_leap_year(unsigned year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned timestamp_days_in_month(unsigned year, unsigned month)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/* Howard Hinnant's days_from_civil, valid for the whole proleptic Gregorian calendar. */
int64_t timestamp_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	year -= month <= 2;
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	int64_t year_of_era = year - era * 400;
	int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

/* Parse ".fff..." (any number of digits) into milliseconds, truncating. */
static bool scan_fraction_ms(struct scan *scan, int64_t *ms)
{
	size_t digits = 0;
	int64_t value = 0;

	*ms = 0;
	if (!scan_char(scan, "."))
		return true;
	while (scan->pos < scan->len && scan->text[scan->pos] >= '0' &&
	       scan->text[scan->pos] <= '9') {
		if (digits < 3)
			value = value * 10 + (scan->text[scan->pos] - '0');
		digits++;
		scan->pos++;
	}
	if (digits == 0)
		return false;
	for (size_t i = digits; i < 3; i++)
		value *= 10;
	*ms = value;
	return true;
}

/* Parse "Z" or "+hh:mm"/"-hh:mm" into an offset east of UTC, milliseconds. */
static bool scan_offset_ms(struct scan *scan, int64_t *offset_ms, const char **why)
{
	unsigned hours, minutes;
	int sign;

	if (scan_char(scan, "Zz")) {
		*offset_ms = 0;
		return true;
	}
	if (scan_char(scan, "+"))
		sign = 1;
	else if (scan_char(scan, "-"))
		sign = -1;
	else {
		*why = "missing time zone (Z or +hh:mm)";
		return false;
	}
	if (!scan_digits(scan, 2, &hours) || !scan_char(scan, ":") ||
	    !scan_digits(scan, 2, &minutes)) {
		*why = "malformed time zone offset";
		return false;
	}
	if (hours > 23 || minutes > 59) {
		*why = "time zone offset out of range";
		return false;
	}
	*offset_ms = sign * (int64_t)(hours * 60 + minutes) * 60 * MS_PER_SECOND;
	return true;
}

/* Set in two_digits' result when the two bytes are not both digits; values below it are at most
 * 99, so results or-ed together have it exactly when one of them has. */
#define NOT_DIGITS 0x100u

/* The value of the two digits at p, or NOT_DIGITS. */
static unsigned two_digits(const char *p)
{
	unsigned tens = (unsigned)(unsigned char)p[0] - '0';
	unsigned ones = (unsigned)(unsigned char)p[1] - '0';

	return tens > 9 || ones > 9 ? NOT_DIGITS : tens * 10 + ones;
}

/* The form feeds send, "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.fffZ" (upper-case T and Z,
 * exactly three fraction digits), read without the general parser's steps. False for anything
 * else, which the general parser then reads: it gives the same fields for these forms. */
static bool canonical_utc(const char *t, size_t len, unsigned *year, unsigned *month, unsigned *day,
			  unsigned *hour, unsigned *minute, unsigned *second, int64_t *fraction_ms)
{
	unsigned century, fraction_high, fraction_low;

	if (len != 20 && len != 24)
		return false;
	if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' ||
	    t[len - 1] != 'Z' || (len == 24 && t[19] != '.'))
		return false;
	century = two_digits(t);
	*year = two_digits(t + 2);
	*month = two_digits(t + 5);
	*day = two_digits(t + 8);
	*hour = two_digits(t + 11);
	*minute = two_digits(t + 14);
	*second = two_digits(t + 17);
	fraction_high = len == 24 ? two_digits(t + 20) : 0;
	fraction_low = len == 24 ? two_digits(t + 21) : 0; /* its tens digit is checked above */
	if ((century | *year | *month | *day | *hour | *minute | *second | fraction_high |
	     fraction_low) & NOT_DIGITS)
		return false;
	*year += century * 100;
	*fraction_ms = (int64_t)(fraction_high * 10 + fraction_low % 10);
	return true;
}

int timestamp_parse_rfc3339(const char *text, size_t len, int64_t *epoch_ms, const char **why)
{
	struct scan scan = {.text = text, .len = len, .pos = 0};
	unsigned year, month, day, hour, minute, second;
	int64_t fraction_ms, offset_ms;
	const char *reason = "malformed date-time";

	if (canonical_utc(text, len, &year, &month, &day, &hour, &minute, &second, &fraction_ms)) {
		offset_ms = 0;
		goto in_range;
	}
	if (!scan_digits(&scan, 4, &year) || !scan_char(&scan, "-") ||
	    !scan_digits(&scan, 2, &month) || !scan_char(&scan, "-") ||
	    !scan_digits(&scan, 2, &day) || !scan_char(&scan, "Tt ") ||
	    !scan_digits(&scan, 2, &hour) || !scan_char(&scan, ":") ||
	    !scan_digits(&scan, 2, &minute) || !scan_char(&scan, ":") ||
	    !scan_digits(&scan, 2, &second))
		goto invalid;
	if (!scan_fraction_ms(&scan, &fraction_ms))
		goto invalid;
	if (!scan_offset_ms(&scan, &offset_ms, &reason))
		goto invalid;
	if (scan.pos != scan.len) {
		reason = "trailing characters after date-time";
		goto invalid;
	}
in_range:
	if (year < 1970 || month < 1 || month > 12 || day < 1 ||
	    day > timestamp_days_in_month(year, month) || hour > 23 || minute > 59 || second > 60) {
		reason = "date or time out of range";
		goto invalid;
	}
	if (second == 60) { /* a leap second: hold at the last millisecond of the minute */
		second = 59;
		fraction_ms = 999;
	}
	int64_t days = timestamp_days_from_civil(year, month, day);
	int64_t ms = days * MS_PER_DAY +
		     ((int64_t)hour * 3600 + minute * 60 + second) * MS_PER_SECOND + fraction_ms -
		     offset_ms;
	if (ms < TIMESTAMP_MIN_MS || ms > TIMESTAMP_MAX_MS) {
		reason = "date or time out of range";
		goto invalid;
	}
	*epoch_ms = ms;
	return 0;

invalid:
	if (why)
		*why = reason;
	return -EINVAL;
}

/* Second (0-60) and fraction_ms of the cache's minute as epoch milliseconds, a leap second
 * taken as timestamp_parse_rfc3339 takes it. False: out of range. */
static inline bool in_cached_minute(const struct timestamp_cache_minute *cache, unsigned second,
				    int64_t fraction_ms, int64_t *epoch_ms)
{
	if (second == 60) {
		second = 59;
		fraction_ms = 999;
	}
	int64_t ms = cache->minute_ms + (int64_t)second * MS_PER_SECOND + fraction_ms;
	if (ms > TIMESTAMP_MAX_MS)
		return false;
	*epoch_ms = ms;
	return true;
}

/* The cache's entry for the minute of t, from its bytes 14 and 15: minutes "00" to "59" each
 * their own (60 numbers in a row, modulo 64), any other bytes some entry (the 16 bytes kept
 * tell whether it is t's). */
static inline struct timestamp_cache_minute *minute_entry(struct timestamp_cache *cache,
							  const char *t)
{
	unsigned key = (unsigned)(unsigned char)t[14] * 10 + (unsigned char)t[15];

	return &cache->minutes[key % TIMESTAMP_CACHE_MINUTES];
}

/* The seconds and fraction of a canonical time in a cached minute (its 16-byte prefix equal):
 * what timestamp_parse_rfc3339 computes for it. False: parse it in full. */
static bool cached_minute(struct timestamp_cache *all, const char *t, size_t len,
			  int64_t *epoch_ms)
{
	const struct timestamp_cache_minute *cache;

	if (len != 20 && len != 24)
		return false;
	cache = minute_entry(all, t);
	if (!cache->valid || memcmp(t, cache->minute, 16) != 0)
		return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len == 24) { /* ":SS.fffZ" as one word: its fixed bytes 0 and its digits 0-9 at once */
		uint64_t word;
		memcpy(&word, t + 16, sizeof(word));
		word ^= UINT64_C(0x5a3030302e30303a); /* 'Z' '0' '0' '0' '.' '0' '0' ':' */
		if ((word & UINT64_C(0xff000000ff0000ff)) ||
		    ((word | (word + UINT64_C(0x7676767676767676))) & UINT64_C(0x8080808080808080)))
			return false; /* a byte of 10 or more (not a digit) has its high bit set */
		unsigned second = (unsigned)(word >> 8 & 0xff) * 10 + (unsigned)(word >> 16 & 0xff);
		int64_t fraction_ms = (int64_t)((word >> 32 & 0xff) * 100 +
						(word >> 40 & 0xff) * 10 + (word >> 48 & 0xff));
		if (second > 60)
			return false;
		return in_cached_minute(cache, second, fraction_ms, epoch_ms);
	}
#endif
	if (t[16] != ':' || t[len - 1] != 'Z' || (len == 24 && t[19] != '.'))
		return false;
	unsigned second = two_digits(t + 17);
	unsigned fraction_high = len == 24 ? two_digits(t + 20) : 0;
	unsigned fraction_low = len == 24 ? two_digits(t + 21) : 0;
	if ((second | fraction_high | fraction_low) & NOT_DIGITS || second > 60)
		return false;
	int64_t fraction_ms = (int64_t)(fraction_high * 10 + fraction_low % 10);
	return in_cached_minute(cache, second, fraction_ms, epoch_ms);
}

/* A time outside the cache's minute: parsed in full, its minute kept when canonical. Apart from
 * the cached path (noinline), whose every call would otherwise save this one's registers. */
__attribute__((noinline)) static int parse_and_keep(struct timestamp_cache *all,
						    const char *text, size_t len, int64_t *epoch_ms,
						    const char **why)
{
	unsigned year, month, day, hour, minute, second;
	int64_t fraction_ms;
	int rc = timestamp_parse_rfc3339(text, len, epoch_ms, why);
	struct timestamp_cache_minute *cache;
	/* Accepted in the canonical form: its date, hour and minute are in range. */
	if (rc == 0 && canonical_utc(text, len, &year, &month, &day, &hour, &minute, &second,
				     &fraction_ms)) {
		cache = minute_entry(all, text);
		memcpy(cache->minute, text, sizeof(cache->minute));
		cache->minute_ms = timestamp_days_from_civil(year, month, day) * MS_PER_DAY +
				   ((int64_t)hour * 3600 + minute * 60) * MS_PER_SECOND;
		cache->valid = true;
	}
	return rc;
}

int timestamp_parse_rfc3339_cached(struct timestamp_cache *cache, const char *text, size_t len,
				   int64_t *epoch_ms, const char **why)
{
	if (cached_minute(cache, text, len, epoch_ms))
		return 0;
	return parse_and_keep(cache, text, len, epoch_ms, why);
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t day_of_era = days - era * 146097;
	int64_t year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year =
		day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t mp = (5 * day_of_year + 2) / 153;
	*day = (unsigned)(day_of_year - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

void timestamp_format(int64_t epoch_ms, char out[TIMESTAMP_TEXT_MAX])
{
	int64_t days = epoch_ms / MS_PER_DAY;
	int64_t ms_of_day = epoch_ms % MS_PER_DAY;
	int64_t year;
	unsigned month, day;

	if (ms_of_day < 0) {
		ms_of_day += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &year, &month, &day);
	int64_t seconds = ms_of_day / MS_PER_SECOND;
	snprintf(out, TIMESTAMP_TEXT_MAX, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
		 (long long)year, month, day, (long long)(seconds / 3600),
		 (long long)(seconds / 60 % 60), (long long)(seconds % 60),
		 (long long)(ms_of_day % MS_PER_SECOND));
}
