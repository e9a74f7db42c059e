/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "metrics.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "array.h"
#include "auth.h"
#include "store.h"
#include "engine.h"
#include "engine_counters.h"
#include "feed.h"
#include "guard.h"
#include "health.h"
#include "i3_server.h"
#include "invariant.h"
#include "journal.h"
#include "receivers.h"
#include "streams.h"
#include "subscribers.h"
#include "nats.h"
#include "tls.h"

/* The HELP and TYPE lines of one family. */
static void family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP cadmon_%s %s\n# TYPE cadmon_%s %s\n", name, help, name,
			    type);
}

static void sample(struct evbuffer *out, const char *name, uint64_t value)
{
	evbuffer_add_printf(out, "cadmon_%s %" PRIu64 "\n", name, value);
}

static void single(struct evbuffer *out, const char *name, const char *type, const char *help,
		   uint64_t value)
{
	family(out, name, type, help);
	sample(out, name, value);
}

/* A label value with \, " and newline escaped, as the exposition format wants. */
static void label_value(struct evbuffer *out, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			evbuffer_add_printf(out, "\\%c", *value);
		else if (*value == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, value, 1);
	}
}

static void labelled(struct evbuffer *out, const char *name, const char *label, const char *value,
		     const char *number)
{
	evbuffer_add_printf(out, "cadmon_%s{%s=\"", name, label);
	label_value(out, value);
	evbuffer_add_printf(out, "\"} %s\n", number);
}

static void labelled_u64(struct evbuffer *out, const char *name, const char *label,
			 const char *value, uint64_t count)
{
	char number[24];

	snprintf(number, sizeof number, "%" PRIu64, count);
	labelled(out, name, label, value, number);
}

static void rejected_samples(struct evbuffer *out, const char *name,
			     const struct engine_stats *stats)
{
	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		labelled_u64(out, name, "reason", event_reject_name((enum event_reject)reason),
			     stats->rejects[reason]);
}

static void alerts_samples(struct evbuffer *out, const char *name,
			   const struct engine_stats *stats)
{
	static const char *const severities[CONFIG_SEVERITY_COUNT] = {"info", "warning",
								      "critical"};

	for (size_t k = 0; k < DETECTOR_NOTICE_KIND_COUNT; k++) {
		const char *kind = detector_notice_kind_name((enum detector_notice_kind)k);

		for (size_t level = 0; level < CONFIG_SEVERITY_COUNT; level++)
			evbuffer_add_printf(out,
					    "cadmon_%s{kind=\"%s\",severity=\"%s\"} %" PRIu64 "\n",
					    name, kind, severities[level],
					    stats->detector.by_severity[k][level]);
	}
}

static void open_alerts_sample(struct evbuffer *out, const char *name,
			       const struct engine_stats *stats)
{
	sample(out, name, stats->detector.open_alerts);
}

static void open_calls_sample(struct evbuffer *out, const char *name,
			      const struct engine_stats *stats)
{
	sample(out, name, stats->open_calls);
}

static void operators_sample(struct evbuffer *out, const char *name,
			     const struct engine_stats *stats)
{
	sample(out, name, stats->detector.operators);
}

static void evicted_samples(struct evbuffer *out, const char *name,
			    const struct engine_stats *stats)
{
	for (size_t i = 0; i < ENGINE_LIMIT_COUNT; i++)
		labelled_u64(out, name, "limit", engine_limit_key(i),
			     engine_limit_evicted(stats, i));
}

/* The samples of the engine's families that are not one counter of lib/engine_counters.c. */
static const struct {
	const char *metric;
	void (*write)(struct evbuffer *out, const char *name, const struct engine_stats *stats);
} engine_family_samples[] = {
	{ "rejected_lines_total", rejected_samples },
	{ "alerts_total", alerts_samples },
	{ "open_alerts", open_alerts_sample },
	{ "open_calls", open_calls_sample },
	{ "operators", operators_sample },
	{ "evicted_total", evicted_samples },
};

