/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "html_escape.h"

#include <string.h>

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd"

static const char *entity_of(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\t':
	case '\n': return NULL;
	default: return c < 0x20 || c == 0x7f ? REPLACEMENT_CHARACTER : NULL;
	}
}

void html_escape_write_n(FILE *out, const char *text, size_t len)
{
	size_t plain_from = 0;

	for (size_t i = 0; i < len; i++) {
		const char *entity = entity_of((unsigned char)text[i]);
		if (!entity)
			continue;
		fwrite(text + plain_from, 1, i - plain_from, out);
		fputs(entity, out);
		plain_from = i + 1;
	}
	fwrite(text + plain_from, 1, len - plain_from, out);
}

void html_escape_write(FILE *out, const char *text)
{
	if (text)
		html_escape_write_n(out, text, strlen(text));
}
