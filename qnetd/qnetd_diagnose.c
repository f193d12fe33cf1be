/* corosync-qnetd-tool -D: the arbiter's checks, as plain decisions over facts the tool gathered (doc/diagnose.md). */
#include "qnetd_diagnose.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/timex.h>

#include "escape.h"
#include "qnetd_health.h"
#include "timefmt.h"

/* Room for a cluster name in a line (escaped, cut with "..."). */
#define NAME_MAX_TEXT 96

const char *qnetd_diag_nssdb_file_name(enum qnetd_diag_nssdb_file f)
{
	switch (f) {
	case QNETD_DIAG_CERT9_DB: return "cert9.db";
	case QNETD_DIAG_KEY4_DB: return "key4.db";
	case QNETD_DIAG_PKCS11_TXT: return "pkcs11.txt";
	case QNETD_DIAG_CERT8_DB: return "cert8.db";
	case QNETD_DIAG_KEY3_DB: return "key3.db";
	}
	return "?";
}

/* Text into buf, cut with "..." when it does not fit (the texts hold paths and names of any length). */
static void textf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void textf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	char line[DIAG_TEXT_MAX * 2];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	diag_appendf(buf, len, "%s", line);
}

/* ---- Reading the status ---- */

static bool status_usable(const struct qnetd_diag_input *in)
{
	int64_t t;
	return in->status != NULL && qnetd_health_understood(in->status, &t) == 0;
}

static const char *str_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A string the daemon sent, escaped for a line (names and versions are bytes from elsewhere). */
static const char *text_of(const char *s, char *buf, size_t len)
{
	if (s == NULL)
		return "?";
	return escape_bytes((const uint8_t *)s, strlen(s), buf, len);
}

static const char *plural(long long n)
{
	return n == 1 ? "" : "s";
}

/*
 * A check made of several findings: the worst state wins, the found text lists every finding and
 * the fix is the one of the first finding at the worst state.
 */
struct findings {
	enum diag_state state;                  /* DIAG_OK, DIAG_WARN or DIAG_FAIL */
	char text[DIAG_TEXT_MAX];
	char fix[DIAG_TEXT_MAX];                /* a copy: callers may pass text on their stack */
};

static int rank(enum diag_state s)
{
	return s == DIAG_FAIL ? 2 : s == DIAG_WARN ? 1 : 0;
}

static void findings_init(struct findings *f)
{
	f->state = DIAG_OK;
	f->text[0] = '\0';
	f->fix[0] = '\0';
}

