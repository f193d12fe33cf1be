/* The load generator's TLS client side: NSS set-up, the client certificate hook, wrapping a connected socket. */
#ifndef QD_BENCH_TLS_H
#define QD_BENCH_TLS_H

#include <stdbool.h>

#include <prio.h>

/*
 * Opens the NSS database db_dir (read-only) and loads the client certificate and key
 * under nickname. Full handshakes every time unless resume is true (each simulated
 * qdevice is a process of its own, with no session cache to resume from).
 * Returns 0, or -1 with a message on stderr.
 */
int bench_tls_init(const char *db_dir, const char *nickname, bool resume);
/* Limits the highest TLS version offered: "1.2" or "1.3" (the NSS default). Returns 0 or -1. */
int bench_tls_set_max_version(const char *version);
void bench_tls_shutdown(void);

/*
 * Hands the connected non-blocking socket fd to NSS as a TLS client expecting the
 * server name "Qnetd Server", and starts the handshake. On success the returned
 * descriptor owns fd; on failure fd has been closed.
 */
PRFileDesc *bench_tls_wrap(int fd);

/* "<code>: <text>" of the last NSPR/NSS error. */
const char *bench_tls_error(void);

#endif
