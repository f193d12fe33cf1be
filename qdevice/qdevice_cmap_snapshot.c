/* Fills corosync-qdevice's cmap mirror through libcmap, and converts libcmap's typed values into the plain model. */
#include "qdevice_cmap_snapshot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const snapshot_prefixes[] = {
	"quorum.", "nodelist.", "totem.", "logging.", "runtime.votequorum.this_node_id", "config.",
};

bool qdevice_cmap_entry_from_value(const char *key, cmap_value_types_t type, const void *data, size_t len,
				   struct qdevice_cmap_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->key = key;
	switch (type) {
	case CMAP_VALUETYPE_STRING:
		/* libcmap's strings carry their terminating zero; anything else is not a string we can use. */
		if (data == NULL || len == 0 || memchr(data, '\0', len) == NULL)
			return false;
		e->type = QDEVICE_CMAP_STRING;
		e->str = data;
		return true;
	case CMAP_VALUETYPE_UINT8:
		if (len != sizeof(uint8_t))
			return false;
		e->type = QDEVICE_CMAP_U8;
		e->u = *(const uint8_t *)data;
		return true;
	case CMAP_VALUETYPE_UINT16: {
		uint16_t v;
		if (len != sizeof(v))
			return false;
		memcpy(&v, data, sizeof(v));
		e->type = QDEVICE_CMAP_U16;
		e->u = v;
		return true;
	}
	case CMAP_VALUETYPE_UINT32: {
		uint32_t v;
		if (len != sizeof(v))
			return false;
		memcpy(&v, data, sizeof(v));
		e->type = QDEVICE_CMAP_U32;
		e->u = v;
		return true;
	}
	case CMAP_VALUETYPE_UINT64: {
		uint64_t v;
		if (len != sizeof(v))
			return false;
		memcpy(&v, data, sizeof(v));
		e->type = QDEVICE_CMAP_U64;
		e->u = v;
		return true;
	}
	case CMAP_VALUETYPE_INT32: {
		int32_t v;
		if (len != sizeof(v))
			return false;
		memcpy(&v, data, sizeof(v));
		e->type = QDEVICE_CMAP_I32;
		e->i = v;
		return true;
	}
	default:
		return false;
	}
}

/* Reads one key's value and adds it when its type is one the model has. */
static cs_error_t snapshot_add(cmap_handle_t h, struct qdevice_cmap_mirror *m, const char *key, size_t len,
			       cmap_value_types_t type)
{
	struct qdevice_cmap_entry e;
	cs_error_t err;
	int r;

	if (type == CMAP_VALUETYPE_STRING) {
		char *str = NULL;
		err = cmap_get_string(h, key, &str);
		if (err != CS_OK)
			return err == CS_ERR_NOT_EXIST ? CS_OK : err;
		r = qdevice_cmap_entry_from_value(key, type, str, strlen(str) + 1, &e) ? qdevice_cmap_mirror_set(m, &e) : 0;
		free(str);
	} else {
		union {
			uint64_t u64;
			char raw[16];
		} v;
		size_t vlen = sizeof(v);
		cmap_value_types_t got;
		if (len > sizeof(v))
			return CS_OK;
		err = cmap_get(h, key, &v, &vlen, &got);
		if (err != CS_OK)
			return err == CS_ERR_NOT_EXIST ? CS_OK : err;
		r = qdevice_cmap_entry_from_value(key, got, &v, vlen, &e) ? qdevice_cmap_mirror_set(m, &e) : 0;
	}
	return r == 0 ? CS_OK : CS_ERR_NO_MEMORY;
}

cs_error_t qdevice_cmap_snapshot_take(cmap_handle_t h, struct qdevice_cmap_mirror *m)
{
	qdevice_cmap_mirror_init(m);
	for (size_t p = 0; p < sizeof(snapshot_prefixes) / sizeof(snapshot_prefixes[0]); p++) {
		cmap_iter_handle_t it;
		char key[CMAP_KEYNAME_MAXLEN + 1];
		size_t len;
		cmap_value_types_t type;
		cs_error_t err = cmap_iter_init(h, snapshot_prefixes[p], &it);
		if (err != CS_OK) {
			qdevice_cmap_mirror_destroy(m);
			return err;
		}
		while ((err = cmap_iter_next(h, it, key, &len, &type)) == CS_OK) {
			err = snapshot_add(h, m, key, len, type);
			if (err != CS_OK)
				break;
		}
		cmap_iter_finalize(h, it);
		if (err != CS_OK && err != CS_ERR_NO_SECTIONS) {
			qdevice_cmap_mirror_destroy(m);
			return err;
		}
	}
	return CS_OK;
}
