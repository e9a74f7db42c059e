/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_ZONEFILE_H
#define CADMOND_ZONEFILE_H

#include <stddef.h>

#include "config.h"
#include "zone.h"

/*
 * The I/O half of a mapping's time zone (lib/zone.h is the pure half): an IANA name read
 * from its tzfile(5) under $TZDIR or /usr/share/zoneinfo. Shared by cadmond and
 * cadmon-backtest.
 */

#define ZONEFILE_DEFAULT_DIRECTORY "/usr/share/zoneinfo"
#define ZONEFILE_MAX_BYTES (1024u * 1024u) /* real tzfiles are a few KiB */

/* How the caller reads a file: at most max_bytes of path into a malloc'd *text; 0, -EFBIG
 * when larger, or -errno (cadmond_read_file, cadmon-backtest's reader). */
typedef int zonefile_read_fn(const char *path, size_t max_bytes, char **text, size_t *len);

/** Load zone `name` (mapping_zone_name_valid) through read_file. 0, or -1 with "PATH: why" in
 * why. */
int zonefile_load(const char *name, zonefile_read_fn *read_file, struct zone *zone, char *why,
		  size_t why_size);

/**
 * The zone a mapping needs: NULL in *zone for UTC or a fixed offset (the mapping reads its
 * time_zone itself), else a malloc'd zone the caller frees. 0, or -1 with why.
 */
int zonefile_for_mapping(const struct config_mapping *mapping, zonefile_read_fn *read_file,
			 struct zone **zone, char *why, size_t why_size);

#endif
