/* Heuristics worker and daemon side: line protocol and notifier tables, then real fork/exec runs through the event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qdevice_heuristics.h"
#include "qdevice_heuristics_worker.h"
#include "log.h"
#include "log_capture.h"
#include "loop.h"

/* Every wait in this file ends after this long at the latest. */
#define WAIT_MS 15000
#define POLL_MS 20

/* ---- Pure parts ---- */

struct lines_seen {
	char lines[8][64];
	size_t n;
	int stop_after;         /* return 7 after this many lines (0: never) */
};

static int collect_line(char *line, void *arg)
{
	struct lines_seen *s = arg;
	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[s->n]), "%s", line);
	s->n++;
	return s->stop_after != 0 && (int)s->n >= s->stop_after ? 7 : 0;
}

static void test_linebuf(void **state)
{
	(void)state;
	struct qdevice_heuristics_linebuf lb;
	struct lines_seen s = {0};

	assert_int_equal(qdevice_heuristics_linebuf_init(&lb, 8), 0);
	/* CR and LF both end lines; empty lines are skipped; a line may span feeds. */
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "ab\r\n\ncd\rx", 9, collect_line, &s), 0);
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "yz\n", 3, collect_line, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "ab");
	assert_string_equal(s.lines[1], "cd");
	assert_string_equal(s.lines[2], "xyz");
	/* 7 bytes fit a buffer of 8 (one for the NUL), 8 do not. */
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "1234567\n", 8, collect_line, &s), 0);
	assert_string_equal(s.lines[3], "1234567");
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "12345678\n", 9, collect_line, &s), -1);
	assert_true(lb.overlong);
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "a\n", 2, collect_line, &s), -1);
	assert_int_equal(s.n, 4);
	qdevice_heuristics_linebuf_destroy(&lb);

	/* The callback's non-zero value stops the feed and is returned. */
	struct lines_seen t = {.stop_after = 1};
	assert_int_equal(qdevice_heuristics_linebuf_init(&lb, 64), 0);
	assert_int_equal(qdevice_heuristics_linebuf_feed(&lb, "a\nb\n", 4, collect_line, &t), 7);
	assert_int_equal(t.n, 1);
	qdevice_heuristics_linebuf_destroy(&lb);
}

struct cmd_case {
	const char *line;
	int rc;
	enum qdevice_heuristics_worker_cmd_type type;
	const char *name;
	const char *command;
	uint32_t timeout_ms;
	uint32_t seq;
};

static void test_parse_cmd(void **state)
{
	(void)state;
	static const struct cmd_case cases[] = {
		{"exec-list-clear", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_CLEAR, NULL, NULL, 0, 0},
		{"  exec-list-clear  ", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_CLEAR, NULL, NULL, 0, 0},
		{"exec-list-clear x", -1, 0, NULL, NULL, 0, 0},
		{"exec-list-add ping /bin/ping -c 1 \"a b\"", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD, "ping",
		 "/bin/ping -c 1 \"a b\"", 0, 0},
		{"exec-list-add n   \t  cmd  x ", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD, "n", "cmd  x ", 0, 0},
		{"exec-list-add n", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD, "n", "", 0, 0},
		{"exec-list-add", -1, 0, NULL, NULL, 0, 0},
		{"exec 5000 1", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC, NULL, NULL, 5000, 1},
		{"exec 0 4294967295", 0, QDEVICE_HEURISTICS_WORKER_CMD_EXEC, NULL, NULL, 0, 4294967295u},
		{"exec 5000 4294967296", -1, 0, NULL, NULL, 0, 0},
		{"exec 5000", -1, 0, NULL, NULL, 0, 0},
		{"exec 5000 1 2", -1, 0, NULL, NULL, 0, 0},
		{"exec -1 1", -1, 0, NULL, NULL, 0, 0},
		{"exec 1x 1", -1, 0, NULL, NULL, 0, 0},
		{"exec", -1, 0, NULL, NULL, 0, 0},
		{"Exec 1 1", -1, 0, NULL, NULL, 0, 0},
		{"exec-result 1 1", -1, 0, NULL, NULL, 0, 0},
		{"bogus", -1, 0, NULL, NULL, 0, 0},
		{"   ", -1, 0, NULL, NULL, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];
		struct qdevice_heuristics_worker_cmd cmd;
		snprintf(line, sizeof(line), "%s", cases[i].line);
		int rc = qdevice_heuristics_worker_parse_cmd(line, &cmd);
		if (rc != cases[i].rc)
			fail_msg("line \"%s\": rc %d, expected %d", cases[i].line, rc, cases[i].rc);
		if (rc != 0)
			continue;
		assert_int_equal(cmd.type, cases[i].type);
		if (cases[i].type == QDEVICE_HEURISTICS_WORKER_CMD_EXEC_LIST_ADD) {
			assert_string_equal(cmd.name, cases[i].name);
			assert_string_equal(cmd.command, cases[i].command);
		}
		if (cases[i].type == QDEVICE_HEURISTICS_WORKER_CMD_EXEC) {
			assert_int_equal(cmd.timeout_ms, cases[i].timeout_ms);
			assert_int_equal(cmd.seq, cases[i].seq);
		}
	}
}

static void test_parse_result_and_log(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int rc;
		uint32_t seq;
		enum qdevice_heuristics_result r;
	} results[] = {
		{"exec-result 1 0", 0, 1, QDEVICE_HEURISTICS_RESULT_DISABLED},
		{"exec-result 17 1", 0, 17, QDEVICE_HEURISTICS_RESULT_PASS},
		{"exec-result 4294967295 2", 0, 4294967295u, QDEVICE_HEURISTICS_RESULT_FAIL},
		{"exec-result 1 3", -1, 0, 0},
		{"exec-result 1", -1, 0, 0},
		{"exec-result 1 1 1", -1, 0, 0},
		{"exec-result x 1", -1, 0, 0},
		{"exec-results 1 1", -1, 0, 0},
		{"6 hello", -1, 0, 0},
		{"", -1, 0, 0},
	};
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		uint32_t seq = 0;
		enum qdevice_heuristics_result r = QDEVICE_HEURISTICS_RESULT_PENDING;
		int rc = qdevice_heuristics_parse_result_line(results[i].line, &seq, &r);
		if (rc != results[i].rc)
			fail_msg("line \"%s\": rc %d, expected %d", results[i].line, rc, results[i].rc);
		if (rc == 0) {
			assert_int_equal(seq, results[i].seq);
			assert_int_equal(r, results[i].r);
		}
	}

	static const struct {
		const char *line;
		int rc;
		int prio;
		const char *text;
	} logs[] = {
		{"7 process a executed", 0, LOG_DEBUG, "process a executed"},
		{"4 Not all heuristics execs finished on time", 0, LOG_WARNING,
		 "Not all heuristics execs finished on time"},
		{"0 ", 0, LOG_EMERG, ""},
		{"8 x", -1, 0, NULL},
		{"10 x", -1, 0, NULL},
		{"x y", -1, 0, NULL},
		{"7", -1, 0, NULL},
		{"7x", -1, 0, NULL},
		{"exec-result 1 1", -1, 0, NULL},
	};
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		int prio = -1;
		const char *text = NULL;
		int rc = qdevice_heuristics_parse_log_line(logs[i].line, &prio, &text);
		if (rc != logs[i].rc)
			fail_msg("log line \"%s\": rc %d, expected %d", logs[i].line, rc, logs[i].rc);
		if (rc == 0) {
			assert_int_equal(prio, logs[i].prio);
			assert_string_equal(text, logs[i].text);
		}
	}
}

