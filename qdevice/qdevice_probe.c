/* corosync-qdevice-tool -D's probe of the arbiter: connect, PREINIT, STARTTLS and a TLS handshake, closed before INIT so no vote can change (doc/diagnose.md §4). */
#include "qdevice_probe.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nspr.h>
#include <pk11pub.h>
#include <private/pprio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "frame.h"
#include "msg.h"
#include "proto.h"
#include "qdevice_settings.h"
#include "tls.h"

/* The reply to PREINIT is small; anything near this is not a qnetd. */
#define PROBE_MAX_REPLY 65536
/* How long a server that took our certificate has to say otherwise (TLS 1.3 refuses after the handshake). */
#define PROBE_ALERT_WAIT_MS 1000

uint64_t qdevice_probe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The time left for one step: its own limit, cut by the whole probe's deadline. */
static int step_ms(const struct qdevice_probe_params *p, uint64_t step_end)
{
	uint64_t now = qdevice_probe_now_ms(), end = step_end < p->deadline_ms ? step_end : p->deadline_ms;
	return end > now ? (int)(end - now) : 0;
}

/* ---- Certificates. ---- */

static void copy_nss_string(char *out, size_t len, char *s)
{
	snprintf(out, len, "%s", s != NULL ? s : "");
	if (s != NULL)
		PORT_Free(s);
}

static void describe_cert(CERTCertificate *cert, struct qdevice_diag_cert *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	copy_nss_string(out->subject, sizeof(out->subject), CERT_NameToAscii(&cert->subject));
	copy_nss_string(out->issuer, sizeof(out->issuer), CERT_NameToAscii(&cert->issuer));
	copy_nss_string(out->common_name, sizeof(out->common_name), CERT_GetCommonName(&cert->subject));
	PRTime nb, na;
	if (CERT_GetCertTimes(cert, &nb, &na) == SECSuccess) {
		out->not_before = (int64_t)(nb / PR_USEC_PER_SEC);
		out->not_after = (int64_t)(na / PR_USEC_PER_SEC);
	}
	unsigned char digest[32];
	if (PK11_HashBuf(SEC_OID_SHA256, digest, cert->derCert.data, (PRInt32)cert->derCert.len) == SECSuccess)
		for (size_t i = 0; i < sizeof(digest); i++)
			snprintf(out->sha256 + 2 * i, 3, "%02x", digest[i]);
}

bool qdevice_probe_open_db(const char *dir, struct qdevice_diag_node_db *db)
{
	memset(db, 0, sizeof(*db));
	char path[512];
	struct stat st;
	if (stat(dir, &st) != 0) {
		int e = errno;
		snprintf(db->error, sizeof(db->error), "%.100s: %s (pvecm qdevice setup creates it)", dir, strerror(e));
		db->unreadable = e == EACCES;
		return false;
	}
	snprintf(path, sizeof(path), "%s/cert9.db", dir);
	if (access(path, R_OK) != 0) {
		int e = errno;
		snprintf(db->error, sizeof(db->error), "%.120s: %s", path, strerror(e));
		db->unreadable = e == EACCES;
		return false;
	}
	if (tls_nss_init(dir) != 0) {
		snprintf(db->error, sizeof(db->error), "NSS cannot open %s (%d): %s", dir, tls_error_code(), tls_error_str());
		return false;
	}
	db->opened = true;
	CERTCertificate *cert = CERT_FindCertByNickname(CERT_GetDefaultCertDB(), QDEVICE_DEFAULT_NET_CLIENT_CERT_NICKNAME);
	if (cert != NULL) {
		describe_cert(cert, &db->cert);
		SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(cert, NULL);
		db->key_found = key != NULL;
		if (key != NULL)
			SECKEY_DestroyPrivateKey(key);
		CERT_DestroyCertificate(cert);
	}
	CERTCertList *all = PK11_ListCerts(PK11CertListAll, NULL);
	if (all != NULL) {
		for (CERTCertListNode *n = CERT_LIST_HEAD(all); !CERT_LIST_END(n, all); n = CERT_LIST_NEXT(n))
			if (db->ca_count < sizeof(db->cas) / sizeof(db->cas[0]) && CERT_IsCACert(n->cert, NULL))
				describe_cert(n->cert, &db->cas[db->ca_count++]);
		CERT_DestroyCertList(all);
	}
	return true;
}

void qdevice_probe_close_db(void)
{
	tls_nss_shutdown();
}

/* ---- The plaintext part: PREINIT and its reply, then STARTTLS. ---- */

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;
	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* 0 when connected, else the errno (ETIMEDOUT for silence). */
static int probe_connect(int fd, const struct sockaddr *sa, socklen_t len, const struct qdevice_probe_params *p)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	int n = wait_fd(fd, POLLOUT, step_ms(p, qdevice_probe_now_ms() + p->step_timeout_ms));
	if (n <= 0)
		return n == 0 ? ETIMEDOUT : errno;
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		return errno;
	return err;
}

