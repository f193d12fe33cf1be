/* corosync-qnetd's whole status as one JSON object (schema 1, doc/status-json.md), for corosync-qnetd-tool -j. */
#include "qnetd_status_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

/*
 * Every json_object_set_new() below may fail only for lack of memory; the builder notes the first
 * failure and the caller gets NULL instead of a status with holes in it.
 */
struct builder {
	const struct qnetd_status_context *ctx;
	bool with_clients;                  /* false: the brief form, without each cluster's client objects */
	bool failed;
};

static void put(struct builder *b, json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || obj == NULL || json_object_set_new(obj, key, value) != 0)
		b->failed = true;
}

static void append(struct builder *b, json_t *array, json_t *value)
{
	if (value == NULL || array == NULL || json_array_append_new(array, value) != 0)
		b->failed = true;
}

static json_t *time_string(uint64_t mono_ms, const struct qnetd_status_context *ctx)
{
	char buf[TIMEFMT_RFC3339_LEN];
	return json_string(timefmt_rfc3339(timefmt_mono_to_unix_ms(mono_ms, ctx->now_mono_ms, ctx->now_unix_ms), buf));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the byte there does not start one. */
static size_t utf8_sequence(const uint8_t *s, size_t left)
{
	uint8_t c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *qnetd_status_json_bytes(const uint8_t *bytes, size_t len, int *lossy)
{
	*lossy = 0;
	/* At most 3 bytes out (U+FFFD) per byte in. */
	char *out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(bytes + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			*lossy = 1;
		} else {
			memcpy(out + o, bytes + i, n);
			o += n;
			i += n;
		}
	}
	/* json_stringn keeps embedded NUL bytes (written as \u0000). */
	json_t *s = json_stringn(out, o);
	free(out);
	return s;
}

static json_t *node_ids(struct builder *b, const struct qnetd_node_list *l)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < l->count; i++)
		append(b, a, json_integer(l->nodes[i].node_id));
	return a;
}

static json_t *tie_breaker(struct builder *b, const struct proto_tie_breaker *tb)
{
	json_t *o = json_object();
	switch (tb->mode) {
	case PROTO_TIE_BREAKER_LOWEST:
		put(b, o, "mode", json_string("lowest"));
		break;
	case PROTO_TIE_BREAKER_HIGHEST:
		put(b, o, "mode", json_string("highest"));
		break;
	default:
		put(b, o, "mode", json_string("node"));
		put(b, o, "node_id", json_integer(tb->node_id));
		break;
	}
	return o;
}

static json_t *vote_or_null(uint8_t vote)
{
	return vote == PROTO_VOTE_UNDEFINED ? json_null() : json_string(proto_vote_id(vote));
}

static json_t *client_object(struct builder *b, const struct qnetd_client *client)
{
	const struct qnetd_conn *conn = client->owner;
	json_t *o = json_object();
	put(b, o, "node_id", json_integer(client->node_id));
	put(b, o, "address", json_string(conn->peer));
	put(b, o, "tls_active", json_boolean(conn->tls_started));
	put(b, o, "client_cert_verified", json_boolean(conn->tls_started && conn->cert_verified));
	put(b, o, "heartbeat_interval_ms", json_integer(client->heartbeat_interval));
	put(b, o, "config_version",
	    client->config_version_set ? json_integer((json_int_t)client->config_version) : json_null());
	put(b, o, "configured_nodes", node_ids(b, &client->config_list));
	json_t *ring = json_object();
	put(b, ring, "node_id", json_integer(client->ring_id.node_id));
	put(b, ring, "seq", json_integer((json_int_t)client->ring_id.seq));
	put(b, o, "ring_id", ring);
	put(b, o, "membership", node_ids(b, &client->membership_list));
	put(b, o, "quorate", client->quorum_list.count > 0 ? json_boolean(client->quorate == PROTO_QUORATE) : json_null());
	put(b, o, "heuristics", json_string(proto_heuristics_id(client->heuristics)));
	put(b, o, "membership_heuristics", json_string(proto_heuristics_id(client->membership_heuristics)));
	put(b, o, "regular_heuristics", json_string(proto_heuristics_id(client->regular_heuristics)));
	put(b, o, "vote", vote_or_null(client->last_sent_vote));
	put(b, o, "last_ack_nack_vote", vote_or_null(client->last_sent_ack_nack_vote));
	put(b, o, "connected_since", time_string(conn->connected_ms, b->ctx));
	put(b, o, "last_message", time_string(conn->last_message_ms, b->ctx));
	put(b, o, "rate_limited_requests", json_integer((json_int_t)conn->rate_limited_requests));
	put(b, o, "queued_requests", json_integer((json_int_t)qnetd_conn_queued_requests(conn)));
	return o;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
	return (a > c) - (a < c);
}

