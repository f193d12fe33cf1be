/* Model net's connection to qnetd: non-blocking connect over the resolved addresses, framing, send queue, TLS after STARTTLS (doc/qdevice-state-machine.md §6, doc/tls.md §3). */
#include "qdevice_net_transport.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nspr.h>
#include <pk11pub.h>
#include <private/pprio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "log.h"
#include "tls.h"

void qdevice_net_transport_init(struct qdevice_net_transport *t, struct loop *loop, struct qdevice_net *net)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->net = net;
	t->fd = -1;
	frame_reader_init(&t->frame, qdevice_net_max_receive_size(net));
	sendq_init(&t->out, 0);         /* bounded at each connect, once max_send_buffers is set */
}

static void fail(struct qdevice_net_transport *t, enum qdevice_net_reason reason)
{
	qdevice_net_schedule_disconnect(t->net, reason);
}

/* ---- Connecting (doc/qdevice-state-machine.md §6). ---- */

static void fd_event(struct loop *loop, int fd, uint32_t events, void *data);
static void try_next_address(struct qdevice_net_transport *t);

static void close_fd(struct qdevice_net_transport *t)
{
	if (t->fd < 0)
		return;
	loop_fd_remove(t->loop, t->fd);
	if (t->tls != NULL) {
		PR_Close(t->tls);       /* owns the socket since the import */
		t->tls = NULL;
	} else {
		close(t->fd);
	}
	t->fd = -1;
}

static void connected(struct qdevice_net_transport *t)
{
	int one = 1;

	t->connecting = false;
	freeaddrinfo(t->addrs);
	t->addrs = t->next_addr = NULL;
	/* Each message is a request the server answers at once: never wait for Nagle. */
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	loop_fd_modify(t->loop, t->fd, EPOLLIN);
	log_debug("Connected to qnetd");
	qdevice_net_tcp_connected(t->net);
}

static void try_next_address(struct qdevice_net_transport *t)
{
	close_fd(t);
	while (t->next_addr != NULL) {
		struct addrinfo *ai = t->next_addr;
		t->next_addr = ai->ai_next;
		if (t->force_ip_version == 6 && ai->ai_family != AF_INET6)
			continue;
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0)
			continue;
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r != 0 && errno != EINPROGRESS) {
			log_debug("Connect to an address of the qnetd host failed: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (loop_fd_add(t->loop, fd, EPOLLOUT, fd_event, t) != 0) {
			close(fd);
			continue;
		}
		t->fd = fd;
		t->connecting = true;
		if (r == 0)
			connected(t);
		return;
	}
	freeaddrinfo(t->addrs);
	t->addrs = NULL;
	t->connecting = false;
	/* Nothing more until the connect timer fires (doc/qdevice-state-machine.md §6). */
	qdevice_net_connect_failed(t->net);
}

void qdevice_net_transport_connect(struct qdevice_net_transport *t)
{
	struct addrinfo hints, *res = NULL;
	char port[8];

	qdevice_net_transport_close(t);
	sendq_init(&t->out, t->max_send_buffers);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = t->force_ip_version == 4 ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", (unsigned)t->port);
	int r = getaddrinfo(t->host, port, &hints, &res);
	if (r != 0) {
		log_err("Can't resolve qnetd host '%s': %s", t->host, gai_strerror(r));
		qdevice_net_connect_failed(t->net);
		return;
	}
	t->addrs = res;
	t->next_addr = res;
	try_next_address(t);
}

/* ---- TLS (doc/tls.md §2.4, §3). ---- */

static SECStatus client_auth_hook(void *arg, PRFileDesc *fd, CERTDistNames *ca_names, CERTCertificate **cert_out,
				  SECKEYPrivateKey **key_out)
{
	struct qdevice_net_transport *t = arg;
	(void)fd;
	(void)ca_names;

	CERTCertificate *cert = CERT_FindUserCertByUsage(CERT_GetDefaultCertDB(), t->client_cert_nickname,
							 certUsageSSLClient, PR_FALSE, NULL);
	if (cert == NULL) {
		log_err("Can't find client certificate '%s' in the NSS database (%d): %s", t->client_cert_nickname,
			tls_error_code(), tls_error_str());
		return SECFailure;
	}
	SECKEYPrivateKey *key = PK11_FindKeyByAnyCert(cert, NULL);
	if (key == NULL) {
		log_err("Can't find the private key of client certificate '%s' (%d): %s", t->client_cert_nickname,
			tls_error_code(), tls_error_str());
		CERT_DestroyCertificate(cert);
		return SECFailure;
	}
	*cert_out = cert;
	*key_out = key;
	t->client_cert_sent = true;
	return SECSuccess;
}

