/* corosync-qnetd's whole status as one JSON object (schema 1, doc/status-json.md), for corosync-qnetd-tool -j. */
#ifndef QD_QNETD_STATUS_JSON_H
#define QD_QNETD_STATUS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "qnetd_conn.h"

#define QNETD_STATUS_JSON_SCHEMA 1

/* What the status needs besides the server: the daemon's identity and one moment on both clocks. */
struct qnetd_status_context {
	const char *version;
	int64_t started_unix_ms;            /* when the daemon started */
	uint64_t now_mono_ms;               /* now, on the clock the connections' times use */
	int64_t now_unix_ms;                /* the same moment on the wall clock */
	bool server_cert_known;             /* TLS is on and the certificate's dates were read */
	int64_t server_cert_not_before_ms;  /* ms since the epoch */
	int64_t server_cert_not_after_ms;
};

/*
 * The status object; cluster_name (NULL or empty: every cluster) keeps one cluster only. Without
 * with_clients it is the brief form (doc/status-json.md §2.3): no client objects, which are most of
 * the cost on a large arbiter. NULL when memory runs out. The caller owns the result (json_decref).
 */
json_t *qnetd_status_json(const struct qnetd_server *srv, const struct qnetd_status_context *ctx,
			  const char *cluster_name, size_t cluster_name_len, bool with_clients);

/*
 * Peer bytes as a JSON string: valid UTF-8 stays as it is, every byte of an invalid sequence
 * becomes U+FFFD. Sets *lossy when that happened. NULL when memory runs out.
 */
json_t *qnetd_status_json_bytes(const uint8_t *bytes, size_t len, int *lossy);

#endif
