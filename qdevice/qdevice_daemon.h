/* corosync-qdevice's process-wide state, shared by qdevice_main.c and its adapters (model net, votequorum, cmap, heuristics, local socket). */
#ifndef QD_QDEVICE_DAEMON_H
#define QD_QDEVICE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <corosync/cmap.h>
#include <corosync/votequorum.h>

#include "qdevice_cmap_mirror.h"
#include "qdevice_config.h"
#include "qdevice_heuristics.h"
#include "qdevice_heuristics_worker.h"
#include "qdevice_ipc.h"
#include "loop.h"
#include "qdevice_net.h"
#include "qdevice_net_transport.h"
#include "qdevice_settings.h"

#define QDEVICE_DAEMON_TRACKS 6

struct qdevice_daemon;

struct qdevice_daemon_timer {
	struct loop_timer timer;
	struct qdevice_daemon *d;
	enum qdevice_net_timer which;
};

/* The cmap connection (qdevice_daemon_cmap.c). */
struct qdevice_daemon_cmap {
	cmap_handle_t handle;
	bool up;
	int fd;
	bool watched;                   /* left out of the loop while a corosync sync runs */
	bool closed;                    /* the connection was lost: the loop ends */
	cmap_track_handle_t tracks[QDEVICE_DAEMON_TRACKS];
	struct qdevice_cmap_mirror mirror;      /* the keys qdevice reads, kept current from tracks */
	bool copied;
	struct qdevice_track_state track;
	bool debug;                     /* logging.debug / logging.logger_subsys.QDEVICE.debug */
};

/* The votequorum connection and the device registered there (qdevice_daemon_votequorum.c). */
struct qdevice_daemon_votequorum {
	votequorum_handle_t handle;
	bool up;
	bool registered;
	bool tracking;
	int fd;
	bool closed;                    /* the connection was lost: the loop ends */
	uint32_t expected_votes;        /* at registration; model net takes it at its init */
	bool got_node_list;
	bool device_votes_set;          /* votequorum's qdevice_votes, at registration and after each */
	uint32_t device_votes;          /* expected votes notification (for the JSON status) */
};

struct qdevice_daemon {
	struct qdevice_settings settings;
	int64_t started_unix_ms;        /* for the JSON status */
	struct loop *loop;
	int lock_fd;
	bool log_up;

	struct qdevice_daemon_cmap cmap;
	struct qdevice_daemon_votequorum vq;

	struct qdevice_config_env env;
	struct qdevice_config cfg;
	bool cfg_loaded;
	bool model_up;                  /* model net and its transport initialised */
	bool nss_up;

	struct qdevice_net net;
	struct qdevice_net_transport transport;
	struct qdevice_daemon_timer timers[QDEVICE_NET_TIMER_COUNT];
	struct loop_timer reconnect_timer;
	struct loop_timer startup_timer;
	bool connecting_allowed;        /* after READY: disconnects are handled (before, nothing is connected) */
	bool waiting_initial_heuristics;
	bool startup_failed;

	struct qdevice_heuristics_worker worker;
	bool worker_up;
	struct qdevice_heuristics *heuristics;     /* NULL until attached to the loop */

	struct qdevice_ipc ipc;
	bool ipc_up;
	/* The STATUS= line for systemd, refreshed from the loop when it changes. */
	struct loop_timer status_timer;
	char status_line[200];

	/* Why the loop ended (doc/qdevice-state-machine.md §11): checked in upstream's priority by qdevice_main.c. */
	bool heuristics_closed;
	bool ipc_closed;
	bool config_error;              /* an invalid heuristics value from a reload */
	bool model_exit;                /* model net decided not to reconnect */
	enum qdevice_net_reason model_exit_reason;
};

/*
 * model net adapter (qdevice_daemon_net.c): the state machine's I/O table, timers and transport, the
 * flush before each wait, the reconnect policy.
 */
