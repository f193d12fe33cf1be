/* Decision algorithm interface (doc/algorithms.md §1.4): hooks over the cluster model, effects by callbacks. */
#ifndef QD_QNETD_ALGO_H
#define QD_QNETD_ALGO_H

#include <stdbool.h>
#include <stdint.h>

#include "qnetd_cluster.h"
#include "msg.h"
#include "proto.h"

/*
 * What an algorithm may do besides answering: push a VOTE_INFO to a client
 * and run that client's algorithm timer. The daemon implements these over its
 * connections and timer heap; unit tests record them.
 */
struct qnetd_algo_io {
	void *ctx;
	/*
	 * Queues VOTE_INFO(seq, vote, ring) to `to`; the daemon records it as the
	 * client's last sent vote. Returns 0, or -1 when it could not be queued.
	 */
	int (*send_vote_info)(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote,
			      const struct proto_ring_id *ring);
	/* (Re)arms the client's one-shot algorithm timer; the daemon then calls the timer hook. */
	void (*timer_start)(void *ctx, struct qnetd_client *client, uint32_t interval_ms);
	void (*timer_stop)(void *ctx, struct qnetd_client *client);
	/*
	 * The daemon's monotonic clock in ms. Optional: without it no vote hold is ever started
	 * (doc/algorithms.md §1.5).
	 */
	uint64_t (*now_ms)(void *ctx);
	/*
	 * Optional: tells the daemon (for its log) that an ACK to `waiting`'s partition is held back
	 * for wait_ms because node held_node's vote may still be counted. Called when a hold starts
	 * to hold something back, not on every re-check.
	 */
	void (*vote_held)(void *ctx, const struct qnetd_client *waiting, uint32_t held_node, uint64_t wait_ms);
};

/*
 * Hooks return PROTO_ERR_NO_ERROR and set *vote (the vote for the reply), or
 * an error code the daemon sends as SERVER_ERROR. Hooks that receive a list
 * run before the daemon stores it in the client (doc/algorithms.md §1.2): the client
 * record still holds the previous values; the new ones are the arguments. A
 * list argument is the list as it will be stored (with its sorted ids).
 */
struct qnetd_algo {
	uint16_t id;
	/* The client has just been added to its cluster by a successful INIT. */
	enum proto_reply_error (*init)(const struct qnetd_algo_io *io, struct qnetd_client *client);
	enum proto_reply_error (*config_node_list)(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   const struct qnetd_node_list *nodes, bool initial, uint8_t *vote);
	enum proto_reply_error (*membership_node_list)(const struct qnetd_algo_io *io,
						       struct qnetd_client *client,
						       const struct proto_ring_id *ring,
						       const struct qnetd_node_list *nodes, uint8_t heuristics,
						       uint8_t *vote);
	enum proto_reply_error (*quorum_node_list)(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   uint8_t quorate, const struct qnetd_node_list *nodes,
						   uint8_t *vote);
	enum proto_reply_error (*ask_for_vote)(const struct qnetd_algo_io *io, struct qnetd_client *client,
					       uint8_t *vote);
	enum proto_reply_error (*vote_info_reply)(const struct qnetd_algo_io *io, struct qnetd_client *client,
						  uint32_t seq);
	enum proto_reply_error (*heuristics_change)(const struct qnetd_algo_io *io, struct qnetd_client *client,
						    uint8_t heuristics, uint8_t *vote);
	/* Called while the client is still in its cluster; server_going_down = no re-evaluation. */
	void (*client_disconnect)(const struct qnetd_algo_io *io, struct qnetd_client *client,
				  bool server_going_down);
	/* The client's algorithm timer fired; pushes and re-arming go through io. */
	enum proto_reply_error (*timer)(const struct qnetd_algo_io *io, struct qnetd_client *client);
};

/*
 * Trivial hooks the algorithm tables share: each answers with the fixed
 * result its name says and touches nothing (doc/algorithms.md §2-§5 give these
 * answers to several algorithms alike).
 */
