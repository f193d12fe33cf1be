/* Node lists (configuration, membership, quorum) as the server stores them. */
#include "node_list.h"

#include <stdlib.h>
#include <string.h>

int node_list_set(struct node_list *l, const struct msg_node_info *nodes, size_t count)
{
	struct msg_node_info *copy = NULL;

	if (count > 0) {
		copy = malloc(count * sizeof(*copy));
		if (copy == NULL)
			return -1;
		memcpy(copy, nodes, count * sizeof(*copy));
	}
	free(l->nodes);
	l->nodes = copy;
	l->count = count;
	return 0;
}

int node_list_copy(struct node_list *dst, const struct node_list *src)
{
	return node_list_set(dst, src->nodes, src->count);
}

void node_list_clear(struct node_list *l)
{
	free(l->nodes);
	l->nodes = NULL;
	l->count = 0;
}

bool node_list_contains(const struct node_list *l, uint32_t node_id)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->nodes[i].node_id == node_id)
			return true;
	}
	return false;
}
