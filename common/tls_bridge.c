/* NSS database identities and trust decisions for OpenSSL connections: the key export and the chain check. */
/*
 * The NSS database is the interface every certutil flow and pvecm rely on, so keys and trust live
 * there alone; OpenSSL only carries handshakes and records (see qnetd/tls_server.c for why). This is the
 * seam: identities go from NSS to OpenSSL once at start-up, and every verdict on a peer's certificate
 * comes back from NSS.
 */
#include "tls_bridge.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cert.h>
#include <keyhi.h>
#include <nspr.h>
#include <pk11pub.h>
#include <secasn1.h>
#include <secerr.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>

/* At most this many extra certificates from a peer are offered to NSS (a real chain has one or two). */
#define BRIDGE_MAX_SENT_CERTS 8

uint8_t *tls_bridge_der(X509 *cert, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_X509(cert, &der);
	if (n <= 0) {
		OPENSSL_free(der);
		*len = 0;
		return NULL;
	}
	*len = (size_t)n;
	return der;
}

/* An NSS view of the certificate (CERT_DestroyCertificate), or NULL with the NSS error set. */
static CERTCertificate *nss_cert_of(X509 *x)
{
	size_t len;
	uint8_t *der = tls_bridge_der(x, &len);
	if (der == NULL) {
		PORT_SetError(SEC_ERROR_BAD_DER);
		return NULL;
	}
	SECItem item = {siDERCertBuffer, der, (unsigned)len};
	CERTCertificate *cert = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE);
	OPENSSL_free(der);
	return cert;
}

/*
 * A database key is sensitive, so NSS only hands it out encrypted: PKCS#8 under PBES2/AES-256 with
 * a random passphrase, decrypted again by OpenSSL at once.
 */
static EVP_PKEY *export_private_key(SECKEYPrivateKey *key)
{
	uint8_t raw[24];
	char pass[2 * sizeof(raw) + 1];
	EVP_PKEY *pkey = NULL;

	if (PK11_GenerateRandom(raw, sizeof(raw)) != SECSuccess)
		return NULL;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(pass + 2 * i, 3, "%02x", raw[i]);
	SECItem pw = {siBuffer, (unsigned char *)pass, (unsigned)strlen(pass)};
	SECKEYEncryptedPrivateKeyInfo *epki = PK11_ExportEncryptedPrivKeyInfo(NULL, SEC_OID_AES_256_CBC, &pw, key,
									      1, NULL);
	if (epki == NULL)
		goto out;
	SECItem *der = SEC_ASN1EncodeItem(NULL, NULL, epki, SECKEY_EncryptedPrivateKeyInfoTemplate);
	SECKEY_DestroyEncryptedPrivateKeyInfo(epki, PR_TRUE);
	if (der == NULL)
		goto out;
	const unsigned char *p = der->data;
	X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)der->len);
	SECITEM_ZfreeItem(der, PR_TRUE);
	if (sig == NULL)
		goto out;
	PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(sig, pass, (int)strlen(pass));
	X509_SIG_free(sig);
	if (p8 == NULL)
		goto out;
	pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	OPENSSL_cleanse(raw, sizeof(raw));
	return pkey;
}

enum tls_bridge_result tls_bridge_load_identity(SSL_CTX *ctx, const char *nickname)
{
	CERTCertificate *cert = PK11_FindCertFromNickname(nickname, NULL);
	if (cert == NULL)
		return TLS_BRIDGE_NO_CERT;
	SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(cert, NULL);
	if (key == NULL) {
		CERT_DestroyCertificate(cert);
		return TLS_BRIDGE_NO_KEY;
	}
	EVP_PKEY *pkey = export_private_key(key);
	SECKEY_DestroyPrivateKey(key);
	if (pkey == NULL) {
		CERT_DestroyCertificate(cert);
		return TLS_BRIDGE_KEY_UNREADABLE;
	}
	const unsigned char *p = cert->derCert.data;
	X509 *x = d2i_X509(NULL, &p, (long)cert->derCert.len);
	CERT_DestroyCertificate(cert);
	enum tls_bridge_result result = TLS_BRIDGE_OK;
	if (x == NULL || SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		result = TLS_BRIDGE_SSL_REFUSED;
	X509_free(x);
	EVP_PKEY_free(pkey);
	return result;
}

const char *tls_bridge_result_str(enum tls_bridge_result result)
{
	switch (result) {
	case TLS_BRIDGE_OK:
		return "ok";
	case TLS_BRIDGE_NO_CERT:
		return "no certificate with this nickname in the database";
	case TLS_BRIDGE_NO_KEY:
		return "the certificate's private key is not in the database";
	case TLS_BRIDGE_KEY_UNREADABLE:
		return "the private key cannot be read out of the database";
	case TLS_BRIDGE_SSL_REFUSED:
		return "OpenSSL refused the certificate or its key";
	}
	return "unknown result";
}

int tls_bridge_verify_chain(X509_STORE_CTX *store, enum tls_bridge_usage usage)
{
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	if (leaf == NULL)
		return SEC_ERROR_BAD_DER;
	CERTCertificate *cert = nss_cert_of(leaf);
	if (cert == NULL)
		return PORT_GetError() != 0 ? PORT_GetError() : SEC_ERROR_BAD_DER;

	/* Held (as temporary certificates) while NSS builds the chain, so it can find the issuers sent. */
	CERTCertificate *sent[BRIDGE_MAX_SENT_CERTS];
	int held = 0;
	STACK_OF(X509) *untrusted = X509_STORE_CTX_get0_untrusted(store);
	int count = untrusted != NULL ? sk_X509_num(untrusted) : 0;
	for (int i = 0; i < count && held < BRIDGE_MAX_SENT_CERTS; i++) {
		X509 *x = sk_X509_value(untrusted, i);
		if (x == leaf || X509_cmp(x, leaf) == 0)
			continue;
		CERTCertificate *c = nss_cert_of(x);
		if (c != NULL)
			sent[held++] = c;
	}
	SECCertUsage nss_usage = usage == TLS_BRIDGE_VERIFY_SSL_SERVER ? certUsageSSLServer : certUsageSSLClient;
	int error = 0;
	PORT_SetError(0);
	if (CERT_VerifyCert(CERT_GetDefaultCertDB(), cert, PR_TRUE, nss_usage, PR_Now(), NULL, NULL) != SECSuccess)
		error = PORT_GetError() != 0 ? PORT_GetError() : SEC_ERROR_UNTRUSTED_CERT;
	for (int i = 0; i < held; i++)
		CERT_DestroyCertificate(sent[i]);
	CERT_DestroyCertificate(cert);
	return error;
}

int tls_bridge_match_name(X509 *cert, const char *name)
{
	CERTCertificate *nss = nss_cert_of(cert);
	if (nss == NULL)
		return -1;
	SECStatus rv = CERT_VerifyCertName(nss, name);
	CERT_DestroyCertificate(nss);
	return rv == SECSuccess ? 0 : -1;
}
