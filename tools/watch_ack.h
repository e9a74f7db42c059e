/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_ACK_H
#define CADMON_TOOLS_WATCH_ACK_H

#include <stdbool.h>
#include <stddef.h>

struct net_tls;

/*
 * watch_ack: acknowledging an alert on cadmond's alert port (protocol 2):
 * {"ack":"<alert_id>","by":"<name>","note":"<text>"}. cadmon-watch sends it from the
 * keyboard on its open connections, and `cadmon-watch --ack` on connections of its own.
 */

/* One `--ack`: what to acknowledge, where, how long to wait. */
struct watch_ack_request {
	const char *const *addresses;
	size_t address_count;
	const char *alert_id;
	const char *by;
	const char *note; /* NULL: "" */
	double timeout_seconds; /* to connect, and then for the answer */
	const struct net_tls *tls; /* --ca: TLS; NULL: plain TCP */
	const char *token;         /* --token-file: sent first; NULL: none */
	bool utc;
};

/**
 * The token line a console sends first when cadmond requires tokens (docs/protocol.md):
 * {"token":"..."} (with "since":N when since >= 0) and its newline, malloc'd (the caller
 * frees it), or NULL when out of memory.
 */
char *watch_token_line(const char *token, long long since);

/** The ack line with its newline, malloc'd (the caller frees it), or NULL when out of memory. */
char *watch_ack_line(const char *alert_id, const char *by, const char *note);

/**
 * Send the ack to every address in turn and wait for each answer: the "acknowledged" notice
 * of that alert is printed on stdout; cadmond's {"notice":"ack: ..."}, a connection that
 * fails or no answer within the timeout on stderr. Returns the exit status: 0 when at least
 * one cadmond acknowledged, else 1.
 */
int watch_ack_run(const struct watch_ack_request *request);

#endif
