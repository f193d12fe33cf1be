/* qnetd's network side: the listening socket, client connections, their send queues, TLS and timers. */
/* accept4() and SOCK_NONBLOCK are Linux interfaces. */
#define _GNU_SOURCE
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nspr.h>
#include <pk11pub.h>
#include <private/pprio.h>
#include <ssl.h>

#include "log.h"
#include "tls.h"
#include "proto.h"

/* A queued outgoing message. */
struct send_buf {
	struct send_buf *next;
	size_t len;
	uint8_t data[];
};

struct net_conn {
	struct qnetd_conn session;
	struct qnetd_net *net;
	int fd;
	PRFileDesc *tls;                    /* NULL until STARTTLS; then owns fd */
	struct send_buf *queue;
	struct send_buf *queue_tail;
	size_t queue_count;
	size_t head_offset;                 /* bytes of the first buffer already sent */
	bool want_write;                    /* EPOLLOUT registered */
	struct loop_timer dpd_timer;
	struct loop_timer algo_timer;
	struct net_conn *prev, *next;       /* net->conns */
	struct net_conn *dirty_next;
	bool in_dirty;
	bool in_closing;
	struct net_conn *closing_next;
};

static struct net_conn *net_conn_of(struct qnetd_conn *session)
{
	return (struct net_conn *)session; /* session is the first member */
}

static void mark_dirty(struct net_conn *c)
{
	if (!c->in_dirty) {
		c->in_dirty = true;
		c->dirty_next = c->net->dirty;
		c->net->dirty = c;
	}
}

static void mark_closing(struct net_conn *c)
{
	if (!c->in_closing) {
		c->in_closing = true;
		c->closing_next = c->net->closing;
		c->net->closing = c;
	}
}

/*
 * Verification cache for client certificates. NSS verifies the peer's chain on every handshake with a
 * dozen lookups in the sqlite certificate database (the issuer by subject, trust objects, CRLs). A
 * certificate whose exact DER bytes passed that verification recently is accepted again without it;
 * the handshake still checks the client's CertificateVerify signature, so only the holder of the
 * private key gets in. An entry lasts at most NET_VERIFY_TTL_MS and never past the certificate's
 * notAfter, and the whole cache is dropped as soon as cert9.db changes (certificate, trust or CRL
 * imported or removed), so a change to the database takes effect at the next handshake, as without the
 * cache. Failures are never cached. Only an sql: database can be watched; with another one there is
 * no cache. The one thing noticed late (by at most the TTL) is the expiry of the issuing CA itself.
 */
#define NET_VERIFY_SLOTS 1024
#define NET_VERIFY_TTL_MS (5 * 60 * 1000)
#define NET_VERIFY_MAX_DER 8192

struct verify_entry {
	uint8_t *der;
	unsigned der_len;
	uint64_t expires_ms;
	PRTime not_after;
};

