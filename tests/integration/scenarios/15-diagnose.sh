#!/usr/bin/env bash
# Scenario 15: corosync-qdevice-tool -D names each fault a user meets: 5403 dropped, TLS required on one side and off on the other, a clock before the certificates, a certificate for another cluster, the arbiter's CA created anew, two_node with a device.
# Each fault is injected the way it happens in the field, -D runs on the node, and exactly the
# expected check FAILs (doc/diagnose.md); the fault is undone and the vote comes back before the
# next. Runs with our qdevice against our qnetd and against upstream's (the probe must not depend
# on our arbiter).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 15-diagnose "${QDI_SCENARIO_TIMEOUT:-360}"
if [[ $QDEVICE_TOOL_BIN == "$QDI_UPSTREAM_QDEVICE_TOOL_BIN" ]]; then
    qdi_log "-D is a feature of our corosync-qdevice-tool"
    exit 77
fi
command -v faketime >/dev/null || qdi_fail "faketime is not installed (scripts/install-deps.sh installs it)"
qdi_cluster_up
arb_ip=$(qdi_ip arb)
arb_db=$(qdi_hostdir arb)/etc/qnetd/nssdb
n1_db=$(qdi_hostdir n1)/etc/qdevice/net/nssdb

# Healthy: nothing to report.
qdi_diagnose n1 0 "" ""

# 1. TCP 5403 dropped between n1 and the arbiter (a firewall): n1's device loses the vote, -D says
#    dropped rather than refused, and finishes in time although every SYN goes unanswered.
qdi_hx_t 10 n1 iptables -A OUTPUT -p tcp -d "$arb_ip" --dport 5403 -j DROP || qdi_fail "iptables on n1 failed"
qdi_event "n1: TCP to $arb_ip:5403 dropped"
p_n1_lost() { qdi_is n1 quorate=1 qdev_cast=0; }
qdi_await drop_seconds 60 p_n1_lost
qdi_diagnose n1 2 qnetd-reachable ""
grep -q "^FAIL qnetd-reachable: .*$arb_ip:5403 no answer (packets dropped" "$QDI_DIAG_OUT" ||
    qdi_fail "dropped packets not named: $(head -n 3 "$QDI_DIAG_OUT")"
grep -q '^SKIP tls-mode:' "$QDI_DIAG_OUT" || qdi_fail "tls-mode should SKIP without an answering arbiter"
qdi_hx_t 10 n1 iptables -D OUTPUT -p tcp -d "$arb_ip" --dport 5403 -j DROP || qdi_fail "iptables -D on n1 failed"
qdi_event "n1: TCP to $arb_ip:5403 allowed again"
qdi_await undrop_seconds 60 qdi_p_all_full

# restart_qnetd ARGS...: the arbiter restarted with other options.
restart_qnetd() {
    qdi_stop_qnetd || qdi_fail "qnetd was not running"
    qdi_spawn arb qnetd "$QNETD_BIN" -f "$@"
    qdi_wait_qnetd
}
# set_node_tls VALUE: quorum.device.net.tls on every node, reloaded, qdevices restarted as a user would.
set_node_tls() {
    QDI_NET_TLS=$1
    qdi_write_conf
    qdi_reload n1
    qdi_stop_qdevice n1 || true
    qdi_stop_qdevice n2 || true
    qdi_start_qdevice n1
    qdi_start_qdevice n2
}

# 2. The arbiter requires TLS (-s req), the nodes have tls: off. corosync-qdevice exits on an
#    incompatible TLS setting (as upstream's does), so -D finds it stopped, and tls-mode says why.
restart_qnetd -s req
set_node_tls off
p_stopped() { ! qdi_is_running n1 qdevice; }
qdi_await tls_exit_seconds 30 p_stopped
qdi_diagnose n1 2 qdevice-running,tls-mode ""
grep -q "^FAIL tls-mode: this node has TLS off .* requires TLS" "$QDI_DIAG_OUT" || qdi_fail "tls-mode text: $(grep tls-mode "$QDI_DIAG_OUT")"

