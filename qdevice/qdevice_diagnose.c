/* corosync-qdevice-tool -D: the node's checks of why the quorum device may have no vote, as plain decisions over gathered facts (doc/diagnose.md). */
#include "qdevice_diagnose.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse.h"
#include "proto.h"

enum qdevice_diag_reach qdevice_diag_reach_from_errno(int err)
{
	switch (err) {
	case 0: return QDEVICE_DIAG_REACH_OK;
	case ETIMEDOUT: return QDEVICE_DIAG_REACH_TIMEOUT;
	case ECONNREFUSED: return QDEVICE_DIAG_REACH_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN: return QDEVICE_DIAG_REACH_UNREACHABLE;
	default: return QDEVICE_DIAG_REACH_OTHER;
	}
}


static const json_t *at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	return b != NULL ? json_object_get(v, b) : v;
}

static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void check_running(const struct qdevice_diag_input *in, struct diag_report *r)
{
	if (!in->daemon_answered) {
		diag_add(r, "qdevice-running", DIAG_FAIL,
		    "systemctl start corosync-qdevice; if it stops again, journalctl -u corosync-qdevice -b says why",
		    "corosync-qdevice does not answer on its local socket (%s)%s%s%s", in->daemon_error,
		    in->daemon_last_error[0] != '\0' ? "; its last error in the journal: \"" : "", in->daemon_last_error,
		    in->daemon_last_error[0] != '\0' ? "\"" : "");
		return;
	}
	if (in->status == NULL) {
		diag_add(r, "qdevice-running", DIAG_WARN, "install the corosync-qdevice of this project on every node",
		    "corosync-qdevice answers but has no JSON status (an upstream corosync-qdevice?); the other checks use corosync's configuration only");
		return;
	}
	diag_add(r, "qdevice-running", DIAG_OK, NULL, "corosync-qdevice answers; its connection to qnetd is %s",
	    str_or(at(in->status, "net", "state"), "unknown"));
}

static const char *reach_text(enum qdevice_diag_reach reach)
{
	switch (reach) {
	case QDEVICE_DIAG_REACH_OK: return "connected";
	case QDEVICE_DIAG_REACH_TIMEOUT: return "no answer (packets dropped, a firewall?)";
	case QDEVICE_DIAG_REACH_REFUSED: return "refused (the host answers, nothing listens on the port)";
	case QDEVICE_DIAG_REACH_UNREACHABLE: return "unreachable (no route, or rejected)";
	case QDEVICE_DIAG_REACH_OTHER: return "failed";
	}
	return "failed";
}

/* An address answered as a qnetd does: connected and a PREINIT_REPLY came back. */
static bool addr_answers(const struct qdevice_diag_addr *a)
{
	return a->reach == QDEVICE_DIAG_REACH_OK && a->probe.preinit_reply;
}

/* Two addresses that presented different server certificates, or false. */
static bool arbiters_differ(const struct qdevice_diag_input *in, size_t *first, size_t *other)
{
	for (size_t i = 0; i < in->addr_count; i++) {
		if (!in->addrs[i].probe.server_cert.present)
			continue;
		for (size_t j = i + 1; j < in->addr_count; j++)
			if (in->addrs[j].probe.server_cert.present &&
			    strcmp(in->addrs[i].probe.server_cert.sha256, in->addrs[j].probe.server_cert.sha256) != 0) {
				*first = i;
				*other = j;
				return true;
			}
	}
	return false;
}

