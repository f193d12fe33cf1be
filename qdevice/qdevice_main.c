/* corosync-qdevice: start-up in an order that never lets corosync hold the daemon up, the main loop, exit status, tear-down. */
/* srandom() is XSI, outside the POSIX set the build selects. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "qdevice_config.h"
#include "qdevice_daemon.h"
#include "daemonize.h"
#include "lockfile.h"
#include "log.h"
#include "service_notify.h"
#include "loop.h"
#include "qdevice_settings.h"
#include "tls.h"

static void config_log(void *ctx, int priority, const char *message)
{
	(void)ctx;
	log_msg(priority, "%s", message);
}

/* ---- The end of the loop (doc/qdevice-state-machine.md §11): exit reasons in upstream's priority. ---- */

static enum qdevice_net_reason daemon_exit_reason(const struct qdevice_daemon *d)
{
	if (d->vq.closed || d->cmap.closed)
		return QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED;
	if (d->heuristics_closed)
		return QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED;
	if (d->ipc_closed)
		return QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED;
	return QDEVICE_NET_REASON_NONE;
}

/* ---- Start-up phase helpers. ---- */

static void startup_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	log_err("Timeout waiting for initial heuristics exec result");
	d->startup_failed = true;
	loop_stop(d->loop);
}

static void on_signal(struct loop *loop, int signo, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	log_debug("Got signal %d, closing the local socket", signo);
	qdevice_daemon_ipc_close_listener(d);
}

static const char *tls_mode_str(uint8_t tls)
{
	switch (tls) {
	case PROTO_TLS_UNSUPPORTED: return "off";
	case PROTO_TLS_REQUIRED: return "required";
	default: return "on";
	}
}