static void test_format(void **state)
{
	(void)state;
	char buf[64];

	assert_int_equal(qdevice_heuristics_format_exec_line(buf, sizeof(buf), 15000, 3), 13);
	assert_string_equal(buf, "exec 15000 3\n");
	assert_int_equal(qdevice_heuristics_format_result_line(buf, sizeof(buf), 4294967295u,
							       QDEVICE_HEURISTICS_RESULT_FAIL), 25);
	assert_string_equal(buf, "exec-result 4294967295 2\n");
	assert_int_equal(qdevice_heuristics_format_exec_line(buf, 5, 1, 1), -1);
	assert_int_equal(qdevice_heuristics_format_result_line(buf, 17, 1, QDEVICE_HEURISTICS_RESULT_PASS), 16);
	assert_int_equal(qdevice_heuristics_format_result_line(buf, 16, 1, QDEVICE_HEURISTICS_RESULT_PASS), -1);
}

static void test_outcome_lines(void **state)
{
	(void)state;
	char buf[400];
	struct qdevice_heuristics_exec_outcome o = {.seq = 7, .state = QDEVICE_HEURISTICS_PROC_EXITED, .exit_status = 3,
						    .duration_ms = 1250, .name = "ping_gw"}, back;
	assert_int_equal(qdevice_heuristics_format_outcome_line(buf, sizeof(buf), &o), 32);
	assert_string_equal(buf, "exec-outcome 7 1 3 1250 ping_gw\n");
	buf[31] = '\0';
	assert_int_equal(qdevice_heuristics_parse_outcome_line(buf, &back), 0);
	assert_int_equal(back.seq, 7);
	assert_int_equal(back.state, QDEVICE_HEURISTICS_PROC_EXITED);
	assert_int_equal(back.exit_status, 3);
	assert_int_equal(back.duration_ms, 1250);
	assert_string_equal(back.name, "ping_gw");
	assert_string_equal(qdevice_heuristics_outcome_id(&back), "fail");
	back.exit_status = 0;
	assert_string_equal(qdevice_heuristics_outcome_id(&back), "pass");
	back.state = QDEVICE_HEURISTICS_PROC_RUNNING;
	assert_string_equal(qdevice_heuristics_outcome_id(&back), "unfinished");
	back.state = QDEVICE_HEURISTICS_PROC_SIGNALED;
	assert_string_equal(qdevice_heuristics_outcome_id(&back), "killed");
	/* Not outcome lines: wrong verb, a state or status out of range, a missing or extra word. */
	static const char *const bad[] = {
		"exec-result 7 1", "exec-outcome 7 4 0 1 a", "exec-outcome 7 1 256 1 a", "exec-outcome 7 1 0 1",
		"exec-outcome 7 1 0 1 a b", "exec-outcome x 1 0 1 a", "exec-outcome 7 1 0 -1 a",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(qdevice_heuristics_parse_outcome_line(bad[i], &back), -1);
	/* A name as long as the limit does not fit the line parser: refused, never cut. */
	char longline[QDEVICE_HEURISTICS_EXEC_NAME_MAX + 40];
	int n = snprintf(longline, sizeof(longline), "exec-outcome 1 1 0 1 ");
	memset(longline + n, 'n', QDEVICE_HEURISTICS_EXEC_NAME_MAX);
	longline[n + QDEVICE_HEURISTICS_EXEC_NAME_MAX] = '\0';
	assert_int_equal(qdevice_heuristics_parse_outcome_line(longline, &back), -1);
}

static void test_exec_list_equal(void **state)
{
	(void)state;
	struct qdevice_heuristics_exec a[] = {{"a", "/bin/true"}, {"b", "/bin/false"}};
	struct qdevice_heuristics_exec b[] = {{"b", "/bin/false"}, {"a", "/bin/true"}};
	struct qdevice_heuristics_exec c[] = {{"a", "/bin/true"}, {"b", "/bin/true"}};
	struct qdevice_heuristics_exec d[] = {{"a", "/bin/true"}, {"c", "/bin/false"}};
	static const struct {
		size_t na;
		int which;      /* 0 b, 1 c, 2 d, 3 a itself */
		size_t nb;
		bool equal;
	} cases[] = {
		{2, 0, 2, true},        /* order does not matter */
		{2, 3, 2, true},
		{2, 1, 2, false},       /* same name, other command */
		{2, 2, 2, false},       /* other name */
		{2, 0, 1, false},       /* subset */
		{0, 0, 0, true},        /* both empty */
		{1, 3, 0, false},
	};
	struct qdevice_heuristics_exec *other[] = {b, c, d, a};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool eq = qdevice_heuristics_exec_list_equal(a, cases[i].na, other[cases[i].which], cases[i].nb);
		if (eq != cases[i].equal)
			fail_msg("case %zu: %d", i, eq);
	}
}

/* Notifier chain: a script of activations and deliveries with the expected callers. */
struct notif_log {
	unsigned calls[8];      /* kind | seq << 4 | result << 12, in call order */
	size_t n;
	struct qdevice_heuristics_notifiers *chain;
	int reactivate;         /* kind to activate again from inside a callback, or -1 */
};

static void notif_cb(enum qdevice_heuristics_notifier_kind kind, uint32_t seq, enum qdevice_heuristics_result r,
		     void *data)
{
	struct notif_log *l = data;
	if (l->n < 8)
		l->calls[l->n] = (unsigned)kind | seq << 4 | (unsigned)r << 12;
	l->n++;
	if (l->reactivate >= 0 && (int)kind == l->reactivate)
		assert_int_equal(qdevice_heuristics_notifiers_activate(l->chain,
								       (enum qdevice_heuristics_notifier_kind)l->reactivate),
				 0);
}

#define M QDEVICE_HEURISTICS_NOTIFIER_MEMBERSHIP
#define R QDEVICE_HEURISTICS_NOTIFIER_NET_REGULAR
#define C QDEVICE_HEURISTICS_NOTIFIER_NET_CONNECT
#define BIT(k) (1u << (k))

