/* Model net's client state machine (doc/qdevice-state-machine.md) as plain functions: handshake, votes, echoes, local events, disconnect rules. */
#ifndef QD_QDEVICE_NET_H
#define QD_QDEVICE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "qdevice_config.h"
#include "qdevice_heuristics_cmd.h"
#include "msg.h"
#include "proto.h"

/* What the local socket's State line summarises: a disconnect scheduled wins over the state. */
enum qdevice_net_link {
	QDEVICE_NET_LINK_DISCONNECTED = 0,      /* a disconnect is scheduled */
	QDEVICE_NET_LINK_CONNECTED,
	QDEVICE_NET_LINK_CONNECTING,
	QDEVICE_NET_LINK_CONNECT_FAILED,
};

enum qdevice_net_state {
	QDEVICE_NET_WAITING_CONNECT = 0,
	QDEVICE_NET_WAITING_PREINIT_REPLY,
	QDEVICE_NET_WAITING_STARTTLS_BEING_SENT,
	QDEVICE_NET_WAITING_INIT_REPLY,
	QDEVICE_NET_WAITING_CONNECT_HEURISTICS, /* INIT_REPLY accepted, the connect heuristics run */
	QDEVICE_NET_CONNECTED,          /* upstream's WAITING_VOTEQUORUM_CMAP_EVENTS */
};

/* Why a connection ended; the sets of doc/qdevice-state-machine.md §10.2 are decided by the functions below. */
enum qdevice_net_reason {
	QDEVICE_NET_REASON_NONE = 0,
	QDEVICE_NET_REASON_MSG_DECODE_ERROR,
	QDEVICE_NET_REASON_SERVER_CLOSED_CONNECTION,
	QDEVICE_NET_REASON_CANT_READ_MESSAGE,
	QDEVICE_NET_REASON_CANT_SEND_MESSAGE,
	QDEVICE_NET_REASON_CANT_CONNECT_TO_THE_SERVER,
	QDEVICE_NET_REASON_ALGO_ECHO_REPLY_NOT_RECEIVED_ERR,
	QDEVICE_NET_REASON_SERVER_SENT_DUPLICATE_NODE_ID_ERROR,
	QDEVICE_NET_REASON_SERVER_SENT_TIE_BREAKER_DIFFERS_ERROR,
	QDEVICE_NET_REASON_SERVER_SENT_ALGORITHM_DIFFERS_ERROR,
	QDEVICE_NET_REASON_COROSYNC_CONNECTION_CLOSED,
	QDEVICE_NET_REASON_LOCAL_SOCKET_CLOSED,
	QDEVICE_NET_REASON_CANT_SCHEDULE_VOTING_TIMER,
	QDEVICE_NET_REASON_CANT_REGISTER_VOTEQUORUM_CALLBACK,
	QDEVICE_NET_REASON_CANT_REGISTER_CMAP_CALLBACK,
	QDEVICE_NET_REASON_HEURISTICS_WORKER_CLOSED,
	QDEVICE_NET_REASON_UNEXPECTED_MSG,
	QDEVICE_NET_REASON_UNSUPPORTED_MSG,
	QDEVICE_NET_REASON_INCOMPATIBLE_TLS,
	QDEVICE_NET_REASON_INCOMPATIBLE_MSG_SIZE,
	QDEVICE_NET_REASON_REQUIRED_OPTION_MISSING,
	QDEVICE_NET_REASON_CANT_ALLOCATE_MSG_BUFFER,
	QDEVICE_NET_REASON_CANT_SCHEDULE_HB_TIMER,
	QDEVICE_NET_REASON_CANT_SCHEDULE_HEURISTICS_TIMER,
	QDEVICE_NET_REASON_CANT_START_HEURISTICS,
	QDEVICE_NET_REASON_CANT_START_TLS,
	QDEVICE_NET_REASON_SERVER_SENT_ERROR,
	QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_ALGORITHM,
	QDEVICE_NET_REASON_SERVER_DOESNT_SUPPORT_REQUIRED_OPT,
	QDEVICE_NET_REASON_ALGO_ECHO_REPLY_RECEIVED_ERR,
	QDEVICE_NET_REASON_ALGO_VOTES_CHECK_ERR,
	QDEVICE_NET_REASON_CONFIG_ERROR,        /* ours: an invalid value in a reloaded configuration */
};
#define QDEVICE_NET_REASON_COUNT ((size_t)QDEVICE_NET_REASON_CONFIG_ERROR + 1)