# 3. The nodes require TLS, the arbiter has it off (-s off).
restart_qnetd -s off
set_node_tls required
qdi_await tls_exit_seconds 30 p_stopped
qdi_diagnose n1 2 qdevice-running,tls-mode ""
grep -q "^FAIL tls-mode: this node requires TLS .* has TLS off" "$QDI_DIAG_OUT" || qdi_fail "tls-mode text: $(grep tls-mode "$QDI_DIAG_OUT")"
restart_qnetd
set_node_tls on
qdi_await tls_back_seconds 60 qdi_p_all_full

# 4. This node's clock before the certificates' start (a board without a real-time clock): only
#    the tool's clock is moved, with faketime; the daemons keep theirs. libfaketime preloaded into
#    an AddressSanitizer binary can hang in the sanitizer's start-up (once in CI: "Unexpected
#    recursive calls to clock_gettime()", then nothing for 45 s), so this step runs the same tool
#    built without sanitizers, which scripts/run-tests.sh builds beside the tested one (<build>-gcc).
plain_tool=$QDEVICE_TOOL_BIN
grep -q __asan_init "$plain_tool" 2>/dev/null && plain_tool=${QDI_BUILD_DIR%/}-gcc/qdevice/corosync-qdevice-tool
if [[ -x $plain_tool ]] && ! grep -q __asan_init "$plain_tool"; then
    QDEVICE_TOOL_BIN=$plain_tool qdi_diagnose n1 2 cert-validity "" env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '@2020-01-01 00:00:00'
    grep -q "^FAIL cert-validity: by this node's clock (2020-01-01 .*not valid before" "$QDI_DIAG_OUT" ||
        qdi_fail "cert-validity text: $(grep cert-validity "$QDI_DIAG_OUT")"
else
    qdi_log "step 4 skipped: no corosync-qdevice-tool without AddressSanitizer at $plain_tool (libfaketime and ASan do not mix)"
fi

# 5. n1's certificate made for another cluster name (a database copied from another cluster).
mv "$n1_db" "$n1_db.good" || qdi_fail "moving n1's database away failed"
qdi_certs_node n1 othercluster
qdi_diagnose n1 2 node-cert ""
grep -q "^FAIL node-cert: this node's certificate is for cluster 'othercluster' but totem.cluster_name is 'qdi'" "$QDI_DIAG_OUT" ||
    qdi_fail "node-cert text: $(grep node-cert "$QDI_DIAG_OUT")"
rm -rf "$n1_db" && mv "$n1_db.good" "$n1_db" || qdi_fail "restoring n1's database failed"

# 6. The arbiter's database created anew (qnetd reinstalled): a new CA the nodes do not know.
qdi_stop_qnetd || qdi_fail "qnetd was not running"
mv "$arb_db" "$arb_db.good" || qdi_fail "moving the arbiter's database away failed"
_qdi_cstep 3 1 arb "$QNETD_CERTUTIL" -i
qdi_start_qnetd
qdi_wait_qnetd
p_no_device() { qdi_is "$1" quorate=1 qdev_cast=0; }
qdi_await new_ca_seconds 60 qdi_all p_no_device
qdi_diagnose n1 2 server-ca ""
grep -q "^FAIL server-ca: the arbiter.*: the arbiter.s CA was created anew" "$QDI_DIAG_OUT" ||
    qdi_fail "server-ca text: $(grep server-ca "$QDI_DIAG_OUT")"
qdi_stop_qnetd
rm -rf "$arb_db" && mv "$arb_db.good" "$arb_db" || qdi_fail "restoring the arbiter's database failed"
qdi_start_qnetd
qdi_await old_ca_seconds 60 qdi_p_all_full

# 7. two_node: 1 added next to the device.
QDI_TWO_NODE=1
qdi_write_conf
qdi_reload n1
qdi_diagnose n1 2 two-node ""
QDI_TWO_NODE=
qdi_write_conf
qdi_reload n1
qdi_await two_node_back_seconds 60 qdi_p_all_full
qdi_diagnose n1 0 "" ""

qdi_pass
