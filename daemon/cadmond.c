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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include <json-c/json.h>

#include "activation.h"
#include "auth.h"
#include "control.h"
#include "store.h"
#include "engine.h"
#include "engine_counters.h"
#include "invariant.h"
#include "feed.h"
#include "health.h"
#include "hostclock.h"
#include "i3_server.h"
#include "http.h"
#include "guard.h"
#include "listener.h"
#include "mapped_feeds.h"
#include "log.h"
#include "nats.h"
#include "limitwatch.h"
#include "receivers.h"
#include "reload.h"
#include "replay.h"
#include "streams.h"
#include "subscribers.h"
#include "text.h"
#include "timestamp.h"
#include "tls.h"
#include "zonefile.h"

static const int cadmond_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define CADMOND_SIGNAL_COUNT (sizeof cadmond_signals / sizeof cadmond_signals[0])

/*
 * The event loop's iterations, timed (the stop summary; bench/snapshot-stall reads it): the
 * wall time, this thread's CPU time and minor page faults of each, in three classes: the
 * iterations that fork()ed a snapshot's child, those after while the child ran (every page
 * the loop writes meanwhile is copied, copy-on-write) and the others. An iteration that
 * slept in epoll_wait (a voluntary context switch) has the wait in its wall time: the
 * longest is taken among those that did not; the most CPU among all. A rotating iteration is
 * timed from the rotation's start (store_hooks.rotation_begins) to its end, without the
 * epoll_wait before it (its own writes and file creation may sleep); one whose fork() failed
 * (the snapshot written in the loop, logged) is in no class. Always on: about 0.5 us an
 * iteration (a vDSO clock_gettime, a CLOCK_THREAD_CPUTIME_ID clock_gettime and a getrusage,
 * both system calls).
 */
struct loop_worst {
	uint64_t iterations;
	int64_t cpu_us_total;
	uint64_t faults_total;
	int64_t wall_us;     /* the longest iteration that did not sleep */
	int64_t wall_cpu_us; /* its CPU time: the rest of its wall time other threads ran */
	long wall_faults;    /* its minor page faults */
	long wall_preempted; /* its involuntary context switches */
	long wall_slept;     /* its voluntary ones (a rotation's fsyncs) */
	int64_t cpu_us;      /* the most CPU time an iteration took */
	int64_t cpu_wall_us;
	long cpu_faults;
};

struct loop_sample {
	int64_t wall_us, cpu_us;
	struct rusage usage;
};

static void loop_sample(struct loop_sample *sample);

struct cadmond {
	uint64_t invariants_logged; /* lib's failed invariants already logged (invariant.h) */
	struct event_base *base;
	struct config config; /* what runs now: a reload replaces it as a whole, or not at all */
	char *config_path;    /* NULL: built-in defaults */
	struct store *store; /* the state directory, the journal, recovery */
	struct engine *engine;
	struct feed_server *feeds;
	struct subscribers *subscribers;
	struct receivers *receivers; /* config.receivers: Alertmanager, webhooks */
	struct listener *feed_listener;
	struct mapped_feeds *mapped_feeds; /* mappings[].listen: feeds of a mapping's records */
	struct listener *alert_listener;
	struct http_server *http;   /* the HTTP API, metrics and health */
	struct i3_server *i3;       /* POST /LogEvents; NULL unless i3.enabled */
	struct auth *auth;          /* tokens of consoles and HTTP clients; off without tokens */
	struct streams *streams;    /* GET /api/stream */
	struct tls_server *tls;     /* when a listener serves TLS: the context of new connections */
	struct nats *nats;          /* nats.enabled: JetStream in and out; NULL otherwise */
	struct nats_stats nats_stats; /* a copy for /metrics */
	int64_t health_due_us;      /* when the health timer should run next (monotonic) */
	int64_t loop_lag_us;        /* how late it ran last time: the event loop's lag */
	char *ack_notice;           /* while an HTTP ack is applied: its notice goes here */
	size_t ack_notice_size;
	uint64_t alert_log_seq;     /* the log is held (log.h) until this alert is delivered */
	struct event *signal_events[CADMOND_SIGNAL_COUNT];
	struct event *status_timer; /* STATUS= and WATCHDOG=1 */
	struct health *health;      /* feed silence, journal state, evictions */
	struct guard *guard;        /* connection slots: refusals, expiries, limit alerts */
	struct event *health_timer; /* health_tick once a second */
	struct event *flush_timer;  /* bounds the shutdown wait for subscribers */
	struct event *clock_timer;  /* the host clock's ticks, while events wait for the center */
	struct timeval status_interval;
	struct loop_worst loop_other;	 /* iterations without a snapshot's child */
	struct loop_worst loop_fork;	 /* those that fork()ed one */
	struct loop_worst loop_snapshot; /* those after, while the child ran */
	struct loop_sample rotation_start; /* store_hooks.rotation_begins, in this iteration */
	bool rotation_started;
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

int cadmond_read_file(const char *path, size_t max_bytes, char **text, size_t *len)
{
	size_t size = 0, capacity = 0;
	char *buffer = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (size + 1 >= capacity &&
		    (rc = grow_buffer(&buffer, &capacity, max_bytes + 2)) < 0)
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

/* The configuration file's text, or the reason in errors (at_reload: without the start's
 * advice). */
static int read_config_file(const char *path, bool at_reload, char **text, size_t *len,
			    struct config_errors *errors)
{
	int rc;

	memset(errors, 0, sizeof *errors);
	rc = cadmond_read_file(path, CADMOND_CONFIG_MAX_BYTES, text, len);
	if (rc == -EFBIG) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "%s: larger than %u bytes", path,
			 CADMOND_CONFIG_MAX_BYTES);
	} else if (rc < 0) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "%s: cannot read: %s", path,
			 strerror(-rc));
	}
	if (rc == 0 && config_holds_nothing(*text, *len)) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX,
			 "%s: holds no configuration (empty, comments or an empty document)%s",
			 path,
			 at_reload ? "" : "; without -c cadmond runs on its built-in defaults");
		free(*text);
		*text = NULL;
		rc = -EINVAL;
	}
	if (rc < 0)
		errors->count = 1;
	return rc;
}

/* The file's configuration and its tokens (read once here: auth.h), checked. */
static int load_config(const char *path, bool at_reload, struct config *config,
		       struct auth_tokens *tokens, struct config_errors *errors)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_config_file(path, at_reload, &text, &len, errors);

	*tokens = (struct auth_tokens){ 0 };
	if (rc < 0)
		return rc;
	rc = config_parse(text, len, path, config, errors);
	free(text);
	if (rc == 0)
		rc = auth_tokens_read(config, tokens, errors);
	if (rc == 0)
		rc = auth_check_config(config, tokens, errors);
	if (rc == 0 && config->nats.enabled && !nats_available()) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX,
			 "%s: nats.enabled: this cadmond was built without NATS "
			 "support (libnats-dev; meson option nats)",
			 path);
		errors->count = 1;
		rc = -EINVAL;
	}
	if (rc < 0)
		auth_tokens_release(tokens);
	return rc;
}

int cadmond_load_config(const char *path, struct config *config, struct auth_tokens *tokens,
			struct config_errors *errors)
{
	if (path)
		return load_config(path, false, config, tokens, errors);
	memset(errors, 0, sizeof *errors);
	config_set_defaults(config);
	return auth_tokens_read(config, tokens, errors);
}

char *cadmond_dump_config(const char *path, struct config_errors *errors)
{
	char *text = NULL;
	size_t len = 0;
	char *dumped;

	if (path && read_config_file(path, false, &text, &len, errors) < 0)
		return NULL;
	dumped = config_dump_traced(text, len, path ? path : "(defaults)", NULL, errors);
	if (!dumped && errors->count == 0) {
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "out of memory");
		errors->count = 1;
	}
	free(text);
	return dumped;
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
		.keepalive_seconds = config->feed.keepalive_seconds,
		.idle_timeout_seconds = config->feed.idle_timeout_seconds,
		.bind_source = config->feed.tls &&
			       config->feed.source_binding == CONFIG_SOURCE_BINDING_CERTIFICATE,
		.max_pending_connections = config->feed.max_pending_connections,
		.max_connections_per_address = config->feed.max_connections_per_address,
		.handshake_timeout_seconds = config->feed.handshake_timeout_seconds,
		.line_timeout_seconds = config->feed.line_timeout_seconds,
		.snapshot_iteration_budget_us = config->feed.snapshot_iteration_budget_us,
	};
}

