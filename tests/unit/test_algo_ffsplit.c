/* ffsplit (doc/algorithms.md §3): worked scenarios S1–S7, the partition decision table, STABLE, hand-over and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "algo_fixture.h"

static int setup(void **state)
{
	fx_setup(state, &qnetd_algo_ffsplit);
	((struct fx *)*state)->kap = true;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	/* ffsplit arms the algorithm timer only while a vote hold keeps ACKs back (doc/algorithms.md §1.5). */
	if (!f->timer_expected)
		assert_int_equal(f->timer_calls, 0);
	return fx_teardown(state);
}

/* Connects `mem` (all with INIT ring `ring`), sends config `cfg` and membership `mem`, confirms the ACKs. */
static void fx_form(struct fx *f, const uint32_t *cfg, size_t ncfg, const uint32_t *mem, size_t nmem,
		    struct proto_ring_id ring)
{
	for (size_t i = 0; i < nmem; i++)
		fx_add(f, mem[i], ring);
	for (size_t i = 0; i < nmem; i++)
		assert_int_equal(fx_config(f, mem[i], true, cfg, ncfg), ASK_LATER);
	for (size_t i = 0; i < nmem; i++)
		assert_int_equal(fx_membership(f, mem[i], ring, mem, nmem, H_UNDEF), i + 1 == nmem ? NO_CHANGE : WAIT);
	for (size_t i = 0; i < nmem; i++)
		assert_int_equal(fx_client(f, mem[i])->last_sent_ack_nack_vote, ACK);
	fx_confirm_all(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

static void assert_partition(struct fx *f, const uint32_t *ids, size_t n)
{
	const struct qnetd_node_list *q = &f->cluster->quorate_partition;
	assert_int_equal(q->count, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(q->nodes[i].node_id, ids[i]);
}

/* ---- worked scenarios (doc/algorithms.md §9) ---- */

static void test_s1_normal_start(void **state)
{
	struct fx *f = *state;

	fx_add(f, 1, RING(1, 8));
	fx_client(f, 1)->kap_tie_breaker = true; /* SET_OPTION(kap=1) */
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), ASK_LATER);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 8));
	assert_partition(f, IDS(1, 2));
	assert_int_equal(fx_quorum(f, 1, IDS(1)), NO_CHANGE);
	EXPECT_NO_PUSH(f);
	fx_reply(f, 1, 1);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);

	fx_add(f, 2, RING(1, 8));
	/* C2 has no config yet: a RUN triggered by C1 in this window is unstable. */
	assert_int_equal(fx_heuristics(f, 1, H_PASS), WAIT);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP);

	assert_int_equal(fx_config(f, 2, true, IDS(1, 2)), ASK_LATER);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 2, RING(1, 8), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 8), P(2, 1, ACK, 1, 8));
	assert_int_equal(fx_client(f, 1)->last_sent_vote, ACK);
	assert_int_equal(fx_client(f, 1)->last_sent_ack_nack_vote, ACK);
	assert_int_equal(fx_client(f, 2)->last_sent_vote, NO_CHANGE);
	assert_int_equal(fx_client(f, 2)->last_sent_ack_nack_vote, ACK);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
	fx_reply(f, 2, 1);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
	fx_reply(f, 1, 2);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

/* Both nodes at ACK on ring 1.8 with quorate partition {1,2}, as at the start of S2. */
static void s2_before(struct fx *f)
{
	fx_form(f, IDS(1, 2), IDS(1, 2), RING(1, 8));
	assert_partition(f, IDS(1, 2));
	assert_int_equal(fx_client(f, 1)->vote_info_seq, 1);
	assert_int_equal(fx_client(f, 2)->vote_info_seq, 1);
}

static void test_s2_two_node_split(void **state)
{
	struct fx *f = *state;
	s2_before(f);

	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), WAIT);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(2, 2, NACK, 2, 0xc));
	assert_partition(f, IDS(1));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_NACKS);
	assert_int_equal(fx_client(f, 1)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);

	fx_reply(f, 2, 2);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
	fx_reply(f, 1, 2);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

static void test_s2_two_node_split_heuristics(void **state)
{
	struct fx *f = *state;
	s2_before(f);

	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_PASS), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0xc));
	assert_partition(f, IDS(2));
	fx_reply(f, 1, 2);
	EXPECT_PUSHES(f, P(2, 2, ACK, 2, 0xc));
}

/* The sender's heuristics from the membership message count in the evaluation it triggers. */
static void test_s2_heuristics_in_deciding_message(void **state)
{
	struct fx *f = *state;
	s2_before(f);

	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_PASS), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0xc));
	assert_partition(f, IDS(2));
}

/* Four nodes on ring 1.8, then the split {1,2} on 1.c | {3,4} on 3.c reported in node order. */
static void s3_split(struct fx *f, uint8_t h3, uint8_t h4)
{
	fx_form(f, IDS(1, 2, 3, 4), IDS(1, 2, 3, 4), RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3, 4), h3), WAIT);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 4, RING(3, 0xc), IDS(3, 4), h4), NO_CHANGE);
}

static void test_s3_split_tie_breaker(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_UNDEF, H_UNDEF);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc), P(4, 2, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
	fx_reply(f, 3, 2);
	EXPECT_NO_PUSH(f); /* C4 has not confirmed yet */
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_NACKS);
	fx_reply(f, 4, 2);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc), P(2, 2, ACK, 1, 0xc));
	fx_reply(f, 1, 2);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
	fx_reply(f, 2, 2);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

static void test_s3_split_heuristics(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_PASS, H_PASS);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0xc), P(2, 2, NACK, 1, 0xc));
	assert_partition(f, IDS(3, 4));
	fx_reply(f, 1, 2);
	fx_reply(f, 2, 2);
	EXPECT_PUSHES(f, P(3, 2, ACK, 3, 0xc), P(4, 2, ACK, 3, 0xc));
}

