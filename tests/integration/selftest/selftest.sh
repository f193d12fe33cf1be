#!/usr/bin/env bash
# Offline self-test of the harness's parsers and pure helpers (no root, no namespaces, a few seconds).
# Prints one line per check and "N passed, M failed"; exit status 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fx=$here/fixtures
# shellcheck source=../lib/qdi.sh
source "$here/../lib/qdi.sh"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # NAME GOT WANT
    if [[ $2 == "$3" ]]; then ok "$1"; else bad "$1"; echo "     got:  $2"; echo "     want: $3"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- corosync-quorumtool -s parser: real upstream outputs ----------------------
while IFS=$'\t' read -r name rc want; do
    check "parse quorumtool $name" "$(qdi_parse_quorumtool "$rc" <"$fx/quorumtool-$name.txt")" "$want"
done <"$fx/quorumtool.expected"

# --- state accessors, summaries, the sampled split-brain invariant -------------
QDI_NODES=3
_qdi_node_list
load() { # HOST FIXTURE RC
    _qdi_parse "$3" <"$fx/quorumtool-$2.txt"
    _qdi_store "$1"
}
load n1 split-n1 0
load n2 split-n2 2
load n3 down-n2 1
QDI_QS[n3.rc]=down
_qdi_short n1; check "short quorate" "$REPLY" "Q{1}v2:A,V,NMW"
_qdi_short n2; check "short not quorate" "$REPLY" "-{2}v1:A,NV,NMW"
_qdi_short n3; check "short down" "$REPLY" "x"
if qdi_disjoint_quorate; then bad "no split brain with one quorate node ($REPLY)"; else ok "no split brain with one quorate node"; fi
# n2 claims quorum with {2} while n1 has {1}: disjoint.
QDI_QS[n2.quorate]=1
if qdi_disjoint_quorate; then check "split brain detected" "$REPLY" "n1{1} and n2{2}"; else bad "split brain not detected"; fi
# Query windows: overlapping answers may describe one instant, answers 1.5 s apart cannot.
QDI_QS[n1.qs]=1000000 QDI_QS[n1.qe]=1200000 QDI_QS[n2.qs]=1100000 QDI_QS[n2.qe]=1300000
if _qdi_skewed n1 n2; then bad "overlapping query windows counted as skewed"; else ok "overlapping query windows"; fi
QDI_QS[n2.qs]=2700000 QDI_QS[n2.qe]=2800000
if _qdi_skewed n1 n2; then check "skewed query windows" "$REPLY" 1500; else bad "skewed query windows not seen"; fi
if _qdi_skewed n2 n1; then check "skewed either way" "$REPLY" 1500; else bad "skewed either way"; fi
QDI_QS[n2.qs]=0
if _qdi_skewed n1 n2; then bad "a window without times counted as skewed"; else ok "no times, no skew"; fi
# n2 still shows the old membership {1,2}: not disjoint.
QDI_QS[n2.members]=1,2
if qdi_disjoint_quorate; then bad "stale superset counted as split brain ($REPLY)"; else ok "stale superset is not a split brain"; fi
QDI_NODES=2
_qdi_node_list
load n1 healthy-n1 0
load n2 healthy-n1 0
QDI_QS[n2.nodeid]=2
QDI_ALGO=ffsplit
if qdi_p_all_full; then ok "qdi_p_all_full on healthy"; else bad "qdi_p_all_full on healthy"; fi
load n2 noqnetd-n1 0
if qdi_p_all_full; then bad "qdi_p_all_full without the vote"; else ok "qdi_p_all_full false without the vote"; fi
load n1 split-n1 0
if qdi_p_quorate_with_vote n1 1; then ok "quorate alone with vote"; else bad "quorate alone with vote"; fi
load n2 split-n2 2
if qdi_p_not_quorate n2; then ok "not quorate"; else bad "not quorate"; fi
load n2 timeout 124
if qdi_p_quorate_or_busy n2; then ok "no answer counts as busy"; else bad "no answer counts as busy"; fi
QDI_QS[n2.rc]=down
if qdi_p_quorate_or_busy n2; then bad "down counted as busy"; else ok "down is not busy"; fi

# --- tool outputs ---------------------------------------------------------------
check "qnetd-tool heuristics of node 1" "$(qdi_qnetd_field 1 Heuristics "$fx/qnetd-tool-lv.txt")" \
    "Undefined (membership: Undefined, regular: Undefined)"
