/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_JOURNAL_H
#define CADMOND_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "event.h"
#include "record.h"

/*
 * The journal: segments of records (record.h) in a state directory (statedir.h), written in
 * batches. Records are appended to an in-memory batch; journal_write() writes the batch with
 * one write(2), journal_sync() makes it durable. It also keeps what the daemon needs to know
 * about the files it does not read again: the closed segments (their record range and how new
 * their events are, for retention), the snapshots on disk, and an index of the ALERT records
 * it has (for replaying alerts to a console). No libevent and no logging: errors are
 * returned as -errno, and the caller (store.c, recovery.c, bench/recovery.c) decides.
 */

/* A closed segment. */
struct journal_segment {
	uint64_t first_index;
	uint64_t last_index;         /* of its last record */
	int64_t newest_watermark_ms; /* no event in it is newer than this (event time) */
};

/* An ALERT record the journal holds. */
struct journal_alert {
	uint64_t seq;
	uint64_t segment;       /* first index of the segment holding the record */
	uint64_t offset;        /* of the record in it */
	uint32_t record_bytes;
	uint64_t bytes_through; /* alert line bytes ("\n" included) of the indexed alerts up to
				 * this one */
};

struct journal_stats {
	uint64_t writes;            /* batches written */
	uint64_t bytes_written;
	uint64_t syncs;
	uint64_t segments_created;
	uint64_t segments_deleted;
	uint64_t snapshots_written;
	uint64_t snapshots_deleted;
	uint64_t alerts_unindexed;  /* alerts dropped from the index: JOURNAL_MAX_INDEXED_ALERTS */
};

/* Alerts the index holds at most (about 40 bytes each); beyond it the oldest are dropped. */
#define JOURNAL_MAX_INDEXED_ALERTS (1u << 20)

/* A snapshot is kept until two newer ones exist: the newer is the one used at start, the
 * older its fallback should the newer fail to verify. */
#define JOURNAL_SNAPSHOTS_KEPT 2

struct statedir;
struct engine;
struct journal;

/** A journal over dir (not owned; it must outlive the journal). NULL on allocation failure. */
struct journal *journal_new(struct statedir *dir);

/** Close the open segment (without ending it) and free. NULL is allowed. */
void journal_free(struct journal *journal);

/* --- what recovery found ------------------------------------------------------------------ */

int journal_add_closed_segment(struct journal *journal, const struct journal_segment *segment);
int journal_add_snapshot(struct journal *journal, uint64_t index);
/** The snapshot of index (one journal_add_snapshot knows) is stamped next (engine.h). */
void journal_note_snapshot_stamp(struct journal *journal, uint64_t index,
				 enum engine_snapshot_next next);
int journal_index_alert(struct journal *journal, uint64_t seq, uint64_t segment, uint64_t offset,
			uint32_t record_bytes);
/** Sort the alert index by seq, keeping one entry per seq (recovery may find one twice). */
void journal_sort_alerts(struct journal *journal);

/**
 * Append to an existing segment of size_bytes whose last record is last_index (a segment a
 * crash left open: recovery truncated it to its last good record), so that it can be ended.
 */
int journal_resume_segment(struct journal *journal, uint64_t first_index, uint64_t size_bytes,
			   uint64_t last_index);

/** Start a new segment whose first record will be first_index. 0 or -errno. */
int journal_start_segment(struct journal *journal, uint64_t first_index);

/** With no segment open: the last record on disk is last_index (0: none). */
void journal_set_last_index(struct journal *journal, uint64_t last_index);

/**
 * Close the open segment (if any) with a SEGMENT_END, start a new segment unless start_next
 * is false (a clean stop), then write a snapshot of engine named by that last record and
 * stamped with what follows it (ENGINE_SNAPSHOT_NEXT_SEGMENT, or _NONE at a clean stop; a
 * snapshot of that record stamped otherwise is rewritten): what rotation, the end of recovery
 * and the end of a degraded period all do. The batch must be empty and synced. 0 or -errno;
 * it can be called again after a failure and goes on from where it failed.
 */
int journal_checkpoint(struct journal *journal, const struct engine *engine, bool start_next);

/** True when the batch is empty and everything written is synced. */
bool journal_all_synced(const struct journal *journal);

/* --- writing ------------------------------------------------------------------------------ */

