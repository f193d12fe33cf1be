#!/usr/bin/env bash
# Scenario 16: a one-node cluster set up with algorithm lms and no votes (what pvecm qdevice setup --force does on an odd node count): the device carries 0 votes, corosync-qdevice-tool -D names it, and its fix gives the vote back.
# lms gives the device nodes - 1 votes when quorum.device.votes is unset: 0 on one node, so the
# node is never quorate through the device. -D must FAIL qdevice-votes alone and explain the
# default; after its fix (votes: 1, corosync-cfgtool -R) the device counts and -D is clean.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=1 QDI_ALGO=lms QDI_QDEV_VOTES=
qdi_begin 16-lms1 "${QDI_SCENARIO_TIMEOUT:-240}"
if [[ $QDEVICE_TOOL_BIN == "$QDI_UPSTREAM_QDEVICE_TOOL_BIN" ]]; then
    qdi_log "-D is a feature of our corosync-qdevice-tool"
    exit 77
fi
qdi_cluster_up
qdi_is n1 qdev_votes=0 || qdi_fail "the device should carry 0 votes: $(qdi_state_str n1; echo "$REPLY")"

qdi_diagnose n1 2 qdevice-votes ""
grep -q '^FAIL qdevice-votes: the quorum device carries 0 votes: with algorithm lms and no quorum.device.votes, corosync gives it nodes - 1 = 1 - 1 = 0 votes' \
    "$QDI_DIAG_OUT" || qdi_fail "qdevice-votes text: $(grep qdevice-votes "$QDI_DIAG_OUT")"
grep -A1 '^FAIL qdevice-votes:' "$QDI_DIAG_OUT" | grep -q '^    fix: set votes: 1 in the quorum { device { } } section' ||
    qdi_fail "qdevice-votes fix: $(grep -A1 qdevice-votes "$QDI_DIAG_OUT")"

# The fix, as a user applies it.
QDI_QDEV_VOTES=1
qdi_write_conf
qdi_reload n1
qdi_await votes_fixed_seconds 60 qdi_p_all_full
qdi_diagnose n1 0 "" ""
qdi_pass
