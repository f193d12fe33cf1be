/* qnetd's network side: the listening socket, client connections, their send queues, TLS and timers. */
/* accept4() and SOCK_NONBLOCK are Linux interfaces. */
#define _GNU_SOURCE
#include "qnetd_net.h"

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
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "sendq.h"
#include "qnetd_tls.h"

struct net_conn {
	struct qnetd_conn session;
	struct qnetd_net *net;
	int fd;
	struct qnetd_tls_conn *tls;               /* NULL until STARTTLS */
	bool tls_read_wants_write;          /* the TLS layer must write before it can read on */
	struct sendq out;                   /* bounded by max_client_send_buffers */
	bool want_write;                    /* EPOLLOUT registered */
	struct loop_timer dpd_timer;
	uint64_t dpd_last_ms;               /* when the client last showed it is alive */
	struct loop_timer algo_timer;
	struct loop_timer rate_timer;       /* its next evaluation request may run (doc/hardening.md §7.3) */
	struct loop_timer init_timer;       /* the deadline for TLS and INIT (-S init_timeout) */
	struct qnetd_addr_key addr;         /* counted in net->per_address */
	bool addr_counted;
	struct net_conn *prev, *next;       /* net->conns */
	struct net_conn *dirty_next;
	bool in_dirty;
	bool in_closing;
	struct net_conn *closing_next;
	bool in_rereads;
	struct net_conn *reread_next;       /* net->rereads */
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

/* Session ops. */
static int op_send(void *ctx, struct qnetd_conn *session, const uint8_t *buf, size_t len)
{
	(void)ctx;
	struct net_conn *c = net_conn_of(session);
	if (sendq_push(&c->out, buf, len) != 0)
		return -1;
	mark_dirty(c);
	return 0;
}

static int op_start_tls(void *ctx, struct qnetd_conn *session)
{
	struct qnetd_net *net = ctx;
	struct net_conn *c = net_conn_of(session);

	c->tls = qnetd_tls_conn_new(net->tls, c->fd, qnetd_conn_peer(session));
	return c->tls != NULL ? 0 : -1;
}

static int op_verify_client_cert(void *ctx, struct qnetd_conn *session, const uint8_t *name, size_t name_len)
{
	(void)ctx;
	struct net_conn *c = net_conn_of(session);
	if (c->tls == NULL || name == NULL || memchr(name, '\0', name_len) != NULL)
		return -1;
	return qnetd_tls_conn_match_name(c->tls, (const char *)name);
}

/*
 * Lazy: a message only notes the time, and dpd_expired moves the timer on when the deadline it
 * was armed for is no longer the real one. Re-placing the timer in the heap on every message cost
 * a third of our own CPU in a membership storm (cache misses all over a heap of thousands).
 */
static void op_dpd_restart(void *ctx, struct qnetd_conn *session)
{
	struct qnetd_net *net = ctx;
	struct net_conn *c = net_conn_of(session);
	uint64_t now = loop_now_ms();
	c->dpd_last_ms = now;
	/* Re-arm only when not armed or the interval shrank below the armed deadline. */
	if (!loop_timer_armed(&c->dpd_timer) || c->dpd_timer.deadline_ms > now + qnetd_conn_dpd_interval_ms(session))
		loop_timer_start(net->loop, &c->dpd_timer, qnetd_conn_dpd_interval_ms(session));
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

static void op_rate_timer_start(void *ctx, struct qnetd_conn *session, uint64_t ms)
{
	struct qnetd_net *net = ctx;
	loop_timer_start(net->loop, &net_conn_of(session)->rate_timer, ms);
}

static uint64_t op_now_ms(void *ctx)
{
	(void)ctx;
	return loop_now_ms();
}

static void op_disconnect_scheduled(void *ctx, struct qnetd_conn *session)
{
	(void)ctx;
	struct net_conn *c = net_conn_of(session);
	/* Not yet registered (accept_one has not finished): the caller frees it itself. */
	if (c->net != NULL)
		mark_closing(c);
}

static const struct qnetd_session_ops session_ops = {
	.send = op_send,
	.start_tls = op_start_tls,
	.verify_client_cert = op_verify_client_cert,
	.dpd_restart = op_dpd_restart,
	.algo_timer_start = op_algo_timer_start,
	.algo_timer_stop = op_algo_timer_stop,
	.now_ms = op_now_ms,
	.disconnect_scheduled = op_disconnect_scheduled,
	.rate_timer_start = op_rate_timer_start,
};

/* Frees the connection after the disconnect procedure; pending output is dropped. */
static void conn_free(struct qnetd_net *net, struct net_conn *c)
{
	if (c->in_rereads) {
		struct net_conn **pp = &net->rereads;
		while (*pp != c)
			pp = &(*pp)->reread_next;
		*pp = c->reread_next;
		c->in_rereads = false;
	}
	loop_timer_stop(net->loop, &c->dpd_timer);
	loop_timer_stop(net->loop, &c->algo_timer);
	loop_timer_stop(net->loop, &c->rate_timer);
	loop_timer_stop(net->loop, &c->init_timer);
	if (c->addr_counted)
		qnetd_addr_count_remove(&net->per_address, &c->addr);
	if (c->fd >= 0)
		loop_fd_remove(net->loop, c->fd);
	qnetd_tls_conn_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	sendq_clear(&c->out);
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
	qnetd_conn_log_close(&c->session);
	qnetd_conn_disconnect(&net->server, &c->session);
	conn_free(net, c);
}

static void schedule_close(struct net_conn *c, enum qnetd_close_reason why, const char *reason)
{
	qnetd_conn_schedule_disconnect(&c->session, why, reason);
	mark_closing(c);
}

/* EPOLLOUT while output is queued or the TLS layer waits to write. */
static void update_interest(struct qnetd_net *net, struct net_conn *c)
{
	bool need_write = (!sendq_empty(&c->out) && !qnetd_conn_closing(&c->session)) || c->tls_read_wants_write;
	if (need_write != c->want_write && c->fd >= 0) {
		c->want_write = need_write;
		loop_fd_modify(net->loop, c->fd, EPOLLIN | (need_write ? EPOLLOUT : 0));
	}
}

/* Writes as much queued output as the socket takes; plaintext bursts go out in one writev. */
static void conn_flush(struct qnetd_net *net, struct net_conn *c)
{
	while (!sendq_empty(&c->out) && !qnetd_conn_closing(&c->session)) {
		ssize_t n;
		if (c->tls == NULL) {
			struct iovec iov[64];
			int cnt = sendq_iov(&c->out, iov, 64);
			n = writev(c->fd, iov, cnt);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				break;
			if (n <= 0) {
				schedule_close(c, QNETD_CLOSE_IO_ERROR, "write error");
				return;
			}
		} else {
			/* One record per write: gather the burst so it leaves as one. */
			uint8_t burst[16384];
			size_t used = sendq_gather(&c->out, burst, sizeof(burst));
			n = qnetd_tls_conn_write(c->tls, burst, used);
			if (n == QNETD_TLS_WANT_WRITE || n == QNETD_TLS_WANT_READ)
				break;
			if (n <= 0) {
				log_debug("Client %s: TLS write failed (%s)", qnetd_conn_peer(&c->session),
					  n == 0 ? "connection closed" : qnetd_tls_conn_error(c->tls));
				schedule_close(c, QNETD_CLOSE_TLS_ERROR, "TLS write error");
				return;
			}
		}
		sendq_consume(&c->out, (size_t)n);
	}
	update_interest(net, c);
}

/*
 * Before the loop waits: flush what the pass queued (for any client), then close what must close.
 * The pass ends here; evaluations still waiting run after the next epoll batch (a zero timer), so
 * replies such as echoes that batch brings go out before them (doc/hardening.md §7.4).
 */
static void flush_and_close(struct loop *loop, void *data)
{
	struct qnetd_net *net = data;
	(void)loop;
	while (net->dirty != NULL || net->closing != NULL) {
		while (net->dirty != NULL) {
			struct net_conn *c = net->dirty;
			net->dirty = c->dirty_next;
			c->in_dirty = false;
			if (!c->in_closing) {
				conn_flush(net, c);
				if (qnetd_conn_closing(&c->session))
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
	qnetd_server_pass_done(&net->server);
	if (qnetd_server_has_deferred(&net->server) && !loop_timer_armed(&net->deferred_timer))
		loop_timer_start(net->loop, &net->deferred_timer, 0);
}

/* One pass's share of the evaluations that wait, in fair turns across clusters. */
static void deferred_due(struct loop *loop, void *data)
{
	(void)loop;
	struct qnetd_net *net = data;
	qnetd_server_run_deferred(&net->server);
}

/* Reads what is available; plaintext never past the current message (the TLS hello may follow STARTTLS). */
static void conn_read(struct qnetd_net *net, struct net_conn *c)
{
	uint8_t buf[4096];

	/*
	 * A client over its request rate gets one read a pass: what it sends beyond the rate only
	 * replaces what already waits, and reading it all would cost the pass as much as evaluating it.
	 */
	for (int rounds = 0; rounds < (qnetd_conn_rate_limited(&c->session) ? 1 : 64) && !qnetd_conn_closing(&c->session);
	     rounds++) {
		ssize_t n;
		if (c->tls == NULL) {
			size_t want = qnetd_conn_want(&c->session);
			if (want > sizeof(buf))
				want = sizeof(buf);
			n = recv(c->fd, buf, want, 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (n == 0) {
				schedule_close(c, QNETD_CLOSE_PEER_CLOSED, "connection closed by peer");
				return;
			}
			if (n < 0) {
				schedule_close(c, QNETD_CLOSE_IO_ERROR, "read error");
				return;
			}
		} else {
			n = qnetd_tls_conn_read(c->tls, buf, sizeof(buf));
			if (n == QNETD_TLS_WANT_READ)
				return;
			if (n == QNETD_TLS_WANT_WRITE) {
				/* The handshake's own records did not fit into the socket: read on when it drains. */
				c->tls_read_wants_write = true;
				update_interest(net, c);
				return;
			}
			if (n == 0) {
				schedule_close(c, QNETD_CLOSE_PEER_CLOSED, "connection closed by peer");
				return;
			}
			if (n < 0) {
				log_info("Client %s: TLS read failed (%s)", qnetd_conn_peer(&c->session), qnetd_tls_conn_error(c->tls));
				int rejection = qnetd_tls_conn_rejection(c->tls);
				if (rejection >= 0)
					qnetd_server_note_cert_rejection(&net->server, (enum qnetd_cert_rejection)rejection,
									 loop_now_ms());
				schedule_close(c, QNETD_CLOSE_TLS_ERROR, "TLS error");
				return;
			}
		}
		qnetd_conn_input(&net->server, &c->session, buf, (size_t)n);
		if (qnetd_conn_closing(&c->session)) {
			mark_closing(c);
			return;
		}
		/*
		 * Once the TLS layer holds nothing (neither decrypted bytes nor records it read ahead),
		 * anything unread is still in the socket and the level-triggered epoll reports it again.
		 * Stopping here saves the read that would only end in EAGAIN: one syscall and one pass
		 * through the record layer per message.
		 */
		if (c->tls != NULL && !qnetd_tls_conn_pending(c->tls))
			return;
	}
	/*
	 * Out of rounds with records still inside the TLS layer, which the socket will not signal: read
	 * them after the other connections of this pass have had their turn.
	 */
	if (c->tls != NULL && !qnetd_conn_closing(&c->session) && !c->in_rereads && qnetd_tls_conn_pending(c->tls)) {
		c->in_rereads = true;
		c->reread_next = net->rereads;
		net->rereads = c;
		if (!loop_timer_armed(&net->reread_timer))
			loop_timer_start(net->loop, &net->reread_timer, 0);
	}
}

static void rereads_due(struct loop *loop, void *data)
{
	(void)loop;
	struct qnetd_net *net = data;
	struct net_conn *list = net->rereads;
	net->rereads = NULL;
	while (list != NULL) {
		struct net_conn *c = list;
		list = c->reread_next;
		c->in_rereads = false;
		if (!c->in_closing && !qnetd_conn_closing(&c->session)) {
			conn_read(net, c);
			if (qnetd_conn_closing(&c->session))
				mark_closing(c);
		}
	}
}

static void conn_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	(void)fd;
	struct net_conn *c = data;
	struct qnetd_net *net = c->net;

	bool read_now = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
	if ((events & EPOLLOUT) && c->tls_read_wants_write) {
		c->tls_read_wants_write = false;
		read_now = true;
	}
	if (read_now)
		conn_read(net, c);
	if (!c->in_closing && (events & EPOLLOUT))
		conn_flush(net, c);
	else if (!c->in_closing && !c->in_dirty)
		update_interest(net, c); /* a dirty connection is flushed before the loop waits, which decides */
	if (qnetd_conn_closing(&c->session))
		mark_closing(c);
}

static void dpd_expired(struct loop *loop, void *data)
{
	struct net_conn *c = data;
	/* Closed at the end of this pass already: its timers have nothing left to say. */
	if (c->in_closing || qnetd_conn_closing(&c->session))
		return;
	uint64_t due = c->dpd_last_ms + qnetd_conn_dpd_interval_ms(&c->session), now = loop_now_ms();
	if (due > now) {
		/* A message came after the timer was armed: wait for the rest of its interval. */
		loop_timer_start(loop, &c->dpd_timer, due - now);
		return;
	}
	/*
	 * Timers run after a whole epoll batch, so under load the client's message may already sit unread
	 * in the socket: read it first, and a complete message re-arms the timer.
	 */
	if (c->fd >= 0) {
		conn_read(c->net, c);
		if (loop_timer_armed(&c->dpd_timer) || qnetd_conn_closing(&c->session)) {
			if (qnetd_conn_closing(&c->session))
				mark_closing(c);
			return;
		}
	}
	log_warn("Client %s doesn't sent any message during %llu ms. Disconnecting", qnetd_conn_peer(&c->session),
		 (unsigned long long)qnetd_conn_dpd_interval_ms(&c->session));
	schedule_close(c, QNETD_CLOSE_DEAD_PEER, "dead peer detected");
}

/*
 * Stock clients send INIT within a second of connecting; one that has not, by the deadline, only
 * holds a descriptor (and maybe a half-done TLS handshake). PREINIT and other messages before INIT
 * do not move the deadline.
 */
static void init_timer_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct net_conn *c = data;
	if (c->in_closing || qnetd_conn_closing(&c->session) || qnetd_conn_joined(&c->session))
		return;
	log_ratelimited(&c->net->refused_init_timeout, loop_now_ms(), LOG_WARNING,
		    "Client %s did not finish TLS and INIT within %u ms. Disconnecting", qnetd_conn_peer(&c->session),
		    c->net->settings->init_timeout);
	schedule_close(c, QNETD_CLOSE_INIT_TIMEOUT, "initialization deadline passed");
}

static void algo_timer_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct net_conn *c = data;
	if (c->in_closing || qnetd_conn_closing(&c->session))
		return;
	qnetd_conn_algo_timer(&c->net->server, &c->session);
	if (qnetd_conn_closing(&c->session))
		mark_closing(c);
}

static void rate_timer_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct net_conn *c = data;
	if (c->in_closing || qnetd_conn_closing(&c->session))
		return;
	qnetd_conn_rate_timer(&c->net->server, &c->session);
}

void qnetd_net_format_peer(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	} else if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	}
	snprintf(out, len, "%s:%u", host, port);
}

