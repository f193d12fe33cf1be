/* The "2nodelms" algorithm (doc/algorithms.md §4): last man standing for two-node clusters, votes in replies (and one push after a vote hold). */
#include "qnetd_algo.h"

static enum proto_reply_error tnl_config_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   const struct qnetd_node_list *nodes, bool initial,
						   uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)initial;
	/* Upstream answers any other size (entries, duplicates counted) with this code; the stock client then disconnects. */
	if (nodes->count != 2)
		return PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

static uint8_t remember(struct qnetd_client *client, uint8_t vote)
{
	client->last_result = vote;
	return vote;
}

/* The decision for a client reporting this ring, these members and these heuristics (remembered unless it must wait). */
static uint8_t tnl_decide(struct qnetd_client *client, const struct proto_ring_id *ring,
			  const struct qnetd_node_list *nodes, uint8_t heuristics)
{
	const struct qnetd_cluster *cluster = client->cluster;

	/* Deliberately not stored, so the next membership is judged afresh. */
	if (qnetd_algo_newcomer_must_wait(client, ring))
		return PROTO_VOTE_NACK;

	if (nodes->count == 2)
		return remember(client, PROTO_VOTE_ACK);

	uint32_t lo = UINT32_MAX, hi = 0;
	uint8_t other_heuristics = PROTO_HEURISTICS_UNDEFINED;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *y = cluster->clients[i];
		if (y->node_id < lo)
			lo = y->node_id;
		if (y->node_id > hi)
			hi = y->node_id;
		if (y != client)
			other_heuristics = y->heuristics;
	}

	if (cluster->client_count == 1)
		return remember(client, PROTO_VOTE_ACK);

	int cmp = proto_heuristics_cmp(heuristics, other_heuristics);
	bool win;
	if (cmp != 0) {
		win = cmp > 0;
	} else {
		switch (client->tie_breaker.mode) {
		case PROTO_TIE_BREAKER_LOWEST: win = client->node_id == lo; break;
		case PROTO_TIE_BREAKER_HIGHEST: win = client->node_id == hi; break;
		case PROTO_TIE_BREAKER_NODE_ID: win = client->node_id == client->tie_breaker.node_id; break;
		default: win = false; break;
		}
	}
	return remember(client, win ? PROTO_VOTE_ACK : PROTO_VOTE_NACK);
}

static enum proto_reply_error tnl_membership_node_list(const struct qnetd_algo_io *io,
						       struct qnetd_client *client,
						       const struct proto_ring_id *ring,
						       const struct qnetd_node_list *nodes, uint8_t heuristics,
						       uint8_t *vote)
{
	/*
	 * An ACK a vote hold keeps back becomes WAIT_FOR_REPLY; the timer then decides and pushes. A
	 * hold timer still armed from before finds last_result no longer WAIT_FOR_REPLY and does nothing.
	 */
	*vote = qnetd_algo_ack_unless_held(io, client, tnl_decide(client, ring, nodes, heuristics), nodes);
	return PROTO_ERR_NO_ERROR;
}

/*
 * A hold ended (or moved on): decide again on the stored values and push the answer, 2nodelms's
 * only push and only timer, which upstream's 2nodelms never needs (doc/algorithms.md §1.5).
 */
static enum proto_reply_error tnl_timer(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	if (client->last_result != PROTO_VOTE_WAIT_FOR_REPLY)
		return PROTO_ERR_NO_ERROR;
	uint8_t vote = tnl_decide(client, &client->ring_id, &client->membership_list, client->heuristics);
	qnetd_algo_push_decision(io, client, qnetd_algo_ack_unless_held(io, client, vote, &client->membership_list));
	return PROTO_ERR_NO_ERROR;
}

/* The leaving node may still count its vote, which starts a hold; the survivor's answer stays. */
static void tnl_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				  bool server_going_down)
{
	if (!server_going_down)
		qnetd_algo_hold_departing(io, client);
}

static enum proto_reply_error tnl_ask_for_vote(const struct qnetd_algo_io *io, struct qnetd_client *client,
					       uint8_t *vote)
{
	(void)io;
	*vote = client->last_result == PROTO_VOTE_UNDEFINED ? PROTO_VOTE_ASK_LATER : client->last_result;
	return PROTO_ERR_NO_ERROR;
}

const struct qnetd_algo qnetd_algo_2nodelms = {
	.id = PROTO_ALGO_2NODELMS,
	.init = qnetd_algo_init_undefined,
	.config_node_list = tnl_config_node_list,
	.membership_node_list = tnl_membership_node_list,
	.quorum_node_list = qnetd_algo_quorum_node_list_no_change,
	.ask_for_vote = tnl_ask_for_vote,
	/* Votes travel in replies, and in the push after a hold: nothing waits for its confirmation. */
	.vote_info_reply = qnetd_algo_vote_info_reply_nothing,
	/* Heuristics changes are not evaluated: the new value only counts at the next membership list. */
	.heuristics_change = qnetd_algo_heuristics_change_no_change,
	/* The survivor keeps its answer until its own next membership list: no re-evaluation here. */
	.client_disconnect = tnl_client_disconnect,
	.timer = tnl_timer,
};
