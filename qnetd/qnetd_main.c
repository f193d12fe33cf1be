/* corosync-qnetd: start-up in upstream's order, the event loop, clean shutdown (man/corosync-qnetd.8). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemonize.h"
#include "lockfile.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "qnetd_http.h"
#include "qnetd_ipc.h"
#include "qnetd_net.h"
#include "qnetd_settings.h"
#include "qnetd_tls.h"
#include "service_notify.h"
#include "tls.h"

#ifndef QD_VERSION
#define QD_VERSION "unknown"
#endif

static void print_usage(void)
{
	printf("usage: corosync-qnetd [-46dfhv] [-l listen_addr] [-p listen_port] [-s tls]\n");
	printf("              [-c client_cert_required] [-m max_clients] [-S option=value[,option2=value2,...]]\n");
}

static void print_version(void)
{
	printf("Corosync Qdevice Network Daemon, version '%s'\n\n", QD_VERSION);
	printf("Supported algorithms: ");
	for (uint16_t a = 0; a < PROTO_ALGO_COUNT; a++)
		printf("%s%s (%u)", a ? ", " : "", proto_algorithm_str(a), a);
	printf("\nSupported message types: ");
	for (uint16_t t = 0; t < PROTO_MSG_TYPE_COUNT; t++)
		printf("%s%s (%u)", t ? ", " : "", proto_msg_type_str(t), t);
	printf("\n");
}

static void on_signal(struct loop *loop, int signo, void *data)
{
	(void)data;
	log_info("Got signal %d, shutting down", signo);
	loop_stop(loop);
}

/* systemd's STATUS line: how many clients and clusters are served, refreshed when it changes. */
struct status_notifier {
	struct loop_timer timer;
	const struct qnetd_server *server;
	size_t clients;
	size_t clusters;
	bool sent;
};

#define STATUS_REFRESH_MS 5000

static void status_refresh(struct loop *loop, void *data)
{
	struct status_notifier *st = data;
	size_t clients = st->server->conn_count, clusters = st->server->clusters.count;

	if (!st->sent || clients != st->clients || clusters != st->clusters) {
		service_notify_status("Serving %zu client%s in %zu cluster%s", clients, clients == 1 ? "" : "s", clusters,
				      clusters == 1 ? "" : "s");
		st->clients = clients;
		st->clusters = clusters;
		st->sent = true;
	}
	loop_timer_start(loop, &st->timer, STATUS_REFRESH_MS);
}

static void on_ipc_shutdown(void *data)
{
	log_info("Shutdown requested through the local socket");
	loop_stop(data);
}

int main(int argc, char **argv)
{
	struct qnetd_settings settings;
	char err[512];
	int lock_fd = -1;

	qnetd_settings_init(&settings);
	switch (qnetd_settings_parse_args(&settings, argc, argv, err, sizeof(err))) {
	case QNETD_ARGS_RUN:
		break;
	case QNETD_ARGS_USAGE:
		print_usage();
		return 1;
	case QNETD_ARGS_VERSION:
		print_version();
		return 1;
	case QNETD_ARGS_ERROR:
		fprintf(stderr, "corosync-qnetd: %s\n", err);
		return 1;
	}

	log_init("corosync-qnetd", settings.foreground, settings.debug_level);

	if (settings.tls != PROTO_TLS_UNSUPPORTED) {
		DIR *d = opendir(settings.nss_db_dir);
		if (d == NULL) {
			log_err("Can't open NSS DB directory %s: %s", settings.nss_db_dir, strerror(errno));
			return 1;
		}
		closedir(d);
	}
	if (!settings.foreground && daemonize() != 0) {
		log_errno(LOG_CRIT, "Cannot daemonize");
		return 1;
	}
	switch (lockfile_take(settings.lock_file, &lock_fd)) {
	case LOCKFILE_OK:
		break;
	case LOCKFILE_HELD_BY_OTHER:
		log_err("Another instance of corosync-qnetd is running (lock file %s)", settings.lock_file);
		return 1;
	default:
		log_errno(LOG_ERR, "Can't acquire the lock file");
		return 1;
	}
	if (tls_nss_init(settings.tls != PROTO_TLS_UNSUPPORTED ? settings.nss_db_dir : NULL) != 0) {
		log_crit("Can't initialize NSS (%d): %s", tls_error_code(), tls_error_str());
		return 1;
	}

	struct loop *loop = loop_create();
	if (loop == NULL) {
		log_crit("Cannot create the event loop");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	struct qnetd_net net;
	struct qnetd_ipc ipc;
	bool ipc_up = false;
	struct qnetd_http http;
	bool http_up = false;

	/* From here on qnetd_net_shutdown() releases whatever qnetd_net_init() got. */
	if (qnetd_net_init(&net, loop, &settings) != 0)
		goto out;
	if (qnetd_ipc_init(&ipc, loop, &settings, &net.server, QD_VERSION, on_ipc_shutdown, loop) != 0)
		goto out;
	ipc_up = true;
	int64_t cert_not_before, cert_not_after;
	if (net.tls != NULL && qnetd_tls_server_cert_times(net.tls, &cert_not_before, &cert_not_after) == 0)
		qnetd_ipc_set_server_cert(&ipc, cert_not_before, cert_not_after);
	if (settings.metrics_addr[0] != '\0') {
		if (qnetd_http_init(&http, loop, &settings, &net.server, &ipc) != 0)
			goto out;
		http_up = true;
	}
	if (loop_signal_add(loop, SIGTERM, on_signal, NULL) != 0 || loop_signal_add(loop, SIGINT, on_signal, NULL) != 0) {
		log_crit("Cannot install signal handlers");
		goto out;
	}

	/* The default, kept for drop-in compatibility, admits unauthenticated clients (doc/hardening.md §1.3). */
	if (settings.tls == PROTO_TLS_SUPPORTED)
		log_notice("TLS is optional (-s on): clients may join without TLS and without a certificate; "
			   "-s req refuses them");
	log_info("QNetd ready to provide service");
	service_notify_ready();
	struct service_watchdog watchdog;
	service_watchdog_start(&watchdog, loop);
	struct status_notifier status = {.server = &net.server};
	loop_timer_init(&status.timer, status_refresh, &status);
	status_refresh(loop, &status);
	rc = loop_run(loop) == 0 ? 0 : 1;
	service_watchdog_stop(&watchdog);
	service_notify_stopping();

out:
	if (http_up)
		qnetd_http_close(&http);
	if (ipc_up)
		qnetd_ipc_close(&ipc);
	qnetd_net_shutdown(&net);
	loop_destroy(loop);
	tls_nss_shutdown();
	qnetd_settings_destroy(&settings);
	if (lock_fd >= 0)
		close(lock_fd);
	log_close();
	return rc;
}
