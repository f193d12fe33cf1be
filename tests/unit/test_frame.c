/* Unit tests of the shared message framing: byte-by-byte feeding, the STARTTLS boundary, refused headers, the size limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "msg.h"

/* A message of the given type with a payload of n bytes (the framing does not decode payloads). */
static size_t make_msg(uint8_t *buf, uint16_t type, uint32_t n)
{
	msg_header_write(buf, type, n);
	for (uint32_t i = 0; i < n; i++)
		buf[PROTO_HEADER_SIZE + i] = (uint8_t)(i + 1);
	return PROTO_HEADER_SIZE + n;
}

static void test_whole_and_bytewise(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t size = make_msg(buf, PROTO_MSG_ECHO_REQUEST, 10);
	struct frame_reader r;
	struct frame f;

	frame_reader_init(&r, 1024);
	assert_true(frame_reader_at_boundary(&r));
	assert_int_equal(frame_reader_want(&r), PROTO_HEADER_SIZE);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.event, FRAME_MESSAGE);
	assert_int_equal(f.type, PROTO_MSG_ECHO_REQUEST);
	assert_int_equal(f.length, 10);
	assert_int_equal(f.size, size);
	assert_memory_equal(f.data, buf, size);
	assert_true(frame_reader_at_boundary(&r));

	/* One byte at a time: NEED_MORE until the last byte; want never overshoots. */
	for (size_t i = 0; i < size; i++) {
		size_t want = frame_reader_want(&r);
		assert_true(want >= 1 && want <= size - i);
		assert_int_equal(frame_reader_feed(&r, buf + i, 1, &f), 1);
		assert_int_equal(f.event, i + 1 == size ? FRAME_MESSAGE : FRAME_NEED_MORE);
		if (i + 1 == PROTO_HEADER_SIZE) {
			struct frame h;
			assert_true(frame_reader_header_done(&r, &h));
			assert_int_equal(h.verdict, FRAME_ACCEPTED);
			assert_int_equal(h.length, 10);
		}
	}
	frame_reader_destroy(&r);
}

/* Two messages back to back: each feed stops at the first one's end (the STARTTLS boundary). */
static void test_stops_at_message_end(void **state)
{
	(void)state;
	uint8_t buf[128];
	size_t a = make_msg(buf, PROTO_MSG_STARTTLS, 8);
	size_t b = make_msg(buf + a, PROTO_MSG_INIT, 20);
	struct frame_reader r;
	struct frame f;

	frame_reader_init(&r, 1024);
	assert_int_equal(frame_reader_feed(&r, buf, a + b, &f), a);
	assert_int_equal(f.event, FRAME_MESSAGE);
	assert_int_equal(f.type, PROTO_MSG_STARTTLS);
	assert_int_equal(frame_reader_want(&r), PROTO_HEADER_SIZE);
	assert_int_equal(frame_reader_feed(&r, buf + a, b, &f), b);
	assert_int_equal(f.event, FRAME_MESSAGE);
	assert_int_equal(f.type, PROTO_MSG_INIT);
	frame_reader_destroy(&r);
}

/* Refused headers: the payload is read and thrown away, and the verdict says why. */
static void test_refused(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct frame_reader r;
	struct frame f;

	frame_reader_init(&r, 100);
	size_t size = make_msg(buf, 999, 30);
	assert_int_equal(frame_reader_feed(&r, buf, PROTO_HEADER_SIZE, &f), PROTO_HEADER_SIZE);
	assert_int_equal(f.event, FRAME_NEED_MORE);
	assert_int_equal(f.verdict, FRAME_UNKNOWN_TYPE);
	assert_int_equal(frame_reader_want(&r), 30);
	assert_int_equal(frame_reader_feed(&r, buf + PROTO_HEADER_SIZE, size - PROTO_HEADER_SIZE, &f), 30);
	assert_int_equal(f.event, FRAME_SKIPPED);
	assert_int_equal(f.verdict, FRAME_UNKNOWN_TYPE);
	assert_null(f.data);

	/* The limit covers header + payload: 94 bytes of payload fit 100, 95 do not. */
	size = make_msg(buf, PROTO_MSG_NODE_LIST, 94);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.event, FRAME_MESSAGE);
	size = make_msg(buf, PROTO_MSG_NODE_LIST, 95);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.event, FRAME_SKIPPED);
	assert_int_equal(f.verdict, FRAME_TOO_LONG);

	/* A lower limit applies from the next header on. */
	frame_reader_set_max(&r, 50);
	size = make_msg(buf, PROTO_MSG_NODE_LIST, 60);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.verdict, FRAME_TOO_LONG);

	/* A header announcing 4 GiB costs nothing: nothing is allocated for a refused message. */
	msg_header_write(buf, PROTO_MSG_NODE_LIST, UINT32_MAX);
	assert_int_equal(frame_reader_feed(&r, buf, PROTO_HEADER_SIZE, &f), PROTO_HEADER_SIZE);
	assert_int_equal(f.verdict, FRAME_TOO_LONG);
	assert_null(r.msg);
	frame_reader_destroy(&r);
}

/* An empty payload completes with its header (the codec refuses it later, not the framing). */
static void test_empty_payload(void **state)
{
	(void)state;
	uint8_t buf[16];
	struct frame_reader r;
	struct frame f;

	frame_reader_init(&r, 1024);
	size_t size = make_msg(buf, PROTO_MSG_ECHO_REQUEST, 0);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.event, FRAME_MESSAGE);
	assert_int_equal(f.size, PROTO_HEADER_SIZE);
	size = make_msg(buf, 777, 0);
	assert_int_equal(frame_reader_feed(&r, buf, size, &f), size);
	assert_int_equal(f.event, FRAME_SKIPPED);
	frame_reader_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_bytewise),
		cmocka_unit_test(test_stops_at_message_end),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_empty_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