/* The engine's families in lib/engine_counters.c's order, with its names, types and HELP. */
static void write_engine(struct evbuffer *out, const struct engine_stats *stats)
{
	for (size_t i = 0; i < engine_counters_metrics_count; i++) {
		const struct engine_counter *counter = &engine_counters_metrics[i];

		family(out, counter->metric, counter->type, counter->help);
		if (counter->count > 0) {
			sample(out, counter->metric, engine_counters_value(stats, counter));
			continue;
		}
		for (size_t j = 0; j < ARRAY_SIZE(engine_family_samples); j++)
			if (strcmp(engine_family_samples[j].metric, counter->metric) == 0)
				engine_family_samples[j].write(out, counter->metric, stats);
	}
}

static void write_sources(struct evbuffer *out, struct engine *engine)
{
	struct engine_source_info info;
	char number[32];

	family(out, "source_lag_seconds", "gauge",
	       "How far each feed source's newest event is behind the newest source's.");
	for (size_t i = 0; i < engine_source_count(engine); i++) {
		engine_source_at(engine, i, &info);
		snprintf(number, sizeof number, "%" PRId64 ".%03" PRId64, info.lag_ms / 1000,
			 info.lag_ms % 1000);
		labelled(out, "source_lag_seconds", "source", info.clock.name, number);
	}
}

static void write_connections(struct evbuffer *out, const struct http_state *state)
{
	single(out, "feeds", "gauge", "Feed connections open now.",
	       state->feeds->accepted - state->feeds->closed);
	single(out, "feeds_refused_total", "counter",
	       "Feed connections refused, any slot limit (connections_refused_total has them by "
	       "reason).",
	       state->feeds->refused);
	single(out, "feed_iterations_cut_short_total", "counter",
	       "Loop iterations in which a feed connection (or NATS) left lines for the next one: "
	       "the line work reached feed.snapshot_iteration_budget_us while a snapshot was "
	       "written.",
	       state->feeds->iterations_cut_short);
	if (state->health) {
		single(out, "feed_sources_watched", "gauge",
		       "Feed sources watched for silence (feed_silent) now.",
		       state->health->sources);
		single(out, "feed_sources_forgotten_total", "counter",
		       "Feed sources no longer watched for silence: the watch list "
		       "(feed.max_sources) was full.",
		       state->health->sources_forgotten);
		single(out, "feed_sources_unwatched_total", "counter",
		       "Feed sources never watched for silence: the watch list (feed.max_sources) "
		       "was full of silent sources (or of listed ones, for an unlisted source).",
		       state->health->sources_unwatched);
	}
	single(out, "subscribers", "gauge", "Alert-port subscribers connected now.",
	       state->subscribers->connected);
	single(out, "subscribers_refused_total", "counter",
	       "Subscribers refused, any slot limit (connections_refused_total has them by "
	       "reason).",
	       state->subscribers->refused);
	single(out, "subscribers_dropped_total", "counter",
	       "Subscribers disconnected because their queue passed alerts.max_queue_bytes.",
	       state->subscribers->dropped_slow);
}

/* The receivers' counters, in the order of receiver_families. */
static uint64_t receiver_value(const struct receiver_stats *stats, size_t family_index)
{
	switch (family_index) {
	case 0: return stats->delivered;
	case 1: return stats->failed;
	case 2: return stats->retries;
	case 3: return stats->dropped;
	case 4: return stats->queued;
	default: return stats->down;
	}
}

