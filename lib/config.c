/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

/*
 * The YAML configuration loader: one pass over libyaml's event stream, read from a buffer
 * into a local copy of the defaults. Every mapping is walked by parse_mapping() through a
 * table of keys (struct key), each naming its handler, its field, its range, its default (its
 * fallback text, read by its own handler in config_set_defaults), its unit and whether a
 * reload applies it (LIVE(unit) / RESTART(unit)) and its meaning (.doc). Errors are
 * collected in document order and the copy is handed back only when there are none.
 *
 * A new key is one entry: e.g. in a section's table
 *   UINT32_KEY("max_widgets", feed.max_widgets, 1, 65535, "64", LIVE(COUNT),
 *              "First line of its comment in config/cadmon.yaml."),
 * or { .name = "tls", .parse = parse_bool, FIELD(feed.tls), .fallback = "false",
 *      RESTART(BOOLEAN), .doc = "..." } for another type; a list entry's key likewise, its .doc
 * being the first line of its row in the comment above the list. A RESTART key needs a FIELD
 * (or LIST) so that a reload can put the running value back.
 *
 * How the text is read:
 * - Scalars are text interpreted by the key's type; quoting and tags do not change that, so
 *   `max_connections: "64"` is 64 and `name: 123` is the name "123".
 * - A section (feed, alerts, tracker, detector, premature, log) whose value is null
 *   (`feed:` or `feed: ~`) keeps its defaults, like an empty one. Nothing else may be null.
 * - Anchors and aliases are rejected: a config file has no need for them, and without them
 *   every error points at the text that caused it.
 * - One document per file; an empty file or a file of comments is all defaults.
 * - Cross-field checks run after the walk, over the values that parsed cleanly, so one
 *   mistake is reported once.
 *
 * Every message is "FILENAME:LINE:COLUMN: " (1-based) followed by one of these, where PATH is
 * the key path ("detector.rules[1].name", "top level" for the document itself; in a rule
 * whose name parsed, "detector.rules[1] (name: night-watch): window_seconds") and the
 * position is where the offending text starts:
 *
 *   syntax error: <libyaml problem>                 malformed YAML, invalid UTF-8, tabs...
 *   out of memory                                   libyaml could not allocate
 *   PATH: unknown key                               at the key; with " (did you mean KEY?)" when
 *                                                   a key of the mapping is at most two edits away,
 *                                                   or a key of that name is in another section
 *   PATH: duplicate key                             at the second occurrence of the key
 *   PATH: key must be a string                      a mapping or sequence used as a key
 *   PATH: required key missing                      at the start of the mapping lacking it
 *   PATH: anchors and aliases are not supported     at the &anchor or *alias
 *   top level: must be a mapping                    a document that is a scalar or sequence
 *   top level: only one document is allowed         at the start of the second document
 *   PATH: must be a mapping                         a section or rule that is not a mapping
 *   PATH: must be a sequence                        released_by, rules
 *   PATH: must be an address or a sequence of addresses     listen
 *   PATH: must not be empty                         an empty listen, released_by or rules
 *   PATH[N]: too many entries (at most N)           at the first entry past the limit
 *   PATH: must be an integer from MIN to MAX        every integer key, whatever is wrong
 *   PATH: must be a number greater than 0           detector.premature.max_talk_seconds
 *   PATH: must be a number from 0 to 1              detector.rules[].min_ratio
 *   PATH: must be ipv4:port or [ipv6]:port          a listen entry without host and port
 *   PATH: IPv6 addresses must be in brackets, as [ipv6]:port
 *   PATH: host must be a numeric IPv4 or [IPv6] address     names are not accepted: the
 *                                                   listener binds numeric addresses only
 *   PATH: port must be an integer from 0 to 65535
 *   PATH: must be at most 63 characters             a listen entry too long
 *   PATH: must be one of operator, caller, system, unknown  released_by entries
 *   PATH: duplicate entry                           a released_by value given twice
 *   PATH: must be 1 to 31 characters from a-z, 0-9, _ and -  rule names
 *   PATH: must be one of info, warning, critical    rule severities
 *   PATH: duplicate rule name, already used by detector.rules[N]
 *   PATH: must be at most min_calls (N)             rules[].min_premature
 *   PATH: must be at most tracker.max_window_calls (N)      rules[].min_calls: the tracker
 *                                                   keeps no more calls, so it could never fire
 *   PATH: must be one of window, cusum              rules[].type
 *   PATH: must be a number of at least 1            rules[].called_back_weight
 *   PATH: must be a number greater than 0, at most 1        rules[].max_p_value
 *   PATH: must be a number from 0 to less than 1    rules[].min_center_ratio, rules[].p0
 *   PATH: must be a number greater than 1           rules[].odds_ratio
 *   PATH: must be an absolute path of at most 255 bytes     journal.state_directory
 *   PATH: must be one of batch, interval, none      journal.fsync
 *   PATH: must be at least the longest rule window plus tracker.allowed_lateness_seconds (N)
 *                                                   journal.retention_seconds
 *   PATH: must be one of none, last4, all            redact_ani
 *   PATH: must be one of viewer, supervisor, admin, feed   auth.tokens[].role
 *   PATH: must be 64 hex digits (a SHA-256)         auth.tokens[].sha256
 *   PATH: must be at least 16 bytes                 auth.tokens[].token (hashed on parsing)
 *   PATH: needs sha256 or token                     at the token's mapping
 *   PATH: give sha256 or token, not both            at token
 *   PATH: duplicate token name, already used by auth.tokens[N]
 *   PATH: the same token as auth.tokens[N]
 *   PATH: must be true or false                     feed.tls and the other switches
 *   PATH: must be "1.2" or "1.3"                    tls.min_version
 *   PATH: must be one of certificate, none          feed.source_binding
 *   PATH: must be 1 to 255 characters of an OpenSSL cipher list ...    tls.ciphers
 *   LISTENER.tls: needs tls.certificate and tls.key (either alone when the other is set)
 *   feed.require_client_certificate: needs tls.client_ca (with feed.tls)   also alerts.;
 *                                                   at feed.tls when the default is in force
 *   feed.source_binding: certificate needs feed.require_client_certificate: true (or
 *                                                   set source_binding: none)   with feed.tls
 *   PATH: must be true or false                     tracker.bind_*_to_source
 *   PATH: must be 1 to 64 bytes, no control characters       sources[].name,
 *                                                   i3.public_keys[].elements entries
 *   PATH: must be at most 64 bytes, no control characters    sources[].agencies entries
 *   PATH: duplicate source name, already used by sources[N]
 *   PATH: must be one of accept, reject             unlisted_sources
 *   PATH: reject needs a sources list               unlisted_sources: reject without sources
 *   PATH: must be one of csv, json                  mappings[].format
 *   PATH: must be a string of at most N bytes without control characters
 *                                                   mappings[].fields.*, mappings[].agency
 *   PATH: must be one printable character other than a double quote   mappings[].delimiter
 *   PATH: <why the pattern cannot be read>          mappings[].time_format (mapping.h)
 *   PATH: must be UTC, an offset +hh:mm or -hh:mm, or an IANA zone name (America/Chicago)
 *   PATH: must be one of earlier, later             mappings[].ambiguous_time
 *   PATH: must be one of operator, caller, system, unknown
 *                                                   released_by_values entries, released_by_default
 *   PATH: duplicate mapping name, already used by mappings[N]
 *   PATH: NAME is not in the record (fields.NAME is empty): every record would be skipped
 *                                                   mappings[].skip_when_empty
 *   PATH: ADDRESS is already used by feed.listen    mappings[].listen (or mappings[N].listen)
 *   PATH: must be a column number from 1 to 64 (header: false)   mappings[].fields.*
 *   feed.mapping: no mapping named "NAME" in mappings
 *   nats.mapping: no mapping named "NAME" in mappings (or a CSV one with header: true)
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml.h>

#include <openssl/evp.h>

#include "event.h"
#include "invariant.h"
#include "mapping.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest part of an unknown key shown in a message, bytes. */
#define KEY_SHOWN_MAX 64

/* The keys of a rule, named so the cross-field checks can find where values came from. */
enum { RULE_NAME, RULE_TYPE, RULE_WINDOW_SECONDS, RULE_MIN_CALLS, RULE_MIN_PREMATURE,
       RULE_MIN_RATIO, RULE_MIN_CALLED_BACK, RULE_CALLED_BACK_WEIGHT, RULE_MAX_P_VALUE,
       RULE_MIN_CENTER_RATIO, RULE_P0, RULE_ODDS_RATIO, RULE_THRESHOLD, RULE_SEVERITY,
       RULE_FALSE_ALARM_CALLS, RULE_HISTORY_PRIOR, RULE_MAX_OWN_FACTOR, RULE_CUT_SHARE,
       RULE_FALSE_ALARM_HOURS, RULE_RATE_HALF_LIFE_SECONDS, RULE_HOURLY_RAISES,
       RULE_MAX_CALLS_PER_HOUR, RULE_HISTORY_SETTLED_PRIOR, RULE_HISTORY_SETTLED_MIN_EXPECTED,
       RULE_RATE_MAX_GAP_SECONDS, RULE_OWN_FACTOR_LAG, RULE_KEY_COUNT };

/* Values remembered for cross-field checks and --dump-config: the document, sections and
 * their keys (fewer than 128), and every key of every rule. */
/* The keys of a receiver. */
enum { RECEIVER_NAME, RECEIVER_TYPE, RECEIVER_URL, RECEIVER_MAX_QUEUE, RECEIVER_TIMEOUT_MS,
       RECEIVER_MAX_RETRIES, RECEIVER_BACKOFF_BASE_MS, RECEIVER_BACKOFF_MAX_MS,
       RECEIVER_RESEND_SECONDS, RECEIVER_DOWN_AFTER_FAILURES, RECEIVER_DOWN_AFTER_SECONDS,
       RECEIVER_HMAC_SECRET_FILE, RECEIVER_REDACT_ANI,
       RECEIVER_KEY_COUNT };

/* The keys of a bearer token. */
enum { TOKEN_NAME, TOKEN_ROLE, TOKEN_SHA256, TOKEN_TOKEN, TOKEN_KEY_COUNT };

/* The keys of a source (sources:). */
enum { SOURCE_NAME, SOURCE_AGENCIES, SOURCE_KEY_COUNT };

/* The keys of a record mapping, and of its fields. */
enum {
	MAPPING_NAME,
	MAPPING_FORMAT,
	MAPPING_HEADER,
	MAPPING_DELIMITER,
	MAPPING_FIELDS,
	MAPPING_AGENCY,
	MAPPING_TIME_FORMAT,
	MAPPING_TIME_ZONE,
	MAPPING_AMBIGUOUS_TIME,
	MAPPING_RELEASED_BY_VALUES,
	MAPPING_RELEASED_BY_DEFAULT,
	MAPPING_SKIP_WHEN_EMPTY,
	MAPPING_LISTEN,
	MAPPING_KEY_COUNT
};
enum { FIELD_CALL_ID, FIELD_AGENCY, FIELD_OPERATOR, FIELD_POSITION, FIELD_ANI, FIELD_ANSWER_TIME,
       FIELD_RELEASE_TIME, FIELD_RELEASED_BY, FIELD_INCIDENT_ID, FIELD_KEY_COUNT };

#define MAX_ORIGINS                                                                                \
	(128 + CONFIG_MAX_RULES * RULE_KEY_COUNT + CONFIG_MAX_RECEIVERS * RECEIVER_KEY_COUNT +     \
	 CONFIG_MAX_TOKENS * TOKEN_KEY_COUNT + CONFIG_MAX_SOURCES * SOURCE_KEY_COUNT +             \
	 CONFIG_MAX_MAPPINGS * (MAPPING_KEY_COUNT + FIELD_KEY_COUNT))

/* ---- defaults ---------------------------------------------------------------------- */

static void set_table_defaults(struct config *config);

/* Every key's default is its table entry's fallback (set_table_defaults): the listen
 * addresses, released_by, nats.servers and the default rule too. */
void config_set_defaults(struct config *config)
{
	memset(config, 0, sizeof *config);
	set_table_defaults(config);
}

uint32_t config_longest_window_seconds(const struct config *config)
{
	uint32_t longest = 0;

	for (size_t i = 0; i < config->detector.rule_count; i++)
		if (config->detector.rules[i].window_seconds > longest)
			longest = config->detector.rules[i].window_seconds;
	return longest;
}

uint32_t config_refill_seconds(const struct config *config)
{
	uint32_t longest = config_longest_window_seconds(config);

	return config->detector.repeat_window_seconds > longest
		       ? config->detector.repeat_window_seconds
		       : longest;
}

uint32_t config_limit_quiet_seconds(const struct config *config)
{
	uint32_t resolve = config->detector.resolve_after_seconds;

	return resolve > config->log.rate_limit_seconds ? resolve : config->log.rate_limit_seconds;
}

const struct config_source *config_source_named(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->source_count && i < CONFIG_MAX_SOURCES; i++)
		if (strcmp(config->sources[i].name, name) == 0)
			return &config->sources[i];
	return NULL;
}

bool config_lists_source(const struct config *config, const char *name)
{
	return config_source_named(config, name) != NULL;
}

/* ---- the loader: events, positions, errors ---------------------------------------- */

struct key;

/* Where a key's value was found, and whether it parsed cleanly (for cross-field checks). */
struct origin {
	const void *base;       /* the object the key was parsed into */
	const struct key *key;
	yaml_mark_t mark;       /* start of the value */
	bool valid;
};

struct loader {
	yaml_parser_t parser;
	yaml_event_t event;     /* the current event, while has_event */
	bool has_event;
	const char *text;
	size_t len;
	const char *filename;
	struct config_errors *errors;
	yaml_mark_t error_marks[CONFIG_MAX_ERRORS]; /* where each kept message points */
	struct origin *origins; /* MAX_ORIGINS of them; NULL when applying defaults */
	size_t origin_count;
};

/* A loader with room for every origin a configuration can have. */
struct tracing_loader {
	struct loader loader;
	struct origin origins[MAX_ORIGINS];
};

/* A key path being walked, e.g. "detector.rules[0].name". */
struct path {
	char text[CONFIG_ERROR_MAX];
	size_t len;
};

static bool mark_before(yaml_mark_t a, yaml_mark_t b)
{
	return a.line < b.line || (a.line == b.line && a.column < b.column);
}

static size_t errors_found(const struct loader *loader)
{
	return loader->errors->count + loader->errors->dropped;
}

/* Keep "FILENAME:LINE:COLUMN: what", in position order (stable); count it if full. */
static void add_error(struct loader *loader, yaml_mark_t mark, const char *what)
{
	struct config_errors *errors = loader->errors;
	size_t at = errors->count;

	if (errors->count == CONFIG_MAX_ERRORS) {
		errors->dropped++;
		return;
	}
	while (at > 0 && mark_before(mark, loader->error_marks[at - 1]))
		at--;
	memmove(errors->message[at + 1], errors->message[at],
		(errors->count - at) * sizeof errors->message[0]);
	memmove(&loader->error_marks[at + 1], &loader->error_marks[at],
		(errors->count - at) * sizeof loader->error_marks[0]);
	if (snprintf(errors->message[at], sizeof errors->message[at], "%s:%zu:%zu: %s",
		     loader->filename, mark.line + 1, mark.column + 1, what) < 0)
		errors->message[at][0] = '\0';
	loader->error_marks[at] = mark;
	errors->count++;
}

/* Report "PATH: <formatted>" at mark. */
static void report(struct loader *loader, yaml_mark_t mark, const struct path *path,
		   const char *format, ...)
{
	char problem[CONFIG_ERROR_MAX];
	char what[CONFIG_ERROR_MAX];
	va_list args;

	va_start(args, format);
	if (vsnprintf(problem, sizeof problem, format, args) < 0)
		problem[0] = '\0';
	va_end(args);
	if (snprintf(what, sizeof what, "%s: %s", path->len ? path->text : "top level",
		     problem) < 0)
		what[0] = '\0';
	add_error(loader, mark, what);
}

/* The line and column of a byte offset into the text (columns count characters). */
static yaml_mark_t mark_at_offset(const struct loader *loader, size_t offset)
{
	yaml_mark_t mark = { .index = offset };

	for (size_t i = 0; i < offset && i < loader->len; i++) {
		unsigned char byte = (unsigned char)loader->text[i];

		if (byte == '\n') {
			mark.line++;
			mark.column = 0;
		} else if ((byte & 0xC0) != 0x80) {
			mark.column++;
		}
	}
	return mark;
}

static void report_parser_error(struct loader *loader)
{
	const yaml_parser_t *parser = &loader->parser;
	char what[CONFIG_ERROR_MAX];
	yaml_mark_t mark = parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR) {
		add_error(loader, parser->mark, "out of memory");
		return;
	}
	if (parser->error == YAML_READER_ERROR)
		mark = mark_at_offset(loader, parser->problem_offset);
	if (snprintf(what, sizeof what, "syntax error: %s",
		     parser->problem ? parser->problem : "unknown problem") < 0)
		what[0] = '\0';
	add_error(loader, mark, what);
}

/* Advance to the next event; false (with the syntax error reported) when there is none. */
static bool loader_next(struct loader *loader)
{
	if (loader->has_event)
		yaml_event_delete(&loader->event);
	loader->has_event = yaml_parser_parse(&loader->parser, &loader->event) != 0;
	if (!loader->has_event)
		report_parser_error(loader);
	return loader->has_event;
}

static yaml_mark_t current_mark(const struct loader *loader)
{
	return loader->event.start_mark;
}

/* Consume the node that starts at the current event, leaving its last event current. */
static bool skip_node(struct loader *loader)
{
	long depth = 0;

	for (;;) {
		switch (loader->event.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (depth <= 0)
			return true;
		if (!loader_next(loader))
			return false;
	}
}

/* ---- scalars ------------------------------------------------------------------------ */

static bool is_scalar(const struct loader *loader)
{
	return loader->event.type == YAML_SCALAR_EVENT;
}

static const char *scalar_text(const struct loader *loader)
{
	return (const char *)loader->event.data.scalar.value;
}

static size_t scalar_len(const struct loader *loader)
{
	return loader->event.data.scalar.length;
}

/* True when the current scalar is exactly name (no embedded NUL can sneak past). */
static bool scalar_is(const struct loader *loader, const char *name)
{
	return is_scalar(loader) && scalar_len(loader) == strlen(name) &&
	       memcmp(scalar_text(loader), name, scalar_len(loader)) == 0;
}

/* A plain null: `key:`, `key: ~`, `key: null`. */
static bool scalar_is_null(const struct loader *loader)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!is_scalar(loader) || loader->event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (scalar_is(loader, nulls[i]))
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal integer without sign or leading zeros that fits in 32 bits. */
static bool decimal_to_uint32(const char *text, size_t len, uint32_t *value)
{
	uint64_t result = 0;

	if (len == 0 || (len > 1 && text[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(text[i]))
			return false;
		result = result * 10 + (uint64_t)(text[i] - '0');
		if (result > UINT32_MAX)
			return false;
	}
	*value = (uint32_t)result;
	return true;
}

static size_t skip_digits(const char *text, size_t len, size_t at)
{
	while (at < len && is_digit(text[at]))
		at++;
	return at;
}

/* An unsigned decimal number: 20, 0.35, .5, 1e3 (no sign, hex, inf or nan). */
static bool is_decimal_number(const char *text, size_t len)
{
	size_t at = skip_digits(text, len, 0);
	size_t digits = at;

	if (at < len && text[at] == '.') {
		size_t fraction_start = at + 1;

		at = skip_digits(text, len, fraction_start);
		digits += at - fraction_start;
	}
	if (digits == 0)
		return false;
	if (at < len && (text[at] == 'e' || text[at] == 'E')) {
		size_t exponent_start = ++at;

		if (at < len && (text[at] == '+' || text[at] == '-'))
			exponent_start = ++at;
		at = skip_digits(text, len, at);
		if (at == exponent_start)
			return false;
	}
	return at == len;
}

/* The current scalar as a finite, non-negative number. strtod() runs in the "C" numeric
 * locale, as the daemon never changes LC_NUMERIC. */
static bool scalar_to_number(const struct loader *loader, double *value)
{
	if (!is_scalar(loader) || !is_decimal_number(scalar_text(loader), scalar_len(loader)))
		return false;
	*value = strtod(scalar_text(loader), NULL);
	return isfinite(*value);
}

/* ---- key paths ---------------------------------------------------------------------- */

static void path_truncate(struct path *path, size_t len)
{
	path->len = len;
	path->text[len] = '\0';
}

/* Append raw bytes, shown safely: control bytes become '?', a cut never splits UTF-8. */
static void path_append(struct path *path, const char *bytes, size_t len)
{
	size_t room = sizeof path->text - 1 - path->len;

	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)bytes[len] & 0xC0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char byte = (unsigned char)bytes[i];

		path->text[path->len++] = byte < 0x20 || byte == 0x7F ? '?' : (char)byte;
	}
	path->text[path->len] = '\0';
}

/* Append ".name" ("name" at the top); returns the length to restore. */
static size_t path_push_key(struct path *path, const char *name, size_t len)
{
	size_t saved = path->len;

	if (path->len > 0)
		path_append(path, ".", 1);
	path_append(path, name, len < KEY_SHOWN_MAX ? len : KEY_SHOWN_MAX);
	return saved;
}

/* Append "[index]"; returns the length to restore. */
static size_t path_push_index(struct path *path, size_t index)
{
	size_t saved = path->len;
	char text[32];
	int len = snprintf(text, sizeof text, "[%zu]", index);

	path_append(path, text, len > 0 ? (size_t)len : 0);
	return saved;
}

/* ---- the key table walk ------------------------------------------------------------- */

/*
 * A value handler: the current event starts the key's value; on return the value's last
 * event is current. Bad values are reported, not fatal: the handler returns false only when
 * the YAML itself broke and reading must stop.
 */
typedef bool parse_fn(struct loader *loader, const struct path *path, const struct key *key,
		      void *field);

/* "prefix.name", or "name" at the top; cut at size (no schema path is that long). */
static void key_path(char *path, size_t size, const char *prefix, const char *name)
{
	int len = snprintf(path, size, "%s%s%s", prefix, prefix[0] ? "." : "", name);

	if (len < 0 && size > 0)
		path[0] = '\0';
}

static const struct key *schema_top_keys(void);

/* What a key's value counts or is (--dump-schema, cadmon.yaml(5), config/cadmon.yaml). */
enum key_unit {
	UNIT_UNDECLARED,
	UNIT_SECONDS,
	UNIT_MILLISECONDS,
	UNIT_MICROSECONDS,
	UNIT_HOURS,
	UNIT_BYTES,
	UNIT_COUNT,
	UNIT_RATIO,
	UNIT_NUMBER,
	UNIT_BOOLEAN,
	UNIT_CHOICE,
	UNIT_NAME,
	UNIT_TEXT,
	UNIT_PATH,
	UNIT_ADDRESS,
	UNIT_URL,
	UNIT_LIST,
	UNIT_COUNT_OF_UNITS
};

static const char *const unit_names[UNIT_COUNT_OF_UNITS] = {
	[UNIT_UNDECLARED] = "undeclared",
	[UNIT_SECONDS] = "seconds",
	[UNIT_MILLISECONDS] = "milliseconds",
	[UNIT_MICROSECONDS] = "microseconds",
	[UNIT_HOURS] = "hours",
	[UNIT_BYTES] = "bytes",
	[UNIT_COUNT] = "count",
	[UNIT_RATIO] = "ratio",
	[UNIT_NUMBER] = "number",
	[UNIT_BOOLEAN] = "boolean",
	[UNIT_CHOICE] = "choice",
	[UNIT_NAME] = "name",
	[UNIT_TEXT] = "text",
	[UNIT_PATH] = "path",
	[UNIT_ADDRESS] = "address",
	[UNIT_URL] = "url",
	[UNIT_LIST] = "list",
};

/* Whether SIGHUP applies a key (live) or keeps the running value until a restart. */
enum key_reload { RELOAD_UNDECLARED, RELOAD_LIVE, RELOAD_RESTART };

/* How a key declares its unit and reload: `LIVE(SECONDS)`, `RESTART(BOOLEAN)`. */
#define LIVE(unit_word) .unit = UNIT_##unit_word, .reload = RELOAD_LIVE
#define RESTART(unit_word) .unit = UNIT_##unit_word, .reload = RELOAD_RESTART

