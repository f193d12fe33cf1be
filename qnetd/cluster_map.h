/* All clusters of the server: found by byte-exact name through a hash table, listed in creation order. */
#ifndef QD_QNETD_CLUSTER_MAP_H
#define QD_QNETD_CLUSTER_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"

struct cluster_map_entry;

struct cluster_map {
	struct cluster_map_entry **buckets;
	size_t bucket_count;
	size_t count;
	struct cluster_map_entry *first;    /* creation order */
	struct cluster_map_entry *last;
};

void cluster_map_init(struct cluster_map *map);
/* Destroys every remaining cluster. */
void cluster_map_destroy(struct cluster_map *map);
struct qnetd_cluster *cluster_map_find(const struct cluster_map *map, const uint8_t *name, size_t name_len);
/* Creates a cluster with that name (which must not exist yet); NULL on no memory. */
struct qnetd_cluster *cluster_map_create(struct cluster_map *map, const uint8_t *name, size_t name_len);
/* Removes and destroys the cluster. */
void cluster_map_remove(struct cluster_map *map, struct qnetd_cluster *cluster);

/* Iteration in creation order: for (it = cluster_map_first(m); it; it = cluster_map_next(it)). */
struct cluster_map_entry *cluster_map_first(const struct cluster_map *map);
struct cluster_map_entry *cluster_map_next(const struct cluster_map_entry *entry);
struct qnetd_cluster *cluster_map_entry_cluster(const struct cluster_map_entry *entry);

#endif
