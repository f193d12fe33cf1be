/* Shared fixture of the algorithm tests: a cluster, clients and a recording io; the fx_ helpers play the daemon. */
#include "algo_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Each client carries its timer state, reached through client->owner (the daemon keeps its connection there). */
struct fx_slot {
	struct qnetd_client client;
	bool armed;
};

static int rec_send(void *ctx, struct qnetd_client *to, uint32_t seq, uint8_t vote, const struct proto_ring_id *ring)
{
	struct fx *f = ctx;
	f->send_calls++;
	if (to->node_id == f->fail_to)
		return -1;
	assert_true(f->npush < FX_MAXN);
	assert_true(f->npending < 4 * FX_MAXN);
	f->pushes[f->npush++] = (struct fx_push){to->node_id, seq, vote, ring->node_id, ring->seq};
	f->pending[f->npending++] = f->pushes[f->npush - 1];
	/* What the daemon records for every queued VOTE_INFO (doc/algorithms.md §1.3). */
	qnetd_client_note_vote_sent(to, vote, seq);
	return 0;
}

static void rec_timer(struct fx *f, struct qnetd_client *client, char kind, uint32_t interval_ms)
{
	f->timer_calls++;
	assert_true(f->ntev < 4 * FX_MAXN);
	f->tev[f->ntev++] = (struct fx_timer_ev){client->node_id, kind, interval_ms};
	((struct fx_slot *)client->owner)->armed = kind == 'S';
}

static void rec_timer_start(void *ctx, struct qnetd_client *client, uint32_t interval_ms)
{
	rec_timer(ctx, client, 'S', interval_ms);
}

static void rec_timer_stop(void *ctx, struct qnetd_client *client)
{
	rec_timer(ctx, client, 'X', 0);
}

static uint64_t rec_now(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static void rec_held(void *ctx, const struct qnetd_client *waiting, uint32_t held_node, uint64_t wait_ms)
{
	struct fx *f = ctx;
	assert_true(f->nheld < FX_MAXN);
	f->held_waiting[f->nheld] = waiting->node_id;
	f->held_node[f->nheld] = held_node;
	f->held_wait[f->nheld] = wait_ms;
	f->nheld++;
}

int fx_setup(void **state, const struct qnetd_algo *algo)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->algo = algo;
	f->cluster = qnetd_cluster_create((const uint8_t *)"c", 1);
	assert_non_null(f->cluster);
	f->io = (struct qnetd_algo_io){f, rec_send, rec_timer_start, rec_timer_stop, rec_now, rec_held};
	f->now = 1000000;
	f->tb = (struct proto_tie_breaker){PROTO_TIE_BREAKER_LOWEST, 0};
	f->kap = false;
	f->heartbeat = 8000;
	*state = f;
	return 0;
}

static void fx_remove(struct fx *f, struct qnetd_client *c)
{
	struct fx_slot *slot = c->owner;
	qnetd_cluster_remove_client(f->cluster, c);
	qnetd_client_destroy(c);
	free(slot);
}

int fx_teardown(void **state)
{
	struct fx *f = *state;
	while (f->cluster->client_count > 0)
		fx_remove(f, f->cluster->clients[0]);
	qnetd_cluster_destroy(f->cluster);
	free(f);
	return 0;
}

struct qnetd_client *fx_client(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = qnetd_cluster_find_client(f->cluster, id);
	assert_non_null(c);
	return c;
}

bool fx_armed(struct fx *f, uint32_t id)
{
	return ((struct fx_slot *)fx_client(f, id)->owner)->armed;
}

struct qnetd_client *fx_add(struct fx *f, uint32_t id, struct proto_ring_id init_ring)
{
	struct fx_slot *slot = calloc(1, sizeof(*slot));
	assert_non_null(slot);
	struct qnetd_client *c = &slot->client;
	qnetd_client_init(c, slot);
	c->node_id = id;
	c->algorithm = f->algo->id;
	c->tie_breaker = f->tb;
	c->heartbeat_interval = f->heartbeat;
	c->kap_tie_breaker = f->kap;
	c->ring_id = init_ring;
	assert_int_equal(qnetd_cluster_add_client(f->cluster, c), 0);
	assert_int_equal(f->algo->init(&f->io, c), PROTO_ERR_NO_ERROR);
	/* No algorithm starts a client with an answer. */
	assert_int_equal(c->last_result, UNDEFINED);
	return c;
}

