/* One connection's requests that wait for their evaluation, in arrival order, at most one of each kind. */
#include "qnetd_deferred.h"

#include <stdlib.h>
#include <string.h>

const char *qnetd_deferred_kind_str(enum qnetd_deferred_kind kind)
{
	switch (kind) {
	case QNETD_DEFERRED_CONFIG_LIST: return "config_list";
	case QNETD_DEFERRED_MEMBERSHIP_LIST: return "membership_list";
	case QNETD_DEFERRED_QUORUM_LIST: return "quorum_list";
	case QNETD_DEFERRED_ASK_FOR_VOTE: return "ask_for_vote";
	case QNETD_DEFERRED_HEURISTICS_CHANGE: return "heuristics_change";
	case QNETD_DEFERRED_VOTE_INFO_REPLY: return "vote_info_reply";
	case QNETD_DEFERRED_ALGO_TIMER: return "algo_timer";
	}
	return "unknown";
}

/* Removes entry i, keeping the order of the others; the array goes with the last entry. */
static void remove_at(struct qnetd_deferred *q, size_t i)
{
	memmove(&q->entries[i], &q->entries[i + 1], (q->count - i - 1) * sizeof(*q->entries));
	q->count--;
	if (q->count == 0) {
		free(q->entries);
		q->entries = NULL;
	}
}

static ptrdiff_t find(const struct qnetd_deferred *q, enum qnetd_deferred_kind kind)
{
	for (size_t i = 0; i < q->count; i++) {
		if (q->entries[i].kind == kind)
			return (ptrdiff_t)i;
	}
	return -1;
}

int qnetd_deferred_push(struct qnetd_deferred *q, enum qnetd_deferred_kind kind, bool paid, struct msg *msg)
{
	if (q->entries == NULL) {
		q->entries = calloc(QNETD_DEFERRED_KINDS, sizeof(*q->entries));
		if (q->entries == NULL)
			return -1;
	}
	int superseded = 0;
	ptrdiff_t old = find(q, kind);
	if (old >= 0) {
		msg_destroy(&q->entries[old].msg);
		/* Not remove_at: the array must stay for the entry about to be appended. */
		memmove(&q->entries[old], &q->entries[old + 1], (q->count - (size_t)old - 1) * sizeof(*q->entries));
		q->count--;
		superseded = 1;
	}
	struct qnetd_deferred_entry *e = &q->entries[q->count++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->paid = paid;
	if (msg != NULL)
		msg_move(&e->msg, msg);
	else
		msg_init(&e->msg, 0);
	return superseded;
}

struct qnetd_deferred_entry *qnetd_deferred_head(struct qnetd_deferred *q)
{
	return q->count > 0 ? &q->entries[0] : NULL;
}

bool qnetd_deferred_pop(struct qnetd_deferred *q, struct qnetd_deferred_entry *out)
{
	if (q->count == 0)
		return false;
	*out = q->entries[0];
	remove_at(q, 0);
	return true;
}

bool qnetd_deferred_drop(struct qnetd_deferred *q, enum qnetd_deferred_kind kind)
{
	ptrdiff_t i = find(q, kind);
	if (i < 0)
		return false;
	msg_destroy(&q->entries[i].msg);
	remove_at(q, (size_t)i);
	return true;
}

void qnetd_deferred_clear(struct qnetd_deferred *q)
{
	for (size_t i = 0; i < q->count; i++)
		msg_destroy(&q->entries[i].msg);
	free(q->entries);
	q->entries = NULL;
	q->count = 0;
}
