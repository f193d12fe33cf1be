#!/bin/bash
# Scale benchmark: our corosync-qnetd beside the upstream one under the same TLS load, one table at the end.
#
# Usage: tests/bench/run-bench.sh [options]
#   --quick                 smoke run: 200 clients, one storm, short limits
#   --sizes "1000 4000"     client counts to run (2-node clusters: clusters = clients / 2)
#   --only ours|upstream    run one daemon only (e.g. --only ours --sizes 10000)
#   --storms K              split+merge storms per run (2)
#   --max-pending P         clients connecting at once (64)
#   --upstream-connect-timeout S   bound on upstream's connect phase (300); it needs minutes at 4000
#   --connect-timeout S     bound on our connect phase (300)
#   --restart               after the storms, restart our qnetd and time the re-admission of every client
#   --restart-signal TERM|KILL   how the restart stops it: a clean shutdown (TERM, the default) or a crash
#   --heartbeat MS          heartbeat the simulated qdevices ask for (generator default 8000; DPD = 1.5 x)
#   --tls-engine E          the generator's TLS client: openssl (default, cheap) or nss (as corosync-qdevice)
#   --build DIR             build directory (default /tmp/qnetd-bench-build; configured Release if needed)
#   --upstream BIN          upstream daemon (/usr/bin/corosync-qnetd)
#   --keep                  keep the temporary directory (logs, NSS databases)
# Everything runs on this machine over 127.0.0.1; the daemons run one after the other, never together.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BENCH_BUILD_DIR:-/tmp/qnetd-bench-build}
upstream_bin=/usr/bin/corosync-qnetd
sizes="1000 4000"
only=""
storms=2
max_pending=64
upstream_connect_timeout=300
connect_timeout=300
storm_timeout=120
quick=0
keep=0
restart=0
restart_signal=TERM
heartbeat=""
tls_engine=openssl

while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --sizes) sizes=$2; shift ;;
    --only) only=$2; shift ;;
    --storms) storms=$2; shift ;;
    --max-pending) max_pending=$2; shift ;;
    --upstream-connect-timeout) upstream_connect_timeout=$2; shift ;;
    --connect-timeout) connect_timeout=$2; shift ;;
    --restart) restart=1 ;;
    --restart-signal) restart_signal=$2; shift ;;
    --build) build=$2; shift ;;
    --upstream) upstream_bin=$2; shift ;;
    --keep) keep=1 ;;
    --heartbeat) heartbeat=$2; shift ;;
    --tls-engine) tls_engine=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run-bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $restart_signal in TERM | KILL) ;; *) echo "run-bench: --restart-signal takes TERM or KILL, not '$restart_signal'" >&2; exit 2 ;; esac
if [ "$quick" = 1 ]; then
    sizes=200
    storms=1
    upstream_connect_timeout=60
    connect_timeout=60
    storm_timeout=30
fi
case $only in ""|ours|upstream) ;; *) echo "run-bench: --only takes ours or upstream" >&2; exit 2 ;; esac

log() { echo "run-bench: $*" >&2; }

# --- build (Release) ---
ours_bin=$build/qnetd/corosync-qnetd
load_bin=$build/tests/bench/qnetd_load
if [ ! -f "$build/CMakeCache.txt" ]; then
    log "configuring a Release build in $build"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 2
fi
log "building corosync-qnetd and qnetd_load in $build"
cmake --build "$build" -j2 --target corosync-qnetd qnetd_load >/dev/null || { log "build failed"; exit 2; }
if [ "$only" != ours ] && [ ! -x "$upstream_bin" ]; then
    log "upstream daemon $upstream_bin not found (apt-get install corosync-qnetd); running ours only"
    only=ours
fi

