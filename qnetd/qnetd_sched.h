/* Fair turns for deferred work: round robin over groups (clusters), first come first served within a group (doc/hardening.md §7.4). */
#ifndef QD_QNETD_SCHED_H
#define QD_QNETD_SCHED_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Intrusive, allocation-free: an item (a connection with work waiting) and a group (its cluster)
 * are embedded in their owners. Each turn takes the oldest item of the group at the head and then
 * moves that group behind every other group with work, so a group with a thousand items waits for
 * its next turn behind a group with one, never the other way round. Zero-initialised is empty.
 */
struct qnetd_sched_group;

struct qnetd_sched_item {
	struct qnetd_sched_item *prev, *next;
	struct qnetd_sched_group *group;    /* non-NULL while queued */
};

struct qnetd_sched_group {
	struct qnetd_sched_item *head, *tail;
	struct qnetd_sched_group *prev, *next;
	bool queued;                        /* in the round */
};

struct qnetd_sched {
	struct qnetd_sched_group *head, *tail;
	size_t items;
};

/* Queues the item at the end of its group (the group joins the round at the end); no-op if queued. */
void qnetd_sched_push(struct qnetd_sched *s, struct qnetd_sched_group *g, struct qnetd_sched_item *it);
/* The next item in fair order, taken out of the scheduler; NULL when nothing waits. */
struct qnetd_sched_item *qnetd_sched_pop(struct qnetd_sched *s);
/* Takes the item out wherever it is; no-op if not queued. */
void qnetd_sched_remove(struct qnetd_sched *s, struct qnetd_sched_item *it);
static inline bool qnetd_sched_queued(const struct qnetd_sched_item *it)
{
	return it->group != NULL;
}
static inline bool qnetd_sched_empty(const struct qnetd_sched *s)
{
	return s->items == 0;
}

#endif
