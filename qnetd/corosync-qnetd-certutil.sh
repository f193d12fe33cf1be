#!/bin/bash
# corosync-qnetd-certutil: creates qnetd's NSS database (CA + server certificate) and signs cluster certificates (tools.md §4).
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
    echo " -i      Initialize QNetd CA and generate server certificate"
    echo " -s      Sign cluster certificate (needs cluster certificate request)"
    echo " -c certificate  Cluster certificate request to sign (for -s)"
    echo " -G      Do not set group write bit for new files"
    echo " -n cluster_name Name of cluster (for -s)"
}

die() {
    local code=$1
    shift
    echo "$*" >&2
    exit "$code"
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
next_serial() {
    local serial=100
    if [ -f "$SERIAL_FILE" ]; then
        serial=$(cat "$SERIAL_FILE")
    fi
    serial=$((serial + 1))
    echo "$serial" > "$SERIAL_FILE"
    fix_owner_and_mode "$SERIAL_FILE"
    echo "$serial"
}

create_noise() {
    if [ -f "$NOISE_FILE" ]; then
        echo "Using existing noise file $NOISE_FILE"
    else
        echo "Creating new noise file $NOISE_FILE"
        (ps -elf; date; w) 2>/dev/null | sha1sum | sed 's/ .*//' > "$NOISE_FILE"
        fix_owner_and_mode "$NOISE_FILE"
    fi
}

init_db() {
    if db_exists; then
        die 1 "Certificate database ($DB_DIR) already exists. Delete it to initialize new db"
    fi
    if [ ! -d "$DB_DIR" ]; then
        echo "Creating $DB_DIR"
        mkdir -p "$DB_DIR" || die 1 "Can't create $DB_DIR"
        chmod "$dir_mode" "$DB_DIR"
        fix_owner "$DB_DIR"
    fi
    echo "Creating new key and cert db"
    echo -n "" > "$PWD_FILE"
    fix_owner_and_mode "$PWD_FILE"
    certutil -N -d "$DB_DIR" -f "$PWD_FILE" || die 1 "certutil -N failed"
    if ! db_exists; then
        die 1 "Can't find certificate database files. Certificate database ($DB_DIR) cannot be created"
    fi
    for f in cert8.db key3.db secmod.db cert9.db key4.db pkcs11.txt; do
        [ -f "$DB_DIR/$f" ] && fix_owner_and_mode "$DB_DIR/$f"
    done

    create_noise

    echo "Creating new CA"
    # Answers to certutil -2: is a CA, path length 0, critical.
    printf 'y\n0\ny\n' | certutil -S -n "$CA_NICKNAME" -s "$CA_SUBJECT" -x -t "CT,," -m "$(next_serial)" \
        -v "$VALIDITY_MONTHS" -d "$DB_DIR" -z "$NOISE_FILE" -f "$PWD_FILE" -2 ||
        die 1 "Can't create the CA certificate"
    certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" > "$CA_EXPORT_FILE" &&
        certutil -L -d "$DB_DIR" -n "$CA_NICKNAME" -a >> "$CA_EXPORT_FILE" ||
        die 1 "Can't export the CA certificate"
    fix_owner "$CA_EXPORT_FILE"

    certutil -S -n "$SERVER_NICKNAME" -s "$SERVER_SUBJECT" -c "$CA_NICKNAME" -t "u,u,u" -m "$(next_serial)" \
        -v "$VALIDITY_MONTHS" -d "$DB_DIR" -z "$NOISE_FILE" -f "$PWD_FILE" ||
        die 1 "Can't create the server certificate"
    echo "QNetd CA certificate is exported as $CA_EXPORT_FILE"
}

sign_cluster_cert() {
    [ -f "$CERTIFICATE_FILE" ] || die 2 "Can't open certificate file $CERTIFICATE_FILE"
    [ -n "$CLUSTER_NAME" ] || die 2 "You have to specify cluster name"
    db_exists || die 1 "Certificate database doesn't exists. Use $0 -i to create it"

    local out="$DB_DIR/cluster-$CLUSTER_NAME.crt"
    echo "Signing cluster certificate"
    certutil -C -v "$VALIDITY_MONTHS" -m "$(next_serial)" -i "$CERTIFICATE_FILE" -o "$out" -c "$CA_NICKNAME" \
        -d "$DB_DIR" || die 1 "Can't sign the cluster certificate request $CERTIFICATE_FILE"
    fix_owner "$out"
    echo "Certificate stored in $out"
}

OPERATION=""
CERTIFICATE_FILE=""
CLUSTER_NAME=""

while getopts ":Ghisc:n:" opt; do
    case $opt in
    i) OPERATION=init ;;
    s) OPERATION=sign ;;
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
*)
    usage
    exit 0
    ;;
esac
