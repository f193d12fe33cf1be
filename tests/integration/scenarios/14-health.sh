#!/usr/bin/env bash
# Scenario 14: the tools' -C health checks and -M metrics in the states a user meets: healthy, a node's qdevice stopped, a split that leaves one node without the vote, qnetd down.
# Checks the exit codes (0 OK, 1 WARNING, 2 CRITICAL) and the summary lines of corosync-qnetd-tool -C
# and corosync-qdevice-tool -C, and that -M passes promtool check metrics with the values of each
# state (doc/monitoring.md). Our programs on both sides only.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-arbiter-diagnose.sh"

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

promtool=${QD_PROMTOOL:-/var/cache/qd-tools/promtool}
[[ -x $promtool ]] || qdi_fail "no promtool at $promtool (scripts/install-deps.sh unpacks it)"

# metrics HOST TOOL [ARGS] -- LINE...: TOOL -M on HOST passes promtool and has every LINE (a regex of a whole line).
metrics() {
    local h=$1 tool=$2 out line
    shift 2
    local args=()
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    shift
    step=$((step + 1))
    out=$L/metrics.$step.$h
    qdi_hq 10 "$h" "$tool" -M "${args[@]}" >"$out" 2>"$out.err" || qdi_fail "$h ${tool##*/} -M failed: $(head -n 3 "$out.err")"
    "$promtool" check metrics <"$out" >"$out.promtool" 2>&1 ||
        qdi_fail "$h ${tool##*/} -M: promtool check metrics: $(head -n 5 "$out.promtool")"
    for line in "$@"; do
        grep -Eqx -- "$line" "$out" || qdi_fail "$h ${tool##*/} -M: no line '$line' (in $out)"
    done
    qdi_log "$h ${tool##*/} -M: $(grep -vc '^#' "$out") series, promtool clean, $# values as expected"
}

# diagnose HOST WANT_RC FAIL_ID: corosync-qdevice-tool -D on HOST exits WANT_RC and FAILs exactly
# FAIL_ID ("" for none), with nothing at WARN (doc/diagnose.md).
diagnose() {
    local h=$1 want=$2 fail_id=$3 rc out fails
    step=$((step + 1))
    out=$L/diagnose.$step.$h
    qdi_hq 40 "$h" "$QDEVICE_TOOL_BIN" -D >"$out" 2>&1
    rc=$?
    fails=$(sed -n 's/^FAIL \([a-z-]*\):.*/\1/p' "$out" | paste -sd, -)
    qdi_log "$h corosync-qdevice-tool -D: exit $rc, FAIL: ${fails:-none}; $(grep -c '^OK ' "$out") OK"
    [[ $rc == "$want" ]] || qdi_fail "$h -D exited $rc, expected $want: $(tr '\n' ' ' <"$out")"
    [[ $fails == "$fail_id" ]] || qdi_fail "$h -D: FAIL '$fails', expected '$fail_id': $(tr '\n' ' ' <"$out")"
    grep -q '^WARN ' "$out" && qdi_fail "$h -D: unexpected WARN: $(grep '^WARN ' "$out")"
    [[ -z $fail_id ]] || grep -A1 "^FAIL $fail_id:" "$out" | grep -q '^    fix: ' || qdi_fail "$h -D: no fix line after $fail_id"
}

# Healthy.
diagnose n1 0 ""
qdi_hq 40 n1 "$QDEVICE_TOOL_BIN" -D -j >"$L/diagnose-j.n1" 2>&1
python3 -c 'import json,sys; d=json.load(sys.stdin); ids=[c["id"] for c in d["checks"]]; assert d["schema"]==1 and d["exit_status"]==0 and ids==["qdevice-running","qnetd-reachable","tls-mode","server-ca","node-cert","cert-validity","qdevice-votes","algorithm-fit","two-node","vote-cast"] and all(c["state"]=="ok" for c in d["checks"]), d' \
    <"$L/diagnose-j.n1" || qdi_fail "-D -j on n1: $(head -c 300 "$L/diagnose-j.n1")"
arbiter_diagnose healthy
metrics arb "$QNETD_TOOL_BIN" -v -- 'corosync_qnetd_clients 2' 'corosync_qnetd_clusters 1' \
    'corosync_qnetd_cluster_missing_nodes\{cluster="qdi"\} 0' 'corosync_qnetd_cluster_acked_partitions\{cluster="qdi"\} 1' \
    'corosync_qnetd_decision_duration_seconds_count [1-9][0-9]*' 'corosync_qnetd_client_vote\{cluster="qdi",node_id="2",vote="ack"\} 1' \
    'corosync_qnetd_server_certificate_not_after_timestamp_seconds [0-9]+\.[0-9]{3}'