/* feed.mapping: the mapping new feed connections read (NULL: feed lines) and its time zone
 * (*zone malloc'd, NULL for a fixed offset); 0, or -1 with why. */
static int feed_mapping_of(const struct config *config, const struct config_mapping **mapping,
			   struct zone **zone, char *why, size_t why_size)
{
	char problem[512];

	*zone = NULL;
	*mapping = config->feed.mapping[0] ? mapping_find(config, config->feed.mapping) : NULL;
	if (!*mapping ||
	    zonefile_for_mapping(*mapping, cadmond_read_file, zone, problem, sizeof problem) == 0)
		return 0;
	snprintf(why, why_size, "feed.mapping %s: %s", (*mapping)->name, problem);
	return -1;
}

/* Hand the feed server its mapping (taken by connections opened from now on). */
static int cadmond_set_feed_mapping(struct cadmond *cadmond, const struct config_mapping *mapping,
				    const struct zone *zone)
{
	if (feed_server_set_mapping(cadmond->feeds, mapping, zone) < 0)
		return -1;
	if (mapping)
		log_msg(LOG_INFO,
			"feed: connections send %s records of mapping %s (docs/mappings.md)",
			mapping->format == CONFIG_MAPPING_JSON ? "JSON" : "CSV", mapping->name);
	return 0;
}

static struct health_settings health_settings_of(const struct config *config)
{
	return (struct health_settings){
		.silence_seconds = config->feed.silence_seconds,
		.max_sources = config->feed.max_sources,
		.log_interval_seconds = config->log.rate_limit_seconds,
	};
}

static struct subscribers_limits subscribers_limits_of(const struct config *config)
{
	return (struct subscribers_limits){
		.max_subscribers = config->alerts.max_subscribers,
		.max_queue_bytes = config->alerts.max_queue_bytes,
		.log_interval_seconds = config->log.rate_limit_seconds,
		.max_pending_connections = config->alerts.max_pending_connections,
		.max_connections_per_address = config->alerts.max_connections_per_address,
		.handshake_timeout_seconds = config->alerts.handshake_timeout_seconds,
		.line_timeout_seconds = config->alerts.line_timeout_seconds,
	};
}

/* The center clock and each source in a few words for STATUS=: "; center
 * 2026-11-29T10:04:30.000Z; sources: cad-1 lag 0 s, cad-2 lag 7200 s (late 12, future 1,
 * too_late 0)", at most CADMOND_STATUS_SOURCES sources; "" when there are none. */
static void format_sources_status(const struct engine *engine, char *text, size_t size)
{
	size_t used = 0, count = engine_source_count(engine);
	struct engine_source_info info;
	char center[TIMESTAMP_TEXT_MAX] = "none";

	text[0] = '\0';
	if (count == 0)
		return;
	if (engine_center_ms(engine) != INT64_MIN)
		timestamp_format(engine_center_ms(engine), center);
	used = (size_t)snprintf(text, size, "; center %s", center);
	for (size_t i = 0; i < count && i < CADMOND_STATUS_SOURCES && used < size; i++) {
		engine_source_at(engine, i, &info);
		used += (size_t)snprintf(text + used, size - used, "%s%s lag %" PRId64 " s",
					 i ? ", " : "; sources: ", info.clock.name,
					 info.lag_ms / 1000);
		if (used < size && (info.clock.late || info.clock.future || info.clock.too_late))
			used += (size_t)snprintf(
				text + used, size - used,
				" (late %" PRIu64 ", future %" PRIu64 ", too_late %" PRIu64 ")",
				info.clock.late, info.clock.future, info.clock.too_late);
	}
	if (count > CADMOND_STATUS_SOURCES && used < size)
		snprintf(text + used, size - used, ", %zu more", count - CADMOND_STATUS_SOURCES);
}

/* The stop summary's line per source. */
static void log_sources_summary(const struct engine *engine)
{
	struct engine_source_info info;
	char newest[TIMESTAMP_TEXT_MAX];

	for (size_t i = 0; i < engine_source_count(engine); i++) {
		engine_source_at(engine, i, &info);
		if (info.clock.newest_ms == INT64_MIN)
			snprintf(newest, sizeof newest, "none");
		else
			timestamp_format(info.clock.newest_ms, newest);
		log_msg(LOG_NOTICE,
			"source %s: newest ts %s, %" PRId64 " s behind the newest source, %" PRIu64
			" lines, %" PRIu64 " events (%" PRIu64 " late), rejected %" PRIu64
			" future, %" PRIu64 " too_late, %" PRIu64 " bad_seq; %" PRIu64
			" duplicates, %" PRIu64 " restarts",
			info.clock.name, newest, info.lag_ms / 1000, info.clock.lines,
			info.clock.events, info.clock.late, info.clock.future, info.clock.too_late,
			info.clock.bad_seq, info.clock.duplicates, info.clock.restarts);
	}
}

/* Tell systemd how we are doing ("STATUS=...") and, under a watchdog, that we are alive. */
static void cadmond_notify_status(struct cadmond *cadmond)
{
	const struct engine_stats *engine = engine_stats(cadmond->engine);
	const char *degraded_reason;
	bool degraded = store_degraded(cadmond->store, &degraded_reason);
	char evicting[512];
	char sources[1024];
	char headline[ENGINE_COUNTERS_HEADLINE_MAX];

	format_sources_status(cadmond->engine, sources, sizeof sources);
	health_status_text(cadmond->health, engine, evicting, sizeof evicting);
	engine_counters_format_headline(engine, headline, sizeof headline);
	sd_notifyf(0, "STATUS=%s%s%s%" PRIu32 " feeds, %" PRIu32 " subscribers; %s%s%s%s",
		   degraded ? "degraded: " : "", degraded ? degraded_reason : "",
		   degraded ? "; " : "", feed_server_stats(cadmond->feeds)->connected,
		   subscribers_stats(cadmond->subscribers)->connected, headline,
		   evicting[0] ? "; " : "", evicting, sources);
	if (cadmond->watchdog)
		sd_notify(0, "WATCHDOG=1");
}

static void cadmond_on_status_timer(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	cadmond_notify_status(ctx);
}

/* While events wait for a source that may have gone quiet, the host clock moves the center on
 * (engine_tick), journaled like a line so that recovery releases them at the same point. */
static void cadmond_on_clock_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct cadmond *cadmond = ctx;
	struct engine_origin tick = {.source = "", .received_ms = hostclock_wall_ms()};

	(void)fd;
	(void)what;
	if (cadmond->stopping || engine_stats(cadmond->engine)->buffered == 0)
		return;
	store_append_line(cadmond->store, &tick, "", 0);
	engine_tick(cadmond->engine, tick.received_ms);
}

/* The log lines held since an alert (cadmond_on_alert) go out. */
static void cadmond_release_log(struct cadmond *cadmond)
{
	cadmond->alert_log_seq = 0;
	log_release();
}

/* Every alert goes to the journal, then (once durable) to every subscriber, and a short
 * note to the log: made now, written once the alert is delivered (cadmond_deliver_alert), so
 * that the write to stderr is not on the alert's way out. */
static void cadmond_on_alert(const struct alert *alert, const char *json, size_t json_len,
			     void *ctx)
{
	struct cadmond *cadmond = ctx;

	log_hold();
	cadmond->alert_log_seq = alert->seq;
	if (strcmp(alert->type, "system") == 0)
		log_msg(LOG_NOTICE, "alert %" PRIu64 ": %s %s (%s): %s", alert->seq, alert->system,
			alert->kind, alert->severity, alert->message ? alert->message : "");
	else if (strcmp(alert->kind, "acknowledged") == 0)
		log_msg(LOG_NOTICE, "alert %" PRIu64 ": %s acknowledged by %s", alert->seq,
			alert->alert_id, alert->ack->by);
	else
		log_msg(LOG_NOTICE,
			"alert %" PRIu64 ": %s, rule %s (%s) for operator %s%s%s: %" PRIu32
			" calls, %" PRIu32 " premature, %zu callbacks",
			alert->seq, alert->kind, alert->rule, alert->severity, alert->agency,
			alert->agency[0] ? "/" : "", alert->operator_id, alert->calls,
			alert->premature, alert->callback_count);
	if (cadmond->ack_notice && strcmp(alert->kind, "acknowledged") == 0) {
		snprintf(cadmond->ack_notice, cadmond->ack_notice_size, "%.*s", (int)json_len,
			 json);
		cadmond->ack_notice = NULL;
	}
	store_on_alert(cadmond->store, alert->seq, json, json_len);
}

