/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-backtest: replay recorded feed lines (protocol v1, exactly what a CAD feed sends)
 * through libcadmon's engine, the daemon's own code, offline, and report the alerts that
 * would have fired: as text (alert lines, a per-operator table, totals), as one JSON document
 * (--json) and as a self-contained HTML report (--html FILE). Event time drives everything,
 * so the same files and configuration always give the same output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backtest.h"
#include "cadmon-version.h"
#include "cli.h"
#include "config.h"
#include "fdio.h"
#include "progress.h"
#include "report_html.h"
#include "report_json.h"
#include "report_text.h"
#include "small_file.h"
#include "zonefile.h"

#define BACKTEST_CONFIG_MAX_BYTES (1024u * 1024u) /* as cadmond reads it */
#define REJECTS_SHOWN 10                          /* rejected lines explained on stderr */
#define DEFAULT_MAX_REJECT_SHARE 0.5

enum exit_status {
	EXIT_OK = 0,
	EXIT_INPUT = 1, /* configuration or input error */
	EXIT_USAGE = 2,
	EXIT_REJECTED = 3, /* more than --max-reject-share of the records were rejected */
};

struct options {
	const char *config_path; /* NULL: built-in defaults */
	const char *html_path;   /* NULL: no HTML report */
	bool json;
	bool quiet;
	bool no_future_guard;
	const char *mapping_name; /* NULL: feed lines */
	double max_reject_share;  /* 0..1 */
	char **inputs;
	size_t input_count;
};

/* An input file, opened before anything is read so a typo fails at once. */
struct input {
	const char *name; /* as given; "-" is stdin */
	int fd;
	bool size_known;  /* a regular file */
	uint64_t size;
};

/* The run's state, handed to the backtest's hooks. */
struct run {
	const struct options *options;
	struct backtest *backtest;
	struct progress progress;
	uint64_t rejects_seen;
};

/* ---- options ----------------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cadmon-backtest [-c FILE] [--mapping NAME] [--max-reject-share SHARE] "
	      "[--json]\n"
	      "                       [--html FILE] [--quiet] [--no-future-guard] FILE...\n"
	      "Replay recorded cadmon feed lines (protocol v1, one JSON event per line) through\n"
	      "the same detection code as cadmond, offline, and report the alerts that would\n"
	      "have fired. Tune cadmon.yaml on your own history.\n"
	      "\n"
	      "  -c, --config FILE  the configuration to test (default: built-in defaults)\n"
	      "  --json             print one JSON document {\"alerts\", \"operators\", "
	      "\"totals\"}\n"
	      "                     instead of text\n"
	      "  --html FILE        also write a self-contained HTML report to FILE\n"
	      "  -m, --mapping NAME read records of the configuration's mapping NAME (CSV or\n"
	      "                     JSON lines of a vendor's layout, docs/mappings.md) instead\n"
	      "                     of feed lines\n"
	      "  --max-reject-share SHARE\n"
	      "                     exit 3 when more than SHARE (0 to 1, default 0.5) of the\n"
	      "                     records (non-blank lines) are rejected\n"
	      "  -q, --quiet        no progress display and no rejected-line details on stderr,\n"
	      "                     nor the summary unless the run fails (exit 3)\n"
	      "  --no-future-guard  accept events far ahead of the newest ts (the other sources'\n"
	      "                     and, once they have sent, the line's own source's)\n"
	      "                     (by default more than feed.max_future_seconds plus\n"
	      "                     tracker.max_source_lag_seconds ahead is rejected as\n"
	      "                     future, as cadmond does against its clock)\n"
	      "  -h, --help         print this help and exit\n"
	      "  -V, --version      print the version and exit\n"
	      "\n"
	      "The FILEs are read in order as one stream of events; \"-\" is standard input.\n"
	      "A line may name its CAD with a \"source\" field (1 to 64 bytes, no control\n"
	      "characters, as a hello's): its lines are judged as cadmond judges those of a\n"
	      "connection whose hello named it (its own clock, seq numbering, calls and\n"
	      "call-takers); a line naming an invalid one is rejected. A FILE's first line\n"
	      "may be a hello (as cadmon-sim --source writes): it names the source of the\n"
	      "FILE's lines that name none, and is not a record.\n"
	      "Text output: every alert line exactly as cadmond sends it to subscribers, then a\n"
	      "table per operator (most alerts first) and the totals.\n"
	      "After any rejected or skipped record, a summary on stderr: records read,\n"
	      "accepted, skipped (a mapping's unanswered calls, skip_when_empty), rejected by\n"
	      "reason.\n"
	      "Exit status: 0 done, 1 configuration or input error, 2 usage error, 3 more than\n"
	      "SHARE of the records rejected (the reports are written all the same).\n",
	      out);
}

enum { OPTION_JSON = 256, OPTION_HTML, OPTION_NO_FUTURE_GUARD, OPTION_MAX_REJECT_SHARE };

static const struct option long_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"json", no_argument, NULL, OPTION_JSON},
	{"html", required_argument, NULL, OPTION_HTML},
	{"no-future-guard", no_argument, NULL, OPTION_NO_FUTURE_GUARD},
	{"mapping", required_argument, NULL, 'm'},
	{"max-reject-share", required_argument, NULL, OPTION_MAX_REJECT_SHARE},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* A share from 0 to 1, as text ("0.5"). */
