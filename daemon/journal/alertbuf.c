/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "alertbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* --- the pending FIFO ----------------------------------------------------------------------- */

/* Room for one more alert at the end: the live ones moved to the front first, then the array
 * grown if they fill it. */
static int pending_reserve(struct alertbuf_pending *pending)
{
	if (pending->head > 0) {
		memmove(pending->alerts, pending->alerts + pending->head,
			pending->count * sizeof *pending->alerts);
		pending->head = 0;
	}
	return array_reserve((void **)&pending->alerts, &pending->capacity, pending->count,
			     sizeof *pending->alerts, ALERTBUF_INITIAL_CAPACITY);
}

int alertbuf_pending_push(struct alertbuf_pending *pending,
			  const struct alertbuf_pending_alert *alert)
{
	if (pending->head + pending->count == pending->capacity && pending_reserve(pending) < 0)
		return -ENOMEM;
	pending->alerts[pending->head + pending->count++] = *alert;
	return 0;
}

struct alertbuf_pending_alert *alertbuf_pending_first(struct alertbuf_pending *pending)
{
	return pending->count ? &pending->alerts[pending->head] : NULL;
}

void alertbuf_pending_pop(struct alertbuf_pending *pending)
{
	free(pending->alerts[pending->head].json);
	pending->head++;
	if (--pending->count == 0)
		pending->head = 0;
}

void alertbuf_pending_free(struct alertbuf_pending *pending)
{
	while (pending->count > 0)
		alertbuf_pending_pop(pending);
	free(pending->alerts);
	*pending = (struct alertbuf_pending){ 0 };
}

/* --- the backlog ---------------------------------------------------------------------------- */

void alertbuf_backlog_init(struct alertbuf_backlog *backlog, size_t max_bytes)
{
	*backlog = (struct alertbuf_backlog){ .max_bytes = max_bytes };
}

/* Give up the oldest alert. */
static void backlog_drop_oldest(struct alertbuf_backlog *backlog)
{
	backlog->bytes -= backlog->alerts[0].len;
	free(backlog->alerts[0].json);
	memmove(backlog->alerts, backlog->alerts + 1, --backlog->count * sizeof *backlog->alerts);
}

size_t alertbuf_backlog_push(struct alertbuf_backlog *backlog, uint64_t seq, const char *json,
			     size_t len)
{
	size_t given_up = 0;
	char *copy;

	while (backlog->count > 0 && backlog->bytes + len > backlog->max_bytes) {
		backlog_drop_oldest(backlog);
		given_up++;
	}
	if (array_reserve((void **)&backlog->alerts, &backlog->capacity, backlog->count,
			  sizeof *backlog->alerts, ALERTBUF_INITIAL_CAPACITY) < 0 ||
	    !(copy = malloc(len + 1)))
		return given_up + 1;
	memcpy(copy, json, len);
	copy[len] = '\0';
	backlog->alerts[backlog->count++] =
		(struct alertbuf_backlog_alert){ .seq = seq, .json = copy, .len = len };
	backlog->bytes += len;
	return given_up;
}

void alertbuf_backlog_clear(struct alertbuf_backlog *backlog)
{
	for (size_t i = 0; i < backlog->count; i++)
		free(backlog->alerts[i].json);
	backlog->count = 0;
	backlog->bytes = 0;
}

void alertbuf_backlog_free(struct alertbuf_backlog *backlog)
{
	alertbuf_backlog_clear(backlog);
	free(backlog->alerts);
	alertbuf_backlog_init(backlog, backlog->max_bytes);
}
