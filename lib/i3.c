/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "i3.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "event.h"
#include "json_scan.h"
#include "hash.h"
#include "json_out.h"
#include "timestamp.h"

static const char *const i3_status_names[I3_STATUS_COUNT] = {
	[I3_OK] = "ok",
	[I3_BAD_JWS] = "bad_jws",
	[I3_BAD_ALGORITHM] = "bad_algorithm",
	[I3_BAD_JSON] = "bad_json",
	[I3_BAD_EVENT] = "bad_event",
	[I3_UNSUPPORTED_EVENT] = "unsupported_event",
	[I3_WRONG_ELEMENT] = "wrong_element",
};

const char *i3_status_name(enum i3_status status)
{
	return (unsigned)status < I3_STATUS_COUNT ? i3_status_names[status] : "?";
}

static enum i3_status fail(enum i3_status status, char *why, size_t why_size, const char *format,
			   ...) __attribute__((format(printf, 4, 5)));

static enum i3_status fail(enum i3_status status, char *why, size_t why_size, const char *format,
			   ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(why, why_size, format, args);
	va_end(args);
	return status;
}

/* ---- base64url (RFC 4648 5, without padding) --------------------------------------------- */

static int base64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long i3_base64url_decode(const char *text, size_t len, unsigned char *out)
{
	uint32_t bits = 0;
	unsigned held = 0;
	long written = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int value = base64url_value((unsigned char)text[i]);

		if (value < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)value;
		held += 6;
		if (held >= 8) {
			held -= 8;
			out[written++] = (unsigned char)(bits >> held);
			bits &= (1u << held) - 1;
		}
	}
	return bits == 0 ? written : -1; /* the bits left over must be zero (canonical) */
}

