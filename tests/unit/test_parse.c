/* common/parse: the -S list splitter of both daemons (their man pages, ADVANCED SETTINGS) and the value parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

/* What parse_kv_list handed over, as "key|value;" per item. */
struct kv_record {
	char seen[256];
	const char *refuse; /* apply returns -1 for this key */
};

static int record_item(void *ctx, const char *key, const char *value)
{
	struct kv_record *r = ctx;
	size_t used = strlen(r->seen);
	assert_true(key[0] != '\0');
	int n = snprintf(r->seen + used, sizeof(r->seen) - used, "%s|%s;", key, value);
	assert_true(n > 0 && (size_t)n < sizeof(r->seen) - used);
	return r->refuse != NULL && strcmp(key, r->refuse) == 0 ? -1 : 0;
}

static void test_kv_list_table(void **state)
{
	(void)state;
	static const struct {
		const char *arg;
		const char *refuse;
		int rc;
		const char *want;
	} rows[] = {
		{"a=1", NULL, 0, "a|1;"},
		{"a=1,b=2", NULL, 0, "a|1;b|2;"},
		/* the key ends at the first '=', later ones belong to the value */
		{"a=b=c,d==", NULL, 0, "a|b=c;d|=;"},
		/* no '=': empty value; '=' with nothing after: empty value */
		{"flag,a=", NULL, 0, "flag|;a|;"},
		/* keys and values are passed as written */
		{"Dpd_Enabled=YES, x = y ", NULL, 0, "Dpd_Enabled|YES; x | y ;"},
		/* the first empty key silently ends the list */
		{"", NULL, 0, ""},
		{",a=1", NULL, 0, ""},
		{"a=1,,b=2", NULL, 0, "a|1;"},
		{"a=1,", NULL, 0, "a|1;"},
		{"a=1,=2,b=3", NULL, 0, "a|1;"},
		{"=", NULL, 0, ""},
		/* a refused item stops the list: nothing after it is looked at */
		{"a=1,stop=2,b=3", "stop", -1, "a|1;stop|2;"},
		{"stop", "stop", -1, "stop|;"},
		/* ...but an empty key before it ends the list first */
		{"a=1,,stop=2", "stop", 0, "a|1;"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[128];
		struct kv_record r = {.seen = "", .refuse = rows[i].refuse};
		snprintf(buf, sizeof(buf), "%s", rows[i].arg);
		int rc = parse_kv_list(buf, record_item, &r);
		if (rc != rows[i].rc || strcmp(r.seen, rows[i].want) != 0)
			fail_msg("'%s': rc %d items '%s', want rc %d items '%s'", rows[i].arg, rc, r.seen, rows[i].rc,
				 rows[i].want);
	}
}

static void test_umask_table(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int rc_plus_ok, rc_strict; /* parse_umask with plus_ok true / false */
		bool set;
		unsigned mask;
	} rows[] = {
		{"", 0, 0, false, 0},
		{"0", 0, 0, true, 0},
		{"007", 0, 0, true, 07},
		{"777", 0, 0, true, 0777},
		{"0777", 0, 0, true, 0777},
		{" 22", 0, 0, true, 022},
		{"+17", 0, -1, true, 017},
		{"+", -1, -1, false, 0},
		{"-1", -1, -1, false, 0},
		{"-0", -1, -1, false, 0},
		{"1000", -1, -1, false, 0},
		{"0800", -1, -1, false, 0},
		{"8", -1, -1, false, 0},
		{"7x", -1, -1, false, 0},
		{"99999999999999999999999", -1, -1, false, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int strict = 0; strict <= 1; strict++) {
			/* Start from a set mask so that both outcomes of *set are seen. */
			bool set = true;
			mode_t mask = 0555;
			int want = strict ? rows[i].rc_strict : rows[i].rc_plus_ok;
			int rc = parse_umask(rows[i].value, !strict, &set, &mask);
			if (rc != want)
				fail_msg("'%s' (plus_ok %d): rc %d", rows[i].value, !strict, rc);
			if (rc != 0) {
				/* nothing changed */
				assert_true(set);
				assert_int_equal(mask, 0555);
			} else {
				assert_int_equal(set, rows[i].set);
				if (rows[i].set)
					assert_int_equal(mask, rows[i].mask);
			}
		}
	}
}