struct key {
	const char *name;
	parse_fn *parse;
	size_t offset;              /* of the field in the object the mapping fills */
	uint32_t min, max;          /* integer range */
	const struct key *children; /* sections: the keys of the nested mapping */
	const struct key *entries;  /* lists of mappings: the keys of each entry */
	bool required;
	bool secret;                /* parsed into another key's field; never dumped nor diffed */
	const char *fallback;       /* the default as YAML text, read by parse; NULL: zero */
	const char *doc; /* its meaning: the first line of its config/cadmon.yaml comment */
	enum key_unit unit;         /* LIVE(unit) or RESTART(unit): every key but a section's */
	enum key_reload reload;
	size_t span_offset; /* struct config's bytes holding the value (FIELD, LIST): what */
	size_t span_size;           /* a reload puts back for a RESTART key; 0 in list entries */
};

static void set_fallbacks(const struct key *keys, void *base);

static void remember_origin(struct loader *loader, const void *base, const struct key *key,
			    yaml_mark_t mark, bool valid)
{
	if (!loader->origins || loader->origin_count == MAX_ORIGINS)
		return;
	loader->origins[loader->origin_count++] =
		(struct origin){ .base = base, .key = key, .mark = mark, .valid = valid };
}

static const struct origin *origin_find(const struct loader *loader, const void *base,
					const struct key *key)
{
	for (size_t i = 0; i < loader->origin_count; i++)
		if (loader->origins[i].base == base && loader->origins[i].key == key)
			return &loader->origins[i];
	return NULL;
}

/* Report an anchored or aliased node (and skip it); true if it was one. */
static bool rejected_anchor(struct loader *loader, const struct path *path, bool *ok)
{
	const yaml_event_t *event = &loader->event;
	bool anchored =
		event->type == YAML_ALIAS_EVENT ||
		(event->type == YAML_SCALAR_EVENT && event->data.scalar.anchor) ||
		(event->type == YAML_SEQUENCE_START_EVENT && event->data.sequence_start.anchor) ||
		(event->type == YAML_MAPPING_START_EVENT && event->data.mapping_start.anchor);

	if (!anchored)
		return false;
	report(loader, current_mark(loader), path, "anchors and aliases are not supported");
	*ok = skip_node(loader);
	return true;
}

/* Parse the value at the current event into base through key, remembering where it was. */
static bool parse_value(struct loader *loader, const struct path *path, const struct key *key,
			void *base)
{
	size_t errors_before = errors_found(loader);
	yaml_mark_t mark = current_mark(loader);
	bool ok;

	if (!rejected_anchor(loader, path, &ok))
		ok = key->parse(loader, path, key, (char *)base + key->offset);
	remember_origin(loader, base, key, mark, errors_found(loader) == errors_before);
	return ok;
}

static const struct key *find_key(const struct key *keys, const struct loader *loader)
{
	for (const struct key *key = keys; key->name; key++)
		if (scalar_is(loader, key->name))
			return key;
	return NULL;
}

/* Edit distance (insertions, deletions, substitutions) between a and b, capped at cap + 1. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[KEY_SHOWN_MAX + 1];

	if (la > KEY_SHOWN_MAX || lb > KEY_SHOWN_MAX)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t best = diagonal + (a[i - 1] != b[j - 1]);
			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb] > cap ? cap + 1 : row[lb];
}

/* The dotted path of the key named name anywhere in table (prefix is its path so far). */
static bool find_key_path(const struct key *table, const char *prefix, const char *name, char *out,
			  size_t size)
{
	char here[CONFIG_ERROR_MAX];

	for (const struct key *key = table; key->name; key++) {
		snprintf(here, sizeof here, "%s%s%s", prefix, prefix[0] ? "." : "", key->name);
		if (strcmp(key->name, name) == 0) {
			snprintf(out, size, "%s", here);
			return true;
		}
		if (key->children && find_key_path(key->children, here, name, out, size))
			return true;
	}
	return false;
}

/*
 * What an unknown key was probably meant to be: a key of the same mapping at most two edits
 * away ("max_operator" -> max_operators) that keeps more than half of its characters (no "i3"
 * for "k3"), else a key of that exact name in another section
 * ("tracker.max_sources" -> feed.max_sources). False when nothing is close.
 */
static bool suggest_key(const struct key *keys, const char *name, char *out, size_t size)
{
	const struct key *closest = NULL;
	size_t closest_distance = 3;

	for (const struct key *key = keys; key->name; key++) {
		size_t distance = edit_distance(name, key->name, 2);
		if (distance < closest_distance &&
		    distance * 2 < strlen(key->name)) { /* most characters kept */
			closest = key;
			closest_distance = distance;
		}
	}
	if (closest) {
		snprintf(out, size, "%s", closest->name);
		return true;
	}
	return find_key_path(schema_top_keys(), "", name, out, size);
}

/*
 * The key at the current event: its table entry, or NULL (reported) when its value is to be
 * skipped. Leaves the key's segment on path.
 */
static const struct key *match_key(struct loader *loader, struct path *path,
				   const struct key *keys, uint32_t *given, bool *ok)
{
	const struct key *key;
	uint32_t bit;

	if (rejected_anchor(loader, path, ok))
		return NULL;
	if (!is_scalar(loader)) {
		report(loader, current_mark(loader), path, "key must be a string");
		*ok = skip_node(loader);
		return NULL;
	}
	path_push_key(path, scalar_text(loader), scalar_len(loader));
	key = find_key(keys, loader);
	if (!key) {
		char suggestion[CONFIG_ERROR_MAX];
		if (suggest_key(keys, scalar_text(loader), suggestion, sizeof suggestion))
			report(loader, current_mark(loader), path, "unknown key (did you mean %s?)",
			       suggestion);
		else
			report(loader, current_mark(loader), path, "unknown key");
		return NULL;
	}
	bit = 1u << (key - keys);
	if (*given & bit) {
		report(loader, current_mark(loader), path, "duplicate key");
		return NULL;
	}
	*given |= bit;
	return key;
}

/* One key and its value, the key being the current event. */
static bool parse_pair(struct loader *loader, struct path *path, const struct key *keys,
		       void *base, uint32_t *given)
{
	size_t saved = path->len;
	bool ok = true;
	const struct key *key = match_key(loader, path, keys, given, &ok);

	if (ok)
		ok = loader_next(loader);
	if (ok)
		ok = key ? parse_value(loader, path, key, base) : skip_node(loader);
	path_truncate(path, saved);
	return ok;
}

static void report_missing_keys(struct loader *loader, struct path *path,
				const struct key *keys, uint32_t given, yaml_mark_t start)
{
	for (const struct key *key = keys; key->name; key++) {
		if (!key->required || (given & (1u << (key - keys))))
			continue;
		size_t saved = path_push_key(path, key->name, strlen(key->name));

		report(loader, start, path, "required key missing");
		path_truncate(path, saved);
	}
}

/* Walk the mapping whose start is the current event, filling base through keys. */
static bool parse_mapping(struct loader *loader, const struct path *at, const struct key *keys,
			  void *base)
{
	struct path path = *at;
	yaml_mark_t start = current_mark(loader);
	uint32_t given = 0;

	for (;;) {
		if (!loader_next(loader))
			return false;
		if (loader->event.type == YAML_MAPPING_END_EVENT)
			break;
		if (!parse_pair(loader, &path, keys, base, &given))
			return false;
	}
	report_missing_keys(loader, &path, keys, given, start);
	return true;
}

/* Parse sequence entry `index` (the current event) into state. */
typedef bool parse_entry_fn(struct loader *loader, const struct path *path, size_t index,
			    void *state);

/* One sequence entry: anchors are refused, entries past max reported once and skipped. */
static bool parse_entry_within(struct loader *loader, const struct path *path, size_t index,
			       size_t max, parse_entry_fn *parse_entry, void *state)
{
	bool ok;

	if (rejected_anchor(loader, path, &ok))
		return ok;
	if (index < max)
		return parse_entry(loader, path, index, state);
	if (index == max)
		report(loader, current_mark(loader), path, "too many entries (at most %zu)", max);
	return skip_node(loader);
}

/* Walk the sequence whose start is the current event: 1..max entries. */
static bool parse_sequence(struct loader *loader, const struct path *at, size_t max,
			   parse_entry_fn *parse_entry, void *state)
{
	struct path path = *at;
	yaml_mark_t start = current_mark(loader);
	size_t index = 0;
	bool ok = true;

	for (; ok; index++) {
		if (!loader_next(loader))
			return false;
		if (loader->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		size_t saved = path_push_index(&path, index);

		ok = parse_entry_within(loader, &path, index, max, parse_entry, state);
		path_truncate(&path, saved);
	}
	if (ok && index == 0)
		report(loader, start, &path, "must not be empty");
	return ok;
}

/* ---- value handlers ----------------------------------------------------------------- */

/* A section: a mapping of its own keys, or null to keep its defaults. */
static bool parse_section(struct loader *loader, const struct path *path, const struct key *key,
			  void *field)
{
	if (loader->event.type == YAML_MAPPING_START_EVENT)
		return parse_mapping(loader, path, key->children, field);
	if (scalar_is_null(loader))
		return true;
	report(loader, current_mark(loader), path, "must be a mapping");
	return skip_node(loader);
}

static bool parse_uint32(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	uint32_t value;

	if (!is_scalar(loader) ||
	    !decimal_to_uint32(scalar_text(loader), scalar_len(loader), &value) ||
	    value < key->min || value > key->max) {
		report(loader, current_mark(loader), path,
		       "must be an integer from %" PRIu32 " to %" PRIu32, key->min, key->max);
		return skip_node(loader);
	}
	*(uint32_t *)field = value;
	return true;
}

static bool parse_positive_number(struct loader *loader, const struct path *path,
				  const struct key *key, void *field)
{
	double value;

	(void)key;
	if (!scalar_to_number(loader, &value) || value <= 0.0) {
		report(loader, current_mark(loader), path, "must be a number greater than 0");
		return skip_node(loader);
	}
	*(double *)field = value;
	return true;
}

/* A half-life in seconds the detector turns into milliseconds as an int64: > 0 and at most
 * 30 days (2592000), so that the product cannot overflow. */
static bool parse_bounded_half_life(struct loader *loader, const struct path *path,
				    const struct key *key, void *field)
{
	double value;

	(void)key;
	if (!scalar_to_number(loader, &value) || value <= 0.0 || value > 2592000.0) {
		report(loader, current_mark(loader), path,
		       "must be a number greater than 0 and at most 2592000 (30 days)");
		return skip_node(loader);
	}
	*(double *)field = value;
	return true;
}

/* A number >= 0 (the cross-field checks may ask for more, by rule type). */
static bool parse_nonnegative_number(struct loader *loader, const struct path *path,
				     const struct key *key, void *field)
{
	double value;

	(void)key;
	if (!scalar_to_number(loader, &value) || value < 0.0) {
		report(loader, current_mark(loader), path, "must be a number of at least 0");
		return skip_node(loader);
	}
	*(double *)field = value;
	return true;
}

static bool parse_ratio(struct loader *loader, const struct path *path, const struct key *key,
			void *field)
{
	double value;

	(void)key;
	if (!scalar_to_number(loader, &value) || value > 1.0) {
		report(loader, current_mark(loader), path, "must be a number from 0 to 1");
		return skip_node(loader);
	}
	*(double *)field = value;
	return true;
}

static bool all_chars(const char *text, size_t len, bool (*allowed)(char))
{
	for (size_t i = 0; i < len; i++)
		if (!allowed(text[i]))
			return false;
	return len > 0;
}

/* True when text[0..len) is a numeric address of family (inet_pton: no name lookup). */
static bool is_numeric_host(int family, const char *text, size_t len)
{
	char host[CONFIG_ADDRESS_MAX];
	unsigned char binary[sizeof(struct in6_addr)];

	if (len == 0 || len >= sizeof host || memchr(text, '\0', len))
		return false;
	memcpy(host, text, len);
	host[len] = '\0';
	return inet_pton(family, host, binary) == 1;
}

static const char *last_colon(const char *text, size_t len)
{
	while (len > 0 && text[len - 1] != ':')
		len--;
	return len > 0 ? text + len - 1 : NULL;
}

/*
 * Why address is not "ipv4:port" or "[ipv6]:port" with a numeric host, as the daemon's
 * listener requires, or NULL if it is. Syntax only: nothing is resolved or bound.
 */
static const char *address_problem(const char *address, size_t len)
{
	static const char shape[] = "must be ipv4:port or [ipv6]:port";
	const char *host = address;
	const char *host_end;
	const char *port_text;
	int family = AF_INET;
	uint32_t port;

	if (len > 0 && address[0] == '[') {
		family = AF_INET6;
		host = address + 1;
		host_end = memchr(host, ']', len - 1);
		if (!host_end || host_end + 1 == address + len || host_end[1] != ':')
			return shape;
	} else {
		host_end = last_colon(address, len);
		if (!host_end || host_end == host)
			return shape;
		if (memchr(host, ':', (size_t)(host_end - host)))
			return "IPv6 addresses must be in brackets, as [ipv6]:port";
	}
	if (!is_numeric_host(family, host, (size_t)(host_end - host)))
		return "host must be a numeric IPv4 or [IPv6] address";
	port_text = host_end + (family == AF_INET6 ? 2 : 1); /* past "]:" or ":" */
	if (!decimal_to_uint32(port_text, len - (size_t)(port_text - address), &port) ||
	    port > 65535)
		return "port must be an integer from 0 to 65535";
	return NULL;
}

/* One "host:port" into listen->address[index]. */
static bool parse_address(struct loader *loader, const struct path *path, size_t index,
			  void *state)
{
	struct config_listen *listen = state;
	const char *problem;

	if (!is_scalar(loader)) {
		report(loader, current_mark(loader), path, "must be ipv4:port or [ipv6]:port");
		return skip_node(loader);
	}
	if (scalar_len(loader) >= CONFIG_ADDRESS_MAX) {
		report(loader, current_mark(loader), path, "must be at most %d characters",
		       CONFIG_ADDRESS_MAX - 1);
		return true;
	}
	problem = address_problem(scalar_text(loader), scalar_len(loader));
	if (problem) {
		report(loader, current_mark(loader), path, "%s", problem);
		return true;
	}
	memcpy(listen->address[index], scalar_text(loader), scalar_len(loader) + 1);
	listen->count = index + 1;
	return true;
}

/* A listen list: one address, or a sequence of them. */
static bool parse_listen(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	struct config_listen *listen = field;

	(void)key;
	listen->count = 0;
	if (is_scalar(loader) && !scalar_is_null(loader))
		return parse_address(loader, path, 0, listen);
	if (loader->event.type == YAML_SEQUENCE_START_EVENT)
		return parse_sequence(loader, path, CONFIG_MAX_LISTEN, parse_address, listen);
	report(loader, current_mark(loader), path, "must be an address or a sequence of addresses");
	return skip_node(loader);
}

/* One released_by name, added to the mask. */
static bool parse_released_by_entry(struct loader *loader, const struct path *path, size_t index,
				    void *state)
{
	unsigned *mask = state;
	unsigned bit = 0;

	(void)index;
	if (is_scalar(loader) && strlen(scalar_text(loader)) == scalar_len(loader))
		bit = event_released_by_from_name(scalar_text(loader));
	if (bit == 0) {
		report(loader, current_mark(loader), path,
		       "must be one of operator, caller, system, unknown");
		return skip_node(loader);
	}
	if (*mask & bit)
		report(loader, current_mark(loader), path, "duplicate entry");
	*mask |= bit;
	return true;
}

static bool parse_released_by(struct loader *loader, const struct path *path,
			      const struct key *key, void *field)
{
	(void)key;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	*(unsigned *)field = 0;
	return parse_sequence(loader, path, SIZE_MAX, parse_released_by_entry, field);
}

static bool is_name_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

static bool parse_rule_name(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) >= CONFIG_NAME_MAX ||
	    !all_chars(scalar_text(loader), scalar_len(loader), is_name_char)) {
		report(loader, current_mark(loader), path,
		       "must be 1 to %d characters from a-z, 0-9, _ and -", CONFIG_NAME_MAX - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

/* feed.mapping: "" (feed lines) or a mapping's name (checked against mappings: later). */
static bool parse_mapping_name(struct loader *loader, const struct path *path,
			       const struct key *key, void *field)
{
	if (is_scalar(loader) && scalar_len(loader) == 0) {
		((char *)field)[0] = '\0';
		return true;
	}
	return parse_rule_name(loader, path, key, field);
}

static bool parse_severity(struct loader *loader, const struct path *path, const struct key *key,
			   void *field)
{
	static const char *const severities[] = { "info", "warning", "critical" };

	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(severities); i++) {
		if (scalar_is(loader, severities[i])) {
			snprintf(field, CONFIG_NAME_MAX, "%s", severities[i]);
			return true;
		}
	}
	report(loader, current_mark(loader), path, "must be one of info, warning, critical");
	return skip_node(loader);
}

static bool parse_rule_type(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	static const char *const types[] = { [CONFIG_RULE_WINDOW] = "window",
					     [CONFIG_RULE_CUSUM] = "cusum",
					     [CONFIG_RULE_SEQUENTIAL] = "sequential" };

	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (scalar_is(loader, types[i])) {
			*(enum config_rule_type *)field = (enum config_rule_type)i;
			return true;
		}
	}
	report(loader, current_mark(loader), path, "must be one of window, cusum, sequential");
	return skip_node(loader);
}

static bool parse_baseline_scope(struct loader *loader, const struct path *path,
				 const struct key *key, void *field)
{
	(void)key;
	if (scalar_is(loader, "agency") || scalar_is(loader, "center")) {
		*(enum config_baseline_scope *)field = scalar_is(loader, "center")
							       ? CONFIG_BASELINE_CENTER
							       : CONFIG_BASELINE_AGENCY;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of agency, center");
	return skip_node(loader);
}

/* An absolute path, at most CONFIG_PATH_MAX - 1 bytes, no NUL. */
static bool parse_directory(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) == 0 ||
	    scalar_len(loader) >= CONFIG_PATH_MAX || scalar_text(loader)[0] != '/' ||
	    strlen(scalar_text(loader)) != scalar_len(loader)) {
		report(loader, current_mark(loader), path,
		       "must be an absolute path of at most %d bytes", CONFIG_PATH_MAX - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

static const char *const fsync_names[] = { [CONFIG_FSYNC_BATCH] = "batch",
					     [CONFIG_FSYNC_INTERVAL] = "interval",
					     [CONFIG_FSYNC_NONE] = "none" };

const char *config_fsync_name(enum config_fsync fsync)
{
	return (unsigned)fsync < ARRAY_SIZE(fsync_names) ? fsync_names[fsync] : "?";
}

static bool parse_fsync(struct loader *loader, const struct path *path, const struct key *key,
			void *field)
{
	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(fsync_names); i++) {
		if (scalar_is(loader, fsync_names[i])) {
			*(enum config_fsync *)field = (enum config_fsync)i;
			return true;
		}
	}
	report(loader, current_mark(loader), path, "must be one of batch, interval, none");
	return skip_node(loader);
}

static bool parse_receiver_type(struct loader *loader, const struct path *path,
				const struct key *key, void *field)
{
	(void)key;
	if (scalar_is(loader, "alertmanager") || scalar_is(loader, "webhook")) {
		*(enum config_receiver_type *)field = scalar_is(loader, "alertmanager")
							      ? CONFIG_RECEIVER_ALERTMANAGER
							      : CONFIG_RECEIVER_WEBHOOK;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of alertmanager, webhook");
	return skip_node(loader);
}

static bool is_url_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The host[:port] of an http:// URL (authority, len bytes) as receivers.c connects to it: a host
 * ([ipv6] in brackets), then an optional port from 1 to 65535; no user@, "?" or "#". */
static bool url_authority_ok(const char *authority, size_t len)
{
	const char *port = NULL, *end = authority + len;
	uint32_t number;

	if (memchr(authority, '@', len) || memchr(authority, '?', len) ||
	    memchr(authority, '#', len))
		return false;
	if (len > 0 && authority[0] == '[') {
		const char *close = memchr(authority, ']', len);

		if (!close || close == authority + 1 || (close + 1 < end && close[1] != ':'))
			return false;
		port = close + 1 < end ? close + 2 : NULL;
	} else {
		const char *colon = last_colon(authority, len);

		if ((colon ? colon : end) == authority)
			return false;
		port = colon ? colon + 1 : NULL;
	}
	return !port || (decimal_to_uint32(port, (size_t)(end - port), &number) && number >= 1 &&
			 number <= 65535);
}

/* http://host[:port][/path]: plain HTTP only (TLS is not supported yet). */
static bool parse_url(struct loader *loader, const struct path *path, const struct key *key,
		      void *field)
{
	static const char scheme[] = "http://";
	const char *text = is_scalar(loader) ? scalar_text(loader) : "";
	size_t len = is_scalar(loader) ? scalar_len(loader) : 0;
	const char *authority, *slash;

	(void)key;
	if (len <= strlen(scheme) || len >= CONFIG_URL_MAX ||
	    strncmp(text, scheme, strlen(scheme)) != 0 || !all_chars(text, len, is_url_char) ||
	    text[strlen(scheme)] == '/') {
		report(loader, current_mark(loader), path,
		       "must be an http:// URL of at most %d bytes (https is not supported yet)",
		       CONFIG_URL_MAX - 1);
		return skip_node(loader);
	}
	authority = text + strlen(scheme);
	slash = memchr(authority, '/', len - strlen(scheme));
	if (!url_authority_ok(authority,
			      slash ? (size_t)(slash - authority) : len - strlen(scheme))) {
		report(loader, current_mark(loader), path,
		       "must be http://host[:port][/path]: a host, and a port from 1 to 65535 "
		       "(no user@, no ? or # before the path)");
		return skip_node(loader);
	}
	memcpy(field, text, len + 1);
	return true;
}

/* An absolute path, or "" for none. */
static bool parse_optional_path(struct loader *loader, const struct path *path,
				const struct key *key, void *field)
{
	if (is_scalar(loader) && scalar_len(loader) == 0) {
		((char *)field)[0] = '\0';
		return true;
	}
	return parse_directory(loader, path, key, field);
}

static bool parse_redact(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	(void)key;
	if (is_scalar(loader) && redact_mode_parse(scalar_text(loader), scalar_len(loader), field))
		return true;
	report(loader, current_mark(loader), path, "must be one of none, last4, all");
	return skip_node(loader);
}

static const char *const role_names[CONFIG_ROLE_COUNT] = { [CONFIG_ROLE_VIEWER] = "viewer",
							   [CONFIG_ROLE_SUPERVISOR] = "supervisor",
							   [CONFIG_ROLE_ADMIN] = "admin",
							   [CONFIG_ROLE_FEED] = "feed" };

const char *config_role_name(enum config_role role)
{
	return (unsigned)role < CONFIG_ROLE_COUNT ? role_names[role] : "?";
}

bool config_role_parse(const char *text, size_t len, enum config_role *role)
{
	for (int i = 0; i < CONFIG_ROLE_COUNT; i++) {
		if (strlen(role_names[i]) == len && memcmp(role_names[i], text, len) == 0) {
			*role = (enum config_role)i;
			return true;
		}
	}
	return false;
}

static bool parse_role(struct loader *loader, const struct path *path, const struct key *key,
		       void *field)
{
	(void)key;
	if (is_scalar(loader) && config_role_parse(scalar_text(loader), scalar_len(loader), field))
		return true;
	report(loader, current_mark(loader), path,
	       "must be one of viewer, supervisor, admin, feed");
	return skip_node(loader);
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 64 hex digits, kept in lowercase. */
static bool parse_sha256(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	char *hex = field;

	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) != CONFIG_SHA256_HEX ||
	    !all_chars(scalar_text(loader), scalar_len(loader), is_hex_digit)) {
		report(loader, current_mark(loader), path, "must be %d hex digits (a SHA-256)",
		       CONFIG_SHA256_HEX);
		return skip_node(loader);
	}
	for (size_t i = 0; i < CONFIG_SHA256_HEX; i++)
		hex[i] = (char)(scalar_text(loader)[i] |
				0x20); /* ASCII digits and letters: lowercase */
	hex[CONFIG_SHA256_HEX] = '\0';
	return true;
}

bool config_sha256_hex(const void *bytes, size_t len, char hex[CONFIG_SHA256_HEX + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;

	if (!EVP_Digest(bytes, len, digest, &digest_len, EVP_sha256(), NULL) ||
	    digest_len * 2 != CONFIG_SHA256_HEX)
		return false;
	for (unsigned int i = 0; i < digest_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return true;
}

/* A token in clear: only its SHA-256 is kept (in the sha256 field: this key's offset). */
static bool parse_token(struct loader *loader, const struct path *path, const struct key *key,
			void *field)
{
	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) < CONFIG_TOKEN_MIN_BYTES) {
		report(loader, current_mark(loader), path, "must be at least %d bytes",
		       CONFIG_TOKEN_MIN_BYTES);
		return skip_node(loader);
	}
	if (!config_sha256_hex(scalar_text(loader), scalar_len(loader), field))
		report(loader, current_mark(loader), path, "out of memory");
	return true;
}

static bool parse_bool(struct loader *loader, const struct path *path, const struct key *key,
		       void *field)
{
	(void)key;
	if (scalar_is(loader, "true") || scalar_is(loader, "false")) {
		*(bool *)field = scalar_is(loader, "true");
		return true;
	}
	report(loader, current_mark(loader), path, "must be true or false");
	return skip_node(loader);
}

static const char *const tls_version_names[] = {
	[CONFIG_TLS_1_2] = "1.2", [CONFIG_TLS_1_3] = "1.3"
};

const char *config_tls_version_name(enum config_tls_version version)
{
	return (unsigned)version < ARRAY_SIZE(tls_version_names) ? tls_version_names[version] : "?";
}

static bool parse_tls_version(struct loader *loader, const struct path *path, const struct key *key,
			      void *field)
{
	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(tls_version_names); i++) {
		if (scalar_is(loader, tls_version_names[i])) {
			*(enum config_tls_version *)field = (enum config_tls_version)i;
			return true;
		}
	}
	report(loader, current_mark(loader), path, "must be \"1.2\" or \"1.3\"");
	return skip_node(loader);
}

