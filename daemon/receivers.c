/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "receivers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alertmanager.h"
#include "hostclock.h"
#include "limitwatch.h"
#include "log.h"
#include "redact.h"
#include "text.h"
#include "webhook.h"

#define RECEIVER_HOST_MAX 256
#define RECEIVER_REASON_MAX 96
#define RECEIVER_AM_OPEN_MAX 4096 /* open alerts an Alertmanager receiver re-posts */
#define RECEIVER_RESPONSE_MAX 65536 /* bytes of a response's headers, and of its body */

/* One POST: its body and how many attempts it had. */
struct request {
	char *body;
	size_t len;
	uint32_t attempts;
};

struct receiver {
	struct receivers *receivers;
	struct config_receiver config;
	char host[RECEIVER_HOST_MAX];      /* for the connection: no brackets */
	char authority[RECEIVER_HOST_MAX]; /* the Host header: as in the URL */
	char path[CONFIG_URL_MAX + 16];
	uint16_t port;
	struct evhttp_connection *connection;
	struct request *queue; /* ring of config.max_queue requests waiting */
	uint32_t head, count;
	struct request current; /* in flight or waiting for its retry; body NULL: none */
	struct event *timer;    /* the retry delay, or a kick to send the next */
	struct event *resend_timer; /* alertmanager: re-post open alerts */
	struct am_alerts *am;       /* alertmanager: the open alerts */
	char secret[WEBHOOK_SECRET_MAX + 1];
	size_t secret_len; /* 0: unsigned */
	char reason[RECEIVER_REASON_MAX]; /* why the last attempt failed */
	uint32_t consecutive_failures;
	int64_t first_failure_ms; /* monotonic: the first of the consecutive failures */
	uint64_t jitter_state;
	struct receiver_stats stats;
	struct limitwatch queue_drops; /* requests dropped for a full queue: a limit alert */
	struct log_limit failure_log, drop_log;
};

struct receivers {
	struct event_base *base;
	struct evdns_base *dns; /* for host names (resolved without blocking); NULL: IPs only */
	struct receivers_hooks hooks;
	struct receiver *receivers;
	size_t count;
};

/* ---- the URL ------------------------------------------------------------------------ */

