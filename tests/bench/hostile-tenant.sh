#!/bin/bash
# One hostile tenant beside honest clusters: do honest decisions and heartbeats survive it? (doc/hardening.md §7.6)
#
# Usage: tests/bench/hostile-tenant.sh [options]
#   --honest N         honest clients, in 2-node ffsplit clusters (4000)
#   --hostile H        clients of the one hostile ffsplit cluster (300)
#   --list-nodes L     nodes in each of its lists (384, the most qnetd accepts)
#   --hostile-rate R   membership lists each hostile client sends a second (200, the server's limit)
#   --seconds S        the honest clients idle (echoing) this long before their storms (30)
#   --storms K         split+merge storms of the honest clusters (2)
#   --heartbeat MS     honest heartbeat, and the echo deadline a reply must meet (1000, qnetd's minimum)
#   --tls on|off       TLS with client certificates for everyone (on)
#   --build DIR        Release build directory (default /tmp/qnetd-bench-build, as run-bench.sh)
#   --keep             keep the temporary directory (logs, databases)
# Two runs against our corosync-qnetd on 127.0.0.1, each with a fresh daemon: the honest clients
# alone, then the same beside the hostile tenant, which joins first and floods until the honest run
# is over. Prints one table. Exit 0 when, in both runs, every honest decision was right and no
# honest echo reply came later than the heartbeat; 1 otherwise; 2 set-up failure. Kills only what
# it started; every wait is bounded. Never run by ctest: it needs minutes and a quiet machine.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BENCH_BUILD_DIR:-/tmp/qnetd-bench-build}
honest=4000
hostile=300
list_nodes=384
hostile_rate=200
seconds=30
storms=2
heartbeat=1000
tls=on
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --honest) honest=$2; shift ;;
    --hostile) hostile=$2; shift ;;
    --list-nodes) list_nodes=$2; shift ;;
    --hostile-rate) hostile_rate=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --storms) storms=$2; shift ;;
    --heartbeat) heartbeat=$2; shift ;;
    --tls) tls=$2; shift ;;
    --build) build=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "hostile-tenant: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $tls in on | off) ;; *) echo "hostile-tenant: --tls takes on or off" >&2; exit 2 ;; esac
log() { echo "hostile-tenant: $*" >&2; }

if [ ! -f "$build/CMakeCache.txt" ]; then
    log "configuring a Release build in $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 2
fi
cmake --build "$build" -j2 --target corosync-qnetd corosync-qnetd-tool qnetd_load >/dev/null || { log "build failed"; exit 2; }
qnetd_bin=$build/qnetd/corosync-qnetd
tool_bin=$build/qnetd/corosync-qnetd-tool
load_bin=$build/tests/bench/qnetd_load

