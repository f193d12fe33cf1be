/* qnetd load generator: C clusters x N simulated qdevice clients on one epoll loop; connect cost, storm decision latency, echo latency, qnetd CPU and RSS; or a hostile tenant (--hostile). */
/* getopt_long is a GNU interface. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_tls.h"
#include "frame.h"
#include "loop.h"
#include "msg.h"
#include "proto.h"

/* Nodes per cluster and per list: corosync's membership limit, which qnetd enforces (doc/hardening.md §7.1). */
#define MAX_NODES 384u
#define RECV_LIMIT PROTO_DEFAULT_MAX_MSG_SIZE
#define MAX_ERROR_LINES 20
#define TICK_MS 5u
/* The ring sequence advances by this much per membership change, as corosync's does (by 4). */
#define RING_STEP 4u
#define RING_SEQ_START 0x10u

enum client_state {
	CS_IDLE,          /* not started */
	CS_CONNECTING,    /* non-blocking connect() in progress */
	CS_PREINIT,       /* PREINIT sent, waiting for its reply */
	CS_STARTTLS,      /* STARTTLS queued; TLS starts when it has left */
	CS_HANDSHAKE,     /* TLS handshake in progress */
	CS_INIT,          /* INIT sent, waiting for INIT_REPLY */
	CS_READY,         /* initialised: lists sent, heartbeats running */
	CS_RETRY,         /* disconnected, waiting to reconnect */
	CS_DONE,          /* closed for good */
};

enum mem_kind {
	MEM_FULL,   /* every node in one partition */
	MEM_SPLIT,  /* nodes 1..N/2 | N/2+1..N */
};

enum phase {
	PHASE_NONE,     /* run for a fixed time; nothing ends the loop early */
	PHASE_JOIN,     /* hostile: until every client has its INIT_REPLY */
	PHASE_CONNECT,  /* until every client has its first ACK */
	PHASE_DECIDE,   /* until every participant has a decision for its new ring */
	PHASE_READMIT,  /* until every client lost its connection (qnetd restart) and has an ACK again */
};

struct bench;

struct client {
	struct bench *b;
	uint32_t index;
	uint32_t cluster;       /* 0-based */
	uint32_t node_id;       /* 1..N */
	enum client_state state;
	int fd;
	struct bench_tls_conn *tls;
	bool want_write;
	bool reread;            /* the TLS engine may hold data: read again before sleeping */
	uint32_t seq;           /* request sequence counter */
	uint32_t echo_seq;      /* last echo request sent */
	uint32_t echo_acked;    /* last echo reply received */

	uint8_t *in;
	size_t in_len, in_cap;
	struct frame_reader frame;              /* the daemons' framing (common/frame.h) */
	uint8_t *out;
	size_t out_len, out_off, out_cap;

	struct loop_timer hb_timer;
	struct loop_timer retry_timer;
	struct loop_timer flood_timer;  /* hostile: the next re-sent membership list */
	uint64_t echo_sent_ns;          /* when echo_seq left */
	bool joined;                    /* hostile: INIT_REPLY seen once */

	struct proto_ring_id ring;   /* ring of the membership this client holds */
	uint64_t mem_sent_ns;        /* when that membership list left (0 = not yet) */
	uint8_t vote;                /* decision received for ring (0 = none yet) */
	uint64_t decided_ns;
	bool participant;            /* counted in the current decision phase */

	bool first_ack;
	bool lost;                   /* readmit phase: the connection dropped */
	bool readmitted;             /* readmit phase: ACK again after the drop */
	bool pending;                /* started, first ACK not yet received */
	uint64_t connect_start_ns;
	uint64_t first_ack_ns;
};

struct config {
	const char *host;
	const char *port;
	uint32_t clusters;
	uint32_t nodes;
	bool tls;
	const char *nssdb;
	const char *nickname;
	bool resume;
	const char *tls_version;
	const char *tls_engine;
	double connect_rate;
	uint32_t max_pending;
	uint32_t heartbeat_ms;
	uint32_t echo_burst;     /* echo requests per heartbeat, one record each */
	uint32_t storms;
	pid_t qnetd_pid;
	double timeout_s;
	double connect_timeout_s;
	double hold_s;
	uint32_t settle_ms;
	uint32_t reconnect_ms;
	double restart_wait_s;
	bool nodelay;
	bool spread_sources;        /* one loopback source address per simulated node */
	const char *suffix;
	const char *label;
	bool verbose;
	/* --hostile: a tenant that re-sends maximal node lists (doc/hardening.md §7.6). */
	bool hostile;
	uint32_t list_nodes;         /* nodes in every list it sends */
	double hostile_rate;         /* membership lists a second, per client */
	const char *name_prefix;     /* cluster names are <prefix>K<suffix> */
};

struct counters {
	uint64_t protocol_errors;   /* SERVER_ERROR, bad replies, decode failures */
	uint64_t disconnects;       /* connections lost after they were established */
	uint64_t connect_failures;  /* connect() or TLS handshake failed */
	uint64_t wrong_votes;       /* final decision differs from the expected one */
	uint64_t vote_flips;        /* a second, different decision for the same ring */
	uint64_t stale_votes;       /* VOTE_INFO for a ring the client no longer holds */
	uint64_t echo_late;         /* echo reply missing when the next heartbeat was due */
	uint64_t handshakes;
	uint64_t init_retries;      /* INIT_REPLY 15/16/17: retried like stock qdevice */
	uint64_t echo_over_hb;      /* echo replies that took longer than the heartbeat interval */
	uint64_t lists_sent;        /* hostile: membership lists re-sent */
	uint64_t list_replies;      /* hostile: NODE_LIST_REPLYs received */
	uint64_t vote_infos;        /* hostile: VOTE_INFOs received */
	uint64_t server_errors;     /* hostile: SERVER_ERRORs received */
};

struct bench {
	struct config cfg;
	struct loop *loop;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct client *clients;
	size_t nclients;
	bool *cluster_excluded;
	bool stopping;

	enum mem_kind mem_kind;
	uint64_t ring_seq;

	enum phase phase;
	size_t phase_target;
	size_t phase_done;
	uint64_t phase_last_ns;     /* when the last awaited event arrived */
	uint64_t first_loss_ns;     /* readmit phase: the first dropped connection */
	bool timed_out;
	bool qnetd_gone;            /* the watched qnetd process exited */
	struct loop_timer deadline;
	struct loop_timer watch;    /* checks that the qnetd process still exists */

	/* Launching during the connect phase. */
	struct loop_timer tick;
	size_t next_launch;
	size_t pending;
	uint64_t launch_t0_ns;
	uint64_t hs_first_ns, hs_last_ns;

	struct counters n;
	int error_lines;

	/* Echo round trips after the connect phase, for the latency distribution. */
	bool echo_measure;
	uint64_t *echo_rtt;
	size_t echo_count, echo_cap;
};

static const uint16_t all_messages[PROTO_MSG_TYPE_COUNT] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
static const uint16_t all_options[PROTO_OPT_COUNT] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
						      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

