/* Loading of test data files: hex message vectors and recorded traffic captures. */
#ifndef QD_TESTDATA_H
#define QD_TESTDATA_H

#include <stddef.h>
#include <stdint.h>

/* One message as bytes. */
struct testdata_msg {
	uint8_t *bytes;
	size_t len;
	char direction;     /* '>' client to server, '<' server to client, 0 for vectors */
	unsigned connection; /* capture connection number, from 1 */
	unsigned line;      /* line of the file it came from */
};

struct testdata_set {
	struct testdata_msg *msgs;
	size_t count;
};

/* Parses hex (spaces ignored) into a new buffer; returns its length or -1. */
long testdata_hex_decode(const char *hex, uint8_t **out);
/* Loads NAME HEX lines (vectors file); returns the message named `name` in *out (bytes owned by caller). */
int testdata_vector_get(const char *path, const char *name, uint8_t **out, size_t *len);
/* Loads every '>'/'<' line of a capture file. */
int testdata_capture_load(const char *path, struct testdata_set *set);
void testdata_set_free(struct testdata_set *set);
/* Reads a whole file into a NUL-terminated buffer. */
char *testdata_read_file(const char *path, size_t *len);

#endif
