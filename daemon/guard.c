/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "guard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "hostclock.h"
#include "limitwatch.h"
#include "log.h"
#include "text.h"

static const char *const port_names[GUARD_PORT_COUNT] = { "feed", "alerts", "http" };
static const char *const port_roles[GUARD_PORT_COUNT] = { "feed", "subscriber", "http" };
static const char *const refusal_names[GUARD_REFUSAL_COUNT] = { "full", "pending_full",
								"per_address" };
static const char *const expiry_names[GUARD_EXPIRY_COUNT] = { "handshake", "line_timeout", "idle" };

/* The configuration key each refusal hits; "" where a port has no such limit. */
static const char *const refusal_keys[GUARD_PORT_COUNT][GUARD_REFUSAL_COUNT] = {
	{ "feed.max_connections", "feed.max_pending_connections",
	  "feed.max_connections_per_address" },
	{ "alerts.max_subscribers", "alerts.max_pending_connections",
	  "alerts.max_connections_per_address" },
	{ "http.max_connections", "", "http.max_connections_per_address" },
};

struct guard {
	uint32_t quiet_seconds;
	struct limitwatch_hooks hooks;
	struct limitwatch limits[GUARD_PORT_COUNT][GUARD_REFUSAL_COUNT]; /* refusals */
	struct log_limit refuse_log[GUARD_PORT_COUNT][GUARD_REFUSAL_COUNT]; /* one per limit */
	struct guard_stats stats;
};

const char *guard_port_name(enum guard_port port)
{
	return (unsigned)port < GUARD_PORT_COUNT ? port_names[port] : "?";
}

const char *guard_refusal_name(enum guard_refusal reason)
{
	return (unsigned)reason < GUARD_REFUSAL_COUNT ? refusal_names[reason] : "?";
}

const char *guard_expiry_name(enum guard_expiry expiry)
{
	return (unsigned)expiry < GUARD_EXPIRY_COUNT ? expiry_names[expiry] : "?";
}

const char *guard_refusal_key(enum guard_port port, enum guard_refusal reason)
{
	return (unsigned)port < GUARD_PORT_COUNT && (unsigned)reason < GUARD_REFUSAL_COUNT
		       ? refusal_keys[port][reason]
		       : "";
}

void guard_peer_host(const char *peer, char *out, size_t size)
{
	const char *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);

	if (size == 0)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(out, peer, len);
	out[len] = '\0';
}

int64_t guard_now_ms(void)
{
	return hostclock_monotonic_ms();
}

/* ---- one connection's deadlines ----------------------------------------------------------- */

/* When deadline expiry passes, or INT64_MAX when it does not apply now. */
static int64_t guard_clock_deadline(const struct guard_clock *clock, enum guard_expiry expiry)
{
	const struct guard_timeouts *timeouts = clock->timeouts;

	switch (expiry) {
	case GUARD_EXPIRED_HANDSHAKE:
		return clock->pending && timeouts->handshake_seconds
			       ? clock->opened_ms + (int64_t)timeouts->handshake_seconds * 1000
			       : INT64_MAX;
	case GUARD_EXPIRED_LINE:
		return clock->partial_since_ms >= 0 && timeouts->line_seconds
			       ? clock->partial_since_ms + (int64_t)timeouts->line_seconds * 1000
			       : INT64_MAX;
	case GUARD_EXPIRED_IDLE:
		return timeouts->idle_seconds
			       ? clock->last_line_ms + (int64_t)timeouts->idle_seconds * 1000
			       : INT64_MAX;
	default:
		return INT64_MAX;
	}
}

/* The deadline that passes first, in *deadline_ms; GUARD_EXPIRY_COUNT when none applies. */
static enum guard_expiry guard_clock_next(const struct guard_clock *clock, int64_t *deadline_ms)
{
	enum guard_expiry first = GUARD_EXPIRY_COUNT;

	*deadline_ms = INT64_MAX;
	for (int expiry = 0; expiry < GUARD_EXPIRY_COUNT; expiry++) {
		int64_t at = guard_clock_deadline(clock, (enum guard_expiry)expiry);
		if (at < *deadline_ms) {
			*deadline_ms = at;
			first = (enum guard_expiry)expiry;
		}
	}
	return first;
}

