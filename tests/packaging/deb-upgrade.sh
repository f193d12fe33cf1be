#!/usr/bin/env bash
# Our packages over Debian's in a Debian 12 chroot: no question asked, databases untouched, our programs serving a qdevice client; remove, reinstall, purge with the CA kept, restore, back to Debian's, a fresh install.
#
# Usage: deb-upgrade.sh BUILD_DIR      Exit: 0 pass, 1 fail, 77 skip (not root, no mmdebstrap).
# The packages come from dist/<arch>/ (built by scripts/build-deb.sh when missing). Everything
# runs in a private mount namespace and a work directory of its own, removed at the end
# (QD_KEEP=1 keeps it); nothing is installed on this machine.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: deb-upgrade.sh BUILD_DIR}" && pwd)

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v mmdebstrap >/dev/null || { echo "SKIP: mmdebstrap is not installed"; exit 77; }
load=$build/tests/bench/qnetd_load
[ -x "$load" ] || { echo "SKIP: $load is not built"; exit 77; }

# Private mounts: whatever is mounted below vanishes with this process.
if [ -z "${QD_IN_PRIVATE_NS:-}" ]; then
    QD_IN_PRIVATE_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi

arch=$(dpkg --print-architecture)
dist=$top/dist/$arch
if ! ls "$dist"/corosync-qnetd_*.deb >/dev/null 2>&1; then
    bash "$top/scripts/build-deb.sh" || { echo "FAIL: building the packages"; exit 1; }
fi
qnetd_deb=$(ls "$dist"/corosync-qnetd_*_"$arch".deb)
qdevice_deb=$(ls "$dist"/corosync-qdevice_*_"$arch".deb)
ours_version=$(dpkg-deb -f "$qnetd_deb" Version)

