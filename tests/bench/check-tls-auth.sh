#!/bin/bash
# Checks that qnetd's client-certificate checks still refuse what they must (verification cache included), and pipelined records.
#
# Usage: tests/bench/check-tls-auth.sh [BUILD_DIR]   (default /tmp/qnetd-bench-build; needs corosync-qnetd,
#        corosync-qnetd-certutil and qnetd_load built there, and NSS certutil)
# Steps, each with a 2-node cluster of qnetd_load against our qnetd on 127.0.0.1:15423:
#   1. the right certificate                                    -> admitted
#   2. a certificate for the same name from another CA          -> refused
#   3. the right certificate, cluster name it does not match    -> refused
#   3b. no client certificate at all                            -> refused
#   4. QNet CA's trust removed from qnetd's database while qnetd runs (the certificate verified in
#      step 1 is in the verification cache)                     -> refused
#   5. the trust restored                                       -> admitted
#   6. 300 echo requests per heartbeat, each its own TLS record (more than qnetd reads in one turn,
#      so the rest waits inside the TLS layer where epoll cannot see it)  -> admitted, no reply late
#   7. corosync-qnetd-tool -j counted the refusals of steps 2-4 by reason
# Exit status 0 when every step behaves, 1 otherwise. Kills only the qnetd it started; removes its directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD_DIR:-/tmp/qnetd-bench-build}}
qnetd=$build/qnetd/corosync-qnetd
load=$build/tests/bench/qnetd_load
port=15423
for f in "$qnetd" "$load" "$build/qnetd/corosync-qnetd-certutil"; do
    [ -x "$f" ] || { echo "check-tls-auth: $f not built" >&2; exit 1; }
done
command -v certutil >/dev/null || { echo "check-tls-auth: NSS certutil not found" >&2; exit 1; }

tmp=$(mktemp -d /tmp/qnetd-tlsauth.XXXXXX)
qpid=""
cleanup() {
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid"
        for _ in $(seq 1 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$qpid" 2>/dev/null && kill -KILL "$qpid"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$here/setup-nssdb.sh" "$tmp/nss" "$build/qnetd/corosync-qnetd-certutil" >"$tmp/setup.log" 2>&1 ||
    { cat "$tmp/setup.log" >&2; exit 1; }
qdb=$tmp/nss/qnetd

# A second CA, unknown to qnetd, issuing the same wildcard name under the same nickname.
rdb=$tmp/rogue
mkdir -p "$rdb"
: >"$rdb/pwdfile.txt"
head -c 64 /dev/urandom | sha1sum | cut -d' ' -f1 >"$rdb/noise.txt"
certutil -N -d "$rdb" -f "$rdb/pwdfile.txt"
printf 'y\n0\ny\n' | certutil -S -n "Rogue CA" -s "CN=QNet CA" -x -t "CT,," -m 201 -v 120 \
    -d "$rdb" -z "$rdb/noise.txt" -f "$rdb/pwdfile.txt" -2 >/dev/null 2>&1
certutil -S -n "Cluster Cert" -s "CN=*.bench.test" -8 "*.bench.test" -c "Rogue CA" -t "u,u,u" -m 202 -v 120 \
    -d "$rdb" -z "$rdb/noise.txt" -f "$rdb/pwdfile.txt" >/dev/null 2>&1
certutil -A -d "$rdb" -n "QNet CA real" -t "CT,c,c" -a -i "$tmp/nss/qnet-ca.pem"
certutil -L -d "$rdb" -n "Cluster Cert" >/dev/null || { echo "check-tls-auth: rogue set-up failed" >&2; exit 1; }

"$qnetd" -f -p "$port" -s on -c on -d \
    -S "nss_db_dir=$qdb,lock_file=$tmp/q.pid,local_socket_file=$tmp/q.sock,max_client_send_buffers=1000" \
    >"$tmp/qnetd.log" 2>&1 &
qpid=$!
for _ in $(seq 1 75); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.2; done

failed=0
step() { # name expect(admitted|refused) nssdb [extra args]
    local name=$1 expect=$2 db=$3
    shift 3
    timeout 60 "$load" -H 127.0.0.1 -p "$port" -C 1 -N 2 --nssdb "$db" --storms 1 --hold 1 --timeout 10 \
        --connect-timeout 6 --label "$name" "$@" >"$tmp/$name.out" 2>&1
    local rc=$? got=refused
    [ "$rc" = 0 ] && got=admitted
    # Exit 3 is the generator's own set-up failure: it never reached qnetd, so it proves nothing.
    [ "$rc" = 3 ] && got="not run (generator set-up failed)"
    # An echo reply still missing at the next heartbeat: input was left unread.
    [ "$got" = admitted ] && ! grep -q "late echoes 0," "$tmp/$name.out" && got="admitted, but echo replies came late"
    if ! kill -0 "$qpid" 2>/dev/null; then
        echo "FAIL $name: qnetd died"; failed=1; return
    fi
    if [ "$got" = "$expect" ]; then
        echo "ok   $name: $got"
    else
        echo "FAIL $name: $got (rc $rc), expected $expect"; sed 's/^/    /' "$tmp/$name.out" | tail -5
        failed=1
    fi
}

step 1-right-cert admitted "$tmp/nss/client"
step 2-other-ca refused "$rdb"
step 3-name-mismatch refused "$tmp/nss/client" --suffix .other.test
step 3b-no-client-cert refused "$tmp/nss/client" --nickname ""
certutil -M -d "$qdb" -n "QNet CA" -t ",," -f "$qdb/pwdfile.txt"
step 4-ca-distrusted refused "$tmp/nss/client"
certutil -M -d "$qdb" -n "QNet CA" -t "CT,," -f "$qdb/pwdfile.txt"
step 5-ca-trusted-again admitted "$tmp/nss/client"
step 6-pipelined admitted "$tmp/nss/client" --echo-burst 300 --heartbeat 1000 --hold 3

# Every refusal above was counted under its own reason (doc/status-json.md §2).
if "$build/qnetd/corosync-qnetd-tool" -j -p "$tmp/q.sock" >"$tmp/status.json" 2>&1 &&
    python3 "$here/../integration/json/check-json.py" "$here/../../doc/schema/qnetd-status.schema.json" \
        client_cert_rejections.by_reason.untrusted_issuer'>=2' \
        client_cert_rejections.by_reason.cluster_name_mismatch'>=1' \
        client_cert_rejections.by_reason.missing'>=1' client_cert_rejections.by_reason.expired=0 \
        client_cert_rejections.last_hour'>=4' server_certificate.nickname="QNetd Cert" \
        <"$tmp/status.json" >"$tmp/status.check" 2>&1; then
    echo "ok   7-rejections-counted: by reason in corosync-qnetd-tool -j"
else
    echo "FAIL 7-rejections-counted:"; sed 's/^/    /' "$tmp/status.check" "$tmp/status.json" | head -20
    failed=1
fi

if [ "$failed" = 0 ]; then echo "check-tls-auth: 8 passed, 0 failed"; exit 0; fi
echo "check-tls-auth: some steps failed (qnetd log kept in the output above)"; tail -20 "$tmp/qnetd.log"
exit 1
