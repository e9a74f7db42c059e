/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "feed.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "acks.h"
#include "guard.h"
#include "hostclock.h"
#include "limitwatch.h"
#include "listener.h"
#include "log.h"
#include "text.h"
#include "tls.h"

/* Room for a rejection detail from the engine. */
#define FEED_WHY_MAX 256

struct feed {
	LIST_ENTRY(feed) link;
	struct feed_server *server;
	struct bufferevent *connection;
	char peer[LISTENER_ADDRESS_TEXT_MAX];
	char host[LISTENER_ADDRESS_TEXT_MAX]; /* the peer without its port */
	struct guard_clock clock; /* handshake, line and idle deadlines (guard.h) */
	bool pending;             /* no valid line yet: holds a pending slot, not a feed's */
	struct feed_stats stats;
	struct log_limit reject_log;
	struct log_limit notice_log; /* clocks ahead, restarted senders */
	uint64_t line_number; /* of the last complete line, blank ones included, for logs */
	size_t counted_bytes; /* bytes of the input buffer already added to stats.bytes */
	bool discarding;      /* inside a too-long line: drop input up to the next "\n" */
	struct acks acks;     /* hello, seq and acknowledgements */
	char clock_key[CLOCKS_NAME_MAX +
		       1];    /* its event-time clock when it names no source: "#S.N" */
	bool closing;         /* read no further, close: refused by the source binding, or its
			       * first line came with every feed slot taken */
	struct mapping *mapping; /* feed.mapping: this connection's records (header, open quotes) */
	/* plain TCP: reads the socket itself (feed.h); NULL under TLS */
	struct event *reader;
	/* the lines left at the iteration's deadline: processed in the next (zero timeout) */
	struct event *resume;
	bool budgeted;           /* the pass over the input counts against the deadline */
	bool cut;                /* the last pass stopped at the deadline, lines left */
	unsigned unchecked_lines; /* lines of this pass since the clock was read */
	uint64_t turn_iteration;  /* the loop iteration of its last turn (UINT64_MAX: none yet) */
	/* host time the input being processed was read: one clock read per chunk, not per line */
	int64_t received_ms;
	/* the chunk being processed told health it heard this feed, and that a line was taken */
	bool heard;
	bool admitted;
	/* the newest ack due while FEED_ACK_QUEUE_MAX_BYTES of output waited: sent once the
	 * output drains (feed_on_written) or with the next commit's */
	char ack_waiting[ACKS_LINE_MAX];
	size_t ack_waiting_len;
};

struct feed_server {
	struct event_base *base;
	struct engine *engine;
	struct feed_limits limits;
	struct feed_server_stats stats;
	struct log_limit mismatch_log; /* hellos refused by the source binding */
	struct log_limit no_hello_log; /* events before a hello, under the binding */
	struct tls_server *tls;       /* feed.tls: connections are TLS; NULL: plain TCP */
	struct guard *guard;                /* refusals, expiries, limit alerts; may be NULL */
	struct guard_timeouts timeouts;     /* what each connection's clock applies */
	struct feed_journal journal;
	struct config_mapping *mapping; /* feed.mapping for new connections; NULL: feed lines */
	struct zone *zone;              /* its time zone; NULL: fixed offset or UTC */
	int64_t started_ms; /* host time the server started: unnamed connections' keys differ
			     * from those of an earlier run, whose clocks the journal restores */
	struct limitwatch too_long;                 /* lines over max_line_bytes: a limit alert */
	char too_long_source[CONTROL_SOURCE_MAX + 1]; /* the latest's hello name, or peer */
	/* loop iterations (feed_server_next_iteration); the one whose deadline is set, and
	 * the last one counted in stats.iterations_cut_short */
	uint64_t iteration, deadline_iteration, cut_iteration;
	int64_t deadline_us; /* CLOCK_MONOTONIC: the line work of the iteration stops here */
	bool iteration_reads_less; /* feed_journal.read_less held when the iteration began */
	LIST_HEAD(feed_list, feed) feeds;
};

/* Input a connection may hold: the longest line plus "\r\n". */
static size_t feed_input_max(const struct feed_server *server)
{
	return (size_t)server->limits.max_line_bytes + 2;
}

static void feed_count_received(struct feed *feed, struct evbuffer *input)
{
	size_t len = evbuffer_get_length(input);

	if (len > feed->counted_bytes)
		feed->stats.bytes += len - feed->counted_bytes;
}

/* The source a connection's lines count under: the hello's, else the connection's own key. */
static const char *feed_source_key(const struct feed *feed)
{
	return feed->acks.source[0] ? feed->acks.source : feed->clock_key;
}

static void feed_reject(struct feed *feed, enum event_reject reason, const char *why)
{
	feed->stats.rejected++;
	if ((unsigned)reason < EVENT_REJECT_COUNT)
		feed->stats.rejects[reason]++;
	log_limited(&feed->reject_log, LOG_WARNING, "feed %s: rejected line %" PRIu64 ": %s: %s",
		    feed->peer, feed->line_number, event_reject_name(reason), why);
}

/* Where the engine is told a line of this connection comes from. */
static struct engine_origin feed_origin(const struct feed *feed, int64_t received_ms)
{
	return (struct engine_origin){.source = feed_source_key(feed),
				      .named = feed->acks.source[0] != '\0',
				      .epoch = feed->acks.epoch,
				      .first_of_connection = !feed->acks.has_seq,
				      .received_ms = received_ms};
}

/*
 * A source whose clock is ahead of the host's (reason future), or whose sender restarted its
 * numbering: logged here (rate-limited). The supervisors' notices for them, the system alerts
 * clock_ahead and sender_restarted, are raised by the engine from the same verdict, so that
 * recovery and replay give them again with the same seq.
 */
static void feed_raise_source_notice(struct feed *feed, const char *what)
{
	log_limited(&feed->notice_log, LOG_WARNING, "feed %s: source %s: %s", feed->peer,
		    feed_source_key(feed), what);
}

