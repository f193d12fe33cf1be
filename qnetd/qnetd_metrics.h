/* corosync-qnetd's Prometheus metrics, written from its JSON status (doc/monitoring.md §5). */
#ifndef QD_QNETD_METRICS_H
#define QD_QNETD_METRICS_H

#include <stdbool.h>

#include <jansson.h>

#include "strbuf.h"

/*
 * Appends the exposition of one status object (schema 1). Per-cluster series are always written;
 * per-client series (several per connected node) only with per_client, since on a large arbiter
 * they are most of the output. -1 when the object is not a status this code can read (nothing is
 * written then).
 */
int qnetd_metrics_write(const json_t *status, bool per_client, struct strbuf *out);

#endif
