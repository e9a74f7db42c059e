/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "daemon_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_MAX_ARGS 16
#define HARNESS_CONFIG_MAX (64 * 1024)
#define HARNESS_HELLO_MAX 256
#define HARNESS_SOCKETS_MAX 8

const char *harness_cadmond_path(void)
{
	const char *path = getenv("CADMOND");

	return path && path[0] ? path : "cadmond";
}

int64_t harness_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec pause = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
		;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return address;
}

int harness_pick_ports(uint16_t *ports, size_t count)
{
	int fds[8];
	int rc = 0;
	size_t opened = 0;

	if (count > sizeof fds / sizeof fds[0])
		return -1;
	for (; opened < count; opened++) {
		struct sockaddr_in address = loopback(0);
		socklen_t len = sizeof address;

		fds[opened] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[opened] < 0 ||
		    bind(fds[opened], (struct sockaddr *)&address, sizeof address) < 0 ||
		    getsockname(fds[opened], (struct sockaddr *)&address, &len) < 0) {
			perror("harness: picking a free port");
			rc = -1;
			if (fds[opened] >= 0)
				opened++;
			break;
		}
		ports[opened] = ntohs(address.sin_port);
	}
	while (opened > 0)
		close(fds[--opened]);
	return rc;
}

int harness_temp_file(const char *what, char *path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !dir[0])
		dir = "/tmp";
	if (snprintf(path, PATH_MAX, "%s/cadmond-test-%s-XXXXXX", dir, what) >= PATH_MAX)
		return -1;
	fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "harness: mkstemp %s: %s\n", path, strerror(errno));
		path[0] = '\0';
		return -1;
	}
	close(fd);
	return 0;
}

int harness_temp_dir(const char *what, char *path)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !dir[0])
		dir = "/tmp";
	if (snprintf(path, PATH_MAX, "%s/cadmond-test-%s-XXXXXX", dir, what) >= PATH_MAX ||
	    !mkdtemp(path)) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", path, strerror(errno));
		path[0] = '\0';
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int harness_remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int harness_write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");
	int rc;

	if (!file)
		return -1;
	rc = fputs(text, file) < 0 ? -1 : 0;
	if (fclose(file) != 0)
		rc = -1;
	return rc;
}

char *harness_read_file(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, capacity = 0;

	if (!file)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > capacity) {
			char *grown = realloc(text, capacity = capacity * 2 + 8192);

			if (!grown) {
				free(text);
				fclose(file);
				return NULL;
			}
			text = grown;
		}
		size_t got = fread(text + len, 1, 4096, file);

		len += got;
		if (got == 0)
			break;
	}
	fclose(file);
	text[len] = '\0';
	return text;
}

int harness_write_config(struct harness *h, const struct harness_options *options)
{
	static const struct harness_options none;
	char feed_listen[512];
	char *text;
	int len, rc;

	if (!options)
		options = &none;
	/* All in one pick: ports picked in two calls may be the same (the kernel hands out a
	 * port the first call just released), and cadmond then fails to listen twice on it. */
	if (h->feed_port == 0 || h->http_port == 0) {
		uint16_t ports[3];
		size_t next = 0;

		if (harness_pick_ports(ports, 3) < 0)
			return -1;
		if (h->feed_port == 0) {
			if (ports[next] == h->http_port)
				next++; /* 3 distinct ports: two of them differ from it */
			h->feed_port = ports[next++];
			if (ports[next] == h->http_port)
				next++;
			h->alerts_port = ports[next++];
		}
		for (size_t i = 0; h->http_port == 0 && i < 3; i++)
			if (ports[i] != h->feed_port && ports[i] != h->alerts_port)
				h->http_port = ports[i];
	}
	if (!h->config_path[0] && harness_temp_file("config", h->config_path) < 0)
		return -1;
	text = malloc(HARNESS_CONFIG_MAX);
	if (!text)
		return -1;
	if (options->feed_listen)
		snprintf(feed_listen, sizeof feed_listen, "%s", options->feed_listen);
	else
		snprintf(feed_listen, sizeof feed_listen, "\"127.0.0.1:%u\"", h->feed_port);
	len = snprintf(text, HARNESS_CONFIG_MAX,
		       "feed:\n  listen: %s\n%s"
		       "alerts:\n  listen: \"127.0.0.1:%u\"\n%s"
		       "http:\n  listen: \"127.0.0.1:%u\"\n%s"
		       "%s",
		       feed_listen, options->feed_yaml ? options->feed_yaml : "", h->alerts_port,
		       options->alerts_yaml ? options->alerts_yaml : "", h->http_port,
		       options->http_yaml ? options->http_yaml : "",
		       options->extra_yaml ? options->extra_yaml : "");
	rc = len > 0 && len < HARNESS_CONFIG_MAX ? harness_write_file(h->config_path, text) : -1;
	free(text);
	return rc;
}

