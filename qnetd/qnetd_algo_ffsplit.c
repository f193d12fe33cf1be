/* The "ffsplit" algorithm (doc/algorithms.md §3): one winning partition per cluster, NACKs confirmed before ACKs. */
#include "qnetd_algo.h"

#include <stdlib.h>

/* A node list as the algorithm sees it: either a stored list or the one a message carries. */
struct ff_nodes {
	const struct msg_node_info *v;
	size_t n;
};

/*
 * The evaluation's picture of the sender: the message's values (hooks run
 * before the daemon stores them) plus stored ones for what it does not carry.
 */
struct ff_view {
	struct qnetd_cluster *cluster;
	const struct qnetd_client *sender;
	bool leaving;
	struct proto_ring_id ring;
	struct ff_nodes cfg;
	struct ff_nodes mem;
	uint8_t heuristics;
};

static struct ff_nodes stored(const struct qnetd_node_list *l)
{
	return (struct ff_nodes){l->nodes, l->count};
}

static struct ff_nodes cfg_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? v->cfg : stored(&x->config_list);
}

static struct ff_nodes mem_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? v->mem : stored(&x->membership_list);
}

static const struct proto_ring_id *ring_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? &v->ring : &x->ring_id;
}

static uint8_t heuristics_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? v->heuristics : x->heuristics;
}

/* A disconnecting client is still in the cluster during its hook but takes no part in the decision. */
static bool excluded(const struct ff_view *v, const struct qnetd_client *x)
{
	return v->leaving && x == v->sender;
}

static bool nodes_contain(struct ff_nodes l, uint32_t node_id)
{
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].node_id == node_id)
			return true;
	}
	return false;
}

/*
 * STABLE compares node-id sets. Sorted, duplicate-free id arrays let it do
 * so in O(N^2 log N) for N nodes instead of the O(N^4) of upstream's
 * pairwise list scans.
 */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static size_t id_set_build(struct ff_nodes l, uint32_t *out)
{
	size_t n = 0;
	if (l.n == 0)
		return 0;
	for (size_t i = 0; i < l.n; i++)
		out[i] = l.v[i].node_id;
	qsort(out, l.n, sizeof(*out), cmp_u32);
	for (size_t i = 0; i < l.n; i++) {
		if (n == 0 || out[n - 1] != out[i])
			out[n++] = out[i];
	}
	return n;
}

static bool id_set_has(const uint32_t *s, size_t n, uint32_t id)
{
	return n > 0 && bsearch(&id, s, n, sizeof(*s), cmp_u32) != NULL;
}

static bool id_set_subset(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t j = 0;
	for (size_t i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			return false;
	}
	return true;
}

static bool id_set_equal(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	return na == nb && id_set_subset(a, na, b, nb);
}

static size_t uf_find(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/*
 * STABLE (doc/algorithms.md §3.4), same result as upstream's pairwise loops:
 * (a) "CFG(X) within CFG(Y) for every ordered pair" is "all CFG sets are
 * equal", checked against the first client's. (b) "MEM(X) within MEM(Y)"
 * for each connected Y listed by X: when Y lists X too, the reverse pair
 * also exists, so the two sets must be equal; a union-find over verified
 * equalities makes each further check of the same group O(1). When Y does
 * not list X although X lists itself, X would be missing from MEM(Y), so
 * the pair fails at once; only lists without their owner (which the hooks
 * never let through) need a full merge, up to O(N^3) in total.
 * Returns 1 stable, 0 not stable, -1 out of memory.
 */
static int ff_stable(const struct ff_view *v)
{
	const struct qnetd_cluster *cluster = v->cluster;
	size_t nc = cluster->client_count;
	size_t max_cfg = 0, total_mem = 0;

	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		if (cfg_of(v, x).n > max_cfg)
			max_cfg = cfg_of(v, x).n;
		total_mem += mem_of(v, x).n;
	}

	uint32_t *ids = malloc((2 * max_cfg + total_mem + 1) * sizeof(*ids));
	size_t *idx = malloc((3 * nc + 1) * sizeof(*idx));
	if (ids == NULL || idx == NULL) {
		free(ids);
		free(idx);
		return -1;
	}
	int result = 0;

	/* (a) identical configuration sets */
	uint32_t *ref = ids, *scratch = ids + max_cfg;
	size_t nref = 0;
	bool have_ref = false;
	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		if (!have_ref) {
			nref = id_set_build(cfg_of(v, x), ref);
			have_ref = true;
		} else if (!id_set_equal(ref, nref, scratch, id_set_build(cfg_of(v, x), scratch))) {
			goto out;
		}
	}

	/* (b) connected members agree on ring id and membership */
	size_t *start = idx, *len = idx + nc, *parent = idx + 2 * nc;
	uint32_t *mem = ids + 2 * max_cfg;
	size_t used = 0;
	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		start[i] = used;
		len[i] = excluded(v, x) ? 0 : id_set_build(mem_of(v, x), mem + used);
		used += len[i];
		parent[i] = i;
	}
	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		const uint32_t *sx = mem + start[i];
		bool lists_itself = id_set_has(sx, len[i], x->node_id);
		for (size_t k = 0; k < len[i]; k++) {
			ptrdiff_t found = qnetd_cluster_client_index(cluster, sx[k]);
			if (found < 0)
				continue;
			size_t j = (size_t)found;
			const struct qnetd_client *y = cluster->clients[j];
			if (y == x || excluded(v, y))
				continue;
			if (!proto_ring_id_equal(ring_of(v, x), ring_of(v, y)))
				goto out;
			const uint32_t *sy = mem + start[j];
			if (id_set_has(sy, len[j], x->node_id)) {
				size_t ri = uf_find(parent, i), rj = uf_find(parent, j);
				if (ri != rj) {
					if (!id_set_equal(sx, len[i], sy, len[j]))
						goto out;
					parent[ri] = rj;
				}
			} else if (lists_itself || !id_set_subset(sx, len[i], sy, len[j])) {
				goto out;
			}
		}
	}
	result = 1;
