/* corosync-qdevice's configuration from cmap, validated into a struct, and what run-time changes mean (doc/qdevice-state-machine.md §3). */
#include "qdevice_config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>

#include "parse.h"

#define KEY_MODEL "quorum.device.model"
#define KEY_NODE_ID "runtime.votequorum.this_node_id"
#define KEY_TIMEOUT "quorum.device.timeout"
#define KEY_SYNC_TIMEOUT "quorum.device.sync_timeout"
#define KEY_VOTES "quorum.device.votes"
#define KEY_WAIT_FOR_ALL "quorum.wait_for_all"
#define KEY_H_TIMEOUT "quorum.device.heuristics.timeout"
#define KEY_H_SYNC_TIMEOUT "quorum.device.heuristics.sync_timeout"
#define KEY_H_INTERVAL "quorum.device.heuristics.interval"
#define KEY_H_MODE "quorum.device.heuristics.mode"
#define KEY_H_EXEC_PREFIX "quorum.device.heuristics.exec_"
#define KEY_NET_TLS "quorum.device.net.tls"
#define KEY_NET_HOST "quorum.device.net.host"
#define KEY_NET_PORT "quorum.device.net.port"
#define KEY_CLUSTER_NAME "totem.cluster_name"
#define KEY_NET_ALGORITHM "quorum.device.net.algorithm"
#define KEY_NET_TIE_BREAKER "quorum.device.net.tie_breaker"
#define KEY_NET_CONNECT_TIMEOUT "quorum.device.net.connect_timeout"
#define KEY_NET_FORCE_IP "quorum.device.net.force_ip_version"
#define KEY_NET_KAP "quorum.device.net.keep_active_partition_tie_breaker"
#define KEY_CLEAR_HIGH_BIT "totem.clear_node_high_bit"
#define KEY_CONFIG_VERSION "totem.config_version"
#define KEY_NODELIST_PREFIX "nodelist.node."
#define KEY_LOGGING_DEBUG "logging.debug"
#define KEY_LOGGING_QDEVICE_DEBUG "logging.logger_subsys.QDEVICE.debug"
#define KEY_RELOAD "config.totemconfig_reload_in_progress"

#define DEFAULT_TIMEOUT 10000u
#define DEFAULT_SYNC_TIMEOUT 30000u

/* ---- cmap model ---- */

const struct qdevice_cmap_entry *qdevice_cmap_find(const struct qdevice_cmap *cmap, const char *key)
{
	for (size_t i = 0; i < cmap->count; i++) {
		if (cmap->entries[i].key != NULL && strcmp(cmap->entries[i].key, key) == 0)
			return &cmap->entries[i];
	}
	return NULL;
}

static const struct qdevice_cmap_entry *find_typed(const struct qdevice_cmap *cmap, const char *key,
						   enum qdevice_cmap_type type)
{
	const struct qdevice_cmap_entry *e = qdevice_cmap_find(cmap, key);
	return e != NULL && e->type == type ? e : NULL;
}

int qdevice_cmap_get_string(const struct qdevice_cmap *cmap, const char *key, const char **out)
{
	const struct qdevice_cmap_entry *e = find_typed(cmap, key, QDEVICE_CMAP_STRING);
	if (e == NULL || e->str == NULL)
		return -1;
	*out = e->str;
	return 0;
}

int qdevice_cmap_get_u8(const struct qdevice_cmap *cmap, const char *key, uint8_t *out)
{
	const struct qdevice_cmap_entry *e = find_typed(cmap, key, QDEVICE_CMAP_U8);
	if (e == NULL)
		return -1;
	*out = (uint8_t)e->u;
	return 0;
}

int qdevice_cmap_get_u32(const struct qdevice_cmap *cmap, const char *key, uint32_t *out)
{
	const struct qdevice_cmap_entry *e = find_typed(cmap, key, QDEVICE_CMAP_U32);
	if (e == NULL)
		return -1;
	*out = (uint32_t)e->u;
	return 0;
}

int qdevice_cmap_get_u64(const struct qdevice_cmap *cmap, const char *key, uint64_t *out)
{
	const struct qdevice_cmap_entry *e = find_typed(cmap, key, QDEVICE_CMAP_U64);
	if (e == NULL)
		return -1;
	*out = e->u;
	return 0;
}

/* ---- helpers ---- */

