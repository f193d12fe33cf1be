/* All clusters of the server: found by byte-exact name through a hash table, listed in creation order. */
#ifndef QD_QNETD_CLUSTER_MAP_H
#define QD_QNETD_CLUSTER_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "qnetd_cluster.h"

struct qnetd_cluster_map_entry;

struct qnetd_cluster_map {
	struct qnetd_cluster_map_entry **buckets;
	size_t bucket_count;
	size_t count;
	struct qnetd_cluster_map_entry *first;    /* creation order */
	struct qnetd_cluster_map_entry *last;
};

void qnetd_cluster_map_init(struct qnetd_cluster_map *map);
/* Destroys every remaining cluster. */
void qnetd_cluster_map_destroy(struct qnetd_cluster_map *map);
struct qnetd_cluster *qnetd_cluster_map_find(const struct qnetd_cluster_map *map, const uint8_t *name, size_t name_len);
/* Creates a cluster with that name (which must not exist yet); NULL on no memory. */
struct qnetd_cluster *qnetd_cluster_map_create(struct qnetd_cluster_map *map, const uint8_t *name, size_t name_len);
/* Removes and destroys the cluster. */
void qnetd_cluster_map_remove(struct qnetd_cluster_map *map, struct qnetd_cluster *cluster);

/* Iteration in creation order: for (it = qnetd_cluster_map_first(m); it; it = qnetd_cluster_map_next(it)). */
struct qnetd_cluster_map_entry *qnetd_cluster_map_first(const struct qnetd_cluster_map *map);
struct qnetd_cluster_map_entry *qnetd_cluster_map_next(const struct qnetd_cluster_map_entry *entry);
struct qnetd_cluster *qnetd_cluster_map_entry_cluster(const struct qnetd_cluster_map_entry *entry);

#endif