/* The configuration from the start-up copy of cmap; ffsplit's node votes come from votequorum. */
static int daemon_read_config(struct qdevice_daemon *d)
{
	char err[512];

	if (qdevice_config_read(&d->cmap.mirror.view, &d->env, &d->cfg, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	d->cfg_loaded = true;
	log_info("Configuration: model net, algorithm %s, qnetd %s:%u, tls %s, node id %u, %zu configured nodes",
		 proto_algorithm_str(d->cfg.net.algorithm), d->cfg.net.host, (unsigned)d->cfg.net.port,
		 tls_mode_str(d->cfg.net.tls), d->cfg.node_id, d->cfg.node_list.count);
	return 0;
}

/* ---- main. ---- */

/* The start-up wait (doc/qdevice-state-machine.md §4): run the loop until the first membership heuristics result, bounded. */
static int wait_initial_heuristics(struct qdevice_daemon *d)
{
	if (!qdevice_net_initial_heuristics_done(&d->net)) {
		d->waiting_initial_heuristics = true;
		loop_timer_start(d->loop, &d->startup_timer, 2ull * d->cfg.heuristics.sync_timeout);
		loop_run(d->loop);
		loop_timer_stop(d->loop, &d->startup_timer);
		d->waiting_initial_heuristics = false;
	}
	return d->startup_failed ? -1 : 0;
}

/*
 * Start-up, in the order that keeps corosync from ever holding the daemon up: logging first
 * (libqb drops everything after a log call made before its init, and corosync's libraries log
 * through libqb), then every cmap request (connection, tracks, the copy of all keys), and only
 * then the votequorum registration; after it, cmap is never asked again (doc/corosync-calls.md).
 */
static int daemon_start(struct qdevice_daemon *d)
{
	/* stderr joins once cmap answers: a failure before that prints upstream's own line. */
	log_init("corosync-qdevice", false, d->settings.debug_level);
	d->log_up = true;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	d->started_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (qdevice_daemon_cmap_connect(d) != 0)
		return -1;
	log_set_stderr(d->settings.foreground);
	d->env.settings = &d->settings;
	d->env.log = config_log;
	if (qdevice_daemon_cmap_copy(d) != 0)
		return -1;
	log_set_debug_level(qdevice_daemon_debug_level(d));

	if (!d->settings.foreground && daemonize() != 0) {
		log_errno(LOG_CRIT, "Can't daemonize");
		return -1;
	}
	switch (lockfile_take(d->settings.lock_file, &d->lock_fd)) {
	case LOCKFILE_OK:
		break;
	case LOCKFILE_HELD_BY_OTHER:
		log_err("Another instance is running");
		return -1;
	default:
		log_errno(LOG_ERR, "Can't acquire lock");
		return -1;
	}
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	d->loop = loop_create();
	if (d->loop == NULL) {
		log_crit("Can't create the event loop");
		return -1;
	}
	loop_timer_init(&d->startup_timer, startup_timer_expired, d);
	qdevice_daemon_net_attach(d);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_read_config(d) != 0)
		return -1;

	/* From here on the device is registered: votequorum requests only. */
	if (qdevice_daemon_votequorum_start(d) != 0)
		return -1;
	if (d->cfg.net.algorithm == PROTO_ALGO_FFSPLIT && qdevice_daemon_votequorum_check_node_votes(d) != 0)
		return -1;
	if (qdevice_daemon_ipc_init(d) != 0)
		return -1;
	if (qdevice_daemon_votequorum_master_wins(d) != 0)
		return -1;
	if (qdevice_daemon_net_init(d) != 0)
		return -1;
	if (qdevice_daemon_heuristics_attach(d) != 0) {
		log_crit("Can't attach the heuristics worker to the event loop");
		return -1;
	}
	if (qdevice_daemon_heuristics_set_list(d) != 0) {
		log_crit("Can't send the heuristics exec list to the worker");
		return -1;
	}
	if (qdevice_daemon_votequorum_watch(d) != 0 || qdevice_daemon_cmap_watch(d) != 0) {
		log_crit("Can't add file descriptors to the event loop");
		return -1;
	}
	if (qdevice_daemon_votequorum_wait_node_list(d) != 0)
		return -1;
	if (loop_signal_add(d->loop, SIGTERM, on_signal, d) != 0 || loop_signal_add(d->loop, SIGINT, on_signal, d) != 0) {
		log_crit("Can't install signal handlers");
		return -1;
	}
	return wait_initial_heuristics(d);
}

/* The exit status once the main loop has ended, after model net's post-loop step. */
static int daemon_finish(struct qdevice_daemon *d)
{
	enum qdevice_net_reason reason = daemon_exit_reason(d);
	if (d->model_exit && reason == QDEVICE_NET_REASON_NONE)
		return 1;

	bool delayed;
	d->connecting_allowed = false;
	qdevice_net_transport_close(&d->transport);
	if (reason == QDEVICE_NET_REASON_NONE)
		reason = d->config_error ? QDEVICE_NET_REASON_CONFIG_ERROR : QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER;
	qdevice_net_disconnected(&d->net, reason, &delayed);
	int rc = (reason == QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED && !d->config_error) ? 0 : 1;
	/*
	 * A worker lost after our own termination signal is a clean stop, not a failure (upstream
	 * exits 1 when systemd signals the whole control group).
	 */
	if (reason == QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED && d->ipc_closed && !d->config_error)
		rc = 0;
	return rc;
}

/* Tear-down in reverse: votequorum is left before cmap is closed, so nothing waits on a sync. */
static void daemon_stop_all(struct qdevice_daemon *d)
{
	if (d->model_up)
		qdevice_net_transport_destroy(&d->transport);
	if (d->nss_up)
		tls_nss_shutdown();
	qdevice_daemon_ipc_destroy(d);
	qdevice_daemon_votequorum_stop(d);
	qdevice_daemon_cmap_stop(d);
	qdevice_daemon_heuristics_close(d);
	if (d->loop != NULL)
		loop_destroy(d->loop);
	if (d->cfg_loaded)
		qdevice_config_destroy(&d->cfg);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	qdevice_settings_destroy(&d->settings);
	if (d->log_up)
		log_close();
}

int main(int argc, char **argv)
{
	static struct qdevice_daemon daemon;
	struct qdevice_daemon *d = &daemon;
	char err[512];
	int rc = 1;

	d->cmap.fd = -1;
	d->vq.fd = -1;
	d->lock_fd = -1;
	d->transport.fd = -1;           /* nothing to close if start-up fails before the model exists */
	qdevice_settings_init(&d->settings);
	switch (qdevice_settings_parse_args(&d->settings, argc, argv, err, sizeof(err))) {
	case QDEVICE_ARGS_RUN:
		break;
	case QDEVICE_ARGS_USAGE:
		/* getopt's own wording names the program as invoked. */
		if (err[0] != '\0')
			fprintf(stderr, "%s: %s\n", argv[0], err);
		printf("%s\n", QDEVICE_USAGE);
		return 1;
	case QDEVICE_ARGS_ERROR:
		fprintf(stderr, "corosync-qdevice: %s\n", err);
		return 1;
	case QDEVICE_ARGS_NOMEM:
	default:
		fprintf(stderr, "corosync-qdevice: out of memory\n");
		return 1;
	}

	/* The worker is forked before anything else exists, libqb's logging included. */
	if (qdevice_daemon_heuristics_spawn(d) != 0) {
		fprintf(stderr, "corosync-qdevice: Can't start the heuristics worker: %s\n", strerror(errno));
		return 1;
	}

	if (daemon_start(d) == 0) {
		/* A signal or a lost corosync connection may already have ended the start-up loop. */
		if (daemon_exit_reason(d) == QDEVICE_NET_REASON_NONE && !d->config_error) {
			service_notify_ready();
			log_notice("QDevice ready to provide service");
			struct service_watchdog watchdog;
			service_watchdog_start(&watchdog, d->loop);
			qdevice_daemon_status_start(d);
			d->connecting_allowed = true;
			qdevice_daemon_net_connect(d);
			loop_run(d->loop);
			qdevice_daemon_status_stop(d);
			service_watchdog_stop(&watchdog);
		}
		rc = daemon_finish(d);
	}
	daemon_stop_all(d);
	return rc;
}