static void note(struct findings *f, enum diag_state s, const char *fix, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void note(struct findings *f, enum diag_state s, const char *fix, const char *fmt, ...)
{
	/* Larger than the text it joins, so a cut shows as "..." there. */
	char line[DIAG_TEXT_MAX * 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	diag_appendf(f->text, sizeof(f->text), "%s%s", f->text[0] != '\0' ? "; " : "", line);
	if (rank(s) > rank(f->state)) {
		f->state = s;
		snprintf(f->fix, sizeof(f->fix), "%s", fix != NULL ? fix : "");
	}
}

static void findings_add(struct diag_report *r, const char *id, const struct findings *f)
{
	diag_add(r, id, f->state, f->state != DIAG_OK ? f->fix : NULL, "%s", f->text);
}

/* ---- qnetd-running ---- */

static void check_running(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!in->daemon_answered) {
		diag_add(r, "qnetd-running", DIAG_FAIL,
			 "systemctl start corosync-qnetd; if it stops again, journalctl -u corosync-qnetd -b says why",
			 "corosync-qnetd does not answer on its local socket (%s)", in->daemon_error);
		return;
	}
	if (in->status == NULL) {
		diag_add(r, "qnetd-running", DIAG_WARN,
			 "install this project's corosync-qnetd (the checks below that need its JSON status are skipped)",
			 "corosync-qnetd answers but gives no JSON status (%s)", in->daemon_error);
		return;
	}
	const json_t *schema = json_object_get(in->status, "schema");
	if (!status_usable(in)) {
		diag_add(r, "qnetd-running", DIAG_WARN,
			 "use the corosync-qnetd-tool of the same package as the running corosync-qnetd",
			 "corosync-qnetd answers but its status is not understood (schema %" JSON_INTEGER_FORMAT ")",
			 json_is_integer(schema) ? json_integer_value(schema) : -1);
		return;
	}
	char version[64], started[64], user[96] = "";
	if (in->user.known && in->user.from_daemon) {
		if (in->user.name[0] != '\0')
			snprintf(user, sizeof(user), " as user %s (pid %ld)", in->user.name, (long)in->user.pid);
		else
			snprintf(user, sizeof(user), " as uid %lu (pid %ld)", (unsigned long)in->user.uid, (long)in->user.pid);
	}
	const json_t *counts = json_object_get(in->status, "counts");
	long long clusters = qnetd_health_int(counts, "clusters"), clients = qnetd_health_int(counts, "clients");
	long long conns = qnetd_health_int(counts, "connections");
	diag_add(r, "qnetd-running", DIAG_OK, NULL,
		 "corosync-qnetd %s answers%s, started %s: %lld cluster%s, %lld client%s, %lld connection%s",
		 text_of(str_at(in->status, "version"), version, sizeof(version)), user,
		 text_of(str_at(in->status, "started"), started, sizeof(started)), clusters, plural(clusters), clients,
		 plural(clients), conns, plural(conns));
}

/* ---- nssdb ---- */

static bool in_group(const struct qnetd_diag_user *u, gid_t gid)
{
	if (u->gid == gid)
		return true;
	for (size_t i = 0; i < u->group_count && i < QNETD_DIAG_MAX_GROUPS; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

/* Whether the user may do `want` (a mask of 4 read, 1 search) to the file, by its owner, group and mode. */
static bool may(const struct qnetd_diag_user *u, const struct qnetd_diag_file *f, unsigned want)
{
	if (u->uid == 0)
		return true;
	unsigned bits;
	if (f->uid == u->uid)
		bits = ((unsigned)f->mode >> 6) & 7;
	else if (in_group(u, f->gid))
		bits = ((unsigned)f->mode >> 3) & 7;
	else
		bits = (unsigned)f->mode & 7;
	return (bits & want) == want;
}

static const char *user_text(const struct qnetd_diag_user *u, char *buf, size_t len)
{
	if (u->name[0] != '\0')
		snprintf(buf, len, "%s", u->name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)u->uid);
	return buf;
}

/* "owner uid:gid, mode 0640" */
static const char *file_text(const struct qnetd_diag_file *f, char *buf, size_t len)
{
	snprintf(buf, len, "owner %lu:%lu, mode %04o", (unsigned long)f->uid, (unsigned long)f->gid, (unsigned)(f->mode & 07777));
	return buf;
}

/* The database's files: present, in the current format, readable by the user qnetd runs as. Returns false when there is none to read. */
static bool nssdb_files(const struct qnetd_diag_input *in, struct findings *f)
{
	const char *dir = in->nssdb_dir;
	char fix[DIAG_TEXT_MAX];
	if (!in->nssdb.exists) {
		note(f, DIAG_FAIL, "corosync-qnetd-certutil -i creates it (a new QNet CA: every cluster then needs pvecm qdevice setup again)",
		     "%s: %s", dir, in->nssdb.err == ENOENT ? "no such directory" : strerror(in->nssdb.err));
		return false;
	}
	if (!S_ISDIR(in->nssdb.mode)) {
		note(f, DIAG_FAIL, "move it aside and restore the database directory (corosync-qnetd-certutil -I from an export)",
		     "%s is not a directory", dir);
		return false;
	}
	const struct qnetd_diag_file *cert9 = &in->nssdb_files[QNETD_DIAG_CERT9_DB];
	const struct qnetd_diag_file *key4 = &in->nssdb_files[QNETD_DIAG_KEY4_DB];
	const struct qnetd_diag_file *cert8 = &in->nssdb_files[QNETD_DIAG_CERT8_DB];
	if (!cert9->exists && cert8->exists) {
		textf(fix, sizeof(fix),
			 "convert it as Debian's package does: certutil -N -d sql:%s -f %s/pwdfile.txt -@ %s/pwdfile.txt, then "
			 "chgrp coroqnetd %s/cert9.db %s/key4.db and chmod g+r %s/cert9.db %s/key4.db",
			 dir, dir, dir, dir, dir, dir, dir);
		note(f, DIAG_WARN, fix, "%s holds only the old dbm format (cert8.db, no cert9.db)", dir);
	} else if (!cert9->exists || !key4->exists) {
		note(f, DIAG_FAIL,
		     "corosync-qnetd-certutil -i creates the database (a new QNet CA: every cluster then needs pvecm qdevice setup again), "
		     "or corosync-qnetd-certutil -I restores an export",
		     "%s has no %s", dir, !cert9->exists ? "cert9.db" : "key4.db (the server's private key)");
		return false;
	}
	if (!in->user.known)
		return true;
	char who[80], mode[48];
	user_text(&in->user, who, sizeof(who));
	const char *group = in->user.group_name[0] != '\0' ? in->user.group_name : "coroqnetd";
	if (!may(&in->user, &in->nssdb, 5)) {
		textf(fix, sizeof(fix), "chgrp %s %s && chmod g+rx %s", group, dir, dir);
		note(f, DIAG_FAIL, fix, "%s cannot open %s (%s)", who, dir, file_text(&in->nssdb, mode, sizeof(mode)));
		return true;
	}
	static const enum qnetd_diag_nssdb_file needed[] = {QNETD_DIAG_CERT9_DB, QNETD_DIAG_KEY4_DB, QNETD_DIAG_CERT8_DB,
							  QNETD_DIAG_KEY3_DB};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		const struct qnetd_diag_file *file = &in->nssdb_files[needed[i]];
		/* The dbm files matter only where they are the database. */
		if (!file->exists || ((needed[i] == QNETD_DIAG_CERT8_DB || needed[i] == QNETD_DIAG_KEY3_DB) && cert9->exists))
			continue;
		if (may(&in->user, file, 4))
			continue;
		const char *name = qnetd_diag_nssdb_file_name(needed[i]);
		textf(fix, sizeof(fix), "chgrp %s %s/%s && chmod g+r %s/%s", group, dir, name, dir, name);
		note(f, DIAG_FAIL, fix, "%s cannot read %s/%s (%s)", who, dir, name,
		     file_text(file, mode, sizeof(mode)));
		return true;
	}
	const struct qnetd_diag_file *pkcs11 = &in->nssdb_files[QNETD_DIAG_PKCS11_TXT];
	if (pkcs11->exists && !may(&in->user, pkcs11, 4))
		note(f, DIAG_OK, NULL, "pkcs11.txt is not readable by %s, as Debian's package leaves it (reading the database does not need it)",
		     who);
	return true;
}

/* One certificate's window at now: FAIL outside it, WARN within QNETD_HEALTH_CERT_WARN_DAYS of its end. */
static void cert_window(const struct qnetd_diag_input *in, struct findings *f, const char *what, int64_t nb, int64_t na,
			const char *renew_fix)
{
	char from[TIMEFMT_RFC3339_LEN], until[TIMEFMT_RFC3339_LEN], now[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(nb, from);
	timefmt_rfc3339(na, until);
	timefmt_rfc3339(in->now_ms, now);
	switch (qnetd_health_cert_window(nb, na, in->now_ms)) {
	case QNETD_HEALTH_CERT_NOT_YET_VALID:
		note(f, DIAG_FAIL, "check this machine's clock (the clock check below); the certificate is good from its start date on",
		     "%s is not valid before %s (this clock says %s)", what, from, now);
		break;
	case QNETD_HEALTH_CERT_EXPIRED:
		note(f, DIAG_FAIL, renew_fix, "%s expired on %s", what, until);
		break;
	case QNETD_HEALTH_CERT_EXPIRING:
		note(f, DIAG_WARN, renew_fix, "%s expires on %s, in %" PRId64 " days", what, until, (na - in->now_ms) / 86400000);
		break;
	case QNETD_HEALTH_CERT_VALID:
		note(f, DIAG_OK, NULL, "%s valid until %s", what, until);
		break;
	}
}

static void nssdb_certificates(const struct qnetd_diag_input *in, struct findings *f, bool client_certs_checked)
{
	const char *dir = in->nssdb_dir;
	char server_fix[DIAG_TEXT_MAX];
	textf(server_fix, sizeof(server_fix),
		 "issue a new server certificate from QNet CA: certutil -D -d %s -n 'QNetd Cert'; certutil -S -d %s -f %s/pwdfile.txt "
		 "-z %s/noise.txt -n 'QNetd Cert' -s 'CN=Qnetd Server' -c 'QNet CA' -t u,u,u -m <next number of serial.txt> -v 1200; "
		 "systemctl restart corosync-qnetd",
		 dir, dir, dir, dir);
	int64_t nb, na;
	bool from_daemon = status_usable(in) && qnetd_health_server_cert_dates(in->status, &nb, &na) == 0;
	if (from_daemon) {
		cert_window(in, f, "the server certificate (as corosync-qnetd loaded it)", nb, na, server_fix);
	} else if (in->nss_read && in->server_cert.found) {
		char what[128];
		textf(what, sizeof(what), "the server certificate '%s'", in->server_cert.nickname);
		cert_window(in, f, what, in->server_cert.not_before_ms, in->server_cert.not_after_ms, server_fix);
	} else if (in->nss_read) {
		note(f, DIAG_FAIL,
		     "the database has lost its server certificate: restore an export (corosync-qnetd-certutil -I), or make a new database "
		     "with corosync-qnetd-certutil -i (a new QNet CA: every cluster then needs pvecm qdevice setup again)",
		     "no certificate '%s' in the database", in->server_cert.nickname[0] != '\0' ? in->server_cert.nickname : "QNetd Cert");
	}
	if (!in->nss_read) {
		note(f, DIAG_OK, NULL, "the CA was not checked: the database could not be opened here (%s)", in->nss_error);
		return;
	}
	const char *ca_fix = "a new CA means a new database: corosync-qnetd-certutil -i in an empty directory, then pvecm qdevice setup "
			     "on every cluster that uses this arbiter";
	if (!in->ca.found) {
		note(f, DIAG_FAIL, ca_fix, "no CA certificate that issued the server certificate is in the database");
		return;
	}
	char what[128];
	textf(what, sizeof(what), "the CA '%s'", in->ca.nickname);
	cert_window(in, f, what, in->ca.not_before_ms, in->ca.not_after_ms, ca_fix);
	if (client_certs_checked && !in->ca.trusted_for_clients) {
		char trust_fix[DIAG_TEXT_MAX];
		textf(trust_fix, sizeof(trust_fix), "certutil -M -d %s -n '%s' -t CT,,", dir, in->ca.nickname);
		note(f, DIAG_FAIL, trust_fix, "the CA '%s' is not trusted to issue client certificates (no T in its SSL trust): every client certificate is refused",
		     in->ca.nickname);
	}
}

static void check_nssdb(const struct qnetd_diag_input *in, struct diag_report *r)
{
	const char *tls = status_usable(in) ? str_at(in->status, "tls") : NULL;
	if (tls != NULL && strcmp(tls, "off") == 0) {
		diag_add(r, "nssdb", DIAG_OK, NULL, "TLS is off (-s off): corosync-qnetd uses no certificate database");
		return;
	}
	struct findings f;
	findings_init(&f);
	if (nssdb_files(in, &f)) {
		const json_t *required = status_usable(in) ? json_object_get(in->status, "client_cert_required") : NULL;
		/* Unknown (the daemon is not running) counts as the default, -c on. */
		nssdb_certificates(in, &f, required == NULL || json_is_true(required));
	}
	if (f.state == DIAG_OK) {
		char summary[DIAG_TEXT_MAX];
		textf(summary, sizeof(summary), "%s%s", in->nssdb_dir,
			 in->nssdb_files[QNETD_DIAG_CERT9_DB].exists ? " (sql format)" : "");
		if (in->user.known) {
			char who[80];
			diag_appendf(summary, sizeof(summary), ", readable by %s%s", user_text(&in->user, who, sizeof(who)),
				     in->user.from_daemon ? "" : " (the packaged unit's user; corosync-qnetd is not running)");
		}
		diag_add(r, "nssdb", DIAG_OK, NULL, "%s; %s", summary, f.text);
		return;
	}
	findings_add(r, "nssdb", &f);
}

/* ---- listener ---- */

static bool loopback(const struct qnetd_diag_listener *l)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};
	static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (l->family == AF_INET)
		return l->addr[0] == 127;
	if (memcmp(l->addr, v6_loopback, 16) == 0)
		return true;
	return memcmp(l->addr, v4_mapped, 12) == 0 && l->addr[12] == 127;
}

