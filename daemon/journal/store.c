/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "hostclock.h"
#include "journal.h"
#include "log.h"
#include "recovery.h"
#include "statedir.h"

#define DURABILITY_REASON_MAX 1024

/* An alert journaled but not durable yet: delivered once its record is. */
struct pending_alert {
	uint64_t seq;
	uint64_t index; /* of its record */
	uint64_t segment;
	uint64_t offset;
	uint32_t record_bytes;
	char *json;
	size_t len;
};

/* An alert delivered while degraded (or salvaged at start), to be journaled when the disk
 * takes writes again. */
struct backlog_alert {
	uint64_t seq;
	char *json;
	size_t len;
};

/* The journal.* settings in force. */
struct durability_policy {
	enum config_fsync fsync;
	uint32_t fsync_interval_ms;
	uint32_t segment_max_bytes;
	uint32_t segment_max_seconds;
	uint32_t retention_seconds;
};

struct durability {
	struct event_base *base;
	struct durability_policy policy;
	struct durability_hooks hooks;
	struct statedir dir;
	struct journal *journal;
	struct engine *engine; /* not owned */
	struct recovery_router router;
	struct recovery_summary recovered;
	struct replay_history history;
	struct event *commit_event; /* active while the batch has records */
	struct event *sync_timer;   /* fsync: interval */
	struct event *rotate_timer; /* segment_max_seconds */
	struct event *retry_timer;  /* degraded: try the disk again */
	bool rotate_due;
	int64_t last_sync_ms;
	int64_t degraded_since_ms;
	struct pending_alert *pending; /* FIFO from pending_head */
	size_t pending_head;
	size_t pending_count;
	size_t pending_capacity;
	struct backlog_alert *backlog; /* by seq */
	size_t backlog_count;
	size_t backlog_capacity;
	size_t backlog_bytes;
	uint64_t newest_delivered;
	bool degraded;
	char degraded_reason[DURABILITY_REASON_MAX];
	struct log_limit disk_log;
	struct durability_stats stats;
};

static void durability_maybe_rotate(struct durability *durability);

