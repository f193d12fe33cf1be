/* corosync-qdevice's Prometheus metrics, written from its JSON status (doc/monitoring.md §5). */
#ifndef QD_QDEVICE_METRICS_H
#define QD_QDEVICE_METRICS_H

#include <jansson.h>

#include "strbuf.h"

/* Appends the exposition of one status object (schema 1); -1 (nothing written) when it cannot be read. */
int qdevice_metrics_write(const json_t *status, struct strbuf *out);

#endif