static void client_connect(struct client *c);
static void client_fail(struct client *c, bool counted_disconnect, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- small utilities ---- */

static void report_error(struct bench *b, const struct client *c, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void report_error(struct bench *b, const struct client *c, const char *fmt, va_list ap)
{
	if (b->error_lines >= MAX_ERROR_LINES && !b->cfg.verbose)
		return;
	if (++b->error_lines == MAX_ERROR_LINES && !b->cfg.verbose) {
		fprintf(stderr, "qnetd_load: (further errors not shown)\n");
		return;
	}
	fprintf(stderr, "qnetd_load: c%" PRIu32 "n%" PRIu32 ": ", c->cluster + 1, c->node_id);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void protocol_error(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void protocol_error(struct client *c, const char *fmt, ...)
{
	va_list ap;
	c->b->n.protocol_errors++;
	va_start(ap, fmt);
	report_error(c->b, c, fmt, ap);
	va_end(ap);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (q == NULL) {
		fprintf(stderr, "qnetd_load: out of memory\n");
		exit(3);
	}
	return q;
}

static void buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t n = *cap == 0 ? 512 : *cap;
	while (n < need)
		n *= 2;
	*buf = xrealloc(*buf, n);
	*cap = n;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* ---- phases: what ends a loop run ---- */

static void phase_progress(struct bench *b)
{
	b->phase_done++;
	b->phase_last_ns = now_ns();
	if (b->phase != PHASE_NONE && b->phase_done >= b->phase_target)
		loop_stop(b->loop);
}

static void deadline_expired(struct loop *loop, void *data)
{
	struct bench *b = data;
	if (b->phase != PHASE_NONE)
		b->timed_out = true;
	loop_stop(loop);
}

/* With --qnetd-pid: a vanished daemon ends the run instead of waiting out every timeout. */
static void watch_expired(struct loop *loop, void *data)
{
	struct bench *b = data;
	if (kill(b->cfg.qnetd_pid, 0) != 0 && errno == ESRCH && b->phase != PHASE_READMIT) {
		b->qnetd_gone = true;
		b->timed_out = true;
		loop_stop(loop);
		return;
	}
	loop_timer_start(loop, &b->watch, 500);
}

/* Runs the loop until the phase completes or limit_ms passes; true when it completed. */
static bool run_loop(struct bench *b, enum phase phase, uint64_t limit_ms)
{
	b->phase = phase;
	b->timed_out = false;
	if (b->qnetd_gone)
		return false;
	if (phase != PHASE_NONE && b->phase_done >= b->phase_target) {
		b->phase = PHASE_NONE;
		return true;
	}
	loop_timer_start(b->loop, &b->deadline, limit_ms);
	if (loop_run(b->loop) != 0) {
		fprintf(stderr, "qnetd_load: event loop failed: %s\n", strerror(errno));
		exit(3);
	}
	loop_timer_stop(b->loop, &b->deadline);
	bool done = !b->timed_out;
	b->phase = PHASE_NONE;
	return done;
}

/* ---- membership model ---- */

static uint32_t split_half(const struct bench *b)
{
	return b->cfg.nodes / 2;
}

/* Nodes in the configuration list: the cluster, or the hostile tenant's maximal list. */
static uint32_t list_size(const struct bench *b)
{
	return b->cfg.hostile ? b->cfg.list_nodes : b->cfg.nodes;
}

/* The membership node ids and ring id a node holds in the current model. */
static size_t membership_of(const struct bench *b, uint32_t node_id, uint32_t *ids, struct proto_ring_id *ring)
{
	uint32_t lo = 1, hi = list_size(b);
	if (b->mem_kind == MEM_SPLIT) {
		uint32_t h = split_half(b);
		if (node_id <= h)
			hi = h;
		else
			lo = h + 1;
	}
	size_t n = 0;
	for (uint32_t id = lo; id <= hi; id++)
		ids[n++] = id;
	ring->node_id = lo; /* corosync's ring representative is the lowest member */
	ring->seq = b->ring_seq;
	return n;
}

/* ffsplit with tie-breaker lowest: the bigger half wins, an exact half wins if it holds node 1. */
static uint8_t expected_vote(const struct bench *b, uint32_t node_id)
{
	if (b->mem_kind == MEM_FULL)
		return PROTO_VOTE_ACK;
	uint32_t h = split_half(b);
	uint32_t other = b->cfg.nodes - h;
	bool winner_is_low = h >= other;
	bool in_low = node_id <= h;
	return in_low == winner_is_low ? PROTO_VOTE_ACK : PROTO_VOTE_NACK;
}

/* ---- output ---- */

static void queue_msg(struct client *c, const struct msg *m)
{
	uint8_t buf[16384]; /* a quorum list of 384 nodes with their states is about 6.5 KB */
	long len = msg_encode(m, buf, sizeof(buf));
	if (len < 0) {
		fprintf(stderr, "qnetd_load: cannot encode a %s message\n", proto_msg_type_str(m->type));
		exit(3);
	}
	buf_reserve(&c->out, &c->out_cap, c->out_len + (size_t)len);
	memcpy(c->out + c->out_len, buf, (size_t)len);
	c->out_len += (size_t)len;
}

static void set_want_write(struct client *c, bool want)
{
	if (want == c->want_write || c->fd < 0)
		return;
	c->want_write = want;
	loop_fd_modify(c->b->loop, c->fd, EPOLLIN | (want ? EPOLLOUT : 0));
}

static void start_tls(struct client *c);

/* Writes what the socket takes; returns false when the client was closed. */
static bool flush_out(struct client *c)
{
	while (c->out_off < c->out_len) {
		size_t left = c->out_len - c->out_off;
		ssize_t n;
		if (c->tls != NULL) {
			n = bench_tls_send(c->tls, c->out + c->out_off, left);
			if (n == BENCH_TLS_WANT_WRITE || n == BENCH_TLS_WANT_READ) {
				/* OpenSSL cannot want to read while writing here (no renegotiation); wait for room. */
				set_want_write(c, true);
				return true;
			}
			if (n <= 0) {
				client_fail(c, true, "TLS write failed (%s)", bench_tls_error());
				return false;
			}
		} else {
			n = send(c->fd, c->out + c->out_off, left, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				set_want_write(c, true);
				return true;
			}
			if (n <= 0) {
				client_fail(c, true, "write failed (%s)", strerror(errno));
				return false;
			}
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	set_want_write(c, false);
	if (c->state == CS_STARTTLS) {
		start_tls(c);
		return c->state != CS_RETRY && c->state != CS_DONE;
	}
	return true;
}

/* ---- messages a client sends ---- */

static void send_preinit(struct client *c)
{
	char name[64];
	int len = snprintf(name, sizeof(name), "%s%" PRIu32 "%s", c->b->cfg.name_prefix, c->cluster + 1, c->b->cfg.suffix);
	struct msg m;
	msg_init(&m, PROTO_MSG_PREINIT);
	c->seq = 1;
	m.seq_number = c->seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.cluster_name = (const uint8_t *)name;
	m.cluster_name_len = (size_t)len;
	msg_set_present(&m, PROTO_OPT_CLUSTER_NAME);
	queue_msg(c, &m);
}

static void send_simple(struct client *c, uint16_t type, uint32_t seq)
{
	struct msg m;
	msg_init(&m, type);
	m.seq_number = seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	queue_msg(c, &m);
}

static void send_init(struct client *c)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_INIT);
	m.seq_number = ++c->seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.supported_messages = all_messages;
	m.supported_messages_count = PROTO_MSG_TYPE_COUNT;
	msg_set_present(&m, PROTO_OPT_SUPPORTED_MESSAGES);
	m.supported_options = all_options;
	m.supported_options_count = PROTO_OPT_COUNT;
	msg_set_present(&m, PROTO_OPT_SUPPORTED_OPTIONS);
	m.node_id = c->node_id;
	msg_set_present(&m, PROTO_OPT_NODE_ID);
	m.algorithm = PROTO_ALGO_FFSPLIT;
	msg_set_present(&m, PROTO_OPT_DECISION_ALGORITHM);
	m.heartbeat_interval = c->b->cfg.heartbeat_ms;
	msg_set_present(&m, PROTO_OPT_HEARTBEAT_INTERVAL);
	m.tie_breaker.mode = PROTO_TIE_BREAKER_LOWEST;
	msg_set_present(&m, PROTO_OPT_TIE_BREAKER);
	uint32_t ids[MAX_NODES];
	membership_of(c->b, c->node_id, ids, &c->ring);
	m.ring_id = c->ring;
	msg_set_present(&m, PROTO_OPT_RING_ID);
	queue_msg(c, &m);
}

static void send_node_list(struct client *c, uint8_t type, const uint32_t *ids, size_t count, uint8_t state)
{
	struct msg_node_info nodes[MAX_NODES];
	struct msg m;
	msg_init(&m, PROTO_MSG_NODE_LIST);
	m.seq_number = ++c->seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.node_list_type = type;
	msg_set_present(&m, PROTO_OPT_NODE_LIST_TYPE);
	if (type == PROTO_NODE_LIST_MEMBERSHIP) {
		m.ring_id = c->ring;
		msg_set_present(&m, PROTO_OPT_RING_ID);
	}
	if (type == PROTO_NODE_LIST_INITIAL_CONFIG) {
		m.config_version = 1;
		msg_set_present(&m, PROTO_OPT_CONFIG_VERSION);
	}
	if (type == PROTO_NODE_LIST_QUORUM) {
		m.quorate = PROTO_QUORATE;
		msg_set_present(&m, PROTO_OPT_QUORATE);
	}
	for (size_t i = 0; i < count; i++) {
		nodes[i].node_id = ids[i];
		nodes[i].data_center_id = 0;
		nodes[i].node_state = state;
	}
	m.nodes = nodes;
	m.node_count = count;
	if (count > 0)
		msg_set_present(&m, PROTO_OPT_NODE_INFO);
	queue_msg(c, &m);
}

/* Queues the membership list of the current model; the decision for its ring is awaited from now on. */
static void send_membership(struct client *c)
{
	uint32_t ids[MAX_NODES];
	size_t n = membership_of(c->b, c->node_id, ids, &c->ring);
	c->vote = 0;
	c->mem_sent_ns = now_ns();
	send_node_list(c, PROTO_NODE_LIST_MEMBERSHIP, ids, n, PROTO_NODE_STATE_NOT_SET);
}

/* What a stock qdevice sends right after INIT_REPLY: KAP option, config, membership, quorum. */
static void send_session_start(struct client *c)
{
	struct msg m;
	msg_init(&m, PROTO_MSG_SET_OPTION);
	m.seq_number = ++c->seq;
	msg_set_present(&m, PROTO_OPT_MSG_SEQ_NUMBER);
	m.kap_tie_breaker = PROTO_KAP_TIE_BREAKER_ENABLED;
	msg_set_present(&m, PROTO_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER);
	queue_msg(c, &m);

	uint32_t all[MAX_NODES], n = list_size(c->b);
	for (uint32_t i = 0; i < n; i++)
		all[i] = i + 1;
	send_node_list(c, PROTO_NODE_LIST_INITIAL_CONFIG, all, n, PROTO_NODE_STATE_NOT_SET);
	send_membership(c);
	send_node_list(c, PROTO_NODE_LIST_QUORUM, all, n, PROTO_NODE_STATE_MEMBER);
}

/* ---- connection life cycle ---- */

static void close_socket(struct client *c)
{
	struct bench *b = c->b;
	loop_timer_stop(b->loop, &c->hb_timer);
	loop_timer_stop(b->loop, &c->flood_timer);
	if (c->fd >= 0)
		loop_fd_remove(b->loop, c->fd);
	if (c->tls != NULL)
		bench_tls_close(c->tls);
	else if (c->fd >= 0)
		close(c->fd);
	c->tls = NULL;
	c->fd = -1;
	c->want_write = false;
	c->in_len = 0;
	frame_reader_reset(&c->frame);
	c->out_len = c->out_off = 0;
}

static void retry_expired(struct loop *loop, void *data)
{
	(void)loop;
	client_connect(data);
}

/* Closes the connection and, like a stock qdevice, reconnects after a delay. */
static void client_fail(struct client *c, bool counted_disconnect, const char *fmt, ...)
{
	struct bench *b = c->b;
	va_list ap;
	if (b->phase == PHASE_READMIT) {
		/* Expected: qnetd is restarting. Not an error. */
		if (!c->lost && c->participant) {
			c->lost = true;
			if (b->first_loss_ns == 0)
				b->first_loss_ns = now_ns();
		}
	} else {
		if (counted_disconnect)
			b->n.disconnects++;
		va_start(ap, fmt);
		report_error(b, c, fmt, ap);
		va_end(ap);
	}
	close_socket(c);
	if (b->stopping || b->cluster_excluded[c->cluster]) {
		c->state = CS_DONE;
		return;
	}
	c->state = CS_RETRY;
	/* Spread the reconnections over one more delay, as independent qdevices would. */
	uint64_t delay = b->cfg.reconnect_ms + (uint64_t)(random() % (b->cfg.reconnect_ms + 1));
	loop_timer_start(b->loop, &c->retry_timer, delay);
}

static void hb_expired(struct loop *loop, void *data)
{
	struct client *c = data;
	if (c->state != CS_READY)
		return;
	if (c->echo_seq != c->echo_acked)
		c->b->n.echo_late++;
	/* More than one: each its own write, so each its own TLS record, as a pipelining client sends. */
	for (uint32_t i = 0; i < c->b->cfg.echo_burst; i++) {
		c->echo_sent_ns = now_ns();
		send_simple(c, PROTO_MSG_ECHO_REQUEST, ++c->echo_seq);
		if (!flush_out(c))
			return;
	}
	loop_timer_start(loop, &c->hb_timer, c->b->cfg.heartbeat_ms);
}

/* Hostile: the interval between two re-sent membership lists of one client. */
static uint64_t flood_interval_ms(const struct bench *b)
{
	double ms = 1000.0 / b->cfg.hostile_rate;
	return ms < 1.0 ? 1 : (uint64_t)ms;
}

/*
 * Hostile: the same maximal membership list again, on the same ring, so every evaluation the
 * server grants finds the views stable and decides for the whole cluster. A list still waiting in
 * the output is not doubled: the tenant sends as fast as the server reads, at most at the rate.
 */
static void flood_expired(struct loop *loop, void *data)
{
	struct client *c = data;
	if (c->state != CS_READY)
		return;
	if (c->out_len == 0) {
		send_membership(c);
		c->b->n.lists_sent++;
		if (!flush_out(c))
			return;
	}
	loop_timer_start(loop, &c->flood_timer, flood_interval_ms(c->b));
}

static void record_decision(struct client *c, uint8_t vote)
{
	struct bench *b = c->b;
	if (c->vote == 0) {
		c->vote = vote;
		c->decided_ns = now_ns();
		if (vote == PROTO_VOTE_ACK && !c->first_ack) {
			c->first_ack = true;
			c->first_ack_ns = c->decided_ns;
			if (c->pending) {
				c->pending = false;
				b->pending--;
			}
			if (b->phase == PHASE_CONNECT)
				phase_progress(b);
		} else if (c->participant && b->phase == PHASE_DECIDE) {
			phase_progress(b);
		}
		if (b->phase == PHASE_READMIT && c->participant && c->lost && !c->readmitted &&
		    vote == PROTO_VOTE_ACK) {
			c->readmitted = true;
			phase_progress(b);
		}
	} else if (c->vote != vote) {
		b->n.vote_flips++;
		c->vote = vote;
	}
}

/* One echo round trip; a reply later than the heartbeat interval is a heartbeat qdevice would miss. */
static void record_echo(struct client *c, uint64_t rtt_ns)
{
	struct bench *b = c->b;
	if (!b->echo_measure)
		return;
	if (rtt_ns > (uint64_t)b->cfg.heartbeat_ms * 1000000u)
		b->n.echo_over_hb++;
	if (b->echo_count == b->echo_cap) {
		b->echo_cap = b->echo_cap == 0 ? 4096 : 2 * b->echo_cap;
		b->echo_rtt = xrealloc(b->echo_rtt, b->echo_cap * sizeof(*b->echo_rtt));
	}
	b->echo_rtt[b->echo_count++] = rtt_ns;
}

static bool ring_equal(const struct proto_ring_id *a, const struct proto_ring_id *b)
{
	return a->node_id == b->node_id && a->seq == b->seq;
}

/* Handles one message from the server; returns false when the client was closed. */
static bool handle_msg(struct client *c, const struct msg *m)
{
	struct bench *b = c->b;

	switch (m->type) {
	case PROTO_MSG_PREINIT_REPLY:
		if (c->state != CS_PREINIT || !msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) || m->seq_number != c->seq ||
		    !msg_has(m, PROTO_OPT_TLS_SUPPORTED)) {
			protocol_error(c, "unexpected or malformed PREINIT_REPLY (state %d, seq %" PRIu32 "/%" PRIu32 ")",
				       (int)c->state, m->seq_number, c->seq);
			client_fail(c, false, "dropping connection");
			return false;
		}
		if (b->cfg.tls && m->tls_supported != PROTO_TLS_UNSUPPORTED) {
			send_simple(c, PROTO_MSG_STARTTLS, ++c->seq);
			c->state = CS_STARTTLS;
		} else if (!b->cfg.tls && m->tls_supported == PROTO_TLS_REQUIRED) {
			protocol_error(c, "server requires TLS but --tls off");
			client_fail(c, false, "dropping connection");
			return false;
		} else {
			send_init(c);
			c->state = CS_INIT;
		}
		return flush_out(c);

	case PROTO_MSG_INIT_REPLY:
		if (c->state != CS_INIT || !msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) || m->seq_number != c->seq ||
		    !msg_has(m, PROTO_OPT_REPLY_ERROR_CODE)) {
			protocol_error(c, "unexpected or malformed INIT_REPLY");
			client_fail(c, false, "dropping connection");
			return false;
		}
		if (m->reply_error_code != PROTO_ERR_NO_ERROR) {
			uint16_t code = m->reply_error_code;
			if (code == PROTO_ERR_DUPLICATE_NODE_ID || code == PROTO_ERR_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES ||
			    code == PROTO_ERR_ALGORITHM_DIFFERS_FROM_OTHER_NODES) {
				/* The server has not yet noticed this node's previous connection died. */
				b->n.init_retries++;
				client_fail(c, false, "INIT refused (%s), retrying", proto_reply_error_str(code));
			} else {
				protocol_error(c, "INIT refused: %s", proto_reply_error_str(code));
				client_fail(c, false, "dropping connection");
			}
			return false;
		}
		c->state = CS_READY;
		c->echo_seq = c->echo_acked = 0;
		send_session_start(c);
		loop_timer_start(b->loop, &c->hb_timer, b->cfg.heartbeat_ms);
		if (b->cfg.hostile) {
			if (!c->joined) {
				c->joined = true;
				if (b->phase == PHASE_JOIN)
					phase_progress(b);
			}
			loop_timer_start(b->loop, &c->flood_timer, flood_interval_ms(b));
		}
		return flush_out(c);

	case PROTO_MSG_SET_OPTION_REPLY:
	case PROTO_MSG_ECHO_REPLY:
	case PROTO_MSG_NODE_LIST_REPLY:
	case PROTO_MSG_VOTE_INFO:
		if (c->state != CS_READY) {
			protocol_error(c, "%s before INIT_REPLY", proto_msg_type_str(m->type));
			client_fail(c, false, "dropping connection");
			return false;
		}
		break;

	case PROTO_MSG_SERVER_ERROR:
		if (b->cfg.hostile) {
			/* The tenant is told off; it reconnects like a qdevice, which is what is counted. */
			b->n.server_errors++;
			client_fail(c, false, "SERVER_ERROR");
			return false;
		}
		protocol_error(c, "SERVER_ERROR %s", msg_has(m, PROTO_OPT_REPLY_ERROR_CODE) ?
							     proto_reply_error_str(m->reply_error_code) : "(no code)");
		client_fail(c, false, "dropping connection");
		return false;

	default:
		protocol_error(c, "unexpected message %s", proto_msg_type_str(m->type));
		client_fail(c, false, "dropping connection");
		return false;
	}

	switch (m->type) {
	case PROTO_MSG_ECHO_REPLY:
		/* Replies come in the order of the requests. */
		if (!msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) || c->echo_acked == c->echo_seq ||
		    m->seq_number != c->echo_acked + 1) {
			protocol_error(c, "ECHO_REPLY with an unexpected sequence number");
		} else {
			c->echo_acked = m->seq_number;
			if (c->echo_acked == c->echo_seq)
				record_echo(c, now_ns() - c->echo_sent_ns);
		}
		return true;
	case PROTO_MSG_NODE_LIST_REPLY:
		b->n.list_replies++;
		if (!msg_has(m, PROTO_OPT_VOTE) || !msg_has(m, PROTO_OPT_RING_ID)) {
			protocol_error(c, "NODE_LIST_REPLY without vote or ring id");
			return true;
		}
		/* ffsplit answers NO_CHANGE / WAIT_FOR_REPLY / ASK_LATER; other algorithms may decide here. */
		if ((m->vote == PROTO_VOTE_ACK || m->vote == PROTO_VOTE_NACK) && ring_equal(&m->ring_id, &c->ring))
			record_decision(c, m->vote);
		return true;
	case PROTO_MSG_VOTE_INFO:
		if (!msg_has(m, PROTO_OPT_MSG_SEQ_NUMBER) || !msg_has(m, PROTO_OPT_VOTE) ||
		    !msg_has(m, PROTO_OPT_RING_ID)) {
			protocol_error(c, "VOTE_INFO without seq, vote or ring id");
			return true;
		}
		b->n.vote_infos++;
		send_simple(c, PROTO_MSG_VOTE_INFO_REPLY, m->seq_number);
		if (!flush_out(c))
			return false;
		if (!ring_equal(&m->ring_id, &c->ring) || (m->vote != PROTO_VOTE_ACK && m->vote != PROTO_VOTE_NACK)) {
			b->n.stale_votes++; /* a stock client takes it as NO_CHANGE */
			return true;
		}
		record_decision(c, m->vote);
		return true;
	default:
		return true;
	}
}

/* Decodes every complete message in the input buffer; returns false when the client was closed. */
static bool parse_input(struct client *c)
{
	size_t off = 0;
	while (off < c->in_len) {
		struct frame f, h;
		off += frame_reader_feed(&c->frame, c->in + off, c->in_len - off, &f);
		bool refused = f.event == FRAME_SKIPPED ||
			       (frame_reader_header_done(&c->frame, &h) && h.verdict != FRAME_ACCEPTED);
		if (refused || f.event == FRAME_NO_MEMORY) {
			protocol_error(c, "bad message header (type %u, length %" PRIu32 ")", f.type, f.length);
			client_fail(c, false, "dropping connection");
			return false;
		}
		if (f.event != FRAME_MESSAGE)
			continue;
		struct msg m;
		struct msg_decode_error err;
		msg_init(&m, 0);
		if (msg_decode(f.data, f.size, &m, &err) != 0) {
			protocol_error(c, "cannot decode %s: %s", proto_msg_type_str(f.type),
				       msg_decode_status_str(err.status));
			msg_destroy(&m);
			client_fail(c, false, "dropping connection");
			return false;
		}
		bool alive = handle_msg(c, &m);
		msg_destroy(&m);
		if (!alive)
			return false;
	}
	c->in_len = 0;
	return true;
}

/* Reads until the socket (and the TLS engine's buffer) is empty. */
static void read_input(struct client *c)
{
	for (;;) {
		if (c->state == CS_HANDSHAKE) {
			/* STARTTLS went out from inside this read: the handshake is driven by service(). */
			c->reread = true;
			return;
		}
		buf_reserve(&c->in, &c->in_cap, c->in_len + 4096);
		size_t room = c->in_cap - c->in_len;
		ssize_t n;
		if (c->tls != NULL) {
			n = bench_tls_recv(c->tls, c->in + c->in_len, room);
			if (n == BENCH_TLS_WANT_READ || n == BENCH_TLS_WANT_WRITE)
				return;
			if (n < 0) {
				client_fail(c, true, "TLS read failed (%s)", bench_tls_error());
				return;
			}
		} else {
			n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (n < 0) {
				client_fail(c, true, "read failed (%s)", strerror(errno));
				return;
			}
		}
		if (n == 0) {
			client_fail(c, true, "connection closed by qnetd");
			return;
		}
		c->in_len += (size_t)n;
		if (!parse_input(c))
			return;
	}
}

static void after_handshake(struct client *c)
{
	struct bench *b = c->b;
	uint64_t t = now_ns();
	b->n.handshakes++;
	if (b->hs_first_ns == 0)
		b->hs_first_ns = t;
	b->hs_last_ns = t;
	c->state = CS_INIT;
	send_init(c);
	/* Never read from here: this may run inside parse_input(). service() reads next. */
	c->reread = true;
	flush_out(c);
}

/* Drives the handshake; the TLS engine reads and writes the records itself. */
static void drive_handshake(struct client *c)
{
	int rc = bench_tls_handshake(c->tls);
	if (rc == 1) {
		after_handshake(c);
		return;
	}
	if (rc == BENCH_TLS_WANT_READ || rc == BENCH_TLS_WANT_WRITE) {
		set_want_write(c, rc == BENCH_TLS_WANT_WRITE);
		return;
	}
	if (c->b->phase != PHASE_READMIT)
		c->b->n.connect_failures++;
	client_fail(c, false, "TLS handshake failed (%s)", bench_tls_error());
}

static void start_tls(struct client *c)
{
	struct bench_tls_conn *tls = bench_tls_wrap(c->fd);
	if (tls == NULL) {
		/* bench_tls_wrap closed the socket. */
		loop_fd_remove(c->b->loop, c->fd);
		c->fd = -1;
		c->b->n.connect_failures++;
		client_fail(c, false, "cannot start TLS (%s)", bench_tls_error());
		return;
	}
	c->tls = tls;
	c->state = CS_HANDSHAKE;
	drive_handshake(c);
}

/* Handshake or read until nothing is left that the TLS engine or the socket could still deliver. */
static void service(struct client *c, bool readable)
{
	for (int i = 0; i < 8 && c->fd >= 0; i++) {
		c->reread = false;
		if (c->state == CS_HANDSHAKE)
			drive_handshake(c);
		else if (readable || i > 0)
			read_input(c);
		if (!c->reread)
			return;
	}
}

static void client_event(struct loop *loop, int fd, uint32_t events, void *data)
{
	(void)loop;
	struct client *c = data;

	if (c->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			if (c->b->phase != PHASE_READMIT)
				c->b->n.connect_failures++;
			client_fail(c, false, "connect failed (%s)", strerror(err));
			return;
		}
		c->want_write = true;
		set_want_write(c, false);
		c->state = CS_PREINIT;
		send_preinit(c);
		flush_out(c);
		return;
	}
	c->reread = false;
	if ((events & EPOLLOUT) && c->state != CS_HANDSHAKE && !flush_out(c))
		return;
	service(c, (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 || c->state == CS_HANDSHAKE || c->reread);
}

/*
 * Against an IPv4 loopback address each simulated node connects from an address of its own,
 * 127.<cluster+1 high byte>.<cluster+1 low byte>.<node id>, as nodes of real clusters do: qnetd
 * limits connections per address (-S max_clients_per_address), and one source address would also
 * run out of ephemeral ports beyond ~28,000 clients. A hostile tenant's nodes (up to 384) use
 * 127.255.<node id high byte>.<node id low byte>, apart from every honest cluster below 65,280.
 * --same-source turns it off.
 */
static void bind_node_address(const struct bench *b, const struct client *c, int fd)
{
	if (!b->cfg.spread_sources || b->addr.ss_family != AF_INET)
		return;
	const struct sockaddr_in *dst = (const struct sockaddr_in *)&b->addr;
	uint32_t host;
	if (b->cfg.hostile && c->cluster == 0)
		host = (255u << 16) | c->node_id;
	else if (c->cluster + 1 <= 0xfeff && c->node_id <= 0xff)
		host = ((c->cluster + 1) << 8) | c->node_id;
	else
		return;
	if ((ntohl(dst->sin_addr.s_addr) >> 24) != 127)
		return;
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	struct sockaddr_in src = {.sin_family = AF_INET};
	src.sin_addr.s_addr = htonl((127u << 24) | host);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
		fprintf(stderr, "qnetd_load: bind to a node address: %s (connecting from the default address)\n",
			strerror(errno));
}

static void client_connect(struct client *c)
{
	struct bench *b = c->b;
	if (b->stopping || b->cluster_excluded[c->cluster]) {
		c->state = CS_DONE;
		return;
	}
	int fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "qnetd_load: socket: %s (raise ulimit -n?)\n", strerror(errno));
		exit(3);
	}
	if (b->cfg.nodelay) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	bind_node_address(b, c, fd);
	c->fd = fd;
	c->tls = NULL;
	c->want_write = true;
	c->state = CS_CONNECTING;
	if (loop_fd_add(b->loop, fd, EPOLLIN | EPOLLOUT, client_event, c) != 0) {
		fprintf(stderr, "qnetd_load: epoll: %s\n", strerror(errno));
		exit(3);
	}
	if (connect(fd, (const struct sockaddr *)&b->addr, b->addrlen) != 0 && errno != EINPROGRESS) {
		b->n.connect_failures++;
		client_fail(c, false, "connect failed (%s)", strerror(errno));
	}
	/* Completion (even an immediate one) is reported by EPOLLOUT. */
}

