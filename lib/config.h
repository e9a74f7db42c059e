/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CONFIG_H
#define CADMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact.h"

#define CONFIG_MAX_LISTEN 8        /* addresses per listener list */
#define CONFIG_ADDRESS_MAX 64      /* "[ffff:...]:65535" fits */
#define CONFIG_MAX_RULES 16
#define CONFIG_NAME_MAX 32         /* rule names and severities */
#define CONFIG_MAX_ERRORS 32       /* messages kept; more are counted in `dropped` */
#define CONFIG_ERROR_MAX 256

#define CONFIG_PATH_MAX 256
#define CONFIG_MAX_RECEIVERS 8
#define CONFIG_URL_MAX 256
#define CONFIG_SEVERITY_COUNT 3   /* info, warning, critical */
#define CONFIG_MAX_TOKENS 64      /* auth.tokens entries */
#define CONFIG_SHA256_HEX 64      /* a SHA-256 digest in hex */
#define CONFIG_TOKEN_MIN_BYTES 16 /* auth.tokens[].token: shortest token taken */

/* What a bearer token may do (auth.tokens[].role): viewer, supervisor and admin each can do
 * what the ones before it can; feed is a machine's, off that ladder. */
enum config_role {
	CONFIG_ROLE_VIEWER = 0, /* board, alert stream, operators, sources, metrics */
	CONFIG_ROLE_SUPERVISOR, /* + acknowledge */
	CONFIG_ROLE_ADMIN,      /* + /api/status, and what feed may do */
	CONFIG_ROLE_FEED,       /* posts events (POST /LogEvents) and nothing else */
	CONFIG_ROLE_COUNT,
};

/* One bearer token: only its SHA-256 is kept (a token given in clear is hashed on parsing). */
struct config_token {
	char name[CONFIG_NAME_MAX];               /* for logs: never the token */
	enum config_role role;
	char sha256[CONFIG_SHA256_HEX + 1];       /* lowercase hex */
};
#define CONFIG_CIPHERS_MAX 256    /* tls.ciphers, with its NUL */
#define CONFIG_MAX_SOURCES 64         /* sources: entries */
#define CONFIG_MAX_SOURCE_AGENCIES 16 /* sources[].agencies entries */
#define CONFIG_SOURCE_NAME_MAX 65     /* a hello's source: 1 to 64 bytes, and its NUL */

#define CONFIG_MAX_I3_KEYS 16        /* i3.public_keys entries */
#define CONFIG_I3_KID_MAX 129        /* an i3.public_keys[].kid, with its NUL */
#define CONFIG_MAX_I3_KEY_ELEMENTS 16 /* i3.public_keys[].elements entries */
#define CONFIG_MAX_MAPPINGS 8         /* mappings: entries */
#define CONFIG_FIELD_MAX 64           /* a mapping's column name or JSON path, with its NUL */
#define CONFIG_MAX_MAPPING_VALUES 16  /* mappings[].released_by_values entries */
#define CONFIG_MAPPING_VALUE_MAX 32   /* one value of a releasing-party column, with its NUL */
#define CONFIG_TIME_FORMAT_MAX 64     /* mappings[].time_format, with its NUL */
#define CONFIG_TIME_ZONE_MAX 64       /* mappings[].time_zone, with its NUL */
#define CONFIG_CONSTANT_MAX 65        /* mappings[].agency: an identifier (64 bytes) + NUL */
#define CONFIG_NATS_MAX_SERVERS 8     /* nats.servers entries */
#define CONFIG_NATS_MAX_SUBJECTS 16   /* nats.subjects entries */
#define CONFIG_NATS_SUBJECT_MAX 128   /* a NATS subject or filter, with its NUL */
#define CONFIG_NATS_NAME_MAX 64       /* a JetStream stream or consumer name, with its NUL */

struct config_listen {
	char address[CONFIG_MAX_LISTEN][CONFIG_ADDRESS_MAX]; /* "host:port", "[v6]:port" */
	size_t count;
};

#define CONFIG_MAPPING_PART(index) (1u << (index)) /* a bit of mappings[].skip_when_empty */

