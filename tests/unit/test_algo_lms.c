/* lms (doc/algorithms.md §5): scenarios S8–S10, RINGS_MATCH, PARTITIONS, tie-breaker quirks and the polling timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "algo_fixture.h"

static int setup(void **state)
{
	return fx_setup(state, &qnetd_algo_lms);
}

static int teardown(void **state)
{
	return fx_teardown(state);
}

/* NODE_LIST type 3 listing just the sender (its content does not matter to LMS). */
static int lms_quorum(struct fx *f, uint32_t id)
{
	return fx_quorum(f, id, &id, 1);
}

/* Connects `ids` on `ring`; each sends membership `ids` and its quorum list and gets ACK. */
static void lms_form(struct fx *f, const uint32_t *ids, size_t n, struct proto_ring_id ring)
{
	for (size_t i = 0; i < n; i++)
		fx_add(f, ids[i], ring);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fx_membership(f, ids[i], ring, ids, n, H_UNDEF), ACK);
		assert_int_equal(lms_quorum(f, ids[i]), ACK);
		assert_false(fx_armed(f, ids[i]));
	}
	EXPECT_NO_PUSH(f);
	f->ntev = 0;
}

/* Client state set directly: membership, ring, heuristics and the last answer. */
static struct qnetd_client *put(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *mem,
				size_t nmem, uint8_t heur, uint8_t last)
{
	struct qnetd_client *c = fx_add(f, id, ring);
	fx_set_list(&c->membership_list, mem, nmem);
	c->heuristics = heur;
	c->last_result = last;
	return c;
}

/* ---- worked scenarios (doc/algorithms.md §9) ---- */

/* S8 up to the point where C4's quorum list is answered; everyone else waits on its timer. */
static void s8_split(struct fx *f, uint8_t c4_quorum_vote)
{
	lms_form(f, IDS(1, 2, 3, 4), RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 3), WAIT);
	/* C4's membership is judged with its previous list {1,2,3,4}: C1 looks related. */
	assert_int_equal(fx_membership(f, 4, RING(3, 0xc), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 4), c4_quorum_vote);
	assert_true(fx_armed(f, 1) && fx_armed(f, 2) && fx_armed(f, 3));
	assert_false(fx_armed(f, 4));
	EXPECT_NO_PUSH(f);
}

static void test_s8_two_two_split_lowest(void **state)
{
	struct fx *f = *state;
	s8_split(f, NACK);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0xc));
	fx_timer(f, 2);
	EXPECT_PUSHES(f, P(2, 1, ACK, 1, 0xc));
	fx_timer(f, 3);
	EXPECT_PUSHES(f, P(3, 1, NACK, 3, 0xc));
	assert_false(fx_armed(f, 1) || fx_armed(f, 2) || fx_armed(f, 3));
}

static void test_s8_two_two_split_node_id_quirk(void **state)
{
	struct fx *f = *state;
	f->tb = (struct proto_tie_breaker){NODE, 2};
	s8_split(f, NACK);
	/* Only node 2 itself wins; its partition peer C1 gets NACK. */
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 1, NACK, 1, 0xc));
	fx_timer(f, 2);
	EXPECT_PUSHES(f, P(2, 1, ACK, 1, 0xc));
	fx_timer(f, 3);
	EXPECT_PUSHES(f, P(3, 1, NACK, 3, 0xc));
}

static void test_s9_three_one_and_last_man(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2, 3, 4), RING(1, 8));
	assert_int_equal(fx_membership(f, 4, RING(4, 0xc), IDS(4), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 4), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 3), ACK);
	fx_timer(f, 1);
	fx_timer(f, 2);
	fx_timer(f, 4);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0xc), P(2, 1, ACK, 1, 0xc), P(4, 1, NACK, 4, 0xc));

	/*
	 * Nodes 2..4 go down: the single remaining partition gets ACK, but (unlike upstream) only
	 * when the holds their departures started have ended, 1.5 heartbeats later: 2 and 3 had ACK,
	 * and 4's NACK push was never confirmed (doc/algorithms.md §1.5). Until then WAIT_FOR_REPLY,
	 * and the timer pushes the ACK.
	 */
	fx_disconnect(f, 2, false);
	fx_disconnect(f, 3, false);
	fx_disconnect(f, 4, false);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1), H_UNDEF), WAIT);
	EXPECT_HELD(f, 1, 2, 12000);
	assert_int_equal(lms_quorum(f, 1), WAIT);
	assert_int_equal(f->nheld, 0);
	EXPECT_NO_PUSH(f);
	fx_advance(f, 11999);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	assert_true(fx_armed(f, 1));
	fx_advance(f, 1);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 2, ACK, 1, 0x10));
	assert_false(fx_armed(f, 1));
}