/* ---- connect phase: start clients within --max-pending and --connect-rate ---- */

static void launch(struct bench *b)
{
	uint64_t now = now_ns();
	while (b->next_launch < b->nclients && b->pending < b->cfg.max_pending) {
		if (b->cfg.connect_rate > 0) {
			double allowed = b->cfg.connect_rate * (double)(now - b->launch_t0_ns) / 1e9 + 1.0;
			if ((double)b->next_launch >= allowed)
				break;
		}
		struct client *c = &b->clients[b->next_launch++];
		c->pending = true;
		c->connect_start_ns = now;
		b->pending++;
		client_connect(c);
	}
}

static void tick_expired(struct loop *loop, void *data)
{
	struct bench *b = data;
	launch(b);
	if (b->next_launch < b->nclients)
		loop_timer_start(loop, &b->tick, TICK_MS);
}

/* ---- reporting ---- */

struct sample_pair {
	struct proc_sample before, after;
	uint64_t self_before, self_after;
};

static void sample_begin(const struct bench *b, struct sample_pair *s)
{
	proc_sample(b->cfg.qnetd_pid, &s->before);
	s->self_before = self_cpu_ns();
}

static void sample_end(const struct bench *b, struct sample_pair *s)
{
	proc_sample(b->cfg.qnetd_pid, &s->after);
	s->self_after = self_cpu_ns();
}