static int fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static void logf_env(const struct qdevice_config_env *env, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_env(const struct qdevice_config_env *env, int priority, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	env->log(env->log_ctx, priority, buf);
}

static int nomem(char *err, size_t err_len)
{
	return fail(err, err_len, "out of memory");
}

static int cmp_entry_keys(const void *a, const void *b)
{
	const struct qdevice_cmap_entry *const *ea = a;
	const struct qdevice_cmap_entry *const *eb = b;
	return strcmp((*ea)->key, (*eb)->key);
}

/*
 * Entries whose key starts with prefix, in cmap's iteration order (lexicographic by key).
 * Returns a malloc'ed array (NULL with *count 0 when none), or sets *oom.
 */
static const struct qdevice_cmap_entry **collect_prefix(const struct qdevice_cmap *cmap, const char *prefix,
							 size_t *count, bool *oom)
{
	size_t plen = strlen(prefix), n = 0;
	const struct qdevice_cmap_entry **list;

	*count = 0;
	*oom = false;
	for (size_t i = 0; i < cmap->count; i++)
		if (cmap->entries[i].key != NULL && strncmp(cmap->entries[i].key, prefix, plen) == 0)
			n++;
	if (n == 0)
		return NULL;
	list = calloc(n, sizeof(*list));
	if (list == NULL) {
		*oom = true;
		return NULL;
	}
	n = 0;
	for (size_t i = 0; i < cmap->count; i++)
		if (cmap->entries[i].key != NULL && strncmp(cmap->entries[i].key, prefix, plen) == 0)
			list[n++] = &cmap->entries[i];
	qsort(list, n, sizeof(*list), cmp_entry_keys);
	*count = n;
	return list;
}

/* ---- heuristics (man/corosync-qdevice.8, doc/qdevice-state-machine.md §9.1) ---- */

const char *qdevice_heuristics_mode_str(enum qdevice_heuristics_mode mode)
{
	switch (mode) {
	case QDEVICE_HEURISTICS_MODE_OFF: return "Disabled";
	case QDEVICE_HEURISTICS_MODE_ON: return "Enabled";
	case QDEVICE_HEURISTICS_MODE_SYNC: return "Enabled only on sync";
	}
	return "Unknown";
}

void qdevice_heuristics_config_destroy(struct qdevice_heuristics_config *h)
{
	for (size_t i = 0; i < h->exec_count; i++) {
		free(h->execs[i].name);
		free(h->execs[i].command);
	}
	free(h->execs);
	memset(h, 0, sizeof(*h));
}

/* A heuristics timing key: absent → def (not range checked, quirk 6), else an integer in range. */
static int read_heuristics_number(const struct qdevice_cmap *cmap, const char *key, const char *short_name,
				  uint32_t def, uint32_t min, uint32_t max, uint32_t *out, char *err, size_t err_len)
{
	const char *str;
	long long ll;

	if (qdevice_cmap_get_string(cmap, key, &str) != 0) {
		*out = def;
		return 0;
	}
	if (parse_ll(str, min, max, &ll) != 0)
		return fail(err, err_len, "%s: invalid value '%s' (%s must be valid number in range <%u,%u>)", key, str,
			    short_name, min, max);
	*out = (uint32_t)ll;
	return 0;
}

/* Appends the valid exec_ keys to h; problems with single keys are warnings. */
static int read_heuristics_execs(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
				 struct qdevice_heuristics_config *h, char *err, size_t err_len)
{
	size_t n;
	bool oom;
	const struct qdevice_cmap_entry **list = collect_prefix(cmap, KEY_H_EXEC_PREFIX, &n, &oom);

	if (oom)
		return nomem(err, err_len);
	if (n > 0) {
		h->execs = calloc(n, sizeof(*h->execs));
		if (h->execs == NULL) {
			free(list);
			return nomem(err, err_len);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = list[i]->key + strlen(KEY_H_EXEC_PREFIX);
		/* The name runs up to the first '.', must be non-empty, and nothing may follow it. */
		if (*name == '\0' || strchr(name, '.') != NULL) {
			logf_env(env, LOG_WARNING, "%s key is not correct heuristics exec name. Ignoring", list[i]->key);
			continue;
		}
		if (list[i]->type != QDEVICE_CMAP_STRING || list[i]->str == NULL) {
			logf_env(env, LOG_WARNING, "Can't get value of %s key. Ignoring", list[i]->key);
			continue;
		}
		struct qdevice_heuristics_exec *x = &h->execs[h->exec_count];
		x->name = strdup(name);
		x->command = strdup(list[i]->str);
		if (x->name == NULL || x->command == NULL) {
			free(x->name);
			free(x->command);
			x->name = x->command = NULL;
			free(list);
			return nomem(err, err_len);
		}
		h->exec_count++;
	}
	free(list);
	return 0;
}

int qdevice_config_read_heuristics(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
				   uint32_t timeout, uint32_t sync_timeout, struct qdevice_heuristics_config *out,
				   char *err, size_t err_len)
{
	const struct qdevice_settings *s = env->settings;
	struct qdevice_heuristics_config h;
	const char *str;
	bool b;

	memset(&h, 0, sizeof(h));
	memset(out, 0, sizeof(*out));
	if (read_heuristics_number(cmap, KEY_H_TIMEOUT, "heuristics.timeout", timeout / 2, s->heuristics_min_timeout,
				   s->heuristics_max_timeout, &h.timeout, err, err_len) != 0)
		return -1;
	if (read_heuristics_number(cmap, KEY_H_SYNC_TIMEOUT, "heuristics.sync_timeout", sync_timeout / 2,
				   s->heuristics_min_timeout, s->heuristics_max_timeout, &h.sync_timeout, err,
				   err_len) != 0)
		return -1;
	/* 3 × timeout in u32 arithmetic: wraps for absurd timeouts, as a u32 product does. */
	if (read_heuristics_number(cmap, KEY_H_INTERVAL, "heuristics.interval", (uint32_t)(timeout * 3u),
				   s->heuristics_min_interval, s->heuristics_max_interval, &h.interval, err,
				   err_len) != 0)
		return -1;

	h.mode = QDEVICE_HEURISTICS_MODE_OFF;
	if (qdevice_cmap_get_string(cmap, KEY_H_MODE, &str) == 0) {
		if (strcasecmp(str, "sync") == 0)
			h.mode = QDEVICE_HEURISTICS_MODE_SYNC;
		else if (parse_bool(str, &b) == 0)
			h.mode = b ? QDEVICE_HEURISTICS_MODE_ON : QDEVICE_HEURISTICS_MODE_OFF;
		else
			return fail(err, err_len, "%s: invalid value '%s' (quorum.device.heuristics.mode value is not valid.)",
				    KEY_H_MODE, str);
	}

	if (read_heuristics_execs(cmap, env, &h, err, err_len) != 0) {
		qdevice_heuristics_config_destroy(&h);
		return -1;
	}
	if (h.mode != QDEVICE_HEURISTICS_MODE_OFF) {
		if (h.exec_count == 0) {
			logf_env(env, LOG_INFO, "No valid heuristics execs defined. Disabling heuristics.");
			h.mode = QDEVICE_HEURISTICS_MODE_OFF;
		} else if ((long long)h.exec_count > s->heuristics_max_execs) {
			logf_env(env, LOG_ERR, "Too much (%zu) heuristics execs defined (max is %lld). Disabling heuristics.",
				 h.exec_count, s->heuristics_max_execs);
			h.mode = QDEVICE_HEURISTICS_MODE_OFF;
		}
	}
	*out = h;
	return 0;
}

/* ---- node list (built as upstream does; changes: doc/qdevice-state-machine.md §3.2) ---- */

void qdevice_node_list_destroy(struct qdevice_node_list *l)
{
	free(l->nodes);
	memset(l, 0, sizeof(*l));
}

int qdevice_config_resolve_ipv4(void *ctx, const char *addr, uint32_t *ipv4_host_order)
{
	struct addrinfo hints, *res = NULL;

	(void)ctx;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	if (getaddrinfo(addr, NULL, &hints, &res) != 0 || res == NULL)
		return -1;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)res->ai_addr;
	*ipv4_host_order = ntohl(sin->sin_addr.s_addr);
	freeaddrinfo(res);
	return 0;
}

/*
 * Splits "nodelist.node.<N>.<rest>"; N must be a decimal u32. Like upstream's scanf, the index is
 * re-formatted for the per-node lookups, so "01" and "1" name the same node.
 */
static bool parse_node_key(const char *key, unsigned *index, const char **rest)
{
	const char *p = key + strlen(KEY_NODELIST_PREFIX);
	unsigned long long v = 0;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return false;
		p++;
	}
	if (*p != '.')
		return false;
	*index = (unsigned)v;
	*rest = p + 1;
	return true;
}

