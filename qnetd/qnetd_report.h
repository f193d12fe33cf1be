/* The text of corosync-qnetd-tool's status and list reports (man/corosync-qnetd-tool.8), byte-exact. */
#ifndef QD_QNETD_REPORT_H
#define QD_QNETD_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "qnetd_conn.h"
#include "strbuf.h"

void qnetd_report_status(struct strbuf *out, const struct qnetd_server *srv, bool verbose);
/* cluster_name NULL or empty = every cluster. */
void qnetd_report_list(struct strbuf *out, const struct qnetd_server *srv, bool verbose,
		       const char *cluster_name, size_t cluster_name_len);

#endif