static bool send_msg(int fd, const struct msg *m, const struct qdevice_probe_params *p, char *why, size_t why_len)
{
	uint8_t buf[512];
	long len = msg_encode(m, buf, sizeof(buf));
	if (len < 0) {
		snprintf(why, why_len, "the %s message could not be built", proto_msg_type_str(m->type));
		return false;
	}
	uint64_t end = qdevice_probe_now_ms() + p->step_timeout_ms;
	size_t done = 0;
	while (done < (size_t)len) {
		ssize_t n = send(fd, buf + done, (size_t)len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, why_len, "sending %s failed: %s", proto_msg_type_str(m->type), strerror(errno));
			return false;
		}
		if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, step_ms(p, end)) <= 0) {
			snprintf(why, why_len, "sending %s timed out", proto_msg_type_str(m->type));
			return false;
		}
	}
	return true;
}

/* Reads exactly one message, never a byte past it (the TLS handshake follows a STARTTLS). */
static bool read_reply(int fd, const struct qdevice_probe_params *p, struct msg *reply, char *why, size_t why_len)
{
	struct frame_reader fr;
	struct frame f;
	uint8_t buf[4096];
	uint64_t end = qdevice_probe_now_ms() + p->step_timeout_ms;
	bool ok = false;

	frame_reader_init(&fr, PROBE_MAX_REPLY);
	for (;;) {
		size_t want = frame_reader_want(&fr);
		ssize_t n = recv(fd, buf, want < sizeof(buf) ? want : sizeof(buf), 0);
		if (n == 0) {
			snprintf(why, why_len, "it closed the connection without answering PREINIT");
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				snprintf(why, why_len, "reading the reply to PREINIT failed: %s", strerror(errno));
				break;
			}
			if (wait_fd(fd, POLLIN, step_ms(p, end)) <= 0) {
				snprintf(why, why_len, "no reply to PREINIT within %u s (not a qnetd, or packets dropped after the connect)",
					 (unsigned)(p->step_timeout_ms / 1000));
				break;
			}
			continue;
		}
		frame_reader_feed(&fr, buf, (size_t)n, &f);
		if (f.event == FRAME_NEED_MORE)
			continue;
		if (f.event != FRAME_MESSAGE) {
			snprintf(why, why_len, "it sent something that is not a qnetd message");
			break;
		}
		struct msg_decode_error derr;
		if (msg_decode(f.data, f.size, reply, &derr) != 0) {
			snprintf(why, why_len, "its reply does not decode: %s", msg_decode_status_str(derr.status));
			break;
		}
		ok = true;
		break;
	}
	frame_reader_destroy(&fr);
	return ok;
}

/* PREINIT and its reply; true when TLS can follow (the reply is in out). */
static bool probe_preinit(int fd, const struct qdevice_probe_params *p, struct qdevice_diag_probe *out)
{
	struct msg m, reply;
	msg_init(&m, PROTO_MSG_PREINIT);
	m.seq_number = 1;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.cluster_name = (const uint8_t *)p->cluster_name;
	m.cluster_name_len = strlen(p->cluster_name);
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	if (!send_msg(fd, &m, p, out->protocol_error, sizeof(out->protocol_error)))
		return false;
	msg_init(&reply, PROTO_MSG_PREINIT_REPLY);
	bool ok = false;
	if (read_reply(fd, p, &reply, out->protocol_error, sizeof(out->protocol_error))) {
		if (reply.type == PROTO_MSG_SERVER_ERROR)
			snprintf(out->protocol_error, sizeof(out->protocol_error), "it answered PREINIT with error %u (%s)",
				 msg_has(&reply, PROTO_OPT_REPLY_ERROR_CODE) ? reply.reply_error_code : 0,
				 msg_has(&reply, PROTO_OPT_REPLY_ERROR_CODE) ? proto_reply_error_str(reply.reply_error_code)
									       : "no code");
		else if (reply.type != PROTO_MSG_PREINIT_REPLY || !msg_has(&reply, PROTO_OPT_TLS_SUPPORTED) ||
			 !msg_has(&reply, PROTO_OPT_TLS_CLIENT_CERT_REQUIRED))
			snprintf(out->protocol_error, sizeof(out->protocol_error), "it answered PREINIT with %s, not a complete PREINIT_REPLY",
				 proto_msg_type_str(reply.type));
		else
			ok = true;
	}
	if (ok) {
		out->preinit_reply = true;
		out->server_tls = reply.tls_supported;
		out->server_wants_client_cert = reply.tls_client_cert_required != 0;
	}
	msg_destroy(&reply);
	return ok;
}