static bool parse_source_binding(struct loader *loader, const struct path *path,
				 const struct key *key, void *field)
{
	(void)key;
	if (scalar_is(loader, "certificate") || scalar_is(loader, "none")) {
		*(enum config_source_binding *)field = scalar_is(loader, "none")
								? CONFIG_SOURCE_BINDING_NONE
								: CONFIG_SOURCE_BINDING_CERTIFICATE;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of certificate, none");
	return skip_node(loader);
}

/* What OpenSSL's cipher list syntax uses: names, separators and operators. */
static bool is_cipher_list_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       strchr(":+-!@=,._ ", c);
}

/* Syntax only: the daemon asks OpenSSL whether the list selects any cipher. */
static bool parse_ciphers(struct loader *loader, const struct path *path, const struct key *key,
			  void *field)
{
	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) >= CONFIG_CIPHERS_MAX ||
	    !all_chars(scalar_text(loader), scalar_len(loader), is_cipher_list_char)) {
		report(loader, current_mark(loader), path,
		       "must be 1 to %d characters of an OpenSSL cipher list (letters, digits, "
		       ":+-!@=,._ and space)",
		       CONFIG_CIPHERS_MAX - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

static bool is_printable(char c)
{
	return (unsigned char)c >= 0x20 && c != 0x7f;
}

/* A feed source's name or an agency as the feed sends them: a name a hello could give
 * (event_source_check, the one rule every path judges a source's name by: 1 to 64 bytes, no
 * control characters); an agency may also be "". */
static bool parse_feed_name(struct loader *loader, const struct path *path, bool may_be_empty,
			    void *field)
{
	size_t len = is_scalar(loader) ? scalar_len(loader) : 0;

	if (!is_scalar(loader) ||
	    ((len > 0 || !may_be_empty) &&
	     event_source_check(scalar_text(loader), len, NULL, 0) != EVENT_OK)) {
		report(loader, current_mark(loader), path,
		       may_be_empty ? "must be at most 64 bytes, no control characters"
				    : "must be 1 to 64 bytes, no control characters");
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), len + 1);
	return true;
}

static bool parse_source_name(struct loader *loader, const struct path *path, const struct key *key,
			      void *field)
{
	(void)key;
	return parse_feed_name(loader, path, false, field);
}

static bool parse_agency_entry(struct loader *loader, const struct path *path, size_t index,
			       void *state)
{
	struct config_source *source = state;

	source->agency_count = index + 1;
	return parse_feed_name(loader, path, true, source->agencies[index]);
}

/* A sequence of names (null: none), at most max, each parsed by parse_entry into state. */
static bool parse_name_sequence(struct loader *loader, const struct path *path, size_t max,
				parse_entry_fn *parse_entry, void *state)
{
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, max, parse_entry, state);
}

/* sources[].agencies: a sequence of agencies (the key's offset is 0: field is the source). */
static bool parse_agencies(struct loader *loader, const struct path *path, const struct key *key,
			   void *field)
{
	struct config_source *source = field;

	(void)key;
	source->agency_count = 0;
	return parse_name_sequence(loader, path, CONFIG_MAX_SOURCE_AGENCIES, parse_agency_entry,
				   source);
}

static bool parse_unlisted(struct loader *loader, const struct path *path, const struct key *key,
			   void *field)
{
	(void)key;
	if (scalar_is(loader, "accept") || scalar_is(loader, "reject")) {
		*(enum config_unlisted *)field = scalar_is(loader, "reject")
							 ? CONFIG_UNLISTED_REJECT
							 : CONFIG_UNLISTED_ACCEPT;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of accept, reject");
	return skip_node(loader);
}

/* ---- nats ---------------------------------------------------------------------------- */

/* A NATS subject token character: printable, no space, no '.', '*' or '>'. */
static bool is_nats_token_char(char c)
{
	return (unsigned char)c > 0x20 && c != 0x7f && c != '.' && c != '*' && c != '>';
}

/* A subject (wildcards: a filter) of 1 to CONFIG_NATS_SUBJECT_MAX - 1 bytes: dot-separated
 * non-empty tokens; with wildcards, a token may be "*" and the last one ">". */
static bool nats_subject_valid(const char *text, size_t len, bool wildcards)
{
	size_t start = 0;

	if (len == 0 || len >= CONFIG_NATS_SUBJECT_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '.')
			continue;
		size_t token_len = i - start;
		const char *token = text + start;
		bool wildcard = wildcards && token_len == 1 &&
				(token[0] == '*' || (token[0] == '>' && i == len));
		if (token_len == 0 ||
		    (!wildcard && !all_chars(token, token_len, is_nats_token_char)))
			return false;
		start = i + 1;
	}
	return true;
}

static bool parse_nats_subject_prefix(struct loader *loader, const struct path *path,
				      const struct key *key, void *field)
{
	(void)key;
	if (!is_scalar(loader) ||
	    !nats_subject_valid(scalar_text(loader), scalar_len(loader), false)) {
		report(loader, current_mark(loader), path,
		       "must be a NATS subject of at most %d bytes: dot-separated tokens without "
		       "spaces, * or >",
		       CONFIG_NATS_SUBJECT_MAX - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

static bool is_nats_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       c == '-';
}

/* A JetStream stream or consumer name: 1 to 63 of A-Z a-z 0-9 _ -. */
static bool parse_nats_name(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	size_t len = is_scalar(loader) ? scalar_len(loader) : 0;

	(void)key;
	if (len == 0 || len >= CONFIG_NATS_NAME_MAX ||
	    !all_chars(scalar_text(loader), len, is_nats_name_char)) {
		report(loader, current_mark(loader), path,
		       "must be 1 to %d characters from A-Z, a-z, 0-9, _ and -",
		       CONFIG_NATS_NAME_MAX - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), len + 1);
	return true;
}

/* One server: nats://host:port or tls://host:port (user:password@ is refused: credentials
 * go in nats.credentials or nats.token_file, never in the file everyone reads). */
static bool parse_nats_server(struct loader *loader, const struct path *path, size_t index,
			      void *state)
{
	struct config *config = state;
	const char *text = is_scalar(loader) ? scalar_text(loader) : "";
	size_t len = is_scalar(loader) ? scalar_len(loader) : 0;
	size_t scheme = strncmp(text, "nats://", 7) == 0  ? 7
			: strncmp(text, "tls://", 6) == 0 ? 6
							  : 0;

	if (scheme == 0 || len <= scheme || len >= CONFIG_URL_MAX ||
	    !all_chars(text, len, is_url_char) || memchr(text, '@', len)) {
		report(loader, current_mark(loader), path,
		       "must be a nats:// or tls:// URL of at most %d bytes, without user or "
		       "password",
		       CONFIG_URL_MAX - 1);
		return skip_node(loader);
	}
	memcpy(config->nats.servers[index], text, len + 1);
	config->nats.server_count = index + 1;
	return true;
}

/* nats.servers: a sequence of URLs (the key's offset is 0: field is the config). */
static bool parse_nats_servers(struct loader *loader, const struct path *path,
			       const struct key *key, void *field)
{
	struct config *config = field;

	(void)key;
	config->nats.server_count = 0;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence of URLs");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_NATS_MAX_SERVERS, parse_nats_server, config);
}

static bool parse_nats_subject_entry(struct loader *loader, const struct path *path, size_t index,
				     void *state)
{
	struct config *config = state;

	if (!is_scalar(loader) ||
	    !nats_subject_valid(scalar_text(loader), scalar_len(loader), true)) {
		report(loader, current_mark(loader), path,
		       "must be a NATS subject filter of at most %d bytes (tokens, * or a last >)",
		       CONFIG_NATS_SUBJECT_MAX - 1);
		return skip_node(loader);
	}
	memcpy(config->nats.subjects[index], scalar_text(loader), scalar_len(loader) + 1);
	config->nats.subject_count = index + 1;
	return true;
}

/* nats.subjects: filters of the events this cadmond consumes; null: every agency. */
static bool parse_nats_subjects(struct loader *loader, const struct path *path,
				const struct key *key, void *field)
{
	struct config *config = field;

	(void)key;
	config->nats.subject_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence of subject filters");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_NATS_MAX_SUBJECTS, parse_nats_subject_entry,
			      config);
}

/* ---- the configuration's keys ------------------------------------------------------- */

#define RULE_KEY(field) .offset = offsetof(struct config_rule, field)
static const struct key rule_keys[RULE_KEY_COUNT + 1] = {
	[RULE_NAME] = { .name = "name",
			.parse = parse_rule_name,
			LIVE(NAME),
			.doc = "required; 1 to 31 characters of a-z, 0-9, _ and -; unique.",
			RULE_KEY(name),
			.required = true },
	[RULE_WINDOW_SECONDS] = { .name = "window_seconds",
				  .parse = parse_uint32,
				  LIVE(SECONDS),
				  .doc = "required; 1 to 2592000 (30 days). The calls completed in "
					 "the last",
				  RULE_KEY(window_seconds),
				  .min = 1,
				  .max = 2592000,
				  .required = true },
	[RULE_MIN_CALLS] = { .name = "min_calls",
			     .parse = parse_uint32,
			     LIVE(COUNT),
			     .doc = "completed calls, at least (default 1).",
			     RULE_KEY(min_calls),
			     .min = 1,
			     .max = UINT32_MAX,
			     .fallback = "1" },
	[RULE_MIN_PREMATURE] = { .name = "min_premature",
				 .parse = parse_uint32,
				 LIVE(COUNT),
				 .doc = "premature hangups, at least (default 1; at most "
					"min_calls).",
				 RULE_KEY(min_premature),
				 .min = 1,
				 .max = UINT32_MAX,
				 .fallback = "1" },
	[RULE_MIN_RATIO] = { .name = "min_ratio",
			     .parse = parse_ratio,
			     LIVE(RATIO),
			     .doc = "premature hangups / completed calls, at least (0 to 1; "
				    "default 0).",
			     RULE_KEY(min_ratio),
			     .fallback = "0" },
	[RULE_TYPE] = { .name = "type",
			.parse = parse_rule_type,
			LIVE(CHOICE),
			.doc = "window (the default of a rule given without one), cusum or",
			RULE_KEY(type),
			.fallback = "window" },
	[RULE_MIN_CALLED_BACK] = { .name = "min_called_back",
				   .parse = parse_uint32,
				   LIVE(COUNT),
				   .doc = "premature hangups whose caller rang again, at least "
					  "(default 0).",
				   RULE_KEY(min_called_back),
				   .min = 0,
				   .max = UINT32_MAX,
				   .fallback = "0" },
	[RULE_CALLED_BACK_WEIGHT] = { .name = "called_back_weight",
				      .parse = parse_positive_number,
				      LIVE(NUMBER),
				      .doc = "a called-back hangup counts as this many premature "
					     "hangups in",
				      RULE_KEY(called_back_weight),
				      .fallback = "1" },
	[RULE_MAX_P_VALUE] = { .name = "max_p_value",
			       .parse = parse_ratio,
			       LIVE(RATIO),
			       .doc = "peer baseline: the chance that a call-taker at the rest of "
				      "the",
			       RULE_KEY(max_p_value),
			       .fallback = "1" },
	[RULE_MIN_CENTER_RATIO] = { .name = "min_center_ratio",
				    .parse = parse_ratio,
				    LIVE(RATIO),
				    .doc = "floor of the center's ratio in that comparison (0 to "
					   "less than",
				    RULE_KEY(min_center_ratio),
				    .fallback = "0.05" },
	[RULE_P0] = { .name = "p0",
		      .parse = parse_ratio,
		      LIVE(RATIO),
		      .doc = "the in-control premature rate (0 to less than 1; default 0 = the",
		      RULE_KEY(p0),
		      .fallback = "0" },
	[RULE_ODDS_RATIO] = { .name = "odds_ratio",
			      .parse = parse_positive_number,
			      LIVE(NUMBER),
			      .doc = "the rise it is tuned to catch: the odds of a premature "
				     "hangup",
			      RULE_KEY(odds_ratio),
			      .fallback = "3" },
	[RULE_THRESHOLD] = { .name = "threshold",
			     .parse = parse_positive_number,
			     LIVE(NUMBER),
			     .doc = "h, a number > 0 (default 5). Calls between false alarms for "
				    "an",
			     RULE_KEY(threshold),
			     .fallback = "5" },
	[RULE_SEVERITY] = { .name = "severity",
			    .parse = parse_severity,
			    LIVE(CHOICE),
			    .doc = "info, warning or critical (default warning).",
			    RULE_KEY(severity),
			    .fallback = "warning" },
	[RULE_FALSE_ALARM_CALLS] = { .name = "false_alarm_calls",
				     .parse = parse_uint32,
				     LIVE(COUNT),
				     .doc = "at least this many calls between false alarms for an "
					    "honest",
				     RULE_KEY(false_alarm_calls),
				     .min = 0,
				     .max = 1000000000,
				     .fallback = "0" },
	[RULE_HISTORY_PRIOR] = { .name = "history_prior",
				 .parse = parse_nonnegative_number,
				 LIVE(NUMBER),
				 .doc = "pseudo-hangups pulling the own factor toward 1 (a number "
					"> 0):",
				 RULE_KEY(history_prior),
				 .fallback = "20" },
	[RULE_MAX_OWN_FACTOR] = { .name = "max_own_factor",
				  .parse = parse_nonnegative_number,
				  LIVE(NUMBER),
				  .doc = "the own factor's ceiling (a number >= 1): a position "
					 "that honestly",
				  RULE_KEY(max_own_factor),
				  .fallback = "2.5" },
	[RULE_CUT_SHARE] = { .name = "cut_share",
			     .parse = parse_ratio,
			     LIVE(RATIO),
			     .doc = "the misconduct it is tuned to catch (greater than 0, at most "
				    "1;",
			     RULE_KEY(cut_share),
			     .fallback = "0.25" },
	[RULE_FALSE_ALARM_HOURS] = { .name = "false_alarm_hours",
				     .parse = parse_uint32,
				     LIVE(HOURS),
				     .doc = "at least this many hours between false alarms for an "
					    "honest",
				     RULE_KEY(false_alarm_hours),
				     .min = 0,
				     .max = 1000000000,
				     .fallback = "0" },
	[RULE_RATE_HALF_LIFE_SECONDS] = { .name = "rate_half_life_seconds",
					  .parse = parse_uint32,
					  LIVE(SECONDS),
					  .doc = "the half-life of the calls-per-hour estimate (0 "
						 "to",
					  RULE_KEY(rate_half_life_seconds),
					  .min = 0,
					  .max = 2592000,
					  .fallback = "3600" },
	[RULE_HOURLY_RAISES] = { .name = "hourly_raises",
				 .parse = parse_bool,
				 LIVE(BOOLEAN),
				 .doc = "true (the default here): ln(false_alarm_hours * r) also "
					"when it is",
				 RULE_KEY(hourly_raises),
				 .fallback = "false" },
	[RULE_MAX_CALLS_PER_HOUR] = { .name = "max_calls_per_hour",
				      .parse = parse_uint32,
				      LIVE(COUNT),
				      .doc = "the most calls an hour the threshold per hour "
					     "counts (0 to",
				      RULE_KEY(max_calls_per_hour),
				      .min = 0,
				      .max = 1000000,
				      .fallback = "60" },
	[RULE_HISTORY_SETTLED_PRIOR] = { .name = "history_settled_prior",
					 .parse = parse_nonnegative_number,
					 LIVE(NUMBER),
					 .doc = "pseudo-hangups of the own factor of the settled "
						"history",
					 RULE_KEY(history_settled_prior),
					 .fallback = "2" },
	[RULE_HISTORY_SETTLED_MIN_EXPECTED] = { .name = "history_settled_min_expected",
						.parse = parse_nonnegative_number,
						LIVE(NUMBER),
						.doc = "the settled history counts once it holds "
						       "this",
						RULE_KEY(history_settled_min_expected),
						.fallback = "10" },
	[RULE_RATE_MAX_GAP_SECONDS] = { .name = "rate_max_gap_seconds",
					.parse = parse_uint32,
					LIVE(SECONDS),
					.doc = "of a gap between two of a call-taker's calls, at "
					       "most this",
					RULE_KEY(rate_max_gap_seconds),
					.min = 0,
					.max = 2592000,
					.fallback = "3600" },
	[RULE_OWN_FACTOR_LAG] = { .name = "own_factor_lag",
				  .parse = parse_bool,
				  LIVE(BOOLEAN),
				  .doc = "true: while a run of evidence builds (above 0), the own "
					 "factor",
				  RULE_KEY(own_factor_lag),
				  .fallback = "false" },
	[RULE_KEY_COUNT] = { .name = NULL },
};

/* One rule mapping into config->detector.rules[index]. */
static bool parse_rule(struct loader *loader, const struct path *path, size_t index, void *state)
{
	struct config *config = state;
	struct config_rule *rule = &config->detector.rules[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(rule, 0, sizeof *rule);
	set_fallbacks(rule_keys, rule);
	config->detector.rule_count = index + 1;
	return parse_mapping(loader, path, rule_keys, rule);
}

/* The rules list replaces the defaults. Its key has offset 0: field is the whole config. */
static bool parse_rules(struct loader *loader, const struct path *path, const struct key *key,
			void *field)
{
	struct config *config = field;

	(void)key;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	config->detector.rule_count = 0;
	return parse_sequence(loader, path, CONFIG_MAX_RULES, parse_rule, config);
}

#define RECEIVER_KEY(field) .offset = offsetof(struct config_receiver, field)
#define RECEIVER_UINT32(index, key_name, field, low, high, default_text, unit_word, doc_text)      \
	[index] = { .name = key_name,                                                              \
		    .parse = parse_uint32,                                                         \
		    RECEIVER_KEY(field),                                                           \
		    .min = low,                                                                    \
		    .max = high,                                                                   \
		    .fallback = default_text,                                                      \
		    RESTART(unit_word),                                                            \
		    .doc = doc_text }
static const struct key receiver_keys[RECEIVER_KEY_COUNT + 1] = {
	[RECEIVER_NAME] = { .name = "name",
			    .parse = parse_rule_name,
			    RESTART(NAME),
			    .doc = "1 to 31 characters from a-z, 0-9, _ and - (required, unique)",
			    RECEIVER_KEY(name),
			    .required = true },
	[RECEIVER_TYPE] = { .name = "type",
			    .parse = parse_receiver_type,
			    RESTART(CHOICE),
			    .doc = "alertmanager: Alertmanager's API v2 (POST /api/v2/alerts),",
			    RECEIVER_KEY(type),
			    .required = true,
			    .fallback = "webhook" },
	[RECEIVER_URL] = { .name = "url",
			   .parse = parse_url,
			   RESTART(URL),
			   .doc = "http://host[:port][/path] (required). Plain HTTP only: TLS",
			   RECEIVER_KEY(url),
			   .required = true },
	RECEIVER_UINT32(RECEIVER_MAX_QUEUE, "max_queue", max_queue, 1, 1000000, "1024", COUNT,
			"requests waiting (1 to 1000000, default 1024); past it the"),
	RECEIVER_UINT32(RECEIVER_TIMEOUT_MS, "timeout_ms", timeout_ms, 100, 600000, "5000",
			MILLISECONDS, "per request (100 to 600000, default 5000)"),
	RECEIVER_UINT32(RECEIVER_MAX_RETRIES, "max_retries", max_retries, 0, 1000000, "10", COUNT,
			"retries after the first attempt (0 to 1000000, default 10);"),
	RECEIVER_UINT32(RECEIVER_BACKOFF_BASE_MS, "backoff_base_ms", backoff_base_ms, 10, 3600000,
			"500", MILLISECONDS,
			"first retry delay (10 to 3600000, default 500), doubled per"),
	RECEIVER_UINT32(RECEIVER_BACKOFF_MAX_MS, "backoff_max_ms", backoff_max_ms, 10, 3600000,
			"60000", MILLISECONDS,
			"retry up to this cap (default 60000), with +-25% jitter"),
	RECEIVER_UINT32(RECEIVER_RESEND_SECONDS, "resend_seconds", resend_seconds, 1, 86400, "60",
			SECONDS, "alertmanager: re-post interval of open alerts (1 to 86400,"),
	RECEIVER_UINT32(RECEIVER_DOWN_AFTER_FAILURES, "down_after_failures", down_after_failures, 1,
			1000000, "5", COUNT,
			"this many consecutive failed attempts raise a receiver_down"),
	RECEIVER_UINT32(RECEIVER_DOWN_AFTER_SECONDS, "down_after_seconds", down_after_seconds, 1,
			86400, "60", SECONDS,
			"so does a failed attempt this long after the first of the"),
	[RECEIVER_HMAC_SECRET_FILE] = { .name = "hmac_secret_file",
					.parse = parse_optional_path,
					RESTART(PATH),
					.doc = "webhook: a file whose content (trailing newline "
					       "stripped)",
					RECEIVER_KEY(hmac_secret_file) },
	[RECEIVER_REDACT_ANI] = { .name = "redact_ani",
				  .parse = parse_redact,
				  RESTART(CHOICE),
				  .doc = "callers' numbers (\"ani\") in what this receiver is "
					 "sent: none",
				  RECEIVER_KEY(redact_ani) },
	[RECEIVER_KEY_COUNT] = { .name = NULL },
};

/* One receiver mapping into config->receivers[index]. */
static bool parse_receiver(struct loader *loader, const struct path *path, size_t index,
			   void *state)
{
	struct config *config = state;
	struct config_receiver *receiver = &config->receivers[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(receiver, 0, sizeof *receiver);
	set_fallbacks(receiver_keys, receiver);
	config->receiver_count = index + 1;
	return parse_mapping(loader, path, receiver_keys, receiver);
}

/* receivers: a sequence of receivers, or null for none. Its key has offset 0. */
static bool parse_receivers(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	struct config *config = field;

	(void)key;
	config->receiver_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_MAX_RECEIVERS, parse_receiver, config);
}

static bool parse_mapping_format(struct loader *loader, const struct path *path,
				 const struct key *key, void *field)
{
	(void)key;
	if (scalar_is(loader, "csv") || scalar_is(loader, "json")) {
		*(enum config_mapping_format *)field =
			scalar_is(loader, "json") ? CONFIG_MAPPING_JSON : CONFIG_MAPPING_CSV;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of csv, json");
	return skip_node(loader);
}

static bool parse_ambiguous_time(struct loader *loader, const struct path *path,
				 const struct key *key, void *field)
{
	(void)key;
	if (scalar_is(loader, "earlier") || scalar_is(loader, "later")) {
		*(enum config_ambiguous_time *)field = scalar_is(loader, "later")
							       ? CONFIG_AMBIGUOUS_LATER
							       : CONFIG_AMBIGUOUS_EARLIER;
		return true;
	}
	report(loader, current_mark(loader), path, "must be one of earlier, later");
	return skip_node(loader);
}

/* A string of at most max - 1 printable bytes ("" allowed). */
static bool parse_text_of(struct loader *loader, const struct path *path, void *field, size_t max)
{
	if (!is_scalar(loader) || scalar_len(loader) >= max ||
	    (scalar_len(loader) > 0 &&
	     !all_chars(scalar_text(loader), scalar_len(loader), is_printable))) {
		report(loader, current_mark(loader), path,
		       "must be a string of at most %zu bytes without control characters", max - 1);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

/* A column name or number, or a JSON path; "" for none. */
static bool parse_field_name(struct loader *loader, const struct path *path, const struct key *key,
			     void *field)
{
	(void)key;
	return parse_text_of(loader, path, field, CONFIG_FIELD_MAX);
}

/* mappings[].agency: an identifier as the feed takes it (up to 64 bytes). */
static bool parse_constant(struct loader *loader, const struct path *path, const struct key *key,
			   void *field)
{
	(void)key;
	return parse_text_of(loader, path, field, CONFIG_CONSTANT_MAX);
}

static bool parse_delimiter(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) != 1 ||
	    !is_printable(scalar_text(loader)[0]) || scalar_text(loader)[0] == '"') {
		report(loader, current_mark(loader), path,
		       "must be one printable character other than a double quote");
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), 2);
	return true;
}

static bool parse_time_format(struct loader *loader, const struct path *path, const struct key *key,
			      void *field)
{
	const char *why = "must be a string";

	(void)key;
	if (!is_scalar(loader) || scalar_len(loader) >= CONFIG_TIME_FORMAT_MAX ||
	    strlen(scalar_text(loader)) != scalar_len(loader) ||
	    !mapping_time_format_valid(scalar_text(loader), &why)) {
		report(loader, current_mark(loader), path, "%s",
		       is_scalar(loader) && scalar_len(loader) >= CONFIG_TIME_FORMAT_MAX
			       ? "must be at most 63 bytes"
			       : why);
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

static bool parse_time_zone(struct loader *loader, const struct path *path, const struct key *key,
			    void *field)
{
	int32_t offset;

	(void)key;
	if (!is_scalar(loader) || strlen(scalar_text(loader)) != scalar_len(loader) ||
	    (!mapping_fixed_zone(scalar_text(loader), &offset) &&
	     !mapping_zone_name_valid(scalar_text(loader)))) {
		report(loader, current_mark(loader), path,
		       "must be UTC, an offset +hh:mm or -hh:mm, or an IANA zone name "
		       "(America/Chicago)");
		return skip_node(loader);
	}
	memcpy(field, scalar_text(loader), scalar_len(loader) + 1);
	return true;
}

/* One released_by name into a bit. */
static bool parse_released_by_name(struct loader *loader, const struct path *path,
				   const struct key *key, void *field)
{
	(void)key;
	if (is_scalar(loader) && strlen(scalar_text(loader)) == scalar_len(loader) &&
	    event_released_by_from_name(scalar_text(loader)) != 0) {
		*(unsigned *)field = event_released_by_from_name(scalar_text(loader));
		return true;
	}
	report(loader, current_mark(loader), path,
	       "must be one of operator, caller, system, unknown");
	return skip_node(loader);
}

/* One "VALUE: who" pair of released_by_values, the key being the current event. */
static bool parse_value_pair(struct loader *loader, struct path *path,
			     struct config_mapping *mapping)
{
	size_t saved = path->len, count = mapping->released_by_value_count;
	unsigned who = 0;
	bool key_ok = is_scalar(loader) && scalar_len(loader) < CONFIG_MAPPING_VALUE_MAX &&
		      strlen(scalar_text(loader)) == scalar_len(loader);
	yaml_mark_t mark = current_mark(loader);
	bool ok = true;

	if (is_scalar(loader))
		path_push_key(path, scalar_text(loader), scalar_len(loader));
	if (!key_ok)
		report(loader, mark, path, "must be a string of at most %d bytes",
		       CONFIG_MAPPING_VALUE_MAX - 1);
	else if (count == CONFIG_MAX_MAPPING_VALUES)
		report(loader, mark, path, "too many entries (at most %d)",
		       CONFIG_MAX_MAPPING_VALUES);
	for (size_t i = 0; key_ok && i < count; i++)
		if (strcmp(mapping->released_by_values[i].from, scalar_text(loader)) == 0) {
			report(loader, mark, path, "duplicate key");
			key_ok = false;
		}
	key_ok = key_ok && count < CONFIG_MAX_MAPPING_VALUES;
	if (key_ok)
		memcpy(mapping->released_by_values[count].from, scalar_text(loader),
		       scalar_len(loader) + 1);
	if (!is_scalar(loader))
		ok = skip_node(loader);
	if (ok)
		ok = loader_next(loader);
	if (ok) {
		size_t errors_before = errors_found(loader);
		ok = parse_released_by_name(loader, path, NULL, &who);
		if (key_ok && errors_found(loader) == errors_before) {
			mapping->released_by_values[count].released_by = who;
			mapping->released_by_value_count++;
		}
	}
	path_truncate(path, saved);
	return ok;
}

/* released_by_values: a mapping of column values to who released, or null for none. The key
 * has the whole mapping's offset (0). */
static bool parse_released_by_values(struct loader *loader, const struct path *at,
				     const struct key *key, void *field)
{
	struct config_mapping *mapping = field;
	struct path path = *at;

	(void)key;
	mapping->released_by_value_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), &path, "must be a mapping");
		return skip_node(loader);
	}
	for (;;) {
		if (!loader_next(loader))
			return false;
		if (loader->event.type == YAML_MAPPING_END_EVENT)
			return true;
		if (!parse_value_pair(loader, &path, mapping))
			return false;
	}
}

#define FIELD_NAME(index, key_name, member, needed) \
	[index] = { .name = key_name, .parse = parse_field_name, LIVE(TEXT), \
		    .offset = offsetof(struct config_mapping_fields, member), .required = needed }
static const struct key mapping_field_keys[FIELD_KEY_COUNT + 1] = {
	FIELD_NAME(FIELD_CALL_ID, "call_id", call_id, true),
	FIELD_NAME(FIELD_AGENCY, "agency", agency, false),
	FIELD_NAME(FIELD_OPERATOR, "operator", operator_id, true),
	FIELD_NAME(FIELD_POSITION, "position", position, false),
	FIELD_NAME(FIELD_ANI, "ani", ani, false),
	FIELD_NAME(FIELD_ANSWER_TIME, "answer_time", answer_time, true),
	FIELD_NAME(FIELD_RELEASE_TIME, "release_time", release_time, true),
	FIELD_NAME(FIELD_RELEASED_BY, "released_by", released_by, false),
	FIELD_NAME(FIELD_INCIDENT_ID, "incident_id", incident_id, false),
	[FIELD_KEY_COUNT] = { .name = NULL },
};

/* One part's name of skip_when_empty, added to the mask. */
static bool parse_skip_entry(struct loader *loader, const struct path *path, size_t index,
			     void *state)
{
	unsigned *mask = state;

	(void)index;
	for (size_t part = 0; is_scalar(loader) && part < FIELD_KEY_COUNT; part++) {
		if (strcmp(scalar_text(loader), mapping_field_keys[part].name) != 0)
			continue;
		if (*mask & CONFIG_MAPPING_PART(part))
			report(loader, current_mark(loader), path, "duplicate entry");
		*mask |= CONFIG_MAPPING_PART(part);
		return true;
	}
	report(loader, current_mark(loader), path,
	       "must be one of call_id, agency, operator, position, ani, answer_time, "
	       "release_time, released_by, incident_id");
	return skip_node(loader);
}

/* skip_when_empty: a sequence of the fields' part names, or null for none. */
static bool parse_skip_when_empty(struct loader *loader, const struct path *path,
				  const struct key *key, void *field)
{
	(void)key;
	*(unsigned *)field = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, FIELD_KEY_COUNT, parse_skip_entry, field);
}

