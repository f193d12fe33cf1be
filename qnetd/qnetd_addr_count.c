/* Connections per client address, for the per-address limit (-S max_clients_per_address). */
#include "qnetd_addr_count.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct qnetd_addr_entry {
	struct qnetd_addr_key key;
	unsigned long count;
	struct qnetd_addr_entry *next;
};

void qnetd_addr_count_init(struct qnetd_addr_count *t, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
}

void qnetd_addr_count_destroy(struct qnetd_addr_count *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct qnetd_addr_entry *e = t->buckets[i];
		while (e != NULL) {
			struct qnetd_addr_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

int qnetd_addr_key_from_sockaddr(const struct sockaddr_storage *ss, struct qnetd_addr_key *key)
{
	memset(key, 0, sizeof(*key));
	if (ss->ss_family == AF_INET6) {
		memcpy(key->bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 0;
	}
	if (ss->ss_family == AF_INET) {
		key->bytes[10] = 0xff;
		key->bytes[11] = 0xff;
		memcpy(key->bytes + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 0;
	}
	return -1;
}

/* Two rounds of a 64-bit multiply-xorshift mix over the two halves, keyed by the seed. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t bucket_of(const struct qnetd_addr_count *t, const struct qnetd_addr_key *key)
{
	uint64_t hi, lo;
	memcpy(&hi, key->bytes, 8);
	memcpy(&lo, key->bytes + 8, 8);
	uint64_t h = mix(mix(hi ^ t->seed) ^ lo ^ (t->seed << 1));
	return (size_t)(h & (t->nbuckets - 1));
}

static struct qnetd_addr_entry **find(const struct qnetd_addr_count *t, const struct qnetd_addr_key *key)
{
	if (t->nbuckets == 0)
		return NULL;
	struct qnetd_addr_entry **pp = &t->buckets[bucket_of(t, key)];
	while (*pp != NULL && memcmp((*pp)->key.bytes, key->bytes, 16) != 0)
		pp = &(*pp)->next;
	return pp;
}

static int grow(struct qnetd_addr_count *t)
{
	size_t n = t->nbuckets == 0 ? 64 : t->nbuckets * 2;
	struct qnetd_addr_entry **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return -1;
	struct qnetd_addr_entry **old = t->buckets;
	size_t old_n = t->nbuckets;
	t->buckets = b;
	t->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		struct qnetd_addr_entry *e = old[i];
		while (e != NULL) {
			struct qnetd_addr_entry *next = e->next;
			size_t j = bucket_of(t, &e->key);
			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(old);
	return 0;
}

unsigned long qnetd_addr_count_add(struct qnetd_addr_count *t, const struct qnetd_addr_key *key)
{
	struct qnetd_addr_entry **pp = find(t, key);
	if (pp != NULL && *pp != NULL)
		return ++(*pp)->count;
	/* A new entry: keep the load at one entry per bucket or less. */
	if (t->entries >= t->nbuckets) {
		if (grow(t) != 0)
			return 0;
		pp = find(t, key);
	}
	struct qnetd_addr_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return 0;
	e->key = *key;
	e->count = 1;
	e->next = NULL;
	*pp = e;
	t->entries++;
	return 1;
}

void qnetd_addr_count_remove(struct qnetd_addr_count *t, const struct qnetd_addr_key *key)
{
	struct qnetd_addr_entry **pp = find(t, key);
	if (pp == NULL || *pp == NULL)
		return;
	if (--(*pp)->count > 0)
		return;
	struct qnetd_addr_entry *e = *pp;
	*pp = e->next;
	free(e);
	t->entries--;
}

unsigned long qnetd_addr_count_get(const struct qnetd_addr_count *t, const struct qnetd_addr_key *key)
{
	struct qnetd_addr_entry **pp = find(t, key);
	return pp != NULL && *pp != NULL ? (*pp)->count : 0;
}
