/* The server side of a client connection: framing, the TLS gate, every message handler (doc/protocol.md §6-§8); no sockets. */
#ifndef QD_QNETD_CONN_H
#define QD_QNETD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qnetd_algo.h"
#include "qnetd_cluster.h"
#include "frame.h"
#include "qnetd_cluster_map.h"
#include "qnetd_deferred.h"
#include "qnetd_sched.h"
#include "qnetd_settings.h"
#include "ratelimit.h"
#include "token_bucket.h"

struct qnetd_conn;

/*
 * What the session needs from its transport. The daemon implements these
 * over sockets, OpenSSL (trust decisions from NSS) and the event loop; tests and the session fuzzer
 * implement them in memory.
 */
struct qnetd_session_ops {
	/* Queues one complete message (copied); returns 0, or -1 when the send queue is full. */
	int (*send)(void *ctx, struct qnetd_conn *conn, const uint8_t *buf, size_t len);
	/* Makes the connection a TLS server from the next byte on; returns 0 or -1. */
	int (*start_tls)(void *ctx, struct qnetd_conn *conn);
	/* Returns 0 when the peer's certificate is valid for this host name (the cluster name). */
	int (*verify_client_cert)(void *ctx, struct qnetd_conn *conn, const uint8_t *name, size_t name_len);
	/* (Re)starts the dead-peer timer with conn->dpd_interval_ms. */
	void (*dpd_restart)(void *ctx, struct qnetd_conn *conn);
	/* The client's algorithm timer (LMS). */
	void (*algo_timer_start)(void *ctx, struct qnetd_conn *conn, uint32_t interval_ms);
	void (*algo_timer_stop)(void *ctx, struct qnetd_conn *conn);
	/* Milliseconds on a monotonic clock, for rate-limiting log lines about refused input. */
	uint64_t (*now_ms)(void *ctx);
	/*
	 * conn was just scheduled for disconnect, maybe while another connection's event was being
	 * handled (a vote pushed to it did not fit its send queue): the transport closes it before it
	 * waits again instead of at its next event.
	 */
	void (*disconnect_scheduled)(void *ctx, struct qnetd_conn *conn);
	/*
	 * Calls qnetd_conn_rate_timer(conn) once, ms milliseconds from now: the connection's next
	 * request may run then (doc/hardening.md §7.3). Optional: without it (or without now_ms) there
	 * is no rate limit.
	 */
	void (*rate_timer_start)(void *ctx, struct qnetd_conn *conn, uint64_t ms);
};

/* Why a client certificate was refused (metrics label, JSON; doc/status-json.md §2). */
enum qnetd_cert_rejection {
	QNETD_CERT_MISSING = 0,             /* no certificate although one is required */
	QNETD_CERT_UNTRUSTED_ISSUER,        /* not issued by a CA the database trusts */
	QNETD_CERT_NOT_YET_VALID,
	QNETD_CERT_EXPIRED,
	QNETD_CERT_NAME_MISMATCH,           /* valid, but not for the cluster name of PREINIT */
	QNETD_CERT_OTHER,
};
#define QNETD_CERT_REJECTION_COUNT ((size_t)QNETD_CERT_OTHER + 1)
/* "missing", "untrusted_issuer", "not_yet_valid", "expired", "cluster_name_mismatch", "other". */
const char *qnetd_cert_rejection_id(enum qnetd_cert_rejection r);

/* Why a connection was closed (metrics label, JSON; doc/status-json.md §2). */
enum qnetd_close_reason {
	QNETD_CLOSE_OTHER = 0,
	QNETD_CLOSE_PEER_CLOSED,            /* the client closed it (end of stream) */
	QNETD_CLOSE_IO_ERROR,               /* a read or write on the socket failed */
	QNETD_CLOSE_TLS_ERROR,              /* handshake or record failure, certificates included */
	QNETD_CLOSE_CERT_REJECTED,          /* the client certificate does not match the cluster name */
	QNETD_CLOSE_DEAD_PEER,              /* silent for longer than its heartbeat allows */
	QNETD_CLOSE_INIT_TIMEOUT,           /* did not join within init_timeout */
	QNETD_CLOSE_PROTOCOL_ERROR,         /* a request the protocol does not allow in its state */
	QNETD_CLOSE_OVERLOAD,               /* send queue full, reply too large, out of memory */
	QNETD_CLOSE_SHUTDOWN,               /* the daemon is stopping */
};
#define QNETD_CLOSE_REASON_COUNT ((size_t)QNETD_CLOSE_SHUTDOWN + 1)
/* "other", "peer_closed", "io_error", "tls_error", "cert_rejected", "dead_peer", "init_timeout", "protocol_error", "overload", "shutdown". */
const char *qnetd_close_reason_id(enum qnetd_close_reason r);