/* mappings[].listen: like feed.listen, or null for none (the default). */
static bool parse_mapping_listen(struct loader *loader, const struct path *path,
				 const struct key *key, void *field)
{
	if (scalar_is_null(loader)) {
		((struct config_listen *)field)->count = 0;
		return true;
	}
	return parse_listen(loader, path, key, field);
}

#define MAPPING_KEY(field) .offset = offsetof(struct config_mapping, field)
static const struct key mapping_keys[MAPPING_KEY_COUNT + 1] = {
	[MAPPING_NAME] = { .name = "name",
			   .parse = parse_rule_name,
			   LIVE(NAME),
			   .doc = "1 to 31 characters from a-z, 0-9, _ and - (required, unique)",
			   MAPPING_KEY(name),
			   .required = true },
	[MAPPING_FORMAT] = { .name = "format",
			     .parse = parse_mapping_format,
			     LIVE(CHOICE),
			     .doc = "csv or json (required)",
			     MAPPING_KEY(format),
			     .required = true,
			     .fallback = "csv" },
	[MAPPING_HEADER] = { .name = "header",
			     .parse = parse_bool,
			     LIVE(BOOLEAN),
			     .doc = "csv: the first record of each input (file, connection) names "
				    "the",
			     MAPPING_KEY(header),
			     .fallback = "true" },
	[MAPPING_DELIMITER] = { .name = "delimiter",
				.parse = parse_delimiter,
				LIVE(TEXT),
				.doc = "csv: one printable character other than \" (default \",\")",
				MAPPING_KEY(delimiter),
				.fallback = "," },
	[MAPPING_FIELDS] = { .name = "fields",
			     .parse = parse_section,
			     MAPPING_KEY(fields),
			     .children = mapping_field_keys,
			     .required = true,
			     .doc = "where each part is: a CSV column name (or number) or a JSON "
				    "path" },
	[MAPPING_AGENCY] = { .name = "agency",
			     .parse = parse_constant,
			     LIVE(TEXT),
			     .doc = "the agency of records without one (default \"\", up to 64 "
				    "bytes)",
			     MAPPING_KEY(agency) },
	[MAPPING_TIME_FORMAT] = { .name = "time_format",
				  .parse = parse_time_format,
				  LIVE(TEXT),
				  .doc = "iso8601 (RFC 3339, or local YYYY-MM-DD HH:MM[:SS[.fff]] "
					 "without an",
				  MAPPING_KEY(time_format),
				  .fallback = "iso8601" },
	[MAPPING_TIME_ZONE] = { .name = "time_zone",
				.parse = parse_time_zone,
				LIVE(TEXT),
				.doc = "of times without an offset: UTC (the default), +hh:mm / "
				       "-hh:mm, or",
				MAPPING_KEY(time_zone),
				.fallback = "UTC" },
	[MAPPING_AMBIGUOUS_TIME] = { .name = "ambiguous_time",
				     .parse = parse_ambiguous_time,
				     LIVE(CHOICE),
				     .doc = "earlier (the default) or later: which instant a local "
					    "time of the",
				     MAPPING_KEY(ambiguous_time),
				     .fallback = "earlier" },
	[MAPPING_RELEASED_BY_VALUES] = { .name = "released_by_values",
					 .parse = parse_released_by_values,
					 LIVE(LIST),
					 .doc = "the release-party field's values and who they "
						"mean (operator," },
	[MAPPING_RELEASED_BY_DEFAULT] = { .name = "released_by_default",
					  .parse = parse_released_by_name,
					  LIVE(CHOICE),
					  .doc = "for values not listed, empty or absent (default "
						 "unknown)",
					  MAPPING_KEY(released_by_default),
					  .fallback = "unknown" },
	[MAPPING_SKIP_WHEN_EMPTY] = { .name = "skip_when_empty",
				      .parse = parse_skip_when_empty,
				      LIVE(LIST),
				      .doc = "parts (of fields) that, empty or absent, make a "
					     "record "
					     "an",
				      MAPPING_KEY(skip_when_empty) },
	[MAPPING_LISTEN] = { .name = "listen",
			     .parse = parse_mapping_listen,
			     LIVE(ADDRESS),
			     .doc = "feed addresses (like feed.listen, at most 8) whose "
				    "connections",
			     MAPPING_KEY(listen) },
	[MAPPING_KEY_COUNT] = { .name = NULL },
};

/* One mapping into config->mappings[index]. */
static bool parse_mapping_entry(struct loader *loader, const struct path *path, size_t index,
				void *state)
{
	struct config *config = state;
	struct config_mapping *mapping = &config->mappings[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(mapping, 0, sizeof *mapping);
	set_fallbacks(mapping_keys, mapping);
	config->mapping_count = index + 1;
	return parse_mapping(loader, path, mapping_keys, mapping);
}

/* mappings: a sequence of record mappings, or null for none. Its key has offset 0. */
static bool parse_mappings(struct loader *loader, const struct path *path, const struct key *key,
			   void *field)
{
	struct config *config = field;

	(void)key;
	config->mapping_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_MAX_MAPPINGS, parse_mapping_entry, config);
}

#define TOKEN_KEY(field) .offset = offsetof(struct config_token, field)
static const struct key token_keys[TOKEN_KEY_COUNT + 1] = {
	[TOKEN_NAME] = { .name = "name",
			 .parse = parse_rule_name,
			 LIVE(NAME),
			 .doc = "1 to 31 characters from a-z, 0-9, _ and - (required, unique): for "
				"the logs",
			 TOKEN_KEY(name),
			 .required = true },
	[TOKEN_ROLE] = { .name = "role",
			 .parse = parse_role,
			 LIVE(CHOICE),
			 .doc = "viewer (board, alert stream, operators, sources, metrics), "
				"supervisor",
			 TOKEN_KEY(role),
			 .required = true },
	[TOKEN_SHA256] = { .name = "sha256",
			   .parse = parse_sha256,
			   LIVE(TEXT),
			   .doc = "the SHA-256 of the token, 64 hex digits (preferred: the file "
				  "then holds no",
			   TOKEN_KEY(sha256) },
	[TOKEN_TOKEN] = { .name = "token",
			  .parse = parse_token,
			  LIVE(TEXT),
			  .doc = "or the token itself, at least 16 bytes: only its SHA-256 is kept",
			  TOKEN_KEY(sha256),
			  .secret = true },
	[TOKEN_KEY_COUNT] = { .name = NULL },
};

/* One token mapping into config->auth.tokens[index]. */
static bool parse_token_entry(struct loader *loader, const struct path *path, size_t index,
			      void *state)
{
	struct config *config = state;
	struct config_token *token = &config->auth.tokens[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(token, 0, sizeof *token);
	config->auth.token_count = index + 1;
	return parse_mapping(loader, path, token_keys, token);
}

/* auth.tokens: a sequence of tokens, or null for none. Its key has offset 0. */
static bool parse_tokens(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	struct config *config = field;

	(void)key;
	config->auth.token_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_MAX_TOKENS, parse_token_entry, config);
}

static const struct key source_keys[SOURCE_KEY_COUNT + 1] = {
	[SOURCE_NAME] = { .name = "name",
			  .parse = parse_source_name,
			  LIVE(NAME),
			  .doc = "the hello's source, 1 to 64 bytes (required, unique)",
			  .offset = offsetof(struct config_source, name),
			  .required = true },
	[SOURCE_AGENCIES] = { .name = "agencies",
			      .parse = parse_agencies,
			      LIVE(LIST),
			      .doc = "the agencies its events may name (a call_start's \"agency\", "
				     "and any other",
			      .offset = 0 },
	[SOURCE_KEY_COUNT] = { .name = NULL },
};

/* One source mapping into config->sources[index]. */
static bool parse_source(struct loader *loader, const struct path *path, size_t index, void *state)
{
	struct config *config = state;
	struct config_source *source = &config->sources[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(source, 0, sizeof(*source));
	config->source_count = index + 1;
	return parse_mapping(loader, path, source_keys, source);
}

/* sources: a sequence of sources, or null for none. Its key has offset 0. */
static bool parse_sources(struct loader *loader, const struct path *path, const struct key *key,
			  void *field)
{
	struct config *config = field;

	(void)key;
	config->source_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_MAX_SOURCES, parse_source, config);
}

/* Section keys fill struct config itself: their children's offsets are into it. */
#define FIELD(field)                                                                               \
	.offset = offsetof(struct config, field), .span_offset = offsetof(struct config, field),   \
	.span_size = sizeof(((struct config *)0)->field)
/* A list kept in struct config as an array and its count (the key's offset is 0). */
#define LIST(array, count)                                                                         \
	.span_offset = offsetof(struct config, array),                                             \
	.span_size =                                                                               \
		offsetof(struct config, count) + sizeof(size_t) - offsetof(struct config, array)
#define UINT32_KEY(key_name, field, low, high, default_text, how, doc_text)                        \
	{                                                                                          \
		.name = key_name, .parse = parse_uint32, FIELD(field), .min = low, .max = high,    \
		.fallback = default_text, how, .doc = doc_text                                     \
	}

static const struct key feed_keys[] = {
	{ .name = "listen",
	  .parse = parse_listen,
	  LIVE(ADDRESS),
	  FIELD(feed.listen),
	  .fallback = "[\"127.0.0.1:7400\"]",
	  .doc = "Addresses to accept feed connections on: 1 to 8 entries, or a single address." },
	UINT32_KEY("max_line_bytes", feed.max_line_bytes, 256, 16777216, "65536", LIVE(BYTES),
		   "Longest event line accepted, in bytes (256 to 16777216). A longer line is "
		   "dropped,"),
	UINT32_KEY("max_connections", feed.max_connections, 1, 65535, "64", LIVE(COUNT),
		   "Feed connections established at once (1 to 65535): connections that sent a "
		   "valid line"),
	UINT32_KEY("max_sources", feed.max_sources, 1, 1000000, "1024", LIVE(COUNT),
		   "Feed source ids remembered (1 to 1000000): a feed that names itself in a hello "
		   "line"),
	UINT32_KEY("keepalive_seconds", feed.keepalive_seconds, 0, 32767, "60", LIVE(SECONDS),
		   "TCP keepalive on feed connections: seconds idle before the first probe (0 to "
		   "32767,"),
	UINT32_KEY("idle_timeout_seconds", feed.idle_timeout_seconds, 0, 604800, "0", LIVE(SECONDS),
		   "Close a feed connection that completed no line for this many seconds (0 to "
		   "604800;"),
	UINT32_KEY("silence_seconds", feed.silence_seconds, 0, 604800, "300", LIVE(SECONDS),
		   "A feed source (its hello \"source\", else the connection's peer address) that "
		   "was"),
	UINT32_KEY("max_future_seconds", feed.max_future_seconds, 1, 31536000, "300", LIVE(SECONDS),
		   "The guard against the future (1 to 31536000 seconds): an event whose ts is "
		   "more than"),
	UINT32_KEY("max_seq_jump", feed.max_seq_jump, 1, 4000000000u, "1000000", LIVE(COUNT),
		   "How far one line may move a named source's seq ahead (1 to 4000000000). A line "
		   "that"),
	UINT32_KEY(
		"source_idle_seconds", feed.source_idle_seconds, 1, 86400, "2", LIVE(SECONDS),
		"A source that sent nothing for this many seconds of host time (1 to 86400) stops"),
	{ .name = "tls",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(feed.tls),
	  .fallback = "false",
	  .doc = "Serve the feed port over TLS (true or false), with the identity of the tls "
		 "section" },
	{ .name = "require_client_certificate",
	  .parse = parse_bool,
	  LIVE(BOOLEAN),
	  FIELD(feed.require_client_certificate),
	  .fallback = "true",
	  .doc = "With tls: a feed must present a client certificate signed by tls.client_ca "
		 "(then" },
	{ .name = "source_binding",
	  .parse = parse_source_binding,
	  LIVE(CHOICE),
	  FIELD(feed.source_binding),
	  .fallback = "certificate",
	  .doc = "With tls: what a feed's hello \"source\" must match (certificate or none)." },
	UINT32_KEY("max_pending_connections", feed.max_pending_connections, 1, 65535, "16",
		   LIVE(COUNT),
		   "Connection slots (docs/protocol.md, \"Connection rules\"). A connection is "
		   "pending until"),
	UINT32_KEY("max_connections_per_address", feed.max_connections_per_address, 1, 65535, "8",
		   LIVE(COUNT),
		   "Feed connections open at once from one host, pending or not (1 to 65535). One "
		   "more is"),
	UINT32_KEY("handshake_timeout_seconds", feed.handshake_timeout_seconds, 1, 3600, "5",
		   LIVE(SECONDS),
		   "Seconds (1 to 3600) a pending connection has to send its first valid line; "
		   "then it is"),
	UINT32_KEY("line_timeout_seconds", feed.line_timeout_seconds, 1, 3600, "10", LIVE(SECONDS),
		   "Seconds (1 to 3600) a line may stay incomplete (bytes received, no \"\\n\" "
		   "yet) before"),
	UINT32_KEY("snapshot_iteration_budget_us", feed.snapshot_iteration_budget_us, 1, 1000000,
		   "1000", LIVE(MICROSECONDS),
		   "Microseconds (1 to 1000000) of feed lines a loop iteration processes while a "
		   "snapshot"),
	{ .name = "mapping",
	  .parse = parse_mapping_name,
	  LIVE(NAME),
	  FIELD(feed.mapping),
	  .doc = "\"\" (the default): the feed port reads protocol v1 lines. The name of one of "
		 "mappings:" },
	{ .name = NULL },
};

static const struct key alerts_keys[] = {
	{ .name = "listen",
	  .parse = parse_listen,
	  LIVE(ADDRESS),
	  FIELD(alerts.listen),
	  .fallback = "[\"127.0.0.1:7401\"]",
	  .doc = "Addresses to accept subscribers on: 1 to 8 entries, or a single address." },
	UINT32_KEY("max_subscribers", alerts.max_subscribers, 1, 65535, "64", LIVE(COUNT),
		   "Consoles connected at once (1 to 65535), once taken as consoles (pending ones "
		   "have their"),
	UINT32_KEY("max_queue_bytes", alerts.max_queue_bytes, 4096, 1073741824, "1048576",
		   LIVE(BYTES),
		   "Output waiting to be sent to one subscriber, in bytes (4096 to 1073741824)."),
	{ .name = "tls",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(alerts.tls),
	  .fallback = "false",
	  .doc = "Serve the alert port over TLS (true or false), with the identity of the tls "
		 "section;" },
	{ .name = "require_client_certificate",
	  .parse = parse_bool,
	  LIVE(BOOLEAN),
	  FIELD(alerts.require_client_certificate),
	  .fallback = "false",
	  .doc = "With tls: a console must present a client certificate signed by tls.client_ca "
		 "(then" },
	UINT32_KEY("max_pending_connections", alerts.max_pending_connections, 1, 65535, "16",
		   LIVE(COUNT),
		   "Connection slots (docs/protocol.md, \"Connection rules\"). A console is "
		   "pending until it"),
	UINT32_KEY(
		"max_connections_per_address", alerts.max_connections_per_address, 1, 65535, "16",
		LIVE(COUNT),
		"Connections open at once from one host, pending or not (1 to 65535). One more is"),
	UINT32_KEY(
		"handshake_timeout_seconds", alerts.handshake_timeout_seconds, 1, 3600, "5",
		LIVE(SECONDS),
		"Seconds (1 to 3600) a pending console has to be taken as a console; then it is"),
	UINT32_KEY("line_timeout_seconds", alerts.line_timeout_seconds, 1, 3600, "10",
		   LIVE(SECONDS),
		   "Seconds (1 to 3600) a line from a console may stay incomplete before the "
		   "connection"),
	{ .name = NULL },
};

static const struct key http_keys[] = {
	{ .name = "listen",
	  .parse = parse_listen,
	  LIVE(ADDRESS),
	  FIELD(http.listen),
	  .fallback = "[\"127.0.0.1:7402\"]",
	  .doc = "Addresses to serve HTTP on: 1 to 8 entries, or a single address." },
	UINT32_KEY("max_header_bytes", http.max_header_bytes, 1024, 1048576, "8192", LIVE(BYTES),
		   "Request line and headers of one request, in bytes (1024 to 1048576); a larger "
		   "request"),
	UINT32_KEY("max_body_bytes", http.max_body_bytes, 256, 1048576, "4096", LIVE(BYTES),
		   "Body of one request (an acknowledgement), in bytes (256 to 1048576); a larger "
		   "body is"),
	UINT32_KEY("max_alerts_bytes", http.max_alerts_bytes, 4096, 67108864, "1048576",
		   LIVE(BYTES),
		   "Alert lines in one GET /api/alerts answer, in bytes (4096 to 67108864): a "
		   "client asks"),
	UINT32_KEY("timeout_seconds", http.timeout_seconds, 1, 3600, "30", LIVE(SECONDS),
		   "Seconds (1 to 3600) a client may take to send a request, or keep a connection "
		   "idle"),
	UINT32_KEY("max_connections", http.max_connections, 1, 65535, "256", LIVE(COUNT),
		   "HTTP connections open at once (1 to 65535). One more is closed at once, "
		   "counted as"),
	UINT32_KEY("max_connections_per_address", http.max_connections_per_address, 1, 65535, "32",
		   LIVE(COUNT),
		   "HTTP connections open at once from one host (1 to 65535). One more is closed "
		   "at once"),
	UINT32_KEY("max_streams", http.max_streams, 1, 65535, "64", LIVE(COUNT),
		   "GET /api/stream (Server-Sent Events, docs/http.md): streams open at once (1 to "
		   "65535);"),
	UINT32_KEY("max_stream_queue_bytes", http.max_stream_queue_bytes, 4096, 1073741824,
		   "1048576", LIVE(BYTES),
		   "Unsent output per stream, in bytes (4096 to 1073741824): a stream whose "
		   "browser reads"),
	UINT32_KEY("stream_keepalive_seconds", http.stream_keepalive_seconds, 1, 3600, "15",
		   LIVE(SECONDS),
		   "Seconds (1 to 3600) without output after which a stream gets a keepalive "
		   "comment."),
	{ .name = "tls",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(http.tls),
	  .fallback = "false",
	  .doc = "Serve HTTPS instead of HTTP (true or false), with the identity of the tls "
		 "section;" },
	{ .name = NULL },
};

