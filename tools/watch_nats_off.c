/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* watch_nats.h for a cadmon-watch built without libnats: --nats is refused. */
#include "watch_nats.h"

#include <stdio.h>

struct watch_nats *watch_nats_open(const struct watch_nats_settings *settings, char *why,
				   size_t why_size)
{
	snprintf(why, why_size,
		 "cannot follow %s: cadmon-watch was built without NATS support (meson -Dnats)",
		 settings->url);
	return NULL;
}

int watch_nats_fd(const struct watch_nats *nats)
{
	(void)nats;
	return -1;
}

void watch_nats_line_taken(struct watch_nats *nats)
{
	(void)nats;
}

uint64_t watch_nats_last_taken(struct watch_nats *nats)
{
	(void)nats;
	return 0;
}

void watch_nats_close(struct watch_nats *nats)
{
	(void)nats;
}
