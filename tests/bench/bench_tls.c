/* The load generator's TLS client side: NSS set-up, the client certificate hook, wrapping a connected socket. */
#include "bench_tls.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <ssl.h>
#include <sslproto.h>

#include "tls.h"

#define BENCH_SERVER_NAME "Qnetd Server"

static PRFileDesc *model;
static CERTCertificate *client_cert;
static SECKEYPrivateKey *client_key;

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

const char *bench_tls_error(void)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%d: %s", tls_error_code(), tls_error_str());
	return buf;
}

int bench_tls_init(const char *db_dir, const char *nickname, bool resume)
{
	if (tls_nss_init(db_dir) != 0) {
		fprintf(stderr, "qnetd_load: cannot open NSS database %s (%s)\n", db_dir, bench_tls_error());
		return -1;
	}
	if (nickname[0] == '\0')
		goto configure;
	client_cert = PK11_FindCertFromNickname(nickname, NULL);
	if (client_cert == NULL) {
		fprintf(stderr, "qnetd_load: no certificate '%s' in %s (%s)\n", nickname, db_dir, bench_tls_error());
		return -1;
	}
	client_key = PK11_FindKeyByAnyCert(client_cert, NULL);
	if (client_key == NULL) {
		fprintf(stderr, "qnetd_load: no private key for '%s' (%s)\n", nickname, bench_tls_error());
		return -1;
	}
configure:
	model = SSL_ImportFD(NULL, PR_NewTCPSocket());
	if (model == NULL ||
	    SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_NO_CACHE, resume ? PR_FALSE : PR_TRUE) != SECSuccess) {
		fprintf(stderr, "qnetd_load: cannot configure TLS (%s)\n", bench_tls_error());
		return -1;
	}
	return 0;
}

int bench_tls_set_max_version(const char *version)
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

void bench_tls_shutdown(void)
{
	if (model != NULL)
		PR_Close(model);
	if (client_key != NULL)
		SECKEY_DestroyPrivateKey(client_key);
	if (client_cert != NULL)
		CERT_DestroyCertificate(client_cert);
	model = NULL;
	client_key = NULL;
	client_cert = NULL;
	tls_nss_shutdown();
}

PRFileDesc *bench_tls_wrap(int fd)
{
	PRFileDesc *prfd = PR_ImportTCPSocket(fd);
	if (prfd == NULL) {
		close(fd);
		return NULL;
	}
	PRSocketOptionData opt = {.option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE};
	PR_SetSocketOption(prfd, &opt);
	PRFileDesc *tls = SSL_ImportFD(model, prfd);
	if (tls == NULL) {
		PR_Close(prfd);
		return NULL;
	}
	if (SSL_SetURL(tls, BENCH_SERVER_NAME) != SECSuccess ||
	    SSL_GetClientAuthDataHook(tls, client_auth_hook, NULL) != SECSuccess ||
	    SSL_ResetHandshake(tls, PR_FALSE) != SECSuccess) {
		PR_Close(tls);
		return NULL;
	}
	return tls;
}