static void check_reachable(const struct qdevice_diag_input *in, struct diag_report *r)
{
	if (!in->cmap_read || in->host[0] == '\0') {
		diag_add(r, "qnetd-reachable", DIAG_SKIP, NULL, "the arbiter's address is unknown (%s)",
		    in->cmap_read ? "quorum.device.net.host is not set" : in->cmap_error);
		return;
	}
	if (!in->resolved) {
		diag_add(r, "qnetd-reachable", DIAG_FAIL,
		    "correct quorum.device.net.host in /etc/corosync/corosync.conf, or the name in DNS or /etc/hosts",
		    "%s does not resolve: %s", in->host, in->resolve_error);
		return;
	}
	size_t ok = 0, silent = 0;
	enum qdevice_diag_reach worst = QDEVICE_DIAG_REACH_OK;
	char list[DIAG_TEXT_MAX - 128] = "";
	for (size_t i = 0; i < in->addr_count; i++) {
		const struct qdevice_diag_addr *a = &in->addrs[i];
		if (addr_answers(a))
			ok++;
		else if (a->reach == QDEVICE_DIAG_REACH_OK)
			silent++;
		else if (worst == QDEVICE_DIAG_REACH_OK)
			worst = a->reach;
		diag_appendf(list, sizeof(list), "%s%s:%u %s", i > 0 ? "; " : "", a->text, (unsigned)in->port,
			 a->reach != QDEVICE_DIAG_REACH_OK ? reach_text(a->reach)
			 : a->probe.preinit_reply ? "answers as a qnetd" : "connected, ");
		if (a->reach == QDEVICE_DIAG_REACH_OK && !a->probe.preinit_reply)
			diag_appendf(list, sizeof(list), "but %s", a->probe.protocol_error);
	}
	if (in->addrs_not_tried > 0)
		diag_appendf(list, sizeof(list), "; %zu more address%s not tried (time limit)", in->addrs_not_tried,
			 in->addrs_not_tried == 1 ? "" : "es");
	size_t first = 0, other = 0;
	if (ok == in->addr_count && in->addrs_not_tried == 0) {
		if (arbiters_differ(in, &first, &other))
			diag_add(r, "qnetd-reachable", DIAG_WARN,
			    "set quorum.device.net.host to one arbiter: an address, or a name whose every address is that arbiter",
			    "%s: %s; but %s and %s present different server certificates: they are different arbiters, and nodes that reach different ones can both get a vote",
			    in->host, list, in->addrs[first].text, in->addrs[other].text);
		else
			diag_add(r, "qnetd-reachable", DIAG_OK, NULL, "%s: %s", in->host, list);
		return;
	}
	const char *fix;
	if (silent > 0 && worst == QDEVICE_DIAG_REACH_OK) {
		fix = "make sure corosync-qnetd (not another service) listens on the port, and that nothing in the way cuts the connection: on the arbiter, corosync-qnetd-tool -D";
	} else {
		switch (worst) {
		case QDEVICE_DIAG_REACH_TIMEOUT:
			fix = "allow TCP port 5403 (qnetd is TCP only, not UDP) from this node to the arbiter in every firewall on the way";
			break;
		case QDEVICE_DIAG_REACH_REFUSED:
			fix = "on the arbiter: systemctl status corosync-qnetd, and corosync-qnetd-tool -s for the address it listens on";
			break;
		case QDEVICE_DIAG_REACH_UNREACHABLE:
			fix = "check the route to the arbiter (ip route get <address>) and firewall REJECT rules";
			break;
		default:
			fix = "check the network between this node and the arbiter";
			break;
		}
	}
	diag_add(r, "qnetd-reachable", ok > 0 ? DIAG_WARN : DIAG_FAIL, fix, "%s: %s%s", in->host, list,
	    ok > 0 ? " (corosync-qdevice tries the addresses in order: a dead one first costs a connect timeout)" : "");
}

int qdevice_diag_configured_tls(const char *tls)
{
	bool b;
	if (tls[0] == '\0')
		return PROTO_TLS_SUPPORTED;
	if (strcasecmp(tls, "required") == 0)
		return PROTO_TLS_REQUIRED;
	if (parse_bool(tls, &b) == 0)
		return b ? PROTO_TLS_SUPPORTED : PROTO_TLS_UNSUPPORTED;
	return -1;
}

static int configured_tls(const struct qdevice_diag_input *in)
{
	return qdevice_diag_configured_tls(in->tls);
}

