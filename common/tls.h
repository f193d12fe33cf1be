/* NSS/NSPR start-up and shutdown, and their error text for log lines. */
#ifndef QD_TLS_H
#define QD_TLS_H

/* Opens the database read-only (db_dir != NULL) or initialises NSS without one. Returns 0 or -1. */
int tls_nss_init(const char *db_dir);
void tls_nss_shutdown(void);
/* "<number>: <text>" of the calling thread's last NSPR/NSS error. */
const char *tls_error_str(void);
int tls_error_code(void);

#endif
