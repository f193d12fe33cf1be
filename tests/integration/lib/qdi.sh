# Bash library of the real-cluster integration harness: hosts in network namespaces, daemons, faults, queries.
#
# Sourced by the scenario scripts (scenarios/*.sh) and by the `qdi` CLI.  Every
# simulated host is a network namespace on a private bridge plus a private view
# of /etc/corosync, /var/lib/corosync, /var/log/corosync, /dev/shm and /run
# (lib/qdi-view), so every daemon and tool runs with its compiled-in paths.
# See ../README.md for the model; names below are prefixed qdi_ (public) or
# _qdi_ (internal).

# ---------------------------------------------------------------------------
# Settings (all may be preset in the environment)
# ---------------------------------------------------------------------------
QDI_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QDI_HOME=$(cd "$QDI_LIB/.." && pwd)
: "${QDI_COMBO:=ours}"                      # upstream | ours | qnetd-ours | qdevice-ours
: "${QDI_BUILD_DIR:=$(cd "$QDI_HOME/../.." && pwd)/build}"
# Programs run inside namespaces from other directories: a relative build dir would not resolve.
[[ $QDI_BUILD_DIR == /* ]] || QDI_BUILD_DIR=$(cd "$QDI_BUILD_DIR" 2>/dev/null && pwd || echo "$PWD/$QDI_BUILD_DIR")
: "${QDI_RUN_ROOT:=/tmp/qdi-runs}"          # one directory per run
: "${QDI_SUBNET:=198.18.7}"                 # RFC 2544 benchmarking range, /24
: "${QDI_ARB_OCTET:=200}"                   # arbiter address = SUBNET.200
: "${QDI_CLUSTER:=qdi}"                     # totem.cluster_name (= client certificate CN)
: "${QDI_TOKEN:=1000}"                      # totem.token (ms)
: "${QDI_QDEV_TIMEOUT:=4000}"               # quorum.device.timeout (ms)
: "${QDI_QDEV_SYNC_TIMEOUT:=8000}"          # quorum.device.sync_timeout (ms)
: "${QDI_POLL_MS:=200}"                     # sampling period
: "${QDI_QUERY_TIMEOUT:=4}"                 # one corosync-quorumtool call (s)
: "${QDI_DEBUG:=0}"                         # 1: corosync "debug: on" (and -d, see QDI_DAEMON_DEBUG)
: "${QDI_KEEP:=0}"                          # 1: keep the run directory even on success
: "${QDI_VERBOSE:=0}"                       # 1: log every harness action
: "${COROSYNC_BIN:=/usr/sbin/corosync}"
: "${COROSYNC_QUORUMTOOL:=/usr/sbin/corosync-quorumtool}"
: "${COROSYNC_CFGTOOL:=/usr/sbin/corosync-cfgtool}"
: "${COROSYNC_CMAPCTL:=/usr/sbin/corosync-cmapctl}"

QDI_UPSTREAM_QNETD_BIN=/usr/bin/corosync-qnetd
QDI_UPSTREAM_QNETD_TOOL_BIN=/usr/bin/corosync-qnetd-tool
QDI_UPSTREAM_QNETD_CERTUTIL=/usr/bin/corosync-qnetd-certutil
QDI_UPSTREAM_QDEVICE_BIN=/usr/sbin/corosync-qdevice
QDI_UPSTREAM_QDEVICE_TOOL_BIN=/usr/sbin/corosync-qdevice-tool
QDI_UPSTREAM_QDEVICE_CERTUTIL=/usr/sbin/corosync-qdevice-net-certutil

QDI_NSS_QNETD=/etc/corosync/qnetd/nssdb            # paths inside a host view
QDI_NSS_NODE=/etc/corosync/qdevice/net/nssdb
QDI_XFER=/run/qdi-xfer                             # a host's private drop directory ("/tmp" of scp)

# ---------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------
qdi_now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }
qdi_us2s() { # microseconds -> seconds with 3 decimals
    local us=$1 sign=""
    ((us < 0)) && { sign=-; us=$((-us)); }
    printf '%s%d.%03d' "$sign" $((us / 1000000)) $(((us % 1000000) / 1000))
}
qdi_since() { qdi_us2s $((${EPOCHREALTIME/./} - $1)); }   # seconds since a qdi_now_us mark
_qdi_secs() { printf -v REPLY '%d.%03d' $(($1 / 1000000)) $((($1 % 1000000) / 1000)); } # us >= 0 -> REPLY
qdi_log() { printf '[%s %7s] %s\n' "$(date +%T.%3N)" "+$(qdi_since "${QDI_T_START:-${EPOCHREALTIME/./}}")" "$*" >&2; }
qdi_vlog() { [[ $QDI_VERBOSE == 1 ]] && qdi_log "$@"; return 0; }
qdi_sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# /proc/PID/stat field 22 (start time in clock ticks); empty if no such process.
qdi_starttime() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }                     # the command name may contain spaces and ')'
    set -- $s
    echo "${20}"
}
qdi_proc_state() { # R/S/D/Z/... or empty
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    echo "${s%% *}"
}

# ---------------------------------------------------------------------------
# Programs under test: the combination switch
# ---------------------------------------------------------------------------
# Sets QNETD_BIN QNETD_TOOL_BIN QNETD_CERTUTIL QDEVICE_BIN QDEVICE_TOOL_BIN
# QDEVICE_CERTUTIL from QDI_COMBO unless a variable is already set (an
# explicitly set variable always wins).  Returns 2 on an unknown combination.
qdi_resolve_programs() {
    local qnetd_side qdevice_side b=$QDI_BUILD_DIR
    # Programs run inside the hosts' views with / as working directory: the path must be absolute.
    [[ -d $b ]] && b=$(cd "$b" && pwd)
    case $QDI_COMBO in
    upstream) qnetd_side=up qdevice_side=up ;;
    ours) qnetd_side=ours qdevice_side=ours ;;
    qnetd-ours) qnetd_side=ours qdevice_side=up ;;
    qdevice-ours) qnetd_side=up qdevice_side=ours ;;
    *)
        echo "unknown QDI_COMBO '$QDI_COMBO' (upstream|ours|qnetd-ours|qdevice-ours)"
        return 2
        ;;
    esac
    if [[ $qnetd_side == up ]]; then
        : "${QNETD_BIN:=$QDI_UPSTREAM_QNETD_BIN}" "${QNETD_TOOL_BIN:=$QDI_UPSTREAM_QNETD_TOOL_BIN}"
        : "${QNETD_CERTUTIL:=$QDI_UPSTREAM_QNETD_CERTUTIL}"
    else
        : "${QNETD_BIN:=$b/qnetd/corosync-qnetd}" "${QNETD_TOOL_BIN:=$b/qnetd/corosync-qnetd-tool}"
        : "${QNETD_CERTUTIL:=$b/qnetd/corosync-qnetd-certutil}"
    fi
    if [[ $qdevice_side == up ]]; then
        : "${QDEVICE_BIN:=$QDI_UPSTREAM_QDEVICE_BIN}" "${QDEVICE_TOOL_BIN:=$QDI_UPSTREAM_QDEVICE_TOOL_BIN}"
        : "${QDEVICE_CERTUTIL:=$QDI_UPSTREAM_QDEVICE_CERTUTIL}"
    else
        : "${QDEVICE_BIN:=$b/qdevice/corosync-qdevice}" "${QDEVICE_TOOL_BIN:=$b/qdevice/corosync-qdevice-tool}"
        : "${QDEVICE_CERTUTIL:=$b/qdevice/corosync-qdevice-net-certutil}"
    fi
    export QNETD_BIN QNETD_TOOL_BIN QNETD_CERTUTIL QDEVICE_BIN QDEVICE_TOOL_BIN QDEVICE_CERTUTIL
    # The corosync-call guard (doc/corosync-calls.md) goes into every qdevice when it is built.
    : "${QDI_COROSYNC_GUARD:=$b/tests/integration/corosync_guard/libqdi_corosync_guard.so}"
    [[ $qdevice_side == ours ]] && QDI_QDEVICE_OURS=1 || QDI_QDEVICE_OURS=0
    [[ $qnetd_side == ours ]] && QDI_QNETD_OURS=1 || QDI_QNETD_OURS=0
}

# Prints one "missing ..." line per program or prerequisite that is absent;
# nothing when everything needed is there.
qdi_missing() {
    local v p
    for v in QNETD_BIN QNETD_TOOL_BIN QNETD_CERTUTIL QDEVICE_BIN QDEVICE_TOOL_BIN QDEVICE_CERTUTIL; do
        p=${!v}
        [[ -f $p && -x $p ]] || echo "missing program $v=$p (combination $QDI_COMBO)"
    done
    for p in "$COROSYNC_BIN" "$COROSYNC_QUORUMTOOL" "$COROSYNC_CFGTOOL" "$COROSYNC_CMAPCTL"; do
        [[ -x $p ]] || echo "missing program $p (package corosync)"
    done
    for p in ip iptables iptables-restore nsenter timeout mount ss awk; do
        command -v "$p" >/dev/null || echo "missing tool $p"
    done
    [[ $(id -u) == 0 ]] || echo "not root (network and mount namespaces need root)"
    [[ -d /var/lib/corosync && -d /var/log/corosync && -d /etc/corosync ]] ||
        echo "missing /etc/corosync, /var/lib/corosync or /var/log/corosync (package corosync)"
}

# ---------------------------------------------------------------------------
# Runs: identity, owner, result, cleanup, watchdog, gc
# ---------------------------------------------------------------------------
# Per run: $QDI_RUN (directory), $QDI_ID (namespace prefix part), $QDI_SHM.
# Files in $QDI_RUN: owner ("PID STARTTIME" of the creating shell), state,
# netns (one namespace per line, in creation order), pids/<host>.<name>
# ("PID STARTTIME" of a daemon), keepers/ (the keeper subshells), exit/
# <host>.<name> (a daemon's exit status), hosts/<host>/{etc,lib,log,run},
# log/ (harness logs, samples, tool outputs), q/ (latest raw queries), limit,
# watchdog-fired, done (cleanup finished).

declare -A QDI_METRIC=()     # measured values for the RESULT line
QDI_METRIC_KEYS=()
QDI_STATUS=""                # pass | fail | skip
QDI_REASON=""
QDI_NODES=2
QDI_SCENARIO=${QDI_SCENARIO:-adhoc}
QDI_WATCHDOG_PID=""

qdi_metric() { # NAME VALUE: record (later values replace earlier ones)
    [[ -v "QDI_METRIC[$1]" ]] || QDI_METRIC_KEYS+=("$1")
    QDI_METRIC[$1]=$2
}

# qdi_begin SCENARIO TIMEOUT_S: start a scenario run (sets traps and a watchdog).
qdi_begin() {
    QDI_SCENARIO=$1
    local limit=$2 missing
    QDI_T_START=${EPOCHREALTIME/./}
    QDI_PARENT=$$
    trap _qdi_on_exit EXIT
    trap '_qdi_on_signal INT' INT
    trap '_qdi_on_signal TERM' TERM
    trap '_qdi_on_signal HUP' HUP
    if ! qdi_resolve_programs >/dev/null; then
        QDI_STATUS=fail QDI_REASON=$(qdi_resolve_programs)
        exit 2
    fi
    missing=$(qdi_missing)
    if [[ -n $missing ]]; then
        while IFS= read -r l; do echo "SKIP: $l"; done <<<"$missing"
        QDI_STATUS=skip QDI_REASON=$(head -n1 <<<"$missing")
        exit 77
    fi
    qdi_gc quiet
    _qdi_new_run || { QDI_STATUS=fail QDI_REASON="cannot create run directory"; exit 1; }
    qdi_log "scenario $QDI_SCENARIO, combination $QDI_COMBO, run $QDI_RUN"
    qdi_log "qnetd=$QNETD_BIN qdevice=$QDEVICE_BIN"
    # Watchdog: one background subshell that sends TERM to this shell after
    # the limit (the trap then cleans up); killed with its sleep at exit.
    echo "$limit" >"$QDI_RUN/limit"
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        trap - EXIT INT HUP
        sleep "$limit" &
        sp=$!
        wait "$sp"
        touch "$QDI_RUN/watchdog-fired"
        kill -TERM "$QDI_PARENT" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    QDI_WATCHDOG_PID=$!
}

_qdi_new_run() {
    local id=$$ n=0
    mkdir -p "$QDI_RUN_ROOT" || return 1
    while ! mkdir "$QDI_RUN_ROOT/$id" 2>/dev/null; do
        ((++n > 20)) && return 1
        id=$$x$RANDOM
    done
    QDI_ID=$id
    QDI_RUN=$QDI_RUN_ROOT/$id
    QDI_SHM=/dev/shm/qdi-$id
    QDI_ROOT_MNT=$(readlink /proc/self/ns/mnt)
    mkdir -p "$QDI_RUN"/{pids,keepers,exit,hosts,log,q} "$QDI_SHM" || return 1
    echo "$$ $(qdi_starttime $$)" >"$QDI_RUN/owner"
    printf 'QDI_ID=%q\nQDI_SHM=%q\nQDI_SCENARIO=%q\n' "$QDI_ID" "$QDI_SHM" "$QDI_SCENARIO" >"$QDI_RUN/state"
    : >"$QDI_RUN/netns"
}

_qdi_on_signal() {
    trap '' INT TERM HUP
    if [[ -z $QDI_STATUS ]]; then
        QDI_STATUS=fail
        if [[ $1 == TERM && -e ${QDI_RUN:-/nonexistent}/watchdog-fired ]]; then
            QDI_REASON="watchdog: scenario exceeded $(cat "$QDI_RUN/limit") s"
        else
            QDI_REASON="interrupted by SIG$1"
        fi
    fi
    exit 1
}

# qdi_fail REASON...: the scenario failed; cleanup and RESULT follow.
qdi_fail() {
    QDI_STATUS=fail QDI_REASON="$*"
    qdi_log "FAIL: $*"
    exit 1
}
qdi_pass() {
    QDI_STATUS=pass
    exit 0
}

_qdi_on_exit() {
    local rc=$? k line secs
    trap '' INT TERM HUP
    trap - EXIT
    [[ -n $QDI_WATCHDOG_PID ]] && kill -TERM "$QDI_WATCHDOG_PID" 2>/dev/null
    if [[ -z $QDI_STATUS ]]; then
        QDI_STATUS=fail
        QDI_REASON="script ended unexpectedly (exit status $rc)"
    fi
    if [[ -n ${QDI_RUN:-} && -d $QDI_RUN ]]; then
        [[ $QDI_STATUS == fail ]] && _qdi_dump_state
        qdi_cleanup_run "$QDI_RUN"
        if [[ $QDI_STATUS == pass && $QDI_KEEP != 1 ]]; then
            rm -rf --one-file-system "$QDI_RUN"
        else
            qdi_log "run directory kept: $QDI_RUN"
        fi
    fi
    [[ -n $QDI_WATCHDOG_PID ]] && wait "$QDI_WATCHDOG_PID" 2>/dev/null
    secs=$(qdi_since "${QDI_T_START:-${EPOCHREALTIME/./}}")
    line="RESULT scenario=$QDI_SCENARIO combo=$QDI_COMBO status=$QDI_STATUS seconds=$secs"
    for k in "${QDI_METRIC_KEYS[@]}"; do line+=" $k=${QDI_METRIC[$k]}"; done
    [[ -n $QDI_REASON ]] && line+=" reason=$QDI_REASON"
    echo "$line"
    case $QDI_STATUS in
    pass) exit 0 ;;
    skip) exit 77 ;;
    *) ((rc != 0 && rc != 77)) && exit "$rc"; exit 1 ;;
    esac
}

# On failure: the last state of every node and of qnetd into the run log.
_qdi_dump_state() {
    local h
    [[ -s $QDI_RUN/netns ]] || return 0
    {
        for h in $(qdi_nodes); do
            qdi_is_running "$h" corosync || continue
            echo "=== $h corosync-quorumtool -s"
            qdi_hq 3 "$h" "$COROSYNC_QUORUMTOOL" -s 2>&1
            if qdi_is_running "$h" qdevice; then
                echo "=== $h corosync-qdevice-tool -s -v"
                qdi_hq 3 "$h" "$QDEVICE_TOOL_BIN" -s -v 2>&1
            fi
        done
        if qdi_is_running arb qnetd; then
            echo "=== arb corosync-qnetd-tool -l -v"
            qdi_hq 3 arb "$QNETD_TOOL_BIN" -l -v 2>&1
        fi
    } >"$QDI_RUN/log/final-state.txt" 2>&1
}

# qdi_cleanup_run DIR: stop everything a run started and delete its
# namespaces and shm directory.  Works for the current run and, from gc, for
# runs whose shell is gone.  Never touches anything the run did not record.
qdi_cleanup_run() {
    local run=$1 f pid st name ns nslist=()
    [[ -e $run/done ]] && return 0
    # 1. daemons: SIGKILL (a graceful stop is not what cleanup is for), only
    #    PIDs whose start time still matches the record.
    for f in "$run"/pids/*; do
        [[ -e $f ]] || continue
        read -r pid st <"$f" || continue
        [[ $(qdi_starttime "$pid") == "$st" ]] || continue
        [[ $(qdi_proc_state "$pid") == Z ]] && continue
        kill -KILL "$pid" 2>/dev/null
    done
    # The keepers end once their daemon is gone; reap ours, kill stragglers.
    for f in "$run"/keepers/*; do
        [[ -e $f ]] || continue
        read -r pid st <"$f" || continue
        _qdi_wait_until 2 0.02 _qdi_gone "$pid" "$st" ||
            { [[ $(qdi_starttime "$pid") == "$st" ]] && kill -KILL "$pid" 2>/dev/null; }
        wait "$pid" 2>/dev/null
    done
    # 2. anything else still inside one of the run's namespaces (heuristics
    #    workers and commands, stray tools) was started by this run: kill it.
    if [[ -s $run/netns ]]; then
        mapfile -t nslist <"$run/netns"
        _qdi_kill_netns_procs "${nslist[@]}"
        # 3. the namespaces (iptables rules, bridge and veths live inside them).
        while read -r ns; do
            [[ -e /run/netns/$ns ]] && ip netns delete "$ns" 2>/dev/null
        done <"$run/netns"
    fi
    # 4. shm directory of the run.
    # shellcheck disable=SC1091
    name=$( (source "$run/state" 2>/dev/null && echo "$QDI_SHM"))
    [[ $name == /dev/shm/qdi-* && -d $name ]] && rm -rf "$name"
    touch "$run/done"
}

# _qdi_kill_netns_procs NS...: SIGKILL every process whose network namespace
# is one of NS (compared by device and inode, `-ef`), re-checking the start
# time between lookup and kill; repeated until none is left (max 3 rounds).
_qdi_kill_netns_procs() {
    local ns p pid st round found live=()
    for ns in "$@"; do [[ -e /run/netns/$ns ]] && live+=("/run/netns/$ns"); done
    ((${#live[@]})) || return 0
    for round in 1 2 3; do
        found=0
        for p in /proc/[0-9]*; do
            pid=${p#/proc/}
            [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
            for ns in "${live[@]}"; do
                [[ $p/ns/net -ef $ns ]] || continue
                st=$(qdi_starttime "$pid") || break
                [[ $(qdi_proc_state "$pid") == Z ]] && break
                found=1
                [[ $p/ns/net -ef $ns && $(qdi_starttime "$pid") == "$st" ]] && kill -KILL "$pid" 2>/dev/null
                break
            done
        done
        ((found)) || return 0
        sleep 0.2
    done
}

# qdi_gc [quiet|purge]: clean up runs whose creating shell is gone (killed
# runs).  purge: also delete the kept directories of finished runs.
qdi_gc() {
    local quiet="" purge="" d pid st n=0
    [[ ${1:-} == quiet ]] && quiet=1
    [[ ${1:-} == purge ]] && purge=1
    [[ -d $QDI_RUN_ROOT ]] || return 0
    for d in "$QDI_RUN_ROOT"/*/; do
        d=${d%/}
        [[ -e $d/owner && ! -e $d/done ]] || continue
        read -r pid st <"$d/owner" || continue
        [[ $(qdi_starttime "$pid") == "$st" ]] && continue # still running
        [[ $quiet ]] || echo "gc: cleaning up $d (owner $pid gone)"
        qdi_cleanup_run "$d"
        n=$((n + 1))
    done
    [[ $quiet ]] || echo "gc: $n run(s) cleaned"
    if [[ $purge ]]; then
        for d in "$QDI_RUN_ROOT"/*/; do
            d=${d%/}
            [[ -e $d/done ]] || continue
            rm -rf --one-file-system "$d" && echo "gc: removed $d"
        done
    fi
    return 0
}

# ---------------------------------------------------------------------------
# Hosts and the network
# ---------------------------------------------------------------------------
# Hosts: n1..nN (nodeid i, address SUBNET.i) and arb (SUBNET.200).
qdi_nodes() { local i; for ((i = 1; i <= QDI_NODES; i++)); do echo "n$i"; done; }
qdi_hosts() { qdi_nodes; echo arb; }
qdi_ns() { echo "qdi-$QDI_ID-$1"; }
qdi_ip() { if [[ $1 == arb ]]; then echo "$QDI_SUBNET.$QDI_ARB_OCTET"; else echo "$QDI_SUBNET.${1#n}"; fi; }
qdi_hostdir() { echo "$QDI_RUN/hosts/$1"; }

_qdi_add_netns() {
    ip netns add "$1" || return 1
    echo "$1" >>"$QDI_RUN/netns"
}

# qdi_net_create: the switch namespace with a bridge, one namespace per host,
# a veth from each host to the bridge, the QDI_CUT chain in each host.
qdi_net_create() {
    local sw h ns
    sw=$(qdi_ns sw)
    _qdi_add_netns "$sw" || qdi_fail "ip netns add $sw failed"
    ip -n "$sw" link set lo up
    ip -n "$sw" link add br0 type bridge || qdi_fail "bridge creation failed"
    ip -n "$sw" link set br0 up
    for h in $(qdi_hosts); do
        ns=$(qdi_ns "$h")
        _qdi_add_netns "$ns" || qdi_fail "ip netns add $ns failed"
        ip -n "$sw" link add "p-$h" type veth peer name eth0 netns "$ns" ||
            qdi_fail "veth for $h failed"
        ip -n "$sw" link set "p-$h" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$(qdi_ip "$h")/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip netns exec "$ns" iptables -w -N QDI_CUT &&
            ip netns exec "$ns" iptables -w -I INPUT -j QDI_CUT ||
            qdi_fail "iptables setup in $ns failed"
    done
    _qdi_wait_until 10 0.1 _qdi_net_ready || qdi_fail "network did not come up within 10 s"
}
_qdi_net_ready() {
    local h
    for h in $(qdi_nodes); do
        ip netns exec "$(qdi_ns "$h")" ping -c1 -W1 -q "$(qdi_ip arb)" >/dev/null 2>&1 || return 1
    done
}

# Generic bounded wait: _qdi_wait_until TIMEOUT_S INTERVAL_S CMD...
_qdi_wait_until() {
    local limit=$((${EPOCHREALTIME/./} + $1 * 1000000)) iv=$2
    shift 2
    while :; do
        "$@" && return 0
        ((${EPOCHREALTIME/./} >= limit)) && return 1
        sleep "$iv"
    done
}

# --- faults: packets are dropped on receipt by iptables inside the hosts ---
# The wanted topology is kept as a set of "A B" pairs (A<B, hosts that
# cannot hear each other); applying it rewrites every host's QDI_CUT chain
# atomically with iptables-restore, all hosts in parallel.
declare -A QDI_CUTS=()

_qdi_pair() { if [[ $1 < $2 ]]; then echo "$1 $2"; else echo "$2 $1"; fi; }
qdi_cut_pair() { QDI_CUTS["$(_qdi_pair "$1" "$2")"]=1; }
qdi_heal_pair() { unset 'QDI_CUTS['"$(_qdi_pair "$1" "$2")"']'; }
qdi_heal_all_pairs() { QDI_CUTS=(); }

# Rules for host H from the current cut set.
_qdi_rules_for() {
    local h=$1 p a b
    echo "*filter"
    echo ":QDI_CUT - [0:0]"
    for p in "${!QDI_CUTS[@]}"; do
        read -r a b <<<"$p"
        [[ $a == "$h" ]] && echo "-A QDI_CUT -s $(qdi_ip "$b")/32 -j DROP"
        [[ $b == "$h" ]] && echo "-A QDI_CUT -s $(qdi_ip "$a")/32 -j DROP"
    done
    echo "COMMIT"
}

# qdi_apply_cuts: push the cut set to all hosts (in parallel, bounded).
qdi_apply_cuts() {
    local h pids=() rc=0 p
    for h in $(qdi_hosts); do
        _qdi_rules_for "$h" >"$QDI_RUN/log/rules.$h"
        timeout 10 ip netns exec "$(qdi_ns "$h")" iptables-restore -w --noflush <"$QDI_RUN/log/rules.$h" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    ((rc == 0)) || qdi_fail "iptables-restore failed"
    qdi_event "topology cuts=[$(qdi_cuts_str)]"
}
qdi_cuts_str() { local p s=""; for p in "${!QDI_CUTS[@]}"; do s+="${s:+,}${p/ /-}"; done; echo "$s"; }

qdi_cut() { qdi_cut_pair "$1" "$2"; qdi_apply_cuts; }      # A B: cut both directions
qdi_heal() { qdi_heal_pair "$1" "$2"; qdi_apply_cuts; }
qdi_heal_all() { qdi_heal_all_pairs; qdi_apply_cuts; }

# qdi_partition "n1 n2" "n3 n4" [-- HOST...]: nodes in different groups
# cannot talk; hosts after "--" are also cut from the arbiter.  Replaces the
# whole topology.
qdi_partition() {
    local groups=() noarb=() i j a b seen_sep=0 g
    for g in "$@"; do
        if [[ $g == -- ]]; then seen_sep=1; continue; fi
        if ((seen_sep)); then noarb+=("$g"); else groups+=("$g"); fi
    done
    qdi_heal_all_pairs
    for ((i = 0; i < ${#groups[@]}; i++)); do
        for ((j = i + 1; j < ${#groups[@]}; j++)); do
            for a in ${groups[i]}; do
                for b in ${groups[j]}; do qdi_cut_pair "$a" "$b"; done
            done
        done
    done
    for a in "${noarb[@]}"; do qdi_cut_pair "$a" arb; done
    qdi_apply_cuts
}

# Harness events (with a wall-clock stamp in ms) for reading logs side by side.
# Same time stamp format as corosync's hires log lines, so lib/logcheck.awk
# can merge both.
qdi_event() {
    local t=$EPOCHREALTIME
    printf '%s.%s EVENT %s\n' "$(LC_ALL=C date -d "@${t%.*}" '+%b %d %T')" "${t:${#t}-6:3}" "$*" \
        >>"$QDI_RUN/log/events.log"
    qdi_vlog "event: $*"
}

# ---------------------------------------------------------------------------
# Running commands on a host
# ---------------------------------------------------------------------------
# qdi_hx HOST CMD...: run CMD in the host's namespace and file view.
qdi_hx() {
    local h=$1
    shift
    ip netns exec "$(qdi_ns "$h")" "$QDI_LIB/qdi-view" "$QDI_ROOT_MNT" \
        "$(qdi_hostdir "$h")" "$QDI_SHM/$h" "$@"
}
# qdi_hx_t SECONDS HOST CMD...: the same, bounded in time (exit 124 on timeout).
qdi_hx_t() {
    local t=$1 h=$2
    shift 2
    timeout -k 2 "$t" ip netns exec "$(qdi_ns "$h")" "$QDI_LIB/qdi-view" "$QDI_ROOT_MNT" \
        "$(qdi_hostdir "$h")" "$QDI_SHM/$h" "$@"
}

# qdi_copy SRCHOST:PATH DSTHOST:PATH: move a file between hosts the way scp
# does: read it in the source host's view, write it in the destination's.
qdi_copy() {
    local sh=${1%%:*} sp=${1#*:} dh=${2%%:*} dp=${2#*:} tmp
    tmp=$QDI_RUN/log/xfer.$$.tmp
    qdi_hx_t 20 "$sh" cat "$sp" >"$tmp" || { rm -f "$tmp"; return 1; }
    # scp semantics: a destination directory receives the file under its own name.
    qdi_hx_t 20 "$dh" sh -c 'd=$1; [ -d "$d" ] && d="$d/$2"; cat >"$d"' sh "$dp" "$(basename "$sp")" <"$tmp" ||
        { rm -f "$tmp"; return 1; }
    rm -f "$tmp"
    qdi_vlog "copied $1 -> $2"
}

# ---------------------------------------------------------------------------
# Host file trees and configuration
# ---------------------------------------------------------------------------
# Debian's corosync-qnetd postinst initialises the qnetd database at package
# installation (`corosync-qnetd-certutil -i -G`, then chgrp coroqnetd), so on
# Debian pvecm's own `-i` (step 3) finds it and fails, which pvecm ignores.
# QDI_QNETD_POSTINST=0 starts from an empty database instead.
: "${QDI_QNETD_POSTINST:=1}"
_qdi_qnetd_postinst() {
    local db
    _qdi_cstep postinst 1 arb "$QNETD_CERTUTIL" -i -G
    db=$(qdi_hostdir arb)/etc/qnetd/nssdb
    getent group coroqnetd >/dev/null && chgrp coroqnetd "$db" "$db/cert9.db" "$db/key4.db" 2>/dev/null
    return 0
}

# qdi_hosts_create: directories of every host as a fresh package install
# would leave them, plus a shared authkey on the nodes.
qdi_hosts_create() {
    local h d
    for h in $(qdi_hosts); do
        d=$(qdi_hostdir "$h")
        mkdir -p "$d"/{etc,lib,log,run} "$QDI_SHM/$h" || qdi_fail "mkdir $d failed"
        mkdir -p "$d/run${QDI_XFER#/run}"
    done
    # corosync-qnetd package: /etc/corosync/qnetd/nssdb (root:coroqnetd 0750)
    install -d -m 0755 "$(qdi_hostdir arb)/etc/qnetd"
    install -d -m 0750 "$(qdi_hostdir arb)/etc/qnetd/nssdb"
    getent group coroqnetd >/dev/null && chgrp coroqnetd "$(qdi_hostdir arb)/etc/qnetd/nssdb"
    [[ $QDI_QNETD_POSTINST == 1 ]] && _qdi_qnetd_postinst
    head -c 256 /dev/urandom >"$QDI_RUN/authkey"
    for h in $(qdi_nodes); do
        install -m 0400 "$QDI_RUN/authkey" "$(qdi_hostdir "$h")/etc/authkey"
    done
}

# Configuration knobs read by qdi_write_conf (set them before calling):
#   QDI_ALGO        ffsplit | lms            (default ffsplit)
#   QDI_DEVICE      1: quorum.device section, 0: none (default 1)
#   QDI_TIE_BREAKER empty (key absent) | lowest | highest | node id
#   QDI_QDEV_VOTES  empty: "votes: 1" for ffsplit, absent for lms; else the value
#   QDI_HEUR_MODE   empty (no heuristics section) | on | sync | off
#   QDI_HEUR_EXEC   heuristics exec_check command (with QDI_HEUR_MODE)
#   QDI_HEUR_INTERVAL, QDI_HEUR_TIMEOUT, QDI_HEUR_SYNC_TIMEOUT (ms, optional)
#   QDI_EXTRA_NODES configured nodes that never run (n<N+1>.., addresses with no host), default 0
#   QDI_NET_TLS     quorum.device.net.tls: on | off | required (default on, as pvecm writes it)
#   QDI_TWO_NODE    empty (key absent) | 0 | 1: quorum.two_node
#   QDI_CONFIG_VERSION (incremented by every qdi_write_conf)
: "${QDI_EXTRA_NODES:=0}" "${QDI_NET_TLS:=on}" "${QDI_TWO_NODE:=}"
: "${QDI_ALGO:=ffsplit}" "${QDI_DEVICE:=1}" "${QDI_TIE_BREAKER:=}" "${QDI_QDEV_VOTES:=}"
: "${QDI_HEUR_MODE:=}" "${QDI_HEUR_EXEC:=}" "${QDI_HEUR_INTERVAL:=}" "${QDI_HEUR_TIMEOUT:=}"
: "${QDI_HEUR_SYNC_TIMEOUT:=}"
QDI_CONFIG_VERSION=0

# Prints corosync.conf.  Node-independent: every node gets the same file, as
# pmxcfs would distribute it.  The quorum.device section is written the way
# `pvecm qdevice setup` writes it (keys sorted, two-space indent) plus the
# timeouts this harness shortens.
qdi_gen_conf() {
    local i votes=$QDI_QDEV_VOTES
    [[ -z $votes && $QDI_ALGO == ffsplit ]] && votes=1
    cat <<EOF
totem {
  cluster_name: $QDI_CLUSTER
  config_version: $QDI_CONFIG_VERSION
  crypto_cipher: aes256
  crypto_hash: sha256
  interface {
    linknumber: 0
  }
  ip_version: ipv4
  link_mode: passive
  secauth: on
  token: $QDI_TOKEN
  transport: knet
  version: 2
}

nodelist {
EOF
    for ((i = 1; i <= QDI_NODES + QDI_EXTRA_NODES; i++)); do
        printf '  node {\n    name: %s\n    nodeid: %s\n    quorum_votes: 1\n    ring0_addr: %s\n  }\n' \
            "n$i" "$i" "$(qdi_ip "n$i")"
    done
    echo "}"
    echo
    echo "quorum {"
    if [[ $QDI_DEVICE == 1 ]]; then
        echo "  device {"
        if [[ -n $QDI_HEUR_MODE ]]; then
            echo "    heuristics {"
            [[ -n $QDI_HEUR_EXEC ]] && echo "      exec_check: $QDI_HEUR_EXEC"
            [[ -n $QDI_HEUR_INTERVAL ]] && echo "      interval: $QDI_HEUR_INTERVAL"
            echo "      mode: $QDI_HEUR_MODE"
            [[ -n $QDI_HEUR_SYNC_TIMEOUT ]] && echo "      sync_timeout: $QDI_HEUR_SYNC_TIMEOUT"
            [[ -n $QDI_HEUR_TIMEOUT ]] && echo "      timeout: $QDI_HEUR_TIMEOUT"
            echo "    }"
        fi
        echo "    model: net"
        echo "    net {"
        echo "      algorithm: $QDI_ALGO"
        echo "      host: $(qdi_ip arb)"
        [[ -n $QDI_TIE_BREAKER ]] && echo "      tie_breaker: $QDI_TIE_BREAKER"
        echo "      tls: $QDI_NET_TLS"
        echo "    }"
        echo "    sync_timeout: $QDI_QDEV_SYNC_TIMEOUT"
        echo "    timeout: $QDI_QDEV_TIMEOUT"
        [[ -n $votes ]] && echo "    votes: $votes"
        echo "  }"
    fi
    echo "  provider: corosync_votequorum"
    [[ -n $QDI_TWO_NODE ]] && echo "  two_node: $QDI_TWO_NODE"
    echo "}"
    echo
    cat <<EOF
logging {
  debug: $([[ $QDI_DEBUG == 1 ]] && echo on || echo off)
  logfile: /var/log/corosync/corosync.log
  timestamp: hires
  to_logfile: yes
  to_stderr: no
  to_syslog: no
}
EOF
}

# qdi_write_conf: bump config_version, write corosync.conf on every node
# (atomically: temp file + rename, as pmxcfs does).
qdi_write_conf() {
    local h d
    QDI_CONFIG_VERSION=$((QDI_CONFIG_VERSION + 1))
    qdi_gen_conf >"$QDI_RUN/corosync.conf" || qdi_fail "config generation failed"
    for h in $(qdi_nodes); do
        d=$(qdi_hostdir "$h")/etc
        cp "$QDI_RUN/corosync.conf" "$d/.corosync.conf.new" && mv -f "$d/.corosync.conf.new" "$d/corosync.conf" ||
            qdi_fail "writing corosync.conf on $h failed"
    done
    qdi_event "corosync.conf version $QDI_CONFIG_VERSION written (algo=$QDI_ALGO device=$QDI_DEVICE heur=${QDI_HEUR_MODE:-none})"
}

# ---------------------------------------------------------------------------
# Certificates: exactly the order of `pvecm qdevice setup` (doc/tls.md §1.3)
# ---------------------------------------------------------------------------
# pvecm's /etc/pve (pmxcfs, visible on every member) is played by each
# member's private $QDI_XFER directory: a file "copied to /etc/pve" is copied
# to every member.  The arbiter's /tmp is its $QDI_XFER.  Step outputs go to
# log/certs.log.  Files are taken from the fixed paths pvecm uses.
_qdi_cstep() { # NAME MUST(0/1) HOST CMD...: one certificate step
    local name=$1 must=$2 h=$3 rc
    shift 3
    {
        echo "### step $name on $h: ${1##*/} ${*:2}"
        qdi_hx_t 60 "$h" "$@" </dev/null
        rc=$?
        echo "### exit status $rc"
    } >>"$QDI_RUN/log/certs.log" 2>&1
    # $rc is set inside the braces (same shell)
    if ((rc != 0)); then
        if ((must)); then
            qdi_fail "certificate step $name on $h failed (exit $rc): $*; see log/certs.log"
        fi
        qdi_log "certificate step $name on $h exited $rc (ignored, as pvecm does)"
    fi
    return 0
}
_qdi_ccopy() { # STEP SRC DST
    echo "### step $1: copy $2 -> $3" >>"$QDI_RUN/log/certs.log"
    qdi_copy "$2" "$3" 2>>"$QDI_RUN/log/certs.log" || qdi_fail "certificate step $1: copy $2 -> $3 failed"
}

