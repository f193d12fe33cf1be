/* libFuzzer target: the shared framing over arbitrary bytes in arbitrary chunks; every byte is accounted for and no read crosses a message's end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"

/*
 * Input: byte 0 picks the size limit, byte 1 seeds the chunk sizes, the rest is the stream.
 * Invariants checked (abort on violation, which libFuzzer reports):
 * - a feed takes at most what it was given and at most frame_reader_want() when asked for that;
 * - a delivered message is exactly PROTO_HEADER_SIZE + its header's length, within the limit,
 *   of a known type, and equal to the bytes fed since the previous boundary;
 * - the messages and skipped messages add up to the bytes taken.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint64_t max = 6u + (uint64_t)data[0] * 16u;
	uint32_t seed = data[1];
	data += 2;
	size -= 2;

	struct frame_reader r;
	frame_reader_init(&r, max);
	size_t pos = 0, message_start = 0, accounted = 0;
	while (pos < size) {
		seed = seed * 1103515245u + 12345u;
		size_t want = frame_reader_want(&r);
		size_t chunk = 1 + (seed >> 16) % 64;
		bool exact = (seed >> 8) & 1;     /* half the time read exactly what the reader wants */
		if (exact && chunk > want)
			chunk = want;
		if (chunk > size - pos)
			chunk = size - pos;
		struct frame f;
		size_t took = frame_reader_feed(&r, data + pos, chunk, &f);
		if (took > chunk || (exact && took > want))
			abort();
		if (took == 0 && f.event == FRAME_NEED_MORE)
			abort();
		pos += took;
		if (f.event == FRAME_MESSAGE || f.event == FRAME_SKIPPED) {
			size_t len = pos - message_start;
			if (len != PROTO_HEADER_SIZE + (size_t)f.length)
				abort();
			if (f.event == FRAME_MESSAGE) {
				if (f.size != len || (uint64_t)f.size > max || !proto_msg_type_is_known(f.type) ||
				    memcmp(f.data, data + message_start, len) != 0)
					abort();
			} else if (f.verdict == FRAME_ACCEPTED) {
				abort();
			}
			accounted += len;
			message_start = pos;
			if (!frame_reader_at_boundary(&r))
				abort();
		} else if (f.event == FRAME_NO_MEMORY) {
			break;
		}
	}
	if (accounted != message_start)
		abort();
	frame_reader_destroy(&r);
	return 0;
}
