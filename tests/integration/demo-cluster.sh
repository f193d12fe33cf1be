#!/usr/bin/env bash
# The demo: a 2-node corosync cluster + arbiter in network namespaces, quorum device set up the way `pvecm qdevice setup` does it, left running.
#
# Usage (root):
#   demo-cluster.sh start [BUILD_DIR]   build the cluster, print its quorum state, leave it running
#   demo-cluster.sh status              print the state of the running demo again
#   demo-cluster.sh stop                stop everything the demo started, delete its namespaces and files
#
# Programs: QDI_COMBO (default ours: our qnetd, qdevice, tools and certutils
# from BUILD_DIR, default <repo>/build) or the *_BIN variables, exactly as in
# the integration harness (README.md there).  Certificates are made by the
# chosen certutils in pvecm's order (pvecm/pvecm.sh).  The demo keeps its
# state under QDI_DEMO_ROOT (default /tmp/qdi-demo), apart from the harness's
# run directories, so the harness's garbage collection never touches it.
# Exit status: 0 done, 1 failed (cleaned up, logs kept, path printed),
# 2 bad usage, 77 a needed program or prerequisite is missing.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PVECM_ORDER:=early}"       # pmxcfs reloads before the daemons start: one clean start each
source "$here/lib/qdi.sh"
source "$here/pvecm/pvecm.sh"
: "${QDI_DEMO_ROOT:=/tmp/qdi-demo}"
QDI_RUN_ROOT=$QDI_DEMO_ROOT
QDI_NODES=2 QDI_ALGO=ffsplit
DEMO_STARTED=0

say() { echo "demo: $*" >&2; }

