/* Node lists (configuration, membership, quorum) as the server stores them: an owned array of entries. */
#ifndef QD_NODE_LIST_H
#define QD_NODE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* The entries are owned by the list; node_list_clear() frees them. */
struct node_list {
	struct msg_node_info *nodes;
	size_t count;
};

/* Replaces the list's contents with a copy of nodes[0..count); returns 0 or -1 (no memory). */
int node_list_set(struct node_list *l, const struct msg_node_info *nodes, size_t count);
int node_list_copy(struct node_list *dst, const struct node_list *src);
void node_list_clear(struct node_list *l);
bool node_list_contains(const struct node_list *l, uint32_t node_id);

#endif
