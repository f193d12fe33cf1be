#!/usr/bin/env bash
# Scenario 17: corosync-qdevice-tool -P ARBITER, the checks before pvecm qdevice setup, on a 2-node cluster without a device: healthy, a stale node database, root SSH refused by the arbiter and by a node, a node offline, then after the setup (device configured).
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
qdi_pass
