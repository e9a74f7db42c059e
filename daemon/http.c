/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <json-c/json.h>

#include "alert.h"
#include "auth.h"
#include "cadmon-version.h"
#include "control.h"
#include "store.h"
#include "engine.h"
#include "feed.h"
#include "guard.h"
#include "i3_server.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "replay.h"
#include "streams.h"
#include "subscribers.h"
#include "timestamp.h"
#include "www.h"
#include "tls.h"

/* Methods evhttp hands to us (the others it answers 501 itself): we answer 405 with Allow. */
#define HTTP_METHODS                                                                             \
	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | \
	 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH)

#define HTTP_ACK_PREFIX "/api/alerts/"
#define HTTP_ACK_SUFFIX "/ack"

/* One HTTP connection: arriving (its bufferevent made, not yet admitted) or admitted. */
struct http_client {
	LIST_ENTRY(http_client) link;         /* admitted */
	TAILQ_ENTRY(http_client) arrival;     /* arriving, in the order evhttp accepted them */
	struct http_server *server;
	struct bufferevent *bufferevent; /* arriving: referenced until admitted or refused */
	struct evhttp_connection *connection; /* admitted */
	http_closecb_fn closecb;              /* someone else's (a stream's), run first */
	void *closecb_ctx;
	struct event *deadline; /* admitted: its next request whole within http.timeout_seconds */
	char host[LISTENER_ADDRESS_TEXT_MAX];
	char peer[LISTENER_ADDRESS_TEXT_MAX];
};

LIST_HEAD(http_client_list, http_client);
TAILQ_HEAD(http_arrival_queue, http_client);

struct http_server {
	struct evhttp *http;
	struct event_base *base;
	struct http_arrival_queue arriving; /* made by evhttp this loop iteration */
	struct http_client_list clients;  /* admitted, open */
	struct event *admit_event;        /* admits the arriving ones */
	http_bufferevent_fn make_bufferevent;
	void *make_bufferevent_ctx;
	struct guard *guard;
	struct http_settings settings;
	struct http_view view;
	struct http_stats stats;
	struct log_limit error_log; /* requests answered 4xx */
	struct log_limit deadline_log; /* connections closed at their request's deadline */
	struct config_listen listen; /* the addresses served, bound[i] for address[i] */
	struct evhttp_bound_socket *bound[CONFIG_MAX_LISTEN];
	bool rebinding;              /* a reload's addresses are bound, not yet in use */
	struct config_listen next;
	struct evhttp_bound_socket *next_bound[CONFIG_MAX_LISTEN];
	struct auth_grant grant; /* of the request being answered (set by http_authorize) */
	struct tls_server *tls;      /* http.tls: HTTPS; NULL: plain HTTP */
};

static const int json_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

static const char *http_method_name(enum evhttp_cmd_type method)
{
	switch (method) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	default:
		return "?";
	}
}

/* Answer with body (drained) of content type type. */
static void http_send(struct http_server *server, struct evhttp_request *request, int code,
		      const char *type, struct evbuffer *body)
{
	server->stats.requests++;
	if (code >= 400 && code < 500)
		server->stats.client_errors++;
	evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(request), "Cache-Control", "no-store");
	evhttp_send_reply(request, code, NULL, body);
}

/* Answer with body (len bytes) of content type type. */
static void http_reply(struct http_server *server, struct evhttp_request *request, int code,
		       const char *type, const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();

	if (out && evbuffer_add(out, body, len) == 0)
		http_send(server, request, code, type, out);
	else
		evhttp_send_error(request, 500, NULL);
	if (out)
		evbuffer_free(out);
}

/* Appends one JSON line to an array being written ("[" opened by the caller). */
struct http_array {
	struct evbuffer *out;
	size_t count;
	bool failed;
	enum redact_mode redact; /* callers' numbers as the request's token may see them */
};

/* The JSON written in array's buffer, or 500 when some of it could not be. */
static void http_reply_json(struct http_server *server, struct evhttp_request *request,
			    const struct http_array *array)
{
	if (array->failed)
		evhttp_send_error(request, 500, NULL);
	else
		http_send(server, request, 200, "application/json", array->out);
}

static void http_reply_object(struct http_server *server, struct evhttp_request *request, int code,
			      struct json_object *object)
{
	const char *text = object ? json_object_to_json_string_ext(object, json_flags) : NULL;

	if (!text)
		evhttp_send_error(request, 500, NULL);
	else
		http_reply(server, request, code, "application/json", text, strlen(text));
	json_object_put(object);
}

/* {"error":"WHY"} with code, logged (rate-limited). */
static void http_error(struct http_server *server, struct evhttp_request *request, int code,
		       const char *why)
{
	struct json_object *object = json_object_new_object();
	char *address = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(request), &address, &port);
	log_limited(&server->error_log, LOG_WARNING, "http %s:%u: %s %s: %d %s",
		    address ? address : "?", (unsigned)port,
		    http_method_name(evhttp_request_get_command(request)),
		    evhttp_request_get_uri(request), code, why);

	json_object_object_add(object, "error", json_object_new_string(why));
	http_reply_object(server, request, code, object);
}

/* 405 with the methods path takes. */
static void http_wrong_method(struct http_server *server, struct evhttp_request *request,
			      const char *allow)
{
	char why[64];

	snprintf(why, sizeof why, "method not allowed: use %s", allow);
	evhttp_add_header(evhttp_request_get_output_headers(request), "Allow", allow);
	http_error(server, request, 405, why);
}