for h in n1 n2; do
    metrics "$h" "$QDEVICE_TOOL_BIN" -- 'corosync_qdevice_connected 1' 'corosync_qdevice_casting_vote 1' 'corosync_qdevice_votes 1' \
        'corosync_qdevice_vote\{vote="ack"\} 1' 'corosync_qdevice_connect_attempts_total\{result="connected"\} 1'
done
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
diagnose n2 2 qdevice-running
arbiter_diagnose qdevice-stopped 2
metrics arb "$QNETD_TOOL_BIN" -- 'corosync_qnetd_clients 1' 'corosync_qnetd_cluster_missing_nodes\{cluster="qdi"\} 1' \
    'corosync_qnetd_connections_closed_total\{reason="peer_closed"\} [1-9][0-9]*'
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
metrics n2 "$QDEVICE_TOOL_BIN" -- 'corosync_qdevice_connected 1' 'corosync_qdevice_casting_vote 0' 'corosync_qdevice_vote\{vote="nack"\} 1'
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
    metrics "$h" "$QDEVICE_TOOL_BIN" -- 'corosync_qdevice_connected 0' 'corosync_qdevice_casting_vote 0' \
        'corosync_qdevice_disconnects_total\{reason="[a-z_]+"\} [1-9][0-9]*'
done
diagnose n1 2 qnetd-reachable
grep -q '^FAIL qnetd-reachable: .*refused' "$L/diagnose.$step.n1" || qdi_fail "-D with qnetd down: not reported as refused"
arbiter_diagnose qnetd-down

# Back with the HTTP listener on the arbiter's loopback (-S metrics_listen, doc/monitoring.md §6).
qdi_spawn arb qnetd "$QNETD_BIN" -f -S metrics_listen=9405
qdi_await vote_back_seconds 60 qdi_p_all_full
health arb "$QNETD_TOOL_BIN" 0 '^QNETD OK: 1 cluster, 2 clients'

# http METHOD PATH WANT_STATUS: the response (headers and body) in $L/http.<step>, its body in $body.
http() {
    local method=$1 path=$2 want=$3 out status
    step=$((step + 1))
    out=$L/http.$step
    qdi_hq 10 arb curl -s -m 5 -i -X "$method" "http://127.0.0.1:9405$path" >"$out" 2>&1
    status=$(head -n 1 "$out" | awk '{print $2}')
    body=$(sed '1,/^\r*$/d' "$out")
    qdi_log "HTTP $method $path: $status"
    [[ $status == "$want" ]] || qdi_fail "HTTP $method $path answered '$status', expected $want (in $out)"
}
http GET /metrics 200
"$promtool" check metrics <<<"$body" >"$L/http.promtool" 2>&1 || qdi_fail "/metrics: promtool: $(head -n 3 "$L/http.promtool")"
grep -qx 'corosync_qnetd_clients 2' <<<"$body" || qdi_fail "/metrics: no 'corosync_qnetd_clients 2'"
grep -q '^corosync_qnetd_client_vote' <<<"$body" && qdi_fail "/metrics: per-client series without per_client=1"
http GET '/metrics?per_client=1' 200
grep -qx 'corosync_qnetd_client_vote{cluster="qdi",node_id="1",vote="ack"} 1' <<<"$body" || qdi_fail "/metrics?per_client=1: no vote series"
http GET /healthz 200
grep -q '^QNETD OK: 1 cluster, 2 clients' <<<"$body" || qdi_fail "/healthz: '$body'"
http POST /metrics 405
http GET /nothing 404
# A header larger than the 16 KiB a connection may use (doc/hardening.md §3.5).
big=$(head -c 20000 /dev/zero | tr '\0' a)
step=$((step + 1))
qdi_hq 10 arb curl -s -m 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" http://127.0.0.1:9405/metrics >"$L/http.$step" 2>&1
[[ $(cat "$L/http.$step") == 431 ]] || qdi_fail "a 20 KB header answered '$(cat "$L/http.$step")', expected 431"
qdi_log "HTTP GET with a 20 KB header: 431"
grep -q 'HTTP client 127.0.0.1:[0-9]*: only GET and HEAD are served' "$(qdi_hostdir arb)/log/qnetd.out" ||
    qdi_fail "the refused POST is not in qnetd's log"
curl_port=$(qdi_hq 5 arb ss -Hltn 'sport = :9405' | awk '{print $4}')
[[ $curl_port == 127.0.0.1:9405 ]] || qdi_fail "the metrics listener is on '$curl_port', expected loopback only"

qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
