#!/usr/bin/env bash
# Makes the sysroot a cross build needs: the target architecture's -dev packages, unpacked (nothing of the target runs).
#
# Usage: scripts/cross-sysroot.sh arm64|armhf|armel [DIR]     (default DIR: /var/cache/qd-sysroot/ARCH)
# libnspr4-dev is not Multi-Arch in Debian 12, so the target's libraries cannot be installed next to
# the host's; mmdebstrap --variant=extract unpacks them into a directory of their own instead.
set -euo pipefail
arch=${1:?usage: cross-sysroot.sh arm64|armhf|armel [DIR]}
dir=${2:-/var/cache/qd-sysroot/$arch}
case $arch in arm64 | armhf | armel) ;; *) echo "cross-sysroot: unknown architecture '$arch'" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "cross-sysroot: must run as root (mmdebstrap)" >&2; exit 1; }

pkgs="libc6-dev,libnss3-dev,libnspr4-dev,libssl-dev,libqb-dev,libsystemd-dev,libcmap-dev,libvotequorum-dev"
pkgs+=",libcorosync-common-dev,libcmocka-dev,libjansson-dev,libmicrohttpd-dev"
if [ -f "$dir/.qd-sysroot-packages" ] && [ "$(cat "$dir/.qd-sysroot-packages")" = "$pkgs" ]; then
    echo "cross-sysroot: $dir is up to date"
    exit 0
fi
rm -rf --one-file-system "$dir" "$dir.shlibs"
mkdir -p "$(dirname "$dir")"
# The downloaded packages stay in the sysroot's apt cache: their symbols files are needed below.
mmdebstrap --mode=root --variant=extract --architectures="$arch" --include="$pkgs" \
    --skip=cleanup/apt/cache bookworm "$dir" http://deb.debian.org/debian
# dpkg-shlibdeps works out a cross build's Depends from the libraries' own symbols and shlibs
# files. It looks for them in "package build trees" (its -S option): one per library package,
# the package unpacked with its control files in DEBIAN/. debian/rules passes them all.
mkdir -p "$dir.shlibs"
for deb in "$dir"/var/cache/apt/archives/*.deb; do
    ctl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t 2>/dev/null)
    grep -qE '^\./(symbols|shlibs)$' <<<"$ctl" || continue
    name=$(dpkg-deb -f "$deb" Package)
    dpkg-deb -x "$deb" "$dir.shlibs/$name"
    dpkg-deb -e "$deb" "$dir.shlibs/$name/DEBIAN"
done
# Absolute symbolic links (libfoo.so -> /lib/...) would point into this machine: make them relative.
find "$dir" -type l -lname '/*' | while read -r link; do
    target=$(readlink "$link")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")" "$link"
done
echo "$pkgs" >"$dir/.qd-sysroot-packages"
echo "cross-sysroot: $arch sysroot ready in $dir (library packages for dpkg-shlibdeps in $dir.shlibs)"