enum proto_reply_error qnetd_algo_init_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client);
/* Starts the client with no answer yet (last_result UNDEFINED), as 2nodelms and lms do. */
enum proto_reply_error qnetd_algo_init_undefined(const struct qnetd_algo_io *io, struct qnetd_client *client);
enum proto_reply_error qnetd_algo_config_node_list_no_change(const struct qnetd_algo_io *io,
							     struct qnetd_client *client,
							     const struct qnetd_node_list *nodes, bool initial,
							     uint8_t *vote);
enum proto_reply_error qnetd_algo_quorum_node_list_no_change(const struct qnetd_algo_io *io,
							     struct qnetd_client *client, uint8_t quorate,
							     const struct qnetd_node_list *nodes, uint8_t *vote);
enum proto_reply_error qnetd_algo_vote_info_reply_nothing(const struct qnetd_algo_io *io,
							  struct qnetd_client *client, uint32_t seq);
enum proto_reply_error qnetd_algo_heuristics_change_no_change(const struct qnetd_algo_io *io,
							      struct qnetd_client *client, uint8_t heuristics,
							      uint8_t *vote);
void qnetd_algo_client_disconnect_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client,
					  bool server_going_down);
enum proto_reply_error qnetd_algo_timer_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client);

/*
 * The "newcomer" rule of 2nodelms and lms (doc/algorithms.md §1.4): a client
 * with no answer yet (last_result UNDEFINED) gets NACK, not remembered, while
 * any client of its cluster holds ACK on a stored ring other than `ring`.
 */
bool qnetd_algo_newcomer_must_wait(const struct qnetd_client *client, const struct proto_ring_id *ring);

/*
 * Vote holds (doc/algorithms.md §1.5). A client leaving while its node may count the device's
 * vote starts a hold of 1.5 of its heartbeat intervals (1.2 times the device's timeout: longer
 * than corosync keeps a vote the qdevice no longer renews). Does nothing without io->now_ms.
 */
#define QNETD_VOTE_HOLD_HEARTBEATS_NUM 3u
#define QNETD_VOTE_HOLD_HEARTBEATS_DEN 2u
void qnetd_algo_hold_departing(const struct qnetd_algo_io *io, struct qnetd_client *client);
/*
 * How long an ACK to a partition with these members must still wait (0: send it now). The first
 * time a hold keeps a partition waiting it is reported through io->vote_held, naming `waiting` (a
 * client of that partition).
 */
uint64_t qnetd_algo_hold_check(const struct qnetd_algo_io *io, const struct qnetd_client *waiting,
			       const struct qnetd_node_list *members);
/* The algorithm timer takes 1..QNETD_TIMER_MAX_MS ms: a wait as a timer interval (at least 1 ms). */
uint32_t qnetd_algo_hold_timer_ms(uint64_t wait_ms);
/*
 * 2nodelms and lms, whose answers travel in replies: an ACK for a partition with these members that
 * a hold keeps back becomes WAIT_FOR_REPLY (remembered in last_result; the stock client stops
 * casting the vote) and the client's timer is armed for the rest of the hold. Other votes pass.
 */
uint8_t qnetd_algo_ack_unless_held(const struct qnetd_algo_io *io, struct qnetd_client *client, uint8_t vote,
				   const struct qnetd_node_list *members);

/*
 * lms and 2nodelms timers: a decided vote (ACK or NACK) is pushed in a VOTE_INFO with the next seq
 * and the client's stored ring; anything else is not. A failed push is the daemon's to handle (it
 * disconnects the client).
 */
void qnetd_algo_push_decision(const struct qnetd_algo_io *io, struct qnetd_client *client, uint8_t vote);

/* The algorithm with this id, or NULL when the id is not one of 0..3. */
const struct qnetd_algo *qnetd_algo_get(uint16_t id);

extern const struct qnetd_algo qnetd_algo_test;
extern const struct qnetd_algo qnetd_algo_ffsplit;
extern const struct qnetd_algo qnetd_algo_2nodelms;
extern const struct qnetd_algo qnetd_algo_lms;

#endif
