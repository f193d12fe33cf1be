#!/usr/bin/env bash
# Scenario 19: two clusters with one name on one arbiter, named by corosync-qnetd-tool -D: first with the same node ids (the arbiter refuses the second cluster's nodes), then with other node ids (the arbiter takes both clusters for two partitions of one and gives the vote to one).
# Cluster A is n1+n2 (node ids 1, 2), cluster B is n3+n4; both are called "qdi" and got their
# certificates from the same arbiter, as two `pvecm qdevice setup` runs on clusters that share a
# name would leave them. cluster-conflicts must say so on the arbiter; A keeps its vote throughout.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=4 QDI_ALGO=ffsplit
qdi_begin 19-name-clash "${QDI_SCENARIO_TIMEOUT:-240}"
if [[ $QNETD_TOOL_BIN == "$QDI_UPSTREAM_QNETD_TOOL_BIN" ]]; then
    qdi_log "-D is a feature of our corosync-qnetd-tool"
    exit 77
fi
L=$QDI_RUN/log

# conf_b ID3 ID4: cluster B's corosync.conf (A's with B's nodelist) on n3 and n4.
conf_b() {
    awk -v i3="$1" -v i4="$2" -v a3="$(qdi_ip n3)" -v a4="$(qdi_ip n4)" '
        /^nodelist \{/ { print; print "  node {\n    name: n3\n    nodeid: " i3 "\n    quorum_votes: 1\n    ring0_addr: " a3 "\n  }";
                         print "  node {\n    name: n4\n    nodeid: " i4 "\n    quorum_votes: 1\n    ring0_addr: " a4 "\n  }"; skip = 1; next }
        skip && /^\}/ { skip = 0 }
        !skip' "$QDI_RUN/corosync.conf" >"$QDI_RUN/corosync-b.conf" || qdi_fail "writing cluster B's configuration failed"
    for h in n3 n4; do cp "$QDI_RUN/corosync-b.conf" "$(qdi_hostdir "$h")/etc/corosync.conf" || qdi_fail "copy to $h failed"; done
}
# A's nodelist on n1 and n2 only.
conf_a() {
    awk '/^  node \{/ { buf = $0; inode = 1; next }
         inode { buf = buf "\n" $0; if ($0 ~ /^  \}/) { inode = 0; if (buf !~ /name: n[34]\n/) print buf }; next }
         { print }' "$QDI_RUN/corosync.conf" >"$QDI_RUN/corosync-a.conf" || qdi_fail "writing cluster A's configuration failed"
    for h in n1 n2; do cp "$QDI_RUN/corosync-a.conf" "$(qdi_hostdir "$h")/etc/corosync.conf" || qdi_fail "copy to $h failed"; done
}
p_a_full() { qdi_is n1 quorate=1 members=1,2 qdev_cast=1 && qdi_is n2 quorate=1 members=1,2 qdev_cast=1; }
# arb_diag WANT_RC: corosync-qnetd-tool -D on the arbiter, output in $out.
arb_diag() {
    out=$L/arb-diagnose.$1.$((++step))
    qdi_hq 40 arb "$QNETD_TOOL_BIN" -D >"$out" 2>&1
    local rc=$?
    while IFS= read -r line; do qdi_log "arb -D: $line"; done <"$out"
    [[ $rc == "$1" || ($1 == 1 && $rc == 1) ]] || qdi_fail "arb -D exited $rc, expected $1"
}
step=0

qdi_net_create
qdi_hosts_create
qdi_write_conf
conf_a
conf_b 1 2
qdi_certs
qdi_start_qnetd
qdi_mark
for h in $(qdi_nodes); do qdi_start_corosync "$h"; done
qdi_wait_qnetd
p_two_clusters() { qdi_is n1 quorate=1 members=1,2 && qdi_is n3 quorate=1 members=1,2; }
qdi_await membership_seconds 60 p_two_clusters
qdi_start_qdevice n1
qdi_start_qdevice n2
qdi_await a_vote_seconds 60 p_a_full

# 1. B's nodes carry A's node ids: the arbiter refuses them (duplicate node id).
qdi_start_qdevice n3
qdi_start_qdevice n4
p_refused() { qdi_hq 10 arb "$QNETD_TOOL_BIN" -j 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["init_refusals"]["by_reason"]["duplicate_node_id"] >= 1 else 1)'; }
qdi_await refused_seconds 60 p_refused
qdi_hold 2 p_a_full
arb_diag 1
grep -q '^WARN cluster-conflicts: .*duplicate_node_id' "$out" || qdi_fail "cluster-conflicts does not name the duplicate node ids: $(grep cluster-conflicts "$out")"
grep -A1 '^WARN cluster-conflicts: ' "$out" | grep -q '^    fix: ' || qdi_fail "no fix after cluster-conflicts"

# 2. B renumbered (ids 3, 4): now the arbiter takes A and B for partitions of one cluster "qdi"
#    and the clients disagree on the nodes. Both clusters are quorate on their own votes, which
#    the harness would call a split brain: here they are two clusters.
qdi_stop_qdevice n3 || true
qdi_stop_qdevice n4 || true
qdi_signal n3 corosync TERM 20
qdi_signal n4 corosync TERM 20
conf_b 3 4
QDI_SPLIT_BRAIN_FATAL=0
qdi_start_corosync n3
qdi_start_corosync n4
p_b_up() { qdi_is n3 quorate=1 members=3,4; }
qdi_mark
qdi_await b_up_seconds 60 p_b_up
qdi_start_qdevice n3
qdi_start_qdevice n4
p_admitted() { qdi_hq 10 arb "$QNETD_TOOL_BIN" -j 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); c=[c for c in d["clusters"] if c["name"]=="qdi"]; sys.exit(0 if c and c[0]["client_count"]==4 else 1)'; }
qdi_await admitted_seconds 60 p_admitted
qdi_hold 2 p_a_full
arb_diag 1
grep -q '^WARN cluster-conflicts: cluster "qdi": its clients. configured node lists differ (node 1: 1, 2; node 3: 3, 4)' "$out" ||
    qdi_fail "cluster-conflicts does not name the disagreeing node lists: $(grep cluster-conflicts "$out")"
qdi_pass
