/* corosync-qnetd-tool -P: gathers what the checks of this arbiter before pvecm qdevice setup need besides -D's facts (the SSH server's settings, root's keys, the certutil, a cluster's certificate). */
#ifndef QD_QNETD_TOOL_SETUP_H
#define QD_QNETD_TOOL_SETUP_H

#include "qnetd_diagnose.h"

/*
 * Reads "sshd -T" (the program is $QNETD_TOOL_SSHD when set, else /usr/sbin/sshd), the authorized
 * keys files it names for root, PATH for corosync-qnetd-certutil and nssdb_dir/cluster-NAME.crt.
 * Changes nothing.
 */
void qnetd_tool_setup_gather(const char *cluster_name, const char *nssdb_dir, struct qnetd_setup_input *s);

#endif