static const char *tls_word(int mode)
{
	switch (mode) {
	case PROTO_TLS_UNSUPPORTED: return "off";
	case PROTO_TLS_SUPPORTED: return "on";
	case PROTO_TLS_REQUIRED: return "required";
	}
	return "?";
}

/* The first address that answered PREINIT, or NULL. */
static const struct qdevice_diag_addr *answering(const struct qdevice_diag_input *in)
{
	for (size_t i = 0; i < in->addr_count; i++)
		if (addr_answers(&in->addrs[i]))
			return &in->addrs[i];
	return NULL;
}

/* TLS will be used on the connection: both sides have it, and neither refuses the other. */
static bool tls_used(const struct qdevice_diag_input *in, const struct qdevice_diag_addr *a)
{
	int node = configured_tls(in);
	return a != NULL && node > PROTO_TLS_UNSUPPORTED && a->probe.server_tls != PROTO_TLS_UNSUPPORTED;
}

static void check_tls_mode(const struct qdevice_diag_input *in, struct diag_report *r)
{
	int node = configured_tls(in);
	if (in->cmap_read && node < 0) {
		diag_add(r, "tls-mode", DIAG_FAIL,
		    "set tls to on, off or required in the quorum { device { net { } } } section, then corosync-cfgtool -R",
		    "quorum.device.net.tls is '%s': corosync-qdevice refuses it", in->tls);
		return;
	}
	const struct qdevice_diag_addr *a = answering(in);
	if (!in->cmap_read || a == NULL) {
		diag_add(r, "tls-mode", DIAG_SKIP, NULL, "%s",
		    !in->cmap_read ? in->cmap_error : "no address of the arbiter answered PREINIT (qnetd-reachable)");
		return;
	}
	uint8_t server = a->probe.server_tls;
	const char *server_text = server == PROTO_TLS_UNSUPPORTED ? "has TLS off (-s off)"
				  : server == PROTO_TLS_REQUIRED ? "requires TLS (-s req)" : "offers TLS (-s on)";
	if (node == PROTO_TLS_REQUIRED && server == PROTO_TLS_UNSUPPORTED) {
		diag_add(r, "tls-mode", DIAG_FAIL,
		    "start corosync-qnetd with TLS (-s on or -s req, in COROSYNC_QNETD_OPTIONS of /etc/default/corosync-qnetd), or set tls: on here",
		    "this node requires TLS (quorum.device.net.tls: required) but the arbiter %s: corosync-qdevice refuses to connect", server_text);
		return;
	}
	if (node == PROTO_TLS_UNSUPPORTED && server == PROTO_TLS_REQUIRED) {
		diag_add(r, "tls-mode", DIAG_FAIL,
		    "set tls: on in the quorum { device { net { } } } section of /etc/corosync/corosync.conf on every node (with the certificates of pvecm qdevice setup), then corosync-cfgtool -R",
		    "this node has TLS off (quorum.device.net.tls: off) but the arbiter %s: corosync-qdevice refuses to connect", server_text);
		return;
	}
	if (server == PROTO_TLS_UNSUPPORTED) {
		diag_add(r, "tls-mode", DIAG_WARN,
		    "start corosync-qnetd with -s on or -s req (COROSYNC_QNETD_OPTIONS in /etc/default/corosync-qnetd) and set tls: required on the nodes",
		    "the arbiter %s: the connection is plaintext, so anyone on the path can forge the vote", server_text);
		return;
	}
	if (node == PROTO_TLS_UNSUPPORTED) {
		diag_add(r, "tls-mode", DIAG_WARN,
		    "set tls: on (or required) in the quorum { device { net { } } } section, then corosync-cfgtool -R",
		    "this node has TLS off while the arbiter %s: the connection is plaintext, so anyone on the path can forge the vote", server_text);
		return;
	}
	diag_add(r, "tls-mode", DIAG_OK, NULL, "this node has tls %s and the arbiter %s%s: TLS is used", tls_word(node), server_text,
	    a->probe.server_wants_client_cert ? ", with a client certificate" : "");
}

