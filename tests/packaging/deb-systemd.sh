#!/usr/bin/env bash
# Our packages under a real systemd: a Debian 12 container runs a one-node cluster on Debian's packages, then ours are installed over them and the units are driven live.
#
# Usage: deb-systemd.sh      Exit: 0 pass, 1 fail, 77 skip (not root, no mmdebstrap or systemd-nspawn).
# The container is booted with systemd-nspawn from a cgroup of its own, on a private network
# (loopback only); commands run inside it through nsenter on its PID 1. Everything it made is
# removed at the end (QD_KEEP=1 keeps the root directory).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in mmdebstrap systemd-nspawn nsenter; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done
arch=$(dpkg --print-architecture)
dist=$top/dist/$arch
if ! ls "$dist"/corosync-qnetd_*.deb >/dev/null 2>&1; then
    bash "$top/scripts/build-deb.sh" || { echo "FAIL: building the packages"; exit 1; }
fi
qnetd_deb=$(ls "$dist"/corosync-qnetd_*_"$arch".deb)
qdevice_deb=$(ls "$dist"/corosync-qdevice_*_"$arch".deb)
ours_version=$(dpkg-deb -f "$qnetd_deb" Version)

work=$(mktemp -d /var/tmp/qd-deb-systemd.XXXXXX) || exit 1
root=$work/root
name=qd$$
cgroups=()
nspawn_pid=""
leader=""

stop_container() {
    [ -n "$nspawn_pid" ] || return 0
    # SIGTERM asks nspawn for an orderly shutdown of the container; SIGKILL after 30 s.
    kill -TERM "$nspawn_pid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn_pid" 2>/dev/null
    wait "$nspawn_pid" 2>/dev/null
    nspawn_pid=""
}
cleanup() {
    stop_container
    local c
    for c in "${cgroups[@]}"; do find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
    if [ "${QD_KEEP:-0}" = 1 ]; then
        echo "root directory kept: $root"
    elif ! grep -q " $work/" /proc/self/mounts; then
        rm -rf --one-file-system "$work"
    else
        echo "$work still has mounts; not removed"
    fi
}
trap cleanup EXIT

failures=0 checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    checks=$((checks + 1))
    "$@" || fail "$what"
}
log() { echo "[$(date +%T)] $*"; }
# c CMD...: a command inside the container, in all its namespaces.
c() { nsenter -t "$leader" -a "$@"; }
wait_for() { # SECONDS COMMAND...: true once COMMAND succeeds
    local limit=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$limit" ] && return 1
        sleep 0.5
    done
}
main_pid() { c systemctl show -p MainPID --value "$1"; }
exe_of() { c readlink "/proc/$1/exe"; }

# ---- A Debian 12 system with Debian's corosync, corosync-qnetd and corosync-qdevice. ----
log "making the container's root"
# The container has no network: what our packages depend on and Debian's do not (libjansson4, ...)
# goes in now, named by our packages' own Depends (first alternative of each, without versions).
our_deps=$({ dpkg-deb -f "$qnetd_deb" Depends; dpkg-deb -f "$qdevice_deb" Depends; } | tr ',' '\n' |
    sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -vE '^(corosync-qnetd|corosync-qdevice)?$' | sort -u | paste -sd, -)
if ! mmdebstrap --mode=root --variant=minbase \
    --include="systemd,systemd-sysv,dbus,corosync,corosync-qnetd,corosync-qdevice,libnss3-tools,procps,iproute2,$our_deps" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"' \
    --customize-hook="copy-in $qnetd_deb $qdevice_deb /root" \
    --customize-hook='rm -f "$1/usr/sbin/policy-rc.d"' \
    bookworm "$root" http://deb.debian.org/debian >"$work/mmdebstrap.log" 2>&1; then
    tail -n 20 "$work/mmdebstrap.log"
    echo "FAIL: mmdebstrap"
    exit 1
fi