/* One-shot timers the state machine asks its shell to run; each expiry comes back through qdevice_net_timer_expired. */
enum qdevice_net_timer {
	QDEVICE_NET_TIMER_CONNECT = 0,
	QDEVICE_NET_TIMER_ECHO,
	QDEVICE_NET_TIMER_CAST_VOTE,
	QDEVICE_NET_TIMER_REGULAR_HEURISTICS,
	QDEVICE_NET_TIMER_NACK_REPLY,           /* the longest a VOTE_INFO(NACK) answer waits for corosync */
	QDEVICE_NET_TIMER_COUNT,
};

/* Which waiter a heuristics run serves (the waiters of doc/qdevice-state-machine.md §9.3). */
enum qdevice_net_heuristics_kind {
	QDEVICE_NET_HEURISTICS_MEMBERSHIP = 0,
	QDEVICE_NET_HEURISTICS_REGULAR,
	QDEVICE_NET_HEURISTICS_CONNECT,
};

/* What the state machine needs from the outside world; every call is synchronous. */
struct qdevice_net_io {
	void *ctx;
	/* Encodes and queues one message; -1 when it does not fit the limits or the queue is full. */
	int (*send)(void *ctx, const struct msg *m);
	void (*timer_start)(void *ctx, enum qdevice_net_timer t, uint32_t interval_ms);
	void (*timer_stop)(void *ctx, enum qdevice_net_timer t);
	bool (*timer_armed)(void *ctx, enum qdevice_net_timer t);
	/* votequorum_qdevice_poll: 0 ok, 1 "old ring id" (not an error), -1 failure. */
	int (*poll)(void *ctx, bool cast_vote, const struct proto_ring_id *ring_id);
	/* Starts a heuristics run for kind: 0 started, 1 a run is already pending (regular timer re-arms), -1 failure. */
	int (*heuristics_start)(void *ctx, enum qdevice_net_heuristics_kind kind, uint32_t timeout_ms);
	/* ffsplit's votes rule (doc/qdevice-state-machine.md §12) against cmap and votequorum: 0 ok,
	 * -1 broken (already logged). */
	int (*check_votes)(void *ctx);
	time_t (*wall_now)(void *ctx);
	/* A monotonic clock in milliseconds, for echo round trips; may be NULL (no round trips then). */
	uint64_t (*mono_ms)(void *ctx);
	/*
	 * Whether corosync on this node can no longer count the device's vote towards a quorum it
	 * reports (doc/qdevice-state-machine.md §7.4): 1 yes, 0 not yet, -1 unknown (logged by the
	 * shell; treated as not yet). May be NULL: a NACK is then answered at once, as upstream does.
	 */
	int (*vote_withdrawn)(void *ctx);
};

/* The model's fixed inputs, taken from the configuration at start. */
struct qdevice_net_params {
	const struct qdevice_config *cfg;       /* borrowed; node_list and heuristics may be swapped at run time */
	uint32_t initial_msg_receive_size;
	uint32_t initial_msg_send_size;
	uint32_t min_msg_send_size;
	uint32_t max_msg_receive_size;
	uint32_t expected_votes;                /* votequorum's, read when the device registered */
};

struct qdevice_net_quorum_node {
	uint32_t node_id;
	uint8_t state;          /* enum proto_node_state; entries with node id 0 are kept but never sent */
};

#define QDEVICE_NET_MAX_NODES 1024

