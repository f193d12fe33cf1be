/* Message framing shared by both daemons: the 6-byte header, the size limit, and stopping at each message's end (the STARTTLS boundary). */
#ifndef QD_FRAME_H
#define QD_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * A byte stream becomes messages here, in both daemons and in the load generator. The reader
 * never takes a byte past the end of the current message: frame_reader_want says how many more
 * it needs, and frame_reader_feed stops at every event. A caller that reads only
 * frame_reader_want() bytes from a plaintext socket therefore never reads the TLS handshake that
 * follows a STARTTLS message (doc/protocol.md §7.3). Pure: no sockets, no logging.
 */

enum frame_event {
	FRAME_NEED_MORE,        /* everything fed was taken; the message is not complete yet */
	FRAME_MESSAGE,          /* a whole message (header included) in frame.data / frame.size */
	FRAME_SKIPPED,          /* the payload of a refused header (verdict) was read and thrown away */
	FRAME_NO_MEMORY,        /* the buffer for an accepted message could not be allocated */
};

enum frame_verdict {
	FRAME_ACCEPTED,
	FRAME_UNKNOWN_TYPE,     /* a message type the protocol does not define */
	FRAME_TOO_LONG,         /* header + payload larger than the reader's limit */
};

struct frame {
	enum frame_event event;
	enum frame_verdict verdict;     /* once the header is complete */
	uint16_t type;
	uint32_t length;                /* payload length from the header */
	const uint8_t *data;            /* FRAME_MESSAGE: header + payload, owned by the reader */
	size_t size;                    /* FRAME_MESSAGE: PROTO_HEADER_SIZE + length */
};

struct frame_reader {
	uint64_t max_size;              /* largest header + payload accepted */
	uint8_t header[PROTO_HEADER_SIZE];
	size_t header_have;
	enum frame_verdict verdict;
	uint8_t *msg;                   /* the message being read (NULL while skipping) */
	size_t msg_size;                /* header + payload of the current message */
	size_t msg_have;
	bool delivered;                 /* the last event ended a message: start over at the next feed */
};

void frame_reader_init(struct frame_reader *r, uint64_t max_size);
/* Frees the message buffer; the reader can be fed again from a message boundary. */
void frame_reader_reset(struct frame_reader *r);
void frame_reader_destroy(struct frame_reader *r);
/* Changes the limit for headers not read yet (qdevice learns the server's from INIT_REPLY). */
void frame_reader_set_max(struct frame_reader *r, uint64_t max_size);

/* Bytes that complete the current header or message, never more; at least 1. */
size_t frame_reader_want(const struct frame_reader *r);
/* True between messages: no byte of a next message has been fed. */
bool frame_reader_at_boundary(const struct frame_reader *r);

/*
 * Takes bytes up to the end of the current message at most and returns how many it took
 * (0..len); out describes what happened (type, length and verdict as soon as the header is
 * complete). FRAME_MESSAGE's data stays valid until the next call. After FRAME_NO_MEMORY the
 * caller must reset or drop the reader.
 */
size_t frame_reader_feed(struct frame_reader *r, const uint8_t *data, size_t len, struct frame *out);
/*
 * True once the current message's header is complete and until the message has been delivered:
 * a caller can then look at the verdict before it reads the payload (qdevice refuses an unknown
 * type at once).
 */
bool frame_reader_header_done(const struct frame_reader *r, struct frame *out);

#endif
