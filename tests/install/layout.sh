#!/usr/bin/env bash
# Test install.layout: "cmake --install --prefix /usr" puts exactly the files of expected-layout.txt, with their modes, and each is what it claims to be.
#
# Usage: tests/install/layout.sh <source dir> <build dir>
#
# The file list is that of Debian bookworm's packages. A missing file (for example a program
# not built yet), an extra file or a wrong mode fails the test and is named in the output.
set -u

src=${1:?usage: layout.sh <source dir> <build dir>}
build=${2:?usage: layout.sh <source dir> <build dir>}
expected_file=$src/tests/install/expected-layout.txt

work=$(mktemp -d /tmp/qd-install-layout.XXXXXX)
trap 'rm -rf "$work"' EXIT
d=$work/root
. "$src/tests/install/stage.sh"
qd_stage "$build" "$d" || exit 1


# --- 1. the file list with modes ---------------------------------------------------------------
grep -v -e '^#' -e '^[[:space:]]*$' "$expected_file" | LC_ALL=C sort -k2 > "$work/expected"
(cd "$d" && find . -mindepth 1 -printf '%M /%P\n') | LC_ALL=C sort -k2 > "$work/actual"

# Compare by path first so each problem is reported as missing, extra or wrong mode.
LC_ALL=C join -1 2 -2 2 -a 1 -a 2 -e MISSING -o 0,1.1,2.1 "$work/expected" "$work/actual" > "$work/joined"
while read -r path want got; do
    if [ "$got" = MISSING ]; then
        fail "missing: $path (expected $want)"
    elif [ "$want" = MISSING ]; then
        fail "extra: $path ($got) is installed but not in tests/install/expected-layout.txt"
    elif [ "$want" != "$got" ]; then
        fail "wrong mode: $path is $got, expected $want"
    fi
done < "$work/joined"

# --- 2. each file is what Debian ships at that path -----------------------------------------------
is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
for prog in usr/bin/corosync-qnetd usr/bin/corosync-qnetd-tool usr/sbin/corosync-qdevice usr/sbin/corosync-qdevice-tool; do
    [ -f "$d/$prog" ] || continue
    is_elf "$d/$prog" || fail "/$prog is not an ELF executable"
done
for script in usr/bin/corosync-qnetd-certutil usr/sbin/corosync-qdevice-net-certutil; do
    [ -f "$d/$script" ] || continue
    [ "$(head -1 "$d/$script")" = '#!/bin/bash' ] || fail "/$script does not start with #!/bin/bash (as in Debian's packages)"
    bash -n "$d/$script" || fail "/$script has a bash syntax error"
done
for page in "$d"/usr/share/man/man8/*.8.gz; do
    [ -f "$page" ] || continue
    name=$(basename "$page" .8.gz)
    gzip -t "$page" 2>/dev/null || { fail "${page#"$d"} is not a valid gzip file"; continue; }
    gzip -dc "$page" | grep -q "^\.TH ${name^^}" 2>/dev/null ||
        gzip -dc "$page" | grep -q "^\.TH $(printf '%s' "${name^^}" | sed 's/-/\\\\-/g') " ||
        fail "${page#"$d"} is not the man page of $name"
done
for unit in corosync-qnetd corosync-qdevice; do
    f=$d/lib/systemd/system/$unit.service
    [ -f "$f" ] || continue
    # The program the unit starts must be the one installed with it.
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
    [ -x "$d$exe" ] || fail "/lib/systemd/system/$unit.service starts $exe, which is not installed"
    grep -qx "EnvironmentFile=-/etc/default/$unit" "$f" || fail "$unit.service does not read /etc/default/$unit"
done
for unit in corosync-qnetd corosync-qdevice; do
    f=$d/etc/init.d/$unit
    [ -f "$f" ] || continue
    sh -n "$f" || fail "/etc/init.d/$unit has a shell syntax error"
    exe=$(sed -n 's/^DAEMON=//p' "$f")
    [ -x "$d$exe" ] || fail "/etc/init.d/$unit starts $exe, which is not installed"
    grep -q "^# Provides: *$unit\$" "$f" || fail "/etc/init.d/$unit has no LSB 'Provides: $unit' header"
done
for unit in corosync-qnetd corosync-qdevice; do
    f=$d/etc/default/$unit
    [ -f "$f" ] || continue
    var=$(echo "${unit#corosync-}" | tr 'a-z' 'A-Z')
    name=COROSYNC_${var}_OPTIONS
    (set -e; . "$f"; [ -n "${!name+set}" ]) 2>/dev/null ||
        fail "/etc/default/$unit does not define COROSYNC_${var}_OPTIONS as a shell variable"
done
pc=$d/usr/share/pkgconfig/corosync-qdevice.pc
if [ -f "$pc" ]; then
    if command -v pkg-config >/dev/null; then
        confdir=$(PKG_CONFIG_PATH=$d/usr/share/pkgconfig PKG_CONFIG_LIBDIR=/nonexistent pkg-config --variable=confdir corosync-qdevice 2>&1)
        [ "$confdir" = /etc/corosync ] || fail "corosync-qdevice.pc: confdir is '$confdir', expected /etc/corosync (as in Debian's package)"
    fi
    grep -qx 'prefix=/usr' "$pc" || fail "corosync-qdevice.pc: prefix is not /usr"
fi

if [ "$failures" -ne 0 ]; then
    echo "layout: $failures problem(s); installed tree:" >&2
    sed 's/^/    /' "$work/actual" >&2
    exit 1
fi
echo "layout: $(wc -l < "$work/expected") entries installed exactly as tests/install/expected-layout.txt lists them"
