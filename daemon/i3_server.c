/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "i3_server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <json-c/json.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "engine.h"
#include "event.h"
#include "cadmon-version.h"
#include "hostclock.h"
#include "limitwatch.h"
#include "log.h"

static const char *const i3_result_names[I3_RESULT_COUNT] = {
	[I3_RESULT_ACCEPTED] = "accepted",
	[I3_RESULT_IGNORED] = "ignored",
	[I3_RESULT_BAD_JWS] = "bad_jws",
	[I3_RESULT_BAD_ALGORITHM] = "bad_algorithm",
	[I3_RESULT_BAD_JSON] = "bad_json",
	[I3_RESULT_BAD_EVENT] = "bad_event",
	[I3_RESULT_UNSUPPORTED_EVENT] = "unsupported_event",
	[I3_RESULT_UNKNOWN_KID] = "unknown_kid",
	[I3_RESULT_BAD_SIGNATURE] = "bad_signature",
	[I3_RESULT_TOO_BIG] = "too_big",
	[I3_RESULT_BUSY] = "busy",
	[I3_RESULT_WRONG_ELEMENT] = "wrong_element",
};

const char *i3_result_name(enum i3_result result)
{
	return (unsigned)result < I3_RESULT_COUNT ? i3_result_names[result] : "?";
}

/* The status and reason phrase of each result (NENA911/Logging-Service loggingservice.yaml). */
static const struct {
	int code;
	const char *phrase;
} i3_answers[I3_RESULT_COUNT] = {
	[I3_RESULT_ACCEPTED] = { 201, "Created" },
	[I3_RESULT_IGNORED] = { 201, "Created" },
	[I3_RESULT_BAD_JWS] = { 460, "Bad LogEvent" },
	[I3_RESULT_BAD_ALGORITHM] = { 438, "Unacceptable Algorithm" },
	[I3_RESULT_BAD_JSON] = { 460, "Bad LogEvent" },
	[I3_RESULT_BAD_EVENT] = { 460, "Bad LogEvent" },
	[I3_RESULT_UNSUPPORTED_EVENT] = { 460, "Bad LogEvent" },
	[I3_RESULT_UNKNOWN_KID] = { 434, "Signature Verification Failure" },
	[I3_RESULT_BAD_SIGNATURE] = { 434, "Signature Verification Failure" },
	[I3_RESULT_TOO_BIG] = { 461, "LogEvent too big" },
	[I3_RESULT_BUSY] = { 503, "Service Unavailable" },
	[I3_RESULT_WRONG_ELEMENT] = { 434, "Signature Verification Failure" },
};

/* "urn:emergency:uid:logid:" + 32 hex digits + ":cadmon", and its NUL. */
#define I3_LOG_EVENT_ID_MAX 64

struct i3_key {
	char kid[CONFIG_I3_KID_MAX];
	EVP_PKEY *key;
	enum i3_algorithm algorithm; /* what the key signs with: EC P-256 ES256, RSA RS256 */
	char elements[CONFIG_MAX_I3_KEY_ELEMENTS][CONFIG_SOURCE_NAME_MAX]; /* may sign for */
	size_t element_count;                                              /* 0: any element */
};

/* A request whose lines are not durable yet. */
struct i3_pending {
	struct evhttp_request *request;
	uint64_t
		/* answered once the journal is durable up to here (UINT64_MAX: all) */
		durable_index;
	char log_event_id[I3_LOG_EVENT_ID_MAX];
};

struct i3_server {
	struct engine *engine;
	struct feed_journal journal;
	struct i3_calls calls;
	struct i3_key keys[CONFIG_MAX_I3_KEYS];
	size_t key_count;
	bool require_signature;
	uint32_t max_body_bytes;
	struct i3_pending *pending; /* max_pending entries, the first stats.pending in use */
	uint32_t max_pending;
	struct i3_server_stats stats;
	struct limitwatch evictions; /* calls forgotten by a full i3.max_calls: a limit alert */
	uint32_t max_calls;
	struct log_limit evict_log;
	struct log_limit refusal_log;
	struct log_limit line_log;
};

/* What the lines of one request need while they are made. */
struct i3_request {
	struct i3_server *server;
	const struct i3_event_info *info;
	const struct i3_key *signer; /* the key that verified it; NULL: unverified */
	const char *peer;
	uint64_t durable_index; /* the highest record index journaled (UINT64_MAX: one was not) */
};

/* ---- keys --------------------------------------------------------------------------------- */