static void test_s10_waiting_for_ring_ids(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2), RING(1, 0x10));

	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1, 2), H_UNDEF), WAIT);
	EXPECT_TIMERS(f, STOP(1), START(1, 2000));
	assert_int_equal(lms_quorum(f, 1), WAIT);
	EXPECT_TIMERS(f, STOP(1), START(1, 2000));
	/* Still waiting: the timer re-arms itself and pushes nothing. */
	fx_timer(f, 1);
	EXPECT_TIMERS(f, STOP(1), START(1, 2000));
	EXPECT_NO_PUSH(f);

	assert_int_equal(fx_membership(f, 2, RING(1, 0x14), IDS(1, 2), H_UNDEF), ACK);
	EXPECT_TIMERS(f, STOP(2));
	fx_timer(f, 1);
	EXPECT_TIMERS(f, STOP(1));
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0x14));
	assert_int_equal(fx_client(f, 1)->last_result, ACK);
}

/* ---- RINGS_MATCH and PARTITIONS ---- */

static void test_rings_match(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t mem1[2], mem2[2]; /* 0 = absent */
		uint64_t seq2;             /* C2's ring seq; C1 is on 1.c */
		uint8_t want;
	} rows[] = {
		{"C1 lists C2 on another ring", {1, 2}, {2, 0}, 0xd, WAIT},
		{"C2 lists C1 on another ring", {1, 0}, {2, 1}, 0xd, WAIT},
		{"related on the same ring", {1, 2}, {2, 1}, 0xc, ACK},
		{"unrelated on another ring", {1, 0}, {2, 0}, 0xd, ACK},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		put(f, 1, RING(1, 0xc), rows[i].mem1, rows[i].mem1[1] ? 2 : 1, H_UNDEF, UNDEFINED);
		put(f, 2, RING(rows[i].seq2 == 0xc ? 1 : 2, rows[i].seq2), rows[i].mem2, rows[i].mem2[1] ? 2 : 1,
		    H_UNDEF, UNDEFINED);
		int got = fx_ask(f, 1);
		if (got != rows[i].want)
			fail_msg("%s: got %d", rows[i].name, got);
		assert_int_equal(fx_armed(f, 1), rows[i].want == WAIT);
		assert_int_equal(fx_client(f, 1)->last_result, rows[i].want);
		assert_int_equal(teardown(&st), 0);
	}
}

static void test_partitions_need_ring_seq(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 0));
	fx_add(f, 2, RING(2, 0));
	/* No ring with seq != 0 yet: nobody to decide for. */
	assert_int_equal(fx_ask(f, 1), WAIT);
	EXPECT_TIMERS(f, STOP(1), START(1, 2000));
	/* The membership is judged before its ring is stored. */
	assert_int_equal(fx_membership(f, 1, RING(1, 5), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 1), ACK);
	assert_false(fx_armed(f, 1));
	/* A seq-0 client does not form a partition of its own either. */
	assert_int_equal(fx_ask(f, 2), ACK);
}

static void test_init_ring_is_a_partition(void **state)
{
	struct fx *f = *state;
	f->tb.mode = HIGH;
	lms_form(f, IDS(1), RING(1, 8));
	/* C2 has only sent INIT; its ring already forms a partition, and HIGHEST picks it. */
	fx_add(f, 2, RING(2, 0xc));
	assert_int_equal(fx_ask(f, 1), NACK);
}

static void test_membership_judged_on_previous_state(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1), RING(1, 0xc));
	put(f, 2, RING(2, 0xc), IDS(2), H_PASS, NACK);
	/* C2 joins C1's ring but still counts in its old (PASS, better) partition. */
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_PASS), NACK);
	/* Its quorum list re-runs with what was stored. */
	assert_int_equal(lms_quorum(f, 2), ACK);
}