static bool wildcard(const struct qnetd_diag_listener *l)
{
	static const uint8_t zero[16];
	return memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16) == 0;
}

static const char *listener_text(const struct qnetd_diag_listener *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(l->family, l->addr, a, sizeof(a));
	snprintf(buf, len, l->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, (unsigned)l->port);
	return buf;
}

static void check_listener(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!status_usable(in)) {
		diag_add(r, "listener", DIAG_SKIP, NULL, "corosync-qnetd's status is not available (the port it should listen on is unknown)");
		return;
	}
	const json_t *listen = json_object_get(in->status, "listen");
	long long port = qnetd_health_int(listen, "port");
	const char *address = str_at(listen, "address");
	if (!in->listeners_read) {
		diag_add(r, "listener", DIAG_SKIP, NULL, "the listening sockets could not be read (%s)", in->listeners_error);
		return;
	}
	char list[DIAG_TEXT_MAX] = "", one[INET6_ADDRSTRLEN + 16], addr_buf[80];
	size_t on_port = 0, loopbacks = 0, wildcards = 0;
	for (size_t i = 0; i < in->listener_count && i < QNETD_DIAG_MAX_LISTENERS; i++) {
		const struct qnetd_diag_listener *l = &in->listeners[i];
		if (l->port != port)
			continue;
		on_port++;
		loopbacks += loopback(l);
		wildcards += wildcard(l);
		diag_appendf(list, sizeof(list), "%s%s", on_port > 1 ? ", " : "", listener_text(l, one, sizeof(one)));
	}
	const char *configured = address != NULL ? text_of(address, addr_buf, sizeof(addr_buf)) : "every address";
	if (on_port == 0) {
		diag_add(r, "listener", DIAG_FAIL,
			 "systemctl restart corosync-qnetd, then journalctl -u corosync-qnetd -b for the error of its listening socket",
			 "nothing listens on TCP port %lld (corosync-qnetd is set to listen on %s, port %lld)", port, configured, port);
		return;
	}
	if (loopbacks == on_port) {
		diag_add(r, "listener", DIAG_WARN,
			 "set -l to an address the nodes reach, or leave -l out (every address), in COROSYNC_QNETD_OPTIONS in "
			 "/etc/default/corosync-qnetd, then systemctl restart corosync-qnetd",
			 "TCP port %lld listens on loopback only (%s): nodes on other hosts cannot reach it", port, list);
		return;
	}
	if (address == NULL && wildcards == 0) {
		diag_add(r, "listener", DIAG_WARN,
			 "ss -ltnp 'sport = :<port>' names the program that holds the port; stop it or give qnetd another port (-p)",
			 "corosync-qnetd is set to listen on every address, but TCP port %lld is bound to %s only (another program?)",
			 port, list);
		return;
	}
	const char *family = str_at(listen, "family");
	diag_add(r, "listener", DIAG_OK, NULL, "TCP port %lld listens on %s (set: %s, address family %s)", port, list, configured,
		 family != NULL ? family : "?");
}

