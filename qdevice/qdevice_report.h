/* corosync-qdevice-tool's status text (man/corosync-qdevice-tool.8), byte-exact, from a plain snapshot of the daemon's state. */
#ifndef QD_QDEVICE_REPORT_H
#define QD_QDEVICE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "qdevice_config.h"
#include "qdevice_heuristics_cmd.h"
#include "qdevice_net.h"
#include "proto.h"
#include "strbuf.h"

/* One entry of votequorum's quorum node list, as the callback delivered it. */
struct qdevice_status_quorum_node {
	uint32_t node_id;       /* 0: slot not used; not printed but its index is counted */
	uint8_t state;          /* enum proto_node_state */
};

/*
 * Everything the status text shows. Pointers are borrowed: they must stay valid only while the
 * formatter runs (the daemon fills this from its live state right before formatting).
 */
struct qdevice_status {
	/* ---- generic section ---- */
	uint32_t node_id;
	uint32_t timeout;                       /* quorum.device.timeout: "HB interval" */
	uint32_t sync_timeout;                  /* quorum.device.sync_timeout: "Sync HB interval" */
	bool config_version_set;
	uint64_t config_version;
	const struct qdevice_config_node *config_nodes;
	size_t config_node_count;
	enum qdevice_heuristics_mode heuristics_mode;
	struct proto_ring_id ring_id;           /* of the last votequorum node list */
	const uint32_t *members;                /* membership, votequorum order */
	size_t member_count;
	bool quorate;
	const struct qdevice_status_quorum_node *quorum_nodes;
	size_t quorum_node_count;
	uint32_t expected_votes;
	bool last_poll_set;                     /* false: "Never" */
	time_t last_poll_time;
	bool last_poll_cast;                    /* that poll cast the vote */

	/* ---- net section ---- */
	const char *cluster_name;
	const char *host;                       /* as configured */
	uint16_t port;
	int force_ip_version;                   /* 0, 4 or 6 */
	uint32_t connect_timeout;
	uint32_t heartbeat_interval;            /* net heartbeat (0.8 x timeout, clamped) */
	uint32_t cast_vote_timer_interval;
	uint8_t tls;                            /* enum proto_tls_supported, as configured */
	uint16_t algorithm;                     /* enum proto_algorithm */
	struct proto_tie_breaker tie_breaker;
	bool kap_tie_breaker;                   /* quorum.device.net.keep_active_partition_tie_breaker */
	bool server_supports_kap;               /* the server listed option 23 (meaningful when connected) */
	bool poll_timer_running;                /* cast-vote timer armed */
	uint8_t vote;                           /* enum proto_vote the timer casts */
	enum qdevice_net_link state;
	enum qdevice_heuristics_result heuristics_result;       /* latest overall */
	enum qdevice_heuristics_result heuristics_regular;
	enum qdevice_heuristics_result heuristics_membership;
	enum qdevice_heuristics_result heuristics_connect;
	/* JSON only: each command's outcome in the last decided run (borrowed). */
	const struct qdevice_heuristics_exec_outcome *heuristics_outcomes;
	size_t heuristics_outcome_count;
	bool tls_active;
	bool client_cert_sent;
	bool connected_since_set;
	time_t connected_since;
	bool echo_reply_set;                    /* an echo reply has been received */
	time_t echo_reply_time;
	bool echo_rtt_set;                      /* JSON only: the latest echo round trip */
	uint64_t echo_rtt_ms;

	/* ---- only in the JSON status (qdevice_status_json.h) ---- */
	const char *version;
	int64_t started_unix_ms;
	int64_t now_unix_ms;
	bool device_votes_set;                  /* votequorum said how many votes the device has */
	uint32_t device_votes;
	const struct qdevice_net_counters *counters;    /* NULL: none kept */
};

/* Zeroes s: never polled, disconnected, nothing known (a base for the daemon and the tests). */
void qdevice_status_init(struct qdevice_status *s);

/*
 * Appends the status text (generic section, blank line, net section) to out; verbose adds the lines
 * upstream prints only with -v. Times are local time. Errors (size limit, memory) leave out->failed
 * set.
 */
void qdevice_report_status(struct strbuf *out, const struct qdevice_status *s, bool verbose);

/* "Disconnected", "Connected", "Connecting", "Connect failed". */
const char *qdevice_status_state_str(enum qdevice_net_link state);

/*
 * The one line "systemctl status corosync-qdevice" shows (STATUS=): the connection, qnetd's vote,
 * whether this node casts it and with how many votes. Always NUL-terminated, cut to len.
 */
void qdevice_report_status_line(const struct qdevice_status *s, char *buf, size_t len);

#endif