struct net_verify_cache {
	char *db_file;                      /* <nss_db_dir>/cert9.db */
	struct stat db_st;                  /* its state when the entries were verified */
	bool db_st_valid;
	struct verify_entry slots[NET_VERIFY_SLOTS];
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

static void verify_cache_flush(struct net_verify_cache *vc)
{
	for (size_t i = 0; i < NET_VERIFY_SLOTS; i++) {
		free(vc->slots[i].der);
		vc->slots[i].der = NULL;
		vc->slots[i].der_len = 0;
	}
}

static struct net_verify_cache *verify_cache_create(const char *db_dir)
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
	struct net_verify_cache *vc = calloc(1, sizeof(*vc));
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

static void verify_cache_destroy(struct net_verify_cache *vc)
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
static bool verify_cache_check_db(struct net_verify_cache *vc)
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

static bool verify_cache_lookup(struct net_verify_cache *vc, const CERTCertificate *cert)
{
	if (!verify_cache_check_db(vc))
		return false;
	const SECItem *der = &cert->derCert;
	struct verify_entry *e = &vc->slots[verify_hash(der->data, der->len) % NET_VERIFY_SLOTS];
	if (e->der == NULL || e->der_len != der->len || memcmp(e->der, der->data, der->len) != 0)
		return false;
	if (loop_now_ms() >= e->expires_ms || PR_Now() >= e->not_after) {
		free(e->der);
		e->der = NULL;
		e->der_len = 0;
		return false;
	}
	return true;
}

/* Called after a successful full verification, with the database state checked just before it. */
static void verify_cache_insert(struct net_verify_cache *vc, const CERTCertificate *cert)
{
	const SECItem *der = &cert->derCert;
	PRTime not_before, not_after;
	if (!vc->db_st_valid || der->len == 0 || der->len > NET_VERIFY_MAX_DER ||
	    CERT_GetCertTimes(cert, &not_before, &not_after) != SECSuccess)
		return;
	struct verify_entry *e = &vc->slots[verify_hash(der->data, der->len) % NET_VERIFY_SLOTS];
	uint8_t *copy = malloc(der->len);
	if (copy == NULL)
		return;
	memcpy(copy, der->data, der->len);
	free(e->der);
	e->der = copy;
	e->der_len = der->len;
	e->expires_ms = loop_now_ms() + NET_VERIFY_TTL_MS;
	e->not_after = not_after;
}

/* NSS's certificate authentication hook for the server side: NSS's own check, through the cache. */
static SECStatus net_auth_certificate(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	struct qnetd_net *net = arg;
	struct net_verify_cache *vc = net->verify_cache;
	CERTCertificate *peer = SSL_PeerCertificate(fd);

	if (vc != NULL && peer != NULL && verify_cache_lookup(vc, peer)) {
		CERT_DestroyCertificate(peer);
		return SECSuccess;
	}
	SECStatus rv = SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, check_sig, is_server);
	if (rv == SECSuccess && vc != NULL && peer != NULL)
		verify_cache_insert(vc, peer);
	if (peer != NULL)
		CERT_DestroyCertificate(peer);
	return rv;
}

/* Session ops. */
static int op_send(void *ctx, struct qnetd_conn *session, const uint8_t *buf, size_t len)
{
	(void)ctx;
	struct net_conn *c = net_conn_of(session);
	if ((long long)c->queue_count >= c->net->settings->max_client_send_buffers)
		return -1;
	struct send_buf *b = malloc(sizeof(*b) + len);
	if (b == NULL)
		return -1;
	b->next = NULL;
	b->len = len;
	memcpy(b->data, buf, len);
	if (c->queue_tail != NULL)
		c->queue_tail->next = b;
	else
		c->queue = b;
	c->queue_tail = b;
	c->queue_count++;
	mark_dirty(c);
	return 0;
}

static int op_start_tls(void *ctx, struct qnetd_conn *session)
{
	struct qnetd_net *net = ctx;
	struct net_conn *c = net_conn_of(session);

	PRFileDesc *prfd = PR_ImportTCPSocket(c->fd);
	if (prfd == NULL) {
		log_err("Client %s: cannot import socket into NSPR (%d): %s", session->peer, tls_error_code(),
			tls_error_str());
		return -1;
	}
	PRSocketOptionData opt = {.option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE};
	PR_SetSocketOption(prfd, &opt);
	PRFileDesc *tls = SSL_ImportFD(net->tls_model, prfd);
	if (tls == NULL || SSL_AuthCertificateHook(tls, net_auth_certificate, net) != SECSuccess ||
	    SSL_ResetHandshake(tls, PR_TRUE) != SECSuccess) {
		log_err("Client %s: cannot start TLS (%d): %s", session->peer, tls_error_code(), tls_error_str());
		/* The NSPR descriptor owns the socket now; close through it. */
		PR_Close(tls != NULL ? tls : prfd);
		c->fd = -1;
		return -1;
	}
	c->tls = tls;
	return 0;
}

static int op_verify_client_cert(void *ctx, struct qnetd_conn *session, const uint8_t *name, size_t name_len)
{
	(void)ctx;
	struct net_conn *c = net_conn_of(session);
	if (c->tls == NULL || name == NULL || memchr(name, '\0', name_len) != NULL)
		return -1;
	CERTCertificate *peer = SSL_PeerCertificate(c->tls);
	if (peer == NULL)
		return -1;
	/* RFC 2818 matching against SAN dNSName or CN, case-insensitive, wildcards allowed. */
	SECStatus rv = CERT_VerifyCertName(peer, (const char *)name);
	CERT_DestroyCertificate(peer);
	return rv == SECSuccess ? 0 : -1;
}

