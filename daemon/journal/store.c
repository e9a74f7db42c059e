/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "alertbuf.h"
#include "hostclock.h"
#include "journal.h"
#include "log.h"
#include "recovery.h"
#include "statedir.h"
#include "syncer.h"

#define STORE_REASON_MAX 1024

/* The sync of a rotation's disk work (journal_rotate_begin: the ended segment with its end,
 * the next segment's name) on the sync thread, as the snapshot of that rotation sees it. */
enum rotation_sync {
	ROTATION_SYNCED,	/* none in flight: the last one returned 0 */
	ROTATION_SYNCING,	/* in flight */
	ROTATION_SYNC_FAILED,	/* failed (the store degraded): its snapshot is never published */
};

/* The journal.* settings in force. */
struct store_policy {
	enum config_fsync fsync;
	uint32_t fsync_interval_ms;
	uint32_t segment_max_bytes;
	uint32_t segment_max_seconds;
	uint32_t retention_seconds;
};

struct store {
	struct event_base *base;
	struct store_policy policy;
	struct store_hooks hooks;
	struct statedir dir;
	struct journal *journal;
	struct engine *engine; /* not owned */
	struct recovery_router router;
	struct recovery_summary recovered;
	struct replay_history history;
	struct event *commit_event; /* made active by each record appended to the batch */
	struct event *commit_timer; /* the commit put off by one loop turn (on_commit_event) */
	char turn_source[256];      /* the first source of a line in the batch */
	unsigned turn_sources;      /* sources of the batch's lines: 0, 1, or 2 for two or more */
	bool batch_has_alert;       /* the batch holds an alert: its commit is not put off */
	struct syncer *syncer;      /* fsync: batch and interval: the fdatasync off the loop */
	struct journal_sync_point requested; /* the newest handed to the syncer (fd -1: none) */
	struct event *sync_timer;   /* fsync: interval */
	struct event *rotate_timer; /* segment_max_seconds */
	struct event *retry_timer;  /* degraded: try the disk again */
	struct event *huge_timer;   /* the heap's new mappings marked for huge pages */
	bool huge_pages;	    /* the kernel has THP in a mode MADV_HUGEPAGE asks for */
	struct event *snapshot_event; /* the snapshot child's pipe: readable when it is done */
	pid_t snapshot_child;         /* writing the snapshot of a rotation, or 0 */
	int snapshot_pipe;
	uint64_t snapshot_index;
	bool rotate_due;
	bool rotate_deferred; /* due while a snapshot's child runs: counted once */
	bool presync_running; /* fsync: none: the segment's fdatasync before its end, in flight */
	bool presynced;	      /* ... returned: the rotation goes on */
	enum rotation_sync rotation_sync; /* the last rotation's sync on the thread */
	bool snapshot_waits;  /* its child wrote the *.tmp: published once that sync returned 0 */
	int64_t last_sync_ms;
	int64_t degraded_since_ms;
	struct alertbuf_pending pending; /* journaled, waiting for the fsync */
	struct alertbuf_backlog backlog; /* delivered, waiting for the disk */
	uint64_t newest_delivered;
	enum store_state state;
	char degraded_reason[STORE_REASON_MAX];
	/* the state directory deleted or moved away, as said in this degraded period's log */
	bool dir_gone_said;	/* noticed */
	bool dir_refused;	/* a new one could not be had at the last try (its lock held by
				 * another): said in its own words, once a reason */
	char dir_gone_reason[STORE_REASON_MAX]; /* degraded_reason before a refusal replaced it */
	struct log_limit disk_log;
	struct log_limit bound_log; /* STORE_UNSYNCED_MAX_BYTES reached */
	struct store_stats stats;
};

static void store_maybe_rotate(struct store *store);
static void schedule_commit(struct store *store);
static void snapshot_wait(struct store *store);
static void take_sync_in_flight(struct store *store, bool after_failed_sync);
static int flush_now(struct store *store);
static void rotation_synced(struct store *store, bool ok);
static void snapshot_published(struct store *store, int result, bool degrading);

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
static uint64_t store_history_read(void *ctx, uint64_t after, size_t max_bytes, replay_emit_fn emit,
				   void *emit_ctx)
{
	struct store *store = ctx;
	struct emit_adapter adapter = { .emit = emit, .ctx = emit_ctx };
	uint64_t last = journal_replay_alerts(store->journal, after, max_bytes, emit_journal_alert,
					      &adapter, &store->stats.alert_replay_unreadable);

	for (size_t i = 0; i < store->backlog.count && adapter.bytes < max_bytes; i++) {
		const struct alertbuf_backlog_alert *alert = &store->backlog.alerts[i];

		if (alert->seq <= last)
			continue;
		emit(emit_ctx, alert->json, alert->len);
		adapter.bytes += alert->len + 1;
		last = alert->seq;
	}
	return last;
}

static void store_history_settle(void *ctx)
{
	store_settle(ctx);
}

static uint64_t store_history_newest(void *ctx)
{
	return ((struct store *)ctx)->newest_delivered;
}

static uint64_t store_history_oldest(void *ctx)
{
	struct store *store = ctx;
	uint64_t oldest = journal_oldest_alert(store->journal);

	if (oldest == 0 && store->backlog.count > 0)
		oldest = store->backlog.alerts[0].seq;
	return oldest;
}

static uint64_t store_history_bytes_after(void *ctx, uint64_t after)
{
	struct store *store = ctx;
	uint64_t bytes = journal_alert_bytes_after(store->journal, after);

	for (size_t i = 0; i < store->backlog.count; i++)
		if (store->backlog.alerts[i].seq > after)
			bytes += store->backlog.alerts[i].len + 1;
	return bytes;
}

/* --- alerts waiting for the disk, and alerts of a degraded period (alertbuf.h) --------------- */

static void deliver(struct store *store, uint64_t seq, const char *json, size_t len)
{
	if (seq > store->newest_delivered)
		store->newest_delivered = seq;
	if (store->hooks.deliver)
		store->hooks.deliver(store->hooks.ctx, seq, json, len);
}

/* Keep an alert for the journal (alertbuf.h); what the bound gives up is counted. */
static void keep_for_journal(struct store *store, uint64_t seq, const char *json, size_t len)
{
	size_t given_up = alertbuf_backlog_push(&store->backlog, seq, json, len);

	if (given_up == 0)
		return;
	store->stats.alerts_not_journaled += given_up;
	log_limited(&store->disk_log, LOG_WARNING,
		    "journal: degraded: %zu alert(s) given up by the backlog's bound (%zu bytes); "
		    "they were delivered but will be missing from the alert history",
		    given_up, store->backlog.max_bytes);
}

/* Journal the backlog (its alerts were delivered already): write, fsync, index. */
static int store_write_backlog(struct store *store)
{
	struct journal *journal = store->journal;
	uint64_t segment = journal_segment_first(journal);
	struct alertbuf_pending_alert *written;
	int rc;

	if (store->backlog.count == 0)
		return 0;
	if (!(written = calloc(store->backlog.count, sizeof *written)))
		return -ENOMEM;
	for (size_t i = 0; i < store->backlog.count; i++) {
		const struct alertbuf_backlog_alert *alert = &store->backlog.alerts[i];

		written[i].seq = alert->seq;
		journal_append_alert(journal, alert->seq, alert->json, alert->len,
				     &written[i].offset, &written[i].record_bytes);
	}
	if ((rc = journal_write(journal)) == 0 && (rc = journal_sync(journal, true)) == 0) {
		for (size_t i = 0; i < store->backlog.count; i++)
			journal_index_alert(journal, written[i].seq, segment, written[i].offset,
					    written[i].record_bytes);
		alertbuf_backlog_clear(&store->backlog);
	} else {
		journal_rollback(journal);
	}
	free(written);
	return rc;
}

/* --- the state: normal, degraded, stopping ------------------------------------------------ */

static void arm_rotate_timer(struct store *store)
{
	const struct timeval age = { .tv_sec = store->policy.segment_max_seconds };

	evtimer_add(store->rotate_timer, &age);
}

