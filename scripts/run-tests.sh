#!/usr/bin/env bash
# Runs the whole test suite: installs dependencies, builds with sanitizers and libFuzzer, runs every ctest label.
#
# Usage: scripts/run-tests.sh [ctest arguments...]   e.g. scripts/run-tests.sh -L unit
# Environment: BUILD_DIR (default build), QD_FUZZ_SECONDS (default 30: a smoke run; scripts/fuzz-campaign.sh fuzzes for long).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
fuzz_seconds=${QD_FUZZ_SECONDS:-30}

if [ "$(id -u)" -eq 0 ]; then
    bash "$top/scripts/install-deps.sh"
else
    echo "run-tests: not root: skipping package installation (the integration tests need root)" >&2
fi

# gcc must build the project warning-free too; the tests themselves run from the clang build.
echo "== build with gcc (-Werror)"
cmake -S "$top" -B "$build-gcc" -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build "$build-gcc" -j "$(nproc)"

echo "== build with clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer"
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DQD_SANITIZE=ON -DQD_FUZZ=ON \
    -DQD_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build "$build" -j "$(nproc)"

echo "== ctest"
cd "$build"
ctest --output-on-failure --timeout 1800 "$@"