static void test_notifier_chain(void **state)
{
	(void)state;
	struct qdevice_heuristics_notifiers chain;
	struct notif_log log = {.chain = &chain, .reactivate = -1};
	static const struct {
		unsigned activate;      /* bits to activate before the delivery */
		uint32_t seq;
		enum qdevice_heuristics_result r;
		unsigned fired;         /* expected dispatch return */
	} steps[] = {
		{0, 1, QDEVICE_HEURISTICS_RESULT_PASS, 0},                              /* nobody waits */
		{BIT(M), 2, QDEVICE_HEURISTICS_RESULT_PASS, BIT(M)},
		{0, 3, QDEVICE_HEURISTICS_RESULT_PASS, 0},                              /* M deactivated itself */
		{BIT(C) | BIT(M), 4, QDEVICE_HEURISTICS_RESULT_FAIL, BIT(M) | BIT(C)},  /* one result, two waiters */
		{BIT(R) | BIT(C) | BIT(M), 5, QDEVICE_HEURISTICS_RESULT_DISABLED, BIT(M) | BIT(R) | BIT(C)},
		{BIT(R), 6, QDEVICE_HEURISTICS_RESULT_PASS, BIT(R)},
	};

	qdevice_heuristics_notifiers_init(&chain);
	/* Without a callback a kind cannot be activated. */
	assert_int_equal(qdevice_heuristics_notifiers_activate(&chain, M), -1);
	assert_int_equal(qdevice_heuristics_notifiers_set(&chain, QDEVICE_HEURISTICS_NOTIFIER_COUNT, notif_cb, &log), -1);
	for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++)
		assert_int_equal(qdevice_heuristics_notifiers_set(&chain, (enum qdevice_heuristics_notifier_kind)k,
								  notif_cb, &log), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		log.n = 0;
		for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++)
			if ((steps[i].activate & BIT(k)) != 0)
				assert_int_equal(qdevice_heuristics_notifiers_activate(
							 &chain, (enum qdevice_heuristics_notifier_kind)k), 0);
		unsigned fired = qdevice_heuristics_notifiers_dispatch(&chain, steps[i].seq, steps[i].r);
		if (fired != steps[i].fired)
			fail_msg("step %zu: fired %#x, expected %#x", i, fired, steps[i].fired);
		/* Calls happen in kind order (membership, regular, connect), each with the same result. */
		size_t expect_n = 0;
		for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++) {
			if ((steps[i].fired & BIT(k)) == 0)
				continue;
			assert_int_equal(log.calls[expect_n], k | steps[i].seq << 4 | (unsigned)steps[i].r << 12);
			expect_n++;
		}
		assert_int_equal(log.n, expect_n);
		for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++)
			assert_false(qdevice_heuristics_notifiers_active(&chain, (enum qdevice_heuristics_notifier_kind)k));
	}

	/* Explicit deactivation. */
	assert_int_equal(qdevice_heuristics_notifiers_activate(&chain, C), 0);
	qdevice_heuristics_notifiers_deactivate(&chain, C);
	assert_int_equal(qdevice_heuristics_notifiers_dispatch(&chain, 7, QDEVICE_HEURISTICS_RESULT_PASS), 0);

	/* A waiter re-activated from a callback waits for the next result, not this one. */
	log.n = 0;
	log.reactivate = M;
	assert_int_equal(qdevice_heuristics_notifiers_activate(&chain, M), 0);
	assert_int_equal(qdevice_heuristics_notifiers_dispatch(&chain, 8, QDEVICE_HEURISTICS_RESULT_PASS), BIT(M));
	assert_int_equal(log.n, 1);
	assert_true(qdevice_heuristics_notifiers_active(&chain, M));
	log.reactivate = -1;
	assert_int_equal(qdevice_heuristics_notifiers_dispatch(&chain, 9, QDEVICE_HEURISTICS_RESULT_FAIL), BIT(M));
	assert_int_equal(log.n, 2);

	/* Replacing a callback leaves the notifier inactive. */
	assert_int_equal(qdevice_heuristics_notifiers_activate(&chain, R), 0);
	assert_int_equal(qdevice_heuristics_notifiers_set(&chain, R, notif_cb, &log), 0);
	assert_false(qdevice_heuristics_notifiers_active(&chain, R));
}

/* ---- Live runs: a loop, a worker, the daemon side ---- */

struct ctx;
typedef bool (*pred_fn)(struct ctx *c);

struct ctx {
	struct loop *loop;
	struct qdevice_settings settings;
	struct qdevice_heuristics_worker worker;
	struct qdevice_heuristics *h;
	struct loop_timer guard;
	struct loop_timer poll;
	bool timed_out;
	pred_fn pred;
	const char *want_log;

	uint32_t res_seq[32];
	enum qdevice_heuristics_result res[32];
	size_t nres;
	bool closed;
	enum qdevice_heuristics_close_reason closed_reason;

	char dir[64];
	char pidfile[128];
	int fake_cmd_read;      /* fake worker: the ends the test plays with */
	int fake_result_write;
	int fake_log_write;
};

static struct ctx *g_ctx;

static void check(struct ctx *c)
{
	if (c->pred != NULL && c->pred(c))
		loop_stop(c->loop);
}

static void on_result(struct qdevice_heuristics *h, uint32_t seq, enum qdevice_heuristics_result r, void *data)
{
	struct ctx *c = data;
	(void)h;
	if (c->nres < 32) {
		c->res_seq[c->nres] = seq;
		c->res[c->nres] = r;
	}
	c->nres++;
	check(c);
}

static void on_closed(struct qdevice_heuristics *h, enum qdevice_heuristics_close_reason reason, void *data)
{
	struct ctx *c = data;
	(void)h;
	c->closed = true;
	c->closed_reason = reason;
	check(c);
}

static void guard_cb(struct loop *loop, void *data)
{
	struct ctx *c = data;
	c->timed_out = true;
	loop_stop(loop);
}

static void poll_cb(struct loop *loop, void *data)
{
	struct ctx *c = data;
	check(c);
	loop_timer_start(loop, &c->poll, POLL_MS);
}

/* Runs the loop until pred holds; false when WAIT_MS passed first. */
static bool wait_for(struct ctx *c, pred_fn pred)
{
	c->pred = pred;
	c->timed_out = false;
	if (pred(c))
		return true;
	loop_timer_start(c->loop, &c->guard, WAIT_MS);
	loop_timer_start(c->loop, &c->poll, POLL_MS);
	assert_int_equal(loop_run(c->loop), 0);
	loop_timer_stop(c->loop, &c->guard);
	loop_timer_stop(c->loop, &c->poll);
	c->pred = NULL;
	return !c->timed_out && pred(c);
}

static bool have_result(struct ctx *c)
{
	return c->nres > 0 || c->closed;
}

static bool have_closed(struct ctx *c)
{
	return c->closed;
}

static bool have_log(struct ctx *c)
{
	return log_capture_find(c->want_log) >= 0;
}

