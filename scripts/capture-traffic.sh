#!/usr/bin/env bash
# Records real corosync-qdevice <-> corosync-qnetd traffic (TLS off) into tests/data/captures/*.cap.
#
# Usage: sudo scripts/capture-traffic.sh [--keep] [SCENARIO...]
#
# Everything runs inside a network namespace of its own (loopback only) and a
# private mount namespace in which /etc/corosync, /var/lib/corosync and
# /var/log/corosync are bind mounts of scratch directories and /run and
# /dev/shm are fresh tmpfs mounts, so the daemons use their compiled-in paths
# without touching the machine's own files. The upstream daemons talk through
# scripts/qrelay.py, which writes every framed message to the capture file.
#
# Scenarios (default: all): ffsplit-2node lms-heuristics 2nodelms-tiebreaker
# tls-mismatch.  --keep leaves the scratch directory (logs) in /tmp.
#
# Environment: CAPTURE_OUT (output directory, default tests/data/captures),
# CAPTURE_TIMEOUT (overall limit in seconds, default 600).
set -euo pipefail

SELF=$(readlink -f "$0")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)
RELAY="$REPO/scripts/qrelay.py"
ALL_SCENARIOS="ffsplit-2node lms-heuristics 2nodelms-tiebreaker tls-mismatch"

PORT_QNETD=5403    # qnetd listens here
PORT_RELAY=5413    # qdevice connects here; the relay forwards to PORT_QNETD
QDEV_TIMEOUT=${CAPTURE_QDEV_TIMEOUT:-1250}  # quorum.device.timeout; heartbeat = 0.8 * 1250 = 1000 ms, the minimum
QDEV_SYNC_TIMEOUT=5000

