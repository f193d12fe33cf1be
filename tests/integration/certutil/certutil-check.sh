#!/usr/bin/env bash
# Checks our two certificate utilities against doc/tls.md §1 and against the upstream scripts, in private file views.
# Usage: certutil-check.sh BUILD_DIR     Exit: 0 pass, 1 fail, 77 skip (not root, NSS tools or our scripts missing).
#
# Every "host" (arbiter, nodes, admin) is a directory under a private work
# directory; a command runs on a host inside a fresh mount namespace
# (unshare -m) where the host's etc/ is bind-mounted over /etc/corosync and
# its tmp/ over /tmp, so the upstream scripts' hard-coded paths work and the
# machine's real /etc/corosync and /tmp are never written.
set -u
umask 022
# The overrides would send every step of the namespace checks to other directories.
unset QNETD_CERTUTIL_DB_DIR QDEVICE_CERTUTIL_DB_DIR

build=${1:?usage: certutil-check.sh BUILD_DIR}
our_qnetd=$build/qnetd/corosync-qnetd-certutil
our_qdevice=$build/qdevice/corosync-qdevice-net-certutil

skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (mount namespaces, root-owned files)"
for t in certutil pk12util unshare mount; do
    command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (NSS tools: libnss3-tools; util-linux)"
done
for p in "$our_qnetd" "$our_qdevice"; do
    [ -x "$p" ] || skip "$p is not built"
done

# Upstream scripts, wherever the Debian packages put them (interoperability checks need them).
find_upstream() {
    local pkg=$1 name=$2 p
    p=$(dpkg -L "$pkg" 2>/dev/null | grep -E "/(s?bin)/$name\$" | head -n 1)
    [ -n "$p" ] && [ -x "$p" ] && echo "$p"
}
up_qnetd=$(find_upstream corosync-qnetd corosync-qnetd-certutil)
up_qdevice=$(find_upstream corosync-qdevice corosync-qdevice-net-certutil)
have_upstream=0
if [ -n "$up_qnetd" ] && [ -n "$up_qdevice" ]; then
    have_upstream=1
else
    echo "NOTE: upstream certutil scripts not installed; interoperability checks are skipped"
fi

work=$(mktemp -d /var/tmp/qd-certutil.XXXXXX) || exit 1
cleanup() {
    if [ "${QD_KEEP:-0}" = 1 ]; then
        echo "work directory kept: $work"
    else
        rm -rf --one-file-system "$work"
    fi
}
trap cleanup EXIT

# Our scripts are copied next to the work tree so that every host view sees them under the same path.
mkdir -p "$work/bin" "$work/rbin-ours" "$work/rbin-up" "$work/fake"
install -m 0755 "$our_qnetd" "$work/bin/corosync-qnetd-certutil"
install -m 0755 "$our_qdevice" "$work/bin/corosync-qdevice-net-certutil"
ln -s "$work/bin/corosync-qnetd-certutil" "$work/rbin-ours/corosync-qnetd-certutil"
[ "$have_upstream" = 1 ] && ln -s "$up_qnetd" "$work/rbin-up/corosync-qnetd-certutil"
OURS_N=$work/bin/corosync-qnetd-certutil
OURS_Q=$work/bin/corosync-qdevice-net-certutil

failures=0
checks=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
ok() {
    checks=$((checks + 1))
}
check() { # DESCRIPTION COMMAND...: one assertion
    local what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}

QDB=/etc/corosync/qnetd/nssdb
NDB=/etc/corosync/qdevice/net/nssdb

# host_new DIR [qnetd]: a fresh host tree; "qnetd" adds /etc/corosync/qnetd as the package ships it.
host_new() {
    rm -rf "$1"
    mkdir -p "$1/etc" "$1/tmp" || return 1
    chmod 1777 "$1/tmp"
    if [ "${2:-}" = qnetd ]; then
        install -d -m 0755 "$1/etc/qnetd"
    fi
}

# host_run DIR CMD...: runs CMD with DIR's private view of /etc/corosync and /tmp.
host_run() {
    local dir=$1
    shift
    unshare -m --propagation private sh -c '
        mount --bind "$1/etc" /etc/corosync || exit 125
        mount --bind "$1/tmp" /tmp || exit 125
        shift
        cd / && exec "$@"' sh "$dir" "$@"
}

# run_step DIR OUTPREFIX CMD...: runs on a host, stdout/stderr/status to OUTPREFIX.{out,err,rc}.
run_step() {
    local dir=$1 pre=$2 rc
    shift 2
    host_run "$dir" "$@" </dev/null >"$pre.out" 2>"$pre.err"
    rc=$?
    echo "$rc" >"$pre.rc"
    return "$rc"
}

# The text of a step with the invoked program path replaced by PROG and NSS's own stderr chatter dropped.
norm() { # FILE PROGPATH
    sed -e "s|$2|PROG|g" "$1"
}

# Name, mode and owner of every file below a directory (sizes and contents differ between key pairs).
listing() {
    (cd "$1" && find . -printf '%p %m %u:%g\n' | sort)
}

mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %u:%g "$1"; }

# cert_dump DBDIR NICK: certutil's human-readable dump of one certificate.
cert_dump() {
    certutil -L -d "$1" -n "$2" </dev/null 2>/dev/null
}

# trust_of DBDIR NICK: the trust column of certutil -L.
trust_of() {
    certutil -L -d "$1" </dev/null 2>/dev/null | awk -v n="$2" '
        { t = $NF; line = $0; sub(/[ \t]+[^ \t]+[ \t]*$/, "", line) }
        line == n { print t }'
}

# The number of modulus bits of the dumped certificate's RSA key (a leading 00 byte is only the sign).
rsa_bits() {
    awk '/Modulus:/ { on = 1; next }
         on && /^[ \t]+[0-9a-f][0-9a-f](:[0-9a-f][0-9a-f])*:?[ \t]*$/ {
             s = $0; gsub(/[ \t]/, "", s); k = split(s, a, ":")
             for (i = 1; i <= k; i++) if (a[i] != "") { if (cnt == 0) first = a[i]; cnt++ }
             next }
         on { exit }
         END { if (first == "00") cnt--; print cnt * 8 }'
}