static bool parse_share(const char *text, double *share)
{
	char *end;

	errno = 0;
	*share = strtod(text, &end);
	return errno == 0 && end != text && *end == '\0' && *share >= 0.0 && *share <= 1.0;
}

/* Fill *options from argv; -1 to go on, or an exit status (0 after -h/-V, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct options *options)
{
	int option;

	*options = (struct options){.max_reject_share = DEFAULT_MAX_REJECT_SHARE};
	opterr = 0;
	while ((option = getopt_long(argc, argv, ":c:m:qhV", long_options, NULL)) != -1) {
		switch (option) {
		case 'c': options->config_path = optarg; break;
		case 'm': options->mapping_name = optarg; break;
		case OPTION_MAX_REJECT_SHARE:
			if (!parse_share(optarg, &options->max_reject_share))
				return cli_usage_error("--max-reject-share must be a number from 0 "
						       "to 1, not \"%s\"",
						       optarg);
			break;
		case OPTION_JSON: options->json = true; break;
		case OPTION_HTML: options->html_path = optarg; break;
		case OPTION_NO_FUTURE_GUARD: options->no_future_guard = true; break;
		case 'q': options->quiet = true; break;
		case 'h': print_usage(stdout); return EXIT_OK;
		case 'V': puts("cadmon-backtest " CADMON_VERSION); return EXIT_OK;
		default: return cli_option_error(option, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("no input FILE given (\"-\" reads standard input)");
	options->inputs = argv + optind;
	options->input_count = (size_t)(argc - optind);
	return -1;
}

/* ---- configuration ----------------------------------------------------------------------- */

static void print_config_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count && i < CONFIG_MAX_ERRORS; i++)
		fprintf(stderr, "cadmon-backtest: %s\n", errors->message[i]);
	if (errors->dropped > 0)
		fprintf(stderr, "cadmon-backtest: ... and %zu more errors\n", errors->dropped);
}

/* The built-in defaults, or the file's settings; every error printed as cadmond -n does, after
 * "cadmon-backtest: ". */
static int load_config(const char *path, struct config *config)
{
	struct config_errors errors = {0};
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!path) {
		config_set_defaults(config);
		return 0;
	}
	rc = small_file_read(path, BACKTEST_CONFIG_MAX_BYTES, &text, &len);
	if (rc == -EFBIG)
		fprintf(stderr, "cadmon-backtest: %s: larger than %u bytes\n", path,
			BACKTEST_CONFIG_MAX_BYTES);
	else if (rc < 0)
		fprintf(stderr, "cadmon-backtest: %s: cannot read: %s\n", path, strerror(-rc));
	if (rc < 0)
		return rc;
	rc = config_parse(text, len, path, config, &errors);
	free(text);
	if (rc < 0)
		print_config_errors(&errors);
	return rc;
}

