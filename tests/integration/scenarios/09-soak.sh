#!/usr/bin/env bash
# Scenario 9: safety soak: a bounded number of random partitions of a 4-node ffsplit cluster, arbiter links cut too.
# At no sampled instant may two quorate nodes have disjoint memberships (and
# the corosync logs, replayed at the end, must not show it between samples
# either).  After healing, every node must be quorate with every vote (for 8 s
# in a row: a sample right after the heal can still show the state before the
# last partition was noticed) and no daemon may have died.  QDI_SOAK_SEED
# repeats a run.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=4 QDI_ALGO=ffsplit
# Count sampled split brains instead of stopping at the first: the whole
# run's logs then show how long each lasted.
QDI_SPLIT_BRAIN_FATAL=${QDI_SOAK_SPLIT_BRAIN_FATAL:-0}
# The upstream control records its own split brains instead of failing on
# them (lib/qdi.sh, QDI_UPSTREAM_SPLIT_BRAIN_FATAL); any of our programs fails.
QDI_UPSTREAM_SPLIT_BRAIN_FATAL=0
: "${QDI_SOAK_ROUNDS:=15}"          # topologies
: "${QDI_SOAK_MIN_S:=3}"            # each held for MIN..MAX seconds
: "${QDI_SOAK_MAX_S:=8}"
: "${QDI_SOAK_ARB_CUT_PCT:=15}"     # chance of a node losing its arbiter link
: "${QDI_SOAK_HEALED_PCT:=20}"      # chance of a fully connected round
# A fixed default seed keeps the control reproducible: random topologies
# sometimes hit a corosync 3.1.7 votequorum race that makes two partitions
# quorate for up to one qdevice poll interval (README, "Upstream findings";
# QDI_SOAK_SEED=1008892673 reproduces it).  QDI_SOAK_SEED=random explores.
: "${QDI_SOAK_SEED:=799678471}"
[[ $QDI_SOAK_SEED == random ]] && QDI_SOAK_SEED=$(((RANDOM << 15) | RANDOM))
qdi_begin 09-soak "${QDI_SCENARIO_TIMEOUT:-600}"
qdi_metric seed "$QDI_SOAK_SEED"
qdi_log "soak: $QDI_SOAK_ROUNDS rounds, seed $QDI_SOAK_SEED"
qdi_cluster_up

quorate_samples=0 idle_samples=0
count_sample() {
    local h any=0
    for h in "${QDI_NODE_LIST[@]}"; do [[ ${QDI_QS[$h.quorate]} == 1 ]] && any=1; done
    ((any)) && quorate_samples=$((quorate_samples + 1)) || idle_samples=$((idle_samples + 1))
}
QDI_ON_SAMPLE=count_sample

RANDOM=$QDI_SOAK_SEED
for ((r = 1; r <= QDI_SOAK_ROUNDS; r++)); do
    groups=("" "" "")
    noarb=()
    if ((RANDOM % 100 < QDI_SOAK_HEALED_PCT)); then
        ng=1
    else
        ng=$((2 + RANDOM % 2))
    fi
    for h in $(qdi_nodes); do
        g=$((RANDOM % ng))
        groups[g]+="${groups[g]:+ }$h"
        ((RANDOM % 100 < QDI_SOAK_ARB_CUT_PCT)) && noarb+=("$h")
    done
    hold=$((QDI_SOAK_MIN_S + RANDOM % (QDI_SOAK_MAX_S - QDI_SOAK_MIN_S + 1)))
    desc=""
    for ((g = 0; g < ng; g++)); do [[ -n ${groups[g]} ]] && desc+="{${groups[g]// /,}}"; done
    qdi_log "round $r/$QDI_SOAK_ROUNDS: $desc arbiter cut from: ${noarb[*]:-none}, ${hold}s"
    qdi_partition "${groups[@]:0:ng}" -- "${noarb[@]}"
    qdi_watch "$hold"
done
QDI_ON_SAMPLE=""

qdi_mark
qdi_heal_all
qdi_await_stable final_heal_seconds 120 8 qdi_p_all_full
qdi_metric rounds "$QDI_SOAK_ROUNDS"
qdi_metric quorate_samples "$quorate_samples"
qdi_metric no_quorum_samples "$idle_samples"
qdi_check_alive corosync n1 n2 n3 n4
qdi_check_alive qdevice n1 n2 n3 n4
qdi_check_alive qnetd arb
qdi_finish
