/* The "lms" algorithm (doc/algorithms.md §5): last man standing by ring-id partitions, re-polled by a timer. */
#include "qnetd_algo.h"

#include <stdlib.h>

#include "qnetd_settings.h"


/* Like upstream, an interval the timer heap refuses leaves the client silently without a timer. */
static void lms_timer_start(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	uint32_t interval = client->heartbeat_interval / 4;
	if (interval < 1 || interval > QNETD_TIMER_MAX_MS)
		return;
	io->timer_start(io->ctx, client, interval);
}

/*
 * Nodes that list each other (in either direction) must have reported the same ring before anyone
 * decides. Membership lookups are binary searches over the stored sorted ids.
 */
static bool rings_match(const struct qnetd_client *c, const struct proto_ring_id *ring)
{
	const struct qnetd_cluster *cluster = c->cluster;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *y = cluster->clients[i];
		if (y == c)
			continue;
		bool related = qnetd_node_list_contains(&c->membership_list, y->node_id) ||
			       qnetd_node_list_contains(&y->membership_list, c->node_id);
		if (related && !proto_ring_id_equal(&y->ring_id, ring))
			return false;
	}
	return true;
}

static bool in_partition(const struct qnetd_client *y)
{
	return y->ring_id.seq != 0;
}

/* What steps 3, 6 and 7 of doc/algorithms.md §5.2 need to know about the partitions. */
struct lms_partitions {
	size_t count;                       /* distinct ring ids (sequence number not 0) */
	struct proto_ring_id top_score_ring; /* meaningful when top_score_unique */
	bool top_score_unique;              /* one partition has a higher score than every other */
	struct proto_ring_id top_size_ring;
	bool top_size_unique;               /* one partition has more clients than every other */
};

static int cmp_slot_ring(const void *a, const void *b)
{
	const struct proto_ring_id *x = &((const union qnetd_eval_slot *)a)->member.ring;
	const struct proto_ring_id *y = &((const union qnetd_eval_slot *)b)->member.ring;
	if (x->node_id != y->node_id)
		return x->node_id < y->node_id ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Keeps the highest key seen and whether any other partition shares it. */
static void keep_top(long key, const struct proto_ring_id *ring, bool first, long *top, struct proto_ring_id *top_ring,
		     bool *unique)
{
	if (first || key > *top) {
		*top = key;
		*top_ring = *ring;
		*unique = true;
	} else if (key == *top) {
		*unique = false;
	}
}

/*
 * Groups the clients by stored ring id: sorted in the cluster's evaluation slots, O(N log N) and
 * no allocation, where comparing every client with every other cost O(N^2) on each evaluation
 * and each 250 ms timer tick (doc/hardening.md §7.5). Only the top partition's ring is used, and
 * only when it is unique, so the order partitions are found in does not matter.
 */
static struct lms_partitions lms_partitions(const struct qnetd_cluster *cluster)
{
	union qnetd_eval_slot *slot = cluster->eval_slots;
	size_t n = 0;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *y = cluster->clients[i];
		if (!in_partition(y))
			continue;
		slot[n].member.ring = y->ring_id;
		slot[n].member.weight = 1 + (y->heuristics == PROTO_HEURISTICS_PASS) - (y->heuristics == PROTO_HEURISTICS_FAIL);
		n++;
	}
	qsort(slot, n, sizeof(*slot), cmp_slot_ring);

	struct lms_partitions p = {0};
	long top_score = 0, top_size = 0;
	for (size_t i = 0; i < n;) {
		const struct proto_ring_id *ring = &slot[i].member.ring;
		long size = 0, score = 0;
		size_t j = i;
		for (; j < n && proto_ring_id_equal(&slot[j].member.ring, ring); j++) {
			size++;
			score += slot[j].member.weight;
		}
		keep_top(score, ring, p.count == 0, &top_score, &p.top_score_ring, &p.top_score_unique);
		keep_top(size, ring, p.count == 0, &top_size, &p.top_size_ring, &p.top_size_unique);
		p.count++;
		i = j;
	}
	return p;
}

static uint8_t remember(struct qnetd_client *client, uint8_t vote)
{
	client->last_result = vote;
	return vote;
}

static uint8_t tie_breaker_vote(const struct qnetd_client *c, const struct proto_ring_id *ring)
{
	const struct qnetd_cluster *cluster = c->cluster;
	const struct proto_ring_id none = {0, 0};
	const struct proto_ring_id *tbring = &none;
	uint32_t tb;

	switch (c->tie_breaker.mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		/* Upstream starts from INT32_MAX, so node ids >= 2^31 can never be the lowest. */
		tb = 2147483647u;
		for (size_t i = 0; i < cluster->client_count; i++) {
			if (cluster->clients[i]->node_id < tb) {
				tb = cluster->clients[i]->node_id;
				tbring = &cluster->clients[i]->ring_id;
			}
		}
		break;
	case PROTO_TIE_BREAKER_HIGHEST:
		tb = 0;
		for (size_t i = 0; i < cluster->client_count; i++) {
			if (cluster->clients[i]->node_id > tb) {
				tb = cluster->clients[i]->node_id;
				tbring = &cluster->clients[i]->ring_id;
			}
		}
		break;
	case PROTO_TIE_BREAKER_NODE_ID:
		/* Upstream never looks up the tie-breaker node's ring: only that node itself wins. */
		tb = c->tie_breaker.node_id;
		if (c->node_id == tb)
			tbring = &c->ring_id;
		break;
	default:
		return PROTO_VOTE_NACK;
	}
	return (c->node_id == tb || proto_ring_id_equal(tbring, ring)) ? PROTO_VOTE_ACK : PROTO_VOTE_NACK;
}