static const struct key tls_keys[] = {
	{ .name = "certificate",
	  .parse = parse_optional_path,
	  LIVE(PATH),
	  FIELD(tls.certificate),
	  .doc = "PEM certificate chain: the server certificate first, then its intermediates." },
	{ .name = "key",
	  .parse = parse_optional_path,
	  LIVE(PATH),
	  FIELD(tls.key),
	  .doc = "PEM private key of the certificate. It must not be readable or writable by group "
		 "or" },
	{ .name = "client_ca",
	  .parse = parse_optional_path,
	  LIVE(PATH),
	  FIELD(tls.client_ca),
	  .doc = "PEM bundle of the CAs that sign the client certificates of feeds (and of "
		 "consoles," },
	{ .name = "min_version",
	  .parse = parse_tls_version,
	  LIVE(CHOICE),
	  FIELD(tls.min_version),
	  .fallback = "1.2",
	  .doc = "Lowest TLS version accepted: \"1.2\" or \"1.3\" (quote it). Older versions (SSL "
		 "3, TLS 1.0" },
	{ .name = "ciphers",
	  .parse = parse_ciphers,
	  LIVE(TEXT),
	  FIELD(tls.ciphers),
	  .fallback = "ECDHE+AESGCM:ECDHE+CHACHA20",
	  .doc = "TLS 1.2 cipher list in OpenSSL syntax (at most 255 characters); it must select "
		 "at" },
	{ .name = NULL },
};

enum { TRACKER_MAX_OPEN_CALLS, TRACKER_MAX_CALL_SECONDS, TRACKER_MAX_OPERATORS,
       TRACKER_MAX_WINDOW_CALLS, TRACKER_MAX_CENTER_CALLS, TRACKER_ALLOWED_LATENESS_SECONDS,
       TRACKER_MAX_DEDUPE_EVENTS, TRACKER_MAX_RECENT_CALLERS, TRACKER_MAX_SOURCE_LAG_SECONDS,
       TRACKER_MAX_SOURCE_BEHIND_SECONDS, TRACKER_MAX_REORDER_EVENTS,
       TRACKER_BIND_CALLS_TO_SOURCE, TRACKER_BIND_OPERATORS_TO_SOURCE,
       TRACKER_MAX_NEW_OPERATORS_PER_SOURCE_PER_HOUR, TRACKER_MAX_OPEN_CALLS_PER_SOURCE,
       TRACKER_KEY_COUNT };

static const struct key tracker_keys[TRACKER_KEY_COUNT + 1] = {
	[TRACKER_MAX_OPEN_CALLS] = UINT32_KEY(
		"max_open_calls", tracker.max_open_calls, 1, 10000000, "10000", LIVE(COUNT),
		"Calls started and not yet ended, across the whole center (1 to 10000000)."),
	[TRACKER_MAX_CALL_SECONDS] = UINT32_KEY("max_call_seconds", tracker.max_call_seconds, 60,
						604800, "14400", LIVE(SECONDS),
						"Seconds of event time after which an open call "
						"that has heard nothing more (no end,"),
	[TRACKER_MAX_OPERATORS] = UINT32_KEY(
		"max_operators", tracker.max_operators, 1, 1000000, "1000", LIVE(COUNT),
		"Call-takers tracked, each (agency, operator) pair counting once (1 to 1000000)."),
	[TRACKER_MAX_WINDOW_CALLS] = UINT32_KEY("max_window_calls", tracker.max_window_calls, 16,
						1000000, "512", LIVE(COUNT),
						"Completed calls kept per call-taker (16 to "
						"1000000). Older calls are dropped from the"),
	[TRACKER_MAX_CENTER_CALLS] = UINT32_KEY(
		"max_center_calls", tracker.max_center_calls, 1000, 100000000, "1000000",
		LIVE(COUNT),
		"Completed calls kept for the whole center's baseline (1000 to 100000000): every"),
	[TRACKER_ALLOWED_LATENESS_SECONDS] =
		UINT32_KEY("allowed_lateness_seconds", tracker.allowed_lateness_seconds, 0, 86400,
			   "600", LIVE(SECONDS),
			   "Seconds an event may arrive behind the newest event seen and still be "
			   "placed where"),
	[TRACKER_MAX_DEDUPE_EVENTS] = UINT32_KEY("max_dedupe_events", tracker.max_dedupe_events,
						 1000, 100000000, "200000", LIVE(COUNT),
						 "Events remembered to recognize a resend of the "
						 "same event (same event_id, or same"),
	[TRACKER_MAX_RECENT_CALLERS] = UINT32_KEY("max_recent_callers", tracker.max_recent_callers,
						  100, 10000000, "100000", LIVE(COUNT),
						  "Recent premature hangups remembered by caller "
						  "number, to notice the caller ringing"),
	[TRACKER_MAX_SOURCE_LAG_SECONDS] =
		UINT32_KEY("max_source_lag_seconds", tracker.max_source_lag_seconds, 0, 86400,
			   "900", LIVE(SECONDS),
			   "Seconds of event time (0 to 86400) a source may fall behind the newest "
			   "source and still"),
	[TRACKER_MAX_SOURCE_BEHIND_SECONDS] =
		UINT32_KEY("max_source_behind_seconds", tracker.max_source_behind_seconds, 0,
			   86400, "30", LIVE(SECONDS),
			   "Seconds (0 to 86400; 0: no such bound) a source's newest ts may be "
			   "behind both the"),
	[TRACKER_MAX_REORDER_EVENTS] = UINT32_KEY("max_reorder_events", tracker.max_reorder_events,
						  16, 10000000, "50000", LIVE(COUNT),
						  "Events held to release them in ts order across "
						  "sources (16 to 10000000). When full the"),
	[TRACKER_BIND_CALLS_TO_SOURCE] = { .name = "bind_calls_to_source",
					   .parse = parse_bool,
					   LIVE(BOOLEAN),
					   FIELD(tracker.bind_calls_to_source),
					   .fallback = "true",
					   .doc = "One source cannot speak for another's calls and "
						  "call-takers (docs/detection.md," },
	[TRACKER_BIND_OPERATORS_TO_SOURCE] = { .name = "bind_operators_to_source",
					       .parse = parse_bool,
					       LIVE(BOOLEAN),
					       FIELD(tracker.bind_operators_to_source),
					       .fallback = "true",
					       .doc = "A call-taker (agency, operator) belongs to "
						      "the named source whose call_start first "
						      "named" },
	[TRACKER_MAX_NEW_OPERATORS_PER_SOURCE_PER_HOUR] = UINT32_KEY(
		"max_new_operators_per_source_per_hour",
		tracker.max_new_operators_per_source_per_hour, 0, 10000000, "1000", LIVE(COUNT),
		"New call-takers (a call_start naming an (agency, operator) not owned now) each "
		"source may"),
	[TRACKER_MAX_OPEN_CALLS_PER_SOURCE] = UINT32_KEY(
		"max_open_calls_per_source", tracker.max_open_calls_per_source, 0, 10000000, "2000",
		LIVE(COUNT),
		"Calls one source may hold open at once (0 to 10000000; 0 = no limit), of the "
		"shared"),
	[TRACKER_KEY_COUNT] = { .name = NULL },
};

static const struct key premature_keys[] = {
	{ .name = "max_talk_seconds",
	  .parse = parse_positive_number,
	  LIVE(SECONDS),
	  FIELD(detector.max_talk_seconds),
	  .fallback = "20",
	  .doc = " - its talk time (answer to release) was under this many seconds (a number > "
		 "0," },
	{ .name = "released_by",
	  .parse = parse_released_by,
	  LIVE(LIST),
	  FIELD(detector.released_by_mask),
	  .fallback = "[operator]",
	  .doc = " - it was released by one of these parties: a list of operator, caller, "
		 "system," },
	{ .name = NULL },
};

static const struct key unacked_keys[] = {
	UINT32_KEY("info", detector.escalate_unacked_after_seconds[0], 0, 2592000, "0",
		   LIVE(SECONDS), NULL),
	UINT32_KEY("warning", detector.escalate_unacked_after_seconds[1], 0, 2592000, "1800",
		   LIVE(SECONDS), NULL),
	UINT32_KEY("critical", detector.escalate_unacked_after_seconds[2], 0, 2592000, "600",
		   LIVE(SECONDS), NULL),
	{ .name = NULL },
};

/* A probability strictly between 0 and 1. */
static bool parse_open_ratio(struct loader *loader, const struct path *path, const struct key *key,
			     void *field)
{
	double value;

	(void)key;
	if (!scalar_to_number(loader, &value) || value <= 0.0 || value >= 1.0) {
		report(loader, current_mark(loader), path,
		       "must be a number greater than 0 and less than 1");
		return skip_node(loader);
	}
	*(double *)field = value;
	return true;
}

static const struct key baseline_keys[] = {
	{ .name = "scope",
	  .parse = parse_baseline_scope,
	  LIVE(CHOICE),
	  FIELD(detector.baseline.scope),
	  .fallback = "agency",
	  .doc = "agency (default): a call-taker is compared with the rest of their own agency "
		 "(a" },
	{ .name = "half_life_seconds",
	  .parse = parse_positive_number,
	  LIVE(SECONDS),
	  FIELD(detector.baseline.half_life_seconds),
	  .fallback = "1200",
	  .doc = "The rest of the agency's premature rate is decayed with this half-life, seconds "
		 "of" },
	{ .name = "fast_half_life_seconds",
	  .parse = parse_positive_number,
	  LIVE(SECONDS),
	  FIELD(detector.baseline.fast_half_life_seconds),
	  .fallback = "300",
	  .doc = "A second, faster rate (seconds of event time, a number > 0; its prior is "
		 "prior_calls" },
	{ .name = "prior_calls",
	  .parse = parse_positive_number,
	  LIVE(NUMBER),
	  FIELD(detector.baseline.prior_calls),
	  .fallback = "20",
	  .doc = "Pseudo-calls at prior_ratio added to it (a number > 0): a quiet night or the "
		 "first" },
	{ .name = "prior_ratio",
	  .parse = parse_open_ratio,
	  LIVE(RATIO),
	  FIELD(detector.baseline.prior_ratio),
	  .fallback = "0.1",
	  .doc = "The prior premature rate (greater than 0, less than 1)." },
	{ .name = "history_half_life_seconds",
	  .parse = parse_positive_number,
	  LIVE(SECONDS),
	  FIELD(detector.baseline.history_half_life_seconds),
	  .fallback = "604800",
	  .doc = "Half-life of each call-taker's own long-run history (the own factor), seconds "
		 "of" },
	{ .name = "history_settle_seconds",
	  .parse = parse_nonnegative_number,
	  LIVE(SECONDS),
	  FIELD(detector.baseline.history_settle_seconds),
	  .fallback = "28800",
	  .doc = "Half-life, seconds of event time, of a call's move into that history (a number "
		 ">= 0;" },
	{ .name = "storm_volume_factor",
	  .parse = parse_nonnegative_number,
	  LIVE(NUMBER),
	  FIELD(detector.baseline.storm_volume_factor),
	  .fallback = "2",
	  .doc = "A storm (a number >= 0; default 2; 0 = off): while the agency's calls per hour "
		 "over" },
	{ .name = "storm_usual_half_life_seconds",
	  .parse = parse_bounded_half_life,
	  LIVE(SECONDS),
	  FIELD(detector.baseline.storm_usual_half_life_seconds),
	  .fallback = "7200",
	  .doc = "Half-life, seconds of event time, of the agency's usual calls per hour that" },
	{ .name = "per_source",
	  .parse = parse_bool,
	  LIVE(BOOLEAN),
	  FIELD(detector.baseline.per_source),
	  .fallback = "false",
	  .doc = "true: a feed source's calls set the baseline and storm volume of its own "
		 "call-takers" },
	{ .name = "source_cap_z",
	  .parse = parse_nonnegative_number,
	  LIVE(NUMBER),
	  FIELD(detector.baseline.source_cap_z),
	  .fallback = "0",
	  .doc = "A call is judged against at most the upper bound, at this many standard "
		 "errors, of its" },
	{ .name = "source_depart_z",
	  .parse = parse_nonnegative_number,
	  LIVE(NUMBER),
	  FIELD(detector.baseline.source_depart_z),
	  .fallback = "4",
	  .doc = "A feed source whose calls of an agency are premature this many standard errors "
		 "above" },
	{ .name = "storm_offered_factor",
	  .parse = parse_nonnegative_number,
	  LIVE(NUMBER),
	  FIELD(detector.baseline.storm_offered_factor),
	  .fallback = "1.3",
	  .doc = "The storm gate on the agency's offered calls (a number >= 0; default 1.3; 0 = "
		 "off):" },
	{ .name = NULL },
};

static const struct key detector_keys[] = {
	{ .name = "premature",
	  .parse = parse_section,
	  .children = premature_keys,
	  .doc = "A completed call is a premature hangup when ALL hold:" },
	UINT32_KEY("repeat_window_seconds", detector.repeat_window_seconds, 0, 86400, "300",
		   LIVE(SECONDS),
		   "A premature hangup is marked \"called back\" when the same number (ani) calls "
		   "911"),
	{ .name = "callback_min_talk_seconds",
	  .parse = parse_nonnegative_number,
	  LIVE(SECONDS),
	  FIELD(detector.callback_min_talk_seconds),
	  .fallback = "20",
	  .doc = "The redial marks it only when it was a real call: it got an incident or a" },
	UINT32_KEY("resolve_after_seconds", detector.resolve_after_seconds, 0, 2592000, "3600",
		   LIVE(SECONDS),
		   "An open alert is resolved when all rules have been false for this many seconds "
		   "of"),
	UINT32_KEY("max_alert_callbacks", detector.max_alert_callbacks, 16, 1000000, "256",
		   LIVE(COUNT),
		   "Callbacks an open alert keeps (16 to 1000000): every premature hangup of the "
		   "call-taker"),
	{ .name = "escalate_unacked_after_seconds",
	  .parse = parse_section,
	  .children = unacked_keys,
	  .doc = "An alert that no console acknowledged this many seconds of event time after it "
		 "fired" },
	{ .name = "rules",
	  .parse = parse_rules,
	  LIVE(LIST),
	  LIST(detector.rules, detector.rule_count),
	  .entries = rule_keys,
	  /* the rule shipped in config/cadmon.yaml (docs/detection.md, "The sequential rule"); the
	   * window rules tuned before it are documented there as an alternative */
	  .fallback = "[{name: sequential, type: sequential, window_seconds: 28800, "
		      "called_back_weight: 4,"
		      " odds_ratio: 4, false_alarm_calls: 10000, false_alarm_hours: 1000, "
		      "hourly_raises: true}]",
	  .doc = "Alert rules, checked for each call-taker whenever one of their calls completes "
		 "(and," },
	{ .name = "baseline",
	  .parse = parse_section,
	  .children = baseline_keys,
	  .doc = "The peer baseline of the sequential rules: what each call is expected to look "
		 "like." },
	{ .name = NULL },
};

enum { JOURNAL_STATE_DIRECTORY, JOURNAL_FSYNC, JOURNAL_FSYNC_INTERVAL_MS, JOURNAL_SEGMENT_MAX_BYTES,
       JOURNAL_SEGMENT_MAX_SECONDS, JOURNAL_RETENTION_SECONDS, JOURNAL_KEY_COUNT };

static const struct key journal_keys[JOURNAL_KEY_COUNT + 1] = {
	[JOURNAL_STATE_DIRECTORY] = { .name = "state_directory",
				      .parse = parse_directory,
				      RESTART(PATH),
				      FIELD(journal.state_directory),
				      .fallback = "/var/lib/cadmon",
				      .doc = "Where segments (journal/*.seg) and snapshots "
					     "(snapshot-*.snap) live: an absolute path" },
	[JOURNAL_FSYNC] = { .name = "fsync",
			    .parse = parse_fsync,
			    LIVE(CHOICE),
			    FIELD(journal.fsync),
			    .fallback = "batch",
			    .doc = "When to fsync the segment (one write per loop iteration in any "
				   "case):" },
	[JOURNAL_FSYNC_INTERVAL_MS] = UINT32_KEY(
		"fsync_interval_ms", journal.fsync_interval_ms, 1, 60000, "200", LIVE(MILLISECONDS),
		"Milliseconds between fsyncs with fsync: interval (1 to 60000)."),
	[JOURNAL_SEGMENT_MAX_BYTES] = UINT32_KEY(
		"segment_max_bytes", journal.segment_max_bytes, 65536, 2147483647, "67108864",
		LIVE(BYTES),
		"A segment is closed and a new one started past this many bytes (65536 to"),
	[JOURNAL_SEGMENT_MAX_SECONDS] =
		UINT32_KEY("segment_max_seconds", journal.segment_max_seconds, 10, 86400, "3600",
			   LIVE(SECONDS), NULL),
	[JOURNAL_RETENTION_SECONDS] = UINT32_KEY("retention_seconds", journal.retention_seconds, 60,
						 31536000, "86400", LIVE(SECONDS),
						 "Closed segments whose newest event is older than "
						 "this many seconds of event time are"),
	[JOURNAL_KEY_COUNT] = { .name = NULL },
};

static const struct key log_keys[] = {
	UINT32_KEY("rate_limit_seconds", log.rate_limit_seconds, 1, 86400, "10", LIVE(SECONDS),
		   "The same warning (a dropped line, a full table, a slow subscriber) is logged "
		   "at most"),
	{ .name = NULL },
};

static const struct key redact_keys[] = {
	{ .name = "viewer",
	  .parse = parse_redact, LIVE(CHOICE),
	  FIELD(auth.redact_ani[CONFIG_ROLE_VIEWER]),
	  .fallback = "last4" },
	{ .name = "supervisor",
	  .parse = parse_redact, LIVE(CHOICE),
	  FIELD(auth.redact_ani[CONFIG_ROLE_SUPERVISOR]),
	  .fallback = "none" },
	{ .name = "admin",
	  .parse = parse_redact, LIVE(CHOICE),
	  FIELD(auth.redact_ani[CONFIG_ROLE_ADMIN]),
	  .fallback = "none" },
	{ .name = NULL },
};

static const struct key auth_keys[] = {
	{ .name = "tokens",
	  .parse = parse_tokens,
	  LIVE(LIST),
	  LIST(auth.tokens, auth.token_count),
	  .entries = token_keys,
	  .doc = "Bearer tokens: at most 64, none by default. Each one:" },
	{ .name = "tokens_file",
	  .parse = parse_optional_path,
	  LIVE(PATH),
	  FIELD(auth.tokens_file),
	  .doc = "A file of more tokens, \"\" for none: one \"SHA256HEX ROLE NAME\" a line, blank "
		 "lines and" },
	UINT32_KEY("max_failures_per_minute", auth.max_failures_per_minute, 1, 1000000, "10",
		   LIVE(COUNT),
		   "Failed attempts (a missing or wrong token) from one address, on the alert port "
		   "and HTTP"),
	UINT32_KEY(
		"failure_window_seconds", auth.failure_window_seconds, 1, 86400, "60",
		LIVE(SECONDS),
		"The window of max_failures_per_minute, in seconds (1 to 86400), starting at an"),
	UINT32_KEY("max_tracked_addresses", auth.max_tracked_addresses, 1, 1000000, "4096",
		   LIVE(COUNT),
		   "Addresses whose failures are remembered at once (1 to 1000000). When full, the "
		   "one"),
	{ .name = "redact_ani",
	  .parse = parse_section,
	  .children = redact_keys,
	  .doc = "What each role sees of callers' numbers (\"ani\" in callbacks and on the board), "
		 "on the" },
	{ .name = NULL },
};

/* i3.public_keys[].kid: the JWS header's kid, 1 to 128 printable bytes. */
static bool parse_i3_kid(struct loader *loader, const struct path *path, const struct key *key,
			 void *field)
{
	(void)key;
	if (is_scalar(loader) && scalar_len(loader) == 0) {
		report(loader, current_mark(loader), path, "must not be empty");
		return skip_node(loader);
	}
	return parse_text_of(loader, path, field, CONFIG_I3_KID_MAX);
}

static bool parse_i3_element_entry(struct loader *loader, const struct path *path, size_t index,
				   void *state)
{
	struct config_i3_key *entry = state;

	entry->element_count = index + 1;
	return parse_feed_name(loader, path, false, entry->elements[index]);
}

/* i3.public_keys[].elements: the elementIds the key may sign for, each as a feed source's name
 * (the key's offset is 0: field is the key's entry). */
static bool parse_i3_elements(struct loader *loader, const struct path *path,
			      const struct key *key, void *field)
{
	struct config_i3_key *entry = field;

	(void)key;
	entry->element_count = 0;
	return parse_name_sequence(loader, path, CONFIG_MAX_I3_KEY_ELEMENTS,
				   parse_i3_element_entry, entry);
}

static const struct key i3_key_keys[] = {
	{ .name = "kid",
	  .parse = parse_i3_kid,
	  RESTART(TEXT),
	  .doc = "the JWS header's kid, 1 to 128 bytes (required, unique)",
	  .offset = offsetof(struct config_i3_key, kid),
	  .required = true },
	{ .name = "file",
	  .parse = parse_directory,
	  RESTART(PATH),
	  .doc = "an absolute path to a PEM public key, EC P-256 (ES256) or RSA (RS256) "
		 "(required)",
	  .offset = offsetof(struct config_i3_key, file),
	  .required = true },
	{ .name = "elements",
	  .parse = parse_i3_elements,
	  RESTART(LIST),
	  .doc = "the elementIds whose log events it may sign, at most 16, each 1 to 64 "
		 "bytes",
	  .offset = 0 },
	{ .name = NULL },
};

/* One i3.public_keys entry. */
static bool parse_i3_key_entry(struct loader *loader, const struct path *path, size_t index,
			       void *state)
{
	struct config *config = state;
	struct config_i3_key *entry = &config->i3.public_keys[index];

	if (loader->event.type != YAML_MAPPING_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a mapping");
		return skip_node(loader);
	}
	memset(entry, 0, sizeof *entry);
	config->i3.public_key_count = index + 1;
	return parse_mapping(loader, path, i3_key_keys, entry);
}

/* i3.public_keys: a sequence of {kid, file}, or null for none. Its key has offset 0. */
static bool parse_i3_keys(struct loader *loader, const struct path *path, const struct key *key,
			  void *field)
{
	struct config *config = field;

	(void)key;
	config->i3.public_key_count = 0;
	if (scalar_is_null(loader))
		return true;
	if (loader->event.type != YAML_SEQUENCE_START_EVENT) {
		report(loader, current_mark(loader), path, "must be a sequence");
		return skip_node(loader);
	}
	return parse_sequence(loader, path, CONFIG_MAX_I3_KEYS, parse_i3_key_entry, config);
}

