/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-publish: protocol v1 lines (NDJSON) from stdin to the NATS JetStream events stream
 * (docs/scale-out.md). Each line goes to PREFIX.<agency> with the headers Cadmon-Source (and
 * Cadmon-Epoch) and Nats-Msg-Id SOURCE:SEQ (SOURCE:SEQ:EPOCH with an epoch), so that
 * JetStream drops a resend within its duplicate window. A line without "seq" gets the next
 * number (after the previous line's).
 * The agency is the line's "agency", or its call's (remembered from the call_start), or
 * "_none". The source is the line's own "source" field when it has one (a file merging
 * several CADs), else --source or the input's hello line. Publishes are asynchronous, at most
 * --max-pending awaiting their PubAck; at the
 * first failure no further line is published, and the exit status is 1 with the number of
 * the first line not acknowledged.
 *
 * Inputs: stdin, or with --listen HOST:PORT the TCP connections of CADs (at most
 * --max-connections at once), each its own input with its own hello, numbering and record
 * reader, until SIGINT or SIGTERM. With --mapping FILE each input is a vendor's records
 * (lib/mapping.c, the mappings: section of FILE, as cadmond's feed.mapping reads them): each
 * record's lines (call_start, incident, call_end) are published as lines of --source.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <nats/nats.h>

#include "config.h"
#include "mapping.h"
#include "nats_subject.h"
#include "net.h"
#include "small_file.h"
#include "zonefile.h"

#define PUBLISH_LINE_MAX (1u << 20)
#define PUBLISH_CALLS 65536 /* call_id -> agency slots, open addressing */
#define PUBLISH_CALL_PROBES 16 /* slots tried per call; all taken: the first is reused */
#define PUBLISH_NAME_MAX 65
#define PUBLISH_SUBJECT_MAX 256
#define PUBLISH_LABEL_MAX 80 /* "[address]:port: " */
#define PUBLISH_READ_BYTES 65536 /* read from a connection at once */
#define PUBLISH_POLL_MS 200 /* the stop flag and the resends looked at this often */
#define PUBLISH_CONFIG_MAX_BYTES (1u << 20) /* --mapping FILE */

struct options {
	const char *servers;
	const char *source;
	const char *epoch;
	const char *prefix;
	const char *stream;
	const char *alerts_stream;
	const char *alerts_prefix;
	bool create_stream;
	int replicas;
	int64_t max_age_seconds;
	int64_t duplicate_window_seconds;
	int64_t max_pending;
	int64_t timeout_ms;
	int64_t retry_seconds;
	const char *listen;        /* HOST:PORT: read CAD connections instead of stdin */
	int64_t max_connections;   /* with listen */
	const char *mapping_file;  /* records of this file's mapping instead of feed lines */
	const char *mapping_name;  /* which one, when the file has several */
};

/* One stream of lines: stdin, or one CAD connection. */
struct input {
	char label[PUBLISH_LABEL_MAX]; /* "" for stdin, "127.0.0.1:40312: " for a connection */
	char source[PUBLISH_NAME_MAX];
	char epoch[PUBLISH_NAME_MAX];
	uint64_t next_seq;
	uint64_t line_number;
	struct mapping *mapping;       /* --mapping: its records; NULL: feed lines */
};

struct call_slot {
	char call_id[PUBLISH_NAME_MAX];
	char agency[PUBLISH_NAME_MAX];
};

struct publisher {
	struct options options;
	natsConnection *connection;
	jsCtx *js;
	const struct config_mapping *mapping; /* --mapping (in config), with its zone */
	struct config *config;
	struct zone *zone;
	uint64_t order;         /* messages published: each one's Cadmon-Order, for resends */
	struct call_slot *calls;
	pthread_mutex_t lock;
	uint64_t skipped; /* lines that are not JSON objects, or without a source */
	/* under lock, from the PubAck handler */
	uint64_t acknowledged, duplicates, failed, first_failed_line, retried;
	natsMsg **retry;        /* publishes that failed, to send again in line order */
	size_t retry_count, retry_capacity;
	char first_error[256];
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cadmon-publish [OPTION...] < LINES.ndjson\n"
		"Publish cadmon feed lines (protocol v1, NDJSON) to the NATS JetStream events "
		"stream.\n\n"
		"  --server URLS          nats:// URLs, comma-separated (nats://127.0.0.1:4222)\n"
		"  --source NAME          the publishing source (default: the input's hello line)\n"
		"  --epoch TEXT           its numbering's epoch (default: the hello's, or none)\n"
		"  --prefix SUBJECT       events subject prefix (cadmon.events): PREFIX.<agency>\n"
		"  --stream NAME          events stream (CADMON_EVENTS)\n"
		"  --create-stream        create the events and alerts streams when missing\n"
		"  --replicas N           with --create-stream: replicas (1; 3 for an R3 cluster)\n"
		"  --max-age SECONDS      with --create-stream: events kept this long (86400; at "
		"least\n"
		"                         the longest rule window plus the allowed lateness)\n"
		"  --duplicate-window S   with --create-stream: Nats-Msg-Id de-duplication window "
		"(600)\n"
		"  --alerts-stream NAME   with --create-stream: alerts stream (CADMON_ALERTS)\n"
		"  --alerts-prefix SUBJ   with --create-stream: alerts subject prefix "
		"(cadmon.alerts)\n"
		"  --max-pending N        publishes awaiting their PubAck at most (256)\n"
		"  --timeout-ms MS        wait for a PubAck this long (5000)\n"
		"  --retry-seconds S      send a line that got no PubAck again, in order, for up "
		"to S\n"
		"                         seconds (a leader election, a node down) before giving "
		"up (30)\n"
		"  --listen HOST:PORT     read the lines from CAD connections on this TCP address "
		"(port\n"
		"                         0: any; the address taken is printed) instead of stdin, "
		"each\n"
		"                         connection with its own hello, until SIGINT or SIGTERM\n"
		"  --max-connections N    with --listen: connections at once; more are refused "
		"(16)\n"
		"  --mapping FILE         the input is a vendor's call records, read by the "
		"mapping of\n"
		"                         FILE's mappings: section (docs/mappings.md); needs "
		"--source,\n"
		"                         or with --listen a hello line first on each connection\n"
		"  --mapping-name NAME    which mapping of FILE, when it has several\n"
		"  -h, --help             show this help\n"
		"Exit status: 0 when every line was acknowledged, 1 otherwise (a summary on "
		"stderr), 2 on usage.\n");
}

