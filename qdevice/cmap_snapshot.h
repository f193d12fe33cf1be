/* A copy of the cmap keys the daemon reads, taken through libcmap into the plain model config.c validates. */
#ifndef QD_QDEVICE_CMAP_SNAPSHOT_H
#define QD_QDEVICE_CMAP_SNAPSHOT_H

#include <stddef.h>

#include <corosync/cmap.h>

#include "config.h"

/* Owns its entries and their strings; .view is what the config reader takes. */
struct qdevice_cmap_snapshot {
	struct qdevice_cmap_entry *entries;
	size_t count;
	size_t cap;
	struct qdevice_cmap view;
};

/*
 * Copies every key under the prefixes qdevice reads (quorum., nodelist., totem., logging.,
 * runtime.votequorum.this_node_id, config.). Types libcmap has but the model lacks (floats,
 * binary, 8/16/64-bit signed) are left out, which the typed getters treat as absent, as upstream's
 * typed getters do on a type mismatch. Returns CS_OK or the libcmap error.
 */
cs_error_t qdevice_cmap_snapshot_take(cmap_handle_t h, struct qdevice_cmap_snapshot *snap);
void qdevice_cmap_snapshot_free(struct qdevice_cmap_snapshot *snap);

#endif
