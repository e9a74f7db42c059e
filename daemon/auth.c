/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cadmond.h"
#include "hostclock.h"
#include "log.h"

/* Tokens a tokens file may hold. */
#define AUTH_FILE_MAX_TOKENS 4096
#define AUTH_ADDRESS_MAX 64

/* One token as checked: its digest in bytes. */
struct auth_token {
	char name[CONFIG_NAME_MAX];
	enum config_role role;
	unsigned char digest[AUTH_DIGEST_BYTES];
};

/* Failed attempts of one address in its current window. */
struct auth_address {
	char address[AUTH_ADDRESS_MAX];
	int64_t window_start_ms;
	uint32_t failures;
};

struct auth {
	struct auth_token *tokens;      /* auth.tokens, then auth.tokens_file's */
	size_t token_count;
	size_t file_token_count;        /* the last ones, from auth.tokens_file */
	uint32_t max_failures;
	int64_t window_ms;
	enum redact_mode redact[CONFIG_ROLE_COUNT];
	struct auth_address *addresses; /* the failure table: used entries first */
	size_t address_count;
	size_t address_capacity;
	struct auth_stats stats;
	struct log_limit failure_log;
	struct log_limit refuse_log;
	struct log_limit table_log;
};

static const char *const port_names[AUTH_PORT_COUNT] = {
	[AUTH_PORT_ALERTS] = "alerts", [AUTH_PORT_HTTP] = "http"
};
static const char *const failure_names[AUTH_FAILURE_COUNT] = { [AUTH_FAILURE_MISSING] = "missing",
							       [AUTH_FAILURE_INVALID] = "invalid",
							       [AUTH_FAILURE_TIMEOUT] = "timeout",
							       [AUTH_FAILURE_ROLE] = "role",
							       [AUTH_FAILURE_REVOKED] = "revoked" };
static const char *const failure_texts[AUTH_FAILURE_COUNT] = {
	[AUTH_FAILURE_MISSING] = "no token",
	[AUTH_FAILURE_INVALID] = "invalid token",
	[AUTH_FAILURE_TIMEOUT] = "no token line in time (alerts.handshake_timeout_seconds)",
	[AUTH_FAILURE_ROLE] = "role not enough",
	[AUTH_FAILURE_REVOKED] = "token no longer configured (reload)",
};

const char *auth_port_name(enum auth_port port)
{
	return (unsigned)port < AUTH_PORT_COUNT ? port_names[port] : "?";
}

const char *auth_failure_name(enum auth_failure reason)
{
	return (unsigned)reason < AUTH_FAILURE_COUNT ? failure_names[reason] : "?";
}

/* ---- tokens files ------------------------------------------------------------------- */

/* 64 hex digits into lowercase hex; false when it is not that. */
static bool copy_digest_hex(const char *text, size_t len, char hex[CONFIG_SHA256_HEX + 1])
{
	if (len != CONFIG_SHA256_HEX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)text[i]))
			return false;
		hex[i] = (char)(text[i] | 0x20);
	}
	hex[len] = '\0';
	return true;
}

static bool is_name(const char *text, size_t len)
{
	if (len == 0 || len >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') ||
		      text[i] == '_' || text[i] == '-'))
			return false;
	return true;
}

/* Add a message to errors (counted as dropped when they are full). True when it was cut to
 * CONFIG_ERROR_MAX. */
__attribute__((format(printf, 2, 3))) static bool add_error(struct config_errors *errors,
							    const char *format, ...)
{
	va_list args;
	int len;

	if (errors->count >= CONFIG_MAX_ERRORS) {
		errors->dropped++;
		return false;
	}
	va_start(args, format);
	len = vsnprintf(errors->message[errors->count++], CONFIG_ERROR_MAX, format, args);
	va_end(args);
	return len >= CONFIG_ERROR_MAX;
}

static void add_file_error(struct config_errors *errors, const char *filename, size_t line,
			   const char *what)
{
	/* a long reason, cut visibly */
	if (add_error(errors, "%.160s:%zu: %s", filename, line, what))
		memcpy(errors->message[errors->count - 1] + CONFIG_ERROR_MAX - 4, "...", 4);
}