/* A rejected or unusual line: logged for the operators (the engine raised its system alert). */
static void feed_note_verdict(struct feed *feed, const struct engine_verdict *verdict)
{
	char what[FEED_WHY_MAX + 64];

	if (verdict->restarted) {
		feed->stats.restarts++;
		feed->server->stats.restarts++;
		snprintf(what, sizeof what,
			 "the sender restarted its numbering (seq %" PRIu64 "%s%s)", verdict->seq,
			 feed->acks.epoch[0] ? ", epoch " : "", feed->acks.epoch);
		feed_raise_source_notice(feed, what);
	}
	if (verdict->reject == EVENT_REJECT_FUTURE) {
		snprintf(what, sizeof what, "clock ahead of this host: %s", verdict->why);
		feed_raise_source_notice(feed, what);
	}
}

static void feed_reject_too_long(struct feed *feed)
{
	char why[FEED_WHY_MAX];

	feed->stats.lines++;
	feed_server_line_too_long(feed->server,
				  feed->acks.source[0] ? feed->acks.source : feed->peer);
	if (feed->server->journal.append_reject)
		feed->server->journal.append_reject(feed->server->journal.ctx,
						    EVENT_REJECT_LINE_TOO_LONG);
	engine_count_reject(feed->server->engine, EVENT_REJECT_LINE_TOO_LONG);
	snprintf(why, sizeof why, "longer than %" PRIu32 " bytes (feed.max_line_bytes)",
		 feed->server->limits.max_line_bytes);
	feed_reject(feed, EVENT_REJECT_LINE_TOO_LONG, why);
}

/* A named source announces itself: the center waits for it from now (journaled, as a line). */
static void feed_announce_source(struct feed *feed)
{
	const struct feed_journal *journal = &feed->server->journal;
	struct engine_origin origin = feed_origin(feed, feed->received_ms);
	struct engine_verdict verdict;

	if (journal->append_line)
		journal->append_line(journal->ctx, &origin, "", 0);
	engine_process_from(feed->server->engine, &origin, "", 0, &verdict);
}

/* A connection without a hello that sent lines closes: its "#S.N" clock goes, with its clock
 * notices (journaled, as an empty line flagged closed), so that reconnecting CADs do not fill
 * feed.max_sources with clocks that can never send again. */
static void feed_close_source(struct feed *feed)
{
	const struct feed_journal *journal = &feed->server->journal;
	struct engine_origin origin;
	struct engine_verdict verdict;

	if (feed->acks.source[0] || feed->stats.lines == 0)
		return;
	origin = feed_origin(feed, hostclock_wall_ms());
	origin.closed = true;
	if (journal->append_line)
		journal->append_line(journal->ctx, &origin, "", 0);
	engine_process_from(feed->server->engine, &origin, "", 0, &verdict);
}

/* Refuse the connection under the source binding: logged, counted, closed after this line. */
static void feed_refuse_binding(struct feed *feed, enum tls_failure failure, const char *what)
{
	struct feed_server *server = feed->server;
	struct log_limit *limit =
		failure == TLS_FAILURE_NO_HELLO ? &server->no_hello_log : &server->mismatch_log;

	log_limited(limit, LOG_WARNING, "feed %s: %s; closing", feed->peer, what);
	tls_server_count(server->tls, TLS_LISTENER_FEED, failure);
	feed->closing = true;
}

/* Under the binding, the hello's source must be a name of the client certificate. */
static bool feed_source_bound(struct feed *feed)
{
	char names[TLS_NAMES_MAX], what[TLS_NAMES_MAX + EVENT_ID_MAX + 64];

	if (!feed->server->limits.bind_source ||
	    tls_peer_names_source(feed->connection, feed->acks.source, names, sizeof names))
		return true;
	snprintf(what, sizeof what, "hello source \"%s\" is not in the client certificate (%s)",
		 feed->acks.source, names);
	feed_refuse_binding(feed, TLS_FAILURE_SOURCE_MISMATCH, what);
	return false;
}

/* Under the binding, an event needs a hello before it. */
static bool feed_hello_missing(struct feed *feed)
{
	char names[TLS_NAMES_MAX], what[TLS_NAMES_MAX + 128];

	if (!feed->server->limits.bind_source || feed->acks.source[0])
		return false;
	tls_peer_names_source(feed->connection, "", names, sizeof names);
	snprintf(what, sizeof what,
		 "an event before any hello: the hello must name the source, as the client "
		 "certificate does (%s)",
		 names);
	feed_refuse_binding(feed, TLS_FAILURE_NO_HELLO, what);
	return true;
}

/* A connection's first line may be a hello naming its source (acks.h): true when it was
 * one, good or bad, and so is not an event. */
static bool feed_take_hello(struct feed *feed, const char *line, size_t len)
{
	char why[FEED_WHY_MAX];

	switch (acks_first_line(&feed->acks, line, len, why, sizeof why)) {
	case ACKS_HELLO:
		if (!feed_source_bound(feed))
			return true;
		log_msg(LOG_INFO, "feed %s: source %s%s%s", feed->peer, feed->acks.source,
			feed->acks.epoch[0] ? ", epoch " : "", feed->acks.epoch);
		feed_announce_source(feed);
		return true;
	case ACKS_BAD_HELLO:
		feed->stats.bad_hellos++;
		feed->server->stats.bad_hellos++;
		log_msg(LOG_WARNING, "feed %s: bad hello line: %s; going on without a source",
			feed->peer, why);
		return true;
	case ACKS_NOT_HELLO:
		break;
	}
	return false;
}

/* Journal a line before the engine sees it; its record index (0: not journaled). */
static uint64_t feed_journal_line(struct feed *feed, const struct engine_origin *origin,
				  const char *line, size_t len)
{
	const struct feed_journal *journal = &feed->server->journal;

	if (len == 0)
		return 0;
	if (journal->heard && !feed->heard) { /* once per chunk: its lines came together */
		journal->heard(journal->ctx, feed->acks.source, feed->peer);
		feed->heard = true;
	}
	if (!journal->append_line)
		return 0;
	return journal->append_line(journal->ctx, origin, line, len);
}

/* A line the parser took (the engine may still refuse it for its time or seq): the sender
 * speaks the protocol. */
static bool feed_line_proves_client(enum event_reject reject)
{
	return reject == EVENT_OK || reject == EVENT_REJECT_TOO_LATE ||
	       reject == EVENT_REJECT_FUTURE || reject == EVENT_REJECT_BAD_SEQ;
}

/* A pending connection proved itself: from now on it holds a feed's slot. */
static void feed_promote(struct feed *feed)
{
	if (!feed->pending)
		return;
	feed->pending = false;
	feed->server->stats.pending--;
	guard_clock_promote(&feed->clock);
}

