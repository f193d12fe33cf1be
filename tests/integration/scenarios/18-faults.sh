#!/usr/bin/env bash
# Scenario 18: a fault matrix on one 2-node ffsplit cluster: never two disjoint quorate partitions, full health after each fault.
# Faults (README, "Scenario 18: the fault matrix"): 1 the arbiter frozen (SIGSTOP) past the device
# timeout; 2 the arbiter restarted while n1<->n2 is cut; 3 random loss between n1 and the arbiter;
# 4 one-way cuts n1->arbiter and arbiter->n1; 5 n1's qdevice under a stepped wall clock
# (libfaketime); 6 n1's qdevice SIGKILLed while the vote for a split is being pushed; 6b the
# split's winner cut from the arbiter (both closed by qnetd's vote holds, doc/algorithms.md §1.5;
# upstream's qnetd fails them).  Every wait
# samples (but fault 6's wait for a log line, which the log replay covers), so the safety invariant
# is checked throughout; after each fault is undone every node
# must be quorate with the device vote again, held for QDI_FAULT_HEALTHY_S.  QDI_FAULTS picks and
# orders them (each leaves the cluster full, so any order works).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/qdi.sh"

QDI_NODES=2 QDI_ALGO=ffsplit
# Faults 6 and 6b are a split brain of up to quorum.device.timeout with upstream's qnetd (README,
# "Scenario 18: the fault matrix"), so QDI_FAULTS="1 2 3 4 5" is the set that upstream passes.
: "${QDI_FAULTS:=1 2 3 4 5 6 6b}"
: "${QDI_FAULT_FREEZE_S:=10}"       # 1: SIGSTOP length (device timeout 4 s, echo every 3.2 s)
: "${QDI_FAULT_LOSS_PCT:=30}"       # 3: share of n1<->arbiter packets dropped, each direction
: "${QDI_FAULT_LOSS_S:=20}"         # 3: how long
: "${QDI_FAULT_CLOCK_HOLD_S:=4}"    # 5: each clock offset held that long
: "${QDI_FAULT_KILL_MS:=50}"        # 6: "Sync members" logged on n1 -> its qdevice SIGKILLed
: "${QDI_FAULT_HEALTHY_S:=2}"       # after every fault: all full for that long
qdi_begin 18-faults "${QDI_SCENARIO_TIMEOUT:-330}"
qdi_metric faults "${QDI_FAULTS// /,}"
qdi_cluster_up

# Tie-breaker unset = lowest: in an n1|n2 split n1 is the side that gets the vote.
win=n1 lose=n2
p_all_quorate() { qdi_all qdi_p_quorate_or_busy; }
# Both members quorate on their own two votes, the device's vote withdrawn (scenario 4's state).
p_no_vote() { qdi_is "$1" quorate=1 members=1,2 total=2 qdev_cast=0 qdev_votes=0; }
# The split decided: WIN alone with the vote, the other alone and answering not quorate.
p_split() { qdi_p_quorate_with_vote "$1" "${1#n}" && qdi_is "$2" up=1 quorate=0 members="${2#n}"; }
# Exactly one side of the split alone with the vote, the other answering not quorate; REPLY: which.
p_one_side() {
    if p_split n1 n2; then REPLY=n1; elif p_split n2 n1; then REPLY=n2; else return 1; fi
}
# Every node full again, held: the end of every fault.
back_to_full() {
    qdi_await "$1" 60 qdi_p_all_full
    qdi_hold "$QDI_FAULT_HEALTHY_S" qdi_p_all_full
}
# watch_until US: sample (invariants only) until the qdi_now_us instant US.
watch_until() {
    while (($(qdi_now_us) < $1)); do
        qdi_sample
        _qdi_pace
    done
}
# Byte size of HOST's qdevice log, to count its lines written during one fault.
log_size() { stat -c %s "$(qdi_hostdir "$1")/log/qdevice.out"; }
# count_since HOST OFFSET ERE: lines matching ERE that HOST's qdevice logged after OFFSET.
count_since() { tail -c +$(($2 + 1)) "$(qdi_hostdir "$1")/log/qdevice.out" | grep -Ec -- "$3"; }
# A connection made (ours at notice; upstream only at debug, which -d gives it), and one lost or
# refused (both log a reason line; ours also a summary line, so this counts a loss once or twice).
RE_CONNECTED='Connected to qnetd server|Received init reply msg'
RE_LOST="Server didn't send echo reply message on time|Connect timeout|Disconnected from qnetd server|Server closed connection|Can't connect to qnetd"