/* ---- plaintext-clients ---- */

static void check_plaintext(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!status_usable(in)) {
		diag_add(r, "plaintext-clients", DIAG_SKIP, NULL, "corosync-qnetd's status is not available");
		return;
	}
	const char *tls = str_at(in->status, "tls");
	long long plaintext = qnetd_health_int(json_object_get(in->status, "counts"), "plaintext_clients");
	if (plaintext == 0) {
		if (tls != NULL && strcmp(tls, "required") == 0)
			diag_add(r, "plaintext-clients", DIAG_OK, NULL, "TLS is required (-s req): no client joins without it");
		else if (tls != NULL && strcmp(tls, "off") == 0)
			diag_add(r, "plaintext-clients", DIAG_OK, NULL, "TLS is off (-s off) and no client is joined");
		else
			diag_add(r, "plaintext-clients", DIAG_OK, NULL,
				 "every joined client uses TLS; -s on still admits one without it (-s req refuses them, README.md, Security)");
		return;
	}
	char who[DIAG_TEXT_MAX] = "";
	size_t i, k;
	const json_t *cluster, *client;
	json_array_foreach(json_object_get(in->status, "clusters"), i, cluster) {
		char name[NAME_MAX_TEXT];
		size_t in_cluster = 0;
		json_array_foreach(json_object_get(cluster, "clients"), k, client) {
			if (!json_is_false(json_object_get(client, "tls_active")))
				continue;
			if (in_cluster++ == 0)
				diag_appendf(who, sizeof(who), "%scluster \"%s\" node", who[0] != '\0' ? "; " : "",
					     qnetd_health_cluster_name(cluster, name, sizeof(name)));
			diag_appendf(who, sizeof(who), "%s %lld", in_cluster > 1 ? "," : "", qnetd_health_int(client, "node_id"));
		}
	}
	const char *fix = tls != NULL && strcmp(tls, "off") == 0
				  ? "set up certificates (corosync-qnetd-certutil -i, then pvecm qdevice setup on each cluster), run qnetd "
				    "with -s req (COROSYNC_QNETD_OPTIONS=\"-s req\" in /etc/default/corosync-qnetd; README.md, Security)"
				  : "set tls: on in quorum.device.net of corosync.conf on those clusters and restart corosync-qdevice there, then "
				    "run qnetd with -s req (COROSYNC_QNETD_OPTIONS=\"-s req\" in /etc/default/corosync-qnetd; README.md, Security)";
	diag_add(r, "plaintext-clients", DIAG_WARN, fix, "%lld client%s joined without TLS (-s %s)%s%s", plaintext, plural(plaintext),
		 tls != NULL ? tls : "?", who[0] != '\0' ? ": " : "", who);
}