/* The union of the clients' configured node lists, sorted, without duplicates; NULL on no memory. */
static uint32_t *configured_union(const struct qnetd_cluster *cluster, size_t *count)
{
	size_t total = 0;
	for (size_t i = 0; i < cluster->client_count; i++)
		total += cluster->clients[i]->config_list.count;
	uint32_t *ids = malloc((total + 1) * sizeof(*ids));
	if (ids == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_node_list *l = &cluster->clients[i]->config_list;
		for (size_t k = 0; k < l->count; k++)
			ids[n++] = l->nodes[k].node_id;
	}
	qsort(ids, n, sizeof(*ids), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || ids[u - 1] != ids[i])
			ids[u++] = ids[i];
	*count = u;
	return ids;
}

/*
 * Partitions whose clients hold an ACK now: distinct ring ids among the clients whose latest ACK or
 * NACK was an ACK. More than one is the split brain the arbiter exists to prevent.
 */
static size_t acked_partitions(const struct qnetd_cluster *cluster)
{
	size_t n = 0;
	for (size_t i = 0; i < cluster->client_count; i++) {
		const struct qnetd_client *c = cluster->clients[i];
		if (c->last_sent_ack_nack_vote != PROTO_VOTE_ACK)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const struct qnetd_client *p = cluster->clients[k];
			seen = p->last_sent_ack_nack_vote == PROTO_VOTE_ACK && proto_ring_id_equal(&p->ring_id, &c->ring_id);
		}
		if (!seen)
			n++;
	}
	return n;
}

/* The vote holds still running (doc/algorithms.md §1.5), by node id: expired ones are pruned lazily. */
static json_t *vote_holds(struct builder *b, const struct qnetd_cluster *cluster)
{
	json_t *arr = json_array();
	uint32_t last = 0;
	bool any = false;
	/* Ascending node ids without sorting a copy: the list holds at most one entry per node. */
	for (;;) {
		const struct qnetd_vote_hold *next = NULL;
		for (size_t i = 0; i < cluster->hold_count; i++) {
			const struct qnetd_vote_hold *h = &cluster->holds[i];
			if (h->until_ms <= b->ctx->now_mono_ms || (any && h->node_id <= last))
				continue;
			if (next == NULL || h->node_id < next->node_id)
				next = h;
		}
		if (next == NULL)
			break;
		json_t *o = json_object();
		put(b, o, "node_id", json_integer(next->node_id));
		put(b, o, "ends_in_ms", json_integer((json_int_t)(next->until_ms - b->ctx->now_mono_ms)));
		append(b, arr, o);
		last = next->node_id;
		any = true;
	}
	return arr;
}

static json_t *cluster_object(struct builder *b, const struct qnetd_cluster *cluster)
{
	json_t *o = json_object();
	int lossy;
	put(b, o, "name", qnetd_status_json_bytes(cluster->name, cluster->name_len, &lossy));
	if (lossy) {
		/* The exact bytes for whoever needs them; the name above is only readable. */
		char *hex = malloc(cluster->name_len * 2 + 1);
		if (hex == NULL) {
			b->failed = true;
		} else {
			for (size_t i = 0; i < cluster->name_len; i++) {
				static const char digits[] = "0123456789abcdef";
				hex[2 * i] = digits[cluster->name[i] >> 4];
				hex[2 * i + 1] = digits[cluster->name[i] & 0xf];
			}
			hex[cluster->name_len * 2] = '\0';
			put(b, o, "name_hex", json_string(hex));
			free(hex);
		}
	}
	const struct qnetd_client *first = cluster->client_count > 0 ? cluster->clients[0] : NULL;
	bool kap = first != NULL;
	for (size_t i = 0; i < cluster->client_count; i++)
		if (cluster->clients[i]->algorithm != PROTO_ALGO_FFSPLIT || !cluster->clients[i]->kap_tie_breaker)
			kap = false;
	put(b, o, "algorithm", first != NULL ? json_string(proto_algorithm_id(first->algorithm)) : json_null());
	put(b, o, "tie_breaker", first != NULL ? tie_breaker(b, &first->tie_breaker) : json_null());
	put(b, o, "kap_tie_breaker", json_boolean(kap));

	size_t nconf = 0;
	uint32_t *conf = configured_union(cluster, &nconf);
	json_t *configured = json_array(), *missing = json_array();
	if (conf == NULL)
		b->failed = true;
	for (size_t i = 0; conf != NULL && i < nconf; i++) {
		append(b, configured, json_integer(conf[i]));
		if (qnetd_cluster_client_index(cluster, conf[i]) < 0)
			append(b, missing, json_integer(conf[i]));
	}
	free(conf);
	put(b, o, "configured_nodes", configured);
	put(b, o, "missing_nodes", missing);
	put(b, o, "acked_partitions", json_integer((json_int_t)acked_partitions(cluster)));
	put(b, o, "vote_holds", vote_holds(b, cluster));
	put(b, o, "client_count", json_integer((json_int_t)cluster->client_count));
	if (!b->with_clients)
		return o;
	json_t *clients = json_array();
	for (size_t i = 0; i < cluster->client_count; i++)
		append(b, clients, client_object(b, cluster->clients[i]));
	put(b, o, "clients", clients);
	return o;
}

