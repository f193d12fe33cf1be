#!/usr/bin/env bash
# Scenario 6: 3 nodes with lms and quorum.device.votes unset: the device gives nodes-1 = 2 votes; a lone survivor stays quorate.
# n2 and n3 crash at the same moment; n1 (1 + 2 of 5 votes) must stay quorate.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=3 QDI_ALGO=lms
qdi_begin 06-lms3 "${QDI_SCENARIO_TIMEOUT:-240}"
qdi_cluster_up
p_lms_full() { qdi_is "$1" expected=5 total=5 quorum=3 qdev_votes=2 local_flags=A,V,NMW; }
qdi_all p_lms_full || qdi_fail "unexpected vote counts:$(qdi_state_str)"
qdi_metric expected_votes "$(qdi_q n1 expected)"

QDI_ALWAYS="qdi_p_quorate_or_busy n1" QDI_ALWAYS_DESC="n1 quorate"
qdi_mark
qdi_crash_many n2 n3
qdi_await survivor_seconds 60 qdi_p_quorate_with_vote n1 1
qdi_hold 4 qdi_p_quorate_with_vote n1 1
qdi_is n1 total=3 quorum=3 || qdi_fail "survivor: unexpected votes:$(qdi_state_str)"
qdi_check_alive corosync n1
qdi_check_alive qdevice n1
qdi_finish