static struct timeval timeval_ms(int64_t ms)
{
	return (struct timeval){ .tv_sec = (time_t)(ms / 1000),
				 .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
}

/* --- the alert history subscribers replay from ---------------------------------------------- */

/* Bridges the journal's emit (with seq) to a replay's emit, counting bytes. */
struct emit_adapter {
	replay_emit_fn emit;
	void *ctx;
	size_t bytes;
};

static void emit_journal_alert(void *ctx, uint64_t seq, const char *json, size_t len)
{
	struct emit_adapter *adapter = ctx;

	(void)seq;
	adapter->emit(adapter->ctx, json, len);
	adapter->bytes += len + 1;
}

/* Journaled alerts first, then those of a degraded period still in memory. */
static uint64_t history_read(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
			     void *emit_ctx)
{
	struct durability *durability = ctx;
	struct emit_adapter adapter = { .emit = emit, .ctx = emit_ctx };
	uint64_t last = journal_replay_alerts(durability->journal, after, max_bytes,
					      emit_journal_alert, &adapter,
					      &durability->stats.alert_replay_unreadable);

	for (size_t i = 0; i < durability->backlog_count && adapter.bytes < max_bytes; i++) {
		const struct backlog_alert *alert = &durability->backlog[i];

		if (alert->seq <= last)
			continue;
		emit(emit_ctx, alert->json, alert->len);
		adapter.bytes += alert->len + 1;
		last = alert->seq;
	}
	return last;
}

static uint64_t history_newest(void *ctx)
{
	return ((struct durability *)ctx)->newest_delivered;
}

static uint64_t history_oldest(void *ctx)
{
	struct durability *durability = ctx;
	uint64_t oldest = journal_oldest_alert(durability->journal);

	if (oldest == 0 && durability->backlog_count > 0)
		oldest = durability->backlog[0].seq;
	return oldest;
}

static uint64_t history_bytes_after(void *ctx, uint64_t after)
{
	struct durability *durability = ctx;
	uint64_t bytes = journal_alert_bytes_after(durability->journal, after);

	for (size_t i = 0; i < durability->backlog_count; i++)
		if (durability->backlog[i].seq > after)
			bytes += durability->backlog[i].len + 1;
	return bytes;
}

/* --- alerts waiting for the disk, and alerts of a degraded period ---------------------------- */

static void deliver(struct durability *durability, uint64_t seq, const char *json, size_t len)
{
	if (seq > durability->newest_delivered)
		durability->newest_delivered = seq;
	if (durability->hooks.deliver)
		durability->hooks.deliver(durability->hooks.ctx, seq, json, len);
}

/* Room for one more pending alert at the end of the FIFO. */
static int reserve_pending(struct durability *durability)
{
	size_t wanted = durability->pending_capacity ? durability->pending_capacity * 2 : 16;
	struct pending_alert *grown;

	if (durability->pending_head > 0) {
		memmove(durability->pending, durability->pending + durability->pending_head,
			durability->pending_count * sizeof *durability->pending);
		durability->pending_head = 0;
	}
	if (durability->pending_count < durability->pending_capacity)
		return 0;
	if (!(grown = realloc(durability->pending, wanted * sizeof *grown)))
		return -ENOMEM;
	durability->pending = grown;
	durability->pending_capacity = wanted;
	return 0;
}

static int push_pending(struct durability *durability, const struct pending_alert *alert)
{
	if (durability->pending_head + durability->pending_count == durability->pending_capacity &&
	    reserve_pending(durability) < 0)
		return -ENOMEM;
	durability->pending[durability->pending_head + durability->pending_count++] = *alert;
	return 0;
}

static struct pending_alert *pending_first(struct durability *durability)
{
	return durability->pending_count ? &durability->pending[durability->pending_head] : NULL;
}

static void pending_pop(struct durability *durability)
{
	free(durability->pending[durability->pending_head].json);
	durability->pending_head++;
	if (--durability->pending_count == 0)
		durability->pending_head = 0;
}

/* Give up the oldest kept alert of the backlog (counted: it will not be journaled). */
static void backlog_drop_oldest(struct durability *durability)
{
	durability->backlog_bytes -= durability->backlog[0].len;
	free(durability->backlog[0].json);
	memmove(durability->backlog, durability->backlog + 1,
		--durability->backlog_count * sizeof *durability->backlog);
	durability->stats.alerts_not_journaled++;
}

/* Keep an alert for the journal, within DURABILITY_BACKLOG_MAX_BYTES. */
static void backlog_push(struct durability *durability, uint64_t seq, const char *json, size_t len)
{
	char *copy;

	while (durability->backlog_count > 0 &&
	       durability->backlog_bytes + len > DURABILITY_BACKLOG_MAX_BYTES)
		backlog_drop_oldest(durability);
	if (durability->backlog_count == durability->backlog_capacity) {
		size_t wanted = durability->backlog_capacity ? durability->backlog_capacity * 2 : 16;
		struct backlog_alert *grown = realloc(durability->backlog, wanted * sizeof *grown);

		if (!grown) {
			durability->stats.alerts_not_journaled++;
			return;
		}
		durability->backlog = grown;
		durability->backlog_capacity = wanted;
	}
	if (!(copy = malloc(len + 1))) {
		durability->stats.alerts_not_journaled++;
		return;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	durability->backlog[durability->backlog_count++] =
		(struct backlog_alert){ .seq = seq, .json = copy, .len = len };
	durability->backlog_bytes += len;
}

static void backlog_clear(struct durability *durability)
{
	for (size_t i = 0; i < durability->backlog_count; i++)
		free(durability->backlog[i].json);
	durability->backlog_count = 0;
	durability->backlog_bytes = 0;
}

/* Journal the backlog (its alerts were delivered already): write, fsync, index. */
static int journal_backlog(struct durability *durability)
{
	struct journal *journal = durability->journal;
	uint64_t segment = journal_segment_first(journal);
	struct pending_alert *written;
	int rc;

	if (durability->backlog_count == 0)
		return 0;
	if (!(written = calloc(durability->backlog_count, sizeof *written)))
		return -ENOMEM;
	for (size_t i = 0; i < durability->backlog_count; i++) {
		const struct backlog_alert *alert = &durability->backlog[i];

		written[i].seq = alert->seq;
		journal_append_alert(journal, alert->seq, alert->json, alert->len, &written[i].offset,
				     &written[i].record_bytes);
	}
	if ((rc = journal_write(journal)) == 0 && (rc = journal_sync(journal, true)) == 0) {
		for (size_t i = 0; i < durability->backlog_count; i++)
			journal_index_alert(journal, written[i].seq, segment, written[i].offset,
					    written[i].record_bytes);
		backlog_clear(durability);
	} else {
		journal_rollback(journal);
	}
	free(written);
	return rc;
}

/* --- degraded ------------------------------------------------------------------------------ */

/* A write or fsync failed: stop acknowledging, deliver from memory, retry later. */
static void enter_degraded(struct durability *durability, const char *what, int rc)
{
	const struct timeval retry = { .tv_sec = DURABILITY_RETRY_SECONDS };
	struct pending_alert *alert;

	if (durability->degraded)
		return;
	durability->degraded = true;
	durability->degraded_since_ms = hostclock_monotonic_ms();
	durability->stats.degraded_periods++;
	snprintf(durability->degraded_reason, sizeof durability->degraded_reason,
		 "cannot %s the journal in %.512s: %s", what, durability->dir.path, strerror(-rc));
	journal_rollback(durability->journal); /* done again, and checked, before leaving */
	while ((alert = pending_first(durability))) {
		deliver(durability, alert->seq, alert->json, alert->len);
		backlog_push(durability, alert->seq, alert->json, alert->len);
		pending_pop(durability);
	}
	evtimer_del(durability->sync_timer);
	log_msg(LOG_ERR,
		"journal: %s: degraded: events are no longer acknowledged (senders keep and resend "
		"them), alerts are still delivered; trying again every %d s",
		durability->degraded_reason, DURABILITY_RETRY_SECONDS);
	sd_notifyf(0, "STATUS=degraded: %s", durability->degraded_reason);
	evtimer_add(durability->retry_timer, &retry);
}

/* Back from degraded: the segment cut back to what was synced, the alerts delivered meanwhile
 * journaled (fsynced), then a snapshot of everything processed meanwhile and a new segment.
 * In that order: a crash right after the snapshot must find those alerts in the journal, as
 * replay from the snapshot cannot give them again. */
static int leave_degraded(struct durability *durability)
{
	struct journal *journal = durability->journal;
	int rc;

	if ((rc = journal_rollback(journal)) < 0)
		return rc;
	if (durability->backlog_count > 0 && !journal_has_segment(journal) &&
	    (rc = journal_start_segment(journal, journal_next_index(journal))) < 0)
		return rc;
	if ((rc = journal_backlog(durability)) < 0)
		return rc;
	return journal_checkpoint(journal, durability->engine, true);
}

static void arm_rotate_timer(struct durability *durability)
{
	const struct timeval age = { .tv_sec = durability->policy.segment_max_seconds };

	evtimer_add(durability->rotate_timer, &age);
}

static void on_retry_timer(evutil_socket_t fd, short what, void *ctx)
{
	const struct timeval retry = { .tv_sec = DURABILITY_RETRY_SECONDS };
	struct durability *durability = ctx;
	int rc;

	(void)fd;
	(void)what;
	if ((rc = leave_degraded(durability)) < 0) {
		log_limited(&durability->disk_log, LOG_WARNING, "journal: still degraded: %s",
			    strerror(-rc));
		evtimer_add(durability->retry_timer, &retry);
		return;
	}
	durability->degraded = false;
	log_msg(LOG_NOTICE,
		"journal: writable again after %.1f s: snapshot written, new segment from record %" PRIu64
		"; acknowledging again",
		(double)(hostclock_monotonic_ms() - durability->degraded_since_ms) / 1000.0,
		journal_segment_first(durability->journal));
	sd_notify(0, "STATUS=journal writable again");
	arm_rotate_timer(durability);
	if (durability->hooks.acknowledge)
		durability->hooks.acknowledge(durability->hooks.ctx, UINT64_MAX);
}

/* --- commit -------------------------------------------------------------------------------- */

/* The records up to the synced index are durable: deliver their alerts, acknowledge. */
static void made_durable(struct durability *durability)
{
	uint64_t synced = journal_synced_index(durability->journal);
	struct pending_alert *alert;

	while ((alert = pending_first(durability)) && alert->index <= synced) {
		journal_index_alert(durability->journal, alert->seq, alert->segment, alert->offset,
				    alert->record_bytes);
		deliver(durability, alert->seq, alert->json, alert->len);
		pending_pop(durability);
	}
	if (durability->hooks.acknowledge)
		durability->hooks.acknowledge(durability->hooks.ctx, synced);
}

static int sync_now(struct durability *durability, bool really)
{
	int rc = journal_sync(durability->journal, really);

	if (rc < 0) {
		enter_degraded(durability, "fsync", rc);
		return rc;
	}
	durability->last_sync_ms = hostclock_monotonic_ms();
	made_durable(durability);
	return 0;
}

/* fsync: interval: at most one fsync per fsync_interval_ms. */
static void schedule_sync(struct durability *durability)
{
	int64_t wait_ms =
		durability->last_sync_ms + durability->policy.fsync_interval_ms - hostclock_monotonic_ms();
	struct timeval wait;

	if (evtimer_pending(durability->sync_timer, NULL))
		return;
	if (wait_ms <= 0) {
		sync_now(durability, true);
		return;
	}
	wait = timeval_ms(wait_ms);
	evtimer_add(durability->sync_timer, &wait);
}

static void account_commit(struct durability *durability, int64_t start_us)
{
	uint64_t took = (uint64_t)(hostclock_monotonic_us() - start_us);

	durability->stats.commits++;
	durability->stats.commit_us_total += took;
	if (took > durability->stats.commit_us_max)
		durability->stats.commit_us_max = took;
}

/* Write the batch, fsync it per journal.fsync, then deliver and acknowledge what is durable. */
static void commit(struct durability *durability)
{
	int64_t start_us = hostclock_monotonic_us();
	int rc;

	if (durability->degraded || journal_batch_bytes(durability->journal) == 0)
		return;
	if ((rc = journal_write(durability->journal)) < 0) {
		enter_degraded(durability, "write", rc);
		return;
	}
	switch (durability->policy.fsync) {
	case CONFIG_FSYNC_BATCH:
		rc = journal_sync(durability->journal, true);
		account_commit(durability, start_us);
		if (rc < 0)
			enter_degraded(durability, "fsync", rc);
		else
			made_durable(durability);
		break;
	case CONFIG_FSYNC_INTERVAL:
		account_commit(durability, start_us);
		schedule_sync(durability);
		break;
	case CONFIG_FSYNC_NONE:
		account_commit(durability, start_us);
		sync_now(durability, false);
		break;
	}
}

/*
 * The commit event. It has the sockets' priority on purpose: libevent runs every callback that
 * was active when the loop iteration started before one made active during it, so the commit
 * runs after all the reads of the iteration; a lower priority would instead wait for an
 * iteration with no read at all, which a steady feed might never leave.
 */
static void on_commit_event(evutil_socket_t fd, short what, void *ctx)
{
	struct durability *durability = ctx;

	(void)fd;
	(void)what;
	commit(durability);
	durability_maybe_rotate(durability);
}

static void schedule_commit(struct durability *durability)
{
	event_active(durability->commit_event, 0, 0);
}

static void on_sync_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct durability *durability = ctx;

	(void)fd;
	(void)what;
	if (!durability->degraded)
		sync_now(durability, true);
	durability_maybe_rotate(durability);
}

/* --- rotation and retention ---------------------------------------------------------------- */

static void retain(struct durability *durability)
{
	struct journal_retained retained;

	journal_retain(durability->journal, engine_watermark_ms(durability->engine),
		       durability->policy.retention_seconds, &retained);
	if (retained.segments_deleted > 0 || retained.snapshots_deleted > 0)
		log_msg(LOG_INFO, "journal: retention: deleted %zu segments and %zu snapshots",
			retained.segments_deleted, retained.snapshots_deleted);
	if (retained.error < 0)
		log_limited(&durability->disk_log, LOG_WARNING, "journal: retention: cannot delete: %s",
			    strerror(-retained.error));
}

/* Rotate when the segment is full or old enough, once everything written is durable. */
static void durability_maybe_rotate(struct durability *durability)
{
	struct journal *journal = durability->journal;
	int rc;

	if (durability->degraded || !journal_has_segment(journal))
		return;
	if (journal_segment_bytes(journal) >= durability->policy.segment_max_bytes)
		durability->rotate_due = true;
	if (!durability->rotate_due || !journal_all_synced(journal))
		return;
	durability->rotate_due = false;
	if (!journal_segment_empty(journal)) {
		if ((rc = journal_checkpoint(journal, durability->engine, true)) < 0) {
			enter_degraded(durability, "rotate", rc);
			return;
		}
		durability->stats.rotations++;
		retain(durability);
	}
	arm_rotate_timer(durability);
}

static void on_rotate_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct durability *durability = ctx;