/*
 * Why an INIT was refused (JSON init_refusals, doc/status-json.md §2): mostly the cluster's members
 * disagreeing with the newcomer, which is what two clusters sharing one name look like.
 */
enum qnetd_init_refusal {
	QNETD_INIT_REFUSAL_DUPLICATE_NODE_ID = 0, /* a member of the cluster has the same node id */
	QNETD_INIT_REFUSAL_ALGORITHM_DIFFERS,   /* the members use another decision algorithm */
	QNETD_INIT_REFUSAL_TIE_BREAKER_DIFFERS, /* the members use another tie-breaker */
	QNETD_INIT_REFUSAL_UNSUPPORTED_ALGORITHM,
	QNETD_INIT_REFUSAL_INVALID_HEARTBEAT,   /* outside the server's heartbeat limits */
	QNETD_INIT_REFUSAL_MISSING_OPTION,      /* node id, ring id, heartbeat, tie-breaker or algorithm left out */
	QNETD_INIT_REFUSAL_PREINIT_REQUIRED,    /* INIT before PREINIT */
	QNETD_INIT_REFUSAL_REPEATED,            /* a second INIT on a joined connection */
	QNETD_INIT_REFUSAL_CLUSTER_FULL,        /* QNETD_MAX_CLIENTS_PER_CLUSTER reached */
	QNETD_INIT_REFUSAL_OTHER,               /* out of memory, the algorithm's own refusal */
};
#define QNETD_INIT_REFUSAL_COUNT ((size_t)QNETD_INIT_REFUSAL_OTHER + 1)
/*
 * "duplicate_node_id", "algorithm_differs", "tie_breaker_differs", "unsupported_algorithm",
 * "invalid_heartbeat_interval", "missing_option", "preinit_required", "repeated_init", "cluster_full", "other".
 */
const char *qnetd_init_refusal_id(enum qnetd_init_refusal r);
/* The reason behind an INIT_REPLY error code (doc/protocol.md §6.4); QNETD_INIT_REFUSAL_OTHER for the rest. */
enum qnetd_init_refusal qnetd_init_refusal_from_error(uint16_t code);

/*
 * Decision latency: from a client's membership or quorum list, heuristics change or ask-for-vote to
 * the next vote the server sends it that settles it (ACK, NACK, or NO_CHANGE: the vote it has
 * stands), in milliseconds of the transport's clock, as a histogram with these upper bounds.
 */
#define QNETD_DECISION_BUCKETS 13
extern const uint32_t qnetd_decision_bucket_le_ms[QNETD_DECISION_BUCKETS];

#define QNETD_COUNTER_MINUTES 60
/* Events per minute over the last hour: slot minute % QNETD_COUNTER_MINUTES holds that minute's count. */
struct qnetd_minute_count {
	uint64_t minute;                    /* now_ms / 60000 of the slot */
	uint64_t count;
};
/* Cluster name bytes kept for the latest INIT refusal; longer names are cut. */
#define QNETD_INIT_REFUSAL_NAME_MAX 256

/* Totals since the daemon started (doc/status-json.md §2, metrics). */
struct qnetd_counters {
	uint64_t connections_accepted;
	uint64_t connections_closed;
	uint64_t connections_closed_by_reason[QNETD_CLOSE_REASON_COUNT];
	uint64_t clients_joined;            /* INIT accepted */
	/* Decisions: per bucket (not cumulative), the last slot for those above every bound. */
	uint64_t decision_buckets[QNETD_DECISION_BUCKETS + 1];
	uint64_t decisions;
	uint64_t decision_ms_sum;
	uint64_t cert_rejections[QNETD_CERT_REJECTION_COUNT];
	bool cert_rejected;                 /* last_cert_rejection_ms is meaningful */
	uint64_t last_cert_rejection_ms;    /* ops->now_ms */
	/* Certificate rejections per minute over the last hour, for "refused lately" (-C). */
	struct qnetd_minute_count cert_rejection_minutes[QNETD_COUNTER_MINUTES];
	/* INIT refusals by reason, the latest one, and per minute over the last hour (-D). */
	uint64_t init_refusals[QNETD_INIT_REFUSAL_COUNT];
	bool init_refused;                  /* the last_init_refusal fields are meaningful */
	uint64_t last_init_refusal_ms;      /* ops->now_ms */
	enum qnetd_init_refusal last_init_refusal;
	bool last_init_refusal_named;       /* the connection had sent its cluster name (PREINIT) */
	size_t last_init_refusal_name_len;
	uint8_t last_init_refusal_name[QNETD_INIT_REFUSAL_NAME_MAX];
	struct qnetd_minute_count init_refusal_minutes[QNETD_COUNTER_MINUTES];
	/* Evaluation requests that waited (doc/hardening.md §7.3, §7.4). */
	uint64_t deferred_requests;         /* did not run when they arrived, for any of the reasons below */
	uint64_t rate_limited_requests;     /* arrived, or came to run, while their connection was over its rate */
	uint64_t coalesced_requests;        /* superseded while waiting by a newer one of their kind: never evaluated */
	/* ACKs held back because a departed client's node may still count its vote (doc/algorithms.md §1.5). */
	uint64_t vote_holds;
};

