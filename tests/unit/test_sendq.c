/* Unit tests of the shared send queue: the bound, partial writes through iovecs and gathering, order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sendq.h"

static void test_bound_and_order(void **state)
{
	(void)state;
	struct sendq q;
	struct iovec iov[8];

	sendq_init(&q, 3);
	assert_true(sendq_empty(&q));
	assert_int_equal(sendq_iov(&q, iov, 8), 0);
	assert_int_equal(sendq_push(&q, "abc", 3), 0);
	assert_int_equal(sendq_push(&q, "de", 2), 0);
	assert_int_equal(sendq_push(&q, "fghi", 4), 0);
	assert_int_equal(sendq_push(&q, "x", 1), -1);     /* full: the fourth message is refused */
	assert_int_equal(sendq_count(&q), 3);

	/* A short write in the middle of the first message, then one across two messages. */
	assert_int_equal(sendq_consume(&q, 2), 0);
	assert_int_equal(sendq_iov(&q, iov, 8), 3);
	assert_int_equal(iov[0].iov_len, 1);
	assert_memory_equal(iov[0].iov_base, "c", 1);
	assert_int_equal(sendq_consume(&q, 3), 2);
	assert_int_equal(sendq_count(&q), 1);
	assert_int_equal(sendq_push(&q, "jk", 2), 0);      /* room again */
	assert_int_equal(sendq_iov(&q, iov, 1), 1);        /* at most max iovecs */
	assert_memory_equal(iov[0].iov_base, "fghi", 4);
	assert_int_equal(sendq_consume(&q, 6), 2);
	assert_true(sendq_empty(&q));
	sendq_clear(&q);
}

static void test_gather(void **state)
{
	(void)state;
	struct sendq q;
	uint8_t buf[8];

	sendq_init(&q, 10);
	assert_int_equal(sendq_gather(&q, buf, sizeof(buf)), 0);
	assert_int_equal(sendq_push(&q, "12345", 5), 0);
	assert_int_equal(sendq_push(&q, "6789", 4), 0);
	assert_int_equal(sendq_push(&q, "0123456789ABC", 13), 0);
	/* Whole messages while they fit: 5, not 5 + part of the next. */
	assert_int_equal(sendq_gather(&q, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "12345", 5);
	assert_int_equal(sendq_consume(&q, 3), 0);
	assert_int_equal(sendq_gather(&q, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "456789", 6);
	assert_int_equal(sendq_consume(&q, 6), 2);
	/* A message larger than the buffer: its first bytes, then the rest. */
	assert_int_equal(sendq_gather(&q, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "01234567", 8);
	assert_int_equal(sendq_consume(&q, 8), 0);
	assert_int_equal(sendq_gather(&q, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "89ABC", 5);
	sendq_clear(&q);
	assert_true(sendq_empty(&q));
	assert_int_equal(sendq_count(&q), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_and_order),
		cmocka_unit_test(test_gather),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
