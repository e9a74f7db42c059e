/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "shift_fixture.h"

/* op-7 hangs up on c1, c2 and c4 (c3 was short too, but got an incident); op-8 takes one
 * real call, h1, in between. The alert fires on the last line, c4's end. */
const char *const shift_lines[] = {
	"{\"type\":\"call_start\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550101\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"c1\",\"ts\":\"2026-11-29T08:00:05Z\",\"released_by\":"
	"\"operator\"}\n",
	"{\"type\":\"call_start\",\"call_id\":\"h1\",\"ts\":\"2026-11-29T08:00:30Z\",\"operator\":"
	"\"op-8\","
	"\"agency\":\"NOPD\",\"position\":\"P4\",\"ani\":\"5045550199\"}\n",
	"{\"type\":\"call_start\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:12.5Z\",\"released_"
	"by\":\"operator\"}\r\n",
	"{\"type\":\"call_start\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:00Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550103\"}\n",
	"{\"type\":\"incident\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:04Z\",\"incident_id\":"
	"\"I-1\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"c3\",\"ts\":\"2026-11-29T08:02:08Z\",\"released_by\":"
	"\"operator\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"h1\",\"ts\":\"2026-11-29T08:03:30Z\",\"released_by\":"
	"\"caller\"}\n",
	"{\"type\":\"call_start\",\"call_id\":\"c4\",\"ts\":\"2026-11-29T08:04:20Z\",\"operator\":"
	"\"op-7\","
	"\"agency\":\"NOPD\",\"position\":\"P3\",\"ani\":\"5045550104\"}\n",
	"{\"type\":\"call_end\",\"call_id\":\"c4\",\"ts\":\"2026-11-29T08:04:30Z\",\"released_by\":"
	"\"operator\"}\n",
};
const size_t shift_line_count = sizeof shift_lines / sizeof shift_lines[0];

const char shift_detector_yaml[] =
	"detector:\n"
	"  premature:\n"
	"    max_talk_seconds: 20\n"
	"  rules: [{name: burst, window_seconds: 600, min_calls: 4, min_premature: 3, "
	"min_ratio: 0.5, severity: critical}]\n"
	"log:\n"
	"  rate_limit_seconds: 60\n";

/* alert_id: FNV-1a of "NOPD\x1fop-7\x1fburst\x1f1795939470000\x1fc4"; the rest of the center
 * (op-8: one real call) has ratio 0, so the p-value uses the floor 0.05:
 * P(X >= 3 | 4, 0.05) = 0.00048125. */
const char shift_alert[] = "{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,"
			   "\"ts\":\"2026-11-29T08:04:30.000Z\","
			   "\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\","
			   "\"position\":\"P3\",\"rule\":\"burst\",\"severity\":\"critical\","
			   "\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_back\":0,"
			   "\"ratio\":0.75,\"center_ratio\":0,"
			   "\"p_value\":4.81e-04,\"callbacks\":["
			   "{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:"
			   "20.000Z\",\"talk_seconds\":10,"
			   "\"called_back\":false},"
			   "{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_"
			   "seconds\":12.5,\"called_back\":false},"
			   "{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:"
			   "00.000Z\",\"talk_seconds\":5,"
			   "\"called_back\":false}]}";
