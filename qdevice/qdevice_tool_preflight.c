/* corosync-qdevice-tool -P: gathers what the checks before pvecm qdevice setup need (cmap, and each host's answer over root SSH); nothing is changed anywhere. */
#define _GNU_SOURCE /* pipe2 */
#include "qdevice_tool_preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cmap.h>

/* One host's script: ssh's own connect timeout is 5 s; a host that hangs after that is cut here. */
#define HOST_LIMIT_MS 15000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Keeps the last non-empty line of what a stream wrote, and whether ssh's changed-key banner was among it. */
struct last_line {
	char buf[200];
	char cur[200];
	size_t cur_len;
	bool key_changed;
};

static void last_line_feed(struct last_line *l, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (l->cur_len + 1 < sizeof(l->cur))
				l->cur[l->cur_len++] = c;
			continue;
		}
		l->cur[l->cur_len] = '\0';
		if (strstr(l->cur, "REMOTE HOST IDENTIFICATION HAS CHANGED") != NULL)
			l->key_changed = true;
		if (l->cur_len > 0)
			snprintf(l->buf, sizeof(l->buf), "%s", l->cur);
		l->cur_len = 0;
	}
}

/* Runs argv with stdin from /dev/null, collecting stdout and stderr's last line, killed after HOST_LIMIT_MS. */
static void run_host(char *const argv[], struct qdevice_preflight_host *h)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return;
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	h->ran = true;
	close(out[1]);
	close(err[1]);
	struct last_line errline;
	memset(&errline, 0, sizeof(errline));
	size_t out_len = 0;
	uint64_t end = now_ms() + HOST_LIMIT_MS;
	struct pollfd p[2] = {{.fd = out[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		uint64_t now = now_ms();
		if (now >= end) {
			h->timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		int n = poll(p, 2, (int)(end - now));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2 && n > 0; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			char buf[1024];
			ssize_t got = read(p[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			if (i == 0) {
				size_t take = (size_t)got < sizeof(h->output) - 1 - out_len ? (size_t)got : sizeof(h->output) - 1 - out_len;
				memcpy(h->output + out_len, buf, take);
				out_len += take;
				h->output[out_len] = '\0';
			} else {
				last_line_feed(&errline, buf, (size_t)got);
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	h->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	last_line_feed(&errline, "\n", 1);
	snprintf(h->error, sizeof(h->error), "%s%.150s", errline.key_changed ? "REMOTE HOST IDENTIFICATION HAS CHANGED: " : "",
		 errline.buf);
}

/* The script on a host as pvecm would reach it: ssh -o BatchMode=yes -lroot ADDRESS. */
static void ssh_host(const char *address, const char *script, struct qdevice_preflight_host *h)
{
	const char *ssh = getenv("QDEVICE_TOOL_SSH");
	char *argv[] = {(char *)(ssh != NULL && ssh[0] != '\0' ? ssh : "ssh"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
			"-lroot", (char *)address, (char *)script, NULL};
	if (address != h->address)
		snprintf(h->address, sizeof(h->address), "%s", address);
	run_host(argv, h);
}

void qdevice_tool_cmap_string(cmap_handle_t c, const char *key, char *out, size_t len)
{
	char *v = NULL;
	out[0] = '\0';
	if (cmap_get_string(c, key, &v) == CS_OK && v != NULL)
		snprintf(out, len, "%s", v);
	free(v);
}

/* The nodelist and who is a member now. */
static void read_nodes(cmap_handle_t c, struct qdevice_preflight_input *in, uint32_t *this_node)
{
	if (cmap_get_uint32(c, "runtime.votequorum.this_node_id", this_node) != CS_OK)
		*this_node = 0;
	for (unsigned idx = 0; idx < 1024; idx++) {
		char key[128];
		uint32_t id;
		snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", idx);
		if (cmap_get_uint32(c, key, &id) != CS_OK) {
			char text[32];
			qdevice_tool_cmap_string(c, key, text, sizeof(text));
			if (text[0] == '\0')
				break;
			id = (uint32_t)strtoul(text, NULL, 10);
		}
		if (in->node_count == QDEVICE_PREFLIGHT_MAX_NODES) {
			in->nodes_not_checked++;
			continue;
		}
		__typeof__(in->nodes[0]) *n = &in->nodes[in->node_count++];
		n->node_id = id;
		snprintf(key, sizeof(key), "nodelist.node.%u.ring0_addr", idx);
		qdevice_tool_cmap_string(c, key, n->host.address, sizeof(n->host.address));
		snprintf(key, sizeof(key), "nodelist.node.%u.name", idx);
		qdevice_tool_cmap_string(c, key, n->host.name, sizeof(n->host.name));
		if (n->host.name[0] == '\0')
			snprintf(n->host.name, sizeof(n->host.name), "node %" PRIu32, id);
		char status[32];
		snprintf(key, sizeof(key), "runtime.members.%" PRIu32 ".status", id);
		qdevice_tool_cmap_string(c, key, status, sizeof(status));
		n->online = strcmp(status, "joined") == 0;
		n->host.local = id == *this_node;
	}
}

void qdevice_tool_preflight_gather(const char *arbiter, struct qdevice_preflight_input *in)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->arbiter, sizeof(in->arbiter), "%s", arbiter);
	cmap_handle_t c;
	cs_error_t e = cmap_initialize(&c);
	if (e != CS_OK) {
		snprintf(in->cmap_error, sizeof(in->cmap_error),
			 "corosync does not answer on cmap (error %d): the setup needs a running cluster", (int)e);
	} else {
		in->cmap_read = true;
		char model[32];
		qdevice_tool_cmap_string(c, "quorum.device.model", model, sizeof(model));
		in->device_configured = model[0] != '\0';
		qdevice_tool_cmap_string(c, "quorum.device.net.host", in->device_host, sizeof(in->device_host));
		uint32_t this_node;
		read_nodes(c, in, &this_node);
		cmap_finalize(c);
	}
	snprintf(in->arbiter_host.name, sizeof(in->arbiter_host.name), "%s", arbiter);
	ssh_host(arbiter, QDEVICE_PREFLIGHT_ARBITER_SCRIPT, &in->arbiter_host);
	for (size_t i = 0; i < in->node_count; i++) {
		struct qdevice_preflight_host *h = &in->nodes[i].host;
		if (h->address[0] == '\0')
			continue;
		ssh_host(h->address, QDEVICE_PREFLIGHT_NODE_SCRIPT, h);
	}
}
