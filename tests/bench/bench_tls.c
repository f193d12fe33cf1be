/* The load generator's TLS client side, on NSS (as corosync-qdevice) or OpenSSL (cheaper), one interface. */
#include "bench_tls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "tls_bridge.h"

#define BENCH_SERVER_NAME "Qnetd Server"

enum engine { ENGINE_NSS, ENGINE_OPENSSL };

struct bench_tls_conn {
	PRFileDesc *nss;  /* ENGINE_NSS */
	SSL *ssl;         /* ENGINE_OPENSSL */
	int fd;
};

static enum engine engine;
static char last_error[320];

/* ENGINE_NSS */
static PRFileDesc *model;
static CERTCertificate *client_cert;
static SECKEYPrivateKey *client_key;

/* ENGINE_OPENSSL */
static SSL_CTX *ssl_ctx;

__attribute__((format(printf, 1, 2))) static void set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

static void set_nss_error(void)
{
	set_error("%d: %s", tls_error_code(), tls_error_str());
}

const char *bench_tls_error(void)
{
	return last_error[0] != '\0' ? last_error : "0: unknown error";
}

/* ---- NSS: the client corosync-qdevice uses ---- */

/* Gives NSS a copy of the certificate loaded once, instead of a database lookup per handshake. */
static SECStatus client_auth_hook(void *arg, PRFileDesc *fd, CERTDistNames *ca_names, CERTCertificate **cert,
				  SECKEYPrivateKey **key)
{
	(void)arg;
	(void)fd;
	(void)ca_names;
	/* An empty nickname: behave like a node without "Cluster Cert" and send none. */
	if (client_cert == NULL)
		return SECFailure;
	*cert = CERT_DupCertificate(client_cert);
	*key = SECKEY_CopyPrivateKey(client_key);
	if (*cert == NULL || *key == NULL)
		return SECFailure;
	return SECSuccess;
}

static int nss_engine_init(const char *db_dir, const char *nickname, bool resume)
{
	if (nickname[0] != '\0') {
		client_cert = PK11_FindCertFromNickname(nickname, NULL);
		if (client_cert == NULL) {
			set_nss_error();
			fprintf(stderr, "qnetd_load: no certificate '%s' in %s (%s)\n", nickname, db_dir, last_error);
			return -1;
		}
		client_key = PK11_FindKeyByAnyCert(client_cert, NULL);
		if (client_key == NULL) {
			set_nss_error();
			fprintf(stderr, "qnetd_load: no private key for '%s' (%s)\n", nickname, last_error);
			return -1;
		}
	}
	model = SSL_ImportFD(NULL, PR_NewTCPSocket());
	if (model == NULL || SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_NO_CACHE, resume ? PR_FALSE : PR_TRUE) != SECSuccess) {
		set_nss_error();
		fprintf(stderr, "qnetd_load: cannot configure TLS (%s)\n", last_error);
		return -1;
	}
	return 0;
}

static int nss_set_max_version(const char *version)
{
	SSLVersionRange range;
	if (SSL_VersionRangeGet(model, &range) != SECSuccess)
		return -1;
	if (strcmp(version, "1.2") == 0)
		range.max = SSL_LIBRARY_VERSION_TLS_1_2;
	else if (strcmp(version, "1.3") == 0)
		range.max = SSL_LIBRARY_VERSION_TLS_1_3;
	else
		return -1;
	if (range.min > range.max)
		range.min = range.max;
	return SSL_VersionRangeSet(model, &range) == SECSuccess ? 0 : -1;
}

static int nss_wrap(struct bench_tls_conn *conn)
{
	PRFileDesc *prfd = PR_ImportTCPSocket(conn->fd);
	if (prfd == NULL) {
		set_nss_error();
		close(conn->fd);
		return -1;
	}
	PRSocketOptionData opt = {.option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE};
	PR_SetSocketOption(prfd, &opt);
	conn->nss = SSL_ImportFD(model, prfd);
	if (conn->nss == NULL) {
		set_nss_error();
		PR_Close(prfd);
		return -1;
	}
	if (SSL_SetURL(conn->nss, BENCH_SERVER_NAME) != SECSuccess ||
	    SSL_GetClientAuthDataHook(conn->nss, client_auth_hook, NULL) != SECSuccess ||
	    SSL_ResetHandshake(conn->nss, PR_FALSE) != SECSuccess) {
		set_nss_error();
		PR_Close(conn->nss);
		return -1;
	}
	return 0;
}

