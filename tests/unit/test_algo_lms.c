/* lms (qnetd.md §10.5): scenarios S8–S10, RINGS_MATCH, PARTITIONS, tie-breaker quirks and the polling timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "algo.h"

#define MAXN 32

#define ACK PROTO_VOTE_ACK
#define NACK PROTO_VOTE_NACK
#define WAIT PROTO_VOTE_WAIT_FOR_REPLY
#define NO_CHANGE PROTO_VOTE_NO_CHANGE
#define UNDEFINED PROTO_VOTE_UNDEFINED
#define H_UNDEF PROTO_HEURISTICS_UNDEFINED
#define H_PASS PROTO_HEURISTICS_PASS
#define H_FAIL PROTO_HEURISTICS_FAIL
#define LOW PROTO_TIE_BREAKER_LOWEST
#define HIGH PROTO_TIE_BREAKER_HIGHEST
#define NODE PROTO_TIE_BREAKER_NODE_ID

#define RING(n, s) ((struct proto_ring_id){(n), (s)})
#define IDS(...) (const uint32_t[]){__VA_ARGS__}, (sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

struct push {
	uint32_t to;
	uint32_t seq;
	uint8_t vote;
	uint32_t ring_node;
	uint64_t ring_seq;
};

/* One timer call: start (with its interval) or stop. */
struct timer_ev {
	uint32_t node;
	char kind; /* 'S' start, 'X' stop */
	uint32_t interval;
};

struct fx {
	struct qnetd_cluster *cluster;
	struct qnetd_algo_io io;
	struct proto_tie_breaker tb;
	uint32_t heartbeat;
	uint32_t fail_to;
	struct push pushes[MAXN];
	size_t npush;
	struct timer_ev tev[4 * MAXN];
	size_t ntev;
	bool armed[MAXN]; /* by fixture slot, reached through client->owner */
	size_t nslots;
};

static int rec_send(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote, const struct proto_ring_id *ring)
{
	struct fx *f = ctx;
	if (to->node_id == f->fail_to)
		return -1;
	assert_true(f->npush < MAXN);
	f->pushes[f->npush++] = (struct push){to->node_id, seq, vote, ring->node_id, ring->seq};
	return 0;
}

static void rec_timer_start(void *ctx, struct qnetd_client *client, uint32_t interval_ms)
{
	struct fx *f = ctx;
	assert_true(f->ntev < 4 * MAXN);
	f->tev[f->ntev++] = (struct timer_ev){client->node_id, 'S', interval_ms};
	*(bool *)client->owner = true;
}

static void rec_timer_stop(void *ctx, struct qnetd_client *client)
{
	struct fx *f = ctx;
	assert_true(f->ntev < 4 * MAXN);
	f->tev[f->ntev++] = (struct timer_ev){client->node_id, 'X', 0};
	*(bool *)client->owner = false;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->cluster = qnetd_cluster_create((const uint8_t *)"c", 1);
	assert_non_null(f->cluster);
	f->io = (struct qnetd_algo_io){f, rec_send, rec_timer_start, rec_timer_stop};
	f->tb = (struct proto_tie_breaker){LOW, 0};
	f->heartbeat = 8000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	while (f->cluster->client_count > 0) {
		struct qnetd_client *c = f->cluster->clients[0];
		qnetd_cluster_remove_client(f->cluster, c);
		qnetd_client_destroy(c);
		free(c);
	}
	qnetd_cluster_destroy(f->cluster);
	free(f);
	return 0;
}

static struct qnetd_client *cl(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = qnetd_cluster_find_client(f->cluster, id);
	assert_non_null(c);
	return c;
}

static bool armed(struct fx *f, uint32_t id)
{
	return *(bool *)cl(f, id)->owner;
}

static struct qnetd_client *fx_add(struct fx *f, uint32_t id, struct proto_ring_id init_ring)
{
	struct qnetd_client *c = malloc(sizeof(*c));
	assert_non_null(c);
	assert_true(f->nslots < MAXN);
	qnetd_client_init(c, &f->armed[f->nslots++]);
	c->node_id = id;
	c->algorithm = PROTO_ALGO_LMS;
	c->tie_breaker = f->tb;
	c->heartbeat_interval = f->heartbeat;
	c->ring_id = init_ring;
	assert_int_equal(qnetd_cluster_add_client(f->cluster, c), 0);
	assert_int_equal(qnetd_algo_lms.init(&f->io, c), PROTO_ERR_NO_ERROR);
	assert_int_equal(c->last_result, UNDEFINED);
	return c;
}

