#!/usr/bin/env bash
# Builds the Debian packages corosync-qnetd and corosync-qdevice into dist/<arch>/, natively or cross.
#
# Usage: scripts/build-deb.sh [--arch amd64|arm64|armhf|armel] [--no-check] [--lintian]
#   The host's architecture builds natively (the unit tests run as part of the build). Another
#   architecture cross-builds with Debian 12's cross toolchain against a sysroot of that
#   architecture's -dev packages (scripts/cross-sysroot.sh makes it); its unit tests run under
#   qemu-user-static when installed. --lintian also runs lintian on the result.
# Works on a copy of the tree (git's tracked files plus uncommitted changes), never in it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
host_arch=$(dpkg --print-architecture)
arch=$host_arch
check=1
lint=0
while (($#)); do
    case $1 in
    --arch) arch=${2:?--arch needs an architecture}; shift 2 ;;
    --no-check) check=0; shift ;;
    --lintian) lint=1; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-deb: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case $arch in
amd64 | arm64 | armhf | armel) ;;
*) echo "build-deb: architecture '$arch' is not one of amd64 arm64 armhf armel" >&2; exit 2 ;;
esac

out=$top/dist/$arch
work=$(mktemp -d /tmp/qd-build-deb.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
src=$work/corosync-qdevice-ng

# The tree as git sees it, uncommitted changes included, without build directories.
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$top" && xargs -0 cp --parents -a -t "$src" 2>/dev/null || true)
[ -f "$src/debian/control" ] || { echo "build-deb: $top has no debian/control" >&2; exit 1; }

opts=()
((check)) || opts+=(nocheck)
# A failed build leaves its whole log where a good one's goes, and no packages of an older build.
fail() {
    mkdir -p "$out"
    rm -f "$out"/*.deb
    cp "$work/build.log" "$out/build.log" 2>/dev/null || true
    tail -n 60 "$work/build.log" >&2
    echo "build-deb: build failed (whole log: $out/build.log)" >&2
    exit 1
}
if [ "$arch" = "$host_arch" ]; then
    echo "build-deb: building natively for $arch"
    (cd "$src" && DEB_BUILD_OPTIONS="${opts[*]:-}" dpkg-buildpackage -b -us -uc -j"$(nproc)") \
        >"$work/build.log" 2>&1 || fail
else
    sysroot=${QD_SYSROOT:-/var/cache/qd-sysroot/$arch}
    if [ ! -d "$sysroot/usr/include" ]; then
        echo "build-deb: no sysroot for $arch in $sysroot: run scripts/cross-sysroot.sh $arch first" >&2
        exit 1
    fi
    # Without the emulator ctest would try to run ARM programs here and fail obscurely.
    qemu=qemu-$([ "$arch" = arm64 ] && echo aarch64 || echo arm)-static
    if ((check)) && ! command -v "$qemu" >/dev/null; then
        echo "build-deb: the unit tests of a cross build need $qemu (apt-get install qemu-user-static), or pass --no-check" >&2
        exit 1
    fi
    # dpkg-architecture checks the target against $CC, the host's compiler unless told otherwise.
    triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_GNU_TYPE 2>/dev/null)
    echo "build-deb: cross-building for $arch against $sysroot"
    (cd "$src" && QD_SYSROOT=$sysroot CC="$triplet-gcc" DEB_BUILD_OPTIONS="${opts[*]:-}" \
        dpkg-buildpackage -b -us -uc -a"$arch" -Pcross -d -j"$(nproc)") \
        >"$work/build.log" 2>&1 || fail
fi
mkdir -p "$out"
rm -f "$out"/*.deb
mv "$work"/*.deb "$out"/
cp "$work/build.log" "$out/build.log"
ls -l "$out"/*.deb
if ((lint)); then
    echo "build-deb: lintian"
    accepted=()
    [ -f "$top/debian/lintian-accepted" ] && accepted=(--suppress-tags-from-file "$top/debian/lintian-accepted")
    lintian --fail-on error "${accepted[@]}" "$out"/*.deb
fi