static void test_gid_table(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int rc;
		bool set;
		unsigned gid;
	} rows[] = {
		{"", 0, false, 0},
		{"-1", 0, false, 0},
		{"0", 0, true, 0},
		{"root", 0, true, 0}, /* group 0 is "root" on every Linux system */
		{"4294967295", 0, true, 4294967295u},
		{"4294967296", -1, false, 0},
		{"-2", -1, false, 0},
		{"no-such-group-here", -1, false, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool set = true;
		gid_t gid = 4242;
		int rc = parse_gid(rows[i].value, &set, &gid);
		if (rc != rows[i].rc)
			fail_msg("'%s': rc %d", rows[i].value, rc);
		if (rc != 0) {
			assert_true(set);
			assert_int_equal(gid, 4242);
		} else {
			assert_int_equal(set, rows[i].set);
			if (rows[i].set)
				assert_int_equal(gid, rows[i].gid);
		}
	}
}

static void test_scalar_tables(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int rc;
		bool out;
	} bools[] = {
		{"on", 0, true},   {"YES", 0, true},  {"1", 0, true},   {"Off", 0, false},
		{"no", 0, false},  {"0", 0, false},   {"", -1, false},  {"true", -1, false},
		{"01", -1, false}, {"on ", -1, false},
	};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		bool b = !bools[i].out;
		int rc = parse_bool(bools[i].value, &b);
		if (rc != bools[i].rc || (rc == 0 && b != bools[i].out))
			fail_msg("bool '%s': rc %d value %d", bools[i].value, rc, b);
	}

	static const struct {
		const char *value;
		long long min, max;
		int rc;
		long long out;
	} lls[] = {
		{"10", 1, 100, 0, 10},          {" +10", 1, 100, 0, 10}, {"-1", -1, 5, 0, -1},
		{"0", 1, 100, -1, 0},           {"101", 1, 100, -1, 0},  {"", 0, 5, -1, 0},
		{"5x", 0, 5, -1, 0},            {"5 ", 0, 5, -1, 0},     {"0x5", 0, 5, -1, 0},
		{"9223372036854775808", 0, 9223372036854775807LL, -1, 0},
	};
	for (size_t i = 0; i < sizeof(lls) / sizeof(lls[0]); i++) {
		long long v = 77;
		int rc = parse_ll(lls[i].value, lls[i].min, lls[i].max, &v);
		if (rc != lls[i].rc || v != (rc == 0 ? lls[i].out : 77))
			fail_msg("ll '%s': rc %d value %lld", lls[i].value, rc, v);
	}

	static const struct {
		const char *value;
		int rc;
		double out;
	} dbls[] = {
		{"1.5", 0, 1.5}, {"1000", 0, 1000.0}, {"1", 0, 1.0},  {"0.99", -1, 0}, {"1000.5", -1, 0},
		{"nan", -1, 0},  {"", -1, 0},         {"2x", -1, 0},  {"1e400", -1, 0},
	};
	for (size_t i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++) {
		double d = 7.0;
		int rc = parse_double(dbls[i].value, 1.0, 1000.0, &d);
		if (rc != dbls[i].rc || d != (rc == 0 ? dbls[i].out : 7.0))
			fail_msg("double '%s': rc %d value %g", dbls[i].value, rc, d);
	}
}

/* A settings struct of every kind parse_setting_store knows. */
struct demo_settings {
	char *text;
	int i;
	long long ll;
	uint32_t u32;
	bool flag;
	double coeff;
};

static const struct parse_setting demo_table[] = {
	{"text", PARSE_SETTING_STRING, offsetof(struct demo_settings, text), 0, 0},
	{"i", PARSE_SETTING_INT, offsetof(struct demo_settings, i), -5, 5},
	{"ll", PARSE_SETTING_LL, offsetof(struct demo_settings, ll), 16, 9223372036854775807LL},
	{"u32", PARSE_SETTING_U32, offsetof(struct demo_settings, u32), 1, 4294967295LL},
	{"flag", PARSE_SETTING_BOOL, offsetof(struct demo_settings, flag), 0, 0},
	{"coeff", PARSE_SETTING_DOUBLE, offsetof(struct demo_settings, coeff), 1, 1000},
	{"other", PARSE_SETTING_OTHER, 0, 0, 0},
};