static void fx_disconnect(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = cl(f, id);
	qnetd_algo_lms.client_disconnect(&f->io, c, false);
	qnetd_cluster_remove_client(f->cluster, c);
	qnetd_client_destroy(c);
	free(c);
}

static void set_list(struct node_list *l, const uint32_t *ids, size_t n)
{
	struct msg_node_info nodes[MAXN];
	assert_true(n <= MAXN);
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct msg_node_info){ids[i], 0, PROTO_NODE_STATE_MEMBER};
	assert_int_equal(node_list_set(l, nodes, n), 0);
}

/* NODE_LIST type 2, stored after the hook like the daemon does. */
static int fx_membership(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *ids, size_t n,
			 uint8_t heur)
{
	struct qnetd_client *c = cl(f, id);
	struct msg_node_info nodes[MAXN];
	uint8_t vote = 0;
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct msg_node_info){ids[i], 0, PROTO_NODE_STATE_MEMBER};
	assert_int_equal(qnetd_algo_lms.membership_node_list(&f->io, c, &ring, nodes, n, heur, &vote),
			 PROTO_ERR_NO_ERROR);
	set_list(&c->membership_list, ids, n);
	c->ring_id = ring;
	c->membership_heuristics = heur;
	c->heuristics = heur;
	return vote;
}

/* NODE_LIST type 3 (its content does not matter to LMS). */
static int fx_quorum(struct fx *f, uint32_t id)
{
	struct msg_node_info n1 = {id, 0, PROTO_NODE_STATE_MEMBER};
	uint8_t vote = 0;
	assert_int_equal(qnetd_algo_lms.quorum_node_list(&f->io, cl(f, id), PROTO_QUORATE, &n1, 1, &vote),
			 PROTO_ERR_NO_ERROR);
	return vote;
}

static int fx_ask(struct fx *f, uint32_t id)
{
	uint8_t vote = 0;
	assert_int_equal(qnetd_algo_lms.ask_for_vote(&f->io, cl(f, id), &vote), PROTO_ERR_NO_ERROR);
	return vote;
}

static void fx_timer(struct fx *f, uint32_t id)
{
	assert_int_equal(qnetd_algo_lms.timer(&f->io, cl(f, id)), PROTO_ERR_NO_ERROR);
}

static void check_pushes(struct fx *f, const struct push *want, size_t n, int line)
{
	for (size_t i = 0; i < f->npush || i < n; i++) {
		const struct push *g = i < f->npush ? &f->pushes[i] : NULL;
		const struct push *w = i < n ? &want[i] : NULL;
		if (g != NULL && w != NULL && g->to == w->to && g->seq == w->seq && g->vote == w->vote &&
		    g->ring_node == w->ring_node && g->ring_seq == w->ring_seq)
			continue;
		if (g != NULL)
			print_error("line %d push %zu: got ->C%u seq %u vote %u ring %x.%llx\n", line, i, g->to,
				    g->seq, g->vote, g->ring_node, (unsigned long long)g->ring_seq);
		if (w != NULL)
			print_error("line %d push %zu: want ->C%u seq %u vote %u ring %x.%llx\n", line, i, w->to,
				    w->seq, w->vote, w->ring_node, (unsigned long long)w->ring_seq);
		fail();
	}
	f->npush = 0;
}

#define EXPECT_PUSHES(f, ...)                                                                   \
	check_pushes((f), (const struct push[]){__VA_ARGS__},                                   \
		     sizeof((const struct push[]){__VA_ARGS__}) / sizeof(struct push), __LINE__)
#define EXPECT_NO_PUSH(f) check_pushes((f), NULL, 0, __LINE__)
#define P(to, seq, vote, rn, rs) {(to), (seq), (vote), (rn), (rs)}

