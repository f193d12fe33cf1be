/* Shared fixture of the algorithm tests: a cluster, clients and a recording io; the fx_ helpers play the daemon. */
#ifndef QD_TESTS_ALGO_FIXTURE_H
#define QD_TESTS_ALGO_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qnetd_algo.h"

/* Most nodes one list, and pushes between two checks, may hold. */
#define FX_MAXN 64

/* Short names for the scenario tables. */
#define ACK PROTO_VOTE_ACK
#define NACK PROTO_VOTE_NACK
#define ASK_LATER PROTO_VOTE_ASK_LATER
#define WAIT PROTO_VOTE_WAIT_FOR_REPLY
#define NO_CHANGE PROTO_VOTE_NO_CHANGE
#define UNDEFINED PROTO_VOTE_UNDEFINED
#define H_UNDEF PROTO_HEURISTICS_UNDEFINED
#define H_PASS PROTO_HEURISTICS_PASS
#define H_FAIL PROTO_HEURISTICS_FAIL
#define LOW PROTO_TIE_BREAKER_LOWEST
#define HIGH PROTO_TIE_BREAKER_HIGHEST
#define NODE PROTO_TIE_BREAKER_NODE_ID

#define RING(n, s) ((struct proto_ring_id){(n), (s)})
/* A node-id list as the (pointer, count) argument pair the helpers take. */
#define IDS(...) (const uint32_t[]){__VA_ARGS__}, (sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

/* One VOTE_INFO as the recording io saw it. */
struct fx_push {
	uint32_t to;
	uint32_t seq;
	uint8_t vote;
	uint32_t ring_node;
	uint64_t ring_seq;
};

/* One timer call: start (with its interval) or stop. */
struct fx_timer_ev {
	uint32_t node;
	char kind; /* 'S' start, 'X' stop */
	uint32_t interval;
};

struct fx {
	const struct qnetd_algo *algo;
	struct qnetd_cluster *cluster;
	struct qnetd_algo_io io;
	/* What fx_add gives each new client; tests change them before adding. */
	struct proto_tie_breaker tb;
	bool kap;
	uint32_t heartbeat;
	uint32_t fail_to;                   /* pushes to this node id fail (0: none) */
	struct fx_push pushes[FX_MAXN];     /* since the last fx_check_pushes */
	size_t npush;
	struct fx_push pending[4 * FX_MAXN]; /* not yet confirmed by fx_reply */
	size_t npending;
	struct fx_timer_ev tev[4 * FX_MAXN]; /* since the last fx_check_timers */
	size_t ntev;
	size_t send_calls;                  /* every io call since fx_setup, failed pushes included */
	size_t timer_calls;
	uint64_t now;                       /* the io's clock (ms); fx_advance moves it */
	bool timer_expected;                /* set by tests of algorithms that otherwise never arm the timer */
	/* Vote holds reported through io->vote_held since the last fx_check_held. */
	uint32_t held_waiting[FX_MAXN];
	uint32_t held_node[FX_MAXN];
	uint64_t held_wait[FX_MAXN];
	size_t nheld;
};

/*
 * A cmocka setup: a fresh fixture for `algo` in *state (tie-breaker lowest,
 * KAP off, heartbeat 8000 ms). Returns 0.
 */
int fx_setup(void **state, const struct qnetd_algo *algo);
/* Frees the clients (without calling the algorithm) and the fixture. Returns 0. */
int fx_teardown(void **state);

/* The client with this node id; fails the test when there is none. */
struct qnetd_client *fx_client(struct fx *f, uint32_t id);
/* Whether the client's algorithm timer runs, as the recording io tracks it. */
bool fx_armed(struct fx *f, uint32_t id);
/* A successful INIT: the client joins with the fixture's settings, then the algorithm's init runs. */
struct qnetd_client *fx_add(struct fx *f, uint32_t id, struct proto_ring_id init_ring);
/* The daemon's disconnect: hook first, removal from the cluster after it. */
void fx_disconnect(struct fx *f, uint32_t id, bool going_down);
/* Stores the ids as a node list (all members, data center 0). */
void fx_set_list(struct qnetd_node_list *l, const uint32_t *ids, size_t n);

/*
 * The messages, handled like the daemon does (doc/algorithms.md §1.2): the hook
 * runs, then on success the list is stored and the reply vote recorded.
 * Each returns the reply vote, or -error (nothing stored).
 */
int fx_config(struct fx *f, uint32_t id, bool initial, const uint32_t *ids, size_t n);
int fx_membership(struct fx *f, uint32_t id, struct proto_ring_id ring, const uint32_t *ids, size_t n,
		  uint8_t heur);
int fx_quorum(struct fx *f, uint32_t id, const uint32_t *ids, size_t n);
int fx_heuristics(struct fx *f, uint32_t id, uint8_t heur);
int fx_ask(struct fx *f, uint32_t id);
/* VOTE_INFO_REPLY (must succeed); a confirmed push is no longer pending. */
void fx_reply(struct fx *f, uint32_t id, uint32_t seq);
/* Every client confirms the pushes it got, in order, until nothing is pending; new pushes are not checked. */
void fx_confirm_all(struct fx *f);
/* The client's algorithm timer fires (must succeed). */
void fx_timer(struct fx *f, uint32_t id);

/* Moves the io's clock on by ms. */
void fx_advance(struct fx *f, uint64_t ms);
/* Fails unless exactly one hold was reported since the last check, with these values; then forgets it. */
void fx_check_held(struct fx *f, uint32_t waiting, uint32_t held_node, uint64_t wait_ms, int line);
#define EXPECT_HELD(f, waiting, node, wait) fx_check_held((f), (waiting), (node), (wait), __LINE__)

/* Fails (naming `line`) unless the pushes since the last check are exactly `want`; then forgets them. */
void fx_check_pushes(struct fx *f, const struct fx_push *want, size_t n, int line);
/* Likewise for the timer calls. */
void fx_check_timers(struct fx *f, const struct fx_timer_ev *want, size_t n, int line);

#define EXPECT_PUSHES(f, ...)                                                                   \
	fx_check_pushes((f), (const struct fx_push[]){__VA_ARGS__},                             \
			sizeof((const struct fx_push[]){__VA_ARGS__}) / sizeof(struct fx_push), __LINE__)
#define EXPECT_NO_PUSH(f) fx_check_pushes((f), NULL, 0, __LINE__)
/* push: recipient, seq, vote, ring node, ring seq */
#define P(to, seq, vote, rn, rs) {(to), (seq), (vote), (rn), (rs)}

#define EXPECT_TIMERS(f, ...)                                                                   \
	fx_check_timers((f), (const struct fx_timer_ev[]){__VA_ARGS__},                         \
			sizeof((const struct fx_timer_ev[]){__VA_ARGS__}) / sizeof(struct fx_timer_ev), __LINE__)
#define EXPECT_NO_TIMER(f) fx_check_timers((f), NULL, 0, __LINE__)
#define START(n, ms) {(n), 'S', (ms)}
#define STOP(n) {(n), 'X', 0}

#endif
