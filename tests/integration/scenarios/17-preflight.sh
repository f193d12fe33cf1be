#!/usr/bin/env bash
# Scenario 17: the checks before pvecm qdevice setup on a 2-node cluster without a device - corosync-qdevice-tool -P ARBITER (healthy, a stale node database, root SSH refused by the arbiter and by a node, a node offline, after the setup) and corosync-qnetd-tool -P on the arbiter (root login by key without a key, the cluster name taken).
# SSH goes through lib/qdi-ssh, a stand-in that runs the command in the target host's namespace
# (no sshd runs in the test namespaces); the tool's parsing and decisions are what is tested.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit QDI_DEVICE=0
qdi_begin 17-preflight "${QDI_SCENARIO_TIMEOUT:-240}"
if [[ $QDEVICE_TOOL_BIN == "$QDI_UPSTREAM_QDEVICE_TOOL_BIN" ]]; then
    qdi_log "-P is a feature of our corosync-qdevice-tool"
    exit 77
fi
qdi_net_create
qdi_hosts_create
qdi_write_conf
qdi_start_qnetd
qdi_mark
for h in $(qdi_nodes); do qdi_start_corosync "$h"; done
qdi_await membership_seconds 60 qdi_all qdi_p_all_members
qdi_ssh_standin
arb=$(qdi_ip arb)
nodedb() { echo "$(qdi_hostdir "$1")/etc/qdevice/net/nssdb"; }

