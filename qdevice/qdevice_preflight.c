/* corosync-qdevice-tool -P: the checks before pvecm qdevice setup, as plain decisions over gathered facts (doc/diagnose.md §5). */
#include "qdevice_preflight.h"

#include <stdio.h>
#include <string.h>

/* Appends ", item" (or the first item) to a list that is cut with "..." when full. */
static void list_add(char *buf, size_t cap, const char *item)
{
	diag_appendf(buf, cap, "%s%s", buf[0] != '\0' ? ", " : "", item);
}

/* The script's line "WORD NAME" for NAME is there. */
static bool output_has(const char *output, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = output; (p = strstr(p, line)) != NULL; p += len)
		if ((p == output || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

/* The host ran its script: ssh reached it (or it is this node) and the script ended normally. */
static bool host_answered(const struct qdevice_preflight_host *h)
{
	return h->ran && !h->timed_out && h->exit_status == 0;
}

enum ssh_verdict { SSH_OK, SSH_PASSWORD, SSH_NEW_HOST_KEY, SSH_FAILED };

/* What ssh's failure means for pvecm qdevice setup; *why gets the words for the line. */
static enum ssh_verdict ssh_judge(const struct qdevice_preflight_host *h, const char **why)
{
	const char *e = h->error;
	*why = "";
	if (host_answered(h))
		return SSH_OK;
	if (!h->ran) {
		*why = "ssh could not be started";
		return SSH_FAILED;
	}
	if (h->timed_out || strstr(e, "timed out") != NULL) {
		*why = "no answer (a firewall, or the host is down)";
		return SSH_FAILED;
	}
	if (strstr(e, "Connection refused") != NULL) {
		*why = "refused: no SSH server listens there";
		return SSH_FAILED;
	}
	if (strstr(e, "Could not resolve hostname") != NULL) {
		*why = "the name does not resolve";
		return SSH_FAILED;
	}
	if (strstr(e, "REMOTE HOST IDENTIFICATION HAS CHANGED") != NULL) {
		*why = "its host key changed (reinstalled?)";
		return SSH_FAILED;
	}
	if (strstr(e, "Host key verification failed") != NULL) {
		*why = "its host key is not known yet";
		return SSH_NEW_HOST_KEY;
	}
	const char *denied = strstr(e, "Permission denied (");
	if (denied != NULL) {
		if (strstr(denied, "password") != NULL || strstr(denied, "keyboard-interactive") != NULL) {
			*why = "root needs a password (no key is set up)";
			return SSH_PASSWORD;
		}
		*why = "root may not log in (no key accepted, passwords not allowed)";
		return SSH_FAILED;
	}
	if (h->exit_status != 255) {
		*why = "the command failed there";
		return SSH_FAILED;
	}
	*why = e[0] != '\0' ? e : "ssh failed";
	return SSH_FAILED;
}

static void check_nodes_online(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "nodes-online", DIAG_FAIL, "start corosync on this node (systemctl start corosync)",
				 "%s", in->cmap_error);
		return;
	}
	char off[256] = "";
	for (size_t i = 0; i < in->node_count; i++)
		if (!in->nodes[i].online)
			list_add(off, sizeof(off), in->nodes[i].host.name);
	if (off[0] != '\0') {
		diag_add(r, "nodes-online", DIAG_FAIL,
				 "start corosync on those nodes, or remove them from the cluster (pvecm delnode) before the setup",
				 "configured nodes not in the membership: %s (pvecm qdevice setup needs every member online)", off);
		return;
	}
	diag_add(r, "nodes-online", DIAG_OK, NULL, "all %zu configured nodes are members", in->node_count);
}

static void check_device_configured(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "device-configured", DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	if (in->device_configured) {
		diag_add(r, "device-configured", DIAG_WARN,
				 "pvecm qdevice remove first, or run the setup with --force",
				 "a quorum device is configured already (host %s): pvecm qdevice setup refuses without --force",
				 in->device_host[0] != '\0' ? in->device_host : "not set");
		return;
	}
	diag_add(r, "device-configured", DIAG_OK, NULL, "no quorum device is configured yet");
}