static void arm_retry_timer(struct store *store)
{
	const struct timeval retry = { .tv_sec = STORE_RETRY_SECONDS };

	evtimer_add(store->retry_timer, &retry);
}

/*
 * The one place the state changes, with the timers each state runs:
 *   normal -> degraded    a write or fsync failed (enter_degraded): no fsync timer; the disk
 *                         is tried again every STORE_RETRY_SECONDS (on_retry_timer)
 *   degraded -> normal    the disk took the backlog and a snapshot (on_retry_timer): the
 *                         segment's age timer again
 *   normal or degraded -> stopping    store_finish: no commit and no timer any more; nothing
 *                         is journaled after its last commit (store_append_* return 0, alerts
 *                         are delivered at once)
 * Stopping is final.
 */
static void set_state(struct store *store, enum store_state to)
{
	if (store->state == STORE_STOPPING || store->state == to)
		return;
	store->state = to;
	switch (to) {
	case STORE_DEGRADED:
		store->degraded_since_ms = hostclock_monotonic_ms();
		store->stats.degraded_periods++;
		store->dir_gone_said = false;
		evtimer_del(store->sync_timer);
		arm_retry_timer(store);
		break;
	case STORE_NORMAL:
		arm_rotate_timer(store);
		break;
	case STORE_STOPPING:
		evtimer_del(store->huge_timer);
		event_del(store->commit_event);
		evtimer_del(store->commit_timer);
		evtimer_del(store->sync_timer);
		evtimer_del(store->retry_timer);
		evtimer_del(store->rotate_timer);
		break;
	}
}

/* The batch is empty again (written, or rolled back): what on_commit_event weighs starts over. */
static void batch_emptied(struct store *store)
{
	store->turn_sources = 0;
	store->batch_has_alert = false;
}

/* The alerts waiting for the fsync, delivered from memory and kept for the journal. */
static void deliver_pending_now(struct store *store)
{
	struct alertbuf_pending_alert *alert;

	while ((alert = alertbuf_pending_first(&store->pending))) {
		deliver(store, alert->seq, alert->json, alert->len);
		keep_for_journal(store, alert->seq, alert->json, alert->len);
		alertbuf_pending_pop(&store->pending);
	}
}

/* A write or fsync failed: stop acknowledging, deliver from memory, retry later. While
 * stopping, only say what is lost. */
static void enter_degraded(struct store *store, const char *what, int rc)
{
	enum store_state was = store->state;

	if (was == STORE_DEGRADED)
		return;
	take_sync_in_flight(store, strcmp(what, "fsync") == 0);
	/* The segment's pre-rotation fdatasync (fsync: none) is of a segment the degraded period
	 * ends: the next one, after the recovery, is synced again before its end. */
	store->presynced = false;
	set_state(store, STORE_DEGRADED);
	snprintf(store->degraded_reason, sizeof store->degraded_reason,
		 "cannot %s the journal in %.512s: %s", what, store->dir.path, strerror(-rc));
	journal_rollback(store->journal); /* done again, and checked, before leaving */
	batch_emptied(store);
	deliver_pending_now(store);
	if (was == STORE_STOPPING) {
		log_msg(LOG_ERR,
			"journal: %s: stopping: what was processed since the last commit is "
			"not journaled; senders resend what was not acknowledged",
			store->degraded_reason);
		return;
	}
	log_msg(LOG_ERR,
		"journal: %s: degraded: events are no longer acknowledged (senders keep and resend "
		"them), alerts are still delivered; trying again every %d s",
		store->degraded_reason, STORE_RETRY_SECONDS);
	sd_notifyf(0, "STATUS=degraded: %s", store->degraded_reason);
}

/*
 * The state directory (or its journal directory) deleted or moved away while cadmond held it:
 * made again at its path and locked (statedir_reopen), the old one's files forgotten; the
 * checkpoint of leave_degraded then puts everything in memory into it. Never while another
 * process holds the new lock: then still degraded, that reason shown. Each step logged once in
 * a degraded period. 0 (in place, or made again) or -errno.
 */
static int follow_state_directory(struct store *store)
{
	enum statedir_place place = statedir_where(&store->dir);
	const char *what = place == STATEDIR_GONE ? "state directory" : "journal directory in";
	char why[STORE_REASON_MAX];
	int rc;

	store->dir_refused = false;
	if (place == STATEDIR_IN_PLACE)
		return 0;
	if (!store->dir_gone_said) {
		log_msg(LOG_ERR, "journal: the %s %s was deleted or moved away: making it again",
			what, store->dir.path);
		memcpy(store->dir_gone_reason, store->degraded_reason,
		       sizeof store->dir_gone_reason);
	}
	store->dir_gone_said = true;
	if ((rc = statedir_reopen(&store->dir, place, why, sizeof why)) < 0) {
		if (strcmp(why, store->degraded_reason) != 0) /* each reason once */
			log_msg(LOG_ERR, "journal: %s: still degraded; trying again every %d s",
				why, STORE_RETRY_SECONDS);
		store->dir_refused = true;
		snprintf(store->degraded_reason, sizeof store->degraded_reason, "%s", why);
		return rc;
	}
	memcpy(store->degraded_reason, store->dir_gone_reason, sizeof store->degraded_reason);
	journal_forget_files(store->journal, place == STATEDIR_GONE);
	log_msg(LOG_NOTICE,
		"journal: the %s %s made again and locked: writing the state held in memory "
		"into it (a snapshot, then a new segment)",
		what, store->dir.path);
	return 0;
}

/* Back from degraded: the segment cut back to what was synced, the alerts delivered meanwhile
 * journaled (fsynced), then a snapshot of everything processed meanwhile and a new segment.
 * In that order: a crash right after the snapshot must find those alerts in the journal, as
 * replay from the snapshot cannot give them again. */
static int leave_degraded(struct store *store)
{
	struct journal *journal = store->journal;
	int rc;

	snapshot_wait(store);
	if ((rc = journal_rollback(journal)) < 0 || (rc = follow_state_directory(store)) < 0)
		return rc;
	/* deleted while degraded (or what degraded it): what goes on goes to a new segment */
	journal_drop_unlinked_segment(journal);
	if (store->backlog.count > 0 && !journal_has_segment(journal) &&
	    (rc = journal_start_segment(journal, journal_next_index(journal))) < 0)
		return rc;
	if ((rc = store_write_backlog(store)) < 0)
		return rc;
	return journal_checkpoint(journal, store->engine, true);
}

static void on_retry_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct store *store = ctx;
	int rc;

	(void)fd;
	(void)what;
	if ((rc = leave_degraded(store)) < 0) {
		if (!store->dir_refused) /* else said once, in its own words */
			log_limited(&store->disk_log, LOG_WARNING, "journal: still degraded: %s",
				    strerror(-rc));
		arm_retry_timer(store);
		return;
	}
	syncer_clear_failure(store->syncer); /* on a new segment: its syncs prove what they cover */
	/* The checkpoint began that segment with a snapshot: a rotation due from before or during
	 * the degraded period (the age timer fired meanwhile) is done, not one more to follow. */
	store->rotate_due = false;
	set_state(store, STORE_NORMAL);
	log_msg(LOG_NOTICE,
		"journal: writable again after %.1f s: snapshot written, new segment from record "
		"%" PRIu64 "; acknowledging again",
		(double)(hostclock_monotonic_ms() - store->degraded_since_ms) / 1000.0,
		journal_segment_first(store->journal));
	sd_notify(0, "STATUS=journal writable again");
	if (store->hooks.acknowledge)
		store->hooks.acknowledge(store->hooks.ctx, UINT64_MAX);
}

/* --- commit -------------------------------------------------------------------------------- */

