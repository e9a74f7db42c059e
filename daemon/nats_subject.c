/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "nats_subject.h"

#include <stdio.h>

void nats_subject_agency_token(const char *agency, char *out, size_t size)
{
	size_t used = 0;

	if (!agency || !agency[0]) {
		snprintf(out, size, "_none");
		return;
	}
	for (const char *c = agency; *c && used + 1 < size; c++)
		out[used++] = ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '.' || *c == '*' ||
			       *c == '>')
				      ? '_'
				      : *c;
	out[used] = '\0';
}
