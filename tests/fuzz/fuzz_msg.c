/*
 * libFuzzer target for the message decoder and encoder: no crash, no leak, and
 * decode -> encode reaches a canonical form that is a fixed point. Inputs in
 * upstream's option order re-encode byte-identically; that is checked on the
 * byte vectors and real captures of tests/data by the unit tests, since an arbitrary input
 * may carry unknown or repeated options the canonical form drops.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any failed property is a bug: stop the fuzzer with a crash it records. */
#define CHECK(cond)                        \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m, again;
	struct msg_decode_error err;

	/* Frame the input the way a reader does: the header's length decides the message. */
	int rc = msg_decode(data, size, &m, &err);
	CHECK((rc == 0) == (err.status == MSG_DECODE_OK));
	if (rc != 0) {
		msg_destroy(&m);
		return 0;
	}

	/*
	 * Unknown options are dropped and duplicates collapse (doc/protocol.md §2.3),
	 * so the canonical encoding is never longer than the input; it is empty
	 * only when nothing known was present.
	 */
	uint8_t *y = malloc(size);
	CHECK(y != NULL);
	long n = msg_encode(&m, y, size);
	if (m.present == 0) {
		CHECK(n == -1);
	} else {
		CHECK(n > 0 && (size_t)n <= size);
		CHECK(msg_decode(y, (size_t)n, &again, &err) == 0);
		CHECK(msg_equal(&m, &again));
		/* The canonical form is a fixed point: encoding it again gives the same bytes. */
		uint8_t *z = malloc((size_t)n);
		CHECK(z != NULL);
		CHECK(msg_encode(&again, z, (size_t)n) == n);
		CHECK(memcmp(y, z, (size_t)n) == 0);
		free(z);
		msg_destroy(&again);
	}
	free(y);
	msg_destroy(&m);
	return 0;
}
