/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * Control lines (lib/control.h: a console's ack, the daemon's system lines) on arbitrary
 * bytes: parsed, and when accepted formatted back and parsed again to the same control.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control control, again;
	char why[256], line[CONTROL_LINE_MAX * 2];

	if (control_parse((const char *)data, size, &control, why, sizeof(why)) != 0)
		return 0;
	size_t len = control_format(&control, line, sizeof(line));
	if (len == 0)
		return 0;
	if (control_parse(line, len, &again, why, sizeof(why)) != 0 || again.kind != control.kind ||
	    strcmp(again.alert_id, control.alert_id) != 0 || strcmp(again.by, control.by) != 0 ||
	    strcmp(again.note, control.note) != 0 || strcmp(again.source, control.source) != 0 ||
	    strcmp(again.reason, control.reason) != 0 || again.firing != control.firing)
		abort(); /* a control the daemon journals must read back as itself */
	return 0;
}