/* Read one configured key; false with why. */
static bool i3_key_load(struct i3_key *key, const struct config_i3_key *config, char *why,
			size_t why_size)
{
	FILE *file = fopen(config->file, "r");

	snprintf(key->kid, sizeof key->kid, "%s", config->kid);
	memcpy(key->elements, config->elements, sizeof key->elements);
	key->element_count = config->element_count;
	if (!file) {
		snprintf(why, why_size, "i3.public_keys %s: %s: %s", config->kid, config->file,
			 strerror(errno));
		return false;
	}
	key->key = PEM_read_PUBKEY(file, NULL, NULL, NULL);
	fclose(file);
	if (!key->key) {
		snprintf(why, why_size, "i3.public_keys %s: %s: not a PEM public key", config->kid,
			 config->file);
		return false;
	}
	if (EVP_PKEY_base_id(key->key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key->key) == 256) {
		key->algorithm = I3_ES256;
		return true;
	}
	if (EVP_PKEY_base_id(key->key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key->key) >= 2048) {
		key->algorithm = I3_RS256;
		return true;
	}
	snprintf(why, why_size,
		 "i3.public_keys %s: %s: must be an EC P-256 key (ES256) or an RSA key of 2048 "
		 "bits or more (RS256)",
		 config->kid, config->file);
	return false;
}

bool i3_server_check_keys(const struct config *config, char *why, size_t why_size)
{
	for (size_t i = 0; i < config->i3.public_key_count; i++) {
		struct i3_key key = { .key = NULL };
		bool ok = i3_key_load(&key, &config->i3.public_keys[i], why, why_size);

		EVP_PKEY_free(key.key);
		if (!ok)
			return false;
	}
	return true;
}

static const struct i3_key *i3_key_find(const struct i3_server *server, const char *kid)
{
	for (size_t i = 0; i < server->key_count; i++)
		if (strcmp(server->keys[i].kid, kid) == 0)
			return &server->keys[i];
	return NULL;
}

/* ES256's r || s (64 bytes) as the DER ECDSA-Sig-Value EVP verifies; its length, 0 on failure. */
static int i3_es256_der(const unsigned char *raw, unsigned char **der)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	int len = 0;

	if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL; /* owned by sig now */
		len = i2d_ECDSA_SIG(sig, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return len > 0 ? len : 0;
}

/* Does jws's signature verify with key? */
static bool i3_signature_valid(const struct i3_key *key, const struct i3_jws *jws)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	const unsigned char *signature = jws->signature;
	size_t signature_len = jws->signature_len;
	bool valid = false;

	if (jws->algorithm == I3_ES256) {
		int der_len = i3_es256_der(jws->signature, &der);
		signature = der;
		signature_len = (size_t)der_len;
	}
	if (md && signature_len > 0 &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->key) == 1)
		valid = EVP_DigestVerify(md, signature, signature_len,
					 (const unsigned char *)jws->signing_input,
					 jws->signing_input_len) == 1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	return valid;
}

/*
 * The signature against the key of its kid: I3_RESULT_ACCEPTED when it verifies (*signer the
 * key; or, with require_signature false, when the kid is not configured: counted unverified,
 * *signer NULL), else the refusal with why.
 */
static enum i3_result i3_verify(struct i3_server *server, const struct i3_jws *jws,
				const struct i3_key **signer, char *why, size_t why_size)
{
	const struct i3_key *key = i3_key_find(server, jws->kid);

	*signer = NULL;
	if (!key && server->require_signature) {
		snprintf(why, why_size, "no public key for kid \"%s\" (i3.public_keys)", jws->kid);
		return I3_RESULT_UNKNOWN_KID;
	}
	if (!key) {
		server->stats.unverified++;
		return I3_RESULT_ACCEPTED;
	}
	if (key->algorithm != jws->algorithm) {
		snprintf(why, why_size, "kid \"%s\" is a%s key, the JWS says %s", jws->kid,
			 key->algorithm == I3_ES256 ? "n EC P-256" : "n RSA",
			 jws->algorithm == I3_ES256 ? "ES256" : "RS256");
		return I3_RESULT_BAD_SIGNATURE;
	}
	if (!i3_signature_valid(key, jws)) {
		snprintf(why, why_size, "the signature does not verify with kid \"%s\"", jws->kid);
		return I3_RESULT_BAD_SIGNATURE;
	}
	*signer = key;
	return I3_RESULT_ACCEPTED;
}

/* i3_element_fn: may the request's signing key sign for element_id (i3.public_keys[].elements;
 * none listed, or unverified: any)? */
