/* qnetd_deferred: one connection's waiting requests keep their order, one of each kind, the newest wins (tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qnetd_deferred.h"

#define CFG QNETD_DEFERRED_CONFIG_LIST
#define MEM QNETD_DEFERRED_MEMBERSHIP_LIST
#define QUO QNETD_DEFERRED_QUORUM_LIST
#define ASK QNETD_DEFERRED_ASK_FOR_VOTE
#define HEU QNETD_DEFERRED_HEURISTICS_CHANGE
#define VIR QNETD_DEFERRED_VOTE_INFO_REPLY
#define TIM QNETD_DEFERRED_ALGO_TIMER

/* A decoded message that owns memory (nodes), numbered by its sequence number. */
static void decoded(struct msg *out, uint32_t seq)
{
	static const struct msg_node_info nodes[] = {{1, 0, 0}, {2, 0, 0}};
	struct msg m;
	struct msg_decode_error err;
	uint8_t buf[256];
	msg_init(&m, PROTO_MSG_NODE_LIST);
	m.seq_number = seq;
	m.node_list_type = PROTO_NODE_LIST_MEMBERSHIP;
	m.ring_id.node_id = 1;
	m.ring_id.seq = 4;
	m.nodes = nodes;
	m.node_count = 2;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	msg_set_present(&m, PROTO_OPT_RING_ID);
	msg_set_present(&m, PROTO_OPT_NODE_INFO);
	long n = msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(msg_decode(buf, (size_t)n, out, &err), 0);
}

struct push {
	enum qnetd_deferred_kind kind;
	uint32_t seq;                       /* 0: no message (the timer) */
	int superseded;                     /* what push returns */
};

struct want {
	enum qnetd_deferred_kind kind;
	uint32_t seq;
};

struct queue_case {
	const char *name;
	struct push pushes[12];
	size_t npush;
	struct want order[8];               /* what pop gives, in order */
	size_t nwant;
};

static void test_order_and_coalescing(void **state)
{
	static const struct queue_case cases[] = {
		{"one of each, in order", {{CFG, 1, 0}, {MEM, 2, 0}, {QUO, 3, 0}}, 3,
		 {{CFG, 1}, {MEM, 2}, {QUO, 3}}, 3},
		{"the newest of a kind wins and moves to the end", {{MEM, 1, 0}, {QUO, 2, 0}, {MEM, 3, 1}}, 3,
		 {{QUO, 2}, {MEM, 3}}, 2},
		{"a storm of memberships is one", {{MEM, 1, 0}, {MEM, 2, 1}, {MEM, 3, 1}, {MEM, 4, 1}}, 4,
		 {{MEM, 4}}, 1},
		{"every kind at once, twice", {{CFG, 1, 0}, {MEM, 2, 0}, {QUO, 3, 0}, {ASK, 4, 0}, {HEU, 5, 0},
		  {VIR, 6, 0}, {TIM, 0, 0}, {QUO, 7, 1}, {MEM, 8, 1}, {VIR, 9, 1}, {TIM, 0, 1}, {CFG, 10, 1}}, 12,
		 {{ASK, 4}, {HEU, 5}, {QUO, 7}, {MEM, 8}, {VIR, 9}, {TIM, 0}, {CFG, 10}}, 7},
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct queue_case *k = &cases[c];
		struct qnetd_deferred q = {0};
		print_message("%s\n", k->name);
		for (size_t i = 0; i < k->npush; i++) {
			struct msg m;
			if (k->pushes[i].seq != 0) {
				decoded(&m, k->pushes[i].seq);
				assert_int_equal(qnetd_deferred_push(&q, k->pushes[i].kind, false, &m), k->pushes[i].superseded);
				/* Moved: the caller's copy owns nothing any more. */
				assert_null(m.owned_nodes);
				msg_destroy(&m);
			} else {
				assert_int_equal(qnetd_deferred_push(&q, k->pushes[i].kind, false, NULL), k->pushes[i].superseded);
			}
			assert_true(qnetd_deferred_count(&q) <= QNETD_DEFERRED_KINDS);
		}
		assert_int_equal(qnetd_deferred_count(&q), k->nwant);
		for (size_t i = 0; i < k->nwant; i++) {
			struct qnetd_deferred_entry e;
			assert_int_equal(qnetd_deferred_head(&q)->kind, k->order[i].kind);
			assert_true(qnetd_deferred_pop(&q, &e));
			assert_int_equal(e.kind, k->order[i].kind);
			if (k->order[i].seq != 0) {
				assert_int_equal(e.msg.seq_number, k->order[i].seq);
				assert_int_equal(e.msg.node_count, 2);
				assert_int_equal(e.msg.nodes[1].node_id, 2);
			}
			msg_destroy(&e.msg);
		}
		assert_null(qnetd_deferred_head(&q));
		assert_null(q.entries); /* the array went with the last entry */
		struct qnetd_deferred_entry e;
		assert_false(qnetd_deferred_pop(&q, &e));
	}
}

/* Dropping one kind (a stopped timer) keeps the others in order; clearing frees every message. */
static void test_drop_and_clear(void **state)
{
	struct qnetd_deferred q = {0};
	struct msg m;
	(void)state;
	decoded(&m, 1);
	assert_int_equal(qnetd_deferred_push(&q, MEM, true, &m), 0);
	assert_int_equal(qnetd_deferred_push(&q, TIM, false, NULL), 0);
	decoded(&m, 2);
	assert_int_equal(qnetd_deferred_push(&q, QUO, false, &m), 0);
	assert_true(qnetd_deferred_head(&q)->paid);
	assert_false(qnetd_deferred_drop(&q, ASK));
	assert_true(qnetd_deferred_drop(&q, TIM));
	assert_false(qnetd_deferred_drop(&q, TIM));
	assert_int_equal(qnetd_deferred_count(&q), 2);
	struct qnetd_deferred_entry e;
	assert_true(qnetd_deferred_pop(&q, &e));
	assert_int_equal(e.kind, MEM);
	msg_destroy(&e.msg);
	assert_true(qnetd_deferred_drop(&q, QUO));
	assert_null(q.entries);
	decoded(&m, 3);
	assert_int_equal(qnetd_deferred_push(&q, HEU, false, &m), 0);
	assert_int_equal(qnetd_deferred_push(&q, TIM, false, NULL), 0);
	qnetd_deferred_clear(&q);
	assert_int_equal(qnetd_deferred_count(&q), 0);
	assert_null(q.entries);
	assert_string_equal(qnetd_deferred_kind_str(VIR), "vote_info_reply");
	assert_string_equal(qnetd_deferred_kind_str((enum qnetd_deferred_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_coalescing),
		cmocka_unit_test(test_drop_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
