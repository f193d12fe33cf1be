/* Heuristics commands: shell-free splitting into argv, the worker's exec-list-add line, and the pass/fail rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qdevice_heuristics_cmd.h"

struct split_case {
	const char *command;
	const char *words[8];   /* NULL-terminated expected argv */
};

static void test_split(void **state)
{
	(void)state;
	static const struct split_case cases[] = {
		{"/bin/true", {"/bin/true", NULL}},
		{"", {NULL}},
		{"   \t  ", {NULL}},
		{"  /bin/ping  -c 1\t192.0.2.1  ", {"/bin/ping", "-c", "1", "192.0.2.1", NULL}},
		{"a\fb\vc", {"a", "b", "c", NULL}},
		/* CR or LF ends the command. */
		{"a b\nc d", {"a", "b", NULL}},
		{"a b\rc d", {"a", "b", NULL}},
		{"\n/bin/true", {NULL}},
		/* Backslash outside quotes: the next character is literal. */
		{"a\\ b c", {"a b", "c", NULL}},
		{"\\\"x\\\"", {"\"x\"", NULL}},
		{"a\\\\b", {"a\\b", NULL}},
		{"\\n", {"n", NULL}},
		/* A trailing lone backslash is dropped. */
		{"abc\\", {"abc", NULL}},
		{"abc \\", {"abc", NULL}},
		{"\\", {NULL}},
		/* Double quotes group, are removed, and may touch other text. */
		{"\"a b\" c", {"a b", "c", NULL}},
		{"a\"b c\"d", {"ab cd", NULL}},
		{"x \"\" y", {"x", "", "y", NULL}},
		{"\"\"", {"", NULL}},
		/* Inside quotes a backslash escapes only \ and ". */
		{"\"a\\\"b\"", {"a\"b", NULL}},
		{"\"a\\\\b\"", {"a\\b", NULL}},
		{"\"a\\nb\"", {"a\\nb", NULL}},
		{"\"a\\ b\"", {"a\\ b", NULL}},
		/* Quotes keep whitespace, tabs included. */
		{"\"a\tb\"", {"a\tb", NULL}},
		/* Single quotes, $, globs, pipes and redirections are plain characters. */
		{"'a b'", {"'a", "b'", NULL}},
		{"echo $HOME *.c | cat > /tmp/x", {"echo", "$HOME", "*.c", "|", "cat", ">", "/tmp/x", NULL}},
		{"sh -c 'exit 1'", {"sh", "-c", "'exit", "1'", NULL}},
		/* An unterminated quote runs to the end. */
		{"a \"b c", {"a", "b c", NULL}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **argv = NULL;
		size_t argc = 99, want = 0;
		print_message("case %zu: [%s]\n", i, cases[i].command);
		assert_int_equal(qdevice_heuristics_cmd_split(cases[i].command, &argv, &argc), 0);
		assert_non_null(argv);
		while (cases[i].words[want] != NULL)
			want++;
		assert_int_equal(argc, want);
		for (size_t w = 0; w < want; w++)
			assert_string_equal(argv[w], cases[i].words[w]);
		assert_null(argv[argc]);
		qdevice_heuristics_cmd_free_argv(argv);
	}
}

static void test_split_many_words(void **state)
{
	(void)state;
	char command[3000];
	char **argv;
	size_t argc, len = 0;

	/* Growth past the first allocation: 1000 one-letter words. */
	for (int i = 0; i < 1000; i++) {
		command[len++] = (char)('a' + i % 26);
		command[len++] = ' ';
	}
	command[len] = '\0';
	assert_int_equal(qdevice_heuristics_cmd_split(command, &argv, &argc), 0);
	assert_int_equal(argc, 1000);
	assert_string_equal(argv[999], "l");
	assert_null(argv[1000]);
	qdevice_heuristics_cmd_free_argv(argv);
	qdevice_heuristics_cmd_free_argv(NULL);
}

static void test_list_add_line(void **state)
{
	(void)state;
	char *line = qdevice_heuristics_cmd_list_add_line("ping", "/bin/ping -c 1\r\n192.0.2.1\n");
	assert_non_null(line);
	assert_string_equal(line, "exec-list-add ping /bin/ping -c 1  192.0.2.1 \n");
	free(line);
	line = qdevice_heuristics_cmd_list_add_line("e", "");
	assert_string_equal(line, "exec-list-add e \n");
	free(line);
}

struct result_case {
	struct qdevice_heuristics_proc procs[4];
	size_t count;
	bool expired;
	enum qdevice_heuristics_result want;
};

#define RUN {QDEVICE_HEURISTICS_PROC_RUNNING, 0}
#define OK {QDEVICE_HEURISTICS_PROC_EXITED, 0}
#define EXIT(n) {QDEVICE_HEURISTICS_PROC_EXITED, (n)}
#define SIG {QDEVICE_HEURISTICS_PROC_SIGNALED, 0}
#define NOSTART {QDEVICE_HEURISTICS_PROC_NOT_STARTED, 0}

static void test_result_rule(void **state)
{
	(void)state;
	static const struct result_case cases[] = {
		{{{0}}, 0, false, QDEVICE_HEURISTICS_RESULT_DISABLED},
		{{{0}}, 0, true, QDEVICE_HEURISTICS_RESULT_DISABLED},
		{{OK}, 1, false, QDEVICE_HEURISTICS_RESULT_PASS},
		{{OK, OK, OK}, 3, false, QDEVICE_HEURISTICS_RESULT_PASS},
		/* All finished fine: pass even if the timer went off in the same pass. */
		{{OK, OK}, 2, true, QDEVICE_HEURISTICS_RESULT_PASS},
		{{OK, RUN}, 2, false, QDEVICE_HEURISTICS_RESULT_PENDING},
		{{OK, RUN}, 2, true, QDEVICE_HEURISTICS_RESULT_FAIL},
		/* One failure fails at once, others still running. */
		{{RUN, EXIT(1)}, 2, false, QDEVICE_HEURISTICS_RESULT_FAIL},
		{{RUN, EXIT(255)}, 2, false, QDEVICE_HEURISTICS_RESULT_FAIL},
		{{SIG, RUN}, 2, false, QDEVICE_HEURISTICS_RESULT_FAIL},
		{{OK, NOSTART}, 2, false, QDEVICE_HEURISTICS_RESULT_FAIL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(qdevice_heuristics_cmd_result(cases[i].procs, cases[i].count, cases[i].expired),
				 cases[i].want);
	}
	assert_string_equal(qdevice_heuristics_result_str(QDEVICE_HEURISTICS_RESULT_PASS), "Pass");
	assert_string_equal(qdevice_heuristics_result_str(QDEVICE_HEURISTICS_RESULT_FAIL), "Fail");
	assert_string_equal(qdevice_heuristics_result_str(QDEVICE_HEURISTICS_RESULT_DISABLED), "Undefined");
	assert_int_equal(QDEVICE_HEURISTICS_RESULT_DISABLED, 0);
	assert_int_equal(QDEVICE_HEURISTICS_RESULT_PASS, 1);
	assert_int_equal(QDEVICE_HEURISTICS_RESULT_FAIL, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_many_words),
		cmocka_unit_test(test_list_add_line),
		cmocka_unit_test(test_result_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