static void check_timers(struct fx *f, const struct timer_ev *want, size_t n, int line)
{
	for (size_t i = 0; i < f->ntev || i < n; i++) {
		const struct timer_ev *g = i < f->ntev ? &f->tev[i] : NULL;
		const struct timer_ev *w = i < n ? &want[i] : NULL;
		if (g != NULL && w != NULL && g->node == w->node && g->kind == w->kind && g->interval == w->interval)
			continue;
		if (g != NULL)
			print_error("line %d timer %zu: got C%u %c %u\n", line, i, g->node, g->kind, g->interval);
		if (w != NULL)
			print_error("line %d timer %zu: want C%u %c %u\n", line, i, w->node, w->kind, w->interval);
		fail();
	}
	f->ntev = 0;
}

#define EXPECT_TIMERS(f, ...)                                                                   \
	check_timers((f), (const struct timer_ev[]){__VA_ARGS__},                               \
		     sizeof((const struct timer_ev[]){__VA_ARGS__}) / sizeof(struct timer_ev), __LINE__)
#define EXPECT_NO_TIMER(f) check_timers((f), NULL, 0, __LINE__)
#define START(n, ms) {(n), 'S', (ms)}
#define STOP(n) {(n), 'X', 0}

/* Connects `ids` on `ring`; each sends membership `ids` and its quorum list and gets ACK. */
static void lms_form(struct fx *f, const uint32_t *ids, size_t n, struct proto_ring_id ring)
{
	for (size_t i = 0; i < n; i++)
		fx_add(f, ids[i], ring);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fx_membership(f, ids[i], ring, ids, n, H_UNDEF), ACK);
		assert_int_equal(fx_quorum(f, ids[i]), ACK);
		assert_false(armed(f, ids[i]));
	}
	EXPECT_NO_PUSH(f);
	f->ntev = 0;
}

/* Client state set directly: membership, ring, heuristics and the last answer. */
static struct qnetd_client *put(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *mem,
				size_t nmem, uint8_t heur, uint8_t last)
{
	struct qnetd_client *c = fx_add(f, id, ring);
	set_list(&c->membership_list, mem, nmem);
	c->heuristics = heur;
	c->last_result = last;
	return c;
}

/* ---- worked scenarios (§10.6) ---- */

/* S8 up to the point where C4's quorum list is answered; everyone else waits on its timer. */
static void s8_split(struct fx *f, uint8_t c4_quorum_vote)
{
	lms_form(f, IDS(1, 2, 3, 4), RING(1, 8));
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 3), WAIT);
	/* C4's membership is judged with its previous list {1,2,3,4}: C1 looks related. */
	assert_int_equal(fx_membership(f, 4, RING(3, 0xc), IDS(3, 4), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 4), c4_quorum_vote);
	assert_true(armed(f, 1) && armed(f, 2) && armed(f, 3));
	assert_false(armed(f, 4));
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
	assert_false(armed(f, 1) || armed(f, 2) || armed(f, 3));
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
	assert_int_equal(fx_quorum(f, 4), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 3, RING(1, 0xc), IDS(1, 2, 3), H_UNDEF), WAIT);
	assert_int_equal(fx_quorum(f, 3), ACK);
	fx_timer(f, 1);
	fx_timer(f, 2);
	fx_timer(f, 4);
	EXPECT_PUSHES(f, P(1, 1, ACK, 1, 0xc), P(2, 1, ACK, 1, 0xc), P(4, 1, NACK, 4, 0xc));

	/* Nodes 2..4 go down: the single remaining partition gets ACK. */
	fx_disconnect(f, 2);
	fx_disconnect(f, 3);
	fx_disconnect(f, 4);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x10), IDS(1), H_UNDEF), ACK);
	assert_int_equal(fx_quorum(f, 1), ACK);
	EXPECT_NO_PUSH(f);
}

static void test_s10_waiting_for_ring_ids(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2), RING(1, 0x10));

	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1, 2), H_UNDEF), WAIT);
	EXPECT_TIMERS(f, STOP(1), START(1, 2000));
	assert_int_equal(fx_quorum(f, 1), WAIT);
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
	assert_int_equal(cl(f, 1)->last_result, ACK);
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
		assert_int_equal(armed(f, 1), rows[i].want == WAIT);
		assert_int_equal(cl(f, 1)->last_result, rows[i].want);
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
	assert_int_equal(fx_quorum(f, 1), ACK);
	assert_false(armed(f, 1));
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
	assert_int_equal(fx_quorum(f, 2), ACK);
}