/* The shape of the records a mapping reads (docs/mappings.md). */
enum config_mapping_format {
	CONFIG_MAPPING_CSV = 0, /* RFC 4180 records */
	CONFIG_MAPPING_JSON,    /* one JSON object per line */
};

/* The local time a fall-back hour names twice (mappings[].ambiguous_time). */
enum config_ambiguous_time {
	CONFIG_AMBIGUOUS_EARLIER = 0,
	CONFIG_AMBIGUOUS_LATER,
};

/* Where each part of a call is in a record: a CSV column (its header name, or its 1-based
 * number without a header) or a JSON path ("call.id"); "" = not in the record. */
struct config_mapping_fields {
	char call_id[CONFIG_FIELD_MAX];
	char agency[CONFIG_FIELD_MAX];
	char operator_id[CONFIG_FIELD_MAX];
	char position[CONFIG_FIELD_MAX];
	char ani[CONFIG_FIELD_MAX];
	char answer_time[CONFIG_FIELD_MAX];
	char release_time[CONFIG_FIELD_MAX];
	char released_by[CONFIG_FIELD_MAX];
	char incident_id[CONFIG_FIELD_MAX];
};

/* One value of the releasing-party column and who it means. */
struct config_mapping_value {
	char from[CONFIG_MAPPING_VALUE_MAX];
	unsigned released_by; /* one enum released_by bit */
};

/* A vendor record layout turned into cadmon events (one record per call). */
struct config_mapping {
	char name[CONFIG_NAME_MAX];
	enum config_mapping_format format;
	bool header;     /* csv: the first record of each input names the columns */
	char delimiter[2]; /* csv: the field separator, one byte */
	struct config_mapping_fields fields;
	char agency[CONFIG_CONSTANT_MAX]; /* the agency when the record has none */
	/* iso8601, epoch_seconds, epoch_ms or %-pattern */
	char time_format[CONFIG_TIME_FORMAT_MAX];
	char time_zone[CONFIG_TIME_ZONE_MAX];      /* UTC, +hh:mm / -hh:mm, or an IANA name */
	enum config_ambiguous_time ambiguous_time;
	struct config_mapping_value released_by_values[CONFIG_MAX_MAPPING_VALUES];
	size_t released_by_value_count;
	unsigned released_by_default; /* for values not listed (and an empty or absent column) */
	/* A record with any of these parts empty is an unanswered call, skipped: bit
	 * CONFIG_MAPPING_PART(i), i the part's place in config_mapping_fields (call_id 0, agency
	 * 1, operator 2, position 3, ani 4, answer_time 5, release_time 6, released_by 7,
	 * incident_id 8); 0 = none */
	unsigned skip_when_empty;
	/* feed listen addresses whose connections send records of this mapping; none: 0 */
	struct config_listen listen;
};

enum config_fsync {
	CONFIG_FSYNC_BATCH =
		0,	       /* one fsync per batch of lines (per loop iteration) before acking */
	CONFIG_FSYNC_INTERVAL, /* at most every fsync_interval_ms */
	/* leave it to the kernel: fastest, loses the last seconds on power loss */
	CONFIG_FSYNC_NONE,
};

enum config_rule_type {
	CONFIG_RULE_WINDOW = 0, /* thresholds over a sliding window */
	CONFIG_RULE_CUSUM,      /* Bernoulli CUSUM over the operator's sequence of calls */
	CONFIG_RULE_SEQUENTIAL, /* CUSUM of per-call likelihood ratios against the time-matched
				 * baseline (detector.baseline) and the operator's own history */
};

/* The lowest TLS version a TLS listener accepts (tls.min_version). */
enum config_tls_version {
	CONFIG_TLS_1_2 = 0, /* "1.2" */
	CONFIG_TLS_1_3,     /* "1.3" */
};

/* What a TLS feed's hello "source" must match (feed.source_binding). */
enum config_source_binding {
	CONFIG_SOURCE_BINDING_CERTIFICATE =
		0,		    /* the client certificate's CN or one of its DNS SANs */
	CONFIG_SOURCE_BINDING_NONE, /* any source */
};