# 1. The arbiter frozen (SIGSTOP) longer than the device timeout, then SIGCONT.  Two nodes have 2
#    of 3 votes with quorum 2: they never need the device's vote.  Each qdevice misses an echo reply
#    (within 2 echo intervals, 6.4 s), disconnects and withdraws the vote; after SIGCONT the same
#    processes reconnect and the vote is counted again.
fault_1() {
    local before after t_stop
    qdi_log "fault 1: qnetd frozen for ${QDI_FAULT_FREEZE_S}s"
    QDI_ALWAYS=p_all_quorate QDI_ALWAYS_DESC="every node quorate"
    before="$(qdi_pid arb qnetd) $(qdi_pid n1 qdevice) $(qdi_pid n2 qdevice)"
    qdi_mark
    t_stop=$QDI_T0
    qdi_signal arb qnetd STOP || qdi_fail "qnetd was not running"
    qdi_await freeze_vote_drop_seconds $((QDI_FAULT_FREEZE_S - 1)) qdi_all p_no_vote
    watch_until $((t_stop + QDI_FAULT_FREEZE_S * 1000000))
    qdi_all p_no_vote || qdi_fail "state changed while qnetd was frozen:$(qdi_state_str)"
    qdi_mark
    qdi_signal arb qnetd CONT
    back_to_full freeze_vote_back_seconds
    after="$(qdi_pid arb qnetd) $(qdi_pid n1 qdevice) $(qdi_pid n2 qdevice)"
    [[ $after == "$before" ]] || qdi_fail "a daemon was replaced across the freeze: $before -> $after"
    QDI_ALWAYS=""
}

# 2. The arbiter restarted during a split.  n1<->n2 cut, both reach the arbiter: n1 wins on the
#    tie-breaker.  A fresh qnetd remembers nothing, and the qdevices come back after a random delay
#    (up to 0.9 x the vote interval).  If n1 is first, it wins again.  If n2 is first, its partition
#    is the only one qnetd sees and gets the vote; when n1 follows, the keep-active-partition
#    tie-breaker (on by default in the node's configuration) keeps it with n2 instead of handing it
#    to the tie-breaker's n1 (doc/algorithms.md §3.5).  Either way exactly one side, never both.
fault_2() {
    local rc w
    qdi_log "fault 2: qnetd restarted during an n1|n2 split"
    qdi_mark
    qdi_cut n1 n2
    qdi_await restart_split_seconds 60 p_split "$win" "$lose"
    qdi_hold 2 p_split "$win" "$lose"
    qdi_stop_qnetd || qdi_fail "qnetd was not running"
    rc=$(qdi_exit_status arb qnetd)
    [[ $rc == 0 ]] || qdi_fail "qnetd exited with status $rc after SIGTERM (expected 0)"
    qdi_mark
    qdi_start_qnetd
    qdi_await restart_vote_back_seconds 60 p_one_side
    w=$REPLY
    qdi_metric restart_winner "$w"
    if [[ $w == n1 ]]; then qdi_hold 3 p_split n1 n2; else qdi_hold 3 p_split n2 n1; fi
    qdi_mark
    qdi_heal n1 n2
    back_to_full restart_heal_seconds
}