static void op_dpd_restart(void *ctx, struct qnetd_conn *session)
{
	struct qnetd_net *net = ctx;
	struct net_conn *c = net_conn_of(session);
	loop_timer_start(net->loop, &c->dpd_timer, session->dpd_interval_ms);
}

static void op_algo_timer_start(void *ctx, struct qnetd_conn *session, uint32_t interval_ms)
{
	struct qnetd_net *net = ctx;
	loop_timer_start(net->loop, &net_conn_of(session)->algo_timer, interval_ms);
}

static void op_algo_timer_stop(void *ctx, struct qnetd_conn *session)
{
	struct qnetd_net *net = ctx;
	loop_timer_stop(net->loop, &net_conn_of(session)->algo_timer);
}

static const struct qnetd_session_ops session_ops = {
	.send = op_send,
	.start_tls = op_start_tls,
	.verify_client_cert = op_verify_client_cert,
	.dpd_restart = op_dpd_restart,
	.algo_timer_start = op_algo_timer_start,
	.algo_timer_stop = op_algo_timer_stop,
};

/* Frees the connection after the disconnect procedure; pending output is dropped. */
static void conn_free(struct qnetd_net *net, struct net_conn *c)
{
	loop_timer_stop(net->loop, &c->dpd_timer);
	loop_timer_stop(net->loop, &c->algo_timer);
	if (c->fd >= 0)
		loop_fd_remove(net->loop, c->fd);
	if (c->tls != NULL)
		PR_Close(c->tls);
	else if (c->fd >= 0)
		close(c->fd);
	while (c->queue != NULL) {
		struct send_buf *b = c->queue;
		c->queue = b->next;
		free(b);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		net->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	qnetd_conn_destroy(&c->session);
	free(c);
}

static void conn_close(struct qnetd_net *net, struct net_conn *c)
{
	log_debug("Client %s: closing connection (%s)", c->session.peer,
		  c->session.disconnect_reason != NULL ? c->session.disconnect_reason : "closed");
	qnetd_conn_disconnect(&net->server, &c->session);
	conn_free(net, c);
}

static void schedule_close(struct net_conn *c, const char *reason)
{
	qnetd_conn_schedule_disconnect(&c->session, reason);
	mark_closing(c);
}

/* Writes as much queued output as the socket takes; plaintext bursts go out in one writev. */
static void conn_flush(struct qnetd_net *net, struct net_conn *c)
{
	while (c->queue != NULL && !c->session.disconnect_scheduled) {
		ssize_t n;
		if (c->tls == NULL) {
			struct iovec iov[64];
			int cnt = 0;
			size_t off = c->head_offset;
			for (struct send_buf *b = c->queue; b != NULL && cnt < 64; b = b->next) {
				iov[cnt].iov_base = b->data + off;
				iov[cnt].iov_len = b->len - off;
				off = 0;
				cnt++;
			}
			n = writev(c->fd, iov, cnt);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				break;
			if (n <= 0) {
				schedule_close(c, "write error");
				return;
			}
		} else {
			/* NSS makes one record per write: gather the burst so it leaves as one. */
			uint8_t burst[16384];
			size_t used = 0, off = c->head_offset;
			for (struct send_buf *b = c->queue; b != NULL; b = b->next) {
				size_t take = b->len - off;
				if (used > 0 && used + take > sizeof(burst))
					break;
				if (take > sizeof(burst)) {
					take = sizeof(burst);
				}
				memcpy(burst + used, b->data + off, take);
				used += take;
				off = 0;
				if (used == sizeof(burst))
					break;
			}
			n = PR_Write(c->tls, burst, (PRInt32)used);
			if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR)
				break;
			if (n <= 0) {
				log_debug("Client %s: TLS write failed (%d): %s", c->session.peer, tls_error_code(),
					  tls_error_str());
				schedule_close(c, "TLS write error");
				return;
			}
		}
		/* Drop fully written buffers. */
		size_t done = (size_t)n;
		while (done > 0 && c->queue != NULL) {
			size_t left = c->queue->len - c->head_offset;
			if (done < left) {
				c->head_offset += done;
				done = 0;
			} else {
				done -= left;
				struct send_buf *b = c->queue;
				c->queue = b->next;
				if (c->queue == NULL)
					c->queue_tail = NULL;
				c->queue_count--;
				c->head_offset = 0;
				free(b);
			}
		}
	}
	bool need_write = c->queue != NULL && !c->session.disconnect_scheduled;
	if (need_write != c->want_write && c->fd >= 0) {
		c->want_write = need_write;
		loop_fd_modify(net->loop, c->fd, EPOLLIN | (need_write ? EPOLLOUT : 0));
	}
}

