/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "cadmond.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "engine.h"
#include "feed.h"
#include "listener.h"
#include "log.h"
#include "subscribers.h"

static const int cadmond_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define CADMOND_SIGNAL_COUNT (sizeof cadmond_signals / sizeof cadmond_signals[0])

struct cadmond {
	struct event_base *base;
	struct config config; /* what runs now: reload copies into it only what it applies */
	char *config_path;    /* NULL: built-in defaults */
	struct engine *engine;
	struct feed_server *feeds;
	struct subscribers *subscribers;
	struct listener *feed_listener;
	struct listener *alert_listener;
	struct event *signal_events[CADMOND_SIGNAL_COUNT];
	struct event *status_timer; /* STATUS= and WATCHDOG=1 */
	struct event *flush_timer;  /* bounds the shutdown wait for subscribers */
	struct timeval status_interval;
	bool watchdog;
	bool stopping;
};

/* Grow a file buffer towards limit bytes (always room for one more byte and a NUL). */
static int grow_buffer(char **buffer, size_t *capacity, size_t limit)
{
	size_t wanted = *capacity ? *capacity * 2 : 4096;
	char *grown;

	if (wanted > limit)
		wanted = limit;
	grown = realloc(*buffer, wanted);
	if (!grown)
		return -ENOMEM;
	*buffer = grown;
	*capacity = wanted;
	return 0;
}

/* Read a whole file of at most max_bytes into a NUL-terminated malloc'd buffer. */
static int read_file(const char *path, size_t max_bytes, char **text, size_t *len)
{
	size_t size = 0, capacity = 0;
	char *buffer = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (size + 1 >= capacity && (rc = grow_buffer(&buffer, &capacity, max_bytes + 2)) < 0)
			break;
		got = read(fd, buffer + size, capacity - size - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? -errno : 0;
			break;
		}
		size += (size_t)got;
		if (size > max_bytes) {
			rc = -EFBIG;
			break;
		}
	}
	close(fd);
	if (rc < 0) {
		free(buffer);
		return rc;
	}
	buffer[size] = '\0';
	*text = buffer;
	*len = size;
	return 0;
}

int cadmond_load_config(const char *path, struct config *config, struct config_errors *errors)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(errors, 0, sizeof *errors);
	rc = read_file(path, CADMOND_CONFIG_MAX_BYTES, &text, &len);
	if (rc == -EFBIG) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "%s: larger than %u bytes", path,
			 CADMOND_CONFIG_MAX_BYTES);
	} else if (rc < 0) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "%s: cannot read: %s", path,
			 strerror(-rc));
	}
	if (rc < 0) {
		errors->count = 1;
		return rc;
	}
	rc = config_parse(text, len, path, config, errors);
	free(text);
	return rc;
}

void cadmond_log_config_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count && i < CONFIG_MAX_ERRORS; i++)
		log_msg(LOG_ERR, "%s", errors->message[i]);
	if (errors->dropped > 0)
		log_msg(LOG_ERR, "... and %zu more errors", errors->dropped);
}

static struct feed_limits feed_limits_of(const struct config *config)
{
	return (struct feed_limits){
		.max_connections = config->feed.max_connections,
		.max_line_bytes = config->feed.max_line_bytes,
		.log_interval_seconds = config->log.rate_limit_seconds,
	};
}

static struct subscribers_limits subscribers_limits_of(const struct config *config)
{
	return (struct subscribers_limits){
		.max_subscribers = config->alerts.max_subscribers,
		.max_queue_bytes = config->alerts.max_queue_bytes,
		.log_interval_seconds = config->log.rate_limit_seconds,
	};
}

static uint64_t rejected_lines(const struct engine_stats *stats)
{
	uint64_t total = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		total += stats->rejects[reason];
	return total;
}

/* Tell systemd how we are doing ("STATUS=...") and, under a watchdog, that we are alive. */
static void cadmond_notify_status(struct cadmond *cadmond)
{
	const struct engine_stats *engine = engine_stats(cadmond->engine);

	sd_notifyf(0,
		   "STATUS=%" PRIu32 " feeds, %" PRIu32 " subscribers; %" PRIu64 " lines, %" PRIu64
		   " events, %" PRIu64 " rejected, %" PRIu64 " alerts",
		   feed_server_stats(cadmond->feeds)->connected,
		   subscribers_stats(cadmond->subscribers)->connected, engine->lines, engine->events,
		   rejected_lines(engine), engine->detector.alerts);
	if (cadmond->watchdog)
		sd_notify(0, "WATCHDOG=1");
}