/* Server-wide state shared by all sessions. */
struct qnetd_server {
	const struct qnetd_settings *settings;
	struct qnetd_cluster_map clusters;
	size_t conn_count;                  /* every connection, INIT or not */
	const struct qnetd_session_ops *ops;
	void *ctx;
	struct qnetd_algo_io algo_io;       /* bridges the algorithms to ops */
	bool going_down;
	/*
	 * Lines about refused input, rate-limited (doc/hardening.md §2.3): strangers (not joined) and
	 * members apart, so a flood from strangers cannot hide a member's trouble, and certificate
	 * failures apart, since they are the usual honest misconfiguration.
	 */
	struct ratelimit refused_strangers;
	struct ratelimit refused_members;
	struct ratelimit refused_certs;
	struct qnetd_counters counters;
	/* Connections whose requests wait for a later pass, in fair turns across clusters (doc/hardening.md §7.4). */
	struct qnetd_sched deferred;
	uint64_t pass_work;                 /* qnetd_cluster_work spent in this loop pass */
	uint64_t pass_work_budget;          /* QNETD_PASS_WORK_BUDGET (tests lower it) */
	uint32_t request_rate_per_s;        /* QNETD_REQUESTS_PER_S and _BURST (likewise) */
	uint32_t request_burst;
	size_t rate_limited_conns;          /* connections waiting for their rate limit now */
};

/*
 * How far a connection has come (doc/protocol.md §7.1). TLS and the client certificate are
 * properties beside it (a client may join without TLS when the server allows it), and so is a
 * scheduled disconnect, which can happen in any phase.
 */
enum qnetd_conn_phase {
	QNETD_CONN_NEW,         /* nothing handled yet: PREINIT expected */
	QNETD_CONN_GREETED,     /* PREINIT answered: STARTTLS or INIT next */
	QNETD_CONN_JOINED,      /* INIT accepted: a client of its cluster */
};

/* One client connection's protocol state; the transport owns the struct around it. */
struct qnetd_conn {
	struct qnetd_client client;         /* the algorithms' view; client.owner == this */
	char peer[64];                      /* "address:port" */
	void *transport;                    /* owned by the transport */
	struct qnetd_server *srv;           /* the server it was registered with; NULL in report fixtures */

	enum qnetd_conn_phase phase;
	bool tls_started;                   /* STARTTLS accepted: everything after it is TLS */
	bool cert_verified;                 /* the client certificate matched the cluster name */
	bool disconnect_scheduled;
	const char *disconnect_reason;
	enum qnetd_close_reason close_reason;
	bool decision_pending;              /* a change came in and no ACK or NACK has answered it yet */
	uint64_t decision_since_ms;

	/* Evaluation requests (doc/hardening.md §7.3): the budget, and what waits, in arrival order. */
	struct token_bucket requests;
	struct qnetd_deferred deferred;
	struct qnetd_sched_item sched;      /* in srv->deferred while its next request may run */
	bool awaiting_token;                /* its next request waits for ops->rate_timer_start's call */
	bool rate_logged;                   /* the first request over the rate has been logged */
	uint64_t rate_limited_requests;     /* its requests that waited for the rate limit */

	uint64_t connected_ms;              /* ops->now_ms at qnetd_conn_init (0 without a clock) */
	uint64_t last_message_ms;           /* ops->now_ms at the last complete message */

	uint8_t *cluster_name;              /* from PREINIT, byte-exact */
	size_t cluster_name_len;
	uint64_t dpd_interval_ms;

	struct frame_reader frame;          /* the message being read (common/frame.h) */
};

void qnetd_server_init(struct qnetd_server *srv, const struct qnetd_settings *settings,
		       const struct qnetd_session_ops *ops, void *ctx);
/* Frees what is left (clusters); every connection must have been disconnected first. */
void qnetd_server_destroy(struct qnetd_server *srv);

