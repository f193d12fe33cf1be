/* corosync-qdevice: start-up in upstream's order, the event loop around model net, run-time configuration changes, clean shutdown (qdevice.md §1, §3, §4). */
/* random()/srandom() are XSI, outside the POSIX set the build selects. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/votequorum.h>
#include <systemd/sd-daemon.h>

#include "cmap_snapshot.h"
#include "config.h"
#include "daemon.h"
#include "daemonize.h"
#include "lockfile.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "net_transport.h"
#include "settings.h"
#include "tls.h"

static struct qdevice_daemon *the_daemon;    /* libcmap/libvotequorum callbacks find it through their context */

/* ---- Small helpers. ---- */

static void config_log(void *ctx, int priority, const char *message)
{
	(void)ctx;
	log_msg(priority, "%s", message);
}

static int debug_level_of(const struct qdevice_daemon *d)
{
	if (d->settings.debug_level > 0)
		return d->settings.debug_level;
	return d->cmap_debug ? 1 : 0;
}

/*
 * libcmap and libvotequorum answer CS_ERR_TRY_AGAIN while corosync is busy: retry at most
 * max_cs_try_again extra times, 1 s apart (§1.6 step 3, §3.2 V1).
 */
static cs_error_t cmap_initialize_retry(const struct qdevice_daemon *d, cmap_handle_t *h)
{
	cs_error_t e;
	int tries = 0;
	while ((e = cmap_initialize(h)) == CS_ERR_TRY_AGAIN && tries++ < d->settings.max_cs_try_again)
		sleep(1);
	return e;
}

static cs_error_t votequorum_initialize_retry(const struct qdevice_daemon *d, votequorum_handle_t *h,
					      votequorum_callbacks_t *cb)
{
	cs_error_t e;
	int tries = 0;
	while ((e = votequorum_initialize(h, cb)) == CS_ERR_TRY_AGAIN && tries++ < d->settings.max_cs_try_again)
		sleep(1);
	return e;
}

/* ---- The end of the loop (§4): exit reasons in upstream's priority. ---- */

static void daemon_stop(struct qdevice_daemon *d)
{
	loop_stop(d->loop);
}

static enum qdevice_net_reason daemon_exit_reason(const struct qdevice_daemon *d)
{
	if (d->votequorum_closed || d->cmap_closed)
		return QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED;
	if (d->heuristics_closed)
		return QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED;
	if (d->ipc_closed)
		return QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED;
	return QDEVICE_NET_REASON_NONE;
}

/* ---- Connecting and reconnecting (§5.3, §5.10). ---- */

static void daemon_connect(struct qdevice_daemon *d)
{
	qdevice_net_connect_begin(&d->net);
	qdevice_net_transport_connect(&d->transport);
}

static void reconnect_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	daemon_connect(d);
	qdevice_daemon_after_event(d);
}

void qdevice_daemon_after_event(struct qdevice_daemon *d)
{
	qdevice_net_transport_kick(&d->transport);
	if (!d->net.disconnect_scheduled || !d->connecting_allowed)
		return;

	bool delayed;
	enum qdevice_net_reason reason = d->net.disconnect_reason;
	qdevice_net_transport_close(&d->transport);
	bool restart = qdevice_net_disconnected(&d->net, QDEVICE_NET_REASON_NONE, &delayed);
	if (!restart) {
		log_err("Disconnected from qnetd (%s): exiting", qdevice_net_reason_str(reason));
		d->model_exit = true;
		d->model_exit_reason = reason;
		daemon_stop(d);
		return;
	}
	/*
	 * Upstream sleeps here, blocking the whole daemon (§8 quirk 9); a timer keeps polls, IPC and
	 * corosync events flowing during the delay.
	 */
	uint32_t delay = delayed ? qdevice_config_reconnect_delay(&d->cfg, random()) : 0;
	log_debug("Reconnecting to qnetd in %u ms", delay);
	loop_timer_start(d->loop, &d->reconnect_timer, delay);
}

/* ---- Model io (what the state machine asks for). ---- */

static void net_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon_timer *t = data;
	(void)loop;
	qdevice_net_timer_expired(&t->d->net, t->which);
	qdevice_daemon_after_event(t->d);
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