/* NSS keeps unsent handshake and record bytes itself and flushes them on the next call. */
static ssize_t nss_result(PRInt32 n, int would_block)
{
	if (n >= 0)
		return n;
	if (PR_GetError() == PR_WOULD_BLOCK_ERROR)
		return would_block;
	set_nss_error();
	return BENCH_TLS_ERROR;
}

/* ---- OpenSSL: the same handshake, identities and trust from the same NSS database ---- */

/* qnetd's certificate judged as NSS judges it for corosync-qdevice: trusted chain, then the name. */
static int verify_server(X509_STORE_CTX *store, void *arg)
{
	(void)arg;
	int error = tls_bridge_verify_chain(store, TLS_BRIDGE_VERIFY_SSL_SERVER);
	if (error == 0 && tls_bridge_match_name(X509_STORE_CTX_get0_cert(store), BENCH_SERVER_NAME) != 0)
		error = SSL_ERROR_BAD_CERT_DOMAIN;
	if (error == 0)
		return 1;
	set_error("%d: qnetd's certificate refused: %s", error, PR_ErrorToString(error, PR_LANGUAGE_I_DEFAULT));
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_UNTRUSTED);
	return 0;
}

static int openssl_engine_init(const char *db_dir, const char *nickname, bool resume)
{
	if (resume) {
		fprintf(stderr, "qnetd_load: --resume needs --tls-engine nss\n");
		return -1;
	}
	ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (ssl_ctx == NULL) {
		fprintf(stderr, "qnetd_load: cannot create the OpenSSL context\n");
		return -1;
	}
	if (nickname[0] != '\0') {
		enum tls_bridge_result r = tls_bridge_load_identity(ssl_ctx, nickname);
		if (r != TLS_BRIDGE_OK) {
			set_nss_error();
			fprintf(stderr, "qnetd_load: certificate '%s' in %s: %s (%s)\n", nickname, db_dir,
				tls_bridge_result_str(r), last_error);
			return -1;
		}
	}
	SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
					  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_server, NULL);
	return 0;
}

static int openssl_wrap(struct bench_tls_conn *conn)
{
	conn->ssl = SSL_new(ssl_ctx);
	if (conn->ssl == NULL || SSL_set_fd(conn->ssl, conn->fd) != 1) {
		set_error("%lu: cannot start TLS", ERR_get_error());
		ERR_clear_error();
		SSL_free(conn->ssl);
		close(conn->fd);
		return -1;
	}
	SSL_set_connect_state(conn->ssl);
	return 0;
}

static ssize_t openssl_result(struct bench_tls_conn *conn, int rc)
{
	int err = SSL_get_error(conn->ssl, rc);
	if (err == SSL_ERROR_WANT_READ)
		return BENCH_TLS_WANT_READ;
	if (err == SSL_ERROR_WANT_WRITE)
		return BENCH_TLS_WANT_WRITE;
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		if (errno == 0)
			return 0;
		set_error("%d: %s", errno, strerror(errno));
	} else if (ERR_peek_error() != 0) {
		char text[200];
		unsigned long e = ERR_peek_error();
		ERR_error_string_n(e, text, sizeof(text));
		/* A refused server certificate already said why (verify_server). */
		if (ERR_GET_REASON(e) != SSL_R_CERTIFICATE_VERIFY_FAILED)
			set_error("%lu: %s", e, text);
	} else {
		set_error("%d: TLS failure without a reason from OpenSSL", err);
	}
	ERR_clear_error();
	return BENCH_TLS_ERROR;
}

/* ---- the interface ---- */

