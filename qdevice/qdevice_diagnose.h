/* corosync-qdevice-tool -D: the node's checks of why the quorum device may have no vote, as plain decisions over gathered facts (doc/diagnose.md). */
#ifndef QD_QDEVICE_DIAGNOSE_H
#define QD_QDEVICE_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strbuf.h"

enum qdevice_diag_state {
	QDEVICE_DIAG_OK = 0,
	QDEVICE_DIAG_WARN,
	QDEVICE_DIAG_FAIL,
	QDEVICE_DIAG_SKIP,
};

/* How a TCP connect to one of the arbiter's addresses ended. */
enum qdevice_diag_reach {
	QDEVICE_DIAG_REACH_OK = 0,
	QDEVICE_DIAG_REACH_TIMEOUT,         /* no answer at all: packets dropped */
	QDEVICE_DIAG_REACH_REFUSED,         /* RST: the host is there, nothing listens */
	QDEVICE_DIAG_REACH_UNREACHABLE,     /* ICMP unreachable or no route */
	QDEVICE_DIAG_REACH_OTHER,
};
enum qdevice_diag_reach qdevice_diag_reach_from_errno(int err);

#define QDEVICE_DIAG_MAX_ADDRS 8

/* What the tool gathered; every part may be missing (its flag false). */
struct qdevice_diag_input {
	bool daemon_answered;
	char daemon_error[128];                 /* why not, when not */
	const json_t *status;                   /* the daemon's JSON status, or NULL */

	bool cmap_read;                         /* corosync answered on cmap */
	char cmap_error[128];
	bool device_configured;                 /* quorum.device.model is set */
	char algorithm[16];                     /* quorum.device.net.algorithm ("" unset) */
	char host[256];                         /* quorum.device.net.host */
	uint16_t port;
	uint32_t node_count;                    /* nodes in the nodelist */
	bool two_node;                          /* quorum.two_node = 1 */
	bool votes_set;                         /* quorum.device.votes */
	uint32_t votes;

	bool resolved;                          /* host resolved (reachability was tried) */
	char resolve_error[128];
	size_t addr_count;
	struct {
		char text[64];                      /* "192.0.2.10", "[2001:db8::1]" */
		enum qdevice_diag_reach reach;
		int err;                            /* errno of the failure */
	} addrs[QDEVICE_DIAG_MAX_ADDRS];
	uint32_t connect_timeout_ms;
};

#define QDEVICE_DIAG_TEXT_MAX 320
struct qdevice_diag_result {
	const char *id;                         /* stable check id (doc/diagnose.md §2) */
	enum qdevice_diag_state state;
	char found[QDEVICE_DIAG_TEXT_MAX];
	char fix[QDEVICE_DIAG_TEXT_MAX];        /* "" unless WARN or FAIL */
};

#define QDEVICE_DIAG_CHECKS 6
struct qdevice_diag_report {
	struct qdevice_diag_result checks[QDEVICE_DIAG_CHECKS];
	size_t count;
};

/* Runs every check, in the order of doc/diagnose.md §2. */
void qdevice_diagnose(const struct qdevice_diag_input *in, struct qdevice_diag_report *out);
/* 0 when nothing is WARN or FAIL, 1 for a WARN, 2 for a FAIL. */
int qdevice_diag_exit_status(const struct qdevice_diag_report *r);
/* "OK", "WARN", "FAIL", "SKIP". */
const char *qdevice_diag_state_str(enum qdevice_diag_state s);
/* The text form: one line per check, an indented "fix:" line after WARN and FAIL. */
void qdevice_diag_format(const struct qdevice_diag_report *r, struct strbuf *out);
/* The JSON form (doc/diagnose.md §3); NULL when memory runs out. */
json_t *qdevice_diag_json(const struct qdevice_diag_report *r);

#endif
