#!/usr/bin/env bash
# The main job: installs dependencies, builds, and starts the demo cluster (2 nodes + arbiter in namespaces, our daemons).
#
# Usage (root, Debian 12):
#   bash scripts/demo.sh            install packages, build (BUILD_DIR, default build-demo), start the demo
#   bash scripts/demo.sh --status   show the running demo's quorum state again
#   bash scripts/demo.sh --stop     stop the demo: its processes, namespaces and files
# QDI_COMBO picks the programs (default ours; qnetd-ours = our qnetd with Debian's qdevice, see
# tests/integration/README.md).  Exit status non-zero, with the reason on stderr, if anything fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-demo}
demo=$top/tests/integration/demo-cluster.sh

case ${1:-} in
--stop) exec bash "$demo" stop ;;
--status) exec bash "$demo" status ;;
"") ;;
*)
    echo "usage: scripts/demo.sh [--status | --stop]" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: must run as root (it installs packages and creates network namespaces)" >&2
    exit 1
fi
bash "$top/scripts/install-deps.sh"
cmake -S "$top" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)"

rc=0
bash "$demo" start "$build" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "demo: the demo cluster did not start (exit status $rc); see the messages above" >&2
    exit "$rc"
fi