static const struct key i3_keys[] = {
	{ .name = "enabled",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(i3.enabled),
	  .fallback = "false",
	  .doc = "Serve POST /LogEvents and GET /Versions (false: 404 as any unknown path)." },
	UINT32_KEY("max_body_bytes", i3.max_body_bytes, 1024, 16777216, "65536", RESTART(BYTES),
		   "Longest request body (the JWS), in bytes (1024 to 16777216). The HTTP listener "
		   "reads bodies"),
	{ .name = "require_signature",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(i3.require_signature),
	  .fallback = "true",
	  .doc = "true: a JWS must be signed by one of public_keys (by its protected header's "
		 "kid), else" },
	{ .name = "public_keys",
	  .parse = parse_i3_keys,
	  RESTART(LIST),
	  LIST(i3.public_keys, i3.public_key_count),
	  .entries = i3_key_keys,
	  .doc = "The keys that sign log events, at most 16, read at start; empty: none. Each "
		 "one:" },
	UINT32_KEY("max_calls", i3.max_calls, 16, 10000000, "10000", RESTART(COUNT),
		   "Calls remembered between their log events (caller's number, who sent the SIP "
		   "BYE,"),
	UINT32_KEY("max_pending_requests", i3.max_pending_requests, 1, 65535, "256", RESTART(COUNT),
		   "Requests whose lines wait to be durable before their 201, 1 to 65535: 503 "
		   "beyond (counted)."),
	{ .name = "bye_outgoing_released_by",
	  .parse = parse_released_by_name,
	  RESTART(CHOICE),
	  FIELD(i3.bye_outgoing_released_by),
	  .fallback = "operator",
	  .doc = "Who released a call whose first SIP BYE (CallSignalingMessageLogEvent) the "
		 "logging element" },
	{ .name = "bye_incoming_released_by",
	  .parse = parse_released_by_name,
	  RESTART(CHOICE),
	  FIELD(i3.bye_incoming_released_by),
	  .fallback = "caller" },
	{ .name = NULL },
};

/* nats: servers and subjects are lists kept in struct config (offset 0). */
static const struct key nats_keys[] = {
	{ .name = "enabled",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(nats.enabled),
	  .fallback = "false",
	  .doc = "Consume the events stream and publish alerts (default false)." },
	{ .name = "servers",
	  .parse = parse_nats_servers,
	  RESTART(LIST),
	  LIST(nats.servers, nats.server_count),
	  .fallback = "[\"nats://127.0.0.1:4222\"]",
	  .doc = "The cluster's servers, nats:// or tls:// URLs, at most 8; user and password "
		 "never in" },
	{ .name = "credentials",
	  .parse = parse_optional_path,
	  RESTART(PATH),
	  FIELD(nats.credentials),
	  .doc = "A .creds file (user JWT and NKey seed) to authenticate with; \"\" = none." },
	{ .name = "token_file",
	  .parse = parse_optional_path,
	  RESTART(PATH),
	  FIELD(nats.token_file),
	  .doc = "A file whose first line is the token to authenticate with; \"\" = none. Not with "
		 "credentials." },
	{ .name = "tls_ca",
	  .parse = parse_optional_path,
	  RESTART(PATH),
	  FIELD(nats.tls_ca),
	  .doc = "TLS to the servers: the CA that signs their certificates (PEM); \"\" = no TLS "
		 "unless" },
	{ .name = "tls_certificate",
	  .parse = parse_optional_path,
	  RESTART(PATH),
	  FIELD(nats.tls_certificate),
	  .doc = "A client certificate (PEM) and its key, for servers that require one; \"\" = "
		 "none." },
	{ .name = "tls_key", .parse = parse_optional_path, RESTART(PATH), FIELD(nats.tls_key) },
	{ .name = "events_stream",
	  .parse = parse_nats_name,
	  RESTART(NAME),
	  FIELD(nats.events_stream),
	  .fallback = "CADMON_EVENTS",
	  .doc = "The events stream (cadmon-publish --create-stream makes it), 1 to 63 of A-Z a-z "
		 "0-9 _ -." },
	{ .name = "events_subject_prefix",
	  .parse = parse_nats_subject_prefix,
	  RESTART(TEXT),
	  FIELD(nats.events_subject_prefix),
	  .fallback = "cadmon.events",
	  .doc = "Events are published on PREFIX.<agency> (dot-separated tokens)." },
	{ .name = "subjects",
	  .parse = parse_nats_subjects,
	  RESTART(LIST),
	  LIST(nats.subjects, nats.subject_count),
	  .doc = "The subject filters this cadmond consumes (its agencies), at most 16, e.g." },
	{ .name = "consumer",
	  .parse = parse_nats_name,
	  RESTART(NAME),
	  FIELD(nats.consumer),
	  .fallback = "cadmond",
	  .doc = "The durable consumer's name; two cadmonds on one stream need different names." },
	UINT32_KEY("fetch_batch", nats.fetch_batch, 1, 10000, "256", LIVE(COUNT),
		   "Messages asked for per pull request (1 to 10000; reloadable: the next pull "
		   "asks for"),
	UINT32_KEY("max_in_flight", nats.max_in_flight, 1, 1000000, "4096", RESTART(COUNT),
		   "Messages taken and not yet acknowledged at most (the consumer's "
		   "max_ack_pending, and the"),
	UINT32_KEY("ack_wait_seconds", nats.ack_wait_seconds, 1, 3600, "30", RESTART(SECONDS),
		   "A message not acknowledged this long is delivered again, seconds (1 to 3600)."),
	{ .name = "publish_alerts",
	  .parse = parse_bool,
	  RESTART(BOOLEAN),
	  FIELD(nats.publish_alerts),
	  .fallback = "true",
	  .doc = "Publish every notice to the alerts stream (default true)." },
	{ .name = "alerts_stream",
	  .parse = parse_nats_name,
	  RESTART(NAME),
	  FIELD(nats.alerts_stream),
	  .fallback = "CADMON_ALERTS",
	  .doc = "The alerts stream (cadmon-publish --create-stream makes it)." },
	{ .name = "alerts_subject_prefix",
	  .parse = parse_nats_subject_prefix,
	  RESTART(TEXT),
	  FIELD(nats.alerts_subject_prefix),
	  .fallback = "cadmon.alerts",
	  .doc = "Notices are published on PREFIX.<agency>, PREFIX._system for system alerts, "
		 "PREFIX._none" },
	UINT32_KEY("max_alert_queue", nats.max_alert_queue, 1, 1000000, "10000", RESTART(COUNT),
		   "Notices waiting for the cluster at most (1 to 1000000); more are dropped for "
		   "NATS"),
	UINT32_KEY(
		"connect_timeout_ms", nats.connect_timeout_ms, 100, 600000, "2000",
		RESTART(MILLISECONDS),
		"Connecting to a server gives up after this long, milliseconds (100 to 600000)."),
	UINT32_KEY("reconnect_wait_ms", nats.reconnect_wait_ms, 10, 600000, "1000",
		   RESTART(MILLISECONDS),
		   "Between reconnect attempts, and between attempts to publish a notice, "
		   "milliseconds"),
	UINT32_KEY("max_reconnect_attempts", nats.max_reconnect_attempts, 0, 1000000, "0",
		   RESTART(COUNT),
		   "Reconnect attempts before giving up; 0 = for ever (the default)."),
	{ .name = "mapping",
	  .parse = parse_mapping_name,
	  RESTART(NAME),
	  FIELD(nats.mapping),
	  .doc = "\"\" (the default): each message is one protocol v1 line. The name of one of "
		 "mappings:" },
	{ .name = NULL },
};

static const struct key top_keys[] = {
	{ .name = "feed",
	  .parse = parse_section,
	  .children = feed_keys,
	  .doc = "The feed: where the CAD / call-handling systems connect and send their call "
		 "events," },
	{ .name = "alerts",
	  .parse = parse_section,
	  .children = alerts_keys,
	  .doc = "Alerts: where supervisor consoles connect to receive alerts, one JSON object per "
		 "line." },
	{ .name = "http",
	  .parse = parse_section,
	  .children = http_keys,
	  .doc = "HTTP: the JSON API (alerts, the open-alert board, acknowledgements, sources, "
		 "status), the" },
	{ .name = "tls",
	  .parse = parse_section,
	  .children = tls_keys,
	  .doc = "TLS: one server identity shared by every listener that sets tls: true (feed, "
		 "alerts," },
	{ .name = "tracker",
	  .parse = parse_section,
	  .children = tracker_keys,
	  .doc = "The call tracker joins each call's start and end events." },
	{ .name = "detector",
	  .parse = parse_section,
	  .children = detector_keys,
	  .doc = "The detector decides which calls are premature hangups and when a call-taker's" },
	{ .name = "journal",
	  .parse = parse_section,
	  .children = journal_keys,
	  .doc = "The journal: every feed line (rejected ones and resends too) is written to disk "
		 "before" },
	{ .name = "log",
	  .parse = parse_section,
	  .children = log_keys,
	  .doc = "Logging by cadmond." },
	{ .name = "receivers",
	  .parse = parse_receivers,
	  RESTART(LIST),
	  LIST(receivers, receiver_count),
	  .entries = receiver_keys,
	  .doc = "Where notices are pushed besides the alert port (docs/receivers.md): at most 8" },
	{ .name = "auth",
	  .parse = parse_section,
	  .children = auth_keys,
	  .doc = "Who may use the alert port and the HTTP API (docs/security.md, \"Tokens, roles, "
		 "safe defaults and callers' numbers\"). Auth is on when at" },
	{ .name = "sources",
	  .parse = parse_sources,
	  LIVE(LIST),
	  LIST(sources, source_count),
	  .entries = source_keys,
	  .doc = "What each named feed source (its hello's \"source\") may say: at most 64 "
		 "sources, each with" },
	{ .name = "unlisted_sources",
	  .parse = parse_unlisted,
	  LIVE(CHOICE),
	  FIELD(unlisted_sources),
	  .fallback = "accept",
	  .doc = "Sources sources: does not list: accept (default: their events are taken) or "
		 "reject" },
	{ .name = "mappings",
	  .parse = parse_mappings,
	  LIVE(LIST),
	  LIST(mappings, mapping_count),
	  .entries = mapping_keys,
	  .doc = "Vendor record mappings (docs/mappings.md): how a call record of another shape - "
		 "a CSV row" },
	{ .name = "i3",
	  .parse = parse_section,
	  .children = i3_keys,
	  .doc = "NENA i3 log events (docs/protocol.md \"NENA i3 log events\"): cadmond as a "
		 "secondary Logging" },
	{ .name = "nats",
	  .parse = parse_section,
	  .children = nats_keys,
	  .doc = "NATS JetStream (docs/scale-out.md): events in through a durable pull consumer, "
		 "alerts out" },
	{ .name = NULL },
};

static const struct key *schema_top_keys(void)
{
	return top_keys;
}

/* A fallback that is a flow collection ("[operator]", "[{name: sequential, ...}]"), read by
 * the key's parse function from libyaml's events. */
static void apply_collection_fallback(struct loader *loader, const struct key *key,
				      const struct path *path, void *field)
{
	struct loader reader = { .text = key->fallback,
				 .len = strlen(key->fallback),
				 .filename = loader->filename,
				 .errors = loader->errors };

	if (!yaml_parser_initialize(&reader.parser)) {
		add_error(loader, (yaml_mark_t){ .line = 0 }, "out of memory");
		return;
	}
	yaml_parser_set_input_string(&reader.parser, (const unsigned char *)reader.text,
				     reader.len);
	if (loader_next(&reader) && loader_next(&reader) &&
	    loader_next(&reader)) /* stream, document, node */
		key->parse(&reader, path, key, field);
	if (reader.has_event)
		yaml_event_delete(&reader.event);
	yaml_parser_delete(&reader.parser);
}

/* Each key under keys that has a fallback gets it, read by the key's own parse function: a
 * scalar from a lone scalar event (no YAML parser: a scalar is one event), a collection
 * through libyaml. Errors are the loader's ("(defaults):1:N: PATH: what"). */
static void apply_fallbacks(struct loader *loader, const struct key *keys, void *base,
			    const char *prefix)
{
	struct path path = { .len = 0 };

	for (const struct key *key = keys; key->name; key++) {
		path_truncate(&path, 0);
		path_append(&path, prefix, strlen(prefix));
		path_push_key(&path, key->name, strlen(key->name));
		if (key->children) {
			apply_fallbacks(loader, key->children, (char *)base + key->offset,
					path.text);
			continue;
		}
		if (!key->fallback)
			continue;
		if (key->fallback[0] == '[' || key->fallback[0] == '{') {
			apply_collection_fallback(loader, key, &path, (char *)base + key->offset);
			continue;
		}
		memset(&loader->event, 0, sizeof loader->event);
		loader->event.type = YAML_SCALAR_EVENT;
		loader->event.data.scalar.value = (yaml_char_t *)(uintptr_t)key->fallback;
		loader->event.data.scalar.length = strlen(key->fallback);
		loader->event.data.scalar.plain_implicit = 1;
		loader->event.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
		key->parse(loader, &path, key, (char *)base + key->offset);
	}
}

static void value_format(const struct key *key, const void *base, bool plain, char *buf,
			 size_t size);

/* What key's fallback alone gives, read by its parse function into a zeroed object: the value
 * as config_dump writes it (one line; "" for a list of mappings) and the first error, if any. */
struct fallback_result {
	char value[CONFIG_ERROR_MAX * 2];
	char error[CONFIG_ERROR_MAX];
};

/* scratch: a struct config, big enough for any object a key fills. */
static void fallback_result_of(const struct key *key, const char *prefix, struct config *scratch,
			       struct fallback_result *result)
{
	const struct key alone[2] = { *key, { .name = NULL } };
	struct config_errors errors = { .count = 0 };
	struct loader loader = { .filename = "(default)", .errors = &errors };

	result->value[0] = result->error[0] = '\0';
	memset(scratch, 0, sizeof *scratch);
	apply_fallbacks(&loader, alone, scratch, prefix);
	if (errors.count > 0)
		snprintf(result->error, sizeof result->error, "%s", errors.message[0]);
	if (!key->entries)
		value_format(key, scratch, false, result->value, sizeof result->value);
}

struct key_walk {
	config_key_fn *fn;
	void *ctx;
	struct config *scratch;
};

/* Each key of keys (prefix: their section's path), then its section's or its entries' keys. */
static size_t walk_keys(const struct key *keys, const char *prefix, bool in_entry,
			const struct key_walk *walk)
{
	char path[CONFIG_ERROR_MAX];
	size_t count = 0;

	for (const struct key *key = keys; key->name; key++) {
		key_path(path, sizeof path, prefix, key->name);
		struct fallback_result fallback = { .value = "" };
		if (!key->children)
			fallback_result_of(key, prefix, walk->scratch, &fallback);
		struct config_key_info info = {
			.path = path,
			.doc = key->doc,
			.unit = key->children
					? NULL
					: unit_names[key->unit < UNIT_COUNT_OF_UNITS ? key->unit
										     : 0],
			.reload = key->children			  ? NULL
				  : key->reload == RELOAD_LIVE	  ? "live"
				  : key->reload == RELOAD_RESTART ? "restart"
								  : "undeclared",
			.fallback = key->fallback,
			.value = key->children || key->entries || (key->required && !key->fallback)
					 ? NULL
					 : fallback.value,
			.required = key->required,
			.fallback_error = fallback.error[0] ? fallback.error : NULL,
			.section = key->children != NULL,
			.in_list_entry = in_entry,
		};
		walk->fn(walk->ctx, &info);
		count++;
		if (key->children)
			count += walk_keys(key->children, path, in_entry, walk);
		if (key->entries) {
			snprintf(path + strlen(path), sizeof path - strlen(path), "[]");
			count += walk_keys(key->entries, path, true, walk);
		}
	}
	return count;
}

size_t config_keys(config_key_fn *fn, void *ctx)
{
	struct key_walk walk = { .fn = fn, .ctx = ctx, .scratch = malloc(sizeof *walk.scratch) };
	size_t count;

	if (!walk.scratch)
		return 0;
	count = walk_keys(top_keys, "", false, &walk);
	free(walk.scratch);
	return count;
}

/* base, zeroed, gets the fallbacks of keys (a table and its sections). */
static void set_fallbacks(const struct key *keys, void *base)
{
	struct config_errors errors = { .count = 0 };
	struct loader loader = { .filename = "(defaults)", .errors = &errors };

	apply_fallbacks(&loader, keys, base, "");
}

static void set_table_defaults(struct config *config)
{
	set_fallbacks(top_keys, config);
}

/* The document itself: a mapping of sections, or nothing at all. */
static const struct key document_key = { .name = "", .parse = parse_section,
					 .children = top_keys };

/* ---- cross-field checks ------------------------------------------------------------- */

/* The key of a table by name (it is there: the tables are the code's own). */
static const struct key *find_key_named(const struct key *keys, const char *name)
{
	while (keys->name && strcmp(keys->name, name) != 0)
		keys++;
	return keys;
}

/* True when base's key was given and parsed cleanly; *mark is where. */
static bool given_valid(const struct loader *loader, const void *base, const struct key *key,
			yaml_mark_t *mark)
{
	const struct origin *origin = origin_find(loader, base, key);

	if (origin && origin->valid)
		*mark = origin->mark;
	return origin && origin->valid;
}

/* True unless base's key was given with an invalid value (then a check using it is moot). */
static bool usable(const struct loader *loader, const void *base, const struct key *key)
{
	const struct origin *origin = origin_find(loader, base, key);

	return !origin || origin->valid;
}

static void rule_path(struct path *path, size_t index, const char *key)
{
	path_truncate(path, 0);
	path_append(path, "detector.rules", strlen("detector.rules"));
	path_push_index(path, index);
	path_push_key(path, key, strlen(key));
}

static void check_rule_counts(struct loader *loader, const struct config *config, size_t index)
{
	const struct config_rule *rule = &config->detector.rules[index];
	struct path path;
	yaml_mark_t mark;

	if (given_valid(loader, rule, &rule_keys[RULE_MIN_PREMATURE], &mark) &&
	    usable(loader, rule, &rule_keys[RULE_MIN_CALLS]) &&
	    rule->min_premature > rule->min_calls) {
		rule_path(&path, index, "min_premature");
		report(loader, mark, &path, "must be at most min_calls (%" PRIu32 ")",
		       rule->min_calls);
	}
	if (given_valid(loader, rule, &rule_keys[RULE_MIN_CALLS], &mark) &&
	    usable(loader, config, &tracker_keys[TRACKER_MAX_WINDOW_CALLS]) &&
	    rule->min_calls > config->tracker.max_window_calls) {
		rule_path(&path, index, "min_calls");
		report(loader, mark, &path,
		       "must be at most tracker.max_window_calls (%" PRIu32 ")",
		       config->tracker.max_window_calls);
	}
}

/* Report a rule's number key (when given validly) that fails a bound the parser cannot see. */
static void check_rule_number(struct loader *loader, const struct config_rule *rule, size_t index,
			      int key_index, bool ok, const char *what)
{
	struct path path;
	yaml_mark_t mark;

	if (ok || !given_valid(loader, rule, &rule_keys[key_index], &mark))
		return;
	rule_path(&path, index, rule_keys[key_index].name);
	report(loader, mark, &path, "%s", what);
}

static void check_rule_numbers(struct loader *loader, const struct config *config, size_t index)
{
	const struct config_rule *rule = &config->detector.rules[index];

	check_rule_number(loader, rule, index, RULE_CALLED_BACK_WEIGHT,
			  rule->called_back_weight >= 1.0, "must be a number of at least 1");
	check_rule_number(loader, rule, index, RULE_MAX_P_VALUE, rule->max_p_value > 0.0,
			  "must be a number greater than 0, at most 1");
	check_rule_number(loader, rule, index, RULE_MIN_CENTER_RATIO, rule->min_center_ratio < 1.0,
			  "must be a number from 0 to less than 1");
	check_rule_number(loader, rule, index, RULE_P0, rule->p0 < 1.0,
			  "must be a number from 0 to less than 1");
	check_rule_number(loader, rule, index, RULE_ODDS_RATIO, rule->odds_ratio > 1.0,
			  "must be a number greater than 1");
	bool sequential = rule->type == CONFIG_RULE_SEQUENTIAL;
	check_rule_number(loader, rule, index, RULE_MAX_OWN_FACTOR,
			  !sequential || rule->max_own_factor >= 1.0,
			  "must be a number of at least 1 in a sequential rule");
	check_rule_number(loader, rule, index, RULE_HISTORY_PRIOR,
			  !sequential || rule->history_prior > 0.0,
			  "must be a number greater than 0 in a sequential rule");
	check_rule_number(loader, rule, index, RULE_CUT_SHARE, !sequential || rule->cut_share > 0.0,
			  "must be a number greater than 0, at most 1 in a sequential rule");
	check_rule_number(loader, rule, index, RULE_FALSE_ALARM_CALLS,
			  rule->false_alarm_calls == 0 || rule->false_alarm_calls >= 10,
			  "must be 0 or an integer of at least 10");
}

static void check_rule_name_unique(struct loader *loader, const struct config *config,
				   size_t index)
{
	const struct config_rule *rules = config->detector.rules;
	struct path path;
	yaml_mark_t mark;

	if (!given_valid(loader, &rules[index], &rule_keys[RULE_NAME], &mark))
		return;
	for (size_t earlier = 0; earlier < index; earlier++) {
		if (strcmp(rules[earlier].name, rules[index].name) == 0) {
			rule_path(&path, index, "name");
			report(loader, mark, &path,
			       "duplicate rule name, already used by detector.rules[%zu]", earlier);
			return;
		}
	}
}

/* Retention must keep every event a window or a late event may still need. When the file
 * lengthened a window but left retention at its default, the message says so at line 1. */
static void check_retention(struct loader *loader, const struct config *config)
{
	uint64_t needed = (uint64_t)config_longest_window_seconds(config) +
			  config->tracker.allowed_lateness_seconds;
	struct path path = { .len = 0 };
	yaml_mark_t mark = { .line = 0, .column = 0 };
	bool given = given_valid(loader, config, &journal_keys[JOURNAL_RETENTION_SECONDS], &mark);

	if (config->journal.retention_seconds >= needed ||
	    !usable(loader, config, &journal_keys[JOURNAL_RETENTION_SECONDS]))
		return;
	path_append(&path, "journal.retention_seconds", strlen("journal.retention_seconds"));
	report(loader, mark, &path,
	       "%smust be at least the longest rule window plus "
	       "tracker.allowed_lateness_seconds (%" PRIu64 ")",
	       given ? "" : "the default ", needed);
}

/* nats: a client certificate comes with its key; one way to authenticate. */
static void check_nats(struct loader *loader, const struct config *config)
{
	static const struct {
		const char *name;
		const char *needs;
	} pairs[] = { { "tls_certificate", "tls_key" }, { "tls_key", "tls_certificate" } };
	struct path path = { .len = 0 };
	yaml_mark_t mark;

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		const struct key *key = find_key_named(nats_keys, pairs[i].name);
		const struct key *needed = find_key_named(nats_keys, pairs[i].needs);
		const char *needed_value = (const char *)config + needed->offset;
		if (needed_value[0] || !given_valid(loader, config, key, &mark) ||
		    !((const char *)config + key->offset)[0])
			continue;
		path_truncate(&path, 0);
		path_append(&path, "nats.", 5);
		path_append(&path, pairs[i].name, strlen(pairs[i].name));
		report(loader, mark, &path, "needs nats.%s too", pairs[i].needs);
	}
	if (config->nats.credentials[0] && config->nats.token_file[0] &&
	    given_valid(loader, config, find_key_named(nats_keys, "token_file"), &mark)) {
		path_truncate(&path, 0);
		path_append(&path, "nats.token_file", strlen("nats.token_file"));
		report(loader, mark, &path, "give nats.credentials or nats.token_file, not both");
	}
}

/* Receiver names unique, backoff_base_ms at most backoff_max_ms. */
static void check_receivers(struct loader *loader, const struct config *config)
{
	struct path path = { .len = 0 };
	yaml_mark_t mark;
	char at[64];

	for (size_t i = 0; i < config->receiver_count; i++) {
		const struct config_receiver *receiver = &config->receivers[i];
		snprintf(at, sizeof at, "receivers[%zu].", i);
		for (size_t earlier = 0; earlier < i; earlier++) {
			if (strcmp(config->receivers[earlier].name, receiver->name) != 0 ||
			    !given_valid(loader, receiver, &receiver_keys[RECEIVER_NAME], &mark))
				continue;
			path_truncate(&path, 0);
			path_append(&path, at, strlen(at));
			path_append(&path, "name", 4);
			report(loader, mark, &path,
			       "duplicate receiver name, already used by receivers[%zu]", earlier);
			break;
		}
		if (receiver->backoff_base_ms > receiver->backoff_max_ms &&
		    given_valid(loader, receiver, &receiver_keys[RECEIVER_BACKOFF_BASE_MS],
				&mark)) {
			path_truncate(&path, 0);
			path_append(&path, at, strlen(at));
			path_append(&path, "backoff_base_ms", strlen("backoff_base_ms"));
			report(loader, mark, &path, "must be at most backoff_max_ms (%" PRIu32 ")",
			       receiver->backoff_max_ms);
		}
	}
}