/* One detection rule. A window rule holds when, in its window, the operator has at least
 * min_calls calls, min_premature premature hangups (a called-back one weighing
 * called_back_weight), a ratio of at least min_ratio, at least min_called_back called-back
 * hangups and, against the rest of the center, a binomial p-value of at most max_p_value.
 * A CUSUM rule alarms when its statistic reaches threshold; window_seconds then sets the
 * window for its center baseline and its callbacks. */
struct config_rule {
	char name[CONFIG_NAME_MAX];
	enum config_rule_type type;
	uint32_t window_seconds;
	uint32_t min_calls;      /* completed calls in the window */
	uint32_t min_premature;  /* premature hangups in the window */
	double min_ratio;        /* premature / calls, 0..1 */
	uint32_t min_called_back;   /* premature hangups whose caller rang again */
	double called_back_weight;  /* >= 1: how many hangups a called-back one counts as */
	double max_p_value;      /* 0..1; 1 = no peer comparison */
	double min_center_ratio; /* floor of the center's ratio in the p-value and CUSUM p0 */
	double p0;               /* CUSUM in-control rate; 0 = the center's ratio */
	double odds_ratio;       /* CUSUM: the odds multiplier it is tuned to detect, > 1 */
	double threshold;        /* CUSUM: alarm when the statistic reaches this, > 0 */
	char severity[CONFIG_NAME_MAX];
	/* sequential rules (threshold and called_back_weight too: the likelihood ratio a
	 * callback adds) */
	double cut_share;           /* H1: the share of the other calls the operator cuts off */
	uint32_t false_alarm_calls; /* > 0: threshold derived for this many calls between false
				     * alarms at the baseline's prior_ratio; 0: threshold as
				     * given */
	double history_prior;       /* pseudo-hangups shrinking the own factor toward 1, > 0 */
	double max_own_factor;      /* the own factor's ceiling, >= 1 */
	uint32_t false_alarm_hours; /* > 0: an operator with few calls an hour gets the lower
				     * threshold ln(false_alarm_hours * its calls per hour); 0:
				     * off */
	uint32_t rate_half_life_seconds; /* half-life of the operator's calls-per-hour estimate */
	uint32_t rate_max_gap_seconds; /* > 0: of a gap between two calls only this much counts
					* in that estimate (logged off); 0: all of it */
	bool hourly_raises;         /* false_alarm_hours also raises the threshold of a busy hour */
	uint32_t max_calls_per_hour;  /* > 0: the calls per hour in that threshold are at most
				      * this; 0: no cap */
	double history_settled_prior; /* > 0: pseudo-hangups of the settled history's own factor
				       * (used when it is larger); 0: not used */
	double history_settled_min_expected; /* the settled history counts from this many
					      * expected hangups on */
	bool own_factor_lag; /* while the evidence is above 0, the own factor stays the one of
			      * the run's first call (learned from the calls before the run) */
};

enum config_baseline_scope {
	CONFIG_BASELINE_AGENCY = 0, /* the rest of the operator's agency */
	CONFIG_BASELINE_CENTER,     /* the rest of the whole center */
};

enum config_receiver_type {
	CONFIG_RECEIVER_ALERTMANAGER = 0, /* Alertmanager API v2: POST /api/v2/alerts */
	CONFIG_RECEIVER_WEBHOOK,          /* each notice line POSTed as is */
};

/* Where notices are pushed (docs/receivers.md): bounded queue, timeouts, retries. */
struct config_receiver {
	char name[CONFIG_NAME_MAX];
	enum config_receiver_type type;
	char url[CONFIG_URL_MAX];           /* http://host[:port][/path]; "" never (required) */
	uint32_t max_queue;                 /* requests waiting; the oldest is dropped past it */
	uint32_t timeout_ms;                /* per request */
	uint32_t max_retries; /* after the first attempt; then the request is dropped */
	uint32_t backoff_base_ms;           /* first retry delay, doubled per retry, with jitter */
	uint32_t backoff_max_ms;            /* cap of the retry delay */
	uint32_t resend_seconds;            /* alertmanager: re-post open alerts this often */
	uint32_t down_after_failures;       /* consecutive failures raising receiver_down... */
	uint32_t down_after_seconds;        /* ...or failing this long since the first of them */
	char hmac_secret_file[CONFIG_PATH_MAX]; /* webhook: "" = unsigned */
	enum redact_mode redact_ani;        /* callers' numbers in what it is sent */
};

