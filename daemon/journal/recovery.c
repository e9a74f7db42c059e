/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "recovery.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "control.h"
#include "handoff.h"
#include "hostclock.h"
#include "journal.h"
#include "log.h"
#include "record.h"
#include "statedir.h"
#include "thread.h"

#define RECOVERY_WHY_MAX 256

/* One segment being recovered: its file mapped, and what the check (pass 1) found. */
struct segment_check {
	uint64_t first_index;
	bool mapped;
	unsigned char *map; /* NULL for an empty file */
	size_t size;
	size_t good_bytes;     /* up to the end of the last good record */
	bool has_records;
	uint64_t last_index;   /* of the last good record */
	bool ended;            /* its last record is a SEGMENT_END */
	int64_t end_watermark_ms;
	bool torn;
	bool corrupt;
	uint64_t skipped_bytes;
	size_t *replay;        /* offsets of the EVENT and REJECT records after the snapshot */
	size_t replay_count;
	size_t replay_capacity;
	struct record_alert_ref *alerts; /* its ALERT records */
	size_t alert_count;
	size_t alert_capacity;
	uint64_t max_alert_seq; /* the highest seq of its ALERT records */
	/* the check under way (check_begin, check_some): it reads the map and writes only here,
	 * so that recovery's reader thread can check a segment while another is applied; what
	 * it found is logged and counted afterwards (report_check) */
	struct record_scan scan;
	int rc;           /* 0, or why the segment cannot be used (the check stops) */
	bool scanning;    /* begun, not finished */
	uint32_t format;  /* of another record format: the format it has */
	size_t corrupt_at; /* the first corrupt record's offset */
	uint64_t corrupt_after; /* the index of the good record before it */
	bool unreadable;  /* cannot be mapped (rc says why) */
};

/* The whole run. */
struct recovery_pass {
	struct statedir *dir;
	struct journal *journal;
	struct recovery *recovery;
	struct recovery_router *router;
	uint64_t base_index;     /* of the snapshot loaded; 0 with none */
	enum engine_snapshot_next base_next; /* what its stamp says follows it */
	int64_t base_watermark_ms;
	uint64_t max_alert_seq;  /* highest ALERT record seq seen */
	size_t salvaged_capacity;
	enum recovery_reader reader;
	struct event_parser *parser; /* of the records applied on this thread */
	struct replay_item *item;    /* the one being applied on this thread */
};

/* --- the router ---------------------------------------------------------------------------- */

void recovery_router_init(struct recovery_router *router, engine_alert_fn live, void *live_ctx)
{
	memset(router, 0, sizeof *router);
	router->live = live;
	router->live_ctx = live_ctx;
	router->wall_ms = hostclock_wall_ms;
}

static int push_alert(struct recovery_alert **alerts, size_t *count, size_t *capacity,
		      uint64_t seq, const char *json, size_t len)
{
	char *copy;

	if (array_reserve((void **)alerts, capacity, *count, sizeof **alerts, 8) < 0)
		return -ENOMEM;
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	memcpy(copy, json, len);
	copy[len] = '\0';
	(*alerts)[(*count)++] = (struct recovery_alert){ .seq = seq, .json = copy, .len = len };
	return 0;
}

void recovery_router_on_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	struct recovery_router *router = ctx;

	if (!router->replaying) {
		if (router->live)
			router->live(alert, json, len, router->live_ctx);
		return;
	}
	if (alert->seq <= router->journaled_through) {
		router->suppressed++;
		return;
	}
	if (push_alert(&router->recovered, &router->recovered_count, &router->recovered_capacity,
		       alert->seq, json, len) < 0)
		router->recovered_lost = true;
}

struct recovery_alert *recovery_router_take(struct recovery_router *router, size_t *count)
{
	struct recovery_alert *alerts = router->recovered;

	*count = router->recovered_count;
	router->recovered = NULL;
	router->recovered_count = router->recovered_capacity = 0;
	return alerts;
}

void recovery_alerts_free(struct recovery_alert *alerts, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(alerts[i].json);
	free(alerts);
}

void recovery_router_release(struct recovery_router *router)
{
	recovery_alerts_free(router->recovered, router->recovered_count);
	router->recovered = NULL;
	router->recovered_count = router->recovered_capacity = 0;
}

/* --- snapshots ---------------------------------------------------------------------------- */

static void quarantine_snapshot(struct recovery_pass *pass, uint64_t index, const char *why)
{
	char name[STATEDIR_NAME_MAX];
	int rc = statedir_quarantine_snapshot(pass->dir, index);

	statedir_snapshot_name(index, name);
	pass->recovery->summary.corrupt_snapshots++;
	if (rc == 0)
		log_msg(LOG_ERR,
			"recovery: %s/%s: %s: set aside as %s.corrupt; trying the one before",
			pass->dir->path, name, why, name);
	else
		log_msg(LOG_ERR, "recovery: %s/%s: %s; cannot set it aside: %s", pass->dir->path,
			name, why, strerror(-rc));
}

/* A snapshot another cadmond version wrote is not damaged: it stays, and is left to
 * retention; the journal is replayed instead. */
static void skip_other_format(struct recovery_pass *pass, uint64_t index, const char *why)
{
	char name[STATEDIR_NAME_MAX];

	statedir_snapshot_name(index, name);
	pass->recovery->summary.other_format_snapshots++;
	log_msg(LOG_WARNING, "recovery: %s/%s: %s: replaying the journal instead", pass->dir->path,
		name, why);
}

/* Restore the engine from snapshot index, on the configuration it was taken under (the tail
 * replays under it; recovery_run applies today's afterwards), or NULL with the reason and
 * *other_format set when the snapshot is of another format, not damaged. *next: what its
 * stamp says follows it (unknown when the stamp names another record: a file renamed). */
static struct engine *restore_snapshot(struct recovery_pass *pass, uint64_t index, char *why,
				       size_t why_size, bool *other_format,
				       enum engine_snapshot_next *next)
{
	struct engine_snapshot_stamp stamp;
	unsigned char *data = NULL;
	size_t len = 0;
	struct engine *engine;
	int rc = statedir_read_snapshot(pass->dir, index, &data, &len);