/* Without a header, a CSV mapping's fields must be column numbers (1 to CSV_MAX_FIELDS). */
static void check_mapping_columns(struct loader *loader, const struct config_mapping *mapping,
				  size_t index)
{
	const struct config_mapping_fields *fields = &mapping->fields;
	char at[CONFIG_ERROR_MAX];
	struct path path = { .len = 0 };
	yaml_mark_t mark;

	if (mapping->format != CONFIG_MAPPING_CSV || mapping->header)
		return;
	for (const struct key *key = mapping_field_keys; key->name; key++) {
		const char *name = (const char *)fields + key->offset;
		uint32_t column;
		if (!name[0] || (decimal_to_uint32(name, strlen(name), &column) && column >= 1 &&
				 column <= 64) ||
		    !given_valid(loader, fields, key, &mark))
			continue;
		snprintf(at, sizeof at, "mappings[%zu].fields.%s", index, key->name);
		path_truncate(&path, 0);
		path_append(&path, at, strlen(at));
		report(loader, mark, &path, "must be a column number from 1 to 64 (header: false)");
	}
}

static void mapping_path(struct path *path, size_t index, const char *key)
{
	char at[CONFIG_ERROR_MAX];

	snprintf(at, sizeof at, "mappings[%zu].%s", index, key);
	path_truncate(path, 0);
	path_append(path, at, strlen(at));
}

/* skip_when_empty names only parts the record has (an absent one would skip every record). */
static void check_mapping_skips(struct loader *loader, const struct config_mapping *mapping,
				size_t index)
{
	struct path path = { .len = 0 };
	yaml_mark_t mark;

	if (!given_valid(loader, mapping, &mapping_keys[MAPPING_SKIP_WHEN_EMPTY], &mark))
		return;
	for (size_t part = 0; part < FIELD_KEY_COUNT; part++) {
		const char *name = (const char *)&mapping->fields + mapping_field_keys[part].offset;
		if (!(mapping->skip_when_empty & CONFIG_MAPPING_PART(part)) || name[0])
			continue;
		mapping_path(&path, index, "skip_when_empty");
		report(loader, mark, &path,
		       "%s is not in the record (fields.%s is empty): every record would be "
		       "skipped",
		       mapping_field_keys[part].name, mapping_field_keys[part].name);
	}
}

/* Port 0: any free port, never the same socket twice. */
static bool is_any_port(const char *address)
{
	size_t len = strlen(address);

	return len >= 2 && strcmp(address + len - 2, ":0") == 0;
}

/* Whether address (not port 0) is one of listen's. */
static bool listen_has(const struct config_listen *listen, const char *address)
{
	if (is_any_port(address))
		return false;
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++)
		if (strcmp(listen->address[i], address) == 0)
			return true;
	return false;
}

/* A mapping's listen addresses are not feed.listen's nor an earlier mapping's. */
static void check_mapping_listen(struct loader *loader, const struct config *config, size_t index)
{
	const struct config_listen *listen = &config->mappings[index].listen;
	struct path path = { .len = 0 };
	yaml_mark_t mark;

	if (!given_valid(loader, &config->mappings[index], &mapping_keys[MAPPING_LISTEN], &mark))
		return;
	for (size_t i = 0; i < listen->count && i < CONFIG_MAX_LISTEN; i++) {
		char used_by[48] = "";
		if (listen_has(&config->feed.listen, listen->address[i]))
			snprintf(used_by, sizeof used_by, "feed.listen");
		for (size_t other = 0; other < index && !used_by[0]; other++)
			if (listen_has(&config->mappings[other].listen, listen->address[i]))
				snprintf(used_by, sizeof used_by, "mappings[%zu].listen", other);
		for (size_t earlier = 0; earlier < i && !used_by[0]; earlier++)
			if (strcmp(listen->address[earlier], listen->address[i]) == 0 &&
			    !is_any_port(listen->address[i]))
				snprintf(used_by, sizeof used_by, "this list");
		if (!used_by[0])
			continue;
		mapping_path(&path, index, "listen");
		report(loader, mark, &path, "%s is already used by %s", listen->address[i],
		       used_by);
	}
}

/* Mapping names are unique; headerless CSV fields are column numbers. */
static void check_mappings(struct loader *loader, const struct config *config)
{
	struct path path = { .len = 0 };
	char at[CONFIG_ERROR_MAX];
	yaml_mark_t mark;

	for (size_t i = 0; i < config->mapping_count; i++) {
		const struct config_mapping *mapping = &config->mappings[i];
		for (size_t earlier = 0; earlier < i; earlier++) {
			if (strcmp(config->mappings[earlier].name, mapping->name) != 0 ||
			    !given_valid(loader, mapping, &mapping_keys[MAPPING_NAME], &mark))
				continue;
			snprintf(at, sizeof at, "mappings[%zu].name", i);
			path_truncate(&path, 0);
			path_append(&path, at, strlen(at));
			report(loader, mark, &path,
			       "duplicate mapping name, already used by mappings[%zu]", earlier);
			break;
		}
		check_mapping_columns(loader, mapping, i);
		check_mapping_skips(loader, mapping, i);
		check_mapping_listen(loader, config, i);
	}
}

static void token_path(struct path *path, size_t index, const char *key)
{
	path_truncate(path, 0);
	path_append(path, "auth.tokens", strlen("auth.tokens"));
	path_push_index(path, index);
	if (key)
		path_push_key(path, key, strlen(key));
}

/* Each token: its digest given once (sha256 or token); names and digests unique. */
static void check_token(struct loader *loader, const struct config *config, size_t index)
{
	const struct config_token *token = &config->auth.tokens[index];
	bool has_sha256 = origin_find(loader, token, &token_keys[TOKEN_SHA256]) != NULL;
	const struct origin *clear = origin_find(loader, token, &token_keys[TOKEN_TOKEN]);
	struct path path = { .len = 0 };
	yaml_mark_t mark = { .line = 0, .column = 0 };

	if (has_sha256 && clear) {
		token_path(&path, index, "token");
		report(loader, clear->mark, &path, "give sha256 or token, not both");
	} else if (!has_sha256 && !clear && token->name[0]) {
		token_path(&path, index, NULL);
		given_valid(loader, token, &token_keys[TOKEN_NAME], &mark);
		report(loader, mark, &path, "needs sha256 or token");
	}
	for (size_t earlier = 0; earlier < index; earlier++) {
		const struct config_token *other = &config->auth.tokens[earlier];
		if (token->name[0] && strcmp(other->name, token->name) == 0 &&
		    given_valid(loader, token, &token_keys[TOKEN_NAME], &mark)) {
			token_path(&path, index, "name");
			report(loader, mark, &path,
			       "duplicate token name, already used by auth.tokens[%zu]", earlier);
		}
		if (token->sha256[0] && strcmp(other->sha256, token->sha256) == 0) {
			const struct origin *at =
				clear ? clear
				      : origin_find(loader, token, &token_keys[TOKEN_SHA256]);
			token_path(&path, index, clear ? "token" : "sha256");
			report(loader, at ? at->mark : mark, &path,
			       "the same token as auth.tokens[%zu]", earlier);
		}
	}
}

/* The entry of a key table named name (the table must have it). */
static const struct key *key_named(const struct key *keys, const char *name)
{
	for (const struct key *key = keys; key->name; key++)
		if (strcmp(key->name, name) == 0)
			return key;
	return NULL;
}

/* Report "PATH: what" at where base's key was given; false when it was not given. */
static bool report_at_key(struct loader *loader, const void *base, const struct key *keys,
			  const char *name, const char *path_text, const char *what)
{
	struct path path = { .len = 0 };
	yaml_mark_t mark;

	if (!given_valid(loader, base, key_named(keys, name), &mark))
		return false;
	path_append(&path, path_text, strlen(path_text));
	report(loader, mark, &path, "%s", what);
	return true;
}

/* A listener with tls: true needs the server's certificate and key. */
static void check_tls_identity(struct loader *loader, const struct config *config,
			       const struct key *keys, const char *section)
{
	bool no_certificate = config->tls.certificate[0] == '\0' &&
			      usable(loader, config, key_named(tls_keys, "certificate"));
	bool no_key =
		config->tls.key[0] == '\0' && usable(loader, config, key_named(tls_keys, "key"));
	char path[64];

	if (!no_certificate && !no_key)
		return;
	snprintf(path, sizeof path, "%s.tls", section);
	report_at_key(loader, config, keys, "tls", path,
		      no_certificate && no_key ? "needs tls.certificate and tls.key"
		      : no_certificate	       ? "needs tls.certificate"
					       : "needs tls.key");
}

/* require_client_certificate (given, or the default) with tls needs the CA that signs them. */
static void check_tls_client_ca(struct loader *loader, const struct config *config,
				const struct key *keys, const char *section)
{
	char path[64], what[128];

	if (config->tls.client_ca[0] != '\0' ||
	    !usable(loader, config, key_named(tls_keys, "client_ca")))
		return;
	snprintf(path, sizeof path, "%s.require_client_certificate", section);
	snprintf(what, sizeof what, "needs tls.client_ca (with %s.tls)", section);
	if (report_at_key(loader, config, keys, "require_client_certificate", path, what))
		return;
	snprintf(path, sizeof path, "%s.tls", section);
	snprintf(what, sizeof what,
		 "needs tls.client_ca (%s.require_client_certificate is true by default)", section);
	report_at_key(loader, config, keys, "tls", path, what);
}

/* feed.mapping names one of mappings:. */
static void check_feed_mapping(struct loader *loader, const struct config *config)
{
	char what[CONFIG_ERROR_MAX];

	if (!config->feed.mapping[0] || mapping_find(config, config->feed.mapping))
		return;
	snprintf(what, sizeof what, "no mapping named \"%s\" in mappings", config->feed.mapping);
	report_at_key(loader, config, feed_keys, "mapping", "feed.mapping", what);
}

/* nats.mapping names one of mappings:, one that reads a message alone (no CSV header). */
static void check_nats_mapping(struct loader *loader, const struct config *config)
{
	const struct config_mapping *mapping =
		config->nats.mapping[0] ? mapping_find(config, config->nats.mapping) : NULL;
	char what[CONFIG_ERROR_MAX];

	if (!config->nats.mapping[0] ||
	    (mapping && !(mapping->format == CONFIG_MAPPING_CSV && mapping->header)))
		return;
	if (!mapping)
		snprintf(what, sizeof what, "no mapping named \"%s\" in mappings",
			 config->nats.mapping);
	else
		snprintf(
			what, sizeof what,
			"mapping %s is CSV with header: true; each NATS message is one record with "
			"no header: use header: false or a json mapping",
			mapping->name);
	report_at_key(loader, config, nats_keys, "mapping", "nats.mapping", what);
}

/* Which listeners serve TLS, and what each then needs. Only values that parsed are judged. */
static void check_tls(struct loader *loader, const struct config *config)
{
	if (config->feed.tls) {
		check_tls_identity(loader, config, feed_keys, "feed");
		if (config->feed.require_client_certificate)
			check_tls_client_ca(loader, config, feed_keys, "feed");
		else if (config->feed.source_binding == CONFIG_SOURCE_BINDING_CERTIFICATE &&
			 !report_at_key(loader, config, feed_keys, "source_binding",
					"feed.source_binding",
					"certificate needs feed.require_client_certificate: true "
					"(or set source_binding: none)"))
			report_at_key(loader, config, feed_keys, "require_client_certificate",
				      "feed.require_client_certificate",
				      "false needs feed.source_binding: none (the binding checks "
				      "the client certificate)");
	}
	if (config->alerts.tls) {
		check_tls_identity(loader, config, alerts_keys, "alerts");
		if (config->alerts.require_client_certificate)
			check_tls_client_ca(loader, config, alerts_keys, "alerts");
	}
	if (config->http.tls)
		check_tls_identity(loader, config, http_keys, "http");
}

/* Source names unique; unlisted_sources: reject only with a list. */
static void check_sources(struct loader *loader, const struct config *config)
{
	struct path path = { .len = 0 };
	yaml_mark_t mark;
	char at[64];

	for (size_t i = 0; i < config->source_count; i++) {
		const struct config_source *source = &config->sources[i];
		for (size_t earlier = 0; earlier < i; earlier++) {
			if (strcmp(config->sources[earlier].name, source->name) != 0 ||
			    !given_valid(loader, source, &source_keys[SOURCE_NAME], &mark))
				continue;
			snprintf(at, sizeof at, "sources[%zu].name", i);
			path_truncate(&path, 0);
			path_append(&path, at, strlen(at));
			report(loader, mark, &path,
			       "duplicate source name, already used by sources[%zu]", earlier);
			break;
		}
	}
	if (config->unlisted_sources == CONFIG_UNLISTED_REJECT && config->source_count == 0 &&
	    given_valid(loader, config, key_named(top_keys, "unlisted_sources"), &mark)) {
		path_truncate(&path, 0);
		path_append(&path, "unlisted_sources", strlen("unlisted_sources"));
		report(loader, mark, &path, "reject needs a sources list");
	}
}

/* i3: a signature required needs a key to check it with; kids are unique. */
static void check_i3(struct loader *loader, const struct config *config)
{
	struct path path = { .len = 0 };
	yaml_mark_t mark;
	char at[64];

	if (config->i3.enabled && config->i3.require_signature &&
	    config->i3.public_key_count == 0 &&
	    usable(loader, config, key_named(i3_keys, "public_keys")))
		report_at_key(loader, config, i3_keys, "enabled", "i3.enabled",
			      "i3.require_signature needs at least one entry in i3.public_keys");
	for (size_t i = 0; i < config->i3.public_key_count && i < CONFIG_MAX_I3_KEYS; i++)
		for (size_t earlier = 0; earlier < i; earlier++) {
			if (strcmp(config->i3.public_keys[earlier].kid,
				   config->i3.public_keys[i].kid) != 0 ||
			    !given_valid(loader, &config->i3.public_keys[i], &i3_key_keys[0],
					 &mark))
				continue;
			snprintf(at, sizeof at, "i3.public_keys[%zu].kid", i);
			path_truncate(&path, 0);
			path_append(&path, at, strlen(at));
			report(loader, mark, &path,
			       "duplicate kid, already used by i3.public_keys[%zu]", earlier);
			break;
		}
}

static void check_rules(struct loader *loader, const struct config *config)
{
	for (size_t i = 0; i < config->auth.token_count; i++)
		check_token(loader, config, i);
	check_tls(loader, config);
	check_sources(loader, config);
	check_feed_mapping(loader, config);
	check_i3(loader, config);
	check_receivers(loader, config);
	check_mappings(loader, config);
	check_retention(loader, config);
	check_nats(loader, config);
	check_nats_mapping(loader, config);
	for (size_t i = 0; i < config->detector.rule_count; i++) {
		check_rule_counts(loader, config, i);
		check_rule_numbers(loader, config, i);
		check_rule_name_unique(loader, config, i);
	}
}

/* ---- writing a configuration back as YAML ------------------------------------------ */

/*
 * config_dump walks the same key tables as the parser. Each value handler has one formatter,
 * found by the handler (formatters[]), so a key added to a table is dumped with no other
 * change; a handler without a formatter fails the dump (and tests/test_config.c's round trip).
 */

struct text_buffer {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
	const struct loader *trace; /* when set: each value is followed by where it came from */
	bool plain;                 /* strings unquoted: for messages, not for YAML */
};

static void text_append(struct text_buffer *out, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static void text_append(struct text_buffer *out, const char *format, ...)
{
	va_list args;
	int needed;

	if (out->failed)
		return;
	va_start(args, format);
	needed = vsnprintf(out->data ? out->data + out->len : NULL,
			   out->data ? out->cap - out->len : 0, format, args);
	va_end(args);
	if (needed < 0) {
		out->failed = true;
		return;
	}
	if (out->data && (size_t)needed < out->cap - out->len) {
		out->len += (size_t)needed;
		return;
	}
	size_t cap = out->cap ? out->cap : 1024;
	while (cap - out->len <= (size_t)needed)
		cap *= 2;
	char *grown = realloc(out->data, cap);
	if (!grown) {
		out->failed = true;
		return;
	}
	out->data = grown;
	out->cap = cap;
	va_start(args, format);
	vsnprintf(out->data + out->len, out->cap - out->len, format, args);
	va_end(args);
	out->len += (size_t)needed;
}

/* An integral value as an integer, anything else as the shortest %g text that reads back as
 * exactly value. */
static void format_double(struct text_buffer *out, double value)
{
	char text[40];

	if (value == floor(value) && value < 1e15) {
		text_append(out, "%.0f", value);
		return;
	}
	for (int digits = 1; digits <= 17; digits++) {
		snprintf(text, sizeof text, "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			break;
	}
	text_append(out, "%s", text);
}

/* A double-quoted YAML scalar: \" \\ and control bytes escaped (as it is, when plain). */
static void format_quoted(struct text_buffer *out, const char *text)
{
	if (out->plain) {
		text_append(out, "%s", text);
		return;
	}
	text_append(out, "\"");
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			text_append(out, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			text_append(out, "\\x%02x", *c);
		else
			text_append(out, "%c", *c);
	}
	text_append(out, "\"");
}

typedef void format_fn(struct text_buffer *out, const struct key *key, const void *field,
		       int indent);

static void format_uint32(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %" PRIu32, *(const uint32_t *)field);
}

static void format_number(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " ");
	format_double(out, *(const double *)field);
}

static void format_string(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " ");
	format_quoted(out, field);
}

/* A name the parser restricts to plain characters (rule names, severities). */
static void format_word(struct text_buffer *out, const struct key *key, const void *field,
			int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s", (const char *)field);
}

static void format_listen(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	const struct config_listen *listen = field;

	(void)key;
	(void)indent;
	text_append(out, " [");
	for (size_t i = 0; i < listen->count; i++) {
		text_append(out, i ? ", " : "");
		format_quoted(out, listen->address[i]);
	}
	text_append(out, "]");
}

static void format_released_by(struct text_buffer *out, const struct key *key, const void *field,
			       int indent)
{
	unsigned mask = *(const unsigned *)field;
	bool first = true;

	(void)key;
	(void)indent;
	text_append(out, " [");
	for (unsigned bit = RELEASED_BY_OPERATOR; bit <= RELEASED_BY_UNKNOWN; bit <<= 1) {
		if (!(mask & bit))
			continue;
		text_append(out, "%s%s", first ? "" : ", ",
			    event_released_by_name((enum released_by)bit));
		first = false;
	}
	text_append(out, "]");
}

static void format_rule_type(struct text_buffer *out, const struct key *key, const void *field,
			     int indent)
{
	(void)key;
	(void)indent;
	enum config_rule_type type = *(const enum config_rule_type *)field;

	text_append(out, " %s", type == CONFIG_RULE_SEQUENTIAL ? "sequential"
				: type == CONFIG_RULE_CUSUM    ? "cusum"
							       : "window");
}

static void format_fsync(struct text_buffer *out, const struct key *key, const void *field,
			 int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s", config_fsync_name(*(const enum config_fsync *)field));
}

static void format_bool(struct text_buffer *out, const struct key *key, const void *field,
			int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s", *(const bool *)field ? "true" : "false");
}

static void format_tls_version(struct text_buffer *out, const struct key *key, const void *field,
			       int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " ");
	format_quoted(out, config_tls_version_name(*(const enum config_tls_version *)field));
}

static void format_source_binding(struct text_buffer *out, const struct key *key, const void *field,
				  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_source_binding *)field == CONFIG_SOURCE_BINDING_NONE
			    ? "none"
			    : "certificate");
}

static void format_mapping(struct text_buffer *out, const struct key *keys, const void *base,
			   int indent);

static void format_section(struct text_buffer *out, const struct key *key, const void *field,
			   int indent)
{
	text_append(out, "\n");
	format_mapping(out, key->children, field, indent + 2);
}

/* rules: a block sequence of mappings; the key's offset is 0, field is the whole config. */
static void format_rules(struct text_buffer *out, const struct key *key, const void *field,
			 int indent)
{
	const struct config *config = field;

	(void)key;
	text_append(out, "\n");
	for (size_t i = 0; i < config->detector.rule_count; i++) {
		text_append(out, "%*s-", indent + 2, "");
		format_mapping(out, rule_keys, &config->detector.rules[i], indent + 4);
	}
}

static void format_baseline_scope(struct text_buffer *out, const struct key *key, const void *field,
				  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_baseline_scope *)field == CONFIG_BASELINE_CENTER
			    ? "center"
			    : "agency");
}

static void format_receiver_type(struct text_buffer *out, const struct key *key, const void *field,
				 int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_receiver_type *)field == CONFIG_RECEIVER_ALERTMANAGER
			    ? "alertmanager"
			    : "webhook");
}

/* receivers: like rules; nothing after the key when there is none (null: no receiver). */
static void format_receivers(struct text_buffer *out, const struct key *key, const void *field,
			     int indent)
{
	const struct config *config = field;

	(void)key;
	text_append(out, "\n");
	for (size_t i = 0; i < config->receiver_count; i++) {
		text_append(out, "%*s-", indent + 2, "");
		format_mapping(out, receiver_keys, &config->receivers[i], indent + 4);
	}
}

static void format_redact(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s", redact_mode_name(*(const enum redact_mode *)field));
}

static void format_role(struct text_buffer *out, const struct key *key, const void *field,
			int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s", config_role_name(*(const enum config_role *)field));
}

/* auth.tokens: like receivers. Plain (a reload's log): names and roles, never digests. */
static void format_tokens(struct text_buffer *out, const struct key *key, const void *field,
			  int indent)
{
	const struct config *config = field;

	(void)key;
	if (out->plain) {
		for (size_t i = 0; i < config->auth.token_count; i++)
			text_append(out, "%s%s (%s)", i ? ", " : " ", config->auth.tokens[i].name,
				    config_role_name(config->auth.tokens[i].role));
		if (config->auth.token_count == 0)
			text_append(out, " none");
		return;
	}
	text_append(out, "\n");
	for (size_t i = 0; i < config->auth.token_count; i++) {
		text_append(out, "%*s-", indent + 2, "");
		format_mapping(out, token_keys, &config->auth.tokens[i], indent + 4);
	}
}

static void format_unlisted(struct text_buffer *out, const struct key *key, const void *field,
			    int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_unlisted *)field == CONFIG_UNLISTED_REJECT ? "reject"
										   : "accept");
}

/* count names as a flow sequence of quoted names: [NOPD, NOFD]. */
static void format_names(struct text_buffer *out, const char (*names)[CONFIG_SOURCE_NAME_MAX],
			 size_t count)
{
	text_append(out, "[");
	for (size_t i = 0; i < count; i++) {
		text_append(out, i ? ", " : "");
		format_quoted(out, names[i]);
	}
	text_append(out, "]");
}

/* A key's list of names after its colon: " [NOPD, NOFD]", or " ~" (plain: " any") for none. */
static void format_name_list(struct text_buffer *out,
			     const char (*names)[CONFIG_SOURCE_NAME_MAX], size_t count)
{
	if (count == 0) {
		text_append(out, out->plain ? " any" : " ~");
		return;
	}
	text_append(out, " ");
	format_names(out, names, count);
}

/* agencies: a flow sequence of quoted names (the key's offset is 0: field is the source). */
static void format_agencies(struct text_buffer *out, const struct key *key, const void *field,
			    int indent)
{
	const struct config_source *source = field;

	(void)key;
	(void)indent;
	format_name_list(out, source->agencies, source->agency_count);
}

/* i3.public_keys[].elements: as agencies (the key's offset is 0: field is the key's entry). */
static void format_i3_elements(struct text_buffer *out, const struct key *key, const void *field,
			       int indent)
{
	const struct config_i3_key *entry = field;

	(void)key;
	(void)indent;
	format_name_list(out, entry->elements, entry->element_count);
}

/* sources: like receivers. */
static void format_sources(struct text_buffer *out, const struct key *key, const void *field,
			   int indent)
{
	const struct config *config = field;

	(void)key;
	text_append(out, "\n");
	for (size_t i = 0; i < config->source_count; i++) {
		text_append(out, "%*s-", indent + 2, "");
		format_mapping(out, source_keys, &config->sources[i], indent + 4);
	}
}

/* nats.servers: a flow sequence of quoted URLs (the key's offset is 0: field is the config). */
static void format_nats_servers(struct text_buffer *out, const struct key *key, const void *field,
				int indent)
{
	const struct config *config = field;

	(void)key;
	(void)indent;
	text_append(out, " [");
	for (size_t i = 0; i < config->nats.server_count; i++) {
		text_append(out, i ? ", " : "");
		format_quoted(out, config->nats.servers[i]);
	}
	text_append(out, "]");
}

