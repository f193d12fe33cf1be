/* Fills corosync-qdevice's cmap mirror through libcmap, and converts libcmap's typed values into the plain model. */
#ifndef QD_QDEVICE_CMAP_SNAPSHOT_H
#define QD_QDEVICE_CMAP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include <corosync/cmap.h>

#include "qdevice_cmap_mirror.h"

/*
 * Copies every key under the prefixes qdevice reads (quorum., nodelist., totem., logging.,
 * runtime.votequorum.this_node_id, config.) into an empty mirror. Types libcmap has but the model
 * lacks (floats, binary, 8/16/64-bit signed) are left out, which the typed getters treat as absent,
 * as upstream's typed getters do on a type mismatch. Returns CS_OK or the libcmap error (the mirror
 * is then empty). These are synchronous cmap requests: only for start-up, before the device is
 * registered with votequorum.
 */
cs_error_t qdevice_cmap_snapshot_take(cmap_handle_t h, struct qdevice_cmap_mirror *m);

/*
 * A value as libcmap hands it over (track notification or cmap_get) in the model's form: true
 * when the type is one the model has; e->key is set to key, e->str points into data (copy it
 * before data goes away; the mirror's set does).
 */
bool qdevice_cmap_entry_from_value(const char *key, cmap_value_types_t type, const void *data, size_t len,
				   struct qdevice_cmap_entry *e);

#endif
