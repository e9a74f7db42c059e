/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "gencall.h"

#include <stdlib.h>
#include <string.h>

#define PREMATURE_TALK_MS 20000

struct gencall *gencall_new(struct gencall_list *list, size_t first_capacity)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : first_capacity;
		struct gencall *grown = realloc(list->calls, capacity * sizeof(*grown));
		if (!grown)
			return NULL;
		list->calls = grown;
		list->capacity = capacity;
	}
	struct gencall *call = &list->calls[list->count++];
	memset(call, 0, sizeof(*call));
	call->incident_ms = -1;
	call->offered_ms = -1;
	return call;
}

bool gencall_premature(const struct gencall *call)
{
	return call->release == GENCALL_BY_OPERATOR &&
	       call->end_ms - call->start_ms < PREMATURE_TALK_MS && call->incident_ms < 0;
}

static int compare_events(const void *a, const void *b)
{
	const struct gencall_event *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct gencall_event *gencall_events(const struct gencall_list *list, gencall_skew_fn *skew,
				     const void *ctx, bool offered, size_t *count)
{
	struct gencall_event *events = malloc((list->count * 4 + 1) * sizeof(*events));
	size_t n = 0;

	if (!events)
		return NULL;
	for (size_t i = 0; i < list->count; i++) {
		const struct gencall *call = &list->calls[i];
		int64_t skew_ms = skew(call, ctx);
		if (offered) {
			int64_t at_ms = call->offered_ms >= 0 ? call->offered_ms : call->start_ms;
			events[n] = (struct gencall_event){ at_ms + skew_ms, (uint32_t)n,
							    (uint32_t)i, GENCALL_OFFERED };
			n++;
		}
		events[n] = (struct gencall_event){ call->start_ms + skew_ms, (uint32_t)n,
						    (uint32_t)i, GENCALL_START };
		n++;
		if (call->incident_ms >= 0 && call->incident_ms < call->end_ms) {
			events[n] =
				(struct gencall_event){ call->incident_ms + skew_ms, (uint32_t)n,
							(uint32_t)i, GENCALL_INCIDENT };
			n++;
		}
		events[n] = (struct gencall_event){ call->end_ms + skew_ms, (uint32_t)n,
						    (uint32_t)i, GENCALL_END };
		n++;
	}
	qsort(events, n, sizeof(*events), compare_events);
	*count = n;
	return events;
}

int gencall_append(char **text, size_t *text_len, size_t *capacity, const char *line, size_t len)
{
	if (*text_len + len + 1 > *capacity) {
		size_t wanted = *capacity ? *capacity * 2 : 1 << 20;
		while (wanted < *text_len + len + 1)
			wanted *= 2;
		char *grown = realloc(*text, wanted);
		if (!grown)
			return -1;
		*text = grown;
		*capacity = wanted;
	}
	memcpy(*text + *text_len, line, len);
	*text_len += len;
	(*text)[*text_len] = '\0';
	return 0;
}

int gencall_keep(const struct gencall_list *list, struct gencall_scored **calls, size_t *count,
		 size_t *capacity)
{
	if (*capacity < list->count + 1) {
		struct gencall_scored *grown = realloc(*calls, (list->count + 1) * sizeof(*grown));
		if (!grown)
			return -1;
		*calls = grown;
		*capacity = list->count + 1;
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct gencall *call = &list->calls[i];
		(*calls)[i] = (struct gencall_scored){ call->start_ms, call->end_ms, call->op,
						       gencall_premature(call) };
	}
	*count = list->count;
	return 0;
}