/* Timers and the before-wait hook, once the loop exists. */
void qdevice_daemon_net_attach(struct qdevice_daemon *d);
/* Model net, its transport and NSS (needs the configuration). */
int qdevice_daemon_net_init(struct qdevice_daemon *d);
/* Starts a connection attempt to qnetd. */
void qdevice_daemon_net_connect(struct qdevice_daemon *d);

/* -d wins; else cmap's logging.debug / logging.logger_subsys.QDEVICE.debug (1) or off (0). */
int qdevice_daemon_debug_level(const struct qdevice_daemon *d);
/* A corosync library connection is gone when dispatch fails or the fd reports an error without data. */
bool qdevice_daemon_corosync_fd_lost(uint32_t events, cs_error_t e);

/*
 * votequorum adapter (qdevice_daemon_votequorum.c). Everything the notifications reach asks votequorum
 * only (doc/corosync-calls.md).
 */
/* Initialize, register the device, read expected votes, start tracking. */
int qdevice_daemon_votequorum_start(struct qdevice_daemon *d);
int qdevice_daemon_votequorum_watch(struct qdevice_daemon *d);
int qdevice_daemon_votequorum_master_wins(struct qdevice_daemon *d);
/* Dispatches until the first node list notification, a bounded number of 1 s rounds. */
int qdevice_daemon_votequorum_wait_node_list(struct qdevice_daemon *d);
/* Model net's io.poll and io.check_votes. */
int qdevice_daemon_votequorum_poll(void *ctx, bool cast_vote, const struct proto_ring_id *ring_id);
int qdevice_daemon_votequorum_check_node_votes(void *ctx);
int qdevice_daemon_votequorum_vote_withdrawn(void *ctx);
/* Stop tracking, unregister, finalize (errors are warnings). */
void qdevice_daemon_votequorum_stop(struct qdevice_daemon *d);

/*
 * cmap adapter (qdevice_daemon_cmap.c). Requests only before the device registers; afterwards the copy
 * is kept current from track notifications (doc/corosync-calls.md).
 */
/* cmap_initialize with retries; on failure upstream's stderr line. */
int qdevice_daemon_cmap_connect(struct qdevice_daemon *d);
/* Adds the tracks and copies cmap; sets the reload state and cmap_debug from the copy. */
int qdevice_daemon_cmap_copy(struct qdevice_daemon *d);
int qdevice_daemon_cmap_watch(struct qdevice_daemon *d);
/* Track notifications wait while votequorum synchronises a membership (node list to quorum notification). */
void qdevice_daemon_cmap_pause(struct qdevice_daemon *d);
void qdevice_daemon_cmap_resume(struct qdevice_daemon *d);
/* Closes the connection (corosync drops its tracks) and frees the copy. */
void qdevice_daemon_cmap_stop(struct qdevice_daemon *d);

/* Heuristics glue (qdevice_daemon_heuristics.c). */
int qdevice_daemon_heuristics_spawn(struct qdevice_daemon *d);
/* Attaches the worker to the loop and registers the three result notifiers of model net. */
int qdevice_daemon_heuristics_attach(struct qdevice_daemon *d);
int qdevice_daemon_heuristics_set_list(struct qdevice_daemon *d);
int qdevice_daemon_heuristics_start(void *ctx, enum qdevice_net_heuristics_kind kind, uint32_t timeout_ms);
void qdevice_daemon_heuristics_close(struct qdevice_daemon *d);

/* Local socket glue (qdevice_daemon_ipc.c). */
int qdevice_daemon_ipc_init(struct qdevice_daemon *d);
/*
 * SIGTERM/SIGINT: close the listener, which ends the loop as "local socket closed"
 * (doc/qdevice-state-machine.md §11).
 */
void qdevice_daemon_ipc_close_listener(struct qdevice_daemon *d);
void qdevice_daemon_ipc_destroy(struct qdevice_daemon *d);
/* The STATUS= line of "systemctl status" (qdevice_report_status_line), every few seconds while it changes. */
void qdevice_daemon_status_start(struct qdevice_daemon *d);
void qdevice_daemon_status_stop(struct qdevice_daemon *d);

#endif