	(void)fd;
	(void)what;
	durability->rotate_due = true;
	durability_maybe_rotate(durability);
}

/* --- the daemon's interface ---------------------------------------------------------------- */

static int durability_setup_events(struct durability *durability)
{
	durability->commit_event = event_new(durability->base, -1, 0, on_commit_event, durability);
	durability->sync_timer = evtimer_new(durability->base, on_sync_timer, durability);
	durability->rotate_timer = evtimer_new(durability->base, on_rotate_timer, durability);
	durability->retry_timer = evtimer_new(durability->base, on_retry_timer, durability);
	if (!durability->commit_event || !durability->sync_timer || !durability->rotate_timer ||
	    !durability->retry_timer)
		return -ENOMEM;
	return 0;
}

static void set_policy(struct durability *durability, const struct config *config)
{
	durability->policy = (struct durability_policy){
		.fsync = config->journal.fsync,
		.fsync_interval_ms = config->journal.fsync_interval_ms,
		.segment_max_bytes = config->journal.segment_max_bytes,
		.segment_max_seconds = config->journal.segment_max_seconds,
		.retention_seconds = config->journal.retention_seconds,
	};
}

struct durability *durability_new(struct event_base *base, const struct config *config,
				  const struct durability_hooks *hooks, char *why, size_t why_size)
{
	struct durability *durability = calloc(1, sizeof *durability);
	char path[STATEDIR_PATH_MAX];

	if (!durability) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	durability->dir.fd = durability->dir.journal_fd = durability->dir.lock_fd = -1;
	durability->base = base;
	durability->hooks = *hooks;
	durability->history = (struct replay_history){ .read = history_read,
						       .newest = history_newest,
						       .oldest = history_oldest,
						       .bytes_after = history_bytes_after,
						       .ctx = durability };
	set_policy(durability, config);
	log_limit_init(&durability->disk_log, config->log.rate_limit_seconds, "journal");
	if (statedir_resolve(config, path, sizeof path, why, why_size) < 0 ||
	    statedir_open(&durability->dir, path, why, why_size) < 0) {
		durability_free(durability);
		return NULL;
	}
	if (!(durability->journal = journal_new(&durability->dir)) ||
	    durability_setup_events(durability) < 0) {
		snprintf(why, why_size, "cannot start: out of memory");
		durability_free(durability);
		return NULL;
	}
	return durability;
}

