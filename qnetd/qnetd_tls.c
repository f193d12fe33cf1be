/* qnetd's TLS server side: OpenSSL connections whose key, certificate and trust come from the NSS database. */
/*
 * Why two libraries: the NSS database (/etc/corosync/qnetd/nssdb, "QNetd Cert", the QNet CA's trust
 * flags) is the interface every certutil flow and pvecm rely on, so it stays the only place keys and
 * trust live, and NSS still decides whether a client certificate is good and whether it matches the
 * cluster name. But NSS's record layer keeps every connection's keys as softoken session objects
 * (about 45 KB per connection, and a PKCS#11 session table whose chains grow with the connection count,
 * so the handshake cost grows with the number of clients: 3 ms at 1000, 9 ms at 4000, 20 ms at 5700).
 * OpenSSL carries the handshake and the records instead: the server key is exported from the database
 * once at start-up (wrapped with a one-time passphrase, never written anywhere) and the verification
 * of the client's certificate is handed back to NSS through OpenSSL's verification hook.
 */
#define _DEFAULT_SOURCE /* timegm */
#include "qnetd_tls.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <nspr.h>
#include <secerr.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "qnetd_conn.h"
#include "timefmt.h"
#include "loop.h"
#include "tls.h"
#include "tls_bridge.h"

/*
 * Verification cache for client certificates. NSS verifies the peer's chain with a dozen lookups in
 * the sqlite certificate database (the issuer by subject, trust objects, CRLs). A certificate whose
 * exact DER bytes passed that verification recently is accepted again without it; the handshake still
 * checks the client's CertificateVerify signature, so only the holder of the private key gets in. An
 * entry lasts at most VERIFY_TTL_MS and never past the certificate's notAfter, and the whole cache is
 * dropped as soon as cert9.db changes (certificate, trust or CRL imported or removed), so a change to
 * the database takes effect at the next handshake, as without the cache. Failures are never cached.
 * Only an sql: database can be watched; with another one there is no cache. The one thing noticed late
 * (by at most the TTL) is the expiry of the issuing CA itself.
 */
#define VERIFY_SLOTS 1024
#define VERIFY_TTL_MS (5 * 60 * 1000)
#define VERIFY_MAX_DER 8192

struct verify_entry {
	uint8_t *der;
	unsigned der_len;
	uint64_t expires_ms;
	time_t not_after;                   /* the certificate's notAfter */
};

struct verify_cache {
	char *db_file;                      /* <nss_db_dir>/cert9.db */
	struct stat db_st;                  /* its state when the entries were verified */
	bool db_st_valid;
	struct verify_entry slots[VERIFY_SLOTS];
};

struct qnetd_tls_server {
	SSL_CTX *ctx;
	struct verify_cache *verify_cache;  /* NULL if the database cannot be watched */
	char error[256];                    /* the last QNETD_TLS_ERROR's reason, whichever connection */
};

/* Kept small: thousands of these live at once, beside OpenSSL's own ~10 KB per connection. */
struct qnetd_tls_conn {
	SSL *ssl;
	struct qnetd_tls_server *server;
	int nss_error;                      /* why NSS refused the client's certificate, 0 if it did not */
	bool cert_not_yet_valid;            /* with nss_error: the certificate's window has not begun */
	bool cert_missing;                  /* the handshake failed because none was sent */
};

static uint64_t verify_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void verify_cache_flush(struct verify_cache *vc)
{
	for (size_t i = 0; i < VERIFY_SLOTS; i++) {
		free(vc->slots[i].der);
		vc->slots[i].der = NULL;
		vc->slots[i].der_len = 0;
	}
}

