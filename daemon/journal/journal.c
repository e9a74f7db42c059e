/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "journal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "codec.h"
#include "engine.h"
#include "fdio.h"
#include "statedir.h"

/* A batch buffer grown past this by one huge line is given back after it is written. */
#define JOURNAL_BATCH_KEEP_BYTES (4u << 20)
/* When the alert index is full, this share of its oldest entries is dropped at once. */
#define JOURNAL_INDEX_DROP_FRACTION 16

struct journal {
	struct statedir *dir;
	/* the open segment */
	int fd; /* -1: none */
	uint64_t segment_first;
	uint64_t segment_generation; /* one more for each segment opened (fd numbers are reused) */
	uint64_t written_bytes; /* of the open segment, as write(2) took them */
	uint64_t synced_bytes;  /* of those, fsynced */
	/* the segment a rotation ended, until its sync returns (journal_rotate_begin) */
	int closing_fd; /* -1: none */
	uint64_t closing_generation;
	uint64_t closing_index; /* its SEGMENT_END */
	/* records */
	struct codec_writer batch;
	uint64_t next_index;
	uint64_t written_index; /* last record written (0: none) */
	uint64_t synced_index;  /* last record fsynced */
	/* what is on disk besides the open segment */
	struct journal_segment *closed;
	size_t closed_count;
	size_t closed_capacity;
	uint64_t *snapshots;
	size_t snapshot_count;
	/* the stamp of one snapshot on disk, known from recovery or from writing it */
	uint64_t stamped_index;
	enum engine_snapshot_next stamped_next;
	/* the alert index, by seq */
	struct journal_alert *alerts;
	size_t alert_count;
	size_t alert_capacity;
	uint64_t alert_bytes_total;
	struct journal_stats stats;
};

struct journal *journal_new(struct statedir *dir)
{
	struct journal *journal = calloc(1, sizeof *journal);

	if (!journal)
		return NULL;
	journal->dir = dir;
	journal->fd = -1;
	journal->closing_fd = -1;
	journal->next_index = 1;
	return journal;
}

void journal_free(struct journal *journal)
{
	if (!journal)
		return;
	if (journal->fd >= 0)
		close(journal->fd);
	if (journal->closing_fd >= 0)
		close(journal->closing_fd);
	codec_writer_release(&journal->batch);
	free(journal->closed);
	free(journal->snapshots);
	free(journal->alerts);
	free(journal);
}

int journal_add_closed_segment(struct journal *journal, const struct journal_segment *segment)
{
	int rc = array_reserve((void **)&journal->closed, &journal->closed_capacity,
			       journal->closed_count, sizeof *journal->closed, 16);

	if (rc == 0)
		journal->closed[journal->closed_count++] = *segment;
	return rc;
}

int journal_add_snapshot(struct journal *journal, uint64_t index)
{
	uint64_t *grown =
		realloc(journal->snapshots, (journal->snapshot_count + 1) * sizeof *grown);
	size_t at;

	if (!grown)
		return -ENOMEM;
	journal->snapshots = grown;
	at = journal->snapshot_count;
	while (at > 0 && grown[at - 1] > index) { /* keep the list ascending */
		grown[at] = grown[at - 1];
		at--;
	}
	grown[at] = index;
	journal->snapshot_count++;
	return 0;
}

void journal_note_snapshot_stamp(struct journal *journal, uint64_t index,
				 enum engine_snapshot_next next)
{
	journal->stamped_index = index;
	journal->stamped_next = next;
}

/* What an alert costs a subscriber: its JSON line and "\n". */
static uint64_t alert_line_bytes(uint32_t record_bytes)
{
	if (record_bytes < RECORD_OVERHEAD_BYTES + 8)
		return 0;
	return record_bytes - RECORD_OVERHEAD_BYTES - 8 + 1;
}

/* The index is full: forget its oldest entries, a share at a time. */
static void drop_oldest_alerts(struct journal *journal)
{
	size_t dropped = journal->alert_count / JOURNAL_INDEX_DROP_FRACTION + 1;

	memmove(journal->alerts, journal->alerts + dropped,
		(journal->alert_count - dropped) * sizeof *journal->alerts);
	journal->alert_count -= dropped;
	journal->stats.alerts_unindexed += dropped;
}

