/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "zone.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define TZIF_HEADER_BYTES 44
#define DAY_SECONDS 86400

void zone_set_fixed(struct zone *zone, int32_t offset_seconds)
{
	zone->initial_offset_seconds = offset_seconds;
	zone->transition_count = 0;
}

static uint32_t read_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t read_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)read_be32(p) << 32 | read_be32(p + 4));
}

/* The six counts of a TZif header. */
struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static bool read_header(const unsigned char *data, size_t len, struct tzif_counts *counts)
{
	if (len < TZIF_HEADER_BYTES || memcmp(data, "TZif", 4) != 0)
		return false;
	counts->isut = read_be32(data + 20);
	counts->isstd = read_be32(data + 24);
	counts->leap = read_be32(data + 28);
	counts->time = read_be32(data + 32);
	counts->type = read_be32(data + 36);
	counts->chars = read_be32(data + 40);
	return true;
}

/* Bytes of the data block after a header, with time_bytes (4 or 8) per transition time. */
static uint64_t block_bytes(const struct tzif_counts *c, unsigned time_bytes)
{
	return (uint64_t)c->time * time_bytes + c->time + (uint64_t)c->type * 6 + c->chars +
	       (uint64_t)c->leap * (time_bytes + 4) + c->isstd + c->isut;
}

/* Fill zone from a data block whose header said counts; 0 or -EINVAL. */
static int read_block(const unsigned char *block, const struct tzif_counts *c, unsigned time_bytes,
		      struct zone *zone, const char **why)
{
	const unsigned char *indexes = block + (size_t)c->time * time_bytes;
	const unsigned char *types = indexes + c->time;

	if (c->type == 0 || c->time > ZONE_MAX_TRANSITIONS) {
		*why = c->type == 0 ? "no local time types" : "too many transitions";
		return -EINVAL;
	}
	zone->initial_offset_seconds = (int32_t)read_be32(types);
	zone->transition_count = c->time;
	for (size_t i = 0; i < c->time; i++) {
		const unsigned char *at = block + i * time_bytes;
		int64_t instant = time_bytes == 8 ? read_be64(at) : (int32_t)read_be32(at);
		if (indexes[i] >= c->type || (i > 0 && instant <= zone->transition_at[i - 1])) {
			*why = indexes[i] >= c->type ? "a transition to an unknown type"
						     : "transitions out of order";
			return -EINVAL;
		}
		zone->transition_at[i] = instant;
		zone->offset_after[i] = (int32_t)read_be32(types + (size_t)indexes[i] * 6);
	}
	return 0;
}

int zone_parse_tzif(const unsigned char *data, size_t len, struct zone *zone, const char **why)
{
	struct tzif_counts counts;
	uint64_t skip;

	*why = "not a TZif file";
	if (!read_header(data, len, &counts))
		return -EINVAL;
	if (data[4] == 0) { /* version 1: 32-bit times only */
		*why = "truncated";
		if (block_bytes(&counts, 4) > len - TZIF_HEADER_BYTES)
			return -EINVAL;
		return read_block(data + TZIF_HEADER_BYTES, &counts, 4, zone, why);
	}
	skip = TZIF_HEADER_BYTES + block_bytes(&counts, 4);
	if (skip > len || !read_header(data + skip, len - skip, &counts)) {
		*why = "truncated";
		return -EINVAL;
	}
	data += skip + TZIF_HEADER_BYTES;
	len -= skip + TZIF_HEADER_BYTES;
	*why = "truncated";
	if (block_bytes(&counts, 8) > len)
		return -EINVAL;
	return read_block(data, &counts, 8, zone, why);
}

int32_t zone_offset_at(const struct zone *zone, int64_t utc_seconds)
{
	size_t low = 0, high = zone->transition_count; /* first transition after utc_seconds */

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		if (zone->transition_at[middle] <= utc_seconds)
			low = middle + 1;
		else
			high = middle;
	}
	return low == 0 ? zone->initial_offset_seconds : zone->offset_after[low - 1];
}

/* True when local time read with offset is a time the zone really showed. */
static bool offset_holds(const struct zone *zone, int64_t local_seconds, int32_t offset)
{
	return zone_offset_at(zone, local_seconds - offset) == offset;
}

int64_t zone_local_to_utc(const struct zone *zone, int64_t local_seconds,
			  enum zone_ambiguity ambiguity)
{
	/* The offsets a day before and a day after: zones change at most once in two days. */
	int32_t before = zone_offset_at(zone, local_seconds - DAY_SECONDS);
	int32_t after = zone_offset_at(zone, local_seconds + DAY_SECONDS);
	bool before_holds = offset_holds(zone, local_seconds, before);
	bool after_holds = offset_holds(zone, local_seconds, after);
	int64_t with_before = local_seconds - before, with_after = local_seconds - after;

	if (before_holds && after_holds && before != after) {
		bool first_is_before = with_before < with_after;
		return (ambiguity == ZONE_EARLIER) == first_is_before ? with_before : with_after;
	}
	if (after_holds && !before_holds)
		return with_after;
	return with_before; /* the usual case, and a gap (read with the offset before it) */
}
