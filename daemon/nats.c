/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "nats.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>
#include <nats/nats.h>

#include "event.h"
#include "hostclock.h"
#include "limitwatch.h"
#include "log.h"
#include "mapping.h"
#include "nats_subject.h"
#include "statedir.h"

/* A message taken from a consumer, and then the journal record it waits for. */
struct nats_item {
	natsMsg *msg;
	uint64_t record_index; /* 0: not journaled (degraded): acknowledged once all is durable */
};

/* A fixed ring of items (the inbound queue, the messages awaiting their ack). */
struct nats_ring {
	struct nats_item *items;
	size_t capacity, head, count;
};

/* A notice waiting for the alerts stream. */
struct nats_notice {
	uint64_t seq;
	char *subject;
	char *msg_id;
	char *json;
	size_t len;
};

struct nats_consumer {
	struct nats *nats;
	char name[CONFIG_NATS_NAME_MAX + 24];
	char filter[CONFIG_NATS_SUBJECT_MAX + 4];
	natsSubscription *subscription;
	pthread_t thread;
	bool started;
	/* fetch thread only */
	uint64_t delivered;   /* consumer sequence of the last delivery taken (see nats_rewind) */
	uint64_t rewind_from; /* a rewind under way: the stream sequence to deliver from again */
	int64_t idle_since_ms; /* monotonic: the last fetch that took messages, or the last check */
	struct log_limit rewind_log;
};

struct nats {
	struct event_base *base;
	struct engine *engine;
	struct config_nats_copy {
		uint32_t max_line_bytes, fetch_batch, max_in_flight, max_alert_queue,
			reconnect_wait_ms, log_interval_seconds, limit_quiet_seconds;
		bool publish_alerts;
		char alerts_prefix[CONFIG_NATS_SUBJECT_MAX];
		char events_stream[CONFIG_NATS_NAME_MAX];
	} settings;
	struct nats_hooks hooks;
	natsConnection *connection;
	jsCtx *js;
	struct nats_consumer consumers[CONFIG_NATS_MAX_SUBJECTS];
	size_t consumer_count;
	pthread_t publisher;
	bool publisher_started;
	pthread_t starter; /* connects and prepares the consumers, then starts the fetch threads */
	bool starter_started;
	natsOptions *options;
	struct config config;  /* as at start (the starter thread's) */
	int wake[2];           /* the threads write a byte; the loop reads */
	struct event *wake_event;
	struct event *resume; /* the messages left at the snapshot's budget: the next iteration */

	pthread_mutex_t lock;  /* guards everything below */
	pthread_cond_t room;   /* the inbound queue has room (fetch threads wait) */
	pthread_cond_t notices_ready; /* the publisher waits */
	bool stopping;
	bool ready;            /* connected, consumers prepared: the publisher may publish */
	bool closed;           /* cnats made its last callback (the closed one) */
	bool woken;            /* a byte is in the pipe already */
	struct nats_ring inbound;
	uint32_t in_flight;    /* inbound + awaiting ack */
	struct nats_notice *notices;
	size_t notices_head, notices_count;
	bool publish_failing;  /* the publisher could not publish its last notice */
	char published_path[CONFIG_PATH_MAX + 32]; /* NATS_PUBLISHED_FILE; "" = not kept */
	char publish_error[CONTROL_REASON_MAX + 1];
	struct nats_stats stats;
	uint64_t first_dropped; /* lowest seq dropped for a full queue (0: none): the published
				 * mark stays below it, so the next start publishes it again */
	int64_t last_drop_ms;   /* monotonic, of the last notice dropped for a full queue */

	/* loop thread only */
	struct mapping *mapping;    /* nats.mapping: each message one record; NULL: one line */
	struct nats_ring awaiting_ack;
	uint64_t last_record_index; /* of the last line journaled */
	const struct replay_history *history; /* notices to publish again after a restart... */
	uint64_t republish_after, republish_until; /* ...those in (after, until]; after written
						    * under lock (the publisher reads it) */
	bool down_announced;
	struct limitwatch drops; /* alerts_dropped and last_drop_ms as the last tick saw them */
	struct log_limit drop_log;
	struct log_limit source_log; /* bad Cadmon-Source headers */
	struct log_limit epoch_log;  /* bad Cadmon-Epoch headers */
};

bool nats_available(void)
{
	return true;
}

/* ---- rings --------------------------------------------------------------------------- */

static int ring_init(struct nats_ring *ring, size_t capacity)
{
	ring->items = calloc(capacity, sizeof *ring->items);
	ring->capacity = capacity;
	ring->head = ring->count = 0;
	return ring->items ? 0 : -ENOMEM;
}

static void ring_push(struct nats_ring *ring, struct nats_item item)
{
	ring->items[(ring->head + ring->count) % ring->capacity] = item;
	ring->count++;
}

static struct nats_item *ring_front(struct nats_ring *ring)
{
	return ring->count ? &ring->items[ring->head] : NULL;
}

static void ring_pop(struct nats_ring *ring)
{
	ring->head = (ring->head + 1) % ring->capacity;
	ring->count--;
}

static void ring_destroy(struct nats_ring *ring)
{
	for (struct nats_item *item; (item = ring_front(ring)); ring_pop(ring))
		natsMsg_Destroy(item->msg);
	free(ring->items);
	ring->items = NULL;
}

/* ---- waking the loop ----------------------------------------------------------------- */

/* From any thread, lock held: have the loop look at the queues and the connection. */
static void wake_loop_locked(struct nats *nats)
{
	char byte = 1;

	if (nats->woken)
		return;
	nats->woken = true;
	if (write(nats->wake[1], &byte, 1) < 0 && errno != EAGAIN)
		nats->woken = false;
}

/* ---- events in (loop thread) --------------------------------------------------------- */

static void nats_republish(struct nats *nats);

/* The host time JetStream stored the message, ms; the host clock when it has none. Its stream
 * sequence in *stream_seq (0: none). */
static int64_t nats_stored_ms(natsMsg *msg, bool *redelivered, uint64_t *stream_seq)
{
	jsMsgMetaData *meta = NULL;
	int64_t stored_ms;

	*redelivered = false;
	*stream_seq = 0;
	if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
		stored_ms = meta->Timestamp / 1000000;
		*redelivered = meta->NumDelivered > 1;
		*stream_seq = meta->Sequence.Stream;
		jsMsgMetaData_Destroy(meta);
		return stored_ms;
	}
	return hostclock_wall_ms();
}

/* One line of a message: journaled, then the engine, exactly as a TCP feed line. Its journal
 * record (0: not journaled, degraded). */
static uint64_t nats_process_line(struct nats *nats, const struct engine_origin *origin,
				  natsMsg *msg, const char *line, size_t len)
{
	struct engine_verdict verdict;
	uint64_t record_index = nats->hooks.append_line(nats->hooks.ctx, origin, line, len);

	if (record_index)
		nats->last_record_index = record_index;
	engine_process_from(nats->engine, origin, line, len, &verdict);
	if (verdict.reject != EVENT_OK)
		log_limited(&nats->drop_log, LOG_WARNING, "nats: %s (source %s): rejected: %s: %s",
			    natsMsg_GetSubject(msg), origin->source,
			    event_reject_name(verdict.reject), verdict.why);
	return record_index;
}

_Static_assert(MAPPING_MAX_EVENTS < NATS_MAPPED_SEQ_PER_MESSAGE,
	       "a record's lines numbered within its message");

/* A message's record turning into lines (nats.mapping). */
struct nats_record {
	struct nats *nats;
	const struct engine_origin *origin;
	natsMsg *msg;
	uint64_t stream_seq;
	unsigned lines;          /* emitted so far */
	uint64_t record_index;   /* the last line's journal record */
	bool journaled_all;      /* every line journaled (none degraded) */
};

/* Each line of the record, numbered NATS_MAPPED_SEQ_PER_MESSAGE x the stream sequence + 1, 2,
 * 3: a message delivered again is then dropped by its source's seq, as a resent line is. */
