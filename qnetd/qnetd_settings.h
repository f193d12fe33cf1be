/* corosync-qnetd's configuration: command-line flags and -S settings, parsed and validated (man/corosync-qnetd.8). */
#ifndef QD_QNETD_SETTINGS_H
#define QD_QNETD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QNETD_DEFAULT_PORT 5403
#define QNETD_DEFAULT_NSS_DB_DIR "/etc/corosync/qnetd/nssdb"
#define QNETD_DEFAULT_CERT_NICKNAME "QNetd Cert"
#define QNETD_DEFAULT_LOCK_FILE "/var/run/corosync-qnetd/corosync-qnetd.pid"
#define QNETD_DEFAULT_LOCAL_SOCKET "/var/run/corosync-qnetd/corosync-qnetd.sock"
/* Heartbeat assumed before INIT, and the timer limit (doc/protocol.md §8); neither is configurable. */
#define QNETD_PRE_INIT_HEARTBEAT_MS 120000u
#define QNETD_TIMER_MAX_MS 18000000u
#define QNETD_DEFAULT_INIT_TIMEOUT_MS 60000u
/*
 * corosync's membership holds at most 384 processors (PROCESSOR_COUNT_MAX): no honest node list
 * and no honest cluster is larger (doc/hardening.md §7.1).
 */
#define QNETD_MAX_NODES_PER_LIST 384u
#define QNETD_MAX_CLIENTS_PER_CLUSTER 384u
#define QNETD_DEFAULT_MAX_CLIENTS_PER_ADDRESS 256
/*
 * Evaluation requests (node lists, ask-for-vote, heuristics changes) one connection may send: a
 * burst of this many, then this many a second. Over three times what an honest qdevice can send
 * even if corosync re-formed its ring every 50 ms (doc/hardening.md §7.3); the rest wait and coalesce.
 */
#define QNETD_REQUESTS_PER_S 200u
#define QNETD_REQUESTS_BURST 200u
/*
 * Work one pass of the event loop spends on evaluations before the rest waits for a later pass, in
 * the units of qnetd_cluster_work: clients plus configured and member entries of the cluster
 * evaluated, a few ns each (doc/hardening.md §7.4). At least one evaluation runs in every pass.
 */
#define QNETD_PASS_WORK_BUDGET 50000u

enum qnetd_address_family { QNETD_AF_UNSPEC, QNETD_AF_INET, QNETD_AF_INET6 };

struct qnetd_settings {
	enum qnetd_address_family family;
	int debug_level;                    /* number of -d */
	bool foreground;
	char *listen_addr;                  /* NULL = wildcard */
	uint16_t port;
	uint8_t tls;                        /* enum proto_tls_supported */
	bool client_cert_required;
	long long max_clients;              /* 0 = unlimited */

	int listen_backlog;
	bool listen_backlog_set;            /* unset: a large backlog instead of upstream's 10 */
	long long max_client_send_buffers;
	long long max_client_send_size;
	long long max_client_receive_size;
	char *nss_db_dir;
	char *cert_nickname;
	uint32_t heartbeat_interval_min;
	uint32_t heartbeat_interval_max;
	bool dpd_enabled;
	double dpd_interval_coefficient;
	char *lock_file;
	char *local_socket_file;
	bool local_socket_umask_set;
	mode_t local_socket_umask;
	bool local_socket_gid_set;
	gid_t local_socket_gid;
	int local_socket_backlog;
	long long ipc_max_clients;
	long long ipc_max_receive_size;
	long long ipc_max_send_size;
	bool keep_active_partition_tie_breaker;
	/* Ours, not upstream's (doc/hardening.md): bounds on what a client that never authenticates costs. */
	uint32_t init_timeout;              /* ms from accept to INIT accepted; 0 = none */
	long long max_clients_per_address;  /* 0 = unlimited */
	/* The HTTP listener for /metrics and /healthz (doc/monitoring.md §6); off when metrics_addr is empty. */
	char metrics_addr[46];              /* numeric IPv4 or IPv6 address */
	uint16_t metrics_port;
};

/*
 * metrics_listen's value: "PORT" (loopback, 127.0.0.1), "IPV4:PORT" or "[IPV6]:PORT", numeric
 * addresses only (no name lookups at start-up). 0, or -1 when the value is not one of these.
 */
int qnetd_settings_parse_listen(const char *value, char addr[46], uint16_t *port);

enum qnetd_args_result {
	QNETD_ARGS_RUN = 0,     /* start the daemon */
	QNETD_ARGS_USAGE,       /* -h or a bad flag: print usage, exit 1 */
	QNETD_ARGS_VERSION,     /* -v: print version, exit 1 */
	QNETD_ARGS_ERROR,       /* bad value: print err, exit 1 */
};

void qnetd_settings_init(struct qnetd_settings *s);
void qnetd_settings_destroy(struct qnetd_settings *s);
/* Parses argv (getopt); on QNETD_ARGS_ERROR `err` says what is wrong, naming the option. */
enum qnetd_args_result qnetd_settings_parse_args(struct qnetd_settings *s, int argc, char **argv,
						 char *err, size_t err_len);
/*
 * Applies one -S argument ("key=value,key=value"). Returns 0, or -1 with err
 * naming the key; *warning is set for accepted-but-ignored keys.
 */
int qnetd_settings_apply_advanced(struct qnetd_settings *s, const char *arg, char *err, size_t err_len,
				  char *warning, size_t warning_len);

#endif