/*
 * An expired server certificate is accepted, as upstream does, because arbiters set up years ago
 * still serve theirs. But NSS checks the validity dates first and reports only the expiry, so the
 * chain and the name have not been checked at all when this hook runs: accepting on the error code
 * alone (upstream's hook) lets any self-signed, out-of-date certificate through, even with
 * `tls: required` (doc/hardening.md §4.1). So the certificate must verify as a server certificate,
 * up to a CA in the database, as of a moment inside its own validity window, and carry the expected
 * name.
 */
static bool expired_cert_acceptable(PRFileDesc *fd, const char *expected_name)
{
	CERTCertificate *cert = SSL_PeerCertificate(fd);
	if (cert == NULL)
		return false;
	bool ok = false;
	PRTime not_before, not_after;
	if (CERT_GetCertTimes(cert, &not_before, &not_after) == SECSuccess && not_before <= not_after &&
	    CERT_VerifyCertName(cert, expected_name) == SECSuccess) {
		/* Inside the window: its middle, else its first second, else its last (a CA that
		 * expired before the certificate, or was created after it). */
		PRTime when[3] = {not_before + (not_after - not_before) / 2, not_before + PR_USEC_PER_SEC,
				  not_after - PR_USEC_PER_SEC};
		for (int i = 0; i < 3 && !ok; i++) {
			if (when[i] < not_before || when[i] > not_after)
				continue;
			ok = CERT_VerifyCertificate(CERT_GetDefaultCertDB(), cert, PR_TRUE, certificateUsageSSLServer,
						    when[i], SSL_RevealPinArg(fd), NULL, NULL) == SECSuccess;
		}
	}
	CERT_DestroyCertificate(cert);
	return ok;
}

static SECStatus bad_cert_hook(void *arg, PRFileDesc *fd)
{
	struct qdevice_net_transport *t = arg;
	int err = PR_GetError();
	switch (err) {
	case SEC_ERROR_EXPIRED_CERTIFICATE:
	case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE:
	case SEC_ERROR_CRL_EXPIRED:
	case SEC_ERROR_KRL_EXPIRED:
	case SSL_ERROR_EXPIRED_CERT_ALERT:
		if (expired_cert_acceptable(fd, t->qnetd_cn)) {
			log_warn("Server certificate is expired.");
			return SECSuccess;
		}
		log_err("Server certificate is expired and does not verify for '%s' within its validity period: "
			"refusing it (a certificate from another CA, or for another name)",
			t->qnetd_cn);
		PR_SetError(err, 0);
		return SECFailure;
	default:
		log_err("Server certificate verification failure (%d): %s", tls_error_code(), tls_error_str());
		return SECFailure;
	}
}