size_t i3_base64url_encode(const void *bytes, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = bytes;
	size_t o = 0, i = 0;

	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		out[o++] = alphabet[in[i] >> 2];
		out[o++] = alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
		out[o++] = alphabet[v >> 10];
		out[o++] = alphabet[(v >> 4) & 63];
		out[o++] = alphabet[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

/* ---- JSON -------------------------------------------------------------------------------- */

/* text[0..len) as one strict JSON value (RFC 8259, UTF-8 checked), nothing after it; NULL if
 * not. */
static struct json_object *parse_strict(const char *text, size_t len)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *object;

	if (!tokener)
		return NULL;
	if (!json_scan_utf8_valid(
		    text, len)) { /* json-c lets overlong forms through; feed lines do not */
		json_tokener_free(tokener);
		return NULL;
	}
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	object = len <= INT32_MAX ? json_tokener_parse_ex(tokener, text, (int)len) : NULL;
	if (object && (size_t)json_tokener_get_parse_end(tokener) != len) {
		json_object_put(object);
		object = NULL;
	}
	json_tokener_free(tokener);
	return object;
}

/* The string member key of object: 1 with *value, 0 when absent or null, -1 when not a string. */
static int string_member(struct json_object *object, const char *key, const char **value,
			 size_t *len)
{
	struct json_object *member;

	*value = NULL;
	*len = 0;
	if (!json_object_object_get_ex(object, key, &member) || !member)
		return 0;
	if (!json_object_is_type(member, json_type_string))
		return -1;
	*value = json_object_get_string(member);
	*len = (size_t)json_object_get_string_len(member);
	return 1;
}

/* ---- JWS --------------------------------------------------------------------------------- */

/* A base64url member of the JWS decoded into a new buffer (NUL-terminated); NULL with why. */
static unsigned char *jws_member(struct json_object *jws, const char *key, const char **text,
				 size_t *text_len, size_t *decoded_len, char *why, size_t why_size)
{
	unsigned char *decoded;
	long got;
	int rc = string_member(jws, key, text, text_len);

	if (rc <= 0) {
		snprintf(why, why_size, "\"%s\" %s", key,
			 rc == 0 ? "is missing" : "must be a string");
		return NULL;
	}
	if (!(decoded = malloc(*text_len / 4 * 3 + 3))) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if ((got = i3_base64url_decode(*text, *text_len, decoded)) < 0 ||
	    (got == 0 && strcmp(key, "signature") != 0)) {
		free(decoded);
		snprintf(why, why_size, "\"%s\" is not base64url without padding%s", key,
			 got == 0 ? " (empty)" : "");
		return NULL;
	}
	decoded[got] = '\0';
	*decoded_len = (size_t)got;
	return decoded;
}

/* The protected header: alg and kid. */
static enum i3_status jws_header(const unsigned char *header, size_t len, struct i3_jws *jws,
				 char *why, size_t why_size)
{
	struct json_object *object = parse_strict((const char *)header, len), *crit;
	enum i3_status status = I3_OK;
	const char *alg, *kid;
	size_t alg_len, kid_len;
	int has_alg, has_kid;

	if (!object || !json_object_is_type(object, json_type_object)) {
		json_object_put(object);
		return fail(I3_BAD_JWS, why, why_size, "the protected header is not a JSON object");
	}
	has_alg = string_member(object, "alg", &alg, &alg_len);
	has_kid = string_member(object, "kid", &kid, &kid_len);
	if (has_alg <= 0)
		status = fail(I3_BAD_JWS, why, why_size, "protected header: \"alg\" %s",
			      has_alg == 0 ? "is missing" : "must be a string");
	else if (strcmp(alg, "ES256") == 0 && alg_len == 5)
		jws->algorithm = I3_ES256;
	else if (strcmp(alg, "RS256") == 0 && alg_len == 5)
		jws->algorithm = I3_RS256;
	else
		status = fail(I3_BAD_ALGORITHM, why, why_size,
			      "protected header: \"alg\" must be ES256 or RS256, not \"%.32s\"",
			      alg);
	if (status == I3_OK && json_object_object_get_ex(object, "crit", &crit))
		status = fail(I3_BAD_JWS, why, why_size,
			      "protected header: \"crit\" extensions are not supported");
	if (status == I3_OK && has_kid < 0)
		status = fail(I3_BAD_JWS, why, why_size,
			      "protected header: \"kid\" must be a string");
	if (status == I3_OK && has_kid > 0 && (kid_len >= I3_KID_MAX || strlen(kid) != kid_len))
		status = fail(I3_BAD_JWS, why, why_size,
			      "protected header: \"kid\" must be at most %d bytes, no NUL",
			      I3_KID_MAX - 1);
	if (status == I3_OK && has_kid > 0)
		memcpy(jws->kid, kid, kid_len + 1);
	json_object_put(object);
	return status;
}

/* The signing input: ASCII(BASE64URL(protected)) "." ASCII(BASE64URL(payload)). */
static bool jws_signing_input(struct i3_jws *jws, const char *protected_text, size_t protected_len,
			      const char *payload_text, size_t payload_len)
{
	jws->signing_input_len = protected_len + 1 + payload_len;
	if (!(jws->signing_input = malloc(jws->signing_input_len + 1)))
		return false;
	memcpy(jws->signing_input, protected_text, protected_len);
	jws->signing_input[protected_len] = '.';
	memcpy(jws->signing_input + protected_len + 1, payload_text, payload_len);
	jws->signing_input[jws->signing_input_len] = '\0';
	return true;
}

static enum i3_status jws_take_apart(struct json_object *object, struct i3_jws *jws, char *why,
				     size_t why_size)
{
	const char *protected_text, *payload_text, *signature_text;
	size_t protected_len, payload_len, signature_len, header_len;
	unsigned char *header;
	enum i3_status status;

	if (!(header = jws_member(object, "protected", &protected_text, &protected_len, &header_len,
				  why, why_size)))
		return I3_BAD_JWS;
	status = jws_header(header, header_len, jws, why, why_size);
	free(header);
	if (status != I3_OK)
		return status;
	if (!(jws->payload = (char *)jws_member(object, "payload", &payload_text, &payload_len,
						&jws->payload_len, why, why_size)) ||
	    !(jws->signature = jws_member(object, "signature", &signature_text, &signature_len,
					  &jws->signature_len, why, why_size)))
		return I3_BAD_JWS;
	if (jws->algorithm == I3_ES256 && jws->signature_len != 64)
		return fail(I3_BAD_JWS, why, why_size,
			    "an ES256 signature is 64 bytes (r || s), not %zu", jws->signature_len);
	if (jws->algorithm == I3_RS256 && jws->signature_len == 0)
		return fail(I3_BAD_JWS, why, why_size, "the signature is empty");
	if (!jws_signing_input(jws, protected_text, protected_len, payload_text, payload_len))
		return fail(I3_BAD_JWS, why, why_size, "out of memory");
	return I3_OK;
}

enum i3_status i3_jws_decode(const char *body, size_t len, struct i3_jws *jws, char *why,
			     size_t why_size)
{
	struct json_object *object = parse_strict(body, len);
	enum i3_status status;

	memset(jws, 0, sizeof *jws);
	if (!object || !json_object_is_type(object, json_type_object)) {
		json_object_put(object);
		return fail(
			I3_BAD_JWS, why, why_size,
			"the body is not a JWS in flattened JSON serialization (a JSON object)");
	}
	status = jws_take_apart(object, jws, why, why_size);
	json_object_put(object);
	if (status != I3_OK)
		i3_jws_release(jws);
	return status;
}

void i3_jws_release(struct i3_jws *jws)
{
	free(jws->signing_input);
	free(jws->signature);
	free(jws->payload);
	memset(jws, 0, sizeof *jws);
}

/* ---- long ids ------------------------------------------------------------------------------ */

bool i3_short_id(const char *value, size_t len, char out[I3_ID_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	size_t keep = I3_SHORT_ID_PREFIX, o;

	if (len <= I3_ID_MAX) {
		memcpy(out, value, len);
		out[len] = '\0';
		return false;
	}
	/* no cut inside a UTF-8 sequence: back off to the byte that starts one */
	while (keep > 0 && ((unsigned char)value[keep] & 0xc0) == 0x80)
		keep--;
	memcpy(out, value, keep);
	o = keep;
	out[o++] = '~';
	if (!EVP_Digest(value, len, digest, &digest_len, EVP_sha256(), NULL))
		digest_len = 0; /* cannot happen with the default provider; then zeros */
	for (unsigned i = 0; i < I3_SHORT_ID_HEX / 2; i++) {
		unsigned char byte = i < digest_len ? digest[i] : 0;

		out[o++] = hex[byte >> 4];
		out[o++] = hex[byte & 15];
	}
	out[o] = '\0';
	return true;
}

/* ---- the call table ---------------------------------------------------------------------- */

#define I3_ANI_MAX 32     /* as a feed line's ani */
#define I3_EVICT_FRACTION 16

struct i3_call {
	struct table_entry base;
	char call_id[I3_ID_MAX + 1];
	char ani[I3_ANI_MAX + 1];
	int64_t age;       /* order of arrival: the oldest go first when full */
	unsigned bye;      /* released_by bit from the first SIP BYE; 0: none seen */
	bool started;      /* a call_start was made */
	bool incident;     /* an incident was made */
	uint64_t answered_by; /* hash of the elementId whose answer made the call_start */
	bool directed;     /* its direction is known (CallStart or CallStateChange) */
	bool outgoing;     /* the element placed it (a callback): it makes no line */
};

int i3_calls_init(struct i3_calls *calls, const struct i3_settings *settings)
{
	memset(calls, 0, sizeof *calls);
	if (settings->max_calls == 0)
		return -EINVAL;
	calls->settings = *settings;
	return table_init(&calls->table, sizeof(struct i3_call), settings->max_calls);
}

void i3_calls_release(struct i3_calls *calls)
{
	table_release(&calls->table);
}

uint32_t i3_calls_count(const struct i3_calls *calls)
{
	return calls->table.count;
}

static bool same_call(const void *entry, const void *key)
{
	return strcmp(((const struct i3_call *)entry)->call_id, key) == 0;
}

static int64_t call_age(const void *entry)
{
	return ((const struct i3_call *)entry)->age;
}

/* The call's entry, made when absent (the oldest evicted first when the table is full). */
static struct i3_call *call_entry(struct i3_calls *calls, const char *call_id)
{
	uint64_t hash = hash_string(call_id);
	uint32_t i = table_probe(&calls->table, hash, same_call, call_id);
	struct i3_call *call;

	if (table_used(&calls->table, i))
		return table_slot(&calls->table, i);
	if (calls->table.count >= calls->table.max_count) {
		calls->stats.evicted +=
			table_evict_oldest(&calls->table, call_age, I3_EVICT_FRACTION, NULL, NULL);
		i = table_probe(&calls->table, hash, same_call, call_id);
	}
	if (!(call = table_claim(&calls->table, i, hash)))
		return NULL; /* no memory to grow the table */
	memset((char *)call + sizeof call->base, 0, sizeof *call - sizeof call->base);
	snprintf(call->call_id, sizeof call->call_id, "%s", call_id);
	call->age = (int64_t)calls->next_age++;
	return call;
}

static void call_forget(struct i3_calls *calls, const char *call_id)
{
	uint32_t i = table_probe(&calls->table, hash_string(call_id), same_call, call_id);

	if (table_used(&calls->table, i))
		table_remove(&calls->table, i);
}

/* ---- log events -------------------------------------------------------------------------- */

/* The LogEventType values of the published schema (NENA911/Logging-Service loggingservice.yaml
 * 1.1, and the five 1.2.2 added: Announcement and Session events, which make no line). */
static const char *const i3_log_event_types[] = {
	"CallProcessLogEvent",
	"CallStartLogEvent",
	"CallEndLogEvent",
	"RecCallStartLogEvent",
	"RecCallEndLogEvent",
	"CallTransferLogEvent",
	"RouteLogEvent",
	"MediaStartLogEvent",
	"MediaEndLogEvent",
	"RecMediaStartLogEvent",
	"RecMediaEndLogEvent",
	"RecordingFailedLogEvent",
	"MessageLogEvent",
	"AdditionalAgencyLogEvent",
	"IncidentMergeLogEvent",
	"IncidentUnMergeLogEvent",
	"IncidentLinkLogEvent",
	"IncidentUnLinkLogEvent",
	"IncidentClearLogEvent",
	"IncidentReopenLogEvent",
	"LostQueryLogEvent",
	"LostResponseLogEvent",
	"CallSignalingMessageLogEvent",
	"SipRecMetadataLogEvent",
	"NonRtpMediaMessageLogEvent",
	"AliLocationQueryLogEvent",
	"AliLocationResponseLogEvent",
	"MalformedMessageLogEvent",
	"IncidentSplitLogEvent",
	"DiscrepancyReportLogEvent",
	"ElementStateChangeLogEvent",
	"ServiceStateChangeLogEvent",
	"AdditionalDataQueryLogEvent",
	"AdditionalDataResponseLogEvent",
	"LocationQueryLogEvent",
	"LocationResponseLogEvent",
	"CallStateChangeLogEvent",
	"GatewayCallLogEvent",
	"HookflashLogEvent",
	"LegacyDigitsLogEvent",
	"AgentStateChangeLogEvent",
	"QueueStateChangeLogEvent",
	"KeepAliveFailureLogEvent",
	"RouteRuleMsgLogEvent",
	"PolicyChangeLogEvent",
	"VersionsLogEvent",
	"SubscribeLogEvent",
	"AnnouncementStartLogEvent",
	"AnnouncementEndLogEvent",
	"SessionStartLogEvent",
	"SessionEndLogEvent",
	"SessionStateChangeLogEvent",
	"EidoLogEvent",
	"EidoDereferenceFactoryQueryLogEvent",
	"EidoDereferenceFactoryQueryResponse",
	"SubscriptionRequestedLogEvent",
	"SubscriptionRequestedResponseLogEvent",
	"SubscriptionTerminatedLogEvent",
	"EidoDeniedLogEvent",
	"EidoTransmissionErrorLogEvent",
	"WebSocketEstablishedLogEvent",
	"WebSocketTerminatedLogEvent",
};

enum i3_kind {
	I3_KIND_OTHER,
	I3_KIND_CALL_START,
	I3_KIND_STATE_CHANGE,
	I3_KIND_CALL_END,
	I3_KIND_TRANSFER,
	I3_KIND_SIGNALING,
	I3_KIND_AGENT_STATE
};

static bool published_type(const char *type)
{
	for (size_t i = 0; i < sizeof i3_log_event_types / sizeof i3_log_event_types[0]; i++)
		if (strcmp(type, i3_log_event_types[i]) == 0)
			return true;
	return false;
}

static enum i3_kind kind_of(const char *type)
{
	static const struct {
		const char *type;
		enum i3_kind kind;
	} kinds[] = {
		{ "CallStartLogEvent", I3_KIND_CALL_START },
		{ "CallStateChangeLogEvent", I3_KIND_STATE_CHANGE },
		{ "CallEndLogEvent", I3_KIND_CALL_END },
		{ "CallTransferLogEvent", I3_KIND_TRANSFER },
		{ "CallSignalingMessageLogEvent", I3_KIND_SIGNALING },
		{ "AgentStateChangeLogEvent", I3_KIND_AGENT_STATE },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(type, kinds[i].type) == 0)
			return kinds[i].kind;
	return I3_KIND_OTHER;
}

/* The members of a log event cadmon reads, checked. */
struct i3_fields {
	struct json_object *object;
	const char *type, *timestamp, *element_id, *agency_id, *agent_id, *position_id, *call_id,
		*incident_id;
	const char *state, *direction, *text, *target, *from, *agent_state, *secondary_state;
	enum i3_kind kind;
	/* an over-long callId, incidentId or target as the short id the lines carry */
	char call_id_short[I3_ID_MAX + 1], incident_id_short[I3_ID_MAX + 1],
		target_short[I3_ID_MAX + 1];
	unsigned shortened; /* ids shortened in this log event */
};

struct i3_member {
	const char *name;
	const char **value;
	size_t max_len; /* 0: any length */
	bool required;
};

/* Read and check the members of spec; I3_OK or I3_BAD_EVENT with why. */
static enum i3_status read_members(struct i3_fields *fields, const struct i3_member *spec,
				   size_t count, char *why, size_t why_size)
{
	for (size_t i = 0; i < count; i++) {
		size_t len;
		int rc = string_member(fields->object, spec[i].name, spec[i].value, &len);

		if (rc < 0)
			return fail(I3_BAD_EVENT, why, why_size, "%s: \"%s\" must be a string",
				    fields->type, spec[i].name);
		if (rc > 0 && strlen(*spec[i].value) != len)
			return fail(I3_BAD_EVENT, why, why_size, "%s: \"%s\" holds a NUL",
				    fields->type, spec[i].name);
		if (rc > 0 && len == 0)
			*spec[i].value = NULL; /* empty counts as absent */
		if (!*spec[i].value && spec[i].required)
			return fail(I3_BAD_EVENT, why, why_size,
				    "%s: missing required field \"%s\"", fields->type,
				    spec[i].name);
		if (*spec[i].value && spec[i].max_len && len > spec[i].max_len)
			return fail(I3_BAD_EVENT, why, why_size,
				    "%s: \"%s\" is longer than %zu bytes", fields->type,
				    spec[i].name, spec[i].max_len);
	}
	return I3_OK;
}

/* The members every log event has (the schema's LogEvent), and those of call events. */
static enum i3_status read_common(struct i3_fields *fields, char *why, size_t why_size)
{
	bool call = fields->kind != I3_KIND_OTHER && fields->kind != I3_KIND_AGENT_STATE;
	/* callId and incidentId only identify: any length, shortened below; elementId and
	 * agencyId are names cadmon.yaml's sources: lists, so a longer one is refused */
	const struct i3_member common[] = {
		{ "timestamp", &fields->timestamp, 63, true }, /* as a feed line's ts */
		{ "elementId", &fields->element_id, 0, true },
		{ "agencyId", &fields->agency_id, 0, true },
		{ "agencyAgentId", &fields->agent_id, 64, false },
		{ "agencyPositionId", &fields->position_id, 64, false },
		{ "callId", &fields->call_id, 0, call },
		{ "incidentId", &fields->incident_id, 0, false },
	};
	const char *why_ts = NULL;
	enum event_reject source_problem;
	enum i3_status status =
		read_members(fields, common, sizeof common / sizeof common[0], why, why_size);
	int64_t ts_ms;

	/* elementId names a source: judged by the rule a hello's source is (event_source_check;
	 * read_members refused an empty one and one holding a NUL) */
	source_problem = status == I3_OK ? event_source_check(fields->element_id,
							       strlen(fields->element_id), NULL, 0)
					 : EVENT_OK;
	if (source_problem == EVENT_REJECT_FIELD_TOO_LONG)
		status = fail(I3_BAD_EVENT, why, why_size,
			      "%s: \"elementId\" is longer than %d bytes (it names a source, as "
			      "sources: does in cadmon.yaml)",
			      fields->type, I3_ELEMENT_ID_MAX);
	else if (source_problem != EVENT_OK)
		status = fail(I3_BAD_EVENT, why, why_size,
			      "%s: \"elementId\" holds a control character (it names a source)",
			      fields->type);
	if (status == I3_OK && strlen(fields->agency_id) > I3_ID_MAX)
		status = fail(I3_BAD_EVENT, why, why_size,
			      "%s: \"agencyId\" is longer than %d bytes (it names an agency, as "
			      "sources[].agencies does in cadmon.yaml)",
			      fields->type, I3_ID_MAX);
	if (status == I3_OK && timestamp_parse_rfc3339(fields->timestamp, strlen(fields->timestamp),
						       &ts_ms, &why_ts) != 0)
		status = fail(I3_BAD_EVENT, why, why_size, "%s: \"timestamp\": %s: \"%s\"",
			      fields->type, why_ts ? why_ts : "not RFC 3339", fields->timestamp);
	return status;
}

/* The schema's Direction, in any case. */
static bool is_direction(const char *direction)
{
	return strcasecmp(direction, "incoming") == 0 || strcasecmp(direction, "outgoing") == 0;
}

static bool is_outgoing(const char *direction)
{
	return direction && strcasecmp(direction, "outgoing") == 0;
}

/* The members of the event's own type. */
static enum i3_status read_kind(struct i3_fields *fields, char *why, size_t why_size)
{
	const struct i3_member state_change[] = { { "state", &fields->state, 0, true },
						  { "agencyAgentId", &fields->agent_id, 64,
						    false } };
	const struct i3_member signaling[] = { { "text", &fields->text, 0, true },
					       { "direction", &fields->direction, 0, true } };
	const struct i3_member transfer[] = { { "target", &fields->target, 0,
						false } }; /* a transfer's to */
	/* CallLogEvent's and CallStateChangeLogEvent's direction: required by the schema,
	 * optional here (absent: taken as incoming) */
	const struct i3_member call_start[] = { { "from", &fields->from, 0, false },
						{ "direction", &fields->direction, 0, false } };
	const struct i3_member state_direction[] = { { "direction", &fields->direction, 0,
						       false } };
	const struct i3_member agent_state[] = {
		{ "primaryAgentState", &fields->agent_state, 0, false },
		{ "secondaryAgentState", &fields->secondary_state, 0, false }
	};
	enum i3_status status = I3_OK;

	if (fields->kind == I3_KIND_STATE_CHANGE) {
		status = read_members(fields, state_change, 2, why, why_size);
		if (status == I3_OK)
			status = read_members(fields, state_direction, 1, why, why_size);
	} else if (fields->kind == I3_KIND_SIGNALING) {
		status = read_members(fields, signaling, 2, why, why_size);
	} else if (fields->kind == I3_KIND_TRANSFER) {
		status = read_members(fields, transfer, 1, why, why_size);
	} else if (fields->kind == I3_KIND_CALL_START) {
		status = read_members(fields, call_start, 2, why, why_size);
	} else if (fields->kind == I3_KIND_AGENT_STATE) {
		status = read_members(fields, agent_state, 2, why, why_size);
	}
	if (status == I3_OK && fields->direction && !is_direction(fields->direction))
		status = fail(I3_BAD_EVENT, why, why_size,
			      "%s: \"direction\" must be incoming or outgoing, not \"%.32s\"",
			      fields->type, fields->direction);
	return status;
}

/* An over-long callId, incidentId or target replaced by its short id (i3_short_id). */
static void shorten(const char **value, char out[I3_ID_MAX + 1], unsigned *shortened)
{
	if (*value && i3_short_id(*value, strlen(*value), out)) {
		*value = out;
		(*shortened)++;
	}
}

static void shorten_ids(struct i3_fields *fields)
{
	shorten(&fields->call_id, fields->call_id_short, &fields->shortened);
	shorten(&fields->incident_id, fields->incident_id_short, &fields->shortened);
	shorten(&fields->target, fields->target_short, &fields->shortened);
}

static enum i3_status read_fields(struct i3_fields *fields, char *why, size_t why_size)
{
	size_t len;
	int rc = string_member(fields->object, "logEventType", &fields->type, &len);

	if (rc <= 0)
		return fail(I3_BAD_EVENT, why, why_size, "\"logEventType\" %s",
			    rc == 0 ? "is missing" : "must be a string");
	if (!published_type(fields->type))
		return fail(I3_UNSUPPORTED_EVENT, why, why_size,
			    "\"logEventType\" \"%.64s\" is not a LogEventType", fields->type);
	fields->kind = kind_of(fields->type);
	if (read_common(fields, why, why_size) != I3_OK ||
	    read_kind(fields, why, why_size) != I3_OK)
		return I3_BAD_EVENT;
	shorten_ids(fields);
	return I3_OK;
}

/* The caller's number in a CallLogEvent's "from" (tel:NUMBER or sip:USER@host), or "". */
static void ani_of(const char *from, char ani[I3_ANI_MAX + 1])
{
	const char *start = from, *end;

	ani[0] = '\0';
	if (!from)
		return;
	if (strncasecmp(from, "tel:", 4) == 0 || strncasecmp(from, "sip:", 4) == 0)
		start = from + 4;
	else if (strncasecmp(from, "sips:", 5) == 0)
		start = from + 5;
	end = start + strcspn(start, "@;>");
	if (end > start && (size_t)(end - start) <= I3_ANI_MAX) {
		memcpy(ani, start, (size_t)(end - start));
		ani[end - start] = '\0';
	}
}

/* Values of an agent state and the operator_state each gives. */
struct i3_state_value {
	const char *value; /* lower-case letters only */
	const char *state;
};

/* Logged on or off: a secondaryAgentState (the Secondary Agent State registry's values are
 * not in the OpenAPI file; these are cadmond's reading), or a primaryAgentState as senders
 * before the schema's enum wrote it. */
static const struct i3_state_value i3_logged_states[] = {
	{ "loggedin", "logged_on" }, { "loggedon", "logged_on" },   { "login", "logged_on" },
	{ "logon", "logged_on" },    { "loggedout", "logged_off" }, { "loggedoff", "logged_off" },
	{ "logout", "logged_off" },  { "logoff", "logged_off" },
};

/* The state of value in states, compared in any case, ignoring all but letters (LoggedIn,
 * Logged-In and logged_in alike); NULL for a value not listed (docs/protocol.md). */
static const char *state_lookup(const char *value, const struct i3_state_value *states,
				size_t count)
{
	char letters[16];
	size_t len = 0;

	for (const char *c = value; c && *c; c++) {
		if (!isalpha((unsigned char)*c))
			continue;
		if (len + 1 >= sizeof letters)
			return NULL;
		letters[len++] = (char)tolower((unsigned char)*c);
	}
	letters[len] = '\0';
	for (size_t i = 0; i < count; i++)
		if (strcmp(letters, states[i].value) == 0)
			return states[i].state;
	return NULL;
}

/* The operator_state of an AgentStateChangeLogEvent: a secondaryAgentState logged in or out
 * first (the schema's primaryAgentState is then NotAvailable or Available, which says less);
 * else the primaryAgentState, the schema's Available and NotAvailable and the values senders
 * wrote before it (docs/protocol.md "Operator state"). NULL: none cadmon maps. */
static const char *operator_state_of(const char *primary, const char *secondary)
{
	static const struct i3_state_value states[] = {
		{ "available", "available" },	     { "ready", "available" },
		{ "notavailable", "not_available" }, { "unavailable", "not_available" },
		{ "notready", "not_available" },     { "busy", "not_available" },
		{ "break", "not_available" },	     { "onbreak", "not_available" },
	};
	const size_t logged_count = sizeof i3_logged_states / sizeof i3_logged_states[0];
	const char *state = state_lookup(secondary, i3_logged_states, logged_count);

	if (!state)
		state = state_lookup(primary, states, sizeof states / sizeof states[0]);
	if (!state)
		state = state_lookup(primary, i3_logged_states, logged_count);
	return state;
}

/* One protocol v1 line: type, call_id (not for operator_state), ts, then the pairs given (NULL or
 * "" values left out). */
static bool emit_line(const struct i3_fields *fields, const char *type, i3_line_fn *emit, void *ctx,
		      const char *const *pairs, size_t pair_count)
{
	struct json_object *line = json_object_new_object();
	bool built = line && json_out_add_string(line, "type", type) &&
		     (fields->kind == I3_KIND_AGENT_STATE ||
		      json_out_add_string(line, "call_id", fields->call_id)) &&
		     json_out_add_string(line, "ts", fields->timestamp);
	const char *text;

	for (size_t i = 0; built && i + 1 < pair_count * 2; i += 2)
		if (pairs[i + 1] && pairs[i + 1][0])
			built = json_out_add_string(line, pairs[i], pairs[i + 1]);
	text = built ? json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE)
		     : NULL;
	if (text)
		emit(text, strlen(text), ctx);
	json_object_put(line);
	return text != NULL;
}

/* An AgentStateChangeLogEvent: an operator_state line when it names the call-taker and a state
 * cadmon maps; else none, counted. */
static unsigned apply_agent_state(struct i3_calls *calls, const struct i3_fields *fields,
				  i3_line_fn *emit, void *ctx)
{
	const char *state = operator_state_of(fields->agent_state, fields->secondary_state);
	const char *const pairs[] = { "operator", fields->agent_id, "agency", fields->agency_id,
				      "position", fields->position_id, "state", state };

	if (!fields->agent_id || !state) {
		calls->stats.agent_states_unmapped++;
		return 0;
	}
	return emit_line(fields, "operator_state", emit, ctx, pairs, 4);
}

/* The effects of a checked log event on the table and the lines it makes. */
static unsigned apply(struct i3_calls *calls, const struct i3_fields *fields, i3_line_fn *emit,
		      void *ctx)
{
	struct i3_call *call;
	unsigned lines = 0;
	char ani[I3_ANI_MAX + 1];

	if (fields->kind == I3_KIND_AGENT_STATE)
		return apply_agent_state(calls, fields, emit, ctx);
	if (!fields->call_id || (fields->kind == I3_KIND_OTHER && !fields->incident_id))
		/* another type tells cadmon something about a call only by its incidentId */
		return 0;
	if (!(call = call_entry(calls, fields->call_id))) {
		calls->stats
			/* no memory for the call: what it says is lost, as if evicted */
			.evicted++;
		return 0;
	}
	if (fields->kind == I3_KIND_CALL_START) {
		ani_of(fields->from, ani);
		if (ani[0])
			memcpy(call->ani, ani, sizeof ani);
	}
	if ((fields->kind == I3_KIND_CALL_START || fields->kind == I3_KIND_STATE_CHANGE) &&
	    fields->direction && !call->directed && !call->started) {
		/* the first direction said decides (a leg added later may go out) */
		call->directed = true;
		call->outgoing = is_outgoing(fields->direction);
		calls->stats.outgoing_calls += call->outgoing;
	}
	if (call->outgoing) {
		/* a call the element placed (a callback): no call-taker answered a caller */
		if (fields->kind == I3_KIND_CALL_END)
			call_forget(calls, fields->call_id);
		return 0;
	}
	if (call->started && call->answered_by != hash_string(fields->element_id) &&
	    (fields->kind == I3_KIND_SIGNALING || fields->kind == I3_KIND_CALL_END)) {
		/* another element on the call's path (a BCF, an ESRP): its BYE's direction is not
		 * the call-taker's side, and the call ends where it was answered */
		calls->stats.other_element_events++;
		return 0;
	}
	if (fields->kind == I3_KIND_STATE_CHANGE && !call->started && fields->agent_id &&
	    strcasecmp(fields->state, "answered") == 0) {
		const char *const pairs[] = { "operator", fields->agent_id,
					      "agency",	  fields->agency_id,
					      "position", fields->position_id,
					      "ani",	  call->ani };

		call->started = true;
		call->answered_by = hash_string(fields->element_id);
		lines += emit_line(fields, "call_start", emit, ctx, pairs, 4);
	}
	if (fields->kind == I3_KIND_SIGNALING && !call->bye &&
	    strncmp(fields->text, "BYE ", 4) == 0) {
		call->bye = strcmp(fields->direction, "outgoing") == 0
				    ? calls->settings.bye_outgoing
				    : calls->settings.bye_incoming;
		calls->stats.byes++;
	}
	if (fields->incident_id && !call->incident) {
		const char *const pairs[] = { "incident_id", fields->incident_id };

		call->incident = true;
		lines += emit_line(fields, "incident", emit, ctx, pairs, 1);
	}
	if (fields->kind == I3_KIND_TRANSFER) {
		const char *const pairs[] = { "to", fields->target };

		lines += emit_line(fields, "transfer", emit, ctx, pairs, 1);
	}
	if (fields->kind == I3_KIND_CALL_END) {
		enum released_by bye = call->bye ? call->bye : RELEASED_BY_UNKNOWN;
		const char *const pairs[] = { "released_by", event_released_by_name(bye) };

		lines += emit_line(fields, "call_end", emit, ctx, pairs, 1);
		call_forget(calls, fields->call_id);
	}
	return lines;
}

enum i3_status i3_calls_map(struct i3_calls *calls, const char *payload, size_t len,
			    i3_element_fn *admit, i3_line_fn *emit, void *ctx,
			    struct i3_event_info *info, char *why, size_t why_size)
{
	struct i3_fields fields = { .object = parse_strict(payload, len) };
	enum i3_status status;

	memset(info, 0, sizeof *info);
	if (!fields.object || !json_object_is_type(fields.object, json_type_object)) {
		json_object_put(fields.object);
		return fail(I3_BAD_JSON, why, why_size, "the payload is not a JSON object");
	}
	status = read_fields(&fields, why, why_size);
	if (fields.type)
		snprintf(info->log_event_type, sizeof info->log_event_type, "%s", fields.type);
	if (status == I3_OK) {
		snprintf(info->element_id, sizeof info->element_id, "%s", fields.element_id);
		if (admit && !admit(fields.element_id, ctx, why, why_size))
			status = I3_WRONG_ELEMENT;
	}
	if (status == I3_OK) {
		calls->stats.ids_shortened += fields.shortened;
		info->lines = apply(calls, &fields, emit, ctx);
	}
	json_object_put(fields.object);
	return status;
}