/* ---- the mapping ------------------------------------------------------------------------- */

/* With --mapping: read the inputs as its records; 0 or -1 after saying why. */
static int use_mapping(struct backtest *backtest, const struct options *options,
		       const struct config *config)
{
	const struct config_mapping *mapping;
	struct zone *zone = NULL;
	char why[512];
	int rc;

	if (!options->mapping_name)
		return 0;
	mapping = mapping_find(config, options->mapping_name);
	if (!mapping) {
		fprintf(stderr, "cadmon-backtest: no mapping named \"%s\" in %s\n",
			options->mapping_name,
			options->config_path ? options->config_path
					     : "the built-in defaults (use -c FILE)");
		return -1;
	}
	rc = zonefile_for_mapping(mapping, small_file_read, &zone, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, "cadmon-backtest: mapping %s: %s\n", mapping->name, why);
	if (rc == 0 && backtest_set_mapping(backtest, mapping, zone) < 0) {
		fputs("cadmon-backtest: out of memory\n", stderr);
		rc = -1;
	}
	free(zone);
	return rc;
}

/* ---- inputs ------------------------------------------------------------------------------ */

static const char *input_label(const char *name)
{
	return strcmp(name, "-") == 0 ? "<stdin>" : name;
}

static int open_input(struct input *input, const char *name)
{
	struct stat st;

	input->name = name;
	input->fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
	if (input->fd < 0 || fstat(input->fd, &st) != 0) {
		fprintf(stderr, "cadmon-backtest: %s: cannot open: %s\n", name, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cadmon-backtest: %s: is a directory\n", name);
		return -1;
	}
	input->size_known = S_ISREG(st.st_mode);
	input->size = input->size_known ? (uint64_t)st.st_size : 0;
	return 0;
}

static void close_inputs(struct input *inputs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (inputs[i].fd > STDIN_FILENO)
			close(inputs[i].fd);
	free(inputs);
}

/* Open every input; NULL after printing why one cannot be opened. */
static struct input *open_inputs(const struct options *options)
{
	struct input *inputs = calloc(options->input_count, sizeof(*inputs));

	if (!inputs) {
		fputs("cadmon-backtest: out of memory\n", stderr);
		return NULL;
	}
	for (size_t i = 0; i < options->input_count; i++) {
		inputs[i].fd = -1;
		if (open_input(&inputs[i], options->inputs[i]) < 0) {
			close_inputs(inputs, i + 1);
			return NULL;
		}
	}
	return inputs;
}

/* Total bytes to read, or 0 when an input's size is unknown (a pipe). */
static uint64_t total_size(const struct input *inputs, size_t count)
{
	uint64_t total = 0;

	for (size_t i = 0; i < count; i++) {
		if (!inputs[i].size_known)
			return 0;
		total += inputs[i].size;
	}
	return total;
}

/* ---- the run's hooks --------------------------------------------------------------------- */

static void print_alert_line(const char *json, size_t len, void *ctx)
{
	struct run *run = ctx;

	if (run->options->json)
		return;
	progress_clear(&run->progress);
	fwrite(json, 1, len, stdout);
	fputc('\n', stdout);
}

/* Explain the first REJECTS_SHOWN rejected lines; the totals count all of them. */
static void print_reject(const char *input_name, uint64_t line_number, const char *reason,
			 const char *why, void *ctx)
{
	struct run *run = ctx;

	if (run->options->quiet || ++run->rejects_seen > REJECTS_SHOWN)
		return;
	progress_clear(&run->progress);
	fprintf(stderr, "cadmon-backtest: %s:%" PRIu64 ": %s: %s\n", input_label(input_name),
		line_number, reason, why);
}

static void show_progress(uint64_t bytes_read, void *ctx)
{
	struct run *run = ctx;

	progress_update(&run->progress, bytes_read, backtest_engine_stats(run->backtest)->lines);
}

/* ---- running and reporting --------------------------------------------------------------- */

/* Replay every input in order; 0 or -1 after printing why. */
static int replay_inputs(struct run *run, const struct input *inputs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint64_t bytes_before = backtest_input_stats(run->backtest)->bytes;
		int rc = backtest_run_fd(run->backtest, inputs[i].fd, inputs[i].name);
		progress_input_done(&run->progress,
				    backtest_input_stats(run->backtest)->bytes - bytes_before);
		if (rc == -ENOMEM) {
			progress_clear(&run->progress);
			fputs("cadmon-backtest: out of memory\n", stderr);
			return -1;
		}
		if (rc < 0) {
			progress_clear(&run->progress);
			fprintf(stderr, "cadmon-backtest: %s: cannot read: %s\n",
				input_label(inputs[i].name), strerror(-rc));
			return -1;
		}
	}
	progress_clear(&run->progress);
	if (run->rejects_seen > REJECTS_SHOWN)
		fprintf(stderr, "cadmon-backtest: %" PRIu64 " more rejected lines not shown\n",
			run->rejects_seen - REJECTS_SHOWN);
	return 0;
}