qdi_certs() {
    local t0 h first=n1 cn=$QDI_CLUSTER
    t0=${EPOCHREALTIME/./}
    _qdi_cstep 3 0 arb "$QNETD_CERTUTIL" -i
    _qdi_ccopy 4 "arb:$QDI_NSS_QNETD/qnetd-cacert.crt" "$first:$QDI_XFER/qnetd-cacert.crt"
    for h in $(qdi_nodes); do
        [[ $h == "$first" ]] || _qdi_ccopy 4 "$first:$QDI_XFER/qnetd-cacert.crt" "$h:$QDI_XFER/qnetd-cacert.crt"
    done
    for h in $(qdi_nodes); do
        _qdi_cstep 5 0 "$h" "$QDEVICE_CERTUTIL" -i -c "$QDI_XFER/qnetd-cacert.crt"
    done
    for h in $(qdi_nodes); do rm -f "$(qdi_hostdir "$h")/run${QDI_XFER#/run}/qnetd-cacert.crt"; done # step 6
    _qdi_cstep 7 1 "$first" "$QDEVICE_CERTUTIL" -r -n "$cn"
    _qdi_ccopy 8 "$first:$QDI_NSS_NODE/qdevice-net-node.crq" "arb:$QDI_XFER"
    _qdi_cstep 9 1 arb "$QNETD_CERTUTIL" -s -c "$QDI_XFER/qdevice-net-node.crq" -n "$cn"
    _qdi_ccopy 10 "arb:$QDI_NSS_QNETD/cluster-$cn.crt" "$first:$QDI_NSS_NODE"
    _qdi_cstep 11 1 "$first" "$QDEVICE_CERTUTIL" -M -c "$QDI_NSS_NODE/cluster-$cn.crt"
    for h in $(qdi_nodes); do
        _qdi_ccopy 12 "$first:$QDI_NSS_NODE/qdevice-net-node.p12" "$h:$QDI_XFER/qdevice-net-node.p12"
    done
    for h in $(qdi_nodes); do
        _qdi_cstep 13 1 "$h" "$QDEVICE_CERTUTIL" -m -c "$QDI_XFER/qdevice-net-node.p12"
    done
    for h in $(qdi_nodes); do rm -f "$(qdi_hostdir "$h")/run${QDI_XFER#/run}/qdevice-net-node.p12"; done # step 14
    qdi_metric cert_seconds "$(qdi_since "$t0")"
    qdi_log "certificates done in $(qdi_since "$t0") s (pvecm qdevice setup order)"
}