static const char *cert_name(const struct qdevice_diag_cert *c)
{
	return c->subject[0] != '\0' ? c->subject : "(no subject)";
}

/* Why the probe's TLS part did not reach the server certificate, for SKIP lines. */
static bool tls_skip_reason(const struct qdevice_diag_input *in, const struct qdevice_diag_addr *a, char *why, size_t len)
{
	if (a == NULL) {
		snprintf(why, len, "%s", !in->cmap_read ? in->cmap_error : "no address of the arbiter answered PREINIT (qnetd-reachable)");
		return true;
	}
	if (!tls_used(in, a)) {
		snprintf(why, len, "TLS is not used on this connection (tls-mode)");
		return true;
	}
	if (!in->db.opened) {
		snprintf(why, len, "this node's certificate database could not be opened (node-cert)");
		return true;
	}
	if (!a->probe.server_cert.present && a->probe.server_verify != QDEVICE_DIAG_VERIFY_REUSED_CA) {
		snprintf(why, len, "the TLS handshake ended before the server's certificate: %s",
			 a->probe.tls_error[0] != '\0' ? a->probe.tls_error : "no reason given");
		return true;
	}
	return false;
}

static void day_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static const char *const SETUP_AGAIN =
	"run pvecm qdevice setup <arbiter> --force again (or by hand: copy /etc/corosync/qnetd/nssdb/qnetd-cacert.crt from the arbiter, corosync-qdevice-net-certutil -i -c qnetd-cacert.crt on every node, and give each cluster a new certificate)";

static void check_server_ca(const struct qdevice_diag_input *in, struct diag_report *r)
{
	const struct qdevice_diag_addr *a = answering(in);
	char why[256];
	if (tls_skip_reason(in, a, why, sizeof(why))) {
		diag_add(r, "server-ca", DIAG_SKIP, NULL, "%s", why);
		return;
	}
	const struct qdevice_diag_probe *p = &a->probe;
	char cas[200] = "";
	for (size_t i = 0; i < in->db.ca_count; i++)
		diag_appendf(cas, sizeof(cas), "%s%s", i > 0 ? "; " : "", cert_name(&in->db.cas[i]));
	switch (p->server_verify) {
	case QDEVICE_DIAG_VERIFY_OK:
		diag_add(r, "server-ca", DIAG_OK, NULL, "the arbiter's certificate (%s) is issued by %s, a CA of this node's database",
		    cert_name(&p->server_cert), p->server_cert.issuer);
		return;
	case QDEVICE_DIAG_VERIFY_UNKNOWN_ISSUER:
		for (size_t i = 0; i < in->db.ca_count; i++) {
			if (strcmp(in->db.cas[i].subject, p->server_cert.issuer) != 0)
				continue;
			char made[40];
			day_text(in->db.cas[i].not_before, made, sizeof(made));
			diag_add(r, "server-ca", DIAG_FAIL, SETUP_AGAIN,
			    "the arbiter's certificate (%s) names %s as its issuer, but its signature does not verify with the CA of that name in this node's database (made %s): the arbiter's CA was created anew (qnetd reinstalled?)",
			    cert_name(&p->server_cert), p->server_cert.issuer, made);
			return;
		}
		diag_add(r, "server-ca", DIAG_FAIL, SETUP_AGAIN,
		    "the arbiter's certificate (%s, issued by %s) is not issued by a CA in this node's database (%s): the arbiter's CA was created anew (qnetd reinstalled?), or another arbiter answers",
		    cert_name(&p->server_cert), p->server_cert.issuer, cas[0] != '\0' ? cas : "it holds no CA");
		return;
	case QDEVICE_DIAG_VERIFY_REUSED_CA:
		diag_add(r, "server-ca", DIAG_FAIL, SETUP_AGAIN,
		    "the arbiter sent a CA certificate with the name and serial number of this node's CA (%s) but other contents: the arbiter's CA was created anew (qnetd reinstalled?)",
		    in->db.ca_count > 0 ? cert_name(&in->db.cas[0]) : "?");
		return;
	case QDEVICE_DIAG_VERIFY_BAD_NAME:
		diag_add(r, "server-ca", DIAG_FAIL,
		    "on the arbiter, let corosync-qnetd-certutil -i create the server certificate (its name must be Qnetd Server)",
		    "the arbiter's certificate (%s) is issued by a CA of this node, but not for the name Qnetd Server that corosync-qdevice checks",
		    cert_name(&p->server_cert));
		return;
	default:
		diag_add(r, "server-ca", DIAG_FAIL, SETUP_AGAIN, "the arbiter's certificate (%s) does not verify: %s",
		    cert_name(&p->server_cert), p->verify_error[0] != '\0' ? p->verify_error : "unknown error");
		return;
	}
}

