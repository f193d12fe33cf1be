/* The load generator's TLS client side, on NSS (as corosync-qdevice) or OpenSSL (cheaper), one interface. */
#ifndef QD_BENCH_TLS_H
#define QD_BENCH_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the calls below return besides a byte count (> 0) or 0 (closed by qnetd). */
#define BENCH_TLS_ERROR (-1)
#define BENCH_TLS_WANT_READ (-2)
#define BENCH_TLS_WANT_WRITE (-3)

struct bench_tls_conn;

/*
 * engine "nss" is the TLS client corosync-qdevice itself uses; "openssl" does the same handshake
 * (certificate and key read out of the same NSS database, qnetd's certificate verified by NSS) at a
 * fraction of the CPU, so one generator process can keep up with thousands of simulated nodes.
 * Opens the NSS database db_dir read-only and loads the client certificate and key under nickname
 * (an empty nickname: present none). Full handshakes every time unless resume is true (each
 * simulated qdevice is a process of its own, with no session cache to resume from).
 * Returns 0, or -1 with a message on stderr.
 */
int bench_tls_init(const char *engine, const char *db_dir, const char *nickname, bool resume);
/*
 * Limits the highest TLS version offered: "1.2" or "1.3" (the default); "1.1" (OpenSSL engine
 * only, and only to see a server refuse it) also lowers the lowest. Returns 0 or -1.
 */
int bench_tls_set_max_version(const char *version);
void bench_tls_shutdown(void);

/*
 * Starts a TLS client on the connected non-blocking socket fd, expecting the server name
 * "Qnetd Server". The connection owns fd from here on, even when NULL is returned (fd closed).
 */
struct bench_tls_conn *bench_tls_wrap(int fd);
/* 1 when the handshake is done, BENCH_TLS_WANT_READ/WRITE to call again then, BENCH_TLS_ERROR. */
int bench_tls_handshake(struct bench_tls_conn *conn);
ssize_t bench_tls_send(struct bench_tls_conn *conn, const void *buf, size_t len);
ssize_t bench_tls_recv(struct bench_tls_conn *conn, void *buf, size_t len);
/* Frees the connection and closes its socket. */
void bench_tls_close(struct bench_tls_conn *conn);

/* "<code>: <text>" of the last error on this thread. */
const char *bench_tls_error(void);

#endif
