#!/usr/bin/env bash
# Scenario 2: a node crashes (SIGKILL corosync + qdevice): the survivor stays quorate and counts the qdevice vote.
# Timed: kill -> survivor quorate alone with the vote; restart -> both full again.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 02-crash "${QDI_SCENARIO_TIMEOUT:-240}"
qdi_cluster_up

# n1 must never answer "not quorate" from the kill on (no answer while
# corosync forms the new membership is allowed).
QDI_ALWAYS="qdi_p_quorate_or_busy n1" QDI_ALWAYS_DESC="n1 quorate"
qdi_mark
qdi_crash n2
qdi_await survivor_seconds 60 qdi_p_quorate_with_vote n1 1
qdi_hold 3 qdi_p_quorate_with_vote n1 1
QDI_ALWAYS=""

# The crashed node comes back (as systemd would start it after a reboot).
qdi_mark
qdi_start_corosync n2
qdi_wait_corosync n2
qdi_start_qdevice n2
qdi_await rejoin_seconds 60 qdi_p_all_full
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
