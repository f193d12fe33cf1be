/* The "test" algorithm (qnetd.md §10.2): fixed answers per hook, no pushes, no timers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "algo.h"

static size_t io_calls;

static int rec_send(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote, const struct proto_ring_id *ring)
{
	(void)ctx;
	(void)to;
	(void)seq;
	(void)vote;
	(void)ring;
	io_calls++;
	return 0;
}

static void rec_timer_start(void *ctx, struct qnetd_client *client, uint32_t interval_ms)
{
	(void)ctx;
	(void)client;
	(void)interval_ms;
	io_calls++;
}

static void rec_timer_stop(void *ctx, struct qnetd_client *client)
{
	(void)ctx;
	(void)client;
	io_calls++;
}

static void test_answers(void **state)
{
	(void)state;
	const struct qnetd_algo *a = qnetd_algo_get(PROTO_ALGO_TEST);
	const struct qnetd_algo_io io = {NULL, rec_send, rec_timer_start, rec_timer_stop};
	struct qnetd_cluster *cluster = qnetd_cluster_create((const uint8_t *)"t", 1);
	struct qnetd_client c;
	const struct msg_node_info nodes[] = {{1, 0, PROTO_NODE_STATE_MEMBER}, {2, 0, PROTO_NODE_STATE_MEMBER}};
	const struct proto_ring_id ring = {1, 8};
	uint8_t vote;

	assert_non_null(a);
	assert_ptr_equal(a, &qnetd_algo_test);
	assert_int_equal(a->id, PROTO_ALGO_TEST);
	assert_non_null(cluster);
	qnetd_client_init(&c, NULL);
	c.node_id = 1;
	assert_int_equal(qnetd_cluster_add_client(cluster, &c), 0);
	assert_int_equal(a->init(&io, &c), PROTO_ERR_NO_ERROR);

	/* Each hook with the vote it must give; 0 = no vote. */
	vote = 0;
	assert_int_equal(a->config_node_list(&io, &c, nodes, 2, true, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->config_node_list(&io, &c, NULL, 0, false, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->membership_node_list(&io, &c, &ring, nodes, 1, PROTO_HEURISTICS_FAIL, &vote),
			 PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_ACK);
	vote = 0;
	assert_int_equal(a->quorum_node_list(&io, &c, PROTO_INQUORATE, nodes, 2, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->ask_for_vote(&io, &c, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_ACK);
	vote = 0;
	assert_int_equal(a->heuristics_change(&io, &c, PROTO_HEURISTICS_PASS, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	assert_int_equal(a->vote_info_reply(&io, &c, 1), PROTO_ERR_NO_ERROR);
	assert_int_equal(a->timer(&io, &c), PROTO_ERR_NO_ERROR);
	a->client_disconnect(&io, &c, false);
	a->client_disconnect(&io, &c, true);
	assert_int_equal(io_calls, 0);

	qnetd_cluster_remove_client(cluster, &c);
	qnetd_client_destroy(&c);
	qnetd_cluster_destroy(cluster);
}

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(qnetd_algo_get(PROTO_ALGO_FFSPLIT), &qnetd_algo_ffsplit);
	assert_ptr_equal(qnetd_algo_get(PROTO_ALGO_2NODELMS), &qnetd_algo_2nodelms);
	assert_ptr_equal(qnetd_algo_get(PROTO_ALGO_LMS), &qnetd_algo_lms);
	assert_null(qnetd_algo_get(4));
	for (uint16_t id = 0; id < PROTO_ALGO_COUNT; id++)
		assert_int_equal(qnetd_algo_get(id)->id, id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
