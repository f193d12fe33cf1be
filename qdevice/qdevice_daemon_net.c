/* corosync-qdevice's adapter around model net: its I/O table, timers, transport and NSS, the flush before each wait, reconnecting. */
/* random() is XSI, outside the POSIX set the build selects. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <time.h>

#include "qdevice_daemon.h"
#include "log.h"
#include "tls.h"

void qdevice_daemon_net_connect(struct qdevice_daemon *d)
{
	qdevice_net_connect_begin(&d->net);
	qdevice_net_transport_connect(&d->transport);
}

static void reconnect_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	qdevice_daemon_net_connect(d);
}

/*
 * Before the loop waits: write what the state machine queued, then act on a scheduled
 * disconnect (close, and reconnect or leave).
 */
static void daemon_before_wait(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	qdevice_net_transport_kick(&d->transport);
	if (!qdevice_net_closing(&d->net) || !d->connecting_allowed)
		return;

	bool delayed;
	enum qdevice_net_reason reason = qdevice_net_disconnect_reason(&d->net);
	qdevice_net_transport_close(&d->transport);
	bool restart = qdevice_net_disconnected(&d->net, QDEVICE_NET_REASON_NONE, &delayed);
	if (!restart) {
		log_err("Disconnected from qnetd (%s): exiting", qdevice_net_reason_str(reason));
		d->model_exit = true;
		d->model_exit_reason = reason;
		loop_stop(d->loop);
		return;
	}
	/*
	 * Upstream sleeps here, blocking the whole daemon; a timer keeps polls, IPC and corosync events
	 * flowing during the delay.
	 */
	uint32_t delay = delayed ? qdevice_config_reconnect_delay(&d->cfg, random()) : 0;
	log_debug("Reconnecting to qnetd in %u ms", delay);
	loop_timer_start(d->loop, &d->reconnect_timer, delay);
}

/* ---- What the state machine asks of its shell (struct qdevice_net_io). ---- */

static void net_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon_timer *t = data;
	(void)loop;
	qdevice_net_timer_expired(&t->d->net, t->which);
}

static int io_send(void *ctx, const struct msg *m)
{
	struct qdevice_daemon *d = ctx;
	return qdevice_net_transport_send(&d->transport, m);
}

static void io_timer_start(void *ctx, enum qdevice_net_timer t, uint32_t interval_ms)
{
	struct qdevice_daemon *d = ctx;
	loop_timer_start(d->loop, &d->timers[t].timer, interval_ms);
}

static void io_timer_stop(void *ctx, enum qdevice_net_timer t)
{
	struct qdevice_daemon *d = ctx;
	loop_timer_stop(d->loop, &d->timers[t].timer);
}

static bool io_timer_armed(void *ctx, enum qdevice_net_timer t)
{
	struct qdevice_daemon *d = ctx;
	return loop_timer_armed(&d->timers[t].timer);
}

static time_t io_wall_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static uint64_t io_mono_ms(void *ctx)
{
	(void)ctx;
	return loop_now_ms();
}

void qdevice_daemon_net_attach(struct qdevice_daemon *d)
{
	for (int i = 0; i < QDEVICE_NET_TIMER_COUNT; i++) {
		d->timers[i].d = d;
		d->timers[i].which = (enum qdevice_net_timer)i;
		loop_timer_init(&d->timers[i].timer, net_timer_expired, &d->timers[i]);
	}
	loop_timer_init(&d->reconnect_timer, reconnect_timer_expired, d);
	loop_set_before_wait(d->loop, daemon_before_wait, d);
}

int qdevice_daemon_net_init(struct qdevice_daemon *d)
{
	struct qdevice_net_params params = {
		.cfg = &d->cfg,
		.initial_msg_receive_size = (uint32_t)d->settings.net_initial_msg_receive_size,
		.initial_msg_send_size = (uint32_t)d->settings.net_initial_msg_send_size,
		.min_msg_send_size = (uint32_t)d->settings.net_min_msg_send_size,
		.max_msg_receive_size = (uint32_t)d->settings.net_max_msg_receive_size,
		.expected_votes = d->vq.expected_votes,
	};
	struct qdevice_net_io io = {
		.ctx = d,
		.send = io_send,
		.timer_start = io_timer_start,
		.timer_stop = io_timer_stop,
		.timer_armed = io_timer_armed,
		.poll = qdevice_daemon_votequorum_poll,
		.heuristics_start = qdevice_daemon_heuristics_start,
		.check_votes = qdevice_daemon_votequorum_check_node_votes,
		.wall_now = io_wall_now,
		.mono_ms = io_mono_ms,
		.vote_withdrawn = qdevice_daemon_votequorum_vote_withdrawn,
	};
	qdevice_net_init(&d->net, &params, &io);
	qdevice_net_transport_init(&d->transport, d->loop, &d->net);
	d->transport.host = d->cfg.net.host;
	d->transport.port = d->cfg.net.port;
	d->transport.force_ip_version = d->cfg.net.force_ip_version;
	d->transport.qnetd_cn = d->settings.net_nss_qnetd_cn;
	d->transport.client_cert_nickname = d->settings.net_nss_client_cert_nickname;
	d->transport.max_send_buffers = (size_t)d->settings.net_max_send_buffers;
	d->model_up = true;
	if (tls_nss_init(d->cfg.net.tls != PROTO_TLS_UNSUPPORTED ? d->settings.net_nss_db_dir : NULL) != 0) {
		log_crit("Can't init nss (%d): %s", tls_error_code(), tls_error_str());
		return -1;
	}
	d->nss_up = true;
	return 0;
}