static void check_node_count(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "node-count", DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	size_t n = in->node_count;
	if (n % 2 == 0) {
		diag_add(r, "node-count", DIAG_OK, NULL,
				 "%zu nodes: the setup picks algorithm ffsplit with 1 vote for the device", n);
		return;
	}
	if (n == 1) {
		diag_add(r, "node-count", DIAG_WARN,
				 "after pvecm qdevice setup --force, add votes: 1 to the quorum { device { } } section and run corosync-cfgtool -R",
				 "1 node: the setup refuses without --force, and --force picks algorithm lms without votes, so the device gets nodes - 1 = 0 votes");
		return;
	}
	diag_add(r, "node-count", DIAG_WARN,
			 "run pvecm qdevice setup with --force if a device is wanted: an odd cluster already has no 50:50 split",
			 "%zu nodes: the setup refuses an odd node count without --force, which picks algorithm lms (the device gets %zu votes)",
			 n, n - 1);
}

static void check_ssh_arbiter(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	const struct qdevice_preflight_host *a = &in->arbiter_host;
	const char *why;
	switch (ssh_judge(a, &why)) {
	case SSH_OK:
		diag_add(r, "ssh-arbiter", DIAG_OK, NULL, "root@%s answers over SSH without a password", a->address);
		return;
	case SSH_PASSWORD:
		diag_add(r, "ssh-arbiter", DIAG_WARN,
				 "nothing to change if the password is at hand: the setup copies this node's key with ssh-copy-id first",
				 "root@%s: %s; pvecm qdevice setup asks for it once", a->address, why);
		return;
	case SSH_NEW_HOST_KEY:
		diag_add(r, "ssh-arbiter", DIAG_WARN, "ssh root@<arbiter> once and compare the key's fingerprint on the arbiter",
				 "root@%s: %s; the setup asks to accept it", a->address, why);
		return;
	case SSH_FAILED:
		break;
	}
	const char *fix = strstr(why, "host key changed") != NULL
				  ? "ssh-keygen -R <arbiter> on this node (only if the arbiter was reinstalled), then ssh root@<arbiter> once"
			  : strstr(why, "may not log in") != NULL
				  ? "on the arbiter, allow root to log in (PermitRootLogin in /etc/ssh/sshd_config) or put this node's key in /root/.ssh/authorized_keys"
				  : "install and start an SSH server on the arbiter (apt install openssh-server) and allow TCP port 22 from this node";
	diag_add(r, "ssh-arbiter", DIAG_FAIL, fix, "root@%s: %s%s%s", a->address, why,
			 a->error[0] != '\0' && strcmp(why, a->error) != 0 ? " - ssh: " : "",
			 a->error[0] != '\0' && strcmp(why, a->error) != 0 ? a->error : "");
}

/* The commands a host's script said are missing, as a list; false when it did not run. */
static bool missing_commands(const struct qdevice_preflight_host *h, const char *const *names, size_t count,
			     char *list, size_t cap)
{
	list[0] = '\0';
	if (!host_answered(h))
		return false;
	char line[96];
	for (size_t i = 0; i < count; i++) {
		snprintf(line, sizeof(line), "have %s", names[i]);
		if (!output_has(h->output, line))
			list_add(list, cap, names[i]);
	}
	return true;
}

static void check_arbiter_commands(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	static const char *const names[] = {"corosync-qnetd", "corosync-qnetd-certutil", "corosync-qnetd-tool"};
	char missing[200];
	if (!missing_commands(&in->arbiter_host, names, 3, missing, sizeof(missing))) {
		diag_add(r, "arbiter-commands", DIAG_SKIP, NULL,
				 "root SSH without a password to %s does not work yet (ssh-arbiter); check by hand: ssh root@%s command -v corosync-qnetd-certutil",
				 in->arbiter_host.address, in->arbiter_host.address);
		return;
	}
	if (missing[0] != '\0') {
		diag_add(r, "arbiter-commands", DIAG_FAIL, "apt install corosync-qnetd on the arbiter",
				 "%s lacks %s in root's PATH", in->arbiter_host.address, missing);
		return;
	}
	diag_add(r, "arbiter-commands", DIAG_OK, NULL, "%s has corosync-qnetd and its certutil",
			 in->arbiter_host.address);
}

static void check_ssh_nodes(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "ssh-nodes", DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	char bad[DIAG_TEXT_MAX - 160] = "";
	for (size_t i = 0; i < in->node_count; i++) {
		const struct qdevice_preflight_host *h = &in->nodes[i].host;
		const char *why;
		if (ssh_judge(h, &why) == SSH_OK)
			continue;
		char item[200];
		snprintf(item, sizeof(item), "%s (%s): %s", h->name, h->address, why);
		list_add(bad, sizeof(bad), item);
	}
	if (bad[0] != '\0') {
		diag_add(r, "ssh-nodes", DIAG_FAIL,
				 "make root SSH without a password work from this node to every member's cluster address (pvecm updatecerts on Proxmox VE)",
				 "pvecm qdevice setup runs its steps on every member over SSH (this node included), and these do not answer: %s", bad);
		return;
	}
	diag_add(r, "ssh-nodes", DIAG_OK, NULL, "root SSH without a password works to all %zu members",
			 in->node_count);
}

