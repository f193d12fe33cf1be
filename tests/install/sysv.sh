#!/usr/bin/env bash
# Test install.sysv_qnetd: the installed /etc/init.d/corosync-qnetd starts our daemon as coroqnetd, reports its status and stops it.
#
# Usage: tests/install/sysv.sh <source dir> <build dir>
#
# Runs a copy of the installed script whose DAEMON points into a temporary DESTDIR and whose
# run-time directory and NAME (which selects /etc/default/<NAME>) are private to the test, so the
# host's /run/corosync-qnetd and /etc/default/corosync-qnetd are never touched. The daemon listens
# on 127.0.0.1 only, with TLS off. Needs root (start-stop-daemon --chuid); exit 77 otherwise.
set -u

src=${1:?usage: sysv.sh <source dir> <build dir>}
build=${2:?usage: sysv.sh <source dir> <build dir>}

if [ "$(id -u)" -ne 0 ]; then
    echo "sysv_qnetd: needs root (start-stop-daemon --chuid); skipped"
    exit 77
fi
for f in /lib/init/init-d-script /sbin/start-stop-daemon; do
    [ -e "$f" ] || { echo "FAIL: $f missing (Debian packages sysvinit-utils, dpkg)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/qd-sysv.XXXXXX)
chmod 0755 "$work"
daemon_pid=""
cleanup() {
    # Only the daemon this test started, by the PID it wrote.
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill "$daemon_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$daemon_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
d=$work/root
. "$src/tests/install/stage.sh"
qd_stage "$build" "$d" || exit 1


installed=$d/etc/init.d/corosync-qnetd
[ -x "$installed" ] || { echo "FAIL: /etc/init.d/corosync-qnetd not installed" >&2; exit 1; }
name=qd-sysv-test-$$
run=$work/run
script=$work/$name
sed -e "s#^DAEMON=\\(/.*\\)#DAEMON=$d\\1#" -e "s#/run/corosync-qnetd#$run#g" "$installed" > "$script"
# A NAME without an /etc/default file, so the options below come from the environment.
sed -i "s#^DESC=#NAME=$name\\nDESC=#" "$script"
chmod 0755 "$script"
grep -q "^DAEMON=$d/usr/bin/corosync-qnetd\$" "$script" || { echo "FAIL: could not retarget DAEMON in the copy" >&2; exit 1; }

runas=coroqnetd
id "$runas" >/dev/null 2>&1 || runas=nobody
port=""
for p in $(shuf -i 20000-29999 -n 20); do
    if ! ss -Htln "sport = :$p" | grep -q .; then port=$p; break; fi
done
[ -n "$port" ] || { echo "FAIL: no free TCP port found" >&2; exit 1; }

export COROSYNC_QNETD_RUNAS=$runas
export COROSYNC_QNETD_OPTIONS="-s off -l 127.0.0.1 -p $port -S lock_file=$run/corosync-qnetd.pid,local_socket_file=$run/corosync-qnetd.sock"

out=$("$script" start 2>&1) || fail "start exited with $?: $out"
pidfile=$run/corosync-qnetd.pid
for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.1; done
daemon_pid=$(cat "$pidfile" 2>/dev/null)
if [ -z "$daemon_pid" ]; then
    fail "no pid file $pidfile after start"
else
    [ "$(readlink "/proc/$daemon_pid/exe")" = "$d/usr/bin/corosync-qnetd" ] ||
        fail "pid $daemon_pid is not the installed corosync-qnetd"
    [ "$(stat -c %U "/proc/$daemon_pid")" = "$runas" ] || fail "daemon does not run as $runas"
    [ "$(stat -c '%a %U' "$run")" = "770 $runas" ] || fail "run-time directory is $(stat -c '%a %U' "$run"), want 770 $runas"
    for _ in $(seq 100); do [ -S "$run/corosync-qnetd.sock" ] && break; sleep 0.1; done
    status=$("$d/usr/bin/corosync-qnetd-tool" -s -p "$run/corosync-qnetd.sock" 2>&1) ||
        fail "corosync-qnetd-tool -s failed: $status"
    printf '%s\n' "$status" | grep -q "^QNetd address:.*127.0.0.1:$port\$" || fail "unexpected status: $status"
fi
"$script" status >/dev/null 2>&1 || fail "status of a running daemon exited with $?"
out=$("$script" start 2>&1) || fail "second start exited with $? (must be a no-op): $out"
[ "$(cat "$pidfile" 2>/dev/null)" = "$daemon_pid" ] || fail "second start replaced the daemon"

out=$("$script" stop 2>&1) || fail "stop exited with $?: $out"
for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$daemon_pid" 2>/dev/null && fail "daemon $daemon_pid still runs after stop"
[ -e "$pidfile" ] && fail "pid file left after stop"
"$script" status >/dev/null 2>&1
rc=$?
[ $rc -eq 3 ] || fail "status after stop exited with $rc, want 3 (not running)"

if [ "$failures" -ne 0 ]; then
    echo "sysv_qnetd: $failures problem(s)" >&2
    exit 1
fi
echo "sysv_qnetd: start as $runas, status, idempotent start and stop all work"