/* One family per receiver counter, a sample per receiver (label receiver=NAME). */
static void write_receivers(struct evbuffer *out, struct receivers *receivers)
{
	static const struct {
		const char *name, *type, *help;
	} receiver_families[] = {
		{ "receiver_delivered_total", "counter", "Notices a receiver accepted (2xx)." },
		{ "receiver_failed_total", "counter",
		  "Delivery attempts that failed (no answer, timeout, not 2xx)." },
		{ "receiver_retries_total", "counter",
		  "Delivery attempts after a request's first." },
		{ "receiver_dropped_total", "counter",
		  "Requests given up: queue full or retries exhausted." },
		{ "receiver_queued", "gauge", "Requests waiting now, the one in flight included." },
		{ "receiver_down", "gauge",
		  "1 while the receiver's receiver_down system alert is open." },
	};
	size_t count = receivers ? receivers_count(receivers) : 0;

	for (size_t f = 0; count > 0 && f < sizeof receiver_families / sizeof receiver_families[0];
	     f++) {
		family(out, receiver_families[f].name, receiver_families[f].type,
		       receiver_families[f].help);
		for (size_t i = 0; i < count; i++) {
			const char *name = "";
			const struct receiver_stats *stats = receivers_stats(receivers, i, &name);
			labelled_u64(out, receiver_families[f].name, "receiver", name,
				     receiver_value(stats, f));
		}
	}
}

/* Refused TLS connections per TLS listener and reason (tls.h), all reasons listed. */
static void write_tls(struct evbuffer *out, const struct tls_server *tls)
{
	if (!tls)
		return;
	family(out, "tls_handshake_failures_total", "counter",
	       "TLS connections refused, by listener and reason: failed handshakes, and feeds "
	       "whose hello "
	       "does not match their client certificate (source_mismatch, no_hello).");
	for (int listener = 0; listener < TLS_LISTENER_COUNT; listener++) {
		if (!tls_server_serves(tls, (enum tls_listener)listener))
			continue;
		for (int failure = 0; failure < TLS_FAILURE_COUNT; failure++)
			evbuffer_add_printf(out,
					    "cadmon_tls_handshake_failures_total{listener=\"%s\","
					    "reason=\"%s\"} %" PRIu64 "\n",
					    tls_listener_name((enum tls_listener)listener),
					    tls_failure_name((enum tls_failure)failure),
					    tls_server_failures(tls, (enum tls_listener)listener,
								(enum tls_failure)failure));
	}
}

/* Seconds with microseconds, from a count of microseconds. */
static void write_seconds(struct evbuffer *out, const char *name, uint64_t us)
{
	evbuffer_add_printf(out, "cadmon_%s %" PRIu64 ".%06" PRIu64 "\n", name, us / 1000000,
			    us % 1000000);
}

static void write_journal(struct evbuffer *out, const struct http_state *state)
{
	single(out, "journal_commits_total", "counter", "Journal batches written.",
	       state->journal->commits);
	family(out, "journal_commit_seconds_total", "counter",
	       "Time the event loop spent writing the journal (its fsyncs run on the sync "
	       "thread).");
	write_seconds(out, "journal_commit_seconds_total", state->journal->commit_us_total);
	family(out, "journal_commit_seconds_max", "gauge",
	       "The longest journal commit since start.");
	write_seconds(out, "journal_commit_seconds_max", state->journal->commit_us_max);
	single(out, "journal_bytes_written_total", "counter",
	       "Bytes written to the journal's segments.", state->journal_files->bytes_written);
	single(out, "journal_syncs_total", "counter", "fsyncs of the journal.",
	       state->journal_files->syncs);
	single(out, "journal_segments_created_total", "counter", "Journal segments started.",
	       state->journal_files->segments_created);
	single(out, "journal_degraded", "gauge", "1 while the journal cannot be written.",
	       state->journal_degraded);
	single(out, "state_incomplete", "gauge",
	       "1 while the state_incomplete system alert is open: a recovery rebuilt the state "
	       "without some history, and the rule windows have not refilled yet.",
	       engine_system_alert_open(state->engine, "state_incomplete", ""));
	single(out, "journal_lines_not_journaled_total", "counter",
	       "Lines processed while the journal was degraded.",
	       state->journal->lines_not_journaled);
	single(out, "journal_unsynced_bound_waits_total", "counter",
	       "Commits past 8 MiB written and not fsynced: the event loop waited for the disk.",
	       state->journal->unsynced_bound_waits);
	single(out, "journal_alerts_not_journaled_total", "counter",
	       "Alerts delivered while the journal was degraded and given up by its backlog's "
	       "bound: not in the alert history after a restart.",
	       state->journal->alerts_not_journaled);
	single(out, "journal_alerts_synced_in_loop_total", "counter",
	       "Alerts with no memory to hold them for their fsync: the event loop synced the "
	       "journal for them.",
	       state->journal->alerts_synced_in_loop);
}

