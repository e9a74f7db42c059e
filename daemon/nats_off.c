/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* nats.h for a cadmond built without libnats (meson -Dnats=disabled, or no libnats-dev):
 * the nats: keys parse, but nats.enabled: true is refused at start. */
#include "nats.h"

#include <stdio.h>

bool nats_available(void)
{
	return false;
}

struct nats *nats_new(struct event_base *base, struct engine *engine, const struct config *config,
		      const struct nats_hooks *hooks, char *why, size_t why_size)
{
	(void)base;
	(void)engine;
	(void)config;
	(void)hooks;
	snprintf(why, why_size,
		 "nats.enabled: this cadmond was built without NATS support (libnats-dev; meson "
		 "option nats): set nats.enabled: false or use a cadmond built with it");
	return NULL;
}

void nats_acknowledge(struct nats *nats, uint64_t durable_index)
{
	(void)nats;
	(void)durable_index;
}

void nats_publish_alert(struct nats *nats, const char *json, size_t len)
{
	(void)nats;
	(void)json;
	(void)len;
}

void nats_tick(struct nats *nats, int64_t now_ms)
{
	(void)nats;
	(void)now_ms;
}

void nats_update(struct nats *nats, const struct config *config)
{
	(void)nats;
	(void)config;
}

void nats_stop(struct nats *nats)
{
	(void)nats;
}

void nats_stats(struct nats *nats, struct nats_stats *out)
{
	(void)nats;
	*out = (struct nats_stats){ 0 };
}

void nats_free(struct nats *nats)
{
	(void)nats;
}