tmp=$(mktemp -d /tmp/qnetd-hostile.XXXXXX)
started=()
cleanup() {
    local pid alive
    for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 1 100); do # up to 10 s
        alive=0
        for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
    if [ "$keep" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tls_args=(--tls off)
if [ "$tls" = on ]; then
    "$here/setup-nssdb.sh" "$tmp/nss" "$build/qnetd/corosync-qnetd-certutil" >"$tmp/nss.log" 2>&1 ||
        { cat "$tmp/nss.log" >&2; log "NSS set-up failed"; exit 2; }
    tls_args=(--nssdb "$tmp/nss/client")
fi
want_fds=$((honest + hostile + 256))
ulimit -n "$want_fds" 2>/dev/null || { log "cannot raise the open-file limit to $want_fds"; exit 2; }

busy_percent() { # the whole machine over one second
    local a b
    read -r _ a1 a2 a3 a4 a5 a6 a7 _ </proc/stat
    sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ </proc/stat
    a=$((a1 + a2 + a3 + a4 + a5 + a6 + a7)); b=$((b1 + b2 + b3 + b4 + b5 + b6 + b7))
    local idle=$((b4 + b5 - a4 - a5)) total=$((b - a))
    [ "$total" -gt 0 ] && echo $(((total - idle) * 100 / total)) || echo 0
}
busy=$(busy_percent)
[ "$busy" -gt 10 ] && log "WARNING: the machine is already ${busy}% busy: latencies and CPU shares are not clean"

port=15406
sock=$tmp/qnetd.sock
qnetd_pid=
start_qnetd() { # run name
    local mode=on
    [ "$tls" = off ] && mode=off
    "$qnetd_bin" -f -p "$port" -s "$mode" -c "$tls" \
        -S "nss_db_dir=$tmp/nss/qnetd,lock_file=$tmp/qnetd.pid,local_socket_file=$sock" >"$tmp/qnetd-$1.log" 2>&1 &
    qnetd_pid=$!
    started+=("$qnetd_pid")
    for _ in $(seq 1 100); do
        "$tool_bin" -p "$sock" -s >/dev/null 2>&1 && return 0
        kill -0 "$qnetd_pid" 2>/dev/null || break
        sleep 0.1
    done
    log "qnetd did not start (log: $tmp/qnetd-$1.log)"
    tail -5 "$tmp/qnetd-$1.log" >&2
    return 1
}
stop_pid() { # pid: TERM, then KILL after 30 s
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$1" 2>/dev/null && { log "pid $1 ignored SIGTERM; killing it"; kill -KILL "$1" 2>/dev/null; }
    wait "$1" 2>/dev/null
}
# What the daemon counted about waiting requests, from its JSON status.
server_counts() {
    "$tool_bin" -p "$sock" -j 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t, c = d["totals"], d["counts"]
print("deferred=%d rate_limited=%d coalesced=%d rate_limited_connections=%d clients=%d" % (
    t["deferred_requests"], t["rate_limited_requests"], t["coalesced_requests"],
    c["rate_limited_connections"], c["clients"]))' 2>/dev/null || echo "unavailable"
}

limit=$((seconds + storms * 2 * 125 + 900))
honest_run() { # label -> the honest generator's output in $tmp/honest-LABEL.out
    timeout --kill-after=10 "$limit" "$load_bin" -H 127.0.0.1 -p "$port" -C $((honest / 2)) -N 2 "${tls_args[@]}" \
        --qnetd-pid "$qnetd_pid" --heartbeat "$heartbeat" --hold "$seconds" --storms "$storms" --timeout 120 \
        --connect-timeout 600 --label "$1" >"$tmp/honest-$1.out" 2>&1
}

# ---- run 1: the honest clients alone ----
start_qnetd alone || exit 2
log "run 1: $honest honest clients alone (qnetd pid $qnetd_pid)"
honest_run alone
alone_counts=$(server_counts)
stop_pid "$qnetd_pid"

# ---- run 2: the same beside the hostile tenant ----
start_qnetd hostile || exit 2
log "run 2: $hostile hostile clients ($list_nodes-node lists, $hostile_rate lists/s each), then $honest honest clients (qnetd pid $qnetd_pid)"
timeout --kill-after=10 "$limit" "$load_bin" -H 127.0.0.1 -p "$port" --hostile -C 1 -N "$hostile" \
    --list-nodes "$list_nodes" --hostile-rate "$hostile_rate" "${tls_args[@]}" --qnetd-pid "$qnetd_pid" \
    --heartbeat "$heartbeat" --hold "$limit" --connect-timeout 300 --label hostile >"$tmp/hostile.out" 2>&1 &
hostile_pid=$!
started+=("$hostile_pid")
for _ in $(seq 1 3000); do # up to 300 s for the tenant to join
    grep -q '^HOSTILE-READY' "$tmp/hostile.out" && break
    kill -0 "$hostile_pid" 2>/dev/null || break
    sleep 0.1
done
grep '^HOSTILE-READY' "$tmp/hostile.out" >&2 || { log "the hostile tenant did not join"; tail -5 "$tmp/hostile.out" >&2; exit 2; }
sleep 2 # let its flood reach its pace before the honest clients connect
honest_run beside
hostile_counts=$(server_counts)
stop_pid "$hostile_pid"
stop_pid "$qnetd_pid"

for f in honest-alone honest-beside hostile; do
    echo "---- $f" >&2
    grep -v '^RESULT' "$tmp/$f.out" | sed 's/^/    /' >&2
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
alone=$(grep '^RESULT' "$tmp/honest-alone.out" | tail -1)
beside=$(grep '^RESULT' "$tmp/honest-beside.out" | tail -1)
tenant=$(grep '^RESULT' "$tmp/hostile.out" | tail -1)
cpu_share() { # ms of qnetd CPU per second of the measured span
    awk -v c="$(field run_cpu_ms "$1")" -v s="$(field run_s "$1")" 'BEGIN { if (s > 0 && c >= 0) printf "%.0f", c / s; else print "-" }'
}
row() { # label result
    printf '| %s | %s | %s | %s | %s / %s / %s / %s | %s | %s | %s | %s | %s |\n' "$1" "$(field connected "$2")" \
        "$(field wrong "$2")" "$(field echo_over_hb "$2")" "$(field echo_p50_ms "$2")" "$(field echo_p99_ms "$2")" \
        "$(field echo_p999_ms "$2")" "$(field echo_max_ms "$2")" "$(field echo_n "$2")" "$(field split_p99_ms "$2")" \
        "$(field merge_p99_ms "$2")" "$(cpu_share "$2")" "$(field status "$2")"
}
echo
echo "hostile tenant beside honest clusters, $(date -u +%Y-%m-%d), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "honest: $honest clients (2-node ffsplit), heartbeat $heartbeat ms, $seconds s idle + $storms storms; TLS $tls"
echo "hostile: one ffsplit cluster of $hostile clients, $list_nodes-node lists, $hostile_rate membership lists/s per client"
echo
echo "| run | honest clients | wrong decisions | echoes later than the heartbeat | echo p50 / p99 / p99.9 / max ms | echoes | split p99 ms | merge p99 ms | qnetd CPU ms/s | status |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---|"
row "alone" "$alone"
row "beside the hostile tenant" "$beside"
echo
echo "hostile tenant: $(field joined "$tenant")/$(field clients "$tenant") joined, sent $(field lists_sent "$tenant") membership lists, got $(field list_replies "$tenant") replies and $(field vote_infos "$tenant") VOTE_INFOs, $(field server_errors "$tenant") SERVER_ERRORs, $(field disconnects "$tenant") disconnects"
echo "qnetd's counts, alone: $alone_counts"
echo "qnetd's counts, beside: $hostile_counts"

ok=1
for r in "$alone" "$beside"; do
    [ "$(field status "$r")" = ok ] || ok=0
    [ "$(field wrong "$r")" = 0 ] || ok=0
    [ "$(field echo_over_hb "$r")" = 0 ] || ok=0
    [ "$(field echo_late "$r")" = 0 ] || ok=0
done
[ "$ok" = 1 ] && exit 0
exit 1
