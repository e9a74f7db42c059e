/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "tls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "listener.h"
#include "log.h"

struct tls_context {
	SSL_CTX *ssl_context;
	char certificate_path[CONFIG_PATH_MAX]; /* for the log */
};

/* What the info callback needs to count and log a failure: one per listener, found through
 * the SSL's ex_data. */
struct tls_listener_state {
	struct tls_server *server;
	enum tls_listener listener;
	struct log_limit failure_log[TLS_FAILURE_COUNT]; /* each reason its own limit */
	uint64_t failures[TLS_FAILURE_COUNT];
};

struct tls_server {
	struct tls_context *context;
	int verify_mode[TLS_LISTENER_COUNT]; /* SSL_VERIFY_* per listener */
	bool serves[TLS_LISTENER_COUNT];     /* which listeners are TLS (fixed at start) */
	struct tls_listener_state listeners[TLS_LISTENER_COUNT];
};

static const char *const listener_names[TLS_LISTENER_COUNT] = {
	[TLS_LISTENER_FEED] = "feed",
	[TLS_LISTENER_ALERTS] = "alerts",
	[TLS_LISTENER_HTTP] = "http",
};

static const char *const failure_names[TLS_FAILURE_COUNT] = {
	[TLS_FAILURE_NO_CLIENT_CERTIFICATE] = "no_client_certificate",
	[TLS_FAILURE_UNKNOWN_CA] = "unknown_ca",
	[TLS_FAILURE_CERTIFICATE_EXPIRED] = "certificate_expired",
	[TLS_FAILURE_CERTIFICATE_INVALID] = "certificate_invalid",
	[TLS_FAILURE_PROTOCOL_VERSION] = "protocol_version",
	[TLS_FAILURE_NO_SHARED_CIPHER] = "no_shared_cipher",
	[TLS_FAILURE_NOT_TLS] = "not_tls",
	[TLS_FAILURE_CLIENT_ALERT] = "client_alert",
	[TLS_FAILURE_CLOSED] = "closed",
	[TLS_FAILURE_OTHER] = "other",
	[TLS_FAILURE_SOURCE_MISMATCH] = "source_mismatch",
	[TLS_FAILURE_NO_HELLO] = "no_hello",
};

const char *tls_listener_name(enum tls_listener listener)
{
	return (unsigned)listener < TLS_LISTENER_COUNT ? listener_names[listener] : "?";
}

const char *tls_failure_name(enum tls_failure failure)
{
	return (unsigned)failure < TLS_FAILURE_COUNT ? failure_names[failure] : "?";
}

/* The SSL ex_data slot holding the connection's struct tls_listener_state. */
static int listener_index = -1;

/* ---- the context ------------------------------------------------------------------- */

/* OpenSSL's reason for the first error queued (the cause; later ones are the callers'), or
 * fallback; the error queue is cleared. */
static const char *openssl_reason(const char *fallback)
{
	unsigned long error = ERR_peek_error();
	const char *reason = error ? ERR_reason_error_string(error) : NULL;

	ERR_clear_error();
	return reason ? reason : fallback;
}

/* The file exists and is readable as a file: else why names key and path. */
static int check_file(const char *key, const char *path, struct stat *st, char *why,
		      size_t why_size)
{
	if (stat(path, st) < 0) {
		snprintf(why, why_size, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, why_size, "%s %s: not a regular file", key, path);
		return -1;
	}
	return 0;
}

/* The private key must be the service's alone. */
static int check_key_mode(const char *path, char *why, size_t why_size)
{
	struct stat st;

	if (check_file("tls.key", path, &st, why, why_size) < 0)
		return -1;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, why_size,
			 "tls.key %s has mode %04o: it must not be accessible to group or other "
			 "(chmod 600 %s)",
			 path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* The key loaded is not the certificate's (OpenSSL checks it as the key is loaded). */
static bool key_mismatch(void)
{
	unsigned long error = ERR_peek_error();

	return ERR_GET_LIB(error) == ERR_LIB_X509 &&
	       ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH;
}

/* Certificate chain and key, checked to match. */
/* An ASN1 time as OpenSSL prints it ("Jan  2 00:00:00 2020 GMT"); "?" when it cannot. */
static void time_text(const ASN1_TIME *time, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());

	snprintf(out, size, "?");
	if (bio && ASN1_TIME_print(bio, time) == 1) {
		int len = BIO_read(bio, out, (int)size - 1);
		out[len > 0 ? len : 0] = '\0';
	}
	BIO_free(bio);
}