static void guard_clock_arm(struct guard_clock *clock, int64_t deadline_ms, int64_t now_ms)
{
	int64_t wait_ms = deadline_ms > now_ms ? deadline_ms - now_ms : 0;
	const struct timeval wait = { .tv_sec = wait_ms / 1000,
				      .tv_usec = (wait_ms % 1000) * 1000 };

	if (!clock->timer) /* freed: a connection closing after its last line has no deadline */
		return;
	clock->armed_ms = deadline_ms;
	if (deadline_ms == INT64_MAX)
		event_del(clock->timer);
	else
		evtimer_add(clock->timer, &wait);
}

/* The timer fired: a deadline passed (the owner closes the connection), or one moved later. */
static void guard_clock_on_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct guard_clock *clock = ctx;
	int64_t now_ms = guard_now_ms(), deadline_ms;
	enum guard_expiry expiry = guard_clock_next(clock, &deadline_ms);

	(void)fd;
	(void)what;
	if (expiry != GUARD_EXPIRY_COUNT && deadline_ms <= now_ms) {
		clock->armed_ms = INT64_MAX;
		clock->on_expired(clock->ctx, expiry);
		return;
	}
	guard_clock_arm(clock, deadline_ms, now_ms);
}

int guard_clock_init(struct guard_clock *clock, struct event_base *base,
		     const struct guard_timeouts *timeouts, guard_expired_fn on_expired, void *ctx)
{
	*clock = (struct guard_clock){ .timeouts = timeouts,
				       .opened_ms = guard_now_ms(),
				       .partial_since_ms = -1,
				       .armed_ms = INT64_MAX,
				       .pending = true,
				       .on_expired = on_expired,
				       .ctx = ctx };
	clock->last_line_ms = clock->opened_ms;
	if (!(clock->timer = evtimer_new(base, guard_clock_on_timer, clock)))
		return -ENOMEM;
	guard_clock_rearm(clock);
	return 0;
}

void guard_clock_free(struct guard_clock *clock)
{
	if (clock->timer)
		event_free(clock->timer);
	clock->timer = NULL;
}

/* Arm earlier when a deadline now comes before the armed one (a later one waits: the timer
 * fires, finds it has not passed, and re-arms). */
static void guard_clock_arm_if_earlier(struct guard_clock *clock, int64_t now_ms)
{
	int64_t deadline_ms;

	guard_clock_next(clock, &deadline_ms);
	if (deadline_ms < clock->armed_ms)
		guard_clock_arm(clock, deadline_ms, now_ms);
}

void guard_clock_input(struct guard_clock *clock, bool completed_line, bool partial_left)
{
	int64_t now_ms = guard_now_ms();

	if (completed_line) {
		clock->last_line_ms = now_ms;
		clock->partial_since_ms = -1;
	}
	if (!partial_left)
		clock->partial_since_ms = -1;
	else if (clock->partial_since_ms < 0)
		clock->partial_since_ms = now_ms;
	guard_clock_arm_if_earlier(clock, now_ms);
}

void guard_clock_promote(struct guard_clock *clock)
{
	clock->pending = false;
}

void guard_clock_rearm(struct guard_clock *clock)
{
	int64_t deadline_ms;

	guard_clock_next(clock, &deadline_ms);
	guard_clock_arm(clock, deadline_ms, guard_now_ms());
}

/* ---- refusals, expiries and the limit alerts --------------------------------------------- */

struct guard *guard_new(uint32_t log_seconds, uint32_t quiet_seconds, guard_control_fn control,
			guard_open_fn is_open, void *ctx)
{
	struct guard *guard = calloc(1, sizeof(*guard));
	int64_t now_ms = guard_now_ms();
	char label[LOG_LIMIT_LABEL_MAX];

	if (!guard)
		return NULL;
	guard->hooks =
		(struct limitwatch_hooks){ .control = control, .is_open = is_open, .ctx = ctx };
	for (int port = 0; port < GUARD_PORT_COUNT; port++)
		for (int reason = 0; reason < GUARD_REFUSAL_COUNT; reason++) {
			snprintf(label, sizeof(label), "%s connections refused (%s)",
				 port_roles[port], refusal_keys[port][reason]);
			log_limit_init(&guard->refuse_log[port][reason], log_seconds, label);
			limitwatch_init(&guard->limits[port][reason], now_ms);
		}
	guard_update(guard, log_seconds, quiet_seconds);
	return guard;
}

