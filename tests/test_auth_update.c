/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/* daemon/auth.c's tokens at a start and a reload, without the daemon: what the configuration's
 * check read is what auth_new and auth_update apply, however the tokens file changes between
 * (rev13 R1: a reload read the file three times, and a file emptied after the check opened a
 * listener beyond loopback). */
#include <errno.h>
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

#define TOKENS_TEMPLATE "/tmp/cadmon-auth-update-XXXXXX"
static char tokens_path[sizeof TOKENS_TEMPLATE];

/* A new empty tokens file at tokens_path. */
static void make_tokens_file(void)
{
	memcpy(tokens_path, TOKENS_TEMPLATE, sizeof TOKENS_TEMPLATE);
	int fd = mkstemp(tokens_path);
	assert_true(fd >= 0);
	close(fd);
}

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

static void read_tokens(const struct config *config, struct auth_tokens *tokens, size_t count)
{
	struct config_errors errors = { 0 };

	assert_int_equal(auth_tokens_read(config, tokens, &errors), 0);
	assert_int_equal(errors.count, 0);
	assert_int_equal(tokens->count, count);
	assert_int_equal(tokens->file_count, count);
}

static void test_what_the_check_read_is_applied(void **state)
{
	static struct config config;
	struct config_errors errors = { 0 };
	struct auth_tokens tokens;
	char why[512] = "";
	(void)state;

	make_tokens_file();
	write_tokens(FILE_TOKEN_LINE);
	parse("0.0.0.0:7401", &config);
	read_tokens(&config, &tokens, 1);
	assert_int_equal(auth_check_config(&config, &tokens, &errors), 0);

	/* emptied after the check: the start takes the token the check saw */
	write_tokens("# nobody\n");
	struct auth *auth = auth_new(&config, &tokens, why, sizeof why);
	assert_non_null(auth);
	assert_int_equal(auth_stats(auth)->tokens, 1);
	assert_true(auth_enabled(auth));
	auth_tokens_release(&tokens);
	assert_null(tokens.tokens);
	assert_int_equal(tokens.count, 0);

	/* a reload's check reads the emptied file: refused there, beyond loopback */
	read_tokens(&config, &tokens, 0);
	assert_int_equal(auth_check_config(&config, &tokens, &errors), -EINVAL);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.message[0],
			    "alerts.listen 0.0.0.0:7401 is not a loopback address: set "
			    "alerts.tls with tls.certificate and tls.key, and auth.tokens (or "
			    "listen on 127.0.0.1 / ::1)");
	auth_tokens_release(&tokens);

	/* a reload whose check read the token, the file emptied before the update: still 1 */
	write_tokens(FILE_TOKEN_LINE);
	read_tokens(&config, &tokens, 1);
	write_tokens("# nobody\n");
	assert_int_equal(auth_update(auth, &config, &tokens, why, sizeof why), 0);
	assert_int_equal(auth_stats(auth)->tokens, 1);
	auth_tokens_release(&tokens);

	/* nothing beyond loopback: 0 tokens is a choice, applied (and counted as a change) */
	parse("127.0.0.1:7401", &config);
	read_tokens(&config, &tokens, 0);
	memset(&errors, 0, sizeof errors);
	assert_int_equal(auth_check_config(&config, &tokens, &errors), 0);
	assert_int_equal(auth_update(auth, &config, &tokens, why, sizeof why), 1);
	assert_int_equal(auth_stats(auth)->tokens, 0);
	assert_false(auth_enabled(auth));
	auth_tokens_release(&tokens);
	auth_free(auth);
	unlink(tokens_path);
}

static void test_unreadable_file_said(void **state)
{
	static struct config config;
	struct config_errors errors = { 0 };
	struct auth_tokens tokens;
	char expected[CONFIG_ERROR_MAX];
	(void)state;

	make_tokens_file();
	parse("127.0.0.1:7401", &config);
	unlink(tokens_path);
	assert_int_equal(auth_tokens_read(&config, &tokens, &errors), -ENOENT);
	snprintf(expected, sizeof expected,
		 "%s: cannot read (auth.tokens_file): No such file or directory", tokens_path);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.message[0], expected);
	assert_null(tokens.tokens);
	assert_int_equal(tokens.count, 0);
	auth_tokens_release(&tokens);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_the_check_read_is_applied),
		cmocka_unit_test(test_unreadable_file_said),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
