/* qnetd's TLS server side: OpenSSL connections whose key, certificate and trust come from the NSS database. */
#ifndef QD_QNETD_TLS_H
#define QD_QNETD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qnetd_tls_server;
struct qnetd_tls_conn;

/* What qnetd_tls_conn_read/qnetd_tls_conn_write return besides a byte count (> 0) or 0 (closed by the peer). */
#define QNETD_TLS_ERROR (-1)
#define QNETD_TLS_WANT_READ (-2)
#define QNETD_TLS_WANT_WRITE (-3)

/*
 * Builds the server from the NSS database that tls_nss_init() opened: the certificate called
 * nickname and its private key. With request_client_cert, clients must present a certificate that
 * NSS verifies for SSL client use against the same database. db_dir is what nss_db_dir says (it
 * decides whether the verification cache can watch cert9.db). Returns NULL (logged) on failure.
 */
struct qnetd_tls_server *qnetd_tls_server_create(const char *db_dir, const char *nickname, bool request_client_cert);
void qnetd_tls_server_destroy(struct qnetd_tls_server *server);

/* A server-side connection on fd (not owned: the caller closes it after qnetd_tls_conn_free). NULL (logged). */
struct qnetd_tls_conn *qnetd_tls_conn_new(struct qnetd_tls_server *server, int fd, const char *peer);
/* Sends close_notify when the handshake had finished (without waiting), then frees the connection. */
void qnetd_tls_conn_free(struct qnetd_tls_conn *conn);

ssize_t qnetd_tls_conn_read(struct qnetd_tls_conn *conn, void *buf, size_t len);
/* After QNETD_TLS_WANT_WRITE, call again with the same bytes first (more may follow them). */
ssize_t qnetd_tls_conn_write(struct qnetd_tls_conn *conn, const void *buf, size_t len);
/* Whether bytes (decrypted, or records read ahead) wait inside the connection: the socket will not signal them. */
bool qnetd_tls_conn_pending(const struct qnetd_tls_conn *conn);
/* The reason for the last QNETD_TLS_ERROR, "<code>: <text>", valid until the next call on any connection. */
const char *qnetd_tls_conn_error(const struct qnetd_tls_conn *conn);

/*
 * After a QNETD_TLS_ERROR: the enum qnetd_cert_rejection (qnetd_conn.h) for a handshake that
 * failed over the client's certificate (none, untrusted, not yet valid, expired, other NSS
 * verdicts), or -1 when it failed for another reason.
 */
int qnetd_tls_conn_rejection(const struct qnetd_tls_conn *conn);
/* The server certificate's validity window in ms since the epoch; -1 when it cannot be read. */
int qnetd_tls_server_cert_times(const struct qnetd_tls_server *server, int64_t *not_before_ms, int64_t *not_after_ms);

/* 0 when the peer's certificate matches name the way NSS matches host names (wildcards too), else -1. */
int qnetd_tls_conn_match_name(struct qnetd_tls_conn *conn, const char *name);

#endif