static bool sample_ok(const struct sample_pair *s)
{
	return s->before.ok && s->after.ok;
}

static double sample_cpu_ms(const struct sample_pair *s)
{
	return sample_ok(s) ? ms(s->after.cpu_ns - s->before.cpu_ns) : -1.0;
}

struct storm_result {
	size_t participants;
	size_t decided;
	uint64_t p50, p99, max;  /* ns */
	double cpu_ms;
	double gen_cpu_ms;
	size_t wrong;
	size_t clusters_ok;
	bool completed;
};

static void settle(struct bench *b)
{
	if (b->cfg.settle_ms > 0)
		run_loop(b, PHASE_NONE, b->cfg.settle_ms);
}

/* Every client of the clusters still in the run sends the current model's membership; waits for the decisions. */
static void run_decision_phase(struct bench *b, enum mem_kind kind, struct storm_result *r)
{
	memset(r, 0, sizeof(*r));
	b->mem_kind = kind;
	b->ring_seq += RING_STEP;
	b->phase_done = 0;
	b->phase_target = 0;

	struct sample_pair s;
	sample_begin(b, &s);
	for (size_t i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];
		c->participant = !b->cluster_excluded[c->cluster] && c->state != CS_DONE;
		if (!c->participant)
			continue;
		b->phase_target++;
		if (c->state == CS_READY) {
			send_membership(c);
			flush_out(c);
		} else {
			/* Reconnecting: the list goes out after its INIT; the ring is awaited from now. */
			uint32_t ids[MAX_NODES];
			membership_of(b, c->node_id, ids, &c->ring);
			c->vote = 0;
			c->mem_sent_ns = 0;
		}
	}
	r->participants = b->phase_target;
	r->completed = run_loop(b, PHASE_DECIDE, (uint64_t)(b->cfg.timeout_s * 1000.0));
	settle(b);
	sample_end(b, &s);
	r->cpu_ms = sample_cpu_ms(&s);
	r->gen_cpu_ms = ms(s.self_after - s.self_before);

	uint64_t *lat = calloc(r->participants + 1, sizeof(*lat));
	if (lat == NULL)
		exit(3);
	size_t nl = 0;
	uint32_t nodes = b->cfg.nodes;
	for (size_t ci = 0; ci < b->cfg.clusters; ci++) {
		if (b->cluster_excluded[ci])
			continue;
		bool cluster_ok = true;
		for (uint32_t k = 0; k < nodes; k++) {
			struct client *c = &b->clients[ci * nodes + k];
			if (!c->participant)
				continue;
			if (c->vote != 0) {
				r->decided++;
				if (c->mem_sent_ns != 0 && c->decided_ns >= c->mem_sent_ns)
					lat[nl++] = c->decided_ns - c->mem_sent_ns;
			}
			if (c->vote != expected_vote(b, c->node_id)) {
				cluster_ok = false;
				if (c->vote != 0) {
					r->wrong++;
					b->n.wrong_votes++;
					if (b->error_lines < MAX_ERROR_LINES)
						fprintf(stderr, "qnetd_load: c%zun%" PRIu32 ": got %s, expected %s\n",
							ci + 1, c->node_id, proto_vote_str(c->vote),
							proto_vote_str(expected_vote(b, c->node_id)));
					b->error_lines++;
				}
			}
		}
		if (cluster_ok)
			r->clusters_ok++;
	}
	r->p50 = percentile(lat, nl, 50);
	r->p99 = percentile(lat, nl, 99);
	r->max = nl > 0 ? lat[nl - 1] : 0;
	free(lat);
}