int journal_index_alert(struct journal *journal, uint64_t seq, uint64_t segment, uint64_t offset,
			uint32_t record_bytes)
{
	struct journal_alert *entry;

	if (journal->alert_count >= JOURNAL_MAX_INDEXED_ALERTS)
		drop_oldest_alerts(journal);
	if (array_reserve((void **)&journal->alerts, &journal->alert_capacity, journal->alert_count,
			  sizeof *journal->alerts, 16) < 0)
		return -ENOMEM;
	journal->alert_bytes_total += alert_line_bytes(record_bytes);
	entry = &journal->alerts[journal->alert_count++];
	*entry = (struct journal_alert){ .seq = seq, .segment = segment, .offset = offset,
					 .record_bytes = record_bytes,
					 .bytes_through = journal->alert_bytes_total };
	return 0;
}

static int compare_alert_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct journal_alert *)a)->seq,
		 y = ((const struct journal_alert *)b)->seq;

	return x < y ? -1 : x > y;
}

/* Recount bytes_through after entries moved or went away. */
static void recount_alert_bytes(struct journal *journal)
{
	uint64_t total = 0;

	for (size_t i = 0; i < journal->alert_count; i++) {
		total += alert_line_bytes(journal->alerts[i].record_bytes);
		journal->alerts[i].bytes_through = total;
	}
	journal->alert_bytes_total = total;
}

void journal_sort_alerts(struct journal *journal)
{
	size_t kept = 0;

	if (journal->alert_count > 1)
		qsort(journal->alerts, journal->alert_count, sizeof *journal->alerts,
		      compare_alert_seq);
	for (size_t i = 0; i < journal->alert_count; i++)
		if (kept == 0 || journal->alerts[kept - 1].seq != journal->alerts[i].seq)
			journal->alerts[kept++] = journal->alerts[i];
	journal->alert_count = kept;
	recount_alert_bytes(journal);
}

/* Make fd the open segment, positioned after last_index with size_bytes on disk. */
static void open_segment(struct journal *journal, int fd, uint64_t first_index,
			 uint64_t size_bytes, uint64_t last_index)
{
	journal->fd = fd;
	journal->segment_first = first_index;
	journal->segment_generation++;
	journal->written_bytes = journal->synced_bytes = size_bytes;
	journal->written_index = journal->synced_index = last_index;
	journal->next_index = last_index + 1;
}

int journal_resume_segment(struct journal *journal, uint64_t first_index, uint64_t size_bytes,
			   uint64_t last_index)
{
	int fd = statedir_open_segment(journal->dir, first_index, true);

	if (fd < 0)
		return fd;
	if (journal->fd >= 0)
		close(journal->fd);
	open_segment(journal, fd, first_index, size_bytes, last_index);
	return 0;
}

int journal_start_segment(struct journal *journal, uint64_t first_index)
{
	int fd = statedir_create_segment(journal->dir, first_index);

	if (fd < 0)
		return fd;
	if (journal->fd >= 0)
		close(journal->fd);
	open_segment(journal, fd, first_index, 0, first_index - 1);
	journal->stats.segments_created++;
	return 0;
}

void journal_set_last_index(struct journal *journal, uint64_t last_index)
{
	journal->written_index = journal->synced_index = last_index;
	journal->next_index = last_index + 1;
}

uint64_t journal_append_event(struct journal *journal, const char *source, const char *line,
			      size_t len)
{
	record_put_event(&journal->batch, journal->next_index, source, line, len);
	return journal->next_index++;
}

uint64_t journal_append_event_at(struct journal *journal, const struct engine_origin *origin,
				 const char *line, size_t len)
{
	record_put_event_at(&journal->batch, journal->next_index, origin, line, len);
	return journal->next_index++;
}

uint64_t journal_append_reject(struct journal *journal, enum event_reject reason)
{
	record_put_reject(&journal->batch, journal->next_index, reason);
	return journal->next_index++;
}

