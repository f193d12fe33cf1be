#!/usr/bin/env bash
# Scenario 4: the arbiter stops (SIGTERM) and starts again: both nodes stay quorate throughout; the vote returns after the restart.
# Timed: stop -> device vote gone on both nodes; start -> vote back on both.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
: "${QDI_ARB_DOWN_S:=5}"
qdi_begin 04-arbiter-restart "${QDI_SCENARIO_TIMEOUT:-240}"
qdi_cluster_up

# From here on every node must be quorate on every sample.
QDI_ALWAYS="qdi_all qdi_p_quorate_or_busy" QDI_ALWAYS_DESC="every node quorate"
p_no_vote() { qdi_is "$1" quorate=1 members=1,2 total=2 qdev_cast=0 qdev_votes=0; }

qdi_mark
qdi_stop_qnetd || qdi_fail "qnetd was not running"
rc=$(qdi_exit_status arb qnetd)
[[ $rc == 0 ]] || qdi_fail "qnetd exited with status $rc after SIGTERM (expected 0)"
qdi_await vote_drop_seconds 60 qdi_all p_no_vote
qdi_watch "$QDI_ARB_DOWN_S"
qdi_all p_no_vote || qdi_fail "state changed while qnetd was down:$(qdi_state_str)"

qdi_mark
qdi_start_qnetd
qdi_await vote_back_seconds 60 qdi_p_all_full
qdi_hold 2 qdi_p_all_full
qdi_metric arbiter_down_s "$QDI_ARB_DOWN_S"
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