int qdevice_config_read_node_list(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
				  struct qdevice_node_list *out, char *err, size_t err_len)
{
	qdevice_config_resolve_fn resolve = env->resolve != NULL ? env->resolve : qdevice_config_resolve_ipv4;
	struct qdevice_node_list l;
	const char *str;
	size_t n;
	bool oom;
	bool clear_high_bit = qdevice_cmap_get_string(cmap, KEY_CLEAR_HIGH_BIT, &str) == 0 && strcmp(str, "yes") == 0;
	const struct qdevice_cmap_entry **list = collect_prefix(cmap, KEY_NODELIST_PREFIX, &n, &oom);

	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	if (oom)
		return nomem(err, err_len);
	if (n > 0) {
		l.nodes = calloc(n, sizeof(*l.nodes));
		if (l.nodes == NULL) {
			free(list);
			return nomem(err, err_len);
		}
	}
	for (size_t i = 0; i < n; i++) {
		unsigned index;
		const char *rest;
		char key[128];
		uint32_t node_id, dc_id;

		if (!parse_node_key(list[i]->key, &index, &rest))
			continue;
		if (strcmp(rest, "ring0_addr") != 0 && strcmp(rest, "name") != 0)
			continue;

		snprintf(key, sizeof(key), KEY_NODELIST_PREFIX "%u.nodeid", index);
		const struct qdevice_cmap_entry *id_entry = qdevice_cmap_find(cmap, key);
		if (id_entry != NULL && id_entry->type != QDEVICE_CMAP_U32) {
			/* Present but not a u32: the getter fails with something else than "not exist". */
			free(list);
			qdevice_node_list_destroy(&l);
			return fail(err, err_len, "%s: invalid type (must be a u32 node id)", key);
		}
		if (id_entry != NULL) {
			node_id = (uint32_t)id_entry->u;
		} else {
			snprintf(key, sizeof(key), KEY_NODELIST_PREFIX "%u.ring0_addr", index);
			if (qdevice_cmap_get_string(cmap, key, &str) != 0) {
				free(list);
				qdevice_node_list_destroy(&l);
				return fail(err, err_len,
					    KEY_NODELIST_PREFIX "%u: missing nodeid and ring0_addr (Cant find nodeid or ring0_addr "
					    "for a node. One of them needs to be defined for every node.)",
					    index);
			}
			/* An unresolvable address gives node id 0, not an error (as upstream). */
			if (resolve(env->resolve_ctx, str, &node_id) != 0)
				node_id = 0;
			else if (clear_high_bit)
				node_id &= 0x7FFFFFFFu;
		}
		snprintf(key, sizeof(key), KEY_NODELIST_PREFIX "%u.datacenterid", index);
		if (qdevice_cmap_get_u32(cmap, key, &dc_id) != 0)
			dc_id = 0;

		bool seen = false;
		for (size_t j = 0; j < l.count; j++)
			if (l.nodes[j].node_id == node_id)
				seen = true;
		if (seen)
			continue;
		l.nodes[l.count].node_id = node_id;
		l.nodes[l.count].data_center_id = dc_id;
		l.count++;
	}
	free(list);
	if (l.count == 0) {
		qdevice_node_list_destroy(&l);
		return fail(err, err_len,
			    "nodelist.node: no nodes (No configured nodes found - configuration without node list is not supported)");
	}
	l.config_version_set = qdevice_cmap_get_u64(cmap, KEY_CONFIG_VERSION, &l.config_version) == 0;
	*out = l;
	return 0;
}

