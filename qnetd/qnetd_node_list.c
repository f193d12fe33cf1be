/* Node lists (configuration, membership, quorum) as the server stores them, with their ids as a sorted set. */
#include "qnetd_node_list.h"

#include <stdlib.h>
#include <string.h>

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* One block for both arrays: the ids follow the entries (uint32_t needs no stricter alignment). */
static struct msg_node_info *alloc_block(size_t count)
{
	return malloc(count * (sizeof(struct msg_node_info) + sizeof(uint32_t)));
}

int qnetd_node_list_set(struct qnetd_node_list *l, const struct msg_node_info *nodes, size_t count)
{
	if (count == 0) {
		qnetd_node_list_clear(l);
		return 0;
	}
	struct msg_node_info *block = alloc_block(count);
	if (block == NULL)
		return -1;
	memcpy(block, nodes, count * sizeof(*block));
	uint32_t *ids = (uint32_t *)(void *)(block + count);
	for (size_t i = 0; i < count; i++)
		ids[i] = nodes[i].node_id;
	qsort(ids, count, sizeof(*ids), cmp_id);
	size_t unique = 0;
	for (size_t i = 0; i < count; i++) {
		if (unique == 0 || ids[unique - 1] != ids[i])
			ids[unique++] = ids[i];
	}
	free(l->nodes);
	l->nodes = block;
	l->count = count;
	l->ids = ids;
	l->id_count = unique;
	return 0;
}

int qnetd_node_list_copy(struct qnetd_node_list *dst, const struct qnetd_node_list *src)
{
	if (dst == src)
		return 0;
	if (src->count == 0) {
		qnetd_node_list_clear(dst);
		return 0;
	}
	struct msg_node_info *block = alloc_block(src->count);
	if (block == NULL)
		return -1;
	memcpy(block, src->nodes, src->count * sizeof(*block));
	uint32_t *ids = (uint32_t *)(void *)(block + src->count);
	memcpy(ids, src->ids, src->id_count * sizeof(*ids));
	free(dst->nodes);
	dst->nodes = block;
	dst->count = src->count;
	dst->ids = ids;
	dst->id_count = src->id_count;
	return 0;
}

void qnetd_node_list_move(struct qnetd_node_list *dst, struct qnetd_node_list *src)
{
	if (dst == src)
		return;
	free(dst->nodes);
	*dst = *src;
	*src = (struct qnetd_node_list){0};
}

void qnetd_node_list_clear(struct qnetd_node_list *l)
{
	free(l->nodes);
	*l = (struct qnetd_node_list){0};
}

bool qnetd_node_list_contains(const struct qnetd_node_list *l, uint32_t node_id)
{
	size_t lo = 0, hi = l->id_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->ids[mid] < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->id_count && l->ids[lo] == node_id;
}

bool qnetd_node_list_ids_within(const struct qnetd_node_list *a, const struct qnetd_node_list *b)
{
	size_t j = 0;
	for (size_t i = 0; i < a->id_count; i++) {
		while (j < b->id_count && b->ids[j] < a->ids[i])
			j++;
		if (j == b->id_count || b->ids[j] != a->ids[i])
			return false;
	}
	return true;
}

bool qnetd_node_list_same_ids(const struct qnetd_node_list *a, const struct qnetd_node_list *b)
{
	return a->id_count == b->id_count &&
	       (a->id_count == 0 || memcmp(a->ids, b->ids, a->id_count * sizeof(*a->ids)) == 0);
}