/*
 * How connections went since the daemon started (doc/status-json.md §3, metrics). An attempt ends
 * either connected (connects) or in a failure with a reason; a connection that was established
 * ends in a disconnect with a reason.
 */
struct qdevice_net_counters {
	uint64_t connect_attempts;
	uint64_t connects;
	uint64_t connect_failures[QDEVICE_NET_REASON_COUNT];
	uint64_t disconnects[QDEVICE_NET_REASON_COUNT];
	uint64_t nack_replies_waited;           /* answers that had to wait for corosync */
	uint64_t nack_replies_unapplied;        /* answers sent at the bound, corosync still counting */
};

struct qdevice_net {
	struct qdevice_net_params p;
	struct qdevice_net_io io;

	enum qdevice_net_state state;
	uint32_t seq;                           /* last_msg_seq_num: starts at 1, never reset */
	bool tls_active;
	bool client_cert_sent;
	bool connect_attempt_in_flight;         /* shell: resolving or connecting */
	bool connect_failed;                    /* no address left; waiting for the connect timer */
	bool server_supports_heuristics;
	bool server_supports_kap;
	uint32_t max_send_size;                 /* limits: initial values, then the server's */
	uint32_t max_receive_size;
	uint32_t echo_expected;
	uint32_t echo_received;
	time_t connected_since;                 /* 0 = unknown */
	time_t echo_reply_time;                 /* 0 = none received */
	uint64_t echo_sent_ms;                  /* io.mono_ms when the echo request echo_expected went out */
	uint64_t echo_rtt_ms;                   /* the latest round trip, with echo_rtt_set */
	bool echo_rtt_set;

	/* A disconnect is scheduled: the shell ends the connection and calls qdevice_net_disconnected. */
	enum qdevice_net_reason disconnect_reason;
	bool disconnect_scheduled;

	/* Cast-vote timer (doc/qdevice-state-machine.md §7.1). */
	uint8_t vote;                           /* ACK, NACK, ASK_LATER or WAIT_FOR_REPLY */
	bool vote_paused;
	time_t last_poll_time;                  /* 0 = never */
	bool last_poll_cast;

	/* A VOTE_INFO(NACK) whose answer waits until corosync has applied the NACK (§7.4). */
	bool nack_reply_pending;
	uint32_t nack_reply_seq;
	uint64_t nack_reply_since_ms;           /* io.mono_ms when it began to wait; 0 without a clock */

	/* What votequorum told us (doc/qdevice-state-machine.md §8). */
	bool sync_in_progress;
	struct proto_ring_id poll_ring_id;      /* ring id of every poll */
	struct proto_ring_id membership_ring_id;
	uint32_t members[QDEVICE_NET_MAX_NODES];
	size_t member_count;
	bool quorate;
	struct qdevice_net_quorum_node quorum_nodes[QDEVICE_NET_MAX_NODES];
	size_t quorum_node_count;
	uint32_t expected_votes;
	struct proto_ring_id last_sent_ring_id;

	/* Heuristics results (enum qdevice_heuristics_result). */
	bool initial_heuristics_done;
	enum qdevice_heuristics_result heur_latest;
	enum qdevice_heuristics_result heur_regular;
	enum qdevice_heuristics_result heur_membership;
	enum qdevice_heuristics_result heur_connect;

	struct qdevice_net_counters counters;
};

void qdevice_net_init(struct qdevice_net *n, const struct qdevice_net_params *p, const struct qdevice_net_io *io);

/* ---- Connection life cycle (called by the shell). ---- */

/* A new connection attempt begins: arms the connect timer (doc/qdevice-state-machine.md §6). */
void qdevice_net_connect_begin(struct qdevice_net *n);
/* TCP connect succeeded: sends PREINIT. */
void qdevice_net_tcp_connected(struct qdevice_net *n);
/* Every address failed: "Can't connect to qnetd host." and wait for the connect timer. */
void qdevice_net_connect_failed(struct qdevice_net *n);
/* The STARTTLS message has been completely written and the socket now speaks TLS: sends INIT. */
void qdevice_net_starttls_done(struct qdevice_net *n, bool client_cert_sent);
/* The TLS handshake sent our client certificate (the server asked for it). */
void qdevice_net_client_cert_sent(struct qdevice_net *n);

