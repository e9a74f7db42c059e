/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "i3_convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include "i3.h"
#include "timestamp.h"

/* One log event of type about event, its own members in extra (key, value pairs; NULL values left
 * out). */
static void add_event(struct i3_convert_events *out, const struct event *event,
		      const char *element_id, const char *agency, const char *type,
		      const char *const *extra, size_t extra_pairs)
{
	struct json_object *log_event = json_object_new_object();
	char ts[TIMESTAMP_TEXT_MAX];

	timestamp_format(event->ts_ms, ts);
	json_object_object_add(log_event, "logEventType", json_object_new_string(type));
	json_object_object_add(log_event, "timestamp", json_object_new_string(ts));
	json_object_object_add(log_event, "elementId", json_object_new_string(element_id));
	json_object_object_add(log_event, "agencyId",
			       json_object_new_string(event->agency[0] ? event->agency : agency));
	if (event->call_id[0]) /* an operator_state names no call */
		json_object_object_add(log_event, "callId", json_object_new_string(event->call_id));
	for (size_t i = 0; i < extra_pairs * 2; i += 2)
		if (extra[i + 1] && extra[i + 1][0])
			json_object_object_add(log_event, extra[i],
					       json_object_new_string(extra[i + 1]));
	snprintf(out->payload[out->count++], I3_CONVERT_PAYLOAD_MAX, "%s",
		 json_object_to_json_string_ext(log_event, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(log_event);
}

static void convert_start(const struct event *event, const char *element_id, const char *agency,
			  struct i3_convert_events *out)
{
	char from[EVENT_ANI_MAX + 8];
	const char *const start[] = { "direction", "incoming", "from",
				      event->ani[0] ? from : NULL };
	const char *const answered[] = { "state",         "Answered",          "direction",
					 "incoming",      "legCallId",         "leg-1",
					 "agencyAgentId", event->operator_id,  "agencyPositionId",
					 event->position };

	snprintf(from, sizeof from, "tel:%s", event->ani);
	add_event(out, event, element_id, agency, "CallStartLogEvent", start, 2);
	add_event(out, event, element_id, agency, "CallStateChangeLogEvent", answered, 5);
}

static void convert_end(const struct event *event, const char *element_id, const char *agency,
			struct i3_convert_events *out)
{
	const char *const bye[] = {
		"direction", event->released_by == RELEASED_BY_OPERATOR ? "outgoing" : "incoming",
		"protocol",  "sip",
		"text",	     "BYE sip:peer@example SIP/2.0\r\n"
	};
	const char *const end[] = { "direction", "incoming" };

	if (event->released_by == RELEASED_BY_OPERATOR || event->released_by == RELEASED_BY_CALLER)
		add_event(out, event, element_id, agency, "CallSignalingMessageLogEvent", bye, 3);
	add_event(out, event, element_id, agency, "CallEndLogEvent", end, 1);
}

/* An operator_state as a schema-valid AgentStateChangeLogEvent: primaryAgentState Available or
 * NotAvailable (the schema's enum), logged on or off as the secondaryAgentState, which lib/i3.c
 * maps back first. */
static void convert_state(const struct event *event, const char *element_id, const char *agency,
			  struct i3_convert_events *out)
{
	static const char *const primary[AGENT_STATE_COUNT] = {
		[AGENT_STATE_LOGGED_ON] = "Available",
		[AGENT_STATE_LOGGED_OFF] = "NotAvailable",
		[AGENT_STATE_AVAILABLE] = "Available",
		[AGENT_STATE_NOT_AVAILABLE] = "NotAvailable",
	};
	static const char *const secondary[AGENT_STATE_COUNT] = {
		[AGENT_STATE_LOGGED_ON] = "LoggedIn",
		[AGENT_STATE_LOGGED_OFF] = "LoggedOut",
	};
	bool known = event->state < AGENT_STATE_COUNT;
	const char *const state[] = {
		"agencyAgentId",       event->operator_id,
		"agencyPositionId",    event->position,
		"primaryAgentState",   known ? primary[event->state] : NULL,
		"secondaryAgentState", known ? secondary[event->state] : NULL,
	};

	add_event(out, event, element_id, agency, "AgentStateChangeLogEvent", state, 4);
}

void i3_convert_event(const struct event *event, const char *element_id, const char *agency,
		      struct i3_convert_events *out)
{
	const char *const incident[] = { "incidentId", event->incident_id };
	char leg[EVENT_ID_MAX + 16];
	/* targetCallIdSip (required by the schema, version 1.1): the SIP Call-ID of the leg to
	 * the target, which a feed line does not have: one made from the call's */
	const char *const transfer[] = { "target", event->transfer_to, "targetCallIdSip", leg };

	out->count = 0;
	snprintf(leg, sizeof leg, "%s-transfer", event->call_id);
	if (event->type == EVENT_CALL_START)
		convert_start(event, element_id, agency, out);
	else if (event->type == EVENT_CALL_END)
		convert_end(event, element_id, agency, out);
	else if (event->type == EVENT_INCIDENT)
		add_event(out, event, element_id, agency, "CallProcessLogEvent", incident, 1);
	else if (event->type == EVENT_OPERATOR_STATE)
		convert_state(event, element_id, agency, out);
	else if (event->type == EVENT_TRANSFER)
		add_event(out, event, element_id, agency, "CallTransferLogEvent", transfer, 2);
	/* a call_offered is not mapped to i3 (yet): no log event */
}

/* The DER ECDSA signature as JWS wants it: r || s, 32 bytes each. */
static int es256_raw(const unsigned char *der, size_t der_len, unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	int ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32) == 32 &&
		 BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32) == 32;

	ECDSA_SIG_free(sig);
	return ok ? 64 : 0;
}

/* The signature of input[0..len) with key (SHA-256): into out, its length; 0 on failure. */
static size_t sign_input(EVP_PKEY *key, const char *input, size_t len, unsigned char *out,
			 size_t size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t out_len = size;
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(md, out, &out_len, (const unsigned char *)input, len) == 1;

	EVP_MD_CTX_free(md);
	return ok ? out_len : 0;
}

char *i3_convert_sign(EVP_PKEY *key, const char *kid, const char *payload)
{
	bool ec = EVP_PKEY_base_id(key) == EVP_PKEY_EC;
	char header[256], *protected_text = NULL, *input = NULL, *jws = NULL, signature_text[1400];
	unsigned char signature[1024], raw[64];
	size_t payload_len = strlen(payload), signature_len, input_len;

	if (!ec && EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
		return NULL;
	snprintf(header, sizeof header, "{\"alg\":\"%s\",\"kid\":\"%s\"}", ec ? "ES256" : "RS256",
		 kid);
	protected_text = malloc(sizeof header * 2);
	input = malloc(sizeof header * 2 + payload_len * 2 + 8);
	if (!protected_text || !input)
		goto done;
	i3_base64url_encode(header, strlen(header), protected_text);
	input_len = (size_t)sprintf(input, "%s.", protected_text);
	input_len += i3_base64url_encode(payload, payload_len, input + input_len);
	signature_len = sign_input(key, input, input_len, signature, sizeof signature);
	if (ec && signature_len)
		signature_len = (size_t)es256_raw(signature, signature_len, raw);
	if (!signature_len || signature_len > 1024)
		goto done;
	i3_base64url_encode(ec ? raw : signature, signature_len, signature_text);
	if ((jws = malloc(input_len + strlen(signature_text) + 64)))
		sprintf(jws, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
			protected_text, strchr(input, '.') + 1, signature_text);
done:
	free(protected_text);
	free(input);
	return jws;
}
