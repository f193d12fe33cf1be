#!/usr/bin/env bash
# Test install.systemd_snippets: the installed sysusers.d and tmpfiles.d files create the coroqnetd user and the run-time directories as on Debian.
#
# Usage: systemd/snippets.sh <source dir> <build dir>
#
# Runs systemd-sysusers and systemd-tmpfiles with --root= on an empty directory, so the host is
# never touched. The tmpfiles part chowns, so it needs root; without root it is skipped (exit 77
# after the sysusers part passed).
set -u

src=${1:?usage: snippets.sh <source dir> <build dir>}
build=${2:?usage: snippets.sh <source dir> <build dir>}

for tool in systemd-sysusers systemd-tmpfiles; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found: install the Debian package systemd" >&2; exit 1; }
done

work=$(mktemp -d /tmp/qd-systemd-snippets.XXXXXX)
trap 'rm -rf "$work"' EXIT
destdir=$work/destdir
. "$src/tests/install/stage.sh"
qd_stage "$build" "$destdir" || exit 1


sysusers=$destdir/usr/lib/sysusers.d/corosync-qnetd.conf
tmpfiles_qnetd=$destdir/usr/lib/tmpfiles.d/corosync-qnetd.conf
tmpfiles_qdevice=$destdir/usr/lib/tmpfiles.d/corosync-qdevice.conf
for f in "$sysusers" "$tmpfiles_qnetd" "$tmpfiles_qdevice"; do
    [ -f "$f" ] || { echo "FAIL: ${f#"$destdir"} was not installed" >&2; exit 1; }
done

# As Debian's postinst makes it: system user and group coroqnetd, home /etc/corosync/qnetd, no login.
root=$work/root
mkdir -p "$root/etc"
out=$(systemd-sysusers --root="$root" "$sysusers" 2>&1) || fail "systemd-sysusers failed:"$'\n'"$out"
pw=$(grep '^coroqnetd:' "$root/etc/passwd" 2>/dev/null)
gr=$(grep '^coroqnetd:' "$root/etc/group" 2>/dev/null)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ -n "$pw" ] || fail "no coroqnetd user in the sysusers result"
[ -n "$gr" ] || fail "no coroqnetd group in the sysusers result"
[ "$home" = /etc/corosync/qnetd ] || fail "coroqnetd home is '$home', want /etc/corosync/qnetd"
case $shell in */nologin) ;; *) fail "coroqnetd shell is '$shell', want a nologin shell" ;; esac
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || fail "coroqnetd uid '$uid' is not a system uid"
[ "$(cut -d: -f3 <<<"$gr")" = "$gid" ] || fail "coroqnetd primary group is not the coroqnetd group"
# Running it again must leave the existing user alone (an existing Debian user is never changed).
before=$(cat "$root/etc/passwd" "$root/etc/group")
systemd-sysusers --root="$root" "$sysusers" >/dev/null 2>&1 || fail "second systemd-sysusers run failed"
[ "$before" = "$(cat "$root/etc/passwd" "$root/etc/group")" ] || fail "second systemd-sysusers run changed passwd/group"

if [ "$(id -u)" -ne 0 ]; then
    echo "systemd_snippets: sysusers part passed; tmpfiles part needs root (chown), skipped"
    exit 77
fi

# Same as the units' RuntimeDirectory=: /run/corosync-qnetd 0770 coroqnetd, /run/corosync-qdevice 0770 root.
out=$(systemd-tmpfiles --root="$root" --create "$tmpfiles_qnetd" "$tmpfiles_qdevice" 2>&1) ||
    fail "systemd-tmpfiles failed:"$'\n'"$out"
check_dir() {
    local path=$1 want=$2 got
    got=$(stat -c '%a %u:%g' "$root$path" 2>/dev/null) || { fail "$path was not created"; return; }
    [ "$got" = "$want" ] || fail "$path is '$got', want '$want'"
}
check_dir /run/corosync-qnetd "770 $uid:$gid"
check_dir /run/corosync-qdevice "770 0:0"

if [ "$failures" -ne 0 ]; then
    echo "systemd_snippets: $failures problem(s)" >&2
    exit 1
fi
echo "systemd_snippets: coroqnetd ($uid:$gid, $home, $shell) and both run-time directories as expected"