# 3. Random loss between n1 and the arbiter, both directions, corosync's n1<->n2 traffic untouched.
#    TCP retransmits; a heartbeat late by more than an echo interval costs n1 the connection.
#    Asserted: every node stays quorate and the cluster ends full; recorded: how many connections
#    n1's qdevice made (each one after a drop, counted once the loss is healed and n1 is back), and
#    on how many samples n1 cast the vote.
cast_samples=0 loss_samples=0
note_cast() { loss_samples=$((loss_samples + 1)); qdi_is n1 qdev_cast=1 && cast_samples=$((cast_samples + 1)); return 0; }
fault_3() {
    local off
    qdi_log "fault 3: ${QDI_FAULT_LOSS_PCT}% loss between n1 and the arbiter for ${QDI_FAULT_LOSS_S}s"
    QDI_ALWAYS=p_all_quorate QDI_ALWAYS_DESC="every node quorate"
    cast_samples=0 loss_samples=0
    off=$(log_size n1)
    QDI_ON_SAMPLE=note_cast
    qdi_drop n1 arb "$QDI_FAULT_LOSS_PCT"
    qdi_drop arb n1 "$QDI_FAULT_LOSS_PCT"
    qdi_watch "$QDI_FAULT_LOSS_S"
    QDI_ON_SAMPLE=""
    qdi_mark
    qdi_undrop_all
    back_to_full loss_heal_seconds
    qdi_metric loss_reconnects "$(count_since n1 "$off" "$RE_CONNECTED")"
    qdi_metric loss_cast_samples "$cast_samples/$loss_samples"
    QDI_ALWAYS=""
}

# 4. One-way cuts between n1 and the arbiter: first n1->arbiter, then arbiter->n1.  Either way an
#    echo goes unanswered and n1's qdevice withdraws its vote; the membership is whole, so both
#    nodes stay quorate and n2 keeps casting the vote; after the heal n1 reconnects.
p_n1_out() { qdi_is n1 quorate=1 members=1,2 qdev_cast=0 && qdi_is n2 quorate=1 members=1,2 qdev_cast=1; }
# On every sample: both quorate (or busy answering), n2 casting whenever it answers.
p_all_quorate_n2_casts() { p_all_quorate && { qdi_is n2 qdev_cast=1 || qdi_is n2 up=0; }; }
fault_4() {
    local dir from to
    for dir in out in; do
        if [[ $dir == out ]]; then from=n1 to=arb; else from=arb to=n1; fi
        qdi_log "fault 4 ($dir): $from -> $to dropped"
        QDI_ALWAYS=p_all_quorate_n2_casts QDI_ALWAYS_DESC="every node quorate, n2 casting the vote"
        qdi_mark
        qdi_drop "$from" "$to"
        qdi_await "oneway_${dir}_drop_seconds" 30 p_n1_out
        qdi_hold 2 p_n1_out
        qdi_mark
        qdi_undrop "$from" "$to"
        back_to_full "oneway_${dir}_back_seconds"
    done
    QDI_ALWAYS=""
}

# 5. n1's wall clock stepped +1 h, back (-1 h), an hour behind (-1 h again) and back while its
#    qdevice runs: only that process's clock, through libfaketime re-reading its offset file on
#    every call (the namespaces share the host's clock).  Monotonic time is left alone: our daemons'
#    timers all run on CLOCK_MONOTONIC (common/loop.c; the wall clock only stamps status fields), so
#    no sample may show anything but full health, and the qdevice keeps its one connection.
fault_5() {
    local libft="" f ftfile preload pid off step n bin=$QDEVICE_BIN
    qdi_log "fault 5: n1's qdevice clock stepped"
    # libfaketime preloaded into an AddressSanitizer binary can hang in the sanitizer's start-up
    # ("Unexpected recursive calls to clock_gettime()", seen in CI: the daemon never registered),
    # so an ASan build is replaced by the same daemon built without sanitizers, which
    # scripts/run-tests.sh builds beside the tested one (<build>-gcc).
    grep -q __asan_init "$bin" 2>/dev/null && bin=${QDI_BUILD_DIR%/}-gcc/qdevice/corosync-qdevice
    if [[ ! -x $bin ]] || grep -q __asan_init "$bin"; then
        qdi_log "fault 5 skipped: no corosync-qdevice without AddressSanitizer at $bin (libfaketime and ASan do not mix)"
        return 0
    fi
    qdi_log "fault 5 runs $bin"
    for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1; do
        [[ -r $f ]] && { libft=$f; break; }
    done
    [[ -n $libft ]] || qdi_fail "libfaketime.so.1 not found (package libfaketime; scripts/install-deps.sh installs it)"
    ftfile=$(qdi_hostdir n1)/run/qdi-faketime
    echo "+0" >"$ftfile"
    qdi_stop_qdevice n1
    qdi_await "" 60 qdi_p_quorate_with_vote n2 1,2
    # The corosync-call guard stays in front, as qdi_start_qdevice puts it.
    preload=$libft
    [[ -r $QDI_COROSYNC_GUARD ]] && preload="$QDI_COROSYNC_GUARD:$libft"
    qdi_mark
    qdi_spawn n1 qdevice env LD_PRELOAD="$preload" QDI_COROSYNC_GUARD_LOG=/var/log/corosync/corosync-guard.log \
        FAKETIME_TIMESTAMP_FILE=/run/qdi-faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
        "$bin" -f $(_qdi_dflag)
    back_to_full clock_start_seconds
    pid=$(qdi_pid n1 qdevice)
    grep -q libfaketime "/proc/$pid/maps" || qdi_fail "libfaketime is not loaded into n1's qdevice"
    off=$(log_size n1)
    for step in +3600 +0 -3600 +0; do
        echo "$step" >"$ftfile.new" && mv -f "$ftfile.new" "$ftfile"
        qdi_event "n1 qdevice wall clock offset $step s"
        qdi_hold "$QDI_FAULT_CLOCK_HOLD_S" qdi_p_all_full
    done
    [[ $(qdi_pid n1 qdevice) == "$pid" ]] || qdi_fail "n1's qdevice was replaced during the clock steps"
    n=$(count_since n1 "$off" "$RE_LOST|$RE_CONNECTED")
    ((n == 0)) || qdi_fail "n1's qdevice lost or remade its connection during the clock steps ($n log lines)"
}