static bool i3_admit_element(const char *element_id, void *ctx, char *why, size_t why_size)
{
	const struct i3_key *signer = ((const struct i3_request *)ctx)->signer;

	if (!signer || signer->element_count == 0)
		return true;
	for (size_t i = 0; i < signer->element_count; i++)
		if (strcmp(signer->elements[i], element_id) == 0)
			return true;
	snprintf(why, why_size,
		 "kid \"%s\" may not sign for element \"%s\" (i3.public_keys[].elements)",
		 signer->kid, element_id);
	return false;
}

/* ---- the server ---------------------------------------------------------------------------- */

struct i3_server *i3_server_new(struct engine *engine, const struct config *config,
				const struct feed_journal *journal, char *why, size_t why_size)
{
	struct i3_server *server = calloc(1, sizeof *server);
	const struct i3_settings settings = { .max_calls = config->i3.max_calls,
					      .bye_outgoing = config->i3.bye_outgoing_released_by,
					      .bye_incoming = config->i3.bye_incoming_released_by };

	if (!server || i3_calls_init(&server->calls, &settings) != 0 ||
	    !(server->pending = calloc(config->i3.max_pending_requests, sizeof *server->pending))) {
		snprintf(why, why_size, "cannot start: out of memory");
		i3_server_free(server);
		return NULL;
	}
	server->engine = engine;
	server->journal = *journal;
	server->require_signature = config->i3.require_signature;
	server->max_body_bytes = config->i3.max_body_bytes;
	server->max_pending = config->i3.max_pending_requests;
	log_limit_init(&server->refusal_log, config->log.rate_limit_seconds,
		       "i3 refused log events");
	log_limit_init(&server->line_log, config->log.rate_limit_seconds, "i3 rejected lines");
	log_limit_init(&server->evict_log, config->log.rate_limit_seconds, "i3 calls forgotten");
	limitwatch_init(&server->evictions, hostclock_monotonic_ms());
	server->max_calls = config->i3.max_calls;
	for (size_t i = 0; i < config->i3.public_key_count; i++) {
		if (!i3_key_load(&server->keys[i], &config->i3.public_keys[i], why, why_size)) {
			server->key_count = i + 1;
			i3_server_free(server);
			return NULL;
		}
		server->key_count = i + 1;
	}
	log_msg(LOG_NOTICE,
		"i3: POST /LogEvents on the HTTP listener: %zu public key%s, signatures %s",
		server->key_count, server->key_count == 1 ? "" : "s",
		server->require_signature ? "required" : "verified when their kid is known");
	return server;
}