/* Feeds that proved themselves, open now. */
static uint32_t feed_established(const struct feed_server *server)
{
	return server->stats.connected - server->stats.pending;
}

/* A pending connection's first line when max_connections feeds are established: refused,
 * the line not read (the caller closes the connection). */
static bool feed_refuse_when_full(struct feed *feed)
{
	struct feed_server *server = feed->server;
	char why[64];

	if (!feed->pending || feed_established(server) < server->limits.max_connections)
		return false;
	snprintf(why, sizeof why, "%" PRIu32 " connections open", feed_established(server));
	guard_refused(server->guard, GUARD_PORT_FEED, GUARD_REFUSED_FULL, feed->peer, why);
	server->stats.refused++;
	feed->closing = true;
	return true;
}

static void feed_process_event_line(struct feed *feed, const char *line, size_t len);

/* A mapping's rejected record: counted by reason, logged like a rejected line. */
static void feed_reject_record(struct feed *feed, enum mapping_status status, const char *why)
{
	feed->stats.rejected++;
	feed->stats.records_rejected[status]++;
	feed->server->stats.records_rejected[status]++;
	log_limited(&feed->reject_log, LOG_WARNING, "feed %s: rejected line %" PRIu64 ": %s: %s",
		    feed->peer, feed->line_number, mapping_status_name(status), why);
}

static void feed_emit_mapped_line(const char *line, size_t len, void *ctx)
{
	feed_process_event_line(ctx, line, len);
}

/* feed.mapping: a line of a record; the record's feed lines go on as if received. */
static void feed_process_record_line(struct feed *feed, const char *line, size_t len)
{
	char why[FEED_WHY_MAX];
	enum mapping_status status = mapping_line(feed->mapping, line, len, feed_emit_mapped_line,
						  feed, why, sizeof why);

	if (status != MAPPING_SKIPPED)
		feed->stats.records++;
	if (status == MAPPING_UNANSWERED) {
		feed->stats.records_skipped++;
		feed->server->stats.records_skipped++;
	}
	if (mapping_status_rejects(status))
		feed_reject_record(feed, status, why);
}

/* Hand one complete line (without "\n"; a trailing "\r" is cut) to the journal and the
 * engine. The engine's verdict tells what it counted of the line: blank lines count as
 * nothing. */
static void feed_process_line(struct feed *feed, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > feed->server->limits.max_line_bytes) {
		feed_reject_too_long(feed);
		return;
	}
	if (len > 0 && feed_refuse_when_full(feed))
		return;
	if (!feed->acks.first_line_seen && len > 0 && feed_take_hello(feed, line, len)) {
		if (feed->acks.source[0])
			feed_promote(feed);
		return;
	}
	if (len == 0) { /* not a line; from a named source, a heartbeat that keeps it fresh */
		if (feed->acks.source[0])
			feed_announce_source(feed);
		return;
	}
	if (feed_hello_missing(feed))
		return;
	if (feed->mapping) {
		feed_process_record_line(feed, line, len);
		return;
	}
	feed_process_event_line(feed, line, len);
}

/* One protocol v1 line (received, or made from a record): journaled, then the engine. */
static void feed_process_event_line(struct feed *feed, const char *line, size_t len)
{
	struct engine *engine = feed->server->engine;
	struct engine_verdict verdict;
	struct engine_origin origin;
	uint64_t record_index;

	origin = feed_origin(feed, feed->received_ms);
	record_index = feed_journal_line(feed, &origin, line, len);
	engine_process_from(engine, &origin, line, len, &verdict);
	if (verdict.reject == EVENT_OK && !feed->admitted && feed->server->journal.admitted) {
		feed->server->journal.admitted(feed->server->journal.ctx, feed->acks.source,
					       feed->peer);
		feed->admitted = true;
	}
	acks_note(&feed->acks, &verdict, record_index);
	feed_note_verdict(feed, &verdict);
	if (feed_line_proves_client(verdict.reject))
		feed_promote(feed);
	feed->stats.lines += verdict.counted_line;
	feed->stats.events += verdict.counted_event;
	if (verdict.reject != EVENT_OK)
		feed_reject(feed, verdict.reject, verdict.why);
}

/* Process the line at the start of input, line_len bytes before its "\n", when it spans
 * more than the input's first chain (pulled up into one piece). */
static void feed_process_buffered_line(struct feed *feed, struct evbuffer *input, size_t line_len)
{
	const unsigned char *line = evbuffer_pullup(input, (ssize_t)line_len + 1);

	if (!line) {
		log_msg(LOG_ERR, "feed %s: out of memory; line %" PRIu64 " dropped", feed->peer,
			feed->line_number);
		return;
	}
	feed_process_line(feed, (const char *)line, line_len);
}

/* Drop the rest of a too-long line. Returns false when its end has not arrived yet. */
static bool feed_discard_rest_of_line(struct feed *feed, struct evbuffer *input)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF);

	if (eol.pos < 0) {
		evbuffer_drain(input, evbuffer_get_length(input));
		return false;
	}
	evbuffer_drain(input, (size_t)eol.pos + 1);
	feed->discarding = false;
	return true;
}

/* After a line of a pass under the time budget: every FEED_DEADLINE_CHECK_LINES lines, stop
 * here (cut) once the iteration's deadline has passed (feed.h). */
static void feed_check_deadline(struct feed *feed)
{
	if (!feed->budgeted || ++feed->unchecked_lines < FEED_DEADLINE_CHECK_LINES)
		return;
	feed->unchecked_lines = 0;
	feed->cut = hostclock_monotonic_us() >= feed->server->deadline_us;
}

/* One complete line of line_len bytes (its "\n" not included) taken from the input. */
static void feed_take_line(struct feed *feed, const char *line, size_t line_len)
{
	feed->line_number++;
	if (line_len >= feed_input_max(feed->server))
		feed_reject_too_long(feed);
	else
		feed_process_line(feed, line, line_len);
	feed_check_deadline(feed);
}

/* The complete lines that lie whole in the input's first chain, processed where they are (no
 * copy, no search or drain per line): the bytes they took, "\n"s included. */