out:
	free(ids);
	free(idx);
	return result;
}

/* Members of X's partition that are connected, passing and failing (the score of doc/algorithms.md §3.5). */
struct ff_stats {
	long active, pass, fail;
};

static struct ff_stats ff_stats(const struct ff_view *v, const struct qnetd_client *x)
{
	struct ff_stats s = {0, 0, 0};
	struct ff_nodes m = mem_of(v, x);
	for (size_t i = 0; i < m.n; i++) {
		const struct qnetd_client *y = qnetd_cluster_find_client(v->cluster, m.v[i].node_id);
		if (y == NULL)
			continue;
		s.active++;
		/*
		 * The sender's new heuristics count only when it is the candidate
		 * itself; as a member of another candidate's partition its stored
		 * value is used (an upstream quirk kept on purpose).
		 */
		uint8_t h = y == x ? heuristics_of(v, x) : y->heuristics;
		if (h == PROTO_HEURISTICS_PASS)
			s.pass++;
		else if (h == PROTO_HEURISTICS_FAIL)
			s.fail++;
	}
	return s;
}

static uint32_t preferred_node(const struct ff_view *v, const struct qnetd_client *x)
{
	struct ff_nodes c = cfg_of(v, x);
	uint32_t id;

	switch (x->tie_breaker.mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		if (c.n == 0)
			return 0;
		id = c.v[0].node_id;
		for (size_t i = 1; i < c.n; i++) {
			if (c.v[i].node_id < id)
				id = c.v[i].node_id;
		}
		return id;
	case PROTO_TIE_BREAKER_HIGHEST:
		id = 0;
		for (size_t i = 0; i < c.n; i++) {
			if (c.v[i].node_id > id)
				id = c.v[i].node_id;
		}
		return id;
	case PROTO_TIE_BREAKER_NODE_ID:
		return x->tie_breaker.node_id;
	}
	/* Node id 0 is never in a list: no preferred partition. */
	return 0;
}

/*
 * Is X's partition better than B's (B may be NULL)? Asymmetric on purpose:
 * the majority test looks at X alone, as upstream does.
 */
static bool ff_better(const struct ff_view *v, const struct qnetd_client *x, const struct qnetd_client *b,
		      bool kap)
{
	size_t c = cfg_of(v, x).n, m = mem_of(v, x).n;

	if (c % 2 == 1)
		return m > c / 2;
	if (m > c / 2)
		return true;
	if (m < c / 2)
		return false;

	struct ff_stats sx = ff_stats(v, x);
	struct ff_stats sb = {0, 0, 0};
	if (b != NULL)
		sb = ff_stats(v, b);
	long score_x = sx.active + sx.pass - sx.fail, score_b = sb.active + sb.pass - sb.fail;
	if (score_x != score_b)
		return score_x > score_b;
	if (sx.active != sb.active)
		return sx.active > sb.active;
	if (kap && b != NULL) {
		/* Keep the partition that already had quorum rather than moving it on a tie. */
		bool in_x = qnetd_node_list_contains(&v->cluster->quorate_partition, x->node_id);
		bool in_b = qnetd_node_list_contains(&v->cluster->quorate_partition, b->node_id);
		if (in_x != in_b)
			return in_x;
	}
	return nodes_contain(mem_of(v, x), preferred_node(v, x));
}