static uint8_t lms_decide(const struct qnetd_algo_io *io, struct qnetd_client *c, const struct proto_ring_id *ring)
{
	const struct qnetd_cluster *cluster = c->cluster;

	io->timer_stop(io->ctx, c);

	if (!rings_match(c, ring)) {
		lms_timer_start(io, c);
		return remember(c, PROTO_VOTE_WAIT_FOR_REPLY);
	}
	struct lms_partitions parts = lms_partitions(cluster);
	if (parts.count == 0) {
		lms_timer_start(io, c);
		return remember(c, PROTO_VOTE_WAIT_FOR_REPLY);
	}
	if (parts.count == 1)
		return remember(c, PROTO_VOTE_ACK);

	/* Not remembered, so the next evaluation is fresh. */
	if (qnetd_algo_newcomer_must_wait(c, ring))
		return PROTO_VOTE_NACK;

	if (parts.top_score_unique)
		return remember(c, proto_ring_id_equal(&parts.top_score_ring, ring) ? PROTO_VOTE_ACK : PROTO_VOTE_NACK);
	/* Upstream compares sizes over all partitions, not only the ones tied on score. */
	if (parts.top_size_unique)
		return remember(c, proto_ring_id_equal(&parts.top_size_ring, ring) ? PROTO_VOTE_ACK : PROTO_VOTE_NACK);
	return remember(c, tie_breaker_vote(c, ring));
}

/*
 * The decision, unless a vote hold (doc/algorithms.md §1.5) keeps an ACK for a partition with these
 * members back: then WAIT_FOR_REPLY, and the timer decides again when the hold ends.
 */
static uint8_t lms_eval(const struct qnetd_algo_io *io, struct qnetd_client *c, const struct proto_ring_id *ring,
			const struct qnetd_node_list *members)
{
	return qnetd_algo_ack_unless_held(io, c, lms_decide(io, c, ring), members);
}

/*
 * Runs before the daemon stores the list: only the ring id is new, the
 * sender's membership and partition are still the previous ones. The quorum
 * list that follows re-evaluates with consistent data.
 */
static enum proto_reply_error lms_membership_node_list(const struct qnetd_algo_io *io,
						       struct qnetd_client *client,
						       const struct proto_ring_id *ring,
						       const struct qnetd_node_list *nodes, uint8_t heuristics,
						       uint8_t *vote)
{
	(void)heuristics;
	/* A hold looks at the new members: the stored ones may still hold the departed node. */
	*vote = lms_eval(io, client, ring, nodes);
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error lms_quorum_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   uint8_t quorate, const struct qnetd_node_list *nodes,
						   uint8_t *vote)
{
	(void)quorate;
	(void)nodes;
	*vote = lms_eval(io, client, &client->ring_id, &client->membership_list);
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error lms_ask_for_vote(const struct qnetd_algo_io *io, struct qnetd_client *client,
					       uint8_t *vote)
{
	*vote = lms_eval(io, client, &client->ring_id, &client->membership_list);
	return PROTO_ERR_NO_ERROR;
}

/*
 * Others are not re-evaluated: each client's vote changes only on its own messages or timer. The
 * leaving node may still count its vote, which starts a hold (doc/algorithms.md §1.5).
 */
static void lms_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				  bool server_going_down)
{
	if (!server_going_down)
		qnetd_algo_hold_departing(io, client);
	io->timer_stop(io->ctx, client);
}

static enum proto_reply_error lms_timer(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	/* WAIT_FOR_REPLY has re-armed the timer inside lms_eval; a decision ends the polling. */
	qnetd_algo_push_decision(io, client, lms_eval(io, client, &client->ring_id, &client->membership_list));
	return PROTO_ERR_NO_ERROR;
}

const struct qnetd_algo qnetd_algo_lms = {
	.id = PROTO_ALGO_LMS,
	.init = qnetd_algo_init_undefined,
	/* No validation of the list and no evaluation. */
	.config_node_list = qnetd_algo_config_node_list_no_change,
	.membership_node_list = lms_membership_node_list,
	.quorum_node_list = lms_quorum_node_list,
	.ask_for_vote = lms_ask_for_vote,
	/* LMS pushes are fire-and-forget: nothing waits for their confirmation. */
	.vote_info_reply = qnetd_algo_vote_info_reply_nothing,
	/* Not evaluated, but the stored value the daemon keeps still weighs in later scores. */
	.heuristics_change = qnetd_algo_heuristics_change_no_change,
	.client_disconnect = lms_client_disconnect,
	.timer = lms_timer,
};