static void test_s3_split_member_not_connected(void **state)
{
	struct fx *f = *state;
	/* HIGHEST would pick {3,4}: the missing connection of node 4 is what decides. */
	f->tb.mode = PROTO_TIE_BREAKER_HIGHEST;
	fx_form(f, IDS(1, 2, 3, 4), IDS(1, 2, 3), RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3, 4), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
}

/* Nodes 3,4 win alone; then 1,2 return into a {1,2} | {3,4} split. */
static void s3_kap(struct fx *f, bool c1_kap)
{
	fx_form(f, IDS(1, 2, 3, 4), IDS(3, 4), RING(3, 8));
	assert_partition(f, IDS(3, 4));
	fx_add(f, 1, RING(1, 0xc))->kap_tie_breaker = c1_kap;
	fx_add(f, 2, RING(1, 0xc));
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2, 3, 4)), ASK_LATER);
	assert_int_equal(fx_config(f, 2, true, IDS(1, 2, 3, 4)), ASK_LATER);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), NO_CHANGE);
}

static void test_s3_kap_keeps_active_partition(void **state)
{
	struct fx *f = *state;
	s3_kap(f, true);
	EXPECT_PUSHES(f, P(1, 1, NACK, 1, 0xc), P(2, 1, NACK, 1, 0xc));
	assert_partition(f, IDS(3, 4));
	fx_reply(f, 1, 1);
	fx_reply(f, 2, 1);
	EXPECT_PUSHES(f, P(3, 2, ACK, 3, 8), P(4, 2, ACK, 3, 8));
}

static void test_s3_kap_off_on_one_client(void **state)
{
	struct fx *f = *state;
	s3_kap(f, false);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 8), P(4, 2, NACK, 3, 8));
	assert_partition(f, IDS(1, 2));
}

static void test_s4_node_crash(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2, 3, 4), IDS(1, 2, 3, 4), RING(1, 8));

	fx_disconnect(f, 4, false);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 8), P(2, 2, ACK, 1, 8), P(3, 2, ACK, 1, 8));
	assert_partition(f, IDS(1, 2, 3, 4));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);

	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0x10), IDS(1, 2, 3), H_UNDEF), WAIT);
	EXPECT_NO_PUSH(f);
	/*
	 * Upstream ACKs {1,2,3} here. Node 4 had the vote and may be alive without its qdevice, its
	 * corosync counting that vote until the device timeout: a partition without it waits for the
	 * hold, 1.5 heartbeats (doc/algorithms.md §1.5).
	 */
	f->timer_expected = true;
	assert_int_equal(fx_membership(f, 3, RING(1, 0x10), IDS(1, 2, 3), H_UNDEF), NO_CHANGE);
	EXPECT_NO_PUSH(f);
	EXPECT_HELD(f, 1, 4, 12000);
	EXPECT_TIMERS(f, START(1, 12000));
	assert_partition(f, IDS(1, 2, 3));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_HOLDING_ACKS);

	/* Late confirmations of the disconnect-time ACKs (seq 2) confirm nothing and release nothing. */
	fx_reply(f, 1, 2);
	fx_reply(f, 2, 2);
	fx_reply(f, 3, 2);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_HOLDING_ACKS);
	/* A timer that fires early re-arms for the rest; the hold is reported once. */
	fx_advance(f, 11000);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	EXPECT_TIMERS(f, START(1, 1000));
	assert_int_equal(f->nheld, 0);
	fx_advance(f, 1000);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 3, ACK, 1, 0x10), P(2, 3, ACK, 1, 0x10), P(3, 3, ACK, 1, 0x10));
	EXPECT_NO_TIMER(f);
	assert_int_equal(fx_client(f, 1)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
	assert_int_equal(f->cluster->hold_count, 0);
	fx_reply(f, 1, 3);
	fx_reply(f, 2, 3);
	fx_reply(f, 3, 3);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

static void test_s5_restart(void **state)
{
	struct fx *f = *state;
	/* Before the restart {3,4} held quorum; the new qnetd remembers nothing. */
	for (uint32_t id = 1; id <= 4; id++)
		fx_add(f, id, id <= 2 ? RING(1, 0xc) : RING(3, 0xc));
	assert_int_equal(f->cluster->quorate_partition.count, 0);
	for (uint32_t id = 1; id <= 4; id++)
		assert_int_equal(fx_config(f, id, true, IDS(1, 2, 3, 4)), ASK_LATER);
	/* Each side has a member that has not reported yet until the very last list. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 4, RING(3, 0xc), IDS(3, 4), H_UNDEF), NO_CHANGE);
	/* KAP is on everywhere but cannot help {3,4}: the tie-breaker decides. */
	EXPECT_PUSHES(f, P(3, 1, NACK, 3, 0xc), P(4, 1, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
	fx_reply(f, 3, 1);
	fx_reply(f, 4, 1);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0xc), P(2, 1, ACK, 1, 0xc));
}

static void test_s6_winners_disconnect(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_UNDEF, H_UNDEF);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc), P(4, 2, NACK, 3, 0xc));
	fx_confirm_all(f);

	/* The leaving C1 still counts in STATS, so {1,2} keeps its score and wins again. */
	fx_disconnect(f, 1, false);
	EXPECT_PUSHES(f, P(3, 3, NACK, 3, 0xc), P(4, 3, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
	fx_reply(f, 3, 3);
	fx_reply(f, 4, 3);
	EXPECT_PUSHES(f, P(2, 3, ACK, 1, 0xc));
	fx_reply(f, 2, 3);

	/* Now {3,4} wins, but nodes 1 and 2 may still count their vote: the ACKs wait for both holds. */
	f->timer_expected = true;
	fx_disconnect(f, 2, false);
	EXPECT_NO_PUSH(f);
	EXPECT_HELD(f, 3, 1, 12000);
	EXPECT_TIMERS(f, START(3, 12000));
	assert_partition(f, IDS(3, 4));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_HOLDING_ACKS);
	fx_advance(f, 12000);
	fx_timer(f, 3);
	EXPECT_PUSHES(f, P(3, 4, ACK, 3, 0xc), P(4, 4, ACK, 3, 0xc));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);
}