#define DEMO_COUNT (sizeof(demo_table) / sizeof(demo_table[0]))

static void test_setting_table(void **state)
{
	(void)state;
	static const struct {
		const char *key, *value;
		int rc;
	} rows[] = {
		{"text", "", 0},        {"TEXT", "a=b", 0},  {"i", "-5", 0},     {"I", "5", 0},
		{"i", "6", -1},         {"i", "-6", -1},     {"ll", "16", 0},    {"ll", "15", -1},
		{"ll", "9223372036854775807", 0},            {"u32", "4294967295", 0},
		{"u32", "4294967296", -1},                   {"u32", "0", -1},   {"flag", "YES", 0},
		{"flag", "2", -1},      {"coeff", "1000", 0}, {"coeff", "0.5", -1}, {"coeff", "nan", -1},
		{"other", "x", -1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct demo_settings before = {NULL, 1, 17, 2, false, 3.0};
		struct demo_settings d = before;
		const struct parse_setting *def = parse_setting_find(demo_table, DEMO_COUNT, rows[i].key);
		assert_non_null(def);
		int rc = parse_setting_store(def, &d, rows[i].value);
		if (rc != rows[i].rc)
			fail_msg("%s=%s: rc %d", rows[i].key, rows[i].value, rc);
		/* Exactly the named field changed, and only on success. */
		char *text = d.text;
		d.text = NULL;
		if (rc == 0 && def->kind == PARSE_SETTING_STRING)
			assert_string_equal(text, rows[i].value);
		else
			assert_null(text);
		free(text);
		if (rc == 0 && def->kind == PARSE_SETTING_INT)
			before.i = d.i;
		if (rc == 0 && def->kind == PARSE_SETTING_LL)
			before.ll = d.ll;
		if (rc == 0 && def->kind == PARSE_SETTING_U32)
			before.u32 = d.u32;
		if (rc == 0 && def->kind == PARSE_SETTING_BOOL)
			before.flag = d.flag;
		if (rc == 0 && def->kind == PARSE_SETTING_DOUBLE)
			before.coeff = d.coeff;
		assert_int_equal(d.i, before.i);
		assert_true(d.ll == before.ll);
		assert_int_equal(d.u32, before.u32);
		assert_int_equal(d.flag, before.flag);
		assert_true(d.coeff == before.coeff);
	}
	assert_null(parse_setting_find(demo_table, DEMO_COUNT, "nothing"));
	assert_null(parse_setting_find(demo_table, DEMO_COUNT, "tex"));

	/* Stored values, and a string replaced (the old copy freed: the sanitizer build checks). */
	struct demo_settings d = {NULL, 0, 0, 0, false, 0};
	assert_int_equal(parse_setting_store(&demo_table[1], &d, "-5"), 0);
	assert_int_equal(d.i, -5);
	assert_int_equal(parse_setting_store(&demo_table[2], &d, "9223372036854775807"), 0);
	assert_true(d.ll == 9223372036854775807LL);
	assert_int_equal(parse_setting_store(&demo_table[3], &d, "4294967295"), 0);
	assert_int_equal(d.u32, 4294967295u);
	assert_int_equal(parse_setting_store(&demo_table[4], &d, "on"), 0);
	assert_true(d.flag);
	assert_int_equal(parse_setting_store(&demo_table[5], &d, "2.5"), 0);
	assert_true(d.coeff == 2.5);
	assert_int_equal(parse_setting_store(&demo_table[0], &d, "first"), 0);
	assert_int_equal(parse_setting_store(&demo_table[0], &d, "second"), 0);
	assert_string_equal(d.text, "second");
	free(d.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_list_table),
		cmocka_unit_test(test_umask_table),
		cmocka_unit_test(test_gid_table),
		cmocka_unit_test(test_scalar_tables),
		cmocka_unit_test(test_setting_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