/* The next whitespace-separated word of line[*at..len) into *word, *word_len. */
static bool next_word(const char *line, size_t len, size_t *at, const char **word, size_t *word_len)
{
	while (*at < len && (line[*at] == ' ' || line[*at] == '\t' || line[*at] == '\r'))
		(*at)++;
	*word = line + *at;
	while (*at < len && line[*at] != ' ' && line[*at] != '\t' && line[*at] != '\r')
		(*at)++;
	*word_len = (size_t)(line + *at - *word);
	return *word_len > 0;
}

/* One line "SHA256HEX ROLE NAME" into *token; NULL, or what is wrong with it. */
static const char *parse_token_line(const char *line, size_t len, struct config_token *token)
{
	const char *word[4];
	size_t word_len[4], at = 0, words = 0;

	while (words < 4 && next_word(line, len, &at, &word[words], &word_len[words]))
		words++;
	if (words != 3)
		return "expected SHA256HEX ROLE NAME";
	if (!copy_digest_hex(word[0], word_len[0], token->sha256))
		return "the digest must be 64 hex digits (a SHA-256)";
	if (!config_role_parse(word[1], word_len[1], &token->role))
		return "the role must be one of viewer, supervisor, admin, feed";
	if (!is_name(word[2], word_len[2]))
		return "the name must be 1 to 31 characters from a-z, 0-9, _ and -";
	memcpy(token->name, word[2], word_len[2]);
	token->name[word_len[2]] = '\0';
	return NULL;
}

/* Why token cannot join tokens[0..count): a name or digest already there; NULL when it can. */
static const char *token_clash(const struct config_token *tokens, size_t count,
			       const struct config_token *token, char *why, size_t why_size)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tokens[i].name, token->name) == 0) {
			snprintf(why, why_size, "duplicate token name %s", token->name);
			return why;
		}
		if (strcmp(tokens[i].sha256, token->sha256) == 0) {
			snprintf(why, why_size, "the same token as %s", tokens[i].name);
			return why;
		}
	}
	return NULL;
}

int auth_parse_tokens_file(const char *text, size_t len, const char *filename,
			   struct config_token *tokens, size_t max, size_t *count,
			   struct config_errors *errors)
{
	size_t errors_before = errors->count + errors->dropped, line_number = 0;
	char why[96];

	for (size_t start = 0; start < len;) {
		const char *newline = memchr(text + start, '\n', len - start);
		size_t end = newline ? (size_t)(newline - text) : len, at = 0;
		const char *line = text + start, *problem, *first;
		size_t first_len;
		struct config_token token = { .role = CONFIG_ROLE_VIEWER };

		line_number++;
		start = end + 1;
		if (!next_word(line, end - (size_t)(line - text), &at, &first, &first_len) ||
		    first[0] == '#')
			continue;
		problem = parse_token_line(line, end - (size_t)(line - text), &token);
		if (!problem)
			problem = token_clash(tokens, *count, &token, why, sizeof why);
		if (!problem && *count >= max) {
			snprintf(why, sizeof why, "more than %zu tokens", max);
			problem = why;
		}
		if (problem)
			add_file_error(errors, filename, line_number, problem);
		else
			tokens[(*count)++] = token;
	}
	return errors->count + errors->dropped > errors_before ? -EINVAL : 0;
}

int auth_tokens_read(const struct config *config, struct auth_tokens *tokens,
		     struct config_errors *errors)
{
	size_t max = CONFIG_MAX_TOKENS + AUTH_FILE_MAX_TOKENS;
	const char *path = config->auth.tokens_file;
	char *text = NULL;
	size_t len = 0, count = config->auth.token_count;
	int rc;

