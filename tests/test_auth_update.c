/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* daemon/auth.c's auth_update at a reload, without the daemon: a tokens file emptied after the
 * reload's check read it is refused while a listener beyond loopback needs tokens (rev13 R1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"

/* sha256("file-token-000001") */
#define FILE_TOKEN_LINE                                                                        \
	"6CD0E55E73E7AF0700703911D702EF5BD767EBD64BD1D125B1E5AF8FD6993E2F viewer wall-2\n"

static char tokens_path[] = "/tmp/cadmon-auth-update-XXXXXX";

static void write_tokens(const char *text)
{
	FILE *file = fopen(tokens_path, "w");

	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

static void parse(const char *alerts_listen, struct config *config)
{
	char yaml[512];
	struct config_errors errors = { 0 };

	snprintf(yaml, sizeof yaml,
		 "tls: {certificate: /c.pem, key: /k.pem}\n"
		 "alerts: {listen: [\"%s\"], tls: true}\n"
		 "auth: {tokens_file: %s}\n",
		 alerts_listen, tokens_path);
	assert_int_equal(config_parse(yaml, strlen(yaml), "cadmon.yaml", config, &errors), 0);
}

static void test_emptied_file_refused_when_tokens_required(void **state)
{
	static struct config config;
	char why[512] = "";
	(void)state;

	int fd = mkstemp(tokens_path);
	assert_true(fd >= 0);
	close(fd);
	write_tokens(FILE_TOKEN_LINE);
	parse("0.0.0.0:7401", &config);
	assert_true(auth_config_needs_tokens(&config));
	struct auth *auth = auth_new(&config, why, sizeof why);
	assert_non_null(auth);
	assert_int_equal(auth_stats(auth)->tokens, 1);

	/* emptied after the check: refused, the running token kept */
	write_tokens("# nobody\n");
	assert_int_equal(auth_update(auth, &config, true, why, sizeof why), -1);
	assert_string_equal(why, "auth: no token left (auth.tokens_file read again), but a "
				 "listener beyond loopback needs one");
	assert_int_equal(auth_stats(auth)->tokens, 1);
	assert_true(auth_enabled(auth));

	/* nothing beyond loopback: 0 tokens is a choice, applied */
	parse("127.0.0.1:7401", &config);
	assert_false(auth_config_needs_tokens(&config));
	assert_int_equal(auth_update(auth, &config, false, why, sizeof why), 1);
	assert_int_equal(auth_stats(auth)->tokens, 0);
	assert_false(auth_enabled(auth));
	auth_free(auth);
	unlink(tokens_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emptied_file_refused_when_tokens_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