static void test_s7_odd_cluster(void **state)
{
	struct fx *f = *state;
	/* Neither heuristics nor an explicit tie-breaker can help the minority. */
	f->tb = (struct proto_tie_breaker){PROTO_TIE_BREAKER_NODE_ID, 3};
	fx_form(f, IDS(1, 2, 3), IDS(1, 2, 3), RING(1, 8));
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3), H_PASS), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
	fx_reply(f, 3, 2);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc), P(2, 2, ACK, 1, 0xc));
	fx_confirm_all(f);

	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 3, NACK, 1, 0x10), P(2, 3, NACK, 2, 0x10), P(3, 3, NACK, 3, 0xc));
	assert_int_equal(f->cluster->quorate_partition.count, 0);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_NACKS);
	/* With no winner, the hand-over ends without any ACK. */
	fx_reply(f, 1, 3);
	fx_reply(f, 2, 3);
	fx_reply(f, 3, 3);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

/* ---- decision table (doc/algorithms.md §3.5) ---- */

#define L(...) {__VA_ARGS__, 0}

struct ff_case_client {
	uint32_t id; /* 0 ends the list */
	uint32_t mem[9];
	uint8_t heur;
	bool kap_off;
};

struct ff_case {
	const char *name;
	uint8_t tb_mode;
	uint32_t tb_node;
	uint32_t cfg[9];
	struct ff_case_client c[9]; /* connected clients; every one has the same config */
	uint32_t prev[9];           /* quorate partition before the evaluation */
	uint32_t winner[9];         /* empty: nobody wins */
};

#define LOW PROTO_TIE_BREAKER_LOWEST
#define HIGH PROTO_TIE_BREAKER_HIGHEST
#define NODE PROTO_TIE_BREAKER_NODE_ID

static const struct ff_case ff_cases[] = {
	{"more than half wins against better heuristics", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2, 3), H_FAIL, false}, {2, L(1, 2, 3), H_FAIL, false}, {3, L(1, 2, 3), H_FAIL, false},
	  {4, L(4), H_PASS, false}},
	 {0}, L(1, 2, 3)},
	{"less than half never wins, even with PASS", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1), H_PASS, false}, {2, L(2), H_PASS, false}, {3, L(3, 4), H_FAIL, false},
	  {4, L(3, 4), H_FAIL, false}},
	 {0}, L(3, 4)},
	{"all partitions below half: no winner", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1), 0, false}, {2, L(2), 0, false}, {3, L(3), 0, false}, {4, L(4), 0, false}},
	 {0}, {0}},
	{"score: PASS wins the 50:50", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), H_PASS, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
	{"score: FAIL loses the 50:50", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), H_FAIL, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
	{"score: a connected member counts", HIGH, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}},
	 {0}, L(1, 2)},
	{"equal score: more connected members win", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), H_PASS, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
	{"KAP: the previous winner keeps quorum", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 L(3, 4), L(3, 4)},
	{"KAP: one client with KAP off disables it", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, true}},
	 L(3, 4), L(1, 2)},
	{"KAP: both sides in the previous winner fall to the tie-breaker", HIGH, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 L(1, 2, 3, 4), L(3, 4)},
	{"KAP does not outrank the score", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), H_PASS, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 L(3, 4), L(1, 2)},
	{"tie-breaker lowest", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(1, 2)},
	{"tie-breaker highest", HIGH, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
	{"tie-breaker node 3", NODE, 3, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
	{"tie-breaker node 2", NODE, 2, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(1, 2)},
	{"tie-breaker node outside both: the first candidate stays", NODE, 7, L(1, 2, 3, 4),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3, 4), 0, false}, {4, L(3, 4), 0, false}},
	 {0}, L(1, 2)},
	{"tie-breaker lowest comes from the config, not the clients", LOW, 0, L(1, 2, 3, 4, 5, 6),
	 {{2, L(2, 3, 6), 0, false}, {3, L(2, 3, 6), 0, false}, {4, L(1, 4, 5), 0, false},
	  {5, L(1, 4, 5), 0, false}},
	 {0}, L(1, 4, 5)},
	{"tie-breaker highest comes from the config, not the clients", HIGH, 0, L(1, 2, 3, 4, 5, 6),
	 {{2, L(2, 3, 6), 0, false}, {3, L(2, 3, 6), 0, false}, {4, L(1, 4, 5), 0, false},
	  {5, L(1, 4, 5), 0, false}},
	 {0}, L(2, 3, 6)},
	{"odd 3: majority wins over PASS and tie-breaker", NODE, 3, L(1, 2, 3),
	 {{1, L(1, 2), 0, false}, {2, L(1, 2), 0, false}, {3, L(3), H_PASS, false}},
	 {0}, L(1, 2)},
	{"odd 5: majority of three wins", HIGH, 0, L(1, 2, 3, 4, 5),
	 {{1, L(1, 2, 3), H_FAIL, false}, {2, L(1, 2, 3), 0, false}, {3, L(1, 2, 3), 0, false},
	  {4, L(4, 5), H_PASS, false}, {5, L(4, 5), H_PASS, false}},
	 L(4, 5), L(1, 2, 3)},
	{"odd 5: two is not a majority", LOW, 0, L(1, 2, 3, 4, 5),
	 {{1, L(1, 2), H_PASS, false}, {2, L(1, 2), H_PASS, false}, {3, L(3, 4), 0, false},
	  {4, L(3, 4), 0, false}, {5, L(5), 0, false}},
	 {0}, {0}},
	{"duplicate config entries are counted (3 entries: odd)", LOW, 0, L(1, 2, 2),
	 {{1, L(1), H_PASS, false}, {2, L(2), 0, false}},
	 {0}, {0}},
	{"quirk: more than half replaces an earlier 50:50 best", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 2), H_PASS, false}, {3, L(3, 4, 5), 0, false}},
	 {0}, L(3, 4, 5)},
	{"quirk: a later 50:50 candidate beats a majority best on score", LOW, 0, L(1, 2, 3, 4),
	 {{1, L(1, 7, 8), 0, false}, {3, L(3, 4), H_PASS, false}, {4, L(3, 4), 0, false}},
	 {0}, L(3, 4)},
};