static void nats_emit_mapped(const char *line, size_t len, void *ctx)
{
	struct nats_record *record = ctx;
	char numbered[MAPPING_LINE_MAX + 32];
	uint64_t seq = record->stream_seq * NATS_MAPPED_SEQ_PER_MESSAGE + ++record->lines;
	size_t kept = len < MAPPING_LINE_MAX ? len : MAPPING_LINE_MAX;
	int n = kept > 1 && line[0] == '{'
			? snprintf(numbered, sizeof numbered, "{\"seq\":%" PRIu64 ",%.*s", seq,
				   (int)(kept - 1), line + 1)
			: snprintf(numbered, sizeof numbered, "%.*s", (int)kept, line);

	if (n < 0 || (size_t)n >= sizeof numbered)
		n = snprintf(numbered, sizeof numbered, "%.*s", (int)kept, line);
	record->record_index =
		nats_process_line(record->nats, record->origin, record->msg, numbered, (size_t)n);
	record->journaled_all = record->journaled_all && record->record_index != 0;
}

/* A rejected record: counted and logged (the message is acknowledged, as a rejected line is). */
static void nats_reject_record(struct nats *nats, natsMsg *msg, enum mapping_status status,
			       const char *why)
{
	pthread_mutex_lock(&nats->lock);
	nats->stats.records_rejected++;
	pthread_mutex_unlock(&nats->lock);
	log_limited(&nats->drop_log, LOG_WARNING, "nats: %s: record rejected: %s: %s",
		    natsMsg_GetSubject(msg), mapping_status_name(status), why);
}

/* nats.mapping: the message's data is one record (its physical lines); its lines processed. The
 * journal record the acknowledgement waits for (0: degraded). */
static uint64_t nats_process_record(struct nats *nats, const struct engine_origin *origin,
				    natsMsg *msg, const char *data, size_t len, uint64_t stream_seq)
{
	struct nats_record record = { .nats = nats,
				      .origin = origin,
				      .msg = msg,
				      .stream_seq = stream_seq,
				      .journaled_all = true };
	enum mapping_status status = MAPPING_SKIPPED;
	char why[256];

	for (size_t at = 0; at <= len && status == MAPPING_SKIPPED;) {
		const char *end = memchr(data + at, '\n', len - at);
		size_t line_len = end ? (size_t)(end - (data + at)) : len - at;
		status = mapping_line(nats->mapping, data + at, line_len, nats_emit_mapped, &record,
				      why, sizeof why);
		at += line_len + 1;
	}
	if (status == MAPPING_SKIPPED)
		status = mapping_finish(nats->mapping, why, sizeof why);
	mapping_reset(nats->mapping);
	if (mapping_status_rejects(status))
		nats_reject_record(nats, msg, status, why);
	if (record.lines == 0) /* nothing to keep: acknowledged with the next commit */
		return nats->last_record_index ? nats->last_record_index : 1;
	return record.journaled_all ? record.record_index : 0;
}

/* Are a message's Cadmon-Source and Cadmon-Epoch ones a hello could give (event_source_check;
 * an epoch of at most EVENT_ID_MAX bytes)? If not, logged: the message goes on without a
 * source, as a hello's connection does. (A longer epoch was kept cut to EVENT_ID_MAX, so that
 * each of the sender's messages looked like a restart of its numbering.) */
static bool nats_origin_valid(struct nats *nats, natsMsg *msg, const char *source,
			      const char *epoch)
{
	char why[96];

	if (event_source_check(source, strlen(source), why, sizeof why) != EVENT_OK) {
		log_limited(&nats->source_log, LOG_WARNING,
			    "nats: %s: bad " NATS_HEADER_SOURCE
			    " header: %s; going on without a source",
			    natsMsg_GetSubject(msg), why);
		return false;
	}
	if (epoch && strlen(epoch) > EVENT_ID_MAX) {
		log_limited(&nats->epoch_log, LOG_WARNING,
			    "nats: %s (source %s): bad " NATS_HEADER_EPOCH
			    " header: \"epoch\" must be an integer or 1 to %d bytes; going on "
			    "without a source",
			    natsMsg_GetSubject(msg), source, EVENT_ID_MAX);
		return false;
	}
	return true;
}

/* One message: its line journaled, then the engine, exactly as a TCP feed line. Returns the
 * journal record the acknowledgement waits for (0: none, degraded). */
static uint64_t nats_process_message(struct nats *nats, natsMsg *msg)
{
	const char *source = NULL, *epoch = NULL, *data = natsMsg_GetData(msg);
	size_t len = data ? (size_t)natsMsg_GetDataLength(msg) : 0;
	char unnamed[CONFIG_NATS_SUBJECT_MAX + 8];
	struct engine_origin origin = {0}; /* a message is never a connection's first or close */
	uint64_t stream_seq;
	bool redelivered;

	origin.received_ms = nats_stored_ms(msg, &redelivered, &stream_seq);
	if (natsMsgHeader_Get(msg, NATS_HEADER_EPOCH, &epoch) != NATS_OK)
		epoch = NULL;
	if (natsMsgHeader_Get(msg, NATS_HEADER_SOURCE, &source) != NATS_OK || !source ||
	    !source[0] || !nats_origin_valid(nats, msg, source, epoch)) {
		snprintf(unnamed, sizeof unnamed, "nats:%s", natsMsg_GetSubject(msg));
		source = unnamed;
		epoch = NULL;
		origin.named = false;
	} else {
		origin.named = true;
	}
	origin.source = source;
	origin.epoch = epoch;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	pthread_mutex_lock(&nats->lock);
	nats->stats.received++;
	nats->stats.redelivered += redelivered;
	nats->stats.unnamed += !origin.named;
	pthread_mutex_unlock(&nats->lock);
	if (len > nats->settings.max_line_bytes) {
		pthread_mutex_lock(&nats->lock);
		nats->stats.too_long++;
		pthread_mutex_unlock(&nats->lock);
		log_limited(&nats->drop_log, LOG_WARNING,
			    "nats: %s: message of %zu bytes over feed.max_line_bytes: rejected",
			    natsMsg_GetSubject(msg), len);
		if (nats->hooks.append_reject)
			nats->hooks.append_reject(nats->hooks.ctx, EVENT_REJECT_LINE_TOO_LONG);
		if (nats->hooks.line_too_long)
			nats->hooks.line_too_long(nats->hooks.ctx, source);
		engine_count_reject(nats->engine, EVENT_REJECT_LINE_TOO_LONG);
		/* nothing to keep: acknowledged with the next commit, not held until all is
		 * durable */
		return nats->last_record_index ? nats->last_record_index : 1;
	}
	if (nats->mapping)
		return nats_process_record(nats, &origin, msg, data ? data : "", len, stream_seq);
	return nats_process_line(nats, &origin, msg, data ? data : "", len);
}

/* After a message of the loop's turn: more wait and the snapshot's time budget is spent. Only
 * the loop pops the inbound queue, so messages that waited behind this one when it was taken
 * (waited) still wait: the queue is asked again (its lock) only when none did, at the end of
 * a backlog. */
static bool nats_budget_spent(struct nats *nats, bool waited, unsigned *unchecked_lines)
{
	bool more = waited;

	if (!nats->hooks.budget_spent)
		return false;
	if (!more) {
		pthread_mutex_lock(&nats->lock);
		more = ring_front(&nats->inbound) != NULL;
		pthread_mutex_unlock(&nats->lock);
	}
	return more && nats->hooks.budget_spent(nats->hooks.ctx, unchecked_lines);
}

/* Take what the fetch threads queued, each message then waiting for its journal record; while
 * a snapshot is written, until the iteration's budget is spent: the rest in the next one. */