/* ---- cluster-nodes ---- */

static void check_cluster_nodes(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!status_usable(in)) {
		diag_add(r, "cluster-nodes", DIAG_SKIP, NULL, "corosync-qnetd's status is not available");
		return;
	}
	const json_t *clusters = json_object_get(in->status, "clusters");
	char missing[DIAG_TEXT_MAX] = "";
	size_t i, nclusters = json_array_size(clusters), with_missing = 0;
	const json_t *cluster;
	json_array_foreach(clusters, i, cluster) {
		const json_t *ids = json_object_get(cluster, "missing_nodes");
		if (!json_is_array(ids) || json_array_size(ids) == 0)
			continue;
		char name[NAME_MAX_TEXT], list[160];
		qnetd_health_node_ids(ids, list, sizeof(list));
		diag_appendf(missing, sizeof(missing), "%scluster \"%s\": node%s %s", with_missing++ > 0 ? "; " : "",
			     qnetd_health_cluster_name(cluster, name, sizeof(name)), json_array_size(ids) == 1 ? "" : "s", list);
	}
	/* A running vote hold (doc/algorithms.md §1.5) explains why a connected partition waits for its vote. */
	char held[DIAG_TEXT_MAX] = "";
	size_t with_holds = 0;
	json_array_foreach(clusters, i, cluster) {
		const json_t *holds = json_object_get(cluster, "vote_holds");
		size_t j;
		const json_t *hold;
		json_array_foreach(holds, j, hold) {
			char name[NAME_MAX_TEXT];
			diag_appendf(held, sizeof(held),
				     "%scluster \"%s\": no partition without node %lld gets the vote for %lld ms more",
				     with_holds++ > 0 ? "; " : "", qnetd_health_cluster_name(cluster, name, sizeof(name)),
				     qnetd_health_int(hold, "node_id"), qnetd_health_int(hold, "ends_in_ms"));
		}
	}
	if (with_missing > 0 || with_holds > 0) {
		char found[DIAG_TEXT_MAX] = "";
		if (with_missing > 0)
			diag_appendf(found, sizeof(found), "configured nodes without a connection: %s", missing);
		if (with_holds > 0)
			diag_appendf(found, sizeof(found),
				     "%svote held back (that node's qdevice left while its corosync may still count the vote): %s",
				     with_missing > 0 ? "; " : "", held);
		diag_add(r, "cluster-nodes", DIAG_WARN,
			 with_missing > 0
				 ? "on each of those nodes: systemctl status corosync-qdevice, and corosync-qdevice-tool -D there says why it has no connection"
				 : "nothing to change: a hold ends by itself (1.2 x quorum.device.timeout); see VOTE HOLDS in corosync-qnetd(8)",
			 "%s", found);
		return;
	}
	if (nclusters == 0)
		diag_add(r, "cluster-nodes", DIAG_OK, NULL, "no cluster is connected");
	else
		diag_add(r, "cluster-nodes", DIAG_OK, NULL, "%zu cluster%s, every configured node connected", nclusters,
			 nclusters == 1 ? "" : "s");
}

/* ---- cluster-conflicts ---- */

static const char *refusal_fix(const char *reason)
{
	if (strcmp(reason, "duplicate_node_id") == 0)
		return "two clusters with this name use the arbiter (their node ids collide), or a node id is used twice: give one "
		       "cluster another totem.cluster_name or its own arbiter";
	if (strcmp(reason, "algorithm_differs") == 0 || strcmp(reason, "tie_breaker_differs") == 0)
		return "make quorum.device.net.algorithm and tie_breaker the same in corosync.conf on every node of the cluster; if "
		       "two clusters share the name, give one another totem.cluster_name";
	if (strcmp(reason, "cluster_full") == 0)
		return "no corosync cluster has more than 384 nodes: several clusters share this name; give each its own "
		       "totem.cluster_name";
	return "journalctl -u corosync-qnetd -b names the client's address and the refusal; check corosync-qdevice's "
	       "configuration there (corosync-qdevice-tool -D)";
}