static void http_array_add(struct http_array *array, const char *line, size_t len)
{
	if ((array->count && evbuffer_add(array->out, ",", 1) < 0) ||
	    auth_add_redacted(array->out, array->redact, line, len) < 0)
		array->failed = true;
	array->count++;
}

static void http_array_emit(void *ctx, const char *line, size_t len)
{
	http_array_add(ctx, line, len);
}

/* A board line: the "open" lines go in, the begin and end lines stay out. */
static void http_board_emit(const char *line, size_t len, void *ctx)
{
	static const char board[] = "{\"board\"";

	if (len >= sizeof board - 1 && memcmp(line, board, sizeof board - 1) == 0)
		return;
	http_array_add(ctx, line, len);
}

/* A decimal integer from 0 to UINT64_MAX, all of text. */
static bool http_parse_u64(const char *text, uint64_t *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 10);
	return text[0] >= '0' && text[0] <= '9' && *end == '\0' && errno == 0;
}

/* since=N from the query; true with *since (0 when absent; *found tells), false when
 * malformed. */
static bool http_query_since(struct evhttp_request *request, uint64_t *since, bool *found)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(request));
	struct evkeyvalq params;
	const char *value;
	bool ok = true;

	*since = 0;
	*found = false;
	if (!query)
		return true;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) < 0)
		return false;
	value = evhttp_find_header(&params, "since");
	if (value) {
		*found = true;
		ok = http_parse_u64(value, since);
	}
	evhttp_clear_headers(&params);
	return ok;
}

/* GET /api/alerts?since=N: {"oldest":O,"newest":W,"next":S,"alerts":[...]}. */
static void http_get_alerts(struct http_server *server, struct evhttp_request *request,
			    const struct http_state *state)
{
	const struct replay_history *history = state->history;
	struct http_array array;
	uint64_t since, next;
	bool found;

	if (!http_query_since(request, &since, &found)) {
		http_error(server, request, 400,
			   "since must be an integer from 0 to 18446744073709551615");
		return;
	}
	array = (struct http_array){ .out = evbuffer_new(), .redact = server->grant.redact };
	if (!array.out) {
		evhttp_send_error(request, 500, NULL);
		return;
	}
	evbuffer_add_printf(array.out,
			    "{\"oldest\":%" PRIu64 ",\"newest\":%" PRIu64 ",\"alerts\":[",
			    history->oldest(history->ctx), history->newest(history->ctx));
	next = history->read(history->ctx, since, server->settings.max_alerts_bytes,
			     http_array_emit, &array);
	if (next < since)
		next = since;
	evbuffer_add_printf(array.out, "],\"next\":%" PRIu64 "}", next);
	http_reply_json(server, request, &array);
	evbuffer_free(array.out);
}

uint64_t http_board_write(struct engine *engine, struct evbuffer *out, enum redact_mode redact,
			  bool *failed)
{
	struct http_array array = { .out = out, .redact = redact };
	uint64_t seq;

	if (evbuffer_add(out, "{\"open\":[", 9) < 0)
		array.failed = true;
	seq = engine_board(engine, http_board_emit, &array);
	if (evbuffer_add_printf(out, "],\"seq\":%" PRIu64 "}", seq) < 0)
		array.failed = true;
	*failed = array.failed;
	return seq;
}

/* GET /api/alerts/open: {"seq":S,"open":[...]}, the board's open lines. */
static void http_get_board(struct http_server *server, struct evhttp_request *request,
			   const struct http_state *state)
{
	struct http_array array = { .out = evbuffer_new() };

	if (!array.out) {
		evhttp_send_error(request, 500, NULL);
		return;
	}
	http_board_write(state->engine, array.out, server->grant.redact, &array.failed);
	http_reply_json(server, request, &array);
	evbuffer_free(array.out);
}

/* A timestamp, or null before the first. */
static struct json_object *http_timestamp(int64_t ms)
{
	char text[TIMESTAMP_TEXT_MAX];

	if (ms == INT64_MIN)
		return NULL;
	timestamp_format(ms, text);
	return json_object_new_string(text);
}

static struct json_object *http_source(const struct engine_source_info *info)
{
	struct json_object *source = json_object_new_object();

	json_object_object_add(source, "source", json_object_new_string(info->clock.name));
	json_object_object_add(source, "newest_ts", http_timestamp(info->clock.newest_ms));
	json_object_object_add(source, "lag_ms", json_object_new_int64(info->lag_ms));
	json_object_object_add(source, "held", json_object_new_boolean(info->held));
	json_object_object_add(source, "lines", json_object_new_uint64(info->clock.lines));
	json_object_object_add(source, "events", json_object_new_uint64(info->clock.events));
	json_object_object_add(source, "late", json_object_new_uint64(info->clock.late));
	json_object_object_add(source, "future", json_object_new_uint64(info->clock.future));
	json_object_object_add(source, "too_late", json_object_new_uint64(info->clock.too_late));
	json_object_object_add(source, "bad_seq", json_object_new_uint64(info->clock.bad_seq));
	json_object_object_add(source, "duplicates",
			       json_object_new_uint64(info->clock.duplicates));
	json_object_object_add(source, "restarts", json_object_new_uint64(info->clock.restarts));
	return source;
}