static size_t zlen(const uint32_t *ids)
{
	size_t n = 0;
	while (ids[n] != 0)
		n++;
	return n;
}

static bool zhas(const uint32_t *ids, uint32_t id)
{
	for (size_t i = 0; ids[i] != 0; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

static void run_case(const struct ff_case *k)
{
	void *st;
	assert_int_equal(setup(&st), 0);
	struct fx *f = st;
	f->tb = (struct proto_tie_breaker){k->tb_mode, k->tb_node};

	for (const struct ff_case_client *cc = k->c; cc->id != 0; cc++) {
		struct qnetd_client *c = fx_add(f, cc->id, RING(cc->mem[0], 0x10));
		c->kap_tie_breaker = !cc->kap_off;
		fx_set_list(&c->config_list, k->cfg, zlen(k->cfg));
		fx_set_list(&c->membership_list, cc->mem, zlen(cc->mem));
		c->heuristics = cc->heur;
	}
	fx_set_list(&f->cluster->quorate_partition, k->prev, zlen(k->prev));

	/* An unchanged heuristics report re-runs the evaluation on the stored state. */
	const struct ff_case_client *first = &k->c[0];
	int vote = fx_heuristics(f, first->id, first->heur);
	if (vote != NO_CHANGE)
		fail_msg("%s: reply %d", k->name, vote);

	const struct qnetd_node_list *q = &f->cluster->quorate_partition;
	bool same = q->count == zlen(k->winner);
	for (size_t i = 0; same && i < q->count; i++)
		same = q->nodes[i].node_id == k->winner[i];
	if (!same)
		fail_msg("%s: wrong winner (%zu nodes, first %u)", k->name, q->count,
			 q->count > 0 ? q->nodes[0].node_id : 0);

	/* NACKs to everyone outside the winner first; ACKs right away only when nobody needs a NACK. */
	size_t n = 0, losers = 0;
	for (const struct ff_case_client *cc = k->c; cc->id != 0; cc++)
		losers += !zhas(k->winner, cc->id);
	for (const struct ff_case_client *cc = k->c; cc->id != 0; cc++) {
		bool wins = zhas(k->winner, cc->id);
		if (losers > 0 && wins)
			continue;
		if (n >= f->npush || f->pushes[n].to != cc->id || f->pushes[n].vote != (wins ? ACK : NACK))
			fail_msg("%s: push %zu is not %s to C%u", k->name, n, wins ? "ACK" : "NACK", cc->id);
		n++;
	}
	if (n != f->npush)
		fail_msg("%s: %zu extra pushes", k->name, f->npush - n);
	assert_int_equal(teardown(&st), 0);
}

static void test_decision_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ff_cases) / sizeof(ff_cases[0]); i++)
		run_case(&ff_cases[i]);
}

/* The sender's new heuristics count only when it is the candidate itself (doc/algorithms.md §3.5, notes). */
static void test_sender_heuristics_only_as_candidate(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_PASS, H_UNDEF);
	/* C3 PASS: {3,4} scored 3 vs 2 and won. */
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0xc), P(2, 2, NACK, 1, 0xc));
	fx_confirm_all(f);
	/*
	 * C3 reports FAIL. As candidate C3 scores 2 - 1 = 1 < 2, but candidate C4
	 * still sees C3's stored PASS and scores 3: {3,4} keeps winning.
	 */
	assert_int_equal(fx_heuristics(f, 3, H_FAIL), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 3, NACK, 1, 0xc), P(2, 3, NACK, 1, 0xc));
	assert_partition(f, IDS(3, 4));
	fx_confirm_all(f);
	/* Now that FAIL is stored, any evaluation lets {1,2} win. */
	assert_int_equal(fx_heuristics(f, 1, H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(3, 4, NACK, 3, 0xc), P(4, 4, NACK, 3, 0xc));
	assert_partition(f, IDS(1, 2));
}

/* ---- STABLE (doc/algorithms.md §3.4) ---- */

static void test_stable_config_differs(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2), IDS(1, 2), RING(1, 8));
	/* A changed config is evaluated with the sender's new list: it no longer matches C2's. */
	assert_int_equal(fx_config(f, 1, false, IDS(1, 2, 3)), WAIT);
	EXPECT_NO_PUSH(f);
	/* Once both agree, 3 entries make it odd: {1,2} is a majority. */
	assert_int_equal(fx_config(f, 2, false, IDS(3, 2, 1)), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 8), P(2, 2, ACK, 1, 8));
	/* Only node-id membership matters, with duplicates. */
	fx_confirm_all(f);
	assert_int_equal(fx_config(f, 1, false, IDS(1, 1, 2, 3)), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 3, ACK, 1, 8), P(2, 3, ACK, 1, 8));
}

