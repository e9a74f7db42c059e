/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_SCREEN_H
#define CADMON_TOOLS_WATCH_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "watch_board.h"

/*
 * watch_screen: cadmon-watch on a terminal. The whole screen is redrawn from the board:
 * a header row (connections), the open alerts pinned below it, the newest notices, and the
 * prompt row at the bottom, each row cut to the terminal's width (TIOCGWINSZ, again after
 * SIGWINCH). The alternate screen is used and the terminal restored on close. Keys are read
 * one at a time (no echo, no line editing) when stdin is a terminal.
 */

#define WATCH_SCREEN_MIN_NOTICE_ROWS 5 /* notice rows kept free below the board when possible */

struct watch_screen {
	int fd;        /* the terminal written to (stdout) */
	int rows;
	int cols;
	bool keyboard; /* stdin is a terminal in non-canonical mode */
	struct termios saved;
};

/** Take over the terminal on fd (stdout): alternate screen, keys one at a time. 0 or -1. */
int watch_screen_open(struct watch_screen *screen, int fd);

/** Give the terminal back as it was. */
void watch_screen_close(struct watch_screen *screen);

/** Read the terminal's size again (after SIGWINCH). */
void watch_screen_resize(struct watch_screen *screen);

/**
 * Lay the screen out in rows x cols: header, the pinned board, a separator, the newest
 * notices, and the prompt on the last row; each row cut to cols. Emits exactly rows rows
 * (empty ones as ""). Pure: what watch_screen_draw shows.
 */
void watch_screen_compose(const struct watch_board *board, const char *header,
			  const char *prompt, size_t rows, size_t cols, watch_board_row_fn *emit,
			  void *context);

/** Redraw the whole screen. */
void watch_screen_draw(struct watch_screen *screen, const struct watch_board *board,
		       const char *header, const char *prompt);

/** Ring the terminal's bell. */
void watch_screen_bell(struct watch_screen *screen);

#endif