static int parse_int(const char *text, int64_t low, int64_t high, int64_t *value)
{
	char *end;

	errno = 0;
	long long parsed = strtoll(text, &end, 10);
	if (errno || *end || end == text || parsed < low || parsed > high)
		return -1;
	*value = parsed;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
		{ "server", required_argument, NULL, 's' },
		{ "source", required_argument, NULL, 'S' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "stream", required_argument, NULL, 't' },
		{ "create-stream", no_argument, NULL, 'c' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "duplicate-window", required_argument, NULL, 'd' },
		{ "alerts-stream", required_argument, NULL, 'A' },
		{ "alerts-prefix", required_argument, NULL, 'P' },
		{ "max-pending", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "retry-seconds", required_argument, NULL, 'R' },
		{ "listen", required_argument, NULL, 'l' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "mapping", required_argument, NULL, 'g' },
		{ "mapping-name", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t number;
	int c;

	*options = (struct options){ .servers = "nats://127.0.0.1:4222",
				     .prefix = "cadmon.events",
				     .stream = "CADMON_EVENTS",
				     .alerts_stream = "CADMON_ALERTS",
				     .alerts_prefix = "cadmon.alerts",
				     .replicas = 1,
				     .max_age_seconds = 86400,
				     .duplicate_window_seconds = 600,
				     .max_pending = 256,
				     .timeout_ms = 5000,
				     .retry_seconds = 30,
				     .max_connections = 16 };
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case 's': options->servers = optarg; break;
		case 'S': options->source = optarg; break;
		case 'e': options->epoch = optarg; break;
		case 'p': options->prefix = optarg; break;
		case 't': options->stream = optarg; break;
		case 'c': options->create_stream = true; break;
		case 'A': options->alerts_stream = optarg; break;
		case 'P': options->alerts_prefix = optarg; break;
		case 'l': options->listen = optarg; break;
		case 'g': options->mapping_file = optarg; break;
		case 'G': options->mapping_name = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'r':
		case 'a':
		case 'd':
		case 'm':
		case 'T':
		case 'R':
		case 'M':
			if (parse_int(optarg, c == 'R' ? 0 : 1,
				      c == 'r'	 ? 5
				      : c == 'M' ? 1024
						 : INT32_MAX,
				      &number) < 0) {
				fprintf(stderr, "cadmon-publish: --%s: not a number in range: %s\n",
					c == 'r'   ? "replicas"
					: c == 'a' ? "max-age"
					: c == 'd' ? "duplicate-window"
					: c == 'm' ? "max-pending"
					: c == 'R' ? "retry-seconds"
					: c == 'M' ? "max-connections"
						   : "timeout-ms",
					optarg);
				return -1;
			}
			if (c == 'r') options->replicas = (int)number;
			if (c == 'a') options->max_age_seconds = number;
			if (c == 'd') options->duplicate_window_seconds = number;
			if (c == 'm') options->max_pending = number;
			if (c == 'T') options->timeout_ms = number;
			if (c == 'R') options->retry_seconds = number;
			if (c == 'M') options->max_connections = number;
			break;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	char host[256], port[16];
	if (options->listen &&
	    net_split_listen_address(options->listen, host, sizeof host, port, sizeof port) < 0) {
		fprintf(stderr,
			"cadmon-publish: --listen: expected HOST:PORT (or [V6]:PORT), PORT from 0 "
			"to 65535, got \"%s\"\n",
			options->listen);
		return -1;
	}
	if (options->mapping_file && !options->source && !options->listen) {
		fprintf(stderr,
			"cadmon-publish: --mapping needs --source: records name no source\n");
		return -1;
	}
	if (options->mapping_name && !options->mapping_file) {
		fprintf(stderr, "cadmon-publish: --mapping-name goes with --mapping\n");
		return -1;
	}
	return 0;
}

static size_t call_hash(const char *call_id)
{
	size_t hash = 2166136261u;

	for (; *call_id; call_id++)
		hash = (hash ^ (unsigned char)*call_id) * 16777619u;
	return hash % PUBLISH_CALLS;
}

static const char *string_field(struct json_object *object, const char *key)
{
	struct json_object *value;

	return json_object_object_get_ex(object, key, &value) &&
			       json_object_is_type(value, json_type_string)
		       ? json_object_get_string(value)
		       : NULL;
}

/* The line's agency: its own, else its call's from the call_start; remembered per call. */
static const char *line_agency(struct publisher *publisher, struct json_object *object)
{
	const char *agency = string_field(object, "agency"),
		   *call_id = string_field(object, "call_id");
	struct call_slot *slot;

	size_t home;

	if (!call_id || strlen(call_id) >= PUBLISH_NAME_MAX)
		return agency;
	home = call_hash(call_id);
	slot = NULL;
	for (size_t probe = 0; probe < PUBLISH_CALL_PROBES; probe++) {
		struct call_slot *candidate = &publisher->calls[(home + probe) % PUBLISH_CALLS];
		if (strcmp(candidate->call_id, call_id) == 0 || !candidate->call_id[0]) {
			slot = candidate;
			break;
		}
	}
	if (agency && strlen(agency) < PUBLISH_NAME_MAX) {
		if (!slot)
			slot = &publisher->calls[home];
		snprintf(slot->call_id, sizeof slot->call_id, "%s", call_id);
		snprintf(slot->agency, sizeof slot->agency, "%s", agency);
		return agency;
	}
	return slot && slot->call_id[0] ? slot->agency : NULL;
}

static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct publisher *publisher = closure;
	const char *line = NULL;

	(void)js;
	pthread_mutex_lock(&publisher->lock);
	if (pa) {
		publisher->acknowledged++;
		publisher->duplicates += pa->Duplicate;
	} else if (publisher->retry_count < publisher->retry_capacity) {
		publisher->retry[publisher->retry_count++] = msg; /* sent again by resend_failed */
		msg = NULL;
	} else {
		uint64_t number = 0;
		publisher->failed++;
		if (natsMsgHeader_Get(msg, "Cadmon-Line", &line) == NATS_OK && line)
			number = strtoull(line, NULL, 10);
		if (!publisher->first_failed_line ||
		    (number && number < publisher->first_failed_line)) {
			publisher->first_failed_line = number;
			snprintf(publisher->first_error, sizeof publisher->first_error, "%s",
				 pae ? natsStatus_GetText(pae->Err) : "no acknowledgement");
		}
	}
	pthread_mutex_unlock(&publisher->lock);
	natsMsg_Destroy(msg);
}