/* ---- net model (doc/qdevice-state-machine.md §3.1) ---- */

static int dup_string(char **field, const char *value, char *err, size_t err_len)
{
	*field = strdup(value);
	return *field == NULL ? nomem(err, err_len) : 0;
}

static int read_net(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env, struct qdevice_config *cfg,
		    char *err, size_t err_len)
{
	const struct qdevice_settings *s = env->settings;
	struct qdevice_net_config *net = &cfg->net;
	const char *str;
	long long ll;
	bool b;

	net->tls = PROTO_TLS_SUPPORTED;
	if (qdevice_cmap_get_string(cmap, KEY_NET_TLS, &str) == 0) {
		if (strcasecmp(str, "required") == 0)
			net->tls = PROTO_TLS_REQUIRED;
		else if (parse_bool(str, &b) == 0)
			net->tls = b ? PROTO_TLS_SUPPORTED : PROTO_TLS_UNSUPPORTED;
		else
			return fail(err, err_len, "%s: invalid value '%s' (quorum.device.net.tls value is not valid.)",
				    KEY_NET_TLS, str);
	}

	if (qdevice_cmap_get_string(cmap, KEY_NET_HOST, &str) != 0)
		return fail(err, err_len,
			    "%s: missing (Qdevice net daemon address is not defined (quorum.device.net.host))", KEY_NET_HOST);
	if (dup_string(&net->host, str, err, err_len) != 0)
		return -1;

	net->port = QDEVICE_DEFAULT_NET_PORT;
	if (qdevice_cmap_get_string(cmap, KEY_NET_PORT, &str) == 0) {
		if (parse_ll(str, 1, 65535, &ll) != 0)
			return fail(err, err_len, "%s: invalid value '%s' (quorum.device.net.port must be in range 1-65535)",
				    KEY_NET_PORT, str);
		net->port = (uint16_t)ll;
	}

	if (qdevice_cmap_get_string(cmap, KEY_CLUSTER_NAME, &str) != 0)
		return fail(err, err_len, "%s: missing (Cluster name (totem.cluster_name) has to be defined.)",
			    KEY_CLUSTER_NAME);
	if (dup_string(&net->cluster_name, str, err, err_len) != 0)
		return -1;

	/* As upstream: float multiply, truncate to u32; only the heartbeat is clamped. */
	uint32_t hb = (uint32_t)(cfg->timeout * 0.8);
	if (hb < s->net_heartbeat_interval_min) {
		logf_env(env, LOG_WARNING, "Heartbeat interval too small %u. Adjusting to %u.", hb,
			 s->net_heartbeat_interval_min);
		hb = s->net_heartbeat_interval_min;
	} else if (hb > s->net_heartbeat_interval_max) {
		logf_env(env, LOG_WARNING, "Heartbeat interval too big %u. Adjusting to %u.", hb,
			 s->net_heartbeat_interval_max);
		hb = s->net_heartbeat_interval_max;
	}
	net->heartbeat_interval = hb;
	net->sync_heartbeat_interval = (uint32_t)(cfg->sync_timeout * 0.8);
	net->cast_vote_timer_interval = (uint32_t)(cfg->timeout * 0.5);

	net->algorithm = PROTO_ALGO_FFSPLIT;
	if (qdevice_cmap_get_string(cmap, KEY_NET_ALGORITHM, &str) == 0) {
		if (strcmp(str, "ffsplit") == 0) {
			net->algorithm = PROTO_ALGO_FFSPLIT;
		} else if (strcmp(str, "lms") == 0) {
			net->algorithm = PROTO_ALGO_LMS;
		} else if (strcmp(str, "2nodelms") == 0) {
			net->algorithm = PROTO_ALGO_2NODELMS;
		} else if (strcmp(str, "test") == 0) {
			if (!s->net_test_algorithm_enabled)
				return fail(err, err_len,
					    "%s: invalid value '%s' (Test algorithm is not enabled. You can force enable it by "
					    "passing -S net_test_algorithm_enabled=on to %s command)",
					    KEY_NET_ALGORITHM, str, QDEVICE_PROGRAM_NAME);
			net->algorithm = PROTO_ALGO_TEST;
		} else {
			return fail(err, err_len, "%s: invalid value '%s' (Unknown decision algorithm %s)", KEY_NET_ALGORITHM,
				    str, str);
		}
	}

	net->tie_breaker_mode = PROTO_TIE_BREAKER_LOWEST;
	if (qdevice_cmap_get_string(cmap, KEY_NET_TIE_BREAKER, &str) == 0) {
		if (strcmp(str, "lowest") == 0) {
			net->tie_breaker_mode = PROTO_TIE_BREAKER_LOWEST;
		} else if (strcmp(str, "highest") == 0) {
			net->tie_breaker_mode = PROTO_TIE_BREAKER_HIGHEST;
		} else if (parse_ll(str, 1, UINT32_MAX, &ll) == 0) {
			net->tie_breaker_mode = PROTO_TIE_BREAKER_NODE_ID;
			net->tie_breaker_node_id = (uint32_t)ll;
		} else {
			return fail(err, err_len, "%s: invalid value '%s' (tie_breaker must be lowest|highest|valid_node_id)",
				    KEY_NET_TIE_BREAKER, str);
		}
	}

	net->connect_timeout = hb;
	if (qdevice_cmap_get_string(cmap, KEY_NET_CONNECT_TIMEOUT, &str) == 0) {
		if (parse_ll(str, s->net_min_connect_timeout, s->net_max_connect_timeout, &ll) != 0)
			return fail(err, err_len, "%s: invalid value '%s' (connect_timeout must be valid number in range <%u,%u>)",
				    KEY_NET_CONNECT_TIMEOUT, str, s->net_min_connect_timeout, s->net_max_connect_timeout);
		net->connect_timeout = (uint32_t)ll;
		net->connect_timeout_set = true;
	}

	net->force_ip_version = 0;
	if (qdevice_cmap_get_string(cmap, KEY_NET_FORCE_IP, &str) == 0) {
		if (parse_ll(str, 0, 6, &ll) != 0 || (ll != 0 && ll != 4 && ll != 6))
			return fail(err, err_len, "%s: invalid value '%s' (force_ip_version must be one of 0|4|6)",
				    KEY_NET_FORCE_IP, str);
		net->force_ip_version = (int)ll;
	}

	net->keep_active_partition_tie_breaker = true;
	if (qdevice_cmap_get_string(cmap, KEY_NET_KAP, &str) == 0) {
		if (parse_bool(str, &b) != 0)
			return fail(err, err_len,
				    "%s: invalid value '%s' (quorum.device.net.keep_active_partition_tie_breaker value is not valid.)",
				    KEY_NET_KAP, str);
		net->keep_active_partition_tie_breaker = b;
	}
	return 0;
}