/** Append to the batch; each returns the record's index. */
uint64_t journal_append_event(struct journal *journal, const char *source, const char *line,
			      size_t len);
uint64_t journal_append_event_at(struct journal *journal, const struct engine_origin *origin,
				 const char *line, size_t len);
uint64_t journal_append_reject(struct journal *journal, enum event_reject reason);
/** Append a CONTROL record (record.h) to the batch; its index. */
uint64_t journal_append_control(struct journal *journal, int64_t ts_ms, const char *line,
				size_t len);
/** Also tells where the record will be in the segment once written. */
uint64_t journal_append_alert(struct journal *journal, uint64_t seq, const char *json, size_t len,
			      uint64_t *offset, uint32_t *record_bytes);

/** Bytes waiting in the batch. */
size_t journal_batch_bytes(const struct journal *journal);

/** Write the batch with one write(2). 0, or -errno: then call journal_rollback(). */
int journal_write(struct journal *journal);

/** fsync the open segment (really = false: count what was written as durable without it).
 * Really only with no rotation's sync pending (journal_closing_fd() < 0): asserted. */
int journal_sync(struct journal *journal, bool really);

/* An fdatasync to run on another thread (syncer.h): the open segment's descriptor and what
 * was written when the point was taken. A rotation's (journal_rotate_begin) is of the segment
 * it ended, and then fsyncs the journal directory too (the next segment's name). */
struct journal_sync_point {
	int fd;
	uint64_t segment; /* which segment fd was (its number may be another's since) */
	uint64_t bytes;
	uint64_t index; /* the last record written */
	bool sync_dir;  /* then fsync dir_fd */
	int dir_fd;
	uint64_t first_index; /* a rotation's: the ended segment's first (its name in dir_fd) */
};

/** What is written and not synced yet, in *point; false (*point unchanged) when nothing is. */
bool journal_sync_point(const struct journal *journal, struct journal_sync_point *point);

/**
 * An fdatasync of point->fd started after point was taken returned 0: the records up to it are
 * durable, and the fsync is counted. A point of a segment closed since (whatever its fd number
 * is now), or covering nothing new or no longer written (a rollback), is ignored; but the
 * rotation's point (journal_rotate_begin) of the segment it ended makes that segment, its end
 * and the next segment's name durable, and its descriptor is closed then.
 */
void journal_synced_to(struct journal *journal, const struct journal_sync_point *point);

/** Bytes written to the open segment and not synced yet. */
uint64_t journal_unsynced_bytes(const struct journal *journal);

/**
 * After a failed write or fsync: drop the batch and what was written since the last sync,
 * truncating the segment back to it. A rotation's sync not returned (failed, or dropped: no
 * sync may run on the syncer any more) is given up: that segment's descriptor is closed, its
 * end left on disk as written, and the open segment is cut back to its start at most. 0, or
 * -errno when the truncation failed (try again).
 */
int journal_rollback(struct journal *journal);

/** The last record index written and fsynced (0: none yet). */
uint64_t journal_synced_index(const struct journal *journal);

/** The segment being written: its first index, bytes and whether there is one. */
bool journal_has_segment(const struct journal *journal);
uint64_t journal_segment_first(const struct journal *journal);
uint64_t journal_segment_bytes(const struct journal *journal);
/** The open segment's descriptor (-1 without one): fdatasync'd on the sync thread. */
int journal_segment_fd(const struct journal *journal);
/** True when the open segment holds no record. */
bool journal_segment_empty(const struct journal *journal);

/**
 * End the open segment: append a SEGMENT_END (listing its alerts, watermark_ms bounding its
 * events), write, fsync, close. The batch must be empty. 0 or -errno.
 */
int journal_end_segment(struct journal *journal, int64_t watermark_ms);

/** Forget the open segment without ending it (it stays as it is on disk). */
void journal_abandon_segment(struct journal *journal);

/**
 * The open segment, if it has lost its name (deleted by hand, or with the whole state
 * directory: statedir_unlinked), abandoned and its alerts unindexed (they cannot be
 * replayed from it): records go on in a new segment. Whether it was.
 */
bool journal_drop_unlinked_segment(struct journal *journal);

/**
 * The state directory (or only its journal directory: snapshots_too false) was deleted or
 * moved away, and the statedir now holds a new, empty one (statedir_reopen): forget the old
 * one's files. The open segment is abandoned, the closed segments and the alert index (whose
 * records were in them) emptied, with snapshots_too the snapshots too. Record indexes go on
 * from where they are. After journal_rollback() (the batch empty, no rotation's sync pending).
 */
