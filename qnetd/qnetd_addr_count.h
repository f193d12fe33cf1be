/* Connections per client address, for the per-address limit (-S max_clients_per_address). */
#ifndef QD_QNETD_ADDR_COUNT_H
#define QD_QNETD_ADDR_COUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address as 16 bytes: IPv6 as is, IPv4 in its v4-mapped form, so both spellings count as one. */
struct qnetd_addr_key {
	uint8_t bytes[16];
};

struct qnetd_addr_entry;

/*
 * A chained hash table of counts; entries exist only while their count is above zero. The hash
 * is seeded by the caller so that a client choosing its addresses (an IPv6 prefix holds many)
 * cannot aim them all at one chain.
 */
struct qnetd_addr_count {
	struct qnetd_addr_entry **buckets;
	size_t nbuckets;                    /* a power of two, or 0 before the first add */
	size_t entries;
	uint64_t seed;
};

void qnetd_addr_count_init(struct qnetd_addr_count *t, uint64_t seed);
void qnetd_addr_count_destroy(struct qnetd_addr_count *t);
/* Fills key from an AF_INET or AF_INET6 address; -1 for any other family. */
int qnetd_addr_key_from_sockaddr(const struct sockaddr_storage *ss, struct qnetd_addr_key *key);
/* Counts one more connection from key; returns the new count, or 0 when out of memory. */
unsigned long qnetd_addr_count_add(struct qnetd_addr_count *t, const struct qnetd_addr_key *key);
/* Counts one connection less (the entry goes when it reaches zero); unknown keys are ignored. */
void qnetd_addr_count_remove(struct qnetd_addr_count *t, const struct qnetd_addr_key *key);
unsigned long qnetd_addr_count_get(const struct qnetd_addr_count *t, const struct qnetd_addr_key *key);

#endif