static void check_node_commands(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	static const char *const names[] = {"corosync-qdevice", "corosync-qdevice-net-certutil"};
	char bad[DIAG_TEXT_MAX - 160] = "", unknown[200] = "";
	for (size_t i = 0; in->cmap_read && i < in->node_count; i++) {
		const struct qdevice_preflight_host *h = &in->nodes[i].host;
		char missing[100];
		if (!missing_commands(h, names, 2, missing, sizeof(missing))) {
			list_add(unknown, sizeof(unknown), h->name);
			continue;
		}
		if (missing[0] == '\0')
			continue;
		char item[200];
		snprintf(item, sizeof(item), "%s lacks %s", h->name, missing);
		list_add(bad, sizeof(bad), item);
	}
	if (!in->cmap_read) {
		diag_add(r, "node-commands", DIAG_SKIP, NULL, "%s", in->cmap_error);
	} else if (bad[0] != '\0') {
		diag_add(r, "node-commands", DIAG_FAIL, "apt install corosync-qdevice on those nodes", "%s%s%s", bad,
				 unknown[0] != '\0' ? "; not checked (no SSH): " : "", unknown);
	} else if (unknown[0] != '\0') {
		diag_add(r, "node-commands", DIAG_SKIP, NULL, "not checked on %s (no SSH: ssh-nodes)", unknown);
	} else {
		diag_add(r, "node-commands", DIAG_OK, NULL, "every member has corosync-qdevice and its certutil");
	}
}

static void check_stale_nodedb(const struct qdevice_preflight_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "stale-nodedb", DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	char here[64] = "", others[200] = "", unknown[200] = "";
	for (size_t i = 0; i < in->node_count; i++) {
		const struct qdevice_preflight_host *h = &in->nodes[i].host;
		if (!host_answered(h)) {
			list_add(unknown, sizeof(unknown), h->name);
			continue;
		}
		if (!output_has(h->output, "nssdb present"))
			continue;
		if (h->local)
			snprintf(here, sizeof(here), "%s", h->name);
		else
			list_add(others, sizeof(others), h->name);
	}
	if (here[0] == '\0' && others[0] == '\0') {
		if (unknown[0] != '\0')
			diag_add(r, "stale-nodedb", DIAG_SKIP, NULL, "not checked on %s (no SSH: ssh-nodes)", unknown);
		else
			diag_add(r, "stale-nodedb", DIAG_OK, NULL, "no member has a node certificate database yet");
		return;
	}
	/* With a device configured the databases are in use, not stale; device-configured says so. */
	if (in->device_configured) {
		diag_add(r, "stale-nodedb", DIAG_OK, NULL,
				 "the members' node databases belong to the configured device (device-configured)");
		return;
	}
	char found[DIAG_TEXT_MAX - 160] = "";
	if (here[0] != '\0')
		snprintf(found, sizeof(found), "this node (%s) has /etc/corosync/qdevice/net/nssdb: the setup stops with \"QDevice certificate store already initialised\" unless --force%s",
			 here, others[0] != '\0' ? "; " : "");
	if (others[0] != '\0') {
		size_t used = strlen(found);
		snprintf(found + used, sizeof(found) - used,
			 "%s keep%s an old /etc/corosync/qdevice/net/nssdb: the setup ignores the failure to create it there, so %s keep%s the old CA and will not trust a new arbiter",
			 others, strchr(others, ',') != NULL ? "" : "s", strchr(others, ',') != NULL ? "they" : "it",
			 strchr(others, ',') != NULL ? "" : "s");
	}
	diag_add(r, "stale-nodedb", DIAG_FAIL,
			 "rm -rf /etc/corosync/qdevice/net/nssdb on those nodes (left by an earlier setup; pvecm qdevice remove deletes it)",
			 "%s", found);
}

void qdevice_preflight(const struct qdevice_preflight_input *in, struct diag_report *out)
{
	diag_report_init(out);
	check_nodes_online(in, out);
	check_device_configured(in, out);
	check_node_count(in, out);
	check_ssh_arbiter(in, out);
	check_arbiter_commands(in, out);
	check_ssh_nodes(in, out);
	check_node_commands(in, out);
	check_stale_nodedb(in, out);
}
