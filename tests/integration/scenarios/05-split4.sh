#!/usr/bin/env bash
# Scenario 5: 4 nodes split 2+2 with ffsplit, every node still reaches the arbiter: exactly one half is quorate.
# With the default tie_breaker (lowest) that is {n1,n2}.  Heal -> all quorate.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=4 QDI_ALGO=ffsplit
qdi_begin 05-split4 "${QDI_SCENARIO_TIMEOUT:-300}"
qdi_cluster_up

p_halves() {
    qdi_p_quorate_with_vote n1 1,2 && qdi_p_quorate_with_vote n2 1,2 &&
        qdi_is n3 up=1 quorate=0 members=3,4 && qdi_is n4 up=1 quorate=0 members=3,4
}
qdi_mark
qdi_partition "n1 n2" "n3 n4"
qdi_await split_seconds 90 p_halves
qdi_hold 4 p_halves

qdi_mark
qdi_heal_all
qdi_await heal_seconds 90 qdi_p_all_full
qdi_check_alive corosync n1 n2 n3 n4
qdi_check_alive qdevice n1 n2 n3 n4
qdi_finish
