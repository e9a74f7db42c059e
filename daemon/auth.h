/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_AUTH_H
#define CADMOND_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "redact.h"

/*
 * Who may use the alert port and the HTTP API (docs/security.md, "Tokens, roles, safe defaults and
 * callers' numbers"): bearer tokens with a
 * role (auth.tokens, auth.tokens_file), checked in constant time over their SHA-256, failed
 * attempts counted per port and reason and logged with the peer (rate-limited), and an
 * address with more than auth.max_failures_per_minute failures in its
 * auth.failure_window_seconds refused until that window is over (both ports together). Auth
 * is on when at least one token is configured; without, everything is allowed and cadmond
 * listens on loopback only (auth_check_exposure). Tokens are never logged.
 */

/* The ports tokens are checked on (the label "port" of the counters). */
enum auth_port {
	AUTH_PORT_ALERTS = 0,
	AUTH_PORT_HTTP,
	AUTH_PORT_COUNT,
};

/* Why an attempt failed (the label "reason" of cadmon_auth_failures_total). */
enum auth_failure {
	AUTH_FAILURE_MISSING = 0, /* no token */
	AUTH_FAILURE_INVALID,	  /* a token that is none of the configured ones */
	/* alert port: no token line within alerts.handshake_timeout_seconds */
	AUTH_FAILURE_TIMEOUT,
	AUTH_FAILURE_ROLE,    /* a good token whose role is not enough (not rate-limited) */
	/* alert port: a console's token removed, replaced or given another role by a reload
	 * (or tokens configured for a console let in without one): closed (not rate-limited) */
	AUTH_FAILURE_REVOKED,
	AUTH_FAILURE_COUNT,
};

/* What a resource needs. */
enum auth_access {
	AUTH_PUBLIC = 0,  /* no token */
	AUTH_VIEWER,      /* a token of any role */
	AUTH_SUPERVISOR,
	AUTH_ADMIN,
	AUTH_FEED,        /* feeds events: a feed or admin token (off the viewer..admin ladder) */
};

/* Why a feed token is refused anything but feeding events (HTTP 403, the alert port). */
#define AUTH_FEED_ONLY "a feed token may only post events"

/* A path and what it needs; '*' in path matches one path segment (no '/'). */
struct auth_route {
	const char *path;
	enum auth_access access;
};

#define AUTH_DIGEST_BYTES 32 /* SHA-256 */

/* Who a token is. */
struct auth_grant {
	enum config_role role;
	char name[CONFIG_NAME_MAX];
	enum redact_mode redact; /* auth.redact_ani of its role */
	bool by_token;		 /* granted for a token (else: auth was off) */
	unsigned char digest[AUTH_DIGEST_BYTES]; /* ... that token's */
};

enum auth_verdict {
	AUTH_GRANTED = 0,
	AUTH_MISSING,   /* no token */
	AUTH_INVALID,   /* a wrong token */
	AUTH_REFUSED,   /* the address failed too often: refused until retry_after_seconds */
	AUTH_FORBIDDEN, /* good token, role not enough */
};

/* Counters since start. */
struct auth_stats {
	uint64_t failures[AUTH_PORT_COUNT][AUTH_FAILURE_COUNT];
	uint64_t refused[AUTH_PORT_COUNT];  /* attempts from an address over the limit */
	uint64_t addresses_forgotten;       /* auth.max_tracked_addresses was full */
	uint32_t tokens;                    /* configured now; 0: auth is off */
};

/* An HTTP request's answer when it is not let through. */
struct auth_http_answer {
	int status;                  /* 401, 403, 429 */
	char why[160];               /* the {"error":WHY} */
	const char *header;          /* a header to add (WWW-Authenticate, Retry-After) or NULL */
	char header_value[64];
};

struct auth;

/**
 * The tokens a configuration gives: auth.tokens, then auth.tokens_file's lines. Read once, by
 * auth_tokens_read, when the configuration is loaded (cadmond_load_config: at `-n`, at the
 * start, at a reload), and then used by every step of that start or reload — the listen
 * addresses' check, the check of systemd's sockets, the table that auth_new or auth_update
 * builds — so that a tokens file rewritten meanwhile cannot give the check one set and the
 * listeners another.
 */
struct auth_tokens {
	struct config_token *tokens; /* malloc'd */
	size_t count;                /* all of them */
	size_t file_count;           /* the last ones, from auth.tokens_file */
};

/**
 * Read config's tokens (and its auth.tokens_file, if any) into *tokens. 0, or a negative errno
 * with the problem in errors ("FILE: cannot read (auth.tokens_file): REASON", the file's lines'
 * problems, or nothing for out of memory); *tokens is then empty (auth_tokens_release is
 * still allowed).
 */
int auth_tokens_read(const struct config *config, struct auth_tokens *tokens,
		     struct config_errors *errors);

/** Free what auth_tokens_read gave (wiped); a zeroed or released struct is allowed. */
void auth_tokens_release(struct auth_tokens *tokens);

