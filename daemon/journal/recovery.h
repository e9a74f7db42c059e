/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_RECOVERY_H
#define CADMOND_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"

/*
 * Recovery at start: rebuild the engine from the state directory exactly as it was.
 *
 *  1. Load the newest snapshot that verifies; a damaged one is renamed *.corrupt (logged,
 *     counted) and the one before it is tried. With none, start from a fresh engine.
 *  2. Check every record after the snapshot (CRC, framing, index order), one segment at a
 *     time, the next one read ahead while this one is replayed (step 3). A torn last record
 *     (a crash mid-write) is cut off: the file is truncated to the last good record (logged,
 *     counted). A corrupt record elsewhere makes the segment quarantined (renamed *.corrupt,
 *     logged, counted) after what can be trusted in it (every record that verifies) is used.
 *  3. Replay the checked segment's EVENT, REJECT and CONTROL records after the snapshot, in
 *     order, through the engine with the same origin. With more than one CPU, step 2 and the
 *     decoding and parsing of step 3 (engine_parse) run a segment ahead on a reader thread,
 *     which hands the records over in order (handoff.h); the calling thread applies them
 *     (engine_apply) and does everything else: the same result as on one thread. Alerts
 *     the replay produces whose seq is at most the highest ALERT record of the journal were
 *     delivered before the crash: they are suppressed (one above the highest checked so far
 *     is held until every segment is checked). The others were never journaled, so never
 *     delivered: they are handed back (recovered) for the daemon to journal and deliver.
 *  4. Tell the journal what is on disk (closed segments, snapshots, the ALERT records), then
 *     checkpoint: end the segment the crash left open, write a snapshot, start a new segment.
 *
 * Nothing here uses libevent, so bench/recovery runs exactly this code.
 */

/* Routes the engine's alerts. It is the engine's alert context for the engine's whole life
 * (the engine cannot change it), so it belongs to whoever owns the engine. */
struct recovery_router {
	engine_alert_fn live; /* after recovery: every alert goes here */
	void *live_ctx;
	bool replaying;
	uint64_t journaled_through; /* replayed alerts up to this seq were delivered before */
	uint64_t suppressed;
	struct recovery_alert *recovered; /* replayed alerts never journaled, in seq order */
	size_t recovered_count;
	size_t recovered_capacity;
	bool recovered_lost; /* out of memory keeping one */
	/* the host's clock that dates what recovery itself raises (state_incomplete):
	 * hostclock_wall_ms, or a test's */
	int64_t (*wall_ms)(void);
};

/* An alert to journal after recovery: produced by replay, or salvaged from a quarantined
 * segment (then it was delivered before and only needs journaling again). */
struct recovery_alert {
	uint64_t seq;
	char *json; /* malloc'd, NUL-terminated */
	size_t len;
};

/* What recovery found and did. */
struct recovery_summary {
	bool from_snapshot;
	uint64_t snapshot_index;
	uint64_t segments_replayed;
	uint64_t records_replayed; /* records after the snapshot */
	uint64_t events_replayed;  /* EVENT and EVENT_AT records among them */
	uint64_t alerts_suppressed;
	uint64_t alerts_recovered; /* replayed alerts never journaled before */
	uint64_t torn_records;
	uint64_t corrupt_segments;
	uint64_t corrupt_snapshots;
	uint64_t other_format_snapshots; /* written by another cadmond version: left, not used */
	uint64_t
		/* journal segments of another record format: left, start refused */
		other_format_segments;
	uint64_t skipped_bytes; /* of quarantined segments, not trusted */
	uint64_t last_index;    /* last good record on disk */
	uint64_t future_rejected; /* replayed lines refused by the guard against the future */
	bool next_segment_missing; /* the segment the snapshot's stamp says follows it is gone */
	uint64_t history_first;    /* no usable snapshot and the journal starts at this record
				    * (> 1); 0: no history missing */
	uint64_t records_missing;  /* record numbers missing between segments */
	uint64_t incomplete_seq;   /* the state_incomplete notice raised for them; 0: none */
	double seconds;
};

/* The state recovery hands over. */
struct recovery {
	struct engine *engine; /* the caller owns it */
	struct recovery_summary summary;
	struct recovery_alert *salvaged; /* ALERT records of quarantined segments, by seq */
	size_t salvaged_count;
	/* the segment the crash left open, to be ended by recovery_checkpoint() */
	bool open_segment;
	uint64_t open_first;
	uint64_t open_bytes;
	uint64_t open_last;
};

struct statedir;
struct journal;

/** Set up a router: after recovery, alerts go to live(..., live_ctx). */
void recovery_router_init(struct recovery_router *router, engine_alert_fn live, void *live_ctx);

/** The engine's alert callback; ctx is the router. */
void recovery_router_on_alert(const struct alert *alert, const char *json, size_t len, void *ctx);

/** Take the recovered alerts (the caller frees them with recovery_alerts_free). */
struct recovery_alert *recovery_router_take(struct recovery_router *router, size_t *count);

/** Free an array of count alerts. */
void recovery_alerts_free(struct recovery_alert *alerts, size_t count);

/** Free what the router still holds. */
void recovery_router_release(struct recovery_router *router);

/**
 * Steps 1 to 3 (and step 4's bookkeeping) for dir, into journal (new, empty). The engine is
 * built for config with router as its alert context. 0, or -errno with the reason in why
 * (a directory that cannot be read, no memory): damaged files are not errors.
 */
int recovery_run(struct statedir *dir, struct journal *journal, const struct config *config,
		 struct recovery_router *router, struct recovery *recovery, char *why,
		 size_t why_size);

/* Who reads the records recovery_run replays. */
enum recovery_reader {
	RECOVERY_READER_AUTO,   /* a thread of its own when the process may use more than one
				 * CPU (its affinity) */
	RECOVERY_READER_THREAD, /* a thread of its own: pass 1, decoding and parsing the lines
				 * (engine_parse) a segment ahead, while this thread applies them */
	RECOVERY_READER_INLINE, /* this thread, record after record */
};

/** recovery_run with the records read by reader (recovery_run: RECOVERY_READER_AUTO). The
 * result is the same either way, byte for byte, damaged segments and errors included; a
 * thread that cannot be started leaves the reading to this one. */
int recovery_run_reader(struct statedir *dir, struct journal *journal,
			const struct config *config, struct recovery_router *router,
			enum recovery_reader reader, struct recovery *recovery, char *why,
			size_t why_size);

/**
 * Step 4: end the segment the crash left open, snapshot, start a new segment. 0 or -errno
 * (a full disk: the daemon then starts degraded and tries again later).
 */
int recovery_checkpoint(struct journal *journal, struct recovery *recovery);

/**
 * Did the recovery rebuild the state without some of its history (no usable snapshot and a
 * journal that does not start at record 1, records missing, a segment set aside as damaged)?
 * Then true, with what was lost in a few words in reason (at most size - 1 bytes, cut there).
 * recovery_run raises a state_incomplete system alert for it in the state it hands over
 * (so in the snapshot recovery_checkpoint writes), its notice among the recovered alerts.
 */
bool recovery_incomplete(const struct recovery_summary *summary, char *reason, size_t size);

/** Log the summary in one line. */
void recovery_log_summary(const struct recovery_summary *summary);

/** Free the salvaged alerts (not the engine). */
void recovery_release(struct recovery *recovery);

#endif