/* A control (an ack, a system observation): journaled first, then applied to the engine, so
 * that recovery replays it. */
static void cadmond_control(void *ctx, const struct control *control)
{
	struct cadmond *cadmond = ctx;
	char line[CONTROL_LINE_MAX + 1], why[256];
	int64_t ts_ms = hostclock_wall_ms(); /* when the control line was taken */
	size_t len = control_format(control, line, sizeof line);

	if (len == 0) {
		log_msg(LOG_ERR, "out of memory encoding a control line: not applied");
		return;
	}
	store_append_control(cadmond->store, ts_ms, line, len);
	if (engine_control(cadmond->engine, line, len, ts_ms, why, sizeof why) < 0)
		log_msg(LOG_WARNING, "control line not applied: %s: %s", why, line);
}

/* After a restart the named sources the center held when cadmond stopped are heard again, now
 * (an empty line each, journaled as a heartbeat is): the recovered events that wait for them
 * are held another feed.source_idle_seconds from the start, time for their senders to
 * reconnect and resend, instead of being released at the first tick because the sources went
 * quiet while cadmond was down (probe16b F2). Only when some recovered event waits. */
static void cadmond_hold_recovered_sources(struct cadmond *cadmond)
{
	size_t count = engine_source_count(cadmond->engine), held = 0;
	struct engine_origin origin = { .named = true, .received_ms = hostclock_wall_ms() };
	struct engine_source_info info;
	struct engine_verdict verdict;

	if (engine_stats(cadmond->engine)->buffered == 0)
		return; /* nothing waits: no record journaled at an ordinary start */
	char (*names)[CLOCKS_NAME_MAX + 1] = calloc(count ? count : 1, sizeof *names);
	if (!names)
		return; /* out of memory: released at the first tick, as before */
	for (size_t i = 0; i < count; i++) { /* first: a heartbeat may reorder the clocks */
		engine_source_at(cadmond->engine, i, &info);
		if (info.held && info.clock.name[0] && info.clock.name[0] != '#')
			memcpy(names[held++], info.clock.name, sizeof names[0]);
	}
	for (size_t i = 0; i < held; i++) {
		origin.source = names[i];
		store_append_line(cadmond->store, &origin, "", 0);
		engine_process_from(cadmond->engine, &origin, "", 0, &verdict);
	}
	if (held > 0)
		log_msg(LOG_INFO, "recovery: %zu feed sources held for their senders to reconnect",
			held);
	free(names);
}