static const struct qdevice_heuristics_callbacks test_cbs = {on_result, on_closed, NULL};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	qdevice_settings_init(&c->settings);
	/* The shortest allowed kill pass keeps the tests quick. */
	c->settings.heuristics_kill_list_interval = 250;
	c->loop = loop_create();
	assert_non_null(c->loop);
	loop_timer_init(&c->guard, guard_cb, c);
	loop_timer_init(&c->poll, poll_cb, c);
	c->worker.pid = -1;
	c->fake_cmd_read = c->fake_result_write = c->fake_log_write = -1;
	snprintf(c->dir, sizeof(c->dir), "/tmp/qdh-test.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->pidfile, sizeof(c->pidfile), "%s/pid", c->dir);
	log_capture_clear();
	g_ctx = c;
	*state = c;
	return 0;
}

/* Spawns a real worker with the current settings and attaches it. */
static void start(struct ctx *c)
{
	struct qdevice_heuristics_callbacks cbs = test_cbs;
	cbs.data = c;
	assert_int_equal(qdevice_heuristics_worker_spawn(&c->settings, &c->worker), 0);
	c->h = qdevice_heuristics_create(c->loop, &c->settings, &c->worker, &cbs);
	assert_non_null(c->h);
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	if (getenv("QD_TEST_DUMP_LOG") != NULL)
		log_capture_dump();
	if (c->h != NULL) {
		qdevice_heuristics_close(c->h, true, WAIT_MS, NULL);
		qdevice_heuristics_destroy(c->h);
	}
	if (c->fake_cmd_read >= 0)
		close(c->fake_cmd_read);
	if (c->fake_result_write >= 0)
		close(c->fake_result_write);
	if (c->fake_log_write >= 0)
		close(c->fake_log_write);
	unlink(c->pidfile);
	rmdir(c->dir);
	loop_destroy(c->loop);
	qdevice_settings_destroy(&c->settings);
	log_capture_clear();
	g_ctx = NULL;
	free(c);
	return 0;
}

static void set_list(struct ctx *c, enum qdevice_heuristics_mode mode, const char *const *names,
		     const char *const *commands, size_t n, int expect)
{
	struct qdevice_heuristics_exec execs[8];
	struct qdevice_heuristics_config cfg;

	assert_true(n <= 8);
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < n; i++) {
		execs[i].name = (char *)names[i];
		execs[i].command = (char *)commands[i];
	}
	cfg.mode = mode;
	cfg.execs = execs;
	cfg.exec_count = n;
	assert_int_equal(qdevice_heuristics_set_exec_list(c->h, &cfg), expect);
}

/* Sets a one-command list (mode on), runs it and returns the result. */
static enum qdevice_heuristics_result run_one(struct ctx *c, const char *command, uint32_t timeout_ms)
{
	const char *names[] = {"t"};
	uint32_t seq;

	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, &command, 1, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, timeout_ms, &seq), 0);
	assert_true(qdevice_heuristics_waiting(c->h));
	assert_true(wait_for(c, have_result));
	assert_false(c->closed);
	assert_int_equal(c->nres, 1);
	assert_int_equal(c->res_seq[0], seq);
	assert_false(qdevice_heuristics_waiting(c->h));
	return c->res[0];
}

static void test_pass_true(void **state)
{
	struct ctx *c = *state;
	start(c);
	assert_int_equal(run_one(c, "/bin/true", WAIT_MS), QDEVICE_HEURISTICS_RESULT_PASS);
	/* Several commands, all succeeding. */
	const char *names[] = {"a", "b", "c"};
	const char *cmds[] = {"/bin/true", "/bin/sh -c \"exit 0\"", "/bin/true x y"};
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 3, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, NULL), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_PASS);
}

static void test_fail_false(void **state)
{
	struct ctx *c = *state;
	start(c);
	assert_int_equal(run_one(c, "/bin/false", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	/* One failing command among passing ones fails the run. */
	const char *names[] = {"a", "b"};
	const char *cmds[] = {"/bin/true", "/bin/false"};
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 2, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, NULL), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_FAIL);
	/* Each command's outcome of that run, for the status. */
	size_t count;
	const struct qdevice_heuristics_exec_outcome *o = qdevice_heuristics_last_outcomes(c->h, &count);
	assert_int_equal(count, 2);
	assert_string_equal(o[0].name, "a");
	assert_string_equal(o[1].name, "b");
	assert_int_equal(o[1].state, QDEVICE_HEURISTICS_PROC_EXITED);
	assert_int_equal(o[1].exit_status, 1);
	assert_string_equal(qdevice_heuristics_outcome_id(&o[1]), "fail");
	/* "a" either passed or was still running when "b" decided the run. */
	assert_true(strcmp(qdevice_heuristics_outcome_id(&o[0]), "pass") == 0 ||
		    strcmp(qdevice_heuristics_outcome_id(&o[0]), "unfinished") == 0);
	c->want_log = "worker: process b finished with status 1";
	assert_true(wait_for(c, have_log));
	assert_int_equal(log_capture_find(c->want_log), LOG_WARNING);
}

static void test_fail_nonexistent(void **state)
{
	struct ctx *c = *state;
	start(c);
	assert_int_equal(run_one(c, "/nonexistent/qdevice-heuristics-test", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	/* An empty command cannot run either. */
	assert_int_equal(run_one(c, "   ", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	/* A command killed by a signal fails. */
	assert_int_equal(run_one(c, "/bin/sh -c \"kill -9 $$\"", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	c->want_log = "worker: process t killed by signal 9";
	assert_true(wait_for(c, have_log));
}

static void test_empty_list_disabled(void **state)
{
	struct ctx *c = *state;
	const char *names[] = {"a"};
	const char *cmds[] = {"/bin/false"};

	start(c);
	/* Mode on with no execs. */
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, NULL, NULL, 0, 1);
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, NULL), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_DISABLED);
	/* Mode off sends an empty list even when execs are configured: the failing one never runs. */
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 1, 1);
	set_list(c, QDEVICE_HEURISTICS_MODE_OFF, names, cmds, 1, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, NULL), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_DISABLED);
	/* Unchanged (still empty) list: not resent. */
	set_list(c, QDEVICE_HEURISTICS_MODE_OFF, names, cmds, 1, 0);
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, NULL, NULL, 0, 0);
}

