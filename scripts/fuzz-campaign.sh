#!/usr/bin/env bash
# Runs every libFuzzer target for a long time (30 minutes each by default, never in CI), keeps the corpora, and prints executions and crashes per target.
#
# Usage: scripts/fuzz-campaign.sh [--minutes M] [--jobs J] [--build DIR] [--corpus DIR] [TARGET...]
#   --minutes M   time per target (default 30)
#   --jobs J      targets run side by side (default 1; each is one process)
#   --build DIR   clang build with -DQD_FUZZ=ON (default build/, configured if missing)
#   --corpus DIR  where the corpora stay between campaigns (default /var/cache/qd-fuzz)
#   TARGET        fuzz_msg, fuzz_frame, ... (default: every fuzz_* target of the build)
# Seeds: the same as the ctest smoke runs. Crashes are written as <corpus>/<target>/crash-*; the
# table at the end has one line per target: executions, new corpus entries, crashes found.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
minutes=30
jobs=1
build=$top/build
corpus_root=/var/cache/qd-fuzz
targets=()
while (($#)); do
    case $1 in
    --minutes) minutes=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --corpus) corpus_root=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "fuzz-campaign: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || { echo "fuzz-campaign: --minutes needs a positive number" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz-campaign: --jobs needs a positive number" >&2; exit 2; }

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DQD_SANITIZE=ON -DQD_FUZZ=ON >/dev/null || exit 2
fi
cmake --build "$build" -j "$(nproc)" >/dev/null || { echo "fuzz-campaign: build failed" >&2; exit 2; }
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$build"/tests/fuzz/fuzz_*; do
        [ -x "$f" ] && [ "$(basename "$f")" != fuzz_corpus_gen ] && targets+=("$(basename "$f")")
    done
fi

# Seeds: what the smoke tests use (tests/fuzz/CMakeLists.txt).
seed() { # target dir
    local t=$1 d=$2
    mkdir -p "$d"
    case $t in
    fuzz_msg) "$build/tests/fuzz/fuzz_corpus_gen" "$top/tests/data" "$d" ;;
    fuzz_qnetd_session) "$build/tests/fuzz/fuzz_corpus_gen" --sessions "$top/tests/data" "$d" ;;
    fuzz_ipc_cmd)
        printf 'status verbose\n' >"$d/1"; printf 'list -v -c fuzz\n' >"$d/2"
        printf 'shutdown\n' >"$d/3"; printf 'status "verbose"\n' >"$d/4"; printf 'json -c fuzz\n' >"$d/5" ;;
    fuzz_status_views) cp "$top/tests/fuzz/seeds-status/"* "$d/" ;;
    esac
}

results=$(mktemp /tmp/qd-fuzz-campaign.XXXXXX)
trap 'rm -f "$results"' EXIT
run_one() { # target
    local t=$1 dir=$corpus_root/$1 seeds log before after execs crashes
    mkdir -p "$dir/corpus"
    seeds=$(mktemp -d /tmp/qd-fuzz-seeds.XXXXXX)
    seed "$t" "$seeds"
    before=$(find "$dir/corpus" -type f | wc -l)
    log=$dir/last-run.log
    # -timeout: one input running 25 s is a hang worth a report; the outer timeout bounds the whole run.
    timeout --kill-after=30 $((minutes * 60 + 120)) "$build/tests/fuzz/$t" -max_total_time=$((minutes * 60)) \
        -timeout=25 -max_len=16384 -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "$seeds" >"$log" 2>&1
    local rc=$?
    rm -rf --one-file-system "$seeds"
    after=$(find "$dir/corpus" -type f | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    crashes=$(find "$dir" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' | wc -l)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$minutes" "${execs:-?}" "$((after - before))" "$crashes" "$rc" >>"$results"
}

echo "fuzz-campaign: ${#targets[@]} target(s), $minutes min each, $jobs at a time, corpora in $corpus_root" >&2
running=0
for t in "${targets[@]}"; do
    [ -x "$build/tests/fuzz/$t" ] || { echo "fuzz-campaign: no target $t in $build" >&2; continue; }
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
echo "| target | minutes | executions | new corpus entries | crash/leak/timeout files | exit |"
echo "|---|---|---|---|---|---|"
sort "$results"
