/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_screen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fdio.h"
#include "watch_text.h"

#define SCREEN_DEFAULT_ROWS 24
#define SCREEN_DEFAULT_COLS 80
#define SCREEN_MAX_ROWS 500
#define SCREEN_MAX_COLS 500
#define SCREEN_ENTER "\033[?1049h\033[?25l" /* alternate screen, cursor hidden */
#define SCREEN_LEAVE "\033[?25h\033[?1049l"
#define SCREEN_HOME "\033[H"
#define SCREEN_CLEAR_LINE "\033[K"

/* Rows a layout collects, each already cut to the width. */
struct screen_rows {
	watch_board_row_fn *emit;
	void *context;
	size_t cols;
	size_t emitted;
	size_t limit;
};

static void emit_fitted(void *context, const char *row)
{
	struct screen_rows *rows = context;
	char fitted[WATCH_ROW_BYTES];

	if (rows->emitted >= rows->limit)
		return;
	watch_text_fit(row, rows->cols, fitted, sizeof(fitted));
	rows->emit(rows->context, fitted);
	rows->emitted++;
}

/* "-- newest notices -----...", as wide as the screen. */
static void separator_row(size_t cols, char row[WATCH_ROW_BYTES])
{
	size_t len = (size_t)snprintf(row, WATCH_ROW_BYTES, "-- newest notices ");

	while (len < cols && len + 1 < WATCH_ROW_BYTES)
		row[len++] = '-';
	row[len] = '\0';
}

void watch_screen_compose(const struct watch_board *board, const char *header,
			  const char *prompt, size_t rows, size_t cols, watch_board_row_fn *emit,
			  void *context)
{
	struct screen_rows out = { .emit = emit, .context = context, .cols = cols, .limit = rows };
	char row[WATCH_ROW_BYTES];
	size_t fixed = 3; /* header, separator, prompt */
	size_t room = rows > fixed ? rows - fixed : 0;
	size_t notice_room = room > WATCH_SCREEN_MIN_NOTICE_ROWS * 2 ? WATCH_SCREEN_MIN_NOTICE_ROWS
								   : room / 2;

	emit_fitted(&out, header);
	size_t board_rows = watch_board_render(board, room - notice_room, emit_fitted, &out);
	if (board_rows == 0 && room > notice_room) {
		emit_fitted(&out, "   no open alerts");
		board_rows = 1;
	}
	separator_row(cols, row);
	emit_fitted(&out, row);
	watch_board_render_notices(board, room - board_rows, emit_fitted, &out);
	while (out.emitted + 1 < rows)
		emit_fitted(&out, "");
	emit_fitted(&out, prompt);
}

/* ---- the terminal ------------------------------------------------------------------------ */

/* A terminal gone: nothing to do about it here (the input's end stops the console). */
static void write_all(int fd, const char *text, size_t len)
{
	(void)fdio_write_all(fd, text, len);
}

int watch_screen_open(struct watch_screen *screen, int fd)
{
	memset(screen, 0, sizeof(*screen));
	screen->fd = fd;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &screen->saved) == 0) {
		struct termios raw = screen->saved;
		raw.c_lflag &= (tcflag_t)~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		screen->keyboard = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	watch_screen_resize(screen);
	write_all(fd, SCREEN_ENTER, strlen(SCREEN_ENTER));
	return 0;
}

void watch_screen_close(struct watch_screen *screen)
{
	write_all(screen->fd, SCREEN_LEAVE, strlen(SCREEN_LEAVE));
	if (screen->keyboard)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen->saved);
	screen->keyboard = false;
}

void watch_screen_resize(struct watch_screen *screen)
{
	struct winsize size;

	screen->rows = SCREEN_DEFAULT_ROWS;
	screen->cols = SCREEN_DEFAULT_COLS;
	if (ioctl(screen->fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
		screen->rows = size.ws_row < SCREEN_MAX_ROWS ? size.ws_row : SCREEN_MAX_ROWS;
		screen->cols = size.ws_col < SCREEN_MAX_COLS ? size.ws_col : SCREEN_MAX_COLS;
	}
}

/* The frame being drawn: every row, then one write. */
struct screen_frame {
	char *text;
	size_t len;
	size_t size;
	size_t rows;
};

static void frame_row(void *context, const char *row)
{
	struct screen_frame *frame = context;
	size_t len = strlen(row);

	if (frame->len + len + 8 > frame->size)
		return;
	if (frame->rows++ > 0) {
		memcpy(frame->text + frame->len, "\r\n", 2);
		frame->len += 2;
	}
	memcpy(frame->text + frame->len, row, len);
	frame->len += len;
	memcpy(frame->text + frame->len, SCREEN_CLEAR_LINE, strlen(SCREEN_CLEAR_LINE));
	frame->len += strlen(SCREEN_CLEAR_LINE);
}

void watch_screen_draw(struct watch_screen *screen, const struct watch_board *board,
		       const char *header, const char *prompt)
{
	struct screen_frame frame = { .size = (size_t)screen->rows * (WATCH_ROW_BYTES + 8) + 16 };

	if (!(frame.text = malloc(frame.size)))
		return;
	memcpy(frame.text, SCREEN_HOME, strlen(SCREEN_HOME));
	frame.len = strlen(SCREEN_HOME);
	watch_screen_compose(board, header, prompt, (size_t)screen->rows, (size_t)screen->cols,
			     frame_row, &frame);
	write_all(screen->fd, frame.text, frame.len);
	free(frame.text);
}

void watch_screen_bell(struct watch_screen *screen)
{
	write_all(screen->fd, "\a", 1);
}
