/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_I3_CONVERT_H
#define CADMON_TOOLS_I3_CONVERT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "event.h"

/*
 * Feed lines (protocol v1) as the NENA i3 log events a call-handling element would log for
 * them (docs/protocol.md, "NENA i3 log events", read backwards): what cadmon-i3 writes and
 * tests/test_i3_daemon.c POSTs. call_start: CallStartLogEvent (the caller as tel:ANI) and
 * CallStateChangeLogEvent "Answered" by the operator at the position; call_end: the SIP BYE
 * the element sent (released by the operator) or received (by the caller), then
 * CallEndLogEvent; incident: CallProcessLogEvent with the incidentId; transfer:
 * CallTransferLogEvent. Times become RFC 3339 UTC with milliseconds.
 */

/* Longest payload made (its NUL included). */
#define I3_CONVERT_PAYLOAD_MAX 1024

/* The log events of one feed event, in order. */
struct i3_convert_events {
	char payload[2][I3_CONVERT_PAYLOAD_MAX];
	size_t count;
};

/** The log events of event, logged by element_id; agency for events that name none. A
 * call_offered makes none (not mapped to i3). */
void i3_convert_event(const struct event *event, const char *element_id, const char *agency,
		      struct i3_convert_events *out);

/**
 * payload as a JWS in flattened JSON serialization, signed by key (EC P-256: ES256; RSA:
 * RS256) under kid: a malloc'd string, or NULL (another key type, out of memory).
 */
char *i3_convert_sign(EVP_PKEY *key, const char *kid, const char *payload);

#endif
