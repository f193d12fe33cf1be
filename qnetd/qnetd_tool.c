/* corosync-qnetd-tool: sends one request to the daemon's local socket and prints the reply. */
/* struct ucred (SO_PEERCRED), getgrouplist and adjtimex, for -D's facts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cert.h>
#include <certdb.h>
#include <pk11pub.h>

#include "diag.h"
#include "health.h"
#include "qnetd_diagnose.h"
#include "qnetd_health.h"
#include "qnetd_metrics.h"
#include "qnetd_settings.h"
#include "qnetd_tool_setup.h"
#include "strbuf.h"
#include "tls.h"

enum tool_exit { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INTERNAL = 2, EXIT_CONNECT = 3, EXIT_DAEMON_ERROR = 4 };

static void usage(void)
{
	printf("usage: corosync-qnetd-tool [-CDHhjlMPsv] [-c cluster_name] [-p qnetd_ipc_socket_path]\n");
}

/* Quotes a cluster name: wrapped in ", with " and \ escaped. */
static void append_quoted(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_append(sb, "\\", 1);
		strbuf_append(sb, s, 1);
	}
	strbuf_append(sb, "\"", 1);
}

/* The rest of the reply (after the status line), whole; the descriptor is closed. */
static void read_rest(int fd, struct strbuf *reply)
{
	char buf[65536];
	ssize_t n;
	strbuf_init(reply, (size_t)1 << 30);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(reply, buf, (size_t)n);
	close(fd);
}

/* -M: the rest of the reply is the JSON status; the Prometheus exposition of it. */
static int metrics(int fd, bool ok, bool per_client)
{
	struct strbuf reply;
	read_rest(fd, &reply);
	if (!ok) {
		fprintf(stderr, "Error: %s", reply.len > 0 ? reply.data : "\n");
		strbuf_free(&reply);
		return EXIT_DAEMON_ERROR;
	}
	json_error_t err;
	json_t *status = reply.failed ? NULL : json_loadb(reply.data, reply.len, JSON_ALLOW_NUL, &err);
	strbuf_free(&reply);
	struct strbuf text;
	strbuf_init(&text, (size_t)1 << 30);
	if (status == NULL || qnetd_metrics_write(status, per_client, &text) != 0) {
		json_decref(status);
		strbuf_free(&text);
		fprintf(stderr, "The daemon's status could not be read\n");
		return EXIT_CONNECT;
	}
	json_decref(status);
	if (text.failed) {
		strbuf_free(&text);
		fprintf(stderr, "Can't alloc memory\n");
		return EXIT_INTERNAL;
	}
	fwrite(text.data, 1, text.len, stdout);
	strbuf_free(&text);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
}

/* -C: the rest of the reply is the JSON status; one line and a monitoring-plugin exit code. */
static int health_check(int fd, bool ok)
{
	struct strbuf reply;
	read_rest(fd, &reply);
	if (!ok) {
		printf("QNETD UNKNOWN: the daemon has no JSON status (an upstream corosync-qnetd?): %s",
		       reply.len > 0 ? reply.data : "\n");
		strbuf_free(&reply);
		return HEALTH_UNKNOWN;
	}
	json_error_t err;
	json_t *status = reply.failed ? NULL : json_loadb(reply.data, reply.len, JSON_ALLOW_NUL, &err);
	strbuf_free(&reply);
	if (status == NULL) {
		printf("QNETD UNKNOWN: the daemon's status could not be read\n");
		return HEALTH_UNKNOWN;
	}
	struct health_report r;
	struct strbuf line;
	health_report_init(&r);
	qnetd_health_evaluate(status, &r);
	json_decref(status);
	strbuf_init(&line, 8192);
	health_format(&r, "QNETD", &line);
	fputs(line.data != NULL ? line.data : "QNETD UNKNOWN: out of memory\n", stdout);
	enum health_state state = r.state;
	strbuf_free(&line);
	health_report_free(&r);
	return (int)state;
}

/* ---- -D: the facts the checks need (qnetd/qnetd_diagnose.h); nothing is changed anywhere. ---- */

/* How long -D waits for the daemon's answer. */
#define DIAG_SOCKET_TIMEOUT_S 10
/* The largest /proc/net/tcp table or status -D reads. */
#define DIAG_READ_MAX ((size_t)1 << 28)

/* The user the packaged unit runs corosync-qnetd as (systemd/corosync-qnetd.service.in, User=). */
#define DIAG_PACKAGED_USER "coroqnetd"