static bool publishing_failed(struct publisher *publisher)
{
	pthread_mutex_lock(&publisher->lock);
	bool failed = publisher->failed > 0;
	pthread_mutex_unlock(&publisher->lock);
	return failed;
}

static uint64_t msg_number(natsMsg *msg, const char *header)
{
	const char *value = NULL;

	return natsMsgHeader_Get(msg, header, &value) == NATS_OK && value
		       ? strtoull(value, NULL, 10)
		       : 0;
}

static uint64_t msg_line(natsMsg *msg)
{
	return msg_number(msg, "Cadmon-Line");
}

/* In the order they were published (a record's lines share its input line). */
static int by_line(const void *a, const void *b)
{
	uint64_t x = msg_number(*(natsMsg *const *)a, "Cadmon-Order"),
		 y = msg_number(*(natsMsg *const *)b, "Cadmon-Order");

	return x < y ? -1 : x > y;
}

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Send one message synchronously until the stream takes it or the retry time is over. */
static bool resend_one(struct publisher *publisher, natsMsg *msg, int64_t deadline_ms, char *why,
		       size_t why_size)
{
	for (;;) {
		jsPubAck *ack = NULL;
		jsErrCode jerr = 0;
		natsStatus status = js_PublishMsg(&ack, publisher->js, msg, NULL, &jerr);
		if (status == NATS_OK) {
			pthread_mutex_lock(&publisher->lock);
			publisher->acknowledged++;
			publisher->duplicates += ack->Duplicate;
			publisher->retried++;
			pthread_mutex_unlock(&publisher->lock);
			jsPubAck_Destroy(ack);
			return true;
		}
		snprintf(why, why_size, "%s", natsStatus_GetText(status));
		if (now_ms() >= deadline_ms)
			return false;
		usleep(250 * 1000);
	}
}

/*
 * Lines that got no PubAck (a leader election, a node down): once every publish in flight
 * has its answer, send them again in line order, each until the stream takes it. A resend
 * of a line the stream did store is dropped by its Nats-Msg-Id. The order is kept when the
 * failures are the last lines in flight (a failover fails them all); a line that failed while
 * a later one was stored lands after it, and cadmond then drops it as a resend (docs/scale-out.md).
 */
