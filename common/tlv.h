/* TLV layer of the wire format: big-endian integers, a bounds-checked option iterator and a bounded writer. */
#ifndef QD_TLV_H
#define QD_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint16_t tlv_get_u16(const uint8_t *p);
uint32_t tlv_get_u32(const uint8_t *p);
uint64_t tlv_get_u64(const uint8_t *p);
void tlv_set_u16(uint8_t *p, uint16_t v);
void tlv_set_u32(uint8_t *p, uint32_t v);
void tlv_set_u64(uint8_t *p, uint64_t v);

/* One option as found in a buffer; value points into that buffer. */
struct tlv_option {
	uint16_t type;
	uint16_t len;
	const uint8_t *value;
};

/* Walks a sequence of options that must tile its buffer exactly. */
struct tlv_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

void tlv_iter_init(struct tlv_iter *it, const uint8_t *buf, size_t len);
/*
 * Returns 1 and fills *opt for the next option, 0 at the exact end of the
 * buffer, -1 when the remaining bytes are not a complete option (a short
 * option header or a value running past the end).
 */
int tlv_iter_next(struct tlv_iter *it, struct tlv_option *opt);

/*
 * Appends options to a caller-owned buffer of fixed capacity. Any write that
 * does not fit (or a value longer than 65535 bytes) sets `failed` and every
 * later write is ignored, so callers check once at the end.
 */
struct tlv_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool failed;
};

void tlv_writer_init(struct tlv_writer *w, uint8_t *buf, size_t cap);
void tlv_put_raw(struct tlv_writer *w, const void *data, size_t len);
void tlv_put_bytes(struct tlv_writer *w, uint16_t type, const void *value, size_t len);
void tlv_put_u8(struct tlv_writer *w, uint16_t type, uint8_t v);
void tlv_put_u16(struct tlv_writer *w, uint16_t type, uint16_t v);
void tlv_put_u32(struct tlv_writer *w, uint16_t type, uint32_t v);
void tlv_put_u64(struct tlv_writer *w, uint16_t type, uint64_t v);
void tlv_put_u16_array(struct tlv_writer *w, uint16_t type, const uint16_t *values, size_t count);
/* Opens an option whose value is written by later calls; returns a handle for tlv_put_close. */
size_t tlv_put_open(struct tlv_writer *w, uint16_t type);
void tlv_put_close(struct tlv_writer *w, size_t handle);

#endif
