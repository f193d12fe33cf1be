/* corosync-qdevice-tool -D: the node's checks of why the quorum device may have no vote, as plain decisions over gathered facts (doc/diagnose.md). */
#ifndef QD_QDEVICE_DIAGNOSE_H
#define QD_QDEVICE_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diag.h"


/* How a TCP connect to one of the arbiter's addresses ended. */
enum qdevice_diag_reach {
	QDEVICE_DIAG_REACH_OK = 0,
	QDEVICE_DIAG_REACH_TIMEOUT,         /* no answer at all: packets dropped */
	QDEVICE_DIAG_REACH_REFUSED,         /* RST: the host is there, nothing listens */
	QDEVICE_DIAG_REACH_UNREACHABLE,     /* ICMP unreachable or no route */
	QDEVICE_DIAG_REACH_OTHER,
};
enum qdevice_diag_reach qdevice_diag_reach_from_errno(int err);
/* quorum.device.net.tls as corosync-qdevice reads it ("" is unset): PROTO_TLS_*, or -1 for a value it refuses. */
int qdevice_diag_configured_tls(const char *tls);

#define QDEVICE_DIAG_MAX_ADDRS 8

/* A certificate as the checks see it; times in seconds since the epoch. */
struct qdevice_diag_cert {
	bool present;
	char subject[160];                      /* "CN=Qnetd Server" */
	char issuer[160];
	char common_name[96];
	int64_t not_before;
	int64_t not_after;
	char sha256[65];                        /* of the DER encoding, lower-case hex */
};

/* The server certificate against this node's database, dates aside (cert-validity judges those). */
enum qdevice_diag_verify {
	QDEVICE_DIAG_VERIFY_NOT_TRIED = 0,
	QDEVICE_DIAG_VERIFY_OK,                 /* chains to a CA of the database, for "Qnetd Server" */
	QDEVICE_DIAG_VERIFY_UNKNOWN_ISSUER,     /* no CA of the database issued it */
	QDEVICE_DIAG_VERIFY_BAD_NAME,           /* issued by our CA, but not for "Qnetd Server" */
	QDEVICE_DIAG_VERIFY_REUSED_CA,          /* the server sent a CA with our CA's issuer and serial, other contents */
	QDEVICE_DIAG_VERIFY_OTHER,
};

/*
 * What the probe of one address learnt (doc/diagnose.md §4): connect, PREINIT, PREINIT_REPLY,
 * STARTTLS, the TLS handshake with this node's certificate, closed before INIT.
 */
struct qdevice_diag_probe {
	bool preinit_reply;                     /* the server answered PREINIT */
	char protocol_error[128];               /* why not, when connected but not */
	uint8_t server_tls;                     /* PROTO_TLS_* of PREINIT_REPLY */
	bool server_wants_client_cert;
	bool tls_tried;                         /* STARTTLS sent, handshake started */
	bool handshake_ok;
	char tls_error[160];                    /* the handshake's failure, or the alert after it */
	bool client_cert_sent;
	bool client_cert_refused;               /* the server ended the handshake over our certificate */
	struct qdevice_diag_cert server_cert;
	enum qdevice_diag_verify server_verify;
	char verify_error[160];
};

/* One address of the arbiter's name. */
struct qdevice_diag_addr {
	char text[64];                          /* "192.0.2.10", "[2001:db8::1]" */
	enum qdevice_diag_reach reach;
	int err;                                /* errno of the failure */
	struct qdevice_diag_probe probe;        /* when connected */
};

/* This node's NSS database (quorum.device.net's certificates). */
struct qdevice_diag_node_db {
	bool opened;
	char error[160];                        /* why not, when not */
	bool unreadable;                        /* not opened for lack of permission: run as root */
	struct qdevice_diag_cert cert;          /* "Cluster Cert" */
	bool key_found;
	size_t ca_count;
	struct qdevice_diag_cert cas[4];        /* the CA certificates it holds */
};

/* What the tool gathered; every part may be missing (its flag false). */
struct qdevice_diag_input {
	bool daemon_answered;
	char daemon_error[128];                 /* why not, when not */
	char daemon_last_error[200];            /* its latest error line in the journal this boot, "" when none or no journal */
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
	struct qdevice_diag_addr addrs[QDEVICE_DIAG_MAX_ADDRS];
	size_t addrs_not_tried;                 /* resolved, but the time budget ran out first */
	uint32_t connect_timeout_ms;

	char tls[16];                           /* quorum.device.net.tls as written ("" unset: on) */
	char cluster_name[256];                 /* totem.cluster_name */
	struct qdevice_diag_node_db db;
	int64_t now;                            /* this node's clock, seconds since the epoch */
};

/* How many checks -D runs (doc/diagnose.md §2). */
#define QDEVICE_DIAG_CHECKS 10

/* Runs every check, in the order of doc/diagnose.md §2. */
void qdevice_diagnose(const struct qdevice_diag_input *in, struct diag_report *out);

#endif