	*other_format = false;
	if (rc < 0) {
		snprintf(why, why_size, "cannot read: %s", statedir_strerror(rc));
		return NULL;
	}
	engine = engine_restore(data, len, NULL, recovery_router_on_alert, pass->router, why,
				why_size);
	if (!engine) {
		uint32_t format = engine_snapshot_format(data, len);
		*other_format = format != 0 && !engine_snapshot_format_readable(format);
	}
	*next = engine && engine_snapshot_stamp(data, len, &stamp) == 0 &&
				stamp.journal_index == index
			? stamp.next
			: ENGINE_SNAPSHOT_NEXT_UNKNOWN;
	free(data);
	return engine;
}

/* Step 1: the newest snapshot that verifies (the damaged set aside), or a fresh engine. The
 * snapshot used and the older ones stay known to the journal, for retention. */
static int load_snapshot(struct recovery_pass *pass, const struct config *config,
			 const struct statedir_files *files)
{
	struct recovery *recovery = pass->recovery;
	char why[RECOVERY_WHY_MAX];
	size_t i = files->snapshot_count;

	while (i > 0 && !recovery->engine) {
		uint64_t index = files->snapshots[--i];
		bool other_format;

		recovery->engine = restore_snapshot(pass, index, why, sizeof why, &other_format,
						    &pass->base_next);
		if (!recovery->engine) {
			if (strncmp(why, ENGINE_NO_MEMORY, strlen(ENGINE_NO_MEMORY)) == 0) {
				char name[STATEDIR_NAME_MAX];
				/* a good snapshot (rev10c C3): kept, not set aside */
				statedir_snapshot_name(index, name);
				log_msg(LOG_ERR, "recovery: %s/%s: %s", pass->dir->path, name, why);
				return -ENOMEM;
			}
			if (other_format)
				skip_other_format(pass, index, why);
			else
				quarantine_snapshot(pass, index, why);
			continue;
		}
		recovery->summary.from_snapshot = true;
		recovery->summary.snapshot_index = pass->base_index = index;
		pass->base_watermark_ms = engine_watermark_ms(recovery->engine);
		for (size_t older = 0; older <= i; older++)
			if (journal_add_snapshot(pass->journal, files->snapshots[older]) < 0)
				return -ENOMEM;
		journal_note_snapshot_stamp(pass->journal, index, pass->base_next);
	}
	if (!recovery->engine)
		recovery->engine = engine_new(config, recovery_router_on_alert, pass->router);
	if (!recovery->engine)
		return -ENOMEM;
	if (!recovery->summary.from_snapshot)
		pass->base_watermark_ms = INT64_MIN;
	return 0;
}

/* --- checking a segment (pass 1) ------------------------------------------------------------ */

/* A segment recovery cannot use: named, with what was tried and why, before recovery stops. */
static void log_segment_error(const struct recovery_pass *pass, uint64_t first_index,
			      const char *what, int rc)
{
	char name[STATEDIR_NAME_MAX];

	statedir_segment_name(first_index, name);
	log_msg(LOG_ERR, "recovery: %s/journal/%s: %s: %s", pass->dir->path, name, what,
		statedir_strerror(rc));
}