/* GET /api/sources: {"center_ts":T,"sources":[...]}, in the order first heard. */
static void http_get_sources(struct http_server *server, struct evhttp_request *request,
			     const struct http_state *state)
{
	struct json_object *object = json_object_new_object();
	struct json_object *sources = json_object_new_array();
	struct engine_source_info info;

	for (size_t i = 0; i < engine_source_count(state->engine); i++) {
		engine_source_at(state->engine, i, &info);
		json_object_array_add(sources, http_source(&info));
	}
	json_object_object_add(object, "center_ts",
			       http_timestamp(engine_center_ms(state->engine)));
	json_object_object_add(object, "sources", sources);
	http_reply_object(server, request, 200, object);
}

static struct json_object *http_rule_figures(const struct detector_rule_figures *figures)
{
	struct json_object *rule = json_object_new_object();

	json_object_object_add(rule, "rule", json_object_new_string(figures->rule));
	json_object_object_add(rule, "window_seconds",
			       json_object_new_int64(figures->window_seconds));
	json_object_object_add(rule, "calls", json_object_new_int64(figures->calls));
	json_object_object_add(rule, "premature", json_object_new_int64(figures->premature));
	json_object_object_add(rule, "called_back", json_object_new_int64(figures->called_back));
	json_object_object_add(rule, "ratio", json_object_new_double(figures->ratio));
	json_object_object_add(rule, "center_ratio", json_object_new_double(figures->center_ratio));
	if (figures->sequential) {
		json_object_object_add(rule, "evidence", alert_json_decimal(figures->evidence, 2));
		json_object_object_add(rule, "threshold",
				       alert_json_decimal(figures->threshold, 2));
		json_object_object_add(rule, "run_calls",
				       json_object_new_int64(figures->run_calls));
		json_object_object_add(rule, "run_premature",
				       json_object_new_int64(figures->run_premature));
		json_object_object_add(rule, "expected", alert_json_decimal(figures->expected, 2));
		json_object_object_add(rule, "own_factor",
				       alert_json_decimal(figures->own_factor, 2));
	}
	return rule;
}

/* {"end_ts":T,"bucket_seconds":B,"calls":[...],"premature":[...]}, oldest bucket first. */
static struct json_object *http_history(const struct detector_operator_figures *figures)
{
	struct json_object *history = json_object_new_object();
	struct json_object *calls = json_object_new_array(), *premature = json_object_new_array();

	for (size_t i = 0; i < DETECTOR_HISTORY_BUCKETS; i++) {
		json_object_array_add(calls, json_object_new_int64(figures->history[i].calls));
		json_object_array_add(premature,
				      json_object_new_int64(figures->history[i].premature));
	}
	json_object_object_add(history, "end_ts", http_timestamp(figures->history_end_ms));
	json_object_object_add(history, "bucket_seconds",
			       json_object_new_double(figures->history_bucket_ms / 1000.0));
	json_object_object_add(history, "calls", calls);
	json_object_object_add(history, "premature", premature);
	return history;
}

static void http_operator_emit(const struct detector_operator_figures *figures, void *ctx)
{
	struct json_object *operator = json_object_new_object(), *rules = json_object_new_array();

	json_object_object_add(operator, "agency", json_object_new_string(figures->agency));
	json_object_object_add(operator, "operator", json_object_new_string(figures->operator_id));
	json_object_object_add(operator, "position", json_object_new_string(figures->position));
	json_object_object_add(operator, "last_active_ts", http_timestamp(figures->last_active_ms));
	json_object_object_add(operator, "state",
			       figures->state
				       ? json_object_new_string(agent_state_name(figures->state))
				       : NULL);
	json_object_object_add(operator, "state_since",
			       http_timestamp(figures->state ? figures->state_since_ms
							     : INT64_MIN));
	json_object_object_add(operator, "open_alert_id",
			       figures->open_alert_id
				       ? json_object_new_string(figures->open_alert_id)
				       : NULL);
	for (size_t r = 0; r < figures->rule_count; r++)
		json_object_array_add(rules, http_rule_figures(&figures->rules[r]));
	json_object_object_add(operator, "rules", rules);
	json_object_object_add(operator, "history", http_history(figures));
	json_object_array_add(ctx, operator);
}

/* Operators by agency, then operator. */
static int http_compare_operators(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a,
			   *y = *(struct json_object *const *)b;
	struct json_object *xa, *ya, *xo, *yo;
	int order;

	json_object_object_get_ex(x, "agency", &xa);
	json_object_object_get_ex(y, "agency", &ya);
	json_object_object_get_ex(x, "operator", &xo);
	json_object_object_get_ex(y, "operator", &yo);
	order = strcmp(json_object_get_string(xa), json_object_get_string(ya));
	return order ? order : strcmp(json_object_get_string(xo), json_object_get_string(yo));
}

/* GET /api/operators: {"operators":[...]}, each with its figures per rule window. */
static void http_get_operators(struct http_server *server, struct evhttp_request *request,
			       const struct http_state *state)
{
	struct json_object *object = json_object_new_object(), *operators = json_object_new_array();

	engine_each_operator(state->engine, http_operator_emit, operators);
	json_object_array_sort(operators, http_compare_operators);
	json_object_object_add(object, "operators", operators);
	http_reply_object(server, request, 200, object);
}

static uint64_t http_rejected(const struct engine_stats *stats)
{
	uint64_t total = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++)
		total += stats->rejects[reason];
	return total;
}

static void add_u64(struct json_object *object, const char *key, uint64_t value)
{
	json_object_object_add(object, key, json_object_new_uint64(value));
}

