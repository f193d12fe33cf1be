/* Peer-supplied bytes made safe for logs and tool output: control characters and backslashes as \xNN. */
#ifndef QD_ESCAPE_H
#define QD_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A cluster name is whatever bytes a client sent in PREINIT. Printed raw, a newline forges a log
 * line and an escape sequence rewrites the administrator's terminal. Bytes below 0x20, 0x7f and
 * the backslash itself are written as \xNN; everything else (printable ASCII, UTF-8) stays as it
 * is, so every ordinary name prints exactly as before.
 */
bool escape_needed(uint8_t byte);

/*
 * Writes the escaped form of in[0..len) into out (capacity cap >= 4, always NUL-terminated). A
 * form longer than cap - 1 is cut between two escaped bytes and ends with "...". Returns out.
 */
char *escape_bytes(const uint8_t *in, size_t len, char *out, size_t cap);

/* Room for a cluster name in a log line; longer names are cut (escape_bytes). */
#define ESCAPE_LOG_NAME_MAX 160

#endif