/* A fact's error text; a long one is cut (it holds paths). */
static void diag_error(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void diag_error(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void diag_user_by_uid(struct qnetd_diag_user *u)
{
	struct passwd *pw = getpwuid(u->uid);
	if (pw != NULL) {
		snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
		int n = QNETD_DIAG_MAX_GROUPS;
		if (getgrouplist(pw->pw_name, u->gid, u->groups, &n) >= 0 && n >= 0)
			u->group_count = (size_t)n;
	}
	struct group *gr = getgrgid(u->gid);
	if (gr != NULL)
		snprintf(u->group_name, sizeof(u->group_name), "%s", gr->gr_name);
	u->known = true;
}

/* Without a daemon to ask: the packaged unit's user when it exists, else root (a start by hand). */
static void diag_user_packaged(struct qnetd_diag_user *u)
{
	struct passwd *pw = getpwnam(DIAG_PACKAGED_USER);
	u->uid = pw != NULL ? pw->pw_uid : 0;
	u->gid = pw != NULL ? pw->pw_gid : 0;
	diag_user_by_uid(u);
}

/* The whole answer to "json" on fd: the status, or NULL with in->daemon_error saying why. */
static json_t *diag_fetch_status(int fd, struct qnetd_diag_input *in)
{
	struct timeval tv = {.tv_sec = DIAG_SOCKET_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The full form: plaintext-clients and cluster-conflicts look at each client. */
	if (send(fd, "json\n", 5, MSG_NOSIGNAL) != 5) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "the request could not be sent: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct strbuf reply;
	char buf[65536];
	ssize_t n;
	strbuf_init(&reply, DIAG_READ_MAX);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_append(&reply, buf, (size_t)n);
	int read_errno = n < 0 ? errno : 0;
	close(fd);
	json_t *status = NULL;
	const char *nl = reply.data != NULL ? memchr(reply.data, '\n', reply.len) : NULL;
	if (reply.failed) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "its answer is larger than %zu bytes or memory ran out", DIAG_READ_MAX);
	} else if (read_errno != 0 && nl == NULL) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "no answer: %s", strerror(read_errno));
	} else if (nl == NULL) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "it closed the connection without an answer");
	} else if ((size_t)(nl - reply.data) >= 2 && strncasecmp(reply.data, "OK", 2) == 0 &&
		   (nl - reply.data == 2 || (nl - reply.data == 3 && reply.data[2] == '\r'))) {
		json_error_t jerr;
		status = json_loadb(nl + 1, reply.len - (size_t)(nl + 1 - reply.data), JSON_ALLOW_NUL, &jerr);
		if (status == NULL)
			diag_error(in->daemon_error, sizeof(in->daemon_error), "its status is not JSON: %s", jerr.text);
	} else {
		/* "Error" and the message: what an upstream daemon answers to a command it does not know. */
		const char *msg = nl + 1, *end = memchr(msg, '\n', reply.len - (size_t)(msg - reply.data));
		diag_error(in->daemon_error, sizeof(in->daemon_error), "it answered %.*s: %.*s", (int)(nl - reply.data), reply.data,
			 (int)(end != NULL ? end - msg : 0), msg);
	}
	strbuf_free(&reply);
	return status;
}

/* Connects to the daemon and fetches its status; the daemon's own credentials name the user it runs as. */
static json_t *diag_daemon(const char *path, struct qnetd_diag_input *in)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "%s: path too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		diag_error(in->daemon_error, sizeof(in->daemon_error), "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	in->daemon_answered = true;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && len == sizeof(cred)) {
		in->user.from_daemon = true;
		in->user.pid = cred.pid;
		in->user.uid = cred.uid;
		in->user.gid = cred.gid;
		diag_user_by_uid(&in->user);
	}
	return diag_fetch_status(fd, in);
}

static void diag_stat(const char *path, struct qnetd_diag_file *f)
{
	struct stat st;
	memset(f, 0, sizeof(*f));
	if (stat(path, &st) != 0) {
		f->err = errno;
		return;
	}
	f->exists = true;
	f->mode = st.st_mode;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
}