/* http://host[:port][/path] (checked by the configuration parser) into the receiver. */
static int parse_url(struct receiver *receiver)
{
	const char *authority = receiver->config.url + strlen("http://");
	const char *slash = strchr(authority, '/');
	size_t len = slash ? (size_t)(slash - authority) : strlen(authority);
	const char *port = NULL;

	if (len == 0 || len >= sizeof(receiver->authority))
		return -1;
	memcpy(receiver->authority, authority, len);
	receiver->authority[len] = '\0';
	if (receiver->authority[0] == '[') {
		char *close = strchr(receiver->authority, ']');
		if (!close)
			return -1;
		memcpy(receiver->host, receiver->authority + 1,
		       (size_t)(close - receiver->authority - 1));
		receiver->host[close - receiver->authority - 1] = '\0';
		port = close[1] == ':' ? close + 2 : NULL;
	} else {
		char *colon = strrchr(receiver->authority, ':');
		size_t host_len = colon ? (size_t)(colon - receiver->authority) : len;
		memcpy(receiver->host, receiver->authority, host_len);
		receiver->host[host_len] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	unsigned long number = port ? strtoul(port, NULL, 10) : 80;
	if (number == 0 || number > 65535 || !receiver->host[0])
		return -1;
	receiver->port = (uint16_t)number;
	snprintf(receiver->path, sizeof(receiver->path), "%s", slash ? slash : "/");
	if (receiver->config.type == CONFIG_RECEIVER_ALERTMANAGER) {
		size_t path_len = strlen(receiver->path);
		if (path_len > 0 && receiver->path[path_len - 1] == '/')
			receiver->path[--path_len] = '\0';
		snprintf(receiver->path + path_len, sizeof(receiver->path) - path_len,
			 "/api/v2/alerts");
	}
	return 0;
}

/* ---- the queue ---------------------------------------------------------------------- */

static void send_current(struct receiver *receiver);

/* Send the next waiting request soon (not from inside an evhttp callback). */
static void kick(struct receiver *receiver)
{
	struct timeval now = {.tv_sec = 0};

	evtimer_add(receiver->timer, &now);
}

static void push(struct receiver *receiver, char *body, size_t len)
{
	uint32_t capacity = receiver->config.max_queue;

	if (receiver->count == capacity) {
		struct request *oldest = &receiver->queue[receiver->head];
		free(oldest->body);
		receiver->head = (receiver->head + 1) % capacity;
		receiver->count--;
		receiver->stats.dropped++;
		limitwatch_hit(&receiver->queue_drops, hostclock_monotonic_ms());
		log_limited(&receiver->drop_log, LOG_WARNING,
			    "receiver %s: queue full (max_queue %" PRIu32
			    "): oldest request dropped, %" PRIu64 " dropped so far",
			    receiver->config.name, capacity, receiver->stats.dropped);
	}
	receiver->queue[(receiver->head + receiver->count) % capacity] =
		(struct request){ .body = body, .len = len };
	receiver->count++;
	if (!receiver->current.body)
		kick(receiver);
}

/* The next waiting request becomes the current one, and goes. */
static void start_next(struct receiver *receiver)
{
	if (receiver->current.body || receiver->count == 0)
		return;
	receiver->current = receiver->queue[receiver->head];
	receiver->head = (receiver->head + 1) % receiver->config.max_queue;
	receiver->count--;
	send_current(receiver);
}

static void drop_current(struct receiver *receiver)
{
	free(receiver->current.body);
	receiver->current = (struct request){.body = NULL};
}

/* ---- outcomes ----------------------------------------------------------------------- */

static void announce(struct receiver *receiver, bool firing)
{
	struct control control = {.kind = CONTROL_RECEIVER_DOWN, .firing = firing};

	receiver->stats.down = firing;
	text_copy(control.receiver, receiver->config.name, sizeof(control.receiver));
	text_copy(control.reason, firing ? receiver->reason : "", sizeof(control.reason));
	if (receiver->receivers->hooks.control)
		receiver->receivers->hooks.control(receiver->receivers->hooks.ctx, &control);
}

static void delivered(struct receiver *receiver)
{
	bool was_down = receiver->stats.down;
	uint32_t failures = receiver->consecutive_failures;

	receiver->stats.delivered++;
	receiver->consecutive_failures = 0;
	drop_current(receiver);
	start_next(receiver); /* at once: the queue has room before the notice this may cause */
	if (was_down) {
		log_msg(LOG_NOTICE,
			"receiver %s: delivering again after %" PRIu32 " failed attempts",
			receiver->config.name, failures);
		announce(receiver, false);
	}
}

/* Exponential backoff from backoff_base_ms, capped at backoff_max_ms, then +-25% jitter. */
static uint64_t backoff_ms(struct receiver *receiver, uint32_t attempts)
{
	uint64_t delay = receiver->config.backoff_base_ms;

	for (uint32_t i = 1; i < attempts && delay < receiver->config.backoff_max_ms; i++)
		delay *= 2;
	if (delay > receiver->config.backoff_max_ms)
		delay = receiver->config.backoff_max_ms;
	receiver->jitter_state ^= receiver->jitter_state << 13;
	receiver->jitter_state ^= receiver->jitter_state >> 7;
	receiver->jitter_state ^= receiver->jitter_state << 17;
	return delay * 3 / 4 + (delay > 1 ? receiver->jitter_state % (delay / 2 + 1) : 0);
}

static void failed(struct receiver *receiver)
{
	int64_t now_ms = hostclock_monotonic_ms();

	receiver->stats.failed++;
	if (receiver->consecutive_failures++ == 0)
		receiver->first_failure_ms = now_ms;
	log_limited(&receiver->failure_log, LOG_WARNING,
		    "receiver %s: attempt %" PRIu32 " failed: %s", receiver->config.name,
		    receiver->current.attempts, receiver->reason);
	int64_t failing_ms = now_ms - receiver->first_failure_ms;
	if (!receiver->stats.down &&
	    (receiver->consecutive_failures >= receiver->config.down_after_failures ||
	     failing_ms >= (int64_t)receiver->config.down_after_seconds * 1000)) {
		log_msg(LOG_WARNING,
			"receiver %s: down after %" PRIu32 " failed attempts in %" PRId64 " s (%s)",
			receiver->config.name, receiver->consecutive_failures, failing_ms / 1000,
			receiver->reason);
		announce(receiver, true);
	}
	if (receiver->current.attempts > receiver->config.max_retries) {
		receiver->stats.dropped++; /* not a queue_drops hit: receiver_down tells failures */
		log_limited(&receiver->drop_log, LOG_WARNING,
			    "receiver %s: request dropped after %" PRIu32 " attempts, %" PRIu64
			    " dropped so far",
			    receiver->config.name, receiver->current.attempts,
			    receiver->stats.dropped);
		drop_current(receiver);
		kick(receiver);
		return;
	}
	uint64_t delay = backoff_ms(receiver, receiver->current.attempts);
	struct timeval wait = { .tv_sec = (time_t)(delay / 1000),
				.tv_usec = (suseconds_t)(delay % 1000) * 1000 };
	evtimer_add(receiver->timer, &wait);
}

static const char *request_error_text(enum evhttp_request_error error)
{
	switch (error) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed or refused";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid response";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_REQUEST_CANCEL:
		return "cancelled";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "response too long";
	}
	return "failed";
}