static void nats_drain_inbound(struct nats *nats)
{
	static const struct timeval next_iteration = { 0, 0 };
	unsigned unchecked_lines = 0;

	for (;;) {
		struct nats_item item, *front;
		bool waited = false;

		pthread_mutex_lock(&nats->lock);
		front = ring_front(&nats->inbound);
		if (front) {
			item = *front;
			ring_pop(&nats->inbound);
			waited = ring_front(&nats->inbound) != NULL;
		}
		pthread_mutex_unlock(&nats->lock);
		if (!front)
			return;
		item.record_index = nats_process_message(nats, item.msg);
		ring_push(&nats->awaiting_ack, item);
		if (nats_budget_spent(nats, waited, &unchecked_lines)) {
			evtimer_add(nats->resume, &next_iteration);
			return;
		}
	}
}

/* The next iteration after a turn cut short: the messages it left. */
static void nats_on_resume(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	nats_drain_inbound(ctx);
}

/* The cluster unreachable (connection down, or alerts not taken): a receiver_down notice
 * for "nats" while it lasts. */
static void nats_announce(struct nats *nats)
{
	struct control control = { .kind = CONTROL_RECEIVER_DOWN };
	bool down;
	char reason[CONTROL_REASON_MAX + 1];

	pthread_mutex_lock(&nats->lock);
	down = !nats->stats.connected || nats->publish_failing;
	snprintf(reason, sizeof reason, "%s",
		 !nats->stats.connected ? "disconnected from the NATS cluster"
					: nats->publish_error);
	pthread_mutex_unlock(&nats->lock);
	if (down == nats->down_announced || !nats->hooks.control)
		return;
	nats->down_announced = down;
	control.firing = down;
	snprintf(control.receiver, sizeof control.receiver, "nats");
	snprintf(control.reason, sizeof control.reason, "%s", down ? reason : "");
	log_msg(down ? LOG_WARNING : LOG_NOTICE, "nats: %s",
		down ? reason : "the cluster answers again");
	nats->hooks.control(nats->hooks.ctx, &control);
}

static void nats_on_wake(evutil_socket_t fd, short what, void *ctx)
{
	struct nats *nats = ctx;
	char bytes[64];

	(void)what;
	pthread_mutex_lock(&nats->lock);
	while (read(fd, bytes, sizeof bytes) > 0)
		;
	nats->woken = false;
	pthread_mutex_unlock(&nats->lock);
	nats_drain_inbound(nats);
	nats_announce(nats);
}

void nats_tick(struct nats *nats, int64_t now_ms)
{
	if (!nats || !nats->hooks.control)
		return;
	const struct limitwatch_hooks hooks = { .control = nats->hooks.control,
						.is_open = nats->hooks.is_open,
						.ctx = nats->hooks.ctx };
	const struct control about = { .kind = CONTROL_CONNECTION_LIMIT, .key = NATS_QUEUE_KEY };

	pthread_mutex_lock(&nats->lock);
	nats->drops.hits = nats->stats.alerts_dropped;
	nats->drops.last_hit_ms = nats->last_drop_ms;
	pthread_mutex_unlock(&nats->lock);
	if (limitwatch_tick(&nats->drops, &about, nats->settings.limit_quiet_seconds, now_ms,
			    &hooks) == LIMITWATCH_RESOLVED)
		log_msg(LOG_NOTICE,
			"nats: no notice dropped for %" PRIu32 " s (%s); %" PRIu64 " in all",
			nats->settings.limit_quiet_seconds, NATS_QUEUE_KEY, nats->drops.hits);
}

void nats_acknowledge(struct nats *nats, uint64_t durable_index)
{
	uint32_t acked = 0;

	if (!nats)
		return;
	nats_republish(nats);
	for (struct nats_item *item; (item = ring_front(&nats->awaiting_ack));) {
		if (durable_index != UINT64_MAX &&
		    (item->record_index == 0 || item->record_index > durable_index))
			break;
		natsMsg_Ack(item->msg, NULL);
		natsMsg_Destroy(item->msg);
		ring_pop(&nats->awaiting_ack);
		acked++;
	}
	if (acked == 0)
		return;
	pthread_mutex_lock(&nats->lock);
	nats->stats.acknowledged += acked;
	nats->in_flight -= acked;
	pthread_cond_broadcast(&nats->room);
	pthread_mutex_unlock(&nats->lock);
}

/* ---- fetch threads ------------------------------------------------------------------- */

/* NATS subject matching: filter tokens "*" (one token) and a last ">" (one or more). */
static bool nats_filter_matches(const char *filter, const char *subject)
{
	for (;;) {
		size_t filter_len = strcspn(filter, "."), subject_len = strcspn(subject, ".");
		if (filter_len == 1 && filter[0] == '>')
			return subject_len > 0;
		if (!(filter_len == 1 && filter[0] == '*') &&
		    (filter_len != subject_len || strncmp(filter, subject, filter_len) != 0))
			return false;
		filter += filter_len;
		subject += subject_len;
		if (!*filter || !*subject)
			return !*filter && !*subject;
		filter++;
		subject++;
	}
}

/* With several nats.subjects the consumer reads every agency: is this message ours? */
static bool nats_wanted(const struct nats *nats, natsMsg *msg)
{
	const char *subject = natsMsg_GetSubject(msg);

	if (nats->config.nats.subject_count <= 1)
		return true;
	for (size_t i = 0; i < nats->config.nats.subject_count; i++)
		if (nats_filter_matches(nats->config.nats.subjects[i], subject))
			return true;
	return false;
}

/* Wait for room in the inbound queue: how many messages may be fetched (0: stopping). */
static int nats_wait_room(struct nats *nats)
{
	uint32_t room;

	pthread_mutex_lock(&nats->lock);
	while (!nats->stopping && nats->in_flight >= nats->settings.max_in_flight)
		pthread_cond_wait(&nats->room, &nats->lock);
	room = nats->stopping ? 0 : nats->settings.max_in_flight - nats->in_flight;
	if (room > nats->settings.fetch_batch) /* a reload may change it */
		room = nats->settings.fetch_batch;
	pthread_mutex_unlock(&nats->lock);
	return (int)room;
}

/* ---- lost deliveries (fetch thread) -------------------------------------------------- */

static natsStatus nats_create_consumer(struct nats *nats, const struct config *config,
				       struct nats_consumer *consumer, uint64_t start, char *why,
				       size_t why_size);
static int nats_pull_subscribe(struct nats *nats, const struct config *config,
			       struct nats_consumer *consumer, char *why, size_t why_size);
static bool nats_pause(struct nats *nats, uint32_t ms);

/* The place in list of the first message delivered after one that never came (its consumer
 * sequence past the last taken + 1: each delivery, redeliveries included, takes the next);
 * list->Count when none. consumer->delivered follows the messages before it; *lost_to is the
 * last consumer sequence lost. */
static int nats_first_after_loss(struct nats_consumer *consumer, const natsMsgList *list,
				 uint64_t *lost_to)
{
	for (int i = 0; i < list->Count; i++) {
		jsMsgMetaData *meta = NULL;
		uint64_t seq;

		if (natsMsg_GetMetaData(&meta, list->Msgs[i]) != NATS_OK || !meta)
			continue;
		seq = meta->Sequence.Consumer;
		jsMsgMetaData_Destroy(meta);
		if (seq > consumer->delivered + 1) {
			*lost_to = seq - 1;
			return i;
		}
		/* not higher: a consumer leader elected without the old one's last deliveries
		 * numbers
		 * them again; what it delivers again is dropped as duplicates */
		consumer->delivered = seq;
	}
	return list->Count;
}

/* Wait until every message taken is acknowledged: false when stopping. */
static bool nats_wait_acknowledged(struct nats *nats)
{
	bool going_on;

	pthread_mutex_lock(&nats->lock);
	while (!nats->stopping && nats->in_flight > 0)
		pthread_cond_wait(&nats->room, &nats->lock);
	going_on = !nats->stopping;
	pthread_mutex_unlock(&nats->lock);
	return going_on;
}

/* The stream sequence to deliver from again: the consumer's ack floor + 1 once JetStream took
 * every acknowledgement sent (its floor reached the last delivery taken), or as it is after
 * NATS_REWIND_FLOOR_WAIT_MS (a few more then come again, dropped as duplicates). 0: the
 * consumer cannot be read now. Waiting for the floor also keeps an acknowledgement of the old
 * consumer's from reaching the new one. */
