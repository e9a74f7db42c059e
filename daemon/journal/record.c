/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "record.h"

#include <errno.h>
#include <string.h>

#include "codec.h"

/* Little-endian field readers for frames in memory. */
static uint32_t load_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const unsigned char *p)
{
	return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

static void store_u32(unsigned char *p, uint32_t value)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(value >> (8 * i));
}

static void store_u64(unsigned char *p, uint64_t value)
{
	store_u32(p, (uint32_t)value);
	store_u32(p + 4, (uint32_t)(value >> 32));
}

/* Where a frame's header holds its fields (the magic at 0): store_header writes them,
 * parse_frame reads them back. */
#define HEADER_LENGTH_AT 4u
#define HEADER_TYPE_AT   8u
#define HEADER_INDEX_AT  9u

/* A frame's header, its payload length 0 (record_finish fills it in). */
static void store_header(unsigned char header[RECORD_HEADER_BYTES], enum record_type type,
			 uint64_t index)
{
	store_u32(header, RECORD_MAGIC);
	store_u32(header + HEADER_LENGTH_AT, 0);
	header[HEADER_TYPE_AT] = (uint8_t)type;
	store_u64(header + HEADER_INDEX_AT, index);
}

/* Start a frame: header with the payload length left to record_finish(). Returns its offset. */
static size_t record_begin(struct codec_writer *writer, enum record_type type, uint64_t index)
{
	unsigned char header[RECORD_HEADER_BYTES];
	size_t start = writer->len;

	store_header(header, type, index);
	codec_put_bytes(writer, header, sizeof header);
	return start;
}

/* Fill in the payload length and append the CRC of the frame started at start. */
static void record_finish(struct codec_writer *writer, size_t start)
{
	if (writer->failed)
		return;
	store_u32(writer->data + start + HEADER_LENGTH_AT,
		  (uint32_t)(writer->len - start - RECORD_HEADER_BYTES));
	codec_put_u32(writer, codec_crc32c(0, writer->data + start, writer->len - start));
}

void record_put_event(struct codec_writer *writer, uint64_t index, const char *source,
		      const char *line, size_t len)
{
	size_t start = record_begin(writer, RECORD_EVENT, index);

	codec_put_string(writer, source ? source : "");
	codec_put_bytes(writer, line, len);
	record_finish(writer, start);
}

/* A string as codec_put_string writes it (u32 length, bytes) at p: the bytes after it. */
/* An EVENT_AT record's flags byte for origin. */
static uint8_t record_event_flags(const struct engine_origin *origin)
{
	return (uint8_t)((origin->named ? RECORD_EVENT_NAMED : 0) |
			 (origin->first_of_connection ? RECORD_EVENT_FIRST_OF_CONNECTION : 0) |
			 (origin->closed ? RECORD_EVENT_CLOSED : 0));
}

static unsigned char *store_string(unsigned char *p, const char *text, size_t len)
{
	store_u32(p, (uint32_t)len);
	memcpy(p + 4, text, len);
	return p + 4 + len;
}

/* Bytes before the line in an EVENT_AT frame whose source and epoch are short: header,
 * received_ms, flags, and the two strings with their lengths. */
#define EVENT_AT_STRING_MAX 128u
#define EVENT_AT_HEAD_MAX   (RECORD_HEADER_BYTES + 8 + 1 + 2 * (4 + EVENT_AT_STRING_MAX))

void record_put_event_at(struct codec_writer *writer, uint64_t index,
			 const struct engine_origin *origin, const char *line, size_t len)
{
	const char *source = origin->source ? origin->source : "";
	const char *epoch = origin->epoch ? origin->epoch : "";
	size_t source_len = strlen(source), epoch_len = strlen(epoch);
	unsigned char head[EVENT_AT_HEAD_MAX], *p = head;
	size_t start;

	/* The same bytes as the field-by-field path below, given to the writer in two pieces
	 * (the ingest path writes one such frame per line). */
	if (source_len <= EVENT_AT_STRING_MAX && epoch_len <= EVENT_AT_STRING_MAX &&
	    !writer->sink) {
		start = writer->len;
		store_header(p, RECORD_EVENT_AT, index);
		store_u64(p + RECORD_HEADER_BYTES, (uint64_t)origin->received_ms);
		p += RECORD_HEADER_BYTES + 8;
		*p++ = record_event_flags(origin);
		p = store_string(p, source, source_len);
		p = store_string(p, epoch, epoch_len);
		codec_put_bytes(writer, head, (size_t)(p - head));
		codec_put_bytes(writer, line, len);
		record_finish(writer, start);
		return;
	}
	start = record_begin(writer, RECORD_EVENT_AT, index);

	codec_put_i64(writer, origin->received_ms);
	codec_put_u8(writer, record_event_flags(origin));
	codec_put_string(writer, origin->source ? origin->source : "");
	codec_put_string(writer, origin->epoch ? origin->epoch : "");
	codec_put_bytes(writer, line, len);
	record_finish(writer, start);
}

