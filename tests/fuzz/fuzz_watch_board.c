/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* cadmon-watch's board model on arbitrary alert-port lines: lines split at '\n', a leading
 * '0'-'7' picks the cadmond instance; after them the board, the notices and a small screen
 * are rendered. Errors, never a crash; every row within its buffer. */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "watch_board.h"
#include "watch_screen.h"

static void check_row(void *context, const char *row)
{
	(void)context;
	if (strlen(row) >= WATCH_ROW_BYTES)
		__builtin_trap();
}

/* Apply one line (its first byte may name the instance). */
static void apply_line(struct watch_board *board, json_tokener *tokener, const char *line,
		       size_t len)
{
	unsigned instance = 0;
	struct watch_board_outcome outcome;

	if (len > 0 && line[0] >= '0' && line[0] <= '7') {
		instance = (unsigned)(line[0] - '0');
		line++;
		len--;
	}
	json_tokener_reset(tokener);
	json_object *object = json_tokener_parse_ex(tokener, line, (int)len);
	if (!object)
		return;
	watch_board_apply(board, instance, object, &outcome);
	check_row(NULL, outcome.row);
	json_object_put(object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_board *board = watch_board_new(size % 2 == 0);
	json_tokener *tokener = json_tokener_new();
	const char *text = (const char *)data, *end = text + size;

	if (!board || !tokener) {
		watch_board_free(board);
		json_tokener_free(tokener);
		return 0;
	}
	while (text < end) {
		const char *newline = memchr(text, '\n', (size_t)(end - text));
		size_t len = newline ? (size_t)(newline - text) : (size_t)(end - text);
		apply_line(board, tokener, text, len);
		text += len + 1;
	}
	watch_board_render(board, 40, check_row, NULL);
	watch_board_render_notices(board, 10, check_row, NULL);
	watch_screen_compose(board, "header", "prompt", 12, 40, check_row, NULL);
	for (size_t number = 0; number <= watch_board_open_count(board) + 1; number++)
		watch_board_alert_id(board, number);
	watch_board_free(board);
	json_tokener_free(tokener);
	return 0;
}