static const char *tls_id(uint8_t tls)
{
	switch (tls) {
	case PROTO_TLS_UNSUPPORTED: return "off";
	case PROTO_TLS_REQUIRED: return "required";
	default: return "on";
	}
}

static const char *family_id(enum qnetd_address_family f)
{
	switch (f) {
	case QNETD_AF_INET: return "inet";
	case QNETD_AF_INET6: return "inet6";
	default: return "any";
	}
}

/* INIT refusals (doc/status-json.md §2): counts by reason, the last hour, and the latest one. */
static json_t *init_refusals(struct builder *b, const struct qnetd_server *srv)
{
	const struct qnetd_counters *k = &srv->counters;
	json_t *o = json_object(), *by_reason = json_object();
	uint64_t total = 0;
	for (size_t r = 0; r < QNETD_INIT_REFUSAL_COUNT; r++) {
		total += k->init_refusals[r];
		put(b, by_reason, qnetd_init_refusal_id((enum qnetd_init_refusal)r), json_integer((json_int_t)k->init_refusals[r]));
	}
	put(b, o, "total", json_integer((json_int_t)total));
	put(b, o, "last_hour", json_integer((json_int_t)qnetd_server_init_refusals_last_hour(srv, b->ctx->now_mono_ms)));
	put(b, o, "by_reason", by_reason);
	if (!k->init_refused) {
		put(b, o, "last", json_null());
		return o;
	}
	json_t *last = json_object();
	int lossy;
	put(b, last, "time", time_string(k->last_init_refusal_ms, b->ctx));
	put(b, last, "cluster", k->last_init_refusal_named
					? qnetd_status_json_bytes(k->last_init_refusal_name, k->last_init_refusal_name_len, &lossy)
					: json_null());
	put(b, last, "reason", json_string(qnetd_init_refusal_id(k->last_init_refusal)));
	put(b, o, "last", last);
	return o;
}

