/* Node lists (configuration, membership, quorum) as the server stores them: the entries as reported, and their ids as a sorted set. */
#ifndef QD_QNETD_NODE_LIST_H
#define QD_QNETD_NODE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/*
 * The entries in the order the client sent them, duplicates kept (ffsplit counts entries,
 * doc/algorithms.md §3.5), and beside them the same node ids ascending and each once, built when
 * the list is set: set operations cost no sort and no allocation while an algorithm decides
 * (doc/hardening.md §7.2). Both arrays live in one allocation owned by the list;
 * qnetd_node_list_clear() frees it. A zero-initialised list is empty.
 */
struct qnetd_node_list {
	struct msg_node_info *nodes;
	size_t count;
	uint32_t *ids;                      /* within the nodes allocation; NULL when empty */
	size_t id_count;
};

/* Replaces the list's contents with a copy of nodes[0..count); returns 0 or -1 (no memory, list unchanged). */
int qnetd_node_list_set(struct qnetd_node_list *l, const struct msg_node_info *nodes, size_t count);
/* dst := a copy of src (entries and ids, not sorted again); 0 or -1 (no memory, dst unchanged). */
int qnetd_node_list_copy(struct qnetd_node_list *dst, const struct qnetd_node_list *src);
/* dst takes over what src holds; src is left empty. */
void qnetd_node_list_move(struct qnetd_node_list *dst, struct qnetd_node_list *src);
void qnetd_node_list_clear(struct qnetd_node_list *l);
/* Binary search over the sorted ids. */
bool qnetd_node_list_contains(const struct qnetd_node_list *l, uint32_t node_id);
/* The two lists name the same set of node ids (entries' order and duplicates aside). */
bool qnetd_node_list_same_ids(const struct qnetd_node_list *a, const struct qnetd_node_list *b);
/* Every node id of a is in b. */
bool qnetd_node_list_ids_within(const struct qnetd_node_list *a, const struct qnetd_node_list *b);

#endif