# Runs of the demo root that are not finished (normally none or one).
_demo_runs() {
    local d
    [[ -d $QDI_DEMO_ROOT ]] || return 0
    for d in "$QDI_DEMO_ROOT"/*/; do
        d=${d%/}
        [[ -e $d/owner && ! -e $d/done ]] && echo "$d"
    done
    return 0
}
# _demo_alive RUN: some daemon recorded by RUN still runs.
_demo_alive() {
    local f pid st
    for f in "$1"/pids/*; do
        [[ -e $f ]] || continue
        read -r pid st <"$f" || continue
        [[ $(qdi_starttime "$pid") == "$st" && $(qdi_proc_state "$pid") != Z ]] && return 0
    done
    return 1
}
# _demo_load RUN: the run's identity and programs (saved at start).
_demo_load() {
    QDI_RUN=$1
    QDI_ROOT_MNT=$(readlink /proc/self/ns/mnt)
    # shellcheck disable=SC1091
    source "$QDI_RUN/state" && source "$QDI_RUN/demo.env" || { say "cannot read $QDI_RUN/demo.env"; exit 1; }
}

_demo_print_state() {
    local h pid
    for h in $(qdi_nodes); do
        echo "=== $h ($(qdi_ip "$h")): corosync-quorumtool -s"
        qdi_hq 5 "$h" "$COROSYNC_QUORUMTOOL" -s 2>&1
        echo
    done
    echo "=== arbiter ($(qdi_ip arb)): corosync-qnetd-tool -l"
    qdi_hq 5 arb "$QNETD_TOOL_BIN" -l 2>&1
    echo
    echo "Programs: qnetd $QNETD_BIN, qdevice $QDEVICE_BIN (combination $QDI_COMBO)"
    echo "Run any tool on a host by entering its namespaces, e.g.:"
    for h in $(qdi_nodes); do
        pid=$(qdi_pid "$h" corosync) &&
            echo "  nsenter -t $pid -m -n $QDEVICE_TOOL_BIN -s -v      # on $h"
    done
    pid=$(qdi_pid arb qnetd) && echo "  nsenter -t $pid -m -n $QNETD_TOOL_BIN -l -v        # on the arbiter"
    echo "Logs: $(qdi_hostdir n1)/log/, $(qdi_hostdir arb)/log/, $QDI_RUN/log/pvecm.log"
}

_demo_on_exit() {
    local rc=$?
    trap '' INT TERM HUP
    trap - EXIT
    ((DEMO_STARTED)) && exit 0
    if [[ -n ${QDI_RUN:-} && -d $QDI_RUN ]]; then
        [[ $QDI_STATUS == fail ]] && _qdi_dump_state
        qdi_cleanup_run "$QDI_RUN"
        say "FAILED: ${QDI_REASON:-exit status $rc}"
        say "everything the demo started is stopped; logs kept in $QDI_RUN"
    fi
    ((rc == 0)) && rc=1
    exit "$rc"
}

demo_start() {
    local d missing
    if [[ -n ${1:-} ]]; then
        # Absolute: the programs run inside the hosts' views, whose working directory is /.
        QDI_BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { say "no build directory $1"; exit 2; }
    fi
    [[ $(id -u) == 0 ]] || { say "must run as root (network and mount namespaces)"; exit 77; }
    for d in $(_demo_runs); do
        if _demo_alive "$d"; then
            say "a demo cluster is already running ($d); stop it first: scripts/demo.sh --stop"
            exit 1
        fi
        say "cleaning up a dead demo run $d"
        qdi_cleanup_run "$d"
        rm -rf "$d"
    done
    qdi_resolve_programs >/dev/null || { say "$(qdi_resolve_programs)"; exit 2; }
    missing=$(qdi_missing)
    if [[ -n $missing ]]; then
        while IFS= read -r l; do say "cannot start: $l"; done <<<"$missing"
        if [[ $missing == *QDEVICE* && $QDI_COMBO == ours ]]; then
            say "our corosync-qdevice programs are not built; QDI_COMBO=qnetd-ours runs the demo" \
                "with our qnetd and Debian's corosync-qdevice"
        fi
        exit 77
    fi
    trap _demo_on_exit EXIT
    trap 'QDI_STATUS=fail QDI_REASON="interrupted"; exit 1' INT TERM HUP
    QDI_T_START=${EPOCHREALTIME/./}
    QDI_SCENARIO=demo
    _qdi_new_run || { say "cannot create a run directory under $QDI_DEMO_ROOT"; exit 1; }
    local v
    for v in QDI_COMBO QDI_BUILD_DIR QDI_NODES QDI_ALGO QNETD_BIN QNETD_TOOL_BIN QNETD_CERTUTIL \
        QDEVICE_BIN QDEVICE_TOOL_BIN QDEVICE_CERTUTIL COROSYNC_QUORUMTOOL COROSYNC_CFGTOOL; do
        printf '%s=%q\n' "$v" "${!v}"
    done >"$QDI_RUN/demo.env"
    say "combination $QDI_COMBO: qnetd $QNETD_BIN, qdevice $QDEVICE_BIN"
    say "run directory $QDI_RUN, namespaces $(qdi_ns '*')"
    say "starting a 2-node corosync cluster and the arbiter's corosync-qnetd"
    pvecm_cluster_create
    say "pvecm qdevice setup $(qdi_ip arb): certificates, corosync.conf, corosync-qdevice on every node"
    pvecm_qdevice_setup "$(qdi_ip arb)"
    qdi_await qdevice_seconds 60 qdi_p_all_full
    qdi_hold 2 qdi_all pvecm_p_with_device
    # The outputs shown are the ones checked.
    _demo_print_state >"$QDI_RUN/log/demo-state.txt" 2>&1
    grep -Eq '^ +0 +1 +Qdevice$' "$QDI_RUN/log/demo-state.txt" ||
        qdi_fail "corosync-quorumtool -s shows no Qdevice row with 1 vote"
    grep -q "^Cluster \"$QDI_CLUSTER\":" "$QDI_RUN/log/demo-state.txt" ||
        qdi_fail "corosync-qnetd-tool -l does not list cluster $QDI_CLUSTER"
    DEMO_STARTED=1
    cat "$QDI_RUN/log/demo-state.txt"
    echo
    echo "The demo cluster is running: every node is quorate with the quorum device's vote."
    echo "Show the state again: scripts/demo.sh --status   Stop it: scripts/demo.sh --stop"
}

demo_status() {
    local runs
    runs=$(_demo_runs)
    [[ -n $runs ]] || { say "no demo cluster is running"; exit 1; }
    _demo_load "${runs%%$'\n'*}"
    _demo_alive "$QDI_RUN" || { say "the demo in $QDI_RUN is not running any more; scripts/demo.sh --stop cleans up"; exit 1; }
    _demo_print_state
}

demo_stop() {
    local d h n=0
    [[ $(id -u) == 0 ]] || { say "must run as root"; exit 1; }
    for d in $(_demo_runs); do
        _demo_load "$d"
        # Graceful first (qdevice, corosync, qnetd), then the harness cleanup
        # removes whatever is left and the namespaces.
        for h in $(qdi_nodes); do
            qdi_signal "$h" qdevice TERM 10 && n=$((n + 1))
            qdi_signal "$h" corosync TERM 15 && n=$((n + 1))
        done
        qdi_signal arb qnetd TERM 10 && n=$((n + 1))
        qdi_cleanup_run "$d"
        rm -rf "$d"
        say "stopped the demo in $d ($n daemons; namespaces $(qdi_ns '*') deleted)"
    done
    # Runs that failed earlier keep their logs until stop.
    if [[ -d $QDI_DEMO_ROOT ]]; then
        for d in "$QDI_DEMO_ROOT"/*/; do
            [[ -e ${d%/}/done ]] && rm -rf "${d%/}"
        done
        rmdir "$QDI_DEMO_ROOT" 2>/dev/null
    fi
    ((n)) || say "no demo cluster was running"
    return 0
}

case ${1:-} in
start) shift; demo_start "$@" ;;
status) demo_status ;;
stop) demo_stop ;;
*) echo "usage: demo-cluster.sh start [BUILD_DIR] | status | stop" >&2; exit 2 ;;
esac