/* The records up to the synced index are durable: deliver their alerts, acknowledge. */
static void made_durable(struct store *store)
{
	uint64_t synced = journal_synced_index(store->journal);
	struct alertbuf_pending_alert *alert;

	while ((alert = alertbuf_pending_first(&store->pending)) && alert->index <= synced) {
		journal_index_alert(store->journal, alert->seq, alert->segment, alert->offset,
				    alert->record_bytes);
		deliver(store, alert->seq, alert->json, alert->len);
		alertbuf_pending_pop(&store->pending);
	}
	if (store->hooks.acknowledge)
		store->hooks.acknowledge(store->hooks.ctx, synced);
}

static int sync_now(struct store *store, bool really)
{
	int rc = journal_sync(store->journal, really);

	if (rc < 0) {
		enter_degraded(store, "fsync", rc);
		return rc;
	}
	store->last_sync_ms = hostclock_monotonic_ms();
	made_durable(store);
	return 0;
}

/* The point was handed to the syncer already (running or next): nothing new to cover. */
static bool requested_already(const struct store *store, const struct journal_sync_point *point)
{
	return store->requested.fd >= 0 && store->requested.segment == point->segment &&
	       store->requested.bytes >= point->bytes;
}

/* The syncer's next sync dropped (a rotation or the loop waits for the running one). */
static void withdraw_next_sync(struct store *store)
{
	syncer_withdraw(store->syncer);
	store->requested.fd = -1;
}

/*
 * Start an fdatasync of everything written on the sync thread (syncer.h). With one in flight:
 * batch hands it over as the next, which the thread starts as soon as the one in flight
 * returns (unless a rotation waits for that one), or, urgent (a commit with an alert), runs it
 * at once beside the one in flight (syncer_start_urgent); interval leaves it to the next timer.
 */
static void sync_in_background(struct store *store, bool urgent)
{
	struct journal_sync_point point;

	if (store->state != STORE_NORMAL || !journal_sync_point(store->journal, &point))
		return;
	if (syncer_busy(store->syncer) &&
	    (store->policy.fsync != CONFIG_FSYNC_BATCH || store->rotate_due ||
	     requested_already(store, &point)))
		return;
	store->last_sync_ms = hostclock_monotonic_ms();
	store->requested = point;
	if (urgent)
		syncer_start_urgent(store->syncer, &point);
	else
		syncer_start(store->syncer, &point);
}

/* A sync of the thread returned: its records are durable, or the store is degraded. */
static void sync_returned(struct store *store, const struct syncer_result *sync)
{
	if (sync->publish) {
		snapshot_published(store, sync->result, false);
		return;
	}
	store->stats.syncs_in_background++;
	store->stats.sync_us_total += sync->took_us;
	if (sync->took_us > store->stats.sync_us_max)
		store->stats.sync_us_max = sync->took_us;
	if (store->presync_running) { /* fsync: none, before the segment's end */
		store->presync_running = false;
		store->presynced = sync->result == 0;
		if (sync->result < 0)
			enter_degraded(store, "fsync", sync->result);
		return; /* it releases nothing: none released at the write */
	}
	if (sync->result < 0) {
		enter_degraded(store, "fsync", sync->result);
		if (sync->point.sync_dir) /* take_sync_in_flight did not see it */
			rotation_synced(store, false);
		return;
	}
	journal_synced_to(store->journal, &sync->point);
	made_durable(store);
	if (sync->point.sync_dir)
		rotation_synced(store, true);
}

/*
 * Block until the sync in flight returns (before the segment is rolled back, ended or synced
 * in the loop, and when too much is unsynced), and a snapshot's publication waiting on the
 * thread: a stall of the loop, counted. 0, or the failure that degraded the store.
 */
static int wait_for_sync(struct store *store)
{
	int64_t start_us = hostclock_monotonic_us();
	struct syncer_result sync;
	bool waited = false;
	uint64_t took;
	int result = 0;

	withdraw_next_sync(store);
	while (syncer_wait(store->syncer, &sync)) {
		waited = true;
		if (sync.result < 0 && result == 0 && !sync.publish)
			result = sync.result;
		sync_returned(store, &sync);
	}
	if (!waited)
		return 0;
	if (result == 0 && store->state == STORE_DEGRADED) /* by a failed publication */
		result = -EIO;
	took = (uint64_t)(hostclock_monotonic_us() - start_us);
	store->stats.sync_waits++;
	if (took > store->stats.sync_wait_us_max)
		store->stats.sync_wait_us_max = took;
	if (store->rotate_due)
		schedule_commit(store); /* on_sync_done will not run: the rotation waiting for it */
	return result;
}

/* enter_degraded's first step: the syncs returned or in flight that succeeded release what
 * they cover, up to a failed one; a failed one changes nothing (the rollback comes next).
 * after_failed_sync: a failed fsync degrades the store (its result taken already), so no
 * result waiting proves anything: Linux reports a writeback error once per descriptor, and a
 * later fdatasync's success says nothing of the failed one's pages. */
static void take_sync_in_flight(struct store *store, bool after_failed_sync)
{
	struct syncer_result sync;
	bool failed = after_failed_sync;

	store->presync_running = false;
	withdraw_next_sync(store);
	while (syncer_wait(store->syncer, &sync)) {
		if (sync.publish) { /* of a snapshot whose rotation's sync returned 0 before */
			snapshot_published(store, sync.result, true);
			continue;
		}
		failed = failed || sync.result < 0;
		if (!failed) {
			journal_synced_to(store->journal, &sync.point);
			made_durable(store);
		}
		if (sync.point.sync_dir)
			rotation_synced(store, !failed);
	}
}

/* fsync: interval: at most one fsync per fsync_interval_ms. */
static void schedule_sync(struct store *store)
{
	int64_t wait_ms =
		store->last_sync_ms + store->policy.fsync_interval_ms - hostclock_monotonic_ms();
	struct timeval wait;

	if (evtimer_pending(store->sync_timer, NULL))
		return;
	if (wait_ms <= 0) {
		sync_in_background(store, false);
		return;
	}
	wait = timeval_ms(wait_ms);
	evtimer_add(store->sync_timer, &wait);
}

/* The next sync after one returned, per journal.fsync: batch at once, interval on time. */
static void sync_next(struct store *store)
{
	if (store->state != STORE_NORMAL || journal_unsynced_bytes(store->journal) == 0)
		return;
	if (store->policy.fsync == CONFIG_FSYNC_BATCH)
		sync_in_background(store, false);
	else if (store->policy.fsync == CONFIG_FSYNC_INTERVAL)
		schedule_sync(store);
}

/* The sync thread's fsync returned (syncer.h): release, start the next, rotate if due. */
static void on_sync_done(void *ctx, const struct syncer_result *sync)
{
	struct store *store = ctx;

	if (store->state != STORE_NORMAL && !sync->publish)
		return;
	sync_returned(store, sync);
	store_maybe_rotate(store); /* first: a sync started before it would be waited for */
	sync_next(store);
}

/* Past STORE_UNSYNCED_MAX_BYTES written and not synced after a commit, the loop waits for the
 * sync in flight and starts the next one (a disk slower than the feeds slows the feeds, as
 * an fsync in the loop did); counted, and logged rate-limited. */
static void bound_unsynced(struct store *store)
{
	uint64_t unsynced = journal_unsynced_bytes(store->journal);

	if (store->state != STORE_NORMAL || unsynced <= STORE_UNSYNCED_MAX_BYTES)
		return;
	store->stats.unsynced_bound_waits++;
	log_limited(&store->bound_log, LOG_WARNING,
		    "journal: %" PRIu64 " bytes written and not fsynced, over %u: the loop waits "
		    "for the disk (the fsync is slower than the feeds)",
		    unsynced, STORE_UNSYNCED_MAX_BYTES);
	wait_for_sync(store);
	sync_in_background(store, false);
}

static void account_commit(struct store *store, int64_t start_us)
{
	uint64_t took = (uint64_t)(hostclock_monotonic_us() - start_us);

	store->stats.commits++;
	store->stats.commit_us_total += took;
	if (took > store->stats.commit_us_max)
		store->stats.commit_us_max = took;
}

/* Write the batch (counted as a commit): false when there was none or it failed (then the
 * store is degraded). */