static uint64_t nats_rewind_start(struct nats *nats, struct nats_consumer *consumer)
{
	int64_t until = hostclock_monotonic_ms() + NATS_REWIND_FLOOR_WAIT_MS;
	uint64_t start = 0;

	for (;;) {
		jsConsumerInfo *info = NULL;
		jsErrCode jerr = 0;
		bool floor_reached = false;

		if (js_GetConsumerInfo(&info, nats->js, nats->config.nats.events_stream,
				       consumer->name, NULL, &jerr) == NATS_OK) {
			floor_reached = info->AckFloor.Consumer >= consumer->delivered;
			start = info->AckFloor.Stream + 1;
			jsConsumerInfo_Destroy(info);
		}
		if (floor_reached || hostclock_monotonic_ms() >= until ||
		    !nats_pause(nats, NATS_REWIND_POLL_MS))
			return start;
	}
}

/* Once every message taken is acknowledged, the consumer created again (and subscribed to)
 * to deliver from its ack floor + 1 (from_ack_floor) or from the stream's first message;
 * retried every nats.reconnect_wait_ms while the cluster cannot. False: stopping. */
static bool nats_recreate(struct nats *nats, struct nats_consumer *consumer, bool from_ack_floor)
{
	char why[512];

	pthread_mutex_lock(&nats->lock);
	consumer->rewind_log.interval_seconds =
		nats->settings.log_interval_seconds; /* a reload may change it */
	pthread_mutex_unlock(&nats->lock);
	if (!nats_wait_acknowledged(nats))
		return false;
	natsSubscription_Destroy(consumer->subscription);
	consumer->subscription = NULL;
	for (;;) {
		why[0] = '\0';
		if (from_ack_floor && consumer->rewind_from == 0)
			consumer->rewind_from = nats_rewind_start(nats, consumer);
		if ((!from_ack_floor || consumer->rewind_from != 0) &&
		    nats_create_consumer(nats, &nats->config, consumer,
					 from_ack_floor ? consumer->rewind_from : 0, why,
					 sizeof why) == NATS_OK &&
		    nats_pull_subscribe(nats, &nats->config, consumer, why, sizeof why) == 0)
			return true;
		log_limited(&consumer->rewind_log, LOG_WARNING,
			    "nats: consumer %s: cannot deliver again yet: %s", consumer->name,
			    why[0] ? why : "its ack floor cannot be read");
		if (!nats_pause(nats, nats->settings.reconnect_wait_ms))
			return false;
	}
}

/*
 * Deliveries lost on the way (a node killed, a connection cut) would come again only after
 * nats.ack_wait_seconds, behind later ones, by then older than the tracker takes (too_late).
 * Instead, once every message taken is acknowledged, the consumer is created again at its ack
 * floor + 1 (as at start after a restart): the lost deliveries come now, in stream order; the
 * messages processed already come again and are dropped as duplicates. Retried every
 * nats.reconnect_wait_ms while the cluster cannot do it. False: stopping.
 */
static bool nats_rewind(struct nats *nats, struct nats_consumer *consumer, uint64_t lost_to)
{
	uint64_t lost_from = consumer->delivered + 1;

	pthread_mutex_lock(&nats->lock);
	nats->stats.rewinds++;
	pthread_mutex_unlock(&nats->lock);
	if (!nats_recreate(nats, consumer, true))
		return false;
	log_limited(&consumer->rewind_log, LOG_NOTICE,
		    "nats: consumer %s: deliveries %" PRIu64 " to %" PRIu64
		    " were lost on the way; delivering again from stream sequence %" PRIu64,
		    consumer->name, lost_from, lost_to, consumer->rewind_from);
	consumer->rewind_from = 0;
	return true;
}

/*
 * A fetch that takes nothing cannot tell a quiet stream from a consumer (or stream) deleted
 * under cadmond: after NATS_CONSUMER_CHECK_MS without a message the consumer is looked up, and
 * when JetStream no longer has it, created again to deliver the stream from its first message
 * (as a consumer whose filter changed: what was processed already comes again and is dropped
 * as duplicates; a stream deleted and created again is read whole). Logged; while the stream
 * is missing, the creation is retried (nats_recreate). False: stopping.
 */
static bool nats_check_consumer(struct nats *nats, struct nats_consumer *consumer)
{
	jsConsumerInfo *info = NULL;
	jsErrCode jerr = 0;
	int64_t now_ms = hostclock_monotonic_ms();

	if (now_ms - consumer->idle_since_ms < NATS_CONSUMER_CHECK_MS)
		return true;
	consumer->idle_since_ms = now_ms;
	if (js_GetConsumerInfo(&info, nats->js, nats->config.nats.events_stream, consumer->name,
			       NULL, &jerr) == NATS_OK) {
		jsConsumerInfo_Destroy(info);
		return true;
	}
	if (jerr != JSConsumerNotFoundErr && jerr != JSStreamNotFoundErr)
		return true; /* not answered now (a node down, an election): asked again later */
	log_msg(LOG_WARNING,
		"nats: consumer %s is gone from stream %s (%s): creating it again, delivering "
		"the stream from its first message",
		consumer->name, nats->config.nats.events_stream,
		jerr == JSStreamNotFoundErr ? "the stream was deleted" : "it was deleted");
	return nats_recreate(nats, consumer, false);
}

static void *nats_fetch_thread(void *arg)
{
	struct nats_consumer *consumer = arg;
	struct nats *nats = consumer->nats;
	int batch;

	consumer->idle_since_ms = hostclock_monotonic_ms();
	while ((batch = nats_wait_room(nats)) > 0) {
		natsMsgList list = { 0 };
		jsErrCode jerr = 0;
		natsStatus status = natsSubscription_Fetch(&list, consumer->subscription, batch,
							   NATS_FETCH_WAIT_MS, &jerr);

		if (status != NATS_OK && status != NATS_TIMEOUT) {
			pthread_mutex_lock(&nats->lock);
			nats->stats.fetch_errors++;
			pthread_mutex_unlock(&nats->lock);
			usleep(100 * 1000); /* disconnected: cnats reconnects meanwhile */
		}
		if (list.Count == 0) {
			natsMsgList_Destroy(&list);
			if (!nats_check_consumer(nats, consumer))
				break;
			continue;
		}
		consumer->idle_since_ms = hostclock_monotonic_ms();
		/* After a lost delivery nothing is taken (not acknowledged: the rewind delivers it
		 * again). */
		uint64_t skipped = 0, lost_to = 0;
		int kept = nats_first_after_loss(consumer, &list, &lost_to), count = list.Count;
		for (int i = kept; i < list.Count; i++) {
			natsMsg_Destroy(list.Msgs[i]);
			list.Msgs[i] = NULL;
		}
		for (int i = 0; i < kept; i++)
			if (!nats_wanted(nats, list.Msgs[i])) {
				natsMsg_Ack(list.Msgs[i], NULL);
				natsMsg_Destroy(list.Msgs[i]);
				list.Msgs[i] = NULL;
				skipped++;
			}
		pthread_mutex_lock(&nats->lock);
		nats->stats.skipped += skipped;
		for (int i = 0; i < list.Count; i++) {
			if (!list.Msgs[i])
				continue;
			ring_push(&nats->inbound, (struct nats_item){ .msg = list.Msgs[i] });
			list.Msgs[i] = NULL;
			nats->in_flight++;
		}
		wake_loop_locked(nats);
		pthread_mutex_unlock(&nats->lock);
		natsMsgList_Destroy(&list);
		if (kept < count && !nats_rewind(nats, consumer, lost_to))
			break;
	}
	return NULL;
}

/* ---- alerts out ---------------------------------------------------------------------- */

static void notice_free(struct nats_notice *notice)
{
	free(notice->subject);
	free(notice->msg_id);
	free(notice->json);
	memset(notice, 0, sizeof *notice);
}

static const char *object_string(struct json_object *object, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(object, key, &value) &&
			       json_object_is_type(value, json_type_string)
		       ? json_object_get_string(value)
		       : "";
}