/* ---- The TLS part. ---- */

static void copy_error(char *out, size_t len, const char *what)
{
	snprintf(out, len, "%s%s(%d): %s", what, what[0] != '\0' ? " " : "", tls_error_code(), tls_error_str());
}

/* Checks the server certificate and lets the handshake go on whatever it finds: the probe sends nothing after it. */
static SECStatus probe_auth_cert(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct qdevice_diag_probe *out = arg;
	(void)check_sig;
	(void)is_server;
	CERTCertificate *cert = SSL_PeerCertificate(fd);
	if (cert == NULL) {
		out->server_verify = QDEVICE_DIAG_VERIFY_OTHER;
		copy_error(out->verify_error, sizeof(out->verify_error), "the server sent no certificate");
		return SECSuccess;
	}
	describe_cert(cert, &out->server_cert);
	/*
	 * Judge the chain inside the certificate's own window: cert-validity judges the dates against
	 * the clock. A moment can still fall outside the issuer's window (a CA made after, or expiring
	 * before, the certificate), so an attempt that fails only on dates says nothing; any other
	 * failure (a bad signature: a new CA under the old name) is the verdict.
	 */
	PRTime nb, na;
	int err = 0;
	bool chain_ok = false;
	if (CERT_GetCertTimes(cert, &nb, &na) == SECSuccess && nb <= na) {
		PRTime when[3] = {nb + (na - nb) / 2, nb + PR_USEC_PER_SEC, na - PR_USEC_PER_SEC};
		for (int i = 0; i < 3 && !chain_ok && err == 0; i++) {
			if (when[i] < nb || when[i] > na)
				continue;
			chain_ok = CERT_VerifyCertificate(CERT_GetDefaultCertDB(), cert, PR_TRUE, certificateUsageSSLServer, when[i],
							  NULL, NULL, NULL) == SECSuccess;
			int e = chain_ok ? 0 : PR_GetError();
			if (e != SEC_ERROR_EXPIRED_CERTIFICATE && e != SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE)
				err = e;
		}
	}
	if (chain_ok || err == 0) {
		out->server_verify = CERT_VerifyCertName(cert, QDEVICE_DEFAULT_NET_QNETD_CN) == SECSuccess
					     ? QDEVICE_DIAG_VERIFY_OK : QDEVICE_DIAG_VERIFY_BAD_NAME;
	} else if (err == SEC_ERROR_UNKNOWN_ISSUER || err == SEC_ERROR_UNTRUSTED_ISSUER || err == SEC_ERROR_CA_CERT_INVALID ||
		   err == SEC_ERROR_UNTRUSTED_CERT || err == SEC_ERROR_BAD_SIGNATURE) {
		out->server_verify = QDEVICE_DIAG_VERIFY_UNKNOWN_ISSUER;
		PR_SetError(err, 0);
		copy_error(out->verify_error, sizeof(out->verify_error), "");
	} else {
		out->server_verify = QDEVICE_DIAG_VERIFY_OTHER;
		PR_SetError(err, 0);
		copy_error(out->verify_error, sizeof(out->verify_error), "");
	}
	CERT_DestroyCertificate(cert);
	return SECSuccess;
}

static SECStatus probe_client_auth(void *arg, PRFileDesc *fd, CERTDistNames *ca_names, CERTCertificate **cert_out,
				   SECKEYPrivateKey **key_out)
{
	struct qdevice_diag_probe *out = arg;
	(void)fd;
	(void)ca_names;
	CERTCertificate *cert = CERT_FindUserCertByUsage(CERT_GetDefaultCertDB(), QDEVICE_DEFAULT_NET_CLIENT_CERT_NICKNAME,
							 certUsageSSLClient, PR_FALSE, NULL);
	if (cert == NULL)
		return SECFailure;
	SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(cert, NULL);
	if (key == NULL) {
		CERT_DestroyCertificate(cert);
		return SECFailure;
	}
	*cert_out = cert;
	*key_out = key;
	out->client_cert_sent = true;
	return SECSuccess;
}

/* An alert that says the server did not take our certificate. */
static bool is_cert_alert(int err)
{
	switch (err) {
	case SSL_ERROR_BAD_CERT_ALERT:
	case SSL_ERROR_UNSUPPORTED_CERT_ALERT:
	case SSL_ERROR_REVOKED_CERT_ALERT:
	case SSL_ERROR_EXPIRED_CERT_ALERT:
	case SSL_ERROR_CERTIFICATE_UNKNOWN_ALERT:
	case SSL_ERROR_UNKNOWN_CA_ALERT:
	case SSL_ERROR_ACCESS_DENIED_ALERT:
	case SSL_ERROR_HANDSHAKE_FAILURE_ALERT:
	case SSL_ERROR_RX_CERTIFICATE_REQUIRED_ALERT:
	case SSL_ERROR_DECRYPT_ERROR_ALERT:
		return true;
	default:
		return false;
	}
}