# A one-node cluster whose quorum device is the container's own arbiter (ffsplit, one vote).
cat >"$root/etc/corosync/corosync.conf" <<CONF
totem {
  version: 2
  cluster_name: c1
  transport: knet
  crypto_cipher: none
  crypto_hash: none
}
nodelist {
  node {
    name: n1
    nodeid: 1
    ring0_addr: 127.0.0.1
  }
}
quorum {
  provider: corosync_votequorum
  device {
    model: net
    votes: 1
    net {
      host: 127.0.0.1
      algorithm: ffsplit
      tls: on
    }
  }
}
logging {
  to_syslog: yes
}
CONF

# ---- Boot it, from a cgroup of its own. ----
log "booting the container"
for h in systemd unified; do
    if [ -d "/sys/fs/cgroup/$h" ]; then
        mkdir -p "/sys/fs/cgroup/$h/$name" && cgroups+=("/sys/fs/cgroup/$h/$name")
    fi
done
(
    for cg in "${cgroups[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
    exec systemd-nspawn -D "$root" -M "$name" --register=no --keep-unit --private-network --console=pipe -b
) </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
find_leader() {
    leader=$(cat "/proc/$nspawn_pid/task/$nspawn_pid/children" 2>/dev/null | awk '{print $1}')
    [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]
}
wait_for 30 find_leader || { echo "FAIL: the container did not start (console: $(tail -n 3 "$work/console.log"))"; exit 1; }
running() { case $(c systemctl is-system-running 2>/dev/null) in running | degraded) return 0 ;; esac; return 1; }
check "the container's systemd is up" wait_for 60 running

# ---- Debian's daemons first: the cluster runs with the quorum device counted. ----
log "the cluster on Debian's packages"
c sh -c 'corosync-qdevice-net-certutil -i -c /etc/corosync/qnetd/nssdb/qnetd-cacert.crt &&
    corosync-qdevice-net-certutil -r -n c1 &&
    corosync-qnetd-certutil -s -c /etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq -n c1 &&
    corosync-qdevice-net-certutil -M -c /etc/corosync/qnetd/nssdb/cluster-c1.crt' >"$work/certs.log" 2>&1
check "certificates (certs.log)" test $? = 0
c systemctl restart corosync >/dev/null 2>&1
check "corosync is active" wait_for 30 c systemctl is-active corosync
c systemctl enable --now corosync-qdevice >/dev/null 2>&1
vote_counted() { c corosync-quorumtool -s 2>/dev/null | grep -Eq '^ +0 +1 +Qdevice$'; }
check "Debian's qdevice: the device vote is counted" wait_for 60 vote_counted
qnetd_before=$(main_pid corosync-qnetd)
qdevice_before=$(main_pid corosync-qdevice)

# ---- Ours over Debian's, under the running daemons. ----
log "installing our packages over Debian's"
c env -u DEBIAN_FRONTEND apt-get install -y -q "/root/$(basename "$qnetd_deb")" "/root/$(basename "$qdevice_deb")" \
    </dev/null >"$work/upgrade.log" 2>&1
upgrade_rc=$?
check "apt-get install of our packages ($(tail -n 1 "$work/upgrade.log"))" test "$upgrade_rc" = 0
check "corosync-qnetd is ours" test "$(c dpkg-query -W -f '${Version}' corosync-qnetd)" = "$ours_version"
check "corosync-qnetd was restarted on the upgrade" wait_for 20 sh -c "[ \"\$(nsenter -t $leader -a systemctl show -p MainPID --value corosync-qnetd)\" != $qnetd_before ]"
check "corosync-qnetd is active" c systemctl is-active --quiet corosync-qnetd
check "the running qnetd is our program" test "$(exe_of "$(main_pid corosync-qnetd)")" = /usr/bin/corosync-qnetd
check "corosync-qdevice was neither stopped nor restarted" test "$(main_pid corosync-qdevice)" = "$qdevice_before"
check "corosync-qdevice is still active" c systemctl is-active --quiet corosync-qdevice
check "the upgrade says how to restart the nodes one at a time" grep -q "Restart the nodes one at a time" "$work/upgrade.log"
check "the vote came back with our qnetd (the old qdevice reconnected)" wait_for 60 vote_counted