int bench_tls_init(const char *engine_name, const char *db_dir, const char *nickname, bool resume)
{
	if (strcmp(engine_name, "nss") == 0) {
		engine = ENGINE_NSS;
	} else if (strcmp(engine_name, "openssl") == 0) {
		engine = ENGINE_OPENSSL;
	} else {
		fprintf(stderr, "qnetd_load: unknown TLS engine '%s' (nss or openssl)\n", engine_name);
		return -1;
	}
	if (tls_nss_init(db_dir) != 0) {
		set_nss_error();
		fprintf(stderr, "qnetd_load: cannot open NSS database %s (%s)\n", db_dir, last_error);
		return -1;
	}
	return engine == ENGINE_NSS ? nss_engine_init(db_dir, nickname, resume)
				    : openssl_engine_init(db_dir, nickname, resume);
}

int bench_tls_set_max_version(const char *version)
{
	if (engine == ENGINE_NSS)
		return nss_set_max_version(version);
	int v;
	if (strcmp(version, "1.1") == 0) {
		/* Only to probe that a server refuses it: OpenSSL 3 needs security level 0 to offer it. */
		SSL_CTX_set_security_level(ssl_ctx, 0);
		if (SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_1_VERSION) != 1)
			return -1;
		v = TLS1_1_VERSION;
	} else if (strcmp(version, "1.2") == 0) {
		v = TLS1_2_VERSION;
	} else if (strcmp(version, "1.3") == 0) {
		v = TLS1_3_VERSION;
	} else {
		return -1;
	}
	return SSL_CTX_set_max_proto_version(ssl_ctx, v) == 1 ? 0 : -1;
}

void bench_tls_shutdown(void)
{
	if (model != NULL)
		PR_Close(model);
	if (client_key != NULL)
		SECKEY_DestroyPrivateKey(client_key);
	if (client_cert != NULL)
		CERT_DestroyCertificate(client_cert);
	SSL_CTX_free(ssl_ctx);
	model = NULL;
	client_key = NULL;
	client_cert = NULL;
	ssl_ctx = NULL;
	tls_nss_shutdown();
}

struct bench_tls_conn *bench_tls_wrap(int fd)
{
	struct bench_tls_conn *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		set_error("%d: %s", ENOMEM, strerror(ENOMEM));
		close(fd);
		return NULL;
	}
	conn->fd = fd;
	if ((engine == ENGINE_NSS ? nss_wrap(conn) : openssl_wrap(conn)) != 0) {
		free(conn);
		return NULL;
	}
	return conn;
}

int bench_tls_handshake(struct bench_tls_conn *conn)
{
	if (engine == ENGINE_NSS) {
		if (SSL_ForceHandshake(conn->nss) == SECSuccess)
			return 1;
		return (int)nss_result(-1, BENCH_TLS_WANT_READ);
	}
	ERR_clear_error();
	errno = 0;
	int rc = SSL_do_handshake(conn->ssl);
	if (rc == 1)
		return 1;
	ssize_t r = openssl_result(conn, rc);
	return r == 0 ? BENCH_TLS_ERROR : (int)r;
}

ssize_t bench_tls_send(struct bench_tls_conn *conn, const void *buf, size_t len)
{
	int n = len > 65536 ? 65536 : (int)len;
	if (engine == ENGINE_NSS)
		return nss_result(PR_Send(conn->nss, buf, n, 0, PR_INTERVAL_NO_WAIT), BENCH_TLS_WANT_WRITE);
	ERR_clear_error();
	errno = 0;
	int rc = SSL_write(conn->ssl, buf, n);
	return rc > 0 ? rc : openssl_result(conn, rc);
}

ssize_t bench_tls_recv(struct bench_tls_conn *conn, void *buf, size_t len)
{
	int n = len > 65536 ? 65536 : (int)len;
	if (engine == ENGINE_NSS)
		return nss_result(PR_Recv(conn->nss, buf, n, 0, PR_INTERVAL_NO_WAIT), BENCH_TLS_WANT_READ);
	ERR_clear_error();
	errno = 0;
	int rc = SSL_read(conn->ssl, buf, n);
	return rc > 0 ? rc : openssl_result(conn, rc);
}

void bench_tls_close(struct bench_tls_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->nss != NULL) {
		PR_Close(conn->nss); /* closes the socket too */
	} else {
		SSL_free(conn->ssl);
		close(conn->fd);
	}
	free(conn);
}
