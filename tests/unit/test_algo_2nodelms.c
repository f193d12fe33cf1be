/* 2nodelms (qnetd.md §10.4): scenario S11, config size, heuristics and tie-breaker rules, the unremembered NACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "algo.h"

#define MAXN 16

#define ACK PROTO_VOTE_ACK
#define NACK PROTO_VOTE_NACK
#define ASK_LATER PROTO_VOTE_ASK_LATER
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

/* A cluster and an io that must never be used: 2nodelms answers only in replies. */
struct fx {
	struct qnetd_cluster *cluster;
	struct qnetd_algo_io io;
	struct proto_tie_breaker tb;
	size_t io_calls;
};

static int rec_send(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote, const struct proto_ring_id *ring)
{
	(void)to;
	(void)seq;
	(void)vote;
	(void)ring;
	((struct fx *)ctx)->io_calls++;
	return 0;
}

static void rec_timer_start(void *ctx, struct qnetd_client *client, uint32_t interval_ms)
{
	(void)client;
	(void)interval_ms;
	((struct fx *)ctx)->io_calls++;
}

static void rec_timer_stop(void *ctx, struct qnetd_client *client)
{
	(void)client;
	((struct fx *)ctx)->io_calls++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->cluster = qnetd_cluster_create((const uint8_t *)"c", 1);
	assert_non_null(f->cluster);
	f->io = (struct qnetd_algo_io){f, rec_send, rec_timer_start, rec_timer_stop};
	f->tb = (struct proto_tie_breaker){LOW, 0};
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
	assert_int_equal(f->io_calls, 0);
	free(f);
	return 0;
}

static struct qnetd_client *cl(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = qnetd_cluster_find_client(f->cluster, id);
	assert_non_null(c);
	return c;
}

static struct qnetd_client *fx_add(struct fx *f, uint32_t id, struct proto_ring_id init_ring)
{
	struct qnetd_client *c = malloc(sizeof(*c));
	assert_non_null(c);
	qnetd_client_init(c, NULL);
	c->node_id = id;
	c->algorithm = PROTO_ALGO_2NODELMS;
	c->tie_breaker = f->tb;
	c->heartbeat_interval = 8000;
	c->ring_id = init_ring;
	assert_int_equal(qnetd_cluster_add_client(f->cluster, c), 0);
	assert_int_equal(qnetd_algo_2nodelms.init(&f->io, c), PROTO_ERR_NO_ERROR);
	assert_int_equal(c->last_result, UNDEFINED);
	return c;
}

static void fx_disconnect(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = cl(f, id);
	qnetd_algo_2nodelms.client_disconnect(&f->io, c, false);
	qnetd_cluster_remove_client(f->cluster, c);
	qnetd_client_destroy(c);
	free(c);
}

static size_t to_nodes(const uint32_t *ids, size_t n, struct msg_node_info *out)
{
	assert_true(n <= MAXN);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct msg_node_info){ids[i], 0, PROTO_NODE_STATE_MEMBER};
	return n;
}

/* NODE_LIST type 0: the reply vote or -error; stored only on success. */
static int fx_config(struct fx *f, uint32_t id, const uint32_t *ids, size_t n)
{
	struct qnetd_client *c = cl(f, id);
	struct msg_node_info nodes[MAXN];
	uint8_t vote = 0;
	to_nodes(ids, n, nodes);
	enum proto_reply_error err = qnetd_algo_2nodelms.config_node_list(&f->io, c, nodes, n, true, &vote);
	if (err != PROTO_ERR_NO_ERROR)
		return -(int)err;
	assert_int_equal(node_list_set(&c->config_list, nodes, n), 0);
	return vote;
}

static int fx_membership(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *ids, size_t n,
			 uint8_t heur)
{
	struct qnetd_client *c = cl(f, id);
	struct msg_node_info nodes[MAXN];
	uint8_t vote = 0;
	to_nodes(ids, n, nodes);
	enum proto_reply_error err =
		qnetd_algo_2nodelms.membership_node_list(&f->io, c, &ring, nodes, n, heur, &vote);
	if (err != PROTO_ERR_NO_ERROR)
		return -(int)err;
	assert_int_equal(node_list_set(&c->membership_list, nodes, n), 0);
	c->ring_id = ring;
	c->membership_heuristics = heur;
	c->heuristics = heur;
	return vote;
}

static int fx_ask(struct fx *f, uint32_t id)
{
	uint8_t vote = 0;
	assert_int_equal(qnetd_algo_2nodelms.ask_for_vote(&f->io, cl(f, id), &vote), PROTO_ERR_NO_ERROR);
	return vote;
}