log "restarting corosync-qdevice onto our program"
c systemctl restart corosync-qdevice
check "corosync-qdevice is active after the restart (Type=notify readiness)" c systemctl is-active --quiet corosync-qdevice
check "the running qdevice is our program" test "$(exe_of "$(main_pid corosync-qdevice)")" = /usr/sbin/corosync-qdevice
check "our qdevice: the device vote is counted" wait_for 60 vote_counted
check "our qdevice logs its connection to the journal" \
    wait_for 20 sh -c "nsenter -t $leader -a journalctl -u corosync-qdevice -o cat | grep -q 'Connected to qnetd server 127.0.0.1:5403 (TLS with client certificate)'"
check "our qnetd logs the client joining" \
    wait_for 20 sh -c "nsenter -t $leader -a journalctl -u corosync-qnetd -o cat | grep -q \"joined cluster 'c1' as node 1\""

# ---- corosync-qnetd's unit, live. ----
log "corosync-qnetd's unit"
c groupadd -f qdtool
c useradd -M -G coroqnetd qdadmin
check "corosync-qnetd-tool -s as a member of coroqnetd" sh -c "nsenter -t $leader -a runuser -u qdadmin -- corosync-qnetd-tool -s | grep -q 'QNetd address'"
c usermod -a -G qdtool coroqnetd
gid=$(c getent group qdtool | cut -d: -f3)
c sh -c "echo 'COROSYNC_QNETD_OPTIONS=\"-S local_socket_gid=$gid\"' >/etc/default/corosync-qnetd"
c systemctl restart corosync-qnetd
check "restart with -S local_socket_gid: active" c systemctl is-active --quiet corosync-qnetd
check "the local socket belongs to group qdtool" test "$(c stat -c %G /run/corosync-qnetd/corosync-qnetd.sock)" = qdtool
check "the arbiter still serves the cluster" wait_for 60 vote_counted
score=$(c systemd-analyze security corosync-qnetd 2>/dev/null | sed -n 's/.*Overall exposure level for corosync-qnetd.service: \([0-9.]*\).*/\1/p')
log "systemd-analyze security: corosync-qnetd ${score:-?}"
check "systemd-analyze security corosync-qnetd is at most 2.5 (got ${score:-none})" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
score=$(c systemd-analyze security corosync-qdevice 2>/dev/null | sed -n 's/.*Overall exposure level for corosync-qdevice.service: \([0-9.]*\).*/\1/p')
log "systemd-analyze security: corosync-qdevice ${score:-?}"
check "systemd-analyze security corosync-qdevice is below 6.0 (got ${score:-none})" awk -v s="${score:-99}" 'BEGIN { exit !(s < 6.0) }'

# ---- the metrics timers for node_exporter's textfile collector (doc/monitoring.md §5.3). ----
log "metrics timers"
promtool=${QD_PROMTOOL:-/var/cache/qd-tools/promtool}
textdir=/var/lib/prometheus/node-exporter
check "the metrics timers ship disabled" \
    test "$(c systemctl is-enabled corosync-qnetd-metrics.timer corosync-qdevice-metrics.timer | sort -u)" = disabled
c systemctl start corosync-qnetd-metrics.service >/dev/null 2>&1
check "without node_exporter's directory the metrics service fails and says why" \
    sh -c "nsenter -t $leader -a journalctl -u corosync-qnetd-metrics -o cat | grep -q '$textdir does not exist'"
c mkdir -p "$textdir"
c systemctl enable --now corosync-qnetd-metrics.timer corosync-qdevice-metrics.timer >/dev/null 2>&1
check "both metrics timers are active once enabled" c systemctl is-active --quiet corosync-qnetd-metrics.timer corosync-qdevice-metrics.timer
check "the qnetd metrics file is written (sandboxed unit)" wait_for 90 c grep -qx 'corosync_qnetd_clients 1' "$textdir/corosync-qnetd.prom"
check "the qdevice metrics file is written (sandboxed unit)" wait_for 90 c grep -qx 'corosync_qdevice_connected 1' "$textdir/corosync-qdevice.prom"
check "promtool check metrics accepts both files" \
    sh -c "'$promtool' check metrics <'$root$textdir/corosync-qnetd.prom' && '$promtool' check metrics <'$root$textdir/corosync-qdevice.prom'"
