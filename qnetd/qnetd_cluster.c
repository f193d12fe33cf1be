/* The server's model of clients and clusters: sorted membership, lookup by node id. */
#include "qnetd_cluster.h"

#include <stdlib.h>
#include <string.h>

struct qnetd_cluster *qnetd_cluster_create(const uint8_t *name, size_t name_len)
{
	struct qnetd_cluster *cluster = calloc(1, sizeof(*cluster));
	if (cluster == NULL)
		return NULL;
	cluster->name = malloc(name_len + 1);
	if (cluster->name == NULL) {
		free(cluster);
		return NULL;
	}
	if (name_len > 0)
		memcpy(cluster->name, name, name_len);
	cluster->name[name_len] = '\0';
	cluster->name_len = name_len;
	return cluster;
}

void qnetd_cluster_destroy(struct qnetd_cluster *cluster)
{
	if (cluster == NULL)
		return;
	qnetd_node_list_clear(&cluster->quorate_partition);
	free(cluster->eval_slots);
	free(cluster->clients);
	free(cluster->name);
	free(cluster);
}

/* Index of the first client whose node id is >= node_id. */
static size_t lower_bound(const struct qnetd_cluster *cluster, uint32_t node_id)
{
	size_t lo = 0, hi = cluster->client_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cluster->clients[mid]->node_id < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int qnetd_cluster_add_client(struct qnetd_cluster *cluster, struct qnetd_client *client)
{
	if (cluster->client_count == cluster->client_capacity) {
		size_t cap = cluster->client_capacity == 0 ? 4 : cluster->client_capacity * 2;
		/* The slots first: if the clients cannot grow, larger slots do no harm. */
		union qnetd_eval_slot *slots = realloc(cluster->eval_slots, cap * sizeof(*slots));
		if (slots == NULL)
			return -1;
		cluster->eval_slots = slots;
		struct qnetd_client **grown = realloc(cluster->clients, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		cluster->clients = grown;
		cluster->client_capacity = cap;
	}
	/* After existing clients with the same id, so insertion order breaks ties. */
	size_t pos = lower_bound(cluster, client->node_id);
	while (pos < cluster->client_count && cluster->clients[pos]->node_id == client->node_id)
		pos++;
	memmove(&cluster->clients[pos + 1], &cluster->clients[pos],
		(cluster->client_count - pos) * sizeof(*cluster->clients));
	cluster->clients[pos] = client;
	cluster->client_count++;
	client->cluster = cluster;
	return 0;
}

void qnetd_cluster_remove_client(struct qnetd_cluster *cluster, struct qnetd_client *client)
{
	for (size_t i = lower_bound(cluster, client->node_id); i < cluster->client_count; i++) {
		if (cluster->clients[i] == client) {
			memmove(&cluster->clients[i], &cluster->clients[i + 1],
				(cluster->client_count - i - 1) * sizeof(*cluster->clients));
			cluster->client_count--;
			client->cluster = NULL;
			return;
		}
	}
}

ptrdiff_t qnetd_cluster_client_index(const struct qnetd_cluster *cluster, uint32_t node_id)
{
	size_t i = lower_bound(cluster, node_id);
	if (i < cluster->client_count && cluster->clients[i]->node_id == node_id)
		return (ptrdiff_t)i;
	return -1;
}

struct qnetd_client *qnetd_cluster_find_client(const struct qnetd_cluster *cluster, uint32_t node_id)
{
	ptrdiff_t i = qnetd_cluster_client_index(cluster, node_id);
	return i >= 0 ? cluster->clients[i] : NULL;
}

uint64_t qnetd_cluster_work(const struct qnetd_cluster *cluster)
{
	uint64_t work = 1;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *c = cluster->clients[i];
		work += 1 + c->config_list.count + c->membership_list.count;
	}
	return work;
}

void qnetd_client_init(struct qnetd_client *client, void *owner)
{
	memset(client, 0, sizeof(*client));
	client->heartbeat_interval = 120000;
	client->owner = owner;
}

void qnetd_client_destroy(struct qnetd_client *client)
{
	qnetd_node_list_clear(&client->config_list);
	qnetd_node_list_clear(&client->membership_list);
	qnetd_node_list_clear(&client->quorum_list);
}