static void print_storm(const char *what, unsigned k, const struct storm_result *r, size_t clusters)
{
	printf("%-5s %u: decided %zu/%zu, clusters correct %zu/%zu, latency p50 %.1f ms p99 %.1f ms max %.1f ms",
	       what, k, r->decided, r->participants, r->clusters_ok, clusters, ms(r->p50), ms(r->p99), ms(r->max));
	if (r->cpu_ms >= 0)
		printf(", qnetd CPU %.1f ms", r->cpu_ms);
	printf(", generator CPU %.0f ms%s\n", r->gen_cpu_ms, r->completed ? "" : "  ** TIMEOUT **");
	fflush(stdout);
}

/* ---- set-up ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qnetd_load [options] [host [port]]\n"
		"Simulates C clusters x N corosync-qdevice clients (ffsplit, tie-breaker lowest) against a qnetd\n"
		"on this machine, then splits and merges every cluster K times, checking each decision.\n"
		"  -H, --host ADDR          qnetd address, loopback only (127.0.0.1)\n"
		"  -p, --port PORT          qnetd port (5403)\n"
		"  -C, --clusters C         number of clusters (500)\n"
		"  -N, --nodes N            nodes per cluster, 1..%u (2)\n"
		"      --tls on|off         STARTTLS when the server offers it (on)\n"
		"      --nssdb DIR          NSS database with the CA and the client certificate\n"
		"      --nickname NAME      client certificate nickname (Cluster Cert); empty: send none\n"
		"      --suffix S           cluster name suffix: names are c1S, c2S, ... (.bench.test)\n"
		"      --tls-resume         allow TLS session resumption (default: full handshakes)\n"
		"      --tls-version V      highest TLS version offered: 1.2 or 1.3 (default: 1.3)\n"
		"      --tls-engine E       openssl (default: a fraction of the CPU, so the generator keeps up)\n"
		"                           or nss (the TLS client corosync-qdevice uses); both read the\n"
		"                           certificate and trust from --nssdb\n"
		"      --connect-rate R     at most R new connections per second (0 = unlimited)\n"
		"      --max-pending P      at most P clients connecting at once (128)\n"
		"      --heartbeat MS       heartbeat interval sent in INIT; echo every MS (8000)\n"
		"      --echo-burst K       K echo requests per heartbeat, each in a record of its own (1)\n"
		"      --storms K           split+merge storms (1)\n"
		"      --qnetd-pid PID      sample this process's CPU and RSS from /proc\n"
		"      --timeout S          limit of each storm phase in seconds (60)\n"
		"      --connect-timeout S  limit of the connect phase in seconds (600)\n"
		"      --hold S             seconds to hold all clients idle, measuring qnetd's idle CPU\n"
		"                           (default: one heartbeat interval)\n"
		"      --settle-ms MS       quiet time after each phase before sampling (300)\n"
		"      --reconnect-ms MS    delay before reconnecting a dropped client (1000)\n"
		"      --no-nodelay         leave Nagle on for the client sockets\n"
		"      --same-source        connect every node from the default source address (by default,\n"
		"                           against 127.x.y.z each node uses 127.<cluster>.<node> of its own)\n"
		"      --label TEXT         name printed in the RESULT line\n"
		"      --restart-wait S     after the storms print RESTART-READY, then wait up to S seconds\n"
		"                           for every client to lose its connection (someone restarts\n"
		"                           qnetd) and be admitted again with an ACK\n"
		"  -v, --verbose            print every error\n"
		"      --hostile            be a hostile tenant instead (doc/hardening.md §7.6): C clusters\n"
		"                           (1) x N clients (300) join, each sends --list-nodes node lists\n"
		"                           and re-sends its membership list --hostile-rate times a second\n"
		"                           for --hold seconds; prints HOSTILE-READY once all have joined.\n"
		"                           Expects nothing and fails nothing: it reports what it got\n"
		"      --list-nodes L       hostile: nodes in every list, 1..%u (384)\n"
		"      --hostile-rate R     hostile: membership lists a second per client (200, the\n"
		"                           server's limit; more is coalesced)\n"
		"      --name-prefix P      cluster names are P1S, P2S, ... (c; h with --hostile)\n"
		"Echo round trips after the connect phase are reported as a distribution; one longer\n"
		"than the heartbeat interval is a heartbeat a qdevice would miss.\n"
		"Exit status: 0 all decisions right; 1 wrong decision, protocol error or dropped\n"
		"connection; 2 a phase timed out; 3 set-up failure.\n",
		MAX_NODES, MAX_NODES);
}

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "qnetd_load: invalid value '%s' for %s\n", s, opt);
		exit(3);
	}
	return v;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return true;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return s6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

static void resolve(struct bench *b)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	int rc = getaddrinfo(b->cfg.host, b->cfg.port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "qnetd_load: cannot resolve %s:%s: %s\n", b->cfg.host, b->cfg.port, gai_strerror(rc));
		exit(3);
	}
	bool found = false;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (is_loopback(ai->ai_addr) && ai->ai_addrlen <= sizeof(b->addr)) {
			memcpy(&b->addr, ai->ai_addr, ai->ai_addrlen);
			b->addrlen = ai->ai_addrlen;
			found = true;
			break;
		}
	}
	freeaddrinfo(res);
	if (!found) {
		fprintf(stderr, "qnetd_load: %s is not a loopback address; this tool only loads a qnetd on this machine\n",
			b->cfg.host);
		exit(3);
	}
}

static void parse_args(struct config *cfg, int argc, char **argv)
{
	enum {
		O_TLS = 256, O_NSSDB, O_NICK, O_SUFFIX, O_RESUME, O_RATE, O_PENDING, O_HB, O_STORMS, O_PID,
		O_TIMEOUT, O_CTIMEOUT, O_HOLD, O_SETTLE, O_RECONNECT, O_NAGLE, O_SAME_SOURCE, O_LABEL, O_RESTART, O_TLSVER, O_ENGINE, O_BURST,
		O_HOSTILE, O_LIST_NODES, O_HOSTILE_RATE, O_PREFIX,
	};
	static const struct option opts[] = {
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'p'},
		{"clusters", required_argument, NULL, 'C'},
		{"nodes", required_argument, NULL, 'N'},
		{"tls", required_argument, NULL, O_TLS},
		{"nssdb", required_argument, NULL, O_NSSDB},
		{"nickname", required_argument, NULL, O_NICK},
		{"suffix", required_argument, NULL, O_SUFFIX},
		{"tls-resume", no_argument, NULL, O_RESUME},
		{"tls-version", required_argument, NULL, O_TLSVER},
		{"tls-engine", required_argument, NULL, O_ENGINE},
		{"echo-burst", required_argument, NULL, O_BURST},
		{"connect-rate", required_argument, NULL, O_RATE},
		{"max-pending", required_argument, NULL, O_PENDING},
		{"heartbeat", required_argument, NULL, O_HB},
		{"storms", required_argument, NULL, O_STORMS},
		{"qnetd-pid", required_argument, NULL, O_PID},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"connect-timeout", required_argument, NULL, O_CTIMEOUT},
		{"hold", required_argument, NULL, O_HOLD},
		{"settle-ms", required_argument, NULL, O_SETTLE},
		{"reconnect-ms", required_argument, NULL, O_RECONNECT},
		{"no-nodelay", no_argument, NULL, O_NAGLE},
		{"same-source", no_argument, NULL, O_SAME_SOURCE},
		{"label", required_argument, NULL, O_LABEL},
		{"restart-wait", required_argument, NULL, O_RESTART},
		{"hostile", no_argument, NULL, O_HOSTILE},
		{"list-nodes", required_argument, NULL, O_LIST_NODES},
		{"hostile-rate", required_argument, NULL, O_HOSTILE_RATE},
		{"name-prefix", required_argument, NULL, O_PREFIX},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	*cfg = (struct config){
		.host = "127.0.0.1", .port = "5403", .clusters = 500, .nodes = 2, .tls = true,
		.nickname = "Cluster Cert", .max_pending = 128, .heartbeat_ms = 8000, .storms = 1,
		.timeout_s = 60, .connect_timeout_s = 600, .hold_s = -1, .settle_ms = 300,
		.reconnect_ms = 1000, .nodelay = true, .spread_sources = true, .suffix = ".bench.test", .label = "qnetd",
		.tls_engine = "openssl", .echo_burst = 1, .list_nodes = MAX_NODES, .hostile_rate = 200,
	};
	bool clusters_set = false, nodes_set = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "H:p:C:N:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': cfg->host = optarg; break;
		case 'p': cfg->port = optarg; parse_num("--port", optarg, 1, 65535); break;
		case 'C': cfg->clusters = (uint32_t)parse_num("--clusters", optarg, 1, 1000000); clusters_set = true; break;
		case 'N': cfg->nodes = (uint32_t)parse_num("--nodes", optarg, 1, MAX_NODES); nodes_set = true; break;
		case O_HOSTILE: cfg->hostile = true; break;
		case O_LIST_NODES: cfg->list_nodes = (uint32_t)parse_num("--list-nodes", optarg, 1, MAX_NODES); break;
		case O_HOSTILE_RATE: cfg->hostile_rate = parse_num("--hostile-rate", optarg, 0.01, 1000); break;
		case O_PREFIX: cfg->name_prefix = optarg; break;
		case O_TLS:
			if (strcmp(optarg, "on") == 0) {
				cfg->tls = true;
			} else if (strcmp(optarg, "off") == 0) {
				cfg->tls = false;
			} else {
				fprintf(stderr, "qnetd_load: --tls takes on or off\n");
				exit(3);
			}
			break;
		case O_NSSDB: cfg->nssdb = optarg; break;
		case O_NICK: cfg->nickname = optarg; break;
		case O_SUFFIX: cfg->suffix = optarg; break;
		case O_RESUME: cfg->resume = true; break;
		case O_TLSVER: cfg->tls_version = optarg; break;
		case O_ENGINE: cfg->tls_engine = optarg; break;
		case O_BURST: cfg->echo_burst = (uint32_t)parse_num("--echo-burst", optarg, 1, 100000); break;
		case O_RATE: cfg->connect_rate = parse_num("--connect-rate", optarg, 0, 1e9); break;
		case O_PENDING: cfg->max_pending = (uint32_t)parse_num("--max-pending", optarg, 1, 1e9); break;
		case O_HB: cfg->heartbeat_ms = (uint32_t)parse_num("--heartbeat", optarg, 1, 4294967295.0); break;
		case O_STORMS: cfg->storms = (uint32_t)parse_num("--storms", optarg, 0, 1e6); break;
		case O_PID: cfg->qnetd_pid = (pid_t)parse_num("--qnetd-pid", optarg, 1, 1e9); break;
		case O_TIMEOUT: cfg->timeout_s = parse_num("--timeout", optarg, 0.1, 1e6); break;
		case O_CTIMEOUT: cfg->connect_timeout_s = parse_num("--connect-timeout", optarg, 0.1, 1e6); break;
		case O_HOLD: cfg->hold_s = parse_num("--hold", optarg, 0, 1e6); break;
		case O_SETTLE: cfg->settle_ms = (uint32_t)parse_num("--settle-ms", optarg, 0, 1e7); break;
		case O_RECONNECT: cfg->reconnect_ms = (uint32_t)parse_num("--reconnect-ms", optarg, 1, 1e7); break;
		case O_NAGLE: cfg->nodelay = false; break;
		case O_SAME_SOURCE: cfg->spread_sources = false; break;
		case O_LABEL: cfg->label = optarg; break;
		case O_RESTART: cfg->restart_wait_s = parse_num("--restart-wait", optarg, 0, 1e6); break;
		case 'v': cfg->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(3);
		}
	}
	if (cfg->hostile) {
		if (!clusters_set)
			cfg->clusters = 1;
		if (!nodes_set)
			cfg->nodes = 300;
		if (cfg->name_prefix == NULL)
			cfg->name_prefix = "h";
		if (cfg->list_nodes < cfg->nodes) {
			fprintf(stderr, "qnetd_load: --list-nodes must hold every client's node id (at least --nodes)\n");
			exit(3);
		}
	}
	if (cfg->name_prefix == NULL)
		cfg->name_prefix = "c";
	if (strlen(cfg->name_prefix) > 8) {
		fprintf(stderr, "qnetd_load: --name-prefix is too long\n");
		exit(3);
	}
	if (cfg->hold_s < 0)
		cfg->hold_s = cfg->heartbeat_ms / 1000.0;
	if (optind < argc)
		cfg->host = argv[optind++];
	if (optind < argc) {
		cfg->port = argv[optind++];
		parse_num("port", cfg->port, 1, 65535);
	}
	if (optind < argc) {
		usage(stderr);
		exit(3);
	}
	if (cfg->tls && cfg->nssdb == NULL) {
		fprintf(stderr, "qnetd_load: --tls on needs --nssdb DIR (tests/bench/setup-nssdb.sh makes one)\n");
		exit(3);
	}
	if (strlen(cfg->suffix) > 40) {
		fprintf(stderr, "qnetd_load: --suffix is too long\n");
		exit(3);
	}
}

static void close_everything(struct bench *b)
{
	b->stopping = true;
	for (size_t i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];
		loop_timer_stop(b->loop, &c->retry_timer);
		close_socket(c);
		c->state = CS_DONE;
		free(c->in);
		free(c->out);
		c->in = c->out = NULL;
		frame_reader_destroy(&c->frame);
	}
}

/* What the run measured, phase by phase; the RESULT line prints it. Times in ns unless named. */
struct run_report {
	struct sample_pair conn;
	bool connect_ok;
	size_t connected;
	double connect_s, hs_rate, conn_cpu, rss_per_client_kb;
	size_t clusters_in;
	double hold_cpu_per_s;
	struct storm_result split_sum, merge_sum;
	uint64_t split_p50, split_p99, split_max, merge_p50, merge_p99, merge_max;
	double split_cpu, merge_cpu;
	bool storms_ok;
	unsigned storms_run;
	struct proc_sample fin;
	double other_pct;
	double readmit_s;
	size_t readmitted, readmit_target;
	bool readmit_ok;
	double run_cpu_ms;              /* qnetd's CPU from the end of the connect phase to the end of the storms */
	double run_s;                   /* and the wall time of that span */
};

