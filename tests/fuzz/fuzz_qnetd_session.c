/*
 * libFuzzer target over whole qnetd sessions: arbitrary byte streams on three
 * connections to one server, through framing, the TLS gate, INIT, every
 * handler, the decision algorithms with their timers (lms ticks, vote holds),
 * and requests that wait for the rate limit or a later loop pass. No crash, no
 * leak, invariants hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qnetd_conn.h"
#include "qnetd_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#define CONNS 3

struct fuzz_transport {
	size_t queued[CONNS];
	bool cert_ok;
	uint64_t now_ms;
	bool rate_timer[CONNS];             /* armed by rate_timer_start, fired after the chunk */
	bool algo_timer[CONNS];             /* armed by algo_timer_start, fired once due */
	uint64_t algo_due_ms[CONNS];
};

static struct fuzz_transport transport;
static struct qnetd_conn conns[CONNS];

static int conn_index(const struct qnetd_conn *conn)
{
	return (int)(conn - conns);
}

static int op_send(void *ctx, struct qnetd_conn *conn, const uint8_t *buf, size_t len)
{
	struct fuzz_transport *t = ctx;
	int i = conn_index(conn);
	CHECK(i >= 0 && i < CONNS);
	CHECK(len >= 6);
	/* Everything the server sends must be a well-formed message of a server type. */
	uint16_t type = (uint16_t)(buf[0] << 8 | buf[1]);
	CHECK(type < 18);
	if (t->queued[i] >= 32)
		return -1; /* a full queue, as the real transport would report */
	t->queued[i]++;
	return 0;
}

static int op_start_tls(void *ctx, struct qnetd_conn *conn)
{
	(void)ctx;
	(void)conn;
	return 0;
}

static int op_verify(void *ctx, struct qnetd_conn *conn, const uint8_t *name, size_t len)
{
	(void)conn;
	(void)name;
	(void)len;
	return ((struct fuzz_transport *)ctx)->cert_ok ? 0 : -1;
}

