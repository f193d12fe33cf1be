#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs the demo cluster (2 nodes + arbiter) once the daemons exist.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-demo}

bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)"

for prog in qnetd/corosync-qnetd qdevice/corosync-qdevice; do
    if [ ! -x "$build/$prog" ]; then
        echo "demo: built the protocol codec and its tests; $(basename "$prog") is not written yet," \
             "so there is no demo cluster to start. Run scripts/run-tests.sh for the test suite."
        exit 0
    fi
done
exec bash "$top/tests/integration/demo.sh" "$build"