/* A server certificate outside its validity now would be refused by every client: refused
 * here (at start, by -n, and by a reload, which then keeps the running one). */
static int check_validity(X509 *served, const char *path, char *why, size_t why_size)
{
	char date[64];

	if (!served)
		return 0;
	if (X509_cmp_current_time(X509_get0_notAfter(served)) < 0) {
		time_text(X509_get0_notAfter(served), date, sizeof date);
		snprintf(why, why_size, "tls.certificate %s expired on %s", path, date);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(served)) > 0) {
		time_text(X509_get0_notBefore(served), date, sizeof date);
		snprintf(why, why_size, "tls.certificate %s is not valid before %s", path, date);
		return -1;
	}
	return 0;
}

static int load_identity(SSL_CTX *ssl_context, const struct config *config, char *why,
			 size_t why_size)
{
	const char *certificate = config->tls.certificate, *key = config->tls.key;
	struct stat st;

	if (check_file("tls.certificate", certificate, &st, why, why_size) < 0 ||
	    check_key_mode(key, why, why_size) < 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ssl_context, certificate) != 1) {
		snprintf(why, why_size, "tls.certificate %s: %s", certificate,
			 openssl_reason("cannot load"));
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ssl_context, key, SSL_FILETYPE_PEM) != 1 &&
	    !key_mismatch()) {
		snprintf(why, why_size, "tls.key %s: %s", key, openssl_reason("cannot load"));
		return -1;
	}
	if (SSL_CTX_check_private_key(ssl_context) != 1 || ERR_peek_error()) {
		snprintf(why, why_size, "tls.key %s does not match tls.certificate %s: %s", key,
			 certificate, openssl_reason("key values mismatch"));
		return -1;
	}
	return check_validity(SSL_CTX_get0_certificate(ssl_context), certificate, why, why_size);
}

/* The CAs that sign client certificates: trusted for verification, and named to clients. */
static int load_client_ca(SSL_CTX *ssl_context, const char *path, char *why, size_t why_size)
{
	STACK_OF(X509_NAME) *names;
	struct stat st;

	if (!path[0])
		return 0;
	if (check_file("tls.client_ca", path, &st, why, why_size) < 0)
		return -1;
	if (SSL_CTX_load_verify_locations(ssl_context, path, NULL) != 1 ||
	    !(names = SSL_load_client_CA_file(path))) {
		snprintf(why, why_size, "tls.client_ca %s: %s", path,
			 openssl_reason("no certificate in it"));
		return -1;
	}
	SSL_CTX_set_client_CA_list(ssl_context, names);
	return 0;
}

