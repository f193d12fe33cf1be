/* The "test" algorithm (doc/algorithms.md §2): fixed answers per hook, no pushes, no timers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "algo_fixture.h"

static void test_answers(void **state)
{
	void *st;
	assert_int_equal(fx_setup(&st, qnetd_algo_get(PROTO_ALGO_TEST)), 0);
	struct fx *f = st;
	const struct qnetd_algo *a = f->algo;
	const struct msg_node_info nodes[] = {{1, 0, PROTO_NODE_STATE_MEMBER}, {2, 0, PROTO_NODE_STATE_MEMBER}};
	struct qnetd_node_list both = {0}, one = {0}, none = {0};
	assert_int_equal(qnetd_node_list_set(&both, nodes, 2), 0);
	assert_int_equal(qnetd_node_list_set(&one, nodes, 1), 0);
	const struct proto_ring_id ring = {1, 8};
	uint8_t vote;

	(void)state;
	assert_non_null(a);
	assert_ptr_equal(a, &qnetd_algo_test);
	assert_int_equal(a->id, PROTO_ALGO_TEST);
	struct qnetd_client *c = fx_add(f, 1, RING(0, 0));

	/* Each hook with the vote it must give; 0 = no vote. */
	vote = 0;
	assert_int_equal(a->config_node_list(&f->io, c, &both, true, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->config_node_list(&f->io, c, &none, false, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->membership_node_list(&f->io, c, &ring, &one, PROTO_HEURISTICS_FAIL, &vote),
			 PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_ACK);
	vote = 0;
	assert_int_equal(a->quorum_node_list(&f->io, c, PROTO_INQUORATE, &both, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	vote = 0;
	assert_int_equal(a->ask_for_vote(&f->io, c, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_ACK);
	vote = 0;
	assert_int_equal(a->heuristics_change(&f->io, c, PROTO_HEURISTICS_PASS, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, PROTO_VOTE_NO_CHANGE);
	assert_int_equal(a->vote_info_reply(&f->io, c, 1), PROTO_ERR_NO_ERROR);
	assert_int_equal(a->timer(&f->io, c), PROTO_ERR_NO_ERROR);
	a->client_disconnect(&f->io, c, false);
	a->client_disconnect(&f->io, c, true);
	/* No pushes and no timers, ever. */
	assert_int_equal(f->send_calls + f->timer_calls, 0);
	qnetd_node_list_clear(&both);
	qnetd_node_list_clear(&one);

	assert_int_equal(fx_teardown(&st), 0);
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