	*tokens = (struct auth_tokens){ .tokens = calloc(max, sizeof *tokens->tokens) };
	if (!tokens->tokens) {
		add_error(errors,
			  "out of memory reading the tokens (auth.tokens, auth.tokens_file)");
		return -ENOMEM;
	}
	memcpy(tokens->tokens, config->auth.tokens, count * sizeof *tokens->tokens);
	if (path[0]) {
		rc = cadmond_read_file(path, CADMOND_CONFIG_MAX_BYTES, &text, &len);
		if (rc < 0) {
			add_error(errors, "%.200s: cannot read (auth.tokens_file): %s", path,
				  rc == -EFBIG ? "too large" : strerror(-rc));
			auth_tokens_release(tokens);
			return rc;
		}
		rc = auth_parse_tokens_file(text, len, path, tokens->tokens, max, &count, errors);
		free(text);
		if (rc < 0) {
			auth_tokens_release(tokens);
			return rc;
		}
	}
	tokens->count = count;
	tokens->file_count = count - config->auth.token_count;
	return 0;
}

void auth_tokens_release(struct auth_tokens *tokens)
{
	if (tokens->tokens)
		OPENSSL_cleanse(tokens->tokens, tokens->count * sizeof *tokens->tokens);
	free(tokens->tokens);
	*tokens = (struct auth_tokens){ 0 };
}

/* ---- listen addresses: loopback, or protected ----------------------------------------- */

static bool ipv4_loopback(const struct in_addr *address)
{
	return (ntohl(address->s_addr) >> 24) == 127;
}

static bool ipv6_loopback(const struct in6_addr *address)
{
	struct in_addr mapped;

	if (IN6_IS_ADDR_LOOPBACK(address))
		return true;
	if (!IN6_IS_ADDR_V4MAPPED(address))
		return false;
	memcpy(&mapped, address->s6_addr + 12, 4);
	return ipv4_loopback(&mapped);
}

/* A listen entry "ipv4:port" / "[ipv6]:port" (checked by the parser) on a loopback address. */
static bool listen_is_loopback(const char *entry)
{
	char host[CONFIG_ADDRESS_MAX];
	const char *colon = strrchr(entry, ':');
	size_t len = colon ? (size_t)(colon - entry) : 0;
	struct in_addr v4;
	struct in6_addr v6;

	if (len >= 2 && entry[0] == '[') {
		memcpy(host, entry + 1, len - 2);
		host[len - 2] = '\0';
		return inet_pton(AF_INET6, host, &v6) == 1 && ipv6_loopback(&v6);
	}
	if (len == 0 || len >= sizeof host)
		return false;
	memcpy(host, entry, len);
	host[len] = '\0';
	return inet_pton(AF_INET, host, &v4) == 1 && ipv4_loopback(&v4);
}

/* The listeners and what each needs to listen beyond loopback. */
enum auth_listener { AUTH_LISTENER_FEED, AUTH_LISTENER_ALERTS, AUTH_LISTENER_HTTP };

static const char *const listener_needs[] = {
	[AUTH_LISTENER_FEED] =
		"set feed.tls with tls.certificate, tls.key and tls.client_ca (mutual TLS)",
	[AUTH_LISTENER_ALERTS] = "set alerts.tls with tls.certificate and tls.key, and auth.tokens",
	[AUTH_LISTENER_HTTP] = "set http.tls with tls.certificate and tls.key, and auth.tokens",
};

/* The same for systemd's sockets, whose tokens may come from either key. */
static const char *const socket_needs[] = {
	[AUTH_LISTENER_FEED] =
		"set feed.tls with tls.certificate, tls.key and tls.client_ca (mutual TLS)",
	[AUTH_LISTENER_ALERTS] = "set alerts.tls with tls.certificate and tls.key, and a token "
				 "(auth.tokens or auth.tokens_file)",
	[AUTH_LISTENER_HTTP] = "set http.tls with tls.certificate and tls.key, and a token "
			       "(auth.tokens or auth.tokens_file)",
};

/* True when the listener may take connections from other hosts: feeds over mutual TLS;
 * consoles and HTTP over TLS and with tokens. */
static bool listener_protected(const struct config *config, enum auth_listener listener,
			       size_t tokens)
{
	switch (listener) {
	case AUTH_LISTENER_FEED:
		return config->feed.tls && config->feed.require_client_certificate;
	case AUTH_LISTENER_ALERTS:
		return config->alerts.tls && tokens > 0;
	default:
		return config->http.tls && tokens > 0;
	}
}