/* How a child is started beyond its arguments. */
struct spawn_options {
	bool journal;                         /* stderr looks like the journal stream */
	const char *state_dir;                /* $STATE_DIRECTORY */
	const struct harness_socket *sockets; /* passed as systemd's socket activation does */
	size_t socket_count;
	const char *const *environment;       /* "NAME=VALUE"..., NULL-terminated; or NULL */
};

/* In the child: set each "NAME=VALUE" of environment. 0 or -1. */
static int set_environment(const char *const *environment)
{
	char name[256];

	for (size_t i = 0; environment && environment[i]; i++) {
		const char *equals = strchr(environment[i], '=');

		if (!equals || (size_t)(equals - environment[i]) >= sizeof name)
			return -1;
		memcpy(name, environment[i], (size_t)(equals - environment[i]));
		name[equals - environment[i]] = '\0';
		if (setenv(name, equals + 1, 1) < 0)
			return -1;
	}
	return 0;
}

/* In the child: pass the sockets as fds 3, 4, ... (first moved out of the way, since the
 * capture files may sit there) with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES. 0 or -1. */
static int pass_sockets(const struct harness_socket *sockets, size_t count)
{
	char names[HARNESS_SOCKETS_MAX * 32] = "", number[32];
	int moved[HARNESS_SOCKETS_MAX];

	if (count > HARNESS_SOCKETS_MAX)
		return -1;
	for (size_t i = 0; i < count; i++)
		if ((moved[i] = fcntl(sockets[i].fd, F_DUPFD, 3 + HARNESS_SOCKETS_MAX)) < 0)
			return -1;
	for (size_t i = 0; i < count; i++) {
		if (dup2(moved[i], 3 + (int)i) < 0 || fcntl(3 + (int)i, F_SETFD, 0) < 0)
			return -1;
		close(moved[i]);
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ":" : "",
			 sockets[i].name);
	}
	snprintf(number, sizeof number, "%d", (int)getpid());
	setenv("LISTEN_PID", number, 1);
	snprintf(number, sizeof number, "%zu", count);
	setenv("LISTEN_FDS", number, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	return 0;
}

/* In the child: stdin from /dev/null, stdout and stderr to the capture files, die with the
 * parent, no systemd environment but the sockets asked for, then exec. Never returns. */
