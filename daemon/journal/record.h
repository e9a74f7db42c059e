/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_RECORD_H
#define CADMOND_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "event.h"

/*
 * Journal records: the framing of everything cadmond writes to its journal segments.
 *
 *   [u32 magic "CDJ1"][u32 payload length][u8 type][u64 record index][payload][u32 CRC-32C]
 *
 * little-endian (lib/codec), the CRC over every byte before it. Record indexes increase by one
 * from record to record across segments (a restart or a degraded period may skip some between
 * segments, never inside one). Payloads:
 *
 *   EVENT        [u32 n][n bytes source ("" when the feed named none)][the raw line, to the end]
 *                (written by cadmond before event time per source; still read)
 *   ALERT        [u64 alert seq][the alert's JSON line, to the end]
 *   REJECT       [u8 enum event_reject]: a line the feed rejected before the engine saw it
 *                (line_too_long), so that replay keeps the engine's counters exact
 *   EVENT_AT     [i64 host receive time, ms][u8 flags][u32 n][n bytes source key]
 *                [u32 m][m bytes epoch][the raw line, to the end]: a feed line with what the
 *                engine needs to replay it exactly (engine_origin). flags: 1 = the key is the
 *                hello's source (else a per-connection key, "#S.N"), 2 = the connection's first
 *                numbered line, 4 = the connection closed (an empty line). An empty line is a
 *                hello (a source announced itself), with flag 4 the close of a connection
 *                without a hello (its "#S.N" clock is dropped), or, with an empty key, a tick
 *                of the host clock (engine_tick).
 *   SEGMENT_END  [i64 watermark ms][u32 n][n x (u64 alert seq, u64 offset, u32 record bytes)]
 *                [u8 complete][u32 payload length]: the last record of a closed segment. It
 *                ends in its own payload length so that it can be found from the end of the
 *                file; it lists the segment's ALERT records (complete = 0 when they did not
 *                all fit) and bounds the event time of the segment (no event in it is newer).
 *   CONTROL      [i64 wall-clock ms][a control line, to the end] (lib/control.h): an ack from
 *                a console, or what the daemon saw on the wall clock (a silent feed source, a
 *                degraded journal); replayed through engine_control with that time
 *
 * The magic's last byte is the record format ('1'): a build that changes a frame or a payload
 * bumps RECORD_FORMAT, so that a segment of another format is reported as such by name
 * (record_segment_format) and left in place, never replayed wrongly nor set aside as corrupt.
 *
 * This module is pure: it encodes into a codec_writer and decodes from memory.
 */

#define RECORD_MAGIC UINT32_C(0x314a4443) /* "CDJ1" in file order */
#define RECORD_FORMAT 1u                    /* the "1" of the magic */
#define RECORD_HEADER_BYTES 17u
#define RECORD_TRAILER_BYTES 4u
#define RECORD_OVERHEAD_BYTES (RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES)
/* Largest payload: a feed line of feed.max_line_bytes (at most 16 MiB) with its source. */
#define RECORD_MAX_PAYLOAD_BYTES ((16u << 20) + 4096u)
/* Bytes of one alert in a SEGMENT_END list. */
#define RECORD_SEGMENT_END_ALERT_BYTES 20u
/* Alerts a SEGMENT_END lists at most (the payload stays under RECORD_MAX_PAYLOAD_BYTES). */
#define RECORD_SEGMENT_END_MAX_ALERTS \
	((RECORD_MAX_PAYLOAD_BYTES - 64u) / RECORD_SEGMENT_END_ALERT_BYTES)

enum record_type {
	RECORD_EVENT = 1,
	RECORD_ALERT = 2,
	RECORD_REJECT = 3,
	RECORD_SEGMENT_END = 4,
	RECORD_CONTROL = 5,
	RECORD_EVENT_AT = 6,
};

#define RECORD_EVENT_NAMED 1u
#define RECORD_EVENT_FIRST_OF_CONNECTION 2u
#define RECORD_EVENT_CLOSED 4u /* an empty line: the connection closed (engine_origin.closed) */

/* One decoded frame; payload points into the buffer it was read from. */
struct record {
	enum record_type type;
	uint64_t index;
	const unsigned char *payload;
	uint32_t payload_len;
	size_t size; /* header + payload + CRC */
};

enum record_status {
	RECORD_OK,      /* a whole, verified record */
	RECORD_END,     /* no bytes left */
	RECORD_TORN,    /* the bytes left are the start of a record cut short (a crash mid-write) */
	RECORD_CORRUPT, /* not a record: bad magic, length, type, CRC or index */
};

struct codec_writer;

/** Append an EVENT record: the line exactly as received from source ("" or NULL: none). */
void record_put_event(struct codec_writer *writer, uint64_t index, const char *source,
		      const char *line, size_t len);

struct engine_origin;

