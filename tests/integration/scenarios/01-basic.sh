#!/usr/bin/env bash
# Scenario 1: 2 nodes + arbiter, ffsplit, TLS, set up the way `pvecm qdevice setup` does it;
# every node quorate with the Qdevice row (1 vote, A,V,NMW); corosync-qnetd-tool -l lists the cluster.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 01-basic "${QDI_SCENARIO_TIMEOUT:-240}"

# A running 2-node cluster without a quorum device, qnetd installed on the arbiter.
QDI_DEVICE=0
qdi_net_create
qdi_hosts_create
qdi_write_conf
qdi_start_qnetd
qdi_mark
for h in n1 n2; do qdi_start_corosync "$h"; done
qdi_wait_qnetd
qdi_await membership_seconds 60 qdi_all qdi_p_all_members
qdi_hold 1 qdi_all qdi_p_quorate

# pvecm qdevice setup: certificates (steps 3-14), corosync.conf with the
# device (15), the daemons (16), corosync-cfgtool -R (17).  pmxcfs's own
# reload of the new file comes first here, so the daemons find the keys.
qdi_certs
QDI_DEVICE=1
qdi_write_conf
qdi_mark
qdi_reload n1
qdi_await reload_seconds 20 qdi_all_expected 3
qdi_mark
for h in n1 n2; do qdi_start_qdevice "$h"; done
qdi_reload n1
qdi_await qdevice_seconds 60 qdi_p_all_full

# The state every node shows, held for 3 s.
qdi_p_basic() {
    qdi_is "$1" quorate=1 members=1,2 expected=3 total=3 quorum=2 qdev=1 qdev_votes=1 qdev_cast=1 \
        local_flags=A,V,NMW flags='1:A,V,NMW;2:A,V,NMW' vq_flags=Quorate,Qdevice
}
qdi_hold 3 qdi_all qdi_p_basic
for h in n1 n2; do
    qdi_hq 5 "$h" "$COROSYNC_QUORUMTOOL" -s >"$QDI_RUN/log/quorumtool.$h" 2>&1
    grep -Eq '^ +0 +1 +Qdevice$' "$QDI_RUN/log/quorumtool.$h" ||
        qdi_fail "$h: no 'Qdevice' row with 1 vote in corosync-quorumtool -s"
done

# The arbiter's view.
L=$QDI_RUN/log
qdi_hq 5 arb "$QNETD_TOOL_BIN" -l >"$L/qnetd-tool-l" 2>&1 || qdi_fail "corosync-qnetd-tool -l failed"
qdi_hq 5 arb "$QNETD_TOOL_BIN" -l -v >"$L/qnetd-tool-lv" 2>&1 || qdi_fail "corosync-qnetd-tool -l -v failed"
qdi_hq 5 arb "$QNETD_TOOL_BIN" -s >"$L/qnetd-tool-s" 2>&1 || qdi_fail "corosync-qnetd-tool -s failed"
T=$'\t'
qdi_expect_lines "$L/qnetd-tool-l" "Cluster \"$QDI_CLUSTER\":" \
    "    Algorithm:${T}${T}Fifty-Fifty split (KAP Tie-breaker)" \
    "    Tie-breaker:${T}Node with lowest node ID" "    Node ID 1:" "    Node ID 2:"
qdi_count_lines "$L/qnetd-tool-l" 2 "^        Configured node list:${T}1, 2\$"
qdi_count_lines "$L/qnetd-tool-l" 2 "^        Membership node list:${T}1, 2\$"
qdi_count_lines "$L/qnetd-tool-l" 2 "^        Vote:${T}${T}${T}(ACK|No change) \(ACK\)\$"
qdi_count_lines "$L/qnetd-tool-lv" 2 "^        TLS active:${T}${T}Yes \(client certificate verified\)\$"
qdi_expect_lines "$L/qnetd-tool-s" "Connected clients:${T}${T}2" "Connected clusters:${T}${T}1"

# Our qnetd's JSON status (doc/status-json.md §2), validated against its schema.
if [[ $QNETD_BIN != "$QDI_UPSTREAM_QNETD_BIN" ]]; then
    qdi_hq 5 arb "$QNETD_TOOL_BIN" -j >"$L/qnetd-tool-j" 2>&1 || qdi_fail "corosync-qnetd-tool -j failed"
    python3 "$QDI_LIB/../json/check-json.py" "$QDI_LIB/../../../doc/schema/qnetd-status.schema.json" \
        counts.clients=2 counts.clusters=1 counts.plaintext_clients=0 tls=on \
        "clusters.0.name=$QDI_CLUSTER" clusters.0.algorithm=ffsplit clusters.0.tie_breaker.mode=lowest \
        clusters.0.kap_tie_breaker=true clusters.0.configured_nodes='[1,2]' clusters.0.missing_nodes='[]' \
        clusters.0.acked_partitions=1 clusters.0.clients.0.node_id=1 clusters.0.clients.1.node_id=2 \
        clusters.0.clients.0.client_cert_verified=true clusters.0.clients.1.membership='[1,2]' \
        clusters.0.clients.0.last_ack_nack_vote=ack clusters.0.clients.1.last_ack_nack_vote=ack \
        <"$L/qnetd-tool-j" >"$L/qnetd-tool-j.check" 2>&1 ||
        qdi_fail "corosync-qnetd-tool -j: $(head -n 3 "$L/qnetd-tool-j.check" | tr '\n' ' ')"
fi

# Our qdevice's JSON status (doc/status-json.md §3), validated against its schema.
if [[ $QDEVICE_BIN != "$QDI_UPSTREAM_QDEVICE_BIN" ]]; then
    for h in n1 n2; do
        qdi_hq 5 "$h" "$QDEVICE_TOOL_BIN" -j >"$L/qdevice-tool-j.$h" 2>&1 || qdi_fail "corosync-qdevice-tool -j on $h failed"
        python3 "$QDI_LIB/../json/check-json.py" "$QDI_LIB/../../../doc/schema/qdevice-status.schema.json" \
            "node_id=${h#n}" "cluster_name=$QDI_CLUSTER" net.state=connected net.tls_active=true \
            net.client_cert_sent=true net.algorithm=ffsplit net.vote=ack casting_vote=true \
            votequorum.quorate=true votequorum.membership='[1,2]' votequorum.expected_votes=3 \
            votequorum.device_votes=1 counters.connects=1 heuristics.mode=off \
            <"$L/qdevice-tool-j.$h" >"$L/qdevice-tool-j.$h.check" 2>&1 ||
            qdi_fail "corosync-qdevice-tool -j on $h: $(head -n 3 "$L/qdevice-tool-j.$h.check" | tr '\n' ' ')"
    done
fi

# Each node's qdevice view.
for h in n1 n2; do
    qdi_hq 5 "$h" "$QDEVICE_TOOL_BIN" -s -v >"$L/qdevice-tool.$h" 2>&1 || qdi_fail "corosync-qdevice-tool -s -v on $h failed"
    qdi_expect_lines "$L/qdevice-tool.$h" "Node ID:${T}${T}${h#n}" "Membership node list:${T}1, 2" \
        "Algorithm:${T}${T}Fifty-Fifty split" "State:${T}${T}${T}Connected" \
        "TLS active:${T}${T}Yes (client certificate sent)"
done
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_check_alive qnetd arb
qdi_finish