static void test_newcomer_nack(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1), RING(1, 0xc));
	fx_add(f, 2, RING(2, 0xc))->heuristics = H_PASS;

	/* C2 would win on score, but C1 holds ACK on another ring. */
	assert_int_equal(fx_quorum(f, 2), NACK);
	assert_int_equal(cl(f, 2)->last_result, UNDEFINED);
	assert_int_equal(fx_ask(f, 2), NACK);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_PASS), NACK);
	assert_int_equal(cl(f, 2)->last_result, UNDEFINED);
	assert_false(armed(f, 2));

	/* A WAIT_FOR_REPLY is remembered and ends the newcomer rule. */
	assert_int_equal(fx_quorum(f, 2), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x14), IDS(2), H_PASS), WAIT);
	assert_int_equal(fx_quorum(f, 2), ACK);
	/* C1 is not re-evaluated: both hold ACK now. */
	assert_int_equal(cl(f, 1)->last_result, ACK);
	EXPECT_NO_PUSH(f);
}

static void test_score_with_heuristics(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2, 3), RING(1, 8));
	assert_int_equal(fx_membership(f, 3, RING(3, 0xc), IDS(3), H_PASS), WAIT);
	assert_int_equal(fx_quorum(f, 3), WAIT);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1, 2), H_FAIL), WAIT);
	assert_int_equal(fx_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0xc), IDS(1, 2), H_UNDEF), WAIT);
	/* {1,2} scores 0 + 1, {3} scores 2: the smaller partition wins. */
	assert_int_equal(fx_quorum(f, 2), NACK);
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
	assert_int_equal(fx_quorum(f, 2), ACK);
	f->ntev = 0;
	fx_timer(f, 1);
	EXPECT_PUSHES(f, P(1, 2, NACK, 1, 0x10));
	EXPECT_TIMERS(f, STOP(1));

	/* A push that cannot be queued is the daemon's problem; the seq is used anyway. */
	f->fail_to = 1;
	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1, 2), H_UNDEF), NACK);
	assert_int_equal(fx_quorum(f, 1), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(1, 0x14), IDS(1, 2), H_UNDEF), ACK);
	fx_timer(f, 1);
	EXPECT_NO_PUSH(f);
	assert_int_equal(cl(f, 1)->vote_info_seq, 3);
}

static void test_other_hooks(void **state)
{
	struct fx *f = *state;
	lms_form(f, IDS(1, 2), RING(1, 8));
	uint8_t vote = 0;

	/* No validation of the config list, no evaluation. */
	assert_int_equal(qnetd_algo_lms.config_node_list(&f->io, cl(f, 1), NULL, 0, true, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	/* A heuristics change is not evaluated... */
	assert_int_equal(qnetd_algo_lms.heuristics_change(&f->io, cl(f, 2), H_PASS, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	cl(f, 2)->heuristics = H_PASS;
	assert_int_equal(qnetd_algo_lms.vote_info_reply(&f->io, cl(f, 1), 7), PROTO_ERR_NO_ERROR);
	EXPECT_NO_TIMER(f);
	EXPECT_NO_PUSH(f);
	/* ...but the stored value counts at the next evaluation: C2 PASS beats C1. */
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), WAIT);
	assert_int_equal(fx_membership(f, 2, RING(2, 0xc), IDS(2), H_PASS), WAIT);
	assert_int_equal(fx_quorum(f, 1), NACK);
	assert_int_equal(fx_quorum(f, 2), ACK);
	assert_int_equal(fx_ask(f, 1), NACK);

	/* A disconnect stops the leaving client's timer and re-evaluates nobody. */
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_PASS), NACK);
	assert_int_equal(fx_quorum(f, 2), WAIT);
	assert_true(armed(f, 2));
	f->ntev = 0;
	fx_disconnect(f, 2);
	EXPECT_TIMERS(f, STOP(2));
	EXPECT_NO_PUSH(f);
	assert_int_equal(cl(f, 1)->last_result, NACK);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
