#!/usr/bin/env bash
# Runs qnetd_badinput against two of our qnetd daemons on loopback (TLS optional and TLS required) and checks their logs.
# Usage: badinput-check.sh BUILD_DIR     Exit: 0 pass, 1 fail, 77 skip (a program is missing).
set -u

build=${1:?usage: badinput-check.sh BUILD_DIR}
qnetd=$build/qnetd/corosync-qnetd
tool=$build/qnetd/corosync-qnetd-tool
certutil=$build/qnetd/corosync-qnetd-certutil
client=$build/tests/integration/badinput/qnetd_badinput
for p in "$qnetd" "$tool" "$certutil" "$client"; do
    if [ ! -x "$p" ]; then
        echo "SKIP: $p is not built"
        exit 77
    fi
done

work=$(mktemp -d /tmp/qnetd-badinput.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    if [ "${keep:-0}" = 1 ]; then
        echo "logs kept in $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

QNETD_CERTUTIL_DB_DIR=$work/nssdb "$certutil" -i > "$work/certutil.log" 2>&1 || {
    cat "$work/certutil.log"; exit 1; }

# Pick two free ports on loopback.
port_base=$((20000 + RANDOM % 20000))
port=$port_base
req_port=$((port_base + 1))
ulimit -n 8192

start() { # name port tls-mode
    "$qnetd" -f -d -p "$2" -s "$3" \
        -S "nss_db_dir=$work/nssdb,lock_file=$work/$1.pid,local_socket_file=$work/$1.sock" \
        > "$work/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        "$tool" -s -p "$work/$1.sock" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "qnetd $1 did not start:"; cat "$work/$1.log"; return 1
}
start optional "$port" on || exit 1
start required "$req_port" req || exit 1

rc=0
timeout 120 "$client" "$port" "$req_port" || rc=1

for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "FAILED: qnetd ${pids[$i]} died"
        rc=1
    fi
done

# Each refused input is logged once, naming the peer and the reason.
check_log() { # file pattern description
    local n
    n=$(grep -cE "$2" "$1")
    if [ "$n" -eq 1 ]; then
        echo "ok: log names the peer once: $3"
    else
        echo "FAILED: expected one log line for: $3 (found $n)"
        rc=1
    fi
}
peer='Client (::ffff:)?127\.0\.0\.1:[0-9]+: '
check_log "$work/optional.log" "${peer}cannot decode Echo request: option has an invalid value .*error 9" "invalid option value"
check_log "$work/optional.log" "${peer}cannot decode Echo request: options do not fill .*error 9" "inconsistent options"
check_log "$work/optional.log" "${peer}message skipped; sending back error 4" "unknown message type"
check_log "$work/optional.log" "${peer}message skipped; sending back error 5" "oversized message"
check_log "$work/optional.log" "${peer}Node list; sending back error 11" "node list before init"
check_log "$work/optional.log" "${peer}starttls before preinit; sending back error 6" "starttls before preinit"
check_log "$work/optional.log" "${peer}Vote info; sending back error 8" "server-to-client message"
check_log "$work/required.log" "${peer}TLS is required but was not started; sending back error 3" "plaintext when TLS is required"
check_log "$work/optional.log" "Client (::ffff:)?127\.0\.0\.1:[0-9]+ doesn't sent any message during 1500 ms" \
    "dead peer (silent for 1.5 s)"
if ! grep -qE "${peer}TLS read failed" "$work/optional.log"; then
    echo "FAILED: no log line for the failed TLS handshake"
    rc=1
fi

[ $rc -eq 0 ] || keep=1
echo "RESULT badinput ok=$((rc == 0 ? 1 : 0))"
exit $rc
