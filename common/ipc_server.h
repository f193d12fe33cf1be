/* A daemon's local command socket: one request line per connection, one reply, then close, as in upstream. */
#ifndef QD_IPC_SERVER_H
#define QD_IPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "listen_guard.h"
#include "loop.h"
#include "ratelimit.h"
#include "strbuf.h"

/* Longest usable socket path: sun_path less its terminating NUL. */
#define IPC_SERVER_MAX_PATH 107

struct ipc_server_config {
	const char *path;               /* 1..IPC_SERVER_MAX_PATH bytes; copied */
	bool umask_set;                 /* apply umask around bind() only */
	mode_t umask;
	bool gid_set;                   /* chown(path, -1, gid) after bind() */
	gid_t gid;
	int backlog;
	long long max_clients;          /* 0 = unlimited */
	long long max_receive_size;     /* request bytes buffered per client; more drops the client */
	long long max_send_size;        /* reply limit */
	uint32_t request_timeout_ms;    /* from accept to a complete request line; 0 = none */
};

/*
 * The tools send their request as soon as they are connected; a client that has not within this
 * time only holds one of the few ipc_max_clients places (doc/hardening.md §3.4). The reply has no
 * deadline: the tools stream it to their output, which may be a pager.
 */
#define IPC_SERVER_REQUEST_TIMEOUT_MS 10000u

/* Both daemons' settings name the socket options alike (local_socket_*, ipc_max_*). */
#define IPC_SERVER_CONFIG_FROM_SETTINGS(s)                                                          \
	{                                                                                           \
		.path = (s)->local_socket_file, .umask_set = (s)->local_socket_umask_set,           \
		.umask = (s)->local_socket_umask, .gid_set = (s)->local_socket_gid_set,             \
		.gid = (s)->local_socket_gid, .backlog = (s)->local_socket_backlog,                 \
		.max_clients = (s)->ipc_max_clients, .max_receive_size = (s)->ipc_max_receive_size, \
		.max_send_size = (s)->ipc_max_send_size,                                            \
		.request_timeout_ms = IPC_SERVER_REQUEST_TIMEOUT_MS,                                \
	}

/*
 * Produces the whole reply to one request. request holds everything received up to and
 * including the chunk that brought the first '\n' (not NUL-terminated). reply is empty, its
 * limit is max_send_size; a reply that does not fit (reply->failed) is replaced by
 * "Error\nInternal IPC buffer too small\n". Setting *close_listener makes the server close its
 * listening socket once this reply has been completely written (the "shutdown" command).
 */
typedef void (*ipc_server_request_fn)(void *ctx, const char *request, size_t len, struct strbuf *reply,
				      bool *close_listener);
/* The listening socket has been closed (by a request or ipc_server_close_listener). */
typedef void (*ipc_server_closed_fn)(void *ctx);

struct ipc_server_conn;

struct ipc_server {
	struct loop *loop;
	char *path;
	int listen_fd;                  /* -1 once closed */
	struct listen_guard guard;      /* pauses accepting while descriptors run out */
	long long max_clients;
	long long max_receive_size;
	long long max_send_size;
	uint32_t request_timeout_ms;
	struct ratelimit refused;       /* lines about clients dropped for their requests */
	struct ipc_server_conn *conns;
	unsigned long long conn_count;
	ipc_server_request_fn on_request;
	ipc_server_closed_fn on_listener_closed;        /* may be NULL */
	void *ctx;
};

/*
 * Unlinks whatever is at the path, binds, applies the group, listens and watches the socket in
 * loop. Returns 0, or -1 after logging why (path length, bind, chown, listen); srv then holds
 * nothing and ipc_server_destroy is a no-op.
 */
int ipc_server_init(struct ipc_server *srv, struct loop *loop, const struct ipc_server_config *cfg,
		    ipc_server_request_fn on_request, ipc_server_closed_fn on_listener_closed, void *ctx);
/*
 * Stops listening: closes and unlinks the socket (clients being served stay), then calls
 * on_listener_closed. Safe from a signal callback of the loop; does nothing when already closed.
 */
void ipc_server_close_listener(struct ipc_server *srv);
bool ipc_server_listening(const struct ipc_server *srv);
/* Closes every client and the listener (unlinking it) without calling on_listener_closed; frees everything. */
void ipc_server_destroy(struct ipc_server *srv);

#endif