/* /proc says the process is gone or a zombie (nobody left to run it). */
static bool pid_dead(pid_t pid)
{
	char path[64], buf[512];

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

static pid_t read_pidfile(struct ctx *c)
{
	FILE *f = fopen(c->pidfile, "r");
	long pid = 0;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

static bool have_pidfile(struct ctx *c)
{
	return read_pidfile(c) > 0;
}

static pid_t g_watch_pid;

static bool watched_dead(struct ctx *c)
{
	(void)c;
	return pid_dead(g_watch_pid);
}

/* A command that records its pid and then sleeps for a long time. */
static void sleeper_command(struct ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "/bin/sh -c \"echo $$ > %s; exec /bin/sleep 30\"", c->pidfile);
}

static void test_timeout_kills(void **state)
{
	struct ctx *c = *state;
	char cmd[256];

	start(c);
	sleeper_command(c, cmd, sizeof(cmd));
	assert_int_equal(run_one(c, cmd, 1000), QDEVICE_HEURISTICS_RESULT_FAIL);
	size_t count;
	const struct qdevice_heuristics_exec_outcome *o = qdevice_heuristics_last_outcomes(c->h, &count);
	assert_int_equal(count, 1);
	assert_string_equal(qdevice_heuristics_outcome_id(&o[0]), "unfinished");
	assert_true(o[0].duration_ms >= 1000);
	c->want_log = "worker: Not all heuristics execs finished on time";
	assert_true(wait_for(c, have_log));
	assert_int_equal(log_capture_find(c->want_log), LOG_WARNING);
	/* The sleeper lands on the kill list and is gone after the next passes. */
	assert_true(wait_for(c, have_pidfile));
	g_watch_pid = read_pidfile(c);
	assert_true(wait_for(c, watched_dead));
	assert_false(c->closed);
}

/*
 * A timed-out command is killed with what it started: here the shell waits for a background sleep,
 * the SIGTERM ends the shell, and the sleep must not outlive it.
 */
static void test_timeout_kills_process_group(void **state)
{
	struct ctx *c = *state;
	char cmd[256];

	start(c);
	snprintf(cmd, sizeof(cmd), "/bin/sh -c \"/bin/sleep 30 & echo $! > %s; wait\"", c->pidfile);
	assert_int_equal(run_one(c, cmd, 1000), QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_true(wait_for(c, have_pidfile));
	g_watch_pid = read_pidfile(c);
	assert_true(wait_for(c, watched_dead));
	assert_false(c->closed);
}

/* A command cannot speak to systemd for the daemon: NOTIFY_SOCKET and the like are not passed on. */
static void test_command_environment(void **state)
{
	struct ctx *c = *state;

	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	setenv("QD_TEST_KEPT", "kept", 1);
	start(c);
	assert_int_equal(run_one(c, "/bin/sh -c \"test -z \\\"$NOTIFY_SOCKET$WATCHDOG_USEC\\\"\"", WAIT_MS),
			 QDEVICE_HEURISTICS_RESULT_PASS);
	/* The rest of the environment (proxies, paths an administrator set) is still there. */
	assert_int_equal(run_one(c, "/bin/sh -c \"test \\\"$QD_TEST_KEPT\\\" = kept\"", WAIT_MS),
			 QDEVICE_HEURISTICS_RESULT_PASS);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("QD_TEST_KEPT");
}

static void test_argv_quoting(void **state)
{
	struct ctx *c = *state;
	start(c);
	/* /bin/sh is exec'd directly: it gets "-c", the script, "$0" and "$1" as separate words. */
	assert_int_equal(run_one(c, "/bin/sh -c \"exit 0\"", WAIT_MS), QDEVICE_HEURISTICS_RESULT_PASS);
	assert_int_equal(run_one(c, "/bin/sh -c \"exit 3\"", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_int_equal(run_one(c, "/bin/sh -c \"test \\\"$1\\\" = 'a b' && test $# = 1\" sh \"a b\"", WAIT_MS),
			 QDEVICE_HEURISTICS_RESULT_PASS);
	assert_int_equal(run_one(c, "/bin/sh -c \"test \\\"$1\\\" = 'a b'\" sh a\\ \\ b", WAIT_MS),
			 QDEVICE_HEURISTICS_RESULT_FAIL);
	/* Backslash-escaped space makes one word; ';' and '|' are plain characters for the lexer. */
	assert_int_equal(run_one(c, "/bin/sh -c \"test \\\"$1\\\" = 'x;|y z'\" sh x;|y\\ z", WAIT_MS),
			 QDEVICE_HEURISTICS_RESULT_PASS);
}

static void use_execvp(struct qdevice_settings *s)
{
	s->heuristics_use_execvp = true;
}

static void test_execvp(void **state)
{
	struct ctx *c = *state;
	/* execv: a bare name is not searched in PATH, so the exec fails. */
	start(c);
	assert_int_equal(run_one(c, "true", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_int_equal(qdevice_heuristics_close(c->h, true, WAIT_MS, NULL), 0);
	qdevice_heuristics_destroy(c->h);
	c->h = NULL;
	/* execvp searches PATH. */
	use_execvp(&c->settings);
	start(c);
	assert_int_equal(run_one(c, "true", WAIT_MS), QDEVICE_HEURISTICS_RESULT_PASS);
	assert_int_equal(run_one(c, "false", WAIT_MS), QDEVICE_HEURISTICS_RESULT_FAIL);
}

static void test_exec_while_pending(void **state)
{
	struct ctx *c = *state;
	char cmd[256];
	const char *names[] = {"s"};
	const char *cmd_p = cmd;
	const char *true_names[] = {"t"};
	const char *true_cmd[] = {"/bin/true"};
	uint32_t seq1, seq2;

	start(c);
	sleeper_command(c, cmd, sizeof(cmd));
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, &cmd_p, 1, 1);
	assert_int_equal(qdevice_heuristics_exec(c->h, 60000, &seq1), 0);
	assert_true(wait_for(c, have_pidfile));
	g_watch_pid = read_pidfile(c);
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, true_names, true_cmd, 1, 1);
	assert_int_equal(qdevice_heuristics_exec(c->h, 60000, &seq2), 0);
	assert_int_equal(seq2, seq1 + 1);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->nres, 1);
	assert_int_equal(c->res_seq[0], seq2);
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_PASS);
	/* The abandoned sleeper is killed; the worker never reported the old run. */
	assert_true(wait_for(c, watched_dead));
	assert_int_equal(c->nres, 1);
	assert_int_equal(qdevice_heuristics_ignored_results(c->h), 0);
}

/* The same through the raw pipes: the worker itself never writes the old run's result. */
static int write_str(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				if (poll(&p, 1, WAIT_MS) <= 0)
					return -1;
				continue;
			}
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (bounded by WAIT_MS) from a non-blocking fd, byte by byte. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	while (len + 1 < size) {
		char ch;
		ssize_t n = read(fd, &ch, 1);
		if (n == 1) {
			if (ch == '\n') {
				buf[len] = '\0';
				return 0;
			}
			buf[len++] = ch;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		uint64_t now = loop_now_ms();
		if (now >= deadline)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, (int)(deadline - now));
	}
	return -1;
}

static void test_worker_raw_pending(void **state)
{
	struct ctx *c = *state;
	struct qdevice_heuristics_worker w;
	char line[128], cmd[256], script[512];
	int status;

	sleeper_command(c, cmd, sizeof(cmd));
	assert_int_equal(qdevice_heuristics_worker_spawn(&c->settings, &w), 0);
	snprintf(script, sizeof(script),
		 "exec-list-clear\nexec-list-add s %s\nexec 60000 1\n"
		 "exec-list-clear\r\n\nexec-list-add t /bin/true\rexec 60000 2\n",
		 cmd);
	assert_int_equal(write_str(w.cmd_fd, script), 0);
	/* Run 1 was abandoned by run 2: only run 2's outcome and result come. */
	assert_int_equal(read_line(w.result_fd, line, sizeof(line)), 0);
	assert_int_equal(strncmp(line, "exec-outcome 2 1 0 ", 19), 0);
	assert_string_equal(line + strlen(line) - 2, " t");
	assert_int_equal(read_line(w.result_fd, line, sizeof(line)), 0);
	assert_string_equal(line, "exec-result 2 1");
	/* An empty list answers "disabled" at once. */
	assert_int_equal(write_str(w.cmd_fd, "exec-list-clear\nexec 10 3\n"), 0);
	assert_int_equal(read_line(w.result_fd, line, sizeof(line)), 0);
	assert_string_equal(line, "exec-result 3 0");
	/* End of input: the worker kills what is left and exits 0. */
	assert_true(wait_for(c, have_pidfile));
	g_watch_pid = read_pidfile(c);
	close(w.cmd_fd);
	assert_int_equal(read_line(w.result_fd, line, sizeof(line)), -1);      /* EOF, no stale result */
	assert_int_equal(waitpid(w.pid, &status, 0), w.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), QDEVICE_HEURISTICS_WORKER_EXIT_OK);
	assert_true(wait_for(c, watched_dead));
	close(w.result_fd);
	close(w.log_fd);
}