static struct verify_cache *verify_cache_create(const char *db_dir)
{
	if (db_dir == NULL || strncmp(db_dir, "dbm:", 4) == 0 || strncmp(db_dir, "extern:", 7) == 0 ||
	    strncmp(db_dir, "rdb:", 4) == 0)
		return NULL;
	if (strncmp(db_dir, "sql:", 4) == 0) {
		db_dir += 4;
	} else {
		/* Without a prefix NSS takes the type from the environment; only sql keeps cert9.db current. */
		const char *type = getenv("NSS_DEFAULT_DB_TYPE");
		if (type != NULL && type[0] != '\0' && strcmp(type, "sql") != 0)
			return NULL;
	}
	struct verify_cache *vc = calloc(1, sizeof(*vc));
	if (vc == NULL)
		return NULL;
	size_t len = strlen(db_dir) + sizeof("/cert9.db");
	vc->db_file = malloc(len);
	if (vc->db_file == NULL) {
		free(vc);
		return NULL;
	}
	snprintf(vc->db_file, len, "%s/cert9.db", db_dir);
	struct stat st;
	if (stat(vc->db_file, &st) != 0) {
		/* Not an sql: database (or unreadable): nothing to watch, so no cache. */
		free(vc->db_file);
		free(vc);
		return NULL;
	}
	return vc;
}

static void verify_cache_destroy(struct verify_cache *vc)
{
	if (vc == NULL)
		return;
	verify_cache_flush(vc);
	free(vc->db_file);
	free(vc);
}

static bool same_file_state(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Drops every entry if the database changed since they were verified. Returns false if it cannot tell. */
static bool verify_cache_check_db(struct verify_cache *vc)
{
	struct stat st;
	if (stat(vc->db_file, &st) != 0) {
		verify_cache_flush(vc);
		vc->db_st_valid = false;
		return false;
	}
	if (!vc->db_st_valid || !same_file_state(&st, &vc->db_st)) {
		verify_cache_flush(vc);
		vc->db_st = st;
		vc->db_st_valid = true;
	}
	return true;
}

static bool verify_cache_lookup(struct verify_cache *vc, const uint8_t *der, size_t der_len)
{
	if (!verify_cache_check_db(vc))
		return false;
	struct verify_entry *e = &vc->slots[verify_hash(der, der_len) % VERIFY_SLOTS];
	if (e->der == NULL || e->der_len != der_len || memcmp(e->der, der, der_len) != 0)
		return false;
	if (loop_now_ms() >= e->expires_ms || time(NULL) >= e->not_after) {
		free(e->der);
		e->der = NULL;
		e->der_len = 0;
		return false;
	}
	return true;
}

/* Called after a successful full verification, with the database state checked just before it. */
static void verify_cache_insert(struct verify_cache *vc, const uint8_t *der, size_t der_len, X509 *cert)
{
	struct tm tm;
	if (!vc->db_st_valid || der_len == 0 || der_len > VERIFY_MAX_DER ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return;
	struct verify_entry *e = &vc->slots[verify_hash(der, der_len) % VERIFY_SLOTS];
	uint8_t *copy = malloc(der_len);
	if (copy == NULL)
		return;
	memcpy(copy, der, der_len);
	free(e->der);
	e->der = copy;
	e->der_len = (unsigned)der_len;
	e->expires_ms = loop_now_ms() + VERIFY_TTL_MS;
	e->not_after = timegm(&tm);
}

/*
 * OpenSSL's whole-chain verification replaced by NSS's (tls_bridge_verify_chain): the check upstream's
 * server makes through SSL_AuthCertificate, a chain to a CA trusted in the database for SSL client use.
 */
static int verify_with_nss(X509_STORE_CTX *store, void *arg)
{
	struct qnetd_tls_server *server = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct qnetd_tls_conn *conn = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);

	if (conn == NULL || leaf == NULL)
		return 0;
	size_t der_len;
	uint8_t *der = tls_bridge_der(leaf, &der_len);
	if (der == NULL) {
		conn->nss_error = SEC_ERROR_BAD_DER;
		X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	int error = 0;
	if (server->verify_cache == NULL || !verify_cache_lookup(server->verify_cache, der, der_len)) {
		error = tls_bridge_verify_chain(store, TLS_BRIDGE_VERIFY_SSL_CLIENT);
		if (error == 0 && server->verify_cache != NULL)
			verify_cache_insert(server->verify_cache, der, der_len, leaf);
	}
	OPENSSL_free(der);
	if (error != 0) {
		conn->nss_error = error;
		/* NSS reports both ends of the validity window as "expired": tell them apart here. */
		conn->cert_not_yet_valid = X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0;
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_UNTRUSTED);
		return 0;
	}
	return 1;
}

/* Accepts every chain element: verify_with_nss has already decided about the whole chain. */
static int verify_each_ok(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

static void log_openssl_errors(const char *what)
{
	unsigned long e;
	char text[256];
	bool any = false;
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, text, sizeof(text));
		log_crit("%s: %s", what, text);
		any = true;
	}
	if (!any)
		log_crit("%s", what);
}

