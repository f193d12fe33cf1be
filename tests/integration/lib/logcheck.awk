# Replays corosync's quorum log lines of all nodes in time order and reports every interval in which two quorate nodes had disjoint memberships.
#
# Input (sorted by the first field, see qdi_log_check): lines
#   MS NODE primary|nonprimary|members|down|up [IDS...]
# where MS is a millisecond time stamp.  Output: one "violation ..." line per
# interval of positive length, then "summary violations=N events=M".
# corosync logs a change of quorum state ("This node is within the
# (non-)primary component") and then "Members[n]: ..." from the same call,
# both with the same time stamp; the harness adds "down"/"up" when it kills
# or starts corosync.  All events with the same time stamp are applied before
# the state is judged, so a hand-over within one millisecond is not counted.

function judge(   a, b, i, n, ids, found, pair) {
    for (a in q) {
        if (q[a] != 1) continue
        for (b in q) {
            if (a >= b || q[b] != 1) continue
            n = split(mem[b], ids, " ")
            found = 0
            for (i = 1; i <= n; i++)
                if (index(" " mem[a] " ", " " ids[i] " ") > 0) found = 1
            if (!found && mem[a] != "" && mem[b] != "")
                return a "{" mem[a] "}/" b "{" mem[b] "}"
        }
    }
    return ""
}

function close_group(   v) {
    if (cur == "") return
    v = judge()
    if (v != "" && vstart == "") { vstart = cur; vwhat = v }
    if (v == "" && vstart != "") {
        printf "violation start_ms=%s duration_ms=%d nodes=%s\n", vstart, cur - vstart, vwhat
        nviol++
        vstart = ""
    }
}

{
    if ($1 != cur) { close_group(); cur = $1 }
    node = $2; ev = $3; nev++
    if (ev == "primary") q[node] = 1
    else if (ev == "nonprimary") q[node] = 0
    else if (ev == "members") {
        s = ""
        for (i = 4; i <= NF; i++) s = s (s == "" ? "" : " ") $i
        mem[node] = s
        if (!(node in q)) q[node] = 0
    } else if (ev == "down" || ev == "up") { q[node] = 0; mem[node] = "" }
}

END {
    close_group()
    if (vstart != "") {
        printf "violation start_ms=%s duration_ms=open nodes=%s\n", vstart, vwhat
        nviol++
    }
    printf "summary violations=%d events=%d\n", nviol, nev
}
