#!/usr/bin/env bash
# ctest integration.demo: starts the demo (../demo-cluster.sh), checks its output, stops it and checks that nothing is left.
#
# Usage: demo-check.sh BUILD_DIR   (QDI_COMBO as for the demo, default ours)
# Exit status: 0 pass, 1 fail, 77 skipped (root or a program missing: the
# demo's own exit status 77).  Uses its own QDI_DEMO_ROOT, so a demo a user
# left running is not touched.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
demo=$here/../demo-cluster.sh
build=${1:-${QDI_BUILD_DIR:-}}
[[ -n $build ]] || { echo "usage: demo-check.sh BUILD_DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "SKIP: not root"; exit 77; }

root=$(mktemp -d /tmp/qdi-demo-check.XXXXXX) || exit 1
export QDI_DEMO_ROOT=$root/demo
out=$root/start.out err=$root/start.err
stopped=0
fail() {
    echo "FAIL: $*"
    ((stopped)) || bash "$demo" stop >>"$root/stop.out" 2>&1
    echo "--- demo start stderr (last 40 lines):"
    tail -n 40 "$err" 2>/dev/null
    echo "(files kept in $root)"
    exit 1
}
trap 'fail "interrupted"' INT TERM HUP

bash "$demo" start "$build" >"$out" 2>"$err"
rc=$?
if ((rc == 77)); then
    sed 's/^demo: /SKIP: /' "$err"
    rm -rf --one-file-system "$root"
    exit 77
fi
((rc == 0)) || fail "demo start exited $rc"

# The output: both nodes' quorumtool with the Qdevice row, the cluster in qnetd's list.
n=$(grep -Ec '^ +0 +1 +Qdevice$' "$out")
((n == 2)) || fail "expected the 'Qdevice' row with 1 vote for both nodes in the output, found $n"
n=$(grep -Ec '^Flags: +Quorate Qdevice *$' "$out")
((n == 2)) || fail "expected 'Flags: Quorate Qdevice' for both nodes, found $n"
grep -q '^Cluster "qdi":$' "$out" || fail "corosync-qnetd-tool -l output does not list cluster \"qdi\""
n=$(grep -Ec '^    Node ID [12]:$' "$out")
((n == 2)) || fail "corosync-qnetd-tool -l does not list node IDs 1 and 2"

# What the demo started, for the leftover check.
runs=("$QDI_DEMO_ROOT"/*/)
((${#runs[@]} == 1)) && [[ -d ${runs[0]} ]] || fail "expected exactly one run directory under $QDI_DEMO_ROOT"
run=${runs[0]%/}
mapfile -t nslist <"$run/netns"
((${#nslist[@]} == 4)) || fail "expected 4 namespaces in $run/netns, found ${#nslist[@]}"
procs=()
for f in "$run"/pids/* "$run"/keepers/*; do
    [[ -e $f ]] && procs+=("$(cat "$f")")
done
((${#procs[@]} >= 6)) || fail "expected at least 6 recorded processes (3 daemons + keepers), found ${#procs[@]}"
shm=$(source "$run/state" && echo "$QDI_SHM")
bash "$demo" status >"$root/status.out" 2>&1 || fail "demo status exited non-zero"
grep -Eq '^ +0 +1 +Qdevice$' "$root/status.out" || fail "demo status shows no Qdevice row"

bash "$demo" stop >"$root/stop.out" 2>&1
rc=$?
stopped=1
((rc == 0)) || fail "demo stop exited $rc: $(cat "$root/stop.out")"

# Nothing left: namespaces, processes (PID and start time), shm, files.
for ns in "${nslist[@]}"; do
    [[ -e /run/netns/$ns ]] && fail "namespace $ns still exists after stop"
done
for p in "${procs[@]}"; do
    read -r pid st <<<"$p"
    s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    s=${s##*) }
    read -r -a a <<<"$s"
    [[ ${a[19]} == "$st" && ${a[0]} != Z ]] && fail "process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) still runs after stop"
done
[[ -e $shm ]] && fail "$shm still exists after stop"
[[ -e $QDI_DEMO_ROOT ]] && fail "$QDI_DEMO_ROOT still exists after stop"
bash "$demo" status >/dev/null 2>&1 && fail "demo status succeeded after stop"

echo "PASS: demo started (Qdevice row on both nodes, cluster listed by qnetd), stopped, nothing left" \
    "(${#nslist[@]} namespaces, ${#procs[@]} processes)"
rm -rf --one-file-system "$root"
exit 0
