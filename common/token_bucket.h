/* Token bucket: a sustained rate with a burst, on a millisecond clock, for requests a peer can repeat at will. */
#ifndef QD_TOKEN_BUCKET_H
#define QD_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Holds up to `burst` tokens and gains `rate_per_s` a second; each request takes one. The level is
 * kept in thousandths of a token so that a rate of R a second gains exactly R thousandths per
 * millisecond. Zero-initialised is ready: the first use finds the bucket full. Rate and burst are
 * passed on every call (the caller's constants), both at least 1.
 */
struct token_bucket {
	uint64_t level_milli;
	uint64_t last_ms;
	bool started;
};

/* Takes a token at now_ms if there is one; false when the bucket is empty. */
bool token_bucket_take(struct token_bucket *tb, uint64_t now_ms, uint32_t rate_per_s, uint32_t burst);
/* Milliseconds from now_ms until a token is there (0: one is there now). */
uint64_t token_bucket_wait_ms(const struct token_bucket *tb, uint64_t now_ms, uint32_t rate_per_s, uint32_t burst);

#endif
