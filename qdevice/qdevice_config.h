/* corosync-qdevice's configuration from cmap, validated into a struct, and what run-time changes mean (doc/qdevice-state-machine.md §3). */
#ifndef QD_QDEVICE_CONFIG_H
#define QD_QDEVICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "qdevice_settings.h"

/* ---- A plain model of cmap: what the daemon copies out of libcmap, or what a test writes. ---- */

enum qdevice_cmap_type {
	QDEVICE_CMAP_STRING,
	QDEVICE_CMAP_U8,
	QDEVICE_CMAP_U16,
	QDEVICE_CMAP_U32,
	QDEVICE_CMAP_U64,
	QDEVICE_CMAP_I32,
};

struct qdevice_cmap_entry {
	const char *key;
	enum qdevice_cmap_type type;
	const char *str;        /* QDEVICE_CMAP_STRING */
	uint64_t u;             /* unsigned types */
	int64_t i;              /* QDEVICE_CMAP_I32 */
};

/* A borrowed array of entries in any order; keys are unique. */
struct qdevice_cmap {
	const struct qdevice_cmap_entry *entries;
	size_t count;
};

const struct qdevice_cmap_entry *qdevice_cmap_find(const struct qdevice_cmap *cmap, const char *key);
/*
 * Typed getters as libcmap's: 0 when the key exists with exactly that type, -1 otherwise
 * (absent or a type mismatch, which upstream handles like "absent").
 */
int qdevice_cmap_get_string(const struct qdevice_cmap *cmap, const char *key, const char **out);
int qdevice_cmap_get_u8(const struct qdevice_cmap *cmap, const char *key, uint8_t *out);
int qdevice_cmap_get_u32(const struct qdevice_cmap *cmap, const char *key, uint32_t *out);
int qdevice_cmap_get_u64(const struct qdevice_cmap *cmap, const char *key, uint64_t *out);

/* ---- The validated configuration. Strings are owned; qdevice_config_destroy frees them. ---- */

enum qdevice_model { QDEVICE_MODEL_NET = 0 };

enum qdevice_heuristics_mode {
	QDEVICE_HEURISTICS_MODE_OFF = 0,
	QDEVICE_HEURISTICS_MODE_ON,
	QDEVICE_HEURISTICS_MODE_SYNC,
};

struct qdevice_heuristics_exec {
	char *name;             /* the part of the key after "exec_" */
	char *command;          /* the value, unsplit (heuristics_cmd.h splits it) */
};

struct qdevice_heuristics_config {
	/* Effective mode: forced to OFF when no exec is valid or there are too many
	 * (doc/qdevice-state-machine.md §9.1). */
	enum qdevice_heuristics_mode mode;
	uint32_t timeout;       /* ms */
	uint32_t sync_timeout;  /* ms */
	uint32_t interval;      /* ms, regular runs in mode on */
	/* Valid exec_ entries in cmap's (lexicographic key) order, as read; the effective list the
	 * worker gets is empty whenever mode is off. */
	struct qdevice_heuristics_exec *execs;
	size_t exec_count;
};

struct qdevice_config_node {
	uint32_t node_id;
	uint32_t data_center_id;
};

struct qdevice_node_list {
	struct qdevice_config_node *nodes;      /* cmap order, duplicates dropped */
	size_t count;
	bool config_version_set;
	uint64_t config_version;                /* totem.config_version */
};

struct qdevice_net_config {
	char *host;
	uint16_t port;
	uint8_t tls;                            /* enum proto_tls_supported */
	char *cluster_name;                     /* totem.cluster_name */
	uint16_t algorithm;                     /* enum proto_algorithm */
	uint8_t tie_breaker_mode;               /* enum proto_tie_breaker_mode */
	uint32_t tie_breaker_node_id;           /* PROTO_TIE_BREAKER_NODE_ID only */
	bool connect_timeout_set;               /* quorum.device.net.connect_timeout was given */
	uint32_t connect_timeout;               /* effective: the key, or heartbeat_interval */
	int force_ip_version;                   /* 0, 4 or 6 */
	bool keep_active_partition_tie_breaker;
	/* Derived (doc/qdevice-state-machine.md §3.1): float multiply, then truncate to u32. */
	uint32_t heartbeat_interval;            /* timeout*0.8 clamped to the -S limits */
	uint32_t sync_heartbeat_interval;       /* sync_timeout*0.8; unused by upstream */
	uint32_t cast_vote_timer_interval;      /* timeout*0.5, not clamped */
};