/* TLS, the loop, every client in its initial state; false (after a message) when the run cannot start. */
static bool bench_setup(struct bench *b)
{
	const struct config *cfg = &b->cfg;
	if (cfg->tls && bench_tls_init(cfg->tls_engine, cfg->nssdb, cfg->nickname, cfg->resume) != 0)
		return false;
	if (cfg->tls && cfg->tls_version != NULL && bench_tls_set_max_version(cfg->tls_version) != 0) {
		fprintf(stderr, "qnetd_load: --tls-version takes 1.2 or 1.3\n");
		return false;
	}
	b->loop = loop_create();
	if (b->loop == NULL) {
		fprintf(stderr, "qnetd_load: cannot create the event loop\n");
		return false;
	}
	b->nclients = (size_t)cfg->clusters * cfg->nodes;
	b->clients = calloc(b->nclients, sizeof(*b->clients));
	b->cluster_excluded = calloc(cfg->clusters, sizeof(*b->cluster_excluded));
	if (b->clients == NULL || b->cluster_excluded == NULL)
		return false;
	for (size_t i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];
		c->b = b;
		c->index = (uint32_t)i;
		c->cluster = (uint32_t)(i / cfg->nodes);
		c->node_id = (uint32_t)(i % cfg->nodes) + 1;
		c->fd = -1;
		frame_reader_init(&c->frame, RECV_LIMIT);
		loop_timer_init(&c->hb_timer, hb_expired, c);
		loop_timer_init(&c->retry_timer, retry_expired, c);
		loop_timer_init(&c->flood_timer, flood_expired, c);
	}
	loop_timer_init(&b->deadline, deadline_expired, b);
	loop_timer_init(&b->tick, tick_expired, b);
	loop_timer_init(&b->watch, watch_expired, b);
	if (cfg->qnetd_pid > 0)
		loop_timer_start(b->loop, &b->watch, 500);
	b->mem_kind = MEM_FULL;
	b->ring_seq = RING_SEQ_START;
	return true;
}

