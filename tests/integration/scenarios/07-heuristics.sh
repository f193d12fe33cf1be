#!/usr/bin/env bash
# Scenario 7: heuristics in mode sync, then mode on: a failing command makes its partition lose the 50:50 tie.
# 2 nodes, ffsplit, tie_breaker lowest: without heuristics n1 would win a
# split.  Its heuristics command fails, so n2 must win.  In mode sync the
# command runs only at membership changes (the arbiter still shows n1's
# earlier Pass until the split); in mode on it also runs every interval and
# the arbiter learns of the failure before any split.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
QDI_HEUR_EXEC=$QDI_HEUR_CHECK QDI_HEUR_INTERVAL=1000
qdi_begin 07-heuristics "${QDI_SCENARIO_TIMEOUT:-300}"

p_n2_wins() { qdi_p_quorate_with_vote n2 2 && qdi_is n1 up=1 quorate=0 members=1; }

# --- mode sync ---------------------------------------------------------------
QDI_HEUR_MODE=sync
qdi_cluster_up
qdi_await "" 20 qdi_p_qnetd_heur 1 "Pass (membership: Pass"
v=$(qdi_qdevice_field n1 Heuristics)
[[ $v == "Enabled only on sync" ]] || qdi_fail "n1 qdevice-tool: Heuristics '$v', expected 'Enabled only on sync'"
qdi_heur_fail n1
qdi_watch 3
# No regular runs in mode sync: the arbiter still has n1's Pass.
v=$(qdi_qnetd_heur 1)
[[ $v == Pass* ]] || qdi_fail "mode sync: arbiter shows n1 heuristics '$v' before any membership change (expected Pass)"
qdi_all qdi_p_quorate || qdi_fail "mode sync: lost quorum without a split:$(qdi_state_str)"
qdi_mark
qdi_cut n1 n2
qdi_await sync_split_seconds 60 p_n2_wins
qdi_hold 3 p_n2_wins
v=$(qdi_qnetd_heur 1)
[[ $v == "Fail (membership: Fail"* ]] || qdi_fail "mode sync: arbiter shows n1 heuristics '$v' after the split"
qdi_heur_pass n1
qdi_mark
qdi_heal n1 n2
qdi_await sync_heal_seconds 60 qdi_p_all_full

# --- mode on -----------------------------------------------------------------
# Stop the qdevices, switch the mode in corosync.conf, reload, start them.
for h in n1 n2; do
    qdi_stop_qdevice "$h"
    rc=$(qdi_exit_status "$h" qdevice)
    [[ $rc == 0 ]] || qdi_fail "qdevice on $h exited with status $rc after SIGTERM (expected 0)"
done
QDI_HEUR_MODE=on
qdi_write_conf
qdi_reload n1
for h in n1 n2; do qdi_start_qdevice "$h"; done
qdi_await "" 60 qdi_p_all_full
qdi_await "" 20 qdi_p_qnetd_heur 1 "Pass"
v=$(qdi_qdevice_field n1 Heuristics)
[[ $v == Enabled ]] || qdi_fail "n1 qdevice-tool: Heuristics '$v', expected 'Enabled'"
qdi_mark
qdi_heur_fail n1
qdi_await regular_fail_seconds 20 qdi_p_qnetd_heur 1 "Fail"
v=$(qdi_qnetd_heur 1)
[[ $v == *"regular: Fail"* ]] || qdi_fail "mode on: arbiter shows n1 heuristics '$v' (expected regular: Fail)"
# Our qdevice names the failing command in its JSON status (doc/status-json.md §3).
if [[ $QDEVICE_BIN != "$QDI_UPSTREAM_QDEVICE_BIN" ]]; then
    L=$QDI_RUN/log
    qdi_hq 5 n1 "$QDEVICE_TOOL_BIN" -j >"$L/qdevice-tool-j.heur" 2>&1 || qdi_fail "corosync-qdevice-tool -j on n1 failed"
    python3 "$QDI_LIB/../json/check-json.py" "$QDI_LIB/../../../doc/schema/qdevice-status.schema.json" \
        heuristics.mode=on heuristics.result=fail heuristics.commands.0.result=fail \
        <"$L/qdevice-tool-j.heur" >"$L/qdevice-tool-j.heur.check" 2>&1 ||
        qdi_fail "corosync-qdevice-tool -j on n1: $(head -n 3 "$L/qdevice-tool-j.heur.check" | tr '\n' ' ')"
fi
qdi_hold 2 qdi_p_all_full
qdi_mark
qdi_cut n1 n2
qdi_await on_split_seconds 60 p_n2_wins
qdi_hold 3 p_n2_wins
qdi_heur_pass n1
qdi_mark
qdi_heal n1 n2
qdi_await on_heal_seconds 60 qdi_p_all_full
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
