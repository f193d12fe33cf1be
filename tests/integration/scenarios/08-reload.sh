#!/usr/bin/env bash
# Scenario 8: a heuristics change in corosync.conf + `corosync-cfgtool -R` is applied by the running qdevices, without a restart.
# 2 nodes, ffsplit, tie_breaker lowest, no heuristics at first.  n1's future
# heuristics command fails.  After the reload (mode on) the arbiter must see
# n1's Fail, the qdevice PIDs must be unchanged, and a split must go to n2.
# A second reload (mode off) must switch heuristics off again.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 08-reload "${QDI_SCENARIO_TIMEOUT:-240}"
qdi_cluster_up
pids_before="$(qdi_pid n1 qdevice) $(qdi_pid n2 qdevice)"
v=$(qdi_qdevice_field n1 Heuristics)
[[ $v == Disabled ]] || qdi_fail "n1 qdevice-tool: Heuristics '$v' before the change, expected 'Disabled'"

qdi_heur_fail n1
QDI_HEUR_MODE=on QDI_HEUR_EXEC=$QDI_HEUR_CHECK QDI_HEUR_INTERVAL=1000
qdi_write_conf
qdi_mark
qdi_reload n1
qdi_await apply_seconds 30 qdi_p_qnetd_heur 1 "Fail"
qdi_await "" 20 qdi_p_qnetd_heur 2 "Pass"
for h in n1 n2; do
    v=$(qdi_qdevice_field "$h" Heuristics)
    [[ $v == Enabled ]] || qdi_fail "$h qdevice-tool: Heuristics '$v' after the reload, expected 'Enabled'"
done
v=$(qdi_qdevice_field n1 "Heuristics result")
[[ $v == Fail* ]] || qdi_fail "n1 qdevice-tool: Heuristics result '$v', expected Fail"
pids_after="$(qdi_pid n1 qdevice) $(qdi_pid n2 qdevice)"
[[ $pids_after == "$pids_before" ]] || qdi_fail "qdevice restarted ($pids_before -> $pids_after)"
qdi_hold 2 qdi_p_all_full

p_n2_wins() { qdi_p_quorate_with_vote n2 2 && qdi_is n1 up=1 quorate=0 members=1; }
qdi_mark
qdi_cut n1 n2
qdi_await split_seconds 60 p_n2_wins
qdi_hold 3 p_n2_wins
qdi_heur_pass n1
qdi_mark
qdi_heal n1 n2
qdi_await heal_seconds 60 qdi_p_all_full

# Back to mode off, again without a restart.
QDI_HEUR_MODE=off
qdi_write_conf
qdi_mark
qdi_reload n1
p_disabled() { [[ $(qdi_qdevice_field n1 Heuristics) == Disabled && $(qdi_qdevice_field n2 Heuristics) == Disabled ]]; }
qdi_await off_seconds 30 p_disabled
pids_after="$(qdi_pid n1 qdevice) $(qdi_pid n2 qdevice)"
[[ $pids_after == "$pids_before" ]] || qdi_fail "qdevice restarted ($pids_before -> $pids_after)"
qdi_hold 2 qdi_p_all_full
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