/* The time-matched peer baseline of the sequential rules. */
struct config_baseline {
	enum config_baseline_scope scope;
	double half_life_seconds;         /* of the peers' decayed rate */
	double fast_half_life_seconds;    /* of a second, faster one: the expectation is the
					   * higher of the two (a storm is taken in at once) */
	double prior_calls;               /* pseudo-calls at prior_ratio */
	double prior_ratio;               /* before calls are seen; the reference rate of
					   * false_alarm_calls */
	double history_half_life_seconds; /* of the operator's own long-run rate */
	double history_settle_seconds;    /* half-life of a call's move into it (0: at once) */
	double storm_volume_factor;       /* the agency's calls per hour against its usual from
					   * which its call-takers' own calls count in their fast
					   * expectation (0: never) */
	double storm_usual_half_life_seconds; /* of that usual rate */
	bool per_source; /* each feed source's calls make a baseline of their own (per agency) */
	double source_cap_z; /* a call's expectation is at most its source's own baseline's upper
			      * bound at this many standard errors (0: the shared rate alone) */
	double source_depart_z; /* a source whose premature share is this many standard errors
				 * above the rest's leaves the shared baseline (0: never) */
	double storm_offered_factor;      /* the same for the agency's offered calls, while it
					   * sends call_offered events (0: never) */
};

/* What a named feed source may say (sources:): its agencies, when listed. */
struct config_source {
	char name[CONFIG_SOURCE_NAME_MAX];
	char agencies[CONFIG_MAX_SOURCE_AGENCIES][CONFIG_SOURCE_NAME_MAX]; /* "" may be listed */
	size_t agency_count; /* 0: any agency */
};

/* What becomes of a source that sources: does not list. */
enum config_unlisted {
	CONFIG_UNLISTED_ACCEPT = 0, /* its events are taken (the default) */
	CONFIG_UNLISTED_REJECT, /* refused: source_not_allowed (connections without a hello too) */
};

/* One key that signs i3 log events: the JWS header's kid, a PEM public key file and the
 * elementIds it may sign for (none listed: any). */
struct config_i3_key {
	char kid[CONFIG_I3_KID_MAX];
	char file[CONFIG_PATH_MAX];
	char elements[CONFIG_MAX_I3_KEY_ELEMENTS][CONFIG_SOURCE_NAME_MAX]; /* 1 to 64 bytes */
	size_t element_count;
};