static void probe_tls(int fd, const struct qdevice_probe_params *p, struct qdevice_diag_probe *out)
{
	PRFileDesc *prfd = PR_ImportTCPSocket(fd);
	if (prfd == NULL) {
		copy_error(out->tls_error, sizeof(out->tls_error), "cannot import the socket into NSPR");
		close(fd);
		return;
	}
	PRFileDesc *tls = SSL_ImportFD(NULL, prfd);
	if (tls == NULL) {
		copy_error(out->tls_error, sizeof(out->tls_error), "cannot start NSS SSL");
		PR_Close(prfd);
		return;
	}
	out->tls_tried = true;
	if (SSL_OptionSet(tls, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(tls, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_SetURL(tls, QDEVICE_DEFAULT_NET_QNETD_CN) != SECSuccess ||
	    SSL_AuthCertificateHook(tls, probe_auth_cert, out) != SECSuccess ||
	    SSL_GetClientAuthDataHook(tls, probe_client_auth, out) != SECSuccess ||
	    SSL_ResetHandshake(tls, PR_FALSE) != SECSuccess) {
		copy_error(out->tls_error, sizeof(out->tls_error), "cannot set up TLS");
		PR_Close(tls);
		return;
	}
	int ms = step_ms(p, qdevice_probe_now_ms() + p->step_timeout_ms);
	if (SSL_ForceHandshakeWithTimeout(tls, PR_MillisecondsToInterval((PRUint32)ms)) != SECSuccess) {
		int err = PR_GetError();
		copy_error(out->tls_error, sizeof(out->tls_error), "the handshake failed");
		out->client_cert_refused = is_cert_alert(err) && (out->client_cert_sent || out->server_wants_client_cert);
		/* A server that sends its CA along: a new CA under the old name and serial number. */
		if (err == SEC_ERROR_REUSED_ISSUER_AND_SERIAL && out->server_verify == QDEVICE_DIAG_VERIFY_NOT_TRIED) {
			out->server_verify = QDEVICE_DIAG_VERIFY_REUSED_CA;
			copy_error(out->verify_error, sizeof(out->verify_error), "");
		}
		PR_Close(tls);
		return;
	}
	out->handshake_ok = true;
	/* A server answers nothing before INIT; an alert here is its verdict on our certificate. */
	char byte;
	ms = step_ms(p, qdevice_probe_now_ms() + PROBE_ALERT_WAIT_MS);
	PRInt32 n = PR_Recv(tls, &byte, 1, 0, PR_MillisecondsToInterval((PRUint32)ms));
	if (n < 0 && PR_GetError() != PR_IO_TIMEOUT_ERROR) {
		int err = PR_GetError();
		copy_error(out->tls_error, sizeof(out->tls_error), "the server ended the connection after the handshake");
		out->client_cert_refused = is_cert_alert(err) && (out->client_cert_sent || out->server_wants_client_cert);
	} else if (n == 0) {
		snprintf(out->tls_error, sizeof(out->tls_error), "the server closed the connection after the handshake");
		out->client_cert_refused = out->client_cert_sent || out->server_wants_client_cert;
	}
	PR_Close(tls);
}

void qdevice_probe_address(const struct sockaddr *sa, socklen_t len, const struct qdevice_probe_params *p,
			   struct qdevice_diag_addr *out)
{
	memset(&out->probe, 0, sizeof(out->probe));
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		out->err = errno;
		out->reach = qdevice_diag_reach_from_errno(out->err);
		return;
	}
	out->err = probe_connect(fd, sa, len, p);
	out->reach = qdevice_diag_reach_from_errno(out->err);
	if (out->err != 0) {
		close(fd);
		return;
	}
	if (p->cluster_name == NULL || p->cluster_name[0] == '\0') {
		snprintf(out->probe.protocol_error, sizeof(out->probe.protocol_error),
			 "totem.cluster_name is not set, so no PREINIT was sent");
		close(fd);
		return;
	}
	if (!probe_preinit(fd, p, &out->probe)) {
		close(fd);
		return;
	}
	bool tls = p->tls != PROTO_TLS_UNSUPPORTED && out->probe.server_tls != PROTO_TLS_UNSUPPORTED;
	if (!tls || !p->db_open) {
		close(fd);
		return;
	}
	struct msg st;
	msg_init(&st, PROTO_MSG_STARTTLS);
	st.seq_number = 2;
	msg_set_present(&st, PROTO_OPT_MSG_SEQ_NUMBER);
	if (!send_msg(fd, &st, p, out->probe.tls_error, sizeof(out->probe.tls_error))) {
		close(fd);
		return;
	}
	probe_tls(fd, p, &out->probe);
}