/* Certificates read from the database, opened read-only as corosync-qnetd opens it (doc/tls.md §1.4). */
static void diag_read_certs(struct qnetd_diag_input *in, const char *db, const char *nickname)
{
	snprintf(in->server_cert.nickname, sizeof(in->server_cert.nickname), "%s", nickname);
	if (tls_nss_init(db) != 0) {
		diag_error(in->nss_error, sizeof(in->nss_error), "%s", tls_error_str());
		tls_nss_shutdown();
		return;
	}
	in->nss_read = true;
	PRTime nb, na;
	CERTCertificate *cert = PK11_FindCertFromNickname(nickname, NULL), *issuer = NULL;
	if (cert != NULL) {
		in->server_cert.found = true;
		if (CERT_GetCertTimes(cert, &nb, &na) == SECSuccess) {
			in->server_cert.not_before_ms = nb / 1000;
			in->server_cert.not_after_ms = na / 1000;
		}
		issuer = CERT_FindCertIssuer(cert, PR_Now(), certUsageAnyCA);
	}
	if (issuer != NULL) {
		in->ca.found = true;
		const char *name = issuer->nickname != NULL ? issuer->nickname : issuer->subjectName;
		snprintf(in->ca.nickname, sizeof(in->ca.nickname), "%s", name != NULL ? name : "?");
		if (CERT_GetCertTimes(issuer, &nb, &na) == SECSuccess) {
			in->ca.not_before_ms = nb / 1000;
			in->ca.not_after_ms = na / 1000;
		}
		CERTCertTrust trust;
		in->ca.trusted_for_clients = CERT_GetCertTrust(issuer, &trust) == SECSuccess &&
					     (trust.sslFlags & CERTDB_TRUSTED_CLIENT_CA) != 0;
		CERT_DestroyCertificate(issuer);
	}
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	tls_nss_shutdown();
}

/* The database's directory and files, and its certificates unless TLS is known to be off. */
static void diag_nssdb(struct qnetd_diag_input *in)
{
	const char *status_dir = in->status != NULL ? json_string_value(json_object_get(in->status, "nss_db_dir")) : NULL;
	const char *env = getenv("COROSYNC_QNETD_NSS_DB_DIR");
	/* An explicit request first, then what the daemon uses, then the default. */
	const char *db = env != NULL && env[0] != '\0' ? env : status_dir != NULL ? status_dir : QNETD_DEFAULT_NSS_DB_DIR;
	const char *dir = db;
	if (strncmp(dir, "sql:", 4) == 0 || strncmp(dir, "dbm:", 4) == 0)
		dir += 4;
	snprintf(in->nssdb_dir, sizeof(in->nssdb_dir), "%s", dir);
	diag_stat(in->nssdb_dir, &in->nssdb);
	for (size_t i = 0; i < QNETD_DIAG_NSSDB_FILES; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", in->nssdb_dir, qnetd_diag_nssdb_file_name((enum qnetd_diag_nssdb_file)i));
		diag_stat(path, &in->nssdb_files[i]);
	}
	const char *tls = in->status != NULL ? json_string_value(json_object_get(in->status, "tls")) : NULL;
	if (tls != NULL && strcmp(tls, "off") == 0)
		return;
	if (!in->nssdb.exists || (!in->nssdb_files[QNETD_DIAG_CERT9_DB].exists && !in->nssdb_files[QNETD_DIAG_CERT8_DB].exists)) {
		diag_error(in->nss_error, sizeof(in->nss_error), "no database there");
		return;
	}
	const json_t *cert = in->status != NULL ? json_object_get(in->status, "server_certificate") : NULL;
	const char *nickname = json_string_value(json_object_get(cert, "nickname"));
	diag_read_certs(in, db, nickname != NULL ? nickname : QNETD_DEFAULT_CERT_NICKNAME);
}

/* A whole /proc file (their size is not known before reading); NULL with errno. */
static char *diag_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct strbuf sb;
	char buf[16384];
	ssize_t n;
	strbuf_init(&sb, DIAG_READ_MAX);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_append(&sb, buf, (size_t)n);
	int e = n < 0 ? errno : sb.failed ? EFBIG : 0;
	close(fd);
	if (e != 0) {
		strbuf_free(&sb);
		errno = e;
		return NULL;
	}
	*len = sb.len;
	return sb.data != NULL ? sb.data : strdup("");
}