/* Answer request with a JSON body: the logEventId string, or {"error": why}. */
static void i3_answer(struct evhttp_request *request, enum i3_result result, const char *text)
{
	struct evbuffer *body = evbuffer_new();
	struct json_object *object = result <= I3_RESULT_IGNORED ? json_object_new_string(text)
								 : json_object_new_object();

	if (object && result > I3_RESULT_IGNORED)
		json_object_object_add(object, "error", json_object_new_string(text));
	if (!body || !object) {
		evhttp_send_error(request, 500, NULL);
	} else {
		evbuffer_add_printf(
			body, "%s\n",
			json_object_to_json_string_ext(
				object, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		evhttp_add_header(evhttp_request_get_output_headers(request), "Content-Type",
				  "application/json");
		evhttp_add_header(evhttp_request_get_output_headers(request), "Cache-Control",
				  "no-store");
		evhttp_send_reply(request, i3_answers[result].code, i3_answers[result].phrase,
				  body);
	}
	json_object_put(object);
	if (body)
		evbuffer_free(body);
}

void i3_server_close_all(struct i3_server *server)
{
	if (!server)
		return;
	for (uint32_t i = 0; i < server->stats.pending; i++)
		i3_answer(server->pending[i].request, I3_RESULT_BUSY,
			  "cadmond is stopping: send the log event again");
	server->stats.pending = 0;
}

void i3_server_free(struct i3_server *server)
{
	if (!server)
		return;
	i3_server_close_all(server);
	for (size_t i = 0; i < server->key_count; i++)
		EVP_PKEY_free(server->keys[i].key);
	log_limit_flush(&server->refusal_log);
	log_limit_flush(&server->line_log);
	log_limit_flush(&server->evict_log);
	i3_calls_release(&server->calls);
	free(server->pending);
	free(server);
}

static const char *i3_peer(struct evhttp_request *request, char *out, size_t size)
{
	char *address = NULL;
	ev_uint16_t port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(request), &address, &port);
	snprintf(out, size, "%s:%u", address ? address : "?", (unsigned)port);
	return out;
}

/* why for the log: a control character the sender put in it (a kid, a type) becomes '?'. */
static const char *i3_printable(const char *why, char *out, size_t size)
{
	size_t i = 0;

	for (; why[i] && i + 1 < size; i++)
		out[i] = (unsigned char)why[i] < 0x20 || why[i] == 0x7f ? '?' : why[i];
	out[i] = '\0';
	return out;
}

/* A refused request: counted, logged (rate-limited), answered. */
static void i3_refuse(struct i3_server *server, struct evhttp_request *request,
		      enum i3_result result, const char *why)
{
	char peer[96], printable[256];

	server->stats.results[result]++;
	log_limited(&server->refusal_log, LOG_WARNING, "i3 %s: POST /LogEvents: %d %s: %s",
		    i3_peer(request, peer, sizeof peer), i3_answers[result].code,
		    i3_result_name(result), i3_printable(why, printable, sizeof printable));
	i3_answer(request, result, why);
}

/* One line of a log event: journaled, then the engine, as a feed line of source elementId. */
static void i3_process_line(const char *line, size_t len, void *ctx)
{
	struct i3_request *request = ctx;
	struct i3_server *server = request->server;
	const struct engine_origin origin = { .source = request->info->element_id,
					      .named = true,
					      .epoch = "",
					      .first_of_connection = true,
					      .received_ms = hostclock_wall_ms() };
	struct engine_verdict verdict;
	uint64_t index = 0;

	if (server->journal.heard)
		server->journal.heard(server->journal.ctx, request->info->element_id,
				      request->peer);
	if (server->journal.append_line)
		index = server->journal.append_line(server->journal.ctx, &origin, line, len);
	if (index == 0)
		request->durable_index =
			UINT64_MAX; /* not journaled (degraded): durable once all is */
	else if (request->durable_index != UINT64_MAX && index > request->durable_index)
		request->durable_index = index;
	engine_process_from(server->engine, &origin, line, len, &verdict);
	if (verdict.reject == EVENT_OK && server->journal.admitted)
		server->journal.admitted(server->journal.ctx, request->info->element_id,
					 request->peer);
	server->stats.lines++;
	if (verdict.reject != EVENT_OK)
		log_limited(&server->line_log, LOG_WARNING,
			    "i3 element %s: %s line rejected: %s: %s", request->info->element_id,
			    request->info->log_event_type, event_reject_name(verdict.reject),
			    verdict.why);
}

struct json_object *i3_versions(void)
{
	struct json_object *object = json_object_new_object(), *versions = json_object_new_array(),
			   *version = json_object_new_object();

	if (!object || !versions || !version) {
		json_object_put(object);
		json_object_put(versions);
		json_object_put(version);
		return NULL;
	}
	json_object_object_add(version, "major", json_object_new_int(I3_INTERFACE_MAJOR));
	json_object_object_add(version, "minor", json_object_new_int(I3_INTERFACE_MINOR));
	json_object_array_add(versions, version);
	json_object_object_add(object, "versions", versions);
	json_object_object_add(object, "fingerprint",
			       json_object_new_string("cadmond " CADMON_VERSION));
	return object;
}

/* The log event's identifier: from the SHA-256 of its signing input, so a resend gets the same. */
static void i3_log_event_id(const struct i3_jws *jws, char out[I3_LOG_EVENT_ID_MAX])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char hex[33];

	EVP_Digest(jws->signing_input, jws->signing_input_len, digest, &digest_len, EVP_sha256(),
		   NULL);
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest_len > i ? digest[i] : 0);
	snprintf(out, I3_LOG_EVENT_ID_MAX, "urn:emergency:uid:logid:%s:cadmon", hex);
}

static enum i3_result i3_result_of(enum i3_status status)
{
	switch (status) {
	case I3_BAD_ALGORITHM:
		return I3_RESULT_BAD_ALGORITHM;
	case I3_BAD_JSON:
		return I3_RESULT_BAD_JSON;
	case I3_BAD_EVENT:
		return I3_RESULT_BAD_EVENT;
	case I3_UNSUPPORTED_EVENT:
		return I3_RESULT_UNSUPPORTED_EVENT;
	case I3_WRONG_ELEMENT:
		return I3_RESULT_WRONG_ELEMENT;
	default:
		return I3_RESULT_BAD_JWS;
	}
}

/* Calls forgotten by a full i3.max_calls table since the last request: logged, and counted
 * for the limit alert (i3_server_tick). */
static void i3_note_evictions(struct i3_server *server)
{
	if (server->stats.calls_evicted <= server->evictions.hits)
		return;
	limitwatch_count(&server->evictions, server->stats.calls_evicted, hostclock_monotonic_ms());
	log_limited(&server->evict_log, LOG_WARNING,
		    "i3: call table full (i3.max_calls %" PRIu32
		    "): oldest calls forgotten, %" PRIu64 " so far",
		    server->max_calls, server->stats.calls_evicted);
}