static void test_stable_config_missing(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2, 3), IDS(1, 2), RING(1, 8));
	fx_add(f, 3, RING(3, 1));
	assert_int_equal(fx_heuristics(f, 1, H_UNDEF), WAIT);
	/* ...unless the client without config is the one leaving. */
	fx_disconnect(f, 3, false);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 8), P(2, 2, ACK, 1, 8));
}

/*
 * (b) only looks at members someone lists: a connected client that sent its
 * config but no membership, and that nobody lists, does not block a decision
 * (it gets NACK on its INIT ring id).
 */
static void test_stable_unlisted_client_ignored(void **state)
{
	struct fx *f = *state;
	for (uint32_t id = 1; id <= 3; id++) {
		fx_add(f, id, RING(id, 5));
		assert_int_equal(fx_config(f, id, true, IDS(1, 2, 3, 4)), ASK_LATER);
	}
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(3, 1, NACK, 3, 5));
	assert_partition(f, IDS(1, 2));
}

static void test_stable_ring_differs(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2), IDS(1, 2), RING(1, 8));
	/* Same membership, but C2 still reports the old ring. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc), P(2, 2, ACK, 1, 0xc));
}

static void test_stable_membership_differs(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2, 3, 4), IDS(1, 2), RING(1, 8));
	/* Same ring; C2 lists node 3 (not connected) that C1 does not: C2's list is not within C1's. */
	assert_int_equal(fx_membership(f, 2, RING(1, 8), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1, 2, 3), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 8), P(2, 2, ACK, 1, 8));
	/* A connected member that has not sent any membership yet makes it unstable too. */
	fx_confirm_all(f);
	fx_add(f, 3, RING(1, 8));
	assert_int_equal(fx_config(f, 3, true, IDS(1, 2, 3, 4)), ASK_LATER);
	assert_int_equal(fx_heuristics(f, 1, H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(1, 8), IDS(1, 2, 3), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 3, ACK, 1, 8), P(2, 3, ACK, 1, 8), P(3, 1, ACK, 1, 8));
}

/*
 * Upstream's STABLE, literally (pairwise scans), as the reference for the
 * algorithm's set-based version. Views as in doc/algorithms.md §3.4.
 */
struct ref_view {
	const struct qnetd_client *sender;
	bool leaving;
	struct proto_ring_id ring;
	const uint32_t *cfg, *mem;
	size_t ncfg, nmem;
};

static bool ref_in(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

static void ref_lists(const struct ref_view *v, const struct qnetd_client *x, uint32_t *cfg, size_t *ncfg,
		      uint32_t *mem, size_t *nmem, struct proto_ring_id *ring)
{
	if (x == v->sender) {
		memcpy(cfg, v->cfg, v->ncfg * sizeof(*cfg));
		*ncfg = v->ncfg;
		memcpy(mem, v->mem, v->nmem * sizeof(*mem));
		*nmem = v->nmem;
		*ring = v->ring;
		return;
	}
	*ncfg = x->config_list.count;
	for (size_t i = 0; i < *ncfg; i++)
		cfg[i] = x->config_list.nodes[i].node_id;
	*nmem = x->membership_list.count;
	for (size_t i = 0; i < *nmem; i++)
		mem[i] = x->membership_list.nodes[i].node_id;
	*ring = x->ring_id;
}

static bool ref_stable(const struct qnetd_cluster *cluster, const struct ref_view *v)
{
	uint32_t cx[FX_MAXN], cy[FX_MAXN], mx[FX_MAXN], my[FX_MAXN];
	size_t ncx, ncy, nmx, nmy;
	struct proto_ring_id rx, ry;

	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (v->leaving && x == v->sender)
			continue;
		for (size_t j = 0; j < cluster->client_count; j++) {
			const struct qnetd_client *y = cluster->clients[j];
			if (i == j || (v->leaving && y == v->sender))
				continue;
			ref_lists(v, x, cx, &ncx, mx, &nmx, &rx);
			ref_lists(v, y, cy, &ncy, my, &nmy, &ry);
			for (size_t k = 0; k < ncx; k++) {
				if (!ref_in(cy, ncy, cx[k]))
					return false;
			}
		}
	}
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (v->leaving && x == v->sender)
			continue;
		ref_lists(v, x, cx, &ncx, mx, &nmx, &rx);
		for (size_t k = 0; k < nmx; k++) {
			const struct qnetd_client *y = qnetd_cluster_find_client(cluster, mx[k]);
			if (y == NULL || (v->leaving && y == v->sender))
				continue;
			ref_lists(v, y, cy, &ncy, my, &nmy, &ry);
			if (!proto_ring_id_equal(&rx, &ry))
				return false;
			for (size_t m = 0; m < nmx; m++) {
				if (!ref_in(my, nmy, mx[m]))
					return false;
			}
		}
	}
	return true;
}

static uint32_t rng_state = 0x2545f491u;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* A random list over node ids 1..6: usually the owner's "true" group, sometimes anything. */
static size_t random_list(uint32_t *out, uint32_t owner, const uint32_t *group, size_t ngroup)
{
	size_t n = 0;
	switch (rnd(4)) {
	case 0: /* arbitrary, maybe without the owner, maybe with duplicates */
		for (size_t i = 0, len = rnd(5); i < len; i++)
			out[n++] = 1 + rnd(6);
		break;
	case 1: /* the group with the owner added if missing, shuffled */
		for (size_t i = 0; i < ngroup; i++)
			out[n++] = group[i];
		if (!ref_in(out, n, owner))
			out[n++] = owner;
		for (size_t i = n; i > 1; i--) {
			size_t j = rnd((uint32_t)i);
			uint32_t t = out[i - 1];
			out[i - 1] = out[j];
			out[j] = t;
		}
		break;
	default:
		for (size_t i = 0; i < ngroup; i++)
			out[n++] = group[i];
		break;
	}
	return n;
}

