/* A copy of the cmap keys the daemon reads, taken through libcmap into the plain model config.c validates. */
#include "cmap_snapshot.h"

#include <stdlib.h>
#include <string.h>

static const char *const snapshot_prefixes[] = {
	"quorum.", "nodelist.", "totem.", "logging.", "runtime.votequorum.this_node_id", "config.",
};

static int snapshot_grow(struct qdevice_cmap_snapshot *snap)
{
	if (snap->count < snap->cap)
		return 0;
	size_t cap = snap->cap ? snap->cap * 2 : 64;
	struct qdevice_cmap_entry *e = realloc(snap->entries, cap * sizeof(*e));
	if (e == NULL)
		return -1;
	snap->entries = e;
	snap->cap = cap;
	return 0;
}

/* Reads one key's value and appends it when its type is one the model has. */
static cs_error_t snapshot_add(cmap_handle_t h, struct qdevice_cmap_snapshot *snap, const char *key, size_t len,
			       cmap_value_types_t type)
{
	struct qdevice_cmap_entry e;
	cs_error_t err;

	memset(&e, 0, sizeof(e));
	if (type == CMAP_VALUETYPE_STRING) {
		char *str = NULL;
		err = cmap_get_string(h, key, &str);
		if (err != CS_OK)
			return err == CS_ERR_NOT_EXIST ? CS_OK : err;
		e.type = QDEVICE_CMAP_STRING;
		e.str = str;
	} else {
		union {
			uint8_t u8;
			uint16_t u16;
			uint32_t u32;
			uint64_t u64;
			int32_t i32;
			char raw[16];
		} v;
		size_t vlen = sizeof(v);
		cmap_value_types_t got;
		if (len > sizeof(v))
			return CS_OK;
		err = cmap_get(h, key, &v, &vlen, &got);
		if (err != CS_OK)
			return err == CS_ERR_NOT_EXIST ? CS_OK : err;
		switch (got) {
		case CMAP_VALUETYPE_UINT8:
			e.type = QDEVICE_CMAP_U8;
			e.u = v.u8;
			break;
		case CMAP_VALUETYPE_UINT16:
			e.type = QDEVICE_CMAP_U16;
			e.u = v.u16;
			break;
		case CMAP_VALUETYPE_UINT32:
			e.type = QDEVICE_CMAP_U32;
			e.u = v.u32;
			break;
		case CMAP_VALUETYPE_UINT64:
			e.type = QDEVICE_CMAP_U64;
			e.u = v.u64;
			break;
		case CMAP_VALUETYPE_INT32:
			e.type = QDEVICE_CMAP_I32;
			e.i = v.i32;
			break;
		default:
			return CS_OK;
		}
	}
	char *k = strdup(key);
	if (k == NULL || snapshot_grow(snap) != 0) {
		free(k);
		free((char *)e.str);
		return CS_ERR_NO_MEMORY;
	}
	e.key = k;
	snap->entries[snap->count++] = e;
	return CS_OK;
}

cs_error_t qdevice_cmap_snapshot_take(cmap_handle_t h, struct qdevice_cmap_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	for (size_t p = 0; p < sizeof(snapshot_prefixes) / sizeof(snapshot_prefixes[0]); p++) {
		cmap_iter_handle_t it;
		char key[CMAP_KEYNAME_MAXLEN + 1];
		size_t len;
		cmap_value_types_t type;
		cs_error_t err = cmap_iter_init(h, snapshot_prefixes[p], &it);
		if (err != CS_OK) {
			qdevice_cmap_snapshot_free(snap);
			return err;
		}
		while ((err = cmap_iter_next(h, it, key, &len, &type)) == CS_OK) {
			err = snapshot_add(h, snap, key, len, type);
			if (err != CS_OK)
				break;
		}
		cmap_iter_finalize(h, it);
		if (err != CS_OK && err != CS_ERR_NO_SECTIONS) {
			qdevice_cmap_snapshot_free(snap);
			return err;
		}
	}
	snap->view.entries = snap->entries;
	snap->view.count = snap->count;
	return CS_OK;
}

void qdevice_cmap_snapshot_free(struct qdevice_cmap_snapshot *snap)
{
	for (size_t i = 0; i < snap->count; i++) {
		free((char *)snap->entries[i].key);
		free((char *)snap->entries[i].str);
	}
	free(snap->entries);
	memset(snap, 0, sizeof(*snap));
}