# 6. n1's qdevice SIGKILLed while the split's vote is being pushed: n1<->n2 cut, and
#    QDI_FAULT_KILL_MS after n1's corosync logs the new membership ("Sync members", the moment
#    votequorum hands it to the qdevice, which reports it to qnetd and waits for the vote) the
#    qdevice dies.  n2 may or may not get the vote (qnetd re-decides without n1's client), never
#    both.  Then n1's qdevice starts again during the split: exactly one side ends with the vote
#    (the keep-active-partition tie-breaker, on by default, leaves it where it is), the cut heals,
#    everything full.
other=no
note_other() { [[ $other == no ]] && qdi_p_quorate_with_vote n2 2 && other=yes; return 0; }
p_n1_alone_down() { qdi_is n1 up=1 quorate=0 members=1; }
fault_6() {
    local clog tfd tail_pid seen=0 deadline line rc t_sync w
    qdi_log "fault 6: n1's qdevice SIGKILLed ${QDI_FAULT_KILL_MS} ms into the split's vote push"
    clog=$(qdi_hostdir n1)/log/corosync.log
    # tail follows the log through inotify: the line is seen within milliseconds.
    exec {tfd}< <(exec timeout 40 tail -n0 -s 0.01 -F "$clog" 2>/dev/null)
    tail_pid=$!
    qdi_mark
    qdi_cut n1 n2
    deadline=$(($(qdi_now_us) + 30000000))
    while (($(qdi_now_us) < deadline)); do
        IFS= read -r -t 1 -u "$tfd" line
        rc=$?
        if ((rc == 0)); then
            [[ $line == *"[QUORUM] Sync members[1]: 1" ]] && { seen=1; break; }
        elif ((rc <= 128)); then
            break # tail ended
        fi
    done
    t_sync=$(qdi_now_us)
    if ((seen)); then
        qdi_sleep_ms "$QDI_FAULT_KILL_MS"
        qdi_signal n1 qdevice KILL || qdi_fail "n1's qdevice was not running"
        qdi_metric kill_after_ms $((($(qdi_now_us) - t_sync) / 1000))
        qdi_metric kill_after_cut_seconds "$(qdi_since "$QDI_T0")"
    fi
    exec {tfd}<&-
    [[ -n $(qdi_starttime "$tail_pid") ]] && kill "$tail_pid" 2>/dev/null
    wait "$tail_pid" 2>/dev/null
    ((seen)) || qdi_fail "n1's corosync logged no new membership within 30 s of the cut"
    _qdi_reap n1 qdevice
    # Whatever n1 had, it must lose it without its qdevice; n2's side is decided either way.
    other=no
    QDI_ON_SAMPLE=note_other
    qdi_await kill_settle_seconds 30 p_n1_alone_down
    # n1's client is gone, so n2's side must get the vote (seconds since the cut): at once with
    # upstream's qnetd, when n1's hold ends with ours.
    qdi_await kill_handover_seconds 30 p_split n2 n1
    qdi_watch 6
    p_n1_alone_down || qdi_fail "n1 quorate without its qdevice:$(qdi_state_str)"
    QDI_ON_SAMPLE=""
    qdi_metric kill_other_got_vote "$other"
    qnetd_logged_hold
    qdi_mark
    qdi_start_qdevice n1
    qdi_await kill_restart_seconds 60 p_one_side
    w=$REPLY
    qdi_metric kill_restart_winner "$w"
    if [[ $w == n1 ]]; then qdi_hold 3 p_split n1 n2; else qdi_hold 3 p_split n2 n1; fi
    qdi_mark
    qdi_heal n1 n2
    back_to_full kill_heal_seconds
}