static void accept_one(struct qnetd_net *net, int fd, const struct sockaddr_storage *ss)
{
	char peer[64];
	qnetd_net_format_peer((const struct sockaddr *)ss, peer, sizeof(peer));

	if (net->settings->max_clients != 0 && (long long)net->server.conn_count >= net->settings->max_clients) {
		log_ratelimited(&net->refused_max_clients, loop_now_ms(), LOG_ERR, "Maximum clients reached. Not accepting connection from %s",
			    peer);
		close(fd);
		return;
	}
	struct qnetd_addr_key addr = {0};
	bool addr_counted = false;
	if (net->settings->max_clients_per_address != 0 && qnetd_addr_key_from_sockaddr(ss, &addr) == 0) {
		unsigned long n = qnetd_addr_count_add(&net->per_address, &addr);
		if (n == 0) {
			log_err("Out of memory for the connection from %s", peer);
			close(fd);
			return;
		}
		addr_counted = true;
		if ((long long)n > net->settings->max_clients_per_address) {
			qnetd_addr_count_remove(&net->per_address, &addr);
			log_ratelimited(&net->refused_per_address, loop_now_ms(), LOG_ERR,
				    "Too many connections from %s (limit %lld, -S max_clients_per_address). "
				    "Not accepting connection",
				    peer, net->settings->max_clients_per_address);
			close(fd);
			return;
		}
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct net_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_err("Out of memory for the connection from %s", peer);
		if (addr_counted)
			qnetd_addr_count_remove(&net->per_address, &addr);
		close(fd);
		return;
	}
	c->net = net;
	c->fd = fd;
	c->addr = addr;
	c->addr_counted = addr_counted;
	sendq_init(&c->out, (size_t)net->settings->max_client_send_buffers);
	qnetd_conn_init(&net->server, &c->session, peer);
	loop_timer_init(&c->dpd_timer, dpd_expired, c);
	loop_timer_init(&c->algo_timer, algo_timer_expired, c);
	loop_timer_init(&c->rate_timer, rate_timer_expired, c);
	loop_timer_init(&c->init_timer, init_timer_expired, c);
	if (loop_fd_add(net->loop, fd, EPOLLIN, conn_event, c) != 0) {
		log_err("Cannot watch the connection from %s", peer);
		qnetd_conn_disconnect(&net->server, &c->session);
		qnetd_conn_destroy(&c->session);
		if (addr_counted)
			qnetd_addr_count_remove(&net->per_address, &addr);
		close(fd);
		free(c);
		return;
	}
	c->next = net->conns;
	if (net->conns != NULL)
		net->conns->prev = c;
	net->conns = c;
	c->dpd_last_ms = loop_now_ms();
	if (net->settings->dpd_enabled)
		loop_timer_start(net->loop, &c->dpd_timer, qnetd_conn_dpd_interval_ms(&c->session));
	if (net->settings->init_timeout != 0)
		loop_timer_start(net->loop, &c->init_timer, net->settings->init_timeout);
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
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    !listen_guard_failed(&net->listen_guard, errno, (unsigned long)net->server.conn_count))
				log_errno(LOG_ERR, "Cannot accept connection");
			break;
		}
		listen_guard_accepted(&net->listen_guard);
		accept_one(net, cfd, &ss);
	}
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

