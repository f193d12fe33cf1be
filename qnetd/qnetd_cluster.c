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
	free(cluster->holds);
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

int qnetd_cluster_hold_add(struct qnetd_cluster *cluster, uint32_t node_id, uint64_t until_ms)
{
	for (size_t i = 0; i < cluster->hold_count; i++) {
		if (cluster->holds[i].node_id == node_id) {
			if (cluster->holds[i].until_ms < until_ms) {
				cluster->holds[i].until_ms = until_ms;
				cluster->holds[i].reported = false;
			}
			return 0;
		}
	}
	if (cluster->hold_count == cluster->hold_capacity) {
		size_t cap = cluster->hold_capacity == 0 ? 2 : cluster->hold_capacity * 2;
		struct qnetd_vote_hold *grown = realloc(cluster->holds, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		cluster->holds = grown;
		cluster->hold_capacity = cap;
	}
	cluster->holds[cluster->hold_count++] = (struct qnetd_vote_hold){node_id, until_ms, false};
	return 0;
}

static void hold_remove_at(struct qnetd_cluster *cluster, size_t i)
{
	cluster->holds[i] = cluster->holds[cluster->hold_count - 1];
	cluster->hold_count--;
}

bool qnetd_cluster_hold_end(struct qnetd_cluster *cluster, uint32_t node_id)
{
	for (size_t i = 0; i < cluster->hold_count; i++) {
		if (cluster->holds[i].node_id == node_id) {
			hold_remove_at(cluster, i);
			return true;
		}
	}
	return false;
}

struct qnetd_vote_hold *qnetd_cluster_hold_blocking(struct qnetd_cluster *cluster, uint64_t now_ms,
						    const struct qnetd_node_list *partition)
{
	struct qnetd_vote_hold *latest = NULL;
	for (size_t i = 0; i < cluster->hold_count;) {
		struct qnetd_vote_hold *h = &cluster->holds[i];
		if (h->until_ms <= now_ms) {
			hold_remove_at(cluster, i);
			continue;
		}
		if (!qnetd_node_list_contains(partition, h->node_id) && (latest == NULL || h->until_ms > latest->until_ms))
			latest = h;
		i++;
	}
	return latest;
}

void qnetd_client_note_vote_sent(struct qnetd_client *client, uint8_t vote, uint32_t pushed_seq)
{
	client->last_sent_vote = vote;
	if (vote == PROTO_VOTE_ACK || vote == PROTO_VOTE_NACK)
		client->last_sent_ack_nack_vote = vote;
	if (vote == PROTO_VOTE_ACK) {
		client->vote_may_count = true;
		client->unconfirmed_nack_seq = 0;
	} else if (vote == PROTO_VOTE_NACK) {
		/* A reply is read before the client's next request; a push may be lost with its client. */
		if (pushed_seq == 0)
			client->vote_may_count = false;
		client->unconfirmed_nack_seq = pushed_seq;
	}
}

void qnetd_client_note_vote_confirmed(struct qnetd_client *client, uint32_t seq)
{
	if (client->unconfirmed_nack_seq != 0 && seq == client->unconfirmed_nack_seq) {
		client->vote_may_count = false;
		client->unconfirmed_nack_seq = 0;
	}
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
