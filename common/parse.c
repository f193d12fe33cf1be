/* Value parsers with upstream's exact acceptance rules, shared by both daemons' option handling. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_bool(const char *value, bool *out)
{
	if (strcasecmp(value, "on") == 0 || strcasecmp(value, "yes") == 0 || strcmp(value, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(value, "off") == 0 || strcasecmp(value, "no") == 0 || strcmp(value, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

int parse_ll(const char *value, long long min, long long max, long long *out)
{
	char *end;

	if (*value == '\0')
		return -1;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_double(const char *value, double min, double max, double *out)
{
	char *end;

	if (*value == '\0')
		return -1;
	errno = 0;
	double v = strtod(value, &end);
	if (errno != 0 || *end != '\0' || isnan(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