/* ---- algorithm init checks (doc/qdevice-state-machine.md §12) ---- */

int qdevice_config_ffsplit_check_device_votes(const struct qdevice_cmap *cmap, char *err, size_t err_len)
{
	uint32_t votes;

	if (qdevice_cmap_get_u32(cmap, KEY_VOTES, &votes) != 0)
		return fail(err, err_len,
			    "%s: missing (50:50 split algorithm works only if quorum.device.votes configuration key is set to 1!)",
			    KEY_VOTES);
	if (votes != 1)
		return fail(err, err_len,
			    "%s: invalid value '%u' (50:50 split algorithm works only if quorum.device.votes configuration key "
			    "is set to 1!)",
			    KEY_VOTES, votes);
	return 0;
}

int qdevice_config_ffsplit_check_node_votes(const struct qdevice_node_list *nodes, qdevice_config_votes_fn getinfo,
					    void *ctx, char *err, size_t err_len)
{
	for (size_t i = 0; i < nodes->count; i++) {
		uint32_t id = nodes->nodes[i].node_id, node_votes = 0, qdevice_votes = 0;
		int rc = getinfo(ctx, id, &node_votes, &qdevice_votes);
		if (rc == 1)
			continue;
		if (rc != 0)
			return fail(err, err_len, "node %u: can't get votequorum information", id);
		if (node_votes != 1)
			return fail(err, err_len,
				    "node %u: votes %u (50:50 split algorithm works only if all nodes have exactly 1 vote. "
				    "Node %u has %u votes!)",
				    id, node_votes, id, node_votes);
		if (qdevice_votes != 1)
			return fail(err, err_len,
				    "node %u: qdevice votes %u (50:50 split algorithm works only if qdevice has exactly 1 vote. "
				    "Node %u has %u votes!)",
				    id, qdevice_votes, id, qdevice_votes);
	}
	return 0;
}