static int load_certificate(SSL_CTX *ctx, const char *db_dir, const char *nickname)
{
	enum tls_bridge_result result = tls_bridge_load_identity(ctx, nickname);
	switch (result) {
	case TLS_BRIDGE_OK:
		return 0;
	case TLS_BRIDGE_SSL_REFUSED:
		log_openssl_errors("Cannot use the server certificate and its key");
		return -1;
	default:
		log_crit("Cannot load server certificate '%s' from %s: %s (%d): %s", nickname,
			 db_dir != NULL ? db_dir : "?", tls_bridge_result_str(result), tls_error_code(), tls_error_str());
		ERR_clear_error();
		return -1;
	}
}

struct qnetd_tls_server *qnetd_tls_server_create(const char *db_dir, const char *nickname, bool request_client_cert)
{
	struct qnetd_tls_server *server = calloc(1, sizeof(*server));
	if (server == NULL) {
		log_crit("Out of memory for the TLS server");
		return NULL;
	}
	server->ctx = SSL_CTX_new(TLS_server_method());
	if (server->ctx == NULL) {
		log_openssl_errors("Cannot create the TLS context");
		free(server);
		return NULL;
	}
	SSL_CTX *ctx = server->ctx;
	/*
	 * TLS 1.2 at least, whatever the system's OpenSSL configuration allows: every NSS that ships
	 * with a corosync-qdevice 3.x speaks 1.2 and 1.3 (doc/hardening.md §5.3).
	 */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		log_openssl_errors("Cannot set the lowest TLS version");
		qnetd_tls_server_destroy(server);
		return NULL;
	}
	if (load_certificate(ctx, db_dir, nickname) != 0) {
		qnetd_tls_server_destroy(server);
		return NULL;
	}
	/*
	 * Every qdevice is its own process with its own NSS client, which never resumes a session after
	 * a reconnect: a session cache or tickets would only cost memory and CPU.
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/*
	 * Idle connections give their record buffers back: what keeps memory per client small. Reading
	 * ahead takes a record with one read() instead of two (header, then body); only TLS records can
	 * follow the handshake, and qnetd_net.c reads on while qnetd_tls_conn_pending says bytes wait in here.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (request_client_cert) {
		/* As upstream: asked and required together; no certificate, no session. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_each_ok);
		SSL_CTX_set_cert_verify_callback(ctx, verify_with_nss, server);
		server->verify_cache = verify_cache_create(db_dir);
		log_debug("Client certificate verification cache %s",
			  server->verify_cache != NULL ? "on (dropped whenever cert9.db changes)"
						       : "off (not an sql: database)");
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return server;
}

void qnetd_tls_server_destroy(struct qnetd_tls_server *server)
{
	if (server == NULL)
		return;
	SSL_CTX_free(server->ctx);
	verify_cache_destroy(server->verify_cache);
	free(server);
}

struct qnetd_tls_conn *qnetd_tls_conn_new(struct qnetd_tls_server *server, int fd, const char *peer)
{
	struct qnetd_tls_conn *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		log_err("Client %s: out of memory for TLS", peer);
		return NULL;
	}
	ERR_clear_error();
	conn->server = server;
	conn->ssl = SSL_new(server->ctx);
	if (conn->ssl == NULL || SSL_set_fd(conn->ssl, fd) != 1) {
		unsigned long e = ERR_get_error();
		char text[200];
		ERR_error_string_n(e, text, sizeof(text));
		log_err("Client %s: cannot start TLS (%lu): %s", peer, e, text);
		ERR_clear_error();
		SSL_free(conn->ssl);
		free(conn);
		return NULL;
	}
	SSL_set_app_data(conn->ssl, conn);
	SSL_set_accept_state(conn->ssl);
	return conn;
}

void qnetd_tls_conn_free(struct qnetd_tls_conn *conn)
{
	if (conn == NULL)
		return;
	if (SSL_is_init_finished(conn->ssl)) {
		/* One best-effort close_notify; a peer that is gone only makes the write fail. */
		SSL_set_quiet_shutdown(conn->ssl, 0);
		(void)SSL_shutdown(conn->ssl);
	}
	ERR_clear_error();
	SSL_free(conn->ssl);
	free(conn);
}

