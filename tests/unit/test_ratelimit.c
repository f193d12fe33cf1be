/* Unit tests of the refused-input log rate limit (common/ratelimit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

static void test_burst_then_held_back(void **state)
{
	(void)state;
	struct ratelimit rl = {0};
	unsigned long held;
	for (int i = 0; i < 3; i++) {
		assert_true(ratelimit_allow(&rl, 1000 + (uint64_t)i, 3, 10000, &held));
		assert_int_equal(held, 0);
	}
	for (int i = 0; i < 5; i++)
		assert_false(ratelimit_allow(&rl, 2000, 3, 10000, &held));
	/* Still inside the window: held back. */
	assert_false(ratelimit_allow(&rl, 10999, 3, 10000, &held));
	/* The next window: the first line carries the count. */
	assert_true(ratelimit_allow(&rl, 11000, 3, 10000, &held));
	assert_int_equal(held, 6);
	assert_true(ratelimit_allow(&rl, 11001, 3, 10000, &held));
	assert_int_equal(held, 0);
}

static void test_quiet_peer_never_held_back(void **state)
{
	(void)state;
	struct ratelimit rl = {0};
	unsigned long held;
	for (uint64_t t = 0; t < 100; t++) {
		assert_true(ratelimit_allow(&rl, t * 20000, 1, 10000, &held));
		assert_int_equal(held, 0);
	}
}

static void test_clock_going_back_opens_window(void **state)
{
	(void)state;
	struct ratelimit rl = {0};
	unsigned long held;
	assert_true(ratelimit_allow(&rl, 50000, 1, 10000, &held));
	assert_false(ratelimit_allow(&rl, 50001, 1, 10000, &held));
	assert_true(ratelimit_allow(&rl, 100, 1, 10000, &held));
	assert_int_equal(held, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_held_back),
		cmocka_unit_test(test_quiet_peer_never_held_back),
		cmocka_unit_test(test_clock_going_back_opens_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