static void tally(int got, bool expect_stable, size_t *stable, size_t *unstable)
{
	assert_int_equal(got, expect_stable ? NO_CHANGE : WAIT);
	if (expect_stable)
		(*stable)++;
	else
		(*unstable)++;
}

/* The set-based STABLE must agree with upstream's pairwise loops on arbitrary states. */
static void test_stable_matches_reference(void **state)
{
	(void)state;
	size_t unstable = 0, stable = 0;

	for (int iter = 0; iter < 20000; iter++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		f->fail_to = UINT32_MAX;

		uint32_t groups[2][FX_MAXN];
		size_t ngroups[2] = {0, 0};
		for (uint32_t id = 1; id <= 6; id++) {
			uint32_t g = rnd(2);
			groups[g][ngroups[g]++] = id;
		}
		const uint32_t cfg_all[] = {1, 2, 3, 4, 5, 6};

		for (uint32_t id = 1; id <= 6; id++) {
			if (rnd(3) == 0)
				continue;
			uint32_t g = ref_in(groups[0], ngroups[0], id) ? 0 : 1;
			struct qnetd_client *c = fx_add(f, id, RING(groups[g][0], 1 + rnd(2)));
			uint32_t ids[FX_MAXN];
			size_t n = 6;
			if (rnd(6) == 0)
				n = random_list(ids, id, groups[g], ngroups[g]);
			else
				memcpy(ids, cfg_all, sizeof(cfg_all));
			fx_set_list(&c->config_list, ids, n);
			n = random_list(ids, id, groups[g], ngroups[g]);
			fx_set_list(&c->membership_list, ids, n);
		}
		if (f->cluster->client_count == 0) {
			assert_int_equal(teardown(&st), 0);
			continue;
		}
		struct qnetd_client *s = f->cluster->clients[rnd((uint32_t)f->cluster->client_count)];
		struct ref_view v = {s, false, s->ring_id, NULL, NULL, 0, 0};
		uint32_t cfg[FX_MAXN], mem[FX_MAXN];
		for (size_t i = 0; i < s->config_list.count; i++)
			cfg[i] = s->config_list.nodes[i].node_id;
		for (size_t i = 0; i < s->membership_list.count; i++)
			mem[i] = s->membership_list.nodes[i].node_id;
		v.cfg = cfg;
		v.ncfg = s->config_list.count;
		v.mem = mem;
		v.nmem = s->membership_list.count;

		switch (rnd(3)) {
		case 0: { /* a new membership (with its own ring) from the sender */
			uint32_t g = ref_in(groups[0], ngroups[0], s->node_id) ? 0 : 1;
			uint32_t nm[FX_MAXN];
			size_t nn = random_list(nm, s->node_id, groups[g], ngroups[g]);
			struct proto_ring_id r = RING(groups[g][0], 1 + rnd(2));
			v.mem = nm;
			v.nmem = nn;
			v.ring = r;
			int got = fx_membership(f, s->node_id, r, nm, nn, H_UNDEF);
			if (nn == 0 || !ref_in(nm, nn, s->node_id))
				assert_int_equal(got, -PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST);
			else if (v.ncfg == 0)
				assert_int_equal(got, ASK_LATER);
			else
				tally(got, ref_stable(f->cluster, &v), &stable, &unstable);
			break;
		}
		case 1: { /* a heuristics change re-runs on stored values */
			int got = fx_heuristics(f, s->node_id, H_PASS);
			if (v.ncfg == 0 || v.nmem == 0)
				assert_int_equal(got, ASK_LATER);
			else
				tally(got, ref_stable(f->cluster, &v), &stable, &unstable);
			break;
		}
		default: { /* the sender leaves */
			v.leaving = true;
			bool expect = ref_stable(f->cluster, &v);
			fx_disconnect(f, s->node_id, false);
			bool waiting = f->cluster->ffsplit_state == FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP;
			tally(waiting ? WAIT : NO_CHANGE, expect, &stable, &unstable);
			break;
		}
		}
		assert_int_equal(teardown(&st), 0);
	}
	/* Both outcomes must be well represented for the comparison to mean anything. */
	assert_true(stable > 2000);
	assert_true(unstable > 2000);
}

/* ---- hooks: errors, ASK_LATER, hand-over, push failures ---- */

static void test_error_codes(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 8));
	assert_int_equal(fx_config(f, 1, true, NULL, 0), -PROTO_ERR_INVALID_CONFIG_NODE_LIST);
	assert_int_equal(fx_config(f, 1, false, IDS(2, 3)), -PROTO_ERR_INVALID_CONFIG_NODE_LIST);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), NULL, 0, H_UNDEF), -PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(2), H_UNDEF), -PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST);
	uint8_t vote = 0;
	assert_int_equal(qnetd_algo_ffsplit.ask_for_vote(&f->io, fx_client(f, 1), &vote),
			 PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE);
	/* Errors are checked before anything else, also once lists are stored. */
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), ASK_LATER);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1, 2), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 8));
	assert_int_equal(fx_config(f, 1, false, IDS(2)), -PROTO_ERR_INVALID_CONFIG_NODE_LIST);
	assert_int_equal(fx_membership(f, 1, RING(1, 9), IDS(2), H_UNDEF), -PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST);
	EXPECT_NO_PUSH(f);
}