static const char *const NEW_NODE_CERT =
	"run pvecm qdevice setup <arbiter> --force again (by hand: corosync-qdevice-net-certutil -r -n <cluster name> on one node, corosync-qnetd-certutil -s on the arbiter, corosync-qdevice-net-certutil -M -c cluster-<cluster name>.crt and copy the .p12 to every node)";

static void check_node_cert(const struct qdevice_diag_input *in, struct diag_report *r)
{
	const struct qdevice_diag_addr *a = answering(in);
	if (a == NULL || !tls_used(in, a)) {
		diag_add(r, "node-cert", DIAG_SKIP, NULL, "%s",
		    a == NULL ? (!in->cmap_read ? in->cmap_error : "no address of the arbiter answered PREINIT (qnetd-reachable)")
			      : "TLS is not used on this connection: no certificate is needed (tls-mode)");
		return;
	}
	const struct qdevice_diag_node_db *db = &in->db;
	if (!db->opened) {
		if (db->unreadable)
			diag_add(r, "node-cert", DIAG_SKIP, NULL, "this node's certificate database is not readable by this user (%s): run as root", db->error);
		else
			diag_add(r, "node-cert", DIAG_FAIL, SETUP_AGAIN, "this node has no usable certificate database: %s", db->error);
		return;
	}
	bool wanted = a->probe.server_wants_client_cert;
	if (!db->cert.present || !db->key_found) {
		const char *what = !db->cert.present ? "no certificate named Cluster Cert" : "the certificate Cluster Cert but not its private key";
		if (wanted)
			diag_add(r, "node-cert", DIAG_FAIL, NEW_NODE_CERT,
			    "the arbiter requires a client certificate and this node's database holds %s", what);
		else
			diag_add(r, "node-cert", DIAG_OK, NULL,
			    "this node's database holds %s, and the arbiter does not ask for one", what);
		return;
	}
	if (strcmp(db->cert.common_name, in->cluster_name) != 0) {
		diag_add(r, "node-cert", wanted ? DIAG_FAIL : DIAG_WARN, NEW_NODE_CERT,
		    "this node's certificate is for cluster '%s' but totem.cluster_name is '%s': %s", db->cert.common_name,
		    in->cluster_name, wanted ? "the arbiter refuses it when the node joins" : "an arbiter that checks client certificates (-c on) refuses it");
		return;
	}
	if (a->probe.client_cert_refused) {
		if (a->probe.server_verify == QDEVICE_DIAG_VERIFY_UNKNOWN_ISSUER || a->probe.server_verify == QDEVICE_DIAG_VERIFY_REUSED_CA)
			diag_add(r, "node-cert", DIAG_SKIP, NULL,
			    "the arbiter refused this node's certificate too (%s), as it does once its CA is new (server-ca)", a->probe.tls_error);
		else
			diag_add(r, "node-cert", DIAG_FAIL, NEW_NODE_CERT,
			    "the arbiter refused this node's certificate (%s) in the TLS handshake: it is not issued by the arbiter's CA, or not valid by the arbiter's clock",
			    a->probe.tls_error);
		return;
	}
	diag_add(r, "node-cert", DIAG_OK, NULL, "Cluster Cert (%s) matches totem.cluster_name%s", cert_name(&db->cert),
	    a->probe.handshake_ok && a->probe.client_cert_sent ? "; the arbiter accepted it in a TLS handshake" : "");
}