/* Registers a new connection from `peer`; the caller then arms the DPD timer if enabled. */
void qnetd_conn_init(struct qnetd_server *srv, struct qnetd_conn *conn, const char *peer);
/* How many bytes to read next: what completes the current header or message, never more. */
size_t qnetd_conn_want(const struct qnetd_conn *conn);
/*
 * Feeds bytes; complete messages are handled at once. Returns how many were
 * consumed: all of them, unless the connection is closing or a STARTTLS was
 * handled, after which the rest belongs to the TLS layer. A transport that
 * reads only qnetd_conn_want() bytes never reads past a STARTTLS.
 */
size_t qnetd_conn_input(struct qnetd_server *srv, struct qnetd_conn *conn, const uint8_t *data, size_t len);
/*
 * The client's algorithm timer fired (lms): runs the algorithm's hook, now or in a later pass like
 * any evaluation (doc/hardening.md §7.4); an error goes back as SERVER_ERROR.
 */
void qnetd_conn_algo_timer(struct qnetd_server *srv, struct qnetd_conn *conn);
/* ops->rate_timer_start's call: the connection's waiting request may run (in a later pass). */
void qnetd_conn_rate_timer(struct qnetd_server *srv, struct qnetd_conn *conn);
/* Its requests wait for the rate limit: the transport reads it slowly meanwhile (doc/hardening.md §7.3). */
static inline bool qnetd_conn_rate_limited(const struct qnetd_conn *conn)
{
	return conn->awaiting_token;
}
/* Requests of this connection waiting for a later pass or its rate limit. */
static inline size_t qnetd_conn_queued_requests(const struct qnetd_conn *conn)
{
	return qnetd_deferred_count(&conn->deferred);
}

/*
 * The loop's side of the work bound (doc/hardening.md §7.4): run_deferred runs waiting requests in
 * fair turns until this pass's budget is spent (at least one); pass_done, called once before the
 * loop waits, starts a new pass; the transport keeps the loop from sleeping while has_deferred.
 */
void qnetd_server_run_deferred(struct qnetd_server *srv);
void qnetd_server_pass_done(struct qnetd_server *srv);
static inline bool qnetd_server_has_deferred(const struct qnetd_server *srv)
{
	return !qnetd_sched_empty(&srv->deferred);
}
/* What the transport may ask of a connection; it changes one only through the functions here. */
static inline bool qnetd_conn_closing(const struct qnetd_conn *conn)
{
	return conn->disconnect_scheduled;
}
/* INIT accepted: the client has authenticated as far as the server asks (TLS and certificate when required). */
static inline bool qnetd_conn_joined(const struct qnetd_conn *conn)
{
	return conn->phase == QNETD_CONN_JOINED;
}
static inline const char *qnetd_conn_peer(const struct qnetd_conn *conn)
{
	return conn->peer;
}
/* How long the client may stay silent before it counts as dead (0: never). */
static inline uint64_t qnetd_conn_dpd_interval_ms(const struct qnetd_conn *conn)
{
	return conn->dpd_interval_ms;
}
/* The one line a closing connection logs: a member leaving at info level, anything else at debug. */
void qnetd_conn_log_close(const struct qnetd_conn *conn);
/* Asks the transport to close the connection after the current event. */
void qnetd_conn_schedule_disconnect(struct qnetd_conn *conn, enum qnetd_close_reason why, const char *reason);
/*
 * The disconnect procedure (the algorithm's hook first, doc/algorithms.md §1.4); leaves the struct for the
 * transport to free.
 */
void qnetd_conn_disconnect(struct qnetd_server *srv, struct qnetd_conn *conn);
void qnetd_conn_destroy(struct qnetd_conn *conn);

/* A client certificate was refused (by the TLS layer, or here for its name) at now_ms. */
void qnetd_server_note_cert_rejection(struct qnetd_server *srv, enum qnetd_cert_rejection r, uint64_t now_ms);
/* Counts one decision that took `ms` milliseconds. */
void qnetd_server_note_decision(struct qnetd_server *srv, uint64_t ms);
/* Certificate rejections in the 60 minutes up to now_ms (whole minutes). */
uint64_t qnetd_server_cert_rejections_last_hour(const struct qnetd_server *srv, uint64_t now_ms);
/* INIT refusals in the 60 minutes up to now_ms (whole minutes). */
uint64_t qnetd_server_init_refusals_last_hour(const struct qnetd_server *srv, uint64_t now_ms);

/* floor(coefficient x heartbeat), or 0 when outside the timer limits 1..18,000,000 ms. */
uint64_t qnetd_conn_dpd_interval(double coefficient, uint32_t heartbeat_ms);

#endif
