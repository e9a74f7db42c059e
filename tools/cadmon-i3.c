/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-i3: feed lines (protocol v1, NDJSON) on stdin as the NENA i3 log events a
 * call-handling element would log for them, one per line on stdout: the log event JSON, or
 * with --key a JWS (flattened JSON serialization) signed ES256 or RS256, ready for
 * POST /LogEvents (docs/protocol.md, "NENA i3 log events"). For trying cadmond's i3 endpoint
 * with a simulated shift: cadmon-sim ... | cadmon-i3 --key k.pem --kid chfe-1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "event.h"
#include "i3_convert.h"

#define LINE_MAX_BYTES 65536

struct options {
	const char *element_id;
	const char *agency;
	const char *key_path;
	const char *kid;
};

static int usage(FILE *out, int status)
{
	fprintf(out, "usage: cadmon-i3 [--element ID] [--agency NAME] [--key PEM --kid KID] < "
		     "feed.ndjson\n"
		     "  --element ID   the elementId of every log event (default "
		     "chfe.cadmon-i3.invalid)\n"
		     "  --agency NAME  the agencyId of events that name no agency (default "
		     "\"unknown\")\n"
		     "  --key PEM      sign each log event with this private key (EC P-256: ES256, "
		     "RSA: RS256)\n"
		     "  --kid KID      the kid of the JWS header (with --key)\n"
		     "Exit status: 0 done, 1 a line is not a feed event (its number and why on "
		     "stderr),\n"
		     "2 usage, 3 the key cannot be read or used.\n");
	return status;
}

/* 0: go on; 1: --help answered; -1: a usage error (said on stderr). */
static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
		{ "element", required_argument, NULL, 'e' },
		{ "agency", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'k' },
		{ "kid", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (option == 'e')
			options->element_id = optarg;
		else if (option == 'a')
			options->agency = optarg;
		else if (option == 'k')
			options->key_path = optarg;
		else if (option == 'i')
			options->kid = optarg;
		else if (option == 'h')
			return usage(stdout, 1); /* done */
		else
			return usage(stderr, -1);
	}
	if (optind != argc || (options->key_path != NULL) != (options->kid != NULL)) {
		fprintf(stderr, "cadmon-i3: %s\n",
			optind != argc ? "no arguments are taken: the lines come on stdin"
				       : "--key and --kid go together");
		return -1;
	}
	return 0;
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *file = fopen(path, "r");
	EVP_PKEY *key;

	if (!file) {
		fprintf(stderr, "cadmon-i3: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
	fclose(file);
	if (!key)
		fprintf(stderr, "cadmon-i3: %s: not a PEM private key\n", path);
	return key;
}

/* One log event out: as it is, or signed. */
static int write_event(const char *payload, EVP_PKEY *key, const char *kid)
{
	char *jws;

	if (!key) {
		puts(payload);
		return 0;
	}
	if (!(jws = i3_convert_sign(key, kid, payload))) {
		fprintf(stderr, "cadmon-i3: cannot sign with this key (EC P-256 or RSA)\n");
		return 3;
	}
	puts(jws);
	free(jws);
	return 0;
}

static int convert_stream(const struct options *options, EVP_PKEY *key)
{
	static char line[LINE_MAX_BYTES + 2];
	struct event_parser *parser = event_parser_new();
	struct i3_convert_events events;
	struct event event;
	unsigned long number = 0;
	char why[256];
	int status = 0;

	while (status == 0 && parser && fgets(line, sizeof line, stdin)) {
		size_t len = strcspn(line, "\n");
		number++;
		if (len == 0)
			continue;
		if (event_parser_parse(parser, line, len, &event, why, sizeof why) != EVENT_OK) {
			fprintf(stderr, "cadmon-i3: line %lu: %s\n", number, why);
			status = 1;
			break;
		}
		i3_convert_event(&event, options->element_id, options->agency, &events);
		for (size_t i = 0; status == 0 && i < events.count; i++)
			status = write_event(events.payload[i], key, options->kid);
	}
	event_parser_free(parser);
	return parser ? status : 3;
}

int main(int argc, char **argv)
{
	struct options options = { .element_id = "chfe.cadmon-i3.invalid", .agency = "unknown" };
	EVP_PKEY *key = NULL;
	int rc = parse_options(argc, argv, &options), status;

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (options.key_path && !(key = load_key(options.key_path)))
		return 3;
	status = convert_stream(&options, key);
	EVP_PKEY_free(key);
	return status;
}