/* The notice's subject and Nats-Msg-Id: ALERT_ID:KIND:TS (the same on an active/active
 * pair fed the same events: alert_id and the event-time ts are deterministic). */
static int notice_of(const struct nats *nats, const char *json, size_t len,
		     struct nats_notice *notice)
{
	struct json_object *object = control_parse_object(json, len);
	char token[CONFIG_NATS_SUBJECT_MAX], text[512];
	int rc = -EINVAL;

	memset(notice, 0, sizeof *notice);
	if (!object)
		return rc;
	if (strcmp(object_string(object, "type"), "system") == 0)
		snprintf(token, sizeof token, "_system");
	else
		nats_subject_agency_token(object_string(object, "agency"), token, sizeof token);
	snprintf(text, sizeof text, "%s.%s", nats->settings.alerts_prefix, token);
	notice->subject = strdup(text);
	snprintf(text, sizeof text, "%s:%s:%s", object_string(object, "alert_id"),
		 object_string(object, "alert"), object_string(object, "ts"));
	notice->msg_id = strdup(text);
	struct json_object *seq;
	if (json_object_object_get_ex(object, "seq", &seq) &&
	    json_object_is_type(seq, json_type_int))
		notice->seq = (uint64_t)json_object_get_int64(seq);
	notice->json = malloc(len);
	if (notice->subject && notice->msg_id && notice->json) {
		memcpy(notice->json, json, len);
		notice->len = len;
		rc = 0;
	} else {
		notice_free(notice);
		rc = -ENOMEM;
	}
	json_object_put(object);
	return rc;
}

void nats_publish_alert(struct nats *nats, const char *json, size_t len)
{
	struct nats_notice notice;
	bool full;

	if (!nats || !nats->settings.publish_alerts)
		return;
	if (notice_of(nats, json, len, &notice) < 0) {
		log_limited(&nats->drop_log, LOG_ERR,
			    "nats: a notice could not be prepared for the alerts stream");
		return;
	}
	pthread_mutex_lock(&nats->lock);
	full = nats->notices_count >= nats->settings.max_alert_queue;
	if (full) {
		nats->stats.alerts_dropped++;
		nats->last_drop_ms = hostclock_monotonic_ms();
		if (notice.seq != 0 &&
		    (nats->first_dropped == 0 || notice.seq < nats->first_dropped))
			nats->first_dropped = notice.seq;
	} else {
		nats->notices[(nats->notices_head + nats->notices_count) %
			      nats->settings.max_alert_queue] = notice;
		nats->notices_count++;
		nats->stats.alert_queue = (uint32_t)nats->notices_count;
		pthread_cond_signal(&nats->notices_ready);
	}
	pthread_mutex_unlock(&nats->lock);
	if (full) {
		log_limited(&nats->drop_log, LOG_WARNING,
			    "nats: %u notices wait for the alerts stream "
			    "(nats.max_alert_queue): notice %s dropped for NATS",
			    nats->settings.max_alert_queue, notice.msg_id);
		notice_free(&notice);
	}
}

/* Publish one notice and wait for its PubAck: 0, or the reason in why. */
static int nats_publish_one(struct nats *nats, const struct nats_notice *notice, bool *duplicate,
			    char *why, size_t why_size)
{
	natsMsg *msg = NULL;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsStatus status =
		natsMsg_Create(&msg, notice->subject, NULL, notice->json, (int)notice->len);

	if (status == NATS_OK)
		status = natsMsgHeader_Set(msg, "Nats-Msg-Id", notice->msg_id);
	if (status == NATS_OK)
		status = js_PublishMsg(&ack, nats->js, msg, NULL, &jerr);
	natsMsg_Destroy(msg);
	if (status != NATS_OK) {
		snprintf(why, why_size, "alerts stream: %s (%s)", natsStatus_GetText(status),
			 notice->subject);
		return -EIO;
	}
	*duplicate = ack->Duplicate;
	jsPubAck_Destroy(ack);
	return 0;
}

