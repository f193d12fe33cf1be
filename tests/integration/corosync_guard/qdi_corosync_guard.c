/* LD_PRELOAD guard for a qdevice under test: reports every cmap request made while its device is registered with votequorum. */
/*
 * Why: while corosync synchronises a membership it serves votequorum requests only and holds
 * every other service's requests until the sync ends; the sync waits for the registered device's
 * poll. A cmap request from a registered qdevice can therefore stall it for the whole
 * sync_timeout (doc/corosync-calls.md). The guard turns that rule into a checked fact: it
 * interposes libcmap's request functions and libvotequorum's register/unregister, and writes one
 * line per event to the file named by QDI_COROSYNC_GUARD_LOG:
 *
 *   register <device>                       the device was registered (proves the guard ran)
 *   unregister <device>
 *   VIOLATION <function> <key> [in a corosync callback]
 *                                           a cmap request while registered
 *   summary before=<n> while_registered=<n> cmap requests, at exit
 *
 * Nothing else changes: every call is forwarded to the real library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <corosync/votequorum.h>

static int guard_registered;
static int guard_dispatch_depth;
static unsigned long guard_requests_before;
static unsigned long guard_requests_registered;

static void guard_write(const char *fmt, const char *a, const char *b, const char *c)
{
	const char *path = getenv("QDI_COROSYNC_GUARD_LOG");
	char line[512];
	int n = snprintf(line, sizeof(line), fmt, a, b, c);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (path != NULL && path[0] != '\0') {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)n) < 0) {
				/* Nothing to do: the test then misses the line and fails on its absence. */
			}
			close(fd);
		}
	}
}

static void guard_note(const char *function, const char *key)
{
	if (!guard_registered) {
		guard_requests_before++;
		return;
	}
	guard_requests_registered++;
	guard_write("VIOLATION %s %s%s\n", function, key != NULL ? key : "-",
		    guard_dispatch_depth > 0 ? " in a corosync callback" : "");
}

static void *guard_real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		guard_write("guard: no real %s%s%s\n", name, "", "");
		abort();
	}
	return f;
}

__attribute__((destructor)) static void guard_summary(void)
{
	char before[32], registered[32];
	if (guard_requests_before == 0 && guard_requests_registered == 0)
		return;
	snprintf(before, sizeof(before), "%lu", guard_requests_before);
	snprintf(registered, sizeof(registered), "%lu", guard_requests_registered);
	guard_write("summary before=%s while_registered=%s%s\n", before, registered, "");
}

/* One forwarding wrapper: note the request (with its key, or NULL), then call the real function. */
#define GUARD_CMAP_REQUEST(name, params, key, args)                  \
	cs_error_t name params                                       \
	{                                                            \
		static cs_error_t(*real) params;                     \
		guard_note(#name, key);                              \
		if (real == NULL)                                    \
			*(void **)&real = guard_real(#name);         \
		return real args;                                    \
	}

GUARD_CMAP_REQUEST(cmap_get, (cmap_handle_t h, const char *k, void *v, size_t *l, cmap_value_types_t *t), k,
		   (h, k, v, l, t))
GUARD_CMAP_REQUEST(cmap_get_int8, (cmap_handle_t h, const char *k, int8_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_uint8, (cmap_handle_t h, const char *k, uint8_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_int16, (cmap_handle_t h, const char *k, int16_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_uint16, (cmap_handle_t h, const char *k, uint16_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_int32, (cmap_handle_t h, const char *k, int32_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_uint32, (cmap_handle_t h, const char *k, uint32_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_int64, (cmap_handle_t h, const char *k, int64_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_uint64, (cmap_handle_t h, const char *k, uint64_t *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_float, (cmap_handle_t h, const char *k, float *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_double, (cmap_handle_t h, const char *k, double *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_get_string, (cmap_handle_t h, const char *k, char **v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_set, (cmap_handle_t h, const char *k, const void *v, size_t l, cmap_value_types_t t), k,
		   (h, k, v, l, t))
GUARD_CMAP_REQUEST(cmap_set_uint8, (cmap_handle_t h, const char *k, uint8_t v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_set_uint32, (cmap_handle_t h, const char *k, uint32_t v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_set_string, (cmap_handle_t h, const char *k, const char *v), k, (h, k, v))
GUARD_CMAP_REQUEST(cmap_delete, (cmap_handle_t h, const char *k), k, (h, k))
GUARD_CMAP_REQUEST(cmap_inc, (cmap_handle_t h, const char *k), k, (h, k))
GUARD_CMAP_REQUEST(cmap_dec, (cmap_handle_t h, const char *k), k, (h, k))
GUARD_CMAP_REQUEST(cmap_iter_init, (cmap_handle_t h, const char *p, cmap_iter_handle_t *i), p, (h, p, i))
GUARD_CMAP_REQUEST(cmap_iter_next, (cmap_handle_t h, cmap_iter_handle_t i, char *k, size_t *l, cmap_value_types_t *t),
		   NULL, (h, i, k, l, t))
GUARD_CMAP_REQUEST(cmap_iter_finalize, (cmap_handle_t h, cmap_iter_handle_t i), NULL, (h, i))
GUARD_CMAP_REQUEST(cmap_track_add, (cmap_handle_t h, const char *k, int32_t f, cmap_notify_fn_t fn, void *u,
				    cmap_track_handle_t *t), k, (h, k, f, fn, u, t))
GUARD_CMAP_REQUEST(cmap_track_delete, (cmap_handle_t h, cmap_track_handle_t t), NULL, (h, t))

/* Callbacks run inside the dispatch functions: the depth tells a violation's context. */
#define GUARD_DISPATCH(name, handle_t)                               \
	cs_error_t name(handle_t h, cs_dispatch_flags_t f)           \
	{                                                            \
		static cs_error_t (*real)(handle_t, cs_dispatch_flags_t); \
		if (real == NULL)                                    \
			*(void **)&real = guard_real(#name);         \
		guard_dispatch_depth++;                              \
		cs_error_t e = real(h, f);                           \
		guard_dispatch_depth--;                              \
		return e;                                            \
	}

GUARD_DISPATCH(cmap_dispatch, cmap_handle_t)
GUARD_DISPATCH(votequorum_dispatch, votequorum_handle_t)

cs_error_t votequorum_qdevice_register(votequorum_handle_t h, const char *name)
{
	static cs_error_t (*real)(votequorum_handle_t, const char *);
	if (real == NULL)
		*(void **)&real = guard_real("votequorum_qdevice_register");
	cs_error_t e = real(h, name);
	if (e == CS_OK) {
		guard_registered = 1;
		guard_write("register %s%s%s\n", name, "", "");
	}
	return e;
}

cs_error_t votequorum_qdevice_unregister(votequorum_handle_t h, const char *name)
{
	static cs_error_t (*real)(votequorum_handle_t, const char *);
	if (real == NULL)
		*(void **)&real = guard_real("votequorum_qdevice_unregister");
	guard_registered = 0;
	guard_write("unregister %s%s%s\n", name, "", "");
	return real(h, name);
}
