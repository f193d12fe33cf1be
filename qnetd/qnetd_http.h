/* corosync-qnetd's HTTP listener: GET /metrics and GET /healthz through libmicrohttpd, driven by the event loop (doc/monitoring.md §6). */
#ifndef QD_QNETD_HTTP_H
#define QD_QNETD_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "qnetd_conn.h"
#include "qnetd_ipc.h"
#include "qnetd_settings.h"
#include "ratelimit.h"

/* Bounds on what HTTP clients can hold (doc/monitoring.md §6). */
#define QNETD_HTTP_MAX_CONNECTIONS 16
#define QNETD_HTTP_MAX_PER_ADDRESS 4
#define QNETD_HTTP_TIMEOUT_S 10
#define QNETD_HTTP_MEMORY_PER_CONNECTION 16384

struct qnetd_http {
	struct loop *loop;
	struct MHD_Daemon *daemon;
	int listen_fd;
	int epoll_fd;                       /* libmicrohttpd's own, watched by the loop */
	struct loop_timer timer;            /* libmicrohttpd's next timeout (slow and idle clients) */
	const struct qnetd_server *server;
	const struct qnetd_ipc *ipc;        /* the status context */
	struct ratelimit refused;
	uint64_t requests;
};

/* Whether this build has the listener (libmicrohttpd); without it metrics_listen is refused at start-up. */
bool qnetd_http_available(void);
/* Listens on settings->metrics_addr:metrics_port; 0, or -1 after logging why not. */
int qnetd_http_init(struct qnetd_http *http, struct loop *loop, const struct qnetd_settings *settings,
		    const struct qnetd_server *server, const struct qnetd_ipc *ipc);
void qnetd_http_close(struct qnetd_http *http);

#endif