/* Turns a failed SSL_read/SSL_write into the return value, remembering the reason of an error. */
static ssize_t io_result(struct qnetd_tls_conn *conn, int rc)
{
	int err = SSL_get_error(conn->ssl, rc);
	switch (err) {
	case SSL_ERROR_WANT_READ:
		return QNETD_TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return QNETD_TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		break;
	}
	if (conn->nss_error != 0) {
		snprintf(conn->server->error, sizeof(conn->server->error), "%d: client certificate refused: %s", conn->nss_error,
			 PR_ErrorToString(conn->nss_error, PR_LANGUAGE_I_DEFAULT));
	} else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		int e = errno;
		if (e == 0)
			return 0; /* an EOF that OpenSSL could not call clean */
		snprintf(conn->server->error, sizeof(conn->server->error), "%d: %s", e, strerror(e));
	} else {
		unsigned long e = ERR_peek_error();
		char text[200];
		ERR_error_string_n(e, text, sizeof(text));
		snprintf(conn->server->error, sizeof(conn->server->error), "%lu: %s", e, text);
		if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
			conn->cert_missing = true;
	}
	ERR_clear_error();
	return QNETD_TLS_ERROR;
}

int qnetd_tls_conn_rejection(const struct qnetd_tls_conn *conn)
{
	if (conn->cert_missing)
		return QNETD_CERT_MISSING;
	switch (conn->nss_error) {
	case 0:
		return -1;
	case SEC_ERROR_UNKNOWN_ISSUER:
	case SEC_ERROR_UNTRUSTED_ISSUER:
	case SEC_ERROR_UNTRUSTED_CERT:
	case SEC_ERROR_CA_CERT_INVALID:
	case SEC_ERROR_BAD_SIGNATURE:
	case SEC_ERROR_REVOKED_CERTIFICATE:
		return QNETD_CERT_UNTRUSTED_ISSUER;
	case SEC_ERROR_EXPIRED_CERTIFICATE:
	case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
		return conn->cert_not_yet_valid ? QNETD_CERT_NOT_YET_VALID : QNETD_CERT_EXPIRED;
	default:
		return QNETD_CERT_OTHER;
	}
}

/* An ASN1 time as ms since the epoch, through our own calendar (time_t may be 32 bits). */
static int asn1_ms(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timefmt_unix_ms_from_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

int qnetd_tls_server_cert_times(const struct qnetd_tls_server *server, int64_t *not_before_ms, int64_t *not_after_ms)
{
	X509 *cert = server != NULL ? SSL_CTX_get0_certificate(server->ctx) : NULL;
	if (cert == NULL)
		return -1;
	if (asn1_ms(X509_get0_notBefore(cert), not_before_ms) != 0 || asn1_ms(X509_get0_notAfter(cert), not_after_ms) != 0)
		return -1;
	return 0;
}

ssize_t qnetd_tls_conn_read(struct qnetd_tls_conn *conn, void *buf, size_t len)
{
	ERR_clear_error();
	errno = 0;
	int rc = SSL_read(conn->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return rc > 0 ? rc : io_result(conn, rc);
}

ssize_t qnetd_tls_conn_write(struct qnetd_tls_conn *conn, const void *buf, size_t len)
{
	ERR_clear_error();
	errno = 0;
	int rc = SSL_write(conn->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return rc > 0 ? rc : io_result(conn, rc);
}

bool qnetd_tls_conn_pending(const struct qnetd_tls_conn *conn)
{
	return SSL_has_pending(conn->ssl) == 1;
}

const char *qnetd_tls_conn_error(const struct qnetd_tls_conn *conn)
{
	return conn->server->error[0] != '\0' ? conn->server->error : "0: unknown error";
}

int qnetd_tls_conn_match_name(struct qnetd_tls_conn *conn, const char *name)
{
	X509 *peer = SSL_get0_peer_certificate(conn->ssl);
	return peer != NULL ? tls_bridge_match_name(peer, name) : -1;
}