/* GET /api/status: version, degraded state and the main counters. */
static void http_get_status(struct http_server *server, struct evhttp_request *request,
			    const struct http_state *state)
{
	const struct engine_stats *stats = engine_stats(state->engine);
	struct json_object *object = json_object_new_object();

	json_object_object_add(object, "version", json_object_new_string(CADMON_VERSION));
	json_object_object_add(object, "degraded",
			       json_object_new_boolean(state->journal_degraded));
	json_object_object_add(
		object, "degraded_reason",
		state->journal_degraded ? json_object_new_string(state->degraded_reason) : NULL);
	add_u64(object, "lines", stats->lines);
	add_u64(object, "events", stats->events);
	add_u64(object, "rejected", http_rejected(stats));
	add_u64(object, "duplicates", stats->duplicates);
	add_u64(object, "alerts", stats->detector.alerts);
	add_u64(object, "last_seq", engine_last_seq(state->engine));
	add_u64(object, "open_alerts", stats->detector.open_alerts);
	add_u64(object, "open_calls", stats->open_calls);
	add_u64(object, "operators", stats->detector.operators);
	add_u64(object, "sources", engine_source_count(state->engine));
	add_u64(object, "feeds", state->feeds->accepted - state->feeds->closed);
	add_u64(object, "subscribers", state->subscribers->connected);
	http_reply_object(server, request, 200, object);
}

/* The alert_id of /api/alerts/ID/ack into id; false when path is not that shape. */
static bool http_ack_path(const char *path, char id[ALERT_ID_LENGTH + 1])
{
	size_t prefix = sizeof HTTP_ACK_PREFIX - 1, suffix = sizeof HTTP_ACK_SUFFIX - 1;
	size_t len = strlen(path);

	if (len != prefix + ALERT_ID_LENGTH + suffix ||
	    strncmp(path, HTTP_ACK_PREFIX, prefix) != 0 ||
	    strcmp(path + prefix + ALERT_ID_LENGTH, HTTP_ACK_SUFFIX) != 0)
		return false;
	memcpy(id, path + prefix, ALERT_ID_LENGTH);
	id[ALERT_ID_LENGTH] = '\0';
	return true;
}

/* The control of an ack body {"by":NAME,"note":TEXT}, checked as a console's ack line is. */
static int http_ack_control(struct evhttp_request *request, const char *alert_id,
			    struct control *control, char *why, size_t why_size)
{
	struct evbuffer *body = evhttp_request_get_input_buffer(request);
	size_t len = evbuffer_get_length(body);
	const char *bytes = len ? (const char *)evbuffer_pullup(body, -1) : "";

	if (!bytes || len > INT32_MAX)
		return control_parse_ack_body("", 0, alert_id, control, why,
					      why_size); /* refused as no object */
	return control_parse_ack_body(bytes, len, alert_id, control, why, why_size);
}

/* POST /api/alerts/ID/ack: 200 with the acknowledged notice, 404 no open alert, 400 bad body. */
static void http_post_ack(struct http_server *server, struct evhttp_request *request,
			  const char *alert_id)
{
	struct control control;
	char reply[HTTP_ACK_REPLY_MAX], redacted[REDACT_OUT_MAX(HTTP_ACK_REPLY_MAX)];
	int rc;

	if (http_ack_control(request, alert_id, &control, reply, sizeof reply) < 0) {
		http_error(server, request, 400, reply);
		return;
	}
	rc = server->view.acknowledge(server->view.ctx, &control, reply, sizeof reply);
	if (rc == 0) {
		server->stats.acks++;
		http_reply(server, request, 200, "application/json", redacted,
			   redact_line(server->grant.redact, reply, strlen(reply), redacted,
				       sizeof redacted));
	} else {
		http_error(server, request, rc == -ENOENT ? 404 : 503, reply);
	}
}

/* GET /metrics: the Prometheus exposition (metrics.h). */
static void http_get_metrics(struct http_server *server, struct evhttp_request *request,
			     const struct http_state *state)
{
	struct evbuffer *out = evbuffer_new();

	if (!out) {
		evhttp_send_error(request, 500, NULL);
		return;
	}
	server->stats.requests++; /* this request counts in what it shows */
	metrics_write(out, state, &server->stats);
	server->stats.requests--;
	http_send(server, request, 200, METRICS_CONTENT_TYPE, out);
	evbuffer_free(out);
}

/* One line per open system alert that means cadmon is not watching as it should. */
static void http_health_emit(const char *line, size_t len, void *ctx)
{
	static const char *const degrading[] = { "journal_degraded", "feed_silent", "clock_ahead",
						 "seq_rejected", "feed_rejecting", "limit",
						 "receiver_down" };
	struct json_object *alert = json_tokener_parse(line), *system, *message;
	struct evbuffer *out = ctx;

	(void)len;
	if (alert && json_object_object_get_ex(alert, "system", &system) &&
	    json_object_object_get_ex(alert, "message", &message)) {
		for (size_t i = 0; i < sizeof degrading / sizeof degrading[0]; i++)
			if (strcmp(json_object_get_string(system), degrading[i]) == 0)
				evbuffer_add_printf(out, "%s: %s\n", degrading[i],
						    json_object_get_string(message));
	}
	json_object_put(alert);
}