# check_cert NAME DUMPFILE SUBJECT ISSUER SERIAL: facts of doc/tls.md §1.1 for one certificate dump.
check_cert() {
    local name=$1 f=$2 subj=$3 iss=$4 serial=$5 nb na y1 y2 bits
    check "$name: subject $subj" grep -qF "Subject: \"$subj\"" "$f"
    check "$name: issuer $iss" grep -qF "Issuer: \"$iss\"" "$f"
    check "$name: serial $serial" grep -qE "Serial Number: $serial \\(" "$f"
    check "$name: SHA-256 with RSA signature" grep -q "Signature Algorithm: PKCS #1 SHA-256 With RSA Encryption" "$f"
    check "$name: RSA key" grep -q "Public Key Algorithm: PKCS #1 RSA Encryption" "$f"
    bits=$(rsa_bits <"$f")
    check "$name: RSA 2048 bits (got $bits)" test "$bits" = 2048
    nb=$(sed -n 's/^ *Not Before: //p' "$f" | head -n 1)
    na=$(sed -n 's/^ *Not After *: //p' "$f" | head -n 1)
    y1=${nb##* }
    y2=${na##* }
    # 1200 months: same day and time, 100 years later.
    check "$name: valid 1200 months ($nb .. $na)" test "$((y2 - y1))" = 100 -a "${nb:4:15}" = "${na:4:15}"
}

# ---------------------------------------------------------------------------
# 1. Option handling and error paths, ours against upstream where upstream is defined
# ---------------------------------------------------------------------------
echo "== options and error paths"
E=$work/err
mkdir -p "$E"
echo "not a certificate" >"$E/garbage"

# compare_err ID TOOL ARGS...: same status, same stdout first line and stderr first line as upstream.
compare_err() {
    local id=$1 tool=$2 ours up a b
    shift 2
    if [ "$tool" = qnetd ]; then ours=$OURS_N up=$up_qnetd; else ours=$OURS_Q up=$up_qdevice; fi
    host_new "$E/o-$id" qnetd
    cp "$E/garbage" "$E/o-$id/tmp/garbage"
    run_step "$E/o-$id" "$E/o-$id" "$ours" "$@"
    if [ "$have_upstream" = 1 ]; then
        host_new "$E/u-$id" qnetd
        cp "$E/garbage" "$E/u-$id/tmp/garbage"
        run_step "$E/u-$id" "$E/u-$id" "$up" "$@"
        check "$tool $*: status $(cat "$E/o-$id.rc") = upstream $(cat "$E/u-$id.rc")" \
            test "$(cat "$E/o-$id.rc")" = "$(cat "$E/u-$id.rc")"
        a=$(norm "$E/o-$id.out" "$ours" | head -n 1)
        b=$(norm "$E/u-$id.out" "$up" | head -n 1)
        # Upstream before 3.0.4 has no -S/-C and does not advertise them.
        case $b in
        *ssh_command*) ;;
        *) a=${a/ \[-S ssh_command\] \[-C scp_command\]/} ;;
        esac
        check "$tool $*: stdout '$a' = upstream '$b'" test "$a" = "$b"
        a=$(norm "$E/o-$id.err" "$ours" | head -n 1)
        b=$(norm "$E/u-$id.err" "$up" | head -n 1)
        check "$tool $*: stderr '$a' = upstream '$b'" test "$a" = "$b"
    fi
}
# expect ID STATUS STDERR_FIRST_LINE: upstream's outcome, checked on our run of compare_err ID.
expect() {
    local id=$1 rc=$2 msg=$3 got
    check "$id: status $rc (got $(cat "$E/o-$id.rc"))" test "$(cat "$E/o-$id.rc")" = "$rc"
    got=$(norm "$E/o-$id.err" "$OURS_N" | sed "s|$OURS_Q|PROG|g" | head -n 1)
    check "$id: stderr '$msg' (got '$got')" test "$got" = "$msg"
}
expect_usage() {
    local id=$1 first=$2 got
    check "$id: status 0" test "$(cat "$E/o-$id.rc")" = 0
    got=$(norm "$E/o-$id.out" "$OURS_N" | sed "s|$OURS_Q|PROG|g" | head -n 1)
    check "$id: usage '$first' (got '$got')" test "$got" = "$first"
    check "$id: usage has a blank second line" test -z "$(sed -n 2p "$E/o-$id.out")"
    check "$id: nothing on stderr" test ! -s "$E/o-$id.err"
}

QN_USAGE="PROG: [-i|-s] [-c certificate] [-G] [-n cluster_name]"
QD_USAGE="PROG: [-i|-m|-M|-r|-s|-Q] [-c certificate] [-S ssh_command] [-C scp_command] [-n cluster_name]"

compare_err n-none qnetd
expect_usage n-none "$QN_USAGE"
compare_err n-h qnetd -h
expect_usage n-h "$QN_USAGE"
for o in -i -s -c -G -n; do
    check "qnetd usage describes $o" grep -qE "^ +$o( |$)" "$E/o-n-h.out"
done
compare_err n-x qnetd -x
expect n-x 1 "Invalid option: -x"
compare_err n-c qnetd -c
expect n-c 1 "Option -c requires an argument."
compare_err n-n qnetd -s -n
expect n-n 1 "Option -n requires an argument."
compare_err n-s qnetd -s
expect n-s 2 "Can't open certificate file "
check "qnetd -s without -c says to use -c" grep -q -- "-c <file>" "$E/o-n-s.err"
compare_err n-s-nofile qnetd -s -c /tmp/nonexistent -n x
expect n-s-nofile 2 "Can't open certificate file /tmp/nonexistent"
compare_err n-s-noname qnetd -s -c /tmp/garbage
expect n-s-noname 2 "You have to specify cluster name"
compare_err n-s-nodb qnetd -s -c /tmp/garbage -n x
expect n-s-nodb 1 "Certificate database doesn't exists. Use PROG -i to create it"
compare_err n-is-last qnetd -i -s -c /tmp/garbage -n x
expect n-is-last 1 "Certificate database doesn't exists. Use PROG -i to create it"

compare_err d-none qdevice
expect_usage d-none "$QD_USAGE"
compare_err d-h qdevice -h
expect_usage d-h "$QD_USAGE"
for o in -i -r -M -m -Q -c -n -S -C; do
    check "qdevice usage describes $o" grep -qE "^ +$o( |$)" "$E/o-d-h.out"
