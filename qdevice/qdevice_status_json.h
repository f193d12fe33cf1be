/* corosync-qdevice's whole status as one JSON object (schema 1, doc/status-json.md §3), for corosync-qdevice-tool -j. */
#ifndef QD_QDEVICE_STATUS_JSON_H
#define QD_QDEVICE_STATUS_JSON_H

#include <jansson.h>

#include "qdevice_report.h"

#define QDEVICE_STATUS_JSON_SCHEMA 1

/* The status object of one snapshot; NULL when memory runs out. The caller owns it (json_decref). */
json_t *qdevice_status_json(const struct qdevice_status *st);

#endif