static void resend_failed(struct publisher *publisher)
{
	jsPubOptions wait;
	int64_t deadline_ms = now_ms() + publisher->options.retry_seconds * 1000;
	char why[256] = "";

	jsPubOptions_Init(&wait);
	wait.MaxWait = publisher->options.timeout_ms;
	js_PublishAsyncComplete(publisher->js, &wait);
	pthread_mutex_lock(&publisher->lock);
	size_t count = publisher->retry_count;
	publisher->retry_count = 0;
	natsMsg **messages = malloc((count ? count : 1) * sizeof *messages);
	if (messages && count)
		memcpy(messages, publisher->retry, count * sizeof *messages);
	pthread_mutex_unlock(&publisher->lock);
	if (!messages || count == 0) {
		free(messages);
		return;
	}
	qsort(messages, count, sizeof *messages, by_line);
	for (size_t i = 0; i < count; i++) {
		if (!publishing_failed(publisher) &&
		    resend_one(publisher, messages[i], deadline_ms, why, sizeof why)) {
			natsMsg_Destroy(messages[i]);
			continue;
		}
		pthread_mutex_lock(&publisher->lock);
		publisher->failed++;
		if (!publisher->first_failed_line) {
			publisher->first_failed_line = msg_line(messages[i]);
			snprintf(publisher->first_error, sizeof publisher->first_error, "%s",
				 why[0] ? why : "not sent");
		}
		pthread_mutex_unlock(&publisher->lock);
		natsMsg_Destroy(messages[i]);
	}
	free(messages);
}

static bool resend_due(struct publisher *publisher)
{
	pthread_mutex_lock(&publisher->lock);
	bool due = publisher->retry_count > 0;
	pthread_mutex_unlock(&publisher->lock);
	return due;
}

/* The hello line names the input's source (and epoch) unless --source (--epoch) did. True
 * when it was one. */
static bool take_hello(struct publisher *publisher, struct input *input, struct json_object *object)
{
	const char *hello = string_field(object, "hello"), *source = string_field(object, "source");
	const char *epoch = string_field(object, "epoch");

	if (!hello)
		return false;
	if (!publisher->options.source && source)
		snprintf(input->source, sizeof input->source, "%s", source);
	if (!publisher->options.epoch && epoch)
		snprintf(input->epoch, sizeof input->epoch, "%s", epoch);
	return true;
}

/* The line as published: its own, or with "seq" put first when it had none. */
static char *numbered_line(struct input *input, struct json_object *object, const char *line,
			   size_t len, uint64_t *seq)
{
	struct json_object *value;
	char *out;

	if (json_object_object_get_ex(object, "seq", &value) &&
	    json_object_is_type(value, json_type_int)) {
		*seq = (uint64_t)json_object_get_int64(value);
		input->next_seq = *seq + 1;
		return strndup(line, len);
	}
	*seq = input->next_seq++;
	const char *rest = strchr(line, '{') + 1;
	size_t rest_len = len - (size_t)(rest - line);
	bool empty = strspn(rest, " \t") < rest_len && rest[strspn(rest, " \t")] == '}';
	if (asprintf(&out, "{\"seq\":%" PRIu64 "%s%.*s", *seq, empty ? "" : ",", (int)rest_len,
		     rest) < 0)
		return NULL;
	return out;
}

static int publish_line(struct publisher *publisher, struct input *input, const char *line,
			size_t len)
{
	struct json_object *object = json_tokener_parse(line);
	char subject[2 * PUBLISH_SUBJECT_MAX + 2], token[PUBLISH_SUBJECT_MAX],
		msg_id[2 * PUBLISH_NAME_MAX + 32], number[24];
	char order[24];
	natsMsg *msg = NULL;
	uint64_t seq;
	char *data;
	natsStatus status;

	if (!object || !json_object_is_type(object, json_type_object)) {
		fprintf(stderr,
			"cadmon-publish: %sline %" PRIu64 ": not a JSON object: not published\n",
			input->label, input->line_number);
		json_object_put(object);
		publisher->skipped++;
		return 0;
	}
	if (take_hello(publisher, input, object)) {
		json_object_put(object);
		return 0;
	}
	char source[PUBLISH_NAME_MAX];
	const char *own = string_field(object, "source");
	snprintf(source, sizeof source, "%s",
		 own && strlen(own) < PUBLISH_NAME_MAX ? own
		 : own				       ? ""
						       : input->source);
	if (!source[0]) {
		fprintf(stderr,
			"cadmon-publish: %sline %" PRIu64
			": no source: give --source, a hello line first, or "
			"a \"source\" of 1 to 64 bytes in the line\n",
			input->label, input->line_number);
		json_object_put(object);
		publisher->skipped++;
		return 0;
	}
	nats_subject_agency_token(line_agency(publisher, object), token, sizeof token);
	snprintf(subject, sizeof subject, "%s.%s", publisher->options.prefix, token);
	data = numbered_line(input, object, line, len, &seq);
	json_object_put(object);
	if (!data)
		return -1;
	/* the epoch in it too: a new epoch's seq 1 is not a resend of the old one's */
	if (input->epoch[0])
		snprintf(msg_id, sizeof msg_id, "%s:%" PRIu64 ":%s", source, seq, input->epoch);
	else
		snprintf(msg_id, sizeof msg_id, "%s:%" PRIu64, source, seq);
	snprintf(number, sizeof number, "%" PRIu64, input->line_number);
	snprintf(order, sizeof order, "%" PRIu64, ++publisher->order);
	status = natsMsg_Create(&msg, subject, NULL, data, (int)strlen(data));
	free(data);
	if (status == NATS_OK)
		status = natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id);
	if (status == NATS_OK)
		status = natsMsgHeader_Set(msg, "Cadmon-Source", source);
	if (status == NATS_OK && input->epoch[0])
		status = natsMsgHeader_Set(msg, "Cadmon-Epoch", input->epoch);
	if (status == NATS_OK)
		status = natsMsgHeader_Set(msg, "Cadmon-Line", number);
	if (status == NATS_OK)
		status = natsMsgHeader_Set(msg, "Cadmon-Order", order);
	if (status == NATS_OK)
		status = js_PublishMsgAsync(publisher->js, &msg, NULL);
	natsMsg_Destroy(msg);
	if (status != NATS_OK) {
		pthread_mutex_lock(&publisher->lock);
		publisher->failed++;
		if (!publisher->first_failed_line) {
			publisher->first_failed_line = input->line_number;
			snprintf(publisher->first_error, sizeof publisher->first_error, "%s",
				 natsStatus_GetText(status));
		}
		pthread_mutex_unlock(&publisher->lock);
		return -1;
	}
	return 0;
}