# 6b. The same window without any crash: in an n1|n2 split n1 holds the vote, then n1 loses the
#    arbiter in both directions.  qnetd gives up on n1 after 1.5 heartbeat intervals of silence;
#    n1's qdevice notices only when an echo reply is missing, up to 2 intervals after the last one,
#    and polls with the vote until then.  Upstream's qnetd hands the vote to n2 at once; ours holds
#    it back for 1.5 intervals more, and n2 must then get it.
fault_6b() {
    qdi_log "fault 6b: n1|n2 split, then the winner n1 cut from the arbiter"
    qdi_mark
    qdi_cut n1 n2
    qdi_await arbcut_split_seconds 60 p_split "$win" "$lose"
    qdi_hold 2 p_split "$win" "$lose"
    qdi_mark
    qdi_partition "n1" "n2" -- n1
    # qnetd drops the silent n1 after 1.5 heartbeats and hands the vote over only when its hold
    # ends, 1.5 heartbeats later; n1's qdevice has given the vote up by then (2 heartbeats).
    # Meanwhile corosync-qnetd-tool -D names the running hold (ours).
    hold_diagnosed=no
    ((QDI_QNETD_OURS)) && QDI_ON_SAMPLE=diagnose_hold
    qdi_await arbcut_handover_seconds 30 p_split "$lose" "$win"
    QDI_ON_SAMPLE=""
    if ((QDI_QNETD_OURS)); then
        qdi_metric arbcut_hold_diagnosed "$hold_diagnosed"
        [[ $hold_diagnosed == yes ]] ||
            qdi_fail "corosync-qnetd-tool -D never named the vote hold during fault 6b ($QDI_RUN/log/qnetd-tool-D-hold)"
    fi
    qdi_hold 2 p_split "$lose" "$win"
    qdi_mark
    qdi_heal_all
    back_to_full arbcut_heal_seconds
    qnetd_logged_hold
}

# On a sample during fault 6b: does corosync-qnetd-tool -D's cluster-nodes check name the hold?
diagnose_hold() {
    local out=$QDI_RUN/log/qnetd-tool-D-hold
    [[ $hold_diagnosed == yes ]] && return 0
    qdi_hq 10 arb "$QNETD_TOOL_BIN" -D >"$out" 2>&1
    grep -q "^WARN cluster-nodes: .*vote held back .*cluster \"qdi\": no partition without node 1 gets the vote for [0-9]* ms more" "$out" &&
        hold_diagnosed=yes
    return 0
}

# Our qnetd names each hold in its log (doc/algorithms.md §1.5); upstream's has none to name.
holds_logged=0
qnetd_logged_hold() {
    local out
    ((QDI_QNETD_OURS)) || return 0
    out=$(qdi_hostdir arb)/log/qnetd.out
    local n
    n=$(grep -c "Cluster 'qdi': vote for node 2's partition held back [0-9]* ms: node 1's qdevice left while its corosync may still count the vote it had" "$out")
    ((n > holds_logged)) || qdi_fail "qnetd logged no vote hold for node 1 ($out)"
    holds_logged=$n
}

for f in $QDI_FAULTS; do
    [[ $(type -t "fault_$f") == function ]] || qdi_fail "no fault '$f' (QDI_FAULTS: 1 2 3 4 5 6 6b)"
    "fault_$f"
done

qdi_check_alive corosync n1 n2
qdi_check_alive qdevice n1 n2
qdi_check_alive qnetd arb
qdi_finish
