#!/usr/bin/env bash
# Our qnetd out of file descriptors: it neither spins nor floods its log, and serves again once descriptors are free.
# Usage: fd-exhaustion.sh BUILD_DIR     Exit: 0 pass, 1 fail, 77 skip (qnetd not built).
# QD_FD_QNETD=/usr/bin/corosync-qnetd runs the same probe against another qnetd (upstream's).
set -u
build=${1:?usage: fd-exhaustion.sh BUILD_DIR}
qnetd=${QD_FD_QNETD:-$build/qnetd/corosync-qnetd}
[ -x "$qnetd" ] || { echo "SKIP: $qnetd is not built"; exit 77; }
command -v prlimit >/dev/null || { echo "SKIP: prlimit (util-linux) is not installed"; exit 77; }

work=$(mktemp -d /tmp/qd-fd-exhaustion.XXXXXX)
pid=""
holders=()
cleanup() {
    [ "${#holders[@]}" -gt 0 ] && kill "${holders[@]}" 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 48 descriptors: the listener, the local socket, logging and the loop leave room for about 40 clients.
port=$((20000 + RANDOM % 20000))
prlimit --nofile=48:48 -- "$qnetd" -f -s off -l 127.0.0.1 -p "$port" \
    -S "lock_file=$work/qnetd.pid,local_socket_file=$work/qnetd.sock" >"$work/qnetd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

# More connections than it has descriptors for; the kernel queues the rest on the backlog. Each
# is held by a background process so that a connect stuck behind a short backlog (upstream's)
# does not stop the test; killing a holder closes its connection.
hold() { exec 3<>"/dev/tcp/127.0.0.1/$port" && exec sleep 120; }
for _ in $(seq 80); do
    hold 2>/dev/null &
    holders+=("$!")
done
sleep 2

ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep 3
t1=$(ticks)
cpu_pct=$(( (t1 - t0) * 100 / (3 * hz) ))
echo "qnetd CPU while out of descriptors: ${cpu_pct}% of a core"
[ "$cpu_pct" -lt 30 ] || fail "qnetd used ${cpu_pct}% of a core while out of descriptors (it spins)"
kill -0 "$pid" 2>/dev/null || fail "qnetd died"
n=$(grep -c "Out of file descriptors" "$work/qnetd.log")
[ "$n" = 1 ] || fail "'Out of file descriptors' logged $n times (once per episode expected)"
n=$(grep -c "Cannot accept connection" "$work/qnetd.log")
[ "$n" = 0 ] || fail "'Cannot accept connection' logged $n times"

# Free half of them: the connections waiting in the backlog are accepted within the pause, and
# the episode's end is logged once.
kill "${holders[@]:0:40}" 2>/dev/null
ok=0
for _ in $(seq 50); do
    grep -q "File descriptors are available again" "$work/qnetd.log" && { ok=1; break; }
    sleep 0.1
done
[ "$ok" = 1 ] || fail "qnetd did not say it accepts again after descriptors were freed"
timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null ||
    fail "a new client could not connect after descriptors were freed"
kill -0 "$pid" 2>/dev/null || fail "qnetd died"

if [ "$failures" -gt 0 ]; then
    echo "--- qnetd log (last lines)"
    tail -n 20 "$work/qnetd.log"
fi
echo "fd-exhaustion: $failures failed"
[ "$failures" -eq 0 ]
