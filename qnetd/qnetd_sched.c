/* Fair turns for deferred work: round robin over groups, first come first served within a group. */
#include "qnetd_sched.h"

static void group_append(struct qnetd_sched *s, struct qnetd_sched_group *g)
{
	g->prev = s->tail;
	g->next = NULL;
	if (s->tail != NULL)
		s->tail->next = g;
	else
		s->head = g;
	s->tail = g;
	g->queued = true;
}

static void group_unlink(struct qnetd_sched *s, struct qnetd_sched_group *g)
{
	if (g->prev != NULL)
		g->prev->next = g->next;
	else
		s->head = g->next;
	if (g->next != NULL)
		g->next->prev = g->prev;
	else
		s->tail = g->prev;
	g->prev = g->next = NULL;
	g->queued = false;
}

static void item_unlink(struct qnetd_sched_group *g, struct qnetd_sched_item *it)
{
	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		g->head = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	else
		g->tail = it->prev;
	it->prev = it->next = NULL;
	it->group = NULL;
}

void qnetd_sched_push(struct qnetd_sched *s, struct qnetd_sched_group *g, struct qnetd_sched_item *it)
{
	if (it->group != NULL)
		return;
	it->group = g;
	it->prev = g->tail;
	it->next = NULL;
	if (g->tail != NULL)
		g->tail->next = it;
	else
		g->head = it;
	g->tail = it;
	s->items++;
	if (!g->queued)
		group_append(s, g);
}

struct qnetd_sched_item *qnetd_sched_pop(struct qnetd_sched *s)
{
	struct qnetd_sched_group *g = s->head;
	if (g == NULL)
		return NULL;
	struct qnetd_sched_item *it = g->head;
	item_unlink(g, it);
	s->items--;
	/* The group's next item waits behind every other group. */
	group_unlink(s, g);
	if (g->head != NULL)
		group_append(s, g);
	return it;
}

void qnetd_sched_remove(struct qnetd_sched *s, struct qnetd_sched_item *it)
{
	struct qnetd_sched_group *g = it->group;
	if (g == NULL)
		return;
	item_unlink(g, it);
	s->items--;
	if (g->head == NULL)
		group_unlink(s, g);
}