uint64_t journal_append_control(struct journal *journal, int64_t ts_ms, const char *line,
				size_t len)
{
	record_put_control(&journal->batch, journal->next_index, ts_ms, line, len);
	return journal->next_index++;
}

uint64_t journal_append_alert(struct journal *journal, uint64_t seq, const char *json, size_t len,
			      uint64_t *offset, uint32_t *record_bytes)
{
	size_t start = journal->batch.len;

	record_put_alert(&journal->batch, journal->next_index, seq, json, len);
	*offset = journal->written_bytes + start;
	*record_bytes = (uint32_t)(journal->batch.len - start);
	return journal->next_index++;
}

size_t journal_batch_bytes(const struct journal *journal)
{
	return journal->batch.len;
}

/* An empty batch, its buffer kept unless one huge record made it large. */
static void clear_batch(struct journal *journal)
{
	if (journal->batch.cap > JOURNAL_BATCH_KEEP_BYTES)
		codec_writer_release(&journal->batch);
	journal->batch.len = 0;
	journal->batch.failed = false;
}

int journal_write(struct journal *journal)
{
	int rc;

	if (journal->batch.len == 0)
		return 0;
	if (journal->fd < 0)
		return -EBADF;
	if (journal->batch.failed)
		return -ENOMEM;
	rc = fdio_write_all(journal->fd, journal->batch.data, journal->batch.len);
	if (rc < 0)
		return rc;
	journal->written_bytes += journal->batch.len;
	journal->written_index = journal->next_index - 1;
	journal->stats.writes++;
	journal->stats.bytes_written += journal->batch.len;
	clear_batch(journal);
	return 0;
}

int journal_sync(struct journal *journal, bool really)
{
	if (journal->fd < 0)
		return journal->written_index == journal->synced_index ? 0 : -EBADF;
	if (really) {
		/* never while a rotation's sync runs on the thread: its callers wait for that sync
		 * or roll it back first (an fdatasync here, on the thread's open file description,
		 * could take the writeback error the thread's must report) */
		assert(journal->closing_fd < 0);
		if (fdatasync(journal->fd) < 0)
			return -errno;
		journal->stats.syncs++;
		if (statedir_unlinked(journal->fd))
			return -ENOENT; /* deleted: synced to nowhere (statedir.h) */
	}
	journal->synced_bytes = journal->written_bytes;
	journal->synced_index = journal->written_index;
	return 0;
}

bool journal_sync_point(const struct journal *journal, struct journal_sync_point *point)
{
	if (journal->fd < 0 || journal->written_index == journal->synced_index)
		return false;
	*point = (struct journal_sync_point){ .fd = journal->fd,
					      .segment = journal->segment_generation,
					      .bytes = journal->written_bytes,
					      .index = journal->written_index,
					      .dir_fd = -1 };
	return true;
}

/* The sync of the segment a rotation ended returned: what it covers is durable; its own
 * point (the SEGMENT_END's, with the directory) ends the wait. */
static void closing_synced_to(struct journal *journal, const struct journal_sync_point *point)
{
	bool rotation = point->index == journal->closing_index && point->sync_dir;

	if (point->index > journal->synced_index)
		journal->synced_index = point->index;
	else if (!rotation)
		return; /* covering nothing new */
	journal->stats.syncs++;
	if (rotation) {
		close(journal->closing_fd);
		journal->closing_fd = -1;
	}
}

void journal_synced_to(struct journal *journal, const struct journal_sync_point *point)
{
	if (journal->closing_fd >= 0) {
		/* no sync of the next segment proves the ended one durable */
		if (point->segment == journal->closing_generation)
			closing_synced_to(journal, point);
		return;
	}
	if (journal->fd < 0 || point->segment != journal->segment_generation ||
	    point->index <= journal->synced_index || point->index > journal->written_index)
		return;
	journal->stats.syncs++;
	journal->synced_bytes = point->bytes;
	journal->synced_index = point->index;
}

uint64_t journal_unsynced_bytes(const struct journal *journal)
{
	return journal->written_bytes - journal->synced_bytes;
}