#define CERT_SOON_S (30 * 24 * 3600)

enum cert_role { ROLE_NODE, ROLE_CA, ROLE_SERVER };

/* One certificate's dates against this node's clock; the worst state so far is kept in *worst. */
static void judge_cert(const struct qdevice_diag_input *in, const struct qdevice_diag_cert *c, const char *label,
		       enum cert_role role, bool accepted_by_peer, enum diag_state *worst, char *found, size_t flen,
		       const char **fix)
{
	char day[40];
	if (!c->present)
		return;
	if (in->now < c->not_before) {
		day_text(c->not_before, day, sizeof(day));
		diag_appendf(found, flen, "%s%s is not valid before %s", found[0] != '\0' ? "; " : "", label, day);
		*worst = DIAG_FAIL;
		*fix = "set this node's clock right (timedatectl; enable systemd-timesyncd or chrony): a board without a battery-backed clock starts in the past";
		return;
	}
	if (in->now > c->not_after) {
		day_text(c->not_after, day, sizeof(day));
		/* corosync-qdevice accepts an arbiter's expired certificate from its CA; the arbiter judges ours. */
		bool fatal = role == ROLE_NODE && !accepted_by_peer;
		diag_appendf(found, flen, "%s%s expired on %s%s", found[0] != '\0' ? "; " : "", label, day,
			 role == ROLE_SERVER ? " (corosync-qdevice still accepts it from its CA)"
			 : role == ROLE_NODE && accepted_by_peer ? " (the arbiter still accepts it)" : "");
		if (fatal) {
			*worst = DIAG_FAIL;
			*fix = NEW_NODE_CERT;
		} else if (*worst < DIAG_WARN) {
			*worst = DIAG_WARN;
			*fix = role == ROLE_SERVER ? "on the arbiter, create a new server certificate from its CA (corosync-qnetd-certutil)" : NEW_NODE_CERT;
		}
		return;
	}
	if (c->not_after - in->now < CERT_SOON_S) {
		day_text(c->not_after, day, sizeof(day));
		diag_appendf(found, flen, "%s%s expires on %s", found[0] != '\0' ? "; " : "", label, day);
		if (*worst < DIAG_WARN) {
			*worst = DIAG_WARN;
			*fix = role == ROLE_SERVER ? "on the arbiter, create a new server certificate from its CA (corosync-qnetd-certutil)" : NEW_NODE_CERT;
		}
	}
}

static void check_cert_validity(const struct qdevice_diag_input *in, struct diag_report *r)
{
	const struct qdevice_diag_addr *a = answering(in);
	if (a == NULL || !tls_used(in, a) || !in->db.opened) {
		diag_add(r, "cert-validity", DIAG_SKIP, NULL, "%s",
		    a == NULL ? (!in->cmap_read ? in->cmap_error : "no address of the arbiter answered PREINIT (qnetd-reachable)")
		    : !tls_used(in, a) ? "TLS is not used on this connection (tls-mode)"
				       : "this node's certificate database could not be opened (node-cert)");
		return;
	}
	enum diag_state worst = DIAG_OK;
	char found[DIAG_TEXT_MAX - 128] = "";
	const char *fix = NULL;
	bool peer_accepted = a->probe.handshake_ok && a->probe.client_cert_sent && !a->probe.client_cert_refused;
	judge_cert(in, &in->db.cert, "this node's certificate", ROLE_NODE, peer_accepted, &worst, found, sizeof(found), &fix);
	for (size_t i = 0; i < in->db.ca_count; i++)
		judge_cert(in, &in->db.cas[i], "the CA in this node's database", ROLE_CA, true, &worst, found, sizeof(found), &fix);
	judge_cert(in, &a->probe.server_cert, "the arbiter's certificate", ROLE_SERVER, true, &worst, found, sizeof(found), &fix);
	char now[40];
	day_text(in->now, now, sizeof(now));
	if (worst == DIAG_OK) {
		diag_add(r, "cert-validity", DIAG_OK, NULL, "every certificate involved is valid by this node's clock (%s)", now);
		return;
	}
	diag_add(r, "cert-validity", worst, fix, "by this node's clock (%s): %s", now, found);
}