/* The first two clients of a cluster whose configured node lists differ (two clusters with one name?). */
static void differing_lists(const json_t *cluster, struct findings *f)
{
	const json_t *clients = json_object_get(cluster, "clients");
	const json_t *first = json_array_get(clients, 0);
	const json_t *first_nodes = json_object_get(first, "configured_nodes");
	size_t i;
	const json_t *client;
	if (!json_is_array(first_nodes))
		return;
	json_array_foreach(clients, i, client) {
		const json_t *nodes = json_object_get(client, "configured_nodes");
		/* A client without a list (none sent yet) disagrees with nobody. */
		if (i == 0 || !json_is_array(nodes) || json_equal(first_nodes, nodes))
			continue;
		char name[NAME_MAX_TEXT], a[120], b[120];
		qnetd_health_node_ids(json_object_get(first, "configured_nodes"), a, sizeof(a));
		qnetd_health_node_ids(json_object_get(client, "configured_nodes"), b, sizeof(b));
		note(f, DIAG_WARN,
		     "if two clusters use this name, give one another totem.cluster_name or its own arbiter; if it is one cluster, "
		     "make corosync.conf the same on every node (then corosync-cfgtool -R)",
		     "cluster \"%s\": its clients' configured node lists differ (node %lld: %s; node %lld: %s)",
		     qnetd_health_cluster_name(cluster, name, sizeof(name)), qnetd_health_int(first, "node_id"), a,
		     qnetd_health_int(client, "node_id"), b);
		return;
	}
}

static void check_conflicts(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!status_usable(in)) {
		diag_add(r, "cluster-conflicts", DIAG_SKIP, NULL, "corosync-qnetd's status is not available");
		return;
	}
	struct findings f;
	findings_init(&f);
	size_t i;
	const json_t *cluster;
	json_array_foreach(json_object_get(in->status, "clusters"), i, cluster) {
		long long acked = qnetd_health_int(cluster, "acked_partitions");
		char name[NAME_MAX_TEXT];
		if (acked > 1)
			note(&f, DIAG_FAIL,
			     "two clusters with one name share this arbiter, or the decision went wrong: give each cluster its own "
			     "totem.cluster_name (or arbiter), then systemctl restart corosync-qdevice on its nodes",
			     "cluster \"%s\": %lld partitions hold the vote", qnetd_health_cluster_name(cluster, name, sizeof(name)), acked);
		differing_lists(cluster, &f);
	}
	const json_t *refusals = json_object_get(in->status, "init_refusals");
	if (!json_is_object(refusals)) {
		note(&f, DIAG_OK, NULL, "this corosync-qnetd does not report INIT refusals");
	} else {
		long long recent = qnetd_health_int(refusals, "last_hour");
		const json_t *last = json_object_get(refusals, "last");
		const char *reason = str_at(last, "reason");
		if (recent > 0 && reason != NULL) {
			char name[NAME_MAX_TEXT], when[64];
			const char *cluster_name = str_at(last, "cluster");
			note(&f, DIAG_WARN, refusal_fix(reason),
			     "%lld INIT%s refused in the last hour; the latest at %s, cluster \"%s\": %s", recent, plural(recent),
			     text_of(str_at(last, "time"), when, sizeof(when)),
			     cluster_name != NULL ? text_of(cluster_name, name, sizeof(name)) : "(none sent)", reason);
		} else {
			long long total = qnetd_health_int(refusals, "total");
			note(&f, DIAG_OK, NULL, "no INIT refused in the last hour (%lld since the start)", total);
		}
	}
	if (f.state == DIAG_OK)
		diag_add(r, "cluster-conflicts", DIAG_OK, NULL, "one partition at most holds each cluster's vote, each cluster's clients "
				 "agree on its nodes; %s", f.text);
	else
		findings_add(r, "cluster-conflicts", &f);
}

/* ---- cert-rejections ---- */

static const char *rejection_fix(const char *reason)
{
	if (strcmp(reason, "untrusted_issuer") == 0)
		return "the node's certificate was signed by another CA (this arbiter's database re-created?): run pvecm qdevice setup "
		       "<this arbiter> again on that cluster (or corosync-qdevice-net-certutil -Q)";
	if (strcmp(reason, "cluster_name_mismatch") == 0)
		return "the certificate was made for another cluster name: make it again with the cluster's totem.cluster_name "
		       "(pvecm qdevice setup, or corosync-qdevice-net-certutil -Q -n <cluster_name>)";
	if (strcmp(reason, "expired") == 0 || strcmp(reason, "not_yet_valid") == 0)
		return "compare the clocks of the nodes and this arbiter (certificates are checked against them); an expired node "
		       "certificate is made again by pvecm qdevice setup";
	if (strcmp(reason, "missing") == 0)
		return "the node sent no client certificate: run pvecm qdevice setup (or corosync-qdevice-net-certutil -Q) on that "
		       "cluster so every node has 'Cluster Cert'";
	return "journalctl -u corosync-qnetd -b names each refused client and NSS's reason";
}

