# Scenario 14's checks of corosync-qnetd-tool -D (doc/diagnose.md, the arbiter's checks); sourced by 14-health.sh after lib/qdi.sh.
# shellcheck shell=bash

# The clock check's state on this machine, read apart from the tool: the kernel's STA_UNSYNC bit
# (0x40) through adjtimex in read-only mode. Every namespace shares the host's clock, so a host
# without time synchronisation makes the check WARN in every state, and a synchronised one OK.
arbiter_diagnose_clock_state() {
    python3 - <<'EOF'
import ctypes, ctypes.util
class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("rest", ctypes.c_char * 256)]
t = Timex()
state = ctypes.CDLL(ctypes.util.find_library("c")).adjtimex(ctypes.byref(t))
print("WARN" if state == 5 or t.status & 0x40 else "OK")
EOF
}

# arbiter_diagnose STATE [NODE_ID]: corosync-qnetd-tool -D and -D -j on the arbiter, every check's
# state asserted for STATE: healthy, qdevice-stopped (NODE_ID's qdevice is down) or qnetd-down.
arbiter_diagnose() {
    local state=$1 node=${2:-} out json rc jrc id line want got clock expect_rc
    local ids=(qnetd-running nssdb listener plaintext-clients cluster-nodes cluster-conflicts cert-rejections clock)
    local -A expect
    clock=$(arbiter_diagnose_clock_state) || qdi_fail "the kernel's clock state could not be read"
    for id in "${ids[@]}"; do expect[$id]=OK; done
    expect[clock]=$clock
    case $state in
    healthy) ;;
    qdevice-stopped) expect[cluster-nodes]=WARN ;;
    qnetd-down)
        expect[qnetd-running]=FAIL
        for id in listener plaintext-clients cluster-nodes cluster-conflicts cert-rejections; do expect[$id]=SKIP; done
        ;;
    *) qdi_fail "arbiter_diagnose: unknown state $state" ;;
    esac
    expect_rc=0
    for id in "${ids[@]}"; do
        [[ ${expect[$id]} == WARN && $expect_rc == 0 ]] && expect_rc=1
        [[ ${expect[$id]} == FAIL ]] && expect_rc=2
    done

    out=$L/arbiter-diagnose.$state
    qdi_hq 40 arb "$QNETD_TOOL_BIN" -D >"$out" 2>"$out.err"
    rc=$?
    while IFS= read -r line; do qdi_log "arb -D ($state): $line"; done <"$out"
    [[ $rc == "$expect_rc" ]] || qdi_fail "arb corosync-qnetd-tool -D ($state) exited $rc, expected $expect_rc: $(head -c 300 "$out.err")"
    [[ -s $out.err ]] && qdi_fail "arb -D ($state) wrote to stderr: $(head -c 300 "$out.err")"
    # One line per check, in the documented order, each with the expected state.
    got=$(grep -v '^    fix: ' "$out" | sed -n 's/^\([A-Z]*\) \([a-z-]*\): .*/\2/p' | paste -sd ' ' -)
    [[ $got == "${ids[*]}" ]] || qdi_fail "arb -D ($state): checks '$got', expected '${ids[*]}'"
    for id in "${ids[@]}"; do
        want=${expect[$id]}
        grep -q "^$want $id: " "$out" || qdi_fail "arb -D ($state): $id is not $want: $(grep " $id: " "$out")"
        # WARN and FAIL, and only they, are followed by a fix line.
        if [[ $want == WARN || $want == FAIL ]]; then
            grep -A1 "^$want $id: " "$out" | tail -n 1 | grep -q '^    fix: ' || qdi_fail "arb -D ($state): no fix after $id"
        else
            grep -A1 "^$want $id: " "$out" | tail -n 1 | grep -q '^    fix: ' && qdi_fail "arb -D ($state): a fix after $want $id"
        fi
    done
    case $state in
    healthy)
        grep -q '^OK listener: TCP port 5403 listens on ' "$out" || qdi_fail "arb -D: the listener is not named"
        # The new status fields, validated against the schema on the real daemon's output.
        qdi_hq 10 arb "$QNETD_TOOL_BIN" -j >"$L/arbiter-diagnose.status.json" 2>&1 || qdi_fail "arb -j failed"
        python3 "$QDI_LIB/../json/check-json.py" "$QDI_LIB/../../../doc/schema/qnetd-status.schema.json" \
            init_refusals.total=0 init_refusals.last=null nss_db_dir=/etc/corosync/qnetd/nssdb \
            <"$L/arbiter-diagnose.status.json" || qdi_fail "arb -j: init_refusals or nss_db_dir not as expected"
        ;;
    qdevice-stopped)
        # The stopped qdevice's node may also be under a vote hold for a few seconds (its client
        # left while its corosync could still count the vote): then the same line names it too.
        grep -Eq "^WARN cluster-nodes: configured nodes without a connection: cluster \"qdi\": node $node(; vote held back .*: cluster \"qdi\": no partition without node $node gets the vote for [0-9]+ ms more)?\$" "$out" ||
            qdi_fail "arb -D: cluster-nodes does not name node $node: $(grep ' cluster-nodes: ' "$out")"
        grep -A1 '^WARN cluster-nodes: ' "$out" | grep -q 'systemctl status corosync-qdevice' ||
            qdi_fail "arb -D: the cluster-nodes fix does not point at corosync-qdevice"
        ;;
    qnetd-down)
        grep -q '^FAIL qnetd-running: corosync-qnetd does not answer on its local socket' "$out" ||
            qdi_fail "arb -D: qnetd-running does not say the daemon is down"
        grep -A1 '^FAIL qnetd-running: ' "$out" | grep -q 'systemctl start corosync-qnetd' ||
            qdi_fail "arb -D: the qnetd-running fix does not start the daemon"
        ;;
    esac

    # The JSON form: the same states, the documented layout, the same exit status.
    json=$out.json
    qdi_hq 40 arb "$QNETD_TOOL_BIN" -D -j >"$json" 2>&1
    jrc=$?
    [[ $jrc == "$rc" ]] || qdi_fail "arb -D -j ($state) exited $jrc, -D $rc"
    want=$(for id in "${ids[@]}"; do printf '%s=%s ' "$id" "${expect[$id],,}"; done)
    python3 - "$rc" "$want" "$json" <<'EOF' || qdi_fail "arb -D -j ($state): $(head -c 400 "$json")"
import json, sys
with open(sys.argv[3]) as f:
    d = json.load(f)
assert list(d) == ["schema", "program", "checks", "exit_status"], list(d)
assert d["schema"] == 1 and d["program"] == "corosync-qnetd-tool -D", d
assert d["exit_status"] == int(sys.argv[1]), d["exit_status"]
want = dict(kv.split("=") for kv in sys.argv[2].split())
got = {c["id"]: c["state"] for c in d["checks"]}
assert [c["id"] for c in d["checks"]] == list(want), got
assert got == want, (got, want)
for c in d["checks"]:
    assert sorted(c) == ["fix", "found", "id", "state"], c
    assert isinstance(c["found"], str) and c["found"], c
    assert (c["fix"] is not None) == (c["state"] in ("warn", "fail")), c
EOF
    qdi_log "arb corosync-qnetd-tool -D ($state): exit $rc, states as expected (clock $clock), -D -j the same"
}
