/* The "lms" algorithm (doc/algorithms.md §5): last man standing by ring-id partitions, re-polled by a timer. */
#include "qnetd_algo.h"

/* The daemon's timer heap accepts 1..18 000 000 ms (doc/algorithms.md §5.3). */
#define LMS_TIMER_MAX_MS 18000000u

/* Like upstream, an interval the timer heap refuses leaves the client silently without a timer. */
static void lms_timer_start(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	uint32_t interval = client->heartbeat_interval / 4;
	if (interval < 1 || interval > LMS_TIMER_MAX_MS)
		return;
	io->timer_start(io->ctx, client, interval);
}

/* Nodes that list each other (in either direction) must have reported the same ring before anyone decides. */
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

/* True when clients[i] is the first (lowest node id) client of its ring: partitions are named by it. */
static bool partition_head(const struct qnetd_cluster *cluster, size_t i)
{
	const struct qnetd_client *y = cluster->clients[i];
	if (!in_partition(y))
		return false;
	for (size_t j = 0; j < i; j++) {
		if (proto_ring_id_equal(&cluster->clients[j]->ring_id, &y->ring_id))
			return false;
	}
	return true;
}

struct lms_partition {
	const struct proto_ring_id *ring;
	size_t count;
	long score;
};

static struct lms_partition partition_at(const struct qnetd_cluster *cluster, size_t head)
{
	struct lms_partition p = {.ring = &cluster->clients[head]->ring_id, .count = 0, .score = 0};
	for (size_t j = head; j < cluster->client_count; j++) {
		const struct qnetd_client *y = cluster->clients[j];
		if (!proto_ring_id_equal(&y->ring_id, p.ring))
			continue;
		p.count++;
		p.score += 1;
		if (y->heuristics == PROTO_HEURISTICS_PASS)
			p.score += 1;
		else if (y->heuristics == PROTO_HEURISTICS_FAIL)
			p.score -= 1;
	}
	return p;
}

enum lms_key { LMS_BY_SCORE, LMS_BY_COUNT };

static long partition_key(const struct lms_partition *p, enum lms_key key)
{
	return key == LMS_BY_SCORE ? p->score : (long)p->count;
}

/*
 * The first partition (in creation order) with the maximal key; *unique says
 * whether no other partition shares that maximum. O(N^2) without allocation.
 */
static struct lms_partition best_partition(const struct qnetd_cluster *cluster, enum lms_key key, bool *unique)
{
	struct lms_partition best = {0};
	bool have = false;
	*unique = false;
	for (size_t i = 0; i < cluster->client_count; i++) {
		if (!partition_head(cluster, i))
			continue;
		struct lms_partition p = partition_at(cluster, i);
		if (!have || partition_key(&p, key) > partition_key(&best, key)) {
			best = p;
			have = true;
			*unique = true;
		} else if (partition_key(&p, key) == partition_key(&best, key)) {
			*unique = false;
		}
	}
	return best;
}

static size_t partition_count(const struct qnetd_cluster *cluster)
{
	size_t n = 0;
	for (size_t i = 0; i < cluster->client_count; i++) {
		if (partition_head(cluster, i))
			n++;
	}
	return n;
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

static uint8_t lms_eval(const struct qnetd_algo_io *io, struct qnetd_client *c, const struct proto_ring_id *ring)
{
	const struct qnetd_cluster *cluster = c->cluster;

	io->timer_stop(io->ctx, c);

	if (!rings_match(c, ring) || partition_count(cluster) == 0) {
		lms_timer_start(io, c);
		return remember(c, PROTO_VOTE_WAIT_FOR_REPLY);
	}
	if (partition_count(cluster) == 1)
		return remember(c, PROTO_VOTE_ACK);

	/* Not remembered, so the next evaluation is fresh. */
	if (qnetd_algo_newcomer_must_wait(c, ring))
		return PROTO_VOTE_NACK;

	bool unique;
	struct lms_partition best = best_partition(cluster, LMS_BY_SCORE, &unique);
	if (unique)
		return remember(c, proto_ring_id_equal(best.ring, ring) ? PROTO_VOTE_ACK : PROTO_VOTE_NACK);
	/* Upstream compares sizes over all partitions, not only the ones tied on score. */
	struct lms_partition big = best_partition(cluster, LMS_BY_COUNT, &unique);
	if (unique)
		return remember(c, proto_ring_id_equal(big.ring, ring) ? PROTO_VOTE_ACK : PROTO_VOTE_NACK);
	return remember(c, tie_breaker_vote(c, ring));
}

/*
 * Runs before the daemon stores the list: only the ring id is new, the
 * sender's membership and partition are still the previous ones. The quorum
 * list that follows re-evaluates with consistent data.
 */
static enum proto_reply_error lms_membership_node_list(const struct qnetd_algo_io *io,
						       struct qnetd_client *client,
						       const struct proto_ring_id *ring,
						       const struct msg_node_info *nodes, size_t count,
						       uint8_t heuristics, uint8_t *vote)
{
	(void)nodes;
	(void)count;
	(void)heuristics;
	*vote = lms_eval(io, client, ring);
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error lms_quorum_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   uint8_t quorate, const struct msg_node_info *nodes,
						   size_t count, uint8_t *vote)
{
	(void)quorate;
	(void)nodes;
	(void)count;
	*vote = lms_eval(io, client, &client->ring_id);
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error lms_ask_for_vote(const struct qnetd_algo_io *io, struct qnetd_client *client,
					       uint8_t *vote)
{
	*vote = lms_eval(io, client, &client->ring_id);
	return PROTO_ERR_NO_ERROR;
}

/* Others are not re-evaluated: each client's vote changes only on its own messages or timer. */
static void lms_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				  bool server_going_down)
{
	(void)server_going_down;
	io->timer_stop(io->ctx, client);
}

static enum proto_reply_error lms_timer(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	uint8_t vote = lms_eval(io, client, &client->ring_id);
	/* WAIT_FOR_REPLY has re-armed the timer inside lms_eval; a decision ends the polling. */
	if (vote == PROTO_VOTE_ACK || vote == PROTO_VOTE_NACK) {
		client->vote_info_seq++;
		/* A failed push is the daemon's to handle (it disconnects the client). */
		(void)io->send_vote_info(io->ctx, client, client->vote_info_seq, vote, &client->ring_id);
	}
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