static void cadmond_on_status_timer(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	cadmond_notify_status(ctx);
}

/* Every alert goes to every subscriber, and a short note to the log. */
static void cadmond_on_alert(const struct alert *alert, const char *json, size_t json_len,
			     void *ctx)
{
	struct cadmond *cadmond = ctx;

	log_msg(LOG_NOTICE,
		"alert %" PRIu64 ": rule %s (%s) for operator %s%s%s: %" PRIu32 " calls, %" PRIu32
		" premature, %zu callbacks",
		alert->seq, alert->rule, alert->severity, alert->agency,
		alert->agency[0] ? "/" : "", alert->operator_id, alert->calls, alert->premature,
		alert->callback_count);
	subscribers_broadcast(cadmond->subscribers, json, json_len);
}

static bool listen_equal(const struct config_listen *a, const struct config_listen *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count && i < CONFIG_MAX_LISTEN; i++)
		if (strcmp(a->address[i], b->address[i]) != 0)
			return false;
	return true;
}

/* True when the settings the engine was built with (tracker, detector) are the same in both.
 * Byte comparison never misses a change; padding could at worst make it report one. */
static bool engine_settings_equal(const struct config *a, const struct config *b)
{
	return memcmp(&a->tracker, &b->tracker, sizeof a->tracker) == 0 &&
	       memcmp(&a->detector, &b->detector, sizeof a->detector) == 0;
}

/*
 * Take from a reloaded configuration what can change without rebuilding the engine or the
 * listeners: connection and queue limits, line length, log rate limit. Changed listen
 * addresses and engine settings (tracker, detector thresholds) are not applied yet and say
 * so: swapping them in without losing window state is a later issue.
 */
static void cadmond_apply_reload(struct cadmond *cadmond, const struct config *next)
{
	struct config *active = &cadmond->config;
	struct feed_limits feed_limits;
	struct subscribers_limits subscribers_limits;

	if (!listen_equal(&active->feed.listen, &next->feed.listen) ||
	    !listen_equal(&active->alerts.listen, &next->alerts.listen))
		log_msg(LOG_WARNING, "listen addresses changed: not applied until restart");
	if (!engine_settings_equal(active, next))
		log_msg(LOG_WARNING, "tracker and detector settings changed: not applied until restart");
	active->feed.max_connections = next->feed.max_connections;
	active->feed.max_line_bytes = next->feed.max_line_bytes;
	active->alerts.max_subscribers = next->alerts.max_subscribers;
	active->alerts.max_queue_bytes = next->alerts.max_queue_bytes;
	active->log.rate_limit_seconds = next->log.rate_limit_seconds;
	feed_limits = feed_limits_of(active);
	subscribers_limits = subscribers_limits_of(active);
	feed_server_update_limits(cadmond->feeds, &feed_limits);
	subscribers_update_limits(cadmond->subscribers, &subscribers_limits);
}

/* SIGHUP: re-read the file; keep the running configuration unless the new one is valid. */
static void cadmond_reload(struct cadmond *cadmond)
{
	struct config next;
	struct config_errors errors;

	if (!cadmond->config_path) {
		log_msg(LOG_NOTICE, "SIGHUP: running on built-in defaults, no file to re-read");
		return;
	}
	sd_notify(0, "RELOADING=1");
	if (cadmond_load_config(cadmond->config_path, &next, &errors) < 0) {
		cadmond_log_config_errors(&errors);
		log_msg(LOG_ERR, "configuration not reloaded: %zu errors; keeping the running one",
			errors.count + errors.dropped);
	} else {
		cadmond_apply_reload(cadmond, &next);
		log_msg(LOG_NOTICE, "configuration reloaded");
	}
	sd_notify(0, "READY=1");
}

static void cadmond_on_flushed(void *ctx)
{
	struct cadmond *cadmond = ctx;

	event_base_loopexit(cadmond->base, NULL);
}

static void cadmond_on_flush_timeout(evutil_socket_t fd, short what, void *ctx)
{
	struct cadmond *cadmond = ctx;

	(void)fd;
	(void)what;
	log_msg(LOG_WARNING, "%" PRIu32 " subscribers did not take their alerts within %d s; closing",
		subscribers_stats(cadmond->subscribers)->connected, CADMOND_FLUSH_SECONDS);
	event_base_loopexit(cadmond->base, NULL);
}

