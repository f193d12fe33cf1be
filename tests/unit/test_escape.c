/* Unit tests of the escaping of peer-supplied bytes for logs and tool output (common/escape.h, strbuf_append_escaped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escape.h"
#include "strbuf.h"

static void test_ordinary_names_unchanged(void **state)
{
	(void)state;
	static const char *names[] = {"mycluster", "pve-cluster_01", "c1.bench.test", "clúster", "a b"};
	char out[ESCAPE_LOG_NAME_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(escape_bytes((const uint8_t *)names[i], strlen(names[i]), out, sizeof(out)), names[i]);
		struct strbuf sb;
		strbuf_init(&sb, 1024);
		strbuf_append_escaped(&sb, (const uint8_t *)names[i], strlen(names[i]));
		assert_string_equal(sb.data, names[i]);
		strbuf_free(&sb);
	}
}

/* A newline would forge a log line, ESC rewrites a terminal, NUL would cut the line short. */
static void test_control_bytes_escaped(void **state)
{
	(void)state;
	static const uint8_t name[] = {'a', '\n', 'F', 'a', 'k', 'e', 0x1b, '[', '2', 'J', 0, 0x7f, '\\', 'z'};
	const char *want = "a\\x0aFake\\x1b[2J\\x00\\x7f\\x5cz";
	char out[ESCAPE_LOG_NAME_MAX];
	assert_string_equal(escape_bytes(name, sizeof(name), out, sizeof(out)), want);
	struct strbuf sb;
	strbuf_init(&sb, 1024);
	strbuf_append_escaped(&sb, name, sizeof(name));
	assert_string_equal(sb.data, want);
	assert_int_equal(sb.len, strlen(want));
	strbuf_free(&sb);
}

static void test_long_names_cut_with_ellipsis(void **state)
{
	(void)state;
	uint8_t name[1000];
	memset(name, 'x', sizeof(name));
	char out[16];
	escape_bytes(name, sizeof(name), out, sizeof(out));
	assert_string_equal(out, "xxxxxxxxxxxx...");
	/* Exactly fitting: no ellipsis. */
	escape_bytes(name, 15, out, sizeof(out));
	assert_string_equal(out, "xxxxxxxxxxxxxxx");
	/* An escape is never cut in half. */
	memset(name, '\n', sizeof(name));
	escape_bytes(name, sizeof(name), out, sizeof(out));
	assert_string_equal(out, "\\x0a\\x0a\\x0a...");
	escape_bytes(name, 0, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_names_unchanged),
		cmocka_unit_test(test_control_bytes_escaped),
		cmocka_unit_test(test_long_names_cut_with_ellipsis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