static size_t feed_process_first_chain(struct feed *feed, struct evbuffer *input)
{
	struct evbuffer_iovec chain;
	const char *start, *end, *newline;
	size_t used = 0;

	if (evbuffer_peek(input, -1, NULL, &chain, 1) < 1 || chain.iov_len == 0)
		return 0;
	start = chain.iov_base;
	end = start + chain.iov_len;
	while (!feed->closing && !feed->discarding && !feed->cut &&
	       (newline = memchr(start + used, '\n', (size_t)(end - start) - used))) {
		size_t line_len = (size_t)(newline - (start + used));

		feed_take_line(feed, start + used, line_len);
		used += line_len + 1;
	}
	return used;
}

/* The iteration's deadline, set by its first pass under the budget (a connection's, or another
 * input's: feed_server_budget_spent). */
static void feed_server_deadline_begin(struct feed_server *server)
{
	if (server->deadline_iteration == server->iteration)
		return;
	server->deadline_iteration = server->iteration;
	server->deadline_us =
		hostclock_monotonic_us() + (int64_t)server->limits.snapshot_iteration_budget_us;
}

/* Line work stopped at the deadline with lines left: the iteration counted, once. */
static void feed_server_count_cut(struct feed_server *server)
{
	if (server->cut_iteration == server->iteration)
		return;
	server->cut_iteration = server->iteration;
	server->stats.iterations_cut_short++;
}

/* A pass under the time budget begins. */
static void feed_budget_begin(struct feed *feed)
{
	feed->budgeted = true;
	feed->unchecked_lines = 0;
	feed_server_deadline_begin(feed->server);
}

/* The pass stopped at the deadline: complete lines left wait for the next iteration (counted
 * once an iteration); only a partial line left, nothing does. */
static void feed_budget_end(struct feed *feed, struct evbuffer *input)
{
	feed->budgeted = false;
	if (!feed->cut)
		return;
	if (evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF).pos < 0) {
		feed->cut = false;
		return;
	}
	feed_server_count_cut(feed->server);
}

/* Process the complete lines in the input buffer, leaving at most one partial line of at
 * most max_line_bytes + 1 bytes; budgeted (feed.h): only until the iteration's deadline,
 * leaving complete lines too (feed->cut). Lines left by the last pass keep the time they were
 * read. */
static void feed_process_input(struct feed *feed, bool budgeted)
{
	struct evbuffer *input = bufferevent_get_input(feed->connection);
	size_t input_max = feed_input_max(feed->server);
	uint64_t lines_before = feed->line_number;

	feed_count_received(feed, input);
	if (!feed->cut)
		feed->received_ms = hostclock_wall_ms();
	feed->cut = false;
	feed->heard = feed->admitted = false;
	if (budgeted)
		feed_budget_begin(feed);
	while (!feed->closing && !feed->cut) {
		struct evbuffer_ptr eol;
		size_t used;

		if (feed->discarding && !feed_discard_rest_of_line(feed, input))
			break;
		if ((used = feed_process_first_chain(feed, input)) > 0) {
			evbuffer_drain(input, used);
			continue;
		}
		/* a line that spans chains, or none complete yet */
		eol = evbuffer_search_eol(input, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(input) < input_max)
				break;
			feed->line_number++;
			feed_reject_too_long(feed);
			feed->discarding = true;
			continue;
		}
		feed->line_number++;
		if ((size_t)eol.pos >= input_max)
			feed_reject_too_long(feed);
		else
			feed_process_buffered_line(feed, input, (size_t)eol.pos);
		evbuffer_drain(input, (size_t)eol.pos + 1);
		feed_check_deadline(feed);
	}
	feed_budget_end(feed, input);
	feed->counted_bytes = evbuffer_get_length(input);
	guard_clock_input(&feed->clock, feed->line_number > lines_before,
			  evbuffer_get_length(input) > 0 || feed->discarding);
}

/* Log a connection's counters, e.g. "... 12 lines, 10 events, 2 rejected (invalid_json 2)". */
static void feed_log_summary(const struct feed *feed)
{
	char reasons[512] = "";
	size_t used = 0;

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++) {
		if (feed->stats.rejects[reason] == 0 || used >= sizeof reasons)
			continue;
		used += (size_t)snprintf(reasons + used, sizeof reasons - used, "%s%s %" PRIu64,
					 used ? ", " : " (", event_reject_name(reason),
					 feed->stats.rejects[reason]);
	}
	for (int status = MAPPING_REJECT_FIRST; status < MAPPING_STATUS_COUNT; status++) {
		if (feed->stats.records_rejected[status] == 0 || used >= sizeof reasons)
			continue;
		used += (size_t)snprintf(reasons + used, sizeof reasons - used, "%s%s %" PRIu64,
					 used ? ", " : " (", mapping_status_name(status),
					 feed->stats.records_rejected[status]);
	}
	if (used > 0 && used < sizeof reasons - 1)
		strcat(reasons, ")");
	used = strlen(reasons);
	if (feed->stats.records_skipped > 0)
		snprintf(reasons + used, sizeof reasons - used,
			 ", %" PRIu64 " skipped (unanswered)", feed->stats.records_skipped);
	log_msg(LOG_INFO,
		"feed %s closed: %" PRIu64 " bytes, %" PRIu64 " lines, %" PRIu64 " events, %" PRIu64
		" rejected%s%s",
		feed->peer, feed->stats.bytes, feed->stats.lines, feed->stats.events,
		feed->stats.rejected, reasons,
		feed->stats.partial_lines ? ", unterminated last line dropped" : "");
}

/* Drop an unterminated last line (the peer went away in the middle of it) and close. */
static void feed_close(struct feed *feed)
{
	struct feed_server *server = feed->server;
	struct evbuffer *input = bufferevent_get_input(feed->connection);
	size_t partial = evbuffer_get_length(input);

	feed_count_received(feed, input);
	if (partial > 0 && !feed->discarding) {
		feed->stats.partial_lines++;
		server->stats.partial_lines++;
		log_msg(LOG_DEBUG, "feed %s: dropped an unterminated last line of %zu bytes",
			feed->peer, partial);
	}
	if (feed->mapping) { /* a record whose quotes never closed */
		char why[FEED_WHY_MAX];
		enum mapping_status status = mapping_finish(feed->mapping, why, sizeof why);
		if (status != MAPPING_SKIPPED)
			feed_reject_record(feed, status, why);
		mapping_free(feed->mapping);
	}
	feed_close_source(feed);
	log_limit_flush(&feed->reject_log);
	log_limit_flush(&feed->notice_log);
	feed_log_summary(feed);
	LIST_REMOVE(feed, link);
	guard_clock_free(&feed->clock);
	if (feed->pending)
		server->stats.pending--;
	server->stats.connected--;
	server->stats.closed++;
	if (feed->reader)
		event_free(feed->reader);
	event_free(feed->resume);
	bufferevent_free(feed->connection);
	free(feed);
}

