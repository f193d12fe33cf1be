#!/usr/bin/env bash
# Scenario 10: every daemon of a 2-node cluster started at once (a cold boot), a node restarted while the
# other qdevice runs, and a reload that changes expected votes: the vote is counted without corosync or
# qnetd ever losing a qdevice. QDI_COLD_NODES=4 with QDI_COLD_NAME=11-coldstart4 is scenario 11.
# Timed: cold start -> every vote counted; restart -> counted again; reload -> new expected votes counted.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=${QDI_COLD_NODES:-2}
QDI_ALGO=ffsplit
qdi_begin "${QDI_COLD_NAME:-10-coldstart}" "${QDI_SCENARIO_TIMEOUT:-300}"

# Cold boot: qnetd, every corosync, every qdevice as soon as its corosync answers.
qdi_cold_start
qdi_await coldstart_seconds 120 qdi_p_all_full
qdi_hold 3 qdi_p_all_full

# The last node reboots (clean stop, then started as systemd starts it) while the others' qdevices run.
last=n$QDI_NODES
qdi_stop_node "$last"
rest=$(seq -s, 1 $((QDI_NODES - 1)))
qdi_await "" 60 qdi_p_quorate_with_vote n1 "$rest"
qdi_mark
qdi_boot "$last"
qdi_await rejoin_seconds 120 qdi_p_all_full
qdi_hold 3 qdi_p_all_full

# Two nodes added to the configuration that are not running yet (as `pvecm add` does before a new node
# starts): expected votes grow by two, every qdevice gets the notification, the vote stays counted.
# (votequorum shows the larger of the configured expected votes and the votes present, so one added
# node would not be visible with the device's vote counted.)
qdi_p_all_with_extra() {
    local h
    for h in "${QDI_NODE_LIST[@]}"; do
        qdi_p_quorate_with_vote "$h" "$QDI_ALL_CSV" || return 1
        qdi_is "$h" expected=$((QDI_NODES + 2)) || return 1
    done
}
QDI_EXTRA_NODES=2
qdi_write_conf
qdi_mark
qdi_reload n1
qdi_await reload_seconds 60 qdi_p_all_with_extra
qdi_hold 3 qdi_p_all_with_extra
# The qdevices passed the new node list with the new configuration version on to qnetd.
qdi_tool "$QDI_RUN/log/qnetd-tool-lv" arb "$QNETD_TOOL_BIN" -l -v || qdi_fail "corosync-qnetd-tool -l -v failed"
for h in $(qdi_nodes); do
    v=$(qdi_qdevice_field "$h" "Configuration version")
    [[ $v == "$QDI_CONFIG_VERSION" ]] || qdi_fail "$h: corosync-qdevice-tool shows configuration version '$v', not $QDI_CONFIG_VERSION"
    v=$(qdi_qnetd_field "${h#n}" "Configured node list" "$QDI_RUN/log/qnetd-tool-lv")
    [[ $v == "$(seq -s ', ' 1 $((QDI_NODES + QDI_EXTRA_NODES)))" ]] ||
        qdi_fail "qnetd shows configured node list '$v' for node ${h#n}"
    v=$(qdi_qnetd_field "${h#n}" "Configuration version" "$QDI_RUN/log/qnetd-tool-lv")
    [[ $v == "$QDI_CONFIG_VERSION" ]] || qdi_fail "qnetd shows configuration version '$v' for node ${h#n}, not $QDI_CONFIG_VERSION"
done

qdi_check_alive corosync $(qdi_nodes)
qdi_check_alive qdevice $(qdi_nodes)
qdi_check_no_stall
qdi_finish