static void check_cert_rejections(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!status_usable(in)) {
		diag_add(r, "cert-rejections", DIAG_SKIP, NULL, "corosync-qnetd's status is not available");
		return;
	}
	const char *tls = str_at(in->status, "tls");
	if (tls != NULL && strcmp(tls, "off") == 0) {
		diag_add(r, "cert-rejections", DIAG_OK, NULL, "TLS is off: no client certificate is checked");
		return;
	}
	const json_t *rej = json_object_get(in->status, "client_cert_rejections");
	if (!json_is_object(rej)) {
		diag_add(r, "cert-rejections", DIAG_SKIP, NULL, "this corosync-qnetd does not report certificate rejections");
		return;
	}
	long long recent = qnetd_health_int(rej, "last_hour"), total = qnetd_health_int(rej, "total");
	if (recent == 0) {
		diag_add(r, "cert-rejections", DIAG_OK, NULL, "no client certificate refused in the last hour (%lld since the start)", total);
		return;
	}
	long long most;
	const char *reason = qnetd_health_top_reason(json_object_get(rej, "by_reason"), &most);
	char when[64];
	diag_add(r, "cert-rejections", DIAG_WARN, rejection_fix(reason),
		 "%lld client certificate%s refused in the last hour, the latest at %s; the most common reason since the start: %s (%lld of %lld)",
		 recent, plural(recent), text_of(str_at(rej, "last"), when, sizeof(when)), reason[0] != '\0' ? reason : "?", most, total);
}

/* ---- clock ---- */

static void check_clock(const struct qnetd_diag_input *in, struct diag_report *r)
{
	if (!in->clock_read) {
		diag_add(r, "clock", DIAG_SKIP, NULL, "the kernel's clock state could not be read (%s)", in->clock_error);
		return;
	}
	if ((in->clock_status & STA_UNSYNC) != 0 || in->clock_state == TIME_ERROR) {
		diag_add(r, "clock", DIAG_WARN,
			 "enable time synchronisation: systemctl enable --now systemd-timesyncd (or install chrony); certificates are checked against this clock",
			 "the kernel's clock is not synchronised (%s; maximum error %ld ms)",
			 (in->clock_status & STA_UNSYNC) != 0 ? "STA_UNSYNC" : "TIME_ERROR", in->clock_maxerror_us / 1000);
		return;
	}
	diag_add(r, "clock", DIAG_OK, NULL, "the kernel's clock is synchronised (estimated error %ld ms, maximum %ld ms)",
		 in->clock_esterror_us / 1000, in->clock_maxerror_us / 1000);
}

void qnetd_diagnose(const struct qnetd_diag_input *in, struct diag_report *out)
{
	diag_report_init(out);
	check_running(in, out);
	check_nssdb(in, out);
	check_listener(in, out);
	check_plaintext(in, out);
	check_cluster_nodes(in, out);
	check_conflicts(in, out);
	check_cert_rejections(in, out);
	check_clock(in, out);
}

/* ---- -P: this arbiter before pvecm qdevice setup (doc/diagnose.md §7) ---- */

static void check_ssh_root_login(const struct qnetd_setup_input *s, struct diag_report *r)
{
	static const char *const key_fix =
		"from the node that runs the setup: ssh-copy-id root@<this arbiter> while passwords are allowed, or add that node's /root/.ssh/id_rsa.pub to root's authorized_keys here";
	if (!s->sshd_read) {
		diag_add(r, "ssh-root-login", DIAG_FAIL, "apt install openssh-server (pvecm qdevice setup logs in here as root over SSH)",
			 "no SSH server settings could be read (%s)", s->sshd_error);
		return;
	}
	const char *p = s->permit_root_login;
	if (strcmp(p, "no") == 0 || strcmp(p, "forced-commands-only") == 0) {
		diag_add(r, "ssh-root-login", DIAG_FAIL,
			 "set PermitRootLogin prohibit-password (with the node's key) or yes in /etc/ssh/sshd_config, then systemctl reload ssh",
			 "the SSH server has PermitRootLogin %s: pvecm qdevice setup runs its commands here as root", p);
		return;
	}
	bool passwords = strcmp(p, "yes") == 0 && (s->password_authentication || s->kbd_interactive_authentication);
	if (passwords) {
		diag_add(r, "ssh-root-login", DIAG_OK, NULL,
			 "root may log in with a password (the setup's ssh-copy-id asks for it once) or a key (%zu in root's authorized keys)",
			 s->root_keys);
		return;
	}
	if (!s->keys_read || s->root_keys == 0) {
		diag_add(r, "ssh-root-login", DIAG_FAIL, key_fix,
			 "root may log in with a key only (PermitRootLogin %s%s) and root's authorized keys %s: the setup's ssh-copy-id cannot log in",
			 p, strcmp(p, "yes") == 0 ? ", passwords off" : "", s->keys_read ? "hold none" : "could not be read");
		return;
	}
	diag_add(r, "ssh-root-login", DIAG_OK, NULL,
		 "root may log in with a key only (PermitRootLogin %s%s): the setup works from a node whose key is among the %zu in root's authorized keys",
		 p, strcmp(p, "yes") == 0 ? ", passwords off" : "", s->root_keys);
}