/* Clusters not complete by the deadline leave the run; storms use only whole clusters. */
static size_t exclude_incomplete_clusters(struct bench *b)
{
	const struct config *cfg = &b->cfg;
	size_t clusters_in = cfg->clusters;
	for (uint32_t ci = 0; ci < cfg->clusters; ci++) {
		for (uint32_t k = 0; k < cfg->nodes; k++)
			if (!b->clients[ci * cfg->nodes + k].first_ack)
				b->cluster_excluded[ci] = true;
		if (!b->cluster_excluded[ci])
			continue;
		clusters_in--;
		for (uint32_t k = 0; k < cfg->nodes; k++) {
			struct client *c = &b->clients[ci * cfg->nodes + k];
			loop_timer_stop(b->loop, &c->retry_timer);
			close_socket(c);
			c->state = CS_DONE;
		}
	}
	printf("connect: %zu complete clusters continue; the others were closed\n", clusters_in);
	return clusters_in;
}

/* Phase 1: connect everyone. */
static void phase_connect(struct bench *b, struct run_report *r)
{
	const struct config *cfg = &b->cfg;
	sample_begin(b, &r->conn);
	b->phase_done = 0;
	b->phase_target = b->nclients;
	b->launch_t0_ns = now_ns();
	launch(b);
	if (b->next_launch < b->nclients)
		loop_timer_start(b->loop, &b->tick, TICK_MS);
	r->connect_ok = run_loop(b, PHASE_CONNECT, (uint64_t)(cfg->connect_timeout_s * 1000.0));
	uint64_t connect_end = r->connect_ok ? b->phase_last_ns : now_ns();
	loop_timer_stop(b->loop, &b->tick);
	settle(b);
	sample_end(b, &r->conn);
	r->connected = b->phase_done;
	r->connect_s = (double)(connect_end - b->launch_t0_ns) / 1e9;
	double hs_span = b->hs_last_ns > b->hs_first_ns ? (double)(b->hs_last_ns - b->launch_t0_ns) / 1e9 : 0;
	r->hs_rate = hs_span > 0 ? (double)b->n.handshakes / hs_span : 0;

	uint64_t *lat = calloc(b->nclients + 1, sizeof(*lat));
	size_t nl = 0;
	for (size_t i = 0; lat != NULL && i < b->nclients; i++)
		if (b->clients[i].first_ack)
			lat[nl++] = b->clients[i].first_ack_ns - b->clients[i].connect_start_ns;
	uint64_t cl50 = percentile(lat, nl, 50), cl99 = percentile(lat, nl, 99), clmax = nl ? lat[nl - 1] : 0;
	free(lat);

	r->conn_cpu = sample_cpu_ms(&r->conn);
	r->rss_per_client_kb = -1;
	if (sample_ok(&r->conn) && r->connected > 0)
		r->rss_per_client_kb = ((double)r->conn.after.rss_kb - (double)r->conn.before.rss_kb) / (double)r->connected;
	printf("connect: %zu/%zu clients with their first ACK in %.2f s; %" PRIu64 " TLS handshakes, %.0f/s; "
	       "connect->ACK p50 %.1f ms p99 %.1f ms max %.1f ms%s\n",
	       r->connected, b->nclients, r->connect_s, b->n.handshakes, r->hs_rate, ms(cl50), ms(cl99), ms(clmax),
	       r->connect_ok ? "" : "  ** TIMEOUT **");
	if (r->conn_cpu >= 0)
		printf("connect: qnetd CPU %.0f ms = %.2f ms per client; RSS %.1f MB -> %.1f MB (%.1f KB per client)\n",
		       r->conn_cpu, r->connected ? r->conn_cpu / (double)r->connected : 0,
		       (double)r->conn.before.rss_kb / 1024.0, (double)r->conn.after.rss_kb / 1024.0,
		       r->rss_per_client_kb);
	printf("connect: generator CPU %.0f ms\n", ms(r->conn.self_after - r->conn.self_before));
	fflush(stdout);
	r->clusters_in = r->connect_ok ? cfg->clusters : exclude_incomplete_clusters(b);
	/* From here on every echo round trip counts: idle, during storms, beside whatever else runs. */
	b->echo_measure = true;
}

/* Phase 2: hold everyone idle (heartbeats only). */
static void phase_hold(struct bench *b, struct run_report *r)
{
	const struct config *cfg = &b->cfg;
	struct sample_pair hold;
	r->hold_cpu_per_s = -1;
	if (cfg->hold_s <= 0)
		return;
	sample_begin(b, &hold);
	uint64_t t0 = now_ns();
	run_loop(b, PHASE_NONE, (uint64_t)(cfg->hold_s * 1000.0));
	sample_end(b, &hold);
	double secs = (double)(now_ns() - t0) / 1e9;
	if (sample_ok(&hold)) {
		r->hold_cpu_per_s = sample_cpu_ms(&hold) / secs;
		printf("hold: %.1f s with %zu clients: qnetd CPU %.1f ms/s, RSS %.1f MB\n", secs,
		       r->clusters_in * cfg->nodes, r->hold_cpu_per_s, (double)hold.after.rss_kb / 1024.0);
	}
}

/* Keeps the worst latencies and the summed CPU and wrong votes of one kind of storm. */
static void storm_add(const struct storm_result *s, uint64_t *p50, uint64_t *p99, uint64_t *max, double *cpu,
		      struct storm_result *sum)
{
	*p50 = s->p50 > *p50 ? s->p50 : *p50;
	*p99 = s->p99 > *p99 ? s->p99 : *p99;
	*max = s->max > *max ? s->max : *max;
	*cpu += s->cpu_ms;
	sum->wrong += s->wrong;
}

/* Phase 3: storms (every cluster splits, then merges). */
static void phase_storms(struct bench *b, struct run_report *r)
{
	const struct config *cfg = &b->cfg;
	r->storms_ok = true;
	if (cfg->storms > 0 && cfg->nodes < 2)
		printf("storm: skipped (a cluster of %" PRIu32 " node cannot split)\n", cfg->nodes);
	for (unsigned k = 1; cfg->nodes >= 2 && k <= cfg->storms && r->clusters_in > 0 && !b->qnetd_gone; k++) {
		struct storm_result s;
		run_decision_phase(b, MEM_SPLIT, &s);
		print_storm("split", k, &s, r->clusters_in);
		r->storms_ok = r->storms_ok && s.completed;
		storm_add(&s, &r->split_p50, &r->split_p99, &r->split_max, &r->split_cpu, &r->split_sum);
		run_decision_phase(b, MEM_FULL, &s);
		print_storm("merge", k, &s, r->clusters_in);
		r->storms_ok = r->storms_ok && s.completed;
		storm_add(&s, &r->merge_p50, &r->merge_p99, &r->merge_max, &r->merge_cpu, &r->merge_sum);
		r->storms_run++;
	}
}

/* How much of the machine other processes used during the run (to tell a noisy run). */
static void measure_other_load(struct bench *b, struct run_report *r, const struct proc_sample *q0, uint64_t m0,
			       uint64_t s0, uint64_t t0)
{
	proc_sample(b->cfg.qnetd_pid, &r->fin);
	uint64_t m1 = machine_busy_ns(), s1 = self_cpu_ns(), t1 = now_ns();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double others = (double)(m1 - m0) - (double)(s1 - s0) -
			(r->fin.ok && q0->ok ? (double)(r->fin.cpu_ns - q0->cpu_ns) : 0.0);
	r->other_pct = -1;
	if (m0 != 0 && m1 != 0 && t1 > t0 && ncpu > 0)
		r->other_pct = 100.0 * (others > 0 ? others : 0) / ((double)(t1 - t0) * (double)ncpu);
	printf("machine: other processes used %.0f%% of the %ld CPUs during the run\n", r->other_pct, ncpu);
}

/* Phase 4: qnetd is restarted from outside; every client must be admitted again. */
static void phase_readmit(struct bench *b, struct run_report *r)
{
	const struct config *cfg = &b->cfg;
	r->readmit_s = -1;
	r->readmit_ok = true;
	if (cfg->restart_wait_s <= 0 || r->clusters_in == 0 || b->qnetd_gone)
		return;
	b->phase_done = 0;
	b->phase_target = 0;
	b->first_loss_ns = 0;
	for (size_t i = 0; i < b->nclients; i++) {
		struct client *c = &b->clients[i];
		c->lost = c->readmitted = false;
		c->participant = !b->cluster_excluded[c->cluster] && c->state != CS_DONE;
		if (c->participant)
			b->phase_target++;
	}
	r->readmit_target = b->phase_target;
	printf("RESTART-READY: restart qnetd now; waiting up to %.0f s\n", cfg->restart_wait_s);
	fflush(stdout);
	r->readmit_ok = run_loop(b, PHASE_READMIT, (uint64_t)(cfg->restart_wait_s * 1000.0));
	r->readmitted = b->phase_done;
	if (r->readmit_ok && b->first_loss_ns != 0)
		r->readmit_s = (double)(b->phase_last_ns - b->first_loss_ns) / 1e9;
	printf("restart: %zu/%zu clients admitted again (ACK); %.2f s from the first dropped connection "
	       "to the last ACK%s\n",
	       r->readmitted, r->readmit_target, r->readmit_s, r->readmit_ok ? "" : "  ** TIMEOUT **");
}

