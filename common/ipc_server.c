/* A daemon's local command socket: one request line per connection, one reply, then close, as in upstream. */
/* accept4() and SOCK_NONBLOCK are Linux interfaces. */
#define _GNU_SOURCE
#include "ipc_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

/*
 * Requests are read in chunks of this size, as upstream does: the first chunk holding a line end
 * ends the request, so the receive limit bites at the same byte counts. Replies go out in as
 * large writes as the socket takes (qnetd's lists can be megabytes).
 */
#define IPC_SERVER_CHUNK 256

struct ipc_server_conn {
	struct ipc_server *srv;
	int fd;
	char *request;
	size_t request_len;
	struct strbuf reply;
	size_t sent;
	bool replying;
	bool close_listener_after;
	struct loop_timer request_timer;        /* the request deadline */
	struct ipc_server_conn *prev, *next;
};

static void conn_close(struct ipc_server *srv, struct ipc_server_conn *c)
{
	loop_timer_stop(srv->loop, &c->request_timer);
	loop_fd_remove(srv->loop, c->fd);
	close(c->fd);
	free(c->request);
	strbuf_free(&c->reply);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->conn_count--;
	free(c);
}

static void conn_write(struct ipc_server *srv, struct ipc_server_conn *c)
{
	while (c->sent < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.data + c->sent, c->reply.len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			log_debug("IPC client went away while being answered");
			conn_close(srv, c);
			return;
		}
		c->sent += (size_t)n;
	}
	bool close_listener = c->close_listener_after;
	conn_close(srv, c);
	if (close_listener)
		ipc_server_close_listener(srv);
}

static void conn_reply(struct ipc_server *srv, struct ipc_server_conn *c)
{
	loop_timer_stop(srv->loop, &c->request_timer);
	strbuf_init(&c->reply, (size_t)srv->max_send_size);
	srv->on_request(srv->ctx, c->request, c->request_len, &c->reply, &c->close_listener_after);
	if (c->reply.failed) {
		strbuf_free(&c->reply);
		/* The error text itself must fit whatever the limit is. */
		strbuf_init(&c->reply, 1024);
		strbuf_printf(&c->reply, "Error\nInternal IPC buffer too small\n");
		c->close_listener_after = false;
	}
	c->replying = true;
	if (loop_fd_modify(srv->loop, c->fd, EPOLLOUT) != 0) {
		conn_close(srv, c);
		return;
	}
	conn_write(srv, c);
}

static void conn_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	(void)fd;
	struct ipc_server_conn *c = data;
	struct ipc_server *srv = c->srv;

	if (c->replying) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_write(srv, c);
		return;
	}
	char buf[IPC_SERVER_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(srv, c);
		return;
	}
	if (c->request_len + (size_t)n > (unsigned long long)srv->max_receive_size) {
		log_ratelimited(&srv->refused, loop_now_ms(), LOG_ERR,
				"IPC client request longer than %lld bytes, dropping the client", srv->max_receive_size);
		conn_close(srv, c);
		return;
	}
	char *grown = realloc(c->request, c->request_len + (size_t)n);
	if (grown == NULL) {
		log_err("Can't store an IPC request, dropping the client");
		conn_close(srv, c);
		return;
	}
	c->request = grown;
	memcpy(c->request + c->request_len, buf, (size_t)n);
	c->request_len += (size_t)n;
	if (memchr(buf, '\n', (size_t)n) != NULL)
		conn_reply(srv, c);
}

static void request_timer_expired(struct loop *loop, void *data)
{
	(void)loop;
	struct ipc_server_conn *c = data;
	struct ipc_server *srv = c->srv;
	log_ratelimited(&srv->refused, loop_now_ms(), LOG_WARNING,
			"IPC client sent no complete request within %u ms, dropping the client", srv->request_timeout_ms);
	conn_close(srv, c);
}

