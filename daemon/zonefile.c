/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "zonefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

int zonefile_load(const char *name, zonefile_read_fn *read_file, struct zone *zone, char *why,
		  size_t why_size)
{
	const char *directory = getenv("TZDIR");
	const char *problem = NULL;
	char *data = NULL;
	char path[4096];
	size_t len = 0;
	int rc;

	snprintf(path, sizeof path, "%s/%s",
		 directory && directory[0] ? directory : ZONEFILE_DEFAULT_DIRECTORY, name);
	rc = read_file(path, ZONEFILE_MAX_BYTES, &data, &len);
	if (rc == 0)
		rc = zone_parse_tzif((const unsigned char *)data, len, zone, &problem);
	free(data);
	if (rc < 0)
		snprintf(why, why_size, "time zone %s: %s: %s", name, path,
			 problem ? problem : rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
	return rc < 0 ? -1 : 0;
}

int zonefile_for_mapping(const struct config_mapping *mapping, zonefile_read_fn *read_file,
			 struct zone **zone, char *why, size_t why_size)
{
	int32_t offset;

	*zone = NULL;
	if (mapping_fixed_zone(mapping->time_zone, &offset))
		return 0;
	*zone = malloc(sizeof(**zone));
	if (!*zone) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	if (zonefile_load(mapping->time_zone, read_file, *zone, why, why_size) == 0)
		return 0;
	free(*zone);
	*zone = NULL;
	return -1;
}