log() { printf '%s capture: %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

###########################################################################
# Outer part: root checks, network namespace, scratch directory, cleanup.
###########################################################################
outer_main() {
    local keep=0 scenarios=()
    while [ $# -gt 0 ]; do
        case $1 in
            --keep) keep=1 ;;
            -h|--help) sed -n '2,17p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
            -*) die "unknown option $1" ;;
            *) scenarios+=("$1") ;;
        esac
        shift
    done
    [ ${#scenarios[@]} -gt 0 ] || read -r -a scenarios <<<"$ALL_SCENARIOS"
    for s in "${scenarios[@]}"; do
        case " $ALL_SCENARIOS " in *" $s "*) ;; *) die "unknown scenario $s" ;; esac
    done

    [ "$(id -u)" -eq 0 ] || die "must run as root (network and mount namespaces)"
    local t
    for t in ip unshare mount timeout ss python3 corosync corosync-keygen corosync-cfgtool \
             certutil corosync-cmapctl corosync-qnetd corosync-qdevice corosync-qdevice-tool; do
        command -v "$t" >/dev/null || die "missing tool: $t"
    done

    local out=${CAPTURE_OUT:-$REPO/tests/data/captures}
    mkdir -p "$out"
    out=$(readlink -f "$out")
    WORK=$(mktemp -d /tmp/qcapture.XXXXXX)
    NETNS="qcapture-$$"
    KEEP=$keep
    INNER_PID=""
    NETNS_CREATED=0
    trap outer_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    local start=$SECONDS
    ip netns add "$NETNS"
    NETNS_CREATED=1
    ip -n "$NETNS" link set lo up

    log "netns $NETNS, scratch $WORK, scenarios: ${scenarios[*]}"
    # A child process is used (not exec) so that this shell keeps its trap.
    # INNER_PID is `timeout`, which passes SIGTERM on to the inner shell (ip netns exec and
    # unshare exec each other, so the inner shell is its direct child).
    timeout --kill-after=15 "${CAPTURE_TIMEOUT:-600}" \
        ip netns exec "$NETNS" unshare --mount --propagation private \
        "$SELF" --inner "$WORK" "${scenarios[@]}" &
    INNER_PID=$!
    local rc=0
    wait "$INNER_PID" || rc=$?
    INNER_PID=""
    [ "$rc" -eq 0 ] || die "capture run failed (status $rc); logs in $WORK/log (kept)"

    local f
    for f in "$WORK"/out/*.cap; do
        cp "$f" "$out/"
        log "wrote $out/$(basename "$f")"
    done
    python3 - "$out" "${scenarios[@]}" <<<"$CAPCHECK_PY" >&2 || true
    log "done in $((SECONDS - start)) s"
}

outer_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "${INNER_PID:-}" ] && kill -0 "$INNER_PID" 2>/dev/null; then
        kill -TERM "$INNER_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do kill -0 "$INNER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$INNER_PID" 2>/dev/null || true
    fi
    if [ "${NETNS_CREATED:-0}" = 1 ]; then
        # Anything still alive in our namespace was started by this script.
        local p
        for p in $(ip netns pids "$NETNS" 2>/dev/null); do
            log "killing leftover pid $p in $NETNS"
            kill -KILL "$p" 2>/dev/null || true
        done
        ip netns del "$NETNS" || log "could not delete netns $NETNS"
    fi
    if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
        if [ "$rc" -ne 0 ] || [ "${KEEP:-0}" = 1 ]; then
            log "scratch directory kept: $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

###########################################################################
# Inner part: runs inside the netns and a private mount namespace.
###########################################################################
declare -A PIDS=()

inner_main() {
    WORK=$1
    shift
    mkdir -p "$WORK"/{etc,lib,varlog,log,out}
    # Private view of the daemons' compiled-in paths. Mount propagation is private,
    # so none of this is visible outside, and it all disappears with the namespace.
    mount --bind "$WORK/etc" /etc/corosync
    mount --bind "$WORK/lib" /var/lib/corosync
    mount --bind "$WORK/varlog" /var/log/corosync
    mount -t tmpfs -o mode=0755,size=64m capture-run /run
    mount -t tmpfs -o mode=1777,size=64m capture-shm /dev/shm
    trap inner_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT

    corosync-keygen -k /etc/corosync/authkey >"$WORK/log/keygen.log" 2>&1 \
        || die "corosync-keygen failed"

    VERSIONS=$(dpkg-query -W corosync corosync-qnetd corosync-qdevice 2>/dev/null \
               | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
    local s
    for s in "$@"; do
        log "=== scenario $s"
        LOGDIR="$WORK/log/$s"
        mkdir -p "$LOGDIR"
        local t0=$SECONDS
        "scenario_${s//-/_}"
        python3 - --check "$WORK/out/$s.cap" <<<"$CAPCHECK_PY" >&2 \
            || die "capture $s does not frame correctly"
        log "=== scenario $s done in $((SECONDS - t0)) s"
    done
}

inner_cleanup() {
    local rc=$?
    trap - EXIT TERM INT
    local name
    # qdevice first (it needs corosync to unregister), then the rest.
    for name in qdevice relay qnetd corosync; do
        [ -n "${PIDS[$name]:-}" ] && stop_proc "$name" 5
    done
    for name in "${!PIDS[@]}"; do
        stop_proc "$name" 5
    done
    exit "$rc"
}

# start_proc NAME CMD... : starts CMD in the background, output in log/SCENARIO/NAME.log
start_proc() {
    local name=$1
    shift
    [ -z "${PIDS[$name]:-}" ] || die "$name already running"
    "$@" >>"$LOGDIR/$name.log" 2>&1 &
    PIDS[$name]=$!
    log "started $name (pid ${PIDS[$name]}): ${*:1:6}"
}

# stop_proc NAME [SECONDS] : SIGTERM, wait, then SIGKILL; reaps the process.
stop_proc() {
    local name=$1 limit=${2:-15} pid=${PIDS[$1]:-} i rc=0
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < limit * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM for ${limit}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || rc=$?
    unset "PIDS[$name]"
    log "stopped $name (pid $pid, status $rc)"
}

# proc_alive NAME : the process is still running
proc_alive() { [ -n "${PIDS[$1]:-}" ] && kill -0 "${PIDS[$1]}" 2>/dev/null; }
qdevice_gone() { ! proc_alive qdevice; }

# wait_for SECONDS DESCRIPTION CMD... : polls CMD every 0.2 s until it succeeds.
wait_for() {
    local limit=$1 what=$2
    local deadline=$((SECONDS + limit))
    shift 2
    while [ "$SECONDS" -lt "$deadline" ]; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "timed out after ${limit}s waiting for: $what"
}

# count_msgs FILE DIR TYPE [LISTTYPE] [CONN] : number of recorded messages
# DIR is '>' or '<'; LISTTYPE filters NODE_LIST(_REPLY) by option 18; CONN by connection.
count_msgs() {
    python3 - --count "$@" <<<"$CAPCHECK_PY"
}

# at_least N FILE DIR TYPE [LISTTYPE] [CONN]
at_least() {
    local n=$1
    shift
    [ "$(count_msgs "$@")" -ge "$n" ]
}

# wait_msgs SECONDS N DESCRIPTION FILE DIR TYPE [LISTTYPE] [CONN]
wait_msgs() {
    local limit=$1 n=$2 what=$3
    shift 3
    wait_for "$limit" "$what" at_least "$n" "$@"
}

###########################################################################
# Configuration
###########################################################################

# write_conf OPTIONS... ; options are KEY=VALUE:
#   nodes="1 2"       node ids in the nodelist (node N has ring0_addr 127.0.0.N)
#   algorithm=ffsplit tie_breaker=lowest kap=on tls=off votes=1
#   heuristics=off|on|sync  hexec=COMMAND  hinterval=MS
#   dc=yes (datacenterid lines)  config_version=N (totem.config_version)
write_conf() {
    local nodes="1" algorithm=ffsplit tie_breaker=lowest kap="" tls=off votes=1
    local heuristics=off hexec="" hinterval=1000 dc="" cfgver="" kv
    for kv in "$@"; do
        local k=${kv%%=*} v=${kv#*=}
        case $k in
            nodes) nodes=$v ;;
            algorithm) algorithm=$v ;;
            tie_breaker) tie_breaker=$v ;;
            kap) kap=$v ;;
            tls) tls=$v ;;
            votes) votes=$v ;;
            heuristics) heuristics=$v ;;
            hexec) hexec=$v ;;
            hinterval) hinterval=$v ;;
            dc) dc=$v ;;
            config_version) cfgver=$v ;;
            *) die "write_conf: unknown key $k" ;;
        esac
    done
    {
        cat <<EOF
# Generated by scripts/capture-traffic.sh (scratch cluster, loopback only).
totem {
    version: 2
    cluster_name: qcapture
    transport: knet
    ip_version: ipv4
    token: 1000
    crypto_cipher: aes256
    crypto_hash: sha256
EOF
        [ -z "$cfgver" ] || echo "    config_version: $cfgver"
        cat <<EOF
}

logging {
    to_stderr: yes
    to_logfile: no
    to_syslog: no
    timestamp: hires
    debug: off
}

nodelist {
EOF
        local n
        for n in $nodes; do
            printf '    node {\n        nodeid: %s\n        name: node%s\n        ring0_addr: 127.0.0.%s\n' \
                "$n" "$n" "$n"
            # data-center ids 10, 20, 10, ... (only with dc=yes)
            [ -z "$dc" ] || printf '        datacenterid: %s\n' "$(( (n % 2) ? 10 : 20 ))"
            printf '    }\n'
        done
        cat <<EOF
}

quorum {
    provider: corosync_votequorum
    device {
        model: net
        votes: $votes
        timeout: $QDEV_TIMEOUT
        sync_timeout: $QDEV_SYNC_TIMEOUT
EOF
        if [ "$heuristics" != off ]; then
            cat <<EOF
        heuristics {
            mode: $heuristics
            interval: $hinterval
            timeout: 1000
            sync_timeout: 1000
            exec_check: $hexec
        }
EOF
        fi
        cat <<EOF
        net {
            host: 127.0.0.1
            port: $PORT_RELAY
            algorithm: $algorithm
            tie_breaker: $tie_breaker
            tls: $tls
EOF
        [ -z "$kap" ] || echo "            keep_active_partition_tie_breaker: $kap"
        cat <<EOF
        }
    }
}
EOF
    } >"$WORK/etc/corosync.conf.new"
    mv "$WORK/etc/corosync.conf.new" /etc/corosync/corosync.conf
}

###########################################################################
# Daemons
###########################################################################

start_corosync() {
    rm -rf "${WORK:?}"/lib/*
    start_proc corosync corosync -f
    wait_for 20 "corosync IPC" corosync-cmapctl -g runtime.votequorum.this_node_id
    wait_for 20 "corosync membership" corosync-quorumtool -l
}

qnetd_listening() { [ -n "$(ss -Hltn "sport = :$PORT_QNETD")" ]; }

# start_qnetd [EXTRA ARGS...]
start_qnetd() {
    start_proc qnetd corosync-qnetd -f -d -s off -l 127.0.0.1 -p "$PORT_QNETD" "$@"
    wait_for 10 "qnetd listening on $PORT_QNETD" qnetd_listening
}

relay_listening() { [ -n "$(ss -Hltn "sport = :$PORT_RELAY")" ]; }

# start_relay SCENARIO DESCRIPTION
start_relay() {
    local name=$1 desc=$2 cap="$WORK/out/$1.cap" hdr="$WORK/out/$1.hdr"
    {
        echo "scenario: $name"
        echo "$desc" | fold -s -w 88 | sed 's/ *$//'
        echo "versions: $VERSIONS"
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "recorded by scripts/qrelay.py between corosync-qdevice (client, '>') and"
        echo "corosync-qnetd -s off (server, '<'); regenerate with: sudo scripts/capture-traffic.sh $name"
        echo "corosync.conf at start:"
        sed -n '/^nodelist/,$p' /etc/corosync/corosync.conf | sed -e 's/^/    /' -e 's/[[:space:]]*$//'
    } >"$hdr"
    local args=() line
    while IFS= read -r line; do args+=(--comment "$line"); done <"$hdr"
    rm -f "$hdr"
    start_proc relay python3 "$RELAY" "$PORT_RELAY" "$PORT_QNETD" "$cap" \
        --max-seconds 300 "${args[@]}"
    wait_for 10 "relay listening on $PORT_RELAY" relay_listening
}

start_qdevice() {
    start_proc qdevice corosync-qdevice -f -d
}

qdevice_connected() {
    corosync-qdevice-tool -s 2>/dev/null | grep -q 'State:[[:space:]]*Connected'
}

stop_all() {
    local name
    for name in qdevice relay qnetd corosync; do
        stop_proc "$name" 15
    done
}

# reload_conf OPTIONS... : rewrites corosync.conf and asks corosync to reload it
reload_conf() {
    write_conf "$@"
    corosync-cfgtool -R >>"$LOGDIR/cfgtool.log" 2>&1 || die "corosync-cfgtool -R failed"
}

###########################################################################
# Scenarios
###########################################################################

scenario_ffsplit_2node() {
    local cap="$WORK/out/ffsplit-2node.cap"
    write_conf nodes="1 2" algorithm=ffsplit tie_breaker=lowest
    start_corosync
    start_qnetd
    start_relay ffsplit-2node \
        "ffsplit, nodelist {1,2} (node 2 never runs), tie_breaker lowest; several echoes, then qdevice SIGTERM"
    start_qdevice
    wait_for 20 "qdevice connected" qdevice_connected
    wait_msgs 20 6 "6 echo replies" "$cap" '<' 9
    stop_proc qdevice 15
    stop_all
}

scenario_lms_heuristics() {
    local cap="$WORK/out/lms-heuristics.cap" flag="$WORK/heuristics-pass"
    local conf=(algorithm=lms tie_breaker=highest heuristics=on
                "hexec=/usr/bin/test -f $flag" hinterval=1000)
    touch "$flag"
    write_conf nodes="1" config_version=1 "${conf[@]}"
    start_corosync
    start_qnetd
    start_relay lms-heuristics \
        "lms, one node, tie_breaker highest, totem.config_version 1 (bumped on each reload), heuristics mode on (exec_check: test -f FLAG, interval 1000 ms); the flag file is removed and recreated (HEURISTICS_CHANGE fail/pass), node 2 is added to the nodelist + corosync-cfgtool -R (CHANGED_CONFIG), then node 3 plus datacenterid lines for all nodes (CHANGED_CONFIG; the ids do not reach the wire, see README), qnetd is restarted with -S max_client_receive_size=65536,max_client_send_size=49152 (qdevice reconnects: connection 2), the flag is flipped once more, then qdevice SIGTERM"
    start_qdevice
    wait_for 20 "qdevice connected" qdevice_connected
    wait_msgs 20 2 "2 echo replies" "$cap" '<' 9

    rm -f "$flag"
    wait_msgs 20 1 "HEURISTICS_CHANGE (fail)" "$cap" '<' 17
    touch "$flag"
    wait_msgs 20 2 "HEURISTICS_CHANGE (pass)" "$cap" '<' 17

    reload_conf nodes="1 2" config_version=2 "${conf[@]}"
    wait_msgs 20 1 "CHANGED_CONFIG after adding node 2" "$cap" '<' 11 1
    wait_msgs 20 5 "more echo replies" "$cap" '<' 9
    # corosync.conf stores datacenterid as a string, qdevice reads a u32: see README.
    reload_conf nodes="1 2 3" dc=yes config_version=3 "${conf[@]}"
    wait_msgs 20 2 "CHANGED_CONFIG after adding node 3 (+ datacenterid)" "$cap" '<' 11 1
    wait_msgs 20 6 "more echo replies" "$cap" '<' 9

    log "restarting qnetd"
    stop_proc qnetd 15
    # Different size limits, so INIT_REPLY options 7 and 8 differ from connection 1.
    start_qnetd -S max_client_receive_size=65536,max_client_send_size=49152
    wait_msgs 30 1 "second connection: QUORUM list reply" "$cap" '<' 11 3 2
    wait_for 20 "qdevice connected again" qdevice_connected
    rm -f "$flag"
    wait_msgs 20 3 "HEURISTICS_CHANGE on connection 2" "$cap" '<' 17
    wait_msgs 20 2 "echo reply on connection 2" "$cap" '<' 9 "" 2
    stop_proc qdevice 15
    stop_all
}

scenario_2nodelms_tiebreaker() {
    local cap="$WORK/out/2nodelms-tiebreaker.cap"
    local conf=(algorithm=2nodelms tie_breaker=2 kap=off heuristics=sync
                hexec=/bin/true)
    write_conf nodes="1 2" "${conf[@]}"
    start_corosync
    start_qnetd
    start_relay 2nodelms-tiebreaker \
        "2nodelms, nodelist {1,2} (node 2 never runs), tie_breaker 2 (a node id), keep_active_partition_tie_breaker off, heuristics mode sync (exec_check: /bin/true); after a few echoes node 3 is added + corosync-cfgtool -R: 2nodelms accepts only 2 nodes, qnetd answers SERVER_ERROR 12 and qdevice exits"
    start_qdevice
    wait_for 20 "qdevice connected" qdevice_connected
    wait_msgs 20 3 "3 echo replies" "$cap" '<' 9
    reload_conf nodes="1 2 3" "${conf[@]}"
    wait_msgs 20 1 "SERVER_ERROR for a 3-node list" "$cap" '<' 5
    wait_for 20 "qdevice exit after SERVER_ERROR" qdevice_gone
    stop_all
}

scenario_tls_mismatch() {
    local cap="$WORK/out/tls-mismatch.cap"
    write_conf nodes="1" algorithm=ffsplit tls=required
    # With net.tls other than off qdevice opens its NSS database at start; an empty one will do,
    # the TLS mismatch ends the connection before any certificate is needed.
    mkdir -p /etc/corosync/qdevice/net/nssdb
    certutil -N -d sql:/etc/corosync/qdevice/net/nssdb --empty-password \
        >>"$LOGDIR/certutil.log" 2>&1 || die "certutil -N failed"
    start_corosync
    start_qnetd
    start_relay tls-mismatch \
        "ffsplit, one node, qdevice net.tls: required against qnetd -s off: PREINIT/PREINIT_REPLY only, then qdevice disconnects (incompatible TLS) and exits"
    start_qdevice
    wait_msgs 20 1 "PREINIT_REPLY" "$cap" '<' 1
    wait_for 20 "qdevice exit" qdevice_gone
    stop_all
}

###########################################################################
# Capture checker / counter (python, fed on stdin)
###########################################################################
read -r -d '' CAPCHECK_PY <<'PYEOF' || true
import re, struct, sys

NAMES = ["PREINIT", "PREINIT_REPLY", "STARTTLS", "INIT", "INIT_REPLY", "SERVER_ERROR",
         "SET_OPTION", "SET_OPTION_REPLY", "ECHO_REQUEST", "ECHO_REPLY", "NODE_LIST",
         "NODE_LIST_REPLY", "ASK_FOR_VOTE", "ASK_FOR_VOTE_REPLY", "VOTE_INFO",
         "VOTE_INFO_REPLY", "HEURISTICS_CHANGE", "HEURISTICS_CHANGE_REPLY"]

def tlvs(buf):
    """Splits a TLV sequence; raises ValueError unless the options tile buf exactly."""
    out, pos = [], 0
    while pos < len(buf):
        if pos + 4 > len(buf):
            raise ValueError("truncated option header at %d" % pos)
        t, l = struct.unpack_from(">HH", buf, pos)
        if pos + 4 + l > len(buf):
            raise ValueError("option %d overruns payload" % t)
        out.append((t, buf[pos + 4:pos + 4 + l]))
        pos += 4 + l
    return out

def load(path):
    """Returns [(conn, dir, bytes)], raising ValueError on any framing problem."""
    msgs, conn = [], None
    for no, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"= connection (\d+)", line)
        if m:
            conn = int(m.group(1))
            continue
        m = re.fullmatch(r"([<>!]) ([0-9a-f]+)", line)
        if not m or conn is None:
            raise ValueError("%s:%d: bad line" % (path, no))
        if m.group(1) == "!":
            raise ValueError("%s:%d: partial message" % (path, no))
        data = bytes.fromhex(m.group(2))
        if len(data) < 6 or 6 + struct.unpack_from(">I", data, 2)[0] != len(data):
            raise ValueError("%s:%d: length field does not match" % (path, no))
        typ = struct.unpack_from(">H", data)[0]
        if typ >= len(NAMES):
            raise ValueError("%s:%d: unknown type %d" % (path, no, typ))
        for t, v in tlvs(data[6:]):
            if t == 17:
                tlvs(v)
        msgs.append((conn, m.group(1), data))
    return msgs

def list_type(data):
    for t, v in tlvs(data[6:]):
        if t == 18:
            return v[0]
    return None

def main(argv):
    if argv[0] == "--check":
        msgs = load(argv[1])
        if not msgs:
            raise SystemExit("%s: no messages" % argv[1])
        print("%s: %d messages frame correctly" % (argv[1], len(msgs)))
        return
    if argv[0] == "--count":
        path, d, typ = argv[1], argv[2], int(argv[3])
        lt = int(argv[4]) if len(argv) > 4 and argv[4] != "" else None
        cn = int(argv[5]) if len(argv) > 5 and argv[5] != "" else None
        n = 0
        try:
            msgs = load(path)
        except (OSError, ValueError):
            msgs = []
        for conn, dd, data in msgs:
            if dd != d or struct.unpack_from(">H", data)[0] != typ:
                continue
            if lt is not None and list_type(data) != lt:
                continue
            if cn is not None and conn != cn:
                continue
            n += 1
        print(n)
        return
    # Summary: directory + scenario names
    import os
    outdir, names = argv[0], argv[1:]
    seen = set()
    for name in names:
        msgs = load(os.path.join(outdir, name + ".cap"))
        counts = {}
        for _c, _d, data in msgs:
            t = struct.unpack_from(">H", data)[0]
            counts[t] = counts.get(t, 0) + 1
            seen.add(t)
        conns = len({c for c, _d, _m in msgs})
        print("%-22s %3d msgs, %d conn: %s" % (name, len(msgs), conns,
              " ".join("%d:%d" % (t, counts[t]) for t in sorted(counts))))
    print("types seen overall: %s" % " ".join(str(t) for t in sorted(seen)))

main(sys.argv[1:])
PYEOF

###########################################################################
if [ "${1:-}" = "--inner" ]; then
    shift
    inner_main "$@"
else
    outer_main "$@"
fi
