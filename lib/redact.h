/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_REDACT_H
#define CADMON_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Caller numbers hidden from who should not see them (auth.redact_ani, receivers[].redact_ani):
 * every "ani" member of a JSON line — the callbacks of alert notices and of the board's open
 * lines, wherever they nest — rewritten, every other byte of the line kept as it is (numbers
 * keep their formatting). The journal and the engine keep the full numbers.
 *
 *   none   unchanged
 *   last4  every digit but the last 4 replaced by '*': "+15045550101" -> "+*******0101"
 *          (non-digits such as a leading '+', spaces or dashes are kept)
 *   all    "***"
 */

enum redact_mode {
	REDACT_NONE = 0,
	REDACT_LAST4,
	REDACT_ALL,
	REDACT_MODE_COUNT,
};

/* Bytes a redacted copy of a len-byte line may need, NUL included: "all" turns the shortest
 * member, "ani":"" (8 bytes), into "ani":"***". */
#define REDACT_OUT_MAX(len) ((len) + 3 * ((len) / 8) + 1)

/** The configuration name of a mode: "none", "last4", "all". */
const char *redact_mode_name(enum redact_mode mode);

/** The mode named text[0..len); false when it names none. */
bool redact_mode_parse(const char *text, size_t len, enum redact_mode *mode);

/**
 * Copy line[0..len) into out (out_size bytes, NUL-terminated) with every "ani" string value
 * rewritten to mode. Returns the length of the redacted line; when it is out_size or more,
 * out holds only its beginning (as snprintf). out_size = REDACT_OUT_MAX(len) always fits. A
 * line that is not JSON is copied with what looks like "ani" members rewritten all the same.
 */
size_t redact_line(enum redact_mode mode, const char *line, size_t len, char *out, size_t out_size);

#endif