static void exec_child(const char *const argv[], const char *out_path, const char *err_path,
		       pid_t parent, const struct spawn_options *options)
{
	bool journal = options->journal;
	struct stat err_stat;
	char stream[64];

	int null_fd = open("/dev/null", O_RDONLY);
	int out_fd = open(out_path, O_WRONLY | O_TRUNC | O_APPEND);
	int err_fd = open(err_path, O_WRONLY | O_TRUNC | O_APPEND);

	if (null_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("JOURNAL_STREAM");
	if (journal && fstat(STDERR_FILENO, &err_stat) == 0) {
		snprintf(stream, sizeof stream, "%llu:%llu", (unsigned long long)err_stat.st_dev,
			 (unsigned long long)err_stat.st_ino);
		setenv("JOURNAL_STREAM", stream, 1);
	}
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (options->state_dir)
		setenv("STATE_DIRECTORY", options->state_dir, 1);
	else
		unsetenv("STATE_DIRECTORY");
	if ((options->socket_count > 0 &&
	     pass_sockets(options->sockets, options->socket_count) < 0) ||
	    set_environment(options->environment) < 0)
		_exit(126);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(const char *const args[], const char *out_path, const char *err_path,
		   const struct spawn_options *options)
{
	const char *argv[HARNESS_MAX_ARGS + 2] = { harness_cadmond_path() };
	pid_t parent = getpid();
	pid_t pid;
	size_t n = 0;

	while (args[n] && n < HARNESS_MAX_ARGS) {
		argv[n + 1] = args[n];
		n++;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		perror("harness: fork");
	if (pid == 0)
		exec_child(argv, out_path, err_path, parent, options);
	return pid;
}

static int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Wait up to timeout_ms for pid; its decoded status, or -1 after killing it. */
static int wait_or_kill(pid_t pid, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (done == pid)
			return decode_status(status);
		if (done < 0 && errno != EINTR)
			return -1;
		if (harness_now_ms() >= deadline)
			break;
		sleep_ms(10);
	}
	fprintf(stderr, "harness: cadmond (pid %d) still running after %d ms: killing it\n",
		(int)pid, timeout_ms);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int run(const char *const args[], int timeout_ms, bool journal,
	       struct harness_result *result)
{
	char out_path[PATH_MAX], err_path[PATH_MAX], state_dir[PATH_MAX];
	const struct spawn_options options = { .journal = journal, .state_dir = state_dir };
	pid_t pid;
	int rc = -1;

	memset(result, 0, sizeof *result);
	result->status = -1;
	if (harness_temp_dir("state", state_dir) < 0)
		return -1;
	if (harness_temp_file("stdout", out_path) < 0) {
		harness_remove_tree(state_dir);
		return -1;
	}
	if (harness_temp_file("stderr", err_path) == 0) {
		pid = spawn(args, out_path, err_path, &options);
		if (pid > 0) {
			result->status = wait_or_kill(pid, timeout_ms);
			result->out = harness_read_file(out_path);
			result->err = harness_read_file(err_path);
			rc = result->out && result->err ? 0 : -1;
		}
		unlink(err_path);
	}
	unlink(out_path);
	harness_remove_tree(state_dir);
	return rc;
}

int harness_run(const char *const args[], int timeout_ms, struct harness_result *result)
{
	return run(args, timeout_ms, false, result);
}

int harness_run_journal(const char *const args[], int timeout_ms, struct harness_result *result)
{
	return run(args, timeout_ms, true, result);
}

void harness_result_free(struct harness_result *result)
{
	free(result->out);
	free(result->err);
	result->out = result->err = NULL;
}

int harness_connect(uint16_t port)
{
	struct sockaddr_in address = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int harness_connect_to(const char *ip, uint16_t port)
{
	struct sockaddr_storage address = { 0 };
	struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
	socklen_t len;
	int fd, error;

	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		len = sizeof *v4;
	} else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		len = sizeof *v6;
	} else {
		errno = EINVAL;
		return -1;
	}
	fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, len) < 0) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

int harness_connect_feed(const struct harness *h)
{
	return harness_connect(h->feed_port);
}

int harness_connect_subscriber(const struct harness *h)
{
	return harness_connect(h->alerts_port);
}

/* One readiness probe: the feed port accepts, then a subscriber gets its hello line. */
static bool probe_ready(const struct harness *h)
{
	char hello[HARNESS_HELLO_MAX];
	int fd = harness_connect_feed(h);
	bool ready;

	if (fd < 0)
		return false;
	close(fd);
	fd = harness_connect_subscriber(h);
	if (fd < 0)
		return false;
	if (h->alerts_tls) { /* the hello comes after a handshake: accepting is enough */
		close(fd);
		return true;
	}
	ready = harness_read_line(fd, hello, sizeof hello, HARNESS_START_TIMEOUT_MS) > 0;
	close(fd);
	return ready;
}

static int wait_until_ready(struct harness *h)
{
	int64_t deadline = harness_now_ms() + HARNESS_START_TIMEOUT_MS;

	while (harness_now_ms() < deadline) {
		if (!harness_running(h)) {
			fprintf(stderr, "harness: cadmond exited during start-up\n");
			return -1;
		}
		if (probe_ready(h))
			return 0;
		sleep_ms(HARNESS_POLL_INTERVAL_MS);
	}
	fprintf(stderr, "harness: cadmond not ready within %d ms\n", HARNESS_START_TIMEOUT_MS);
	return -1;
}

/* Show what the daemon said, for a test that is about to fail. */
static void dump_stderr(const struct harness *h)
{
	char *text = harness_stderr(h);

	fprintf(stderr, "harness: cadmond stderr:\n%s", text ? text : "(unreadable)\n");
	free(text);
}

/* harness_start() with the sockets and environment of spawn_options. */
static int start(struct harness *h, const struct harness_options *options,
		 struct spawn_options spawn_options)
{
	const char *args[] = { "-c", h->config_path, NULL };
	size_t count = spawn_options.socket_count;

	if (!h->state_dir[0] && harness_temp_dir("state", h->state_dir) == 0)
		h->own_state_dir = true;
	if (count > HARNESS_SOCKETS_MAX || harness_write_config(h, options) < 0 ||
	    (!h->stderr_path[0] && harness_temp_file("stderr", h->stderr_path) < 0) ||
	    !h->state_dir[0])
		return -1;
	spawn_options.state_dir = h->state_dir;
	h->alerts_tls = options && options->alerts_tls;
	h->pid = spawn(args, "/dev/null", h->stderr_path, &spawn_options);
	if (h->pid <= 0) {
		h->pid = 0;
		return -1;
	}
	if (wait_until_ready(h) < 0) {
		dump_stderr(h);
		return -1;
	}
	return 0;
}

int harness_start_activated(struct harness *h, const struct harness_options *options,
			    const struct harness_socket *sockets, size_t count)
{
	return start(h, options,
		     (struct spawn_options){ .sockets = sockets, .socket_count = count });
}

int harness_start_with_environment(struct harness *h, const struct harness_options *options,
				   const char *const *environment)
{
	return start(h, options, (struct spawn_options){ .environment = environment });
}

int harness_start(struct harness *h, const struct harness_options *options)
{
	return start(h, options, (struct spawn_options){ 0 });
}

int harness_signal(struct harness *h, int signal_number)
{
	return h->pid > 0 ? kill(h->pid, signal_number) : -1;
}

int harness_pause(struct harness *h)
{
	int64_t deadline = harness_now_ms() + HARNESS_STOP_TIMEOUT_MS;
	int status;

	if (h->pid <= 0 || kill(h->pid, SIGSTOP) < 0)
		return -1;
	while (harness_now_ms() < deadline) {
		pid_t changed = waitpid(h->pid, &status, WUNTRACED | WNOHANG);

		if (changed == h->pid)
			return WIFSTOPPED(status) ? 0 : -1;
		if (changed < 0 && errno != EINTR)
			return -1;
		sleep_ms(1);
	}
	return -1;
}

int harness_resume(struct harness *h)
{
	return harness_signal(h, SIGCONT);
}

bool harness_running(struct harness *h)
{
	int status;

	if (h->pid <= 0)
		return false;
	if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
		fprintf(stderr, "harness: cadmond exited with status %d\n", decode_status(status));
		h->pid = 0;
		if (decode_status(status) != 0)
			dump_stderr(h);
		return false;
	}
	return true;
}