static void exposure_error(struct config_errors *errors, const char *key, const char *address,
			   enum auth_listener listener)
{
	add_error(errors, "%s %s is not a loopback address: %s (or listen on 127.0.0.1 / ::1)", key,
		  address, listener_needs[listener]);
}

static void check_listen(const struct config *config, const struct config_listen *listen,
			 const char *key, enum auth_listener listener, size_t tokens,
			 struct config_errors *errors)
{
	if (listener_protected(config, listener, tokens))
		return;
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++)
		if (!listen_is_loopback(listen->address[i]))
			exposure_error(errors, key, listen->address[i], listener);
}

int auth_check_config(const struct config *config, const struct auth_tokens *tokens,
		      struct config_errors *errors)
{
	size_t count = tokens->count, before = errors->count + errors->dropped;

	check_listen(config, &config->feed.listen, "feed.listen", AUTH_LISTENER_FEED, count,
		     errors);
	for (size_t i = 0; i < config->mapping_count && i < CONFIG_MAX_MAPPINGS; i++) {
		char key[32];
		snprintf(key, sizeof key, "mappings[%zu].listen", i);
		check_listen(config, &config->mappings[i].listen, key, AUTH_LISTENER_FEED, count,
			     errors);
	}
	check_listen(config, &config->alerts.listen, "alerts.listen", AUTH_LISTENER_ALERTS, count,
		     errors);
	check_listen(config, &config->http.listen, "http.listen", AUTH_LISTENER_HTTP, count,
		     errors);
	return errors->count + errors->dropped > before ? -EINVAL : 0;
}

/* The socket's local address as text, and whether it is a loopback one. */
static bool socket_is_loopback(int fd, char *text, size_t size)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	char host[INET6_ADDRSTRLEN];

	snprintf(text, size, "?");
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		return false;
	if (local.ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&local;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		snprintf(text, size, "%s:%u", host, (unsigned)ntohs(v4->sin_port));
		return ipv4_loopback(&v4->sin_addr);
	}
	if (local.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&local;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		snprintf(text, size, "[%s]:%u", host, (unsigned)ntohs(v6->sin6_port));
		return ipv6_loopback(&v6->sin6_addr);
	}
	return false;
}

int auth_check_socket(const struct config *config, size_t tokens, int fd, const char *key,
		      const char *name, char *why, size_t why_size)
{
	enum auth_listener listener = strcmp(key, "feed.listen") == 0	 ? AUTH_LISTENER_FEED
				      : strcmp(key, "http.listen") == 0 ? AUTH_LISTENER_HTTP
									 : AUTH_LISTENER_ALERTS;
	char address[AUTH_ADDRESS_MAX];

	if (socket_is_loopback(fd, address, sizeof address) ||
	    listener_protected(config, listener, tokens))
		return 0;
	snprintf(why, why_size,
		 "socket \"%s\" from systemd (fd %d) listens on %s, not a loopback address: %s (or "
		 "bind the .socket unit to loopback)",
		 name, fd, address, socket_needs[listener]);
	return -EADDRNOTAVAIL;
}

/* ---- the token table ----------------------------------------------------------------- */

static bool digest_of(const void *bytes, size_t len, unsigned char digest[AUTH_DIGEST_BYTES])
{
	unsigned int digest_len = 0;

	return EVP_Digest(bytes, len, digest, &digest_len, EVP_sha256(), NULL) &&
	       digest_len == AUTH_DIGEST_BYTES;
}

static void digest_from_hex(const char *hex, unsigned char digest[AUTH_DIGEST_BYTES])
{
	for (size_t i = 0; i < AUTH_DIGEST_BYTES; i++)
		sscanf(hex + 2 * i, "%2hhx", &digest[i]);
}