/* The counters and the one machine-readable line run-bench.sh builds its table from (ms, KB). */
static void print_report(const struct bench *b, const struct run_report *r, const char *status)
{
	const struct config *cfg = &b->cfg;
	if (b->qnetd_gone)
		printf("qnetd (pid %d) exited during the run\n", (int)cfg->qnetd_pid);
	printf("counters: handshakes %" PRIu64 ", protocol errors %" PRIu64 ", disconnects %" PRIu64
	       ", connect failures %" PRIu64 ", wrong votes %" PRIu64 ", vote flips %" PRIu64 ", stale votes %" PRIu64
	       ", late echoes %" PRIu64 ", INIT retries %" PRIu64 "\n",
	       b->n.handshakes, b->n.protocol_errors, b->n.disconnects, b->n.connect_failures, b->n.wrong_votes,
	       b->n.vote_flips, b->n.stale_votes, b->n.echo_late, b->n.init_retries);
	size_t echo_n = b->echo_count;
	uint64_t e50 = percentile(b->echo_rtt, echo_n, 50), e99 = percentile(b->echo_rtt, echo_n, 99);
	uint64_t e999 = percentile(b->echo_rtt, echo_n, 99.9), emax = echo_n > 0 ? b->echo_rtt[echo_n - 1] : 0;
	printf("echo: %zu round trips after the connect phase: p50 %.2f ms p99 %.2f ms p99.9 %.2f ms max %.2f ms; "
	       "%" PRIu64 " longer than the %" PRIu32 " ms heartbeat\n",
	       echo_n, ms(e50), ms(e99), ms(e999), ms(emax), b->n.echo_over_hb, cfg->heartbeat_ms);
	double div = r->storms_run > 0 ? (double)r->storms_run : 1.0;
	printf("RESULT label=%s clients=%zu connected=%zu connect_s=%.2f hs_per_s=%.0f conn_cpu_ms=%.0f "
	       "cpu_per_client_ms=%.2f rss_before_kb=%" PRIu64 " rss_after_kb=%" PRIu64 " rss_per_client_kb=%.1f "
	       "rss_final_kb=%" PRIu64 " hwm_kb=%" PRIu64 " hold_cpu_ms_per_s=%.1f storms=%u split_p50_ms=%.1f "
	       "split_p99_ms=%.1f split_max_ms=%.1f split_cpu_ms=%.1f merge_p50_ms=%.1f merge_p99_ms=%.1f "
	       "merge_max_ms=%.1f merge_cpu_ms=%.1f readmit_s=%.2f readmitted=%zu other_load_pct=%.0f wrong=%" PRIu64
	       " errors=%" PRIu64 " disconnects=%" PRIu64 " echo_n=%zu echo_p50_ms=%.2f echo_p99_ms=%.2f echo_p999_ms=%.2f"
	       " echo_max_ms=%.2f echo_over_hb=%" PRIu64 " echo_late=%" PRIu64 " run_cpu_ms=%.0f run_s=%.1f status=%s\n",
	       cfg->label, b->nclients, r->connected, r->connect_s, r->hs_rate, r->conn_cpu,
	       r->connected ? r->conn_cpu / (double)r->connected : 0, r->conn.before.rss_kb, r->conn.after.rss_kb,
	       r->rss_per_client_kb, r->fin.rss_kb, r->fin.hwm_kb, r->hold_cpu_per_s, r->storms_run, ms(r->split_p50),
	       ms(r->split_p99), ms(r->split_max), r->split_cpu / div, ms(r->merge_p50), ms(r->merge_p99),
	       ms(r->merge_max), r->merge_cpu / div, r->readmit_s, r->readmitted, r->other_pct,
	       b->n.wrong_votes + b->n.vote_flips, b->n.protocol_errors, b->n.disconnects, echo_n, ms(e50), ms(e99),
	       ms(e999), ms(emax), b->n.echo_over_hb, b->n.echo_late, r->run_cpu_ms, r->run_s, status);
	fflush(stdout);
}

/*
 * --hostile (doc/hardening.md §7.6): join every client, say HOSTILE-READY, re-send maximal
 * membership lists for --hold seconds, report what the server answered. Exit 0 unless set-up failed:
 * being refused or throttled is what a hostile tenant should expect.
 */
static void hostile_stop(struct loop *loop, int signo, void *data)
{
	(void)signo;
	(void)data;
	loop_stop(loop);
}

static int run_hostile(struct bench *b)
{
	const struct config *cfg = &b->cfg;
	/* The script ends the tenant when the honest run is over: SIGTERM cuts the hold short, the report still comes. */
	if (loop_signal_add(b->loop, SIGTERM, hostile_stop, b) != 0 || loop_signal_add(b->loop, SIGINT, hostile_stop, b) != 0) {
		fprintf(stderr, "qnetd_load: cannot handle SIGTERM\n");
		return 3;
	}
	b->phase_done = 0;
	b->phase_target = b->nclients;
	b->launch_t0_ns = now_ns();
	launch(b);
	if (b->next_launch < b->nclients)
		loop_timer_start(b->loop, &b->tick, TICK_MS);
	bool joined = run_loop(b, PHASE_JOIN, (uint64_t)(cfg->connect_timeout_s * 1000.0));
	loop_timer_stop(b->loop, &b->tick);
	printf("HOSTILE-READY: %zu/%zu clients joined in %.2f s%s\n", b->phase_done, b->nclients,
	       (double)(now_ns() - b->launch_t0_ns) / 1e9, joined ? "" : "  ** TIMEOUT **");
	fflush(stdout);
	struct sample_pair s;
	sample_begin(b, &s);
	uint64_t t0 = now_ns();
	run_loop(b, PHASE_NONE, (uint64_t)(cfg->hold_s * 1000.0));
	sample_end(b, &s);
	double secs = (double)(now_ns() - t0) / 1e9;
	size_t ready = 0;
	for (size_t i = 0; i < b->nclients; i++)
		ready += b->clients[i].state == CS_READY;
	printf("hostile: %.1f s, %zu clients x %" PRIu32 "-node lists: sent %" PRIu64 " membership lists (%.0f/s), got "
	       "%" PRIu64 " replies (%.0f/s) and %" PRIu64 " VOTE_INFOs, %" PRIu64 " SERVER_ERRORs, %" PRIu64
	       " disconnects, %zu connected at the end; generator CPU %.0f ms\n",
	       secs, b->nclients, cfg->list_nodes, b->n.lists_sent, (double)b->n.lists_sent / secs, b->n.list_replies,
	       (double)b->n.list_replies / secs, b->n.vote_infos, b->n.server_errors, b->n.disconnects, ready,
	       ms(s.self_after - s.self_before));
	printf("RESULT label=%s hostile=1 clients=%zu joined=%zu list_nodes=%" PRIu32 " rate=%.0f hold_s=%.1f "
	       "lists_sent=%" PRIu64 " list_replies=%" PRIu64 " vote_infos=%" PRIu64 " server_errors=%" PRIu64
	       " disconnects=%" PRIu64 " connected_end=%zu status=%s\n",
	       cfg->label, b->nclients, b->phase_done, cfg->list_nodes, cfg->hostile_rate, secs, b->n.lists_sent,
	       b->n.list_replies, b->n.vote_infos, b->n.server_errors, b->n.disconnects, ready,
	       joined ? "ok" : "TIMEOUT");
	fflush(stdout);
	close_everything(b);
	loop_destroy(b->loop);
	free(b->clients);
	free(b->cluster_excluded);
	if (cfg->tls)
		bench_tls_shutdown();
	return joined ? 0 : 2;
}

int main(int argc, char **argv)
{
	static struct bench bench;
	static struct run_report report;
	struct bench *b = &bench;
	struct run_report *r = &report;
	parse_args(&b->cfg, argc, argv);
	const struct config *cfg = &b->cfg;
	signal(SIGPIPE, SIG_IGN);
	resolve(b);
	if (!bench_setup(b))
		return 3;

	printf("qnetd_load: %s, %" PRIu32 " clusters x %" PRIu32 " nodes = %zu clients, TLS %s, heartbeat %" PRIu32
	       " ms, max pending %" PRIu32 ", qnetd pid %d\n",
	       cfg->label, cfg->clusters, cfg->nodes, b->nclients, cfg->tls ? cfg->tls_engine : "off", cfg->heartbeat_ms,
	       cfg->max_pending, (int)cfg->qnetd_pid);

	/* Whole-run view of the machine, to tell when something else competed for the CPUs. */
	struct proc_sample run_q0;
	proc_sample(cfg->qnetd_pid, &run_q0);
	uint64_t run_m0 = machine_busy_ns(), run_s0 = self_cpu_ns(), run_t0 = now_ns();

	if (cfg->hostile)
		return run_hostile(b);

	phase_connect(b, r);
	struct sample_pair run;
	uint64_t span_t0 = now_ns();
	sample_begin(b, &run);
	phase_hold(b, r);
	phase_storms(b, r);
	sample_end(b, &run);
	r->run_cpu_ms = sample_cpu_ms(&run);
	r->run_s = (double)(now_ns() - span_t0) / 1e9;
	measure_other_load(b, r, &run_q0, run_m0, run_s0, run_t0);
	phase_readmit(b, r);
	close_everything(b);

	bool failed = b->n.wrong_votes > 0 || b->n.vote_flips > 0 || b->n.protocol_errors > 0 || b->n.disconnects > 0;
	bool timeout = !r->connect_ok || !r->storms_ok || !r->readmit_ok;
	print_report(b, r, b->qnetd_gone ? "QNETD_DIED" : failed ? "FAIL" : timeout ? "TIMEOUT" : "ok");

	loop_destroy(b->loop);
	free(b->clients);
	free(b->cluster_excluded);
	free(b->echo_rtt);
	if (cfg->tls)
		bench_tls_shutdown();
	return failed || b->qnetd_gone ? 1 : timeout ? 2 : 0;
}