static void small_max_processes(struct qdevice_settings *s)
{
	s->heuristics_max_processes = 2;
}

static const char *g_reaped_names[2];

/* The worker logged the end of every process named in g_reaped_names (in a run or on the kill list). */
static bool names_reaped(struct ctx *c)
{
	(void)c;
	for (size_t i = 0; i < 2; i++) {
		char ok[64], killed[64];
		if (g_reaped_names[i] == NULL)
			continue;
		snprintf(ok, sizeof(ok), "worker: process %s successfully finished", g_reaped_names[i]);
		snprintf(killed, sizeof(killed), "worker: process %s killed by signal", g_reaped_names[i]);
		if (log_capture_find(ok) < 0 && log_capture_find(killed) < 0)
			return false;
	}
	return true;
}

static void wait_reaped(struct ctx *c, const char *a, const char *b)
{
	g_reaped_names[0] = a;
	g_reaped_names[1] = b;
	assert_true(wait_for(c, names_reaped));
}

static void run_list(struct ctx *c, const char *const *names, const char *const *cmds, size_t n, uint32_t timeout_ms,
		     enum qdevice_heuristics_result expect)
{
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, n, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, timeout_ms, NULL), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res[0], expect);
}

static void test_max_processes(void **state)
{
	struct ctx *c = *state;
	const char *ab[] = {"a", "b"};
	const char *xyz[] = {"x", "y", "z"};
	const char *pq[] = {"p", "q"};
	const char *s_name[] = {"s"};
	const char *cmds[] = {"/bin/true", "/bin/true", "/bin/true"};
	char cmd[256];
	const char *cmd_p = cmd;

	small_max_processes(&c->settings);
	start(c);
	/* Two fit, three do not. */
	run_list(c, ab, cmds, 2, WAIT_MS, QDEVICE_HEURISTICS_RESULT_PASS);
	run_list(c, xyz, cmds, 3, WAIT_MS, QDEVICE_HEURISTICS_RESULT_FAIL);
	c->want_log = "worker: Can't execute process z: too many processes (max 2)";
	assert_true(wait_for(c, have_log));
	wait_reaped(c, "x", "y");

	/* Processes being killed count too: the abandoned sleeper plus p leave no room for q. */
	sleeper_command(c, cmd, sizeof(cmd));
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, s_name, &cmd_p, 1, 1);
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_exec(c->h, 60000, NULL), 0);
	assert_true(wait_for(c, have_pidfile));
	assert_int_equal(c->nres, 0);
	run_list(c, pq, cmds, 2, WAIT_MS, QDEVICE_HEURISTICS_RESULT_FAIL);
	c->want_log = "worker: Can't execute process q: too many processes (max 2)";
	assert_true(wait_for(c, have_log));
	/* With the kill list empty again, two processes run fine. */
	wait_reaped(c, "s", "p");
	run_list(c, ab, cmds, 2, WAIT_MS, QDEVICE_HEURISTICS_RESULT_PASS);
}

static void test_unknown_line_worker_exits(void **state)
{
	struct ctx *c = *state;
	int status;

	start(c);
	assert_int_equal(write_str(c->worker.cmd_fd, "bogus-command 1 2\n"), 0);
	assert_true(wait_for(c, have_closed));
	assert_true(c->closed_reason == QDEVICE_HEURISTICS_CLOSED_EOF);
	assert_int_equal(qdevice_heuristics_close(c->h, true, WAIT_MS, &status), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
	/* The worker said why, and the daemon side showed it. */
	assert_true(log_capture_find("worker: Unknown command received from the daemon: \"bogus-command 1 2\"") >= 0);
	/* After close, nothing can be sent. */
	assert_int_equal(qdevice_heuristics_exec(c->h, 1000, NULL), -1);

	/* An overlong command line ends the worker the same way. */
	qdevice_heuristics_destroy(c->h);
	c->h = NULL;
	c->closed = false;
	start(c);
	char *big = malloc(8192);
	assert_non_null(big);
	memset(big, 'x', 8190);
	big[8190] = '\n';
	big[8191] = '\0';
	assert_int_equal(write_str(c->worker.cmd_fd, big), 0);
	free(big);
	assert_true(wait_for(c, have_closed));
	assert_int_equal(qdevice_heuristics_close(c->h, true, WAIT_MS, &status), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), QDEVICE_HEURISTICS_WORKER_EXIT_ERROR);
}

static void test_eof_kills_children(void **state)
{
	struct ctx *c = *state;
	char cmd[256];
	int status;

	start(c);
	sleeper_command(c, cmd, sizeof(cmd));
	const char *names[] = {"s"};
	const char *cmd_p = cmd;
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, &cmd_p, 1, 1);
	assert_int_equal(qdevice_heuristics_exec(c->h, 60000, NULL), 0);
	assert_true(wait_for(c, have_pidfile));
	g_watch_pid = read_pidfile(c);
	assert_false(pid_dead(g_watch_pid));
	assert_int_equal(qdevice_heuristics_close(c->h, true, WAIT_MS, &status), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), QDEVICE_HEURISTICS_WORKER_EXIT_OK);
	assert_true(wait_for(c, watched_dead));
	/* close is idempotent and no callback follows. */
	assert_int_equal(qdevice_heuristics_close(c->h, true, WAIT_MS, &status), 0);
	assert_int_equal(status, -1);
	assert_false(c->closed);
}