static void on_request_error(enum evhttp_request_error error, void *ctx)
{
	struct receiver *receiver = ctx;

	snprintf(receiver->reason, sizeof(receiver->reason), "%s", request_error_text(error));
}

static void on_request_done(struct evhttp_request *request, void *ctx)
{
	struct receiver *receiver = ctx;
	int code = request ? evhttp_request_get_response_code(request) : 0;

	if (code >= 200 && code < 300) {
		delivered(receiver);
		return;
	}
	if (code > 0)
		snprintf(receiver->reason, sizeof(receiver->reason), "HTTP %d", code);
	failed(receiver);
}

/* ---- sending ------------------------------------------------------------------------ */

static int add_headers(struct receiver *receiver, struct evhttp_request *request)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(request);
	char signature[WEBHOOK_SIGNATURE_SIZE];

	if (evhttp_add_header(headers, "Host", receiver->authority) < 0 ||
	    evhttp_add_header(headers, "Content-Type", "application/json") < 0 ||
	    evhttp_add_header(headers, "User-Agent", "cadmond") < 0)
		return -1;
	if (receiver->secret_len == 0)
		return 0;
	if (webhook_sign(receiver->secret, receiver->secret_len, receiver->current.body,
			 receiver->current.len, signature) < 0)
		return -1;
	return evhttp_add_header(headers, "X-Cadmon-Signature", signature);
}

static void send_current(struct receiver *receiver)
{
	struct evhttp_request *request = evhttp_request_new(on_request_done, receiver);

	receiver->current.attempts++;
	if (receiver->current.attempts > 1)
		receiver->stats.retries++;
	snprintf(receiver->reason, sizeof(receiver->reason), "no answer");
	if (!request || add_headers(receiver, request) < 0 ||
	    evbuffer_add(evhttp_request_get_output_buffer(request), receiver->current.body,
			 receiver->current.len) < 0) {
		if (request)
			evhttp_request_free(request);
		snprintf(receiver->reason, sizeof(receiver->reason), "out of memory");
		failed(receiver);
		return;
	}
	evhttp_request_set_error_cb(request, on_request_error);
	if (evhttp_make_request(receiver->connection, request, EVHTTP_REQ_POST, receiver->path) <
	    0) {
		/* evhttp_make_request frees the request when it fails */
		snprintf(receiver->reason, sizeof(receiver->reason), "cannot connect");
		failed(receiver);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct receiver *receiver = ctx;

	(void)fd;
	(void)what;
	if (receiver->current.body)
		send_current(receiver);
	else
		start_next(receiver);
}

static void on_resend_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct receiver *receiver = ctx;
	size_t len = 0;
	char *body = am_alerts_resend(receiver->am, &len);

	(void)fd;
	(void)what;
	if (body)
		push(receiver, body, len);
}

/* ---- the set ------------------------------------------------------------------------ */

