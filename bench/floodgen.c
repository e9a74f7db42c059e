/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "floodgen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "gencall.h"

#define SHORT_MS 5000
#define LONG_MS 90000
#define INVENTED_EVERY_MS 12000 /* 300 an hour */
#define OWNED_EVERY_MS 60000
#define OWNED_OPERATORS 2
#define VOLUME_EVERY_MS 15000
#define VOLUME_OPERATORS 4
#define VOLUME_ON_MS 1200000   /* of every hour */
#define HOUR_MS 3600000
#define LINE_MAX_BYTES 256

/* The flood's next call at start_ms, the k-th (from 0); NULL when out of memory. */
static struct gencall *flood_call(struct gencall_list *list, enum floodgen_kind kind,
				  int64_t start_ms, unsigned k)
{
	struct gencall *call = gencall_new(list, 4096);
	bool long_call = kind == FLOODGEN_VOLUME && k % 2 == 1;

	if (!call)
		return NULL;
	call->start_ms = start_ms;
	call->end_ms = start_ms + (long_call ? LONG_MS : SHORT_MS);
	call->release = long_call ? GENCALL_BY_CALLER : GENCALL_BY_OPERATOR;
	call->op = kind == FLOODGEN_INVENTED ? k
		   : kind == FLOODGEN_OWNED  ? k % OWNED_OPERATORS
					     : k % VOLUME_OPERATORS;
	snprintf(call->ani, sizeof(call->ani), "9%09u", k % 1000000000u);
	return call;
}

/* Every call of the flood, in start order. 0 or -1. */
static int flood_calls(const struct floodgen_params *params, struct gencall_list *list)
{
	int64_t every_ms = params->kind == FLOODGEN_INVENTED ? INVENTED_EVERY_MS
			   : params->kind == FLOODGEN_OWNED  ? OWNED_EVERY_MS
							     : VOLUME_EVERY_MS;
	unsigned k = 0;

	for (int64_t t = params->start_ms; t < params->end_ms; t += every_ms) {
		if (params->kind == FLOODGEN_VOLUME &&
		    (t - params->start_ms) % HOUR_MS >= VOLUME_ON_MS)
			continue;
		if (!flood_call(list, params->kind, t, k++))
			return -1;
	}
	return 0;
}

static int64_t no_skew(const struct gencall *call, const void *ctx)
{
	(void)call;
	(void)ctx;
	return 0;
}

static int write_flood_event(const struct floodgen_params *params, const struct gencall *call,
			     uint32_t number, const struct gencall_event *event, char **text,
			     size_t *text_len, size_t *capacity)
{
	static const char *const releases[] = { "operator", "caller", "system" };
	char line[LINE_MAX_BYTES];
	int len;

	if (event->type == GENCALL_START)
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_start\",\"call_id\":\"fl-%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"agency\":\"%s\",\"operator\":\"fl-%04u\","
			       "\"position\":\"F%u\",\"ani\":\"%s\"}\n",
			       number, event->ts_ms, params->agency, call->op + 1, call->op + 1,
			       call->ani);
	else
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"fl-%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"released_by\":\"%s\"}\n",
			       number, event->ts_ms, releases[call->release]);
	return gencall_append(text, text_len, capacity, line, (size_t)len);
}

int floodgen_generate(const struct floodgen_params *params, char **text, size_t *text_len,
		      size_t *capacity)
{
	struct gencall_list list = { 0 };
	struct gencall_event *events = NULL;
	size_t n = 0;
	int rc = 0;

	*text_len = 0;
	if (params->kind < FLOODGEN_INVENTED)
		return gencall_append(text, text_len, capacity, "", 0);
	if (flood_calls(params, &list) != 0 ||
	    !(events = gencall_events(&list, no_skew, NULL, false, &n)))
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = write_flood_event(params, &list.calls[events[i].call], events[i].call + 1,
				       &events[i], text, text_len, capacity);
	free(events);
	free(list.calls);
	return rc;
}