check "qnetd-tool vote of node 2" "$(qdi_qnetd_field 2 Vote "$fx/qnetd-tool-lv.txt")" "No change (ACK)"
check "qnetd-tool TLS of node 2" "$(qdi_qnetd_field 2 "TLS active" "$fx/qnetd-tool-lv.txt")" \
    "Yes (client certificate verified)"
check "qnetd-tool absent node" "$(qdi_qnetd_field 3 Vote "$fx/qnetd-tool-lv.txt")" ""
check "qdevice-tool Heuristics" "$(qdi_field "$fx/qdevice-tool-sv.txt" Heuristics)" "Disabled"
check "qdevice-tool State" "$(qdi_field "$fx/qdevice-tool-sv.txt" State)" "Connected"
check "qdevice-tool TLS active" "$(qdi_field "$fx/qdevice-tool-sv.txt" "TLS active")" "Yes (client certificate sent)"

# --- corosync log replay (logevents.awk + logcheck.awk) --------------------------
logcheck() { # writes n1.log n2.log events.log in $tmp first
    {
        awk -v node=n1 -f "$QDI_LIB/logevents.awk" "$tmp/n1.log"
        awk -v node=n2 -f "$QDI_LIB/logevents.awk" "$tmp/n2.log"
        awk -f "$QDI_LIB/logevents.awk" "$tmp/events.log"
    } | sort -s -n -k1,1 | awk -f "$QDI_LIB/logcheck.awk"
}
L() { echo "Nov 22 $1 [123] vm corosync notice  [QUORUM] $2"; }
base() {
    L 04:59:58.000 "This node is within the primary component and will provide service." >"$tmp/n1.log"
    L 04:59:58.000 "Members[2]: 1 2" >>"$tmp/n1.log"
    L 04:59:58.100 "This node is within the primary component and will provide service." >"$tmp/n2.log"
    L 04:59:58.100 "Members[2]: 1 2" >>"$tmp/n2.log"
    : >"$tmp/events.log"
}
# clean split: the loser leaves before the winner's new membership
base
L 04:59:59.990 "Sync members[1]: 2" >>"$tmp/n2.log"
L 04:59:59.995 "This node is within the non-primary component and will NOT provide service." >>"$tmp/n2.log"
L 04:59:59.995 "Members[1]: 2" >>"$tmp/n2.log"
L 05:00:00.010 "Members[1]: 1" >>"$tmp/n1.log"
check "log check: clean split" "$(logcheck | tail -n1)" "summary violations=0 events=7"
# overlap of 20 ms across a minute and hour boundary
base
L 04:59:59.990 "Members[1]: 1" >>"$tmp/n1.log"
L 04:59:59.995 "Members[1]: 2" >>"$tmp/n2.log"
L 05:00:00.015 "This node is within the non-primary component and will NOT provide service." >>"$tmp/n2.log"
L 05:00:00.015 "Members[1]: 2" >>"$tmp/n2.log"
check "log check: 20 ms overlap" "$(logcheck | head -n1)" \
    "violation start_ms=$(((((304 + 22) * 24 + 4) * 60 + 59) * 60000 + 59995)) duration_ms=20 nodes=n1{1}/n2{2}"
# hand-over within the same millisecond is not counted
base
L 05:00:00.015 "This node is within the non-primary component and will NOT provide service." >>"$tmp/n2.log"
L 05:00:00.015 "Members[1]: 2" >>"$tmp/n2.log"
L 05:00:00.015 "Members[1]: 1" >>"$tmp/n1.log"
check "log check: same-ms hand-over" "$(logcheck | tail -n1)" "summary violations=0 events=7"
# a killed node (harness event) no longer counts
base
echo "Nov 22 05:00:00.001 EVENT corosync-down n2 (SIGKILL corosync+qdevice)" >"$tmp/events.log"
L 05:00:02.000 "Members[1]: 1" >>"$tmp/n1.log"
check "log check: crashed node" "$(logcheck | tail -n1)" "summary violations=0 events=6"
# violation still open at the end of the logs
base
L 05:00:02.000 "Members[1]: 1" >>"$tmp/n1.log"
L 05:00:02.000 "Members[1]: 2" >>"$tmp/n2.log"
check "log check: open violation" "$(logcheck | head -n1 | sed 's/start_ms=[0-9]* //')" \
    "violation duration_ms=open nodes=n1{1}/n2{2}"