/* GET /healthz: 200 "ok" when healthy, else 503 with one reason a line. */
static void http_get_health(struct http_server *server, struct evhttp_request *request,
			    const struct http_state *state)
{
	struct evbuffer *out = evbuffer_new();

	if (!out) {
		evhttp_send_error(request, 500, NULL);
		return;
	}
	if (state->journal_degraded &&
	    !engine_system_alert_open(state->engine, "journal_degraded", ""))
		evbuffer_add_printf(out, "journal_degraded: %s\n", state->degraded_reason);
	engine_board(state->engine, http_health_emit, out);
	if (evbuffer_get_length(out) == 0)
		http_reply(server, request, 200, "text/plain; charset=utf-8", "ok\n", 3);
	else
		http_send(server, request, 503, "text/plain; charset=utf-8", out);
	evbuffer_free(out);
}

/* The resume point of GET /api/stream: the Last-Event-ID header, else ?since=N (neither: none).
 * False, answered 400, when malformed. */
static bool http_stream_since(struct http_server *server, struct evhttp_request *request,
			      bool *has_since, uint64_t *since)
{
	const char *last =
		evhttp_find_header(evhttp_request_get_input_headers(request), "Last-Event-ID");

	*has_since = last != NULL;
	if (last && !http_parse_u64(last, since)) {
		http_error(server, request, 400,
			   "Last-Event-ID must be an integer from 0 to 18446744073709551615");
		return false;
	}
	if (!last && !http_query_since(request, since, has_since)) {
		http_error(server, request, 400,
			   "since must be an integer from 0 to 18446744073709551615");
		return false;
	}
	return true;
}

/* GET /api/stream: Server-Sent Events (streams.h); 503 beyond http.max_streams. */
static void http_get_stream(struct http_server *server, struct evhttp_request *request)
{
	char why[128];
	uint64_t since = 0;
	bool has_since;
	int rc;

	if (evhttp_request_get_command(request) != EVHTTP_REQ_GET) {
		http_wrong_method(server, request, "GET");
		return;
	}
	if (!http_stream_since(server, request, &has_since, &since))
		return;
	rc = streams_open(server->view.streams, request, has_since, since, server->grant.redact,
			  why, sizeof why);
	if (rc == 0)
		server->stats.requests++;
	else if (rc == -ENOMEM)
		evhttp_send_error(request, 500, NULL);
	else
		http_error(server, request, 503, why);
}

/* POST /LogEvents: the i3 Logging Service (i3_server.h) answers, now or once durable. */
static void http_post_log_event(struct http_server *server, struct evhttp_request *request)
{
	if (evhttp_request_get_command(request) != EVHTTP_REQ_POST) {
		http_wrong_method(server, request, "POST");
		return;
	}
	server->stats.requests++;
	server->view.log_event(server->view.ctx, request);
}

/* GET /Versions: the i3 Logging Service interface's versions (i3_server.h). */
static void http_get_versions(struct http_server *server, struct evhttp_request *request)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(request);

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		http_wrong_method(server, request, "GET, HEAD");
		return;
	}
	server->stats.requests++;
	http_reply_object(server, request, 200, i3_versions());
}

/* The resources answered to GET (and HEAD). */
static const char *const http_get_paths[] = { "/api/alerts",   "/api/alerts/open", "/api/sources",
					      "/api/status",   "/metrics",	   "/healthz",
					      "/api/operators" };

static void http_get(struct http_server *server, struct evhttp_request *request, size_t route,
		     const struct http_state *state)
{
	switch (route) {
	case 0:
		http_get_alerts(server, request, state);
		break;
	case 1:
		http_get_board(server, request, state);
		break;
	case 2:
		http_get_sources(server, request, state);
		break;
	case 3:
		http_get_status(server, request, state);
		break;
	case 4:
		http_get_metrics(server, request, state);
		break;
	case 5:
		http_get_health(server, request, state);
		break;
	default:
		http_get_operators(server, request, state);
		break;
	}
}

/* Who may use each resource (docs/http.md): the first pattern that matches, '*' one path
 * segment. A path not listed (and not a dashboard file) needs a token of any role (fail
 * closed), then gets its 404. */
static const struct auth_route http_routes[] = {
	/* the dashboard's files (www.h) are public and served before this check */
	{ "/healthz", AUTH_PUBLIC },
	{ "/api/alerts", AUTH_VIEWER },
	{ "/api/alerts/open", AUTH_VIEWER },
	{ "/api/alerts/*/ack", AUTH_SUPERVISOR },
	{ "/api/stream", AUTH_VIEWER },
	{ "/api/sources", AUTH_VIEWER },
	{ "/api/operators", AUTH_VIEWER },
	{ "/metrics", AUTH_VIEWER },
	{ "/api/status", AUTH_ADMIN },
	/* NENA i3 log events feed the detector: a feed token (a logging element), or an admin's;
	 * the same for the interface's versions, which a logging element asks first */
	{ "/LogEvents", AUTH_FEED },
	{ "/Versions", AUTH_FEED },
};

/* True when the request may go on (server->grant says who it is); else answered 401, 403
 * or 429. */
static bool http_authorize(struct http_server *server, struct evhttp_request *request,
			   const char *path)
{
	enum auth_access access =
		auth_route_access(http_routes, sizeof http_routes / sizeof http_routes[0], path);
	const char *authorization =
		evhttp_find_header(evhttp_request_get_input_headers(request), "Authorization");
	struct auth_http_answer answer;
	char *address = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(request), &address, &port);
	if (auth_http(server->view.auth, access, authorization, address ? address : "?", port,
		      auth_now_ms(), &server->grant, &answer))
		return true;
	if (answer.header)
		evhttp_add_header(evhttp_request_get_output_headers(request), answer.header,
				  answer.header_value);
	http_error(server, request, answer.status, answer.why);
	return false;
}