int qnetd_net_init(struct qnetd_net *net, struct loop *loop, const struct qnetd_settings *settings)
{
	memset(net, 0, sizeof(*net));
	net->loop = loop;
	net->settings = settings;
	net->listen_fd = -1;
	loop_timer_init(&net->reread_timer, rereads_due, net);
	loop_timer_init(&net->deferred_timer, deferred_due, net);
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	qnetd_addr_count_init(&net->per_address, seed);
	qnetd_server_init(&net->server, settings, &session_ops, net);
	loop_set_before_wait(loop, flush_and_close, net);

	if (settings->tls != PROTO_TLS_UNSUPPORTED) {
		net->tls = qnetd_tls_server_create(settings->nss_db_dir, settings->cert_nickname,
					     settings->client_cert_required);
		if (net->tls == NULL)
			return -1;
	}
	net->listen_fd = open_listener(net);
	if (net->listen_fd < 0) {
		log_errno(LOG_CRIT, "Cannot create the listening socket");
		return -1;
	}
	if (listen_guard_add(&net->listen_guard, loop, net->listen_fd, EPOLLIN, listen_event, net, "connections", 1000) != 0) {
		log_crit("Cannot watch the listening socket");
		return -1;
	}
	return 0;
}

void qnetd_net_shutdown(struct qnetd_net *net)
{
	net->server.going_down = true;
	if (net->server.conn_count > 0)
		log_info("Closing %zu client connections", net->server.conn_count);
	/* Every connection goes now: nothing is flushed or closed later from these lists. */
	net->dirty = NULL;
	net->closing = NULL;
	while (net->conns != NULL) {
		struct net_conn *c = net->conns;
		qnetd_conn_disconnect(&net->server, &c->session);
		conn_free(net, c);
		net->dirty = NULL;
		net->closing = NULL;
	}
	if (net->listen_fd >= 0) {
		listen_guard_remove(&net->listen_guard);
		close(net->listen_fd);
		net->listen_fd = -1;
	}
	loop_timer_stop(net->loop, &net->reread_timer);
	loop_timer_stop(net->loop, &net->deferred_timer);
	qnetd_tls_server_destroy(net->tls);
	net->tls = NULL;
	qnetd_server_destroy(&net->server);
	qnetd_addr_count_destroy(&net->per_address);
}