# The arbiter's side (corosync-qnetd-tool -P): its SSH server's settings come from a stand-in for
# "sshd -T" (no sshd is installed here), root's keys from a file of this run.
sshd_says() { # PERMITROOTLOGIN PASSWORDS(yes/no)
    printf '#!/bin/sh\n[ "$1" = -T ] || exit 1\nprintf "port 22\\npermitrootlogin %s\\npasswordauthentication %s\\nkbdinteractiveauthentication no\\nauthorizedkeysfile %s\\n"\n' \
        "$1" "$2" "$QDI_RUN/root-authorized-keys" >"$QDI_RUN/sshd-standin"
    chmod +x "$QDI_RUN/sshd-standin"
}
: >"$QDI_RUN/root-authorized-keys"
# arb_preflight WANT_RC FAIL_IDS WARN_IDS [-c NAME]: corosync-qnetd-tool -P on the arbiter; "clock" is not among -P's checks.
arb_preflight() {
    local want=$1 fail_ids=$2 warn_ids=$3 rc fails warns
    shift 3
    QDI_DIAG_STEP=$((QDI_DIAG_STEP + 1))
    QDI_DIAG_OUT=$QDI_RUN/log/arb-preflight.$QDI_DIAG_STEP
    qdi_hq 40 arb env QNETD_TOOL_SSHD="$QDI_RUN/sshd-standin" "$QNETD_TOOL_BIN" -P "$@" >"$QDI_DIAG_OUT" 2>&1
    rc=$?
    fails=$(sed -n 's/^FAIL \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    warns=$(sed -n 's/^WARN \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    qdi_log "arb corosync-qnetd-tool -P $*: exit $rc, FAIL: ${fails:-none}, WARN: ${warns:-none}"
    [[ $rc == "$want" && $fails == "$fail_ids" && $warns == "$warn_ids" ]] ||
        qdi_fail "arb -P $*: exit $rc FAIL '$fails' WARN '$warns', expected $want '$fail_ids' '$warn_ids': $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
}
sshd_says yes yes
arb_preflight 0 "" "" -c qdi
grep -q '^OK cluster-name: no cluster named "qdi" uses this arbiter yet' "$QDI_DIAG_OUT" || qdi_fail "cluster-name: $(grep cluster-name "$QDI_DIAG_OUT")"
sshd_says prohibit-password yes
arb_preflight 2 ssh-root-login ""
grep -q "^FAIL ssh-root-login: root may log in with a key only (PermitRootLogin prohibit-password) and root's authorized keys hold none" "$QDI_DIAG_OUT" ||
    qdi_fail "ssh-root-login: $(grep ssh-root-login "$QDI_DIAG_OUT")"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7x9wK2m4ySexample root@n1" >"$QDI_RUN/root-authorized-keys"
arb_preflight 0 "" ""
sshd_says yes yes

# Ready for the setup.
qdi_preflight n1 "$arb" 0 "" ""
grep -q "^OK ssh-nodes: root SSH without a password works to all 2 members" "$QDI_DIAG_OUT" || qdi_fail "ssh-nodes: $(grep ssh-nodes "$QDI_DIAG_OUT")"

# A node database left on n2 by an earlier setup: the setup would leave n2 with the old CA.
mkdir -p "$(nodedb n2)"
qdi_preflight n1 "$arb" 2 stale-nodedb ""
grep -q "^FAIL stale-nodedb: n2 keeps an old /etc/corosync/qdevice/net/nssdb" "$QDI_DIAG_OUT" || qdi_fail "stale-nodedb: $(grep stale-nodedb "$QDI_DIAG_OUT")"
# ... and on this node too: the setup stops at once.
mkdir -p "$(nodedb n1)"
qdi_preflight n1 "$arb" 2 stale-nodedb ""
grep -q "^FAIL stale-nodedb: this node (n1) has /etc/corosync/qdevice/net/nssdb: the setup stops" "$QDI_DIAG_OUT" ||
    qdi_fail "stale-nodedb: $(grep stale-nodedb "$QDI_DIAG_OUT")"
rm -rf "$(nodedb n1)" "$(nodedb n2)"

# Root may not log in on the arbiter; then on a node.
QDI_SSH_DENY=arb qdi_ssh_standin
qdi_preflight n1 "$arb" 2 ssh-arbiter ""
grep -q "^FAIL ssh-arbiter: root@$arb: root may not log in" "$QDI_DIAG_OUT" || qdi_fail "ssh-arbiter: $(grep ssh-arbiter "$QDI_DIAG_OUT")"
grep -q "^SKIP arbiter-commands:" "$QDI_DIAG_OUT" || qdi_fail "arbiter-commands should SKIP"
QDI_SSH_DENY=n2 qdi_ssh_standin
qdi_preflight n1 "$arb" 2 ssh-nodes ""
grep -q "^FAIL ssh-nodes: .*n2 ($(qdi_ip n2)): root may not log in" "$QDI_DIAG_OUT" || qdi_fail "ssh-nodes: $(grep ssh-nodes "$QDI_DIAG_OUT")"
QDI_SSH_DENY= qdi_ssh_standin

# n2 offline.
qdi_signal n2 corosync TERM 20 || qdi_fail "corosync on n2 was not running"
p_n1_alone() { qdi_is n1 up=1 members=1; }
qdi_await n2_down_seconds 60 p_n1_alone
qdi_preflight n1 "$arb" 2 nodes-online ""
grep -q "^FAIL nodes-online: configured nodes not in the membership: n2" "$QDI_DIAG_OUT" || qdi_fail "nodes-online: $(grep nodes-online "$QDI_DIAG_OUT")"
qdi_start_corosync n2
qdi_await membership_back_seconds 60 qdi_all qdi_p_all_members

# The setup done (pvecm's order): a device is configured now, its databases are not stale.
qdi_certs
QDI_DEVICE=1
qdi_write_conf
qdi_reload n1
for h in $(qdi_nodes); do qdi_start_qdevice "$h"; done
qdi_await qdevice_seconds 60 qdi_p_all_full
qdi_preflight n1 "$arb" 1 "" device-configured
grep -q "^OK stale-nodedb: the members' node databases belong to the configured device" "$QDI_DIAG_OUT" ||
    qdi_fail "stale-nodedb after setup: $(grep stale-nodedb "$QDI_DIAG_OUT")"
# A second setup of a cluster with this name would clash with the one now connected.
arb_preflight 1 "" cluster-name -c qdi
grep -q '^WARN cluster-name: a cluster named "qdi" already uses this arbiter (2 clients, nodes 1, 2)' "$QDI_DIAG_OUT" ||
    qdi_fail "cluster-name after setup: $(grep cluster-name "$QDI_DIAG_OUT")"
qdi_pass
