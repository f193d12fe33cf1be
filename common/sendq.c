/* A bounded queue of outgoing messages for one connection, shared by both daemons: copies in, partial writes out. */
#include "sendq.h"

#include <stdlib.h>
#include <string.h>

struct sendq_buf {
	struct sendq_buf *next;
	size_t len;
	uint8_t data[];
};

void sendq_init(struct sendq *q, size_t max_messages)
{
	memset(q, 0, sizeof(*q));
	q->max = max_messages;
}

void sendq_clear(struct sendq *q)
{
	while (q->head != NULL) {
		struct sendq_buf *b = q->head;
		q->head = b->next;
		free(b);
	}
	q->tail = NULL;
	q->count = 0;
	q->head_offset = 0;
}

int sendq_push(struct sendq *q, const void *data, size_t len)
{
	if (q->count >= q->max)
		return -1;
	struct sendq_buf *b = malloc(sizeof(*b) + len);
	if (b == NULL)
		return -1;
	b->next = NULL;
	b->len = len;
	memcpy(b->data, data, len);
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->count++;
	return 0;
}

int sendq_iov(const struct sendq *q, struct iovec *iov, int max)
{
	int n = 0;
	size_t off = q->head_offset;
	for (const struct sendq_buf *b = q->head; b != NULL && n < max; b = b->next) {
		iov[n].iov_base = (void *)(b->data + off);
		iov[n].iov_len = b->len - off;
		off = 0;
		n++;
	}
	return n;
}

size_t sendq_gather(const struct sendq *q, uint8_t *buf, size_t cap)
{
	size_t used = 0, off = q->head_offset;
	for (const struct sendq_buf *b = q->head; b != NULL && used < cap; b = b->next) {
		size_t take = b->len - off;
		if (used > 0 && used + take > cap)
			break;
		if (take > cap)
			take = cap;
		memcpy(buf + used, b->data + off, take);
		used += take;
		off = 0;
	}
	return used;
}

size_t sendq_consume(struct sendq *q, size_t n)
{
	size_t completed = 0;
	while (n > 0 && q->head != NULL) {
		size_t left = q->head->len - q->head_offset;
		if (n < left) {
			q->head_offset += n;
			return completed;
		}
		n -= left;
		struct sendq_buf *b = q->head;
		q->head = b->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->count--;
		q->head_offset = 0;
		free(b);
		completed++;
	}
	return completed;
}
