#!/usr/bin/env bash
# Scenario 13: expired server certificates: one from a CA the nodes trust is accepted (as upstream does), an expired self-signed impostor is refused by our qdevice.
# Upstream's qdevice accepts the impostor (doc/hardening.md §4.1); with it the scenario checks that it
# still does, which proves the impostor is one the unfixed hook lets through.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
qdi_begin 13-tls-expired "${QDI_SCENARIO_TIMEOUT:-300}"
qdi_cluster_up

upstream_qdevice=0
[[ $QDEVICE_BIN == "$QDI_UPSTREAM_QDEVICE_BIN" ]] && upstream_qdevice=1
p_no_vote() { qdi_is "$1" quorate=1 members=1,2 total=2 qdev_cast=0 qdev_votes=0; }
db=$QDI_NSS_QNETD
serial=900

# new_server_cert KIND: qnetd restarted with a new "QNetd Cert" (subject CN=Qnetd Server):
#   expired   valid 23 to 22 months ago, issued by "QNet Old CA" (valid from 24 months ago for 3
#             years, trusted by the nodes): an honest arbiter whose certificate ran out. It cannot
#             come from "QNet CA", which was made a minute ago: nothing it issued can have expired
#             while it was valid.
#   impostor  self-signed, same subject and dates, from a CA nobody trusts
#   valid     issued by QNet CA, valid from now for 10 years
new_server_cert() {
    local kind=$1 args rc=0 h
    serial=$((serial + 1))
    case $kind in
    expired) args=(-c "QNet Old CA" -t ",," -w -23 -v 1) ;;
    impostor) args=(-x -t ",," -w -23 -v 1) ;;
    valid) args=(-c "QNet CA" -t ",," -v 120) ;;
    esac
    qdi_stop_qnetd || qdi_fail "qnetd was not running"
    {
        echo "### $kind server certificate"
        qdi_hx_t 30 arb sh -c "head -c 64 /dev/urandom >'$db/qdi-noise.bin'"
        if [[ $kind == expired ]]; then
            qdi_hx_t 60 arb certutil -S -d "$db" -f "$db/pwdfile.txt" -z "$db/qdi-noise.bin" -n "QNet Old CA" \
                -s "CN=QNet Old CA" -x -t "CT,," -m "$((serial + 100))" -w -24 -v 36 -2 <<<$'y\n0\ny\n' || rc=1
            qdi_hx_t 30 arb certutil -L -d "$db" -n "QNet Old CA" -a -o "$db/qdi-old-ca.pem" || rc=1
            for h in $(qdi_nodes); do
                qdi_copy "arb:$db/qdi-old-ca.pem" "$h:$QDI_XFER/qdi-old-ca.pem" || rc=1
                qdi_hx_t 30 "$h" certutil -A -d "$QDI_NSS_NODE" -n "QNet Old CA" -t "CT,c,c" -a \
                    -i "$QDI_XFER/qdi-old-ca.pem" || rc=1
            done
        fi
        qdi_hx_t 30 arb certutil -D -d "$db" -n "QNetd Cert" || rc=1
        qdi_hx_t 60 arb certutil -S -d "$db" -f "$db/pwdfile.txt" -z "$db/qdi-noise.bin" -n "QNetd Cert" \
            -s "CN=Qnetd Server" -m "$serial" "${args[@]}" || rc=1
        echo "### exit status $rc"
        qdi_hx_t 30 arb certutil -L -d "$db" -n "QNetd Cert"
    } >>"$QDI_RUN/log/certs.log" 2>&1
    ((rc == 0)) || qdi_fail "could not make the $kind server certificate; see log/certs.log"
    qdi_event "qnetd restarted with a $kind server certificate"
    qdi_start_qnetd
    qdi_wait_qnetd
}

# Expired, from a CA the nodes trust: accepted with a warning, the vote comes back.
qdi_mark
new_server_cert expired
qdi_await expired_vote_seconds 90 qdi_p_all_full
# shellcheck disable=SC2046
qdi_log_has 'Server certificate is expired\.' "expired certificate from a trusted CA" $(qdi_qdevice_logs)

# Expired and self-signed with the right name: a man in the middle's certificate.
qdi_mark
new_server_cert impostor
if ((upstream_qdevice)); then
    qdi_await impostor_vote_seconds 90 qdi_p_all_full
    qdi_log "upstream qdevice accepted the expired self-signed impostor and holds qnetd's vote (known flaw)"
    qdi_metric impostor_accepted 1
else
    qdi_await vote_drop_seconds 60 qdi_all p_no_vote
    # Long enough for several reconnect attempts, each of which must be refused.
    qdi_watch 20
    qdi_all p_no_vote || qdi_fail "a qdevice got a vote through the impostor:$(qdi_state_str)"
    # shellcheck disable=SC2046
    qdi_log_has 'does not verify for .Qnetd Server. within its validity period' "impostor refused" \
        $(qdi_qdevice_logs)
    qdi_metric impostor_accepted 0
fi

# A valid certificate again: everything back.
qdi_mark
new_server_cert valid
qdi_await valid_vote_seconds 90 qdi_p_all_full
qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_finish
