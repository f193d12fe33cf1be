/* corosync-qdevice-tool -D's probe of the arbiter: connect, PREINIT, STARTTLS and a TLS handshake, closed before INIT so no vote can change (doc/diagnose.md §4). */
#ifndef QD_QDEVICE_PROBE_H
#define QD_QDEVICE_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "qdevice_diagnose.h"

/* Opens NSS on the node's database, read only, and describes it in *db; false when it cannot be opened. */
bool qdevice_probe_open_db(const char *dir, struct qdevice_diag_node_db *db);
void qdevice_probe_close_db(void);

struct qdevice_probe_params {
	const char *cluster_name;       /* sent in PREINIT; never a node id */
	int tls;                        /* PROTO_TLS_* as configured */
	bool db_open;                   /* qdevice_probe_open_db succeeded: the TLS part can run */
	uint32_t step_timeout_ms;       /* for the connect, the PREINIT reply and the handshake each */
	uint64_t deadline_ms;           /* CLOCK_MONOTONIC: nothing waits past it */
};

/* Probes one address and fills out->reach, out->err and out->probe. */
void qdevice_probe_address(const struct sockaddr *sa, socklen_t len, const struct qdevice_probe_params *p,
			   struct qdevice_diag_addr *out);

uint64_t qdevice_probe_now_ms(void);

#endif