/* After every event: flush what the event queued (for any client), then close what must close. */
static void after_event(struct qnetd_net *net)
{
	while (net->dirty != NULL || net->closing != NULL) {
		while (net->dirty != NULL) {
			struct net_conn *c = net->dirty;
			net->dirty = c->dirty_next;
			c->in_dirty = false;
			if (!c->in_closing) {
				conn_flush(net, c);
				if (c->session.disconnect_scheduled)
					mark_closing(c);
			}
		}
		if (net->closing != NULL) {
			/* Closing may push votes to other clients: they become dirty and flush in the next pass. */
			struct net_conn *c = net->closing;
			net->closing = c->closing_next;
			if (c->in_dirty) {
				struct net_conn **pp = &net->dirty;
				while (*pp != c)
					pp = &(*pp)->dirty_next;
				*pp = c->dirty_next;
			}
			conn_close(net, c);
		}
	}
}

/* Reads what is available; plaintext never past the current message (the TLS hello may follow STARTTLS). */
static void conn_read(struct qnetd_net *net, struct net_conn *c)
{
	uint8_t buf[4096];

	for (int rounds = 0; rounds < 64 && !c->session.disconnect_scheduled; rounds++) {
		ssize_t n;
		if (c->tls == NULL) {
			size_t want = qnetd_conn_want(&c->session);
			if (want > sizeof(buf))
				want = sizeof(buf);
			n = recv(c->fd, buf, want, 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (n == 0) {
				schedule_close(c, "connection closed by peer");
				return;
			}
			if (n < 0) {
				schedule_close(c, "read error");
				return;
			}
		} else {
			n = PR_Recv(c->tls, buf, sizeof(buf), 0, PR_INTERVAL_NO_WAIT);
			if (n < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR)
				return;
			if (n == 0) {
				schedule_close(c, "connection closed by peer");
				return;
			}
			if (n < 0) {
				log_info("Client %s: TLS read failed (%d): %s", c->session.peer, tls_error_code(),
					 tls_error_str());
				schedule_close(c, "TLS error");
				return;
			}
		}
		qnetd_conn_input(&net->server, &c->session, buf, (size_t)n);
		if (c->session.disconnect_scheduled) {
			mark_closing(c);
			return;
		}
		/*
		 * NSS reads a record exactly (header, then body), never ahead, so once it holds no decrypted
		 * bytes anything unread is still in the socket and the level-triggered epoll reports it again.
		 * Stopping here saves the PR_Recv that would only end in EAGAIN: one syscall and one pass
		 * through NSS's record layer per message.
		 */
		if (c->tls != NULL && SSL_DataPending(c->tls) == 0)
			return;
	}
}

static void conn_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	(void)fd;
	struct net_conn *c = data;
	struct qnetd_net *net = c->net;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_read(net, c);
	if (!c->in_closing && (events & EPOLLOUT))
		conn_flush(net, c);
	/* A TLS connection may still need handshake records written. */
	if (!c->in_closing && c->tls != NULL && c->queue != NULL)
		mark_dirty(c);
	if (c->session.disconnect_scheduled)
		mark_closing(c);
	after_event(net);
}

