#!/usr/bin/env bash
# Scenario 12: what an administrator reads: our daemons' start-up, connection and vote lines on stderr in the
# foreground with and without -d, and the same lines in syslog (a stand-in /dev/log in the hosts' views).
# Runs for the combinations with at least one of our daemons; it checks only ours.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 12-logging "${QDI_SCENARIO_TIMEOUT:-240}"
QDI_DAEMON_DEBUG=0

sink=${QDI_SYSLOG_SINK:-$QDI_BUILD_DIR/tests/integration/logging/qdi_syslog_sink}
[[ -x $sink ]] || { QDI_STATUS=skip QDI_REASON="qdi_syslog_sink is not built"; echo "SKIP: $QDI_REASON"; exit 77; }
check_qnetd=0 check_qdevice=0
((QDI_QNETD_OURS)) && check_qnetd=1
((QDI_QDEVICE_OURS)) && check_qdevice=1
if ((!check_qnetd && !check_qdevice)); then
    QDI_STATUS=skip QDI_REASON="combination $QDI_COMBO runs none of our daemons"
    echo "SKIP: $QDI_REASON"
    exit 77
fi

qdi_net_create
qdi_hosts_create
qdi_write_conf
qdi_certs

# One syslog stand-in per host that runs a daemon of ours; its socket is that host's /dev/log.
L=$QDI_RUN/log
for h in arb n1 n2; do
    qdi_spawn "$h" syslog "$sink" "$L/syslog-$h.sock" "$L/syslog-$h.txt"
    _qdi_wait_until 5 0.05 test -S "$L/syslog-$h.sock" || qdi_fail "syslog stand-in on $h did not start"
done
start_qnetd() { QDI_DEVLOG=$L/syslog-arb.sock qdi_start_qnetd; }
start_qdevice() { QDI_DEVLOG=$L/syslog-$1.sock qdi_start_qdevice "$1"; }

# Every daemon without -d.
start_qnetd
for h in n1 n2; do qdi_start_corosync "$h"; done
qdi_wait_qnetd
qdi_await "" 60 qdi_all qdi_p_all_members
qdi_mark
for h in n1 n2; do start_qdevice "$h"; done
qdi_await qdevice_seconds 60 qdi_p_all_full

