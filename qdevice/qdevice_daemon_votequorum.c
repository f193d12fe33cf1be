/* corosync-qdevice's votequorum adapter: device registration, the three notifications into model net, polls, node-vote checks. */
#include <unistd.h>

#include <sys/epoll.h>

#include "qdevice_daemon.h"
#include "log.h"

/*
 * Everything reachable from the callbacks below talks to votequorum only: during a membership
 * sync corosync serves votequorum requests and defers every other service's requests until the
 * sync ends, which waits for this device's poll (doc/corosync-calls.md).
 */

static struct qdevice_daemon *daemon_of(votequorum_handle_t h)
{
	void *ctx = NULL;
	if (votequorum_context_get(h, &ctx) != CS_OK)
		return NULL;
	return ctx;
}

static void vq_nodelist_notify(votequorum_handle_t h, uint64_t context, votequorum_ring_id_t ring_id,
			       uint32_t count, uint32_t ids[])
{
	struct qdevice_daemon *d = daemon_of(h);
	(void)context;
	if (d == NULL)
		return;
	struct proto_ring_id r = {.node_id = ring_id.nodeid, .seq = ring_id.seq};

	log_debug("Votequorum nodelist notify callback: ring id (%x.%llx), %u nodes", r.node_id,
		  (unsigned long long)r.seq, count);
	d->vq.got_node_list = true;
	/* A sync begins: cmap events wait for its end, as upstream's do (doc/corosync-calls.md). */
	qdevice_daemon_cmap_pause(d);
	qdevice_net_votequorum_node_list(&d->net, &r, ids, count);
}

static void vq_quorum_notify(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t count,
			     votequorum_node_t nodes[])
{
	struct qdevice_daemon *d = daemon_of(h);
	struct qdevice_net_quorum_node q[QDEVICE_NET_MAX_NODES];
	(void)context;
	if (d == NULL)
		return;

	if (count > QDEVICE_NET_MAX_NODES)
		count = QDEVICE_NET_MAX_NODES;
	for (uint32_t i = 0; i < count; i++) {
		q[i].node_id = nodes[i].nodeid;
		q[i].state = (uint8_t)nodes[i].state;
	}
	log_debug("Votequorum quorum notify callback: quorate = %u, %u nodes", quorate, count);
	qdevice_net_votequorum_quorum(&d->net, quorate != 0, q, count);
	qdevice_daemon_cmap_resume(d);
}

static void vq_expectedvotes_notify(votequorum_handle_t h, uint64_t context, uint32_t expected_votes)
{
	struct qdevice_daemon *d = daemon_of(h);
	(void)context;
	if (d == NULL)
		return;
	log_debug("Votequorum expected_votes notify callback: %u", expected_votes);
	/* The device's votes change with the expected votes; votequorum answers during a sync too. */
	struct votequorum_info info;
	if (votequorum_getinfo(d->vq.handle, VOTEQUORUM_QDEVICE_NODEID, &info) == CS_OK) {
		d->vq.device_votes = info.qdevice_votes;
		d->vq.device_votes_set = true;
	}
	qdevice_net_votequorum_expected_votes(&d->net, expected_votes);
}

/* A corosync library connection is gone when dispatch fails or the fd reports an error without data. */
bool qdevice_daemon_corosync_fd_lost(uint32_t events, cs_error_t e)
{
	return (e != CS_OK && e != CS_ERR_TRY_AGAIN) || ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN));
}

static void vq_fd_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	struct qdevice_daemon *d = data;
	(void)fd;
	cs_error_t e = CS_OK;
	if (events & EPOLLIN)
		e = votequorum_dispatch(d->vq.handle, CS_DISPATCH_ALL);
	if (qdevice_daemon_corosync_fd_lost(events, e)) {
		log_err("Lost connection to votequorum (%s)", cs_strerror(e));
		loop_fd_remove(loop, d->vq.fd);
		d->vq.closed = true;
		loop_stop(d->loop);
		return;
	}
}

/* libvotequorum answers CS_ERR_TRY_AGAIN while corosync is busy: retry at most max_cs_try_again times, 1 s apart. */
static cs_error_t votequorum_initialize_retry(const struct qdevice_daemon *d, votequorum_handle_t *h,
					      votequorum_callbacks_t *cb)
{
	cs_error_t e;
	int tries = 0;
	while ((e = votequorum_initialize(h, cb)) == CS_ERR_TRY_AGAIN && tries++ < d->settings.max_cs_try_again)
		sleep(1);
	return e;
}