/* One stream, created when missing (an existing one is left as it is). */
static int create_stream(struct publisher *publisher, const char *name, const char *prefix,
			 int64_t max_age_seconds)
{
	char subject[PUBLISH_SUBJECT_MAX];
	const char *subjects[1] = { subject };
	jsStreamInfo *info = NULL;
	jsStreamConfig config;
	jsErrCode jerr = 0;

	if (js_GetStreamInfo(&info, publisher->js, name, NULL, &jerr) == NATS_OK) {
		jsStreamInfo_Destroy(info);
		return 0;
	}
	snprintf(subject, sizeof subject, "%s.>", prefix);
	jsStreamConfig_Init(&config);
	config.Name = name;
	config.Subjects = subjects;
	config.SubjectsLen = 1;
	config.Storage = js_FileStorage;
	config.Replicas = publisher->options.replicas;
	config.MaxAge = max_age_seconds * 1000000000;
	config.Duplicates = publisher->options.duplicate_window_seconds * 1000000000;
	if (js_AddStream(&info, publisher->js, &config, NULL, &jerr) != NATS_OK) {
		fprintf(stderr, "cadmon-publish: cannot create stream %s (%s): %s\n", name, subject,
			nats_GetLastError(NULL));
		return -1;
	}
	jsStreamInfo_Destroy(info);
	fprintf(stderr, "cadmon-publish: created stream %s (%s, %d replicas)\n", name, subject,
		publisher->options.replicas);
	return 0;
}

static int connect_publisher(struct publisher *publisher)
{
	natsOptions *options = NULL;
	jsOptions js_options;
	natsStatus status = natsOptions_Create(&options);
	char *servers = strdup(publisher->options.servers), *save = NULL;
	const char *urls[16];
	int count = 0;

	for (char *url = servers ? strtok_r(servers, ",", &save) : NULL; url && count < 16;
	     url = strtok_r(NULL, ",", &save))
		urls[count++] = url;
	if (status == NATS_OK)
		status =
			count > 0 ? natsOptions_SetServers(options, urls, count) : NATS_INVALID_ARG;
	free(servers);
	if (status == NATS_OK)
		status = natsOptions_SetMaxReconnect(options, -1);
	if (status == NATS_OK)
		status = natsOptions_SetReconnectWait(options, 250);
	if (status == NATS_OK)
		status = natsConnection_Connect(&publisher->connection, options);
	natsOptions_Destroy(options);
	if (status != NATS_OK) {
		fprintf(stderr, "cadmon-publish: cannot connect to %s: %s\n",
			publisher->options.servers, natsStatus_GetText(status));
		return -1;
	}
	jsOptions_Init(&js_options);
	js_options.Wait = publisher->options.timeout_ms;
	js_options.PublishAsync.MaxPending = publisher->options.max_pending;
	js_options.PublishAsync.AckHandler = on_pub_ack;
	js_options.PublishAsync.AckHandlerClosure = publisher;
	js_options.PublishAsync.StallWait = publisher->options.timeout_ms;
	if (natsConnection_JetStream(&publisher->js, publisher->connection, &js_options) !=
	    NATS_OK) {
		fprintf(stderr, "cadmon-publish: JetStream: %s\n", nats_GetLastError(NULL));
		return -1;
	}
	return 0;
}

/* ---- inputs ------------------------------------------------------------------------------ */

/* An input's state at its start: --source and --epoch, the numbering from 1, a fresh record
 * reader with --mapping. -1: out of memory. */
static int input_init(struct publisher *publisher, struct input *input, const char *label)
{
	memset(input, 0, sizeof *input);
	snprintf(input->label, sizeof input->label, "%s", label);
	snprintf(input->source, sizeof input->source, "%s",
		 publisher->options.source ? publisher->options.source : "");
	snprintf(input->epoch, sizeof input->epoch, "%s",
		 publisher->options.epoch ? publisher->options.epoch : "");
	input->next_seq = 1;
	if (publisher->mapping &&
	    !(input->mapping = mapping_new(publisher->mapping, publisher->zone, PUBLISH_LINE_MAX)))
		return -1;
	return 0;
}