/* Alerts of quarantined segments: delivered before, journaled again. */
static void journal_salvaged(struct durability *durability, struct recovery *recovery)
{
	int rc;

	for (size_t i = 0; i < recovery->salvaged_count; i++)
		backlog_push(durability, recovery->salvaged[i].seq, recovery->salvaged[i].json,
			     recovery->salvaged[i].len);
	if (!durability->degraded && (rc = journal_backlog(durability)) < 0)
		enter_degraded(durability, "write", rc);
}

/* Alerts the replay produced that were never journaled, so never delivered: now they are. */
static void deliver_recovered(struct durability *durability)
{
	size_t count;
	struct recovery_alert *alerts = recovery_router_take(&durability->router, &count);

	for (size_t i = 0; i < count; i++) {
		log_msg(LOG_NOTICE, "alert %" PRIu64 ": produced again by recovery, never delivered "
				    "before the restart: delivering it",
			alerts[i].seq);
		durability_on_alert(durability, alerts[i].seq, alerts[i].json, alerts[i].len);
	}
	recovery_alerts_free(alerts, count);
	if (durability->router.recovered_lost)
		log_msg(LOG_ERR, "recovery: out of memory: some recovered alerts are lost");
}

struct engine *durability_recover(struct durability *durability, const struct config *config,
				  engine_alert_fn on_alert, void *ctx, char *why, size_t why_size)
{
	struct recovery recovery;
	int rc;

	recovery_router_init(&durability->router, on_alert, ctx);
	if (recovery_run(&durability->dir, durability->journal, config, &durability->router,
			 &recovery, why, why_size) < 0)
		return NULL;
	durability->engine = recovery.engine;
	durability->recovered = recovery.summary;
	durability->newest_delivered = journal_newest_alert(durability->journal);
	if (durability->router.journaled_through > durability->newest_delivered)
		durability->newest_delivered = durability->router.journaled_through;
	if ((rc = recovery_checkpoint(durability->journal, &recovery)) < 0) {
		enter_degraded(durability, "start", rc);
	} else {
		arm_rotate_timer(durability);
		retain(durability);
	}
	journal_salvaged(durability, &recovery);
	recovery_release(&recovery);
	deliver_recovered(durability);
	return durability->engine;
}