void fx_disconnect(struct fx *f, uint32_t id, bool going_down)
{
	struct qnetd_client *c = fx_client(f, id);
	f->algo->client_disconnect(&f->io, c, going_down);
	fx_remove(f, c);
}

/* A list as the daemon builds it from a message: entries in the given order, ids sorted. */
static void to_list(const uint32_t *ids, size_t n, struct qnetd_node_list *out)
{
	struct msg_node_info nodes[FX_MAXN];
	assert_true(n <= FX_MAXN);
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct msg_node_info){ids[i], 0, PROTO_NODE_STATE_MEMBER};
	*out = (struct qnetd_node_list){0};
	assert_int_equal(qnetd_node_list_set(out, nodes, n), 0);
}

void fx_set_list(struct qnetd_node_list *l, const uint32_t *ids, size_t n)
{
	struct qnetd_node_list built;
	to_list(ids, n, &built);
	qnetd_node_list_move(l, &built);
}

/* Reply votes are recorded like the daemon does (doc/algorithms.md §1.3); errors leave everything unstored. */
static int finish(struct qnetd_client *c, enum proto_reply_error err, uint8_t vote)
{
	if (err != PROTO_ERR_NO_ERROR)
		return -(int)err;
	qnetd_client_note_vote_sent(c, vote, 0);
	return vote;
}

int fx_config(struct fx *f, uint32_t id, bool initial, const uint32_t *ids, size_t n)
{
	struct qnetd_client *c = fx_client(f, id);
	struct qnetd_node_list l;
	uint8_t vote = 0;
	to_list(ids, n, &l);
	enum proto_reply_error err = f->algo->config_node_list(&f->io, c, &l, initial, &vote);
	if (err == PROTO_ERR_NO_ERROR)
		qnetd_node_list_move(&c->config_list, &l);
	qnetd_node_list_clear(&l);
	return finish(c, err, vote);
}

int fx_membership(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *ids, size_t n,
		  uint8_t heur)
{
	struct qnetd_client *c = fx_client(f, id);
	struct qnetd_node_list l;
	uint8_t vote = 0;
	to_list(ids, n, &l);
	enum proto_reply_error err = f->algo->membership_node_list(&f->io, c, &ring, &l, heur, &vote);
	if (err == PROTO_ERR_NO_ERROR) {
		qnetd_node_list_move(&c->membership_list, &l);
		c->ring_id = ring;
		c->membership_heuristics = heur;
		c->heuristics = heur;
	}
	qnetd_node_list_clear(&l);
	return finish(c, err, vote);
}

int fx_quorum(struct fx *f, uint32_t id, const uint32_t *ids, size_t n)
{
	struct qnetd_client *c = fx_client(f, id);
	struct qnetd_node_list l;
	uint8_t vote = 0;
	to_list(ids, n, &l);
	enum proto_reply_error err = f->algo->quorum_node_list(&f->io, c, PROTO_QUORATE, &l, &vote);
	if (err == PROTO_ERR_NO_ERROR)
		qnetd_node_list_move(&c->quorum_list, &l);
	qnetd_node_list_clear(&l);
	return finish(c, err, vote);
}

int fx_heuristics(struct fx *f, uint32_t id, uint8_t heur)
{
	struct qnetd_client *c = fx_client(f, id);
	uint8_t vote = 0;
	enum proto_reply_error err = f->algo->heuristics_change(&f->io, c, heur, &vote);
	if (err == PROTO_ERR_NO_ERROR) {
		c->regular_heuristics = heur;
		c->heuristics = heur;
	}
	return finish(c, err, vote);
}

int fx_ask(struct fx *f, uint32_t id)
{
	struct qnetd_client *c = fx_client(f, id);
	uint8_t vote = 0;
	enum proto_reply_error err = f->algo->ask_for_vote(&f->io, c, &vote);
	return finish(c, err, vote);
}

