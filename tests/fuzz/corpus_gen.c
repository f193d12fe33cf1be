/*
 * Writes fuzz seed corpora: for the codec target every tests/data vector and every
 * captured message, one file each; with --sessions, for the session target
 * each captured connection's client-to-server stream as one input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "testdata.h"

static int write_seed(const char *dir, const char *name, const uint8_t *bytes, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(bytes, 1, len, f) != len) {
		fprintf(stderr, "corpus_gen: cannot write %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int vectors(const char *data_dir, const char *out_dir, unsigned *count)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/vectors/message-vectors.txt", data_dir);
	char *text = testdata_read_file(path, NULL);
	if (text == NULL) {
		fprintf(stderr, "corpus_gen: cannot read %s\n", path);
		return -1;
	}
	int rc = 0;
	for (char *line = strtok(text, "\n"); line != NULL && rc == 0; line = strtok(NULL, "\n")) {
		char *space = strchr(line, ' ');
		if (line[0] == '#' || space == NULL)
			continue;
		*space = '\0';
		uint8_t *bytes;
		long n = testdata_hex_decode(space + 1, &bytes);
		if (n < 0)
			return -1;
		char name[256];
		snprintf(name, sizeof(name), "vector-%s", line);
		rc = write_seed(out_dir, name, bytes, (size_t)n);
		free(bytes);
		(*count)++;
	}
	free(text);
	return rc;
}

static int captures(const char *data_dir, const char *out_dir, unsigned *count)
{
	char dir_path[4096];
	snprintf(dir_path, sizeof(dir_path), "%s/captures", data_dir);
	DIR *dir = opendir(dir_path);
	if (dir == NULL)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".cap") != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir_path, de->d_name);
		struct testdata_set set;
		if (testdata_capture_load(path, &set) != 0) {
			fprintf(stderr, "corpus_gen: cannot load %s\n", path);
			rc = -1;
			break;
		}
		for (size_t i = 0; i < set.count && rc == 0; i++) {
			char name[512];
			snprintf(name, sizeof(name), "capture-%.*s-%zu", (int)(len - 4), de->d_name, i);
			rc = write_seed(out_dir, name, set.msgs[i].bytes, set.msgs[i].len);
			(*count)++;
		}
		testdata_set_free(&set);
	}
	closedir(dir);
	return rc;
}

/* One session seed per capture connection: mode byte, then [conn 0][len][bytes] chunks. */
static int sessions(const char *data_dir, const char *out_dir, unsigned *count)
{
	char dir_path[4096];
	snprintf(dir_path, sizeof(dir_path), "%s/captures", data_dir);
	DIR *dir = opendir(dir_path);
	if (dir == NULL)
		return -1;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".cap") != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir_path, de->d_name);
		struct testdata_set set;
		if (testdata_capture_load(path, &set) != 0)
			return -1;
		unsigned last_conn = 0;
		for (size_t i = 0; i < set.count; i++)
			if (set.msgs[i].connection > last_conn)
				last_conn = set.msgs[i].connection;
		for (unsigned conn = 1; conn <= last_conn && rc == 0; conn++) {
			uint8_t seed[65536];
			size_t used = 0;
			seed[used++] = 0x01; /* TLS optional, no client certificate: plaintext accepted */
			for (size_t i = 0; i < set.count; i++) {
				const struct testdata_msg *m = &set.msgs[i];
				if (m->connection != conn || m->direction != '>')
					continue;
				for (size_t off = 0; off < m->len;) {
					size_t take = m->len - off > 255 ? 255 : m->len - off;
					if (used + 2 + take > sizeof(seed))
						break;
					seed[used++] = 0;
					seed[used++] = (uint8_t)take;
					memcpy(seed + used, m->bytes + off, take);
					used += take;
					off += take;
				}
			}
			char name[512];
			snprintf(name, sizeof(name), "session-%.*s-%u", (int)(len - 4), de->d_name, conn);
			rc = write_seed(out_dir, name, seed, used);
			(*count)++;
		}
		/*
		 * Captures with several clients also give one seed with all of them interleaved as
		 * captured, then the first one closed and the clock moved on 30 s: the path through a
		 * departed client's vote hold (doc/algorithms.md §1.5).
		 */
		if (last_conn > 1 && rc == 0) {
			static uint8_t seed[1 << 18];
			size_t used = 0;
			seed[used++] = 0x01;
			for (size_t i = 0; i < set.count; i++) {
				const struct testdata_msg *m = &set.msgs[i];
				if (m->direction != '>')
					continue;
				for (size_t off = 0; off < m->len;) {
					size_t take = m->len - off > 255 ? 255 : m->len - off;
					if (used + 2 + take + 4 > sizeof(seed))
						break;
					seed[used++] = (uint8_t)((m->connection - 1) % 3);
					seed[used++] = (uint8_t)take;
					memcpy(seed + used, m->bytes + off, take);
					used += take;
					off += take;
				}
			}
			/* The second client's last message again after the close, and again 30 s later. */
			const struct testdata_msg *again = NULL;
			for (size_t i = 0; i < set.count; i++)
				if (set.msgs[i].connection == 2 && set.msgs[i].direction == '>' && set.msgs[i].len <= 255)
					again = &set.msgs[i];
			seed[used++] = 0xf0; /* close connection 0 */
			seed[used++] = 0;
			for (int round = 0; round < 2 && again != NULL && used + 4 + 2 * again->len < sizeof(seed); round++) {
				seed[used++] = 1;
				seed[used++] = (uint8_t)again->len;
				memcpy(seed + used, again->bytes, again->len);
				used += again->len;
				if (round == 0) {
					seed[used++] = 0xe0; /* 30 s later */
					seed[used++] = 30;
				}
			}
			char name[512];
			snprintf(name, sizeof(name), "session-%.*s-all", (int)(len - 4), de->d_name);
			rc = write_seed(out_dir, name, seed, used);
			(*count)++;
		}
		testdata_set_free(&set);
	}
	closedir(dir);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	if (argc == 4 && strcmp(argv[1], "--sessions") == 0) {
		if (sessions(argv[2], argv[3], &count) != 0)
			return 1;
		printf("corpus_gen: wrote %u session seeds to %s\n", count, argv[3]);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: corpus_gen [--sessions] TEST_DATA_DIR OUTPUT_DIR\n");
		return 2;
	}
	if (vectors(argv[1], argv[2], &count) != 0 || captures(argv[1], argv[2], &count) != 0)
		return 1;
	printf("corpus_gen: wrote %u seeds to %s\n", count, argv[2]);
	return 0;
}
