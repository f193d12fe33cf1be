#!/bin/bash
# Creates the benchmark's NSS databases: qnetd's (CA + server cert) and one client DB holding a wildcard "Cluster Cert".
#
# Usage: setup-nssdb.sh DIR [CERTUTIL_SCRIPT]
#   DIR/qnetd   qnetd's database (nss_db_dir for both daemons)
#   DIR/client  the load generator's database (--nssdb)
# CERTUTIL_SCRIPT is the project's corosync-qnetd-certutil (honours QNETD_CERTUTIL_DB_DIR);
# without it the qnetd database is made with NSS certutil directly, the same way.
#
# The client certificate's subject is CN=*.bench.test with the same name as a SAN dNSName.
# NSS accepts a wildcard only in a name of at least three labels, so the clusters are
# called c1.bench.test, c2.bench.test, ... and one certificate serves every one of them.
set -eu

dir=${1:?usage: setup-nssdb.sh DIR [CERTUTIL_SCRIPT]}
certutil_script=${2:-}
qdb=$dir/qnetd
cdb=$dir/client
wildcard='*.bench.test'

command -v certutil >/dev/null || { echo "setup-nssdb: NSS certutil not found (apt-get install libnss3-tools)" >&2; exit 1; }
mkdir -p "$dir"
rm -rf "$qdb" "$cdb"

if [ -n "$certutil_script" ] && [ -x "$certutil_script" ]; then
    QNETD_CERTUTIL_DB_DIR=$qdb "$certutil_script" -i >"$dir/certutil-qnetd.log" 2>&1 ||
        { cat "$dir/certutil-qnetd.log" >&2; exit 1; }
else
    mkdir -p "$qdb"
    : >"$qdb/pwdfile.txt"
    head -c 64 /dev/urandom | sha1sum | cut -d' ' -f1 >"$qdb/noise.txt"
    certutil -N -d "$qdb" -f "$qdb/pwdfile.txt"
    printf 'y\n0\ny\n' | certutil -S -n "QNet CA" -s "CN=QNet CA" -x -t "CT,," -m 101 -v 1200 \
        -d "$qdb" -z "$qdb/noise.txt" -f "$qdb/pwdfile.txt" -2 >/dev/null
    certutil -S -n "QNetd Cert" -s "CN=Qnetd Server" -c "QNet CA" -t "u,u,u" -m 102 -v 1200 \
        -d "$qdb" -z "$qdb/noise.txt" -f "$qdb/pwdfile.txt" >/dev/null
    echo 102 >"$qdb/serial.txt"
fi

# Client database: trust the qnetd CA, make a key and a request for the wildcard name,
# let the CA sign it, import the result under the nickname qdevice uses.
mkdir -p "$cdb"
: >"$cdb/pwdfile.txt"
head -c 64 /dev/urandom | sha1sum | cut -d' ' -f1 >"$cdb/noise.txt"
certutil -N -d "$cdb" -f "$cdb/pwdfile.txt"
certutil -L -d "$qdb" -n "QNet CA" -a >"$dir/qnet-ca.pem"
certutil -A -d "$cdb" -n "QNet CA" -t "CT,c,c" -a -i "$dir/qnet-ca.pem"
certutil -R -d "$cdb" -s "CN=$wildcard" -8 "$wildcard" -o "$dir/cluster.csr" \
    -z "$cdb/noise.txt" -f "$cdb/pwdfile.txt" >/dev/null
serial=$(( $(cat "$qdb/serial.txt" 2>/dev/null || echo 102) + 1 ))
echo "$serial" >"$qdb/serial.txt"
certutil -C -d "$qdb" -c "QNet CA" -m "$serial" -v 1200 -i "$dir/cluster.csr" -o "$dir/cluster.crt" \
    -f "$qdb/pwdfile.txt"
certutil -A -d "$cdb" -n "Cluster Cert" -t "u,u,u" -i "$dir/cluster.crt"
certutil -L -d "$cdb" -n "Cluster Cert" >/dev/null
echo "setup-nssdb: qnetd DB $qdb, client DB $cdb (Cluster Cert = CN=$wildcard)"
