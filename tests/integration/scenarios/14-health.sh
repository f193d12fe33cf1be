#!/usr/bin/env bash
# Scenario 14: the tools' -C health checks in the states a user meets: healthy, a node's qdevice stopped, a split that leaves one node without the vote, qnetd down.
# Checks the exit codes (0 OK, 1 WARNING, 2 CRITICAL) and the summary lines of corosync-qnetd-tool -C
# and corosync-qdevice-tool -C (doc/monitoring.md). Our programs on both sides only.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 14-health "${QDI_SCENARIO_TIMEOUT:-300}"
if [[ $QNETD_BIN == "$QDI_UPSTREAM_QNETD_BIN" || $QDEVICE_BIN == "$QDI_UPSTREAM_QDEVICE_BIN" ]]; then
    qdi_log "the health checks need our qnetd and our qdevice"
    exit 77
fi
qdi_cluster_up
L=$QDI_RUN/log
step=0

# health HOST TOOL WANT_RC PATTERN: runs TOOL -C on HOST, expects the exit code and a line matching PATTERN.
health() {
    local h=$1 tool=$2 want=$3 pattern=$4 rc out
    step=$((step + 1))
    out=$L/health.$step.$h
    qdi_hq 10 "$h" "$tool" -C >"$out" 2>&1
    rc=$?
    qdi_log "$h ${tool##*/} -C: exit $rc: $(head -n 1 "$out")"
    [[ $rc == "$want" ]] || qdi_fail "$h ${tool##*/} -C exited $rc, expected $want: $(head -n 1 "$out")"
    [[ $(wc -l <"$out") == 1 ]] || qdi_fail "$h ${tool##*/} -C printed more than one line"
    grep -Eq -- "$pattern" "$out" || qdi_fail "$h ${tool##*/} -C: no match for '$pattern' in: $(head -n 1 "$out")"
}

# Healthy.
health arb "$QNETD_TOOL_BIN" 0 '^QNETD OK: 1 cluster, 2 clients \| clusters=1 clients=2 plaintext_clients=0 missing_nodes=0 split_clusters=0 cert_rejections_last_hour=0$'
for h in n1 n2; do
    health "$h" "$QDEVICE_TOOL_BIN" 0 '^QDEVICE OK: connected to [0-9.]+:5403, casting the vote \(1 vote\) \| connected=1 casting_vote=1 device_votes=1$'
done

# n2's qdevice stopped: the arbiter misses node 2; n2's tool finds no daemon.
qdi_stop_qdevice n2 || qdi_fail "qdevice on n2 was not running"
p_n1_only() { qdi_is n1 quorate=1 qdev_cast=1; }
qdi_await qdevice_stop_seconds 30 p_n1_only
health arb "$QNETD_TOOL_BIN" 1 '^QNETD WARNING: cluster "qdi": node 2 not connected \|'
health n2 "$QDEVICE_TOOL_BIN" 2 '^QDEVICE CRITICAL: corosync-qdevice does not answer on '
health n1 "$QDEVICE_TOOL_BIN" 0 '^QDEVICE OK: '
qdi_start_qdevice n2
qdi_await qdevice_back_seconds 60 qdi_p_all_full

# n1 and n2 cut from each other, both reach the arbiter: the tie-breaker (lowest, n1) keeps the
# vote; n2 is connected but does not cast it.
qdi_mark
qdi_cut n1 n2
p_split() { qdi_p_quorate_with_vote n1 1 && qdi_is n2 up=1 quorate=0 members=2; }
qdi_await split_seconds 60 p_split
qdi_hold 2 p_split
health n2 "$QDEVICE_TOOL_BIN" 1 '^QDEVICE WARNING: connected to [0-9.]+:5403, but this node does not cast the vote'
health n1 "$QDEVICE_TOOL_BIN" 0 '^QDEVICE OK: '
health arb "$QNETD_TOOL_BIN" 0 '^QNETD OK: '
qdi_heal n1 n2
qdi_await heal_seconds 60 qdi_p_all_full

# qnetd down: its tool finds no daemon, the nodes are not connected.
qdi_stop_qnetd || qdi_fail "qnetd was not running"
p_no_vote() { qdi_is "$1" quorate=1 qdev_cast=0 qdev_votes=0; }
qdi_await vote_drop_seconds 60 qdi_all p_no_vote
health arb "$QNETD_TOOL_BIN" 2 '^QNETD CRITICAL: corosync-qnetd does not answer on '
for h in n1 n2; do
    health "$h" "$QDEVICE_TOOL_BIN" 2 '^QDEVICE CRITICAL: not connected to qnetd [0-9.]+:5403 \((connecting|connect_failed|disconnected)\)'
done
qdi_start_qnetd
qdi_await vote_back_seconds 60 qdi_p_all_full
health arb "$QNETD_TOOL_BIN" 0 '^QNETD OK: 1 cluster, 2 clients'
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