static void dpd_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct net_conn *c = data;
	/*
	 * Timers run after a whole epoll batch, so under load the client's message may already sit unread
	 * in the socket: read it first, and a complete message re-arms the timer.
	 */
	if (c->fd >= 0 && !c->in_closing && !c->session.disconnect_scheduled) {
		conn_read(c->net, c);
		if (loop_timer_armed(&c->dpd_timer) || c->session.disconnect_scheduled) {
			if (c->session.disconnect_scheduled)
				mark_closing(c);
			after_event(c->net);
			return;
		}
	}
	log_warn("Client %s doesn't sent any message during %llu ms. Disconnecting", c->session.peer,
		 (unsigned long long)c->session.dpd_interval_ms);
	schedule_close(c, "dead peer detected");
	after_event(c->net);
}

static void algo_timer_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct net_conn *c = data;
	struct qnetd_net *net = c->net;
	const struct qnetd_algo *algo = qnetd_algo_get(c->session.client.algorithm);

	if (c->session.init_received && algo != NULL && algo->timer != NULL) {
		uint16_t code = algo->timer(&net->server.algo_io, &c->session.client);
		if (code != PROTO_ERR_NO_ERROR) {
			struct msg m;
			uint8_t out[64];
			msg_init(&m, PROTO_MSG_SERVER_ERROR);
			m.reply_error_code = code;
			msg_set_present(&m, PROTO_OPT_REPLY_ERROR_CODE);
			long len = msg_encode(&m, out, sizeof(out));
			if (len < 0 || op_send(net, &c->session, out, (size_t)len) != 0)
				schedule_close(c, "send queue full");
		}
	}
	after_event(net);
}

/* "address:port" the way upstream prints it: v4-mapped stays mapped, no brackets. */
static void format_peer(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(out, len, "%s:%u", host, port);
}

static void accept_one(struct qnetd_net *net, int fd, const struct sockaddr_storage *ss)
{
	char peer[64];
	format_peer(ss, peer, sizeof(peer));

	if (net->settings->max_clients != 0 && (long long)net->server.conn_count >= net->settings->max_clients) {
		log_err("Maximum clients reached. Not accepting connection from %s", peer);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct net_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_err("Out of memory for the connection from %s", peer);
		close(fd);
		return;
	}
	c->net = net;
	c->fd = fd;
	qnetd_conn_init(&net->server, &c->session, peer);
	loop_timer_init(&c->dpd_timer, dpd_expired, c);
	loop_timer_init(&c->algo_timer, algo_timer_expired, c);
	if (loop_fd_add(net->loop, fd, EPOLLIN, conn_event, c) != 0) {
		log_err("Cannot watch the connection from %s", peer);
		qnetd_conn_disconnect(&net->server, &c->session);
		qnetd_conn_destroy(&c->session);
		close(fd);
		free(c);
		return;
	}
	c->next = net->conns;
	if (net->conns != NULL)
		net->conns->prev = c;
	net->conns = c;
	if (net->settings->dpd_enabled)
		loop_timer_start(net->loop, &c->dpd_timer, c->session.dpd_interval_ms);
	log_debug("New client connected from %s", peer);
}

/* Accepts until the queue is empty, so a burst of handshakes never overflows the backlog. */
static void listen_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	(void)events;
	struct qnetd_net *net = data;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_errno(LOG_ERR, "Cannot accept connection");
			break;
		}
		accept_one(net, cfd, &ss);
	}
	after_event(net);
}