/* The LISTEN sockets on the port the daemon reports, from both of the kernel's tables. */
static void diag_listeners(struct qnetd_diag_input *in)
{
	const json_t *port = in->status != NULL ? json_object_get(json_object_get(in->status, "listen"), "port") : NULL;
	if (!json_is_integer(port) || json_integer_value(port) <= 0 || json_integer_value(port) > 65535) {
		diag_error(in->listeners_error, sizeof(in->listeners_error), "the port is unknown");
		return;
	}
	static const struct {
		const char *path;
		int family;
	} tables[] = {{"/proc/net/tcp", AF_INET}, {"/proc/net/tcp6", AF_INET6}};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		size_t len;
		char *text = diag_read_file(tables[i].path, &len);
		/* A kernel without IPv6 has no tcp6 table: nothing listens there. */
		if (text == NULL && tables[i].family == AF_INET6 && errno == ENOENT)
			continue;
		if (text == NULL) {
			diag_error(in->listeners_error, sizeof(in->listeners_error), "%s: %s", tables[i].path, strerror(errno));
			return;
		}
		int rc = qnetd_diag_parse_proc_net_tcp(text, len, tables[i].family, (uint16_t)json_integer_value(port), in);
		free(text);
		if (rc != 0) {
			diag_error(in->listeners_error, sizeof(in->listeners_error), "%s: not the table of TCP sockets", tables[i].path);
			return;
		}
	}
	in->listeners_read = true;
}

/* The kernel's clock discipline, read only (modes 0). */
static void diag_clock(struct qnetd_diag_input *in)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx));
	int state = adjtimex(&tx);
	if (state < 0) {
		diag_error(in->clock_error, sizeof(in->clock_error), "adjtimex: %s", strerror(errno));
		return;
	}
	in->clock_read = true;
	in->clock_state = state;
	in->clock_status = tx.status;
	in->clock_maxerror_us = tx.maxerror;
	in->clock_esterror_us = tx.esterror;
}

/* -D's facts: the daemon's status (returned, for the caller to free), the database, the listeners, the clock. */
static json_t *gather(const char *path, struct qnetd_diag_input *in)
{
	memset(in, 0, sizeof(*in));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	in->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	json_t *status = diag_daemon(path, in);
	in->status = status;
	if (!in->user.known)
		diag_user_packaged(&in->user);
	diag_nssdb(in);
	diag_listeners(in);
	diag_clock(in);
	return status;
}

/* The report as text or JSON; exit 0, 1 or 2 by the worst check, 3 when the report cannot be written. */
static int print_report(const struct diag_report *report, bool as_json, const char *program)
{
	int rc = diag_print(report, as_json, program, stdout);
	if (rc == -1)
		fprintf(stderr, "Can't alloc memory\n");
	return rc < 0 ? 3 : rc;
}

/* -D: the arbiter's checks (doc/diagnose.md §6). */
static int diagnose(const char *path, bool as_json)
{
	static struct qnetd_diag_input in;
	json_t *status = gather(path, &in);
	struct diag_report report;
	qnetd_diagnose(&in, &report);
	json_decref(status);
	return print_report(&report, as_json, "corosync-qnetd-tool -D");
}

/* -P [-c NAME]: this arbiter before pvecm qdevice setup (doc/diagnose.md §7). */
static int preflight(const char *path, const char *cluster, bool as_json)
{
	static struct qnetd_diag_input in;
	static struct qnetd_setup_input setup;
	json_t *status = gather(path, &in);
	qnetd_tool_setup_gather(cluster, in.nssdb_dir, &setup);
	struct diag_report report;
	qnetd_preflight(&in, &setup, &report);
	json_decref(status);
	return print_report(&report, as_json, "corosync-qnetd-tool -P");
}

/*
 * Connects to the daemon's local socket and sends the request. *fd is the connection, or -1 with
 * the tool's exit status returned (for -C, after printing its CRITICAL line).
 */
