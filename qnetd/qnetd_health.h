/* corosync-qnetd-tool -C: the arbiter's health from its JSON status (doc/monitoring.md §2). */
#ifndef QD_QNETD_HEALTH_H
#define QD_QNETD_HEALTH_H

#include <stdint.h>

#include <jansson.h>

#include "health.h"

/* Certificates that end within this many days are a warning. */
#define QNETD_HEALTH_CERT_WARN_DAYS 30

/*
 * Judges one status object (schema 1). CRITICAL: a cluster in which more than one partition holds
 * an ACK, or a server certificate outside its validity window. WARNING: configured nodes without a
 * connection, clients without TLS, client certificates refused in the last hour, a server
 * certificate ending within QNETD_HEALTH_CERT_WARN_DAYS. UNKNOWN: an object this code cannot read.
 */
void qnetd_health_evaluate(const json_t *status, struct health_report *r);

/* The readings of the status -C makes, shared with -D's checks (qnetd/qnetd_diagnose.c). */

/* 0 when status is a schema 1 object with clusters, counts and a readable time (*now_ms), else -1. */
int qnetd_health_understood(const json_t *status, int64_t *now_ms);
/* o's integer member key, 0 when absent or not an integer. */
long long qnetd_health_int(const json_t *o, const char *key);
/* A cluster object's name for a line of text: control characters escaped, long names cut; "?" without one. */
const char *qnetd_health_cluster_name(const json_t *cluster, char *buf, size_t len);
/* A JSON array of node ids as "1, 2, 3", ending in "..." when buf is too small. */
void qnetd_health_node_ids(const json_t *ids, char *buf, size_t len);
/* The key of a by_reason object with the largest count (*count; "" and 0 when every count is 0). */
const char *qnetd_health_top_reason(const json_t *by_reason, long long *count);
/* server_certificate's dates: 0, 1 when there is none (TLS off), -1 when they cannot be read. */
int qnetd_health_server_cert_dates(const json_t *status, int64_t *not_before_ms, int64_t *not_after_ms);

enum qnetd_health_cert_window {
	QNETD_HEALTH_CERT_VALID = 0,
	QNETD_HEALTH_CERT_EXPIRING,             /* ends within QNETD_HEALTH_CERT_WARN_DAYS */
	QNETD_HEALTH_CERT_EXPIRED,
	QNETD_HEALTH_CERT_NOT_YET_VALID,
};
/* Where a certificate's validity window stands at now_ms (all in ms since the epoch). */
enum qnetd_health_cert_window qnetd_health_cert_window(int64_t not_before_ms, int64_t not_after_ms, int64_t now_ms);

#endif