void record_put_alert(struct codec_writer *writer, uint64_t index, uint64_t seq, const char *json,
		      size_t len)
{
	size_t start = record_begin(writer, RECORD_ALERT, index);

	codec_put_u64(writer, seq);
	codec_put_bytes(writer, json, len);
	record_finish(writer, start);
}

void record_put_control(struct codec_writer *writer, uint64_t index, int64_t ts_ms,
			const char *line, size_t len)
{
	size_t start = record_begin(writer, RECORD_CONTROL, index);

	codec_put_i64(writer, ts_ms);
	codec_put_bytes(writer, line, len);
	record_finish(writer, start);
}

void record_put_reject(struct codec_writer *writer, uint64_t index, enum event_reject reason)
{
	size_t start = record_begin(writer, RECORD_REJECT, index);

	codec_put_u8(writer, (uint8_t)reason);
	record_finish(writer, start);
}

void record_put_segment_end(struct codec_writer *writer, uint64_t index, int64_t watermark_ms,
			    const struct record_alert_ref *alerts, size_t count)
{
	size_t start = record_begin(writer, RECORD_SEGMENT_END, index);
	size_t listed =
		count < RECORD_SEGMENT_END_MAX_ALERTS ? count : RECORD_SEGMENT_END_MAX_ALERTS;

	codec_put_i64(writer, watermark_ms);
	codec_put_u32(writer, (uint32_t)listed);
	for (size_t i = 0; i < listed; i++) {
		codec_put_u64(writer, alerts[i].seq);
		codec_put_u64(writer, alerts[i].offset);
		codec_put_u32(writer, alerts[i].record_bytes);
	}
	codec_put_u8(writer, listed == count);
	/* The payload's own length, last: the frame can be found from the end of the file. */
	codec_put_u32(writer, (uint32_t)(writer->len - start - RECORD_HEADER_BYTES + 4));
	record_finish(writer, start);
}

uint32_t record_segment_format(const unsigned char *data, size_t len)
{
	if (len < 4 || memcmp(data, "CDJ", 3) != 0 || data[3] == 0)
		return 0;
	return data[3] >= '0' && data[3] <= '9' ? (uint32_t)(data[3] - '0') : data[3];
}

static bool record_type_known(unsigned type)
{
	return type >= RECORD_EVENT && type <= RECORD_EVENT_AT;
}

/* Decode a frame; its CRC is checked unless verify is false (a frame checked before). */
static enum record_status parse_frame(const unsigned char *data, size_t len, bool verify,
				      struct record *out)
{
	uint32_t payload_len;
	size_t size;

	if (len == 0)
		return RECORD_END;
	if (len < 4 || load_u32(data) != RECORD_MAGIC)
		return len < 4 && memcmp(data, "CDJ1", len) == 0 ? RECORD_TORN : RECORD_CORRUPT;
	if (len < RECORD_HEADER_BYTES)
		return RECORD_TORN;
	payload_len = load_u32(data + HEADER_LENGTH_AT);
	if (payload_len > RECORD_MAX_PAYLOAD_BYTES || !record_type_known(data[HEADER_TYPE_AT]))
		return RECORD_CORRUPT;
	size = RECORD_OVERHEAD_BYTES + (size_t)payload_len;
	if (size > len)
		return RECORD_TORN;
	if (verify && codec_crc32c(0, data, size - RECORD_TRAILER_BYTES) !=
			      load_u32(data + size - RECORD_TRAILER_BYTES))
		return RECORD_CORRUPT;
	out->type = (enum record_type)data[HEADER_TYPE_AT];
	out->index = load_u64(data + HEADER_INDEX_AT);
	out->payload = data + RECORD_HEADER_BYTES;
	out->payload_len = payload_len;
	out->size = size;
	return RECORD_OK;
}

