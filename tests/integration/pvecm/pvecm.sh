# Bash library replaying Proxmox's `pvecm qdevice setup` / `pvecm qdevice remove` (doc/tls.md §1.3) on a harness cluster.
#
# Sourced after ../lib/qdi.sh by pvecm-replay.sh (the ctest scenario) and by
# ../demo-cluster.sh.  pvecm runs on n1 ("local"); every ssh to a member or to the
# arbiter becomes a command in that host's view (ip netns exec + qdi-view),
# every scp a file copy between two views.  Two things a Proxmox host has and
# the harness's views do not are played as follows:
#   /etc/pve  pmxcfs, one file tree seen by every member: the directory
#             $QDI_RUN/pve, bind-mounted on /run/pve in every command that
#             pvecm runs on a member (so /etc/pve/X is /run/pve/X there);
#   /tmp      the arbiter's (and every host's) own /tmp: hosts/<h>/tmp,
#             bind-mounted on /tmp in those commands.
# pmxcfs's two reactions to a new /etc/pve/corosync.conf (copy to every
# node's /etc/corosync/corosync.conf, then `corosync-cfgtool -R` about 1 s
# later) are explicit steps whose position PVECM_ORDER chooses:
#   late  (default) after pvecm started (setup) / stopped (remove) the
#         daemons: at setup the first corosync-qdevice start therefore finds
#         no quorum.device keys in cmap and must fail fast; systemd's
#         Restart=on-failure starts it again after the reload;
#   early right after the write: the daemons start with the keys present
#         (setup) / see the device vanish from cmap while running (remove).
# Names: pvecm_ (public), _pvecm_ (internal).

: "${PVECM_ORDER:=late}"           # late | early (above)
: "${PVECM_QUIET:=0}"              # 1: steps only in log/pvecm.log, not on stderr
PVECM_NODEDB=/etc/corosync/qdevice/net/nssdb
PVECM_QDB=/etc/corosync/qnetd/nssdb
PVECM_PVE_VIEW=/run/pve            # where /etc/pve appears inside a member's view
PVECM_LOCAL=n1                     # the node pvecm runs on

_pvecm_pve() { echo "$QDI_RUN/pve"; }

# One line in log/pvecm.log (and on stderr unless PVECM_QUIET=1).
pvecm_say() {
    echo "$(date +%T.%3N) $*" >>"$QDI_RUN/log/pvecm.log"
    [[ $PVECM_QUIET == 1 ]] || qdi_log "pvecm: $*"
    qdi_event "pvecm: $*"
}

# pvecm_prepare_hosts: the mount points and directories the replay needs in
# every host tree (call after qdi_hosts_create).
pvecm_prepare_hosts() {
    local h d
    mkdir -p "$(_pvecm_pve)" || qdi_fail "mkdir $(_pvecm_pve) failed"
    for h in $(qdi_hosts); do
        d=$(qdi_hostdir "$h")
        mkdir -p "$d/run${PVECM_PVE_VIEW#/run}" "$d/tmp" || qdi_fail "mkdir in $d failed"
        chmod 1777 "$d/tmp"
    done
}

