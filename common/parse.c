/* Value parsers with upstream's exact acceptance rules, shared by both daemons' option handling. */
#include "parse.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
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

int parse_umask(const char *value, bool plus_ok, bool *set, mode_t *mask)
{
	char *end;

	if (*value == '\0') {
		*set = false;
		return 0;
	}
	if (value[0] == '-' || (value[0] == '+' && !plus_ok))
		return -1;
	unsigned long m = strtoul(value, &end, 8);
	if (*end != '\0' || m > 0777)
		return -1;
	*mask = (mode_t)m;
	*set = true;
	return 0;
}

int parse_gid(const char *value, bool *set, gid_t *gid)
{
	long long ll;

	if (*value == '\0') {
		*set = false;
		return 0;
	}
	if (parse_ll(value, -1, UINT_MAX, &ll) == 0) {
		*set = ll != -1;
		*gid = (gid_t)ll;
		return 0;
	}
	struct group *g = getgrnam(value);
	if (g == NULL)
		return -1;
	*gid = g->gr_gid;
	*set = true;
	return 0;
}

const struct parse_setting *parse_setting_find(const struct parse_setting *table, size_t count, const char *key)
{
	for (size_t i = 0; i < count; i++) {
		if (strcasecmp(table[i].name, key) == 0)
			return &table[i];
	}
	return NULL;
}

int parse_setting_store(const struct parse_setting *def, void *settings, const char *value)
{
	/* The casts through void * are sound: offset comes from offsetof of a field of that type. */
	void *field = (char *)settings + def->offset;
	long long ll;
	double d;
	bool b;

	switch (def->kind) {
	case PARSE_SETTING_STRING: {
		char *copy = strdup(value);
		if (copy == NULL)
			return -2;
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case PARSE_SETTING_INT:
	case PARSE_SETTING_LL:
	case PARSE_SETTING_U32:
		if (parse_ll(value, def->min, def->max, &ll) != 0)
			return -1;
		if (def->kind == PARSE_SETTING_INT)
			*(int *)field = (int)ll;
		else if (def->kind == PARSE_SETTING_LL)
			*(long long *)field = ll;
		else
			*(uint32_t *)field = (uint32_t)ll;
		return 0;
	case PARSE_SETTING_BOOL:
		if (parse_bool(value, &b) != 0)
			return -1;
		*(bool *)field = b;
		return 0;
	case PARSE_SETTING_DOUBLE:
		if (parse_double(value, (double)def->min, (double)def->max, &d) != 0)
			return -1;
		*(double *)field = d;
		return 0;
	case PARSE_SETTING_OTHER:
		break;
	}
	return -1;
}

int parse_kv_list(char *list, parse_kv_apply_fn apply, void *ctx)
{
	char *item = list;

	while (item != NULL) {
		char *next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		char *value = strchr(item, '=');
		if (value != NULL)
			*value++ = '\0';
		else
			value = item + strlen(item);
		if (*item == '\0')
			break;
		if (apply(ctx, item, value) != 0)
			return -1;
		item = next;
	}
	return 0;
}
