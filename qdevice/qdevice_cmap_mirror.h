/* corosync-qdevice's own copy of the cmap keys it reads: filled once at start-up, then kept current from track notifications. */
#ifndef QD_QDEVICE_CMAP_MIRROR_H
#define QD_QDEVICE_CMAP_MIRROR_H

#include <stddef.h>

#include "qdevice_config.h"

/*
 * Why a copy: while corosync synchronises a new membership it answers only votequorum requests,
 * so a cmap request made then waits for the end of the sync, which itself waits for this daemon's
 * poll (doc/corosync-calls.md). The daemon therefore reads cmap once, before it registers its
 * device, and afterwards learns every change from the values the track notifications carry.
 *
 * Owns its entries' keys and strings. .view always describes the current entries and is what the
 * configuration readers in config.h take; it is invalidated by the next set or delete.
 */
struct qdevice_cmap_mirror {
	struct qdevice_cmap_entry *entries;
	size_t count;
	size_t cap;
	struct qdevice_cmap view;
};

void qdevice_cmap_mirror_init(struct qdevice_cmap_mirror *m);
void qdevice_cmap_mirror_destroy(struct qdevice_cmap_mirror *m);
/* Adds the key or replaces its value and type (key and string are copied). 0, or -1 out of memory (unchanged). */
int qdevice_cmap_mirror_set(struct qdevice_cmap_mirror *m, const struct qdevice_cmap_entry *e);
/* Removes the key if present. */
void qdevice_cmap_mirror_delete(struct qdevice_cmap_mirror *m, const char *key);

#endif
