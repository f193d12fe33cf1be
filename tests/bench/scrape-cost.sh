#!/bin/bash
# What reading qnetd's status costs it under load: CPU per -j, -M, /metrics and /healthz at N clients, and the storm p99 with a scraper running.
#
# Usage: tests/bench/scrape-cost.sh [--clients N] [--scrapes K] [--scraper PATH] [--build DIR] [--keep]
#   --clients N   simulated qdevices, in 2-node clusters (default 10000)
#   --scraper PATH  what the scraper fetches back to back during the second run's storms (default /metrics)
#   --scrapes K   scrapes of each kind whose CPU cost is averaged (default 5)
#   --build DIR   Release build directory (default /tmp/qnetd-bench-build, as run-bench.sh)
# Runs on 127.0.0.1 only; starts one corosync-qnetd (with -S metrics_listen) and the generator
# twice: once idle during the scrapes and for a baseline storm, once with a scraper fetching PATH
# back to back during its storms. Prints one table; kills only what it started.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BENCH_BUILD_DIR:-/tmp/qnetd-bench-build}
clients=10000
scrapes=5
scraper_path=/metrics
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --clients) clients=$2; shift ;;
    --scrapes) scrapes=$2; shift ;;
    --scraper) scraper_path=$2; shift ;;
    --build) build=$2; shift ;;
    --keep) keep=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "scrape-cost: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
log() { echo "scrape-cost: $*" >&2; }
command -v curl >/dev/null || { log "curl is needed (apt-get install curl)"; exit 2; }

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 2
fi
cmake --build "$build" -j2 --target corosync-qnetd corosync-qnetd-tool qnetd_load >/dev/null || { log "build failed"; exit 2; }
qnetd_bin=$build/qnetd/corosync-qnetd
tool_bin=$build/qnetd/corosync-qnetd-tool
load_bin=$build/tests/bench/qnetd_load

tmp=$(mktemp -d /tmp/qnetd-scrape.XXXXXX)
started=()
cleanup() {
    local pid
    for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 1 50); do
        local alive=0
        for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${started[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    if [ "$keep" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/setup-nssdb.sh" "$tmp/nss" "$build/qnetd/corosync-qnetd-certutil" >"$tmp/nss.log" 2>&1 ||
    { cat "$tmp/nss.log" >&2; exit 2; }
want_fds=$((clients + 256))
ulimit -n "$want_fds" 2>/dev/null || { log "cannot raise the open-file limit to $want_fds"; exit 2; }

port=15405 http=19406 sock=$tmp/qnetd.sock
"$qnetd_bin" -f -p "$port" -s on -c on \
    -S "nss_db_dir=$tmp/nss/qnetd,lock_file=$tmp/qnetd.pid,local_socket_file=$sock,metrics_listen=$http,max_clients_per_address=0" \
    >"$tmp/qnetd.log" 2>&1 &
qnetd_pid=$!
started+=("$qnetd_pid")
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$http/healthz" && break
    sleep 0.1
done
cpu_ms() { # utime + stime of qnetd, in ms
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$qnetd_pid/stat"
}
joined() { "$tool_bin" -p "$sock" -j 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["clients"])' 2>/dev/null || echo 0; }

# run_load LABEL HOLD_S: the generator in the background; sets load_pid and load_out.
run_load() {
    load_out=$tmp/load-$1.out
    timeout --kill-after=10 900 "$load_bin" -H 127.0.0.1 -p "$port" -C $((clients / 2)) -N 2 --nssdb "$tmp/nss/client" \
        --qnetd-pid "$qnetd_pid" --storms 2 --hold "$2" --connect-timeout 600 --timeout 120 --label "$1" \
        >"$load_out" 2>&1 &
    load_pid=$!
    started+=("$load_pid")
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# ---- 1. the cost of each kind of scrape, clients connected and idle ----
run_load idle 60
for _ in $(seq 1 600); do
    [ "$(joined)" -ge "$clients" ] && break
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.5
done
have=$(joined)
[ "$have" -ge "$clients" ] || { log "only $have of $clients clients joined"; tail -5 "$load_out" >&2; exit 1; }
sleep 2
table=$tmp/table
printf '| scrape | bytes | qnetd CPU per scrape (ms) | wall per scrape (ms) |\n|---|---|---|---|\n' >"$table"
measure() { # label command...
    local label=$1 c0 c1 t0 t1 bytes
    shift
    bytes=$("$@" 2>/dev/null | wc -c)
    c0=$(cpu_ms)
    t0=$(date +%s%N)
    for _ in $(seq 1 "$scrapes"); do "$@" >/dev/null 2>&1; done
    t1=$(date +%s%N)
    c1=$(cpu_ms)
    awk -v l="$label" -v b="$bytes" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v n="$scrapes" \
        'BEGIN { printf "| %s | %s | %.1f | %.1f |\n", l, b, (c1 - c0) / n, (t1 - t0) / 1e6 / n }' >>"$table"
}
measure "corosync-qnetd-tool -j" "$tool_bin" -p "$sock" -j
measure "corosync-qnetd-tool -M" "$tool_bin" -p "$sock" -M
measure "corosync-qnetd-tool -M -v" "$tool_bin" -p "$sock" -M -v
measure "corosync-qnetd-tool -l" "$tool_bin" -p "$sock" -l
measure "GET /metrics" curl -s "http://127.0.0.1:$http/metrics"
measure "GET /metrics?per_client=1" curl -s "http://127.0.0.1:$http/metrics?per_client=1"
measure "GET /healthz" curl -s "http://127.0.0.1:$http/healthz"
wait "$load_pid"
base=$(grep '^RESULT' "$load_out" | tail -n 1)

# ---- 2. storms with a scraper fetching /metrics?per_client=1 back to back ----
run_load scraped 2
for _ in $(seq 1 600); do
    [ "$(joined)" -ge "$clients" ] && break
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.5
done
(
    while kill -0 "$load_pid" 2>/dev/null; do curl -s -o /dev/null "http://127.0.0.1:$http$scraper_path"; done
) &
scraper=$!
started+=("$scraper")
wait "$load_pid"
wait "$scraper" 2>/dev/null
scraped=$(grep '^RESULT' "$load_out" | tail -n 1)

echo "qnetd with $clients clients ($((clients / 2)) 2-node clusters, TLS with client certificates), $scrapes scrapes of each kind:"
cat "$table"
echo
echo "| storms (2 splits + 2 merges) | split p99 (ms) | merge p99 (ms) | wrong votes |"
echo "|---|---|---|---|"
echo "| no scraper | $(field split_p99_ms "$base") | $(field merge_p99_ms "$base") | $(field wrong "$base") |"
echo "| GET $scraper_path back to back | $(field split_p99_ms "$scraped") | $(field merge_p99_ms "$scraped") | $(field wrong "$scraped") |"