static void check_certutil(const struct qnetd_setup_input *s, struct diag_report *r)
{
	if (!s->certutil_found) {
		diag_add(r, "certutil", DIAG_FAIL, "apt install corosync-qnetd (it brings corosync-qnetd-certutil)",
			 "corosync-qnetd-certutil is not in PATH: the setup runs it here to create the CA and sign the cluster's certificate");
		return;
	}
	diag_add(r, "certutil", DIAG_OK, NULL, "corosync-qnetd-certutil is in PATH");
}

static void check_cluster_name(const struct qnetd_diag_input *in, const struct qnetd_setup_input *s, struct diag_report *r)
{
	if (s->cluster_name == NULL) {
		diag_add(r, "cluster-name", DIAG_SKIP, NULL,
			 "no cluster name given: -c <totem.cluster_name> checks that no other cluster of that name uses this arbiter");
		return;
	}
	long long clients = 0;
	char nodes[160] = "";
	if (status_usable(in)) {
		size_t i, k;
		const json_t *cluster, *client;
		json_array_foreach(json_object_get(in->status, "clusters"), i, cluster) {
			const char *name = str_at(cluster, "name");
			if (name == NULL || strcmp(name, s->cluster_name) != 0 || json_object_get(cluster, "name_hex") != NULL)
				continue;
			clients = qnetd_health_int(cluster, "client_count");
			json_array_foreach(json_object_get(cluster, "clients"), k, client)
				diag_appendf(nodes, sizeof(nodes), "%s%lld", nodes[0] != '\0' ? ", " : "", qnetd_health_int(client, "node_id"));
		}
	}
	if (clients > 0) {
		diag_add(r, "cluster-name", DIAG_WARN,
			 "if another cluster: give the new one another totem.cluster_name, or its own arbiter; if this is the same cluster set up again, nothing to change",
			 "a cluster named \"%s\" already uses this arbiter (%lld client%s, nodes %s): a second cluster of that name would clash with it",
			 s->cluster_name, clients, clients == 1 ? "" : "s", nodes);
		return;
	}
	if (s->cluster_cert_exists) {
		char when[TIMEFMT_RFC3339_LEN];
		timefmt_rfc3339(s->cluster_cert_mtime_ms, when);
		diag_add(r, "cluster-name", DIAG_OK, NULL,
			 "no client of a cluster named \"%s\" is connected; its certificate was signed here before (%s), the setup signs a new one",
			 s->cluster_name, when);
		return;
	}
	diag_add(r, "cluster-name", DIAG_OK, NULL, "no cluster named \"%s\" uses this arbiter yet", s->cluster_name);
}

void qnetd_preflight(const struct qnetd_diag_input *in, const struct qnetd_setup_input *s, struct diag_report *out)
{
	diag_report_init(out);
	check_running(in, out);
	check_nssdb(in, out);
	check_listener(in, out);
	check_ssh_root_login(s, out);
	check_certutil(s, out);
	check_cluster_name(in, s, out);
}

/* ---- /proc/net/tcp ---- */

/* n hex digits at *p as a number; advances *p. -1 when they are not all hex digits. */
static int hex_field(const char **p, const char *end, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	if ((size_t)(end - *p) < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = (*p)[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*p += n;
	*out = v;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/*
 * One table line: "  N: LOCAL:PORT REMOTE:PORT ST ...". The kernel prints each 32-bit word of an
 * address as the hex of its value in host order, so reading the words back into memory in host
 * order gives the address bytes in network order again.
 */
static void parse_line(const char *p, const char *end, int family, uint16_t port, struct qnetd_diag_input *in)
{
	size_t words = family == AF_INET ? 1 : 4;
	struct qnetd_diag_listener l = {.family = family};
	uint32_t v;
	skip_spaces(&p, end);
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p >= end || *p++ != ':')
		return;
	skip_spaces(&p, end);
	for (size_t w = 0; w < words; w++) {
		if (hex_field(&p, end, 8, &v) != 0)
			return;
		memcpy(l.addr + 4 * w, &v, 4);
	}
	if (p >= end || *p++ != ':' || hex_field(&p, end, 4, &v) != 0)
		return;
	l.port = (uint16_t)v;
	skip_spaces(&p, end);
	while (p < end && *p != ' ')
		p++;
	skip_spaces(&p, end);
	/* 0A is TCP_LISTEN. */
	if (hex_field(&p, end, 2, &v) != 0 || v != 0x0a)
		return;
	if ((port != 0 && l.port != port) || in->listener_count >= QNETD_DIAG_MAX_LISTENERS)
		return;
	in->listeners[in->listener_count++] = l;
}

int qnetd_diag_parse_proc_net_tcp(const char *text, size_t len, int family, uint16_t port, struct qnetd_diag_input *in)
{
	const char *p = text, *end = text + len;
	if (family != AF_INET && family != AF_INET6)
		return -1;
	skip_spaces(&p, end);
	if (end - p < 3 || memcmp(p, "sl ", 3) != 0)
		return -1;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	while (nl != NULL && nl + 1 < end) {
		const char *line = nl + 1;
		nl = memchr(line, '\n', (size_t)(end - line));
		parse_line(line, nl != NULL ? nl : end, family, port, in);
	}
	return 0;
}
