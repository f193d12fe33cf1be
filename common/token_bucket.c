/* Token bucket: a sustained rate with a burst, on a millisecond clock. */
#include "token_bucket.h"

/* The level at now_ms; a clock that went back refills nothing (and never mutes for ever). */
static uint64_t level_at(const struct token_bucket *tb, uint64_t now_ms, uint32_t rate_per_s, uint32_t burst)
{
	uint64_t full = (uint64_t)(burst > 0 ? burst : 1) * 1000u;
	uint64_t rate = rate_per_s > 0 ? rate_per_s : 1;
	if (!tb->started)
		return full;
	if (now_ms <= tb->last_ms)
		return tb->level_milli;
	uint64_t gap = now_ms - tb->last_ms;
	/* Any gap long enough to fill the bucket fills it; shorter ones cannot overflow. */
	if (gap >= full / rate + 1)
		return full;
	uint64_t level = tb->level_milli + gap * rate;
	return level < full ? level : full;
}

bool token_bucket_take(struct token_bucket *tb, uint64_t now_ms, uint32_t rate_per_s, uint32_t burst)
{
	tb->level_milli = level_at(tb, now_ms, rate_per_s, burst);
	tb->started = true;
	tb->last_ms = now_ms;
	if (tb->level_milli < 1000)
		return false;
	tb->level_milli -= 1000;
	return true;
}

uint64_t token_bucket_wait_ms(const struct token_bucket *tb, uint64_t now_ms, uint32_t rate_per_s, uint32_t burst)
{
	uint64_t level = level_at(tb, now_ms, rate_per_s, burst);
	uint64_t rate = rate_per_s > 0 ? rate_per_s : 1;
	if (level >= 1000)
		return 0;
	return (1000 - level + rate - 1) / rate;
}
