/* Times for machine-readable output: RFC 3339 in UTC, from milliseconds since the Unix epoch. */
#ifndef QD_TIMEFMT_H
#define QD_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_RFC3339_LEN 32

/* "2026-12-06T15:33:00.123Z" into out; returns out. Years outside 0..9999 are clamped to them. */
char *timefmt_rfc3339(int64_t unix_ms, char out[TIMEFMT_RFC3339_LEN]);

/* Milliseconds since the epoch of a UTC civil time (mon 1-12), without mktime's time_t limits (2038 on 32 bits). */
int64_t timefmt_unix_ms_from_utc(int year, int mon, int day, int hour, int min, int sec);

/* Parses what timefmt_rfc3339 writes (milliseconds optional, "Z" only); 0, or -1 for anything else. */
int timefmt_parse_rfc3339(const char *text, int64_t *unix_ms);

/*
 * A monotonic instant as wall-clock milliseconds, given one moment read on both clocks: the
 * daemons keep monotonic times (immune to clock steps) and convert only for display.
 */
int64_t timefmt_mono_to_unix_ms(uint64_t mono_ms, uint64_t now_mono_ms, int64_t now_unix_ms);

#endif