static void test_newcomer_nack(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1), RING(1, 0xc));
	fx_add(f, 2, RING(2, 0xc))->heuristics = H_PASS;

	/* C2 would win on score, but C1 holds ACK on another ring. */
	assert_int_equal(lms_quorum(f, 2), NACK);
	assert_int_equal(fx_client(f, 2)->last_result, UNDEFINED);
	assert_int_equal(fx_ask(f, 2), NACK);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_PASS), NACK);
	assert_int_equal(fx_client(f, 2)->last_result, UNDEFINED);
	assert_false(fx_armed(f, 2));

	/* A WAIT_FOR_REPLY is remembered and ends the newcomer rule. */
	assert_int_equal(lms_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x14), IDS(2), H_PASS), WAIT);
	assert_int_equal(lms_quorum(f, 2), ACK);
	/* C1 is not re-evaluated: both hold ACK now. */
	assert_int_equal(fx_client(f, 1)->last_result, ACK);
	EXPECT_NO_PUSH(f);
}

static void test_score_with_heuristics(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2, 3), RING(1, 8));
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3), H_PASS), WAIT);
	assert_int_equal(lms_quorum(f, 3), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_FAIL), WAIT);
	assert_int_equal(lms_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	/* {1,2} scores 0 + 1, {3} scores 2: the smaller partition wins. */
	assert_int_equal(lms_quorum(f, 2), NACK);
	fx_timer(f, 3);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(3, 1, ACK, 3, 0xc), P(1, 1, NACK, 1, 0xc));
}

/* Votes when every client is asked, for states built directly. */
struct lms_client {
	uint32_t id; /* 0 ends */
	uint32_t ring_node;
	uint32_t mem[4];
	uint8_t heur;
	uint8_t want;
};

struct lms_case {
	const char *name;
	uint8_t tb_mode;
	uint32_t tb_node;
	struct lms_client c[6];
};

#define TWO_TWO(w1, w2, w3, w4)                                                                     \
	{{1, 1, {1, 2}, 0, w1}, {2, 1, {1, 2}, 0, w2}, {3, 3, {3, 4}, 0, w3}, {4, 3, {3, 4}, 0, w4}}

static const struct lms_case lms_cases[] = {
	{"tie-breaker lowest", LOW, 0, TWO_TWO(ACK, ACK, NACK, NACK)},
	{"tie-breaker highest", HIGH, 0, TWO_TWO(NACK, NACK, ACK, ACK)},
	{"tie-breaker node 3: only node 3", NODE, 3, TWO_TWO(NACK, NACK, ACK, NACK)},
	{"tie-breaker node 1: only node 1", NODE, 1, TWO_TWO(ACK, NACK, NACK, NACK)},
	{"tie-breaker node not connected: nobody", NODE, 9, TWO_TWO(NACK, NACK, NACK, NACK)},
	{"unique best score", LOW, 0,
	 {{1, 1, {1, 2}, H_FAIL, NACK}, {2, 1, {1, 2}, 0, NACK}, {3, 3, {3, 4}, 0, ACK}, {4, 3, {3, 4}, 0, ACK}}},
	{"equal score, larger partition wins", HIGH, 0,
	 {{1, 1, {1, 2, 3}, H_FAIL, ACK}, {2, 1, {1, 2, 3}, 0, ACK}, {3, 1, {1, 2, 3}, 0, ACK},
	  {4, 4, {4, 5}, 0, NACK}, {5, 4, {4, 5}, 0, NACK}}},
	{"largest among all partitions, not only the best-scored", HIGH, 0,
	 {{1, 1, {1, 2, 3}, H_FAIL, ACK}, {2, 1, {1, 2, 3}, H_FAIL, ACK}, {3, 1, {1, 2, 3}, H_FAIL, ACK},
	  {4, 4, {4}, H_PASS, NACK}, {5, 5, {5}, H_PASS, NACK}}},
	{"lowest: ids from 2^31 can never be the tie-breaker", LOW, 0,
	 {{0x80000001u, 0x80000001u, {0x80000001u}, 0, NACK}, {0x80000002u, 0x80000002u, {0x80000002u}, 0, NACK}}},
	{"lowest: 2^31-1 wins only as itself", LOW, 0,
	 {{0x7fffffffu, 0x7fffffffu, {0x7fffffffu}, 0, ACK}, {0x80000000u, 0x80000000u, {0x80000000u}, 0, NACK}}},
	{"lowest: below 2^31-1 as usual", LOW, 0,
	 {{0x7ffffffeu, 0x7ffffffeu, {0x7ffffffeu}, 0, ACK}, {0x80000000u, 0x80000000u, {0x80000000u}, 0, NACK}}},
};

