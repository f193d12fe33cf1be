/* qnetd_node_list: the entries kept as reported, and beside them the node ids sorted and each once (tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qnetd_node_list.h"

#define MAXN 400

struct set_case {
	const char *name;
	uint32_t in[16];            /* node ids as reported, 0 ends */
	uint32_t ids[16];           /* the sorted set, 0 ends */
};

static size_t zlen(const uint32_t *v)
{
	size_t n = 0;
	while (v[n] != 0)
		n++;
	return n;
}

static void build(struct qnetd_node_list *l, const uint32_t *ids, size_t n)
{
	struct msg_node_info nodes[MAXN];
	assert_true(n <= MAXN);
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct msg_node_info){ids[i], (uint32_t)i, PROTO_NODE_STATE_MEMBER};
	assert_int_equal(qnetd_node_list_set(l, nodes, n), 0);
}

/* The order of the entries is the client's, duplicates stay; the ids are ascending and unique. */
static void test_stored_order_and_duplicates(void **state)
{
	static const struct set_case cases[] = {
		{"empty", {0}, {0}},
		{"one", {7}, {7}},
		{"sorted", {1, 2, 3}, {1, 2, 3}},
		{"reversed", {3, 2, 1}, {1, 2, 3}},
		{"shuffled", {4, 1, 9, 2}, {1, 2, 4, 9}},
		{"duplicate pair", {2, 2}, {2}},
		{"duplicates spread", {5, 1, 5, 3, 1, 5}, {1, 3, 5}},
		{"extremes", {UINT32_MAX, 1, 2147483648u}, {1, 2147483648u, UINT32_MAX}},
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct set_case *k = &cases[c];
		struct qnetd_node_list l = {0};
		size_t n = zlen(k->in), nid = zlen(k->ids);
		print_message("%s\n", k->name);
		build(&l, k->in, n);
		assert_int_equal(l.count, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(l.nodes[i].node_id, k->in[i]);
			assert_int_equal(l.nodes[i].data_center_id, i); /* the whole entry, not only the id */
		}
		assert_int_equal(l.id_count, nid);
		for (size_t i = 0; i < nid; i++)
			assert_int_equal(l.ids[i], k->ids[i]);
		for (size_t i = 0; i < n; i++)
			assert_true(qnetd_node_list_contains(&l, k->in[i]));
		assert_false(qnetd_node_list_contains(&l, 0));
		assert_false(qnetd_node_list_contains(&l, 6));
		qnetd_node_list_clear(&l);
		assert_int_equal(l.count + l.id_count, 0);
		assert_null(l.nodes);
	}
}

/* The largest list the server accepts, in reverse order with every id twice. */
static void test_large_list(void **state)
{
	static uint32_t in[2 * 192];
	struct qnetd_node_list l = {0};
	(void)state;
	for (uint32_t i = 0; i < 192; i++)
		in[2 * i] = in[2 * i + 1] = 1000 - i;
	build(&l, in, 384);
	assert_int_equal(l.count, 384);
	assert_int_equal(l.id_count, 192);
	for (size_t i = 1; i < l.id_count; i++)
		assert_true(l.ids[i - 1] < l.ids[i]);
	assert_int_equal(l.ids[0], 1000 - 191);
	assert_true(qnetd_node_list_contains(&l, 1000));
	assert_false(qnetd_node_list_contains(&l, 1001));
	assert_false(qnetd_node_list_contains(&l, 1000 - 192));
	qnetd_node_list_clear(&l);
}

/* Set comparisons look at ids only: order and duplicates do not matter. */
static void test_set_comparisons(void **state)
{
	static const struct {
		uint32_t a[8], b[8];
		bool same, a_within_b;
	} cases[] = {
		{{0}, {0}, true, true},
		{{0}, {1}, false, true},
		{{1}, {0}, false, false},
		{{1, 2}, {2, 1}, true, true},
		{{1, 2, 2}, {2, 1}, true, true},
		{{1, 3}, {1, 2, 3}, false, true},
		{{1, 2, 3}, {1, 3}, false, false},
		{{4}, {1, 2, 3}, false, false},
		{{1, 2, 3}, {4, 5, 6}, false, false},
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct qnetd_node_list a = {0}, b = {0};
		build(&a, cases[c].a, zlen(cases[c].a));
		build(&b, cases[c].b, zlen(cases[c].b));
		print_message("case %zu\n", c);
		assert_int_equal(qnetd_node_list_same_ids(&a, &b), cases[c].same);
		assert_int_equal(qnetd_node_list_same_ids(&b, &a), cases[c].same);
		assert_int_equal(qnetd_node_list_ids_within(&a, &b), cases[c].a_within_b);
		qnetd_node_list_clear(&a);
		qnetd_node_list_clear(&b);
	}
}

/* A copy keeps both views without sorting again; a move leaves the source empty; set replaces. */
static void test_copy_move_replace(void **state)
{
	static const uint32_t first[] = {3, 1, 3}, second[] = {9, 8};
	struct qnetd_node_list a = {0}, b = {0}, c = {0};
	(void)state;
	build(&a, first, 3);
	assert_int_equal(qnetd_node_list_copy(&b, &a), 0);
	assert_int_equal(b.count, 3);
	assert_int_equal(b.id_count, 2);
	assert_memory_equal(b.nodes, a.nodes, 3 * sizeof(*a.nodes));
	assert_memory_equal(b.ids, a.ids, 2 * sizeof(*a.ids));
	assert_ptr_not_equal(b.nodes, a.nodes);
	/* The ids live in the copy's own allocation. */
	assert_ptr_equal(b.ids, (const uint32_t *)(const void *)(b.nodes + b.count));

	qnetd_node_list_move(&c, &b);
	assert_int_equal(b.count + b.id_count, 0);
	assert_null(b.nodes);
	assert_int_equal(c.id_count, 2);
	assert_true(qnetd_node_list_contains(&c, 3));

	build(&c, second, 2);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.ids[0], 8);
	assert_false(qnetd_node_list_contains(&c, 3));

	/* Copying or setting an empty list empties the target. */
	assert_int_equal(qnetd_node_list_copy(&c, &b), 0);
	assert_int_equal(c.count + c.id_count, 0);
	assert_false(qnetd_node_list_contains(&c, 8));
	build(&a, NULL, 0);
	assert_int_equal(a.count + a.id_count, 0);
	qnetd_node_list_clear(&a);
	qnetd_node_list_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored_order_and_duplicates),
		cmocka_unit_test(test_large_list),
		cmocka_unit_test(test_set_comparisons),
		cmocka_unit_test(test_copy_move_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
