#!/bin/bash
# corosync-qdevice-net-certutil: manages a cluster node's NSS database (qnetd CA, cluster certificate and key).
set -u

# The override exists for tests and private set-ups; the daemon itself reads the default path.
DB_DIR=${QDEVICE_CERTUTIL_DB_DIR:-/etc/corosync/qdevice/net/nssdb}
# -Q always talks to a packaged qnetd host, whose database path is fixed.
QNETD_DB_DIR=/etc/corosync/qnetd/nssdb
QNETD_CERTUTIL=corosync-qnetd-certutil
PWD_FILE="$DB_DIR/pwdfile.txt"
NOISE_FILE="$DB_DIR/noise.txt"
CRQ_FILE="$DB_DIR/qdevice-net-node.crq"
P12_FILE="$DB_DIR/qdevice-net-node.p12"
CA_NICKNAME="QNet CA"
CLUSTER_NICKNAME="Cluster Cert"
DB_FILES="cert8.db key3.db secmod.db cert9.db key4.db pkcs11.txt"

DIR_MODE=0770
FILE_MODE=0660

usage() {
    cat <<EOF
$0: [-i|-m|-M|-r|-s|-Q] [-c certificate] [-S ssh_command] [-C scp_command] [-n cluster_name]

 -i      Create this node's database and import the QNetd CA certificate (-c)
 -r      Create the cluster certificate request (-n) for corosync-qnetd-certutil -s
 -M      Import the signed cluster certificate (-c) and export it with its key to a PKCS#12 file
 -m      Import the cluster certificate and key from a PKCS#12 file (-c)
 -Q      Quick start: set up the QNetd server and every node over ssh/scp

 -c certificate      CA certificate (-i), signed CRT (-M) or PKCS#12 file (-m)
 -n cluster_name     Cluster name, equal to totem.cluster_name of corosync.conf (-r, -Q)
 -S ssh_command      Remote shell used by -Q instead of ssh
 -C scp_command      Remote copy used by -Q instead of scp

Typical usage:
- On the QNetd server: corosync-qnetd-certutil -i
- Copy $QNETD_DB_DIR/qnetd-cacert.crt from the QNetd server to every node
- On every node: $0 -i -c qnetd-cacert.crt
- On one node: $0 -r -n Cluster
- Copy $CRQ_FILE to the QNetd server
- On the QNetd server: corosync-qnetd-certutil -s -c qdevice-net-node.crq -n Cluster
- Copy $QNETD_DB_DIR/cluster-Cluster.crt back to that node
- On that node: $0 -M -c cluster-Cluster.crt
- Copy $P12_FILE to every other node
- On every other node: $0 -m -c qdevice-net-node.p12

Or everything at once over ssh (root logins to the server and the nodes must work):
  $0 -Q -n Cluster qnetd_server node1 node2 ... nodeN
EOF
}

die() {
    local code=$1
    shift
    local line
    for line in "$@"; do
        echo "$line" >&2
    done
    exit "$code"
}

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            die 1 "$t not found: it comes with the NSS tools (Debian package libnss3-tools); install them and retry"
    done
}

# Files of a node database belong to root whatever the caller's umask or the parent's owner.
fix_owner_and_mode() {
    if [ "$(id -u)" -eq 0 ]; then
        chown root:root "$@" || echo "Warning: can't make $* owned by root:root" >&2
    fi
    chmod "$FILE_MODE" "$@" || echo "Warning: can't set mode $FILE_MODE on $*" >&2
}

db_exists() {
    [ -f "$DB_DIR/cert8.db" ] || [ -f "$DB_DIR/cert9.db" ]
}

require_file() {
    if [ -z "$1" ]; then
        die 2 "Can't open certificate file " "No certificate file given: name it with -c <file> (see $0 -h)"
    fi
    if [ ! -f "$1" ] || [ ! -r "$1" ]; then
        die 2 "Can't open certificate file $1"
    fi
}

require_db() {
    db_exists || die 1 "Certificate database doesn't exists. Use $0 -i to create it"
}

require_cluster_name() {
    [ -n "$CLUSTER_NAME" ] || die 2 "You have to specify cluster name"
}