static void test_ask_later(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 8));
	/* No lists yet: heuristics change and membership cannot be evaluated. */
	assert_int_equal(fx_heuristics(f, 1, H_PASS), ASK_LATER);
	assert_int_equal(fx_membership(f, 1, RING(1, 8), IDS(1, 2), H_UNDEF), ASK_LATER);
	/* A changed config is evaluated only once a membership is stored: this one is. */
	assert_int_equal(fx_config(f, 1, false, IDS(1, 2)), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 8));
	/* An initial config is never evaluated. */
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), ASK_LATER);
	assert_int_equal(fx_quorum(f, 1, IDS(1, 2)), NO_CHANGE);
	EXPECT_NO_PUSH(f);

	fx_add(f, 2, RING(1, 8));
	assert_int_equal(fx_config(f, 2, false, IDS(1, 2)), ASK_LATER);
	assert_int_equal(fx_heuristics(f, 2, H_PASS), ASK_LATER);
	EXPECT_NO_PUSH(f);
}

static void test_stale_reply_ignored(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_UNDEF, H_UNDEF);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc), P(4, 2, NACK, 3, 0xc));
	/* Old and future sequence numbers confirm nothing. */
	fx_reply(f, 3, 1);
	fx_reply(f, 4, 1);
	fx_reply(f, 4, 3);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_client(f, 3)->ffsplit_state, FFSPLIT_CLIENT_SENDING_NACK);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_NACKS);
	fx_reply(f, 1, 0);
	EXPECT_NO_PUSH(f);
	fx_reply(f, 3, 2);
	fx_reply(f, 4, 2);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc), P(2, 2, ACK, 1, 0xc));
}

static void test_new_decision_during_hand_over(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_UNDEF, H_UNDEF);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc), P(4, 2, NACK, 3, 0xc));
	fx_reply(f, 3, 2);
	/* C4 turns PASS before confirming: {3,4} wins now, the first hand-over is abandoned. */
	assert_int_equal(fx_heuristics(f, 4, H_PASS), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0xc), P(2, 2, NACK, 1, 0xc));
	assert_int_equal(fx_client(f, 3)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);
	assert_int_equal(fx_client(f, 4)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);
	fx_reply(f, 1, 2);
	EXPECT_NO_PUSH(f);
	fx_reply(f, 2, 2);
	EXPECT_PUSHES(f, P(3, 3, ACK, 3, 0xc), P(4, 3, ACK, 3, 0xc));
}

static void test_push_failure_counts(void **state)
{
	struct fx *f = *state;
	s2_before(f);
	/* The only NACK cannot be queued: nothing to wait for, the ACK goes out at once. */
	f->fail_to = 2;
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc));
	assert_int_equal(fx_client(f, 2)->vote_info_seq, 2); /* the seq was used all the same */
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_ACKS);

	/*
	 * C2 leaves without its NACK: it may still count its old ACK, so C1 waits for the hold
	 * (doc/algorithms.md §1.5). Then the only ACK (to C1) fails as well: the hand-over ends at once.
	 */
	f->fail_to = 1;
	f->timer_expected = true;
	fx_disconnect(f, 2, false);
	EXPECT_HELD(f, 1, 2, 12000);
	EXPECT_TIMERS(f, START(1, 12000));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_HOLDING_ACKS);
	fx_advance(f, 12000);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_client(f, 1)->vote_info_seq, 3);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

static void test_disconnect_going_down(void **state)
{
	struct fx *f = *state;
	s3_split(f, H_UNDEF, H_UNDEF);
	EXPECT_PUSHES(f, P(3, 2, NACK, 3, 0xc), P(4, 2, NACK, 3, 0xc));
	fx_disconnect(f, 1, true);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_SENDING_NACKS);
	assert_partition(f, IDS(1, 2));
}

static void test_disconnect_of_last_client(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2), IDS(1), RING(1, 8));
	fx_disconnect(f, 1, false);
	EXPECT_NO_PUSH(f);
	assert_int_equal(f->cluster->quorate_partition.count, 0);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
}

/* ---- vote holds (doc/algorithms.md §1.5) ---- */

/* The 2-node split of S2 done: C1 alone with the vote (ACK confirmed), C2 with NACK confirmed. */
static void split_won_by_1(struct fx *f)
{
	s2_before(f);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	fx_confirm_all(f);
	assert_partition(f, IDS(1));
	assert_true(fx_client(f, 1)->vote_may_count);
	assert_false(fx_client(f, 2)->vote_may_count);
	f->timer_expected = true;
}

/*
 * Scenario 18's fault 6: the winner's qdevice dies during the split. Its corosync counts the vote
 * until the device timeout, so C2's partition gets the ACK only when the hold ends (upstream
 * sends it at once: both halves quorate for seconds).
 */
static void test_hold_winner_departs(void **state)
{
	struct fx *f = *state;
	split_won_by_1(f);

	fx_disconnect(f, 1, false);
	assert_partition(f, IDS(2));
	EXPECT_NO_PUSH(f);
	EXPECT_HELD(f, 2, 1, 12000);
	EXPECT_TIMERS(f, START(2, 12000));
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_HOLDING_ACKS);
	assert_int_equal(fx_client(f, 2)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);

	/* C2's late reply to its NACK (seq 2) answers an earlier push: it stays waiting for the ACK. */
	fx_reply(f, 2, 2);
	assert_int_equal(fx_client(f, 2)->ffsplit_state, FFSPLIT_CLIENT_SENDING_ACK);
	EXPECT_NO_PUSH(f);

	fx_advance(f, 12000);
	fx_timer(f, 2);
	EXPECT_PUSHES(f, P(2, 3, ACK, 2, 0xc));
	fx_reply(f, 2, 3);
	assert_int_equal(f->cluster->ffsplit_state, FFSPLIT_CLUSTER_WAITING_FOR_CHANGE);
	assert_int_equal(f->cluster->hold_count, 0);
}