static bool write_batch(struct store *store)
{
	int64_t start_us = hostclock_monotonic_us();
	int rc;

	if (store->state != STORE_NORMAL || journal_batch_bytes(store->journal) == 0)
		return false;
	if ((rc = journal_write(store->journal)) < 0) {
		enter_degraded(store, "write", rc);
		return false;
	}
	batch_emptied(store);
	account_commit(store, start_us);
	return true;
}

/*
 * Write the batch, then per journal.fsync: batch, start its fdatasync on the sync thread (or,
 * with one in flight, leave it to the next); interval, on time; none, count it as durable and
 * release it at once.
 */
static void commit(struct store *store)
{
	bool has_alert = store->batch_has_alert;

	if (!write_batch(store))
		return;
	switch (store->policy.fsync) {
	case CONFIG_FSYNC_BATCH:
		sync_in_background(store, has_alert);
		break;
	case CONFIG_FSYNC_INTERVAL:
		schedule_sync(store);
		break;
	case CONFIG_FSYNC_NONE:
		sync_now(store, false);
		break;
	}
	bound_unsynced(store);
}

/* The commit, and the rotation it may let go: on the commit event, or a loop turn after it when
 * the commit was put off (on_commit_event), with that turn's lines too. */
static void on_commit_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct store *store = ctx;

	(void)fd;
	(void)what;
	commit(store);
	store_maybe_rotate(store);
}

/*
 * The commit event. It has the sockets' priority on purpose: libevent runs every callback that
 * was active when the loop iteration started before one made active during it, so the commit
 * runs after all the reads of the iteration; a lower priority would instead wait for an
 * iteration with no read at all, which a steady feed might never leave.
 *
 * When the iteration's lines came from two or more sources (feed connections), the commit is
 * put off once, by one turn of the loop: a zero-timeout timer, whose callback runs in the next
 * iteration after that iteration's reads (libevent activates the timers after the poll's
 * events), commits both iterations' lines together, with one write, one fsync, one round of
 * acks. With twenty live feeds that halved the commits on a quiet machine and cut the loop's
 * context switches under load by three quarters ("branch feeds20c" in bench/README.md). One
 * source's lines (a single feed), and a batch that holds an alert, are committed at once as
 * before: the extra turn (all of the next turn's reads) would only add to their latency. A
 * batch put off is never put off again; its acks wait for its commit's fsync as any other's.
 */
static void on_commit_event(evutil_socket_t fd, short what, void *ctx)
{
	static const struct timeval next_turn = { 0, 0 };
	struct store *store = ctx;

	if (store->turn_sources >= 2 && !store->batch_has_alert && store->state == STORE_NORMAL &&
	    journal_batch_bytes(store->journal) > 0 &&
	    !evtimer_pending(store->commit_timer, NULL) &&
	    evtimer_add(store->commit_timer, &next_turn) == 0) {
		store->stats.commits_put_off++;
		return;
	}
	on_commit_timer(fd, what, ctx);
}

static void schedule_commit(struct store *store)
{
	event_active(store->commit_event, 0, 0);
}

/* A line of origin's in the batch: counts its source (the engine's clock key: one per feed
 * connection, a NATS source, an i3 element) for on_commit_event; hellos and ticks, empty, are
 * not counted. Keys are compared on their first 255 bytes (two that share them count as one:
 * their commit is not put off). */
static void note_source(struct store *store, const struct engine_origin *origin, size_t len)
{
	const char *source = origin->source ? origin->source : "";
	size_t n;

	if (len == 0 || store->turn_sources >= 2)
		return;
	if (store->turn_sources == 1) {
		if (strncmp(source, store->turn_source, sizeof store->turn_source - 1) != 0)
			store->turn_sources = 2;
		return;
	}
	n = strnlen(source, sizeof store->turn_source - 1);
	memcpy(store->turn_source, source, n);
	store->turn_source[n] = '\0';
	store->turn_sources = 1;
}

static void on_sync_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct store *store = ctx;

	(void)fd;
	(void)what;
	sync_in_background(store, false);
	store_maybe_rotate(store);
}

/* --- rotation and retention ---------------------------------------------------------------- */

static void retain(struct store *store)
{
	struct journal_retained retained;

	journal_retain(store->journal, engine_watermark_ms(store->engine),
		       store->policy.retention_seconds, &retained);
	if (retained.segments_deleted > 0 || retained.snapshots_deleted > 0)
		log_msg(LOG_INFO, "journal: retention: deleted %zu segments and %zu snapshots",
			retained.segments_deleted, retained.snapshots_deleted);
	if (retained.error < 0)
		log_limited(&store->disk_log, LOG_WARNING, "journal: retention: cannot delete: %s",
			    strerror(-retained.error));
}

/* --- the snapshot of a rotation, written by a child process ---------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define STORE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STORE_UNDER_ASAN 1
#endif
#endif

/* The largest mapping advised below: more than the default limits' worst case (199 MB) in
 * one malloc'd block, less than a sanitizer's reserved regions. */
#define STORE_HUGE_ADVICE_MAX_BYTES (UINT64_C(1) << 30)
#define STORE_HUGE_ADVICE_SECONDS   10
/* fsync: none: a segment at least this large is fdatasync'd on the sync thread before its
 * end (store_maybe_rotate); a smaller one is ended in the loop at once. */
#define STORE_PRESYNC_MIN_BYTES (UINT64_C(1) << 20)

/*
 * A snapshot's fork() copies the page table entry of every page the daemon has touched: 4.5-6.7
 * ms of CPU for the default limits' worst state (113 MB) in 4 KiB pages on a 2-vCPU VM, 1.4 ms
 * once khugepaged has gathered most of it into 2 MiB pages (bench/README.md, "Alert latency
 * under load, the snapshot stall"). So the heap and malloc's other private anonymous
 * mappings are marked for transparent huge pages (MADV_HUGEPAGE, what the kernel's default
 * THP mode "madvise" asks for): memory touched from then on comes in 2 MiB pages, khugepaged
 * gathers what was touched before (16 MiB every 10 s by default). Done after recovery, after
 * each snapshot and every STORE_HUGE_ADVICE_SECONDS (the heap grows into new mappings, which
 * do not inherit the mark; reading /proc/self/maps takes about 0.1 ms). Not at all when the
 * kernel has no THP or its mode is "never" (huge_pages_available, read once at start); not
 * under AddressSanitizer, whose allocator and shadow keep their own policy.
 */
static void advise_huge_pages(const struct store *store)
{
#ifndef STORE_UNDER_ASAN
	FILE *maps;
	char line[512];

	if (!store->huge_pages || !(maps = fopen("/proc/self/maps", "re")))
		return;
	while (fgets(line, sizeof line, maps)) {
		unsigned long from, to;
		char perms[5];
		int name_at = -1;
		const char *name;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &from, &to, perms, &name_at) < 3 ||
		    name_at < 0)
			continue;
		name = line + name_at;
		if (strcmp(perms, "rw-p") == 0 &&
		    (*name == '\0' || strncmp(name, "[heap]", 6) == 0) &&
		    to - from <= STORE_HUGE_ADVICE_MAX_BYTES)
			madvise((void *)from, to - from, MADV_HUGEPAGE);
	}
	fclose(maps);
#else
	(void)store;
#endif
}

/* THP in the kernel, in mode "always" or "madvise": the mode file names the one in force in
 * brackets ("always [madvise] never"). */
static bool huge_pages_available(void)
{
	FILE *mode = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char line[128];
	bool available;

	if (!mode)
		return false;
	available = fgets(line, sizeof line, mode) && !strstr(line, "[never]");
	fclose(mode);
	return available;
}

static void on_huge_timer(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	advise_huge_pages(ctx);
}

/* A rotation's snapshot in place (result 0: written, its rotation's sync and its publication
 * returned 0), or one of them failed (result -errno): the journal learns of the snapshot,
 * retention runs; or the store is degraded, as a failed synchronous one would. */