struct config {
	struct {
		struct config_listen listen;
		uint32_t max_line_bytes;
		uint32_t max_connections;
		uint32_t max_sources; /* distinct feed source ids remembered for resend detection */
		uint32_t keepalive_seconds;    /* TCP keepalive idle time; 0 = off */
		uint32_t idle_timeout_seconds; /* close a feed silent this long; 0 = never */
		uint32_t silence_seconds;      /* a source silent this long (wall clock) raises a
						* feed_silent system alert; 0 = off */
		uint32_t max_future_seconds;   /* reject ts this far ahead of the host clock */
		uint32_t max_seq_jump;         /* how far one line may move a source's seq */
		uint32_t
			/* a source silent this long (host time) holds nothing */
			source_idle_seconds;
		bool tls;		     /* serve the feed port over TLS (restart to change) */
		/* with tls: a certificate signed by tls.client_ca */
		bool require_client_certificate;
		enum config_source_binding
			source_binding; /* with tls: hello source vs certificate */
		/* connection slots (docs/protocol.md "Connection rules") */
		uint32_t max_pending_connections;     /* connections that sent no valid line yet */
		uint32_t max_connections_per_address; /* open connections from one host */
		uint32_t handshake_timeout_seconds; /* a pending connection is closed after this */
		uint32_t line_timeout_seconds;	    /* a line left incomplete this long closes it */
		/* lines an iteration processes while a snapshot's child runs (or is near) */
		uint32_t snapshot_iteration_budget_us;
		char mapping
			/* records of this mappings[] entry, not feed lines; "" */
			[CONFIG_NAME_MAX];
	} feed;
	struct {
		struct config_listen listen;
		uint32_t max_subscribers;
		uint32_t max_queue_bytes; /* per subscriber, unsent output */
		bool tls;		  /* serve the alert port over TLS (restart to change) */
		/* with tls: a certificate signed by tls.client_ca */
		bool require_client_certificate;
		/* connection slots (docs/protocol.md "Connection rules") */
		uint32_t max_pending_connections;     /* consoles not yet taken as consoles */
		uint32_t max_connections_per_address; /* open connections from one host */
		uint32_t handshake_timeout_seconds;   /* a pending console is closed after this */
		uint32_t line_timeout_seconds; /* a line left incomplete this long closes it */
	} alerts;
	struct {
		struct config_listen listen;  /* the HTTP API, metrics and health (docs/http.md) */
		uint32_t max_header_bytes;    /* request line and headers of one request */
		uint32_t max_body_bytes;      /* body of one request */
		uint32_t max_alerts_bytes;    /* alert lines in one GET /api/alerts answer */
		uint32_t
			timeout_seconds; /* a request (or an idle connection) this slow is closed */
		/* connection slots (docs/http.md "Connections") */
		uint32_t max_connections;             /* open HTTP connections */
		uint32_t max_connections_per_address; /* open HTTP connections from one host */
		/* GET /api/stream (Server-Sent Events) */
		uint32_t max_streams;              /* streams open at once */
		uint32_t max_stream_queue_bytes;   /* per stream, unsent output */
		uint32_t stream_keepalive_seconds; /* a comment after this long without output */
		bool tls;                     /* serve HTTPS (restart to change) */
	} http;
	struct {
		/* One server identity shared by every listener with tls: true (docs/security.md,
		 * "TLS and mutual TLS").
		 * Paths are absolute, "" = none; a reload loads them again into a new context. */
		char certificate[CONFIG_PATH_MAX]; /* PEM chain, server certificate first */
		char key[CONFIG_PATH_MAX]; /* PEM private key, mode without group/other bits */
		char client_ca[CONFIG_PATH_MAX]; /* PEM CA bundle that signs client certificates */
		enum config_tls_version min_version;
		char ciphers[CONFIG_CIPHERS_MAX];  /* TLS 1.2 cipher list, OpenSSL syntax */
	} tls;
	struct {
		uint32_t max_open_calls;   /* calls started and not yet ended */
		uint32_t max_call_seconds; /* an open call silent this long (event time) expires */
		uint32_t max_operators;    /* distinct (agency, operator) pairs tracked */
		uint32_t max_window_calls; /* completed calls kept per operator */
		uint32_t max_center_calls; /* completed calls kept for the center's baseline */
		uint32_t
			/* events older than the newest ts minus this are rejected */
			allowed_lateness_seconds;
		uint32_t max_dedupe_events;  /* events remembered to recognize duplicates */
		uint32_t max_recent_callers; /* premature hangups remembered for repeat callers */
		uint32_t max_source_lag_seconds; /* a source further behind is judged on its own */
		uint32_t max_source_behind_seconds; /* behind the host and the newest source: not
						     * held, clock_behind (0: off) */
		uint32_t max_reorder_events;     /* events held to release them in ts order */
		/* issue 11 item 7: one source cannot flood the tables (lib/binding.h) */
		bool bind_calls_to_source; /* a call's events only from the source that opened it */
		/* an operator's calls only from the source that owns it */
		bool bind_operators_to_source;
		uint32_t max_new_operators_per_source_per_hour; /* 0 = no limit */
		uint32_t max_open_calls_per_source; /* started calls one sender holds; 0 = none */
	} tracker;
	struct {
		double max_talk_seconds;   /* talk time below this is "short" */
		unsigned released_by_mask; /* enum released_by bits that count as premature */
		uint32_t repeat_window_seconds; /* a redial this soon after a hangup marks it */
		/* ... when it was a real call: an incident, a transfer or at least this much
		 * talk (0: any redial not premature itself) */
		double callback_min_talk_seconds;
		uint32_t
			/* an alert resolves after its rules stay false this long */
			resolve_after_seconds;
		uint32_t max_alert_callbacks;   /* callbacks kept per open alert */
		/* an alert not acknowledged this long after firing is escalated once; 0 = off.
		 * Indexed by severity level: 0 info, 1 warning, 2 critical. */
		uint32_t escalate_unacked_after_seconds[CONFIG_SEVERITY_COUNT];
		struct config_rule rules[CONFIG_MAX_RULES];
		size_t rule_count;
		struct config_baseline baseline;
	} detector;
	struct {
		char state_directory[CONFIG_PATH_MAX]; /* used when $STATE_DIRECTORY is not set */
		enum config_fsync fsync;
		uint32_t fsync_interval_ms;   /* with fsync: interval */
		uint32_t segment_max_bytes;   /* a segment is closed past this size... */
		uint32_t segment_max_seconds; /* ...or this age (wall clock) */
		uint32_t
			/* closed segments older than this (event time) are deleted */
			retention_seconds;
	} journal;
	struct {
		uint32_t rate_limit_seconds; /* repeated warnings: at most one per interval */
	} log;
	struct config_receiver receivers[CONFIG_MAX_RECEIVERS];
	size_t receiver_count; /* 0 by default */
	struct config_mapping mappings[CONFIG_MAX_MAPPINGS];
	size_t mapping_count; /* 0 by default */
	struct {
		struct config_token
			tokens[CONFIG_MAX_TOKENS]; /* auth is on with at least one token */
		size_t token_count;                            /* here or in tokens_file */
		char tokens_file[CONFIG_PATH_MAX];   /* "" = none; lines "SHA256HEX ROLE NAME" */
		uint32_t max_failures_per_minute;    /* per address, per failure_window_seconds */
		uint32_t failure_window_seconds;     /* the "minute" of max_failures_per_minute */
		uint32_t max_tracked_addresses;      /* bound of the failure table */
		enum redact_mode
			redact_ani[CONFIG_ROLE_COUNT]; /* callers' numbers each role sees */
	} auth;
	/* NATS JetStream (docs/scale-out.md): events in through a durable pull consumer, alerts
	 * out to a stream. Taken at start: a reload keeps the running section (restart to
	 * change). */
	struct config_nats {
		bool enabled;
		char servers[CONFIG_NATS_MAX_SERVERS][CONFIG_URL_MAX]; /* nats:// or tls:// URLs */
		size_t server_count;
		char credentials[CONFIG_PATH_MAX]; /* .creds file (JWT + NKey seed); "" = none */
		char token_file[CONFIG_PATH_MAX];      /* file holding the token; "" = none */
		char tls_ca[CONFIG_PATH_MAX];          /* PEM CA of the servers; "" = no TLS */
		char tls_certificate[CONFIG_PATH_MAX]; /* PEM client certificate; "" = none */
		char tls_key[CONFIG_PATH_MAX];         /* its key */
		char events_stream[CONFIG_NATS_NAME_MAX];
		char events_subject_prefix[CONFIG_NATS_SUBJECT_MAX]; /* events on PREFIX.<agency> */
		/* filters; none: PREFIX.> */
		char subjects[CONFIG_NATS_MAX_SUBJECTS][CONFIG_NATS_SUBJECT_MAX];
		size_t subject_count;
		char consumer[CONFIG_NATS_NAME_MAX];   /* the durable consumer's name */
		uint32_t fetch_batch;                  /* messages asked for per pull */
		uint32_t max_in_flight;                /* delivered, not yet acknowledged */
		uint32_t ack_wait_seconds;             /* unacknowledged this long: redelivered */
		bool publish_alerts;                   /* notices to the alerts stream */
		char alerts_stream[CONFIG_NATS_NAME_MAX];
		/* PREFIX.<agency>, PREFIX._system */
		char alerts_subject_prefix[CONFIG_NATS_SUBJECT_MAX];
		uint32_t max_alert_queue;              /* notices waiting for the cluster */
		uint32_t connect_timeout_ms;
		uint32_t reconnect_wait_ms;
		uint32_t max_reconnect_attempts;       /* 0 = for ever */
		/* each message one record of this mapping; "" = lines */
		char mapping[CONFIG_NAME_MAX];
	} nats;
	struct config_source sources[CONFIG_MAX_SOURCES]; /* what each named source may say */
	size_t source_count;   /* 0 by default */
	enum config_unlisted unlisted_sources;
	/* POST /LogEvents: NENA i3 log events (docs/protocol.md "NENA i3 log events"); restart to
	 * change */
	struct {
		bool enabled;                /* serve POST /LogEvents on the HTTP listener */
		uint32_t max_body_bytes;     /* one request's body (a JWS): 461 beyond */
		bool require_signature;      /* refuse a JWS whose kid is not in public_keys */
		struct config_i3_key public_keys[CONFIG_MAX_I3_KEYS];
		size_t public_key_count;
		uint32_t max_calls;            /* calls remembered between their log events */
		uint32_t
			/* requests waiting for their lines to be durable: 503 beyond */
			max_pending_requests;
		unsigned
			/* enum released_by bit: the element sent the BYE */
			bye_outgoing_released_by;
		unsigned bye_incoming_released_by; /* the element received it */
	} i3;
};