static const struct qnetd_client *ff_select_partition(const struct ff_view *v)
{
	const struct qnetd_cluster *cluster = v->cluster;
	bool kap = true;
	const struct qnetd_client *best = NULL;

	/* The leaving client's setting still counts here (it is still in the cluster). */
	for (size_t i = 0; i < cluster->client_count; i++) {
		if (!cluster->clients[i]->kap_tie_breaker)
			kap = false;
	}
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		if (ff_better(v, x, best, kap))
			best = x;
	}
	return best;
}

/*
 * Pushes `vote` to every client waiting for it; returns how many were queued.
 * view is NULL when called from a VOTE_INFO_REPLY: everyone then gets its
 * stored ring id.
 */
static size_t ff_send_votes(const struct qnetd_algo_io *io, struct qnetd_cluster *cluster,
			    const struct ff_view *v, uint8_t vote)
{
	enum ffsplit_client_state wanted =
		vote == PROTO_VOTE_ACK ? FFSPLIT_CLIENT_SENDING_ACK : FFSPLIT_CLIENT_SENDING_NACK;
	size_t queued = 0;

	for (size_t i = 0; i < cluster->client_count; i++) {
		struct qnetd_client *x = cluster->clients[i];
		if (v != NULL && excluded(v, x))
			continue;
		if (x->ffsplit_state != wanted)
			continue;
		x->vote_info_seq++;
		const struct proto_ring_id *ring = v != NULL ? ring_of(v, x) : &x->ring_id;
		if (io->send_vote_info(io->ctx, x, x->vote_info_seq, vote, ring) == 0)
			queued++;
	}
	return queued;
}

/* The evaluation (doc/algorithms.md §3.3). */
static enum proto_reply_error ff_run(const struct qnetd_algo_io *io, const struct ff_view *v, uint8_t *vote)
{
	struct qnetd_cluster *cluster = v->cluster;

	cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP;
	int stable = ff_stable(v);
	if (stable < 0)
		return PROTO_ERR_INTERNAL_ERROR;
	if (stable == 0) {
		*vote = PROTO_VOTE_WAIT_FOR_REPLY;
		return PROTO_ERR_NO_ERROR;
	}

	const struct qnetd_client *best = ff_select_partition(v);
	struct ff_nodes winner = {NULL, 0};
	if (best != NULL)
		winner = mem_of(v, best);
	if (qnetd_node_list_set(&cluster->quorate_partition, winner.v, winner.n) != 0)
		return PROTO_ERR_INTERNAL_ERROR;

	for (size_t i = 0; i < cluster->client_count; i++) {
		struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			x->ffsplit_state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
		else if (nodes_contain(winner, x->node_id))
			x->ffsplit_state = FFSPLIT_CLIENT_SENDING_ACK;
		else
			x->ffsplit_state = FFSPLIT_CLIENT_SENDING_NACK;
	}