/* The dashboard's files (www.h), GET or HEAD. */
static void http_get_asset(struct http_server *server, struct evhttp_request *request,
			   const struct www_asset *asset)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(request);

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		http_wrong_method(server, request, "GET, HEAD");
		return;
	}
	server->stats.requests++;
	www_reply(request, asset);
}

static void http_request_arrived(struct http_server *server, struct evhttp_request *request);

static void http_on_request(struct evhttp_request *request, void *ctx)
{
	struct http_server *server = ctx;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
	enum evhttp_cmd_type method = evhttp_request_get_command(request);
	const size_t routes = sizeof http_get_paths / sizeof http_get_paths[0];
	char alert_id[ALERT_ID_LENGTH + 1];
	const struct www_asset *asset;
	struct http_state state;
	size_t route = 0;

	http_request_arrived(server, request);
	if (server->tls && !bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(
				   evhttp_request_get_connection(request)))) {
		/* evhttp falls back to plain TCP when http_tls_connection failed: serve nothing */
		evhttp_send_error(request, 503, NULL);
		return;
	}
	if (!path)
		path = "";
	if ((asset = www_find(path))) {
		http_get_asset(server, request, asset);
		return;
	}
	if (!http_authorize(server, request, path))
		return;
	if (server->view.log_event && strcmp(path, "/LogEvents") == 0) {
		http_post_log_event(server, request);
		return;
	}
	/* libevent reads up to i3.max_body_bytes when larger: only a log event may use it */
	if (evbuffer_get_length(evhttp_request_get_input_buffer(request)) >
	    server->settings.max_body_bytes) {
		http_error(server, request, 413, "the request body is over http.max_body_bytes");
		return;
	}
	if (http_ack_path(path, alert_id)) {
		if (method == EVHTTP_REQ_POST)
			http_post_ack(server, request, alert_id);
		else
			http_wrong_method(server, request, "POST");
		return;
	}
	if (server->view.log_event && strcmp(path, "/Versions") == 0) {
		http_get_versions(server, request);
		return;
	}
	if (server->view.streams && strcmp(path, "/api/stream") == 0) {
		http_get_stream(server, request);
		return;
	}
	while (route < routes && strcmp(path, http_get_paths[route]) != 0)
		route++;
	if (route == routes) {
		http_error(server, request, 404, "no such resource");
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		http_wrong_method(server, request, "GET, HEAD");
		return;
	}
	/* Only here, authorized and routed: the state settles the journal (an fdatasync when an
	 * alert waits for the disk), which no asset, 404 or refusal costs. */
	server->view.state(server->view.ctx, &state);
	http_get(server, request, route, &state);
}

/* ---- connections: counted and capped (http.h) ------------------------------------------- */

/* evhttp closed an admitted connection. */
static void http_on_connection_closed(struct evhttp_connection *connection, void *ctx)
{
	struct http_client *client = ctx;

	LIST_REMOVE(client, link);
	client->server->stats.connections--;
	if (client->closecb)
		client->closecb(connection, client->closecb_ctx);
	if (client->deadline)
		event_free(client->deadline);
	free(client);
}

/*
 * Each request must arrive whole within http.timeout_seconds of the connection's admission or
 * of the answer before it: libevent's own timeout (evhttp_set_timeout) is per read, so a
 * client sending a byte now and then would keep its connection for ever.
 */
static void http_arm_deadline(struct http_client *client)
{
	const struct timeval timeout = { .tv_sec = client->server->settings.timeout_seconds };

	if (client->deadline)
		evtimer_add(client->deadline, &timeout);
}

static void http_on_deadline(evutil_socket_t fd, short what, void *ctx)
{
	struct http_client *client = ctx;
	struct http_server *server = client->server;

	(void)fd;
	(void)what;
	server->stats.timed_out++;
	log_limited(&server->deadline_log, LOG_WARNING,
		    "http %s: closing: no complete request within %" PRIu32
		    " s (http.timeout_seconds)",
		    client->peer, server->settings.timeout_seconds);
	evhttp_connection_free(client->connection); /* its closecb frees client */
}

/* The answer to a request is sent: the next one has its deadline. */
static void http_on_answered(struct evhttp_request *request, void *ctx)
{
	(void)request;
	http_arm_deadline(ctx);
}

/* A request arrived whole: no deadline until it is answered. */
static void http_request_arrived(struct http_server *server, struct evhttp_request *request)
{
	struct evhttp_connection *connection = evhttp_request_get_connection(request);
	struct http_client *client;

	LIST_FOREACH(client, &server->clients, link)
		if (client->connection == connection) {
			if (client->deadline)
				evtimer_del(client->deadline);
			evhttp_request_set_on_complete_cb(request, http_on_answered, client);
			return;
		}
}

void http_server_set_closecb(struct http_server *server, struct evhttp_connection *connection,
			     http_closecb_fn cb, void *ctx)
{
	struct http_client *client;

	LIST_FOREACH(client, &server->clients, link)
		if (client->connection == connection) {
			client->closecb = cb;
			client->closecb_ctx = ctx;
			return;
		}
	evhttp_connection_set_closecb(connection, cb, ctx); /* not counted (cannot happen) */
}

/* Admitted connections open from host. */
static uint32_t http_count_from(const struct http_server *server, const char *host)
{
	const struct http_client *client;
	uint32_t count = 0;

	LIST_FOREACH(client, &server->clients, link)
		count += strcmp(client->host, host) == 0;
	return count;
}

