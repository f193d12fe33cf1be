/* Message framing shared by both daemons: the 6-byte header, the size limit, and stopping at each message's end (the STARTTLS boundary). */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

void frame_reader_init(struct frame_reader *r, uint64_t max_size)
{
	memset(r, 0, sizeof(*r));
	r->max_size = max_size;
}

void frame_reader_reset(struct frame_reader *r)
{
	free(r->msg);
	r->msg = NULL;
	r->header_have = 0;
	r->msg_size = 0;
	r->msg_have = 0;
	r->verdict = FRAME_ACCEPTED;
	r->delivered = false;
}

void frame_reader_destroy(struct frame_reader *r)
{
	frame_reader_reset(r);
}

void frame_reader_set_max(struct frame_reader *r, uint64_t max_size)
{
	r->max_size = max_size;
}

size_t frame_reader_want(const struct frame_reader *r)
{
	if (r->delivered)
		return PROTO_HEADER_SIZE;
	if (r->header_have < PROTO_HEADER_SIZE)
		return PROTO_HEADER_SIZE - r->header_have;
	return r->msg_size - r->msg_have;
}

bool frame_reader_at_boundary(const struct frame_reader *r)
{
	return r->delivered || r->header_have == 0;
}

static void fill_frame(const struct frame_reader *r, enum frame_event event, struct frame *out)
{
	struct msg_header h;

	memset(out, 0, sizeof(*out));
	out->event = event;
	if (r->header_have == PROTO_HEADER_SIZE) {
		msg_header_parse(r->header, &h);
		out->type = h.type;
		out->length = h.length;
		out->verdict = r->verdict;
	}
}

/* The header is complete: judge it and prepare for the payload; false when out of memory. */
static bool header_complete(struct frame_reader *r)
{
	struct msg_header h;

	msg_header_parse(r->header, &h);
	r->msg_size = PROTO_HEADER_SIZE + (size_t)h.length;
	r->msg_have = PROTO_HEADER_SIZE;
	if (!proto_msg_type_is_known(h.type))
		r->verdict = FRAME_UNKNOWN_TYPE;
	else if ((uint64_t)PROTO_HEADER_SIZE + h.length > r->max_size)
		r->verdict = FRAME_TOO_LONG;
	else
		r->verdict = FRAME_ACCEPTED;
	if (r->verdict == FRAME_ACCEPTED) {
		r->msg = malloc(r->msg_size);
		if (r->msg == NULL)
			return false;
		memcpy(r->msg, r->header, PROTO_HEADER_SIZE);
	}
	return true;
}

bool frame_reader_header_done(const struct frame_reader *r, struct frame *out)
{
	if (r->delivered || r->header_have < PROTO_HEADER_SIZE)
		return false;
	fill_frame(r, FRAME_NEED_MORE, out);
	return true;
}

size_t frame_reader_feed(struct frame_reader *r, const uint8_t *data, size_t len, struct frame *out)
{
	size_t taken = 0;

	if (r->delivered)
		frame_reader_reset(r);
	if (r->header_have < PROTO_HEADER_SIZE) {
		size_t n = PROTO_HEADER_SIZE - r->header_have;
		if (n > len)
			n = len;
		memcpy(r->header + r->header_have, data, n);
		r->header_have += n;
		taken = n;
		if (r->header_have < PROTO_HEADER_SIZE) {
			fill_frame(r, FRAME_NEED_MORE, out);
			return taken;
		}
		if (!header_complete(r)) {
			fill_frame(r, FRAME_NO_MEMORY, out);
			return taken;
		}
	}
	if (r->verdict == FRAME_ACCEPTED && r->msg == NULL) {
		fill_frame(r, FRAME_NO_MEMORY, out);  /* fed again after a failed allocation */
		return taken;
	}
	/* The payload, possibly empty, never beyond the message's end. */
	size_t n = r->msg_size - r->msg_have;
	if (n > len - taken)
		n = len - taken;
	if (r->msg != NULL && n > 0)
		memcpy(r->msg + r->msg_have, data + taken, n);
	r->msg_have += n;
	taken += n;
	if (r->msg_have < r->msg_size) {
		fill_frame(r, FRAME_NEED_MORE, out);
		return taken;
	}
	r->delivered = true;
	fill_frame(r, r->verdict == FRAME_ACCEPTED ? FRAME_MESSAGE : FRAME_SKIPPED, out);
	if (out->event == FRAME_MESSAGE) {
		out->data = r->msg;
		out->size = r->msg_size;
	}
	return taken;
}