/*
 * SIGTERM / SIGINT: stop accepting (the listening sockets close), process what the feeds
 * have sent so far, then wait at most CADMOND_FLUSH_SECONDS for subscribers to take the
 * alerts queued for them before the loop ends.
 */
static void cadmond_stop(struct cadmond *cadmond)
{
	const struct timeval flush_wait = { .tv_sec = CADMOND_FLUSH_SECONDS };

	cadmond->stopping = true;
	sd_notify(0, "STOPPING=1");
	evtimer_del(cadmond->status_timer);
	listener_free(cadmond->feed_listener);
	listener_free(cadmond->alert_listener);
	cadmond->feed_listener = NULL;
	cadmond->alert_listener = NULL;
	feed_server_close_all(cadmond->feeds);
	if (subscribers_flush(cadmond->subscribers, cadmond_on_flushed, cadmond) == 0)
		event_base_loopexit(cadmond->base, NULL);
	else
		evtimer_add(cadmond->flush_timer, &flush_wait);
}

static const char *signal_name(int signal_number)
{
	switch (signal_number) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "signal";
	}
}

static void cadmond_on_signal(evutil_socket_t signal_number, short what, void *ctx)
{
	struct cadmond *cadmond = ctx;

	(void)what;
	if (signal_number == SIGHUP) {
		if (!cadmond->stopping)
			cadmond_reload(cadmond);
		return;
	}
	if (cadmond->stopping) {
		log_msg(LOG_WARNING, "%s again: exiting without waiting for subscribers",
			signal_name((int)signal_number));
		event_base_loopbreak(cadmond->base);
		return;
	}
	log_msg(LOG_NOTICE, "%s: shutting down", signal_name((int)signal_number));
	cadmond_stop(cadmond);
}

/* Route libevent's own warnings into our log. */
static void cadmond_on_libevent_log(int severity, const char *message)
{
	static const int priorities[] = {
		[EVENT_LOG_DEBUG] = LOG_DEBUG,
		[EVENT_LOG_MSG] = LOG_INFO,
		[EVENT_LOG_WARN] = LOG_WARNING,
		[EVENT_LOG_ERR] = LOG_ERR,
	};

	log_msg(severity >= 0 && severity <= EVENT_LOG_ERR ? priorities[severity] : LOG_ERR,
		"libevent: %s", message);
}

/* Status every CADMOND_STATUS_SECONDS, or twice per watchdog period if that is shorter. */
static void cadmond_setup_status_interval(struct cadmond *cadmond)
{
	uint64_t period_usec = (uint64_t)CADMOND_STATUS_SECONDS * 1000000;
	uint64_t watchdog_usec = 0;

	if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
		cadmond->watchdog = true;
		if (watchdog_usec / 2 < period_usec)
			period_usec = watchdog_usec / 2;
	}
	cadmond->status_interval.tv_sec = (time_t)(period_usec / 1000000);
	cadmond->status_interval.tv_usec = (suseconds_t)(period_usec % 1000000);
}

static int cadmond_setup_events(struct cadmond *cadmond)
{
	for (size_t i = 0; i < CADMOND_SIGNAL_COUNT; i++) {
		cadmond->signal_events[i] =
			evsignal_new(cadmond->base, cadmond_signals[i], cadmond_on_signal, cadmond);
		if (!cadmond->signal_events[i] || evsignal_add(cadmond->signal_events[i], NULL) < 0)
			return -ENOMEM;
	}
	cadmond->status_timer =
		event_new(cadmond->base, -1, EV_PERSIST, cadmond_on_status_timer, cadmond);
	cadmond->flush_timer = evtimer_new(cadmond->base, cadmond_on_flush_timeout, cadmond);
	if (!cadmond->status_timer || !cadmond->flush_timer)
		return -ENOMEM;
	cadmond_setup_status_interval(cadmond);
	return 0;
}

static void cadmond_on_feed_accept(evutil_socket_t fd, const char *peer, void *ctx)
{
	struct cadmond *cadmond = ctx;

	feed_server_accept(cadmond->feeds, fd, peer);
}

