/* TLV layer of the wire format: big-endian integers, option iteration and bounded writing. */
#include "tlv.h"

#include <string.h>

uint16_t tlv_get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

uint32_t tlv_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t tlv_get_u64(const uint8_t *p)
{
	return (uint64_t)tlv_get_u32(p) << 32 | tlv_get_u32(p + 4);
}

void tlv_set_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void tlv_set_u32(uint8_t *p, uint32_t v)
{
	tlv_set_u16(p, (uint16_t)(v >> 16));
	tlv_set_u16(p + 2, (uint16_t)v);
}

void tlv_set_u64(uint8_t *p, uint64_t v)
{
	tlv_set_u32(p, (uint32_t)(v >> 32));
	tlv_set_u32(p + 4, (uint32_t)v);
}

void tlv_iter_init(struct tlv_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
}

int tlv_iter_next(struct tlv_iter *it, struct tlv_option *opt)
{
	size_t left = it->len - it->pos;

	if (left == 0)
		return 0;
	if (left < 4)
		return -1;
	const uint8_t *p = it->buf + it->pos;
	uint16_t vlen = tlv_get_u16(p + 2);
	if ((size_t)vlen > left - 4)
		return -1;
	opt->type = tlv_get_u16(p);
	opt->len = vlen;
	opt->value = p + 4;
	it->pos += 4 + (size_t)vlen;
	return 1;
}

void tlv_writer_init(struct tlv_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->failed = false;
}

/* Reserves n bytes and returns where to write them, or NULL once the writer has failed. */
static uint8_t *writer_reserve(struct tlv_writer *w, size_t n)
{
	if (w->failed || n > w->cap - w->len) {
		w->failed = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

void tlv_put_raw(struct tlv_writer *w, const void *data, size_t len)
{
	uint8_t *p = writer_reserve(w, len);
	if (p != NULL && len > 0)
		memcpy(p, data, len);
}

/* Writes an option header for a value of len bytes; NULL if it does not fit. */
static uint8_t *writer_option(struct tlv_writer *w, uint16_t type, size_t len)
{
	if (len > UINT16_MAX) {
		w->failed = true;
		return NULL;
	}
	uint8_t *p = writer_reserve(w, 4 + len);
	if (p == NULL)
		return NULL;
	tlv_set_u16(p, type);
	tlv_set_u16(p + 2, (uint16_t)len);
	return p + 4;
}

void tlv_put_bytes(struct tlv_writer *w, uint16_t type, const void *value, size_t len)
{
	uint8_t *p = writer_option(w, type, len);
	if (p != NULL && len > 0)
		memcpy(p, value, len);
}

void tlv_put_u8(struct tlv_writer *w, uint16_t type, uint8_t v)
{
	uint8_t *p = writer_option(w, type, 1);
	if (p != NULL)
		p[0] = v;
}

void tlv_put_u16(struct tlv_writer *w, uint16_t type, uint16_t v)
{
	uint8_t *p = writer_option(w, type, 2);
	if (p != NULL)
		tlv_set_u16(p, v);
}

void tlv_put_u32(struct tlv_writer *w, uint16_t type, uint32_t v)
{
	uint8_t *p = writer_option(w, type, 4);
	if (p != NULL)
		tlv_set_u32(p, v);
}

void tlv_put_u64(struct tlv_writer *w, uint16_t type, uint64_t v)
{
	uint8_t *p = writer_option(w, type, 8);
	if (p != NULL)
		tlv_set_u64(p, v);
}

void tlv_put_u16_array(struct tlv_writer *w, uint16_t type, const uint16_t *values, size_t count)
{
	if (count > UINT16_MAX / 2) {
		w->failed = true;
		return;
	}
	uint8_t *p = writer_option(w, type, count * 2);
	if (p == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		tlv_set_u16(p + 2 * i, values[i]);
}

size_t tlv_put_open(struct tlv_writer *w, uint16_t type)
{
	size_t handle = w->len;
	uint8_t *p = writer_reserve(w, 4);
	if (p != NULL) {
		tlv_set_u16(p, type);
		tlv_set_u16(p + 2, 0);
	}
	return handle;
}

void tlv_put_close(struct tlv_writer *w, size_t handle)
{
	if (w->failed)
		return;
	size_t vlen = w->len - handle - 4;
	if (vlen > UINT16_MAX) {
		w->failed = true;
		return;
	}
	tlv_set_u16(w->buf + handle + 2, (uint16_t)vlen);
}
