#!/usr/bin/env bash
# Checks a cross-built corosync-qnetd under qemu-user on 127.0.0.1: TLS clients of the native load generator, and certificates valid past 2038.
#
# Usage: scripts/arm-check.sh arm64|armhf|armel [-C clusters] [-N nodes] [-p port] [--storms K]
#   Needs dist/ARCH/corosync-qnetd_*_ARCH.deb (scripts/build-deb.sh --arch ARCH), the sysroot of
#   scripts/cross-sysroot.sh ARCH, qemu-user-static, NSS's certutil, and a native build tree with
#   the load generator: $QD_NATIVE_BUILD (default build-gcc in the tree), where
#   tests/bench/qnetd_load and qnetd/corosync-qnetd-certutil are taken from.
#   Defaults: 200 clusters x 2 nodes, one split+merge storm, port 15431 (arm64), 15432 (armhf),
#   15433 (armel), so that the three can run side by side.
# Prints one PASS or FAIL line per check; exit status 0 only when every check passed, 2 on bad usage.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-}
case $arch in
arm64) qemu=qemu-aarch64-static; machine=AArch64; port=15431 ;;
armhf) qemu=qemu-arm-static; machine=ARM; port=15432 ;;
armel) qemu=qemu-arm-static; machine=ARM; port=15433 ;;
-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
*) echo "arm-check: usage: arm-check.sh arm64|armhf|armel [-C clusters] [-N nodes] [-p port] [--storms K]" >&2; exit 2 ;;
esac
shift
clusters=200
nodes=2
storms=1
while (($#)); do
    case $1 in
    -C) clusters=${2:?-C needs a number}; shift 2 ;;
    -N) nodes=${2:?-N needs a number}; shift 2 ;;
    -p) port=${2:?-p needs a port}; shift 2 ;;
    --storms) storms=${2:?--storms needs a number}; shift 2 ;;
    *) echo "arm-check: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
for n in "$clusters" "$nodes" "$storms" "$port"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "arm-check: '$n' is not a number" >&2; exit 2; }
done

sysroot=${QD_SYSROOT:-/var/cache/qd-sysroot/$arch}
native=${QD_NATIVE_BUILD:-$top/build-gcc}
load_bin=$native/tests/bench/qnetd_load
certutil_script=$native/qnetd/corosync-qnetd-certutil
setup_nssdb=$top/tests/bench/setup-nssdb.sh
clients=$((clusters * nodes))
# Upper bounds of every wait. The connect phase under emulation costs qnetd about 15-40 ms of CPU
# per client (TLS handshake and NSS verification), so the limits grow with the number of clients.
start_limit=60
connect_limit=$((60 + clients / 5))
phase_limit=120
stop_limit=30

failures=0
pass() { printf 'PASS %-12s %s\n' "$1" "$2"; }
fail() { printf 'FAIL %-12s %s\n' "$1" "$2"; failures=$((failures + 1)); }
die() { echo "arm-check: $*" >&2; exit 1; }

deb=$(compgen -G "$top/dist/$arch/corosync-qnetd_*_$arch.deb" || true)
[ -n "$deb" ] && [ "$(wc -l <<<"$deb")" -eq 1 ] ||
    die "want exactly one dist/$arch/corosync-qnetd_*_$arch.deb (scripts/build-deb.sh --arch $arch)"
[ -d "$sysroot/usr/lib" ] || die "no sysroot in $sysroot (scripts/cross-sysroot.sh $arch)"
command -v "$qemu" >/dev/null || die "$qemu not found (apt-get install qemu-user-static)"
command -v certutil >/dev/null || die "NSS certutil not found (apt-get install libnss3-tools)"
[ -x "$load_bin" ] || die "no load generator $load_bin (set QD_NATIVE_BUILD to a native build tree)"
[ -x "$certutil_script" ] || die "no $certutil_script (set QD_NATIVE_BUILD to a native build tree)"

