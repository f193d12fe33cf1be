/* The server's model of clients and clusters, shared by the decision algorithms and the daemon; no I/O. */
#ifndef QD_QNETD_CLUSTER_H
#define QD_QNETD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qnetd_node_list.h"
#include "qnetd_sched.h"
#include "proto.h"

/* ffsplit: where a client stands in the vote hand-over (doc/algorithms.md §3.1, §3.6). */
enum ffsplit_client_state {
	FFSPLIT_CLIENT_WAITING_FOR_CHANGE = 0,
	FFSPLIT_CLIENT_SENDING_NACK,
	FFSPLIT_CLIENT_SENDING_ACK,
};

enum ffsplit_cluster_state {
	FFSPLIT_CLUSTER_WAITING_FOR_CHANGE = 0,
	FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP,
	FFSPLIT_CLUSTER_SENDING_NACKS,
	FFSPLIT_CLUSTER_SENDING_ACKS,
	/* Every NACK is confirmed, but a vote hold keeps the ACKs back (doc/algorithms.md §1.5). */
	FFSPLIT_CLUSTER_HOLDING_ACKS,
};

struct qnetd_cluster;

/*
 * A vote hold (doc/algorithms.md §1.5): a client that may have left its node's corosync counting
 * the device's vote has gone, and until `until_ms` no partition without that node gets an ACK.
 */
struct qnetd_vote_hold {
	uint32_t node_id;
	uint64_t until_ms;                  /* on the daemon's monotonic clock */
	bool reported;                      /* the daemon was told it holds something back */
};

/*
 * Working space an algorithm may use during one evaluation, one slot per client position, so
 * that deciding allocates nothing (doc/hardening.md §7.2): ffsplit's union-find parents, lms's
 * partition keys. Its contents mean nothing between evaluations.
 */
union qnetd_eval_slot {
	size_t parent;
	struct {
		struct proto_ring_id ring;
		int weight;                 /* 1 + PASS - FAIL */
	} member;
};

/*
 * One client that completed (or is completing) INIT, as the algorithms see
 * it. Owned by the daemon's connection object (`owner`); a cluster only
 * points at its clients.
 */
struct qnetd_client {
	uint32_t node_id;
	uint16_t algorithm;                 /* enum proto_algorithm */
	struct proto_tie_breaker tie_breaker;
	uint32_t heartbeat_interval;        /* ms */
	bool kap_tie_breaker;               /* keep active partition tie-breaker */

	struct qnetd_node_list config_list;
	bool config_version_set;
	uint64_t config_version;
	struct qnetd_node_list membership_list;
	struct proto_ring_id ring_id;       /* from INIT, then from each membership list */
	struct qnetd_node_list quorum_list;
	uint8_t quorate;                    /* from the last quorum list */

	uint8_t membership_heuristics;      /* enum proto_heuristics */
	uint8_t regular_heuristics;
	uint8_t heuristics;                 /* the latest of the two above */

	uint8_t last_sent_vote;             /* enum proto_vote, UNDEFINED until one is sent */
	uint8_t last_sent_ack_nack_vote;
	/*
	 * This node's corosync may be counting the device's vote: an ACK was sent and no NACK has
	 * been taken since (doc/algorithms.md §1.5). A NACK pushed in a VOTE_INFO counts as taken
	 * when its VOTE_INFO_REPLY comes back; one in a reply, when it is queued.
	 */
	bool vote_may_count;
	uint32_t unconfirmed_nack_seq;      /* seq of a pushed NACK not yet confirmed, 0 for none */

	uint32_t vote_info_seq;             /* seq of the last VOTE_INFO pushed to this client */
	enum ffsplit_client_state ffsplit_state;
	/*
	 * The VOTE_INFO of its current ffsplit_state has been queued: until then a VOTE_INFO_REPLY
	 * answers an earlier push and confirms nothing (ACKs wait for NACKs, or for a vote hold).
	 */
	bool ffsplit_vote_sent;
	uint8_t last_result;                /* 2nodelms and lms: their last answer */

