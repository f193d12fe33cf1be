/* A bounded queue of outgoing messages for one connection, shared by both daemons: copies in, partial writes out. */
#ifndef QD_SENDQ_H
#define QD_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct sendq_buf;

/*
 * Messages are copied in whole and leave in order, possibly over several partial writes: the
 * writer asks for the unwritten bytes (as iovecs for writev, or gathered into one buffer for a
 * TLS record) and reports how many the socket took. The bound is in messages, as both daemons'
 * settings count them. Pure: no sockets.
 */
struct sendq {
	struct sendq_buf *head;
	struct sendq_buf *tail;
	size_t count;
	size_t max;             /* messages; a push beyond fails */
	size_t head_offset;     /* bytes of the head already written */
};

void sendq_init(struct sendq *q, size_t max_messages);
/* Drops everything queued. */
void sendq_clear(struct sendq *q);
/* Copies one message in: 0, or -1 when the queue is full or memory ran out (queue unchanged). */
int sendq_push(struct sendq *q, const void *data, size_t len);
static inline bool sendq_empty(const struct sendq *q)
{
	return q->head == NULL;
}
static inline size_t sendq_count(const struct sendq *q)
{
	return q->count;
}
/* The unwritten bytes as at most max iovecs, in order; returns how many were filled. */
int sendq_iov(const struct sendq *q, struct iovec *iov, int max);
/*
 * Copies unwritten bytes into buf, whole messages while they fit and at least the first bytes of
 * the head: returns how many (0 only when empty). A retry after a short write starts with the
 * same bytes, since the queue only grows at its tail.
 */
size_t sendq_gather(const struct sendq *q, uint8_t *buf, size_t cap);
/* n bytes were written: drops completed messages; returns how many messages completed. */
size_t sendq_consume(struct sendq *q, size_t n);

#endif
