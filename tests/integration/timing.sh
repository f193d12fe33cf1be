#!/usr/bin/env bash
# Timing table: runs scenarios for several combinations, interleaved round by round, and prints min/median/max of every *_seconds.
#
# Usage: tests/integration/timing.sh [-n ROUNDS] [-c "COMBO..."] SCENARIO...
#   e.g. tests/integration/timing.sh -n 3 10-coldstart 11-coldstart4
# Each round runs every scenario once per combination (default "upstream ours"), so both see the
# same machine at nearly the same time. RESULT lines go to $QDI_TIMING_DIR (default
# /tmp/qdi-timing-<date>)/results.txt; the table (Markdown) goes to stdout. Exit status 1 if a run failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rounds=3 combos="upstream ours"
while getopts n:c: o; do
    case $o in
    n) rounds=$OPTARG ;;
    c) combos=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
(($#)) || { echo "usage: timing.sh [-n ROUNDS] [-c \"COMBO...\"] SCENARIO..." >&2; exit 2; }
dir=${QDI_TIMING_DIR:-/tmp/qdi-timing-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$dir"
res=$dir/results.txt
: >"$res"
failed=0
for ((r = 1; r <= rounds; r++)); do
    for s in "$@"; do
        for c in $combos; do
            limit=$(awk -v n="$s" '$1 == n { print $2 }' "$here/scenarios/scenarios.list")
            line=$(QDI_COMBO=$c QDI_SCENARIO_TIMEOUT=${limit:-300} timeout -k 10 $((${limit:-300} + 60)) \
                bash "$here/scenarios/$s.sh" 2>"$dir/$s.$c.$r.log" | grep '^RESULT ' | tail -n1)
            [[ -n $line ]] || line="RESULT scenario=$s combo=$c status=fail reason=no RESULT line"
            [[ $line == *status=pass* ]] || failed=1
            echo "round $r: $line" >&2
            echo "$line" >>"$res"
        done
    done
done
echo "| scenario | timing | combination | runs | min | median | max |"
echo "|---|---|---|---|---|---|---|"
awk '
{
    sc = ""; co = ""; ok = 0
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "scenario") sc = kv[2]
        else if (kv[1] == "combo") co = kv[2]
        else if (kv[1] == "status") ok = (kv[2] == "pass")
    }
    if (!ok) next
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] ~ /_seconds$/ && kv[1] != "cert_seconds" && kv[2] ~ /^[0-9.]+$/) {
            k = sc SUBSEP kv[1] SUBSEP co
            v[k] = v[k] " " kv[2]
        }
    }
}
END {
    for (k in v) {
        split(k, p, SUBSEP)
        n = split(v[k], x, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
        med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        printf "| %s | %s | %s | %d | %.2f | %.2f | %.2f |\n", p[1], p[2], p[3], n, x[1], med, x[n]
    }
}' "$res" | sort
echo
echo "RESULT lines: $res" >&2
exit $failed
