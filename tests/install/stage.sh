#!/usr/bin/env bash
# Shared by the install tests: installs a build tree the Debian way (prefix /usr) into a fresh DESTDIR.
#
# Usage (sourced):  . tests/install/stage.sh; qd_stage <build dir> <destdir>
# umask 022 so directory and file modes do not depend on the caller's umask.

qd_stage() {
    local build=$1 destdir=$2 log
    if [ ! -f "$build/cmake_install.cmake" ]; then
        echo "FAIL: $build is not a configured build tree (no cmake_install.cmake)" >&2
        return 1
    fi
    rm -rf "$destdir"
    mkdir -p "$destdir"
    log=$(umask 022 && DESTDIR=$destdir cmake --install "$build" --prefix /usr 2>&1) || {
        echo "FAIL: cmake --install $build --prefix /usr (DESTDIR=$destdir) failed:" >&2
        echo "$log" >&2
        return 1
    }
    return 0
}

# The checks that source this file count their failures here and exit non-zero when there were any.
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
