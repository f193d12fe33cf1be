/* corosync-qdevice-tool -C: the node's health from its JSON status (doc/monitoring.md §3). */
#ifndef QD_QDEVICE_HEALTH_H
#define QD_QDEVICE_HEALTH_H

#include <jansson.h>

#include "health.h"

/*
 * Judges one status object (schema 1). CRITICAL: not connected to qnetd, or the device carries 0
 * votes. WARNING: connected, but this node does not cast the vote (its partition does not have it).
 * UNKNOWN: an object this code cannot read.
 */
void qdevice_health_evaluate(const json_t *status, struct health_report *r);

#endif