json_t *qnetd_status_json(const struct qnetd_server *srv, const struct qnetd_status_context *ctx,
			  const char *cluster_name, size_t cluster_name_len, bool with_clients)
{
	struct builder b = {.ctx = ctx, .with_clients = with_clients};
	const struct qnetd_settings *s = srv->settings;
	char now[TIMEFMT_RFC3339_LEN], started[TIMEFMT_RFC3339_LEN];

	json_t *root = json_object();
	put(&b, root, "schema", json_integer(QNETD_STATUS_JSON_SCHEMA));
	put(&b, root, "program", json_string("corosync-qnetd"));
	put(&b, root, "version", json_string(ctx->version));
	put(&b, root, "time", json_string(timefmt_rfc3339(ctx->now_unix_ms, now)));
	put(&b, root, "started", json_string(timefmt_rfc3339(ctx->started_unix_ms, started)));
	json_t *listen = json_object();
	put(&b, listen, "address", s->listen_addr != NULL ? json_string(s->listen_addr) : json_null());
	put(&b, listen, "port", json_integer(s->port));
	put(&b, listen, "family", json_string(family_id(s->family)));
	put(&b, root, "listen", listen);
	put(&b, root, "tls", json_string(tls_id(s->tls)));
	int path_lossy;
	/* A path from -S may hold any byte: as a cluster name, never a reason to lose the whole status. */
	put(&b, root, "nss_db_dir",
	    s->nss_db_dir != NULL ? qnetd_status_json_bytes((const uint8_t *)s->nss_db_dir, strlen(s->nss_db_dir), &path_lossy)
				  : json_null());
	put(&b, root, "client_cert_required", json_boolean(s->client_cert_required));
	put(&b, root, "max_clients", json_integer(s->max_clients));
	if (ctx->server_cert_known) {
		json_t *cert = json_object();
		char nb[TIMEFMT_RFC3339_LEN], na[TIMEFMT_RFC3339_LEN];
		put(&b, cert, "nickname", json_string(s->cert_nickname));
		put(&b, cert, "not_before", json_string(timefmt_rfc3339(ctx->server_cert_not_before_ms, nb)));
		put(&b, cert, "not_after", json_string(timefmt_rfc3339(ctx->server_cert_not_after_ms, na)));
		put(&b, root, "server_certificate", cert);
	} else {
		put(&b, root, "server_certificate", json_null());
	}
	const struct qnetd_counters *k = &srv->counters;
	json_t *rej = json_object(), *by_reason = json_object();
	uint64_t rej_total = 0;
	for (size_t r = 0; r < QNETD_CERT_REJECTION_COUNT; r++) {
		rej_total += k->cert_rejections[r];
		put(&b, by_reason, qnetd_cert_rejection_id((enum qnetd_cert_rejection)r), json_integer((json_int_t)k->cert_rejections[r]));
	}
	put(&b, rej, "total", json_integer((json_int_t)rej_total));
	put(&b, rej, "last_hour", json_integer((json_int_t)qnetd_server_cert_rejections_last_hour(srv, ctx->now_mono_ms)));
	put(&b, rej, "last", k->cert_rejected ? time_string(k->last_cert_rejection_ms, ctx) : json_null());
	put(&b, rej, "by_reason", by_reason);
	put(&b, root, "client_cert_rejections", rej);
	put(&b, root, "init_refusals", init_refusals(&b, srv));
	json_t *totals = json_object();
	put(&b, totals, "connections_accepted", json_integer((json_int_t)k->connections_accepted));
	put(&b, totals, "connections_closed", json_integer((json_int_t)k->connections_closed));
	json_t *closed = json_object();
	for (size_t r = 0; r < QNETD_CLOSE_REASON_COUNT; r++)
		put(&b, closed, qnetd_close_reason_id((enum qnetd_close_reason)r),
		    json_integer((json_int_t)k->connections_closed_by_reason[r]));
	put(&b, totals, "connections_closed_by_reason", closed);
	put(&b, totals, "clients_joined", json_integer((json_int_t)k->clients_joined));
	/* Cumulative, as Prometheus histograms are; the last bucket (le_ms null) holds every decision. */
	json_t *decisions = json_object(), *buckets = json_array();
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= QNETD_DECISION_BUCKETS; i++) {
		json_t *bucket = json_object();
		cumulative += k->decision_buckets[i];
		put(&b, bucket, "le_ms", i < QNETD_DECISION_BUCKETS ? json_integer(qnetd_decision_bucket_le_ms[i]) : json_null());
		put(&b, bucket, "count", json_integer((json_int_t)cumulative));
		if (buckets == NULL) {
			json_decref(bucket);
			b.failed = true;
		} else if (json_array_append_new(buckets, bucket) != 0) {
			b.failed = true;
		}
	}
	put(&b, decisions, "count", json_integer((json_int_t)k->decisions));
	put(&b, decisions, "sum_ms", json_integer((json_int_t)k->decision_ms_sum));
	put(&b, decisions, "buckets", buckets);
	put(&b, totals, "decision_duration", decisions);
	/* Evaluation requests that waited (doc/hardening.md §7.3, §7.4). */
	put(&b, totals, "deferred_requests", json_integer((json_int_t)k->deferred_requests));
	put(&b, totals, "rate_limited_requests", json_integer((json_int_t)k->rate_limited_requests));
	put(&b, totals, "coalesced_requests", json_integer((json_int_t)k->coalesced_requests));
	/* Partitions kept waiting by a vote hold (doc/algorithms.md §1.5). */
	put(&b, totals, "vote_holds", json_integer((json_int_t)k->vote_holds));
	put(&b, root, "totals", totals);

	size_t joined = 0, plaintext = 0, nclusters = 0;
	json_t *clusters = json_array();
	for (const struct qnetd_cluster_map_entry *it = qnetd_cluster_map_first(&srv->clusters); it != NULL;
	     it = qnetd_cluster_map_next(it)) {
		const struct qnetd_cluster *c = qnetd_cluster_map_entry_cluster(it);
		nclusters++;
		joined += c->client_count;
		for (size_t i = 0; i < c->client_count; i++) {
			const struct qnetd_conn *conn = c->clients[i]->owner;
			if (!conn->tls_started)
				plaintext++;
		}
		if (cluster_name != NULL && cluster_name_len > 0 &&
		    (c->name_len != cluster_name_len || memcmp(c->name, cluster_name, cluster_name_len) != 0))
			continue;
		append(&b, clusters, cluster_object(&b, c));
	}
	json_t *counts = json_object();
	put(&b, counts, "connections", json_integer((json_int_t)srv->conn_count));
	put(&b, counts, "clients", json_integer((json_int_t)joined));
	put(&b, counts, "clusters", json_integer((json_int_t)nclusters));
	put(&b, counts, "plaintext_clients", json_integer((json_int_t)plaintext));
	put(&b, counts, "rate_limited_connections", json_integer((json_int_t)srv->rate_limited_conns));
	put(&b, root, "counts", counts);
	put(&b, root, "clusters", clusters);
	if (b.failed) {
		json_decref(root);
		return NULL;
	}
	return root;
}