/* --html's file, opened before anything is printed: a path it cannot be written to fails the
 * run at once. Not truncated until the report is written (an earlier report stays if the run
 * fails). The descriptor, or -1 after saying why. */
static int open_html_report(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		fprintf(stderr, "cadmon-backtest: %s: cannot create: %s\n", path, strerror(errno));
	return fd;
}

/* The report built in memory, then written to fd with write(2): a failure says its errno
 * (ENOSPC, EIO), not stdio's buffered guess. */
static int write_html_report(const struct options *options, const struct backtest *backtest,
			     int fd)
{
	char *data = NULL;
	size_t len = 0;
	FILE *page = open_memstream(&data, &len);
	struct stat st;
	int rc = page ? 0 : -ENOMEM;

	if (page) {
		rc = report_html_write(page, backtest, (const char *const *)options->inputs,
				       options->input_count, options->config_path);
		if (fclose(page) != 0 && rc == 0)
			rc = -ENOMEM;
	}
	if (rc == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
		rc = -errno;
	if (rc == 0)
		rc = fdio_write_all(fd, data, len);
	free(data);
	if (rc < 0)
		fprintf(stderr, "cadmon-backtest: %s: cannot write the report: %s\n",
			options->html_path, strerror(-rc));
	return rc;
}

/* The report on stdout (text or JSON), then the HTML file (html_fd); 0 or -1 after printing
 * why. */
static int write_reports(const struct options *options, const struct backtest *backtest,
			 int html_fd)
{
	int rc = options->json ? report_json_write(stdout, backtest)
			       : report_text_write_summary(stdout, backtest);

	if (rc < 0) {
		fprintf(stderr, "cadmon-backtest: cannot build the report: %s\n", strerror(-rc));
		return -1;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cadmon-backtest: stdout: write error\n");
		return -1;
	}
	return html_fd >= 0 && write_html_report(options, backtest, html_fd) < 0 ? -1 : 0;
}

/* "invalid_json 3, bad_timestamp 1": every reason with a count, engine reasons first. */
static void print_reasons(const struct backtest_records *records)
{
	const char *separator = "";

	for (int reason = 1; reason < EVENT_REJECT_COUNT; reason++) {
		if (!records->by_event_reason[reason])
			continue;
		fprintf(stderr, "%s%s %" PRIu64, separator,
			event_reject_name((enum event_reject)reason),
			records->by_event_reason[reason]);
		separator = ", ";
	}
	for (int reason = MAPPING_REJECT_FIRST; reason < MAPPING_STATUS_COUNT; reason++) {
		if (!records->by_mapping_reason[reason])
			continue;
		fprintf(stderr, "%s%s %" PRIu64, separator,
			mapping_status_name((enum mapping_status)reason),
			records->by_mapping_reason[reason]);
		separator = ", ";
	}
}

/* True when more than the allowed share of the records were rejected. */
static bool too_many_rejected(const struct options *options, const struct backtest_records *records)
{
	return records->rejected > 0 &&
	       (double)records->rejected > options->max_reject_share * (double)records->read;
}

/* The summary of the records on stderr, after any rejected or skipped one (with --quiet only
 * when it fails the run); the exit status it makes. */
static int summarize_records(const struct options *options, const struct backtest *backtest)
{
	const struct backtest_records *records = backtest_records(backtest);
	bool failed = too_many_rejected(options, records);

	if ((records->rejected == 0 && records->skipped == 0) || (options->quiet && !failed))
		return EXIT_OK;
	fprintf(stderr, "cadmon-backtest: %" PRIu64 " records (non-blank lines) read",
		records->read);
	if (records->hellos > 0)
		fprintf(stderr, " (and %" PRIu64 " %s)", records->hellos,
			records->hellos == 1 ? "hello" : "hellos");
	fprintf(stderr, ", %" PRIu64 " accepted, ", records->accepted);
	if (records->skipped > 0)
		fprintf(stderr, "%" PRIu64 " skipped (unanswered), ", records->skipped);
	fprintf(stderr, "%" PRIu64 " rejected%s", records->rejected,
		records->rejected > 0 ? ": " : "");
	print_reasons(records);
	fputc('\n', stderr);
	if (!failed)
		return EXIT_OK;
	fprintf(stderr,
		"cadmon-backtest: %.1f%% of the records were rejected, more than "
		"--max-reject-share %g: %s\n",
		100.0 * (double)records->rejected / (double)records->read,
		options->max_reject_share,
		options->mapping_name
			? "does the mapping describe these records?"
			: "is the input feed lines (protocol v1), or does it need --mapping?");
	return EXIT_REJECTED;
}

/* Keep the alerts for --json and --html, the calls only for --html's timelines. */
static unsigned keep_for(const struct options *options)
{
	unsigned keep = 0;

	if (options->json || options->html_path)
		keep |= BACKTEST_KEEP_ALERTS;
	if (options->html_path)
		keep |= BACKTEST_KEEP_CALLS;
	return keep;
}

/* Open the inputs, replay them, report; the exit status. */
static int run_backtest(const struct options *options, const struct config *config)
{
	struct run run = {.options = options};
	const struct backtest_hooks hooks = {.on_alert_line = print_alert_line,
					     .on_reject = print_reject,
					     .on_progress = show_progress,
					     .ctx = &run};
	struct input *inputs = open_inputs(options);
	int status = EXIT_INPUT;
	int html_fd = -1;

	if (!inputs)
		return EXIT_INPUT;
	if (options->html_path && (html_fd = open_html_report(options->html_path)) < 0) {
		close_inputs(inputs, options->input_count);
		return EXIT_INPUT;
	}
	progress_init(&run.progress, stderr, !options->quiet && isatty(STDERR_FILENO),
		      total_size(inputs, options->input_count));
	run.backtest = backtest_new(config, keep_for(options), &hooks);
	if (!run.backtest) {
		fputs("cadmon-backtest: out of memory\n", stderr);
	} else {
		backtest_set_future_guard(run.backtest, !options->no_future_guard);
		if (use_mapping(run.backtest, options, config) == 0 &&
		    replay_inputs(&run, inputs, options->input_count) == 0) {
			backtest_finish(run.backtest);
			if (write_reports(options, run.backtest, html_fd) == 0)
				status = summarize_records(options, run.backtest);
		}
	}
	backtest_free(run.backtest);
	close_inputs(inputs, options->input_count);
	if (html_fd >= 0 && close(html_fd) < 0 && status != EXIT_INPUT) {
		fprintf(stderr, "cadmon-backtest: %s: cannot write the report: %s\n",
			options->html_path, strerror(errno));
		status = EXIT_INPUT;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct options options;
	struct config config;
	int status;

	cli_set_program("cadmon-backtest");
	status = parse_options(argc, argv, &options);
	if (status >= 0)
		return status;
	if (load_config(options.config_path, &config) < 0)
		return EXIT_INPUT;
	return run_backtest(&options, &config);
}