/* Versions, ciphers and options: the policy of docs/security.md, "TLS and mutual TLS". */
static int set_policy(SSL_CTX *ssl_context, const struct config *config, char *why, size_t why_size)
{
	int min_version =
		config->tls.min_version == CONFIG_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;

	SSL_CTX_set_options(ssl_context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
						 SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* the chain sent is tls.certificate as written, never completed from tls.client_ca */
	SSL_CTX_set_mode(ssl_context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
	if (SSL_CTX_set_min_proto_version(ssl_context, min_version) != 1) {
		snprintf(why, why_size, "tls.min_version: %s", openssl_reason("not supported"));
		return -1;
	}
	if (SSL_CTX_set_cipher_list(ssl_context, config->tls.ciphers) != 1) {
		snprintf(why, why_size, "tls.ciphers \"%s\": %s", config->tls.ciphers,
			 openssl_reason("selects no cipher"));
		return -1;
	}
	return 0;
}

/* Why a failed handshake failed (from the error queue and the verification result), and the
 * text for the log. */
static enum tls_failure classify_verify(const SSL *ssl, char *text, size_t size, const char *reason)
{
	long result = SSL_get_verify_result(ssl);

	snprintf(text, size, "%s (%s)", reason, X509_verify_cert_error_string(result));
	switch (result) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_FAILURE_CERTIFICATE_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return TLS_FAILURE_UNKNOWN_CA;
	default:
		return TLS_FAILURE_CERTIFICATE_INVALID;
	}
}

static enum tls_failure classify(const SSL *ssl, unsigned long error, char *text, size_t size)
{
	const char *reason = ERR_reason_error_string(error);
	int code = ERR_GET_REASON(error);

	snprintf(text, size, "%s", reason ? reason : "unknown error");
	if (ERR_GET_LIB(error) != ERR_LIB_SSL)
		return TLS_FAILURE_OTHER;
	if (code >= SSL_AD_REASON_OFFSET)
		return TLS_FAILURE_CLIENT_ALERT;
	switch (code) {
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return TLS_FAILURE_NO_CLIENT_CERTIFICATE;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return classify_verify(ssl, text, size,
				       reason ? reason : "certificate verify failed");
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
		return TLS_FAILURE_PROTOCOL_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
		return TLS_FAILURE_NO_SHARED_CIPHER;
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
		return TLS_FAILURE_NOT_TLS;
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return TLS_FAILURE_CLOSED;
	default:
		return TLS_FAILURE_OTHER;
	}
}

/* "127.0.0.1:41234" of the connection's socket, "?" when unknown. */
static void peer_of(const SSL *ssl, char *peer, size_t size)
{
	struct sockaddr_storage address;
	socklen_t len = sizeof address;
	int fd = SSL_get_fd(ssl);

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&address, &len) < 0) {
		snprintf(peer, size, "?");
		return;
	}
	listener_format_address((const struct sockaddr *)&address, len, peer, size);
}

/*
 * OpenSSL reports the end of each handshake step: a step that failed (ret <= 0 with an error
 * queued, not merely waiting for bytes) before the handshake completed is the connection's
 * one failure, counted and logged here for every listener, evhttp's included.
 */
static void on_info(const SSL *ssl, int where, int ret)
{
	struct tls_listener_state *state;
	char text[256], peer[LISTENER_ADDRESS_TEXT_MAX];
	unsigned long error;
	enum tls_failure failure;

	if (!(where & SSL_CB_EXIT) || ret > 0 || SSL_is_init_finished(ssl) ||
	    !(error = ERR_peek_last_error()) || !(state = SSL_get_ex_data(ssl, listener_index)))
		return;
	failure = classify(ssl, error, text, sizeof text);
	state->failures[failure]++;
	peer_of(ssl, peer, sizeof peer);
	log_limited(&state->failure_log[failure],
		    failure == TLS_FAILURE_CLOSED ? LOG_INFO : LOG_WARNING,
		    "%s %s: TLS handshake failed: %s", listener_names[state->listener], peer, text);
}

/* The subject, serial and notAfter of the certificate new connections get, for the log. */
static void log_certificate(const struct tls_context *context)
{
	X509 *certificate = SSL_CTX_get0_certificate(context->ssl_context);
	char subject[256] = "?", not_after[64];
	char *serial = NULL;
	BIGNUM *number;

	if (!certificate)
		return;
	X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof subject);
	if ((number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), NULL))) {
		serial = BN_bn2hex(number);
		BN_free(number);
	}
	time_text(X509_get0_notAfter(certificate), not_after, sizeof not_after);
	log_msg(LOG_INFO, "tls: certificate %s: %s, serial %s, valid until %s",
		context->certificate_path, subject, serial ? serial : "?", not_after);
	OPENSSL_free(serial);
}

bool tls_wanted(const struct config *config)
{
	return config->feed.tls || config->alerts.tls || config->http.tls;
}

struct tls_context *tls_context_new(const struct config *config, char *why, size_t why_size)
{
	struct tls_context *context = calloc(1, sizeof *context);