static void test_decision_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lms_cases) / sizeof(lms_cases[0]); i++) {
		const struct lms_case *k = &lms_cases[i];
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		f->tb = (struct proto_tie_breaker){k->tb_mode, k->tb_node};
		for (const struct lms_client *c = k->c; c->id != 0; c++) {
			size_t n = 0;
			while (n < 4 && c->mem[n] != 0)
				n++;
			/* A known last answer keeps the newcomer rule out of the way. */
			put(f, c->id, RING(c->ring_node, 0xc), c->mem, n, c->heur, ACK);
		}
		for (const struct lms_client *c = k->c; c->id != 0; c++) {
			int got = fx_ask(f, c->id);
			if (got != c->want)
				fail_msg("%s: C%u got %d want %u", k->name, c->id, got, c->want);
		}
		assert_int_equal(teardown(&st), 0);
	}
}

/* ---- the algorithm timer ---- */

static void test_timer_interval(void **state)
{
	(void)state;
	static const struct {
		uint32_t heartbeat, interval; /* 0: no timer */
	} rows[] = {
		{8000, 2000}, {7, 1}, {4, 1}, {3, 0}, {0, 0}, {72000000, 18000000}, {72000004, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		f->heartbeat = rows[i].heartbeat;
		fx_add(f, 1, RING(1, 0));
		assert_int_equal(fx_ask(f, 1), WAIT);
		if (rows[i].interval != 0)
			EXPECT_TIMERS(f, STOP(1), START(1, rows[i].interval));
		else
			EXPECT_TIMERS(f, STOP(1));
		assert_int_equal(teardown(&st), 0);
	}
}

static void test_timer_push_sequence(void **state)
{
	struct fx *f = *state;
	f->tb.mode = HIGH;
	lms_form(f, IDS(1, 2), RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), ACK);
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0xc));

	/* Split: C1's next decision from its timer is NACK, with the next seq and its new ring. */
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(2), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(lms_quorum(f, 2), ACK);
	f->ntev = 0;
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0x10));
	EXPECT_TIMERS(f, STOP(1));

	/* A push that cannot be queued is the daemon's problem; the seq is used anyway. */
	f->fail_to = 1;
	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1, 2), H_UNDEF), NACK);
	assert_int_equal(lms_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0x14), IDS(1, 2), H_UNDEF), ACK);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_client(f, 1)->vote_info_seq, 3);
}

