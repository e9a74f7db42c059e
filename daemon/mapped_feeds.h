/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_MAPPED_FEEDS_H
#define CADMOND_MAPPED_FEEDS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "feed.h"
#include "zonefile.h"

/*
 * The feed listeners of mappings[].listen (docs/mappings.md "Live feeds"): each mapping that
 * names listen addresses gets a listener of its own, whose connections the feed server takes
 * as records of that mapping (feed_server_accept_records), beside feed.listen's connections
 * (protocol v1 lines, or feed.mapping's records). Same feed server, so the same slots, limits,
 * TLS and journal. Each mapping's IANA zone is loaded here, when it starts and on a reload.
 *
 * A reload goes in two steps, like the other listeners: mapped_feeds_prepare binds the
 * changed addresses (an address a mapping of the same name keeps shares its socket) and loads
 * the zones, then mapped_feeds_commit switches to them (connections opened from then on read
 * the new mapping; open ones keep theirs) or mapped_feeds_abort drops them.
 */

struct event_base;
struct mapped_feeds;

/**
 * Listen on every mappings[].listen of config; connections go to feeds. role text is
 * "feeds of mapping NAME". NULL with the reason in why, e.g. "mappings[1].listen: cannot
 * listen on 127.0.0.1:7411: Address already in use" or "mapping cdr: time zone ...".
 */
struct mapped_feeds *mapped_feeds_new(struct event_base *base, struct feed_server *feeds,
				      const struct config *config, zonefile_read_fn *read_file,
				      char *why, size_t why_size);

/** Bind and load what next needs (nothing is switched yet). 0, or -1 with why (nothing kept). */
int mapped_feeds_prepare(struct mapped_feeds *mapped, const struct config *next, char *why,
			 size_t why_size);

/** Switch to what mapped_feeds_prepare made; logs the addresses no longer and newly listened. */
void mapped_feeds_commit(struct mapped_feeds *mapped);

/** Drop what mapped_feeds_prepare made; the running listeners stay. */
void mapped_feeds_abort(struct mapped_feeds *mapped);

/** Close every listener (open connections stay with the feed server). NULL is allowed. */
void mapped_feeds_free(struct mapped_feeds *mapped);

#endif
