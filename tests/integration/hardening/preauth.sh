#!/usr/bin/env bash
# Hostile clients before authentication: certificate rebinding, connections that never finish TLS and INIT, floods from one address.
# Usage: preauth.sh BUILD_DIR     Exit: 0 pass, 1 fail, 77 skip (something not built or NSS tools missing).
# QD_PROBE_QNETD=/usr/bin/corosync-qnetd (and QD_PROBE_TOOL=/usr/bin/corosync-qnetd-tool) run the same
# probes against upstream's qnetd, with its defaults; the script then reports what it saw and exits 0.
set -u
build=${1:?usage: preauth.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
probe=$build/tests/integration/hardening/qnetd_probe
load=$build/tests/bench/qnetd_load
qnetd=${QD_PROBE_QNETD:-$build/qnetd/corosync-qnetd}
tool=${QD_PROBE_TOOL:-$build/qnetd/corosync-qnetd-tool}
report_only=0
[ -n "${QD_PROBE_QNETD:-}" ] && report_only=1
for f in "$probe" "$load" "$qnetd" "$tool" "$build/qnetd/corosync-qnetd-certutil"; do
    [ -x "$f" ] || { echo "SKIP: $f is not built"; exit 77; }
done
command -v certutil >/dev/null || { echo "SKIP: NSS certutil is not installed"; exit 77; }

work=$(mktemp -d /tmp/qd-preauth.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

"$here/../../bench/setup-nssdb.sh" "$work/nss" "$build/qnetd/corosync-qnetd-certutil" >"$work/setup.log" 2>&1 ||
    { cat "$work/setup.log"; echo "FAIL: NSS set-up"; exit 1; }

# OpenSSL's configuration may forbid old TLS versions on its own (Debian's does): give both qnetd
# and the probe one that allows everything, so that only qnetd's own minimum can refuse TLS 1.1.
cat >"$work/openssl-permissive.cnf" <<'CNF'
openssl_conf = init
[init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = defaults
[defaults]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
CNF
export OPENSSL_CONF=$work/openssl-permissive.cnf

# Short limits so the test is quick; the defaults (60 s, 256) are checked by the unit tests.
port=$((20000 + RANDOM % 20000))
sock=$work/qnetd.sock
settings="nss_db_dir=$work/nss/qnetd,lock_file=$work/qnetd.pid,local_socket_file=$sock"
[ "$report_only" = 0 ] && settings="$settings,init_timeout=3000,max_clients_per_address=20"
"$qnetd" -f -d -s on -c on -l 127.0.0.1 -p "$port" -S "$settings" >"$work/qnetd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$work/qnetd.log"; echo "FAIL: qnetd did not start"; exit 1; }

# 1. Rebinding: a certificate for c1.bench.test must not get a client into "victim".
"$probe" rebind "$port" "$work/nss/client" "Cluster Cert" c1.bench.test victim 3 >"$work/rebind.out" 2>&1 &
probe_pid=$!
sleep 1.5
"$tool" -l -p "$sock" >"$work/rebind.clusters" 2>&1
wait "$probe_pid"
rc=$?
echo "     $(cat "$work/rebind.out")"
if grep -q '"victim"' "$work/rebind.clusters" || [ "$rc" = 2 ]; then
    fail "rebind: a client got into cluster victim on another cluster's certificate"
elif [ "$rc" = 0 ]; then
    ok "rebind refused"
else
    fail "rebind probe could not run (exit $rc)"
fi

# 1b. TLS older than 1.2 is refused by qnetd itself.
"$probe" tls-version "$port" "$work/nss/client" "Cluster Cert" 1.1 >"$work/tlsver.out" 2>&1
rc=$?
line=$(cat "$work/tlsver.out")
case $rc in
0) ok "$line" ;;
2) fail "$line (no minimum TLS version)" ;;
*) fail "tls-version probe could not run: $line" ;;
esac

# 2. Clients that never finish authenticating are closed by the deadline, whatever they send.
for mode in silent preinit tls-stall; do
    "$probe" "$mode" "$port" 12 >"$work/$mode.out" 2>&1
    rc=$?
    line=$(cat "$work/$mode.out")
    case $rc in
    0) ok "$line" ;;
    2) fail "$line (no deadline before INIT)" ;;
    *) fail "$mode probe could not run: $line" ;;
    esac
done
n=$(grep -c "did not finish TLS and INIT within" "$work/qnetd.log")
if [ "$report_only" = 0 ]; then
    [ "$n" -ge 3 ] && ok "deadline logged ($n lines)" || fail "deadline logged $n times, 3 expected"
fi

# 3. One address opens more connections than its share.
"$probe" flood "$port" 30 0 >"$work/flood.out" 2>&1
rc=$?
line=$(cat "$work/flood.out")
case $rc in
0) ok "$line" ;;
2) fail "$line (no per-address limit)" ;;
*) fail "flood probe could not run: $line" ;;
esac
if [ "$report_only" = 0 ]; then
    grep -q "held open" <<<"$line" && [ "${line#flood: 20 of}" = "$line" ] && fail "20 expected held open: $line"
    grep -q "Too many connections from 127.0.0.1" "$work/qnetd.log" && ok "per-address refusal logged" ||
        fail "per-address refusal not logged"
fi

# Through all of it qnetd stays up and an honest cluster is still admitted.
kill -0 "$pid" 2>/dev/null || fail "qnetd died"
if timeout 60 "$load" -H 127.0.0.1 -p "$port" -C 1 -N 2 --nssdb "$work/nss/client" --storms 1 --hold 1 --timeout 10 \
    --connect-timeout 6 --label honest >"$work/honest.out" 2>&1; then
    ok "an honest 2-node cluster is admitted afterwards"
else
    fail "an honest 2-node cluster was not admitted afterwards"
    tail -5 "$work/honest.out"
fi

if [ "$report_only" = 1 ]; then
    echo "preauth (report only, $qnetd): $failures findings"
    exit 0
fi
if [ "$failures" -gt 0 ]; then
    echo "--- qnetd log (last lines)"
    tail -n 20 "$work/qnetd.log"
fi
echo "preauth: $failures failed"
[ "$failures" -eq 0 ]
