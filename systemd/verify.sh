#!/usr/bin/env bash
# Test install.systemd_verify: the installed units carry Debian's directives and pass systemd-analyze verify without a warning.
#
# Usage: systemd/verify.sh <source dir> <build dir>
#
# The build is installed with prefix /usr into a temporary DESTDIR. The units name their programs
# by absolute path (/usr/bin/corosync-qnetd), which on this machine may be Debian's reference
# binaries, so the units are verified as copies whose ExecStart points into the DESTDIR: verify
# then checks that OUR programs exist and are executable. Dependencies (network-online.target,
# corosync.service) resolve from the host; a stub corosync.service is provided when the host has
# none. Any line verify prints about our units fails the test. The sandboxing is guarded by a
# ceiling on "systemd-analyze security" exposure so it cannot silently erode.
set -u

src=${1:?usage: verify.sh <source dir> <build dir>}
build=${2:?usage: verify.sh <source dir> <build dir>}
# Exposure ceilings (systemd-analyze --threshold uses tenths); see systemd/README.md.
qnetd_max_exposure=20
qdevice_max_exposure=65
metrics_max_exposure=25

command -v systemd-analyze >/dev/null || {
    echo "FAIL: systemd-analyze not found: install the Debian package systemd" >&2
    exit 1
}

work=$(mktemp -d /tmp/qd-systemd-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
destdir=$work/root
. "$src/tests/install/stage.sh"
qd_stage "$build" "$destdir" || exit 1


unitdir=$destdir/lib/systemd/system

# Every directive Debian's units have, with its exact value.
check_directives() {
    local unit=$1 line
    shift
    for line in "$@"; do
        grep -qxF "$line" "$unitdir/$unit" || fail "$unit: missing '$line' (as Debian ships the unit)"
    done
}
check_directives corosync-qdevice.service \
    "Description=Corosync Qdevice daemon" \
    "Documentation=man:corosync-qdevice" \
    "ConditionKernelCommandLine=!nocluster" \
    "Requires=corosync.service" \
    "After=corosync.service" \
    "EnvironmentFile=-/etc/default/corosync-qdevice" \
    "ExecStart=/usr/sbin/corosync-qdevice -f \$COROSYNC_QDEVICE_OPTIONS" \
    "Type=notify" \
    "StandardError=null" \
    "Restart=on-failure" \
    "RuntimeDirectory=corosync-qdevice" \
    "RuntimeDirectoryMode=0770" \
    "PrivateTmp=yes" \
    "WantedBy=multi-user.target"
check_directives corosync-qnetd.service \
    "Description=Corosync Qdevice Network daemon" \
    "Documentation=man:corosync-qnetd" \
    "ConditionKernelCommandLine=!nocluster" \
    "Requires=network-online.target" \
    "After=network-online.target" \
    "EnvironmentFile=-/etc/default/corosync-qnetd" \
    "ExecStart=/usr/bin/corosync-qnetd -f \$COROSYNC_QNETD_OPTIONS" \
    "Type=notify" \
    "StandardError=null" \
    "Restart=on-abnormal" \
    "User=coroqnetd" \
    "RuntimeDirectory=corosync-qnetd" \
    "RuntimeDirectoryMode=0770" \
    "PrivateTmp=yes" \
    "WantedBy=multi-user.target"
# qdevice runs as root (corosync IPC, root-owned NSS database): no User= line.
grep -q '^User=' "$unitdir/corosync-qdevice.service" && fail "corosync-qdevice.service: must not set User= (Debian's unit runs it as root)"

# Copies whose ExecStart points into the DESTDIR.
mkdir -p "$work/units" "$work/stubs"
for unit in corosync-qnetd.service corosync-qdevice.service; do
    [ -f "$unitdir/$unit" ] || { fail "$unit not installed in /lib/systemd/system"; continue; }
    sed -E "s#^(ExecStart=-?)(/[^ ]*)#\\1$destdir\\2#" "$unitdir/$unit" > "$work/units/$unit"
done
# The metrics writers run /bin/sh, which is this machine's; the tool inside is checked by the layout test.
metrics_units="corosync-qnetd-metrics.service corosync-qnetd-metrics.timer corosync-qdevice-metrics.service corosync-qdevice-metrics.timer"
for unit in $metrics_units; do
    [ -f "$unitdir/$unit" ] || { fail "$unit not installed in /lib/systemd/system"; continue; }
    cp "$unitdir/$unit" "$work/units/$unit"
done
if [ ! -f /lib/systemd/system/corosync.service ] && [ ! -f /usr/lib/systemd/system/corosync.service ] &&
   [ ! -f /etc/systemd/system/corosync.service ]; then
    printf '[Unit]\nDescription=stub of corosync for the unit test\n[Service]\nExecStart=/bin/true\n' \
        > "$work/stubs/corosync.service"
fi
# Trailing colon: the stub directory comes first, then systemd's normal search path.
out=$(cd "$work/units" && SYSTEMD_UNIT_PATH="$work/stubs:" \
    systemd-analyze verify --man=no ./corosync-qnetd.service ./corosync-qdevice.service \
        $(printf './%s ' $metrics_units) 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    fail "systemd-analyze verify exited with $rc:"$'\n'"$out"
else
    ours=$(printf '%s\n' "$out" | grep -E 'corosync-(qnetd|qdevice)|qd-systemd-verify' || true)
    [ -z "$ours" ] || fail "systemd-analyze verify warns about our units:"$'\n'"$ours"
    other=$(printf '%s\n' "$out" | grep -vE 'corosync-(qnetd|qdevice)|qd-systemd-verify' | grep -v '^$' || true)
    [ -z "$other" ] || echo "note: systemd-analyze verify printed (not about our units):"$'\n'"$other"
fi

# Sandboxing ceiling.
for pair in "corosync-qnetd.service $qnetd_max_exposure" "corosync-qdevice.service $qdevice_max_exposure" \
    "corosync-qnetd-metrics.service $metrics_max_exposure" "corosync-qdevice-metrics.service $metrics_max_exposure"; do
    set -- $pair
    summary=$(cd "$work/units" && systemd-analyze security --offline=true --threshold="$2" "./$1" 2>&1)
    rc=$?
    level=$(printf '%s\n' "$summary" | grep 'Overall exposure level' | sed 's/.*: //')
    if [ $rc -ne 0 ]; then
        fail "$1: exposure $level is above the ceiling $2/10 (or security analysis failed):"$'\n'"$(printf '%s\n' "$summary" | tail -5)"
    else
        echo "$1: exposure $level (ceiling $(($2 / 10)).$(($2 % 10)))"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "systemd_verify: $failures problem(s)" >&2
    exit 1
fi
echo "systemd_verify: both units have the lines Debian's units have and verify cleanly"