static void check_votes(const struct qdevice_diag_input *in, struct diag_report *r)
{
	const json_t *dv = in->status != NULL ? at(in->status, "votequorum", "device_votes") : NULL;
	bool known = json_is_integer(dv);
	long long votes = known ? (long long)json_integer_value(dv) : 0;
	if (!known && in->cmap_read && in->votes_set) {
		known = true;
		votes = in->votes;
	}
	bool lms_default = in->cmap_read && strcmp(in->algorithm, "lms") == 0 && !in->votes_set;
	if (!known && lms_default) {
		known = true;
		votes = in->node_count > 0 ? (long long)in->node_count - 1 : 0;
	}
	if (!known) {
		diag_add(r, "qdevice-votes", DIAG_SKIP, NULL, "the device's votes are unknown (%s)",
		    in->cmap_read ? "corosync-qdevice has not said" : in->cmap_error);
		return;
	}
	if (votes == 0) {
		if (lms_default)
			diag_add(r, "qdevice-votes", DIAG_FAIL,
			    "set votes: 1 in the quorum { device { } } section of /etc/corosync/corosync.conf (on every node), then corosync-cfgtool -R",
			    "the quorum device carries 0 votes: with algorithm lms and no quorum.device.votes, corosync gives it nodes - 1 = %u - 1 = 0 votes (pvecm qdevice setup --force on an odd node count does this)",
			    in->node_count);
		else
			diag_add(r, "qdevice-votes", DIAG_FAIL,
			    "set votes in the quorum { device { } } section of /etc/corosync/corosync.conf (1 for ffsplit, nodes - 1 for lms), then corosync-cfgtool -R",
			    "the quorum device carries 0 votes");
		return;
	}
	diag_add(r, "qdevice-votes", DIAG_OK, NULL, "the quorum device carries %lld vote%s", votes, votes == 1 ? "" : "s");
}

static void check_algorithm(const struct qdevice_diag_input *in, struct diag_report *r)
{
	if (!in->cmap_read || !in->device_configured) {
		diag_add(r, "algorithm-fit", DIAG_SKIP, NULL, "%s",
		    in->cmap_read ? "no quorum device is configured" : in->cmap_error);
		return;
	}
	const char *algo = in->algorithm[0] != '\0' ? in->algorithm : "ffsplit";
	uint32_t n = in->node_count;
	if (strcmp(algo, "ffsplit") == 0 && n % 2 == 1) {
		diag_add(r, "algorithm-fit", DIAG_WARN,
		    "for an odd node count use algorithm lms (pvecm qdevice setup --force), or no quorum device: an odd cluster has no 50:50 split to break",
		    "algorithm ffsplit with %u node%s: ffsplit breaks 50:50 splits, which an odd node count does not have", n,
		    n == 1 ? "" : "s");
		return;
	}
	if (strcmp(algo, "ffsplit") == 0 && in->votes_set && in->votes != 1) {
		diag_add(r, "algorithm-fit", DIAG_FAIL, "set votes: 1 in the quorum { device { } } section, then corosync-cfgtool -R",
		    "algorithm ffsplit with quorum.device.votes %u: ffsplit needs exactly 1 (corosync-qdevice refuses to start otherwise)",
		    in->votes);
		return;
	}
	/* A one-node cluster's device needs 1 vote to count at all (nodes - 1 would be 0). */
	if (strcmp(algo, "lms") == 0 && in->votes_set && n > 0 && in->votes != (n > 1 ? n - 1 : 1)) {
		diag_add(r, "algorithm-fit", DIAG_WARN,
		    n > 1 ? "remove votes from the quorum { device { } } section (lms then gives nodes - 1), then corosync-cfgtool -R"
			  : "set votes: 1 in the quorum { device { } } section, then corosync-cfgtool -R",
		    "algorithm lms with quorum.device.votes %u on %u node%s: lms expects %s = %u, so a last node standing may not be quorate",
		    in->votes, n, n == 1 ? "" : "s", n > 1 ? "nodes - 1" : "1 on a single node", n > 1 ? n - 1 : 1);
		return;
	}
	diag_add(r, "algorithm-fit", DIAG_OK, NULL,
	    "algorithm %s with %u node%s; note that the arbiter is a single point: while it is down, a split leaves only the halves' own votes",
	    algo, n, n == 1 ? "" : "s");
}

