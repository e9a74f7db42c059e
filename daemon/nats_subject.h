/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_NATS_SUBJECT_H
#define CADMOND_NATS_SUBJECT_H

#include <stddef.h>

/*
 * The subject token an agency is published under (docs/scale-out.md), shared by cadmond's
 * alerts and cadmon-publish's events: the agency with '.', '*', '>', spaces and control
 * characters replaced by '_' (truncated to size - 1 bytes), "_none" when it is empty or NULL.
 */
void nats_subject_agency_token(const char *agency, char *out, size_t size);

#endif