enum record_status record_parse(const unsigned char *data, size_t len, struct record *out)
{
	return parse_frame(data, len, true, out);
}

enum record_status record_parse_verified(const unsigned char *data, size_t len,
					 struct record *out)
{
	return parse_frame(data, len, false, out);
}

void record_scan_init(struct record_scan *scan, const void *data, size_t len)
{
	memset(scan, 0, sizeof *scan);
	scan->data = data;
	scan->len = len;
}

static bool all_zero(const unsigned char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] != 0)
			return false;
	return true;
}

/* A bad frame is torn when nothing but it (or zeros, as a file system may leave after a
 * crash) follows: its declared end, or the end of its header, reaches the end of the data. */
static bool bad_frame_reaches_end(const unsigned char *data, size_t len)
{
	if (all_zero(data, len))
		return true;
	if (len < RECORD_HEADER_BYTES || load_u32(data) != RECORD_MAGIC)
		return false;
	return RECORD_OVERHEAD_BYTES + (uint64_t)load_u32(data + HEADER_LENGTH_AT) >= len;
}

size_t record_scan_resync(struct record_scan *scan)
{
	size_t from = scan->pos;

	for (size_t pos = from + 1; pos + RECORD_OVERHEAD_BYTES <= scan->len; pos++) {
		struct record candidate;

		if (scan->data[pos] != 'C' ||
		    record_parse(scan->data + pos, scan->len - pos, &candidate) != RECORD_OK)
			continue;
		if (scan->have_last && candidate.index <= scan->last_index)
			continue;
		scan->pos = pos;
		if (scan->have_last)
			scan->last_index = candidate.index - 1; /* the gap is accepted once */
		return pos - from;
	}
	scan->pos = scan->len;
	return scan->len - from;
}

/* True when a verified record with a later index follows pos: what looked torn is then a
 * damaged frame (say, a flipped length) in the middle of good data. */
static bool good_record_follows(const struct record_scan *scan)
{
	struct record_scan probe = *scan;

	record_scan_resync(&probe);
	return probe.pos < probe.len;
}

enum record_status record_scan_next(struct record_scan *scan, struct record *out)
{
	const unsigned char *at = scan->data + scan->pos;
	size_t left = scan->len - scan->pos;
	enum record_status status = parse_frame(at, left, true, out);

	if (status == RECORD_CORRUPT && bad_frame_reaches_end(at, left))
		status = RECORD_TORN;
	if (status == RECORD_TORN && !all_zero(at, left) && good_record_follows(scan))
		status = RECORD_CORRUPT;
	if (status == RECORD_OK && scan->have_last && out->index != scan->last_index + 1)
		status = RECORD_CORRUPT;
	if (status != RECORD_OK)
		return status;
	scan->pos += out->size;
	scan->last_index = out->index;
	scan->have_last = true;
	return RECORD_OK;
}

/* A length-prefixed string of at most max bytes at p (before end) into out (max + 1 long):
 * the bytes after it, or NULL when it does not fit or holds a NUL. */
static const unsigned char *decode_text(const unsigned char *p, const unsigned char *end,
					char *out, size_t max)
{
	uint32_t len;

	if (end - p < 4)
		return NULL;
	len = load_u32(p);
	p += 4;
	if (len > max || len > (size_t)(end - p))
		return NULL;
	/* A few bytes (a source key, an epoch): a loop beats memchr and memcpy's calls. */
	for (uint32_t i = 0; i < len; i++)
		if ((out[i] = (char)p[i]) == '\0')
			return NULL;
	out[len] = '\0';
	return p + len;
}

/* Read in place, once per replayed line: loads from the payload, the two short strings copied
 * (the engine takes them NUL-terminated), the line pointing into the payload. */
