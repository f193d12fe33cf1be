/* qnetd's local command socket: one request line per connection, one reply, then close (qnetd.md §11.2). */
/* accept4() and SOCK_NONBLOCK are Linux interfaces. */
#define _GNU_SOURCE
#include "ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc_cmd.h"
#include "log.h"
#include "strbuf.h"

struct ipc_conn {
	struct qnetd_ipc *ipc;
	int fd;
	char *request;
	size_t request_len;
	struct strbuf reply;
	size_t sent;
	bool replying;
	bool shutdown_after;
	struct ipc_conn *prev, *next;
};

static void ipc_conn_close(struct qnetd_ipc *ipc, struct ipc_conn *c)
{
	loop_fd_remove(ipc->loop, c->fd);
	close(c->fd);
	free(c->request);
	strbuf_free(&c->reply);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ipc->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ipc->conn_count--;
	free(c);
}

static void ipc_conn_write(struct qnetd_ipc *ipc, struct ipc_conn *c)
{
	while (c->sent < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.data + c->sent, c->reply.len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			ipc_conn_close(ipc, c);
			return;
		}
		c->sent += (size_t)n;
	}
	bool shutdown = c->shutdown_after;
	ipc_conn_close(ipc, c);
	if (shutdown && ipc->on_shutdown != NULL)
		ipc->on_shutdown(ipc->on_shutdown_data);
}

static void ipc_conn_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	(void)fd;
	struct ipc_conn *c = data;
	struct qnetd_ipc *ipc = c->ipc;

	if (c->replying) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			ipc_conn_write(ipc, c);
		return;
	}
	char buf[256];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ipc_conn_close(ipc, c);
		return;
	}
	if ((long long)(c->request_len + (size_t)n) > ipc->settings->ipc_max_receive_size) {
		log_err("IPC request longer than %lld bytes, closing", ipc->settings->ipc_max_receive_size);
		ipc_conn_close(ipc, c);
		return;
	}
	char *grown = realloc(c->request, c->request_len + (size_t)n);
	if (grown == NULL) {
		ipc_conn_close(ipc, c);
		return;
	}
	c->request = grown;
	memcpy(c->request + c->request_len, buf, (size_t)n);
	c->request_len += (size_t)n;
	if (memchr(buf, '\n', (size_t)n) == NULL)
		return;

	strbuf_init(&c->reply, (size_t)ipc->settings->ipc_max_send_size);
	ipc_cmd_run(ipc->server, c->request, c->request_len, &c->reply, &c->shutdown_after);
	if (c->reply.failed) {
		strbuf_free(&c->reply);
		strbuf_init(&c->reply, 1024);
		strbuf_printf(&c->reply, "Error\nInternal IPC buffer too small\n");
	}
	c->replying = true;
	loop_fd_modify(ipc->loop, c->fd, EPOLLOUT);
	ipc_conn_write(ipc, c);
}

static void ipc_listen_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)events;
	struct qnetd_ipc *ipc = data;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		if (ipc->settings->ipc_max_clients != 0 && (long long)ipc->conn_count >= ipc->settings->ipc_max_clients) {
			log_err("Too many IPC clients, refusing a new one");
			close(cfd);
			continue;
		}
		struct ipc_conn *c = calloc(1, sizeof(*c));
		if (c == NULL || loop_fd_add(loop, cfd, EPOLLIN, ipc_conn_event, c) != 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->ipc = ipc;
		c->fd = cfd;
		c->next = ipc->conns;
		if (ipc->conns != NULL)
			ipc->conns->prev = c;
		ipc->conns = c;
		ipc->conn_count++;
	}
}

int qnetd_ipc_init(struct qnetd_ipc *ipc, struct loop *loop, const struct qnetd_settings *settings,
		   const struct qnetd_server *server, void (*on_shutdown)(void *), void *data)
{
	memset(ipc, 0, sizeof(*ipc));
	ipc->loop = loop;
	ipc->settings = settings;
	ipc->server = server;
	ipc->on_shutdown = on_shutdown;
	ipc->on_shutdown_data = data;
	ipc->listen_fd = -1;

	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t plen = strlen(settings->local_socket_file);
	if (plen >= sizeof(sun.sun_path)) {
		log_crit("Local socket path %s is too long", settings->local_socket_file);
		return -1;
	}
	memcpy(sun.sun_path, settings->local_socket_file, plen + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno(LOG_CRIT, "Cannot create the local socket");
		return -1;
	}
	unlink(settings->local_socket_file);
	mode_t old_mask = 0;
	if (settings->local_socket_umask_set)
		old_mask = umask(settings->local_socket_umask);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (settings->local_socket_umask_set)
		umask(old_mask);
	if (rc != 0 || listen(fd, settings->local_socket_backlog) != 0) {
		log_errno(LOG_CRIT, "Cannot bind or listen on the local socket");
		close(fd);
		return -1;
	}
	if (settings->local_socket_gid_set && chown(settings->local_socket_file, (uid_t)-1, settings->local_socket_gid) != 0) {
		log_errno(LOG_CRIT, "Cannot set the group of the local socket");
		close(fd);
		return -1;
	}
	if (loop_fd_add(loop, fd, EPOLLIN, ipc_listen_event, ipc) != 0) {
		close(fd);
		return -1;
	}
	ipc->listen_fd = fd;
	return 0;
}

void qnetd_ipc_close(struct qnetd_ipc *ipc)
{
	while (ipc->conns != NULL)
		ipc_conn_close(ipc, ipc->conns);
	if (ipc->listen_fd >= 0) {
		loop_fd_remove(ipc->loop, ipc->listen_fd);
		close(ipc->listen_fd);
		unlink(ipc->settings->local_socket_file);
		ipc->listen_fd = -1;
	}
}