uint32_t qdevice_config_reconnect_delay(const struct qdevice_config *cfg, long random_value)
{
	int modulus = (int)(cfg->net.cast_vote_timer_interval * 0.9);

	/* Upstream would divide by zero here (quirk 10); no delay is the only sane reading. */
	if (modulus <= 0 || random_value < 0)
		return 0;
	return (uint32_t)(random_value % modulus);
}

/* ---- the whole configuration ---- */

void qdevice_config_destroy(struct qdevice_config *cfg)
{
	qdevice_heuristics_config_destroy(&cfg->heuristics);
	qdevice_node_list_destroy(&cfg->node_list);
	free(cfg->net.host);
	free(cfg->net.cluster_name);
	memset(cfg, 0, sizeof(*cfg));
}

static int read_all(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env, struct qdevice_config *cfg,
		    char *err, size_t err_len)
{
	const char *str;
	uint8_t u8;

	/* Step 10: base configuration. */
	if (qdevice_cmap_get_string(cmap, KEY_MODEL, &str) != 0)
		return fail(err, err_len, "%s: missing (Can't read quorum.device.model cmap key.)", KEY_MODEL);
	if (strcmp(str, "net") != 0)
		return fail(err, err_len, "%s: invalid value '%s' (Configured device model %s is not supported.)", KEY_MODEL,
			    str, str);
	cfg->model = QDEVICE_MODEL_NET;
	if (qdevice_cmap_get_u32(cmap, KEY_NODE_ID, &cfg->node_id) != 0)
		return fail(err, err_len, "%s: missing (Unable to retrieve this node nodeid.)", KEY_NODE_ID);
	if (qdevice_cmap_get_u32(cmap, KEY_TIMEOUT, &cfg->timeout) != 0)
		cfg->timeout = DEFAULT_TIMEOUT;
	if (qdevice_cmap_get_u32(cmap, KEY_SYNC_TIMEOUT, &cfg->sync_timeout) != 0)
		cfg->sync_timeout = DEFAULT_SYNC_TIMEOUT;
	cfg->votes_set = qdevice_cmap_get_u32(cmap, KEY_VOTES, &cfg->votes) == 0;
	if (qdevice_config_read_heuristics(cmap, env, cfg->timeout, cfg->sync_timeout, &cfg->heuristics, err,
					   err_len) != 0)
		return -1;

	/* Step 11: master_wins; "model" means off for model net. */
	cfg->master_wins = env->settings->master_wins == QDEVICE_MASTER_WINS_FORCE_ON;

	/* Step 12: node list. */
	if (qdevice_config_read_node_list(cmap, env, &cfg->node_list, err, err_len) != 0)
		return -1;

	/* Step 13: model net, then the algorithm's init. */
	if (read_net(cmap, env, cfg, err, err_len) != 0)
		return -1;
	if (cfg->net.algorithm == PROTO_ALGO_FFSPLIT &&
	    qdevice_config_ffsplit_check_device_votes(cmap, err, err_len) != 0)
		return -1;
	cfg->wait_for_all = qdevice_cmap_get_u8(cmap, KEY_WAIT_FOR_ALL, &u8) == 0 && u8 != 0;
	return 0;
}

