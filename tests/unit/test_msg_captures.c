/* Real traffic recorded between upstream corosync-qdevice and corosync-qnetd: every message decodes and re-encodes byte-identically. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include "msg.h"
#include "testdata.h"

#define CAPTURE_DIR QD_TEST_DATA_DIR "/captures"

/* Counts per message type over all captures, to check the captures' coverage. */
static unsigned type_counts[PROTO_MSG_TYPE_COUNT];

static void check_capture(const char *path)
{
	struct testdata_set set;

	assert_int_equal(testdata_capture_load(path, &set), 0);
	assert_true(set.count > 0);
	for (size_t i = 0; i < set.count; i++) {
		const struct testdata_msg *tm = &set.msgs[i];
		struct msg m;
		struct msg_decode_error err;
		uint8_t *again = malloc(tm->len);
		assert_non_null(again);

		if (msg_decode(tm->bytes, tm->len, &m, &err) != 0)
			fail_msg("%s:%u: decode failed: %s (option %u)", path, tm->line,
				 msg_decode_status_str(err.status), err.option);
		assert_true(proto_msg_type_is_known(m.type));
		/* Direction must agree with the message type. */
		assert_int_equal(proto_msg_type_is_server_to_client(m.type), tm->direction == '<');
		long n = msg_encode(&m, again, tm->len);
		if (n != (long)tm->len || memcmp(again, tm->bytes, tm->len) != 0)
			fail_msg("%s:%u: %s does not re-encode byte-identically", path, tm->line,
				 proto_msg_type_str(m.type));
		type_counts[m.type]++;
		msg_destroy(&m);
		free(again);
	}
	testdata_set_free(&set);
}

static void test_every_capture(void **state)
{
	(void)state;
	DIR *dir = opendir(CAPTURE_DIR);
	assert_non_null(dir);
	unsigned files = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".cap") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", CAPTURE_DIR, de->d_name);
		print_message("capture %s\n", path);
		check_capture(path);
		files++;
	}
	closedir(dir);
	assert_true(files > 0);

	/* The captures must show every message a stock client and server exchange in a TLS-off session. */
	static const uint16_t expected[] = {
		PROTO_MSG_PREINIT,      PROTO_MSG_PREINIT_REPLY, PROTO_MSG_INIT,
		PROTO_MSG_INIT_REPLY,   PROTO_MSG_SET_OPTION,    PROTO_MSG_SET_OPTION_REPLY,
		PROTO_MSG_ECHO_REQUEST, PROTO_MSG_ECHO_REPLY,    PROTO_MSG_NODE_LIST,
		PROTO_MSG_NODE_LIST_REPLY, PROTO_MSG_VOTE_INFO,  PROTO_MSG_VOTE_INFO_REPLY,
	};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		print_message("%-24s %u\n", proto_msg_type_str(expected[i]), type_counts[expected[i]]);
		assert_true(type_counts[expected[i]] > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