# --- combinations and skips --------------------------------------------------------
combo() { # COMBO -> the six programs, one line
    (
        unset QNETD_BIN QNETD_TOOL_BIN QNETD_CERTUTIL QDEVICE_BIN QDEVICE_TOOL_BIN QDEVICE_CERTUTIL
        QDI_COMBO=$1 QDI_BUILD_DIR=/b
        qdi_resolve_programs || exit $?
        echo "$QNETD_BIN $QNETD_TOOL_BIN $QNETD_CERTUTIL $QDEVICE_BIN $QDEVICE_TOOL_BIN $QDEVICE_CERTUTIL"
    )
}
up_n="/usr/bin/corosync-qnetd /usr/bin/corosync-qnetd-tool /usr/bin/corosync-qnetd-certutil"
up_d="/usr/sbin/corosync-qdevice /usr/sbin/corosync-qdevice-tool /usr/sbin/corosync-qdevice-net-certutil"
our_n="/b/qnetd/corosync-qnetd /b/qnetd/corosync-qnetd-tool /b/qnetd/corosync-qnetd-certutil"
our_d="/b/qdevice/corosync-qdevice /b/qdevice/corosync-qdevice-tool /b/qdevice/corosync-qdevice-net-certutil"
check "combo upstream" "$(combo upstream)" "$up_n $up_d"
check "combo ours" "$(combo ours)" "$our_n $our_d"
check "combo qnetd-ours" "$(combo qnetd-ours)" "$our_n $up_d"
check "combo qdevice-ours" "$(combo qdevice-ours)" "$up_n $our_d"
combo bogus >/dev/null
check "combo unknown -> status 2" "$?" 2
check "explicit variable wins" "$(QNETD_BIN=/x/q bash -c "source '$QDI_LIB/qdi.sh'; QDI_COMBO=ours; qdi_resolve_programs; echo \$QNETD_BIN")" /x/q
out=$(QDI_COMBO=ours QDI_BUILD_DIR=/nonexistent bash "$here/../scenarios/01-basic.sh" 2>/dev/null)
rc=$?
check "missing programs -> exit 77" "$rc" 77
if grep -qx "SKIP: missing program QNETD_BIN=/nonexistent/qnetd/corosync-qnetd (combination ours)" <<<"$out"; then
    ok "skip names the missing program"
else
    bad "skip names the missing program: $out"
fi
if grep -q '^RESULT scenario=01-basic combo=ours status=skip ' <<<"$out"; then ok "skip RESULT line"; else bad "skip RESULT line: $out"; fi

# --- cut rules ------------------------------------------------------------------------
QDI_NODES=2
QDI_CUTS=()
qdi_cut_pair n2 n1
qdi_cut_pair n2 arb
check "rules for n2" "$(_qdi_rules_for n2 | grep -c -- '-j DROP')" 2
check "rules for arb" "$(_qdi_rules_for arb | grep -- '-j DROP')" "-A QDI_CUT -s $QDI_SUBNET.2/32 -j DROP"
qdi_heal_pair arb n2
check "heal removes the pair" "$(_qdi_rules_for arb | grep -c -- '-j DROP')" 0

# --- corosync.conf generation ------------------------------------------------------------
QDI_NODES=3 QDI_ALGO=lms QDI_QDEV_VOTES="" QDI_HEUR_MODE=on QDI_HEUR_EXEC="/bin/true" QDI_TIE_BREAKER=""
conf=$(qdi_gen_conf)
grep -q "algorithm: lms" <<<"$conf" && ok "conf: algorithm" || bad "conf: algorithm"
grep -q "^    votes:" <<<"$conf" && bad "conf: lms without votes" || ok "conf: lms without votes"
grep -q "tie_breaker" <<<"$conf" && bad "conf: no tie_breaker key by default" || ok "conf: no tie_breaker key by default"
check "conf: three nodes" "$(grep -c 'ring0_addr' <<<"$conf")" 3
grep -q "exec_check: /bin/true" <<<"$conf" && ok "conf: heuristics exec" || bad "conf: heuristics exec"

echo "$pass passed, $fail failed"
((fail == 0))
