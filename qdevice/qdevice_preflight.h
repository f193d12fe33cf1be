/* corosync-qdevice-tool -P: the checks before pvecm qdevice setup (root SSH, commands on every host, stale node databases, nodes offline), as plain decisions over gathered facts (doc/diagnose.md §5). */
#ifndef QD_QDEVICE_PREFLIGHT_H
#define QD_QDEVICE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qdevice_diagnose.h"

/*
 * The script each host runs (through "ssh root@HOST", or here for this node): one line per
 * command, "have NAME" or "missing NAME", then "nssdb present" when the node database exists.
 */
#define QDEVICE_PREFLIGHT_NODE_SCRIPT                                                                          \
	"for c in corosync-qdevice corosync-qdevice-net-certutil; do "                                          \
	"if command -v $c >/dev/null 2>&1; then echo have $c; else echo missing $c; fi; done; "                  \
	"if [ -e /etc/corosync/qdevice/net/nssdb ]; then echo nssdb present; fi"
#define QDEVICE_PREFLIGHT_ARBITER_SCRIPT                                                                       \
	"for c in corosync-qnetd corosync-qnetd-certutil corosync-qnetd-tool; do "                              \
	"if command -v $c >/dev/null 2>&1; then echo have $c; else echo missing $c; fi; done"

/* One host and what running its script there gave. */
struct qdevice_preflight_host {
	char name[64];                  /* the node's name in the nodelist, or the arbiter as given */
	char address[64];               /* what ssh was given */
	bool local;                     /* this node: the script ran here, without ssh */
	bool ran;                       /* the command was started at all */
	bool timed_out;                 /* killed after its time limit */
	int exit_status;                /* ssh's (255: ssh itself failed), or the script's when local */
	char error[200];                /* the last line ssh wrote on stderr */
	char output[512];               /* what the script printed */
};

#define QDEVICE_PREFLIGHT_MAX_NODES 32

struct qdevice_preflight_input {
	char arbiter[256];
	bool cmap_read;
	char cmap_error[128];
	bool device_configured;         /* quorum.device.model is set */
	char device_host[256];          /* its quorum.device.net.host */
	size_t node_count;
	size_t nodes_not_checked;       /* beyond QDEVICE_PREFLIGHT_MAX_NODES */
	struct {
		uint32_t node_id;
		bool online;            /* a member of the current membership */
		struct qdevice_preflight_host host;
	} nodes[QDEVICE_PREFLIGHT_MAX_NODES];
	struct qdevice_preflight_host arbiter_host;
};

/* Runs every check, in the order of doc/diagnose.md §5. */
void qdevice_preflight(const struct qdevice_preflight_input *in, struct diag_report *out);

#endif
