/* The "test" decision algorithm (qnetd.md §10.2): ACK for every membership, for development only. */
#include "algo.h"

static enum proto_reply_error test_init(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	(void)client;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error test_config_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						    const struct msg_node_info *nodes, size_t count,
						    bool initial, uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)nodes;
	(void)count;
	(void)initial;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error test_membership_node_list(const struct qnetd_algo_io *io,
							struct qnetd_client *client,
							const struct proto_ring_id *ring,
							const struct msg_node_info *nodes, size_t count,
							uint8_t heuristics, uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)ring;
	(void)nodes;
	(void)count;
	(void)heuristics;
	*vote = PROTO_VOTE_ACK;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error test_quorum_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						    uint8_t quorate, const struct msg_node_info *nodes,
						    size_t count, uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)quorate;
	(void)nodes;
	(void)count;
	*vote = PROTO_VOTE_NO_CHANGE;
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

static enum proto_reply_error test_vote_info_reply(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   uint32_t seq)
{
	(void)io;
	(void)client;
	(void)seq;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error test_heuristics_change(const struct qnetd_algo_io *io, struct qnetd_client *client,
						     uint8_t heuristics, uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)heuristics;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

static void test_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				   bool server_going_down)
{
	(void)io;
	(void)client;
	(void)server_going_down;
}

static enum proto_reply_error test_timer(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	(void)client;
	return PROTO_ERR_NO_ERROR;
}

const struct qnetd_algo qnetd_algo_test = {
	.id = PROTO_ALGO_TEST,
	.init = test_init,
	.config_node_list = test_config_node_list,
	.membership_node_list = test_membership_node_list,
	.quorum_node_list = test_quorum_node_list,
	.ask_for_vote = test_ask_for_vote,
	.vote_info_reply = test_vote_info_reply,
	.heuristics_change = test_heuristics_change,
	.client_disconnect = test_client_disconnect,
	.timer = test_timer,
};
