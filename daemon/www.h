/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_WWW_H
#define CADMON_WWW_H

#include <stddef.h>

/*
 * The supervisors' dashboard (daemon/www/): its files are compiled into cadmond by
 * tools/embed.c and served by evhttp under a strict Content-Security-Policy, with ETags.
 */

struct evhttp_request;

/* One embedded file. */
struct www_asset {
	const char *path;           /* where it is served: "/", "/app.js", ... */
	const char *content_type;
	const char *etag;           /* strong, quoted: "\"HASH-LENGTH\"" of its bytes */
	const unsigned char *body;
	size_t length;
};

/* Defined by the generated www_assets.c. */
extern const struct www_asset www_assets[];
extern const size_t www_asset_count;

/* The policy every dashboard file is served with: its own scripts, styles and API only. */
#define WWW_CONTENT_SECURITY_POLICY                                                           \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "     \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The embedded file served at path, or NULL. */
const struct www_asset *www_find(const char *path);

/**
 * Answer a GET or HEAD of asset: 200 with its bytes, or 304 without when the request's
 * If-None-Match names its ETag (or is "*"); both with the ETag and the dashboard's security
 * headers. Returns the status sent.
 */
int www_reply(struct evhttp_request *request, const struct www_asset *asset);

#endif
