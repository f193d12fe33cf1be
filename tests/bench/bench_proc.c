/* Benchmark helpers: a process's CPU time and memory from /proc, monotonic nanoseconds, and percentiles. */
#include "bench_proc.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t self_cpu_ns(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

uint64_t machine_busy_ns(void)
{
	FILE *f = fopen("/proc/stat", "r");
	if (f == NULL)
		return 0;
	unsigned long long v[8] = {0};
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		       &v[6], &v[7]);
	fclose(f);
	if (n < 7)
		return 0;
	/* user nice system [idle] [iowait] irq softirq steal */
	uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	long hz = sysconf(_SC_CLK_TCK);
	return busy * (1000000000u / (uint64_t)(hz > 0 ? hz : 100));
}

/* utime + stime from /proc/PID/stat, in clock ticks; fields 14 and 15 after the "(comm)". */
static bool stat_ticks(pid_t pid, uint64_t *ticks)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return false;
	unsigned long long ut = 0, st = 0;
	/* After ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return false;
	*ticks = ut + st;
	return true;
}

/*
 * Nanosecond CPU time: the first field of /proc/PID/task/TID/schedstat, summed over the
 * threads. It is far finer than the 10 ms ticks of /proc/PID/stat, which matters for
 * storms that cost our daemon a few milliseconds.
 */
static bool schedstat_ns(pid_t pid, uint64_t *ns)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return false;
	uint64_t sum = 0;
	bool any = false;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char tpath[300];
		snprintf(tpath, sizeof(tpath), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		FILE *f = fopen(tpath, "r");
		if (f == NULL)
			continue;
		unsigned long long run = 0;
		if (fscanf(f, "%llu", &run) == 1) {
			sum += run;
			any = true;
		}
		fclose(f);
	}
	closedir(d);
	*ns = sum;
	return any;
}

static void status_kb(pid_t pid, uint64_t *rss, uint64_t *hwm)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	*rss = *hwm = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			*rss = v;
		else if (sscanf(line, "VmHWM: %llu", &v) == 1)
			*hwm = v;
	}
	fclose(f);
}

void proc_sample(pid_t pid, struct proc_sample *s)
{
	memset(s, 0, sizeof(*s));
	if (pid <= 0)
		return;
	uint64_t ns = 0, ticks = 0;
	if (schedstat_ns(pid, &ns)) {
		s->cpu_ns = ns;
	} else if (stat_ticks(pid, &ticks)) {
		long hz = sysconf(_SC_CLK_TCK);
		s->cpu_ns = ticks * (1000000000u / (uint64_t)(hz > 0 ? hz : 100));
	} else {
		return;
	}
	status_kb(pid, &s->rss_kb, &s->hwm_kb);
	s->ok = true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void sort_u64(uint64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u64);
}

uint64_t percentile(uint64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	sort_u64(v, n);
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}