	/* The losers must confirm dropping the vote before the winners are told to use it. */
	cluster->ffsplit_state = FFSPLIT_CLUSTER_SENDING_NACKS;
	if (ff_send_votes(io, cluster, v, PROTO_VOTE_NACK) == 0) {
		cluster->ffsplit_state = FFSPLIT_CLUSTER_SENDING_ACKS;
		if (ff_send_votes(io, cluster, v, PROTO_VOTE_ACK) == 0)
			cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
	}
	*vote = PROTO_VOTE_NO_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

static struct ff_view stored_view(struct qnetd_client *client)
{
	return (struct ff_view){
		.cluster = client->cluster,
		.sender = client,
		.leaving = false,
		.ring = client->ring_id,
		.cfg = stored(&client->config_list),
		.mem = stored(&client->membership_list),
		.heuristics = client->heuristics,
	};
}

static enum proto_reply_error ff_init(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	(void)io;
	client->ffsplit_state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error ff_config_node_list(const struct qnetd_algo_io *io, struct qnetd_client *client,
						  const struct msg_node_info *nodes, size_t count, bool initial,
						  uint8_t *vote)
{
	struct ff_view v = stored_view(client);
	v.cfg = (struct ff_nodes){nodes, count};

	if (count == 0 || !nodes_contain(v.cfg, client->node_id))
		return PROTO_ERR_INVALID_CONFIG_NODE_LIST;
	/* Nothing to decide without a membership: stock clients send the initial config before their first one. */
	if (initial || client->membership_list.count == 0) {
		*vote = PROTO_VOTE_ASK_LATER;
		return PROTO_ERR_NO_ERROR;
	}
	return ff_run(io, &v, vote);
}

static enum proto_reply_error ff_membership_node_list(const struct qnetd_algo_io *io,
						      struct qnetd_client *client,
						      const struct proto_ring_id *ring,
						      const struct msg_node_info *nodes, size_t count,
						      uint8_t heuristics, uint8_t *vote)
{
	struct ff_view v = stored_view(client);
	v.ring = *ring;
	v.mem = (struct ff_nodes){nodes, count};
	v.heuristics = heuristics;

	if (count == 0 || !nodes_contain(v.mem, client->node_id))
		return PROTO_ERR_INVALID_MEMBERSHIP_NODE_LIST;
	if (client->config_list.count == 0) {
		*vote = PROTO_VOTE_ASK_LATER;
		return PROTO_ERR_NO_ERROR;
	}
	return ff_run(io, &v, vote);
}

/* ffsplit answers only through VOTE_INFO; a poll is a protocol error for it. */
static enum proto_reply_error ff_ask_for_vote(const struct qnetd_algo_io *io, struct qnetd_client *client,
					      uint8_t *vote)
{
	(void)io;
	(void)client;
	(void)vote;
	return PROTO_ERR_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE;
}

static bool any_client_in(const struct qnetd_cluster *cluster, enum ffsplit_client_state state)
{
	for (size_t i = 0; i < cluster->client_count; i++) {
		if (cluster->clients[i]->ffsplit_state == state)
			return true;
	}
	return false;
}

static enum proto_reply_error ff_vote_info_reply(const struct qnetd_algo_io *io, struct qnetd_client *client,
						 uint32_t seq)
{
	struct qnetd_cluster *cluster = client->cluster;

	/* A reply to a VOTE_INFO superseded by a later push confirms nothing. */
	if (seq != client->vote_info_seq)
		return PROTO_ERR_NO_ERROR;

	client->ffsplit_state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
	if (cluster->ffsplit_state == FFSPLIT_CLUSTER_SENDING_NACKS) {
		if (!any_client_in(cluster, FFSPLIT_CLIENT_SENDING_NACK)) {
			cluster->ffsplit_state = FFSPLIT_CLUSTER_SENDING_ACKS;
			if (ff_send_votes(io, cluster, NULL, PROTO_VOTE_ACK) == 0)
				cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
		}
	} else if (cluster->ffsplit_state == FFSPLIT_CLUSTER_SENDING_ACKS) {
		if (!any_client_in(cluster, FFSPLIT_CLIENT_SENDING_ACK))
			cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
	}
	return PROTO_ERR_NO_ERROR;
}

static enum proto_reply_error ff_heuristics_change(const struct qnetd_algo_io *io, struct qnetd_client *client,
						   uint8_t heuristics, uint8_t *vote)
{
	struct ff_view v = stored_view(client);
	v.heuristics = heuristics;

	if (client->config_list.count == 0 || client->membership_list.count == 0) {
		*vote = PROTO_VOTE_ASK_LATER;
		return PROTO_ERR_NO_ERROR;
	}
	return ff_run(io, &v, vote);
}

/* The others may now form the winning partition: decide again without the leaving client. */
static void ff_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				 bool server_going_down)
{
	if (server_going_down)
		return;
	struct ff_view v = stored_view(client);
	v.leaving = true;
	uint8_t ignored;
	(void)ff_run(io, &v, &ignored);
}

const struct qnetd_algo qnetd_algo_ffsplit = {
	.id = PROTO_ALGO_FFSPLIT,
	.init = ff_init,
	.config_node_list = ff_config_node_list,
	.membership_node_list = ff_membership_node_list,
	/* The quorum list plays no part in the decision. */
	.quorum_node_list = qnetd_algo_quorum_node_list_no_change,
	.ask_for_vote = ff_ask_for_vote,
	.vote_info_reply = ff_vote_info_reply,
	.heuristics_change = ff_heuristics_change,
	.client_disconnect = ff_client_disconnect,
	/* ffsplit never arms the algorithm timer. */
	.timer = qnetd_algo_timer_nothing,
};