/* What a record's mapping emits: each line published as the input's. */
struct mapped {
	struct publisher *publisher;
	struct input *input;
	int rc;
};

static void publish_mapped(const char *line, size_t len, void *ctx)
{
	struct mapped *mapped = ctx;

	if (mapped->rc == 0)
		mapped->rc = publish_line(mapped->publisher, mapped->input, line, len);
}

static void reject_record(struct publisher *publisher, const struct input *input,
			  enum mapping_status status, const char *why)
{
	fprintf(stderr, "cadmon-publish: %sline %" PRIu64 ": record rejected (%s): %s\n",
		input->label, input->line_number, mapping_status_name(status), why);
	publisher->skipped++;
}

/* One physical line of an input (no line ending): a feed line, or part of a record. 0, or -1
 * when publishing failed. */
static int input_line(struct publisher *publisher, struct input *input, const char *line,
		      size_t len)
{
	struct mapped mapped = { .publisher = publisher, .input = input };
	char why[256];

	input->line_number++;
	if (!input->mapping)
		return len == 0 ? 0 : publish_line(publisher, input, line, len);
	if (input->line_number == 1 && len > 0 &&
	    line[0] == '{') { /* a hello first names the source */
		struct json_object *object = json_tokener_parse(line);
		bool hello = object && json_object_is_type(object, json_type_object) &&
			     take_hello(publisher, input, object);
		json_object_put(object);
		if (hello)
			return 0;
	}
	enum mapping_status status =
		mapping_line(input->mapping, line, len, publish_mapped, &mapped, why, sizeof why);
	if (mapping_status_rejects(status))
		reject_record(publisher, input, status, why);
	return mapped.rc;
}

/* The end of an input: a record left open is rejected; the reader freed. */
static void input_end(struct publisher *publisher, struct input *input)
{
	char why[256];

	if (input->mapping) {
		enum mapping_status status = mapping_finish(input->mapping, why, sizeof why);
		if (mapping_status_rejects(status))
			reject_record(publisher, input, status, why);
		mapping_free(input->mapping);
		input->mapping = NULL;
	}
}

/* A line over PUBLISH_LINE_MAX: said and counted, not published. */
static void reject_overlong(struct publisher *publisher, struct input *input)
{
	input->line_number++;
	fprintf(stderr, "cadmon-publish: %sline %" PRIu64 ": over %u bytes: not published\n",
		input->label, input->line_number, PUBLISH_LINE_MAX);
	publisher->skipped++;
}

/* Every line of stdin (its "\n" and one "\r" before it cut, as the feed does); stops at the
 * first failure. */
static void publish_input(struct publisher *publisher)
{
	char *line = malloc(PUBLISH_LINE_MAX + 2);
	bool overlong = false; /* the rest of a line over PUBLISH_LINE_MAX is being skipped */
	struct input input;

	if (!line || input_init(publisher, &input, "") < 0) {
		fprintf(stderr, "cadmon-publish: out of memory\n");
		free(line);
		return;
	}
	while (fgets(line, PUBLISH_LINE_MAX + 2, stdin) && !publishing_failed(publisher)) {
		size_t len = strlen(line);
		bool ended = len > 0 && line[len - 1] == '\n';

		if (overlong || (!ended && len > PUBLISH_LINE_MAX)) {
			if (!overlong)
				reject_overlong(publisher, &input);
			overlong = !ended;
			continue;
		}
		len -= ended;
		len -= len > 0 && line[len - 1] == '\r';
		line[len] = '\0';
		if (input_line(publisher, &input, line, len) < 0)
			break;
		if (resend_due(publisher))
			resend_failed(publisher);
	}
	input_end(publisher, &input);
	free(line);
}

/* ---- --listen: CAD connections ------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
}

/* One CAD connection: its input, and the bytes of a line not complete yet. */
struct connection {
	int fd;
	struct input input;
	char *buffer;    /* PUBLISH_LINE_MAX + 1 */
	size_t used;
	bool overlong;   /* the line being read is over PUBLISH_LINE_MAX: dropped to its end */
};

/* A listening socket on HOST:PORT ("[::1]:PORT" for IPv6); its address as taken printed. -1
 * after saying why. */