/** The table for config and its tokens. NULL with "out of memory" in why. */
struct auth *auth_new(const struct config *config, const struct auth_tokens *tokens, char *why,
		      size_t why_size);

/** Free; NULL is allowed. */
void auth_free(struct auth *auth);

/**
 * A reload: the new tokens (what the reload's check read), limits and redaction; the failure
 * table is kept. 1 when auth.tokens_file's tokens changed (logged: how many added, how many
 * removed; a token whose role or name changed is both), else 0 (auth.tokens is the
 * configuration's diff's to log); -1 with "out of memory" in why, and nothing changed.
 */
int auth_update(struct auth *auth, const struct config *config, const struct auth_tokens *tokens,
		char *why, size_t why_size);

/** True when at least one token is configured. NULL: false. */
bool auth_enabled(const struct auth *auth);

/**
 * Check token[0..len) (len 0: none) from address (numeric, no port; peer is what the logs
 * show) on port at now_ms (a monotonic clock). AUTH_GRANTED fills *grant. A failure is
 * counted and logged; past the limit the address is refused (AUTH_REFUSED, even with a
 * good token) with *retry_after_seconds.
 */
enum auth_verdict auth_check(struct auth *auth, enum auth_port port, const char *address,
			     const char *peer, const char *token, size_t len, int64_t now_ms,
			     struct auth_grant *grant, uint32_t *retry_after_seconds);

/** Count and log a failure decided elsewhere (a late token line, a role not enough). */
void auth_count_failure(struct auth *auth, enum auth_port port, const char *address,
			const char *peer, enum auth_failure reason, int64_t now_ms);

/** What path needs: the first route that matches; a path none matches needs AUTH_VIEWER. */
enum auth_access auth_route_access(const struct auth_route *routes, size_t count, const char *path);

/**
 * An HTTP request for a resource needing access, with the Authorization header value
 * (NULL: none) from address. True with *grant when it may go on; false with the answer to
 * send. Without tokens everything is let through (grant: admin, no redaction).
 */
bool auth_http(struct auth *auth, enum auth_access access, const char *authorization,
	       const char *address, uint16_t port, int64_t now_ms, struct auth_grant *grant,
	       struct auth_http_answer *answer);

struct evbuffer;

/**
 * Add line[0..len) (no newline added) to out with callers' numbers rewritten to mode
 * (redact.h): how every answer carrying alert lines (HTTP, the alert port, the stream) is
 * written for a grant's redact. 0 or -1 (out of memory).
 */
int auth_add_redacted(struct evbuffer *out, enum redact_mode mode, const char *line, size_t len);

/** Milliseconds of the monotonic clock: the now_ms of auth_check and auth_http. */
int64_t auth_now_ms(void);

/** The role a console needs to acknowledge: "acknowledging needs the supervisor role" when not. */
/**
 * Whether grant (auth_check's, or a console's let in while auth was off) would be given again
 * now, after a reload: auth off, or its token still configured with the same name and role.
 * False: that token removed or replaced, its name or role changed, or tokens configured now
 * for a grant made without one.
 */
bool auth_grant_holds(const struct auth *auth, const struct auth_grant *grant);

bool auth_may_acknowledge(const struct auth_grant *grant);

/** Whether a grant may read alerts at all (the alert port): every role but feed. */
bool auth_may_read(const struct auth_grant *grant);

/** Counters since start. */
const struct auth_stats *auth_stats(const struct auth *auth);

/** "alerts", "http". */
const char *auth_port_name(enum auth_port port);

/** "missing", "invalid", "timeout", "role". */
const char *auth_failure_name(enum auth_failure reason);

/**
 * Tokens of a tokens file: lines "SHA256HEX ROLE NAME", blank lines and '#' comments
 * skipped. Appends to tokens (at most max; *count in and out). 0, or -EINVAL with every
 * problem as "FILENAME:LINE: what" in errors.
 */
int auth_parse_tokens_file(const char *text, size_t len, const char *filename,
			   struct config_token *tokens, size_t max, size_t *count,
			   struct config_errors *errors);

/**
 * Check that every listen address of config is a loopback one unless that listener is
 * protected with tokens (the tokens config gives: auth_tokens_read's) and TLS
 * (docs/security.md, "Tokens, roles, safe defaults and callers' numbers"): the problems are
 * added to errors. 0 or -EINVAL. What `cadmond -n`, the start and a reload check.
 */
int auth_check_config(const struct config *config, const struct auth_tokens *tokens,
		      struct config_errors *errors);

/**
 * The same rule for a socket passed by systemd for key ("feed.listen", "alerts.listen"), with
 * tokens configured: 0, or -EADDRNOTAVAIL with the reason in why.
 */
int auth_check_socket(const struct config *config, size_t tokens, int fd, const char *key,
		      const char *name, char *why, size_t why_size);

/** The address part of a peer text "1.2.3.4:5" / "[::1]:5" into address. */
void auth_peer_address(const char *peer, char *address, size_t size);

#endif