/* Every problem found in one configuration text, in document order. */
struct config_errors {
	char message[CONFIG_MAX_ERRORS][CONFIG_ERROR_MAX];
	size_t count;   /* messages kept */
	size_t dropped; /* further errors not kept */
};

/** Fill *config with the built-in defaults: every key's fallback (documented in
 * config/cadmon.yaml). */
void config_set_defaults(struct config *config);

/**
 * Whether text holds no configuration: no YAML document at all (empty, blanks, comments) or one
 * document that is only a null ("---" / "..." alone, "~", "null"), which config_parse would
 * take as every default. False for anything else, broken YAML included (config_parse says why).
 */
bool config_holds_nothing(const char *text, size_t len);

/**
 * Parse a YAML configuration from a buffer. Keys not given keep their defaults.
 * Every error is collected as "FILENAME:LINE:COLUMN: key.path: what is wrong" (1-based).
 * Returns 0 and fills *config only when there are no errors; otherwise -EINVAL, *config
 * untouched, and errors->count + errors->dropped > 0.
 */
int config_parse(const char *text, size_t len, const char *filename, struct config *config,
		 struct config_errors *errors);

/**
 * The whole configuration as YAML, every key in the parser's order, such that config_parse of
 * the text gives back exactly *config: what snapshots store and `cadmond --dump-config` shows.
 * Returns a malloc'd NUL-terminated string (its length in *len unless len is NULL) the caller
 * frees, or NULL on allocation failure.
 */