static void snapshot_trust(struct store *store, int result)
{
	if (result == 0)
		result = journal_snapshot_written(store->journal, store->snapshot_index,
						  ENGINE_SNAPSHOT_NEXT_SEGMENT);
	if (result < 0) {
		if (store->state == STORE_NORMAL)
			enter_degraded(store, "snapshot", result);
		return;
	}
	if (store->state == STORE_NORMAL)
		retain(store);
	advise_huge_pages(store);
}

/* The child's *.tmp, not to be renamed into place: removed (the next start would too). */
static void snapshot_discard(struct store *store)
{
	statedir_discard_snapshot_tmp(&store->dir, store->snapshot_index);
}

/* Everything the snapshot follows is durable (its rotation's sync returned 0) and its child
 * wrote it: renamed into place and the state directory fsynced on the sync thread, not in the
 * loop (snapshot_published). Not while degraded or stopping: the next snapshot is written
 * whole, in the loop, by the degraded period's end or the stop. */
static void snapshot_publish(struct store *store)
{
	if (store->state != STORE_NORMAL) {
		snapshot_discard(store);
		return;
	}
	syncer_publish(store->syncer, store->dir.fd, store->snapshot_index);
}

/* The publication returned: the snapshot is trusted (snapshot_trust), or, failed, degrades the
 * store (unless it is degrading already) with its *.tmp removed; a failed fsync of the state
 * directory after the rename leaves the snapshot in place, untrusted: everything it follows
 * is durable, so a next start may use it. */
static void snapshot_published(struct store *store, int result, bool degrading)
{
	if (result < 0) {
		snapshot_discard(store);
		if (degrading)
			return;
	}
	if (degrading) { /* in place: the journal learns of it; the degrading decides the rest */
		(void)journal_snapshot_written(store->journal, store->snapshot_index,
					       ENGINE_SNAPSHOT_NEXT_SEGMENT);
		return;
	}
	snapshot_trust(store, result);
}

/* The child's report: its *.tmp written and fsynced (0), or not (-errno). It is published once
 * the rotation's sync has returned 0 too (rotation_synced): until then it waits; after that
 * sync failed (the store degraded) it is removed, never renamed into place. */
static void snapshot_finished(struct store *store, int written)
{
	int status;

	event_free(store->snapshot_event);
	store->snapshot_event = NULL;
	close(store->snapshot_pipe);
	while (waitpid(store->snapshot_child, &status, 0) < 0 && errno == EINTR)
		;
	store->snapshot_child = 0;
	if (written < 0) { /* the child removed its *.tmp, unless it died */
		snapshot_discard(store);
		snapshot_trust(store, written);
		return;
	}
	switch (store->rotation_sync) {
	case ROTATION_SYNCING:
		store->snapshot_waits = true;
		break;
	case ROTATION_SYNC_FAILED:
		snapshot_discard(store);
		break;
	case ROTATION_SYNCED:
		snapshot_publish(store);
		break;
	}
}

/* The rotation's sync returned (ok: 0): a snapshot that waited for it is published now, or
 * removed. */
static void rotation_synced(struct store *store, bool ok)
{
	bool waits = store->snapshot_waits;

	store->rotation_sync = ok ? ROTATION_SYNCED : ROTATION_SYNC_FAILED;
	store->snapshot_waits = false;
	if (waits && ok)
		snapshot_publish(store);
	else if (waits)
		snapshot_discard(store);
}

static void account_snapshot_stall(struct store *store, int64_t start_us)
{
	uint64_t took = (uint64_t)(hostclock_monotonic_us() - start_us);

	if (took > store->stats.snapshot_stall_us_max)
		store->stats.snapshot_stall_us_max = took;
}

/* What the snapshot's child reports: its *.tmp written and fsynced, 0 or -errno (-EIO when it
 * died without a report). */
static int read_report(int fd)
{
	int written;
	ssize_t got;

	while ((got = read(fd, &written, sizeof written)) < 0 && errno == EINTR)
		;
	return got == (ssize_t)sizeof written ? written : -EIO;
}

static void on_snapshot_done(evutil_socket_t fd, short what, void *ctx)
{
	struct store *store = ctx;

	(void)what;
	snapshot_finished(store, read_report(fd));
	store_maybe_rotate(store);
}

/* Block until the child is done (before any other snapshot: the journal's order holds). A
 * wait while the loop runs is a stall (accounted); one at stop is not. */
static void snapshot_wait_for(struct store *store, bool in_loop)
{
	int64_t start_us = hostclock_monotonic_us();

	if (store->snapshot_child <= 0)
		return;
	snapshot_finished(store, read_report(store->snapshot_pipe));
	if (in_loop)
		account_snapshot_stall(store, start_us);
}

static void snapshot_wait(struct store *store)
{
	snapshot_wait_for(store, true);
}