static int io_poll(void *ctx, bool cast_vote, const struct proto_ring_id *ring_id)
{
	struct qdevice_daemon *d = ctx;
	votequorum_ring_id_t r = {.nodeid = ring_id->node_id, .seq = ring_id->seq};
	cs_error_t e = votequorum_qdevice_poll(d->vq, d->settings.votequorum_device_name, cast_vote ? 1 : 0, r);
	if (e == CS_OK || e == CS_ERR_TRY_AGAIN)
		return 0;
	if (e == CS_ERR_MESSAGE_ERROR)
		return 1;
	log_crit("Can't call votequorum_qdevice_poll. Error %s", cs_strerror(e));
	return -1;
}

static int vq_getinfo_votes(void *ctx, uint32_t node_id, uint32_t *node_votes, uint32_t *qdevice_votes)
{
	struct qdevice_daemon *d = ctx;
	struct votequorum_info info;
	cs_error_t e = votequorum_getinfo(d->vq, node_id, &info);
	if (e == CS_ERR_NOT_EXIST)
		return 1;
	if (e != CS_OK) {
		log_err("Can't get votequorum information for node %u. Error %s", node_id, cs_strerror(e));
		return -1;
	}
	*node_votes = info.node_votes;
	*qdevice_votes = info.qdevice_votes;
	return 0;
}

static int io_check_votes(void *ctx)
{
	struct qdevice_daemon *d = ctx;
	struct qdevice_cmap_snapshot snap;
	char err[512];

	cs_error_t e = qdevice_cmap_snapshot_take(d->cmap, &snap);
	if (e != CS_OK) {
		log_err("Can't read cmap. Error %s", cs_strerror(e));
		return -1;
	}
	int r = qdevice_config_ffsplit_check_votes(&snap.view, &d->cfg.node_list, vq_getinfo_votes, d, err,
						   sizeof(err));
	qdevice_cmap_snapshot_free(&snap);
	if (r != 0)
		log_crit("%s", err);
	return r;
}

static time_t io_wall_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

/* ---- votequorum (§3.2, §3.4). ---- */

static void vq_nodelist_notify(votequorum_handle_t h, uint64_t context, votequorum_ring_id_t ring_id,
			       uint32_t count, uint32_t ids[])
{
	struct qdevice_daemon *d = the_daemon;
	(void)h;
	(void)context;
	struct proto_ring_id r = {.node_id = ring_id.nodeid, .seq = ring_id.seq};

	log_debug("Votequorum nodelist notify callback: ring id (%x.%llx), %u nodes", r.node_id,
		  (unsigned long long)r.seq, count);
	d->got_node_list = true;
	/* cmap events wait until the sync ends (§2.4). */
	if (d->cmap_fd_watched) {
		loop_fd_remove(d->loop, d->cmap_fd);
		d->cmap_fd_watched = false;
	}
	qdevice_net_votequorum_node_list(&d->net, &r, ids, count);
}

static void cmap_fd_event(struct loop *loop, int fd, uint32_t events, void *data);

static void vq_quorum_notify(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t count,
			     votequorum_node_t nodes[])
{
	struct qdevice_daemon *d = the_daemon;
	struct qdevice_net_quorum_node q[QDEVICE_NET_MAX_NODES];
	(void)h;
	(void)context;

	if (count > QDEVICE_NET_MAX_NODES)
		count = QDEVICE_NET_MAX_NODES;
	for (uint32_t i = 0; i < count; i++) {
		q[i].node_id = nodes[i].nodeid;
		q[i].state = (uint8_t)nodes[i].state;
	}
	log_debug("Votequorum quorum notify callback: quorate = %u, %u nodes", quorate, count);
	qdevice_net_votequorum_quorum(&d->net, quorate != 0, q, count);
	if (!d->cmap_fd_watched && d->cmap_fd >= 0 && !d->cmap_closed) {
		if (loop_fd_add(d->loop, d->cmap_fd, EPOLLIN, cmap_fd_event, d) == 0)
			d->cmap_fd_watched = true;
	}
}

static void vq_expectedvotes_notify(votequorum_handle_t h, uint64_t context, uint32_t expected_votes)
{
	struct qdevice_daemon *d = the_daemon;
	(void)h;
	(void)context;
	log_debug("Votequorum expected_votes notify callback: %u", expected_votes);
	qdevice_net_votequorum_expected_votes(&d->net, expected_votes);
}

/* A corosync library connection is gone when dispatch fails or the fd reports an error without data. */
static bool corosync_fd_lost(uint32_t events, cs_error_t e)
{
	return (e != CS_OK && e != CS_ERR_TRY_AGAIN) || ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN));
}