/* One sample of a family labelled by port and reason. */
static void port_reason(struct evbuffer *out, const char *name, const char *port,
			const char *reason, uint64_t count)
{
	evbuffer_add_printf(out, "cadmon_%s{port=\"%s\",reason=\"%s\"} %" PRIu64 "\n", name, port,
			    reason, count);
}

/* The connection slots (guard.h): who is pending, who was refused or closed, and why. */
static void write_slots(struct evbuffer *out, const struct http_state *state,
			const struct http_stats *http)
{
	const struct guard_stats *guard = state->guard;

	family(out, "connections_pending", "gauge",
	       "Connections that have not proved they are clients yet.");
	labelled_u64(out, "connections_pending", "port", "feed", state->feeds->pending);
	labelled_u64(out, "connections_pending", "port", "alerts", state->subscribers->pending);
	single(out, "http_connections", "gauge", "HTTP connections open now.", http->connections);
	if (!guard)
		return;
	family(out, "connections_refused_total", "counter",
	       "Connections closed at once by a slot limit, by port and reason (full, "
	       "pending_full, per_address).");
	for (int port = 0; port < GUARD_PORT_COUNT; port++)
		for (int reason = 0; reason < GUARD_REFUSAL_COUNT; reason++)
			if (guard_refusal_key((enum guard_port)port, (enum guard_refusal)reason)[0])
				port_reason(out, "connections_refused_total",
					    guard_port_name((enum guard_port)port),
					    guard_refusal_name((enum guard_refusal)reason),
					    guard->refused[port][reason]);
	family(out, "connections_closed_total", "counter",
	       "Connections closed by a deadline, by port and reason (handshake, line_timeout, "
	       "idle; http: request_timeout).");
	for (int port = 0; port < GUARD_PORT_HTTP; port++)
		for (int expiry = 0; expiry < GUARD_EXPIRY_COUNT; expiry++)
			if (port == GUARD_PORT_FEED || expiry != GUARD_EXPIRED_IDLE)
				port_reason(out, "connections_closed_total",
					    guard_port_name((enum guard_port)port),
					    guard_expiry_name((enum guard_expiry)expiry),
					    guard->expired[port][expiry]);
	port_reason(out, "connections_closed_total", "http", "request_timeout", http->timed_out);
}

/* cadmon_auth_failures_total{port,reason}, cadmon_auth_refused_total{port}. */
static void write_auth(struct evbuffer *out, const struct auth_stats *auth)
{
	family(out, "auth_failures_total", "counter",
	       "Failed authentications, by port and reason (missing, invalid, timeout, role, "
	       "revoked).");
	for (int port = 0; port < AUTH_PORT_COUNT; port++)
		for (int reason = 0; reason < AUTH_FAILURE_COUNT; reason++)
			evbuffer_add_printf(
				out,
				"cadmon_auth_failures_total{port=\"%s\",reason=\"%s\"} %" PRIu64
				"\n",
				auth_port_name((enum auth_port)port),
				auth_failure_name((enum auth_failure)reason),
				auth->failures[port][reason]);
	family(out, "auth_refused_total", "counter",
	       "Attempts refused because their address failed too often "
	       "(auth.max_failures_per_minute).");
	for (int port = 0; port < AUTH_PORT_COUNT; port++)
		labelled_u64(out, "auth_refused_total", "port",
			     auth_port_name((enum auth_port)port), auth->refused[port]);
	single(out, "auth_addresses_forgotten_total", "counter",
	       "Addresses whose failures were forgotten: auth.max_tracked_addresses was full.",
	       auth->addresses_forgotten);
	single(out, "auth_tokens", "gauge", "Bearer tokens configured (0: auth is off).",
	       auth->tokens);
}