char *config_dump(const struct config *config, size_t *len);

/**
 * config_dump of the configuration text gives, each value followed by where it came from:
 * "  # FILENAME:LINE" when the text set it, "  # default" otherwise (text may be NULL: all
 * defaults). What `cadmond -d` prints. NULL with *errors filled when the text does not parse
 * (errors->count == 0: out of memory).
 */
char *config_dump_traced(const char *text, size_t len, const char *filename, size_t *out_len,
			 struct config_errors *errors);

/* One difference found by config_diff: the key's dotted path and its values as text. A rule
 * is named by its name ("detector.rules.burst.min_calls"); a whole rule removed has after
 * NULL, one added has before NULL (the other is "present"). */
typedef void config_change_fn(void *ctx, const char *path, const char *before, const char *after);

/**
 * Every key whose value differs between running and next, in the parser's order, through
 * changed (what a reload logs); rules are matched by name. Returns how many.
 */
size_t config_diff(const struct config *running, const struct config *next,
		   config_change_fn *changed, void *ctx);

/* One key of the schema (lib/config.c's key tables), as config_keys hands it over. */
struct config_key_info {
	const char *path; /* "feed.max_line_bytes"; a list entry's key "detector.rules[].name" */
	const char *doc;      /* the first line of its comment in config/cadmon.yaml; NULL: none */
	const char
		*unit; /* "seconds", "milliseconds", "hours", "bytes", "count", "ratio", "number",
			       * "boolean", "choice", "name", "text", "path", "address", "url",
			       * "list";
			       * NULL for a section */
	const char *reload;   /* "live": SIGHUP applies it; "restart": a reload keeps the running
			       * value; NULL for a section */
	const char *
		fallback; /* its default as YAML text, read by its own parser; NULL: zero or none */
	const char *value; /* the value its fallback alone gives (zero without one), as config_dump
			       * writes it; NULL for a section, a list of mappings or a required key
			       * without a fallback */
	const char *fallback_error; /* why its fallback does not parse ("(default):1:1: PATH: ..."),
				     * or NULL */
	bool required;        /* an entry of its list must give it */
	bool section;         /* a mapping of keys (they follow it) */
	bool in_list_entry;   /* a key of each entry of a list ("detector.rules[].name") */
};

