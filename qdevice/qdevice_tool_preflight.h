/* corosync-qdevice-tool -P: gathers what the checks before pvecm qdevice setup need (cmap, each host over root SSH). */
#ifndef QD_QDEVICE_TOOL_PREFLIGHT_H
#define QD_QDEVICE_TOOL_PREFLIGHT_H

#include <stddef.h>

#include <corosync/cmap.h>

#include "qdevice_preflight.h"

/* A cmap string value copied into out ("" when absent); -D's gathering uses it too. */
void qdevice_tool_cmap_string(cmap_handle_t c, const char *key, char *out, size_t len);

/*
 * Reads the nodelist and membership from cmap and runs each host's script as pvecm qdevice setup
 * reaches the host: "ssh -o BatchMode=yes -lroot ADDRESS" (the program is $QDEVICE_TOOL_SSH when
 * set, as rsync's RSYNC_RSH). Every member is reached by its ring0 address, this node included.
 */
void qdevice_tool_preflight_gather(const char *arbiter, struct qdevice_preflight_input *in);

#endif