/* GET /api/stream's streams (none counted when the daemon serves none). */
static void write_streams(struct evbuffer *out, const struct streams_stats *streams)
{
	static const struct streams_stats none;

	if (!streams)
		streams = &none;
	single(out, "http_streams", "gauge", "GET /api/stream streams open now.",
	       streams->connected);
	single(out, "http_streams_opened_total", "counter", "GET /api/stream streams started.",
	       streams->opened);
	single(out, "http_streams_refused_total", "counter", "Streams refused: http.max_streams.",
	       streams->refused);
	single(out, "http_streams_dropped_total", "counter",
	       "Streams closed because their queue passed http.max_stream_queue_bytes.",
	       streams->dropped_slow);
}

/* Records of mapped feed connections rejected, by reason (every reason listed), and skipped. */
static void write_mapped_records(struct evbuffer *out, const struct feed_server_stats *feeds)
{
	family(out, "mapped_records_rejected_total", "counter",
	       "Records of mapped feed connections (feed.mapping, mappings[].listen) rejected, by "
	       "reason (docs/mappings.md).");
	for (int reason = MAPPING_REJECT_FIRST; reason < MAPPING_STATUS_COUNT; reason++)
		labelled_u64(out, "mapped_records_rejected_total", "reason",
			     mapping_status_name((enum mapping_status)reason),
			     feeds ? feeds->records_rejected[reason] : 0);
	single(out, "mapped_records_skipped_total", "counter",
	       "Records of mapped feed connections skipped as unanswered calls (a part of "
	       "mappings[].skip_when_empty empty).",
	       feeds ? feeds->records_skipped : 0);
}

/* POST /LogEvents (i3_server.h): written only when i3.enabled. */
static void write_i3(struct evbuffer *out, const struct i3_server_stats *i3)
{
	family(out, "i3_log_events_total", "counter",
	       "NENA i3 log events POSTed to /LogEvents, by result (accepted, ignored, or why "
	       "refused).");
	for (int result = 0; result < I3_RESULT_COUNT; result++)
		labelled_u64(out, "i3_log_events_total", "result",
			     i3_result_name((enum i3_result)result), i3->results[result]);
	single(out, "i3_unverified_log_events_total", "counter",
	       "i3 log events taken without a verified signature (i3.require_signature: false).",
	       i3->unverified);
	single(out, "i3_lines_total", "counter", "Protocol v1 lines made from i3 log events.",
	       i3->lines);
	single(out, "i3_calls", "gauge",
	       "Calls remembered between their i3 log events (i3.max_calls).", i3->calls);
	single(out, "i3_calls_evicted_total", "counter",
	       "Calls forgotten because i3.max_calls were remembered.", i3->calls_evicted);
	single(out, "i3_agent_states_unmapped_total", "counter",
	       "AgentStateChangeLogEvents that made no operator_state line (no agencyAgentId, or "
	       "no agent state cadmon maps).",
	       i3->agent_states_unmapped);
	single(out, "i3_outgoing_calls_total", "counter",
	       "Calls the i3 element placed (direction outgoing, e.g. callbacks): no line made.",
	       i3->outgoing_calls);
	single(out, "i3_ids_shortened_total", "counter",
	       "callIds, incidentIds and transfer targets over 64 bytes shortened (prefix~digest).",
	       i3->ids_shortened);
	single(out, "i3_other_element_events_total", "counter",
	       "SIP BYEs and CallEndLogEvents of an answered call logged by another element than "
	       "the one that answered it: ignored.",
	       i3->other_element_events);
	single(out, "i3_pending_requests", "gauge",
	       "i3 log events waiting for their lines to be durable (i3.max_pending_requests).",
	       i3->pending);
}

