/* 2nodelms (doc/algorithms.md §4): scenario S11, config size, heuristics and tie-breaker rules, the unremembered NACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "algo_fixture.h"

static int setup(void **state)
{
	return fx_setup(state, &qnetd_algo_2nodelms);
}

/* The io must not have been used: 2nodelms answers in replies, except after a vote hold. */
static int teardown(void **state)
{
	struct fx *f = *state;
	if (!f->timer_expected)
		assert_int_equal(f->send_calls + f->timer_calls, 0);
	return fx_teardown(state);
}

/* Two clients that see each other on ring 1.8: both ACK. */
static void pair_formed(struct fx *f)
{
	fx_add(f, 1, RING(1, 8));
	fx_add(f, 2, RING(1, 8));
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), NO_CHANGE);
	assert_int_equal(fx_config(f, 2, true, IDS(1, 2)), NO_CHANGE);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1, 2), H_UNDEF), ACK);
	assert_int_equal(fx_membership(f, 2, RING(1, 8), IDS(1, 2), H_UNDEF), ACK);
}

static void test_s11_2nodelms(void **state)
{
	struct fx *f = *state;

	/* Both see each other. */
	pair_formed(f);
	assert_int_equal(fx_ask(f, 1), ACK);
	assert_int_equal(fx_ask(f, 2), ACK);

	/* Split, equal heuristics, tie-breaker lowest. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), ACK);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), NACK);
	assert_int_equal(fx_ask(f, 2), NACK);

	/* C2 PASS against C1 UNDEFINED. */
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(2), H_PASS), ACK);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1), H_UNDEF), NACK);

	/*
	 * Node 2 down: the only client gets ACK, but (unlike upstream) only when the hold ends that
	 * C2's departure with its ACK started (doc/algorithms.md §1.5). Meanwhile WAIT_FOR_REPLY;
	 * the timer then pushes the ACK, 2nodelms's only push.
	 */
	f->timer_expected = true;
	fx_disconnect(f, 2, false);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1), H_UNDEF), WAIT);
	EXPECT_HELD(f, 1, 2, 12000);
	EXPECT_TIMERS(f, START(1, 12000));
	assert_int_equal(fx_ask(f, 1), WAIT);
	fx_advance(f, 12000);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0x14));
	EXPECT_NO_TIMER(f);
	assert_int_equal(fx_ask(f, 1), ACK);

	/* Node 2 restarts isolated while C1 holds ACK: NACK, not remembered. */
	fx_add(f, 2, RING(2, 0x18));
	assert_int_equal(fx_config(f, 2, true, IDS(1, 2)), NO_CHANGE);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x18), IDS(2), H_PASS), NACK);
	assert_int_equal(fx_client(f, 2)->last_result, UNDEFINED);
	assert_int_equal(fx_ask(f, 2), ASK_LATER);
	assert_int_equal(fx_ask(f, 1), ACK);
}

static void test_config_size(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 8));
	assert_int_equal(fx_config(f, 1, true, NULL, 0), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(fx_config(f, 1, true, IDS(1)), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2, 3)), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(fx_client(f, 1)->config_list.count, 0);
	/* Only the size is checked, not the content. */
	assert_int_equal(fx_config(f, 1, true, IDS(5, 5)), NO_CHANGE);
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), NO_CHANGE);
}

/* The message's heuristics against the other client's stored ones: PASS > UNDEFINED > FAIL. */
static void test_heuristics_table(void **state)
{
	(void)state;
	static const struct {
		uint8_t sender_new, sender_stored, other;
		uint32_t sender;
		uint8_t want;
	} rows[] = {
		{H_PASS, H_FAIL, H_UNDEF, 2, ACK},  {H_PASS, H_FAIL, H_FAIL, 2, ACK},
		{H_UNDEF, H_FAIL, H_FAIL, 2, ACK},  {H_UNDEF, H_PASS, H_PASS, 2, NACK},
		{H_FAIL, H_PASS, H_UNDEF, 1, NACK}, {H_FAIL, H_PASS, H_PASS, 1, NACK},
		{H_PASS, H_FAIL, H_PASS, 2, NACK},  {H_PASS, H_FAIL, H_PASS, 1, ACK},
		{H_UNDEF, H_PASS, H_UNDEF, 2, NACK}, {H_FAIL, H_UNDEF, H_FAIL, 1, ACK},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		pair_formed(f);
		uint32_t other = rows[i].sender == 1 ? 2 : 1;
		fx_client(f, rows[i].sender)->heuristics = rows[i].sender_stored;
		fx_client(f, other)->heuristics = rows[i].other;
		int got = fx_membership(f, rows[i].sender, RING(rows[i].sender, 0xc), IDS(rows[i].sender),
					rows[i].sender_new);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d want %u", i, got, rows[i].want);
		assert_int_equal(fx_client(f, rows[i].sender)->last_result, rows[i].want);
		assert_int_equal(teardown(&st), 0);
	}
}

static void test_tie_breaker_table(void **state)
{
	(void)state;
	static const struct {
		uint8_t mode;
		uint32_t node;
		uint8_t want1, want2;
	} rows[] = {
		{LOW, 0, ACK, NACK},   {HIGH, 0, NACK, ACK},  {NODE, 1, ACK, NACK},
		{NODE, 2, NACK, ACK}, {NODE, 7, NACK, NACK},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		f->tb = (struct proto_tie_breaker){rows[i].mode, rows[i].node};
		pair_formed(f);
		assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), rows[i].want1);
		assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), rows[i].want2);
		assert_int_equal(teardown(&st), 0);
	}
}

