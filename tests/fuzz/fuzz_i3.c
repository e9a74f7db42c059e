/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * NENA i3 log events (lib/i3.h) on arbitrary bytes. The first byte picks the path: even, the
 * rest is one POST /LogEvents body (i3_jws_decode, then its payload mapped); odd, the rest is
 * log event payloads split at "\n", mapped one after the other through one small call table
 * (16 calls: eviction is reached). A refused input must leave nothing allocated and a why
 * that fits; every line a log event makes must be a feed line the event parser takes whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz_common.h"
#include "i3.h"

static struct i3_calls calls;
static struct event_parser *parser;
static unsigned lines_made;

static void setup(void)
{
	const struct i3_settings settings = { .max_calls = 16,
					      .bye_outgoing = RELEASED_BY_OPERATOR,
					      .bye_incoming = RELEASED_BY_CALLER };

	if (i3_calls_init(&calls, &settings) != 0 || !(parser = event_parser_new()))
		abort();
}

/* Each line made: a feed line the parser takes (the mapper checked every value it copied). */
static void check_line(const char *line, size_t len, void *ctx)
{
	struct event event;
	char why[256];

	(void)ctx;
	lines_made++;
	if (event_parser_parse(parser, line, len, &event, why, sizeof(why)) != EVENT_OK)
		abort();
}

static void map(const char *payload, size_t len)
{
	struct i3_event_info info;
	char why[256];
	enum i3_status status;

	lines_made = 0;
	status = i3_calls_map(&calls, payload, len, NULL, check_line, NULL, &info, why,
			      sizeof(why));
	if (info.lines != lines_made || (status != I3_OK && lines_made != 0) ||
	    strlen(why) >= sizeof(why) || i3_calls_count(&calls) > 16 || lines_made > 3)
		abort();
}

static void decode(const char *body, size_t len)
{
	struct i3_jws jws;
	char why[256];

	if (i3_jws_decode(body, len, &jws, why, sizeof(why)) != I3_OK) {
		if (jws.payload || jws.signature || jws.signing_input || strlen(why) >= sizeof(why))
			abort();
		return;
	}
	if (strlen(jws.signing_input) != jws.signing_input_len ||
	    (jws.algorithm == I3_ES256 && jws.signature_len != 64))
		abort();
	map(jws.payload, jws.payload_len);
	i3_jws_release(&jws);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1, *end = (const char *)data + size;

	if (!parser)
		setup();
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0) {
		decode(text, size - 1);
		return 0;
	}
	while (text < end) {
		const char *newline = memchr(text, '\n', (size_t)(end - text));
		size_t len = (size_t)((newline ? newline : end) - text);
		map(text, len);
		text += len + 1;
	}
	return 0;
}