int journal_rollback(struct journal *journal)
{
	clear_batch(journal);
	if (journal->closing_fd >= 0) { /* its sync given up: the next segment from its start */
		close(journal->closing_fd);
		journal->closing_fd = -1;
		if (journal->fd >= 0 && journal->synced_index < journal->segment_first - 1)
			journal->synced_index = journal->segment_first - 1;
	}
	journal->written_bytes = journal->synced_bytes;
	journal->written_index = journal->synced_index;
	journal->next_index = journal->synced_index + 1;
	if (journal->fd >= 0 && ftruncate(journal->fd, (off_t)journal->synced_bytes) < 0)
		return -errno;
	return 0;
}

uint64_t journal_synced_index(const struct journal *journal)
{
	return journal->synced_index;
}

bool journal_has_segment(const struct journal *journal)
{
	return journal->fd >= 0;
}

uint64_t journal_segment_first(const struct journal *journal)
{
	return journal->segment_first;
}

uint64_t journal_segment_bytes(const struct journal *journal)
{
	return journal->written_bytes;
}

int journal_segment_fd(const struct journal *journal)
{
	return journal->fd;
}

int journal_closing_fd(const struct journal *journal)
{
	return journal->closing_fd;
}

bool journal_segment_empty(const struct journal *journal)
{
	return journal->written_bytes == 0 && journal->batch.len == 0;
}

uint64_t journal_next_index(const struct journal *journal)
{
	return journal->next_index;
}

/* The open segment's ALERT records, from the index, as its SEGMENT_END lists them. The
 * caller frees *refs. */
static int open_segment_alerts(const struct journal *journal, struct record_alert_ref **refs,
			       size_t *count)
{
	size_t n = 0;

	*refs = NULL;
	for (size_t i = 0; i < journal->alert_count; i++)
		n += journal->alerts[i].segment == journal->segment_first;
	*count = n;
	if (n == 0)
		return 0;
	if (!(*refs = malloc(n * sizeof **refs)))
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < journal->alert_count; i++) {
		const struct journal_alert *alert = &journal->alerts[i];

		if (alert->segment == journal->segment_first)
			(*refs)[n++] =
				(struct record_alert_ref){ .seq = alert->seq,
							   .offset = alert->offset,
							   .record_bytes = alert->record_bytes };
	}
	return 0;
}

/* Append the open segment's SEGMENT_END (its alerts, watermark_ms) and write it, unsynced. */
static int write_segment_end(struct journal *journal, int64_t watermark_ms)
{
	struct record_alert_ref *refs;
	size_t count;
	int rc;

	if (journal->fd < 0 || journal->batch.len > 0 || journal->closing_fd >= 0)
		return -EINVAL;
	if ((rc = open_segment_alerts(journal, &refs, &count)) < 0)
		return rc;
	record_put_segment_end(&journal->batch, journal->next_index++, watermark_ms, refs, count);
	free(refs);
	return journal_write(journal);
}

/* The open segment, its end written, as the journal's newest closed one. */
static int list_as_closed(struct journal *journal, int64_t watermark_ms)
{
	const struct journal_segment closed = { .first_index = journal->segment_first,
						.last_index = journal->written_index,
						.newest_watermark_ms = watermark_ms };

	return journal_add_closed_segment(journal, &closed);
}

int journal_end_segment(struct journal *journal, int64_t watermark_ms)
{
	int rc;

	if (journal->fd < 0 || journal->batch.len > 0 || journal->closing_fd >= 0)
		return -EINVAL;
	if ((rc = write_segment_end(journal, watermark_ms)) < 0 ||
	    (rc = journal_sync(journal, true)) < 0) {
		journal_rollback(journal); /* the segment stays open, as it was */
		return rc;
	}
	if ((rc = list_as_closed(journal, watermark_ms)) < 0)
		return rc;
	close(journal->fd);
	journal->fd = -1;
	return 0;
}

void journal_abandon_segment(struct journal *journal)
{
	if (journal->fd >= 0)
		close(journal->fd);
	journal->fd = -1;
	clear_batch(journal);
}

static bool have_snapshot(const struct journal *journal, uint64_t index)
{
	for (size_t i = 0; i < journal->snapshot_count; i++)
		if (journal->snapshots[i] == index)
			return true;
	return false;
}