void guard_free(struct guard *guard)
{
	if (!guard)
		return;
	for (int port = 0; port < GUARD_PORT_COUNT; port++)
		for (int reason = 0; reason < GUARD_REFUSAL_COUNT; reason++)
			log_limit_flush(&guard->refuse_log[port][reason]);
	free(guard);
}

void guard_update(struct guard *guard, uint32_t log_seconds, uint32_t quiet_seconds)
{
	guard->quiet_seconds = quiet_seconds;
	for (int port = 0; port < GUARD_PORT_COUNT; port++)
		for (int reason = 0; reason < GUARD_REFUSAL_COUNT; reason++)
			guard->refuse_log[port][reason].interval_seconds = log_seconds;
}

enum guard_refusal guard_admission(const struct guard_occupancy *occupancy, const char *host,
				   char *why, size_t why_size)
{
	if (occupancy->established >= occupancy->max_established) {
		snprintf(why, why_size, "%" PRIu32 " %s", occupancy->established,
			 occupancy->established_noun);
		return GUARD_REFUSED_FULL;
	}
	if (occupancy->from_host >= occupancy->max_per_address) {
		snprintf(why, why_size, "%" PRIu32 " connections from %s", occupancy->from_host,
			 host);
		return GUARD_REFUSED_PER_ADDRESS;
	}
	if (occupancy->max_pending && occupancy->pending >= occupancy->max_pending) {
		snprintf(why, why_size, "%" PRIu32 " connections pending", occupancy->pending);
		return GUARD_REFUSED_PENDING_FULL;
	}
	return GUARD_REFUSAL_COUNT;
}

void guard_refused(struct guard *guard, enum guard_port port, enum guard_refusal reason,
		   const char *peer, const char *why)
{
	if (!guard || (unsigned)port >= GUARD_PORT_COUNT || (unsigned)reason >= GUARD_REFUSAL_COUNT)
		return;
	guard->stats.refused[port][reason]++;
	limitwatch_hit(&guard->limits[port][reason], guard_now_ms());
	log_limited(&guard->refuse_log[port][reason], LOG_WARNING, "%s %s refused: %s (%s)",
		    port_roles[port], peer, why, refusal_keys[port][reason]);
}

void guard_expired(struct guard *guard, enum guard_port port, enum guard_expiry expiry)
{
	if (guard && (unsigned)port < GUARD_PORT_COUNT && (unsigned)expiry < GUARD_EXPIRY_COUNT)
		guard->stats.expired[port][expiry]++;
}

/* One limit: raised when it refused since the last tick and its alert is not open; resolved
 * once it refused nothing for quiet_seconds. */
static void guard_check_limit(struct guard *guard, const char *key, struct limitwatch *limit,
			      int64_t now_ms)
{
	struct control about = { .kind = CONTROL_CONNECTION_LIMIT };

	text_copy(about.key, key, sizeof(about.key));
	switch (limitwatch_tick(limit, &about, guard->quiet_seconds, now_ms, &guard->hooks)) {
	case LIMITWATCH_RAISED:
		guard->stats.limit_alerts++;
		break;
	case LIMITWATCH_RESOLVED:
		log_msg(LOG_NOTICE,
			"%s: no connection refused for %" PRIu32 " s; %" PRIu64 " refused in all",
			key, guard->quiet_seconds, limit->hits);
		break;
	case LIMITWATCH_NOTHING:
		break;
	}
}

void guard_tick(struct guard *guard, int64_t now_ms)
{
	for (int port = 0; port < GUARD_PORT_COUNT; port++)
		for (int reason = 0; reason < GUARD_REFUSAL_COUNT; reason++)
			if (refusal_keys[port][reason][0])
				guard_check_limit(guard, refusal_keys[port][reason],
						  &guard->limits[port][reason], now_ms);
}

const struct guard_stats *guard_stats(const struct guard *guard)
{
	return &guard->stats;
}