/* Process what arrived, without a deadline (what a pass cut short left included: its lines are
 * acknowledged with the next commit); a connection refused at its first line is closed. */
static void feed_process_or_close(struct feed *feed)
{
	feed_process_input(feed, false);
	acks_mark(&feed->acks);
	if (feed->closing)
		feed_close(feed);
}

/* Read into the input buffer what the kernel holds, up to max bytes in one read(2): the bytes
 * read, 0 at the end of the stream, -1 with errno when nothing is there (EAGAIN) or on an
 * error. The socket bufferevent keeps its input frozen at its end for anyone else, so it is
 * unfrozen for this read, as libevent does for its own. */
static ssize_t feed_read_chunk(struct feed *feed, size_t max)
{
	evutil_socket_t fd = bufferevent_getfd(feed->connection);
	struct evbuffer *input = bufferevent_get_input(feed->connection);
	struct evbuffer_iovec space;
	ssize_t got = -1;

	evbuffer_unfreeze(input, 0);
	if (evbuffer_reserve_space(input, (ev_ssize_t)max, &space, 1) == 1) {
		got = read(fd, space.iov_base, space.iov_len < max ? space.iov_len : max);
		space.iov_len = got > 0 ? (size_t)got : 0;
		evbuffer_commit_space(input, &space, got > 0 ? 1 : 0);
	} else {
		errno = ENOMEM;
	}
	evbuffer_freeze(input, 0);
	return got;
}

static void feed_on_event(struct bufferevent *connection, short what, void *ctx);
static void feed_on_written(struct bufferevent *connection, void *ctx);

/* Whether to read and process less (feed_journal.read_less): a snapshot is, or is about to be,
 * written in the background, now or when the iteration began (a child that ended during the
 * iteration leaves the rest of it reading less, as it began). */
static bool feed_read_less(const struct feed_server *server)
{
	return server->iteration_reads_less ||
	       (server->journal.read_less && server->journal.read_less(server->journal.ctx));
}

/* The next iteration's turn of a connection whose lines wait (feed.h): the resume timer. */
static void feed_resume_next_iteration(struct feed *feed)
{
	static const struct timeval next_iteration = { 0, 0 };

	evtimer_add(feed->resume, &next_iteration);
}

/*
 * While reading less, a connection takes one turn an iteration (feed.h): its read event and its
 * resume timer can both fire in one, and so can its read event twice when libevent runs a second
 * pass over the events in one iteration (for a deferred callback). True: this turn is skipped;
 * lines left (or, under TLS, decrypted meanwhile) wait for the resume timer, in the next one.
 */
static bool feed_turn_taken(struct feed *feed, bool less)
{
	if (!less || feed->turn_iteration != feed->server->iteration) {
		feed->turn_iteration = feed->server->iteration;
		return false;
	}
	if (feed->cut || !feed->reader)
		feed_resume_next_iteration(feed);
	return true;
}

/* A connection's turn in the iteration ends: its lines go in one commit, acknowledged once
 * durable; refused, it closes; cut short, it goes on in the next iteration. */
static void feed_turn_ends(struct feed *feed)
{
	acks_mark(&feed->acks);
	if (feed->closing)
		feed_close(feed);
	else if (feed->cut)
		feed_resume_next_iteration(feed);
}

/*
 * A plain-TCP connection is readable: read FEED_READ_CHUNK_BYTES at a time, processing each
 * chunk as it comes, until a read comes back with less than FEED_READ_SHORT_BYTES (the kernel
 * had no more then), the kernel has nothing more (EAGAIN), or FEED_READ_BUDGET_BYTES were read
 * (FEED_READ_SNAPSHOT_BUDGET_BYTES while a snapshot is, or is about to be, written in the
 * background; fairness between feeds: the event, level-triggered, comes again in the next
 * iteration for what is left or arrived since). The journal's commit runs after every read of
 * the iteration (store.h): one commit for them all. The end of the stream or an error closes
 * the connection as libevent's own read would.
 */