out_arb=$(qdi_hostdir arb)/log/qnetd.out
out_n1=$(qdi_hostdir n1)/log/qdevice.out
out_n2=$(qdi_hostdir n2)/log/qdevice.out
ip_arb=$(qdi_ip arb)
# The lines a daemon's log must show: on stderr as "Mon DD HH:MM:SS <prio> <text>", in syslog as
# "<facility*8+prio>Mon DD HH:MM:SS <ident>[<pid>]: <text>" (facility daemon = 3).
qnetd_lines=(
    "notice TLS is optional \(-s on\): clients may join without TLS and without a certificate; -s req refuses them"
    "info QNetd ready to provide service"
    "info Client [^ ]*198\.18\.7\.1:[0-9]+ joined cluster 'qdi' as node 1 \(algorithm Fifty-Fifty split, heartbeat [0-9]+ ms, TLS, client certificate verified\)"
    "info Client [^ ]*198\.18\.7\.2:[0-9]+ joined cluster 'qdi' as node 2 \(algorithm Fifty-Fifty split, heartbeat [0-9]+ ms, TLS, client certificate verified\)"
)
qdevice_lines=(
    "info Configuration: model net, algorithm Fifty-Fifty split, qnetd ${ip_arb//./\\.}:5403, tls on, node id [12], 2 configured nodes"
    "notice QDevice ready to provide service"
    "notice Connected to qnetd server ${ip_arb//./\\.}:5403 \(TLS with client certificate\)"
)
prio_num() { case $1 in crit) echo 26 ;; error) echo 27 ;; warning) echo 28 ;; notice) echo 29 ;; info) echo 30 ;; debug) echo 31 ;; esac; }
# expect_log FILE-STDERR FILE-SYSLOG IDENT "PRIO TEXT-ERE"...: every line in both.
expect_log() {
    local err=$1 sys=$2 ident=$3 l prio text
    shift 3
    for l in "$@"; do
        prio=${l%% *} text=${l#* }
        qdi_log_has "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} $(printf '%-7s' "$prio") $text\$" "stderr" "$err"
        qdi_log_has "^<$(prio_num "$prio")>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} $ident\[[0-9]+\]: $text\$" "syslog" "$sys"
    done
}
# qdi_log_has needs the lines to have arrived: syslog is written at once, so a short settle suffices.
_qdi_vote_logged() { grep -q 'Vote is now ACK' "$out_n1" && grep -q 'Vote is now ACK' "$out_n2"; }
if ((check_qdevice)); then
    _qdi_wait_until 10 0.1 _qdi_vote_logged || qdi_fail "no 'Vote is now ACK' line from both qdevices"
    for h in n1 n2; do
        expect_log "$(qdi_hostdir $h)/log/qdevice.out" "$L/syslog-$h.txt" corosync-qdevice "${qdevice_lines[@]}" \
            "notice Vote is now ACK: this node casts the quorum device's vote"
        qdi_log_lacks '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} debug ' "debug line without -d" "$(qdi_hostdir $h)/log/qdevice.out"
    done
fi
if ((check_qnetd)); then
    expect_log "$out_arb" "$L/syslog-arb.txt" corosync-qnetd "${qnetd_lines[@]}"
    qdi_log_lacks '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} debug ' "debug line without -d" "$out_arb"
fi

# qnetd restarted with -d: both qdevices say they lost it and come back; qnetd logs debug lines now.
qdi_stop_qnetd || qdi_fail "qnetd did not stop"
qdi_await "" 30 qdi_all qdi_p_quorate
QDI_DAEMON_DEBUG=1
start_qnetd
qdi_await "" 60 qdi_p_all_full
if ((check_qdevice)); then
    for h in n1 n2; do
        expect_log "$(qdi_hostdir $h)/log/qdevice.out" "$L/syslog-$h.txt" corosync-qdevice \
            "warning Disconnected from qnetd server \(server closed connection\); reconnecting" \
            "notice Vote is now NACK: this node no longer casts the quorum device's vote"
    done
fi
if ((check_qnetd)); then
    expect_log "$out_arb" "$L/syslog-arb.txt" corosync-qnetd "info Closing 2 client connections"
    qdi_count_lines "$out_arb" 2 ' info    QNetd ready to provide service$'
    qdi_count_lines "$out_arb" 4 " info    Client .* joined cluster 'qdi' as node [12] "
    qdi_log_has '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} debug   ' "qnetd -d writes debug lines" "$out_arb"
fi

# n1's qdevice restarted with -d: debug lines on stderr, its clean stop logged.
qdi_stop_qdevice n1 || qdi_fail "qdevice on n1 did not stop"
[[ $(qdi_exit_status n1 qdevice) == 0 ]] || qdi_fail "qdevice on n1 exited $(qdi_exit_status n1 qdevice) on SIGTERM"
start_qdevice n1
qdi_await "" 60 qdi_p_all_full
if ((check_qdevice)); then
    expect_log "$out_n1" "$L/syslog-n1.txt" corosync-qdevice \
        "notice Disconnected from qnetd server \(local socket closed\); exiting"
    qdi_log_has '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} debug   Sending preinit msg to qnetd$' "qdevice -d" "$out_n1"
    # With -d the start-up and connection lines are there as without: two starts, three connections.
    qdi_count_lines "$out_n1" 2 ' notice  QDevice ready to provide service$'
    qdi_count_lines "$out_n1" 3 ' notice  Connected to qnetd server '
    qdi_count_lines "$out_n2" 2 ' notice  Connected to qnetd server ' 
    # -d alone keeps debug lines out of syslog's info stream: they go there at debug priority.
    qdi_log_has '^<31>.* corosync-qdevice\[[0-9]+\]: Sending preinit msg to qnetd$' "syslog debug" "$L/syslog-n1.txt"
fi
if ((check_qnetd)); then
    expect_log "$out_arb" "$L/syslog-arb.txt" corosync-qnetd \
        "info Client [^ ]*198\.18\.7\.1:[0-9]+ \(cluster 'qdi', node 1\) disconnected: [a-z ]+"
fi
qdi_finish