# Everything this script starts is remembered by PID; only those are ever signalled.
qnetd_pid=
load_pid=
tmp=
cleanup() {
    local pid
    for pid in $load_pid $qnetd_pid; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [ -n "$tmp" ] && rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
tmp=$(mktemp -d "/tmp/qd-arm-check.$arch.XXXXXX")

# Waits (bounded) for a PID this script started to end; its status goes to $waited_status.
wait_pid() { # pid limit_s
    local pid=$1 limit=$2 i
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        return 1
    fi
    waited_status=0
    wait "$pid" || waited_status=$?
    return 0
}

# A field of qnetd_load's RESULT line.
result_field() { # name result_line
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# Runs the native generator against the emulated qnetd, in the background so that the trap can
# end it, with its own limits inside an outer one. Sets load_status, load_out and load_result.
run_load() { # label nssdb clusters nodes storms extra_args...
    local label=$1 db=$2 c=$3 n=$4 k=$5
    shift 5
    load_out=$tmp/load-$label.out
    local limit=$((connect_limit + 2 + k * 2 * phase_limit + 60))
    timeout --kill-after=10 "$limit" "$load_bin" -H 127.0.0.1 -p "$port" -C "$c" -N "$n" --nssdb "$db" \
        --storms "$k" --hold 1 --timeout "$phase_limit" --connect-timeout "$connect_limit" \
        --qnetd-pid "$qnetd_pid" --label "$arch-$label" "$@" >"$load_out" 2>&1 &
    load_pid=$!
    load_status=0
    wait "$load_pid" || load_status=$?
    load_pid=
    load_result=$(grep '^RESULT ' "$load_out" | tail -n 1 || true)
}

# ---- the packaged program ----
root=$tmp/root
dpkg-deb -x "$deb" "$root"
qnetd_bin=$root/usr/bin/corosync-qnetd
emu=("$qemu" -L "$sysroot")
# A 32-bit ARM program built with 64-bit time_t calls glibc's *64 time functions (__clock_gettime64...).
time_t_bits=64
if [ "$arch" != arm64 ] && ! readelf --dyn-syms -W "$qnetd_bin" | grep -qE ' __(clock_gettime|time|timegm)64'; then
    time_t_bits=32
fi
got_machine=$(readelf -h "$qnetd_bin" 2>/dev/null | sed -n 's/^ *Machine: *//p')
version=$("${emu[@]}" "$qnetd_bin" -v 2>&1 | head -n 1 || true)
if [[ $got_machine == *"$machine"* ]] && [[ $version == *version* ]]; then
    pass binary "$(basename "$deb"): $got_machine, runs under $qemu: $version"
else
    fail binary "$(basename "$deb"): machine '$got_machine', -v said '$version'"
fi

# ---- certificates: setup-nssdb.sh's chain, plus a client certificate signed by certutil -s ----
nss=$tmp/nss
if ! bash "$setup_nssdb" "$nss" "$certutil_script" >"$tmp/setup-nssdb.log" 2>&1; then
    cat "$tmp/setup-nssdb.log" >&2
    die "setup-nssdb.sh failed"
fi
# setup-nssdb.sh signs its client certificate with NSS certutil -C directly, not through
# corosync-qnetd-certutil -s: the packaged way of signing gets a client database of its own.
sdb=$nss/client-s
mkdir -p "$sdb"
: >"$sdb/pwdfile.txt"
head -c 64 /dev/urandom | sha1sum | cut -d' ' -f1 >"$sdb/noise.txt"
{
    certutil -N -d "$sdb" -f "$sdb/pwdfile.txt" &&
        certutil -A -d "$sdb" -n "QNet CA" -t "CT,c,c" -a -i "$nss/qnet-ca.pem" &&
        certutil -R -d "$sdb" -s "CN=*.bench.test" -8 "*.bench.test" -o "$tmp/signed.csr" \
            -z "$sdb/noise.txt" -f "$sdb/pwdfile.txt" &&
        QNETD_CERTUTIL_DB_DIR=$nss/qnetd "$certutil_script" -s -c "$tmp/signed.csr" -n bench.test &&
        certutil -A -d "$sdb" -n "Cluster Cert" -t "u,u,u" -i "$nss/qnetd/cluster-bench.test.crt"
} >"$tmp/signed.log" 2>&1 || { cat "$tmp/signed.log" >&2; die "signing a client certificate with corosync-qnetd-certutil -s failed"; }

# 2^31-1 seconds: 2038-01-19 03:14:07 UTC, the last second a 32-bit time_t holds.
y2038=2147483647
dates_ok=1
dates=""
for spec in "qnetd:QNet CA" "qnetd:QNetd Cert" "client:Cluster Cert" "client-s:Cluster Cert"; do
    db=$nss/${spec%%:*}
    nick=${spec#*:}
    after=$(certutil -L -d "$db" -n "$nick" 2>/dev/null | sed -n 's/^ *Not After *: *//p' | head -n 1)
    secs=$(TZ=UTC date -d "$after UTC" +%s 2>/dev/null || echo 0)
    dates+="${dates:+; }${spec%%:*}/$nick until $(TZ=UTC date -d "@$secs" +%Y-%m-%d 2>/dev/null || echo '?')"
    ((secs > y2038)) || dates_ok=0
done
if ((dates_ok)); then
    pass cert-dates "every certificate expires after 2038-01-19 ($dates)"
else
    fail cert-dates "a certificate expires before 2038-01-19 or has no date ($dates)"
fi

# ---- qnetd under the emulator: TLS required, client certificates required, loopback only ----
if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    die "port $port is in use: pick another with -p"
fi
want_fds=$((clients * 2 + 256))
if [ "$(ulimit -n)" != unlimited ] && (("$(ulimit -n)" < want_fds)); then
    ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
fi
"${emu[@]}" "$qnetd_bin" -f -l 127.0.0.1 -p "$port" -s req -c on \
    -S "nss_db_dir=$nss/qnetd,lock_file=$tmp/qnetd.pid,local_socket_file=$tmp/qnetd.sock" \
    >"$tmp/qnetd.log" 2>&1 &
qnetd_pid=$!
started=0
t0=$(date +%s%N)
for ((i = 0; i < start_limit * 10; i++)); do
    kill -0 "$qnetd_pid" 2>/dev/null || break
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && grep -q 'ready to provide service' "$tmp/qnetd.log"; then
        started=1
        break
    fi
    sleep 0.1
done
start_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
if ((started)); then
    pass start "qnetd (pid $qnetd_pid) loaded its certificate from the NSS database and listens on 127.0.0.1:$port after ${start_s}s (-s req -c on)"
else
    fail start "qnetd did not listen on 127.0.0.1:$port within ${start_limit}s; its log:"
    sed 's/^/    /' "$tmp/qnetd.log" | tail -n 20
    exit 1
fi

joined_before() { grep -c 'joined cluster .*TLS, client certificate verified' "$tmp/qnetd.log" || true; }

# ---- load: every client admitted through TLS with its certificate, every decision right ----
j0=$(joined_before)
run_load load "$nss/client" "$clusters" "$nodes" "$storms"
joined=$(($(joined_before) - j0))
connected=$(result_field connected "$load_result")
summary="exit $load_status, $(result_field connected "$load_result")/$clients clients admitted in $(result_field connect_s "$load_result") s"
summary+=" ($(result_field hs_per_s "$load_result") handshakes/s, qnetd CPU $(result_field cpu_per_client_ms "$load_result") ms/client,"
summary+=" RSS +$(result_field rss_per_client_kb "$load_result") KB/client), $storms storm(s): split p99 $(result_field split_p99_ms "$load_result") ms,"
summary+=" merge p99 $(result_field merge_p99_ms "$load_result") ms, wrong $(result_field wrong "$load_result"), errors $(result_field errors "$load_result"),"
summary+=" disconnects $(result_field disconnects "$load_result"), status $(result_field status "$load_result"); qnetd logged $joined verified joins"
if [ "$load_status" -eq 0 ] && [ "$connected" = "$clients" ] && [ "$joined" -eq "$clients" ] &&
    [ "$(result_field status "$load_result")" = ok ]; then
    pass load "$summary"
else
    fail load "$summary"
    grep -v '^RESULT ' "$load_out" | tail -n 15 | sed 's/^    //; s/^/    /'
fi

# ---- past 2038: the certificate made by corosync-qnetd-certutil -s, through NSS on the client
# side as corosync-qdevice does; the client checks qnetd's certificate (valid until 2126) and qnetd
# checks the client's. On armhf and armel time_t has 32 bits (Debian 12). ----
j0=$(joined_before)
run_load y2038 "$sdb" 4 2 1 --tls-engine nss
joined=$(($(joined_before) - j0))
connected=$(result_field connected "$load_result")
summary="time_t $time_t_bits-bit: certutil -s client certificate and NSS client: exit $load_status,"
summary+=" $connected/8 clients admitted, $joined verified joins, wrong $(result_field wrong "$load_result"), status $(result_field status "$load_result")"
if [ "$load_status" -eq 0 ] && [ "$connected" = 8 ] && [ "$joined" -eq 8 ]; then
    pass cert-2038 "$summary"
else
    fail cert-2038 "$summary"
    grep -v '^RESULT ' "$load_out" | tail -n 15 | sed 's/^/    /'
    grep -iE 'certif|tls|crit|err' "$tmp/qnetd.log" | tail -n 10 | sed 's/^/    /'
fi

# ---- a clean stop: SIGTERM to the PID we started ----
kill -TERM "$qnetd_pid" 2>/dev/null || true
if wait_pid "$qnetd_pid" "$stop_limit"; then
    qnetd_pid=
    if [ "$waited_status" -eq 0 ]; then
        pass stop "qnetd exited with status 0 on SIGTERM"
    else
        fail stop "qnetd exited with status $waited_status on SIGTERM"
    fi
else
    fail stop "qnetd still running ${stop_limit}s after SIGTERM (killed)"
fi
if grep -qiE ' (crit|error|err) ' "$tmp/qnetd.log"; then
    echo "arm-check: qnetd logged errors:" >&2
    grep -iE ' (crit|error|err) ' "$tmp/qnetd.log" | head -n 10 | sed 's/^/    /' >&2
fi

echo "arm-check: $arch: $failures check(s) failed"
((failures == 0))
