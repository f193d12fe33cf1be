/* Loading of test data files: hex message vectors and recorded traffic captures. */
#include "testdata.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *testdata_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		if (n + 1 >= cap) {
			char *grown = realloc(buf, cap * 2);
			if (grown == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		if (len != NULL)
			*len = n;
	}
	return buf;
}

static int hex_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long testdata_hex_decode(const char *hex, uint8_t **out)
{
	size_t digits = 0;
	for (const char *p = hex; *p != '\0' && *p != '\n'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r')
			continue;
		if (hex_nibble((unsigned char)*p) < 0)
			return -1;
		digits++;
	}
	if (digits % 2 != 0)
		return -1;
	uint8_t *buf = malloc(digits / 2 + 1);
	if (buf == NULL)
		return -1;
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p != '\0' && *p != '\n'; p++) {
		int v = hex_nibble((unsigned char)*p);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*out = buf;
	return (long)n;
}

int testdata_vector_get(const char *path, const char *name, uint8_t **out, size_t *len)
{
	char *text = testdata_read_file(path, NULL);
	if (text == NULL)
		return -1;
	int rc = -1;
	size_t nlen = strlen(name);
	for (char *line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ' ') {
			long n = testdata_hex_decode(line + nlen + 1, out);
			if (n >= 0) {
				*len = (size_t)n;
				rc = 0;
			}
			break;
		}
		line = next;
	}
	free(text);
	return rc;
}

int testdata_capture_load(const char *path, struct testdata_set *set)
{
	char *text = testdata_read_file(path, NULL);
	if (text == NULL)
		return -1;
	set->msgs = NULL;
	set->count = 0;
	size_t cap = 0;
	unsigned connection = 0, lineno = 0;
	int rc = 0;
	for (char *line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (strncmp(line, "= connection ", 13) == 0) {
			connection = (unsigned)strtoul(line + 13, NULL, 10);
		} else if ((line[0] == '>' || line[0] == '<') && line[1] == ' ') {
			if (set->count == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				struct testdata_msg *grown = realloc(set->msgs, cap * sizeof(*grown));
				if (grown == NULL) {
					rc = -1;
					break;
				}
				set->msgs = grown;
			}
			struct testdata_msg *m = &set->msgs[set->count];
			long n = testdata_hex_decode(line + 2, &m->bytes);
			if (n < 0) {
				rc = -1;
				break;
			}
			m->len = (size_t)n;
			m->direction = line[0];
			m->connection = connection;
			m->line = lineno;
			set->count++;
		} else if (line[0] == '!') {
			rc = -1; /* the recorder saw a partial message: the capture is damaged */
			break;
		}
		line = next;
	}
	free(text);
	if (rc != 0)
		testdata_set_free(set);
	return rc;
}

void testdata_set_free(struct testdata_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->msgs[i].bytes);
	free(set->msgs);
	set->msgs = NULL;
	set->count = 0;
}
