/* corosync-qnetd's HTTP listener: GET /metrics and GET /healthz through libmicrohttpd, driven by the event loop (doc/monitoring.md §6). */
#include "qnetd_http.h"

#include <string.h>

#include "log.h"

#ifndef QD_WITH_MICROHTTPD

bool qnetd_http_available(void)
{
	return false;
}

int qnetd_http_init(struct qnetd_http *http, struct loop *loop, const struct qnetd_settings *settings,
		    const struct qnetd_server *server, const struct qnetd_ipc *ipc)
{
	(void)http;
	(void)loop;
	(void)settings;
	(void)server;
	(void)ipc;
	log_err("metrics_listen: this corosync-qnetd was built without the metrics listener (libmicrohttpd)");
	return -1;
}

void qnetd_http_close(struct qnetd_http *http)
{
	(void)http;
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "health.h"
#include "prom.h"
#include "qnetd_health.h"
#include "qnetd_metrics.h"
#include "qnetd_net.h"
#include "qnetd_status_json.h"
#include "strbuf.h"

bool qnetd_http_available(void)
{
	return true;
}

static void peer_text(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	qnetd_net_format_peer(info != NULL ? info->client_addr : NULL, buf, len);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code, const char *type, const char *body,
			       size_t len, bool allow_get)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow_get)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result refuse(struct qnetd_http *http, struct MHD_Connection *conn, unsigned code, const char *why,
			      const char *method, const char *url)
{
	char peer[80], body[96];
	peer_text(conn, peer, sizeof(peer));
	/* The URL and method are the client's bytes: only their length and a safe prefix reach the log. */
	log_ratelimited(&http->refused, loop_now_ms(), LOG_WARNING, "HTTP client %s: %s (%.16s, %zu-byte URL); answered %u",
			peer, why, strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(method) ? method : "?",
			strlen(url), code);
	int n = snprintf(body, sizeof(body), "%s\n", why);
	return respond(conn, code, "text/plain; charset=utf-8", body, (size_t)n, code == MHD_HTTP_METHOD_NOT_ALLOWED);
}

static json_t *status_now(const struct qnetd_http *http, bool with_clients)
{
	struct qnetd_status_context ctx;
	qnetd_ipc_status_context(http->ipc, &ctx);
	return qnetd_status_json(http->server, &ctx, NULL, 0, with_clients);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct qnetd_http *http = cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0)
		return refuse(http, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "a request with a body", method, url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return refuse(http, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served", method, url);
	bool metrics = strcmp(url, "/metrics") == 0, healthz = strcmp(url, "/healthz") == 0;
	if (!metrics && !healthz)
		return refuse(http, conn, MHD_HTTP_NOT_FOUND, "not found: the paths are /metrics and /healthz", method, url);
	http->requests++;

	bool per_client = false;
	if (metrics) {
		const char *pc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "per_client");
		per_client = pc != NULL && (strcmp(pc, "1") == 0 || strcmp(pc, "true") == 0);
	}
	/* The client objects are most of the cost on a large arbiter: built only when they are shown. */
	json_t *status = status_now(http, per_client);
	if (status == NULL)
		return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "out of memory\n", 14, false);
	struct strbuf out;
	strbuf_init(&out, (size_t)1 << 30);
	unsigned code = MHD_HTTP_OK;
	const char *type = PROM_CONTENT_TYPE;
	if (metrics) {
		if (qnetd_metrics_write(status, per_client, &out) != 0)
			out.failed = true;
	} else {
		struct health_report r;
		health_report_init(&r);
		qnetd_health_evaluate(status, &r);
		health_format(&r, "QNETD", &out);
		/* A load balancer or container runtime reads the code: the daemon serves unless CRITICAL. */
		code = r.state == HEALTH_OK || r.state == HEALTH_WARNING ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
		type = "text/plain; charset=utf-8";
		health_report_free(&r);
	}
	json_decref(status);
	enum MHD_Result rc;
	if (out.failed)
		rc = respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "out of memory\n", 14, false);
	else
		rc = respond(conn, code, type, out.data != NULL ? out.data : "", out.len, false);
	strbuf_free(&out);
	return rc;
}