struct live_notif {
	unsigned fired;
	uint32_t seq[QDEVICE_HEURISTICS_NOTIFIER_COUNT];
	enum qdevice_heuristics_result r[QDEVICE_HEURISTICS_NOTIFIER_COUNT];
};

static void live_notif_cb(enum qdevice_heuristics_notifier_kind kind, uint32_t seq, enum qdevice_heuristics_result r,
			  void *data)
{
	struct live_notif *n = data;
	n->fired |= 1u << kind;
	n->seq[kind] = seq;
	n->r[kind] = r;
}

static void test_notifiers_live(void **state)
{
	struct ctx *c = *state;
	struct live_notif n = {0};
	uint32_t seq1, seq2, seq3;
	const char *names[] = {"t"};
	const char *cmds[] = {"/bin/true"};

	start(c);
	struct qdevice_heuristics_notifiers *chain = qdevice_heuristics_notifiers(c->h);
	for (unsigned k = 0; k < QDEVICE_HEURISTICS_NOTIFIER_COUNT; k++)
		assert_int_equal(qdevice_heuristics_notifiers_set(chain, (enum qdevice_heuristics_notifier_kind)k,
								  live_notif_cb, &n), 0);
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 1, 1);
	/* Membership asks, connect asks while that run is pending: the second run serves both. */
	assert_int_equal(qdevice_heuristics_notifiers_activate(chain, M), 0);
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, &seq1), 0);
	assert_int_equal(qdevice_heuristics_notifiers_activate(chain, C), 0);
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, &seq2), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->res_seq[0], seq2);
	assert_int_equal(n.fired, BIT(M) | BIT(C));
	assert_int_equal(n.seq[M], seq2);
	assert_int_equal(n.seq[C], seq2);
	assert_int_equal(n.r[M], QDEVICE_HEURISTICS_RESULT_PASS);
	assert_int_equal(n.r[C], QDEVICE_HEURISTICS_RESULT_PASS);
	(void)seq1;
	/* Next run: only the regular waiter. */
	n.fired = 0;
	c->nres = 0;
	assert_int_equal(qdevice_heuristics_notifiers_activate(chain, R), 0);
	assert_int_equal(qdevice_heuristics_exec(c->h, WAIT_MS, &seq3), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(n.fired, BIT(R));
	assert_int_equal(n.seq[R], seq3);
}

static void test_log_prefixed(void **state)
{
	struct ctx *c = *state;
	start(c);
	assert_int_equal(run_one(c, "/bin/true", WAIT_MS), QDEVICE_HEURISTICS_RESULT_PASS);
	c->want_log = "worker: process t successfully finished";
	assert_true(wait_for(c, have_log));
	/* Re-logged at the worker's priority. */
	assert_int_equal(log_capture_find("worker: process t executed"), LOG_DEBUG);
	assert_int_equal(log_capture_find("worker: process t successfully finished"), LOG_DEBUG);
}

/* ---- The daemon side against a worker played by the test ---- */

static void start_fake(struct ctx *c)
{
	int cmd[2], res[2], logp[2];
	struct qdevice_heuristics_callbacks cbs = test_cbs;

	cbs.data = c;
	assert_int_equal(pipe(cmd), 0);
	assert_int_equal(pipe(res), 0);
	assert_int_equal(pipe(logp), 0);
	for (int i = 0; i < 2; i++) {
		fcntl(cmd[i], F_SETFL, O_NONBLOCK);
		fcntl(res[i], F_SETFL, O_NONBLOCK);
		fcntl(logp[i], F_SETFL, O_NONBLOCK);
	}
	c->worker.pid = -1;
	c->worker.cmd_fd = cmd[1];
	c->worker.result_fd = res[0];
	c->worker.log_fd = logp[0];
	c->fake_cmd_read = cmd[0];
	c->fake_result_write = res[1];
	c->fake_log_write = logp[1];
	c->h = qdevice_heuristics_create(c->loop, &c->settings, &c->worker, &cbs);
	assert_non_null(c->h);
}

static void expect_cmd_text(struct ctx *c, const char *expected)
{
	char buf[512];
	ssize_t n = read(c->fake_cmd_read, buf, sizeof(buf) - 1);
	if (expected == NULL) {
		assert_true(n < 0 && errno == EAGAIN);
		return;
	}
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, expected);
}

static void test_fake_results_and_lists(void **state)
{
	struct ctx *c = *state;
	uint32_t seq;
	const char *names[] = {"a", "b"};
	const char *cmds[] = {"/bin/true", "/bin/x\ny"};
	const char *names_rev[] = {"b", "a"};
	const char *cmds_rev[] = {"/bin/x\ny", "/bin/true"};

	start_fake(c);
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 2, 1);
	expect_cmd_text(c, "exec-list-clear\nexec-list-add a /bin/true\nexec-list-add b /bin/x y\n");
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names_rev, cmds_rev, 2, 0);
	expect_cmd_text(c, NULL);
	set_list(c, QDEVICE_HEURISTICS_MODE_SYNC, names, cmds, 1, 1);
	expect_cmd_text(c, "exec-list-clear\nexec-list-add a /bin/true\n");
	set_list(c, QDEVICE_HEURISTICS_MODE_OFF, names, cmds, 2, 1);
	expect_cmd_text(c, "exec-list-clear\n");

	assert_int_equal(qdevice_heuristics_last_seq(c->h), 0);
	assert_int_equal(qdevice_heuristics_exec(c->h, 5000, &seq), 0);
	assert_int_equal(seq, 1);
	expect_cmd_text(c, "exec 5000 1\n");
	/* A stale sequence number is ignored; the expected one is delivered once. */
	assert_int_equal(write_str(c->fake_result_write, "exec-result 7 1\nexec-result 1 2\n"), 0);
	assert_true(wait_for(c, have_result));
	assert_int_equal(c->nres, 1);
	assert_int_equal(c->res_seq[0], 1);
	assert_int_equal(c->res[0], QDEVICE_HEURISTICS_RESULT_FAIL);
	assert_int_equal(qdevice_heuristics_ignored_results(c->h), 1);
	/* A result when none is awaited is ignored; an unknown line closes. */
	assert_int_equal(write_str(c->fake_result_write, "exec-result 1 1\r\nexec-result 1 2\nhello\n"), 0);
	assert_true(wait_for(c, have_closed));
	assert_int_equal(c->closed_reason, QDEVICE_HEURISTICS_CLOSED_BAD_LINE);
	assert_int_equal(c->nres, 1);
	assert_int_equal(qdevice_heuristics_ignored_results(c->h), 3);
	assert_int_equal(qdevice_heuristics_exec(c->h, 5000, NULL), -1);
}

