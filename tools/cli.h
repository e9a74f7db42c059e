/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CLI_H
#define CADMON_CLI_H

/*
 * cli: what the command-line tools say the same way. A tool names itself once, first thing in
 * main (cli_set_program), and every usage error then reads "PROGRAM: MESSAGE" followed by
 * "Try 'PROGRAM -h' for help.", and exits with CLI_EXIT_USAGE.
 */

/* The exit status of a usage error, the same in every tool. */
#define CLI_EXIT_USAGE 2

/** Name the program in its messages ("cadmon-sim"); the string must outlive the program. */
void cli_set_program(const char *name);

/** Print the usage error format says on stderr, with the hint; returns CLI_EXIT_USAGE. */
__attribute__((format(printf, 1, 2)))
int cli_usage_error(const char *format, ...);

/**
 * The usage error for what getopt returned for argv[optind - 1]: ':' (its value is missing)
 * or anything else ('?', an unknown option). Returns CLI_EXIT_USAGE.
 */
int cli_option_error(int option, char *const argv[]);

#endif
