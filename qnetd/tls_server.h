/* qnetd's TLS server side: OpenSSL connections whose key, certificate and trust come from the NSS database. */
#ifndef QD_QNETD_TLS_SERVER_H
#define QD_QNETD_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_conn;

/* What tls_conn_read/tls_conn_write return besides a byte count (> 0) or 0 (closed by the peer). */
#define TLS_CONN_ERROR (-1)
#define TLS_CONN_WANT_READ (-2)
#define TLS_CONN_WANT_WRITE (-3)

/*
 * Builds the server from the NSS database that tls_nss_init() opened: the certificate called
 * nickname and its private key. With request_client_cert, clients must present a certificate that
 * NSS verifies for SSL client use against the same database. db_dir is what nss_db_dir says (it
 * decides whether the verification cache can watch cert9.db). Returns NULL (logged) on failure.
 */
struct tls_server *tls_server_create(const char *db_dir, const char *nickname, bool request_client_cert);
void tls_server_destroy(struct tls_server *server);

/* A server-side connection on fd (not owned: the caller closes it after tls_conn_free). NULL (logged). */
struct tls_conn *tls_conn_new(struct tls_server *server, int fd, const char *peer);
/* Sends close_notify when the handshake had finished (without waiting), then frees the connection. */
void tls_conn_free(struct tls_conn *conn);

ssize_t tls_conn_read(struct tls_conn *conn, void *buf, size_t len);
/* After TLS_CONN_WANT_WRITE, call again with the same bytes first (more may follow them). */
ssize_t tls_conn_write(struct tls_conn *conn, const void *buf, size_t len);
/* Whether bytes (decrypted, or records read ahead) wait inside the connection: the socket will not signal them. */
bool tls_conn_pending(const struct tls_conn *conn);
/* The reason for the last TLS_CONN_ERROR, "<code>: <text>", valid until the next call on any connection. */
const char *tls_conn_error(const struct tls_conn *conn);

/* 0 when the peer's certificate matches name the way NSS matches host names (wildcards too), else -1. */
int tls_conn_match_name(struct tls_conn *conn, const char *name);

#endif