/* NATS JetStream (nats.h): only when nats.enabled. */
static void write_nats(struct evbuffer *out, const struct nats_stats *nats)
{
	if (!nats)
		return;
	single(out, "nats_connected", "gauge", "1 while cadmond is connected to the NATS cluster.",
	       nats->connected);
	single(out, "nats_disconnects_total", "counter", "Times the NATS connection was lost.",
	       nats->disconnects);
	single(out, "nats_reconnects_total", "counter", "Times the NATS connection came back.",
	       nats->reconnects);
	single(out, "nats_messages_total", "counter",
	       "Event messages taken from the JetStream consumers.", nats->received);
	single(out, "nats_redelivered_total", "counter",
	       "Of those, messages JetStream delivered more than once.", nats->redelivered);
	single(out, "nats_acknowledged_total", "counter",
	       "Event messages acknowledged once their line was durable.", nats->acknowledged);
	single(out, "nats_unnamed_total", "counter",
	       "Event messages without a Cadmon-Source header.", nats->unnamed);
	single(out, "nats_too_long_total", "counter",
	       "Event messages over feed.max_line_bytes, rejected.", nats->too_long);
	single(out, "nats_skipped_total", "counter",
	       "Event messages of subjects no nats.subjects filter matches.", nats->skipped);
	single(out, "nats_records_rejected_total", "counter",
	       "Event messages whose record nats.mapping rejected (logged).",
	       nats->records_rejected);
	single(out, "nats_rewinds_total", "counter",
	       "Times the consumer was set to deliver again from its ack floor after deliveries "
	       "were lost on the way.",
	       nats->rewinds);
	single(out, "nats_fetch_errors_total", "counter",
	       "Pull requests that failed other than by timeout.", nats->fetch_errors);
	single(out, "nats_in_flight", "gauge",
	       "Event messages taken and not yet acknowledged (at most nats.max_in_flight).",
	       nats->in_flight);
	single(out, "nats_alerts_published_total", "counter",
	       "Notices the alerts stream acknowledged.", nats->alerts_published);
	single(out, "nats_alerts_duplicate_total", "counter",
	       "Of those, notices the stream already had (Nats-Msg-Id).", nats->alerts_duplicates);
	single(out, "nats_alerts_dropped_total", "counter",
	       "Notices not queued for the alerts stream: nats.max_alert_queue full.",
	       nats->alerts_dropped);
	single(out, "nats_alerts_failures_total", "counter",
	       "Publish attempts to the alerts stream that failed (retried).",
	       nats->alerts_failures);
	single(out, "nats_alert_queue", "gauge", "Notices waiting for the alerts stream.",
	       nats->alert_queue);
}

void metrics_write(struct evbuffer *out, const struct http_state *state,
		   const struct http_stats *http)
{
	const struct engine_stats *stats = engine_stats(state->engine);

	write_engine(out, stats);
	write_sources(out, state->engine);
	write_connections(out, state);
	write_journal(out, state);
	write_receivers(out, state->receivers);
	if (state->auth)
		write_auth(out, state->auth);
	write_tls(out, state->tls);
	single(out, "invariant_failures_total", "counter",
	       "Broken invariants of the engine counted by a release build (the input refused; "
	       "logged).",
	       invariant_failures());
	family(out, "event_loop_lag_seconds", "gauge",
	       "How late the daemon's last once-a-second timer ran.");
	write_seconds(out, "event_loop_lag_seconds",
		      state->loop_lag_us > 0 ? (uint64_t)state->loop_lag_us : 0);
	single(out, "http_requests_total", "counter", "HTTP requests answered.", http->requests);
	single(out, "http_client_errors_total", "counter",
	       "HTTP requests cadmond answered with a 4xx status (not libevent's own 400/413).",
	       http->client_errors);
	write_slots(out, state, http);
	write_streams(out, state->streams);
	write_mapped_records(out, state->feeds);
	if (state->i3)
		write_i3(out, state->i3);
	write_nats(out, state->nats);
}