int harness_stop(struct harness *h)
{
	int64_t start = harness_now_ms();
	int status;

	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGTERM);
	kill(h->pid, SIGCONT); /* in case a test stopped it: SIGTERM is then delivered */
	status = wait_or_kill(h->pid, HARNESS_STOP_TIMEOUT_MS);
	h->pid = 0;
	h->stop_ms = harness_now_ms() - start;
	if (status != 0)
		dump_stderr(h);
	return status;
}

void harness_cleanup(struct harness *h)
{
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}
	if (h->config_path[0])
		unlink(h->config_path);
	if (h->stderr_path[0])
		unlink(h->stderr_path);
	if (h->own_state_dir)
		harness_remove_tree(h->state_dir);
	h->config_path[0] = h->stderr_path[0] = '\0';
	h->state_dir[0] = '\0';
	h->own_state_dir = false;
}

char *harness_stderr(const struct harness *h)
{
	return harness_read_file(h->stderr_path);
}

bool harness_wait_for_log(const struct harness *h, const char *needle, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		char *text = harness_stderr(h);
		bool found = text && strstr(text, needle);

		free(text);
		if (found)
			return true;
		if (harness_now_ms() >= deadline)
			return false;
		sleep_ms(HARNESS_POLL_INTERVAL_MS);
	}
}

/* Wait until fd is ready for events; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - harness_now_ms();
		struct pollfd watch = { .fd = fd, .events = events };
		int ready;

		if (left <= 0)
			return 0;
		ready = poll(&watch, 1, (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		return ready < 0 ? -1 : ready > 0;
	}
}

int harness_send_bytes(int fd, const void *data, size_t len)
{
	int64_t deadline = harness_now_ms() + HARNESS_STOP_TIMEOUT_MS;
	const char *next = data;

	while (len > 0) {
		ssize_t sent;

		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return -1;
		sent = send(fd, next, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (sent < 0)
			return -1;
		next += sent;
		len -= (size_t)sent;
	}
	return 0;
}

int harness_send(int fd, const char *text)
{
	return harness_send_bytes(fd, text, strlen(text));
}

ssize_t harness_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t have = 0;

	while (have + 1 < size) {
		int ready = wait_fd(fd, POLLIN, deadline);
		ssize_t peeked;
		const char *newline;
		size_t take;

		if (ready <= 0)
			return ready == 0 ? -ETIMEDOUT : -errno;
		/* Peek, then take only up to the end of the line: the next line stays queued. */
		peeked = recv(fd, buf + have, size - 1 - have, MSG_PEEK | MSG_DONTWAIT);
		if (peeked < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (peeked <= 0)
			return peeked == 0 ? -EPIPE : -errno;
		newline = memchr(buf + have, '\n', (size_t)peeked);
		take = newline ? (size_t)(newline - (buf + have)) + 1 : (size_t)peeked;
		if (recv(fd, buf + have, take, MSG_DONTWAIT) != (ssize_t)take)
			return -EIO;
		have += take;
		if (newline) {
			buf[have - 1] = '\0';
			return (ssize_t)(have - 1);
		}
	}
	return -EMSGSIZE;
}

bool harness_wait_eof(int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	char discard[65536];

	for (;;) {
		int ready = wait_fd(fd, POLLIN, deadline);
		ssize_t got;

		if (ready <= 0)
			return false;
		got = recv(fd, discard, sizeof discard, MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno == ECONNRESET))
			return true;
		if (got < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
	}
}