/* A snapshot streamed into its file in chunks: no second copy of the state in memory. */
struct snapshot_stream {
	const struct engine *engine;
	struct engine_snapshot_stamp stamp;
	int fd;
	int error; /* the sink's -errno */
};

static bool sink_to_file(void *ctx, const void *data, size_t len)
{
	struct snapshot_stream *stream = ctx;

	stream->error = fdio_write_all(stream->fd, data, len);
	return stream->error == 0;
}

static int stream_snapshot(void *ctx, int fd)
{
	struct snapshot_stream *stream = ctx;
	struct codec_writer writer;

	stream->fd = fd;
	codec_writer_init_sink(&writer, sink_to_file, stream, CODEC_SINK_CHUNK_BYTES);
	engine_snapshot_stamped(stream->engine, &stream->stamp, &writer);
	codec_writer_flush(&writer);
	codec_writer_release(&writer);
	if (!writer.failed)
		return 0;
	return stream->error < 0 ? stream->error : -ENOMEM;
}

/* The file of engine named index and stamped next: in place, or only its *.tmp (in_place
 * false). 0 or -errno. */
static int snapshot_to_file(const struct journal *journal, const struct engine *engine,
			    uint64_t index, enum engine_snapshot_next next, bool in_place)
{
	struct snapshot_stream stream = { .engine = engine,
					  .stamp = { .journal_index = index, .next = next } };

	if (in_place)
		return statedir_fill_snapshot(journal->dir, index, stream_snapshot, &stream);
	return statedir_fill_snapshot_tmp(journal->dir, index, stream_snapshot, &stream);
}

int journal_snapshot_to_tmp(const struct journal *journal, const struct engine *engine,
			    uint64_t index, enum engine_snapshot_next next)
{
	return snapshot_to_file(journal, engine, index, next, false);
}

int journal_write_snapshot(struct journal *journal, const struct engine *engine,
			   enum engine_snapshot_next next)
{
	struct engine_snapshot_stamp stamp = { .journal_index = journal->written_index,
					       .next = next };
	bool exists = have_snapshot(journal, stamp.journal_index);
	int rc;

	if (!journal_all_synced(journal))
		return -EINVAL;
	if (exists && journal->stamped_index == stamp.journal_index &&
	    journal->stamped_next == next)
		return -EEXIST;
	/* else written, or rewritten in place (atomically) to say what follows it now */
	rc = snapshot_to_file(journal, engine, stamp.journal_index, next, true);
	return rc < 0 ? rc : journal_snapshot_written(journal, stamp.journal_index, next);
}

int journal_snapshot_written(struct journal *journal, uint64_t index,
			     enum engine_snapshot_next next)
{
	int rc = have_snapshot(journal, index) ? 0 : journal_add_snapshot(journal, index);

	if (rc == 0) {
		journal_note_snapshot_stamp(journal, index, next);
		journal->stats.snapshots_written++;
	}
	return rc;
}

/* End the segment and, if start_next, open the next one. */
static int close_segment(struct journal *journal, const struct engine *engine, bool start_next)
{
	int rc;

	if (journal->fd >= 0 &&
	    (rc = journal_end_segment(journal, engine_watermark_ms(engine))) < 0)
		return rc;
	/* The next segment exists before a snapshot says records go on in it: recovery can then
	 * tell that segment deleted from a crash between the two. */
	if (start_next && journal->fd < 0 &&
	    (rc = journal_start_segment(journal, journal->next_index)) < 0)
		return rc;
	return 0;
}

int journal_rotate_begin(struct journal *journal, const struct engine *engine, uint64_t *index,
			 struct journal_sync_point *rotation)
{
	int64_t watermark_ms = engine_watermark_ms(engine);
	uint64_t synced_index = journal->synced_index;
	int fd, rc;