static void feed_on_readable(evutil_socket_t fd, short what, void *ctx)
{
	struct feed *feed = ctx;
	size_t total = 0, budget = FEED_READ_BUDGET_BYTES;
	bool less = feed_read_less(feed->server);

	(void)fd;
	(void)what;
	if (feed_turn_taken(feed, less))
		return;
	if (less)
		budget = FEED_READ_SNAPSHOT_BUDGET_BYTES;
	if (feed->cut) /* the lines a pass left come first: nothing more is read before them */
		feed_process_input(feed, less);
	while (!feed->closing && !feed->cut && total < budget) {
		size_t want = budget - total < FEED_READ_CHUNK_BYTES ? budget - total
								   : FEED_READ_CHUNK_BYTES;
		ssize_t got = feed_read_chunk(feed, want);

		if (got == 0 ||
		    (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			feed_on_event(feed->connection,
				      BEV_EVENT_READING |
					      (got == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR),
				      feed);
			return;
		}
		if (got < 0)
			break;
		total += (size_t)got;
		feed_process_input(feed, less);
		if ((size_t)got < FEED_READ_SHORT_BYTES && (size_t)got < want)
			break; /* the sender is not ahead: no read only to be told EAGAIN */
	}
	feed_turn_ends(feed);
}

/* TLS connections: libevent's filter reads and decrypts the records. */
static void feed_on_read(struct bufferevent *connection, void *ctx)
{
	struct feed *feed = ctx;
	bool less = feed_read_less(feed->server);

	(void)connection;
	if (feed_turn_taken(feed, less))
		return;
	feed_process_input(feed, less);
	feed_turn_ends(feed);
}

/* The next iteration after a pass cut short (feed.h): the lines it left, then (plain TCP) what
 * the kernel holds, as the read event would. On plain TCP, none left (the read event's turn
 * took them): nothing to do, the read event comes for what the kernel holds. */
static void feed_on_resume(evutil_socket_t fd, short what, void *ctx)
{
	struct feed *feed = ctx;

	if (feed->reader && !feed->cut)
		return;
	if (feed->reader)
		feed_on_readable(fd, what, ctx);
	else
		feed_on_read(feed->connection, ctx);
}

/* Close at a deadline or the end of the stream, after the complete lines received before it
 * that a pass cut short left (feed.h). */
static void feed_close_after_left_lines(struct feed *feed)
{
	if (feed->cut)
		feed_process_input(feed, false);
	feed_close(feed);
}

/* A deadline passed (guard.h): say which, count it and close. */
static void feed_on_expired(void *ctx, enum guard_expiry expiry)
{
	struct feed *feed = ctx;
	const struct feed_limits *limits = &feed->server->limits;

	guard_expired(feed->server->guard, GUARD_PORT_FEED, expiry);
	if (expiry == GUARD_EXPIRED_HANDSHAKE) {
		feed->server->stats.handshake_closed++;
		log_msg(LOG_NOTICE,
			"feed %s: closing: no valid line within %" PRIu32
			" s (feed.handshake_timeout_seconds)",
			feed->peer, limits->handshake_timeout_seconds);
	} else if (expiry == GUARD_EXPIRED_LINE) {
		feed->server->stats.line_timeout_closed++;
		log_msg(LOG_NOTICE,
			"feed %s: closing: a line incomplete for %" PRIu32
			" s (feed.line_timeout_seconds)",
			feed->peer, limits->line_timeout_seconds);
	} else {
		feed->server->stats.idle_closed++;
		log_msg(LOG_NOTICE,
			"feed %s: closing: no complete line for %" PRIu32
			" s (feed.idle_timeout_seconds)",
			feed->peer, limits->idle_timeout_seconds);
	}
	feed_close_after_left_lines(feed);
}

static void feed_on_event(struct bufferevent *connection, short what, void *ctx)
{
	struct feed *feed = ctx;

	(void)connection;
	if ((what & BEV_EVENT_ERROR) && !(feed->server->tls && tls_handshake_pending(connection)))
		log_msg(LOG_INFO, "feed %s: %s",
			feed->peer, /* a failed handshake was logged (tls.c) */
			tls_connection_error(connection));
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	feed_close_after_left_lines(feed);
}

/* TCP_KEEPIDLE for feed.keepalive_seconds: Linux takes at most 32767 s. */
static int keepalive_idle_seconds(uint32_t keepalive_seconds)
{
	return keepalive_seconds < FEED_KEEPALIVE_IDLE_MAX_SECONDS
		       ? (int)keepalive_seconds
		       : FEED_KEEPALIVE_IDLE_MAX_SECONDS;
}

/* TCP_KEEPINTVL: FEED_KEEPALIVE_INTERVAL_SECONDS, or the idle time if that is shorter. */
static int keepalive_interval_seconds(int idle_seconds)
{
	return idle_seconds < FEED_KEEPALIVE_INTERVAL_SECONDS ? idle_seconds
							      : FEED_KEEPALIVE_INTERVAL_SECONDS;
}

/* TCP keepalive as feed.keepalive_seconds says (see feed.h), or off. */
static void feed_set_keepalive(struct feed *feed)
{
	evutil_socket_t fd = bufferevent_getfd(feed->connection);
	uint32_t seconds = feed->server->limits.keepalive_seconds;
	const int on = seconds > 0, probes = FEED_KEEPALIVE_PROBES;
	const int idle = keepalive_idle_seconds(seconds);
	const int interval = keepalive_interval_seconds(idle);

	if ((on && (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes) < 0)) ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0)
		log_msg(LOG_WARNING, "feed %s: cannot set TCP keepalive: %s", feed->peer,
			strerror(errno));
}

/* The deadlines of feed connections, from the limits (guard.h). */
static struct guard_timeouts feed_timeouts(const struct feed_limits *limits)
{
	return (struct guard_timeouts){ .handshake_seconds = limits->handshake_timeout_seconds,
					.line_seconds = limits->line_timeout_seconds,
					.idle_seconds = limits->idle_timeout_seconds };
}

void feed_server_log_settings(const struct feed_server *server)
{
	const struct feed_limits *limits = &server->limits;
	int idle = keepalive_idle_seconds(limits->keepalive_seconds);
	char keepalive[128] = "off", timeout[32] = "off";

	if (idle > 0)
		snprintf(keepalive, sizeof keepalive,
			 "first probe after %d s idle, then every %d s, %d unanswered close it",
			 idle, keepalive_interval_seconds(idle), FEED_KEEPALIVE_PROBES);
	if (limits->idle_timeout_seconds > 0)
		snprintf(timeout, sizeof timeout, "%" PRIu32 " s", limits->idle_timeout_seconds);
	log_msg(LOG_INFO, "feed connections: TCP keepalive %s; idle timeout %s", keepalive,
		timeout);
}

struct feed_server *feed_server_new(struct event_base *base, struct engine *engine,
				    const struct feed_limits *limits)
{
	struct feed_server *server = calloc(1, sizeof *server);

	if (!server)
		return NULL;
	server->base = base;
	server->engine = engine;
	server->limits = *limits;
	server->timeouts = feed_timeouts(limits);
	server->started_ms = hostclock_wall_ms();
	limitwatch_init(&server->too_long, hostclock_monotonic_ms());
	log_limit_init(&server->mismatch_log, limits->log_interval_seconds,
		       "feed hellos refused (source_mismatch)");
	log_limit_init(&server->no_hello_log, limits->log_interval_seconds,
		       "feed events refused (no_hello)");
	LIST_INIT(&server->feeds);
	return server;
}

void feed_server_free(struct feed_server *server)
{
	if (!server)
		return;
	while (!LIST_EMPTY(&server->feeds)) {
		struct feed *feed = LIST_FIRST(&server->feeds);

		/* Unprocessed input is dropped, not counted as a partial line. */
		evbuffer_drain(bufferevent_get_input(feed->connection), (size_t)-1);
		feed_close(feed);
	}
	log_limit_flush(&server->mismatch_log);
	log_limit_flush(&server->no_hello_log);
	free(server->mapping);
	free(server->zone);
	free(server);
}