static void op_dpd(void *ctx, struct qnetd_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static void op_timer_start(void *ctx, struct qnetd_conn *conn, uint32_t ms)
{
	struct fuzz_transport *t = ctx;
	int i = conn_index(conn);
	CHECK(i >= 0 && i < CONNS);
	t->algo_timer[i] = true;
	t->algo_due_ms[i] = t->now_ms + ms;
}

static void op_timer_stop(void *ctx, struct qnetd_conn *conn)
{
	struct fuzz_transport *t = ctx;
	int i = conn_index(conn);
	CHECK(i >= 0 && i < CONNS);
	t->algo_timer[i] = false;
}

static uint64_t op_now(void *ctx)
{
	return ((struct fuzz_transport *)ctx)->now_ms;
}

static void op_rate_timer(void *ctx, struct qnetd_conn *conn, uint64_t ms)
{
	struct fuzz_transport *t = ctx;
	int i = conn_index(conn);
	CHECK(i >= 0 && i < CONNS);
	CHECK(ms >= 1 && ms <= 1000); /* one token at the slowest rate used here */
	t->rate_timer[i] = true;
}

static const struct qnetd_session_ops ops = {
	.send = op_send,
	.start_tls = op_start_tls,
	.verify_client_cert = op_verify,
	.dpd_restart = op_dpd,
	.algo_timer_start = op_timer_start,
	.algo_timer_stop = op_timer_stop,
	.now_ms = op_now,
	.rate_timer_start = op_rate_timer,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnetd_settings settings;
	struct qnetd_server srv;
	bool open[CONNS];

	if (size < 1)
		return 0;
	qnetd_settings_init(&settings);
	/* The first byte picks the server's TLS mode and certificate behaviour. */
	settings.tls = data[0] % 3;
	settings.client_cert_required = (data[0] & 4) != 0;
	transport = (struct fuzz_transport){.cert_ok = (data[0] & 8) != 0};
	data++;
	size--;
	qnetd_server_init(&srv, &settings, &ops, &transport);
	/* Bit 4: one evaluation a pass, so requests wait for later passes and take turns. */
	if (data[-1] & 16)
		srv.pass_work_budget = 1;
	/* Bit 5: a budget of two requests, one more a second, so the rate limit and coalescing are reached. */
	if (data[-1] & 32) {
		srv.request_rate_per_s = 1;
		srv.request_burst = 2;
	}
	for (int i = 0; i < CONNS; i++) {
		qnetd_conn_init(&srv, &conns[i], "fuzz");
		open[i] = true;
	}

	/*
	 * Chunks: [connection byte][length byte][bytes...]; connection byte >= 0xf0 closes it, and
	 * 0xe0..0xef instead moves the clock on by the length byte in seconds (no bytes follow), so
	 * that vote holds and lms timers come due.
	 */
	while (size >= 2) {
		int i = data[0] % CONNS;
		bool close_it = data[0] >= 0xf0;
		bool clock_step = data[0] >= 0xe0 && !close_it;
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (clock_step) {
			transport.now_ms += (uint64_t)len * 1000;
			len = 0;
		}
		if (len > size)
			len = size;
		if (clock_step) {
			/* nothing to feed */
		} else if (open[i] && (close_it || conns[i].disconnect_scheduled)) {
			qnetd_conn_disconnect(&srv, &conns[i]);
			qnetd_conn_destroy(&conns[i]);
			open[i] = false;
		} else if (open[i]) {
			size_t done = 0;
			while (done < len && !conns[i].disconnect_scheduled) {
				size_t n = qnetd_conn_input(&srv, &conns[i], data + done, len - done);
				CHECK(n <= len - done);
				done += n;
			}
			transport.queued[i] = 0; /* the transport flushed */
		}
		data += len;
		size -= len;

		/* The loop's part: the rate timers that are due, one pass of waiting requests, a new pass. */
		transport.now_ms += 3;
		for (int k = 0; k < CONNS; k++) {
			if (open[k] && transport.rate_timer[k]) {
				transport.rate_timer[k] = false;
				qnetd_conn_rate_timer(&srv, &conns[k]);
			}
			if (open[k] && transport.algo_timer[k] && transport.algo_due_ms[k] <= transport.now_ms) {
				transport.algo_timer[k] = false;
				qnetd_conn_algo_timer(&srv, &conns[k]);
			}
		}
		qnetd_server_run_deferred(&srv);
		qnetd_server_pass_done(&srv);
		for (int k = 0; k < CONNS; k++)
			transport.queued[k] = 0;

		/* Invariants: counts agree with the connections, clusters are non-empty and sorted. */
		size_t open_count = 0;
		for (int k = 0; k < CONNS; k++)
			open_count += open[k];
		CHECK(srv.conn_count == open_count);
		/* Waiting requests: at most one of each kind, and each waiting connection is either queued or rate-limited. */
		size_t awaiting = 0;
		for (int k = 0; k < CONNS; k++) {
			if (!open[k])
				continue;
			size_t q = qnetd_conn_queued_requests(&conns[k]);
			CHECK(q <= QNETD_DEFERRED_KINDS);
			awaiting += conns[k].awaiting_token;
			CHECK(!(conns[k].awaiting_token && qnetd_sched_queued(&conns[k].sched)));
			if (q > 0 && !conns[k].disconnect_scheduled)
				CHECK(conns[k].awaiting_token || qnetd_sched_queued(&conns[k].sched));
			if (q == 0)
				CHECK(!qnetd_sched_queued(&conns[k].sched));
		}
		CHECK(srv.rate_limited_conns == awaiting);
		CHECK(srv.clusters.count <= open_count);
		for (const struct qnetd_cluster_map_entry *e = qnetd_cluster_map_first(&srv.clusters); e; e = qnetd_cluster_map_next(e)) {
			const struct qnetd_cluster *c = qnetd_cluster_map_entry_cluster(e);
			CHECK(c->client_count > 0);
			for (size_t k = 1; k < c->client_count; k++)
				CHECK(c->clients[k - 1]->node_id < c->clients[k]->node_id);
			/* At most one vote hold per node id. */
			for (size_t k = 0; k < c->hold_count; k++)
				for (size_t l = k + 1; l < c->hold_count; l++)
					CHECK(c->holds[k].node_id != c->holds[l].node_id);
		}
	}
	srv.going_down = true;
	for (int i = 0; i < CONNS; i++) {
		if (open[i]) {
			qnetd_conn_disconnect(&srv, &conns[i]);
			qnetd_conn_destroy(&conns[i]);
		}
	}
	CHECK(srv.clusters.count == 0);
	qnetd_server_destroy(&srv);
	qnetd_settings_destroy(&settings);
	return 0;
}