# --- temporary directory, and cleanup of exactly what this script started ---
tmp=$(mktemp -d /tmp/qnetd-bench.XXXXXX)
started_pids=()
cleanup() {
    local pid alive
    for pid in "${started_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    for _ in $(seq 1 50); do # up to 5 s for them to go
        alive=0
        for pid in "${started_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${started_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    if [ "$keep" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/setup-nssdb.sh" "$tmp/nss" "$build/qnetd/corosync-qnetd-certutil" >"$tmp/nss-setup.log" 2>&1 ||
    { cat "$tmp/nss-setup.log" >&2; log "NSS set-up failed"; exit 2; }

# --- file descriptors: one per client in the generator, one per client in the daemon ---
max_size=0
for s in $sizes; do [ "$s" -gt "$max_size" ] && max_size=$s; done
want_fds=$((max_size + 256))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want_fds" ]; then
    log "hard limit of open files is $hard, below the $want_fds needed for $max_size clients"
    exit 2
fi
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$hard"

# --- is the machine quiet? Other load skews latency (CPU time per process much less). ---
cpu_busy_percent() {
    local a b
    read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat
    sleep 1
    read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat
    a=$((a1 + a2 + a3 + a4 + a5 + a6 + a7)); b=$((b1 + b2 + b3 + b4 + b5 + b6 + b7))
    local idle=$((b4 + b5 - a4 - a5)) total=$((b - a))
    [ "$total" -gt 0 ] && echo $(( (total - idle) * 100 / total )) || echo 0
}
busy=$(cpu_busy_percent)
if [ "$busy" -gt 10 ]; then
    log "WARNING: the machine is already ${busy}% busy; latencies will be inflated"
fi

wait_listening() { # port timeout_s
    local port=$1 deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.2
    done
    return 1
}

start_daemon() { # name bin port -> sets daemon_pid
    local name=$1 bin=$2 port=$3
    "$bin" -f -p "$port" -s on -c on \
        -S "nss_db_dir=$tmp/nss/qnetd,lock_file=$tmp/$name.pid,local_socket_file=$tmp/$name.sock" \
        >>"$tmp/$name.log" 2>&1 &
    daemon_pid=$!
    started_pids+=("$daemon_pid")
    if ! wait_listening "$port" 15; then
        log "$name did not start listening on port $port (log: $tmp/$name.log)"
        tail -5 "$tmp/$name.log" >&2
        return 1
    fi
}

stop_daemon() { # pid name
    local pid=$1 name=$2 t0=$SECONDS
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 600); do # at most 60 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored SIGTERM for 60 s; killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    local rc=$?
    if [ "$rc" -gt 128 ] && [ "$rc" != 143 ]; then
        log "$name (pid $pid) ended by signal $((rc - 128)) (exit status $rc)"
    elif [ "$rc" != 0 ] && [ "$rc" != 143 ]; then
        log "$name (pid $pid) exited with status $rc"
    fi
    log "$name stopped in $((SECONDS - t0)) s"
}

results=$tmp/results
: >"$results"
ours_port=15403
upstream_port=15404

run_one() { # name bin port clients connect_timeout
    local name=$1 bin=$2 port=$3 clients=$4 ctimeout=$5
    local clusters=$((clients / 2)) out=$tmp/$name-$clients.out
    start_daemon "$name" "$bin" "$port" || { echo "RESULT label=$name clients=$clients status=NOSTART" >>"$results"; return; }
    local pid=$daemon_pid
    log "$name: $clients clients ($clusters 2-node clusters), pid $pid"
    local extra=()
    [ "$restart" = 1 ] && [ "$name" = ours ] && extra=(--restart-wait 120)
    [ -n "$heartbeat" ] && extra+=(--heartbeat "$heartbeat")
    # Other helpers share the machine: keep the load average at the start of each run with its result.
    local loadavg
    loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')
    local limit=$((ctimeout + 2 * storms * (storm_timeout + 5) + 200))
    [ "$restart" = 1 ] && limit=$((limit + 130))
    timeout --signal=TERM --kill-after=10 "$limit" "$load_bin" -H 127.0.0.1 -p "$port" -C "$clusters" -N 2 \
        --nssdb "$tmp/nss/client" --qnetd-pid "$pid" --storms "$storms" --max-pending "$max_pending" \
        --connect-timeout "$ctimeout" --timeout "$storm_timeout" --label "$name" --tls-engine "$tls_engine" "${extra[@]}" \
        >"$out" 2>&1 &
    local load_pid=$!
    started_pids+=("$load_pid")
    if [ "$restart" = 1 ] && [ "$name" = ours ]; then
        # Wait for the generator to ask, then restart the daemon under it.
        local deadline=$((SECONDS + limit))
        while [ $SECONDS -lt $deadline ] && kill -0 "$load_pid" 2>/dev/null; do
            grep -q '^RESTART-READY' "$out" && break
            sleep 0.5
        done
        if grep -q '^RESTART-READY' "$out"; then
            log "$name: restarting qnetd under $clients clients (SIG$restart_signal)"
            if [ "$restart_signal" = KILL ]; then
                # A crash: no shutdown, the clients see their connections reset.
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
            else
                stop_daemon "$pid" "$name"
            fi
            start_daemon "$name" "$bin" "$port" && pid=$daemon_pid
        fi
    fi
    wait "$load_pid"
    local rc=$?
    sed 's/^/    /' "$out" >&2
    local line
    line=$(grep '^RESULT ' "$out" | tail -1)
    [ -n "$line" ] || line="RESULT label=$name clients=$clients status=CRASH(rc=$rc)"
    line="$line loadavg=$loadavg"
    if ! kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) is gone after the run (log: $tmp/$name.log)"
        line="$line daemon=died"
    fi
    echo "$line" >>"$results"
    stop_daemon "$pid" "$name"
}