static int send_request(const char *path, bool health, const struct strbuf *req, int *fd_out)
{
	*fd_out = -1;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		if (health) {
			printf("QNETD CRITICAL: corosync-qnetd does not answer on %s (path too long)\n", path);
			return HEALTH_CRITICAL;
		}
		fprintf(stderr, "Can't connect to QNetd socket (path too long)\n");
		return EXIT_CONNECT;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		if (health) {
			printf("QNETD CRITICAL: corosync-qnetd does not answer on %s (%s)\n", path, strerror(errno));
			return HEALTH_CRITICAL;
		}
		fprintf(stderr, "Can't connect to QNetd socket (is QNetd running?): %s\n", strerror(errno));
		return EXIT_CONNECT;
	}
	for (size_t sent = 0; sent < req->len;) {
		ssize_t n = send(fd, req->data + sent, req->len - sent, MSG_NOSIGNAL);
		if (n <= 0) {
			fprintf(stderr, "Can't send request to QNetd: %s\n", strerror(errno));
			close(fd);
			return EXIT_INTERNAL;
		}
		sent += (size_t)n;
	}
	*fd_out = fd;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OP_NONE, OP_STATUS, OP_LIST, OP_SHUTDOWN, OP_JSON, OP_HEALTH, OP_METRICS, OP_DIAGNOSE, OP_PREFLIGHT } op = OP_NONE;
	bool verbose = false, json = false;
	const char *cluster = NULL;
	const char *path = QNETD_DEFAULT_LOCAL_SOCKET;
	int ch;

	while ((ch = getopt(argc, argv, "CDHhjlMPsvc:p:")) != -1) {
		switch (ch) {
		case 'C': op = OP_HEALTH; break;
		case 'D': op = OP_DIAGNOSE; break;
		case 'H': op = OP_SHUTDOWN; break;
		case 'j':
			/* -D -j and -P -j (either order) are the checks as JSON. */
			json = true;
			if (op != OP_DIAGNOSE && op != OP_PREFLIGHT)
				op = OP_JSON;
			break;
		case 'l': op = OP_LIST; break;
		case 'M': op = OP_METRICS; break;
		case 'P': op = OP_PREFLIGHT; break;
		case 's': op = OP_STATUS; break;
		case 'v': verbose = true; break;
		case 'c': cluster = optarg; break;
		case 'p': path = optarg; break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (op == OP_NONE) {
		usage();
		return EXIT_USAGE;
	}
	if (op == OP_DIAGNOSE)
		return diagnose(path, json);
	if (op == OP_PREFLIGHT)
		return preflight(path, cluster, json);

	struct strbuf req;
	strbuf_init(&req, 1 << 20);
	static const char *const verbs[] = {[OP_STATUS] = "status", [OP_LIST] = "list", [OP_SHUTDOWN] = "shutdown",
					     [OP_JSON] = "json", [OP_HEALTH] = "json", [OP_METRICS] = "json"};
	strbuf_printf(&req, "%s ", verbs[op]);
	/* -C and -M read no client objects (-M -v does): the brief form spares the daemon their cost. */
	if (op == OP_HEALTH || (op == OP_METRICS && !verbose))
		strbuf_printf(&req, "brief ");
	/* The JSON status is always complete; -v means nothing to it (with -M it adds per-client series), nor -c to the health check. */
	if (op == OP_HEALTH)
		cluster = NULL;
	if (verbose && op != OP_JSON && op != OP_HEALTH && op != OP_METRICS)
		strbuf_printf(&req, "verbose ");
	if (cluster != NULL) {
		strbuf_printf(&req, "cluster ");
		append_quoted(&req, cluster);
		strbuf_printf(&req, " ");
	}
	strbuf_append(&req, "\n", 1);
	if (req.failed) {
		fprintf(stderr, "Can't alloc memory\n");
		return EXIT_INTERNAL;
	}

	int fd, rc = send_request(path, op == OP_HEALTH, &req, &fd);
	strbuf_free(&req);
	if (fd < 0)
		return rc;

	/* First line: OK or Error; the rest is copied verbatim. */
	char line[513];
	size_t llen = 0;
	char c;
	ssize_t n;
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (c == '\r')
			continue;
		if (llen == sizeof(line) - 1) {
			fprintf(stderr, "Status line too long\n");
			return EXIT_INTERNAL;
		}
		line[llen++] = c;
	}
	line[llen] = '\0';
	if (n != 1 && llen == 0) {
		if (op == OP_HEALTH) {
			printf("QNETD UNKNOWN: the daemon closed the connection without an answer\n");
			return HEALTH_UNKNOWN;
		}
		return EXIT_OK; /* closed without a status line */
	}
	bool ok = strcasecmp(line, "OK") == 0;
	if (op == OP_HEALTH)
		return health_check(fd, ok);
	if (op == OP_METRICS)
		return metrics(fd, ok, verbose);
	if (!ok && strcasecmp(line, "Error") != 0) {
		fprintf(stderr, "Unknown status line \"%s\"\n", line);
		return EXIT_CONNECT;
	}
	FILE *out = ok ? stdout : stderr;
	if (!ok)
		fprintf(out, "Error: ");
	char buf[4096];
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	return ok ? EXIT_OK : EXIT_DAEMON_ERROR;
}
