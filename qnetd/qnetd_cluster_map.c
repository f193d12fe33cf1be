/* All clusters of the server: found by byte-exact name through a hash table, listed in creation order. */
#include "qnetd_cluster_map.h"

#include <stdlib.h>
#include <string.h>

struct qnetd_cluster_map_entry {
	struct qnetd_cluster *cluster;
	uint64_t hash;
	struct qnetd_cluster_map_entry *bucket_next;
	struct qnetd_cluster_map_entry *prev;
	struct qnetd_cluster_map_entry *next;
};

/* FNV-1a over the name's bytes (names may hold NUL bytes). */
static uint64_t name_hash(const uint8_t *name, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void qnetd_cluster_map_init(struct qnetd_cluster_map *map)
{
	memset(map, 0, sizeof(*map));
}

void qnetd_cluster_map_destroy(struct qnetd_cluster_map *map)
{
	while (map->first != NULL)
		qnetd_cluster_map_remove(map, map->first->cluster);
	free(map->buckets);
	memset(map, 0, sizeof(*map));
}

static struct qnetd_cluster_map_entry *find_entry(const struct qnetd_cluster_map *map, const uint8_t *name, size_t len,
					    uint64_t hash)
{
	if (map->bucket_count == 0)
		return NULL;
	for (struct qnetd_cluster_map_entry *e = map->buckets[hash % map->bucket_count]; e != NULL; e = e->bucket_next) {
		if (e->hash == hash && e->cluster->name_len == len &&
		    (len == 0 || memcmp(e->cluster->name, name, len) == 0))
			return e;
	}
	return NULL;
}

struct qnetd_cluster *qnetd_cluster_map_find(const struct qnetd_cluster_map *map, const uint8_t *name, size_t name_len)
{
	struct qnetd_cluster_map_entry *e = find_entry(map, name, name_len, name_hash(name, name_len));
	return e != NULL ? e->cluster : NULL;
}

/* Keeps the load factor at most 1 so lookups stay O(1). */
static int grow_buckets(struct qnetd_cluster_map *map)
{
	if (map->count < map->bucket_count)
		return 0;
	size_t count = map->bucket_count == 0 ? 64 : map->bucket_count * 2;
	struct qnetd_cluster_map_entry **buckets = calloc(count, sizeof(*buckets));
	if (buckets == NULL)
		return -1;
	for (struct qnetd_cluster_map_entry *e = map->first; e != NULL; e = e->next) {
		size_t b = e->hash % count;
		e->bucket_next = buckets[b];
		buckets[b] = e;
	}
	free(map->buckets);
	map->buckets = buckets;
	map->bucket_count = count;
	return 0;
}

struct qnetd_cluster *qnetd_cluster_map_create(struct qnetd_cluster_map *map, const uint8_t *name, size_t name_len)
{
	if (grow_buckets(map) != 0)
		return NULL;
	struct qnetd_cluster_map_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cluster = qnetd_cluster_create(name, name_len);
	if (e->cluster == NULL) {
		free(e);
		return NULL;
	}
	e->hash = name_hash(name, name_len);
	size_t b = e->hash % map->bucket_count;
	e->bucket_next = map->buckets[b];
	map->buckets[b] = e;
	e->prev = map->last;
	if (map->last != NULL)
		map->last->next = e;
	else
		map->first = e;
	map->last = e;
	map->count++;
	return e->cluster;
}

void qnetd_cluster_map_remove(struct qnetd_cluster_map *map, struct qnetd_cluster *cluster)
{
	uint64_t hash = name_hash(cluster->name, cluster->name_len);
	struct qnetd_cluster_map_entry **pp = &map->buckets[hash % map->bucket_count];
	while (*pp != NULL && (*pp)->cluster != cluster)
		pp = &(*pp)->bucket_next;
	struct qnetd_cluster_map_entry *e = *pp;
	if (e == NULL)
		return;
	*pp = e->bucket_next;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		map->first = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		map->last = e->prev;
	map->count--;
	qnetd_cluster_destroy(e->cluster);
	free(e);
}

struct qnetd_cluster_map_entry *qnetd_cluster_map_first(const struct qnetd_cluster_map *map)
{
	return map->first;
}

struct qnetd_cluster_map_entry *qnetd_cluster_map_next(const struct qnetd_cluster_map_entry *entry)
{
	return entry->next;
}

struct qnetd_cluster *qnetd_cluster_map_entry_cluster(const struct qnetd_cluster_map_entry *entry)
{
	return entry->cluster;
}