void durability_log_start(const struct durability *durability)
{
	log_msg(LOG_INFO, "journal: state directory %s, fsync %s, segment from record %" PRIu64,
		durability->dir.path, config_fsync_name(durability->policy.fsync),
		journal_segment_first(durability->journal));
	recovery_log_summary(&durability->recovered);
}

/* Room in the batch for one more input record (a full batch is committed first); false when
 * degraded: the input is not journaled (counted). */
static bool accept_input(struct durability *durability)
{
	if (!durability->degraded &&
	    journal_batch_bytes(durability->journal) >= DURABILITY_BATCH_MAX_BYTES) {
		durability->stats.early_commits++;
		commit(durability);
	}
	if (durability->degraded) {
		durability->stats.lines_not_journaled++;
		return false;
	}
	return true;
}

uint64_t durability_append_line(struct durability *durability, const struct engine_origin *origin,
				const char *line, size_t len)
{
	uint64_t index;

	if (!accept_input(durability))
		return 0;
	index = journal_append_event_at(durability->journal, origin, line, len);
	schedule_commit(durability);
	return index;
}

uint64_t durability_append_control(struct durability *durability, int64_t ts_ms, const char *line,
				   size_t len)
{
	uint64_t index;

	if (!accept_input(durability))
		return 0;
	index = journal_append_control(durability->journal, ts_ms, line, len);
	schedule_commit(durability);
	return index;
}