/* Which limit refuses a connection from host (GUARD_REFUSAL_COUNT: none), with why. */
static enum guard_refusal http_admission(const struct http_server *server, const char *host,
					 char *why, size_t why_size)
{
	return guard_admission(
		&(struct guard_occupancy){ .established = server->stats.connections,
					   .max_established = server->settings.max_connections,
					   .from_host = http_count_from(server, host),
					   .max_per_address =
						   server->settings.max_connections_per_address,
					   .established_noun = "connections open" },
		host, why, why_size);
}

/* The evhttp connection that took client's bufferevent (evhttp made it its callbacks'
 * argument), or NULL when evhttp gave it up already (bufferevent_free clears them). */
static struct evhttp_connection *http_connection_of(struct bufferevent *bufferevent)
{
	void *argument = NULL;

	bufferevent_getcb(bufferevent, NULL, NULL, NULL, &argument);
	if (argument && evhttp_connection_get_bufferevent(argument) == bufferevent)
		return argument;
	return NULL;
}

/* Admit one arriving connection, or close it (counted, logged, alerted). */
static void http_admit(struct http_server *server, struct http_client *client)
{
	struct evhttp_connection *connection = http_connection_of(client->bufferevent);
	struct sockaddr_storage address;
	socklen_t address_len = sizeof address;
	char peer[LISTENER_ADDRESS_TEXT_MAX], why[128];
	enum guard_refusal refusal;

	TAILQ_REMOVE(&client->server->arriving, client, arrival);
	if (!connection || getpeername(bufferevent_getfd(client->bufferevent),
				       (struct sockaddr *)&address, &address_len) < 0) {
		bufferevent_decref(client->bufferevent);
		free(client);
		return;
	}
	listener_format_address((struct sockaddr *)&address, address_len, peer, sizeof peer);
	guard_peer_host(peer, client->host, sizeof client->host);
	snprintf(client->peer, sizeof client->peer, "%s", peer);
	refusal = http_admission(server, client->host, why, sizeof why);
	if (refusal != GUARD_REFUSAL_COUNT) {
		server->stats.refused++;
		guard_refused(server->guard, GUARD_PORT_HTTP, refusal, peer, why);
		evhttp_connection_free(connection);
		bufferevent_decref(client->bufferevent);
		free(client);
		return;
	}
	bufferevent_decref(client->bufferevent);
	client->bufferevent = NULL;
	client->connection = connection;
	LIST_INSERT_HEAD(&server->clients, client, link);
	server->stats.accepted++;
	server->stats.connections++;
	evhttp_connection_set_closecb(connection, http_on_connection_closed, client);
	/* without memory for it, libevent's per-read timeout alone */
	client->deadline = evtimer_new(server->base, http_on_deadline, client);
	http_arm_deadline(client);
}

/* After evhttp's accepts of this loop iteration: admit each connection it set up. */
static void http_on_arrivals(evutil_socket_t fd, short what, void *ctx)
{
	struct http_server *server = ctx;

	(void)fd;
	(void)what;
	while (!TAILQ_EMPTY(&server->arriving))
		http_admit(server, TAILQ_FIRST(&server->arriving));
}

/* evhttp accepted a connection and wants its bufferevent: made here (or by the factory),
 * held by one more reference until http_on_arrivals admits it. */
static struct bufferevent *http_make_bufferevent(struct event_base *base, void *ctx)
{
	struct http_server *server = ctx;
	struct http_client *client = calloc(1, sizeof *client);
	struct bufferevent *bufferevent =
		server->make_bufferevent
			? server->make_bufferevent(base, server->make_bufferevent_ctx)
			: bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	if (!client || !bufferevent) {
		free(client);
		return bufferevent; /* evhttp closes it if NULL; not counted: out of memory */
	}
	bufferevent_incref(bufferevent);
	client->server = server;
	client->bufferevent = bufferevent;
	TAILQ_INSERT_TAIL(&server->arriving, client, arrival);
	event_active(server->admit_event, EV_TIMEOUT, 0);
	return bufferevent;
}

void http_server_set_bufferevent_factory(struct http_server *server, http_bufferevent_fn make,
					 void *ctx)
{
	server->make_bufferevent = make;
	server->make_bufferevent_ctx = ctx;
}

void http_server_set_guard(struct http_server *server, struct guard *guard)
{
	server->guard = guard;
}

/* Split "127.0.0.1:7402" / "[::1]:7402" into host and port for evhttp. */
static int http_split_address(const char *text, char *host, size_t host_size, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	size_t len;

	if (!colon)
		return -EINVAL;
	len = (size_t)(colon - text);
	if (text[0] == '[' && len >= 2 && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len >= host_size)
		return -EINVAL;
	memcpy(host, text, len);
	host[len] = '\0';
	*port = (uint16_t)strtoul(colon + 1, NULL, 10);
	return 0;
}

/* A socket listening on address, or NULL with the reason in why. */
static struct evhttp_bound_socket *http_bind_one(struct http_server *server, const char *address,
						 char *why, size_t why_size)
{
	char host[LISTENER_ADDRESS_TEXT_MAX];
	struct evhttp_bound_socket *bound = NULL;
	uint16_t port;

	errno = EINVAL;
	if (http_split_address(address, host, sizeof host, &port) < 0 ||
	    !(bound = evhttp_bind_socket_with_handle(server->http, host, port)))
		snprintf(why, why_size, "cannot listen on %s (http.listen): %s", address,
			 strerror(errno));
	return bound;
}

