/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "auth.h"
#include "cadmon-version.h"
#include "cadmond.h"
#include "config.h"
#include "i3_server.h"
#include "log.h"
#include "mapping.h"
#include "receivers.h"
#include "tls.h"
#include "zonefile.h"

struct options {
	const char *config_path; /* NULL: built-in defaults */
	bool check_only;
	bool dump_config;
	bool dump_schema;
	bool version;
	bool help;
};

static void usage(FILE *out)
{
	fputs("usage: cadmond [-c FILE] [-n] [-d] [-s] [-V] [-h]\n"
	      "Watch 911 call events from CAD feeds and alert supervisors to premature hangups.\n"
	      "\n"
	      "  -c FILE  read the configuration from FILE (without -c: built-in defaults)\n"
	      "  -n       check the configuration, print \"configuration OK\" or every error, "
	      "exit\n"
	      "  -d       print the effective configuration as YAML, each key with the FILE:LINE\n"
	      "           that set it or \"default\", and exit (1 with the errors if it is "
	      "invalid)\n"
	      "  -s, --dump-schema\n"
	      "           print every configuration key, one a line: path, unit, reload (live or\n"
	      "           restart), default and meaning, tab-separated, and exit\n"
	      "  -V       print the version and exit\n"
	      "  -h       print this help and exit\n"
	      "\n"
	      "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the configuration file.\n"
	      "Exit status: 0 clean stop, 1 configuration error, 2 usage error,\n"
	      "             3 runtime failure (e.g. cannot listen on an address).\n",
	      out);
}

