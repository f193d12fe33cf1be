/* Times for machine-readable output: RFC 3339 in UTC, from milliseconds since the Unix epoch. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 to a civil date (proleptic Gregorian), without gmtime's time_t limits. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t timefmt_unix_ms_from_utc(int year, int mon, int day, int hour, int min, int sec)
{
	/* The inverse of civil_from_days. */
	int64_t y = (int64_t)year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = mon > 2 ? mon - 3 : mon + 9;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return ((days * 24 + hour) * 60 + min) * 60000 + (int64_t)sec * 1000;
}

char *timefmt_rfc3339(int64_t unix_ms, char out[TIMEFMT_RFC3339_LEN])
{
	/* 0000-01-01 and 9999-12-31T23:59:59.999 in ms since the epoch. */
	const int64_t min_ms = -62167219200000LL, max_ms = 253402300799999LL;
	if (unix_ms < min_ms)
		unix_ms = min_ms;
	if (unix_ms > max_ms)
		unix_ms = max_ms;
	int64_t days = unix_ms / 86400000, rem = unix_ms % 86400000;
	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	unsigned ms = (unsigned)(rem % 1000), s = (unsigned)(rem / 1000);
	/* Room for what the compiler cannot bound; the values themselves always fit 24 characters. */
	char wide[96];
	snprintf(wide, sizeof(wide), "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", (int)y, mo, d, s / 3600, s / 60 % 60,
		 s % 60, ms);
	size_t n = strnlen(wide, TIMEFMT_RFC3339_LEN - 1);
	memcpy(out, wide, n);
	out[n] = '\0';
	return out;
}

int64_t timefmt_mono_to_unix_ms(uint64_t mono_ms, uint64_t now_mono_ms, int64_t now_unix_ms)
{
	return now_unix_ms - (int64_t)(now_mono_ms - mono_ms);
}

int timefmt_parse_rfc3339(const char *text, int64_t *unix_ms)
{
	int y, mo, d, h, mi, sec, n = 0;
	unsigned ms = 0;
	if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	const char *p = text + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (unsigned)(*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	*unix_ms = timefmt_unix_ms_from_utc(y, mo, d, h, mi, sec) + ms;
	return 0;
}
