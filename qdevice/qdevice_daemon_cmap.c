/* corosync-qdevice's cmap adapter: the start-up copy of cmap, change tracking into that copy, and applying changes. */
#include <string.h>
#include <unistd.h>

#include <sys/epoll.h>

#include "qdevice_cmap_snapshot.h"
#include "qdevice_daemon.h"
#include "log.h"

/*
 * Every cmap request (initialize, track add, the copy of all keys) happens in
 * qdevice_daemon_cmap_connect and qdevice_daemon_cmap_copy, before the device registers with votequorum. Afterwards the daemon
 * only dispatches track notifications and keeps its copy current from the values they carry: a
 * cmap request made while corosync synchronises a membership would wait for the sync's end, and
 * the sync waits for this daemon's poll (doc/corosync-calls.md).
 */

static const struct {
	const char *key;
	int32_t flags;
} daemon_tracks[QDEVICE_DAEMON_TRACKS] = {
	{"config.totemconfig_reload_in_progress", CMAP_TRACK_ADD | CMAP_TRACK_MODIFY},
	{"nodelist.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
	{"logging.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
	{"quorum.device.heuristics.", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX},
	/* Read with the node list; upstream asks cmap for them at each change, the copy needs their tracks. */
	{"totem.clear_node_high_bit", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY},
	{"totem.config_version", CMAP_TRACK_ADD | CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY},
};

int qdevice_daemon_debug_level(const struct qdevice_daemon *d)
{
	if (d->settings.debug_level > 0)
		return d->settings.debug_level;
	return d->cmap.debug ? 1 : 0;
}

static void apply_node_list(struct qdevice_daemon *d)
{
	struct qdevice_node_list nl;
	char err[512];

	if (qdevice_config_read_node_list(&d->cmap.mirror.view, &d->env, &nl, err, sizeof(err)) != 0) {
		log_err("Can't get configuration node list: %s", err);
		qdevice_net_schedule_disconnect(&d->net, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
		return;
	}
	if (qdevice_node_list_equal(&nl, &d->cfg.node_list)) {
		qdevice_node_list_destroy(&nl);
		return;
	}
	log_info("Configuration node list changed (%zu nodes)", nl.count);
	qdevice_node_list_destroy(&d->cfg.node_list);
	d->cfg.node_list = nl;
	qdevice_net_config_node_list_changed(&d->net);
}

static void apply_heuristics(struct qdevice_daemon *d)
{
	struct qdevice_heuristics_config h;
	char err[512];

	if (qdevice_config_read_heuristics(&d->cmap.mirror.view, &d->env, d->cfg.timeout, d->cfg.sync_timeout, &h, err,
					   sizeof(err)) != 0) {
		/*
		 * Upstream exits here without unregistering; we leave through the clean path so corosync
		 * does not keep a dead device registered.
		 */
		log_crit("Invalid heuristics configuration: %s", err);
		d->config_error = true;
		loop_stop(d->loop);
		return;
	}
	bool execs_changed = !qdevice_heuristics_execs_equal(&d->cfg.heuristics, &h);
	qdevice_heuristics_config_destroy(&d->cfg.heuristics);
	d->cfg.heuristics = h;
	if (execs_changed)
		log_info("Heuristics configuration changed: mode %s, %zu commands",
			 qdevice_heuristics_mode_str(h.mode), h.exec_count);
	if (execs_changed && qdevice_daemon_heuristics_set_list(d) != 0)
		qdevice_net_schedule_disconnect(&d->net, QDEVICE_NET_REASON_CANT_START_HEURISTICS);
	qdevice_net_heuristics_config_changed(&d->net);
}

static void apply_changes(struct qdevice_daemon *d, unsigned events)
{
	if (events & QDEVICE_TRACK_LOGGING) {
		bool dbg = qdevice_config_read_debug(&d->cmap.mirror.view, &d->env);
		if (dbg != d->cmap.debug) {
			d->cmap.debug = dbg;
			log_set_debug_level(qdevice_daemon_debug_level(d));
		}
	}
	if (events & QDEVICE_TRACK_NODE_LIST)
		apply_node_list(d);
	if ((events & QDEVICE_TRACK_HEURISTICS) && !qdevice_net_closing(&d->net))
		apply_heuristics(d);
}

/* Keeps the copy current with one notification; false when it could not (out of memory). */
static bool mirror_update(struct qdevice_daemon *d, int32_t event, const char *key,
			  const struct cmap_notify_value *v)
{
	struct qdevice_cmap_entry e;

	if (event == CMAP_TRACK_DELETE ||
	    !qdevice_cmap_entry_from_value(key, v->type, v->data, v->len, &e)) {
		/* A type the model lacks reads as absent, as in the start-up copy. */
		qdevice_cmap_mirror_delete(&d->cmap.mirror, key);
		return true;
	}
	return qdevice_cmap_mirror_set(&d->cmap.mirror, &e) == 0;
}

static void cmap_track_notify(cmap_handle_t h, cmap_track_handle_t track, int32_t event, const char *key,
			      struct cmap_notify_value new_value, struct cmap_notify_value old_value, void *user_data)
{
	struct qdevice_daemon *d = user_data;
	const uint8_t *new_u8 = NULL;
	(void)h;
	(void)track;
	(void)old_value;

	if (!mirror_update(d, event, key, &new_value)) {
		log_crit("Can't keep the configuration copy current (out of memory)");
		qdevice_net_schedule_disconnect(&d->net, QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER);
		return;
	}
	if (event != CMAP_TRACK_DELETE && new_value.type == CMAP_VALUETYPE_UINT8 && new_value.len == 1)
		new_u8 = new_value.data;
	unsigned events = qdevice_config_track_notify(&d->cmap.track, key, new_u8);
	if (events != 0)
		apply_changes(d, events);
}

static void cmap_fd_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_daemon *d = data;
	(void)fd;
	cs_error_t e = CS_OK;
	if (events & EPOLLIN)
		e = cmap_dispatch(d->cmap.handle, CS_DISPATCH_ALL);
	if (qdevice_daemon_corosync_fd_lost(events, e)) {
		log_err("Lost connection to cmap (%s)", cs_strerror(e));
		loop_fd_remove(loop, d->cmap.fd);
		d->cmap.watched = false;
		d->cmap.closed = true;
		loop_stop(d->loop);
		return;
	}
}

/* libcmap answers CS_ERR_TRY_AGAIN while corosync is busy: retry at most max_cs_try_again times, 1 s apart. */
static cs_error_t cmap_initialize_retry(const struct qdevice_daemon *d, cmap_handle_t *h)
{
	cs_error_t e;
	int tries = 0;
	while ((e = cmap_initialize(h)) == CS_ERR_TRY_AGAIN && tries++ < d->settings.max_cs_try_again)
		sleep(1);
	return e;
}

static int cmap_tracks_add(struct qdevice_daemon *d)
{
	for (int i = 0; i < QDEVICE_DAEMON_TRACKS; i++) {
		cs_error_t e = cmap_track_add(d->cmap.handle, daemon_tracks[i].key, daemon_tracks[i].flags, cmap_track_notify, d,
					      &d->cmap.tracks[i]);
		if (e != CS_OK) {
			log_err("Can't initialize cmap tracking for %s. Error %s", daemon_tracks[i].key, cs_strerror(e));
			return -1;
		}
	}
	return 0;
}

int qdevice_daemon_cmap_connect(struct qdevice_daemon *d)
{
	cs_error_t e = cmap_initialize_retry(d, &d->cmap.handle);
	if (e != CS_OK) {
		/* Upstream's wording on stderr (before logging reaches stderr), and once to syslog. */
		fprintf(stderr, "corosync-qdevice: Failed to initialize the cmap API. Error %s\n", cs_strerror(e));
		log_crit("Failed to initialize the cmap API. Error %s", cs_strerror(e));
		return -1;
	}
	d->cmap.up = true;
	cmap_context_set(d->cmap.handle, d);
	cmap_fd_get(d->cmap.handle, &d->cmap.fd);
	return 0;
}

int qdevice_daemon_cmap_copy(struct qdevice_daemon *d)
{
	/*
	 * Tracks first, then the copy: a change between the two is both in the copy and in a
	 * notification, and applying a notification's value again is harmless.
	 */
	if (cmap_tracks_add(d) != 0)
		return -1;
	cs_error_t e = qdevice_cmap_snapshot_take(d->cmap.handle, &d->cmap.mirror);
	if (e != CS_OK) {
		log_err("Can't read cmap. Error %s", cs_strerror(e));
		return -1;
	}
	d->cmap.copied = true;
	qdevice_config_track_init(&d->cmap.track, &d->cmap.mirror.view);
	d->cmap.debug = qdevice_config_read_debug(&d->cmap.mirror.view, &d->env);
	return 0;
}

int qdevice_daemon_cmap_watch(struct qdevice_daemon *d)
{
	if (loop_fd_add(d->loop, d->cmap.fd, EPOLLIN, cmap_fd_event, d) != 0)
		return -1;
	d->cmap.watched = true;
	return 0;
}

void qdevice_daemon_cmap_pause(struct qdevice_daemon *d)
{
	if (!d->cmap.watched)
		return;
	loop_fd_remove(d->loop, d->cmap.fd);
	d->cmap.watched = false;
}

void qdevice_daemon_cmap_resume(struct qdevice_daemon *d)
{
	if (d->cmap.watched || d->cmap.fd < 0 || d->cmap.closed || d->loop == NULL)
		return;
	if (loop_fd_add(d->loop, d->cmap.fd, EPOLLIN, cmap_fd_event, d) == 0)
		d->cmap.watched = true;
}

void qdevice_daemon_cmap_stop(struct qdevice_daemon *d)
{
	/*
	 * No cmap_track_delete: it is a request that a sync in progress would hold up, and corosync
	 * drops a connection's tracks when the connection closes.
	 */
	if (d->cmap.up)
		cmap_finalize(d->cmap.handle);
	d->cmap.up = false;
	if (d->cmap.copied)
		qdevice_cmap_mirror_destroy(&d->cmap.mirror);
	d->cmap.copied = false;
}
