/* Node lists (configuration, membership, quorum) as the server stores them. */
#include "qnetd_node_list.h"

#include <stdlib.h>
#include <string.h>

int qnetd_node_list_set(struct qnetd_node_list *l, const struct msg_node_info *nodes, size_t count)
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

int qnetd_node_list_copy(struct qnetd_node_list *dst, const struct qnetd_node_list *src)
{
	return qnetd_node_list_set(dst, src->nodes, src->count);
}

void qnetd_node_list_clear(struct qnetd_node_list *l)
{
	free(l->nodes);
	l->nodes = NULL;
	l->count = 0;
}

bool qnetd_node_list_contains(const struct qnetd_node_list *l, uint32_t node_id)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->nodes[i].node_id == node_id)
			return true;
	}
	return false;
}
