/* qnetd_sched: the fair order of deferred work, by scripted tables, and the turn bound on random workloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qnetd_sched.h"

#define GROUPS 4
#define ITEMS 16

/* Groups A-D, items 1-16; an item is pushed into the group a step names. */
struct world {
	struct qnetd_sched s;
	struct qnetd_sched_group g[GROUPS];
	struct qnetd_sched_item it[ITEMS + 1];
};

enum op { PUSH, POP, REMOVE, END };

struct step {
	enum op op;
	char group;                         /* PUSH */
	int item;                           /* PUSH, REMOVE; POP: expected (0 = nothing) */
};

static int item_no(const struct world *w, const struct qnetd_sched_item *it)
{
	return it == NULL ? 0 : (int)(it - w->it);
}

static void run(const char *name, const struct step *steps)
{
	struct world w;
	memset(&w, 0, sizeof(w));
	print_message("%s\n", name);
	for (size_t i = 0; steps[i].op != END; i++) {
		const struct step *st = &steps[i];
		switch (st->op) {
		case PUSH:
			qnetd_sched_push(&w.s, &w.g[st->group - 'A'], &w.it[st->item]);
			assert_true(qnetd_sched_queued(&w.it[st->item]));
			break;
		case POP: {
			struct qnetd_sched_item *it = qnetd_sched_pop(&w.s);
			if (item_no(&w, it) != st->item)
				print_error("%s step %zu: popped %d, want %d\n", name, i, item_no(&w, it), st->item);
			assert_int_equal(item_no(&w, it), st->item);
			if (it != NULL)
				assert_false(qnetd_sched_queued(it));
			break;
		}
		case REMOVE:
			qnetd_sched_remove(&w.s, &w.it[st->item]);
			assert_false(qnetd_sched_queued(&w.it[st->item]));
			break;
		case END:
			break;
		}
	}
	assert_true(qnetd_sched_empty(&w.s));
	assert_null(qnetd_sched_pop(&w.s));
}

#define U(g, i) {PUSH, (g), (i)}
#define O(i) {POP, 0, (i)}
#define R(i) {REMOVE, 0, (i)}
#define E {END, 0, 0}

static void test_scripts(void **state)
{
	(void)state;
	/* One busy group and one with a single item: they alternate, the busy one does not go twice. */
	run("busy group and a quiet one", (const struct step[]){
		U('A', 1), U('A', 2), U('A', 3), U('B', 9), O(1), O(9), O(2), O(3), O(0), E});
	/* Groups that join late queue behind the group already in the round: one turn each after it. */
	run("late groups", (const struct step[]){
		U('A', 1), U('A', 2), U('A', 3), O(1), U('B', 9), U('C', 10), O(2), O(9), O(10), O(3), E});
	/* Within a group, first come first served; an item pushed twice is queued once. */
	run("fifo within a group", (const struct step[]){
		U('A', 3), U('A', 1), U('A', 3), U('A', 2), O(3), O(1), O(2), O(0), E});
	/* An item popped and pushed again goes to the end of its group, its group to the end of the round. */
	run("requeue", (const struct step[]){
		U('A', 1), U('A', 2), U('B', 9), O(1), U('A', 1), O(9), O(2), O(1), E});
	/* Removing: the head, the middle, a group's only item (the group leaves the round). */
	run("remove", (const struct step[]){
		U('A', 1), U('A', 2), U('A', 3), U('B', 9), U('C', 10), R(1), R(9), R(3), R(3),
		O(2), O(10), O(0), U('B', 9), O(9), E});
	/* Round robin over four groups whatever their sizes. */
	run("four groups", (const struct step[]){
		U('A', 1), U('A', 2), U('B', 5), U('B', 6), U('C', 9), U('D', 13), U('D', 14), U('D', 15),
		O(1), O(5), O(9), O(13), O(2), O(6), O(14), O(15), E});
}

static uint32_t rng = 0x1234567u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng % n;
}

/*
 * On random pushes, pops and removals: every queued item comes out exactly once, FIFO within its
 * group, and between two turns of one group no other group that was waiting all along gets two.
 */
static void test_random_fairness(void **state)
{
	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct world w;
		memset(&w, 0, sizeof(w));
		int group_of[ITEMS + 1] = {0};
		uint64_t pushed_at[ITEMS + 1] = {0};
		uint64_t clock = 0, last_pushed_out[GROUPS] = {0};
		int turns_since[GROUPS][GROUPS]; /* turns of g2 since g1's last turn, while g1 waited */
		memset(turns_since, 0, sizeof(turns_since));
		for (int step = 0; step < 200; step++) {
			int it = 1 + (int)rnd(ITEMS);
			uint32_t what = rnd(10);
			if (what < 5) {
				if (!qnetd_sched_queued(&w.it[it])) {
					group_of[it] = (int)rnd(GROUPS);
					pushed_at[it] = ++clock;
				}
				/* A group that starts waiting now has waited for nobody yet. */
				if (!w.g[group_of[it]].queued)
					memset(turns_since[group_of[it]], 0, sizeof(turns_since[0]));
				qnetd_sched_push(&w.s, &w.g[group_of[it]], &w.it[it]);
			} else if (what < 9) {
				struct qnetd_sched_item *p = qnetd_sched_pop(&w.s);
				if (p == NULL)
					continue;
				int n = item_no(&w, p), g = group_of[n];
				/* FIFO within the group: pushed after the group's previous item that came out. */
				assert_true(pushed_at[n] > last_pushed_out[g]);
				last_pushed_out[g] = pushed_at[n];
				for (int other = 0; other < GROUPS; other++) {
					if (other == g || w.g[other].head == NULL) {
						turns_since[other][g] = 0;
						continue;
					}
					assert_true(++turns_since[other][g] <= 1);
				}
				for (int k = 0; k < GROUPS; k++)
					turns_since[g][k] = 0;
			} else if (qnetd_sched_queued(&w.it[it])) {
				int g = group_of[it];
				qnetd_sched_remove(&w.s, &w.it[it]);
				if (w.g[g].head == NULL)
					memset(turns_since[g], 0, sizeof(turns_since[0]));
			}
		}
		size_t left = w.s.items;
		for (size_t k = 0; k < left; k++)
			assert_non_null(qnetd_sched_pop(&w.s));
		assert_true(qnetd_sched_empty(&w.s));
		for (int k = 1; k <= ITEMS; k++)
			assert_false(qnetd_sched_queued(&w.it[k]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_random_fairness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
