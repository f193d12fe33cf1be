/* The "test" decision algorithm (doc/algorithms.md §2): ACK for every membership, for development only. */
#include "qnetd_algo.h"

static enum proto_reply_error test_membership_node_list(const struct qnetd_algo_io *io,
							struct qnetd_client *client,
							const struct proto_ring_id *ring,
							const struct qnetd_node_list *nodes, uint8_t heuristics,
							uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)ring;
	(void)nodes;
	(void)heuristics;
	*vote = PROTO_VOTE_ACK;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error test_ask_for_vote(const struct qnetd_algo_io *io, struct qnetd_client *client,
						uint8_t *vote)
{
	(void)io;
	(void)client;
	*vote = PROTO_VOTE_ACK;
	return PROTO_ERR_NO_ERROR;
}

/* Everything but the membership list and the poll has the shared "no change, do nothing" answer. */
const struct qnetd_algo qnetd_algo_test = {
	.id = PROTO_ALGO_TEST,
	.init = qnetd_algo_init_nothing,
	.config_node_list = qnetd_algo_config_node_list_no_change,
	.membership_node_list = test_membership_node_list,
	.quorum_node_list = qnetd_algo_quorum_node_list_no_change,
	.ask_for_vote = test_ask_for_vote,
	.vote_info_reply = qnetd_algo_vote_info_reply_nothing,
	.heuristics_change = qnetd_algo_heuristics_change_no_change,
	.client_disconnect = qnetd_algo_client_disconnect_nothing,
	.timer = qnetd_algo_timer_nothing,
};