	struct qnetd_cluster *cluster;      /* NULL until added to a cluster */
	void *owner;                        /* the daemon's connection */
};

/* Clients of one cluster, kept sorted by node id ascending (iteration order of every algorithm). */
struct qnetd_cluster {
	uint8_t *name;                      /* owned; byte-exact, may contain any byte */
	size_t name_len;
	struct qnetd_client **clients;      /* owned array of borrowed pointers */
	size_t client_count;
	size_t client_capacity;
	union qnetd_eval_slot *eval_slots;  /* owned, client_capacity slots */

	enum ffsplit_cluster_state ffsplit_state;
	struct qnetd_node_list quorate_partition; /* ffsplit: the last selected winner */
	struct qnetd_sched_group sched_group; /* its clients' deferred requests take turns with other clusters' */
	struct qnetd_vote_hold *holds;      /* owned; at most one per node id, expired ones pruned lazily */
	size_t hold_count;
	size_t hold_capacity;
};

/* Creates an empty cluster with a copy of the name; NULL on no memory. */
struct qnetd_cluster *qnetd_cluster_create(const uint8_t *name, size_t name_len);
/* Frees the cluster and its state (not the clients). */
void qnetd_cluster_destroy(struct qnetd_cluster *cluster);
/* Inserts keeping node-id order and sets client->cluster; 0 or -1 (no memory). */
int qnetd_cluster_add_client(struct qnetd_cluster *cluster, struct qnetd_client *client);
void qnetd_cluster_remove_client(struct qnetd_cluster *cluster, struct qnetd_client *client);
/* The client with this node id, or NULL (binary search over the sorted array). */
struct qnetd_client *qnetd_cluster_find_client(const struct qnetd_cluster *cluster, uint32_t node_id);
/* Its position in cluster->clients, or -1 (ffsplit keys per-client sets by it). */
ptrdiff_t qnetd_cluster_client_index(const struct qnetd_cluster *cluster, uint32_t node_id);

/*
 * What evaluating the cluster costs, roughly: its clients plus the entries of their configuration
 * and membership lists (the units of QNETD_PASS_WORK_BUDGET, doc/hardening.md §7.4).
 */
uint64_t qnetd_cluster_work(const struct qnetd_cluster *cluster);

/*
 * Starts (or extends) the hold on node_id's vote until until_ms. 0, or -1 on no memory, when the
 * caller has no safe choice but to act as before (doc/algorithms.md §1.5).
 */
int qnetd_cluster_hold_add(struct qnetd_cluster *cluster, uint32_t node_id, uint64_t until_ms);
/* Ends the hold on node_id's vote early (its node confirmed a NACK); whether there was one. */
bool qnetd_cluster_hold_end(struct qnetd_cluster *cluster, uint32_t node_id);
/*
 * Drops the holds that ended by now_ms, then returns the one that keeps an ACK to `partition`
 * waiting longest: the latest-ending hold whose node is not in it; NULL when nothing holds it.
 */
struct qnetd_vote_hold *qnetd_cluster_hold_blocking(struct qnetd_cluster *cluster, uint64_t now_ms,
						    const struct qnetd_node_list *partition);

/*
 * What the daemon records for every vote it sends (doc/algorithms.md §1.3): the last votes and
 * whether the node may now count it. pushed_seq is the VOTE_INFO's seq, 0 for a reply.
 */
void qnetd_client_note_vote_sent(struct qnetd_client *client, uint8_t vote, uint32_t pushed_seq);
/* A VOTE_INFO_REPLY with this seq came back: a pushed NACK it confirms is taken. */
void qnetd_client_note_vote_confirmed(struct qnetd_client *client, uint32_t seq);

/* Initialises a client record with upstream's defaults (nothing set, heuristics undefined). */
void qnetd_client_init(struct qnetd_client *client, void *owner);
/* Frees the node lists the record owns. */
void qnetd_client_destroy(struct qnetd_client *client);

#endif