/* With more clients than two: lowest/highest over all of them, heuristics of the last other one. */
static void test_three_clients(void **state)
{
	struct fx *f = *state;
	for (uint32_t id = 1; id <= 3; id++) {
		fx_add(f, id, RING(1, 8));
		/* Later ones meet C1's ACK on another ring: the unremembered NACK. */
		assert_int_equal(fx_membership(f, id, RING(id, 8), IDS(id), H_UNDEF), id == 1 ? ACK : NACK);
	}
	fx_client(f, 2)->last_result = NACK;
	fx_client(f, 3)->last_result = NACK;
	fx_client(f, 1)->heuristics = H_PASS;
	fx_client(f, 3)->heuristics = H_FAIL;
	/* C2 UNDEFINED against C3's FAIL (not C1's PASS). */
	assert_int_equal(fx_membership(f, 2, RING(2, 9), IDS(2), H_UNDEF), ACK);
	/* C3 against C2 (stored UNDEFINED now): equal, and 3 is not the lowest. */
	assert_int_equal(fx_membership(f, 3, RING(3, 9), IDS(3), H_UNDEF), NACK);
	/* C1 against C3 (UNDEFINED now): equal, 1 is the lowest. */
	fx_client(f, 1)->heuristics = H_UNDEF;
	assert_int_equal(fx_membership(f, 1, RING(1, 9), IDS(1), H_UNDEF), ACK);
}

/* Alone in the cluster: ACK whatever the heuristics or the tie-breaker say. */
static void test_single_client(void **state)
{
	struct fx *f = *state;
	f->tb = (struct proto_tie_breaker){NODE, 2};
	fx_add(f, 1, RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1), H_FAIL), ACK);
	assert_int_equal(fx_membership(f, 1, RING(1, 9), IDS(1), H_UNDEF), ACK);
}

static void test_newcomer_nack(void **state)
{
	struct fx *f = *state;
	pair_formed(f);
	fx_disconnect(f, 2, false);
	/* Past the vote hold C2's departure started (doc/algorithms.md §1.5, tested above). */
	fx_advance(f, 12000);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), ACK);

	/* A full membership does not help a newcomer on another ring either. */
	fx_add(f, 2, RING(2, 0x10));
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_UNDEF), NACK);
	assert_int_equal(fx_client(f, 2)->last_result, UNDEFINED);
	/* Being still undefined, C2 is judged afresh: once on C1's ring it gets ACK. */
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), ACK);
	assert_int_equal(fx_ask(f, 2), ACK);
}

static void test_newcomer_rule_limits(void **state)
{
	struct fx *f = *state;
	pair_formed(f);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), ACK);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), NACK);
	/* C2's answer is known (NACK): the rule is skipped and PASS wins, so both hold ACK. */
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(2), H_PASS), ACK);
	assert_int_equal(fx_ask(f, 1), ACK);

	/* A peer on another ring holding NACK does not trigger it. */
	fx_disconnect(f, 2, false);
	fx_client(f, 1)->last_result = NACK;
	fx_add(f, 2, RING(2, 0x14));
	assert_int_equal(fx_membership(f, 2, RING(2, 0x14), IDS(2), H_PASS), ACK);
	/* Nor does a peer holding ACK on the newcomer's own ring. */
	fx_disconnect(f, 2, false);
	fx_client(f, 1)->last_result = ACK;
	fx_add(f, 2, RING(1, 0xc));
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(2), H_PASS), ACK);
}

static void test_ask_for_vote(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 8));
	fx_add(f, 2, RING(1, 8));
	assert_int_equal(fx_ask(f, 1), ASK_LATER);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1), H_UNDEF), ACK);
	assert_int_equal(fx_membership(f, 2, RING(1, 8), IDS(2), H_UNDEF), NACK);
	assert_int_equal(fx_ask(f, 1), ACK);
	assert_int_equal(fx_ask(f, 2), NACK);
}

static void test_other_hooks(void **state)
{
	struct fx *f = *state;
	pair_formed(f);
	uint8_t vote = 0;
	struct msg_node_info n1 = {1, 0, PROTO_NODE_STATE_MEMBER};
	struct qnetd_node_list l1 = {0};
	assert_int_equal(qnetd_node_list_set(&l1, &n1, 1), 0);
	assert_int_equal(qnetd_algo_2nodelms.quorum_node_list(&f->io, fx_client(f, 1), 1, &l1, &vote),
			 PROTO_ERR_NO_ERROR);
	qnetd_node_list_clear(&l1);
	assert_int_equal(vote, NO_CHANGE);
	/* A heuristics change is not evaluated. */
	assert_int_equal(qnetd_algo_2nodelms.heuristics_change(&f->io, fx_client(f, 1), H_FAIL, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	assert_int_equal(fx_client(f, 1)->last_result, ACK);
	assert_int_equal(qnetd_algo_2nodelms.vote_info_reply(&f->io, fx_client(f, 1), 1), PROTO_ERR_NO_ERROR);
	assert_int_equal(qnetd_algo_2nodelms.timer(&f->io, fx_client(f, 1)), PROTO_ERR_NO_ERROR);
	/* The survivor is not re-evaluated when its peer leaves. */
	fx_disconnect(f, 2, false);
	assert_int_equal(fx_client(f, 1)->last_result, ACK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s11_2nodelms),
		T(test_config_size),
		cmocka_unit_test(test_heuristics_table),
		cmocka_unit_test(test_tie_breaker_table),
		T(test_three_clients),
		T(test_single_client),
		T(test_newcomer_nack),
		T(test_newcomer_rule_limits),
		T(test_ask_for_vote),
		T(test_other_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