int qdevice_config_read(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
			struct qdevice_config *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (err_len > 0)
		err[0] = '\0';
	if (read_all(cmap, env, out, err, err_len) != 0) {
		qdevice_config_destroy(out);
		return -1;
	}
	return 0;
}

/* ---- logging (man/corosync-qdevice.8: logging.debug) ---- */

static void read_debug_key(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env, const char *key,
			   const char *invalid_text, bool *debug)
{
	const char *str;
	bool b;

	if (qdevice_cmap_get_string(cmap, key, &str) != 0)
		return;
	if (strcasecmp(str, "trace") == 0)
		*debug = true;
	else if (parse_bool(str, &b) == 0)
		*debug = b;
	else
		logf_env(env, LOG_WARNING, "%s", invalid_text);
}

bool qdevice_config_read_debug(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env)
{
	bool debug = false;

	read_debug_key(cmap, env, KEY_LOGGING_DEBUG, "logging.debug value is not valid", &debug);
	read_debug_key(cmap, env, KEY_LOGGING_QDEVICE_DEBUG, "logging.logger_subsys.QDEVICE.debug value is not valid.",
		       &debug);
	return debug;
}

/* ---- run-time tracking (doc/qdevice-state-machine.md §3.2) ---- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void qdevice_config_track_init(struct qdevice_track_state *st, const struct qdevice_cmap *cmap)
{
	uint8_t reload = 0;
	st->reload_in_progress = qdevice_cmap_get_u8(cmap, KEY_RELOAD, &reload) == 0 && reload == 1;
}

unsigned qdevice_config_track_notify(struct qdevice_track_state *st, const char *key, const uint8_t *new_u8)
{
	unsigned events = 0;

	if (strcmp(key, KEY_RELOAD) == 0 && new_u8 != NULL) {
		if (*new_u8 == 1) {
			st->reload_in_progress = true;
			return 0;
		}
		st->reload_in_progress = false;
		return QDEVICE_TRACK_NODE_LIST | QDEVICE_TRACK_LOGGING | QDEVICE_TRACK_HEURISTICS;
	}
	if (st->reload_in_progress)
		return 0;
	if (has_prefix(key, "nodelist."))
		events |= QDEVICE_TRACK_NODE_LIST;
	if (has_prefix(key, "logging."))
		events |= QDEVICE_TRACK_LOGGING;
	if (has_prefix(key, "quorum.device.heuristics."))
		events |= QDEVICE_TRACK_HEURISTICS;
	return events;
}

static bool node_in(const struct qdevice_node_list *l, const struct qdevice_config_node *n)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->nodes[i].node_id == n->node_id && l->nodes[i].data_center_id == n->data_center_id)
			return true;
	return false;
}

bool qdevice_node_list_equal(const struct qdevice_node_list *a, const struct qdevice_node_list *b)
{
	/* Node ids are unique within a list, so equal sizes plus inclusion is set equality. */
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!node_in(b, &a->nodes[i]))
			return false;
	return true;
}

