/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "www.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

const struct www_asset *www_find(const char *path)
{
	for (size_t i = 0; i < www_asset_count; i++)
		if (strcmp(www_assets[i].path, path) == 0)
			return &www_assets[i];
	return NULL;
}

/* Does the If-None-Match list (entity tags, commas between, or "*") hold etag? W/ is ignored:
 * If-None-Match compares weakly (RFC 9110, 13.1.2). */
static bool www_etag_listed(const char *list, const char *etag)
{
	size_t etag_len = strlen(etag);

	while (*list) {
		size_t len;

		list += strspn(list, " \t,");
		if (strncmp(list, "W/", 2) == 0)
			list += 2;
		len = strcspn(list, ",");
		while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == '\t'))
			len--;
		if ((len == 1 && list[0] == '*') ||
		    (len == etag_len && memcmp(list, etag, len) == 0))
			return true;
		list += strcspn(list, ",");
	}
	return false;
}

static void www_headers(struct evhttp_request *request, const struct www_asset *asset)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(request);

	evhttp_add_header(headers, "Content-Type", asset->content_type);
	evhttp_add_header(headers, "ETag", asset->etag);
	evhttp_add_header(headers, "Cache-Control", "no-cache");
	evhttp_add_header(headers, "Content-Security-Policy", WWW_CONTENT_SECURITY_POLICY);
	evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
	evhttp_add_header(headers, "X-Frame-Options", "DENY");
}

int www_reply(struct evhttp_request *request, const struct www_asset *asset)
{
	const char *if_none_match =
		evhttp_find_header(evhttp_request_get_input_headers(request), "If-None-Match");
	struct evbuffer *body;

	www_headers(request, asset);
	if (if_none_match && www_etag_listed(if_none_match, asset->etag)) {
		evhttp_send_reply(request, 304, "Not Modified", NULL);
		return 304;
	}
	if (evhttp_request_get_command(request) == EVHTTP_REQ_HEAD) {
		/* evhttp would send the body to a HEAD too: only its length goes. */
		char length[24];

		snprintf(length, sizeof length, "%zu", asset->length);
		evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Length",
				  length);
		evhttp_send_reply(request, 200, "OK", NULL);
		return 200;
	}
	body = evbuffer_new();
	if (!body || evbuffer_add_reference(body, asset->body, asset->length, NULL, NULL) < 0) {
		if (body)
			evbuffer_free(body);
		evhttp_send_error(request, 500, NULL);
		return 500;
	}
	evhttp_send_reply(request, 200, "OK", body);
	evbuffer_free(body);
	return 200;
}