/* nats.subjects: a flow sequence of quoted filters, or ~ (every agency). */
static void format_nats_subjects(struct text_buffer *out, const struct key *key, const void *field,
				 int indent)
{
	const struct config *config = field;

	(void)key;
	(void)indent;
	if (config->nats.subject_count == 0) {
		text_append(out, out->plain ? " all" : " ~");
		return;
	}
	text_append(out, " [");
	for (size_t i = 0; i < config->nats.subject_count; i++) {
		text_append(out, i ? ", " : "");
		format_quoted(out, config->nats.subjects[i]);
	}
	text_append(out, "]");
}

static void format_mapping_format(struct text_buffer *out, const struct key *key, const void *field,
				  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_mapping_format *)field == CONFIG_MAPPING_JSON ? "json"
										      : "csv");
}

static void format_ambiguous_time(struct text_buffer *out, const struct key *key, const void *field,
				  int indent)
{
	(void)key;
	(void)indent;
	text_append(out, " %s",
		    *(const enum config_ambiguous_time *)field == CONFIG_AMBIGUOUS_LATER
			    ? "later"
			    : "earlier");
}

static void format_released_by_name(struct text_buffer *out, const struct key *key,
				    const void *field, int indent)
{
	const char *name = event_released_by_name((enum released_by) * (const unsigned *)field);

	(void)key;
	(void)indent;
	text_append(out, " %s", name ? name : "unknown");
}

/* released_by_values as a flow mapping on one line: {"A": operator, "C": caller}. */
static void format_released_by_values(struct text_buffer *out, const struct key *key,
				      const void *field, int indent)
{
	const struct config_mapping *mapping = field;

	(void)key;
	(void)indent;
	text_append(out, " {");
	for (size_t i = 0; i < mapping->released_by_value_count; i++) {
		const struct config_mapping_value *value = &mapping->released_by_values[i];
		const char *who = event_released_by_name((enum released_by)value->released_by);
		text_append(out, "%s", i ? ", " : "");
		format_quoted(out, value->from);
		text_append(out, ": %s", who ? who : "unknown");
	}
	text_append(out, "}");
}

/* skip_when_empty as a flow sequence of part names; nothing for none. */
static void format_skip_when_empty(struct text_buffer *out, const struct key *key,
				   const void *field, int indent)
{
	unsigned mask = *(const unsigned *)field;
	bool first = true;

	(void)key;
	(void)indent;
	if (mask == 0)
		return;
	text_append(out, " [");
	for (size_t part = 0; part < FIELD_KEY_COUNT; part++) {
		if (!(mask & CONFIG_MAPPING_PART(part)))
			continue;
		text_append(out, "%s%s", first ? "" : ", ", mapping_field_keys[part].name);
		first = false;
	}
	text_append(out, "]");
}

/* mappings[].listen like feed.listen; nothing for none. */
static void format_mapping_listen(struct text_buffer *out, const struct key *key, const void *field,
				  int indent)
{
	if (((const struct config_listen *)field)->count > 0)
		format_listen(out, key, field, indent);
}

/* mappings: like receivers. */
static void format_mappings(struct text_buffer *out, const struct key *key, const void *field,
			    int indent)
{
	const struct config *config = field;

	(void)key;
	text_append(out, "\n");
	for (size_t i = 0; i < config->mapping_count; i++) {
		text_append(out, "%*s-", indent + 2, "");
		format_mapping(out, mapping_keys, &config->mappings[i], indent + 4);
	}
}

/* i3.public_keys as a flow sequence on one line: [{kid: "k1", file: "/etc/k1.pem"}], with
 * elements: [...] in a key that lists them; nothing for none. */
static void format_i3_keys(struct text_buffer *out, const struct key *key, const void *field,
			   int indent)
{
	const struct config *config = field;

	(void)key;
	(void)indent;
	if (config->i3.public_key_count == 0)
		return; /* nothing: null, none */
	text_append(out, " [");
	for (size_t i = 0; i < config->i3.public_key_count && i < CONFIG_MAX_I3_KEYS; i++) {
		text_append(out, "%s{kid: ", i ? ", " : "");
		format_quoted(out, config->i3.public_keys[i].kid);
		text_append(out, ", file: ");
		format_quoted(out, config->i3.public_keys[i].file);
		if (config->i3.public_keys[i].element_count > 0) {
			text_append(out, ", elements: ");
			format_names(out, config->i3.public_keys[i].elements,
				     config->i3.public_keys[i].element_count);
		}
		text_append(out, "}");
	}
	text_append(out, "]");
}

static const struct {
	parse_fn *parse;
	format_fn *format;
} formatters[] = {
	{ parse_i3_keys, format_i3_keys },
	{ parse_i3_elements, format_i3_elements },
	{ parse_mappings, format_mappings },
	{ parse_mapping_name, format_string },
	{ parse_mapping_format, format_mapping_format },
	{ parse_ambiguous_time, format_ambiguous_time },
	{ parse_released_by_name, format_released_by_name },
	{ parse_released_by_values, format_released_by_values },
	{ parse_skip_when_empty, format_skip_when_empty },
	{ parse_mapping_listen, format_mapping_listen },
	{ parse_field_name, format_string },
	{ parse_constant, format_string },
	{ parse_delimiter, format_string },
	{ parse_time_format, format_string },
	{ parse_time_zone, format_string },
	{ parse_redact, format_redact },
	{ parse_role, format_role },
	{ parse_sha256, format_word },
	{ parse_tokens, format_tokens },
	{ parse_unlisted, format_unlisted },
	{ parse_source_name, format_string },
	{ parse_agencies, format_agencies },
	{ parse_sources, format_sources },
	{ parse_receivers, format_receivers },
	{ parse_receiver_type, format_receiver_type },
	{ parse_url, format_string },
	{ parse_optional_path, format_string },
	{ parse_section, format_section },
	{ parse_uint32, format_uint32 },
	{ parse_positive_number, format_number },
	{ parse_ratio, format_number },
	{ parse_bounded_half_life, format_number },
	{ parse_nonnegative_number, format_number },
	{ parse_open_ratio, format_number },
	{ parse_listen, format_listen },
	{ parse_released_by, format_released_by },
	{ parse_rule_name, format_word },
	{ parse_severity, format_word },
	{ parse_rule_type, format_rule_type },
	{ parse_baseline_scope, format_baseline_scope },
	{ parse_directory, format_string },
	{ parse_fsync, format_fsync },
	{ parse_rules, format_rules },
	{ parse_bool, format_bool },
	{ parse_tls_version, format_tls_version },
	{ parse_source_binding, format_source_binding },
	{ parse_ciphers, format_string },
	{ parse_nats_servers, format_nats_servers },
	{ parse_nats_subjects, format_nats_subjects },
	{ parse_nats_name, format_string },
	{ parse_nats_subject_prefix, format_string },
};

static format_fn *formatter_of(const struct key *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(formatters); i++)
		if (formatters[i].parse == key->parse)
			return formatters[i].format;
	return NULL;
}

/* With a trace: "  # FILE:LINE" where the value was given, "  # default" otherwise; a value a
 * secret key of keys parsed into (a token's sha256 from its token:) names that key's line. */
static void format_origin(struct text_buffer *out, const struct key *keys, const struct key *key,
			  const void *base)
{
	const struct origin *origin = out->trace ? origin_find(out->trace, base, key) : NULL;
	const struct key *secret = keys;

	for (; out->trace && !origin && secret->name; secret++)
		if (secret->secret && secret->offset == key->offset &&
		    (origin = origin_find(out->trace, base, secret)))
			break;
	if (origin && origin->key != key)
		text_append(out, "  # %s:%zu (from %s:)", out->trace->filename,
			    origin->mark.line + 1, secret->name);
	else if (origin)
		text_append(out, "  # %s:%zu", out->trace->filename, origin->mark.line + 1);
	else if (out->trace)
		text_append(out, "  # default");
}

/* Every key of a table, one per line at indent (a rule's first key follows its "-"). */
static void format_mapping(struct text_buffer *out, const struct key *keys, const void *base,
			   int indent)
{
	bool first_of_rule = keys == rule_keys || keys == receiver_keys || keys == token_keys ||
			     keys == source_keys || keys == mapping_keys;

	for (const struct key *key = keys; key->name; key++) {
		format_fn *format = formatter_of(key);
		if (key->secret)
			continue;
		if (!format) {
			out->failed = true;
			return;
		}
		text_append(out, "%*s%s:", first_of_rule ? 1 : indent, "", key->name);
		first_of_rule = false;
		format(out, key, (const char *)base + key->offset, indent);
		if (!key->children && key->parse != parse_rules && key->parse != parse_receivers &&
		    key->parse != parse_tokens && key->parse != parse_sources &&
		    key->parse != parse_mappings) {
			format_origin(out, keys, key, base);
			text_append(out, "\n");
		}
	}
}

static char *dump(const struct config *config, const struct loader *trace, size_t *len)
{
	struct text_buffer out = { .trace = trace };

	format_mapping(&out, top_keys, config, 0);
	if (out.failed || !out.data) {
		free(out.data);
		return NULL;
	}
	if (len)
		*len = out.len;
	return out.data;
}

char *config_dump(const struct config *config, size_t *len)
{
	return dump(config, NULL, len);
}

/* ---- differences between two configurations ---------------------------------------- */

/* One value as text (plain: strings unquoted), into buf; "" when it cannot be formatted. */
static void value_format(const struct key *key, const void *base, bool plain, char *buf,
			 size_t size)
{
	struct text_buffer out = { .plain = plain };
	format_fn *format = formatter_of(key);

	buf[0] = '\0';
	if (!format)
		return;
	format(&out, key, (const char *)base + key->offset, 0);
	if (!out.failed && out.data)
		snprintf(buf, size, "%s", out.data + (out.data[0] == ' '));
	free(out.data);
}

static void value_text(const struct key *key, const void *base, char *buf, size_t size)
{
	value_format(key, base, true, buf, size);
}

struct differ {
	config_change_fn *changed;
	void *ctx;
	size_t changes;
};

static void report_change(struct differ *differ, const char *path, const char *before,
			  const char *after)
{
	differ->changed(differ->ctx, path, before, after);
	differ->changes++;
}

static void diff_mapping(struct differ *differ, const struct key *keys, const void *a,
			 const void *b, const char *prefix);

static const struct config_rule *rule_named(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->detector.rule_count && i < CONFIG_MAX_RULES; i++)
		if (strcmp(config->detector.rules[i].name, name) == 0)
			return &config->detector.rules[i];
	return NULL;
}

/* Rules matched by name: changed keys, then removed ones (in a only), then added ones. */
static void diff_rules(struct differ *differ, const struct config *a, const struct config *b)
{
	char path[CONFIG_ERROR_MAX];

	for (size_t i = 0; i < a->detector.rule_count && i < CONFIG_MAX_RULES; i++) {
		const struct config_rule *rule = &a->detector.rules[i];
		const struct config_rule *same = rule_named(b, rule->name);
		snprintf(path, sizeof path, "detector.rules.%s", rule->name);
		if (same)
			diff_mapping(differ, rule_keys + 1, rule, same, path); /* name: matched */
		else
			report_change(differ, path, "present", NULL);
	}
	for (size_t i = 0; i < b->detector.rule_count && i < CONFIG_MAX_RULES; i++) {
		if (rule_named(a, b->detector.rules[i].name))
			continue;
		snprintf(path, sizeof path, "detector.rules.%s", b->detector.rules[i].name);
		report_change(differ, path, NULL, "present");
	}
}

static const struct config_receiver *receiver_named(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->receiver_count && i < CONFIG_MAX_RECEIVERS; i++)
		if (strcmp(config->receivers[i].name, name) == 0)
			return &config->receivers[i];
	return NULL;
}

/* Receivers matched by name, as rules are: "receivers.NAME.KEY". */
static void diff_receivers(struct differ *differ, const struct config *a, const struct config *b)
{
	char path[CONFIG_ERROR_MAX];

	for (size_t i = 0; i < a->receiver_count && i < CONFIG_MAX_RECEIVERS; i++) {
		const struct config_receiver *receiver = &a->receivers[i];
		const struct config_receiver *same = receiver_named(b, receiver->name);
		snprintf(path, sizeof path, "receivers.%s", receiver->name);
		if (same)
			diff_mapping(differ, receiver_keys + 1, receiver, same, path);
		else
			report_change(differ, path, "present", NULL);
	}
	for (size_t i = 0; i < b->receiver_count && i < CONFIG_MAX_RECEIVERS; i++) {
		if (receiver_named(a, b->receivers[i].name))
			continue;
		snprintf(path, sizeof path, "receivers.%s", b->receivers[i].name);
		report_change(differ, path, NULL, "present");
	}
}

static const struct config_mapping *mapping_named(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->mapping_count && i < CONFIG_MAX_MAPPINGS; i++)
		if (strcmp(config->mappings[i].name, name) == 0)
			return &config->mappings[i];
	return NULL;
}

/* Mappings matched by name, as receivers are: "mappings.NAME.KEY". */
static void diff_mappings(struct differ *differ, const struct config *a, const struct config *b)
{
	char path[CONFIG_ERROR_MAX];

	for (size_t i = 0; i < a->mapping_count && i < CONFIG_MAX_MAPPINGS; i++) {
		const struct config_mapping *mapping = &a->mappings[i];
		const struct config_mapping *same = mapping_named(b, mapping->name);
		snprintf(path, sizeof path, "mappings.%s", mapping->name);
		if (same)
			diff_mapping(differ, mapping_keys + 1, mapping, same, path);
		else
			report_change(differ, path, "present", NULL);
	}
	for (size_t i = 0; i < b->mapping_count && i < CONFIG_MAX_MAPPINGS; i++) {
		if (mapping_named(a, b->mappings[i].name))
			continue;
		snprintf(path, sizeof path, "mappings.%s", b->mappings[i].name);
		report_change(differ, path, NULL, "present");
	}
}

/* auth.tokens as one value: names and roles, plus a word when only digests changed. */
static void diff_tokens(struct differ *differ, const struct config *a, const struct config *b,
			const char *path)
{
	char before[CONFIG_ERROR_MAX * 2], after[CONFIG_ERROR_MAX * 2];
	const struct key tokens_key = { .name = "tokens", .parse = parse_tokens };

	if (a->auth.token_count == b->auth.token_count &&
	    memcmp(a->auth.tokens, b->auth.tokens,
		   a->auth.token_count * sizeof a->auth.tokens[0]) == 0)
		return;
	value_text(&tokens_key, a, before, sizeof before);
	value_text(&tokens_key, b, after, sizeof after);
	if (strcmp(before, after) == 0)
		snprintf(after + strlen(after), sizeof after - strlen(after), " (new digests)");
	report_change(differ, path, before, after);
}

/* Sources matched by name: "sources.NAME.agencies". */
static void diff_sources(struct differ *differ, const struct config *a, const struct config *b)
{
	char path[CONFIG_ERROR_MAX];

	for (size_t i = 0; i < a->source_count && i < CONFIG_MAX_SOURCES; i++) {
		const struct config_source *source = &a->sources[i];
		const struct config_source *same = config_source_named(b, source->name);
		snprintf(path, sizeof path, "sources.%s", source->name);
		if (same)
			diff_mapping(differ, source_keys + 1, source, same, path);
		else
			report_change(differ, path, "present", NULL);
	}
	for (size_t i = 0; i < b->source_count && i < CONFIG_MAX_SOURCES; i++) {
		if (config_source_named(a, b->sources[i].name))
			continue;
		snprintf(path, sizeof path, "sources.%s", b->sources[i].name);
		report_change(differ, path, NULL, "present");
	}
}

/* One key of a table (its path given), a section's keys included. */
static void diff_key(struct differ *differ, const struct key *key, const void *a, const void *b,
		     const char *path)
{
	char before[CONFIG_ERROR_MAX * 2], after[CONFIG_ERROR_MAX * 2];

	if (key->secret)
		return;
	if (key->parse == parse_tokens) {
		diff_tokens(differ, a, b, path);
	} else if (key->children) {
		diff_mapping(differ, key->children, (const char *)a + key->offset,
			     (const char *)b + key->offset, path);
	} else if (key->parse == parse_rules) {
		diff_rules(differ, a, b);
	} else if (key->parse == parse_receivers) {
		diff_receivers(differ, a, b);
	} else if (key->parse == parse_sources) {
		diff_sources(differ, a, b);
	} else if (key->parse == parse_mappings) {
		diff_mappings(differ, a, b);
	} else {
		value_text(key, a, before, sizeof before);
		value_text(key, b, after, sizeof after);
		if (strcmp(before, after) != 0)
			report_change(differ, path, before, after);
	}
}

static void diff_mapping(struct differ *differ, const struct key *keys, const void *a,
			 const void *b, const char *prefix)
{
	char path[CONFIG_ERROR_MAX];

	for (const struct key *key = keys; key->name; key++) {
		key_path(path, sizeof path, prefix, key->name);
		diff_key(differ, key, a, b, path);
	}
}

size_t config_diff(const struct config *running, const struct config *next,
		   config_change_fn *changed, void *ctx)
{
	struct differ differ = { .changed = changed, .ctx = ctx };

	diff_mapping(&differ, top_keys, running, next, "");
	return differ.changes;
}

/* ---- a reload: the keys SIGHUP applies and those kept until a restart ---------------- */

struct keeper {
	const struct config_restart_report *report;
	const struct config *running;
	struct config *next;
	size_t kept;
};

static void keep_change(void *ctx, const char *path, const char *before, const char *after)
{
	struct keeper *keeper = ctx;

	keeper->report->kept(keeper->report->ctx, path, before, after);
	keeper->kept++;
}

/* True when no key of the section (or list) key is applied by a reload. */
static bool restarts_whole(const struct key *key)
{
	if (!key->children)
		return key->secret || key->reload == RELOAD_RESTART;
	for (const struct key *child = key->children; child->name; child++)
		if (!restarts_whole(child))
			return false;
	return true;
}

/* A RESTART key (or each one of a section) that differs: reported, and running's value put back. */
static void keep_key(struct keeper *keeper, const struct key *key, const char *path)
{
	char child_path[CONFIG_ERROR_MAX];

	if (key->children) {
		for (const struct key *child = key->children; child->name; child++) {
			key_path(child_path, sizeof child_path, path, child->name);
			keep_key(keeper, child, child_path);
		}
		return;
	}
	if (key->secret || key->reload != RELOAD_RESTART || INVARIANT_FAILS(key->span_size > 0))
		return;
	struct differ differ = { .changed = keep_change, .ctx = keeper };
	diff_key(&differ, key, keeper->running, keeper->next, path);
	if (differ.changes > 0)
		memcpy((char *)keeper->next + key->span_offset,
		       (const char *)keeper->running + key->span_offset, key->span_size);
}

size_t config_keep_restart_keys(const struct config *running, struct config *next,
				const struct config_restart_report *report)
{
	struct keeper keeper = { .report = report, .running = running, .next = next };

	for (const struct key *key = top_keys; key->name; key++) {
		size_t kept_before = keeper.kept;
		keep_key(&keeper, key, key->name);
		if (keeper.kept > kept_before && restarts_whole(key) && report->whole_kept)
			report->whole_kept(report->ctx, key->name, key->children == NULL);
	}
	return keeper.kept;
}

/* ---- the stream --------------------------------------------------------------------- */

/* stream-start, then nothing or one document; false once the YAML broke. */
static bool parse_stream(struct loader *loader, struct config *config)
{
	struct path path = { .len = 0 };

	if (!loader_next(loader) || !loader_next(loader)) /* stream start, document start */
		return false;
	if (loader->event.type == YAML_STREAM_END_EVENT)
		return true;
	if (!loader_next(loader) || !parse_value(loader, &path, &document_key, config))
		return false;
	if (!loader_next(loader) || !loader_next(loader)) /* document end, stream end */
		return false;
	if (loader->event.type == YAML_DOCUMENT_START_EVENT)
		report(loader, current_mark(loader), &path, "only one document is allowed");
	return true;
}

/* An error in a rule names the rule by its name, once known (the name may come after the bad
 * key): "detector.rules[2].min_calls: must be ..." becomes
 * "detector.rules[2] (name: night-watch): min_calls: must be ...". */
static void name_rule_in_error(char *message, const struct config *config)
{
	static const char prefix[] = ": detector.rules[";
	char *at = strstr(message, prefix);
	char named[CONFIG_ERROR_MAX];
	char *end;

	if (!at)
		return;
	unsigned long index = strtoul(at + sizeof prefix - 1, &end, 10);
	if (*end != ']' || (end[1] != '.' && end[1] != ':') ||
	    index >= config->detector.rule_count || !config->detector.rules[index].name[0])
		return;
	const char *rest = end[1] == '.' ? end + 2 : end + 3;
	if (snprintf(named, sizeof named, "%.*s (name: %s): %s", (int)(end + 1 - message), message,
		     config->detector.rules[index].name, rest) >= 0)
		memcpy(message, named, sizeof named);
}

static void name_rules_in_errors(struct config_errors *errors, const struct config *config)
{
	for (size_t i = 0; i < errors->count; i++)
		name_rule_in_error(errors->message[i], config);
}

bool config_holds_nothing(const char *text, size_t len)
{
	struct config_errors errors;
	struct loader loader = { .filename = "(config)", .errors = &errors };
	bool nothing = false;

	memset(&errors, 0, sizeof errors);
	if (!yaml_parser_initialize(&loader.parser))
		return false;
	yaml_parser_set_input_string(&loader.parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	if (loader_next(&loader) && loader_next(&loader)) { /* stream start, document start */
		if (loader.event.type == YAML_STREAM_END_EVENT)
			nothing = true;
		else if (loader_next(&loader) && scalar_is_null(&loader))
			nothing = loader_next(&loader) && loader_next(&loader) &&
				  loader.event.type == YAML_STREAM_END_EVENT;
	}
	if (loader.has_event)
		yaml_event_delete(&loader.event);
	yaml_parser_delete(&loader.parser);
	return nothing;
}

/* Parse text into *parsed (defaults first), collecting errors; the loader keeps where each
 * value came from. */
static void load(struct loader *loader, const char *text, size_t len, const char *filename,
		 struct config *parsed, struct config_errors *errors)
{
	static const char empty[] = "";

	memset(errors, 0, sizeof *errors);
	loader->text = text ? text : empty;
	loader->len = text ? len : 0;
	loader->filename = filename ? filename : "(config)";
	loader->errors = errors;
	config_set_defaults(parsed);
	if (!yaml_parser_initialize(&loader->parser)) {
		add_error(loader, (yaml_mark_t){ .line = 0 }, "out of memory");
		return;
	}
	yaml_parser_set_input_string(&loader->parser, (const unsigned char *)loader->text,
				     loader->len);
	if (parse_stream(loader, parsed))
		check_rules(loader, parsed);
	name_rules_in_errors(errors, parsed);
	if (loader->has_event)
		yaml_event_delete(&loader->event);
	yaml_parser_delete(&loader->parser);
}

int config_parse(const char *text, size_t len, const char *filename, struct config *config,
		 struct config_errors *errors)
{
	struct tracing_loader *tracing = calloc(1, sizeof(*tracing));
	struct loader *loader = tracing ? &tracing->loader : NULL;
	struct config parsed;

	if (!loader) {
		memset(errors, 0, sizeof *errors);
		snprintf(errors->message[0], CONFIG_ERROR_MAX, "%s: out of memory",
			 filename ? filename : "(config)");
		errors->count = 1;
		return -ENOMEM;
	}
	loader->origins = tracing->origins;
	load(loader, text, len, filename, &parsed, errors);
	free(tracing);
	if (errors->count + errors->dropped > 0)
		return -EINVAL;
	*config = parsed;
	return 0;
}

char *config_dump_traced(const char *text, size_t len, const char *filename, size_t *out_len,
			 struct config_errors *errors)
{
	struct tracing_loader *tracing = calloc(1, sizeof(*tracing));
	struct loader *loader = tracing ? &tracing->loader : NULL;
	struct config parsed;
	char *dumped = NULL;

	if (!loader) {
		memset(errors, 0, sizeof *errors);
		return NULL;
	}
	loader->origins = tracing->origins;
	load(loader, text, len, filename, &parsed, errors);
	if (errors->count + errors->dropped == 0)
		dumped = dump(&parsed, loader, out_len);
	free(tracing);
	return dumped;
}