static int map_segment(const struct recovery_pass *pass, struct segment_check *check)
{
	int fd = statedir_open_segment(pass->dir, check->first_index, false);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (st.st_size > 0) {
		check->size = (size_t)st.st_size;
		check->map = mmap(NULL, check->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (check->map == MAP_FAILED) {
			check->map = NULL;
			rc = -errno;
		} else {
			madvise(check->map, check->size, MADV_SEQUENTIAL);
		}
	}
	close(fd);
	check->mapped = rc == 0;
	return rc;
}

static void unmap_segment(struct segment_check *check)
{
	if (check->map)
		munmap(check->map, check->size);
	check->map = NULL;
	check->mapped = false;
	free(check->replay);
	free(check->alerts);
	check->replay = NULL;
	check->alerts = NULL;
}

static int push_offset(struct segment_check *check, size_t offset)
{
	if (check->replay_count >= check->replay_capacity &&
	    array_reserve((void **)&check->replay, &check->replay_capacity, check->replay_count,
			  sizeof *check->replay, 1024) < 0)
		return -ENOMEM;
	check->replay[check->replay_count++] = offset;
	return 0;
}

static int push_alert_ref(struct segment_check *check, const struct record_alert_ref *ref)
{
	if (array_reserve((void **)&check->alerts, &check->alert_capacity, check->alert_count,
			  sizeof *check->alerts, 16) < 0)
		return -ENOMEM;
	check->alerts[check->alert_count++] = *ref;
	return 0;
}

/* Note one good record of a segment under check. */
static int note_record(const struct recovery_pass *pass, struct segment_check *check,
		       const struct record *record, size_t offset)
{
	struct record_segment_end end;
	struct record_alert_ref ref;
	const char *json;
	size_t len;

	check->has_records = true;
	check->last_index = record->index;
	check->ended = false;
	switch (record->type) {
	case RECORD_EVENT:
	case RECORD_EVENT_AT:
	case RECORD_REJECT:
	case RECORD_CONTROL:
		return record->index > pass->base_index ? push_offset(check, offset) : 0;
	case RECORD_ALERT:
		if (record_decode_alert(record, &ref.seq, &json, &len) < 0)
			return 0;
		if (ref.seq > check->max_alert_seq)
			check->max_alert_seq = ref.seq;
		ref.offset = offset;
		ref.record_bytes = (uint32_t)record->size;
		return push_alert_ref(check, &ref);
	case RECORD_SEGMENT_END:
		if (record_decode_segment_end(record, &end) == 0) {
			check->ended = true;
			check->end_watermark_ms = end.watermark_ms;
		}
		return 0;
	}
	return 0;
}

static void log_corrupt(const struct recovery_pass *pass, const struct segment_check *check)
{
	char name[STATEDIR_NAME_MAX];

	statedir_segment_name(check->first_index, name);
	log_msg(LOG_ERR,
		"recovery: %s/journal/%s: corrupt record at byte %zu (after record %" PRIu64
		"): the records that verify are used, the segment is set aside",
		pass->dir->path, name, check->corrupt_at, check->corrupt_after);
}

/* Pass 1 over a mapped segment, begun: its format checked. check->rc says whether to go on. */
static void check_begin(struct segment_check *check)
{
	uint32_t format = check->map ? record_segment_format(check->map, check->size) : 0;

	check->rc = 0;
	if (format != 0 && format != RECORD_FORMAT) {
		check->format = format;
		check->rc = -EPROTONOSUPPORT;
		return;
	}
	record_scan_init(&check->scan, check->map, check->size);
	check->scanning = true;
}

/* Go on with pass 1 for up to records more records (SIZE_MAX: to the end): verify every
 * record, collect what replay and the alert index need, find a torn tail or corruption.
 * False once the check is over (check->rc: how it ended). */
static bool check_some(const struct recovery_pass *pass, struct segment_check *check,
		       size_t records)
{
	struct record record;

	while (check->scanning && records-- > 0) {
		size_t at = check->scan.pos;
		enum record_status status = record_scan_next(&check->scan, &record);

		if (status == RECORD_OK) {
			check->rc = note_record(pass, check, &record, at);
			check->good_bytes = check->scan.pos;
			check->scanning = check->rc == 0;
		} else if (status == RECORD_CORRUPT) {
			if (!check->corrupt) {
				check->corrupt_at = at;
				check->corrupt_after = check->last_index;
			}
			check->corrupt = true;
			check->skipped_bytes += record_scan_resync(&check->scan);
		} else {
			check->torn = status == RECORD_TORN;
			check->scanning = false;
		}
	}
	return check->scanning;
}

/* Pass 1 over a mapped segment, whole: 0 or its check->rc. */
static int check_segment(const struct recovery_pass *pass, struct segment_check *check)
{
	check_begin(check);
	check_some(pass, check, SIZE_MAX);
	return check->rc;
}

/* What pass 1 found that is logged and counted: by the thread that owns the recovery. */
static void report_check(struct recovery_pass *pass, const struct segment_check *check)
{
	char name[STATEDIR_NAME_MAX];

	if (check->format != 0) {
		statedir_segment_name(check->first_index, name);
		log_msg(LOG_ERR,
			"recovery: %s/journal/%s: journal record format %" PRIu32
			", this cadmond reads %u: "
			"left in place (start a cadmond that reads it, or move the file away)",
			pass->dir->path, name, check->format, RECORD_FORMAT);
		pass->recovery->summary.other_format_segments++;
	}
	if (check->corrupt)
		log_corrupt(pass, check);
	if (check->max_alert_seq > pass->max_alert_seq)
		pass->max_alert_seq = check->max_alert_seq;
}

/* Cut a torn last record off: truncate the file to its last good record. */
static void truncate_torn(struct recovery_pass *pass, struct segment_check *check)
{
	char name[STATEDIR_NAME_MAX];
	int fd = statedir_open_segment(pass->dir, check->first_index, true);
	int rc = 0;

	statedir_segment_name(check->first_index, name);
	pass->recovery->summary.torn_records++;
	if (fd < 0 || ftruncate(fd, (off_t)check->good_bytes) < 0 || fdatasync(fd) < 0)
		rc = fd < 0 ? fd : -errno;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		log_msg(LOG_WARNING,
			"recovery: %s/journal/%s: torn record at byte %zu (a crash while writing "
			"it, "
			"%zu bytes): truncated to the last good record",
			pass->dir->path, name, check->good_bytes, check->size - check->good_bytes);
	else
		log_msg(LOG_ERR,
			"recovery: %s/journal/%s: torn record at byte %zu: cannot truncate: %s",
			pass->dir->path, name, check->good_bytes, strerror(-rc));
}

/* Keep the ALERT records of a segment about to be set aside, to be journaled again. */
static int salvage_alerts(struct recovery_pass *pass, const struct segment_check *check)
{
	struct recovery *recovery = pass->recovery;

	for (size_t i = 0; i < check->alert_count; i++) {
		const struct record_alert_ref *ref = &check->alerts[i];
		struct record record;
		const char *json;
		size_t len;
		uint64_t seq;

		if (record_parse_verified(check->map + ref->offset, check->size - ref->offset,
					  &record) != RECORD_OK ||
		    record_decode_alert(&record, &seq, &json, &len) < 0)
			continue;
		if (push_alert(&recovery->salvaged, &recovery->salvaged_count,
			       &pass->salvaged_capacity, seq, json, len) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Index a sound segment's ALERT records. */
static int index_alerts(struct recovery_pass *pass, const struct segment_check *check)
{
	for (size_t i = 0; i < check->alert_count; i++) {
		const struct record_alert_ref *ref = &check->alerts[i];
		int rc = journal_index_alert(pass->journal, ref->seq, check->first_index,
					     ref->offset, ref->record_bytes);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* After pass 1: truncate a torn tail, or salvage the alerts of a corrupt segment; index the
 * alerts of a sound one. */
static int settle_segment(struct recovery_pass *pass, struct segment_check *check)
{
	if (check->corrupt) {
		pass->recovery->summary.corrupt_segments++;
		pass->recovery->summary.skipped_bytes += check->skipped_bytes;
		return salvage_alerts(pass, check);
	}
	if (check->torn)
		truncate_torn(pass, check);
	return index_alerts(pass, check);
}

static void quarantine_segment(struct recovery_pass *pass, uint64_t first_index)
{
	char name[STATEDIR_NAME_MAX];
	int rc = statedir_quarantine_segment(pass->dir, first_index);

	statedir_segment_name(first_index, name);
	if (rc < 0)
		log_msg(LOG_ERR, "recovery: %s/journal/%s: cannot set it aside: %s",
			pass->dir->path, name, strerror(-rc));
	else
		log_msg(LOG_WARNING, "recovery: %s/journal/%s: set aside as %s.corrupt",
			pass->dir->path, name, name);
}

/* --- segments before the snapshot ---------------------------------------------------------- */

/* A closed segment's SEGMENT_END, read from the end of the file: its alerts and watermark
 * without reading the rest. 0, or -EINVAL when the segment does not end in one whose index
 * is at most max_last_index. */
static int read_segment_end(struct recovery_pass *pass, uint64_t first_index,
			    uint64_t max_last_index)
{
	int fd = statedir_open_segment(pass->dir, first_index, false);
	unsigned char tail[8], *frame = NULL;
	struct record_segment_end end;
	struct record record;
	struct journal_segment closed;
	uint64_t offset;
	struct stat st;
	int rc = -EINVAL;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) == 0 && st.st_size >= 8 &&
	    pread(fd, tail, 8, st.st_size - 8) == 8 &&
	    record_segment_end_offset(tail, (uint64_t)st.st_size, &offset) == 0 &&
	    (frame = malloc((size_t)st.st_size - offset)) &&
	    pread(fd, frame, (size_t)st.st_size - offset, (off_t)offset) ==
		    st.st_size - (off_t)offset &&
	    record_parse(frame, (size_t)st.st_size - offset, &record) == RECORD_OK &&
	    record_decode_segment_end(&record, &end) == 0 && end.complete &&
	    record.index <= max_last_index) {
		closed = (struct journal_segment){ .first_index = first_index,
						   .last_index = record.index,
						   .newest_watermark_ms = end.watermark_ms };
		rc = journal_add_closed_segment(pass->journal, &closed);
		for (uint32_t i = 0; rc == 0 && i < end.alert_count; i++) {
			struct record_alert_ref ref;

			record_segment_end_alert(&end, i, &ref);
			rc = journal_index_alert(pass->journal, ref.seq, first_index, ref.offset,
						 ref.record_bytes);
		}
	}
	free(frame);
	close(fd);
	return rc;
}

/* A segment wholly before the snapshot: only its alerts and event-time bound are needed. */
static int recover_closed_segment(struct recovery_pass *pass, uint64_t first_index)
{
	struct segment_check check = { .first_index = first_index };
	struct journal_segment closed;
	int rc;

	if ((rc = read_segment_end(pass, first_index, UINT64_MAX)) != -EINVAL) {
		if (rc < 0)
			log_segment_error(pass, first_index, "cannot read its end", rc);
		return rc;
	}
	/* No SEGMENT_END to go by: read it all. Its events are older than the snapshot's. */
	if ((rc = map_segment(pass, &check)) < 0) {
		log_segment_error(pass, first_index, "cannot read it", rc);
	} else {
		rc = check_segment(pass, &check);
		report_check(pass, &check);
		if (rc == 0)
			rc = settle_segment(pass, &check);
	}
	closed = (struct journal_segment){ .first_index = first_index,
					   .last_index = check.last_index,
					   .newest_watermark_ms = pass->base_watermark_ms };
	if (rc == 0 && !check.corrupt && check.has_records)
		rc = journal_add_closed_segment(pass->journal, &closed);
	unmap_segment(&check);
	if (rc == 0 && check.corrupt)
		quarantine_segment(pass, first_index);
	return rc;
}

/* --- applying the records after the snapshot to the engine (pass 2) ----------------------- */

/* What the engine is given for one record after the snapshot: decoded, its line parsed
 * (engine_parse), by whichever thread reads the records. */
enum replay_kind {
	REPLAY_SKIP,    /* the frame does not parse again: nothing (not counted) */
	REPLAY_OTHER,   /* a record of no kind the engine takes: counted only */
	REPLAY_EVENT,   /* a feed line (EVENT, EVENT_AT) */
	REPLAY_TICK,    /* an EVENT_AT of the host clock alone */
	REPLAY_REJECT,  /* a line the feed refused before the engine */
	REPLAY_CONTROL, /* a control line */
	REPLAY_BEGIN,   /* the reader's marks: segment's pass 1 done, ... */
	REPLAY_END,     /* ... and each of its records handed over */
};

struct replay_item {
	enum replay_kind kind;
	size_t segment;           /* BEGIN, END: which of the segments applied */
	enum event_reject reason; /* REJECT */
	int64_t ts_ms;            /* CONTROL: the wall-clock time it was taken at */
	const char *control;      /* CONTROL: the line, in the segment's map */
	size_t control_len;
	struct record_event event;   /* EVENT, TICK: the origin and the line */
	struct engine_parsed parsed; /* EVENT */
};

/* Decode the record at at (verified by pass 1) into *item, its line parsed with parser. */
static void decode_item(struct event_parser *parser, const unsigned char *at, size_t left,
			struct replay_item *item)
{
	struct record record;

	if (record_parse_verified(at, left, &record) != RECORD_OK) {
		item->kind = REPLAY_SKIP;
	} else if (record_decode_event(&record, &item->event) == 0) {
		item->kind = REPLAY_EVENT;
		if (item->event.len == 0 && !item->event.source[0] &&
		    item->event.received_ms != ENGINE_NO_TIME)
			item->kind = REPLAY_TICK;
		else
			engine_parse(parser, item->event.line, item->event.len, &item->parsed);
	} else if (record_decode_reject(&record, &item->reason) == 0) {
		item->kind = REPLAY_REJECT;
	} else if (record_decode_control(&record, &item->ts_ms, &item->control,
					 &item->control_len) == 0) {
		item->kind = REPLAY_CONTROL;
	} else {
		item->kind = REPLAY_OTHER;
	}
}

/* Apply one decoded record to the engine. */
static void apply_item(struct recovery_pass *pass, const struct replay_item *item)
{
	struct recovery_summary *summary = &pass->recovery->summary;
	struct engine *engine = pass->recovery->engine;
	struct engine_verdict verdict;
	struct engine_origin origin;
	char why[128];

	summary->records_replayed += item->kind != REPLAY_SKIP;
	switch (item->kind) {
	case REPLAY_EVENT:
		record_event_origin(&item->event, &origin);
		engine_apply(engine, &origin, &item->parsed, &verdict);
		summary->events_replayed++;
		break;
	case REPLAY_TICK:
		engine_tick(engine, item->event.received_ms);
		summary->events_replayed++;
		break;
	case REPLAY_REJECT:
		engine_count_reject(engine, item->reason);
		break;
	case REPLAY_CONTROL:
		engine_control(engine, item->control, item->control_len, item->ts_ms, why,
			       sizeof why);
		break;
	default:
		break;
	}
}

/* Apply a checked segment's records, one after the other, on this thread. */
static void apply_segment(struct recovery_pass *pass, const struct segment_check *check)
{
	for (size_t i = 0; i < check->replay_count; i++) {
		decode_item(pass->parser, check->map + check->replay[i],
			    check->size - check->replay[i], pass->item);
		apply_item(pass, pass->item);
	}
}

/* Once applied: a segment is closed (with the bound its SEGMENT_END gives, or the
 * watermark now), left open by the crash (the last one, to be ended), or set aside. */
static int file_segment(struct recovery_pass *pass, const struct segment_check *check, bool last)
{
	struct recovery *recovery = pass->recovery;
	struct journal_segment closed = { .first_index = check->first_index,
					  .last_index = check->last_index,
					  .newest_watermark_ms =
						  engine_watermark_ms(recovery->engine) };

	/* Created, never written: not needed, but for the one that follows the last record (the
	 * snapshot a rotation wrote after creating it says so): the checkpoint opens it again. */
	if (!check->corrupt && !check->has_records)
		return last && check->first_index == recovery->summary.last_index + 1
			       ? 0
			       : statedir_remove_segment(pass->dir, check->first_index);
	if (check->corrupt)
		return 0;
	if (last && !check->ended) {
		recovery->open_segment = true;
		recovery->open_first = check->first_index;
		recovery->open_bytes = check->good_bytes;
		recovery->open_last = check->last_index;
		return 0;
	}
	if (check->ended)
		closed.newest_watermark_ms = check->end_watermark_ms;
	return journal_add_closed_segment(pass->journal, &closed);
}

/* Record numbers go on by one from the snapshot through the segments: a gap is a segment
 * deleted (or set aside) whose lines cannot be replayed. Named, with the records it held. But
 * one record missing after a segment without its end is that end: a machine's crash after a
 * rotation wrote it, before the sync thread synced it (store.c, rotate), no line lost. */
static void warn_gaps(const struct recovery_pass *pass, const struct segment_check *checks,
		      size_t count)
{
	uint64_t expected = pass->base_index + 1;
	bool known = pass->recovery->summary.from_snapshot; /* else warn_missing_history spoke */
	bool end_lost = false; /* the segment before has records and no end */

	for (size_t i = 0; i < count; i++) {
		char name[STATEDIR_NAME_MAX];
		if (!checks[i].has_records)
			continue;
		if (end_lost && checks[i].first_index == expected + 1)
			expected++;
		end_lost = !checks[i].ended;
		if (known && checks[i].first_index > expected) {
			pass->recovery->summary.records_missing += checks[i].first_index - expected;
			statedir_segment_name(checks[i].first_index, name);
			log_msg(LOG_WARNING,
				"recovery: %s/journal: records %" PRIu64 " to %" PRIu64
				" are missing before %s (a segment deleted or set aside): their "
				"lines are not replayed",
				pass->dir->path, expected, checks[i].first_index - 1, name);
		}
		known = true;
		if (checks[i].last_index + 1 > expected)
			expected = checks[i].last_index + 1;
	}
}

/* What a check found, forgotten before it begins: a segment is checked from the start, never
 * twice over (its map, if read ahead, and its arrays stay; their counts go back to 0). */
static void check_reset(struct segment_check *check)
{
	struct segment_check fresh = { .first_index = check->first_index,
				       .mapped = check->mapped,
				       .map = check->map,
				       .size = check->mapped ? check->size : 0,
				       .replay = check->replay,
				       .replay_capacity = check->replay_capacity,
				       .alerts = check->alerts,
				       .alert_capacity = check->alert_capacity };

	*check = fresh;
}

/* Pass 1's start of segment check->first_index, on either reader: a fresh check, the segment
 * mapped (unless read ahead). False (check->rc, unreadable) when it cannot be. */
static bool check_open(const struct recovery_pass *pass, struct segment_check *check)
{
	int rc;

	check_reset(check);
	rc = check->mapped ? 0 : map_segment(pass, check);
	if (rc < 0) {
		check->rc = rc;
		check->unreadable = true;
		return false;
	}
	return true;
}

/* Pass 1 over segment check->first_index, whole: map it (unless read ahead), check its
 * records. check->rc: how it went. */
static void check_one(const struct recovery_pass *pass, struct segment_check *check)
{
	if (check_open(pass, check))
		check_segment(pass, check);
}

/* Ask the kernel to read the next segment while this one is applied (a cold start's reads
 * overlap the engine's work). A segment that cannot be mapped is named when its turn comes. */
static void read_ahead(const struct recovery_pass *pass, struct segment_check *next)
{
	if (map_segment(pass, next) == 0 && next->map)
		madvise(next->map, next->size, MADV_WILLNEED);
}

/* Pass 1 of a segment over (on this thread or the reader's): name what it found, settle the
 * segment; its alerts count as journaled from now on. 0, or why recovery stops. */
static int settle_checked(struct recovery_pass *pass, struct segment_check *check)
{
	int rc;

	if (check->unreadable) {
		log_segment_error(pass, check->first_index, "cannot read it", check->rc);
		return check->rc;
	}
	report_check(pass, check);
	if (check->rc < 0)
		return check->rc;
	if ((rc = settle_segment(pass, check)) == 0)
		pass->router->journaled_through = pass->max_alert_seq;
	return rc;
}

/* A segment's records applied: file it, count it. */
static int finish_segment(struct recovery_pass *pass, const struct segment_check *check, bool last)
{
	struct recovery_summary *summary = &pass->recovery->summary;
	int rc = file_segment(pass, check, last);

	summary->segments_replayed += check->replay_count > 0;
	if (check->has_records && check->last_index > summary->last_index)
		summary->last_index = check->last_index;
	return rc;
}

/* Pass 1 then pass 2 of each segment on this thread, the next one read ahead. */
static int apply_inline(struct recovery_pass *pass, struct segment_check *checks, size_t count)
{
	int rc = 0;

	pass->parser = event_parser_new();
	pass->item = malloc(sizeof *pass->item);
	if (!pass->parser || !pass->item)
		rc = -ENOMEM;
	for (size_t i = 0; i < count && rc == 0; i++) {
		check_one(pass, &checks[i]);
		if ((rc = settle_checked(pass, &checks[i])) < 0)
			break;
		if (i + 1 < count)
			read_ahead(pass, &checks[i + 1]);
		apply_segment(pass, &checks[i]);
		rc = finish_segment(pass, &checks[i], i + 1 == count);
	}
	event_parser_free(pass->parser);
	free(pass->item);
	pass->parser = NULL;
	pass->item = NULL;
	return rc;
}

/* --- the reader thread ----------------------------------------------------------------------
 * With a second CPU, pass 1 and the decoding and parsing of pass 2 run on a thread of their
 * own, a segment ahead, and hand the records over in order through a ring (handoff.h); this
 * thread applies them to the engine, and does everything else as apply_inline does, in the
 * same order: the reader only reads the maps and writes its own parser, the ring and the
 * segment_check of the segment it is checking, which this thread reads after the segment's
 * BEGIN mark. The engine sees the same calls with the same arguments, so ends in the same
 * state (test_journal compares the two). */

/* Slots of the ring, of 1 KiB each: 2 MiB. The reader, the faster side, sleeps once per half
 * ring (a thousand records) when it is full; 512 slots made five times as many sleeps and
 * wake-ups (7,600 voluntary context switches in the replay of the million-event day). */
#define READER_SLOTS 2048u

struct reader {
	const struct recovery_pass *pass;
	struct segment_check *checks;
	size_t count;
	struct handoff *handoff;
	struct event_parser *parser;
	pthread_t thread;
};

/* A BEGIN or END mark for segment i; false once the applying side has stopped. */
static bool hand_mark(struct reader *reader, enum replay_kind kind, size_t i)
{
	struct replay_item *item = handoff_claim(reader->handoff);

	if (!item)
		return false;
	item->kind = kind;
	item->segment = i;
	handoff_publish(reader->handoff);
	return true;
}

/* Begin pass 1 of a segment on the reader: map it (unless read ahead), its format. */
static void reader_begin_check(const struct recovery_pass *pass, struct segment_check *check)
{
	if (check_open(pass, check))
		check_begin(check);
}

/* Hand over segment after segment: BEGIN once it is checked, its records, END; the next
 * segment checked meanwhile, a couple of records per record handed (its BEGIN must not keep
 * the engine waiting). */
static void *reader_run(void *arg)
{
	struct reader *reader = arg;
	const struct recovery_pass *pass = reader->pass;
	bool going = reader->count > 0;

	if (going) {
		reader_begin_check(pass, &reader->checks[0]);
		check_some(pass, &reader->checks[0], SIZE_MAX);
	}
	for (size_t i = 0; going && i < reader->count; i++) {
		struct segment_check *check = &reader->checks[i];
		struct segment_check *next = i + 1 < reader->count ? &reader->checks[i + 1] : NULL;

		if (!hand_mark(reader, REPLAY_BEGIN, i) || check->rc < 0)
			break;
		if (next) {
			read_ahead(pass, next);
			reader_begin_check(pass, next);
		}
		for (size_t r = 0; going && r < check->replay_count; r++) {
			struct replay_item *item = handoff_claim(reader->handoff);

			if (!(going = item != NULL))
				break;
			decode_item(reader->parser, check->map + check->replay[r],
				    check->size - check->replay[r], item);
			handoff_publish(reader->handoff);
			if (next)
				check_some(pass, next, 2);
		}
		if (going && next)
			check_some(pass, next, SIZE_MAX);
		going = going && hand_mark(reader, REPLAY_END, i);
	}
	handoff_close(reader->handoff);
	return NULL;
}

/* Slots ahead of the one applied whose lines are fetched meanwhile: they were written on the
 * other CPU, and a line read there costs a transfer between the cores that the engine's
 * work for one record can hide. */
#define READER_PREFETCH 3u

static void prefetch_item(const struct replay_item *item)
{
	const char *at = (const char *)item;

	if (!item)
		return;
	/* (not the parser's 256-byte detail at its end: read only for a refused line) */
	for (size_t line = 0; line < offsetof(struct replay_item, parsed.why); line += 64)
		__builtin_prefetch(at + line);
}

/* The engine's table slots the next record will look at, fetched while this one is applied
 * (engine_prefetch: the duplicate filter's, the binding's and the open call's slots, which
 * miss the cache at a day's size): its line is parsed already, its hashes with it. */
static void prefetch_state(const struct recovery_pass *pass, const struct replay_item *item)
{
	if (item && item->kind == REPLAY_EVENT)
		engine_prefetch(pass->recovery->engine, &item->parsed);
}

/* Then, a record later, what a call_end's completion will look at (engine_prefetch_call). */
static void prefetch_call(const struct recovery_pass *pass, const struct replay_item *item)
{
	if (item && item->kind == REPLAY_EVENT)
		engine_prefetch_call(pass->recovery->engine, &item->parsed);
}

/* The records as the reader hands them over: marks settle and file, the rest are applied. */
static int apply_handed(struct recovery_pass *pass, struct reader *reader)
{
	const struct replay_item *item;
	int rc = 0;

	while (rc == 0 && (item = handoff_next(reader->handoff))) {
		/* three records ahead its slot, two ahead the tables' slots it will look at, one
		 * ahead what those lead to (a record's work hides each fetch) */
		prefetch_item(handoff_ahead(reader->handoff, READER_PREFETCH));
		prefetch_state(pass, handoff_ahead(reader->handoff, READER_PREFETCH - 1));
		prefetch_call(pass, handoff_ahead(reader->handoff, READER_PREFETCH - 2));
		if (item->kind == REPLAY_BEGIN)
			rc = settle_checked(pass, &reader->checks[item->segment]);
		else if (item->kind == REPLAY_END)
			rc = finish_segment(pass, &reader->checks[item->segment],
					    item->segment + 1 == reader->count);
		else
			apply_item(pass, item);
		handoff_done(reader->handoff);
	}
	return rc;
}

/* apply_inline with the reader thread. *started false, before anything is read, when the
 * thread or its ring cannot be had (the caller goes on inline); once it is true, what the
 * thread found is final, whatever the error (an -EAGAIN too: a segment's open refused under
 * another process's lease is a segment that cannot be read, as on this thread). */
static int apply_with_reader(struct recovery_pass *pass, struct segment_check *checks,
			     size_t count, bool *started)
{
	struct reader reader = { .pass = pass, .checks = checks, .count = count };
	int rc = 0;

	*started = false;
	reader.handoff = handoff_new(READER_SLOTS, sizeof(struct replay_item));
	reader.parser = event_parser_new();
	if (reader.handoff && reader.parser &&
	    thread_start_masked(&reader.thread, reader_run, &reader) == 0) {
		*started = true;
		rc = apply_handed(pass, &reader);
		handoff_cancel(reader.handoff); /* the reader stops early if this side did */
		pthread_join(reader.thread, NULL);
	}
	handoff_free(reader.handoff);
	event_parser_free(reader.parser);
	return rc;
}

/* The CPUs this process may run on (its affinity: a service or container may be held to
 * fewer than are online). */
static long usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Whether to read on a thread of its own. */
static bool use_reader(enum recovery_reader reader)
{
	if (reader == RECOVERY_READER_AUTO)
		return usable_cpus() > 1;
	return reader == RECOVERY_READER_THREAD;
}

/* Alerts held during the replay that a later segment's ALERT records show delivered. */
static void suppress_journaled(struct recovery_router *router, uint64_t journaled_through)
{
	size_t kept = 0;

	for (size_t i = 0; i < router->recovered_count; i++) {
		if (router->recovered[i].seq <= journaled_through) {
			free(router->recovered[i].json);
			router->suppressed++;
		} else {
			router->recovered[kept++] = router->recovered[i];
		}
	}
	router->recovered_count = kept;
	router->journaled_through = journaled_through;
}

/* Segments from the one holding the record after the snapshot, one after the other: check one
 * (pass 1), then apply it (pass 2) while the next is read ahead. A replayed alert whose seq is
 * journaled in the segments checked so far is suppressed; one above is held (the router's
 * recovered list) until every segment is checked, then suppressed if a later one journaled it
 * (an alert is journaled after its line: almost always in the same segment). */
static int apply_segments(struct recovery_pass *pass, const uint64_t *firsts, size_t count)
{
	struct segment_check *checks = calloc(count ? count : 1, sizeof *checks);
	bool started = false;
	int rc = 0;

	if (!checks)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		checks[i].first_index = firsts[i];
	pass->router->replaying = true;
	if (use_reader(pass->reader))
		rc = apply_with_reader(pass, checks, count, &started);
	if (!started)
		rc = apply_inline(pass, checks, count);
	pass->router->replaying = false;
	suppress_journaled(pass->router, pass->max_alert_seq);
	if (rc == 0)
		warn_gaps(pass, checks, count);
	for (size_t i = 0; i < count; i++) {
		unmap_segment(&checks[i]);
		if (rc == 0 && checks[i].corrupt)
			quarantine_segment(pass, checks[i].first_index);
	}
	free(checks);
	return rc;
}

/* --- the whole run ------------------------------------------------------------------------- */

static double seconds_since(int64_t start_us)
{
	return (double)(hostclock_monotonic_us() - start_us) / 1e6;
}

/* The first segment that holds records after the snapshot: the last one starting at or
 * before base + 1. */
static size_t first_replayed_segment(const struct statedir_files *files, uint64_t base_index)
{
	size_t first = 0;

	for (size_t i = 0; i < files->segment_count; i++)
		if (files->segments[i] <= base_index + 1)
			first = i;
	return first;
}

/* A snapshot stamped "a segment follows" was written after that segment was created (by a
 * rotation, a recovery, the end of a degraded period: not at a clean stop). With no segment
 * from the record after it on, that segment was deleted with whatever lines it held: on disk
 * it looks like a clean stop, so only the stamp tells. A later segment left means a gap in
 * record numbers, which warn_gaps names. */
static void warn_missing_next(struct recovery_pass *pass, const struct statedir_files *files)
{
	char name[STATEDIR_NAME_MAX], snapshot[STATEDIR_NAME_MAX];

	if (!pass->recovery->summary.from_snapshot ||
	    pass->base_next != ENGINE_SNAPSHOT_NEXT_SEGMENT)
		return;
	for (size_t i = 0; i < files->segment_count; i++)
		if (files->segments[i] > pass->base_index)
			return;
	pass->recovery->summary.next_segment_missing = true;
	statedir_segment_name(pass->base_index + 1, name);
	statedir_snapshot_name(pass->base_index, snapshot);
	log_msg(LOG_WARNING,
		"recovery: %s/journal/%s is missing: %s was not taken at a clean stop, and records "
		"from %" PRIu64 " on went to that segment: their lines, acknowledged ones "
				"included, are not replayed",
		pass->dir->path, name, snapshot, pass->base_index + 1);
}

/* Without a snapshot the journal must start at record 1, or history is missing. */
static void warn_missing_history(struct recovery_pass *pass,
				 const struct statedir_files *files)
{
	if (pass->recovery->summary.from_snapshot || files->segment_count == 0 ||
	    files->segments[0] <= 1)
		return;
	pass->recovery->summary.history_first = files->segments[0];
	log_msg(LOG_ERR,
		"recovery: no usable snapshot and the journal starts at record %" PRIu64
		": the state is rebuilt from the segments left only (windows and open alerts may "
		"differ; alert seq goes on after the highest journaled)",
		files->segments[0]);
}

/* What the recovery lost, told to the supervisors: a state_incomplete system alert in the
 * state handed over (the checkpoint's snapshot holds it, so a start that fails before its
 * notice is journaled still shows it), dated by this host's clock; its notice goes with the
 * replayed alerts never delivered, journaled and delivered after the checkpoint. */
static void raise_incomplete(struct recovery_pass *pass, const struct config *config)
{
	struct recovery *recovery = pass->recovery;
	struct control control = { .kind = CONTROL_STATE_INCOMPLETE, .firing = true };
	char line[CONTROL_LINE_MAX + 1], why[256];
	size_t len;
	uint64_t before = pass->router->recovered_count;

	if (!recovery_incomplete(&recovery->summary, control.reason, sizeof control.reason))
		return;
	log_msg(LOG_WARNING,
		"recovery: the state is incomplete (%s): system alert state_incomplete until "
		"%" PRIu32 " s more of events refill the rule windows",
		control.reason, config_refill_seconds(config));
	if (!(len = control_format(&control, line, sizeof line))) {
		log_msg(LOG_ERR, "recovery: out of memory: state_incomplete not raised");
		return;
	}
	pass->router->replaying = true; /* the notice joins the alerts to deliver */
	int64_t now_ms = pass->router->wall_ms();

	if (engine_control(recovery->engine, line, len, now_ms, why, sizeof why) < 0)
		log_msg(LOG_ERR, "recovery: state_incomplete not raised: %s", why);
	pass->router->replaying = false;
	if (pass->router->recovered_count > before)
		recovery->summary.incomplete_seq =
			pass->router->recovered[pass->router->recovered_count - 1].seq;
}

int recovery_run(struct statedir *dir, struct journal *journal, const struct config *config,
		 struct recovery_router *router, struct recovery *recovery, char *why,
		 size_t why_size)
{
	return recovery_run_reader(dir, journal, config, router, RECOVERY_READER_AUTO, recovery,
				   why, why_size);
}

int recovery_run_reader(struct statedir *dir, struct journal *journal,
			const struct config *config, struct recovery_router *router,
			enum recovery_reader reader, struct recovery *recovery, char *why,
			size_t why_size)
{
	struct recovery_pass pass = { .dir = dir, .journal = journal, .recovery = recovery,
				      .router = router, .reader = reader };
	struct statedir_files files;
	int64_t start_us = hostclock_monotonic_us();
	size_t first_replayed;
	uint64_t future_before;
	int rc;

	memset(recovery, 0, sizeof *recovery);
	if ((rc = statedir_list(dir, &files)) < 0) {
		snprintf(why, why_size, "cannot read state directory %s: %s", dir->path,
			 strerror(-rc));
		return rc;
	}
	rc = load_snapshot(&pass, config, &files);
	warn_missing_history(&pass, &files);
	if (rc == 0)
		warn_missing_next(&pass, &files);
	recovery->summary.last_index = pass.base_index;
	first_replayed = first_replayed_segment(&files, pass.base_index);
	for (size_t i = 0; rc == 0 && i < first_replayed; i++)
		rc = recover_closed_segment(&pass, files.segments[i]);
	/* The snapshot a rotation or a clean stop wrote ends exactly where this segment ends. */
	if (rc == 0 && first_replayed < files.segment_count && recovery->summary.from_snapshot &&
	    read_segment_end(&pass, files.segments[first_replayed], pass.base_index) == 0)
		first_replayed++;
	/* Lines journaled without their host time (EVENT records, written before event time per
	 * source) are held to the guard against the future by this host's clock. */
	if (rc == 0) {
		future_before = engine_stats(recovery->engine)->rejects[EVENT_REJECT_FUTURE];
		engine_set_future_ceiling(recovery->engine,
					  hostclock_wall_ms() +
						  (int64_t)config->feed.max_future_seconds * 1000);
		rc = apply_segments(&pass, files.segments + first_replayed,
				    files.segment_count - first_replayed);
		engine_set_future_ceiling(recovery->engine, INT64_MAX);
		recovery->summary.future_rejected =
			engine_stats(recovery->engine)->rejects[EVENT_REJECT_FUTURE] -
			future_before;
	}
	/* A seq once delivered is never used again, even when the state was rebuilt without a
	 * snapshot (or from an older one) and its own count is behind the journal's. */
	if (rc == 0)
		engine_continue_seq(recovery->engine, pass.max_alert_seq);
	/* The journal's tail ran under the snapshot's configuration; now take today's. */
	if (rc == 0)
		rc = engine_reconfigure(recovery->engine, config);
	if (rc == 0)
		raise_incomplete(&pass, config);
	statedir_files_free(&files);
	if (rc < 0) {
		snprintf(why, why_size, "recovery from %s failed: %s", dir->path,
			 rc == -EPROTONOSUPPORT ? "a journal segment of another record format"
						: statedir_strerror(rc));
		engine_free(recovery->engine);
		recovery->engine = NULL;
		return rc;
	}
	journal_sort_alerts(journal);
	journal_set_last_index(journal, recovery->summary.last_index);
	recovery->summary.alerts_suppressed = router->suppressed;
	recovery->summary.alerts_recovered = router->recovered_count;
	recovery->summary.seconds = seconds_since(start_us);
	return 0;
}

int recovery_checkpoint(struct journal *journal, struct recovery *recovery)
{
	int rc;

	if (recovery->open_segment) {
		rc = journal_resume_segment(journal, recovery->open_first, recovery->open_bytes,
					    recovery->open_last);
		if (rc < 0)
			return rc;
		recovery->open_segment = false;
	}
	return journal_checkpoint(journal, recovery->engine, true);
}

/* One more of reason's parts, "; " before all but the first; what does not fit is cut. */
static void add_loss(char *reason, size_t size, const char *loss)
{
	size_t used = strlen(reason);

	if (used + 1 < size)
		snprintf(reason + used, size - used, "%s%s", used ? "; " : "", loss);
}

bool recovery_incomplete(const struct recovery_summary *summary, char *reason, size_t size)
{
	char loss[96];

	if (size == 0)
		return false;
	reason[0] = '\0';
	if (summary->history_first > 0) {
		snprintf(loss, sizeof loss,
			 "no usable snapshot, journal from record %" PRIu64,
			 summary->history_first);
		add_loss(reason, size, loss);
	}
	if (summary->next_segment_missing)
		add_loss(reason, size, "segment after snapshot missing");
	if (summary->records_missing > 0) {
		snprintf(loss, sizeof loss, "%" PRIu64 " records missing",
			 summary->records_missing);
		add_loss(reason, size, loss);
	}
	if (summary->corrupt_segments > 0) {
		snprintf(loss, sizeof loss, "%" PRIu64 " damaged segments set aside",
			 summary->corrupt_segments);
		add_loss(reason, size, loss);
	}
	return reason[0] != '\0';
}

void recovery_log_summary(const struct recovery_summary *summary)
{
	char snapshot[64] = "no snapshot";

	if (summary->from_snapshot)
		snprintf(snapshot, sizeof snapshot, "snapshot %016" PRIx64,
			 summary->snapshot_index);
	log_msg(LOG_NOTICE,
		"recovery: %s + %" PRIu64 " records (%" PRIu64 " events) from %" PRIu64
		" segments in %.3f s; alerts: %" PRIu64 " already delivered, %" PRIu64
		" delivered now; %" PRIu64 " torn records, %" PRIu64 " corrupt segments, %" PRIu64
		" corrupt snapshots, %" PRIu64 " snapshots of another format",
		snapshot, summary->records_replayed, summary->events_replayed,
		summary->segments_replayed, summary->seconds, summary->alerts_suppressed,
		summary->alerts_recovered, summary->torn_records, summary->corrupt_segments,
		summary->corrupt_snapshots, summary->other_format_snapshots);
	if (summary->future_rejected > 0)
		log_msg(LOG_WARNING,
			"recovery: %" PRIu64
			" journaled lines were more than feed.max_future_seconds ahead "
			"of this host's clock: rejected as future, not replayed",
			summary->future_rejected);
}

void recovery_release(struct recovery *recovery)
{
	recovery_alerts_free(recovery->salvaged, recovery->salvaged_count);
	recovery->salvaged = NULL;
	recovery->salvaged_count = 0;
}
