# Turns one node's corosync.log (hires time stamps) or the harness's events.log into "MS NODE EVENT [IDS]" lines for logcheck.awk.
#
# Usage: awk -v node=n1 -f logevents.awk corosync.log
#        awk -f logevents.awk events.log      (node taken from each EVENT line)
# Time stamps look like "Nov 22 04:29:22.373"; MS counts milliseconds from
# the start of the year (the year is not in the log; runs are minutes long).

BEGIN {
    split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mn, " ")
    split("0 31 59 90 120 151 181 212 243 273 304 334", cum, " ")
    for (i = 1; i <= 12; i++) mdays[mn[i]] = cum[i]
}

function stamp(mon, day, hms,   t, sec) {
    split(hms, t, ":")
    sec = t[3] + 0
    return sprintf("%.0f", ((((mdays[mon] + day) * 24 + t[1]) * 60 + t[2]) * 60 + sec) * 1000)
}

$4 == "EVENT" && ($5 == "corosync-down" || $5 == "corosync-up") {
    print stamp($1, $2, $3), $6, ($5 == "corosync-down" ? "down" : "up")
    next
}

/\[QUORUM\] This node is within the primary component/ {
    print stamp($1, $2, $3), node, "primary"; next
}
/\[QUORUM\] This node is within the non-primary component/ {
    print stamp($1, $2, $3), node, "nonprimary"; next
}
/\[QUORUM\] Members\[[0-9]+\]:/ {
    line = $0
    sub(/.*\[QUORUM\] Members\[[0-9]+\]:/, "", line)
    print stamp($1, $2, $3), node, "members", line
    next
}