# ---------------------------------------------------------------------------
# Daemons
# ---------------------------------------------------------------------------
_qdi_pidfile() { echo "$QDI_RUN/pids/$1.$2"; }

# qdi_spawn HOST NAME CMD...: start a foreground daemon on HOST.
# A small keeper subshell starts it (ip netns exec and qdi-view both exec,
# so the keeper's child is the daemon itself), records "PID STARTTIME" in
# pids/HOST.NAME, waits for it and writes its exit status to exit/HOST.NAME.
# The keeper, not this shell, is the daemon's parent: it reaps the daemon at
# once (no zombies) and bash's "Killed" job notices go to the daemon's log.
qdi_spawn() {
    local h=$1 name=$2 pf ef out
    shift 2
    if _qdi_running "$h" "$name"; then qdi_fail "$name already running on $h"; fi
    pf=$QDI_RUN/pids/$h.$name ef=$QDI_RUN/exit/$h.$name out=$(qdi_hostdir "$h")/log/$name.out
    rm -f "$pf" "$ef"
    (
        trap - EXIT INT TERM HUP
        (exec ip netns exec "$(qdi_ns "$h")" "$QDI_LIB/qdi-view" "$QDI_ROOT_MNT" \
            "$(qdi_hostdir "$h")" "$QDI_SHM/$h" "$@") </dev/null >>"$out" 2>&1 &
        d=$!
        echo "$d $(qdi_starttime "$d")" >"$pf.new" && mv "$pf.new" "$pf"
        wait "$d"
        echo $? >"$ef"
    ) </dev/null >/dev/null 2>>"$out" &
    echo "$! $(qdi_starttime $!)" >"$QDI_RUN/keepers/$h.$name.$!"
    _qdi_wait_until 5 0.01 test -e "$pf" || qdi_fail "starting $name on $h: no PID after 5 s"
    qdi_event "start $name on $h pid $(cut -d' ' -f1 "$pf")"
}