static void cadmond_on_subscriber_accept(evutil_socket_t fd, const char *peer, void *ctx)
{
	struct cadmond *cadmond = ctx;

	subscribers_accept(cadmond->subscribers, fd, peer);
}

/* The connection handlers first, the listeners last: nothing is accepted before it can be
 * served. */
static int cadmond_setup(struct cadmond *cadmond, const char *config_path, char *why,
			 size_t why_size)
{
	const struct config *config = &cadmond->config;
	struct feed_limits feed_limits = feed_limits_of(config);
	struct subscribers_limits subscribers_limits = subscribers_limits_of(config);

	if ((config_path && !(cadmond->config_path = strdup(config_path))) ||
	    !(cadmond->base = event_base_new()) ||
	    !(cadmond->engine = engine_new(config, cadmond_on_alert, cadmond)) ||
	    !(cadmond->feeds = feed_server_new(cadmond->base, cadmond->engine, &feed_limits)) ||
	    !(cadmond->subscribers = subscribers_new(cadmond->base, &subscribers_limits)) ||
	    cadmond_setup_events(cadmond) < 0) {
		snprintf(why, why_size, "cannot start: out of memory");
		return -ENOMEM;
	}
	cadmond->feed_listener =
		listener_new(cadmond->base, &config->feed.listen, "feeds",
			     config->log.rate_limit_seconds, cadmond_on_feed_accept, cadmond, why,
			     why_size);
	if (!cadmond->feed_listener)
		return -EADDRNOTAVAIL;
	cadmond->alert_listener =
		listener_new(cadmond->base, &config->alerts.listen, "subscribers",
			     config->log.rate_limit_seconds, cadmond_on_subscriber_accept, cadmond,
			     why, why_size);
	if (!cadmond->alert_listener)
		return -EADDRNOTAVAIL;
	return 0;
}

struct cadmond *cadmond_new(const struct config *config, const char *config_path, char *why,
			    size_t why_size)
{
	struct cadmond *cadmond = calloc(1, sizeof *cadmond);

	if (!cadmond) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(cadmond_on_libevent_log);
	cadmond->config = *config;
	if (cadmond_setup(cadmond, config_path, why, why_size) < 0) {
		cadmond_free(cadmond);
		return NULL;
	}
	return cadmond;
}

static void cadmond_log_summary(struct cadmond *cadmond)
{
	const struct engine_stats *engine = engine_stats(cadmond->engine);
	const struct feed_server_stats *feeds = feed_server_stats(cadmond->feeds);
	const struct subscribers_stats *subscribers = subscribers_stats(cadmond->subscribers);

	log_msg(LOG_NOTICE,
		"stopped: %" PRIu64 " feeds (%" PRIu64 " refused), %" PRIu64 " subscribers (%" PRIu64
		" refused, %" PRIu64 " too slow), %" PRIu64 " lines, %" PRIu64 " events, %" PRIu64
		" rejected, %" PRIu64 " alerts",
		feeds->accepted, feeds->refused, subscribers->accepted, subscribers->refused,
		subscribers->dropped_slow, engine->lines, engine->events, rejected_lines(engine),
		engine->detector.alerts);
}

int cadmond_run(struct cadmond *cadmond)
{
	int rc;

	sd_notify(0, "READY=1");
	cadmond_notify_status(cadmond);
	evtimer_add(cadmond->status_timer, &cadmond->status_interval);
	rc = event_base_dispatch(cadmond->base);
	if (rc < 0)
		log_msg(LOG_ERR, "event loop failed");
	cadmond_log_summary(cadmond);
	return rc < 0 ? CADMOND_EXIT_RUNTIME : CADMOND_EXIT_OK;
}

void cadmond_free(struct cadmond *cadmond)
{
	if (!cadmond)
		return;
	listener_free(cadmond->feed_listener);
	listener_free(cadmond->alert_listener);
	feed_server_free(cadmond->feeds);
	subscribers_free(cadmond->subscribers);
	for (size_t i = 0; i < CADMOND_SIGNAL_COUNT; i++)
		if (cadmond->signal_events[i])
			event_free(cadmond->signal_events[i]);
	if (cadmond->status_timer)
		event_free(cadmond->status_timer);
	if (cadmond->flush_timer)
		event_free(cadmond->flush_timer);
	engine_free(cadmond->engine);
	if (cadmond->base)
		event_base_free(cadmond->base);
	free(cadmond->config_path);
	free(cadmond);
}
