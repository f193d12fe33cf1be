/* corosync-qdevice's configuration from its command line: flags and -S settings (man/corosync-qdevice.8). */
#ifndef QD_QDEVICE_SETTINGS_H
#define QD_QDEVICE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QDEVICE_PROGRAM_NAME "corosync-qdevice"
#define QDEVICE_USAGE "usage: corosync-qdevice [-dfh] [-S option=value[,option2=value2,...]]"
#define QDEVICE_GETOPT_STRING "dfhS:"
#define QDEVICE_DEFAULT_LOCK_FILE "/var/run/corosync-qdevice/corosync-qdevice.pid"
#define QDEVICE_DEFAULT_LOCAL_SOCKET "/var/run/corosync-qdevice/corosync-qdevice.sock"
#define QDEVICE_DEFAULT_VOTEQUORUM_DEVICE_NAME "Qdevice"
#define QDEVICE_DEFAULT_NET_NSS_DB_DIR "/etc/corosync/qdevice/net/nssdb"
#define QDEVICE_DEFAULT_NET_QNETD_CN "Qnetd Server"
#define QDEVICE_DEFAULT_NET_CLIENT_CERT_NICKNAME "Cluster Cert"
#define QDEVICE_DEFAULT_NET_PORT 5403

/* -S master_wins: "model" lets the model decide (net: off). */
enum qdevice_master_wins {
	QDEVICE_MASTER_WINS_MODEL = 0,
	QDEVICE_MASTER_WINS_FORCE_OFF,
	QDEVICE_MASTER_WINS_FORCE_ON,
};

struct qdevice_settings {
	int debug_level;                    /* number of -d; 2+ also bumps LOG_DEBUG to LOG_INFO in syslog */
	bool foreground;                    /* -f */

	char *lock_file;
	char *local_socket_file;            /* length checked when binding, not here (as upstream) */
	bool local_socket_umask_set;        /* [3.0.4+] */
	mode_t local_socket_umask;
	bool local_socket_gid_set;          /* [3.0.4+]; unset = -1 = no chown */
	gid_t local_socket_gid;
	int local_socket_backlog;
	int max_cs_try_again;
	char *votequorum_device_name;
	long long ipc_max_clients;          /* 0 = unlimited */
	long long ipc_max_receive_size;
	long long ipc_max_send_size;
	enum qdevice_master_wins master_wins;

	long long heuristics_ipc_max_send_buffers;
	long long heuristics_ipc_max_send_receive_size;
	uint32_t heuristics_min_timeout;
	uint32_t heuristics_max_timeout;
	uint32_t heuristics_min_interval;
	uint32_t heuristics_max_interval;
	long long heuristics_max_execs;
	bool heuristics_use_execvp;
	long long heuristics_max_processes;
	uint32_t heuristics_kill_list_interval;

	char *net_nss_db_dir;
	long long net_initial_msg_receive_size;
	long long net_initial_msg_send_size;
	long long net_min_msg_send_size;
	long long net_max_msg_receive_size;
	long long net_max_send_buffers;
	char *net_nss_qnetd_cn;
	char *net_nss_client_cert_nickname;
	uint32_t net_heartbeat_interval_min;
	uint32_t net_heartbeat_interval_max;
	uint32_t net_min_connect_timeout;
	uint32_t net_max_connect_timeout;
	bool net_test_algorithm_enabled;
};

enum qdevice_args_result {
	QDEVICE_ARGS_RUN = 0,   /* start the daemon */
	QDEVICE_ARGS_USAGE,     /* -h or a bad flag: print QDEVICE_USAGE on stdout, exit 1; for a bad
	                           flag err holds getopt's text ("invalid option -- 'x'") for stderr */
	QDEVICE_ARGS_ERROR,     /* bad -S item: print "corosync-qdevice: <err>" on stderr, exit 1 */
	QDEVICE_ARGS_NOMEM,     /* out of memory */
};

/* Fills every default; strings are owned by the struct and freed by qdevice_settings_destroy. */
void qdevice_settings_init(struct qdevice_settings *s);
void qdevice_settings_destroy(struct qdevice_settings *s);
/*
 * Parses argv with getopt (QDEVICE_GETOPT_STRING; getopt's own diagnostics are returned in err
 * instead of printed). Non-option arguments are ignored, as upstream does.
 */
enum qdevice_args_result qdevice_settings_parse_args(struct qdevice_settings *s, int argc, char **argv,
						     char *err, size_t err_len);
/*
 * Applies one -S argument ("name=value,name=value"). Returns 0, or -1 with err set to
 * upstream's text naming the option as given ("Unknown option 'x'" /
 * "Invalid value 'v' for option 'x'"). Processing stops silently at the first empty name.
 */
int qdevice_settings_apply_advanced(struct qdevice_settings *s, const char *arg, char *err, size_t err_len);

#endif
