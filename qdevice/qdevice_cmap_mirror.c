/* corosync-qdevice's own copy of the cmap keys it reads: filled once at start-up, then kept current from track notifications. */
#include "qdevice_cmap_mirror.h"

#include <stdlib.h>
#include <string.h>

static void mirror_sync_view(struct qdevice_cmap_mirror *m)
{
	m->view.entries = m->entries;
	m->view.count = m->count;
}

void qdevice_cmap_mirror_init(struct qdevice_cmap_mirror *m)
{
	memset(m, 0, sizeof(*m));
}

static void entry_free(struct qdevice_cmap_entry *e)
{
	free((char *)e->key);
	free((char *)e->str);
}

void qdevice_cmap_mirror_destroy(struct qdevice_cmap_mirror *m)
{
	for (size_t i = 0; i < m->count; i++)
		entry_free(&m->entries[i]);
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

static struct qdevice_cmap_entry *mirror_find(struct qdevice_cmap_mirror *m, const char *key)
{
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->entries[i].key, key) == 0)
			return &m->entries[i];
	return NULL;
}

int qdevice_cmap_mirror_set(struct qdevice_cmap_mirror *m, const struct qdevice_cmap_entry *e)
{
	char *str = NULL;
	if (e->type == QDEVICE_CMAP_STRING && (str = strdup(e->str != NULL ? e->str : "")) == NULL)
		return -1;

	struct qdevice_cmap_entry *slot = mirror_find(m, e->key);
	if (slot == NULL) {
		char *key = strdup(e->key);
		if (key == NULL) {
			free(str);
			return -1;
		}
		if (m->count == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 64;
			struct qdevice_cmap_entry *grown = realloc(m->entries, cap * sizeof(*grown));
			if (grown == NULL) {
				free(key);
				free(str);
				return -1;
			}
			m->entries = grown;
			m->cap = cap;
		}
		slot = &m->entries[m->count++];
		memset(slot, 0, sizeof(*slot));
		slot->key = key;
	} else {
		free((char *)slot->str);
	}
	slot->type = e->type;
	slot->str = str;
	slot->u = e->u;
	slot->i = e->i;
	mirror_sync_view(m);
	return 0;
}

void qdevice_cmap_mirror_delete(struct qdevice_cmap_mirror *m, const char *key)
{
	struct qdevice_cmap_entry *slot = mirror_find(m, key);
	if (slot == NULL)
		return;
	entry_free(slot);
	/* Order carries no meaning (keys are unique), so the last entry fills the hole. */
	*slot = m->entries[--m->count];
	mirror_sync_view(m);
}
