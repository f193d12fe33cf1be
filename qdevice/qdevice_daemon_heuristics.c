/* corosync-qdevice's glue between model net and the heuristics worker: spawning, result notifiers, run requests, shutdown. */
#include <stdlib.h>
#include <unistd.h>

#include "qdevice_daemon.h"
#include "log.h"

/* How long shutdown waits for the worker to finish killing its commands (doc/qdevice-state-machine.md §11). */
#define WORKER_EXIT_WAIT_MS 15000

int qdevice_daemon_heuristics_spawn(struct qdevice_daemon *d)
{
	if (qdevice_heuristics_worker_spawn(&d->settings, &d->worker) != 0)
		return -1;
	d->worker_up = true;
	return 0;
}

static enum qdevice_heuristics_notifier_kind notifier_of(enum qdevice_net_heuristics_kind kind)
{
	switch (kind) {
	case QDEVICE_NET_HEURISTICS_REGULAR:
		return QDEVICE_HEURISTICS_NOTIFIER_NET_REGULAR;
	case QDEVICE_NET_HEURISTICS_CONNECT:
		return QDEVICE_HEURISTICS_NOTIFIER_NET_CONNECT;
	case QDEVICE_NET_HEURISTICS_MEMBERSHIP:
	default:
		return QDEVICE_HEURISTICS_NOTIFIER_MEMBERSHIP;
	}
}

static void on_notify(enum qdevice_heuristics_notifier_kind kind, uint32_t seq, enum qdevice_heuristics_result result,
		      void *data)
{
	struct qdevice_daemon *d = data;
	enum qdevice_net_heuristics_kind k = kind == QDEVICE_HEURISTICS_NOTIFIER_NET_REGULAR ? QDEVICE_NET_HEURISTICS_REGULAR
					     : kind == QDEVICE_HEURISTICS_NOTIFIER_NET_CONNECT ? QDEVICE_NET_HEURISTICS_CONNECT
											   : QDEVICE_NET_HEURISTICS_MEMBERSHIP;
	log_debug("Heuristics result %s (seq %u) for the %s waiter", qdevice_heuristics_result_str(result), seq,
		  k == QDEVICE_NET_HEURISTICS_REGULAR ? "regular" : k == QDEVICE_NET_HEURISTICS_CONNECT ? "connect" : "membership");
	qdevice_net_heuristics_result(&d->net, k, result);
}

static void on_result(struct qdevice_heuristics *h, uint32_t seq, enum qdevice_heuristics_result result, void *data)
{
	struct qdevice_daemon *d = data;
	(void)h;
	(void)seq;
	(void)result;
	/* The start-up wait for the first heuristics result (doc/qdevice-state-machine.md §4) ends here. */
	if (d->waiting_initial_heuristics && qdevice_net_initial_heuristics_done(&d->net))
		loop_stop(d->loop);
}

static void on_closed(struct qdevice_heuristics *h, enum qdevice_heuristics_close_reason reason, void *data)
{
	struct qdevice_daemon *d = data;
	(void)h;
	log_err("Heuristics worker connection closed: %s", qdevice_heuristics_close_reason_str(reason));
	d->heuristics_closed = true;
	loop_stop(d->loop);
}

int qdevice_daemon_heuristics_attach(struct qdevice_daemon *d)
{
	struct qdevice_heuristics_callbacks cb = {.result = on_result, .closed = on_closed, .data = d};

	d->heuristics = qdevice_heuristics_create(d->loop, &d->settings, &d->worker, &cb);
	if (d->heuristics == NULL)
		return -1;
	struct qdevice_heuristics_notifiers *n = qdevice_heuristics_notifiers(d->heuristics);
	for (int k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++)
		if (qdevice_heuristics_notifiers_set(n, (enum qdevice_heuristics_notifier_kind)k, on_notify, d) != 0)
			return -1;
	return 0;
}

int qdevice_daemon_heuristics_set_list(struct qdevice_daemon *d)
{
	int r = qdevice_heuristics_set_exec_list(d->heuristics, &d->cfg.heuristics);
	if (r < 0)
		return -1;
	/* A run in progress restarts with the new list (doc/qdevice-state-machine.md §3.2). */
	if (r == 1 && qdevice_heuristics_waiting(d->heuristics)) {
		uint32_t timeout = qdevice_net_syncing(&d->net) ? d->cfg.heuristics.sync_timeout : d->cfg.heuristics.timeout;
		if (qdevice_heuristics_exec(d->heuristics, timeout, NULL) != 0)
			return -1;
	}
	return 0;
}

int qdevice_daemon_heuristics_start(void *ctx, enum qdevice_net_heuristics_kind kind, uint32_t timeout_ms)
{
	struct qdevice_daemon *d = ctx;
	struct qdevice_heuristics_notifiers *n = qdevice_heuristics_notifiers(d->heuristics);

	if (kind == QDEVICE_NET_HEURISTICS_REGULAR && qdevice_heuristics_waiting(d->heuristics))
		return 1;
	if (qdevice_heuristics_notifiers_activate(n, notifier_of(kind)) != 0)
		return -1;
	if (qdevice_heuristics_exec(d->heuristics, timeout_ms, NULL) != 0) {
		qdevice_heuristics_notifiers_deactivate(n, notifier_of(kind));
		return -1;
	}
	return 0;
}

void qdevice_daemon_heuristics_close(struct qdevice_daemon *d)
{
	if (d->heuristics != NULL) {
		qdevice_heuristics_close(d->heuristics, d->settings.foreground, WORKER_EXIT_WAIT_MS, NULL);
		qdevice_heuristics_destroy(d->heuristics);
		d->heuristics = NULL;
	} else if (d->worker_up) {
		/* Never attached: closing our ends makes the worker see EOF and exit. */
		close(d->worker.cmd_fd);
		close(d->worker.result_fd);
		close(d->worker.log_fd);
	}
	d->worker_up = false;
}