# pvecm_x SECONDS HOST CMD...: CMD on HOST as pvecm's ssh would run it: the
# host's view, plus /etc/pve (members only) and the host's own /tmp.
pvecm_x() {
    local t=$1 h=$2 pve=""
    shift 2
    [[ $h == arb ]] || pve=$(_pvecm_pve)
    # The host's own /tmp hides the real one: a build tree or program living under /tmp (a CI
    # clone, say) is bound back into it first, and the whole is then bound recursively.
    local keep="$QDI_BUILD_DIR $(dirname "$1")"
    # shellcheck disable=SC2016
    qdi_hx_t "$t" "$h" sh -c '
        if [ -n "$1" ]; then mount --bind "$1" "$3" || exit 125; fi
        for k in $4; do
            case $k in
            /tmp/*) d="$2${k#/tmp}"
                    [ -d "$d" ] && mountpoint -q "$d" && continue
                    mkdir -p "$d" && mount --bind "$k" "$d" || exit 125 ;;
            esac
        done
        mount --rbind "$2" /tmp || exit 125
        shift 4
        exec "$@"' sh "$pve" "$(qdi_hostdir "$h")/tmp" "$PVECM_PVE_VIEW" "$keep" "$@"
}

# _pvecm_run STEP MUST HOST CMD...: one remote/local command of pvecm; its
# output goes to log/pvecm.log.  MUST=1: a non-zero status aborts (fails).
_pvecm_run() {
    local step=$1 must=$2 h=$3 rc
    shift 3
    pvecm_say "step $step on $h: ${*/#$QDI_BUILD_DIR\//}"
    pvecm_x 60 "$h" "$@" </dev/null >>"$QDI_RUN/log/pvecm.log" 2>&1
    rc=$?
    echo "### exit status $rc" >>"$QDI_RUN/log/pvecm.log"
    if ((rc != 0)); then
        ((must)) && qdi_fail "pvecm step $step on $h failed (exit $rc): $*; see log/pvecm.log"
        pvecm_say "step $step on $h: exit status $rc (ignored, as pvecm does)"
    fi
    return 0
}

