/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TIMESTAMP_H
#define CADMON_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus the terminating NUL, with room to spare. */
#define TIMESTAMP_TEXT_MAX 32

/* Earliest and latest instants cadmon accepts: 1970-01-01 and 9999-12-31T23:59:59.999Z. */
#define TIMESTAMP_MIN_MS INT64_C(0)
#define TIMESTAMP_MAX_MS INT64_C(253402300799999)

/**
 * Parse an RFC 3339 date-time ("2026-11-29T08:15:02.250-06:00") into milliseconds since the
 * Unix epoch (UTC). Accepts 'T' or 't' or ' ' as separator, 'Z'/'z' or a "+hh:mm"/"-hh:mm"
 * offset, and a fraction of any length (truncated to milliseconds). Leap second 60 is taken
 * as 59.999. Returns 0, or -EINVAL with a static reason in *why (may be NULL).
 */
int timestamp_parse_rfc3339(const char *text, size_t len, int64_t *epoch_ms, const char **why);

/* Canonical minutes parsed ("YYYY-MM-DDTHH:MM" of a "...:SS[.fff]Z" time) and their
 * milliseconds, one for each minute of the hour (the last parsed with it): the lines of a feed
 * share their minute, so most times need only their seconds read, and so do those of several
 * feeds whose clocks are minutes apart (issue 17). Zeroed: empty. */
#define TIMESTAMP_CACHE_MINUTES 64

struct timestamp_cache_minute {
	char minute[16];
	int64_t minute_ms;
	bool valid;
};

struct timestamp_cache {
	struct timestamp_cache_minute minutes[TIMESTAMP_CACHE_MINUTES];
};

/** timestamp_parse_rfc3339 through a cache of canonical minutes: the same results
 * for every text (the cache only skips reading a minute it has already checked). */
int timestamp_parse_rfc3339_cached(struct timestamp_cache *cache, const char *text, size_t len,
				   int64_t *epoch_ms, const char **why);

/** Format epoch milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" (always UTC, always 3 fraction
 * digits). */
void timestamp_format(int64_t epoch_ms, char out[TIMESTAMP_TEXT_MAX]);

/** Days since 1970-01-01 of a proleptic Gregorian civil date (month 1..12). */
int64_t timestamp_days_from_civil(int64_t year, unsigned month, unsigned day);

/** Days in a month (1..12) of a proleptic Gregorian year. */
unsigned timestamp_days_in_month(unsigned year, unsigned month);

#endif