/** Append an EVENT_AT record: the line exactly as received, and where and when from. */
void record_put_event_at(struct codec_writer *writer, uint64_t index,
			 const struct engine_origin *origin, const char *line, size_t len);

/** Append an ALERT record: the alert's seq and its JSON line. */
void record_put_alert(struct codec_writer *writer, uint64_t index, uint64_t seq, const char *json,
		      size_t len);

/** Append a CONTROL record: a control line taken at ts_ms (wall clock). */
void record_put_control(struct codec_writer *writer, uint64_t index, int64_t ts_ms,
			const char *line, size_t len);

/** Append a REJECT record. */
void record_put_reject(struct codec_writer *writer, uint64_t index, enum event_reject reason);

/* One ALERT record of a segment, as a SEGMENT_END lists it. */
struct record_alert_ref {
	uint64_t seq;
	uint64_t offset;       /* of the record in its segment */
	uint32_t record_bytes; /* the whole record */
};

/**
 * Append a SEGMENT_END record listing count alerts (at most RECORD_SEGMENT_END_MAX_ALERTS are
 * listed; complete says whether all were).
 */
void record_put_segment_end(struct codec_writer *writer, uint64_t index, int64_t watermark_ms,
			    const struct record_alert_ref *alerts, size_t count);

/**
 * Decode the record at the start of data[0..len). RECORD_OK fills *out; RECORD_TORN when the
 * bytes end inside the header or the payload; RECORD_CORRUPT otherwise.
 */
enum record_status record_parse(const unsigned char *data, size_t len, struct record *out);

/** record_parse() without the CRC check, for a frame record_parse() accepted before. */
enum record_status record_parse_verified(const unsigned char *data, size_t len,
					 struct record *out);

/* Walks the records of one segment held in memory. */
struct record_scan {
	const unsigned char *data;
	size_t len;
	size_t pos;          /* of the next record */
	uint64_t last_index; /* of the last record returned; meaningful when have_last */
	bool have_last;
};

void record_scan_init(struct record_scan *scan, const void *data, size_t len);

/**
 * The next record. A bad record that runs to the end of the data (its frame reaches the end,
 * or only zero bytes follow) is RECORD_TORN; one followed by more data is RECORD_CORRUPT, as
 * is a record whose index does not follow the previous one. On anything but RECORD_OK, pos
 * stays at the bad record.
 */
enum record_status record_scan_next(struct record_scan *scan, struct record *out);

/**
 * After RECORD_CORRUPT: move pos to the next verified record whose index is above the last
 * good one (or to the end of the data). Returns the bytes skipped.
 */
size_t record_scan_resync(struct record_scan *scan);

/* An EVENT or EVENT_AT record's payload. */
struct record_event {
	char source[EVENT_ID_MAX + 2]; /* the source key */
	char epoch[EVENT_ID_MAX + 1];
	bool named;
	bool first_of_connection;
	bool closed;
	int64_t received_ms; /* ENGINE_NO_TIME in an EVENT record */
	const char *line;
	size_t len;
};

/* A SEGMENT_END record's payload; alerts are read with record_segment_end_alert(). */
struct record_segment_end {
	int64_t watermark_ms;
	uint32_t alert_count;
	bool complete;
	const unsigned char *alerts;
};

/** Decoders: 0, or -EINVAL when the payload does not fit the type (record_decode_event reads
 * EVENT and EVENT_AT records). */
int record_decode_event(const struct record *record, struct record_event *out);
/** The engine's view of a decoded line's origin (pointing into event). */
void record_event_origin(const struct record_event *event, struct engine_origin *origin);
int record_decode_alert(const struct record *record, uint64_t *seq, const char **json,
			size_t *len);
int record_decode_reject(const struct record *record, enum event_reject *reason);
int record_decode_control(const struct record *record, int64_t *ts_ms, const char **line,
			  size_t *len);
int record_decode_segment_end(const struct record *record, struct record_segment_end *out);
void record_segment_end_alert(const struct record_segment_end *end, uint32_t i,
			      struct record_alert_ref *out);

/**
 * Where the SEGMENT_END record of a closed segment of file_size bytes starts, from the last 8
 * bytes of the file (tail): its payload length and CRC. 0 on success, -EINVAL if the tail
 * cannot end a SEGMENT_END.
 */
int record_segment_end_offset(const unsigned char tail[8], uint64_t file_size, uint64_t *offset);

/**
 * The record format of a segment, from its first bytes: RECORD_FORMAT for this build's, the
 * format another build's magic ("CDJ2": 2) names, 0 when the bytes are not a record's start
 * (empty, torn or damaged: record_scan_next tells which).
 */
uint32_t record_segment_format(const unsigned char *data, size_t len);

/** Name of a record type, for logs. */
const char *record_type_name(enum record_type type);

#endif