/* The checked form of given into *tokens. 0 or -1 (out of memory). */
static int build_tokens(const struct auth_tokens *given, struct auth_token **tokens)
{
	*tokens = calloc(given->count ? given->count : 1, sizeof **tokens);
	if (!*tokens)
		return -1;
	for (size_t i = 0; i < given->count; i++) {
		snprintf((*tokens)[i].name, sizeof (*tokens)[i].name, "%s", given->tokens[i].name);
		(*tokens)[i].role = given->tokens[i].role;
		digest_from_hex(given->tokens[i].sha256, (*tokens)[i].digest);
	}
	return 0;
}

static void apply_settings(struct auth *auth, const struct config *config)
{
	auth->max_failures = config->auth.max_failures_per_minute;
	auth->window_ms = (int64_t)config->auth.failure_window_seconds * 1000;
	memcpy(auth->redact, config->auth.redact_ani, sizeof auth->redact);
	auth->failure_log.interval_seconds = config->log.rate_limit_seconds;
	auth->refuse_log.interval_seconds = config->log.rate_limit_seconds;
	auth->table_log.interval_seconds = config->log.rate_limit_seconds;
	auth->stats.tokens = (uint32_t)auth->token_count;
}

/* The failure table at capacity entries; the newest windows are kept when it shrinks. */
static int resize_table(struct auth *auth, size_t capacity)
{
	struct auth_address *grown;

	while (auth->address_count > capacity) {
		size_t oldest = 0;
		for (size_t i = 1; i < auth->address_count; i++)
			if (auth->addresses[i].window_start_ms <
			    auth->addresses[oldest].window_start_ms)
				oldest = i;
		auth->addresses[oldest] = auth->addresses[--auth->address_count];
	}
	grown = realloc(auth->addresses, capacity * sizeof *grown);
	if (!grown)
		return -1;
	auth->addresses = grown;
	auth->address_capacity = capacity;
	return 0;
}

struct auth *auth_new(const struct config *config, const struct auth_tokens *tokens, char *why,
		      size_t why_size)
{
	struct auth *auth = calloc(1, sizeof *auth);

	if (!auth) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	log_limit_init(&auth->failure_log, config->log.rate_limit_seconds,
		       "failed authentications");
	log_limit_init(&auth->refuse_log, config->log.rate_limit_seconds,
		       "addresses refused after failures");
	log_limit_init(&auth->table_log, config->log.rate_limit_seconds,
		       "auth.max_tracked_addresses");
	if (build_tokens(tokens, &auth->tokens) < 0 ||
	    resize_table(auth, config->auth.max_tracked_addresses) < 0) {
		snprintf(why, why_size, "out of memory");
		auth_free(auth);
		return NULL;
	}
	auth->token_count = tokens->count;
	auth->file_token_count = tokens->file_count;
	apply_settings(auth, config);
	if (auth->token_count > 0)
		log_msg(LOG_INFO, "auth: %zu tokens: consoles and HTTP clients need one",
			auth->token_count);
	return auth;
}

/* How many of tokens (count of them) are not in others: a token is its name, role and digest. */
static size_t tokens_missing_from(const struct auth_token *tokens, size_t count,
				  const struct auth_token *others, size_t other_count)
{
	size_t missing = 0;

	for (size_t i = 0; i < count; i++) {
		size_t j = 0;

		while (j < other_count &&
		       (tokens[i].role != others[j].role ||
			strcmp(tokens[i].name, others[j].name) != 0 ||
			CRYPTO_memcmp(tokens[i].digest, others[j].digest, AUTH_DIGEST_BYTES) != 0))
			j++;
		missing += j == other_count;
	}
	return missing;
}

