/* Unit tests of the request token bucket (common/token_bucket.h): burst, sustained rate, waits, clock quirks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "token_bucket.h"

/* One step: at time t, try to take; expect the answer and the wait reported afterwards. */
struct step {
	uint64_t t;
	bool taken;
	uint64_t wait_after;
};

static void run_steps(const struct step *steps, size_t n, uint32_t rate, uint32_t burst)
{
	struct token_bucket tb = {0};
	for (size_t i = 0; i < n; i++) {
		print_message("step %zu at %llu\n", i, (unsigned long long)steps[i].t);
		assert_int_equal(token_bucket_take(&tb, steps[i].t, rate, burst), steps[i].taken);
		assert_int_equal(token_bucket_wait_ms(&tb, steps[i].t, rate, burst), steps[i].wait_after);
	}
}

/* 10 a second, burst 3: three at once, then one every 100 ms; an idle second refills only to 3. */
static void test_burst_then_rate(void **state)
{
	static const struct step steps[] = {
		{1000, true, 0},  {1000, true, 0},   {1000, true, 100}, {1000, false, 100},
		{1050, false, 50}, {1100, true, 100}, {1199, false, 1},  {1200, true, 100},
		{5000, true, 0},  {5000, true, 0},   {5000, true, 100}, {5000, false, 100},
	};
	(void)state;
	run_steps(steps, sizeof(steps) / sizeof(steps[0]), 10, 3);
}

/*
 * A rate that does not divide 1000: thousandths of a token are kept (3 a second, burst 2), but
 * never beyond the burst (burst 1: what a full bucket would gain is lost).
 */
static void test_uneven_rate(void **state)
{
	static const struct step kept[] = {
		{0, true, 0}, {0, true, 334}, {333, false, 1}, {500, true, 167}, {667, true, 333},
	};
	static const struct step capped[] = {
		{0, true, 334}, {333, false, 1}, {334, true, 334}, {667, false, 1}, {668, true, 334},
	};
	(void)state;
	run_steps(kept, sizeof(kept) / sizeof(kept[0]), 3, 2);
	run_steps(capped, sizeof(capped) / sizeof(capped[0]), 3, 1);
}

/* A clock that goes back refills nothing but does not mute the bucket; a huge gap cannot overflow. */
static void test_clock_quirks(void **state)
{
	struct token_bucket tb = {0};
	(void)state;
	assert_true(token_bucket_take(&tb, 10000, 1, 1));
	assert_false(token_bucket_take(&tb, 5000, 1, 1));
	assert_int_equal(token_bucket_wait_ms(&tb, 5000, 1, 1), 1000);
	assert_true(token_bucket_take(&tb, 6000, 1, 1));
	assert_true(token_bucket_take(&tb, UINT64_MAX, 1000000, 1000000));
	assert_int_equal(tb.level_milli, (uint64_t)1000000 * 1000 - 1000);
	/* Zero rate or burst would divide by zero or never refill: both are taken as 1. */
	struct token_bucket z = {0};
	assert_true(token_bucket_take(&z, 0, 0, 0));
	assert_false(token_bucket_take(&z, 999, 0, 0));
	assert_true(token_bucket_take(&z, 1000, 0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_uneven_rate),
		cmocka_unit_test(test_clock_quirks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
