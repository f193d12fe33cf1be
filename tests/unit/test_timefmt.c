/* Unit tests of the RFC 3339 formatting and monotonic-to-wall conversion (common/timefmt.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "timefmt.h"

static void test_known_instants(void **state)
{
	(void)state;
	char b[TIMEFMT_RFC3339_LEN];
	assert_string_equal(timefmt_rfc3339(0, b), "1970-01-01T00:00:00.000Z");
	assert_string_equal(timefmt_rfc3339(1796571180123LL, b), "2026-12-06T15:33:00.123Z");
	assert_string_equal(timefmt_rfc3339(951782400000LL, b), "2000-02-29T00:00:00.000Z");
	/* Past 2038 (32-bit time_t) and before 1970. */
	assert_string_equal(timefmt_rfc3339(4796571180000LL, b), "2121-12-30T20:53:00.000Z");
	assert_string_equal(timefmt_rfc3339(-1, b), "1969-12-31T23:59:59.999Z");
	assert_string_equal(timefmt_rfc3339(INT64_MAX, b), "9999-12-31T23:59:59.999Z");
}

/*
 * Every day of 1900..2200 agrees with gmtime. gmtime is only the oracle: where time_t has 32 bits
 * (Debian 12's armhf and armel) it cannot name instants outside 1901..2038, so the comparison stays
 * inside them there; test_known_instants covers the years past 2038 on every architecture.
 */
static void test_agrees_with_gmtime(void **state)
{
	(void)state;
	char b[TIMEFMT_RFC3339_LEN], want[TIMEFMT_RFC3339_LEN];
	const int64_t first = sizeof(time_t) >= 8 ? -2208988800LL : INT32_MIN;
	const int64_t end = sizeof(time_t) >= 8 ? 7258118400LL : INT32_MAX;
	for (int64_t t = first; t < end; t += 86400 + 3671) {
		time_t tt = (time_t)t;
		struct tm tm;
		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		assert_string_equal(timefmt_rfc3339(t * 1000, b), want);
	}
}

static void test_from_utc(void **state)
{
	(void)state;
	assert_int_equal(timefmt_unix_ms_from_utc(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(timefmt_unix_ms_from_utc(2026, 12, 6, 15, 33, 0), 1796571180000LL);
	/* 100-year certificates end after 2038. */
	assert_int_equal(timefmt_unix_ms_from_utc(2121, 12, 30, 20, 53, 0), 4796571180000LL);
	char b[TIMEFMT_RFC3339_LEN];
	for (int64_t t = -2208988800LL; t < 7258118400LL; t += 86400 * 7 + 3671) {
		timefmt_rfc3339(t * 1000, b);
		int y, mo, d, h, mi, s;
		assert_int_equal(sscanf(b, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s), 6);
		assert_int_equal(timefmt_unix_ms_from_utc(y, mo, d, h, mi, s), t * 1000);
	}
}

static void test_parse(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(timefmt_parse_rfc3339("2026-12-06T15:33:00.123Z", &t), 0);
	assert_int_equal(t, 1796571180123LL);
	assert_int_equal(timefmt_parse_rfc3339("2121-12-30T20:53:00Z", &t), 0);
	assert_int_equal(t, 4796571180000LL);
	assert_int_equal(timefmt_parse_rfc3339("2026-12-06T15:33:00.5Z", &t), 0);
	assert_int_equal(t, 1796571180500LL);
	assert_int_equal(timefmt_parse_rfc3339("2026-12-06T15:33:00+01:00", &t), -1);
	assert_int_equal(timefmt_parse_rfc3339("2026-13-06T15:33:00Z", &t), -1);
	assert_int_equal(timefmt_parse_rfc3339("yesterday", &t), -1);
	assert_int_equal(timefmt_parse_rfc3339(NULL, &t), -1);
}

static void test_mono_to_unix(void **state)
{
	(void)state;
	assert_int_equal(timefmt_mono_to_unix_ms(1000, 5000, 1796571180000LL), 1796571176000LL);
	assert_int_equal(timefmt_mono_to_unix_ms(5000, 5000, 1796571180000LL), 1796571180000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_instants),
		cmocka_unit_test(test_agrees_with_gmtime),
		cmocka_unit_test(test_from_utc),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_mono_to_unix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
