/* corosync-qnetd-tool -D: the arbiter's checks, as plain decisions over facts the tool gathered (doc/diagnose.md). */
#ifndef QD_QNETD_DIAGNOSE_H
#define QD_QNETD_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "diag.h"

/* The checks, in their order; the ids are a stable interface. */
#define QNETD_DIAG_CHECKS 8

/* One file or directory as stat() saw it. */
struct qnetd_diag_file {
	bool exists;
	int err;                                /* stat's errno when it does not (ENOENT: absent) */
	mode_t mode;                            /* type and permission bits */
	uid_t uid;
	gid_t gid;
};

/* The files of an NSS database the checks look at. */
enum qnetd_diag_nssdb_file {
	QNETD_DIAG_CERT9_DB = 0,                /* the sql format: certificates and trust */
	QNETD_DIAG_KEY4_DB,                     /* the sql format: the server's private key */
	QNETD_DIAG_PKCS11_TXT,
	QNETD_DIAG_CERT8_DB,                    /* the old dbm format */
	QNETD_DIAG_KEY3_DB,
};
#define QNETD_DIAG_NSSDB_FILES 5
/* "cert9.db", "key4.db", "pkcs11.txt", "cert8.db", "key3.db". */
const char *qnetd_diag_nssdb_file_name(enum qnetd_diag_nssdb_file f);

#define QNETD_DIAG_MAX_GROUPS 32
/* The user corosync-qnetd runs (or would run) as. */
struct qnetd_diag_user {
	bool known;
	bool from_daemon;                       /* the daemon's own credentials; else the packaged unit's user */
	pid_t pid;                              /* with from_daemon */
	uid_t uid;
	gid_t gid;
	char name[64];                          /* "" when the uid has no name */
	char group_name[64];                    /* of gid; "" when it has none */
	size_t group_count;                     /* supplementary groups */
	gid_t groups[QNETD_DIAG_MAX_GROUPS];
};

/* A certificate read from the database. */
struct qnetd_diag_cert {
	bool found;
	char nickname[64];
	int64_t not_before_ms;                  /* ms since the epoch */
	int64_t not_after_ms;
	bool trusted_for_clients;               /* a CA whose SSL trust has T: it may issue client certificates */
};

/* A listening TCP socket. */
struct qnetd_diag_listener {
	int family;                             /* AF_INET or AF_INET6 */
	uint8_t addr[16];                       /* network order; 4 bytes for AF_INET */
	uint16_t port;
};
#define QNETD_DIAG_MAX_LISTENERS 32

/* What the tool gathered; every part may be missing (its flag false). Nothing here is changed by the checks. */
struct qnetd_diag_input {
	bool daemon_answered;                   /* the local socket accepted the connection */
	char daemon_error[192];                 /* why it did not, or why there is no status */
	const json_t *status;                   /* the full JSON status (doc/status-json.md §2), or NULL */
	int64_t now_ms;                         /* this machine's wall clock, ms since the epoch */
	struct qnetd_diag_user user;

	char nssdb_dir[256];                    /* the directory, without an sql:/dbm: prefix */
	struct qnetd_diag_file nssdb;
	struct qnetd_diag_file nssdb_files[QNETD_DIAG_NSSDB_FILES];
	bool nss_read;                          /* the database was opened read-only */
	char nss_error[160];
	struct qnetd_diag_cert server_cert;     /* by the nickname qnetd uses */
	struct qnetd_diag_cert ca;              /* the server certificate's issuer */

	bool listeners_read;                    /* /proc/net/tcp and tcp6 */
	char listeners_error[160];
	size_t listener_count;
	struct qnetd_diag_listener listeners[QNETD_DIAG_MAX_LISTENERS];

	bool clock_read;                        /* adjtimex in read-only mode */
	char clock_error[128];
	int clock_state;                        /* its return value: TIME_OK ... TIME_ERROR */
	int clock_status;                       /* STA_* bits */
	long clock_maxerror_us;
	long clock_esterror_us;
};

/* Runs every check, in the order of doc/diagnose.md (arbiter checks). */
void qnetd_diagnose(const struct qnetd_diag_input *in, struct diag_report *out);

/* What -P (this arbiter before pvecm qdevice setup, doc/diagnose.md §7) reads besides -D's facts. */
struct qnetd_setup_input {
	bool sshd_read;                         /* "sshd -T" printed the SSH server's effective settings */
	char sshd_error[160];                   /* why not */
	char permit_root_login[32];             /* yes, prohibit-password, without-password, forced-commands-only, no */
	bool password_authentication;
	bool kbd_interactive_authentication;
	bool keys_read;                         /* root's authorized keys files, as sshd names them, were read */
	size_t root_keys;                       /* keys in them */
	bool certutil_found;                    /* corosync-qnetd-certutil in PATH */
	const char *cluster_name;               /* -c NAME: the cluster about to be set up, or NULL */
	bool cluster_cert_exists;               /* cluster-NAME.crt in the database directory */
	int64_t cluster_cert_mtime_ms;
};

/* -P's checks: qnetd-running, nssdb and listener as -D runs them, then ssh-root-login, certutil, cluster-name. */
void qnetd_preflight(const struct qnetd_diag_input *in, const struct qnetd_setup_input *s, struct diag_report *out);

/*
 * Adds the LISTEN sockets on port (0: any port) of a /proc/net/tcp (family AF_INET) or
 * /proc/net/tcp6 (AF_INET6) text to in->listeners, at most QNETD_DIAG_MAX_LISTENERS. Lines it
 * cannot read are skipped. Returns 0, or -1 when the text does not start with the table's header.
 */
int qnetd_diag_parse_proc_net_tcp(const char *text, size_t len, int family, uint16_t port, struct qnetd_diag_input *in);

#endif
