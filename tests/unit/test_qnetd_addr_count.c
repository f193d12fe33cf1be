/* Unit tests of the per-address connection counts (qnetd/qnetd_addr_count.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "qnetd_addr_count.h"

static struct qnetd_addr_key v4(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	s4->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	struct qnetd_addr_key k;
	assert_int_equal(qnetd_addr_key_from_sockaddr(&ss, &k), 0);
	return k;
}

static struct qnetd_addr_key v6(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	s6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	struct qnetd_addr_key k;
	assert_int_equal(qnetd_addr_key_from_sockaddr(&ss, &k), 0);
	return k;
}

static void test_counts_per_address(void **state)
{
	(void)state;
	struct qnetd_addr_count t;
	qnetd_addr_count_init(&t, 42);
	struct qnetd_addr_key a = v4("10.0.0.1"), b = v4("10.0.0.2");
	assert_int_equal(qnetd_addr_count_add(&t, &a), 1);
	assert_int_equal(qnetd_addr_count_add(&t, &a), 2);
	assert_int_equal(qnetd_addr_count_add(&t, &b), 1);
	assert_int_equal(qnetd_addr_count_get(&t, &a), 2);
	qnetd_addr_count_remove(&t, &a);
	assert_int_equal(qnetd_addr_count_get(&t, &a), 1);
	qnetd_addr_count_remove(&t, &a);
	assert_int_equal(qnetd_addr_count_get(&t, &a), 0);
	assert_int_equal(t.entries, 1);
	/* Removing what is not there changes nothing. */
	qnetd_addr_count_remove(&t, &a);
	assert_int_equal(qnetd_addr_count_get(&t, &b), 1);
	qnetd_addr_count_destroy(&t);
}

/* A v4 client and the same client seen through a dual-stack socket (::ffff:a.b.c.d) are one address. */
static void test_v4_mapped_is_the_same_address(void **state)
{
	(void)state;
	struct qnetd_addr_count t;
	qnetd_addr_count_init(&t, 7);
	struct qnetd_addr_key a = v4("192.168.1.5"), m = v6("::ffff:192.168.1.5"), other = v6("2001:db8::5");
	qnetd_addr_count_add(&t, &a);
	assert_int_equal(qnetd_addr_count_add(&t, &m), 2);
	assert_int_equal(qnetd_addr_count_get(&t, &other), 0);
	qnetd_addr_count_destroy(&t);
}

static void test_unknown_family_refused(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	struct qnetd_addr_key k;
	assert_int_equal(qnetd_addr_key_from_sockaddr(&ss, &k), -1);
}

/* Many addresses: the table grows, every count stays right, and it empties to nothing. */
static void test_many_addresses(void **state)
{
	(void)state;
	struct qnetd_addr_count t;
	qnetd_addr_count_init(&t, 0x1234567890abcdefULL);
	struct qnetd_addr_key k;
	for (unsigned i = 0; i < 20000; i++) {
		memset(&k, 0, sizeof(k));
		k.bytes[0] = 0x20;
		k.bytes[14] = (uint8_t)(i >> 8);
		k.bytes[15] = (uint8_t)i;
		k.bytes[13] = (uint8_t)(i >> 16);
		assert_int_equal(qnetd_addr_count_add(&t, &k), 1);
		if (i % 3 == 0)
			assert_int_equal(qnetd_addr_count_add(&t, &k), 2);
	}
	assert_int_equal(t.entries, 20000);
	assert_true(t.nbuckets >= t.entries);
	for (unsigned i = 0; i < 20000; i++) {
		memset(&k, 0, sizeof(k));
		k.bytes[0] = 0x20;
		k.bytes[14] = (uint8_t)(i >> 8);
		k.bytes[15] = (uint8_t)i;
		k.bytes[13] = (uint8_t)(i >> 16);
		assert_int_equal(qnetd_addr_count_get(&t, &k), i % 3 == 0 ? 2 : 1);
		qnetd_addr_count_remove(&t, &k);
		if (i % 3 == 0)
			qnetd_addr_count_remove(&t, &k);
	}
	assert_int_equal(t.entries, 0);
	qnetd_addr_count_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_per_address),
		cmocka_unit_test(test_v4_mapped_is_the_same_address),
		cmocka_unit_test(test_unknown_family_refused),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