done
compare_err d-s qdevice -s
expect d-s 1 "Invalid option: -s"
compare_err d-x qdevice -x
expect d-x 1 "Invalid option: -x"
compare_err d-c qdevice -c
expect d-c 1 "Option -c requires an argument."
compare_err d-i qdevice -i
expect d-i 2 "Can't open certificate file "
compare_err d-i-nofile qdevice -i -c /tmp/nonexistent
expect d-i-nofile 2 "Can't open certificate file /tmp/nonexistent"
compare_err d-r qdevice -r
expect d-r 2 "You have to specify cluster name"
compare_err d-r-nodb qdevice -r -n x
expect d-r-nodb 1 "Certificate database doesn't exists. Use PROG -i to create it"
compare_err d-M qdevice -M
expect d-M 2 "Can't open certificate file "
compare_err d-M-nofile qdevice -M -c /tmp/nonexistent
expect d-M-nofile 2 "Can't open certificate file /tmp/nonexistent"
compare_err d-M-nodb qdevice -M -c /tmp/garbage
expect d-M-nodb 1 "Certificate database doesn't exists. Use PROG -i to create it"
compare_err d-m-nofile qdevice -m -c /tmp/nonexistent
expect d-m-nofile 2 "Can't open certificate file /tmp/nonexistent"
compare_err d-m-nodb qdevice -m -c /tmp/garbage
expect d-m-nodb 1 "Certificate database doesn't exists. Use PROG -i to create it"
compare_err d-Q qdevice -Q
expect d-Q 2 "You have to specify cluster name"
compare_err d-Q-nohost qdevice -Q -n x
expect d-Q-nohost 2 "No QNetd server address provided."
compare_err d-Q-nonode qdevice -Q -n x qnetdhost
expect d-Q-nonode 2 "No nodes provided."
compare_err d-ir-last qdevice -i -r -n x
expect d-ir-last 1 "Certificate database doesn't exists. Use PROG -i to create it"
# -S/-C are 3.0.4 options; the installed upstream may predate them.
host_new "$E/o-d-S"
run_step "$E/o-d-S" "$E/o-d-S" "$OURS_Q" -S
expect d-S 1 "Option -S requires an argument."
host_new "$E/o-d-C"
run_step "$E/o-d-C" "$E/o-d-C" "$OURS_Q" -Q -C
expect d-C 1 "Option -C requires an argument."

# ---------------------------------------------------------------------------
# 2. The pvecm qdevice setup order (doc/tls.md §1.3), every mix of ours and upstream
# ---------------------------------------------------------------------------
CN=testcluster

impl_n() { if [ "$1" = ours ]; then echo "$OURS_N"; else echo "$up_qnetd"; fi; }
impl_q() { if [ "$1" = ours ]; then echo "$OURS_Q"; else echo "$up_qdevice"; fi; }

# flow_step COMBODIR STEP HOST CMD...: one must-succeed step of the setup.
flow_step() {
    local c=$1 step=$2 h=$3
    shift 3
    if ! run_step "$c/$h" "$c/log/$step.$h" "$@"; then
        fail "$(basename "$c") step $step on $h: $* exited $(cat "$c/log/$step.$h.rc"): $(head -c 600 "$c/log/$step.$h.err")"
        return 1
    fi
    ok
}

# flow COMBO_NAME QNETD_IMPL N1_IMPL N2_IMPL: steps 3-13 of pvecm qdevice setup with one node
# doing -r/-M (n1) and a second node only importing the PKCS#12 file (n2).
flow() {
    local name=$1 c=$work/flow/$1 qn qd1 qd2 h
    qn=$(impl_n "$2")
    qd1=$(impl_q "$3")
    qd2=$(impl_q "$4")
    mkdir -p "$c/log"
    host_new "$c/arb" qnetd
    host_new "$c/n1"
    host_new "$c/n2"
    flow_step "$c" 03 arb "$qn" -i || return 1
    cp "$c/arb/etc/qnetd/nssdb/qnetd-cacert.crt" "$c/n1/tmp/" && cp "$c/arb/etc/qnetd/nssdb/qnetd-cacert.crt" "$c/n2/tmp/"
    flow_step "$c" 05 n1 "$qd1" -i -c /tmp/qnetd-cacert.crt || return 1
    flow_step "$c" 05 n2 "$qd2" -i -c /tmp/qnetd-cacert.crt || return 1
    rm -f "$c/n1/tmp/qnetd-cacert.crt" "$c/n2/tmp/qnetd-cacert.crt"
    flow_step "$c" 07 n1 "$qd1" -r -n "$CN" || return 1
    cp "$c/n1/etc/qdevice/net/nssdb/qdevice-net-node.crq" "$c/arb/tmp/"
    flow_step "$c" 09 arb "$qn" -s -c /tmp/qdevice-net-node.crq -n "$CN" || return 1
    cp "$c/arb/etc/qnetd/nssdb/cluster-$CN.crt" "$c/n1/etc/qdevice/net/nssdb/"
    flow_step "$c" 11 n1 "$qd1" -M -c "$NDB/cluster-$CN.crt" || return 1
    cp "$c/n1/etc/qdevice/net/nssdb/qdevice-net-node.p12" "$c/n1/tmp/"
    cp "$c/n1/etc/qdevice/net/nssdb/qdevice-net-node.p12" "$c/n2/tmp/"
    # pvecm imports the p12 on every member, the node that exported it included.
    flow_step "$c" 13 n1 "$qd1" -m -c /tmp/qdevice-net-node.p12 || return 1
    flow_step "$c" 13 n2 "$qd2" -m -c /tmp/qdevice-net-node.p12 || return 1
    for h in n1 n2; do rm -f "$c/$h/tmp/qdevice-net-node.p12"; done
    return 0
}

