/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_ZONE_H
#define CADMON_ZONE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A time zone as data: the UTC offsets in force and the instants they change, read from a
 * tzfile(5) (TZif) the caller loaded (e.g. /usr/share/zoneinfo/America/Chicago), or one fixed
 * offset. Converting a local wall-clock time to UTC touches no process state (no TZ, no
 * tzset, no mktime), so libcadmon stays pure and two zones can be used side by side.
 */

#define ZONE_MAX_TRANSITIONS 1024
#define ZONE_MAX_OFFSET_SECONDS (26 * 3600)

struct zone {
	int32_t initial_offset_seconds; /* before the first transition (or always, when none) */
	size_t transition_count;
	int64_t transition_at[ZONE_MAX_TRANSITIONS];     /* UTC seconds, increasing */
	int32_t offset_after[ZONE_MAX_TRANSITIONS];      /* seconds east of UTC from then on */
};

/* Which instant a local time names when the clocks went back and it happened twice. */
enum zone_ambiguity {
	ZONE_EARLIER = 0, /* the first time (still daylight time, in a fall-back) */
	ZONE_LATER,       /* the second time */
};

/** A zone always offset_seconds east of UTC (|offset| <= ZONE_MAX_OFFSET_SECONDS). */
void zone_set_fixed(struct zone *zone, int32_t offset_seconds);

/**
 * Read a TZif file (version 1, 2, 3 or 4; with version 2+ the 64-bit data is used) of len
 * bytes. Instants after the last transition keep its offset (the POSIX TZ footer is not
 * read: a "fat" file lists transitions up to 2037). Returns 0, or -EINVAL with a static
 * reason in *why.
 */
int zone_parse_tzif(const unsigned char *data, size_t len, struct zone *zone, const char **why);

/** The offset in force at utc_seconds. */
int32_t zone_offset_at(const struct zone *zone, int64_t utc_seconds);

/**
 * The UTC instant of a local wall-clock time (seconds since 1970-01-01T00:00:00 read as if
 * local time were UTC). A time that happened twice (clocks going back) is resolved by
 * `ambiguity`; a time that never happened (clocks going forward) is read with the offset in
 * force before the change (02:30 CST is 03:30 CDT), as POSIX mktime does.
 */
int64_t zone_local_to_utc(const struct zone *zone, int64_t local_seconds,
			  enum zone_ambiguity ambiguity);

#endif