struct qdevice_config {
	enum qdevice_model model;
	uint32_t node_id;                       /* runtime.votequorum.this_node_id */
	uint32_t timeout;                       /* quorum.device.timeout (the generic HB interval) */
	uint32_t sync_timeout;                  /* quorum.device.sync_timeout */
	bool votes_set;
	uint32_t votes;                         /* quorum.device.votes (u32) */
	bool master_wins;                       /* what to pass to votequorum_qdevice_master_wins */
	bool wait_for_all;                      /* quorum.wait_for_all (u8), read for lms */
	struct qdevice_heuristics_config heuristics;
	struct qdevice_node_list node_list;
	struct qdevice_net_config net;
};

/* ---- What the reader needs from outside. ---- */

/* Logs a non-fatal finding at a syslog priority (LOG_ERR/LOG_WARNING/LOG_INFO...). */
typedef void (*qdevice_config_log_fn)(void *ctx, int priority, const char *message);
/*
 * Resolves a ring0_addr to an IPv4 address in host byte order, as upstream does with
 * getaddrinfo(AF_INET, SOCK_DGRAM). Returns 0, or -1 when it does not resolve.
 */
typedef int (*qdevice_config_resolve_fn)(void *ctx, const char *addr, uint32_t *ipv4_host_order);

struct qdevice_config_env {
	const struct qdevice_settings *settings;        /* -S limits (required) */
	qdevice_config_resolve_fn resolve;              /* NULL: qdevice_config_resolve_ipv4 */
	void *resolve_ctx;
	qdevice_config_log_fn log;                      /* NULL: findings are dropped */
	void *log_ctx;
};

/* The default resolver: getaddrinfo, IPv4 only (may do DNS; the only impure function here). */
int qdevice_config_resolve_ipv4(void *ctx, const char *addr, uint32_t *ipv4_host_order);

/*
 * Reads and validates the whole configuration in upstream's order (base config, heuristics,
 * node list, net model, algorithm init), so the first error reported is upstream's first.
 * Returns 0, or -1 with err = "<key>: <what is wrong> (<upstream's text>)"; out is then empty.
 */
int qdevice_config_read(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
			struct qdevice_config *out, char *err, size_t err_len);
void qdevice_config_destroy(struct qdevice_config *cfg);

/*
 * The parts re-read at run time (doc/qdevice-state-machine.md §3.2). timeout/sync_timeout feed the
 * heuristics defaults.
 */
int qdevice_config_read_heuristics(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
				   uint32_t timeout, uint32_t sync_timeout, struct qdevice_heuristics_config *out,
				   char *err, size_t err_len);
void qdevice_heuristics_config_destroy(struct qdevice_heuristics_config *h);
int qdevice_config_read_node_list(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env,
				  struct qdevice_node_list *out, char *err, size_t err_len);
void qdevice_node_list_destroy(struct qdevice_node_list *l);

/*
 * Debug logging from cmap (man/corosync-qdevice.8): logging.debug, overridden by
 * logging.logger_subsys.QDEVICE.debug; bool words or "trace"; an invalid value is logged as a
 * warning and that key ignored. The -d flag overrides the result (caller's business).
 */
bool qdevice_config_read_debug(const struct qdevice_cmap *cmap, const struct qdevice_config_env *env);

/*
 * ffsplit's votes rule (doc/qdevice-state-machine.md §12), in two halves because they run at different times.
 *
 * The device half reads cmap: quorum.device.votes must be the u32 1. It runs once, at start-up
 * (qdevice_config_read does it for ffsplit).
 *
 * The node half asks votequorum: every configured node votequorum knows must have node votes 1
 * and qdevice votes 1. It runs at start-up and again whenever the expected votes or the
 * configuration node list change, from votequorum and cmap callbacks, which is why it must not
 * touch cmap (doc/corosync-calls.md). getinfo returns 0 with the votes, 1 when votequorum does not
 * know the node (skipped), -1 on another error (fails).
 *
 * Both return 0, or -1 with err naming the key or the node.
 */