c systemctl disable --now corosync-qnetd-metrics.timer corosync-qdevice-metrics.timer >/dev/null 2>&1

# ---- systemd's view: the watchdog and the status line. ----
log "watchdog and status"
check "corosync-qnetd has a 30 s watchdog" test "$(c systemctl show -p WatchdogUSec --value corosync-qnetd)" = 30s
check "corosync-qdevice has a 30 s watchdog" test "$(c systemctl show -p WatchdogUSec --value corosync-qdevice)" = 30s
status_ok() { c systemctl show -p StatusText --value corosync-qdevice | grep -q "^Connected to qnetd 127.0.0.1:5403, vote ACK, this node casts the device's vote (1 vote)$"; }
check "systemctl status corosync-qdevice says what it is connected to and that it casts the vote" wait_for 10 status_ok
# A stopped loop: with a short watchdog, systemd kills the daemon and starts it again.
c mkdir -p /run/systemd/system/corosync-qnetd.service.d
c sh -c 'printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\n" >/run/systemd/system/corosync-qnetd.service.d/watchdog-test.conf'
c systemctl daemon-reload
c systemctl restart corosync-qnetd
hung_pid=$(main_pid corosync-qnetd)
restarts_before=$(c systemctl show -p NRestarts --value corosync-qnetd)
check "an idle corosync-qnetd is not killed by a 2 s watchdog" sh -c "sleep 5; [ \"\$(nsenter -t $leader -a systemctl show -p MainPID --value corosync-qnetd)\" = $hung_pid ]"
c kill -STOP "$hung_pid"
restarted() { [ "$(c systemctl show -p NRestarts --value corosync-qnetd)" -gt "$restarts_before" ] && c systemctl is-active --quiet corosync-qnetd; }
check "a stopped corosync-qnetd is killed by the watchdog and restarted" wait_for 30 restarted
check "the watchdog is in the journal" \
    sh -c "nsenter -t $leader -a journalctl -u corosync-qnetd -o cat | grep -qi 'watchdog timeout'"
c rm -f /run/systemd/system/corosync-qnetd.service.d/watchdog-test.conf
c systemctl daemon-reload
c systemctl restart corosync-qnetd
check "the arbiter serves the cluster again" wait_for 60 vote_counted
c systemctl stop corosync-qnetd
check "a clean stop: inactive" test "$(c systemctl is-active corosync-qnetd)" = inactive
check "a clean stop: result success, exit status 0" \
    test "$(c systemctl show -p Result --value corosync-qnetd) $(c systemctl show -p ExecMainStatus --value corosync-qnetd)" = "success 0"

# ---- corosync-qdevice-tool -D under systemd: the journal says why the daemon is not running. ----
log "diagnosis of a corosync-qdevice that refuses its configuration"
c sed -i 's/tls: on/tls: sometimes/' /etc/corosync/corosync.conf
c corosync-cfgtool -R >/dev/null 2>&1
c systemctl restart corosync-qdevice >/dev/null 2>&1
qdevice_down() { ! c systemctl is-active --quiet corosync-qdevice; }
check "corosync-qdevice does not run with tls: sometimes" wait_for 30 qdevice_down
rc=0
c corosync-qdevice-tool -D >"$work/diagnose.txt" 2>&1 || rc=$?
sed 's/^/    /' "$work/diagnose.txt"
check "-D exits 2" test "$rc" = 2
check "-D quotes the daemon's last error from the journal" \
    grep -q '^FAIL qdevice-running: .*its last error in the journal: ".*quorum.device.net.tls' "$work/diagnose.txt"
check "-D names the value corosync-qdevice refuses" grep -q "^FAIL tls-mode: quorum.device.net.tls is 'sometimes'" "$work/diagnose.txt"
c sed -i 's/tls: sometimes/tls: on/' /etc/corosync/corosync.conf
c corosync-cfgtool -R >/dev/null 2>&1

echo "deb-systemd: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