int record_decode_event(const struct record *record, struct record_event *out)
{
	const unsigned char *p = record->payload, *end = p + record->payload_len;
	bool at = record->type == RECORD_EVENT_AT;
	uint8_t flags = 0;

	if (record->type != RECORD_EVENT && !at)
		return -EINVAL;
	out->received_ms = ENGINE_NO_TIME;
	out->epoch[0] = '\0';
	if (at) {
		if (end - p < 9)
			return -EINVAL;
		out->received_ms = (int64_t)load_u64(p);
		flags = p[8];
		p += 9;
	}
	if (!(p = decode_text(p, end, out->source, at ? EVENT_ID_MAX + 1 : EVENT_ID_MAX)) ||
	    (at && !(p = decode_text(p, end, out->epoch, EVENT_ID_MAX))))
		return -EINVAL;
	out->named = at ? (flags & RECORD_EVENT_NAMED) != 0 : out->source[0] != '\0';
	out->first_of_connection = (flags & RECORD_EVENT_FIRST_OF_CONNECTION) != 0;
	out->closed = (flags & RECORD_EVENT_CLOSED) != 0;
	out->line = (const char *)p;
	out->len = (size_t)(end - p);
	return 0;
}

/* The engine's view of a decoded line's origin (pointing into event). */
void record_event_origin(const struct record_event *event, struct engine_origin *origin)
{
	*origin = (struct engine_origin){.source = event->source,
					 .named = event->named,
					 .epoch = event->epoch,
					 .first_of_connection = event->first_of_connection,
					 .closed = event->closed,
					 .received_ms = event->received_ms};
}

int record_decode_alert(const struct record *record, uint64_t *seq, const char **json,
			size_t *len)
{
	if (record->type != RECORD_ALERT || record->payload_len < 8)
		return -EINVAL;
	*seq = load_u64(record->payload);
	*json = (const char *)record->payload + 8;
	*len = record->payload_len - 8;
	return 0;
}

int record_decode_reject(const struct record *record, enum event_reject *reason)
{
	if (record->type != RECORD_REJECT || record->payload_len != 1 ||
	    record->payload[0] == EVENT_OK || record->payload[0] >= EVENT_REJECT_COUNT)
		return -EINVAL;
	*reason = (enum event_reject)record->payload[0];
	return 0;
}

int record_decode_control(const struct record *record, int64_t *ts_ms, const char **line,
			  size_t *len)
{
	if (record->type != RECORD_CONTROL || record->payload_len < 8)
		return -EINVAL;
	*ts_ms = (int64_t)load_u64(record->payload);
	*line = (const char *)record->payload + 8;
	*len = record->payload_len - 8;
	return 0;
}

int record_decode_segment_end(const struct record *record, struct record_segment_end *out)
{
	const unsigned char *p = record->payload;
	uint32_t count;

	if (record->type != RECORD_SEGMENT_END || record->payload_len < 17)
		return -EINVAL;
	count = load_u32(p + 8);
	if ((uint64_t)count * RECORD_SEGMENT_END_ALERT_BYTES + 17 != record->payload_len ||
	    load_u32(p + record->payload_len - 4) != record->payload_len)
		return -EINVAL;
	out->watermark_ms = (int64_t)load_u64(p);
	out->alert_count = count;
	out->alerts = p + 12;
	out->complete = p[12 + (size_t)count * RECORD_SEGMENT_END_ALERT_BYTES] != 0;
	return 0;
}

void record_segment_end_alert(const struct record_segment_end *end, uint32_t i,
			      struct record_alert_ref *out)
{
	const unsigned char *p = end->alerts + (size_t)i * RECORD_SEGMENT_END_ALERT_BYTES;

	out->seq = load_u64(p);
	out->offset = load_u64(p + 8);
	out->record_bytes = load_u32(p + 16);
}

int record_segment_end_offset(const unsigned char tail[8], uint64_t file_size, uint64_t *offset)
{
	uint64_t size = RECORD_OVERHEAD_BYTES + (uint64_t)load_u32(tail);

	if (load_u32(tail) > RECORD_MAX_PAYLOAD_BYTES || size > file_size)
		return -EINVAL;
	*offset = file_size - size;
	return 0;
}

const char *record_type_name(enum record_type type)
{
	switch (type) {
	case RECORD_EVENT:
		return "event";
	case RECORD_ALERT:
		return "alert";
	case RECORD_REJECT:
		return "reject";
	case RECORD_SEGMENT_END:
		return "segment end";
	case RECORD_CONTROL:
		return "control";
	case RECORD_EVENT_AT:
		return "event";
	}
	return "unknown";
}