/* The holds use heartbeat x 1.5 of the client that left; the wait is for the hold that ends last. */
static void test_hold_length_from_heartbeat(void **state)
{
	struct fx *f = *state;
	fx_form(f, IDS(1, 2, 3, 4), IDS(1, 2, 3, 4), RING(1, 8));
	fx_client(f, 1)->heartbeat_interval = 2000;  /* hold 3000 ms */
	fx_client(f, 2)->heartbeat_interval = 10000; /* hold 15000 ms */
	f->timer_expected = true;
	/* {1,2,3,4} still wins while the others still list the departed: no hold keeps it back. */
	fx_disconnect(f, 1, false);
	EXPECT_PUSHES(f, P(2, 2, ACK, 1, 8), P(3, 2, ACK, 1, 8), P(4, 2, ACK, 1, 8));
	fx_advance(f, 100);
	fx_disconnect(f, 2, false);
	EXPECT_PUSHES(f, P(3, 3, ACK, 1, 8), P(4, 3, ACK, 1, 8));
	fx_confirm_all(f);
	assert_int_equal(fx_membership(f, 3, RING(3, 0x10), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 4, RING(3, 0x10), IDS(3, 4), H_UNDEF), NO_CHANGE);
	EXPECT_HELD(f, 3, 2, 15000);
	EXPECT_TIMERS(f, START(3, 15000));
	fx_advance(f, 2900);
	fx_timer(f, 3); /* node 1's hold ended; node 2's has 12100 ms left */
	EXPECT_NO_PUSH(f);
	EXPECT_TIMERS(f, START(3, 12100));
	assert_int_equal(f->cluster->hold_count, 1);
	fx_advance(f, 12100);
	fx_timer(f, 3);
	EXPECT_PUSHES(f, P(3, 4, ACK, 3, 0x10), P(4, 4, ACK, 3, 0x10));
}

/* The departed node's qdevice comes back and confirms a NACK: its corosync has no vote, the hold ends. */
static void test_hold_ended_by_confirmed_nack(void **state)
{
	struct fx *f = *state;
	split_won_by_1(f);
	fx_disconnect(f, 1, false);
	EXPECT_HELD(f, 2, 1, 12000);
	EXPECT_TIMERS(f, START(2, 12000));

	fx_advance(f, 2000);
	fx_add(f, 1, RING(1, 0xc));
	assert_int_equal(fx_config(f, 1, true, IDS(1, 2)), ASK_LATER);
	/* KAP: {2} was selected last, the tie stays there; C1 gets NACK, C2 still waits. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(1, 1, NACK, 1, 0xc));
	assert_partition(f, IDS(2));
	fx_reply(f, 1, 1);
	EXPECT_PUSHES(f, P(2, 3, ACK, 2, 0xc));
	assert_int_equal(f->cluster->hold_count, 0);
	/* The timer armed for the hold finds nothing left to do. */
	fx_timer(f, 2);
	EXPECT_NO_PUSH(f);
}

/* No hold: a client that confirmed its NACK leaves, or any client while the server goes down. */
static void test_hold_not_started(void **state)
{
	struct fx *f = *state;
	split_won_by_1(f);
	fx_disconnect(f, 2, false);
	EXPECT_PUSHES(f, P(1, 3, ACK, 1, 0xc)); /* decided again without C2: {1} at once */
	assert_int_equal(f->cluster->hold_count, 0);
	fx_disconnect(f, 1, true);
	assert_int_equal(f->cluster->hold_count, 0);
	assert_int_equal(f->nheld, 0);
}

/* A NACK pushed but never confirmed leaves the node's earlier ACK possibly counted: that holds too. */
static void test_hold_after_unconfirmed_nack(void **state)
{
	struct fx *f = *state;
	s2_before(f);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), NO_CHANGE);
	EXPECT_PUSHES(f, P(2, 2, NACK, 2, 0xc));
	assert_true(fx_client(f, 2)->vote_may_count);
	f->timer_expected = true;
	fx_disconnect(f, 2, false);
	EXPECT_HELD(f, 1, 2, 12000);
	EXPECT_NO_PUSH(f);
	fx_advance(f, 12000);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0xc));
}

/* Without a clock in the io nothing is held: upstream's behaviour, at once. */
static void test_hold_needs_clock(void **state)
{
	struct fx *f = *state;
	f->io.now_ms = NULL;
	split_won_by_1(f);
	f->timer_expected = false;
	fx_disconnect(f, 1, false);
	EXPECT_PUSHES(f, P(2, 3, ACK, 2, 0xc));
	assert_int_equal(f->nheld, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s1_normal_start),
		T(test_s2_two_node_split),
		T(test_s2_two_node_split_heuristics),
		T(test_s2_heuristics_in_deciding_message),
		T(test_s3_split_tie_breaker),
		T(test_s3_split_heuristics),
		T(test_s3_split_member_not_connected),
		T(test_s3_kap_keeps_active_partition),
		T(test_s3_kap_off_on_one_client),
		T(test_s4_node_crash),
		T(test_s5_restart),
		T(test_s6_winners_disconnect),
		T(test_s7_odd_cluster),
		cmocka_unit_test(test_decision_table),
		T(test_sender_heuristics_only_as_candidate),
		T(test_stable_config_differs),
		T(test_stable_config_missing),
		T(test_stable_unlisted_client_ignored),
		T(test_stable_ring_differs),
		T(test_stable_membership_differs),
		cmocka_unit_test(test_stable_matches_reference),
		T(test_error_codes),
		T(test_ask_later),
		T(test_stale_reply_ignored),
		T(test_new_decision_during_hand_over),
		T(test_push_failure_counts),
		T(test_disconnect_going_down),
		T(test_disconnect_of_last_client),
		T(test_hold_winner_departs),
		T(test_hold_length_from_heartbeat),
		T(test_hold_ended_by_confirmed_nack),
		T(test_hold_not_started),
		T(test_hold_after_unconfirmed_nack),
		T(test_hold_needs_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
