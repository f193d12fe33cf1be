/* NSS database identities and trust decisions for OpenSSL connections: the key export and the chain check. */
#ifndef QD_TLS_BRIDGE_H
#define QD_TLS_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Why tls_bridge_load_identity failed; the NSS error (tls_error_code) is set for the NSS steps. */
enum tls_bridge_result {
	TLS_BRIDGE_OK = 0,
	TLS_BRIDGE_NO_CERT,         /* no certificate under the nickname */
	TLS_BRIDGE_NO_KEY,          /* the certificate has no private key in the database */
	TLS_BRIDGE_KEY_UNREADABLE,  /* NSS would not export the key, or OpenSSL could not read it */
	TLS_BRIDGE_SSL_REFUSED,     /* OpenSSL refused the pair (its error queue says why) */
};

/*
 * Installs the certificate called nickname in the NSS database that tls_nss_init opened, and its
 * private key, into ctx. The key leaves the database only encrypted, under a one-time passphrase that
 * never leaves this call.
 */
enum tls_bridge_result tls_bridge_load_identity(SSL_CTX *ctx, const char *nickname);
/* One line explaining a tls_bridge_load_identity result, for a log line or stderr. */
const char *tls_bridge_result_str(enum tls_bridge_result result);

/* The peer usages NSS verifies for: the client side checks a server, the server side a client. */
enum tls_bridge_usage {
	TLS_BRIDGE_VERIFY_SSL_SERVER,
	TLS_BRIDGE_VERIFY_SSL_CLIENT,
};

/*
 * NSS's verdict on the certificate chain in store (the leaf and whatever else the peer sent): a chain to
 * a CA that the database trusts for the usage, valid now. Returns 0, or the NSS error code why not.
 * The certificates besides the leaf are offered to NSS as temporary ones, as its own handshake would.
 */
int tls_bridge_verify_chain(X509_STORE_CTX *store, enum tls_bridge_usage usage);

/* 0 when cert matches name the way NSS matches host names (SAN dNSName or CN, wildcards), else -1. */
int tls_bridge_match_name(X509 *cert, const char *name);

/* The DER bytes of cert (free with OPENSSL_free) and their length, or NULL. */
uint8_t *tls_bridge_der(X509 *cert, size_t *len);

#endif
