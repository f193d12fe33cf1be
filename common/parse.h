/* Value parsers with upstream's exact acceptance rules, shared by both daemons' option handling. */
#ifndef QD_PARSE_H
#define QD_PARSE_H

#include <stdbool.h>

/* on/yes/1 or off/no/0, case-insensitive. Returns 0 or -1. */
int parse_bool(const char *value, bool *out);
/* Base-10 strtoll that must consume the whole string, without overflow, within [min, max]. */
int parse_ll(const char *value, long long min, long long max, long long *out);
/* strtod over the whole string, not NaN, within [min, max]. */
int parse_double(const char *value, double min, double max, double *out);

#endif