# A name with characters that are special in a distinguished name is quoted so that the
# subject stays one CN equal to the cluster name (qnetd compares the two).
subject_for() {
    local name=$1
    case $name in
    *[,+=\"\\\<\>\;\#]* | " "* | *" ")
        name=${name//\\/\\\\}
        name=${name//\"/\\\"}
        echo "CN=\"$name\""
        ;;
    *) echo "CN=$name" ;;
    esac
}

CREATED_DIR=0
CREATED_NOISE=0
# Undoes a half-done -i so that the next -i does not stop at "already exists".
rollback_init() {
    local f
    for f in $DB_FILES; do
        rm -f "$DB_DIR/$f"
    done
    rm -f "$PWD_FILE"
    [ "$CREATED_NOISE" -eq 1 ] && rm -f "$NOISE_FILE"
    [ "$CREATED_DIR" -eq 1 ] && rmdir "$DB_DIR" 2>/dev/null
    return 0
}

create_db() {
    local f
    if [ ! -d "$DB_DIR" ]; then
        echo "Creating $DB_DIR"
        mkdir -p "$DB_DIR" || die 1 "Can't create $DB_DIR: check that its parent directory is writable"
        CREATED_DIR=1
        chmod "$DIR_MODE" "$DB_DIR"
        [ "$(id -u)" -eq 0 ] && chown root:root "$DB_DIR"
    fi
    echo "Creating new key and cert db"
    if ! : >"$PWD_FILE"; then
        rollback_init
        die 1 "Can't create $PWD_FILE: check that $DB_DIR is writable"
    fi
    fix_owner_and_mode "$PWD_FILE"
    if ! certutil -N -d "$DB_DIR" -f "$PWD_FILE" </dev/null; then
        rollback_init
        die 1 "certutil -N could not create the database in $DB_DIR (see its message above)"
    fi
    if ! db_exists; then
        rollback_init
        die 1 "Can't find certificate database files. Certificate database ($DB_DIR) cannot be created"
    fi
    for f in $DB_FILES; do
        [ -f "$DB_DIR/$f" ] && fix_owner_and_mode "$DB_DIR/$f"
    done
    if [ -f "$NOISE_FILE" ]; then
        echo "Using existing noise file $NOISE_FILE"
    else
        echo "Creating new noise file $NOISE_FILE"
        CREATED_NOISE=1
        (ps -elf; date; w) 2>/dev/null | sha1sum | cut -d ' ' -f 1 >"$NOISE_FILE" || {
            rollback_init
            die 1 "Can't create the noise file $NOISE_FILE"
        }
        fix_owner_and_mode "$NOISE_FILE"
    fi
}

op_init() {
    require_file "$CERTIFICATE_FILE"
    db_exists && die 1 "Certificate database already exists. Delete it to continue"
    need_tools certutil
    create_db
    echo "Importing CA"
    if ! certutil -d "$DB_DIR" -A -t "CT,c,c" -n "$CA_NICKNAME" -f "$PWD_FILE" -i "$CERTIFICATE_FILE" </dev/null; then
        rollback_init
        die 1 "Can't import the CA certificate from $CERTIFICATE_FILE; the database was removed again." \
            "Use the file $QNETD_DB_DIR/qnetd-cacert.crt exported by corosync-qnetd-certutil -i on the QNetd server"
    fi
}

op_request() {
    require_cluster_name
    require_db
    need_tools certutil
    echo "Creating new certificate request"
    if ! certutil -R -s "$(subject_for "$CLUSTER_NAME")" -o "$CRQ_FILE" -d "$DB_DIR" -f "$PWD_FILE" \
        -z "$NOISE_FILE" -k rsa -g 2048 -Z SHA256 </dev/null; then
        rm -f "$CRQ_FILE"
        die 1 "Can't create the certificate request (see certutil's message above);" \
            "check that $DB_DIR was made by $0 -i and that $NOISE_FILE exists"
    fi
    echo "Certificate request stored in $CRQ_FILE"
}

op_import_signed() {
    require_file "$CERTIFICATE_FILE"
    require_db
    need_tools certutil pk12util
    echo "Importing signed cluster certificate"
    certutil -d "$DB_DIR" -A -t "u,u,u" -n "$CLUSTER_NICKNAME" -i "$CERTIFICATE_FILE" </dev/null ||
        die 1 "Can't import the cluster certificate from $CERTIFICATE_FILE;" \
            "use the cluster-<name>.crt made by corosync-qnetd-certutil -s from this node's request"
    if ! pk12util -d "$DB_DIR" -o "$P12_FILE" -W "" -n "$CLUSTER_NICKNAME" </dev/null; then
        rm -f "$P12_FILE"
        # pk12util's last message may lack its newline; start ours on a line of its own.
        echo >&2
        die 1 "Can't export the cluster certificate with its key to $P12_FILE." \
            "Run -M on the node that ran -r, with the certificate signed from that node's request"
    fi
    echo "Certificate stored in $P12_FILE"
}

op_import_p12() {
    require_file "$CERTIFICATE_FILE"
    require_db
    need_tools certutil pk12util
    echo "Importing cluster certificate and key"
    pk12util -i "$CERTIFICATE_FILE" -d "$DB_DIR" -W "" </dev/null ||
        die 1 "Can't import $CERTIFICATE_FILE; use the qdevice-net-node.p12 exported by $0 -M"
    certutil -L -d "$DB_DIR" -n "$CLUSTER_NICKNAME" >/dev/null 2>&1 </dev/null ||
        die 1 "$CERTIFICATE_FILE holds no certificate named \"$CLUSTER_NICKNAME\";" \
            "use the qdevice-net-node.p12 exported by $0 -M"
}

# ---- -Q: the whole set-up driven from here over the remote shell and copy commands ----

REMOTE_SHELL_CMD=ssh
REMOTE_COPY_CMD=scp

rsh() {
    local -a cmd
    read -r -a cmd <<<"$REMOTE_SHELL_CMD"
    "${cmd[@]}" "$@"
}

rcp() {
    local -a cmd
    read -r -a cmd <<<"$REMOTE_COPY_CMD"
    "${cmd[@]}" "$@"
}

QUICK_TMP=""
quick_cleanup() { # shellcheck disable=SC2317 # run by the EXIT trap
    [ -n "$QUICK_TMP" ] && rm -f "$QUICK_TMP"
}

# Copies HOST1:FILE1 to HOST2:FILE2 through a local temporary file, as the two hosts need not trust each other.
remote_to_remote() {
    rcp "root@$1:$2" "$QUICK_TMP" || die 1 "Can't copy $2 from $1 (check $REMOTE_COPY_CMD access to root@$1)"
    rcp "$QUICK_TMP" "root@$3:$4" || die 1 "Can't copy $2 to $3:$4 (check $REMOTE_COPY_CMD access to root@$3)"
}

op_quick() {
    local qnetd_host node first
    require_cluster_name
    [ $# -ge 1 ] || die 2 "No QNetd server address provided."
    qnetd_host=$1
    shift
    [ $# -ge 1 ] || die 2 "No nodes provided."
    first=$1

    # Remote shells join their arguments into one command line: quote what we pass through.
    local self db name
    self=$(printf '%q' "$0")
    db=$(printf '%q' "$DB_DIR")
    name=$(printf '%q' "$CLUSTER_NAME")

    for node in "$@"; do
        if rsh "root@$node" "[ -d $db ]"; then
            die 1 "Node $node seems to be already initialized. Please delete $DB_DIR"
        fi
        rsh "root@$node" "$self" >/dev/null
        case $? in
        0) ;;
        255) die 1 "Node $node doesn't have $0 installed" \
            "($REMOTE_SHELL_CMD root@$node failed with status 255: check that root can log in there without a password)" ;;
        *) die 1 "Node $node doesn't have $0 installed" ;;
        esac
    done

    QUICK_TMP=$(mktemp) || die 1 "Can't create a temporary file (mktemp failed)"
    trap quick_cleanup EXIT

    # An already initialised server keeps its CA; the failure is expected then.
    rsh "root@$qnetd_host" "$QNETD_CERTUTIL -i"

    for node in "$@"; do
        remote_to_remote "$qnetd_host" "$QNETD_DB_DIR/qnetd-cacert.crt" "$node" /tmp/qnetd-cacert.crt
        rsh "root@$node" "$self -i -c /tmp/qnetd-cacert.crt && rm /tmp/qnetd-cacert.crt" ||
            die 1 "Initialising the database on $node failed (see above)"
    done

    rsh "root@$first" "$self -r -n $name" ||
        die 1 "Creating the certificate request on $first failed (see above)"
    remote_to_remote "$first" "$CRQ_FILE" "$qnetd_host" /tmp/qdevice-net-node.crq
    rsh "root@$qnetd_host" "$QNETD_CERTUTIL -s -c /tmp/qdevice-net-node.crq -n $name" ||
        die 1 "Signing the certificate request on $qnetd_host failed (see above)"
    remote_to_remote "$qnetd_host" "$QNETD_DB_DIR/cluster-$CLUSTER_NAME.crt" "$first" "$DB_DIR/cluster-$CLUSTER_NAME.crt"
    rsh "root@$first" "$self -M -c $(printf '%q' "$DB_DIR/cluster-$CLUSTER_NAME.crt")" ||
        die 1 "Importing the signed certificate on $first failed (see above)"

    shift
    for node in "$@"; do
        remote_to_remote "$first" "$P12_FILE" "$node" "$P12_FILE"
        rsh "root@$node" "$self -m -c $(printf '%q' "$P12_FILE")" ||
            die 1 "Importing the cluster certificate on $node failed (see above)"
    done
}

OPERATION=""
CERTIFICATE_FILE=""
CLUSTER_NAME=""

while getopts ":hiMmQrc:S:C:n:" opt; do
    case $opt in
    i) OPERATION=init ;;
    r) OPERATION=request ;;
    M) OPERATION=import_signed ;;
    m) OPERATION=import_p12 ;;
    Q) OPERATION=quick ;;
    c) CERTIFICATE_FILE=$OPTARG ;;
    n) CLUSTER_NAME=$OPTARG ;;
    S) REMOTE_SHELL_CMD=$OPTARG ;;
    C) REMOTE_COPY_CMD=$OPTARG ;;
    h)
        usage
        exit 0
        ;;
    :) die 1 "Option -$OPTARG requires an argument." ;;
    \?) die 1 "Invalid option: -$OPTARG" ;;
    esac
done
shift $((OPTIND - 1))

case $OPERATION in
init) op_init ;;
request) op_request ;;
import_signed) op_import_signed ;;
import_p12) op_import_p12 ;;
quick) op_quick "$@" ;;
*)
    usage
    exit 0
    ;;
esac
exit 0