	if ((rc = write_segment_end(journal, watermark_ms)) < 0)
		return rc;
	/* listed first (the one step that may fail for memory), taken back if the next fails */
	if ((rc = list_as_closed(journal, watermark_ms)) < 0)
		return rc;
	/* The next segment exists before a snapshot says records go on in it (the rotation's
	 * sync fsyncs the directory before the snapshot is renamed into place: rotate() in
	 * store.c). */
	if ((fd = statedir_new_segment(journal->dir, journal->next_index)) < 0) {
		journal->closed_count--;
		return fd;
	}
	*index = journal->written_index; /* the SEGMENT_END record's */
	*rotation = (struct journal_sync_point){ .fd = journal->fd,
						 .segment = journal->segment_generation,
						 .bytes = journal->written_bytes,
						 .index = *index,
						 .sync_dir = true,
						 .dir_fd = journal->dir->journal_fd,
						 .first_index = journal->segment_first };
	journal->closing_fd = journal->fd;
	journal->closing_generation = journal->segment_generation;
	journal->closing_index = *index;
	open_segment(journal, fd, journal->next_index, 0, *index);
	journal->synced_index = synced_index; /* until the rotation's sync returns */
	journal->stats.segments_created++;
	return 0;
}

int journal_checkpoint(struct journal *journal, const struct engine *engine, bool start_next)
{
	int rc;

	if ((rc = close_segment(journal, engine, start_next)) < 0)
		return rc;
	rc = journal_write_snapshot(journal, engine,
				    start_next ? ENGINE_SNAPSHOT_NEXT_SEGMENT
					       : ENGINE_SNAPSHOT_NEXT_NONE);
	return rc == -EEXIST ? 0 : rc;
}

bool journal_all_synced(const struct journal *journal)
{
	return journal->batch.len == 0 && journal->synced_index == journal->written_index &&
	       journal->closing_fd < 0;
}

/* Forget the index entries of a deleted segment. */
static void unindex_segment(struct journal *journal, uint64_t segment)
{
	size_t kept = 0;

	for (size_t i = 0; i < journal->alert_count; i++)
		if (journal->alerts[i].segment != segment)
			journal->alerts[kept++] = journal->alerts[i];
	if (kept != journal->alert_count) {
		journal->alert_count = kept;
		recount_alert_bytes(journal);
	}
}

bool journal_drop_unlinked_segment(struct journal *journal)
{
	if (journal->fd < 0 || !statedir_unlinked(journal->fd))
		return false;
	unindex_segment(journal, journal->segment_first);
	journal_abandon_segment(journal);
	return true;
}

void journal_forget_files(struct journal *journal, bool snapshots_too)
{
	journal_abandon_segment(journal);
	journal->closed_count = 0;
	journal->alert_count = 0;
	recount_alert_bytes(journal);
	if (snapshots_too) {
		journal->snapshot_count = 0;
		journal->stamped_index = 0;
	}
}

/* Delete snapshots beyond the JOURNAL_SNAPSHOTS_KEPT newest. */
static void retain_snapshots(struct journal *journal, struct journal_retained *retained)
{
	size_t excess, kept = 0;

	if (journal->snapshot_count <= JOURNAL_SNAPSHOTS_KEPT)
		return;
	excess = journal->snapshot_count - JOURNAL_SNAPSHOTS_KEPT;
	for (size_t i = 0; i < journal->snapshot_count; i++) {
		int rc = i < excess ? statedir_remove_snapshot(journal->dir, journal->snapshots[i])
				    : 1;

		if (rc == 0) {
			retained->snapshots_deleted++;
			journal->stats.snapshots_deleted++;
			continue;
		}
		if (rc < 0 && retained->error == 0)
			retained->error = rc;
		journal->snapshots[kept++] = journal->snapshots[i];
	}
	journal->snapshot_count = kept;
}

/* True when a closed segment may go: both kept snapshots start after it, and its newest
 * event left retention. */
static bool segment_expired(const struct journal *journal, const struct journal_segment *segment,
			    int64_t horizon_ms)
{
	uint64_t floor;

	if (journal->snapshot_count < JOURNAL_SNAPSHOTS_KEPT)
		return false;
	floor = journal->snapshots[journal->snapshot_count - JOURNAL_SNAPSHOTS_KEPT];
	return segment->last_index <= floor && segment->newest_watermark_ms < horizon_ms;
}