# _pvecm_scp STEP SRCHOST:PATH DSTHOST:PATH: scp semantics (a destination
# directory receives the file under its own name); must succeed.
_pvecm_scp() {
    local step=$1 sh=${2%%:*} sp=${2#*:} dh=${3%%:*} dp=${3#*:} tmp=$QDI_RUN/log/scp.tmp
    pvecm_say "step $step: scp $2 $3"
    pvecm_x 20 "$sh" cat "$sp" >"$tmp" 2>>"$QDI_RUN/log/pvecm.log" ||
        { rm -f "$tmp"; qdi_fail "pvecm step $step: scp $2 $3: cannot read the source"; }
    # shellcheck disable=SC2016
    pvecm_x 20 "$dh" sh -c 'd=$1; [ -d "$d" ] && d="$d/$2"; cat >"$d"' sh "$dp" "$(basename "$sp")" \
        <"$tmp" 2>>"$QDI_RUN/log/pvecm.log" ||
        { rm -f "$tmp"; qdi_fail "pvecm step $step: scp $2 $3: cannot write the destination"; }
    rm -f "$tmp"
}

# --- corosync.conf: the cluster file in /etc/pve and pmxcfs's reactions -----
# pvecm_conf_init: the cluster's corosync.conf without a device (the harness
# generator), in /etc/pve and on every node.
pvecm_conf_init() {
    QDI_DEVICE=0
    qdi_write_conf
    cp "$QDI_RUN/corosync.conf" "$(_pvecm_pve)/corosync.conf" || qdi_fail "writing /etc/pve/corosync.conf failed"
}

# _pvecm_conf_version FILE: totem.config_version of FILE.
_pvecm_conf_version() {
    awk '/^totem[ \t]*\{/ { t = 1 } t && $1 == "config_version:" { print $2; exit }' "$1"
}
# _pvecm_has_device FILE: the file has a quorum.device section.
_pvecm_has_device() {
    awk '$0 ~ /^quorum[ \t]*\{/ { q = 1; next } q && /^\}/ { q = 0 }
         q && /^  device[ \t]*\{/ { found = 1 } END { exit !found }' "$1"
}

# _pvecm_conf_edit MODE FILE ALGO HOST VOTES: prints FILE with the device
# section added (MODE add: keys sorted, two-space indentation, as PVE's
# writer puts it, first in "quorum" because "device" < "provider") or
# deleted (MODE del), and totem.config_version incremented.
_pvecm_conf_edit() {
    awk -v mode="$1" -v algo="${3-}" -v host="${4-}" -v votes="${5-}" '
        /^totem[ \t]*\{/ { sect = "totem" }
        /^quorum[ \t]*\{/ { sect = "quorum" }
        /^\}/ { sect = "" }
        sect == "totem" && $1 == "config_version:" { sub(/[0-9]+[ \t]*$/, $2 + 1) }
        mode == "del" && sect == "quorum" && /^  device[ \t]*\{/ { skip = 1; depth = 0 }
        skip {
            n = gsub(/\{/, "{"); m = gsub(/\}/, "}"); depth += n - m
            if (depth == 0) skip = 0
            next
        }
        { print }
        mode == "add" && /^quorum[ \t]*\{/ {
            print "  device {"
            print "    model: net"
            print "    net {"
            print "      algorithm: " algo
            print "      host: " host
            print "      tls: on"
            print "    }"
            if (votes != "") print "    votes: " votes
            print "  }"
        }' "$2"
}

# _pvecm_conf_write NEWFILE: atomically replace /etc/pve/corosync.conf.
_pvecm_conf_write() {
    local pve
    pve=$(_pvecm_pve)
    cp "$1" "$pve/.corosync.conf.new" && mv -f "$pve/.corosync.conf.new" "$pve/corosync.conf" ||
        qdi_fail "replacing /etc/pve/corosync.conf failed"
    pvecm_say "wrote /etc/pve/corosync.conf (config_version $(_pvecm_conf_version "$pve/corosync.conf"))"
}

# pvecm_pmxcfs_copy: pmxcfs copies /etc/pve/corosync.conf to every node's
# /etc/corosync/corosync.conf (atomically).
pvecm_pmxcfs_copy() {
    local h d
    for h in $(qdi_nodes); do
        d=$(qdi_hostdir "$h")/etc
        cp "$(_pvecm_pve)/corosync.conf" "$d/.corosync.conf.pmxcfs" &&
            mv -f "$d/.corosync.conf.pmxcfs" "$d/corosync.conf" || qdi_fail "pmxcfs copy to $h failed"
    done
    pvecm_say "pmxcfs: copied /etc/pve/corosync.conf to /etc/corosync/corosync.conf on $(qdi_nodes | tr '\n' ' ')"
}
# pvecm_pmxcfs_reload: pmxcfs's own `corosync-cfgtool -R` after the version increased.
pvecm_pmxcfs_reload() {
    pvecm_say "pmxcfs: corosync-cfgtool -R"
    qdi_reload "$PVECM_LOCAL"
}

# --- the cluster before pvecm runs -------------------------------------------
# pvecm_cluster_create: network, host trees (the arbiter after Debian's
# corosync-qnetd postinst), a running 2-node (QDI_NODES) cluster without a
# device, and a running qnetd.
pvecm_cluster_create() {
    local h
    qdi_net_create
    qdi_hosts_create
    pvecm_prepare_hosts
    pvecm_conf_init
    qdi_start_qnetd
    qdi_mark
    for h in $(qdi_nodes); do qdi_start_corosync "$h"; done
    qdi_wait_qnetd
    qdi_await membership_seconds 60 qdi_all qdi_p_all_members
    qdi_hold 1 qdi_all qdi_p_quorate
}

# --- systemd, as far as pvecm uses it ------------------------------------------
# _pvecm_unit_start HOST: `systemctl start corosync-qdevice` (the harness's
# foreground start, -f as in the unit's ExecStart).
_pvecm_unit_start() {
    pvecm_say "step 16 on $1: systemctl start corosync-qdevice"
    qdi_start_qdevice "$1"
}

# _pvecm_first_start_fails HOST: the daemon started before corosync knew the
# device must exit 1 on its own, quickly (as upstream: fail fast and
# rely on Restart=on-failure, never hang).
_pvecm_first_start_fails() {
    _pvecm_exits_1_by_itself "$1" 15 "after a start without quorum.device keys in cmap"
    pvecm_say "corosync-qdevice on $1 exited 1 (no quorum.device keys in cmap yet); systemd will restart it"
}
_pvecm_not_running() { ! qdi_is_running "$1" qdevice; }

# _pvecm_exits_1_by_itself HOST SECONDS WHEN: corosync-qdevice on HOST, left
# without a device in cmap (WHEN says how), must end on its own within
# SECONDS, with exit status 1.
_pvecm_exits_1_by_itself() {
    local h=$1 limit=$2 when=$3 st
    _qdi_wait_until "$limit" 0.05 _pvecm_not_running "$h" ||
        qdi_fail "corosync-qdevice on $h still running $limit s $when (must exit by itself)"
    st=$(qdi_exit_status "$h" qdevice)
    [[ $st == 1 ]] ||
        qdi_fail "corosync-qdevice on $h exited with status '$st' $when, expected 1"
}

# --- pvecm qdevice setup ADDR (doc/tls.md §1.3) --------------------------------
pvecm_qdevice_setup() {
    local addr=$1 cn=$QDI_CLUSTER h pve t0 nmembers algo votes new
    local first_try=()
    pve=$(_pvecm_pve)
    t0=${EPOCHREALTIME/./}
    pvecm_say "=== pvecm qdevice setup $addr (on $PVECM_LOCAL, order $PVECM_ORDER)"
    # Pre-checks.
    [[ -e $pve/corosync.conf ]] || qdi_fail "pvecm: /etc/pve/corosync.conf missing"
    for h in $(qdi_nodes); do
        qdi_is_running "$h" corosync || qdi_fail "pvecm: member $h is not online"
    done
    _pvecm_has_device "$pve/corosync.conf" && qdi_fail "pvecm: a quorum device is already configured"
    nmembers=$(grep -c '^  node {' "$pve/corosync.conf")
    if ((nmembers % 2 == 0)); then
        algo=ffsplit votes=1
    else
        qdi_fail "pvecm: Clusters with an odd node count are not officially supported!"
    fi
    # 1: ssh-copy-id has nothing to do: every "ssh" here is ip netns exec.
    pvecm_say "step 1: ssh-copy-id (not needed: commands reach the hosts through ip netns exec)"
    # 2: the node certificate store must not exist yet (no --force).
    pvecm_x 10 "$PVECM_LOCAL" test -e "$PVECM_NODEDB" &&
        qdi_fail "pvecm: QDevice certificate store already initialised, set force to delete!"
    pvecm_say "step 2: $PVECM_NODEDB absent on $PVECM_LOCAL"
    _pvecm_run 3 0 arb "$QNETD_CERTUTIL" -i
    _pvecm_scp 4 "arb:$PVECM_QDB/qnetd-cacert.crt" "$PVECM_LOCAL:$PVECM_PVE_VIEW/qnetd-cacert.crt"
    for h in $(qdi_nodes); do
        _pvecm_run 5 0 "$h" "$QDEVICE_CERTUTIL" -i -c "$PVECM_PVE_VIEW/qnetd-cacert.crt"
    done
    pvecm_say "step 6: delete /etc/pve/qnetd-cacert.crt"
    rm -f "$pve/qnetd-cacert.crt"
    _pvecm_run 7 1 "$PVECM_LOCAL" "$QDEVICE_CERTUTIL" -r -n "$cn"
    _pvecm_scp 8 "$PVECM_LOCAL:$PVECM_NODEDB/qdevice-net-node.crq" "arb:/tmp"
    _pvecm_run 9 1 arb "$QNETD_CERTUTIL" -s -c /tmp/qdevice-net-node.crq -n "$cn"
    _pvecm_scp 10 "arb:$PVECM_QDB/cluster-$cn.crt" "$PVECM_LOCAL:$PVECM_NODEDB"
    _pvecm_run 11 1 "$PVECM_LOCAL" "$QDEVICE_CERTUTIL" -M -c "$PVECM_NODEDB/cluster-$cn.crt"
    _pvecm_scp 12 "$PVECM_LOCAL:$PVECM_NODEDB/qdevice-net-node.p12" "$PVECM_LOCAL:$PVECM_PVE_VIEW/"
    for h in $(qdi_nodes); do
        _pvecm_run 13 1 "$h" "$QDEVICE_CERTUTIL" -m -c "$PVECM_PVE_VIEW/qdevice-net-node.p12"
    done
    pvecm_say "step 14: delete /etc/pve/qdevice-net-node.p12"
    rm -f "$pve/qdevice-net-node.p12"
    qdi_metric cert_seconds "$(qdi_since "$t0")"
    # 15: the corosync.conf edit (under the lock: die if a device appeared).
    _pvecm_has_device "$pve/corosync.conf" && qdi_fail "pvecm: a QDevice appeared meanwhile"
    new=$QDI_RUN/corosync.conf.pvecm
    _pvecm_conf_edit add "$pve/corosync.conf" "$algo" "$addr" "$votes" >"$new" ||
        qdi_fail "pvecm: editing corosync.conf failed"
    pvecm_say "step 15: add quorum.device (model net, algorithm $algo, host $addr, tls on, votes $votes)"
    _pvecm_conf_write "$new"
    pvecm_pmxcfs_copy
    [[ $PVECM_ORDER == early ]] && pvecm_pmxcfs_reload
    # 16: start, then enable, on every member.
    qdi_mark
    for h in $(qdi_nodes); do
        _pvecm_unit_start "$h"
        pvecm_say "step 16 on $h: systemctl enable corosync-qdevice (no init system here: nothing to do)"
        first_try+=("$h")
    done
    if [[ $PVECM_ORDER == late ]]; then
        for h in "${first_try[@]}"; do _pvecm_first_start_fails "$h"; done
        pvecm_pmxcfs_reload
        for h in "${first_try[@]}"; do
            pvecm_say "systemd on $h: Restart=on-failure starts corosync-qdevice again"
            qdi_start_qdevice "$h"
        done
    fi
    # 17
    pvecm_say "step 17 on $PVECM_LOCAL: corosync-cfgtool -R"
    qdi_reload "$PVECM_LOCAL"
    qdi_metric setup_seconds "$(qdi_since "$t0")"
    pvecm_say "=== setup done in $(qdi_since "$t0") s"
}

# --- pvecm qdevice remove (doc/tls.md §1.3) -------------------------------------
pvecm_qdevice_remove() {
    local h pve t0 new st
    pve=$(_pvecm_pve)
    t0=${EPOCHREALTIME/./}
    pvecm_say "=== pvecm qdevice remove (on $PVECM_LOCAL, order $PVECM_ORDER)"
    for h in $(qdi_nodes); do
        qdi_is_running "$h" corosync || qdi_fail "pvecm: member $h is not online"
    done
    _pvecm_has_device "$pve/corosync.conf" || qdi_fail "pvecm: No QDevice configured!"
    new=$QDI_RUN/corosync.conf.pvecm
    _pvecm_conf_edit del "$pve/corosync.conf" >"$new" || qdi_fail "pvecm: editing corosync.conf failed"
    _pvecm_has_device "$new" && qdi_fail "pvecm: the edited corosync.conf still has a device section"
    pvecm_say "step 2: delete quorum.device"
    _pvecm_conf_write "$new"
    pvecm_pmxcfs_copy
    [[ $PVECM_ORDER == early ]] && pvecm_pmxcfs_reload
    for h in $(qdi_nodes); do
        _pvecm_run 2 1 "$h" rm -rf /etc/corosync/qdevice
    done
    for h in $(qdi_nodes); do
        pvecm_say "step 3 on $h: systemctl stop corosync-qdevice"
        if [[ $PVECM_ORDER == early ]]; then
            # The reload already took quorum.device out of cmap: the daemon
            # leaves by itself with status 1, as upstream does.
            # A SIGTERM sent while it is leaving would race with that exit,
            # so wait for it (pvecm's own stop finds the unit inactive).
            _pvecm_exits_1_by_itself "$h" 10 "after quorum.device left cmap"
            pvecm_say "corosync-qdevice on $h had left by itself (exit status 1)"
        elif qdi_is_running "$h" qdevice; then
            qdi_stop_qdevice "$h"
            st=$(qdi_exit_status "$h" qdevice)
            [[ $st == 0 ]] ||
                qdi_fail "corosync-qdevice on $h exited with status '$st' on SIGTERM (after its NSS DB was deleted), expected 0"
        else
            qdi_fail "corosync-qdevice on $h ended before it was stopped (exit status $(qdi_exit_status "$h" qdevice))"
        fi
        pvecm_say "step 3 on $h: systemctl disable corosync-qdevice (no init system here: nothing to do)"
    done
    [[ $PVECM_ORDER == late ]] && pvecm_pmxcfs_reload
    pvecm_say "step 4 on $PVECM_LOCAL: corosync-cfgtool -R"
    qdi_reload "$PVECM_LOCAL"
    pvecm_say "Removed Qdevice."
    qdi_metric remove_seconds "$(qdi_since "$t0")"
}

# --- predicates and checks -------------------------------------------------------
# Every node after setup: the state corosync-quorumtool shows for a healthy
# 2-node cluster (Qdevice row with 1 vote, every member A,V,NMW).
pvecm_p_with_device() {
    qdi_is "$1" quorate=1 members=1,2 expected=3 total=3 quorum=2 qdev=1 qdev_votes=1 qdev_cast=1 \
        local_flags=A,V,NMW flags='1:A,V,NMW;2:A,V,NMW' vq_flags=Quorate,Qdevice
}
# Every node after remove: no Qdevice column/row, expected votes back to 2.
pvecm_p_without_device() {
    qdi_is "$1" quorate=1 members=1,2 expected=2 total=2 quorum=2 qdev=0 local_flags=- flags=- vq_flags=Quorate
}

# pvecm_save_views PREFIX: corosync-quorumtool -s of every node and
# corosync-qnetd-tool -l / -s of the arbiter into log/PREFIX.*.
pvecm_save_views() {
    local h L=$QDI_RUN/log
    for h in $(qdi_nodes); do
        qdi_hq 5 "$h" "$COROSYNC_QUORUMTOOL" -s >"$L/$1.quorumtool.$h" 2>&1
    done
    qdi_hq 5 arb "$QNETD_TOOL_BIN" -l >"$L/$1.qnetd-tool-l" 2>&1 || qdi_fail "corosync-qnetd-tool -l failed"
    qdi_hq 5 arb "$QNETD_TOOL_BIN" -s >"$L/$1.qnetd-tool-s" 2>&1 || qdi_fail "corosync-qnetd-tool -s failed"
}

# pvecm_check_device_views: the saved "setup" views show the device.
pvecm_check_device_views() {
    local h L=$QDI_RUN/log T=$'\t'
    for h in $(qdi_nodes); do
        grep -Eq '^ +0 +1 +Qdevice$' "$L/setup.quorumtool.$h" ||
            qdi_fail "$h: no 'Qdevice' row with 1 vote in corosync-quorumtool -s (log/setup.quorumtool.$h)"
        grep -Eq "^ +${h#n} +1 +A,V,NMW $h \(local\)\$" "$L/setup.quorumtool.$h" ||
            qdi_fail "$h: its own row is not 'A,V,NMW' in corosync-quorumtool -s (log/setup.quorumtool.$h)"
    done
    qdi_expect_lines "$L/setup.qnetd-tool-l" "Cluster \"$QDI_CLUSTER\":" \
        "    Algorithm:${T}${T}Fifty-Fifty split (KAP Tie-breaker)" "    Node ID 1:" "    Node ID 2:"
    qdi_count_lines "$L/setup.qnetd-tool-l" 2 "^        Membership node list:${T}1, 2\$"
    qdi_count_lines "$L/setup.qnetd-tool-l" 2 "^        Vote:${T}${T}${T}(ACK|No change) \(ACK\)\$"
    qdi_expect_lines "$L/setup.qnetd-tool-s" "Connected clients:${T}${T}2" "Connected clusters:${T}${T}1"
}
