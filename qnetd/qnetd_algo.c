/* Registry of the decision algorithms by protocol id, and the hooks and rules several algorithms share. */
#include "qnetd_algo.h"

#include <stddef.h>

#include "qnetd_settings.h"

const struct qnetd_algo *qnetd_algo_get(uint16_t id)
{
	switch (id) {
	case PROTO_ALGO_TEST: return &qnetd_algo_test;
	case PROTO_ALGO_FFSPLIT: return &qnetd_algo_ffsplit;
	case PROTO_ALGO_2NODELMS: return &qnetd_algo_2nodelms;
	case PROTO_ALGO_LMS: return &qnetd_algo_lms;
	}
	return NULL;
}

enum proto_reply_error qnetd_algo_init_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	(void)client;
	return PROTO_ERR_NO_ERROR;
}

enum proto_reply_error qnetd_algo_init_undefined(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	client->last_result = PROTO_VOTE_UNDEFINED;
	return PROTO_ERR_NO_ERROR;
}

enum proto_reply_error qnetd_algo_config_node_list_no_change(const struct qnetd_algo_io *io,
							     struct qnetd_client *client,
							     const struct qnetd_node_list *nodes, bool initial,
							     uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)nodes;
	(void)initial;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

enum proto_reply_error qnetd_algo_quorum_node_list_no_change(const struct qnetd_algo_io *io,
							     struct qnetd_client *client, uint8_t quorate,
							     const struct qnetd_node_list *nodes, uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)quorate;
	(void)nodes;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

enum proto_reply_error qnetd_algo_vote_info_reply_nothing(const struct qnetd_algo_io *io,
							  struct qnetd_client *client, uint32_t seq)
{
	(void)io;
	(void)client;
	(void)seq;
	return PROTO_ERR_NO_ERROR;
}

enum proto_reply_error qnetd_algo_heuristics_change_no_change(const struct qnetd_algo_io *io,
							      struct qnetd_client *client, uint8_t heuristics,
							      uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)heuristics;
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

void qnetd_algo_client_disconnect_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client,
					  bool server_going_down)
{
	(void)io;
	(void)client;
	(void)server_going_down;
}

enum proto_reply_error qnetd_algo_timer_nothing(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	(void)client;
	return PROTO_ERR_NO_ERROR;
}

/* Keeps a node rebooting isolated from taking the vote away from a peer that holds it elsewhere. */
bool qnetd_algo_newcomer_must_wait(const struct qnetd_client *client, const struct proto_ring_id *ring)
{
	const struct qnetd_cluster *cluster = client->cluster;

	if (client->last_result != PROTO_VOTE_UNDEFINED)
		return false;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *y = cluster->clients[i];
		if (!proto_ring_id_equal(&y->ring_id, ring) && y->last_result == PROTO_VOTE_ACK)
			return true;
	}
	return false;
}

void qnetd_algo_hold_departing(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	if (io->now_ms == NULL || client->cluster == NULL || !client->vote_may_count)
		return;
	uint64_t hb = client->heartbeat_interval;
	uint64_t until = io->now_ms(io->ctx) + hb * QNETD_VOTE_HOLD_HEARTBEATS_NUM / QNETD_VOTE_HOLD_HEARTBEATS_DEN;
	/* Without memory for the hold the decision goes on as it did before holds existed. */
	(void)qnetd_cluster_hold_add(client->cluster, client->node_id, until);
}

uint64_t qnetd_algo_hold_check(const struct qnetd_algo_io *io, const struct qnetd_client *waiting,
			       const struct qnetd_node_list *members)
{
	struct qnetd_cluster *cluster = waiting->cluster;
	if (io->now_ms == NULL || cluster->hold_count == 0)
		return 0;
	uint64_t now = io->now_ms(io->ctx);
	struct qnetd_vote_hold *h = qnetd_cluster_hold_blocking(cluster, now, members);
	if (h == NULL)
		return 0;
	uint64_t wait = h->until_ms - now;
	if (!h->reported && io->vote_held != NULL)
		io->vote_held(io->ctx, waiting, h->node_id, wait);
	h->reported = true;
	return wait;
}

uint32_t qnetd_algo_hold_timer_ms(uint64_t wait_ms)
{
	if (wait_ms < 1)
		return 1;
	return wait_ms > QNETD_TIMER_MAX_MS ? QNETD_TIMER_MAX_MS : (uint32_t)wait_ms;
}

uint8_t qnetd_algo_ack_unless_held(const struct qnetd_algo_io *io, struct qnetd_client *client, uint8_t vote,
				   const struct qnetd_node_list *members)
{
	if (vote != PROTO_VOTE_ACK)
		return vote;
	uint64_t wait = qnetd_algo_hold_check(io, client, members);
	if (wait == 0)
		return vote;
	io->timer_start(io->ctx, client, qnetd_algo_hold_timer_ms(wait));
	client->last_result = PROTO_VOTE_WAIT_FOR_REPLY;
	return PROTO_VOTE_WAIT_FOR_REPLY;
}

void qnetd_algo_push_decision(const struct qnetd_algo_io *io, struct qnetd_client *client, uint8_t vote)
{
	if (vote != PROTO_VOTE_ACK && vote != PROTO_VOTE_NACK)
		return;
	client->vote_info_seq++;
	(void)io->send_vote_info(io->ctx, client, client->vote_info_seq, vote, &client->ring_id);
}