int auth_update(struct auth *auth, const struct config *config, const struct auth_tokens *given,
		char *why, size_t why_size)
{
	struct auth_token *tokens = NULL;
	size_t count = given->count;

	if (build_tokens(given, &tokens) < 0 ||
	    resize_table(auth, config->auth.max_tracked_addresses) < 0) {
		snprintf(why, why_size, "out of memory");
		free(tokens);
		return -1;
	}
	/* auth.tokens changes are the configuration's own (logged and counted by its diff) */
	const struct auth_token *file = tokens + count - given->file_count;
	const struct auth_token *was = auth->tokens + auth->token_count - auth->file_token_count;
	size_t file_count = given->file_count, was_count = auth->file_token_count;
	size_t added = tokens_missing_from(file, file_count, was, was_count);
	size_t removed = tokens_missing_from(was, was_count, file, file_count);

	if (added + removed > 0)
		log_msg(LOG_NOTICE,
			"reload: auth.tokens_file: %zu %s -> %zu (%zu added, %zu removed)",
			was_count, was_count == 1 ? "token" : "tokens", file_count, added, removed);
	OPENSSL_cleanse(auth->tokens, auth->token_count * sizeof *auth->tokens);
	free(auth->tokens);
	auth->tokens = tokens;
	auth->token_count = count;
	auth->file_token_count = file_count;
	apply_settings(auth, config);
	return added + removed > 0;
}

void auth_free(struct auth *auth)
{
	if (!auth)
		return;
	log_limit_flush(&auth->failure_log);
	log_limit_flush(&auth->refuse_log);
	log_limit_flush(&auth->table_log);
	free(auth->tokens);
	free(auth->addresses);
	free(auth);
}

bool auth_enabled(const struct auth *auth)
{
	return auth && auth->token_count > 0;
}

const struct auth_stats *auth_stats(const struct auth *auth)
{
	return &auth->stats;
}

/* ---- failures per address ------------------------------------------------------------ */

static struct auth_address *find_address(struct auth *auth, const char *address)
{
	for (size_t i = 0; i < auth->address_count; i++)
		if (strcmp(auth->addresses[i].address, address) == 0)
			return &auth->addresses[i];
	return NULL;
}

/* A new entry for address: the oldest window's entry when the table is full (counted, logged). */
static struct auth_address *track_address(struct auth *auth, const char *address)
{
	struct auth_address *entry;
	size_t oldest = 0;

	if (auth->address_capacity == 0)
		return NULL;
	if (auth->address_count < auth->address_capacity) {
		entry = &auth->addresses[auth->address_count++];
	} else {
		for (size_t i = 1; i < auth->address_count; i++)
			if (auth->addresses[i].window_start_ms <
			    auth->addresses[oldest].window_start_ms)
				oldest = i;
		entry = &auth->addresses[oldest];
		auth->stats.addresses_forgotten++;
		log_limited(&auth->table_log, LOG_WARNING,
			    "auth: failures of %s forgotten: %zu addresses tracked "
			    "(auth.max_tracked_addresses)",
			    entry->address, auth->address_capacity);
	}
	memset(entry, 0, sizeof *entry);
	snprintf(entry->address, sizeof entry->address, "%s", address);
	return entry;
}

/* Seconds until address may try again, 0 when it may now. */
static uint32_t refused_for(struct auth *auth, const char *address, int64_t now_ms)
{
	struct auth_address *entry = find_address(auth, address);
	int64_t left_ms;

	if (!entry || entry->failures < auth->max_failures)
		return 0;
	left_ms = entry->window_start_ms + auth->window_ms - now_ms;
	return left_ms > 0 ? (uint32_t)((left_ms + 999) / 1000) : 0;
}

static void record_failure(struct auth *auth, const char *address, int64_t now_ms)
{
	struct auth_address *entry = find_address(auth, address);

	if (!entry && !(entry = track_address(auth, address)))
		return;
	if (entry->failures == 0 || now_ms >= entry->window_start_ms + auth->window_ms) {
		entry->window_start_ms = now_ms;
		entry->failures = 0;
	}
	entry->failures++;
}

void auth_count_failure(struct auth *auth, enum auth_port port, const char *address,
			const char *peer, enum auth_failure reason, int64_t now_ms)
{
	auth->stats.failures[port][reason]++;
	log_limited(&auth->failure_log, LOG_WARNING, "auth: %s %s: %s", auth_port_name(port), peer,
		    failure_texts[reason]);
	if (reason != AUTH_FAILURE_ROLE && reason != AUTH_FAILURE_REVOKED)
		record_failure(auth, address, now_ms);
}

