/*
 * libFuzzer target over whole qnetd sessions: arbitrary byte streams on three
 * connections to one server, through framing, the TLS gate, INIT, every
 * handler and the decision algorithms. No crash, no leak, invariants hold.
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
	(void)ctx;
	(void)conn;
	(void)ms;
}

static void op_timer_stop(void *ctx, struct qnetd_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static const struct qnetd_session_ops ops = {
	.send = op_send,
	.start_tls = op_start_tls,
	.verify_client_cert = op_verify,
	.dpd_restart = op_dpd,
	.algo_timer_start = op_timer_start,
	.algo_timer_stop = op_timer_stop,
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
	for (int i = 0; i < CONNS; i++) {
		qnetd_conn_init(&srv, &conns[i], "fuzz");
		open[i] = true;
	}

	/* Chunks: [connection byte][length byte][bytes...]; connection byte >= 0xf0 closes it. */
	while (size >= 2) {
		int i = data[0] % CONNS;
		bool close_it = data[0] >= 0xf0;
		size_t len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (open[i] && (close_it || conns[i].disconnect_scheduled)) {
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

		/* Invariants: counts agree with the connections, clusters are non-empty and sorted. */
		size_t open_count = 0;
		for (int k = 0; k < CONNS; k++)
			open_count += open[k];
		CHECK(srv.conn_count == open_count);
		CHECK(srv.clusters.count <= open_count);
		for (const struct qnetd_cluster_map_entry *e = qnetd_cluster_map_first(&srv.clusters); e; e = qnetd_cluster_map_next(e)) {
			const struct qnetd_cluster *c = qnetd_cluster_map_entry_cluster(e);
			CHECK(c->client_count > 0);
			for (size_t k = 1; k < c->client_count; k++)
				CHECK(c->clients[k - 1]->node_id < c->clients[k]->node_id);
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
