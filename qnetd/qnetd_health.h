/* corosync-qnetd-tool -C: the arbiter's health from its JSON status (doc/monitoring.md §2). */
#ifndef QD_QNETD_HEALTH_H
#define QD_QNETD_HEALTH_H

#include <jansson.h>

#include "health.h"

/* Certificates that end within this many days are a warning. */
#define QNETD_HEALTH_CERT_WARN_DAYS 30

/*
 * Judges one status object (schema 1). CRITICAL: a cluster in which more than one partition holds
 * an ACK, or a server certificate outside its validity window. WARNING: configured nodes without a
 * connection, clients without TLS, client certificates refused in the last hour, a server
 * certificate ending within QNETD_HEALTH_CERT_WARN_DAYS. UNKNOWN: an object this code cannot read.
 */
void qnetd_health_evaluate(const json_t *status, struct health_report *r);

#endif