/* What the transport may ask of the state machine. */
static inline bool qdevice_net_closing(const struct qdevice_net *n)
{
	return n->disconnect_scheduled;
}
/* STARTTLS is queued: once it is on the wire, the socket switches to TLS. */
static inline bool qdevice_net_starttls_pending(const struct qdevice_net *n)
{
	return n->state == QDEVICE_NET_WAITING_STARTTLS_BEING_SENT;
}
static inline enum qdevice_net_reason qdevice_net_disconnect_reason(const struct qdevice_net *n)
{
	return n->disconnect_reason;
}
/* The first membership heuristics result has come (the end of the start-up wait). */
static inline bool qdevice_net_initial_heuristics_done(const struct qdevice_net *n)
{
	return n->initial_heuristics_done;
}
/* votequorum reported a node list and no quorum notification yet: a membership sync runs. */
static inline bool qdevice_net_syncing(const struct qdevice_net *n)
{
	return n->sync_in_progress;
}
static inline uint32_t qdevice_net_max_send_size(const struct qdevice_net *n)
{
	return n->max_send_size;
}
static inline uint32_t qdevice_net_max_receive_size(const struct qdevice_net *n)
{
	return n->max_receive_size;
}
/* A whole message arrived and decoded. */
void qdevice_net_msg_received(struct qdevice_net *n, const struct msg *m);
/* Schedules a disconnect (the first reason wins, as upstream keeps the first). */
void qdevice_net_schedule_disconnect(struct qdevice_net *n, enum qdevice_net_reason reason);
void qdevice_net_timer_expired(struct qdevice_net *n, enum qdevice_net_timer t);

/*
 * The connection is over (the shell closed it) for reason (a shell reason such as
 * COROSYNC_CONNECTION_CLOSED overrides the model's). Runs doc/qdevice-state-machine.md §10.1
 * steps 1–8 and returns whether to reconnect; *delayed says whether the reconnect waits the
 * random delay (the connection had progressed beyond WAITING_CONNECT).
 */
bool qdevice_net_disconnected(struct qdevice_net *n, enum qdevice_net_reason reason, bool *delayed);

/* ---- Local events (doc/qdevice-state-machine.md §8). ---- */

void qdevice_net_votequorum_node_list(struct qdevice_net *n, const struct proto_ring_id *ring_id,
				      const uint32_t *ids, size_t count);
void qdevice_net_votequorum_quorum(struct qdevice_net *n, bool quorate, const struct qdevice_net_quorum_node *nodes,
				   size_t count);
void qdevice_net_votequorum_expected_votes(struct qdevice_net *n, uint32_t expected_votes);
/* The config node list changed: cfg->node_list already holds the new list. */
void qdevice_net_config_node_list_changed(struct qdevice_net *n);
/* Heuristics keys were re-read: cfg->heuristics holds the new values. */
void qdevice_net_heuristics_config_changed(struct qdevice_net *n);
void qdevice_net_heuristics_result(struct qdevice_net *n, enum qdevice_net_heuristics_kind kind,
				   enum qdevice_heuristics_result result);

/* ---- Classification and text. ---- */

bool qdevice_net_reason_reconnects(enum qdevice_net_reason r);
/* A stable snake_case identifier of the reason, for JSON and metric labels ("server_closed_connection"). */
const char *qdevice_net_reason_id(enum qdevice_net_reason r);
bool qdevice_net_reason_forces_exit(enum qdevice_net_reason r);
const char *qdevice_net_reason_str(enum qdevice_net_reason r);
const char *qdevice_net_state_str(enum qdevice_net_state s);

/* The State line of the status: Disconnected, Connected, Connecting or Connect failed. */
enum qdevice_net_link qdevice_net_link(const struct qdevice_net *n);

#endif