static size_t effective_exec_count(const struct qdevice_heuristics_config *h)
{
	return h->mode == QDEVICE_HEURISTICS_MODE_OFF ? 0 : h->exec_count;
}

static bool exec_in(const struct qdevice_heuristics_config *h, const struct qdevice_heuristics_exec *x)
{
	for (size_t i = 0; i < h->exec_count; i++)
		if (strcmp(h->execs[i].name, x->name) == 0 && strcmp(h->execs[i].command, x->command) == 0)
			return true;
	return false;
}

bool qdevice_heuristics_execs_equal(const struct qdevice_heuristics_config *a,
				    const struct qdevice_heuristics_config *b)
{
	size_t n = effective_exec_count(a);

	/* Exec names are unique (they are cmap keys), so size plus inclusion is set equality. */
	if (n != effective_exec_count(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!exec_in(b, &a->execs[i]))
			return false;
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool start_only_equal(const struct qdevice_config *a, const struct qdevice_config *b)
{
	const struct qdevice_net_config *x = &a->net, *y = &b->net;

	return a->model == b->model && a->node_id == b->node_id && a->timeout == b->timeout &&
	       a->sync_timeout == b->sync_timeout && a->votes_set == b->votes_set && a->votes == b->votes &&
	       a->master_wins == b->master_wins && a->wait_for_all == b->wait_for_all && str_eq(x->host, y->host) &&
	       x->port == y->port && x->tls == y->tls && str_eq(x->cluster_name, y->cluster_name) &&
	       x->algorithm == y->algorithm && x->tie_breaker_mode == y->tie_breaker_mode &&
	       x->tie_breaker_node_id == y->tie_breaker_node_id && x->connect_timeout == y->connect_timeout &&
	       x->force_ip_version == y->force_ip_version &&
	       x->keep_active_partition_tie_breaker == y->keep_active_partition_tie_breaker;
}

unsigned qdevice_config_classify_change(const struct qdevice_config *old_cfg, bool old_debug,
					const struct qdevice_config *new_cfg, bool new_debug, unsigned events)
{
	unsigned change = 0;

	if ((events & QDEVICE_TRACK_LOGGING) && old_debug != new_debug)
		change |= QDEVICE_CHANGE_DEBUG;
	if ((events & QDEVICE_TRACK_NODE_LIST) && !qdevice_node_list_equal(&old_cfg->node_list, &new_cfg->node_list))
		change |= QDEVICE_CHANGE_NODE_LIST;
	if (events & QDEVICE_TRACK_HEURISTICS) {
		change |= QDEVICE_CHANGE_HEURISTICS;
		if (!qdevice_heuristics_execs_equal(&old_cfg->heuristics, &new_cfg->heuristics))
			change |= QDEVICE_CHANGE_HEURISTICS_EXECS;
	}
	if (!start_only_equal(old_cfg, new_cfg))
		change |= QDEVICE_CHANGE_NEEDS_RESTART;
	return change;
}
