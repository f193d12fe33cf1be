#!/usr/bin/env bash
# Scenario 3: only the n1<->n2 link is cut, both still reach the arbiter: exactly the tie-breaker's side is quorate; heal -> both quorate.
# tie_breaker is set to "highest" (not the default) so the winner is n2: an
# arbiter that ignored the option and picked the lowest id would fail here.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit QDI_TIE_BREAKER=${QDI_TIE_BREAKER:-highest}
case $QDI_TIE_BREAKER in
lowest) win=n1 lose=n2 ;;
highest) win=n2 lose=n1 ;;
1) win=n1 lose=n2 ;;
2) win=n2 lose=n1 ;;
*) echo "QDI_TIE_BREAKER must be lowest, highest, 1 or 2" >&2; exit 2 ;;
esac
qdi_begin 03-cut "${QDI_SCENARIO_TIMEOUT:-240}"
qdi_cluster_up

p_split() {
    qdi_p_quorate_with_vote "$win" "${win#n}" && qdi_is "$lose" up=1 quorate=0 members="${lose#n}"
}
qdi_mark
qdi_cut n1 n2
qdi_await split_seconds 60 p_split
qdi_hold 4 p_split
qdi_metric winner "$win"

qdi_mark
qdi_heal n1 n2
qdi_await heal_seconds 60 qdi_p_all_full
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
