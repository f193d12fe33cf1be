/* The "ffsplit" algorithm (doc/algorithms.md §3): one winning partition per cluster, NACKs confirmed before ACKs. */
#include "qnetd_algo.h"

/*
 * The evaluation's picture of the sender: the message's values (hooks run
 * before the daemon stores them) plus stored ones for what it does not carry.
 */
struct ff_view {
	struct qnetd_cluster *cluster;
	const struct qnetd_client *sender;
	bool leaving;
	struct proto_ring_id ring;
	const struct qnetd_node_list *cfg;
	const struct qnetd_node_list *mem;
	uint8_t heuristics;
};

static const struct qnetd_node_list *cfg_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? v->cfg : &x->config_list;
}

static const struct qnetd_node_list *mem_of(const struct ff_view *v, const struct qnetd_client *x)
{
	return x == v->sender ? v->mem : &x->membership_list;
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

static size_t uf_find(union qnetd_eval_slot *slot, size_t i)
{
	while (slot[i].parent != i) {
		slot[i].parent = slot[slot[i].parent].parent;
		i = slot[i].parent;
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
 * The sets are the lists' sorted ids, built when each list was stored, and
 * the union-find lives in the cluster's evaluation slots: nothing is sorted
 * or allocated here. Each client's members are found by merging its sorted
 * ids with the clients (sorted by node id), and a member already proven to
 * share its set costs one union-find lookup: O(N x (M + N)) for N clients
 * listing M nodes.
 */
static bool ff_stable(const struct ff_view *v)
{
	const struct qnetd_cluster *cluster = v->cluster;
	size_t nc = cluster->client_count;
	union qnetd_eval_slot *slot = cluster->eval_slots;

	/* (a) identical configuration sets */
	const struct qnetd_node_list *ref = NULL;
	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		if (ref == NULL)
			ref = cfg_of(v, x);
		else if (!qnetd_node_list_same_ids(ref, cfg_of(v, x)))
			return false;
	}

	/* (b) connected members agree on ring id and membership */
	for (size_t i = 0; i < nc; i++)
		slot[i].parent = i;
	for (size_t i = 0; i < nc; i++) {
		const struct qnetd_client *x = cluster->clients[i];
		if (excluded(v, x))
			continue;
		const struct qnetd_node_list *mx = mem_of(v, x);
		bool lists_itself = qnetd_node_list_contains(mx, x->node_id);
		/* X's ids and the clients are both sorted by node id: one merge finds the connected members. */
		size_t j = 0;
		for (size_t k = 0; k < mx->id_count && j < nc; k++) {
			while (j < nc && cluster->clients[j]->node_id < mx->ids[k])
				j++;
			if (j == nc || cluster->clients[j]->node_id != mx->ids[k])
				continue;
			const struct qnetd_client *y = cluster->clients[j];
			if (y == x || excluded(v, y))
				continue;
			if (!proto_ring_id_equal(ring_of(v, x), ring_of(v, y)))
				return false;
			/* Already proven to share X's set, which holds X: the pair is fine (the common case). */
			size_t ri = uf_find(slot, i), rj = uf_find(slot, j);
			if (lists_itself && ri == rj)
				continue;
			const struct qnetd_node_list *my = mem_of(v, y);
			if (qnetd_node_list_contains(my, x->node_id)) {
				if (ri != rj) {
					if (!qnetd_node_list_same_ids(mx, my))
						return false;
					slot[ri].parent = rj;
				}
			} else if (lists_itself || !qnetd_node_list_ids_within(mx, my)) {
				return false;
			}
		}
	}
	return true;
}

/* Members of X's partition that are connected, passing and failing (the score of doc/algorithms.md §3.5). */
struct ff_stats {
	long active, pass, fail;
};

static struct ff_stats ff_stats(const struct ff_view *v, const struct qnetd_client *x)
{
	struct ff_stats s = {0, 0, 0};
	/* Entries, not ids: a duplicated member counts twice, as upstream counts it. */
	const struct qnetd_node_list *m = mem_of(v, x);
	for (size_t i = 0; i < m->count; i++) {
		const struct qnetd_client *y = qnetd_cluster_find_client(v->cluster, m->nodes[i].node_id);
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
	const struct qnetd_node_list *c = cfg_of(v, x);

	switch (x->tie_breaker.mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		return c->id_count > 0 ? c->ids[0] : 0;
	case PROTO_TIE_BREAKER_HIGHEST:
		return c->id_count > 0 ? c->ids[c->id_count - 1] : 0;
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
	/* Entries, duplicates included (doc/algorithms.md §3.5). */
	size_t c = cfg_of(v, x)->count, m = mem_of(v, x)->count;

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
	return qnetd_node_list_contains(mem_of(v, x), preferred_node(v, x));
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
		x->ffsplit_vote_sent = true;
		const struct proto_ring_id *ring = v != NULL ? ring_of(v, x) : &x->ring_id;
		if (io->send_vote_info(io->ctx, x, x->vote_info_seq, vote, ring) == 0)
			queued++;
	}
	return queued;
}

/* The first client waiting for an ACK: it carries the cluster's hold timer (ffsplit's only timer use). */
static struct qnetd_client *first_sending_ack(const struct qnetd_cluster *cluster)
{
	for (size_t i = 0; i < cluster->client_count; i++) {
		if (cluster->clients[i]->ffsplit_state == FFSPLIT_CLIENT_SENDING_ACK)
			return cluster->clients[i];
	}
	return NULL;
}

/*
 * Every NACK is confirmed: the ACK wave goes out, unless a vote hold (doc/algorithms.md §1.5) keeps
 * the winning partition waiting; then one winner's timer brings the decision back here.
 */
static void ff_release_acks(const struct qnetd_algo_io *io, struct qnetd_cluster *cluster, const struct ff_view *v)
{
	struct qnetd_client *waiting = first_sending_ack(cluster);
	if (waiting != NULL) {
		uint64_t wait = qnetd_algo_hold_check(io, waiting, &cluster->quorate_partition);
		if (wait > 0) {
			cluster->ffsplit_state = FFSPLIT_CLUSTER_HOLDING_ACKS;
			io->timer_start(io->ctx, waiting, qnetd_algo_hold_timer_ms(wait));
			return;
		}
	}
	cluster->ffsplit_state = FFSPLIT_CLUSTER_SENDING_ACKS;
	if (ff_send_votes(io, cluster, v, PROTO_VOTE_ACK) == 0)
		cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_CHANGE;
}

/* The evaluation (doc/algorithms.md §3.3). */
static enum proto_reply_error ff_run(const struct qnetd_algo_io *io, const struct ff_view *v, uint8_t *vote)
{
	struct qnetd_cluster *cluster = v->cluster;

	cluster->ffsplit_state = FFSPLIT_CLUSTER_WAITING_FOR_STABLE_MEMBERSHIP;
	if (!ff_stable(v)) {
		*vote = PROTO_VOTE_WAIT_FOR_REPLY;
		return PROTO_ERR_NO_ERROR;
	}

	const struct qnetd_client *best = ff_select_partition(v);
	const struct qnetd_node_list none = {0};
	const struct qnetd_node_list *winner = best != NULL ? mem_of(v, best) : &none;
	if (qnetd_node_list_copy(&cluster->quorate_partition, winner) != 0)
		return PROTO_ERR_INTERNAL_ERROR;

	for (size_t i = 0; i < cluster->client_count; i++) {
		struct qnetd_client *x = cluster->clients[i];
		x->ffsplit_vote_sent = false;
		if (excluded(v, x))
			x->ffsplit_state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
		else if (qnetd_node_list_contains(winner, x->node_id))
			x->ffsplit_state = FFSPLIT_CLIENT_SENDING_ACK;
		else
			x->ffsplit_state = FFSPLIT_CLIENT_SENDING_NACK;
	}

	/* The losers must confirm dropping the vote before the winners are told to use it. */
	cluster->ffsplit_state = FFSPLIT_CLUSTER_SENDING_NACKS;
	if (ff_send_votes(io, cluster, v, PROTO_VOTE_NACK) == 0)
		ff_release_acks(io, cluster, v);
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
		.cfg = &client->config_list,
		.mem = &client->membership_list,
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
						  const struct qnetd_node_list *nodes, bool initial, uint8_t *vote)
{
	struct ff_view v = stored_view(client);
	v.cfg = nodes;

	if (nodes->count == 0 || !qnetd_node_list_contains(nodes, client->node_id))
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
						      const struct qnetd_node_list *nodes, uint8_t heuristics,
						      uint8_t *vote)
{
	struct ff_view v = stored_view(client);
	v.ring = *ring;
	v.mem = nodes;
	v.heuristics = heuristics;

	if (nodes->count == 0 || !qnetd_node_list_contains(nodes, client->node_id))
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

	/*
	 * A NACK taken by a node ends the hold its departed client left: its corosync now has no vote.
	 * ffsplit's replies carry no ACK or NACK, so the last of those is the last push's.
	 */
	bool nack_taken = client->last_sent_ack_nack_vote == PROTO_VOTE_NACK;
	if (nack_taken && qnetd_cluster_hold_end(cluster, client->node_id) &&
	    cluster->ffsplit_state == FFSPLIT_CLUSTER_HOLDING_ACKS)
		ff_release_acks(io, cluster, NULL);
	/* Its vote for the current decision is not sent yet: the reply answers an earlier one. */
	if (!client->ffsplit_vote_sent)
		return PROTO_ERR_NO_ERROR;
	client->ffsplit_state = FFSPLIT_CLIENT_WAITING_FOR_CHANGE;
	if (cluster->ffsplit_state == FFSPLIT_CLUSTER_SENDING_NACKS) {
		if (!any_client_in(cluster, FFSPLIT_CLIENT_SENDING_NACK))
			ff_release_acks(io, cluster, NULL);
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

/*
 * The others may now form the winning partition: decide again without the leaving client. Its
 * node may still count the vote it had, so that starts a hold first (doc/algorithms.md §1.5).
 */
static void ff_client_disconnect(const struct qnetd_algo_io *io, struct qnetd_client *client,
				 bool server_going_down)
{
	if (server_going_down)
		return;
	qnetd_algo_hold_departing(io, client);
	struct ff_view v = stored_view(client);
	v.leaving = true;
	uint8_t ignored;
	(void)ff_run(io, &v, &ignored);
}

/* The hold timer: the winners' ACKs go out once no hold keeps them back. */
static enum proto_reply_error ff_timer(const struct qnetd_algo_io *io, struct qnetd_client *client)
{
	if (client->cluster->ffsplit_state == FFSPLIT_CLUSTER_HOLDING_ACKS)
		ff_release_acks(io, client->cluster, NULL);
	return PROTO_ERR_NO_ERROR;
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
	/* Armed only while a vote hold keeps the ACKs back. */
	.timer = ff_timer,
};