static void test_fake_log_lines(void **state)
{
	struct ctx *c = *state;

	start_fake(c);
	assert_int_equal(write_str(c->fake_log_write, "4 warned here\n6 informed\n3 err"), 0);
	c->want_log = "worker: informed";
	assert_true(wait_for(c, have_log));
	assert_int_equal(log_capture_find("worker: warned here"), LOG_WARNING);
	assert_int_equal(log_capture_find("worker: informed"), LOG_INFO);
	assert_int_equal(write_str(c->fake_log_write, "or text\n"), 0);
	c->want_log = "worker: error text";
	assert_true(wait_for(c, have_log));
	assert_int_equal(log_capture_find(c->want_log), LOG_ERR);
	/* A line without a priority is fatal. */
	assert_int_equal(write_str(c->fake_log_write, "no priority\n"), 0);
	assert_true(wait_for(c, have_closed));
	assert_int_equal(c->closed_reason, QDEVICE_HEURISTICS_CLOSED_BAD_LINE);
}

static void test_fake_overlong_and_eof(void **state)
{
	struct ctx *c = *state;
	char big[5000];

	start_fake(c);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(write_str(c->fake_result_write, big), 0);
	assert_true(wait_for(c, have_closed));
	assert_int_equal(c->closed_reason, QDEVICE_HEURISTICS_CLOSED_LINE_TOO_LONG);
	qdevice_heuristics_destroy(c->h);
	c->h = NULL;
	close(c->fake_cmd_read);
	close(c->fake_result_write);
	close(c->fake_log_write);

	c->closed = false;
	start_fake(c);
	close(c->fake_result_write);
	c->fake_result_write = -1;
	assert_true(wait_for(c, have_closed));
	assert_int_equal(c->closed_reason, QDEVICE_HEURISTICS_CLOSED_EOF);
}

static char g_acc[1024];
static size_t g_acc_len;

/* Collects what the daemon side wrote to the fake worker until the tenth exec line is there. */
static bool have_ten_execs(struct ctx *c)
{
	ssize_t n;
	while (g_acc_len + 1 < sizeof(g_acc) &&
	       (n = read(c->fake_cmd_read, g_acc + g_acc_len, sizeof(g_acc) - 1 - g_acc_len)) > 0)
		g_acc_len += (size_t)n;
	g_acc[g_acc_len] = '\0';
	return strstr(g_acc, "exec 1000 10\n") != NULL;
}

static void test_fake_queue_bound(void **state)
{
	struct ctx *c = *state;
	char junk[4096];
	uint32_t seq;

	c->settings.heuristics_ipc_max_send_buffers = 10;
	start_fake(c);
	/* Fill the pipe so everything the daemon side sends has to wait in its queue. */
	memset(junk, 'j', sizeof(junk));
	while (write(c->worker.cmd_fd, junk, sizeof(junk)) > 0)
		;
	while (write(c->worker.cmd_fd, junk, 1) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	for (int i = 0; i < 10; i++)
		assert_int_equal(qdevice_heuristics_exec(c->h, 1000, &seq), 0);
	assert_int_equal(seq, 10);
	assert_int_equal(qdevice_heuristics_exec(c->h, 1000, &seq), -1);
	assert_int_equal(qdevice_heuristics_last_seq(c->h), 10);
	/* An exec list (two lines) does not fit either; nothing of it is queued. */
	const char *names[] = {"a"};
	const char *cmds[] = {"/bin/true"};
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, cmds, 1, -1);
	/* Drain the junk; then the loop sends the queue, in order, and nothing else. */
	ssize_t n;
	while ((n = read(c->fake_cmd_read, junk, sizeof(junk))) > 0)
		assert_non_null(memchr(junk, 'j', (size_t)n));
	g_acc_len = 0;
	assert_true(wait_for(c, have_ten_execs));
	assert_string_equal(g_acc, "exec 1000 1\nexec 1000 2\nexec 1000 3\nexec 1000 4\nexec 1000 5\n"
				   "exec 1000 6\nexec 1000 7\nexec 1000 8\nexec 1000 9\nexec 1000 10\n");
	/* The queue has room again. */
	assert_int_equal(qdevice_heuristics_exec(c->h, 1000, &seq), 0);
	assert_int_equal(seq, 11);
	assert_false(c->closed);
}

static void test_fake_line_too_long_to_send(void **state)
{
	struct ctx *c = *state;
	char *cmd = malloc(5000);
	assert_non_null(cmd);
	memset(cmd, 'x', 4999);
	cmd[4999] = '\0';
	const char *names[] = {"a"};
	const char *cmds[] = {cmd};

	start_fake(c);
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, (const char *const *)cmds, 1, -1);
	expect_cmd_text(c, NULL);
	/* One byte over the limit (4096 bytes with the newline) is refused, the longest line that fits is sent. */
	cmd[4097 - strlen("exec-list-add a \n")] = '\0';
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, (const char *const *)cmds, 1, -1);
	expect_cmd_text(c, NULL);
	cmd[4096 - strlen("exec-list-add a \n")] = '\0';
	set_list(c, QDEVICE_HEURISTICS_MODE_ON, names, (const char *const *)cmds, 1, 1);
	free(cmd);
}

/* The worker accepts the longest line the daemon side sends. */
static void test_longest_line_live(void **state)
{
	struct ctx *c = *state;
	size_t len = 4096 - strlen("exec-list-add t \n");
	char *cmd = malloc(len + 1);

	assert_non_null(cmd);
	/* Trailing blanks make no words: the command is just /bin/true. */
	memset(cmd, ' ', len);
	memcpy(cmd, "/bin/true", strlen("/bin/true"));
	cmd[len] = '\0';
	start(c);
	assert_int_equal(run_one(c, cmd, WAIT_MS), QDEVICE_HEURISTICS_RESULT_PASS);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linebuf),
		cmocka_unit_test(test_parse_cmd),
		cmocka_unit_test(test_parse_result_and_log),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_outcome_lines),
		cmocka_unit_test(test_exec_list_equal),
		cmocka_unit_test(test_notifier_chain),
		cmocka_unit_test_setup_teardown(test_pass_true, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_false, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_nonexistent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_list_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_argv_quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_execvp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_while_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_raw_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_line_worker_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_kills_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_process_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifiers_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_prefixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_results_and_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_log_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_overlong_and_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_queue_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fake_line_too_long_to_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_line_live, setup, teardown),
	};

	/* The daemon ignores SIGPIPE (man/corosync-qdevice.8, SIGNALS); so must its stand-in. */
	signal(SIGPIPE, SIG_IGN);
	log_capture_start("test_qdevice_heuristics");
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_capture_stop();
	return rc;
}