static void check_two_node(const struct qdevice_diag_input *in, struct diag_report *r)
{
	if (!in->cmap_read) {
		diag_add(r, "two-node", DIAG_SKIP, NULL, "%s", in->cmap_error);
		return;
	}
	if (in->two_node && in->device_configured) {
		diag_add(r, "two-node", DIAG_FAIL,
		    "remove two_node: 1 from the quorum section of /etc/corosync/corosync.conf on every node (the device breaks the tie instead), then corosync-cfgtool -R",
		    "quorum.two_node is 1 together with a quorum device: votequorum does not use both");
		return;
	}
	diag_add(r, "two-node", DIAG_OK, NULL, "quorum.two_node is %s", in->two_node ? "1 (no quorum device)" : "not set");
}

static void check_vote_cast(const struct qdevice_diag_input *in, struct diag_report *r)
{
	if (in->status == NULL) {
		diag_add(r, "vote-cast", DIAG_SKIP, NULL, "corosync-qdevice's status is not available");
		return;
	}
	const char *state = str_or(at(in->status, "net", "state"), "");
	if (strcmp(state, "connected") != 0) {
		diag_add(r, "vote-cast", DIAG_SKIP, NULL, "not connected to qnetd (%s)", state);
		return;
	}
	if (json_is_true(json_object_get(in->status, "casting_vote"))) {
		diag_add(r, "vote-cast", DIAG_OK, NULL, "this node casts the quorum device's vote");
		return;
	}
	char others[160] = "";
	size_t used = 0, i;
	const json_t *node;
	json_array_foreach(at(in->status, "votequorum", "quorum_nodes"), i, node) {
		if (strcmp(str_or(json_object_get(node, "state"), ""), "member") == 0)
			continue;
		int n = snprintf(others + used, sizeof(others) - used, "%s%lld", used > 0 ? ", " : "",
				 (long long)json_integer_value(json_object_get(node, "node_id")));
		if (n > 0 && (size_t)n < sizeof(others) - used)
			used += (size_t)n;
	}
	diag_add(r, "vote-cast", DIAG_WARN,
	    "on the arbiter, corosync-qnetd-tool -l shows which partition holds the vote; heal the split, or check heuristics if they fail here",
	    "connected, but qnetd's vote for this node is %s: another partition has the device's vote%s%s",
	    str_or(at(in->status, "net", "vote"), "?"), used > 0 ? "; nodes outside this partition: " : "", others);
}

void qdevice_diagnose(const struct qdevice_diag_input *in, struct diag_report *out)
{
	diag_report_init(out);
	check_running(in, out);
	check_reachable(in, out);
	check_tls_mode(in, out);
	check_server_ca(in, out);
	check_node_cert(in, out);
	check_cert_validity(in, out);
	check_votes(in, out);
	check_algorithm(in, out);
	check_two_node(in, out);
	check_vote_cast(in, out);
}