	ERR_clear_error();
	if (listener_index < 0)
		listener_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (!context || listener_index < 0 ||
	    !(context->ssl_context = SSL_CTX_new(TLS_server_method()))) {
		snprintf(why, why_size, "tls: cannot create a TLS context: %s",
			 openssl_reason("out of memory"));
		tls_context_free(context);
		return NULL;
	}
	SSL_CTX_set_info_callback(context->ssl_context, on_info);
	if (set_policy(context->ssl_context, config, why, why_size) < 0 ||
	    load_identity(context->ssl_context, config, why, why_size) < 0 ||
	    load_client_ca(context->ssl_context, config->tls.client_ca, why, why_size) < 0) {
		tls_context_free(context);
		return NULL;
	}
	snprintf(context->certificate_path, sizeof context->certificate_path, "%s",
		 config->tls.certificate);
	return context;
}

void tls_context_free(struct tls_context *context)
{
	if (!context)
		return;
	SSL_CTX_free(context->ssl_context);
	free(context);
}

/* ---- the server ---------------------------------------------------------------------- */

static int verify_mode(bool tls, bool require_client_certificate, const struct config *config)
{
	if (!tls || !config->tls.client_ca[0])
		return SSL_VERIFY_NONE;
	return SSL_VERIFY_PEER | (require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
}

static void set_verify_modes(struct tls_server *server, const struct config *config)
{
	server->verify_mode[TLS_LISTENER_FEED] =
		verify_mode(config->feed.tls, config->feed.require_client_certificate, config);
	server->verify_mode[TLS_LISTENER_ALERTS] =
		verify_mode(config->alerts.tls, config->alerts.require_client_certificate, config);
	server->verify_mode[TLS_LISTENER_HTTP] = SSL_VERIFY_NONE;
}

struct tls_server *tls_server_new(struct tls_context *context, const struct config *config)
{
	struct tls_server *server = calloc(1, sizeof *server);
	char label[LOG_LIMIT_LABEL_MAX];

	if (!server) {
		tls_context_free(context);
		return NULL;
	}
	server->context = context;
	log_certificate(context);
	server->serves[TLS_LISTENER_FEED] = config->feed.tls;
	server->serves[TLS_LISTENER_ALERTS] = config->alerts.tls;
	server->serves[TLS_LISTENER_HTTP] = config->http.tls;
	set_verify_modes(server, config);
	for (int i = 0; i < TLS_LISTENER_COUNT; i++) {
		struct tls_listener_state *state = &server->listeners[i];
		state->server = server;
		state->listener = (enum tls_listener)i;
		for (int reason = 0; reason < TLS_FAILURE_COUNT; reason++) {
			snprintf(label, sizeof label, "%s: TLS handshake failures (%s)",
				 listener_names[i], failure_names[reason]);
			log_limit_init(&state->failure_log[reason], config->log.rate_limit_seconds,
				       label);
		}
	}
	return server;
}

void tls_server_swap(struct tls_server *server, struct tls_context *next,
		     const struct config *config)
{
	tls_context_free(server->context);
	server->context = next;
	log_certificate(next);
	set_verify_modes(server, config);
}

bool tls_server_serves(const struct tls_server *server, enum tls_listener listener)
{
	return server && (unsigned)listener < TLS_LISTENER_COUNT && server->serves[listener];
}

void tls_server_set_log_interval(struct tls_server *server, uint32_t log_interval_seconds)
{
	for (int i = 0; i < TLS_LISTENER_COUNT; i++)
		for (int reason = 0; reason < TLS_FAILURE_COUNT; reason++)
			server->listeners[i].failure_log[reason].interval_seconds =
				log_interval_seconds;
}

void tls_server_free(struct tls_server *server)
{
	if (!server)
		return;
	for (int i = 0; i < TLS_LISTENER_COUNT; i++)
		for (int reason = 0; reason < TLS_FAILURE_COUNT; reason++)
			log_limit_flush(&server->listeners[i].failure_log[reason]);
	tls_context_free(server->context);
	free(server);
}

struct bufferevent *tls_server_accept(struct tls_server *server, struct event_base *base,
				      evutil_socket_t fd, enum tls_listener listener)
{
	SSL *ssl = SSL_new(server->context->ssl_context);
	struct bufferevent *bev;

	if (!ssl)
		return NULL;
	SSL_set_verify(ssl, server->verify_mode[listener], NULL);
	SSL_set_ex_data(ssl, listener_index, &server->listeners[listener]);
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	/* A client that closes without close_notify ends its stream like a TCP one does. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

const char *tls_connection_error(struct bufferevent *bev)
{
	unsigned long error =
		bufferevent_openssl_get_ssl(bev) ? bufferevent_get_openssl_error(bev) : 0;
	const char *reason = error ? ERR_reason_error_string(error) : NULL;

	while (error)
		error = bufferevent_get_openssl_error(
			bev); /* the rest belong to this one failure */
	return reason ? reason : strerror(EVUTIL_SOCKET_ERROR());
}

bool tls_handshake_pending(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	return ssl && !SSL_is_init_finished(ssl);
}

void tls_server_count(struct tls_server *server, enum tls_listener listener,
		      enum tls_failure failure)
{
	if (server && (unsigned)listener < TLS_LISTENER_COUNT &&
	    (unsigned)failure < TLS_FAILURE_COUNT)
		server->listeners[listener].failures[failure]++;
}

uint64_t tls_server_failures(const struct tls_server *server, enum tls_listener listener,
			     enum tls_failure failure)
{
	if (!server || (unsigned)listener >= TLS_LISTENER_COUNT ||
	    (unsigned)failure >= TLS_FAILURE_COUNT)
		return 0;
	return server->listeners[listener].failures[failure];
}

/* ---- the client certificate's names ---------------------------------------------------- */

/* Append ", " (unless first) and text to names. */
static void names_append(char *names, size_t size, const char *format, const char *value,
			 size_t len)
{
	size_t used = strlen(names);

	if (used + 1 < size)
		snprintf(names + used, size - used, format, used ? ", " : "", (int)len, value);
}

static bool same_name(const ASN1_STRING *name, const char *source)
{
	size_t len = (size_t)ASN1_STRING_length(name);

	return len == strlen(source) && memcmp(ASN1_STRING_get0_data(name), source, len) == 0;
}

/* The subject's CN: does it equal source? */
static bool cn_names(X509 *certificate, const char *source, char *names, size_t size)
{
	const X509_NAME *subject = X509_get_subject_name(certificate);
	int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	const ASN1_STRING *cn;

	if (at < 0 || !(cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at))))
		return false;
	names_append(names, size, "%sCN \"%.*s\"", (const char *)ASN1_STRING_get0_data(cn),
		     (size_t)ASN1_STRING_length(cn));
	return same_name(cn, source);
}

/* The DNS subject alternative names: does one equal source? */
static bool san_names(X509 *certificate, const char *source, char *names, size_t size)
{
	GENERAL_NAMES *alternatives =
		X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (int i = 0; alternatives && i < sk_GENERAL_NAME_num(alternatives); i++) {
		const GENERAL_NAME *name = sk_GENERAL_NAME_value(alternatives, i);
		if (name->type != GEN_DNS)
			continue;
		names_append(names, size, "%sDNS %.*s",
			     (const char *)ASN1_STRING_get0_data(name->d.dNSName),
			     (size_t)ASN1_STRING_length(name->d.dNSName));
		found = found || same_name(name->d.dNSName, source);
	}
	GENERAL_NAMES_free(alternatives);
	return found;
}

bool tls_peer_names_source(struct bufferevent *bev, const char *source, char *names,
			   size_t names_size)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	X509 *certificate = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	bool in_cn, in_san;

	names[0] = '\0';
	if (!certificate || SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(names, names_size, "no client certificate");
		return false;
	}
	in_cn = cn_names(certificate, source, names, names_size);
	in_san = san_names(certificate, source, names, names_size);
	return in_cn || in_san;
}
