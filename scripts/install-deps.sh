#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the demo need; safe to run twice.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root (apt-get install)" >&2
    exit 1
fi

# Build: compiler, CMake, pkg-config and the -dev packages found through pkg-config.
build_pkgs="build-essential cmake pkg-config
    libnss3-dev libnspr4-dev libssl-dev libqb-dev libsystemd-dev libjansson-dev libmicrohttpd-dev
    libcmap-dev libvotequorum-dev libcorosync-common-dev libquorum-dev libcfg-dev"
# Tests: cmocka, clang + libFuzzer runtime, NSS tools for certificates, packet capture, a moved clock (faketime).
test_pkgs="libcmocka-dev clang libclang-rt-14-dev libnss3-tools tcpdump python3-jsonschema
    iproute2 iptables util-linux procps iputils-ping psmisc groff-base man-db curl
    systemd faketime"
# Packages: building, checking, and the chroot and container tests.
pkg_pkgs="debhelper dpkg-dev lintian mmdebstrap systemd-container
    crossbuild-essential-arm64 qemu-user-static"
# Reference peers and the cluster stack the integration tests and the demo run.
peer_pkgs="corosync corosync-qnetd corosync-qdevice"

# promtool checks the metrics the tools print. It comes from Debian's prometheus package, only
# unpacked: installing the package would start a Prometheus server on this machine.
promtool_dir=/var/cache/qd-tools
get_promtool() {
    [ -x "$promtool_dir/promtool" ] && return 0
    local tmp
    tmp=$(mktemp -d /tmp/qd-promtool.XXXXXX)
    (cd "$tmp" && { apt-get download -q prometheus >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get download -q prometheus >/dev/null; }; }) &&
        dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root" &&
        mkdir -p "$promtool_dir" && install -m 755 "$tmp/root/usr/bin/promtool" "$promtool_dir/promtool"
    local rc=$?
    rm -rf --one-file-system "$tmp"
    [ $rc -eq 0 ] && echo "install-deps: promtool unpacked into $promtool_dir" >&2
    return $rc
}
get_promtool || { echo "install-deps: could not get promtool from Debian's prometheus package" >&2; exit 1; }

missing=""
for p in $build_pkgs $test_pkgs $pkg_pkgs $peer_pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: every package already installed"
    exit 0
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# policy-rc.d keeps the reference daemons' postinst from starting services on this machine.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
