/* TLV layer: big-endian helpers, the option iterator's bounds checks and the bounded writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tlv.h"

static void test_big_endian(void **state)
{
	(void)state;
	uint8_t b[8];

	tlv_set_u16(b, 0x1234);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x34);
	assert_int_equal(tlv_get_u16(b), 0x1234);
	tlv_set_u32(b, 0xdeadbeef);
	assert_int_equal(b[0], 0xde);
	assert_int_equal(b[3], 0xef);
	assert_int_equal(tlv_get_u32(b), 0xdeadbeef);
	tlv_set_u64(b, UINT64_C(0x0102030405060708));
	for (int i = 0; i < 8; i++)
		assert_int_equal(b[i], i + 1);
	assert_true(tlv_get_u64(b) == UINT64_C(0x0102030405060708));
}

static void test_iter_tiles(void **state)
{
	(void)state;
	/* option 1 len 2 "ab", option 300 len 0 */
	const uint8_t buf[] = {0, 1, 0, 2, 'a', 'b', 0x01, 0x2c, 0, 0};
	struct tlv_iter it;
	struct tlv_option o;

	tlv_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(tlv_iter_next(&it, &o), 1);
	assert_int_equal(o.type, 1);
	assert_int_equal(o.len, 2);
	assert_memory_equal(o.value, "ab", 2);
	assert_int_equal(tlv_iter_next(&it, &o), 1);
	assert_int_equal(o.type, 300);
	assert_int_equal(o.len, 0);
	assert_int_equal(tlv_iter_next(&it, &o), 0);
	assert_int_equal(tlv_iter_next(&it, &o), 0);
}

static void test_iter_rejects_short_header(void **state)
{
	(void)state;
	const uint8_t buf[] = {0, 1, 0, 0, 0, 1, 0};
	struct tlv_iter it;
	struct tlv_option o;

	for (size_t trailing = 1; trailing <= 3; trailing++) {
		tlv_iter_init(&it, buf, 4 + trailing);
		assert_int_equal(tlv_iter_next(&it, &o), 1);
		assert_int_equal(tlv_iter_next(&it, &o), -1);
	}
}

static void test_iter_rejects_value_past_end(void **state)
{
	(void)state;
	const uint8_t buf[] = {0, 1, 0, 5, 'a', 'b', 'c', 'd'};
	struct tlv_iter it;
	struct tlv_option o;

	tlv_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(tlv_iter_next(&it, &o), -1);
	/* Maximum length value must not overflow the bounds arithmetic. */
	const uint8_t big[] = {0, 1, 0xff, 0xff};
	tlv_iter_init(&it, big, sizeof(big));
	assert_int_equal(tlv_iter_next(&it, &o), -1);
}

static void test_writer(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct tlv_writer w;

	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put_u8(&w, 2, 1);
	tlv_put_u32(&w, 0, 7);
	const uint16_t arr[] = {0, 1, 2};
	tlv_put_u16_array(&w, 10, arr, 3);
	assert_false(w.failed);
	const uint8_t expected[] = {0, 2, 0, 1, 1, 0, 0, 0, 4, 0, 0, 0, 7,
				    0, 10, 0, 6, 0, 0, 0, 1, 0, 2};
	assert_int_equal(w.len, sizeof(expected));
	assert_memory_equal(buf, expected, sizeof(expected));
}

static void test_writer_overflow_is_sticky(void **state)
{
	(void)state;
	uint8_t buf[8];
	struct tlv_writer w;

	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put_u32(&w, 0, 1);     /* 8 bytes: fits exactly */
	assert_false(w.failed);
	tlv_put_u8(&w, 2, 1);      /* does not fit */
	assert_true(w.failed);
	size_t len = w.len;
	tlv_put_raw(&w, "", 0);
	assert_true(w.failed);
	assert_int_equal(w.len, len);
}

static void test_writer_rejects_long_value(void **state)
{
	(void)state;
	static uint8_t buf[70000];
	static uint8_t value[65536];
	struct tlv_writer w;

	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put_bytes(&w, 1, value, 65535);
	assert_false(w.failed);
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put_bytes(&w, 1, value, 65536);
	assert_true(w.failed);
}

static void test_writer_nested(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct tlv_writer w;

	tlv_writer_init(&w, buf, sizeof(buf));
	size_t h = tlv_put_open(&w, 17);
	tlv_put_u32(&w, 9, 2);
	tlv_put_close(&w, h);
	const uint8_t expected[] = {0, 17, 0, 8, 0, 9, 0, 4, 0, 0, 0, 2};
	assert_false(w.failed);
	assert_int_equal(w.len, sizeof(expected));
	assert_memory_equal(buf, expected, sizeof(expected));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_iter_tiles),
		cmocka_unit_test(test_iter_rejects_short_header),
		cmocka_unit_test(test_iter_rejects_value_past_end),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_overflow_is_sticky),
		cmocka_unit_test(test_writer_rejects_long_value),
		cmocka_unit_test(test_writer_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