# check_flow COMBO: files, modes, certificates and trust after the setup (doc/tls.md §1.1, §1.2).
check_flow() {
    local n=$1 c=$work/flow/$1 q n1 n2 f h ca
    q=$c/arb/etc/qnetd/nssdb
    n1=$c/n1/etc/qdevice/net/nssdb
    n2=$c/n2/etc/qdevice/net/nssdb
    check "$n: qnetd DB dir 0770" test "$(mode_of "$q")" = 770
    for f in cert9.db key4.db pkcs11.txt pwdfile.txt noise.txt serial.txt; do
        check "$n: qnetd $f mode 0660" test "$(mode_of "$q/$f")" = 660
    done
    check "$n: qnetd pwdfile.txt empty" test ! -s "$q/pwdfile.txt"
    check "$n: qnetd noise.txt is 40 hex digits" grep -qxE '[0-9a-f]{40}' "$q/noise.txt"
    check "$n: qnetd noise.txt is one line" test "$(wc -c <"$q/noise.txt")" = 41
    check "$n: serial.txt is 103 after CA, server and one cluster" test "$(cat "$q/serial.txt")" = 103
    check "$n: qnetd-cacert.crt holds the dump" grep -qF 'Subject: "CN=QNet CA"' "$q/qnetd-cacert.crt"
    check "$n: qnetd-cacert.crt holds the PEM block" grep -qx -- '-----BEGIN CERTIFICATE-----' "$q/qnetd-cacert.crt"
    check "$n: cluster-$CN.crt is DER" test "$(head -c 1 "$q/cluster-$CN.crt" | od -An -tx1 | tr -d ' ')" = 30
    check "$n: cluster-$CN.crt has no PEM armour" bash -c "! grep -qa BEGIN '$q/cluster-$CN.crt'"
    check "$n: qnetd trust QNet CA CTu,u,u" test "$(trust_of "$q" "QNet CA")" = "CTu,u,u"
    check "$n: qnetd trust QNetd Cert u,u,u" test "$(trust_of "$q" "QNetd Cert")" = "u,u,u"
    check "$n: qnetd holds exactly two certificates" test "$(certutil -L -d "$q" </dev/null | tail -n +5 | grep -c .)" = 2
    cert_dump "$q" "QNet CA" >"$c/ca.dump"
    cert_dump "$q" "QNetd Cert" >"$c/server.dump"
    check_cert "$n: CA" "$c/ca.dump" "CN=QNet CA" "CN=QNet CA" 101
    check "$n: CA basic constraints critical" grep -A1 -q "Name: Certificate Basic Constraints" "$c/ca.dump"
    check "$n: CA basic constraints is a CA, path length 0" grep -q "Is a CA with a maximum path length of 0" "$c/ca.dump"
    check "$n: CA basic constraints marked critical" \
        bash -c "grep -A1 'Name: Certificate Basic Constraints' '$c/ca.dump' | grep -q 'Critical: True'"
    check_cert "$n: server" "$c/server.dump" "CN=Qnetd Server" "CN=QNet CA" 102
    check "$n: server certificate has no extensions" bash -c "! grep -q 'Signed Extensions' '$c/server.dump'"
    check "$n: server certificate verifies as SSL server" \
        bash -c "certutil -V -u V -d '$q' -n 'QNetd Cert' </dev/null | grep -q 'certificate is valid'"
    ca=$(certutil -L -d "$q" -n "QNet CA" -a </dev/null)
    for h in n1 n2; do
        f=$c/$h/etc/qdevice/net/nssdb
        check "$n: $h DB dir 0770" test "$(mode_of "$f")" = 770
        check "$n: $h DB dir root:root" test "$(owner_of "$f")" = 0:0
        check "$n: $h parent dirs 0755" test "$(mode_of "$c/$h/etc/qdevice")$(mode_of "$c/$h/etc/qdevice/net")" = 755755
        for g in cert9.db key4.db pkcs11.txt pwdfile.txt noise.txt; do
            check "$n: $h $g mode 0660 root:root" test "$(mode_of "$f/$g") $(owner_of "$f/$g")" = "660 0:0"
        done
        check "$n: $h noise.txt is 40 hex digits" grep -qxE '[0-9a-f]{40}' "$f/noise.txt"
        check "$n: $h pwdfile.txt empty" test ! -s "$f/pwdfile.txt"
        check "$n: $h trust QNet CA CT,c,c" test "$(trust_of "$f" "QNet CA")" = "CT,c,c"
        check "$n: $h trust Cluster Cert u,u,u" test "$(trust_of "$f" "Cluster Cert")" = "u,u,u"
        check "$n: $h holds the qnetd CA" test "$(certutil -L -d "$f" -n "QNet CA" -a </dev/null)" = "$ca"
        cert_dump "$f" "Cluster Cert" >"$c/$h.cluster.dump"
        check_cert "$n: $h cluster certificate" "$c/$h.cluster.dump" "CN=$CN" "CN=QNet CA" 103
        check "$n: $h cluster certificate has no extensions" bash -c "! grep -q 'Signed Extensions' '$c/$h.cluster.dump'"
        check "$n: $h cluster certificate verifies as SSL client" \
            bash -c "certutil -V -u C -d '$f' -n 'Cluster Cert' </dev/null | grep -q 'certificate is valid'"
        certutil -K -d "$f" -f "$f/pwdfile.txt" </dev/null 2>/dev/null | grep -E 'Cluster Cert$' >"$c/$h.keys"
        check "$n: $h has one RSA key named Cluster Cert" test "$(grep -c '> rsa ' "$c/$h.keys")" = 1
    done
    check "$n: n2 has n1's key" test "$(awk '{print $4}' "$c/n1.keys")" = "$(awk '{print $4}' "$c/n2.keys")"
    check "$n: request is DER" test "$(head -c 1 "$n1/qdevice-net-node.crq" | od -An -tx1 | tr -d ' ')" = 30
    check "$n: request mode 0640" test "$(mode_of "$n1/qdevice-net-node.crq")" = 640
    if command -v openssl >/dev/null 2>&1; then
        check "$n: request subject CN=$CN, RSA 2048" bash -c "openssl req -inform der -in '$n1/qdevice-net-node.crq' -noout -text |
            grep -q 'Subject: CN *= *$CN' && openssl req -inform der -in '$n1/qdevice-net-node.crq' -noout -text | grep -q '(2048 bit)'"
    fi
    check "$n: p12 mode 0600" test "$(mode_of "$n1/qdevice-net-node.p12")" = 600
    check "$n: p12 friendly name Cluster Cert, empty password" \
        bash -c "pk12util -l '$n1/qdevice-net-node.p12' -W '' </dev/null 2>/dev/null | grep -q 'Friendly Name: Cluster Cert'"
    check "$n: p12 only on n1" test ! -e "$n2/qdevice-net-node.p12"
    check "$n: cluster-$CN.crt on n1" test -f "$n1/cluster-$CN.crt"
}

