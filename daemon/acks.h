/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_ACKS_H
#define CADMOND_ACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "event.h"

/*
 * Feed acknowledgements (docs/protocol.md, "Acknowledgements"). A feed connection may open
 * with a hello line naming its source, {"hello":"feed","source":"cad-1"}, and may number its
 * events with "seq". cadmond answers {"ack":N} once every line of the connection up to the
 * one with seq N is durable in the journal. One struct acks per feed connection: it reads the
 * hello, follows the seqs processed and the journal records that hold them, and says when an
 * ack is due. Pure: no I/O.
 */

/* Longest ack line: {"ack":18446744073709551615,"duplicates":18446744073709551615}\n */
#define ACKS_LINE_MAX 80

/* Ends of earlier loop turns kept per connection, to acknowledge while later lines wait. */
#define ACKS_MARKS_MAX 4

/* What became of a connection's first line. */
enum acks_hello {
	ACKS_NOT_HELLO, /* an ordinary line: process it */
	ACKS_HELLO,     /* a good hello: the connection now has a source */
	ACKS_BAD_HELLO, /* a hello with a problem (why says which): it has no source */
};

/* Where a connection stood at the end of a loop turn: its highest seq, the journal record of
 * its last line with a seq, and its duplicates up to it. */
struct acks_mark {
	uint64_t seq;
	uint64_t index;
	uint64_t duplicates;
};

struct acks {
	char source[EVENT_ID_MAX + 1]; /* "" when the connection named none */
	char epoch[EVENT_ID_MAX + 1];  /* the hello's session, "" when it gave none */
	bool first_line_seen;
	bool has_seq;           /* some line carried a seq */
	uint64_t highest_seq;   /* the highest seq processed */
	uint64_t pending_index; /* journal record of the last line with a seq (0: not journaled) */
	bool pending;           /* highest_seq is not acknowledged yet */
	bool acked_any;
	uint64_t acked_seq;
	uint64_t duplicates;         /* lines dropped as duplicates so far */
	uint64_t pending_duplicates; /* of them, up to the line with highest_seq */
	uint64_t acked_duplicates;   /* the duplicates the last ack line gave */
	/* earlier loop turns not acknowledged yet, oldest first (acks_mark) */
	struct acks_mark marks[ACKS_MARKS_MAX];
	uint32_t mark_count;
};

/**
 * Look at a connection's first non-empty line: a JSON object with a "hello" key is a hello
 * (and is not an event). ACKS_BAD_HELLO when "hello" is not "feed", "source" is not a name
 * event_source_check takes (missing, not a string, empty, longer than EVENT_ID_MAX bytes, with a
 * control character), or "epoch" (optional) is neither a string of 1 to EVENT_ID_MAX bytes nor
 * an integer (why explains).
 */
enum acks_hello acks_first_line(struct acks *acks, const char *line, size_t len, char *why,
				size_t why_size);

/** Follow a processed line: its verdict and the journal record index holding it (0: none). */
void acks_note(struct acks *acks, const struct engine_verdict *verdict, uint64_t record_index);

/**
 * The connection's loop turn ends (its lines of the turn go to the journal in one commit): keep
 * where it stands, so that once that commit is durable its lines are acknowledged even when
 * lines of later turns are not durable yet (a sender that keeps sending, under journal.fsync:
 * batch, would otherwise get no ack until it paused). At most ACKS_MARKS_MAX turns are kept:
 * beyond, the newest kept gives way (a later ack covers it).
 */
void acks_mark(struct acks *acks);

/**
 * The ack line due now that every record up to durable_index is durable (UINT64_MAX: all
 * processed lines are), or 0 when none is due: the highest seq processed once its record is
 * durable, else the newest kept turn's (acks_mark) that is. Marks it sent. line gets
 * "{"ack":N}\n", or
 * "{"ack":N,"duplicates":D}\n" once D > 0 lines of the connection up to N were dropped as
 * duplicates (resends of what cadmond already had), so that a sender can tell.
 */
size_t acks_due(struct acks *acks, uint64_t durable_index, char line[ACKS_LINE_MAX]);

#endif