# _qdi_running HOST NAME: like qdi_is_running, without subprocesses.
_qdi_running() {
    local f=$QDI_RUN/pids/$1.$2 pid st line
    [[ -e $f ]] || return 1
    read -r pid st <"$f"
    { read -r line <"/proc/$pid/stat"; } 2>/dev/null || return 1
    line=${line##*) }
    read -r -a line <<<"$line"
    [[ ${line[19]} == "$st" && ${line[0]} != Z ]]
}

# _qdi_gone PID STARTTIME: that process no longer exists (or is a zombie).
_qdi_gone() { [[ $(qdi_starttime "$1") != "$2" || $(qdi_proc_state "$1") == Z ]]; }

# qdi_pid HOST NAME: PID if the recorded process is alive (not a zombie).
qdi_pid() {
    local f pid st
    f=$(_qdi_pidfile "$1" "$2")
    [[ -e $f ]] || return 1
    read -r pid st <"$f"
    [[ $(qdi_starttime "$pid") == "$st" ]] || return 1
    [[ $(qdi_proc_state "$pid") == Z ]] && return 1
    echo "$pid"
}
qdi_is_running() { _qdi_running "$1" "$2"; }

# _qdi_reap HOST NAME: true once the daemon has ended and its keeper has
# written the exit status (waits up to 2 s for the keeper).
_qdi_reap() {
    [[ -e $QDI_RUN/pids/$1.$2 ]] || return 0
    _qdi_running "$1" "$2" && return 1
    _qdi_wait_until 2 0.02 test -e "$QDI_RUN/exit/$1.$2"
    return 0
}

# qdi_signal HOST NAME SIG [WAIT_S]: signal a recorded daemon; with WAIT_S
# wait for its end, then SIGKILL.  Returns 1 if it was not running.
qdi_signal() {
    local h=$1 name=$2 sig=$3 w=${4:-0} pid limit
    pid=$(qdi_pid "$h" "$name") || return 1
    kill "-$sig" "$pid" 2>/dev/null
    qdi_event "SIG$sig $name on $h pid $pid"
    ((w > 0)) || return 0
    limit=$((${EPOCHREALTIME/./} + w * 1000000))
    while qdi_is_running "$h" "$name"; do
        if ((${EPOCHREALTIME/./} >= limit)); then
            qdi_log "$name on $h did not end within ${w}s after SIG$sig, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            limit=$((${EPOCHREALTIME/./} + 5000000))
            w=0
        fi
        sleep 0.05
    done
    _qdi_reap "$h" "$name"
    return 0
}
qdi_exit_status() { _qdi_reap "$1" "$2"; cat "$QDI_RUN/exit/$1.$2" 2>/dev/null; }

# qnetd/qdevice log only to syslog unless -d (there is no syslog daemon in
# the host views), so by default they get -d and their log is log/<name>.out.
: "${QDI_DAEMON_DEBUG:=1}"
_qdi_dflag() { [[ $QDI_DEBUG == 1 || $QDI_DAEMON_DEBUG == 1 ]] && echo -d; return 0; }

qdi_start_corosync() {
    qdi_event "corosync-up $1"
    qdi_spawn "$1" corosync "$COROSYNC_BIN" -f -c /etc/corosync/corosync.conf
}
# With the guard built, the qdevice runs under it: every cmap request made while its device is
# registered lands in log/corosync-guard.log (qdi_check_corosync_guard reads it).
qdi_start_qdevice() {
    local pre=()
    [[ -r $QDI_COROSYNC_GUARD ]] &&
        pre=(env "LD_PRELOAD=$QDI_COROSYNC_GUARD" QDI_COROSYNC_GUARD_LOG=/var/log/corosync/corosync-guard.log)
    qdi_spawn "$1" qdevice "${pre[@]}" "$QDEVICE_BIN" -f $(_qdi_dflag)
}
qdi_start_qnetd() { qdi_spawn arb qnetd "$QNETD_BIN" -f $(_qdi_dflag); }
qdi_stop_qdevice() { qdi_signal "$1" qdevice TERM 15; }
qdi_stop_qnetd() { qdi_signal arb qnetd TERM 15; }
qdi_stop_node() {
    qdi_signal "$1" qdevice TERM 15
    qdi_signal "$1" corosync TERM 20 && qdi_event "corosync-down $1"
}

# qdi_crash HOST...: SIGKILL corosync and qdevice of every HOST with one
# kill(1) call (the same moment).
qdi_crash() {
    local h p pids=()
    for h in "$@"; do
        p=$(qdi_pid "$h" corosync) || qdi_fail "crash: corosync not running on $h"
        pids+=("$p")
        p=$(qdi_pid "$h" qdevice) && pids+=("$p")
    done
    kill -KILL "${pids[@]}" 2>/dev/null
    for h in "$@"; do qdi_event "corosync-down $h (SIGKILL corosync+qdevice)"; done
    for h in "$@"; do
        _qdi_wait_until 5 0.02 _qdi_both_gone "$h" || qdi_fail "crash: processes on $h survived SIGKILL"
        _qdi_reap "$h" corosync
        _qdi_reap "$h" qdevice
    done
}
qdi_crash_many() { qdi_crash "$@"; }
_qdi_both_gone() { ! qdi_is_running "$1" corosync && ! qdi_is_running "$1" qdevice; }

# Readiness probes.
_qdi_corosync_answers() { qdi_hx_t 3 "$1" "$COROSYNC_CFGTOOL" -s >/dev/null 2>&1; }
_qdi_qnetd_listens() {
    qdi_is_running arb qnetd || return 2
    ip netns exec "$(qdi_ns arb)" ss -Hltn 'sport = :5403' 2>/dev/null | grep -q LISTEN
}
qdi_wait_corosync() { # HOST...
    local h
    for h in "$@"; do
        _qdi_wait_until 30 0.2 _qdi_corosync_answers "$h" || qdi_fail "corosync on $h not answering after 30 s"
    done
}
qdi_wait_qnetd() {
    _qdi_wait_until 20 0.1 _qdi_qnetd_listens || qdi_fail "qnetd not listening on 5403 after 20 s"
}

# qdi_check_alive NAME HOST...: every listed daemon still runs (else fail,
# with its exit status).
qdi_check_alive() {
    local name=$1 h
    shift
    for h in "$@"; do
        qdi_is_running "$h" "$name" ||
            qdi_fail "$name on $h died unexpectedly (exit status $(qdi_exit_status "$h" "$name"))"
    done
}

# qdi_cluster_up: create network + hosts + config + certificates, start
# qnetd and corosync everywhere, wait for the full membership, start every
# qdevice and wait until every node is quorate with every vote.
# Metrics: membership_seconds (corosync started -> all members on all nodes),
# qdevice_seconds (qdevices started -> every vote counted everywhere).
qdi_cluster_up() {
    local h
    qdi_net_create
    qdi_hosts_create
    qdi_write_conf
    qdi_certs
    qdi_start_qnetd
    qdi_mark
    for h in $(qdi_nodes); do qdi_start_corosync "$h"; done
    qdi_wait_qnetd
    qdi_await membership_seconds 60 qdi_all qdi_p_all_members
    qdi_mark
    for h in $(qdi_nodes); do qdi_start_qdevice "$h"; done
    qdi_await qdevice_seconds 60 qdi_p_all_full
}

# qdi_boot HOST...: start every HOST the way systemd does at boot: corosync on
# all of them at once, then each node's qdevice as soon as its corosync
# answers (corosync-qdevice.service is ordered after the Type=notify
# corosync.service), without waiting for the membership to form. The
# qdevices therefore register while corosync still joins the others: the
# membership syncs happen with the devices registered.
qdi_boot() {
    local h
    for h in "$@"; do qdi_start_corosync "$h"; done
    for h in "$@"; do
        _qdi_wait_until 30 0.05 _qdi_corosync_answers "$h" || qdi_fail "corosync on $h not answering after 30 s"
        qdi_start_qdevice "$h"
    done
}

# qdi_cold_start: network, hosts, configuration, certificates, then every
# daemon at once (qnetd, and qdi_boot on every node), as after a power cut.
# The timing mark is set when the first daemon starts.
qdi_cold_start() {
    qdi_net_create
    qdi_hosts_create
    qdi_write_conf
    qdi_certs
    qdi_mark
    qdi_start_qnetd
    qdi_boot $(qdi_nodes)
}

# qdi_log_lacks PATTERN DESCRIPTION FILE...: fail when an extended regular
# expression occurs in one of the logs (missing files count as empty).
qdi_log_lacks() {
    local re=$1 desc=$2 f hit
    shift 2
    for f in "$@"; do
        [[ -e $f ]] || continue
        hit=$(grep -E -m1 -- "$re" "$f") || continue
        qdi_fail "$desc: ${f#"$QDI_RUN"/}: $hit"
    done
}

# qdi_log_has PATTERN DESCRIPTION FILE...: fail unless every log has a line
# matching the extended regular expression.
qdi_log_has() {
    local re=$1 desc=$2 f
    shift 2
    for f in "$@"; do
        grep -E -q -- "$re" "$f" 2>/dev/null || qdi_fail "$desc: no line matching '$re' in ${f#"$QDI_RUN"/}"
    done
}

# Paths of the daemons' logs: corosync's log file on every node, the
# qdevices' and qnetd's stderr.
qdi_corosync_logs() { local h; for h in $(qdi_nodes); do echo "$(qdi_hostdir "$h")/log/corosync.log"; done; }
qdi_qdevice_logs() { local h; for h in $(qdi_nodes); do echo "$(qdi_hostdir "$h")/log/qdevice.out"; done; }
qdi_qnetd_log() { echo "$(qdi_hostdir arb)/log/qnetd.out"; }

# qdi_check_no_stall: the signs of a qdevice that stopped polling during a
# membership sync: corosync gave up waiting for the device, or qnetd dropped
# a client that fell silent.
qdi_check_no_stall() {
    # shellcheck disable=SC2046
    qdi_log_lacks 'lost contact with quorum device' "corosync lost the quorum device" $(qdi_corosync_logs)
    qdi_log_lacks "doesn't sent any message" "qnetd dropped a silent client" "$(qdi_qnetd_log)"
}

# ---------------------------------------------------------------------------
# Queries and their parsers
# ---------------------------------------------------------------------------
# qdi_hq SECONDS HOST CMD...: a bounded query on HOST.  While the host's
# anchor daemon (corosync on a node, qnetd on the arbiter) runs, enter that
# daemon's network and mount namespaces with nsenter: exactly the host's view,
# and no mounts per call (the sampler calls this several times a second).
qdi_hq() {
    local t=$1 h=$2 anchor=corosync pid
    shift 2
    [[ $h == arb ]] && anchor=qnetd
    if pid=$(qdi_pid "$h" "$anchor"); then
        timeout -k 1 "$t" nsenter -t "$pid" -m -n -- "$@"
    else
        qdi_hx_t "$t" "$h" "$@"
    fi
}

# qdi_parse_quorumtool RC < output-of-corosync-quorumtool-s
# Sets QDI_PARSED (and prints it when called as qdi_parse_quorumtool) to one
# line of key=value fields:
#   up        1 if the tool answered with a status (Quorate: line present)
#   rc        the tool's exit status (124 = timed out, "down" = corosync not running)
#   quorate   1 only if "Quorate: Yes" AND the votequorum Flags contain Quorate
#             (the tool reads them with separate calls; they can disagree
#             during a transition)
#   incons    1 if those two (or Nodes: and the member rows) disagreed
#   nodeid ring nodes expected total quorum   as printed
#   members   node ids of the membership rows, comma separated, ascending
#   qdev      1 if the Qdevice row is shown (some member has a registered device)
#   qdev_votes  votes in the Qdevice row (0 when the local node does not cast)
#   qdev_cast   1 if the local node casts the device vote (Qdevice row
#               without "(votes N)")
#   local_flags Qdevice flags of the local node's row (A,V,NMW ...), or -
#   flags     per member "id:flags", separated by ';', or -
#   vq_flags  the votequorum Flags: words, comma separated
# Pure bash, no subprocess: the sampler parses several outputs per second.
_qdi_parse() {
    local rc=$1 line qline="" vq=0 vqf="" nodes="" nodeid="" ring="" exp="" tot="" quo=""
    local inmem=0 qcol=0 f=() members=() flags="" qdev=0 qvotes="" qcast=0 lflags=- id i j t
    while IFS= read -r line; do
        case $line in
        "Quorate:"*) read -r _ qline <<<"$line" ;;
        "Nodes:"*) read -r _ nodes <<<"$line" ;;
        "Node ID:"*) read -r _ _ nodeid <<<"$line" ;;
        "Ring ID:"*) read -r _ _ ring <<<"$line" ;;
        "Expected votes:"*) read -r _ _ exp <<<"$line" ;;
        "Total votes:"*) read -r _ _ tot <<<"$line" ;;
        "Quorum:"*) read -r _ quo _ <<<"$line" ;;
        "Flags:"*)
            read -r -a f <<<"${line#Flags:}"
            vqf=${f[*]}
            vqf=${vqf// /,}
            [[ ",$vqf," == *",Quorate,"* ]] && vq=1
            ;;
        *Nodeid*Votes*)
            inmem=1
            [[ $line == *Qdevice* ]] && qcol=1
            ;;
        *)
            ((inmem)) || continue
            read -r -a f <<<"$line"
            [[ ${f[0]:-} =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] || continue
            id=$((f[0]))
            if ((id == 0)); then
                qdev=1 qvotes=${f[1]}
                [[ $line == *"(votes "* ]] && qcast=0 || qcast=1
                continue
            fi
            members+=("$id")
            if ((qcol)); then
                flags+="${flags:+;}$id:${f[2]}"
                [[ $line == *"(local)"* ]] && lflags=${f[2]}
            fi
            ;;
        esac
    done
    # ascending member ids (insertion sort; a handful of entries)
    for ((i = 1; i < ${#members[@]}; i++)); do
        t=${members[i]}
        for ((j = i - 1; j >= 0 && members[j] > t; j--)); do members[j + 1]=${members[j]}; done
        members[j + 1]=$t
    done
    local up=0 q=0 incons=0 a=0 mem
    [[ -n $qline ]] && up=1
    [[ $qline == Yes ]] && a=1
    ((a && vq)) && q=1
    if ((up)); then
        ((a != vq)) && incons=1
        [[ -n $nodes && $nodes != "${#members[@]}" ]] && incons=1
    fi
    mem=${members[*]}
    mem=${mem// /,}
    ((qdev)) || qcast=0
    QDI_PARSED="up=$up rc=$rc quorate=$q incons=$incons nodeid=${nodeid:--} ring=${ring:--}"
    QDI_PARSED+=" nodes=${nodes:--} expected=${exp:--} total=${tot:--} quorum=${quo:--} members=${mem:--}"
    QDI_PARSED+=" qdev=$qdev qdev_votes=${qvotes:--} qdev_cast=$qcast local_flags=$lflags"
    QDI_PARSED+=" flags=${flags:--} vq_flags=${vqf:--}"
}
qdi_parse_quorumtool() { _qdi_parse "$@"; echo "$QDI_PARSED"; }

# Parsed state of every node from the latest sample: QDI_QS[HOST.KEY].
declare -A QDI_QS=()
QDI_SAMPLES=0
QDI_SAMPLE_US=0
QDI_SPLIT_BRAIN=0
QDI_INCONS=0
QDI_ALWAYS=""          # optional predicate that must hold on every sample
QDI_ALWAYS_DESC=""
QDI_ON_SAMPLE=""       # optional function called after every sample
# 1: a sampled split brain fails the scenario at once; 0: it is counted, the
# run goes on (more evidence in the logs) and qdi_finish fails it.
: "${QDI_SPLIT_BRAIN_FATAL:=1}"
QDI_SPLIT_BRAIN_FIRST=""
QDI_SPLIT_BRAIN_SKEWED=0  # disjoint quorate answers from query windows that did not overlap
QDI_SB_PAIR=""

# _qdi_store HOST: QDI_PARSED -> QDI_QS[HOST.*]
_qdi_store() {
    local kv
    for kv in $QDI_PARSED; do QDI_QS[$1.${kv%%=*}]=${kv#*=}; done
}
qdi_q() { echo "${QDI_QS[$1.$2]-}"; }        # HOST KEY -> value (for messages)

# Raw quorumtool output of one node into $QDI_RUN/q/HOST.{out,rc}.  Runs in
# a background subshell per node; the caller has checked that corosync runs,
# so its PID is read straight from the record (as few processes as possible:
# timeout, nsenter, the tool).
_qdi_query() {
    local h=$1 f=$QDI_RUN/q/$1 pid st start=${EPOCHREALTIME/./}
    read -r pid st <"$QDI_RUN/pids/$h.corosync"
    timeout -k 1 "$QDI_QUERY_TIMEOUT" nsenter -t "$pid" -m -n -- "$COROSYNC_QUORUMTOOL" -s >"$f.out" 2>&1
    # The exit status, then when the query started and ended (us): the answer is from in between.
    echo "$? $start ${EPOCHREALTIME/./}" >"$f.rc"
}

# Node list as an array (hot paths avoid $(qdi_nodes)).
_qdi_node_list() {
    local i
    QDI_NODE_LIST=()
    QDI_ALL_CSV=""
    for ((i = 1; i <= QDI_NODES; i++)); do
        QDI_NODE_LIST+=("n$i")
        QDI_ALL_CSV+="${QDI_ALL_CSV:+,}$i"
    done
}

# qdi_sample: query every node in parallel, parse, check the invariants,
# append one line to log/samples.log.
qdi_sample() {
    local h pids=() rc qs qe line="" t
    _qdi_node_list
    for h in "${QDI_NODE_LIST[@]}"; do
        if _qdi_running "$h" corosync; then
            _qdi_query "$h" &
            pids+=($!)
        else
            echo down >"$QDI_RUN/q/$h.rc"
            : >"$QDI_RUN/q/$h.out"
        fi
    done
    ((${#pids[@]})) && wait "${pids[@]}"
    QDI_SAMPLE_US=${EPOCHREALTIME/./}
    QDI_SAMPLES=$((QDI_SAMPLES + 1))
    for h in "${QDI_NODE_LIST[@]}"; do
        qs=0 qe=0
        read -r rc qs qe <"$QDI_RUN/q/$h.rc"
        _qdi_parse "$rc" <"$QDI_RUN/q/$h.out"
        _qdi_store "$h"
        QDI_QS[$h.qs]=${qs:-0} QDI_QS[$h.qe]=${qe:-0}
        [[ ${QDI_QS[$h.incons]} == 1 ]] && QDI_INCONS=$((QDI_INCONS + 1))
        _qdi_short "$h"
        line+=" $h=$REPLY"
    done
    _qdi_secs $((QDI_SAMPLE_US - QDI_T_START))
    t=$REPLY
    echo "$t$line" >>"$QDI_RUN/log/samples.log"
    _qdi_invariants "$t"
    [[ -n $QDI_ON_SAMPLE ]] && $QDI_ON_SAMPLE
    return 0
}

# One-word summary of a node into REPLY: Q{1,2}v3:A,V,NMW (quorate),
# -{2}v1:... (not quorate), ? (no answer), x (corosync down); a trailing !
# marks an inconsistent tool answer.
_qdi_short() {
    local h=$1
    if [[ ${QDI_QS[$h.rc]-} == down ]]; then REPLY=x; return; fi
    if [[ ${QDI_QS[$h.up]-} != 1 ]]; then REPLY="?"; return; fi
    [[ ${QDI_QS[$h.quorate]} == 1 ]] && REPLY=Q || REPLY=-
    REPLY+="{${QDI_QS[$h.members]}}v${QDI_QS[$h.total]}:${QDI_QS[$h.local_flags]}"
    [[ ${QDI_QS[$h.incons]} == 1 ]] && REPLY+="!"
    return 0
}
qdi_state_str() {
    local h s=""
    _qdi_node_list
    for h in "${QDI_NODE_LIST[@]}"; do _qdi_short "$h"; s+=" $h=$REPLY"; done
    echo "$s"
}

# The safety invariant on one sample: no two quorate nodes with disjoint
# membership lists.  (A node still showing the old, larger membership is not
# disjoint from anyone in it.)  Sets REPLY to the offending pair.
qdi_disjoint_quorate() {
    local a b ma mb x found
    for a in "${QDI_NODE_LIST[@]}"; do
        [[ ${QDI_QS[$a.quorate]-} == 1 ]] || continue
        ma=",${QDI_QS[$a.members]},"
        for b in "${QDI_NODE_LIST[@]}"; do
            [[ $a < $b && ${QDI_QS[$b.quorate]-} == 1 ]] || continue
            mb=${QDI_QS[$b.members]}
            found=0
            for x in ${mb//,/ }; do [[ $ma == *",$x,"* ]] && found=1; done
            ((found)) || { REPLY="$a{${ma:1:-1}} and $b{$mb}"; QDI_SB_PAIR="$a $b"; return 0; }
        done
    done
    return 1
}

# _qdi_skewed A B: the two answers came from query windows that do not overlap (a loaded machine
# can spread a sample's parallel queries over seconds), so they say nothing about one instant.
# Sets REPLY to the gap in ms.
_qdi_skewed() {
    local as=${QDI_QS[$1.qs]:-0} ae=${QDI_QS[$1.qe]:-0} bs=${QDI_QS[$2.qs]:-0} be=${QDI_QS[$2.qe]:-0}
    ((as && bs)) || return 1
    if ((ae < bs)); then REPLY=$(((bs - ae) / 1000)); return 0; fi
    if ((be < as)); then REPLY=$(((as - be) / 1000)); return 0; fi
    return 1
}

_qdi_invariants() {
    local t=$1 pair
    if qdi_disjoint_quorate; then
        pair=$REPLY
        if _qdi_skewed $QDI_SB_PAIR; then
            # Not counted: the corosync log replay at the end (qdi_log_check) decides for these.
            QDI_SPLIT_BRAIN_SKEWED=$((QDI_SPLIT_BRAIN_SKEWED + 1))
            qdi_metric split_brain_skewed_samples "$QDI_SPLIT_BRAIN_SKEWED"
            qdi_log "t=$t s: $pair quorate with disjoint memberships, but the two answers are ${REPLY} ms" \
                "apart (queries did not overlap): left to the log replay"
        else
            QDI_SPLIT_BRAIN=$((QDI_SPLIT_BRAIN + 1))
            qdi_event "SPLIT-BRAIN sample t=$t: $pair quorate with disjoint memberships"
            qdi_metric split_brain_samples "$QDI_SPLIT_BRAIN"
            [[ -n $QDI_SPLIT_BRAIN_FIRST ]] || QDI_SPLIT_BRAIN_FIRST="t=$t s: $pair"
            qdi_log "SPLIT BRAIN at t=$t s: $pair both quorate with disjoint memberships"
            [[ $QDI_SPLIT_BRAIN_FATAL == 1 ]] &&
                qdi_fail "split brain at t=$t s: $pair both quorate with disjoint memberships"
        fi
    fi
    if [[ -n $QDI_ALWAYS ]] && ! $QDI_ALWAYS; then
        qdi_fail "at t=$t s: $QDI_ALWAYS_DESC did not hold (state:$(qdi_state_str))"
    fi
}

# qdi_mark: the reference instant for following qdi_await timings.
qdi_mark() { QDI_T0=${EPOCHREALTIME/./}; }

# _qdi_pace: sleep until QDI_POLL_MS after the previous sample.
_qdi_pace() {
    local rest=$((QDI_POLL_MS * 1000 - (${EPOCHREALTIME/./} - QDI_SAMPLE_US)))
    ((rest > 0)) && qdi_sleep_ms $((rest / 1000))
    return 0
}

# qdi_await METRIC TIMEOUT_S PRED [ARGS...]: sample until PRED holds; the
# time from the last qdi_mark to the completing sample goes to METRIC
# (empty METRIC: not recorded).  Fails the scenario on timeout.
qdi_await() {
    local metric=$1 secs=$2 limit=$((${EPOCHREALTIME/./} + $2 * 1000000)) el
    shift 2
    while :; do
        qdi_sample
        if "$@"; then
            el=$(qdi_us2s $((QDI_SAMPLE_US - QDI_T0)))
            [[ -n $metric ]] && qdi_metric "$metric" "$el"
            if [[ -n $metric ]]; then
                qdi_log "reached after $el s ($metric): $* state:$(qdi_state_str)"
            else
                qdi_log "reached: $* state:$(qdi_state_str)"
            fi
            return 0
        fi
        ((${EPOCHREALTIME/./} >= limit)) &&
            qdi_fail "timeout after ${secs}s waiting for: $* (state:$(qdi_state_str))"
        _qdi_pace
    done
}

# qdi_await_stable METRIC TIMEOUT_S STABLE_S PRED [ARGS...]: sample until PRED
# has held on every sample for STABLE_S seconds; METRIC is the time from the
# last qdi_mark to the first sample of that final streak.
qdi_await_stable() {
    local metric=$1 secs=$2 stable=$(($3 * 1000000)) limit=$((${EPOCHREALTIME/./} + $2 * 1000000)) first=0
    shift 3
    while :; do
        qdi_sample
        if "$@"; then
            ((first)) || first=$QDI_SAMPLE_US
            if ((QDI_SAMPLE_US - first >= stable)); then
                qdi_metric "$metric" "$(qdi_us2s $((first - QDI_T0)))"
                qdi_log "stable since $(qdi_us2s $((first - QDI_T0))) s ($metric): $* state:$(qdi_state_str)"
                return 0
            fi
        else
            first=0
        fi
        ((${EPOCHREALTIME/./} >= limit)) &&
            qdi_fail "timeout after ${secs}s waiting for a stable: $* (state:$(qdi_state_str))"
        _qdi_pace
    done
}

# qdi_hold SECONDS PRED [ARGS...]: PRED must hold on every sample for SECONDS.
qdi_hold() {
    local end=$((${EPOCHREALTIME/./} + $1 * 1000000)) n=0
    shift
    while ((${EPOCHREALTIME/./} < end)); do
        qdi_sample
        n=$((n + 1))
        "$@" || qdi_fail "did not hold: $* (sample $n, state:$(qdi_state_str))"
        _qdi_pace
    done
    qdi_log "held for $n samples: $*"
}

# qdi_watch SECONDS: just sample (invariants only) for SECONDS.
qdi_watch() {
    local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
    while ((${EPOCHREALTIME/./} < end)); do
        qdi_sample
        _qdi_pace
    done
}

# --- predicates on the latest sample (no subprocesses) ----------------------
# qdi_is HOST KEY=VALUE...: every field has the given value.
qdi_is() {
    local h=$1 kv
    shift
    for kv in "$@"; do
        [[ ${QDI_QS[$h.${kv%%=*}]-} == "${kv#*=}" ]] || return 1
    done
}
qdi_all_nodes_csv() { _qdi_node_list; echo "$QDI_ALL_CSV"; }
# Device votes the harness configured (ffsplit: 1, lms: nodes-1) into REPLY.
_qdi_dev_votes() {
    if [[ -n $QDI_QDEV_VOTES ]]; then REPLY=$QDI_QDEV_VOTES
    elif [[ $QDI_ALGO == ffsplit ]]; then REPLY=1
    else REPLY=$((QDI_NODES - 1)); fi
}
# HOST quorate, member list exactly CSV, counting the device vote.
qdi_p_quorate_with_vote() {
    local h=$1 mem=$2 n c
    _qdi_dev_votes
    c=${mem//[^,]/}
    n=$((${#c} + 1))
    qdi_is "$h" quorate=1 members="$mem" qdev_cast=1 total=$((n + REPLY)) qdev_votes="$REPLY"
}
# Every node quorate with all members and the device vote, expected votes
# = nodes + device votes.
qdi_p_all_full() {
    local h
    for h in "${QDI_NODE_LIST[@]}"; do
        qdi_p_quorate_with_vote "$h" "$QDI_ALL_CSV" || return 1
        [[ ${QDI_QS[$h.expected]} == $((QDI_NODES + REPLY)) ]] || return 1
    done
}
qdi_p_quorate() { qdi_is "$1" quorate=1; }
qdi_p_all_members() { qdi_is "$1" up=1 members="$QDI_ALL_CSV"; }
qdi_p_not_quorate() { qdi_is "$1" up=1 quorate=0; }
# "quorate, or no answer" (the tool blocks while corosync forms a membership).
qdi_p_quorate_or_busy() {
    [[ ${QDI_QS[$1.up]-} == 1 ]] || { [[ ${QDI_QS[$1.rc]-} != down ]] && return 0; }
    [[ ${QDI_QS[$1.quorate]-} == 1 ]]
}
# qdi_all PRED [ARGS...]: PRED HOST ARGS for every node.
qdi_all() {
    local h p=$1
    shift
    for h in "${QDI_NODE_LIST[@]}"; do "$p" "$h" "$@" || return 1; done
}

qdi_p_expected() { qdi_is "$1" up=1 expected="$2"; }
qdi_all_expected() { qdi_all qdi_p_expected "$1"; }

# ---------------------------------------------------------------------------
# End of a scenario
# ---------------------------------------------------------------------------
# qdi_log_check: replay all nodes' corosync quorum logs (lib/logevents.awk,
# lib/logcheck.awk): no interval in which two quorate nodes had disjoint
# memberships.  Sees what happens between samples, too.
qdi_log_check() {
    local first
    qdi_log_check_count
    [[ ${QDI_METRIC[log_violations]} == 0 ]] && return 0
    first=$(_qdi_first_violation)
    qdi_fail "corosync logs: two quorate nodes with disjoint memberships ($first)"
}
_qdi_first_violation() { grep -m1 '^violation' "$QDI_RUN/log/logcheck.txt" 2>/dev/null; }

# qdi_log_check_count: the replay only; metric log_violations.
qdi_log_check_count() {
    local h n
    {
        for h in $(qdi_nodes); do
            [[ -e $(qdi_hostdir "$h")/log/corosync.log ]] &&
                awk -v node="$h" -f "$QDI_LIB/logevents.awk" "$(qdi_hostdir "$h")/log/corosync.log"
        done
        [[ -e $QDI_RUN/log/events.log ]] && awk -f "$QDI_LIB/logevents.awk" "$QDI_RUN/log/events.log"
    } | sort -s -n -k1,1 >"$QDI_RUN/log/logevents.txt"
    awk -f "$QDI_LIB/logcheck.awk" "$QDI_RUN/log/logevents.txt" >"$QDI_RUN/log/logcheck.txt"
    n=$(sed -n 's/^summary violations=\([0-9]*\).*/\1/p' "$QDI_RUN/log/logcheck.txt")
    qdi_metric log_violations "${n:-unknown}"
}

# qdi_check_corosync_guard: no qdevice of ours asked cmap while its device was registered
# (a request corosync holds for the length of a membership sync).  Metric
# guard_violations counts them for every qdevice, upstream's included, whose
# violations are recorded but not fatal.  A guard log without a "register"
# line fails for ours: the guard did not run, so nothing was checked.
qdi_check_corosync_guard() {
    local h f n total=0 first=""
    [[ -r $QDI_COROSYNC_GUARD ]] || return 0
    for h in $(qdi_nodes); do
        f=$(qdi_hostdir "$h")/log/corosync-guard.log
        [[ -e $(_qdi_pidfile "$h" qdevice) ]] || continue
        if ((QDI_QDEVICE_OURS)) && ! grep -q '^register ' "$f" 2>/dev/null; then
            qdi_fail "corosync guard: no registration recorded for the qdevice on $h (${f#"$QDI_RUN"/})"
        fi
        n=$(grep -c '^VIOLATION ' "$f" 2>/dev/null)
        total=$((total + ${n:-0}))
        [[ -z $first && ${n:-0} -gt 0 ]] && first="$h: $(grep -m1 '^VIOLATION ' "$f")"
    done
    qdi_metric guard_violations "$total"
    if ((total > 0 && QDI_QDEVICE_OURS)); then
        qdi_fail "corosync guard: $total cmap request(s) while the device was registered, first $first"
    fi
    return 0
}

# 0: with upstream's qnetd and qdevice both, a split brain is counted and
# logged but does not fail the scenario.  Scenario 09 sets it: upstream's pair
# has split brains of its own under random partitions (README, "Upstream
# findings"), and the control run is there to show the harness works and to
# give figures beside ours, not to test upstream.
: "${QDI_UPSTREAM_SPLIT_BRAIN_FATAL:=1}"

# qdi_finish: the checks every scenario ends with, then pass.
qdi_finish() {
    qdi_check_corosync_guard
    qdi_metric split_brain_samples "$QDI_SPLIT_BRAIN"
    qdi_metric samples "$QDI_SAMPLES"
    qdi_metric inconsistent_samples "$QDI_INCONS"
    qdi_metric token_ms "$(qdi_runtime_token)"
    if ((!QDI_QNETD_OURS && !QDI_QDEVICE_OURS && !QDI_UPSTREAM_SPLIT_BRAIN_FATAL)); then
        qdi_log_check_count
        if ((QDI_SPLIT_BRAIN > 0 || ${QDI_METRIC[log_violations]:-0} > 0)); then
            qdi_metric upstream_split_brain_tolerated 1
            qdi_log "upstream's qnetd and qdevice split: $QDI_SPLIT_BRAIN sample(s)," \
                "${QDI_METRIC[log_violations]} interval(s) in the logs, $(_qdi_first_violation);" \
                "recorded, not failed (a known upstream defect)"
        fi
        qdi_pass
    fi
    if ((QDI_SPLIT_BRAIN > 0)); then
        qdi_log_check_count
        qdi_fail "split brain on $QDI_SPLIT_BRAIN samples, first at $QDI_SPLIT_BRAIN_FIRST" \
            "(log check: ${QDI_METRIC[log_violations]} interval(s), $(_qdi_first_violation))"
    fi
    qdi_log_check
    qdi_pass
}

# Runtime totem token (configured token + (nodes-2) x token_coefficient).
qdi_runtime_token() {
    local h v
    for h in $(qdi_nodes); do
        qdi_is_running "$h" corosync || continue
        v=$(qdi_hq 3 "$h" "$COROSYNC_CMAPCTL" -g runtime.config.totem.token 2>/dev/null) || continue
        echo "${v##* }"
        return 0
    done
    echo unknown
}

# qdi_expect_lines FILE LINE...: every LINE (exact, with tabs) occurs in FILE.
qdi_expect_lines() {
    local f=$1 l
    shift
    for l in "$@"; do
        grep -Fxq -- "$l" "$f" || qdi_fail "$(basename "$f"): missing line '${l//$'\t'/\\t}'"
    done
}
# qdi_count_lines FILE N ERE: exactly N lines match ERE.
qdi_count_lines() {
    local n
    n=$(grep -Ec -- "$3" "$1")
    ((n == $2)) || qdi_fail "$(basename "$1"): $n lines match '$3', expected $2"
}

# ---------------------------------------------------------------------------
# Tool views (qnetd-tool, qdevice-tool) and heuristics helpers
# ---------------------------------------------------------------------------
# qdi_tool FILE HOST CMD...: run a tool on HOST (bounded), output to FILE.
qdi_tool() {
    local f=$1 h=$2
    shift 2
    qdi_hq 5 "$h" "$@" >"$f" 2>&1
}

# qdi_diagnose HOST WANT_RC FAIL_IDS WARN_IDS [WRAPPER...]: runs corosync-qdevice-tool -D on HOST
# (through WRAPPER, e.g. faketime) and fails the scenario unless it exits WANT_RC within 30 s with
# exactly the checks FAIL_IDS at FAIL and WARN_IDS at WARN (comma-separated in the tool's order, ""
# for none), each followed by its fix line (doc/diagnose.md). The output is left in $QDI_DIAG_OUT.
QDI_DIAG_STEP=0
qdi_diagnose() {
    local h=$1 want=$2 fail_ids=$3 warn_ids=$4 rc fails warns t0 secs id
    shift 4
    QDI_DIAG_STEP=$((QDI_DIAG_STEP + 1))
    QDI_DIAG_OUT=$QDI_RUN/log/diagnose.$QDI_DIAG_STEP.$h
    t0=${EPOCHREALTIME/./}
    qdi_hq 45 "$h" "$@" "$QDEVICE_TOOL_BIN" -D >"$QDI_DIAG_OUT" 2>&1
    rc=$?
    secs=$(qdi_since "$t0")
    fails=$(sed -n 's/^FAIL \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    warns=$(sed -n 's/^WARN \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    qdi_log "$h corosync-qdevice-tool -D: exit $rc in $secs s, FAIL: ${fails:-none}, WARN: ${warns:-none}"
    [[ $rc == "$want" ]] || qdi_fail "$h -D exited $rc, expected $want: $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    [[ $fails == "$fail_ids" ]] || qdi_fail "$h -D: FAIL '$fails', expected '$fail_ids': $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    [[ $warns == "$warn_ids" ]] || qdi_fail "$h -D: WARN '$warns', expected '$warn_ids': $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    for id in ${fail_ids//,/ } ${warn_ids//,/ }; do
        grep -A1 -E "^(FAIL|WARN) $id:" "$QDI_DIAG_OUT" | grep -q '^    fix: ' || qdi_fail "$h -D: no fix line after $id"
    done
    (($(qdi_now_us) - t0 < 30000000)) || qdi_fail "$h -D took $secs s (at most 30 s)"
}

# qdi_certs_node HOST CN: gives HOST a new node database holding the arbiter's CA and a
# certificate for cluster name CN signed by the arbiter (steps 5 and 7-11 of qdi_certs for one
# node). The current database must have been moved away first.
qdi_certs_node() {
    local h=$1 cn=$2
    _qdi_ccopy 4 "arb:$QDI_NSS_QNETD/qnetd-cacert.crt" "$h:$QDI_XFER/qnetd-cacert.crt"
    _qdi_cstep 5 1 "$h" "$QDEVICE_CERTUTIL" -i -c "$QDI_XFER/qnetd-cacert.crt"
    _qdi_cstep 7 1 "$h" "$QDEVICE_CERTUTIL" -r -n "$cn"
    _qdi_ccopy 8 "$h:$QDI_NSS_NODE/qdevice-net-node.crq" "arb:$QDI_XFER"
    _qdi_cstep 9 1 arb "$QNETD_CERTUTIL" -s -c "$QDI_XFER/qdevice-net-node.crq" -n "$cn"
    _qdi_ccopy 10 "arb:$QDI_NSS_QNETD/cluster-$cn.crt" "$h:$QDI_NSS_NODE"
    _qdi_cstep 11 1 "$h" "$QDEVICE_CERTUTIL" -M -c "$QDI_NSS_NODE/cluster-$cn.crt"
    qdi_event "new node certificate database on $h for cluster name $cn"
}

# qdi_ssh_standin: makes lib/qdi-ssh the ssh of the tools run afterwards (QDEVICE_TOOL_SSH) and
# maps every host's address to it. QDI_SSH_DENY="n2 arb" makes those hosts refuse root.
qdi_ssh_standin() {
    local h
    for h in $(qdi_hosts); do
        printf '%s %s %s %s %s\n' "$(qdi_ip "$h")" "$h" "$(qdi_ns "$h")" "$(qdi_hostdir "$h")" "$QDI_SHM/$h"
    done >"$QDI_RUN/ssh-hosts"
    export QDEVICE_TOOL_SSH=$QDI_LIB/qdi-ssh QDI_SSH_MAP=$QDI_RUN/ssh-hosts QDI_SSH_PARENT=$$ \
        QDI_SSH_ROOT_MNT=$QDI_ROOT_MNT QDI_SSH_LIB=$QDI_LIB QDI_SSH_DENY=${QDI_SSH_DENY:-}
}

# qdi_preflight HOST ARBITER WANT_RC FAIL_IDS WARN_IDS: corosync-qdevice-tool -P ARBITER on HOST,
# judged as qdi_diagnose judges -D; the output is left in $QDI_DIAG_OUT.
qdi_preflight() {
    local h=$1 arb=$2 want=$3 fail_ids=$4 warn_ids=$5 rc fails warns id
    QDI_DIAG_STEP=$((QDI_DIAG_STEP + 1))
    QDI_DIAG_OUT=$QDI_RUN/log/preflight.$QDI_DIAG_STEP.$h
    qdi_hq 120 "$h" "$QDEVICE_TOOL_BIN" -P "$arb" >"$QDI_DIAG_OUT" 2>&1
    rc=$?
    fails=$(sed -n 's/^FAIL \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    warns=$(sed -n 's/^WARN \([a-z-]*\):.*/\1/p' "$QDI_DIAG_OUT" | paste -sd, -)
    qdi_log "$h corosync-qdevice-tool -P $arb: exit $rc, FAIL: ${fails:-none}, WARN: ${warns:-none}"
    [[ $rc == "$want" ]] || qdi_fail "$h -P exited $rc, expected $want: $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    [[ $fails == "$fail_ids" ]] || qdi_fail "$h -P: FAIL '$fails', expected '$fail_ids': $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    [[ $warns == "$warn_ids" ]] || qdi_fail "$h -P: WARN '$warns', expected '$warn_ids': $(tr '\n' ' ' <"$QDI_DIAG_OUT")"
    for id in ${fail_ids//,/ } ${warn_ids//,/ }; do
        grep -A1 -E "^(FAIL|WARN) $id:" "$QDI_DIAG_OUT" | grep -q '^    fix: ' || qdi_fail "$h -P: no fix line after $id"
    done
}

# qdi_qnetd_field NODEID FIELD FILE: value of "FIELD:" in the section of
# client NODEID of a `corosync-qnetd-tool -l [-v]` output (tabs removed).
qdi_qnetd_field() {
    awk -v id="$1" -v field="$2" '
        /^    Node ID [0-9]+:$/ { cur = $3; sub(":", "", cur); next }
        /^[^ ]/ { cur = "" }
        cur == id {
            line = $0; sub(/^ +/, "", line)
            if (index(line, field ":") == 1) {
                v = substr(line, length(field) + 2); sub(/^\t+/, "", v); print v; exit
            }
        }' "$3"
}

# qdi_qnetd_heur NODEID: the arbiter's "Heuristics:" value for that client
# (e.g. "Fail (membership: Fail, regular: Pass)"), from a fresh -l -v.
qdi_qnetd_heur() {
    qdi_tool "$QDI_RUN/log/qnetd-tool.tmp" arb "$QNETD_TOOL_BIN" -l -v || return 1
    qdi_qnetd_field "$1" Heuristics "$QDI_RUN/log/qnetd-tool.tmp"
}
# Predicate: the arbiter shows client NODEID's heuristics value starting with PREFIX.
qdi_p_qnetd_heur() {
    local v
    v=$(qdi_qnetd_heur "$1") || return 1
    [[ $v == "$2"* ]]
}

# qdi_field FILE FIELD: value of the first line "FIELD:<tabs>value" of FILE
# (corosync-qdevice-tool / corosync-qnetd-tool -s output).
qdi_field() {
    awk -v field="$2" 'index($0, field ":") == 1 { v = substr($0, length(field) + 2); sub(/^\t+/, "", v); print v; exit }' "$1"
}
# qdi_qdevice_field HOST FIELD: value of "FIELD:" in `corosync-qdevice-tool -s -v`.
qdi_qdevice_field() {
    qdi_tool "$QDI_RUN/log/qdevice-tool.tmp" "$1" "$QDEVICE_TOOL_BIN" -s -v || return 1
    qdi_field "$QDI_RUN/log/qdevice-tool.tmp" "$2"
}

# Heuristics command used by scenarios 7 and 8: passes unless the host's
# private /run/qdi-heur-fail exists.  (No shell: the qdevice runs it with
# execv after its own word splitting.)
QDI_HEUR_CHECK="/usr/bin/test ! -e /run/qdi-heur-fail"
qdi_heur_fail() { : >"$(qdi_hostdir "$1")/run/qdi-heur-fail"; qdi_event "heuristics of $1 now fail"; }
qdi_heur_pass() { rm -f "$(qdi_hostdir "$1")/run/qdi-heur-fail"; qdi_event "heuristics of $1 now pass"; }

# qdi_reload HOST: corosync-cfgtool -R on HOST (reloads corosync.conf on
# every node of the cluster).
qdi_reload() {
    qdi_event "corosync-cfgtool -R on $1"
    qdi_hq 20 "$1" "$COROSYNC_CFGTOOL" -R >>"$QDI_RUN/log/cfgtool-R.log" 2>&1 ||
        qdi_fail "corosync-cfgtool -R on $1 failed (log/cfgtool-R.log)"
}

# ---------------------------------------------------------------------------
# One-way drops and random loss (scenario 18)
# ---------------------------------------------------------------------------
# A cut (qdi_cut) is symmetric and total; these drop one direction of a host
# pair, all of it or a random share of its packets.  Kept apart from the
# topology because qdi_apply_cuts rewrites QDI_CUT whole: each host gets a
# second chain QDI_DROP, hooked into INPUT on first use, and TO discards on
# receipt what FROM sends it, so the sender sees no error, as with loss on the
# wire.  Random loss uses the iptables statistic match rather than tc netem:
# kernels built without sch_netem (this project's CI VM has neither netem nor
# prio) still have it.  The namespaces' deletion at cleanup removes the chain.
declare -A QDI_DROPS=()     # "FROM TO" -> percentage of FROM's packets TO discards
declare -A QDI_DROP_HOOKED=()

# qdi_drop FROM TO [PCT]: TO discards PCT % (default 100) of the packets FROM
# sends it, each packet drawn independently.  Replaces an earlier drop of the pair.
qdi_drop() {
    local pct=${3:-100}
    [[ $pct =~ ^[0-9]+$ ]] && ((pct >= 1 && pct <= 100)) || qdi_fail "qdi_drop: percentage '$pct' not in 1..100"
    QDI_DROPS["$1 $2"]=$pct
    _qdi_apply_drops
}
# qdi_undrop FROM TO: that direction delivers everything again.
qdi_undrop() { unset 'QDI_DROPS['"$1 $2"']'; _qdi_apply_drops; }
qdi_undrop_all() { QDI_DROPS=(); _qdi_apply_drops; }
qdi_drops_str() { local p s=""; for p in "${!QDI_DROPS[@]}"; do s+="${s:+,}${p/ />}:${QDI_DROPS[$p]}"; done; echo "$s"; }

# Rules of host H's QDI_DROP chain from the current drop set.
_qdi_drop_rules_for() {
    local h=$1 p from to pct
    echo "*filter"
    echo ":QDI_DROP - [0:0]"
    for p in "${!QDI_DROPS[@]}"; do
        read -r from to <<<"$p"
        [[ $to == "$h" ]] || continue
        pct=${QDI_DROPS[$p]}
        if ((pct == 100)); then
            echo "-A QDI_DROP -s $(qdi_ip "$from")/32 -j DROP"
        else
            printf -- '-A QDI_DROP -s %s/32 -m statistic --mode random --probability 0.%02d -j DROP\n' \
                "$(qdi_ip "$from")" "$pct"
        fi
    done
    echo "COMMIT"
}

# Every host's QDI_DROP chain rewritten at once (in parallel, bounded), the
# chain created and hooked the first time.
_qdi_apply_drops() {
    local h ns pids=() rc=0 p
    for h in $(qdi_hosts); do
        ns=$(qdi_ns "$h")
        if [[ -z ${QDI_DROP_HOOKED[$h]-} ]]; then
            timeout 10 ip netns exec "$ns" iptables -w -N QDI_DROP &&
                timeout 10 ip netns exec "$ns" iptables -w -A INPUT -j QDI_DROP ||
                qdi_fail "iptables: QDI_DROP chain in $ns failed"
            QDI_DROP_HOOKED[$h]=1
        fi
        _qdi_drop_rules_for "$h" >"$QDI_RUN/log/drops.$h"
        timeout 10 ip netns exec "$ns" iptables-restore -w --noflush <"$QDI_RUN/log/drops.$h" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    ((rc == 0)) || qdi_fail "iptables-restore of the drops failed"
    qdi_event "drops=[$(qdi_drops_str)]"
}