void fx_reply(struct fx *f, uint32_t id, uint32_t seq)
{
	for (size_t i = 0; i < f->npending; i++) {
		if (f->pending[i].to == id && f->pending[i].seq == seq) {
			memmove(&f->pending[i], &f->pending[i + 1], (f->npending - i - 1) * sizeof(*f->pending));
			f->npending--;
			break;
		}
	}
	qnetd_client_note_vote_confirmed(fx_client(f, id), seq);
	assert_int_equal(f->algo->vote_info_reply(&f->io, fx_client(f, id), seq), PROTO_ERR_NO_ERROR);
}

void fx_confirm_all(struct fx *f)
{
	while (f->npending > 0) {
		struct fx_push p = f->pending[0];
		if (qnetd_cluster_find_client(f->cluster, p.to) != NULL) {
			fx_reply(f, p.to, p.seq);
		} else {
			memmove(&f->pending[0], &f->pending[1], (f->npending - 1) * sizeof(*f->pending));
			f->npending--;
		}
	}
	f->npush = 0;
}

void fx_timer(struct fx *f, uint32_t id)
{
	assert_int_equal(f->algo->timer(&f->io, fx_client(f, id)), PROTO_ERR_NO_ERROR);
}

static void print_push(const char *what, int line, size_t i, const struct fx_push *p)
{
	if (p != NULL)
		print_error("line %d push %zu: %s ->C%u seq %u vote %u ring %x.%llx\n", line, i, what, p->to, p->seq,
			    p->vote, p->ring_node, (unsigned long long)p->ring_seq);
	else
		print_error("line %d push %zu: %s nothing\n", line, i, what);
}

void fx_check_pushes(struct fx *f, const struct fx_push *want, size_t n, int line)
{
	for (size_t i = 0; i < f->npush || i < n; i++) {
		const struct fx_push *g = i < f->npush ? &f->pushes[i] : NULL;
		const struct fx_push *w = i < n ? &want[i] : NULL;
		if (g != NULL && w != NULL && g->to == w->to && g->seq == w->seq && g->vote == w->vote &&
		    g->ring_node == w->ring_node && g->ring_seq == w->ring_seq)
			continue;
		print_push("got", line, i, g);
		print_push("want", line, i, w);
		fail();
	}
	f->npush = 0;
}

static void print_timer(const char *what, int line, size_t i, const struct fx_timer_ev *t)
{
	if (t != NULL)
		print_error("line %d timer %zu: %s C%u %c %u\n", line, i, what, t->node, t->kind, t->interval);
	else
		print_error("line %d timer %zu: %s nothing\n", line, i, what);
}

void fx_check_timers(struct fx *f, const struct fx_timer_ev *want, size_t n, int line)
{
	for (size_t i = 0; i < f->ntev || i < n; i++) {
		const struct fx_timer_ev *g = i < f->ntev ? &f->tev[i] : NULL;
		const struct fx_timer_ev *w = i < n ? &want[i] : NULL;
		if (g != NULL && w != NULL && g->node == w->node && g->kind == w->kind && g->interval == w->interval)
			continue;
		print_timer("got", line, i, g);
		print_timer("want", line, i, w);
		fail();
	}
	f->ntev = 0;
}

void fx_advance(struct fx *f, uint64_t ms)
{
	f->now += ms;
}

void fx_check_held(struct fx *f, uint32_t waiting, uint32_t held_node, uint64_t wait_ms, int line)
{
	if (f->nheld == 1 && f->held_waiting[0] == waiting && f->held_node[0] == held_node && f->held_wait[0] == wait_ms) {
		f->nheld = 0;
		return;
	}
	print_error("line %d: want one hold (C%u waits for node %u, %llu ms), got %zu\n", line, waiting, held_node,
		    (unsigned long long)wait_ms, f->nheld);
	for (size_t i = 0; i < f->nheld; i++)
		print_error("  C%u waits for node %u, %llu ms\n", f->held_waiting[i], f->held_node[i],
			    (unsigned long long)f->held_wait[i]);
	fail();
}