static int compare_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every descriptor but the count in keep (the child holds no socket, no lock open). */
static void close_all_but(int *keep, size_t count)
{
	unsigned from = 0;

	qsort(keep, count, sizeof *keep, compare_fd);
	for (size_t i = 0; i < count; i++) {
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

/*
 * The child is woken where it was forked and may preempt the loop's thread there at once, in
 * its fork(): it then encoded the snapshot until it slept or the tick (4 ms at HZ 250) gave the
 * CPU back, 0.1-4.4 ms of the loop's stall beyond the fork's CPU time (bench/README.md,
 * "branch stall11"). So it gives the CPU back first, and runs SCHED_BATCH (sched(7): its
 * wake-ups do not preempt). The loop's thread being batch for the fork did not help.
 * sched_setscheduler fails under a seccomp filter without it (EPERM): then only the yield.
 */
static void yield_to_the_loop(void)
{
	const struct sched_param param = { 0 };

	(void)sched_setscheduler(0, SCHED_BATCH, &param);
	sched_yield();
}

/*
 * The child: dies with the daemon (a kill -9 leaves a *.tmp, removed at start), keeps only
 * the state directory and the pipe, writes and fsyncs the snapshot's *.tmp (nothing else: the
 * syncs of what it follows and its rename are the sync thread's, rotate()), reports, _exit()s.
 * Plain fsync, not the store's hook: the syncer's, with its locks, is the parent's.
 */
static _Noreturn void snapshot_child(struct store *store, uint64_t index, int pipe_fd, pid_t parent)
{
	int keep[2] = { store->dir.fd, pipe_fd };
	int written;

	yield_to_the_loop();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* it died before the line above */
		_exit(1);
	close_all_but(keep, 2);
	written = journal_snapshot_to_tmp(store->journal, store->engine, index,
					  ENGINE_SNAPSHOT_NEXT_SEGMENT);
	_exit(write(pipe_fd, &written, sizeof written) == (ssize_t)sizeof written ? 0 : 1);
}

/* This thread's CPU time: a fork's own cost, without the time other processes ran meanwhile. */
static int64_t thread_cpu_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/*
 * The snapshot after journal_rotate_begin, written by a fork()ed child from its copy-on-write
 * image of the engine while the loop goes on (the child only encodes, writes, fsyncs its
 * file and _exit()s: no lock another thread may hold is taken). Without a child (fork
 * fails), written here, after the rotation's sync (waited for).
 */
static int snapshot_in_background(struct store *store, uint64_t index)
{
	int64_t start_us = hostclock_monotonic_us(), fork_us = 0, fork_cpu_us = thread_cpu_us();
	int fds[2] = { -1, -1 };
	pid_t pid = -1, parent = getpid();

	if (pipe2(fds, O_CLOEXEC) < 0 || ((fork_us = hostclock_monotonic_us()), pid = fork()) < 0) {
		int error = errno;
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		log_limited(&store->disk_log, LOG_WARNING,
			    "journal: cannot fork the snapshot writer (%s): written in the loop",
			    strerror(error));
		if ((error = wait_for_sync(store)) < 0)
			return error;
		return journal_write_snapshot(store->journal, store->engine,
					      ENGINE_SNAPSHOT_NEXT_SEGMENT);
	}
	if (pid == 0)
		snapshot_child(store, index, fds[1], parent);
	fork_us = hostclock_monotonic_us() - fork_us;
	fork_cpu_us = thread_cpu_us() - fork_cpu_us;
	if ((uint64_t)fork_us > store->stats.snapshot_fork_us_max)
		store->stats.snapshot_fork_us_max = (uint64_t)fork_us;
	if ((uint64_t)fork_cpu_us > store->stats.snapshot_fork_cpu_us_max)
		store->stats.snapshot_fork_cpu_us_max = (uint64_t)fork_cpu_us;
	close(fds[1]);
	store->stats.snapshots_forked++;
	store->snapshot_child = pid;
	store->snapshot_pipe = fds[0];
	store->snapshot_index = index;
	store->snapshot_event = event_new(store->base, fds[0], EV_READ, on_snapshot_done, store);
	if (!store->snapshot_event || event_add(store->snapshot_event, NULL) < 0)
		snapshot_wait(store);
	account_snapshot_stall(store, start_us);
	return 0;
}

/*
 * A rotation's disk work, none of it waited for in the loop: the batch written (under none
 * counted durable, as any commit), the segment's SEGMENT_END written and the next segment
 * created (journal_rotate_begin), their sync handed to the idle sync thread (the ended
 * segment's fdatasync, then the journal directory's fsync), the snapshot's child forked: it
 * writes and fsyncs the snapshot's *.tmp only. Records go on in the next segment at once;
 * under batch and interval they are released by syncs whose results the loop takes after the
 * rotation's (so only if it succeeded: an alert's sync may run beside the rotation's, but
 * their results come back together, in the order they started, a failure of either both's).
 * Once the child reported its *.tmp written and the rotation's sync returned 0, the sync
 * thread renames the *.tmp into place and fsyncs the state directory (snapshot_publish,
 * before any sync handed to the thread after it: a sync of the next segment queued while the
 * rotation's ran may run first, which nothing depends on); when that
 * returns 0 the snapshot is trusted (retention may then delete what it covers). The thread runs
 * one job at a time, so the rename and the directory's fsync hold the next segment's syncs
 * (under batch, its acks) for as long as they take, once a rotation.
 *
 * What a crash leaves, step by step (a kill -9 keeps every write, create and rename made; a
 * machine's crash keeps what was synced, and may keep more):
 *  1. before the SEGMENT_END is written, or with it torn: the segment as a crash leaves any,
 *     recovery ends it (truncating a torn record).
 *  2. after it, before the next segment is created: a segment ended, no next; recovery
 *     replays from the last snapshot and starts one. A machine's crash may lose the end
 *     (not synced yet): then as 1.
 *  3. after the creation, before the fork or the rotation's sync: an empty next segment,
 *     which recovery opens again (the one after the last record). A machine's crash may
 *     keep the new name and lose the end: the ended segment is then one without its end
 *     before an empty one, which recovery removes; the segment without its end is read
 *     whole, as closed, and the checkpoint's new segment starts at the lost end's index.
 *     With records in the next segment (written back by the kernel on its own; none
 *     acknowledged under batch or interval, their syncs' results taken after the rotation's), both
 *     are replayed, the lost end alone missing between them (recovery names no gap for it).
 *  4. the child writing or done, its *.tmp (whole or not) on disk, before the rename: the
 *     next start removes every *.tmp (statedir_list) and recovers from the previous
 *     snapshot, replaying both segments, as in 3. The *.tmp is never renamed before the
 *     rotation's sync returned 0, so no snapshot is in place while the segment end or the
 *     next segment's name it follows may be lost: without the name, recovery would find the
 *     snapshot's next segment missing (and say acknowledged lines were lost); without the
 *     segment, its tail not yet synced under batch or interval could be lost with alerts
 *     held for that sync, which no replay after the snapshot gives again. So the child syncs
 *     nothing of the journal (it did, on descriptions of its own: a writeback error the
 *     thread was told of first was not reported to it, and it renamed a snapshot of lost
 *     records into place). A failed rotation's sync degrades the store (enter_degraded) and
 *     the *.tmp is removed, not renamed.
 *  5. renamed, the state directory not yet fsynced: after a kill -9 the snapshot is in
 *     place; after a machine's crash it is, or its name is lost (then as 4). Its content was
 *     fsynced by the child and what it follows by the rotation's sync: either is sound.
 *  6. the state directory fsynced: the snapshot is durable, as before; only now does the
 *     store trust it and let retention delete the segments and snapshots it covers.
 * A failed rename or fsync of the state directory degrades the store as a failed snapshot
 * (the *.tmp removed; after a rename, the snapshot stays in place, untrusted, as in 5).
 */
static void rotate(struct store *store)
{
	struct journal *journal = store->journal;
	struct journal_sync_point rotation;
	uint64_t index;
	int rc;

	if (store->policy.fsync == CONFIG_FSYNC_NONE)
		commit(store);
	else
		write_batch(store);
	if (store->state != STORE_NORMAL || journal_segment_empty(journal))
		return;
	if ((rc = journal_rotate_begin(journal, store->engine, &index, &rotation)) < 0) {
		enter_degraded(store, "rotate", rc);
		return;
	}
	store->rotation_sync = ROTATION_SYNCING;
	store->snapshot_waits = false;
	store->requested.fd = -1;
	syncer_start(store->syncer, &rotation);
	if ((rc = snapshot_in_background(store, index)) < 0) {
		enter_degraded(store, "rotate", rc);
		return;
	}
	store->stats.rotations++;
	if (store->snapshot_child == 0 && store->state == STORE_NORMAL)
		retain(store);
}

/* Rotate when the segment is full or old enough. */
static void store_maybe_rotate(struct store *store)
{
	struct journal *journal = store->journal;

	if (store->state != STORE_NORMAL || !journal_has_segment(journal))
		return;
	if (journal_segment_bytes(journal) >= store->policy.segment_max_bytes)
		store->rotate_due = true;
	if (!store->rotate_due)
		return;
	/* A child at a time. The previous one is still writing (a segment filled faster than a
	 * snapshot is written): the rotation is done when it ends (on_snapshot_done), not waited
	 * for, which stalled the loop for the rest of that snapshot (hundreds of ms for the
	 * default limits' worst state); the segment grows past segment_max_bytes meanwhile. */
	if (store->snapshot_child > 0) {
		if (!store->rotate_deferred)
			store->stats.rotations_deferred++;
		store->rotate_deferred = true;
		return;
	}
	/* The rotation's sync runs on the sync thread at once; any sync of the next segment
	 * starts after it or, an alert's, beside it, and its result is taken after the
	 * rotation's (that order, and a pair's shared failure, is what lets those release
	 * records: syncer.h). A sync in flight,
	 * or a result the loop has not taken, is not waited for (nor is the next one started
	 * after it): when it returns, on_sync_done comes back here before starting the next. */
	if (syncer_busy(store->syncer)) {
		withdraw_next_sync(store);
		return;
	}
	if (store->hooks.rotation_begins)
		store->hooks.rotation_begins(store->hooks.ctx);
	/* fsync: none: nothing of the segment was synced as it was written, and an fdatasync of
	 * its end sleeps through the whole segment's writeback (10-24 ms for 16 MiB on this VM's
	 * disk, about 0.5 s for 150 MB: bench/README.md, "branch stall"), which the rotation's
	 * sync and the snapshot's child would then wait for. So it is synced on the sync thread
	 * first; when that returns (on_sync_done) the rotation goes on. */
	if (store->policy.fsync == CONFIG_FSYNC_NONE && !store->presynced &&
	    journal_segment_bytes(journal) >= STORE_PRESYNC_MIN_BYTES) {
		/* its result releases nothing (sync_returned) */
		const struct journal_sync_point whole = { .fd = journal_segment_fd(journal) };

		store->presync_running = true;
		store->requested.fd = -1;
		syncer_start(store->syncer, &whole);
		return;
	}
	store->presynced = false;
	store->rotate_deferred = false;
	store->rotate_due = false;
	rotate(store);
	arm_rotate_timer(store);
}

static void on_rotate_timer(evutil_socket_t fd, short what, void *ctx)
{
	struct store *store = ctx;

	(void)fd;
	(void)what;
	store->rotate_due = true;
	store_maybe_rotate(store);
}

/* --- the daemon's interface ---------------------------------------------------------------- */

static int store_setup_events(struct store *store)
{
	store->commit_event = event_new(store->base, -1, 0, on_commit_event, store);
	store->commit_timer = evtimer_new(store->base, on_commit_timer, store);
	store->sync_timer = evtimer_new(store->base, on_sync_timer, store);
	store->rotate_timer = evtimer_new(store->base, on_rotate_timer, store);
	store->retry_timer = evtimer_new(store->base, on_retry_timer, store);
	store->huge_timer = event_new(store->base, -1, EV_PERSIST, on_huge_timer, store);
	if (!store->commit_event || !store->commit_timer || !store->sync_timer ||
	    !store->rotate_timer || !store->retry_timer || !store->huge_timer)
		return -ENOMEM;
	return 0;
}

static void set_policy(struct store *store, const struct config *config)
{
	store->policy = (struct store_policy){
		.fsync = config->journal.fsync,
		.fsync_interval_ms = config->journal.fsync_interval_ms,
		.segment_max_bytes = config->journal.segment_max_bytes,
		.segment_max_seconds = config->journal.segment_max_seconds,
		.retention_seconds = config->journal.retention_seconds,
	};
}

struct store *store_new(struct event_base *base, const struct config *config,
			const struct store_hooks *hooks, char *why, size_t why_size)
{
	struct store *store = calloc(1, sizeof *store);
	char path[STATEDIR_PATH_MAX];

	if (!store) {
		snprintf(why, why_size, "cannot start: out of memory");
		return NULL;
	}
	store->dir.fd = store->dir.journal_fd = store->dir.lock_fd = -1;
	store->requested.fd = -1;
	store->base = base;
	store->hooks = *hooks;
	store->state = STORE_NORMAL;
	alertbuf_backlog_init(&store->backlog, STORE_BACKLOG_MAX_BYTES);
	store->history = (struct replay_history){ .read = store_history_read,
						  .newest = store_history_newest,
						  .oldest = store_history_oldest,
						  .bytes_after = store_history_bytes_after,
						  .settle = store_history_settle,
						  .ctx = store };
	set_policy(store, config);
	log_limit_init(&store->disk_log, config->log.rate_limit_seconds, "journal");
	log_limit_init(&store->bound_log, config->log.rate_limit_seconds,
		       "journal: unsynced bound");
	if (statedir_resolve(config, path, sizeof path, why, why_size) < 0 ||
	    statedir_open(&store->dir, path, why, why_size) < 0) {
		store_free(store);
		return NULL;
	}
	if (!(store->journal = journal_new(&store->dir)) || store_setup_events(store) < 0) {
		snprintf(why, why_size, "cannot start: out of memory");
		store_free(store);
		return NULL;
	}
	if (!(store->syncer = syncer_new(base, hooks->sync_file, on_sync_done, store))) {
		snprintf(why, why_size, "cannot start the journal's sync thread: %s",
			 strerror(errno));
		store_free(store);
		return NULL;
	}
	return store;
}

/* Alerts of quarantined segments: delivered before, journaled again. */
static void store_keep_salvaged(struct store *store, struct recovery *recovery)
{
	int rc;

	for (size_t i = 0; i < recovery->salvaged_count; i++)
		keep_for_journal(store, recovery->salvaged[i].seq, recovery->salvaged[i].json,
				 recovery->salvaged[i].len);
	if (store->state == STORE_NORMAL && (rc = store_write_backlog(store)) < 0)
		enter_degraded(store, "write", rc);
}

/* Alerts recovery produced again that were never journaled, so never delivered: now they are. */
static void deliver_recovered(struct store *store)
{
	size_t count;
	struct recovery_alert *alerts = recovery_router_take(&store->router, &count);

	for (size_t i = 0; i < count; i++) {
		if (alerts[i].seq == store->recovered.incomplete_seq)
			log_msg(LOG_NOTICE, "alert %" PRIu64 ": state_incomplete firing (warning)",
				alerts[i].seq);
		else
			log_msg(LOG_NOTICE,
				"alert %" PRIu64 ": produced again by recovery, never delivered "
				"before the restart: delivering it",
				alerts[i].seq);
		store_on_alert(store, alerts[i].seq, alerts[i].json, alerts[i].len);
	}
	recovery_alerts_free(alerts, count);
	if (store->router.recovered_lost)
		log_msg(LOG_ERR, "recovery: out of memory: some recovered alerts are lost");
}

struct engine *store_recover(struct store *store, const struct config *config,
			     engine_alert_fn on_alert, void *ctx, char *why, size_t why_size)
{
	struct recovery recovery;
	int rc;

	recovery_router_init(&store->router, on_alert, ctx);
	if (recovery_run(&store->dir, store->journal, config, &store->router, &recovery, why,
			 why_size) < 0)
		return NULL;
	store->engine = recovery.engine;
	store->recovered = recovery.summary;
	store->huge_pages = huge_pages_available();
	advise_huge_pages(store);
	if (store->huge_pages)
		evtimer_add(store->huge_timer,
			    &(const struct timeval){ .tv_sec = STORE_HUGE_ADVICE_SECONDS });
	store->newest_delivered = journal_newest_alert(store->journal);
	if (store->router.journaled_through > store->newest_delivered)
		store->newest_delivered = store->router.journaled_through;
	if ((rc = recovery_checkpoint(store->journal, &recovery)) < 0) {
		enter_degraded(store, "start", rc);
	} else {
		arm_rotate_timer(store);
		retain(store);
	}
	store_keep_salvaged(store, &recovery);
	recovery_release(&recovery);
	deliver_recovered(store);
	return store->engine;
}

void store_log_start(const struct store *store)
{
	log_msg(LOG_INFO, "journal: state directory %s, fsync %s, segment from record %" PRIu64,
		store->dir.path, config_fsync_name(store->policy.fsync),
		journal_segment_first(store->journal));
	recovery_log_summary(&store->recovered);
}

/* Room in the batch for one more input record (a full batch is committed first); false when
 * degraded (the input is not journaled, counted) or stopping. */
static bool accept_input(struct store *store)
{
	if (store->state == STORE_NORMAL &&
	    journal_batch_bytes(store->journal) >= STORE_BATCH_MAX_BYTES) {
		store->stats.early_commits++;
		commit(store);
	}
	if (store->state == STORE_DEGRADED)
		store->stats.lines_not_journaled++;
	return store->state == STORE_NORMAL;
}

uint64_t store_append_line(struct store *store, const struct engine_origin *origin,
			   const char *line, size_t len)
{
	uint64_t index;

	if (!accept_input(store))
		return 0;
	index = journal_append_event_at(store->journal, origin, line, len);
	note_source(store, origin, len);
	schedule_commit(store);
	return index;
}

uint64_t store_append_control(struct store *store, int64_t ts_ms, const char *line, size_t len)
{
	uint64_t index;

	if (!accept_input(store))
		return 0;
	index = journal_append_control(store->journal, ts_ms, line, len);
	schedule_commit(store);
	return index;
}

void store_append_reject(struct store *store, enum event_reject reason)
{
	if (store->state != STORE_NORMAL)
		return;
	journal_append_reject(store->journal, reason);
	schedule_commit(store);
}

/* No memory to hold an alert until its fsync: journal everything now, in the loop, so that it
 * still goes out durable and after the alerts before it; if the disk fails meanwhile, deliver
 * it as the degraded store delivers (and keeps) the others. */
static void deliver_unheld(struct store *store, uint64_t seq, const char *json, size_t len)
{
	store->stats.alerts_synced_in_loop++;
	log_msg(LOG_ERR, "alert %" PRIu64 ": out of memory to hold it for its fsync: "
		"the journal is synced in the loop", seq);
	if (flush_now(store) < 0 && store->state == STORE_DEGRADED)
		keep_for_journal(store, seq, json, len);
	deliver(store, seq, json, len);
}

void store_on_alert(struct store *store, uint64_t seq, const char *json, size_t len)
{
	struct alertbuf_pending_alert alert = { .seq = seq, .len = len };

	if (store->state != STORE_NORMAL) {
		deliver(store, seq, json, len);
		if (store->state == STORE_DEGRADED)
			keep_for_journal(store, seq, json, len);
		return;
	}
	alert.segment = journal_segment_first(store->journal);
	alert.index = journal_append_alert(store->journal, seq, json, len, &alert.offset,
					   &alert.record_bytes);
	store->batch_has_alert = true;
	schedule_commit(store);
	if ((alert.json = malloc(len + 1))) {
		memcpy(alert.json, json, len);
		alert.json[len] = '\0';
	}
	if (!alert.json || alertbuf_pending_push(&store->pending, &alert) < 0) {
		free(alert.json);
		deliver_unheld(store, seq, json, len);
	}
}

/* Everything appended so far written and fsynced (whatever journal.fsync says; in the loop,
 * after the sync in flight), delivered and acknowledged. */
static int flush_now(struct store *store)
{
	int rc;

	if (store->state == STORE_DEGRADED)
		return -EIO;
	if ((rc = journal_write(store->journal)) < 0) {
		enter_degraded(store, "write", rc);
		return rc;
	}
	batch_emptied(store);
	evtimer_del(store->sync_timer);
	if ((rc = wait_for_sync(store)) < 0)
		return rc;
	return sync_now(store, true);
}

void store_settle(struct store *store)
{
	if (store->state == STORE_NORMAL && alertbuf_pending_first(&store->pending))
		flush_now(store);
}

void store_reconfigure(struct store *store, const struct config *config)
{
	char path[STATEDIR_PATH_MAX], why[256];

	if (statedir_resolve(config, path, sizeof path, why, sizeof why) == 0 &&
	    strcmp(path, store->dir.path) != 0)
		log_msg(LOG_WARNING,
			"journal: state directory %s is used after a restart only; "
			"still %s",
			path, store->dir.path);
	set_policy(store, config);
	store->disk_log.interval_seconds = config->log.rate_limit_seconds;
	store->bound_log.interval_seconds = config->log.rate_limit_seconds;
	if (flush_now(store) < 0)
		return;
	store->rotate_due = true;
	store_maybe_rotate(store); /* also re-arms the age timer */
}

static void log_commit_stats(const struct store *store)
{
	const struct store_stats *stats = &store->stats;

	log_msg(LOG_INFO,
		"journal: %" PRIu64 " commits (%" PRIu64
		" early), write %.3f ms on average, %.3f ms at most; fsync on the sync thread "
		"%.3f ms on average, %.3f ms at most (%" PRIu64 " fsyncs, %" PRIu64
		" waited for by the loop, %.3f ms at most); %" PRIu64
		" rotations, %" PRIu64 " degraded periods (%" PRIu64
		" lines and %" PRIu64
		" alerts not journaled); the loop's longest stall for a snapshot in the background "
		"(its fork, or a wait for the previous one) %.3f ms (the longest fork %.3f ms, "
		"%.3f ms of CPU at most; %" PRIu64
		" rotations deferred until the previous snapshot was written); %" PRIu64
		" waits at the unsynced bound; %" PRIu64
		" commits put off by a loop turn (lines of several feeds)",
		stats->commits, stats->early_commits,
		stats->commits ? (double)stats->commit_us_total / (double)stats->commits / 1000.0
			       : 0.0,
		(double)stats->commit_us_max / 1000.0,
		stats->syncs_in_background ? (double)stats->sync_us_total /
						     (double)stats->syncs_in_background / 1000.0
					   : 0.0,
		(double)stats->sync_us_max / 1000.0, stats->syncs_in_background, stats->sync_waits,
		(double)stats->sync_wait_us_max / 1000.0, stats->rotations, stats->degraded_periods,
		stats->lines_not_journaled, stats->alerts_not_journaled,
		(double)stats->snapshot_stall_us_max / 1000.0,
		(double)stats->snapshot_fork_us_max / 1000.0,
		(double)stats->snapshot_fork_cpu_us_max / 1000.0, stats->rotations_deferred,
		stats->unsynced_bound_waits, stats->commits_put_off);
}

void store_finish(struct store *store)
{
	snapshot_wait_for(store, false);
	/* deleted or moved away while nothing failed yet (idle, fsync: none): made again first,
	 * so that the final snapshot does not go into a directory no longer there (rev16b S1) */
	if (store->state == STORE_NORMAL && statedir_where(&store->dir) != STATEDIR_IN_PLACE)
		enter_degraded(store, "reach", -ENOENT);
	bool journaling = store->state == STORE_NORMAL ||
			  (store->state == STORE_DEGRADED && leave_degraded(store) == 0);
	int rc;

	set_state(store, STORE_STOPPING);
	if (!journaling) {
		log_msg(LOG_ERR,
			"journal: stopping degraded (%s): what was processed since is not "
			"journaled; senders resend what was not acknowledged",
			store->degraded_reason);
	} else if (flush_now(store) == 0) {
		if ((rc = journal_checkpoint(store->journal, store->engine, false)) < 0)
			log_msg(LOG_ERR, "journal: cannot write the final snapshot: %s",
				strerror(-rc));
		else
			retain(store);
	}
	log_commit_stats(store);
}

bool store_snapshot_running(const struct store *store)
{
	return store->snapshot_child > 0;
}

/* The last eighth of a segment, at most STORE_ROTATION_NEAR_BYTES of it: a small
 * segment_max_bytes (65536 at least) reads 16 KiB only near its end, not all the time. */
static uint64_t rotation_near_bytes(const struct store *store)
{
	uint64_t eighth = store->policy.segment_max_bytes / 8;

	return eighth < STORE_ROTATION_NEAR_BYTES ? eighth : STORE_ROTATION_NEAR_BYTES;
}

bool store_read_less(const struct store *store)
{
	return store->snapshot_child > 0 ||
	       (store->state == STORE_NORMAL && journal_has_segment(store->journal) &&
		journal_segment_bytes(store->journal) + rotation_near_bytes(store) >=
			store->policy.segment_max_bytes);
}

bool store_degraded(const struct store *store, const char **reason)
{
	if (reason)
		*reason = store->degraded_reason;
	return store->state == STORE_DEGRADED;
}

const struct replay_history *store_history(const struct store *store)
{
	return &store->history;
}

const struct store_stats *store_stats(const struct store *store)
{
	return &store->stats;
}

const struct journal_stats *store_journal_stats(const struct store *store)
{
	static const struct journal_stats none;

	return store->journal ? journal_stats(store->journal) : &none;
}

void store_free(struct store *store)
{
	if (!store)
		return;
	/* Stopping, whether or not store_finish ran (a start that failed, a test that stopped
	 * midway): a child still writing is reaped without retention or a degraded period, which
	 * would reach for the engine and the hooks, perhaps freed already. */
	store->state = STORE_STOPPING;
	snapshot_wait_for(store, false);
	syncer_free(store->syncer); /* no sync in flight after store_finish */
	if (store->commit_event)
		event_free(store->commit_event);
	if (store->commit_timer)
		event_free(store->commit_timer);
	if (store->sync_timer)
		event_free(store->sync_timer);
	if (store->rotate_timer)
		event_free(store->rotate_timer);
	if (store->retry_timer)
		event_free(store->retry_timer);
	if (store->huge_timer)
		event_free(store->huge_timer);
	alertbuf_pending_free(&store->pending);
	alertbuf_backlog_free(&store->backlog);
	journal_free(store->journal);
	recovery_router_release(&store->router);
	statedir_close(&store->dir);
	log_limit_flush(&store->disk_log);
	log_limit_flush(&store->bound_log);
	free(store);
}