static void vq_fd_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_daemon *d = data;
	(void)fd;
	cs_error_t e = CS_OK;
	if (events & EPOLLIN)
		e = votequorum_dispatch(d->vq, CS_DISPATCH_ALL);
	if (corosync_fd_lost(events, e)) {
		log_err("Lost connection to votequorum (%s)", cs_strerror(e));
		loop_fd_remove(loop, d->vq_fd);
		d->votequorum_closed = true;
		daemon_stop(d);
		return;
	}
	qdevice_daemon_after_event(d);
}

static int votequorum_start(struct qdevice_daemon *d)
{
	votequorum_callbacks_t cb = {
		.votequorum_quorum_notify_fn = vq_quorum_notify,
		.votequorum_expectedvotes_notify_fn = vq_expectedvotes_notify,
		.votequorum_nodelist_notify_fn = vq_nodelist_notify,
	};
	struct votequorum_info info;
	cs_error_t e;

	e = votequorum_initialize_retry(d, &d->vq, &cb);
	if (e != CS_OK) {
		log_crit("Failed to initialize the votequorum API. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq_up = true;
	e = votequorum_qdevice_register(d->vq, d->settings.votequorum_device_name);
	if (e != CS_OK) {
		log_crit("Can't register votequorum device. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq_registered = true;
	votequorum_context_set(d->vq, d);
	e = votequorum_getinfo(d->vq, VOTEQUORUM_QDEVICE_NODEID, &info);
	if (e != CS_OK) {
		log_crit("Can't get votequorum information. Error %s", cs_strerror(e));
		return -1;
	}
	d->net.expected_votes = info.node_expected_votes;
	if (votequorum_fd_get(d->vq, &d->vq_fd) != CS_OK) {
		log_crit("Can't get votequorum file descriptor");
		return -1;
	}
	e = votequorum_trackstart(d->vq, 0, CS_TRACK_CHANGES);
	if (e != CS_OK) {
		log_crit("Can't start tracking votequorum changes. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq_tracking = true;
	return 0;
}

/* ---- cmap (§2.4). ---- */

static void daemon_apply_cmap_change(struct qdevice_daemon *d, unsigned events)
{
	struct qdevice_cmap_snapshot snap;
	char err[512];

	cs_error_t e = qdevice_cmap_snapshot_take(d->cmap, &snap);
	if (e != CS_OK) {
		log_err("Can't read cmap. Error %s", cs_strerror(e));
		return;
	}
	if (events & QDEVICE_TRACK_LOGGING) {
		bool dbg = qdevice_config_read_debug(&snap.view, &d->env);
		if (dbg != d->cmap_debug) {
			d->cmap_debug = dbg;
			log_set_debug_level(debug_level_of(d));
		}
	}
	if (events & QDEVICE_TRACK_NODE_LIST) {
		struct qdevice_node_list nl;
		if (qdevice_config_read_node_list(&snap.view, &d->env, &nl, err, sizeof(err)) != 0) {
			log_err("Can't get configuration node list: %s", err);
			qdevice_net_schedule_disconnect(&d->net, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
		} else if (qdevice_node_list_equal(&nl, &d->cfg.node_list)) {
			qdevice_node_list_destroy(&nl);
		} else {
			log_debug("Configuration node list changed");
			qdevice_node_list_destroy(&d->cfg.node_list);
			d->cfg.node_list = nl;
			qdevice_net_config_node_list_changed(&d->net);
		}
	}
	if ((events & QDEVICE_TRACK_HEURISTICS) && !d->net.disconnect_scheduled) {
		struct qdevice_heuristics_config h;
		if (qdevice_config_read_heuristics(&snap.view, &d->env, d->cfg.timeout, d->cfg.sync_timeout, &h, err,
						   sizeof(err)) != 0) {
			/*
			 * Upstream exits here without unregistering (§8 quirk 7); we leave through the clean
			 * path so corosync does not keep a dead device registered.
			 */
			log_crit("Invalid heuristics configuration: %s", err);
			d->config_error = true;
			daemon_stop(d);
		} else {
			bool execs_changed = !qdevice_heuristics_execs_equal(&d->cfg.heuristics, &h);
			qdevice_heuristics_config_destroy(&d->cfg.heuristics);
			d->cfg.heuristics = h;
			if (execs_changed && qdevice_daemon_heuristics_set_list(d) != 0)
				qdevice_net_schedule_disconnect(&d->net, QDEVICE_NET_REASON_CANT_START_HEURISTICS);
			qdevice_net_heuristics_config_changed(&d->net);
		}
	}
	qdevice_cmap_snapshot_free(&snap);
}

static void cmap_track_notify(cmap_handle_t h, cmap_track_handle_t track, int32_t event, const char *key,
			      struct cmap_notify_value new_value, struct cmap_notify_value old_value, void *user_data)
{
	struct qdevice_daemon *d = user_data;
	uint8_t reload = 0;
	const uint8_t *new_u8 = NULL;
	(void)h;
	(void)track;
	(void)event;
	(void)old_value;

	if (new_value.type == CMAP_VALUETYPE_UINT8 && new_value.len == 1)
		new_u8 = new_value.data;
	bool reload_now = cmap_get_uint8(d->cmap, "config.totemconfig_reload_in_progress", &reload) == CS_OK &&
			  reload == 1;
	unsigned events = qdevice_config_track_notify(&d->track, key, new_u8, reload_now);
	if (events != 0)
		daemon_apply_cmap_change(d, events);
}

static void cmap_fd_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_daemon *d = data;
	(void)fd;
	cs_error_t e = CS_OK;
	if (events & EPOLLIN)
		e = cmap_dispatch(d->cmap, CS_DISPATCH_ALL);
	if (corosync_fd_lost(events, e)) {
		log_err("Lost connection to cmap (%s)", cs_strerror(e));
		loop_fd_remove(loop, d->cmap_fd);
		d->cmap_fd_watched = false;
		d->cmap_closed = true;
		daemon_stop(d);
		return;
	}
	qdevice_daemon_after_event(d);
}

static int cmap_tracks_add(struct qdevice_daemon *d)
{
	static const struct {
		const char *key;
		int32_t flags;
	} tracks[QDEVICE_DAEMON_TRACKS] = {
		{"config.totemconfig_reload_in_progress", CMAP_TRACK_ADD | CMAP_TRACK_MODIFY},
		{"nodelist.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
		{"logging.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
		{"quorum.device.heuristics.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
	};
	for (int i = 0; i < QDEVICE_DAEMON_TRACKS; i++) {
		cs_error_t e = cmap_track_add(d->cmap, tracks[i].key, tracks[i].flags, cmap_track_notify, d,
					      &d->tracks[i]);
		if (e != CS_OK) {
			log_err("Can't initialize cmap tracking for %s. Error %s", tracks[i].key, cs_strerror(e));
			return -1;
		}
		d->track_count = i + 1;
	}
	return 0;
}

/* ---- Start-up phase helpers. ---- */

static void startup_timer_expired(struct loop *loop, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	log_err("Timeout waiting for initial heuristics exec result");
	d->startup_failed = true;
	daemon_stop(d);
}

static void on_signal(struct loop *loop, int signo, void *data)
{
	struct qdevice_daemon *d = data;
	(void)loop;
	log_debug("Got signal %d, closing the local socket", signo);
	qdevice_daemon_ipc_close_listener(d);
}

/* Step 16 of §1.6: corosync answers trackstart with a node list; wait for it a bounded number of rounds. */
static int wait_first_node_list(struct qdevice_daemon *d)
{
	for (int round = 0; round <= d->settings.max_cs_try_again && !d->got_node_list; round++) {
		cs_error_t e = votequorum_dispatch(d->vq, CS_DISPATCH_ALL);
		if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
			log_err("Can't dispatch votequorum messages. Error %s", cs_strerror(e));
			return -1;
		}
		if (!d->got_node_list)
			sleep(1);
	}
	if (!d->got_node_list) {
		log_err("Can't get initial votequorum membership information.");
		return -1;
	}
	return 0;
}

static void daemon_timers_init(struct qdevice_daemon *d)
{
	for (int i = 0; i < QDEVICE_NET_TIMER_COUNT; i++) {
		d->timers[i].d = d;
		d->timers[i].which = (enum qdevice_net_timer)i;
		loop_timer_init(&d->timers[i].timer, net_timer_expired, &d->timers[i]);
	}
	loop_timer_init(&d->reconnect_timer, reconnect_timer_expired, d);
	loop_timer_init(&d->startup_timer, startup_timer_expired, d);
}

static int daemon_read_config(struct qdevice_daemon *d)
{
	struct qdevice_cmap_snapshot snap;
	char err[512];

	cs_error_t e = qdevice_cmap_snapshot_take(d->cmap, &snap);
	if (e != CS_OK) {
		log_err("Can't read cmap. Error %s", cs_strerror(e));
		return -1;
	}
	int r = qdevice_config_read(&snap.view, &d->env, &d->cfg, err, sizeof(err));
	if (r != 0)
		log_err("%s", err);
	else
		d->cfg_loaded = true;
	if (r == 0 && d->cfg.net.algorithm == PROTO_ALGO_FFSPLIT &&
	    qdevice_config_ffsplit_check_votes(&snap.view, &d->cfg.node_list, vq_getinfo_votes, d, err, sizeof(err)) != 0) {
		log_crit("%s", err);
		r = -1;
	}
	qdevice_cmap_snapshot_free(&snap);
	return r;
}

/* ---- main. ---- */

int main(int argc, char **argv)
{
	static struct qdevice_daemon daemon;
	struct qdevice_daemon *d = &daemon;
	char err[512];
	int rc = 1;

	the_daemon = d;
	d->cmap_fd = -1;
	d->vq_fd = -1;
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

	/* Step 2: the worker is forked before anything else exists (§1.1). */
	if (qdevice_daemon_heuristics_spawn(d) != 0) {
		fprintf(stderr, "corosync-qdevice: Can't start the heuristics worker: %s\n", strerror(errno));
		return 1;
	}

	cs_error_t e = cmap_initialize_retry(d, &d->cmap);
	if (e != CS_OK) {
		fprintf(stderr, "corosync-qdevice: Failed to initialize the cmap API. Error %s\n", cs_strerror(e));
		goto out_early;
	}
	d->cmap_up = true;
	cmap_context_set(d->cmap, d);
	cmap_fd_get(d->cmap, &d->cmap_fd);

	d->env.settings = &d->settings;
	d->env.log = config_log;
	{
		struct qdevice_cmap_snapshot snap;
		if (qdevice_cmap_snapshot_take(d->cmap, &snap) == CS_OK) {
			d->cmap_debug = qdevice_config_read_debug(&snap.view, &d->env);
			qdevice_cmap_snapshot_free(&snap);
		}
	}
	log_init("corosync-qdevice", d->settings.foreground, debug_level_of(d));
	d->log_up = true;
	log_debug("Initializing votequorum");

	if (!d->settings.foreground && daemonize() != 0) {
		log_errno(LOG_CRIT, "Can't daemonize");
		goto out;
	}
	switch (lockfile_take(d->settings.lock_file, &d->lock_fd)) {
	case LOCKFILE_OK:
		break;
	case LOCKFILE_HELD_BY_OTHER:
		log_err("Another instance is running");
		goto out;
	default:
		log_errno(LOG_ERR, "Can't acquire lock");
		goto out;
	}
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));

	d->loop = loop_create();
	if (d->loop == NULL) {
		log_crit("Can't create the event loop");
		goto out;
	}
	daemon_timers_init(d);
	signal(SIGPIPE, SIG_IGN);

	if (votequorum_start(d) != 0)
		goto out;
	if (qdevice_daemon_ipc_init(d) != 0)
		goto out;
	if (daemon_read_config(d) != 0)
		goto out;
	e = votequorum_qdevice_master_wins(d->vq, d->settings.votequorum_device_name, d->cfg.master_wins ? 1 : 0);
	if (e != CS_OK) {
		log_crit("Can't set master wins. Error %s", cs_strerror(e));
		goto out;
	}

	/* Model init (§1.6 step 13). */
	struct qdevice_net_params params = {
		.cfg = &d->cfg,
		.initial_msg_receive_size = (uint32_t)d->settings.net_initial_msg_receive_size,
		.initial_msg_send_size = (uint32_t)d->settings.net_initial_msg_send_size,
		.min_msg_send_size = (uint32_t)d->settings.net_min_msg_send_size,
		.max_msg_receive_size = (uint32_t)d->settings.net_max_msg_receive_size,
	};
	struct qdevice_net_io io = {
		.ctx = d,
		.send = io_send,
		.timer_start = io_timer_start,
		.timer_stop = io_timer_stop,
		.timer_armed = io_timer_armed,
		.poll = io_poll,
		.heuristics_start = qdevice_daemon_heuristics_start,
		.check_votes = io_check_votes,
		.wall_now = io_wall_now,
	};
	uint32_t expected = d->net.expected_votes;
	qdevice_net_init(&d->net, &params, &io);
	d->net.expected_votes = expected;
	qdevice_net_transport_init(&d->transport, d->loop, &d->net);
	d->transport.host = d->cfg.net.host;
	d->transport.port = d->cfg.net.port;
	d->transport.force_ip_version = d->cfg.net.force_ip_version;
	d->transport.qnetd_cn = d->settings.net_nss_qnetd_cn;
	d->transport.client_cert_nickname = d->settings.net_nss_client_cert_nickname;
	d->transport.max_send_buffers = (size_t)d->settings.net_max_send_buffers;
	d->transport.after_event = (void (*)(void *))qdevice_daemon_after_event;
	d->transport.after_ctx = d;
	if (tls_nss_init(d->cfg.net.tls != PROTO_TLS_UNSUPPORTED ? d->settings.net_nss_db_dir : NULL) != 0) {
		log_crit("Can't init nss (%d): %s", tls_error_code(), tls_error_str());
		goto out;
	}
	d->nss_up = true;
	if (qdevice_daemon_heuristics_attach(d) != 0) {
		log_crit("Can't attach the heuristics worker to the event loop");
		goto out;
	}
	if (qdevice_daemon_heuristics_set_list(d) != 0) {
		log_crit("Can't send the heuristics exec list to the worker");
		goto out;
	}
	if (cmap_tracks_add(d) != 0)
		goto out;

	/* Step 15: every descriptor into the loop. */
	if (loop_fd_add(d->loop, d->vq_fd, EPOLLIN, vq_fd_event, d) != 0 ||
	    loop_fd_add(d->loop, d->cmap_fd, EPOLLIN, cmap_fd_event, d) != 0) {
		log_crit("Can't add file descriptors to the event loop");
		goto out;
	}
	d->cmap_fd_watched = true;

	if (wait_first_node_list(d) != 0)
		goto out;
	if (loop_signal_add(d->loop, SIGTERM, on_signal, d) != 0 || loop_signal_add(d->loop, SIGINT, on_signal, d) != 0) {
		log_crit("Can't install signal handlers");
		goto out;
	}

	/* Step 18: until the first membership heuristics result. */
	if (!d->net.initial_heuristics_done) {
		d->waiting_initial_heuristics = true;
		loop_timer_start(d->loop, &d->startup_timer, 2ull * d->cfg.heuristics.sync_timeout);
		loop_run(d->loop);
		loop_timer_stop(d->loop, &d->startup_timer);
		d->waiting_initial_heuristics = false;
	}
	if (d->startup_failed)
		goto out;

	if (daemon_exit_reason(d) == QDEVICE_NET_REASON_NONE && !d->config_error) {
		sd_notify(0, "READY=1");
		log_debug("QDevice ready to provide service");
		d->connecting_allowed = true;
		daemon_connect(d);
		qdevice_daemon_after_event(d);
		if (!d->model_exit)
			loop_run(d->loop);
	}

	/* Post-loop (§5.10, §1.7). */
	enum qdevice_net_reason reason = daemon_exit_reason(d);
	if (d->model_exit && reason == QDEVICE_NET_REASON_NONE) {
		rc = 1;
	} else {
		bool delayed;
		d->connecting_allowed = false;
		qdevice_net_transport_close(&d->transport);
		if (reason == QDEVICE_NET_REASON_NONE)
			reason = QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER;
		qdevice_net_disconnected(&d->net, reason, &delayed);
		rc = (reason == QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED && !d->config_error) ? 0 : 1;
		/*
		 * A worker lost after our own termination signal is a clean stop, not a failure (§8 quirk
		 * 13: upstream exits 1 when systemd signals the whole control group).
		 */
		if (reason == QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED && d->ipc_closed && !d->config_error)
			rc = 0;
	}

out:
	for (int i = 0; i < d->track_count; i++) {
		e = cmap_track_delete(d->cmap, d->tracks[i]);
		if (e != CS_OK)
			log_warn("Can't delete cmap track. Error %s", cs_strerror(e));
	}
	if (d->cfg_loaded)
		qdevice_net_transport_destroy(&d->transport);
	if (d->nss_up)
		tls_nss_shutdown();
	qdevice_daemon_ipc_destroy(d);
	if (d->vq_up) {
		if (d->vq_tracking && votequorum_trackstop(d->vq) != CS_OK)
			log_warn("Can't stop tracking votequorum changes");
		if (d->vq_registered) {
			e = votequorum_qdevice_unregister(d->vq, d->settings.votequorum_device_name);
			if (e != CS_OK)
				log_warn("Unable to unregister votequorum device. Error %s", cs_strerror(e));
		}
		votequorum_finalize(d->vq);
	}
	if (d->cmap_up)
		cmap_finalize(d->cmap);
out_early:
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
	return rc;
}
