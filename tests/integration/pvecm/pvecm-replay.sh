#!/usr/bin/env bash
# Scenario "pvecm": replays `pvecm qdevice setup` then `pvecm qdevice remove` command by command on a 2-node cluster + arbiter.
#
# Setup must end with every node quorate with the Qdevice vote (corosync-quorumtool)
# and the arbiter listing the cluster; remove with no Qdevice anywhere,
# expected votes back to 2, the node certificate stores deleted and the
# arbiter untouched.  Programs come from QDI_COMBO / *_BIN (lib/qdi.sh);
# PVECM_ORDER (late|early) places pmxcfs's reload (pvecm.sh).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/qdi.sh"
source "$here/pvecm.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
case $PVECM_ORDER in late | early) ;; *) echo "PVECM_ORDER must be late or early, not '$PVECM_ORDER'" >&2; exit 2 ;; esac
scen=pvecm; [[ $PVECM_ORDER == early ]] && scen=pvecm-early
qdi_begin "$scen" "${QDI_SCENARIO_TIMEOUT:-300}"
L=$QDI_RUN/log
NODEDB=$PVECM_NODEDB

# A running 2-node Proxmox cluster without a device; qnetd installed and running.
pvecm_cluster_create

# ---- pvecm qdevice setup ------------------------------------------------------
pvecm_qdevice_setup "$(qdi_ip arb)"
qdi_await qdevice_seconds 60 qdi_p_all_full
qdi_hold 3 qdi_all pvecm_p_with_device
pvecm_save_views setup
pvecm_check_device_views
qdi_check_alive qdevice n1 n2

# corosync took pvecm's section: cmap has the keys pvecm wrote, and nothing else
# of quorum.device.net but defaults.
qdi_hq 5 n2 "$COROSYNC_CMAPCTL" -b quorum.device >"$L/setup.cmap.n2" 2>&1
qdi_expect_lines "$L/setup.cmap.n2" "quorum.device.model (str) = net" \
    "quorum.device.net.algorithm (str) = ffsplit" "quorum.device.net.host (str) = $(qdi_ip arb)" \
    "quorum.device.net.tls (str) = on" "quorum.device.votes (u32) = 1"
qdi_count_lines "$L/setup.cmap.n2" 5 '^quorum\.device\.'

# Files pvecm leaves behind (doc/tls.md §1.2, §1.3).
_file_on() { pvecm_x 5 "$1" test -e "$2"; }
for f in cert9.db key4.db qdevice-net-node.crq "cluster-$QDI_CLUSTER.crt" qdevice-net-node.p12; do
    _file_on n1 "$NODEDB/$f" || qdi_fail "setup: n1 lacks $NODEDB/$f"
done
for h in n1 n2; do
    pvecm_x 10 "$h" certutil -L -d "sql:$NODEDB" >"$L/setup.certs.$h" 2>&1 ||
        qdi_fail "setup: certutil -L on $h's node database failed"
    grep -Eq '^QNet CA +CT,' "$L/setup.certs.$h" || qdi_fail "setup: $h's node database lacks the trusted 'QNet CA'"
    grep -Eq '^Cluster Cert +u,u,u$' "$L/setup.certs.$h" || qdi_fail "setup: $h's node database lacks 'Cluster Cert' (u,u,u)"
    pvecm_x 10 "$h" certutil -K -d "sql:$NODEDB" -f "$NODEDB/pwdfile.txt" >"$L/setup.keys.$h" 2>&1 ||
        qdi_fail "setup: certutil -K on $h's node database failed"
    grep -q 'Cluster Cert$' "$L/setup.keys.$h" || qdi_fail "setup: $h's node database has no private key for 'Cluster Cert'"
done
for f in qnetd-cacert.crt qdevice-net-node.p12; do
    [[ -e $QDI_RUN/pve/$f ]] && qdi_fail "setup: /etc/pve/$f was not deleted"
done
_file_on arb /tmp/qdevice-net-node.crq || qdi_fail "setup: the arbiter's /tmp/qdevice-net-node.crq is missing"
_file_on arb "$PVECM_QDB/cluster-$QDI_CLUSTER.crt" || qdi_fail "setup: the arbiter lacks cluster-$QDI_CLUSTER.crt"

# ---- pvecm qdevice remove -----------------------------------------------------
pvecm_qdevice_remove
qdi_mark
qdi_await device_gone_seconds 30 qdi_all pvecm_p_without_device
qdi_hold 2 qdi_all pvecm_p_without_device
for h in n1 n2; do
    qdi_hq 5 "$h" "$COROSYNC_QUORUMTOOL" -s >"$L/remove.quorumtool.$h" 2>&1
    grep -q Qdevice "$L/remove.quorumtool.$h" && qdi_fail "remove: $h still shows a Qdevice in corosync-quorumtool -s"
    grep -Eq '^Expected votes: +2$' "$L/remove.quorumtool.$h" || qdi_fail "remove: $h: expected votes are not 2"
    qdi_hq 5 "$h" "$COROSYNC_CMAPCTL" -b quorum.device >"$L/remove.cmap.$h" 2>&1
    grep -q '^quorum\.device\.' "$L/remove.cmap.$h" && qdi_fail "remove: $h's cmap still has quorum.device keys"
    _file_on "$h" /etc/corosync/qdevice && qdi_fail "remove: /etc/corosync/qdevice still exists on $h"
    qdi_is_running "$h" qdevice && qdi_fail "remove: corosync-qdevice still runs on $h"
done
# The arbiter is not touched: its database and the cluster certificate stay.
_file_on arb "$PVECM_QDB/cluster-$QDI_CLUSTER.crt" || qdi_fail "remove: the arbiter's cluster-$QDI_CLUSTER.crt is gone"
_file_on arb "$PVECM_QDB/cert9.db" || qdi_fail "remove: the arbiter's database is gone"
# ... and no longer serves the cluster.
_qnetd_empty() {
    qdi_hq 5 arb "$QNETD_TOOL_BIN" -s >"$L/remove.qnetd-tool-s" 2>&1 &&
        grep -Fxq $'Connected clients:\t\t0' "$L/remove.qnetd-tool-s"
}
_qdi_wait_until 10 0.2 _qnetd_empty || qdi_fail "remove: qnetd still has clients (log/remove.qnetd-tool-s)"
qdi_hq 5 arb "$QNETD_TOOL_BIN" -l >"$L/remove.qnetd-tool-l" 2>&1 || qdi_fail "corosync-qnetd-tool -l failed"
grep -q "^Cluster \"$QDI_CLUSTER\":" "$L/remove.qnetd-tool-l" && qdi_fail "remove: qnetd still lists cluster $QDI_CLUSTER"
qdi_check_alive corosync n1 n2
qdi_check_alive qnetd arb
qdi_finish