/* Returns 0, or -1 after printing what is wrong with the command line. */
static int parse_options(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = { { "dump-schema", no_argument, NULL, 's' },
						      { NULL, 0, NULL, 0 } };
	int option;

	while ((option = getopt_long(argc, argv, "c:ndsVh", long_options, NULL)) != -1) {
		switch (option) {
		case 'c':
			options->config_path = optarg;
			break;
		case 'n':
			options->check_only = true;
			break;
		case 'd':
			options->dump_config = true;
			break;
		case 's':
			options->dump_schema = true;
			break;
		case 'V':
			options->version = true;
			break;
		case 'h':
			options->help = true;
			break;
		default: /* getopt printed the problem */
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cadmond: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* -n prints the errors as they are, one per line, for the person checking the file. */
static void print_config_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count && i < CONFIG_MAX_ERRORS; i++)
		fprintf(stderr, "%s\n", errors->message[i]);
	if (errors->dropped > 0)
		fprintf(stderr, "... and %zu more errors\n", errors->dropped);
}

/* Built-in defaults without a file; the file's settings otherwise; and their tokens. */
static int load_config(const struct options *options, struct config *config,
		       struct auth_tokens *tokens)
{
	struct config_errors errors;

	if (cadmond_load_config(options->config_path, config, tokens, &errors) == 0)
		return 0;
	if (options->check_only)
		print_config_errors(&errors);
	else
		cadmond_log_config_errors(&errors);
	return -1;
}

/* -n: with a TLS port, the tls files must load as they would at start. 0, or -1 printed. */
static int check_tls_files(const struct config *config)
{
	struct tls_context *context;
	char why[1024];

	if (!tls_wanted(config))
		return 0;
	if (!(context = tls_context_new(config, why, sizeof why))) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	tls_context_free(context);
	return 0;
}

/* -n: one mapping's time zone loads as it would at start (label names it). 0, or -1 printed. */
static int check_mapping_zone(const struct config_mapping *mapping, const char *label)
{
	struct zone *zone = NULL;
	char why[1024];

	if (zonefile_for_mapping(mapping, cadmond_read_file, &zone, why, sizeof why) < 0) {
		fprintf(stderr, "%s %s: %s\n", label, mapping->name, why);
		return -1;
	}
	free(zone);
	return 0;
}

/* -n: the time zone of feed.mapping and of each mapping with listen addresses must load as it
 * would at start. 0, or -1 printed. */
static int check_feed_mapping_zone(const struct config *config)
{
	const struct config_mapping *mapping = mapping_find(config, config->feed.mapping);
	char label[32];

	if (config->feed.mapping[0] && mapping && check_mapping_zone(mapping, "feed.mapping") < 0)
		return -1;
	for (size_t i = 0; i < config->mapping_count && i < CONFIG_MAX_MAPPINGS; i++) {
		if (config->mappings[i].listen.count == 0)
			continue;
		snprintf(label, sizeof label, "mappings[%zu]", i);
		if (check_mapping_zone(&config->mappings[i], label) < 0)
			return -1;
	}
	return 0;
}

/* -n: the files the start reads besides the tls ones and the zones (i3.public_keys, the
 * receivers' hmac_secret_file) must read as they would at start. 0, or -1 printed. */
static int check_key_files(const struct config *config)
{
	char why[1024];

	if ((config->i3.enabled && !i3_server_check_keys(config, why, sizeof why)) ||
	    receivers_check_secrets(config, why, sizeof why) < 0) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	return 0;
}

/* -d: the effective configuration on stdout, or the errors on stderr. */
static int dump_config(const struct options *options)
{
	struct config_errors errors;
	char *text = cadmond_dump_config(options->config_path, &errors);

	if (!text) {
		print_config_errors(&errors);
		return CADMOND_EXIT_CONFIG;
	}
	fputs(text, stdout);
	free(text);
	return CADMOND_EXIT_OK;
}

/* "-" for what a key has not (a section's unit, reload and default). */
static const char *or_dash(const char *text)
{
	return text ? text : "-";
}

/* The default: the value, the fallback of a list of mappings, "required" or "-" (none). */
static const char *schema_default(const struct config_key_info *key)
{
	if (key->value && key->value[0])
		return key->value;
	if (key->fallback)
		return key->fallback;
	return key->required ? "required" : "-";
}

static void print_schema_key(void *ctx, const struct config_key_info *key)
{
	(void)ctx;
	printf("%s\t%s\t%s\t%s\t%s\n", key->path, or_dash(key->unit), or_dash(key->reload),
	       schema_default(key), key->doc ? key->doc : "");
}

/* -s: the schema, what docs/cadmon-yaml-man.py makes cadmon.yaml(5) from. */
static int dump_schema(void)
{
	if (config_keys(print_schema_key, NULL) == 0) {
		fputs("cadmond: out of memory\n", stderr);
		return CADMOND_EXIT_RUNTIME;
	}
	return fflush(stdout) == 0 ? CADMOND_EXIT_OK : CADMOND_EXIT_RUNTIME;
}

static int run_daemon(const struct config *config, const struct auth_tokens *tokens,
		      const char *config_path)
{
	char why[1024];
	struct cadmond *cadmond = cadmond_new(config, tokens, config_path, why, sizeof why);
	int status;

	if (!cadmond) {
		log_msg(LOG_ERR, "%s", why);
		return CADMOND_EXIT_RUNTIME;
	}
	status = cadmond_run(cadmond);
	cadmond_free(cadmond);
	return status;
}

int main(int argc, char **argv)
{
	struct options options = { 0 };
	struct config config;
	struct auth_tokens tokens;
	int status;

	if (parse_options(argc, argv, &options) < 0)
		return CADMOND_EXIT_USAGE;
	if (options.help) {
		usage(stdout);
		return CADMOND_EXIT_OK;
	}
	if (options.version) {
		puts("cadmond " CADMON_VERSION);
		return CADMOND_EXIT_OK;
	}
	if (options.dump_config)
		return dump_config(&options);
	if (options.dump_schema)
		return dump_schema();
	log_init(LOG_INFO);
	if (load_config(&options, &config, &tokens) < 0)
		return CADMOND_EXIT_CONFIG;
	if (options.check_only) {
		status = check_tls_files(&config) < 0 || check_feed_mapping_zone(&config) < 0 ||
					 check_key_files(&config) < 0
				 ? CADMOND_EXIT_CONFIG
				 : CADMOND_EXIT_OK;
		if (status == CADMOND_EXIT_OK)
			puts("configuration OK");
	} else {
		status = run_daemon(&config, &tokens, options.config_path);
	}
	auth_tokens_release(&tokens);
	return status;
}