void journal_forget_files(struct journal *journal, bool snapshots_too);

/**
 * Write a snapshot of engine named by the last record index written and stamped next (the
 * batch must be empty and synced); one of that record known to be stamped otherwise is
 * rewritten in place. 0, or -errno (-EEXIST: that snapshot exists already, so stamped).
 */
int journal_write_snapshot(struct journal *journal, const struct engine *engine,
			   enum engine_snapshot_next next);

/**
 * journal_write_snapshot in three steps, for a snapshot written by another process: its file
 * of engine named index and stamped next written and fsynced as "<name>.tmp" (changes nothing
 * here; 0 or -errno), renamed into place once what it follows is durable
 * (statedir_publish_snapshot), then the journal told (0 or -ENOMEM).
 */
int journal_snapshot_to_tmp(const struct journal *journal, const struct engine *engine,
			    uint64_t index, enum engine_snapshot_next next);
int journal_snapshot_written(struct journal *journal, uint64_t index,
			     enum engine_snapshot_next next);

/**
 * Rotation without its snapshot and without a wait for the disk: write the open segment's
 * SEGMENT_END and create the next segment (the batch must be empty; what was written need not
 * be synced), but neither fdatasync the one nor fsync the directory for the other: *rotation
 * is that sync, to run off the loop (syncer.h), whose return journal_synced_to() is told of.
 * Until then the ended segment's descriptor stays open, journal_synced_index() stays where it
 * was and journal_all_synced() is false (unless journal_sync() counts everything, fsync none).
 * *index is the SEGMENT_END's, the one the snapshot that must then follow (stamped
 * ENGINE_SNAPSHOT_NEXT_SEGMENT) is named by: records may go on in the next segment before it
 * is written. 0, or -errno: then the segment is still the open one (the SEGMENT_END perhaps
 * written: journal_rollback() cuts it off) and no other was started.
 */
int journal_rotate_begin(struct journal *journal, const struct engine *engine, uint64_t *index,
			 struct journal_sync_point *rotation);

/** A rotation's sync (journal_rotate_begin) has not returned: its segment's descriptor (-1:
 * none). */
int journal_closing_fd(const struct journal *journal);

/** The index the next record will get. */
uint64_t journal_next_index(const struct journal *journal);

/* --- retention ---------------------------------------------------------------------------- */

/* What journal_retain() deleted. */
struct journal_retained {
	size_t segments_deleted;
	size_t snapshots_deleted;
	int error; /* first -errno of a deletion that failed, 0 if none */
};

/**
 * Delete what nothing needs any more: snapshots older than the JOURNAL_SNAPSHOTS_KEPT newest,
 * and closed segments that end at or before the older kept snapshot and whose newest event is
 * older than watermark_ms - retention_seconds.
 */
void journal_retain(struct journal *journal, int64_t watermark_ms, uint32_t retention_seconds,
		    struct journal_retained *retained);

/* --- the alert index ---------------------------------------------------------------------- */

/* Receives one alert line (JSON, no newline). */
typedef void (*journal_emit_fn)(void *ctx, uint64_t seq, const char *json, size_t len);

/**
 * Read back indexed alerts with seq > after, oldest first, until about max_bytes of lines
 * were emitted. A record that cannot be read or does not verify is skipped (counted in
 * *unreadable). Returns the seq of the last alert emitted or skipped (after if none).
 */
uint64_t journal_replay_alerts(struct journal *journal, uint64_t after, size_t max_bytes,
			       journal_emit_fn emit, void *ctx, uint64_t *unreadable);

/** Seq of the oldest and newest indexed alert; 0 when the index is empty. */
uint64_t journal_oldest_alert(const struct journal *journal);
uint64_t journal_newest_alert(const struct journal *journal);

/** Bytes of the indexed alert lines with seq > after. */
uint64_t journal_alert_bytes_after(const struct journal *journal, uint64_t after);

/** The closed segments, oldest first. */
const struct journal_segment *journal_closed_segments(const struct journal *journal, size_t *count);

/** The snapshots on disk, oldest first. */
const uint64_t *journal_snapshots(const struct journal *journal, size_t *count);

const struct journal_stats *journal_stats(const struct journal *journal);

#endif