static int listen_on(const char *address)
{
	char host[256], port[16], shown[NI_MAXHOST];
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *found = NULL;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	int fd = -1, one = 1;

	if (net_split_listen_address(address, host, sizeof host, port, sizeof port) < 0)
		return -1; /* parse_options said why */
	int rc = getaddrinfo(host, port, &hints, &found);
	if (rc != 0) {
		fprintf(stderr, "cadmon-publish: --listen %s: %s\n", address, gai_strerror(rc));
		return -1;
	}
	fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
		fprintf(stderr, "cadmon-publish: --listen %s: %s\n", address, strerror(errno));
		freeaddrinfo(found);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	freeaddrinfo(found);
	getnameinfo((struct sockaddr *)&bound, bound_len, shown, sizeof shown, port, sizeof port,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	fprintf(stderr,
		strchr(shown, ':') ? "cadmon-publish: listening on [%s]:%s\n"
				   : "cadmon-publish: listening on %s:%s\n",
		shown, port);
	return fd;
}

/* A connection taken into a free slot (or refused when none is free). */
static void accept_connection(struct publisher *publisher, int listener,
			      struct connection *connections)
{
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof peer;
	char host[NI_MAXHOST], port[NI_MAXSERV], label[PUBLISH_LABEL_MAX];
	int fd = accept(listener, (struct sockaddr *)&peer, &peer_len);
	struct connection *slot = NULL;

	if (fd < 0)
		return;
	for (int64_t i = 0; i < publisher->options.max_connections && !slot; i++)
		if (connections[i].fd < 0)
			slot = &connections[i];
	if (getnameinfo((struct sockaddr *)&peer, peer_len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof host, "?");
	snprintf(label, sizeof label, strchr(host, ':') ? "[%s]:%s: " : "%s:%s: ", host, port);
	if (!slot) {
		fprintf(stderr,
			"cadmon-publish: %srefused: %" PRId64
			" connections already (--max-connections)\n",
			label, publisher->options.max_connections);
		close(fd);
		return;
	}
	if (!(slot->buffer = malloc(PUBLISH_LINE_MAX + 1)) ||
	    input_init(publisher, &slot->input, label) < 0) {
		fprintf(stderr, "cadmon-publish: %srefused: out of memory\n", label);
		free(slot->buffer);
		slot->buffer = NULL;
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->used = 0;
	slot->overlong = false;
	fprintf(stderr, "cadmon-publish: %sconnected\n", label);
}

static void close_connection(struct publisher *publisher, struct connection *connection)
{
	input_end(publisher, &connection->input);
	close(connection->fd);
	free(connection->buffer);
	*connection = (struct connection){ .fd = -1 };
}

/* The complete lines read so far; a line over PUBLISH_LINE_MAX is dropped (counted). -1 when
 * publishing failed. */
static int connection_lines(struct publisher *publisher, struct connection *connection)
{
	size_t start = 0;

	for (;;) {
		char *newline = memchr(connection->buffer + start, '\n', connection->used - start);
		if (!newline)
			break;
		size_t len = (size_t)(newline - (connection->buffer + start));
		size_t trimmed =
			len > 0 && connection->buffer[start + len - 1] == '\r' ? len - 1 : len;
		connection->buffer[start + trimmed] = '\0';
		if (connection->overlong) {
			connection->overlong = false; /* the end of the dropped line */
		} else if (input_line(publisher, &connection->input, connection->buffer + start,
				      trimmed) < 0) {
			return -1;
		}
		start += len + 1;
	}
	memmove(connection->buffer, connection->buffer + start, connection->used - start);
	connection->used -= start;
	if (connection->used == PUBLISH_LINE_MAX) {
		if (!connection->overlong)
			reject_overlong(publisher, &connection->input);
		connection->overlong = true;
		connection->used = 0;
	}
	return 0;
}

/* Read what a connection sent; at its end, a last line without a newline is taken and the
 * connection closed. -1 when publishing failed. */
static int connection_read(struct publisher *publisher, struct connection *connection)
{
	size_t room = PUBLISH_LINE_MAX - connection->used;
	ssize_t got = read(connection->fd, connection->buffer + connection->used,
			   room < PUBLISH_READ_BYTES ? room : PUBLISH_READ_BYTES);
	int rc = 0;

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got > 0) {
		connection->used += (size_t)got;
		return connection_lines(publisher, connection);
	}
	if (connection->used > 0 && !connection->overlong) {
		connection->buffer[connection->used] = '\0';
		rc = input_line(publisher, &connection->input, connection->buffer,
				connection->used);
	}
	fprintf(stderr, "cadmon-publish: %sclosed after %" PRIu64 " lines\n",
		connection->input.label, connection->input.line_number);
	close_connection(publisher, connection);
	return rc;
}

/* --listen: CAD connections until SIGINT or SIGTERM, or the first failure to publish. */
static void publish_listen(struct publisher *publisher)
{
	size_t count = (size_t)publisher->options.max_connections;
	struct connection *connections = calloc(count, sizeof *connections);
	struct pollfd *fds = calloc(count + 1, sizeof *fds);
	struct sigaction action = { .sa_handler =
					    on_stop_signal }; /* no SA_RESTART: poll returns */
	int listener = connections && fds ? listen_on(publisher->options.listen) : -1;

	if (!connections || !fds)
		fprintf(stderr, "cadmon-publish: out of memory\n");
	for (size_t i = 0; connections && i < count; i++)
		connections[i].fd = -1;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	while (listener >= 0 && !stop_requested && !publishing_failed(publisher)) {
		fds[0] = (struct pollfd){ .fd = listener, .events = POLLIN };
		for (size_t i = 0; i < count; i++)
			fds[i + 1] = (struct pollfd){ .fd = connections[i].fd, .events = POLLIN };
		if (poll(fds, count + 1, PUBLISH_POLL_MS) > 0) {
			for (size_t i = 0; i < count; i++)
				if (connections[i].fd >= 0 &&
				    (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
				    connection_read(publisher, &connections[i]) < 0)
					break;
			if (fds[0].revents & POLLIN)
				accept_connection(publisher, listener, connections);
		}
		if (resend_due(publisher))
			resend_failed(publisher);
	}
	for (size_t i = 0; connections && i < count; i++)
		if (connections[i].fd >= 0)
			close_connection(publisher, &connections[i]);
	if (listener >= 0)
		close(listener);
	else
		publisher->failed++; /* not listening: exit 1 */
	free(connections);
	free(fds);
}

/* ---- --mapping ------------------------------------------------------------------------------ */

/* --mapping FILE (and --mapping-name): the mapping and its zone. -1 after saying why. */
static int load_mapping(struct publisher *publisher)
{
	const char *path = publisher->options.mapping_file, *name = publisher->options.mapping_name;
	struct config_errors errors;
	char *text = NULL, why[512];
	size_t len = 0;
	int rc = small_file_read(path, PUBLISH_CONFIG_MAX_BYTES, &text, &len);

	if (rc < 0) {
		fprintf(stderr, "cadmon-publish: --mapping %s: %s\n", path,
			rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		return -1;
	}
	if (!(publisher->config = malloc(sizeof *publisher->config))) {
		free(text);
		fprintf(stderr, "cadmon-publish: out of memory\n");
		return -1;
	}
	rc = config_parse(text, len, path, publisher->config, &errors);
	free(text);
	if (rc < 0) {
		for (size_t i = 0; i < errors.count && i < CONFIG_MAX_ERRORS; i++)
			fprintf(stderr, "%s\n", errors.message[i]);
		return -1;
	}
	if (name)
		publisher->mapping = mapping_find(publisher->config, name);
	else if (publisher->config->mapping_count == 1)
		publisher->mapping = &publisher->config->mappings[0];
	if (!publisher->mapping) {
		fprintf(stderr, "cadmon-publish: --mapping %s: %s\n", path,
			name ? "no mapping of that --mapping-name"
			: publisher->config->mapping_count == 0
				? "no mapping in its mappings: section"
				: "several mappings: name one with --mapping-name");
		return -1;
	}
	if (zonefile_for_mapping(publisher->mapping, small_file_read, &publisher->zone, why,
				 sizeof why) < 0) {
		fprintf(stderr, "cadmon-publish: mapping %s: %s\n", publisher->mapping->name, why);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct publisher publisher = { .lock = PTHREAD_MUTEX_INITIALIZER };
	jsPubOptions wait;
	int rc = 1;

	if (parse_options(argc, argv, &publisher.options) < 0)
		return 2;
	if (publisher.options.mapping_file && load_mapping(&publisher) < 0)
		goto out;
	publisher.retry_capacity = (size_t)publisher.options.max_pending + 16;
	if (!(publisher.retry = calloc(publisher.retry_capacity, sizeof *publisher.retry)) ||
	    !(publisher.calls = calloc(PUBLISH_CALLS, sizeof *publisher.calls)) ||
	    connect_publisher(&publisher) < 0)
		goto out;
	if (publisher.options.create_stream &&
	    (create_stream(&publisher, publisher.options.stream, publisher.options.prefix,
			   publisher.options.max_age_seconds) < 0 ||
	     create_stream(&publisher, publisher.options.alerts_stream,
			   publisher.options.alerts_prefix, publisher.options.max_age_seconds) < 0))
		goto out;
	if (publisher.options.listen)
		publish_listen(&publisher);
	else
		publish_input(&publisher);
	jsPubOptions_Init(&wait);
	wait.MaxWait = publisher.options.timeout_ms;
	resend_failed(&publisher);
	if (js_PublishAsyncComplete(publisher.js, &wait) != NATS_OK) {
		natsMsgList pending = { 0 };
		if (js_PublishAsyncGetPendingList(&pending, publisher.js) == NATS_OK) {
			pthread_mutex_lock(&publisher.lock);
			publisher.failed += (uint64_t)pending.Count;
			if (!publisher.first_failed_line)
				snprintf(publisher.first_error, sizeof publisher.first_error,
					 "no acknowledgement");
			pthread_mutex_unlock(&publisher.lock);
			natsMsgList_Destroy(&pending);
		}
	}
	/* a publish that failed during that wait went to the retry list after resend_failed ran:
	 * sent again now, or counted failed, never left there (unsent, uncounted and leaked:
	 * probe16a F11's 167-byte natsMsg) */
	resend_failed(&publisher);
	pthread_mutex_lock(&publisher.lock);
	fprintf(stderr,
		"cadmon-publish: %" PRIu64 " lines published and acknowledged (%" PRIu64
		" duplicates), %" PRIu64 " failed, %" PRIu64 " skipped, %" PRIu64 " sent again",
		publisher.acknowledged, publisher.duplicates, publisher.failed, publisher.skipped,
		publisher.retried);
	if (publisher.failed && publisher.first_failed_line)
		fprintf(stderr, "; first line not acknowledged: %" PRIu64 " (%s)",
			publisher.first_failed_line, publisher.first_error);
	fprintf(stderr, "\n");
	rc = publisher.failed || publisher.skipped ? 1 : 0;
	pthread_mutex_unlock(&publisher.lock);
out:
	jsCtx_Destroy(publisher.js);
	natsConnection_Destroy(publisher.connection);
	free(publisher.calls);
	free(publisher.retry);
	free(publisher.config);
	free(publisher.zone);
	nats_Close();
	return rc;
}