/* A host name needs the asynchronous resolver (getaddrinfo would block the loop); an IP not. */
static struct evdns_base *dns_for(struct receivers *receivers, const char *host)
{
	unsigned char address[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1)
		return NULL;
	if (!receivers->dns)
		receivers->dns = evdns_base_new(receivers->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	return receivers->dns;
}

/* config's hmac_secret_file (if any) into secret (WEBHOOK_SECRET_MAX bytes). 0, or -1 with why. */
static int read_secret(const struct config_receiver *config, char *secret, size_t *len, char *why,
		       size_t why_size)
{
	int rc;

	*len = 0;
	if (!config->hmac_secret_file[0] ||
	    (rc = webhook_read_secret(config->hmac_secret_file, secret, len)) == 0)
		return 0;
	snprintf(why, why_size, "receiver %s: cannot read hmac_secret_file %s: %s", config->name,
		 config->hmac_secret_file, rc == -EINVAL ? "empty" : strerror(-rc));
	return -1;
}

int receivers_check_secrets(const struct config *config, char *why, size_t why_size)
{
	static char secret[WEBHOOK_SECRET_MAX + 1];
	size_t len;

	for (size_t i = 0; i < config->receiver_count; i++)
		if (read_secret(&config->receivers[i], secret, &len, why, why_size) < 0)
			return -1;
	return 0;
}

static int receiver_init(struct receivers *receivers, struct receiver *receiver,
			 const struct config_receiver *config, size_t index,
			 uint32_t rate_limit_seconds, char *why, size_t why_size)
{
	char label[LOG_LIMIT_LABEL_MAX];

	receiver->receivers = receivers;
	receiver->config = *config;
	receiver->jitter_state = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
				 (index + 1) * 0x9e3779b97f4a7c15u;
	if (parse_url(receiver) < 0) {
		snprintf(why, why_size, "receiver %s: cannot use url %s", config->name,
			 config->url);
		return -1;
	}
	if (read_secret(config, receiver->secret, &receiver->secret_len, why, why_size) < 0)
		return -1;
	snprintf(label, sizeof(label), "receiver %s", config->name);
	log_limit_init(&receiver->failure_log, rate_limit_seconds, label);
	log_limit_init(&receiver->drop_log, rate_limit_seconds, label);
	limitwatch_init(&receiver->queue_drops, hostclock_monotonic_ms());
	receiver->queue = calloc(config->max_queue, sizeof(*receiver->queue));
	receiver->connection =
		evhttp_connection_base_new(receivers->base, dns_for(receivers, receiver->host),
					   receiver->host, receiver->port);
	receiver->timer = evtimer_new(receivers->base, on_timer, receiver);
	if (!receiver->queue || !receiver->connection || !receiver->timer) {
		snprintf(why, why_size, "receiver %s: out of memory", config->name);
		return -1;
	}
	struct timeval timeout = {.tv_sec = config->timeout_ms / 1000,
				  .tv_usec = (suseconds_t)(config->timeout_ms % 1000) * 1000};
	evhttp_connection_set_timeout_tv(receiver->connection, &timeout);
	evhttp_connection_set_retries(receiver->connection, 0);
	evhttp_connection_set_max_headers_size(receiver->connection, RECEIVER_RESPONSE_MAX);
	evhttp_connection_set_max_body_size(receiver->connection, RECEIVER_RESPONSE_MAX);
	if (config->type == CONFIG_RECEIVER_ALERTMANAGER) {
		receiver->am = am_alerts_new(RECEIVER_AM_OPEN_MAX);
		receiver->resend_timer =
			event_new(receivers->base, -1, EV_PERSIST, on_resend_timer, receiver);
		if (!receiver->am || !receiver->resend_timer) {
			snprintf(why, why_size, "receiver %s: out of memory", config->name);
			return -1;
		}
		struct timeval resend = {.tv_sec = config->resend_seconds};
		evtimer_add(receiver->resend_timer, &resend);
	}
	receiver->stats.down =
		receivers->hooks.is_open &&
		receivers->hooks.is_open(receivers->hooks.ctx, "receiver_down", config->name);
	log_msg(LOG_INFO, "receiver %s: %s at %s%s", config->name,
		config->type == CONFIG_RECEIVER_ALERTMANAGER ? "alertmanager" : "webhook",
		config->url, receiver->secret_len ? " (signed)" : "");
	return 0;
}

static void receiver_release(struct receiver *receiver)
{
	bool ran = receiver->connection && receiver->queue && receiver->timer;
	uint32_t unsent = receiver->count + (receiver->current.body ? 1 : 0);

	for (uint32_t i = 0; receiver->queue && i < receiver->count; i++)
		free(receiver->queue[(receiver->head + i) % receiver->config.max_queue].body);
	free(receiver->queue);
	free(receiver->current.body);
	am_alerts_free(receiver->am);
	log_limit_flush(&receiver->failure_log);
	log_limit_flush(&receiver->drop_log);
	if (ran)
		log_msg(LOG_INFO,
			"receiver %s: %" PRIu64 " delivered, %" PRIu64 " failed attempts, %" PRIu64
			" retries, %" PRIu64 " dropped, %" PRIu32 " unsent at the stop",
			receiver->config.name, receiver->stats.delivered, receiver->stats.failed,
			receiver->stats.retries, receiver->stats.dropped, unsent);
	if (receiver->connection)
		evhttp_connection_free(receiver->connection);
	if (receiver->timer)
		event_free(receiver->timer);
	if (receiver->resend_timer)
		event_free(receiver->resend_timer);
}

struct receivers *receivers_new(struct event_base *base, const struct config *config,
				const struct receivers_hooks *hooks, char *why, size_t why_size)
{
	struct receivers *receivers = calloc(1, sizeof(*receivers));

	if (!receivers ||
	    !(receivers->receivers = calloc(config->receiver_count + 1, sizeof(struct receiver)))) {
		free(receivers);
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	receivers->base = base;
	receivers->hooks = *hooks;
	for (size_t i = 0; i < config->receiver_count; i++, receivers->count++) {
		if (receiver_init(receivers, &receivers->receivers[i], &config->receivers[i], i,
				  config->log.rate_limit_seconds, why, why_size) < 0) {
			receivers->count++;
			receivers_free(receivers);
			return NULL;
		}
	}
	return receivers;
}

void receivers_free(struct receivers *receivers)
{
	if (!receivers)
		return;
	for (size_t i = 0; i < receivers->count; i++)
		receiver_release(&receivers->receivers[i]);
	if (receivers->dns)
		evdns_base_free(receivers->dns, 0);
	free(receivers->receivers);
	free(receivers);
}

/* A copy of json[0..len) with callers' numbers as the receiver's redact_ani says (malloc'd,
 * NUL-terminated; its length in *out_len), or NULL. */
static char *redacted_copy(const struct receiver *receiver, const char *json, size_t len,
			   size_t *out_len)
{
	size_t size = REDACT_OUT_MAX(len);
	char *copy = malloc(size);

	if (copy)
		*out_len = redact_line(receiver->config.redact_ani, json, len, copy, size);
	return copy;
}

static void take(struct receivers *receivers, const char *line, size_t line_len, bool seed)
{
	for (size_t i = 0; i < receivers->count; i++) {
		struct receiver *receiver = &receivers->receivers[i];
		size_t len = 0, body_len = 0;
		char *json, *body;

		if (!receiver->am && seed)
			continue; /* a webhook gets notices, not the board */
		if (!(json = redacted_copy(receiver, line, line_len, &len))) {
			log_msg(LOG_ERR, "receiver %s: out of memory: a notice is not sent",
				receiver->config.name);
			continue;
		}
		if (receiver->am) {
			body = am_alerts_notice(receiver->am, json, len, &body_len);
			free(json);
		} else {
			body = json; /* the webhook's body is the notice line */
			body_len = len;
		}
		if (body)
			push(receiver, body, body_len);
	}
}

void receivers_deliver(struct receivers *receivers, const char *json, size_t len)
{
	take(receivers, json, len, false);
}

void receivers_seed(struct receivers *receivers, const char *json, size_t len)
{
	take(receivers, json, len, true);
}

size_t receivers_count(const struct receivers *receivers)
{
	return receivers->count;
}

const struct receiver_stats *receivers_stats(struct receivers *receivers, size_t index,
					     const char **name)
{
	struct receiver *receiver = &receivers->receivers[index];

	receiver->stats.queued = receiver->count + (receiver->current.body ? 1 : 0);
	if (name)
		*name = receiver->config.name;
	return &receiver->stats;
}

void receivers_tick(struct receivers *receivers, int64_t now_ms, uint32_t quiet_seconds)
{
	const struct limitwatch_hooks hooks = { .control = receivers->hooks.control,
						.is_open = receivers->hooks.is_open,
						.ctx = receivers->hooks.ctx };

	for (size_t i = 0; hooks.control && i < receivers->count; i++) {
		struct receiver *receiver = &receivers->receivers[i];
		struct control about = { .kind = CONTROL_CONNECTION_LIMIT };

		snprintf(about.key, sizeof(about.key), "receivers[%s].max_queue",
			 receiver->config.name);
		text_copy(about.receiver, receiver->config.name, sizeof(about.receiver));
		if (limitwatch_tick(&receiver->queue_drops, &about, quiet_seconds, now_ms,
				    &hooks) == LIMITWATCH_RESOLVED)
			log_msg(LOG_NOTICE,
				"receiver %s: no request dropped for a full queue for %" PRIu32
				" s (%s); %" PRIu64 " in all",
				receiver->config.name, quiet_seconds, about.key,
				receiver->queue_drops.hits);
	}
}