/* {"notice":"ack: WHY"} for the console, with WHY escaped as JSON. */
static void cadmond_console_notice(const char *why, char *reply, size_t reply_size)
{
	struct json_object *object = json_object_new_object();
	char text[320];
	const char *encoded;

	snprintf(text, sizeof text, "ack: %s", why);
	if (object && json_object_object_add(object, "notice", json_object_new_string(text)) == 0 &&
	    (encoded = json_object_to_json_string_ext(
		     object, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		snprintf(reply, reply_size, "%s", encoded);
	else
		snprintf(reply, reply_size, "{\"notice\":\"ack: refused\"}");
	json_object_put(object);
}

/* A console line: an ack, checked, journaled and applied; anything else gets a notice. A
 * since line after the first is ignored, as protocol 1 did. */
static void cadmond_console_line(void *ctx, const char *peer, const char *line, size_t len,
				 char *reply, size_t reply_size)
{
	struct cadmond *cadmond = ctx;
	struct control control;
	char why[256], since_notice[128];
	uint64_t since;

	if (replay_parse_since(line, len, &since, since_notice, sizeof since_notice))
		return;
	if (cadmond->stopping) { /* the journal is closed */
		cadmond_console_notice("cadmond is shutting down; send it again after the restart",
				       reply, reply_size);
		return;
	}
	if (control_parse(line, len, &control, why, sizeof why) < 0 ||
	    engine_control_check(cadmond->engine, &control, why, sizeof why) < 0) {
		cadmond_console_notice(why, reply, reply_size);
		return;
	}
	if (control.kind != CONTROL_ACK) {
		cadmond_console_notice("a console may only send {\"ack\":...} lines", reply,
				       reply_size);
		return;
	}
	log_msg(LOG_NOTICE, "subscriber %s: alert %s acknowledged by %s", peer, control.alert_id,
		control.by);
	cadmond_control(cadmond, &control);
}

/* An acknowledgement over HTTP: checked, journaled and applied as a console's is; the
 * acknowledged notice (broadcast to consoles once durable) in reply. */
static int cadmond_http_acknowledge(void *ctx, const struct control *control, char *reply,
				    size_t reply_size)
{
	struct cadmond *cadmond = ctx;

	if (cadmond->stopping) {
		snprintf(reply, reply_size,
			 "cadmond is shutting down; send it again after the restart");
		return -ESHUTDOWN;
	}
	if (engine_control_check(cadmond->engine, control, reply, reply_size) < 0)
		return -ENOENT;
	log_msg(LOG_NOTICE, "http: alert %s acknowledged by %s", control->alert_id, control->by);
	reply[0] = '\0';
	cadmond->ack_notice = reply;
	cadmond->ack_notice_size = reply_size;
	cadmond_control(cadmond, control);
	cadmond->ack_notice = NULL;
	store_settle(cadmond->store); /* the notice replied is durable, and sent to consoles */
	if (!reply[0]) {
		snprintf(reply, reply_size, "the acknowledgement was not applied");
		return -EIO;
	}
	return 0;
}

static void cadmond_http_state(void *ctx, struct http_state *out)
{
	struct cadmond *cadmond = ctx;

	/* What a request shows (the open alerts, the counters) includes no alert that is not
	 * durable yet: one waiting for the journal's fsync is made durable first. */
	store_settle(cadmond->store);
	out->engine = cadmond->engine;
	out->history = store_history(cadmond->store);
	out->feeds = feed_server_stats(cadmond->feeds);
	out->health = health_stats(cadmond->health);
	out->subscribers = subscribers_stats(cadmond->subscribers);
	out->streams = streams_stats(cadmond->streams);
	out->journal = store_stats(cadmond->store);
	out->journal_files = store_journal_stats(cadmond->store);
	out->receivers = cadmond->receivers;
	out->tls = cadmond->tls;
	out->loop_lag_us = cadmond->loop_lag_us;
	out->auth = auth_stats(cadmond->auth);
	out->journal_degraded = store_degraded(cadmond->store, &out->degraded_reason);
	out->guard = guard_stats(cadmond->guard);
	out->i3 = cadmond->i3 ? i3_server_stats(cadmond->i3) : NULL;
	out->nats = NULL;
	if (cadmond->nats) {
		nats_stats(cadmond->nats, &cadmond->nats_stats);
		out->nats = &cadmond->nats_stats;
	}
}

/* POST /LogEvents, authorized (i3_server.h). */
static void cadmond_log_event(void *ctx, struct evhttp_request *request)
{
	struct cadmond *cadmond = ctx;

	i3_server_post(cadmond->i3, request);
}

static struct http_settings http_settings_of(const struct config *config)
{
	return (struct http_settings){
		.max_header_bytes = config->http.max_header_bytes,
		.max_body_bytes = config->http.max_body_bytes,
		.max_log_event_bytes = config->i3.enabled ? config->i3.max_body_bytes : 0,
		.max_alerts_bytes = config->http.max_alerts_bytes,
		.timeout_seconds = config->http.timeout_seconds,
		.log_interval_seconds = config->log.rate_limit_seconds,
		.max_connections = config->http.max_connections,
		.max_connections_per_address = config->http.max_connections_per_address,
	};
}

static struct streams_limits streams_limits_of(const struct config *config)
{
	return (struct streams_limits){
		.max_streams = config->http.max_streams,
		.max_queue_bytes = config->http.max_stream_queue_bytes,
		.keepalive_seconds = config->http.stream_keepalive_seconds,
		.write_timeout_seconds = config->http.timeout_seconds,
		.log_interval_seconds = config->log.rate_limit_seconds,
	};
}

/* The open-alert board for a browser whose stream goes live. */
static uint64_t cadmond_stream_board(void *ctx, struct evbuffer *out, enum redact_mode redact)
{
	struct cadmond *cadmond = ctx;
	bool failed = false;
	uint64_t seq = http_board_write(cadmond->engine, out, redact, &failed);

	if (failed)
		log_msg(LOG_ERR, "out of memory writing the open-alert board for a stream");
	return seq;
}

/* The open-alert board for a console whose live stream starts. */
static uint64_t cadmond_board(void *ctx, subscribers_line_fn emit, void *emit_ctx)
{
	struct cadmond *cadmond = ctx;

	return engine_board(cadmond->engine, emit, emit_ctx);
}

static bool cadmond_system_alert_open(void *ctx, const char *system, const char *key)
{
	return engine_system_alert_open(((struct cadmond *)ctx)->engine, system, key);
}

static bool cadmond_holds_clock(void *ctx, const char *source)
{
	return engine_holds_clock(((struct cadmond *)ctx)->engine, source);
}

/* The running configuration's sources: (a reload swaps it before the health settings). */
static bool cadmond_lists_source(void *ctx, const char *source)
{
	return config_lists_source(&((struct cadmond *)ctx)->config, source);
}

static void cadmond_heard(void *ctx, const char *source, const char *peer)
{
	struct cadmond *cadmond = ctx;

	health_heard(cadmond->health, source, peer, hostclock_monotonic_ms());
}

static void cadmond_admitted(void *ctx, const char *source, const char *peer)
{
	struct cadmond *cadmond = ctx;

	health_admitted(cadmond->health, source, peer, hostclock_monotonic_ms());
}

/* Once a second: health checks, and how late this timer ran (the event loop's lag). */
/* A release build counts a broken invariant of lib/ and goes on (the input refused): logged
 * here, at most once a second, with the latest one's place. */
static void cadmond_log_invariants(struct cadmond *cadmond)
{
	uint64_t failures = invariant_failures();

	if (failures == cadmond->invariants_logged)
		return;
	log_msg(LOG_ERR,
		"invariant failed %" PRIu64 " times (%" PRIu64
		" in all), latest %s; the input was refused",
		failures - cadmond->invariants_logged, failures, invariant_last());
	cadmond->invariants_logged = failures;
}

/* The limits watched here rather than in guard or nats: receivers' queues, the i3 call table,
 * the feed's line length. */
static void cadmond_tick_limits(struct cadmond *cadmond, int64_t now_ms)
{
	const struct limitwatch_hooks hooks = { .control = cadmond_control,
						.is_open = cadmond_system_alert_open,
						.ctx = cadmond };
	/* resolved by time without a hit (the engine's rule): a limit hit more slowly than
	 * log.rate_limit_seconds keeps its one alert open, and one hit again within it too */
	uint32_t quiet_seconds = config_limit_quiet_seconds(&cadmond->config);

	receivers_tick(cadmond->receivers, now_ms, quiet_seconds);
	i3_server_tick(cadmond->i3, now_ms, quiet_seconds, &hooks);
	feed_server_tick(cadmond->feeds, now_ms, quiet_seconds, &hooks);
}

/* Is a receiver of that name (len bytes) configured? */
static bool has_receiver(const struct config *config, const char *name, size_t len)
{
	for (size_t i = 0; i < config->receiver_count; i++)
		if (strlen(config->receivers[i].name) == len &&
		    memcmp(config->receivers[i].name, name, len) == 0)
			return true;
	return false;
}

/* Why nothing watches the daemon's limit of key any more ("" when something does). */
static const char *unwatched_limit_why(const struct config *config, const char *key)
{
	const char *end;

	if (strncmp(key, "receivers[", 10) == 0 && (end = strchr(key, ']')))
		return has_receiver(config, key + 10, (size_t)(end - key - 10))
			       ? ""
			       : "that receiver is no longer configured";
	if (strcmp(key, I3_CALLS_KEY) == 0 && !config->i3.enabled)
		return "i3 is off (i3.enabled)";
	if (strcmp(key, NATS_QUEUE_KEY) == 0 && !config->nats.enabled)
		return "NATS is off (nats.enabled)";
	return "";
}

static bool limit_watched(const char *key, void *ctx)
{
	return !unwatched_limit_why(ctx, key)[0];
}

static bool receiver_configured(const char *key, void *ctx)
{
	return has_receiver(ctx, key, strlen(key));
}

/* The control line resolving an unwatched alert of system and key, with the reason. */
static struct control unwatched_resolve(const struct config *config, const char *system,
					const char *key)
{
	struct control control = {.kind = CONTROL_CONNECTION_LIMIT};

	if (strcmp(system, "receiver_down") == 0) {
		control.kind = CONTROL_RECEIVER_DOWN;
		text_copy(control.receiver, key, sizeof(control.receiver));
		text_copy(control.reason, "it is no longer configured", sizeof(control.reason));
	} else {
		text_copy(control.key, key, sizeof(control.key));
		text_copy(control.reason, unwatched_limit_why(config, key), sizeof(control.reason));
	}
	return control;
}

/* Every open alert of system whose key known() does not know: resolved through the journal
 * (one a control line cannot name, a key longer than a control's, stops it: never ours). */
static void cadmond_resolve_unknown(struct cadmond *cadmond, const char *system,
				    bool (*known)(const char *key, void *ctx))
{
	const struct config *config = &cadmond->config;
	char key[128]; /* a system alert's whole key */
	const char *found;

	while ((found = engine_unknown_system_alert(cadmond->engine, system, known,
						    (void *)config))) {
		text_copy(key, found, sizeof(key));
		struct control control = unwatched_resolve(config, system, key);
		cadmond_control(cadmond, &control);
		if (engine_system_alert_open(cadmond->engine, system, key))
			break;
	}
}

/* At start: the receiver_down and limit alerts a previous run left open for a part this run
 * does not have (a receiver taken out, i3 or NATS turned off) would never resolve; they are
 * resolved now, through the journal, saying why. */
static void cadmond_retire_unwatched(struct cadmond *cadmond)
{
	cadmond_resolve_unknown(cadmond, "receiver_down", receiver_configured);
	cadmond_resolve_unknown(cadmond, "limit", limit_watched);
}

static void cadmond_on_health_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct cadmond *cadmond = ctx;
	const char *reason = NULL;
	bool degraded = store_degraded(cadmond->store, &reason);
	int64_t now_us = hostclock_monotonic_us();

	(void)fd;
	(void)what;
	cadmond_release_log(cadmond); /* an alert's delivery late (a slow fsync): its lines now */
	if (cadmond->health_due_us)
		cadmond->loop_lag_us =
			now_us > cadmond->health_due_us ? now_us - cadmond->health_due_us : 0;
	cadmond->health_due_us = now_us + 1000000;
	health_tick(cadmond->health, hostclock_monotonic_ms(), degraded, reason,
		    engine_stats(cadmond->engine));
	guard_tick(cadmond->guard, hostclock_monotonic_ms());
	nats_tick(cadmond->nats, hostclock_monotonic_ms());
	cadmond_tick_limits(cadmond, hostclock_monotonic_ms());
	cadmond_log_invariants(cadmond);
}

/* The journal's hooks: durable alerts to subscribers, acknowledgements to feeds, and feed
 * lines into the journal. */
static void cadmond_deliver_alert(void *ctx, uint64_t seq, const char *json, size_t len)
{
	struct cadmond *cadmond = ctx;

	if (cadmond->subscribers)
		subscribers_broadcast(cadmond->subscribers, seq, json, len);
	if (cadmond->streams)
		streams_broadcast(cadmond->streams, seq, json, len);
	if (cadmond->receivers)
		receivers_deliver(cadmond->receivers, json, len);
	if (cadmond->nats)
		nats_publish_alert(cadmond->nats, json, len);
	if (cadmond->alert_log_seq != 0 && seq >= cadmond->alert_log_seq)
		cadmond_release_log(cadmond);
}

/* A board line at start: the Alertmanager receivers learn what is open already. */
static void cadmond_seed_receiver(const char *line, size_t len, void *ctx)
{
	receivers_seed(ctx, line, len);
}

static void cadmond_acknowledge(void *ctx, uint64_t durable_index)
{
	struct cadmond *cadmond = ctx;

	if (cadmond->feeds)
		feed_server_acknowledge(cadmond->feeds, durable_index);
	if (cadmond->i3)
		i3_server_acknowledge(cadmond->i3, durable_index);
	if (cadmond->nats)
		nats_acknowledge(cadmond->nats, durable_index);
}

static uint64_t cadmond_journal_line(void *ctx, const struct engine_origin *origin,
				     const char *line, size_t len)
{
	return store_append_line(((struct cadmond *)ctx)->store, origin, line, len);
}

/* store_hooks.rotation_begins: the rotating iteration is timed from here (run_loop). */
static void cadmond_rotation_begins(void *ctx)
{
	struct cadmond *cadmond = ctx;

	loop_sample(&cadmond->rotation_start);
	cadmond->rotation_started = true;
}

/* The feeds' read_less: near a rotation or while its snapshot's child runs. */
static bool cadmond_read_less(void *ctx)
{
	return store_read_less(((struct cadmond *)ctx)->store);
}

static void cadmond_journal_reject(void *ctx, enum event_reject reason)
{
	store_append_reject(((struct cadmond *)ctx)->store, reason);
}

/* A NATS message over feed.max_line_bytes: the feed's limit alert of that key counts it. */
static void cadmond_line_too_long(void *ctx, const char *source)
{
	struct cadmond *cadmond = ctx;

	if (cadmond->feeds)
		feed_server_line_too_long(cadmond->feeds, source);
}

/* NATS messages under the feeds' time budget while a snapshot is written (feed.h). */
static bool cadmond_budget_spent(void *ctx, unsigned *unchecked_lines)
{
	struct cadmond *cadmond = ctx;

	return cadmond->feeds && feed_server_budget_spent(cadmond->feeds, unchecked_lines);
}

/* Sockets from systemd get the rule of listen addresses: loopback unless protected. */
static int check_sockets(const struct config *config, size_t tokens, const int *fds,
			 size_t count, const char *key, const char *name, char *why,
			 size_t why_size)
{
	for (size_t i = 0; i < count; i++)
		if (auth_check_socket(config, tokens, fds[i], key, name, why, why_size) < 0)
			return -1;
	return 0;
}

static int cadmond_check_activation(const struct cadmond *cadmond,
				    const struct activation *activation, char *why, size_t why_size)
{
	const struct config *config = &cadmond->config;
	size_t tokens = auth_stats(cadmond->auth)->tokens;

	if (check_sockets(config, tokens, activation->feed_fds, activation->feed_count,
			  "feed.listen", ACTIVATION_FEED_NAME, why, why_size) < 0 ||
	    check_sockets(config, tokens, activation->alert_fds, activation->alert_count,
			  "alerts.listen", ACTIVATION_ALERTS_NAME, why, why_size) < 0)
		return -1;
	return 0;
}

/* A reload keeps systemd's sockets, so next must still protect those beyond loopback: without
 * this, a reload that left no token (or turned require_client_certificate off) opened them. */
static int check_inherited(const struct listener *listener, const struct config *next,
			   size_t tokens, const char *key, const char *name, char *why,
			   size_t why_size)
{
	int fds[CONFIG_MAX_LISTEN];

	if (!listener || !listener_is_inherited(listener))
		return 0;
	return check_sockets(next, tokens, fds, listener_fds(listener, fds, CONFIG_MAX_LISTEN),
			     key, name, why, why_size);
}

static int cadmond_check_inherited(const struct cadmond *cadmond, const struct config *next,
				   size_t tokens, char *why, size_t why_size)
{
	if (check_inherited(cadmond->feed_listener, next, tokens, "feed.listen",
			    ACTIVATION_FEED_NAME, why, why_size) < 0 ||
	    check_inherited(cadmond->alert_listener, next, tokens, "alerts.listen",
			    ACTIVATION_ALERTS_NAME, why, why_size) < 0)
		return -1;
	return 0;
}

/* Listeners a reload switches to; NULL where the addresses stay as they are. */
struct cadmond_rebind {
	struct listener *feeds;
	struct listener *alerts;
};

/* Bind one role's changed addresses into *rebound (NULL when unchanged, or when systemd owns
 * the sockets). 0, or -1 with the reason in why. */
static int cadmond_rebind_role(struct listener *running, const struct config_listen *before,
			       const struct config_listen *after, const char *key,
			       struct listener **rebound, char *why, size_t why_size)
{
	*rebound = NULL;
	if (!reload_listen_changed(before, after))
		return 0;
	if (listener_is_inherited(running)) {
		log_msg(LOG_WARNING, "%s changed, but its sockets come from systemd: not rebound "
				     "(change the .socket unit instead)", key);
		return 0;
	}
	*rebound = listener_rebind(running, after, why, why_size);
	return *rebound ? 0 : -1;
}

static void cadmond_rebind_free(struct cadmond_rebind *rebind)
{
	listener_free(rebind->feeds);
	listener_free(rebind->alerts);
}

/* Bind every changed listen address of next, or none: -1 with the reason in why. */
static int cadmond_rebind_open(struct cadmond *cadmond, const struct config *next,
			       struct cadmond_rebind *rebind, char *why, size_t why_size)
{
	const struct config *active = &cadmond->config;

	memset(rebind, 0, sizeof *rebind);
	if (cadmond_rebind_role(cadmond->feed_listener, &active->feed.listen, &next->feed.listen,
				"feed.listen", &rebind->feeds, why, why_size) < 0 ||
	    cadmond_rebind_role(cadmond->alert_listener, &active->alerts.listen,
				&next->alerts.listen, "alerts.listen", &rebind->alerts, why,
				why_size) < 0) {
		cadmond_rebind_free(rebind);
		return -1;
	}
	return 0;
}

/* Use the rebound listener from now on; the old one closes, its connections stay open. */
static void cadmond_swap_listener(struct listener **running, struct listener *rebound)
{
	if (!rebound)
		return;
	listener_log_moved(*running, rebound);
	listener_free(*running);
	*running = rebound;
}

/* After a failed engine_reconfigure() (out of memory), put the running settings back. */
static void cadmond_restore_engine(struct cadmond *cadmond)
{
	if (engine_reconfigure(cadmond->engine, &cadmond->config) < 0)
		log_msg(LOG_ERR, "out of memory restoring the tracker and detector settings: some "
				 "may be those of the rejected configuration");
}

/*
 * Apply a valid configuration as a whole or not at all. First every changed listen address
 * is bound (an address kept shares its running socket), then the engine takes the tracker
 * and detector settings keeping its windows, open calls and open alerts; only when both
 * succeeded are the listeners switched and the limits applied (to open connections too).
 * Returns how many settings changed, or -1 with the reason in why and nothing changed.
 */
static int cadmond_apply_reload(struct cadmond *cadmond, const struct config *next,
				const struct auth_tokens *tokens, char *why, size_t why_size)
{
	struct cadmond_rebind rebind;
	struct feed_limits feed_limits = feed_limits_of(next);
	struct subscribers_limits subscribers_limits = subscribers_limits_of(next);
	struct health_settings health_settings = health_settings_of(next);
	struct http_settings http_settings = http_settings_of(next);
	struct streams_limits streams_limits = streams_limits_of(next);
	const struct config_mapping *feed_mapping;
	struct zone *feed_zone;
	size_t changes;

	struct tls_context *tls_context = NULL;

	if (cadmond_check_inherited(cadmond, next, tokens->count, why, why_size) < 0 ||
	    feed_mapping_of(next, &feed_mapping, &feed_zone, why, why_size) < 0)
		return -1;
	free(feed_zone); /* loaded to be sure it can be; loaded again once the reload is sure */
	if (cadmond->tls && !(tls_context = tls_context_new(next, why, why_size)))
		return -1;
	if (cadmond_rebind_open(cadmond, next, &rebind, why, why_size) < 0) {
		tls_context_free(tls_context);
		return -1;
	}
	if (mapped_feeds_prepare(cadmond->mapped_feeds, next, why, why_size) < 0) {
		cadmond_rebind_free(&rebind);
		tls_context_free(tls_context);
		return -1;
	}
	if (reload_listen_changed(&cadmond->config.http.listen, &next->http.listen) &&
	    http_server_rebind(cadmond->http, &next->http.listen, why, why_size) < 0) {
		cadmond_rebind_free(&rebind);
		mapped_feeds_abort(cadmond->mapped_feeds);
		tls_context_free(tls_context);
		return -1;
	}
	if (engine_reconfigure(cadmond->engine, next) < 0) {
		cadmond_rebind_free(&rebind);
		mapped_feeds_abort(cadmond->mapped_feeds);
		tls_context_free(tls_context);
		http_server_rebind_abort(cadmond->http);
		cadmond_restore_engine(cadmond);
		snprintf(why, why_size, "out of memory applying the tracker and detector settings");
		return -1;
	}
	int token_changes = auth_update(cadmond->auth, next, tokens, why, why_size);

	if (token_changes < 0) {
		cadmond_rebind_free(&rebind);
		mapped_feeds_abort(cadmond->mapped_feeds);
		tls_context_free(tls_context);
		http_server_rebind_abort(cadmond->http);
		cadmond_restore_engine(cadmond);
		return -1;
	}
	changes = reload_log_changes(&cadmond->config, next) + (size_t)token_changes;
	cadmond_swap_listener(&cadmond->feed_listener, rebind.feeds);
	cadmond_swap_listener(&cadmond->alert_listener, rebind.alerts);
	mapped_feeds_commit(cadmond->mapped_feeds);
	cadmond->config = *next; /* health_update's sources: from here on */
	nats_update(cadmond->nats, next);
	if (cadmond->tls) {
		log_msg(LOG_NOTICE, "reload: tls: new connections use the files loaded now; open "
				    "ones keep theirs");
		tls_server_swap(cadmond->tls, tls_context, next);
		tls_server_set_log_interval(cadmond->tls, next->log.rate_limit_seconds);
	}
	feed_server_update_limits(cadmond->feeds, &feed_limits);
	if (feed_mapping_of(next, &feed_mapping, &feed_zone, why, why_size) < 0)
		log_msg(LOG_ERR, "reload: %s; new feed connections read as before", why);
	else if (cadmond_set_feed_mapping(cadmond, feed_mapping, feed_zone) < 0)
		log_msg(LOG_ERR,
			"reload: feed.mapping: out of memory; new feed connections read as before");
	free(feed_zone);
	subscribers_update_limits(cadmond->subscribers, &subscribers_limits);
	streams_update_limits(cadmond->streams, &streams_limits);
	http_server_rebind_commit(cadmond->http);
	http_server_update(cadmond->http, &http_settings);
	guard_update(cadmond->guard, next->log.rate_limit_seconds,
		     config_limit_quiet_seconds(next));
	if (health_update(cadmond->health, &health_settings) < 0)
		log_msg(LOG_ERR,
			"out of memory applying feed.max_sources to the feed silence watch");
	return changes > INT32_MAX ? INT32_MAX : (int)changes;
}

/* SIGHUP: re-read the file; keep the running configuration unless the new one is valid and
 * can be applied as a whole. */
static void cadmond_reload(struct cadmond *cadmond)
{
	struct config next;
	struct auth_tokens tokens;
	struct config_errors errors;
	char why[1024];
	int changes;

	if (!cadmond->config_path) {
		log_msg(LOG_NOTICE, "SIGHUP: running on built-in defaults, no file to re-read");
		return;
	}
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRId64, hostclock_monotonic_us());
	int loaded = load_config(cadmond->config_path, true, &next, &tokens, &errors);

	if (loaded == 0)
		reload_keep_restart_keys(&cadmond->config, &next); /* next has the running ones */
	if (loaded < 0) {
		cadmond_log_config_errors(&errors);
		size_t count = errors.count + errors.dropped;

		log_msg(LOG_ERR, "configuration not reloaded: %zu %s; keeping the running one",
			count, count == 1 ? "error" : "errors");
	} else if ((changes = cadmond_apply_reload(cadmond, &next, &tokens, why, sizeof why)) < 0) {
		log_msg(LOG_ERR, "configuration not reloaded: %s; keeping the running one", why);
	} else {
		log_msg(LOG_NOTICE, "configuration reloaded: %d %s", changes,
			changes == 1 ? "change" : "changes");
		store_reconfigure(cadmond->store, &cadmond->config);
		/* a token removed or replaced: the consoles let in with it are closed */
		subscribers_recheck_tokens(cadmond->subscribers);
	}
	auth_tokens_release(&tokens);
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
	log_msg(LOG_WARNING,
		"%" PRIu32 " subscribers did not take their alerts within %d s; closing",
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
	evtimer_del(cadmond->health_timer);
	evtimer_del(cadmond->clock_timer);
	listener_free(cadmond->feed_listener);
	mapped_feeds_free(cadmond->mapped_feeds);
	cadmond->mapped_feeds = NULL;
	listener_free(cadmond->alert_listener);
	streams_close_all(cadmond->streams);
	i3_server_close_all(cadmond->i3);
	http_server_free(cadmond->http);
	cadmond->feed_listener = NULL;
	cadmond->alert_listener = NULL;
	cadmond->http = NULL;
	feed_server_close_all(cadmond->feeds);
	nats_stop(
		/* no more fetches; what was taken is journaled and acknowledged below */
		cadmond->nats);
	store_finish(cadmond->store);
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
	cadmond->health_timer =
		event_new(cadmond->base, -1, EV_PERSIST, cadmond_on_health_timer, cadmond);
	cadmond->clock_timer =
		event_new(cadmond->base, -1, EV_PERSIST, cadmond_on_clock_timer, cadmond);
	if (!cadmond->status_timer || !cadmond->flush_timer || !cadmond->health_timer ||
	    !cadmond->clock_timer)
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

/* One role's listener: on the sockets systemd passed for it, if any (the listener takes them
 * over and *inherited_count becomes 0), else on the configured addresses. */
static struct listener *cadmond_listen(struct cadmond *cadmond, const int *inherited_fds,
				       size_t *inherited_count,
				       const struct config_listen *addresses, const char *role,
				       const char *key, listener_accept_fn on_accept, char *why,
				       size_t why_size)
{
	uint32_t log_interval = cadmond->config.log.rate_limit_seconds;
	size_t count = *inherited_count;

	if (count == 0)
		return listener_new(cadmond->base, addresses, role, log_interval, on_accept,
				    cadmond, why, why_size);
	*inherited_count = 0;
	log_msg(LOG_INFO, "%s not used: systemd passed %zu %s", key, count,
		count == 1 ? "socket" : "sockets");
	return listener_new_inherited(cadmond->base, inherited_fds, count, role, log_interval,
				      on_accept, cadmond, why, why_size);
}

/* Listen for feeds and subscribers: on sockets from systemd (socket activation) where it
 * passed some, on the configured addresses otherwise. */
static int cadmond_setup_listeners(struct cadmond *cadmond, char *why, size_t why_size)
{
	const struct config *config = &cadmond->config;
	const struct http_settings http_settings = http_settings_of(config);
	const struct http_view http_view = { .state = cadmond_http_state,
					     .acknowledge = cadmond_http_acknowledge,
					     .auth = cadmond->auth,
					     .streams = cadmond->streams,
					     .log_event = cadmond->i3 ? cadmond_log_event : NULL,
					     .ctx = cadmond };
	struct activation activation;

	if (activation_take(&activation, why, why_size) < 0)
		return -EBADF;
	if (cadmond_check_activation(cadmond, &activation, why, why_size) < 0) {
		activation_close(&activation);
		return -EADDRNOTAVAIL;
	}
	cadmond->feed_listener = cadmond_listen(
		cadmond, activation.feed_fds, &activation.feed_count, &config->feed.listen, "feeds",
		"feed.listen", cadmond_on_feed_accept, why, why_size);
	if (cadmond->feed_listener)
		cadmond->alert_listener = cadmond_listen(
			cadmond, activation.alert_fds, &activation.alert_count,
			&config->alerts.listen, "subscribers", "alerts.listen",
			cadmond_on_subscriber_accept, why, why_size);
	activation_close(&activation);
	if (!cadmond->feed_listener || !cadmond->alert_listener)
		return -EADDRNOTAVAIL;
	if (!(cadmond->mapped_feeds = mapped_feeds_new(cadmond->base, cadmond->feeds, config,
						       cadmond_read_file, why, why_size)))
		return -EADDRNOTAVAIL;
	if (!(cadmond->http = http_server_new(cadmond->base, &config->http.listen, &http_settings,
					      &http_view, why, why_size)))
		return -EADDRNOTAVAIL;
	if (config->http.tls)
		http_server_set_tls(cadmond->http, cadmond->tls);
	http_server_set_guard(cadmond->http, cadmond->guard);
	streams_set_http_server(cadmond->streams, cadmond->http);
	feed_server_log_settings(cadmond->feeds);
	return 0;
}

/* With a TLS listener: the key's mode checked and every file loaded, or start refused. */
static int cadmond_setup_tls(struct cadmond *cadmond, char *why, size_t why_size)
{
	struct tls_context *context;

	if (!tls_wanted(&cadmond->config))
		return 0;
	if (!(context = tls_context_new(&cadmond->config, why, why_size)))
		return -1;
	if (!(cadmond->tls = tls_server_new(context, &cadmond->config))) {
		snprintf(why, why_size, "cannot start: out of memory");
		return -1;
	}
	return 0;
}

static void cadmond_journal_control(void *ctx, const struct control *control)
{
	cadmond_control(ctx, control);
}

/* nats.enabled: connect, consume the events stream, publish alerts (docs/scale-out.md). A
 * cluster that cannot be reached at start refuses the start, as a listen address would. */
static int cadmond_setup_nats(struct cadmond *cadmond, char *why, size_t why_size)
{
	const struct config_mapping *mapping =
		cadmond->config.nats.mapping[0]
			? mapping_find(&cadmond->config, cadmond->config.nats.mapping)
			: NULL;
	struct zone *zone = NULL;
	char problem[512];

	if (!cadmond->config.nats.enabled)
		return 0;
	if (mapping &&
	    zonefile_for_mapping(mapping, cadmond_read_file, &zone, problem, sizeof problem) < 0) {
		snprintf(why, why_size, "nats.mapping %s: %s", mapping->name, problem);
		return -1;
	}
	const struct nats_hooks hooks = { .append_line = cadmond_journal_line,
					  .append_reject = cadmond_journal_reject,
					  .line_too_long = cadmond_line_too_long,
					  .control = cadmond_journal_control,
					  .is_open = cadmond_system_alert_open,
					  .budget_spent = cadmond_budget_spent,
					  .ctx = cadmond,
					  .history = store_history(cadmond->store),
					  .mapping_zone = zone };
	cadmond->nats =
		nats_new(cadmond->base, cadmond->engine, &cadmond->config, &hooks, why, why_size);
	free(zone);
	return cadmond->nats ? 0 : -1;
}

/* The connection handlers first, the listeners last: nothing is accepted before it can be
 * served. */
static int cadmond_setup(struct cadmond *cadmond, const struct auth_tokens *tokens,
			 const char *config_path, char *why, size_t why_size)
{
	const struct config *config = &cadmond->config;
	struct feed_limits feed_limits = feed_limits_of(config);
	struct subscribers_limits subscribers_limits = subscribers_limits_of(config);
	const struct store_hooks hooks = { .deliver = cadmond_deliver_alert,
					   .acknowledge = cadmond_acknowledge,
					   .rotation_begins = cadmond_rotation_begins,
					   .ctx = cadmond };
	const struct feed_journal journal = { .append_line = cadmond_journal_line,
					      .append_reject = cadmond_journal_reject,
					      .heard = cadmond_heard,
					      .admitted = cadmond_admitted,
					      .read_less = cadmond_read_less,
					      .ctx = cadmond };
	const struct subscribers_console console = { .line = cadmond_console_line,
						     .board = cadmond_board,
						     .ctx = cadmond };
	struct health_settings health_settings = health_settings_of(config);
	struct streams_limits streams_limits = streams_limits_of(config);

	if ((config_path && !(cadmond->config_path = strdup(config_path))) ||
	    !(cadmond->base = event_base_new())) {
		snprintf(why, why_size, "cannot start: out of memory");
		return -ENOMEM;
	}
	if (cadmond_setup_tls(cadmond, why, why_size) < 0)
		return -EINVAL;
	if (!(cadmond->store = store_new(cadmond->base, config, &hooks, why, why_size)) ||
	    !(cadmond->engine = store_recover(cadmond->store, config, cadmond_on_alert, cadmond,
					      why, why_size)))
		return -EIO;
	cadmond_hold_recovered_sources(cadmond);
	if (!(cadmond->auth = auth_new(config, tokens, why, why_size)))
		return -EINVAL;
	const struct config_mapping *feed_mapping;
	struct zone *feed_zone;
	if (feed_mapping_of(config, &feed_mapping, &feed_zone, why, why_size) < 0)
		return -EINVAL;
	if (!(cadmond->feeds = feed_server_new(cadmond->base, cadmond->engine, &feed_limits)) ||
	    !(cadmond->subscribers = subscribers_new(cadmond->base, &subscribers_limits)) ||
	    !(cadmond->streams =
		      streams_new(cadmond->base, &streams_limits, store_history(cadmond->store),
				  cadmond_stream_board, cadmond)) ||
	    !(cadmond->health = health_new(&health_settings, cadmond_control,
					   cadmond_system_alert_open, cadmond_holds_clock,
					   cadmond_lists_source, cadmond)) ||
	    !(cadmond->guard =
		      guard_new(config->log.rate_limit_seconds, config_limit_quiet_seconds(config),
				cadmond_control, cadmond_system_alert_open, cadmond)) ||
	    cadmond_setup_events(cadmond) < 0 ||
	    cadmond_set_feed_mapping(cadmond, feed_mapping, feed_zone) < 0) {
		free(feed_zone);
		snprintf(why, why_size, "cannot start: out of memory");
		return -ENOMEM;
	}
	free(feed_zone);
	const struct receivers_hooks receivers_hooks = {.control = cadmond_control,
							.is_open = cadmond_system_alert_open,
							.ctx = cadmond};
	if (!(cadmond->receivers =
		      receivers_new(cadmond->base, config, &receivers_hooks, why, why_size)))
		return -EINVAL;
	engine_board(cadmond->engine, cadmond_seed_receiver, cadmond->receivers);
	feed_server_set_journal(cadmond->feeds, &journal);
	if (config->i3.enabled &&
	    !(cadmond->i3 = i3_server_new(cadmond->engine, config, &journal, why, why_size)))
		return -EINVAL;
	if (config->feed.tls)
		feed_server_set_tls(cadmond->feeds, cadmond->tls);
	if (config->alerts.tls)
		subscribers_set_tls(cadmond->subscribers, cadmond->tls);
	feed_server_set_guard(cadmond->feeds, cadmond->guard);
	subscribers_set_guard(cadmond->subscribers, cadmond->guard);
	subscribers_set_history(cadmond->subscribers, store_history(cadmond->store));
	subscribers_set_console(cadmond->subscribers, &console);
	subscribers_set_auth(cadmond->subscribers, cadmond->auth);
	cadmond_retire_unwatched(cadmond);
	int rc = cadmond_setup_listeners(cadmond, why, why_size);
	if (rc < 0)
		return rc;
	return cadmond_setup_nats(cadmond, why, why_size) < 0 ? -EINVAL
							      : 0; /* consumed once all listens */
}

struct cadmond *cadmond_new(const struct config *config, const struct auth_tokens *tokens,
			    const char *config_path, char *why, size_t why_size)
{
	struct cadmond *cadmond = calloc(1, sizeof *cadmond);

	if (!cadmond) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit makes write() fail with EFBIG: degraded */
	event_set_log_callback(cadmond_on_libevent_log);
	cadmond->config = *config;
	if (cadmond_setup(cadmond, tokens, config_path, why, why_size) < 0) {
		cadmond_free(cadmond);
		return NULL;
	}
	return cadmond;
}

static double loop_mean(int64_t total, const struct loop_worst *worst)
{
	return worst->iterations ? (double)total / (double)worst->iterations : 0.0;
}

#define LOOP_WORST_TEXT_MAX 512 /* a line is about 241 characters: room to spare */

/* "N (C ms of CPU and F page faults on average; the longest ... W ms: ...; the most CPU ...)" */
static void loop_worst_format(const struct loop_worst *worst, char *text, size_t size)
{
	snprintf(text, size,
		 "%" PRIu64
		 " (%.3f ms of CPU and %.0f page faults on average; the longest that did "
		 "not wait for events %.3f ms: %.3f ms of CPU, %ld page faults, preempted %ld "
		 "times, slept %ld times; the most CPU %.3f ms, wall %.3f ms, %ld page faults)",
		 worst->iterations, loop_mean(worst->cpu_us_total, worst) / 1000.0,
		 loop_mean((int64_t)worst->faults_total, worst), (double)worst->wall_us / 1000.0,
		 (double)worst->wall_cpu_us / 1000.0, worst->wall_faults, worst->wall_preempted,
		 worst->wall_slept, (double)worst->cpu_us / 1000.0,
		 (double)worst->cpu_wall_us / 1000.0, worst->cpu_faults);
}

static void cadmond_log_summary(struct cadmond *cadmond)
{
	const struct engine_stats *engine = engine_stats(cadmond->engine);
	const struct feed_server_stats *feeds = feed_server_stats(cadmond->feeds);
	const struct subscribers_stats *subscribers = subscribers_stats(cadmond->subscribers);
	char headline[ENGINE_COUNTERS_HEADLINE_MAX];

	engine_counters_format_headline(engine, headline, sizeof headline);
	log_msg(LOG_NOTICE,
		"stopped: %" PRIu64 " feeds (%" PRIu64 " refused, %" PRIu64
		" idle timeouts), %" PRIu64 " subscribers (%" PRIu64 " refused, %" PRIu64
		" too slow), %s",
		feeds->accepted, feeds->refused, feeds->idle_closed, subscribers->accepted,
		subscribers->refused, subscribers->dropped_slow, headline);
	log_sources_summary(cadmond->engine);
	char other[LOOP_WORST_TEXT_MAX], fork[LOOP_WORST_TEXT_MAX], after[LOOP_WORST_TEXT_MAX];

	loop_worst_format(&cadmond->loop_other, other, sizeof other);
	loop_worst_format(&cadmond->loop_fork, fork, sizeof fork);
	loop_worst_format(&cadmond->loop_snapshot, after, sizeof after);
	log_msg(LOG_INFO,
		"loop: iterations without a snapshot's child %s; rotating (forking one) %s; after "
		"the fork while the child wrote the snapshot %s; feed lines left for the next "
		"iteration (feed.snapshot_iteration_budget_us) in %" PRIu64 " iterations",
		other, fork, after, feeds->iterations_cut_short);
}

static void loop_sample(struct loop_sample *sample)
{
	struct timespec cpu;

	sample->wall_us = hostclock_monotonic_us();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	sample->cpu_us = (int64_t)cpu.tv_sec * 1000000 + cpu.tv_nsec / 1000;
	getrusage(RUSAGE_THREAD, &sample->usage);
}

/* An iteration that slept may hold a wait in epoll_wait: not a candidate for the longest,
 * unless whole (a rotation's, timed from its start, after the wait: its own fsyncs sleep). */
static void loop_account(struct loop_worst *worst, const struct loop_sample *before,
			 const struct loop_sample *after, bool whole)
{
	int64_t wall_us = after->wall_us - before->wall_us, cpu_us = after->cpu_us - before->cpu_us;
	long faults = after->usage.ru_minflt - before->usage.ru_minflt;

	worst->iterations++;
	worst->cpu_us_total += cpu_us;
	worst->faults_total += (uint64_t)faults;
	if ((whole || after->usage.ru_nvcsw == before->usage.ru_nvcsw) &&
	    wall_us > worst->wall_us) {
		worst->wall_us = wall_us;
		worst->wall_cpu_us = cpu_us;
		worst->wall_faults = faults;
		worst->wall_preempted = after->usage.ru_nivcsw - before->usage.ru_nivcsw;
		worst->wall_slept = after->usage.ru_nvcsw - before->usage.ru_nvcsw;
	}
	if (cpu_us > worst->cpu_us) {
		worst->cpu_us = cpu_us;
		worst->cpu_wall_us = wall_us;
		worst->cpu_faults = faults;
	}
}

/* event_base_dispatch, an iteration at a time (EVLOOP_ONCE), each timed (struct loop_worst):
 * one iteration's end is the next one's start (three system calls an iteration). */
static int run_loop(struct cadmond *cadmond)
{
	struct loop_sample before, after;
	int rc;

	loop_sample(&after);
	do {
		const struct store_stats *stats = store_stats(cadmond->store);
		uint64_t rotations = stats->rotations, forked = stats->snapshots_forked;
		bool snapshot = store_snapshot_running(cadmond->store);

		before = after;
		cadmond->rotation_started = false;
		feed_server_next_iteration(cadmond->feeds);
		rc = event_base_loop(cadmond->base, EVLOOP_ONCE);
		loop_sample(&after);
		/* the stop's iteration: its last commit, the child waited for */
		if (rc != 0 || event_base_got_exit(cadmond->base) ||
		    event_base_got_break(cadmond->base))
			return rc;
		if (stats->snapshots_forked != forked)
			loop_account(&cadmond->loop_fork,
				     cadmond->rotation_started ? &cadmond->rotation_start : &before,
				     &after, true);
		else if (stats->rotations != rotations)
			continue; /* the fork failed: the snapshot was written in the loop */
		else if (snapshot || store_snapshot_running(cadmond->store))
			loop_account(&cadmond->loop_snapshot, &before, &after, false);
		else
			loop_account(&cadmond->loop_other, &before, &after, false);
	} while (true);
}

int cadmond_run(struct cadmond *cadmond)
{
	int rc;

	store_log_start(cadmond->store);
	sd_notify(0, "READY=1");
	cadmond_notify_status(cadmond);
	evtimer_add(cadmond->status_timer, &cadmond->status_interval);
	evtimer_add(cadmond->health_timer, &(const struct timeval){ .tv_sec = 1 });
	evtimer_add(cadmond->clock_timer,
		    &(struct timeval){ .tv_usec = CADMOND_CLOCK_TICK_MS * 1000 });
	rc = run_loop(cadmond);
	if (rc < 0)
		log_msg(LOG_ERR, "event loop failed");
	cadmond_log_summary(cadmond);
	return rc < 0 ? CADMOND_EXIT_RUNTIME : CADMOND_EXIT_OK;
}

void cadmond_free(struct cadmond *cadmond)
{
	if (!cadmond)
		return;
	cadmond_release_log(cadmond);
	listener_free(cadmond->feed_listener);
	mapped_feeds_free(cadmond->mapped_feeds);
	listener_free(cadmond->alert_listener);
	streams_free(cadmond->streams); /* before the connections go */
	i3_server_free(cadmond->i3);
	http_server_free(cadmond->http);
	feed_server_free(cadmond->feeds);
	nats_free(cadmond->nats);
	subscribers_free(cadmond->subscribers);
	receivers_free(cadmond->receivers);
	auth_free(cadmond->auth);
	tls_server_free(cadmond->tls);
	for (size_t i = 0; i < CADMOND_SIGNAL_COUNT; i++)
		if (cadmond->signal_events[i])
			event_free(cadmond->signal_events[i]);
	if (cadmond->status_timer)
		event_free(cadmond->status_timer);
	if (cadmond->flush_timer)
		event_free(cadmond->flush_timer);
	if (cadmond->health_timer)
		event_free(cadmond->health_timer);
	health_free(cadmond->health);
	guard_free(cadmond->guard);
	if (cadmond->clock_timer)
		event_free(cadmond->clock_timer);
	engine_free(cadmond->engine);
	store_free(cadmond->store);
	if (cadmond->base)
		event_base_free(cadmond->base);
	free(cadmond->config_path);
	free(cadmond);
}