void journal_retain(struct journal *journal, int64_t watermark_ms, uint32_t retention_seconds,
		    struct journal_retained *retained)
{
	int64_t retention_ms = (int64_t)retention_seconds * 1000;
	int64_t horizon_ms =
		watermark_ms < INT64_MIN + retention_ms ? INT64_MIN : watermark_ms - retention_ms;
	size_t kept = 0;

	memset(retained, 0, sizeof *retained);
	retain_snapshots(journal, retained);
	for (size_t i = 0; i < journal->closed_count; i++) {
		struct journal_segment *segment = &journal->closed[i];
		int rc = segment_expired(journal, segment, horizon_ms)
				 ? statedir_remove_segment(journal->dir, segment->first_index)
				 : 1;

		if (rc == 0) {
			unindex_segment(journal, segment->first_index);
			retained->segments_deleted++;
			journal->stats.segments_deleted++;
			continue;
		}
		if (rc < 0 && retained->error == 0)
			retained->error = rc;
		journal->closed[kept++] = *segment;
	}
	journal->closed_count = kept;
}

/* Position of the first indexed alert with seq > after. */
static size_t first_alert_after(const struct journal *journal, uint64_t after)
{
	size_t low = 0, high = journal->alert_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (journal->alerts[middle].seq <= after)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

/* Read one indexed ALERT record back and emit it. 0, or -errno / -EINVAL if it does not
 * verify as that alert. */
static int emit_indexed_alert(int fd, const struct journal_alert *entry, journal_emit_fn emit,
			      void *ctx)
{
	unsigned char *buffer = malloc(entry->record_bytes);
	struct record record;
	const char *json;
	size_t len;
	uint64_t seq;
	int rc = -EINVAL;

	if (!buffer)
		return -ENOMEM;
	if (pread(fd, buffer, entry->record_bytes, (off_t)entry->offset) ==
		    (ssize_t)entry->record_bytes &&
	    record_parse(buffer, entry->record_bytes, &record) == RECORD_OK &&
	    record_decode_alert(&record, &seq, &json, &len) == 0 && seq == entry->seq) {
		emit(ctx, seq, json, len);
		rc = 0;
	}
	free(buffer);
	return rc;
}

uint64_t journal_replay_alerts(struct journal *journal, uint64_t after, size_t max_bytes,
			       journal_emit_fn emit, void *ctx, uint64_t *unreadable)
{
	size_t i = first_alert_after(journal, after);
	uint64_t last = after, emitted_bytes = 0, fd_segment = 0;
	int fd = -1;

	for (; i < journal->alert_count && emitted_bytes < max_bytes; i++) {
		const struct journal_alert *entry = &journal->alerts[i];

		if (fd < 0 || fd_segment != entry->segment) {
			if (fd >= 0)
				close(fd);
			fd = statedir_open_segment(journal->dir, entry->segment, false);
			fd_segment = entry->segment;
		}
		if (fd < 0 || emit_indexed_alert(fd, entry, emit, ctx) < 0)
			(*unreadable)++;
		else
			emitted_bytes += alert_line_bytes(entry->record_bytes);
		last = entry->seq;
	}
	if (fd >= 0)
		close(fd);
	return last;
}

uint64_t journal_oldest_alert(const struct journal *journal)
{
	return journal->alert_count ? journal->alerts[0].seq : 0;
}

uint64_t journal_newest_alert(const struct journal *journal)
{
	return journal->alert_count ? journal->alerts[journal->alert_count - 1].seq : 0;
}

uint64_t journal_alert_bytes_after(const struct journal *journal, uint64_t after)
{
	size_t i = first_alert_after(journal, after);

	if (i >= journal->alert_count)
		return 0;
	return journal->alert_bytes_total - journal->alerts[i].bytes_through +
	       alert_line_bytes(journal->alerts[i].record_bytes);
}

const struct journal_segment *journal_closed_segments(const struct journal *journal, size_t *count)
{
	*count = journal->closed_count;
	return journal->closed;
}

const uint64_t *journal_snapshots(const struct journal *journal, size_t *count)
{
	*count = journal->snapshot_count;
	return journal->snapshots;
}

const struct journal_stats *journal_stats(const struct journal *journal)
{
	return &journal->stats;
}