/* A JWS verified with signer (NULL: unverified): its log event mapped and its lines processed
 * when signer may sign for its elementId; answered now or when durable. */
static void i3_take(struct i3_server *server, struct evhttp_request *request,
		    const struct i3_jws *jws, const struct i3_key *signer)
{
	struct i3_event_info info;
	char why[256], peer[96], id[I3_LOG_EVENT_ID_MAX];
	struct i3_request state = { .server = server,
				    .info = &info,
				    .signer = signer,
				    .peer = i3_peer(request, peer, sizeof peer) };
	enum i3_status status =
		i3_calls_map(&server->calls, jws->payload, jws->payload_len, i3_admit_element,
			     i3_process_line, &state, &info, why, sizeof why);

	server->stats.calls = i3_calls_count(&server->calls);
	server->stats.calls_evicted = server->calls.stats.evicted;
	i3_note_evictions(server);
	server->stats.agent_states_unmapped = server->calls.stats.agent_states_unmapped;
	server->stats.outgoing_calls = server->calls.stats.outgoing_calls;
	server->stats.ids_shortened = server->calls.stats.ids_shortened;
	server->stats.other_element_events = server->calls.stats.other_element_events;
	if (status != I3_OK) {
		i3_refuse(server, request, i3_result_of(status), why);
		return;
	}
	i3_log_event_id(jws, id);
	if (info.lines == 0) {
		server->stats.results[I3_RESULT_IGNORED]++;
		i3_answer(request, I3_RESULT_IGNORED, id);
		return;
	}
	server->stats.results[I3_RESULT_ACCEPTED]++;
	server->pending[server->stats.pending++] =
		(struct i3_pending){ .request = request, .durable_index = state.durable_index };
	memcpy(server->pending[server->stats.pending - 1].log_event_id, id, sizeof id);
}

void i3_server_post(struct i3_server *server, struct evhttp_request *request)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(request);
	size_t len = evbuffer_get_length(input);
	struct i3_jws jws;
	const struct i3_key *signer;
	enum i3_status status;
	enum i3_result result;
	char why[256];

	if (len > server->max_body_bytes) {
		snprintf(why, sizeof why,
			 "the body is %zu bytes, over the %" PRIu32 " allowed (i3.max_body_bytes)",
			 len, server->max_body_bytes);
		i3_refuse(server, request, I3_RESULT_TOO_BIG, why);
		return;
	}
	if (server->stats.pending >= server->max_pending) {
		snprintf(why, sizeof why,
			 "%" PRIu32
			 " requests wait for the journal already (i3.max_pending_requests)",
			 server->stats.pending);
		i3_refuse(server, request, I3_RESULT_BUSY, why);
		return;
	}
	if (len == 0) {
		i3_refuse(server, request, I3_RESULT_BAD_JWS,
			  "the body is empty: a JWS in flattened JSON serialization is expected");
		return;
	}
	status =
		i3_jws_decode((const char *)evbuffer_pullup(input, -1), len, &jws, why, sizeof why);
	if (status != I3_OK) {
		i3_refuse(server, request, i3_result_of(status), why);
		return;
	}
	result = i3_verify(server, &jws, &signer, why, sizeof why);
	if (result != I3_RESULT_ACCEPTED)
		i3_refuse(server, request, result, why);
	else
		i3_take(server, request, &jws, signer);
	i3_jws_release(&jws);
}

void i3_server_acknowledge(struct i3_server *server, uint64_t durable_index)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < server->stats.pending; i++) {
		struct i3_pending *pending = &server->pending[i];

		if (pending->durable_index <= durable_index)
			i3_answer(pending->request, I3_RESULT_ACCEPTED, pending->log_event_id);
		else
			server->pending[kept++] = *pending;
	}
	server->stats.pending = kept;
}

const struct i3_server_stats *i3_server_stats(struct i3_server *server)
{
	return &server->stats;
}

void i3_server_tick(struct i3_server *server, int64_t now_ms, uint32_t quiet_seconds,
		    const struct limitwatch_hooks *hooks)
{
	const struct control about = { .kind = CONTROL_CONNECTION_LIMIT, .key = I3_CALLS_KEY };

	if (server && limitwatch_tick(&server->evictions, &about, quiet_seconds, now_ms, hooks) ==
			      LIMITWATCH_RESOLVED)
		log_msg(LOG_NOTICE,
			"i3: no call forgotten for %" PRIu32 " s (%s); %" PRIu64 " in all",
			quiet_seconds, I3_CALLS_KEY, server->evictions.hits);
}