static struct feed *feed_new(struct feed_server *server, evutil_socket_t fd, const char *peer,
			     const struct config_mapping *mapping, const struct zone *zone)
{
	struct feed *feed = calloc(1, sizeof *feed);
	char label[LOG_LIMIT_LABEL_MAX];

	if (!feed)
		return NULL;
	if (mapping &&
	    !(feed->mapping = mapping_new(mapping, zone, server->limits.max_line_bytes))) {
		free(feed);
		return NULL;
	}
	if (guard_clock_init(&feed->clock, server->base, &server->timeouts, feed_on_expired, feed) <
		    0 ||
	    !(feed->resume = evtimer_new(server->base, feed_on_resume, feed)) ||
	    (!server->tls && !(feed->reader = event_new(server->base, fd, EV_READ | EV_PERSIST,
							feed_on_readable, feed))) ||
	    !(feed->connection =
		      server->tls
			      ? tls_server_accept(server->tls, server->base, fd, TLS_LISTENER_FEED)
			      : bufferevent_socket_new(server->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		if (feed->reader)
			event_free(feed->reader);
		if (feed->resume)
			event_free(feed->resume);
		guard_clock_free(&feed->clock);
		mapping_free(feed->mapping);
		free(feed);
		return NULL;
	}
	feed->server = server;
	feed->pending = true;
	feed->turn_iteration = UINT64_MAX;
	snprintf(feed->peer, sizeof feed->peer, "%s", peer);
	guard_peer_host(peer, feed->host, sizeof feed->host);
	snprintf(feed->clock_key, sizeof feed->clock_key, "#%" PRId64 ".%" PRIu64,
		 server->started_ms, server->stats.accepted + 1);
	snprintf(label, sizeof label, "feed %s: rejected lines", peer);
	log_limit_init(&feed->reject_log, server->limits.log_interval_seconds, label);
	snprintf(label, sizeof label, "feed %s: source notices", peer);
	log_limit_init(&feed->notice_log, server->limits.log_interval_seconds, label);
	bufferevent_setwatermark(feed->connection, EV_READ, 0, feed_input_max(server));
	bufferevent_setcb(feed->connection, feed_on_read, feed_on_written, feed_on_event, feed);
	feed_set_keepalive(feed);
	if (feed->reader) /* plain TCP: read by feed_on_readable, not by libevent */
		event_add(feed->reader, NULL);
	else
		bufferevent_enable(feed->connection, EV_READ);
	return feed;
}

/* Connections open from host, pending or not. */
static uint32_t feed_count_from(const struct feed_server *server, const char *host)
{
	const struct feed *feed;
	uint32_t count = 0;

	LIST_FOREACH(feed, &server->feeds, link)
		count += strcmp(feed->host, host) == 0;
	return count;
}

/* Which limit refuses a new connection from peer (GUARD_REFUSAL_COUNT: none), with why. */
static enum guard_refusal feed_admission(const struct feed_server *server, const char *peer,
					 char *why, size_t why_size)
{
	const struct feed_limits *limits = &server->limits;
	char host[LISTENER_ADDRESS_TEXT_MAX];

	guard_peer_host(peer, host, sizeof host);
	return guard_admission(
		&(struct guard_occupancy){ .established = feed_established(server),
					   .max_established = limits->max_connections,
					   .from_host = feed_count_from(server, host),
					   .max_per_address = limits->max_connections_per_address,
					   .pending = server->stats.pending,
					   .max_pending = limits->max_pending_connections,
					   .established_noun = "connections open" },
		host, why, why_size);
}

/*
 * Beyond feed.max_connections a connection is accepted and closed at once (counted, logged)
 * rather than left in the kernel's backlog by disabling the listener: the CAD sees the
 * refusal immediately (end of stream) instead of sending into a connection that nobody
 * reads, and its reconnect logic can retry; the listener never needs re-enabling.
 */
void feed_server_accept(struct feed_server *server, evutil_socket_t fd, const char *peer)
{
	feed_server_accept_records(server, fd, peer, server->mapping, server->zone);
}

void feed_server_accept_records(struct feed_server *server, evutil_socket_t fd, const char *peer,
				const struct config_mapping *mapping, const struct zone *zone)
{
	struct feed *feed;
	char why[128];
	enum guard_refusal refusal = feed_admission(server, peer, why, sizeof why);

	if (refusal != GUARD_REFUSAL_COUNT) {
		server->stats.refused++;
		guard_refused(server->guard, GUARD_PORT_FEED, refusal, peer, why);
		evutil_closesocket(fd);
		return;
	}
	feed = feed_new(server, fd, peer, mapping, zone);
	if (!feed) {
		log_msg(LOG_ERR, "feed %s refused: out of memory", peer);
		server->stats.refused++;
		evutil_closesocket(fd);
		return;
	}
	LIST_INSERT_HEAD(&server->feeds, feed, link);
	server->stats.accepted++;
	server->stats.connected++;
	server->stats.pending++;
	log_msg(LOG_INFO, "feed %s connected", peer);
}

/* At shutdown: say how much a feed sent that will not be read (the time or byte budget ran
 * out while it kept sending). */
static void feed_log_unread(const struct feed *feed, evutil_socket_t fd)
{
	int unread = 0;

	if (ioctl(fd, FIONREAD, &unread) == 0 && unread > 0)
		log_msg(LOG_WARNING, "feed %s: %d bytes left unread at shutdown", feed->peer,
			unread);
}

/* Read what the kernel already holds for this connection (bounded) and process it: the
 * reads of feed_on_readable, each at most what the input may still hold. */
static void feed_read_remaining(struct feed *feed, int64_t deadline_ms)
{
	evutil_socket_t fd = bufferevent_getfd(feed->connection);
	struct evbuffer *input = bufferevent_get_input(feed->connection);
	size_t input_max = feed_input_max(feed->server);
	size_t total = 0;

	bufferevent_disable(feed->connection, EV_READ);
	if (feed->reader)
		event_del(feed->reader);
	event_del(feed->resume);
	feed_process_input(feed, false);
	if (feed->server->tls)
		return; /* the kernel holds TLS records: only what was decrypted is read */
	while (!feed->closing && total < FEED_SHUTDOWN_READ_MAX_BYTES &&
	       hostclock_monotonic_ms() < deadline_ms) {
		ssize_t got = feed_read_chunk(feed, input_max - evbuffer_get_length(input));

		if (got <= 0)
			break; /* end of stream, nothing more yet, or an error: done either way */
		total += (size_t)got;
		feed_process_input(feed, false);
	}
	if (total > 0)
		log_msg(LOG_INFO, "feed %s: read %zu more bytes at shutdown", feed->peer, total);
	feed_log_unread(feed, fd);
}

void feed_server_close_all(struct feed_server *server)
{
	int64_t deadline_ms = hostclock_monotonic_ms() + FEED_SHUTDOWN_READ_MAX_MS;

	while (!LIST_EMPTY(&server->feeds)) {
		struct feed *feed = LIST_FIRST(&server->feeds);

		feed_read_remaining(feed, deadline_ms);
		feed_close(feed);
	}
}

void feed_server_update_limits(struct feed_server *server, const struct feed_limits *limits)
{
	struct feed *feed, *next;

	server->limits = *limits;
	server->mismatch_log.interval_seconds = limits->log_interval_seconds;
	server->no_hello_log.interval_seconds = limits->log_interval_seconds;
	server->timeouts = feed_timeouts(limits);
	for (feed = LIST_FIRST(&server->feeds); feed; feed = next) {
		next = LIST_NEXT(feed, link);
		feed->reject_log.interval_seconds = limits->log_interval_seconds;
		bufferevent_setwatermark(feed->connection, EV_READ, 0, feed_input_max(server));
		feed_set_keepalive(feed);
		guard_clock_rearm(&feed->clock);
		feed_process_or_close(feed); /* a shorter limit may apply to what is buffered */
	}
}

void feed_server_set_guard(struct feed_server *server, struct guard *guard)
{
	server->guard = guard;
}

void feed_server_line_too_long(struct feed_server *server, const char *source)
{
	limitwatch_hit(&server->too_long, hostclock_monotonic_ms());
	text_copy(server->too_long_source, source, sizeof(server->too_long_source));
}

void feed_server_tick(struct feed_server *server, int64_t now_ms, uint32_t quiet_seconds,
		      const struct limitwatch_hooks *hooks)
{
	struct control about = { .kind = CONTROL_CONNECTION_LIMIT, .key = FEED_LINE_KEY };

	text_copy(about.source, server->too_long_source, sizeof(about.source));
	if (limitwatch_tick(&server->too_long, &about, quiet_seconds, now_ms, hooks) ==
	    LIMITWATCH_RESOLVED)
		log_msg(LOG_NOTICE, "feed: no line too long for %" PRIu32 " s (%s); %" PRIu64
			" in all", quiet_seconds, FEED_LINE_KEY, server->too_long.hits);
}

void feed_server_next_iteration(struct feed_server *server)
{
	server->iteration++;
	server->iteration_reads_less = false;
	server->iteration_reads_less = feed_read_less(server);
}

bool feed_server_budget_spent(struct feed_server *server, unsigned *unchecked_lines)
{
	if (!feed_read_less(server))
		return false;
	feed_server_deadline_begin(server);
	if (++*unchecked_lines < FEED_DEADLINE_CHECK_LINES)
		return false;
	*unchecked_lines = 0;
	if (hostclock_monotonic_us() < server->deadline_us)
		return false;
	feed_server_count_cut(server);
	return true;
}

const struct feed_server_stats *feed_server_stats(const struct feed_server *server)
{
	return &server->stats;
}

/* A copy of size bytes of object, or NULL (also for a NULL object). */
static void *feed_copy(const void *object, size_t size, bool *failed)
{
	void *copy = object ? malloc(size) : NULL;

	if (copy)
		memcpy(copy, object, size);
	else if (object)
		*failed = true;
	return copy;
}

int feed_server_set_mapping(struct feed_server *server, const struct config_mapping *mapping,
			    const struct zone *zone)
{
	bool failed = false;
	struct config_mapping *mapping_copy = feed_copy(mapping, sizeof(*mapping), &failed);
	struct zone *zone_copy = feed_copy(mapping ? zone : NULL, sizeof(*zone), &failed);

	if (failed) {
		free(mapping_copy);
		free(zone_copy);
		return -ENOMEM;
	}
	free(server->mapping);
	free(server->zone);
	server->mapping = mapping_copy;
	server->zone = zone_copy;
	return 0;
}

void feed_server_set_tls(struct feed_server *server, struct tls_server *tls)
{
	server->tls = tls;
}

void feed_server_set_journal(struct feed_server *server, const struct feed_journal *journal)
{
	server->journal = *journal;
}

/* Send an ack: straight to the socket when nothing waits before it (no write event to add
 * and remove, no loop iteration for it); what the socket does not take, or an error, goes
 * through the bufferevent, which sends the rest or reports the error as it does for any. */
static int feed_send(struct feed *feed, struct evbuffer *output, const char *line, size_t len)
{
	ssize_t sent = 0;

	if (!feed->server->tls && evbuffer_get_length(output) == 0) {
		sent = send(bufferevent_getfd(feed->connection), line, len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent < 0)
			sent = 0;
		if ((size_t)sent == len)
			return 0;
	}
	return bufferevent_write(feed->connection, line + sent, len - (size_t)sent);
}

/* Send the ack waiting, unless FEED_ACK_QUEUE_MAX_BYTES of output wait before it. */
static void feed_send_waiting_ack(struct feed *feed)
{
	struct evbuffer *output = bufferevent_get_output(feed->connection);

	if (feed->ack_waiting_len == 0 || evbuffer_get_length(output) > FEED_ACK_QUEUE_MAX_BYTES)
		return;
	if (feed_send(feed, output, feed->ack_waiting, feed->ack_waiting_len) == 0)
		feed->server->stats.acks_sent++;
	feed->ack_waiting_len = 0;
}

/* The connection's output has drained (the sender reads its acks again): the ack that waited
 * for it, so that a sender that stopped sending still gets the ack of its last line. */
static void feed_on_written(struct bufferevent *connection, void *ctx)
{
	(void)connection;
	feed_send_waiting_ack(ctx);
}

void feed_server_acknowledge(struct feed_server *server, uint64_t durable_index)
{
	struct feed *feed;
	size_t len;

	LIST_FOREACH(feed, &server->feeds, link) {
		/* a later ack covers the one waiting */
		if ((len = acks_due(&feed->acks, durable_index, feed->ack_waiting)) > 0)
			feed->ack_waiting_len = len;
		feed_send_waiting_ack(feed);
	}
}