static void listen_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)events;
	struct ipc_server *srv = data;

	/* Accept until the queue is empty: one wake-up may carry many connections. */
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			listen_guard_failed(&srv->guard, errno, (unsigned long)srv->conn_count);
			return;
		}
		listen_guard_accepted(&srv->guard);
		if (srv->max_clients != 0 && srv->conn_count >= (unsigned long long)srv->max_clients) {
			log_ratelimited(&srv->refused, loop_now_ms(), LOG_ERR,
					"Maximum IPC clients reached. Not accepting connection");
			close(cfd);
			continue;
		}
		struct ipc_server_conn *c = calloc(1, sizeof(*c));
		if (c == NULL || loop_fd_add(loop, cfd, EPOLLIN, conn_event, c) != 0) {
			log_err("Can't add an IPC client, dropping it");
			free(c);
			close(cfd);
			continue;
		}
		c->srv = srv;
		c->fd = cfd;
		loop_timer_init(&c->request_timer, request_timer_expired, c);
		if (srv->request_timeout_ms != 0)
			loop_timer_start(loop, &c->request_timer, srv->request_timeout_ms);
		c->next = srv->conns;
		if (srv->conns != NULL)
			srv->conns->prev = c;
		srv->conns = c;
		srv->conn_count++;
	}
}

int ipc_server_init(struct ipc_server *srv, struct loop *loop, const struct ipc_server_config *cfg,
		    ipc_server_request_fn on_request, ipc_server_closed_fn on_listener_closed, void *ctx)
{
	memset(srv, 0, sizeof(*srv));
	srv->listen_fd = -1;

	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t plen = strlen(cfg->path);
	if (plen == 0 || plen > IPC_SERVER_MAX_PATH) {
		log_crit("Local socket path '%s' must be 1 to %d bytes long", cfg->path, IPC_SERVER_MAX_PATH);
		return -1;
	}
	memcpy(sun.sun_path, cfg->path, plen + 1);
	char *path = strdup(cfg->path);
	if (path == NULL) {
		log_crit("Can't store the local socket path");
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno(LOG_CRIT, "Can't create the local socket");
		free(path);
		return -1;
	}
	/* A socket file left by a previous instance would make bind() fail. */
	unlink(path);
	mode_t old_mask = 0;
	if (cfg->umask_set)
		old_mask = umask(cfg->umask);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int bind_errno = errno;
	if (cfg->umask_set)
		umask(old_mask);
	if (rc != 0) {
		errno = bind_errno;
		log_errno(LOG_CRIT, "Can't bind the local socket");
		goto fail;
	}
	if (cfg->gid_set && chown(path, (uid_t)-1, cfg->gid) != 0) {
		log_errno(LOG_CRIT, "Can't change the group of the local socket");
		unlink(path);
		goto fail;
	}
	if (listen(fd, cfg->backlog) != 0) {
		log_errno(LOG_CRIT, "Can't listen on the local socket");
		unlink(path);
		goto fail;
	}
	if (listen_guard_add(&srv->guard, loop, fd, EPOLLIN, listen_event, srv, "local socket connections", 1000) != 0) {
		log_crit("Can't watch the local socket");
		unlink(path);
		goto fail;
	}
	srv->loop = loop;
	srv->path = path;
	srv->listen_fd = fd;
	srv->max_clients = cfg->max_clients;
	srv->max_receive_size = cfg->max_receive_size;
	srv->max_send_size = cfg->max_send_size;
	srv->request_timeout_ms = cfg->request_timeout_ms;
	srv->on_request = on_request;
	srv->on_listener_closed = on_listener_closed;
	srv->ctx = ctx;
	return 0;
fail:
	close(fd);
	free(path);
	return -1;
}

/* Closes and unlinks the listener; returns whether it was open. */
static bool listener_close(struct ipc_server *srv)
{
	if (srv->listen_fd < 0)
		return false;
	listen_guard_remove(&srv->guard);
	close(srv->listen_fd);
	srv->listen_fd = -1;
	if (unlink(srv->path) != 0 && errno != ENOENT)
		log_errno(LOG_WARNING, "Can't unlink the local socket");
	return true;
}

void ipc_server_close_listener(struct ipc_server *srv)
{
	if (listener_close(srv) && srv->on_listener_closed != NULL)
		srv->on_listener_closed(srv->ctx);
}

bool ipc_server_listening(const struct ipc_server *srv)
{
	return srv->listen_fd >= 0;
}

void ipc_server_destroy(struct ipc_server *srv)
{
	while (srv->conns != NULL)
		conn_close(srv, srv->conns);
	listener_close(srv);
	free(srv->path);
	srv->path = NULL;
}