/* The token whose digest is digest, in time independent of which (every one is compared). */
static const struct auth_token *match_digest(const struct auth *auth,
					     const unsigned char digest[AUTH_DIGEST_BYTES])
{
	const struct auth_token *found = NULL;

	for (size_t i = 0; i < auth->token_count; i++)
		if (CRYPTO_memcmp(auth->tokens[i].digest, digest, AUTH_DIGEST_BYTES) == 0)
			found = &auth->tokens[i];
	return found;
}

enum auth_verdict auth_check(struct auth *auth, enum auth_port port, const char *address,
			     const char *peer, const char *token, size_t len, int64_t now_ms,
			     struct auth_grant *grant, uint32_t *retry_after_seconds)
{
	unsigned char digest[AUTH_DIGEST_BYTES];
	const struct auth_token *found;

	*retry_after_seconds = refused_for(auth, address, now_ms);
	if (*retry_after_seconds > 0) {
		auth->stats.refused[port]++;
		log_limited(&auth->refuse_log, LOG_WARNING,
			    "auth: %s %s: refused for %" PRIu32 " s: %" PRIu32
			    " failed attempts (auth.max_failures_per_minute)",
			    auth_port_name(port), peer, *retry_after_seconds, auth->max_failures);
		return AUTH_REFUSED;
	}
	if (len == 0) {
		auth_count_failure(auth, port, address, peer, AUTH_FAILURE_MISSING, now_ms);
		return AUTH_MISSING;
	}
	found = digest_of(token, len, digest) ? match_digest(auth, digest) : NULL;
	if (!found) {
		auth_count_failure(auth, port, address, peer, AUTH_FAILURE_INVALID, now_ms);
		return AUTH_INVALID;
	}
	grant->role = found->role;
	snprintf(grant->name, sizeof grant->name, "%s", found->name);
	grant->redact = auth->redact[found->role];
	grant->by_token = true;
	memcpy(grant->digest, found->digest, sizeof grant->digest);
	return AUTH_GRANTED;
}

bool auth_grant_holds(const struct auth *auth, const struct auth_grant *grant)
{
	const struct auth_token *found;

	if (!auth_enabled(auth))
		return true;
	if (!grant->by_token || !(found = match_digest(auth, grant->digest)))
		return false;
	return found->role == grant->role && strcmp(found->name, grant->name) == 0;
}

bool auth_may_acknowledge(const struct auth_grant *grant)
{
	return grant->role == CONFIG_ROLE_SUPERVISOR || grant->role == CONFIG_ROLE_ADMIN;
}

bool auth_may_read(const struct auth_grant *grant)
{
	return grant->role != CONFIG_ROLE_FEED;
}

/* Whether role may use a resource needing access: the ladder viewer < supervisor < admin; a
 * feed token only what feeds events, which an admin token may also do. */
static bool role_allows(enum config_role role, enum auth_access access)
{
	if (role == CONFIG_ROLE_FEED || access == AUTH_FEED)
		return access == AUTH_FEED &&
		       (role == CONFIG_ROLE_FEED || role == CONFIG_ROLE_ADMIN);
	return (int)role + 1 >= (int)access;
}

int auth_add_redacted(struct evbuffer *out, enum redact_mode mode, const char *line, size_t len)
{
	struct evbuffer_iovec space;
	size_t max = REDACT_OUT_MAX(len);

	if (mode == REDACT_NONE)
		return evbuffer_add(out, line, len);
	if (max > EV_SSIZE_MAX || evbuffer_reserve_space(out, (ev_ssize_t)max, &space, 1) < 1)
		return -1;
	space.iov_len = redact_line(mode, line, len, space.iov_base, max);
	return evbuffer_commit_space(out, &space, 1);
}

int64_t auth_now_ms(void)
{
	return hostclock_monotonic_ms();
}

/* ---- HTTP ------------------------------------------------------------------------------ */