/* Requests libmicrohttpd ended itself (a timeout, a header too large, a broken connection): one line each, rate-limited. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct qnetd_http *http = cls;
	(void)con_cls;
	const char *text;
	switch (why) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK: return;
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return;
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: text = "no complete request within the timeout"; break;
	case MHD_REQUEST_TERMINATED_READ_ERROR: text = "connection broken while reading"; break;
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: text = "closed by the client"; break;
	default: text = "request refused (malformed, or larger than the limits)"; break;
	}
	char peer[80];
	peer_text(conn, peer, sizeof(peer));
	log_ratelimited(&http->refused, loop_now_ms(), LOG_WARNING, "HTTP client %s: %s", peer, text);
}

/*
 * libmicrohttpd's own messages: mostly refusals it makes before a request exists (connection
 * limits, headers over the memory limit), which name no peer; rate-limited with the others.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct qnetd_http *http = cls;
	char line[256];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_ratelimited(&http->refused, loop_now_ms(), LOG_WARNING, "HTTP: %s", line);
}

static void schedule(struct qnetd_http *http)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(http->daemon, &ms) == MHD_YES)
		loop_timer_start(http->loop, &http->timer, ms < 1 ? 1 : (uint64_t)ms);
	else
		loop_timer_stop(http->loop, &http->timer);
}

static void on_events(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qnetd_http *http = data;
	(void)loop;
	(void)fd;
	(void)events;
	MHD_run(http->daemon);
	schedule(http);
}

static void on_timer(struct loop *loop, void *data)
{
	struct qnetd_http *http = data;
	(void)loop;
	MHD_run(http->daemon);
	schedule(http);
}

static int listen_socket(const struct qnetd_settings *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (strchr(s->metrics_addr, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(s->metrics_port);
		inet_pton(AF_INET6, s->metrics_addr, &in6->sin6_addr);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(s->metrics_port);
		inet_pton(AF_INET, s->metrics_addr, &in->sin_addr);
		len = sizeof(*in);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, QNETD_HTTP_MAX_CONNECTIONS) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int qnetd_http_init(struct qnetd_http *http, struct loop *loop, const struct qnetd_settings *settings,
		    const struct qnetd_server *server, const struct qnetd_ipc *ipc)
{
	memset(http, 0, sizeof(*http));
	http->loop = loop;
	http->server = server;
	http->ipc = ipc;
	http->listen_fd = http->epoll_fd = -1;
	loop_timer_init(&http->timer, on_timer, http);
	const char *addr = settings->metrics_addr;
	const char *open_bracket = strchr(addr, ':') != NULL ? "[" : "", *close_bracket = *open_bracket ? "]" : "";

	http->listen_fd = listen_socket(settings);
	if (http->listen_fd < 0) {
		log_err("Can't listen for metrics on %s%s%s:%u: %s", open_bracket, addr, close_bracket,
			settings->metrics_port, strerror(errno));
		return -1;
	}
	/* No thread of its own: the loop calls MHD_run when libmicrohttpd's epoll descriptor is ready. */
	http->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, http,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, http,
					MHD_OPTION_LISTEN_SOCKET, (MHD_socket)http->listen_fd,
					MHD_OPTION_CONNECTION_LIMIT, (unsigned int)QNETD_HTTP_MAX_CONNECTIONS,
					MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)QNETD_HTTP_MAX_PER_ADDRESS,
					MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)QNETD_HTTP_TIMEOUT_S,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)QNETD_HTTP_MEMORY_PER_CONNECTION,
					MHD_OPTION_NOTIFY_COMPLETED, on_completed, http, MHD_OPTION_END);
	if (http->daemon == NULL) {
		log_err("Can't start the metrics listener (libmicrohttpd)");
		close(http->listen_fd);
		http->listen_fd = -1;
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	http->epoll_fd = info != NULL ? info->epoll_fd : -1;
	if (http->epoll_fd < 0 || loop_fd_add(loop, http->epoll_fd, EPOLLIN, on_events, http) != 0) {
		log_err("Can't watch the metrics listener");
		MHD_stop_daemon(http->daemon);
		http->daemon = NULL;
		close(http->listen_fd);
		http->listen_fd = -1;
		return -1;
	}
	log_info("Serving metrics on http://%s%s%s:%u/metrics and /healthz", open_bracket, addr, close_bracket,
		 settings->metrics_port);
	return 0;
}

void qnetd_http_close(struct qnetd_http *http)
{
	if (http->daemon == NULL)
		return;
	loop_timer_stop(http->loop, &http->timer);
	loop_fd_remove(http->loop, http->epoll_fd);
	/* MHD_OPTION_LISTEN_SOCKET: the daemon closes the socket it was given. */
	MHD_stop_daemon(http->daemon);
	http->daemon = NULL;
	http->listen_fd = -1;
}

#endif