static void test_other_hooks(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2), RING(1, 8));
	uint8_t vote = 0;
	const struct qnetd_node_list empty = {0};

	/* No validation of the config list, no evaluation. */
	assert_int_equal(qnetd_algo_lms.config_node_list(&f->io, fx_client(f, 1), &empty, true, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	/* A heuristics change is not evaluated... */
	assert_int_equal(qnetd_algo_lms.heuristics_change(&f->io, fx_client(f, 2), H_PASS, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	fx_client(f, 2)->heuristics = H_PASS;
	assert_int_equal(qnetd_algo_lms.vote_info_reply(&f->io, fx_client(f, 1), 7), PROTO_ERR_NO_ERROR);
	EXPECT_NO_TIMER(f);
	EXPECT_NO_PUSH(f);
	/* ...but the stored value counts at the next evaluation: C2 PASS beats C1. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_PASS), WAIT);
	assert_int_equal(lms_quorum(f, 1), NACK);
	assert_int_equal(lms_quorum(f, 2), ACK);
	assert_int_equal(fx_ask(f, 1), NACK);

	/* A disconnect stops the leaving client's timer and re-evaluates nobody. */
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_PASS), NACK);
	assert_int_equal(lms_quorum(f, 2), WAIT);
	assert_true(fx_armed(f, 2));
	f->ntev = 0;
	fx_disconnect(f, 2, false);
	EXPECT_TIMERS(f, STOP(2));
	EXPECT_NO_PUSH(f);
	assert_int_equal(fx_client(f, 1)->last_result, NACK);
}

/*
 * doc/algorithms.md §5.2 literally, partitions by comparing every client with every other (the
 * code before sorting by ring id, doc/hardening.md §7.5), as the reference for lms_eval.
 */
static uint8_t ref_eval(const struct qnetd_cluster *cl, const struct qnetd_client *c, struct proto_ring_id r)
{
	for (size_t i = 0; i < cl->client_count; i++) {
		const struct qnetd_client *y = cl->clients[i];
		bool related = y != c && (qnetd_node_list_contains(&c->membership_list, y->node_id) ||
					  qnetd_node_list_contains(&y->membership_list, c->node_id));
		if (related && !proto_ring_id_equal(&y->ring_id, &r))
			return WAIT;
	}
	struct proto_ring_id rings[FX_MAXN];
	long score[FX_MAXN], size[FX_MAXN];
	size_t np = 0;
	for (size_t i = 0; i < cl->client_count; i++) {
		const struct qnetd_client *y = cl->clients[i];
		if (y->ring_id.seq == 0)
			continue;
		size_t k = 0;
		while (k < np && !proto_ring_id_equal(&rings[k], &y->ring_id))
			k++;
		if (k == np) {
			rings[np] = y->ring_id;
			score[np] = size[np] = 0;
			np++;
		}
		size[k]++;
		score[k] += 1 + (y->heuristics == H_PASS) - (y->heuristics == H_FAIL);
	}
	if (np == 0)
		return WAIT;
	if (np == 1)
		return ACK;
	if (qnetd_algo_newcomer_must_wait(c, &r))
		return NACK;
	const long *keys[2] = {score, size};
	for (int k = 0; k < 2; k++) {
		size_t best = 0;
		bool unique = true;
		for (size_t i = 1; i < np; i++) {
			if (keys[k][i] > keys[k][best]) {
				best = i;
				unique = true;
			} else if (keys[k][i] == keys[k][best]) {
				unique = false;
			}
		}
		if (unique)
			return proto_ring_id_equal(&rings[best], &r) ? ACK : NACK;
	}
	return 0; /* the tie-breaker: not compared here */
}

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* Sorted partitions and binary-searched memberships give the reference's answer on random states. */
static void test_eval_matches_reference(void **state)
{
	size_t decided = 0, waited = 0;
	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		void *st;
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		static const uint8_t heur[] = {H_UNDEF, H_PASS, H_FAIL};
		static const uint8_t last[] = {UNDEFINED, ACK, NACK, WAIT};
		/* Few distinct rings, some with sequence 0, so partitions collide and tie. */
		struct proto_ring_id rings[9];
		bool present[9];
		for (uint32_t id = 1; id <= 8; id++) {
			present[id] = rnd(4) != 0;
			rings[id] = RING(1 + rnd(3), rnd(3));
		}
		for (uint32_t id = 1; id <= 8; id++) {
			if (!present[id])
				continue;
			/* Mostly the nodes on its own ring (an honest view), sometimes anything. */
			bool honest = rnd(4) != 0;
			uint32_t mem[FX_MAXN];
			size_t n = 0;
			for (uint32_t m = 1; m <= 8; m++)
				if (m == id || (honest ? proto_ring_id_equal(&rings[m], &rings[id]) : rnd(3) == 0))
					mem[n++] = m;
			put(f, id, rings[id], mem, n, heur[rnd(3)], last[rnd(4)]);
		}
		if (f->cluster->client_count == 0) {
			assert_int_equal(teardown(&st), 0);
			continue;
		}
		struct qnetd_client *c = f->cluster->clients[rnd((uint32_t)f->cluster->client_count)];
		uint8_t want = ref_eval(f->cluster, c, c->ring_id);
		int got = fx_ask(f, c->node_id);
		if (want != 0) {
			assert_int_equal(got, want);
			if (want == WAIT)
				waited++;
			else
				decided++;
		}
		assert_int_equal(teardown(&st), 0);
	}
	print_message("decided %zu, waited %zu\n", decided, waited);
	assert_true(decided > 2000);
	assert_true(waited > 2000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s8_two_two_split_lowest),
		T(test_s8_two_two_split_node_id_quirk),
		T(test_s9_three_one_and_last_man),
		T(test_s10_waiting_for_ring_ids),
		cmocka_unit_test(test_rings_match),
		T(test_partitions_need_ring_seq),
		T(test_init_ring_is_a_partition),
		T(test_membership_judged_on_previous_state),
		T(test_newcomer_nack),
		T(test_score_with_heuristics),
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_timer_interval),
		T(test_timer_push_sequence),
		T(test_other_hooks),
		cmocka_unit_test(test_eval_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
