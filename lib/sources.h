/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_SOURCES_H
#define CADMON_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The highest sequence number processed from each named feed source, so that events a
 * sender resends after a reconnect (from its last acknowledgement) are recognized exactly:
 * an event is new iff its seq is above the source's highest, under the same epoch (the hello's
 * session name, changed by a sender that lost its numbering). One line may move the numbering
 * ahead by at most max_jump. Bounded: when full, the sources heard of least recently are
 * forgotten (counted), those the configuration lists only when no other is held.
 */

struct sources;

/** NULL on allocation failure. */
struct sources *sources_new(uint32_t max_sources);
void sources_free(struct sources *sources);

/* Is the source one the configuration lists? */
typedef bool (*sources_listed_fn)(const char *name, void *ctx);

/** Room is made (a new source when full) among the sources fn (NULL: none) does not list
 * first: invented names cannot push out a configured source's numbering. */
void sources_set_listed(struct sources *sources, sources_listed_fn fn, void *ctx);

/* What a numbered line is to its source's numbering. */
enum sources_verdict {
	SOURCES_NEW = 0,   /* above the highest: recorded */
	SOURCES_RESEND,    /* at or below the highest: a resend */
	/* another epoch, or far below at a connection's first numbered line: numbering starts
	 * again */
	SOURCES_RESTARTED,
	SOURCES_JUMP,      /* more than max_jump above the highest: not recorded */
};

/* A numbered line's session: the hello's epoch, and whether it is the connection's first
 * numbered line. */
struct sources_session {
	const char *epoch; /* "" when the hello gave none */
	bool first_of_connection;
	uint64_t max_jump; /* how far one line may move the numbering ahead */
	/* a recording's line (no connections, no epochs) dated after every line its source sent:
	 * at or below the highest, its seq restarts the numbering (a resend repeats a line
	 * already seen, never one newer than all of them) */
	bool newer_than_all;
};

/**
 * Check seq from source against its numbering under session and record it unless it is a
 * resend or a jump: a new epoch restarts the numbering, and so does the first numbered line
 * of a connection at least max_jump below the highest, and so does a line at or below it
 * newer_than_all.
 */
enum sources_verdict sources_check(struct sources *sources, const char *source, uint64_t seq,
				   const struct sources_session *session, int64_t ts_ms);

/** The highest seq processed from source; false if the source is unknown. */
bool sources_last_seq(const struct sources *sources, const char *source, uint64_t *seq);

/** Sources forgotten because the table was full. */
uint64_t sources_evicted(const struct sources *sources);
/** Where that count is kept (as long as sources is): the engine's limits read it there. */
const uint64_t *sources_evicted_counter(const struct sources *sources);
/** Add every eviction counted from now on to *moves too (moves.h; NULL: no longer). */
void sources_count_moves(struct sources *sources, uint64_t *moves);

struct codec_writer;
struct codec_reader;

/** Change the bound, keeping what fits: the least recently heard forgotten first, among those
 * listed (NULL: none; e.g. by the new configuration) does not list first, as
 * sources_set_listed says. 0 or -ENOMEM. */
int sources_resize(struct sources *sources, uint32_t max_sources, sources_listed_fn listed,
		   void *ctx);
void sources_save(const struct sources *sources, struct codec_writer *writer);
int sources_load(struct sources *sources, struct codec_reader *reader);

#endif