void durability_append_reject(struct durability *durability, enum event_reject reason)
{
	if (durability->degraded)
		return;
	journal_append_reject(durability->journal, reason);
	schedule_commit(durability);
}

void durability_on_alert(struct durability *durability, uint64_t seq, const char *json,
			 size_t len)
{
	struct pending_alert alert = { .seq = seq, .len = len };

	if (durability->degraded) {
		deliver(durability, seq, json, len);
		backlog_push(durability, seq, json, len);
		return;
	}
	alert.segment = journal_segment_first(durability->journal);
	alert.index = journal_append_alert(durability->journal, seq, json, len, &alert.offset,
					   &alert.record_bytes);
	schedule_commit(durability);
	if ((alert.json = malloc(len + 1))) {
		memcpy(alert.json, json, len);
		alert.json[len] = '\0';
	}
	if (!alert.json || push_pending(durability, &alert) < 0) {
		free(alert.json);
		log_msg(LOG_ERR, "alert %" PRIu64 ": out of memory: delivered before it is durable",
			seq);
		deliver(durability, seq, json, len);
	}
}

/* Everything appended so far written and fsynced (whatever journal.fsync says), delivered
 * and acknowledged. */
static int flush_now(struct durability *durability)
{
	int rc;

	if (durability->degraded)
		return -EIO;
	if ((rc = journal_write(durability->journal)) < 0) {
		enter_degraded(durability, "write", rc);
		return rc;
	}
	evtimer_del(durability->sync_timer);
	return sync_now(durability, true);
}