/* The directory of path fsynced (a rename made durable). */
static void nats_fsync_directory(const char *path)
{
	char directory[CONFIG_PATH_MAX + 32];
	char *slash;
	int fd;

	snprintf(directory, sizeof directory, "%s", path);
	if (!(slash = strrchr(directory, '/')))
		return;
	*slash = '\0';
	if ((fd = open(directory[0] ? directory : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	fsync(fd);
	close(fd);
}

/* The seq up to which every notice delivered is on the alerts stream (see nats.h): written
 * without fsync after each PubAck (publisher thread), with fsync the first time (at start). */
static void nats_write_published(const struct nats *nats, uint64_t seq, bool durable)
{
	char tmp[sizeof nats->published_path + 8];
	FILE *file;

	if (!nats->published_path[0])
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", nats->published_path);
	if (!(file = fopen(tmp, "we")))
		return;
	fprintf(file, "%" PRIu64 "\n", seq);
	if (durable && (fflush(file) != 0 || fsync(fileno(file)) != 0)) {
		fclose(file);
		return;
	}
	if (fclose(file) == 0 && rename(tmp, nats->published_path) == 0 && durable)
		nats_fsync_directory(nats->published_path);
}

/* found: the file exists. One that cannot be read (cut by a power loss) counts as 0: every
 * notice of the history is published again. */
static uint64_t nats_read_published(const struct nats *nats, bool *found)
{
	FILE *file = nats->published_path[0] ? fopen(nats->published_path, "re") : NULL;
	unsigned long long seq = 0;

	*found = file != NULL;
	if (file && fscanf(file, "%llu", &seq) != 1) {
		log_msg(LOG_WARNING,
			"nats: %s cannot be read: every notice of the history is published again",
			nats->published_path);
		seq = 0;
	}
	if (file)
		fclose(file);
	return seq;
}

/* What NATS_PUBLISHED_FILE may say once acked was acknowledged (lock held): not past a notice
 * still queued before it, nor past one of the history not queued yet (republishing), nor past
 * one dropped for a full queue (published again by the next start). */
static uint64_t nats_published_mark_locked(const struct nats *nats, uint64_t acked)
{
	uint64_t mark = acked;

	for (size_t i = 0; i < nats->notices_count; i++) {
		uint64_t seq =
			nats->notices[(nats->notices_head + i) % nats->settings.max_alert_queue]
				.seq;
		if (seq != 0 && seq <= mark)
			mark = seq - 1;
	}
	if (nats->republish_after < nats->republish_until && nats->republish_after < mark)
		mark = nats->republish_after;
	if (nats->first_dropped != 0 && mark >= nats->first_dropped)
		mark = nats->first_dropped - 1;
	return mark;
}

static void nats_emit_history(void *ctx, const char *line, size_t len)
{
	nats_publish_alert(ctx, line, len);
}

/* At start: publish again what the alerts stream may not have (see nats.h). The first time
 * (no file yet), only what comes from now on. */
static void nats_publish_history(struct nats *nats, const struct replay_history *history)
{
	bool found;
	uint64_t after = nats_read_published(nats, &found), newest;

	if (!history || !nats->settings.publish_alerts)
		return;
	newest = history->newest(history->ctx);
	/* durable: a file missing at the next start would skip what is not published */
	if (!found) {
		nats_write_published(nats, newest, true);
		return;
	}
	if (after < newest)
		log_msg(LOG_INFO,
			"nats: publishing notices %" PRIu64 " to %" PRIu64
			" again (the alerts stream "
			"collapses the ones it has)",
			after + 1, newest);
	nats->history = history;
	nats->republish_after = after;
	nats->republish_until = newest;
	nats_republish(nats);
}

/* Go on with the notices to publish again: those recovery delivered are journaled only by
 * the first commit, so what the history cannot give yet is read after each commit. */
static void nats_republish(struct nats *nats)
{
	while (nats->history && nats->republish_after < nats->republish_until) {
		uint64_t read = nats->history->read(nats->history->ctx, nats->republish_after,
						    1u << 20, nats_emit_history, nats);
		if (read <= nats->republish_after)
			return;
		pthread_mutex_lock(
			&nats->lock); /* the publisher reads it (nats_published_mark_locked) */
		nats->republish_after = read;
		pthread_mutex_unlock(&nats->lock);
	}
}

static void *nats_publisher_thread(void *arg)
{
	struct nats *nats = arg;

	pthread_mutex_lock(&nats->lock);
	for (;;) {
		while (!nats->stopping && (nats->notices_count == 0 || !nats->ready))
			pthread_cond_wait(&nats->notices_ready, &nats->lock);
		if (nats->stopping)
			break;
		struct nats_notice notice = nats->notices[nats->notices_head];
		char why[CONTROL_REASON_MAX + 1];
		bool duplicate = false;
		pthread_mutex_unlock(&nats->lock);
		int rc = nats_publish_one(nats, &notice, &duplicate, why, sizeof why);
		pthread_mutex_lock(&nats->lock);
		if (rc < 0) {
			nats->stats.alerts_failures++;
			if (!nats->publish_failing) {
				nats->publish_failing = true;
				snprintf(nats->publish_error, sizeof nats->publish_error, "%s",
					 why);
				wake_loop_locked(nats);
			}
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += nats->settings.reconnect_wait_ms / 1000;
			until.tv_nsec += (long)(nats->settings.reconnect_wait_ms % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			if (!nats->stopping)
				pthread_cond_timedwait(&nats->notices_ready, &nats->lock, &until);
			continue;
		}
		nats->stats.alerts_published++;
		nats->stats.alerts_duplicates += duplicate;
		notice_free(&nats->notices[nats->notices_head]);
		nats->notices_head = (nats->notices_head + 1) % nats->settings.max_alert_queue;
		nats->notices_count--;
		if (notice.seq != 0)
			nats_write_published(nats, nats_published_mark_locked(nats, notice.seq),
					     false);
		nats->stats.alert_queue = (uint32_t)nats->notices_count;
		if (nats->publish_failing) {
			nats->publish_failing = false;
			wake_loop_locked(nats);
		}
	}
	pthread_mutex_unlock(&nats->lock);
	return NULL;
}

/* ---- connection ---------------------------------------------------------------------- */

static void nats_on_disconnected(natsConnection *connection, void *closure)
{
	struct nats *nats = closure;

	(void)connection;
	pthread_mutex_lock(&nats->lock);
	if (nats->stats.connected)
		nats->stats.disconnects++;
	nats->stats.connected = false;
	wake_loop_locked(nats);
	pthread_mutex_unlock(&nats->lock);
}

static void nats_on_reconnected(natsConnection *connection, void *closure)
{
	struct nats *nats = closure;

	(void)connection;
	pthread_mutex_lock(&nats->lock);
	nats->stats.reconnects++;
	nats->stats.connected = true;
	wake_loop_locked(nats);
	pthread_mutex_unlock(&nats->lock);
}

/* The connection is closed: cnats calls nothing of ours after this (nats_free waits for it). */
static void nats_on_closed(natsConnection *connection, void *closure)
{
	struct nats *nats = closure;

	(void)connection;
	pthread_mutex_lock(&nats->lock);
	nats->closed = true;
	pthread_cond_broadcast(&nats->room);
	pthread_mutex_unlock(&nats->lock);
}

/* Close the connection and wait (at most NATS_CLOSE_WAIT_MS) until cnats has made its last
 * callback, so that none runs after nats is freed. */
static void nats_close_connection(struct nats *nats)
{
	struct timespec until;

	if (!nats->connection)
		return;
	natsConnection_Close(nats->connection);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += NATS_CLOSE_WAIT_MS / 1000;
	pthread_mutex_lock(&nats->lock);
	while (!nats->closed)
		if (pthread_cond_timedwait(&nats->room, &nats->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&nats->lock);
}

/* The first line of a token file, without its line ending. */
static int read_token(const char *path, char *token, size_t size, char *why, size_t why_size)
{
	FILE *file = fopen(path, "re");

	if (!file || !fgets(token, (int)size, file)) {
		snprintf(why, why_size, "nats.token_file %s: cannot read: %s", path,
			 file ? "empty" : strerror(errno));
		if (file)
			fclose(file);
		return -1;
	}
	fclose(file);
	token[strcspn(token, "\r\n")] = '\0';
	return 0;
}

static natsStatus nats_set_auth(natsOptions *options, const struct config *config, char *why,
				size_t why_size)
{
	char token[1024];
	natsStatus status = NATS_OK;

	if (config->nats.credentials[0])
		status = natsOptions_SetUserCredentialsFromFiles(options, config->nats.credentials,
								 NULL);
	if (status == NATS_OK && config->nats.token_file[0]) {
		if (read_token(config->nats.token_file, token, sizeof token, why, why_size) < 0)
			return NATS_ERR;
		status = natsOptions_SetToken(options, token);
		memset(token, 0, sizeof token);
	}
	if (status == NATS_OK && config->nats.tls_ca[0])
		status = natsOptions_LoadCATrustedCertificates(options, config->nats.tls_ca);
	if (status == NATS_OK && config->nats.tls_certificate[0])
		status = natsOptions_LoadCertificatesChain(options, config->nats.tls_certificate,
							   config->nats.tls_key);
	if (status == NATS_OK && (config->nats.tls_ca[0] || config->nats.tls_certificate[0]))
		status = natsOptions_SetSecure(options, true);
	if (status != NATS_OK && !why[0])
		snprintf(why, why_size, "nats: credentials or TLS files: %s",
			 nats_GetLastError(NULL));
	return status;
}

static natsStatus nats_options(struct nats *nats, const struct config *config, natsOptions **out,
			       char *why, size_t why_size)
{
	const char *servers[CONFIG_NATS_MAX_SERVERS];
	natsOptions *options = NULL;
	natsStatus status = natsOptions_Create(&options);

	for (size_t i = 0; i < config->nats.server_count; i++)
		servers[i] = config->nats.servers[i];
	if (status == NATS_OK)
		status = natsOptions_SetServers(options, servers, (int)config->nats.server_count);
	if (status == NATS_OK)
		status = natsOptions_SetName(options, "cadmond");
	if (status == NATS_OK)
		status = natsOptions_SetTimeout(options, config->nats.connect_timeout_ms);
	if (status == NATS_OK)
		status = natsOptions_SetReconnectWait(options, config->nats.reconnect_wait_ms);
	if (status == NATS_OK) /* a server that stopped answering, its connection still open */
		status = natsOptions_SetPingInterval(options, NATS_PING_INTERVAL_MS);
	if (status == NATS_OK)
		status = natsOptions_SetMaxPingsOut(options, NATS_MAX_PINGS_OUT);
	if (status == NATS_OK)
		status = natsOptions_SetMaxReconnect(
			options, config->nats.max_reconnect_attempts == 0
					 ? -1
					 : (int)config->nats.max_reconnect_attempts);
	if (status == NATS_OK)
		status = natsOptions_SetDisconnectedCB(options, nats_on_disconnected, nats);
	if (status == NATS_OK)
		status = natsOptions_SetReconnectedCB(options, nats_on_reconnected, nats);
	if (status == NATS_OK)
		status = natsOptions_SetClosedCB(options, nats_on_closed, nats);
	if (status == NATS_OK)
		status = nats_set_auth(options, config, why, why_size);
	if (status != NATS_OK) {
		if (!why[0])
			snprintf(why, why_size, "nats: options: %s", natsStatus_GetText(status));
		natsOptions_Destroy(options);
		return status;
	}
	*out = options;
	return NATS_OK;
}

/* The durable consumer (deleted first if it exists) created to deliver from stream sequence
 * start (0: from the first); consumer->delivered is then 0. */
static natsStatus nats_create_consumer(struct nats *nats, const struct config *config,
				       struct nats_consumer *consumer, uint64_t start, char *why,
				       size_t why_size)
{
	jsConsumerInfo *info = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	natsStatus status = js_DeleteConsumer(nats->js, config->nats.events_stream, consumer->name,
					      NULL, &jerr);

	if (status != NATS_OK && jerr != JSConsumerNotFoundErr) {
		snprintf(why, why_size, "stream %s: cannot delete consumer %s: %s",
			 config->nats.events_stream, consumer->name, nats_GetLastError(NULL));
		return status;
	}
	jsConsumerConfig_Init(&cc);
	cc.Durable = consumer->name;
	cc.FilterSubject = consumer->filter;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = (int64_t)config->nats.ack_wait_seconds * 1000000000;
	cc.MaxAckPending = config->nats.max_in_flight;
	cc.DeliverPolicy = start > 1 ? js_DeliverByStartSequence : js_DeliverAll;
	cc.OptStartSeq = start > 1 ? start : 0;
	status = js_AddConsumer(&info, nats->js, config->nats.events_stream, &cc, NULL, &jerr);
	if (status != NATS_OK) {
		snprintf(why, why_size, "stream %s: cannot create consumer %s: %s",
			 config->nats.events_stream, consumer->name, nats_GetLastError(NULL));
		return status;
	}
	consumer->delivered = 0;
	jsConsumerInfo_Destroy(info);
	return NATS_OK;
}

/* Create the durable consumer, or set it to redeliver from its ack floor in stream order
 * (see nats.h, "After a restart"). */
static natsStatus nats_prepare_consumer(struct nats *nats, const struct config *config,
					struct nats_consumer *consumer, char *why, size_t why_size)
{
	jsConsumerInfo *info = NULL;
	jsErrCode jerr = 0;
	uint64_t start = 0;
	natsStatus status = js_GetConsumerInfo(&info, nats->js, config->nats.events_stream,
					       consumer->name, NULL, &jerr);

	if (status == NATS_OK) {
		bool same_filter = info->Config && info->Config->FilterSubject &&
				   strcmp(info->Config->FilterSubject, consumer->filter) == 0;
		bool pending =
			info->NumAckPending > 0 || info->Delivered.Stream > info->AckFloor.Stream;
		if (same_filter && !pending) {
			consumer->delivered = info->Delivered.Consumer;
			jsConsumerInfo_Destroy(info);
			return NATS_OK;
		}
		start = same_filter ? info->AckFloor.Stream + 1 : 0;
		log_msg(LOG_NOTICE,
			"nats: consumer %s: %s; delivering again from stream sequence %" PRIu64,
			consumer->name,
			same_filter ? "messages were not acknowledged" : "its filter changed",
			start ? start : 1);
		jsConsumerInfo_Destroy(info);
	} else if (jerr != JSConsumerNotFoundErr) {
		snprintf(why, why_size, "stream %s, consumer %s: %s",
			 config->nats.events_stream, consumer->name, nats_GetLastError(NULL));
		return status;
	}
	return nats_create_consumer(nats, config, consumer, start, why, why_size);
}

/* The fetch thread's pull subscription on the prepared consumer. */
static int nats_pull_subscribe(struct nats *nats, const struct config *config,
			       struct nats_consumer *consumer, char *why, size_t why_size)
{
	jsSubOptions sub_options;
	jsErrCode jerr = 0;

	jsSubOptions_Init(&sub_options);
	sub_options.Stream = config->nats.events_stream;
	sub_options.Consumer = consumer->name;
	if (js_PullSubscribe(&consumer->subscription, nats->js, consumer->filter, consumer->name,
			     NULL, &sub_options, &jerr) != NATS_OK) {
		consumer->subscription = NULL;
		snprintf(why, why_size, "cannot consume %s through %s: %s", consumer->filter,
			 consumer->name, nats_GetLastError(NULL));
		return -1;
	}
	return 0;
}

/*
 * One durable consumer per cadmond, so that its events come in the stream's order (several
 * consumers would interleave their agencies arbitrarily, and the center clock would then
 * depend on it). One filter: the consumer's own. Several (nats-server 2.9 consumers take one
 * filter): the consumer reads PREFIX.> and the fetch thread acknowledges and skips what no
 * filter matches (counted in skipped).
 */
static int nats_subscribe(struct nats *nats, const struct config *config, char *why,
			  size_t why_size)
{
	struct nats_consumer *consumer = &nats->consumers[0];

	consumer->nats = nats;
	if (config->nats.subject_count == 1)
		snprintf(consumer->filter, sizeof consumer->filter, "%s", config->nats.subjects[0]);
	else
		snprintf(consumer->filter, sizeof consumer->filter, "%s.>",
			 config->nats.events_subject_prefix);
	snprintf(consumer->name, sizeof consumer->name, "%s", config->nats.consumer);
	nats->consumer_count = 1;
	log_limit_init(&consumer->rewind_log, config->log.rate_limit_seconds, "nats rewind");
	if (nats_prepare_consumer(nats, config, consumer, why, why_size) != NATS_OK ||
	    nats_pull_subscribe(nats, config, consumer, why, why_size) < 0)
		return -1;
	log_msg(LOG_INFO, "nats: consuming %s from stream %s (durable consumer %s)%s",
		consumer->filter, config->nats.events_stream, consumer->name,
		config->nats.subject_count > 1 ? ", keeping the subjects of nats.subjects" : "");
	return 0;
}

static int nats_setup_loop(struct nats *nats, const struct config *config)
{
	nats->settings = (struct config_nats_copy){
		.max_line_bytes = config->feed.max_line_bytes,
		.fetch_batch = config->nats.fetch_batch,
		.max_in_flight = config->nats.max_in_flight,
		.max_alert_queue = config->nats.max_alert_queue,
		.reconnect_wait_ms = config->nats.reconnect_wait_ms,
		.log_interval_seconds = config->log.rate_limit_seconds,
		.limit_quiet_seconds = config_limit_quiet_seconds(config),
		.publish_alerts = config->nats.publish_alerts,
	};
	snprintf(nats->settings.alerts_prefix, sizeof nats->settings.alerts_prefix, "%s",
		 config->nats.alerts_subject_prefix);
	snprintf(nats->settings.events_stream, sizeof nats->settings.events_stream, "%s",
		 config->nats.events_stream);
	log_limit_init(&nats->drop_log, config->log.rate_limit_seconds, "nats");
	log_limit_init(&nats->source_log, config->log.rate_limit_seconds, "nats");
	log_limit_init(&nats->epoch_log, config->log.rate_limit_seconds, "nats");
	if (pipe2(nats->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (ring_init(&nats->inbound, config->nats.max_in_flight) < 0 ||
	    ring_init(&nats->awaiting_ack, config->nats.max_in_flight) < 0 ||
	    !(nats->notices = calloc(config->nats.max_alert_queue, sizeof *nats->notices)))
		return -1;
	nats->wake_event =
		event_new(nats->base, nats->wake[0], EV_READ | EV_PERSIST, nats_on_wake, nats);
	nats->resume = evtimer_new(nats->base, nats_on_resume, nats);
	if (!nats->wake_event || !nats->resume)
		return -1;
	return event_add(nats->wake_event, NULL) == 0 ? 0 : -1;
}

/* Sleep ms unless stopping: false when stopping. */
static bool nats_pause(struct nats *nats, uint32_t ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&nats->lock);
	if (!nats->stopping)
		pthread_cond_timedwait(&nats->room, &nats->lock, &until);
	bool going_on = !nats->stopping;
	pthread_mutex_unlock(&nats->lock);
	return going_on;
}

/* Drop the subscriptions of a failed attempt. */
static void nats_unsubscribe_all(struct nats *nats)
{
	for (size_t i = 0; i < nats->consumer_count; i++) {
		natsSubscription_Destroy(nats->consumers[i].subscription);
		nats->consumers[i].subscription = NULL;
	}
	nats->consumer_count = 0;
}

/* One attempt: connect (unless connected), the JetStream context, the consumers. */
static int nats_try_start(struct nats *nats, char *why, size_t why_size)
{
	why[0] = '\0';
	if (!nats->connection) {
		natsStatus status = natsConnection_Connect(&nats->connection, nats->options);
		if (status != NATS_OK) {
			nats->connection = NULL;
			snprintf(why, why_size, "cannot connect to %s%s: %s",
				 nats->config.nats.servers[0],
				 nats->config.nats.server_count > 1 ? " (or the other nats.servers)"
								    : "",
				 nats_GetLastError(NULL)); /* with its detail, e.g. TLS's */
			return -1;
		}
		pthread_mutex_lock(&nats->lock);
		nats->stats.connected = true;
		wake_loop_locked(nats);
		pthread_mutex_unlock(&nats->lock);
	}
	if (!nats->js && natsConnection_JetStream(&nats->js, nats->connection, NULL) != NATS_OK) {
		nats->js = NULL;
		snprintf(why, why_size, "JetStream: %s", nats_GetLastError(NULL));
		return -1;
	}
	if (nats_subscribe(nats, &nats->config, why, why_size) < 0) {
		nats_unsubscribe_all(nats);
		return -1;
	}
	return 0;
}

/*
 * Connecting and preparing the consumers happens here, off the event loop: a cluster that is
 * down, or electing a leader after losing a node, must not hold up cadmond's start or its TCP
 * feed. Tried every nats.reconnect_wait_ms until it works (logged the first time and every
 * NATS_START_LOG_EVERY attempts); then the fetch threads start and notices may be published.
 */
static void *nats_starter_thread(void *arg)
{
	struct nats *nats = arg;
	char why[512];

	for (uint64_t attempt = 0;; attempt++) {
		if (nats_try_start(nats, why, sizeof why) == 0)
			break;
		if (attempt % NATS_START_LOG_EVERY == 0)
			log_msg(LOG_WARNING, "nats: %s; trying again every %" PRIu32 " ms", why,
				nats->settings.reconnect_wait_ms);
		if (attempt == 0) { /* the loop raises receiver_down for nats while it lasts */
			pthread_mutex_lock(&nats->lock);
			wake_loop_locked(nats);
			pthread_mutex_unlock(&nats->lock);
		}
		if (!nats_pause(nats, nats->settings.reconnect_wait_ms))
			return NULL;
	}
	for (size_t i = 0; i < nats->consumer_count; i++) {
		if (pthread_create(&nats->consumers[i].thread, NULL, nats_fetch_thread,
				   &nats->consumers[i]) != 0) {
			log_msg(LOG_ERR,
				"nats: cannot start a fetch thread: consumer %s is not read",
				nats->consumers[i].name);
			continue;
		}
		nats->consumers[i].started = true;
	}
	pthread_mutex_lock(&nats->lock);
	nats->ready = true;
	pthread_cond_broadcast(&nats->notices_ready);
	pthread_mutex_unlock(&nats->lock);
	return NULL;
}

struct nats *nats_new(struct event_base *base, struct engine *engine, const struct config *config,
		      const struct nats_hooks *hooks, char *why, size_t why_size)
{
	struct nats *nats = calloc(1, sizeof *nats);
	char directory[CONFIG_PATH_MAX], ignored[256];

	why[0] = '\0';
	if (!nats) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	nats->base = base;
	nats->engine = engine;
	nats->hooks = *hooks;
	nats->config = *config;
	nats->wake[0] = nats->wake[1] = -1;
	pthread_mutex_init(&nats->lock, NULL);
	pthread_cond_init(&nats->room, NULL);
	pthread_cond_init(&nats->notices_ready, NULL);
	if (nats_setup_loop(nats, config) < 0) {
		snprintf(why, why_size, "nats: cannot start: %s", strerror(errno ? errno : ENOMEM));
		nats_free(nats);
		return NULL;
	}
	if (nats_options(nats, config, &nats->options, why, why_size) != NATS_OK) {
		nats_free(nats);
		return NULL;
	}
	const struct config_mapping *mapping =
		config->nats.mapping[0] ? mapping_find(config, config->nats.mapping) : NULL;
	if (mapping && !(nats->mapping = mapping_new(mapping, hooks->mapping_zone,
						     config->feed.max_line_bytes))) {
		snprintf(why, why_size, "nats: cannot start: out of memory");
		nats_free(nats);
		return NULL;
	}
	if (mapping)
		log_msg(LOG_INFO,
			"nats: each message is a %s record of mapping %s (docs/mappings.md)",
			mapping->format == CONFIG_MAPPING_JSON ? "JSON" : "CSV", mapping->name);
	if (statedir_resolve(config, directory, sizeof directory, ignored, sizeof ignored) == 0)
		snprintf(nats->published_path, sizeof nats->published_path, "%s/%s", directory,
			 NATS_PUBLISHED_FILE);
	nats_publish_history(nats, hooks->history);
	if (pthread_create(&nats->starter, NULL, nats_starter_thread, nats) != 0 ||
	    (nats->starter_started = true, nats->settings.publish_alerts &&
	     pthread_create(&nats->publisher, NULL, nats_publisher_thread, nats) != 0)) {
		snprintf(why, why_size, "nats: cannot start its threads");
		nats_free(nats);
		return NULL;
	}
	nats->publisher_started = nats->settings.publish_alerts;
	return nats;
}

void nats_update(struct nats *nats, const struct config *config)
{
	if (!nats)
		return;
	pthread_mutex_lock(&nats->lock); /* the fetch threads read them */
	nats->settings.fetch_batch = config->nats.fetch_batch;
	nats->settings.max_line_bytes = config->feed.max_line_bytes;
	nats->settings.log_interval_seconds = config->log.rate_limit_seconds;
	nats->settings.limit_quiet_seconds = config_limit_quiet_seconds(config);
	pthread_mutex_unlock(&nats->lock);
	nats->drop_log.interval_seconds = config->log.rate_limit_seconds;
	nats->source_log.interval_seconds = config->log.rate_limit_seconds;
	nats->epoch_log.interval_seconds = config->log.rate_limit_seconds;
}

void nats_stop(struct nats *nats)
{
	if (!nats)
		return;
	pthread_mutex_lock(&nats->lock);
	nats->stopping = true;
	pthread_cond_broadcast(&nats->room);
	pthread_cond_broadcast(&nats->notices_ready);
	pthread_mutex_unlock(&nats->lock);
	if (nats->starter_started) {
		pthread_join(nats->starter, NULL);
		nats->starter_started = false;
	}
	for (size_t i = 0; i < nats->consumer_count; i++)
		if (nats->consumers[i].started) {
			pthread_join(nats->consumers[i].thread, NULL);
			nats->consumers[i].started = false;
		}
	if (nats->publisher_started) {
		pthread_join(nats->publisher, NULL);
		nats->publisher_started = false;
	}
}

void nats_stats(struct nats *nats, struct nats_stats *out)
{
	pthread_mutex_lock(&nats->lock);
	*out = nats->stats;
	out->in_flight = nats->in_flight;
	pthread_mutex_unlock(&nats->lock);
}

void nats_free(struct nats *nats)
{
	if (!nats)
		return;
	nats_stop(nats);
	for (size_t i = 0; i < nats->consumer_count; i++)
		natsSubscription_Destroy(nats->consumers[i].subscription);
	ring_destroy(&nats->inbound);
	ring_destroy(&nats->awaiting_ack); /* not acknowledged: JetStream delivers them again */
	mapping_free(nats->mapping);
	for (size_t i = 0; nats->notices && i < nats->notices_count; i++)
		notice_free(
			&nats->notices[(nats->notices_head + i) % nats->settings.max_alert_queue]);
	free(nats->notices);
	jsCtx_Destroy(nats->js);
	nats_close_connection(nats);
	natsConnection_Destroy(nats->connection);
	natsOptions_Destroy(nats->options);
	if (nats->wake_event)
		event_free(nats->wake_event);
	if (nats->resume)
		event_free(nats->resume);
	if (nats->wake[0] >= 0)
		close(nats->wake[0]);
	if (nats->wake[1] >= 0)
		close(nats->wake[1]);
	pthread_cond_destroy(&nats->room);
	pthread_cond_destroy(&nats->notices_ready);
	pthread_mutex_destroy(&nats->lock);
	free(nats);
}