/* The index of address in listen, or -1. */
static int http_find_address(const struct config_listen *listen, const char *address)
{
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++)
		if (strcmp(listen->address[i], address) == 0)
			return (int)i;
	return -1;
}

static int http_bind(struct http_server *server, const struct config_listen *listen, char *why,
		     size_t why_size)
{
	server->listen = *listen;
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++) {
		if (!(server->bound[i] = http_bind_one(server, listen->address[i], why, why_size)))
			return -1;
		log_msg(LOG_INFO, "listening for http on %s", listen->address[i]);
	}
	return 0;
}

/* Close the sockets bound for a reload that are not the running ones. */
static void http_drop_next(struct http_server *server, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (http_find_address(&server->listen, server->next.address[i]) < 0 &&
		    server->next_bound[i])
			evhttp_del_accept_socket(server->http, server->next_bound[i]);
	server->rebinding = false;
}

int http_server_rebind(struct http_server *server, const struct config_listen *listen, char *why,
		       size_t why_size)
{
	server->next = *listen;
	server->rebinding = true;
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++) {
		int running = http_find_address(&server->listen, listen->address[i]);

		server->next_bound[i] =
			running >= 0 ? server->bound[running]
				     : http_bind_one(server, listen->address[i], why, why_size);
		if (!server->next_bound[i]) {
			http_drop_next(server, i);
			return -1;
		}
	}
	return 0;
}

void http_server_rebind_abort(struct http_server *server)
{
	if (server->rebinding)
		http_drop_next(server, server->next.count);
}

void http_server_rebind_commit(struct http_server *server)
{
	if (!server->rebinding)
		return;
	for (size_t i = 0; i < server->listen.count && i < CONFIG_MAX_LISTEN; i++)
		if (http_find_address(&server->next, server->listen.address[i]) < 0) {
			evhttp_del_accept_socket(server->http, server->bound[i]);
			log_msg(LOG_NOTICE, "no longer listening for http on %s",
				server->listen.address[i]);
		}
	for (size_t i = 0; i < server->next.count && i < CONFIG_MAX_LISTEN; i++)
		if (http_find_address(&server->listen, server->next.address[i]) < 0)
			log_msg(LOG_NOTICE, "listening for http on %s", server->next.address[i]);
	server->listen = server->next;
	memcpy(server->bound, server->next_bound, sizeof server->bound);
	server->rebinding = false;
}

struct http_server *http_server_new(struct event_base *base, const struct config_listen *listen,
				    const struct http_settings *settings,
				    const struct http_view *view, char *why, size_t why_size)
{
	struct http_server *server = calloc(1, sizeof *server);

	if (!server || !(server->http = evhttp_new(base)) ||
	    !(server->admit_event = event_new(base, -1, 0, http_on_arrivals, server))) {
		snprintf(why, why_size, "cannot start: out of memory");
		if (server && server->http)
			evhttp_free(server->http);
		free(server);
		return NULL;
	}
	server->base = base;
	TAILQ_INIT(&server->arriving);
	LIST_INIT(&server->clients);
	evhttp_set_bevcb(server->http, http_make_bufferevent, server);
	server->view = *view;
	log_limit_init(&server->error_log, settings->log_interval_seconds, "HTTP requests refused");
	log_limit_init(&server->deadline_log, settings->log_interval_seconds,
		       "HTTP connections closed at their deadline");
	evhttp_set_allowed_methods(server->http, HTTP_METHODS);
	evhttp_set_gencb(server->http, http_on_request, server);
	http_server_update(server, settings);
	if (http_bind(server, listen, why, why_size) < 0) {
		http_server_free(server);
		return NULL;
	}
	return server;
}

/* evhttp's bufferevent for each new connection: a TLS one (it sets the socket itself). */
static struct bufferevent *http_tls_connection(struct event_base *base, void *ctx)
{
	struct http_server *server = ctx;
	struct bufferevent *bev = tls_server_accept(server->tls, base, -1, TLS_LISTENER_HTTP);

	if (!bev)
		log_msg(LOG_ERR, "http: out of memory for a TLS connection");
	return bev;
}

void http_server_set_tls(struct http_server *server, struct tls_server *tls)
{
	server->tls = tls;
	http_server_set_bufferevent_factory(server, http_tls_connection, server);
}

void http_server_update(struct http_server *server, const struct http_settings *settings)
{
	server->settings = *settings;
	server->error_log.interval_seconds = settings->log_interval_seconds;
	server->deadline_log.interval_seconds = settings->log_interval_seconds;
	evhttp_set_max_headers_size(server->http, settings->max_header_bytes);
	evhttp_set_max_body_size(server->http,
				 settings->max_log_event_bytes > settings->max_body_bytes
					 ? settings->max_log_event_bytes
					 : settings->max_body_bytes);
	evhttp_set_timeout(server->http, (int)settings->timeout_seconds);
}

const struct http_stats *http_server_stats(const struct http_server *server)
{
	return &server->stats;
}

void http_server_free(struct http_server *server)
{
	if (!server)
		return;
	log_limit_flush(&server->error_log);
	log_limit_flush(&server->deadline_log);
	http_on_arrivals(-1, 0, server); /* admitted, then freed with the others */
	evhttp_free(server->http);        /* closes every connection: their closecbs free clients */
	while (!LIST_EMPTY(&server->clients)) {
		struct http_client *client = LIST_FIRST(&server->clients);

		LIST_REMOVE(client, link);
		if (client->deadline)
			event_free(client->deadline);
		free(client);
	}
	event_free(server->admit_event);
	free(server);
}
