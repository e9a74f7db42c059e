/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static const char *cli_program = "cadmon";

void cli_set_program(const char *name)
{
	cli_program = name;
}

int cli_usage_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fprintf(stderr, "%s: ", cli_program);
	vfprintf(stderr, format, args);
	fprintf(stderr, "\nTry '%s -h' for help.\n", cli_program);
	va_end(args);
	return CLI_EXIT_USAGE;
}

int cli_option_error(int option, char *const argv[])
{
	if (option == ':')
		return cli_usage_error("option \"%s\" needs a value", argv[optind - 1]);
	return cli_usage_error("unknown option \"%s\"", argv[optind - 1]);
}