echo "== pvecm qdevice setup order"
combos="ours:ours:ours"
if [ "$have_upstream" = 1 ]; then
    # Every pairing once: upstream's CA signs our request and our p12 goes to an upstream node,
    # and the reverse; the control first, as the reference for file listings and messages.
    combos="up:up:up ours:ours:ours up:ours:up ours:up:ours"
fi
for combo in $combos; do
    IFS=: read -r a b d <<<"$combo"
    name=qnetd-$a.n1-$b.n2-$d
    echo "-- $name"
    if flow "$name" "$a" "$b" "$d"; then
        check_flow "$name"
        if [ "$combo" != up:up:up ] && [ "$have_upstream" = 1 ] && [ -d "$work/flow/qnetd-up.n1-up.n2-up/arb" ]; then
            ctl=$work/flow/qnetd-up.n1-up.n2-up
            for h in arb n1 n2; do
                check "$name: $h files, modes and owners as upstream's" \
                    diff -u "$ctl/$h.listing" <(listing "$work/flow/$name/$h/etc") 
            done
            # Same words on stdout for every step the same implementation ran.
            for f in "$work/flow/$name"/log/*.out; do
                b0=$(basename "$f")
                check "$name: stdout of step ${b0%.out} as upstream's" \
                    diff -u <(norm "$ctl/log/$b0" "$up_qnetd" | sed "s|$up_qdevice|PROG|g" | grep -v '^$') \
                    <(norm "$f" "$OURS_N" | sed "s|$OURS_Q|PROG|g" | grep -v '^$')
            done
        fi
        for h in arb n1 n2; do listing "$work/flow/$name/$h/etc" >"$work/flow/$name/$h.listing"; done
    fi
done

# ---------------------------------------------------------------------------
# 3. qnetd -G, ownership by reference, pre-existing directory (doc/tls.md §1.1; Debian's postinst runs -i -G)
# ---------------------------------------------------------------------------
echo "== qnetd modes and ownership"
# owner_case ID SETUP ARGS...: SETUP prepares the host tree (its etc/qnetd) before -i.
owner_case() {
    local id=$1 setup=$2 impl dir
    shift 2
    for impl in ours up; do
        [ "$impl" = up ] && [ "$have_upstream" = 0 ] && continue
        dir=$work/own/$impl-$id
        host_new "$dir" qnetd
        "$setup" "$dir/etc/qnetd"
        if ! run_step "$dir" "$dir" "$(impl_n "$impl")" "$@"; then
            fail "$id: $impl qnetd certutil $* failed: $(cat "$dir.err")"
            continue
        fi
        listing "$dir/etc" >"$dir.listing"
    done
}
setup_plain() { :; }
setup_ref_owner() { chown 4242:4243 "$1"; }
setup_pkg_dir() { install -d -m 0750 -g 4243 "$1/nssdb"; }
setup_noise() {
    install -d -m 0750 "$1/nssdb"
    echo 0123456789abcdef0123456789abcdef01234567 >"$1/nssdb/noise.txt"
}
mkdir -p "$work/own"
owner_case plain setup_plain -i
owner_case G setup_plain -i -G
owner_case ref setup_ref_owner -i
owner_case refG setup_ref_owner -G -i
owner_case pkgdir setup_pkg_dir -i -G
owner_case noise setup_noise -i
o=$work/own
check "-i: DB dir 0770" test "$(mode_of "$o/ours-plain/etc/qnetd/nssdb")" = 770
check "-i -G: DB dir 0750" test "$(mode_of "$o/ours-G/etc/qnetd/nssdb")" = 750
for f in cert9.db key4.db pkcs11.txt pwdfile.txt noise.txt serial.txt; do
    check "-i -G: $f 0640" test "$(mode_of "$o/ours-G/etc/qnetd/nssdb/$f")" = 640
    check "-i as root: $f owned like /etc/corosync/qnetd" test "$(owner_of "$o/ours-ref/etc/qnetd/nssdb/$f")" = 4242:4243
done
check "-i as root: DB dir owned like /etc/corosync/qnetd" test "$(owner_of "$o/ours-ref/etc/qnetd/nssdb")" = 4242:4243
check "-i as root: qnetd-cacert.crt owned like /etc/corosync/qnetd" \
    test "$(owner_of "$o/ours-ref/etc/qnetd/nssdb/qnetd-cacert.crt")" = 4242:4243
check "-i: an existing DB dir keeps its mode" test "$(mode_of "$o/ours-pkgdir/etc/qnetd/nssdb")" = 750
check "-i: an existing DB dir is not announced as created" bash -c "! grep -q '^Creating $QDB\$' '$o/ours-pkgdir.out'"
check "-i: a created DB dir is announced" grep -qx "Creating $QDB" "$o/ours-plain.out"
check "-i: an existing noise file is used" grep -qx "Using existing noise file $QDB/noise.txt" "$o/ours-noise.out"
check "-i: an existing noise file is kept" grep -qx 0123456789abcdef0123456789abcdef01234567 "$o/ours-noise/etc/qnetd/nssdb/noise.txt"
check "-i: prints the export path" grep -qx "QNetd CA certificate is exported as $QDB/qnetd-cacert.crt" "$o/ours-plain.out"
if [ "$have_upstream" = 1 ]; then
    for id in plain G ref refG pkgdir noise; do
        check "qnetd -i ($id): files, modes and owners as upstream's" diff -u "$o/up-$id.listing" "$o/ours-$id.listing"
    done
fi
# A second -i refuses and leaves the DB alone; -s with the created DB names the created file.
d=$o/ours-plain
sum_before=$(md5sum "$d/etc/qnetd/nssdb/cert9.db")
run_step "$d" "$d.again" "$OURS_N" -i
check "-i twice: status 1" test "$(cat "$d.again.rc")" = 1
check "-i twice: message" grep -qx "Certificate database ($QDB) already exists. Delete it to initialize new db" "$d.again.err"
check "-i twice: DB untouched" test "$(md5sum "$d/etc/qnetd/nssdb/cert9.db")" = "$sum_before"

# ---------------------------------------------------------------------------
# 4. Failures of NSS operations: clear message, non-zero status, nothing half-made
# ---------------------------------------------------------------------------
echo "== failure paths"
F=$work/fail
mkdir -p "$F"
host_new "$F/arb" qnetd
host_new "$F/n1"
host_new "$F/n2"
cp "$E/garbage" "$F/n1/tmp/garbage"
cp "$E/garbage" "$F/arb/tmp/garbage"
cp "$E/garbage" "$F/n2/tmp/garbage"
run_step "$F/n1" "$F/i-garbage" "$OURS_Q" -i -c /tmp/garbage
check "qdevice -i with a bad CA file: status 1" test "$(cat "$F/i-garbage.rc")" = 1
check "qdevice -i with a bad CA file: says what to use" grep -q "qnetd-cacert.crt" "$F/i-garbage.err"
check "qdevice -i with a bad CA file: no half-made DB left" test ! -e "$F/n1/etc/qdevice/net/nssdb/cert9.db"
run_step "$F/arb" "$F/arb-i" "$OURS_N" -i || fail "qnetd -i on a fresh host failed: $(cat "$F/arb-i.err")"
cp "$F/arb/etc/qnetd/nssdb/qnetd-cacert.crt" "$F/n1/tmp/" && cp "$F/arb/etc/qnetd/nssdb/qnetd-cacert.crt" "$F/n2/tmp/"
run_step "$F/n1" "$F/n1-i" "$OURS_Q" -i -c /tmp/qnetd-cacert.crt
check "qdevice -i after a failed -i succeeds" test "$(cat "$F/n1-i.rc")" = 0
run_step "$F/n1" "$F/n1-i2" "$OURS_Q" -i -c /tmp/qnetd-cacert.crt
check "qdevice -i twice: status 1" test "$(cat "$F/n1-i2.rc")" = 1
check "qdevice -i twice: message" grep -qx "Certificate database already exists. Delete it to continue" "$F/n1-i2.err"
run_step "$F/n2" "$F/n2-i" "$OURS_Q" -i -c /tmp/qnetd-cacert.crt || fail "qdevice -i on n2 failed"
run_step "$F/arb" "$F/s-garbage" "$OURS_N" -s -c /tmp/garbage -n bad
check "qnetd -s with a bad request: status 1" test "$(cat "$F/s-garbage.rc")" = 1
check "qnetd -s with a bad request: says what to use" grep -q "qdevice-net-node.crq" "$F/s-garbage.err"
check "qnetd -s with a bad request: no cluster-bad.crt left" test ! -e "$F/arb/etc/qnetd/nssdb/cluster-bad.crt"
run_step "$F/arb" "$F/s-slash" "$OURS_N" -s -c /tmp/garbage -n a/b
check "qnetd -s with a '/' in the name: status 2" test "$(cat "$F/s-slash.rc")" = 2
run_step "$F/n1" "$F/M-garbage" "$OURS_Q" -M -c /tmp/garbage
check "qdevice -M with a bad certificate: status 1" test "$(cat "$F/M-garbage.rc")" = 1
check "qdevice -M with a bad certificate: no p12 left" test ! -e "$F/n1/etc/qdevice/net/nssdb/qdevice-net-node.p12"
run_step "$F/n1" "$F/m-garbage" "$OURS_Q" -m -c /tmp/garbage
check "qdevice -m with a bad file: status 1" test "$(cat "$F/m-garbage.rc")" = 1
check "qdevice -m with a bad file: says what to use" grep -q "qdevice-net-node.p12" "$F/m-garbage.err"
# A certificate signed for n1's request imported on n2 (which has no matching key).
run_step "$F/n1" "$F/n1-r" "$OURS_Q" -r -n "$CN" || fail "qdevice -r on n1 failed"
cp "$F/n1/etc/qdevice/net/nssdb/qdevice-net-node.crq" "$F/arb/tmp/"
run_step "$F/arb" "$F/arb-s" "$OURS_N" -s -c /tmp/qdevice-net-node.crq -n "$CN" || fail "qnetd -s failed"
cp "$F/arb/etc/qnetd/nssdb/cluster-$CN.crt" "$F/n2/tmp/"
run_step "$F/n2" "$F/M-nokey" "$OURS_Q" -M -c "/tmp/cluster-$CN.crt"
check "qdevice -M without the request's key: status 1" test "$(cat "$F/M-nokey.rc")" = 1
check "qdevice -M without the request's key: says where to run it" grep -q -- "-r" "$F/M-nokey.err"
check "qdevice -M without the request's key: no p12 left" test ! -e "$F/n2/etc/qdevice/net/nssdb/qdevice-net-node.p12"
echo "junk" >"$F/arb/etc/qnetd/nssdb/serial.txt"
run_step "$F/arb" "$F/s-serial" "$OURS_N" -s -c /tmp/qdevice-net-node.crq -n "$CN"
check "qnetd -s with a corrupt serial.txt: status 1" test "$(cat "$F/s-serial.rc")" = 1
check "qnetd -s with a corrupt serial.txt: names the file" grep -q "serial.txt" "$F/s-serial.err"
# Without NSS certutil in PATH.
mkdir -p "$F/nopath"
for t in bash sh id dirname chmod chown mkdir rm rmdir cat ps date w sha1sum sed cut stat; do
    p=$(command -v "$t") && ln -sf "$p" "$F/nopath/$t"
done
host_new "$F/bare" qnetd
host_run "$F/bare" env PATH="$F/nopath" bash "$OURS_N" -i </dev/null >"$F/nocu.out" 2>"$F/nocu.err"
check "qnetd -i without certutil: status 1" test $? = 1
check "qnetd -i without certutil: names the package" grep -q "libnss3-tools" "$F/nocu.err"
host_run "$F/bare" env PATH="$F/nopath" bash "$OURS_Q" -i -c "$E/garbage" </dev/null >"$F/nocu2.out" 2>"$F/nocu2.err"
check "qdevice -i without certutil: status 1" test $? = 1
check "qdevice -i without certutil: names the package" grep -q "libnss3-tools" "$F/nocu2.err"

# ---------------------------------------------------------------------------
# 5. The database directory overrides (no namespace: plain directories)
# ---------------------------------------------------------------------------
echo "== environment overrides"
V=$work/env
mkdir -p "$V"
(
    export QNETD_CERTUTIL_DB_DIR=$V/q/nssdb QDEVICE_CERTUTIL_DB_DIR=$V/n/nssdb
    "$OURS_N" -i && "$OURS_Q" -i -c "$V/q/nssdb/qnetd-cacert.crt" && "$OURS_Q" -r -n "$CN" &&
        "$OURS_N" -s -c "$V/n/nssdb/qdevice-net-node.crq" -n "$CN" &&
        "$OURS_Q" -M -c "$V/q/nssdb/cluster-$CN.crt" && "$OURS_Q" -m -c "$V/n/nssdb/qdevice-net-node.p12"
) </dev/null >"$V/log" 2>&1
check "overrides: whole flow succeeds" test $? = 0
check "overrides: node DB has Cluster Cert" test "$(trust_of "$V/n/nssdb" "Cluster Cert")" = "u,u,u"
check "overrides: messages name the overridden paths" grep -qx "Certificate stored in $V/n/nssdb/qdevice-net-node.p12" "$V/log"

# A cluster name with characters special in a distinguished name stays one CN.
(
    export QNETD_CERTUTIL_DB_DIR=$V/q/nssdb QDEVICE_CERTUTIL_DB_DIR=$V/n2/nssdb
    "$OURS_Q" -i -c "$V/q/nssdb/qnetd-cacert.crt" && "$OURS_Q" -r -n 'odd,name=x' &&
        "$OURS_N" -s -c "$V/n2/nssdb/qdevice-net-node.crq" -n 'odd,name=x' &&
        "$OURS_Q" -M -c "$V/q/nssdb/cluster-odd,name=x.crt"
) </dev/null >"$V/log2" 2>&1
check "special cluster name: flow succeeds" test $? = 0
check "special cluster name: subject is one quoted CN" \
    bash -c "certutil -L -d '$V/n2/nssdb' -n 'Cluster Cert' </dev/null | grep -qF 'Subject: \"CN=\"odd,name=x\"\"'"

# ---------------------------------------------------------------------------
# 6. -Q quick start over stand-in ssh/scp that run commands in the hosts' views
# ---------------------------------------------------------------------------
echo "== quick start (-Q)"
QK=$work/quick
mkdir -p "$QK"
# Stand-in remote shell: [options] [user@]host command...  (runs the joined command in host's view)
cat >"$work/fake/ssh" <<'EOF'
#!/bin/bash
# Test stand-in for ssh: runs the command line in the named host's private view.
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    case $1 in -o | -l | -p) shift 2 ;; *) shift ;; esac
done
host=${1#*@}
shift
[ -d "$QD_FAKE_HOSTS/$host" ] || { echo "ssh: Could not resolve hostname $host" >&2; exit 255; }
exec unshare -m --propagation private sh -c '
    mount --bind "$1/etc" /etc/corosync || exit 255
    mount --bind "$1/tmp" /tmp || exit 255
    PATH="$2:$PATH"; export PATH
    cd / && exec bash -c "$3"' sh "$QD_FAKE_HOSTS/$host" "$QD_FAKE_RBIN" "$*"
EOF
# Stand-in remote copy: [options] SRC DST, each local or [user@]host:path.
cat >"$work/fake/scp" <<'EOF'
#!/bin/bash
# Test stand-in for scp: copies between the current view and hosts' private views.
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    case $1 in -o | -P) shift 2 ;; *) shift ;; esac
done
[ $# -eq 2 ] || { echo "scp: need SRC DST" >&2; exit 1; }
remote() { [[ $1 =~ ^([^/:@]+@)?([^/:]+):(.*)$ ]]; }
if remote "$1"; then
    h=${BASH_REMATCH[2]} p=${BASH_REMATCH[3]}
    [ -d "$QD_FAKE_HOSTS/$h" ] || { echo "scp: no host $h" >&2; exit 1; }
    read_src() { "$(dirname "$0")/ssh" "root@$h" "cat '$p'"; }
else
    s=$1
    read_src() { cat "$s"; }
fi
if remote "$2"; then
    h2=${BASH_REMATCH[2]} p2=${BASH_REMATCH[3]}
    read_src | "$(dirname "$0")/ssh" "root@$h2" "d='$p2'; [ -d \"\$d\" ] && d=\"\$d/$(basename "${1#*:}")\"; cat > \"\$d\""
else
    d=$2
    [ -d "$d" ] && d="$d/$(basename "${1#*:}")"
    read_src >"$d"
fi
st=("${PIPESTATUS[@]}")
for s in "${st[@]}"; do [ "$s" = 0 ] || exit 1; done
EOF
chmod 0755 "$work/fake/ssh" "$work/fake/scp"
export QD_FAKE_HOSTS=$QK/hosts

# quick_case ID QNETD_IMPL QDEVICE_IMPL HOW: -Q from an admin host; HOW = opts (-S/-C) or path (ssh/scp in PATH).
quick_case() {
    local id=$1 qi=$2 di=$3 how=$4 qd h c
    c=$QK/$id
    qd=$(impl_q "$di")
    rm -rf "$QD_FAKE_HOSTS"
    mkdir -p "$QD_FAKE_HOSTS"
    host_new "$QD_FAKE_HOSTS/qnetd" qnetd
    for h in adm node1 node2 node3; do host_new "$QD_FAKE_HOSTS/$h"; done
    export QD_FAKE_RBIN=$work/rbin-$qi
    if [ "$how" = opts ]; then
        host_run "$QD_FAKE_HOSTS/adm" "$qd" -Q -S "$work/fake/ssh -o BatchMode=yes" -C "$work/fake/scp" -n "$CN" \
            qnetd node1 node2 node3 </dev/null >"$c.out" 2>"$c.err"
    else
        host_run "$QD_FAKE_HOSTS/adm" env PATH="$work/fake:$PATH" "$qd" -Q -n "$CN" qnetd node1 node2 node3 \
            </dev/null >"$c.out" 2>"$c.err"
    fi
    # Kept first: the command substitution in the description would replace $?.
    rc=$?
    check "-Q $id: status 0 ($(tail -n 3 "$c.err" | tr '\n' ' '))" test "$rc" = 0
    for h in node1 node2 node3; do
        f=$QD_FAKE_HOSTS/$h/etc/qdevice/net/nssdb
        check "-Q $id: $h trusts QNet CA" test "$(trust_of "$f" "QNet CA")" = "CT,c,c"
        check "-Q $id: $h has Cluster Cert" test "$(trust_of "$f" "Cluster Cert")" = "u,u,u"
        check "-Q $id: $h cluster certificate is CN=$CN" bash -c "certutil -L -d '$f' -n 'Cluster Cert' </dev/null | grep -qF 'Subject: \"CN=$CN\"'"
        check "-Q $id: $h has no leftover CA copy in /tmp" test ! -e "$QD_FAKE_HOSTS/$h/tmp/qnetd-cacert.crt"
    done
    check "-Q $id: qnetd signed serial 103" test "$(cat "$QD_FAKE_HOSTS/qnetd/etc/qnetd/nssdb/serial.txt")" = 103
    check "-Q $id: admin /tmp left clean" test -z "$(ls -A "$QD_FAKE_HOSTS/adm/tmp")"
    check "-Q $id: admin has no node DB" test ! -e "$QD_FAKE_HOSTS/adm/etc/qdevice"
    if [ "$id" = ours-opts ]; then
        # Running it again finds the nodes initialised.
        host_run "$QD_FAKE_HOSTS/adm" "$qd" -Q -S "$work/fake/ssh" -C "$work/fake/scp" -n "$CN" qnetd node1 \
            </dev/null >"$c.again.out" 2>"$c.again.err"
        check "-Q again: status 1" test $? = 1
        check "-Q again: names the node" grep -qx "Node node1 seems to be already initialized. Please delete $NDB" "$c.again.err"
        # An unreachable node.
        host_run "$QD_FAKE_HOSTS/adm" "$qd" -Q -S "$work/fake/ssh" -C "$work/fake/scp" -n "$CN" qnetd nosuchnode \
            </dev/null >"$c.unreach.out" 2>"$c.unreach.err"
        check "-Q unreachable node: status 1" test $? = 1
        check "-Q unreachable node: message" grep -q "Node nosuchnode doesn't have .* installed" "$c.unreach.err"
        check "-Q unreachable node: explains the remote shell failure" grep -q "status 255" "$c.unreach.err"
    fi
}
quick_case ours-opts ours ours opts
quick_case ours-path ours ours path
if [ "$have_upstream" = 1 ]; then
    # Upstream's -Q driving our qnetd certutil and our scripts on the nodes ($0 is upstream's there).
    quick_case up-qdevice-ours-qnetd ours up path
    quick_case ours-qdevice-up-qnetd up ours opts
fi

# ---------------------------------------------------------------------------
# -E / -I: the whole database to an archive and back, on another "machine".
# ---------------------------------------------------------------------------
EXP=$work/export
host_new "$EXP/old" qnetd
host_new "$EXP/new" qnetd
chgrp daemon "$EXP/old/etc/qnetd"
run_step "$EXP/old" "$EXP/init" "$OURS_N" -i -G
check "-E: -i on the old arbiter" test "$(cat "$EXP/init.rc")" = 0
run_step "$EXP/old" "$EXP/sign" "$OURS_N" -s -c /dev/null -n expcluster
run_step "$EXP/old" "$EXP/export" "$OURS_N" -E /tmp/arbiter.tar.gz
check "-E: status 0 ($(head -n 1 "$EXP/export.err"))" test "$(cat "$EXP/export.rc")" = 0
archive=$EXP/old/tmp/arbiter.tar.gz
check "-E: the archive is readable by root only" test "$(mode_of "$archive")" = 600
run_step "$EXP/old" "$EXP/export-again" "$OURS_N" -E /tmp/arbiter.tar.gz
check "-E: an existing archive is not overwritten (status 1)" test "$(cat "$EXP/export-again.rc")" = 1
# The new machine already has a database of its own (the package made one): it is kept aside.
run_step "$EXP/new" "$EXP/init-new" "$OURS_N" -i
cp "$archive" "$EXP/new/tmp/arbiter.tar.gz"
run_step "$EXP/new" "$EXP/import" "$OURS_N" -I /tmp/arbiter.tar.gz
check "-I: status 0 ($(head -n 1 "$EXP/import.err"))" test "$(cat "$EXP/import.rc")" = 0
check "-I: same files, modes, owner and group as exported" test "$(listing "$EXP/old/etc/qnetd/nssdb")" = "$(listing "$EXP/new/etc/qnetd/nssdb")"
check "-I: the same CA" test "$(cert_dump "$EXP/old/etc/qnetd/nssdb" "QNet CA")" = "$(cert_dump "$EXP/new/etc/qnetd/nssdb" "QNet CA")"
check "-I: the database that was there is kept aside" bash -c "ls -d '$EXP/new/etc/qnetd/'nssdb.replaced-* >/dev/null 2>&1"
check "-I: says where it kept it" grep -q "is kept in /etc/corosync/qnetd/nssdb.replaced-" "$EXP/import.out"
# The imported CA still signs: serial numbers go on from the old arbiter's.
run_step "$EXP/new" "$EXP/serial" cat /etc/corosync/qnetd/nssdb/serial.txt
check "-I: the serial counter came along" test "$(cat "$EXP/serial.out")" = "$(cat "$EXP/old/etc/qnetd/nssdb/serial.txt")"
# Archives that are not ours are refused and change nothing.
mkdir -p "$EXP/bad/nssdb" "$EXP/bad/etc"
echo x >"$EXP/bad/etc/passwd"
tar -C "$EXP/bad" -czf "$EXP/new/tmp/outside.tar.gz" nssdb etc
run_step "$EXP/new" "$EXP/import-outside" "$OURS_N" -I /tmp/outside.tar.gz
check "-I: an archive with files outside nssdb/ is refused" test "$(cat "$EXP/import-outside.rc")" = 1
tar -C "$EXP/bad" -czf "$EXP/new/tmp/empty.tar.gz" nssdb
run_step "$EXP/new" "$EXP/import-empty" "$OURS_N" -I /tmp/empty.tar.gz
check "-I: an archive without a database is refused" test "$(cat "$EXP/import-empty.rc")" = 1
echo garbage >"$EXP/new/tmp/garbage.tar.gz"
run_step "$EXP/new" "$EXP/import-garbage" "$OURS_N" -I /tmp/garbage.tar.gz
check "-I: a file that is no archive is refused" test "$(cat "$EXP/import-garbage.rc")" = 1
check "-I: refused archives left the database alone" test "$(listing "$EXP/old/etc/qnetd/nssdb")" = "$(listing "$EXP/new/etc/qnetd/nssdb")"

echo "certutil integration: $checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