static int bind_listen(struct qnetd_net *net, int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The wildcard IPv6 socket serves both families, whatever net.ipv6.bindv6only says. */
	if (family == AF_INET6 && net->settings->listen_addr == NULL)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	int backlog = net->settings->listen_backlog_set ? net->settings->listen_backlog : SOMAXCONN;
	if (bind(fd, sa, len) != 0 || listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int open_listener(struct qnetd_net *net)
{
	const struct qnetd_settings *s = net->settings;
	char port[8];
	snprintf(port, sizeof(port), "%u", s->port);

	if (s->listen_addr == NULL) {
		if (s->family != QNETD_AF_INET) {
			struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any,
						  .sin6_port = htons(s->port)};
			int fd = bind_listen(net, AF_INET6, (struct sockaddr *)&a6, sizeof(a6));
			if (fd >= 0 || s->family == QNETD_AF_INET6)
				return fd;
			log_warn("Cannot listen on IPv6 (%s); falling back to IPv4", strerror(errno));
		}
		struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY),
					 .sin_port = htons(s->port)};
		return bind_listen(net, AF_INET, (struct sockaddr *)&a4, sizeof(a4));
	}

	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG | AI_PASSIVE};
	hints.ai_family = s->family == QNETD_AF_INET ? AF_INET : s->family == QNETD_AF_INET6 ? AF_INET6 : AF_UNSPEC;
	struct addrinfo *res;
	int rc = getaddrinfo(s->listen_addr, port, &hints, &res);
	if (rc != 0) {
		log_err("Cannot resolve listen address '%s': %s", s->listen_addr, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = bind_listen(net, ai->ai_family, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return fd;
}

static int load_certificate(struct qnetd_net *net)
{
	const struct qnetd_settings *s = net->settings;

	net->cert = PK11_FindCertFromNickname(s->cert_nickname, NULL);
	if (net->cert == NULL) {
		log_crit("Cannot find server certificate '%s' in %s (%d): %s", s->cert_nickname, s->nss_db_dir,
			 tls_error_code(), tls_error_str());
		return -1;
	}
	net->key = PK11_FindKeyByAnyCert(net->cert, NULL);
	if (net->key == NULL) {
		log_crit("Cannot find the private key of '%s' (%d): %s", s->cert_nickname, tls_error_code(),
			 tls_error_str());
		return -1;
	}
	if (SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		log_crit("Cannot configure the TLS session cache (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	PRFileDesc *model = SSL_ImportFD(NULL, PR_NewTCPSocket());
	if (model == NULL) {
		log_crit("Cannot create the TLS model socket (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	net->tls_model = model;
	if (SSL_ConfigServerCert(model, net->cert, net->key, NULL, 0) != SECSuccess ||
	    SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_REQUEST_CERTIFICATE, s->client_cert_required) != SECSuccess ||
	    SSL_OptionSet(model, SSL_REQUIRE_CERTIFICATE, s->client_cert_required) != SECSuccess) {
		log_crit("Cannot configure TLS (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	net->verify_cache = verify_cache_create(s->nss_db_dir);
	log_debug("Client certificate verification cache %s",
		  net->verify_cache != NULL ? "on (dropped whenever cert9.db changes)" : "off (not an sql: database)");
	return 0;
}

int qnetd_net_init(struct qnetd_net *net, struct loop *loop, const struct qnetd_settings *settings)
{
	memset(net, 0, sizeof(*net));
	net->loop = loop;
	net->settings = settings;
	net->listen_fd = -1;
	qnetd_server_init(&net->server, settings, &session_ops, net);

	if (settings->tls != PROTO_TLS_UNSUPPORTED && load_certificate(net) != 0)
		return -1;
	net->listen_fd = open_listener(net);
	if (net->listen_fd < 0) {
		log_errno(LOG_CRIT, "Cannot create the listening socket");
		return -1;
	}
	if (loop_fd_add(loop, net->listen_fd, EPOLLIN, listen_event, net) != 0) {
		log_crit("Cannot watch the listening socket");
		return -1;
	}
	return 0;
}

void qnetd_net_shutdown(struct qnetd_net *net)
{
	net->server.going_down = true;
	while (net->conns != NULL) {
		struct net_conn *c = net->conns;
		qnetd_conn_disconnect(&net->server, &c->session);
		conn_free(net, c);
	}
	if (net->listen_fd >= 0) {
		loop_fd_remove(net->loop, net->listen_fd);
		close(net->listen_fd);
		net->listen_fd = -1;
	}
	if (net->tls_model != NULL)
		PR_Close(net->tls_model);
	verify_cache_destroy(net->verify_cache);
	net->verify_cache = NULL;
	if (net->key != NULL)
		SECKEY_DestroyPrivateKey(net->key);
	if (net->cert != NULL)
		CERT_DestroyCertificate(net->cert);
	net->tls_model = NULL;
	net->key = NULL;
	net->cert = NULL;
	qnetd_server_destroy(&net->server);
}