/* Two clients that see each other on ring 1.8: both ACK. */
static void pair_formed(struct fx *f)
{
	fx_add(f, 1, RING(1, 8));
	fx_add(f, 2, RING(1, 8));
	assert_int_equal(fx_config(f, 1, IDS(1, 2)), NO_CHANGE);
	assert_int_equal(fx_config(f, 2, IDS(1, 2)), NO_CHANGE);
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

	/* Node 2 down: the only client gets ACK. */
	fx_disconnect(f, 2);
	assert_int_equal(fx_membership(f, 1, RING(1, 0x14), IDS(1), H_UNDEF), ACK);

	/* Node 2 restarts isolated while C1 holds ACK: NACK, not remembered. */
	fx_add(f, 2, RING(2, 0x18));
	assert_int_equal(fx_config(f, 2, IDS(1, 2)), NO_CHANGE);
	assert_int_equal(fx_membership(f, 2, RING(2, 0x18), IDS(2), H_PASS), NACK);
	assert_int_equal(cl(f, 2)->last_result, UNDEFINED);
	assert_int_equal(fx_ask(f, 2), ASK_LATER);
	assert_int_equal(fx_ask(f, 1), ACK);
}

static void test_config_size(void **state)
{
	struct fx *f = *state;
	fx_add(f, 1, RING(1, 8));
	assert_int_equal(fx_config(f, 1, NULL, 0), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(fx_config(f, 1, IDS(1)), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(fx_config(f, 1, IDS(1, 2, 3)), -PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM);
	assert_int_equal(cl(f, 1)->config_list.count, 0);
	/* Only the size is checked, not the content. */
	assert_int_equal(fx_config(f, 1, IDS(5, 5)), NO_CHANGE);
	assert_int_equal(fx_config(f, 1, IDS(1, 2)), NO_CHANGE);
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
		cl(f, rows[i].sender)->heuristics = rows[i].sender_stored;
		cl(f, other)->heuristics = rows[i].other;
		int got = fx_membership(f, rows[i].sender, RING(rows[i].sender, 0xc), IDS(rows[i].sender),
					rows[i].sender_new);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d want %u", i, got, rows[i].want);
		assert_int_equal(cl(f, rows[i].sender)->last_result, rows[i].want);
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
	cl(f, 2)->last_result = NACK;
	cl(f, 3)->last_result = NACK;
	cl(f, 1)->heuristics = H_PASS;
	cl(f, 3)->heuristics = H_FAIL;
	/* C2 UNDEFINED against C3's FAIL (not C1's PASS). */
	assert_int_equal(fx_membership(f, 2, RING(2, 9), IDS(2), H_UNDEF), ACK);
	/* C3 against C2 (stored UNDEFINED now): equal, and 3 is not the lowest. */
	assert_int_equal(fx_membership(f, 3, RING(3, 9), IDS(3), H_UNDEF), NACK);
	/* C1 against C3 (UNDEFINED now): equal, 1 is the lowest. */
	cl(f, 1)->heuristics = H_UNDEF;
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
	fx_disconnect(f, 2);
	assert_int_equal(fx_membership(f, 1, RING(1, 0xc), IDS(1), H_UNDEF), ACK);

	/* A full membership does not help a newcomer on another ring either. */
	fx_add(f, 2, RING(2, 0x10));
	assert_int_equal(fx_membership(f, 2, RING(2, 0x10), IDS(1, 2), H_UNDEF), NACK);
	assert_int_equal(cl(f, 2)->last_result, UNDEFINED);
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
	fx_disconnect(f, 2);
	cl(f, 1)->last_result = NACK;
	fx_add(f, 2, RING(2, 0x14));
	assert_int_equal(fx_membership(f, 2, RING(2, 0x14), IDS(2), H_PASS), ACK);
	/* Nor does a peer holding ACK on the newcomer's own ring. */
	fx_disconnect(f, 2);
	cl(f, 1)->last_result = ACK;
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
	assert_int_equal(qnetd_algo_2nodelms.quorum_node_list(&f->io, cl(f, 1), 1, &n1, 1, &vote),
			 PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	/* A heuristics change is not evaluated. */
	assert_int_equal(qnetd_algo_2nodelms.heuristics_change(&f->io, cl(f, 1), H_FAIL, &vote), PROTO_ERR_NO_ERROR);
	assert_int_equal(vote, NO_CHANGE);
	assert_int_equal(cl(f, 1)->last_result, ACK);
	assert_int_equal(qnetd_algo_2nodelms.vote_info_reply(&f->io, cl(f, 1), 1), PROTO_ERR_NO_ERROR);
	assert_int_equal(qnetd_algo_2nodelms.timer(&f->io, cl(f, 1)), PROTO_ERR_NO_ERROR);
	/* The survivor is not re-evaluated when its peer leaves. */
	fx_disconnect(f, 2);
	assert_int_equal(cl(f, 1)->last_result, ACK);
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