work=$(mktemp -d /var/tmp/qd-deb-upgrade.XXXXXX) || exit 1
qnetd_pid=""
mounted=()
cleanup() {
    [ -n "$qnetd_pid" ] && kill "$qnetd_pid" 2>/dev/null && wait "$qnetd_pid" 2>/dev/null
    # Unmount before removing anything: a removal through a mount point would reach the host.
    local m
    for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null; done
    if [ "${QD_KEEP:-0}" = 1 ]; then
        echo "work directory kept: $work"
    elif ! grep -q " $work/" /proc/self/mounts; then
        rm -rf --one-file-system "$work"
    else
        echo "work directory $work still has mounts; not removed"
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

# ---- The version sorts above Debian's, so that installing ours is an ordinary upgrade. ----
for v in 3.0.3-1 3.0.4-1 3.0.4-2 3.0.4-1+deb12u1; do
    check "version $ours_version sorts above $v" dpkg --compare-versions "$ours_version" gt "$v"
done

# ---- A Debian 12 system with Debian's corosync-qnetd and corosync-qdevice. ----
base=$work/base
log "making a Debian 12 chroot with Debian's packages"
# The package lists and the downloaded .debs stay, so that going back to Debian's packages (case 2)
# needs no network.
if ! mmdebstrap --mode=root --variant=minbase --skip=cleanup/apt/lists --skip=cleanup/apt/cache \
    --include=systemd,systemd-sysv,corosync-qnetd,corosync-qdevice,libnss3-tools,procps \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"' \
    bookworm "$base" http://deb.debian.org/debian >"$work/mmdebstrap.log" 2>&1; then
    tail -n 20 "$work/mmdebstrap.log"
    echo "FAIL: mmdebstrap"
    exit 1
fi

# inroot ROOT CMD...: runs CMD inside the chroot.
inroot() {
    local root=$1
    shift
    chroot "$root" "$@"
}
# The chroot has its own device nodes (mmdebstrap makes them); it only borrows a /proc.
prepare() { # ROOT
    mount -t proc proc "$1/proc" && mounted+=("$1/proc")
}
apt_in() { # ROOT LOG ARGS...: apt-get without a terminal and without any --force-conf option
    local root=$1 logf=$2
    shift 2
    inroot "$root" apt-get -y -q "$@" </dev/null >"$logf" 2>&1
}
no_question() { # LOG: dpkg asked nothing about a configuration file
    ! grep -qE "Configuration file '|\*\*\* .* \(Y/I/N/O/D/Z\)" "$1"
}
db_sums() { # ROOT: checksums of every file of the NSS databases there are (the arbiter's, a node's)
    local d dirs=()
    for d in qnetd/nssdb qdevice/net/nssdb; do [ -d "$1/etc/corosync/$d" ] && dirs+=("$d"); done
    (cd "$1/etc/corosync" && find "${dirs[@]}" -type f -print0 | sort -z | xargs -0 sha256sum)
}
owned_modes() { # ROOT: owner, group and mode of the qnetd database
    (cd "$1/etc/corosync/qnetd" && stat -c '%n %U %G %a' nssdb nssdb/*)
}
ours_binary() { # ROOT PATH: the file is the one in our package
    local x=$work/extract-$(basename "$2")
    rm -rf "$x"
    dpkg-deb -x "$qnetd_deb" "$x" && dpkg-deb -x "$qdevice_deb" "$x" && cmp -s "$x$2" "$1$2"
}

# The set-up pvecm does on a node and on the arbiter, for a cluster named c1 (the load generator's name).
certificates() { # ROOT
    local r=$1
    inroot "$r" corosync-qdevice-net-certutil -i -c /etc/corosync/qnetd/nssdb/qnetd-cacert.crt &&
        inroot "$r" corosync-qdevice-net-certutil -r -n c1 &&
        inroot "$r" corosync-qnetd-certutil -s -c /etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq -n c1 &&
        inroot "$r" corosync-qdevice-net-certutil -M -c /etc/corosync/qnetd/nssdb/cluster-c1.crt
}

# Our qnetd, started from the chroot on a loopback port, must admit a client with the node's
# certificate and decide a split right (the generator checks every vote).
serve_check() { # ROOT LABEL
    local r=$1 label=$2 port=$((20000 + RANDOM % 20000))
    mkdir -p "$r/run/corosync-qnetd"
    # chroot execs the daemon: $! is qnetd's own PID, the one to stop.
    chroot "$r" /usr/bin/corosync-qnetd -f -p "$port" -l 127.0.0.1 >"$work/qnetd-$label.log" 2>&1 &
    qnetd_pid=$!
    for _ in $(seq 100); do
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN && break
        sleep 0.1
    done
    "$load" -p "$port" -C 1 -N 2 --suffix "" --nssdb "$r/etc/corosync/qdevice/net/nssdb" --tls-engine nss \
        --storms 1 --hold 1 --timeout 30 --connect-timeout 30 --label "$label" >"$work/load-$label.log" 2>&1
    local rc=$?
    kill "$qnetd_pid" 2>/dev/null
    wait "$qnetd_pid" 2>/dev/null
    qnetd_pid=""
    check "$label: our qnetd from the chroot served a qdevice client (load generator status $rc)" test "$rc" = 0
    check "$label: the client's certificate was verified" grep -q "client certificate verified" "$work/qnetd-$label.log"
}

# ---- Case 1: upgrade over Debian's packages, the administrator having edited their files. ----
A=$work/edited
log "case 1: upgrade over edited files"
cp -a "$base" "$A"
prepare "$A"
certificates "$A" >"$work/certificates.log" 2>&1
check "edited: certificates as pvecm makes them (log: certificates.log)" test $? = 0
echo 'COROSYNC_QNETD_OPTIONS="-d"' >>"$A/etc/default/corosync-qnetd"
echo '# edited by the administrator' >>"$A/etc/init.d/corosync-qnetd"
sums_before=$(db_sums "$A")
modes_before=$(owned_modes "$A")
cp "$qnetd_deb" "$qdevice_deb" "$A/tmp/"
apt_in "$A" "$work/upgrade-edited.log" install "/tmp/$(basename "$qnetd_deb")" "/tmp/$(basename "$qdevice_deb")"
# The status is kept first: the command substitution in the description would replace $?.
rc=$?
check "edited: apt-get install of our packages succeeded ($(tail -n 1 "$work/upgrade-edited.log"))" test "$rc" = 0
check "edited: no configuration file question" no_question "$work/upgrade-edited.log"
check "edited: corosync-qnetd is ours" test "$(inroot "$A" dpkg-query -W -f '${Version}' corosync-qnetd)" = "$ours_version"
check "edited: corosync-qdevice is ours" test "$(inroot "$A" dpkg-query -W -f '${Version}' corosync-qdevice)" = "$ours_version"
check "edited: both databases byte-identical" test "$(db_sums "$A")" = "$sums_before"
check "edited: database owner, group and modes unchanged" test "$(owned_modes "$A")" = "$modes_before"
for p in /usr/bin/corosync-qnetd /usr/bin/corosync-qnetd-tool /usr/sbin/corosync-qdevice /usr/sbin/corosync-qdevice-tool; do
    check "edited: $p is our program" ours_binary "$A" "$p"
done
check "edited: the administrator's /etc/default/corosync-qnetd is still there" grep -qx 'COROSYNC_QNETD_OPTIONS="-d"' "$A/etc/default/corosync-qnetd"
check "edited: our unit reads it" grep -qx 'EnvironmentFile=-/etc/default/corosync-qnetd' "$A/lib/systemd/system/corosync-qnetd.service"
check "edited: the edited SysV script is kept aside" test -f "$A/etc/init.d/corosync-qnetd.dpkg-bak"
check "edited: no SysV script left in place" test ! -e "$A/etc/init.d/corosync-qnetd"
serve_check "$A" edited

log "case 1: remove, reinstall, purge, restore"
apt_in "$A" "$work/remove.log" remove corosync-qnetd corosync-qdevice
check "remove: succeeded" test $? = 0
check "remove: the databases stay" test "$(db_sums "$A")" = "$sums_before"
apt_in "$A" "$work/reinstall.log" install "/tmp/$(basename "$qnetd_deb")" "/tmp/$(basename "$qdevice_deb")"
check "reinstall: succeeded" test $? = 0
check "reinstall: the databases are untouched" test "$(db_sums "$A")" = "$sums_before"
apt_in "$A" "$work/purge.log" purge corosync-qnetd
check "purge: succeeded" test $? = 0
copy=$(ls "$A"/var/backups/corosync-qnetd-nssdb-*.tar.gz 2>/dev/null | head -n 1)
check "purge: a copy of the database is in /var/backups" test -n "$copy"
check "purge: the copy is readable by root only" test "$(stat -c %a "$copy" 2>/dev/null)" = 600
check "purge: it says where the copy is" grep -q "a copy is kept in /var/backups/corosync-qnetd-nssdb-" "$work/purge.log"
check "purge: the database itself is gone" test ! -e "$A/etc/corosync/qnetd/nssdb"
apt_in "$A" "$work/install-after-purge.log" install "/tmp/$(basename "$qnetd_deb")"
check "install after purge: succeeded (a new database)" test -f "$A/etc/corosync/qnetd/nssdb/cert9.db"
inroot "$A" corosync-qnetd-certutil -I "/var/backups/$(basename "$copy")" >"$work/restore.log" 2>&1
check "restore: corosync-qnetd-certutil -I from the purge copy" test $? = 0
check "restore: the arbiter's database is the original again" \
    test "$(db_sums "$A" | grep ' qnetd/')" = "$(grep ' qnetd/' <<<"$sums_before")"
serve_check "$A" restored

# ---- Case 2: upgrade over Debian's packages as installed (nothing edited). ----
B=$work/untouched
log "case 2: upgrade over untouched files"
cp -a "$base" "$B"
prepare "$B"
sums_before=$(db_sums "$B")
cp "$qnetd_deb" "$qdevice_deb" "$B/tmp/"
apt_in "$B" "$work/upgrade-untouched.log" install "/tmp/$(basename "$qnetd_deb")" "/tmp/$(basename "$qdevice_deb")"
check "untouched: apt-get install succeeded" test $? = 0
check "untouched: no configuration file question" no_question "$work/upgrade-untouched.log"
check "untouched: the database is untouched" test "$(db_sums "$B")" = "$sums_before"
check "untouched: Debian's SysV scripts are gone" test ! -e "$B/etc/init.d/corosync-qnetd" -a ! -e "$B/etc/init.d/corosync-qdevice"
check "untouched: /etc/default files stay for the administrator" test -f "$B/etc/default/corosync-qnetd"

log "case 2: back to Debian's packages"
# The version in the archive's package list (ours is known to dpkg only).
debian_version=$(inroot "$B" apt-cache madison corosync-qnetd | awk -F' *[|] *' '$3 ~ /debian/ { print $2; exit }')
check "downgrade: apt knows Debian's version ($debian_version)" test -n "$debian_version"
apt_in "$B" "$work/downgrade.log" install --allow-downgrades "corosync-qnetd=$debian_version" \
    "corosync-qdevice=$debian_version"
rc=$?
check "downgrade: apt-get install --allow-downgrades succeeded ($(tail -n 1 "$work/downgrade.log"))" test "$rc" = 0
check "downgrade: no configuration file question" no_question "$work/downgrade.log"
check "downgrade: corosync-qnetd is Debian's again" \
    test "$(inroot "$B" dpkg-query -W -f '${Version}' corosync-qnetd)" = "$debian_version"
check "downgrade: corosync-qdevice is Debian's again" \
    test "$(inroot "$B" dpkg-query -W -f '${Version}' corosync-qdevice)" = "$debian_version"
not_ours_binary() { ! ours_binary "$@"; }
check "downgrade: /usr/bin/corosync-qnetd is not ours any more" not_ours_binary "$B" /usr/bin/corosync-qnetd
check "downgrade: /usr/sbin/corosync-qdevice is not ours any more" not_ours_binary "$B" /usr/sbin/corosync-qdevice
check "downgrade: the database is untouched" test "$(db_sums "$B")" = "$sums_before"
mkdir -p "$B/run/corosync-qnetd"
# Upstream says it is ready at debug level only.
timeout 5 chroot "$B" /usr/bin/corosync-qnetd -f -d -p $((20000 + RANDOM % 20000)) -l 127.0.0.1 \
    >"$work/qnetd-downgraded.log" 2>&1
check "downgrade: Debian's qnetd starts on the database" grep -q "QNetd ready to provide service" "$work/qnetd-downgraded.log"

# ---- Case 3: a fresh installation, without Debian's packages first. ----
C=$work/fresh
log "case 3: fresh installation"
cp -a "$base" "$C"
prepare "$C"
apt_in "$C" "$work/purge-debian.log" purge corosync-qnetd corosync-qdevice
rm -rf "$C/etc/corosync/qnetd" "$C/etc/corosync/qdevice"
cp "$qnetd_deb" "$qdevice_deb" "$C/tmp/"
apt_in "$C" "$work/fresh.log" install "/tmp/$(basename "$qnetd_deb")" "/tmp/$(basename "$qdevice_deb")"
check "fresh: apt-get install succeeded" test $? = 0
check "fresh: the coroqnetd account exists" inroot "$C" getent passwd coroqnetd
check "fresh: a database was made" test -f "$C/etc/corosync/qnetd/nssdb/cert9.db"
check "fresh: the database belongs to group coroqnetd" \
    test "$(inroot "$C" stat -c %G /etc/corosync/qnetd/nssdb/cert9.db)" = coroqnetd
check "fresh: the group reads it, others do not" test "$(inroot "$C" stat -c %a /etc/corosync/qnetd/nssdb/key4.db)" = 640
check "fresh: the server certificate is there" bash -c "chroot '$C' certutil -L -d /etc/corosync/qnetd/nssdb -n 'QNetd Cert' >/dev/null 2>&1"
check "fresh: corosync-qdevice is not enabled" test ! -e "$C/etc/systemd/system/multi-user.target.wants/corosync-qdevice.service"
check "fresh: corosync-qnetd is enabled" test -e "$C/etc/systemd/system/multi-user.target.wants/corosync-qnetd.service"

echo "deb-upgrade: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