/* path matches pattern, where '*' stands for one non-empty path segment. */
static bool path_matches(const char *pattern, const char *path)
{
	while (*pattern && *path) {
		if (*pattern == '*') {
			const char *segment_end = strchr(path, '/');
			if (segment_end == path)
				return false;
			path = segment_end ? segment_end : path + strlen(path);
			pattern++;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

enum auth_access auth_route_access(const struct auth_route *routes, size_t count, const char *path)
{
	for (size_t i = 0; i < count; i++)
		if (path_matches(routes[i].path, path))
			return routes[i].access;
	return AUTH_VIEWER;
}

/* The token of "Bearer TOKEN" (scheme in any case) into *token, *len; 0 when there is none. */
static void bearer_token(const char *authorization, const char **token, size_t *len)
{
	static const char scheme[] = "bearer";
	const char *at = authorization;

	*token = "";
	*len = 0;
	if (!at)
		return;
	while (*at == ' ' || *at == '\t')
		at++;
	if (strncasecmp(at, scheme, sizeof scheme - 1) != 0 ||
	    (at[sizeof scheme - 1] != ' ' && at[sizeof scheme - 1] != '\t'))
		return;
	at += sizeof scheme - 1;
	while (*at == ' ' || *at == '\t')
		at++;
	*len = strlen(at);
	while (*len > 0 && (at[*len - 1] == ' ' || at[*len - 1] == '\t'))
		(*len)--;
	*token = at;
}

static const char *role_needed_text(enum config_role role, enum auth_access access)
{
	if (access == AUTH_FEED)
		return "this needs the feed or admin role";
	if (role == CONFIG_ROLE_FEED)
		return AUTH_FEED_ONLY;
	return access == AUTH_ADMIN ? "this needs the admin role"
				    : "this needs the supervisor role";
}

bool auth_http(struct auth *auth, enum auth_access access, const char *authorization,
	       const char *address, uint16_t port, int64_t now_ms, struct auth_grant *grant,
	       struct auth_http_answer *answer)
{
	char peer[AUTH_ADDRESS_MAX + 8];
	const char *token;
	uint32_t retry_after = 0;
	size_t len;

	*grant = (struct auth_grant){ .role = CONFIG_ROLE_ADMIN, .redact = REDACT_NONE };
	if (!auth_enabled(auth) || access == AUTH_PUBLIC)
		return true;
	snprintf(peer, sizeof peer, strchr(address, ':') ? "[%s]:%u" : "%s:%u", address,
		 (unsigned)port);
	bearer_token(authorization, &token, &len);
	*answer = (struct auth_http_answer){ .status = 401 };
	switch (auth_check(auth, AUTH_PORT_HTTP, address, peer, token, len, now_ms, grant,
			   &retry_after)) {
	case AUTH_GRANTED:
		if (role_allows(grant->role, access))
			return true;
		auth_count_failure(auth, AUTH_PORT_HTTP, address, peer, AUTH_FAILURE_ROLE, now_ms);
		answer->status = 403;
		snprintf(answer->why, sizeof answer->why, "%s",
			 role_needed_text(grant->role, access));
		return false;
	case AUTH_REFUSED:
		answer->status = 429;
		snprintf(answer->why, sizeof answer->why,
			 "too many failed attempts from %s; retry after %" PRIu32 " seconds",
			 address, retry_after);
		answer->header = "Retry-After";
		snprintf(answer->header_value, sizeof answer->header_value, "%" PRIu32,
			 retry_after);
		return false;
	case AUTH_MISSING:
		snprintf(answer->why, sizeof answer->why, "a bearer token is required");
		answer->header = "WWW-Authenticate";
		snprintf(answer->header_value, sizeof answer->header_value,
			 "Bearer realm=\"cadmon\"");
		return false;
	default:
		snprintf(answer->why, sizeof answer->why, "invalid token");
		answer->header = "WWW-Authenticate";
		snprintf(answer->header_value, sizeof answer->header_value,
			 "Bearer realm=\"cadmon\", error=\"invalid_token\"");
		return false;
	}
}

void auth_peer_address(const char *peer, char *address, size_t size)
{
	const char *colon = strrchr(peer, ':');
	size_t len = colon ? (size_t)(colon - peer) : strlen(peer);

	if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']') {
		peer++;
		len -= 2;
	}
	if (len >= size)
		len = size - 1;
	memcpy(address, peer, len);
	address[len] = '\0';
}