void durability_reconfigure(struct durability *durability, const struct config *config)
{
	char path[STATEDIR_PATH_MAX], why[256];

	if (statedir_resolve(config, path, sizeof path, why, sizeof why) == 0 &&
	    strcmp(path, durability->dir.path) != 0)
		log_msg(LOG_WARNING, "journal: state directory %s is used after a restart only; "
				     "still %s",
			path, durability->dir.path);
	set_policy(durability, config);
	durability->disk_log.interval_seconds = config->log.rate_limit_seconds;
	if (flush_now(durability) < 0)
		return;
	durability->rotate_due = true;
	durability_maybe_rotate(durability); /* also re-arms the age timer */
}

static void log_commit_stats(const struct durability *durability)
{
	const struct durability_stats *stats = &durability->stats;

	log_msg(LOG_INFO,
		"journal: %" PRIu64 " commits (%" PRIu64 " early), write and fsync %.3f ms on average, "
		"%.3f ms at most; %" PRIu64 " rotations, %" PRIu64 " degraded periods (%" PRIu64
		" lines and %" PRIu64 " alerts not journaled)",
		stats->commits, stats->early_commits,
		stats->commits ? (double)stats->commit_us_total / (double)stats->commits / 1000.0 : 0.0,
		(double)stats->commit_us_max / 1000.0, stats->rotations, stats->degraded_periods,
		stats->lines_not_journaled, stats->alerts_not_journaled);
}

void durability_finish(struct durability *durability)
{
	int rc;

	event_del(durability->commit_event);
	evtimer_del(durability->retry_timer);
	evtimer_del(durability->rotate_timer);
	if (durability->degraded && leave_degraded(durability) == 0)
		durability->degraded = false;
	if (durability->degraded) {
		log_msg(LOG_ERR, "journal: stopping degraded (%s): what was processed since is not "
				 "journaled; senders resend what was not acknowledged",
			durability->degraded_reason);
	} else if (flush_now(durability) == 0) {
		if ((rc = journal_checkpoint(durability->journal, durability->engine, false)) < 0)
			log_msg(LOG_ERR, "journal: cannot write the final snapshot: %s", strerror(-rc));
		else
			retain(durability);
	}
	log_commit_stats(durability);
}

bool durability_degraded(const struct durability *durability, const char **reason)
{
	if (reason)
		*reason = durability->degraded_reason;
	return durability->degraded;
}

const struct replay_history *durability_history(const struct durability *durability)
{
	return &durability->history;
}

const struct durability_stats *durability_stats(const struct durability *durability)
{
	return &durability->stats;
}

const struct journal_stats *durability_journal_stats(const struct durability *durability)
{
	static const struct journal_stats none;

	return durability->journal ? journal_stats(durability->journal) : &none;
}

void durability_free(struct durability *durability)
{
	if (!durability)
		return;
	if (durability->commit_event)
		event_free(durability->commit_event);
	if (durability->sync_timer)
		event_free(durability->sync_timer);
	if (durability->rotate_timer)
		event_free(durability->rotate_timer);
	if (durability->retry_timer)
		event_free(durability->retry_timer);
	while (pending_first(durability))
		pending_pop(durability);
	free(durability->pending);
	backlog_clear(durability);
	free(durability->backlog);
	journal_free(durability->journal);
	recovery_router_release(&durability->router);
	statedir_close(&durability->dir);
	log_limit_flush(&durability->disk_log);
	free(durability);
}
