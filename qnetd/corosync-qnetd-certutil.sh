#!/bin/bash
# corosync-qnetd-certutil: creates qnetd's NSS database (CA + server certificate) and signs cluster certificates.
set -u

DB_DIR=${QNETD_CERTUTIL_DB_DIR:-/etc/corosync/qnetd/nssdb}
# Owner and group of created files follow this directory when running as root.
CONFIG_DIR=$(dirname "$DB_DIR")
PWD_FILE="$DB_DIR/pwdfile.txt"
NOISE_FILE="$DB_DIR/noise.txt"
SERIAL_FILE="$DB_DIR/serial.txt"
CA_EXPORT_FILE="$DB_DIR/qnetd-cacert.crt"
CA_NICKNAME="QNet CA"
CA_SUBJECT="CN=QNet CA"
SERVER_NICKNAME="QNetd Cert"
SERVER_SUBJECT="CN=Qnetd Server"
VALIDITY_MONTHS=1200

dir_mode=0770
file_mode=0660

usage() {
    echo "$0: [-i|-s] [-c certificate] [-G] [-n cluster_name]"
    echo
    echo " -i                  Create the database: QNet CA, the server certificate, qnetd-cacert.crt"
    echo " -s                  Sign a node's certificate request (-c) for a cluster (-n)"
    echo " -c certificate      The request file, qdevice-net-node.crq from corosync-qdevice-net-certutil -r"
    echo " -G                  Make new directories 0750 and files 0640 (no group write)"
    echo " -n cluster_name     The cluster's name, as in totem.cluster_name of corosync.conf"
    echo " -E file             Export the whole database (CA, keys, certificates, modes, group) to file"
    echo " -I file             Import a database exported with -E (an existing one is kept aside)"
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

need_certutil() {
    command -v certutil >/dev/null 2>&1 ||
        die 1 "certutil not found: it comes with the NSS tools (Debian package libnss3-tools); install them and retry"
}

# Gives a created file the owner of the configuration directory when run as root.
fix_owner() {
    [ "$(id -u)" -eq 0 ] || return 0
    chown --reference="$CONFIG_DIR" "$@" 2>/dev/null ||
        chown "$(stat -f "%u:%g" "$CONFIG_DIR" 2>/dev/null)" "$@" 2>/dev/null || true
}

fix_owner_and_mode() {
    fix_owner "$@"
    chmod "$file_mode" "$@"
}

db_exists() {
    [ -f "$DB_DIR/cert8.db" ] || [ -f "$DB_DIR/cert9.db" ]
}

# Serial numbers start at 101: the counter is stored and incremented before each use.
# Runs in a command substitution, so it reports failure through its status only.
next_serial() {
    local serial=100
    if [ -f "$SERIAL_FILE" ]; then
        serial=$(cat "$SERIAL_FILE") || return 1
        if ! [[ $serial =~ ^[0-9]{1,15}$ ]]; then
            echo "$SERIAL_FILE does not hold a serial number; write the last serial used (or 100 if unknown) into it" >&2
            return 1
        fi
    fi
    serial=$((10#$serial + 1))
    if ! echo "$serial" >"$SERIAL_FILE"; then
        echo "Can't write $SERIAL_FILE: check that $DB_DIR is writable" >&2
        return 1
    fi
    fix_owner_and_mode "$SERIAL_FILE"
    echo "$serial"
}

CREATED_DIR=0
CREATED_NOISE=0
# Undoes a half-done -i so that the next -i does not stop at "already exists".
rollback_init() {
    local f
    for f in cert8.db key3.db secmod.db cert9.db key4.db pkcs11.txt; do
        rm -f "$DB_DIR/$f"
    done
    rm -f "$PWD_FILE" "$SERIAL_FILE" "$CA_EXPORT_FILE"
    [ "$CREATED_NOISE" -eq 1 ] && rm -f "$NOISE_FILE"
    [ "$CREATED_DIR" -eq 1 ] && rmdir "$DB_DIR" 2>/dev/null
    return 0
}

# Fails -i after cleaning up; every caller names what went wrong.
fail_init() {
    rollback_init
    die 1 "$@" "The partial database in $DB_DIR was removed; fix the cause and run $0 -i again"
}

create_noise() {
    if [ -f "$NOISE_FILE" ]; then
        echo "Using existing noise file $NOISE_FILE"
    else
        echo "Creating new noise file $NOISE_FILE"
        CREATED_NOISE=1
        (ps -elf; date; w) 2>/dev/null | sha1sum | sed 's/ .*//' > "$NOISE_FILE" ||
            fail_init "Can't create the noise file $NOISE_FILE"
        fix_owner_and_mode "$NOISE_FILE"
    fi
}

init_db() {
    local serial
    if db_exists; then
        die 1 "Certificate database ($DB_DIR) already exists. Delete it to initialize new db"
    fi
    need_certutil
    if [ ! -d "$DB_DIR" ]; then
        echo "Creating $DB_DIR"
        mkdir -p "$DB_DIR" || die 1 "Can't create $DB_DIR: check that its parent directory is writable"
        CREATED_DIR=1
        chmod "$dir_mode" "$DB_DIR"
        fix_owner "$DB_DIR"
    fi
    echo "Creating new key and cert db"
    : > "$PWD_FILE" || fail_init "Can't create $PWD_FILE: check that $DB_DIR is writable"
    fix_owner_and_mode "$PWD_FILE"
    certutil -N -d "$DB_DIR" -f "$PWD_FILE" </dev/null ||
        fail_init "certutil -N could not create the database in $DB_DIR (see its message above)"
    if ! db_exists; then
        fail_init "Can't find certificate database files. Certificate database ($DB_DIR) cannot be created"
    fi
    for f in cert8.db key3.db secmod.db cert9.db key4.db pkcs11.txt; do
        [ -f "$DB_DIR/$f" ] && fix_owner_and_mode "$DB_DIR/$f"
    done

    create_noise

    echo "Creating new CA"
    serial=$(next_serial) || fail_init "Can't allocate a serial number for the CA certificate"
    # Answers to certutil -2: is a CA, path length 0, critical.
    printf 'y\n0\ny\n' | certutil -S -n "$CA_NICKNAME" -s "$CA_SUBJECT" -x -t "CT,," -m "$serial" \
        -v "$VALIDITY_MONTHS" -d "$DB_DIR" -z "$NOISE_FILE" -f "$PWD_FILE" -k rsa -g 2048 -Z SHA256 -2 ||
        fail_init "Can't create the CA certificate (see certutil's message above)"
    if ! { certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" </dev/null > "$CA_EXPORT_FILE" &&
        certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" -a </dev/null >> "$CA_EXPORT_FILE"; }; then
        fail_init "Can't export the CA certificate to $CA_EXPORT_FILE"
    fi
    fix_owner "$CA_EXPORT_FILE"

    serial=$(next_serial) || fail_init "Can't allocate a serial number for the server certificate"
    certutil -S -n "$SERVER_NICKNAME" -s "$SERVER_SUBJECT" -c "$CA_NICKNAME" -t "u,u,u" -m "$serial" \
        -v "$VALIDITY_MONTHS" -d "$DB_DIR" -z "$NOISE_FILE" -f "$PWD_FILE" -k rsa -g 2048 -Z SHA256 </dev/null ||
        fail_init "Can't create the server certificate (see certutil's message above)"
    echo "QNetd CA certificate is exported as $CA_EXPORT_FILE"
}

sign_cluster_cert() {
    local out serial
    if [ -z "$CERTIFICATE_FILE" ]; then
        die 2 "Can't open certificate file " "No certificate request given: name it with -c <file> (see $0 -h)"
    fi
    if [ ! -f "$CERTIFICATE_FILE" ] || [ ! -r "$CERTIFICATE_FILE" ]; then
        die 2 "Can't open certificate file $CERTIFICATE_FILE"
    fi
    [ -n "$CLUSTER_NAME" ] || die 2 "You have to specify cluster name"
    # The name becomes part of a file name in the database directory.
    case $CLUSTER_NAME in
    */* | . | ..) die 2 "Cluster name $CLUSTER_NAME can't be used in a file name: give the name of corosync.conf's totem.cluster_name" ;;
    esac
    db_exists || die 1 "Certificate database doesn't exists. Use $0 -i to create it"
    need_certutil

    out="$DB_DIR/cluster-$CLUSTER_NAME.crt"
    echo "Signing cluster certificate"
    serial=$(next_serial) || die 1 "Can't allocate a serial number for the cluster certificate"
    if ! certutil -C -v "$VALIDITY_MONTHS" -m "$serial" -i "$CERTIFICATE_FILE" -o "$out" -c "$CA_NICKNAME" \
        -d "$DB_DIR" -Z SHA256 </dev/null || [ ! -s "$out" ]; then
        rm -f "$out"
        die 1 "Can't sign the cluster certificate request $CERTIFICATE_FILE (see certutil's message above);" \
            "use the qdevice-net-node.crq made by corosync-qdevice-net-certutil -r"
    fi
    fix_owner "$out"
    echo "Certificate stored in $out"
}

# ---- Export and import of the whole database (not in upstream's script). ----
# The archive is a gzip'ed tar of the database directory, named nssdb inside, with modes, owner and
# group as they are: a new arbiter restored from it serves every cluster without a new set-up, since
# the server certificate's name is the fixed "Qnetd Server". Debian packages' purge writes the same
# kind of archive to /var/backups.

export_db() {
    local file=$1
    db_exists || die 1 "There is no certificate database in $DB_DIR to export"
    [ -e "$file" ] && die 1 "$file already exists; give a file name that does not"
    (umask 077 && tar -C "$CONFIG_DIR" -czf "$file" "$(basename "$DB_DIR")") ||
        { rm -f "$file"; die 1 "Can't write the archive $file (see tar's message above)"; }
    echo "Certificate database $DB_DIR exported to $file"
    echo "Keep it safe: it holds the private key of the CA that every cluster using this arbiter trusts"
}

import_db() {
    local file=$1 name stage stamp
    name=$(basename "$DB_DIR")
    [ -f "$file" ] || die 1 "$file does not exist"
    # Only an archive of one database directory is accepted: nothing outside it, a cert and key db in it.
    local list
    list=$(tar -tzf "$file" 2>/dev/null) || die 1 "$file is not an archive made by $0 -E (tar can't read it)"
    if printf '%s\n' "$list" | grep -qvE "^$name(/[^/]+)?/?\$"; then
        die 1 "$file holds files outside a $name directory; it was not made by $0 -E"
    fi
    if ! printf '%s\n' "$list" | grep -qE "^$name/(cert9|cert8)\.db\$" ||
        ! printf '%s\n' "$list" | grep -qE "^$name/(key4|key3)\.db\$"; then
        die 1 "$file holds no certificate and key database; it was not made by $0 -E"
    fi
    stage=$(mktemp -d "$CONFIG_DIR/.import.XXXXXX") || die 1 "Can't create a temporary directory in $CONFIG_DIR"
    if ! tar -C "$stage" -xzpf "$file" --same-owner 2>/dev/null && ! tar -C "$stage" -xzpf "$file"; then
        rm -rf "$stage"
        die 1 "Can't unpack $file (see tar's message above)"
    fi
    if [ -e "$DB_DIR" ]; then
        stamp=$(date +%Y%m%d-%H%M%S)
        mv "$DB_DIR" "$DB_DIR.replaced-$stamp" || { rm -rf "$stage"; die 1 "Can't move the current $DB_DIR aside"; }
        echo "The database that was in $DB_DIR is kept in $DB_DIR.replaced-$stamp"
    fi
    mv "$stage/$name" "$DB_DIR" || { rm -rf "$stage"; die 1 "Can't move the imported database to $DB_DIR"; }
    rmdir "$stage"
    echo "Certificate database imported from $file into $DB_DIR"
    echo "Restart corosync-qnetd to use it; on the nodes only the host in quorum.device.net.host may need to change"
}

OPERATION=""
CERTIFICATE_FILE=""
CLUSTER_NAME=""
ARCHIVE=""

while getopts ":Ghisc:n:E:I:" opt; do
    case $opt in
    i) OPERATION=init ;;
    s) OPERATION=sign ;;
    E)
        OPERATION=export
        ARCHIVE=$OPTARG
        ;;
    I)
        OPERATION=import
        ARCHIVE=$OPTARG
        ;;
    c) CERTIFICATE_FILE=$OPTARG ;;
    n) CLUSTER_NAME=$OPTARG ;;
    G)
        dir_mode=0750
        file_mode=0640
        ;;
    h)
        usage
        exit 0
        ;;
    :) die 1 "Option -$OPTARG requires an argument." ;;
    \?) die 1 "Invalid option: -$OPTARG" ;;
    esac
done

case $OPERATION in
init) init_db ;;
sign) sign_cluster_cert ;;
export) export_db "$ARCHIVE" ;;
import) import_db "$ARCHIVE" ;;
*)
    usage
    exit 0
    ;;
esac