static int start_tls(struct qdevice_net_transport *t)
{
	PRFileDesc *prfd = PR_ImportTCPSocket(t->fd);
	if (prfd == NULL) {
		log_err("Can't import socket into NSPR (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	PRSocketOptionData opt = {.option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE};
	PR_SetSocketOption(prfd, &opt);
	PRFileDesc *tls = SSL_ImportFD(NULL, prfd);
	if (tls == NULL) {
		log_err("Can't import socket into NSS SSL (%d): %s", tls_error_code(), tls_error_str());
		loop_fd_remove(t->loop, t->fd);
		PR_Close(prfd);
		t->fd = -1;
		return -1;
	}
	t->tls = tls;
	if (SSL_OptionSet(tls, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(tls, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_SetURL(tls, t->qnetd_cn) != SECSuccess ||
	    SSL_GetClientAuthDataHook(tls, client_auth_hook, t) != SECSuccess ||
	    SSL_BadCertHook(tls, bad_cert_hook, t) != SECSuccess || SSL_ResetHandshake(tls, PR_FALSE) != SECSuccess) {
		log_err("Can't set up TLS (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	return 0;
}

/* ---- Sending (doc/qdevice-state-machine.md §6: the send queue's limits). ---- */

int qdevice_net_transport_send(struct qdevice_net_transport *t, const struct msg *m)
{
	if (t->fd < 0)
		return -1;
	if (sendq_count(&t->out) >= t->max_send_buffers) {
		log_err("Send queue to qnetd is full (%zu messages)", sendq_count(&t->out));
		return -1;
	}
	size_t cap = qdevice_net_max_send_size(t->net);
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return -1;
	long len = msg_encode(m, buf, cap);
	if (len < 0) {
		log_err("%s message does not fit the send size limit %zu", proto_msg_type_str(m->type), cap);
		free(buf);
		return -1;
	}
	int r = sendq_push(&t->out, buf, (size_t)len);
	free(buf);
	return r;
}

/* Returns 1 when the queue is empty, 0 when the socket would block, -1 after scheduling a disconnect. */
static int flush(struct qdevice_net_transport *t)
{
	while (!sendq_empty(&t->out)) {
		ssize_t n;
		if (t->tls == NULL) {
			struct iovec iov[16];
			int cnt = sendq_iov(&t->out, iov, 16);
			struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
			n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return 0;
			if (n < 0) {
				log_err("Can't send message to qnetd: %s", strerror(errno));
				fail(t, QDEVICE_NET_REASON_CANT_SEND_MESSAGE);
				return -1;
			}
		} else {
			uint8_t burst[16384];
			size_t used = sendq_gather(&t->out, burst, sizeof(burst));
			n = PR_Send(t->tls, burst, (PRInt32)used, 0, PR_INTERVAL_NO_WAIT);
			if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR)
				return 0;
			if (n < 0) {
				log_err("Can't send message to qnetd (%d): %s", tls_error_code(), tls_error_str());
				fail(t, QDEVICE_NET_REASON_CANT_SEND_MESSAGE);
				return -1;
			}
		}
		if (n == 0) {
			fail(t, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION);
			return -1;
		}
		sendq_consume(&t->out, (size_t)n);
		/* STARTTLS is on the wire (nothing is queued behind it): from now on the socket speaks TLS. */
		if (sendq_empty(&t->out) && qdevice_net_starttls_pending(t->net) && t->tls == NULL) {
			if (start_tls(t) != 0) {
				fail(t, QDEVICE_NET_REASON_CANT_START_TLS);
				return -1;
			}
			qdevice_net_starttls_done(t->net, false);
		}
	}
	return 1;
}

/* ---- Receiving. ---- */

static void deliver(struct qdevice_net_transport *t, const struct frame *f)
{
	struct msg m;
	struct msg_decode_error err;

	memset(&m, 0, sizeof(m));
	if (msg_decode(f->data, f->size, &m, &err) != 0) {
		log_err("Can't decode message from qnetd: %s (option %u)", msg_decode_status_str(err.status), err.option);
		msg_destroy(&m);
		fail(t, QDEVICE_NET_REASON_MSG_DECODE_ERROR);
		return;
	}
	qdevice_net_msg_received(t->net, &m);
	msg_destroy(&m);
}

/* A header just completed: an unknown type ends the connection at once, an oversized message after its payload. */
static void header_judged(struct qdevice_net_transport *t, const struct frame *h)
{
	if (h->verdict == FRAME_UNKNOWN_TYPE) {
		log_err("Received unsupported message %u. Disconnecting from server", h->type);
		fail(t, QDEVICE_NET_REASON_UNSUPPORTED_MSG);
	} else if (h->verdict == FRAME_TOO_LONG) {
		log_err("Received message %s is too long (%u bytes, limit %u). Skipping it and disconnecting",
			proto_msg_type_str(h->type), h->length, qdevice_net_max_receive_size(t->net));
	}
}

/* Feeds one read's bytes (never more than the current message) to the framing. */
static void frame_input(struct qdevice_net_transport *t, const uint8_t *data, size_t len)
{
	size_t off = 0;

	while (off < len && !qdevice_net_closing(t->net)) {
		struct frame f, h;
		bool had_header = frame_reader_header_done(&t->frame, &h);
		off += frame_reader_feed(&t->frame, data + off, len - off, &f);
		if (!had_header && f.event == FRAME_NEED_MORE && frame_reader_header_done(&t->frame, &h))
			header_judged(t, &h);
		switch (f.event) {
		case FRAME_NEED_MORE:
			break;
		case FRAME_MESSAGE:
			deliver(t, &f);
			break;
		case FRAME_SKIPPED:
			if (!had_header)
				header_judged(t, &f);
			fail(t, f.verdict == FRAME_UNKNOWN_TYPE ? QDEVICE_NET_REASON_UNSUPPORTED_MSG
								: QDEVICE_NET_REASON_CANT_READ_MESSAGE);
			return;
		case FRAME_NO_MEMORY:
			fail(t, QDEVICE_NET_REASON_CANT_READ_MESSAGE);
			return;
		}
	}
}

static void read_available(struct qdevice_net_transport *t)
{
	uint8_t chunk[4096];

	for (int rounds = 0; rounds < 256 && t->fd >= 0 && !qdevice_net_closing(t->net); rounds++) {
		/* The server's limit, learnt from INIT_REPLY, applies from the next header on. */
		frame_reader_set_max(&t->frame, qdevice_net_max_receive_size(t->net));
		/* Never past the current message: plaintext must not swallow the TLS handshake after STARTTLS. */
		size_t want = frame_reader_want(&t->frame);
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		ssize_t n;
		if (t->tls == NULL) {
			n = recv(t->fd, chunk, want, 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (n < 0) {
				log_err("Can't read message from qnetd: %s", strerror(errno));
				fail(t, QDEVICE_NET_REASON_CANT_READ_MESSAGE);
				return;
			}
		} else {
			n = PR_Recv(t->tls, chunk, (PRInt32)want, 0, PR_INTERVAL_NO_WAIT);
			if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR)
				return;
			if (n < 0) {
				log_err("Can't read message from qnetd (%d): %s", tls_error_code(), tls_error_str());
				fail(t, QDEVICE_NET_REASON_CANT_READ_MESSAGE);
				return;
			}
		}
		if (n == 0) {
			log_debug("Server closed the connection");
			fail(t, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION);
			return;
		}
		frame_input(t, chunk, (size_t)n);
	}
}

/* ---- Events. ---- */

static void update_events(struct qdevice_net_transport *t)
{
	if (t->fd < 0 || t->connecting)
		return;
	uint32_t ev = EPOLLIN;
	if (!sendq_empty(&t->out))
		ev |= EPOLLOUT;
	if (t->tls != NULL) {
		/* The TLS layer knows what the handshake waits for; ask it rather than guess. */
		PRInt16 out = 0;
		PRInt16 want = t->tls->methods->poll(t->tls, PR_POLL_READ | (!sendq_empty(&t->out) ? PR_POLL_WRITE : 0), &out);
		ev = 0;
		if (want & PR_POLL_READ)
			ev |= EPOLLIN;
		if (want & PR_POLL_WRITE)
			ev |= EPOLLOUT;
		if (ev == 0)
			ev = EPOLLIN;
	}
	loop_fd_modify(t->loop, t->fd, ev);
}

static void fd_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_net_transport *t = data;
	(void)loop;
	(void)fd;

	if (t->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			log_debug("Connect to an address of the qnetd host failed: %s", strerror(err));
			try_next_address(t);
		} else {
			connected(t);
		}
	} else {
		if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
			log_err("POLL_ERR (%u) on main socket", events);
			fail(t, QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION);
		} else {
			if (!sendq_empty(&t->out))
				flush(t);
			read_available(t);
		}
	}
	/* Replies queued by the messages just read go out in the same wake-up. */
	if (t->fd >= 0 && !t->connecting && !qdevice_net_closing(t->net) && !sendq_empty(&t->out))
		flush(t);
	if (t->client_cert_sent)
		qdevice_net_client_cert_sent(t->net);
	update_events(t);
}

void qdevice_net_transport_kick(struct qdevice_net_transport *t)
{
	if (t->fd >= 0 && !t->connecting && !qdevice_net_closing(t->net) && !sendq_empty(&t->out))
		flush(t);
	update_events(t);
}

void qdevice_net_transport_close(struct qdevice_net_transport *t)
{
	close_fd(t);
	if (t->addrs != NULL)
		freeaddrinfo(t->addrs);
	t->addrs = t->next_addr = NULL;
	t->connecting = false;
	t->client_cert_sent = false;
	sendq_clear(&t->out);
	frame_reader_reset(&t->frame);
}

void qdevice_net_transport_destroy(struct qdevice_net_transport *t)
{
	qdevice_net_transport_close(t);
	frame_reader_destroy(&t->frame);
}
