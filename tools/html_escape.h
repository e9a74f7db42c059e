/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_HTML_ESCAPE_H
#define CADMON_HTML_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/** Write text as HTML text or attribute content: & < > " ' escaped, control characters
 * other than tab and newline shown as U+FFFD. NULL writes nothing. */
void html_escape_write(FILE *out, const char *text);

/** The same for len bytes of text (which may hold NUL bytes). */
void html_escape_write_n(FILE *out, const char *text, size_t len);

#endif