for clients in $sizes; do
    [ "$only" != upstream ] && run_one ours "$ours_bin" "$ours_port" "$clients" "$connect_timeout"
    [ "$only" != ours ] && run_one upstream "$upstream_bin" "$upstream_port" "$clients" "$upstream_connect_timeout"
done

# --- the table ---
echo
echo "qnetd scale benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, TLS with client certificates, 2-node ffsplit clusters"
echo "(CPU = the daemon's CPU time from /proc; connect = until every client has its first ACK; storm = every cluster splits, then merges)"
echo
awk '
function v(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "-" }
BEGIN {
    print "| clients | qnetd | connected | connect s | handshakes/s | CPU ms/client | RSS MB | KB/client | idle CPU ms/s | split p50/p99/max ms | split CPU ms | merge p50/p99/max ms | merge CPU ms | status |"
    print "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---|"
}
/^RESULT / {
    rss = v("rss_after_kb"); rssmb = (rss == "-") ? "-" : sprintf("%.0f", rss / 1024)
    st = v("status"); if (v("daemon") == "died") st = st " (daemon died)"
    if (v("readmit_s") != "-" && v("readmit_s") + 0 >= 0) st = st ", restart: " v("readmitted") " back in " v("readmit_s") " s"
    if (v("other_load_pct") + 0 >= 5) st = st ", other load " v("other_load_pct") "%"
    if (v("loadavg") != "-") st = st ", load " v("loadavg")
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s / %s / %s | %s | %s |\n",
        v("clients"), v("label"), v("connected"), v("connect_s"), v("hs_per_s"), v("cpu_per_client_ms"), rssmb,
        v("rss_per_client_kb"), v("hold_cpu_ms_per_s"), v("split_p50_ms"), v("split_p99_ms"), v("split_max_ms"),
        v("split_cpu_ms"), v("merge_p50_ms"), v("merge_p99_ms"), v("merge_max_ms"), v("merge_cpu_ms"), st
}' "$results"

# Ratios where both daemons ran at the same size.
awk '
function v(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
function r(a, b) { return (a + 0 > 0 && b != "") ? sprintf("%.1fx", b / a) : "-" }
/^RESULT / { n = v("clients"); l = v("label"); for (k in keys) d[n, l, k] = v(k) ; seen[n] = 1 }
BEGIN { split("cpu_per_client_ms split_p99_ms split_cpu_ms merge_p99_ms merge_cpu_ms rss_per_client_kb", ks, " "); for (i in ks) keys[ks[i]] = 1 }
END {
    for (n in seen) if (d[n, "ours", "cpu_per_client_ms"] != "" && d[n, "upstream", "cpu_per_client_ms"] != "")
        printf "upstream/ours at %s clients: CPU per client %s, split p99 %s, split CPU %s, merge p99 %s, merge CPU %s, RSS per client %s\n", n,
            r(d[n, "ours", "cpu_per_client_ms"], d[n, "upstream", "cpu_per_client_ms"]),
            r(d[n, "ours", "split_p99_ms"], d[n, "upstream", "split_p99_ms"]),
            r(d[n, "ours", "split_cpu_ms"], d[n, "upstream", "split_cpu_ms"]),
            r(d[n, "ours", "merge_p99_ms"], d[n, "upstream", "merge_p99_ms"]),
            r(d[n, "ours", "merge_cpu_ms"], d[n, "upstream", "merge_cpu_ms"]),
            r(d[n, "ours", "rss_per_client_kb"], d[n, "upstream", "rss_per_client_kb"])
}' "$results"

if grep -q 'status=ok' "$results" && ! grep -v 'status=ok' "$results" | grep -q .; then
    exit 0
fi
exit 1
