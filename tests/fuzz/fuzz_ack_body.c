/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The body of POST /api/alerts/ID/ack (lib/control.h, control_parse_ack_body, what
 * daemon/http.c calls) on arbitrary bytes: when accepted, the control acknowledges the alert
 * of the path, and formats to a console ack line that parses back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char alert_id[] = "0123456789abcdef";
	struct control control, again;
	char why[256], line[CONTROL_LINE_MAX * 2];

	if (control_parse_ack_body((const char *)data, size, alert_id, &control, why,
				   sizeof(why)) != 0)
		return 0;
	if (control.kind != CONTROL_ACK || strcmp(control.alert_id, alert_id) != 0 ||
	    !control.by[0])
		abort(); /* an accepted body acknowledges the path's alert, by someone */
	size_t len = control_format(&control, line, sizeof(line));
	if (len == 0 || control_parse(line, len, &again, why, sizeof(why)) != 0 ||
	    again.kind != CONTROL_ACK || strcmp(again.alert_id, control.alert_id) != 0 ||
	    strcmp(again.by, control.by) != 0 || strcmp(again.note, control.note) != 0)
		abort(); /* the daemon journals it as a control line: it must read back as itself */
	return 0;
}