int qdevice_daemon_votequorum_start(struct qdevice_daemon *d)
{
	votequorum_callbacks_t cb = {
		.votequorum_quorum_notify_fn = vq_quorum_notify,
		.votequorum_expectedvotes_notify_fn = vq_expectedvotes_notify,
		.votequorum_nodelist_notify_fn = vq_nodelist_notify,
	};
	struct votequorum_info info;
	cs_error_t e;

	log_debug("Initializing votequorum");
	e = votequorum_initialize_retry(d, &d->vq.handle, &cb);
	if (e != CS_OK) {
		log_crit("Failed to initialize the votequorum API. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq.up = true;
	/* Before registering: a notification may arrive with the first dispatch after it. */
	votequorum_context_set(d->vq.handle, d);
	e = votequorum_qdevice_register(d->vq.handle, d->settings.votequorum_device_name);
	if (e != CS_OK) {
		log_crit("Can't register votequorum device. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq.registered = true;
	e = votequorum_getinfo(d->vq.handle, VOTEQUORUM_QDEVICE_NODEID, &info);
	if (e != CS_OK) {
		log_crit("Can't get votequorum information. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq.expected_votes = info.node_expected_votes;
	d->vq.device_votes = info.qdevice_votes;
	d->vq.device_votes_set = true;
	if (votequorum_fd_get(d->vq.handle, &d->vq.fd) != CS_OK) {
		log_crit("Can't get votequorum file descriptor");
		return -1;
	}
	e = votequorum_trackstart(d->vq.handle, 0, CS_TRACK_CHANGES);
	if (e != CS_OK) {
		log_crit("Can't start tracking votequorum changes. Error %s", cs_strerror(e));
		return -1;
	}
	d->vq.tracking = true;
	return 0;
}

int qdevice_daemon_votequorum_watch(struct qdevice_daemon *d)
{
	return loop_fd_add(d->loop, d->vq.fd, EPOLLIN, vq_fd_event, d);
}

int qdevice_daemon_votequorum_master_wins(struct qdevice_daemon *d)
{
	cs_error_t e = votequorum_qdevice_master_wins(d->vq.handle, d->settings.votequorum_device_name,
						      d->cfg.master_wins ? 1 : 0);
	if (e != CS_OK) {
		log_crit("Can't set master wins. Error %s", cs_strerror(e));
		return -1;
	}
	return 0;
}

/* corosync answers trackstart with a node list; wait for it a bounded number of rounds. */
int qdevice_daemon_votequorum_wait_node_list(struct qdevice_daemon *d)
{
	for (int round = 0; round <= d->settings.max_cs_try_again && !d->vq.got_node_list; round++) {
		cs_error_t e = votequorum_dispatch(d->vq.handle, CS_DISPATCH_ALL);
		if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
			log_err("Can't dispatch votequorum messages. Error %s", cs_strerror(e));
			return -1;
		}
		if (!d->vq.got_node_list)
			sleep(1);
	}
	if (!d->vq.got_node_list) {
		log_err("Can't get initial votequorum membership information.");
		return -1;
	}
	return 0;
}

int qdevice_daemon_votequorum_poll(void *ctx, bool cast_vote, const struct proto_ring_id *ring_id)
{
	struct qdevice_daemon *d = ctx;
	votequorum_ring_id_t r = {.nodeid = ring_id->node_id, .seq = ring_id->seq};
	cs_error_t e = votequorum_qdevice_poll(d->vq.handle, d->settings.votequorum_device_name, cast_vote ? 1 : 0, r);
	if (e == CS_OK || e == CS_ERR_TRY_AGAIN)
		return 0;
	if (e == CS_ERR_MESSAGE_ERROR)
		return 1;
	log_crit("Can't call votequorum_qdevice_poll. Error %s", cs_strerror(e));
	return -1;
}

/*
 * model net's vote_withdrawn (doc/qdevice-state-machine.md §7.4), from votequorum's view of this
 * node. The cast-vote flag clears at the poll; quorum is recomputed only when corosync has
 * delivered this node's nodeinfo (or at a new ring's sync), and total_votes is counted afresh
 * without the device's votes once the flag is clear.
 */
int qdevice_daemon_votequorum_vote_withdrawn(void *ctx)
{
	struct qdevice_daemon *d = ctx;
	struct votequorum_info info;
	cs_error_t e = votequorum_getinfo(d->vq.handle, VOTEQUORUM_QDEVICE_NODEID, &info);
	if (e != CS_OK) {
		log_err("Can't get votequorum information to confirm a NACK. Error %s", cs_strerror(e));
		return -1;
	}
	if (info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE)
		return 0;               /* the NACK has not been polled for corosync's current ring */
	if (!(info.flags & VOTEQUORUM_INFO_QUORATE))
		return 1;
	return info.total_votes >= info.quorum ? 1 : 0;
}

static int vq_getinfo_votes(void *ctx, uint32_t node_id, uint32_t *node_votes, uint32_t *qdevice_votes)
{
	struct qdevice_daemon *d = ctx;
	struct votequorum_info info;
	cs_error_t e = votequorum_getinfo(d->vq.handle, node_id, &info);
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

int qdevice_daemon_votequorum_check_node_votes(void *ctx)
{
	struct qdevice_daemon *d = ctx;
	char err[512];
	int r = qdevice_config_ffsplit_check_node_votes(&d->cfg.node_list, vq_getinfo_votes, d, err, sizeof(err));
	if (r != 0)
		log_crit("%s", err);
	return r;
}

void qdevice_daemon_votequorum_stop(struct qdevice_daemon *d)
{
	if (!d->vq.up)
		return;
	if (d->vq.tracking && votequorum_trackstop(d->vq.handle) != CS_OK)
		log_warn("Can't stop tracking votequorum changes");
	d->vq.tracking = false;
	if (d->vq.registered) {
		cs_error_t e = votequorum_qdevice_unregister(d->vq.handle, d->settings.votequorum_device_name);
		if (e != CS_OK)
			log_warn("Unable to unregister votequorum device. Error %s", cs_strerror(e));
		d->vq.registered = false;
	}
	votequorum_finalize(d->vq.handle);
	d->vq.up = false;
}
