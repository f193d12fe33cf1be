/* Value parsers with upstream's exact acceptance rules, shared by both daemons' option handling. */
#ifndef QD_PARSE_H
#define QD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* on/yes/1 or off/no/0, case-insensitive. Returns 0 or -1. */
int parse_bool(const char *value, bool *out);
/* Base-10 strtoll that must consume the whole string, without overflow, within [min, max]. */
int parse_ll(const char *value, long long min, long long max, long long *out);
/* strtod over the whole string, not NaN, within [min, max]. */
int parse_double(const char *value, double min, double max, double *out);

/*
 * local_socket_umask (man/corosync-qnetd.8, man/corosync-qdevice.8): empty = not set
 * (*set false), else octal 0..0777 over the whole string (strtoul: leading
 * blanks pass). A leading '-' is refused; a leading '+' only when plus_ok,
 * because the two daemons were written to differ there (see each caller).
 * Returns 0, or -1 with nothing changed.
 */
int parse_umask(const char *value, bool plus_ok, bool *set, mode_t *mask);
/*
 * local_socket_gid (same pages): empty or -1 = not set, an integer
 * 0..UINT_MAX, or a group name looked up with getgrnam. Returns 0, or -1
 * (out of range, unknown group) with nothing changed.
 */
int parse_gid(const char *value, bool *set, gid_t *gid);

/* How one -S key's value is parsed and where it lands in the daemon's settings struct. */
enum parse_setting_kind {
	PARSE_SETTING_STRING, /* char *, replaced by a copy of the value */
	PARSE_SETTING_INT,    /* int, parse_ll within [min, max] */
	PARSE_SETTING_LL,     /* long long, parse_ll within [min, max] */
	PARSE_SETTING_U32,    /* uint32_t, parse_ll within [min, max] */
	PARSE_SETTING_BOOL,   /* bool, parse_bool */
	PARSE_SETTING_DOUBLE, /* double, parse_double within [min, max] */
	PARSE_SETTING_OTHER,  /* known key the caller parses itself */
};

struct parse_setting {
	const char *name;
	enum parse_setting_kind kind;
	size_t offset;        /* of the field in the settings struct */
	long long min, max;   /* numeric kinds only */
};

/* The entry whose name matches key case-insensitively, or NULL. */
const struct parse_setting *parse_setting_find(const struct parse_setting *table, size_t count, const char *key);
/*
 * Parses value as def says into the field at (char *)settings + def->offset;
 * PARSE_SETTING_OTHER is refused. Returns 0; -1 for an invalid value or
 * kind; -2 when a string could not be copied. Nothing changes on failure.
 */
int parse_setting_store(const struct parse_setting *def, void *settings, const char *value);

/* Called for each item of a -S list; key is never empty. Returns 0 to go on, -1 to stop (having said why). */
typedef int (*parse_kv_apply_fn)(void *ctx, const char *key, const char *value);
/*
 * Splits a -S argument, "key=value,key=value", in place and hands each item
 * to apply in order. Both daemons' man pages (ADVANCED SETTINGS) state the same rules:
 * an item ends at ','; its key at the first '=' (later ones belong to the
 * value; no '=' means an empty value); the first item with an empty key
 * (leading ',', ",,", a trailing ',', "=v") silently ends the list. Keys are
 * passed as written: matching them (case-insensitively) is the caller's.
 * Returns 0, or -1 as soon as apply returns -1.
 */
int parse_kv_list(char *list, parse_kv_apply_fn apply, void *ctx);

#endif
