/* One connection's requests that wait for their evaluation: arrival order kept, at most one of each kind (doc/hardening.md §7.3). */
#ifndef QD_QNETD_DEFERRED_H
#define QD_QNETD_DEFERRED_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

/* What a waiting request asks for; a newer request of a kind replaces the one waiting. */
enum qnetd_deferred_kind {
	QNETD_DEFERRED_CONFIG_LIST = 0,     /* NODE_LIST type 0 or 1 */
	QNETD_DEFERRED_MEMBERSHIP_LIST,     /* NODE_LIST type 2 */
	QNETD_DEFERRED_QUORUM_LIST,         /* NODE_LIST type 3 */
	QNETD_DEFERRED_ASK_FOR_VOTE,
	QNETD_DEFERRED_HEURISTICS_CHANGE,
	QNETD_DEFERRED_VOTE_INFO_REPLY,
	QNETD_DEFERRED_ALGO_TIMER,          /* the client's algorithm timer fired; no message */
};
#define QNETD_DEFERRED_KINDS ((size_t)QNETD_DEFERRED_ALGO_TIMER + 1)
/* "config_list", "membership_list", "quorum_list", "ask_for_vote", "heuristics_change", "vote_info_reply", "algo_timer". */
const char *qnetd_deferred_kind_str(enum qnetd_deferred_kind kind);

struct qnetd_deferred_entry {
	enum qnetd_deferred_kind kind;
	bool paid;                          /* its token was taken from the connection's budget already */
	bool waited;                        /* it has waited for the budget (counted once) */
	struct msg msg;                     /* owned; empty for QNETD_DEFERRED_ALGO_TIMER */
};

/*
 * The entries live in one array of QNETD_DEFERRED_KINDS slots, allocated with the first entry and
 * freed with the last, so a connection that never waits costs nothing. Zero-initialised is empty.
 */
struct qnetd_deferred {
	struct qnetd_deferred_entry *entries;
	size_t count;
};

/*
 * Appends a request of `kind`; msg (NULL for the timer) is moved in (common/msg.h msg_move). A
 * waiting entry of the same kind is dropped first, its message freed: what remains keeps the order
 * the client sent it in, as if the superseded request had never been sent. Returns 1 when an entry
 * was superseded, 0 when none was, -1 when there is no memory (nothing changed, msg untouched).
 */
int qnetd_deferred_push(struct qnetd_deferred *q, enum qnetd_deferred_kind kind, bool paid, struct msg *msg);
/* The oldest entry, or NULL. */
struct qnetd_deferred_entry *qnetd_deferred_head(struct qnetd_deferred *q);
/* Takes the oldest entry out into *out (the caller destroys out->msg); false when empty. */
bool qnetd_deferred_pop(struct qnetd_deferred *q, struct qnetd_deferred_entry *out);
/* Drops the waiting entry of `kind`, if any; true when there was one. */
bool qnetd_deferred_drop(struct qnetd_deferred *q, enum qnetd_deferred_kind kind);
void qnetd_deferred_clear(struct qnetd_deferred *q);
static inline size_t qnetd_deferred_count(const struct qnetd_deferred *q)
{
	return q->count;
}

#endif
