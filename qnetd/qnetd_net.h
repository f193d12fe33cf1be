/* qnetd's network side: the listening socket, client connections, their send queues, TLS and timers. */
#ifndef QD_QNETD_NET_H
#define QD_QNETD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "listen_guard.h"
#include "loop.h"
#include "ratelimit.h"
#include "qnetd_addr_count.h"
#include "qnetd_conn.h"
#include "qnetd_settings.h"

struct net_conn;
struct qnetd_tls_server;

struct qnetd_net {
	struct loop *loop;
	const struct qnetd_settings *settings;
	struct qnetd_server server;
	int listen_fd;
	struct listen_guard listen_guard;   /* pauses accepting while descriptors run out */
	struct qnetd_tls_server *tls;             /* NULL with TLS off */
	struct net_conn *conns;             /* every connection */
	struct net_conn *dirty;             /* connections with queued output, flushed before the loop waits */
	struct net_conn *closing;           /* connections to close before the loop waits */
	struct net_conn *rereads;           /* connections whose TLS layer holds input beyond one turn */
	struct loop_timer reread_timer;     /* reads them after the current pass */
	struct loop_timer deferred_timer;   /* runs waiting evaluations after the next epoll batch */
	struct qnetd_addr_count per_address; /* open connections per client address */
	/* Refusals a hostile client can repeat at will: logged at most RATELIMIT_BURST times a window. */
	struct ratelimit refused_max_clients;
	struct ratelimit refused_per_address;
	struct ratelimit refused_init_timeout;
};

/* Loads the server certificate (TLS on/req) and opens the listening socket. Returns 0 or -1 (logged). */
int qnetd_net_init(struct qnetd_net *net, struct loop *loop, const struct qnetd_settings *settings);
/* Closes every connection (algorithms told the server is going down) and the listener. */
void qnetd_net_shutdown(struct qnetd_net *net);
/* "address:port" the way upstream prints a client: v4-mapped stays mapped, no brackets ("?:0" for NULL). */
void qnetd_net_format_peer(const struct sockaddr *sa, char *out, size_t len);

#endif
