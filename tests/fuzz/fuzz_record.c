/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Journal segments on arbitrary bytes: scan every record as recovery does (resynchronising
 * after a corrupt one) and decode each payload by its type. The CRC of a record is not
 * recomputed here: the seeds are real records, and the fuzzer mutates around them.
 */
#include <stdint.h>

#include "record.h"
#include "fuzz_common.h"

static void decode(const struct record *record)
{
	struct record_event event;
	struct record_segment_end end;
	struct record_alert_ref ref;
	enum event_reject reason;
	const char *json;
	size_t len;
	uint64_t seq;
	int64_t ts_ms;

	switch (record->type) {
	case RECORD_EVENT:
		record_decode_event(record, &event);
		break;
	case RECORD_ALERT:
		record_decode_alert(record, &seq, &json, &len);
		break;
	case RECORD_REJECT:
		record_decode_reject(record, &reason);
		break;
	case RECORD_SEGMENT_END:
		if (record_decode_segment_end(record, &end) == 0)
			for (uint32_t i = 0; i < end.alert_count; i++)
				record_segment_end_alert(&end, i, &ref);
		break;
	case RECORD_CONTROL:
		record_decode_control(record, &ts_ms, &json, &len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_scan scan;
	struct record record;
	uint64_t offset;

	record_scan_init(&scan, data, size);
	for (int guard = 0; guard < 100000; guard++) {
		enum record_status status = record_scan_next(&scan, &record);
		if (status == RECORD_OK) {
			decode(&record);
			continue;
		}
		if (status != RECORD_CORRUPT || record_scan_resync(&scan) == 0)
			break;
	}
	if (size >= 8)
		record_segment_end_offset(data + size - 8, size, &offset);
	return 0;
}