typedef int (*qdevice_config_votes_fn)(void *ctx, uint32_t node_id, uint32_t *node_votes, uint32_t *qdevice_votes);
int qdevice_config_ffsplit_check_device_votes(const struct qdevice_cmap *cmap, char *err, size_t err_len);
int qdevice_config_ffsplit_check_node_votes(const struct qdevice_node_list *nodes, qdevice_config_votes_fn getinfo,
					    void *ctx, char *err, size_t err_len);

/*
 * Reconnect delay (doc/qdevice-state-machine.md §10.3): random_value % (int)(cast_vote_timer_interval * 0.9),
 * 0 when that is 0.
 */
uint32_t qdevice_config_reconnect_delay(const struct qdevice_config *cfg, long random_value);

/* ---- Run-time tracking (doc/qdevice-state-machine.md §3.2). ---- */

enum qdevice_track_event {
	QDEVICE_TRACK_NODE_LIST = 1u << 0,
	QDEVICE_TRACK_LOGGING = 1u << 1,
	QDEVICE_TRACK_HEURISTICS = 1u << 2,
};

struct qdevice_track_state {
	bool reload_in_progress;        /* config.totemconfig_reload_in_progress was 1 */
};

/*
 * The reload state before any notification: config.totemconfig_reload_in_progress as the
 * start-up copy of cmap has it (a daemon started during a reload waits for its end too).
 */
void qdevice_config_track_init(struct qdevice_track_state *st, const struct qdevice_cmap *cmap);
/*
 * One cmap track notification: key, and for config.totemconfig_reload_in_progress its new u8
 * value (new_value NULL when the new value is not a u8 or was deleted). Returns the events to
 * process (bits of enum qdevice_track_event), in the order logging, node list, heuristics.
 * Upstream asks cmap for the reload key on every notification; the state kept here from the
 * notifications themselves gives the same answer without a cmap request.
 */
unsigned qdevice_config_track_notify(struct qdevice_track_state *st, const char *key, const uint8_t *new_u8);

enum qdevice_change {
	QDEVICE_CHANGE_DEBUG = 1u << 0,            /* debug logging toggled */
	QDEVICE_CHANGE_NODE_LIST = 1u << 1,        /* model hook "node list changed": net sends the
	                                              config node list (CHANGED_CONFIG); store the new
	                                              list and config_version */
	QDEVICE_CHANGE_HEURISTICS = 1u << 2,       /* heuristics keys re-read: model hook (disconnect if
	                                              now enabled and the server lacks support, else
	                                              (re)arm or stop the regular timer) */
	QDEVICE_CHANGE_HEURISTICS_EXECS = 1u << 3, /* the effective exec list differs: resend it */
	QDEVICE_CHANGE_NEEDS_RESTART = 1u << 4,    /* keys read only at start differ; upstream ignores
	                                              them until restart (log at most) */
};

/* Order-insensitive list equality over (node id, data-center id); config_version is ignored. */
bool qdevice_node_list_equal(const struct qdevice_node_list *a, const struct qdevice_node_list *b);
/* Effective exec lists (empty when mode is off) equal as sets of (name, command). */
bool qdevice_heuristics_execs_equal(const struct qdevice_heuristics_config *a,
				    const struct qdevice_heuristics_config *b);
/*
 * What a run-time change means, given the config in force, the one just re-read and the events
 * the tracking reported. NODE_LIST, HEURISTICS_EXECS and DEBUG are decided only for the events present
 * (upstream re-reads only those parts); HEURISTICS is set for every heuristics event, changed or
 * not, because upstream runs its model hook each time. NEEDS_RESTART compares the start-only
 * fields: pass a fully re-read config to detect them, or a copy of the old one's to ignore them.
 * Returns bits of enum qdevice_change.
 */
unsigned qdevice_config_classify_change(const struct qdevice_config *old_cfg, bool old_debug,
					const struct qdevice_config *new_cfg, bool new_debug, unsigned events);

const char *qdevice_heuristics_mode_str(enum qdevice_heuristics_mode mode);

#endif
