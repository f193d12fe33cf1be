/* Node lists (configuration, membership, quorum) as the server stores them: an owned array of entries. */
#ifndef QD_QNETD_NODE_LIST_H
#define QD_QNETD_NODE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* The entries are owned by the list; qnetd_node_list_clear() frees them. */
struct qnetd_node_list {
	struct msg_node_info *nodes;
	size_t count;
};

/* Replaces the list's contents with a copy of nodes[0..count); returns 0 or -1 (no memory). */
int qnetd_node_list_set(struct qnetd_node_list *l, const struct msg_node_info *nodes, size_t count);
int qnetd_node_list_copy(struct qnetd_node_list *dst, const struct qnetd_node_list *src);
void qnetd_node_list_clear(struct qnetd_node_list *l);
bool qnetd_node_list_contains(const struct qnetd_node_list *l, uint32_t node_id);

#endif