typedef void config_key_fn(void *ctx, const struct config_key_info *key);

/**
 * Every key of the schema in the parser's order, sections before their keys, a list of
 * mappings before its entries' keys ("detector.rules[].name"), through fn. Returns how many
 * (0 when out of memory).
 */
size_t config_keys(config_key_fn *fn, void *ctx);

/* What a reload keeps of next: each key whose table says RESTART and whose value differs. */
struct config_restart_report {
	config_change_fn *kept; /* path, running's value, next's (as config_diff reports them) */
	/* then, once for a top-level section or list none of whose keys a reload applies (i3,
	 * nats, receivers) if any of them differed: its name, and whether it is a list */
	void (*whole_kept)(void *ctx, const char *name, bool is_list);
	void *ctx;
};

/**
 * Prepare next to replace running on a reload: every key the schema marks as needing a
 * restart (feed.tls, journal.state_directory, receivers, i3, nats, ...) whose value differs
 * is reported through report and gets running's value back, so that config_diff of the two
 * then names only what the reload applies. Returns how many differences were kept.
 */
size_t config_keep_restart_keys(const struct config *running, struct config *next,
				const struct config_restart_report *report);

/** The YAML name of a role ("viewer", "supervisor", "admin"). */
const char *config_role_name(enum config_role role);

/** The role named text[0..len); false when it names none. */
bool config_role_parse(const char *text, size_t len, enum config_role *role);

/** Lowercase hex SHA-256 of bytes[0..len) into hex (CONFIG_SHA256_HEX + 1 bytes); false on
 * failure. */
bool config_sha256_hex(const void *bytes, size_t len, char hex[CONFIG_SHA256_HEX + 1]);
/** The YAML name of a TLS version ("1.2", "1.3"). */
const char *config_tls_version_name(enum config_tls_version version);

/** The YAML name of an fsync policy ("batch", "interval", "none"). */
const char *config_fsync_name(enum config_fsync fsync);

/** Longest rule window, seconds: how much event history the detector must keep. */
uint32_t config_longest_window_seconds(const struct config *config);

/** How long the state takes to refill after history was lost, seconds: the longest rule
 * window, or detector.repeat_window_seconds if longer (a redial of a lost hangup marks
 * nothing). */
uint32_t config_refill_seconds(const struct config *config);

/** How long a "limit" system alert stays open without a hit before it resolves, the engine's
 * (event time) and the daemon's (host time) alike: detector.resolve_after_seconds, but never
 * less than log.rate_limit_seconds (at least 1). With resolve_after_seconds 0 a limit hit
 * again within the log's interval keeps its one alert, not a firing and a resolved a hit. */
uint32_t config_limit_quiet_seconds(const struct config *config);

/** The sources: entry of the feed source name (its hello's source), NULL when none names it. */
const struct config_source *config_source_named(const struct config *config, const char *name);

/** Whether sources: lists the feed source name (its hello's source). */
bool config_lists_source(const struct config *config, const char *name);

#endif
